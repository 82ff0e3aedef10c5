//! Figures at any grain, answered from memory: a compact columnar index of
//! the live records (`Index`), kept by each server and updated on every
//! write, and the questions it answers (`Question` → `Answer`): any range
//! of days, any territory, filters on any dimension combined, one or two
//! dimensions in the answer (a crosstab), people and records.
//!
//! Layout (`index`): one segment of columns per commune of the loaded
//! reference (plus one for records without a commune), communes ordered by
//! région, département, EPCI; inside a segment the records are sorted by
//! day. A territory is a set of segments, a period a binary search in each:
//! what is scanned is exactly what is counted. Columns hold small codes:
//! vocabularies by index, sets of themes and distributions of ages,
//! statuses and follow-up interned once (`Profiles`), structures, places,
//! mediators and follow-up codes through dictionaries. About 40 bytes a
//! record.
//!
//! Counting (`query`) follows `aggregate::count_by`: a workshop of 8 counts
//! 8 people and one record; a record counts once under each of its themes
//! and kinds of help; ages, statuses and follow-up share out the people
//! (a workshop of 5 aged 60–69 and 3 aged 70+ gives 5 and 3). Ages are
//! answered in the seeds' brackets (`vocab::seed_bracket`); a filter may
//! name a bracket of the form or of the seeds. Two dimensions that both
//! share out people (ages × statuses of a mixed workshop) share them
//! proportionally, which is exact for every record of one person.

mod geography;
mod index;
mod publish;
mod query;

pub use geography::{CommuneInfo, Geography};
pub use index::{Fact, Index};
pub use publish::{Unreadable, parse_by, parse_day, parse_filters};
pub use query::{Answer, Cell, FollowUp, Key, Question, Refusal};

use chrono::NaiveDate;

/// The first day a record may have (`validate` refuses older ones): day
/// numbers count from it.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2015, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// A day as the index stores it.
pub fn day_number(day: NaiveDate) -> u16 {
    (day - FIRST_DAY).num_days().clamp(0, i64::from(u16::MAX)) as u16
}

pub fn day_of(number: u16) -> NaiveDate {
    FIRST_DAY + chrono::Duration::days(i64::from(number))
}

/// A territory of the reference to count in: everything, or a région, a
/// département, an EPCI, a commune (by official code).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub enum Territory {
    All,
    Region(String),
    Departement(String),
    Epci(String),
    Commune(String),
}

impl Territory {
    /// `all`, `reg:53`, `dep:29`, `epci:<SIREN>`, `com:<INSEE>`: how the
    /// API, the command line and the dashboard's URL write it.
    pub fn key(&self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Region(c) => format!("reg:{c}"),
            Self::Departement(c) => format!("dep:{c}"),
            Self::Epci(c) => format!("epci:{c}"),
            Self::Commune(c) => format!("com:{c}"),
        }
    }

    /// The reverse of `key` (`departement:`, `region:`, `commune:` too).
    pub fn parse(text: &str) -> Option<Self> {
        let (level, code) = text.trim().split_once(':').unwrap_or((text.trim(), ""));
        let code = code.trim().to_string();
        Some(match level {
            "all" | "" => Self::All,
            _ if code.is_empty() => return None,
            "reg" | "region" => Self::Region(code),
            "dep" | "departement" => Self::Departement(code),
            "epci" => Self::Epci(code),
            "com" | "commune" => Self::Commune(code),
            _ => return None,
        })
    }
}

impl From<Territory> for String {
    fn from(t: Territory) -> String {
        t.key()
    }
}

impl TryFrom<String> for Territory {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Territory::parse(&text).ok_or_else(|| format!("not a territory: {text}"))
    }
}

impl From<Dim> for &'static str {
    fn from(d: Dim) -> &'static str {
        d.name()
    }
}

impl TryFrom<String> for Dim {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Dim::parse(&text).ok_or_else(|| format!("not a dimension: {text}"))
    }
}

/// What figures can be counted by and filtered on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Dim {
    Theme,
    Type,
    Duree,
    Age,
    Statut,
    Organisation,
    Aide,
    Autonomie,
    Orientation,
    Suivi,
    Jour,
    Semaine,
    Mois,
    Annee,
    Commune,
    Epci,
    Departement,
    Region,
    Structure,
    Lieu,
    Mediateur,
}

impl Dim {
    pub const ALL: [Dim; 21] = [
        Dim::Theme,
        Dim::Type,
        Dim::Duree,
        Dim::Age,
        Dim::Statut,
        Dim::Organisation,
        Dim::Aide,
        Dim::Autonomie,
        Dim::Orientation,
        Dim::Suivi,
        Dim::Jour,
        Dim::Semaine,
        Dim::Mois,
        Dim::Annee,
        Dim::Commune,
        Dim::Epci,
        Dim::Departement,
        Dim::Region,
        Dim::Structure,
        Dim::Lieu,
        Dim::Mediateur,
    ];

    /// The dimensions of an activity report, as the dashboards table them.
    pub const REPORT: [Dim; 10] = [
        Dim::Theme,
        Dim::Type,
        Dim::Duree,
        Dim::Age,
        Dim::Statut,
        Dim::Organisation,
        Dim::Aide,
        Dim::Autonomie,
        Dim::Orientation,
        Dim::Suivi,
    ];

