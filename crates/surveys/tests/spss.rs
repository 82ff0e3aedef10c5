//! The SPSS export run through PSPP: its frequencies and means must be
//! ours. Skipped when `pspp` is absent, unless PASSERELLE_REQUIRE_PSPP is
//! set (scripts/test sets it, and installs Debian's `pspp`).

use std::collections::HashMap;
use std::process::Command;

use passerelle_surveys::analysis::flat_sort;
use passerelle_surveys::limesurvey::{import_lss, read_responses};
use passerelle_surveys::questionnaire::Kind;
use passerelle_surveys::responses::{Responses, read_csv};
use passerelle_surveys::spss::{NO_ANSWER, NOT_ASKED, export, variables};
use passerelle_surveys::{Questionnaire, templates};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/surveys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pspp_available() -> bool {
    let found = Command::new("pspp").arg("--version").output().is_ok();
    if !found && std::env::var_os("PASSERELLE_REQUIRE_PSPP").is_some() {
        panic!("PASSERELLE_REQUIRE_PSPP is set but `pspp` is not installed (Debian package pspp)");
    }
    if !found {
        eprintln!("pspp absent: the SPSS export is not run through PSPP here");
    }
    found
}

/// PSPP's output tables (CSV driver): title → rows.
fn tables(csv: &str) -> HashMap<String, Vec<Vec<String>>> {
    let mut out: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in csv.lines() {
        if let Some(title) = line.strip_prefix("Table: ") {
            current = Some(title.to_string());
            out.insert(title.to_string(), Vec::new());
        } else if line.is_empty() {
            current = None;
        } else if let Some(t) = &current {
            let row: Vec<String> = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_bytes())
                .records()
                .next()
                .and_then(Result::ok)
                .map(|r| r.iter().map(str::to_string).collect())
                .unwrap_or_default();
            out.get_mut(t).unwrap().push(row);
        }
    }
    out
}

