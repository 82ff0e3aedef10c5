//! Territoires storage, on whichever back-end the environment selects (see
//! `passerelle_store::testing`).

use passerelle_store::testing::{bretagne_database, fresh_database};
use passerelle_store::{Database, StoreError};
use passerelle_territory::parse_reference_file;

async fn import(
    db: &Database,
    name: &str,
    text: &str,
) -> Result<passerelle_store::ImportReport, StoreError> {
    let file = parse_reference_file(name, text.as_bytes())?;
    db.import_reference(name, &file).await
}

const FRANCE_SAMPLE: &str = include_str!("fixtures/france_sample.csv");

#[tokio::test]
async fn bundled_reference_fills_an_empty_database() {
    let db = fresh_database().await;
    assert!(db.territories_empty().await.unwrap());
    let reports = db.load_bundled_reference().await.unwrap();
    let communes = reports.iter().find(|r| r.kind == "communes").unwrap();
    assert_eq!((communes.rows, communes.added), (1202, 1202));
    assert!(!db.territories_empty().await.unwrap());

    let bretagne = db.region("53").await.unwrap().unwrap();
    assert_eq!(bretagne.nom, "Bretagne");
    assert_eq!(bretagne.communes, 1202);
    let by_dep: Vec<(String, i64)> = bretagne
        .departements
        .iter()
        .map(|d| (d.code.clone(), d.communes))
        .collect();
    assert_eq!(
        by_dep,
        vec![
            ("22".into(), 344),
            ("29".into(), 277),
            ("35".into(), 332),
            ("56".into(), 249)
        ]
    );
    // Totals add up at every level.
    assert_eq!(
        bretagne.population,
        bretagne
            .departements
            .iter()
            .map(|d| d.population)
            .sum::<i64>()
    );
    assert!(bretagne.population > 3_000_000, "{}", bretagne.population);
    assert_eq!(
        db.regions().await.unwrap().len(),
        1,
        "only Bretagne has communes"
    );
}

#[tokio::test]
async fn commune_lookup_gives_parents_and_postcodes() {
    let db = bretagne_database().await;
    let quimper = db.commune("29232").await.unwrap().expect("Quimper");
    assert_eq!(quimper.nom, "Quimper");
    assert_eq!(quimper.postcodes, vec!["29000"]);
    assert_eq!(quimper.departement.nom, "Finistère");
    assert_eq!(quimper.region.nom, "Bretagne");
    let epci = quimper.epci.expect("Quimper is in an EPCI");
    assert_eq!(epci.siren, "200068120");
    assert_eq!(epci.nom.as_deref(), Some("CA Quimper Bretagne Occidentale"));
    assert!(quimper.population.unwrap() > 60_000);
    assert!(db.commune("29999").await.unwrap().is_none());
    let brehat = db.commune("22016").await.unwrap().unwrap();
    assert!(brehat.epci.is_none());
}

