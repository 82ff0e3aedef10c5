//! Enquêtes over HTTP: the public answer form of a survey (anonymous,
//! open link or invitation, save and resume), and its results for the
//! structure running it (tables of the seeds' form, responses file).
//!
//! The form works without JavaScript: every question is shown, those with
//! a condition say when they apply, and answers to questions the other
//! answers hide are dropped on submission. `web/src/enquetes.js` only
//! hides and shows them live.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use passerelle_accounts::policy::Action;
use passerelle_accounts::secret::hash_secret;
use passerelle_store::surveys::{Access, Rejection, Survey, SurveySummary};
use passerelle_surveys::analysis::{Options, analyze};
use passerelle_surveys::questionnaire::{Kind, OTHER, Question, Test, presentation_order};
use passerelle_surveys::render::{NumberFormat, Table, tables};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Viewer, page_denial};
use crate::pages::{Chrome, Crumb, crumbs, render, storage_failure};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/enquetes", index),
        Route::get("/enquetes/{slug}", form_page),
        Route::post("/enquetes/{slug}", submit),
        Route::get("/enquetes/{slug}/resultats", results_page),
        Route::get("/enquetes/{slug}/reponses.csv", responses_csv),
    ]
}

pub struct Point {
    pub value: String,
    pub checked: bool,
}

pub struct ChoiceView {
    pub name: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct ItemView {
    pub name: String,
    pub label: String,
    pub points: Vec<Point>,
}

/// One question as the form shows it.
pub struct QuestionView {
    pub id: String,
    pub number: usize,
    pub text: String,
    pub help: String,
    pub required: bool,
    pub kind: &'static str,
    pub choices: Vec<ChoiceView>,
    /// "Autre, précisez": (label, field name, value).
    pub other: Option<(String, String, String)>,
    pub points: Vec<Point>,
    pub min_label: String,
    pub max_label: String,
    pub items: Vec<ItemView>,
    pub value: String,
    /// Bounds of a number, or of a scale (shown with its end labels).
    pub min: String,
    pub max: String,
    /// When the question applies, in words, and for the script: the
    /// question it depends on and the test (`any:a b`, `includes:c`,
    /// `min:5`, `max:5`).
    pub condition: String,
    pub depends_on: String,
    pub test: String,
    pub errors: Vec<String>,
}

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
}

#[derive(Template)]
#[template(path = "enquetes.html")]
pub struct IndexPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub signed_in: bool,
    pub surveys: Vec<SurveySummary>,
    pub templates: Vec<(&'static str, String)>,
}

/// What Enquêtes offers, and the surveys of the viewer's structures.
async fn index(State(state): State<AppState>, viewer: Viewer) -> Response {
    let structures: Vec<i64> = viewer.memberships.iter().map(|m| m.structure_id).collect();
    let surveys = match state.db.surveys_of(&structures).await {
        Ok(s) => s,
        Err(e) => return storage_failure(e),
    };
    let templates = passerelle_surveys::templates::names()
        .filter_map(|name| {
            passerelle_surveys::templates::load(name)
                .and_then(Result::ok)
                .map(|q| (name, q.title))
        })
        .collect();
    render(&IndexPage {
        chrome: Chrome::new("/enquetes", &viewer),
        crumbs: crumbs(&[], "Enquêtes"),
        signed_in: viewer.person.is_some(),
        surveys,
        templates,
    })
}

#[derive(Template)]
#[template(path = "enquete_merci.html")]
pub struct ThanksPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub title: String,
}

#[derive(Template)]
#[template(path = "enquete_resultats.html")]
pub struct ResultsPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub title: String,
    pub slug: String,
    pub respondents: usize,
    pub tables: Vec<Table>,
    pub min_cell: u64,
}

#[derive(Deserialize, Default)]
pub struct FormQuery {
    #[serde(default)]
    invitation: String,
    #[serde(default)]
    brouillon: String,
}

fn today() -> String {
    passerelle_store::time::now_iso()[..10].to_string()
}

