//! Every statistic against the values SciPy, NumPy and statsmodels give on
//! the same data (`scripts/surveys_reference.py` wrote
//! `reference/reference.json`): 1e-9 relative, as the issue requires.

use passerelle_surveys::dist::{chi2_upper, f_upper, t_two_sided};
use passerelle_surveys::linear::{dummies, manova, ols};
use passerelle_surveys::stats::{
    Moments, anova, chi_square, cohens_d, fisher_exact, lsd, student, summarize, welch,
};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn reference() -> Value {
    serde_json::from_str(include_str!("reference/reference.json")).unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(num).collect()
}

fn counts(v: &Value) -> Vec<Vec<u64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect()
        })
        .collect()
}

#[track_caller]
fn check(what: &str, ours: f64, theirs: f64) {
    let scale = theirs.abs().max(1e-300);
    assert!(
        (ours - theirs).abs() <= TOLERANCE * scale,
        "{what}: ours {ours:e}, reference {theirs:e}, relative error {:e}",
        (ours - theirs).abs() / scale
    );
}

#[test]
fn distribution_tails() {
    let r = reference();
    for case in r["dist"]["t"].as_array().unwrap() {
        let ours = t_two_sided(num(&case["x"]), num(&case["df"]));
        check(&format!("t {case}"), ours, num(&case["p"]));
    }
    for case in r["dist"]["f"].as_array().unwrap() {
        let ours = f_upper(num(&case["x"]), num(&case["d1"]), num(&case["d2"]));
        check(&format!("F {case}"), ours, num(&case["p"]));
    }
    for case in r["dist"]["chi2"].as_array().unwrap() {
        let ours = chi2_upper(num(&case["x"]), num(&case["df"]));
        check(&format!("chi2 {case}"), ours, num(&case["p"]));
    }
}

#[test]
fn summaries() {
    for (i, case) in reference()["summaries"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let s = summarize(&nums(&case["values"])).unwrap();
        for (name, ours) in [
            ("mean", s.mean),
            ("median", s.median),
            ("std", s.std.unwrap()),
            ("min", s.min),
            ("max", s.max),
            ("q1", s.q1),
            ("q3", s.q3),
        ] {
            check(&format!("summary {i} {name}"), ours, num(&case[name]));
        }
    }
}

#[test]
fn chi_square_tests() {
    for (i, case) in reference()["chi_square"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let counts = counts(&case["counts"]);
        let c = chi_square(&counts).unwrap();
        check(
            &format!("chi2 {i} statistic"),
            c.statistic,
            num(&case["statistic"]),
        );
        check(&format!("chi2 {i} p"), c.p, num(&case["p"]));
        check(&format!("chi2 {i} V"), c.cramers_v, num(&case["cramers_v"]));
        assert_eq!(c.df as u64, case["df"].as_u64().unwrap());
        for (row, expected) in c.expected.iter().zip(case["expected"].as_array().unwrap()) {
            for (ours, theirs) in row.iter().zip(nums(expected)) {
                check(&format!("chi2 {i} expected"), *ours, theirs);
            }
        }
    }
}

#[test]
fn fisher_exact_tests() {
    for (i, case) in reference()["fisher"].as_array().unwrap().iter().enumerate() {
        let t = counts(&case["table"]);
        let f = fisher_exact([[t[0][0], t[0][1]], [t[1][0], t[1][1]]]);
        check(&format!("fisher {i} p"), f.p, num(&case["p"]));
        match case["odds_ratio"].as_f64() {
            Some(odds) => check(&format!("fisher {i} odds"), f.odds_ratio, odds),
            None => assert!(!f.odds_ratio.is_finite()),
        }
    }
}

