//! Questions to the index and their answers. A question is compiled into
//! the segments and day ranges to read, per-record weights (filters), and
//! one or two code columns; one pass adds each record's weight to a
//! histogram of code pairs (threads share the segments when there are
//! many records), and the histogram is expanded into values at the end.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};

use super::geography::NONE;
use super::index::{Index, Interner, Profile, Segment};
use super::{Dim, Territory, day_number};
use crate::model::Kind;
use crate::vocab;

/// Record kinds by their code in the index.
pub const KINDS: [Kind; 3] = [Kind::Individuel, Kind::Atelier, Kind::Demarche];

/// The duration buckets (`vocab::duration_bucket`), in order.
pub const DURATIONS: [&str; 4] = [
    "moins de 30 min",
    "30 min à 1 h",
    "1 h à 2 h",
    "2 h et plus",
];

/// Kind of accompaniment × whether the people are followed (a follow-up
/// code, or people who came back), by code: kind × 2 + (0 followed, 1 not).
pub const FOLLOW_UP: [&str; 6] = [
    "Accompagnement individuel, avec suivi",
    "Accompagnement individuel, sans suivi",
    "Atelier collectif, avec suivi",
    "Atelier collectif, sans suivi",
    "Aide ponctuelle à une démarche, avec suivi",
    "Aide ponctuelle à une démarche, sans suivi",
];

/// What to count.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Question {
    /// First and last days, included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub territory: Territory,
    /// Per dimension, the values kept (any of them); dimensions combine.
    /// Values as written in the API: a vocabulary's label (`Démarche en
    /// ligne`, `60-69 ans`; a type also as `atelier`), a day `2025-03-10`,
    /// a week `2025-W11`, a month `2025-03`, a year, a territory's code,
    /// an identifier for structures, places and mediators.
    pub filters: Vec<(Dim, Vec<String>)>,
    /// None, one or two dimensions.
    pub by: Vec<Dim>,
}

/// Why a question cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The territory is not in the loaded reference.
    Territory(Territory),
    /// A filter names a value the dimension does not have.
    Value(Dim, String),
    TooManyDimensions,
    /// The last day is before the first.
    Period,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Territory(t) => write!(
                f,
                "« {} » n’est pas un territoire du référentiel chargé",
                t.key()
            ),
            Self::Value(dim, value) => {
                let known = dim.values();
                if known.is_empty() {
                    write!(f, "« {value} » n’est pas une valeur de « {} »", dim.name())
                } else {
                    write!(
                        f,
                        "« {value} » n’est pas une valeur de « {} » : {}",
                        dim.name(),
                        known.join(", ")
                    )
                }
            }
            Self::TooManyDimensions => write!(f, "au plus deux dimensions à la fois"),
            Self::Period => write!(f, "le dernier jour est avant le premier"),
        }
    }
}

/// A value of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A vocabulary's value: its position in `Dim::values`.
    Value(Dim, u8),
    Day(NaiveDate),
    /// The Monday starting the week.
    Week(NaiveDate),
    /// The first of the month.
    Month(NaiveDate),
    Year(i32),
    Territory(Territory),
    Structure(i64),
    Place(i64),
    Mediator(i64),
    /// Records without one: no commune of the reference, no structure…
    None(Dim),
}

impl Key {
    /// The machine form: the label of a vocabulary's value, `2025-03-10`,
    /// `2025-W11`, `2025-03`, `2025`, `dep:29`, an identifier, or empty.
    pub fn code(&self) -> String {
        match self {
            Key::Value(dim, i) => dim.values().get(*i as usize).copied().unwrap_or("").into(),
            Key::Day(d) => d.to_string(),
            Key::Week(d) => format!("{}-W{:02}", d.iso_week().year(), d.iso_week().week()),
            Key::Month(d) => d.format("%Y-%m").to_string(),
            Key::Year(y) => y.to_string(),
            Key::Territory(t) => t.key(),
            Key::Structure(id) | Key::Place(id) | Key::Mediator(id) => id.to_string(),
            Key::None(_) => String::new(),
        }
    }
}

/// One cell: people (a workshop of 8 counts 8; shared out proportionally
/// when two dimensions share out people) and records.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub keys: Vec<Key>,
    pub people: f64,
    pub records: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub by: Vec<Dim>,
    /// Cells with records, in the order of their keys.
    pub cells: Vec<Cell>,
    /// The total of the question (each record once).
    pub people: f64,
    pub records: u64,
}