/// "Si à la question 4 vous avez répondu « Non »".
fn condition_text(survey: &Survey, question: &Question) -> (String, String, String) {
    let Some(condition) = &question.show_if else {
        return Default::default();
    };
    let q = &survey.questionnaire;
    let Some(index) = q.index_of(&condition.question) else {
        return Default::default();
    };
    let target = &q.questions[index];
    let label = |code: &str| {
        target
            .kind
            .categories()
            .into_iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.label)
    };
    let (words, test) = match &condition.test {
        Test::AnyOf(codes) => (
            codes
                .iter()
                .map(|c| format!("« {} »", label(c)))
                .collect::<Vec<_>>()
                .join(" ou "),
            format!("any:{}", codes.join(" ")),
        ),
        Test::Includes(code) => (format!("« {} »", label(code)), format!("includes:{code}")),
        Test::AtLeast(x) => (format!("au moins {x}"), format!("min:{x}")),
        Test::AtMost(x) => (format!("au plus {x}"), format!("max:{x}")),
    };
    (
        format!(
            "Seulement si vous avez répondu {words} à la question {}.",
            index + 1
        ),
        condition.question.clone(),
        test,
    )
}

/// A number shuffling a question's options for this respondent: stable
/// across reloads of one visit (from the CSRF value), different between
/// respondents.
fn respondent_seed(viewer: &Viewer, question: &str) -> u64 {
    let digest = hash_secret(&format!("{}:{question}", viewer.csrf));
    u64::from_str_radix(&digest[..16], 16).unwrap_or(0)
}

fn views(
    survey: &Survey,
    viewer: &Viewer,
    cells: &BTreeMap<String, String>,
    errors: &[(String, String)],
) -> Vec<QuestionView> {
    let get = |name: &str| cells.get(name).cloned().unwrap_or_default();
    survey
        .questionnaire
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let (condition, depends_on, test) = condition_text(survey, q);
            let order = |n: usize| presentation_order(q, n, respondent_seed(viewer, &q.id));
            let points = |name: &str, min: i64, max: i64| -> Vec<Point> {
                let current = get(name);
                (min..=max)
                    .map(|v| Point {
                        checked: current == v.to_string(),
                        value: v.to_string(),
                    })
                    .collect()
            };
            let mut view = QuestionView {
                id: q.id.clone(),
                number: i + 1,
                text: q.text.clone(),
                help: q.help.clone().unwrap_or_default(),
                required: q.required,
                kind: q.kind.name(),
                choices: Vec::new(),
                other: None,
                points: Vec::new(),
                min_label: String::new(),
                max_label: String::new(),
                items: Vec::new(),
                value: get(&q.id),
                min: String::new(),
                max: String::new(),
                condition,
                depends_on,
                test,
                errors: errors
                    .iter()
                    .filter(|(column, _)| {
                        column == &q.id || column.starts_with(&format!("{}.", q.id))
                    })
                    .map(|(_, message)| message.clone())
                    .collect(),
            };
            match &q.kind {
                Kind::Single { options, other } | Kind::Multiple { options, other } => {
                    let multiple = matches!(q.kind, Kind::Multiple { .. });
                    view.choices = order(options.len())
                        .into_iter()
                        .map(|k| {
                            let o = &options[k];
                            let name = if multiple {
                                format!("{}.{}", q.id, o.code)
                            } else {
                                q.id.clone()
                            };
                            ChoiceView {
                                checked: if multiple {
                                    get(&name) == "1"
                                } else {
                                    get(&name) == o.code
                                },
                                name,
                                value: if multiple { "1".into() } else { o.code.clone() },
                                label: o.label.clone(),
                            }
                        })
                        .collect();
                    if let Some(label) = other {
                        let name = format!("{}.{OTHER}", q.id);
                        view.other = Some((label.clone(), name.clone(), get(&name)));
                    }
                }
                Kind::Scale(scale) | Kind::Grid { scale, .. } => {
                    view.min_label = scale.min_label.clone().unwrap_or_default();
                    view.max_label = scale.max_label.clone().unwrap_or_default();
                    view.min = scale.min.to_string();
                    view.max = scale.max.to_string();
                }
                _ => {}
            }
            match &q.kind {
                Kind::Scale(scale) => view.points = points(&q.id, scale.min, scale.max),
                Kind::Grid { items, scale } => {
                    view.items = order(items.len())
                        .into_iter()
                        .map(|k| {
                            let name = format!("{}.{}", q.id, items[k].code);
                            ItemView {
                                points: points(&name, scale.min, scale.max),
                                label: items[k].label.clone(),
                                name,
                            }
                        })
                        .collect();
                }
                Kind::Integer { min, max } | Kind::Decimal { min, max } => {
                    view.min = min.map(|v| v.to_string()).unwrap_or_default();
                    view.max = max.map(|v| v.to_string()).unwrap_or_default();
                }
                Kind::Single { .. } | Kind::Multiple { .. } | Kind::Text => {}
            }
            view
        })
        .collect()
}

