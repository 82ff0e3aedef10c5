//! The portrait of a territory: needs against offer, access, uncovered
//! communes, priorities, its sub-territories side by side, and its
//! département and région for comparison.
//!
//! `Analysis` computes once, for every commune of the geography and every
//! service, the nearest place; any number of portraits then read it.

use std::collections::{BTreeMap, HashMap};

use passerelle_places::vocab;
use serde::Serialize;

use crate::access::{Coverage, NearestTable, Thresholds};
use crate::geo::{Geography, Territory, TerritoryError};
use crate::needs::{CommuneNeeds, Field, Figure, IfnScores, Indicators, SourceNote, Total};
use crate::offer::{OfferPlace, OfferSummary};

/// Weights of the priority score (see `docs/diagnostic.md`). A weight of 0
/// leaves a component out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PriorityWeights {
    /// Share of the population in socio-digital fragility (PORTREA score).
    pub fragility: f64,
    /// Share exposed to digital requirements (PORTREA score: minima
    /// sociaux and job seekers, who must do procedures online every month).
    pub exposure: f64,
    /// Indice de Fragilité Numérique score.
    pub digital_fragility_index: f64,
    /// Distance to the nearest place offering the service.
    pub distance: f64,
    /// Few places for the population (places per 10,000 inhabitants).
    pub offer_gap: f64,
}

impl Default for PriorityWeights {
    fn default() -> Self {
        Self {
            fragility: 1.0,
            exposure: 1.0,
            digital_fragility_index: 1.0,
            distance: 1.0,
            offer_gap: 1.0,
        }
    }
}

impl std::str::FromStr for PriorityWeights {
    type Err = String;

    /// `fragilite=2,exposition=1,ifn=1,distance=1,offre=1` (`demarches`,
    /// the earlier name of `exposition`, is read too): a component left
    /// out keeps weight 1, 0 leaves it out.
    fn from_str(text: &str) -> Result<Self, String> {
        let mut w = PriorityWeights::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("poids : « {part} » n’est pas de la forme nom=valeur"))?;
            let value: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("poids : « {value} » n’est pas un poids (un nombre ≥ 0)"))?;
            match name.trim() {
                "fragilite" => w.fragility = value,
                "exposition" | "demarches" => w.exposure = value,
                "ifn" => w.digital_fragility_index = value,
                "distance" => w.distance = value,
                "offre" => w.offer_gap = value,
                other => {
                    return Err(format!(
                        "poids : composante inconnue « {other} » (fragilite, exposition, ifn, distance, offre)"
                    ));
                }
            }
        }
        Ok(w)
    }
}

/// What a portrait is computed with.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Settings {
    /// A service of the standard; `None`: any service.
    pub service: Option<String>,
    pub thresholds: Thresholds,
    pub weights: PriorityWeights,
}

/// Why a portrait cannot be made.
#[derive(Debug, Clone, PartialEq)]
pub enum DiagnosticError {
    Territory(TerritoryError),
    UnknownService(String),
}

impl std::fmt::Display for DiagnosticError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiagnosticError::Territory(e) => write!(f, "{e}"),
            DiagnosticError::UnknownService(s) => write!(
                f,
                "« {s} » n’est pas un service du standard ; services : {}",
                vocab::SERVICES.join(", ")
            ),
        }
    }
}

impl std::error::Error for DiagnosticError {}

impl From<TerritoryError> for DiagnosticError {
    fn from(e: TerritoryError) -> Self {
        DiagnosticError::Territory(e)
    }
}

