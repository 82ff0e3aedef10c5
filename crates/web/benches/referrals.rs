//! Orientations under load (`cargo bench -p passerelle-web --bench
//! referrals`; `BENCH_SECONDS`, default 60): 200 professionals on loopback
//! HTTP — 100 social workers sending referrals, 100 mediators opening them,
//! fixing an appointment and closing them — for the given time. Prints
//! throughput, latency percentiles, errors (must be 0), then checks that
//! every referral created is present once with every step recorded.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use passerelle_accounts::{Role, StructureKind};
use passerelle_store::accounts::NewStructure;
use passerelle_web::{AppState, Assets, WebConfig, router};
use sqlx::Row;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};

const PAIRS: usize = 100;

/// A keep-alive HTTP/1.1 connection speaking just enough of the protocol:
/// the server always sends Content-Length.
struct Conn {
    stream: BufReader<TcpStream>,
    host: String,
    cookie: String,
}

impl Conn {
    async fn new(addr: std::net::SocketAddr, session: &str) -> Self {
        Self {
            stream: BufReader::new(TcpStream::connect(addr).await.unwrap()),
            host: addr.to_string(),
            cookie: format!("passerelle_session={session}"),
        }
    }

    /// Status, Location header.
    async fn send(&mut self, method: &str, path: &str, form: Option<&str>) -> (u16, String) {
        let body = form.unwrap_or("");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nOrigin: http://{}\r\n",
            self.host, self.cookie, self.host
        );
        if form.is_some() {
            request.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(body);
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .unwrap();
        let mut line = String::new();
        self.stream.read_line(&mut line).await.unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (mut length, mut location) = (0usize, String::new());
        loop {
            line.clear();
            self.stream.read_line(&mut line).await.unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("location:") {
                location = l[9..].trim().to_string();
            }
        }
        let mut sink = vec![0u8; length];
        self.stream.read_exact(&mut sink).await.unwrap();
        (status, location)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
}

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(seconds));
}

