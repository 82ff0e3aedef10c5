//! Backups taken while the database is written, and their restores, on
//! the back-end the environment selects.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Utc};
use passerelle_activities::model::{Activity, Kind, Where};
use passerelle_store::activities::Author;
use passerelle_store::backup::{self, BackupError};
use passerelle_store::referrals::Parties;
use passerelle_store::testing::{
    bretagne_database, fresh_database_url, sample_referral, two_structures,
};
use passerelle_store::{Backend, Database};
use sqlx::Row;

const WRITERS: usize = 50;
const WRITES_EACH: usize = 30;

fn archive_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("passerelle-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!(
        "{name}-{}-{}.tar",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap()
    ))
}

fn referral(by: i64, n: usize) -> passerelle_referrals::model::NewReferral {
    sample_referral(by, n, Utc::now())
}

fn activity(n: usize) -> Activity {
    Activity {
        kind: Kind::Individuel,
        date: NaiveDate::from_ymd_opt(2026, 3, 1 + (n % 28) as u32).unwrap(),
        duration_minutes: 30,
        place: Where::Autre("29232".into()),
        workshop_title: None,
        level: None,
        participants: 1,
        ages: vec![],
        statuses: vec![],
        residence_commune: None,
        follow_up_code: None,
        themes: vec!["Courriels".into()],
        organisation: None,
        kinds_of_help: vec![],
        autonomy: None,
        equipment: None,
        orientation: None,
        returning: 0,
    }
}

struct World {
    db: Database,
    parties: Parties,
}

async fn world() -> World {
    let db = bretagne_database().await;
    let parties = two_structures(&db).await.parties();
    World { db, parties }
}

/// What a referral is, as the two structures see it, from `db`.
async fn whole(db: &Database, id: i64, w: &World) -> serde_json::Value {
    let referral = db.referral(id).await.unwrap();
    let events = db.referral_events(id, true).await.unwrap();
    let person = db
        .referral_person(
            id,
            w.parties.sender_person,
            w.parties.sender_structure,
            "test",
        )
        .await
        .unwrap();
    serde_json::json!({ "referral": referral, "events": events, "person": person })
}

async fn restore_into_fresh(archive: &std::path::Path) -> (String, backup::Restored) {
    let url = fresh_database_url().await;
    let restoring = backup::restore(archive, &url, false).await.unwrap();
    let restored = restoring.finish().await.unwrap();
    (url, restored)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_fifty_writers_restores_whole() {
    let w = Arc::new(world().await);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (w, acknowledged, stop) = (w.clone(), acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                for i in 0..WRITES_EACH {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let n = writer * WRITES_EACH + i;
                    let parties = w.parties;
                    let (id, _) =
                        w.db.create_referral(
                            &referral(parties.sender_person, n),
                            parties,
                            None,
                            Utc::now(),
                        )
                        .await
                        .expect("referral written");
                    acknowledged.lock().unwrap().push(id);
                    w.db.record_activity(
                        &activity(n),
                        Author {
                            mediator_id: None,
                            structure_id: Some(parties.receiver_structure),
                            token_id: None,
                        },
                        None,
                    )
                    .await
                    .expect("activity written");
                }
            })
        })
        .collect();
    // Let the writers get going, then take the backup while they write.
    while acknowledged.lock().unwrap().len() < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before: Vec<i64> = acknowledged.lock().unwrap().clone();
    let archive = archive_path("sous-charge");
    let manifest = w.db.backup(&archive).await.expect("backup");
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let total = w.db.table_counts().await.unwrap()["referrals"];
    eprintln!(
        "{} referrals acknowledged before the backup, {} in it, {total} written in all",
        before.len(),
        manifest.tables["referrals"]
    );
    assert_eq!(manifest.backend, w.db.backend().name());
    assert_eq!(
        Some(manifest.migration),
        w.db.schema_status().await.unwrap().applied
    );
    assert!(manifest.tables["referrals"] >= before.len() as i64);
    assert_eq!(
        manifest.tables["referrals"], manifest.tables["referral_events"],
        "each referral is in the copy with its first event"
    );

    let (url, restored) = restore_into_fresh(&archive).await;
    assert_eq!(restored.manifest, manifest);
    let copy = Database::open(&url).await.unwrap();
    if copy.backend() == Backend::Sqlite {
        let verdict: String = sqlx::query("PRAGMA integrity_check")
            .fetch_one(copy.pool())
            .await
            .unwrap()
            .try_get("integrity_check")
            .unwrap();
        assert_eq!(verdict, "ok");
    }
    assert_eq!(copy.table_counts().await.unwrap(), manifest.tables);
    for id in before {
        let original = whole(&w.db, id, &w).await;
        assert!(!original["person"].is_null());
        assert_eq!(whole(&copy, id, &w).await, original, "referral {id}");
    }
    let _ = std::fs::remove_file(archive);
}

#[tokio::test]
async fn a_restore_refuses_a_non_empty_target_and_a_damaged_archive() {
    let w = world().await;
    let (id, _) =
        w.db.create_referral(
            &referral(w.parties.sender_person, 1),
            w.parties,
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    let archive = archive_path("refus");
    let manifest = w.db.backup(&archive).await.unwrap();
    assert_eq!(backup::read_manifest(&archive).unwrap(), manifest);

    // Into the database it came from: refused, untouched.
    let source_url = fresh_database_url().await;
    let target = Database::open(&source_url).await.unwrap();
    target.load_bundled_reference().await.unwrap();
    let counts = target.table_counts().await.unwrap();
    target.close().await;
    assert!(matches!(
        backup::restore(&archive, &source_url, false).await.err(),
        Some(BackupError::TargetNotEmpty { .. })
    ));
    // Told to: replaced whole.
    let restoring = backup::restore(&archive, &source_url, true).await.unwrap();
    let restored = restoring.finish().await.unwrap();
    let replaced = Database::open(&source_url).await.unwrap();
    assert_eq!(replaced.table_counts().await.unwrap(), manifest.tables);
    assert_ne!(replaced.table_counts().await.unwrap(), counts);
    assert!(replaced.referral(id).await.unwrap().is_some());
    if let Some(aside) = restored.set_aside {
        // SQLite: what was there is kept beside it.
        assert!(aside.exists());
        let _ = std::fs::remove_file(aside);
    }

    // One byte changed in the database entry: refused, nothing written.
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 2048;
    bytes[last] ^= 0xff;
    let damaged = archive_path("abimee");
    std::fs::write(&damaged, bytes).unwrap();
    let url = fresh_database_url().await;
    assert!(matches!(
        backup::restore(&damaged, &url, false).await.err(),
        Some(BackupError::Checksum { .. })
    ));
    let after = Database::open(&url).await.unwrap();
    assert_eq!(
        after.table_counts().await.unwrap()["referrals"],
        0,
        "nothing restored"
    );

    // Not an archive at all.
    let junk = archive_path("rien");
    std::fs::write(&junk, b"pas une sauvegarde").unwrap();
    assert!(matches!(
        backup::restore(&junk, &fresh_database_url().await, false)
            .await
            .err(),
        Some(BackupError::NotABackup { .. })
    ));
    for f in [archive, damaged, junk] {
        let _ = std::fs::remove_file(f);
    }
}
