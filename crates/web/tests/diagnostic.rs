//! The Diagnostic page and its exports over HTTP.

mod common;

use common::{Client, call, world};

const QBO: &str = "epci:200068120"; // Quimper Bretagne Occidentale

#[tokio::test]
async fn the_page_of_an_epci_shows_needs_offer_access_and_priorities() {
    let w = world().await;
    let uri =
        format!("/diagnostic?territoire={QBO}&service=Aide+aux+d%C3%A9marches+administratives");
    let a = call(&w.app, &Client::anonymous(), "GET", &uri, None).await;
    assert_eq!(a.status, 200);
    let body = &a.body;
    assert!(
        body.contains("<h1>Diagnostic : CA Quimper Bretagne Occidentale</h1>"),
        "{body}"
    );
    for text in [
        "id=\"carte-diagnostic\"",
        "data-communes=\"/diagnostic/communes.geojson?territoire=epci%3A200068120&#38;service=Aide+aux+d%C3%A9marches+administratives\"",
        "Personnes en fragilité socio-numérique",
        "données non chargées",
        "Chômeurs de 15 à 64 ans (recensement 2021)",
        "Communes par priorité",
        "Accompagnements enregistrés (Activités",
        "Comparaison avec le département et la région",
        ">Finistère</a>",
        ">Bretagne</a>",
        "Imprimer le rapport",
        "/diagnostic/communes.csv?",
        "<option value=\"epci:200068120\" selected>",
    ] {
        assert!(body.contains(text), "{text} missing");
    }
    // Navigation marks Diagnostic available (no "bientôt" placeholder page).
    assert!(
        !body.contains("n’est pas encore disponible"),
        "placeholder shown"
    );
}

#[tokio::test]
async fn exports_give_every_commune_and_bad_requests_say_why() {
    let w = world().await;
    let anon = Client::anonymous();
    let a = call(
        &w.app,
        &anon,
        "GET",
        &format!("/diagnostic/communes.csv?territoire={QBO}"),
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(
        a.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        a.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("diagnostic-epci-200068120-communes.csv")
    );
    let lines: Vec<&str> = a.body.lines().collect();
    assert!(lines[0].starts_with("rang_priorite,code_insee,nom,"));
    assert!(
        lines.iter().any(|l| l.contains(",29232,Quimper,")),
        "{}",
        a.body
    );
    let communes = lines.len() - 1;
    let g = call(
        &w.app,
        &anon,
        "GET",
        &format!("/diagnostic/communes.geojson?territoire={QBO}"),
        None,
    )
    .await;
    assert_eq!(g.status, 200);
    let json: serde_json::Value = serde_json::from_str(&g.body).unwrap();
    assert_eq!(json["features"].as_array().unwrap().len(), communes);
    let t = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic/territoires.csv?territoire=dep:29",
        None,
    )
    .await;
    assert!(
        t.body
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("territoire,dep:29,Finistère,277,"),
        "{}",
        t.body
    );
    let x = call(
        &w.app,
        &anon,
        "GET",
        &format!("/diagnostic/rapport.xlsx?territoire={QBO}"),
        None,
    )
    .await;
    assert_eq!(x.status, 200);
    assert!(
        x.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(x.body.starts_with("PK"), "a ZIP archive");
    let c = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic/acces.csv?territoire=dep:29",
        None,
    )
    .await;
    assert_eq!(c.body.lines().count(), 11, "{}", c.body);
    let bad = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic/communes.csv?territoire=dep:99",
        None,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("Aucune commune"), "{}", bad.body);
    let page = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic?territoire=n%27importe+quoi",
        None,
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("fr-alert--error"));
    // A custom list of communes, and weights of the priority.
    let list = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic?commune=29232,+29019&poids=distance%3D0",
        None,
    )
    .await;
    assert!(
        list.body
            .contains("<h1>Diagnostic : 2 communes choisies</h1>"),
        "{}",
        list.body
    );
    assert!(list.body.contains("distance 0,0"));
    let bad_weights = call(&w.app, &anon, "GET", "/diagnostic?poids=age%3D1", None).await;
    assert!(bad_weights.body.contains("Les poids de la priorité"));
    let service = call(&w.app, &anon, "GET", "/diagnostic?service=Jardinage", None).await;
    assert!(service.body.contains("ne fait pas partie du standard"));
}

#[tokio::test]
async fn the_portrait_as_json_in_the_api() {
    let w = common::world().await;
    let client = common::Client::anonymous();
    let ok = common::call(
        &w.app,
        &client,
        "GET",
        "/api/v1/diagnostic?territoire=epci:200068120&service=Aide+aux+d%C3%A9marches+administratives",
        None,
    )
    .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.body);
    let json: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(
        json["territory"],
        "epci:200068120",
        "{}",
        &ok.body[..200.min(ok.body.len())]
    );
    let bad = common::call(
        &w.app,
        &client,
        "GET",
        "/api/v1/diagnostic?territoire=nulle-part",
        None,
    )
    .await;
    assert_eq!(bad.status.as_u16(), 400);
    assert!(bad.body.contains("\"error\""), "{}", bad.body);
}
