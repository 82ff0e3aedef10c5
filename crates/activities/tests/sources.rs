//! CRA v1 reports: the flattened camelCase file, the Coop's CSV dump and
//! its JSON:API archive (`support/cra_v1_builder.rs`), read with the
//! semantics of the Coop's own migration (`transformCraV1.ts`).

#[path = "support/checked.rs"]
mod checked;
#[path = "support/cra_v1_builder.rs"]
mod cra_v1_builder;

use checked::checked;

use chrono::NaiveDate;
use passerelle_activities::model::{Activity, Kind, Where};
use passerelle_activities::sources::{Format, Item, Origin, convert, csv_rows};
use passerelle_activities::validate::{Violation, validate_imported};

fn no_reference(_: &str, _: &str) -> Option<String> {
    None
}

fn convert_all(bytes: &[u8]) -> Result<(Origin, Vec<Result<Item, Violation>>), Violation> {
    let c = convert(Format::CraV1, bytes, &no_reference)?;
    Ok((c.origin, c.items.collect()))
}

fn records(bytes: &[u8]) -> Vec<Item> {
    assert_eq!(Format::detect(bytes), Format::CraV1);
    checked(convert_all(bytes).unwrap().1)
}

const CRA_V1: &[u8] = include_bytes!("fixtures/cra-v1.csv");

#[test]
fn cra_v1_flattened_reports() {
    let got = records(CRA_V1);
    // One record per report: the individual report for two people is one
    // person, as the Coop migrated it.
    assert_eq!(got.len(), 4);
    let a = &got[0].activity;
    assert_eq!(got[0].line, 2);
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

    let pair = &got[1];
    assert_eq!(
        (pair.activity.participants, pair.activity.place.clone()),
        (1, Where::Domicile)
    );
    assert_eq!(pair.activity.ages, vec![("35-60 ans".to_string(), 1)]);
    assert_eq!(pair.activity.residence_commune.as_deref(), Some("35238"));
    assert!(
        pair.notes
            .iter()
            .any(|n| n.what.contains("plusieurs personnes"))
    );

    let w = &got[2].activity;
    assert_eq!((w.kind, w.participants), (Kind::Atelier, 6));
    assert_eq!(
        w.themes,
        vec!["Sécuriser un équipement".to_string()],
        "autre is left out"
    );
    assert_eq!(w.workshop_title, None);

    let other = &got[3].activity;
    assert!(other.themes.is_empty(), "only autre");
    assert!(other.ages.is_empty(), "nothing said about the person");
    // No identifier in this file: keys from the content, still stable.
    assert!(got[0].key.as_deref().unwrap().starts_with("cra-v1-ligne:"));
    assert_eq!(
        records(CRA_V1)
            .iter()
            .map(|i| i.key.clone())
            .collect::<Vec<_>>(),
        got.iter().map(|i| i.key.clone()).collect::<Vec<_>>()
    );
    assert!(got.iter().all(|i| i.twin.is_none()), "no creation time");
}

fn check_rebuilt(got: &[Item]) {
    assert_eq!(got.len(), 4);
    let w = &got[0];
    assert_eq!(w.key.as_deref(), Some("cra-v1:62375185c79e610790dadc9e"));
    assert_eq!(
        w.twin.as_deref(),
        Some("cra-v1|2023-03-16|2023-03-20T16:08|collectif|3|120"),
        "the fingerprint of its copy in the Coop's export"
    );
    assert_eq!(w.activity.returning, 2, "nb_participants_recurrents");
    assert_eq!(w.activity.statuses.len(), 2);
    let pair = &got[1].activity;
    assert_eq!((pair.participants, pair.returning), (1, 1));
    let remote = &got[2].activity;
    assert_eq!(
        remote.orientation.as_deref(),
        Some("Organisation concernée"),
        "CAF"
    );
    assert_eq!(remote.duration_minutes, 15);
    let outside = &got[3].activity;
    assert_eq!(outside.place, Where::Autre("01004".into()));
    assert_eq!(
        outside.orientation.as_deref(),
        Some("Organisation concernée"),
        "Pôle emploi: insertion professionnelle"
    );
    // The annotation is not read.
    for item in got {
        let stored = serde_json::to_string(&item.activity).unwrap();
        assert!(!stored.contains("Madame"), "{stored}");
    }
}

#[test]
fn the_coops_dump_of_cra_v1() {
    let bytes = cra_v1_builder::to_dump_csv(&cra_v1_builder::reports());
    let got = records(&bytes);
    check_rebuilt(&got);
    assert_eq!(
        got.iter().map(|i| i.line).collect::<Vec<_>>(),
        vec![2, 3, 4, 5]
    );
    let c = convert(Format::CraV1, &bytes[..], &no_reference).unwrap();
    assert!(c.not_read.contains(&"annotation".to_string()));
    assert!(c.unknown.is_empty(), "{:?}", c.unknown);
}

