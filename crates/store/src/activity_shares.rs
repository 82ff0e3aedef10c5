//! Public links to a view of the activity figures (issue 18 §3): a
//! question (territory, period, filters, dimensions) anyone holding the
//! link may read without signing in, under the small-cell rule, until its
//! creator revokes it. The link's token is stored as it is: it opens only
//! figures meant to be published, and its creator sees it again in her
//! list of links.

use chrono::{DateTime, Utc};
use passerelle_activities::stats::Question;
use sqlx::Row;

use crate::time::{iso, parse_iso};
use crate::write::Acting;
use crate::{Database, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct ActivityShare {
    pub id: i64,
    pub token: String,
    pub title: String,
    pub question: Question,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn instant(text: &str) -> Result<DateTime<Utc>, StoreError> {
    parse_iso(text).ok_or_else(|| StoreError::Corrupt(format!("activity share: instant {text}")))
}

fn share(row: &sqlx::any::AnyRow) -> Result<ActivityShare, StoreError> {
    let view: String = row.try_get("view")?;
    let revoked: Option<String> = row.try_get("revoked_at")?;
    Ok(ActivityShare {
        id: row.try_get("id")?,
        token: row.try_get("token")?,
        title: row.try_get("title")?,
        question: serde_json::from_str(&view)
            .map_err(|e| StoreError::Corrupt(format!("activity share {view}: {e}")))?,
        created_by: row.try_get("created_by")?,
        created_at: instant(&row.try_get::<String, _>("created_at")?)?,
        revoked_at: revoked.as_deref().map(instant).transpose()?,
    })
}

const COLUMNS: &str = "id, token, title, view, created_by, created_at, revoked_at";

impl Database {
    /// Creates a link to `question`, with its audit line; its id.
    pub async fn create_activity_share(
        &self,
        acting: &Acting,
        token: &str,
        title: &str,
        question: &Question,
    ) -> Result<i64, StoreError> {
        let view = serde_json::to_string(question).expect("a question serialises");
        self.write(acting, async |w| {
            let at = iso(w.at());
            let id: i64 = sqlx::query(
                "INSERT INTO activity_shares (token, title, view, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(token.to_string())
            .bind(title.to_string())
            .bind(view.clone())
            .bind(w.acting().person)
            .bind(at)
            .fetch_one(w.conn())
            .await?
            .try_get("id")?;
            w.audit(
                "activity.share.created",
                None,
                Some(format!("partage {id}")),
                Some(view),
            )
            .await?;
            Ok(id)
        })
        .await
    }

    /// The links a person created, newest first.
    pub async fn activity_shares_of(&self, person: i64) -> Result<Vec<ActivityShare>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM activity_shares WHERE created_by = $1 ORDER BY id DESC"
        )))
        .bind(person)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(share).collect()
    }

    /// The link of this token, revoked or not.
    pub async fn activity_share(&self, token: &str) -> Result<Option<ActivityShare>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM activity_shares WHERE token = $1"
        )))
        .bind(token.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(share).transpose()
    }

    /// Revokes a link its creator holds, with its audit line; false when
    /// she holds no such live link.
    pub async fn revoke_activity_share(
        &self,
        acting: &Acting,
        id: i64,
    ) -> Result<bool, StoreError> {
        self.write(acting, async |w| {
            let at = iso(w.at());
            let done = sqlx::query(
                "UPDATE activity_shares SET revoked_at = $1 \
                 WHERE id = $2 AND created_by = $3 AND revoked_at IS NULL",
            )
            .bind(at)
            .bind(id)
            .bind(w.acting().person)
            .execute(w.conn())
            .await?
            .rows_affected()
                == 1;
            if done {
                w.audit(
                    "activity.share.revoked",
                    None,
                    Some(format!("partage {id}")),
                    None,
                )
                .await?;
            }
            Ok(done)
        })
        .await
    }
}