/// People followed over several sessions, from the pseudonymous
/// follow-up codes (and the CRA v1 reports' people who came back).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FollowUp {
    /// People: one per follow-up code, and every person of records
    /// without one.
    pub persons: f64,
    /// Follow-up codes seen.
    pub identified: u64,
    /// Of them, seen in two records or more.
    pub several_sessions: u64,
    /// People of records without a code said to have come back.
    pub returning: f64,
}

impl FollowUp {
    /// People accompanied before ("personnes déjà accompagnées").
    pub fn followed(&self) -> f64 {
        self.several_sessions as f64 + self.returning
    }

    /// Their share of the people, 0–1.
    pub fn share(&self) -> f64 {
        if self.persons > 0.0 {
            self.followed() / self.persons
        } else {
            0.0
        }
    }
}

/// A column read for a dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Kind,
    Duration,
    Themes,
    Ages,
    Statuses,
    Suivi,
    Organisation,
    Helps,
    Autonomy,
    Orientation,
    /// Days mapped through a table (jour, semaine, mois, année).
    Day,
    Structure,
    Mediator,
    Place,
    /// A territorial level: one code per segment.
    Territory,
}

fn column(dim: Dim) -> Col {
    match dim {
        Dim::Type => Col::Kind,
        Dim::Duree => Col::Duration,
        Dim::Theme => Col::Themes,
        Dim::Age => Col::Ages,
        Dim::Statut => Col::Statuses,
        Dim::Suivi => Col::Suivi,
        Dim::Organisation => Col::Organisation,
        Dim::Aide => Col::Helps,
        Dim::Autonomie => Col::Autonomy,
        Dim::Orientation => Col::Orientation,
        Dim::Jour | Dim::Semaine | Dim::Mois | Dim::Annee => Col::Day,
        Dim::Structure => Col::Structure,
        Dim::Mediateur => Col::Mediator,
        Dim::Lieu => Col::Place,
        Dim::Commune | Dim::Epci | Dim::Departement | Dim::Region => Col::Territory,
    }
}

/// The raw values a dimension's code stands for, with their share of the
/// record's people: a theme set gives each theme (share 1), a profile its
/// values (share n / total).
fn raw_values(index: &Index, col: Col, code: u32) -> Vec<(u32, f64)> {
    let profile = |p: &Interner<Profile>| {
        let parts = &p.items[code as usize];
        let total: f64 = parts.iter().map(|(_, n)| f64::from(*n)).sum();
        parts
            .iter()
            .map(|(v, n)| (u32::from(*v), f64::from(*n) / total))
            .collect()
    };
    let bits = |mask: u32| {
        (0..32)
            .filter(move |b| mask & (1 << b) != 0)
            .map(|b| (b, 1.0))
    };
    match col {
        Col::Themes => bits(index.themes.items[code as usize]).collect(),
        Col::Helps => bits(code).collect(),
        Col::Ages => profile(&index.ages),
        Col::Statuses => profile(&index.statuses),
        Col::Suivi => profile(&index.suivis),
        Col::Organisation | Col::Autonomy | Col::Orientation if code == 0 => Vec::new(),
        Col::Organisation | Col::Autonomy | Col::Orientation => vec![(code - 1, 1.0)],
        _ => vec![(code, 1.0)],
    }
}

/// What a filter keeps of a dimension's raw values.
#[derive(Debug, Clone)]
enum Kept {
    /// Raw value numbers (vocabularies, dictionaries, territories).
    Values(Vec<bool>),
    /// Day numbers.
    Days(Vec<bool>),
}

impl Kept {
    fn has(&self, v: u32) -> bool {
        match self {
            Kept::Values(k) | Kept::Days(k) => k.get(v as usize).copied().unwrap_or(false),
        }
    }
}

/// How many codes a column has in this index.
fn code_space(index: &Index, col: Col) -> usize {
    match col {
        Col::Kind => 3,
        Col::Duration => DURATIONS.len(),
        Col::Themes => index.themes.len(),
        Col::Ages => index.ages.len(),
        Col::Statuses => index.statuses.len(),
        Col::Suivi => index.suivis.len(),
        Col::Organisation => vocab::ORGANISATIONS.len() + 1,
        Col::Helps => 128,
        Col::Autonomy => vocab::AUTONOMY.len() + 1,
        Col::Orientation => vocab::ORIENTATIONS.len() + 1,
        Col::Day => usize::from(u16::MAX) + 1,
        Col::Structure => index.structures.len(),
        Col::Mediator => index.mediators.len(),
        Col::Place => index.places.len(),
        Col::Territory => 0,
    }
}

