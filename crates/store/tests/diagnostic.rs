//! Diagnostic storage, on the back-end the environment selects.

use passerelle_diagnostic::geo::{Geography, Territory};
use passerelle_diagnostic::import::{Options, parse};
use passerelle_store::testing::bretagne_database;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../diagnostic/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn the_geography_read_back_is_the_bundled_reference() {
    let db = bretagne_database().await;
    let stored = db.diagnostic_geography().await.unwrap();
    let bundled = Geography::bundled().unwrap();
    assert_eq!(stored.communes.len(), bundled.communes.len());
    for c in &bundled.communes {
        assert_eq!(stored.commune(&c.code), Some(c), "{}", c.code);
    }
    assert_eq!(
        stored.label(&Territory::Epci("243500139".into())),
        "Rennes Métropole"
    );
    assert_eq!(stored.label(&Territory::Region("53".into())), "Bretagne");
}

#[tokio::test]
async fn imported_indicators_are_stored_replaced_and_cited() {
    let db = bretagne_database().await;
    let geo = db.diagnostic_geography().await.unwrap();
    let before = db.diagnostic_indicators().await.unwrap();
    assert!(!before.any(|n| n.pop_65_plus));
    assert_eq!(before.get("22001").unwrap().census_population, Some(596.0));
    for name in [
        "base-cc-evol-struct-pop-2021.csv",
        "RSACom2021.csv",
        "AAHCom2021.csv",
    ] {
        let file = parse(name, &fixture(name), &geo, &Options::default()).unwrap();
        let written = db.import_indicators(&file).await.unwrap();
        assert_eq!(written, 3, "{name}");
    }
    let ind = db.diagnostic_indicators().await.unwrap();
    assert_eq!(ind.get("35238").unwrap().pop_65_plus, Some(180.0));
    assert_eq!(ind.get("29019").unwrap().pop_65_plus, Some(350.5));
    assert_eq!(ind.get("35238").unwrap().minima_total(), Some(75.0));
    // The empty AAH cell of Saint-Brieuc is stored as "not published".
    assert_eq!(ind.get("22278").unwrap().minima_total(), Some(20.0));
    // Bundled figures are still there.
    assert_eq!(ind.get("22001").unwrap().census_population, Some(596.0));
    let source = ind
        .sources
        .iter()
        .find(|s| s.indicator == "pop_65_plus")
        .unwrap();
    assert_eq!(source.vintage.as_deref(), Some("2021"));
    assert!(
        source
            .file
            .starts_with("base-cc-evol-struct-pop-2021.csv (importé le ")
    );
    // Re-importing another vintage replaces, never duplicates.
    let name = "base-cc-evol-struct-pop-2021.csv";
    let p15 = parse(
        name,
        &fixture(name),
        &geo,
        &Options {
            vintage: Some("2015".into()),
        },
    )
    .unwrap();
    db.import_indicators(&p15).await.unwrap();
    let ind = db.diagnostic_indicators().await.unwrap();
    assert_eq!(ind.get("35238").unwrap().pop_65_plus, Some(160.0));
    let source = ind
        .sources
        .iter()
        .find(|s| s.indicator == "pop_65_plus")
        .unwrap();
    assert_eq!(source.vintage.as_deref(), Some("2015"));
}

#[tokio::test]
async fn accompaniments_are_counted_per_commune_over_the_last_year() {
    use passerelle_activities::generate::Generator;
    use passerelle_store::activities::{Author, StatsQuery, Territory as Rollup};
    let db = bretagne_database().await;
    assert_eq!(db.diagnostic_activity().await.unwrap(), None);
    let mut generator = Generator::new(7, vec!["29232".into(), "35238".into()], 2025);
    let records: Vec<_> = (0..200).map(|_| generator.record()).collect();
    let author = Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    };
    db.import_activities(&records, author).await.unwrap();
    let ((first, last), counts) = db.diagnostic_activity().await.unwrap().unwrap();
    assert_eq!(last, "2025-12");
    assert_eq!(first, "2025-01");
    // The same as the roll-ups' own count for each commune.
    for code in ["29232", "35238"] {
        let q = StatsQuery {
            dimension: "total",
            territory: Rollup::Commune(code.into()),
            from: first.clone(),
            to: last.clone(),
            structure_id: None,
            scope: passerelle_accounts::policy::FiguresScope::Everything,
        };
        let months = db.activity_months(&q).await.unwrap();
        let records: i64 = months.iter().map(|m| m.records).sum();
        let people: i64 = months.iter().map(|m| m.people).sum();
        assert_eq!(
            (counts[code].records, counts[code].people),
            (records, people),
            "{code}"
        );
    }
    assert_eq!(counts["29232"].records + counts["35238"].records, 200);
}
