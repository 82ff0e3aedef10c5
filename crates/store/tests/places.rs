//! Lieux storage, on the back-end the environment selects.

use passerelle_places::Place;
use passerelle_store::places::{ImportOrigin, PlaceChangeKind, PlaceError};
use passerelle_store::testing::bretagne_database;

#[tokio::test]
async fn bundled_places_load_merge_and_reload_without_duplicates() {
    let db = bretagne_database().await;
    assert!(db.places_empty().await.unwrap());
    let reports = db.load_bundled_places().await.unwrap();
    let total = db.places().await.unwrap().len();
    let read: usize = reports.iter().map(|(_, r)| r.read).sum();
    let merged: usize = reports.iter().map(|(_, r)| r.merged).sum();
    eprintln!("{reports:?}");
    assert_eq!(read, 123 + 311 + reports[1].1.read);
    assert!(
        merged > 20,
        "France services also listed by Aidants Connect are merged: {reports:?}"
    );
    assert_eq!(total, read - merged);
    // Every place is attached to a commune of the reference.
    let places = db.places().await.unwrap();
    let unattached: Vec<&str> = places
        .iter()
        .filter(|p| p.commune_code.is_none())
        .map(|p| p.place.nom.as_str())
        .collect();
    assert!(
        unattached.len() * 50 < places.len(),
        "{} unattached: {unattached:?}",
        unattached.len()
    );

    // Loading again updates, never duplicates.
    let again = db.load_bundled_places().await.unwrap();
    assert!(
        again.iter().all(|(_, r)| r.added == 0 && r.merged == 0),
        "{again:?}"
    );
    assert_eq!(db.places().await.unwrap().len(), total);

    // A merged place carries both programmes.
    let loudeac = places
        .iter()
        .find(|p| p.place.nom == "France services Loudéac")
        .expect("Loudéac");
    assert!(
        loudeac
            .place
            .dispositif_programmes_nationaux
            .contains(&"Aidants Connect".to_string()),
        "{:?}",
        loudeac.place
    );
    assert_eq!(loudeac.commune_code.as_deref(), Some("22136"));
    let changes = db.place_changes(loudeac.id).await.unwrap();
    assert!(
        changes.iter().any(|c| matches!(
            &c.kind,
            PlaceChangeKind::Merged { origin: ImportOrigin::Bundled(_), score, .. } if *score > 0.5
        )),
        "the merge is in its change log, typed: {changes:?}"
    );
}

#[tokio::test]
async fn an_edit_is_logged_by_its_fields_and_audited_or_refused_whole() {
    let db = bretagne_database().await;
    let place = place("e1", "Espace numérique", "1 rue du Port");
    db.import_places(std::slice::from_ref(&place), "x", "test", None)
        .await
        .unwrap();
    let stored = db.places().await.unwrap().remove(0);
    let editor = coordinator(&db).await;
    let event = || decision(editor);

    let mut wrong = stored.place.clone();
    wrong.nom = "Autre nom".into();
    wrong.code_insee = Some("99999".into());
    assert!(matches!(
        db.update_place(stored.id, &wrong, &event()).await,
        Err(PlaceError::UnknownCommune(code)) if code == "99999"
    ));
    assert!(matches!(
        db.update_place(stored.id + 1000, &stored.place, &event())
            .await,
        Err(PlaceError::UnknownPlace(_))
    ));
    assert_eq!(
        db.place(stored.id).await.unwrap().unwrap().place.nom,
        "Espace numérique",
        "nothing written"
    );

    let mut edited = stored.place.clone();
    edited.nom = "Espace numérique du port".into();
    edited.telephone = Some("+33298000000".into());
    let changed = db.update_place(stored.id, &edited, &event()).await.unwrap();
    assert_eq!(changed, ["nom", "telephone"]);
    let log = db.place_changes(stored.id).await.unwrap();
    assert_eq!(log[0].by.as_deref(), Some("C"));
    assert_eq!(
        log[0].kind,
        PlaceChangeKind::Edited {
            fields: vec!["nom".into(), "telephone".into()]
        }
    );
    assert_eq!(
        log[1].kind,
        PlaceChangeKind::Created(ImportOrigin::File("test".into()))
    );
    let trail = db.audit_events(Some("place.edited"), 10).await.unwrap();
    assert!(
        trail[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("fields: nom, telephone")),
        "the edit's audit line, in its transaction: {trail:?}"
    );
    assert_eq!(trail.len(), 1, "refusals leave no audit line: {trail:?}");
    assert_eq!(
        trail[0].subject.as_deref(),
        Some(format!("place:{}", stored.id).as_str())
    );
    assert_eq!(
        trail[0].ip.as_deref(),
        Some("192.0.2.7"),
        "who acted, from where"
    );
    // A line of the log written before it was typed reads as it was written.
    sqlx::query(
        "INSERT INTO place_changes (place_id, at, origin, summary) \
         VALUES ($1, '2025-01-02T10:00:00Z', 'import : ancien.csv', 'création par import')",
    )
    .bind(stored.id)
    .execute(db.pool())
    .await
    .unwrap();
    let log = db.place_changes(stored.id).await.unwrap();
    assert_eq!(
        log[0].kind,
        PlaceChangeKind::Legacy {
            origin: "import : ancien.csv".into(),
            summary: "création par import".into()
        }
    );
}