/// The raw values of a vocabulary dimension a filter value names.
fn vocabulary_values(dim: Dim, value: &str) -> Vec<u32> {
    let at = |list: &[&str]| list.iter().position(|v| *v == value).map(|i| i as u32);
    match dim {
        Dim::Type => match value {
            "individuel" => vec![0],
            "atelier" => vec![1],
            "demarche" => vec![2],
            _ => KINDS
                .iter()
                .position(|k| k.label() == value)
                .map(|i| vec![i as u32])
                .unwrap_or_default(),
        },
        // A bracket of the form, or of the seeds with every bracket of the
        // form inside it.
        Dim::Age => vocab::RECORD_AGE_BRACKETS
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == value || vocab::seed_bracket(b) == Some(value))
            .map(|(i, _)| i as u32)
            .collect(),
        _ => at(&dim.values()).into_iter().collect(),
    }
}

/// The day numbers of a time filter's value.
fn days_of(dim: Dim, value: &str) -> Option<std::ops::RangeInclusive<NaiveDate>> {
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    match dim {
        Dim::Jour => day(value).map(|d| d..=d),
        Dim::Semaine => {
            let (year, week) = value.split_once("-W")?;
            let monday = NaiveDate::from_isoywd_opt(
                year.parse().ok()?,
                week.parse().ok()?,
                chrono::Weekday::Mon,
            )
            .or_else(|| day(value).map(monday_of))?;
            Some(monday..=monday + Duration::days(6))
        }
        Dim::Mois => {
            let first = day(&format!("{value}-01"))?;
            let next = first.checked_add_months(chrono::Months::new(1))?;
            Some(first..=next.pred_opt()?)
        }
        Dim::Annee => {
            let y: i32 = value.parse().ok()?;
            Some(NaiveDate::from_ymd_opt(y, 1, 1)?..=NaiveDate::from_ymd_opt(y, 12, 31)?)
        }
        _ => None,
    }
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// The territory a filter value of a territorial dimension names: a code
/// (`29`) or a key (`dep:29`).
fn territory_value(dim: Dim, value: &str) -> Territory {
    let code = value.split_once(':').map_or(value, |(_, c)| c).to_string();
    match dim {
        Dim::Region => Territory::Region(code),
        Dim::Departement => Territory::Departement(code),
        Dim::Epci => Territory::Epci(code),
        _ => Territory::Commune(code),
    }
}

/// A question made ready for the columns.
struct Plan {
    from: u16,
    to: u16,
    /// Segments to read.
    segments: Vec<u32>,
    /// Per-record weight factors: a column and a factor per code (0: the
    /// record is left out; a share for a dimension that shares out
    /// people; 1).
    weights: Vec<(Col, Vec<f32>)>,
    /// Answer dimensions with their columns, and what filters keep of them.
    by: Vec<(Dim, Col, Option<Kept>)>,
    /// Per answer dimension, the code of each day (time dimensions).
    day_codes: Vec<Option<Vec<u32>>>,
    /// Per answer dimension, the code of each segment (territories).
    segment_codes: Vec<Option<Vec<u32>>>,
}

impl Index {
    fn kept(&self, dim: Dim, values: &[String]) -> Result<Kept, Refusal> {
        let unknown = |v: &String| Refusal::Value(dim, v.clone());
        let col = column(dim);
        match dim {
            Dim::Jour | Dim::Semaine | Dim::Mois | Dim::Annee => {
                let mut days = vec![false; usize::from(u16::MAX) + 1];
                for v in values {
                    let range = days_of(dim, v.trim()).ok_or_else(|| unknown(v))?;
                    for d in day_number(*range.start())..=day_number(*range.end()) {
                        days[usize::from(d)] = true;
                    }
                }
                Ok(Kept::Days(days))
            }
            Dim::Structure | Dim::Lieu | Dim::Mediateur => {
                let dict = match dim {
                    Dim::Structure => &self.structures,
                    Dim::Lieu => &self.places,
                    _ => &self.mediators,
                };
                let mut kept = vec![false; dict.len()];
                for v in values {
                    let id: i64 = v.trim().parse().map_err(|_| unknown(v))?;
                    // An identifier without records keeps nothing.
                    if let Some(n) = dict.get(&id).filter(|n| *n != 0) {
                        kept[n as usize] = true;
                    }
                }
                Ok(Kept::Values(kept))
            }
            Dim::Commune | Dim::Epci | Dim::Departement | Dim::Region => {
                let mut kept = vec![false; self.geo.len() + 1];
                for v in values {
                    let t = territory_value(dim, v.trim());
                    for c in self.geo.communes_of(&t).ok_or(Refusal::Territory(t))? {
                        kept[c as usize] = true;
                    }
                }
                Ok(Kept::Values(kept))
            }
            _ => {
                let size = match col {
                    Col::Ages => vocab::RECORD_AGE_BRACKETS.len(),
                    _ => dim.values().len(),
                };
                let mut kept = vec![false; size.max(8)];
                for v in values {
                    let found = vocabulary_values(dim, v.trim());
                    if found.is_empty() {
                        return Err(unknown(v));
                    }
                    for f in found {
                        kept[f as usize] = true;
                    }
                }
                Ok(Kept::Values(kept))
            }
        }
    }

    /// Per code of a column, the share of people a filter keeps.
    fn factors(&self, col: Col, kept: &Kept, as_pass: bool) -> Vec<f32> {
        (0..code_space(self, col) as u32)
            .map(|code| {
                let share: f64 = raw_values(self, col, code)
                    .iter()
                    .filter(|(v, _)| kept.has(*v))
                    .map(|(_, s)| *s)
                    .sum();
                let share = match col {
                    // A set: kept when any of its values is.
                    Col::Themes | Col::Helps => share.min(1.0),
                    _ => share,
                };
                if as_pass && share > 0.0 {
                    1.0
                } else {
                    share as f32
                }
            })
            .collect()
    }

    fn plan(&self, q: &Question) -> Result<Plan, Refusal> {
        if q.by.len() > 2 {
            return Err(Refusal::TooManyDimensions);
        }
        if q.to < q.from {
            return Err(Refusal::Period);
        }
        let mut communes = vec![false; self.geo.len() + 1];
        for c in self
            .geo
            .communes_of(&q.territory)
            .ok_or_else(|| Refusal::Territory(q.territory.clone()))?
        {
            communes[c as usize] = true;
        }
        // Records without a commune of the reference count for all only.
        communes[self.geo.len()] = q.territory == Territory::All;
        let mut weights = Vec::new();
        let mut kept_by: HashMap<Dim, Kept> = HashMap::new();
        for (dim, values) in &q.filters {
            let kept = self.kept(*dim, values)?;
            match column(*dim) {
                Col::Territory => {
                    for (c, k) in communes.iter_mut().enumerate() {
                        *k &= kept.has(c as u32);
                    }
                }
                Col::Day => {
                    let table = match &kept {
                        Kept::Days(d) => d.iter().map(|k| f32::from(u8::from(*k))).collect(),
                        Kept::Values(_) => unreachable!("days"),
                    };
                    weights.push((Col::Day, table));
                }
                col => {
                    let answered = q.by.contains(dim);
                    weights.push((col, self.factors(col, &kept, answered)));
                    // Answered too: the expansion keeps only the kept values
                    // and their shares; the weight only says pass or not.
                }
            }
            kept_by.insert(*dim, kept);
        }
        let segments = (0..communes.len() as u32)
            .filter(|c| communes[*c as usize] && self.segments[*c as usize].len() > 0)
            .collect();
        // Time and territory filters are applied to days and segments; the
        // others also narrow the values an answered dimension expands to.
        let by: Vec<(Dim, Col, Option<Kept>)> =
            q.by.iter()
                .map(|d| {
                    let col = column(*d);
                    let kept = kept_by
                        .get(d)
                        .filter(|_| !matches!(col, Col::Day | Col::Territory));
                    (*d, col, kept.cloned())
                })
                .collect();
        let from = day_number(q.from);
        let day_codes = by
            .iter()
            .map(|(d, col, _)| (*col == Col::Day).then(|| day_table(*d, q.from, q.to)))
            .collect();
        let segment_codes = by
            .iter()
            .map(|(d, col, _)| (*col == Col::Territory).then(|| self.segment_table(*d)))
            .collect();
        Ok(Plan {
            from,
            to: day_number(q.to),
            segments,
            weights,
            by,
            day_codes,
            segment_codes,
        })
    }

    /// Per segment, the number of its territory at a level; the number
    /// of communes for none (no commune of the reference, no EPCI).
    fn segment_table(&self, dim: Dim) -> Vec<u32> {
        let g = &self.geo;
        let none = g.len() as u32;
        (0..=g.len())
            .map(|c| {
                if c == g.len() {
                    return none;
                }
                match dim {
                    Dim::Commune => c as u32,
                    Dim::Epci if g.epci_of[c] == NONE => none,
                    Dim::Epci => g.epci_of[c],
                    Dim::Departement => g.departement_of[c],
                    _ => g.region_of[c],
                }
            })
            .collect()
    }

    /// Answers a question.
    pub fn answer(&self, q: &Question) -> Result<Answer, Refusal> {
        let plan = self.plan(q)?;
        let hist = self.scan(&plan);
        Ok(self.expand(q, &plan, hist))
    }

    /// The follow-up of the people a question counts.
    pub fn follow_up(&self, q: &Question) -> Result<FollowUp, Refusal> {
        let plan = self.plan(&Question {
            by: Vec::new(),
            ..q.clone()
        })?;
        let mut sessions: HashMap<u32, u32> = HashMap::new();
        let mut out = FollowUp::default();
        let mut w = Vec::new();
        for &seg in &plan.segments {
            let s = &self.segments[seg as usize];
            let range = s.days(plan.from, plan.to);
            weigh(s, &range, &plan.weights, &mut w);
            for (j, i) in range.enumerate() {
                if w[j] <= 0.0 {
                    continue;
                }
                match s.follow[i] {
                    0 => {
                        out.persons += f64::from(w[j]);
                        let back = raw_values(self, Col::Suivi, s.suivi[i])
                            .iter()
                            .filter(|(v, _)| v % 2 == 0)
                            .map(|(_, share)| share)
                            .sum::<f64>();
                        out.returning += f64::from(w[j]) * back;
                    }
                    code => *sessions.entry(code).or_default() += 1,
                }
            }
        }
        out.identified = sessions.len() as u64;
        out.several_sessions = sessions.values().filter(|n| **n >= 2).count() as u64;
        out.persons += out.identified as f64;
        Ok(out)
    }

    /// Adds the weight of every record read to the histogram of its codes.
    fn scan(&self, plan: &Plan) -> Hist {
        let spaces: Vec<usize> = plan
            .by
            .iter()
            .enumerate()
            .map(|(k, (_, col, _))| match col {
                Col::Day => plan.day_codes[k].as_ref().map_or(1, |t| {
                    t.iter()
                        .filter(|c| **c != u32::MAX)
                        .max()
                        .map_or(1, |m| *m as usize + 1)
                }),
                Col::Territory => self.geo.len() + 1,
                col => code_space(self, *col),
            })
            .collect();
        let width = spaces.get(1).copied().unwrap_or(1).max(1) as u64;
        let dense = spaces.iter().map(|s| (*s).max(1) as u64).product::<u64>() <= 1 << 20;
        let work: Vec<(u32, std::ops::Range<usize>)> = plan
            .segments
            .iter()
            .map(|&seg| (seg, self.segments[seg as usize].days(plan.from, plan.to)))
            .filter(|(_, r)| !r.is_empty())
            .collect();
        let total: usize = work.iter().map(|(_, r)| r.len()).sum();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
            .min(total / 200_000 + 1);
        let run = |part: &[(u32, std::ops::Range<usize>)]| {
            let mut hist = Hist::new(dense, width, &spaces);
            let mut w = Vec::new();
            for (seg, range) in part {
                let s = &self.segments[*seg as usize];
                weigh(s, range, &plan.weights, &mut w);
                let codes: Vec<Codes> = (0..plan.by.len())
                    .map(|k| self.codes(s, *seg, plan, k))
                    .collect();
                let a = codes.first().copied().unwrap_or(Codes::Const(0));
                let b = codes.get(1).copied().unwrap_or(Codes::Const(0));
                accumulate(a, b, range.clone(), &w, width, &mut hist);
            }
            hist
        };
        if threads <= 1 {
            return run(&work);
        }
        let per = total.div_ceil(threads);
        let mut parts: Vec<Vec<(u32, std::ops::Range<usize>)>> = vec![Vec::new()];
        let mut size = 0;
        for (seg, range) in work {
            if size >= per {
                parts.push(Vec::new());
                size = 0;
            }
            size += range.len();
            parts.last_mut().expect("a part").push((seg, range));
        }
        let hists: Vec<Hist> = std::thread::scope(|scope| {
            let handles: Vec<_> = parts.iter().map(|part| scope.spawn(|| run(part))).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a counting thread"))
                .collect()
        });
        let mut hists = hists.into_iter();
        let mut out = hists.next().expect("one part at least");
        for h in hists {
            out.merge(h);
        }
        out
    }

    /// The codes of answer dimension `k` in a segment.
    fn codes<'a>(&self, s: &'a Segment, seg: u32, plan: &'a Plan, k: usize) -> Codes<'a> {
        match plan.by[k].1 {
            Col::Kind => Codes::U8(&s.kind),
            Col::Duration => Codes::U8(&s.duration),
            Col::Themes => Codes::U32(&s.themes),
            Col::Ages => Codes::U32(&s.ages),
            Col::Statuses => Codes::U32(&s.statuses),
            Col::Suivi => Codes::U32(&s.suivi),
            Col::Organisation => Codes::U8(&s.organisation),
            Col::Helps => Codes::U8(&s.helps),
            Col::Autonomy => Codes::U8(&s.autonomy),
            Col::Orientation => Codes::U8(&s.orientation),
            Col::Day => Codes::Day(&s.day, plan.day_codes[k].as_deref().unwrap_or(&[])),
            Col::Structure => Codes::U32(&s.structure),
            Col::Mediator => Codes::U32(&s.mediator),
            Col::Place => Codes::U32(&s.place),
            Col::Territory => Codes::Const(
                plan.segment_codes[k]
                    .as_ref()
                    .map_or(0, |t| t[seg as usize]),
            ),
        }
    }

    /// The keys a code of answer dimension `k` stands for, with their
    /// shares of the people, within what the filters keep.
    fn keys(&self, q: &Question, plan: &Plan, k: usize, code: u32) -> Vec<(Key, f64)> {
        let (dim, col, kept) = &plan.by[k];
        let dim = *dim;
        let key = |v: u32| -> Key {
            match col {
                Col::Ages => {
                    let bracket = vocab::RECORD_AGE_BRACKETS[v as usize];
                    let seed = vocab::seed_bracket(bracket).unwrap_or("non communiqué");
                    let i = vocab::SEED_AGE_BRACKETS
                        .iter()
                        .position(|b| *b == seed)
                        .unwrap_or(vocab::SEED_AGE_BRACKETS.len() - 1);
                    Key::Value(dim, i as u8)
                }
                Col::Day => time_key(dim, q.from, v),
                Col::Territory => self.territory_key(dim, v),
                Col::Structure | Col::Mediator | Col::Place => {
                    let dict = match col {
                        Col::Structure => &self.structures,
                        Col::Mediator => &self.mediators,
                        _ => &self.places,
                    };
                    match (v, col) {
                        (0, _) => Key::None(dim),
                        (_, Col::Structure) => Key::Structure(dict.items[v as usize]),
                        (_, Col::Mediator) => Key::Mediator(dict.items[v as usize]),
                        _ => Key::Place(dict.items[v as usize]),
                    }
                }
                _ => Key::Value(dim, v as u8),
            }
        };
        let raw = match col {
            Col::Day | Col::Territory => vec![(code, 1.0)],
            _ => raw_values(self, *col, code),
        };
        let mut out: Vec<(Key, f64)> = Vec::new();
        for (v, share) in raw {
            if kept.as_ref().is_some_and(|kept| !kept.has(v)) {
                continue;
            }
            let k = key(v);
            match out.iter_mut().find(|(o, _)| *o == k) {
                Some((_, s)) => *s += share,
                None => out.push((k, share)),
            }
        }
        out
    }

    fn territory_key(&self, dim: Dim, n: u32) -> Key {
        let g = &self.geo;
        let level = match dim {
            Dim::Commune => &g.communes,
            Dim::Epci => &g.epcis,
            Dim::Departement => &g.departements,
            _ => &g.regions,
        };
        let Some(code) = level.codes.get(n as usize).cloned() else {
            return Key::None(dim);
        };
        Key::Territory(match dim {
            Dim::Commune => Territory::Commune(code),
            Dim::Epci => Territory::Epci(code),
            Dim::Departement => Territory::Departement(code),
            _ => Territory::Region(code),
        })
    }

    /// The name of a territory of an answer.
    pub fn territory_name(&self, t: &Territory) -> Option<&str> {
        self.geo.name_of(t)
    }

    fn expand(&self, q: &Question, plan: &Plan, hist: Hist) -> Answer {
        let mut cells: HashMap<Vec<Key>, (f64, u64)> = HashMap::new();
        let (mut people, mut records) = (0.0, 0u64);
        let mut memo: Vec<HashMap<u32, Vec<(Key, f64)>>> = vec![HashMap::new(); plan.by.len()];
        hist.each(|a, b, p, r| {
            let codes = [a, b];
            let mut expanded: Vec<(Vec<Key>, f64)> = vec![(Vec::new(), 1.0)];
            // The total counts each record once, with the share of its
            // people a filter keeps of a dimension that shares them out.
            let mut kept = 1.0;
            for (k, memo) in memo.iter_mut().enumerate() {
                let keys = memo
                    .entry(codes[k])
                    .or_insert_with(|| self.keys(q, plan, k, codes[k]));
                if plan.by[k].2.is_some() && shares_people(plan.by[k].1) {
                    kept *= keys.iter().map(|(_, s)| *s).sum::<f64>();
                }
                expanded = expanded
                    .into_iter()
                    .flat_map(|(prefix, share)| {
                        keys.iter().map(move |(key, s)| {
                            let mut keys = prefix.clone();
                            keys.push(key.clone());
                            (keys, share * s)
                        })
                    })
                    .collect();
            }
            people += p * kept;
            records += r;
            for (keys, share) in expanded {
                let cell = cells.entry(keys).or_default();
                cell.0 += p * share;
                cell.1 += r;
            }
        });
        let mut cells: Vec<Cell> = cells
            .into_iter()
            .map(|(keys, (people, records))| Cell {
                keys,
                people,
                records,
            })
            .collect();
        cells.sort_by(|a, b| a.keys.cmp(&b.keys));
        Answer {
            by: q.by.clone(),
            cells,
            people,
            records,
        }
    }
}

/// Whether a column's values share out people (their shares add up to 1)
/// rather than each carrying them all (themes, kinds of help).
fn shares_people(col: Col) -> bool {
    matches!(col, Col::Ages | Col::Statuses | Col::Suivi)
}

/// The key of a time dimension's code.
fn time_key(dim: Dim, from: NaiveDate, code: u32) -> Key {
    match dim {
        Dim::Jour => Key::Day(from + Duration::days(i64::from(code))),
        Dim::Semaine => Key::Week(monday_of(from) + Duration::days(7 * i64::from(code))),
        Dim::Mois => {
            let first = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).expect("a month");
            Key::Month(
                first
                    .checked_add_months(chrono::Months::new(code))
                    .expect("a month"),
            )
        }
        _ => Key::Year(from.year() + code as i32),
    }
}

