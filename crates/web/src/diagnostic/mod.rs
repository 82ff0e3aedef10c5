//! The Diagnostic pages (PORTREA): choose a territory by name and a
//! service; the one-page synthesis comes first (key figures in sentences,
//! the map, the priority communes and why, the offer, what is missing),
//! then the detailed tables: needs with their sources, IRIS, offer,
//! access, unmet demand (the public finder's searches that found
//! nothing), sub-territories, comparison, communes by priority. The map
//! is an SVG drawn on the server from the bundled IGN outlines: readable
//! without JavaScript, printable, offline. Also: the comparison of two to
//! four territories (`compare`), the import of official files for
//! coordinators (`import`), the exports (CSV, XLSX, GeoJSON, SVG) and the
//! JSON API. The portrait pages are public: they show official open data,
//! the public directory and anonymous counts.

mod compare;
mod import;
mod view;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use passerelle_accounts::kinds::ScopeLevel;
use passerelle_accounts::policy::{Action, TerritorialScope, territorial_scope};
use passerelle_diagnostic::access::Coverage;
use passerelle_diagnostic::export;
use passerelle_diagnostic::geo::{Geography, Territory};
use passerelle_diagnostic::map::{CommuneMap, MapIndicator, MapRow, commune_map};
use passerelle_diagnostic::needs::Indicators;
use passerelle_diagnostic::offer::OfferPlace;
use passerelle_diagnostic::portrait::{
    Activity, Analysis, CommuneRow, Portrait, PriorityWeights, Settings, Summary, check_service,
};
use passerelle_diagnostic::unmet::{SearchCount, per_commune};
use passerelle_territory::codes::is_commune_code;
use passerelle_territory::search::search_key;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::fr::paris_now;
use crate::osrm::add_road_times;
use crate::pages::{Chrome, Crumb, crumbs, render};
use crate::routes::Route;
use view::{
    Choice, CommuneView, Fact, Group, IrisCommune, NeedRow, SearchRow, Synthesis, TerritoryRow,
};

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/diagnostic", page),
        Route::get("/diagnostic/synthese", synthesis_page),
        Route::get("/diagnostic/carte.svg", map_svg),
        Route::get("/diagnostic/communes.csv", communes_csv),
        Route::get("/diagnostic/territoires.csv", territories_csv),
        Route::get("/diagnostic/acces.csv", access_csv),
        Route::get("/diagnostic/rapport.xlsx", workbook),
        Route::get("/diagnostic/communes.geojson", communes_geojson),
        Route::get("/diagnostic/lieux.geojson", places_geojson),
        Route::get("/diagnostic/comparer", compare::page),
        Route::get("/diagnostic/comparer.csv", compare::csv),
        Route::get("/diagnostic/comparer.xlsx", compare::xlsx),
        Route::get("/diagnostic/import", import::page),
        import::upload_route(),
        Route::get("/diagnostic/import/apercu", import::preview),
        Route::post("/diagnostic/import/confirmer", import::confirm),
        Route::get("/api/v1/diagnostic", api_portrait),
    ]
}

/// The query of every Diagnostic page.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct Params {
    /// `reg:…`, `dep:…`, `epci:…`, `commune:…` or `communes:…,…`, as the
    /// territory list gives it.
    territoire: Option<String>,
    /// Names (or INSEE codes) of communes, comma-separated; wins over
    /// `territoire`.
    commune: Option<String>,
    service: Option<String>,
    /// What the map colours the communes by.
    carte: Option<String>,
    /// Priority weights: one field each, or all in one (`poids`, for the
    /// API: `fragilite=2,offre=1`).
    poids: Option<String>,
    poids_fragilite: Option<String>,
    poids_exposition: Option<String>,
    poids_ifn: Option<String>,
    poids_distance: Option<String>,
    poids_offre: Option<String>,
}

impl Params {
    fn service(&self) -> Option<String> {
        self.service.clone().filter(|s| !s.is_empty())
    }

    /// What the map shows: the reader's choice, else the fragility when
    /// loaded, else the exposure, else the distance to the nearest place.
    fn indicator_for(&self, p: Option<&Portrait>) -> MapIndicator {
        if let Some(m) = self.carte.as_deref().and_then(MapIndicator::from_code) {
            return m;
        }
        let has = |f: fn(&passerelle_diagnostic::portrait::CommuneRow) -> bool| {
            p.is_some_and(|p| p.communes.iter().any(f))
        };
        if has(|r| r.fragility_rate.is_some()) {
            MapIndicator::Fragility
        } else if has(|r| r.exposure_rate.is_some()) {
            MapIndicator::Exposure
        } else {
            MapIndicator::Distance
        }
    }