#[tokio::test]
async fn a_place_known_by_its_source_is_updated_in_place() {
    let db = bretagne_database().await;
    let mut place = Place {
        id: "p1".into(),
        pivot: "21290019600010".into(),
        nom: "Médiathèque".into(),
        commune: "Quimper".into(),
        code_postal: "29000".into(),
        adresse: "1 esplanade".into(),
        date_maj: "2024-01-01".into(),
        source: Some("carto-29".into()),
        ..Place::default()
    };
    let first = db
        .import_places(std::slice::from_ref(&place), "x", "test", None)
        .await
        .unwrap();
    assert_eq!(first.added, 1);
    place.nom = "Médiathèque des Ursulines".into();
    let second = db.import_places(&[place], "x", "test", None).await.unwrap();
    assert_eq!((second.added, second.updated), (0, 1));
    let all = db.places().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].place.nom, "Médiathèque des Ursulines");
    assert_eq!(
        all[0].commune_code.as_deref(),
        Some("29232"),
        "attached by postcode and name"
    );
}

/// A coordinator of a hub, to decide on duplicates.
async fn coordinator(db: &passerelle_store::Database) -> i64 {
    let hub = db
        .create_structure(&passerelle_store::accounts::NewStructure {
            nom: "Hub",
            kind: passerelle_accounts::StructureKind::Hub,
            siret: None,
            commune_code: None,
        })
        .await
        .unwrap()
        .unwrap();
    db.create_person_with_role(
        "c@hub.bzh",
        "C",
        None,
        hub,
        passerelle_accounts::Role::Coordinateur,
        &[],
    )
    .await
    .unwrap()
}

