//! The index's answers against a plain count of the same records.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::*;
use crate::generate::Generator;
use crate::model::{Activity, Where};
use crate::stats::{CommuneInfo, Fact, Geography};

fn geography() -> Geography {
    let commune = |code: &str, epci: Option<&str>, dep: &str, reg: &str| CommuneInfo {
        code: code.into(),
        name: format!("Commune {code}"),
        epci: epci.map(|e| (e.into(), format!("EPCI {e}"))),
        departement: (dep.into(), format!("Département {dep}")),
        region: (reg.into(), format!("Région {reg}")),
    };
    Geography::new(vec![
        commune("29232", Some("242900314"), "29", "53"),
        commune("29019", Some("242900314"), "29", "53"),
        commune("35238", Some("243500139"), "35", "53"),
        commune("35047", None, "35", "53"),
        commune("44109", Some("244400404"), "44", "52"),
    ])
}

/// Records with their commune, structure and mediator.
struct Fixture {
    records: Vec<(Activity, Option<String>, i64, i64)>,
    index: Index,
}

fn fixture(n: usize) -> Fixture {
    let communes: Vec<String> = ["29232", "29019", "35238", "35047", "44109", "99999"]
        .map(String::from)
        .to_vec();
    let mut g = Generator::new(11, communes, 2025);
    let records: Vec<_> = (0..n)
        .map(|i| {
            let mut a = g.record();
            if i % 7 == 0 {
                a.place = Where::Lieu(100 + (i % 3) as i64);
            }
            if i % 5 == 0 {
                a.follow_up_code = Some(format!("P{}", i % 40));
            }
            let commune = match &a.place {
                Where::Autre(c) if c != "99999" => Some(c.clone()),
                _ => None,
            };
            (a, commune, 1 + (i % 4) as i64, 10 + (i % 9) as i64)
        })
        .collect();
    let mut index = Index::new(geography());
    for (a, c, s, m) in &records {
        index.add_unsorted(&Fact {
            activity: a,
            commune: c.as_deref(),
            structure: Some(*s),
            mediator: Some(*m),
        });
    }
    index.finish();
    Fixture { records, index }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn question(from: &str, to: &str, t: Territory, filters: &[(Dim, &str)], by: &[Dim]) -> Question {
    Question {
        from: day(from),
        to: day(to),
        territory: t,
        filters: filters
            .iter()
            .map(|(d, v)| (*d, vec![v.to_string()]))
            .collect(),
        by: by.to_vec(),
    }
}

fn in_territory(commune: &Option<String>, t: &Territory) -> bool {
    let Some(c) = commune else {
        return *t == Territory::All;
    };
    match t {
        Territory::All => true,
        Territory::Commune(code) => c == code,
        Territory::Departement(code) => c.starts_with(code.as_str()),
        Territory::Region(code) => (code == "53") != c.starts_with("44"),
        Territory::Epci(code) => match code.as_str() {
            "242900314" => c.starts_with("29"),
            "243500139" => c == "35238",
            _ => c == "44109",
        },
    }
}

/// Per cell (labels), people and records, counted record by record.
fn plain_count(f: &Fixture, q: &Question) -> (BTreeMap<Vec<String>, (u64, u64)>, u64, u64) {
    let mut cells: BTreeMap<Vec<String>, (u64, u64)> = BTreeMap::new();
    let (mut people, mut records) = (0, 0);
    for (a, commune, structure, mediator) in &f.records {
        if a.date < q.from || a.date > q.to || !in_territory(commune, &q.territory) {
            continue;
        }
        let values = |dim: Dim| -> Vec<(String, u64)> {
            let all = u64::from(a.participants);
            match dim {
                Dim::Theme => a.themes.iter().map(|t| (t.clone(), all)).collect(),
                Dim::Type => vec![(a.kind.label().to_string(), all)],
                Dim::Age => a
                    .ages
                    .iter()
                    .map(|(b, n)| (vocab::seed_bracket(b).unwrap().to_string(), u64::from(*n)))
                    .collect(),
                Dim::Statut => a
                    .statuses
                    .iter()
                    .map(|(s, n)| (s.clone(), u64::from(*n)))
                    .collect(),
                Dim::Structure => vec![(structure.to_string(), all)],
                Dim::Mediateur => vec![(mediator.to_string(), all)],
                Dim::Lieu => match a.place {
                    Where::Lieu(id) => vec![(id.to_string(), all)],
                    _ => vec![(String::new(), all)],
                },
                Dim::Mois => vec![(a.date.format("%Y-%m").to_string(), all)],
                Dim::Jour => vec![(a.date.to_string(), all)],
                other => panic!("not counted here: {other:?}"),
            }
        };
        let kept = q.filters.iter().all(|(dim, wanted)| match dim {
            // A bracket of the form, or of the seeds with those inside it.
            Dim::Age => a.ages.iter().any(|(b, _)| {
                wanted
                    .iter()
                    .any(|w| w == b || vocab::seed_bracket(b) == Some(w.as_str()))
            }),
            Dim::Type => wanted.iter().any(|w| {
                w == a.kind.label() || (w == "atelier" && a.kind == crate::model::Kind::Atelier)
            }),
            _ => values(*dim).iter().any(|(v, _)| wanted.contains(v)),
        });
        if !kept {
            continue;
        }
        people += u64::from(a.participants);
        records += 1;
        let mut combos: Vec<(Vec<String>, u64)> = vec![(Vec::new(), u64::from(a.participants))];
        for dim in &q.by {
            combos = combos
                .into_iter()
                .flat_map(|(prefix, n)| {
                    values(*dim).into_iter().map(move |(v, m)| {
                        let mut keys = prefix.clone();
                        keys.push(v);
                        // Every generated record has one age and one
                        // status for all its people: the share is all.
                        (keys, n.min(m))
                    })
                })
                .collect();
        }
        for (keys, n) in combos {
            let cell = cells.entry(keys).or_default();
            cell.0 += n;
            cell.1 += 1;
        }
    }
    (cells, people, records)
}

fn check(f: &Fixture, q: &Question) -> Answer {
    let answer = f.index.answer(q).expect("an answer");
    let (cells, people, records) = plain_count(f, q);
    assert_eq!(answer.records, records, "{q:?}");
    assert!((answer.people - people as f64).abs() < 1e-6, "{q:?}");
    let got: BTreeMap<Vec<String>, (u64, u64)> = answer
        .cells
        .iter()
        .map(|c| {
            (
                c.keys.iter().map(Key::code).collect(),
                (c.people.round() as u64, c.records),
            )
        })
        .collect();
    if !q.by.is_empty() {
        assert_eq!(got, cells, "{q:?}");
    }
    assert!(records > 0, "a question that counts something: {q:?}");
    answer
}

#[test]
fn a_range_of_days_counts_those_days_only() {
    let f = fixture(30_000);
    let q = question(
        "2025-03-10",
        "2025-03-12",
        Territory::All,
        &[],
        &[Dim::Jour],
    );
    let a = check(&f, &q);
    assert_eq!(a.cells.len(), 3);
    check(
        &f,
        &question("2025-03-10", "2025-03-10", Territory::All, &[], &[]),
    );
}

#[test]
fn every_territory_counts_its_communes() {
    let f = fixture(20_000);
    for t in [
        Territory::All,
        Territory::Region("53".into()),
        Territory::Region("52".into()),
        Territory::Departement("35".into()),
        Territory::Epci("242900314".into()),
        Territory::Commune("35047".into()),
    ] {
        check(
            &f,
            &question("2025-02-01", "2025-05-20", t, &[], &[Dim::Theme]),
        );
    }
    assert_eq!(
        f.index
            .answer(&question(
                "2025-01-01",
                "2025-12-31",
                Territory::Departement("01".into()),
                &[],
                &[]
            ))
            .unwrap_err(),
        Refusal::Territory(Territory::Departement("01".into()))
    );
}

#[test]
fn filters_combine_and_two_dimensions_make_a_crosstab() {
    let f = fixture(30_000);
    let dep = Territory::Departement("29".into());
    check(
        &f,
        &question(
            "2025-01-01",
            "2025-06-30",
            dep.clone(),
            &[(Dim::Type, "atelier")],
            &[Dim::Theme, Dim::Age],
        ),
    );
    check(
        &f,
        &question(
            "2025-03-01",
            "2025-09-30",
            Territory::All,
            &[(Dim::Theme, "Démarche en ligne"), (Dim::Age, "60-69 ans")],
            &[Dim::Statut],
        ),
    );
    check(
        &f,
        &question(
            "2025-01-01",
            "2025-12-31",
            dep.clone(),
            &[(Dim::Structure, "2"), (Dim::Mediateur, "13")],
            &[Dim::Mois],
        ),
    );
    check(
        &f,
        &question(
            "2025-01-01",
            "2025-12-31",
            Territory::All,
            &[(Dim::Lieu, "101")],
            &[Dim::Type, Dim::Structure],
        ),
    );
    // A filter on an answered dimension keeps only its values.
    let a = check(
        &f,
        &question(
            "2025-01-01",
            "2025-12-31",
            dep,
            &[(Dim::Age, "60 ans et +")],
            &[Dim::Age, Dim::Theme],
        ),
    );
    assert!(a.cells.iter().all(|c| c.keys[0].code() == "60 ans et +"));
}

#[test]
fn unknown_values_are_refused_by_name() {
    let f = fixture(100);
    let q = question(
        "2025-01-01",
        "2025-12-31",
        Territory::All,
        &[(Dim::Type, "sieste")],
        &[],
    );
    let refusal = f.index.answer(&q).unwrap_err();
    assert_eq!(refusal, Refusal::Value(Dim::Type, "sieste".into()));
    assert!(refusal.to_string().contains("« sieste »"));
    let q = question("2025-02-01", "2025-01-01", Territory::All, &[], &[]);
    assert_eq!(f.index.answer(&q).unwrap_err(), Refusal::Period);
}

#[test]
fn records_added_and_removed_one_by_one_answer_as_if_built_at_once() {
    let f = fixture(3_000);
    let mut one_by_one = Index::new(geography());
    for (a, c, s, m) in &f.records {
        one_by_one.add(&Fact {
            activity: a,
            commune: c.as_deref(),
            structure: Some(*s),
            mediator: Some(*m),
        });
    }
    let q = question(
        "2025-01-01",
        "2025-12-31",
        Territory::All,
        &[],
        &[Dim::Theme, Dim::Mois],
    );
    assert_eq!(one_by_one.answer(&q), f.index.answer(&q));
    let (a, c, s, m) = &f.records[0];
    let fact = Fact {
        activity: a,
        commune: c.as_deref(),
        structure: Some(*s),
        mediator: Some(*m),
    };
    assert!(one_by_one.remove(&fact));
    assert_eq!(one_by_one.len(), f.records.len() - 1);
    let before = f.index.answer(&q).unwrap();
    let after = one_by_one.answer(&q).unwrap();
    assert_eq!(after.records, before.records - 1);
    assert!((before.people - after.people - f64::from(a.participants)).abs() < 1e-6);
}

#[test]
fn follow_up_counts_people_seen_several_times() {
    let f = fixture(2_000);
    let q = question("2025-01-01", "2025-12-31", Territory::All, &[], &[]);
    let follow = f.index.follow_up(&q).unwrap();
    // Codes P0..P39 by structure: i % 5 == 0 gives code i % 40 and
    // structure 1 + i % 4, so 40 codes × their structures seen.
    let mut sessions: BTreeMap<(i64, String), u32> = BTreeMap::new();
    let mut others = 0u64;
    for (a, _, s, _) in &f.records {
        match &a.follow_up_code {
            Some(code) => *sessions.entry((*s, code.clone())).or_default() += 1,
            None => others += u64::from(a.participants),
        }
    }
    assert_eq!(follow.identified, sessions.len() as u64);
    assert_eq!(
        follow.several_sessions,
        sessions.values().filter(|n| **n >= 2).count() as u64
    );
    assert!((follow.persons - (others + sessions.len() as u64) as f64).abs() < 1e-6);
}

#[test]
fn a_big_index_takes_about_forty_bytes_a_record() {
    let f = fixture(50_000);
    let per = f.index.memory() as f64 / f.index.len() as f64;
    assert!(per < 60.0, "{per} bytes a record");
}

#[test]
fn every_cell_of_a_crosstab_keeps_the_small_cell_rule() {
    let f = fixture(400);
    let q = question(
        "2025-01-01",
        "2025-12-31",
        Territory::Commune("35047".into()),
        &[],
        &[Dim::Theme, Dim::Age],
    );
    assert_eq!(q.level(), crate::aggregate::Level::Commune);
    let a = f.index.answer(&q).unwrap();
    let shown = a.protected(q.level());
    assert!(
        a.cells.iter().any(|c| c.people < 5.0),
        "small cells to hide"
    );
    for (c, (people, records)) in a.cells.iter().zip(&shown) {
        if c.people.round() < 5.0 {
            assert_eq!(*people, None, "{c:?}");
        }
        if people.is_none() {
            assert_eq!(*records, None);
        }
    }
    // Ages share out a theme's people: within one theme, never exactly one
    // hidden cell beside shown ones.
    let mut by_theme: BTreeMap<Key, Vec<bool>> = BTreeMap::new();
    for (c, (p, _)) in a.cells.iter().zip(&shown) {
        by_theme
            .entry(c.keys[0].clone())
            .or_default()
            .push(p.is_none());
    }
    for hidden in by_theme.values() {
        let n = hidden.iter().filter(|h| **h).count();
        assert!(n != 1 || hidden.len() == 1, "{hidden:?}");
    }
    // A département's figures are shown whole.
    let q = question(
        "2025-01-01",
        "2025-12-31",
        Territory::Departement("35".into()),
        &[],
        &[Dim::Theme],
    );
    let a = f.index.answer(&q).unwrap();
    assert!(
        a.protected(q.level())
            .iter()
            .all(|(p, r)| p.is_some() && r.is_some())
    );
}
