//! The public finder (`/lieux`): a search near a commune or around the
//! person, filters folded under one accordion with the count of those
//! chosen, results first on a phone, each with whether it is open now; the
//! places left out for want of a value are counted with a way to include
//! them ("unknown is not no"); "open now" with nothing open lists the places
//! that open soonest. Its downloads (`/lieux/export.csv`, French Excel or
//! the standard's CSV) and the borders drawn under its map
//! (`/lieux/carte/contours`) live here too.

use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use passerelle_csv::Dialect;
use passerelle_diagnostic::map::{Borders, borders_geojson};
use passerelle_places::search::{Found, Index};
use serde::Deserialize;

use super::search::{
    DAY_PARTS, DAYS, FACETS, HOURS_PARAM, HOURS_UNKNOWN, Outcome, SearchParams, run,
};
use super::views::{PlaceView, opens};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ApiError, PageResult};
use crate::pages::{Chrome, Crumb, crumbs, render};

/// A facet as the filters show it.
pub struct FacetView {
    pub name: &'static str,
    pub legend: &'static str,
    pub options: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "lieux.html")]
struct FinderPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    q: String,
    commune: String,
    near: String,
    radius: String,
    open_now: bool,
    open_on: String,
    open_on_choices: Vec<(String, String)>,
    facets: Vec<FacetView>,
    /// Filters chosen, for the accordion's title.
    active: usize,
    heading: String,
    results: Vec<PlaceView>,
    /// "Open now" found nothing: what is said above the places that open
    /// soonest.
    soonest: Option<String>,
    /// "12 lieux sans information sur les frais", and the search that
    /// includes them.
    unknown: Vec<(String, String)>,
    error: Option<String>,
    query: String,
    tiles: String,
}

pub async fn finder(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let (params, error) = match SearchParams::parse(raw.as_deref()) {
        Ok(p) => (p, None),
        Err(e) => (SearchParams::default(), Some(e.page())),
    };
    let outcome = run(&state, &params).await?;
    count_search(&state, &params, &outcome).await;
    let now = crate::fr::paris_now();
    let error = error.or_else(|| {
        outcome.unknown_commune.then(|| {
            format!(
                "Aucune commune ne correspond à « {} » : vérifiez le nom ou le code postal.",
                params.commune
            )
        })
    });
    let asks_open = params.open_now || params.open_at.is_some();
    let (results, soonest) = if asks_open && outcome.found.hits.is_empty() && error.is_none() {
        opening_soonest(&state, &params, params.open_at.unwrap_or(now)).await?
    } else {
        (views(&outcome.index, &outcome.found, now), None)
    };
    let query = raw.unwrap_or_default();
    Ok(render(&FinderPage {
        chrome: Chrome::new("/lieux", &viewer),
        crumbs: crumbs(&[], "Lieux"),
        heading: heading(outcome.found.hits.len(), &params, outcome.commune.as_ref()),
        unknown: unknown_lines(&outcome.found, &query),
        q: params.q.clone(),
        commune: params.commune.clone(),
        near: params
            .near
            .map(|(a, b)| format!("{a:.5},{b:.5}"))
            .unwrap_or_default(),
        radius: params.radius_km.map_or("15".into(), |r| r.to_string()),
        open_now: params.open_now,
        open_on: params.open_on.map(|o| o.code()).unwrap_or_default(),
        open_on_choices: open_on_choices(),
        facets: facet_views(&params),
        active: params.active_filters(),
        results,
        soonest,
        error,
        query,
        tiles: state.config.tile_url.clone().unwrap_or_default(),
    }))
}

/// Counted for the Diagnostic's unmet demand, anonymously: the commune,
/// the needs, the places found, the day; nothing about the person.
async fn count_search(state: &AppState, params: &SearchParams, outcome: &Outcome) {
    if let Some((code, _)) = &outcome.commune {
        let needs = passerelle_diagnostic::unmet::needs_key(&params.facets[0]);
        let day = crate::fr::paris_now().date().to_string();
        let found = u32::try_from(outcome.found.hits.len()).unwrap_or(u32::MAX);
        if let Err(e) = state.db.count_place_search(&day, code, &needs, found).await {
            tracing::warn!("search not counted: {e}");
        }
    }
}

