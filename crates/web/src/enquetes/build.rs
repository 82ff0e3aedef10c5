//! Building a draft's questionnaire in forms: its title and presentation,
//! questions added (text, type, answers one per line, "Autre, précisez",
//! scale or bounds, a condition chosen as "this answer to that earlier
//! question"), edited, moved up and down, removed after a confirmation.
//! Each change is checked whole by `passerelle_surveys::builder` and saved
//! with its audit line, or the form comes back with what was typed and the
//! problem next to its field. TOML is only for exchanging questionnaires
//! with other tools: exported, and imported as a file (the problems of a
//! file said in French with their line). Works without JavaScript;
//! `web/src/enquetes.js` only shows the fields of the type chosen.

use askama::Template;
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_store::surveys::{Status, Survey, SurveyRefusal};
use passerelle_surveys::Questionnaire;
use passerelle_surveys::builder::{self, Direction, KindChoice};
use passerelle_surveys::questionnaire::{Kind, Question};
use serde::Deserialize;

use super::create::{access_label, period, status};
use super::forms::{DetailsForm, Errors, MoveForm, QuestionForm, problems};
use super::views::condition_text;
use super::{acting, managed, public_link, readable, words};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::export::download;
use crate::fr;
use crate::pages::{Chrome, Crumb, crumbs, render};

/// A question in the list of the builder.
pub struct QuestionRow {
    pub id: String,
    pub number: usize,
    pub text: String,
    pub help: String,
    pub kind: &'static str,
    pub required: bool,
    /// Its answers (choices, grid items), or its scale or bounds in words.
    pub answers: Vec<String>,
    pub detail: String,
    pub condition: String,
    pub first: bool,
    pub last: bool,
}

/// An earlier question a condition may read, with its answers as the
/// select's options: (value `question=code`, label, selected).
pub struct Target {
    pub label: String,
    pub answers: Vec<(String, String, bool)>,
}

/// A question's form (to add one, or to edit one) with its choices.
pub struct QuestionFormView {
    pub action: String,
    pub form: QuestionForm,
    pub errors: Errors,
    /// (code, label) of each type.
    pub kinds: Vec<(&'static str, &'static str)>,
    pub targets: Vec<Target>,
    /// The question's condition in words, when the form cannot write it.
    pub kept: Option<String>,
    pub submit: &'static str,
}

impl QuestionFormView {
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }

    pub fn checked(&self, field: &Option<String>) -> bool {
        field.is_some()
    }
}

fn question_form(
    q: &Questionnaire,
    index: usize,
    action: String,
    form: QuestionForm,
    errors: Errors,
) -> QuestionFormView {
    let kept = (form.condition == "garder")
        .then(|| q.questions.get(index))
        .flatten()
        .map(|question| condition_text(q, question).0);
    let targets = builder::condition_targets(q, index)
        .into_iter()
        .map(|(number, target, answers)| Target {
            label: format!("Question {number} : {}", target.text),
            answers: answers
                .into_iter()
                .map(|a| {
                    let value = format!("{}={}", target.id, a.code);
                    let selected = value == form.condition;
                    (value, a.label, selected)
                })
                .collect(),
        })
        .collect();
    QuestionFormView {
        submit: if index < q.questions.len() {
            "Enregistrer la question"
        } else {
            "Ajouter la question"
        },
        action,
        kinds: KindChoice::ALL
            .into_iter()
            .map(|k| (k.code(), words::kind_label(k)))
            .collect(),
        targets,
        kept,
        form,
        errors,
    }
}

/// The scale or the bounds of a question, in words.
fn detail(question: &Question) -> String {
    let n = |x: f64| fr::decimal(x, 2);
    let end = |v: i64, label: &Option<String>| match label {
        Some(l) => format!("{v} ({l})"),
        None => v.to_string(),
    };
    match &question.kind {
        Kind::Scale(s) | Kind::Grid { scale: s, .. } => format!(
            "Notes de {} à {}",
            end(s.min, &s.min_label),
            end(s.max, &s.max_label)
        ),
        Kind::Integer { min, max } | Kind::Decimal { min, max } => match (min, max) {
            (Some(a), Some(b)) => format!("Entre {} et {}", n(*a), n(*b)),
            (Some(a), None) => format!("Au moins {}", n(*a)),
            (None, Some(b)) => format!("Au plus {}", n(*b)),
            (None, None) => String::new(),
        },
        Kind::Single { other: Some(o), .. } | Kind::Multiple { other: Some(o), .. } => {
            format!("Et « {o} », avec un texte libre")
        }
        _ => String::new(),
    }
}

