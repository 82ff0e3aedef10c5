//! The e-mail outbox: notifications queued in the transaction of the change
//! that causes them (`write::Write::notify`), delivered by the mailer of the
//! server holding its lease, shown to administrators. Messages are stored
//! as data (`Notification`: a kind and its parameters); the web layer
//! writes their French text. Messages written before (subject and body)
//! are still read as such.
//!
//! A one-time link's secret is stored with the message only while the link
//! can be used: `link` holds it, and it is cut out of the parameters (and
//! of an older message's body) once the message is delivered, the link
//! used, replaced or expired (`accounts::redact_links`).

use chrono::{DateTime, Utc};
use passerelle_accounts::notification::Notification;
use passerelle_accounts::secret::{REDACTED_LINK, hash_secret};
use sqlx::{AnyConnection, Row};

use crate::time::now_iso;
use crate::{Database, StoreError};

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A notification, written into French when shown or sent.
    Notification(Notification),
    /// A message written when queued: before notifications were stored as
    /// data, and Réseau's messages, written from their templates.
    Written { subject: String, body: String },
}

/// A message of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub to_address: String,
    pub content: Content,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// Queues `notification` to `to` on `conn` (inside the caller's
/// transaction).
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    to: &str,
    notification: &Notification,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let params = serde_json::to_string(notification).expect("a notification serialises");
    let token = notification.token();
    let row = sqlx::query(
        "INSERT INTO outbox (to_address, subject, body, created_at, kind, params, link, token_hash) \
         VALUES ($1, '', '', $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(to.to_string())
    .bind(crate::time::iso(at))
    .bind(notification.kind())
    .bind(params)
    .bind(token.map(str::to_string))
    .bind(token.map(hash_secret))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// The addresses of the people working in `structure` (membres and
/// gestionnaires), who receive what concerns it.
pub(crate) async fn working_in(
    conn: &mut AnyConnection,
    structure: i64,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT p.email FROM memberships m JOIN people p ON p.id = m.person_id \
         WHERE m.structure_id = $1 AND m.ended_at IS NULL AND m.role IN ('membre', 'gestionnaire') \
         ORDER BY p.email",
    )
    .bind(structure)
    .fetch_all(&mut *conn)
    .await?;
    crate::map_rows(&rows, |r| r.try_get("email"))
}

fn message(r: &sqlx::any::AnyRow) -> Result<OutboxMessage, StoreError> {
    let kind: Option<String> = r.try_get("kind")?;
    let content = match kind {
        Some(_) => {
            let params: String = r.try_get("params")?;
            Content::Notification(
                serde_json::from_str(&params)
                    .map_err(|e| StoreError::Corrupt(format!("outbox message: {e}")))?,
            )
        }
        None => Content::Written {
            subject: r.try_get("subject")?,
            body: r.try_get("body")?,
        },
    };
    let instant = |column: &str| -> Result<Option<DateTime<Utc>>, StoreError> {
        let text: Option<String> = r.try_get(column)?;
        text.map(|t| {
            crate::time::parse_iso(&t)
                .ok_or_else(|| StoreError::Corrupt(format!("outbox {column}: {t}")))
        })
        .transpose()
    };
    Ok(OutboxMessage {
        id: r.try_get("id")?,
        to_address: r.try_get("to_address")?,
        content,
        created_at: instant("created_at")?.unwrap_or_default(),
        sent_at: instant("sent_at")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
    })
}

impl Database {
    /// Queues one notification on its own (a change that wrote nothing
    /// else: a password reset asked for by address).
    pub async fn notify(&self, to: &str, notification: &Notification) -> Result<i64, StoreError> {
        let mut conn = self.pool().acquire().await?;
        enqueue(&mut conn, to, notification, Utc::now()).await
    }

    /// Messages, newest first; `pending_only` for the sender's queue.
    pub async fn outbox(
        &self,
        pending_only: bool,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let sql = format!(
            "SELECT id, to_address, subject, body, kind, params, created_at, sent_at, attempts, last_error \
             FROM outbox {} ORDER BY id {} LIMIT $1",
            if pending_only {
                "WHERE sent_at IS NULL AND attempts < 5"
            } else {
                ""
            },
            if pending_only { "ASC" } else { "DESC" }
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(message).collect()
    }

    /// Records a delivery attempt: sent when `error` is `None`, and then
    /// the one-time link it carried is cut out in the same statement.
    pub async fn mark_email(&self, id: i64, error: Option<&str>) -> Result<(), StoreError> {
        let query = match error {
            None => sqlx::query(
                "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
                 body = CASE WHEN link IS NULL THEN body ELSE REPLACE(body, link, $2) END, \
                 params = CASE WHEN link IS NULL THEN params ELSE REPLACE(params, link, '') END, \
                 link = NULL WHERE id = $3",
            )
            .bind(now_iso())
            .bind(REDACTED_LINK.to_string()),
            Some(e) => sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2",
            )
            .bind(e.to_string()),
        };
        query.bind(id).execute(self.pool()).await?;
        Ok(())
    }
}
