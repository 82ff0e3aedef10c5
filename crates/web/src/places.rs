//! Lieux over HTTP: the public finder (list and map), a place's page and
//! its printable sheet, and the API (`/api/v1/places`, GeoJSON, import).
//! The finder counts its searches near a commune, anonymously (commune,
//! needs, places found, day), for the Diagnostic's unmet demand.

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDateTime, Weekday};
use passerelle_accounts::policy::{Action, Location, PlaceRef};
use passerelle_places::format::National;
use passerelle_places::hours::Horaires;
use passerelle_places::search::{Hit, Index, Indexed, Query};
use passerelle_places::sources::UNKNOWN_PIVOT;
use passerelle_places::validate::{Severity, validate};
use passerelle_places::{Place, vocab};
use passerelle_store::places::StoredPlace;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Viewer, api_denial};
use crate::error::{ApiError, ErrorBody};
use crate::pages::{Chrome, Crumb, crumbs, render, storage_failure};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/api/v1/places", api_list),
        Route::get("/api/v1/places.geojson", api_geojson),
        Route::get("/api/v1/places/{id}", api_place),
        Route::post("/api/v1/places/import", api_import).body_limit(32 * 1024 * 1024),
        Route::get("/api/v1/places/data-inclusion", api_data_inclusion),
        Route::get("/api/v1/open/places", api_open_places),
        Route::get("/lieux", finder),
        Route::get("/lieux/{id}", place_page),
        Route::get("/lieux/{id}/fiche", place_sheet),
        Route::get("/lieux/{id}/modifier", edit_page),
        Route::post("/lieux/{id}/modifier", save_edit),
        Route::get("/lieux/coordination", coordination_page),
        Route::post("/lieux/doublons/{a}/{b}", decide_duplicate),
    ]
}

/// The search parameters, shared by pages and API. Facets may repeat
/// (`service=…&service=…`).
#[derive(Debug, Default, Clone)]
struct Params {
    q: String,
    commune: String,
    near: Option<(f64, f64)>,
    radius_km: Option<f64>,
    services: Vec<String>,
    publics: Vec<String>,
    support: Vec<String>,
    fees: Vec<String>,
    access: Vec<String>,
    accompaniment: Vec<String>,
    programmes: Vec<String>,
    open_now: bool,
    open_at: Option<NaiveDateTime>,
    /// `mardi-apres-midi`: a weekday and a part of the day.
    open_on: String,
    limit: usize,
}

const DAY_PARTS: [(&str, &str, u32, u32); 3] = [
    ("matin", "matin", 8, 12),
    ("apres-midi", "après-midi", 14, 18),
    ("soir", "soir", 18, 21),
];

/// `mardi-apres-midi` → Tuesday, 14:00–18:00.
fn day_part(value: &str) -> Option<(Weekday, chrono::NaiveTime, chrono::NaiveTime)> {
    let (day, part) = value.split_once('-')?;
    let index = DAYS.iter().position(|d| *d == day)?;
    let weekday = Weekday::try_from(index as u8).ok()?;
    let (_, _, start, end) = DAY_PARTS.iter().find(|(code, ..)| *code == part)?;
    Some((
        weekday,
        chrono::NaiveTime::from_hms_opt(*start, 0, 0)?,
        chrono::NaiveTime::from_hms_opt(*end, 0, 0)?,
    ))
}

