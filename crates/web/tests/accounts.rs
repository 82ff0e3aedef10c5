//! Comptes end to end through HTTP: sign-in, throttling, CSRF, invitations,
//! password resets, roles, API tokens, the audit trail and e-mail.

mod common;

use common::{ANON_CSRF, Client, PASSWORD, call, world};
use passerelle_web::{AppState, Assets, WebConfig, router};

fn link_token(body: &str, path: &str) -> String {
    let start = body
        .find(path)
        .unwrap_or_else(|| panic!("no {path} link in {body}"))
        + path.len();
    body[start..start + 64].to_string()
}

async fn sign_in(app: &axum::Router, email: &str, password: &str) -> common::Answer {
    let form = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    call(app, &Client::anonymous(), "POST", "/connexion", Some(&form)).await
}

#[tokio::test]
async fn sign_in_opens_a_hardened_session_and_is_audited() {
    let w = world().await;
    let ok = sign_in(&w.app, "Membre.A@Quimper.fr", PASSWORD).await;
    assert_eq!(ok.status.as_u16(), 303, "{}", ok.body);
    assert_eq!(ok.location(), "/");
    let cookie = ok
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    let session = ok.new_session().unwrap();
    let me = Client {
        session: Some(session),
        ..Client::anonymous()
    };
    let account = call(&w.app, &me, "GET", "/compte", None).await;
    assert_eq!(account.status.as_u16(), 200);
    assert!(
        account.body.contains("membre.a@quimper.fr") && account.body.contains("CCAS de Quimper")
    );

    // Wrong password and unknown address: the same answer.
    let wrong = sign_in(&w.app, "membre.a@quimper.fr", "pas le bon").await;
    let unknown = sign_in(&w.app, "personne@nulle-part.fr", PASSWORD).await;
    for answer in [&wrong, &unknown] {
        assert_eq!(answer.status.as_u16(), 401);
        assert!(
            answer
                .body
                .contains("Adresse électronique ou mot de passe incorrect.")
        );
        assert!(answer.new_session().is_none());
    }
    let events = w.db.audit_events(None, 10).await.unwrap();
    let actions: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.subject.as_deref()))
        .collect();
    assert!(
        actions.contains(&("sign_in.success", Some("membre.a@quimper.fr"))),
        "{actions:?}"
    );
    assert!(actions.contains(&("sign_in.failure", Some("membre.a@quimper.fr"))));
    assert!(actions.contains(&("sign_in.failure", Some("personne@nulle-part.fr"))));

    // Back where one was going, never to another site.
    let form = format!(
        "email=membre.a%40quimper.fr&password={}&suite=%2Fstructures%2F{}",
        PASSWORD.replace(' ', "+"),
        w.a
    );
    let back = call(
        &w.app,
        &Client::anonymous(),
        "POST",
        "/connexion",
        Some(&form),
    )
    .await;
    assert_eq!(back.location(), format!("/structures/{}", w.a));
    let form = format!(
        "email=membre.a%40quimper.fr&password={}&suite=%2F%2Fevil.example",
        PASSWORD.replace(' ', "+")
    );
    let evil = call(
        &w.app,
        &Client::anonymous(),
        "POST",
        "/connexion",
        Some(&form),
    )
    .await;
    assert_eq!(evil.location(), "/");

    // Served over HTTPS, the cookie is Secure.
    let https = router(
        AppState::new(
            w.db.clone(),
            WebConfig::new("https://passerelle.example", false),
        ),
        &Assets { dir: None },
    );
    let secure = sign_in(&https, "membre.a@quimper.fr", PASSWORD).await;
    assert!(
        secure
            .headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn repeated_failures_throttle_the_account() {
    let w = world().await;
    for _ in 0..5 {
        assert_eq!(
            sign_in(&w.app, "membre.a@quimper.fr", "mauvais")
                .await
                .status
                .as_u16(),
            401
        );
    }
    let blocked = sign_in(&w.app, "membre.a@quimper.fr", PASSWORD).await;
    assert_eq!(
        blocked.status.as_u16(),
        429,
        "even the right password waits"
    );
    assert!(blocked.new_session().is_none());
    assert!(blocked.body.contains("Trop de tentatives"));
    // Another account is not affected.
    assert_eq!(
        sign_in(&w.app, "membre.b@rennes.fr", PASSWORD)
            .await
            .status
            .as_u16(),
        303
    );
    assert_eq!(
        w.db.audit_events(Some("sign_in.throttled"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_or_from_elsewhere_are_refused() {
    let w = world().await;
    let me = Client::signed_in(&w.db, w.membre_a).await;
    let forged = Client {
        csrf: "1".repeat(64),
        ..me.clone()
    };
    let answer = call(
        &w.app,
        &forged,
        "POST",
        "/compte/deconnexion-partout",
        Some(""),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 403);
    let empty = Client {
        csrf: String::new(),
        ..me.clone()
    };
    assert_eq!(
        call(
            &w.app,
            &empty,
            "POST",
            "/compte/deconnexion-partout",
            Some("")
        )
        .await
        .status
        .as_u16(),
        403
    );
    // The anonymous token does not replace the session's.
    let anon_token = Client {
        csrf: ANON_CSRF.into(),
        ..me.clone()
    };
    assert_eq!(
        call(
            &w.app,
            &anon_token,
            "POST",
            "/compte/deconnexion-partout",
            Some("")
        )
        .await
        .status
        .as_u16(),
        403
    );
    // Another origin is refused even with the right token.
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let request = Request::post("/compte/deconnexion-partout")
        .header(
            "cookie",
            format!("passerelle_session={}", me.session.clone().unwrap()),
        )
        .header("origin", "https://evil.example")
        .header("host", "passerelle.test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("_csrf={}", me.csrf)))
        .unwrap();
    assert_eq!(
        w.app
            .clone()
            .oneshot(request)
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    // None of it ended the session.
    assert!(
        w.db.session(me.session.as_ref().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    // Anonymous forms need the CSRF cookie's value too.
    let no_cookie_value = Client {
        csrf: "2".repeat(64),
        ..Client::anonymous()
    };
    assert_eq!(
        call(
            &w.app,
            &no_cookie_value,
            "POST",
            "/connexion",
            Some("email=a%40b.fr&password=x")
        )
        .await
        .status
        .as_u16(),
        403
    );
}

#[tokio::test]
async fn a_gestionnaire_invites_and_the_invitation_creates_an_account() {
    let w = world().await;
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let sent = call(
        &w.app,
        &gestionnaire,
        "POST",
        &format!("/structures/{}/invitations", w.a),
        Some("email=Nouveau%40Quimper.fr&role=membre"),
    )
    .await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
    // Gestionnaires cannot hand out instance-wide roles.
    let admin = call(
        &w.app,
        &gestionnaire,
        "POST",
        &format!("/structures/{}/invitations", w.a),
        Some("email=x%40y.fr&role=admin"),
    )
    .await;
    assert_eq!(admin.status.as_u16(), 403);

    let mail = common::outbox(&w.db, false, 1).await.remove(0);
    assert_eq!(mail.to_address, "nouveau@quimper.fr");
    assert!(mail.body.contains("http://passerelle.test/invitation/"));
    let token = link_token(&mail.body, "/invitation/");
    let visitor = Client::anonymous();
    let page = call(
        &w.app,
        &visitor,
        "GET",
        &format!("/invitation/{token}"),
        None,
    )
    .await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.body.contains("CCAS de Quimper"));
    let weak = call(
        &w.app,
        &visitor,
        "POST",
        &format!("/invitation/{token}"),
        Some("display_name=Nolwenn&new_password=azerty&confirmation=azerty"),
    )
    .await;
    assert_eq!(weak.status.as_u16(), 422);
    assert!(weak.body.contains("au moins 12 caractères"));
    let common = call(
        &w.app,
        &visitor,
        "POST",
        &format!("/invitation/{token}"),
        Some("display_name=Nolwenn&new_password=motdepasse123&confirmation=motdepasse123"),
    )
    .await;
    assert!(
        common.body.contains("les plus courants"),
        "{}",
        common.status
    );
    let good = "display_name=Nolwenn+Kerjean&new_password=le+phare+du+petit+minou&confirmation=le+phare+du+petit+minou";
    let accepted = call(
        &w.app,
        &visitor,
        "POST",
        &format!("/invitation/{token}"),
        Some(good),
    )
    .await;
    assert_eq!(accepted.status.as_u16(), 303, "{}", accepted.body);
    let session = accepted.new_session().expect("signed in");
    let new_member = Client {
        session: Some(session),
        ..Client::anonymous()
    };
    let structure = call(
        &w.app,
        &new_member,
        "GET",
        &format!("/structures/{}", w.a),
        None,
    )
    .await;
    assert_eq!(structure.status.as_u16(), 200);
    // A link works once.
    assert_eq!(
        call(
            &w.app,
            &visitor,
            "GET",
            &format!("/invitation/{token}"),
            None
        )
        .await
        .status
        .as_u16(),
        404
    );
    assert_eq!(
        call(
            &w.app,
            &visitor,
            "POST",
            &format!("/invitation/{token}"),
            Some(good)
        )
        .await
        .status
        .as_u16(),
        404
    );
    assert_eq!(
        sign_in(&w.app, "nouveau@quimper.fr", "le phare du petit minou")
            .await
            .status
            .as_u16(),
        303
    );
    let actions: Vec<String> =
        w.db.audit_events(None, 20)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
    assert!(
        actions.contains(&"invitation.created".into())
            && actions.contains(&"invitation.accepted".into())
    );
}

#[tokio::test]
async fn roles_change_and_leaving_ends_access_but_keeps_the_record() {
    let w = world().await;
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let base = format!("/structures/{}/membres/{}", w.a, w.membre_a_membership);
    assert_eq!(
        call(
            &w.app,
            &gestionnaire,
            "POST",
            &format!("{base}/role"),
            Some("role=gestionnaire")
        )
        .await
        .status
        .as_u16(),
        303
    );
    assert_eq!(
        call(
            &w.app,
            &gestionnaire,
            "POST",
            &format!("{base}/role"),
            Some("role=coordinateur")
        )
        .await
        .status
        .as_u16(),
        403
    );
    let m =
        w.db.membership(w.membre_a_membership)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(m.role, passerelle_accounts::Role::Gestionnaire);
    let membre = Client::signed_in(&w.db, w.membre_a).await;
    assert_eq!(
        call(
            &w.app,
            &membre,
            "GET",
            &format!("/structures/{}", w.a),
            None
        )
        .await
        .status
        .as_u16(),
        200
    );
    assert_eq!(
        call(
            &w.app,
            &gestionnaire,
            "POST",
            &format!("{base}/fin"),
            Some("")
        )
        .await
        .status
        .as_u16(),
        303
    );
    assert_eq!(
        call(
            &w.app,
            &membre,
            "GET",
            &format!("/structures/{}", w.a),
            None
        )
        .await
        .status
        .as_u16(),
        404
    );
    let page = call(
        &w.app,
        &gestionnaire,
        "GET",
        &format!("/structures/{}", w.a),
        None,
    )
    .await;
    assert!(page.body.contains("membre.a@quimper.fr") && page.body.contains("parti"));
    let actions: Vec<String> =
        w.db.audit_events(None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
    assert!(
        actions.contains(&"membership.role_changed".into())
            && actions.contains(&"membership.ended".into())
    );
}

#[tokio::test]
async fn password_reset_by_email_link() {
    let w = world().await;
    let old_session = Client::signed_in(&w.db, w.membre_a).await;
    let visitor = Client::anonymous();
    let asked = call(
        &w.app,
        &visitor,
        "POST",
        "/mot-de-passe-oublie",
        Some("email=membre.a%40quimper.fr"),
    )
    .await;
    let unknown = call(
        &w.app,
        &visitor,
        "POST",
        "/mot-de-passe-oublie",
        Some("email=personne%40exemple.fr"),
    )
    .await;
    assert_eq!((asked.status.as_u16(), unknown.status.as_u16()), (200, 200));
    assert!(
        asked
            .body
            .contains("Si cette adresse correspond à un compte")
            && unknown
                .body
                .contains("Si cette adresse correspond à un compte")
    );
    let outbox = common::outbox(&w.db, false, 10).await;
    assert_eq!(outbox.len(), 1, "no mail for an unknown address");
    let token = link_token(&outbox[0].body, "/reinitialisation/");
    assert_eq!(
        call(
            &w.app,
            &visitor,
            "GET",
            &format!("/reinitialisation/{token}"),
            None
        )
        .await
        .status
        .as_u16(),
        200
    );
    let mismatch = call(
        &w.app,
        &visitor,
        "POST",
        &format!("/reinitialisation/{token}"),
        Some("new_password=la+mer+est+calme+ce+soir&confirmation=autre+chose+entierement"),
    )
    .await;
    assert_eq!(mismatch.status.as_u16(), 422);
    let done = call(
        &w.app,
        &visitor,
        "POST",
        &format!("/reinitialisation/{token}"),
        Some("new_password=la+mer+est+calme+ce+soir&confirmation=la+mer+est+calme+ce+soir&autres_sessions=fermer"),
    )
    .await;
    assert_eq!(done.status.as_u16(), 303);
    assert!(done.location().starts_with("/connexion"));
    assert!(
        w.db.session(old_session.session.as_ref().unwrap())
            .await
            .unwrap()
            .is_none(),
        "sessions ended"
    );
    assert_eq!(
        sign_in(&w.app, "membre.a@quimper.fr", PASSWORD)
            .await
            .status
            .as_u16(),
        401
    );
    assert_eq!(
        sign_in(&w.app, "membre.a@quimper.fr", "la mer est calme ce soir")
            .await
            .status
            .as_u16(),
        303
    );
    assert_eq!(
        call(
            &w.app,
            &visitor,
            "GET",
            &format!("/reinitialisation/{token}"),
            None
        )
        .await
        .status
        .as_u16(),
        404
    );
}

#[tokio::test]
async fn changing_the_password_and_signing_out_everywhere() {
    let w = world().await;
    let here = Client::signed_in(&w.db, w.membre_b).await;
    let elsewhere = Client::signed_in(&w.db, w.membre_b).await;
    let wrong = call(&w.app, &here, "POST", "/compte/mot-de-passe", Some("current_password=faux&new_password=un+nouveau+mot+de+passe&confirmation=un+nouveau+mot+de+passe")).await;
    assert_eq!(wrong.status.as_u16(), 422);
    assert!(wrong.body.contains("Le mot de passe actuel est incorrect."));
    let form = format!(
        "current_password={}&new_password=un+nouveau+mot+de+passe&confirmation=un+nouveau+mot+de+passe",
        PASSWORD.replace(' ', "+")
    );
    let changed = call(&w.app, &here, "POST", "/compte/mot-de-passe", Some(&form)).await;
    assert_eq!(changed.status.as_u16(), 200, "{}", changed.body);
    assert!(
        w.db.session(here.session.as_ref().unwrap())
            .await
            .unwrap()
            .is_some(),
        "this session stays"
    );
    assert!(
        w.db.session(elsewhere.session.as_ref().unwrap())
            .await
            .unwrap()
            .is_none(),
        "the others end"
    );
    let another = Client::signed_in(&w.db, w.membre_b).await;
    assert_eq!(
        call(
            &w.app,
            &here,
            "POST",
            "/compte/deconnexion-partout",
            Some("")
        )
        .await
        .status
        .as_u16(),
        303
    );
    for c in [&here, &another] {
        assert!(
            w.db.session(c.session.as_ref().unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn api_tokens_are_created_shown_once_and_revoked() {
    let w = world().await;
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let created = call(
        &w.app,
        &gestionnaire,
        "POST",
        &format!("/structures/{}/jetons", w.a),
        Some("name=Tableau+de+bord"),
    )
    .await;
    assert_eq!(created.status.as_u16(), 200);
    assert_eq!(created.headers.get("cache-control").unwrap(), "no-store");
    let start = created.body.find("<code id=\"jeton\">").unwrap() + "<code id=\"jeton\">".len();
    let secret = created.body[start..start + 64].to_string();
    assert_eq!(
        call(&w.app, &Client::bearer(&secret), "GET", "/api/v1/me", None)
            .await
            .status
            .as_u16(),
        200
    );
    let listed = call(
        &w.app,
        &gestionnaire,
        "GET",
        &format!("/structures/{}", w.a),
        None,
    )
    .await;
    assert!(
        listed.body.contains("Tableau de bord") && !listed.body.contains(&secret),
        "shown once only"
    );
    let id = w.db.api_tokens_of(w.a).await.unwrap()[0].id;
    assert_eq!(
        call(
            &w.app,
            &gestionnaire,
            "POST",
            &format!("/structures/{}/jetons/{id}/revocation", w.a),
            Some("")
        )
        .await
        .status
        .as_u16(),
        303
    );
    assert_eq!(
        call(&w.app, &Client::bearer(&secret), "GET", "/api/v1/me", None)
            .await
            .status
            .as_u16(),
        401
    );
}

#[tokio::test]
async fn admins_create_structures_and_export_the_audit_trail() {
    let w = world().await;
    let admin = Client::signed_in(&w.db, w.admin).await;
    let bad = call(
        &w.app,
        &admin,
        "POST",
        "/admin/structures",
        Some("nom=France+services+Carhaix&kind=france_services&siret=12345678901234"),
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(bad.body.contains("n’est pas un SIRET valide"));
    let unknown_commune = call(
        &w.app,
        &admin,
        "POST",
        "/admin/structures",
        Some("nom=X&kind=ccas&commune=29999"),
    )
    .await;
    assert_eq!(unknown_commune.status.as_u16(), 422);
    assert!(unknown_commune.body.contains("id=\"commune-error\""));
    // A commune is typed by its name; a name the reference does not know
    // comes back next to the field, with everything typed kept.
    let misspelt = call(
        &w.app,
        &admin,
        "POST",
        "/admin/structures",
        Some("nom=France+services+Carhaix&kind=france_services&siret=2129+0024+600019&commune=Karaez"),
    )
    .await;
    assert_eq!(misspelt.status.as_u16(), 422);
    for kept in [
        "value=\"France services Carhaix\"",
        "<option value=\"france_services\" selected>",
        "value=\"2129 0024 600019\"",
        "value=\"Karaez\"",
        "aria-describedby=\"commune-error\"",
        "Aucune commune ne s’appelle « Karaez »",
    ] {
        assert!(misspelt.body.contains(kept), "{kept}: {}", misspelt.body);
    }
    assert!(!misspelt.body.contains("nom-error") && !misspelt.body.contains("siret-error"));
    let ok = call(
        &w.app,
        &admin,
        "POST",
        "/admin/structures",
        Some("nom=France+services+Carhaix&kind=france_services&siret=21290024600019&commune=Carhaix-Plouguer+%28Finist%C3%A8re%29"),
    )
    .await;
    assert_eq!(ok.status.as_u16(), 303, "{}", ok.body);
    // Created with its audit line, which names who created it.
    let created =
        w.db.audit_events(Some("structure.created"), 5)
            .await
            .unwrap();
    assert_eq!(
        created[0].subject.as_deref(),
        Some("France services Carhaix")
    );
    assert_eq!(
        created[0].actor.as_deref(),
        Some("admin@hub.bzh"),
        "{created:?}"
    );
    let search = call(&w.app, &admin, "GET", "/admin/structures?q=carhaix", None).await;
    assert!(
        search.body.contains("France services Carhaix") && !search.body.contains("CCAS de Quimper")
    );
    assert!(
        search.body.contains("<td>Carhaix-Plouguer</td>"),
        "{}",
        search.body
    );
    let duplicate = call(
        &w.app,
        &admin,
        "POST",
        "/admin/structures",
        Some("nom=Autre&kind=autre&siret=21290024600019"),
    )
    .await;
    assert!(duplicate.body.contains("déjà celui de la structure"));

    let csv = call(&w.app, &admin, "GET", "/admin/journal.csv", None).await;
    assert_eq!(csv.status.as_u16(), 200);
    assert!(
        csv.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.body
            .starts_with("id,date_utc,evenement,par,jeton,structure,objet,detail,ip\n")
    );
    assert!(csv.body.contains("structure.created"));
    assert_eq!(
        w.db.audit_events(Some("audit.exported"), 5)
            .await
            .unwrap()
            .len(),
        1
    );
    let filtered = call(
        &w.app,
        &admin,
        "GET",
        "/admin/journal?action=structure.created",
        None,
    )
    .await;
    assert!(filtered.body.contains("France services Carhaix"));
    // Events named in French, the filter too; the code stays in the CSV.
    assert!(filtered.body.contains("<td>Structure créée</td>"));
    assert!(
        filtered
            .body
            .contains("<option value=\"structure.created\" selected>Structure créée</option>")
    );
    assert!(!filtered.body.contains("<td>structure.created</td>"));
    // Dated in French, Paris time, not as stored.
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(
        filtered.body.contains(&format!(" {year} à ")) && !filtered.body.contains("Z</td>"),
        "{}",
        filtered.body
    );
}

#[tokio::test]
async fn the_audit_trail_is_append_only() {
    let w = world().await;
    w.db.audit(&passerelle_store::accounts::AuditEvent {
        action: "test".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    for sql in [
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
    ] {
        let err = sqlx::query(sql).execute(w.db.pool()).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    assert_eq!(w.db.audit_events(Some("test"), 5).await.unwrap().len(), 1);
}

#[tokio::test]
async fn nul_characters_are_refused_before_the_database() {
    let w = world().await;
    let answer = call(
        &w.app,
        &Client::anonymous(),
        "POST",
        "/connexion",
        Some("email=a%00b%40exemple.fr&password=x"),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 400);
    // And the audit trail stores such text on either back-end.
    let event = passerelle_store::accounts::AuditEvent {
        action: "test".into(),
        subject: Some("a\0b".into()),
        ..Default::default()
    };
    w.db.audit(&event).await.unwrap();
    assert_eq!(
        w.db.audit_events(Some("test"), 1).await.unwrap()[0]
            .subject
            .as_deref(),
        Some("a\u{fffd}b")
    );
}

/// Issue 12, M1: a one-time link is readable in the outbox only until it
/// is delivered by SMTP, or used; then the stored body no longer holds it.
#[tokio::test]
async fn m1_links_leave_the_outbox_once_delivered_or_used() {
    use passerelle_web::mailer::{Mailer, SmtpConfig, deliver_pending};
    let w = world().await;
    let admin = Client::signed_in(&w.db, w.admin).await;
    let visitor = Client::anonymous();
    // By SMTP: a reset link leaves the outbox once delivered.
    let asked = call(
        &w.app,
        &visitor,
        "POST",
        "/mot-de-passe-oublie",
        Some("email=membre.b%40rennes.fr"),
    )
    .await;
    assert_eq!(asked.status.as_u16(), 200);
    let pending = common::outbox(&w.db, true, 10).await;
    assert_eq!(pending.len(), 1);
    let reset = link_token(&pending[0].body, "/reinitialisation/");
    let relay = common::Relay::start(&[]);
    let mailer =
        Mailer::new(&SmtpConfig::parse(&format!("smtp://127.0.0.1:{}", relay.port)).unwrap())
            .unwrap();
    assert_eq!(
        deliver_pending(
            &w.db,
            &std::sync::Arc::new(mailer),
            "http://passerelle.test"
        )
        .await
        .unwrap(),
        1
    );
    assert!(
        relay.received()[0].text.contains(&reset),
        "the person got the link"
    );
    let stored = common::outbox(&w.db, false, 10).await.remove(0);
    assert!(stored.sent_at.is_some());
    assert!(
        !stored.body.contains(&reset) && stored.body.contains("[lien retiré]"),
        "{}",
        stored.body
    );
    let outbox = call(&w.app, &admin, "GET", "/admin/courriels", None).await;
    assert!(!outbox.body.contains(&reset));
    // The link itself still works for the person who received it.
    let page = call(
        &w.app,
        &visitor,
        "GET",
        &format!("/reinitialisation/{reset}"),
        None,
    )
    .await;
    assert_eq!(page.status.as_u16(), 200);

    // Without SMTP: an invitation's link is shown until it is used.
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let invited = call(
        &w.app,
        &gestionnaire,
        "POST",
        &format!("/structures/{}/invitations", w.a),
        Some("email=nolwenn%40quimper.fr&role=membre"),
    )
    .await;
    assert_eq!(invited.status.as_u16(), 303);
    let outbox = call(&w.app, &admin, "GET", "/admin/courriels", None).await;
    let invitation = link_token(&outbox.body, "/invitation/");
    let accepted = call(
        &w.app,
        &visitor,
        "POST",
        &format!("/invitation/{invitation}"),
        Some("display_name=Nolwenn&new_password=le+phare+du+petit+minou&confirmation=le+phare+du+petit+minou"),
    )
    .await;
    assert_eq!(accepted.status.as_u16(), 303, "{}", accepted.body);
    let outbox = call(&w.app, &admin, "GET", "/admin/courriels", None).await;
    assert!(
        !outbox.body.contains(&invitation) && outbox.body.contains("[lien retiré]"),
        "{}",
        outbox.body
    );
    for m in common::outbox(&w.db, false, 10).await {
        assert!(
            !m.body.contains(&invitation) && !m.body.contains(&reset),
            "{}",
            m.body
        );
    }
}

/// Issue 12, M1: an administrator who comes to work in a structure (and
/// so may read its people's data) is told to its gestionnaires, and the
/// trail says so with its own action.
#[tokio::test]
async fn m1_an_admin_joining_a_structure_is_told_to_its_gestionnaires() {
    let w = world().await;
    let admin = Client::signed_in(&w.db, w.admin).await;
    // The administrator invites themself into A, and accepts.
    let invited = call(
        &w.app,
        &admin,
        "POST",
        &format!("/structures/{}/invitations", w.a),
        Some("email=admin%40hub.bzh&role=membre"),
    )
    .await;
    assert_eq!(invited.status.as_u16(), 303);
    let mail = common::outbox(&w.db, false, 1).await.remove(0);
    let token = link_token(&mail.body, "/invitation/");
    let accepted = call(
        &w.app,
        &Client::anonymous(),
        "POST",
        &format!("/invitation/{token}"),
        Some(""),
    )
    .await;
    assert_eq!(accepted.status.as_u16(), 303, "{}", accepted.body);
    let told: Vec<_> = common::outbox(&w.db, false, 10)
        .await
        .into_iter()
        .filter(|m| m.subject.contains("un administrateur a rejoint"))
        .collect();
    assert_eq!(told.len(), 1, "the one gestionnaire of A");
    assert_eq!(told[0].to_address, "gestionnaire.a@quimper.fr");
    assert!(
        told[0].subject.contains("CCAS de Quimper") && told[0].body.contains("admin@hub.bzh"),
        "{}",
        told[0].body
    );
    let trail =
        w.db.audit_events(Some("membership.admin_joined"), 5)
            .await
            .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].structure.as_deref(), Some("CCAS de Quimper"));
    assert_eq!(trail[0].actor.as_deref(), Some("admin@hub.bzh"));
    // A member joining tells nobody.
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    call(
        &w.app,
        &gestionnaire,
        "POST",
        &format!("/structures/{}/invitations", w.a),
        Some("email=membre.b%40rennes.fr&role=membre"),
    )
    .await;
    let mail = common::outbox(&w.db, false, 1).await.remove(0);
    let token = link_token(&mail.body, "/invitation/");
    call(
        &w.app,
        &Client::anonymous(),
        "POST",
        &format!("/invitation/{token}"),
        Some(""),
    )
    .await;
    assert_eq!(
        w.db.audit_events(Some("membership.admin_joined"), 5)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Issue 12, L5: using a reset link ends the person's other reset links;
/// ending their sessions is offered, ticked by default.
#[tokio::test]
async fn l5_a_reset_ends_the_other_reset_links_and_offers_to_end_sessions() {
    let w = world().await;
    let elsewhere = Client::signed_in(&w.db, w.membre_b).await;
    let visitor = Client::anonymous();
    for _ in 0..2 {
        let asked = call(
            &w.app,
            &visitor,
            "POST",
            "/mot-de-passe-oublie",
            Some("email=membre.b%40rennes.fr"),
        )
        .await;
        assert_eq!(asked.status.as_u16(), 200);
    }
    let mails = common::outbox(&w.db, false, 10).await;
    let (second, first) = (
        link_token(&mails[0].body, "/reinitialisation/"),
        link_token(&mails[1].body, "/reinitialisation/"),
    );
    assert_ne!(first, second);
    let page = call(
        &w.app,
        &visitor,
        "GET",
        &format!("/reinitialisation/{second}"),
        None,
    )
    .await;
    assert!(
        page.body
            .contains(r#"name="autres_sessions" value="fermer" checked"#),
        "{}",
        page.body
    );
    // Reset with the second link, the box unticked.
    let done = call(
        &w.app,
        &visitor,
        "POST",
        &format!("/reinitialisation/{second}"),
        Some("new_password=la+mer+est+calme+ce+soir&confirmation=la+mer+est+calme+ce+soir"),
    )
    .await;
    assert_eq!(done.status.as_u16(), 303);
    // The first link no longer works, and left the outbox.
    for method in ["GET", "POST"] {
        let again = call(
            &w.app,
            &visitor,
            method,
            &format!("/reinitialisation/{first}"),
            (method == "POST").then_some(
                "new_password=un+autre+mot+de+passe+long&confirmation=un+autre+mot+de+passe+long",
            ),
        )
        .await;
        assert_eq!(again.status.as_u16(), 404, "{method}");
    }
    assert!(
        common::outbox(&w.db, false, 10)
            .await
            .iter()
            .all(|m| !m.body.contains(&first) && !m.body.contains(&second))
    );
    assert!(
        w.db.session(elsewhere.session.as_ref().unwrap())
            .await
            .unwrap()
            .is_some(),
        "sessions kept when the box is unticked"
    );
}

/// Issue 12, audit retention: the address typed for no account and IP
/// addresses are replaced by pseudonyms after their period, old e-mails
/// leave the outbox; the trail stays append-only for everything else.
#[tokio::test]
async fn audit_addresses_are_pseudonymised_and_old_mail_deleted_after_their_period() {
    use chrono::{Duration, Months, Utc};
    use passerelle_store::accounts::{Retention, RetentionReport};
    let w = world().await;
    let from: std::net::SocketAddr = "203.0.113.7:40000".parse().unwrap();
    for email in ["inconnu%40exemple.fr", "membre.a%40quimper.fr"] {
        let tried = common::call_from(
            &w.app,
            &Client::anonymous(),
            "POST",
            "/connexion",
            Some(&format!("email={email}&password=pas+le+bon")),
            Some(from),
        )
        .await;
        assert_eq!(tried.status.as_u16(), 401);
    }
    let admin = Client::signed_in(&w.db, w.admin).await;
    let journal = || async {
        call(&w.app, &admin, "GET", "/admin/journal", None)
            .await
            .body
    };
    let page = journal().await;
    assert!(page.contains("inconnu@exemple.fr") && page.contains("203.0.113.7"));
    let now = Utc::now();
    let run = |at| w.db.apply_retention(at, Retention::default());
    assert_eq!(
        run(now + Duration::days(29)).await.unwrap(),
        RetentionReport::default()
    );
    // After 30 days, the addresses of no account go: the one typed, and
    // the world's invitation not accepted yet.
    assert_eq!(
        run(now + Duration::days(31)).await.unwrap(),
        RetentionReport {
            typed: 2,
            ..RetentionReport::default()
        }
    );
    let page = journal().await;
    assert!(!page.contains("inconnu@exemple.fr"), "{page}");
    assert!(page.contains("membre.a@quimper.fr") && page.contains("203.0.113.7"));
    // After six months, IP addresses go (one address, one pseudonym), and
    // the outbox forgets its messages.
    common::queue_written_mail(&w.db, "anne@exemple.fr", "Sujet", "Corps").await;
    let later = now.checked_add_months(Months::new(7)).unwrap();
    let report = run(later).await.unwrap();
    assert_eq!((report.addresses, report.messages), (2, 1));
    assert!(common::outbox(&w.db, false, 10).await.is_empty());
    assert!(!journal().await.contains("203.0.113.7"));
    let failures =
        w.db.audit_events(Some("sign_in.failure"), 10)
            .await
            .unwrap();
    let ips: Vec<&str> = failures.iter().filter_map(|e| e.ip.as_deref()).collect();
    assert_eq!(ips.len(), 2);
    assert!(ips[0].starts_with("pseudo:") && ips[0] == ips[1], "{ips:?}");
    assert_eq!(run(later).await.unwrap(), RetentionReport::default());
    // Nothing else of a line may change, nor a pseudonym, nor a line go.
    w.db.audit(&passerelle_store::accounts::AuditEvent {
        action: "referral.read_person".into(),
        subject: Some("referral:1".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    for sql in [
        "UPDATE audit_events SET detail = 'x'",
        "UPDATE audit_events SET subject = 'pseudo:0123456789abcdef' WHERE action = 'referral.read_person'",
        "UPDATE audit_events SET ip = 'pseudo:0123456789abcdef' WHERE ip IS NOT NULL",
        "UPDATE audit_events SET ip = '198.51.100.1' WHERE action = 'referral.read_person'",
        "DELETE FROM audit_events WHERE action = 'sign_in.failure'",
    ] {
        let err = sqlx::query(sql).execute(w.db.pool()).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

/// Issue 19 §4: a deactivated account cannot sign in, is shown to its
/// gestionnaire, who reactivates it.
#[tokio::test]
async fn a_deactivated_account_is_reactivated_by_its_gestionnaire() {
    let w = world().await;
    let member_session = Client::signed_in(&w.db, w.membre_a).await;
    // Last seen seven months ago, reminded three months ago.
    sqlx::query(
        "UPDATE people SET created_at = $1, last_sign_in_at = $1, inactivity_reminded_at = $2 \
         WHERE id = $3",
    )
    .bind(passerelle_store::time::iso_in(-7 * 31 * 86_400))
    .bind(passerelle_store::time::iso_in(-3 * 31 * 86_400))
    .bind(w.membre_a)
    .execute(w.db.pool())
    .await
    .unwrap();
    let report =
        w.db.run_account_lifecycle(
            chrono::Utc::now(),
            passerelle_store::lifecycle::Lifecycle::default(),
        )
        .await
        .unwrap();
    assert_eq!(report.deactivated, 1);
    let signed_out = call(&w.app, &member_session, "GET", "/compte", None).await;
    assert_ne!(signed_out.status.as_u16(), 200, "its sessions ended");
    let email = w.db.person(w.membre_a).await.unwrap().unwrap().email;
    let form = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        PASSWORD.replace(' ', "+")
    );
    let refused = call(
        &w.app,
        &Client::anonymous(),
        "POST",
        "/connexion",
        Some(&form),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 403, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Votre compte a été désactivé après six mois sans connexion")
    );
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let page = call(
        &w.app,
        &gestionnaire,
        "GET",
        &format!("/structures/{}", w.a),
        None,
    )
    .await;
    assert!(page.body.contains("compte désactivé") && page.body.contains("Réactiver le compte"));
    let reactivated = call(
        &w.app,
        &gestionnaire,
        "POST",
        &format!(
            "/structures/{}/membres/{}/reactivation",
            w.a, w.membre_a_membership
        ),
        Some(""),
    )
    .await;
    assert_eq!(reactivated.status.as_u16(), 303, "{}", reactivated.body);
    let signed_in = call(
        &w.app,
        &Client::anonymous(),
        "POST",
        "/connexion",
        Some(&form),
    )
    .await;
    assert_eq!(signed_in.status.as_u16(), 303, "{}", signed_in.body);
    let audit =
        w.db.audit_events(Some("person.reactivated"), 1)
            .await
            .unwrap();
    assert_eq!(audit[0].subject.as_deref(), Some(email.as_str()));
    assert!(audit[0].actor.is_some());
}

/// Issue 19 §3: each person chooses, per topic, how they are told; the
/// choice shows on their account page and changes what is queued.
#[tokio::test]
async fn a_person_chooses_their_notifications() {
    use passerelle_accounts::notification::Notification;
    let w = world().await;
    let member = Client::signed_in(&w.db, w.membre_a).await;
    let page = call(&w.app, &member, "GET", "/compte", None).await;
    assert!(
        page.body.contains(r#"id="referral_received-immediately" name="referral_received" value="immediately" checked"#)
            && page.body.contains(r#"id="referral_step-daily" name="referral_step" value="daily" checked"#),
        "sober defaults: {}",
        page.body
    );
    let incomplete = call(
        &w.app,
        &member,
        "POST",
        "/compte/notifications",
        Some("referral_received=never"),
    )
    .await;
    assert_eq!(incomplete.status.as_u16(), 422);
    assert!(incomplete.body.contains("Choisissez quand être prévenu"));
    // Every topic, grouped by part, in French; the stale places' summary
    // is itself a digest: in the daily one or never.
    for (heading, label) in [
        (
            "Réseau",
            "Un nouveau temps est annoncé dans un de mes réseaux",
        ),
        ("Enquêtes", "Une enquête de ma structure va bientôt clore"),
        (
            "Lieux",
            "Les lieux de mon territoire sans mise à jour depuis un an (coordination)",
        ),
    ] {
        assert!(
            page.body.contains(&format!(">{heading}</h3>")) && page.body.contains(label),
            "{heading}: {}",
            page.body
        );
    }
    assert!(page.body.contains(r#"id="stale_places-daily""#));
    assert!(!page.body.contains(r#"id="stale_places-immediately""#));
    let form = "referral_received=never&referral_step=immediately&referral_reminder=daily\
                &request_received=immediately&request_message=daily&request_closed=never\
                &event_registration=daily&event_reminder=immediately&network_event=never\
                &network_membership=daily&survey_closing=never&stale_places=never";
    let at_once = form.replace("stale_places=never", "stale_places=immediately");
    let refused = call(
        &w.app,
        &member,
        "POST",
        "/compte/notifications",
        Some(&at_once),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422);
    let saved = call(&w.app, &member, "POST", "/compte/notifications", Some(form)).await;
    assert_eq!(saved.status.as_u16(), 200, "{}", saved.body);
    assert!(
        saved
            .body
            .contains("Vos choix de notifications sont enregistrés.")
            && saved.body.contains(
                r#"id="referral_received-never" name="referral_received" value="never" checked"#
            )
            && saved
                .body
                .contains(r#"id="network_event-never" name="network_event" value="never" checked"#),
        "{}",
        saved.body
    );
    let email = w.db.person(w.membre_a).await.unwrap().unwrap().email;
    let received = Notification::ReferralReceived {
        referral: 1,
        service: "Accès aux droits".into(),
    };
    assert_eq!(w.db.notify(&email, &received).await.unwrap(), None);
    let gestionnaire = w.db.person(w.gestionnaire_a).await.unwrap().unwrap().email;
    assert!(
        w.db.notify(&gestionnaire, &received)
            .await
            .unwrap()
            .is_some()
    );
}

/// Issue 14 §2 on the account pages: a refused form comes back with each
/// problem next to its field (DSFR error state, `aria-describedby`) and
/// what was typed kept (never a password).
#[tokio::test]
async fn account_forms_say_each_problem_next_to_its_field() {
    let w = world().await;
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let invite = |form: &'static str| {
        let (app, g, a) = (&w.app, &gestionnaire, w.a);
        async move {
            call(
                app,
                g,
                "POST",
                &format!("/structures/{a}/invitations"),
                Some(form),
            )
            .await
        }
    };
    let typo = invite("email=nolwenn.quimper.fr&role=membre").await;
    assert_eq!(typo.status.as_u16(), 422, "{}", typo.body);
    for said in [
        "<p id=\"email-error\" class=\"fr-error-text\">« nolwenn.quimper.fr » n’est pas une adresse électronique valide",
        "aria-describedby=\"email-error\"",
        "value=\"nolwenn.quimper.fr\"",
        "L’invitation n’est pas envoyée : corrigez les champs signalés ci-dessous.",
    ] {
        assert!(typo.body.contains(said), "{said}: {}", typo.body);
    }
    assert!(
        common::outbox(&w.db, false, 5).await.is_empty(),
        "nothing sent"
    );

    // A coordinator invited by an administrator needs a territory.
    let admin = Client::signed_in(&w.db, w.admin).await;
    let coordinator = call(
        &w.app,
        &admin,
        "POST",
        &format!("/structures/{}/invitations", w.a),
        Some("email=coord%40quimper.fr&role=coordinateur&territoire="),
    )
    .await;
    assert_eq!(coordinator.status.as_u16(), 422, "{}", coordinator.body);
    assert!(coordinator.body.contains("id=\"territoire-error\""));
    assert!(coordinator.body.contains("value=\"coord@quimper.fr\""));
    assert!(
        coordinator
            .body
            .contains("<option value=\"coordinateur\" selected>")
    );

    // My account: a wrong current password is said on its field.
    let membre = Client::signed_in(&w.db, w.membre_b).await;
    let wrong = call(
        &w.app,
        &membre,
        "POST",
        "/compte/mot-de-passe",
        Some("current_password=faux&new_password=un+nouveau+mot+de+passe&confirmation=un+nouveau+mot+de+passe"),
    )
    .await;
    assert_eq!(wrong.status.as_u16(), 422);
    assert!(wrong.body.contains("<p id=\"current_password-error\" class=\"fr-error-text\">Le mot de passe actuel est incorrect.</p>"));
    assert!(
        !wrong.body.contains("value=\"faux\""),
        "a password is never sent back"
    );
    let form = format!(
        "current_password={}&new_password=un+nouveau+mot+de+passe&confirmation=un+autre",
        PASSWORD.replace(' ', "+")
    );
    let mismatch = call(&w.app, &membre, "POST", "/compte/mot-de-passe", Some(&form)).await;
    assert_eq!(mismatch.status.as_u16(), 422);
    assert!(mismatch.body.contains("id=\"confirmation-error\""));
    assert!(!mismatch.body.contains("id=\"new_password-error\""));

    // An invitation accepted without a name: on the name's field, the
    // weak password on its own.
    let mail_token = w.invitation_a.clone();
    let visitor = Client::anonymous();
    let refused = call(
        &w.app,
        &visitor,
        "POST",
        &format!("/invitation/{mail_token}"),
        Some("display_name=&new_password=azerty&confirmation=azerty"),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
    assert!(refused.body.contains("id=\"display_name-error\""));
    assert!(
        refused
            .body
            .contains("<p id=\"new_password-error\" class=\"fr-error-text\">")
    );
}

/// A coordinator's account page names their territory ("Finistère"), never
/// its code.
#[tokio::test]
async fn my_account_names_my_territories() {
    let w = world().await;
    let coordinator = Client::signed_in(&w.db, w.coordinator_29).await;
    let page = call(&w.app, &coordinator, "GET", "/compte", None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.body.contains("Département Finistère"), "{}", page.body);
    assert!(!page.body.contains("Département 29"));
}