#[test]
fn the_coops_json_api_archive_of_cra_v1() {
    let reports = cra_v1_builder::reports();
    let bytes = cra_v1_builder::to_json_api_pages(&reports, 3);
    let got = records(&bytes);
    check_rebuilt(&got);
    assert_eq!(
        got.iter().map(|i| i.line).collect::<Vec<_>>(),
        vec![1, 2, 3, 4],
        "records counted across pages"
    );
    // The same reports from the dump and the archive: the same keys and
    // fingerprints, so importing both never duplicates.
    let dump = records(&cra_v1_builder::to_dump_csv(&reports));
    for (a, b) in got.iter().zip(&dump) {
        assert_eq!(
            (&a.key, &a.twin, &a.activity),
            (&b.key, &b.twin, &b.activity)
        );
    }
    assert_eq!(convert_all(&bytes).unwrap().0, Origin::Json);
    // An array of pages reads the same.
    let pages: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&bytes)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let array = serde_json::to_vec(&pages).unwrap();
    assert_eq!(records(&array).len(), 4);
    // Broken JSON names the record where it stops.
    let v = convert_all(&bytes[..bytes.len() / 2])
        .unwrap()
        .1
        .into_iter()
        .find_map(Result::err)
        .unwrap();
    assert_eq!(v.field, "fichier");
    assert!(v.message.contains("JSON"), "{}", v.message);
}

fn first_error(text: &str) -> Violation {
    match convert_all(text.as_bytes()) {
        Err(v) => v,
        Ok((_, items)) => items.into_iter().find_map(Result::err).expect("an error"),
    }
}

#[test]
fn cra_v1_errors_name_the_line_and_the_column() {
    let header = "dateAccompagnement,canal,activite,nbParticipants,ageMoins12Ans,ageDe12a18Ans,ageDe18a35Ans,ageDe35a60Ans,agePlus60Ans,statutEtudiant,statutSansEmploi,statutEnEmploi,statutRetraite,statutHeterogene,themes,duree,codeCommune";
    let row = |cells: &str| format!("{header}\r\n{cells}\r\n");
    let v = first_error(&row(
        "2023-03-14,en ligne,individuel,1,0,0,0,0,0,0,0,0,0,0,{internet},60,29232",
    ));
    assert_eq!((v.line, v.field), (2, "canal"));
    let v = first_error(&row(
        "2023-03-14,rattachement,individuel,1,0,0,0,0,0,0,0,0,0,0,{astrologie},60,29232",
    ));
    assert_eq!(v.field, "themes");
    let v = first_error(&row(
        "2023-03-14,rattachement,individuel,1,0,0,0,0,0,0,0,0,0,0,{internet},longtemps,29232",
    ));
    assert_eq!(v.field, "duree");
    let v = first_error(&row(
        "2023-03-14,rattachement,individuel,-1,0,0,0,0,0,0,0,0,0,0,{internet},60,29232",
    ));
    assert_eq!(v.field, "nbParticipants");
    let v = first_error("dateAccompagnement,canal\n");
    assert_eq!((v.line, v.field), (1, "ageMoins12Ans"));
    assert!(v.message.contains("absente"), "{}", v.message);
    // A line after a cell on two lines (CRLF): its physical line.
    let v = first_error(&format!(
        "{header},annotation\r\n2023-03-14,rattachement,individuel,1,0,0,0,0,1,0,0,0,1,0,{{internet}},60,29232,\"deux\r\nlignes\"\r\n2023-03-14,rattachement,individuel,1,0,0,0,0,0,0,0,0,0,0,{{internet}},60,29232,x\r\n2023-03-14,nulle part,individuel,1,0,0,0,0,0,0,0,0,0,0,{{internet}},60,29232,x\r\n"
    ));
    assert_eq!((v.line, v.field), (5, "canal"));
    // Counts that do not add up are cut or completed, as the Coop does.
    let items = convert_all(
        row("2023-03-14,rattachement,collectif,5,0,0,1,1,1,0,0,0,0,0,{internet},60,29232")
            .as_bytes(),
    )
    .unwrap()
    .1;
    let item = items.into_iter().next().unwrap().unwrap();
    assert_eq!(
        item.activity.ages.iter().map(|(_, n)| n).sum::<u32>(),
        5,
        "{:?}",
        item.activity.ages
    );
    assert!(item.notes.iter().any(|n| n.what.contains("totalisant")));
    // An imported record is still checked as any other: a wrong commune.
    let items = convert_all(
        row("2023-03-14,rattachement,individuel,1,0,0,0,0,0,0,0,0,0,0,{internet},60,ABCDE")
            .as_bytes(),
    )
    .unwrap()
    .1;
    let item = items.into_iter().next().unwrap().unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let problems = validate_imported(item.line, &item.activity, today);
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
    let n = convert(Format::CraV1, text.as_bytes(), &no_reference)
        .unwrap()
        .items
        .filter(Result::is_ok)
        .count();
    assert_eq!(n, 1000);
    assert_eq!(csv_rows(text.as_bytes()).unwrap().count(), 1001);
    let _: Option<Activity> = None;
}
