//! The Diagnostic pages over HTTP: the synthesis, the map, the tables and
//! the exports; territories by name; weights as fields; the import page
//! (upload, preview, confirmation, audit); the unmet demand counted from
//! the finder's searches; the comparison of territories.

mod common;

use axum::body::Body;
use axum::http::{Request, header};
use common::{ANON_CSRF, Client, World, call, world};
use http_body_util::BodyExt;
use tower::ServiceExt;

const QBO: &str = "epci:200068120"; // Quimper Bretagne Occidentale
const AIDE: &str = "Aide+aux+d%C3%A9marches+administratives";

#[tokio::test]
async fn the_page_of_an_epci_shows_the_synthesis_the_map_and_the_tables() {
    let w = world().await;
    let uri = format!("/diagnostic?territoire={QBO}&service={AIDE}");
    let a = call(&w.app, &Client::anonymous(), "GET", &uri, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let body = &a.body;
    for text in [
        ">Diagnostic : CA Quimper Bretagne Occidentale</h1>",
        "Synthèse : CA Quimper Bretagne Occidentale",
        "102\u{202f}542 habitants, 14 communes ; service : Aide aux démarches administratives.",
        "Chiffres clés",
        "Communes prioritaires",
        "Ce qui manque",
        "INSEE, recensement, « Évolution et structure de la population »",
        // The map, drawn by the server: every commune of the EPCI, with
        // its 2026 code, and the places on top.
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"carte-diagnostic\"",
        "data-code=\"29232\"",
        "<title>Point numérique du CCAS de Quimper</title>",
        "limite du territoire",
        "Données de la carte",
        // Needs with their source, or what to import and where from.
        "données non chargées",
        "À importer : INSEE, page « Évolution et structure de la population »",
        "<a href=\"/diagnostic/import\">Importer des données</a>",
        "INSEE, recensement de la population (comparateur de territoires, édition du 27 juin 2024), millésime 2021",
        "Demande non satisfaite",
        "Comparaison avec le département et la région",
        ">Finistère</a>",
        ">Bretagne</a>",
        "Communes par priorité",
        "Population à moins de 10 km",
        "Population à moins de 7 min (estimation)",
        "Méthode et sources",
        "Synthèse d’une page à imprimer",
        "/diagnostic/communes.csv?",
        "<option value=\"epci:200068120\" selected>",
        // Weights are labelled fields.
        "<label class=\"fr-label\" for=\"poids_fragilite\">Fragilité socio-numérique",
        "name=\"poids_distance\" value=\"1\"",
    ] {
        assert!(body.contains(text), "{text} missing");
    }
    let svg_paths = body.matches("<path data-code=").count();
    assert_eq!(svg_paths, 14, "one outline per commune of the EPCI");
    // Nothing for engineers: no placeholder, no file path, no code syntax.
    for text in [
        "À moins de N km",
        "M min",
        "data/diagnostic",
        "insee_comparateur",
        ".csv (",
        "fragilite=2",
        "census_population",
        "dep:29</",
    ] {
        assert!(!body.contains(text), "{text} shown");
    }
    assert!(!body.contains("n’est pas encore disponible"), "placeholder");
}

#[tokio::test]
async fn territories_are_chosen_by_name_and_mistakes_answered_next_to_the_field() {
    let w = world().await;
    let anon = Client::anonymous();
    // Communes by name, in the order given.
    let list = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic?commune=Quimper,+brest",
        None,
    )
    .await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains(">Diagnostic : Quimper et Brest</h1>"),
        "{}",
        list.body
    );
    // A name two communes share: both are offered.
    let twice = call(&w.app, &anon, "GET", "/diagnostic?commune=Plouhinec", None).await;
    assert_eq!(twice.status, 400);
    assert!(
        twice
            .body
            .contains("Plusieurs communes s’appellent « Plouhinec »")
    );
    assert!(
        twice.body.contains("territoire=commune%3A29197"),
        "{}",
        twice.body
    );
    assert!(twice.body.contains("fr-input-group--error"));
    assert!(twice.body.contains("aria-describedby=\"commune-erreur\""));
    assert!(
        twice.body.contains("value=\"Plouhinec\""),
        "what was typed is kept"
    );
    let none = call(&w.app, &anon, "GET", "/diagnostic?commune=Atlantide", None).await;
    assert!(
        none.body
            .contains("Aucune commune ne s’appelle « Atlantide »")
    );
    let bad = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic?territoire=n%27importe+quoi",
        None,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("id=\"territoire-erreur\""));
    // Weights: labelled fields, a mistake shown next to its field.
    let weights = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic?poids_distance=beaucoup&poids_offre=2",
        None,
    )
    .await;
    assert_eq!(weights.status, 400);
    assert!(weights.body.contains("id=\"poids_distance-erreur\""));
    assert!(weights.body.contains("« beaucoup » n’est pas un poids"));
    assert!(weights.body.contains("value=\"beaucoup\""));
    assert!(weights.body.contains("name=\"poids_offre\" value=\"2\""));
    let ok = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic?poids_distance=0&poids_fragilite=2,5",
        None,
    )
    .await;
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("fragilité (poids 2,5)"));
    assert!(
        ok.body
            .contains("distance au lieu le plus proche (poids 0,0)")
    );
    let service = call(&w.app, &anon, "GET", "/diagnostic?service=Jardinage", None).await;
    assert!(service.body.contains("ne fait pas partie du standard"));
    // Without a choice: the coordinator's own territory.
    let coord = Client::signed_in(&w.db, w.coordinator_29).await;
    let own = call(&w.app, &coord, "GET", "/diagnostic", None).await;
    assert!(own.body.contains(">Diagnostic : Finistère</h1>"));
    // Anyone else: the région of the reference with the most places.
    let anyone = call(&w.app, &anon, "GET", "/diagnostic", None).await;
    assert!(anyone.body.contains(">Diagnostic : Bretagne</h1>"));
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
    assert!(lines[0].contains(",score_fragilite_portrea,taux_fragilite,fragilite_somme_simple,"));
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
    assert!(
        x.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(x.bytes.starts_with(b"PK"), "a ZIP archive");
    let c = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic/acces.csv?territoire=dep:29",
        None,
    )
    .await;
    assert_eq!(c.body.lines().count(), 11, "{}", c.body);
    let svg = call(
        &w.app,
        &anon,
        "GET",
        &format!("/diagnostic/carte.svg?territoire={QBO}&carte=distance"),
        None,
    )
    .await;
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert_eq!(svg.body.matches("<path data-code=").count(), communes);
    assert!(
        svg.body.contains("Quimper : "),
        "tooltips give each commune's figure"
    );
    let bad = call(
        &w.app,
        &anon,
        "GET",
        "/diagnostic/communes.csv?territoire=dep:99",
        None,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("pas dans le référentiel"), "{}", bad.body);
}

