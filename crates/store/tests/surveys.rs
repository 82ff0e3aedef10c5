//! Enquêtes storage, on the back-end the environment selects: surveys,
//! anonymous responses stored whole or not at all, one response per
//! invitation, drafts, and the responses file the analysis reads.

use std::collections::BTreeMap;

use passerelle_accounts::StructureKind;
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_store::surveys::{Access, NewSurvey, Rejection, Survey};
use passerelle_store::testing::bretagne_database;
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
    db.create_survey(&NewSurvey {
        slug,
        structure_id: structure,
        questionnaire: templates::text("hub-bretagne-2023").unwrap(),
        access,
        opens_on: Some("2023-02-28"),
        closes_on: Some("2023-03-20"),
    })
    .await
    .unwrap()
    .unwrap();
    db.survey_by_slug(slug).await.unwrap().unwrap()
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

const OPEN_DAY: Option<&str> = Some("2023-03-01");

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
        .submit_survey_response(&s, None, &answers(), Some("2023-03-21"))
        .await
        .unwrap();
    assert_eq!(refused, Err(Rejection::Closed));

    let responses = db.survey_responses(&s).await.unwrap();
    assert_eq!(responses.respondents, 1);
    let csv = db.survey_responses_csv(&s).await.unwrap();
    assert!(
        csv.lines().nth(1).unwrap().starts_with("conseiller,,1,0,"),
        "{csv}"
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
    let tokens = db.create_survey_invitations(s.id, 2).await.unwrap();
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
        .map(|r| r.try_get(0).unwrap())
        .collect();
    assert!(!stored.contains(&tokens[0]));
}

#[tokio::test]
async fn drafts_resume_and_bad_surveys_are_refused() {
    let db = bretagne_database().await;
    let s = survey(&db, "hub-brouillons", Access::Open).await;
    let token = db
        .save_survey_draft(&s, None, &cells(&[("poste", "conseiller")]))
        .await
        .unwrap();
    let same = db
        .save_survey_draft(&s, Some(&token), &cells(&[("poste", "animateur")]))
        .await
        .unwrap();
    assert_eq!(token, same);
    let draft = db.survey_draft(&s, &token).await.unwrap().unwrap();
    assert_eq!(draft["poste"], "animateur");
    assert_eq!(db.survey_draft(&s, "inconnu").await.unwrap(), None);
    // Drafts older than the cut-off day go, the others stay.
    assert_eq!(db.purge_survey_drafts("2000-01-01").await.unwrap(), 0);
    assert!(db.survey_draft(&s, &token).await.unwrap().is_some());
    assert_eq!(db.purge_survey_drafts("2999-01-01").await.unwrap(), 1);
    assert_eq!(db.survey_draft(&s, &token).await.unwrap(), None);

    let new = |slug: &'static str, questionnaire: &'static str| NewSurvey {
        slug,
        structure_id: s.structure_id,
        questionnaire,
        access: Access::Open,
        opens_on: None,
        closes_on: None,
    };
    let refused = db
        .create_survey(&new("hub-2024", "id = \"x\"\ntitle = \"X\"\n"))
        .await
        .unwrap();
    assert!(
        refused.unwrap_err().0.contains("line"),
        "problems name their line"
    );
    let text = templates::text("esc-rennes-professionnels").unwrap();
    let taken = db
        .create_survey(&new("hub-brouillons", text))
        .await
        .unwrap();
    assert!(taken.unwrap_err().0.contains("déjà"));
    let slug = db.create_survey(&new("Mon Enquête", text)).await.unwrap();
    assert!(slug.is_err());
    assert!(
        db.create_survey(&new("esc-2021", text))
            .await
            .unwrap()
            .is_ok()
    );
}
