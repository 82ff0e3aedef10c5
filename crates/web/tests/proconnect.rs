//! Signing in with ProConnect against a real OpenID Connect provider on
//! loopback: npm `oidc-provider` set up like ProConnect
//! (`tests/oidc/provider.mjs`: its claims, userinfo as a signed JWT, PKCE
//! required). The provider's sign-in form is filled by an HTTP client that
//! keeps the provider's cookies, as a browser would. A provider started
//! with `--tamper` re-signs its ID tokens with one claim changed, so each
//! refusal comes from our verification, said in French.
//!
//! Needs Node.js and `npm ci` (CI has both: `scripts/test`); without
//! `node` the tests say so and pass, unless `PASSERELLE_REQUIRE_NODE=1`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use axum::Router;
use axum::http::StatusCode;
use common::{Client, PASSWORD, SIRET_A, call, world};
use passerelle_web::proconnect::{CALLBACK_PATH, Settings};
use passerelle_web::{AppState, Assets, WebConfig, router};

const PUBLIC_URL: &str = "http://passerelle.test";
const CLIENT_ID: &str = "passerelle";
const CLIENT_SECRET: &str = "secret-de-test";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tests/oidc/provider.mjs` with `flags`; `None` (said) when
/// Node.js is missing.
fn provider(flags: &[&str]) -> Option<Provider> {
    if Command::new("node").arg("--version").output().is_err() {
        assert!(
            std::env::var("PASSERELLE_REQUIRE_NODE").as_deref() != Ok("1"),
            "PASSERELLE_REQUIRE_NODE=1 but `node` is missing"
        );
        eprintln!("skipped: Node.js (`node`) is missing, the test provider cannot run");
        return None;
    }
    let callback = format!("{PUBLIC_URL}{CALLBACK_PATH}");
    let after = format!("{PUBLIC_URL}/");
    let mut child = Command::new("node")
        .current_dir(root())
        .arg("tests/oidc/provider.mjs")
        .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
        .args([
            "--redirect-uri",
            &callback,
            "--post-logout-redirect-uri",
            &after,
        ])
        .args(flags)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let issuer = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("ISSUER ").map(str::to_string))
        .expect("the provider says where it listens (run `npm ci` first)");
    // What it prints later is read too, or its writes would fail.
    std::thread::spawn(move || lines.for_each(drop));
    Some(Provider { child, issuer })
}

fn app(w: &common::World, issuer: &str, passwords: bool) -> Router {
    let config = WebConfig::new(PUBLIC_URL, false)
        .with_proconnect(
            Some(Settings {
                issuer: issuer.into(),
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
            }),
            passwords,
        )
        .unwrap();
    router(AppState::new(w.db.clone(), config), &Assets { dir: None })
}

/// A browser at the provider: follows nothing by itself, keeps cookies.
struct Browser {
    agent: ureq::Agent,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new() -> Self {
        Self {
            agent: ureq::Agent::config_builder()
                .max_redirects(0)
                .http_status_as_error(false)
                .build()
                .new_agent(),
            cookies: BTreeMap::new(),
        }
    }

    fn keep<B>(&mut self, answer: &ureq::http::Response<B>) -> String {
        for c in answer.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.into(), value.into());
        }
        answer
            .headers()
            .get("location")
            .map_or(String::new(), |l| l.to_str().unwrap().to_string())
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn get(&mut self, url: &str) -> String {
        let answer = self
            .agent
            .get(url)
            .header("cookie", &self.cookie_header())
            .call()
            .unwrap();
        self.keep(&answer)
    }

    fn post(&mut self, url: &str, form: &[(&str, &str)]) -> String {
        let answer = self
            .agent
            .post(url)
            .header("cookie", &self.cookie_header())
            .send_form(form.iter().copied())
            .unwrap();
        self.keep(&answer)
    }
}

/// Clicks "S'identifier avec ProConnect": the provider's address.
async fn start(app: &Router) -> String {
    let answer = call(
        app,
        &Client::anonymous(),
        "POST",
        "/connexion/proconnect",
        Some("suite=%2Fcompte"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    answer.location().to_string()
}

/// Signs in at the provider as `email` (with `siret`): the address the
/// provider sends the browser back to, on our side (path and query).
fn at_provider(issuer: &str, authorize: &str, email: &str, siret: &str) -> String {
    assert!(authorize.starts_with(issuer), "{authorize}");
    for part in [
        "code_challenge_method=S256",
        "state=",
        "nonce=",
        "scope=openid+email+given_name+usual_name+siret+uid",
    ] {
        assert!(authorize.contains(part), "{part} in {authorize}");
    }
    let mut browser = Browser::new();
    let interaction = browser.get(authorize);
    assert!(interaction.starts_with("/interaction/"), "{interaction}");
    let resume = browser.post(
        &format!("{issuer}{interaction}"),
        &[
            ("email", email),
            ("given_name", "Anne"),
            ("usual_name", "Le Goff"),
            ("siret", siret),
        ],
    );
    let back = browser.get(&resume);
    let back = back
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("the provider sends the browser back here: {back}"));
    assert!(back.starts_with(CALLBACK_PATH), "{back}");
    back.to_string()
}

async fn sign_in(app: &Router, issuer: &str, email: &str, siret: &str) -> common::Answer {
    let authorize = start(app).await;
    let back = at_provider(issuer, &authorize, email, siret);
    call(app, &Client::anonymous(), "GET", &back, None).await
}

/// How many lines of the audit trail record `action`.
async fn audited(db: &passerelle_store::Database, action: &str) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) AS n FROM audit_events WHERE action = $1")
        .bind(action.to_string())
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

#[tokio::test]
async fn an_existing_person_signs_in_by_address_then_by_identity() {
    let Some(p) = provider(&[]) else { return };
    let w = world().await;
    let app = app(&w, &p.issuer, true);
    let answer = sign_in(&app, &p.issuer, "membre.a@quimper.fr", "").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(
        answer.location(),
        "/compte",
        "back where the person was going"
    );
    let session = answer.new_session().expect("a session is opened");
    let me = call(
        &app,
        &Client {
            session: Some(session),
            ..Client::anonymous()
        },
        "GET",
        "/compte",
        None,
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("membre.a@quimper.fr"), "{}", me.body);
    assert_eq!(audited(&w.db, "oidc.identity_linked").await, 1);
    // Again: the identity is linked, nothing else changes.
    let again = sign_in(&app, &p.issuer, "membre.a@quimper.fr", "").await;
    assert!(again.new_session().is_some(), "{}", again.body);
    assert_eq!(audited(&w.db, "oidc.identity_linked").await, 1);
    assert_eq!(audited(&w.db, "sign_in.success").await, 2);
    assert_eq!(
        w.db.memberships_of(w.membre_a).await.unwrap().len(),
        1,
        "the same person, the same membership"
    );
}

#[tokio::test]
async fn a_first_sign_in_creates_the_person_and_asks_the_structure_of_its_siret() {
    let Some(p) = provider(&[]) else { return };
    let w = world().await;
    let app = app(&w, &p.issuer, true);
    let answer = sign_in(&app, &p.issuer, "anne.le-goff@quimper.fr", SIRET_A).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), "/?info=demande-envoyee");
    let person =
        w.db.person_by_email("anne.le-goff@quimper.fr")
            .await
            .unwrap()
            .expect("the person is created");
    assert_eq!(person.display_name, "Anne Le Goff");
    assert!(
        w.db.memberships_of(person.id).await.unwrap().is_empty(),
        "no role until a gestionnaire accepts"
    );
    let requests = w.db.membership_requests(w.a).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].person_id, person.id);
    let mails = common::outbox(&w.db, false, 10).await;
    let told: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("demande à rejoindre CCAS de Quimper"))
        .collect();
    assert_eq!(told.len(), 1, "{mails:?}");
    assert_eq!(told[0].to_address, "gestionnaire.a@quimper.fr");
    assert!(
        told[0]
            .body
            .contains("Anne Le Goff (anne.le-goff@quimper.fr)")
    );
    assert!(told[0].body.contains("http://passerelle.test/structures/"));
    assert_eq!(audited(&w.db, "oidc.person_created").await, 1);
    assert_eq!(audited(&w.db, "membership_request.created").await, 1);
    // The gestionnaire sees the request and accepts it.
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let page = call(
        &app,
        &gestionnaire,
        "GET",
        &format!("/structures/{}", w.a),
        None,
    )
    .await;
    assert!(page.body.contains("Demandes pour rejoindre la structure"));
    assert!(page.body.contains("Anne Le Goff"));
    let accepted = call(
        &app,
        &gestionnaire,
        "POST",
        &format!(
            "/structures/{}/demandes/{}/acceptation",
            w.a, requests[0].id
        ),
        Some(""),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let memberships = w.db.memberships_of(person.id).await.unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].structure_id, w.a);
    assert_eq!(memberships[0].role.code(), "membre");
    assert!(w.db.membership_requests(w.a).await.unwrap().is_empty());
    assert_eq!(audited(&w.db, "membership_request.accepted").await, 1);
    // A member may not decide (only who may give the role).
    let again = sign_in(&app, &p.issuer, "autre@quimper.fr", SIRET_A).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let pending = w.db.membership_requests(w.a).await.unwrap();
    let member = Client::signed_in(&w.db, w.membre_a).await;
    let refused = call(
        &app,
        &member,
        "POST",
        &format!("/structures/{}/demandes/{}/refus", w.a, pending[0].id),
        Some(""),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(w.db.membership_requests(w.a).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_replayed_answer_is_refused() {
    let Some(p) = provider(&[]) else { return };
    let w = world().await;
    let app = app(&w, &p.issuer, true);
    let authorize = start(&app).await;
    let back = at_provider(&p.issuer, &authorize, "membre.a@quimper.fr", "");
    let first = call(&app, &Client::anonymous(), "GET", &back, None).await;
    assert!(first.new_session().is_some(), "{}", first.body);
    let replay = call(&app, &Client::anonymous(), "GET", &back, None).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert!(replay.new_session().is_none());
    assert!(
        replay
            .body
            .contains("Cette connexion avec ProConnect a expiré ou a déjà servi"),
        "{}",
        replay.body
    );
}

/// A sign-in through a provider that changes one claim of its ID tokens:
/// refused with `message`, nobody signed in.
async fn refused_when_tampered(tamper: &str, message: &str) {
    let Some(p) = provider(&["--tamper", tamper]) else {
        return;
    };
    let w = world().await;
    let app = app(&w, &p.issuer, true);
    let answer = sign_in(&app, &p.issuer, "membre.a@quimper.fr", "").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert!(answer.new_session().is_none());
    assert!(
        answer.body.contains(message),
        "{message} in {}",
        answer.body
    );
    assert!(
        answer.body.contains("Se connecter à Passerelle"),
        "the sign-in page"
    );
    assert_eq!(audited(&w.db, "oidc.identity_linked").await, 0);
    assert_eq!(audited(&w.db, "oidc.refused").await, 1);
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    refused_when_tampered("nonce", "ne correspond pas à cette demande de connexion").await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    refused_when_tampered("exp", "le jeton d’identité reçu a expiré").await;
}

#[tokio::test]
async fn an_id_token_for_another_audience_is_refused() {
    refused_when_tampered("aud", "n’est pas destiné à Passerelle").await;
}

#[tokio::test]
async fn userinfo_as_plain_json_is_accepted() {
    let Some(p) = provider(&["--userinfo", "json"]) else {
        return;
    };
    let w = world().await;
    let app = app(&w, &p.issuer, true);
    let answer = sign_in(&app, &p.issuer, "nouveau@rennes.fr", "").await;
    assert!(answer.new_session().is_some(), "{}", answer.body);
    let person = w.db.person_by_email("nouveau@rennes.fr").await.unwrap();
    assert_eq!(person.unwrap().display_name, "Anne Le Goff");
    assert!(w.db.membership_requests(w.a).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refusal_at_the_provider_is_said_in_french() {
    let Some(p) = provider(&[]) else { return };
    let w = world().await;
    let app = app(&w, &p.issuer, true);
    let authorize = start(&app).await;
    let state = url::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let answer = call(
        &app,
        &Client::anonymous(),
        "GET",
        &format!(
            "{CALLBACK_PATH}?error=access_denied&error_description=User+cancelled&state={state}"
        ),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer
            .body
            .contains("Vous avez annulé la connexion avec ProConnect"),
        "{}",
        answer.body
    );
    assert!(!answer.body.contains("User cancelled"), "no English");
}

#[tokio::test]
async fn a_provider_that_is_down_leaves_password_sign_in_working() {
    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let w = world().await;
    let app = app(&w, &issuer, true);
    let page = call(&app, &Client::anonymous(), "GET", "/connexion", None).await;
    assert!(
        page.body.contains("fr-connect fr-connect--pro"),
        "{}",
        page.body
    );
    assert!(page.body.contains("S’identifier avec"));
    assert!(page.body.contains("https://www.proconnect.gouv.fr/"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains(&format!("form-action 'self' {issuer};")),
        "the sign-in form leads to the provider: {csp}"
    );
    let answer = call(
        &app,
        &Client::anonymous(),
        "POST",
        "/connexion/proconnect",
        Some(""),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert!(
        answer
            .body
            .contains("ProConnect ne répond pas pour le moment"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("name=\"password\""),
        "passwords still offered"
    );
    let signed_in = call(
        &app,
        &Client::anonymous(),
        "POST",
        "/connexion",
        Some(&format!(
            "email=membre.a%40quimper.fr&password={}",
            PASSWORD.replace(' ', "+")
        )),
    )
    .await;
    assert!(signed_in.new_session().is_some(), "{}", signed_in.body);
}

#[tokio::test]
async fn passwords_can_be_turned_off_when_proconnect_is_on() {
    let w = world().await;
    let app = app(&w, "http://127.0.0.1:9", false);
    let page = call(&app, &Client::anonymous(), "GET", "/connexion", None).await;
    assert!(page.body.contains("fr-connect--pro"));
    assert!(!page.body.contains("name=\"password\""), "{}", page.body);
    assert!(!page.body.contains("Mot de passe oublié"));
    let form = format!(
        "email=membre.a%40quimper.fr&password={}",
        PASSWORD.replace(' ', "+")
    );
    let refused = call(
        &app,
        &Client::anonymous(),
        "POST",
        "/connexion",
        Some(&form),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(refused.new_session().is_none());
    assert!(
        refused
            .body
            .contains("Connexion par mot de passe désactivée")
    );
    for (method, path, form) in [
        ("GET", "/mot-de-passe-oublie".to_string(), None),
        (
            "POST",
            "/mot-de-passe-oublie".into(),
            Some("email=membre.a%40quimper.fr"),
        ),
        (
            "GET",
            format!("/reinitialisation/{}", w.reset_membre_a),
            None,
        ),
    ] {
        let answer = call(&app, &Client::anonymous(), method, &path, form).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    // An invitation asks for no password: its person signs in with
    // ProConnect, with the invited address.
    let invitation = call(
        &app,
        &Client::anonymous(),
        "GET",
        &format!("/invitation/{}", w.invitation_a),
        None,
    )
    .await;
    assert!(
        !invitation.body.contains("Nouveau mot de passe"),
        "{}",
        invitation.body
    );
    let accepted = call(
        &app,
        &Client::anonymous(),
        "POST",
        &format!("/invitation/{}", w.invitation_a),
        Some("display_name=Nolwenn+Le+Bihan"),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let invited =
        w.db.person_by_email("nouvelle@quimper.fr")
            .await
            .unwrap()
            .unwrap();
    assert_eq!(w.db.password_hash(invited.id).await.unwrap(), None);
    // Nor does one's account page offer to change it.
    let member = Client::signed_in(&w.db, w.membre_a).await;
    let account = call(&app, &member, "GET", "/compte", None).await;
    assert!(!account.body.contains("Changer de mot de passe"));
    let change = call(
        &app,
        &member,
        "POST",
        "/compte/mot-de-passe",
        Some("current_password=x&new_password=y&confirmation=y"),
    )
    .await;
    assert_eq!(change.status, StatusCode::NOT_FOUND);
    // Without ProConnect, passwords cannot be turned off.
    assert!(
        WebConfig::new(PUBLIC_URL, false)
            .with_proconnect(None, false)
            .is_err()
    );
}

#[tokio::test]
async fn signing_out_signs_out_at_the_provider() {
    let Some(p) = provider(&[]) else { return };
    let w = world().await;
    let app = app(&w, &p.issuer, true);
    let answer = sign_in(&app, &p.issuer, "membre.a@quimper.fr", "").await;
    let session = answer.new_session().unwrap();
    let csrf = w.db.session(&session).await.unwrap().unwrap().csrf_token;
    let client = Client {
        session: Some(session.clone()),
        csrf,
        bearer: None,
    };
    let out = call(&app, &client, "POST", "/deconnexion", Some("")).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let to = url::Url::parse(out.location()).unwrap();
    assert_eq!(
        to.as_str().split('?').next(),
        Some(&*format!("{}/session/end", p.issuer))
    );
    let params: BTreeMap<_, _> = to.query_pairs().into_owned().collect();
    assert!(params.contains_key("id_token_hint"), "{params:?}");
    assert_eq!(
        params.get("post_logout_redirect_uri").map(String::as_str),
        Some("http://passerelle.test/")
    );
    assert!(
        w.db.session(&session).await.unwrap().is_none(),
        "ended here too"
    );
    // The provider accepts it: its sign-out page, not an error.
    let page = Browser::new().agent.get(to.as_str()).call().unwrap();
    assert_eq!(page.status(), 200);
}
