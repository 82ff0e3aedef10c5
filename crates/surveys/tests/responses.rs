//! The responses file: round trip, and errors naming line and column.

use passerelle_surveys::Questionnaire;
use passerelle_surveys::responses::{
    Column, columns_of, missing_required, read_csv, read_one, write_csv,
};

const QUESTIONNAIRE: &str = r#"id = "essai"
title = "Essai"

[[questions]]
id = "accompagne"
type = "single"
text = "Accompagnez-vous ?"
options = [{ code = "non", label = "Non" }, { code = "oui", label = "Oui" }]
other = "Autre"

[[questions]]
id = "pourquoi"
type = "multiple"
text = "Pourquoi pas ?"
options = [{ code = "dois", label = "Je ne dois pas" }, { code = "veux", label = "Je ne veux pas" }]
other = "Autre, précisez"
show_if = { question = "accompagne", equals = "non" }

[[questions]]
id = "sites"
type = "grid"
text = "Sites"
min = 1
max = 10
items = [{ code = "caf", label = "CAF" }, { code = "ants", label = "ANTS" }]

[[questions]]
id = "personnes"
type = "decimal"
text = "Personnes par semaine"
min = 0

[[questions]]
id = "remarque"
type = "text"
text = "Remarque"
"#;

fn questionnaire() -> Questionnaire {
    Questionnaire::parse(QUESTIONNAIRE, "essai.toml").unwrap()
}

const GOOD: &str = "accompagne,accompagne.other,pourquoi.dois,pourquoi.veux,pourquoi.other,sites.caf,sites.ants,personnes,remarque
non,,1,0,trop loin,3,,\"2,5\",\"avec, virgule\"
oui,,,,,10,7,12,
,,,,,,,,
Non,,0,1,,1,1,0,
";

#[test]
fn reads_every_kind_of_cell() {
    let q = questionnaire();
    let r = read_csv(&q, GOOD.as_bytes(), "r.csv").unwrap();
    assert_eq!(r.respondents, 4);
    let Column::Single { values, .. } = &r.columns[0] else {
        panic!()
    };
    assert_eq!(values, &[Some(0), Some(1), None, Some(0)], "code or label");
    let Column::Multiple {
        answered,
        chosen,
        other,
    } = &r.columns[1]
    else {
        panic!()
    };
    assert_eq!(answered, &[true, false, false, true]);
    assert_eq!(chosen[0], [true, false, false, false]);
    assert_eq!(
        chosen[2],
        [true, false, false, false],
        "other text means chosen"
    );
    assert_eq!(other[0].as_deref(), Some("trop loin"));
    let Column::Grid(items) = &r.columns[2] else {
        panic!()
    };
    assert_eq!(items[1], [None, Some(7.0), None, Some(1.0)]);
    let Column::Number(v) = &r.columns[3] else {
        panic!()
    };
    assert_eq!(v[0], Some(2.5), "decimal comma");
    assert!(r.shown(&q, 1, 0) && !r.shown(&q, 1, 1) && !r.shown(&q, 1, 2));
}

#[test]
fn export_then_import_gives_the_same_responses() {
    let q = questionnaire();
    let r = read_csv(&q, GOOD.as_bytes(), "r.csv").unwrap();
    let mut out = Vec::new();
    write_csv(&q, &r, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(&columns_of(&q).join(",")));
    assert_eq!(read_csv(&q, text.as_bytes(), "again.csv").unwrap(), r);
}

#[test]
fn semicolon_files_are_recognised() {
    let q = questionnaire();
    let text = GOOD
        .replace(',', ";")
        .replace("\"2;5\"", "2,5")
        .replace("\"avec; virgule\"", "x");
    let r = read_csv(&q, text.as_bytes(), "r.csv").unwrap();
    assert_eq!(r.respondents, 4);
}