fn parse_params(raw: Option<&str>) -> Result<Params, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| format!("malformed query: {e}"))?;
    let mut p = Params {
        limit: 50,
        ..Params::default()
    };
    for (key, value) in pairs {
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        let number = |v: &str, what: &str| {
            v.replace(',', ".")
                .parse::<f64>()
                .map_err(|_| format!("`{what}` must be a number, not {v:?}"))
        };
        match key.as_str() {
            "q" => p.q = value.chars().take(200).collect(),
            "commune" => p.commune = value.chars().take(100).collect(),
            "near" => {
                let (lat, lon) = value
                    .split_once(',')
                    .ok_or("`near` is latitude,longitude (48.11,-1.68)")?;
                let (lat, lon) = (number(lat, "near")?, number(lon, "near")?);
                if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                    return Err("`near` is out of the WGS84 range".into());
                }
                p.near = Some((lat, lon));
            }
            "radius_km" | "rayon" => {
                let r = number(&value, "radius_km")?;
                if !(0.0..=1000.0).contains(&r) {
                    return Err("`radius_km` must be between 0 and 1000".into());
                }
                p.radius_km = Some(r);
            }
            "service" => p.services.push(value),
            "public" => p.publics.push(value),
            "support" => p.support.push(value),
            "fees" | "frais" => p.fees.push(value),
            "access" => p.access.push(value),
            "accompaniment" => p.accompaniment.push(value),
            "programme" => p.programmes.push(value),
            "open" | "ouvert" if value == "now" || value == "maintenant" => p.open_now = true,
            "open_at" => p.open_at = Some(
                NaiveDateTime::parse_from_str(&value, "%Y-%m-%dT%H:%M").map_err(|_| {
                    format!(
                        "`open_at` is a local date and time like 2026-11-24T14:30, not {value:?}"
                    )
                })?,
            ),
            "ouvert_le" | "open_on" => {
                if day_part(&value).is_none() {
                    return Err(format!(
                        "`ouvert_le` is a weekday and a part of the day, like mardi-apres-midi, not {value:?}"
                    ));
                }
                p.open_on = value;
            }
            "limit" => {
                p.limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=10_000).contains(l))
                    .ok_or("`limit` must be between 1 and 10000")?;
            }
            _ => {}
        }
    }
    for (values, allowed, name) in [
        (&p.services, vocab::SERVICES, "service"),
        (&p.publics, vocab::PUBLICS, "public"),
        (&p.support, vocab::SPECIFIC_SUPPORT, "support"),
        (&p.fees, vocab::FEES, "fees"),
        (&p.access, vocab::ACCESS_MODALITIES, "access"),
        (
            &p.accompaniment,
            vocab::ACCOMPANIMENT_MODALITIES,
            "accompaniment",
        ),
        (&p.programmes, vocab::NATIONAL_PROGRAMMES, "programme"),
    ] {
        if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str())) {
            return Err(format!("`{name}` {bad:?} is not a value of the standard"));
        }
    }
    Ok(p)
}

/// Runs a search; the commune (name, postcode or INSEE code) becomes the
/// point to search near when no explicit point is given.
/// A search's result.
struct Outcome {
    index: Arc<Index>,
    hits: Vec<Hit>,
    commune_label: Option<String>,
    /// The commune searched near, when the point came from a commune.
    commune_code: Option<String>,
    /// A commune was asked for and none matches: no results, say so.
    unknown_commune: bool,
}

async fn run(state: &AppState, p: &Params) -> Result<Outcome, passerelle_store::StoreError> {
    let mut near = p.near;
    let mut commune_label = None;
    let mut commune_code = None;
    if near.is_none() && !p.commune.is_empty() {
        let found = state
            .db
            .search_communes(&p.commune, 1)
            .await?
            .into_iter()
            .next();
        let Some(c) = found else {
            return Ok(Outcome {
                index: state.place_index().await?,
                hits: Vec::new(),
                commune_label: None,
                commune_code: None,
                unknown_commune: true,
            });
        };
        near = c.latitude.zip(c.longitude);
        commune_label = Some(format!("{} ({})", c.nom, c.departement.code));
        commune_code = Some(c.code);
    }
    let query = Query {
        text: p.q.clone(),
        near,
        radius_km: near.map(|_| p.radius_km.unwrap_or(15.0)),
        services: p.services.clone(),
        publics: p.publics.clone(),
        support: p.support.clone(),
        fees: p.fees.clone(),
        access: p.access.clone(),
        accompaniment: p.accompaniment.clone(),
        programmes: p.programmes.clone(),
        open_at: p.open_at.or(p.open_now.then(crate::fr::paris_now)),
        open_during: day_part(&p.open_on)
            .map(|(day, start, end)| (crate::fr::paris_now().date(), day, start, end)),
        limit: p.limit,
    };
    let index = state.place_index().await?;
    let hits = index.search(&query);
    Ok(Outcome {
        index,
        hits,
        commune_label,
        commune_code,
        unknown_commune: false,
    })
}

/// A search from the API's query string; an unknown commune is a 400.
async fn api_search(state: &AppState, raw: Option<&str>) -> Result<Outcome, ApiError> {
    let p = parse_params(raw).map_err(ApiError::bad_request)?;
    let outcome = run(state, &p).await?;
    if outcome.unknown_commune {
        return Err(ApiError::bad_request(format!(
            "no commune matches {:?}",
            p.commune
        )));
    }
    Ok(outcome)
}

/// A place in API answers.
#[derive(Serialize, ToSchema)]
pub struct PlaceOut<'a> {
    /// Passerelle's identifier (see `/lieux/{id}`).
    id: i64,
    /// From the search point, great-circle, when searching near one.
    distance_km: Option<f64>,
    /// The point used is the commune's centre: the place has no coordinates.
    approximate_location: bool,
    /// Open now, per its opening hours; absent when unknown.
    open_now: Option<bool>,
    /// The record in the national standard, in the national JSON shape
    /// (multi-valued fields joined by `|`, empty fields left out).
    #[schema(value_type = Object)]
    place: National<'a>,
}

