//! `/api/v1`: the JSON API, and `/health`. Every route here is documented in
//! the OpenAPI document served at `/api/v1/openapi.json` (a test checks it).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use passerelle_store::territories::MAX_SEARCH_RESULTS;
use passerelle_territory::codes::{is_commune_code, is_departement_code, is_region_code, is_siren};
use passerelle_territory::{
    Commune, CommuneSummary, Departement, DepartementRef, DepartementSummary, Epci, EpciRef,
    EpciSummary, Region, RegionRef,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{Viewer, api_denial};
use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::routes::Route;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Passerelle API",
        description = "Territorial reference (Territoires) of a digital-inclusion ecosystem. \
                       Errors are JSON: {\"error\": {\"status\": …, \"message\": …}}.",
    ),
    paths(
        health, search_communes, commune, epci, departement, region, me, structure,
        crate::lieux::api::api_list, crate::lieux::api::api_geojson, crate::lieux::api::api_place, crate::lieux::api::api_import, crate::lieux::api::api_data_inclusion, crate::lieux::api::api_open_places, crate::activites::api_record,
        crate::activites::api_open_activities, crate::activites::api_stats, crate::diagnostic::api_portrait, crate::observe::metrics, crate::observe::live, crate::observe::ready
    ),
    components(schemas(
        crate::lieux::api::PlaceOut, crate::lieux::api::ImportAnswer, crate::lieux::api::OpenPlacesPage, crate::activites::RecordAnswer, crate::activites::ItemProblem,
        crate::activites::OpenActivities, crate::activites::OpenTerritory, crate::activites::OpenCell, crate::activites::StatsAnswer, crate::activites::StatsCell,
        Health, crate::observe::Liveness, crate::observe::Readiness, Me, MeMembership, StructureDetail, StructureMember, Commune, CommuneSummary, Epci, EpciRef, EpciSummary, Departement,
        DepartementRef, DepartementSummary, Region, RegionRef, ErrorBody, ErrorDetail
    )),
    tags(
        (name = "territoires", description = "Régions, départements, EPCI and communes"),
        (name = "comptes", description = "Structures and their members; needs a session or an API token"),
        (name = "lieux", description = "Help places in the national standard of digital-mediation places"),
        (name = "activites", description = "Mediators' anonymous activity records"),
        (name = "diagnostic", description = "The PORTREA portrait of a territory: needs against the offer of help"),
        (name = "exploitation", description = "For operators: liveness, readiness, metrics"),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the API tokens of structures as the `bearer` security scheme.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/health", health),
        Route::get("/api/v1/openapi.json", openapi),
        Route::get("/api/v1/territories/communes", search_communes),
        Route::get("/api/v1/territories/communes/{code}", commune),
        Route::get("/api/v1/territories/epci/{siren}", epci),
        Route::get("/api/v1/territories/departements/{code}", departement),
        Route::get("/api/v1/territories/regions/{code}", region),
        Route::get("/api/v1/me", me),
        Route::get("/api/v1/structures/{id}", structure),
    ]
}

