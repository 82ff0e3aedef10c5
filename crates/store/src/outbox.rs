//! The e-mail outbox: notifications queued in the transaction of the change
//! that causes them (`write::Write::notify`), delivered by the mailer of the
//! server holding its lease, shown to administrators. Messages are stored
//! as data (`Notification`: a kind and its parameters); the web layer
//! writes their French text. Messages written before 0.2.0 (subject and
//! body, `Content::Written`) are still read, sent and shown as such.
//!
//! A one-time link's secret is stored with the message only while the link
//! can be used: `link` holds it, and it is cut out of the parameters (and
//! of an older message's body) once the message is delivered, the link
//! used, replaced or expired (`accounts::redact_links`).

use chrono::{DateTime, Utc};
use passerelle_accounts::notification::{Frequency, Notification, Topic};
use passerelle_accounts::secret::{REDACTED_LINK, hash_secret};
use sqlx::{AnyConnection, Row};

use crate::{Database, StoreError};

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A notification, written into French when shown or sent.
    Notification(Notification),
    /// A message written when queued (subject and body), as 0.1.0 and
    /// the first builds of Réseau stored them. Nothing writes these any
    /// more (`enqueue` stores every message as a notification); an
    /// upgraded database may still hold some, unsent or in the history, so
    /// they are read, sent and shown as they are until the retention job
    /// removes them with the other old messages.
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
    /// When a message that failed is tried again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the mailer gave the message up (`last_error` says why).
    pub failed_at: Option<DateTime<Utc>>,
    /// Held for the daily digest; `digested_into` the digest that took it.
    pub digest: bool,
    pub digested_into: Option<i64>,
}

/// Where a message stands in its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Waiting for the mailer; `last_error` when an attempt failed and it
    /// is tried again at `retry_at`.
    Queued {
        attempts: i64,
        last_error: Option<String>,
        retry_at: Option<DateTime<Utc>>,
    },
    Sent(DateTime<Utc>),
    /// Waiting for the day's digest (`None`), or sent in digest `n`.
    InDigest(Option<i64>),
    /// Given up: the relay refused it, or too many attempts failed.
    Failed {
        at: DateTime<Utc>,
        reason: String,
    },
}

impl OutboxMessage {
    pub fn delivery(&self) -> Delivery {
        if self.digest {
            return Delivery::InDigest(self.digested_into);
        }
        match (self.sent_at, self.failed_at) {
            (Some(at), _) => Delivery::Sent(at),
            (None, Some(at)) => Delivery::Failed {
                at,
                reason: self.last_error.clone().unwrap_or_default(),
            },
            (None, None) => Delivery::Queued {
                attempts: self.attempts,
                last_error: self.last_error.clone(),
                retry_at: self.next_attempt_at,
            },
        }
    }
}

/// The outcome of one attempt to deliver a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Failed for now (a relay down or slow): tried again at `retry_at`.
    Retry {
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// Failed for good (the relay refused the message or the address).
    Failed {
        error: String,
    },
}

/// How the person at `to` chose to be told about `topic` (its default
/// when they did not choose, or when `to` is no account's).
async fn frequency(
    conn: &mut AnyConnection,
    to: &str,
    topic: Topic,
) -> Result<Frequency, StoreError> {
    let row = sqlx::query(
        "SELECT n.frequency FROM notification_preferences n JOIN people p ON p.id = n.person_id \
         WHERE p.email = $1 AND n.topic = $2",
    )
    .bind(to.to_string())
    .bind(topic.code().to_string())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(topic.default_frequency()),
        Some(row) => {
            let code: String = row.try_get("frequency")?;
            Frequency::parse(&code)
                .ok_or_else(|| StoreError::Corrupt(format!("notification frequency {code:?}")))
        }
    }
}

/// Queues `notification` to `to` on `conn` (inside the caller's
/// transaction), as the person chose for its topic: now, held for the
/// daily digest, or not at all (`None`).
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    to: &str,
    notification: &Notification,
    at: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let chosen = match notification.topic() {
        Some(topic) => frequency(conn, to, topic).await?,
        None => Frequency::Immediately,
    };
    let digest = match chosen {
        Frequency::Never => return Ok(None),
        Frequency::Daily => 1_i64,
        Frequency::Immediately => 0,
    };
    let params = serde_json::to_string(notification).expect("a notification serialises");
    let token = notification.token();
    let row = sqlx::query(
        "INSERT INTO outbox (to_address, subject, body, created_at, kind, params, link, token_hash, digest) \
         VALUES ($1, '', '', $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(to.to_string())
    .bind(crate::time::iso(at))
    .bind(notification.kind())
    .bind(params)
    .bind(token.map(str::to_string))
    .bind(token.map(hash_secret))
    .bind(digest)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(row.try_get("id")?))
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

/// The addresses of the gestionnaires of `structure` (active accounts),
/// who are told what concerns running it.
pub(crate) async fn managing(
    conn: &mut AnyConnection,
    structure: i64,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT p.email FROM memberships m JOIN people p ON p.id = m.person_id \
         WHERE m.structure_id = $1 AND m.ended_at IS NULL AND m.role = 'gestionnaire' \
         AND p.deactivated_at IS NULL ORDER BY p.email",
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
        next_attempt_at: instant("next_attempt_at")?,
        failed_at: instant("failed_at")?,
        digest: r.try_get::<i64, _>("digest")? != 0,
        digested_into: r.try_get("digested_into")?,
    })
}

