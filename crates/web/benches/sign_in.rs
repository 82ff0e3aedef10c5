//! Sign-in benchmark (`cargo bench -p passerelle-web --bench sign_in`).
//!
//! Argon2id with the OWASP parameters Passerelle uses (m = 19 MiB, t = 2,
//! p = 1): the cost of one verification, sign-in throughput and latency
//! through the real router with 8 concurrent clients, and the latency of
//! `/health` during that storm compared with idle — hashing runs on the
//! blocking pool, so the async runtime keeps answering.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use passerelle_accounts::password::{
    ITERATIONS, MEMORY_KIB, PARALLELISM, hash_password, verify_password,
};
use passerelle_accounts::{Role, StructureKind};
use passerelle_store::accounts::NewStructure;
use passerelle_web::{AppState, Assets, WebConfig, router};
use tower::ServiceExt;

const PASSWORD: &str = "une phrase de passe solide";
const CSRF: &str = "0000000000000000000000000000000000000000000000000000000000000abc";

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
}

async fn sign_in(app: &Router) -> (u16, Duration) {
    let started = Instant::now();
    let body = format!(
        "_csrf={CSRF}&email=mediatrice%40exemple.fr&password={}",
        PASSWORD.replace(' ', "+")
    );
    let request = Request::post("/connexion")
        .header(header::COOKIE, format!("passerelle_csrf={CSRF}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let status = app
        .clone()
        .oneshot(request)
        .await
        .unwrap()
        .status()
        .as_u16();
    (status, started.elapsed())
}

async fn health_latencies(app: &Router, n: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let response = app
            .clone()
            .oneshot(Request::get("/health").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        out.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    out.sort();
    out
}

fn main() {
    println!(
        "Argon2id parameters: m = {MEMORY_KIB} KiB, t = {ITERATIONS}, p = {PARALLELISM} (OWASP); machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let hash = hash_password(PASSWORD);
    let started = Instant::now();
    let rounds = 40;
    for _ in 0..rounds {
        assert!(verify_password(PASSWORD, &hash));
    }
    let one = started.elapsed() / rounds;
    println!(
        "one verification, one thread: {:.1} ms ({:.0} per second per core)",
        one.as_secs_f64() * 1000.0,
        1.0 / one.as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = passerelle_store::testing::bretagne_database().await;
        let structure = db
            .create_structure(&NewStructure { nom: "Bench", kind: StructureKind::Association, siret: None, commune_code: None })
            .await
            .unwrap()
            .unwrap();
        db.create_person_with_role("mediatrice@exemple.fr", "Médiatrice", Some(&hash), structure, Role::Membre, &[]).await.unwrap();
        let app = router(AppState::new(db, WebConfig::new("http://127.0.0.1:8080", false)), &Assets { dir: None });

        let idle = health_latencies(&app, 300).await;
        let total = 200;
        let concurrency = 8;
        let started = Instant::now();
        let storm = {
            let app = app.clone();
            tokio::spawn(async move {
                let mut tasks = Vec::new();
                for worker in 0..concurrency {
                    let app = app.clone();
                    tasks.push(tokio::spawn(async move {
                        let mut latencies = Vec::new();
                        for _ in (worker..total).step_by(concurrency) {
                            let (status, latency) = sign_in(&app).await;
                            assert_eq!(status, 303, "sign-in succeeds");
                            latencies.push(latency);
                        }
                        latencies
                    }));
                }
                let mut all = Vec::new();
                for t in tasks {
                    all.extend(t.await.unwrap());
                }
                all
            })
        };
        let during = health_latencies(&app, 300).await;
        let mut latencies = storm.await.unwrap();
        let elapsed = started.elapsed();
        latencies.sort();
        println!(
            "sign-in through the router, {total} successful sign-ins, {concurrency} concurrent clients: {:.1} per second; latency p50 {:.0} ms, p99 {:.0} ms",
            total as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99)
        );
        println!(
            "GET /health latency idle: p50 {:.2} ms, p99 {:.2} ms; during the sign-in storm: p50 {:.2} ms, p99 {:.2} ms",
            percentile(&idle, 0.5),
            percentile(&idle, 0.99),
            percentile(&during, 0.5),
            percentile(&during, 0.99)
        );
    });
}