fn out(entry: &Indexed, distance_km: Option<f64>, now: NaiveDateTime) -> PlaceOut<'_> {
    PlaceOut {
        id: entry.id,
        distance_km: distance_km.map(|d| (d * 1000.0).round() / 1000.0),
        approximate_location: entry.approximate,
        open_now: entry.hours.as_ref().map(|h| h.is_open(now)),
        place: National::new(&entry.place),
    }
}

/// Search the places: text, near a point or a commune, facets of the
/// standard, open now or at a time.
#[utoipa::path(get, path = "/api/v1/places", tag = "lieux",
    params(
        ("q" = Option<String>, Query, description = "Words of the name, commune, postcode or address"),
        ("commune" = Option<String>, Query, description = "Search near this commune (name, postcode or INSEE code)"),
        ("near" = Option<String>, Query, description = "Search near latitude,longitude"),
        ("radius_km" = Option<f64>, Query, description = "With near or commune: maximum distance (default 15)"),
        ("service" = Option<Vec<String>>, Query, description = "Service of the standard; repeatable"),
        ("public" = Option<Vec<String>>, Query), ("support" = Option<Vec<String>>, Query),
        ("fees" = Option<Vec<String>>, Query), ("access" = Option<Vec<String>>, Query),
        ("accompaniment" = Option<Vec<String>>, Query), ("programme" = Option<Vec<String>>, Query),
        ("open" = Option<String>, Query, description = "`now`: only places open now (Paris time)"),
        ("open_at" = Option<String>, Query, description = "Only places open then, local time: 2026-11-24T14:30"),
        ("ouvert_le" = Option<String>, Query, description = "Only places open during this part of the next such day: lundi…dimanche + matin (8–12 h), apres-midi (14–18 h) or soir (18–21 h), e.g. mardi-apres-midi"),
        ("limit" = Option<usize>, Query, description = "1 to 10000, default 50"),
    ),
    responses((status = 200, body = Vec<PlaceOut>), (status = 400, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let Outcome { index, hits, .. } = api_search(&state, raw.as_deref()).await?;
    let now = crate::fr::paris_now();
    let list: Vec<PlaceOut> = hits
        .iter()
        .map(|h| out(&index.entries[h.index], h.distance_km, now))
        .collect();
    Ok(Json(list).into_response())
}

/// The same search as GeoJSON (places without coordinates are left out).
#[utoipa::path(get, path = "/api/v1/places.geojson", tag = "lieux",
    responses((status = 200, description = "A FeatureCollection of points", content_type = "application/geo+json"), (status = 400, body = ErrorBody)))]
pub async fn api_geojson(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let Outcome { index, hits, .. } = api_search(&state, raw.as_deref()).await?;
    let features: Vec<serde_json::Value> = hits
        .iter()
        .filter_map(|h| {
            let e = &index.entries[h.index];
            let (lat, lon) = e.place.latitude.zip(e.place.longitude)?;
            Some(serde_json::json!({
                "type": "Feature",
                "id": e.id,
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": { "nom": e.place.nom, "commune": e.place.commune, "adresse": e.place.adresse, "url": format!("/lieux/{}", e.id) },
            }))
        })
        .collect();
    let body = serde_json::json!({ "type": "FeatureCollection", "features": features });
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.to_string(),
    )
        .into_response())
}

/// One place.
#[utoipa::path(get, path = "/api/v1/places/{id}", tag = "lieux",
    params(("id" = i64, Path)),
    responses((status = 200, body = PlaceOut), (status = 404, body = ErrorBody)))]
pub async fn api_place(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let index = state.place_index().await?;
    let entry = id
        .parse::<i64>()
        .ok()
        .and_then(|id| index.get(id))
        .ok_or_else(|| ApiError::not_found(format!("no place with identifier {id}")))?;
    Ok(Json(out(entry, None, crate::fr::paris_now())).into_response())
}

/// Every place in the data·inclusion schema v1: one structure and one
/// "Médiation numérique" service per place (docs/lieux-formats.md).
#[utoipa::path(get, path = "/api/v1/places/data-inclusion", tag = "lieux",
    responses((status = 200, description = "`{\"structures\": […], \"services\": […]}` in data·inclusion schema v1", content_type = "application/json")))]
pub async fn api_data_inclusion(State(state): State<AppState>) -> Result<Response, ApiError> {
    let index = state.place_index().await?;
    let places: Vec<Place> = index.entries.iter().map(|e| e.place.clone()).collect();
    Ok(Json(passerelle_places::datainclusion::export(&places)).into_response())
}

/// The largest page of the open places endpoint.
const OPEN_PAGE_MAX: i64 = 1000;