/// Needs of a set of communes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedsSummary {
    /// Legal population (sum of the communes').
    pub population: i64,
    /// Census population of the loaded census files (or of the bundled
    /// 2021 census).
    pub census_population: Total,
    /// What rates divide by: the census population when every commune has
    /// it, else the legal population.
    pub rate_population: f64,
    pub pop_65_plus: Total,
    pub pop_15_plus: Total,
    pub out_of_school_15_plus: Total,
    pub no_diploma: Total,
    /// PORTREA's score of socio-digital fragility (sum of the communes').
    pub fragility: Total,
    pub fragility_rate: Option<f64>,
    /// The seed's plain sum: 65+ plus no diploma.
    pub fragility_plain_sum: Total,
    pub fragility_plain_sum_rate: Option<f64>,
    pub caf_aah: Total,
    pub caf_prime_activite: Total,
    pub caf_rsa_socle: Total,
    /// AAH + prime d'activité + RSA socle.
    pub caf_minima: Total,
    pub job_seekers_abcde: Total,
    pub job_seekers_abc: Total,
    /// PORTREA's score of exposure to digital requirements.
    pub exposure: Total,
    pub exposure_rate: Option<f64>,
    pub census_unemployed_15_64: Total,
    pub census_active_15_64: Total,
    /// Census unemployed / active, 15–64.
    pub census_unemployment_rate: Option<f64>,
    /// Population-weighted mean of the communes' IFN total scores (0–10).
    pub ifn_score: Option<f64>,
}

/// One territory (or part of one) summed up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub key: String,
    pub label: String,
    pub communes: usize,
    pub needs: NeedsSummary,
    pub offer: OfferSummary,
    /// Places offering the chosen service (any: all places).
    pub places_for_service: usize,
    pub places_per_10000_inhabitants: Option<f64>,
    pub hours_per_week_per_10000_inhabitants: Option<f64>,
    /// Opening hours per week per 10,000 people in fragility, when the
    /// fragility is loaded for every commune.
    pub hours_per_week_per_10000_in_need: Option<f64>,
    /// Access to the chosen service.
    pub coverage: Coverage,
    /// Accompaniments recorded in Activités, when any were.
    pub activity: Option<ActivitySummary>,
    /// Searches of the public finder near its communes, when counted.
    pub searches: Option<Searches>,
    /// Priority score among the territories it is listed with (0–1).
    pub priority: Option<f64>,
}

/// Accompaniments recorded by the mediators (Activités) in one commune over
/// the period of the analysis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Activity records: one per accompaniment (individual, collective or
    /// administrative procedure).
    pub records: i64,
    /// People accompanied (a collective workshop counts its participants).
    pub people: i64,
}

/// Accompaniments of a territory over the period of the analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivitySummary {
    /// Months covered, `YYYY-MM` to `YYYY-MM`.
    pub period: (String, String),
    pub records: i64,
    pub people: i64,
    pub per_1000_inhabitants: Option<f64>,
    /// Per 1,000 people in socio-digital fragility, when loaded for every
    /// commune.
    pub per_1000_in_need: Option<f64>,
}

/// One commune of a portrait.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneRow {
    pub code: String,
    pub nom: String,
    pub departement: String,
    pub epci: Option<String>,
    pub population: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// PORTREA's fragility score and its rate.
    pub fragility: Option<Figure>,
    pub fragility_rate: Option<f64>,
    /// The seed's plain sum (65+ plus no diploma).
    pub fragility_plain_sum: Option<Figure>,
    pub caf_minima: Option<Figure>,
    pub job_seekers_abcde: Option<Figure>,
    /// PORTREA's exposure score and its rate.
    pub exposure: Option<Figure>,
    pub exposure_rate: Option<f64>,
    pub census_unemployed_15_64: Option<f64>,
    pub ifn_score: Option<f64>,
    /// Places offering the chosen service in the commune.
    pub places: u32,
    pub hours_per_week: f64,
    pub nearest_km: Option<f64>,
    pub road_minutes_estimated: Option<f64>,
    /// Real road time to the nearest place by road, when a routing server
    /// gave it.
    pub road_minutes: Option<f64>,
    /// No place offering the service within `within_km`.
    pub uncovered: bool,
    /// Searches of the public finder near this commune for the service,
    /// over the period of the analysis, when they are counted.
    pub searches: Option<Searches>,
    /// IRIS with figures (communes split into IRIS).
    pub iris: usize,
    pub priority: Option<f64>,
    /// 1 = highest priority.
    pub rank: Option<usize>,
}