fn rows(q: &Questionnaire) -> Vec<QuestionRow> {
    let count = q.questions.len();
    q.questions
        .iter()
        .enumerate()
        .map(|(i, question)| QuestionRow {
            id: question.id.clone(),
            number: i + 1,
            text: question.text.clone(),
            help: question.help.clone().unwrap_or_default(),
            kind: words::kind_label(KindChoice::of(&question.kind)),
            required: question.required,
            answers: match &question.kind {
                Kind::Single { options, .. } | Kind::Multiple { options, .. } => {
                    options.iter().map(|o| o.label.clone()).collect()
                }
                Kind::Grid { items, .. } => items.iter().map(|o| o.label.clone()).collect(),
                _ => Vec::new(),
            },
            detail: detail(question),
            condition: condition_text(q, question).0,
            first: i == 0,
            last: i + 1 == count,
        })
        .collect()
}

/// What was just done, for the alert at the top of the page.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Done {
    Creee,
    Ajoutee,
    Modifiee,
    Deplacee,
    Retiree,
    Importe,
    Presentation,
    #[serde(other)]
    Autre,
}

impl Done {
    fn text(self) -> Option<&'static str> {
        Some(match self {
            Done::Creee => "Enquête créée : ajoutez ses questions, puis mettez-la en ligne.",
            Done::Ajoutee => "Question ajoutée.",
            Done::Modifiee => "Question enregistrée.",
            Done::Deplacee => "Question déplacée.",
            Done::Retiree => "Question retirée.",
            Done::Importe => "Questionnaire importé : vérifiez-le, puis mettez l’enquête en ligne.",
            Done::Presentation => "Titre et présentation enregistrés.",
            Done::Autre => return None,
        })
    }
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    fait: Option<Done>,
}

#[derive(Template)]
#[template(path = "enquete_questionnaire.html")]
pub struct BuilderPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub slug: String,
    pub title: String,
    pub draft: bool,
    pub status: &'static str,
    pub badge: &'static str,
    pub notice: Option<&'static str>,
    pub questions: Vec<QuestionRow>,
    pub add: QuestionFormView,
    pub details: DetailsForm,
    pub details_errors: Errors,
    /// The problems of an imported file.
    pub import_errors: Vec<String>,
    pub link: String,
    pub access: &'static str,
    pub period: String,
}

impl BuilderPage {
    pub fn error(&self, field: &str) -> &str {
        self.details_errors.get(field)
    }
}

/// The builder page as it stands, before any form is filled in.
fn builder_page(state: &AppState, viewer: &Viewer, survey: &Survey) -> BuilderPage {
    let q = &survey.questionnaire;
    let (label, badge) = status(survey.status, survey.opens_on, survey.open_today());
    BuilderPage {
        chrome: Chrome::new("/enquetes", viewer),
        crumbs: crumbs(&[("Enquêtes", "/enquetes")], &survey.title),
        slug: survey.slug.clone(),
        title: survey.title.clone(),
        draft: survey.status == Status::Draft,
        status: label,
        badge,
        notice: None,
        questions: rows(q),
        add: question_form(
            q,
            q.questions.len(),
            format!("/enquetes/{}/questions#ajouter", survey.slug),
            QuestionForm {
                kind: KindChoice::Single.code().into(),
                ..QuestionForm::default()
            },
            Errors::default(),
        ),
        details: DetailsForm {
            titre: q.title.clone(),
            presentation: q.description.clone().unwrap_or_default(),
        },
        details_errors: Errors::default(),
        import_errors: Vec::new(),
        link: public_link(state, &survey.slug),
        access: access_label(survey.access),
        period: period(survey.opens_on, survey.closes_on),
    }
}

fn unprocessable(page: &impl Template) -> PageResult {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)).into_response())
}

fn questionnaire_path(slug: &str) -> String {
    format!("/enquetes/{slug}/questionnaire")
}

/// The survey, if the viewer runs it and it is still a draft.
async fn draft(state: &AppState, viewer: &Viewer, slug: &str) -> Result<Survey, PageError> {
    let path = questionnaire_path(slug);
    let survey = managed(state, viewer, slug, &path).await?;
    if survey.status != Status::Draft {
        let why = words::refusal_text(&SurveyRefusal::NotDraft, slug);
        return Err(PageError::refused(StatusCode::CONFLICT, why, &path));
    }
    Ok(survey)
}

