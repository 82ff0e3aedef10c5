//! PORTREA's "comparateur": two to four territories of any level side by
//! side on every indicator, chosen by name, exportable as CSV and XLSX.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use passerelle_diagnostic::geo::Territory;
use passerelle_diagnostic::needs::Total;
use passerelle_diagnostic::portrait::{Analysis, Settings, Summary, check_service};
use passerelle_diagnostic::unmet::per_commune;
use serde::Deserialize;

use super::view::{self, Choice, Group, count, decimal, km, opt, percent, small_cell};
use super::{Loaded, Problem, commune_by_name, default_territory, load};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::export::{Table, csv as csv_download, xlsx as xlsx_download};
use crate::pages::{Chrome, Crumb, crumbs, fr_number, render};

const SLOTS: usize = 4;

/// One indicator compared: its export column, its label, how the page
/// writes it and its raw value for exports.
struct Indicator {
    code: &'static str,
    label: &'static str,
    shown: fn(&Summary) -> String,
    raw: fn(&Summary) -> Option<f64>,
}

fn complete(t: &Total) -> Option<f64> {
    t.complete_value()
}

const INDICATORS: &[Indicator] = &[
    Indicator {
        code: "population",
        label: "Population légale",
        shown: |s| fr_number(s.needs.population),
        raw: |s| Some(s.needs.population as f64),
    },
    Indicator {
        code: "communes",
        label: "Communes",
        shown: |s| fr_number(s.communes as i64),
        raw: |s| Some(s.communes as f64),
    },
    Indicator {
        code: "score_fragilite_portrea",
        label: "Personnes en fragilité socio-numérique (score PORTREA)",
        shown: |s| count(&s.needs.fragility),
        raw: |s| complete(&s.needs.fragility),
    },
    Indicator {
        code: "taux_fragilite",
        label: "Part de la population en fragilité",
        shown: |s| percent(s.needs.fragility_rate),
        raw: |s| s.needs.fragility_rate,
    },
    Indicator {
        code: "fragilite_somme_simple",
        label: "Variante du séminaire : 65 ans et plus + sans diplôme",
        shown: |s| count(&s.needs.fragility_plain_sum),
        raw: |s| complete(&s.needs.fragility_plain_sum),
    },
    Indicator {
        code: "pop_65_plus",
        label: "Personnes de 65 ans et plus",
        shown: |s| count(&s.needs.pop_65_plus),
        raw: |s| complete(&s.needs.pop_65_plus),
    },
    Indicator {
        code: "sans_diplome",
        label: "Sans diplôme ou avec le certificat d’études",
        shown: |s| count(&s.needs.no_diploma),
        raw: |s| complete(&s.needs.no_diploma),
    },
    Indicator {
        code: "score_exposition_portrea",
        label: "Personnes exposées aux démarches en ligne (score PORTREA)",
        shown: |s| count(&s.needs.exposure),
        raw: |s| complete(&s.needs.exposure),
    },
    Indicator {
        code: "taux_exposition",
        label: "Part de la population exposée",
        shown: |s| percent(s.needs.exposure_rate),
        raw: |s| s.needs.exposure_rate,
    },
    Indicator {
        code: "allocataires_caf",
        label: "Allocataires CAF de l’AAH, de la prime d’activité ou du RSA socle",
        shown: |s| count(&s.needs.caf_minima),
        raw: |s| complete(&s.needs.caf_minima),
    },
    Indicator {
        code: "demandeurs_emploi_abcde",
        label: "Demandeurs d’emploi, catégories A à E",
        shown: |s| count(&s.needs.job_seekers_abcde),
        raw: |s| complete(&s.needs.job_seekers_abcde),
    },
    Indicator {
        code: "taux_chomage_recensement",
        label: "Taux de chômage des 15 à 64 ans (recensement)",
        shown: |s| percent(s.needs.census_unemployment_rate),
        raw: |s| s.needs.census_unemployment_rate,
    },
    Indicator {
        code: "score_ifn",
        label: "Indice de fragilité numérique (0 à 10)",
        shown: |s| opt(s.needs.ifn_score, 1),
        raw: |s| s.needs.ifn_score,
    },
    Indicator {
        code: "lieux_service",
        label: "Lieux offrant le service",
        shown: |s| fr_number(s.places_for_service as i64),
        raw: |s| Some(s.places_for_service as f64),
    },
    Indicator {
        code: "lieux_pour_10000_hab",
        label: "Lieux pour 10 000 habitants",
        shown: |s| opt(s.places_per_10000_inhabitants, 1),
        raw: |s| s.places_per_10000_inhabitants,
    },
    Indicator {
        code: "heures_semaine",
        label: "Heures d’ouverture par semaine",
        shown: |s| format!("{} h", decimal(s.offer.hours_per_week, 0)),
        raw: |s| Some(s.offer.hours_per_week),
    },
    Indicator {
        code: "heures_pour_10000_hab",
        label: "Heures par semaine pour 10 000 habitants",
        shown: |s| opt(s.hours_per_week_per_10000_inhabitants, 0),
        raw: |s| s.hours_per_week_per_10000_inhabitants,
    },
    Indicator {
        code: "heures_pour_10000_fragiles",
        label: "Heures par semaine pour 10 000 personnes en fragilité",
        shown: |s| {
            s.hours_per_week_per_10000_in_need
                .map(|v| decimal(v, 0))
                .unwrap_or_else(|| view::NOT_LOADED.into())
        },
        raw: |s| s.hours_per_week_per_10000_in_need,
    },
    Indicator {
        code: "part_lieu_dans_la_commune",
        label: "Population avec un lieu dans sa commune",
        shown: |s| percent(s.coverage.share_population_in_commune),
        raw: |s| s.coverage.share_population_in_commune,
    },
    Indicator {
        code: "distance_moyenne_km",
        label: "Distance moyenne au lieu le plus proche",
        shown: |s| km(s.coverage.mean_distance_km),
        raw: |s| s.coverage.mean_distance_km,
    },
    Indicator {
        code: "part_a_moins_de_10_km",
        label: "Population à moins de 10 km d’un lieu",
        shown: |s| percent(s.coverage.share_within_km),
        raw: |s| s.coverage.share_within_km,
    },
    Indicator {
        code: "part_a_moins_de_7_min",
        label: "Population à moins de 7 minutes en voiture (estimation)",
        shown: |s| percent(s.coverage.share_within_minutes_estimated),
        raw: |s| s.coverage.share_within_minutes_estimated,
    },
    Indicator {
        code: "communes_non_couvertes",
        label: "Communes sans lieu à moins de 10 km",
        shown: |s| fr_number(s.coverage.uncovered_communes as i64),
        raw: |s| Some(s.coverage.uncovered_communes as f64),
    },
    Indicator {
        code: "accompagnements_pour_1000_hab",
        label: "Accompagnements enregistrés pour 1 000 habitants (un an)",
        shown: |s| opt(s.activity.as_ref().and_then(|a| a.per_1000_inhabitants), 1),
        raw: |s| s.activity.as_ref().and_then(|a| a.per_1000_inhabitants),
    },
    Indicator {
        code: "recherches_sans_resultat",
        label: "Recherches de lieux sans résultat à proximité (un an)",
        shown: |s| {
            s.searches
                .map(|x| small_cell(x.without_result))
                .unwrap_or_default()
        },
        raw: |_| None,
    },
];

