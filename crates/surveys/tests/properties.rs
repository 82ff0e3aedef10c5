//! Properties of the analysis: the order of respondents changes nothing; a
//! constant scale has a standard deviation of 0 and gets no test; empty
//! groups are reported, not crashed on.

use passerelle_surveys::Questionnaire;
use passerelle_surveys::analysis::{Options, analyze};
use passerelle_surveys::render::{NumberFormat, markdown};
use passerelle_surveys::responses::read_csv;
use passerelle_surveys::templates;
use serde_json::Value;

const FIXTURE: &str = include_str!("../../../tests/fixtures/surveys/hub-bretagne-2023.csv");

fn options() -> Options {
    Options {
        by: Some("france_services".into()),
        cross: vec![("poste".into(), "lieux.efs".into())],
        compare: vec![("personnes_semaine".into(), "poste".into())],
        ..Options::default()
    }
}

/// Same numbers up to the last bits (sums depend on the order of terms).
fn same(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                "{path}: {x} vs {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                same(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (k, v) in x {
                same(v, &y[k], &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn permuting_respondents_changes_nothing() {
    let q = templates::load("hub-bretagne-2023").unwrap().unwrap();
    let baseline = analyze(
        &q,
        &read_csv(&q, FIXTURE.as_bytes(), "f").unwrap(),
        &options(),
    )
    .unwrap();
    assert!(!baseline.comparisons.is_empty() && !baseline.crosstabs.is_empty());
    let baseline = serde_json::to_value(&baseline).unwrap();
    let (header, body) = FIXTURE.split_once('\n').unwrap();
    let lines: Vec<&str> = body.lines().collect();
    let mut state = 7u64;
    for _ in 0..10 {
        let mut shuffled = lines.clone();
        for i in (1..shuffled.len()).rev() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let text = format!("{header}\n{}\n", shuffled.join("\n"));
        let report = analyze(&q, &read_csv(&q, text.as_bytes(), "f").unwrap(), &options()).unwrap();
        same(&serde_json::to_value(&report).unwrap(), &baseline, "report");
    }
}

const SMALL: &str = r#"id = "petit"
title = "Petit"

[[questions]]
id = "service"
type = "single"
text = "Service"
options = [{ code = "ccas", label = "CCAS" }, { code = "cdas", label = "CDAS" }, { code = "cs", label = "Centre social" }, { code = "caf", label = "CAF" }]

[[questions]]
id = "aise"
type = "scale"
text = "À l'aise"
min = 1
max = 8

[[questions]]
id = "sms"
type = "scale"
text = "SMS"
min = 1
max = 8
"#;

#[test]
fn constant_scale_has_zero_spread_and_no_test_and_empty_groups_are_reported() {
    let q = Questionnaire::parse(SMALL, "petit.toml").unwrap();
    let csv = "service,aise,sms\nccas,5,2\nccas,5,3\ncdas,5,6\ncdas,5,7\ncs,5,4\ncs,5,5\n";
    let r = read_csv(&q, csv.as_bytes(), "petit.csv").unwrap();
    let report = analyze(
        &q,
        &r,
        &Options {
            by: Some("service".into()),
            ..Options::default()
        },
    )
    .unwrap();
    let aise = &report.questions[1];
    assert_eq!(aise.summary.as_ref().unwrap().std, Some(0.0));
    let constant = report
        .comparisons
        .iter()
        .find(|c| c.question == "aise")
        .unwrap();
    assert_eq!(
        (constant.test, constant.statistic, constant.p),
        (None, None, None)
    );
    assert!(constant.note.as_ref().unwrap().contains("aucune variance"));
    let sms = report
        .comparisons
        .iter()
        .find(|c| c.question == "sms")
        .unwrap();
    assert_eq!(sms.test, Some("anova"));
    assert_eq!(
        sms.df,
        vec![2.0, 3.0],
        "the empty CAF group is left out of the test"
    );
    let caf = &sms.groups[3];
    assert_eq!((caf.n, caf.mean, caf.letters.as_str()), (0, None, ""));
    assert!(sms.note.as_ref().unwrap().contains("groupes vides : CAF"));
    // Rendering copes with all of it.
    let md = markdown(&report, &NumberFormat::default());
    assert!(md.contains("| CAF | 0 | – | – |  |"), "{md}");
}

#[test]
fn two_groups_give_student_and_welch_and_no_answers_give_no_test() {
    let q = Questionnaire::parse(SMALL, "petit.toml").unwrap();
    let csv = "service,aise,sms\nccas,5,2\nccas,6,3\nccas,7,3\ncdas,5,6\ncdas,3,7\ncdas,4,8\n";
    let r = read_csv(&q, csv.as_bytes(), "petit.csv").unwrap();
    let report = analyze(
        &q,
        &r,
        &Options {
            by: Some("service".into()),
            ..Options::default()
        },
    )
    .unwrap();
    let sms = report
        .comparisons
        .iter()
        .find(|c| c.question == "sms")
        .unwrap();
    assert_eq!(sms.test, Some("t"));
    assert!(sms.welch.is_some() && sms.cohens_d.unwrap() < 0.0);
    assert_eq!(sms.mark, Some("significatif"));
    assert_eq!(
        (
            sms.groups[0].letters.as_str(),
            sms.groups[1].letters.as_str()
        ),
        ("a", "b")
    );

    let empty = read_csv(&q, "service,aise,sms\n".as_bytes(), "vide.csv").unwrap();
    let report = analyze(
        &q,
        &empty,
        &Options {
            by: Some("service".into()),
            cross: vec![("service".into(), "aise".into())],
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(report.questions[1].n, 0);
    assert!(report.comparisons.iter().all(|c| c.test.is_none()));
    assert!(
        report
            .crosstabs
            .iter()
            .all(|c| c.chi2.is_none() && c.warning.is_some())
    );
    markdown(&report, &NumberFormat::default());
}

#[test]
fn regression_and_manova_leave_out_missing_answers_and_absent_levels() {
    let q = templates::load("hub-bretagne-2023").unwrap().unwrap();
    let r = read_csv(&q, FIXTURE.as_bytes(), "f").unwrap();
    let options = Options {
        regress: vec![(
            "personnes_semaine".into(),
            vec!["lieux.efs".into(), "age".into(), "poste".into()],
        )],
        manova: vec![(
            vec![
                "sites_web.caf".into(),
                "sites_web.cpam".into(),
                "sites_web.interieur".into(),
            ],
            "poste".into(),
        )],
        ..Options::default()
    };
    let report = analyze(&q, &r, &options).unwrap();
    let reg = &report.regressions[0];
    let fit = reg.fit.as_ref().unwrap();
    assert_eq!(
        (fit.n, reg.missing),
        (155, 23),
        "only those who accompany answered"
    );
    // Intercept, EFS yes, age, and 4 of the 5 posts: "Autre" is absent and
    // the first present post is the reference.
    assert_eq!(fit.names.len(), 7, "{:?}", fit.names);
    assert_eq!(
        reg.references,
        ["lieux.efs=Non", "poste=Conseiller-ère numérique"]
    );
    let m = &report.manovas[0];
    assert_eq!(m.n, 155);
    let pillai = m.pillai.unwrap();
    assert_eq!(
        (pillai.df_num, m.groups[5].n),
        (12.0, 0),
        "three variables × four contrasts"
    );
    assert!(pillai.p > 0.0 && pillai.p < 1.0);
}

#[test]
fn a_subgroup_is_analysed_as_its_own_file() {
    let q = templates::load("hub-bretagne-2023").unwrap().unwrap();
    let r = read_csv(&q, FIXTURE.as_bytes(), "f").unwrap();
    let ne_font_pas = passerelle_surveys::analysis::subgroup(&q, &r, "accompagne", "non").unwrap();
    assert_eq!(ne_font_pas.respondents, 23);
    let report = analyze(&q, &ne_font_pas, &Options::default()).unwrap();
    let fiche = report
        .questions
        .iter()
        .find(|t| t.id == "fiche_de_poste")
        .unwrap();
    let counts: Vec<usize> = fiche
        .frequencies
        .as_ref()
        .unwrap()
        .iter()
        .map(|f| f.count)
        .collect();
    assert_eq!(counts, [22, 1], "tableau 3's first column");
    let efs = passerelle_surveys::analysis::subgroup(&q, &r, "lieux.efs", "oui").unwrap();
    assert_eq!(efs.respondents, 31);
    assert!(passerelle_surveys::analysis::subgroup(&q, &r, "accompagne", "peut-etre").is_err());
}
