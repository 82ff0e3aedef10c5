//! Every HTTP endpoint, through the real router, on the back-end the
//! environment selects (see `passerelle_store::testing`).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use passerelle_store::testing::bretagne_database;
use passerelle_web::{AppState, Assets, WebConfig, router};
use serde_json::Value;
use tower::ServiceExt;

async fn app() -> Router {
    let db = bretagne_database().await;
    router(
        AppState::new(db, WebConfig::new("http://127.0.0.1:8080", false)),
        &Assets { dir: None },
    )
}

struct Answer {
    status: StatusCode,
    content_type: String,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        assert!(
            self.content_type.starts_with("application/json"),
            "{}",
            self.content_type
        );
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

async fn get(app: &Router, uri: &str) -> Answer {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        content_type,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn assert_error(answer: &Answer, status: StatusCode, message_part: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["error"]["status"], status.as_u16());
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(message_part), "{message}");
}

#[tokio::test]
async fn health_reports_version_and_backend() {
    let app = app().await;
    let answer = get(&app, "/health").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let expected = if std::env::var("PASSERELLE_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        "postgresql"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn commune_search() {
    let app = app().await;
    let answer = get(&app, "/api/v1/territories/communes?q=quimper").await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    let list = body.as_array().unwrap();
    assert_eq!(list[0]["code"], "29232");
    assert_eq!(list[0]["nom"], "Quimper");
    assert_eq!(list[0]["postcodes"], serde_json::json!(["29000"]));
    assert_eq!(list[0]["epci"]["siren"], "200068120");
    assert_eq!(list[0]["departement"]["code"], "29");
    assert_eq!(list[0]["region"]["nom"], "Bretagne");
    assert!(list[0]["population"].as_i64().unwrap() > 0);
    assert!(list[0]["latitude"].is_f64() && list[0]["longitude"].is_f64());

    let accents = get(&app, "/api/v1/territories/communes?q=PLO%C3%8BR&limit=5")
        .await
        .json();
    assert!(
        accents
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["nom"] == "Ploërmel"),
        "{accents}"
    );
    let limited = get(&app, "/api/v1/territories/communes?q=plou&limit=3")
        .await
        .json();
    assert_eq!(limited.as_array().unwrap().len(), 3);
    let postcode = get(&app, "/api/v1/territories/communes?q=35000")
        .await
        .json();
    assert_eq!(postcode[0]["nom"], "Rennes");
    let none = get(&app, "/api/v1/territories/communes?q=xyzzy").await;
    assert_eq!(
        (none.status, none.json()),
        (StatusCode::OK, serde_json::json!([]))
    );
}

#[tokio::test]
async fn commune_search_rejects_bad_parameters() {
    let app = app().await;
    assert_error(
        &get(&app, "/api/v1/territories/communes").await,
        StatusCode::BAD_REQUEST,
        "`q` is required",
    );
    assert_error(
        &get(&app, "/api/v1/territories/communes?q=%20").await,
        StatusCode::BAD_REQUEST,
        "`q` is required",
    );
    assert_error(
        &get(&app, "/api/v1/territories/communes?q=a&limit=0").await,
        StatusCode::BAD_REQUEST,
        "`limit`",
    );
    assert_error(
        &get(&app, "/api/v1/territories/communes?q=a&limit=51").await,
        StatusCode::BAD_REQUEST,
        "`limit`",
    );
    assert_error(
        &get(&app, "/api/v1/territories/communes?q=a&limit=beaucoup").await,
        StatusCode::BAD_REQUEST,
        "limit",
    );
    let long = "a".repeat(101);
    assert_error(
        &get(&app, &format!("/api/v1/territories/communes?q={long}")).await,
        StatusCode::BAD_REQUEST,
        "100",
    );
}

#[tokio::test]
async fn commune_by_code() {
    let app = app().await;
    let body = get(&app, "/api/v1/territories/communes/35238").await.json();
    assert_eq!(body["nom"], "Rennes");
    assert_eq!(body["epci"]["nom"], "Rennes Métropole");
    let island = get(&app, "/api/v1/territories/communes/29155").await.json();
    assert_eq!(island["nom"], "Ouessant");
    assert!(island["epci"].is_null());
    assert_error(
        &get(&app, "/api/v1/territories/communes/29999").await,
        StatusCode::NOT_FOUND,
        "no commune with INSEE code 29999",
    );
    assert_error(
        &get(&app, "/api/v1/territories/communes/quimper").await,
        StatusCode::BAD_REQUEST,
        "not an INSEE commune code",
    );
}

#[tokio::test]
async fn epci_by_siren() {
    let app = app().await;
    let body = get(&app, "/api/v1/territories/epci/243500139").await.json();
    assert_eq!(body["nom"], "Rennes Métropole");
    assert_eq!(body["nature"], "METRO");
    let communes = body["communes"].as_array().unwrap();
    assert_eq!(
        communes.len() as i64,
        body["communes_declared"].as_i64().unwrap()
    );
    let total: i64 = communes
        .iter()
        .map(|c| c["population"].as_i64().unwrap())
        .sum();
    assert_eq!(body["population"].as_i64().unwrap(), total);
    assert_error(
        &get(&app, "/api/v1/territories/epci/200000000").await,
        StatusCode::NOT_FOUND,
        "no EPCI with SIREN 200000000",
    );
    assert_error(
        &get(&app, "/api/v1/territories/epci/12").await,
        StatusCode::BAD_REQUEST,
        "SIREN",
    );
}