/// Saves the questionnaire, then back to the builder saying what was done.
async fn store(
    state: &AppState,
    viewer: &Viewer,
    survey: &Survey,
    q: &Questionnaire,
    done: &str,
) -> PageResult {
    let path = questionnaire_path(&survey.slug);
    let saved = state
        .db
        .save_survey_questionnaire(survey, q, &acting(viewer, survey))
        .await?;
    if let Err(refusal) = saved {
        let why = words::refusal_text(&refusal, &survey.slug);
        return Err(PageError::refused(StatusCode::CONFLICT, why, &path));
    }
    Ok(Redirect::to(&format!("{path}?fait={done}")).into_response())
}

pub(super) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let survey = managed(&state, &viewer, &slug, &questionnaire_path(&slug)).await?;
    let mut page = builder_page(&state, &viewer, &survey);
    page.notice = query.fait.and_then(Done::text);
    Ok(render(&page))
}

/// The title and the presentation respondents read first.
pub(super) async fn save_details(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    posted: Result<Form<DetailsForm>, FormRejection>,
) -> PageResult {
    let survey = draft(&state, &viewer, &slug).await?;
    let Form(form) = posted.map_err(|_| PageError::BadForm)?;
    if form.titre.trim().is_empty() {
        let mut page = builder_page(&state, &viewer, &survey);
        page.details_errors
            .add("titre", "Donnez un titre à l’enquête.");
        page.details = form;
        return unprocessable(&page);
    }
    let mut q = survey.questionnaire.clone();
    q.title = form.titre.trim().to_string();
    q.description = Some(form.presentation.trim().to_string()).filter(|d| !d.is_empty());
    store(&state, &viewer, &survey, &q, "presentation").await
}

pub(super) async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    posted: Result<Form<QuestionForm>, FormRejection>,
) -> PageResult {
    let survey = draft(&state, &viewer, &slug).await?;
    let Form(form) = posted.map_err(|_| PageError::BadForm)?;
    let mut q = survey.questionnaire.clone();
    let added = form
        .input()
        .and_then(|input| builder::add(&mut q, &input).map_err(|p| problems(&p)));
    match added {
        Ok(id) => store(&state, &viewer, &survey, &q, &format!("ajoutee#q-{id}")).await,
        Err(errors) => {
            let mut page = builder_page(&state, &viewer, &survey);
            let q = &survey.questionnaire;
            page.add = question_form(q, q.questions.len(), page.add.action.clone(), form, errors);
            unprocessable(&page)
        }
    }
}

#[derive(Template)]
#[template(path = "enquete_question.html")]
pub struct EditPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub number: usize,
    pub back: String,
    pub add: QuestionFormView,
}

fn edit_page_of(
    viewer: &Viewer,
    survey: &Survey,
    index: usize,
    form: QuestionForm,
    errors: Errors,
) -> EditPage {
    let q = &survey.questionnaire;
    let back = questionnaire_path(&survey.slug);
    let action = format!(
        "/enquetes/{}/questions/{}",
        survey.slug, q.questions[index].id
    );
    EditPage {
        chrome: Chrome::new("/enquetes", viewer),
        crumbs: crumbs(
            &[("Enquêtes", "/enquetes"), (&survey.title, &back)],
            &format!("Question {}", index + 1),
        ),
        number: index + 1,
        add: question_form(q, index, action, form, errors),
        back,
    }
}

/// The position of a question of the draft, or 404.
fn index_of(survey: &Survey, id: &str) -> Result<usize, PageError> {
    survey.questionnaire.index_of(id).ok_or(PageError::NotFound)
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let survey = draft(&state, &viewer, &slug).await?;
    let index = index_of(&survey, &id)?;
    let q = &survey.questionnaire;
    let form = QuestionForm::of(&builder::input_of(q, &q.questions[index]));
    Ok(render(&edit_page_of(
        &viewer,
        &survey,
        index,
        form,
        Errors::default(),
    )))
}

pub(super) async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
    posted: Result<Form<QuestionForm>, FormRejection>,
) -> PageResult {
    let survey = draft(&state, &viewer, &slug).await?;
    let index = index_of(&survey, &id)?;
    let Form(form) = posted.map_err(|_| PageError::BadForm)?;
    let mut q = survey.questionnaire.clone();
    let replaced = form
        .input()
        .and_then(|input| builder::replace(&mut q, &id, &input).map_err(|p| problems(&p)));
    match replaced {
        Ok(()) => store(&state, &viewer, &survey, &q, &format!("modifiee#q-{id}")).await,
        Err(errors) => unprocessable(&edit_page_of(&viewer, &survey, index, form, errors)),
    }
}

