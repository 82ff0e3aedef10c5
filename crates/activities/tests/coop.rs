//! The Coop's export, on files rebuilt from each version of its builder
//! (`support/coop_builder.rs`): every layout, a mediator's and a
//! coordinator's export, as XLSX and as CSV with `,` and `;`.

#[path = "support/checked.rs"]
mod checked;
#[path = "support/coop_builder.rs"]
mod coop_builder;

use checked::checked;

use chrono::NaiveDate;
use coop_builder::{Builder, Cell, Exporter, Sheet, activities, build, to_csv, to_xlsx};
use passerelle_activities::model::{Kind, Where};
use passerelle_activities::sources::{Conversion, Format, Item, Origin, convert};
use passerelle_activities::validate::Violation;

fn resolve(postcode: &str, name: &str) -> Option<String> {
    match (postcode, name) {
        ("29000", "Quimper") => Some("29232".into()),
        ("35000", "Rennes") => Some("35238".into()),
        ("29200", "Brest") => Some("29019".into()),
        _ => None,
    }
}

const BUILDERS: [Builder; 5] = [
    Builder::Sep2024,
    Builder::Nov2024,
    Builder::May2025,
    Builder::Jul2025,
    Builder::Sep2025,
];

fn generated() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 10, 1)
        .unwrap()
        .and_hms_opt(8, 30, 0)
        .unwrap()
}

fn sheet(b: Builder, exporter: Exporter) -> Sheet {
    build(b, exporter, true, &activities(b), generated())
}