fn run_through_pspp(name: &str, q: &Questionnaire, r: &Responses) {
    let dir = std::env::temp_dir().join(format!("passerelle-spss-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = export(q, r, &format!("{name}.dat"));
    std::fs::write(dir.join(format!("{name}.sps")), &files.syntax).unwrap();
    std::fs::write(dir.join(format!("{name}.dat")), &files.data).unwrap();
    let vars = variables(q, r);
    let numeric: Vec<_> = vars.iter().filter(|v| !v.string).collect();
    let mut check = format!("INSERT FILE='{name}.sps'.\nSET TVARS=NAMES TNUMBERS=VALUES.\n");
    check.push_str("FREQUENCIES /VARIABLES=");
    for v in &numeric {
        check.push_str(&format!("\n  {}", v.name));
    }
    check.push_str(".\nCOMPUTE PASSERELLE_TOUS = 1.\nAGGREGATE OUTFILE=* /BREAK=PASSERELLE_TOUS");
    for (i, v) in numeric.iter().enumerate() {
        check.push_str(&format!("\n  /M{i} = MEAN({0}) /N{i} = N({0})", v.name));
    }
    check.push_str(&format!(
        ".\nFORMATS M0 TO M{} (F24.12).\nLIST.\n",
        numeric.len() - 1
    ));
    std::fs::write(dir.join("verification.sps"), &check).unwrap();
    let output = Command::new("pspp")
        .current_dir(&dir)
        .args(["-O", "format=csv", "-o", "sortie.csv", "verification.sps"])
        .output()
        .expect("run pspp");
    let text = std::fs::read_to_string(dir.join("sortie.csv")).unwrap_or_default();
    assert!(
        output.status.success() && !text.contains("error:") && !text.contains("warning:"),
        "PSPP refused {name}.sps:\n{}\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr),
        files.syntax
    );
    let tables = tables(&text);

    // Frequencies: PSPP's valid counts are our counts, value by value.
    let mut frequencies_checked = 0;
    for (qi, question) in q.questions.iter().enumerate() {
        let ours = flat_sort(q, r, qi);
        for v in vars.iter().filter(|v| {
            v.column == question.id || v.column.starts_with(&format!("{}.", question.id))
        }) {
            if v.string {
                continue;
            }
            let table = &tables[&v.name];
            let mut pspp: HashMap<i64, usize> = HashMap::new();
            let mut missing: HashMap<i64, usize> = HashMap::new();
            let mut in_missing = false;
            for row in table.iter().skip(1) {
                match row.first().map(String::as_str) {
                    Some("Missing") => in_missing = true,
                    Some("Total") => break,
                    _ => {}
                }
                if row.len() < 3 || row[1].is_empty() {
                    continue;
                }
                let value: i64 = row[1].parse::<f64>().unwrap() as i64;
                let count: usize = row[2].parse().unwrap();
                if in_missing {
                    missing.insert(value, count);
                } else {
                    pspp.insert(value, count);
                }
            }
            let pspp_missing = missing.get(&NO_ANSWER).copied().unwrap_or(0);
            let pspp_not_asked = missing.get(&NOT_ASKED).copied().unwrap_or(0);
            match &question.kind {
                Kind::Single { .. } => {
                    for f in ours.frequencies.as_ref().unwrap() {
                        let value = v
                            .value_labels
                            .iter()
                            .find(|(_, l)| *l == f.value)
                            .unwrap()
                            .0;
                        assert_eq!(
                            pspp.get(&value).copied().unwrap_or(0),
                            f.count,
                            "{}={}",
                            v.name,
                            f.value
                        );
                        frequencies_checked += 1;
                    }
                    assert_eq!(
                        (pspp_missing, pspp_not_asked),
                        (ours.missing, ours.not_shown),
                        "{}",
                        v.name
                    );
                }
                Kind::Multiple { .. } => {
                    let code = v.column.split_once('.').unwrap().1;
                    let f = ours
                        .frequencies
                        .as_ref()
                        .unwrap()
                        .iter()
                        .find(|f| f.code == code)
                        .unwrap();
                    assert_eq!(pspp.get(&1).copied().unwrap_or(0), f.count, "{}", v.name);
                    assert_eq!(pspp.values().sum::<usize>(), ours.n, "{}", v.name);
                    assert_eq!(
                        (pspp_missing, pspp_not_asked),
                        (ours.missing, ours.not_shown),
                        "{}",
                        v.name
                    );
                    frequencies_checked += 1;
                }
                Kind::Scale(_) => {
                    for f in ours.frequencies.as_ref().unwrap() {
                        let value: i64 = f.code.parse().unwrap();
                        assert_eq!(
                            pspp.get(&value).copied().unwrap_or(0),
                            f.count,
                            "{}={}",
                            v.name,
                            f.code
                        );
                        frequencies_checked += 1;
                    }
                }
                _ => {}
            }
        }
    }

    // Means and counts of every numeric variable.
    let list = &tables["Data List"];
    let header = &list[0];
    let row = &list[1];
    let cell = |name: &str| -> Option<f64> {
        let i = header.iter().position(|h| h == name)?;
        row[i].trim().parse().ok()
    };
    let mut means_checked = 0;
    for (i, v) in numeric.iter().enumerate() {
        let (qid, part) = match v.column.split_once('.') {
            Some((q, p)) => (q, Some(p)),
            None => (v.column.as_str(), None),
        };
        let qi = q.index_of(qid).unwrap();
        let ours = flat_sort(q, r, qi);
        let (n, mean) = match (&q.questions[qi].kind, part) {
            (Kind::Grid { .. }, Some(item)) => {
                let it = ours
                    .items
                    .as_ref()
                    .unwrap()
                    .iter()
                    .find(|t| t.id == format!("{qid}.{item}"))
                    .unwrap();
                (it.n, it.summary.as_ref().map(|s| s.mean))
            }
            (Kind::Scale(_) | Kind::Integer { .. } | Kind::Decimal { .. }, None) => {
                (ours.n, ours.summary.as_ref().map(|s| s.mean))
            }
            _ => continue,
        };
        assert_eq!(
            cell(&format!("N{i}")).unwrap() as usize,
            n,
            "N of {}",
            v.name
        );
        match mean {
            Some(m) => {
                let theirs = cell(&format!("M{i}")).unwrap();
                assert!(
                    (theirs - m).abs() <= 1e-9 * m.abs().max(1.0),
                    "mean of {}: PSPP {theirs}, ours {m}",
                    v.name
                );
                means_checked += 1;
            }
            None => assert!(cell(&format!("M{i}")).is_none(), "{}", v.name),
        }
    }
    eprintln!(
        "{name}: {} variables, {frequencies_checked} frequencies and {means_checked} means equal in PSPP",
        vars.len()
    );
    assert!(frequencies_checked > 0);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn pspp_reads_the_hub_2023_export_and_finds_our_figures() {
    if !pspp_available() {
        return;
    }
    let q = templates::load("hub-bretagne-2023").unwrap().unwrap();
    let r = read_csv(&q, fixture("hub-bretagne-2023.csv").as_slice(), "hub").unwrap();
    run_through_pspp("hub-bretagne-2023", &q, &r);
}

#[test]
fn pspp_reads_the_esc_export_and_finds_our_figures() {
    if !pspp_available() {
        return;
    }
    let q = templates::load("esc-rennes-professionnels")
        .unwrap()
        .unwrap();
    let r = read_csv(
        &q,
        fixture("esc-rennes-professionnels.csv").as_slice(),
        "esc",
    )
    .unwrap();
    run_through_pspp("esc", &q, &r);
}

#[test]
fn pspp_reads_the_limesurvey_pair_export() {
    if !pspp_available() {
        return;
    }
    let xml = String::from_utf8(fixture("limesurvey-416283.lss")).unwrap();
    let q = import_lss(&xml, "x.lss", None).unwrap().questionnaire;
    let (r, _) = read_responses(&q, &fixture("limesurvey-416283-codes.csv"), "codes").unwrap();
    run_through_pspp("limesurvey", &q, &r);
}

#[test]
fn the_syntax_has_every_part_and_the_data_fixed_columns() {
    let q = templates::load("hub-bretagne-2023").unwrap().unwrap();
    let r = read_csv(&q, fixture("hub-bretagne-2023.csv").as_slice(), "hub").unwrap();
    let files = export(&q, &r, "hub.dat");
    for part in [
        "DATA LIST FILE='hub.dat' ENCODING='UTF8' FIXED RECORDS=1",
        "VARIABLE LABELS",
        "VALUE LABELS",
        "MISSING VALUES",
        "(-1, -2).",
        "VARIABLE LEVEL",
    ] {
        assert!(files.syntax.contains(part), "{part}");
    }
    let lines: Vec<&[u8]> = files
        .data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 178);
    assert!(
        lines.iter().all(|l| l.len() == lines[0].len()),
        "fixed width in bytes"
    );
}
