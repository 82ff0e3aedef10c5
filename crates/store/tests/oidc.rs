//! ProConnect in the database (issue 19 §1): a pending sign-in is taken
//! once and only before it expires; a verified profile finds its person by
//! identity, then by verified address, or creates one who asks the
//! structure of its SIRET, everything in one write with its audit lines.
//! On the back-end the environment selects.

use chrono::{Duration, Utc};
use passerelle_accounts::oidc::Profile;
use passerelle_accounts::{Role, StructureKind};
use passerelle_store::accounts::NewStructure;
use passerelle_store::oidc::{Decision, PENDING_SECONDS, Pending, SignIn};
use passerelle_store::testing::bretagne_database;
use passerelle_store::write::Acting;

fn pending() -> Pending {
    Pending {
        nonce: "n".repeat(32),
        pkce_verifier: "v".repeat(43),
        next_path: "/compte".into(),
    }
}

#[tokio::test]
async fn a_pending_sign_in_is_taken_once_and_only_before_it_expires() {
    let db = bretagne_database().await;
    let now = Utc::now();
    db.save_oidc_pending("etat-1", &pending(), now)
        .await
        .unwrap();
    db.save_oidc_pending("etat-2", &pending(), now)
        .await
        .unwrap();
    assert_eq!(
        db.take_oidc_pending("etat-1", now).await.unwrap(),
        Some(pending())
    );
    assert_eq!(
        db.take_oidc_pending("etat-1", now).await.unwrap(),
        None,
        "once"
    );
    assert_eq!(db.take_oidc_pending("inconnu", now).await.unwrap(), None);
    let late = now + Duration::seconds(PENDING_SECONDS + 1);
    assert_eq!(
        db.take_oidc_pending("etat-2", late).await.unwrap(),
        None,
        "expired"
    );
}

fn profile(email: &str, subject: &str, siret: Option<&str>) -> Profile {
    Profile {
        issuer: "https://proconnect.example".into(),
        subject: subject.into(),
        email: email.into(),
        email_verified: true,
        given_name: Some("Anne".into()),
        usual_name: Some("Le Goff".into()),
        siret: siret.map(str::to_string),
    }
}

#[tokio::test]
async fn a_profile_names_a_person_by_identity_then_address_or_asks_a_structure() {
    let db = bretagne_database().await;
    let siret = "13002526500013";
    let structure = db
        .create_structure(&NewStructure {
            nom: "CCAS de Quimper",
            kind: StructureKind::Ccas,
            siret: Some(siret),
            commune_code: None,
        })
        .await
        .unwrap()
        .unwrap();
    let gestionnaire = db
        .create_person_with_role(
            "malo@ccas.fr",
            "Malo",
            None,
            structure,
            Role::Gestionnaire,
            &[],
        )
        .await
        .unwrap();
    let acting = Acting::system();
    // A new address with the structure's SIRET: created, and a request.
    let SignIn::Person {
        person,
        created,
        requested,
    } = db
        .oidc_sign_in(&acting, &profile("anne@ccas.fr", "s-anne", Some(siret)))
        .await
        .unwrap()
    else {
        panic!("a person")
    };
    assert!(created);
    assert_eq!(person.display_name, "Anne Le Goff");
    assert_eq!(requested, Some((structure, "CCAS de Quimper".to_string())));
    assert!(db.memberships_of(person.id).await.unwrap().is_empty());
    let outbox = db.outbox(false, 10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to_address, "malo@ccas.fr");
    // The same subject later, whatever address it now has: the same person.
    let SignIn::Person {
        person: again,
        created,
        requested,
    } = db
        .oidc_sign_in(
            &acting,
            &profile("anne.legoff@ccas.fr", "s-anne", Some(siret)),
        )
        .await
        .unwrap()
    else {
        panic!("a person")
    };
    assert_eq!((again.id, created, requested), (person.id, false, None));
    // An unverified address names nobody; a verified one links its person.
    let unverified = Profile {
        email_verified: false,
        ..profile("malo@ccas.fr", "s-malo", None)
    };
    assert_eq!(
        db.oidc_sign_in(&acting, &unverified).await.unwrap(),
        SignIn::UnverifiedEmail
    );
    let SignIn::Person {
        person: malo,
        created,
        ..
    } = db
        .oidc_sign_in(&acting, &profile("malo@ccas.fr", "s-malo", None))
        .await
        .unwrap()
    else {
        panic!("a person")
    };
    assert_eq!((malo.id, created), (gestionnaire, false));
    // The gestionnaire declines, then the request is no longer pending.
    let request = db.membership_requests(structure).await.unwrap().remove(0);
    let by = Acting {
        person: Some(gestionnaire),
        ..Acting::system()
    };
    assert!(
        db.decide_membership_request(&by, structure, request.id, Decision::Decline)
            .await
            .unwrap()
    );
    assert!(
        !db.decide_membership_request(&by, structure, request.id, Decision::Accept)
            .await
            .unwrap(),
        "decided once"
    );
    assert!(db.memberships_of(person.id).await.unwrap().is_empty());
}
