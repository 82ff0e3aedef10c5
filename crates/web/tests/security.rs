//! Regression tests of the security review of 2026-11-30 (issue 12) that
//! concern sign-in, redirects, anonymous survey drafts and safe methods:
//! each reproduces a finding and checks it holds now.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use common::{ANON_CSRF, Answer, Client, PASSWORD, call, world};
use http_body_util::BodyExt;
use passerelle_web::{AppState, Assets, WebConfig, router};
use tower::ServiceExt;

/// A sign-in attempt as a browser at `peer` sends it, with its device
/// cookie if it holds one and any `X-Forwarded-For`.
struct Attempt<'a> {
    email: &'a str,
    password: &'a str,
    peer: &'a str,
    device: Option<&'a str>,
    forwarded_for: Option<&'a str>,
}

impl<'a> Attempt<'a> {
    fn new(email: &'a str, password: &'a str) -> Self {
        Self {
            email,
            password,
            peer: "192.0.2.10",
            device: None,
            forwarded_for: None,
        }
    }

    async fn send(&self, app: &axum::Router) -> Answer {
        let mut cookies = format!("passerelle_csrf={ANON_CSRF}");
        if let Some(d) = self.device {
            cookies.push_str(&format!("; passerelle_appareil={d}"));
        }
        let body = format!(
            "_csrf={ANON_CSRF}&email={}&password={}",
            self.email.replace('@', "%40"),
            self.password.replace(' ', "+")
        );
        let mut headers = vec![(header::COOKIE.as_str(), cookies)];
        if let Some(f) = self.forwarded_for {
            headers.push(("x-forwarded-for", f.to_string()));
        }
        send(app, "POST", "/connexion", &headers, Some(body), self.peer).await
    }
}

/// A request from a client at `peer`, with its headers and form body.
async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    form: Option<String>,
    peer: &str,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if form.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let mut request = request
        .body(form.map_or_else(Body::empty, Body::from))
        .unwrap();
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes: bytes.to_vec(),
    }
}

/// The device cookie an answer sets, if any.
fn device_of(answer: &Answer) -> Option<String> {
    answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix("passerelle_appareil="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .find(|v| !v.is_empty())
}

const MEMBRE_A: &str = "membre.a@quimper.fr";

// ----- M5: sign-in throttling is not a denial of service ---------------------

#[tokio::test]
async fn failed_sign_ins_slow_an_account_down_for_seconds_not_a_quarter_of_an_hour() {
    let w = world().await;
    for _ in 0..5 {
        let wrong = Attempt::new(MEMBRE_A, "mauvais").send(&w.app).await;
        assert_eq!(wrong.status.as_u16(), 401);
    }
    // The sixth attempt, even with the right password, waits: a second or
    // two (stored times have whole seconds).
    let waiting = Attempt::new(MEMBRE_A, PASSWORD).send(&w.app).await;
    assert_eq!(waiting.status.as_u16(), 429);
    let retry = waiting.headers[header::RETRY_AFTER].to_str().unwrap();
    assert!(retry == "1" || retry == "2", "{retry}");
    assert!(
        waiting.body.contains("réessayez dans 1 seconde")
            || waiting.body.contains("réessayez dans 2 secondes"),
        "{}",
        waiting.body
    );
    assert!(waiting.new_session().is_none());
    // Once the delay is over, the right password opens a session: no lock.
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    let after = Attempt::new(MEMBRE_A, PASSWORD).send(&w.app).await;
    assert_eq!(after.status.as_u16(), 303, "{}", after.body);
    // The success resets the count: the next failure costs nothing.
    let wrong = Attempt::new(MEMBRE_A, "mauvais").send(&w.app).await;
    assert_eq!(wrong.status.as_u16(), 401);
    let again = Attempt::new(MEMBRE_A, PASSWORD).send(&w.app).await;
    assert_eq!(again.status.as_u16(), 303);
}

#[tokio::test]
async fn the_browser_a_person_signed_in_with_is_not_slowed_by_someone_elses_failures() {
    let w = world().await;
    let first = Attempt::new(MEMBRE_A, PASSWORD).send(&w.app).await;
    assert_eq!(first.status.as_u16(), 303);
    let device = device_of(&first).expect("a device cookie after a success");
    let cookie = first
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("passerelle_appareil="))
        .unwrap()
        .to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    // Someone elsewhere guesses at the account.
    for _ in 0..8 {
        let guess = Attempt {
            peer: "198.51.100.66",
            ..Attempt::new(MEMBRE_A, "devine")
        };
        guess.send(&w.app).await;
    }
    let attacker = Attempt {
        peer: "198.51.100.66",
        ..Attempt::new(MEMBRE_A, PASSWORD)
    };
    assert_eq!(attacker.send(&w.app).await.status.as_u16(), 429);
    // The person, from their own browser, signs in at once.
    let mine = Attempt {
        device: Some(&device),
        ..Attempt::new(MEMBRE_A, PASSWORD)
    }
    .send(&w.app)
    .await;
    assert_eq!(mine.status.as_u16(), 303, "{}", mine.body);
    assert!(
        device_of(&mine).is_none(),
        "the same device keeps its cookie"
    );
    // A device cookie of another person's proves nothing for this account.
    let other = Attempt {
        device: Some(&device),
        ..Attempt::new("membre.b@rennes.fr", "mauvais")
    };
    for _ in 0..5 {
        other.send(&w.app).await;
    }
    let borrowed = Attempt {
        device: Some(&device),
        ..Attempt::new("membre.b@rennes.fr", PASSWORD)
    };
    assert_eq!(borrowed.send(&w.app).await.status.as_u16(), 429);
}

