//! Foundation benchmark (run with `cargo bench -p passerelle --bench foundation`).
//!
//! 1. Cold start: `passerelle serve` on an empty data directory (creates the
//!    SQLite file, migrates, loads the bundled reference) until /health
//!    answers 200.
//! 2. Commune name search on the full-France file (34,969 communes):
//!    p50/p99 over 10,000 random prefixes, through `Database::search_communes`,
//!    against the peer a straightforward implementation would use, a
//!    `nom LIKE 'prefix%'` scan in the same database and process.
//!
//! The France file is read from `../shared/data/france/communes.csv` beside
//! the repository, or from `PASSERELLE_BENCH_FRANCE`. Set
//! `PASSERELLE_BENCH_POSTGRES_URL` (an admin URL) to measure PostgreSQL too.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use passerelle_store::Database;
use passerelle_territory::parse_reference_file;
use sqlx::{AssertSqlSafe, Row};

fn main() {
    sqlx::any::install_default_drivers();
    cold_start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(search());
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("passerelle-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn health_ok(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

fn cold_start() {
    const RUNS: usize = 5;
    let mut times = Vec::new();
    for run in 0..RUNS {
        let dir = temp_dir(&format!("cold{run}"));
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_passerelle"))
            .arg("serve")
            .env("PASSERELLE_DATA_DIR", &dir)
            .env("PASSERELLE_ADDR", "127.0.0.1:0")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start passerelle");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("address")
            .to_string();
        while !health_ok(&addr) {
            std::thread::sleep(Duration::from_millis(1));
        }
        times.push(started.elapsed());
        child.kill().unwrap();
        child.wait().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
    times.sort();
    println!(
        "cold start (empty data dir → /health 200, {RUNS} runs): median {:.0} ms, min {:.0} ms, max {:.0} ms",
        ms(times[RUNS / 2]),
        ms(times[0]),
        ms(times[RUNS - 1])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    ms(sorted[i])
}

/// Deterministic pseudo-random numbers (no dependency; same prefixes every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % bound as u64) as usize
    }
}

async fn search() {
    let path = std::env::var("PASSERELLE_BENCH_FRANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/france/communes.csv")
        });
    let Ok(bytes) = std::fs::read(&path) else {
        println!(
            "search: skipped, {} not found (set PASSERELLE_BENCH_FRANCE)",
            path.display()
        );
        return;
    };
    let file =
        parse_reference_file(&path.display().to_string(), &bytes).expect("France file parses");
    let passerelle_territory::ReferenceFile::Communes(communes, _) = &file else {
        panic!("not a commune file")
    };
    // 10,000 prefixes of random commune names, 1 to 8 characters as typed.
    let mut rng = Lcg(20_261_124);
    let prefixes: Vec<String> = (0..10_000)
        .map(|_| {
            let name = &communes[rng.next(communes.len())].nom;
            let len = 1 + rng.next(8);
            name.chars().take(len).collect()
        })
        .collect();

    let mut targets = vec![(
        "sqlite".to_string(),
        Database::default_url(&temp_dir("search")),
    )];
    if let Ok(admin) = std::env::var("PASSERELLE_BENCH_POSTGRES_URL") {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
            .await
            .expect("postgres");
        sqlx::raw_sql("DROP DATABASE IF EXISTS passerelle_bench")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::raw_sql("CREATE DATABASE passerelle_bench")
            .execute(&mut conn)
            .await
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        targets.push(("postgresql".to_string(), format!("{base}/passerelle_bench")));
    }
    for (backend, url) in targets {
        let db = Database::open(&url).await.expect("open");
        db.load_bundled_reference().await.unwrap();
        let started = Instant::now();
        let report = db.import_reference("france", &file).await.unwrap();
        println!(
            "[{backend}] import of the France file: {} communes in {:.2} s",
            report.rows,
            started.elapsed().as_secs_f64()
        );
        // Warm-up, then measure.
        for p in prefixes.iter().take(200) {
            db.search_communes(p, 20).await.unwrap();
        }
        let mut ours = Vec::with_capacity(prefixes.len());
        let mut found = 0usize;
        for p in &prefixes {
            let t = Instant::now();
            found += db.search_communes(p, 20).await.unwrap().len();
            ours.push(t.elapsed());
        }
        // The peer: a LIKE scan on the name (case-insensitive for ASCII on
        // SQLite, ILIKE on PostgreSQL; neither ignores accents).
        let like = if backend == "sqlite" { "LIKE" } else { "ILIKE" };
        let sql = format!(
            "SELECT code, nom, population FROM communes WHERE nom {like} $1 \
             ORDER BY COALESCE(population, 0) DESC LIMIT 20"
        );
        let mut peer = Vec::with_capacity(prefixes.len());
        for p in &prefixes {
            let t = Instant::now();
            let rows = sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(format!("{p}%"))
                .fetch_all(db.pool())
                .await
                .unwrap();
            let _ = rows.first().map(|r| r.try_get::<String, _>(0));
            peer.push(t.elapsed());
        }
        ours.sort();
        peer.sort();
        let (p50, p99) = (percentile(&ours, 0.5), percentile(&ours, 0.99));
        let (peer50, peer99) = (percentile(&peer, 0.5), percentile(&peer, 0.99));
        println!(
            "[{backend}] commune search, 10,000 random prefixes (1–8 chars, limit 20, {:.1} results on average, \
             with postcodes and parents): p50 {p50:.3} ms, p99 {p99:.3} ms",
            found as f64 / prefixes.len() as f64
        );
        println!(
            "[{backend}] peer `nom {like} 'prefix%'` scan, no parents: p50 {peer50:.3} ms, p99 {peer99:.3} ms \
             → ratio peer/ours: p50 ×{:.1}, p99 ×{:.1}",
            peer50 / p50,
            peer99 / p99
        );
        db.close().await;
    }
}
