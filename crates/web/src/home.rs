//! The home page: for the public, what Passerelle offers; for a signed-in
//! person, where their work is — a mediator's accompaniment to record,
//! referrals to handle and month; a coordinator's territory (dashboard,
//! Diagnostic, data-quality tasks); a gestionnaire's structures (members,
//! places, surveys). Each panel is shown when the policy lets the person
//! do what it offers.

use askama::Template;
use axum::extract::State;
use chrono::Datelike;
use passerelle_accounts::ScopeLevel;
use passerelle_accounts::policy::{Action, StructureRef, TerritorialScope, territorial_scope};
use passerelle_store::home::RunPlace;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::PageResult;
use crate::notice::Notice;
use crate::pages::{Chrome, FR_MONTHS, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![Route::get("/", home)]
}

/// A mediator's day: what to record, what waits for them.
pub struct Mediation {
    pub referrals_to_handle: i64,
    pub month: &'static str,
    pub recorded_this_month: i64,
}

/// A coordinator's territories, by name, and what waits for them there.
pub struct Coordination {
    pub territories: Vec<String>,
    /// Possible duplicate places to merge or keep apart.
    pub duplicates: usize,
    /// Places not updated for a year.
    pub stale: usize,
}

/// A structure the person manages.
pub struct Managed {
    pub id: i64,
    pub nom: String,
    pub members: usize,
    pub places: Vec<RunPlace>,
    pub surveys: usize,
}

#[derive(Template)]
#[template(path = "home.html")]
struct PublicHome {
    chrome: Chrome,
    communes: i64,
    regions: Vec<passerelle_territory::RegionSummary>,
}

#[derive(Template)]
#[template(path = "accueil.html")]
struct PersonalHome {
    chrome: Chrome,
    notice: Option<&'static str>,
    name: String,
    mediation: Option<Mediation>,
    coordination: Option<Coordination>,
    managed: Vec<Managed>,
    is_admin: bool,
}

async fn home(State(state): State<AppState>, viewer: Viewer, notice: Notice) -> PageResult {
    let Some(person) = viewer.person.clone() else {
        let regions = state.db.regions().await?;
        return Ok(render(&PublicHome {
            chrome: Chrome::new("/", &viewer),
            communes: regions.iter().map(|r| r.communes).sum(),
            regions,
        }));
    };
    Ok(render(&PersonalHome {
        chrome: Chrome::new("/", &viewer),
        notice: notice.message(),
        name: person.display_name.clone(),
        mediation: mediation(&state, &viewer, person.id).await?,
        coordination: coordination(&state, &viewer).await?,
        managed: managed(&state, &viewer).await?,
        is_admin: viewer.is_admin(),
    }))
}

async fn mediation(
    state: &AppState,
    viewer: &Viewer,
    person_id: i64,
) -> Result<Option<Mediation>, passerelle_store::StoreError> {
    if viewer.authorize(Action::RecordActivity).is_err()
        || viewer.authorize(Action::SendReferral).is_err()
    {
        return Ok(None);
    }
    let working: Vec<i64> = crate::orientations::working_structures(viewer)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let today = crate::fr::paris_now().date();
    let first = today.with_day(1).unwrap_or(today);
    Ok(Some(Mediation {
        referrals_to_handle: state.db.referrals_to_handle(&working).await?,
        month: FR_MONTHS[today.month0() as usize],
        recorded_this_month: state.db.activities_since(person_id, first).await?,
    }))
}

async fn coordination(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Option<Coordination>, passerelle_store::StoreError> {
    if viewer.authorize(Action::CoordinatePlaces).is_err() {
        return Ok(None);
    }
    let territories = match territorial_scope(&viewer.actor) {
        TerritorialScope::Everywhere => vec!["Tout le territoire de l’instance".to_string()],
        TerritorialScope::Within(scopes) => {
            let mut names = Vec::new();
            for scope in scopes {
                names.push(territory_name(state, scope.level, &scope.code).await?);
            }
            names
        }
    };
    let tasks = crate::lieux::coordination::tasks(state, viewer).await?;
    Ok(Some(Coordination {
        territories,
        duplicates: tasks.duplicates.len(),
        stale: tasks.stale.len(),
    }))
}

/// A territory's name in the loaded reference ("Finistère"), or its kind
/// when the reference does not hold it.
pub(crate) async fn territory_name(
    state: &AppState,
    level: ScopeLevel,
    code: &str,
) -> Result<String, passerelle_store::StoreError> {
    let db = &state.db;
    Ok(match level {
        ScopeLevel::Region => db.region(code).await?.map(|r| r.nom),
        ScopeLevel::Departement => db.departement(code).await?.map(|d| d.nom),
        ScopeLevel::Epci => db.epci(code).await?.and_then(|e| e.nom),
        ScopeLevel::Commune => db.commune(code).await?.map(|c| c.nom),
    }
    .unwrap_or_else(|| "Territoire absent du référentiel chargé".to_string()))
}

async fn managed(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<Managed>, passerelle_store::StoreError> {
    let mut out: Vec<Managed> = Vec::new();
    for m in &viewer.memberships {
        if out.iter().any(|s| s.id == m.structure_id) {
            continue;
        }
        let Some(s) = state.db.structure(m.structure_id).await? else {
            continue;
        };
        let reference = StructureRef {
            id: s.id,
            location: s.location.clone(),
        };
        if viewer.authorize(Action::ManageMembers(&reference)).is_err() {
            continue;
        }
        out.push(Managed {
            members: state.db.members_of(s.id).await?.len(),
            places: state.db.places_run_by(s.id, s.siret.as_deref()).await?,
            surveys: state.db.surveys_of(&[s.id]).await?.len(),
            id: s.id,
            nom: s.nom,
        });
    }
    Ok(out)
}