#[tokio::test]
async fn a_trusted_browser_that_keeps_failing_loses_its_trust() {
    let w = world().await;
    let first = Attempt::new(MEMBRE_A, PASSWORD).send(&w.app).await;
    let device = device_of(&first).unwrap();
    let with_device = |password| Attempt {
        device: Some(&device),
        ..Attempt::new(MEMBRE_A, password)
    };
    for _ in 0..5 {
        assert_eq!(
            with_device("mauvais").send(&w.app).await.status.as_u16(),
            401
        );
    }
    assert_eq!(
        with_device(PASSWORD).send(&w.app).await.status.as_u16(),
        429,
        "five failures on the device: it waits like any browser"
    );
}

#[tokio::test]
async fn failures_from_one_address_do_not_block_the_other_accounts_signing_in_from_it() {
    let w = world().await;
    let office = "203.0.113.7";
    // Forty failures on other accounts from one office's address: the old
    // rule (30 per address) blocked everyone there.
    for i in 0..40 {
        let email = format!("inconnu{i}@exemple.fr");
        let attempt = Attempt {
            peer: office,
            ..Attempt::new(&email, "mauvais")
        };
        assert_eq!(attempt.send(&w.app).await.status.as_u16(), 401);
    }
    let colleague = Attempt {
        peer: office,
        ..Attempt::new(MEMBRE_A, PASSWORD)
    }
    .send(&w.app)
    .await;
    assert_eq!(colleague.status.as_u16(), 303, "{}", colleague.body);
    let device = device_of(&colleague).unwrap();
    // Credential stuffing (a hundred failures) makes the address wait, but
    // not the browsers that signed in from it before.
    for i in 40..100 {
        let email = format!("inconnu{i}@exemple.fr");
        Attempt {
            peer: office,
            ..Attempt::new(&email, "mauvais")
        }
        .send(&w.app)
        .await;
    }
    let newcomer = Attempt {
        peer: office,
        ..Attempt::new("membre.b@rennes.fr", PASSWORD)
    };
    assert_eq!(newcomer.send(&w.app).await.status.as_u16(), 429);
    let known = Attempt {
        peer: office,
        device: Some(&device),
        ..Attempt::new(MEMBRE_A, PASSWORD)
    };
    assert_eq!(known.send(&w.app).await.status.as_u16(), 303);
    let elsewhere = Attempt::new("membre.b@rennes.fr", PASSWORD);
    assert_eq!(elsewhere.send(&w.app).await.status.as_u16(), 303);
}

