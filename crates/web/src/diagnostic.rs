//! The Diagnostic page (PORTREA): choose a territory and a service; needs,
//! offer, access, sub-territories, comparison and priority communes, a map
//! of the communes as proportional circles, a printable report, and the
//! exports (CSV and XLSX of the tables, GeoJSON of the communes). Public: it
//! shows official open data and the public directory of places.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use passerelle_diagnostic::export;
use passerelle_diagnostic::geo::{Geography, Territory};
use passerelle_diagnostic::needs::{Indicators, Total};
use passerelle_diagnostic::offer::OfferPlace;
use passerelle_diagnostic::portrait::{
    Activity, Analysis, Portrait, Settings, Summary, check_service,
};
use passerelle_places::vocab;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Viewer;
use crate::osrm::add_road_times;
use crate::pages::{Chrome, Crumb, crumbs, fr_number, render, storage_failure};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/diagnostic", page),
        Route::get("/diagnostic/communes.csv", communes_csv),
        Route::get("/diagnostic/territoires.csv", territories_csv),
        Route::get("/diagnostic/acces.csv", access_csv),
        Route::get("/diagnostic/rapport.xlsx", workbook),
        Route::get("/diagnostic/communes.geojson", communes_geojson),
        Route::get("/diagnostic/lieux.geojson", places_geojson),
        Route::get("/api/v1/diagnostic", api_portrait),
    ]
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Params {
    territoire: Option<String>,
    /// An INSEE commune code, which wins over `territoire`.
    commune: Option<String>,
    service: Option<String>,
    indicateur: Option<String>,
    /// Priority weights, `fragilite=2,offre=1…` (see `PriorityWeights`).
    poids: Option<String>,
}

impl Params {
    fn service(&self) -> Option<String> {
        self.service.clone().filter(|s| !s.is_empty())
    }

