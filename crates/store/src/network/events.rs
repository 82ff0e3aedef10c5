//! Events and registrations: publishing, registering (a seat or the
//! waiting list), withdrawing (the first person waiting takes the seat
//! and is told, in the same transaction), cancelling, attendance.

use chrono::{DateTime, Utc};
use passerelle_accounts::notification::{EventMention, Notification};
use passerelle_accounts::policy::{EventRef, FiguresScope, Location, NetworkRef, OpenTo};
use passerelle_network::events::{
    Event, Refused, Seats, Venue, VenueKind, may_withdraw, register, seats_to_fill,
};
use passerelle_network::vocab::{
    Audience, EventKind, RegistrationStatus, Theme, join_themes, split_themes,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{
    AREA_COLUMNS, AREA_JOINS, Area, Member, Param, area, bind_all, bind_location, coded,
    commune_location, corrupt, instant, maybe_instant, scope_clause,
};
use crate::referrals::iso;
use crate::write::Write;
use crate::{Database, StoreError};

/// Where an event takes place, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VenueView {
    Place { id: i64, name: String },
    Address { address: String },
    Online { link: Option<String> },
}

/// An event with its seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventView {
    pub id: i64,
    pub kind: EventKind,
    pub title: String,
    pub description: Option<String>,
    pub themes: Vec<Theme>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub venue: VenueView,
    pub area: Area,
    pub audience: Audience,
    pub network: Option<(i64, String)>,
    pub capacity: Option<u32>,
    pub registered: i64,
    pub waiting: i64,
    /// Present, once attendance was taken.
    pub present: i64,
    pub organiser_id: Option<i64>,
    pub organiser: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub sequence: i64,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl EventView {
    pub fn seats(&self) -> Seats {
        Seats {
            cancelled: self.cancelled_at.is_some(),
            starts_at: self.starts_at,
            closes_at: self.closes_at,
            capacity: self.capacity,
            registered: u32::try_from(self.registered).unwrap_or(u32::MAX),
        }
    }

    /// The event as the policy sees it, with its network's.
    pub fn policy(&self, network: Option<NetworkRef>) -> EventRef {
        EventRef {
            organiser: self.organiser_id,
            open_to: match self.audience {
                Audience::Open => OpenTo::Everyone,
                Audience::Professionals => OpenTo::Professionals,
                Audience::Network => OpenTo::NetworkMembers,
            },
            network,
            location: self.area.location.clone(),
        }
    }

    /// As e-mails name it.
    pub fn mention(&self) -> EventMention {
        EventMention {
            id: self.id,
            title: self.title.clone(),
            starts_at: self.starts_at,
            venue: match &self.venue {
                VenueView::Place { name, .. } => match self.area.commune.as_deref() {
                    Some(c) => format!("{name}, {c}"),
                    None => name.clone(),
                },
                VenueView::Address { address } => match self.area.commune.as_deref() {
                    Some(c) => format!("{address}, {c}"),
                    None => address.clone(),
                },
                VenueView::Online { .. } => String::new(),
            },
            link: match &self.venue {
                VenueView::Online { link } => link.clone(),
                _ => None,
            },
        }
    }
}

/// Which events a list shows.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Those not over at this instant (else those over, newest first).
    pub upcoming_at: Option<DateTime<Utc>>,
    pub over_at: Option<DateTime<Utc>>,
    pub territory: Option<(passerelle_accounts::ScopeLevel, String)>,
    pub theme: Option<Theme>,
    pub network: Option<i64>,
    /// The events a person registered for (or waits for).
    pub attendee: Option<i64>,
}

/// Why an event is not published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventRefusal {
    UnknownPlace,
    UnknownCommune(String),
    UnknownNetwork,
}

/// One person's registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub status: RegistrationStatus,
    /// On the waiting list: how many are before them, plus one.
    pub position: Option<i64>,
    pub attended: Option<bool>,
}

/// Someone registered, as the organiser sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    pub registration_id: i64,
    pub name: Option<String>,
    pub structure: Option<String>,
    pub status: RegistrationStatus,
    pub asked_at: DateTime<Utc>,
    pub attended: Option<bool>,
}

/// What happened when someone withdrew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Withdrawn {
    /// People of the waiting list who took a seat.
    pub seated: u32,
}

/// An event held, for the figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldEvent {
    pub id: i64,
    pub kind: EventKind,
    pub themes: Vec<Theme>,
    pub starts_at: DateTime<Utc>,
    pub area: Area,
    pub registered: i64,
    /// Present, when attendance was taken.
    pub present: Option<i64>,
}

