//! Other tools' exports, converted: the Coop's export (XLSX as the Coop
//! writes it, and saved as CSV) and CRA v1 reports.

use chrono::NaiveDate;
use passerelle_activities::model::{Activity, Kind, Where};
use passerelle_activities::sources::{Format, convert_rows, csv_rows, read_rows};
use passerelle_activities::validate::{Violation, validate_imported};

fn resolve(postcode: &str, name: &str) -> Option<String> {
    match (postcode, name) {
        ("29000", "Quimper") => Some("29232".into()),
        ("35000", "Rennes") => Some("35238".into()),
        _ => None,
    }
}

fn convert(format: Format, bytes: &[u8]) -> Result<Vec<Converted>, Violation> {
    let rows = read_rows(bytes)?;
    Ok(convert_rows(format, rows.into_iter(), &resolve)?.collect())
}

fn records(format: Format, bytes: &[u8]) -> Vec<(u64, Activity)> {
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    convert(format, bytes)
        .unwrap()
        .into_iter()
        .map(|r| {
            let (line, a) = r.unwrap();
            let problems = validate_imported(line, &a, today);
            assert!(problems.is_empty(), "line {line}: {problems:?}");
            (line, a)
        })
        .collect()
}

type Converted = Result<(u64, Activity), Violation>;

const COOP_CSV: &[u8] = include_bytes!("fixtures/coop-activites.csv");
const CRA_V1: &[u8] = include_bytes!("fixtures/cra-v1.csv");

fn check_coop_records(got: &[(u64, Activity)], first_line: u64) {
    assert_eq!(got.len(), 3);
    let (line, a) = &got[0];
    assert_eq!(*line, first_line);
    assert_eq!(a.kind, Kind::Individuel);
    assert_eq!(a.date, NaiveDate::from_ymd_opt(2025, 2, 12).unwrap());
    assert_eq!(a.duration_minutes, 45);
    assert_eq!(a.place, Where::Autre("29232".into()));
    assert_eq!(
        a.themes,
        vec!["Démarche en ligne".to_string()],
        "both map to one"
    );
    assert_eq!(a.autonomy.as_deref(), Some("partiellement autonome"));
    assert_eq!(a.orientation.as_deref(), Some("Espace France services"));
    assert_eq!(a.residence_commune.as_deref(), Some("29232"));
    assert_eq!(a.ages, vec![("60-69 ans".to_string(), 1)]);
    assert_eq!(a.statuses, vec![("retraité".to_string(), 1)]);
    assert_eq!(a.equipment.as_deref(), Some("Ordinateur"));
    // Names and notes of the export are not read.
    let stored = serde_json::to_string(a).unwrap();
    assert!(
        !stored.contains("Jeanne") && !stored.contains("importer"),
        "{stored}"
    );

    let (_, w) = &got[1];
    assert_eq!(w.kind, Kind::Atelier);
    assert_eq!(w.participants, 3);
    assert_eq!(
        w.workshop_title.as_deref(),
        Some("Premiers pas sur tablette")
    );
    assert_eq!(w.level.as_deref(), Some("débutant"));
    assert_eq!(w.place, Where::Autre("35238".into()));
    assert_eq!(
        w.ages,
        vec![
            ("60-69 ans".to_string(), 1),
            ("70 ans et plus".to_string(), 1),
            ("non communiqué".to_string(), 1)
        ],
        "the person not listed is not communicated"
    );

    let (_, r) = &got[2];
    assert_eq!(r.place, Where::Distance);
    assert_eq!(r.residence_commune, None);
    assert_eq!(
        r.themes,
        vec![
            "Courriels".to_string(),
            "Sécuriser un équipement".to_string()
        ]
    );
    assert_eq!(r.autonomy.as_deref(), Some("autonome"));
}

#[test]
fn the_coop_export_saved_as_csv() {
    assert_eq!(Format::detect(COOP_CSV), Format::Coop);
    check_coop_records(&records(Format::Coop, COOP_CSV), 5);
}

