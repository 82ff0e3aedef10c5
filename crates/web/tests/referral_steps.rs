//! A referral's page offers the next possible steps only, and asks for a
//! confirmation before refusing, cancelling or erasing (issue 14 §6).

mod common;

use common::{Client, call, world};

#[tokio::test]
async fn a_sent_referral_offers_receipt_and_asks_before_refusing_or_erasing() {
    let w = world().await;
    let me = Client::signed_in(&w.db, w.membre_a).await;
    let path = format!("/orientations/{}", w.referral_a);
    let page = call(&w.app, &me, "GET", &path, None).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    assert!(page.body.contains("Accuser réception"));
    for later in [
        "Fixer le rendez-vous",
        "Personne accompagnée",
        "Personne non venue",
        "Confirmer le refus",
        "Confirmer l’annulation",
        "/effacement\"",
    ] {
        assert!(!page.body.contains(later), "{later}");
    }
    assert!(page.body.contains("?confirmer=refus"));
    assert!(page.body.contains("?confirmer=effacement"));

    let refusing = call(&w.app, &me, "GET", &format!("{path}?confirmer=refus"), None).await;
    assert!(refusing.body.contains("Confirmer le refus"));
    assert!(refusing.body.contains("Ne pas refuser"));
    let erasing = call(
        &w.app,
        &me,
        "GET",
        &format!("{path}?confirmer=effacement"),
        None,
    )
    .await;
    assert!(
        erasing
            .body
            .contains(&format!("action=\"{path}/effacement\""))
    );
    assert!(erasing.body.contains("Effacer définitivement"));

    // Once received: an appointment or an outcome, not a second receipt;
    // "non venue" only once an appointment is fixed.
    let version = w.db.referral(w.referral_a).await.unwrap().unwrap().version;
    let opened = call(
        &w.app,
        &me,
        "POST",
        &format!("{path}/etape"),
        Some(&format!(
            "_csrf={}&version={version}&etape=ouverture",
            me.csrf
        )),
    )
    .await;
    assert_eq!(opened.status.as_u16(), 303, "{}", opened.body);
    let page = call(&w.app, &me, "GET", &path, None).await;
    assert!(!page.body.contains("Accuser réception"));
    assert!(page.body.contains("Fixer le rendez-vous"));
    assert!(page.body.contains("Personne accompagnée"));
    assert!(!page.body.contains("Personne non venue"));
}

#[tokio::test]
async fn a_confirmation_the_viewer_cannot_give_is_not_offered() {
    let w = world().await;
    // A member of another structure does not even learn the referral exists.
    let other = Client::signed_in(&w.db, w.membre_b).await;
    let path = format!("/orientations/{}?confirmer=effacement", w.referral_a);
    let page = call(&w.app, &other, "GET", &path, None).await;
    assert_eq!(page.status.as_u16(), 404);
    // An administrator outside both structures reads the follow-up only.
    let admin = Client::signed_in(&w.db, w.admin).await;
    let page = call(&w.app, &admin, "GET", &path, None).await;
    assert!(!page.body.contains("Effacer définitivement"));
    assert!(!page.body.contains("Accuser réception"));
}

/// Refusing waits for its confirmation on the server too: a refusal sent
/// without `confirmer=oui` only shows the confirmation, and changes nothing.
#[tokio::test]
async fn a_refusal_without_its_confirmation_changes_nothing() {
    let w = world().await;
    let me = Client::signed_in(&w.db, w.membre_a).await;
    let path = format!("/orientations/{}", w.referral_a);
    let motif = "Capacit%C3%A9+d%E2%80%99accueil+atteinte";
    let body = |extra: &str| {
        format!(
            "_csrf={}&version=1&etape=refus&motif={motif}{extra}",
            me.csrf
        )
    };
    let sent = call(
        &w.app,
        &me,
        "POST",
        &format!("{path}/etape"),
        Some(&body("")),
    )
    .await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
    assert_eq!(
        sent.location(),
        format!("{path}?confirmer=refus#confirmation")
    );
    let r = w.db.referral(w.referral_a).await.unwrap().unwrap();
    assert_eq!((r.status.code(), r.version), ("envoyee", 1));
    // The confirmation's own button sends it.
    let page = call(&w.app, &me, "GET", &format!("{path}?confirmer=refus"), None).await;
    assert!(page.body.contains("name=\"confirmer\" value=\"oui\""));
    let confirmed = call(
        &w.app,
        &me,
        "POST",
        &format!("{path}/etape"),
        Some(&body("&confirmer=oui")),
    )
    .await;
    assert_eq!(
        confirmed.location(),
        format!("{path}?info=suivi-enregistre")
    );
    let r = w.db.referral(w.referral_a).await.unwrap().unwrap();
    assert_eq!(r.status.code(), "refusee");
    let page = call(&w.app, &me, "GET", confirmed.location(), None).await;
    assert!(page.body.contains("Suivi enregistré."));
}

