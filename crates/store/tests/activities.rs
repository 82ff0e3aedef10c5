//! Activités storage, on the back-end the environment selects.

use chrono::NaiveDate;
use passerelle_activities::model::{Activity, Kind, Where};
use passerelle_store::activities::{
    Author, ImportOutcome, Incoming, StatsQuery, Territory, Written,
};
use passerelle_store::testing::bretagne_database;

fn record(kind: Kind, participants: u32, commune: &str, theme: &str) -> Activity {
    Activity {
        kind,
        date: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
        duration_minutes: if kind == Kind::Atelier { 120 } else { 30 },
        place: Where::Autre(commune.into()),
        workshop_title: (kind == Kind::Atelier).then(|| "Découvrir sa tablette".into()),
        level: (kind == Kind::Atelier).then(|| "débutant".into()),
        participants,
        ages: vec![],
        statuses: vec![],
        residence_commune: None,
        follow_up_code: None,
        themes: vec![theme.into()],
        organisation: (kind == Kind::Demarche).then(|| "CAF".into()),
        kinds_of_help: if kind == Kind::Demarche {
            vec!["Remplissage d'un formulaire".into()]
        } else {
            vec![]
        },
        autonomy: None,
        equipment: None,
        orientation: None,
        returning: 0,
    }
}

fn query(dimension: &'static str, territory: Territory) -> StatsQuery {
    StatsQuery {
        dimension,
        territory,
        from: "2026-01".into(),
        to: "2026-12".into(),
        structure_id: None,
        scope: passerelle_accounts::policy::FiguresScope::Everything,
    }
}

#[tokio::test]
async fn roll_ups_count_people_and_records_at_every_scale() {
    let db = bretagne_database().await;
    let author = Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    };
    db.record_activity(
        &record(Kind::Demarche, 1, "29232", "Démarche en ligne"),
        author,
        None,
    )
    .await
    .unwrap();
    db.record_activity(
        &record(Kind::Atelier, 8, "29019", "Courriels"),
        author,
        None,
    )
    .await
    .unwrap();
    db.record_activity(
        &record(Kind::Individuel, 1, "35238", "Courriels"),
        author,
        None,
    )
    .await
    .unwrap();

    let themes = db
        .activity_stats(&query("theme", Territory::All))
        .await
        .unwrap();
    let courriels = themes.iter().find(|r| r.value == "Courriels").unwrap();
    assert_eq!(
        (courriels.people, courriels.records),
        (9, 2),
        "a workshop of 8 counts 8 people, 1 record"
    );
    let finistere = db
        .activity_stats(&query("theme", Territory::Departement("29".into())))
        .await
        .unwrap();
    assert_eq!(finistere.iter().map(|r| r.people).sum::<i64>(), 9);
    let bretagne = db
        .activity_stats(&query("total", Territory::Region("53".into())))
        .await
        .unwrap();
    assert_eq!((bretagne[0].people, bretagne[0].records), (10, 3));
    let qbo = db
        .activity_stats(&query("theme", Territory::Epci("200068120".into())))
        .await
        .unwrap();
    assert_eq!(qbo.len(), 1);
    assert_eq!(qbo[0].value, "Démarche en ligne");
    let org = db
        .activity_stats(&query("organisation", Territory::Commune("29232".into())))
        .await
        .unwrap();
    assert_eq!(org[0].value, "CAF");
    let outside = StatsQuery {
        from: "2025-01".into(),
        to: "2025-12".into(),
        ..query("theme", Territory::All)
    };
    assert!(
        db.activity_stats(&outside).await.unwrap().is_empty(),
        "period filter"
    );
}

#[tokio::test]
async fn a_retried_request_never_creates_a_second_record() {
    let db = bretagne_database().await;
    let author = Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    };
    let a = record(Kind::Individuel, 1, "29232", "Courriels");
    let (first, created) = db
        .record_activity(&a, author, Some("key-1"))
        .await
        .unwrap()
        .done()
        .unwrap();
    let (again, created_again) = db
        .record_activity(&a, author, Some("key-1"))
        .await
        .unwrap()
        .done()
        .unwrap();
    assert!(created && !created_again);
    assert_eq!(first, again);
    let total = db
        .activity_stats(&query("total", Territory::All))
        .await
        .unwrap();
    assert_eq!(total[0].records, 1);
}

