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
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::policy::Action;
use passerelle_accounts::secret::hash_secret;
use passerelle_store::surveys::{Access, DraftRefusal, Rejection, Survey, SurveySummary};
use passerelle_surveys::analysis::{
    Options, Report, analyze, manova_formula, regression_formula, subgroup, variables,
};
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
        Route::get("/enquetes/nouvelle", new_page),
        // A questionnaire pasted as TOML: the built-in ones are 12 KB.
        Route::post("/enquetes/nouvelle", create).body_limit(512 * 1024),
        Route::post("/enquetes/{slug}/invitations", invite),
        Route::post("/enquetes/{slug}/cloture", close),
        Route::get("/enquetes/{slug}", form_page),
        Route::post("/enquetes/{slug}", submit),
        Route::get("/enquetes/{slug}/resultats", results_page),
        Route::get("/enquetes/{slug}/resultats.csv", results_csv),
        Route::get("/enquetes/{slug}/resultats.xlsx", results_xlsx),
        Route::get("/enquetes/{slug}/reponses.csv", responses_csv),
        Route::get("/enquetes/{slug}/reponses.sps", responses_sps),
        Route::get("/enquetes/{slug}/reponses.dat", responses_dat),
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
    /// Let the browser insist too: required and unconditional (a
    /// conditional question may not apply, and without the script it is
    /// shown anyway). A group of check boxes cannot say "at least one" in
    /// HTML; the server does.
    pub browser_required: bool,
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
    /// May put surveys online (gestionnaire somewhere).
    pub can_create: bool,
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
        can_create: !managed_structures(&viewer).is_empty(),
    })
}

/// (id, name) of the structures whose surveys the viewer manages.
fn managed_structures(viewer: &Viewer) -> Vec<(i64, String)> {
    viewer
        .memberships
        .iter()
        .filter(|m| m.role == passerelle_accounts::Role::Gestionnaire || viewer.is_admin())
        .map(|m| (m.structure_id, m.structure_nom.clone()))
        .collect()
}

#[derive(Template)]
#[template(path = "enquete_nouvelle.html")]
pub struct NewPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub structures: Vec<(i64, String)>,
    pub templates: Vec<(&'static str, String)>,
    pub fields: BTreeMap<String, String>,
    pub selected_structure: String,
    pub errors: Vec<String>,
}

fn new_form(viewer: &Viewer, fields: BTreeMap<String, String>, errors: Vec<String>) -> NewPage {
    NewPage {
        chrome: Chrome::new("/enquetes", viewer),
        crumbs: crumbs(&[("Enquêtes", "/enquetes")], "Nouvelle enquête"),
        structures: managed_structures(viewer),
        templates: passerelle_surveys::templates::names()
            .filter_map(|name| {
                passerelle_surveys::templates::load(name)
                    .and_then(Result::ok)
                    .map(|q| (name, q.title))
            })
            .collect(),
        selected_structure: fields.get("structure").cloned().unwrap_or_default(),
        fields,
        errors,
    }
}

async fn new_page(viewer: Viewer) -> Response {
    if viewer.person.is_none() {
        return page_denial(
            passerelle_accounts::policy::Denial::SignInRequired,
            "/enquetes/nouvelle",
        );
    }
    if managed_structures(&viewer).is_empty() {
        return crate::pages::forbidden();
    }
    render(&new_form(&viewer, BTreeMap::new(), Vec::new()))
}

