//! The finder's query, shared by the pages and the API: parsed once from
//! the query string (facets repeat: `service=…&service=…`) into
//! `SearchParams`, or refused with a `SearchError` the API says in English
//! (as its clients have always read it) and the pages in French; then run
//! over the in-memory index.

use std::sync::Arc;

use chrono::{NaiveDateTime, NaiveTime, Weekday};
use passerelle_places::search::{Facet, Found, Index, Query};
use passerelle_places::vocab;

use crate::AppState;

/// A facet of the finder: its parameter, its legend, its values, and what
/// pages say of the places that do not give it.
pub struct FacetSpec {
    pub facet: Facet,
    pub param: &'static str,
    pub legend: &'static str,
    pub values: &'static [&'static str],
    /// "sans information sur les frais".
    pub unknown: &'static str,
}

pub const FACETS: [FacetSpec; 7] = [
    FacetSpec {
        facet: Facet::Services,
        param: "service",
        legend: "Besoin",
        values: vocab::SERVICES,
        unknown: "sans information sur les services",
    },
    FacetSpec {
        facet: Facet::Publics,
        param: "public",
        legend: "Public",
        values: vocab::PUBLICS,
        unknown: "sans information sur les publics accueillis",
    },
    FacetSpec {
        facet: Facet::Support,
        param: "support",
        legend: "Prise en charge spécifique",
        values: vocab::SPECIFIC_SUPPORT,
        unknown: "sans information sur les prises en charge",
    },
    FacetSpec {
        facet: Facet::Fees,
        param: "frais",
        legend: "Frais",
        values: vocab::FEES,
        unknown: "sans information sur les frais",
    },
    FacetSpec {
        facet: Facet::Access,
        param: "access",
        legend: "Comment venir",
        values: vocab::ACCESS_MODALITIES,
        unknown: "sans information sur les modalités d’accès",
    },
    FacetSpec {
        facet: Facet::Accompaniment,
        param: "accompaniment",
        legend: "Accompagnement",
        values: vocab::ACCOMPANIMENT_MODALITIES,
        unknown: "sans information sur l’accompagnement",
    },
    FacetSpec {
        facet: Facet::Programmes,
        param: "programme",
        legend: "Dispositif national",
        values: vocab::NATIONAL_PROGRAMMES,
        unknown: "sans information sur les dispositifs nationaux",
    },
];

/// The parameter that includes unknown opening hours.
pub const HOURS_PARAM: &str = "horaires";
pub const HOURS_UNKNOWN: &str = "sans horaires connus";

/// Parts of the day for "open on": code, label, hours.
pub const DAY_PARTS: [(&str, &str, u32, u32); 3] = [
    ("matin", "matin", 8, 12),
    ("apres-midi", "après-midi", 14, 18),
    ("soir", "soir", 18, 21),
];

pub const DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

/// "Open on Tuesday afternoon": a weekday and a part of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOn {
    pub day: usize,
    pub part: usize,
}

impl OpenOn {
    /// `mardi-apres-midi`.
    pub fn parse(value: &str) -> Option<Self> {
        let (day, part) = value.split_once('-')?;
        Some(Self {
            day: DAYS.iter().position(|d| *d == day)?,
            part: DAY_PARTS.iter().position(|(code, ..)| *code == part)?,
        })
    }

    pub fn code(self) -> String {
        format!("{}-{}", DAYS[self.day], DAY_PARTS[self.part].0)
    }

    fn span(self) -> (Weekday, NaiveTime, NaiveTime) {
        let (_, _, start, end) = DAY_PARTS[self.part];
        (
            Weekday::try_from(self.day as u8).expect("a weekday index"),
            NaiveTime::from_hms_opt(start, 0, 0).expect("a time"),
            NaiveTime::from_hms_opt(end, 0, 0).expect("a time"),
        )
    }
}

/// The search parameters, shared by pages and API.
#[derive(Debug, Clone)]
pub struct SearchParams {
    pub q: String,
    pub commune: String,
    pub near: Option<(f64, f64)>,
    pub radius_km: Option<f64>,
    /// Values asked for, per facet of `FACETS` (same order).
    pub facets: [Vec<String>; 7],
    pub open_now: bool,
    pub open_at: Option<NaiveDateTime>,
    pub open_on: Option<OpenOn>,
    /// Facets for which places that do not give them are kept.
    pub include_unknown: Vec<Facet>,
    pub limit: usize,
}

impl Default for SearchParams {
    fn default() -> Self {
        Self {
            q: String::new(),
            commune: String::new(),
            near: None,
            radius_km: None,
            facets: Default::default(),
            open_now: false,
            open_at: None,
            open_on: None,
            include_unknown: Vec::new(),
            limit: 50,
        }
    }
}

