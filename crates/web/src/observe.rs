//! What operators watch: `/metrics` in the Prometheus (OpenMetrics) text
//! format behind `PASSERELLE_METRICS_TOKEN`, `/health/live` and
//! `/health/ready`, the request log, and the board of background jobs.
//!
//! Requests are counted by matched route (the template, `/orientations/{id}`,
//! never the path people typed: no identifiers, no search terms, a bounded
//! number of series), method and status. The log line of a request carries
//! the same, so it holds no personal data.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/metrics", metrics),
        Route::get("/health/live", live),
        Route::get("/health/ready", ready),
    ]
}

/// The background jobs of a running server, as they last ran.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<BTreeMap<&'static str, Job>>,
}

#[derive(Clone, Copy)]
struct Job {
    every: Duration,
    registered: Instant,
    started: Option<Instant>,
    finished: Option<Instant>,
    running: bool,
    last_at: Option<SystemTime>,
    last_ok: bool,
    last_duration: Duration,
    succeeded: u64,
    failed: u64,
}

/// Longer than this and a run is stuck, whatever the job's period.
const LONGEST_RUN: Duration = Duration::from_secs(15 * 60);
/// Slack on top of two periods before a job that has not run is stuck.
const GRACE: Duration = Duration::from_secs(60);

impl Jobs {
    /// Declares a job that runs every `every`.
    pub fn register(&self, name: &'static str, every: Duration) {
        self.jobs.lock().expect("jobs lock").insert(
            name,
            Job {
                every,
                registered: Instant::now(),
                started: None,
                finished: None,
                running: false,
                last_at: None,
                last_ok: false,
                last_duration: Duration::ZERO,
                succeeded: 0,
                failed: 0,
            },
        );
    }

    /// A run of `name` starts.
    pub fn started(&self, name: &'static str) {
        if let Some(job) = self.jobs.lock().expect("jobs lock").get_mut(name) {
            job.started = Some(Instant::now());
            job.running = true;
        }
    }

    /// A run of `name` ended, well or not.
    pub fn finished(&self, name: &'static str, ok: bool) {
        if let Some(job) = self.jobs.lock().expect("jobs lock").get_mut(name) {
            let now = Instant::now();
            job.last_duration = job.started.map_or(Duration::ZERO, |s| now - s);
            job.finished = Some(now);
            job.running = false;
            job.last_at = Some(SystemTime::now());
            job.last_ok = ok;
            if ok {
                job.succeeded += 1;
            } else {
                job.failed += 1;
            }
        }
    }

    /// Another server holds `name`'s lease this round and runs it
    /// (`store::instances`): this server's board is not stuck for that.
    pub fn run_elsewhere(&self, name: &'static str) {
        if let Some(job) = self.jobs.lock().expect("jobs lock").get_mut(name) {
            job.finished = Some(Instant::now());
        }
    }

    /// Jobs running for too long, or that have not finished a run for two
    /// of their periods.
    pub fn stuck(&self) -> Vec<&'static str> {
        let now = Instant::now();
        self.jobs
            .lock()
            .expect("jobs lock")
            .iter()
            .filter(|(_, job)| {
                let running_too_long = job.running
                    && job
                        .started
                        .is_some_and(|s| now - s > LONGEST_RUN.max(job.every));
                let since = job.finished.unwrap_or(job.registered);
                running_too_long || now - since > job.every * 2 + GRACE
            })
            .map(|(name, _)| *name)
            .collect()
    }

    fn snapshot(&self) -> Vec<(&'static str, Job)> {
        self.jobs
            .lock()
            .expect("jobs lock")
            .iter()
            .map(|(n, j)| (*n, *j))
            .collect()
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobOutcomeLabels {
    job: &'static str,
    outcome: &'static str,
}

/// The metrics registry and the series updated by requests.
pub(crate) struct Observer {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_size: Gauge,
    pool_idle: Gauge,
    outbox: Gauge,
    job_last_run: Family<JobLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    job_last_success: Family<JobLabels, Gauge>,
    job_last_duration: Family<JobLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    job_runs: Family<JobOutcomeLabels, Counter>,
}

impl Default for Observer {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("passerelle");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by matched route, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by matched route",
            latency.clone(),
        );
        let (pool_size, pool_idle, outbox) = (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool",
            pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Database connections open and idle",
            pool_idle.clone(),
        );
        registry.register(
            "outbox_queue_length",
            "E-mails waiting in the outbox to be sent",
            outbox.clone(),
        );
        let job_last_run = Family::default();
        registry.register(
            "job_last_run_timestamp_seconds",
            "When a background job last finished (Unix time)",
            job_last_run.clone(),
        );
        let job_last_success = Family::default();
        registry.register(
            "job_last_success",
            "1 if a background job's last run succeeded, 0 if it failed",
            job_last_success.clone(),
        );
        let job_last_duration = Family::default();
        registry.register(
            "job_last_duration_seconds",
            "How long a background job's last run took",
            job_last_duration.clone(),
        );
        let job_runs = Family::default();
        registry.register(
            "job_runs",
            "Runs of a background job since the server started, by outcome",
            job_runs.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            pool_size,
            pool_idle,
            outbox,
            job_last_run,
            job_last_success,
            job_last_duration,
            job_runs,
        }
    }
}