async fn run(seconds: u64) {
    let db = passerelle_store::testing::bretagne_database().await;
    db.load_bundled_places().await.unwrap();
    let state = AppState::new(db.clone(), WebConfig::new("http://127.0.0.1", false));
    // Receiving structures: those running ten bundled places (by SIRET).
    let index = state.place_index().await.unwrap();
    let mut pivots: Vec<(String, i64)> = Vec::new();
    for e in &index.entries {
        let p = &e.place.pivot;
        if pivots.len() < 10
            && !pivots.iter().any(|(x, _)| x == p)
            && passerelle_accounts::is_valid_siret(p)
        {
            pivots.push((p.clone(), e.id));
        }
    }
    let mut senders = Vec::new();
    let mut receivers = Vec::new();
    for (i, (siret, place)) in pivots.iter().enumerate() {
        let nom = format!("Médiathèque {i}");
        let r = db
            .create_structure(&NewStructure {
                nom: &nom,
                kind: StructureKind::Mediatheque,
                siret: Some(siret),
                commune_code: Some("29232"),
            })
            .await
            .unwrap()
            .unwrap();
        let nom = format!("CCAS {i}");
        let s = db
            .create_structure(&NewStructure {
                nom: &nom,
                kind: StructureKind::Ccas,
                siret: None,
                commune_code: Some("29232"),
            })
            .await
            .unwrap()
            .unwrap();
        for j in 0..PAIRS / pivots.len() {
            let a = db
                .create_person_with_role(
                    &format!("as{i}.{j}@ccas.fr"),
                    "AS",
                    None,
                    s,
                    Role::Membre,
                    &[],
                )
                .await
                .unwrap();
            let m = db
                .create_person_with_role(
                    &format!("med{i}.{j}@mediatheque.fr"),
                    "Med",
                    None,
                    r,
                    Role::Membre,
                    &[],
                )
                .await
                .unwrap();
            senders.push((db.create_session(a).await.unwrap(), *place));
            receivers.push(db.create_session(m).await.unwrap());
        }
    }
    let csrf = |token: &str| {
        let db = db.clone();
        let token = token.to_string();
        async move { db.session(&token).await.unwrap().unwrap().csrf_token }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(state, &Assets { dir: None });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let errors = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let created = Arc::new(Mutex::new(Vec::<i64>::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (n, ((sender, place), receiver)) in senders.into_iter().zip(receivers).enumerate() {
        let (tx, mut rx) = mpsc::unbounded_channel::<i64>();
        let sender_csrf = csrf(&sender).await;
        let receiver_csrf = csrf(&receiver).await;
        let (send_latencies, send_errors, send_created) =
            (latencies.clone(), errors.clone(), created.clone());
        tasks.push(tokio::spawn(async move {
            let (latencies, errors, created) = (send_latencies, send_errors, send_created);
            let mut conn = Conn::new(addr, &sender).await;
            let mut k = 0;
            while Instant::now() < deadline {
                k += 1;
                let form = format!(
                    "_csrf={sender_csrf}&cle=bench-{n}-{k}&lieu={place}&service=Aide+aux+d%C3%A9marches+administratives\
                     &situation=Dossier&urgence=normale&prenom=Jeanne&canal=telephone&contact=0612345678\
                     &consentement=oui&consentement_mode=oral"
                );
                let started = Instant::now();
                let (status, location) = conn.send("POST", "/orientations", Some(&form)).await;
                latencies.lock().await.push(started.elapsed());
                match location.strip_prefix("/orientations/").and_then(|l| l.split('?').next()?.parse().ok()) {
                    Some(id) if status == 303 => {
                        created.lock().await.push(id);
                        let _ = tx.send(id);
                    }
                    _ => *errors.lock().await.entry(format!("create {status}")).or_default() += 1,
                }
            }
        }));
        let (receive_latencies, receive_errors) = (latencies.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let (latencies, errors) = (receive_latencies, receive_errors);
            let mut conn = Conn::new(addr, &receiver).await;
            while let Some(id) = rx.recv().await {
                let path = format!("/orientations/{id}");
                let steps = [
                    ("GET", path.clone(), None, 200),
                    (
                        "POST",
                        format!("{path}/etape"),
                        Some(format!(
                            "_csrf={receiver_csrf}&version=2&etape=rendez_vous&date=2099-01-01"
                        )),
                        303,
                    ),
                    (
                        "POST",
                        format!("{path}/etape"),
                        Some(format!("_csrf={receiver_csrf}&version=3&etape=accompagnee")),
                        303,
                    ),
                ];
                for (method, uri, form, expected) in steps {
                    let started = Instant::now();
                    let (status, _) = conn.send(method, &uri, form.as_deref()).await;
                    latencies.lock().await.push(started.elapsed());
                    if status != expected {
                        *errors
                            .lock()
                            .await
                            .entry(format!("{method} {status}"))
                            .or_default() += 1;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut all = latencies.lock().await.clone();
    all.sort();
    let created = created.lock().await.clone();
    let errors = errors.lock().await.clone();
    println!(
        "referrals under load: {} professionals, {seconds} s on loopback HTTP (SQLite): {} requests ({:.0}/s), {} referrals created and closed",
        2 * PAIRS,
        all.len(),
        all.len() as f64 / seconds as f64,
        created.len()
    );
    println!(
        "latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; errors: {}",
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 1.0),
        if errors.is_empty() {
            "0".to_string()
        } else {
            format!("{errors:?}")
        }
    );
    // Consistency: each created once, each with its four steps.
    let rows = sqlx::query(
        "SELECT r.id, r.status, (SELECT COUNT(*) FROM referral_events e WHERE e.referral_id = r.id) FROM referrals r",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut wrong = 0;
    for r in &rows {
        let status: String = r.try_get(1).unwrap();
        let events: i64 = r.try_get(2).unwrap();
        if status != "accompagnee" || events != 4 {
            wrong += 1;
        }
    }
    let mut ids: Vec<i64> = created.clone();
    ids.sort();
    ids.dedup();
    println!(
        "consistency: {} referrals stored for {} created ({} distinct); {} not closed with their 4 steps",
        rows.len(),
        created.len(),
        ids.len(),
        wrong
    );
    assert!(
        errors.is_empty()
            && wrong == 0
            && rows.len() == created.len()
            && ids.len() == created.len()
    );
}