/// Why a query string is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchError {
    Malformed,
    NotANumber { param: &'static str, value: String },
    Near(String),
    NearOutOfRange,
    Radius,
    NotInStandard { param: &'static str, value: String },
    OpenAt(String),
    OpenOn(String),
    Limit,
    UnknownFacet(String),
}

impl SearchError {
    /// For API clients, in the words the API has always used.
    pub fn api(&self) -> String {
        match self {
            Self::Malformed => "malformed query".into(),
            Self::NotANumber { param, value } => {
                format!("`{param}` must be a number, not {value:?}")
            }
            Self::Near(_) => "`near` is latitude,longitude (48.11,-1.68)".into(),
            Self::NearOutOfRange => "`near` is out of the WGS84 range".into(),
            Self::Radius => "`radius_km` must be between 0 and 1000".into(),
            Self::NotInStandard { param, value } => {
                format!("`{param}` {value:?} is not a value of the standard")
            }
            Self::OpenAt(v) => {
                format!("`open_at` is a local date and time like 2026-11-24T14:30, not {v:?}")
            }
            Self::OpenOn(v) => format!(
                "`ouvert_le` is a weekday and a part of the day, like mardi-apres-midi, not {v:?}"
            ),
            Self::Limit => "`limit` must be between 1 and 10000".into(),
            Self::UnknownFacet(v) => format!(
                "`inconnu` names a facet (service, public, support, frais, access, accompaniment, programme, horaires), not {v:?}"
            ),
        }
    }

    /// For people, next to the search form.
    pub fn page(&self) -> String {
        match self {
            Self::NotInStandard { value, .. } => format!(
                "« {value} » n’est pas un critère de recherche connu : la recherche a été faite sans critère."
            ),
            Self::Near(_) | Self::NearOutOfRange => {
                "Votre position n’a pas pu être lue : cherchez plutôt près d’une commune.".into()
            }
            _ => "L’adresse de cette recherche est incomplète : la recherche a été faite sans critère. Choisissez de nouveau vos critères.".into(),
        }
    }
}

fn number(value: &str, param: &'static str) -> Result<f64, SearchError> {
    value
        .replace(',', ".")
        .parse::<f64>()
        .map_err(|_| SearchError::NotANumber {
            param,
            value: value.to_string(),
        })
}

impl TryFrom<Vec<(String, String)>> for SearchParams {
    type Error = SearchError;

    fn try_from(pairs: Vec<(String, String)>) -> Result<Self, SearchError> {
        let mut p = SearchParams::default();
        for (key, value) in pairs {
            let value = value.trim().to_string();
            if value.is_empty() {
                continue;
            }
            if let Some(i) = facet_of_param(&key) {
                if !FACETS[i].values.contains(&value.as_str()) {
                    return Err(SearchError::NotInStandard {
                        param: api_name(i),
                        value,
                    });
                }
                p.facets[i].push(value);
                continue;
            }
            match key.as_str() {
                "q" => p.q = value.chars().take(200).collect(),
                "commune" => p.commune = value.chars().take(100).collect(),
                "near" => {
                    let (lat, lon) = value
                        .split_once(',')
                        .ok_or_else(|| SearchError::Near(value.clone()))?;
                    let (lat, lon) = (number(lat, "near")?, number(lon, "near")?);
                    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                        return Err(SearchError::NearOutOfRange);
                    }
                    p.near = Some((lat, lon));
                }
                "radius_km" | "rayon" => {
                    let r = number(&value, "radius_km")?;
                    if !(0.0..=1000.0).contains(&r) {
                        return Err(SearchError::Radius);
                    }
                    p.radius_km = Some(r);
                }
                "open" | "ouvert" if value == "now" || value == "maintenant" => p.open_now = true,
                "open_at" => {
                    p.open_at = Some(
                        NaiveDateTime::parse_from_str(&value, "%Y-%m-%dT%H:%M")
                            .map_err(|_| SearchError::OpenAt(value.clone()))?,
                    )
                }
                "ouvert_le" | "open_on" => {
                    p.open_on = Some(OpenOn::parse(&value).ok_or(SearchError::OpenOn(value))?)
                }
                "inconnu" => {
                    let facet = if value == HOURS_PARAM {
                        Facet::Hours
                    } else {
                        let i = facet_of_param(&value)
                            .ok_or_else(|| SearchError::UnknownFacet(value.clone()))?;
                        FACETS[i].facet
                    };
                    if !p.include_unknown.contains(&facet) {
                        p.include_unknown.push(facet);
                    }
                }
                "limit" => {
                    p.limit = value
                        .parse()
                        .ok()
                        .filter(|l| (1..=10_000).contains(l))
                        .ok_or(SearchError::Limit)?;
                }
                _ => {}
            }
        }
        Ok(p)
    }
}

