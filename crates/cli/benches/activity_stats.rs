//! Questions at any grain on an imported activity log (run by
//! `bench/activities.sh`, which generates and imports the data first):
//! builds the index of live records as a server does at start (time,
//! bytes), then asks 200 questions mixing day ranges (one day to a year),
//! territories (all, région, départements, EPCI, communes), zero to two
//! filters and one or two dimensions, bringing the index up to date from
//! the database before each as a server does. Prints the figures, and
//! writes the questions (JSON lines) to `PASSERELLE_BENCH_QUESTIONS` so
//! that DuckDB answers the same ones.
//!
//! The database: `DATABASE_URL` when set (PostgreSQL), else the SQLite
//! database of `PASSERELLE_BENCH_DATA_DIR`.

use std::io::Write;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use passerelle_activities::stats::{Dim, Question, Territory};
use passerelle_store::Database;

fn main() {
    let Ok(dir) = std::env::var("PASSERELLE_BENCH_DATA_DIR") else {
        println!("activity_stats: skipped (run bench/activities.sh)");
        return;
    };
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| Database::default_url(std::path::Path::new(&dir)));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = Database::open(&url).await.unwrap();
        let backend = db.backend().name();
        let t = Instant::now();
        let mut live = db.activity_index().await.unwrap();
        let built = t.elapsed();
        let n = live.index.len();
        let bytes = live.index.memory();
        println!(
            "passerelle index build ({backend}): {n} records in {:.1} s, index {} MiB ({:.0} bytes a record), process peak RSS {} MiB",
            built.as_secs_f64(),
            bytes / (1 << 20),
            bytes as f64 / n.max(1) as f64,
            peak_rss_kib() / 1024
        );
        let epcis = ["200068120", "243500139", "242900314", "200042174", "200067981"];
        let communes = ["29232", "35238", "29019", "56260", "22278"];
        let mut state = 7u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let questions_file = std::env::var("PASSERELLE_BENCH_QUESTIONS").ok();
        let mut out = questions_file
            .as_ref()
            .map(|p| std::io::BufWriter::new(std::fs::File::create(p).unwrap()));
        let mut times = Vec::new();
        for _ in 0..200 {
            let territory = match next(5) {
                0 => Territory::All,
                1 => Territory::Region("53".into()),
                2 => Territory::Departement(["22", "29", "35", "56"][next(4)].into()),
                3 => Territory::Epci(epcis[next(epcis.len())].into()),
                _ => Territory::Commune(communes[next(communes.len())].into()),
            };
            let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(next(360) as i64);
            let days = [1, 3, 7, 31, 92, 365][next(6)];
            let end = (start + chrono::Duration::days(days - 1)).min(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
            let mut filters = Vec::new();
            for _ in 0..next(3) {
                let f = match next(3) {
                    0 => (Dim::Type, ["atelier", "individuel", "demarche"][next(3)].to_string()),
                    1 => (Dim::Theme, ["Démarche en ligne", "Courriels", "Prendre en main du matériel", "Naviguer sur Internet"][next(4)].to_string()),
                    _ => (Dim::Age, ["60-69 ans", "70 ans et plus", "25-39 ans", "40-59 ans"][next(4)].to_string()),
                };
                if !filters.iter().any(|(d, _): &(Dim, Vec<String>)| *d == f.0) {
                    filters.push((f.0, vec![f.1]));
                }
            }
            let by = match next(6) {
                0 => vec![Dim::Theme],
                1 => vec![Dim::Type],
                2 => vec![Dim::Age],
                3 => vec![Dim::Theme, Dim::Age],
                4 => vec![Dim::Mois, Dim::Type],
                _ => vec![Dim::Departement, Dim::Theme],
            };
            let q = Question { from: start, to: end, territory, filters, by };
            let t = Instant::now();
            db.refresh_activity_index(&mut live).await.unwrap();
            let answer = live.index.answer(&q).unwrap();
            times.push(t.elapsed());
            if let Some(out) = out.as_mut() {
                let line = serde_json::json!({
                    "territory": q.territory.key(),
                    "from": q.from.to_string(),
                    "to": q.to.to_string(),
                    "filters": q.filters.iter().map(|(d, v)| (d.name(), v[0].clone())).collect::<Vec<_>>(),
                    "by": q.by.iter().map(|d| d.name()).collect::<Vec<_>>(),
                    "records": answer.records,
                });
                writeln!(out, "{line}").unwrap();
            }
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "passerelle questions at any grain ({backend}, 200: day ranges, territories, 0-2 filters, 1-2 dimensions, refresh included): p50 {:.2} ms, p95 {:.2} ms",
            ms(times[100]),
            ms(times[189])
        );
    });
}

/// The process's peak resident memory (Linux), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