/// An opaque cursor: the last identifier of a page, hex-encoded behind a
/// version tag. Clients pass it back unchanged.
fn encode_cursor(last_id: i64) -> String {
    format!("l1{last_id:x}")
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let hex = cursor.strip_prefix("l1")?;
    i64::from_str_radix(hex, 16).ok().filter(|id| *id >= 0)
}

/// A page of the open places.
#[derive(Serialize, ToSchema)]
pub struct OpenPlacesPage<'a> {
    /// The places, in the national JSON shape of the standard.
    #[schema(value_type = Vec<Object>)]
    places: Vec<National<'a>>,
    /// Pass it as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// Open data: every place in the national JSON shape, page by page. Pages
/// follow Passerelle's identifiers, so a page never shifts when places are
/// added or removed between two calls (places added later come last).
#[utoipa::path(get, path = "/api/v1/open/places", tag = "lieux",
    params(
        ("cursor" = Option<String>, Query, description = "Opaque: `next_cursor` of the previous page; absent for the first page"),
        ("limit" = Option<i64>, Query, description = "1 to 1000, default 100"),
    ),
    responses((status = 200, body = OpenPlacesPage), (status = 400, body = ErrorBody)))]
pub async fn api_open_places(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|_| ApiError::bad_request("paramètres illisibles"))?;
    let mut after = 0;
    let mut limit = 100;
    for (key, value) in &pairs {
        match key.as_str() {
            "cursor" => after = decode_cursor(value).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "cursor : « {value} » n’est pas un curseur rendu par cette API (next_cursor)"
                ))
            })?,
            "limit" => {
                limit = value
                    .parse::<i64>()
                    .ok()
                    .filter(|l| (1..=OPEN_PAGE_MAX).contains(l))
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "limit : « {value} » n’est pas un nombre de 1 à {OPEN_PAGE_MAX}"
                        ))
                    })?
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "paramètre inconnu : « {other} » (cursor, limit)"
                )));
            }
        }
    }
    // One more than asked tells whether another page follows.
    let mut stored = state.db.places_after(after, limit + 1).await?;
    let more = stored.len() as i64 > limit;
    stored.truncate(limit as usize);
    let next_cursor = more
        .then(|| stored.last().map(|p| encode_cursor(p.id)))
        .flatten();
    let page = OpenPlacesPage {
        places: stored.iter().map(|p| National::new(&p.place)).collect(),
        next_cursor,
    };
    Ok(Json(page).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct ImportAnswer {
    format: String,
    read: usize,
    added: usize,
    updated: usize,
    merged: usize,
    to_review: usize,
    rejected: usize,
    errors: Vec<String>,
    warnings: Vec<String>,
    /// Corrections of known deviations from the standard, by rule
    /// (`date_iso`, `typologie_casse`, `apostrophe`, `modalites_v0_1`,
    /// `liste_point_virgule`, `formations_graphie`).
    corrections: std::collections::BTreeMap<String, usize>,
    /// Every merge, in French, with the lines and both identifiers.
    merges: Vec<String>,
}

/// Import a file of places (standard CSV or JSON, or a known source format)
/// as the request body. Administrators only. `?skip_invalid=true` imports
/// the valid rows; otherwise any invalid row refuses the whole file.
#[utoipa::path(post, path = "/api/v1/places/import", tag = "lieux",
    params(("skip_invalid" = Option<bool>, Query), ("source" = Option<String>, Query, description = "Source name for places without one")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ImportAnswer)))]
pub async fn api_import(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    viewer.authorize(Action::ImportPlaces).map_err(api_denial)?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let flag = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let skip_invalid = flag("skip_invalid").is_some_and(|v| v == "true" || v == "1");
    let source = flag("source").unwrap_or_else(|| "api".into());
    let today = crate::fr::paris_now().date().to_string();
    let checked = passerelle_places::import::check(&body, &today);
    let errors: Vec<String> = checked.errors().iter().map(|e| e.to_string()).collect();
    let mut answer = ImportAnswer {
        format: checked.format.into(),
        read: checked.valid.len() + checked.rejected.len(),
        added: 0,
        updated: 0,
        merged: 0,
        to_review: 0,
        rejected: checked.rejected.len(),
        errors,
        warnings: checked.warnings.iter().map(|w| w.to_string()).collect(),
        corrections: checked
            .corrections
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        merges: Vec::new(),
    };
    if !checked.file_errors.is_empty() || (!answer.errors.is_empty() && !skip_invalid) {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(answer)).into_response());
    }
    let report = state
        .db
        .import_places(
            &checked.valid,
            &source,
            "import par l’API",
            viewer.person_id(),
        )
        .await?;
    state.places_changed().await;
    (
        answer.added,
        answer.updated,
        answer.merged,
        answer.to_review,
    ) = (
        report.added,
        report.updated,
        report.merged,
        report.to_review,
    );
    answer.merges = report
        .merges
        .iter()
        .map(|m| m.describe(&checked.lines))
        .collect();
    Ok(Json(answer).into_response())
}

