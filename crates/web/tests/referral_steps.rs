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