async fn load(state: &AppState, slug: &str) -> Result<Survey, Response> {
    match state.db.survey_by_slug(slug).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(crate::pages::missing()),
        Err(e) => Err(storage_failure(e)),
    }
}

#[allow(clippy::too_many_arguments)]
fn form(
    survey: &Survey,
    viewer: &Viewer,
    query: &FormQuery,
    cells: &BTreeMap<String, String>,
    cell_errors: &[(String, String)],
    errors: Vec<String>,
    notice: Option<String>,
    resume_link: Option<String>,
) -> FormPage {
    FormPage {
        chrome: Chrome::new("/enquetes", viewer),
        crumbs: crumbs(&[], &survey.title),
        title: survey.title.clone(),
        description: survey.questionnaire.description.clone().unwrap_or_default(),
        action: format!("/enquetes/{}", survey.slug),
        invitation: query.invitation.clone(),
        draft: query.brouillon.clone(),
        questions: views(survey, viewer, cells, cell_errors),
        errors,
        notice,
        resume_link,
        closed: !survey.open_on(&today()),
    }
}

async fn form_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<FormQuery>,
) -> Response {
    let survey = match load(&state, &slug).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    if survey.access == Access::Invitation {
        match state.db.survey_invitation_usable(survey.id, &query.invitation).await {
            Ok(true) => {}
            Ok(false) => errors.push(
                "Cette enquête se remplit sur invitation : le lien reçu est nécessaire, et il ne sert qu’une fois.".to_string(),
            ),
            Err(e) => return storage_failure(e),
        }
    }
    let cells = if query.brouillon.is_empty() {
        BTreeMap::new()
    } else {
        match state.db.survey_draft(&survey, &query.brouillon).await {
            Ok(Some(cells)) => cells,
            Ok(None) => {
                errors.push("Ce brouillon n’existe pas (ou plus).".to_string());
                BTreeMap::new()
            }
            Err(e) => return storage_failure(e),
        }
    };
    render(&form(
        &survey,
        &viewer,
        &query,
        &cells,
        &[],
        errors,
        None,
        None,
    ))
}

async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form_data: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let survey = match load(&state, &slug).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(axum::Form(fields)) = form_data else {
        return crate::pages::forbidden_form("Formulaire incomplet.");
    };
    let mut query = FormQuery::default();
    let mut cells = BTreeMap::new();
    let mut save = false;
    for (name, value) in fields {
        match name.as_str() {
            "_csrf" => {}
            "invitation" => query.invitation = value,
            "brouillon" => query.brouillon = value,
            "action" => save = value == "enregistrer",
            _ if !value.trim().is_empty() => {
                cells.insert(name, value.trim().to_string());
            }
            _ => {}
        }
    }
    if save {
        let draft = (!query.brouillon.is_empty()).then_some(query.brouillon.as_str());
        let token = match state.db.save_survey_draft(&survey, draft, &cells).await {
            Ok(t) => t,
            Err(e) => return storage_failure(e),
        };
        let mut link = format!("/enquetes/{}?brouillon={token}", survey.slug);
        if !query.invitation.is_empty() {
            link.push_str(&format!("&invitation={}", query.invitation));
        }
        query.brouillon = token;
        let notice = Some("Réponses enregistrées. Gardez ce lien privé pour reprendre plus tard : il donne accès à vos réponses.".to_string());
        return render(&form(
            &survey,
            &viewer,
            &query,
            &cells,
            &[],
            Vec::new(),
            notice,
            Some(link),
        ));
    }
    let invitation = (!query.invitation.is_empty()).then_some(query.invitation.as_str());
    match state
        .db
        .submit_survey_response(&survey, invitation, &cells, None)
        .await
    {
        Ok(Ok(_)) => {
            if !query.brouillon.is_empty()
                && let Err(e) = state
                    .db
                    .delete_survey_draft(&survey, &query.brouillon)
                    .await
            {
                return storage_failure(e);
            }
            render(&ThanksPage {
                chrome: Chrome::new("/enquetes", &viewer),
                crumbs: crumbs(&[], &survey.title),
                title: survey.title.clone(),
            })
        }
        Ok(Err(rejection)) => {
            let (cell_errors, message) = match rejection {
                Rejection::Closed => (Vec::new(), "Cette enquête n’accepte pas de réponse aujourd’hui.".to_string()),
                Rejection::Invitation => (
                    Vec::new(),
                    "Le lien d’invitation manque ou a déjà servi : une invitation vaut une réponse.".to_string(),
                ),
                Rejection::Invalid(errors) => (
                    errors
                        .into_iter()
                        .map(|(column, _)| {
                            let message = french_problem(&survey, &column);
                            (column, message)
                        })
                        .collect(),
                    "Certaines réponses sont à corriger.".to_string(),
                ),
                Rejection::Incomplete(ids) => (
                    ids.into_iter().map(|id| (id, "Réponse obligatoire.".to_string())).collect(),
                    "Des questions obligatoires sont sans réponse.".to_string(),
                ),
            };
            let page = form(
                &survey,
                &viewer,
                &query,
                &cells,
                &cell_errors,
                vec![message],
                None,
                None,
            );
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => storage_failure(e),
    }
}