// ----- pages -------------------------------------------------------------------

/// A place as a list item or page shows it.
pub struct PlaceView {
    pub id: i64,
    pub place: Place,
    pub distance: Option<String>,
    pub approximate: bool,
    pub status: Option<String>,
    /// "41 h par semaine", from the opening hours.
    pub weekly_hours: Option<String>,
    /// The typologies' labels (the code when unknown).
    pub typologies: Vec<String>,
}

fn view(entry: &Indexed, distance_km: Option<f64>, now: NaiveDateTime) -> PlaceView {
    let status = entry.hours.as_ref().map(|h| opening_status(h, now));
    PlaceView {
        id: entry.id,
        typologies: entry
            .place
            .typologie
            .iter()
            .map(|c| vocab::typology_label(c).unwrap_or(c).to_string())
            .collect(),
        place: entry.place.clone(),
        distance: distance_km.map(|d| {
            if d < 1.0 {
                format!("{} m", (d * 1000.0).round())
            } else {
                format!("{:.1} km", d).replace('.', ",")
            }
        }),
        approximate: entry.approximate,
        status,
        weekly_hours: entry.hours.as_ref().map(|h| {
            let monday =
                now.date() - Duration::days(i64::from(now.weekday().num_days_from_monday()));
            format!(
                "{} h par semaine",
                format!("{:.1}", h.hours_per_week(monday))
                    .trim_end_matches(".0")
                    .replace('.', ",")
            )
        }),
    }
}

const DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// "Ouvert maintenant" or "Fermé — ouvre mardi à 14:00".
pub fn opening_status(h: &Horaires, now: NaiveDateTime) -> String {
    if h.is_open(now) {
        return "Ouvert maintenant".into();
    }
    match h.next_opening(now) {
        Some(next) if next.date() == now.date() => {
            format!("Fermé — ouvre aujourd’hui à {}", next.format("%H:%M"))
        }
        Some(next) => format!(
            "Fermé — ouvre {} {} à {}",
            DAYS[next.weekday().num_days_from_monday() as usize],
            next.format("%d/%m"),
            next.format("%H:%M")
        ),
        None => "Fermé".into(),
    }
}

pub struct Facet {
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
    commune_label: Option<String>,
    radius: String,
    open_now: bool,
    open_on: String,
    open_on_choices: Vec<(String, String)>,
    facets: Vec<Facet>,
    results: Vec<PlaceView>,
    total: usize,
    error: Option<String>,
    geojson_url: String,
    tiles: String,
}

async fn finder(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    let (params, error) = match parse_params(raw.as_deref()) {
        Ok(p) => (p, None),
        Err(e) => (
            Params {
                limit: 50,
                ..Params::default()
            },
            Some(e),
        ),
    };
    let Outcome {
        index,
        hits,
        commune_label,
        commune_code,
        unknown_commune,
    } = match run(&state, &params).await {
        Ok(r) => r,
        Err(e) => return storage_failure(e),
    };
    // Counted for the Diagnostic's unmet demand, anonymously: the commune,
    // the needs, the places found, the day; nothing about the person.
    if let Some(code) = &commune_code {
        let needs = passerelle_diagnostic::unmet::needs_key(&params.services);
        let day = crate::fr::paris_now().date().to_string();
        let found = u32::try_from(hits.len()).unwrap_or(u32::MAX);
        if let Err(e) = state.db.count_place_search(&day, code, &needs, found).await {
            tracing::warn!("search not counted: {e}");
        }
    }
    let error = error.or_else(|| {
        unknown_commune.then(|| {
            format!(
                "Aucune commune ne correspond à « {} » : vérifiez le nom ou le code postal.",
                params.commune
            )
        })
    });
    let now = crate::fr::paris_now();
    let facet = |name, legend, values: &[&str], chosen: &[String]| Facet {
        name,
        legend,
        options: values
            .iter()
            .map(|v| (v.to_string(), chosen.iter().any(|c| c == v)))
            .collect(),
    };
    let facets = vec![
        facet("service", "Besoin", vocab::SERVICES, &params.services),
        facet("public", "Public", vocab::PUBLICS, &params.publics),
        facet(
            "support",
            "Prise en charge spécifique",
            vocab::SPECIFIC_SUPPORT,
            &params.support,
        ),
        facet("frais", "Frais", vocab::FEES, &params.fees),
        facet(
            "access",
            "Comment venir",
            vocab::ACCESS_MODALITIES,
            &params.access,
        ),
        facet(
            "accompaniment",
            "Accompagnement",
            vocab::ACCOMPANIMENT_MODALITIES,
            &params.accompaniment,
        ),
        facet(
            "programme",
            "Dispositif national",
            vocab::NATIONAL_PROGRAMMES,
            &params.programmes,
        ),
    ];
    render(&FinderPage {
        chrome: Chrome::new("/lieux", &viewer),
        crumbs: crumbs(&[], "Lieux"),
        q: params.q.clone(),
        commune: params.commune.clone(),
        commune_label,
        radius: params.radius_km.map_or("15".into(), |r| r.to_string()),
        open_now: params.open_now,
        open_on: params.open_on.clone(),
        open_on_choices: DAYS
            .iter()
            .flat_map(|d| {
                DAY_PARTS
                    .iter()
                    .map(move |(code, label, ..)| (format!("{d}-{code}"), format!("{d} {label}")))
            })
            .collect(),
        facets,
        total: hits.len(),
        results: hits
            .iter()
            .map(|h| view(&index.entries[h.index], h.distance_km, now))
            .collect(),
        error,
        geojson_url: format!("/api/v1/places.geojson?{}", raw.unwrap_or_default()),
        tiles: state.config.tile_url.clone().unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "lieu.html")]
struct PlacePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    p: PlaceView,
    commune_code: Option<String>,
    can_edit: bool,
    tiles: String,
}

