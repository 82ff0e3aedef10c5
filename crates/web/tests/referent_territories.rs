//! Referents' territories are picked and shown by name, never typed as a
//! code (issue 14 §1).

mod common;

use common::{Client, call, world};

#[tokio::test]
async fn the_directory_names_territories_and_offers_those_of_the_viewer() {
    let w = world().await;
    let coordinator = Client::signed_in(&w.db, w.coordinator_29).await;
    let page = call(&w.app, &coordinator, "GET", "/referents", None).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    // A's entry is for the commune of Quimper.
    assert!(
        page.body.contains("<td>Quimper (commune)</td>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(">com:29232<"));
    // The Finistère's coordinator picks within her département, by name.
    assert!(
        page.body
            .contains("<option value=\"dep:29\">Finistère (département)</option>")
    );
    assert!(!page.body.contains("value=\"dep:35\""));
    assert!(!page.body.contains("dep:29, epci:"));

    // A member of A proposes for any territory, and her structure's commune.
    let member = Client::signed_in(&w.db, w.membre_a).await;
    let page = call(&w.app, &member, "GET", "/referents", None).await;
    assert!(page.body.contains("value=\"dep:35\""));
    assert!(
        page.body
            .contains("<option value=\"com:29232\">Quimper (commune)</option>")
    );
}
