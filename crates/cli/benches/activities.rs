//! Dashboard queries on an imported activity log (run by
//! `bench/activities.sh`, which generates and imports the data first and
//! points `PASSERELLE_BENCH_DATA_DIR` at it): 200 one-dimension counts over
//! random territories (région, départements, EPCI) and periods, from the
//! roll-ups. Prints p50/p95 in ms, one line the script parses.

use std::time::{Duration, Instant};

use passerelle_store::Database;
use passerelle_store::activities::{StatsQuery, Territory};

fn main() {
    let Ok(dir) = std::env::var("PASSERELLE_BENCH_DATA_DIR") else {
        println!("activities: skipped (run bench/activities.sh)");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = Database::open(&Database::default_url(std::path::Path::new(&dir))).await.unwrap();
        let epcis = ["200068120", "243500139", "242900314", "200042174", "200067981"];
        let mut times = Vec::new();
        let mut state = 99u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for i in 0..200 {
            let territory = match next(3) {
                0 => Territory::Region("53".into()),
                1 => Territory::Departement(["22", "29", "35", "56"][next(4)].into()),
                _ => Territory::Epci(epcis[next(epcis.len())].into()),
            };
            let (from, to) = match next(3) {
                0 => ("2025-01".to_string(), "2025-12".to_string()),
                1 => ("2025-01".to_string(), "2025-06".to_string()),
                _ => {
                    let m = 1 + next(12);
                    (format!("2025-{m:02}"), format!("2025-{m:02}"))
                }
            };
            let dimension = ["theme", "type", "age", "statut", "organisation"][i % 5];
            let q = StatsQuery { dimension, territory, from, to, structure_id: None, scope: passerelle_accounts::policy::FiguresScope::Everything };
            let t = Instant::now();
            let rows = db.activity_stats(&q).await.unwrap();
            times.push(t.elapsed());
            assert!(!rows.is_empty() || matches!(q.territory, Territory::Epci(_)));
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "passerelle dashboard query (one dimension, territory and period filter, 200 queries): p50 {:.2} ms, p95 {:.2} ms",
            ms(times[100]),
            ms(times[189])
        );
    });
}