    /// The weights, or the fields at fault with a French message.
    fn weights(&self) -> Result<PriorityWeights, Vec<(&'static str, String)>> {
        let mut w: PriorityWeights = match self.poids.as_deref() {
            Some(text) if !text.trim().is_empty() => text.parse().map_err(|_| {
                vec![(
                    "poids",
                    "Les poids s’écrivent fragilite=2,exposition=1,ifn=1,distance=1,offre=1 (nombres de 0 à 10).".to_string(),
                )]
            })?,
            _ => PriorityWeights::default(),
        };
        let mut errors = Vec::new();
        let fields: [(&'static str, &Option<String>, &mut f64); 5] = [
            ("poids_fragilite", &self.poids_fragilite, &mut w.fragility),
            ("poids_exposition", &self.poids_exposition, &mut w.exposure),
            ("poids_ifn", &self.poids_ifn, &mut w.digital_fragility_index),
            ("poids_distance", &self.poids_distance, &mut w.distance),
            ("poids_offre", &self.poids_offre, &mut w.offer_gap),
        ];
        for (name, text, slot) in fields {
            let Some(text) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
                continue;
            };
            match text.replace(',', ".").parse::<f64>() {
                Ok(v) if (0.0..=10.0).contains(&v) => *slot = v,
                _ => errors.push((
                    name,
                    format!("« {text} » n’est pas un poids : donnez un nombre de 0 à 10 (0 retire le critère)."),
                )),
            }
        }
        if errors.is_empty() {
            Ok(w)
        } else {
            Err(errors)
        }
    }

