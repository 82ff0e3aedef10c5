//! Referents inside administrations and "situation complexe" requests, in
//! the database. Same rules as referrals: one transaction per write with
//! its audit line and e-mails, optimistic concurrency on requests, the
//! person's fields read only through `request_person` (audited).
//!
//! An entry says who created it and who validated it; only a validated
//! entry's structure receives requests (`create_request` refuses the
//! others). A request's subject, description, person's details and thread
//! are erased together (`erase_request_person`, and `run_request_deadlines`
//! after the retention period); e-mails never carry them.

use chrono::{DateTime, NaiveDate, Utc};
use passerelle_accounts::StructureKind;
use passerelle_accounts::notification::Notification;
use passerelle_referrals::deadlines::{Periods, RequestDue, request_due};
use passerelle_referrals::referents::{
    ComplexRequest, Mandate, Outcome, Referent, RequestSide, RequestStatus,
};
use serde::Serialize;
use sqlx::Row;

use crate::referrals::{Erasure, audit_subject, iso, mail_structure, parse_iso};
use crate::{Database, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct ReferentRow {
    pub id: i64,
    pub organisation: String,
    pub territory: String,
    pub structure_id: Option<i64>,
    pub structure: Option<String>,
    /// The kind of that structure: whether it may stand for the
    /// organisation is the policy's question.
    pub structure_kind: Option<StructureKind>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub scope: String,
    pub updated_at: DateTime<Utc>,
    /// Who created the entry, and when (unknown for entries older than
    /// the rule).
    pub created_by: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// Who vouched for it, and when; `None`: awaiting validation, and
    /// receiving no request.
    pub validated_by: Option<String>,
    pub validated_at: Option<DateTime<Utc>>,
}

impl ReferentRow {
    pub fn is_validated(&self) -> bool {
        self.validated_at.is_some()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestRow {
    pub id: i64,
    pub requester_structure_id: i64,
    pub requester_structure: String,
    pub requester_person: String,
    pub organisation_structure_id: i64,
    pub organisation_structure: String,
    /// Personal free text: `None` once erased.
    pub subject: Option<String>,
    pub status: RequestStatus,
    pub outcome: Option<Outcome>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub erased_at: Option<DateTime<Utc>>,
    pub mandate_type: Mandate,
    /// The day the person agreed (none for requests older than the rule).
    pub mandate_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub at: DateTime<Utc>,
    pub author: Option<String>,
    pub side: RequestSide,
    /// Personal: empty unless asked for, and after erasure.
    pub body: Option<String>,
}

#[derive(Debug)]
pub enum RequestError {
    Conflict,
    Closed,
    /// The person's fields were erased: nothing more is written about them.
    Erased,
    NotFound,
    /// The structure is no validated referent entry's: it receives nothing.
    NotAReferentGroup,
    Store(StoreError),
}

impl From<sqlx::Error> for RequestError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<StoreError> for RequestError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

const REQUEST_SELECT: &str = "SELECT q.id, q.requester_structure_id, rs.nom AS requester_structure, \
     p.display_name AS requester_person, q.organisation_structure_id, os.nom AS organisation_structure, \
     q.subject, q.status, q.outcome, q.version, q.created_at, q.closed_at, q.erased_at, q.mandate_type, q.mandate_date \
     FROM complex_requests q JOIN structures rs ON rs.id = q.requester_structure_id \
     JOIN structures os ON os.id = q.organisation_structure_id JOIN people p ON p.id = q.requester_person_id";

/// A stored code that the closed vocabulary does not know.
fn corrupt(column: &str, code: &str) -> StoreError {
    StoreError::Corrupt(format!("{column}: unknown code {code:?}"))
}

fn request_of(r: &sqlx::any::AnyRow) -> Result<RequestRow, StoreError> {
    let status: String = r.try_get("status")?;
    let mandate_date: String = r.try_get("mandate_date")?;
    Ok(RequestRow {
        id: r.try_get("id")?,
        requester_structure_id: r.try_get("requester_structure_id")?,
        requester_structure: r.try_get("requester_structure")?,
        requester_person: r.try_get("requester_person")?,
        organisation_structure_id: r.try_get("organisation_structure_id")?,
        organisation_structure: r.try_get("organisation_structure")?,
        subject: Some(r.try_get::<String, _>("subject")?).filter(|s| !s.is_empty()),
        status: RequestStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        outcome: r
            .try_get::<Option<String>, _>("outcome")?
            .map(|o| Outcome::parse(&o).ok_or_else(|| corrupt("outcome", &o)))
            .transpose()?,
        version: r.try_get("version")?,
        created_at: crate::time::instant_at(r, "created_at")?,
        closed_at: crate::time::maybe_instant_at(r, "closed_at")?,
        erased_at: crate::time::maybe_instant_at(r, "erased_at")?,
        mandate_type: {
            let code: String = r.try_get("mandate_type")?;
            Mandate::parse(&code).ok_or_else(|| corrupt("mandate_type", &code))?
        },
        mandate_date: match mandate_date.as_str() {
            "" => None,
            day => Some(day.parse().map_err(|_| corrupt("mandate_date", day))?),
        },
    })
}

async fn audit(
    conn: &mut sqlx::AnyConnection,
    at: &str,
    action: &str,
    actor: Option<i64>,
    structure: Option<i64>,
    request: i64,
    detail: Option<String>,
) -> Result<(), sqlx::Error> {
    let subject = format!("complex_request:{request}");
    audit_subject(conn, at, action, actor, structure, subject, detail).await
}

impl Database {
    /// The directory, by organisation then territory.
    pub async fn referents(&self) -> Result<Vec<ReferentRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.organisation, r.territory, r.structure_id, s.nom AS structure, s.kind AS structure_kind, \
             r.name, r.email, r.phone, r.scope, r.updated_at, cp.display_name AS created_by, r.created_at, \
             vp.display_name AS validated_by, r.validated_at \
             FROM referents r LEFT JOIN structures s ON s.id = r.structure_id \
             LEFT JOIN people cp ON cp.id = r.created_by LEFT JOIN people vp ON vp.id = r.validated_by \
             ORDER BY r.organisation, r.territory, r.name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReferentRow {
                    id: r.try_get("id")?,
                    organisation: r.try_get("organisation")?,
                    territory: r.try_get("territory")?,
                    structure_id: r.try_get("structure_id")?,
                    structure: r.try_get("structure")?,
                    structure_kind: r
                        .try_get::<Option<String>, _>("structure_kind")?
                        .and_then(|k| StructureKind::parse(&k)),
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    phone: r.try_get("phone")?,
                    scope: r.try_get("scope")?,
                    updated_at: crate::time::instant_at(r, "updated_at")?,
                    created_by: r.try_get("created_by")?,
                    created_at: crate::time::maybe_instant_at(r, "created_at")?,
                    validated_by: r.try_get("validated_by")?,
                    validated_at: crate::time::maybe_instant_at(r, "validated_at")?,
                })
            })
            .collect()
    }

    /// Structures of these kinds (those that may stand for an
    /// organisation), by name: `(id, name, kind)`.
    pub async fn structures_of_kinds(
        &self,
        kinds: &[StructureKind],
    ) -> Result<Vec<(i64, String, StructureKind)>, StoreError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        // The kinds' codes are the closed vocabulary's, not input.
        let codes: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.code())).collect();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, nom, kind FROM structures WHERE kind IN ({}) ORDER BY search_key, id",
            codes.join(", ")
        )))
        .fetch_all(self.pool())
        .await?;
        let all: Vec<(i64, String, Option<StructureKind>)> = crate::map_rows(&rows, |r| {
            Ok((
                r.try_get("id")?,
                r.try_get("nom")?,
                StructureKind::parse(&r.try_get::<String, _>("kind")?),
            ))
        })?;
        Ok(all
            .into_iter()
            .filter_map(|(id, nom, kind)| Some((id, nom, kind?)))
            .collect())
    }

    /// Adds an entry (`id` None) or replaces one; audited. `validated`:
    /// `by` may vouch for it (the caller asked the policy), so it is
    /// validated at once; otherwise it awaits validation, and a changed
    /// entry needs validating again.
    pub async fn save_referent(
        &self,
        id: Option<i64>,
        r: &Referent,
        structure: Option<i64>,
        by: i64,
        validated: bool,
    ) -> Result<i64, StoreError> {
        let at = crate::time::now_iso();
        let mut tx = self.begin_write().await?;
        let sql = match id {
            None => {
                "INSERT INTO referents (organisation, territory, structure_id, name, email, phone, scope, updated_by, updated_at, \
                 validated_by, validated_at, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $8, $9) RETURNING id"
            }
            Some(_) => {
                "UPDATE referents SET organisation = $1, territory = $2, structure_id = $3, name = $4, email = $5, phone = $6, \
                 scope = $7, updated_by = $8, updated_at = $9, validated_by = $10, validated_at = $11 WHERE id = $12 RETURNING id"
            }
        };
        let voucher = validated.then_some(by);
        let mut query = sqlx::query(sql)
            .bind(r.organisation.clone())
            .bind(r.territory.clone())
            .bind(structure)
            .bind(r.name.trim().to_string())
            .bind(r.email.clone())
            .bind(r.phone.clone())
            .bind(r.scope.trim().to_string())
            .bind(by)
            .bind(at.clone())
            .bind(voucher)
            .bind(validated.then(|| at.clone()));
        if let Some(id) = id {
            query = query.bind(id);
        }
        let id: i64 = query.fetch_one(&mut *tx).await?.try_get("id")?;
        let subject = format!("referent:{id}");
        audit_subject(
            &mut tx,
            &at,
            "referent.saved",
            Some(by),
            structure,
            subject,
            Some(
                if validated {
                    "validated"
                } else {
                    "awaiting validation"
                }
                .into(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Validates an entry awaiting it (the caller asked the policy);
    /// audited in the same transaction. False when it was validated
    /// already or is gone.
    pub async fn validate_referent(&self, id: i64, by: i64) -> Result<bool, StoreError> {
        let at = crate::time::now_iso();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE referents SET validated_by = $1, validated_at = $2 WHERE id = $3 AND validated_at IS NULL",
        )
        .bind(by)
        .bind(at.clone())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            let structure: Option<i64> =
                sqlx::query("SELECT structure_id FROM referents WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("structure_id")?;
            audit_subject(
                &mut tx,
                &at,
                "referent.validated",
                Some(by),
                structure,
                format!("referent:{id}"),
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    pub async fn referent(&self, id: i64) -> Result<Option<ReferentRow>, StoreError> {
        Ok(self.referents().await?.into_iter().find(|r| r.id == id))
    }

    pub async fn delete_referent(&self, id: i64, by: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM referents WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if done {
            let (at, subject) = (crate::time::now_iso(), format!("referent:{id}"));
            audit_subject(
                &mut tx,
                &at,
                "referent.deleted",
                Some(by),
                None,
                subject,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Opens a request to an organisation's referent group (the members
    /// of its structure, told by e-mail without the subject or anything
    /// about the person). Refused (`NotAReferentGroup`) unless the
    /// structure is that of a validated referent entry.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_request(
        &self,
        q: &ComplexRequest,
        requester_structure: i64,
        requester_person: i64,
        organisation_structure: i64,
        key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(i64, bool), RequestError> {
        let at = iso(now);
        let mandate = q
            .mandate_type
            .ok_or_else(|| StoreError::Corrupt("a request without its mandate".into()))?;
        let mut tx = self.begin_write().await?;
        // A key is the requester's own: another person's or structure's
        // identical key is another key.
        if let Some(key) = key
            && let Some(row) = sqlx::query(
                "SELECT id FROM complex_requests WHERE requester_structure_id = $1 \
                 AND requester_person_id = $2 AND idempotency_key = $3",
            )
            .bind(requester_structure)
            .bind(requester_person)
            .bind(key.to_string())
            .fetch_optional(&mut *tx)
            .await?
        {
            return Ok((row.try_get("id")?, false));
        }
        let group = sqlx::query(
            "SELECT id FROM referents WHERE structure_id = $1 AND validated_at IS NOT NULL",
        )
        .bind(organisation_structure)
        .fetch_optional(&mut *tx)
        .await?;
        if group.is_none() {
            return Err(RequestError::NotAReferentGroup);
        }
        let id: i64 = sqlx::query(
            "INSERT INTO complex_requests (requester_structure_id, requester_person_id, organisation_structure_id, subject, status, \
             version, idempotency_key, created_at, mandate_type, mandate_date, description, person_details) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(requester_structure)
        .bind(requester_person)
        .bind(organisation_structure)
        .bind(q.subject.trim().to_string())
        .bind(RequestStatus::Ouverte.code().to_string())
        .bind(key.map(str::to_string))
        .bind(at.clone())
        .bind(mandate.code().to_string())
        .bind(q.mandate_date.map(|d| d.to_string()).unwrap_or_default())
        .bind(q.description.trim().to_string())
        .bind(q.person_details.trim().to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        audit(
            &mut tx,
            &at,
            "complex_request.create",
            Some(requester_person),
            Some(requester_structure),
            id,
            Some(format!(
                "to structure {organisation_structure}; mandate {}",
                mandate.code()
            )),
        )
        .await?;
        mail_structure(
            &mut tx,
            &at,
            organisation_structure,
            &Notification::RequestReceived { request: id },
        )
        .await?;
        tx.commit().await?;
        Ok((id, true))
    }

    pub async fn request(&self, id: i64) -> Result<Option<RequestRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{REQUEST_SELECT} WHERE q.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(request_of).transpose()
    }

    /// Requests made by (`sent`) or to these structures, newest first.
    pub async fn request_lines(
        &self,
        structures: &[i64],
        sent: bool,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let column = if sent {
            "q.requester_structure_id"
        } else {
            "q.organisation_structure_id"
        };
        let mut out = Vec::new();
        for s in structures {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{REQUEST_SELECT} WHERE {column} = $1 ORDER BY q.created_at DESC, q.id DESC LIMIT 500"
            )))
            .bind(*s)
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(request_of(r)?);
            }
        }
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    /// The description and the person's details, audited; None once erased.
    pub async fn request_person(
        &self,
        id: i64,
        reader: i64,
        structure: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT description, person_details FROM complex_requests WHERE id = $1 AND erased_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let out = match row {
            None => None,
            Some(r) => Some((
                r.try_get::<Option<String>, _>(0)?.unwrap_or_default(),
                r.try_get::<Option<String>, _>(1)?.unwrap_or_default(),
            )),
        };
        if out.is_some() {
            audit(
                &mut tx,
                &crate::time::now_iso(),
                "complex_request.read_person",
                Some(reader),
                Some(structure),
                id,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    pub async fn request_messages(
        &self,
        id: i64,
        with_bodies: bool,
    ) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.at, p.display_name AS author, m.side, m.body FROM complex_request_messages m \
             LEFT JOIN people p ON p.id = m.author_id WHERE m.request_id = $1 ORDER BY m.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let side: String = r.try_get("side")?;
                Ok(Message {
                    at: crate::time::instant_at(r, "at")?,
                    author: r.try_get("author")?,
                    side: RequestSide::parse(&side).ok_or_else(|| corrupt("side", &side))?,
                    body: if with_bodies {
                        r.try_get("body")?
                    } else {
                        None
                    },
                })
            })
            .collect()
    }

    /// A message in the thread, or the closing with its outcome, on the
    /// request as seen at `version`; the other side is told by e-mail.
    #[allow(clippy::too_many_arguments)]
    pub async fn request_reply(
        &self,
        id: i64,
        version: i64,
        author: i64,
        from_requester: bool,
        body: Option<&str>,
        outcome: Option<Outcome>,
        now: DateTime<Utc>,
    ) -> Result<(), RequestError> {
        let at = iso(now);
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT status, erased_at, requester_structure_id, organisation_structure_id FROM complex_requests WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(RequestError::NotFound)?;
        if row.try_get::<String, _>("status")? != RequestStatus::Ouverte.code() {
            return Err(RequestError::Closed);
        }
        if row.try_get::<Option<String>, _>("erased_at")?.is_some() {
            return Err(RequestError::Erased);
        }
        let (requester, organisation): (i64, i64) = (
            row.try_get("requester_structure_id")?,
            row.try_get("organisation_structure_id")?,
        );
        let done = sqlx::query(
            "UPDATE complex_requests SET version = version + 1, status = $1, outcome = $2, closed_at = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(
            if outcome.is_some() {
                RequestStatus::Close
            } else {
                RequestStatus::Ouverte
            }
            .code()
            .to_string(),
        )
        .bind(outcome.map(|o| o.code().to_string()))
        .bind(outcome.map(|_| at.clone()))
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(RequestError::Conflict);
        }
        let side = if from_requester {
            "demandeur"
        } else {
            "referent"
        };
        if let Some(body) = body.filter(|b| !b.trim().is_empty()) {
            sqlx::query(
                "INSERT INTO complex_request_messages (request_id, at, author_id, side, body) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(at.clone())
            .bind(author)
            .bind(side.to_string())
            .bind(body.trim().chars().take(4000).collect::<String>())
            .execute(&mut *tx)
            .await?;
        }
        audit(
            &mut tx,
            &at,
            if outcome.is_some() {
                "complex_request.close"
            } else {
                "complex_request.message"
            },
            Some(author),
            Some(if from_requester {
                requester
            } else {
                organisation
            }),
            id,
            outcome.map(|o| o.code().to_string()),
        )
        .await?;
        let to = if from_requester {
            organisation
        } else {
            requester
        };
        if outcome.is_none() {
            mail_structure(
                &mut tx,
                &at,
                to,
                &Notification::RequestMessage { request: id },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Erases the subject, the description, the person's details and the
    /// thread's messages of one request now (right to erasure, or the end
    /// of the retention period); the anonymous follow-up stays (who asked
    /// whom, when, the outcome). Idempotent: false when already erased.
    /// The caller runs `flush_erasures` afterwards.
    pub async fn erase_request_person(
        &self,
        id: i64,
        actor: Option<i64>,
        structure: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let erasure = Erasure {
            fields: "UPDATE complex_requests SET subject = '', description = NULL, person_details = NULL, erased_at = $1 \
             WHERE id = $2 AND erased_at IS NULL",
            texts: "UPDATE complex_request_messages SET body = NULL WHERE request_id = $1",
            action: "complex_request.erase_person",
            subject: format!("complex_request:{id}"),
        };
        erasure.run(self, id, actor, structure, now).await
    }

    /// The scheduled job for requests: closes those without a message for
    /// the idle period (the requester is told), erases those closed for
    /// longer than the retention period. Idempotent; returns how many were
    /// closed and erased.
    pub async fn run_request_deadlines(
        &self,
        now: DateTime<Utc>,
        periods: Periods,
    ) -> Result<(usize, usize), StoreError> {
        let rows = sqlx::query(
            "SELECT q.id, q.status, q.version, q.created_at, q.closed_at, q.erased_at, q.requester_structure_id, \
             (SELECT MAX(m.at) FROM complex_request_messages m WHERE m.request_id = q.id) AS last_message \
             FROM complex_requests q WHERE q.erased_at IS NULL OR q.status = $1 ORDER BY q.id",
        )
        .bind(RequestStatus::Ouverte.code().to_string())
        .fetch_all(self.pool())
        .await?;
        let (mut expired, mut erased) = (0, 0);
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let Some(status) = RequestStatus::parse(&r.try_get::<String, _>("status")?) else {
                continue;
            };
            let created = parse_iso(&r.try_get::<String, _>("created_at")?).unwrap_or(now);
            let last = r
                .try_get::<Option<String>, _>("last_message")?
                .and_then(|t| parse_iso(&t))
                .map_or(created, |m| m.max(created));
            let closed = r
                .try_get::<Option<String>, _>("closed_at")?
                .and_then(|t| parse_iso(&t));
            let is_erased = r.try_get::<Option<String>, _>("erased_at")?.is_some();
            match request_due(status, last, closed, is_erased, now, periods) {
                RequestDue::Nothing => {}
                RequestDue::Expire => {
                    let at = iso(now);
                    let mut tx = self.begin_write().await?;
                    let done = sqlx::query(
                        "UPDATE complex_requests SET status = $1, closed_at = $2, version = version + 1 \
                         WHERE id = $3 AND version = $4 AND status = $5",
                    )
                    .bind(RequestStatus::Expiree.code().to_string())
                    .bind(at.clone())
                    .bind(id)
                    .bind(r.try_get::<i64, _>("version")?)
                    .bind(RequestStatus::Ouverte.code().to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1;
                    if done {
                        audit(
                            &mut tx,
                            &at,
                            "complex_request.expire",
                            None,
                            None,
                            id,
                            Some(format!("no message for {} days", periods.request_idle_days)),
                        )
                        .await?;
                        mail_structure(
                            &mut tx,
                            &at,
                            r.try_get("requester_structure_id")?,
                            &Notification::RequestClosedIdle {
                                request: id,
                                days: periods.request_idle_days,
                            },
                        )
                        .await?;
                        expired += 1;
                    }
                    tx.commit().await?;
                }
                RequestDue::Erase => {
                    if self.erase_request_person(id, None, None, now).await? {
                        erased += 1;
                    }
                }
            }
        }
        Ok((expired, erased))
    }
}
