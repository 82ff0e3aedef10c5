//! Enquêtes over HTTP. A gestionnaire builds a questionnaire in a form
//! (`build`: questions added, edited, moved and removed, or a built-in
//! questionnaire to start from; TOML only to import and export), puts it
//! online and shares its link and QR code (`share`: also invitations and
//! closing, after a confirmation). Respondents answer anonymously on the
//! public form (`respond`, questions as the form shows them in `views`;
//! save and resume). The structure reads the results (`results`: tables
//! of the seeds' form, a crosstab and other tables built on demand) and
//! downloads them (`exports`: CSV for French Excel or standard, XLSX,
//! SPSS). `create` lists a structure's surveys and starts new ones;
//! `forms` reads what the forms post into typed input; `words` says in
//! French what the store and the library refuse.

mod build;
mod create;
mod exports;
mod forms;
mod respond;
mod results;
mod share;
mod views;
mod words;

use passerelle_accounts::policy::{Action, Denial, StructureRef};
use passerelle_store::surveys::Survey;
use passerelle_store::write::Acting;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::PageError;
use crate::routes::Route;

pub use words::{invalid_text, refusal_text};

/// A questionnaire imported as a TOML file: the built-in ones are 12 KB.
const IMPORT_BODY_LIMIT: usize = 512 * 1024;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/enquetes", create::index),
        Route::get("/enquetes/nouvelle", create::new_page),
        Route::post("/enquetes/nouvelle", create::create),
        Route::get("/enquetes/{slug}/questionnaire", build::page),
        Route::post("/enquetes/{slug}/questionnaire", build::save_details),
        Route::get("/enquetes/{slug}/questionnaire.toml", build::export_toml),
        Route::post("/enquetes/{slug}/questionnaire/import", build::import_toml)
            .body_limit(IMPORT_BODY_LIMIT),
        Route::post("/enquetes/{slug}/questions", build::add),
        Route::get("/enquetes/{slug}/questions/{id}", build::edit_page),
        Route::post("/enquetes/{slug}/questions/{id}", build::save),
        Route::post("/enquetes/{slug}/questions/{id}/deplacer", build::move_one),
        Route::get(
            "/enquetes/{slug}/questions/{id}/retrait",
            build::remove_page,
        ),
        Route::post("/enquetes/{slug}/questions/{id}/retrait", build::remove),
        Route::post("/enquetes/{slug}/mise-en-ligne", share::publish),
        Route::get("/enquetes/{slug}/partage", share::page),
        Route::get("/enquetes/{slug}/qr.svg", share::qr),
        Route::post("/enquetes/{slug}/invitations", share::invite),
        Route::get("/enquetes/{slug}/cloture", share::close_page),
        Route::post("/enquetes/{slug}/cloture", share::close),
        Route::get("/enquetes/{slug}", respond::page),
        Route::post("/enquetes/{slug}", respond::submit),
        Route::get("/enquetes/{slug}/resultats", results::page),
        Route::get("/enquetes/{slug}/resultats.csv", exports::tables_csv),
        Route::get("/enquetes/{slug}/resultats.xlsx", exports::tables_xlsx),
        Route::get("/enquetes/{slug}/reponses.csv", exports::responses_csv),
        Route::get("/enquetes/{slug}/reponses.sps", exports::responses_sps),
        Route::get("/enquetes/{slug}/reponses.dat", exports::responses_dat),
    ]
}

/// The survey at this address, or 404.
async fn load(state: &AppState, slug: &str) -> Result<Survey, PageError> {
    state
        .db
        .survey_by_slug(slug)
        .await?
        .ok_or(PageError::NotFound)
}

/// The structure running the survey, as the policy sees it.
async fn structure_of(state: &AppState, survey: &Survey) -> Result<StructureRef, PageError> {
    let structure = state.db.structure(survey.structure_id).await?;
    Ok(structure.ok_or(PageError::NotFound)?.policy_ref())
}

/// The survey, if the viewer may ask `action` of its structure (the
/// denial otherwise; `path`: where to come back after signing in).
async fn allowed(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    path: &str,
    action: fn(&StructureRef) -> Action<'_>,
) -> Result<Survey, PageError> {
    let survey = load(state, slug).await?;
    let structure = structure_of(state, &survey).await?;
    viewer
        .authorize(action(&structure))
        .map_err(|d| PageError::denied(d, path))?;
    Ok(survey)
}

/// The survey, if the viewer runs it (its structure's gestionnaires).
async fn managed(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    path: &str,
) -> Result<Survey, PageError> {
    allowed(state, viewer, slug, path, |s| Action::ManageSurveys(s)).await
}

/// The survey, if the viewer may read its results (members of its
/// structure, coordinators of its territory, admins).
async fn readable(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    path: &str,
) -> Result<Survey, PageError> {
    allowed(state, viewer, slug, path, |s| Action::ViewStructure(s)).await
}

/// Whether the viewer runs this survey.
async fn manages(state: &AppState, viewer: &Viewer, survey: &Survey) -> Result<bool, PageError> {
    let structure = structure_of(state, survey).await?;
    Ok(viewer.authorize(Action::ManageSurveys(&structure)).is_ok())
}

/// (id, name) of the viewer's structures whose surveys they run, as the
/// policy answers for each.
async fn managed_structures(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(i64, String)>, PageError> {
    let mut out = Vec::new();
    for m in &viewer.memberships {
        if out.iter().any(|(id, _)| *id == m.structure_id) {
            continue;
        }
        let Some(structure) = state.db.structure(m.structure_id).await? else {
            continue;
        };
        if viewer
            .authorize(Action::ManageSurveys(&structure.policy_ref()))
            .is_ok()
        {
            out.push((structure.id, structure.nom));
        }
    }
    Ok(out)
}

/// Signed in and running surveys somewhere, or the denial.
async fn creator(
    state: &AppState,
    viewer: &Viewer,
    path: &str,
) -> Result<Vec<(i64, String)>, PageError> {
    viewer
        .authorize(Action::CreateSurvey)
        .map_err(|d| PageError::denied(d, path))?;
    let structures = managed_structures(state, viewer).await?;
    if structures.is_empty() {
        return Err(PageError::denied(Denial::Forbidden, path));
    }
    Ok(structures)
}

/// Who acts, for the audit trail: the viewer, through the structure
/// running the survey, from their address.
fn acting(viewer: &Viewer, survey: &Survey) -> Acting {
    Acting {
        person: viewer.person_id(),
        token: viewer.token_id(),
        structure: Some(survey.structure_id),
        address: viewer.ip.clone(),
    }
}

/// The public address of a survey's form.
fn public_link(state: &AppState, slug: &str) -> String {
    format!("{}/enquetes/{slug}", state.config.public_url)
}
