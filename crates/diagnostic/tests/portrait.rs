//! The portrait on a small territory computed by hand, aggregation across
//! levels, and the Bretagne figures of the seed.

use passerelle_diagnostic::geo::{CommuneGeo, Geography, Territory};
use passerelle_diagnostic::needs::{Field, Figure, Indicators};
use passerelle_diagnostic::offer::{CommuneLocator, OfferPlace};
use passerelle_diagnostic::portrait::{Analysis, Settings};
use passerelle_places::Place;

const AIDE: &str = "Aide aux démarches administratives";
const OUTILS: &str = "Maîtrise des outils numériques du quotidien";
/// 0.1° of latitude on the mean sphere, km.
const TENTH: f64 = 11.119_508;

/// PORTREA's fragility of the small territory, by hand.
const FRAGILITY: f64 = 275.0 + 137.5 + 90.4 + 84.375;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3
}

/// Four communes on one meridian, 0.1° apart (D 0.3° further), in two EPCI.
fn small() -> (Geography, Indicators, Vec<Place>) {
    let mut geo = Geography::default();
    geo.name_departement("35", "Ille-et-Vilaine", "53");
    geo.region_names.insert("53".into(), "Bretagne".into());
    for (code, lat, pop, epci) in [
        ("35001", 48.0, 1000, "200000001"),
        ("35002", 48.1, 500, "200000001"),
        ("35003", 48.2, 300, "200000002"),
        ("35004", 48.5, 200, "200000002"),
    ] {
        geo.push(CommuneGeo {
            code: code.into(),
            nom: format!("Commune {code}"),
            departement: "35".into(),
            region: "53".into(),
            epci: Some(epci.into()),
            population: pop,
            centre: Some((lat, -1.0)),
            postcodes: vec![],
        });
    }
    let mut ind = Indicators::default();
    for (code, old, nodip, over15) in [
        ("35001", 200.0, 100.0, 800.0),
        ("35002", 100.0, 50.0, 400.0),
        ("35003", 60.0, 40.0, 250.0),
        ("35004", 50.0, 50.0, 160.0),
    ] {
        let needs = ind.entry(code);
        for (field, v) in [
            (Field::Pop65Plus, old),
            (Field::NoDiploma, nodip),
            (Field::Pop15Plus, over15),
        ] {
            needs.figures.set(field, Some(Figure::known(v)));
        }
    }
    let places = vec![
        Place {
            nom: "France services".into(),
            code_insee: Some("35001".into()),
            services: vec![AIDE.into()],
            dispositif_programmes_nationaux: vec!["France Services".into()],
            horaires: Some("Mo-Fr 09:00-12:00".into()),
            ..Default::default()
        },
        Place {
            nom: "Bus numérique".into(),
            code_insee: Some("35003".into()),
            services: vec![OUTILS.into()],
            itinerance: vec!["Itinérant".into()],
            horaires: Some("Mo,Tu 09:00-14:00".into()),
            ..Default::default()
        },
    ];
    (geo, ind, places)
}

/// The portrait of the small territory's département for `service`.
fn dep35(a: &Analysis<'_>, service: Option<&str>) -> passerelle_diagnostic::portrait::Portrait {
    let settings = Settings {
        service: service.map(str::to_string),
        ..Default::default()
    };
    a.portrait(&Territory::Departement("35".into()), &settings)
        .unwrap()
}

fn analysis<'a>(geo: &'a Geography, ind: &'a Indicators, places: &[Place]) -> Analysis<'a> {
    let locator = CommuneLocator::new(geo);
    let offer = places
        .iter()
        .map(|p| OfferPlace::from_place(p, geo, &locator))
        .collect();
    Analysis::new(geo, ind, offer)
}

