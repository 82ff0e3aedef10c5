//! The background jobs of `passerelle serve`, and the retention jobs a
//! restore runs before the restored database may serve.
//!
//! Each job runs on one server at a time, however many share the database
//! (`store::instances`): a server that takes a job's lease keeps it at
//! least for the job's period and renews it each round; the others skip,
//! so an hourly job runs once an hour across all servers, and a server that
//! died hands over when its lease expires. Every run is reported on the
//! jobs board (`/metrics`, `/health/ready`).
//!
//! Retention is every job that removes what must not be kept: expired
//! sessions and one-time links, unfinished survey answers 30 days after
//! their last save, old addresses in the audit trail and old e-mails, and
//! the referrals' deadlines job (reminders, expiries, the erasure of the
//! person's fields and of situation complexe requests after the retention
//! period). A job added here is run by `serve` hourly, once before it
//! starts listening, and by `passerelle restore`.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use passerelle_referrals::deadlines::Periods;
use passerelle_store::Database;
use passerelle_store::accounts::Retention;
use passerelle_web::Jobs;

/// The name of the retention job on the jobs board and in the metrics.
pub(crate) const RETENTION: &str = "retention";
pub(crate) const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// The accounts' lifecycle (`store::lifecycle`): reminders after months
/// without signing in, then deactivation; hourly, on one server.
pub(crate) const ACCOUNTS: &str = "accounts";
pub(crate) const ACCOUNTS_EVERY: Duration = Duration::from_secs(3600);

/// One run of the accounts' lifecycle; whether it went well.
pub(crate) async fn run_account_lifecycle(db: Database) -> bool {
    let lifecycle = passerelle_store::lifecycle::Lifecycle::default();
    match db
        .run_account_lifecycle(chrono::Utc::now(), lifecycle)
        .await
    {
        Ok(r) if r == Default::default() => true,
        Ok(r) => {
            tracing::info!(
                "accounts: {} reminded, {} deactivated after months without signing in",
                r.reminded,
                r.deactivated
            );
            true
        }
        Err(e) => {
            tracing::error!("accounts lifecycle: {e}");
            false
        }
    }
}

/// The daily digest: the messages people chose to receive once a day,
/// gathered into one e-mail each; its lease makes it once a day across all
/// servers.
pub(crate) const DIGEST: &str = "digest";
pub(crate) const DIGEST_EVERY: Duration = Duration::from_secs(24 * 3600);

/// One run of the daily digest; whether it went well.
pub(crate) async fn run_digest(db: Database) -> bool {
    match db.queue_digests(chrono::Utc::now()).await {
        Ok(n) => {
            if n > 0 {
                tracing::info!("digest: {n} daily digests queued");
            }
            true
        }
        Err(e) => {
            tracing::error!("daily digest: {e}");
            false
        }
    }
}

/// Surveys about to close (`store::watch::tell_surveys_closing`): their
/// gestionnaires are told, once for each closing date; hourly, on one
/// server (a repeated run tells nobody twice).
pub(crate) const SURVEYS_CLOSING: &str = "surveys_closing";
pub(crate) const SURVEYS_CLOSING_EVERY: Duration = Duration::from_secs(3600);

/// One run of the surveys' closing notice; whether it went well.
pub(crate) async fn run_surveys_closing(db: Database) -> bool {
    match db
        .tell_surveys_closing(passerelle_store::surveys::today())
        .await
    {
        Ok(0) => true,
        Ok(n) => {
            tracing::info!("surveys: {n} about to close, their gestionnaires told");
            true
        }
        Err(e) => {
            tracing::error!("surveys closing: {e}");
            false
        }
    }
}

/// The coordinators' summary of stale places
/// (`store::watch::tell_stale_places`), for their daily digest: weekly, so
/// a list that changes slowly does not come back every day; its lease makes
/// it once a week across all servers.
pub(crate) const STALE_PLACES: &str = "stale_places";
pub(crate) const STALE_PLACES_EVERY: Duration = Duration::from_secs(7 * 24 * 3600);

/// One run of the stale places' summary; whether it went well.
pub(crate) async fn run_stale_places(db: Database) -> bool {
    let before =
        passerelle_store::surveys::today() - chrono::Days::new(passerelle_places::STALE_AFTER_DAYS);
    match db.tell_stale_places(before).await {
        Ok(0) => true,
        Ok(n) => {
            tracing::info!("places: {n} coordinators told of their stale places");
            true
        }
        Err(e) => {
            tracing::error!("stale places: {e}");
            false
        }
    }
}

