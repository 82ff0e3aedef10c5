//! What Passerelle tells people on a schedule about what they look after
//! (`store::watch`), on the back-end the environment selects: a survey's
//! gestionnaires before it closes, once per closing date, across servers;
//! coordinators, the stale places of their territory; both as each person
//! chose (at once, in the daily digest, never).

use chrono::{Days, NaiveDate};
use passerelle_accounts::notification::{Frequency, Notification, Topic};
use passerelle_accounts::{Role, ScopeLevel, StructureKind};
use passerelle_places::Place;
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::outbox::Content;
use passerelle_store::surveys::{Access, NewSurvey, Status};
use passerelle_store::testing::bretagne_database;
use passerelle_store::write::Acting;

async fn structure(db: &Database, nom: &str) -> i64 {
    db.create_structure(&NewStructure {
        nom,
        kind: StructureKind::CentreSocial,
        siret: None,
        commune_code: Some("29232"),
    })
    .await
    .unwrap()
    .unwrap()
}

async fn person(
    db: &Database,
    email: &str,
    structure: i64,
    role: Role,
    scopes: &[(ScopeLevel, String)],
) -> i64 {
    db.create_person_with_role(email, email, None, structure, role, scopes)
        .await
        .unwrap()
}

async fn choose(db: &Database, person: i64, topic: Topic, frequency: Frequency) {
    db.set_notification_preferences(&Acting::system(), person, &[(topic, frequency)])
        .await
        .unwrap();
}

/// The outbox, oldest first: (to, the notification, held for the digest).
async fn outbox(db: &Database) -> Vec<(String, Notification, bool)> {
    let mut all: Vec<_> = db
        .outbox(false, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| match m.content {
            Content::Notification(n) => (m.to_address, n, m.digest),
            other => panic!("{other:?}"),
        })
        .collect();
    all.reverse();
    all
}

#[tokio::test]
async fn a_survey_closing_is_told_once_per_date_to_its_gestionnaires_as_they_chose() {
    let db = bretagne_database().await;
    let s = structure(&db, "Centre social de Kerfeunteun").await;
    person(&db, "a@cs.bzh", s, Role::Gestionnaire, &[]).await;
    let b = person(&db, "b@cs.bzh", s, Role::Gestionnaire, &[]).await;
    let c = person(&db, "c@cs.bzh", s, Role::Gestionnaire, &[]).await;
    person(&db, "d@cs.bzh", s, Role::Membre, &[]).await;
    choose(&db, b, Topic::SurveyClosing, Frequency::Immediately).await;
    choose(&db, c, Topic::SurveyClosing, Frequency::Never).await;
    let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
    let questionnaire = passerelle_surveys::templates::load("hub-bretagne-2023")
        .unwrap()
        .unwrap();
    let new = |slug, closes_on| NewSurvey {
        slug,
        structure_id: s,
        questionnaire: &questionnaire,
        access: Access::Open,
        opens_on: None,
        closes_on: Some(closes_on),
        status: Status::Online,
    };
    for (slug, closes) in [
        ("bientot", today + Days::new(2)),
        ("plus-tard", today + Days::new(10)),
        ("close", today - Days::new(1)),
    ] {
        db.create_survey(&new(slug, closes), &Acting::system())
            .await
            .unwrap()
            .unwrap();
    }
    // Two servers run the job together: one tells, once.
    let (one, two) = tokio::join!(
        db.tell_surveys_closing(today),
        db.tell_surveys_closing(today)
    );
    assert_eq!(one.unwrap() + two.unwrap(), 1);
    let told = outbox(&db).await;
    assert_eq!(
        told.iter()
            .map(|(to, _, digest)| (to.as_str(), *digest))
            .collect::<Vec<_>>(),
        vec![("a@cs.bzh", true), ("b@cs.bzh", false)],
        "the default is the digest; b chose at once, c never; a membre is not told"
    );
    assert!(matches!(
        &told[0].1,
        Notification::SurveyClosing { slug, closes_on, .. }
            if slug == "bientot" && *closes_on == today + Days::new(2)
    ));
    assert_eq!(
        db.tell_surveys_closing(today).await.unwrap(),
        0,
        "told once"
    );
    assert_eq!(outbox(&db).await.len(), 2);
    // Prolonged to a new date: told again when that one nears.
    sqlx::query("UPDATE surveys SET closes_on = $1 WHERE slug = 'bientot'")
        .bind((today + Days::new(12)).to_string())
        .execute(db.pool())
        .await
        .unwrap();
    let later = today + Days::new(10);
    assert_eq!(db.tell_surveys_closing(later).await.unwrap(), 2);
    assert_eq!(outbox(&db).await.len(), 6);
}

fn place(id: &str, nom: &str, commune: &str, code_postal: &str, date_maj: &str) -> Place {
    Place {
        id: id.into(),
        pivot: "21290019600010".into(),
        nom: nom.into(),
        commune: commune.into(),
        code_postal: code_postal.into(),
        adresse: format!("1 rue de {nom}"),
        date_maj: date_maj.into(),
        ..Place::default()
    }
}

#[tokio::test]
async fn coordinators_get_the_stale_places_of_their_territory_as_they_chose() {
    let db = bretagne_database().await;
    let rows = [
        place("a", "Médiathèque d’Ergué", "Quimper", "29000", "2023-05-02"),
        place(
            "b",
            "Espace numérique de Penhars",
            "Quimper",
            "29000",
            "2026-11-02",
        ),
        place("c", "Cyber-base de Rennes", "Rennes", "35000", "2022-01-10"),
    ];
    db.import_places(&rows, "lieux", "test", None)
        .await
        .unwrap();
    let hub = structure(&db, "Hub").await;
    let finistere = person(
        &db,
        "coord29@hub.bzh",
        hub,
        Role::Coordinateur,
        &[(ScopeLevel::Departement, "29".into())],
    )
    .await;
    let ille = person(
        &db,
        "coord35@hub.bzh",
        hub,
        Role::Coordinateur,
        &[(ScopeLevel::Departement, "35".into())],
    )
    .await;
    person(&db, "membre@hub.bzh", hub, Role::Membre, &[]).await;
    let before = NaiveDate::from_ymd_opt(2025, 12, 6).unwrap();
    // The Finistère's coordinator keeps the default (the daily digest).
    assert_eq!(db.tell_stale_places(before).await.unwrap(), 2);
    let told = outbox(&db).await;
    assert_eq!(told.len(), 2);
    assert_eq!(told[0].0, "coord29@hub.bzh");
    assert!(told[0].2, "held for the digest");
    let Notification::StalePlaces { count, places, .. } = &told[0].1 else {
        panic!("{told:?}")
    };
    assert_eq!(*count, 1);
    assert_eq!(places[0].name, "Médiathèque d’Ergué");
    assert_eq!(places[0].commune, "Quimper");
    assert!(
        matches!(&told[1].1, Notification::StalePlaces { places, .. } if places[0].name == "Cyber-base de Rennes")
    );
    assert_eq!(db.queue_digests(chrono::Utc::now()).await.unwrap(), 2);
    // Chosen never: nothing; a person who coordinates nothing is never told.
    sqlx::query("DELETE FROM outbox")
        .execute(db.pool())
        .await
        .unwrap();
    choose(&db, ille, Topic::StalePlaces, Frequency::Never).await;
    choose(&db, finistere, Topic::StalePlaces, Frequency::Never).await;
    assert_eq!(db.tell_stale_places(before).await.unwrap(), 0);
    assert!(outbox(&db).await.is_empty());
}