#[tokio::test]
async fn the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy() {
    let w = world().await;
    let behind_proxy = router(
        AppState::new(
            w.db.clone(),
            WebConfig::new("http://passerelle.test", false)
                .with_trusted_proxies("127.0.0.1, 10.0.0.0/8")
                .unwrap(),
        ),
        &Assets { dir: None },
    );
    let last_ip = || async {
        w.db.audit_events(Some("sign_in.failure"), 1).await.unwrap()[0]
            .ip
            .clone()
    };
    // Through the proxies: the client is the first untrusted hop from the right.
    Attempt {
        peer: "127.0.0.1",
        forwarded_for: Some("6.6.6.6, 198.51.100.9, 10.1.2.3"),
        ..Attempt::new("x@exemple.fr", "mauvais")
    }
    .send(&behind_proxy)
    .await;
    assert_eq!(last_ip().await.as_deref(), Some("198.51.100.9"));
    // A client talking directly cannot choose its address.
    Attempt {
        peer: "192.0.2.77",
        forwarded_for: Some("198.51.100.9"),
        ..Attempt::new("x@exemple.fr", "mauvais")
    }
    .send(&behind_proxy)
    .await;
    assert_eq!(last_ip().await.as_deref(), Some("192.0.2.77"));
    // Without the setting, the header is ignored even from loopback.
    Attempt {
        peer: "127.0.0.1",
        forwarded_for: Some("198.51.100.9"),
        ..Attempt::new("x@exemple.fr", "mauvais")
    }
    .send(&w.app)
    .await;
    assert_eq!(last_ip().await.as_deref(), Some("127.0.0.1"));
    assert!(
        WebConfig::new("http://x", false)
            .with_trusted_proxies("10.0.0.0/8, proxy.local")
            .unwrap_err()
            .contains("proxy.local")
    );
}

// ----- L4: where sign-in sends people afterwards ------------------------------

#[tokio::test]
async fn sign_in_never_redirects_off_site_nor_fails_on_control_characters() {
    let w = world().await;
    for suite in [
        "%2F%09%2Fevil.example",
        "%2F%0A%2Fevil.example",
        "%2Fcompte%0D%0ASet-Cookie%3A+x%3Dy",
        "%2F%5Cevil.example",
        "https%3A%2F%2Fevil.example",
        "%2F%2Fevil.example",
    ] {
        let form = format!(
            "email=membre.a%40quimper.fr&password={}&suite={suite}",
            PASSWORD.replace(' ', "+")
        );
        let answer = call(
            &w.app,
            &Client::anonymous(),
            "POST",
            "/connexion",
            Some(&form),
        )
        .await;
        assert_eq!(answer.status.as_u16(), 303, "{suite}: {}", answer.body);
        assert_eq!(answer.location(), "/compte", "{suite}");
    }
    let form = format!(
        "email=membre.a%40quimper.fr&password={}&suite=%2Flieux%3Fcommune%3D29232",
        PASSWORD.replace(' ', "+")
    );
    let local = call(
        &w.app,
        &Client::anonymous(),
        "POST",
        "/connexion",
        Some(&form),
    )
    .await;
    assert_eq!(local.location(), "/lieux?commune=29232");
}

// ----- L3: GETs never change state ---------------------------------------------