/// Unfinished survey answers are kept this long after their last save.
const SURVEY_DRAFT_DAYS: i64 = 30;

/// This process, as a lease holder: random, so that two servers on one
/// host never take each other for themselves.
pub fn holder() -> &'static str {
    static HOLDER: OnceLock<String> = OnceLock::new();
    HOLDER.get_or_init(|| {
        format!(
            "{}-{}",
            std::process::id(),
            &passerelle_accounts::secret::new_secret()[..12]
        )
    })
}

/// Runs `job` now if this server takes its lease for `lease`, reporting to
/// `jobs`; `run` answers whether it succeeded.
pub(crate) async fn once_here<F, Fut>(
    db: &Database,
    jobs: &Jobs,
    job: &'static str,
    lease: Duration,
    run: F,
) where
    F: FnOnce() -> Fut,
    Fut: Future<Output = bool>,
{
    match db
        .take_job_lease(job, holder(), lease.as_secs() as i64)
        .await
    {
        Ok(true) => {
            jobs.started(job);
            let ok = run().await;
            jobs.finished(job, ok);
        }
        Ok(false) => {
            tracing::debug!("{job}: run by another server this time");
            jobs.run_elsewhere(job);
        }
        Err(e) => {
            tracing::error!("{job}: cannot take its lease: {e}");
            jobs.started(job);
            jobs.finished(job, false);
        }
    }
}

/// Runs `job` every `period` on whichever server holds its lease (see the
/// module's documentation); `lease` is how long the others wait before
/// taking over from a holder that stopped (at least `period`).
pub(crate) async fn every<F, Fut>(
    db: Database,
    jobs: Arc<Jobs>,
    job: &'static str,
    period: Duration,
    lease: Duration,
    mut run: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    jobs.register(job, period);
    loop {
        once_here(&db, &jobs, job, lease.max(period), &mut run).await;
        tokio::time::sleep(period).await;
    }
}

/// Runs every retention job once, each even if another fails. Returns
/// whether all succeeded (failures are logged, without personal data).
pub(crate) async fn run_retention(db: &Database, periods: Periods, retention: Retention) -> bool {
    let mut ok = true;
    match db.apply_retention(chrono::Utc::now(), retention).await {
        Ok(r) if r == Default::default() => {}
        Ok(r) => tracing::info!(
            "retention: {} IP addresses and {} typed addresses pseudonymised, {} old e-mails deleted",
            r.addresses,
            r.typed,
            r.messages
        ),
        Err(e) => {
            tracing::error!("retention of the audit trail and outbox: {e}");
            ok = false;
        }
    }
    match db.purge_expired().await {
        Ok(0) => {}
        Ok(n) => tracing::info!("purged {n} expired sessions and links"),
        Err(e) => {
            tracing::error!("purging expired sessions: {e}");
            ok = false;
        }
    }
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(SURVEY_DRAFT_DAYS)).date_naive();
    match db.purge_survey_drafts(cutoff).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("purged {n} survey drafts older than {SURVEY_DRAFT_DAYS} days"),
        Err(e) => {
            tracing::error!("purging survey drafts: {e}");
            ok = false;
        }
    }
    match db.run_referral_deadlines(chrono::Utc::now(), periods).await {
        Ok(r) if r == Default::default() => {}
        Ok(r) => tracing::info!(
            "referrals: {} reminders, {} expired, {} without outcome, {} requests closed, {} erased",
            r.reminded,
            r.expired,
            r.lapsed,
            r.requests_expired,
            r.erased
        ),
        Err(e) => {
            tracing::error!("referral deadlines: {e}");
            ok = false;
        }
    }
    ok
}

/// Réseau's scheduled work (`store::network::run_network_jobs`): `serve`
/// runs it hourly under the "network" lease, `passerelle network
/// run|digest` on demand, and tests with their own clock. Its messages are
/// notifications, written into French when sent (`web::mail`).
pub async fn network(
    db: &Database,
    now: chrono::DateTime<chrono::Utc>,
    digest: passerelle_store::network::DigestRun,
) -> Result<passerelle_store::network::NetworkJobReport, passerelle_store::StoreError> {
    db.run_network_jobs(now, digest).await
}
