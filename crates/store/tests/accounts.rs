//! Comptes storage: expiry of sessions and one-time links, secrets stored
//! hashed, memberships ended but kept. On the back-end the environment selects.

use passerelle_accounts::{Role, StructureKind};
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::testing::bretagne_database;
use passerelle_store::time::iso_in;
use passerelle_store::write::Acting;
use sqlx::Row;

/// Invites `email` into `structure`, as the command line does (no e-mail).
async fn invite(
    db: &Database,
    email: &str,
    structure: i64,
    role: Role,
) -> Result<String, passerelle_store::StoreError> {
    let structure = db.structure(structure).await?.expect("the structure");
    db.create_invitation(
        &Acting::system(),
        &passerelle_store::accounts::NewInvitation {
            email,
            structure: &structure,
            role,
            scopes: &[],
            inviter: None,
        },
    )
    .await
}

async fn setup() -> (Database, i64, i64) {
    let db = bretagne_database().await;
    let structure = db
        .create_structure(&NewStructure {
            nom: "PIMMS de Brest",
            kind: StructureKind::Pimms,
            siret: None,
            commune_code: Some("29019"),
        })
        .await
        .unwrap()
        .unwrap();
    let person = db
        .create_person_with_role(
            "anne@pimms.fr",
            "Anne",
            Some("$argon2id$fake"),
            structure,
            Role::Membre,
            &[],
        )
        .await
        .unwrap();
    (db, structure, person)
}

