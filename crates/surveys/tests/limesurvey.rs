//! LimeSurvey in (a .lss structure and its CSV exports, rebuilt from
//! LimeSurvey's writers by scripts/surveys_fixture_limesurvey.py).

use passerelle_surveys::Kind;
use passerelle_surveys::limesurvey::{import_lss, read_responses};
use passerelle_surveys::questionnaire::Test;
use passerelle_surveys::responses::Column;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/surveys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_survey_structure_becomes_a_questionnaire() {
    let xml = String::from_utf8(fixture("limesurvey-416283.lss")).unwrap();
    let imported = import_lss(&xml, "limesurvey-416283.lss", None).unwrap();
    let q = &imported.questionnaire;
    eprintln!("{}", imported.toml);
    eprintln!("{:#?}", imported.notes);
    assert_eq!(q.id, "limesurvey-416283");
    assert_eq!(q.title, "Enquête médiation numérique 2025");
    assert_eq!(imported.lime_questions, 9);
    assert_eq!(imported.groups, 2);
    let ids: Vec<&str> = q.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "G01Q01",
            "G01Q02",
            "G01Q03",
            "G02Q01",
            "G02Q02_SQ001",
            "G02Q02_SQ002",
            "G02Q03",
            "G02Q04",
            "G02Q05",
            "G02Q06"
        ]
    );
    let first = &q.questions[0];
    assert_eq!(first.text, "Type de structure");
    assert!(first.required);
    match &first.kind {
        Kind::Single { options, other } => {
            assert_eq!(options.len(), 3);
            assert_eq!(options[1].label, "Médiathèque");
            assert_eq!(other.as_deref(), Some("Autre structure"));
        }
        k => panic!("{k:?}"),
    }
    assert!(matches!(q.questions[2].kind, Kind::Integer { .. }));
    assert_eq!(q.questions[3].text, "Satisfaction d'ensemble");
    // Conditions carried over.
    let cond = |i: usize| {
        q.questions[i]
            .show_if
            .as_ref()
            .map(|c| (c.question.as_str(), c.test.clone()))
    };
    assert_eq!(
        cond(4),
        Some(("G01Q01", Test::AnyOf(vec!["A1".into(), "A2".into()])))
    );
    assert_eq!(cond(6), Some(("G01Q02", Test::Includes("SQ002".into()))));
    assert_eq!(cond(7), Some(("G02Q01", Test::AtLeast(4.0))));
    // Not expressible: said, and the question asked to all.
    assert_eq!(cond(9), None);
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.starts_with("G02Q06 : condition")),
        "{:?}",
        imported.notes
    );
    assert!(imported.toml.contains("# Groupe : Vos accompagnements"));
}

#[test]
fn limesurvey_response_exports_are_read_codes_and_full_answers_alike() {
    let xml = String::from_utf8(fixture("limesurvey-416283.lss")).unwrap();
    let q = import_lss(&xml, "x.lss", None).unwrap().questionnaire;
    let (codes, aside) = read_responses(
        &q,
        &fixture("limesurvey-416283-codes.csv"),
        "limesurvey-416283-codes.csv",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(codes.respondents, 40);
    assert_eq!(aside.respondents, 40);
    assert_eq!(
        aside.metadata,
        vec![
            "id",
            "submitdate",
            "lastpage",
            "startlanguage",
            "seed",
            "startdate",
            "datestamp"
        ]
    );
    assert!(!aside.full_answers);
    let (full, aside_full) = read_responses(
        &q,
        &fixture("limesurvey-416283-reponses-completes.csv"),
        "limesurvey-416283-reponses-completes.csv",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(aside_full.full_answers);
    assert_eq!(full, codes, "both exports give the same responses");
    // Answers, not metadata: no column holds an id or a date.
    assert_eq!(codes.columns.len(), q.questions.len());
    match &codes.columns[0] {
        Column::Single { values, other } => {
            assert!(values.iter().all(Option::is_some));
            assert!(other.iter().flatten().all(|o| o == "Tiers-lieu"));
        }
        c => panic!("{c:?}"),
    }
}

#[test]
fn bad_limesurvey_files_are_refused_with_file_line_and_column() {
    let xml = String::from_utf8(fixture("limesurvey-416283.lss")).unwrap();
    let q = import_lss(&xml, "x.lss", None).unwrap().questionnaire;
    let text = String::from_utf8(fixture("limesurvey-416283-codes.csv")).unwrap();
    // Third respondent (physical line 4, after a multi-line cell maybe):
    // an answer code the list does not have.
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
    lines[1] = lines[1]
        .replacen("\"A1\"", "\"A9\"", 1)
        .replacen("\"A2\"", "\"A9\"", 1)
        .replacen("\"A3\"", "\"A9\"", 1)
        .replacen("\"-oth-\"", "\"A9\"", 1);
    let broken = lines.join("\r\n");
    let err = read_responses(&q, broken.as_bytes(), "reponses.csv").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("reponses.csv : ligne 2, colonne « G01Q01 »"),
        "{message}"
    );
    // The last respondent, after cells spanning two lines: its physical line.
    let start = text.rfind("\r\n\"40\",").unwrap() + 2;
    let expected = text[..start].matches('\n').count() + 1;
    assert!(expected > 41, "multi-line cells before it: {expected}");
    let end = start + text[start..].find("\r\n").unwrap();
    let fields: Vec<&str> = text[start..end].split("\",\"").collect();
    let mut fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    fields[7] = "B7".into();
    let broken = format!("{}{}{}", &text[..start], fields.join("\",\""), &text[end..]);
    let err = read_responses(&q, broken.as_bytes(), "reponses.csv").unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "reponses.csv : ligne {expected}, colonne « G01Q01 »"
        )),
        "{err}"
    );
    let err = import_lss("<document><LimeSurveyDocType>Survey</LimeSurveyDocType>\n<questions><rows><row><qid>1</row>", "cassé.lss", None).unwrap_err();
    assert!(err.to_string().starts_with("cassé.lss : ligne 2"), "{err}");
    let unknown = read_responses(
        &q,
        "\"id\",\"submitdate\",\"Q99\"\r\n\"1\",\"\",\"x\"\r\n".as_bytes(),
        "r.csv",
    )
    .unwrap_err();
    assert!(unknown.to_string().contains("colonne « Q99 »"), "{unknown}");
}
