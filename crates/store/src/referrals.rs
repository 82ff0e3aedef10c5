//! Orientations in the database. Every write is one transaction with its
//! event, its audit line and the e-mails it sends: a referral is never
//! half-written. Personal fields are read only through the functions that
//! say so (`referral_with_person`), which the web layer calls after the
//! policy and audits.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use passerelle_accounts::StructureKind;
use passerelle_accounts::notification::Notification;
use passerelle_referrals::deadlines::{Due, Periods, Tracked, due};
use passerelle_referrals::lifecycle::{Refused, Rendezvous, Side, Status, Step, StepKind, next};
use passerelle_referrals::model::{ConsentWay, NewReferral, Person, Urgency};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{Database, StoreError};

pub use crate::time::iso;
pub(crate) use crate::time::parse_iso;

/// A referral without the person: what both structures and admins see.
#[derive(Debug, Clone, Serialize)]
pub struct Referral {
    pub id: i64,
    pub sender_structure_id: i64,
    pub sender_structure: String,
    pub sender_person: String,
    pub receiver_structure_id: i64,
    pub receiver_structure: String,
    pub place_id: Option<i64>,
    pub place: Option<String>,
    pub service: String,
    pub organisation: Option<String>,
    pub urgency: Urgency,
    pub status: Status,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub last_action_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub erased_at: Option<DateTime<Utc>>,
    pub appointment_date: Option<NaiveDate>,
    /// The appointment's time (Paris), when the receiving structure gave it.
    pub appointment_time: Option<NaiveTime>,
    pub refusal_reason: Option<String>,
    pub activity_id: Option<i64>,
    pub consent_by: String,
    pub consent_at: DateTime<Utc>,
    pub consent_how: ConsentWay,
}

/// The person's fields and the texts about them.
#[derive(Debug, Clone, Serialize, Default)]
pub struct PersonalFields {
    pub person: Person,
    pub situation: String,
    pub availability: String,
}

/// A line of a referral's follow-up.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    /// Who acted, by name; none for the scheduled job.
    pub actor: Option<String>,
    pub side: Side,
    pub step: StepKind,
    pub status_from: Option<Status>,
    pub status_to: Status,
    pub detail: Option<EventDetail>,
    /// Personal: shown only with the person's fields.
    pub message: Option<String>,
}

/// What a step recorded besides its kind (serialised as the text stored:
/// the day, the reason, `lieu <id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventDetail {
    Appointment(Rendezvous),
    /// A reason of `model::REFUSAL_REASONS`.
    Refusal(String),
    /// To this place of the directory.
    Reoriented {
        place_id: i64,
    },
}

impl EventDetail {
    fn of(step: &Step) -> Option<Self> {
        match step {
            Step::Appointment(rendezvous) => Some(Self::Appointment(*rendezvous)),
            Step::Refuse { reason, .. } => Some(Self::Refusal(reason.clone())),
            Step::Reorient { place_id, .. } => Some(Self::Reoriented {
                place_id: *place_id,
            }),
            _ => None,
        }
    }

    fn stored(&self) -> String {
        match self {
            Self::Appointment(Rendezvous { day, time: None }) => day.to_string(),
            Self::Appointment(Rendezvous {
                day,
                time: Some(time),
            }) => format!("{day} {}", time.format("%H:%M")),
            Self::Refusal(reason) => reason.clone(),
            Self::Reoriented { place_id } => format!("lieu {place_id}"),
        }
    }

    /// Read back for a step of this kind; text that does not fit is corrupt.
    fn read(kind: StepKind, text: String) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("referral event detail: {text}"));
        match kind {
            StepKind::Appointment => {
                let (day, time) = text.split_once(' ').unwrap_or((&text, ""));
                let day = day.parse().map_err(|_| corrupt())?;
                let time = match time {
                    "" => None,
                    time => Some(NaiveTime::parse_from_str(time, "%H:%M").map_err(|_| corrupt())?),
                };
                Ok(Self::Appointment(Rendezvous { day, time }))
            }
            StepKind::Refuse => Ok(Self::Refusal(text)),
            StepKind::Reorient => text
                .strip_prefix("lieu ")
                .and_then(|id| id.parse().ok())
                .map(|place_id| Self::Reoriented { place_id })
                .ok_or_else(corrupt),
            _ => Err(corrupt()),
        }
    }
}