    /// The territory asked for; without one, Bretagne when it is loaded,
    /// else the first région of the reference.
    fn territory_text(&self, geo: &Geography) -> String {
        match self.commune.as_deref().map(str::trim) {
            Some(c) if c.contains(',') => format!("communes:{}", c.replace(' ', "")),
            Some(c) if !c.is_empty() => format!("commune:{c}"),
            _ => self
                .territoire
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| {
                    let region = geo
                        .communes
                        .iter()
                        .map(|c| c.region.as_str())
                        .find(|r| *r == "53")
                        .or_else(|| geo.communes.iter().map(|c| c.region.as_str()).min())
                        .unwrap_or("53");
                    format!("reg:{region}")
                }),
        }
    }

    /// The query string that selects the same portrait.
    fn query(&self, geo: &Geography) -> String {
        let mut pairs = vec![("territoire", self.territory_text(geo))];
        if let Some(s) = self.service() {
            pairs.push(("service", s));
        }
        if let Some(w) = self.poids.clone().filter(|w| !w.is_empty()) {
            pairs.push(("poids", w));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// What a portrait is computed from, read from the database.
struct Loaded {
    geo: Geography,
    indicators: Indicators,
    places: Vec<OfferPlace>,
    activity: Option<((String, String), HashMap<String, Activity>)>,
}

async fn load(state: &AppState) -> Result<Loaded, passerelle_store::StoreError> {
    let geo = state.db.diagnostic_geography().await?;
    let indicators = state.db.diagnostic_indicators().await?;
    let places = state.db.diagnostic_places(&geo).await?;
    Ok(Loaded {
        activity: state.db.diagnostic_activity().await?,
        geo,
        indicators,
        places,
    })
}

/// The portrait the parameters ask for (with real road times for the
/// chosen service when an OSRM server is configured, and a sentence saying
/// where they come from), or a sentence saying what is wrong.
async fn portrait(
    state: &AppState,
    loaded: &Loaded,
    params: &Params,
) -> Result<(Portrait, Option<String>), String> {
    let territory: Territory = params
        .territory_text(&loaded.geo)
        .parse()
        .map_err(|_| "Ce territoire n’est pas reconnu : choisissez-le dans la liste ou donnez un code INSEE de commune à 5 caractères.".to_string())?;
    let service = params.service();
    check_service(service.as_deref())
        .map_err(|_| "Ce service ne fait pas partie du standard national.".to_string())?;
    const UNKNOWN: &str =
        "Aucune commune chargée ne correspond à ce territoire : vérifiez le code.";
    let geo = loaded
        .geo
        .around(&territory)
        .map_err(|_| UNKNOWN.to_string())?;
    let positions = geo.resolve(&territory).map_err(|_| UNKNOWN.to_string())?;
    let mut analysis = Analysis::new(&geo, &loaded.indicators, loaded.places.clone());
    if let Some((period, counts)) = &loaded.activity {
        analysis.set_activity(period.clone(), counts);
    }
    let road_note = match &state.config.osrm {
        None => None,
        Some(osrm) => Some(
            match add_road_times(osrm, &mut analysis, service.as_deref(), &positions).await {
                Ok(()) => "Temps de route réels pour le service choisi : serveur de calcul d’itinéraires OSRM.".to_string(),
                Err(e) => {
                    tracing::warn!("road times: {e}");
                    "Le serveur de calcul d’itinéraires ne répond pas : temps de route estimés seulement.".to_string()
                }
            },
        ),
    };
    let weights = params
        .poids
        .as_deref()
        .unwrap_or("")
        .parse()
        .map_err(|_| "Les poids de la priorité s’écrivent fragilite=2,demarches=1,ifn=1,distance=1,offre=1 (nombres positifs ou nuls).".to_string())?;
    let settings = Settings {
        service,
        weights,
        ..Settings::default()
    };
    let p = analysis
        .portrait(&territory, &settings)
        .map_err(|_| UNKNOWN.to_string())?;
    Ok((p, road_note))
}

const NOT_LOADED: &str = "données non chargées";

fn count(total: &Total) -> String {
    match total.value {
        None => NOT_LOADED.into(),
        Some(v) if total.complete() => fr_number(v.round() as i64),
        Some(v) => format!(
            "{} (partiel : {} communes sur {})",
            fr_number(v.round() as i64),
            total.communes_with_data,
            total.communes
        ),
    }
}

fn decimal(v: f64, digits: usize) -> String {
    format!("{v:.digits$}").replace('.', ",")
}

fn percent(v: Option<f64>) -> String {
    v.map(|v| format!("{} %", decimal(v * 100.0, 1)))
        .unwrap_or_else(|| "—".into())
}

fn km(v: Option<f64>) -> String {
    v.map(|v| format!("{} km", decimal(v, 1)))
        .unwrap_or_else(|| "—".into())
}

fn minutes(v: Option<f64>) -> String {
    v.map(|m| format!("{} min", decimal(m, 0)))
        .unwrap_or_else(|| "—".into())
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map(|v| decimal(v, digits)).unwrap_or_else(|| "—".into())
}

struct Figure {
    label: &'static str,
    value: String,
}

fn figure(label: &'static str, value: String) -> Figure {
    Figure { label, value }
}

struct TerritoryRow {
    label: String,
    href: String,
    population: String,
    fragility_rate: String,
    complex_rate: String,
    unemployment: String,
    ifn: String,
    places: String,
    per_10000: String,
    in_commune: String,
    mean_km: String,
    within_km: String,
    within_minutes: String,
    uncovered: String,
    priority: String,
}

fn territory_row(s: &Summary, query_service: &str) -> TerritoryRow {
    let href = if s.key.starts_with("sans-epci") {
        String::new()
    } else {
        format!(
            "/diagnostic?{}",
            serde_urlencoded::to_string([
                ("territoire", s.key.as_str()),
                ("service", query_service)
            ])
            .unwrap_or_default()
        )
    };
    TerritoryRow {
        label: s.label.clone(),
        href,
        population: fr_number(s.needs.population),
        fragility_rate: if s.needs.fragility.value.is_none() {
            NOT_LOADED.into()
        } else {
            percent(s.needs.fragility_rate)
        },
        complex_rate: if s.needs.complex_procedures.value.is_none() {
            NOT_LOADED.into()
        } else {
            percent(s.needs.complex_procedures_rate)
        },
        unemployment: percent(s.needs.census_unemployment_rate),
        ifn: opt(s.needs.ifn_score, 1),
        places: fr_number(s.places_for_service as i64),
        per_10000: opt(s.places_per_10000_inhabitants, 1),
        in_commune: percent(s.coverage.share_population_in_commune),
        mean_km: km(s.coverage.mean_distance_km),
        within_km: percent(s.coverage.share_within_km),
        within_minutes: percent(s.coverage.share_within_minutes_estimated),
        uncovered: fr_number(s.coverage.uncovered_communes as i64),
        priority: opt(s.priority.map(|p| p * 100.0), 0),
    }
}

struct CommuneView {
    rank: String,
    code: String,
    nom: String,
    population: String,
    fragility: String,
    complex: String,
    ifn: String,
    places: String,
    nearest: String,
    minutes: String,
    road_minutes: String,
    uncovered: bool,
    priority: String,
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

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct Group {
    label: &'static str,
    options: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "diagnostic.html")]
struct DiagnosticPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    error: Option<String>,
    groups: Vec<Group>,
    commune: String,
    services: Vec<Choice>,
    indicators: Vec<Choice>,
    report: Option<Report>,
    tiles: String,
    weights: String,
}

struct Report {
    /// The weights used, as a sentence.
    weights: String,
    label: String,
    service: String,
    query: String,
    needs: Vec<Figure>,
    offer: Vec<Figure>,
    by_service: Vec<(String, String)>,
    by_programme: Vec<(String, String)>,
    access: Vec<AccessRow>,
    within_km: String,
    within_minutes: String,
    subterritories: Vec<TerritoryRow>,
    sub_label: &'static str,
    comparison: Vec<TerritoryRow>,
    communes: Vec<CommuneView>,
    communes_total: usize,
    uncovered: Vec<String>,
    sources: Vec<String>,
    ifn_epci: Option<String>,
    road_note: Option<String>,
}

const COMMUNES_SHOWN: usize = 50;

fn report(p: &Portrait, params: &Params, geo: &Geography, road_note: Option<String>) -> Report {
    let s = &p.summary;
    let n = &s.needs;
    let service_label = p
        .settings
        .service
        .clone()
        .unwrap_or_else(|| "tous services".into());
    let query_service = p.settings.service.clone().unwrap_or_default();
    let needs = vec![
        figure("Population (légale)", fr_number(n.population)),
        figure(
            "Personnes en fragilité socio-numérique (PORTREA : 65 ans et plus + sans diplôme)",
            count(&n.fragility),
        ),
        figure(
            "Taux de fragilité",
            if n.fragility.value.is_none() {
                NOT_LOADED.into()
            } else {
                percent(n.fragility_rate)
            },
        ),
        figure(
            "Fragilité sans double compte (estimation)",
            count(&n.fragility_deduplicated),
        ),
        figure("65 ans et plus", count(&n.pop_65_plus)),
        figure(
            "Sans diplôme ou CEP (15 ans et plus non scolarisés)",
            count(&n.no_diploma),
        ),
        figure(
            "Démarches complexes chaque mois (minima sociaux + demandeurs d’emploi)",
            count(&n.complex_procedures),
        ),
        figure(
            "Allocataires de minima sociaux (CAF)",
            count(&n.minima_sociaux),
        ),
        figure(
            "Demandeurs d’emploi (France Travail, catégories A, B, C)",
            count(&n.job_seekers),
        ),
        figure(
            "Chômeurs de 15 à 64 ans (recensement 2021)",
            count(&n.census_unemployed_15_64),
        ),
        figure(
            "Taux de chômage 15–64 ans (recensement 2021)",
            percent(n.census_unemployment_rate),
        ),
        figure(
            "Indice de fragilité numérique (score 0–10, moyenne pondérée par la population)",
            opt(n.ifn_score, 1),
        ),
    ];
    let mut offer = vec![
        figure("Lieux d’aide", fr_number(s.offer.places as i64)),
        figure(
            "dont itinérants (comptés à leur adresse)",
            fr_number(s.offer.itinerant as i64),
        ),
        figure(
            "Lieux offrant le service choisi",
            fr_number(s.places_for_service as i64),
        ),
        figure(
            "Lieux pour 10 000 habitants (service choisi)",
            opt(s.places_per_10000_inhabitants, 1),
        ),
        figure(
            "Heures d’ouverture par semaine (lieux aux horaires connus)",
            format!(
                "{} h ({} lieux sur {})",
                decimal(s.offer.hours_per_week, 0),
                s.offer.places_with_hours,
                s.offer.places
            ),
        ),
        figure(
            "Heures par semaine pour 10 000 habitants",
            opt(s.hours_per_week_per_10000_inhabitants, 0),
        ),
        figure(
            "Heures par semaine pour 10 000 personnes en fragilité",
            s.hours_per_week_per_10000_in_need
                .map(|v| decimal(v, 0))
                .unwrap_or_else(|| NOT_LOADED.into()),
        ),
    ];
    match &s.activity {
        None => offer.push(figure(
            "Accompagnements enregistrés (Activités)",
            "aucun enregistré".into(),
        )),
        Some(a) => {
            let month = |m: &str| {
                let (y, mm) = m.split_once('-').unwrap_or((m, ""));
                format!("{mm}/{y}")
            };
            offer.push(figure(
                "Accompagnements enregistrés (Activités, sur un an)",
                format!(
                    "{} ({} personnes), de {} à {}",
                    fr_number(a.records),
                    fr_number(a.people),
                    month(&a.period.0),
                    month(&a.period.1)
                ),
            ));
            offer.push(figure(
                "Accompagnements pour 1 000 habitants",
                opt(a.per_1000_inhabitants, 1),
            ));
            offer.push(figure(
                "Accompagnements pour 1 000 personnes en fragilité",
                a.per_1000_in_need
                    .map(|v| decimal(v, 1))
                    .unwrap_or_else(|| NOT_LOADED.into()),
            ));
        }
    }
    let t = &p.settings.thresholds;
    let access = p
        .coverage_by_service
        .iter()
        .map(|c| AccessRow {
            service: c.service.clone().unwrap_or_else(|| "Tous services".into()),
            in_commune: percent(c.share_population_in_commune),
            in_need: c
                .share_in_need_in_commune
                .map(|v| percent(Some(v)))
                .unwrap_or_else(|| NOT_LOADED.into()),
            mean_km: km(c.mean_distance_km),
            within_km: percent(c.share_within_km),
            within_minutes: percent(c.share_within_minutes_estimated),
            within_minutes_road: percent(c.share_within_minutes_road),
            uncovered: fr_number(c.uncovered_communes as i64),
        })
        .collect();
    let communes = p
        .communes
        .iter()
        .take(COMMUNES_SHOWN)
        .map(|r| CommuneView {
            rank: r.rank.map(|k| k.to_string()).unwrap_or_default(),
            code: r.code.clone(),
            nom: r.nom.clone(),
            population: fr_number(r.population),
            fragility: r
                .fragility
                .map(|v| fr_number(v.round() as i64))
                .unwrap_or_else(|| NOT_LOADED.into()),
            complex: r
                .complex_procedures
                .map(|v| fr_number(v.round() as i64))
                .unwrap_or_else(|| NOT_LOADED.into()),
            ifn: opt(r.ifn_score, 1),
            places: r.places.to_string(),
            nearest: km(r.nearest_km),
            minutes: minutes(r.road_minutes_estimated),
            road_minutes: minutes(r.road_minutes),
            uncovered: r.uncovered,
            priority: opt(r.priority.map(|v| v * 100.0), 0),
        })
        .collect();
    let mut uncovered: Vec<String> = p
        .communes
        .iter()
        .filter(|r| r.uncovered)
        .map(|r| format!("{} ({})", r.nom, r.code))
        .collect();
    uncovered.sort();
    let count_by = |map: &std::collections::BTreeMap<String, usize>| {
        map.iter()
            .map(|(k, v)| (k.clone(), fr_number(*v as i64)))
            .collect()
    };
    let w = &p.settings.weights;
    Report {
        weights: format!(
            "fragilité {}, démarches complexes {}, indice de fragilité numérique {}, distance {}, manque de lieux {}",
            decimal(w.fragility, 1),
            decimal(w.complex_procedures, 1),
            decimal(w.digital_fragility_index, 1),
            decimal(w.distance, 1),
            decimal(w.offer_gap, 1)
        ),
        road_note,
        label: p.label.clone(),
        service: service_label,
        query: params.query(geo),
        needs,
        offer,
        by_service: count_by(&s.offer.by_service),
        by_programme: count_by(&s.offer.by_programme),
        access,
        within_km: decimal(t.within_km, 0),
        within_minutes: decimal(t.within_minutes, 0),
        sub_label: match p.level {
            "reg" => "Départements",
            "dep" => "Intercommunalités (EPCI)",
            _ => "Communes",
        },
        subterritories: p.subterritories.iter().map(|s| territory_row(s, &query_service)).collect(),
        comparison: std::iter::once(&p.summary)
            .chain(&p.comparison)
            .map(|s| territory_row(s, &query_service))
            .collect(),
        communes,
        communes_total: p.communes.len(),
        uncovered,
        sources: p
            .sources
            .iter()
            .map(|s| {
                format!(
                    "{} : {}{}",
                    s.indicator,
                    s.file,
                    s.vintage.as_deref().map(|v| format!(", millésime {v}")).unwrap_or_default()
                )
            })
            .collect(),
        ifn_epci: p.ifn_epci.map(|s| {
            format!(
                "score total {} — non-couverture THD {}, 4G {}, pauvreté {}, 65 ans et plus {}, sans diplôme {}",
                decimal(s.total, 1),
                decimal(s.no_thd_coverage, 1),
                decimal(s.no_4g_coverage, 1),
                decimal(s.poverty, 1),
                decimal(s.older_65, 1),
                decimal(s.no_diploma, 1)
            )
        }),
    }
}

/// The territories to choose from: régions, départements, EPCI.
fn groups(geo: &Geography, selected: &str) -> Vec<Group> {
    let choice = |value: String, label: String| Choice {
        selected: value == selected,
        value,
        label,
    };
    let mut regions: Vec<&String> = geo.communes.iter().map(|c| &c.region).collect();
    regions.sort();
    regions.dedup();
    let mut deps: Vec<&String> = geo.communes.iter().map(|c| &c.departement).collect();
    deps.sort();
    deps.dedup();
    let mut epcis: Vec<(String, String)> = geo
        .communes
        .iter()
        .filter_map(|c| c.epci.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|e| {
            let label = geo.label(&Territory::Epci(e.clone()));
            (label, e)
        })
        .collect();
    epcis.sort();
    vec![
        Group {
            label: "Régions",
            options: regions
                .into_iter()
                .map(|r| choice(format!("reg:{r}"), geo.label(&Territory::Region(r.clone()))))
                .collect(),
        },
        Group {
            label: "Départements",
            options: deps
                .into_iter()
                .map(|d| {
                    choice(
                        format!("dep:{d}"),
                        format!("{} ({d})", geo.label(&Territory::Departement(d.clone()))),
                    )
                })
                .collect(),
        },
        Group {
            label: "Intercommunalités (EPCI)",
            options: epcis
                .into_iter()
                .map(|(label, e)| choice(format!("epci:{e}"), label))
                .collect(),
        },
    ]
}

const INDICATORS: [(&str, &str); 5] = [
    ("priorite", "Priorité"),
    ("distance", "Distance au lieu le plus proche"),
    ("ifn", "Indice de fragilité numérique"),
    ("fragilite", "Taux de fragilité (PORTREA)"),
    ("chomage", "Chômeurs 15–64 ans pour 100 habitants"),
];

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<Params>,
) -> Response {
    let loaded = match load(&state).await {
        Ok(l) => l,
        Err(e) => return storage_failure(e),
    };
    let (report, error) = match portrait(&state, &loaded, &params).await {
        Ok((p, road_note)) => (Some(report(&p, &params, &loaded.geo, road_note)), None),
        Err(e) => (None, Some(e)),
    };
    let service = params.service().unwrap_or_default();
    let indicator = params
        .indicateur
        .clone()
        .unwrap_or_else(|| "priorite".into());
    render(&DiagnosticPage {
        chrome: Chrome::new("/diagnostic", &viewer),
        crumbs: crumbs(&[], "Diagnostic"),
        error,
        groups: groups(&loaded.geo, &params.territory_text(&loaded.geo)),
        commune: params.commune.clone().unwrap_or_default(),
        services: std::iter::once(("", "Tous services"))
            .chain(vocab::SERVICES.iter().map(|s| (*s, *s)))
            .map(|(v, l)| Choice {
                value: v.into(),
                label: l.into(),
                selected: v == service,
            })
            .collect(),
        indicators: INDICATORS
            .iter()
            .map(|(v, l)| Choice {
                value: (*v).into(),
                label: (*l).into(),
                selected: *v == indicator,
            })
            .collect(),
        report,
        tiles: state.config.tile_url.clone().unwrap_or_default(),
        weights: params.poids.clone().unwrap_or_default(),
    })
}

