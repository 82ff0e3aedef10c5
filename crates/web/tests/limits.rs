//! Request bodies: one limit per route, stated in the route registry,
//! enforced before anything reads the body (413, a French message), and
//! documented in the OpenAPI document.

mod common;

use common::{Client, call, world};

const MIB: usize = 1024 * 1024;

const HEADER: &str = "id,pivot,nom,commune,code_postal,adresse,date_maj\n\
    q1,21290019600010,Médiathèque des Ursulines,Quimper,29000,1 esplanade Julien Gracq,2024-05-02\n";

/// A places file of exactly `len` bytes (blank lines after the place).
fn places_file(len: usize) -> Vec<u8> {
    let mut file = HEADER.as_bytes().to_vec();
    file.resize(len, b'\n');
    file
}

async fn send(
    w: &common::World,
    client: &Client,
    uri: &str,
    content_type: &str,
    body: Vec<u8>,
    declare_length: bool,
) -> (u16, String) {
    let answer = common::send_body(&w.app, client, uri, content_type, body, declare_length).await;
    (answer.status.as_u16(), answer.body)
}

fn assert_refused_in_french(status: u16, body: &str, limit: &str) {
    assert_eq!(status, 413, "{body}");
    let json: serde_json::Value = serde_json::from_str(body).expect("a JSON error");
    assert_eq!(json["error"]["status"], 413);
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("dépasse") && message.contains(limit),
        "{message}"
    );
}

/// L6: the places import was documented at 32 MB but refused more than
/// 2 MB (axum's default limit came first). Its limit is now 32 MiB,
/// enforced and documented in one place.
#[tokio::test]
async fn the_places_import_takes_up_to_its_stated_limit_and_refuses_more() {
    let w = world().await;
    let admin = Client::signed_in(&w.db, w.admin).await;
    let uri = "/api/v1/places/import?source=essai";
    let (status, body) = send(&w, &admin, uri, "text/csv", places_file(32 * MIB), true).await;
    assert_eq!(status, 200, "exactly the limit is accepted: {body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["added"], 1, "{answer}");
    for declared in [true, false] {
        let file = places_file(32 * MIB + 1);
        let (status, body) = send(&w, &admin, uri, "text/csv", file, declared).await;
        assert_refused_in_french(status, &body, "32 Mio");
    }
}

/// The activities API: 2 MiB, said and enforced the same way, for a
/// machine client too.
#[tokio::test]
async fn the_activities_api_takes_up_to_its_stated_limit_and_refuses_more() {
    let w = world().await;
    let token = Client::bearer(&w.token_a);
    let record = r#"{"kind":"individuel","date":"2026-11-02","duration_minutes":45,"place":{"kind":"distance"},
      "workshop_title":null,"level":null,"participants":1,"ages":[],"statuses":[],"residence_commune":null,
      "follow_up_code":null,"themes":["Courriels"],"organisation":null,"kinds_of_help":[],"autonomy":null,
      "equipment":null,"orientation":null}"#;
    let padded = |len: usize| {
        let mut body = record.as_bytes().to_vec();
        body.resize(len, b' ');
        body
    };
    let uri = "/api/v1/activities";
    let json = "application/json";
    let (status, body) = send(&w, &token, uri, json, padded(2 * MIB), false).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(&w, &token, uri, json, padded(2 * MIB + 1), false).await;
    assert_refused_in_french(status, &body, "2 Mio");
}

/// Forms: 64 KiB unless their route says more (a questionnaire pasted as
/// TOML: 512 KiB); over it, the French message page.
#[tokio::test]
async fn forms_take_up_to_their_limit_and_refuse_more_with_a_french_page() {
    let w = world().await;
    let anonymous = Client::anonymous();
    // `call` sends `_csrf=<value>&` before the fields.
    let sign_in = |len: usize| {
        let fields = "email=a%40b.fr&password=x&pad=";
        let prefix = format!("_csrf={}&", anonymous.csrf).len();
        format!("{fields}{}", "x".repeat(len - prefix - fields.len()))
    };
    let under = call(
        &w.app,
        &anonymous,
        "POST",
        "/connexion",
        Some(&sign_in(64 * 1024)),
    )
    .await;
    assert_ne!(under.status.as_u16(), 413);
    let over = call(
        &w.app,
        &anonymous,
        "POST",
        "/connexion",
        Some(&sign_in(64 * 1024 + 1)),
    )
    .await;
    assert_eq!(over.status.as_u16(), 413);
    assert!(
        over.body.contains("Envoi trop volumineux") && over.body.contains("64 Kio"),
        "{}",
        over.body
    );
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    // A questionnaire imported as a TOML file may be longer than a form.
    let draft = format!(
        "structure={}&modele=&titre=Grande&adresse=grande&acces=ouvert&ouverture=&cloture=",
        w.a
    );
    let created = call(
        &w.app,
        &gestionnaire,
        "POST",
        "/enquetes/nouvelle",
        Some(&draft),
    )
    .await;
    assert_eq!(created.status.as_u16(), 303, "{}", created.body);
    let boundary = "limite";
    let mut file = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"q.toml\"\r\n\r\n"
    )
    .into_bytes();
    file.extend(std::iter::repeat_n(b'#', 100_000));
    file.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let page = common::send_body(
        &w.app,
        &gestionnaire,
        "/enquetes/grande/questionnaire/import",
        &format!("multipart/form-data; boundary={boundary}"),
        file,
        true,
    )
    .await;
    assert_ne!(page.status.as_u16(), 413, "a long questionnaire is read");
}

/// The OpenAPI document states every API route's limit, as the registry
/// does, with its 413 answer.
#[tokio::test]
async fn the_openapi_document_states_each_body_limit() {
    let w = world().await;
    let doc = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/api/v1/openapi.json",
        None,
    )
    .await;
    let doc: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
    let mut stated = 0;
    for (method, path, limit) in passerelle_web::body_limits() {
        if method != axum::http::Method::POST || !path.starts_with("/api/") {
            continue;
        }
        let operation = &doc["paths"][path]["post"];
        assert_eq!(
            operation["requestBody"]["x-max-body-bytes"].as_u64(),
            Some(limit as u64),
            "{path}"
        );
        assert!(operation["responses"]["413"].is_object(), "{path}");
        stated += 1;
    }
    assert_eq!(stated, 2);
    assert_eq!(
        doc["paths"]["/api/v1/places/import"]["post"]["requestBody"]["x-max-body-bytes"],
        32 * MIB
    );
    // No route takes more than the largest limit stated, but for the
    // upload of INSEE's national files on the Diagnostic's import page.
    for (_, path, limit) in passerelle_web::body_limits() {
        let most = if path == "/diagnostic/import" {
            160 * MIB
        } else {
            32 * MIB
        };
        assert!(limit <= most, "{path}: {limit}");
    }
}
