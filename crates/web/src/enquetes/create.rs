//! `/enquetes`: what Enquêtes offers, the surveys of the viewer's
//! structures (draft, online, closed), and a new survey started empty or
//! from a built-in questionnaire, as a draft to build.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use passerelle_accounts::policy::Action;
use passerelle_store::surveys::{Access, NewSurvey, Status, SurveyRefusal, SurveySummary, today};
use passerelle_store::write::Acting;
use serde::Deserialize;

use super::forms::{Errors, NewSurveyForm, NewSurveyInput};
use super::{creator, managed_structures, words};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::fr;
use crate::pages::{Chrome, Crumb, crumbs, render};

/// A survey in the list.
pub struct SurveyRow {
    pub slug: String,
    pub title: String,
    pub status: &'static str,
    /// DSFR badge: `info` (draft), `success` (online), `warning` (closed).
    pub badge: &'static str,
    pub draft: bool,
    pub access: &'static str,
    pub period: String,
    pub responses: String,
}

/// "du 1er mars 2026 au 20 mars 2026", "à partir du …", "jusqu’au …".
pub fn period(opens: Option<NaiveDate>, closes: Option<NaiveDate>) -> String {
    match (opens, closes) {
        (Some(a), Some(b)) => format!("du {} au {}", fr::date(a), fr::date(b)),
        (Some(a), None) => format!("à partir du {}", fr::date(a)),
        (None, Some(b)) => format!("jusqu’au {}", fr::date(b)),
        (None, None) => "sans date limite".into(),
    }
}

/// "Brouillon", "En ligne", "Pas encore ouverte", "Close", with its badge.
pub fn status(
    status: Status,
    opens: Option<NaiveDate>,
    open_today: bool,
) -> (&'static str, &'static str) {
    match status {
        Status::Draft => ("Brouillon", "info"),
        Status::Online if open_today => ("En ligne", "success"),
        Status::Online if opens.is_some_and(|d| d > today()) => ("Pas encore ouverte", "new"),
        Status::Online => ("Close", "warning"),
    }
}

pub fn access_label(access: Access) -> &'static str {
    match access {
        Access::Open => "Toute personne qui a le lien",
        Access::Invitation => "Sur invitation",
    }
}

fn row(s: SurveySummary) -> SurveyRow {
    let (label, badge) = status(s.status, s.opens_on, s.open_today());
    SurveyRow {
        period: period(s.opens_on, s.closes_on),
        responses: fr::integer(s.responses),
        access: access_label(s.access),
        draft: s.status == Status::Draft,
        status: label,
        badge,
        slug: s.slug,
        title: s.title,
    }
}

/// (name, title) of the built-in questionnaires.
fn built_in() -> Vec<(&'static str, String)> {
    passerelle_surveys::templates::names()
        .filter_map(|name| {
            passerelle_surveys::templates::load(name)
                .and_then(Result::ok)
                .map(|q| (name, q.title))
        })
        .collect()
}

#[derive(Template)]
#[template(path = "enquetes.html")]
pub struct IndexPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub signed_in: bool,
    pub surveys: Vec<SurveyRow>,
    pub templates: Vec<(&'static str, String)>,
    /// May start surveys (gestionnaire somewhere).
    pub can_create: bool,
}

/// What Enquêtes offers, and the surveys of the viewer's structures.
pub(super) async fn index(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let structures: Vec<i64> = viewer.memberships.iter().map(|m| m.structure_id).collect();
    let surveys = state.db.surveys_of(&structures).await?;
    Ok(render(&IndexPage {
        chrome: Chrome::new("/enquetes", &viewer),
        crumbs: crumbs(&[], "Enquêtes"),
        signed_in: viewer.person.is_some(),
        surveys: surveys.into_iter().map(row).collect(),
        templates: built_in(),
        can_create: viewer.authorize(Action::CreateSurvey).is_ok(),
    }))
}

#[derive(Template)]
#[template(path = "enquete_nouvelle.html")]
pub struct NewPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub structures: Vec<(i64, String)>,
    pub templates: Vec<(&'static str, String)>,
    pub form: NewSurveyForm,
    pub errors: Errors,
}