async fn age(db: &Database, sql: &'static str, seconds_ago: i64) {
    sqlx::query(sql)
        .bind(iso_in(-seconds_ago))
        .execute(db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn sessions_expire_when_idle_and_absolutely() {
    let (db, _, person) = setup().await;
    let idle = db.create_session(person).await.unwrap();
    let absolute = db.create_session(person).await.unwrap();
    assert!(db.session(&idle).await.unwrap().is_some());
    // Unused for longer than the idle lifetime.
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(iso_in(
            -passerelle_store::accounts::SESSION_IDLE_SECONDS - 1,
        ))
        .bind(passerelle_accounts::secret::hash_secret(&idle))
        .execute(db.pool())
        .await
        .unwrap();
    assert!(db.session(&idle).await.unwrap().is_none());
    // Past the absolute lifetime, however recently used.
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
        .bind(iso_in(-1))
        .bind(passerelle_accounts::secret::hash_secret(&absolute))
        .execute(db.pool())
        .await
        .unwrap();
    assert!(db.session(&absolute).await.unwrap().is_none());
    assert_eq!(
        db.session_count(person).await.unwrap(),
        0,
        "expired sessions are deleted"
    );
}

#[tokio::test]
async fn one_time_links_expire_and_work_once() {
    let (db, structure, person) = setup().await;
    let anne = db.person(person).await.unwrap().unwrap();
    let reset = db.create_password_reset(&anne).await.unwrap();
    let invitation = invite(&db, "bob@pimms.fr", structure, Role::Membre)
        .await
        .unwrap();
    age(&db, "UPDATE one_time_tokens SET expires_at = $1", 1).await;
    assert!(db.password_reset_email(&reset).await.unwrap().is_none());
    assert!(
        db.reset_password(&Acting::system(), &reset, "$argon2id$new", true)
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.invitation(&invitation).await.unwrap().is_none());
    assert!(
        db.accept_invitation(&Acting::system(), &invitation, "Bob", Some("$argon2id$x"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.person_by_email("bob@pimms.fr").await.unwrap().is_none());

    let fresh = db.create_password_reset(&anne).await.unwrap();
    let expires: String =
        sqlx::query("SELECT MAX(expires_at) FROM one_time_tokens WHERE purpose = 'password_reset'")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get(0);
    assert!(
        expires <= iso_in(3600) && expires > iso_in(3500),
        "valid one hour: {expires}"
    );
    assert_eq!(
        db.reset_password(&Acting::system(), &fresh, "$argon2id$new", true)
            .await
            .unwrap(),
        Some(person)
    );
    assert_eq!(
        db.reset_password(&Acting::system(), &fresh, "$argon2id$again", true)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.password_hash(person).await.unwrap().as_deref(),
        Some("$argon2id$new")
    );
}

#[tokio::test]
async fn secrets_are_stored_hashed() {
    let (db, structure, person) = setup().await;
    let session = db.create_session(person).await.unwrap();
    let (_, token) = db
        .create_api_token(&Acting::system(), structure, "export", person)
        .await
        .unwrap();
    let invitation = invite(&db, "bob@pimms.fr", structure, Role::Membre)
        .await
        .unwrap();
    let mut stored = Vec::new();
    for sql in [
        "SELECT token_hash FROM sessions",
        "SELECT token_hash FROM api_tokens",
        "SELECT token_hash FROM one_time_tokens",
    ] {
        for row in sqlx::query(sql).fetch_all(db.pool()).await.unwrap() {
            stored.push(row.get::<String, _>(0));
        }
    }
    for secret in [&session, &token, &invitation] {
        assert!(!stored.contains(secret), "a secret is stored in clear");
        assert!(stored.contains(&passerelle_accounts::secret::hash_secret(secret)));
    }
    assert_eq!(
        db.api_token(&token).await.unwrap().map(|(_, s)| s),
        Some(structure)
    );
    assert!(
        db.revoke_api_token(
            &Acting::system(),
            structure,
            db.api_tokens_of(structure).await.unwrap()[0].id
        )
        .await
        .unwrap()
    );
    assert!(db.api_token(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn ending_a_membership_keeps_it_on_record() {
    let (db, structure, person) = setup().await;
    let membership = db.memberships_of(person).await.unwrap().remove(0);
    db.end_membership(&Acting::system(), &membership)
        .await
        .unwrap();
    let membership = membership.id;
    assert!(
        db.memberships_of(person).await.unwrap().is_empty(),
        "no access any more"
    );
    let history = db.members_of(structure).await.unwrap();
    assert_eq!(history.len(), 1);
    assert!(history[0].ended_at.is_some());
    // They can be invited back: a new membership, the old one kept.
    let invitation = invite(&db, "anne@pimms.fr", structure, Role::Gestionnaire)
        .await
        .unwrap();
    let accepted = db
        .accept_invitation(&Acting::system(), &invitation, "Anne", None)
        .await
        .unwrap()
        .unwrap();
    let (again, new_membership) = (accepted.person_id, accepted.membership_id);
    assert_eq!(again, person);
    assert_ne!(new_membership, membership);
    assert_eq!(db.members_of(structure).await.unwrap().len(), 2);
}

/// Issue 13: read models carry domain types, and a stored value the
/// domain does not know is reported as corrupt, never guessed.
#[tokio::test]
async fn read_models_are_typed_and_unknown_values_are_corrupt() {
    let (db, structure, person) = setup().await;
    let read = db.structure(structure).await.unwrap().unwrap();
    assert_eq!(read.kind, StructureKind::Pimms);
    assert!(chrono::Utc::now() - read.created_at < chrono::Duration::minutes(5));
    let membership = &db.memberships_of(person).await.unwrap()[0];
    assert_eq!(membership.role, Role::Membre);
    assert!(membership.started_at <= chrono::Utc::now() && membership.ended_at.is_none());
    sqlx::query("UPDATE memberships SET role = 'chef' WHERE person_id = $1")
        .bind(person)
        .execute(db.pool())
        .await
        .unwrap();
    assert!(matches!(
        db.memberships_of(person).await,
        Err(passerelle_store::StoreError::Corrupt(_))
    ));
    sqlx::query("UPDATE structures SET kind = 'inconnu' WHERE id = $1")
        .bind(structure)
        .execute(db.pool())
        .await
        .unwrap();
    assert!(matches!(
        db.structure(structure).await,
        Err(passerelle_store::StoreError::Corrupt(_))
    ));
}

#[tokio::test]
async fn structures_are_refused_with_typed_reasons() {
    use passerelle_store::accounts::StructureRefusal;
    let (db, _, _) = setup().await;
    let new = |commune_code, siret| NewStructure {
        nom: "CCAS",
        kind: StructureKind::Ccas,
        siret,
        commune_code,
    };
    assert_eq!(
        db.create_structure(&new(Some("99999"), None))
            .await
            .unwrap(),
        Err(StructureRefusal::UnknownCommune("99999".into()))
    );
    db.create_structure(&new(None, Some("13002526500013")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        db.create_structure(&new(None, Some("13002526500013")))
            .await
            .unwrap(),
        Err(StructureRefusal::SiretTaken {
            siret: "13002526500013".into(),
            nom: "CCAS".into()
        })
    );
}

/// Issue 19 §4: a reminder at 4 months without signing in, deactivation at
/// 6 (sessions end, the membership and records stay), reactivation by a
/// gestionnaire; each in the audit trail. Administrators are kept.
#[tokio::test]
async fn accounts_without_sign_in_are_reminded_then_deactivated() {
    use passerelle_store::lifecycle::{Lifecycle, LifecycleReport};
    let (db, structure, person) = setup().await;
    let admin = db
        .create_person_with_role("admin@hub.bzh", "Admin", None, structure, Role::Admin, &[])
        .await
        .unwrap();
    db.create_session(person).await.unwrap();
    let months = |n| chrono::Utc::now() + chrono::Months::new(n);
    let run = async |at| {
        db.run_account_lifecycle(at, Lifecycle::default())
            .await
            .unwrap()
    };
    assert_eq!(run(months(3)).await, LifecycleReport::default());
    assert_eq!(
        run(months(5)).await,
        LifecycleReport {
            reminded: 1,
            deactivated: 0
        }
    );
    assert_eq!(run(months(5)).await, LifecycleReport::default(), "once");
    let mail = db.outbox(false, 10).await.unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to_address, "anne@pimms.fr");
    assert_eq!(
        mail[0].content,
        passerelle_store::outbox::Content::Notification(
            passerelle_accounts::notification::Notification::InactivityReminder {
                name: "Anne".into(),
                months: 4,
                left: 2
            }
        )
    );
    let session = db.create_session(person).await.unwrap();
    // Signing in starts the months again: a new reminder once they pass.
    assert_eq!(run(months(3)).await, LifecycleReport::default());
    assert_eq!(run(months(5)).await.reminded, 1);
    assert_eq!(
        run(months(7)).await,
        LifecycleReport {
            reminded: 0,
            deactivated: 1
        }
    );
    assert!(db.person(person).await.unwrap().unwrap().deactivated);
    assert!(!db.person(admin).await.unwrap().unwrap().deactivated);
    assert!(db.session(&session).await.unwrap().is_none(), "signed out");
    let membership = &db.members_of(structure).await.unwrap();
    assert!(
        membership
            .iter()
            .any(|m| m.person_id == person && m.deactivated && m.ended_at.is_none())
    );
    let gestionnaire = passerelle_store::write::Acting {
        person: Some(admin),
        ..Default::default()
    };
    assert!(
        db.reactivate_person(&gestionnaire, person, structure)
            .await
            .unwrap()
    );
    assert!(
        !db.reactivate_person(&gestionnaire, person, structure)
            .await
            .unwrap()
    );
    assert!(!db.person(person).await.unwrap().unwrap().deactivated);
    for (action, times) in [
        ("person.inactivity_reminded", 2),
        ("person.deactivated", 1),
        ("person.reactivated", 1),
    ] {
        let events = db.audit_events(Some(action), 5).await.unwrap();
        assert_eq!(events.len(), times, "{action}");
        assert_eq!(events[0].subject.as_deref(), Some("anne@pimms.fr"));
    }
}

/// Nobody is shut out without the reminder and the months it announces:
/// an account last seen seven months ago, as every account arriving by an
/// upgrade looks, is reminded at the first run and deactivated only two
/// months later.
#[tokio::test]
async fn an_account_is_never_deactivated_before_its_reminder() {
    use passerelle_store::lifecycle::{Lifecycle, LifecycleReport};
    let (db, _structure, person) = setup().await;
    let months = |n| chrono::Utc::now() + chrono::Months::new(n);
    let run = async |at| {
        db.run_account_lifecycle(at, Lifecycle::default())
            .await
            .unwrap()
    };
    assert_eq!(
        run(months(7)).await,
        LifecycleReport {
            reminded: 1,
            deactivated: 0
        }
    );
    assert!(!db.person(person).await.unwrap().unwrap().deactivated);
    assert_eq!(run(months(8)).await, LifecycleReport::default());
    assert_eq!(
        run(months(9)).await,
        LifecycleReport {
            reminded: 0,
            deactivated: 1
        }
    );
    assert!(db.person(person).await.unwrap().unwrap().deactivated);
}