#[tokio::test]
async fn withdrawing_a_record_takes_it_out_of_the_counts() {
    let db = bretagne_database().await;
    let structure = db
        .create_structure(&passerelle_store::accounts::NewStructure {
            nom: "EPN",
            kind: passerelle_accounts::StructureKind::Association,
            siret: None,
            commune_code: None,
        })
        .await
        .unwrap()
        .unwrap();
    let mediator = db
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
    let (id, _) = db
        .record_activity(
            &record(Kind::Atelier, 5, "29232", "Bureautique"),
            author,
            None,
        )
        .await
        .unwrap()
        .done()
        .unwrap();
    assert_eq!(db.activities_of(mediator, 10).await.unwrap().len(), 1);
    let mine = StatsQuery {
        scope: passerelle_accounts::policy::FiguresScope::Person(mediator),
        ..query("theme", Territory::All)
    };
    assert_eq!(db.activity_stats(&mine).await.unwrap()[0].people, 5);
    let audit = passerelle_store::accounts::AuditEvent {
        action: "activity.withdrawn".into(),
        actor_person_id: Some(mediator),
        actor_token_id: None,
        structure_id: Some(structure),
        subject: Some(format!("activité {id}")),
        detail: None,
        ip: None,
    };
    let withdrawn = || async {
        db.audit_events(Some("activity.withdrawn"), 10)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(
        db.delete_activity(id, mediator + 1, &audit).await.unwrap(),
        Written::Missing,
        "only one's own"
    );
    assert_eq!(withdrawn().await, 0, "nothing withdrawn, nothing audited");
    assert_eq!(
        db.delete_activity(id, mediator, &audit).await.unwrap(),
        Written::Done(())
    );
    assert_eq!(withdrawn().await, 1, "the audit line with the change");
    assert!(db.activity_stats(&mine).await.unwrap().is_empty());
    assert!(db.activities_of(mediator, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_bundled_cra_figures_are_a_separate_source() {
    let db = bretagne_database().await;
    let rows = passerelle_activities::cra::bundled();
    let rows: Vec<(String, &str, &str, i64)> = rows.into_iter().collect();
    db.load_activity_aggregates(
        passerelle_activities::cra::SOURCE,
        passerelle_activities::cra::AS_OF,
        &rows,
    )
    .await
    .unwrap();
    let (ages, as_of) = db
        .aggregate_stats(passerelle_activities::cra::SOURCE, "age", Some("35"))
        .await
        .unwrap();
    assert_eq!(as_of.as_deref(), Some("2023-07-17"));
    assert_eq!(ages.len(), 5);
    let (all, _) = db
        .aggregate_stats(passerelle_activities::cra::SOURCE, "age", None)
        .await
        .unwrap();
    assert!(all.iter().map(|r| r.1).sum::<i64>() > ages.iter().map(|r| r.1).sum::<i64>());
    // Not mixed with records.
    assert!(
        db.activity_stats(&query("age", Territory::All))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn bulk_import_counts_like_single_records() {
    let single = bretagne_database().await;
    let bulk = bretagne_database().await;
    let author = Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    };
    let records = vec![
        record(Kind::Demarche, 1, "29232", "Démarche en ligne"),
        record(Kind::Atelier, 8, "29019", "Courriels"),
        record(Kind::Atelier, 6, "29019", "Courriels"),
        record(Kind::Individuel, 1, "35238", "Courriels"),
    ];
    for r in &records {
        single.record_activity(r, author, None).await.unwrap();
    }
    assert_eq!(bulk.import_activities(&records, author).await.unwrap(), 4);
    for dimension in ["total", "theme", "type", "duree", "organisation"] {
        for territory in [
            Territory::All,
            Territory::Departement("29".into()),
            Territory::Commune("29019".into()),
        ] {
            let q = query(dimension, territory);
            assert_eq!(
                single.activity_stats(&q).await.unwrap(),
                bulk.activity_stats(&q).await.unwrap(),
                "{dimension}"
            );
        }
    }
}

/// Imports records with their keys and fingerprints, in chunks of two.
async fn import_keyed(
    db: &passerelle_store::Database,
    items: &[(Activity, Option<&str>, Option<&str>)],
) -> ImportOutcome {
    import_in_chunks(db, items, 2).await
}

async fn import_in_chunks(
    db: &passerelle_store::Database,
    items: &[(Activity, Option<&str>, Option<&str>)],
    size: usize,
) -> ImportOutcome {
    let mut chunks = items
        .chunks(size)
        .map(|c| {
            c.iter()
                .map(|(a, key, twin)| {
                    Incoming::new(a.clone(), key.map(str::to_string), twin.map(str::to_string))
                })
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .into_iter();
    db.import_activity_chunks(
        &mut || Ok(chunks.next()),
        Author {
            mediator_id: None,
            structure_id: None,
            token_id: None,
        },
        "test.csv",
    )
    .await
    .unwrap()
    .expect("not abandoned")
}

async fn people(db: &passerelle_store::Database, territory: Territory) -> i64 {
    db.activity_stats(&query("total", territory))
        .await
        .unwrap()
        .first()
        .map_or(0, |r| r.people)
}

#[tokio::test]
async fn importing_a_file_again_never_duplicates() {
    let db = bretagne_database().await;
    let workshop = record(Kind::Atelier, 8, "29019", "Courriels");
    let file = vec![
        (workshop.clone(), Some("coop:a"), None),
        (
            record(Kind::Individuel, 1, "29232", "Courriels"),
            Some("coop:b"),
            None,
        ),
        (
            record(Kind::Individuel, 1, "35238", "Courriels"),
            Some("coop:c"),
            None,
        ),
    ];
    let first = import_keyed(&db, &file).await;
    assert_eq!((first.added, first.unchanged), (3, 0));
    assert_eq!(people(&db, Territory::All).await, 10);
    // The same file: nothing changes.
    let again = import_keyed(&db, &file).await;
    assert_eq!(
        again,
        ImportOutcome {
            unchanged: 3,
            ..ImportOutcome::default()
        }
    );
    assert_eq!(people(&db, Territory::All).await, 10);
    // An overlapping file where the workshop has grown and moved, with a
    // new record and one given twice.
    let mut grown = workshop.clone();
    grown.participants = 12;
    grown.place = Where::Autre("35238".into());
    let overlapping = vec![
        (grown, Some("coop:a"), None),
        (
            record(Kind::Individuel, 1, "29232", "Courriels"),
            Some("coop:b"),
            None,
        ),
        (
            record(Kind::Individuel, 1, "29232", "Courriels"),
            Some("coop:d"),
            None,
        ),
        (
            record(Kind::Individuel, 1, "29232", "Courriels"),
            Some("coop:d"),
            None,
        ),
    ];
    let outcome = import_keyed(&db, &overlapping).await;
    assert_eq!(
        outcome,
        ImportOutcome {
            added: 1,
            updated: 1,
            unchanged: 1,
            repeated: 1,
            twins: 0,
        }
    );
    assert_eq!(people(&db, Territory::All).await, 15, "12 + 1 + 1 + 1");
    assert_eq!(
        people(&db, Territory::Commune("29019".into())).await,
        0,
        "the old workshop left Brest's roll-ups"
    );
    assert_eq!(people(&db, Territory::Commune("35238".into())).await, 13);
    // Records without keys (Passerelle's own CSV) are added each time.
    let plain = vec![(
        record(Kind::Individuel, 1, "29232", "Courriels"),
        None,
        None,
    )];
    assert_eq!(import_keyed(&db, &plain).await.added, 1);
    assert_eq!(import_keyed(&db, &plain).await.added, 1);
}

#[tokio::test]
async fn a_cra_v1_report_and_its_copy_in_the_coop_count_once() {
    for coop_first in [true, false] {
        let db = bretagne_database().await;
        let twin = "cra-v1|2023-03-16|2023-03-20T16:08|collectif|3|120";
        let twin_other = "cra-v1|2023-03-16|2023-03-20T16:08|individuel|1|45";
        let workshop = record(Kind::Atelier, 3, "29232", "Démarche en ligne");
        let one = record(Kind::Individuel, 1, "29232", "Démarche en ligne");
        // Two identical v1 workshops entered in the same minute, one
        // individual; the Coop's export has copies of all three.
        let v1 = vec![
            (workshop.clone(), Some("cra-v1:1"), Some(twin)),
            (workshop.clone(), Some("cra-v1:2"), Some(twin)),
            (one.clone(), Some("cra-v1:3"), Some(twin_other)),
        ];
        let coop = vec![
            (workshop.clone(), Some("coop:x"), Some(twin)),
            (workshop.clone(), Some("coop:y"), Some(twin)),
            (one.clone(), Some("coop:z"), Some(twin_other)),
            (workshop.clone(), Some("coop:w"), None),
        ];
        let (a, b) = if coop_first {
            (&coop, &v1)
        } else {
            (&v1, &coop)
        };
        let first = import_keyed(&db, a).await;
        assert_eq!(first.twins, 0);
        let second = import_keyed(&db, b).await;
        assert_eq!(second.twins, 3, "coop first: {coop_first}");
        assert_eq!(second.added, if coop_first { 0 } else { 1 });
        // 3 + 3 + 1 from the pairs, and the Coop's own workshop.
        assert_eq!(
            people(&db, Territory::All).await,
            10,
            "coop first: {coop_first}"
        );
        // Imported again, in any order: still once.
        for file in [a, b, a] {
            let again = import_keyed(&db, file).await;
            assert_eq!((again.added, again.twins), (0, 0));
        }
        assert_eq!(people(&db, Territory::All).await, 10);
    }
}

/// Many reports with one fingerprint (a conseiller entering a batch in one
/// minute): paired one to one even when they fill several look-ups.
#[tokio::test]
async fn many_twins_pair_one_to_one() {
    let db = bretagne_database().await;
    let twin = Some("cra-v1|2023-03-16|2023-03-20T16:08|individuel|1|45");
    let one = record(Kind::Individuel, 1, "29232", "Courriels");
    let v1_keys: Vec<String> = (0..600).map(|i| format!("cra-v1:{i}")).collect();
    let coop_keys: Vec<String> = (0..601).map(|i| format!("coop:{i}")).collect();
    let v1: Vec<_> = v1_keys
        .iter()
        .map(|k| (one.clone(), Some(k.as_str()), twin))
        .collect();
    let coop: Vec<_> = coop_keys
        .iter()
        .map(|k| (one.clone(), Some(k.as_str()), twin))
        .collect();
    assert_eq!(import_in_chunks(&db, &v1, 1000).await.added, 600);
    let outcome = import_in_chunks(&db, &coop, 1000).await;
    assert_eq!((outcome.twins, outcome.added), (600, 1));
    assert_eq!(people(&db, Territory::All).await, 601);
}

/// The bulk writer (COPY on PostgreSQL, multi-row INSERTs on SQLite)
/// keeps every character of a record, those that separate values and
/// rows in COPY's text format included.
#[tokio::test]
async fn bulk_import_keeps_tabs_newlines_and_backslashes() {
    use sqlx::Row;
    let db = bretagne_database().await;
    let mut a = record(Kind::Atelier, 5, "29019", "Courriels");
    a.workshop_title = Some("Tab\there,\nnew line, back\\slash \\N and \r\n".into());
    let b = record(Kind::Individuel, 1, "35238", "Démarche en ligne");
    let author = Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    };
    assert_eq!(
        db.import_activities(&[a.clone(), b.clone()], author)
            .await
            .unwrap(),
        2
    );
    let rows = sqlx::query("SELECT data, commune_code, place_id FROM activities ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let stored: Vec<Activity> = rows
        .iter()
        .map(|r| serde_json::from_str(&r.try_get::<String, _>("data").unwrap()).unwrap())
        .collect();
    assert_eq!(stored, vec![a, b]);
    assert_eq!(
        rows[0]
            .try_get::<Option<String>, _>("commune_code")
            .unwrap(),
        Some("29019".to_string())
    );
    assert_eq!(rows[0].try_get::<Option<i64>, _>("place_id").unwrap(), None);
}

/// An import that fails while writing (here a place that the directory
/// does not have, refused by its foreign key) leaves nothing: no record,
/// no roll-up, and on PostgreSQL no work table of the COPY.
#[tokio::test]
async fn a_bulk_import_failing_while_writing_leaves_nothing() {
    let db = bretagne_database().await;
    let good = record(Kind::Individuel, 1, "35238", "Courriels");
    let mut bad = good.clone();
    bad.place = Where::Lieu(987_654);
    let mut chunks = vec![
        vec![Incoming::from(good.clone()), Incoming::from(good)],
        vec![Incoming::from(bad)],
    ]
    .into_iter();
    let author = Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    };
    assert!(
        db.import_activity_chunks(&mut || Ok(chunks.next()), author, "bad.csv")
            .await
            .is_err()
    );
    nothing_written(&db).await;
}

/// On SQLite an import writes on a connection of its own with foreign keys
/// off (they would make SQLite journal every multi-row statement): that
/// connection never goes back to the pool. With a pool of one, the
/// connection used after an import, a failed one or an abandoned one is a
/// new one, and refuses a record naming a place the directory does not
/// have.
#[tokio::test]
async fn an_import_leaves_no_connection_without_foreign_keys() {
    let url = passerelle_store::testing::fresh_database_url().await;
    let db = passerelle_store::Database::open_with_connections(&url, 1)
        .await
        .unwrap();
    db.load_bundled_reference().await.unwrap();
    let author = Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    };
    let good = record(Kind::Individuel, 1, "35238", "Courriels");
    let mut bad = good.clone();
    bad.place = Where::Lieu(987_654);
    let mut ok = vec![vec![Incoming::from(good.clone())]].into_iter();
    db.import_activity_chunks(&mut || Ok(ok.next()), author, "a.csv")
        .await
        .unwrap()
        .unwrap();
    let mut failing = vec![vec![Incoming::from(bad.clone())]].into_iter();
    assert!(
        db.import_activity_chunks(&mut || Ok(failing.next()), author, "b.csv")
            .await
            .is_err()
    );
    assert_eq!(
        db.import_activity_chunks(
            &mut || Err(passerelle_store::activities::Abandon),
            author,
            "c.csv"
        )
        .await
        .unwrap(),
        None
    );
    if db.backend() == passerelle_store::Backend::Sqlite {
        assert_eq!(number(&db, "PRAGMA foreign_keys", "foreign_keys").await, 1);
    }
    // The pool's connection still has its foreign keys: a place the
    // directory does not have is refused by the database itself.
    assert!(
        sqlx::query(
            "INSERT INTO activities (data, kind, date, participants, created_at, place_id) \
             VALUES ('{}', 'individuel', '2025-01-01', 1, '2025-01-01T00:00:00Z', 987654)"
        )
        .execute(db.pool())
        .await
        .is_err()
    );
    assert_eq!(
        number(&db, "SELECT COUNT(*) AS n FROM activities", "n").await,
        1,
        "the first import's record only"
    );
}

/// The number in `column` of the first row `sql` reads.
async fn number(db: &passerelle_store::Database, sql: &str, column: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(column)
        .unwrap()
}

/// No record, no roll-up, and on PostgreSQL no work table of the COPY.
async fn nothing_written(db: &passerelle_store::Database) {
    for table in ["activities", "activity_rollups"] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        assert_eq!(number(db, &sql, "n").await, 0, "{table}");
    }
    if db.backend() == passerelle_store::Backend::Postgres {
        let sql = "SELECT COUNT(*) AS n FROM pg_tables WHERE tablename LIKE 'activit%_import_%'";
        assert_eq!(number(db, sql, "n").await, 0);
    }
}

/// A source that finds itself invalid after some chunks were written
/// abandons the import: rolled back, nothing written, `None`.
#[tokio::test]
async fn a_bulk_import_abandoned_by_its_source_leaves_nothing() {
    let db = bretagne_database().await;
    let good = record(Kind::Individuel, 1, "35238", "Courriels");
    let mut given = vec![
        Ok(Some(vec![
            Incoming::from(good.clone()),
            Incoming::from(good),
        ])),
        Err(passerelle_store::activities::Abandon),
    ]
    .into_iter();
    let author = Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    };
    let outcome = db
        .import_activity_chunks(
            &mut || given.next().unwrap_or(Ok(None)),
            author,
            "abandoned.csv",
        )
        .await
        .unwrap();
    assert_eq!(outcome, None);
    nothing_written(&db).await;
    // The connection is usable again, for an import that goes through.
    let mut again = vec![vec![Incoming::from(record(
        Kind::Individuel,
        1,
        "35238",
        "Courriels",
    ))]]
    .into_iter();
    let done = db
        .import_activity_chunks(&mut || Ok(again.next()), author, "good.csv")
        .await
        .unwrap()
        .expect("not abandoned");
    assert_eq!(done.added, 1);
}

/// Records are stored without their empty fields; one stored before, with
/// them written `null`, is still the same record when its file is
/// imported again (unchanged, not replaced).
#[tokio::test]
async fn a_record_stored_with_its_empty_fields_is_unchanged_when_imported_again() {
    use sqlx::Row;
    let db = bretagne_database().await;
    let file = vec![(
        record(Kind::Individuel, 1, "29232", "Courriels"),
        Some("coop:a"),
        None,
    )];
    assert_eq!(import_keyed(&db, &file).await.added, 1);
    let data: String = sqlx::query("SELECT data FROM activities")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get("data")
        .unwrap();
    assert!(!data.contains("null"), "empty fields left out: {data}");
    let mut older: serde_json::Value = serde_json::from_str(&data).unwrap();
    for field in [
        "workshop_title",
        "level",
        "residence_commune",
        "follow_up_code",
        "organisation",
        "autonomy",
        "equipment",
        "orientation",
    ] {
        older
            .as_object_mut()
            .unwrap()
            .entry(field)
            .or_insert(serde_json::Value::Null);
    }
    sqlx::query("UPDATE activities SET data = $1")
        .bind(older.to_string())
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(
        import_keyed(&db, &file).await,
        ImportOutcome {
            unchanged: 1,
            ..ImportOutcome::default()
        }
    );
}
