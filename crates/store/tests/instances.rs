//! Several servers on one database (`store::instances`): job leases and the
//! version of the places kept in memory.

use passerelle_store::Database;
use passerelle_store::instances::Copied;
use passerelle_store::testing::{bretagne_database, fresh_database_url};

#[tokio::test]
async fn a_job_lease_has_one_holder_until_it_expires_or_is_given_back() {
    let url = fresh_database_url().await;
    let (one, other) = (
        Database::open(&url).await.unwrap(),
        Database::open(&url).await.unwrap(),
    );
    assert!(
        one.take_job_lease("rappels", "serveur-a", 3600)
            .await
            .unwrap()
    );
    assert!(
        !other
            .take_job_lease("rappels", "serveur-b", 3600)
            .await
            .unwrap()
    );
    assert!(
        one.take_job_lease("rappels", "serveur-a", 3600)
            .await
            .unwrap(),
        "renewed"
    );
    // Another job is free.
    assert!(
        other
            .take_job_lease("purge", "serveur-b", 3600)
            .await
            .unwrap()
    );
    // Given back, the lease goes to whoever asks next.
    one.release_job_lease("rappels", "serveur-a").await.unwrap();
    assert!(
        other
            .take_job_lease("rappels", "serveur-b", 3600)
            .await
            .unwrap()
    );
    assert!(
        !one.take_job_lease("rappels", "serveur-a", 3600)
            .await
            .unwrap()
    );
    // A holder that stopped without giving it back loses it when it expires.
    assert!(one.take_job_lease("mailer", "serveur-a", -1).await.unwrap());
    assert!(
        other
            .take_job_lease("mailer", "serveur-b", 60)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn every_change_to_the_places_raises_their_version() {
    let db = bretagne_database().await;
    let start = db.version_of(Copied::Places).await.unwrap();
    let place = passerelle_places::Place {
        id: "v-1".into(),
        pivot: "00000000000000".into(),
        nom: "Espace numérique".into(),
        commune: "Quimper".into(),
        code_postal: "29000".into(),
        code_insee: Some("29232".into()),
        adresse: "1 rue du Port".into(),
        date_maj: "2026-11-01".into(),
        source: Some("essai".into()),
        services: vec!["Aide aux démarches administratives".into()],
        ..Default::default()
    };
    db.import_places(std::slice::from_ref(&place), "x", "test", None)
        .await
        .unwrap();
    let imported = db.version_of(Copied::Places).await.unwrap();
    assert!(imported > start);
    let stored = db.places().await.unwrap();
    let id = stored.iter().find(|p| p.place.id == "v-1").unwrap().id;
    let edit = passerelle_store::write::Acting::system();
    db.update_place(id, &place, &edit)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(db.version_of(Copied::Places).await.unwrap() > imported);
}
