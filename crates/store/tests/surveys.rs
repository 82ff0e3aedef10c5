//! Enquêtes storage, on the back-end the environment selects: surveys,
//! anonymous responses stored whole or not at all, one response per
//! invitation, drafts, and the responses file the analysis reads.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use passerelle_accounts::StructureKind;
use passerelle_csv::Dialect;
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::surveys::{
    Access, DraftRefusal, MAX_DRAFT_BYTES, MAX_DRAFTS_PER_SURVEY, NewSurvey, Rejection, Status,
    Survey, SurveyRefusal,
};
use passerelle_store::testing::bretagne_database;
use passerelle_store::write::Acting;
use passerelle_surveys::Questionnaire;
use passerelle_surveys::templates;
use sqlx::Row;

async fn survey(db: &Database, slug: &str, access: Access) -> Survey {
    let structure = db
        .create_structure(&NewStructure {
            nom: &format!("Hub {slug}"),
            kind: StructureKind::CentreSocial,
            siret: None,
            commune_code: Some("35238"),
        })
        .await
        .unwrap()
        .unwrap();
    db.create_survey(
        &NewSurvey {
            slug,
            structure_id: structure,
            questionnaire: &hub(),
            access,
            opens_on: Some(day("2023-02-28")),
            closes_on: Some(day("2023-03-20")),
            status: Status::Online,
        },
        &Acting::system(),
    )
    .await
    .unwrap()
    .unwrap();
    db.survey_by_slug(slug).await.unwrap().unwrap()
}