impl Serialize for EventDetail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.stored())
    }
}

/// Who does something, from which end.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub person_id: Option<i64>,
    pub side: Side,
}

#[derive(Debug)]
pub enum StepError {
    /// Someone changed it since it was read: reload and decide again.
    Conflict,
    Refused(Refused),
    NotFound,
    Store(StoreError),
}

impl From<StoreError> for StepError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<sqlx::Error> for StepError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

const SELECT: &str = "SELECT r.id, r.sender_structure_id, ss.nom AS sender_structure, sp.display_name AS sender_person, \
     r.receiver_structure_id, rs.nom AS receiver_structure, r.place_id, pl.nom AS place, r.service, r.organisation, \
     r.urgency, r.status, r.version, r.created_at, r.last_action_at, r.closed_at, r.erased_at, r.appointment_date, \
     r.appointment_time, r.refusal_reason, r.activity_id, cp.display_name AS consent_by, r.consent_at, r.consent_how \
     FROM referrals r JOIN structures ss ON ss.id = r.sender_structure_id \
     JOIN people sp ON sp.id = r.sender_person_id JOIN structures rs ON rs.id = r.receiver_structure_id \
     JOIN people cp ON cp.id = r.consent_by LEFT JOIN places pl ON pl.id = r.place_id";

fn referral_of(r: &sqlx::any::AnyRow) -> Result<Referral, StoreError> {
    Ok(Referral {
        id: r.try_get("id")?,
        sender_structure_id: r.try_get("sender_structure_id")?,
        sender_structure: r.try_get("sender_structure")?,
        sender_person: r.try_get("sender_person")?,
        receiver_structure_id: r.try_get("receiver_structure_id")?,
        receiver_structure: r.try_get("receiver_structure")?,
        place_id: r.try_get("place_id")?,
        place: r.try_get("place")?,
        service: r.try_get("service")?,
        organisation: r.try_get("organisation")?,
        urgency: urgency_of(r)?,
        status: status_of(r)?,
        version: r.try_get("version")?,
        created_at: instant(r, "created_at")?,
        last_action_at: instant(r, "last_action_at")?,
        closed_at: optional_instant(r, "closed_at")?,
        erased_at: optional_instant(r, "erased_at")?,
        appointment_date: r
            .try_get::<Option<String>, _>("appointment_date")?
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| StoreError::Corrupt(format!("not a day: {d}")))
            })
            .transpose()?,
        appointment_time: r
            .try_get::<Option<String>, _>("appointment_time")?
            .map(|t| {
                NaiveTime::parse_from_str(&t, "%H:%M")
                    .map_err(|_| StoreError::Corrupt(format!("not a time: {t}")))
            })
            .transpose()?,
        refusal_reason: r.try_get("refusal_reason")?,
        activity_id: r.try_get("activity_id")?,
        consent_by: r.try_get("consent_by")?,
        consent_at: instant(r, "consent_at")?,
        consent_how: {
            let code: String = r.try_get("consent_how")?;
            ConsentWay::parse(&code)
                .ok_or_else(|| StoreError::Corrupt(format!("consent_how {code:?}")))?
        },
    })
}

/// A stored instant (RFC 3339 text); anything else is corruption.
fn instant(r: &sqlx::any::AnyRow, column: &str) -> Result<DateTime<Utc>, StoreError> {
    let text: String = r.try_get(column)?;
    parse_iso(&text)
        .ok_or_else(|| StoreError::Corrupt(format!("{column} is not an instant: {text}")))
}