/// Puts a questionnaire online for a structure the viewer manages.
async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form_data: crate::pages::FormFields,
) -> Response {
    let Ok(axum::Form(fields)) = form_data else {
        return crate::pages::forbidden_form("Formulaire incomplet.");
    };
    let fields: BTreeMap<String, String> = fields
        .into_iter()
        .filter(|(k, _)| k != "_csrf")
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect();
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    let structure_id: i64 = get("structure").parse().unwrap_or(0);
    let structure = match state.db.structure(structure_id).await {
        Ok(s) => s,
        Err(e) => return storage_failure(e),
    };
    let allowed = structure
        .as_ref()
        .map(|s| viewer.authorize(Action::ManageSurveys(&s.policy_ref())));
    match allowed {
        Some(Ok(())) => {}
        Some(Err(denial)) => return page_denial(denial, "/enquetes/nouvelle"),
        None if viewer.person.is_none() => {
            return page_denial(
                passerelle_accounts::policy::Denial::SignInRequired,
                "/enquetes/nouvelle",
            );
        }
        None => return crate::pages::forbidden(),
    }
    let text = match passerelle_surveys::templates::text(get("modele")) {
        Some(text) => text.to_string(),
        None => get("questionnaire").to_string(),
    };
    let day = |k: &str| (!get(k).is_empty()).then(|| get(k));
    let created = state
        .db
        .create_survey(&passerelle_store::surveys::NewSurvey {
            slug: get("adresse"),
            structure_id,
            questionnaire: &text,
            access: if get("acces") == "invitation" {
                Access::Invitation
            } else {
                Access::Open
            },
            opens_on: day("ouverture"),
            closes_on: day("cloture"),
        })
        .await;
    match created {
        Ok(Ok(_)) => {
            axum::response::Redirect::to(&format!("/enquetes/{}/resultats", get("adresse")))
                .into_response()
        }
        Ok(Err(refusal)) => {
            let page = new_form(&viewer, fields.clone(), vec![refusal.0]);
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => storage_failure(e),
    }
}

#[derive(Template)]
#[template(path = "enquete_invitations.html")]
pub struct InvitationsPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub title: String,
    pub links: Vec<String>,
}

