//! The stats index alone at scale, without a database: N generated records
//! (default 10,000,000) over the Bretagne communes of
//! `data/reference/bretagne/communes.csv`, built as a server builds it, then
//! the 200 questions of `bench/activities.sh` (day ranges, territories,
//! 0-2 filters, 1-2 dimensions). Prints build time, bytes a record, p50 and
//! p95. `cargo run --release -p passerelle-activities --example
//! stats_at_scale [N]`.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use passerelle_activities::generate::Generator;
use passerelle_activities::model::Where;
use passerelle_activities::stats::{CommuneInfo, Dim, Fact, Geography, Index, Question, Territory};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/reference/bretagne/communes.csv"
    );
    let mut reader = csv::Reader::from_path(root).expect("the Bretagne communes");
    let mut communes = Vec::new();
    for row in reader.records() {
        let r = row.unwrap();
        communes.push(CommuneInfo {
            code: r[0].to_string(),
            name: r[1].to_string(),
            epci: (!r[3].is_empty()).then(|| (r[3].to_string(), r[4].to_string())),
            departement: (r[2].to_string(), r[2].to_string()),
            region: ("53".into(), "Bretagne".into()),
        });
    }
    let codes: Vec<String> = communes.iter().map(|c| c.code.clone()).collect();
    let mut index = Index::new(Geography::new(communes));
    let mut g = Generator::new(42, codes, 2025);
    let t = Instant::now();
    for i in 0..n {
        let a = g.record();
        let commune = match &a.place {
            Where::Autre(c) => Some(c.clone()),
            _ => None,
        };
        index.add_unsorted(&Fact {
            activity: &a,
            commune: commune.as_deref(),
            structure: Some(1 + (i % 300) as i64),
            mediator: Some(1 + (i % 2000) as i64),
        });
    }
    index.finish();
    let built = t.elapsed();
    println!(
        "index of {n} records (generated and) built in {:.1} s: {} MiB, {:.1} bytes a record, process peak RSS {} MiB",
        built.as_secs_f64(),
        index.memory() / (1 << 20),
        index.memory() as f64 / n as f64,
        peak_rss_kib() / 1024
    );
    let epcis = [
        "200068120",
        "243500139",
        "242900314",
        "200042174",
        "200067981",
    ];
    let communes = ["29232", "35238", "29019", "56260", "22278"];
    let mut state = 7u64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut times = Vec::new();
    for _ in 0..200 {
        let territory = match next(5) {
            0 => Territory::All,
            1 => Territory::Region("53".into()),
            2 => Territory::Departement(["22", "29", "35", "56"][next(4)].into()),
            3 => Territory::Epci(epcis[next(epcis.len())].into()),
            _ => Territory::Commune(communes[next(communes.len())].into()),
        };
        let start =
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(next(360) as i64);
        let days = [1, 3, 7, 31, 92, 365][next(6)];
        let end = (start + chrono::Duration::days(days - 1))
            .min(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
        let mut filters: Vec<(Dim, Vec<String>)> = Vec::new();
        for _ in 0..next(3) {
            let f = match next(3) {
                0 => (
                    Dim::Type,
                    ["atelier", "individuel", "demarche"][next(3)].to_string(),
                ),
                1 => (
                    Dim::Theme,
                    [
                        "Démarche en ligne",
                        "Courriels",
                        "Prendre en main du matériel",
                        "Naviguer sur Internet",
                    ][next(4)]
                    .to_string(),
                ),
                _ => (
                    Dim::Age,
                    ["60-69 ans", "70 ans et plus", "25-39 ans", "40-59 ans"][next(4)].to_string(),
                ),
            };
            if !filters.iter().any(|(d, _)| *d == f.0) {
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
        let q = Question {
            from: start,
            to: end,
            territory,
            filters,
            by,
        };
        let t = Instant::now();
        let answer = index.answer(&q).unwrap();
        times.push(t.elapsed());
        std::hint::black_box(answer);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "200 questions at any grain (index only, no database): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        ms(times[100]),
        ms(times[189]),
        ms(times[199])
    );
}

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