#[test]
fn small_territory_computed_by_hand() {
    let (geo, ind, places) = small();
    let a = analysis(&geo, &ind, &places);
    let p = dep35(&a, Some(AIDE));
    let s = &p.summary;
    assert_eq!(s.needs.population, 2000);
    // PORTREA: 65+ + no diploma × (15+ − 65+) / 15+ per commune:
    // 275 + 137.5 + 90.4 + 84.375.
    assert!(close(s.needs.fragility.value.unwrap(), FRAGILITY));
    assert!(close(s.needs.fragility_rate.unwrap(), FRAGILITY / 2000.0));
    // The seed's plain sum: 300 + 150 + 100 + 100.
    assert_eq!(s.needs.fragility_plain_sum.value, Some(650.0));
    assert_eq!(s.needs.fragility_plain_sum_rate, Some(0.325));
    assert_eq!(s.needs.exposure.value, None, "données non chargées");
    assert_eq!(
        (s.offer.places, s.offer.itinerant, s.places_for_service),
        (2, 1, 1)
    );
    assert_eq!(s.offer.hours_per_week, 25.0);
    assert!(close(
        s.hours_per_week_per_10000_in_need.unwrap(),
        25.0 / FRAGILITY * 10_000.0
    ));
    assert!(close(s.places_per_10000_inhabitants.unwrap(), 5.0));
    // Access to "Aide aux démarches": only in 35001.
    let c = &s.coverage;
    assert_eq!(c.share_population_in_commune, Some(0.5));
    assert!(close(
        c.share_in_need_in_commune.unwrap(),
        275.0 / FRAGILITY
    ));
    let mean = (500.0 * TENTH + 300.0 * 2.0 * TENTH + 200.0 * 5.0 * TENTH) / 2000.0;
    assert!(
        close(c.mean_distance_km.unwrap(), mean),
        "{:?}",
        c.mean_distance_km
    );
    assert_eq!(c.share_within_km, Some(0.5));
    assert_eq!(c.share_within_minutes_estimated, Some(0.5));
    assert_eq!(c.uncovered_communes, 3);
    // Any service: places in 35001 and 35003.
    let any = &p.coverage_by_service[0];
    assert_eq!(any.service, None);
    assert_eq!(any.share_population_in_commune, Some(0.65));
    assert_eq!(any.uncovered_communes, 2);
    // Communes by priority: D (far, fragile), C, B, A.
    let order: Vec<&str> = p.communes.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(order, ["35004", "35003", "35002", "35001"]);
    let d = &p.communes[0];
    assert_eq!((d.rank, d.priority), (Some(1), Some(1.0)));
    assert!(close(d.nearest_km.unwrap(), 5.0 * TENTH));
    assert!(close(
        d.road_minutes_estimated.unwrap(),
        5.0 * TENTH * 1.3 / 50.0 * 60.0
    ));
    assert!(d.uncovered);
    let c3 = &p.communes[1];
    // Fragility rates: A and B 0.275, C 90.4 / 300, D 84.375 / 200.
    let fragility = (90.4 / 300.0 - 0.275) / (84.375 / 200.0 - 0.275);
    assert!(close(c3.priority.unwrap(), (fragility + 0.4 + 1.0) / 3.0));
    let a1 = p.communes.iter().find(|r| r.code == "35001").unwrap();
    assert_eq!(
        (a1.places, a1.hours_per_week, a1.priority),
        (1, 15.0, Some(0.0))
    );
    assert!(!a1.uncovered);
    // The two EPCI side by side add up to the département.
    assert_eq!(p.subterritories.len(), 2);
    let frag: f64 = p
        .subterritories
        .iter()
        .map(|s| s.needs.fragility.value.unwrap())
        .sum();
    assert!(close(frag, FRAGILITY));
    let pop: i64 = p.subterritories.iter().map(|s| s.needs.population).sum();
    assert_eq!(pop, 2000);
    // The région compares.
    assert_eq!(p.comparison.len(), 1);
    assert_eq!(p.comparison[0].key, "reg:53");
    assert!(close(
        p.comparison[0].needs.fragility.value.unwrap(),
        FRAGILITY
    ));
}

#[test]
fn an_epci_compares_with_its_departement_and_region_and_lists_its_communes() {
    let (geo, ind, places) = small();
    let a = analysis(&geo, &ind, &places);
    let p = a
        .portrait(&Territory::Epci("200000002".into()), &Settings::default())
        .unwrap();
    assert_eq!(p.summary.needs.population, 500);
    let keys: Vec<&str> = p.comparison.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["dep:35", "reg:53"]);
    assert_eq!(p.subterritories.len(), 2);
    assert!(
        p.subterritories
            .iter()
            .all(|s| s.key.starts_with("commune:"))
    );
    // Unknown service.
    let bad = Settings {
        service: Some("Jardinage".into()),
        ..Default::default()
    };
    assert!(
        a.portrait(&Territory::Epci("200000002".into()), &bad)
            .is_err()
    );
    // Custom list.
    let list = Territory::Communes(vec!["35001".into(), "35004".into()]);
    let p = a.portrait(&list, &Settings::default()).unwrap();
    assert_eq!(p.summary.needs.fragility.value, Some(275.0 + 84.375));
}

fn bretagne() -> (Geography, Indicators) {
    (
        Geography::bundled().unwrap(),
        passerelle_diagnostic::bundled::indicators().unwrap(),
    )
}