const EVENT_SELECT: &str = "SELECT x.id, x.kind, x.title, x.description, x.themes, x.starts_at, x.ends_at, x.closes_at, \
     x.venue, x.place_id, pl.nom AS place_nom, x.address, x.link, x.audience, x.network_id, n.name AS network_name, \
     x.capacity, x.organiser_id, op.display_name AS organiser_name, x.updated_at, x.sequence, x.cancelled_at, \
     (SELECT COUNT(*) FROM network_registrations r WHERE r.event_id = x.id AND r.status = 'inscrit') AS registered, \
     (SELECT COUNT(*) FROM network_registrations r WHERE r.event_id = x.id AND r.status = 'attente') AS waiting, \
     (SELECT COUNT(*) FROM network_registrations r WHERE r.event_id = x.id AND r.status = 'inscrit' AND r.attended = 1) AS present, ";

fn event_from(r: &AnyRow) -> Result<EventView, StoreError> {
    let venue = match coded(r, "venue", VenueKind::parse)? {
        VenueKind::Place => VenueView::Place {
            id: r.try_get::<Option<i64>, _>("place_id")?.unwrap_or_default(),
            name: r
                .try_get::<Option<String>, _>("place_nom")?
                .unwrap_or_default(),
        },
        VenueKind::Address => VenueView::Address {
            address: r
                .try_get::<Option<String>, _>("address")?
                .unwrap_or_default(),
        },
        VenueKind::Online => VenueView::Online {
            link: r.try_get("link")?,
        },
    };
    let network_id: Option<i64> = r.try_get("network_id")?;
    let network_name: Option<String> = r.try_get("network_name")?;
    let capacity: Option<i64> = r.try_get("capacity")?;
    Ok(EventView {
        id: r.try_get("id")?,
        kind: coded(r, "kind", EventKind::parse)?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        themes: coded(r, "themes", |t| split_themes(t).ok())?,
        starts_at: instant(r, "starts_at")?,
        ends_at: instant(r, "ends_at")?,
        closes_at: instant(r, "closes_at")?,
        venue,
        area: area(r)?,
        audience: coded(r, "audience", Audience::parse)?,
        network: network_id.zip(network_name),
        capacity: capacity
            .map(|c| u32::try_from(c).map_err(|_| corrupt("capacity", &c.to_string())))
            .transpose()?,
        registered: r.try_get("registered")?,
        waiting: r.try_get("waiting")?,
        present: r.try_get("present")?,
        organiser_id: r.try_get("organiser_id")?,
        organiser: r.try_get("organiser_name")?,
        updated_at: instant(r, "updated_at")?,
        sequence: r.try_get("sequence")?,
        cancelled_at: maybe_instant(r, "cancelled_at")?,
    })
}

fn from_events(filter: &str, order: &str) -> String {
    format!(
        "{EVENT_SELECT}{AREA_COLUMNS} FROM network_events x LEFT JOIN places pl ON pl.id = x.place_id \
         LEFT JOIN networks n ON n.id = x.network_id LEFT JOIN people op ON op.id = x.organiser_id {AREA_JOINS} \
         WHERE {filter} ORDER BY {order} LIMIT 500"
    )
}

