//! Several servers on one database: what each keeps in memory follows the
//! others' changes, and each scheduled job runs on one server at a time.
//!
//! Both are plain tables, so they work the same on SQLite (several
//! processes on one file, the command line next to a server) and on
//! PostgreSQL (N `passerelle serve` behind a load balancer):
//! - `store_versions` holds a counter per kind of data held in memory,
//!   raised by database triggers on every change — no code path can forget
//!   it, and changes made by the command line count too;
//! - `job_leases` holds, per job, which server runs it and until when. A
//!   server takes a free or expired lease in one `UPDATE`, so two servers
//!   can never both hold it; a lease left by a server that died expires.

use sqlx::Row;

use crate::time::{iso_in, now_iso};
use crate::{Database, StoreError};

/// Kinds of data servers keep a copy of in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    /// The places, searched in memory by the finder and the API.
    Places,
}

impl Copied {
    fn name(self) -> &'static str {
        match self {
            Self::Places => "places",
        }
    }
}

impl Database {
    /// The current version of `what`: it changes whenever any of it
    /// changes, through any server or command.
    pub async fn version_of(&self, what: Copied) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT version FROM store_versions WHERE name = $1")
            .bind(what.name())
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get("version")?,
            None => 0,
        })
    }

    /// Takes the lease of `job` for `seconds` if no other holder has it
    /// now; `true` when `holder` holds it (taken or renewed).
    pub async fn take_job_lease(
        &self,
        job: &str,
        holder: &str,
        seconds: i64,
    ) -> Result<bool, StoreError> {
        let now = now_iso();
        let until = iso_in(seconds);
        sqlx::query(
            "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, '', $2) \
             ON CONFLICT (job) DO NOTHING",
        )
        .bind(job.to_string())
        .bind(now.clone())
        .execute(self.pool())
        .await?;
        let taken = sqlx::query(
            "UPDATE job_leases SET holder = $1, expires_at = $2 \
             WHERE job = $3 AND (holder = $1 OR expires_at <= $4)",
        )
        .bind(holder.to_string())
        .bind(until)
        .bind(job.to_string())
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Gives the lease of `job` back, if `holder` has it.
    pub async fn release_job_lease(&self, job: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE job_leases SET expires_at = $1 WHERE job = $2 AND holder = $3")
            .bind(now_iso())
            .bind(job.to_string())
            .bind(holder.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