#[tokio::test]
async fn opening_a_referral_changes_nothing_and_another_site_cannot_make_someone_read_it() {
    let w = world().await;
    let receiver = Client::signed_in(&w.db, w.membre_a).await;
    let path = format!("/orientations/{}", w.referral_a);
    let reads = || async {
        w.db.audit_events(Some("referral.read_person"), 100)
            .await
            .unwrap()
            .len()
    };
    let cookies = vec![(
        header::COOKIE.as_str(),
        format!(
            "passerelle_csrf={ANON_CSRF}; passerelle_session={}",
            receiver.session.clone().unwrap()
        ),
    )];
    let from = |site: &str| {
        let mut h = cookies.clone();
        h.push(("sec-fetch-site", site.to_string()));
        h
    };
    // A link on another site, followed signed in (SameSite=Lax): the page
    // opens without the person's fields, and nothing is written.
    let before = reads().await;
    let lured = send(&w.app, "GET", &path, &from("cross-site"), None, "192.0.2.5").await;
    assert_eq!(lured.status.as_u16(), 200);
    assert!(!lured.body.contains("Jeanne"), "{}", lured.body);
    assert!(
        lured
            .body
            .contains("Afficher les informations sur la personne")
    );
    assert_eq!(reads().await, before);
    let download = send(
        &w.app,
        "GET",
        &format!("{path}/donnees"),
        &from("cross-site"),
        None,
        "192.0.2.5",
    )
    .await;
    assert_eq!(download.status.as_u16(), 303);
    assert_eq!(reads().await, before);
    // From our own page, the person is shown and the reading audited.
    let own = send(
        &w.app,
        "GET",
        &path,
        &from("same-origin"),
        None,
        "192.0.2.5",
    )
    .await;
    assert!(own.body.contains("Jeanne"));
    assert_eq!(reads().await, before + 1);
    // However often it is opened, the referral stays "envoyée" until the
    // receiving structure says it arrived, by a POST.
    for _ in 0..2 {
        call(&w.app, &receiver, "GET", &path, None).await;
    }
    let referral = w.db.referral(w.referral_a).await.unwrap().unwrap();
    assert_eq!(referral.status, "envoyee");
    assert_eq!(referral.version, 1);
    let steps = w.db.audit_events(Some("referral.step"), 10).await.unwrap();
    assert!(steps.is_empty(), "{steps:?}");
}

// ----- M6 and L1: anonymous survey drafts ---------------------------------------

fn draft_form(brouillon: &str) -> String {
    format!("_csrf={ANON_CSRF}&action=enregistrer&brouillon={brouillon}&poste=conseiller")
}

fn anonymous_headers() -> Vec<(&'static str, String)> {
    vec![(
        header::COOKIE.as_str(),
        format!("passerelle_csrf={ANON_CSRF}"),
    )]
}

#[tokio::test]
async fn anonymous_drafts_are_bounded_per_address_and_keyed_by_the_server() {
    let w = world().await;
    let path = format!("/enquetes/{}", w.survey_a);
    // A key chosen by the client is not taken: the link carries the server's.
    let chosen = "c".repeat(64);
    let saved = send(
        &w.app,
        "POST",
        &path,
        &anonymous_headers(),
        Some(draft_form(&chosen)),
        "192.0.2.30",
    )
    .await;
    assert_eq!(saved.status.as_u16(), 200, "{}", saved.body);
    assert!(saved.body.contains("?brouillon="));
    assert!(!saved.body.contains(&chosen));
    // One address saves a few dozen times an hour at most.
    let mut refused = None;
    for i in 1..=61 {
        let answer = send(
            &w.app,
            "POST",
            &path,
            &anonymous_headers(),
            Some(draft_form("")),
            "192.0.2.30",
        )
        .await;
        if answer.status.as_u16() != 200 {
            refused = Some((i, answer));
            break;
        }
    }
    let (count, answer) = refused.expect("the address is limited");
    assert_eq!(count, 60, "sixty saves an hour, the first one included");
    assert_eq!(answer.status.as_u16(), 429);
    assert!(answer.body.contains("Trop d’enregistrements"));
    assert!(answer.body.contains("conseiller"), "what was typed is kept");
    // Another address is not affected.
    let other = send(
        &w.app,
        "POST",
        &path,
        &anonymous_headers(),
        Some(draft_form("")),
        "192.0.2.31",
    )
    .await;
    assert_eq!(other.status.as_u16(), 200);
}

#[tokio::test]
async fn drafts_only_for_a_survey_that_takes_answers() {
    let w = world().await;
    let survey = w.db.survey_by_slug(w.survey_a).await.unwrap().unwrap();
    w.db.close_survey(&survey, &passerelle_store::write::Acting::system())
        .await
        .unwrap();
    let closed = send(
        &w.app,
        "POST",
        &format!("/enquetes/{}", w.survey_a),
        &anonymous_headers(),
        Some(draft_form("")),
        "192.0.2.40",
    )
    .await;
    assert_eq!(closed.status.as_u16(), 422);
    assert!(closed.body.contains("n’accepte pas de réponse"));
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM survey_drafts")
        .fetch_one(w.db.pool())
        .await
        .unwrap();
    assert_eq!(held, 0);
}
