//! The one write path (`Database::write`): a change, its audit line and its
//! notifications commit together or not at all.

use passerelle_accounts::notification::Notification;
use passerelle_accounts::{Role, StructureKind};
use passerelle_store::StoreError;
use passerelle_store::accounts::NewStructure;
use passerelle_store::outbox::Content;
use passerelle_store::testing::bretagne_database;
use passerelle_store::write::Acting;

#[tokio::test]
async fn a_change_its_audit_line_and_its_mail_commit_together_or_not_at_all() {
    let db = bretagne_database().await;
    let structure = db
        .create_structure(&NewStructure {
            nom: "CCAS de Quimper",
            kind: StructureKind::Ccas,
            siret: None,
            commune_code: Some("29232"),
        })
        .await
        .unwrap()
        .unwrap();
    let person = db
        .create_person_with_role("as@ccas.bzh", "Anne", None, structure, Role::Membre, &[])
        .await
        .unwrap();
    let acting = Acting {
        person: Some(person),
        token: None,
        structure: Some(structure),
        address: Some("192.0.2.8".into()),
    };
    let told = Notification::RequestMessage { request: 4 };
    let count = || async {
        (
            db.audit_events(Some("essai.ecriture"), 10)
                .await
                .unwrap()
                .len(),
            db.outbox(false, 10).await.unwrap().len(),
        )
    };
    let before = count().await;
    // Refused after writing: nothing of it remains.
    let refused: Result<(), StoreError> = db
        .write(&acting, async |w| {
            w.audit("essai.ecriture", None, Some("un".into()), None)
                .await?;
            w.notify_structure(structure, &told).await?;
            Err(StoreError::Corrupt("refusé après coup".into()))
        })
        .await;
    assert!(refused.is_err());
    assert_eq!(count().await, before);
    // Done: the audit line carries who acted, through which structure and
    // from where; the structure's people are told.
    let sent = db
        .write(&acting, async |w| {
            w.audit(
                "essai.ecriture",
                None,
                Some("deux".into()),
                Some("détail".into()),
            )
            .await?;
            w.notify_structure(structure, &told).await
        })
        .await
        .unwrap();
    assert_eq!(sent, 1);
    let line = db
        .audit_events(Some("essai.ecriture"), 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(line.subject.as_deref(), Some("deux"));
    assert_eq!(line.ip.as_deref(), Some("192.0.2.8"));
    assert_eq!(line.structure.as_deref(), Some("CCAS de Quimper"));
    assert!(line.actor.is_some());
    let mail = db.outbox(false, 1).await.unwrap().remove(0);
    assert_eq!(mail.to_address, "as@ccas.bzh");
    assert_eq!(mail.content, Content::Notification(told));
}