/// The three files of a sheet: as the Coop writes it, and as a
/// spreadsheet saves it with `,` (CRLF) and `;` (LF).
fn files(s: &Sheet) -> [(&'static str, Vec<u8>); 3] {
    [
        ("xlsx", to_xlsx(s)),
        ("csv ,", to_csv(s, ',', true)),
        ("csv ;", to_csv(s, ';', false)),
    ]
}

type Converted = (String, Origin, Vec<Result<Item, Violation>>);

fn conversion(bytes: &[u8]) -> Result<Converted, Violation> {
    let Conversion {
        recognised,
        origin,
        items,
        ..
    } = convert(Format::Coop, bytes, &resolve)?;
    Ok((recognised, origin, items.collect()))
}

fn items(bytes: &[u8]) -> Vec<Item> {
    assert_eq!(
        Format::detect(&bytes[..bytes.len().min(65536)]),
        Format::Coop
    );
    checked(conversion(bytes).unwrap().2)
}

/// The line (CSV) or row (sheet) where each row of the sheet starts.
fn lines_of(s: &Sheet, csv: bool) -> Vec<u64> {
    let mut line = 1;
    s.rows
        .iter()
        .map(|row| {
            let here = line;
            line += 1;
            if csv {
                line += row
                    .iter()
                    .map(|c| match c {
                        Cell::Text(t) => t.matches('\n').count() as u64,
                        _ => 0,
                    })
                    .sum::<u64>();
            }
            here
        })
        .collect()
}

#[test]
fn every_layout_mediator_and_coordinator_xlsx_and_csv() {
    for b in BUILDERS {
        for exporter in [Exporter::Mediator, Exporter::Coordinator] {
            let s = sheet(b, exporter);
            let mut keys: Option<Vec<Option<String>>> = None;
            for (kind, bytes) in files(&s) {
                let context = format!("{b:?} {exporter:?} {kind}");
                let got = items(&bytes);
                let expected = if b == Builder::Sep2025 { 5 } else { 4 };
                assert_eq!(got.len(), expected, "{context}: one record per activity");
                // The first line of each activity, as the file numbers it.
                let lines = lines_of(&s, kind != "xlsx");
                let first_data = s.header_row + 1;
                let starts: Vec<u64> = if b == Builder::Sep2025 {
                    // 1 + 5 + 1 + 1 + 3 lines.
                    [0, 1, 6, 7, 8]
                        .iter()
                        .map(|i| lines[first_data + i])
                        .collect()
                } else {
                    (0..4).map(|i| lines[first_data + i]).collect()
                };
                assert_eq!(
                    got.iter().map(|i| i.line).collect::<Vec<_>>(),
                    starts,
                    "{context}"
                );

                let a = &got[0].activity;
                assert_eq!(a.kind, Kind::Individuel, "{context}");
                assert_eq!(a.place, Where::Autre("29232".into()), "{context}");
                assert_eq!(a.themes, vec!["Démarche en ligne".to_string()], "{context}");
                assert_eq!(a.autonomy.as_deref(), Some("partiellement autonome"));
                assert_eq!(a.orientation.as_deref(), Some("Espace France services"));
                assert_eq!(a.residence_commune.as_deref(), Some("29232"), "{context}");
                assert_eq!(a.ages, vec![("60-69 ans".to_string(), 1)]);
                assert_eq!(a.statuses, vec![("retraité".to_string(), 1)]);
                assert_eq!(a.equipment.as_deref(), Some("Ordinateur"));

                // A workshop of five is one record of five people.
                let w = &got[1].activity;
                assert_eq!((w.kind, w.participants), (Kind::Atelier, 5), "{context}");
                assert_eq!(w.place, Where::Autre("35238".into()));
                assert_eq!(w.level.as_deref(), Some("débutant"), "{context}");
                assert_eq!(
                    w.workshop_title.as_deref(),
                    Some("Premiers pas sur tablette")
                );
                let age = |v: &str| w.ages.iter().find(|(k, _)| k == v).map_or(0, |(_, n)| *n);
                // `Mineur(e)` (2024) cannot be placed: not communicated.
                let minors = if b == Builder::Sep2024 { 0 } else { 1 };
                assert_eq!(age("12-17 ans"), minors, "{context}");
                assert_eq!(age("non communiqué"), 2 - minors, "{context}");
                assert_eq!((age("70 ans et plus"), age("60-69 ans")), (1, 1));
                assert_eq!(w.statuses.iter().map(|(_, n)| n).sum::<u32>(), 5);

                let r = &got[2].activity;
                assert_eq!(r.place, Where::Distance);
                assert_eq!(
                    r.themes,
                    vec![
                        "Courriels".to_string(),
                        "Sécuriser un équipement".to_string()
                    ]
                );
                assert_eq!(r.autonomy.as_deref(), Some("autonome"));
                assert_eq!(r.ages, vec![("non communiqué".to_string(), 1)], "{context}");

                let h = &got[3].activity;
                assert_eq!(h.place, Where::Domicile);
                assert_eq!(
                    h.residence_commune.as_deref(),
                    Some("29019"),
                    "at home in Brest"
                );
                assert_eq!(h.themes, vec!["Numérique et TPE/PME".to_string()]);
                assert_eq!(h.orientation, None, "Autre");

                if b == Builder::Sep2025 {
                    let v1 = &got[4];
                    assert_eq!(v1.activity.participants, 3);
                    assert_eq!(
                        v1.twin.as_deref(),
                        Some("cra-v1|2023-03-16|2023-03-20T16:08|collectif|3|120")
                    );
                    assert!(got[..4].iter().all(|i| i.twin.is_none()), "V2 records");
                    assert_eq!(
                        got[1].key.as_deref(),
                        Some("coop:5b1e0a4c-0002-4c39-9f5e-000000000002")
                    );
                }
                // Names, notes, tags and the procedure's text are not read.
                for item in &got {
                    let stored = serde_json::to_string(&item.activity).unwrap();
                    for personal in ["Jeanne", "Paul", "Marie", "assistante", "CAF", "prime"] {
                        assert!(!stored.contains(personal), "{context}: {stored}");
                    }
                }
                // The same export as XLSX or CSV: the same keys.
                let these: Vec<Option<String>> = got.iter().map(|i| i.key.clone()).collect();
                assert!(these.iter().all(Option::is_some));
                match &keys {
                    None => keys = Some(these),
                    Some(k) => assert_eq!(k, &these, "{context}"),
                }
            }
        }
    }
}

#[test]
fn layouts_are_named_with_their_writers_commit() {
    let named = |b, e| conversion(&to_xlsx(&sheet(b, e))).unwrap().0;
    assert!(named(Builder::Sep2024, Exporter::Mediator).contains("7b63bce2"));
    assert!(named(Builder::Jul2025, Exporter::Mediator).contains("80573c44"));
    assert!(named(Builder::Sep2025, Exporter::Mediator).contains("d’un médiateur"));
    assert!(named(Builder::Sep2025, Exporter::Coordinator).contains("d’un coordinateur"));
    let (_, origin, _) =
        conversion(&to_xlsx(&sheet(Builder::Sep2025, Exporter::Mediator))).unwrap();
    assert_eq!(origin, Origin::Sheet("Activités".into()));
}

/// April–May 2025: the lines are one column short; read at their place.
#[test]
fn shifted_lines_of_may_2025_are_read_at_their_place() {
    let got = items(&to_csv(
        &sheet(Builder::May2025, Exporter::Mediator),
        ';',
        true,
    ));
    assert!(
        got.iter()
            .all(|i| i.notes.iter().any(|n| n.what.contains("décalées"))),
        "{:?}",
        got[0].notes
    );
    // Without the fix the statuses would be read from the notes.
    assert_eq!(got[0].activity.statuses, vec![("retraité".to_string(), 1)]);
    let unshifted = items(&to_csv(
        &sheet(Builder::Nov2024, Exporter::Mediator),
        ';',
        true,
    ));
    assert!(unshifted.iter().all(|i| i.notes.is_empty()));
}

/// An overlapping export: the activities both files hold have the same
/// keys, in every layout.
#[test]
fn overlapping_exports_share_their_keys() {
    for b in BUILDERS {
        let all = activities(b);
        let first = build(b, Exporter::Mediator, true, &all[..3], generated());
        let second = build(b, Exporter::Mediator, true, &all[1..], generated());
        let keys = |s: &Sheet| -> Vec<String> {
            items(&to_xlsx(s))
                .into_iter()
                .map(|i| i.key.unwrap())
                .collect()
        };
        let (a, b2) = (keys(&first), keys(&second));
        assert_eq!(a[1..], b2[..2], "{b:?}");
        assert_ne!(a[0], b2[2]);
    }
}

fn first_error(bytes: &[u8]) -> Violation {
    match conversion(bytes) {
        Err(v) => v,
        Ok((_, _, items)) => items.into_iter().find_map(Result::err).expect("an error"),
    }
}

/// Breaks the cell `column` of the `nth` data row of a sheet.
fn with_cell(mut s: Sheet, nth: usize, column: &str, value: &str) -> Sheet {
    let c = s.rows[s.header_row]
        .iter()
        .position(|h| *h == Cell::Text(column.into()))
        .unwrap();
    s.rows[s.header_row + 1 + nth][c] = Cell::Text(value.into());
    s
}

#[test]
fn errors_name_the_physical_line_or_the_sheet_row() {
    for b in [Builder::Sep2024, Builder::Jul2025, Builder::Sep2025] {
        // The last activity: after multi-line cells in the CSV.
        let nth = if b == Builder::Sep2025 { 7 } else { 3 };
        let s = with_cell(
            sheet(b, Exporter::Mediator),
            nth,
            "Thématique(s) d’accompagnement",
            "Astronomie",
        );
        let row = s.header_row + 1 + nth;
        for (kind, bytes) in files(&s) {
            let v = first_error(&bytes);
            let expected = lines_of(&s, kind != "xlsx")[row];
            assert_eq!(
                (v.line, v.field),
                (expected, "Thématique(s) d’accompagnement"),
                "{b:?} {kind}"
            );
            assert!(v.message.contains("Astronomie"), "{}", v.message);
        }
        // CRLF and LF files give the same physical lines.
        assert_eq!(
            first_error(&to_csv(&s, ';', true)).line,
            first_error(&to_csv(&s, ';', false)).line
        );
    }
}

#[test]
fn a_missing_column_is_named_missing() {
    for (b, column) in [
        (Builder::Sep2025, "Code Insee"),
        (Builder::Jul2025, "Niveau d’autonomie (ou de l’atelier)"),
        (Builder::Sep2024, "Niveau de l’atelier"),
    ] {
        let mut s = sheet(b, Exporter::Mediator);
        let c = s.rows[s.header_row]
            .iter()
            .position(|h| *h == Cell::Text(column.into()))
            .unwrap();
        for row in &mut s.rows[s.header_row..] {
            row.remove(c);
        }
        for (kind, bytes) in files(&s) {
            let v = first_error(&bytes);
            assert_eq!(v.field, column, "{b:?} {kind}");
            assert!(v.message.contains("absente"), "{}", v.message);
            let expected = lines_of(&s, kind != "xlsx")[s.header_row];
            assert_eq!(v.line, expected, "the header's line");
        }
    }
}

#[test]
fn lines_of_one_activity_must_agree() {
    // The workshop's second person on another date.
    let s = with_cell(
        sheet(Builder::Sep2025, Exporter::Mediator),
        2,
        "Durée (min)",
        "60",
    );
    let v = first_error(&to_csv(&s, ';', false));
    assert_eq!(v.field, "Durée (min)");
    assert!(v.message.contains("même activité"), "{}", v.message);
    // A person listed twice.
    let s = with_cell(
        sheet(Builder::Sep2025, Exporter::Mediator),
        2,
        "Participants",
        "1/5",
    );
    let v = first_error(&to_xlsx(&s));
    assert_eq!(v.field, "Participants");
    assert!(v.message.contains("déjà"), "{}", v.message);
    // A workshop's person missing from the file: not communicated.
    let mut s = sheet(Builder::Sep2025, Exporter::Mediator);
    s.rows.remove(s.header_row + 3);
    let got = items(&to_xlsx(&s));
    assert_eq!(got[1].activity.participants, 5);
    assert!(got[1].notes.iter().any(|n| n.what.contains("manquent")));
}

#[test]
fn the_coordination_export_is_recognised_and_refused() {
    let csv = "Informations export\nDate de l’activité;Type;Durée (min.);Participants;Thématique(s) d’animation\n";
    let v = first_error(csv.as_bytes());
    assert!(v.message.contains("coordination"), "{}", v.message);
    let v = first_error(b"Date;Type\n12/02/2025;Atelier\n");
    assert!(v.message.contains("aucun tableau"), "{}", v.message);
}
