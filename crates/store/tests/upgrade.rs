//! Upgrades from every released schema, on the back-end the environment
//! selects: a database built with the migrations of a release and filled
//! with data of every kind is upgraded by `Database::open` (all the
//! migrations this binary embeds, whatever later branches add) and read
//! back through the current store API; nothing may be lost. And a database
//! newer than the binary is refused, untouched.

use passerelle_accounts::Role;
use passerelle_accounts::secret::{hash_secret, new_secret};
use passerelle_store::activities::{StatsQuery, Territory};
use passerelle_store::testing::{fresh_database_url, mark_newer_schema};
use passerelle_store::{Backend, Database, StoreError, backup, migrator};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, Connection, Executor};

/// The newest migration of each release: 0.1.0 shipped 0001 to 0009.
const RELEASES: [(&str, i64); 1] = [("0.1.0", 9)];

const FIXTURE_0_1_0: &str = include_str!("fixtures/schema-0.1.0.sql");

async fn connect(url: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let (backend, file) = backup::backend_of(url).unwrap();
    let url = match backend {
        Backend::Sqlite => {
            std::fs::create_dir_all(file.unwrap().parent().unwrap()).unwrap();
            format!("{url}?mode=rwc")
        }
        Backend::Postgres => url.to_string(),
    };
    let mut conn = AnyConnection::connect(&url).await.unwrap();
    if backend == Backend::Sqlite {
        conn.execute("PRAGMA foreign_keys = ON").await.unwrap();
    }
    conn
}

/// A database at the schema of a release: its migrations only.
async fn released_database(url: &str, last: i64) -> AnyConnection {
    let (backend, _) = backup::backend_of(url).unwrap();
    let mut conn = connect(url).await;
    let released = Migrator::with_migrations(
        migrator(backend)
            .iter()
            .filter(|m| m.version <= last)
            .cloned()
            .collect(),
    );
    assert_eq!(released.iter().count() as i64, last);
    released.run(&mut conn).await.unwrap();
    conn
}

struct Secrets {
    session: String,
    invitation: String,
    api: String,
    survey_invitation: String,
    draft: String,
}

/// Runs the fixture statement by statement, so a failure names its own.
async fn fill(conn: &mut AnyConnection, fixture: &str, s: &Secrets) {
    let now = passerelle_store::time::now_iso();
    let sql = fixture
        .replace("{now}", &now)
        .replace("{today}", &now[..10])
        .replace("{session_hash}", &hash_secret(&s.session))
        .replace("{invitation_hash}", &hash_secret(&s.invitation))
        .replace("{api_hash}", &hash_secret(&s.api))
        .replace(
            "{survey_invitation_hash}",
            &hash_secret(&s.survey_invitation),
        )
        .replace("{draft_hash}", &hash_secret(&s.draft));
    let statements = sql
        .lines()
        .filter(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for statement in statements
        .split(";\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{statement}"));
    }
}

#[tokio::test]
async fn every_release_upgrades_without_losing_anything() {
    for (release, last) in RELEASES {
        let url = fresh_database_url().await;
        let secrets = Secrets {
            session: new_secret(),
            invitation: new_secret(),
            api: new_secret(),
            survey_invitation: new_secret(),
            draft: new_secret(),
        };
        let mut conn = released_database(&url, last).await;
        fill(&mut conn, FIXTURE_0_1_0, &secrets).await;
        conn.close().await.unwrap();

        let db = Database::open(&url).await.expect(release);
        let status = db.schema_status().await.unwrap();
        assert!(status.current(), "{release}: {status:?}");
        check_0_1_0_data(&db, &secrets).await;
    }
}