pub async fn unknown_endpoint(
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiError {
    ApiError::not_found(format!("no API endpoint at {}", uri.path()))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

/// The OpenAPI document as served: the annotations' paths, the version,
/// and every body limit of the route registry on its operation (the
/// request body's `x-max-body-bytes`, its description, and the 413
/// answer).
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::extensions::ExtensionsBuilder;
    use utoipa::openapi::{RefOr, ResponseBuilder};
    let mut doc = ApiDoc::openapi();
    doc.info.version = crate::VERSION.to_string();
    for (method, path, limit) in crate::body_limits() {
        if method != axum::http::Method::POST {
            continue;
        }
        let Some(operation) = doc
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.post.as_mut())
        else {
            continue;
        };
        let said = crate::routes::say_bytes(limit);
        if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
            let sentence =
                format!("At most {said} ({limit} bytes); a larger body is answered 413.");
            body.description = Some(match body.description.take() {
                Some(d) => format!("{d}. {sentence}"),
                None => sentence,
            });
            let limit_ext = ExtensionsBuilder::new()
                .add("x-max-body-bytes", limit)
                .build();
            match body.extensions.as_mut() {
                Some(e) => e.merge(limit_ext),
                None => body.extensions = Some(limit_ext),
            }
        }
        operation.responses.responses.insert(
            "413".into(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(format!("The body is larger than {said}"))
                    .content(
                        "application/json",
                        utoipa::openapi::ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    doc
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    status: &'static str,
    version: &'static str,
    /// `sqlite` or `postgresql`.
    database: &'static str,
}

/// Liveness and configuration: version and database back-end (kept as it
/// was; `/health/live` and `/health/ready` are the probes).
#[utoipa::path(get, path = "/health", responses(
    (status = 200, body = Health),
    (status = 503, description = "The database does not answer", body = ErrorBody),
))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    // What failed goes to the log; the public learns only that it did.
    state.db.ping().await.map_err(|e| {
        tracing::error!("health: database: {e}");
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "database unavailable".into(),
        }
    })?;
    Ok(Json(Health {
        status: "ok",
        version: crate::VERSION,
        database: state.db.backend().name(),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct CommuneQuery {
    /// A commune name or the start of any of its words ("plou", "st malo"),
    /// a postcode ("29000") or an INSEE code ("29232"). Accents and case are
    /// ignored.
    q: Option<String>,
    /// Maximum number of results, 1 to 50 (default 20).
    limit: Option<i64>,
}

/// Search communes by name prefix, postcode or INSEE code.
#[utoipa::path(get, path = "/api/v1/territories/communes", tag = "territoires",
    params(CommuneQuery),
    responses(
        (status = 200, description = "Matching communes, best first", body = Vec<Commune>),
        (status = 400, description = "Missing or invalid parameter", body = ErrorBody),
    ))]
async fn search_communes(
    State(state): State<AppState>,
    query: Result<Query<CommuneQuery>, QueryRejection>,
) -> Result<Json<Vec<Commune>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let q = query.q.as_deref().map(str::trim).unwrap_or("");
    if q.is_empty() {
        return Err(ApiError::bad_request(
            "query parameter `q` is required: a commune name, a postcode or an INSEE code",
        ));
    }
    if q.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "query parameter `q` is longer than 100 characters",
        ));
    }
    let limit = query.limit.unwrap_or(20);
    if !(1..=MAX_SEARCH_RESULTS).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "query parameter `limit` must be between 1 and {MAX_SEARCH_RESULTS}"
        )));
    }
    Ok(Json(state.db.search_communes(q, limit).await?))
}

fn check_code(value: &str, valid: fn(&str) -> bool, what: &str) -> Result<(), ApiError> {
    if valid(value) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("{value:?} is not {what}")))
    }
}

/// A commune with its postcodes, population, EPCI, département and région.
#[utoipa::path(get, path = "/api/v1/territories/communes/{code}", tag = "territoires",
    params(("code" = String, Path, description = "INSEE code of the commune", example = "29232")),
    responses(
        (status = 200, body = Commune),
        (status = 400, description = "Not an INSEE commune code", body = ErrorBody),
        (status = 404, description = "No such commune in the reference", body = ErrorBody),
    ))]
async fn commune(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Commune>, ApiError> {
    check_code(
        &code,
        is_commune_code,
        "an INSEE commune code (five characters, e.g. 29232 or 2A004)",
    )?;
    state
        .db
        .commune(&code)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no commune with INSEE code {code}")))
}

/// An EPCI (intercommunalité) with its member communes and population.
#[utoipa::path(get, path = "/api/v1/territories/epci/{siren}", tag = "territoires",
    params(("siren" = String, Path, description = "SIREN of the EPCI", example = "200068120")),
    responses(
        (status = 200, body = Epci),
        (status = 400, description = "Not a SIREN", body = ErrorBody),
        (status = 404, description = "No such EPCI in the reference", body = ErrorBody),
    ))]
async fn epci(
    State(state): State<AppState>,
    Path(siren): Path<String>,
) -> Result<Json<Epci>, ApiError> {
    check_code(&siren, is_siren, "a SIREN (nine digits)")?;
    state
        .db
        .epci(&siren)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no EPCI with SIREN {siren}")))
}