fn method_label(method: &Method) -> &'static str {
    [
        Method::GET,
        Method::POST,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ]
    .iter()
    .find(|m| *m == method)
    .map_or("OTHER", |m| match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "OPTIONS",
    })
}

/// The route a request matched, as declared: static files as one, and
/// anything unmatched as `unmatched`.
fn route_label(request: &Request) -> String {
    match request.extensions().get::<MatchedPath>() {
        Some(path) if path.as_str().starts_with("/static/") => "/static".into(),
        Some(path) => path.as_str().to_string(),
        None => "unmatched".into(),
    }
}

/// Counts and times every request, and logs it without its path.
pub(crate) async fn track(
    State(observer): State<Arc<Observer>>,
    request: Request,
    next: Next,
) -> Response {
    let route = route_label(&request);
    let method = method_label(request.method());
    let start = Instant::now();
    let response = next.run(request).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    observer
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            method,
            status,
        })
        .inc();
    observer
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(elapsed.as_secs_f64());
    tracing::info!(
        target: "passerelle::http",
        method,
        route = route.as_str(),
        status,
        ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// The metrics, for Prometheus: answers only with the bearer token of
/// `PASSERELLE_METRICS_TOKEN`; without that setting there is no such page.
#[utoipa::path(get, path = "/metrics", tag = "exploitation",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "OpenMetrics text (Prometheus)", content_type = "application/openmetrics-text"),
        (status = 401, description = "No token, or not the metrics token"),
        (status = 404, description = "PASSERELLE_METRICS_TOKEN is not set"),
    ))]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return crate::pages::not_found().await;
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !passerelle_accounts::secret::constant_time_eq(
        &passerelle_accounts::secret::hash_secret(presented),
        &passerelle_accounts::secret::hash_secret(expected),
    ) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    let observer = &state.observer;
    let pool = state.db.pool();
    observer.pool_size.set(i64::from(pool.size()));
    observer
        .pool_idle
        .set(i64::try_from(pool.num_idle()).unwrap_or(i64::MAX));
    match state.db.outbox_queue_length().await {
        Ok(n) => {
            observer.outbox.set(n);
        }
        Err(e) => tracing::error!("metrics: outbox queue length: {e}"),
    }
    for (name, job) in state.jobs.snapshot() {
        let labels = JobLabels { job: name };
        if let Some(at) = job.last_at {
            let unix = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            observer.job_last_run.get_or_create(&labels).set(unix);
            observer
                .job_last_success
                .get_or_create(&labels)
                .set(i64::from(job.last_ok));
            observer
                .job_last_duration
                .get_or_create(&labels)
                .set(job.last_duration.as_secs_f64());
        }
        for (outcome, n) in [("success", job.succeeded), ("failure", job.failed)] {
            let runs = observer
                .job_runs
                .get_or_create(&JobOutcomeLabels { job: name, outcome });
            runs.inc_by(n.saturating_sub(runs.get()));
        }
    }
    let mut body = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut body, &observer.registry) {
        tracing::error!("metrics: encoding: {e}");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

#[derive(Serialize, ToSchema)]
pub struct Liveness {
    /// `live`.
    status: &'static str,
}

/// The process answers (for a supervisor's liveness probe).
#[utoipa::path(get, path = "/health/live", tag = "exploitation",
    responses((status = 200, body = Liveness)))]
async fn live() -> Json<Liveness> {
    Json(Liveness { status: "live" })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, or `not_ready` with the failing checks.
    status: &'static str,
    /// `database`, `migrations`, `jobs`: `ok` or `failing`. Details go to
    /// the server's log only.
    checks: BTreeMap<&'static str, &'static str>,
}

/// Ready to serve: the database answers, its schema is the one this
/// version expects, and no background job is stuck.
#[utoipa::path(get, path = "/health/ready", tag = "exploitation",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "A check fails", body = Readiness),
    ))]
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let database = match state.db.ping().await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!("readiness: database: {e}");
            false
        }
    };
    let migrations = database
        && match state.db.schema_status().await {
            Ok(status) if status.current() => true,
            Ok(status) => {
                tracing::error!(
                    "readiness: schema at migration {:?}, this version expects {}",
                    status.applied,
                    status.known
                );
                false
            }
            Err(e) => {
                tracing::error!("readiness: schema: {e}");
                false
            }
        };
    let stuck = state.jobs.stuck();
    if !stuck.is_empty() {
        tracing::error!("readiness: background jobs stuck: {}", stuck.join(", "));
    }
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let checks = BTreeMap::from([
        ("database", word(database)),
        ("migrations", word(migrations)),
        ("jobs", word(stuck.is_empty())),
    ]);
    let ok = database && migrations && stuck.is_empty();
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(Readiness {
            status: if ok { "ready" } else { "not_ready" },
            checks,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_that_stops_finishing_is_stuck() {
        let jobs = Jobs::default();
        jobs.register("hourly", Duration::from_secs(3600));
        jobs.started("hourly");
        jobs.finished("hourly", true);
        assert!(jobs.stuck().is_empty());
        // A job whose period has long passed without a run.
        jobs.register("fast", Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        assert!(jobs.stuck().is_empty(), "within the grace period");
        let mut board = jobs.jobs.lock().unwrap();
        board.get_mut("fast").unwrap().registered -= GRACE + Duration::from_secs(1);
        drop(board);
        assert_eq!(jobs.stuck(), ["fast"]);
    }

    #[test]
    fn methods_outside_the_standard_ones_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }
}