async fn place_view(
    state: &AppState,
    id: &str,
) -> Result<Option<(PlaceView, Option<String>)>, passerelle_store::StoreError> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    let index = state.place_index().await?;
    let Some(entry) = index.get(id) else {
        return Ok(None);
    };
    let commune = state.db.place(id).await?.and_then(|p| p.commune_code);
    Ok(Some((view(entry, None, crate::fr::paris_now()), commune)))
}

async fn place_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let editable = async {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(false);
        };
        let Some(stored) = state.db.place(id).await? else {
            return Ok(false);
        };
        let target = place_ref(&state, &stored).await?;
        Ok::<_, passerelle_store::StoreError>(viewer.authorize(Action::EditPlace(&target)).is_ok())
    };
    let can_edit = match editable.await {
        Ok(e) => e,
        Err(e) => return storage_failure(e),
    };
    match place_view(&state, &id).await {
        Ok(Some((p, commune_code))) => render(&PlacePage {
            chrome: Chrome::new("/lieux", &viewer),
            crumbs: crumbs(&[("Lieux", "/lieux")], &p.place.nom),
            p,
            commune_code,
            can_edit,
            tiles: state.config.tile_url.clone().unwrap_or_default(),
        }),
        Ok(None) => crate::pages::missing(),
        Err(e) => storage_failure(e),
    }
}

#[derive(Template)]
#[template(path = "fiche.html")]
struct SheetPage {
    p: PlaceView,
    printed_on: String,
}

async fn place_sheet(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match place_view(&state, &id).await {
        Ok(Some((p, _))) => render(&SheetPage {
            p,
            printed_on: crate::fr::paris_now().format("%d/%m/%Y").to_string(),
        }),
        Ok(None) => crate::pages::missing(),
        Err(e) => storage_failure(e),
    }
}

/// What the policy needs to know of a place: who runs it, where it is.
async fn place_ref(
    state: &AppState,
    stored: &StoredPlace,
) -> Result<PlaceRef, passerelle_store::StoreError> {
    let mut structures: Vec<i64> = stored.structure_id.into_iter().collect();
    if !stored.place.pivot.is_empty() && stored.place.pivot != UNKNOWN_PIVOT {
        structures.extend(state.db.structures_by_siret(&stored.place.pivot).await?);
    }
    let location = match &stored.commune_code {
        Some(code) => state
            .db
            .commune(code)
            .await?
            .map_or_else(Location::default, |c| Location {
                commune: Some(c.code),
                epci: c.epci.map(|e| e.siren),
                departement: Some(c.departement.code),
                region: Some(c.region.code),
            }),
        None => Location::default(),
    };
    Ok(PlaceRef {
        structures,
        location,
    })
}

type PageResult = Result<Response, Response>;

/// The stored place behind `/lieux/{id}/…`, if the viewer may `action` it.
async fn place_for(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    path: &str,
    action: fn(&PlaceRef) -> Action<'_>,
) -> Result<StoredPlace, Response> {
    let stored = match id.parse::<i64>() {
        Ok(id) => state.db.place(id).await.map_err(storage_failure)?,
        Err(_) => None,
    };
    let Some(stored) = stored else {
        return Err(crate::pages::missing());
    };
    let target = place_ref(state, &stored).await.map_err(storage_failure)?;
    viewer
        .authorize(action(&target))
        .map_err(|d| crate::auth::page_denial(d, path))?;
    Ok(stored)
}

pub struct Choice {
    pub name: &'static str,
    pub legend: &'static str,
    pub options: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "lieu_modifier.html")]
