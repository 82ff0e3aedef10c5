//! What the Diagnostic pages show, in French: figures with their source
//! and vintage, the one-page synthesis (key figures in sentences, priority
//! communes and why, the offer, what is missing and who provides it), the
//! detailed tables, the map's legend and data.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use passerelle_diagnostic::geo::Geography;
use passerelle_diagnostic::import::FileKind;
use passerelle_diagnostic::map::{CommuneMap, MapIndicator, fr_decimal};
use passerelle_diagnostic::needs::{Field, Figure, IfnScores, Indicators, SourceNote, Total};
use passerelle_diagnostic::offer::OfferPlace;
use passerelle_diagnostic::portrait::{
    CommuneRow, NeedsSummary, Portrait, PriorityWeights, Searches, Summary,
};
use passerelle_diagnostic::unmet::SMALL_CELL;

use crate::pages::{FR_MONTHS as MONTHS, fr_number};

pub const NOT_LOADED: &str = "données non chargées";

pub fn decimal(v: f64, digits: usize) -> String {
    fr_decimal(v, digits)
}

pub fn percent(v: Option<f64>) -> String {
    v.map(|v| {
        let text = decimal(v * 100.0, 1);
        format!("{} %", text.strip_suffix(",0").unwrap_or(&text))
    })
    .unwrap_or_else(|| "—".into())
}

/// "1 commune", "3 communes".
fn communes(n: usize) -> String {
    format!(
        "{} commune{}",
        fr_number(n as i64),
        if n > 1 { "s" } else { "" }
    )
}

/// The sentence with its first letter in capital.
fn sentence(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => text,
    }
}

pub fn km(v: Option<f64>) -> String {
    v.map(|v| {
        let digits = if v.fract() == 0.0 { 0 } else { 1 };
        format!("{} km", decimal(v, digits))
    })
    .unwrap_or_else(|| "—".into())
}

pub fn minutes(v: Option<f64>) -> String {
    v.map(|m| format!("{} min", decimal(m, 0)))
        .unwrap_or_else(|| "—".into())
}

pub fn opt(v: Option<f64>, digits: usize) -> String {
    v.map(|v| decimal(v, digits)).unwrap_or_else(|| "—".into())
}

fn people(v: f64) -> String {
    fr_number(v.round() as i64)
}

/// A count of searches under the small-cell rule.
pub fn small_cell(n: u32) -> String {
    if n > 0 && n < SMALL_CELL {
        format!("moins de {SMALL_CELL}")
    } else {
        fr_number(i64::from(n))
    }
}

/// A total over communes: not loaded, partial, a lower bound (secret
/// cells), or the figure.
pub fn count(total: &Total) -> String {
    let Some(v) = total.value else {
        return NOT_LOADED.into();
    };
    let mut text = if total.secret > 0 {
        format!(
            "au moins {} ({} {} sous secret statistique)",
            people(v),
            total.secret,
            if total.secret > 1 { "cases" } else { "case" }
        )
    } else {
        people(v)
    };
    if !total.complete() {
        text.push_str(&format!(
            " (partiel : {} communes sur {})",
            total.communes_with_data, total.communes
        ));
    }
    text
}

/// A commune's or an IRIS's figure.
pub fn figure(f: Option<Figure>) -> String {
    match f {
        None => NOT_LOADED.into(),
        Some(f) if f.secret > 0 && f.value == 0.0 => "secret statistique".into(),
        Some(f) if f.secret > 0 => format!("au moins {}", people(f.value)),
        Some(f) => people(f.value),
    }
}

/// "6 décembre 2026".
pub fn fr_date(d: NaiveDate) -> String {
    let day = if d.day() == 1 {
        "1er".to_string()
    } else {
        d.day().to_string()
    };
    format!("{day} {} {}", MONTHS[d.month0() as usize], d.year())
}

/// Metropolitan France's wall-clock time of a UTC instant (summer time
/// from the last Sunday of March to the last Sunday of October, 01:00 UTC).
pub fn paris(utc: NaiveDateTime) -> NaiveDateTime {
    let last_sunday = |month: u32| {
        let mut d = NaiveDate::from_ymd_opt(utc.year(), month, 31).expect("31 days");
        while d.weekday() != chrono::Weekday::Sun {
            d = d.pred_opt().expect("a day before");
        }
        d.and_hms_opt(1, 0, 0).expect("01:00")
    };
    let summer = utc >= last_sunday(3) && utc < last_sunday(10);
    utc + chrono::Duration::hours(if summer { 2 } else { 1 })
}

/// "3 décembre 2026 à 14 h 30", Paris time.
pub fn fr_datetime(t: DateTime<Utc>) -> String {
    let local = paris(t.naive_utc());
    format!(
        "{} à {} h {:02}",
        fr_date(local.date()),
        local.format("%-H"),
        local.minute()
    )
}

/// A source in words: "INSEE, recensement…, millésime 2021, importé le 3
/// décembre 2026".
pub fn source_text(s: &SourceNote) -> String {
    let mut out = s.title.clone();
    if let Some(v) = &s.vintage {
        out.push_str(&format!(", millésime {v}"));
    }
    if let Some(at) = s
        .imported_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
    {
        out.push_str(&format!(
            ", importé le {}",
            fr_date(paris(at.with_timezone(&Utc).naive_utc()).date())
        ));
    }
    out
}