    /// The query string that selects the same portrait (for exports and
    /// links), with the territory resolved.
    fn query(&self, territory: &Territory, weights: &PriorityWeights) -> String {
        let mut pairs = vec![("territoire".to_string(), territory.to_string())];
        if let Some(s) = self.service() {
            pairs.push(("service".into(), s));
        }
        if *weights != PriorityWeights::default() {
            pairs.push((
                "poids".into(),
                format!(
                    "fragilite={},exposition={},ifn={},distance={},offre={}",
                    weights.fragility,
                    weights.exposure,
                    weights.digital_fragility_index,
                    weights.distance,
                    weights.offer_gap
                ),
            ));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// What a portrait is computed from, read from the database.
pub(crate) struct Loaded {
    geo: Geography,
    indicators: Indicators,
    places: Vec<OfferPlace>,
    activity: Option<((String, String), HashMap<String, Activity>)>,
    /// The finder's searches over the last year, and that year's first
    /// and last days.
    searches: (Vec<SearchCount>, (String, String)),
}

pub(crate) async fn load(state: &AppState) -> Result<Loaded, passerelle_store::StoreError> {
    let geo = state.db.diagnostic_geography().await?;
    let indicators = state.db.diagnostic_indicators().await?;
    let places = state.db.diagnostic_places(&geo).await?;
    let last = paris_now().date();
    let first = last - Duration::days(364);
    let counts = state.db.place_search_counts(first, last).await?;
    Ok(Loaded {
        activity: state.db.diagnostic_activity().await?,
        searches: (counts, (first.to_string(), last.to_string())),
        geo,
        indicators,
        places,
    })
}

/// Why no portrait: a sentence, and the form field it concerns.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    field: &'static str,
    message: String,
    /// Communes the name could mean, as (query, label) links.
    choices: Vec<(String, String)>,
}

impl Problem {
    fn on(field: &'static str, message: impl Into<String>) -> Self {
        Problem {
            field,
            message: message.into(),
            choices: Vec::new(),
        }
    }
}

/// The territory a coordinator works on: the first of their scope, as
/// the policy answers it (administrators answer for everywhere: none).
fn scope_territory(viewer: &Viewer) -> Option<Territory> {
    let TerritorialScope::Within(scopes) = territorial_scope(&viewer.actor) else {
        return None;
    };
    scopes
        .into_iter()
        .map(|scope| match scope.level {
            ScopeLevel::Region => Territory::Region(scope.code),
            ScopeLevel::Departement => Territory::Departement(scope.code),
            ScopeLevel::Epci => Territory::Epci(scope.code),
            ScopeLevel::Commune => Territory::Commune(scope.code),
        })
        .next()
}

/// Without a choice: the viewer's territory, else the région of the loaded
/// reference with the most places (the instance's own), else its first.
fn default_territory(loaded: &Loaded, viewer: &Viewer) -> Option<Territory> {
    if let Some(t) = scope_territory(viewer).filter(|t| loaded.geo.resolve(t).is_ok()) {
        return Some(t);
    }
    let mut places: HashMap<&str, usize> = HashMap::new();
    for p in &loaded.places {
        if let Some(c) = p.commune.as_deref().and_then(|c| loaded.geo.commune(c)) {
            *places.entry(c.region.as_str()).or_default() += 1;
        }
    }
    let region = places
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(r, _)| r.to_string())
        .or_else(|| loaded.geo.communes.iter().map(|c| c.region.clone()).min())?;
    Some(Territory::Region(region))
}

/// A commune given by name (or INSEE code).
async fn commune_by_name(state: &AppState, geo: &Geography, name: &str) -> Result<String, Problem> {
    let name = name.trim();
    if is_commune_code(name) && geo.contains(name) {
        return Ok(name.to_string());
    }
    let found = state.db.search_communes(name, 20).await.map_err(|e| {
        tracing::error!("commune search: {e}");
        Problem::on(
            "commune",
            "La recherche de communes n’a pas abouti : réessayez.",
        )
    })?;
    let found: Vec<_> = found
        .into_iter()
        .filter(|c| geo.contains(&c.code))
        .collect();
    let key = search_key(name);
    let exact: Vec<_> = found.iter().filter(|c| search_key(&c.nom) == key).collect();
    match (exact.as_slice(), found.first()) {
        ([one], _) => Ok(one.code.clone()),
        ([], Some(first)) => Ok(first.code.clone()),
        ([], None) => Err(Problem::on(
            "commune",
            format!(
                "Aucune commune ne s’appelle « {name} » : vérifiez l’orthographe, ou choisissez un territoire dans la liste."
            ),
        )),
        (several, _) => Err(Problem {
            field: "commune",
            message: format!("Plusieurs communes s’appellent « {name} » : choisissez-la."),
            choices: several
                .iter()
                .map(|c| {
                    (
                        serde_urlencoded::to_string([(
                            "territoire",
                            format!("commune:{}", c.code),
                        )])
                        .unwrap_or_default(),
                        format!("{} ({})", c.nom, c.departement.nom),
                    )
                })
                .collect(),
        }),
    }
}

/// The territory the parameters ask for.
async fn territory(
    state: &AppState,
    loaded: &Loaded,
    params: &Params,
    viewer: &Viewer,
) -> Result<Territory, Problem> {
    if let Some(names) = params.commune.as_deref().filter(|c| !c.trim().is_empty()) {
        let mut codes = Vec::new();
        for name in names.split(',').filter(|n| !n.trim().is_empty()) {
            let code = commune_by_name(state, &loaded.geo, name).await?;
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        return Ok(match codes.len() {
            1 => Territory::Commune(codes.remove(0)),
            _ => Territory::Communes(codes),
        });
    }
    let unknown = || {
        Problem::on(
            "territoire",
            "Ce territoire n’est pas dans le référentiel chargé : choisissez-le dans la liste.",
        )
    };
    let t = match params.territoire.as_deref().filter(|t| !t.is_empty()) {
        Some(text) => text.parse::<Territory>().map_err(|_| unknown())?,
        None => default_territory(loaded, viewer).ok_or_else(unknown)?,
    };
    loaded.geo.resolve(&t).map_err(|_| unknown())?;
    Ok(t)
}

/// A portrait, the places it was computed with, and how road times were
/// obtained.
pub(crate) struct Computed {
    territory: Territory,
    portrait: Portrait,
    places: Vec<OfferPlace>,
    road_note: Option<String>,
}

/// The portrait of `territory` with `settings`, over the régions it
/// touches (with real road times when an OSRM server is configured).
async fn compute(
    state: &AppState,
    loaded: &Loaded,
    territory: &Territory,
    settings: Settings,
) -> Result<Computed, Problem> {
    check_service(settings.service.as_deref()).map_err(|_| {
        Problem::on(
            "service",
            "Ce service ne fait pas partie du standard national.",
        )
    })?;
    let unknown = || {
        Problem::on(
            "territoire",
            "Aucune commune chargée ne correspond à ce territoire.",
        )
    };
    let geo = loaded.geo.around(territory).map_err(|_| unknown())?;
    let positions = geo.resolve(territory).map_err(|_| unknown())?;
    let mut analysis = Analysis::new(&geo, &loaded.indicators, loaded.places.clone());
    if let Some((period, counts)) = &loaded.activity {
        analysis.set_activity(period.clone(), counts);
    }
    let (counts, period) = &loaded.searches;
    analysis.set_searches(
        period.clone(),
        &per_commune(counts, settings.service.as_deref()),
    );
    let road_note = match &state.config.osrm {
        None => None,
        Some(osrm) => Some(
            match add_road_times(osrm, &mut analysis, settings.service.as_deref(), &positions).await {
                Ok(()) => "Temps de route réels pour le service choisi : serveur de calcul d’itinéraires OSRM.".to_string(),
                Err(e) => {
                    tracing::warn!("road times: {e}");
                    "Le serveur de calcul d’itinéraires ne répond pas : temps de route estimés seulement.".to_string()
                }
            },
        ),
    };
    let portrait = analysis
        .portrait(territory, &settings)
        .map_err(|_| unknown())?;
    Ok(Computed {
        territory: territory.clone(),
        portrait,
        places: std::mem::take(&mut analysis.places),
        road_note,
    })
}

/// The portrait the parameters ask for, or what is wrong.
async fn portrait_for(
    state: &AppState,
    loaded: &Loaded,
    params: &Params,
    viewer: &Viewer,
) -> Result<(Computed, PriorityWeights), Vec<Problem>> {
    let weights = params.weights().map_err(|errors| {
        errors
            .into_iter()
            .map(|(field, message)| Problem::on(field, message))
            .collect::<Vec<_>>()
    })?;
    let t = territory(state, loaded, params, viewer)
        .await
        .map_err(|p| vec![p])?;
    let settings = Settings {
        service: params.service(),
        weights,
        ..Settings::default()
    };
    let c = compute(state, loaded, &t, settings)
        .await
        .map_err(|p| vec![p])?;
    Ok((c, weights))
}

const MAP_SIZE: (f64, f64) = (800.0, 560.0);

/// The map of a computed portrait.
fn map_of(c: &Computed, indicator: MapIndicator, id: &str) -> CommuneMap {
    commune_map(&c.portrait, &c.places, indicator, id, MAP_SIZE)
}

/// The choice of territory, service, map and weights, as typed.
struct FormView {
    groups: Vec<Group>,
    commune: String,
    services: Vec<Choice>,
    maps: Vec<Choice>,
    weights: Vec<WeightField>,
    weights_open: bool,
    /// Message shown next to each field at fault.
    errors: HashMap<&'static str, String>,
    choices: Vec<(String, String)>,
}

struct WeightField {
    name: String,
    label: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
}

impl FormView {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

fn form_view(
    geo: &Geography,
    params: &Params,
    computed: Option<&Computed>,
    problems: &[Problem],
) -> FormView {
    let territory = computed.map(|c| &c.territory);
    let indicator = params.indicator_for(computed.map(|c| &c.portrait));
    let service = params.service().unwrap_or_default();
    let errors: HashMap<&'static str, String> = problems
        .iter()
        .map(|p| (p.field, p.message.clone()))
        .collect();
    let typed = |name: &str| -> Option<String> {
        match name {
            "poids_fragilite" => params.poids_fragilite.clone(),
            "poids_exposition" => params.poids_exposition.clone(),
            "poids_ifn" => params.poids_ifn.clone(),
            "poids_distance" => params.poids_distance.clone(),
            "poids_offre" => params.poids_offre.clone(),
            _ => None,
        }
    };
    let defaults = params.weights().unwrap_or_default();
    let weights: Vec<WeightField> = view::weight_values(&defaults)
        .into_iter()
        .map(|(name, label, hint, value)| WeightField {
            value: typed(&name).filter(|v| !v.is_empty()).unwrap_or(value),
            error: errors.get(name.as_str()).cloned(),
            name,
            label,
            hint,
        })
        .collect();
    let selected = match (territory, params.commune.as_deref()) {
        (_, Some(c)) if !c.trim().is_empty() => String::new(),
        (Some(t), _) => t.to_string(),
        (None, _) => params.territoire.clone().unwrap_or_default(),
    };
    FormView {
        groups: view::groups(geo, &selected),
        commune: params.commune.clone().unwrap_or_default(),
        services: view::service_choices(&service),
        maps: view::map_choices(indicator),
        weights_open: weights.iter().any(|w| w.error.is_some())
            || defaults != PriorityWeights::default(),
        weights,
        choices: problems.iter().flat_map(|p| p.choices.clone()).collect(),
        errors,
    }
}

/// Everything the page shows of a portrait.
struct Report {
    label: String,
    query: String,
    compare_query: String,
    map_query: String,
    can_import: bool,
    synthesis: Synthesis,
    map_rows: Vec<MapRow>,
    map_label: String,
    needs: Vec<NeedRow>,
    iris: Vec<IrisCommune>,
    iris_elsewhere: Vec<String>,
    offer: Vec<Fact>,
    by_service: Vec<(String, String)>,
    by_programme: Vec<(String, String)>,
    access: Vec<AccessRow>,
    within_km: String,
    within_minutes: String,
    searches: Vec<SearchRow>,
    searches_total: String,
    searches_period: String,
    subterritories: Vec<TerritoryRow>,
    sub_label: &'static str,
    comparison: Vec<TerritoryRow>,
    communes: Vec<CommuneView>,
    communes_total: usize,
    uncovered: Vec<String>,
    method: Vec<String>,
    sources: Vec<String>,
    ifn_epci: Option<String>,
    road_note: Option<String>,
}

struct AccessRow {
    service: String,
    in_commune: String,
    in_need: String,
    mean_km: String,
    within_km: String,
    within_minutes: String,
    within_minutes_road: String,
    uncovered: String,
}

const COMMUNES_SHOWN: usize = 50;

fn report(
    c: &Computed,
    loaded: &Loaded,
    params: &Params,
    weights: &PriorityWeights,
    can_import: bool,
) -> Report {
    let p = &c.portrait;
    let s = &p.summary;
    let indicator = params.indicator_for(Some(&c.portrait));
    let map = map_of(c, indicator, "carte-diagnostic");
    let query = params.query(&c.territory, weights);
    let query_service = p.settings.service.clone().unwrap_or_default();
    let today = paris_now().date();
    let count_by = |map: &std::collections::BTreeMap<String, usize>| {
        map.iter()
            .map(|(k, v)| (k.clone(), crate::pages::fr_number(*v as i64)))
            .collect()
    };
    let t = &p.settings.thresholds;
    // IRIS tables for a commune, an EPCI or a list; above, the communes
    // that have IRIS, to open one by one.
    let detailed_iris = matches!(p.level, "commune" | "epci" | "communes");
    Report {
        label: p.label.clone(),
        map_query: format!(
            "{query}&{}",
            serde_urlencoded::to_string([("carte", indicator.code())]).unwrap_or_default()
        ),
        compare_query: compare_query(&c.territory, params),
        query,
        can_import,
        synthesis: view::synthesis(p, &c.places, &map, today),
        map_rows: map.rows.clone(),
        map_label: map.indicator.label().to_string(),
        needs: view::needs_rows(p, &loaded.indicators),
        iris: if detailed_iris {
            view::iris_sections(p, &c.places)
        } else {
            Vec::new()
        },
        iris_elsewhere: if detailed_iris {
            Vec::new()
        } else {
            sorted_names(p, |r| {
                (r.iris > 0).then(|| format!("{} ({} IRIS)", r.nom, r.iris))
            })
        },
        offer: view::offer_facts(s),
        by_service: count_by(&s.offer.by_service),
        by_programme: count_by(&s.offer.by_programme),
        access: p.coverage_by_service.iter().map(access_row).collect(),
        within_km: view::decimal(t.within_km, 0),
        within_minutes: view::decimal(t.within_minutes, 0),
        searches: view::search_rows(p),
        searches_total: s.searches.map(view::searches_total).unwrap_or_default(),
        searches_period: searches_period(&loaded.searches.1),
        sub_label: match p.level {
            "reg" => "Départements",
            "dep" => "Intercommunalités",
            _ => "Communes",
        },
        subterritories: territory_rows(&p.subterritories, &query_service),
        comparison: territory_rows(
            std::iter::once(&p.summary).chain(&p.comparison),
            &query_service,
        ),
        communes: p
            .communes
            .iter()
            .take(COMMUNES_SHOWN)
            .map(view::commune_view)
            .collect(),
        communes_total: p.communes.len(),
        uncovered: sorted_names(p, |r| r.uncovered.then(|| r.nom.clone())),
        method: view::method(p),
        sources: view::sources(p, &loaded.indicators),
        ifn_epci: p.ifn_epci.map(view::ifn_scores),
        road_note: c.road_note.clone(),
    }
}

fn territory_rows<'a>(
    summaries: impl IntoIterator<Item = &'a Summary>,
    service: &str,
) -> Vec<TerritoryRow> {
    summaries
        .into_iter()
        .map(|s| view::territory_row(s, service))
        .collect()
}

/// The comparison page's query for this territory and service.
fn compare_query(territory: &Territory, params: &Params) -> String {
    serde_urlencoded::to_string(
        std::iter::once(("t1", territory.to_string()))
            .chain(params.service().map(|s| ("service", s)))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default()
}

/// One service's line of the access table.
fn access_row(c: &Coverage) -> AccessRow {
    AccessRow {
        service: c
            .service
            .clone()
            .unwrap_or_else(|| "Tous les services".into()),
        in_commune: view::percent(c.share_population_in_commune),
        in_need: c
            .share_in_need_in_commune
            .map(|v| view::percent(Some(v)))
            .unwrap_or_else(|| view::NOT_LOADED.into()),
        mean_km: view::km(c.mean_distance_km),
        within_km: view::percent(c.share_within_km),
        within_minutes: view::percent(c.share_within_minutes_estimated),
        within_minutes_road: view::percent(c.share_within_minutes_road),
        uncovered: crate::pages::fr_number(c.uncovered_communes as i64),
    }
}

/// What `name` says of the portrait's communes it keeps, in order.
fn sorted_names(p: &Portrait, name: impl Fn(&CommuneRow) -> Option<String>) -> Vec<String> {
    let mut names: Vec<String> = p.communes.iter().filter_map(name).collect();
    names.sort();
    names
}

/// "du 1er mars 2025 au 31 mars 2025": the days the searches cover.
fn searches_period((first_day, last_day): &(String, String)) -> String {
    let day = |d: &str| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(view::fr_date)
            .unwrap_or_default()
    };
    format!("du {} au {}", day(first_day), day(last_day))
}

#[derive(Template)]
#[template(path = "diagnostic.html")]
struct DiagnosticPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    form: FormView,
    report: Option<Report>,
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> PageResult {
    let loaded = load(&state).await?;
    let can_import = viewer.authorize(Action::ImportIndicators).is_ok();
    let (report, form) = match portrait_for(&state, &loaded, &params, &viewer).await {
        Ok((c, weights)) => (
            Some(report(&c, &loaded, &params, &weights, can_import)),
            form_view(&loaded.geo, &params, Some(&c), &[]),
        ),
        Err(problems) => (None, form_view(&loaded.geo, &params, None, &problems)),
    };
    let status = if report.is_some() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = DiagnosticPage {
        chrome: Chrome::new("/diagnostic", &viewer),
        crumbs: crumbs(&[], "Diagnostic"),
        form,
        report,
    };
    Ok((status, render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "diagnostic_synthese_page.html")]
struct SynthesisPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    synthesis: Synthesis,
    back: String,
}

/// The synthesis alone: the one A4 page to print and hand over.
async fn synthesis_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> PageResult {
    let loaded = load(&state).await?;
    let (c, weights) = portrait_for(&state, &loaded, &params, &viewer)
        .await
        .map_err(|problems| bad_request(&problems))?;
    let map = map_of(
        &c,
        params.indicator_for(Some(&c.portrait)),
        "carte-synthese",
    );
    let back = format!("/diagnostic?{}", params.query(&c.territory, &weights));
    Ok(render(&SynthesisPage {
        chrome: Chrome::new("/diagnostic", &viewer),
        crumbs: crumbs(&[("Diagnostic", &back)], "Synthèse"),
        synthesis: view::synthesis(&c.portrait, &c.places, &map, paris_now().date()),
        back,
    }))
}

/// What is wrong, in one text.
fn messages(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// 400, saying what is wrong, with the way back to the form.
fn bad_request(problems: &[Problem]) -> PageError {
    PageError::refused(StatusCode::BAD_REQUEST, messages(problems), "/diagnostic")
}

/// An export of the portrait (`diagnostic-<territory>-<suffix>`), or 400
/// with the reason.
async fn export_with(
    state: &AppState,
    viewer: &Viewer,
    params: &Params,
    content_type: &'static str,
    suffix: &str,
    body: impl FnOnce(&Computed) -> Vec<u8>,
) -> PageResult {
    let loaded = load(state).await?;
    let (c, _) = portrait_for(state, &loaded, params, viewer)
        .await
        .map_err(|problems| bad_request(&problems))?;
    let name = format!(
        "diagnostic-{}-{suffix}",
        c.portrait.territory.replace([':', ','], "-")
    );
    Ok(crate::export::download(content_type, &name, body(&c)))
}

/// The portrait of a territory as JSON: needs, offer, access per service,
/// sub-territories, comparison, priorities (the same object as
/// `passerelle diagnostic --format json`; fields in `docs/diagnostic.md`).
#[utoipa::path(get, path = "/api/v1/diagnostic", tag = "diagnostic",
    params(
        ("territoire" = Option<String>, Query, description = "commune:<INSEE>, epci:<SIREN>, dep:<code>, reg:<code> or communes:<INSEE>,<INSEE>…; default the instance's région"),
        ("commune" = Option<String>, Query, description = "Names or INSEE codes of communes, comma-separated (wins over territoire)"),
        ("service" = Option<String>, Query, description = "A service of the national standard: access is computed for it"),
        ("poids" = Option<String>, Query, description = "Priority weights, e.g. fragilite=2,exposition=1,offre=1")
    ),
    responses((status = 200, description = "The portrait", body = Object), (status = 400, body = crate::error::ErrorBody)))]
pub(crate) async fn api_portrait(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> Result<Response, crate::error::ApiError> {
    let loaded = load(&state).await?;
    match portrait_for(&state, &loaded, &params, &viewer).await {
        Ok((c, _)) => Ok(axum::Json(c.portrait).into_response()),
        Err(problems) => Err(crate::error::ApiError::bad_request(messages(&problems))),
    }
}

const CSV: &str = "text/csv; charset=utf-8";
const GEOJSON: &str = "application/geo+json";

async fn communes_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> PageResult {
    export_with(&state, &viewer, &params, CSV, "communes.csv", |c| {
        export::communes_csv(&c.portrait)
    })
    .await
}

async fn territories_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> PageResult {
    export_with(&state, &viewer, &params, CSV, "territoires.csv", |c| {
        export::territories_csv(&c.portrait)
    })
    .await
}

async fn access_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> PageResult {
    export_with(&state, &viewer, &params, CSV, "acces.csv", |c| {
        export::access_csv(&c.portrait)
    })
    .await
}

async fn workbook(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> PageResult {
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    export_with(&state, &viewer, &params, XLSX, "rapport.xlsx", |c| {
        export::xlsx(&c.portrait).unwrap_or_else(|e| {
            tracing::error!("xlsx export: {e}");
            Vec::new()
        })
    })
    .await
}

async fn communes_geojson(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> PageResult {
    export_with(&state, &viewer, &params, GEOJSON, "communes.geojson", |c| {
        export::communes_geojson(&c.portrait)
            .to_string()
            .into_bytes()
    })
    .await
}

/// The map as an SVG file.
async fn map_svg(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> PageResult {
    export_with(
        &state,
        &viewer,
        &params,
        "image/svg+xml",
        "carte.svg",
        |c| {
            map_of(c, params.indicator_for(Some(&c.portrait)), "carte")
                .svg
                .into_bytes()
        },
    )
    .await
}

/// The places of the territory offering the service, as GeoJSON points.
async fn places_geojson(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> PageResult {
    export_with(&state, &viewer, &params, GEOJSON, "lieux.geojson", |c| {
        let p = &c.portrait;
        let codes: std::collections::HashSet<&str> =
            p.communes.iter().map(|r| r.code.as_str()).collect();
        let features: Vec<serde_json::Value> = c
            .places
            .iter()
            .filter(|pl| pl.offers(p.settings.service.as_deref()))
            .filter(|pl| pl.commune.as_deref().is_some_and(|c| codes.contains(c)))
            .filter_map(|pl| {
                let (lat, lng) = pl.point?;
                Some(serde_json::json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lng, lat]},
                    "properties": {"nom": pl.nom, "itinerant": pl.itinerant},
                }))
            })
            .collect();
        serde_json::json!({"type": "FeatureCollection", "features": features})
            .to_string()
            .into_bytes()
    })
    .await
}