/// What to tell a respondent about a refused answer (the library's
/// messages are for researchers, in English).
fn french_problem(survey: &Survey, column: &str) -> String {
    let id = column.split('.').next().unwrap_or(column);
    let bounds = |min: &Option<f64>, max: &Option<f64>| match (min, max) {
        (Some(a), Some(b)) => format!(" entre {a} et {b}"),
        (Some(a), None) => format!(" d’au moins {a}"),
        (None, Some(b)) => format!(" d’au plus {b}"),
        (None, None) => String::new(),
    };
    match survey.questionnaire.question(id).map(|q| &q.kind) {
        Some(Kind::Integer { min, max }) => {
            format!("Un nombre entier{} est attendu.", bounds(min, max))
        }
        Some(Kind::Decimal { min, max }) => format!("Un nombre{} est attendu.", bounds(min, max)),
        Some(Kind::Scale(s) | Kind::Grid { scale: s, .. }) => {
            format!("Une note de {} à {} est attendue.", s.min, s.max)
        }
        _ => "Cette réponse ne fait pas partie des choix proposés.".to_string(),
    }
}

/// The survey, if the viewer may see its results (members of its
/// structure, coordinators of its territory, admins).
async fn readable(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    path: &str,
) -> Result<Survey, Response> {
    let survey = load(state, slug).await?;
    let structure = match state.db.structure(survey.structure_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(crate::pages::missing()),
        Err(e) => return Err(storage_failure(e)),
    };
    viewer
        .authorize(Action::ViewStructure(&structure.policy_ref()))
        .map_err(|d| page_denial(d, path))?;
    Ok(survey)
}

#[derive(Deserialize, Default)]
pub struct ResultsQuery {
    /// Publication mode: counts below this are hidden.
    #[serde(default)]
    seuil: u64,
}

async fn results_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<ResultsQuery>,
) -> Response {
    let path = format!("/enquetes/{slug}/resultats");
    let survey = match readable(&state, &viewer, &slug, &path).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let responses = match state.db.survey_responses(&survey).await {
        Ok(r) => r,
        Err(e) => return storage_failure(e),
    };
    let report = match analyze(&survey.questionnaire, &responses, &Options::default()) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("survey {slug}: {e}");
            return (StatusCode::INTERNAL_SERVER_ERROR, "Analyse impossible").into_response();
        }
    };
    let format = NumberFormat {
        decimal_comma: true,
        min_cell: query.seuil,
    };
    render(&ResultsPage {
        chrome: Chrome::new("/enquetes", &viewer),
        crumbs: crumbs(
            &[(&survey.title, &format!("/enquetes/{slug}"))],
            "Résultats",
        ),
        title: survey.title.clone(),
        slug,
        respondents: report.respondents,
        tables: tables(&report, &format),
        min_cell: query.seuil,
    })
}

async fn responses_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Response {
    let path = format!("/enquetes/{slug}/reponses.csv");
    let survey = match readable(&state, &viewer, &slug, &path).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match state.db.survey_responses_csv(&survey).await {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{slug}-reponses.csv\""),
                ),
            ],
            text,
        )
            .into_response(),
        Err(e) => storage_failure(e),
    }
}