impl Database {
    /// Queues one notification on its own (a change that wrote nothing
    /// else: a password reset asked for by address).
    pub async fn notify(
        &self,
        to: &str,
        notification: &Notification,
    ) -> Result<Option<i64>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        enqueue(&mut conn, to, notification, Utc::now()).await
    }

    /// Messages, newest first; `pending_only` for those still to be sent
    /// (oldest first), whenever they are due.
    pub async fn outbox(
        &self,
        pending_only: bool,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox {} ORDER BY id {} LIMIT $1",
            if pending_only {
                "WHERE sent_at IS NULL AND failed_at IS NULL AND digested_into IS NULL"
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

    /// The messages the mailer sends at `now`: not sent, not given up, and
    /// past their next attempt; oldest first.
    pub async fn outbox_due(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND digest = 0 \
             AND (next_attempt_at IS NULL OR next_attempt_at <= $1) ORDER BY id ASC LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(crate::time::iso(now))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(message).collect()
    }

    /// Records an attempt to deliver message `id` at `at`. Once sent, the
    /// one-time link it carried is cut out in the same statement.
    pub async fn record_attempt(
        &self,
        id: i64,
        at: DateTime<Utc>,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        let at = crate::time::iso(at);
        let query = match attempt {
            Attempt::Sent => sqlx::query(
                "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
                 next_attempt_at = NULL, \
                 body = CASE WHEN link IS NULL THEN body ELSE REPLACE(body, link, $2) END, \
                 params = CASE WHEN link IS NULL THEN params ELSE REPLACE(params, link, '') END, \
                 link = NULL WHERE id = $3",
            )
            .bind(at)
            .bind(REDACTED_LINK.to_string()),
            Attempt::Retry { error, retry_at } => sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 \
                 WHERE id = $3",
            )
            .bind(error.clone())
            .bind(crate::time::iso(*retry_at)),
            Attempt::Failed { error } => sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $1, failed_at = $2, \
                 next_attempt_at = NULL WHERE id = $3",
            )
            .bind(error.clone())
            .bind(at),
        };
        query.bind(id).execute(self.pool()).await?;
        Ok(())
    }
}

const COLUMNS: &str = "id, to_address, subject, body, kind, params, created_at, sent_at, attempts, \
                       last_error, next_attempt_at, failed_at, digest, digested_into";

impl Database {
    /// Gathers the messages held for the daily digest into one message per
    /// address (queued to be sent now), in one transaction. Returns how
    /// many digests were queued.
    pub async fn queue_digests(&self, at: DateTime<Utc>) -> Result<usize, StoreError> {
        self.write(&crate::write::Acting::system(), async |w| {
            let sql = format!(
                "SELECT {COLUMNS} FROM outbox WHERE digest = 1 AND digested_into IS NULL \
                 ORDER BY to_address, id"
            );
            let held = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(w.conn())
                .await?
                .iter()
                .map(message)
                .collect::<Result<Vec<_>, _>>()?;
            let mut queued = 0;
            for chunk in held.chunk_by(|a, b| a.to_address == b.to_address) {
                let items = chunk
                    .iter()
                    .filter_map(|m| match &m.content {
                        Content::Notification(n) => Some(n.clone()),
                        Content::Written { .. } => None,
                    })
                    .collect();
                let to = &chunk[0].to_address;
                let Some(id) = enqueue(w.conn(), to, &Notification::Digest { items }, at).await?
                else {
                    continue;
                };
                for m in chunk {
                    sqlx::query("UPDATE outbox SET digested_into = $1 WHERE id = $2")
                        .bind(id)
                        .bind(m.id)
                        .execute(w.conn())
                        .await?;
                }
                queued += 1;
            }
            Ok(queued)
        })
        .await
    }

    /// How `person` chose to be told about each topic (defaults included).
    pub async fn notification_preferences(
        &self,
        person: i64,
    ) -> Result<Vec<(Topic, Frequency)>, StoreError> {
        let rows = sqlx::query(
            "SELECT topic, frequency FROM notification_preferences WHERE person_id = $1",
        )
        .bind(person)
        .fetch_all(self.pool())
        .await?;
        let mut chosen: Vec<(Topic, Frequency)> = Topic::ALL
            .iter()
            .map(|t| (*t, t.default_frequency()))
            .collect();
        for row in &rows {
            let (topic, frequency): (String, String) =
                (row.try_get("topic")?, row.try_get("frequency")?);
            let corrupt = || StoreError::Corrupt(format!("preference {topic} = {frequency}"));
            let topic = Topic::parse(&topic).ok_or_else(corrupt)?;
            let frequency = Frequency::parse(&frequency).ok_or_else(corrupt)?;
            if let Some(entry) = chosen.iter_mut().find(|(t, _)| *t == topic) {
                entry.1 = frequency;
            }
        }
        Ok(chosen)
    }

    /// Records how `acting`'s person wants to be told about each topic.
    pub async fn set_notification_preferences(
        &self,
        acting: &crate::write::Acting,
        person: i64,
        choices: &[(Topic, Frequency)],
    ) -> Result<(), StoreError> {
        self.write(acting, async |w| {
            sqlx::query("DELETE FROM notification_preferences WHERE person_id = $1")
                .bind(person)
                .execute(w.conn())
                .await?;
            for (topic, frequency) in choices {
                sqlx::query(
                    "INSERT INTO notification_preferences (person_id, topic, frequency) \
                     VALUES ($1, $2, $3)",
                )
                .bind(person)
                .bind(topic.code().to_string())
                .bind(frequency.code().to_string())
                .execute(w.conn())
                .await?;
            }
            let detail = choices
                .iter()
                .map(|(t, f)| format!("{}={}", t.code(), f.code()))
                .collect::<Vec<_>>()
                .join(" ");
            w.audit("notifications.preferences", None, None, Some(detail))
                .await
        })
        .await
    }
}
