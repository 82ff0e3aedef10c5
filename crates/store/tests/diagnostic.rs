//! Diagnostic storage, on the back-end the environment selects.

use passerelle_diagnostic::geo::{Geography, Territory};
use passerelle_diagnostic::import::{FileKind, Level, Options, parse};
use passerelle_diagnostic::needs::{Field, Figure};
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
    assert!(!before.any(|n| n.get(Field::Pop65Plus)));
    assert_eq!(
        before.get("22001").unwrap().value(Field::CensusPopulation),
        Some(596.0)
    );
    assert!(db.diagnostic_imports().await.unwrap().is_empty());
    for name in [
        "base-cc-evol-struct-pop-2021.csv",
        "base-cc-diplomes-formation-2021.csv",
        "caf-iris-2021.csv",
        "defm-communes-2021.csv",
    ] {
        let file = parse(name, &fixture(name), &geo, &Options::default()).unwrap();
        db.import_indicators(&file, None).await.unwrap();
    }
    let ind = db.diagnostic_indicators().await.unwrap();
    let rennes = ind.get("35238").unwrap();
    assert_eq!(rennes.value(Field::Pop65Plus), Some(180.0));
    assert_eq!(rennes.fragility().unwrap().value, 300.0);
    assert_eq!(rennes.exposure().unwrap().exact(), Some(210.0));
    // A secret IRIS of Brest is stored as such: a lower bound, never zero.
    let brest = ind.get("29019").unwrap().exposure().unwrap();
    assert_eq!((brest.value, brest.secret), (285.0, 3));
    assert_eq!(
        ind.iris["290190102"].figures.get(Field::Aah),
        Some(Figure {
            value: 0.0,
            secret: 1,
            source: ind.iris["290190102"]
                .figures
                .get(Field::Aah)
                .unwrap()
                .source
        })
    );
    assert_eq!(ind.iris_of("35238").len(), 2);
    // Bundled figures are still there.
    assert_eq!(
        ind.get("22001").unwrap().value(Field::CensusPopulation),
        Some(596.0)
    );
    // Every figure cites its file and vintage.
    let source = &ind.sources[rennes.get(Field::Pop65Plus).unwrap().source.unwrap()];
    assert_eq!(source.vintage.as_deref(), Some("2021"));
    assert_eq!(
        source.file.as_deref(),
        Some("base-cc-evol-struct-pop-2021.csv")
    );
    assert!(source.imported_at.is_some());
    let defm = &ind.sources[rennes.get(Field::JobSeekersAbcde).unwrap().source.unwrap()];
    assert_eq!(defm.file.as_deref(), Some("defm-communes-2021.csv"));
    let imports = db.diagnostic_imports().await.unwrap();
    assert_eq!(imports.len(), 4);
    assert_eq!(imports[1].kind, Some(FileKind::CafBenefits));
    assert_eq!(
        (imports[1].level, imports[1].iris, imports[1].secret_cells),
        (Level::Iris, 4, 3)
    );
    let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
    assert!(imports[0].imported_at <= now, "an instant, typed");
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
    db.import_indicators(&p15, None).await.unwrap();
    let ind = db.diagnostic_indicators().await.unwrap();
    let rennes = ind.get("35238").unwrap();
    assert_eq!(rennes.value(Field::Pop65Plus), Some(160.0));
    let source = &ind.sources[rennes.get(Field::Pop65Plus).unwrap().source.unwrap()];
    assert_eq!(source.vintage.as_deref(), Some("2015"));
    // The import is in the audit trail.
    let trail = db
        .audit_events(Some("diagnostic.import"), 10)
        .await
        .unwrap();
    assert_eq!(trail.len(), 5);
    assert!(
        trail[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("insee_population")
    );
}

#[tokio::test]
async fn the_real_caf_and_france_travail_extracts_are_stored() {
    let db = bretagne_database().await;
    let geo = db.diagnostic_geography().await.unwrap();
    for name in [
        "caf_iris_2021_bretagne.csv",
        "defm_2019_communes_qpv_bretagne.csv",
    ] {
        let bytes = std::fs::read(format!(
            "{}/../../data/diagnostic/extraits/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let file = parse(name, &bytes, &geo, &Options::default()).unwrap();
        db.import_indicators(&file, None).await.unwrap();
    }
    let ind = db.diagnostic_indicators().await.unwrap();
    assert_eq!(ind.iris.len(), 632);
    let rennes = ind.get("35238").unwrap();
    assert!(rennes.exposure().is_some());
    assert_eq!(rennes.value(Field::JobSeekersAbcde), Some(25058.0));
}

#[tokio::test]
async fn search_counters_add_up_and_keep_nothing_else() {
    use passerelle_diagnostic::unmet::{needs_key, per_commune};
    let db = bretagne_database().await;
    let aide = vec!["Aide aux démarches administratives".to_string()];
    for _ in 0..3 {
        db.count_place_search("2026-12-01", "29232", &needs_key(&aide), 0)
            .await
            .unwrap();
    }
    db.count_place_search("2026-12-01", "29232", &needs_key(&aide), 4)
        .await
        .unwrap();
    db.count_place_search("2026-12-02", "29232", "", 0)
        .await
        .unwrap();
    db.count_place_search("2027-01-02", "29232", "", 0)
        .await
        .unwrap();
    let counts = db
        .place_search_counts(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        counts.len(),
        3,
        "one counter per day, commune, needs and results"
    );
    let quimper = per_commune(&counts, Some(&aide[0]))["29232"];
    assert_eq!((quimper.total, quimper.without_result), (4, 3));
    assert_eq!(per_commune(&counts, None)["29232"].without_result, 4);
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