struct EditPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    id: i64,
    place: Place,
    text: Vec<(&'static str, &'static str, String)>,
    choices: Vec<Choice>,
    errors: Vec<String>,
    history: Vec<(String, Option<String>, String, String)>,
}

const EDIT_TEXT: [(&str, &str); 11] = [
    ("nom", "Nom du lieu"),
    ("adresse", "Adresse"),
    ("complement_adresse", "Complément d’adresse"),
    ("code_postal", "Code postal"),
    ("commune", "Commune"),
    ("telephone", "Téléphone (format international, +33…)"),
    ("courriels", "Courriels (séparés par |)"),
    ("site_web", "Sites web (séparés par |)"),
    (
        "horaires",
        "Horaires (syntaxe OpenStreetMap, par exemple Mo-Fr 09:00-12:00,14:00-17:00)",
    ),
    ("prise_rdv", "Lien de prise de rendez-vous"),
    (
        "presentation_resume",
        "Présentation courte (280 caractères au plus)",
    ),
];

const EDIT_CHOICES: [(&str, &str, &[&str]); 5] = [
    ("services", "Services", vocab::SERVICES),
    ("publics_specifiquement_adresses", "Publics", vocab::PUBLICS),
    ("frais_a_charge", "Frais", vocab::FEES),
    (
        "modalites_acces",
        "Modalités d’accès",
        vocab::ACCESS_MODALITIES,
    ),
    (
        "modalites_accompagnement",
        "Accompagnement",
        vocab::ACCOMPANIMENT_MODALITIES,
    ),
];

async fn edit_page_with(
    state: &AppState,
    viewer: &Viewer,
    stored: StoredPlace,
    place: Place,
    errors: Vec<String>,
) -> PageResult {
    let history = state
        .db
        .place_changes(stored.id)
        .await
        .map_err(storage_failure)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = EditPage {
        chrome: Chrome::new("/lieux", viewer),
        crumbs: crumbs(&[("Lieux", "/lieux")], "Modifier"),
        id: stored.id,
        text: EDIT_TEXT
            .iter()
            .map(|(f, l)| (*f, *l, place.text(f)))
            .collect(),
        choices: EDIT_CHOICES
            .iter()
            .map(|(name, legend, values)| {
                let chosen = place.text(name);
                let chosen: Vec<&str> = chosen.split('|').collect();
                Choice {
                    name,
                    legend,
                    options: values
                        .iter()
                        .map(|v| (v.to_string(), chosen.contains(v)))
                        .collect(),
                }
            })
            .collect(),
        place,
        errors,
        history,
    };
    Ok((status, render(&page)).into_response())
}

async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let result: PageResult = async {
        let stored = place_for(
            &state,
            &viewer,
            &id,
            &format!("/lieux/{id}/modifier"),
            |p| Action::EditPlace(p),
        )
        .await?;
        let place = stored.place.clone();
        edit_page_with(&state, &viewer, stored, place, Vec::new()).await
    }
    .await;
    result.unwrap_or_else(|r| r)
}