/// The chosen territories, as typed.
struct Slot {
    n: usize,
    groups: Vec<Group>,
    commune: String,
    error: Option<String>,
}

struct Row {
    label: &'static str,
    values: Vec<String>,
}

#[derive(Template)]
#[template(path = "diagnostic_comparer.html")]
struct ComparePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    slots: Vec<Slot>,
    services: Vec<Choice>,
    error: Option<String>,
    names: Vec<String>,
    rows: Vec<Row>,
    query: String,
}

/// The comparateur's query: `t1…t4` (territories from the list), `c1…c4`
/// (commune names, winning over the list), `service`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CompareParams {
    t1: Option<String>,
    t2: Option<String>,
    t3: Option<String>,
    t4: Option<String>,
    c1: Option<String>,
    c2: Option<String>,
    c3: Option<String>,
    c4: Option<String>,
    service: Option<String>,
}

fn filled(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl CompareParams {
    /// The territory of slot `n` (from 1), as chosen in the list.
    fn territory(&self, n: usize) -> Option<&str> {
        filled([&self.t1, &self.t2, &self.t3, &self.t4][n - 1])
    }

    /// The commune typed in slot `n` (from 1).
    fn commune(&self, n: usize) -> Option<&str> {
        filled([&self.c1, &self.c2, &self.c3, &self.c4][n - 1])
    }

    fn service(&self) -> Option<String> {
        filled(&self.service).map(str::to_string)
    }

    /// Whether anything was asked (the first visit asks nothing).
    fn asked(&self) -> bool {
        (1..=SLOTS).any(|n| self.territory(n).is_some() || self.commune(n).is_some())
            || self.service.is_some()
    }
}

/// The territories asked for (one per filled slot), or the errors per slot.
async fn chosen(
    state: &AppState,
    loaded: &Loaded,
    params: &CompareParams,
    viewer: &Viewer,
) -> (Vec<Option<Territory>>, Vec<Option<String>>) {
    let mut out = vec![None; SLOTS];
    let mut errors = vec![None; SLOTS];
    let nothing = (1..=SLOTS).all(|n| params.territory(n).is_none() && params.commune(n).is_none());
    if nothing {
        // By default: the départements of the instance's région, or the
        // territory and what it belongs to.
        if let Some(t) = default_territory(loaded, viewer) {
            let mut list: Vec<Territory> = match &t {
                Territory::Region(r) => {
                    let mut deps: Vec<String> = loaded
                        .geo
                        .communes
                        .iter()
                        .filter(|c| &c.region == r)
                        .map(|c| c.departement.clone())
                        .collect();
                    deps.sort();
                    deps.dedup();
                    deps.into_iter().map(Territory::Departement).collect()
                }
                other => vec![other.clone()],
            };
            list.truncate(SLOTS);
            for (i, t) in list.into_iter().enumerate() {
                out[i] = Some(t);
            }
        }
        return (out, errors);
    }
    for n in 1..=SLOTS {
        if let Some(name) = params.commune(n) {
            match commune_by_name(state, &loaded.geo, name).await {
                Ok(code) => out[n - 1] = Some(Territory::Commune(code)),
                Err(Problem { message, .. }) => errors[n - 1] = Some(message),
            }
        } else if let Some(key) = params.territory(n) {
            match key.parse::<Territory>() {
                Ok(t) if loaded.geo.resolve(&t).is_ok() => out[n - 1] = Some(t),
                _ => {
                    errors[n - 1] = Some(
                        "Ce territoire n’est pas dans le référentiel chargé : choisissez-le dans la liste."
                            .into(),
                    )
                }
            }
        }
    }
    (out, errors)
}

/// The summaries of the territories, in order.
fn summaries(
    loaded: &Loaded,
    territories: &[Territory],
    service: Option<String>,
) -> Result<Vec<Summary>, String> {
    check_service(service.as_deref())
        .map_err(|_| "Ce service ne fait pas partie du standard national.".to_string())?;
    let geo = loaded
        .geo
        .around_all(territories)
        .map_err(|_| "Un des territoires n’a aucune commune chargée.".to_string())?;
    let mut analysis = Analysis::new(&geo, &loaded.indicators, loaded.places.clone());
    if let Some((period, counts)) = &loaded.activity {
        analysis.set_activity(period.clone(), counts);
    }
    let (counts, period) = &loaded.searches;
    analysis.set_searches(period.clone(), &per_commune(counts, service.as_deref()));
    let settings = Settings {
        service,
        ..Settings::default()
    };
    territories
        .iter()
        .map(|t| {
            let communes = geo
                .resolve(t)
                .map_err(|_| "Un des territoires n’a aucune commune chargée.".to_string())?;
            Ok(analysis.summary(t.to_string(), geo.label(t), &communes, &settings))
        })
        .collect()
}

struct Outcome {
    slots: Vec<Slot>,
    error: Option<String>,
    summaries: Vec<Summary>,
    service: Option<String>,
    query: String,
}

async fn outcome(
    state: &AppState,
    loaded: &Loaded,
    params: &CompareParams,
    viewer: &Viewer,
) -> Outcome {
    let service = params.service();
    let (territories, errors) = chosen(state, loaded, params, viewer).await;
    let slots: Vec<Slot> = (0..SLOTS)
        .map(|i| {
            let selected = match (&territories[i], params.commune(i + 1)) {
                (_, Some(_)) | (None, _) => String::new(),
                (Some(t), None) => t.to_string(),
            };
            Slot {
                n: i + 1,
                groups: view::groups(&loaded.geo, &selected),
                commune: params.commune(i + 1).unwrap_or("").to_string(),
                error: errors[i].clone(),
            }
        })
        .collect();
    let list: Vec<Territory> = territories.into_iter().flatten().collect();
    let query = query_of(&list, service.as_deref());
    let compared = if errors.iter().any(Option::is_some) {
        Err("Un des territoires n’a pas été reconnu : voir le champ signalé.".to_string())
    } else if list.len() < 2 {
        Err("Choisissez au moins deux territoires à comparer.".to_string())
    } else {
        summaries(loaded, &list, service.clone())
    };
    let (summaries, error) = match compared {
        Ok(summaries) => (summaries, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    Outcome {
        slots,
        error,
        summaries,
        service,
        query,
    }
}

/// The page's query for these territories (`t1`, `t2`…) and service.
fn query_of(list: &[Territory], service: Option<&str>) -> String {
    let mut query: Vec<(String, String)> = list
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("t{}", i + 1), t.to_string()))
        .collect();
    if let Some(s) = service {
        query.push(("service".into(), s.to_string()));
    }
    serde_urlencoded::to_string(query).unwrap_or_default()
}

pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<CompareParams>,
) -> PageResult {
    let loaded = load(&state).await?;
    let o = outcome(&state, &loaded, &params, &viewer).await;
    let service = o.service.clone().unwrap_or_default();
    let status = if o.error.is_some() && params.asked() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let rows = INDICATORS
        .iter()
        .map(|i| Row {
            label: i.label,
            values: o.summaries.iter().map(|s| (i.shown)(s)).collect(),
        })
        .collect();
    let page = ComparePage {
        chrome: Chrome::new("/diagnostic", &viewer),
        crumbs: crumbs(&[("Diagnostic", "/diagnostic")], "Comparer des territoires"),
        slots: o.slots,
        services: view::service_choices(&service),
        error: o.error,
        names: o.summaries.iter().map(|s| s.label.clone()).collect(),
        rows,
        query: o.query,
    };
    Ok((status, render(&page)).into_response())
}