/// Creates invitations to a survey and shows their links, once.
/// Closes the survey now (its gestionnaires): the form says it is closed.
async fn close(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Response {
    let path = format!("/enquetes/{slug}/resultats");
    let survey = match load(&state, &slug).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let structure = match state.db.structure(survey.structure_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return crate::pages::missing(),
        Err(e) => return storage_failure(e),
    };
    if let Err(denial) = viewer.authorize(Action::ManageSurveys(&structure.policy_ref())) {
        return page_denial(denial, &path);
    }
    match state.db.close_survey(&survey).await {
        Ok(()) => Redirect::to(&path).into_response(),
        Err(e) => storage_failure(e),
    }
}

async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form_data: crate::pages::FormFields,
) -> Response {
    let path = format!("/enquetes/{slug}/resultats");
    let survey = match load(&state, &slug).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let structure = match state.db.structure(survey.structure_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return crate::pages::missing(),
        Err(e) => return storage_failure(e),
    };
    if let Err(denial) = viewer.authorize(Action::ManageSurveys(&structure.policy_ref())) {
        return page_denial(denial, &path);
    }
    let Ok(axum::Form(fields)) = form_data else {
        return crate::pages::forbidden_form("Formulaire incomplet.");
    };
    let count = fields
        .iter()
        .find(|(k, _)| k == "nombre")
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=5000).contains(n));
    let Some(count) = count else {
        return crate::pages::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invitations",
            &["Indiquez un nombre d’invitations entre 1 et 5 000."],
        );
    };
    let tokens = match state.db.create_survey_invitations(survey.id, count).await {
        Ok(t) => t,
        Err(e) => return storage_failure(e),
    };
    let base = state.config.public_url.trim_end_matches('/').to_string();
    render(&InvitationsPage {
        chrome: Chrome::new("/enquetes", &viewer),
        crumbs: crumbs(&[(&survey.title, &path)], "Invitations"),
        title: survey.title.clone(),
        links: tokens
            .iter()
            .map(|t| format!("{base}/enquetes/{slug}?invitation={t}"))
            .collect(),
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
    pub tables: Vec<TableView>,
    pub query: ResultsQuery,
    /// The same query, for the export links.
    pub query_string: String,
    pub categorical: Vec<(String, String)>,
    pub numeric: Vec<(String, String)>,
    pub error: Option<String>,
    /// Gestionnaires create invitations from here.
    pub can_manage: bool,
}

/// A table with, per row, the length of its bar (0–100) when it has one:
/// shares of a choice, means of a comparison.
pub struct TableView {
    pub table: Table,
    /// The table's rows with their bars.
    pub rows: Vec<(Vec<String>, Option<f64>)>,
    pub has_bars: bool,
    /// Scales: the share of each point, drawn as a distribution.
    pub distribution: Vec<(String, f64)>,
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
                browser_required: q.required && q.show_if.is_none(),
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
    form_data: crate::pages::FormFields,
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
        let refused = |status: StatusCode, message: &str| {
            let page = form(
                &survey,
                &viewer,
                &query,
                &cells,
                &[],
                vec![message.to_string()],
                None,
                None,
            );
            (status, render(&page)).into_response()
        };
        if !state
            .limits
            .allow(crate::limits::Limited::SurveyDraft, viewer.ip.as_deref())
        {
            return refused(
                StatusCode::TOO_MANY_REQUESTS,
                "Trop d’enregistrements depuis votre connexion : réessayez dans une heure, ou envoyez vos réponses.",
            );
        }
        let draft = (!query.brouillon.is_empty()).then_some(query.brouillon.as_str());
        let invitation = (!query.invitation.is_empty()).then_some(query.invitation.as_str());
        let token = match state
            .db
            .save_survey_draft(&survey, invitation, draft, &cells)
            .await
        {
            Ok(Ok(t)) => t,
            Ok(Err(DraftRefusal::Closed)) => {
                return refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Cette enquête n’accepte pas de réponse aujourd’hui.",
                );
            }
            Ok(Err(DraftRefusal::Invitation)) => {
                return refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Le lien d’invitation manque ou a déjà servi : une invitation vaut une réponse.",
                );
            }
            Ok(Err(DraftRefusal::TooLarge)) => {
                return refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Vos réponses sont trop longues pour être enregistrées : raccourcissez les textes libres.",
                );
            }
            Ok(Err(DraftRefusal::TooMany)) => {
                return refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Les brouillons de cette enquête sont trop nombreux pour l’instant : envoyez vos réponses directement.",
                );
            }
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

#[derive(Deserialize, Default, serde::Serialize)]
pub struct ResultsQuery {
    /// Publication mode: counts below this are hidden.
    #[serde(default)]
    pub seuil: u64,
    /// Crosstab builder: rows and columns.
    #[serde(default)]
    pub lignes: String,
    #[serde(default)]
    pub colonnes: String,
    /// Comparison builder: a numeric variable and the groups.
    #[serde(default)]
    pub mesure: String,
    #[serde(default)]
    pub groupes: String,
    /// A regression "Y~X1+X2" and a MANOVA "Y1+Y2~G".
    #[serde(default)]
    pub regression: String,
    #[serde(default)]
    pub manova: String,
    /// Subgroup: a categorical variable and one of its codes.
    #[serde(default)]
    pub filtre: String,
    #[serde(default)]
    pub valeur: String,
}