/// Searches of the public finder near a commune.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Searches {
    pub total: u32,
    /// Those that found no place within their radius: demand the offer
    /// misses.
    pub without_result: u32,
}

/// One IRIS of a commune of the portrait.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IrisRow {
    pub code: String,
    pub nom: Option<String>,
    pub commune: String,
    pub commune_nom: String,
    pub census_population: Option<f64>,
    pub pop_65_plus: Option<Figure>,
    pub no_diploma: Option<Figure>,
    pub fragility: Option<Figure>,
    pub fragility_rate: Option<f64>,
    pub caf_minima: Option<Figure>,
    pub job_seekers_abcde: Option<Figure>,
    pub exposure: Option<Figure>,
    pub exposure_rate: Option<f64>,
}

/// The portrait of one territory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Portrait {
    pub territory: String,
    pub level: &'static str,
    pub label: String,
    pub settings: Settings,
    pub summary: Summary,
    /// Access to each service (first: any service).
    pub coverage_by_service: Vec<Coverage>,
    /// Communes, highest priority first.
    pub communes: Vec<CommuneRow>,
    /// Sub-territories side by side (départements of a région, EPCI of a
    /// département, communes of an EPCI), highest priority first.
    pub subterritories: Vec<Summary>,
    /// The département(s) and région(s) the territory belongs to.
    pub comparison: Vec<Summary>,
    /// The IRIS of its communes split into IRIS, when IRIS figures are
    /// loaded (commune order, then IRIS code).
    pub iris: Vec<IrisRow>,
    /// The months the finder's searches were counted over, when counted.
    pub searches_period: Option<(String, String)>,
    /// The EPCI's own IFN scores, when the territory is an EPCI.
    pub ifn_epci: Option<IfnScores>,
    pub sources: Vec<SourceNote>,
}

/// Every commune's access to every service, computed once.
pub struct Analysis<'a> {
    pub geo: &'a Geography,
    pub indicators: &'a Indicators,
    pub places: Vec<OfferPlace>,
    /// Any service first, then `vocab::SERVICES` in order.
    pub tables: Vec<NearestTable>,
    /// Places counted in each commune (geography order).
    by_commune: Vec<Vec<usize>>,
    /// Accompaniments per commune (geography order) and their period.
    activity: Option<((String, String), Vec<Activity>)>,
    /// The finder's searches per commune (geography order) and their
    /// period.
    searches: Option<((String, String), Vec<Searches>)>,
}

/// Checks that `service` is one of the standard.
pub fn check_service(service: Option<&str>) -> Result<(), DiagnosticError> {
    match service {
        Some(s) if !vocab::SERVICES.contains(&s) => Err(DiagnosticError::UnknownService(s.into())),
        _ => Ok(()),
    }
}

