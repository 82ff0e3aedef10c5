//! The public answer form of a survey: anonymous, by an open link or an
//! invitation, with save and resume. It works without JavaScript: every
//! question is shown, those with a condition say when they apply, and
//! answers to questions the other answers hide are dropped on submission.
//! `web/src/enquetes.js` only hides and shows them live. A draft survey's
//! form is a preview for those who run it, and unknown to anyone else.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use passerelle_store::surveys::{Access, Status, Survey};
use serde::Deserialize;

use super::views::{QuestionView, views};
use super::{load, manages, words};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, crumbs, render};

#[derive(Template)]
#[template(path = "enquete.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub title: String,
    pub description: String,
    pub action: String,
    pub invitation: String,
    pub draft: String,
    pub questions: Vec<QuestionView>,
    pub errors: Vec<String>,
    pub notice: Option<String>,
    pub resume_link: Option<String>,
    pub closed: bool,
    /// A draft shown to those who build it: no button.
    pub preview: bool,
}

#[derive(Template)]
#[template(path = "enquete_merci.html")]
pub struct ThanksPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub title: String,
}

/// The form's address query: the invitation it is answered with, the
/// draft it resumes.
#[derive(Deserialize, Default)]
pub(super) struct FormQuery {
    #[serde(default)]
    invitation: String,
    #[serde(default)]
    brouillon: String,
}

/// What the form posts, read once: its address query carried along, which
/// button was pressed, and the answers by column (empty ones left out).
struct Submission {
    query: FormQuery,
    save: bool,
    cells: BTreeMap<String, String>,
}

impl From<BTreeMap<String, String>> for Submission {
    fn from(fields: BTreeMap<String, String>) -> Self {
        let mut submission = Submission {
            query: FormQuery::default(),
            save: false,
            cells: BTreeMap::new(),
        };
        for (name, value) in fields {
            match name.as_str() {
                "_csrf" => {}
                "invitation" => submission.query.invitation = value,
                "brouillon" => submission.query.brouillon = value,
                "action" => submission.save = value == "enregistrer",
                _ if !value.trim().is_empty() => {
                    submission.cells.insert(name, value.trim().to_string());
                }
                _ => {}
            }
        }
        submission
    }
}

/// What the form shows besides the questions.
#[derive(Default)]
struct Shown {
    cells: BTreeMap<String, String>,
    cell_errors: Vec<(String, String)>,
    errors: Vec<String>,
    notice: Option<String>,
    resume_link: Option<String>,
}

fn form(survey: &Survey, viewer: &Viewer, query: &FormQuery, shown: Shown) -> FormPage {
    FormPage {
        chrome: Chrome::new("/enquetes", viewer),
        crumbs: crumbs(&[], &survey.title),
        title: survey.title.clone(),
        description: survey.questionnaire.description.clone().unwrap_or_default(),
        action: format!("/enquetes/{}", survey.slug),
        invitation: query.invitation.clone(),
        draft: query.brouillon.clone(),
        questions: views(survey, viewer, &shown.cells, &shown.cell_errors),
        errors: shown.errors,
        notice: shown.notice,
        resume_link: shown.resume_link,
        closed: survey.status == Status::Online && !survey.open_today(),
        preview: survey.status == Status::Draft,
    }
}

fn opt(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

pub(super) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<FormQuery>,
) -> PageResult {
    let survey = load(&state, &slug).await?;
    if survey.status == Status::Draft && !manages(&state, &viewer, &survey).await? {
        return Err(PageError::NotFound);
    }
    let mut errors = Vec::new();
    if survey.access == Access::Invitation
        && survey.status == Status::Online
        && !state
            .db
            .survey_invitation_usable(survey.id, &query.invitation)
            .await?
    {
        errors.push("Cette enquête se remplit sur invitation : le lien reçu est nécessaire, et il ne sert qu’une fois.".to_string());
    }
    let mut cells = BTreeMap::new();
    if !query.brouillon.is_empty() {
        match state.db.survey_draft(&survey, &query.brouillon).await? {
            Some(saved) => cells = saved,
            None => errors.push("Ce brouillon n’existe pas (ou plus).".to_string()),
        }
    }
    let shown = Shown {
        cells,
        errors,
        ..Shown::default()
    };
    Ok(render(&form(&survey, &viewer, &query, shown)))
}

pub(super) async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    posted: Result<Form<BTreeMap<String, String>>, FormRejection>,
) -> PageResult {
    let survey = load(&state, &slug).await?;
    if survey.status == Status::Draft {
        return Err(PageError::NotFound);
    }
    let Form(fields) = posted.map_err(|_| PageError::BadForm)?;
    let submission = Submission::from(fields);
    if submission.save {
        save_draft(&state, &viewer, &survey, submission).await
    } else {
        send(&state, &viewer, &survey, submission).await
    }
}

/// Keeps the answers so far behind a private link.
async fn save_draft(
    state: &AppState,
    viewer: &Viewer,
    survey: &Survey,
    mut submission: Submission,
) -> PageResult {
    let refused = |status: StatusCode, message: &str, submission: Submission| {
        let shown = Shown {
            cells: submission.cells,
            errors: vec![message.to_string()],
            ..Shown::default()
        };
        Ok((
            status,
            render(&form(survey, viewer, &submission.query, shown)),
        )
            .into_response())
    };
    if !state
        .limits
        .allow(crate::limits::Limited::SurveyDraft, viewer.ip.as_deref())
    {
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Trop d’enregistrements depuis votre connexion : réessayez dans une heure, ou envoyez vos réponses.",
            submission,
        );
    }
    let q = &submission.query;
    let saved = state
        .db
        .save_survey_draft(
            survey,
            opt(&q.invitation),
            opt(&q.brouillon),
            &submission.cells,
        )
        .await?;
    let token = match saved {
        Ok(token) => token,
        Err(refusal) => {
            let message = words::draft_refusal(refusal);
            return refused(StatusCode::UNPROCESSABLE_ENTITY, message, submission);
        }
    };
    let mut pairs = vec![("brouillon", token.as_str())];
    if !submission.query.invitation.is_empty() {
        pairs.push(("invitation", &submission.query.invitation));
    }
    let link = format!(
        "/enquetes/{}?{}",
        survey.slug,
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    );
    submission.query.brouillon = token;
    let shown = Shown {
        cells: submission.cells,
        notice: Some("Réponses enregistrées. Gardez ce lien privé pour reprendre plus tard : il donne accès à vos réponses.".to_string()),
        resume_link: Some(link),
        ..Shown::default()
    };
    Ok(render(&form(survey, viewer, &submission.query, shown)))
}

/// Stores the response, or shows the form again with what is wrong next
/// to each question and every answer kept.
async fn send(
    state: &AppState,
    viewer: &Viewer,
    survey: &Survey,
    submission: Submission,
) -> PageResult {
    let q = &submission.query;
    let stored = state
        .db
        .submit_survey_response(survey, opt(&q.invitation), &submission.cells, None)
        .await?;
    match stored {
        Ok(_) => {
            if !q.brouillon.is_empty() {
                state.db.delete_survey_draft(survey, &q.brouillon).await?;
            }
            Ok(render(&ThanksPage {
                chrome: Chrome::new("/enquetes", viewer),
                crumbs: crumbs(&[], &survey.title),
                title: survey.title.clone(),
            }))
        }
        Err(rejection) => {
            let (message, cell_errors) = words::rejection(survey, rejection);
            let shown = Shown {
                cells: submission.cells,
                cell_errors,
                errors: vec![message],
                ..Shown::default()
            };
            let page = form(survey, viewer, &submission.query, shown);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}
