//! Fills a database with N referrals between a few structures, through
//! the store (each one a transaction with its event, audit line and
//! e-mail), for `bench/backup.sh`. Usage:
//! `referrals_fixture DATABASE_URL N`, on a new database (it is opened,
//! migrated, and given the bundled reference).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use passerelle_store::Database;
use passerelle_store::testing::{sample_referral, two_structures};

const IN_FLIGHT: usize = 8;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(n)) = (
        args.next(),
        args.next().and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: referrals_fixture DATABASE_URL N");
        std::process::exit(2);
    };
    let db = Database::open(&url).await.expect("database");
    if db.territories_empty().await.expect("territories") {
        db.load_bundled_reference()
            .await
            .expect("bundled reference");
    }
    let parties = two_structures(&db).await.parties();
    let next = Arc::new(AtomicUsize::new(0));
    let started = std::time::Instant::now();
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (db, next) = (db.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let referral = sample_referral(parties.sender_person, i, Utc::now());
                    db.create_referral(&referral, parties, None, Utc::now())
                        .await
                        .expect("referral");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    println!(
        "{n} referrals written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
