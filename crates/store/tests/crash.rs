//! A process killed (SIGKILL) in the middle of referral writes leaves no
//! half-written referral: every referral has its sending event, its status
//! is its last event's, its version counts its steps. The writer is this
//! test binary itself, started again in "worker" mode and killed.

use std::time::Duration;

use chrono::Utc;
use passerelle_accounts::{Role, StructureKind};
use passerelle_referrals::lifecycle::{Side, Step};
use passerelle_referrals::model::{Consent, NewReferral, Person};
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::referrals::{Actor, Parties};
use passerelle_store::testing::fresh_database_url;
use sqlx::Row;

const WORKER: &str = "PASSERELLE_CRASH_WORKER";

/// Writes referrals and steps as fast as it can, until killed. Does
/// nothing when not started by the test below.
#[tokio::test]
async fn crash_worker() {
    let Ok(spec) = std::env::var(WORKER) else {
        return;
    };
    let (url, ids) = spec.split_once(' ').expect("url and ids");
    let ids: Vec<i64> = ids.split(',').map(|i| i.parse().unwrap()).collect();
    let (sender, person, receiver, mediator) = (ids[0], ids[1], ids[2], ids[3]);
    let db = Database::open(url).await.unwrap();
    let parties = Parties {
        sender_structure: sender,
        sender_person: person,
        receiver_structure: receiver,
    };
    let referral = NewReferral {
        place_id: None,
        structure_id: None,
        service: "Aide aux démarches administratives".into(),
        organisation: None,
        situation: "Situation".into(),
        urgency: "normale".into(),
        availability: String::new(),
        person: Person {
            first_name: "Jeanne".into(),
            channel: "telephone".into(),
            contact: "0612345678".into(),
            caf_number: None,
            france_travail_number: None,
        },
        consent: Some(Consent {
            informed_by: person,
            at: Utc::now(),
            how: Some(passerelle_referrals::model::ConsentWay::Oral),
        }),
    };
    let actor = Actor {
        person_id: Some(mediator),
        side: Side::Receiver,
    };
    loop {
        let (id, _) = db
            .create_referral(&referral, parties, None, Utc::now())
            .await
            .unwrap();
        db.referral_step(id, 1, &Step::Open, actor, Utc::now())
            .await
            .unwrap();
        db.referral_step(id, 2, &Step::Accompanied, actor, Utc::now())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_kill_during_writes_leaves_no_half_written_referral() {
    if std::env::var(WORKER).is_ok() {
        return;
    }
    let url = fresh_database_url().await;
    let db = Database::open(&url).await.unwrap();
    db.load_bundled_reference().await.unwrap();
    let structure = |nom| NewStructure {
        nom,
        kind: StructureKind::Ccas,
        siret: None,
        commune_code: Some("29232"),
    };
    let sender = db.create_structure(&structure("A")).await.unwrap().unwrap();
    let receiver = db.create_structure(&structure("B")).await.unwrap().unwrap();
    let person = db
        .create_person_with_role("a@a.fr", "A", None, sender, Role::Membre, &[])
        .await
        .unwrap();
    let mediator = db
        .create_person_with_role("b@b.fr", "B", None, receiver, Role::Membre, &[])
        .await
        .unwrap();
    db.close().await;

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "crash_worker",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(
            WORKER,
            format!("{url} {sender},{person},{receiver},{mediator}"),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Let it write for a while, then kill it mid-flight (SIGKILL).
    let db = Database::open(&url).await.unwrap();
    let count = || async {
        sqlx::query("SELECT COUNT(*) FROM referral_events")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    };
    for _ in 0..200 {
        if count().await >= 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(count().await >= 300, "the worker wrote");

    // Every referral whole: sent, status = last event's, version = steps.
    let rows = sqlx::query(
        "SELECT r.id, r.status, r.version, \
         (SELECT COUNT(*) FROM referral_events e WHERE e.referral_id = r.id), \
         (SELECT e.status_to FROM referral_events e WHERE e.referral_id = r.id ORDER BY e.id DESC LIMIT 1), \
         (SELECT COUNT(*) FROM referral_events e WHERE e.referral_id = r.id AND e.step = 'envoi') \
         FROM referrals r",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert!(!rows.is_empty());
    for r in &rows {
        let id: i64 = r.try_get(0).unwrap();
        let status: String = r.try_get(1).unwrap();
        let version: i64 = r.try_get(2).unwrap();
        let events: i64 = r.try_get(3).unwrap();
        let last: Option<String> = r.try_get(4).unwrap();
        let sent: i64 = r.try_get(5).unwrap();
        assert_eq!(sent, 1, "referral {id} has its sending event");
        assert_eq!(last.as_deref(), Some(status.as_str()), "referral {id}");
        assert_eq!(version, events, "referral {id}: one version per step");
    }
    let orphans: i64 = sqlx::query(
        "SELECT COUNT(*) FROM referral_events e WHERE NOT EXISTS (SELECT 1 FROM referrals r WHERE r.id = e.referral_id)",
    )
    .fetch_one(db.pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(orphans, 0);
}
