//! The life of an account: a person who has not signed in for
//! `Lifecycle::remind_after` months is reminded by e-mail; at
//! `deactivate_after` months the account is deactivated — its sessions end,
//! it cannot sign in, and everything it wrote stays attributed to it — until
//! a gestionnaire of one of its structures reactivates it. Administrators of
//! the instance are never deactivated (the instance must keep one).
//! Reminders, deactivations and reactivations are in the audit trail.

use chrono::{DateTime, Months, Utc};
use passerelle_accounts::Role;
use passerelle_accounts::notification::Notification;
use sqlx::Row;

use crate::time::iso;
use crate::write::Acting;
use crate::{Database, StoreError};

/// After how many months without a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub remind_after: u32,
    pub deactivate_after: u32,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            remind_after: 4,
            deactivate_after: 6,
        }
    }
}

/// What a lifecycle run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LifecycleReport {
    pub reminded: usize,
    pub deactivated: usize,
}

/// The instant of the last sign-in, or of the account's creation before any.
const LAST_SEEN: &str = "COALESCE(p.last_sign_in_at, p.created_at)";

impl Database {
    /// Reminds and deactivates the accounts due at `now`, in one write.
    pub async fn run_account_lifecycle(
        &self,
        now: DateTime<Utc>,
        lifecycle: Lifecycle,
    ) -> Result<LifecycleReport, StoreError> {
        let months_ago = |m: u32| iso(now.checked_sub_months(Months::new(m)).unwrap_or(now));
        let (remind, deactivate) = (
            months_ago(lifecycle.remind_after),
            months_ago(lifecycle.deactivate_after),
        );
        self.write(&Acting::system(), async |w| {
            let mut report = LifecycleReport::default();
            let not_admin = "NOT EXISTS (SELECT 1 FROM memberships m WHERE m.person_id = p.id \
                             AND m.ended_at IS NULL AND m.role = $2)";
            // Nobody is deactivated without having been told first, and
            // given the months between the reminder and the deactivation:
            // accounts older than that when this arrived by an upgrade
            // (never signed in since, as far as the database knows) are
            // reminded at the first run, not shut out.
            let due = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT p.id, p.email, p.display_name FROM people p \
                 WHERE p.deactivated_at IS NULL AND {LAST_SEEN} < $1 AND {not_admin} \
                 AND p.inactivity_reminded_at IS NOT NULL AND p.inactivity_reminded_at <= $3 \
                 ORDER BY p.id"
            )))
            .bind(deactivate.clone())
            .bind(Role::Admin.code().to_string())
            .bind(months_ago(
                lifecycle
                    .deactivate_after
                    .saturating_sub(lifecycle.remind_after),
            ))
            .fetch_all(w.conn())
            .await?;
            for row in &due {
                let (id, email): (i64, String) = (row.try_get("id")?, row.try_get("email")?);
                sqlx::query("UPDATE people SET deactivated_at = $1 WHERE id = $2")
                    .bind(iso(w.at()))
                    .bind(id)
                    .execute(w.conn())
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE person_id = $1")
                    .bind(id)
                    .execute(w.conn())
                    .await?;
                w.audit("person.deactivated", None, Some(email), None)
                    .await?;
                report.deactivated += 1;
            }
            let due = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT p.id, p.email, p.display_name FROM people p \
                 WHERE p.deactivated_at IS NULL AND p.inactivity_reminded_at IS NULL \
                 AND {LAST_SEEN} < $1 AND {not_admin} ORDER BY p.id"
            )))
            .bind(remind.clone())
            .bind(Role::Admin.code().to_string())
            .fetch_all(w.conn())
            .await?;
            for row in &due {
                let (id, email): (i64, String) = (row.try_get("id")?, row.try_get("email")?);
                // The run's own clock, which the deactivation compares with.
                sqlx::query("UPDATE people SET inactivity_reminded_at = $1 WHERE id = $2")
                    .bind(iso(now))
                    .bind(id)
                    .execute(w.conn())
                    .await?;
                let reminder = Notification::InactivityReminder {
                    name: row.try_get("display_name")?,
                    months: lifecycle.remind_after,
                    left: lifecycle.deactivate_after - lifecycle.remind_after,
                };
                w.notify(&email, &reminder).await?;
                w.audit("person.inactivity_reminded", None, Some(email), None)
                    .await?;
                report.reminded += 1;
            }
            Ok(report)
        })
        .await
    }

    /// Reactivates a deactivated account, as of now (the months without
    /// sign-in count again from here), for `acting` in `structure`.
    /// Whether it was deactivated.
    pub async fn reactivate_person(
        &self,
        acting: &Acting,
        person_id: i64,
        structure: i64,
    ) -> Result<bool, StoreError> {
        self.write(acting, async |w| {
            let done = sqlx::query(
                "UPDATE people SET deactivated_at = NULL, inactivity_reminded_at = NULL, \
                 last_sign_in_at = $1 WHERE id = $2 AND deactivated_at IS NOT NULL",
            )
            .bind(iso(w.at()))
            .bind(person_id)
            .execute(w.conn())
            .await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            let email: String = sqlx::query("SELECT email FROM people WHERE id = $1")
                .bind(person_id)
                .fetch_one(w.conn())
                .await?
                .try_get("email")?;
            w.audit("person.reactivated", Some(structure), Some(email), None)
                .await?;
            Ok(true)
        })
        .await
    }
}