/// Per day number, its code for a time dimension over the period (codes
/// from 0 at the first day, week, month or year of the period).
fn day_table(dim: Dim, from: NaiveDate, to: NaiveDate) -> Vec<u32> {
    let mut table = vec![u32::MAX; usize::from(u16::MAX) + 1];
    let mut d = from;
    while d <= to {
        let code = match dim {
            Dim::Jour => (d - from).num_days() as u32,
            Dim::Semaine => ((monday_of(d) - monday_of(from)).num_days() / 7) as u32,
            Dim::Mois => {
                ((d.year() - from.year()) * 12 + d.month() as i32 - from.month() as i32) as u32
            }
            _ => (d.year() - from.year()) as u32,
        };
        table[usize::from(day_number(d))] = code;
        d += Duration::days(1);
    }
    table
}

/// The weight of each record of `range`: its people times what every
/// filter keeps of it (0: left out).
fn weigh(
    s: &Segment,
    range: &std::ops::Range<usize>,
    factors: &[(Col, Vec<f32>)],
    w: &mut Vec<f32>,
) {
    w.clear();
    w.extend(s.people[range.clone()].iter().map(|p| f32::from(*p)));
    for (col, table) in factors {
        macro_rules! apply {
            ($column:expr) => {
                for (j, code) in $column[range.clone()].iter().enumerate() {
                    w[j] *= table[*code as usize];
                }
            };
        }
        match col {
            Col::Kind => apply!(s.kind),
            Col::Duration => apply!(s.duration),
            Col::Themes => apply!(s.themes),
            Col::Ages => apply!(s.ages),
            Col::Statuses => apply!(s.statuses),
            Col::Suivi => apply!(s.suivi),
            Col::Organisation => apply!(s.organisation),
            Col::Helps => apply!(s.helps),
            Col::Autonomy => apply!(s.autonomy),
            Col::Orientation => apply!(s.orientation),
            Col::Day => apply!(s.day),
            Col::Structure => apply!(s.structure),
            Col::Mediator => apply!(s.mediator),
            Col::Place => apply!(s.place),
            Col::Territory => {}
        }
    }
}

