//! The footer's pages (issue 14 §9): legal notice and accessibility with
//! the operator's details from the configuration, the personal data page
//! with the retention periods in force, the site map.

mod common;

use common::{Client, call, world};
use passerelle_web::legal::Operator;
use passerelle_web::{AppState, Assets, WebConfig, router};

#[tokio::test]
async fn every_page_links_the_footer_pages_and_they_open() {
    let w = world().await;
    let home = call(&w.app, &Client::anonymous(), "GET", "/", None).await;
    for path in [
        "/mentions-legales",
        "/donnees-personnelles",
        "/accessibilite",
        "/plan-du-site",
    ] {
        assert!(home.body.contains(&format!("href=\"{path}\"")), "{path}");
        let page = call(&w.app, &Client::anonymous(), "GET", path, None).await;
        assert_eq!(page.status.as_u16(), 200, "{path}");
    }
    let accessibility = call(&w.app, &Client::anonymous(), "GET", "/accessibilite", None).await;
    assert!(accessibility.body.contains("Défenseur des droits"));
    // Unconfigured, the operator's details are said to be missing.
    let legal = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/mentions-legales",
        None,
    )
    .await;
    assert!(legal.body.contains("non renseigné par l’exploitant"));
}

#[tokio::test]
async fn the_operator_and_the_retention_periods_come_from_the_configuration() {
    let w = world().await;
    let periods = passerelle_referrals::deadlines::Periods {
        retention_months: 9,
        expiry_days: 45,
        ..Default::default()
    };
    let retention = passerelle_store::accounts::Retention {
        ip_months: 4,
        ..Default::default()
    };
    let config = WebConfig::new("https://passerelle.example", false)
        .with_operator(Operator::new(
            Some("Syndicat mixte Mégalis Bretagne".into()),
            Some("  ".into()),
            Some("dpo@megalis.bzh".into()),
            None,
            Some("OVHcloud, 2 rue Kellermann, 59100 Roubaix".into()),
        ))
        .with_retention(periods, retention);
    let app = router(AppState::new(w.db.clone(), config), &Assets { dir: None });
    let data = call(
        &app,
        &Client::anonymous(),
        "GET",
        "/donnees-personnelles",
        None,
    )
    .await;
    assert!(
        data.body.contains("effacées 9 mois après la fin"),
        "{}",
        data.body
    );
    assert!(data.body.contains("au bout de 45 jours"));
    assert!(
        data.body
            .contains("4 mois, puis remplacée par un pseudonyme")
    );
    assert!(data.body.contains("mailto:dpo@megalis.bzh"));
    assert!(data.body.contains("Syndicat mixte Mégalis Bretagne"));
    let legal = call(&app, &Client::anonymous(), "GET", "/mentions-legales", None).await;
    assert!(legal.body.contains("OVHcloud, 2 rue Kellermann"));
    // The blank address and the absent director are said to be missing.
    assert_eq!(
        legal.body.matches("non renseigné par l’exploitant").count(),
        2
    );
}

#[tokio::test]
async fn the_site_map_follows_the_viewer() {
    let w = world().await;
    let public = call(&w.app, &Client::anonymous(), "GET", "/plan-du-site", None).await;
    assert!(public.body.contains("href=\"/connexion\""));
    let me = Client::signed_in(&w.db, w.coordinator_29).await;
    let mine = call(&w.app, &me, "GET", "/plan-du-site", None).await;
    assert!(mine.body.contains("href=\"/compte\""));
    assert!(mine.body.contains("href=\"/orientations/statistiques\""));
}
