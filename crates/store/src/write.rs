//! The one write path: a change, its audit line and the e-mails it sends
//! commit together or not at all.
//!
//! `Database::write(&acting, async |w| …)` opens a write transaction
//! (`begin_write`: SQLite's write lock at once), hands the closure a
//! `Write` through which it changes data (`w.conn()`), appends audit lines
//! (`w.audit(…)`) carrying who acted — the person or API token, the
//! structure they acted through, their address — and queues notifications
//! (`w.notify(…)`), then commits; an error anywhere rolls everything back,
//! so a change can never lose its audit line, nor an e-mail be sent for a
//! change that did not happen.

use chrono::{DateTime, Utc};
use passerelle_accounts::notification::Notification;
use sqlx::AnyConnection;

use crate::{Database, StoreError};

/// Who acts, as the audit trail records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acting {
    pub person: Option<i64>,
    pub token: Option<i64>,
    /// The structure they act through, when they belong to several.
    pub structure: Option<i64>,
    /// The client's address (see `web::auth::client_address`).
    pub address: Option<String>,
}

impl Acting {
    /// The scheduled jobs and the command line: nobody in particular.
    pub fn system() -> Self {
        Self::default()
    }
}

/// An open write: the transaction, who acts, and when.
pub struct Write<'a> {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    acting: &'a Acting,
    at: DateTime<Utc>,
}

impl Write<'_> {
    /// The connection to change data through, inside the transaction.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// The instant of this write, the same for every line it records.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    pub fn acting(&self) -> &Acting {
        self.acting
    }

    /// Appends an audit line: `action` on `subject`, in `structure` (the
    /// acting one when `None`).
    pub async fn audit(
        &mut self,
        action: &str,
        structure: Option<i64>,
        subject: Option<String>,
        detail: Option<String>,
    ) -> Result<(), StoreError> {
        let event = crate::accounts::AuditEvent {
            action: action.to_string(),
            actor_person_id: self.acting.person,
            actor_token_id: self.acting.token,
            structure_id: structure.or(self.acting.structure),
            subject,
            detail,
            ip: self.acting.address.clone(),
        };
        crate::accounts::insert_audit_at(&mut self.tx, &event, self.at).await
    }

    /// Appends an audit line by `person`, who acts without being signed
    /// in yet: signing in, accepting an invitation, using a reset link.
    pub async fn audit_by(
        &mut self,
        person: i64,
        action: &str,
        structure: Option<i64>,
        subject: Option<String>,
        detail: Option<String>,
    ) -> Result<(), StoreError> {
        let event = crate::accounts::AuditEvent {
            action: action.to_string(),
            actor_person_id: Some(person),
            actor_token_id: None,
            structure_id: structure,
            subject,
            detail,
            ip: self.acting.address.clone(),
        };
        crate::accounts::insert_audit_at(&mut self.tx, &event, self.at).await
    }

    /// Queues a notification to `to` in the outbox; it leaves only if the
    /// write commits.
    pub async fn notify(
        &mut self,
        to: &str,
        notification: &Notification,
    ) -> Result<Option<i64>, StoreError> {
        crate::outbox::enqueue(&mut self.tx, to, notification, self.at).await
    }

    /// Queues a notification to every person working in `structure`
    /// (membres and gestionnaires), as each chose; returns to how many.
    pub async fn notify_structure(
        &mut self,
        structure: i64,
        notification: &Notification,
    ) -> Result<usize, StoreError> {
        let addresses = crate::outbox::working_in(&mut self.tx, structure).await?;
        for to in &addresses {
            crate::outbox::enqueue(&mut self.tx, to, notification, self.at).await?;
        }
        Ok(addresses.len())
    }
}

impl Database {
    /// Runs `change` in one write transaction with its audit lines and
    /// notifications (see the module's documentation).
    pub async fn write<T>(
        &self,
        acting: &Acting,
        change: impl AsyncFnOnce(&mut Write<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut write = Write {
            tx: self.begin_write().await?,
            acting,
            at: Utc::now(),
        };
        let value = change(&mut write).await?;
        write.tx.commit().await?;
        Ok(value)
    }
}
