//! The coordination view of places (`/lieux/coordination`): the possible
//! duplicates of the coordinator's territory, to merge or keep apart, and
//! the places not updated for a year.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use chrono::{Duration, NaiveDate};
use passerelle_accounts::policy::Action;
use passerelle_store::places::{DuplicatePair, PlaceError};
use serde::Deserialize;

use super::place_for;
use super::views::day;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, crumbs, render};

/// A place not updated for a year: id, name, commune, last update.
pub struct Stale {
    pub id: i64,
    pub nom: String,
    pub commune: String,
    pub updated: String,
}

/// A possible duplicate, as the page shows it.
pub struct PairView {
    pub pair: DuplicatePair,
    /// "87 %".
    pub score: String,
}

/// What waits for a coordinator on the places of their territory: the
/// home page counts it, `/lieux/coordination` lists it.
pub struct Tasks {
    pub stale: Vec<Stale>,
    pub duplicates: Vec<PairView>,
    /// Places last updated before this day are stale.
    pub stale_before: NaiveDate,
}

/// The stale places and pending duplicates the viewer coordinates (the
/// policy decides place by place; a pair belongs to whoever coordinates
/// its first place).
pub async fn tasks(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Tasks, passerelle_store::StoreError> {
    let stale_before = crate::fr::paris_now().date() - Duration::days(365);
    let cutoff = stale_before.to_string();
    let mut refs = super::PlaceRefs::default();
    let mut stale = Vec::new();
    for stored in state.db.places().await? {
        if stored.place.date_maj < cutoff
            && viewer
                .authorize(Action::CoordinatePlace(&refs.of(state, &stored).await?))
                .is_ok()
        {
            stale.push(Stale {
                id: stored.id,
                updated: day(&stored.place.date_maj),
                nom: stored.place.nom,
                commune: stored.place.commune,
            });
        }
    }
    let mut duplicates = Vec::new();
    for pair in state.db.pending_duplicates().await? {
        if viewer
            .authorize(Action::CoordinatePlace(&refs.of(state, &pair.a).await?))
            .is_ok()
        {
            duplicates.push(PairView {
                score: crate::fr::percent(pair.score, 0),
                pair,
            });
        }
    }
    Ok(Tasks {
        stale,
        duplicates,
        stale_before,
    })
}

#[derive(Template)]
#[template(path = "lieux_coordination.html")]
struct CoordinationPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    stale: Vec<Stale>,
    duplicates: Vec<PairView>,
    stale_before: String,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct Done {
    info: Option<String>,
}

pub async fn coordination_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> PageResult {
    viewer
        .authorize(Action::CoordinatePlaces)
        .map_err(|d| PageError::denied(d, "/lieux/coordination"))?;
    let tasks = tasks(&state, &viewer).await?;
    let notice = match done.info.as_deref() {
        Some("fusionnes") => Some(
            "Les deux fiches sont fusionnées : le lieu gardé réunit leurs informations, leurs activités et leurs orientations.",
        ),
        Some("distincts") => {
            Some("C’est noté : ces deux lieux restent distincts et ne vous seront plus proposés.")
        }
        _ => None,
    };
    Ok(render(&CoordinationPage {
        chrome: Chrome::new("/lieux", &viewer),
        crumbs: crumbs(&[("Lieux", "/lieux")], "Coordination"),
        stale: tasks.stale,
        duplicates: tasks.duplicates,
        stale_before: crate::fr::date(tasks.stale_before),
        notice,
    }))
}

/// A coordinator's decision on a pair.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    Fusionner,
    Distincts,
}

#[derive(Deserialize)]
pub struct Decision {
    decision: DecisionKind,
}

pub async fn decide_duplicate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((a, b)): Path<(String, String)>,
    form: Result<axum::Form<Decision>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let stored = place_for(&state, &viewer, &a, "/lieux/coordination", |p| {
        Action::CoordinatePlace(p)
    })
    .await?;
    let axum::Form(Decision { decision }) = form.map_err(|_| PageError::BadForm)?;
    let merge = matches!(decision, DecisionKind::Fusionner);
    let b = b.parse::<i64>().map_err(|_| PageError::NotFound)?;
    match state
        .db
        .decide_duplicate(stored.id, b, merge, &super::acting(&viewer))
        .await
    {
        Ok(()) => {}
        Err(PlaceError::Store(e)) => return Err(PageError::Storage(e)),
        Err(_) => return Err(PageError::NotFound),
    }
    state.places_changed().await;
    let info = if merge { "fusionnes" } else { "distincts" };
    Ok(Redirect::to(&format!("/lieux/coordination?info={info}")).into_response())
}