pub(crate) async fn event_in(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<EventView>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(from_events("x.id = $1", "x.id")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(event_from).transpose()
}

impl Database {
    pub async fn network_event(&self, id: i64) -> Result<Option<EventView>, StoreError> {
        event_in(&mut *self.pool().acquire().await?, id).await
    }

    /// Events, soonest first (upcoming) or latest first (over).
    pub async fn network_events(&self, q: &EventQuery) -> Result<Vec<EventView>, StoreError> {
        let mut clauses = vec!["1 = 1".to_string()];
        let mut params = Vec::new();
        let mut order = "x.starts_at, x.id";
        if let Some(at) = q.upcoming_at {
            params.push(Param::Text(iso(at)));
            clauses.push(format!("x.ends_at > ${}", params.len()));
        }
        if let Some(at) = q.over_at {
            params.push(Param::Text(iso(at)));
            clauses.push(format!("x.ends_at <= ${}", params.len()));
            order = "x.starts_at DESC, x.id DESC";
        }
        if let Some((level, code)) = &q.territory {
            params.push(Param::Text(code.clone()));
            clauses.push(format!("x.{} = ${}", super::column(*level), params.len()));
        }
        if let Some(theme) = q.theme {
            params.push(Param::Text(format!("%|{}|%", theme.code())));
            clauses.push(format!("('|' || x.themes || '|') LIKE ${}", params.len()));
        }
        if let Some(network) = q.network {
            params.push(Param::Int(network));
            clauses.push(format!("x.network_id = ${}", params.len()));
        }
        if let Some(person) = q.attendee {
            params.push(Param::Int(person));
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM network_registrations r WHERE r.event_id = x.id AND r.person_id = ${} \
                 AND r.status IN ('inscrit', 'attente'))",
                params.len()
            ));
        }
        let sql = from_events(&clauses.join(" AND "), order);
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(event_from).collect()
    }

    /// Publishes an event.
    pub async fn publish_event(
        &self,
        acting: &Member,
        e: &Event,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, EventRefusal>, StoreError> {
        self.write(&acting.acting, async |w| {
            let (location, place_id, address, link) = match &e.venue {
                Venue::Place(id) => {
                    let row = sqlx::query("SELECT commune_code FROM places WHERE id = $1")
                        .bind(*id)
                        .fetch_optional(w.conn())
                        .await?;
                    let Some(row) = row else {
                        return Ok(Err(EventRefusal::UnknownPlace));
                    };
                    let commune: Option<String> = row.try_get("commune_code")?;
                    let location = match commune {
                        Some(c) => commune_location(w.conn(), &c).await?.unwrap_or_default(),
                        None => Location::default(),
                    };
                    (location, Some(*id), None, None)
                }
                Venue::Address { address, commune } => {
                    let Some(location) = commune_location(w.conn(), commune).await? else {
                        return Ok(Err(EventRefusal::UnknownCommune(commune.clone())));
                    };
                    (location, None, Some(address.clone()), None)
                }
                Venue::Online { link } => (Location::default(), None, None, link.clone()),
            };
            if let Some(n) = e.network_id {
                let exists = sqlx::query("SELECT id FROM networks WHERE id = $1")
                    .bind(n)
                    .fetch_optional(w.conn())
                    .await?;
                if exists.is_none() {
                    return Ok(Err(EventRefusal::UnknownNetwork));
                }
            }
            let at = iso(now);
            let query = sqlx::query(
                "INSERT INTO network_events (kind, title, description, themes, starts_at, ends_at, closes_at, venue, \
                 place_id, address, link, audience, network_id, capacity, organiser_id, created_at, updated_at, \
                 commune_code, epci_siren, departement_code, region_code) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18, $19, $20) \
                 RETURNING id",
            )
            .bind(e.kind.code())
            .bind(e.title.clone())
            .bind(e.description.clone())
            .bind(join_themes(&e.themes))
            .bind(iso(e.starts_at))
            .bind(iso(e.ends_at))
            .bind(iso(e.closes_at))
            .bind(e.venue.kind().code())
            .bind(place_id)
            .bind(address)
            .bind(link)
            .bind(e.audience.code())
            .bind(e.network_id)
            .bind(e.capacity.map(i64::from))
            .bind(acting.person_id)
            .bind(at);
            let row = bind_location(query, &location).fetch_one(w.conn()).await?;
            let id: i64 = row.try_get("id")?;
            if let Some(network) = e.network_id {
                tell_network(w, id, network, acting.person_id).await?;
            }
            w.audit("network.event_published", None, Some(format!("event:{id}")), Some(e.title.clone()))
            .await?;
            Ok(Ok(id))
        })
        .await
    }

    /// A person's registration for an event, if any (withdrawn included).
    pub async fn registration(
        &self,
        event: i64,
        person: i64,
    ) -> Result<Option<Registration>, StoreError> {
        let row = sqlx::query(
            "SELECT r.status, r.attended, \
             (SELECT COUNT(*) FROM network_registrations w WHERE w.event_id = r.event_id AND w.status = 'attente' \
              AND (w.asked_at < r.asked_at OR (w.asked_at = r.asked_at AND w.id <= r.id))) AS position \
             FROM network_registrations r WHERE r.event_id = $1 AND r.person_id = $2",
        )
        .bind(event)
        .bind(person)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            let status = coded(&r, "status", RegistrationStatus::parse)?;
            let attended: Option<i64> = r.try_get("attended")?;
            Ok(Registration {
                status,
                position: (status == RegistrationStatus::Waiting)
                    .then(|| r.try_get("position"))
                    .transpose()?,
                attended: attended.map(|a| a == 1),
            })
        })
        .transpose()
    }

    /// Registers a person: a seat if one is free, the waiting list
    /// otherwise. Registering again after withdrawing goes to the end of
    /// the list.
    pub async fn register_for_event(
        &self,
        acting: &Member,
        event: i64,
        now: DateTime<Utc>,
    ) -> Result<Result<RegistrationStatus, Refused>, StoreError> {
        self.write(&acting.acting, async |w| {
            let Some(e) = event_in(w.conn(), event).await? else {
                return Ok(Err(Refused::EventCancelled));
            };
            let current = sqlx::query(
                "SELECT status FROM network_registrations WHERE event_id = $1 AND person_id = $2",
            )
            .bind(event)
            .bind(acting.person_id)
            .fetch_optional(w.conn())
            .await?;
            if let Some(c) = &current
                && coded(c, "status", RegistrationStatus::parse)? != RegistrationStatus::Cancelled
            {
                return Ok(Err(Refused::AlreadyIn));
            }
            let status = match register(e.seats(), now) {
                Ok(s) => s,
                Err(refused) => return Ok(Err(refused)),
            };
            let at = iso(now);
            let seated = (status == RegistrationStatus::Registered).then(|| at.clone());
            sqlx::query(
                "INSERT INTO network_registrations (event_id, person_id, status, asked_at, seated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (event_id, person_id) DO UPDATE SET status = $3, asked_at = $4, seated_at = $5, \
                 cancelled_at = NULL, reminded_at = NULL, attended = NULL",
            )
            .bind(event)
            .bind(acting.person_id)
            .bind(status.code())
            .bind(at)
            .bind(seated)
            .execute(w.conn())
            .await?;
            w.audit("network.registered", None, Some(format!("event:{event}")), Some(status.code().into()))
            .await?;
            Ok(Ok(status))
        })
        .await
    }

    /// Withdraws a person's registration (or place on the waiting list);
    /// a freed seat goes to the first person waiting, who is told.
    pub async fn withdraw_from_event(
        &self,
        acting: &Member,
        event: i64,
        now: DateTime<Utc>,
    ) -> Result<Result<Withdrawn, Refused>, StoreError> {
        self.write(&acting.acting, async |w| {
            let Some(e) = event_in(w.conn(), event).await? else {
                return Ok(Err(Refused::NotIn));
            };
            if let Err(refused) = may_withdraw(e.seats(), now) {
                return Ok(Err(refused));
            }
            let done = sqlx::query(
                "UPDATE network_registrations SET status = 'annule', cancelled_at = $1 \
                 WHERE event_id = $2 AND person_id = $3 AND status IN ('inscrit', 'attente')",
            )
            .bind(iso(now))
            .bind(event)
            .bind(acting.person_id)
            .execute(w.conn())
            .await?
            .rows_affected();
            if done == 0 {
                return Ok(Err(Refused::NotIn));
            }
            w.audit(
                "network.withdrawn",
                None,
                Some(format!("event:{event}")),
                None,
            )
            .await?;
            let seated = fill_seats(w, event, now).await?;
            Ok(Ok(Withdrawn { seated }))
        })
        .await
    }

    /// Cancels an event: everyone registered or waiting is told.
    pub async fn cancel_event(
        &self,
        acting: &Member,
        event: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(&acting.acting, async |w| {
                let done = sqlx::query(
                "UPDATE network_events SET cancelled_at = $1, updated_at = $1, sequence = sequence + 1 \
                 WHERE id = $2 AND cancelled_at IS NULL",
            )
            .bind(iso(now))
            .bind(event)
            .execute(w.conn())
            .await?
            .rows_affected()
                == 1;
                if done {
                    let e = event_in(w.conn(), event)
                        .await?
                        .ok_or_else(|| corrupt("event", &event.to_string()))?;
                    let notice = Notification::EventCancelled { event: e.mention() };
                    for to in addresses(w.conn(), event, "r.status IN ('inscrit', 'attente')").await? {
                        w.notify(&to, &notice).await?;
                    }
                    w.audit(
                        "network.event_cancelled",
                        None,
                        Some(format!("event:{event}")),
                        None,
                    )
                    .await?;
                }
                Ok(done)
        })
        .await
    }

    /// Changes an event's capacity (never below the seats given); freed
    /// seats go to the waiting list at once.
    pub async fn set_event_capacity(
        &self,
        acting: &Member,
        event: i64,
        capacity: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<Result<u32, passerelle_network::Problem>, StoreError> {
        self.write(&acting.acting, async |w| {
            let Some(e) = event_in(w.conn(), event).await? else {
                return Ok(Ok(0));
            };
            if let Err(p) = passerelle_network::events::check_capacity(capacity, e.seats().registered) {
                return Ok(Err(p));
            }
            sqlx::query("UPDATE network_events SET capacity = $1, updated_at = $2, sequence = sequence + 1 WHERE id = $3")
                .bind(capacity.map(i64::from))
                .bind(iso(now))
                .bind(event)
                .execute(w.conn())
                .await?;
            w.audit("network.event_capacity", None, Some(format!("event:{event}")), Some(capacity.map_or("sans limite".into(), |c| c.to_string())))
            .await?;
            let seated = fill_seats(w, event, now).await?;
            Ok(Ok(seated))
        })
        .await
    }

    /// Everyone registered, waiting or withdrawn, in order of asking.
    pub async fn attendees(&self, event: i64) -> Result<Vec<Attendee>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, p.display_name, s.nom AS structure_nom, r.status, r.asked_at, r.attended \
             FROM network_registrations r LEFT JOIN people p ON p.id = r.person_id \
             LEFT JOIN network_profiles np ON np.person_id = r.person_id LEFT JOIN structures s ON s.id = np.structure_id \
             WHERE r.event_id = $1 ORDER BY CASE r.status WHEN 'inscrit' THEN 0 WHEN 'attente' THEN 1 ELSE 2 END, r.asked_at, r.id",
        )
        .bind(event)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let attended: Option<i64> = r.try_get("attended")?;
                Ok(Attendee {
                    registration_id: r.try_get("id")?,
                    name: r.try_get("display_name")?,
                    structure: r.try_get("structure_nom")?,
                    status: coded(r, "status", RegistrationStatus::parse)?,
                    asked_at: instant(r, "asked_at")?,
                    attended: attended.map(|a| a == 1),
                })
            })
            .collect()
    }

    /// Takes attendance: the registrations listed were present, the other
    /// seats absent.
    pub async fn take_attendance(
        &self,
        acting: &Member,
        event: i64,
        present: &[i64],
    ) -> Result<(), StoreError> {
        self.write(&acting.acting, async |w| {
            let rows = sqlx::query(
                "SELECT id FROM network_registrations WHERE event_id = $1 AND status = 'inscrit'",
            )
            .bind(event)
            .fetch_all(w.conn())
            .await?;
            let mut count = 0;
            for r in &rows {
                let id: i64 = r.try_get("id")?;
                let here = present.contains(&id);
                count += i64::from(here);
                sqlx::query("UPDATE network_registrations SET attended = $1 WHERE id = $2")
                    .bind(i64::from(here))
                    .bind(id)
                    .execute(w.conn())
                    .await?;
            }
            w.audit(
                "network.attendance",
                None,
                Some(format!("event:{event}")),
                Some(format!("{count} présents sur {}", rows.len())),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Events held between `from` and `to` within a coordinator's scope
    /// (or organised by `organiser`), cancelled ones left out.
    pub async fn held_events(
        &self,
        scope: &FiguresScope,
        organiser: Option<i64>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HeldEvent>, StoreError> {
        let (clause, codes) = scope_clause(scope, 4);
        let sql = format!(
            "SELECT x.id, x.kind, x.themes, x.starts_at, {AREA_COLUMNS}, \
             (SELECT COUNT(*) FROM network_registrations r WHERE r.event_id = x.id AND r.status = 'inscrit') AS registered, \
             (SELECT COUNT(*) FROM network_registrations r WHERE r.event_id = x.id AND r.attended IS NOT NULL) AS taken, \
             (SELECT COUNT(*) FROM network_registrations r WHERE r.event_id = x.id AND r.status = 'inscrit' AND r.attended = 1) AS present \
             FROM network_events x {AREA_JOINS} \
             WHERE x.cancelled_at IS NULL AND x.starts_at >= $1 AND x.starts_at < $2 AND ({clause} OR x.organiser_id = $3) \
             ORDER BY x.starts_at"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(iso(from))
            .bind(iso(to))
            .bind(organiser.unwrap_or(0));
        for c in codes {
            query = query.bind(c);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let taken: i64 = r.try_get("taken")?;
                Ok(HeldEvent {
                    id: r.try_get("id")?,
                    kind: coded(r, "kind", EventKind::parse)?,
                    themes: coded(r, "themes", |t| split_themes(t).ok())?,
                    starts_at: instant(r, "starts_at")?,
                    area: area(r)?,
                    registered: r.try_get("registered")?,
                    present: (taken > 0).then(|| r.try_get("present")).transpose()?,
                })
            })
            .collect()
    }
}

/// Gives free seats to the waiting list, in order, and tells each person;
/// how many took a seat.
pub(crate) async fn fill_seats(
    w: &mut Write<'_>,
    event: i64,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let Some(e) = event_in(w.conn(), event).await? else {
        return Ok(0);
    };
    let n = seats_to_fill(e.seats(), u32::try_from(e.waiting).unwrap_or(u32::MAX), now);
    if n == 0 {
        return Ok(0);
    }
    let first = sqlx::query(
        "SELECT r.id, p.email FROM network_registrations r JOIN people p ON p.id = r.person_id \
         WHERE r.event_id = $1 AND r.status = 'attente' ORDER BY r.asked_at, r.id LIMIT $2",
    )
    .bind(event)
    .bind(i64::from(n))
    .fetch_all(w.conn())
    .await?;
    let notice = Notification::EventSeatGiven { event: e.mention() };
    for r in &first {
        let id: i64 = r.try_get("id")?;
        sqlx::query(
            "UPDATE network_registrations SET status = 'inscrit', seated_at = $1 WHERE id = $2",
        )
        .bind(iso(now))
        .bind(id)
        .execute(w.conn())
        .await?;
        let to: String = r.try_get("email")?;
        w.notify(&to, &notice).await?;
        w.audit(
            "network.seat_given",
            None,
            Some(format!("event:{event}")),
            Some(format!("registration:{id}")),
        )
        .await?;
    }
    Ok(first.len() as u32)
}

/// Tells the members and animators of `network` (but the organiser) that
/// `event` was published for it.
async fn tell_network(
    w: &mut Write<'_>,
    event: i64,
    network: i64,
    organiser: i64,
) -> Result<(), StoreError> {
    let e = event_in(w.conn(), event)
        .await?
        .ok_or_else(|| corrupt("event", &event.to_string()))?;
    let rows = sqlx::query(
        "SELECT p.email, n.name FROM network_members m JOIN people p ON p.id = m.person_id \
         JOIN networks n ON n.id = m.network_id \
         WHERE m.network_id = $1 AND m.role IN ('membre', 'animateur') AND m.person_id <> $2 \
         ORDER BY p.email",
    )
    .bind(network)
    .bind(organiser)
    .fetch_all(w.conn())
    .await?;
    for r in &rows {
        let to: String = r.try_get("email")?;
        let told = Notification::EventPublished {
            event: e.mention(),
            network: r.try_get("name")?,
        };
        w.notify(&to, &told).await?;
    }
    Ok(())
}

/// The addresses of an event's people matching `status` (on `r`).
pub(crate) async fn addresses(
    conn: &mut AnyConnection,
    event: i64,
    status: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT p.email FROM network_registrations r JOIN people p ON p.id = r.person_id \
         WHERE r.event_id = $1 AND {status} ORDER BY r.asked_at, r.id"
    )))
    .bind(event)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| r.try_get("email")).collect()
}

