//! Notifications each person chooses (issue 19 §3): per topic, now, in the
//! daily digest or never; the digest is one message per person. On the
//! back-end the environment selects.

use passerelle_accounts::notification::{Frequency, Notification, Topic};
use passerelle_accounts::{Role, StructureKind};
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::outbox::{Content, Delivery};
use passerelle_store::testing::bretagne_database;
use passerelle_store::write::Acting;

async fn setup() -> (Database, i64) {
    let db = bretagne_database().await;
    let structure = db
        .create_structure(&NewStructure {
            nom: "CCAS de Brest",
            kind: StructureKind::Ccas,
            siret: None,
            commune_code: None,
        })
        .await
        .unwrap()
        .unwrap();
    let person = db
        .create_person_with_role("anne@ccas.fr", "Anne", None, structure, Role::Membre, &[])
        .await
        .unwrap();
    (db, person)
}

const RECEIVED: Notification = Notification::ReferralReceived {
    referral: 1,
    service: String::new(),
};

fn step(n: i64) -> Notification {
    Notification::ReferralStep {
        referral: n,
        status: "acceptee".into(),
    }
}

async fn deliveries(db: &Database) -> Vec<(String, Delivery)> {
    let mut all: Vec<_> = db
        .outbox(false, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.content_kind(), m.delivery()))
        .collect();
    all.reverse();
    all
}

trait Kind {
    fn content_kind(&self) -> String;
}
impl Kind for passerelle_store::outbox::OutboxMessage {
    fn content_kind(&self) -> String {
        match &self.content {
            Content::Notification(n) => n.kind().to_string(),
            Content::Written { subject, .. } => subject.clone(),
        }
    }
}

#[tokio::test]
async fn sober_defaults_until_the_person_chooses() {
    let (db, person) = setup().await;
    let defaults = db.notification_preferences(person).await.unwrap();
    assert_eq!(defaults.len(), Topic::ALL.len());
    assert!(defaults.contains(&(Topic::ReferralReceived, Frequency::Immediately)));
    assert!(defaults.contains(&(Topic::ReferralStep, Frequency::Daily)));
    db.notify("anne@ccas.fr", &RECEIVED).await.unwrap();
    db.notify("anne@ccas.fr", &step(1)).await.unwrap();
    // An address of no account gets the defaults too.
    db.notify("inconnu@ccas.fr", &step(2)).await.unwrap();
    let due = db.outbox_due(chrono::Utc::now(), 10).await.unwrap();
    assert_eq!(due.len(), 1, "only what is sent at once is due");
    assert!(matches!(
        deliveries(&db).await.as_slice(),
        [
            (_, Delivery::Queued { .. }),
            (_, Delivery::InDigest(None)),
            (_, Delivery::InDigest(None))
        ]
    ));
}

#[tokio::test]
async fn preferences_change_what_is_sent() {
    let (db, person) = setup().await;
    let anne = Acting {
        person: Some(person),
        ..Default::default()
    };
    let mut choices: Vec<(Topic, Frequency)> =
        Topic::ALL.iter().map(|t| (*t, Frequency::Daily)).collect();
    choices[0] = (Topic::ReferralReceived, Frequency::Never);
    choices[1] = (Topic::ReferralStep, Frequency::Immediately);
    db.set_notification_preferences(&anne, person, &choices)
        .await
        .unwrap();
    assert_eq!(db.notification_preferences(person).await.unwrap(), choices);
    assert_eq!(
        db.audit_events(Some("notifications.preferences"), 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(db.notify("anne@ccas.fr", &RECEIVED).await.unwrap(), None);
    assert!(db.outbox(false, 10).await.unwrap().is_empty(), "never");
    db.notify("anne@ccas.fr", &step(1)).await.unwrap();
    assert_eq!(
        db.outbox_due(chrono::Utc::now(), 10).await.unwrap().len(),
        1
    );
    // Never applies to topics only: the account's own messages still leave.
    let reset = Notification::PasswordReset {
        name: "Anne".into(),
        token: "a".repeat(64),
    };
    db.notify("anne@ccas.fr", &reset).await.unwrap().unwrap();

    // Daily: held, then one digest with them all.
    for n in [2, 3] {
        db.notify("anne@ccas.fr", &Notification::RequestMessage { request: n })
            .await
            .unwrap();
    }
    assert_eq!(
        db.outbox_due(chrono::Utc::now(), 10).await.unwrap().len(),
        2
    );
    assert_eq!(db.queue_digests(chrono::Utc::now()).await.unwrap(), 1);
    assert_eq!(
        db.queue_digests(chrono::Utc::now()).await.unwrap(),
        0,
        "once"
    );
    let due = db.outbox_due(chrono::Utc::now(), 10).await.unwrap();
    assert_eq!(due.len(), 3);
    let digest = due.last().unwrap();
    assert_eq!(
        digest.content,
        Content::Notification(Notification::Digest {
            items: vec![
                Notification::RequestMessage { request: 2 },
                Notification::RequestMessage { request: 3 }
            ]
        })
    );
    let held: Vec<_> = deliveries(&db)
        .await
        .into_iter()
        .filter(|(kind, _)| kind == "request_message")
        .collect();
    assert!(
        held.iter()
            .all(|(_, d)| *d == Delivery::InDigest(Some(digest.id))),
        "{held:?}"
    );
}
