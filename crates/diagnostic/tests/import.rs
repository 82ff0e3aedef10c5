//! The importers on files in the official layouts: PORTREA's two scores
//! computed by hand on a synthetic census written in INSEE's layout
//! (communes and IRIS, CSV and XLSX), the real CAF and France Travail
//! extracts, and every error.

use passerelle_diagnostic::geo::Geography;
use passerelle_diagnostic::import::{FileKind, IndicatorFile, Level, Options, describe, parse};
use passerelle_diagnostic::needs::{Field, Figure, Indicators};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn extract(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../data/diagnostic/extraits/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn geo() -> Geography {
    Geography::bundled().unwrap()
}

fn parsed(name: &str) -> IndicatorFile {
    parse(name, &fixture(name), &geo(), &Options::default()).unwrap()
}

fn load(indicators: &mut Indicators, names: &[&str]) {
    for name in names {
        parsed(name).apply(indicators);
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn portrea_scores_of_communes_computed_by_hand() {
    let mut ind = Indicators::default();
    load(
        &mut ind,
        &[
            "base-cc-evol-struct-pop-2021.csv",
            "base-cc-diplomes-formation-2021.csv",
            "caf-iris-2021.csv",
            "defm-communes-2021.csv",
        ],
    );
    let rennes = ind.get("35238").unwrap();
    assert_eq!(rennes.value(Field::Pop65Plus), Some(180.0));
    assert_eq!(rennes.value(Field::Pop15Plus), Some(900.0));
    assert_eq!(rennes.value(Field::NoDiploma), Some(150.0));
    // Fragility = P21_POP65P + P21_NSCOL15P_DIPLMIN × (C21_POP15P −
    // P21_POP65P) / C21_POP15P = 180 + 150 × 720 / 900 = 180 + 120.
    assert_eq!(rennes.fragility().unwrap().value, 300.0);
    // The seed's plain sum: 180 + 150.
    assert_eq!(rennes.fragility_plain_sum().unwrap().value, 330.0);
    // Exposure = aaah + appa + arsas of its two IRIS + ABCDE
    // = (10 + 30 + 20) + (5 + 15 + 10) + 120.
    assert_eq!(rennes.caf_minima(), Some(Figure::known(90.0)));
    assert_eq!(rennes.exposure().unwrap().exact(), Some(210.0));
    let brest = ind.get("29019").unwrap();
    // 350.5 + 330 × (1752.5 − 350.5) / 1752.5 = 350.5 + 330 × 0.8.
    assert!(close(brest.fragility().unwrap().value, 614.5));
    // One IRIS of Brest is secret: 20 + 40 + 25 published, three cells
    // secret; the score is a lower bound, never a zero.
    let e = brest.exposure().unwrap();
    assert_eq!((e.value, e.secret, e.exact()), (285.0, 3, None));
    // Saint-Brieuc: census only; no CAF file lists it.
    let sb = ind.get("22278").unwrap();
    assert!(close(
        sb.fragility().unwrap().value,
        120.0 + 100.0 * 320.0 / 440.0
    ));
    assert_eq!(sb.exposure(), None);
    // Every figure carries its source and vintage.
    let source = &ind.sources[rennes.get(Field::Pop65Plus).unwrap().source.unwrap()];
    assert_eq!(source.vintage.as_deref(), Some("2021"));
    assert_eq!(
        source.file.as_deref(),
        Some("base-cc-evol-struct-pop-2021.csv")
    );
    let caf = &ind.sources[rennes.get(Field::Aah).unwrap().source.unwrap()];
    assert_eq!(caf.vintage.as_deref(), Some("2021"));
    assert!(caf.title.starts_with("CAF"), "{caf:?}");
}

#[test]
fn portrea_scores_of_iris_computed_by_hand() {
    let mut ind = Indicators::default();
    load(
        &mut ind,
        &[
            "base-ic-evol-struct-pop-2021.csv",
            "base-ic-diplomes-formation-2021.csv",
            "caf-iris-2021.csv",
        ],
    );
    let iris = |code: &str| ind.iris[code].figures.clone();
    // 100 + 100 × (500 − 100) / 500.
    assert_eq!(iris("352380101").fragility().unwrap().value, 180.0);
    // 80 + 50 × (400 − 80) / 400.
    assert_eq!(iris("352380102").fragility().unwrap().value, 120.0);
    // 200.5 + 200 × (1000 − 200.5) / 1000.
    assert!(close(iris("290190101").fragility().unwrap().value, 360.4));
    // 150 + 130 × (752.5 − 150) / 752.5.
    assert!(close(
        iris("290190102").fragility().unwrap().value,
        150.0 + 130.0 * 602.5 / 752.5
    ));
    assert_eq!(ind.iris["352380101"].nom.as_deref(), Some("Centre"));
    assert_eq!(ind.iris_of("35238").len(), 2);
    // The commune's score is PORTREA's: the formula on the sum of its
    // IRIS, not the sum of the IRIS scores.
    let brest = ind.get("29019").unwrap();
    assert_eq!(brest.value(Field::Pop15Plus), Some(1752.5));
    assert!(close(brest.fragility().unwrap().value, 614.5));
    assert_eq!(iris("290190102").caf_minima().unwrap().secret, 3);
    assert_eq!(iris("290190101").caf_minima(), Some(Figure::known(85.0)));
}

#[test]
fn the_xlsx_variant_with_insee_title_rows() {
    use rust_xlsxwriter::Workbook;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("COM_2021").unwrap();
    sheet
        .write_string(0, 0, "Évolution et structure de la population en 2021")
        .unwrap();
    sheet
        .write_string(1, 0, "Recensement de la population 2021 - Base communale")
        .unwrap();
    sheet.write_string(3, 0, "Source : Insee, RP2021").unwrap();
    let labels = [
        "Code géographique",
        "Pop 65 ans ou plus en 2021",
        "Pop 15 ans ou plus en 2021",
        "Population en 2021",
    ];
    let codes = ["CODGEO", "P21_POP65P", "C21_POP15P", "P21_POP"];
    for (c, (l, k)) in labels.iter().zip(codes).enumerate() {
        sheet.write_string(4, c as u16, *l).unwrap();
        sheet.write_string(5, c as u16, k).unwrap();
    }
    sheet.write_string(6, 0, "35238").unwrap();
    sheet.write_number(6, 1, 180.0).unwrap();
    sheet.write_number(6, 2, 900.0).unwrap();
    sheet.write_number(6, 3, 1000.0).unwrap();
    sheet.write_string(7, 0, "29019").unwrap();
    sheet.write_string(7, 1, "beaucoup").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let e = parse(
        "base-cc-evol-struct-pop-2021.xlsx",
        &bytes,
        &geo(),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!((e.line, e.field.as_deref()), (Some(8), Some("P21_POP65P")));
    // Without the bad row.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Titre").unwrap();
    for (c, k) in codes.iter().enumerate() {
        sheet.write_string(2, c as u16, *k).unwrap();
    }
    sheet.write_string(3, 0, "35238").unwrap();
    for (c, v) in [180.0, 900.0, 1000.0].iter().enumerate() {
        sheet.write_number(3, c as u16 + 1, *v).unwrap();
    }
    let f = parse(
        "pop.xlsx",
        &book.save_to_buffer().unwrap(),
        &geo(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(f.kind, FileKind::CensusPopulation);
    assert_eq!(f.communes["35238"][&Field::Pop15Plus].value, 900.0);
    assert_eq!(f.vintage.as_deref(), Some("2021"));
}

#[test]
fn the_real_caf_extract_imports_with_its_secret_cells() {
    let name = "caf_iris_2021_bretagne.csv";
    let f = parse(name, &extract(name), &geo(), &Options::default()).unwrap();
    assert_eq!((f.kind, f.level), (FileKind::CafBenefits, Level::Iris));
    assert_eq!(f.vintage.as_deref(), Some("2021"));
    assert_eq!(f.rows, 632);
    assert_eq!(f.iris.len(), 632);
    assert_eq!(
        f.communes.len(),
        97,
        "the 97 Breton communes split into IRIS"
    );
    assert!(f.unknown.is_empty() && f.outside == 0);
    // Secret cells are counted, never zero: compare with the raw file.
    let text = String::from_utf8(extract(name)).unwrap();
    let mut secret = 0;
    let mut sum_22004 = 0.0;
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(';').collect();
        for c in &cells[20..23] {
            if c.is_empty() {
                secret += 1;
            } else if cells[0].starts_with("22004") {
                sum_22004 += c.parse::<f64>().unwrap();
            }
        }
    }
    assert_eq!(f.secret_cells, secret);
    assert!(secret > 0);
    let mut ind = Indicators::default();
    f.apply(&mut ind);
    let dinan = ind.get("22004").unwrap().caf_minima().unwrap();
    assert_eq!(dinan.value, sum_22004);
}

#[test]
fn the_real_france_travail_extract_imports() {
    let name = "defm_2019_communes_qpv_bretagne.csv";
    let f = parse(name, &extract(name), &geo(), &Options::default()).unwrap();
    assert_eq!((f.kind, f.level), (FileKind::JobSeekers, Level::Commune));
    assert_eq!(f.vintage.as_deref(), Some("2019"));
    assert_eq!((f.rows, f.communes.len()), (38, 38));
    assert_eq!(f.fields, [Field::JobSeekersAbcde, Field::JobSeekersAbc]);
    assert_eq!(f.communes["35238"][&Field::JobSeekersAbcde].value, 25058.0);
    assert_eq!(f.communes["22050"][&Field::JobSeekersAbc].value, 1487.0);
}

#[test]
fn kinds_levels_and_vintages_are_recognised_from_the_header() {
    let kind = |name: &str| {
        let f = parsed(name);
        (f.kind, f.level)
    };
    use FileKind::*;
    assert_eq!(
        kind("base-cc-evol-struct-pop-2021.csv"),
        (CensusPopulation, Level::Commune)
    );
    assert_eq!(
        kind("base-ic-evol-struct-pop-2021.csv"),
        (CensusPopulation, Level::Iris)
    );
    assert_eq!(
        kind("base-cc-diplomes-formation-2021.csv"),
        (CensusDiplomas, Level::Commune)
    );
    assert_eq!(
        kind("base-ic-diplomes-formation-2021.csv"),
        (CensusDiplomas, Level::Iris)
    );
    assert_eq!(kind("caf-iris-2021.csv"), (CafBenefits, Level::Iris));
    assert_eq!(kind("AAHCom2021.csv"), (CafBenefits, Level::Commune));
    assert_eq!(kind("defm-communes-2021.csv"), (JobSeekers, Level::Commune));
    assert_eq!(
        kind("demandeurs_emploi_abc_commune.csv"),
        (JobSeekers, Level::Commune)
    );
    let name = "base-cc-evol-struct-pop-2021.csv";
    let p15 = parse(
        name,
        &fixture(name),
        &geo(),
        &Options {
            vintage: Some("2015".into()),
        },
    )
    .unwrap();
    assert_eq!(p15.vintage.as_deref(), Some("2015"));
    assert_eq!(p15.communes["35238"][&Field::Pop65Plus].value, 160.0);
    assert_eq!(p15.communes["35238"][&Field::Pop15Plus].value, 810.0);
    // data.caf.fr's households: AAH and RSA; an empty cell is secret.
    let mut ind = Indicators::default();
    load(
        &mut ind,
        &[
            "AAHCom2021.csv",
            "RSACom2021.csv",
            "demandeurs_emploi_abc_commune.csv",
        ],
    );
    let sb = ind.get("22278").unwrap();
    assert_eq!(
        sb.get(Field::Aah),
        Some(Figure {
            value: 0.0,
            secret: 1,
            source: sb.get(Field::Aah).unwrap().source
        })
    );
    assert_eq!(sb.value(Field::RsaSocle), Some(20.0));
    assert_eq!(sb.value(Field::JobSeekersAbc), Some(40.0));
    // Without the prime d'activité nor categories D and E, no exposure.
    assert_eq!(sb.exposure(), None);
}

fn error_of(text: &str) -> passerelle_territory::ImportError {
    parse("test.csv", text.as_bytes(), &geo(), &Options::default()).unwrap_err()
}

#[test]
fn every_error_names_file_line_and_field_in_french() {
    // Missing column of the chosen vintage.
    let e = error_of("CODGEO;P21_NSCOL15P\n35238;12\n");
    assert!(e.message.contains("en-tête non reconnu"), "{e}");
    let e = error_of("P21_POP65P;P21_POP\n3;4\n");
    assert_eq!(e.field.as_deref(), Some("CODGEO"));
    assert!(e.message.contains("code de commune"), "{e}");
    // Not a number, negative.
    let e = error_of("CODGEO;P21_POP65P\n35238;beaucoup\n");
    assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("P21_POP65P")));
    assert_eq!(
        describe(&e),
        "Fichier test.csv, ligne 2, colonne « P21_POP65P » : « beaucoup » n’est pas un nombre"
    );
    let e = error_of("Communes;Codes_Insee;ALL_RSA\nRENNES;35238;-4\n");
    assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("ALL_RSA")));
    // Not a commune code, not an IRIS code, duplicates.
    let e = error_of("Code commune;Catégories ABC\nRennes;4\n");
    assert_eq!(e.field.as_deref(), Some("Code commune"));
    let e = error_of("iris_code;aaah;appa;arsas\n3523801;1;2;3\n");
    assert!(e.message.contains("code IRIS"), "{e}");
    let e = error_of("iris_code;aaah;appa;arsas\n352380101;1;2;3\n352380101;1;2;3\n");
    assert_eq!(e.line, Some(3));
    let e = error_of("CODGEO;P21_POP65P\n35238;1\n35238;2\n");
    assert_eq!(e.line, Some(3));
    // Unrecognised header, empty file.
    let e = error_of("code;valeur\n35238;1\n");
    assert!(e.message.contains("en-tête non reconnu"), "{e}");
    let e = error_of("");
    assert!(e.message.contains("vide"), "{e}");
    let e = error_of("CODGEO;P21_POP65P\n");
    assert!(e.message.contains("aucune ligne"), "{e}");
    // Two ABC columns and no exact one: which is meant cannot be told.
    let e = error_of("Code commune;ABC total;Catégories ABC\n35238;4;5\n");
    assert!(e.message.contains("en-tête non reconnu"), "{e}");
}

#[test]
fn latin1_and_missing_leading_zeros_are_read_and_other_regions_set_aside() {
    let f = parse(
        "latin1.csv",
        b"Code commune;Cat\xe9gories ABC\n35238;4\n",
        &geo(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(f.communes["35238"][&Field::JobSeekersAbc].value, 4.0);
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