impl Database {
    /// A new calendar link for a person (the previous one stops working):
    /// the secret, of which only the SHA-256 is kept.
    pub async fn renew_calendar_token(
        &self,
        acting: &Member,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let secret = passerelle_accounts::secret::new_secret();
        self.write(&acting.acting, async |w| {
            sqlx::query(
                "INSERT INTO network_calendar_tokens (person_id, token_hash, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (person_id) DO UPDATE SET token_hash = $2, created_at = $3",
            )
            .bind(acting.person_id)
            .bind(passerelle_accounts::secret::hash_secret(&secret))
            .bind(iso(now))
            .execute(w.conn())
            .await?;
            w.audit("network.calendar_link", None, Some(format!("person:{}", acting.person_id)), None)
            .await?;
            Ok(secret)
        })
        .await
    }

    /// Whether a person has a calendar link, and since when.
    pub async fn calendar_token_since(
        &self,
        person: i64,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row =
            sqlx::query("SELECT created_at FROM network_calendar_tokens WHERE person_id = $1")
                .bind(person)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| instant(&r, "created_at")).transpose()
    }

    /// The person a calendar link belongs to.
    pub async fn calendar_person(&self, secret: &str) -> Result<Option<i64>, StoreError> {
        let row =
            sqlx::query("SELECT person_id FROM network_calendar_tokens WHERE token_hash = $1")
                .bind(passerelle_accounts::secret::hash_secret(secret))
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|r| r.try_get("person_id")).transpose()?)
    }
}