/// The report the query asks for: every question's table, plus the
/// crosstab and comparison built, on the subgroup chosen.
async fn report_for(
    state: &AppState,
    survey: &Survey,
    query: &ResultsQuery,
) -> Result<Result<Report, String>, Response> {
    let mut responses = state
        .db
        .survey_responses(survey)
        .await
        .map_err(storage_failure)?;
    let q = &survey.questionnaire;
    if !query.filtre.is_empty() && !query.valeur.is_empty() {
        responses = match subgroup(q, &responses, &query.filtre, &query.valeur) {
            Ok(r) => r,
            Err(_) => {
                return Ok(Err(format!(
                    "Sous-groupe impossible : « {} » n’est pas un code de réponse de {}.",
                    query.valeur, query.filtre
                )));
            }
        };
    }
    let mut options = Options::default();
    if !query.lignes.is_empty() && !query.colonnes.is_empty() {
        options
            .cross
            .push((query.lignes.clone(), query.colonnes.clone()));
    }
    if !query.mesure.is_empty() && !query.groupes.is_empty() {
        options
            .compare
            .push((query.mesure.clone(), query.groupes.clone()));
    }
    if !query.regression.trim().is_empty() {
        match regression_formula(&query.regression) {
            Ok(r) => options.regress.push(r),
            Err(_) => {
                return Ok(Err(
                    "Régression : écrivez-la Y~X1+X2 (noms de variables des listes ci-dessus)."
                        .into(),
                ));
            }
        }
    }
    if !query.manova.trim().is_empty() {
        match manova_formula(&query.manova) {
            Ok(m) => options.manova.push(m),
            Err(_) => {
                return Ok(Err(
                    "MANOVA : écrivez-la Y1+Y2~GROUPES (noms de variables des listes ci-dessus)."
                        .into(),
                ));
            }
        }
    }
    Ok(analyze(q, &responses, &options))
}

fn views_of(report: &Report, format: &NumberFormat) -> Vec<TableView> {
    let questions = report.questions.len();
    let crosstabs = report.crosstabs.len();
    tables(report, format)
        .into_iter()
        .enumerate()
        .map(|(i, table)| {
            let mut bars = vec![None; table.rows.len()];
            let mut distribution = Vec::new();
            if let Some(q) = report.questions.get(i)
                && let Some(freq) = &q.frequencies
            {
                if q.kind == "single" || q.kind == "multiple" {
                    for (bar, f) in bars.iter_mut().zip(freq) {
                        *bar = (!format.hidden(f.count as u64)).then_some(f.percent);
                    }
                } else if q.n as u64 >= format.min_cell.max(1) {
                    distribution = freq.iter().map(|f| (f.value.clone(), f.percent)).collect();
                }
            } else if i >= questions + crosstabs
                && let Some(c) = report.comparisons.get(i - questions - crosstabs)
            {
                let top = c.groups.iter().filter_map(|g| g.mean).fold(0.0, f64::max);
                for (bar, g) in bars.iter_mut().zip(&c.groups) {
                    *bar = g
                        .mean
                        .filter(|_| top > 0.0 && !format.hidden(g.n as u64))
                        .map(|m| m * 100.0 / top);
                }
            }
            TableView {
                has_bars: bars.iter().any(Option::is_some),
                rows: table.rows.iter().cloned().zip(bars).collect(),
                table,
                distribution,
            }
        })
        .collect()
}