/// An export of the portrait (`diagnostic-<territory>-<suffix>`), or 400
/// with the reason.
async fn export_with(
    state: &AppState,
    params: &Params,
    content_type: &'static str,
    suffix: &str,
    body: impl FnOnce(&Portrait, &Loaded) -> Vec<u8>,
) -> Response {
    let loaded = match load(state).await {
        Ok(l) => l,
        Err(e) => return storage_failure(e),
    };
    match portrait(state, &loaded, params).await {
        Ok((p, _)) => {
            let name = format!(
                "diagnostic-{}-{suffix}",
                p.territory.replace([':', ','], "-")
            );
            (
                [
                    (header::CONTENT_TYPE, content_type.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                body(&p, &loaded),
            )
                .into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

/// The portrait of a territory as JSON: needs, offer, access per service,
/// sub-territories, comparison, priorities (the same object as
/// `passerelle diagnostic --format json`; fields in `docs/diagnostic.md`).
#[utoipa::path(get, path = "/api/v1/diagnostic", tag = "diagnostic",
    params(
        ("territoire" = Option<String>, Query, description = "commune:<INSEE>, epci:<SIREN>, dep:<code>, reg:<code> or communes:<INSEE>,<INSEE>…; default the région"),
        ("commune" = Option<String>, Query, description = "An INSEE commune code (wins over territoire)"),
        ("service" = Option<String>, Query, description = "A service of the national standard: access is computed for it"),
        ("poids" = Option<String>, Query, description = "Priority weights, e.g. fragilite=2,offre=1")
    ),
    responses((status = 200, description = "The portrait", body = Object), (status = 400, body = crate::error::ErrorBody)))]
pub(crate) async fn api_portrait(
    State(state): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Response, crate::error::ApiError> {
    let loaded = load(&state).await?;
    match portrait(&state, &loaded, &params).await {
        Ok((p, _)) => Ok(axum::Json(p).into_response()),
        Err(e) => Err(crate::error::ApiError::bad_request(e)),
    }
}

const CSV: &str = "text/csv; charset=utf-8";
const GEOJSON: &str = "application/geo+json";

async fn communes_csv(State(state): State<AppState>, Query(params): Query<Params>) -> Response {
    export_with(&state, &params, CSV, "communes.csv", |p, _| {
        export::communes_csv(p)
    })
    .await
}

async fn territories_csv(State(state): State<AppState>, Query(params): Query<Params>) -> Response {
    export_with(&state, &params, CSV, "territoires.csv", |p, _| {
        export::territories_csv(p)
    })
    .await
}

async fn access_csv(State(state): State<AppState>, Query(params): Query<Params>) -> Response {
    export_with(&state, &params, CSV, "acces.csv", |p, _| {
        export::access_csv(p)
    })
    .await
}

async fn workbook(State(state): State<AppState>, Query(params): Query<Params>) -> Response {
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    export_with(&state, &params, XLSX, "rapport.xlsx", |p, _| {
        export::xlsx(p).unwrap_or_else(|e| {
            tracing::error!("xlsx export: {e}");
            Vec::new()
        })
    })
    .await
}

async fn communes_geojson(State(state): State<AppState>, Query(params): Query<Params>) -> Response {
    export_with(&state, &params, GEOJSON, "communes.geojson", |p, _| {
        export::communes_geojson(p).to_string().into_bytes()
    })
    .await
}

/// The places of the territory offering the service, for the map.
async fn places_geojson(State(state): State<AppState>, Query(params): Query<Params>) -> Response {
    export_with(&state, &params, GEOJSON, "lieux.geojson", |p, loaded| {
        let codes: std::collections::HashSet<&str> =
            p.communes.iter().map(|r| r.code.as_str()).collect();
        let features: Vec<serde_json::Value> = loaded
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_written_the_french_way() {
        assert_eq!(percent(Some(0.1234)), "12,3 %");
        assert_eq!(percent(None), "—");
        assert_eq!(km(Some(4.56)), "4,6 km");
        let t = Total {
            value: None,
            communes_with_data: 0,
            communes: 3,
        };
        assert_eq!(count(&t), NOT_LOADED);
        let t = Total {
            value: Some(1234.4),
            communes_with_data: 2,
            communes: 3,
        };
        assert_eq!(count(&t), "1\u{202f}234 (partiel : 2 communes sur 3)");
    }
}