async fn check_0_1_0_data(db: &Database, s: &Secrets) {
    // Territoires
    let quimper = db.commune("29232").await.unwrap().expect("Quimper");
    assert_eq!(quimper.nom, "Quimper");
    assert_eq!(quimper.postcodes, ["29000"]);
    assert_eq!(quimper.epci.as_ref().unwrap().siren, "200068120");
    assert_eq!(quimper.departement.code, "29");
    assert_eq!(quimper.region.code, "53");
    let found = db.search_communes("quim", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].code, "29232");
    let epci = db.epci("200068120").await.unwrap().expect("EPCI");
    assert_eq!(epci.population, 63283);

    // Comptes
    let anne = db
        .person_by_email("anne@ccas-quimper.fr")
        .await
        .unwrap()
        .expect("Anne");
    let malo = db.person_by_email("malo@brest.bzh").await.unwrap().unwrap();
    let coord = db.person_by_email("coord@hub.bzh").await.unwrap().unwrap();
    assert!(
        db.password_hash(anne.id)
            .await
            .unwrap()
            .unwrap()
            .starts_with("$argon2id$")
    );
    let memberships = db.memberships_of(anne.id).await.unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].structure_nom, "CCAS de Quimper");
    assert_eq!(memberships[0].role, Role::Gestionnaire);
    let ccas = memberships[0].structure_id;
    let ended: Vec<_> = db
        .members_of(ccas)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.person_id == malo.id)
        .collect();
    assert!(ended.iter().all(|m| m.ended_at.is_some()), "{ended:?}");
    let coordination = db.memberships_of(coord.id).await.unwrap();
    assert_eq!(coordination[0].role, Role::Coordinateur);
    assert_eq!(coordination[0].scopes.len(), 1);
    assert_eq!(coordination[0].scopes[0].1, "29");
    let session = db.session(&s.session).await.unwrap().expect("session");
    assert_eq!(session.person_id, anne.id);
    let invitation = db
        .invitation(&s.invitation)
        .await
        .unwrap()
        .expect("invitation");
    assert_eq!(invitation.email, "nouvelle@ccas-quimper.fr");
    assert_eq!(db.api_token(&s.api).await.unwrap().map(|t| t.1), Some(ccas));
    assert_eq!(
        db.audit_events(Some("sign_in.success"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let pending = db.outbox(true, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].to_address, "malo@brest.bzh");
    assert_eq!(db.outbox(false, 10).await.unwrap().len(), 2);

    // Lieux
    let places = db.places().await.unwrap();
    assert_eq!(places.len(), 2);
    let ccas_place = places
        .iter()
        .find(|p| p.place.nom == "Point numérique du CCAS de Quimper")
        .expect("the CCAS place");
    assert_eq!(ccas_place.structure_id, Some(ccas));
    assert_eq!(
        ccas_place.place.services,
        ["Aide aux démarches administratives"]
    );
    assert_eq!(db.place_changes(ccas_place.id).await.unwrap().len(), 1);
    assert_eq!(db.pending_duplicates().await.unwrap().len(), 1);
    // Its source's identifier still leads to it: re-importing updates.
    let mut again = ccas_place.place.clone();
    again.horaires = Some("Mo-Fr 09:00-12:00,14:00-17:00".into());
    let report = db
        .import_places(&[again], "test", "import : test", None)
        .await
        .unwrap();
    assert_eq!((report.added, report.updated), (0, 1), "{report:?}");

    // Activités
    let records = db.activities_of(malo.id, 10).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].activity.themes, ["Courriels"]);
    let rows = db
        .activity_stats(&StatsQuery {
            dimension: "theme",
            territory: Territory::parse("com:29019").unwrap(),
            from: "2026-03".into(),
            to: "2026-03".into(),
            structure_id: None,
            scope: passerelle_accounts::policy::FiguresScope::Everything,
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].value.as_str(), rows[0].people), ("Courriels", 1));
    let (ages, _) = db
        .aggregate_stats("cra-conseillers-numeriques", "age", None)
        .await
        .unwrap();
    assert_eq!(ages, [("60-69".to_string(), 412)]);

    // Enquêtes
    let survey = db
        .survey_by_slug("usages-2026")
        .await
        .unwrap()
        .expect("survey");
    assert_eq!(survey.title, "Vos usages du numérique");
    assert_eq!(survey.questionnaire.questions.len(), 2);
    assert_eq!(db.survey_responses(&survey).await.unwrap().respondents, 2);
    assert!(
        db.survey_invitation_usable(survey.id, &s.survey_invitation)
            .await
            .unwrap()
    );
    let draft = db.survey_draft(&survey, &s.draft).await.unwrap().unwrap();
    assert_eq!(draft["accompagne"], "oui");

    // Diagnostic
    let indicators = db.diagnostic_indicators().await.unwrap();
    use passerelle_diagnostic::needs::Field;
    assert_eq!(
        indicators.get("29232").unwrap().value(Field::Pop65Plus),
        Some(15012.5)
    );
    assert_eq!(
        indicators.get("29019").unwrap().value(Field::RsaSocle),
        Some(4321.0)
    );
    assert!(indicators.sources.iter().any(|n| {
        n.file
            .as_deref()
            .is_some_and(|f| f.starts_with("base-cc-evol-struct-pop-2021.csv"))
    }));

    // Orientations
    let lines = db.referral_lines(&[ccas], true).await.unwrap();
    assert_eq!(lines.len(), 1);
    let referral = db.referral(lines[0].id).await.unwrap().unwrap();
    assert_eq!(
        referral.status,
        passerelle_referrals::lifecycle::Status::RendezVousFixe
    );
    assert_eq!(
        referral.appointment_date,
        chrono::NaiveDate::from_ymd_opt(2099, 1, 12)
    );
    assert_eq!(
        referral.consent_how,
        passerelle_referrals::model::ConsentWay::Oral
    );
    let events = db.referral_events(referral.id, true).await.unwrap();
    let steps: Vec<&str> = events.iter().map(|e| e.status_to.code()).collect();
    assert_eq!(steps, ["envoyee", "recue", "rendez_vous_fixe"]);
    assert_eq!(
        events[2].message.as_deref(),
        Some("Venir avec son avis d'imposition")
    );
    let person = db
        .referral_person(referral.id, anne.id, ccas, "test")
        .await
        .unwrap()
        .expect("not erased");
    assert_eq!(person.person.first_name, "Maryvonne");
    assert_eq!(person.person.contact, "06 12 34 56 78");
    assert_eq!(person.situation, "Prime d'activité à renouveler");

    // Référents, situations complexes
    let referents = db.referents().await.unwrap();
    assert_eq!(referents.len(), 1);
    assert_eq!(referents[0].email.as_deref(), Some("partenaires@caf29.fr"));
    let requests = db.request_lines(&[ccas], true).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].mandate_type,
        passerelle_referrals::referents::Mandate::Paper
    );
    let messages = db.request_messages(requests[0].id, true).await.unwrap();
    assert_eq!(messages.len(), 1);
    let (description, details) = db
        .request_person(requests[0].id, anne.id, ccas)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(description, "Dossier bloqué depuis trois mois");
    assert_eq!(details, "Maryvonne, 06 12 34 56 78");

    // And it takes new writes (PostgreSQL's sequences followed the data).
    db.notify(
        "x@example.org",
        &passerelle_accounts::notification::Notification::RequestMessage { request: 1 },
    )
    .await
    .unwrap();
    db.audit(&passerelle_store::accounts::AuditEvent {
        action: "test.after_upgrade".into(),
        ..Default::default()
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_database_newer_than_the_binary_is_refused_untouched() {
    let url = fresh_database_url().await;
    let db = Database::open(&url).await.unwrap();
    let known = db.schema_status().await.unwrap().known;
    let newer = mark_newer_schema(&db).await;
    db.close().await;
    match Database::open(&url).await {
        Err(StoreError::SchemaTooNew { database, known: k }) => {
            assert_eq!((database, k), (newer, known));
        }
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("a newer database was opened"),
    }
}
