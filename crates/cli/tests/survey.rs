//! `passerelle survey …` as a researcher runs it (no database involved).

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_passerelle");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        // Survey commands must not need a database: point at none usable.
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .expect("run passerelle")
}

fn fixture() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/surveys/hub-bretagne-2023.csv")
        .display()
        .to_string()
}

#[test]
fn limesurvey_structure_and_responses_in_spss_out() {
    let file = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/surveys")
            .join(name)
            .display()
            .to_string()
    };
    let dir = std::env::temp_dir().join(format!("passerelle-lss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("enquete.toml");
    let o = run(&[
        "survey",
        "lss",
        &file("limesurvey-416283.lss"),
        "--output",
        toml.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("2 groupes, 9 questions LimeSurvey, 10 questions écrites"),
        "{out}"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("G02Q06 : condition"),
        "what is not carried over is said"
    );
    for export in [
        "limesurvey-416283-codes.csv",
        "limesurvey-416283-reponses-completes.csv",
    ] {
        let o = run(&[
            "survey",
            "check",
            "--questionnaire",
            toml.to_str().unwrap(),
            "--responses",
            &file(export),
        ]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(out.contains("40 répondants ; métadonnées laissées de côté, jamais enregistrées : id, submitdate, lastpage, startlanguage, seed, startdate, datestamp"), "{out}");
        assert!(out.contains(": 40 respondents"), "{out}");
    }
    let sps = dir.join("reponses.sps");
    let o = run(&[
        "survey",
        "spss",
        "--questionnaire",
        toml.to_str().unwrap(),
        "--responses",
        &file("limesurvey-416283-codes.csv"),
        "--output",
        sps.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let syntax = std::fs::read_to_string(&sps).unwrap();
    assert!(syntax.contains("DATA LIST FILE='reponses.dat'"), "{syntax}");
    assert_eq!(
        std::fs::read(dir.join("reponses.dat"))
            .unwrap()
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
        40
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn analyze_prints_the_seed_tables() {
    let o = run(&[
        "survey",
        "analyze",
        "--questionnaire",
        "hub-bretagne-2023",
        "--responses",
        &fixture(),
        "--cross",
        "fiche_de_poste,accompagne",
        "--decimal-comma",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("| Non | 22 (12,4 %) | 45 (25,3 %) | 67 (37,6 %) |"),
        "{text}"
    );
    assert!(
        text.contains("| Un espace France services | 101 | 68,2 % |"),
        "{text}"
    );

    let o = run(&[
        "survey",
        "analyze",
        "--questionnaire",
        "hub-bretagne-2023",
        "--responses",
        &fixture(),
        "--filter",
        "accompagne=non",
        "--decimal-comma",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Répondant·e·s : 23."), "{text}");
    assert!(text.contains("| Non | 22 | 95,7 % |"), "{text}");
}

#[test]
fn analyze_json_has_the_documented_fields() {
    let o = run(&[
        "survey",
        "analyze",
        "--questionnaire",
        "hub-bretagne-2023",
        "--responses",
        &fixture(),
        "--by",
        "france_services",
        "--compare",
        "personnes_semaine,poste",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let poste = &report["questions"][0];
    for field in ["id", "type", "n", "missing", "frequencies"] {
        assert!(!poste[field].is_null(), "question lacks {field}");
    }
    let age = report["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "age")
        .unwrap();
    for field in ["mean", "median", "std", "min", "max"] {
        assert!(age[field].is_number(), "age lacks {field}");
    }
    let cross = &report["crosstabs"][0];
    for field in ["rows", "cols", "counts", "chi2", "df", "p", "cramers_v"] {
        assert!(!cross[field].is_null(), "crosstab lacks {field}");
    }
    let comparison = report["comparisons"].as_array().unwrap().last().unwrap();
    assert_eq!(comparison["test"], "anova");
    for field in ["question", "by", "statistic", "df", "p", "groups"] {
        assert!(!comparison[field].is_null(), "comparison lacks {field}");
    }
    for field in ["value", "n", "mean", "std", "letters"] {
        assert!(
            comparison["groups"][0].get(field).is_some(),
            "group lacks {field}"
        );
    }
}

#[test]
fn templates_print_and_check() {
    let o = run(&["survey", "template", "esc-rennes-professionnels"]);
    assert!(o.status.success());
    let dir = std::env::temp_dir().join(format!("passerelle-survey-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("esc.toml");
    std::fs::write(&file, &o.stdout).unwrap();
    let o = run(&["survey", "check", "--questionnaire", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("esc-rennes-professionnels:"));

    let bad = dir.join("bad.csv");
    let text = std::fs::read_to_string(fixture()).unwrap();
    let header = text.lines().next().unwrap();
    // `poste` is the first column.
    let (_, rest) = text.lines().nth(1).unwrap().split_once(',').unwrap();
    let second = format!("astronaute,{rest}");
    std::fs::write(&bad, format!("{header}\n{second}\n")).unwrap();
    let o = run(&[
        "survey",
        "check",
        "--questionnaire",
        "hub-bretagne-2023",
        "--responses",
        bad.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.starts_with("passerelle : erreur : "), "{err}");
    assert!(err.contains("ligne 2, colonne « poste »"), "{err}");
    assert!(
        err.contains("« astronaute » n’est pas un code de réponse"),
        "{err}"
    );

    let book = dir.join("tableaux.xlsx");
    let args = [
        "survey",
        "analyze",
        "--questionnaire",
        "hub-bretagne-2023",
        "--responses",
        &fixture(),
        "--format",
        "xlsx",
    ];
    let o = run(&args);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--output"));
    let o = run(&[&args[..], &["--output", book.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        std::fs::read(&book).unwrap().starts_with(b"PK\x03\x04"),
        "a ZIP archive"
    );

    let o = run(&["survey", "template", "inconnu"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("hub-bretagne-2023"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn publish_collect_and_export_through_the_database() {
    use passerelle_store::Database;
    use passerelle_store::accounts::NewStructure;
    let url = passerelle_store::testing::fresh_database_url().await;
    let db = Database::open(&url).await.unwrap();
    let structure = db
        .create_structure(&NewStructure {
            nom: "Hub Bretagne",
            kind: passerelle_accounts::StructureKind::Association,
            siret: None,
            commune_code: None,
        })
        .await
        .unwrap()
        .unwrap();
    let with_db = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env("DATABASE_URL", &url)
            .env("PASSERELLE_PUBLIC_URL", "https://passerelle.test")
            .output()
            .unwrap()
    };
    let id = structure.to_string();
    let o = with_db(&[
        "survey",
        "publish",
        "--questionnaire",
        "hub-bretagne-2023",
        "--slug",
        "hub-2023",
        "--structure",
        &id,
        "--invitations",
        "2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        text.contains("form https://passerelle.test/enquetes/hub-2023"),
        "{text}"
    );
    let links: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("?invitation="))
        .collect();
    assert_eq!(links.len(), 2);
    let again = with_db(&[
        "survey",
        "publish",
        "--questionnaire",
        "hub-bretagne-2023",
        "--slug",
        "hub-2023",
        "--structure",
        &id,
    ]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("déjà"));

    let survey = db.survey_by_slug("hub-2023").await.unwrap().unwrap();
    let token = links[0].rsplit('=').next().unwrap();
    let cells = [
        ("poste", "referent"),
        ("lieux.pij", "1"),
        ("fiche_de_poste", "non"),
        ("accompagne", "non"),
        ("france_services", "oui"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    db.submit_survey_response(&survey, Some(token), &cells, None)
        .await
        .unwrap()
        .unwrap();
    let o = with_db(&["survey", "responses", "hub-2023"]);
    let csv = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("referent,"));

    // A whole file from elsewhere: refused whole when a row is wrong, else
    // added in one go.
    let dir = std::env::temp_dir().join(format!("passerelle-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    let text = std::fs::read_to_string(fixture()).unwrap();
    std::fs::write(&bad, text.replacen("\nconseiller,", "\nastronaute,", 1)).unwrap();
    let o = with_db(&["survey", "import", "hub-2023", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("colonne « poste »"), "{err}");
    let o = with_db(&[
        "survey",
        "import",
        "hub-2023",
        &fixture(),
        "--day",
        "2023-03-20",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("178 responses added"));
    let o = with_db(&["survey", "responses", "hub-2023"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        1 + 1 + 178
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_wrong_questionnaire_is_refused_in_french_with_its_line_and_field() {
    let dir = std::env::temp_dir().join(format!("passerelle-survey-fr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("faux.toml");
    std::fs::write(&file, "[questionnaire]\ntitre = \"x\"\n").unwrap();
    let out = run(&["survey", "check", "--questionnaire", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("faux.toml : Ligne 1, champ « questionnaire »"),
        "{said}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