pub(super) async fn move_one(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
    posted: Result<Form<MoveForm>, FormRejection>,
) -> PageResult {
    let survey = draft(&state, &viewer, &slug).await?;
    let Form(form) = posted.map_err(|_| PageError::BadForm)?;
    let direction = match form.sens.as_str() {
        "haut" => Direction::Up,
        "bas" => Direction::Down,
        _ => return Err(PageError::BadForm),
    };
    let mut q = survey.questionnaire.clone();
    if let Err(refusal) = builder::move_question(&mut q, &id, direction) {
        let why = words::move_refusal_text(&refusal);
        let back = questionnaire_path(&slug);
        return Err(PageError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            why,
            &back,
        ));
    }
    store(&state, &viewer, &survey, &q, &format!("deplacee#q-{id}")).await
}

#[derive(Template)]
#[template(path = "enquete_confirmation.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub action: String,
    pub button: &'static str,
    pub back: String,
}

pub(super) async fn remove_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let survey = draft(&state, &viewer, &slug).await?;
    let index = index_of(&survey, &id)?;
    let back = questionnaire_path(&slug);
    let question = &survey.questionnaire.questions[index];
    Ok(render(&ConfirmPage {
        chrome: Chrome::new("/enquetes", &viewer),
        crumbs: crumbs(
            &[("Enquêtes", "/enquetes"), (&survey.title, &back)],
            "Retirer une question",
        ),
        heading: format!("Retirer la question {} ?", index + 1),
        paragraphs: vec![
            format!("« {} »", question.text),
            "Elle disparaît du questionnaire avec ses réponses proposées.".into(),
        ],
        action: format!("/enquetes/{slug}/questions/{id}/retrait"),
        button: "Retirer la question",
        back: format!("{back}#q-{id}"),
    }))
}

pub(super) async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let survey = draft(&state, &viewer, &slug).await?;
    index_of(&survey, &id)?;
    let mut q = survey.questionnaire.clone();
    if let Err(refusal) = builder::remove(&mut q, &id) {
        let why = words::move_refusal_text(&refusal);
        let back = questionnaire_path(&slug);
        return Err(PageError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            why,
            &back,
        ));
    }
    store(&state, &viewer, &survey, &q, "retiree").await
}

/// The questionnaire as a TOML file, for other tools and other instances.
pub(super) async fn export_toml(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let path = format!("/enquetes/{slug}/questionnaire.toml");
    let survey = readable(&state, &viewer, &slug, &path).await?;
    let text = survey.questionnaire.to_toml(&Default::default());
    Ok(download(
        "application/toml; charset=utf-8",
        &format!("{slug}.toml"),
        text.into_bytes(),
    ))
}

/// The file posted as `fichier`, or what to say when there is none.
async fn posted_file(form: Result<Multipart, MultipartRejection>) -> Result<Vec<u8>, String> {
    let unreadable =
        || "Le fichier n’a pas pu être reçu : choisissez-le et envoyez-le à nouveau.".to_string();
    let mut form = form.map_err(|_| unreadable())?;
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        if field.name() == Some("fichier") {
            let bytes = field.bytes().await.map_err(|_| unreadable())?;
            if bytes.is_empty() {
                break;
            }
            return Ok(bytes.to_vec());
        }
    }
    Err("Choisissez un fichier de questionnaire (.toml).".into())
}

/// Replaces the draft's questionnaire with a file's.
pub(super) async fn import_toml(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let survey = draft(&state, &viewer, &slug).await?;
    let read = posted_file(form).await.and_then(|bytes| {
        let text = String::from_utf8(bytes)
            .map_err(|_| "Le fichier n’est pas du texte UTF-8.".to_string())?;
        Questionnaire::parse_draft(&text, &slug).map_err(|invalid| {
            let problems: Vec<String> = invalid.problems.iter().map(words::file_problem).collect();
            problems.join("\n")
        })
    });
    match read {
        Ok(q) => store(&state, &viewer, &survey, &q, "importe").await,
        Err(problems) => {
            let mut page = builder_page(&state, &viewer, &survey);
            page.import_errors = problems.lines().map(str::to_string).collect();
            unprocessable(&page)
        }
    }
}