#[tokio::test]
async fn name_search_is_accent_and_case_insensitive_prefix_search() {
    let db = bretagne_database().await;
    let names =
        |v: Vec<passerelle_territory::Commune>| v.into_iter().map(|c| c.nom).collect::<Vec<_>>();

    let plou = names(db.search_communes("plou", 50).await.unwrap());
    assert!(plou.contains(&"Plouzané".to_string()), "{plou:?}");
    assert_eq!(plou.len(), 50, "many Plou- communes, capped by the limit");
    let ploe = names(db.search_communes("PLOË", 50).await.unwrap());
    assert!(ploe.contains(&"Ploërmel".to_string()), "{ploe:?}");

    let quimper = names(db.search_communes("quimper", 10).await.unwrap());
    assert_eq!(quimper[0], "Quimper", "exact name first: {quimper:?}");
    assert!(quimper.contains(&"Quimperlé".to_string()), "{quimper:?}");

    // A later word of the name, and the "St" abbreviation.
    assert!(
        names(db.search_communes("malo", 10).await.unwrap()).contains(&"Saint-Malo".to_string())
    );
    assert_eq!(
        names(db.search_communes("st malo", 1).await.unwrap()),
        vec!["Saint-Malo"]
    );
    // Whole names rank before a match on a later word.
    let brest = names(db.search_communes("brest", 5).await.unwrap());
    assert_eq!(brest[0], "Brest");

    assert!(db.search_communes("zzzz", 10).await.unwrap().is_empty());
    assert!(db.search_communes("  '-  ", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn search_by_postcode_and_by_code() {
    let db = bretagne_database().await;
    let by_postcode = db.search_communes("29000", 10).await.unwrap();
    assert_eq!(
        by_postcode
            .iter()
            .map(|c| c.code.as_str())
            .collect::<Vec<_>>(),
        vec!["29232"]
    );
    let shared = db.communes_by_postcode("29280").await.unwrap();
    assert!(
        shared.len() >= 2,
        "a postcode shared by several communes: {shared:?}"
    );
    let by_code = db.search_communes("35238", 10).await.unwrap();
    assert_eq!(by_code[0].nom, "Rennes");
}

#[tokio::test]
async fn epci_members_and_partial_membership() {
    let db = bretagne_database().await;
    let qbo = db.epci("200068120").await.unwrap().unwrap();
    assert_eq!(
        qbo.nature,
        Some(passerelle_territory::EpciKind::CommunauteDAgglomeration)
    );
    assert_eq!(qbo.communes.len() as i64, qbo.communes_declared.unwrap());
    assert!(qbo.communes.iter().any(|c| c.nom == "Quimper"));
    assert_eq!(
        qbo.population,
        qbo.communes
            .iter()
            .filter_map(|c| c.population)
            .sum::<i64>()
    );

    // Redon Agglomération straddles Bretagne and Pays de la Loire.
    let redon = db.epci("243500741").await.unwrap().unwrap();
    assert!((redon.communes.len() as i64) < redon.communes_declared.unwrap());
    assert_eq!(
        redon
            .departements
            .iter()
            .map(|d| d.code.as_str())
            .collect::<Vec<_>>(),
        vec!["35", "56"]
    );

    let finistere = db.departement("29").await.unwrap().unwrap();
    assert_eq!(finistere.region.code, "53");
    let in_epci: i64 = finistere.epcis.iter().map(|e| e.communes).sum();
    assert_eq!(
        in_epci + finistere.communes_without_epci.len() as i64,
        finistere.communes
    );
    assert_eq!(
        finistere.communes_without_epci.len(),
        2,
        "Sein and Ouessant"
    );
    assert!(db.epci("123456789").await.unwrap().is_none());
    assert!(db.departement("99").await.unwrap().is_none());
}

#[tokio::test]
async fn france_layout_import_is_idempotent_and_keeps_what_it_lacks() {
    let db = bretagne_database().await;
    let first = import(&db, "france_sample.csv", FRANCE_SAMPLE)
        .await
        .unwrap();
    assert_eq!((first.rows, first.added, first.updated), (10, 7, 3));
    let again = import(&db, "france_sample.csv", FRANCE_SAMPLE)
        .await
        .unwrap();
    assert_eq!(
        (again.added, again.updated),
        (0, 10),
        "re-import updates, never duplicates"
    );

    let ajaccio = db.commune("2A004").await.unwrap().unwrap();
    assert_eq!(ajaccio.region.nom, "Corse");
    assert_eq!(
        ajaccio.epci.as_ref().unwrap().nom,
        None,
        "the France file has no EPCI names"
    );
    assert_eq!(
        db.commune("97411").await.unwrap().unwrap().departement.nom,
        "La Réunion"
    );
    // The France file has no postcodes: Quimper keeps the bundled ones, and its
    // EPCI keeps its name.
    let quimper = db.commune("29232").await.unwrap().unwrap();
    assert_eq!(quimper.postcodes, vec!["29000"]);
    assert_eq!(quimper.population, Some(64385));
    assert_eq!(
        quimper.epci.unwrap().nom.as_deref(),
        Some("CA Quimper Bretagne Occidentale")
    );
    assert_eq!(
        db.search_communes("ajac", 5).await.unwrap()[0].code,
        "2A004"
    );
    // Redon Agglomération now has Loire-Atlantique members too.
    let redon = db.epci("243500741").await.unwrap().unwrap();
    assert!(redon.departements.iter().any(|d| d.code == "44"));
}

#[tokio::test]
async fn renaming_a_commune_reindexes_it() {
    let db = bretagne_database().await;
    import(
        &db,
        "rename.csv",
        "code_insee,nom,departement,population\n29232,Kemper,29,70000\n",
    )
    .await
    .unwrap();
    assert_eq!(
        db.commune("29232").await.unwrap().unwrap().population,
        Some(70000),
        "fields refreshed"
    );
    assert_eq!(
        db.search_communes("kemper", 5).await.unwrap()[0].code,
        "29232"
    );
    assert!(
        db.search_communes("quimper", 5)
            .await
            .unwrap()
            .iter()
            .all(|c| c.code != "29232")
    );
    // No EPCI column in that file: membership is untouched.
    assert!(db.commune("29232").await.unwrap().unwrap().epci.is_some());
}

#[tokio::test]
async fn a_failing_import_stores_nothing() {
    // The départements are not loaded: the file is refused as a whole, with
    // the line and field at fault, and the database stays empty.
    let empty = fresh_database().await;
    let err = import(
        &empty,
        "bad.csv",
        "code,nom,departement\n44109,Nantes,44\n2A004,Ajaccio,2A\n",
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad.csv, ligne 2, champ « departement » : département 44 : absent du référentiel ; importez d’abord les départements"
    );
    assert!(empty.territories_empty().await.unwrap());

    // A malformed line anywhere refuses the file before anything is written.
    let db = bretagne_database().await;
    let err = import(
        &db,
        "bad.csv",
        "code,nom,departement,population\n44109,Nantes,44,327734\n29232,Quimper,29,-3\n",
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("bad.csv, ligne 3, champ « population »"),
        "{err}"
    );
    assert!(
        db.commune("44109").await.unwrap().is_none(),
        "line 2 was not stored"
    );
    assert_eq!(
        db.commune("29232").await.unwrap().unwrap().population,
        Some(64385),
        "unchanged"
    );
}

#[tokio::test]
async fn pickers_offer_the_territories_a_scope_covers() {
    use passerelle_accounts::ScopeLevel;
    use passerelle_accounts::policy::{Scope, TerritorialScope};
    let db = bretagne_database().await;
    let everywhere = db
        .territories_within(&TerritorialScope::Everywhere)
        .await
        .unwrap();
    let count = |level| everywhere.iter().filter(|t| t.level == level).count();
    assert_eq!(count(ScopeLevel::Departement), 4);
    assert_eq!(count(ScopeLevel::Region), 1);
    assert!(count(ScopeLevel::Epci) >= 59, "{}", count(ScopeLevel::Epci));
    let region = db
        .territories_within(&TerritorialScope::Within(vec![Scope {
            level: ScopeLevel::Region,
            code: "53".into(),
        }]))
        .await
        .unwrap();
    assert!(
        region
            .iter()
            .any(|t| t.level == ScopeLevel::Departement && t.name == "Finistère")
    );
    assert!(
        region
            .iter()
            .any(|t| t.level == ScopeLevel::Epci && t.name == "CA Quimper Bretagne Occidentale")
    );
    let finistere = db
        .territories_within(&TerritorialScope::Within(vec![Scope {
            level: ScopeLevel::Departement,
            code: "29".into(),
        }]))
        .await
        .unwrap();
    assert!(finistere.iter().all(|t| t.level != ScopeLevel::Region));
    assert_eq!(
        finistere
            .iter()
            .filter(|t| t.level == ScopeLevel::Departement)
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["Finistère"]
    );
    assert!(
        finistere
            .iter()
            .all(|t| t.name != "CA Redon Agglomération" && t.name != "Rennes Métropole")
    );
    assert!(
        db.territories_within(&TerritorialScope::Within(vec![]))
            .await
            .unwrap()
            .is_empty()
    );
}
