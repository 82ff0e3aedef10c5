//! What Passerelle tells people on a schedule about what they look after,
//! outside Réseau and Orientations: the surveys of their structure about
//! to close (`tell_surveys_closing`), and, for coordinators, the places of
//! their territory left without update (`tell_stale_places`, from the same
//! list `/lieux/coordination` shows: `stale_places`). Each run is one
//! write, its notifications queued as each person chose for the topic.

use chrono::{Days, NaiveDate};
use passerelle_accounts::notification::{Notification, PlaceMention};
use passerelle_accounts::policy::{Action, Actor, Location, authorize, territorial_scope};
use sqlx::Row;

use crate::accounts::MembershipView;
use crate::write::Acting;
use crate::{Database, StoreError};

/// A place whose last update (`date_maj`) is old, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StalePlace {
    pub id: i64,
    pub name: String,
    /// The name of its commune in the reference; empty when not attached.
    pub commune: String,
    pub updated_on: NaiveDate,
    pub location: Location,
}

/// The places a stale-places message lists by name (the count says the rest).
const LISTED: usize = 20;

fn day(text: &str, what: &str) -> Result<NaiveDate, StoreError> {
    text.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| StoreError::Corrupt(format!("{what}: day {text:?}")))
}

impl Database {
    /// The places last updated before `before`, oldest first.
    pub async fn stale_places(&self, before: NaiveDate) -> Result<Vec<StalePlace>, StoreError> {
        let rows = sqlx::query(
            "SELECT pl.id, pl.nom, pl.date_maj, c.nom AS commune_nom, c.code AS commune_code, \
             c.epci_siren, c.departement_code, d.region_code FROM places pl \
             LEFT JOIN communes c ON c.code = pl.commune_code \
             LEFT JOIN departements d ON d.code = c.departement_code \
             WHERE pl.date_maj < $1 ORDER BY pl.date_maj, pl.id",
        )
        .bind(before.format("%Y-%m-%d").to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let updated: String = r.try_get("date_maj")?;
                let commune: Option<String> = r.try_get("commune_nom")?;
                Ok(StalePlace {
                    id: r.try_get("id")?,
                    name: r.try_get("nom")?,
                    commune: commune.unwrap_or_default(),
                    updated_on: day(&updated, "place date_maj")?,
                    location: Location {
                        commune: r.try_get("commune_code")?,
                        epci: r.try_get("epci_siren")?,
                        departement: r.try_get("departement_code")?,
                        region: r.try_get("region_code")?,
                    },
                })
            })
            .collect()
    }

    /// The people who coordinate a territory (an active account with a
    /// coordination scope), as the policy sees them, with their address.
    async fn coordinators(&self) -> Result<Vec<(String, Actor)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT p.id, p.email FROM coordination_scopes c \
             JOIN memberships m ON m.id = c.membership_id JOIN people p ON p.id = m.person_id \
             WHERE m.ended_at IS NULL AND p.deactivated_at IS NULL ORDER BY p.id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut found = Vec::new();
        for r in &rows {
            let person_id: i64 = r.try_get("id")?;
            let memberships = self.memberships_of(person_id).await?;
            found.push((
                r.try_get("email")?,
                Actor::Person {
                    person_id,
                    memberships: memberships.iter().map(MembershipView::policy).collect(),
                },
            ));
        }
        Ok(found)
    }

    /// Tells each coordinator how many places of their territory
    /// (`policy::territorial_scope`) were last updated before `before`,
    /// naming the oldest; nothing to those with none. Returns how many
    /// were told (or held it for their digest).
    pub async fn tell_stale_places(&self, before: NaiveDate) -> Result<usize, StoreError> {
        let stale = self.stale_places(before).await?;
        let mut messages = Vec::new();
        for (to, actor) in self.coordinators().await? {
            if authorize(&actor, Action::CoordinatePlaces).is_err() {
                continue;
            }
            let scope = territorial_scope(&actor);
            let theirs: Vec<&StalePlace> =
                stale.iter().filter(|p| scope.covers(&p.location)).collect();
            if theirs.is_empty() {
                continue;
            }
            let places = theirs
                .iter()
                .take(LISTED)
                .map(|p| PlaceMention {
                    id: p.id,
                    name: p.name.clone(),
                    commune: p.commune.clone(),
                    updated_on: p.updated_on,
                })
                .collect();
            messages.push((
                to,
                Notification::StalePlaces {
                    before,
                    count: theirs.len() as i64,
                    places,
                },
            ));
        }
        self.write(&Acting::system(), async |w| {
            let mut told = 0;
            for (to, message) in &messages {
                told += usize::from(w.notify(to, message).await?.is_some());
            }
            if told > 0 {
                w.audit(
                    "places.stale_told",
                    None,
                    None,
                    Some(format!("{told} coordinateurs")),
                )
                .await?;
            }
            Ok(told)
        })
        .await
    }

    /// Tells the gestionnaires of each online survey closing within
    /// `passerelle_surveys::CLOSING_NOTICE_DAYS` of `today` (today
    /// included), once for each closing date: the date told is recorded in
    /// the same transaction, so servers running this together, or a run
    /// repeated, tell nobody twice. Returns how many surveys were told of.
    pub async fn tell_surveys_closing(&self, today: NaiveDate) -> Result<usize, StoreError> {
        let last = today
            .checked_add_days(Days::new(passerelle_surveys::CLOSING_NOTICE_DAYS))
            .unwrap_or(NaiveDate::MAX);
        let rows = sqlx::query(
            "SELECT id FROM surveys WHERE status = 'en_ligne' AND closes_on >= $1 AND closes_on <= $2 \
             AND (closing_told_on IS NULL OR closing_told_on <> closes_on) ORDER BY id",
        )
        .bind(today.format("%Y-%m-%d").to_string())
        .bind(last.format("%Y-%m-%d").to_string())
        .fetch_all(self.pool())
        .await?;
        let mut told = 0;
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            told += self
                .write(&Acting::system(), async |w| {
                    let mine = sqlx::query(
                        "UPDATE surveys SET closing_told_on = closes_on WHERE id = $1 \
                         AND (closing_told_on IS NULL OR closing_told_on <> closes_on)",
                    )
                    .bind(id)
                    .execute(w.conn())
                    .await?
                    .rows_affected()
                        == 1;
                    if !mine {
                        return Ok(0);
                    }
                    let survey = sqlx::query(
                        "SELECT slug, title, structure_id, closes_on FROM surveys WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_one(w.conn())
                    .await?;
                    let closes: String = survey.try_get("closes_on")?;
                    let slug: String = survey.try_get("slug")?;
                    let structure: i64 = survey.try_get("structure_id")?;
                    let message = Notification::SurveyClosing {
                        survey: id,
                        slug: slug.clone(),
                        title: survey.try_get("title")?,
                        closes_on: day(&closes, "survey closes_on")?,
                    };
                    for to in crate::outbox::managing(w.conn(), structure).await? {
                        w.notify(&to, &message).await?;
                    }
                    w.audit("survey.closing_told", Some(structure), Some(slug), None)
                        .await?;
                    Ok(1)
                })
                .await?;
        }
        Ok(told)
    }
}