fn optional_instant(
    r: &sqlx::any::AnyRow,
    column: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    match r.try_get::<Option<String>, _>(column)? {
        None => Ok(None),
        Some(_) => instant(r, column).map(Some),
    }
}

fn status_of(r: &sqlx::any::AnyRow) -> Result<Status, StoreError> {
    let code: String = r.try_get("status")?;
    Status::parse(&code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown referral status: {code}")))
}

fn urgency_of(r: &sqlx::any::AnyRow) -> Result<Urgency, StoreError> {
    let code: String = r.try_get("urgency")?;
    Urgency::parse(&code).ok_or_else(|| StoreError::Corrupt(format!("unknown urgency: {code}")))
}

pub(crate) async fn audit(
    conn: &mut AnyConnection,
    at: &str,
    action: &str,
    actor: Option<i64>,
    structure: Option<i64>,
    referral: i64,
    detail: Option<String>,
) -> Result<(), sqlx::Error> {
    audit_subject(
        conn,
        at,
        action,
        actor,
        structure,
        format!("referral:{referral}"),
        detail,
    )
    .await
}

/// An audit line written in the caller's transaction.
pub(crate) async fn audit_subject(
    conn: &mut AnyConnection,
    at: &str,
    action: &str,
    actor: Option<i64>,
    structure: Option<i64>,
    subject: String,
    detail: Option<String>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (at, action, actor_person_id, structure_id, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at.to_string())
    .bind(action.to_string())
    .bind(actor)
    .bind(structure)
    .bind(subject)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A notification to the people working in a structure, queued in the
/// outbox in the same transaction. No personal field goes into it: the
/// referral is named by its number, and reading it requires signing in.
pub(crate) async fn mail_structure(
    conn: &mut AnyConnection,
    at: &str,
    structure: i64,
    notification: &Notification,
) -> Result<(), StoreError> {
    let at = parse_iso(at).unwrap_or_else(Utc::now);
    for to in crate::outbox::working_in(conn, structure).await? {
        crate::outbox::enqueue(conn, &to, notification, at).await?;
    }
    Ok(())
}

/// Erasing the person's fields of one record: `fields` (parameters: the
/// time, the id) empties them and marks the record erased, only if it was
/// not; then `texts` (parameter: the id) empties the messages about them,
/// and the audit line says who asked, or that the retention period is
/// over. One transaction; false when it was erased already.
pub(crate) struct Erasure {
    pub fields: &'static str,
    pub texts: &'static str,
    pub action: &'static str,
    pub subject: String,
}

impl Erasure {
    pub(crate) async fn run(
        self,
        db: &Database,
        id: i64,
        actor: Option<i64>,
        structure: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let at = iso(now);
        let mut tx = db.begin_write().await?;
        let done = sqlx::query(self.fields)
            .bind(at.clone())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if done {
            sqlx::query(self.texts).bind(id).execute(&mut *tx).await?;
            let why = if actor.is_some() {
                "on request"
            } else {
                "retention period over"
            };
            audit_subject(
                &mut tx,
                &at,
                self.action,
                actor,
                structure,
                self.subject,
                Some(why.into()),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }
}

#[allow(clippy::too_many_arguments)]
async fn event(
    conn: &mut AnyConnection,
    referral: i64,
    at: &str,
    actor: Actor,
    step: StepKind,
    from: Option<Status>,
    to: Status,
    detail: Option<EventDetail>,
    message: Option<String>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO referral_events (referral_id, at, actor_person_id, side, step, status_from, status_to, detail, message) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(referral)
    .bind(at.to_string())
    .bind(actor.person_id)
    .bind(actor.side.code().to_string())
    .bind(step.code().to_string())
    .bind(from.map(|s| s.code().to_string()))
    .bind(to.code().to_string())
    .bind(detail.as_ref().map(EventDetail::stored))
    .bind(message)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Who sends a referral, and which structure receives it.
#[derive(Debug, Clone, Copy)]
pub struct Parties {
    pub sender_structure: i64,
    pub sender_person: i64,
    pub receiver_structure: i64,
}

/// Summary lines of a list: no personal field.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub id: i64,
    pub other_structure: String,
    pub place: Option<String>,
    pub service: String,
    pub urgency: Urgency,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub last_action_at: DateTime<Utc>,
}

impl Database {
    /// Creates a referral (already validated, consent given). With an
    /// idempotency key, a repeated submission by the same person of the
    /// same structure returns the first referral and writes nothing. The receiving structure's members get an e-mail.
    pub async fn create_referral(
        &self,
        r: &NewReferral,
        parties: Parties,
        key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(i64, bool), StoreError> {
        let Parties {
            sender_structure,
            sender_person,
            receiver_structure,
        } = parties;
        let consent = r
            .consent
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("a referral without consent".into()))?;
        let how = consent
            .how
            .ok_or_else(|| StoreError::Corrupt("a consent without its way".into()))?;
        let at = iso(now);
        let mut tx = self.begin_write().await?;
        if let Some(key) = key {
            // A key is the sender's own: another person's or structure's
            // identical key is another key.
            let known = sqlx::query(
                "SELECT id FROM referrals WHERE sender_structure_id = $1 AND sender_person_id = $2 \
                 AND idempotency_key = $3",
            )
            .bind(sender_structure)
            .bind(sender_person)
            .bind(key.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = known {
                return Ok((row.try_get("id")?, false));
            }
        }
        let p = &r.person;
        let id: i64 = sqlx::query(
            "INSERT INTO referrals (sender_structure_id, sender_person_id, receiver_structure_id, place_id, service, \
             organisation, urgency, status, version, idempotency_key, created_at, last_action_at, consent_by, consent_at, \
             consent_how, person_first_name, person_channel, person_contact, person_caf_number, person_ft_number, situation, availability) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
        )
        .bind(sender_structure)
        .bind(sender_person)
        .bind(receiver_structure)
        .bind(r.place_id)
        .bind(r.service.clone())
        .bind(r.organisation.clone())
        .bind(r.urgency.clone())
        .bind(Status::Envoyee.code().to_string())
        .bind(key.map(str::to_string))
        .bind(at.clone())
        .bind(consent.informed_by)
        .bind(iso(consent.at))
        .bind(how.code().to_string())
        .bind(p.first_name.trim().to_string())
        .bind(p.channel.clone())
        .bind(p.contact.trim().to_string())
        .bind(p.caf_number.clone())
        .bind(p.france_travail_number.clone())
        .bind(r.situation.trim().to_string())
        .bind(r.availability.trim().to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let actor = Actor {
            person_id: Some(sender_person),
            side: Side::Sender,
        };
        event(
            &mut tx,
            id,
            &at,
            actor,
            StepKind::Sent,
            None,
            Status::Envoyee,
            None,
            None,
        )
        .await?;
        audit(
            &mut tx,
            &at,
            "referral.create",
            Some(sender_person),
            Some(sender_structure),
            id,
            Some(format!(
                "to structure {receiver_structure}; consent {}",
                how.code()
            )),
        )
        .await?;
        mail_structure(
            &mut tx,
            &at,
            receiver_structure,
            &Notification::ReferralReceived {
                referral: id,
                service: r.service.clone(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok((id, true))
    }

    /// Structures with a SIRET: a place of the directory is received by the
    /// structure whose SIRET is its pivot.
    pub async fn structure_sirets(
        &self,
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT siret, id FROM structures WHERE siret IS NOT NULL ORDER BY id DESC",
        )
        .fetch_all(self.pool())
        .await?;
        crate::map_rows(&rows, |r| Ok((r.try_get("siret")?, r.try_get("id")?)))
    }

    /// A referral without the person's fields.
    pub async fn referral(&self, id: i64) -> Result<Option<Referral>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(referral_of).transpose()
    }

    /// The person's fields, audited as a read by this person of this
    /// structure (the caller has asked the policy). None once erased.
    pub async fn referral_person(
        &self,
        id: i64,
        reader: i64,
        structure: i64,
        why: &str,
    ) -> Result<Option<PersonalFields>, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT person_first_name, person_channel, person_contact, person_caf_number, person_ft_number, situation, availability \
             FROM referrals WHERE id = $1 AND erased_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let fields = match row {
            None => None,
            Some(r) => Some(PersonalFields {
                person: Person {
                    first_name: r
                        .try_get::<Option<String>, _>("person_first_name")?
                        .unwrap_or_default(),
                    channel: r
                        .try_get::<Option<String>, _>("person_channel")?
                        .unwrap_or_default(),
                    contact: r
                        .try_get::<Option<String>, _>("person_contact")?
                        .unwrap_or_default(),
                    caf_number: r.try_get("person_caf_number")?,
                    france_travail_number: r.try_get("person_ft_number")?,
                },
                situation: r
                    .try_get::<Option<String>, _>("situation")?
                    .unwrap_or_default(),
                availability: r
                    .try_get::<Option<String>, _>("availability")?
                    .unwrap_or_default(),
            }),
        };
        if fields.is_some() {
            audit(
                &mut tx,
                &crate::time::now_iso(),
                "referral.read_person",
                Some(reader),
                Some(structure),
                id,
                Some(why.to_string()),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(fields)
    }

    /// The follow-up, oldest first; messages only when `with_messages`.
    pub async fn referral_events(
        &self,
        id: i64,
        with_messages: bool,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.at, p.display_name AS actor, e.side, e.step, e.status_from, e.status_to, e.detail, e.message \
             FROM referral_events e LEFT JOIN people p ON p.id = e.actor_person_id WHERE e.referral_id = $1 ORDER BY e.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let code = |column: &str| -> Result<String, StoreError> { Ok(r.try_get(column)?) };
                let status = |text: String| {
                    Status::parse(&text).ok_or_else(|| {
                        StoreError::Corrupt(format!("unknown referral status: {text}"))
                    })
                };
                let side = code("side")?;
                let step = code("step")?;
                let step = StepKind::parse(&step)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown referral step: {step}")))?;
                Ok(Event {
                    at: instant(r, "at")?,
                    actor: r.try_get("actor")?,
                    side: Side::parse(&side).ok_or_else(|| {
                        StoreError::Corrupt(format!("unknown referral side: {side}"))
                    })?,
                    step,
                    status_from: r
                        .try_get::<Option<String>, _>("status_from")?
                        .map(status)
                        .transpose()?,
                    status_to: status(code("status_to")?)?,
                    detail: r
                        .try_get::<Option<String>, _>("detail")?
                        .map(|d| EventDetail::read(step, d))
                        .transpose()?,
                    message: if with_messages {
                        r.try_get("message")?
                    } else {
                        None
                    },
                })
            })
            .collect()
    }

    /// Referrals sent by (`sent`) or to these structures, newest first.
    pub async fn referral_lines(
        &self,
        structures: &[i64],
        sent: bool,
    ) -> Result<Vec<Line>, StoreError> {
        let mut out = Vec::new();
        let (mine, other) = if sent {
            ("sender_structure_id", "receiver_structure_id")
        } else {
            ("receiver_structure_id", "sender_structure_id")
        };
        for s in structures {
            let sql = format!(
                "SELECT r.id, o.nom AS other_structure, pl.nom AS place, r.service, r.urgency, r.status, r.created_at, r.last_action_at \
                 FROM referrals r JOIN structures o ON o.id = r.{other} LEFT JOIN places pl ON pl.id = r.place_id \
                 WHERE r.{mine} = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT 500"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(*s)
                .fetch_all(self.pool())
                .await?;
            for r in &rows {
                out.push(Line {
                    id: r.try_get("id")?,
                    other_structure: r.try_get("other_structure")?,
                    place: r.try_get("place")?,
                    service: r.try_get("service")?,
                    urgency: urgency_of(r)?,
                    status: status_of(r)?,
                    created_at: instant(r, "created_at")?,
                    last_action_at: instant(r, "last_action_at")?,
                });
            }
        }
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    /// Takes a step on a referral seen at `version`. The other structure
    /// is told by e-mail of what concerns it.
    pub async fn referral_step(
        &self,
        id: i64,
        version: i64,
        step: &Step,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<Status, StepError> {
        let at = iso(now);
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT status, version, sender_structure_id, receiver_structure_id, created_at, erased_at FROM referrals WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StepError::NotFound)?;
        // Once the person's fields are erased, no message about them is kept.
        let erased = row.try_get::<Option<String>, _>("erased_at")?.is_some();
        let status = Status::parse(&row.try_get::<String, _>("status")?)
            .ok_or_else(|| StoreError::Corrupt("unknown referral status".into()))?;
        let current: i64 = row.try_get("version")?;
        let (sender, mut receiver): (i64, i64) = (
            row.try_get("sender_structure_id")?,
            row.try_get("receiver_structure_id")?,
        );
        if current != version {
            return Err(StepError::Conflict);
        }
        let to = next(status, step, actor.side).map_err(StepError::Refused)?;
        let detail = EventDetail::of(step);
        let message = match step {
            Step::Refuse { message, .. } => {
                Some(message.clone()).filter(|m| !m.trim().is_empty() && !erased)
            }
            _ => None,
        };
        if let Step::Reorient { structure_id, .. } = step {
            receiver = *structure_id;
        }
        let closed = to.is_closed().then(|| at.clone());
        let done = sqlx::query(
            "UPDATE referrals SET status = $1, version = version + 1, last_action_at = $2, \
             first_action_at = COALESCE(first_action_at, CASE WHEN $3 = 'systeme' THEN NULL ELSE $2 END), \
             closed_at = COALESCE($4, closed_at), reminded_at = CASE WHEN $5 = 1 THEN NULL ELSE reminded_at END, \
             appointment_date = COALESCE($6, appointment_date), refusal_reason = COALESCE($7, refusal_reason), \
             receiver_structure_id = $8, place_id = COALESCE($9, place_id), \
             appointment_time = CASE WHEN $6 IS NULL THEN appointment_time ELSE $12 END \
             WHERE id = $10 AND version = $11",
        )
        .bind(to.code().to_string())
        .bind(at.clone())
        .bind(if actor.side == Side::System { "systeme" } else { "personne" }.to_string())
        .bind(closed)
        .bind(i64::from(matches!(step, Step::Reorient { .. })))
        .bind(match step {
            Step::Appointment(rendezvous) => Some(rendezvous.day.to_string()),
            _ => None,
        })
        .bind(match step {
            Step::Refuse { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .bind(receiver)
        .bind(match step {
            Step::Reorient { place_id, .. } => Some(*place_id),
            _ => None,
        })
        .bind(id)
        .bind(version)
        .bind(match step {
            Step::Appointment(Rendezvous {
                time: Some(time), ..
            }) => Some(time.format("%H:%M").to_string()),
            _ => None,
        })
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StepError::Conflict);
        }
        event(
            &mut tx,
            id,
            &at,
            actor,
            step.kind(),
            Some(status),
            to,
            detail,
            message,
        )
        .await?;
        let acting_structure = match actor.side {
            Side::Sender => Some(sender),
            Side::Receiver => Some(receiver),
            Side::System => None,
        };
        audit(
            &mut tx,
            &at,
            &format!("referral.{}", step.code()),
            actor.person_id,
            acting_structure,
            id,
            Some(format!("{} -> {}", status.code(), to.code())),
        )
        .await?;
        // Tell the other end.
        let to_structure = match (step, actor.side) {
            (Step::Reorient { .. }, _) => Some(receiver),
            (Step::Open, _) => None,
            (_, Side::Receiver) => Some(sender),
            (Step::Cancel, _) => Some(receiver),
            (Step::Expire | Step::Lapse, _) => Some(sender),
            _ => None,
        };
        if let Some(s) = to_structure {
            mail_structure(
                &mut tx,
                &at,
                s,
                &Notification::ReferralStep {
                    referral: id,
                    status: to.code().to_string(),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(to)
    }

    /// Erases the person's fields now (right to erasure, or the end of
    /// the retention period); the follow-up stays, anonymous. Idempotent.
    pub async fn erase_referral_person(
        &self,
        id: i64,
        actor: Option<i64>,
        structure: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let erasure = Erasure {
            fields: "UPDATE referrals SET person_first_name = NULL, person_channel = NULL, person_contact = NULL, \
             person_caf_number = NULL, person_ft_number = NULL, situation = NULL, availability = NULL, erased_at = $1 \
             WHERE id = $2 AND erased_at IS NULL",
            texts: "UPDATE referral_events SET message = NULL WHERE referral_id = $1",
            action: "referral.erase_person",
            subject: format!("referral:{id}"),
        };
        erasure.run(self, id, actor, structure, now).await
    }

    /// The scheduled job: reminders, expiries, referrals left "sans
    /// suite" and erasures due at `now`, then the same for "situation
    /// complexe" requests. Idempotent: running it twice does nothing more.
    /// Referrals already erased (on request) while still open are still
    /// moved to a closed status.
    pub async fn run_referral_deadlines(
        &self,
        now: DateTime<Utc>,
        periods: Periods,
    ) -> Result<DeadlineReport, StoreError> {
        let rows = sqlx::query(
            "SELECT id, status, version, last_action_at, reminded_at, appointment_date, closed_at, erased_at, \
             receiver_structure_id FROM referrals WHERE erased_at IS NULL OR closed_at IS NULL ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut report = DeadlineReport::default();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let Some(status) = Status::parse(&r.try_get::<String, _>("status")?) else {
                continue;
            };
            let version: i64 = r.try_get("version")?;
            let tracked = Tracked {
                status,
                last_action: parse_iso(&r.try_get::<String, _>("last_action_at")?).unwrap_or(now),
                reminded: r.try_get::<Option<String>, _>("reminded_at")?.is_some(),
                appointment: r
                    .try_get::<Option<String>, _>("appointment_date")?
                    .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                closed_at: r
                    .try_get::<Option<String>, _>("closed_at")?
                    .and_then(|t| parse_iso(&t)),
                erased: r.try_get::<Option<String>, _>("erased_at")?.is_some(),
            };
            let receiver: i64 = r.try_get("receiver_structure_id")?;
            let system = Actor {
                person_id: None,
                side: Side::System,
            };
            match due(&tracked, now, periods) {
                Due::Nothing => {}
                Due::Remind => {
                    let at = iso(now);
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query(
                        "UPDATE referrals SET reminded_at = $1 WHERE id = $2 AND version = $3 AND reminded_at IS NULL",
                    )
                    .bind(at.clone())
                    .bind(id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 1 {
                        mail_structure(
                            &mut tx,
                            &at,
                            receiver,
                            &Notification::ReferralReminder {
                                referral: id,
                                days: periods.reminder_days,
                            },
                        )
                        .await?;
                        report.reminded += 1;
                    }
                    tx.commit().await?;
                }
                Due::Expire | Due::Lapse => {
                    let step = if tracked.status == Status::RendezVousFixe {
                        Step::Lapse
                    } else {
                        Step::Expire
                    };
                    match self.referral_step(id, version, &step, system, now).await {
                        Ok(Status::SansSuite) => report.lapsed += 1,
                        Ok(_) => report.expired += 1,
                        // Someone acted meanwhile: not due any more.
                        Err(StepError::Conflict | StepError::Refused(_)) => {}
                        Err(StepError::NotFound) => {}
                        Err(StepError::Store(e)) => return Err(e),
                    }
                }
                Due::Erase => {
                    if self.erase_referral_person(id, None, None, now).await? {
                        report.erased += 1;
                    }
                }
            }
        }
        // Situation complexe requests: closed when idle, same retention.
        let (expired, erased) = self.run_request_deadlines(now, periods).await?;
        report.requests_expired += expired;
        report.erased += erased;
        if report.erased > 0 {
            self.flush_erasures().await?;
        }
        Ok(report)
    }

    /// Links the accompaniment recorded in Activités that answers it.
    pub async fn link_referral_activity(
        &self,
        id: i64,
        activity: i64,
        actor: i64,
        structure: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE referrals SET activity_id = $1, version = version + 1 WHERE id = $2 AND receiver_structure_id = $3 \
             AND EXISTS (SELECT 1 FROM activities a WHERE a.id = $1 AND a.structure_id = $3)",
        )
        .bind(activity)
        .bind(id)
        .bind(structure)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            audit(
                &mut tx,
                &crate::time::now_iso(),
                "referral.link_activity",
                Some(actor),
                Some(structure),
                id,
                Some(format!("activity {activity}")),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Anonymous figures for coordinators: flows between kinds of
    /// structures, outcomes, and delays, over referrals created in a
    /// period whose sending structure lies in the département (`None`:
    /// everywhere).
    pub async fn referral_stats(
        &self,
        departement: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ReferralStats, StoreError> {
        let rows = sqlx::query(
            "SELECT ss.kind AS sender_kind, rs.kind AS receiver_kind, r.status, r.created_at, r.first_action_at, r.closed_at \
             FROM referrals r JOIN structures ss ON ss.id = r.sender_structure_id \
             JOIN structures rs ON rs.id = r.receiver_structure_id \
             LEFT JOIN communes c ON c.code = ss.commune_code \
             WHERE ($1 = '' OR c.departement_code = $1) AND r.created_at >= $2 AND r.created_at < $3",
        )
        .bind(departement.unwrap_or("").to_string())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut stats = ReferralStats::default();
        let mut first_days = Vec::new();
        let mut close_days = Vec::new();
        for r in &rows {
            let kind = |column: &str| -> Result<StructureKind, StoreError> {
                let code: String = r.try_get(column)?;
                StructureKind::parse(&code)
                    .ok_or_else(|| StoreError::Corrupt(format!("{column}: {code}")))
            };
            let (sk, rk, status) = (kind("sender_kind")?, kind("receiver_kind")?, status_of(r)?);
            let created = parse_iso(&r.try_get::<String, _>("created_at")?);
            let days = |t: Option<String>| {
                let (c, t) = (created?, parse_iso(&t?)?);
                Some((t - c).num_minutes() as f64 / 1440.0)
            };
            if let Some(d) = days(r.try_get("first_action_at")?) {
                first_days.push(d);
            }
            if let Some(d) = days(r.try_get("closed_at")?) {
                close_days.push(d);
            }
            *stats.flows.entry((sk, rk)).or_default() += 1;
            *stats.statuses.entry(status).or_default() += 1;
            stats.total += 1;
        }
        stats.median_days_to_first_action = median(&mut first_days);
        stats.median_days_to_closure = median(&mut close_days);
        Ok(stats)
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeadlineReport {
    pub reminded: usize,
    pub expired: usize,
    /// Referrals closed "sans suite" (appointment long past, no outcome).
    pub lapsed: usize,
    /// "Situation complexe" requests closed after the idle period.
    pub requests_expired: usize,
    /// Referrals and requests whose personal fields were erased.
    pub erased: usize,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct ReferralStats {
    pub total: i64,
    /// (sending kind, receiving kind) → referrals.
    pub flows: std::collections::HashMap<(StructureKind, StructureKind), i64>,
    /// status → referrals.
    pub statuses: std::collections::HashMap<Status, i64>,
    pub median_days_to_first_action: Option<f64>,
    pub median_days_to_closure: Option<f64>,
}
