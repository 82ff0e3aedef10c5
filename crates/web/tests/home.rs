//! The home page lands each role where its work is (issue 14 §1), and a
//! regional coordinator's menu opens for her.

mod common;

use common::{Client, call, world};
use passerelle_accounts::{Role, ScopeLevel};

fn nav_links(body: &str) -> Vec<String> {
    body.split("class=\"fr-nav__link\" href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_public_home_offers_the_finder_and_no_badge() {
    let w = world().await;
    let page = call(&w.app, &Client::anonymous(), "GET", "/", None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.body.contains("Trouver un lieu d’aide au numérique"));
    assert!(!page.body.contains("Disponible"), "{}", page.body);
    assert!(!page.body.contains("Bonjour"));
}

#[tokio::test]
async fn a_mediator_lands_on_recording_and_referrals_to_handle() {
    let w = world().await;
    let me = Client::signed_in(&w.db, w.membre_a).await;
    let page = call(&w.app, &me, "GET", "/", None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.body.contains("Enregistrer un accompagnement"));
    assert!(
        page.body
            .contains("1 orientation reçue attend une réponse ou un suivi."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Aucun accompagnement enregistré ce mois-ci.")
    );
    assert!(!page.body.contains("Mon territoire"));
    assert!(!page.body.contains("Ma structure"));
}

#[tokio::test]
async fn a_coordinator_lands_on_her_territory_and_its_data_quality_tasks() {
    let w = world().await;
    let me = Client::signed_in(&w.db, w.coordinator_29).await;
    let page = call(&w.app, &me, "GET", "/", None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(
        page.body.contains("<strong>Finistère</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"/lieux/coordination\""));
    assert!(page.body.contains("href=\"/diagnostic\""));
    assert!(!page.body.contains("Enregistrer un accompagnement"));
    // The world's two descriptions of the Quimper place, last updated in
    // 2020, make one pair to review and two stale places in Finistère.
    assert!(
        page.body.contains(
            "1 doublon possible à examiner ; 2 lieux sans mise à jour depuis plus d’un an."
        ),
        "{}",
        page.body
    );
    // Ille-et-Vilaine's coordinator has none of them.
    let other = Client::signed_in(&w.db, w.coordinator_35).await;
    let page = call(&w.app, &other, "GET", "/", None).await;
    assert!(
        page.body.contains(
            "Aucun doublon possible à examiner ; aucun lieu sans mise à jour depuis plus d’un an."
        ),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_gestionnaire_lands_on_her_structure_with_its_places() {
    let w = world().await;
    let me = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let page = call(&w.app, &me, "GET", "/", None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.body.contains(&format!(
        "Ma structure : <a href=\"/structures/{}\">CCAS de Quimper</a>",
        w.a
    )));
    assert!(page.body.contains(&format!("href=\"/structures/{}\"", w.a)));
    assert!(
        !page
            .body
            .contains("Aucun lieu de l’annuaire n’est rattaché à la structure."),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 enquête."), "{}", page.body);
}

#[tokio::test]
async fn every_menu_item_of_a_regional_coordinator_opens() {
    let w = world().await;
    let hub = w.db.memberships_of(w.coordinator_29).await.unwrap()[0].structure_id;
    let region =
        w.db.create_person_with_role(
            "coord.bretagne@hub.bzh",
            "Coordinatrice Bretagne",
            None,
            hub,
            Role::Coordinateur,
            &[(ScopeLevel::Region, "53".into())],
        )
        .await
        .unwrap();
    let me = Client::signed_in(&w.db, region).await;
    let home = call(&w.app, &me, "GET", "/", None).await;
    assert!(
        home.body.contains("<strong>Bretagne</strong>"),
        "{}",
        home.body
    );
    let links = nav_links(&home.body);
    assert_eq!(links.len(), 7, "{links:?}");
    assert!(links.contains(&"/reseau".to_string()));
    assert!(links.contains(&"/activites/tableau-de-bord".to_string()));
    assert!(links.contains(&"/orientations/statistiques".to_string()));
    for link in links {
        let page = call(&w.app, &me, "GET", &link, None).await;
        assert_eq!(page.status.as_u16(), 200, "{link}: {}", page.body);
        assert!(!page.body.contains("Accès refusé"), "{link}");
    }
}