async fn save_edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: crate::pages::FormFields,
) -> Response {
    let result: PageResult = async {
        let stored = place_for(
            &state,
            &viewer,
            &id,
            &format!("/lieux/{id}/modifier"),
            |p| Action::EditPlace(p),
        )
        .await?;
        let Ok(axum::Form(fields)) = form else {
            return Err(crate::pages::message(
                StatusCode::BAD_REQUEST,
                "Formulaire incomplet",
                &["Rechargez la page et recommencez."],
            ));
        };
        let mut place = stored.place.clone();
        for (field, _) in EDIT_TEXT {
            let value = fields
                .iter()
                .find(|(k, _)| k == field)
                .map_or("", |(_, v)| v.as_str());
            place
                .set(field, value)
                .map_err(|_| crate::pages::forbidden())?;
        }
        for (field, _, _) in EDIT_CHOICES {
            let chosen: Vec<&str> = fields
                .iter()
                .filter(|(k, _)| k == field)
                .map(|(_, v)| v.as_str())
                .collect();
            place
                .set(field, &chosen.join("|"))
                .map_err(|_| crate::pages::forbidden())?;
        }
        place.date_maj = crate::fr::paris_now().date().to_string();
        let errors: Vec<String> = validate(&[(1, place.clone())])
            .into_iter()
            .filter(|v| v.severity == Severity::Error || v.rule == "opening_hours")
            .map(|v| format!("{} : {}", v.field, v.message))
            .collect();
        if !errors.is_empty() {
            return edit_page_with(&state, &viewer, stored, place, errors).await;
        }
        let changed: Vec<&str> = passerelle_places::FIELDS
            .iter()
            .copied()
            .filter(|f| *f != "date_maj" && place.text(f) != stored.place.text(f))
            .collect();
        let summary = if changed.is_empty() {
            "vérifié, sans changement".to_string()
        } else {
            format!("modifié : {}", changed.join(", "))
        };
        state
            .db
            .update_place(stored.id, &place, viewer.person_id(), &summary)
            .await
            .map_err(storage_failure)?;
        state.places_changed().await;
        Ok(axum::response::Redirect::to(&format!("/lieux/{}", stored.id)).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(Template)]
#[template(path = "lieux_coordination.html")]
struct CoordinationPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    stale: Vec<(i64, String, String, String)>,
    duplicates: Vec<passerelle_store::places::DuplicatePair>,
    stale_before: String,
}

async fn coordination_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let result: PageResult = async {
        viewer
            .authorize(Action::CoordinatePlaces)
            .map_err(|d| crate::auth::page_denial(d, "/lieux/coordination"))?;
        let stale_before = (crate::fr::paris_now().date() - Duration::days(365)).to_string();
        let mut stale = Vec::new();
        for stored in state.db.places().await.map_err(storage_failure)? {
            if stored.place.date_maj < stale_before
                && viewer
                    .authorize(Action::CoordinatePlace(
                        &place_ref(&state, &stored).await.map_err(storage_failure)?,
                    ))
                    .is_ok()
            {
                stale.push((
                    stored.id,
                    stored.place.nom,
                    stored.place.commune,
                    stored.place.date_maj,
                ));
            }
        }
        let mut duplicates = Vec::new();
        for pair in state
            .db
            .pending_duplicates()
            .await
            .map_err(storage_failure)?
        {
            if viewer
                .authorize(Action::CoordinatePlace(
                    &place_ref(&state, &pair.a).await.map_err(storage_failure)?,
                ))
                .is_ok()
            {
                duplicates.push(pair);
            }
        }
        Ok(render(&CoordinationPage {
            chrome: Chrome::new("/lieux", &viewer),
            crumbs: crumbs(&[("Lieux", "/lieux")], "Coordination"),
            stale,
            duplicates,
            stale_before,
        }))
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(serde::Deserialize)]
struct Decision {
    decision: String,
}

async fn decide_duplicate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((a, b)): Path<(String, String)>,
    form: Result<axum::Form<Decision>, axum::extract::rejection::FormRejection>,
) -> Response {
    let result: PageResult = async {
        let stored = place_for(&state, &viewer, &a, "/lieux/coordination", |p| {
            Action::CoordinatePlace(p)
        })
        .await?;
        let Ok(axum::Form(decision)) = form else {
            return Err(crate::pages::message(
                StatusCode::BAD_REQUEST,
                "Formulaire incomplet",
                &["Rechargez la page."],
            ));
        };
        let merge = match decision.decision.as_str() {
            "fusionner" => true,
            "distincts" => false,
            _ => {
                return Err(crate::pages::message(
                    StatusCode::BAD_REQUEST,
                    "Décision inconnue",
                    &["Choisissez fusionner ou distincts."],
                ));
            }
        };
        let (Ok(b), Some(actor)) = (b.parse::<i64>(), viewer.person_id()) else {
            return Err(crate::pages::missing());
        };
        let event = passerelle_store::accounts::AuditEvent {
            action: if merge {
                "place.merged"
            } else {
                "place.duplicate_distinct"
            }
            .into(),
            actor_person_id: Some(actor),
            actor_token_id: None,
            structure_id: None,
            subject: Some(format!("place:{}", stored.id)),
            detail: None,
            ip: viewer.ip.clone(),
        };
        if !state
            .db
            .decide_duplicate(stored.id, b, merge, actor, event)
            .await
            .map_err(storage_failure)?
        {
            return Err(crate::pages::missing());
        }
        state.places_changed().await;
        Ok(axum::response::Redirect::to("/lieux/coordination").into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked() {
        let p = parse_params(Some("q=m%C3%A9diath%C3%A8que&service=Aide+aux+d%C3%A9marches+administratives&service=Loisirs+et+cr%C3%A9ations+num%C3%A9riques&near=48.1,-1.6&radius_km=5&open=now")).unwrap();
        assert_eq!(p.services.len(), 2);
        assert_eq!(p.near, Some((48.1, -1.6)));
        assert!(p.open_now);
        assert!(
            parse_params(Some("service=Démarches"))
                .unwrap_err()
                .contains("not a value of the standard")
        );
        assert!(parse_params(Some("near=48.1")).is_err());
        assert!(parse_params(Some("near=148.1,2")).is_err());
        assert!(parse_params(Some("radius_km=-1")).is_err());
        assert!(parse_params(Some("open_at=demain")).is_err());
        assert!(parse_params(Some("limit=0")).is_err());
    }
}
