//! Orientations over HTTP: a professional refers a person to a place of
//! the directory; the receiving structure opens it, fixes an appointment,
//! closes it; the sender follows every step. The person's fields are shown
//! only to the two structures, each reading audited. Around it, the
//! referents inside administrations and "situation complexe" requests.
//!
//! - `referrals`: the lists, the new referral, a referral's page and its
//!   steps, the right of access and the right to erasure;
//! - `stats`: the figures by the départements of the viewer's scope, with
//!   their CSV and XLSX;
//! - `referents`: the referents' directory (territories by name);
//! - `requests`: "situation complexe" requests and their thread;
//! - `forms`: every form, typed, checked into the domain's input;
//! - `views`: what these pages say in French (lines, follow-up, next steps).
//!
//! After an action, a page says what was done through `crate::notice`
//! (`?info=<code>`); refusing, cancelling and erasing ask for a
//! confirmation on the page, and the server waits for it (`confirmer=oui`).

mod forms;
mod referents;
mod referrals;
mod requests;
mod stats;
mod views;

use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::policy::{Action, ReferralRef};

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/orientations", referrals::list),
        Route::post("/orientations", referrals::create),
        Route::get("/orientations/nouvelle", referrals::new_form),
        Route::get("/orientations/statistiques", stats::page),
        Route::get("/orientations/statistiques.csv", stats::csv),
        Route::get("/orientations/statistiques.xlsx", stats::xlsx),
        Route::get("/orientations/{id}", referrals::detail),
        Route::post("/orientations/{id}/etape", referrals::step),
        Route::get("/orientations/{id}/donnees", referrals::export),
        Route::post("/orientations/{id}/effacement", referrals::erase),
        Route::post("/orientations/{id}/activite", referrals::link_activity),
        Route::get("/referents", referents::directory),
        Route::post("/referents", referents::add),
        Route::post("/referents/{id}/validation", referents::validate),
        Route::post("/referents/{id}/suppression", referents::remove),
        Route::get("/referents/demandes", requests::list),
        Route::post("/referents/demandes", requests::open),
        Route::get("/referents/demandes/{id}", requests::page),
        Route::post("/referents/demandes/{id}/reponse", requests::reply),
        Route::post("/referents/demandes/{id}/effacement", requests::erase),
    ]
}

/// The structures the viewer works in (membre or gestionnaire).
pub(crate) fn working_structures(viewer: &Viewer) -> Vec<(i64, String)> {
    viewer
        .memberships
        .iter()
        .filter(|m| passerelle_accounts::policy::works_in(&viewer.actor, m.structure_id))
        .map(|m| (m.structure_id, m.structure_nom.clone()))
        .collect()
}

/// Their identifiers only.
fn working_ids(viewer: &Viewer) -> Vec<i64> {
    working_structures(viewer)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// The structure on whose behalf the viewer reads: the receiving one when
/// they work there, else the sending one.
fn reading_structure(viewer: &Viewer, r: &ReferralRef) -> Option<i64> {
    let mine = working_ids(viewer);
    [r.receiver, r.sender]
        .into_iter()
        .find(|s| mine.contains(s))
}

/// The acting person, or a denial (a token acts for no one here).
fn person(viewer: &Viewer, path: &str) -> Result<i64, PageError> {
    viewer
        .person_id()
        .ok_or_else(|| PageError::denied(passerelle_accounts::policy::Denial::Forbidden, path))
}

/// Back to `path`, whose page says what was done (`crate::notice`).
fn done(path: &str, notice: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}info={notice}")).into_response()
}

/// The right to erasure of a referral or a "situation complexe" request:
/// the confirmation given on the page (else back to it), the policy's
/// `ErasePersonalData`, then `erase` (by this person, on behalf of their
/// structure), then the erased text flushed out of the database's log;
/// back to `path`, which says it is done (`notice`).
async fn erase_for_viewer<Erase, Done>(
    state: &AppState,
    viewer: &Viewer,
    r: &ReferralRef,
    (path, notice): (&str, &str),
    confirmed: bool,
    erase: Erase,
) -> PageResult
where
    Erase: FnOnce(Option<i64>, Option<i64>) -> Done,
    Done: std::future::Future<Output = Result<bool, passerelle_store::StoreError>>,
{
    viewer
        .authorize(Action::ErasePersonalData(r))
        .map_err(|d| PageError::denied(d, path))?;
    if !confirmed {
        return Ok(
            Redirect::to(&format!("{path}?confirmer=effacement#confirmation")).into_response(),
        );
    }
    erase(viewer.person_id(), reading_structure(viewer, r)).await?;
    state.db.flush_erasures().await?;
    Ok(done(path, notice))
}
