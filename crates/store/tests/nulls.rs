//! Nullable numbers bound through sqlx's `Any` driver keep working once a
//! NULL went first. sqlx 0.9 gives a NULL `f64` the PostgreSQL type `real`
//! (its NULL mapping swaps `Real` and `Double`); a cached prepared statement
//! then expects `real` at that place, and a later `f64` value failed with
//! 22P03 ("incorrect binary data format"). Every path binding an
//! `Option<f64>` is run here with NULL first, then a value, on the same
//! statement.

use passerelle_store::Database;
use passerelle_store::testing::fresh_database_url;
use passerelle_territory::parse_reference_file;

/// One connection, so that each statement is the cached one of the call
/// before it (with a pool, the next call may land on another connection
/// and hide the failure).
async fn one_connection() -> Database {
    Database::open_with_connections(&fresh_database_url().await, 1)
        .await
        .unwrap()
}

#[tokio::test]
async fn commune_coordinates_can_be_missing_then_given() {
    let db = one_connection().await;
    let regions = "code,nom\n53,Bretagne\n";
    let departements = "code,nom,region\n29,Finistère,53\n";
    for (name, text) in [("regions.csv", regions), ("departements.csv", departements)] {
        let file = parse_reference_file(name, text.as_bytes()).unwrap();
        db.import_reference(name, &file).await.unwrap();
    }
    let header = "code,nom,departement,population,lat,lng\n";
    for (i, row) in [
        "29232,Quimper,29,63000,,",
        "29232,Quimper,29,63000,47.996,-4.102",
        "29019,Brest,29,140000,,",
        "29019,Brest,29,140000,48.39,-4.486",
    ]
    .iter()
    .enumerate()
    {
        let name = format!("communes-{i}.csv");
        let file = parse_reference_file(&name, format!("{header}{row}\n").as_bytes()).unwrap();
        db.import_reference(&name, &file)
            .await
            .unwrap_or_else(|e| panic!("{row}: {e}"));
    }
    let brest = db.commune("29019").await.unwrap().unwrap();
    assert_eq!(
        (brest.latitude, brest.longitude),
        (Some(48.39), Some(-4.486))
    );
}

#[tokio::test]
async fn place_coordinates_can_be_missing_then_given() {
    let db = one_connection().await;
    db.load_bundled_reference().await.unwrap();
    let place = |id: &str, lat: Option<f64>| passerelle_places::Place {
        id: id.into(),
        pivot: "00000000000000".into(),
        nom: format!("Lieu {id}"),
        commune: "Quimper".into(),
        code_postal: "29000".into(),
        code_insee: Some("29232".into()),
        adresse: "1 rue du Port".into(),
        latitude: lat,
        longitude: lat.map(|_| -4.1),
        date_maj: "2026-11-01".into(),
        source: Some("essai".into()),
        services: vec!["Aide aux démarches administratives".into()],
        ..Default::default()
    };
    for (id, lat) in [
        ("a", None),
        ("b", Some(47.99)),
        ("c", None),
        ("d", Some(48.0)),
    ] {
        db.import_places(&[place(id, lat)], "x", "test", None)
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    let stored = db.places().await.unwrap();
    let d = stored.iter().find(|p| p.place.id == "d").unwrap();
    assert_eq!(d.place.latitude, Some(48.0));
    // An edit that removes the coordinates, then one that gives them back.
    let id = d.id;
    let edit = || passerelle_store::write::Acting::system();
    db.update_place(id, &place("d", None), &edit())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    db.update_place(id, &place("d", Some(48.1)), &edit())
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
}