fn views(index: &Index, found: &Found, now: NaiveDateTime) -> Vec<PlaceView> {
    found
        .hits
        .iter()
        .map(|h| PlaceView::new(&index.entries[h.index], h.distance_km, now))
        .collect()
}

/// Nothing is open at the time asked (now, or `open_at`): the same search
/// at any time, the places that open soonest after it first, each saying
/// when ("ouvre à 9 h").
async fn opening_soonest(
    state: &AppState,
    params: &SearchParams,
    now: NaiveDateTime,
) -> Result<(Vec<PlaceView>, Option<String>), passerelle_store::StoreError> {
    let any_time = SearchParams {
        open_now: false,
        open_at: None,
        ..params.clone()
    };
    let outcome = run(state, &any_time).await?;
    let mut next: Vec<(NaiveDateTime, PlaceView)> = outcome
        .found
        .hits
        .iter()
        .filter_map(|h| {
            let entry = &outcome.index.entries[h.index];
            let at = entry.hours.as_ref()?.next_opening(now)?;
            let mut view = PlaceView::new(entry, h.distance_km, now);
            view.status = Some(format!("Fermé · {}", opens(at, now)));
            Some((at, view))
        })
        .collect();
    next.sort_by_key(|(at, _)| *at);
    let when = if params.open_at.is_some() {
        "à ce moment-là"
    } else {
        "maintenant"
    };
    let message = match next.first() {
        Some((at, _)) => format!(
            "Aucun lieu n’est ouvert {when}. Le premier {} : voici les lieux dans l’ordre de leur ouverture.",
            opens(*at, now)
        ),
        None => format!("Aucun lieu n’est ouvert {when}, et aucun n’indique quand il ouvre."),
    };
    Ok((next.into_iter().map(|(_, v)| v).collect(), Some(message)))
}

/// "12 lieux près de Quimper (Finistère)"; "Aucun lieu ouvert maintenant
/// près de Quimper (Finistère)".
fn heading(count: usize, params: &SearchParams, commune: Option<&(String, String)>) -> String {
    let mut places = if count > 1 { "lieux" } else { "lieu" }.to_string();
    if params.open_now {
        places.push_str(if count > 1 {
            " ouverts maintenant"
        } else {
            " ouvert maintenant"
        });
    }
    // Nothing open: said in words, above the places that open soonest.
    let count = if count == 0 && params.open_now {
        "Aucun".to_string()
    } else {
        crate::fr::integer(count as i64)
    };
    match (commune, params.near) {
        (Some((_, name)), _) => format!("{count} {places} près de {name}"),
        (None, Some(_)) => format!("{count} {places} près de vous"),
        (None, None) => format!("{count} {places}"),
    }
}

/// One line per facet that left places out, with the search including them.
fn unknown_lines(found: &Found, query: &str) -> Vec<(String, String)> {
    found
        .unknown
        .iter()
        .map(|(facet, n)| {
            let (param, label) = match FACETS.iter().find(|f| f.facet == *facet) {
                Some(f) => (f.param, f.unknown),
                None => (HOURS_PARAM, HOURS_UNKNOWN),
            };
            let places = if *n > 1 { "lieux" } else { "lieu" };
            let text = format!("{} {places} {label}", crate::fr::integer(*n as i64));
            let separator = if query.is_empty() { "" } else { "&" };
            (
                text,
                format!("/lieux?{query}{separator}inconnu={param}#resultats"),
            )
        })
        .collect()
}

fn open_on_choices() -> Vec<(String, String)> {
    DAYS.iter()
        .flat_map(|d| {
            DAY_PARTS
                .iter()
                .map(move |(code, label, ..)| (format!("{d}-{code}"), format!("{d} {label}")))
        })
        .collect()
}

fn facet_views(params: &SearchParams) -> Vec<FacetView> {
    FACETS
        .iter()
        .zip(&params.facets)
        .map(|(spec, chosen)| FacetView {
            name: spec.param,
            legend: spec.legend,
            options: spec
                .values
                .iter()
                .map(|v| (v.to_string(), chosen.iter().any(|c| c == v)))
                .collect(),
        })
        .collect()
}

/// The parameters of a download: the finder's, and the file's dialect.
#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    dialecte: String,
}