impl NewPage {
    fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }
}

fn new_page_of(
    viewer: &Viewer,
    structures: Vec<(i64, String)>,
    form: NewSurveyForm,
    errors: Errors,
) -> NewPage {
    NewPage {
        chrome: Chrome::new("/enquetes", viewer),
        crumbs: crumbs(&[("Enquêtes", "/enquetes")], "Nouvelle enquête"),
        structures,
        templates: built_in(),
        form,
        errors,
    }
}

#[derive(Deserialize, Default)]
pub(super) struct NewQuery {
    /// A built-in questionnaire chosen on the list.
    #[serde(default)]
    modele: String,
}

pub(super) async fn new_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<NewQuery>,
) -> PageResult {
    let structures = creator(&state, &viewer, "/enquetes/nouvelle").await?;
    let form = NewSurveyForm {
        modele: query.modele,
        acces: "ouvert".into(),
        ..NewSurveyForm::default()
    };
    Ok(render(&new_page_of(
        &viewer,
        structures,
        form,
        Errors::default(),
    )))
}

/// Creates a draft for a structure the viewer runs surveys for, and
/// opens its questionnaire.
pub(super) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    posted: Result<Form<NewSurveyForm>, FormRejection>,
) -> PageResult {
    let Form(form) = posted.map_err(|_| PageError::BadForm)?;
    const PATH: &str = "/enquetes/nouvelle";
    // The structure named decides, as for any of its surveys.
    let named = match form.structure.trim().parse::<i64>() {
        Ok(id) => state.db.structure(id).await?,
        Err(_) => None,
    };
    match named {
        Some(s) => viewer
            .authorize(Action::ManageSurveys(&s.policy_ref()))
            .map_err(|d| PageError::denied(d, PATH))?,
        None => {
            creator(&state, &viewer, PATH).await?;
        }
    }
    let structures = managed_structures(&state, &viewer).await?;
    let refused = |errors: Errors, form: NewSurveyForm| {
        let page = new_page_of(&viewer, structures.clone(), form, errors);
        Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
    };
    let input = match form.check(&structures) {
        Ok(input) => input,
        Err(errors) => return refused(errors, form),
    };
    match insert(&state, &viewer, &input).await? {
        Ok(slug) => {
            let to = format!("/enquetes/{slug}/questionnaire?fait=creee");
            Ok(Redirect::to(&to).into_response())
        }
        Err(refusal) => {
            let mut errors = Errors::default();
            let field = match refusal {
                SurveyRefusal::DatesOutOfOrder => "cloture",
                _ => "adresse",
            };
            errors.add(field, words::refusal_text(&refusal, &input.slug));
            refused(errors, form)
        }
    }
}

/// Stores the draft; an address made from the title gets `-2`, `-3`…
/// while it is taken. Returns the address.
async fn insert(
    state: &AppState,
    viewer: &Viewer,
    input: &NewSurveyInput,
) -> Result<Result<String, SurveyRefusal>, PageError> {
    let mut slug = input.slug.clone();
    for n in 2..=50 {
        let created = state
            .db
            .create_survey(
                &NewSurvey {
                    slug: &slug,
                    structure_id: input.structure_id,
                    questionnaire: &input.questionnaire,
                    access: input.access,
                    opens_on: input.opens_on,
                    closes_on: input.closes_on,
                    status: Status::Draft,
                },
                &Acting {
                    person: viewer.person_id(),
                    token: viewer.token_id(),
                    structure: Some(input.structure_id),
                    address: viewer.ip.clone(),
                },
            )
            .await?;
        match created {
            Ok(_) => return Ok(Ok(slug)),
            Err(SurveyRefusal::SlugTaken) if input.slug_made => {
                slug = format!("{}-{n}", input.slug);
            }
            Err(refusal) => return Ok(Err(refusal)),
        }
    }
    Ok(Err(SurveyRefusal::SlugTaken))
}
