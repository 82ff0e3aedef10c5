//! Fills a database with N referrals between a few structures, through
//! the store (each one a transaction with its event, audit line and
//! e-mail), for `bench/backup.sh`. Usage:
//! `referrals_fixture DATABASE_URL N` (the database is opened, migrated,
//! and given the bundled reference if it has none).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use passerelle_accounts::{Role, StructureKind};
use passerelle_referrals::model::{Consent, NewReferral, Person};
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::referrals::Parties;

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
    let suffix = Utc::now().timestamp_nanos_opt().unwrap_or(0);
    let structure = |nom: String, kind, commune: &'static str| {
        let db = db.clone();
        async move {
            db.create_structure(&NewStructure {
                nom: &nom,
                kind,
                siret: None,
                commune_code: Some(commune),
            })
            .await
            .expect("structure")
            .expect("new structure")
        }
    };
    let sender_structure = structure(
        format!("CCAS banc d’essai {suffix}"),
        StructureKind::Ccas,
        "29232",
    )
    .await;
    let receiver_structure = structure(
        format!("Médiathèque banc d’essai {suffix}"),
        StructureKind::Mediatheque,
        "29019",
    )
    .await;
    let sender_person = db
        .create_person_with_role(
            &format!("as-{suffix}@banc.test"),
            "Travailleuse sociale",
            None,
            sender_structure,
            Role::Membre,
            &[],
        )
        .await
        .expect("sender");
    db.create_person_with_role(
        &format!("med-{suffix}@banc.test"),
        "Médiateur",
        None,
        receiver_structure,
        Role::Membre,
        &[],
    )
    .await
    .expect("receiver");
    let parties = Parties {
        sender_structure,
        sender_person,
        receiver_structure,
    };
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
                    let referral = NewReferral {
                        place_id: None,
                        structure_id: None,
                        service: "Aide aux démarches administratives".into(),
                        organisation: Some("CAF".into()),
                        situation: format!("Situation {i} : dossier à compléter en ligne"),
                        urgency: "normale".into(),
                        availability: "Mardi matin".into(),
                        person: Person {
                            first_name: format!("Personne {i}"),
                            channel: "telephone".into(),
                            contact: format!(
                                "06 {:02} {:02} {:02} {:02}",
                                i / 1_000_000 % 100,
                                i / 10_000 % 100,
                                i / 100 % 100,
                                i % 100
                            ),
                            caf_number: None,
                            france_travail_number: None,
                        },
                        consent: Some(Consent {
                            informed_by: sender_person,
                            at: Utc::now(),
                            how: "oral".into(),
                        }),
                    };
                    db.create_referral(&referral, parties, None, "http://banc.test", Utc::now())
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