/// "name — question text", for the builders' lists.
fn labelled(q: &passerelle_surveys::Questionnaire, names: Vec<String>) -> Vec<(String, String)> {
    names
        .into_iter()
        .map(|name| {
            let (id, sub) = name.split_once('.').unwrap_or((&name, ""));
            let question = q.question(id);
            let mut label = question.map_or_else(String::new, |q| q.text.clone());
            if let Some(question) = question
                && !sub.is_empty()
            {
                let part = match &question.kind {
                    Kind::Grid { items, .. } => items
                        .iter()
                        .find(|i| i.code == sub)
                        .map(|i| i.label.clone()),
                    kind => kind
                        .categories()
                        .into_iter()
                        .find(|c| c.code == sub)
                        .map(|c| c.label),
                };
                label = format!("{label} — {}", part.unwrap_or_default());
            }
            let short: String = label.chars().take(110).collect();
            (name.clone(), format!("{name} : {short}"))
        })
        .collect()
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
    let format = NumberFormat {
        decimal_comma: true,
        min_cell: query.seuil,
    };
    let (report, error) = match report_for(&state, &survey, &query).await {
        Ok(Ok(report)) => (Some(report), None),
        Ok(Err(e)) => (None, Some(e)),
        Err(r) => return r,
    };
    let (categorical, numeric) = variables(&survey.questionnaire);
    let can_manage = match state.db.structure(survey.structure_id).await {
        Ok(Some(s)) => viewer
            .authorize(Action::ManageSurveys(&s.policy_ref()))
            .is_ok(),
        Ok(None) => false,
        Err(e) => return storage_failure(e),
    };
    render(&ResultsPage {
        can_manage,
        chrome: Chrome::new("/enquetes", &viewer),
        crumbs: crumbs(
            &[(&survey.title, &format!("/enquetes/{slug}"))],
            "Résultats",
        ),
        title: survey.title.clone(),
        respondents: report.as_ref().map_or(0, |r| r.respondents),
        tables: report
            .as_ref()
            .map(|r| views_of(r, &format))
            .unwrap_or_default(),
        query_string: serde_urlencoded::to_string(&query).unwrap_or_default(),
        categorical: labelled(&survey.questionnaire, categorical),
        numeric: labelled(&survey.questionnaire, numeric),
        query,
        error,
        slug,
    })
}

/// Every table of the results page as CSV (`;`, decimal comma) or XLSX.
async fn results_export(
    state: AppState,
    viewer: Viewer,
    slug: String,
    query: ResultsQuery,
    xlsx: bool,
) -> Response {
    let extension = if xlsx { "xlsx" } else { "csv" };
    let path = format!("/enquetes/{slug}/resultats.{extension}");
    let survey = match readable(&state, &viewer, &slug, &path).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let report = match report_for(&state, &survey, &query).await {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => {
            return crate::pages::message(StatusCode::BAD_REQUEST, "Analyse impossible", &[&e]);
        }
        Err(r) => return r,
    };
    let (content_type, body) = if xlsx {
        let format = NumberFormat {
            decimal_comma: false,
            min_cell: query.seuil,
        };
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            match passerelle_surveys::xlsx::workbook(&tables(&report, &format)) {
                Ok(bytes) => bytes,
                Err(e) => {
                    tracing::error!("XLSX export: {e}");
                    return (StatusCode::INTERNAL_SERVER_ERROR, "Export impossible")
                        .into_response();
                }
            },
        )
    } else {
        let format = NumberFormat {
            decimal_comma: true,
            min_cell: query.seuil,
        };
        (
            "text/csv; charset=utf-8",
            passerelle_surveys::render::csv(&report, &format).into_bytes(),
        )
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-tableaux.{extension}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn results_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<ResultsQuery>,
) -> Response {
    results_export(state, viewer, slug, query, false).await
}

async fn results_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<ResultsQuery>,
) -> Response {
    results_export(state, viewer, slug, query, true).await
}

/// The responses for SPSS or PSPP: the syntax (`.sps`), which reads the
/// data file (`.dat`) downloaded beside it.
async fn responses_spss(state: AppState, viewer: Viewer, slug: String, syntax: bool) -> Response {
    let extension = if syntax { "sps" } else { "dat" };
    let path = format!("/enquetes/{slug}/reponses.{extension}");
    let survey = match readable(&state, &viewer, &slug, &path).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let responses = match state.db.survey_responses(&survey).await {
        Ok(r) => r,
        Err(e) => return storage_failure(e),
    };
    let files = passerelle_surveys::spss::export(
        &survey.questionnaire,
        &responses,
        &format!("{slug}-reponses.dat"),
    );
    let (content_type, body) = if syntax {
        ("text/plain; charset=utf-8", files.syntax.into_bytes())
    } else {
        ("text/plain; charset=utf-8", files.data)
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-reponses.{extension}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn responses_sps(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Response {
    responses_spss(state, viewer, slug, true).await
}

async fn responses_dat(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Response {
    responses_spss(state, viewer, slug, false).await
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
