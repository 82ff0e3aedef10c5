//! Referents inside administrations and "situation complexe" requests, in
//! the database. Same rules as referrals: one transaction per write with
//! its audit line and e-mails, optimistic concurrency on requests, the
//! person's fields read only through `request_person` (audited).

use chrono::{DateTime, Months, Utc};
use passerelle_referrals::referents::{ComplexRequest, Referent};
use serde::Serialize;
use sqlx::Row;

use crate::referrals::{audit_subject, iso, mail_structure, parse_iso};
use crate::{Database, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct ReferentRow {
    pub id: i64,
    pub organisation: String,
    pub territory: String,
    pub structure_id: Option<i64>,
    pub structure: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub scope: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestRow {
    pub id: i64,
    pub requester_structure_id: i64,
    pub requester_structure: String,
    pub requester_person: String,
    pub organisation_structure_id: i64,
    pub organisation_structure: String,
    pub subject: String,
    pub status: String,
    pub outcome: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub erased_at: Option<String>,
    pub mandate_type: String,
    pub mandate_date: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub at: String,
    pub author: Option<String>,
    pub side: String,
    /// Personal: empty unless asked for, and after erasure.
    pub body: Option<String>,
}

#[derive(Debug)]
pub enum RequestError {
    Conflict,
    Closed,
    NotFound,
    Store(StoreError),
}

impl From<sqlx::Error> for RequestError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

const REQUEST_SELECT: &str = "SELECT q.id, q.requester_structure_id, rs.nom, p.display_name, q.organisation_structure_id, os.nom, \
     q.subject, q.status, q.outcome, q.version, q.created_at, q.closed_at, q.erased_at, q.mandate_type, q.mandate_date \
     FROM complex_requests q JOIN structures rs ON rs.id = q.requester_structure_id \
     JOIN structures os ON os.id = q.organisation_structure_id JOIN people p ON p.id = q.requester_person_id";

fn request_of(r: &sqlx::any::AnyRow) -> Result<RequestRow, sqlx::Error> {
    Ok(RequestRow {
        id: r.try_get(0)?,
        requester_structure_id: r.try_get(1)?,
        requester_structure: r.try_get(2)?,
        requester_person: r.try_get(3)?,
        organisation_structure_id: r.try_get(4)?,
        organisation_structure: r.try_get(5)?,
        subject: r.try_get(6)?,
        status: r.try_get(7)?,
        outcome: r.try_get(8)?,
        version: r.try_get(9)?,
        created_at: r.try_get(10)?,
        closed_at: r.try_get(11)?,
        erased_at: r.try_get(12)?,
        mandate_type: r.try_get(13)?,
        mandate_date: r.try_get(14)?,
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
            "SELECT r.id, r.organisation, r.territory, r.structure_id, s.nom, r.name, r.email, r.phone, r.scope, r.updated_at \
             FROM referents r LEFT JOIN structures s ON s.id = r.structure_id ORDER BY r.organisation, r.territory, r.name",
        )
        .fetch_all(self.pool())
        .await?;
        crate::map_rows(&rows, |r| {
            Ok(ReferentRow {
                id: r.try_get(0)?,
                organisation: r.try_get(1)?,
                territory: r.try_get(2)?,
                structure_id: r.try_get(3)?,
                structure: r.try_get(4)?,
                name: r.try_get(5)?,
                email: r.try_get(6)?,
                phone: r.try_get(7)?,
                scope: r.try_get(8)?,
                updated_at: r.try_get(9)?,
            })
        })
    }

    /// Adds an entry (`id` None) or replaces one; audited.
    pub async fn save_referent(
        &self,
        id: Option<i64>,
        r: &Referent,
        structure: Option<i64>,
        by: i64,
    ) -> Result<i64, StoreError> {
        let at = crate::time::now_iso();
        let mut tx = self.begin_write().await?;
        let (sql, existing) = match id {
            None => (
                "INSERT INTO referents (organisation, territory, structure_id, name, email, phone, scope, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                None,
            ),
            Some(id) => (
                "UPDATE referents SET organisation = $1, territory = $2, structure_id = $3, name = $4, email = $5, phone = $6, \
                 scope = $7, updated_by = $8, updated_at = $9 WHERE id = $10 RETURNING id",
                Some(id),
            ),
        };
        let mut query = sqlx::query(sql)
            .bind(r.organisation.clone())
            .bind(r.territory.clone())
            .bind(structure)
            .bind(r.name.trim().to_string())
            .bind(r.email.clone())
            .bind(r.phone.clone())
            .bind(r.scope.trim().to_string())
            .bind(by)
            .bind(at.clone());
        if let Some(id) = existing {
            query = query.bind(id);
        }
        let id: i64 = query.fetch_one(&mut *tx).await?.try_get(0)?;
        let subject = format!("referent:{id}");
        audit_subject(
            &mut tx,
            &at,
            "referent.saved",
            Some(by),
            structure,
            subject,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
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
    /// of its structure, told by e-mail without personal data).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_request(
        &self,
        q: &ComplexRequest,
        requester_structure: i64,
        requester_person: i64,
        organisation_structure: i64,
        key: Option<&str>,
        link: &str,
        now: DateTime<Utc>,
    ) -> Result<(i64, bool), StoreError> {
        let at = iso(now);
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
        let id: i64 = sqlx::query(
            "INSERT INTO complex_requests (requester_structure_id, requester_person_id, organisation_structure_id, subject, status, \
             version, idempotency_key, created_at, mandate_type, mandate_date, description, person_details) \
             VALUES ($1, $2, $3, $4, 'ouverte', 1, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(requester_structure)
        .bind(requester_person)
        .bind(organisation_structure)
        .bind(q.subject.trim().to_string())
        .bind(key.map(str::to_string))
        .bind(at.clone())
        .bind(q.mandate_type.clone())
        .bind(q.mandate_date.map(|d| d.to_string()).unwrap_or_default())
        .bind(q.description.trim().to_string())
        .bind(q.person_details.trim().to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        audit(
            &mut tx,
            &at,
            "complex_request.create",
            Some(requester_person),
            Some(requester_structure),
            id,
            Some(format!(
                "to structure {organisation_structure}; mandate {}",
                q.mandate_type
            )),
        )
        .await?;
        mail_structure(
            &mut tx,
            &at,
            organisation_structure,
            "Situation complexe : une demande de professionnel",
            &format!(
                "Un professionnel vous soumet une situation complexe : « {} ».\n\nPour la lire et répondre (connexion requise) : {link}/referents/demandes/{id}\n",
                q.subject.trim()
            ),
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
        Ok(row.as_ref().map(request_of).transpose()?)
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
            out.extend(crate::map_rows::<_, Vec<_>>(&rows, request_of)?);
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
            "SELECT m.at, p.display_name, m.side, m.body FROM complex_request_messages m \
             LEFT JOIN people p ON p.id = m.author_id WHERE m.request_id = $1 ORDER BY m.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        crate::map_rows(&rows, |r| {
            Ok(Message {
                at: r.try_get(0)?,
                author: r.try_get(1)?,
                side: r.try_get(2)?,
                body: if with_bodies { r.try_get(3)? } else { None },
            })
        })
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
        outcome: Option<&str>,
        link: &str,
        now: DateTime<Utc>,
    ) -> Result<(), RequestError> {
        let at = iso(now);
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT status, requester_structure_id, organisation_structure_id FROM complex_requests WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(RequestError::NotFound)?;
        if row.try_get::<String, _>(0)? != "ouverte" {
            return Err(RequestError::Closed);
        }
        let (requester, organisation): (i64, i64) = (row.try_get(1)?, row.try_get(2)?);
        let done = sqlx::query(
            "UPDATE complex_requests SET version = version + 1, status = $1, outcome = $2, closed_at = $3 \
             WHERE id = $4 AND version = $5",
        )
        .bind(if outcome.is_some() { "close" } else { "ouverte" }.to_string())
        .bind(outcome.map(str::to_string))
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
            outcome.map(str::to_string),
        )
        .await?;
        let (to, subject) = if from_requester {
            (
                organisation,
                "Situation complexe : nouvelle réponse du professionnel",
            )
        } else {
            (requester, "Situation complexe : réponse du référent")
        };
        if outcome.is_none() {
            mail_structure(
                &mut tx,
                &at,
                to,
                subject,
                &format!(
                    "Un message vous attend (connexion requise) : {link}/referents/demandes/{id}\n"
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Erases the description, the person's details and the thread's
    /// messages of requests closed for longer than `months` (or of one
    /// request, on request). Idempotent; returns how many were erased.
    pub async fn erase_requests(
        &self,
        only: Option<i64>,
        months: u32,
        actor: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let rows = sqlx::query(
            "SELECT id, closed_at FROM complex_requests WHERE erased_at IS NULL AND ($1 = 0 OR id = $1) ORDER BY id",
        )
        .bind(only.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        let mut erased = 0;
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let closed = r
                .try_get::<Option<String>, _>(1)?
                .and_then(|t| parse_iso(&t));
            let due = only.is_some()
                || closed
                    .and_then(|c| c.checked_add_months(Months::new(months)))
                    .is_some_and(|limit| now >= limit);
            if !due {
                continue;
            }
            let at = iso(now);
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE complex_requests SET description = NULL, person_details = NULL, erased_at = $1 WHERE id = $2 AND erased_at IS NULL",
            )
            .bind(at.clone())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if done {
                sqlx::query(
                    "UPDATE complex_request_messages SET body = NULL WHERE request_id = $1",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                audit(
                    &mut tx,
                    &at,
                    "complex_request.erase_person",
                    actor,
                    None,
                    id,
                    None,
                )
                .await?;
                erased += 1;
            }
            tx.commit().await?;
        }
        Ok(erased)
    }
}