#[test]
fn bretagne_commune_sums_equal_epci_departement_and_region_totals() {
    let (geo, ind) = bretagne();
    let places: Vec<Place> = passerelle_places::bundled::places()
        .into_iter()
        .flat_map(|(_, p)| p)
        .collect();
    let a = analysis(&geo, &ind, &places);
    let settings = Settings::default();
    let region = a
        .portrait(&Territory::Region("53".into()), &settings)
        .unwrap();
    let unemployed = |s: &passerelle_diagnostic::portrait::Summary| {
        s.needs.census_unemployed_15_64.value.unwrap()
    };
    let deps: f64 = region.subterritories.iter().map(unemployed).sum();
    assert!(close(deps, unemployed(&region.summary)));
    let rows: f64 = region
        .communes
        .iter()
        .filter_map(|r| r.census_unemployed_15_64)
        .sum();
    assert!(close(rows, unemployed(&region.summary)));
    let places: usize = region.subterritories.iter().map(|s| s.offer.places).sum();
    assert_eq!(places, region.summary.offer.places);
    for dep in ["22", "29", "35", "56"] {
        let p = a
            .portrait(&Territory::Departement(dep.into()), &settings)
            .unwrap();
        let parts: f64 = p.subterritories.iter().map(unemployed).sum();
        assert!(close(parts, unemployed(&p.summary)), "{dep}");
        let pop: i64 = p.subterritories.iter().map(|s| s.needs.population).sum();
        assert_eq!(pop, p.summary.needs.population, "{dep}");
        let hours: f64 = p
            .subterritories
            .iter()
            .map(|s| s.offer.hours_per_week)
            .sum();
        assert!(close(hours, p.summary.offer.hours_per_week), "{dep}");
    }
    // Rennes Métropole: its communes add up to it.
    let rm = a
        .portrait(&Territory::Epci("243500139".into()), &settings)
        .unwrap();
    let parts: f64 = rm.subterritories.iter().map(unemployed).sum();
    assert!(close(parts, unemployed(&rm.summary)));
    assert!(rm.ifn_epci.is_some());
}

/// Seed 003: "la méthode PORTREA somme les deux facteurs principaux de non
/// connexion : l'âge (+ de 65 ans) et le niveau de diplôme (sans diplôme ou
/// CEP)": Côtes-d'Armor 184,745; Finistère 247,928; Ille-et-Vilaine
/// 247,402; Morbihan 221,028; Bretagne 901,103.
const SEED_FRAGILITY: [(&str, f64); 4] = [
    ("22", 184_745.0),
    ("29", 247_928.0),
    ("35", 247_402.0),
    ("56", 221_028.0),
];

#[test]
fn bretagne_against_the_seed_figures() {
    let (geo, ind) = bretagne();
    let a = analysis(&geo, &ind, &[]);
    let settings = Settings::default();
    let region = a
        .portrait(&Territory::Region("53".into()), &settings)
        .unwrap();
    // The seed's départements add up to its région figure.
    let seed_total: f64 = SEED_FRAGILITY.iter().map(|(_, v)| v).sum();
    assert_eq!(seed_total, 901_103.0);
    // The bundled data hold no count of people aged 65+ or without diploma:
    // the fragility is "données non chargées", not zero and not invented.
    assert_eq!(region.summary.needs.fragility.value, None);
    assert_eq!(region.summary.needs.exposure.value, None);
    // What the bundled data allow: the populations the seed's figures are
    // shares of (docs/diagnostic.md gives the resulting rates), and the
    // census unemployed 15–64, one part of the "complex procedures" public.
    let expected = [
        ("22", 611_859, 26_412.0),
        ("29", 933_455, 43_634.0),
        ("35", 1_120_666, 48_637.0),
        ("56", 783_390, 34_715.0),
    ];
    for ((dep, pop, unemployed), (seed_dep, fragility)) in expected.iter().zip(SEED_FRAGILITY) {
        assert_eq!(*dep, seed_dep);
        let s = region
            .subterritories
            .iter()
            .find(|s| s.key == format!("dep:{dep}"))
            .unwrap();
        assert_eq!(s.needs.population, *pop, "{dep}");
        assert_eq!(
            s.needs.census_unemployed_15_64.value,
            Some(*unemployed),
            "{dep}"
        );
        let rate = fragility / *pop as f64;
        assert!((0.22..0.31).contains(&rate), "{dep}: {rate}");
    }
    assert_eq!(region.summary.needs.population, 3_449_370);
    let rate = seed_total / 3_449_370.0;
    assert!((rate - 0.2612).abs() < 1e-4, "{rate}");
    // Census unemployed are 4.4 % of the population: the seed's "at least
    // 15 %" also counts minima sociaux recipients and France Travail
    // registrations (categories A, B, C), which exceed census unemployment.
    let u = region.summary.needs.census_unemployed_15_64.value.unwrap() / 3_449_370.0;
    assert!((u - 0.0445).abs() < 1e-3, "{u}");
}