impl<'a> Analysis<'a> {
    /// Nearest places for every commune and every service, the services
    /// spread over the available cores.
    pub fn new(geo: &'a Geography, indicators: &'a Indicators, places: Vec<OfferPlace>) -> Self {
        let services: Vec<Option<&str>> = std::iter::once(None)
            .chain(vocab::SERVICES.iter().map(|s| Some(*s)))
            .collect();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(services.len());
        let mut tables: Vec<(usize, NearestTable)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (services, places) = (&services, &places);
                    scope.spawn(move || {
                        (t..services.len())
                            .step_by(threads)
                            .map(|k| (k, NearestTable::compute(geo, places, services[k])))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("nearest-place thread"))
                .collect()
        });
        tables.sort_by_key(|(k, _)| *k);
        let mut by_commune = vec![Vec::new(); geo.communes.len()];
        for (i, p) in places.iter().enumerate() {
            if let Some(pos) = p.commune.as_deref().and_then(|c| geo.position(c)) {
                by_commune[pos].push(i);
            }
        }
        Analysis {
            geo,
            indicators,
            places,
            tables: tables.into_iter().map(|(_, t)| t).collect(),
            by_commune,
            activity: None,
            searches: None,
        }
    }

    /// Searches of the public finder per commune (by INSEE code) over
    /// `period`, for the service of the portraits to come.
    pub fn set_searches(
        &mut self,
        period: (String, String),
        per_commune: &HashMap<String, Searches>,
    ) {
        self.searches = Some((period, self.in_geography_order(per_commune)));
    }

    /// Accompaniments recorded per commune (by INSEE code) over `period`
    /// (first and last month, `YYYY-MM`); communes not listed had none.
    pub fn set_activity(
        &mut self,
        period: (String, String),
        per_commune: &HashMap<String, Activity>,
    ) {
        self.activity = Some((period, self.in_geography_order(per_commune)));
    }

    /// A figure per commune, in the geography's order (default where the
    /// map has none).
    fn in_geography_order<T: Copy + Default>(&self, per_commune: &HashMap<String, T>) -> Vec<T> {
        self.geo
            .communes
            .iter()
            .map(|c| per_commune.get(&c.code).copied().unwrap_or_default())
            .collect()
    }

    /// Real road times (minutes, geography order) for one service, from a
    /// routing server; the portraits then give them beside the estimate.
    pub fn set_road_minutes(&mut self, service: Option<&str>, minutes: Vec<Option<f64>>) {
        if let Some(t) = self
            .tables
            .iter_mut()
            .find(|t| t.service.as_deref() == service)
        {
            t.road_minutes = Some(minutes);
        }
    }

    pub fn table(&self, service: Option<&str>) -> &NearestTable {
        self.tables
            .iter()
            .find(|t| t.service.as_deref() == service)
            .unwrap_or(&self.tables[0])
    }

    fn needs(&self, i: usize) -> Option<&CommuneNeeds> {
        self.indicators.get(&self.geo.communes[i].code)
    }

    pub fn needs_summary(&self, communes: &[usize]) -> NeedsSummary {
        let population: i64 = communes
            .iter()
            .map(|&i| self.geo.communes[i].population)
            .sum();
        let total = |f: &dyn Fn(&CommuneNeeds) -> Option<Figure>| {
            Total::of(communes.iter().map(|&i| self.needs(i)), f)
        };
        let field = |k: Field| total(&move |n: &CommuneNeeds| n.get(k));
        let census_population = field(Field::CensusPopulation);
        let rate_population = census_population
            .complete_value()
            .filter(|_| census_population.secret == 0)
            .unwrap_or(population as f64);
        let fragility = total(&|n| n.fragility());
        let plain = total(&|n| n.fragility_plain_sum());
        let exposure = total(&|n| n.exposure());
        let unemployed = field(Field::CensusUnemployed15To64);
        let active = field(Field::CensusActive15To64);
        let (mut ifn_sum, mut ifn_weight) = (0.0, 0.0);
        for &i in communes {
            if let Some(ifn) = self.needs(i).and_then(|n| n.ifn) {
                let w = self.geo.communes[i].population as f64;
                ifn_sum += ifn.total * w;
                ifn_weight += w;
            }
        }
        NeedsSummary {
            population,
            census_population,
            rate_population,
            pop_65_plus: field(Field::Pop65Plus),
            pop_15_plus: field(Field::Pop15Plus),
            out_of_school_15_plus: field(Field::OutOfSchool15Plus),
            no_diploma: field(Field::NoDiploma),
            fragility_rate: fragility.rate(rate_population),
            fragility,
            fragility_plain_sum_rate: plain.rate(rate_population),
            fragility_plain_sum: plain,
            caf_aah: field(Field::Aah),
            caf_prime_activite: field(Field::PrimeActivite),
            caf_rsa_socle: field(Field::RsaSocle),
            caf_minima: total(&|n| n.caf_minima()),
            job_seekers_abcde: field(Field::JobSeekersAbcde),
            job_seekers_abc: field(Field::JobSeekersAbc),
            exposure_rate: exposure.rate(rate_population),
            exposure,
            census_unemployment_rate: match (unemployed.complete_value(), active.complete_value()) {
                (Some(u), Some(a)) if a > 0.0 && unemployed.secret + active.secret == 0 => {
                    Some(u / a)
                }
                _ => None,
            },
            census_unemployed_15_64: unemployed,
            census_active_15_64: active,
            ifn_score: (ifn_weight > 0.0).then(|| ifn_sum / ifn_weight),
        }
    }

    /// People in need (PORTREA fragility) of each commune, when every
    /// commune has the figure.
    fn need_vector(&self, communes: &[usize]) -> Option<Vec<f64>> {
        communes
            .iter()
            .map(|&i| self.needs(i).and_then(|n| n.fragility()).map(|f| f.value))
            .collect()
    }

    /// The summary of a set of communes.
    pub fn summary(
        &self,
        key: String,
        label: String,
        communes: &[usize],
        settings: &Settings,
    ) -> Summary {
        let needs = self.needs_summary(communes);
        let offer = OfferSummary::of(
            communes
                .iter()
                .flat_map(|&i| &self.by_commune[i])
                .map(|&p| &self.places[p]),
        );
        let service = settings.service.as_deref();
        let places_for_service = match service {
            None => offer.places,
            Some(s) => offer.by_service.get(s).copied().unwrap_or(0),
        };
        let per_10000 = |x: f64, of: f64| (of > 0.0).then(|| x / of * 10_000.0);
        let pop = needs.population as f64;
        let in_need = needs.fragility.complete_value();
        let searches = self.searches.as_ref().map(|(_, counts)| {
            communes.iter().fold(Searches::default(), |s, &i| Searches {
                total: s.total + counts[i].total,
                without_result: s.without_result + counts[i].without_result,
            })
        });
        let need = self.need_vector(communes);
        let activity = self.activity.as_ref().map(|(period, counts)| {
            let (records, people) = communes.iter().fold((0, 0), |(r, p), &i| {
                (r + counts[i].records, p + counts[i].people)
            });
            ActivitySummary {
                period: period.clone(),
                records,
                people,
                per_1000_inhabitants: (pop > 0.0).then(|| records as f64 / pop * 1000.0),
                per_1000_in_need: in_need
                    .filter(|n| *n > 0.0)
                    .map(|n| records as f64 / n * 1000.0),
            }
        });
        Summary {
            activity,
            searches,
            key,
            label,
            communes: communes.len(),
            places_for_service,
            places_per_10000_inhabitants: per_10000(places_for_service as f64, pop),
            hours_per_week_per_10000_inhabitants: per_10000(offer.hours_per_week, pop),
            hours_per_week_per_10000_in_need: in_need
                .and_then(|n| per_10000(offer.hours_per_week, n)),
            coverage: Coverage::of(
                self.geo,
                self.table(service),
                communes,
                need.as_deref(),
                &settings.thresholds,
            ),
            needs,
            offer,
            priority: None,
        }
    }

    /// What the rates of one commune divide by: its census population,
    /// else its legal population.
    fn rate_population(&self, i: usize) -> f64 {
        self.needs(i)
            .and_then(|n| n.figures.census_population())
            .unwrap_or(self.geo.communes[i].population as f64)
    }

    fn commune_row(&self, i: usize, settings: &Settings) -> CommuneRow {
        let c = &self.geo.communes[i];
        let n = self.needs(i);
        let table = self.table(settings.service.as_deref());
        let nearest = table.distance_km[i];
        let hours = self.by_commune[i]
            .iter()
            .map(|&p| &self.places[p])
            .filter(|p| p.offers(settings.service.as_deref()))
            .filter_map(|p| p.hours_per_week)
            .fold(0.0, |a, b| a + b);
        let pop = self.rate_population(i);
        let rate = |f: Option<Figure>| f.filter(|_| pop > 0.0).map(|f| f.value / pop);
        let fragility = n.and_then(|n| n.fragility());
        let exposure = n.and_then(|n| n.exposure());
        CommuneRow {
            code: c.code.clone(),
            nom: c.nom.clone(),
            departement: c.departement.clone(),
            epci: c.epci.clone(),
            population: c.population,
            latitude: c.centre.map(|p| p.0),
            longitude: c.centre.map(|p| p.1),
            fragility,
            fragility_rate: rate(fragility),
            fragility_plain_sum: n.and_then(|n| n.fragility_plain_sum()),
            caf_minima: n.and_then(|n| n.caf_minima()),
            job_seekers_abcde: n.and_then(|n| n.get(Field::JobSeekersAbcde)),
            exposure,
            exposure_rate: rate(exposure),
            census_unemployed_15_64: n.and_then(|n| n.value(Field::CensusUnemployed15To64)),
            ifn_score: n.and_then(|n| n.ifn).map(|s| s.total),
            places: table.in_commune[i],
            hours_per_week: hours,
            nearest_km: nearest,
            road_minutes_estimated: nearest.map(|d| settings.thresholds.road.minutes(d)),
            road_minutes: table.road_minutes.as_ref().and_then(|r| r[i]),
            uncovered: nearest.is_none_or(|d| d > settings.thresholds.within_km),
            searches: self.searches.as_ref().map(|(_, counts)| counts[i]),
            iris: self.indicators.iris_of(&c.code).len(),
            priority: None,
            rank: None,
        }
    }

    /// The IRIS of the communes at `positions` that have IRIS figures.
    fn iris_rows(&self, positions: &[usize]) -> Vec<IrisRow> {
        let mut out = Vec::new();
        for &i in positions {
            let c = &self.geo.communes[i];
            for iris in self.indicators.iris_of(&c.code) {
                let f = &iris.figures;
                let pop = f.census_population();
                let rate = |x: Option<Figure>| match (x, pop) {
                    (Some(x), Some(p)) if p > 0.0 => Some(x.value / p),
                    _ => None,
                };
                let fragility = f.fragility();
                let exposure = f.exposure();
                out.push(IrisRow {
                    code: iris.code.clone(),
                    nom: iris.nom.clone(),
                    commune: c.code.clone(),
                    commune_nom: c.nom.clone(),
                    census_population: pop,
                    pop_65_plus: f.get(Field::Pop65Plus),
                    no_diploma: f.get(Field::NoDiploma),
                    fragility,
                    fragility_rate: rate(fragility),
                    caf_minima: f.caf_minima(),
                    job_seekers_abcde: f.get(Field::JobSeekersAbcde),
                    exposure,
                    exposure_rate: rate(exposure),
                });
            }
        }
        out
    }

    /// The groups a territory divides into, with their keys and labels.
    fn parts(
        &self,
        territory: &Territory,
        communes: &[usize],
    ) -> Vec<(String, String, Vec<usize>)> {
        let mut groups: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
        for &i in communes {
            let c = &self.geo.communes[i];
            let (key, label) = match territory {
                Territory::Region(_) => (
                    format!("dep:{}", c.departement),
                    self.geo
                        .label(&Territory::Departement(c.departement.clone())),
                ),
                Territory::Departement(_) => match &c.epci {
                    Some(e) => (
                        format!("epci:{e}"),
                        self.geo.label(&Territory::Epci(e.clone())),
                    ),
                    None => ("sans-epci".into(), "Communes sans EPCI".into()),
                },
                Territory::Epci(_) | Territory::Communes(_) => {
                    (format!("commune:{}", c.code), c.nom.clone())
                }
                Territory::Commune(_) => return Vec::new(),
            };
            groups
                .entry(key)
                .or_insert_with(|| (label, Vec::new()))
                .1
                .push(i);
        }
        groups
            .into_iter()
            .map(|(key, (label, members))| (key, label, members))
            .collect()
    }

    /// The portrait of `territory`.
    pub fn portrait(
        &self,
        territory: &Territory,
        settings: &Settings,
    ) -> Result<Portrait, DiagnosticError> {
        check_service(settings.service.as_deref())?;
        let communes = self.geo.resolve(territory)?;
        let label = self.geo.label(territory);
        let summary = self.summary(territory.to_string(), label.clone(), &communes, settings);

        let mut rows: Vec<CommuneRow> = communes
            .iter()
            .map(|&i| self.commune_row(i, settings))
            .collect();
        let components: Vec<Components> = rows
            .iter()
            .map(|r| {
                let pop = r.population as f64;
                Components {
                    fragility: r.fragility_rate,
                    exposure: r.exposure_rate,
                    ifn: r.ifn_score,
                    distance: r.nearest_km,
                    density: (pop > 0.0).then(|| r.places as f64 / pop * 10_000.0),
                }
            })
            .collect();
        for (row, score) in rows
            .iter_mut()
            .zip(priority_scores(&components, &settings.weights))
        {
            row.priority = score;
        }
        rank(&mut rows, |r| r.priority, |r, k| r.rank = Some(k));

        let mut subterritories: Vec<Summary> = self
            .parts(territory, &communes)
            .into_iter()
            .map(|(key, label, members)| self.summary(key, label, &members, settings))
            .collect();
        let components: Vec<Components> =
            subterritories.iter().map(Components::of_summary).collect();
        for (s, score) in subterritories
            .iter_mut()
            .zip(priority_scores(&components, &settings.weights))
        {
            s.priority = score;
        }
        rank(&mut subterritories, |s| s.priority, |_, _| {});

        let mut comparison = Vec::new();
        // The département(s) and région(s) of its communes; a région is
        // compared with nothing above it, a département with its région.
        let mut parents: Vec<Territory> = Vec::new();
        for &i in &communes {
            let c = &self.geo.communes[i];
            let above: Vec<Territory> = match territory {
                Territory::Region(_) => vec![],
                Territory::Departement(_) => vec![Territory::Region(c.region.clone())],
                _ => vec![
                    Territory::Departement(c.departement.clone()),
                    Territory::Region(c.region.clone()),
                ],
            };
            for t in above {
                if !parents.contains(&t) {
                    parents.push(t);
                }
            }
        }
        for t in parents {
            if let Ok(members) = self.geo.resolve(&t) {
                comparison.push(self.summary(
                    t.to_string(),
                    self.geo.label(&t),
                    &members,
                    settings,
                ));
            }
        }

        let need = self.need_vector(&communes);
        let coverage_by_service = self
            .tables
            .iter()
            .map(|t| {
                Coverage::of(
                    self.geo,
                    t,
                    &communes,
                    need.as_deref(),
                    &settings.thresholds,
                )
            })
            .collect();
        Ok(Portrait {
            territory: territory.to_string(),
            level: territory.level(),
            label,
            settings: settings.clone(),
            summary,
            coverage_by_service,
            communes: rows,
            subterritories,
            comparison,
            iris: self.iris_rows(&communes),
            searches_period: self.searches.as_ref().map(|(p, _)| p.clone()),
            ifn_epci: match territory {
                Territory::Epci(siren) => self.indicators.epci_ifn.get(siren).copied(),
                _ => None,
            },
            sources: self.indicators.sources.clone(),
        })
    }
}