/// One line of the needs table.
pub struct NeedRow {
    pub label: &'static str,
    pub value: String,
    /// Where the figure comes from, or what to import.
    pub source: String,
    pub missing: bool,
}

/// What to import for a figure, in words, with who publishes it.
fn to_import(kinds: &[FileKind]) -> String {
    format!(
        "À importer : {}.",
        kinds
            .iter()
            .map(|k| k.where_to_get())
            .collect::<Vec<_>>()
            .join(" ; et ")
    )
}

/// The sources of some fields over the communes of a portrait.
fn sources_of(ind: &Indicators, fields: &[Field], codes: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in fields {
        for s in ind.sources_of(*f, codes.iter().copied()) {
            let text = source_text(s);
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    out
}

pub fn needs_rows(p: &Portrait, ind: &Indicators) -> Vec<NeedRow> {
    let rows = NeedRows {
        n: &p.summary.needs,
        ind,
        codes: p.communes.iter().map(|c| c.code.as_str()).collect(),
    };
    [
        vec![NeedRow {
            label: "Population légale",
            value: fr_number(rows.n.population),
            source: "INSEE, populations légales (référentiel des territoires)".into(),
            missing: false,
        }],
        rows.fragility(),
        rows.exposure(),
        rows.unemployment_and_ifn(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The lines of the needs table, each with the files it comes from.
struct NeedRows<'a> {
    n: &'a NeedsSummary,
    ind: &'a Indicators,
    /// The portrait's communes, whose sources are named.
    codes: Vec<&'a str>,
}

impl NeedRows<'_> {
    /// A count, with its sources, or the files to import when missing.
    fn row(
        &self,
        label: &'static str,
        total: &Total,
        fields: &[Field],
        kinds: &[FileKind],
    ) -> NeedRow {
        let missing = total.value.is_none();
        NeedRow {
            label,
            value: count(total),
            source: if missing {
                to_import(kinds)
            } else {
                sources_of(self.ind, fields, &self.codes).join(" ; ")
            },
            missing,
        }
    }

    /// A share of the population, with what it is reported to.
    fn rate(&self, label: &'static str, r: Option<f64>, total: &Total) -> NeedRow {
        let missing = total.value.is_none();
        NeedRow {
            label,
            value: if missing {
                NOT_LOADED.into()
            } else {
                percent(r)
            },
            source: if missing {
                String::new()
            } else if self.n.census_population.complete() {
                "rapporté à la population du recensement".into()
            } else {
                "rapporté à la population légale".into()
            },
            missing,
        }
    }

    /// The PORTREA fragility score and the census counts it is made of.
    fn fragility(&self) -> Vec<NeedRow> {
        use FileKind::*;
        let n = self.n;
        let census = [CensusPopulation, CensusDiplomas];
        vec![
            self.row(
                "Personnes en fragilité socio-numérique (score PORTREA : 65 ans et plus, et sans diplôme de moins de 65 ans)",
                &n.fragility,
                &[Field::Pop65Plus, Field::Pop15Plus, Field::NoDiploma],
                &census,
            ),
            self.rate(
                "Part de la population en fragilité socio-numérique",
                n.fragility_rate,
                &n.fragility,
            ),
            self.row(
                "Variante du séminaire PORTREA : 65 ans et plus + sans diplôme, sans retirer les personnes comptées deux fois",
                &n.fragility_plain_sum,
                &[Field::Pop65Plus, Field::NoDiploma],
                &census,
            ),
            self.row(
                "Personnes de 65 ans et plus",
                &n.pop_65_plus,
                &[Field::Pop65Plus],
                &[CensusPopulation],
            ),
            self.row(
                "Personnes de 15 ans et plus",
                &n.pop_15_plus,
                &[Field::Pop15Plus],
                &[CensusPopulation],
            ),
            self.row(
                "Sans diplôme ou avec le certificat d’études (15 ans et plus non scolarisés)",
                &n.no_diploma,
                &[Field::NoDiploma],
                &[CensusDiplomas],
            ),
        ]
    }

    /// The PORTREA exposure score and the CAF and France Travail counts.
    fn exposure(&self) -> Vec<NeedRow> {
        use FileKind::*;
        let n = self.n;
        vec![
            self.row(
                "Personnes exposées aux démarches en ligne chaque mois (score PORTREA : AAH, prime d’activité, RSA socle, demandeurs d’emploi A à E)",
                &n.exposure,
                &[Field::Aah, Field::JobSeekersAbcde],
                &[CafBenefits, JobSeekers],
            ),
            self.rate(
                "Part de la population exposée aux démarches en ligne",
                n.exposure_rate,
                &n.exposure,
            ),
            self.row(
                "Allocataires CAF de l’AAH, de la prime d’activité ou du RSA socle",
                &n.caf_minima,
                &[Field::Aah, Field::PrimeActivite, Field::RsaSocle],
                &[CafBenefits],
            ),
            self.row(
                "dont allocation aux adultes handicapés (AAH)",
                &n.caf_aah,
                &[Field::Aah],
                &[CafBenefits],
            ),
            self.row(
                "dont prime d’activité",
                &n.caf_prime_activite,
                &[Field::PrimeActivite],
                &[CafBenefits],
            ),
            self.row(
                "dont RSA socle",
                &n.caf_rsa_socle,
                &[Field::RsaSocle],
                &[CafBenefits],
            ),
            self.row(
                "Demandeurs d’emploi inscrits à France Travail, catégories A à E",
                &n.job_seekers_abcde,
                &[Field::JobSeekersAbcde],
                &[JobSeekers],
            ),
            self.row(
                "dont catégories A, B et C",
                &n.job_seekers_abc,
                &[Field::JobSeekersAbc],
                &[JobSeekers],
            ),
        ]
    }

    /// The census unemployment and the Indice de fragilité numérique.
    fn unemployment_and_ifn(&self) -> Vec<NeedRow> {
        let n = self.n;
        vec![
            self.row(
                "Chômeurs de 15 à 64 ans au sens du recensement",
                &n.census_unemployed_15_64,
                &[Field::CensusUnemployed15To64],
                &[FileKind::CensusPopulation],
            ),
            NeedRow {
                label: "Taux de chômage des 15 à 64 ans (recensement)",
                value: percent(n.census_unemployment_rate),
                source: sources_of(self.ind, &[Field::CensusUnemployed15To64], &self.codes)
                    .join(" ; "),
                missing: false,
            },
            NeedRow {
                label: "Indice de fragilité numérique (score de 0 à 10, moyenne pondérée par la population)",
                value: opt(n.ifn_score, 1),
                source: source_text(&passerelle_diagnostic::bundled::ifn_source()),
                missing: false,
            },
        ]
    }
}

/// What is missing, with who provides it.
pub struct Missing {
    pub what: String,
    pub who: String,
}

pub fn missing(p: &Portrait, places: &[OfferPlace]) -> Vec<Missing> {
    let n = &p.summary.needs;
    let mut out = Vec::new();
    let incomplete = |t: &Total| !t.complete() || t.value.is_none();
    let state = |t: &Total| match t.value {
        None => "non chargé".to_string(),
        Some(_) => format!(
            "chargé pour {} communes sur {}",
            t.communes_with_data, t.communes
        ),
    };
    let ages = incomplete(&n.pop_65_plus) || incomplete(&n.pop_15_plus);
    let diplomas = incomplete(&n.no_diploma);
    if ages || diplomas {
        let mut who = Vec::new();
        if ages {
            who.push(FileKind::CensusPopulation.provider());
        }
        if diplomas {
            who.push(FileKind::CensusDiplomas.provider());
        }
        out.push(Missing {
            what: format!(
                "Âges et diplômes ({})",
                state(if ages { &n.pop_65_plus } else { &n.no_diploma })
            ),
            who: who.join(" ; "),
        });
    }
    if incomplete(&n.caf_minima) {
        out.push(Missing {
            what: format!(
                "Allocataires AAH, prime d’activité, RSA ({})",
                state(&n.caf_minima)
            ),
            who: FileKind::CafBenefits.provider().into(),
        });
    }
    if incomplete(&n.job_seekers_abcde) {
        out.push(Missing {
            what: format!("Demandeurs d’emploi ({})", state(&n.job_seekers_abcde)),
            who: FileKind::JobSeekers.provider().into(),
        });
    }
    out.extend(places_missing(p, places));
    out
}

/// The opening hours and exact positions the territory's places lack.
fn places_missing(p: &Portrait, places: &[OfferPlace]) -> Option<Missing> {
    let codes: std::collections::HashSet<&str> =
        p.communes.iter().map(|c| c.code.as_str()).collect();
    let here: Vec<&OfferPlace> = places
        .iter()
        .filter(|pl| pl.commune.as_deref().is_some_and(|c| codes.contains(c)))
        .collect();
    let without_hours = here.iter().filter(|pl| pl.hours_per_week.is_none()).count();
    let approximate = here.iter().filter(|pl| pl.approximate).count();
    if without_hours == 0 && approximate == 0 {
        return None;
    }
    let mut what = Vec::new();
    if without_hours > 0 {
        what.push(format!(
            "horaires de {} lieux sur {}",
            fr_number(without_hours as i64),
            fr_number(here.len() as i64)
        ));
    }
    if approximate > 0 {
        what.push(format!(
            "position exacte de {} lieux",
            fr_number(approximate as i64)
        ));
    }
    let what = what.join(", ");
    let mut chars = what.chars();
    let what = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default();
    Some(Missing {
        what,
        who: "les structures qui accueillent ces lieux, dans l’annuaire des lieux".into(),
    })
}

/// One commune of the synthesis's priority list, and why.
pub struct PriorityCommune {
    pub nom: String,
    pub population: String,
    pub why: String,
}

/// Up to three reasons a commune comes first.
fn reasons(r: &CommuneRow, p: &Portrait) -> String {
    let s = &p.summary;
    let t = &p.settings.thresholds;
    let mut out: Vec<String> = Vec::new();
    match r.nearest_km {
        None => out.push("aucun lieu offrant le service".into()),
        Some(d) if d > t.within_km => out.push(format!("lieu le plus proche à {}", km(Some(d)))),
        _ => {}
    }
    if let (Some(v), Some(all)) = (r.fragility_rate, s.needs.fragility_rate)
        && v > all
    {
        out.push(format!(
            "fragilité {} (territoire : {})",
            percent(Some(v)),
            percent(Some(all))
        ));
    }
    if let (Some(v), Some(all)) = (r.exposure_rate, s.needs.exposure_rate)
        && v > all
    {
        out.push(format!(
            "exposition aux démarches {} (territoire : {})",
            percent(Some(v)),
            percent(Some(all))
        ));
    }
    if let (Some(v), Some(all)) = (r.ifn_score, s.needs.ifn_score)
        && v > all
    {
        out.push(format!(
            "indice de fragilité numérique {} sur 10 (territoire : {})",
            decimal(v, 1),
            decimal(all, 1)
        ));
    }
    if let Some(x) = r.searches
        && x.without_result >= SMALL_CELL
    {
        out.push(format!(
            "{} recherches de lieux sans résultat à proximité",
            fr_number(i64::from(x.without_result))
        ));
    }
    if r.places == 0 && r.nearest_km.is_some_and(|d| d <= t.within_km) {
        out.push("aucun lieu dans la commune".into());
    }
    out.truncate(3);
    if out.is_empty() {
        "au-dessus des autres sur l’ensemble des critères".into()
    } else {
        out.join(" ; ")
    }
}

/// The one-page synthesis.
pub struct Synthesis {
    pub title: String,
    pub subtitle: String,
    pub key_figures: Vec<String>,
    pub priorities: Vec<PriorityCommune>,
    /// Why there is no priority list (a single commune).
    pub priorities_note: Option<String>,
    pub offer: Vec<String>,
    pub missing: Vec<Missing>,
    pub map_svg: String,
    pub legend: Vec<(String, String, String)>,
    pub legend_missing: Option<String>,
    pub map_title: String,
    pub map_note: Option<String>,
    pub made: String,
}

fn service_phrase(p: &Portrait) -> String {
    match &p.settings.service {
        None => "d’aide au numérique".into(),
        Some(s) => format!("offrant « {s} »"),
    }
}

pub fn synthesis(
    p: &Portrait,
    places: &[OfferPlace],
    map: &CommuneMap,
    today: NaiveDate,
) -> Synthesis {
    let s = &p.summary;
    let (priorities, priorities_note) = priorities(p);
    Synthesis {
        title: p.label.clone(),
        subtitle: format!(
            "{} habitants, {} {} ; service : {}.",
            fr_number(s.needs.population),
            fr_number(s.communes as i64),
            if s.communes > 1 { "communes" } else { "commune" },
            p.settings
                .service
                .clone()
                .unwrap_or_else(|| "tous les services".into())
        ),
        key_figures: key_figures(p).into_iter().map(sentence).collect(),
        priorities,
        priorities_note,
        offer: offer_sentences(p),
        missing: missing(p, places),
        map_svg: map.svg.clone(),
        legend: legend(map),
        legend_missing: (map.missing > 0).then(|| {
            format!(
                "{} ({} communes)",
                map.indicator.missing_label(),
                fr_number(map.missing as i64)
            )
        }),
        map_title: map.indicator.label().to_string(),
        map_note: (map.without_outline > 0).then(|| {
            "Les contours des communes ne sont fournis que pour la Bretagne : ailleurs, chaque commune est un cercle dont la surface suit la population.".to_string()
        }),
        made: format!("Diagnostic établi le {} par Passerelle.", fr_date(today)),
    }
}

/// The synthesis's key figures: needs, coverage, fragility index, searches.
fn key_figures(p: &Portrait) -> Vec<String> {
    let mut key = need_figures(&p.summary.needs);
    key.push(coverage_figure(p));
    key.push(match p.summary.needs.ifn_score {
        Some(v) => format!(
            "Indice de fragilité numérique moyen : {} sur 10 (10 : le plus fragile ; couverture internet, pauvreté, âge et diplôme).",
            decimal(v, 1)
        ),
        None => "L’indice de fragilité numérique n’est pas disponible pour ce territoire.".into(),
    });
    key.push(match p.summary.searches {
        Some(x) if x.total > 0 => format!(
            "{} recherches de lieux d’aide depuis une commune du territoire sur le site public en un an, dont {} sans aucun lieu trouvé à proximité : une demande que l’offre ne couvre pas.",
            small_cell(x.total),
            small_cell(x.without_result)
        ),
        _ => "Aucune recherche de lieu n’a encore été faite sur le site public depuis une commune du territoire : la demande non satisfaite sera mesurée à mesure des recherches.".into(),
    });
    key
}

/// The two PORTREA scores in words: fragility, then exposure.
fn need_figures(n: &NeedsSummary) -> Vec<String> {
    let lower = |t: &Total| if t.secret > 0 { "au moins " } else { "" };
    let partial = |t: &Total| {
        if t.complete() {
            String::new()
        } else {
            format!(
                " (données chargées pour {} sur {} seulement)",
                communes(t.communes_with_data),
                t.communes
            )
        }
    };
    let mut key: Vec<String> = Vec::new();
    key.push(match n.fragility.value {
        Some(v) => format!(
            "{}{} personnes potentiellement en difficulté avec le numérique{}{} : elles ont 65 ans ou plus, ou moins de 65 ans et aucun diplôme (score de fragilité PORTREA).",
            lower(&n.fragility),
            people(v),
            partial(&n.fragility),
            n.fragility_rate
                .map(|r| format!(", soit {} de la population", percent(Some(r))))
                .unwrap_or_default(),
        ),
        None => "La fragilité socio-numérique n’est pas encore calculée : il manque les fichiers du recensement de l’INSEE (voir « Ce qui manque »).".into(),
    });
    key.push(match n.exposure.value {
        Some(v) => format!(
            "{}{} personnes doivent faire des démarches en ligne chaque mois{}{} : allocataires de l’AAH, de la prime d’activité ou du RSA, et demandeurs d’emploi (score d’exposition PORTREA).",
            lower(&n.exposure),
            people(v),
            partial(&n.exposure),
            n.exposure_rate
                .map(|r| format!(", soit {} de la population", percent(Some(r))))
                .unwrap_or_default(),
        ),
        None => "L’exposition aux démarches en ligne n’est pas encore calculée : il manque les allocataires de la CAF et les demandeurs d’emploi de France Travail (voir « Ce qui manque »).".into(),
    });
    key
}

/// Which communes have no place within the distance, and how many live there.
fn coverage_figure(p: &Portrait) -> String {
    let s = &p.summary;
    let uncovered: Vec<&CommuneRow> = p.communes.iter().filter(|r| r.uncovered).collect();
    let uncovered_pop: i64 = uncovered.iter().map(|r| r.population).sum();
    if uncovered.is_empty() {
        format!(
            "Toutes les communes ont un lieu {} à moins de {}.",
            service_phrase(p),
            km(Some(p.settings.thresholds.within_km))
        )
    } else {
        format!(
            "{} {} ({} habitants, {} de la population) {} aucun lieu {} à moins de {}.",
            fr_number(uncovered.len() as i64),
            if uncovered.len() > 1 {
                "communes"
            } else {
                "commune"
            },
            fr_number(uncovered_pop),
            percent(
                (s.needs.population > 0).then(|| uncovered_pop as f64 / s.needs.population as f64)
            ),
            if uncovered.len() > 1 {
                "n’ont"
            } else {
                "n’a"
            },
            service_phrase(p),
            km(Some(p.settings.thresholds.within_km))
        )
    }
}

/// The offer in three sentences: places, opening hours, distances.
fn offer_sentences(p: &Portrait) -> Vec<String> {
    let s = &p.summary;
    let c = &s.coverage;
    let hours_known = s.offer.places_with_hours;
    let mut offer = vec![format!(
        "{} lieux {}, soit {} pour 10 000 habitants.",
        fr_number(s.places_for_service as i64),
        service_phrase(p),
        opt(s.places_per_10000_inhabitants, 1)
    )];
    offer.push(format!(
        "{} heures d’ouverture par semaine au total (horaires connus pour {} lieux sur {}), soit {} heures pour 10 000 habitants.",
        decimal(s.offer.hours_per_week, 0),
        fr_number(hours_known as i64),
        fr_number(s.offer.places as i64),
        opt(s.hours_per_week_per_10000_inhabitants, 0)
    ));
    offer.push(format!(
        "{} de la population vit à moins de {} d’un lieu, {} à moins de {} minutes en voiture (estimation).",
        percent(c.share_within_km),
        km(Some(p.settings.thresholds.within_km)),
        percent(c.share_within_minutes_estimated),
        decimal(p.settings.thresholds.within_minutes, 0)
    ));
    offer
}

/// The five first communes by priority, with why; or why there are none.
fn priorities(p: &Portrait) -> (Vec<PriorityCommune>, Option<String>) {
    if p.communes.len() <= 1 {
        (
            Vec::new(),
            Some("Le territoire est une seule commune : la priorité se lit entre communes d’un territoire plus large (son intercommunalité, son département).".to_string()),
        )
    } else {
        (
            p.communes
                .iter()
                .filter(|r| r.rank.is_some())
                .take(5)
                .map(|r| PriorityCommune {
                    nom: r.nom.clone(),
                    population: fr_number(r.population),
                    why: reasons(r, p),
                })
                .collect(),
            None,
        )
    }
}

/// (colour, label, communes) of each class.
pub fn legend(map: &CommuneMap) -> Vec<(String, String, String)> {
    map.legend
        .iter()
        .map(|e| {
            (
                e.colour.to_string(),
                e.label.clone(),
                format!(
                    "{} {}",
                    fr_number(e.communes as i64),
                    if e.communes > 1 {
                        "communes"
                    } else {
                        "commune"
                    }
                ),
            )
        })
        .collect()
}

/// A line of the offer table.
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

fn fact(label: &'static str, value: String) -> Fact {
    Fact { label, value }
}

pub fn offer_facts(s: &Summary) -> Vec<Fact> {
    let mut offer = vec![
        fact("Lieux d’aide", fr_number(s.offer.places as i64)),
        fact(
            "dont itinérants (comptés à leur adresse)",
            fr_number(s.offer.itinerant as i64),
        ),
        fact(
            "Lieux offrant le service choisi",
            fr_number(s.places_for_service as i64),
        ),
        fact(
            "Lieux pour 10 000 habitants (service choisi)",
            opt(s.places_per_10000_inhabitants, 1),
        ),
        fact(
            "Heures d’ouverture par semaine (lieux aux horaires connus)",
            format!(
                "{} h ({} lieux sur {})",
                decimal(s.offer.hours_per_week, 0),
                s.offer.places_with_hours,
                s.offer.places
            ),
        ),
        fact(
            "Heures par semaine pour 10 000 habitants",
            opt(s.hours_per_week_per_10000_inhabitants, 0),
        ),
        fact(
            "Heures par semaine pour 10 000 personnes en fragilité",
            s.hours_per_week_per_10000_in_need
                .map(|v| decimal(v, 0))
                .unwrap_or_else(|| NOT_LOADED.into()),
        ),
    ];
    match &s.activity {
        None => offer.push(fact(
            "Accompagnements enregistrés (Activités)",
            "aucun enregistré".into(),
        )),
        Some(a) => {
            let month = |m: &str| {
                let (y, mm) = m.split_once('-').unwrap_or((m, "01"));
                let k: usize = mm.parse().unwrap_or(1);
                format!("{} {y}", MONTHS[k.clamp(1, 12) - 1])
            };
            offer.push(fact(
                "Accompagnements enregistrés (Activités, sur un an)",
                format!(
                    "{} ({} personnes), de {} à {}",
                    fr_number(a.records),
                    fr_number(a.people),
                    month(&a.period.0),
                    month(&a.period.1)
                ),
            ));
            offer.push(fact(
                "Accompagnements pour 1 000 habitants",
                opt(a.per_1000_inhabitants, 1),
            ));
            offer.push(fact(
                "Accompagnements pour 1 000 personnes en fragilité",
                a.per_1000_in_need
                    .map(|v| decimal(v, 1))
                    .unwrap_or_else(|| NOT_LOADED.into()),
            ));
        }
    }
    offer
}

/// One territory in the side-by-side tables.
pub struct TerritoryRow {
    pub label: String,
    pub href: String,
    pub population: String,
    pub fragility_rate: String,
    pub exposure_rate: String,
    pub unemployment: String,
    pub ifn: String,
    pub places: String,
    pub per_10000: String,
    pub in_commune: String,
    pub mean_km: String,
    pub within_km: String,
    pub within_minutes: String,
    pub uncovered: String,
    pub priority: String,
}

pub fn territory_row(s: &Summary, query_service: &str) -> TerritoryRow {
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
    let rate = |r: Option<f64>, t: &Total| {
        if t.value.is_none() {
            NOT_LOADED.into()
        } else {
            percent(r)
        }
    };
    TerritoryRow {
        label: s.label.clone(),
        href,
        population: fr_number(s.needs.population),
        fragility_rate: rate(s.needs.fragility_rate, &s.needs.fragility),
        exposure_rate: rate(s.needs.exposure_rate, &s.needs.exposure),
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

pub struct CommuneView {
    pub rank: String,
    pub nom: String,
    pub population: String,
    pub fragility: String,
    pub fragility_rate: String,
    pub exposure: String,
    pub ifn: String,
    pub places: String,
    pub nearest: String,
    pub minutes: String,
    pub road_minutes: String,
    pub uncovered: bool,
    pub priority: String,
}

pub fn commune_view(r: &CommuneRow) -> CommuneView {
    CommuneView {
        rank: r.rank.map(|k| k.to_string()).unwrap_or_default(),
        nom: r.nom.clone(),
        population: fr_number(r.population),
        fragility: figure(r.fragility),
        fragility_rate: percent(r.fragility_rate),
        exposure: figure(r.exposure),
        ifn: opt(r.ifn_score, 1),
        places: r.places.to_string(),
        nearest: km(r.nearest_km),
        minutes: minutes(r.road_minutes_estimated),
        road_minutes: minutes(r.road_minutes),
        uncovered: r.uncovered,
        priority: opt(r.priority.map(|v| v * 100.0), 0),
    }
}

/// The IRIS of one commune.
pub struct IrisCommune {
    pub nom: String,
    pub rows: Vec<IrisView>,
    /// Places of the commune offering the service.
    pub places: Vec<String>,
}

pub struct IrisView {
    pub nom: String,
    pub population: String,
    pub pop_65_plus: String,
    pub no_diploma: String,
    pub fragility: String,
    pub fragility_rate: String,
    pub caf_minima: String,
    pub exposure: String,
}

pub fn iris_sections(p: &Portrait, places: &[OfferPlace]) -> Vec<IrisCommune> {
    let mut by_commune: BTreeMap<(String, String), Vec<IrisView>> = BTreeMap::new();
    for r in &p.iris {
        by_commune
            .entry((r.commune_nom.clone(), r.commune.clone()))
            .or_default()
            .push(IrisView {
                nom: match &r.nom {
                    Some(n) => format!("{n} ({})", r.code),
                    None => format!("IRIS {}", r.code),
                },
                population: opt(r.census_population, 0),
                pop_65_plus: figure(r.pop_65_plus),
                no_diploma: figure(r.no_diploma),
                fragility: figure(r.fragility),
                fragility_rate: percent(r.fragility_rate),
                caf_minima: figure(r.caf_minima),
                exposure: figure(r.exposure),
            });
    }
    let service = p.settings.service.as_deref();
    by_commune
        .into_iter()
        .map(|((nom, code), rows)| IrisCommune {
            nom,
            rows,
            places: places
                .iter()
                .filter(|pl| pl.commune.as_deref() == Some(code.as_str()) && pl.offers(service))
                .map(|pl| pl.nom.clone())
                .collect(),
        })
        .collect()
}

/// Searches of the public finder near the communes of the territory.
pub struct SearchRow {
    pub nom: String,
    pub total: String,
    pub without_result: String,
}

/// "N recherches, dont M sans lieu trouvé à proximité", small cells hidden.
pub fn searches_total(x: Searches) -> String {
    format!(
        "{} recherches, dont {} sans lieu trouvé à proximité",
        small_cell(x.total),
        small_cell(x.without_result)
    )
}

/// An EPCI's scores of the Indice de fragilité numérique, in words.
pub fn ifn_scores(s: IfnScores) -> String {
    format!(
        "score total {} — non-couverture en très haut débit {}, en 4G {}, pauvreté {}, 65 ans et plus {}, sans diplôme {}",
        decimal(s.total, 1),
        decimal(s.no_thd_coverage, 1),
        decimal(s.no_4g_coverage, 1),
        decimal(s.poverty, 1),
        decimal(s.older_65, 1),
        decimal(s.no_diploma, 1)
    )
}

pub fn search_rows(p: &Portrait) -> Vec<SearchRow> {
    let mut rows: Vec<&CommuneRow> = p
        .communes
        .iter()
        .filter(|r| r.searches.is_some_and(|s| s.total > 0))
        .collect();
    rows.sort_by(|a, b| {
        let (x, y) = (
            a.searches.unwrap_or_default(),
            b.searches.unwrap_or_default(),
        );
        y.without_result
            .cmp(&x.without_result)
            .then(y.total.cmp(&x.total))
            .then(a.nom.cmp(&b.nom))
    });
    rows.into_iter()
        .map(|r| {
            let s = r.searches.unwrap_or_default();
            SearchRow {
                nom: r.nom.clone(),
                total: small_cell(s.total),
                without_result: small_cell(s.without_result),
            }
        })
        .collect()
}

/// The method, in words, with the weights used.
pub fn method(p: &Portrait) -> Vec<String> {
    let w = &p.settings.weights;
    let t = &p.settings.thresholds;
    vec![
        "Fragilité socio-numérique, score PORTREA : personnes de 65 ans et plus, plus les personnes sans diplôme ou avec le certificat d’études parmi les 15 ans et plus non scolarisés, multipliées par la part des moins de 65 ans parmi les 15 ans et plus (pour ne pas compter deux fois les plus âgés). Calcul par commune, puis somme des communes.".into(),
        "Variante du séminaire PORTREA : la simple somme des 65 ans et plus et des personnes sans diplôme, qui compte deux fois les personnes âgées sans diplôme.".into(),
        "Exposition aux démarches en ligne, score PORTREA : allocataires de la CAF percevant l’allocation aux adultes handicapés, la prime d’activité ou le RSA socle, plus les demandeurs d’emploi inscrits à France Travail en catégories A à E. Une case sous secret statistique n’est jamais comptée zéro : le chiffre est alors « au moins ».".into(),
        format!(
            "Accès : distance à vol d’oiseau du centre de chaque commune au lieu le plus proche ; temps de route estimé avec un détour de {} et {} km/h ; « couverte » : un lieu à moins de {}.",
            decimal(t.road.detour, 1),
            decimal(t.road.speed_kmh, 0),
            km(Some(t.within_km))
        ),
        format!(
            "Priorité : moyenne pondérée des critères disponibles ramenés entre 0 et 1 — fragilité (poids {}), exposition (poids {}), indice de fragilité numérique (poids {}), distance au lieu le plus proche (poids {}), manque de lieux pour la population (poids {}).",
            decimal(w.fragility, 1),
            decimal(w.exposure, 1),
            decimal(w.digital_fragility_index, 1),
            decimal(w.distance, 1),
            decimal(w.offer_gap, 1)
        ),
        "Offre : l’annuaire des lieux, au standard national des lieux de médiation numérique ; les lieux itinérants sont comptés à leur adresse ; heures d’ouverture d’une semaine sans jour férié.".into(),
        format!(
            "Demande non satisfaite : les recherches du site public près d’une commune, comptées sans adresse, sans heure ni identifiant ; moins de {SMALL_CELL} recherches ne sont jamais données exactement."
        ),
        "Cartes : contours des communes de l’IGN (Admin Express 2018, simplifiés), rattachés aux communes de 2026 ; projection Lambert-93. Les contours des IRIS ne sont pas disponibles hors ligne.".into(),
    ]
}

/// Every source the portrait's figures cite, in words.
pub fn sources(p: &Portrait, ind: &Indicators) -> Vec<String> {
    let codes: Vec<&str> = p.communes.iter().map(|c| c.code.as_str()).collect();
    let mut out: Vec<String> = Vec::new();
    let mut groups: Vec<(String, Vec<&'static str>)> = Vec::new();
    for f in Field::ALL {
        for s in ind.sources_of(f, codes.iter().copied()) {
            let text = source_text(s);
            match groups.iter_mut().find(|(t, _)| *t == text) {
                Some((_, labels)) => labels.push(f.label()),
                None => groups.push((text, vec![f.label()])),
            }
        }
    }
    for (text, labels) in groups {
        out.push(format!("{} : {}.", labels.join(", "), text));
    }
    out.push(format!(
        "Indice de fragilité numérique : {}.",
        source_text(&passerelle_diagnostic::bundled::ifn_source())
    ));
    out.push("Populations légales, communes, intercommunalités : INSEE et DGCL, référentiel des territoires de 2026.".into());
    out
}

/// The weights as the form shows them.
pub fn weight_values(w: &PriorityWeights) -> [(String, &'static str, &'static str, String); 5] {
    let v = |x: f64| decimal(x, if x.fract() == 0.0 { 0 } else { 1 });
    [
        (
            "poids_fragilite".into(),
            "Fragilité socio-numérique",
            "Part de la population en fragilité (score PORTREA)",
            v(w.fragility),
        ),
        (
            "poids_exposition".into(),
            "Exposition aux démarches en ligne",
            "Part de la population exposée (score PORTREA)",
            v(w.exposure),
        ),
        (
            "poids_ifn".into(),
            "Indice de fragilité numérique",
            "Score de 0 à 10 (couverture internet, pauvreté, âge, diplôme)",
            v(w.digital_fragility_index),
        ),
        (
            "poids_distance".into(),
            "Distance au lieu le plus proche",
            "Distance à vol d’oiseau",
            v(w.distance),
        ),
        (
            "poids_offre".into(),
            "Manque de lieux",
            "Peu de lieux pour la population",
            v(w.offer_gap),
        ),
    ]
}

/// The names of the territories to choose from, by level.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Group {
    pub label: &'static str,
    pub options: Vec<Choice>,
}

/// Régions, départements and EPCI of the loaded reference, by name.
pub fn groups(geo: &Geography, selected: &str) -> Vec<Group> {
    use passerelle_diagnostic::geo::Territory;
    let choice = |value: String, label: String| Choice {
        selected: value == selected,
        value,
        label,
    };
    let mut regions: Vec<(String, String)> = geo
        .communes
        .iter()
        .map(|c| &c.region)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|r| (geo.label(&Territory::Region(r.clone())), r.clone()))
        .collect();
    regions.sort();
    let mut deps: Vec<(String, String)> = geo
        .communes
        .iter()
        .map(|c| &c.departement)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|d| (d.clone(), geo.label(&Territory::Departement(d.clone()))))
        .collect();
    deps.sort();
    let mut epcis: Vec<(String, String)> = geo
        .communes
        .iter()
        .filter_map(|c| c.epci.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|e| (geo.label(&Territory::Epci(e.clone())), e))
        .collect();
    epcis.sort();
    vec![
        Group {
            label: "Régions",
            options: regions
                .into_iter()
                .map(|(label, r)| choice(format!("reg:{r}"), label))
                .collect(),
        },
        Group {
            label: "Départements",
            options: deps
                .into_iter()
                .map(|(d, label)| choice(format!("dep:{d}"), format!("{label} ({d})")))
                .collect(),
        },
        Group {
            label: "Intercommunalités",
            options: epcis
                .into_iter()
                .map(|(label, e)| choice(format!("epci:{e}"), label))
                .collect(),
        },
    ]
}

/// The services of the standard to choose from, and "all".
pub fn service_choices(selected: &str) -> Vec<Choice> {
    std::iter::once(("", "Tous les services"))
        .chain(passerelle_places::vocab::SERVICES.iter().map(|s| (*s, *s)))
        .map(|(v, l)| Choice {
            value: v.into(),
            label: l.into(),
            selected: v == selected,
        })
        .collect()
}

/// The map indicators to choose from.
pub fn map_choices(chosen: MapIndicator) -> Vec<Choice> {
    MapIndicator::ALL
        .iter()
        .map(|m| Choice {
            value: m.code().into(),
            label: m.label().into(),
            selected: *m == chosen,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_dates_and_counts_the_french_way() {
        assert_eq!(percent(Some(0.1234)), "12,3 %");
        assert_eq!(percent(Some(1.0)), "100 %");
        assert_eq!(sentence("au moins 3".into()), "Au moins 3");
        assert_eq!(communes(1), "1 commune");
        assert_eq!(percent(None), "—");
        assert_eq!(km(Some(4.56)), "4,6 km");
        assert_eq!(small_cell(3), "moins de 5");
        assert_eq!(small_cell(0), "0");
        assert_eq!(small_cell(12), "12");
        let t = Total {
            value: None,
            communes_with_data: 0,
            communes: 3,
            secret: 0,
        };
        assert_eq!(count(&t), NOT_LOADED);
        let t = Total {
            value: Some(1234.4),
            communes_with_data: 2,
            communes: 3,
            secret: 0,
        };
        assert_eq!(count(&t), "1\u{202f}234 (partiel : 2 communes sur 3)");
        let t = Total {
            value: Some(85.0),
            communes_with_data: 1,
            communes: 1,
            secret: 3,
        };
        assert_eq!(count(&t), "au moins 85 (3 cases sous secret statistique)");
        assert_eq!(figure(Some(Figure::secret())), "secret statistique");
        assert_eq!(
            fr_date(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
            "1er décembre 2026"
        );
        let t = DateTime::parse_from_rfc3339("2026-12-03T13:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(fr_datetime(t), "3 décembre 2026 à 14 h 30");
        let summer = DateTime::parse_from_rfc3339("2026-07-03T06:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(fr_datetime(summer), "3 juillet 2026 à 8 h 05");
    }
}