/// A survey of the same structure open every day.
async fn open_survey(db: &Database, like: &Survey, slug: &str, access: Access) -> Survey {
    db.create_survey(
        &NewSurvey {
            slug,
            structure_id: like.structure_id,
            questionnaire: &hub(),
            access,
            opens_on: None,
            closes_on: None,
            status: Status::Online,
        },
        &Acting::system(),
    )
    .await
    .unwrap()
    .unwrap();
    db.survey_by_slug(slug).await.unwrap().unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn hub() -> Questionnaire {
    templates::load("hub-bretagne-2023").unwrap().unwrap()
}

fn cells(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn answers() -> BTreeMap<String, String> {
    cells(&[
        ("poste", "conseiller"),
        ("lieux.mairie", "1"),
        ("lieux.efs", "0"),
        ("fiche_de_poste", "oui"),
        ("accompagne", "oui"),
        ("france_services", "oui"),
        ("personnes_semaine", "12"),
        ("sites_web.caf", "7"),
    ])
}

const OPEN_DAY: Option<NaiveDate> = NaiveDate::from_ymd_opt(2023, 3, 1);

#[tokio::test]
async fn a_response_is_stored_whole_with_the_day_only_and_exported() {
    let db = bretagne_database().await;
    let s = survey(&db, "hub-2023", Access::Open).await;
    assert_eq!(s.questionnaire.id, "hub-bretagne-2023");
    db.submit_survey_response(&s, None, &answers(), OPEN_DAY)
        .await
        .unwrap()
        .unwrap();
    // Invalid: nothing stored, the column named.
    let mut bad = answers();
    bad.insert("sites_web.caf".into(), "11".into());
    let refused = db
        .submit_survey_response(&s, None, &bad, OPEN_DAY)
        .await
        .unwrap();
    assert!(
        matches!(&refused, Err(Rejection::Invalid(e)) if e[0].0 == "sites_web.caf"),
        "{refused:?}"
    );
    // A required question unanswered.
    let mut incomplete = answers();
    incomplete.remove("poste");
    let refused = db
        .submit_survey_response(&s, None, &incomplete, OPEN_DAY)
        .await
        .unwrap();
    assert_eq!(refused, Err(Rejection::Incomplete(vec!["poste".into()])));
    // Closed outside the period.
    let refused = db
        .submit_survey_response(&s, None, &answers(), Some(day("2023-03-21")))
        .await
        .unwrap();
    assert_eq!(refused, Err(Rejection::Closed));

    let responses = db.survey_responses(&s).await.unwrap();
    assert_eq!(responses.respondents, 1);
    let csv = String::from_utf8(
        db.survey_responses_csv(&s, Dialect::Standard)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        csv.lines().nth(1).unwrap().starts_with("conseiller,,1,0,"),
        "{csv}"
    );
    // For French Excel: a byte-order mark, `;`, decimal commas.
    let excel = db
        .survey_responses_csv(&s, Dialect::FrenchExcel)
        .await
        .unwrap();
    let excel = String::from_utf8(excel).unwrap();
    assert!(excel.starts_with('\u{feff}'));
    assert!(
        excel
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("conseiller;;1;0;"),
        "{excel}"
    );
    // What is stored: the survey, the day, the answers; nothing else.
    let row = sqlx::query("SELECT * FROM survey_responses")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let columns: Vec<&str> = row.columns().iter().map(sqlx::Column::name).collect();
    assert_eq!(columns, ["id", "survey_id", "submitted_on", "answers"]);
    assert_eq!(
        row.try_get::<String, _>("submitted_on").unwrap(),
        "2023-03-01"
    );
}

#[tokio::test]
async fn an_invitation_gives_one_response() {
    let db = bretagne_database().await;
    let s = survey(&db, "hub-invitations", Access::Invitation).await;
    let tokens = db
        .create_survey_invitations(&s, 2, &Acting::system())
        .await
        .unwrap();
    assert!(db.survey_invitation_usable(s.id, &tokens[0]).await.unwrap());
    let none = db
        .submit_survey_response(&s, None, &answers(), OPEN_DAY)
        .await
        .unwrap();
    assert_eq!(none, Err(Rejection::Invitation));
    // Invalid answers do not use the invitation up.
    let mut bad = answers();
    bad.insert("accompagne".into(), "peut-etre".into());
    let refused = db
        .submit_survey_response(&s, Some(&tokens[0]), &bad, OPEN_DAY)
        .await
        .unwrap();
    assert!(matches!(refused, Err(Rejection::Invalid(_))));
    assert!(db.survey_invitation_usable(s.id, &tokens[0]).await.unwrap());
    db.submit_survey_response(&s, Some(&tokens[0]), &answers(), OPEN_DAY)
        .await
        .unwrap()
        .unwrap();
    let again = db
        .submit_survey_response(&s, Some(&tokens[0]), &answers(), OPEN_DAY)
        .await
        .unwrap();
    assert_eq!(again, Err(Rejection::Invitation));
    assert!(!db.survey_invitation_usable(s.id, &tokens[0]).await.unwrap());
    db.submit_survey_response(&s, Some(&tokens[1]), &answers(), OPEN_DAY)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(db.survey_responses(&s).await.unwrap().respondents, 2);
    // Only hashes are stored.
    let stored: Vec<String> = sqlx::query("SELECT token_hash FROM survey_invitations")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("token_hash").unwrap())
        .collect();
    assert!(!stored.contains(&tokens[0]));
}

#[tokio::test]
async fn drafts_resume_and_bad_surveys_are_refused() {
    let db = bretagne_database().await;
    let closed = survey(&db, "hub-brouillons", Access::Open).await;
    assert_eq!(
        db.save_survey_draft(&closed, None, None, &cells(&[("poste", "conseiller")]))
            .await
            .unwrap(),
        Err(DraftRefusal::Closed),
        "a closed survey takes no drafts"
    );
    let s = open_survey(&db, &closed, "hub-brouillons-ouverte", Access::Open).await;
    let token = db
        .save_survey_draft(&s, None, None, &cells(&[("poste", "conseiller")]))
        .await
        .unwrap()
        .unwrap();
    let same = db
        .save_survey_draft(&s, None, Some(&token), &cells(&[("poste", "animateur")]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token, same);
    let draft = db.survey_draft(&s, &token).await.unwrap().unwrap();
    assert_eq!(draft["poste"], "animateur");
    // A key chosen by the client is never used: it gets a new draft with
    // the server's key (finding L1).
    let chosen = "a".repeat(64);
    let given = db
        .save_survey_draft(&s, None, Some(&chosen), &cells(&[("poste", "animateur")]))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(given, chosen);
    assert_eq!(db.survey_draft(&s, &chosen).await.unwrap(), None);
    // Only the questionnaire's columns are kept, and drafts are bounded.
    let noise = db
        .save_survey_draft(&s, None, None, &cells(&[("pas_une_question", "x")]))
        .await
        .unwrap()
        .unwrap();
    assert!(
        db.survey_draft(&s, &noise)
            .await
            .unwrap()
            .unwrap()
            .is_empty()
    );
    let long = "x".repeat(MAX_DRAFT_BYTES);
    assert_eq!(
        db.save_survey_draft(&s, None, None, &cells(&[("poste", &long)]))
            .await
            .unwrap(),
        Err(DraftRefusal::TooLarge)
    );
    // On invitation, drafts need a usable invitation.
    let invited = open_survey(
        &db,
        &closed,
        "hub-brouillons-invitation",
        Access::Invitation,
    )
    .await;
    assert_eq!(
        db.save_survey_draft(&invited, Some("inconnue"), None, &cells(&[("poste", "x")]))
            .await
            .unwrap(),
        Err(DraftRefusal::Invitation)
    );
    let invitation = db
        .create_survey_invitations(&invited, 1, &Acting::system())
        .await
        .unwrap()
        .remove(0);
    assert!(
        db.save_survey_draft(&invited, Some(&invitation), None, &cells(&[("poste", "x")]))
            .await
            .unwrap()
            .is_ok()
    );
    // A survey holds a bounded number of drafts; an existing one still saves.
    sqlx::query(
        "INSERT INTO survey_drafts (token_hash, survey_id, answers, saved_on) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         SELECT 'rempli-' || CAST(i AS TEXT), $2, '{}', '2026-01-01' FROM n",
    )
    .bind(MAX_DRAFTS_PER_SURVEY)
    .bind(s.id)
    .execute(db.pool())
    .await
    .unwrap();
    assert_eq!(
        db.save_survey_draft(&s, None, None, &cells(&[("poste", "x")]))
            .await
            .unwrap(),
        Err(DraftRefusal::TooMany)
    );
    assert!(
        db.save_survey_draft(&s, None, Some(&token), &cells(&[("poste", "x")]))
            .await
            .unwrap()
            .is_ok()
    );
    // Only the first draft stays for what follows.
    sqlx::query("DELETE FROM survey_drafts WHERE token_hash <> $1")
        .bind(passerelle_accounts::secret::hash_secret(&token))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(db.survey_draft(&s, "inconnu").await.unwrap(), None);
    // Drafts older than the cut-off day go, the others stay.
    assert_eq!(db.purge_survey_drafts(day("2000-01-01")).await.unwrap(), 0);
    assert!(db.survey_draft(&s, &token).await.unwrap().is_some());
    assert_eq!(db.purge_survey_drafts(day("2999-01-01")).await.unwrap(), 1);
    assert_eq!(db.survey_draft(&s, &token).await.unwrap(), None);

    let esc = templates::load("esc-rennes-professionnels")
        .unwrap()
        .unwrap();
    let new = |slug: &'static str| NewSurvey {
        slug,
        structure_id: s.structure_id,
        questionnaire: &esc,
        access: Access::Open,
        opens_on: None,
        closes_on: None,
        status: Status::Online,
    };
    let taken = db
        .create_survey(&new("hub-brouillons"), &Acting::system())
        .await
        .unwrap();
    assert_eq!(taken, Err(SurveyRefusal::SlugTaken));
    let slug = db
        .create_survey(&new("Mon Enquête"), &Acting::system())
        .await
        .unwrap();
    assert_eq!(slug, Err(SurveyRefusal::BadSlug));
    let backwards = db
        .create_survey(
            &NewSurvey {
                opens_on: Some(day("2025-12-01")),
                closes_on: Some(day("2025-11-30")),
                ..new("hub-dates")
            },
            &Acting::system(),
        )
        .await
        .unwrap();
    assert_eq!(backwards, Err(SurveyRefusal::DatesOutOfOrder));
    assert!(
        db.create_survey(&new("esc-2021"), &Acting::system())
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test]
async fn a_draft_is_built_then_put_online_with_its_audit_lines() {
    let db = bretagne_database().await;
    let like = survey(&db, "hub-gabarit", Access::Open).await;
    let empty = passerelle_surveys::builder::blank("essai", "Essai");
    let new = NewSurvey {
        slug: "essai",
        structure_id: like.structure_id,
        questionnaire: &empty,
        access: Access::Open,
        opens_on: None,
        closes_on: None,
        status: Status::Draft,
    };
    db.create_survey(&new, &Acting::system())
        .await
        .unwrap()
        .unwrap();
    let draft = db.survey_by_slug("essai").await.unwrap().unwrap();
    assert_eq!(draft.status, Status::Draft);
    assert!(draft.questionnaire.questions.is_empty());
    assert!(!draft.open_today(), "nobody answers a draft");
    assert_eq!(
        db.submit_survey_response(&draft, None, &cells(&[]), None)
            .await
            .unwrap(),
        Err(Rejection::Closed)
    );
    assert_eq!(
        db.publish_survey(&draft, &Acting::system()).await.unwrap(),
        Err(SurveyRefusal::NoQuestions)
    );
    db.save_survey_questionnaire(&draft, &hub(), &Acting::system())
        .await
        .unwrap()
        .unwrap();
    let draft = db.survey_by_slug("essai").await.unwrap().unwrap();
    assert_eq!(draft.title, hub().title);
    assert_eq!(draft.questionnaire.questions.len(), hub().questions.len());
    db.publish_survey(&draft, &Acting::system())
        .await
        .unwrap()
        .unwrap();
    let online = db.survey_by_slug("essai").await.unwrap().unwrap();
    assert_eq!(online.status, Status::Online);
    assert!(online.open_today());
    assert_eq!(
        db.save_survey_questionnaire(&online, &hub(), &Acting::system())
            .await
            .unwrap(),
        Err(SurveyRefusal::NotDraft),
        "online, the questionnaire is fixed"
    );
    assert_eq!(
        db.publish_survey(&online, &Acting::system()).await.unwrap(),
        Err(SurveyRefusal::NotDraft)
    );
    db.close_survey(&online, &Acting::system()).await.unwrap();
    let closed = db.survey_by_slug("essai").await.unwrap().unwrap();
    assert!(!closed.open_today());
    let actions: Vec<String> =
        sqlx::query("SELECT action FROM audit_events WHERE subject = 'survey:essai' ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("action").unwrap())
            .collect();
    assert_eq!(
        actions,
        [
            "survey.created",
            "survey.questionnaire",
            "survey.published",
            "survey.closed"
        ]
    );
    let listed = db.surveys_of(&[like.structure_id]).await.unwrap();
    assert_eq!(listed[0].slug, "essai");
    assert_eq!(listed[0].status, Status::Online);
}