/// A coordinator acting on the places, as the coordination page does.
fn decision(by: i64) -> passerelle_store::write::Acting {
    passerelle_store::write::Acting {
        person: Some(by),
        address: Some("192.0.2.7".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn duplicates_are_merged_or_kept_apart_on_decision() {
    let db = bretagne_database().await;
    db.load_bundled_places().await.unwrap();
    let coordinator = coordinator(&db).await;
    let pending = db.pending_duplicates().await.unwrap();
    assert!(pending.len() >= 2, "{}", pending.len());
    let before = db.places().await.unwrap().len();
    let (first, second) = (&pending[0], &pending[1]);
    db.decide_duplicate(first.a.id, first.b.id, true, &decision(coordinator))
        .await
        .unwrap();
    assert!(
        matches!(
            db.decide_duplicate(first.a.id, first.b.id, true, &decision(coordinator),)
                .await,
            Err(PlaceError::NotPending)
        ),
        "decided once"
    );
    db.decide_duplicate(second.a.id, second.b.id, false, &decision(coordinator))
        .await
        .unwrap();
    assert_eq!(db.places().await.unwrap().len(), before - 1);
    assert!(db.place(first.b.id).await.unwrap().is_none());
    let history = db.place_changes(first.a.id).await.unwrap();
    assert!(
        history.iter().any(|c| c.by.as_deref() == Some("C")
            && c.kind
                == PlaceChangeKind::DuplicateMerged {
                    duplicate: first.b.id
                }),
        "{history:?}"
    );
    // Re-importing the bundled files keeps the merge: the sources point at the survivor.
    db.load_bundled_places().await.unwrap();
    assert_eq!(db.places().await.unwrap().len(), before - 1);
    assert!(
        db.pending_duplicates()
            .await
            .unwrap()
            .iter()
            .all(|p| (p.a.id, p.b.id) != (second.a.id, second.b.id))
    );
}

fn place(id: &str, nom: &str, adresse: &str) -> Place {
    Place {
        id: id.into(),
        pivot: "21290019600010".into(),
        nom: nom.into(),
        commune: "Quimper".into(),
        code_postal: "29000".into(),
        adresse: adresse.into(),
        latitude: Some(47.9975),
        longitude: Some(-4.1035),
        date_maj: "2024-01-01".into(),
        ..Place::default()
    }
}

#[tokio::test]
async fn an_empty_source_stays_empty_and_rows_of_one_file_that_are_one_place_are_merged_and_named()
{
    let db = bretagne_database().await;
    let rows = [
        place("a", "Médiathèque des Ursulines", "1 esplanade Julien Gracq"),
        place("b", "Médiathèque Ursulines", "1 esplanade Julien-Gracq"),
        place("c", "Centre social de Penhars", "5 rue de Penhars"),
    ];
    let report = db
        .import_places(&rows, "lieux-29", "test", None)
        .await
        .unwrap();
    assert_eq!((report.added, report.merged), (2, 1), "{report:?}");
    let note = &report.merges[0];
    assert_eq!((note.row, note.id.as_str()), (1, "b"));
    assert_eq!(note.into_row, Some(0));
    assert_eq!(note.into, vec![("lieux-29".to_string(), "a".to_string())]);
    let stored = db.places().await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(
        stored.iter().all(|p| p.place.source.is_none()),
        "the file's name is the key, not the place's source: {stored:?}"
    );
    // The same file again: both rows update their place, nothing is added.
    let again = db
        .import_places(&rows, "lieux-29", "test", None)
        .await
        .unwrap();
    assert_eq!((again.added, again.updated, again.merged), (0, 3, 0));
    assert_eq!(db.places().await.unwrap().len(), 2);
}

/// A merged duplicate in another commune (a postcode shared by two
/// communes): its records move with their roll-up contributions, so the
/// counts of both communes stay true.
#[tokio::test]
async fn merging_moves_records_and_their_counts_to_the_kept_place_s_commune() {
    use passerelle_activities::model::{Activity, Kind, Where};
    use passerelle_store::activities::{Author, StatsQuery, Territory};
    let db = bretagne_database().await;
    // Two places different enough to be stored apart; the pair is made
    // pending below, as a reviewer would find it.
    let place = |id: &str, commune: &str, insee: &str| Place {
        id: id.into(),
        pivot: "13002526500013".into(),
        nom: format!("Espace numérique de {commune}"),
        commune: commune.into(),
        code_postal: "29000".into(),
        code_insee: Some(insee.into()),
        adresse: format!("{} rue de {commune}", id.len() * 7),
        date_maj: "2024-01-01".into(),
        ..Default::default()
    };
    db.import_places(
        &[place("k", "Quimper", "29232"), place("d", "Brest", "29019")],
        "essai",
        "test",
        None,
    )
    .await
    .unwrap();
    let ids: Vec<(i64, Option<String>)> = db
        .places()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.commune_code))
        .collect();
    let kept = ids
        .iter()
        .find(|(_, c)| c.as_deref() == Some("29232"))
        .unwrap()
        .0;
    let twin = ids
        .iter()
        .find(|(_, c)| c.as_deref() == Some("29019"))
        .unwrap()
        .0;
    sqlx::query("INSERT INTO place_duplicates (place_a, place_b, score, status) VALUES ($1, $2, 0.8, 'pending')")
        .bind(kept)
        .bind(twin)
        .execute(db.pool())
        .await
        .unwrap();
    let record = Activity {
        kind: Kind::Individuel,
        date: chrono::NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
        duration_minutes: 30,
        place: Where::Lieu(twin),
        workshop_title: None,
        level: None,
        participants: 1,
        ages: vec![],
        statuses: vec![],
        residence_commune: None,
        follow_up_code: None,
        themes: vec!["Courriels".into()],
        organisation: None,
        kinds_of_help: vec![],
        autonomy: None,
        equipment: None,
        orientation: None,
        returning: 0,
    };
    let nobody = Author {
        mediator_id: None,
        structure_id: None,
        token_id: None,
    };
    db.record_activity(&record, nobody, None)
        .await
        .unwrap()
        .done()
        .unwrap();
    let people = |commune: &'static str| {
        let db = db.clone();
        async move {
            let q = StatsQuery {
                dimension: "total",
                territory: Territory::Commune(commune.into()),
                from: "2026-01".into(),
                to: "2026-12".into(),
                structure_id: None,
                scope: passerelle_accounts::policy::FiguresScope::Everything,
            };
            db.activity_stats(&q)
                .await
                .unwrap()
                .first()
                .map_or(0, |r| r.people)
        }
    };
    assert_eq!((people("29019").await, people("29232").await), (1, 0));
    let actor = coordinator(&db).await;
    db.decide_duplicate(kept, twin, true, &decision(actor))
        .await
        .unwrap();
    assert_eq!(
        (people("29019").await, people("29232").await),
        (0, 1),
        "the count moved with the record"
    );
}