#[test]
fn exports_leave_figures_not_loaded_empty() {
    use passerelle_diagnostic::export::{communes_csv, communes_geojson, territories_csv};
    let (geo, ind, places) = small();
    let a = analysis(&geo, &ind, &places);
    let p = dep35(&a, Some(AIDE));
    let csv = String::from_utf8(communes_csv(&p)).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("rang_priorite,code_insee,nom,"));
    // D: rank 1, fragility 84.375 (plain sum 100), exposure not loaded
    // (empty).
    assert!(
        lines[1].starts_with(
            "1,35004,Commune 35004,35,200000002,200,48.5,-1,84.375,0.4219,100,,,,,,,,0,0,55.5975,"
        ),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(",oui,,,0"), "{}", lines[1]);
    let csv = String::from_utf8(territories_csv(&p)).unwrap();
    let roles: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "territoire",
            "sous-territoire",
            "sous-territoire",
            "comparaison"
        ]
    );
    let geojson = communes_geojson(&p);
    assert_eq!(geojson["features"].as_array().unwrap().len(), 4);
    assert_eq!(geojson["features"][0]["geometry"]["coordinates"][1], 48.5);
    assert!(geojson["features"][0]["properties"]["exposure"].is_null());
}

#[test]
fn real_road_times_stand_beside_the_estimate() {
    use passerelle_diagnostic::access::road_candidates;
    let (geo, ind, mut places) = small();
    // A second place for the service, in 35004.
    places.push(Place {
        nom: "Mairie".into(),
        code_insee: Some("35004".into()),
        services: vec![AIDE.into()],
        ..Default::default()
    });
    let mut a = analysis(&geo, &ind, &places);
    let all: Vec<usize> = (0..4).collect();
    let candidates = road_candidates(&geo, &a.places, Some(AIDE), &all, 5);
    // 35002 (48.1): the place of 35001 (0.1° away) before that of 35004.
    assert_eq!(candidates[1], vec![0, 2]);
    assert_eq!(candidates[3], vec![2, 0]);
    a.set_road_minutes(Some(AIDE), vec![Some(0.0), Some(5.0), Some(12.0), None]);
    let p = dep35(&a, Some(AIDE));
    let c = &p.summary.coverage;
    assert_eq!(c.share_within_minutes_road, Some(1500.0 / 1800.0));
    let b = p.communes.iter().find(|r| r.code == "35002").unwrap();
    assert_eq!(b.road_minutes, Some(5.0));
    assert!(b.road_minutes_estimated.unwrap() > 17.0);
    // Other services have no road times.
    assert_eq!(p.coverage_by_service[0].share_within_minutes_road, None);
}

#[test]
fn the_workbook_holds_every_table() {
    use passerelle_diagnostic::export::{access_csv, xlsx};
    let (geo, ind, places) = small();
    let a = analysis(&geo, &ind, &places);
    let p = a
        .portrait(&Territory::Departement("35".into()), &Settings::default())
        .unwrap();
    let csv = String::from_utf8(access_csv(&p)).unwrap();
    assert_eq!(csv.lines().count(), 11, "header, any service, 9 services");
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("Tous services,2000,0.65,"),
        "{csv}"
    );
    let book = xlsx(&p).unwrap();
    // An XLSX file is a ZIP archive holding one XML part per sheet.
    assert_eq!(&book[..2], b"PK");
    let text = String::from_utf8_lossy(&book);
    for part in [
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet4.xml",
        "xl/workbook.xml",
    ] {
        assert!(text.contains(part), "{part}");
    }
}

#[test]
fn accompaniments_per_year_and_per_1000_in_need() {
    use passerelle_diagnostic::portrait::Activity;
    use std::collections::HashMap;
    let (geo, ind, places) = small();
    let mut a = analysis(&geo, &ind, &places);
    let p = a
        .portrait(&Territory::Departement("35".into()), &Settings::default())
        .unwrap();
    assert_eq!(
        p.summary.activity, None,
        "no Activités data: nothing, not zero"
    );
    let counts = HashMap::from([
        (
            "35001".to_string(),
            Activity {
                records: 120,
                people: 150,
            },
        ),
        (
            "35003".to_string(),
            Activity {
                records: 30,
                people: 30,
            },
        ),
    ]);
    a.set_activity(("2025-04".into(), "2026-03".into()), &counts);
    let p = a
        .portrait(&Territory::Departement("35".into()), &Settings::default())
        .unwrap();
    let s = p.summary.activity.as_ref().unwrap();
    assert_eq!((s.records, s.people), (150, 180));
    assert_eq!(s.period, ("2025-04".to_string(), "2026-03".to_string()));
    assert!(close(
        s.per_1000_in_need.unwrap(),
        150.0 / FRAGILITY * 1000.0
    ));
    assert!(close(s.per_1000_inhabitants.unwrap(), 75.0));
    let parts: i64 = p
        .subterritories
        .iter()
        .map(|s| s.activity.as_ref().unwrap().records)
        .sum();
    assert_eq!(parts, 150);
}
