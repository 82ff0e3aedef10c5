//! Territoires pages: search a commune (the results refresh as the person
//! types, through the `/territoires/resultats` fragment that
//! `web/src/territoires.js` asks for; without JavaScript the form submits
//! and the page shows the same results), and the pages of a commune, an
//! EPCI, a département and a région, with their populations in French.
//! Every territory comes from the loaded reference.

use askama::Template;
use axum::extract::{Path, Query, State};
use passerelle_territory::{Commune, Departement, Epci, EpciKind, Region, RegionSummary};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, crumbs, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/territoires", territories),
        Route::get("/territoires/resultats", territory_results),
        Route::get("/territoires/communes/{code}", commune),
        Route::get("/territoires/epci/{siren}", epci),
        Route::get("/territoires/departements/{code}", departement),
        Route::get("/territoires/regions/{code}", region),
    ]
}

/// An EPCI's name, or "EPCI <SIREN>" when the reference has none.
pub fn epci_name(nom: &Option<String>, siren: &str) -> String {
    nom.clone().unwrap_or_else(|| format!("EPCI {siren}"))
}

/// "Communauté d’agglomération", or "Intercommunalité" when unknown.
pub fn nature_label(nature: &Option<EpciKind>) -> &'static str {
    nature.map_or("Intercommunalité", EpciKind::label)
}

fn territory_crumbs(trail: &[(&str, &str)], current: &str) -> Vec<Crumb> {
    let mut full = vec![("Territoires", "/territoires")];
    full.extend_from_slice(trail);
    crumbs(&full, current)
}

#[derive(Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
}

const PAGE_RESULTS: i64 = 20;

/// The search, shared by the full page and the fragment.
struct Search {
    q: String,
    results: Vec<Commune>,
    error: Option<String>,
    limit: i64,
}

async fn run_search(state: &AppState, q: &str) -> Result<Search, passerelle_store::StoreError> {
    let q = q.trim().to_string();
    let (results, error) = if q.is_empty() {
        (Vec::new(), None)
    } else if q.chars().count() > 100 {
        (
            Vec::new(),
            Some("La recherche ne peut pas dépasser 100 caractères.".to_string()),
        )
    } else {
        (state.db.search_communes(&q, PAGE_RESULTS).await?, None)
    };
    Ok(Search {
        q,
        results,
        error,
        limit: PAGE_RESULTS,
    })
}

#[derive(Template)]
#[template(path = "territoires.html")]
struct TerritoriesPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    q: String,
    results: Vec<Commune>,
    error: Option<String>,
    limit: i64,
    regions: Vec<RegionSummary>,
}

async fn territories(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<SearchParams>,
) -> PageResult {
    let search = run_search(&state, &params.q).await?;
    let regions = state.db.regions().await?;
    Ok(render(&TerritoriesPage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs: crumbs(&[], "Territoires"),
        q: search.q,
        results: search.results,
        error: search.error,
        limit: search.limit,
        regions,
    }))
}

#[derive(Template)]
#[template(path = "search_results.html")]
struct SearchResultsFragment {
    q: String,
    results: Vec<Commune>,
    error: Option<String>,
    limit: i64,
}

async fn territory_results(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> PageResult {
    let s = run_search(&state, &params.q).await?;
    Ok(render(&SearchResultsFragment {
        q: s.q,
        results: s.results,
        error: s.error,
        limit: s.limit,
    }))
}

#[derive(Template)]
#[template(path = "commune.html")]
struct CommunePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    c: Commune,
}

async fn commune(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> PageResult {
    let Some(c) = state.db.commune(&code).await? else {
        return Err(PageError::Unknown(format!(
            "Aucune commune n’a le code INSEE « {code} » dans le référentiel chargé."
        )));
    };
    let dep_href = format!("/territoires/departements/{}", c.departement.code);
    let crumbs = territory_crumbs(&[(c.departement.nom.as_str(), dep_href.as_str())], &c.nom);
    Ok(render(&CommunePage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs,
        c,
    }))
}

#[derive(Template)]
#[template(path = "epci.html")]
struct EpciPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    name: String,
    nature_label: &'static str,
    e: Epci,
}

async fn epci(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(siren): Path<String>,
) -> PageResult {
    let Some(e) = state.db.epci(&siren).await? else {
        return Err(PageError::Unknown(format!(
            "Aucune intercommunalité n’a le SIREN « {siren} » dans le référentiel chargé."
        )));
    };
    let name = epci_name(&e.nom, &e.siren);
    Ok(render(&EpciPage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs: territory_crumbs(&[], &name),
        nature_label: nature_label(&e.nature),
        name,
        e,
    }))
}

#[derive(Template)]
#[template(path = "departement.html")]
struct DepartementPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    d: Departement,
}

async fn departement(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> PageResult {
    let Some(d) = state.db.departement(&code).await? else {
        return Err(PageError::Unknown(format!(
            "Aucun département n’a le code « {code} » dans le référentiel."
        )));
    };
    let region_href = format!("/territoires/regions/{}", d.region.code);
    let crumbs = territory_crumbs(&[(d.region.nom.as_str(), region_href.as_str())], &d.nom);
    Ok(render(&DepartementPage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs,
        d,
    }))
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    r: Region,
}

async fn region(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> PageResult {
    let Some(r) = state.db.region(&code).await? else {
        return Err(PageError::Unknown(format!(
            "Aucune région n’a le code « {code} » dans le référentiel."
        )));
    };
    Ok(render(&RegionPage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs: territory_crumbs(&[], &r.nom),
        r,
    }))
}