/// The facet a parameter names: the finder's names and the API's.
fn facet_of_param(key: &str) -> Option<usize> {
    FACETS.iter().position(|f| f.param == key).or(match key {
        "fees" => Some(3),
        _ => None,
    })
}

/// The name the API documents for a facet's parameter.
fn api_name(i: usize) -> &'static str {
    match FACETS[i].param {
        "frais" => "fees",
        other => other,
    }
}

impl SearchParams {
    /// From a raw query string.
    pub fn parse(raw: Option<&str>) -> Result<Self, SearchError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|_| SearchError::Malformed)?;
        Self::try_from(pairs)
    }

    /// The number of filters chosen (values of facets, open now, open on).
    pub fn active_filters(&self) -> usize {
        self.facets.iter().map(Vec::len).sum::<usize>()
            + usize::from(self.open_now)
            + usize::from(self.open_on.is_some())
    }

    fn query(&self, near: Option<(f64, f64)>, now: NaiveDateTime) -> Query {
        let [
            services,
            publics,
            support,
            fees,
            access,
            accompaniment,
            programmes,
        ] = self.facets.clone();
        Query {
            text: self.q.clone(),
            near,
            radius_km: near.map(|_| self.radius_km.unwrap_or(15.0)),
            services,
            publics,
            support,
            fees,
            access,
            accompaniment,
            programmes,
            open_at: self.open_at.or(self.open_now.then_some(now)),
            open_during: self.open_on.map(|o| {
                let (day, start, end) = o.span();
                (now.date(), day, start, end)
            }),
            limit: self.limit,
            include_unknown: self.include_unknown.clone(),
        }
    }
}

/// A search's result.
pub struct Outcome {
    pub index: Arc<Index>,
    pub found: Found,
    /// The commune searched near, when the point came from a commune:
    /// its code and its name with its département's.
    pub commune: Option<(String, String)>,
    /// A commune was asked for and none matches: no results, say so.
    pub unknown_commune: bool,
}

/// Runs a search; the commune (name, postcode or INSEE code) becomes the
/// point to search near when no explicit point is given.
pub async fn run(
    state: &AppState,
    p: &SearchParams,
) -> Result<Outcome, passerelle_store::StoreError> {
    let index = state.place_index().await?;
    let mut near = p.near;
    let mut commune = None;
    if near.is_none() && !p.commune.is_empty() {
        let Some(c) = state
            .db
            .search_communes(&p.commune, 1)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(Outcome {
                index,
                found: Found::default(),
                commune: None,
                unknown_commune: true,
            });
        };
        near = c.latitude.zip(c.longitude);
        commune = Some((c.code, format!("{} ({})", c.nom, c.departement.nom)));
    }
    let found = index.find(&p.query(near, crate::fr::paris_now()));
    Ok(Outcome {
        index,
        found,
        commune,
        unknown_commune: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked() {
        let p = SearchParams::parse(Some("q=m%C3%A9diath%C3%A8que&service=Aide+aux+d%C3%A9marches+administratives&service=Loisirs+et+cr%C3%A9ations+num%C3%A9riques&near=48.1,-1.6&radius_km=5&open=now&inconnu=frais&inconnu=horaires")).unwrap();
        assert_eq!(p.facets[0].len(), 2);
        assert_eq!(p.near, Some((48.1, -1.6)));
        assert!(p.open_now);
        assert_eq!(p.include_unknown, [Facet::Fees, Facet::Hours]);
        assert_eq!(p.active_filters(), 3);
        let bad = SearchParams::parse(Some("service=Démarches")).unwrap_err();
        assert!(bad.api().contains("not a value of the standard"));
        assert!(bad.page().contains("« Démarches »"));
        assert!(
            SearchParams::parse(Some("fees=Gratuitement"))
                .unwrap_err()
                .api()
                .contains("`fees`")
        );
        assert!(SearchParams::parse(Some("near=48.1")).is_err());
        assert!(SearchParams::parse(Some("near=148.1,2")).is_err());
        assert!(SearchParams::parse(Some("radius_km=-1")).is_err());
        assert!(SearchParams::parse(Some("open_at=demain")).is_err());
        assert!(SearchParams::parse(Some("limit=0")).is_err());
        assert!(SearchParams::parse(Some("inconnu=couleur")).is_err());
        assert_eq!(
            SearchParams::parse(Some("ouvert_le=mardi-apres-midi"))
                .unwrap()
                .open_on
                .map(OpenOn::code)
                .as_deref(),
            Some("mardi-apres-midi")
        );
    }
}