/// The finder's places as a file: "Excel français" (what people open:
/// the columns they read, hours in words, decimal commas) or the national
/// standard's CSV (`dialecte=standard`, for other tools).
pub async fn export(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    Query(file): Query<ExportQuery>,
) -> PageResult {
    let params = SearchParams {
        limit: 10_000,
        ..SearchParams::parse(raw.as_deref()).unwrap_or_default()
    };
    let outcome = run(&state, &params).await?;
    let now = crate::fr::paris_now();
    let places = views(&outcome.index, &outcome.found, now);
    let (name, bytes) = if file.dialecte == "standard" {
        let list: Vec<_> = places.into_iter().map(|v| v.place).collect();
        (
            "lieux-standard.csv",
            passerelle_places::format::write_csv(&list),
        )
    } else {
        ("lieux.csv", excel(&places, &state.config.public_url))
    };
    Ok(crate::export::download(
        "text/csv; charset=utf-8",
        name,
        bytes,
    ))
}

/// The places for French Excel.
fn excel(places: &[PlaceView], public_url: &str) -> Vec<u8> {
    let mut out = passerelle_csv::builder()
        .dialect(Dialect::FrenchExcel)
        .from_writer(Vec::new());
    let header = [
        "Nom",
        "Adresse",
        "Code postal",
        "Commune",
        "Distance (km)",
        "Téléphone",
        "Courriel",
        "Site web",
        "Horaires",
        "Services",
        "Publics",
        "Frais",
        "Mise à jour",
        "Fiche",
    ];
    let mut ok = out.write_record(header).is_ok();
    for v in places {
        let p = &v.place;
        let hours = match &v.hours {
            h if h.is_week() => h
                .rows()
                .iter()
                .map(|(day, hours)| format!("{day} : {hours}"))
                .chain(h.notes().iter().cloned())
                .collect::<Vec<_>>()
                .join(" ; "),
            h => h.loose().join(" ; "),
        };
        let distance = v.distance_km.map(|d| format!("{d:.1}")).unwrap_or_default();
        ok &= out
            .write_record([
                p.nom.clone(),
                p.adresse.clone(),
                p.code_postal.clone(),
                p.commune.clone(),
                distance,
                v.phone
                    .as_ref()
                    .map(|(shown, _)| shown.clone())
                    .unwrap_or_default(),
                p.courriels.join(", "),
                p.site_web.join(" "),
                hours,
                p.services.join(", "),
                p.publics_specifiquement_adresses.join(", "),
                p.frais_a_charge.join(", "),
                v.updated.clone(),
                format!("{public_url}/lieux/{}", v.id),
            ])
            .is_ok();
    }
    if !ok {
        tracing::error!("a row of the places export could not be written");
    }
    out.into_bytes()
}

/// The view of a map and its zoom.
#[derive(Deserialize)]
pub struct BordersQuery {
    /// `west,south,east,north` in degrees.
    bbox: String,
    zoom: f64,
}

/// The borders of départements (and of communes from zoom 9) inside a
/// view, simplified for its zoom, for the finder's and place's maps: they
/// are readable without any tile server.
pub async fn borders(
    query: Result<Query<BordersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let refuse = || ApiError::bad_request("bbox=ouest,sud,est,nord en degrés et zoom de 0 à 20");
    let Query(q) = query.map_err(|_| refuse())?;
    let values: Vec<f64> = q
        .bbox
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| refuse())?;
    let [west, south, east, north] = values[..] else {
        return Err(refuse());
    };
    let sane = (-180.0..=180.0).contains(&west)
        && (-180.0..=180.0).contains(&east)
        && (-90.0..=90.0).contains(&south)
        && (-90.0..=90.0).contains(&north)
        && west < east
        && south < north
        && east - west <= 40.0
        && north - south <= 30.0
        && (0.0..=20.0).contains(&q.zoom);
    if !sane {
        return Err(refuse());
    }
    let latitude = ((south + north) / 2.0).to_radians();
    let metres_per_px = 156_543.034 * latitude.cos() / 2f64.powf(q.zoom);
    let level = if q.zoom >= 9.0 {
        Borders::Communes
    } else {
        Borders::Departements
    };
    let body = borders_geojson((south, west, north, east), metres_per_px, level);
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response())
}
