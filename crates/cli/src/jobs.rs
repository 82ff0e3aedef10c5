//! The scheduled jobs of `passerelle serve`: each runs on one server at a
//! time, whoever many share the database (`store::instances`).
//!
//! A server that takes a job's lease keeps it at least for the job's period
//! and renews it each round: the others skip, so an hourly job runs once an
//! hour across all servers, and a server that died hands over when its
//! lease expires.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use passerelle_store::Database;

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

/// Runs `job` every `period` on whichever server holds its lease. The
/// holder renews it each round; `lease` is how long the others wait before
/// taking over from a holder that stopped (at least `period`).
pub async fn every<F, Fut>(
    db: Database,
    job: &'static str,
    period: Duration,
    lease: Duration,
    mut run: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let lease = lease.max(period).as_secs() as i64;
    loop {
        match db.take_job_lease(job, holder(), lease).await {
            Ok(true) => run().await,
            Ok(false) => tracing::debug!("{job}: run by another server this time"),
            Err(e) => tracing::error!("{job}: cannot take its lease: {e}"),
        }
        tokio::time::sleep(period).await;
    }
}

/// Réseau's scheduled work (`store::network::run_network_jobs`), with the
/// e-mails' text from the web layer: `serve` runs it hourly under the
/// "network" lease, `passerelle network run|digest` on demand, and tests
/// with their own clock.
pub async fn network(
    db: &Database,
    public_url: &str,
    now: chrono::DateTime<chrono::Utc>,
    digest: passerelle_store::network::DigestRun,
) -> Result<passerelle_store::network::NetworkJobReport, passerelle_store::StoreError> {
    let render = passerelle_web::reseau::mail::renderer(public_url);
    db.run_network_jobs(now, &render, digest).await
}