/// The same table written as the Coop writes its XLSX: lines about the
/// export first, a date cell, multi-line cells.
#[test]
fn the_coop_export_as_xlsx() {
    let rows = read_rows(COOP_CSV).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Activités").unwrap();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (line, cells) in &rows {
        let r = (*line - 1) as u32;
        for (c, text) in cells.iter().enumerate() {
            let c = c as u16;
            if let Ok(d) = NaiveDate::parse_from_str(text, "%d/%m/%Y") {
                sheet.write_date_with_format(r, c, d, &date_format).unwrap();
            } else if let Ok(n) = text.parse::<f64>() {
                sheet.write_number(r, c, n).unwrap();
            } else if !text.is_empty() {
                sheet.write_string(r, c, text).unwrap();
            }
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    assert_eq!(Format::detect(&bytes), Format::Coop);
    check_coop_records(&records(Format::Coop, &bytes), 5);
}

fn first_error(format: Format, text: &str) -> Violation {
    match convert(format, text.as_bytes()) {
        Err(v) => v,
        Ok(items) => items.into_iter().find_map(Result::err).expect("an error"),
    }
}

#[test]
fn coop_errors_name_the_line_and_the_column() {
    let header = "Date;Type;Nombre de participants;Canaux d’accompagnement;Lieu;Durée (min);Thématique(s) d’accompagnement;Tranche d’âge du bénéficiaire";
    let v = first_error(
        Format::Coop,
        &format!("{header}\n12/02/2025;Accompagnement individuel;1;À distance;;30;Astronomie;\n"),
    );
    assert_eq!((v.line, v.field), (2, "Thématique(s) d’accompagnement"));
    assert!(v.message.contains("Astronomie"), "{}", v.message);
    let v = first_error(
        Format::Coop,
        &format!(
            "{header}\n12/02/2025;Accompagnement individuel;1;Lieu d’activité;29999 Nulle-Part;30;E-mail;\n"
        ),
    );
    assert_eq!((v.line, v.field), (2, "Lieu"));
    let v = first_error(
        Format::Coop,
        &format!("{header}\n31/02/2025;Accompagnement individuel;1;À distance;;30;E-mail;\n"),
    );
    assert_eq!((v.line, v.field), (2, "Date"));
    let v = first_error(
        Format::Coop,
        &format!("{header}\n12/02/2025;Visite;1;À distance;;30;E-mail;\n"),
    );
    assert_eq!(v.field, "Type");
    let v = first_error(
        Format::Coop,
        &format!(
            "{header}\n12/02/2025;Atelier collectif;1;À distance;;30;E-mail;\"18 - 24 ans\n25 - 39 ans\"\n"
        ),
    );
    assert_eq!(
        v.field, "Tranche d’âge du bénéficiaire",
        "two people listed for one"
    );
    let v = first_error(
        Format::Coop,
        "Date;Thématique(s) d’accompagnement;Durée (min)\n",
    );
    assert_eq!((v.line, v.field), (1, "Type"));
    assert!(v.message.contains("`Type` is missing"), "{}", v.message);
    let v = first_error(Format::Coop, "Date;Type\n12/02/2025;Atelier\n");
    assert!(
        v.message.contains("no table of activities"),
        "{}",
        v.message
    );
}

#[test]
fn cra_v1_reports() {
    assert_eq!(Format::detect(CRA_V1), Format::CraV1);
    let got = records(Format::CraV1, CRA_V1);
    // 1 + 2 (one report for two people) + 1 workshop + 1.
    assert_eq!(got.len(), 5);
    let (line, a) = &got[0];
    assert_eq!(*line, 2);
    assert_eq!(a.date, NaiveDate::from_ymd_opt(2023, 3, 14).unwrap());
    assert_eq!(a.duration_minutes, 45);
    assert_eq!(a.place, Where::Autre("29232".into()));
    assert_eq!(
        a.themes,
        vec![
            "Naviguer sur Internet".to_string(),
            "Démarche en ligne".to_string()
        ]
    );
    assert_eq!(
        a.ages,
        vec![("60 ans et +".to_string(), 1)],
        "the seeds' bracket, kept"
    );

    let pair: Vec<&Activity> = got
        .iter()
        .filter(|(l, _)| *l == 3)
        .map(|(_, a)| a)
        .collect();
    assert_eq!(pair.len(), 2);
    assert!(
        pair.iter()
            .all(|a| a.participants == 1 && a.place == Where::Domicile)
    );
    assert_eq!(pair[0].ages, vec![("35-60 ans".to_string(), 1)]);
    assert_eq!(pair[1].ages, vec![("60 ans et +".to_string(), 1)]);
    assert_eq!(pair[1].residence_commune.as_deref(), Some("35238"));

    let (_, w) = &got[3];
    assert_eq!((w.kind, w.participants), (Kind::Atelier, 6));
    assert_eq!(
        w.themes,
        vec!["Sécuriser un équipement".to_string()],
        "autre is left out"
    );
    assert_eq!(w.workshop_title, None);

    let (_, other) = &got[4];
    assert!(other.themes.is_empty(), "only autre");
    assert!(other.ages.is_empty(), "nothing said about the person");
}

#[test]
fn cra_v1_errors_name_the_line_and_the_column() {
    let header = "dateAccompagnement,canal,activite,nbParticipants,ageMoins12Ans,ageDe12a18Ans,ageDe18a35Ans,ageDe35a60Ans,agePlus60Ans,statutEtudiant,statutSansEmploi,statutEnEmploi,statutRetraite,statutHeterogene,themes,duree,codeCommune";
    let row = |cells: &str| format!("{header}\n{cells}\n");
    let v = first_error(
        Format::CraV1,
        &row("2023-03-14,rattachement,collectif,5,0,0,1,1,1,0,0,0,0,0,{internet},60,29232"),
    );
    assert_eq!((v.line, v.field), (2, "ageMoins12Ans"));
    assert!(v.message.contains("add up to 3"), "{}", v.message);
    let v = first_error(
        Format::CraV1,
        &row("2023-03-14,en ligne,individuel,1,0,0,0,0,0,0,0,0,0,0,{internet},60,29232"),
    );
    assert_eq!(v.field, "canal");
    let v = first_error(
        Format::CraV1,
        &row("2023-03-14,rattachement,individuel,1,0,0,0,0,0,0,0,0,0,0,{astrologie},60,29232"),
    );
    assert_eq!(v.field, "themes");
    let v = first_error(
        Format::CraV1,
        &row("2023-03-14,rattachement,individuel,1,0,0,0,0,0,0,0,0,0,0,{internet},longtemps,29232"),
    );
    assert_eq!(v.field, "duree");
    let v = first_error(
        Format::CraV1,
        &row("2023-03-14,rattachement,individuel,-1,0,0,0,0,0,0,0,0,0,0,{internet},60,29232"),
    );
    assert_eq!(v.field, "nbParticipants");
    let v = first_error(Format::CraV1, "dateAccompagnement,canal\n");
    assert_eq!((v.line, v.field), (1, "ageMoins12Ans"));
    // An imported record is still checked as any other: a wrong commune.
    let items = convert(
        Format::CraV1,
        row("2023-03-14,rattachement,individuel,1,0,0,0,0,0,0,0,0,0,0,{internet},60,ABCDE")
            .as_bytes(),
    )
    .unwrap();
    let (line, a) = items.into_iter().next().unwrap().unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let problems = validate_imported(line, &a, today);
    assert_eq!(problems.len(), 1);
    assert_eq!((problems[0].line, problems[0].field), (2, "lieu"));
}

#[test]
fn streams_large_cra_v1_files() {
    let mut text = String::from(
        "dateAccompagnement,canal,activite,nbParticipants,ageMoins12Ans,ageDe12a18Ans,ageDe18a35Ans,ageDe35a60Ans,agePlus60Ans,statutEtudiant,statutSansEmploi,statutEnEmploi,statutRetraite,statutHeterogene,themes,duree,codeCommune\n",
    );
    for _ in 0..1000 {
        text.push_str(
            "2023-03-14,rattachement,individuel,1,0,0,0,0,1,0,0,0,1,0,{internet},60,29232\n",
        );
    }
    let rows = csv_rows(text.as_bytes()).unwrap();
    let resolve = |_: &str, _: &str| None;
    let n = convert_rows(Format::CraV1, rows, &resolve)
        .unwrap()
        .filter(Result::is_ok)
        .count();
    assert_eq!(n, 1000);
}