/// The priority components of one unit (commune or territory).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Components {
    pub fragility: Option<f64>,
    pub exposure: Option<f64>,
    pub ifn: Option<f64>,
    pub distance: Option<f64>,
    /// Places per 10,000 inhabitants (more is better: the gap is its
    /// complement).
    pub density: Option<f64>,
}

impl Components {
    fn of_summary(s: &Summary) -> Self {
        Components {
            fragility: s.needs.fragility_rate,
            exposure: s.needs.exposure_rate,
            ifn: s.needs.ifn_score,
            distance: s.coverage.mean_distance_km,
            density: s.places_per_10000_inhabitants,
        }
    }
}

/// Min–max normalisation over the units that have the value.
fn normalised(values: Vec<Option<f64>>) -> Vec<Option<f64>> {
    let known = values.iter().flatten();
    let min = known.clone().copied().fold(f64::INFINITY, f64::min);
    let max = known.copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .into_iter()
        .map(|v| {
            v.map(|v| {
                if max > min {
                    (v - min) / (max - min)
                } else {
                    0.0
                }
            })
        })
        .collect()
}

/// Priority score of each unit, 0–1: the weighted mean of its normalised
/// components (fragility, exposure, IFN, distance: higher is more
/// urgent; offer: `1 − normalised density`). A component a unit lacks is
/// left out of its mean; a unit with none has no score.
pub fn priority_scores(units: &[Components], w: &PriorityWeights) -> Vec<Option<f64>> {
    let columns = [
        (
            w.fragility,
            normalised(units.iter().map(|u| u.fragility).collect()),
            false,
        ),
        (
            w.exposure,
            normalised(units.iter().map(|u| u.exposure).collect()),
            false,
        ),
        (
            w.digital_fragility_index,
            normalised(units.iter().map(|u| u.ifn).collect()),
            false,
        ),
        (
            w.distance,
            normalised(units.iter().map(|u| u.distance).collect()),
            false,
        ),
        (
            w.offer_gap,
            normalised(units.iter().map(|u| u.density).collect()),
            true,
        ),
    ];
    (0..units.len())
        .map(|k| {
            let (mut sum, mut weight) = (0.0, 0.0);
            for (wk, col, complement) in &columns {
                if *wk > 0.0
                    && let Some(v) = col[k]
                {
                    sum += wk * if *complement { 1.0 - v } else { v };
                    weight += wk;
                }
            }
            (weight > 0.0).then(|| sum / weight)
        })
        .collect()
}