fn errors(text: &str) -> Vec<(usize, String, String)> {
    read_csv(&questionnaire(), text.as_bytes(), "r.csv")
        .unwrap_err()
        .errors
        .into_iter()
        .map(|e| (e.line, e.column, e.message))
        .collect()
}

#[test]
fn errors_name_line_and_column() {
    let header = GOOD.lines().next().unwrap();
    let e = errors(&format!("{header},age\n"));
    assert_eq!((e[0].0, e[0].1.as_str()), (1, "age"));
    assert!(e[0].2.starts_with("colonne inconnue"));

    let e = errors(&header.replace(",remarque", ""));
    assert_eq!(
        (e[0].1.as_str(), e[0].2.as_str()),
        ("remarque", "colonne manquante")
    );

    let e = errors(&format!(
        "{header}\noui,,,,,11,1,3,\nnon,,1,0,,1,beaucoup,-1,\n"
    ));
    assert_eq!(e.len(), 3, "{e:?}");
    assert_eq!((e[0].0, e[0].1.as_str()), (2, "sites.caf"));
    assert!(e[0].2.contains("hors limites"), "{}", e[0].2);
    assert_eq!((e[1].0, e[1].1.as_str()), (3, "sites.ants"));
    assert!(e[1].2.contains("n’est pas un nombre entier"), "{}", e[1].2);
    assert_eq!((e[2].0, e[2].1.as_str()), (3, "personnes"));
    assert!(e[2].2.contains("au moins 0"), "{}", e[2].2);

    let e = errors(&format!("{header}\npeut-etre,,,,,,,,\noui,,1,,,,,,\n"));
    assert_eq!((e[0].0, e[0].1.as_str()), (2, "accompagne"));
    assert!(e[0].2.contains("n’est pas un code de réponse"));
    assert_eq!((e[1].0, e[1].1.as_str()), (3, "pourquoi"));
    assert!(e[1].2.contains("masquée"), "{}", e[1].2);

    let e = errors(&format!("{header}\nnon,,2,,,,,,\n"));
    assert_eq!(e[0].1, "pourquoi.dois");
}

#[test]
fn one_response_from_form_cells_with_required_questions() {
    let text = QUESTIONNAIRE.replace(
        "options = [{ code = \"non\", label = \"Non\" }, { code = \"oui\", label = \"Oui\" }]",
        "options = [{ code = \"non\", label = \"Non\" }, { code = \"oui\", label = \"Oui\" }]\nrequired = true",
    );
    let q = Questionnaire::parse(&text, "essai.toml").unwrap();
    let r = read_one(&q, [("accompagne", "non"), ("pourquoi.dois", "1")]).unwrap();
    assert_eq!(r.respondents, 1);
    assert!(missing_required(&q, &r, 0).is_empty());
    let r = read_one(&q, [("personnes", "3")]).unwrap();
    let missing: Vec<&str> = missing_required(&q, &r, 0)
        .iter()
        .map(|q| q.id.as_str())
        .collect();
    assert_eq!(missing, ["accompagne"]);
    // A form without JavaScript shows every question: answers to hidden
    // ones are dropped, not refused.
    let r = read_one(&q, [("accompagne", "oui"), ("pourquoi.dois", "1")]).unwrap();
    assert!(!r.columns[1].answered(0));
    let e = read_one(&q, [("inconnu", "1")]).unwrap_err();
    assert_eq!(e.errors[0].column, "inconnu");
}

#[test]
fn stored_cells_leave_out_dropped_answers() {
    let q = passerelle_surveys::templates::load("hub-bretagne-2023")
        .unwrap()
        .unwrap();
    let r = read_one(
        &q,
        [
            ("poste", "conseiller"),
            ("accompagne", "oui"),
            ("pourquoi_pas.ne_sais_pas", "1"),
        ],
    )
    .unwrap();
    let cells = passerelle_surveys::responses::row_cells(&q, &r, 0);
    assert_eq!(cells.keys().collect::<Vec<_>>(), ["accompagne", "poste"]);
}