#[tokio::test]
async fn the_synthesis_alone_is_one_printable_page() {
    let w = world().await;
    let s = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        &format!("/diagnostic/synthese?territoire={QBO}&service={AIDE}"),
        None,
    )
    .await;
    assert_eq!(s.status, 200);
    assert!(s.body.contains("passerelle-synthese--seule"));
    assert!(s.body.contains("id=\"carte-synthese\""));
    assert!(s.body.contains("Diagnostic établi le "));
}

#[tokio::test]
async fn the_portrait_as_json_in_the_api() {
    let w = world().await;
    let client = Client::anonymous();
    let ok = call(
        &w.app,
        &client,
        "GET",
        &format!("/api/v1/diagnostic?territoire={QBO}&service={AIDE}"),
        None,
    )
    .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.body);
    let json: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(json["territory"], "epci:200068120");
    assert!(json["summary"]["needs"]["fragility"]["value"].is_null());
    let bad = call(
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

fn extract(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../data/diagnostic/extraits/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../diagnostic/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Posts a file as the import form does (multipart, `_csrf` first).
async fn upload(
    w: &World,
    client: &Client,
    name: &str,
    bytes: &[u8],
    json: bool,
) -> (u16, String, String) {
    let boundary = "----passerelle-test-boundary";
    let mut body = Vec::new();
    let csrf = if client.session.is_some() {
        client.csrf.clone()
    } else {
        ANON_CSRF.to_string()
    };
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"millesime\"\r\n\r\n\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let mut cookies = vec![format!("passerelle_csrf={ANON_CSRF}")];
    if let Some(s) = &client.session {
        cookies.push(format!("passerelle_session={s}"));
    }
    let mut request = Request::builder()
        .method("POST")
        .uri("/diagnostic/import")
        .header(header::COOKIE, cookies.join("; "))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
    if json {
        request = request.header(header::ACCEPT, "application/json");
    }
    let response = w
        .app
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Uploads and confirms a file; returns the import page after it.
async fn import(w: &World, client: &Client, name: &str, bytes: &[u8]) -> String {
    let (status, preview, body) = upload(w, client, name, bytes, false).await;
    assert_eq!(status, 303, "{body}");
    let page = call(&w.app, client, "GET", &preview, None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = preview.split("jeton=").nth(1).unwrap();
    let done = call(
        &w.app,
        client,
        "POST",
        "/diagnostic/import/confirmer",
        Some(&format!("jeton={token}")),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let after = call(&w.app, client, "GET", done.location(), None).await;
    assert!(after.body.contains("Import terminé"), "{}", after.body);
    after.body
}

#[tokio::test]
async fn coordinators_import_the_official_files_after_a_preview() {
    let w = world().await;
    let coord = Client::signed_in(&w.db, w.coordinator_29).await;
    let page = call(&w.app, &coord, "GET", "/diagnostic/import", None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(
        page.body
            .contains("Données infracommunales – prestations sociales CAF")
    );
    // Members of a structure may not; visitors are asked to sign in.
    let member = Client::signed_in(&w.db, w.membre_b).await;
    assert_eq!(
        call(&w.app, &member, "GET", "/diagnostic/import", None)
            .await
            .status,
        403
    );
    let (status, location, _) =
        upload(&w, &Client::anonymous(), "x.csv", b"a;b\n1;2\n", false).await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/connexion"), "{location}");

    // The real CAF extract: what was recognised, before anything is written.
    let caf = extract("caf_iris_2021_bretagne.csv");
    let (status, preview, _) = upload(&w, &coord, "caf_iris_2021_bretagne.csv", &caf, false).await;
    assert_eq!(status, 303);
    let p = call(&w.app, &coord, "GET", &preview, None).await;
    for text in [
        "CAF, allocataires de prestations sociales",
        "<dt>Niveau</dt><dd>IRIS</dd>",
        "<dt>Lignes lues</dt><dd>632</dd>",
        "<dt>Communes couvertes</dt><dd>97</dd>",
        "<dt>IRIS couverts</dt><dd>632</dd>",
        "name=\"millesime\" value=\"2021\"",
        "Confirmer l’import",
    ] {
        assert!(p.body.contains(text), "{text} missing");
    }
    assert!(
        w.db.diagnostic_imports().await.unwrap().is_empty(),
        "nothing written yet"
    );
    // Someone else cannot confirm it.
    let other = Client::signed_in(&w.db, w.coordinator_35).await;
    let token = preview.split("jeton=").nth(1).unwrap();
    let stolen = call(
        &w.app,
        &other,
        "POST",
        "/diagnostic/import/confirmer",
        Some(&format!("jeton={token}")),
    )
    .await;
    assert!(
        stolen.body.contains("Cet aperçu a expiré"),
        "{}",
        stolen.body
    );
    let done = call(
        &w.app,
        &coord,
        "POST",
        "/diagnostic/import/confirmer",
        Some(&format!("jeton={token}&millesime=2021")),
    )
    .await;
    assert_eq!(done.status, 303);
    let after = call(&w.app, &coord, "GET", done.location(), None).await;
    assert!(
        after
            .body
            .contains("caf_iris_2021_bretagne.csv importé : 97 communes, 632 IRIS"),
        "{}",
        after.body
    );
    assert!(after.body.contains("coord.29"), "who imported it");
    let trail =
        w.db.audit_events(Some("diagnostic.import"), 5)
            .await
            .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].actor.as_deref(), Some("coord.29@hub.bzh"));

    // The France Travail extract, through the script's path (JSON).
    let defm = extract("defm_2019_communes_qpv_bretagne.csv");
    let (status, _, json) = upload(
        &w,
        &coord,
        "defm_2019_communes_qpv_bretagne.csv",
        &defm,
        true,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    let answer: serde_json::Value = serde_json::from_str(&json).unwrap();
    let preview = answer["apercu"].as_str().unwrap().to_string();
    let token = preview.split("jeton=").nth(1).unwrap();
    let done = call(
        &w.app,
        &coord,
        "POST",
        "/diagnostic/import/confirmer",
        Some(&format!("jeton={token}&millesime=2019")),
    )
    .await;
    assert_eq!(done.status, 303);

    // A file not recognised: refused, in French, next to the field.
    let (status, _, body) = upload(&w, &coord, "notes.csv", b"nom;age\nJeanne;40\n", false).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Fichier notes.csv, ligne 1 : en-tête non reconnu"),
        "{body}"
    );
    assert!(body.contains("id=\"fichier-erreur\" class=\"fr-error-text\">"));
    let (status, _, json) = upload(
        &w,
        &coord,
        "notes.csv",
        b"CODGEO;P21_POP65P\n29232;beaucoup\n",
        true,
    )
    .await;
    assert_eq!(status, 422);
    assert!(json.contains("ligne 2, colonne « P21_POP65P »"), "{json}");

    // The census, then Brest is portrayed down to its IRIS.
    import(
        &w,
        &coord,
        "base-ic-evol-struct-pop-2021.csv",
        &fixture("base-ic-evol-struct-pop-2021.csv"),
    )
    .await;
    import(
        &w,
        &coord,
        "base-ic-diplomes-formation-2021.csv",
        &fixture("base-ic-diplomes-formation-2021.csv"),
    )
    .await;
    let brest = call(&w.app, &coord, "GET", "/diagnostic?commune=Brest", None).await;
    for text in [
        "Les quartiers (IRIS) des communes découpées",
        "Les contours des IRIS ne sont pas disponibles hors ligne",
        "Siam (290190101)",
        // 200.5 + 200 × (1000 − 200.5) / 1000.
        "<td class=\"passerelle-nombre\">360</td>",
        // Brest's PORTREA score: 350.5 + 330 × 0.8.
        "615 personnes potentiellement en difficulté avec le numérique",
        "millésime 2021, importé le ",
    ] {
        assert!(brest.body.contains(text), "{text} missing");
    }
    // The exposure of Brest: CAF of its IRIS (some secret) and job seekers.
    assert!(
        brest.body.contains("au moins "),
        "secret cells make a lower bound"
    );
}

#[tokio::test]
async fn unmet_demand_follows_the_searches_made() {
    let w = world().await;
    let anon = Client::anonymous();
    let finistere =
        |carte: &str| format!("/diagnostic?territoire=dep:29&service={AIDE}&carte={carte}");
    let before = call(&w.app, &anon, "GET", &finistere("recherches"), None).await;
    assert!(
        before
            .body
            .contains("Aucune recherche comptée sur la période.")
    );
    // The only places offering the service are in Quimper: nothing within
    // 15 km of Brest.
    for _ in 0..3 {
        let r = call(
            &w.app,
            &anon,
            "GET",
            &format!("/lieux?commune=Brest&service={AIDE}"),
            None,
        )
        .await;
        assert_eq!(r.status, 200);
    }
    let r = call(
        &w.app,
        &anon,
        "GET",
        &format!("/lieux?commune=Quimper&service={AIDE}"),
        None,
    )
    .await;
    assert!(r.body.contains("Point numérique du CCAS de Quimper"));
    let three = call(&w.app, &anon, "GET", &finistere("recherches"), None).await;
    assert!(
        three.body.contains("<th scope=\"row\">Brest</th><td class=\"passerelle-nombre\">moins de 5</td><td class=\"passerelle-nombre\">moins de 5</td>"),
        "small counts are never exact: {}",
        three.body
    );
    for _ in 0..3 {
        call(
            &w.app,
            &anon,
            "GET",
            &format!("/lieux?commune=Brest&service={AIDE}"),
            None,
        )
        .await;
    }
    let six = call(&w.app, &anon, "GET", &finistere("recherches"), None).await;
    assert!(six.body.contains("<th scope=\"row\">Brest</th><td class=\"passerelle-nombre\">6</td><td class=\"passerelle-nombre\">6</td>"));
    // The search near Quimper found places: counted, not unmet.
    assert!(six.body.contains("<th scope=\"row\">Quimper</th><td class=\"passerelle-nombre\">moins de 5</td><td class=\"passerelle-nombre\">0</td>"));
    // The map layer.
    assert!(
        six.body.contains("<title>Brest : 6</title>"),
        "{}",
        six.body
    );
    // For another need, nothing.
    let other = call(&w.app, &anon, "GET", "/diagnostic?territoire=dep:29&service=Parentalit%C3%A9+et+%C3%A9ducation+avec+le+num%C3%A9rique", None).await;
    assert!(
        other
            .body
            .contains("Aucune recherche comptée sur la période.")
    );
    // What is stored: day, commune, needs, results, count; nothing else.
    let today = chrono::Utc::now().date_naive();
    let counts =
        w.db.place_search_counts(
            today - chrono::Duration::days(2),
            today + chrono::Duration::days(2),
        )
        .await
        .unwrap();
    let brest: Vec<_> = counts.iter().filter(|c| c.commune == "29019").collect();
    assert_eq!(brest.len(), 1);
    assert_eq!((brest[0].results, brest[0].searches), (0, 6));
    let columns: Vec<String> = sqlx::query("SELECT * FROM place_search_counts")
        .fetch_all(w.db.pool())
        .await
        .unwrap()
        .first()
        .map(|r| {
            use sqlx::{Column, Row};
            r.columns().iter().map(|c| c.name().to_string()).collect()
        })
        .unwrap();
    assert_eq!(
        columns,
        ["day", "commune_code", "needs", "results", "searches"]
    );
}

#[tokio::test]
async fn two_to_four_territories_side_by_side_exportable() {
    let w = world().await;
    let anon = Client::anonymous();
    // By default, the départements of the instance's région.
    let page = call(&w.app, &anon, "GET", "/diagnostic/comparer", None).await;
    assert_eq!(page.status, 200);
    for name in [
        "Côtes-d&#39;Armor",
        "Finistère",
        "Ille-et-Vilaine",
        "Morbihan",
    ] {
        assert!(
            page.body.contains(&format!(
                "<th scope=\"col\" class=\"passerelle-nombre\">{name}</th>"
            )),
            "{name}"
        );
    }
    assert!(
        page.body
            .contains("Personnes en fragilité socio-numérique (score PORTREA)")
    );
    let two = call(
        &w.app,
        &anon,
        "GET",
        &format!("/diagnostic/comparer?t1={QBO}&c2=Brest"),
        None,
    )
    .await;
    assert!(two.body.contains(">CA Quimper Bretagne Occidentale</th>"));
    assert!(two.body.contains(">Brest</th>"));
    let csv = call(
        &w.app,
        &anon,
        "GET",
        &format!("/diagnostic/comparer.csv?t1={QBO}&c2=Brest"),
        None,
    )
    .await;
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert!(
        lines[0].starts_with("tableau,territoire,nom,population,communes,score_fragilite_portrea,")
    );
    assert!(lines[2].contains(",commune:29019,Brest,"), "{}", lines[2]);
    let xlsx = call(
        &w.app,
        &anon,
        "GET",
        &format!("/diagnostic/comparer.xlsx?t1={QBO}&c2=Brest"),
        None,
    )
    .await;
    assert!(xlsx.bytes.starts_with(b"PK"));
    let one = call(
        &w.app,
        &anon,
        "GET",
        &format!("/diagnostic/comparer?t1={QBO}"),
        None,
    )
    .await;
    assert_eq!(one.status, 400);
    assert!(one.body.contains("Choisissez au moins deux territoires"));
}
