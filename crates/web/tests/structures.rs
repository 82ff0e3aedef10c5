//! A structure's page after each action (issue 14 §6): an alert says what
//! was done, pending invitations are listed for those who manage members,
//! the structure sees the places it runs.

mod common;

use common::{Client, call, world};

#[tokio::test]
async fn a_created_structure_says_so_on_its_page() {
    let w = world().await;
    let admin = Client::signed_in(&w.db, w.admin).await;
    let created = call(
        &w.app,
        &admin,
        "POST",
        "/admin/structures",
        Some("nom=France+services+Carhaix&kind=france_services&commune=29024"),
    )
    .await;
    assert_eq!(created.status.as_u16(), 303, "{}", created.body);
    let to = created.location().to_string();
    assert!(to.ends_with("?info=structure-creee"), "{to}");
    let page = call(&w.app, &admin, "GET", &to, None).await;
    assert!(page.body.contains("fr-alert--success"), "{}", page.body);
    assert!(page.body.contains("Structure créée."));
    // A made-up code says nothing.
    let other = call(
        &w.app,
        &admin,
        "GET",
        &to.replace("structure-creee", "inconnu"),
        None,
    )
    .await;
    assert!(!other.body.contains("fr-alert--success"));
}

#[tokio::test]
async fn those_who_manage_members_see_pending_invitations_and_everyone_the_places_run() {
    let w = world().await;
    let place = w.db.place(w.place_a).await.unwrap().unwrap().place.nom;
    let path = format!("/structures/{}", w.a);
    let manager = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let page = call(&w.app, &manager, "GET", &path, None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.body.contains("Invitations en attente"));
    assert!(
        page.body.contains("<td>nouvelle@quimper.fr</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("href=\"/lieux/{}\"", w.place_a))
    );
    assert!(page.body.contains(&place));
    let member = Client::signed_in(&w.db, w.membre_a).await;
    let page = call(&w.app, &member, "GET", &path, None).await;
    assert!(!page.body.contains("nouvelle@quimper.fr"));
    assert!(
        page.body
            .contains(&format!("href=\"/lieux/{}\"", w.place_a))
    );
}

#[tokio::test]
async fn an_accepted_invitation_lands_on_the_home_with_a_welcome() {
    let w = world().await;
    let accepted = call(
        &w.app,
        &Client::anonymous(),
        "POST",
        &format!("/invitation/{}", w.invitation_a),
        Some("display_name=Nolwenn&new_password=le+phare+du+petit+minou&confirmation=le+phare+du+petit+minou"),
    )
    .await;
    assert_eq!(accepted.status.as_u16(), 303, "{}", accepted.body);
    assert_eq!(accepted.location(), "/?info=invitation-acceptee");
    let me = Client {
        session: accepted.new_session(),
        ..Client::anonymous()
    };
    let home = call(&w.app, &me, "GET", accepted.location(), None).await;
    assert!(home.body.contains("Invitation acceptée"), "{}", home.body);
    // The invitation is no longer pending.
    let manager = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let page = call(
        &w.app,
        &manager,
        "GET",
        &format!("/structures/{}", w.a),
        None,
    )
    .await;
    assert!(
        page.body.contains("Aucune invitation en attente."),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_coordinator_is_invited_for_a_territory_picked_by_name() {
    let w = world().await;
    let admin = Client::signed_in(&w.db, w.admin).await;
    let path = format!("/structures/{}", w.b);
    let page = call(&w.app, &admin, "GET", &path, None).await;
    assert!(
        page.body.contains(
            "<option value=\"departement:29\">Finistère (Département, Bretagne)</option>"
        ),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Code du territoire"));
    // Not chosen: refused, said in French.
    let form = |territory: &str| {
        format!(
            "_csrf={}&email=coord.finistere%40hub.bzh&role=coordinateur&territoire={territory}",
            admin.csrf
        )
    };
    let refused = call(
        &w.app,
        &admin,
        "POST",
        &format!("{path}/invitations"),
        Some(&form("")),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(refused.body.contains("choisissez-le dans la liste"));
    let sent = call(
        &w.app,
        &admin,
        "POST",
        &format!("{path}/invitations"),
        Some(&form("departement%3A29")),
    )
    .await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
    // A gestionnaire cannot invite coordinators: no territory picker.
    let manager = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let page = call(
        &w.app,
        &manager,
        "GET",
        &format!("/structures/{}", w.a),
        None,
    )
    .await;
    assert!(!page.body.contains("Territoire d’un coordinateur"));
}

#[tokio::test]
async fn a_commune_named_with_five_letters_is_a_name_not_a_code() {
    let w = world().await;
    let admin = Client::signed_in(&w.db, w.admin).await;
    let created = call(
        &w.app,
        &admin,
        "POST",
        "/admin/structures",
        Some("nom=CCAS+de+Brest&kind=ccas&commune=Brest"),
    )
    .await;
    assert_eq!(created.status.as_u16(), 303, "{}", created.body);
    let page = call(&w.app, &admin, "GET", created.location(), None).await;
    assert!(page.body.contains("Brest"), "{}", page.body);
}