#[test]
fn t_tests_and_effect_size() {
    for (i, case) in reference()["ttests"].as_array().unwrap().iter().enumerate() {
        let (a, b) = (
            Moments::of(&nums(&case["a"])),
            Moments::of(&nums(&case["b"])),
        );
        for (name, test) in [
            ("student", student(a, b).unwrap()),
            ("welch", welch(a, b).unwrap()),
        ] {
            let r = &case[name];
            check(
                &format!("{name} {i} t"),
                test.statistic,
                num(&r["statistic"]),
            );
            check(&format!("{name} {i} df"), test.df, num(&r["df"]));
            check(&format!("{name} {i} p"), test.p, num(&r["p"]));
        }
        check(
            &format!("d {i}"),
            cohens_d(a, b).unwrap(),
            num(&case["cohens_d"]),
        );
    }
}

#[test]
fn anova_and_lsd() {
    for (i, case) in reference()["anovas"].as_array().unwrap().iter().enumerate() {
        let groups: Vec<Moments> = case["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| Moments::of(&nums(g)))
            .collect();
        let a = anova(&groups).unwrap();
        check(
            &format!("anova {i} F"),
            a.statistic,
            num(&case["statistic"]),
        );
        check(&format!("anova {i} p"), a.p, num(&case["p"]));
        check(
            &format!("anova {i} eta2"),
            a.eta_squared,
            num(&case["eta_squared"]),
        );
        assert_eq!(a.df_between as u64, case["df_between"].as_u64().unwrap());
        assert_eq!(a.df_within as u64, case["df_within"].as_u64().unwrap());
        let p = lsd(&groups, &a);
        for (x, row) in case["lsd"].as_array().unwrap().iter().enumerate() {
            for (y, theirs) in row.as_array().unwrap().iter().enumerate() {
                match theirs.as_f64() {
                    Some(t) => check(&format!("lsd {i} {x}-{y}"), p[x][y].unwrap(), t),
                    None => assert_eq!(p[x][y], None),
                }
            }
        }
    }
}

#[test]
fn ols_with_dummy_coded_predictors() {
    let r = &reference()["ols"];
    let text = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let service = text(&r["service"]);
    let formation = text(&r["formation"]);
    let service: Vec<&str> = service.iter().map(String::as_str).collect();
    let formation: Vec<&str> = formation.iter().map(String::as_str).collect();
    let mut columns = vec![("age".to_string(), nums(&r["age"]))];
    columns.extend(dummies("service", &service, &["ccas", "cdas", "cs"]));
    columns.extend(dummies("formation", &formation, &["non", "oui"]));
    let fit = ols(&nums(&r["y"]), &columns).unwrap();
    for (name, ours) in [
        ("coef", &fit.coef),
        ("se", &fit.se),
        ("t", &fit.t),
        ("p", &fit.p),
    ] {
        for (j, (o, t)) in ours.iter().zip(nums(&r[name])).enumerate() {
            check(&format!("ols {name} {}", fit.names[j]), *o, t);
        }
    }
    check("r2", fit.r2, num(&r["r2"]));
    check("adj r2", fit.adj_r2, num(&r["adj_r2"]));
    check("F", fit.f, num(&r["f"]));
    check("F p", fit.f_p, num(&r["f_p"]));
}

#[test]
fn manova_pillai_and_wilks() {
    let r = &reference()["manova"];
    let y: Vec<Vec<f64>> = r["y"].as_array().unwrap().iter().map(nums).collect();
    let group: Vec<usize> = r["group"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_u64().unwrap() as usize)
        .collect();
    let m = manova(&y, &group, 3).unwrap();
    for (name, ours) in [("pillai", m.pillai), ("wilks", m.wilks)] {
        let t = &r[name];
        check(&format!("{name} value"), ours.value, num(&t["value"]));
        check(&format!("{name} F"), ours.f, num(&t["f"]));
        check(&format!("{name} df num"), ours.df_num, num(&t["df_num"]));
        check(&format!("{name} df den"), ours.df_den, num(&t["df_den"]));
        check(&format!("{name} p"), ours.p, num(&t["p"]));
    }
}