/// Sorts by score, highest first (units without a score last, in their
/// order), and numbers the ranks.
fn rank<T>(items: &mut [T], score: impl Fn(&T) -> Option<f64>, mut set: impl FnMut(&mut T, usize)) {
    items.sort_by(|a, b| {
        let (a, b) = (
            score(a).unwrap_or(f64::NEG_INFINITY),
            score(b).unwrap_or(f64::NEG_INFINITY),
        );
        b.total_cmp(&a)
    });
    for (k, item) in items.iter_mut().enumerate() {
        if score(item).is_some() {
            set(item, k + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_parsed_and_checked() {
        let w: PriorityWeights = "fragilite=2, offre=0".parse().unwrap();
        assert_eq!((w.fragility, w.offer_gap, w.distance), (2.0, 0.0, 1.0));
        assert!("age=1".parse::<PriorityWeights>().is_err());
        assert!("distance=-1".parse::<PriorityWeights>().is_err());
        assert!("distance".parse::<PriorityWeights>().is_err());
        assert_eq!(
            "".parse::<PriorityWeights>(),
            Ok(PriorityWeights::default())
        );
    }

    #[test]
    fn priority_is_the_weighted_mean_of_normalised_components() {
        let units = [
            Components {
                fragility: Some(0.5),
                distance: Some(10.0),
                density: Some(0.0),
                ..Default::default()
            },
            Components {
                fragility: Some(0.25),
                distance: Some(0.0),
                density: Some(2.0),
                ..Default::default()
            },
            Components {
                fragility: Some(0.375),
                distance: None,
                density: Some(1.0),
                ..Default::default()
            },
            Components::default(),
        ];
        let s = priority_scores(&units, &PriorityWeights::default());
        // Unit 0: fragility 1, distance 1, gap 1 → 1. Unit 1: 0, 0, 0 → 0.
        // Unit 2: fragility 0.5, gap 0.5, no distance → 0.5.
        assert_eq!(s, vec![Some(1.0), Some(0.0), Some(0.5), None]);
        let only_distance = PriorityWeights {
            fragility: 0.0,
            exposure: 0.0,
            digital_fragility_index: 0.0,
            distance: 1.0,
            offer_gap: 0.0,
        };
        let s = priority_scores(&units, &only_distance);
        assert_eq!(s, vec![Some(1.0), Some(0.0), None, None]);
        let weighted = PriorityWeights {
            fragility: 3.0,
            ..only_distance
        };
        // Unit 2: only fragility 0.5 is known.
        assert_eq!(priority_scores(&units, &weighted)[2], Some(0.5));
        // Unit 1: (3 × 0 + 1 × 0) / 4; unit 0: 1.
        assert_eq!(priority_scores(&units, &weighted)[0], Some(1.0));
    }
}