#[tokio::test]
async fn departement_and_region() {
    let app = app().await;
    let dep = get(&app, "/api/v1/territories/departements/56")
        .await
        .json();
    assert_eq!(dep["nom"], "Morbihan");
    assert_eq!(dep["communes"], 249);
    assert_eq!(dep["region"]["code"], "53");
    assert!(
        dep["epcis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["nom"] == "CA Lorient Agglomération")
    );
    let region = get(&app, "/api/v1/territories/regions/53").await.json();
    assert_eq!(region["nom"], "Bretagne");
    assert_eq!(region["communes"], 1202);
    let sum: i64 = region["departements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["population"].as_i64().unwrap())
        .sum();
    assert_eq!(region["population"].as_i64().unwrap(), sum);
    // Known to the reference but without loaded communes: zero, not 404.
    let corse = get(&app, "/api/v1/territories/regions/94").await.json();
    assert_eq!(corse["communes"], 0);
    assert_error(
        &get(&app, "/api/v1/territories/departements/20").await,
        StatusCode::NOT_FOUND,
        "no département",
    );
    assert_error(
        &get(&app, "/api/v1/territories/departements/xyz").await,
        StatusCode::BAD_REQUEST,
        "département code",
    );
    assert_error(
        &get(&app, "/api/v1/territories/regions/99").await,
        StatusCode::NOT_FOUND,
        "no région",
    );
    assert_error(
        &get(&app, "/api/v1/territories/regions/x").await,
        StatusCode::BAD_REQUEST,
        "région code",
    );
    assert_error(
        &get(&app, "/api/v1/nothing/here").await,
        StatusCode::NOT_FOUND,
        "no API endpoint at /api/v1/nothing/here",
    );
}

#[tokio::test]
async fn openapi_documents_every_api_route() {
    let app = app().await;
    let doc = get(&app, "/api/v1/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let mut documented: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort();
    // Every API route the router serves is documented, and nothing else.
    let mut served: Vec<&str> = passerelle_web::route_table()
        .into_iter()
        .map(|(_, path)| path)
        .filter(|p| {
            (p.starts_with("/api/v1/") && *p != "/api/v1/openapi.json")
                || p.starts_with("/health")
                || *p == "/metrics"
        })
        .collect();
    served.sort();
    assert_eq!(documented, served);
    assert!(served.len() >= 8, "{served:?}");
    // Each documented route answers (not with the API's 404 fallback).
    for (path, example) in [
        (
            "/api/v1/territories/communes/{code}",
            "/api/v1/territories/communes/29232",
        ),
        (
            "/api/v1/territories/departements/{code}",
            "/api/v1/territories/departements/29",
        ),
        (
            "/api/v1/territories/epci/{siren}",
            "/api/v1/territories/epci/200068120",
        ),
        (
            "/api/v1/territories/regions/{code}",
            "/api/v1/territories/regions/53",
        ),
        (
            "/api/v1/territories/communes",
            "/api/v1/territories/communes?q=brest",
        ),
    ] {
        assert_eq!(get(&app, example).await.status, StatusCode::OK, "{path}");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Commune",
        "Epci",
        "Departement",
        "Region",
        "ErrorBody",
        "Health",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
}

#[tokio::test]
async fn pages_render_in_french_with_security_headers() {
    let app = app().await;
    for (uri, expected) in [
        ("/", "Territoires"),
        ("/territoires", "Rechercher une commune"),
        ("/territoires?q=quimper", "CA Quimper Bretagne Occidentale"),
        ("/territoires/resultats?q=plouzan", "Plouzané"),
        (
            "/territoires/communes/29232",
            "CA Quimper Bretagne Occidentale",
        ),
        ("/territoires/epci/200068120", "Quimper"),
        ("/territoires/departements/29", "Brest Métropole"),
        ("/territoires/regions/53", "Ille-et-Vilaine"),
        ("/accessibilite", "Déclaration d’accessibilité"),
    ] {
        let answer = get(&app, uri).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}");
        assert!(answer.content_type.starts_with("text/html"), "{uri}");
        assert!(answer.body.contains(expected), "{uri} lacks {expected}");
        let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{uri}"
        );
        assert_eq!(answer.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(!answer.body.contains("<script>"), "{uri}: no inline script");
    }
    let search = get(&app, "/territoires?q=%3Cscript%3E").await;
    assert!(!search.body.contains("<script>"), "query text is escaped");
    assert!(search.body.contains("&#60;script&#62;") || search.body.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn unknown_pages_are_french_404s() {
    let app = app().await;
    for uri in [
        "/nulle-part",
        "/territoires/communes/29999",
        "/territoires/epci/200000000",
        "/territoires/departements/20",
        "/territoires/regions/99",
    ] {
        let answer = get(&app, uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(answer.body.contains("Page introuvable"), "{uri}");
    }
}

#[tokio::test]
async fn a_configured_tile_server_is_allowed_for_images_only() {
    let db = bretagne_database().await;
    let config = WebConfig::new("http://127.0.0.1:8080", false)
        .with_tiles(Some("https://tuiles.example.org/{z}/{x}/{y}.png".into()));
    let tiled = router(AppState::new(db, config), &Assets { dir: None });
    let answer = get(&tiled, "/lieux").await;
    let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("img-src 'self' data: https://tuiles.example.org;"),
        "{csp}"
    );
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(
        answer
            .body
            .contains("data-tiles=\"https://tuiles.example.org/{z}/{x}/{y}.png\"")
    );
    let plain = get(&app().await, "/lieux").await;
    assert!(
        plain.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("img-src 'self' data:;")
    );
}
