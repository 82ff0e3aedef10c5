//! The importers on small files in the official layouts, and every error.

use passerelle_diagnostic::geo::Geography;
use passerelle_diagnostic::import::{Field, FileKind, Options, parse};
use passerelle_diagnostic::needs::Indicators;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn geo() -> Geography {
    Geography::bundled().unwrap()
}

fn load(indicators: &mut Indicators, name: &str) {
    parse(name, &fixture(name), &geo(), &Options::default())
        .unwrap()
        .apply(indicators);
}

#[test]
fn the_five_official_layouts_fill_the_needs() {
    let mut ind = Indicators::default();
    for name in [
        "base-cc-evol-struct-pop-2021.csv",
        "base-cc-diplomes-formation-2021.csv",
        "AAHCom2021.csv",
        "RSACom2021.csv",
        "demandeurs_emploi_abc_commune.csv",
    ] {
        load(&mut ind, name);
    }
    let rennes = ind.get("35238").unwrap();
    assert_eq!(rennes.pop_65_plus, Some(180.0));
    assert_eq!(rennes.out_of_school_15_plus, Some(750.0));
    assert_eq!(rennes.no_diploma, Some(150.0));
    assert_eq!(rennes.fragility(), Some(330.0));
    // 180 + 150 − 180 × 150 / 750 = 294.
    assert_eq!(rennes.fragility_deduplicated(), Some(294.0));
    assert_eq!(rennes.minima_total(), Some(75.0));
    assert_eq!(rennes.complex_procedures(), Some(155.0));
    let brest = ind.get("29019").unwrap();
    assert_eq!(brest.pop_65_plus, Some(350.5));
    // Saint-Brieuc: the AAH cell is empty (not published), so only RSA.
    let sb = ind.get("22278").unwrap();
    assert_eq!(sb.minima_sociaux.get("AAH"), None);
    assert_eq!(sb.minima_total(), Some(20.0));
    let keys: Vec<&str> = ind.sources.iter().map(|s| s.indicator.as_str()).collect();
    for k in [
        "pop_65_plus",
        "no_diploma",
        "minima_sociaux:AAH",
        "minima_sociaux:RSA",
        "job_seekers",
    ] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    let pop = ind
        .sources
        .iter()
        .find(|s| s.indicator == "pop_65_plus")
        .unwrap();
    assert_eq!(pop.vintage.as_deref(), Some("2021"));
}

#[test]
fn kinds_and_vintages_are_recognised_from_the_header() {
    let g = geo();
    let kind = |name: &str| {
        parse(name, &fixture(name), &g, &Options::default())
            .unwrap()
            .kind
    };
    assert_eq!(
        kind("base-cc-evol-struct-pop-2021.csv"),
        FileKind::CensusPopulation
    );
    assert_eq!(
        kind("base-ic-evol-struct-pop-2021.csv"),
        FileKind::CensusPopulation
    );
    assert_eq!(
        kind("base-cc-diplomes-formation-2021.csv"),
        FileKind::CensusDiplomas
    );
    assert_eq!(kind("AAHCom2021.csv"), FileKind::CafMinima);
    assert_eq!(
        kind("demandeurs_emploi_abc_commune.csv"),
        FileKind::JobSeekers
    );
    let name = "base-cc-evol-struct-pop-2021.csv";
    let p15 = parse(
        name,
        &fixture(name),
        &g,
        &Options {
            vintage: Some("2015".into()),
        },
    )
    .unwrap();
    assert_eq!(p15.vintage.as_deref(), Some("2015"));
    assert_eq!(p15.communes["35238"][&Field::Pop65Plus], Some(160.0));
}

#[test]
fn iris_rows_add_up_by_commune() {
    let name = "base-ic-evol-struct-pop-2021.csv";
    let f = parse(name, &fixture(name), &geo(), &Options::default()).unwrap();
    assert_eq!(f.communes["35238"][&Field::Pop65Plus], Some(180.0));
    // One IRIS without the figure: the commune's figure is unknown.
    assert_eq!(f.communes["29019"][&Field::Pop65Plus], None);
}

fn error_of(text: &str) -> passerelle_territory::ImportError {
    parse("test.csv", text.as_bytes(), &geo(), &Options::default()).unwrap_err()
}

#[test]
fn every_error_names_file_line_and_field() {
    // Missing column of the chosen vintage.
    let e = error_of("CODGEO;P21_NSCOL15P_DIPLMIN\n35238;12\n");
    assert_eq!(
        (e.file.as_str(), e.line, e.field.as_deref()),
        ("test.csv", Some(1), Some("P21_NSCOL15P"))
    );
    assert!(
        e.to_string().contains("column P21_NSCOL15P is missing"),
        "{e}"
    );
    let e = error_of("P21_POP65P;P21_POP\n3;4\n");
    assert_eq!(e.field.as_deref(), Some("CODGEO"));
    let e = error_of("Communes;Codes_Insee;NB_Allocataires;ALL_PAJE\nRENNES;35238;3;1\n");
    assert!(e.message.contains("ALL_RSA"), "{e}");
    // Unknown commune of a loaded département.
    let e = error_of("CODGEO;P21_POP65P\n35238;1\n35999;2\n");
    assert_eq!((e.line, e.field.as_deref()), (Some(3), Some("CODGEO")));
    assert!(
        e.message.contains("unknown to the territorial reference"),
        "{e}"
    );
    // Not a number, negative.
    let e = error_of("CODGEO;P21_POP65P\n35238;beaucoup\n");
    assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("P21_POP65P")));
    let e = error_of("Communes;Codes_Insee;ALL_RSA\nRENNES;35238;-4\n");
    assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("ALL_RSA")));
    // Not a commune code, duplicate commune.
    let e = error_of("Code commune;Catégories ABC\nRennes;4\n");
    assert_eq!(e.field.as_deref(), Some("Code commune"));
    let e = error_of("CODGEO;P21_POP65P\n35238;1\n35238;2\n");
    assert_eq!(e.line, Some(3));
    // Unrecognised header, empty file, Latin-1.
    let e = error_of("code;valeur\n35238;1\n");
    assert!(e.message.contains("unrecognised header"), "{e}");
    let e = error_of("");
    assert!(e.message.contains("empty"), "{e}");
    let e = parse(
        "latin1.csv",
        b"Code commune;Cat\xe9gories ABC\n35238;4\n",
        &geo(),
        &Options::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("UTF-8"), "{e}");
    // Two ABC columns: which one is meant cannot be told.
    let e = error_of("Code commune;ABC;Catégories ABC\n35238;4;5\n");
    assert!(e.message.contains("unrecognised header"), "{e}");
}

#[test]
fn leading_zero_dropped_by_a_spreadsheet_is_restored_and_other_regions_set_aside() {
    // 01001 is in département 01, not loaded with the Bretagne reference.
    let f = parse(
        "t.csv",
        b"CODGEO,P21_POP65P\n1001,12\n35238,3\n",
        &geo(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(f.outside, 1);
    assert_eq!(f.communes.len(), 1);
}
