//! Activités over HTTP: the mediator's quick entry form (`entry`), the
//! dashboards of every scope (`dashboard`), `POST /api/v1/activities`
//! (`api`) and the open figures of a territory (`open`). Handlers parse
//! (`forms`), ask the policy and the store, and render (`views`).

mod api;
mod charts;
mod dashboard;
mod entry;
mod explore;
mod forms;
mod open;
mod share;
mod views;

pub use api::{__path_api_record, ItemProblem, RecordAnswer, api_record};
pub use explore::{__path_api_stats, StatsAnswer, StatsCell, api_stats};
pub use open::{
    __path_api_open_activities, OpenActivities, OpenCell, OpenTerritory, api_open_activities,
};

use passerelle_accounts::policy::recording_structure;
use passerelle_store::accounts::AuditEvent;
use passerelle_store::activities::Author;

use crate::auth::Viewer;
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/activites", entry::entry_page),
        Route::post("/activites", entry::record),
        Route::get("/activites/{id}/suppression", entry::withdraw_page),
        Route::post("/activites/{id}/suppression", entry::withdraw),
        Route::get("/activites/{id}/modifier", entry::edit_page),
        Route::post("/activites/{id}/modifier", entry::save_edit),
        Route::get("/activites/tableau-de-bord", dashboard::dashboard),
        Route::get("/activites/tableau-de-bord.csv", dashboard::dashboard_csv),
        Route::get("/activites/tableau-de-bord.xlsx", dashboard::dashboard_xlsx),
        Route::get("/activites/statistiques", explore::stats_page),
        Route::get("/activites/statistiques.csv", explore::stats_csv),
        Route::get("/api/v1/activities/stats", api_stats),
        Route::get("/activites/partages", share::list),
        Route::post("/activites/partages", share::create),
        Route::post("/activites/partages/{id}/retrait", share::revoke),
        Route::get("/partage/activites/{token}", share::public),
        Route::get("/partage/activites/{token}/integrer", share::embedded),
        // About 3,000 records a request; larger files go through
        // `passerelle activities import`.
        Route::post("/api/v1/activities", api_record).body_limit(2 * 1024 * 1024),
        Route::get("/api/v1/open/activities", api_open_activities),
    ]
}

/// Who records: the person (or machine client) and the structure they
/// record for, as the policy says.
fn author(viewer: &Viewer) -> Author {
    Author {
        mediator_id: viewer.person_id(),
        structure_id: recording_structure(&viewer.actor),
        token_id: viewer.token_id(),
    }
}

/// The audit line of a change to activity records.
fn audit_event(
    viewer: &Viewer,
    action: &str,
    subject: String,
    detail: Option<String>,
) -> AuditEvent {
    AuditEvent {
        action: action.into(),
        actor_person_id: viewer.person_id(),
        actor_token_id: viewer.token_id(),
        structure_id: recording_structure(&viewer.actor),
        subject: Some(subject),
        detail,
        ip: viewer.ip.clone(),
    }
}