/// A column of codes, as the counting loop reads it.
#[derive(Clone, Copy)]
enum Codes<'a> {
    U8(&'a [u8]),
    U32(&'a [u32]),
    /// Days through a table.
    Day(&'a [u16], &'a [u32]),
    /// One code for the whole segment.
    Const(u32),
}

trait Code {
    fn at(&self, i: usize) -> u32;
}

struct C8<'a>(&'a [u8]);
struct C32<'a>(&'a [u32]);
struct CDay<'a>(&'a [u16], &'a [u32]);
struct CConst(u32);

impl Code for C8<'_> {
    #[inline(always)]
    fn at(&self, i: usize) -> u32 {
        u32::from(self.0[i])
    }
}
impl Code for C32<'_> {
    #[inline(always)]
    fn at(&self, i: usize) -> u32 {
        self.0[i]
    }
}
impl Code for CDay<'_> {
    #[inline(always)]
    fn at(&self, i: usize) -> u32 {
        self.1[usize::from(self.0[i])]
    }
}
impl Code for CConst {
    #[inline(always)]
    fn at(&self, _: usize) -> u32 {
        self.0
    }
}

fn accumulate(
    a: Codes,
    b: Codes,
    range: std::ops::Range<usize>,
    w: &[f32],
    width: u64,
    hist: &mut Hist,
) {
    macro_rules! with_b {
        ($a:expr) => {
            match b {
                Codes::U8(c) => add(&$a, &C8(c), range, w, width, hist),
                Codes::U32(c) => add(&$a, &C32(c), range, w, width, hist),
                Codes::Day(d, t) => add(&$a, &CDay(d, t), range, w, width, hist),
                Codes::Const(c) => add(&$a, &CConst(c), range, w, width, hist),
            }
        };
    }
    match a {
        Codes::U8(c) => with_b!(C8(c)),
        Codes::U32(c) => with_b!(C32(c)),
        Codes::Day(d, t) => with_b!(CDay(d, t)),
        Codes::Const(c) => with_b!(CConst(c)),
    }
}