/// A département with its EPCI and population totals.
#[utoipa::path(get, path = "/api/v1/territories/departements/{code}", tag = "territoires",
    params(("code" = String, Path, description = "Code of the département", example = "29")),
    responses(
        (status = 200, body = Departement),
        (status = 400, description = "Not a département code", body = ErrorBody),
        (status = 404, description = "No such département in the reference", body = ErrorBody),
    ))]
async fn departement(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Departement>, ApiError> {
    check_code(
        &code,
        is_departement_code,
        "a département code (e.g. 29, 2A, 974)",
    )?;
    state
        .db
        .departement(&code)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no département with code {code}")))
}

/// A région with its départements and population totals.
#[utoipa::path(get, path = "/api/v1/territories/regions/{code}", tag = "territoires",
    params(("code" = String, Path, description = "Code of the région", example = "53")),
    responses(
        (status = 200, body = Region),
        (status = 400, description = "Not a région code", body = ErrorBody),
        (status = 404, description = "No such région in the reference", body = ErrorBody),
    ))]
async fn region(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Region>, ApiError> {
    check_code(&code, is_region_code, "a région code (e.g. 53)")?;
    state
        .db
        .region(&code)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no région with code {code}")))
}

#[derive(Serialize, ToSchema)]
pub struct MeMembership {
    structure_id: i64,
    structure: String,
    /// admin, coordinateur, gestionnaire or membre.
    role: String,
}

/// Who the credentials belong to.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// `person` (session) or `api_token`.
    kind: &'static str,
    display_name: Option<String>,
    email: Option<String>,
    /// For an API token: the structure it acts for.
    structure_id: Option<i64>,
    memberships: Vec<MeMembership>,
}

/// The person signed in, or the structure an API token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "comptes", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(viewer: Viewer) -> Result<Json<Me>, ApiError> {
    use passerelle_accounts::policy::{Action, Actor};
    viewer
        .authorize(Action::ViewOwnAccount)
        .map_err(api_denial)?;
    let structure_id = match viewer.actor {
        Actor::ApiToken { structure_id, .. } => Some(structure_id),
        _ => None,
    };
    Ok(Json(Me {
        kind: if structure_id.is_some() {
            "api_token"
        } else {
            "person"
        },
        display_name: viewer.person.as_ref().map(|p| p.display_name.clone()),
        email: viewer.person.as_ref().map(|p| p.email.clone()),
        structure_id,
        memberships: viewer
            .memberships
            .iter()
            .map(|m| MeMembership {
                structure_id: m.structure_id,
                structure: m.structure_nom.clone(),
                role: m.role.code().into(),
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct StructureMember {
    display_name: String,
    role: String,
    /// Shown to those who manage the structure only.
    email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StructureDetail {
    id: i64,
    nom: String,
    kind: String,
    siret: Option<String>,
    commune_code: Option<String>,
    members: Vec<StructureMember>,
}

/// A structure and its current members, for those who may see it.
#[utoipa::path(get, path = "/api/v1/structures/{id}", tag = "comptes", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Identifier of the structure")),
    responses(
        (status = 200, body = StructureDetail),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such structure, or not visible to the caller", body = ErrorBody),
    ))]
async fn structure(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Json<StructureDetail>, ApiError> {
    use passerelle_accounts::policy::Action;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{id:?} is not a structure identifier")))?;
    viewer
        .authorize(Action::ViewOwnAccount)
        .map_err(api_denial)?;
    let Some(s) = state.db.structure(id).await? else {
        return Err(api_denial(passerelle_accounts::policy::Denial::NotFound));
    };
    let target = s.policy_ref();
    viewer
        .authorize(Action::ViewStructure(&target))
        .map_err(api_denial)?;
    let manager = viewer.authorize(Action::ManageMembers(&target)).is_ok();
    let members = state
        .db
        .members_of(id)
        .await?
        .into_iter()
        .filter(|m| m.ended_at.is_none())
        .map(|m| StructureMember {
            display_name: m.display_name,
            role: m.role.code().into(),
            email: manager.then_some(m.email),
        })
        .collect();
    Ok(Json(StructureDetail {
        id: s.id,
        nom: s.nom,
        kind: s.kind.code().to_string(),
        siret: s.siret,
        commune_code: s.commune_code,
        members,
    }))
}
