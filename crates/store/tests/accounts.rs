//! Comptes storage: expiry of sessions and one-time links, secrets stored
//! hashed, memberships ended but kept. On the back-end the environment selects.

use passerelle_accounts::{Role, StructureKind};
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::testing::bretagne_database;
use passerelle_store::time::iso_in;
use sqlx::Row;

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
    let invitation = db
        .create_invitation("bob@pimms.fr", structure, Role::Membre, &[], Some(person))
        .await
        .unwrap();
    age(&db, "UPDATE one_time_tokens SET expires_at = $1", 1).await;
    assert!(db.password_reset_email(&reset).await.unwrap().is_none());
    assert!(
        db.reset_password(&reset, "$argon2id$new", true)
            .await
            .unwrap()
            .is_none()
    );
    assert!(db.invitation(&invitation).await.unwrap().is_none());
    assert!(
        db.accept_invitation(&invitation, "Bob", Some("$argon2id$x"))
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
        db.reset_password(&fresh, "$argon2id$new", true)
            .await
            .unwrap(),
        Some(person)
    );
    assert_eq!(
        db.reset_password(&fresh, "$argon2id$again", true)
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
        .create_api_token(structure, "export", person)
        .await
        .unwrap();
    let invitation = db
        .create_invitation("bob@pimms.fr", structure, Role::Membre, &[], None)
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
        db.revoke_api_token(structure, db.api_tokens_of(structure).await.unwrap()[0].id)
            .await
            .unwrap()
    );
    assert!(db.api_token(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn ending_a_membership_keeps_it_on_record() {
    let (db, structure, person) = setup().await;
    let membership = db.memberships_of(person).await.unwrap()[0].id;
    db.end_membership(membership).await.unwrap();
    assert!(
        db.memberships_of(person).await.unwrap().is_empty(),
        "no access any more"
    );
    let history = db.members_of(structure).await.unwrap();
    assert_eq!(history.len(), 1);
    assert!(history[0].ended_at.is_some());
    // They can be invited back: a new membership, the old one kept.
    let invitation = db
        .create_invitation("anne@pimms.fr", structure, Role::Gestionnaire, &[], None)
        .await
        .unwrap();
    let (again, new_membership) = db
        .accept_invitation(&invitation, "Anne", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, person);
    assert_ne!(new_membership, membership);
    assert_eq!(db.members_of(structure).await.unwrap().len(), 2);
}
