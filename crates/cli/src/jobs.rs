//! The background jobs of `passerelle serve`, and the retention jobs a
//! restore runs before the restored database may serve.
//!
//! Retention is every job that removes what must not be kept: expired
//! sessions and one-time links, unfinished survey answers 30 days after
//! their last save, and the referrals' deadlines job (reminders, expiries,
//! the erasure of the person's fields and of situation complexe requests
//! after the retention period). A job added here is run by `serve` hourly,
//! once before it starts listening, and by `passerelle restore`.

use std::sync::Arc;
use std::time::Duration;

use passerelle_referrals::deadlines::Periods;
use passerelle_store::Database;
use passerelle_web::Jobs;

/// The name of the retention job on the jobs board and in the metrics.
pub(crate) const RETENTION: &str = "retention";
pub(crate) const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// Unfinished survey answers are kept this long after their last save.
const SURVEY_DRAFT_DAYS: i64 = 30;

/// Runs every retention job once, each even if another fails. Returns
/// whether all succeeded (failures are logged, without personal data).
pub(crate) async fn run_retention(db: &Database, periods: Periods, link: &str) -> bool {
    let mut ok = true;
    match db.purge_expired().await {
        Ok(0) => {}
        Ok(n) => tracing::info!("purged {n} expired sessions and links"),
        Err(e) => {
            tracing::error!("purging expired sessions: {e}");
            ok = false;
        }
    }
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(SURVEY_DRAFT_DAYS))
        .date_naive()
        .to_string();
    match db.purge_survey_drafts(&cutoff).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("purged {n} survey drafts older than {SURVEY_DRAFT_DAYS} days"),
        Err(e) => {
            tracing::error!("purging survey drafts: {e}");
            ok = false;
        }
    }
    match db
        .run_referral_deadlines(chrono::Utc::now(), periods, link)
        .await
    {
        Ok(r) if r == Default::default() => {}
        Ok(r) => tracing::info!(
            "referrals: {} reminders, {} expired, {} erased",
            r.reminded,
            r.expired,
            r.erased
        ),
        Err(e) => {
            tracing::error!("referral deadlines: {e}");
            ok = false;
        }
    }
    ok
}

/// One run of the retention jobs, reported on the board.
pub(crate) async fn retention_once(db: &Database, periods: Periods, link: &str, jobs: &Jobs) {
    jobs.started(RETENTION);
    let ok = run_retention(db, periods, link).await;
    jobs.finished(RETENTION, ok);
}

/// The retention jobs every hour, for as long as the server runs (the
/// first run is the caller's, before serving).
pub(crate) async fn retention_hourly(
    db: Database,
    periods: Periods,
    link: String,
    jobs: Arc<Jobs>,
) {
    loop {
        tokio::time::sleep(RETENTION_EVERY).await;
        retention_once(&db, periods, &link, &jobs).await;
    }
}