    /// Its name in the API, the command line and the dashboard's URL.
    pub fn name(self) -> &'static str {
        match self {
            Dim::Theme => "theme",
            Dim::Type => "type",
            Dim::Duree => "duree",
            Dim::Age => "age",
            Dim::Statut => "statut",
            Dim::Organisation => "organisation",
            Dim::Aide => "aide",
            Dim::Autonomie => "autonomie",
            Dim::Orientation => "orientation",
            Dim::Suivi => "suivi",
            Dim::Jour => "jour",
            Dim::Semaine => "semaine",
            Dim::Mois => "mois",
            Dim::Annee => "annee",
            Dim::Commune => "commune",
            Dim::Epci => "epci",
            Dim::Departement => "departement",
            Dim::Region => "region",
            Dim::Structure => "structure",
            Dim::Lieu => "lieu",
            Dim::Mediateur => "mediateur",
        }
    }

    pub fn parse(name: &str) -> Option<Dim> {
        let name = name.trim();
        Dim::ALL.into_iter().find(|d| d.name() == name)
    }

    /// How a page titles it.
    pub fn title(self) -> &'static str {
        match self {
            Dim::Theme => "Thèmes des accompagnements",
            Dim::Type => "Type d’accompagnement",
            Dim::Duree => "Durée",
            Dim::Age => "Âge des personnes",
            Dim::Statut => "Statut des personnes",
            Dim::Organisation => "Démarches : organisme concerné",
            Dim::Aide => "Démarches : aide apportée",
            Dim::Autonomie => "Autonomie à l’issue",
            Dim::Orientation => "Orientation vers",
            Dim::Suivi => "Type d’accompagnement et suivi des personnes",
            Dim::Jour => "Jour",
            Dim::Semaine => "Semaine",
            Dim::Mois => "Mois",
            Dim::Annee => "Année",
            Dim::Commune => "Commune",
            Dim::Epci => "EPCI",
            Dim::Departement => "Département",
            Dim::Region => "Région",
            Dim::Structure => "Structure",
            Dim::Lieu => "Lieu",
            Dim::Mediateur => "Médiateur ou médiatrice",
        }
    }

    /// Whose values share out the people of the total (so that one hidden
    /// cell could be recomputed from the others): every dimension but
    /// themes and kinds of help, which overlap, and those only some
    /// records have.
    pub fn is_partition(self) -> bool {
        !matches!(
            self,
            Dim::Theme | Dim::Aide | Dim::Organisation | Dim::Autonomie | Dim::Orientation
        )
    }

    /// The values of a vocabulary dimension, in their order (empty for the
    /// others: their values come from the records).
    pub fn values(self) -> Vec<&'static str> {
        use crate::vocab;
        match self {
            Dim::Theme => vocab::THEMES.iter().map(|(t, _)| *t).collect(),
            Dim::Type => query::KINDS.iter().map(|k| k.label()).collect(),
            Dim::Duree => query::DURATIONS.to_vec(),
            Dim::Age => vocab::SEED_AGE_BRACKETS.to_vec(),
            Dim::Statut => vocab::STATUSES.to_vec(),
            Dim::Organisation => vocab::ORGANISATIONS.to_vec(),
            Dim::Aide => vocab::KINDS_OF_HELP.to_vec(),
            Dim::Autonomie => vocab::AUTONOMY.to_vec(),
            Dim::Orientation => vocab::ORIENTATIONS.to_vec(),
            Dim::Suivi => query::FOLLOW_UP.to_vec(),
            _ => Vec::new(),
        }
    }
}

impl Question {
    /// The territorial level its cells are published at for the
    /// small-cell rule: a commune's, when the territory is a commune or
    /// the question narrows to or counts by a commune, a place, a
    /// structure or a mediator (as small as a commune or smaller).
    pub fn level(&self) -> crate::aggregate::Level {
        use crate::aggregate::Level;
        let small = |d: &Dim| {
            matches!(
                d,
                Dim::Commune | Dim::Lieu | Dim::Structure | Dim::Mediateur
            )
        };
        if self.by.iter().any(small) || self.filters.iter().any(|(d, _)| small(d)) {
            return Level::Commune;
        }
        match self.territory {
            Territory::Commune(_) => Level::Commune,
            Territory::Epci(_) => Level::Epci,
            Territory::Departement(_) => Level::Departement,
            Territory::Region(_) | Territory::All => Level::Region,
        }
    }
}

impl Answer {
    /// People and records of each cell (`cells`' order) as they may be
    /// shown or exported (`aggregate::protect`): in a crosstab, every row
    /// and every column is protected as a table of its own, and a cell
    /// hidden in either is hidden.
    pub fn protected(&self, level: crate::aggregate::Level) -> Vec<(Option<u64>, Option<u64>)> {
        let counts: Vec<(u64, u64)> = self
            .cells
            .iter()
            .map(|c| (c.people.round() as u64, c.records))
            .collect();
        let mut out: Vec<(Option<u64>, Option<u64>)> =
            counts.iter().map(|(p, r)| (Some(*p), Some(*r))).collect();
        for (k, dim) in self.by.iter().enumerate() {
            // Cells that share every other key form one table over `dim`.
            let mut groups: std::collections::BTreeMap<Vec<Key>, Vec<usize>> = Default::default();
            for (i, c) in self.cells.iter().enumerate() {
                let mut rest = c.keys.clone();
                rest.remove(k);
                groups.entry(rest).or_default().push(i);
            }
            for members in groups.values() {
                let table: Vec<(u64, u64)> = members.iter().map(|i| counts[*i]).collect();
                let shown = crate::aggregate::protect(&table, level, dim.is_partition());
                for (i, (p, r)) in members.iter().zip(shown) {
                    out[*i].0 = out[*i].0.and(p);
                    out[*i].1 = out[*i].0.and(out[*i].1).and(r);
                }
            }
        }
        out
    }
}