/// A wrong appointment date is said next to the date field, with the DSFR
/// error state, and what was typed is kept.
#[tokio::test]
async fn a_wrong_appointment_date_is_said_next_to_its_field() {
    let w = world().await;
    let me = Client::signed_in(&w.db, w.membre_a).await;
    let path = format!("/orientations/{}", w.referral_a);
    let step = |body: String| {
        let (app, me, uri) = (w.app.clone(), me.clone(), format!("{path}/etape"));
        async move { call(&app, &me, "POST", &uri, Some(&body)).await }
    };
    let opened = step(format!("_csrf={}&version=1&etape=ouverture", me.csrf)).await;
    assert_eq!(opened.status.as_u16(), 303);
    let past = step(format!(
        "_csrf={}&version=2&etape=rendez_vous&date=2020-01-06",
        me.csrf
    ))
    .await;
    assert_eq!(past.status.as_u16(), 422);
    for expected in [
        "fr-input-group--error",
        "aria-describedby=\"date-error\"",
        "<p id=\"date-error\" class=\"fr-error-text\">le rendez-vous ne peut pas être passé</p>",
        "value=\"2020-01-06\"",
    ] {
        assert!(past.body.contains(expected), "{expected}: {}", past.body);
    }
    let r = w.db.referral(w.referral_a).await.unwrap().unwrap();
    assert_eq!(r.appointment_date, None);
}

/// A new referral sent back keeps what was typed, each problem next to
/// its field.
#[tokio::test]
async fn a_referral_sent_back_keeps_what_was_typed() {
    let w = world().await;
    let me = Client::signed_in(&w.db, w.membre_b).await;
    let body = format!(
        "_csrf={}&lieu={}&service=Aide+aux+d%C3%A9marches+administratives&situation=Renouveler\
         &urgence=normale&prenom=Maryvonne&canal=telephone&contact=06+11&consentement_mode=oral",
        me.csrf, w.place_a
    );
    let sent = call(&w.app, &me, "POST", "/orientations", Some(&body)).await;
    assert_eq!(sent.status.as_u16(), 422, "{}", sent.body);
    for expected in [
        "value=\"Maryvonne\"",
        "value=\"06 11\"",
        ">Renouveler</textarea>",
        "aria-describedby=\"contact-error\"",
        "<p id=\"contact-error\" class=\"fr-error-text\">un numéro de téléphone",
        "aria-describedby=\"consentement-error\"",
    ] {
        assert!(sent.body.contains(expected), "{expected}");
    }
    assert!(!sent.body.contains("aria-describedby=\"prenom-error\""));
}

/// Issue 14 §5: an appointment gets a time, said in French on the
/// referral's page and in its follow-up; a time that is not one is said
/// next to its field, the day typed kept.
#[tokio::test]
async fn an_appointment_has_a_time_said_in_french() {
    let w = world().await;
    let me = Client::signed_in(&w.db, w.membre_a).await;
    let path = format!("/orientations/{}", w.referral_a);
    let step = |body: String| {
        let (app, me, uri) = (w.app.clone(), me.clone(), format!("{path}/etape"));
        async move { call(&app, &me, "POST", &uri, Some(&body)).await }
    };
    let opened = step(format!("_csrf={}&version=1&etape=ouverture", me.csrf)).await;
    assert_eq!(opened.status.as_u16(), 303);
    let day = (chrono::Utc::now() + chrono::Duration::days(10)).date_naive();
    let wrong = step(format!(
        "_csrf={}&version=2&etape=rendez_vous&date={day}&heure=25%3A00",
        me.csrf
    ))
    .await;
    assert_eq!(wrong.status.as_u16(), 422);
    for expected in [
        "<p id=\"heure-error\" class=\"fr-error-text\">une heure comme 14:30, ou rien</p>",
        &format!("value=\"{day}\""),
        "value=\"25:00\"",
    ] {
        assert!(wrong.body.contains(expected), "{expected}: {}", wrong.body);
    }
    let fixed = step(format!(
        "_csrf={}&version=2&etape=rendez_vous&date={day}&heure=14%3A30",
        me.csrf
    ))
    .await;
    assert_eq!(fixed.status.as_u16(), 303, "{}", fixed.body);
    let r = w.db.referral(w.referral_a).await.unwrap().unwrap();
    assert_eq!(
        r.appointment_time,
        chrono::NaiveTime::from_hms_opt(14, 30, 0)
    );
    let page = call(&w.app, &me, "GET", &path, None).await;
    let said = format!("{} à 14 h 30", passerelle_web::fr::date(day));
    assert!(
        page.body.contains(&format!("<dd>{said}</dd>")),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("Rendez-vous le {said}")));
    // Changed to another day without a time: the old time does not stay.
    let moved = step(format!(
        "_csrf={}&version=3&etape=rendez_vous&date={day}&heure=",
        me.csrf
    ))
    .await;
    assert_eq!(moved.status.as_u16(), 303, "{}", moved.body);
    let r = w.db.referral(w.referral_a).await.unwrap().unwrap();
    assert_eq!(r.appointment_time, None);
}
