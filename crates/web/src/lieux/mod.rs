//! Lieux over HTTP: the public finder (list and map), a place's page and
//! its printable sheet, the place editor, the coordination view, and the
//! API (`/api/v1/places`, GeoJSON, import, open data). The finder counts
//! its searches near a commune, anonymously (commune, needs, places found,
//! day), for the Diagnostic's unmet demand.
//!
//! - `search`: the finder's query, parsed once, shared by pages and API;
//! - `api`: `/api/v1/places…`;
//! - `finder`: `/lieux`, its downloads and the borders under its map;
//! - `place`: a place's page and printable sheet;
//! - `edit`: the editor (typed form, weekly grid of hours, commune by name);
//! - `coordination`: stale places and possible duplicates;
//! - `views`: what these pages say in French (hours in words, status).

pub mod api;
pub(crate) mod coordination;
mod edit;
mod finder;
mod forms;
mod place;
mod search;
mod views;

use passerelle_accounts::policy::{Action, Location, PlaceRef};
use passerelle_places::sources::UNKNOWN_PIVOT;
use passerelle_store::places::StoredPlace;
use passerelle_store::write::Acting;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::PageError;
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/v1/places", api::api_list),
        Route::get("/api/v1/places.geojson", api::api_geojson),
        Route::get("/api/v1/places/{id}", api::api_place),
        Route::post("/api/v1/places/import", api::api_import).body_limit(32 * 1024 * 1024),
        Route::get("/api/v1/places/data-inclusion", api::api_data_inclusion),
        Route::get("/api/v1/open/places", api::api_open_places),
        Route::get("/lieux", finder::finder),
        Route::get("/lieux/export.csv", finder::export),
        Route::get("/lieux/carte/contours", finder::borders),
        Route::get("/lieux/{id}", place::place_page),
        Route::get("/lieux/{id}/fiche", place::place_sheet),
        Route::get("/lieux/{id}/modifier", edit::edit_page),
        Route::post("/lieux/{id}/modifier", edit::save_edit),
        Route::get("/lieux/coordination", coordination::coordination_page),
        Route::post("/lieux/doublons/{a}/{b}", coordination::decide_duplicate),
    ]
}

/// Who acts, for the audit trail of the places' writes: the person or
/// token, from their address; no structure (a place is edited or merged
/// on its own account, not through one of the viewer's structures).
fn acting(viewer: &Viewer) -> Acting {
    Acting {
        person: viewer.person_id(),
        token: viewer.token_id(),
        structure: None,
        address: viewer.ip.clone(),
    }
}

/// What the policy needs to know of a place: who runs it, where it is.
async fn place_ref(
    state: &AppState,
    stored: &StoredPlace,
) -> Result<PlaceRef, passerelle_store::StoreError> {
    PlaceRefs::default().of(state, stored).await
}

/// Where a commune of the reference lies, for the policy.
async fn commune_location(
    state: &AppState,
    code: &str,
) -> Result<Location, passerelle_store::StoreError> {
    Ok(state
        .db
        .commune(code)
        .await?
        .map_or_else(Location::default, |c| Location {
            commune: Some(c.code),
            epci: c.epci.map(|e| e.siren),
            departement: Some(c.departement.code),
            region: Some(c.region.code),
        }))
}

/// `place_ref` for many places at once: the communes and SIRETs they
/// share are looked up once (the coordination view and the home page
/// check hundreds of places).
#[derive(Default)]
pub(crate) struct PlaceRefs {
    locations: std::collections::HashMap<String, Location>,
    structures: std::collections::HashMap<String, Vec<i64>>,
}

impl PlaceRefs {
    pub(crate) async fn of(
        &mut self,
        state: &AppState,
        stored: &StoredPlace,
    ) -> Result<PlaceRef, passerelle_store::StoreError> {
        let mut structures: Vec<i64> = stored.structure_id.into_iter().collect();
        let pivot = &stored.place.pivot;
        if !pivot.is_empty() && pivot != UNKNOWN_PIVOT {
            if !self.structures.contains_key(pivot) {
                let found = state.db.structures_by_siret(pivot).await?;
                self.structures.insert(pivot.clone(), found);
            }
            structures.extend(self.structures[pivot].iter().copied());
        }
        let location = match &stored.commune_code {
            Some(code) => {
                if !self.locations.contains_key(code) {
                    let location = commune_location(state, code).await?;
                    self.locations.insert(code.clone(), location);
                }
                self.locations[code].clone()
            }
            None => Location::default(),
        };
        Ok(PlaceRef {
            structures,
            location,
        })
    }
}

/// The stored place behind `/lieux/{id}/…`, if the viewer may `action` it.
async fn place_for(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    path: &str,
    action: fn(&PlaceRef) -> Action<'_>,
) -> Result<StoredPlace, PageError> {
    let stored = match id.parse::<i64>() {
        Ok(id) => state.db.place(id).await?,
        Err(_) => None,
    };
    let stored = stored.ok_or(PageError::NotFound)?;
    let target = place_ref(state, &stored).await?;
    viewer
        .authorize(action(&target))
        .map_err(|d| PageError::denied(d, path))?;
    Ok(stored)
}