#[inline(always)]
fn add<A: Code, B: Code>(
    a: &A,
    b: &B,
    range: std::ops::Range<usize>,
    w: &[f32],
    width: u64,
    hist: &mut Hist,
) {
    let lo = range.start;
    match hist {
        Hist::Dense(cells, _) => {
            for i in range {
                let weight = w[i - lo];
                let key = u64::from(a.at(i)) * width + u64::from(b.at(i));
                // A code outside the period's table (u32::MAX) is never
                // reached: its day is outside the range read.
                let cell = &mut cells[key as usize];
                cell.0 += f64::from(weight);
                cell.1 += u64::from(weight > 0.0);
            }
        }
        Hist::Sparse(cells) => {
            for i in range {
                let weight = w[i - lo];
                if weight > 0.0 {
                    let cell = cells.entry((a.at(i), b.at(i))).or_default();
                    cell.0 += f64::from(weight);
                    cell.1 += 1;
                }
            }
        }
    }
}

/// People and records per pair of codes (`a × width + b` when dense).
enum Hist {
    Dense(Vec<(f64, u64)>, u64),
    Sparse(HashMap<(u32, u32), (f64, u64)>),
}

impl Hist {
    fn new(dense: bool, width: u64, spaces: &[usize]) -> Self {
        if dense {
            let size = spaces.iter().map(|s| (*s).max(1)).product::<usize>();
            Hist::Dense(vec![(0.0, 0); size.max(width as usize)], width)
        } else {
            Hist::Sparse(HashMap::new())
        }
    }

    fn merge(&mut self, other: Hist) {
        match (self, other) {
            (Hist::Dense(a, _), Hist::Dense(b, _)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.0 += y.0;
                    x.1 += y.1;
                }
            }
            (Hist::Sparse(a), Hist::Sparse(b)) => {
                for (k, v) in b {
                    let e = a.entry(k).or_default();
                    e.0 += v.0;
                    e.1 += v.1;
                }
            }
            _ => unreachable!("one kind of histogram per question"),
        }
    }

    /// Each pair with records: (code a, code b, people, records).
    fn each(&self, mut f: impl FnMut(u32, u32, f64, u64)) {
        match self {
            Hist::Dense(cells, width) => {
                for (key, (p, r)) in cells.iter().enumerate() {
                    if *r > 0 {
                        let key = key as u64;
                        f((key / width) as u32, (key % width) as u32, *p, *r);
                    }
                }
            }
            Hist::Sparse(cells) => {
                for ((a, b), (p, r)) in cells {
                    if *r > 0 {
                        f(*a, *b, *p, *r);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