/// The comparison as a table: one row per territory, one column per
/// indicator.
async fn table(
    state: &AppState,
    viewer: &Viewer,
    params: &CompareParams,
) -> Result<Table, PageError> {
    let loaded = load(state).await?;
    let o = outcome(state, &loaded, params, viewer).await;
    if let Some(e) = o.error {
        return Err(PageError::refused(
            StatusCode::BAD_REQUEST,
            e,
            "/diagnostic/comparer",
        ));
    }
    let mut headers = vec!["territoire", "nom"];
    headers.extend(INDICATORS.iter().map(|i| i.code));
    let rows = o
        .summaries
        .iter()
        .map(|s| {
            let mut row = vec![s.key.clone(), s.label.clone()];
            row.extend(INDICATORS.iter().map(|i| {
                match i.code {
                    "recherches_sans_resultat" => s
                        .searches
                        .map(|x| passerelle_diagnostic::export::small_cell(x.without_result))
                        .unwrap_or_default(),
                    _ => (i.raw)(s)
                        .map(|v| ((v * 10_000.0).round() / 10_000.0 + 0.0).to_string())
                        .unwrap_or_default(),
                }
            }));
            row
        })
        .collect();
    Ok(Table {
        title: "Comparaison".into(),
        headers,
        rows,
    })
}

pub(crate) async fn csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<CompareParams>,
) -> PageResult {
    let t = table(&state, &viewer, &params).await?;
    Ok(csv_download("diagnostic-comparaison.csv", &[t]))
}

pub(crate) async fn xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<CompareParams>,
) -> PageResult {
    let t = table(&state, &viewer, &params).await?;
    let about: Vec<(&str, String)> = INDICATORS
        .iter()
        .map(|i| (i.code, i.label.to_string()))
        .collect();
    Ok(xlsx_download(
        "diagnostic-comparaison.xlsx",
        "Diagnostic : comparaison de territoires",
        &about,
        &[t],
    ))
}
