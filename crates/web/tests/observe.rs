//! What operators watch, through the real router on the back-end the
//! environment selects: `/metrics` (scraped and parsed as Prometheus
//! does), `/health/live` and `/health/ready`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use passerelle_store::testing::bretagne_database;
use passerelle_web::{AppState, Assets, WebConfig, router};
use tower::ServiceExt;

const TOKEN: &str = "jeton-de-supervision-assez-long";

async fn serving(token: Option<&str>) -> (Router, AppState) {
    let db = bretagne_database().await;
    let state = AppState::new(
        db,
        WebConfig::new("http://127.0.0.1:8080", false).with_metrics_token(token.map(Into::into)),
    );
    (router(state.clone(), &Assets { dir: None }), state)
}

async fn get(app: &Router, uri: &str, bearer: Option<&str>) -> (StatusCode, String, String) {
    let mut request = Request::get(uri);
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

/// The samples of an exposition, `name{labels}` → value, checking every
/// line is a comment or a well-formed sample and that it ends with `# EOF`.
fn parse(text: &str) -> BTreeMap<String, f64> {
    assert_eq!(text.lines().last(), Some("# EOF"), "{text}");
    let mut samples = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        assert!(
            series[..name_end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "{line}");
        }
        samples.insert(series.to_string(), value);
    }
    samples
}

#[tokio::test]
async fn metrics_are_scraped_with_the_token_only() {
    let (app, state) = serving(Some(TOKEN)).await;
    assert_eq!(
        get(&app, "/metrics", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, "/metrics", Some("pas-le-bon")).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Some traffic first: pages, a matched route with an identifier, a 404.
    assert_eq!(
        get(&app, "/territoires/communes/29232", None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, "/territoires/communes/29019", None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, "/nulle-part/jean.dupont@exemple.fr", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    state.jobs.register("retention", Duration::from_secs(3600));
    state.jobs.started("retention");
    state.jobs.finished("retention", true);
    state
        .db
        .notify(
            "a@exemple.fr",
            &passerelle_accounts::notification::Notification::RequestMessage { request: 1 },
        )
        .await
        .unwrap();

    let (status, content_type, body) = get(&app, "/metrics", Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let samples = parse(&body);
    let value = |series: &str| {
        *samples
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in:\n{body}"))
    };
    assert_eq!(
        value(
            r#"passerelle_http_requests_total{route="/territoires/communes/{code}",method="GET",status="200"}"#
        ),
        2.0,
        "requests are counted by the route matched, not the path"
    );
    assert_eq!(
        value(r#"passerelle_http_requests_total{route="unmatched",method="GET",status="404"}"#),
        1.0
    );
    assert!(
        !body.contains("jean.dupont"),
        "paths typed never become labels"
    );
    assert_eq!(
        value(
            r#"passerelle_http_request_duration_seconds_count{route="/territoires/communes/{code}"}"#
        ),
        2.0
    );
    assert_eq!(
        value(
            r#"passerelle_http_request_duration_seconds_bucket{le="+Inf",route="/territoires/communes/{code}"}"#
        ),
        2.0
    );
    assert!(value("passerelle_db_pool_connections") >= 1.0);
    assert!(value("passerelle_db_pool_idle_connections") >= 0.0);
    assert_eq!(value("passerelle_outbox_queue_length"), 1.0);
    assert_eq!(
        value(r#"passerelle_job_last_success{job="retention"}"#),
        1.0
    );
    assert!(value(r#"passerelle_job_last_run_timestamp_seconds{job="retention"}"#) > 1.7e9);
    assert_eq!(
        value(r#"passerelle_job_runs_total{job="retention",outcome="success"}"#),
        1.0
    );
    // A second scrape counts on, never again from zero.
    state.jobs.started("retention");
    state.jobs.finished("retention", false);
    let samples = parse(&get(&app, "/metrics", Some(TOKEN)).await.2);
    assert_eq!(
        samples[r#"passerelle_job_runs_total{job="retention",outcome="success"}"#],
        1.0
    );
    assert_eq!(
        samples[r#"passerelle_job_runs_total{job="retention",outcome="failure"}"#],
        1.0
    );
    assert_eq!(
        samples[r#"passerelle_job_last_success{job="retention"}"#],
        0.0
    );
}

#[tokio::test]
async fn without_the_setting_there_is_no_metrics_page() {
    let (app, _) = serving(None).await;
    let (status, _, body) = get(&app, "/metrics", Some(TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page introuvable"), "{body}");
    let (blank, _) = serving(Some("  ")).await;
    assert_eq!(
        get(&blank, "/metrics", Some("  ")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn live_and_ready_say_what_they_check_and_nothing_more() {
    let (app, state) = serving(None).await;
    let (status, _, body) = get(&app, "/health/live", None).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"status":"live"}"#)
    );
    let (status, _, body) = get(&app, "/health/ready", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"]["database"], "ok");
    assert_eq!(ready["checks"]["migrations"], "ok");
    assert_eq!(ready["checks"]["jobs"], "ok");
    // A job registered and running within its period: still ready (when
    // a job is stuck is the unit test's in observe.rs).
    state.jobs.register("outbox", Duration::from_secs(5));
    state.jobs.started("outbox");
    assert_eq!(get(&app, "/health/ready", None).await.0, StatusCode::OK);
    // Closed database: the database check fails, nothing else is said.
    state.db.close().await;
    let (status, _, body) = get(&app, "/health/ready", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["status"], "not_ready");
    assert_eq!(ready["checks"]["database"], "failing");
    for detail in ["sqlite", "postgres", "pool", "closed", "sqlx"] {
        assert!(!body.to_lowercase().contains(detail), "{body}");
    }
    let (status, _, body) = get(&app, "/health", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!body.to_lowercase().contains("closed"), "{body}");
}
