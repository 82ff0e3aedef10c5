//! What the signed-in home and structure pages show: a mediator's
//! referrals to handle and month, the places a structure runs, its pending
//! invitations. Read-only, typed, by column name.

use chrono::{DateTime, NaiveDate, Utc};
use passerelle_accounts::Role;
use sqlx::Row;

use crate::time::{now_iso, parse_iso};
use crate::{Database, StoreError};

/// An invitation sent and not yet accepted (nor expired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInvitation {
    pub email: String,
    pub role: Role,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A place of the directory a structure runs (attached to it, or its
/// SIRET is the place's pivot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlace {
    pub id: i64,
    pub nom: String,
    /// The commune's name in the reference, when the place is attached.
    pub commune: Option<String>,
}

/// The referral statuses that still wait for the receiving structure.
const TO_HANDLE: [&str; 3] = ["envoyee", "recue", "rendez_vous_fixe"];

impl Database {
    /// How many referrals received by these structures still wait for
    /// them (sent, received or with an appointment).
    pub async fn referrals_to_handle(&self, structures: &[i64]) -> Result<i64, StoreError> {
        let mut total = 0;
        for structure in structures {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM referrals WHERE receiver_structure_id = $1 \
                 AND status IN ($2, $3, $4)",
            )
            .bind(*structure)
            .bind(TO_HANDLE[0])
            .bind(TO_HANDLE[1])
            .bind(TO_HANDLE[2])
            .fetch_one(self.pool())
            .await?;
            total += row.try_get::<i64, _>("n")?;
        }
        Ok(total)
    }

    /// How many activities this mediator recorded on or after `since`.
    pub async fn activities_since(
        &self,
        mediator_id: i64,
        since: NaiveDate,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM activities WHERE mediator_id = $1 \
             AND deleted_at IS NULL AND date >= $2",
        )
        .bind(mediator_id)
        .bind(since.format("%Y-%m-%d").to_string())
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }

    /// The places this structure runs: attached to it, or whose pivot is
    /// its SIRET. By name.
    pub async fn places_run_by(
        &self,
        structure_id: i64,
        siret: Option<&str>,
    ) -> Result<Vec<RunPlace>, StoreError> {
        // The pivot lives in the record's JSON: a portable LIKE narrows
        // the rows, the parsed record decides.
        // Without a SIRET the pattern is empty and matches no record.
        let pattern = siret.map_or_else(String::new, |s| format!("%{s}%"));
        let rows = sqlx::query(
            "SELECT p.id, p.nom, p.data, p.structure_id, c.nom AS commune \
             FROM places p LEFT JOIN communes c ON c.code = p.commune_code \
             WHERE p.structure_id = $1 OR p.data LIKE $2 \
             ORDER BY p.nom, p.id",
        )
        .bind(structure_id)
        .bind(pattern)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let attached = r.try_get::<Option<i64>, _>("structure_id")? == Some(structure_id);
            let data: String = r.try_get("data")?;
            let pivot = serde_json::from_str::<serde_json::Value>(&data)
                .map_err(|e| StoreError::Corrupt(format!("a place is not valid JSON: {e}")))?
                .get("pivot")
                .and_then(|p| p.as_str().map(str::to_string));
            if attached || (siret.is_some() && pivot.as_deref() == siret) {
                out.push(RunPlace {
                    id: r.try_get("id")?,
                    nom: r.try_get("nom")?,
                    commune: r.try_get("commune")?,
                });
            }
        }
        Ok(out)
    }

    /// The invitations of this structure still waiting to be accepted,
    /// newest first.
    pub async fn pending_invitations(
        &self,
        structure_id: i64,
    ) -> Result<Vec<PendingInvitation>, StoreError> {
        let rows = sqlx::query(
            "SELECT email, role, created_at, expires_at FROM one_time_tokens \
             WHERE purpose = 'invitation' AND structure_id = $1 AND used_at IS NULL \
             AND expires_at > $2 ORDER BY created_at DESC, email",
        )
        .bind(structure_id)
        .bind(now_iso())
        .fetch_all(self.pool())
        .await?;
        let instant = |text: String| {
            parse_iso(&text).ok_or_else(|| StoreError::Corrupt(format!("not an instant: {text}")))
        };
        rows.iter()
            .map(|r| {
                let role: Option<String> = r.try_get("role")?;
                let role = role.as_deref().and_then(Role::parse).ok_or_else(|| {
                    StoreError::Corrupt(format!("an invitation has no known role: {role:?}"))
                })?;
                Ok(PendingInvitation {
                    email: r.try_get("email")?,
                    role,
                    sent_at: instant(r.try_get("created_at")?)?,
                    expires_at: instant(r.try_get("expires_at")?)?,
                })
            })
            .collect()
    }
}
