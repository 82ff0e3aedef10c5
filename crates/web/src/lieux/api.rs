//! The places API: search (JSON and GeoJSON), one place, the whole
//! directory in the data·inclusion schema and as open data page by page,
//! and the import of files (administrators).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use passerelle_accounts::policy::Action;
use passerelle_places::Place;
use passerelle_places::format::National;
use passerelle_places::search::Indexed;
use passerelle_store::places::ImportOrigin;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::search::{Outcome, SearchParams, run};
use crate::AppState;
use crate::auth::{Viewer, api_denial};
use crate::error::{ApiError, ErrorBody};

/// A search from the API's query string; an unknown commune is a 400.
async fn api_search(state: &AppState, raw: Option<&str>) -> Result<Outcome, ApiError> {
    let p = SearchParams::parse(raw).map_err(|e| ApiError::bad_request(e.api()))?;
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
        ("inconnu" = Option<Vec<String>>, Query, description = "Keep the places that do not give this facet (service, public, support, frais, access, accompaniment, programme, horaires); repeatable. Without it, a place whose value of a facet asked for is not given is left out"),
        ("limit" = Option<usize>, Query, description = "1 to 10000, default 50"),
    ),
    responses((status = 200, body = Vec<PlaceOut>), (status = 400, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let Outcome { index, found, .. } = api_search(&state, raw.as_deref()).await?;
    let now = crate::fr::paris_now();
    let list: Vec<PlaceOut> = found
        .hits
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
    let Outcome { index, found, .. } = api_search(&state, raw.as_deref()).await?;
    let features: Vec<serde_json::Value> = found
        .hits
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

/// The parameters of the open places endpoint; any other is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenPlacesQuery {
    cursor: Option<String>,
    limit: Option<String>,
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
    query: Result<Query<OpenPlacesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::bad_request("paramètre inconnu ou répété : seuls cursor et limit sont acceptés")
    })?;
    let after = match &query.cursor {
        Some(value) => decode_cursor(value).ok_or_else(|| {
            ApiError::bad_request(format!(
                "cursor : « {value} » n’est pas un curseur rendu par cette API (next_cursor)"
            ))
        })?,
        None => 0,
    };
    let limit = match &query.limit {
        Some(value) => value
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=OPEN_PAGE_MAX).contains(l))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "limit : « {value} » n’est pas un nombre de 1 à {OPEN_PAGE_MAX}"
                ))
            })?,
        None => 100,
    };
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

/// The import's options; a query that cannot be read imports with none.
#[derive(Deserialize, Default)]
struct ImportOptions {
    skip_invalid: Option<String>,
    source: Option<String>,
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
    uri: axum::http::Uri,
    body: Bytes,
) -> Result<Response, ApiError> {
    viewer.authorize(Action::ImportPlaces).map_err(api_denial)?;
    let Query(options) = Query::<ImportOptions>::try_from_uri(&uri).unwrap_or_default();
    let skip_invalid = options
        .skip_invalid
        .is_some_and(|v| v == "true" || v == "1");
    let source = options.source.unwrap_or_else(|| "api".into());
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
        .import_places_as(
            &checked.valid,
            &source,
            ImportOrigin::Api,
            &super::acting(&viewer),
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
