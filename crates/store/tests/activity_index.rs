//! The index of live records: its answers equal a plain count of the
//! records imported, and a server's index follows every write made through
//! another, on the back-end the environment selects.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use passerelle_activities::Activity;
use passerelle_activities::generate::Generator;
use passerelle_activities::model::Where;
use passerelle_activities::stats::{Dim, Key, Question, Territory};
use passerelle_store::Database;
use passerelle_store::activities::{Author, Written};
use passerelle_store::testing::fresh_database_url;

const COMMUNES: [&str; 5] = ["29232", "29019", "35238", "22278", "56260"];

fn records(n: usize, seed: u64) -> Vec<Activity> {
    let mut g = Generator::new(seed, COMMUNES.map(String::from).to_vec(), 2025);
    (0..n).map(|_| g.record()).collect()
}

fn nobody() -> Author {
    Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    }
}

async fn two_servers() -> (Database, Database) {
    let url = fresh_database_url().await;
    let a = Database::open(&url).await.unwrap();
    a.load_bundled_reference().await.unwrap();
    let b = Database::open(&url).await.unwrap();
    (a, b)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Themes × seed age brackets of the records of département `dep` from
/// `from` to `to` that are workshops, counted one by one.
fn plain(
    records: &[Activity],
    dep: &str,
    from: &str,
    to: &str,
) -> BTreeMap<(String, String), (u64, u64)> {
    let mut out: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for a in records {
        let Where::Autre(commune) = &a.place else {
            panic!("generated records name their commune")
        };
        if !commune.starts_with(dep)
            || a.date < day(from)
            || a.date > day(to)
            || a.kind != passerelle_activities::Kind::Atelier
        {
            continue;
        }
        for theme in &a.themes {
            for (bracket, n) in &a.ages {
                let seed = passerelle_activities::vocab::seed_bracket(bracket).unwrap();
                let cell = out.entry((theme.clone(), seed.to_string())).or_default();
                cell.0 += u64::from(*n);
                cell.1 += 1;
            }
        }
    }
    out
}

fn crosstab(dep: &str, from: &str, to: &str) -> Question {
    Question {
        from: day(from),
        to: day(to),
        territory: Territory::Departement(dep.into()),
        filters: vec![(Dim::Type, vec!["atelier".into()])],
        by: vec![Dim::Theme, Dim::Age],
    }
}

fn cells(answer: &passerelle_activities::stats::Answer) -> BTreeMap<(String, String), (u64, u64)> {
    answer
        .cells
        .iter()
        .map(|c| {
            (
                (c.keys[0].code(), c.keys[1].code()),
                (c.people.round() as u64, c.records),
            )
        })
        .collect()
}

#[tokio::test]
async fn day_ranges_and_cross_filters_equal_a_plain_count_of_the_import() {
    let (db, _) = two_servers().await;
    let imported = records(6_000, 5);
    db.import_activities(&imported, nobody()).await.unwrap();
    let live = db.activity_index().await.unwrap();
    assert_eq!(live.index.len(), imported.len());
    for (dep, from, to) in [
        ("29", "2025-03-10", "2025-03-12"),
        ("35", "2025-01-01", "2025-06-30"),
    ] {
        let answer = live.index.answer(&crosstab(dep, from, to)).unwrap();
        let expected = plain(&imported, dep, from, to);
        assert!(!expected.is_empty());
        assert_eq!(cells(&answer), expected, "{dep} {from} {to}");
    }
    // Three days, nothing else.
    let q = Question {
        from: day("2025-03-10"),
        to: day("2025-03-12"),
        territory: Territory::All,
        filters: vec![],
        by: vec![Dim::Jour],
    };
    let answer = live.index.answer(&q).unwrap();
    let in_range = |a: &&Activity| a.date >= day("2025-03-10") && a.date <= day("2025-03-12");
    assert_eq!(
        answer.records,
        imported.iter().filter(in_range).count() as u64
    );
    assert_eq!(
        answer
            .cells
            .iter()
            .map(|c| c.keys[0].clone())
            .collect::<Vec<_>>(),
        ["2025-03-10", "2025-03-11", "2025-03-12"]
            .map(|d| Key::Day(day(d)))
            .to_vec()
    );
}

#[tokio::test]
async fn a_server_sees_every_write_made_through_another_before_answering() {
    let (a, b) = two_servers().await;
    let mut live = b.activity_index().await.unwrap();
    assert!(live.index.is_empty());
    let structure = a
        .create_structure(&passerelle_store::accounts::NewStructure {
            nom: "EPN",
            kind: passerelle_accounts::StructureKind::Association,
            siret: None,
            commune_code: None,
        })
        .await
        .unwrap()
        .unwrap();
    let mediator = a
        .create_person_with_role(
            "m@epn.fr",
            "M",
            None,
            structure,
            passerelle_accounts::Role::Membre,
            &[],
        )
        .await
        .unwrap();
    let author = Author {
        mediator_id: Some(mediator),
        structure_id: Some(structure),
        token_id: None,
    };
    let q = Question {
        from: day("2025-01-01"),
        to: day("2025-12-31"),
        territory: Territory::Region("53".into()),
        filters: vec![],
        by: vec![Dim::Theme, Dim::Mediateur],
    };
    let same = async |live: &mut passerelle_store::activity_index::LiveIndex, what: &str| {
        b.refresh_activity_index(live).await.unwrap();
        let fresh = b.activity_index().await.unwrap();
        assert_eq!(live.index.len(), fresh.index.len(), "{what}");
        assert_eq!(live.index.answer(&q), fresh.index.answer(&q), "{what}");
    };
    a.import_activities(&records(500, 9), nobody())
        .await
        .unwrap();
    same(&mut live, "an import").await;
    let mut mine = records(3, 13);
    let Written::Done(ids) = a
        .record_activities(
            &mine.iter().map(|r| (r.clone(), None)).collect::<Vec<_>>(),
            author,
            |_| None,
        )
        .await
        .unwrap()
    else {
        panic!("recorded")
    };
    same(&mut live, "new records").await;
    let audit = |action: &str| passerelle_store::accounts::AuditEvent {
        action: action.into(),
        actor_person_id: Some(mediator),
        actor_token_id: None,
        structure_id: Some(structure),
        subject: None,
        detail: None,
        ip: None,
    };
    mine[0].themes = vec!["Courriels".into()];
    mine[0].participants = 1;
    a.update_activity(ids[0].0, mediator, &mine[0], &audit("activity.updated"))
        .await
        .unwrap();
    // Changed twice between two refreshes: out as it was, in as it is.
    mine[1].date = day("2025-02-03");
    a.update_activity(ids[1].0, mediator, &mine[1], &audit("activity.updated"))
        .await
        .unwrap();
    mine[1].date = day("2025-02-04");
    a.update_activity(ids[1].0, mediator, &mine[1], &audit("activity.updated"))
        .await
        .unwrap();
    same(&mut live, "changed records").await;
    a.delete_activity(ids[2].0, mediator, &audit("activity.withdrawn"))
        .await
        .unwrap();
    same(&mut live, "a withdrawn record").await;
    assert_eq!(live.index.len(), 502);
    assert_eq!(
        b.refresh_activity_index(&mut live).await.unwrap(),
        0,
        "nothing new"
    );
}
