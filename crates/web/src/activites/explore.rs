//! Figures at any grain (issue 18 §1): any range of days, territory and
//! filters, by one or two dimensions (a crosstab), people and records,
//! answered from the index of live records that the server keeps
//! (`AppState::with_activities`). The same question three ways: the page
//! `/activites/statistiques` (its form's fields kept in the URL), its CSV,
//! and `GET /api/v1/activities/stats`. Who sees what is
//! `policy::activity_figures`: a coordinator her territories (decided on
//! their `Location`), a structure its records, a mediator hers, with the
//! small-cell rule on every cell.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use chrono::Datelike;
use passerelle_accounts::policy::{Denial, FiguresScope, activity_figures};
use passerelle_activities::aggregate::Level;
use passerelle_activities::stats::{Answer, Dim, Key, Question, Refusal, Territory, Unreadable};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Viewer, api_denial};
use crate::error::{ApiError, PageError, PageResult};
use crate::fr;
use crate::pages::{Chrome, Crumb, crumbs, render};

const PATH: &str = "/activites/statistiques";

/// A question as the URL (the page's form, the API) writes it.
#[derive(Deserialize, Serialize, IntoParams, Default, Clone, Debug)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// `all`, `reg:<code>`, `dep:<code>`, `epci:<SIREN>`, `com:<INSEE>`;
    /// a coordinator's first territory when not given.
    #[serde(default)]
    pub territory: Option<String>,
    /// First day counted, `2025-03-10` (1 January of this year when not
    /// given).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day counted, included (31 December when not given).
    #[serde(default)]
    pub to: Option<String>,
    /// None (the total), one or two dimensions: `theme`, `theme,age`.
    #[serde(default)]
    pub by: Option<String>,
    /// A second dimension (the page's second select).
    #[serde(default)]
    pub by2: Option<String>,
    /// Filters, one value each: a vocabulary's label (`Démarche en
    /// ligne`, `60-69 ans`; `atelier` for a type), a place, structure or
    /// mediator identifier, a territory code.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub duree: Option<String>,
    #[serde(default)]
    pub age: Option<String>,
    #[serde(default)]
    pub statut: Option<String>,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub aide: Option<String>,
    #[serde(default)]
    pub autonomie: Option<String>,
    #[serde(default)]
    pub orientation: Option<String>,
    #[serde(default)]
    pub commune: Option<String>,
    #[serde(default)]
    pub structure: Option<String>,
    #[serde(default)]
    pub lieu: Option<String>,
    #[serde(default)]
    pub mediateur: Option<String>,
    /// A national programme: the places that take part in it.
    #[serde(default)]
    pub programme: Option<String>,
}

impl StatsParams {
    /// Every field by its name in the URL, in the form's order.
    fn named(&self) -> [(&'static str, &Option<String>); 19] {
        [
            ("territory", &self.territory),
            ("from", &self.from),
            ("to", &self.to),
            ("by", &self.by),
            ("by2", &self.by2),
            ("type", &self.kind),
            ("theme", &self.theme),
            ("duree", &self.duree),
            ("age", &self.age),
            ("statut", &self.statut),
            ("organisation", &self.organisation),
            ("aide", &self.aide),
            ("autonomie", &self.autonomie),
            ("orientation", &self.orientation),
            ("commune", &self.commune),
            ("structure", &self.structure),
            ("lieu", &self.lieu),
            ("mediateur", &self.mediateur),
            ("programme", &self.programme),
        ]
    }

    /// The fields that are given, trimmed.
    fn given(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.named().into_iter().filter_map(|(k, v)| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| (k, v))
        })
    }

    /// The filters written `dimension=value` (a programme is resolved to
    /// its places apart).
    fn filters(&self) -> Vec<String> {
        self.given()
            .filter(|(k, _)| Dim::parse(k).is_some())
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    /// The dimensions asked: themes when none is said, the total alone
    /// when `by` is given empty.
    fn by(&self) -> String {
        if self.by.is_none() && self.by2.is_none() {
            return "theme".into();
        }
        [&self.by, &self.by2]
            .into_iter()
            .filter_map(|b| b.as_deref().map(str::trim).filter(|b| !b.is_empty()))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The question's fields that are given, as hidden fields of a form.
    pub fn hidden_fields(&self) -> Vec<(&'static str, String)> {
        self.given().map(|(k, v)| (k, v.to_string())).collect()
    }

    /// The same question in a URL's query, for links and exports.
    pub fn query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

/// Why a question is not answered.
pub(super) enum Problem {
    /// Not written as expected: the field and what to say.
    Unreadable {
        field: &'static str,
        message: String,
    },
    Denied(Denial),
    NotFound(String),
}

impl Problem {
    fn of_unreadable(u: Unreadable) -> Self {
        let field = match &u {
            Unreadable::Territory(_) => "territory",
            Unreadable::Day {
                field: "--from", ..
            } => "from",
            Unreadable::Day { .. } => "to",
            Unreadable::Dimension(_) | Unreadable::TooManyDimensions => "by",
            Unreadable::Filter(_) => "by",
        };
        Self::Unreadable {
            field,
            message: u.to_string(),
        }
    }

    fn of_refusal(r: Refusal) -> Self {
        match r {
            Refusal::Territory(t) => Self::NotFound(Refusal::Territory(t).to_string()),
            Refusal::Value(dim, v) => Self::Unreadable {
                field: field_of(dim),
                message: Refusal::Value(dim, v).to_string(),
            },
            Refusal::TooManyDimensions => Self::Unreadable {
                field: "by",
                message: r.to_string(),
            },
            Refusal::Period => Self::Unreadable {
                field: "to",
                message: r.to_string(),
            },
        }
    }

    fn api(self) -> ApiError {
        match self {
            Self::Unreadable { field, message } => {
                ApiError::bad_request(format!("« {field} » : {message}"))
            }
            Self::Denied(d) => api_denial(d),
            Self::NotFound(m) => ApiError::not_found(m),
        }
    }
}

/// The URL field of a filter's dimension.
fn field_of(dim: Dim) -> &'static str {
    match dim {
        Dim::Type => "type",
        d => d.name(),
    }
}

/// The question asked, within what the viewer may see, and the level its
/// cells are published at (none hidden in one's own figures, as on the
/// dashboard).
pub(super) async fn resolve(
    state: &AppState,
    viewer: &Viewer,
    p: &StatsParams,
) -> Result<(Question, Level), Problem> {
    let scope = activity_figures(&viewer.actor).map_err(Problem::Denied)?;
    let year = fr::paris_now().year();
    let or = |v: &Option<String>, default: String| {
        v.clone()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or(default)
    };
    let territory = match (&scope, p.territory.as_deref().filter(|t| !t.is_empty())) {
        (_, Some(t)) => t.to_string(),
        (FiguresScope::Territories(scopes), None) => scopes.first().map_or_else(
            || "all".to_string(),
            |s| passerelle_store::activities::Territory::of_scope(s.level, &s.code).key(),
        ),
        _ => "all".to_string(),
    };
    let mut filters = p.filters();
    if let Some(programme) = p.programme.as_deref().filter(|p| !p.is_empty()) {
        let places = state
            .place_index()
            .await
            .map_err(|e| Problem::NotFound(e.to_string()))?;
        let ids: Vec<String> = places
            .entries
            .iter()
            .filter(|e| {
                e.place
                    .dispositif_programmes_nationaux
                    .iter()
                    .any(|x| x == programme)
            })
            .map(|e| format!("lieu={}", e.id))
            .collect();
        // No place of the programme: nothing is counted.
        filters.extend(if ids.is_empty() {
            vec!["lieu=0".to_string()]
        } else {
            ids
        });
    }
    let mut q = Question::parse(
        &territory,
        &or(&p.from, format!("{year}-01-01")),
        &or(&p.to, format!("{year}-12-31")),
        &p.by(),
        filters.iter().map(String::as_str),
    )
    .map_err(Problem::of_unreadable)?;
    let asks = |dim: Dim| q.by.contains(&dim) || q.filters.iter().any(|(d, _)| *d == dim);
    match &scope {
        FiguresScope::Everything => {}
        FiguresScope::Territories(_) => {
            // Mediators are people: a coordinator counts structures and
            // places, not persons.
            if q.territory == Territory::All || asks(Dim::Mediateur) {
                return Err(Problem::Denied(Denial::Forbidden));
            }
            let location = state
                .db
                .territory_location(&q.territory.key())
                .await
                .map_err(|e| Problem::NotFound(e.to_string()))?
                .ok_or_else(|| {
                    Problem::NotFound(Refusal::Territory(q.territory.clone()).to_string())
                })?;
            if !scope.covers(&location) {
                return Err(Problem::Denied(Denial::Forbidden));
            }
        }
        FiguresScope::Structures(ids) => {
            narrow(&mut q, Dim::Structure, ids)?;
        }
        FiguresScope::Person(id) => {
            narrow(&mut q, Dim::Mediateur, &[*id])?;
        }
    }
    let level = if scope.is_own() {
        Level::Region
    } else {
        q.level()
    };
    Ok((q, level))
}

/// Keeps only `ids` of a dimension: a filter on others is refused.
fn narrow(q: &mut Question, dim: Dim, ids: &[i64]) -> Result<(), Problem> {
    let own: Vec<String> = ids.iter().map(i64::to_string).collect();
    if let Some((_, asked)) = q.filters.iter().find(|(d, _)| *d == dim)
        && asked.iter().any(|a| !own.contains(a))
    {
        return Err(Problem::Denied(Denial::Forbidden));
    }
    q.filters.retain(|(d, _)| *d != dim);
    q.filters.push((dim, own));
    Ok(())
}

/// An answer with the date of its figures and the names of the
/// territories it mentions.
pub(super) struct LiveAnswer {
    pub answer: Answer,
    /// Where the small-cell rule is applied: the question's level, or
    /// none for one's own figures (a mediator's, a structure's).
    pub level: Level,
    /// People followed over several sessions (issue 18 §4).
    pub follow: passerelle_activities::stats::FollowUp,
    pub as_of: chrono::DateTime<chrono::Utc>,
    pub names: BTreeMap<String, String>,
}

/// The charts of a question's people (issue 18 §2), from the same
/// filters: the trend by day, week or month as the period's length asks,
/// themes, ages, statuses, individual or collective.
pub(super) async fn charts(
    state: &AppState,
    q: &Question,
    level: Level,
    ids: &BTreeMap<i64, String>,
) -> Result<Vec<super::charts::Chart>, Problem> {
    use super::charts::{Bar, columns, horizontal};
    let days = (q.to - q.from).num_days() + 1;
    let trend = match days {
        ..=31 => Dim::Jour,
        32..=183 => Dim::Semaine,
        _ => Dim::Mois,
    };
    let dims = [trend, Dim::Theme, Dim::Age, Dim::Statut, Dim::Type];
    let answers = state
        .with_activities(|live| {
            dims.iter()
                .map(|d| {
                    let one = Question {
                        by: vec![*d],
                        ..q.clone()
                    };
                    let answer = live.index.answer(&one)?;
                    let names = territory_names(&live.index, &one, &answer);
                    Ok((one, answer, names))
                })
                .collect::<Result<Vec<_>, Refusal>>()
        })
        .await
        .map_err(|e| Problem::NotFound(e.to_string()))?
        .map_err(Problem::of_refusal)?;
    Ok(answers
        .into_iter()
        .map(|(one, answer, names)| {
            let bars: Vec<Bar> = answer
                .cells
                .iter()
                .zip(answer.protected(level))
                .map(|(c, (people, _))| Bar {
                    label: label(&c.keys[0], &names, ids),
                    value: people,
                })
                .collect();
            let dim = one.by[0];
            match dim {
                Dim::Jour | Dim::Semaine | Dim::Mois => columns(
                    "tendance",
                    format!(
                        "Personnes accompagnées par {}",
                        match dim {
                            Dim::Jour => "jour",
                            Dim::Semaine => "semaine",
                            _ => "mois",
                        }
                    ),
                    dim.title(),
                    bars,
                ),
                Dim::Theme => horizontal("themes", "Personnes par thème".into(), dim.title(), bars),
                Dim::Age => horizontal("ages", "Personnes par âge".into(), dim.title(), bars),
                Dim::Statut => {
                    horizontal("statuts", "Personnes par statut".into(), dim.title(), bars)
                }
                _ => horizontal(
                    "types",
                    "Accompagnements individuels ou collectifs".into(),
                    dim.title(),
                    bars,
                ),
            }
        })
        .collect())
}

/// Answers from the server's index, published at `level`.
pub(super) async fn ask(
    state: &AppState,
    q: &Question,
    level: Level,
) -> Result<LiveAnswer, Problem> {
    state
        .with_activities(|live| {
            let answer = live.index.answer(q)?;
            Ok(LiveAnswer {
                names: territory_names(&live.index, q, &answer),
                follow: live.index.follow_up(q)?,
                level,
                answer,
                as_of: live.as_of,
            })
        })
        .await
        .map_err(|e| Problem::NotFound(e.to_string()))?
        .map_err(Problem::of_refusal)
}

/// The names of the territories an answer mentions.
fn territory_names(
    index: &passerelle_activities::stats::Index,
    q: &Question,
    answer: &Answer,
) -> BTreeMap<String, String> {
    let keys = answer
        .cells
        .iter()
        .flat_map(|c| &c.keys)
        .filter_map(|k| match k {
            Key::Territory(t) => Some(t),
            _ => None,
        });
    std::iter::once(&q.territory)
        .chain(keys)
        .filter_map(|t| Some((t.key(), index.territory_name(t)?.to_string())))
        .collect()
}

/// One cell of an answer.
#[derive(Serialize, ToSchema)]
pub struct StatsCell {
    /// Per dimension of the question, its value: a vocabulary's label,
    /// `2025-03-10`, `2025-W11`, `2025-03`, `2025`, `dep:29`, an
    /// identifier, or empty (none).
    values: BTreeMap<String, String>,
    /// People (a workshop of 8 counts 8); `null` under the small-cell rule.
    people: Option<u64>,
    /// Activity records; `null` under the small-cell rule.
    records: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct StatsAnswer {
    territory: String,
    from: String,
    to: String,
    /// `dimension=value`, as asked (and as the viewer's scope narrows it).
    filters: Vec<String>,
    by: Vec<String>,
    /// The total, each record once; `null` under the small-cell rule.
    people: Option<u64>,
    records: Option<u64>,
    /// When the figures were read: every record stored until then counts.
    as_of: String,
    /// People accompanied before: followed over several sessions (a
    /// follow-up code seen twice or more) or said to have come back;
    /// `null` under the small-cell rule.
    followed: Option<u64>,
    /// Distinct people: one per follow-up code, every person of the other
    /// records; `null` with `followed`.
    distinct_people: Option<u64>,
    cells: Vec<StatsCell>,
}

fn api_answer(q: &Question, live: &LiveAnswer) -> StatsAnswer {
    let a = &live.answer;
    let (people, records) = a.protected_total(live.level);
    StatsAnswer {
        territory: q.territory.key(),
        from: q.from.to_string(),
        to: q.to.to_string(),
        filters: q.written_filters(),
        by: q.by.iter().map(|d| d.name().to_string()).collect(),
        people,
        records,
        as_of: live.as_of.to_rfc3339(),
        followed: followed(live).map(|f| f.0),
        distinct_people: followed(live).map(|f| f.1),
        cells: a
            .cells
            .iter()
            .zip(a.protected(live.level))
            .map(|(c, (people, records))| StatsCell {
                values: q
                    .by
                    .iter()
                    .zip(&c.keys)
                    .map(|(d, k)| (d.name().to_string(), k.code()))
                    .collect(),
                people,
                records,
            })
            .collect(),
    }
}

/// Activity figures for any range of days, territory and filters, by
/// none, one or two dimensions, under the small-cell rule. For the
/// viewer's scope: a coordinator's territories, a structure's records
/// (its API token), a mediator's own.
#[utoipa::path(get, path = "/api/v1/activities/stats", tag = "activites",
    params(StatsParams),
    responses(
        (status = 200, body = StatsAnswer),
        (status = 400, description = "A field not written as expected, named in the message", body = crate::error::ErrorBody),
        (status = 401, description = "Not signed in, no token", body = crate::error::ErrorBody),
        (status = 403, description = "Outside the viewer's scope", body = crate::error::ErrorBody),
        (status = 404, description = "No such territory in the loaded reference", body = crate::error::ErrorBody),
    ))]
pub async fn api_stats(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<StatsParams>,
) -> Result<Json<StatsAnswer>, ApiError> {
    let (q, level) = resolve(&state, &viewer, &p).await.map_err(Problem::api)?;
    let live = ask(&state, &q, level).await.map_err(Problem::api)?;
    Ok(Json(api_answer(&q, &live)))
}

/// A select's option.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(values: &[(String, String)], chosen: Option<&str>, none: &str) -> Vec<Choice> {
    std::iter::once((String::new(), none.to_string()))
        .chain(values.iter().cloned())
        .map(|(value, label)| Choice {
            selected: chosen.unwrap_or("") == value,
            value,
            label,
        })
        .collect()
}

/// A filter field of the form: a select over a vocabulary.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
}

/// The answer as the page shows it.
#[derive(Clone)]
pub struct Shown {
    pub caption: String,
    /// Column headings (the second dimension's values, or the counts').
    pub columns: Vec<String>,
    /// A row: its label, a link (drill-down into a territory), its cells.
    pub rows: Vec<(String, Option<String>, Vec<String>)>,
    pub first: String,
}

#[derive(Template)]
#[template(path = "activites_statistiques.html")]
pub struct StatsPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    territories: Vec<Choice>,
    territory_error: Option<String>,
    from: String,
    to: String,
    from_error: Option<String>,
    to_error: Option<String>,
    by: Vec<Choice>,
    by2: Vec<Choice>,
    by_error: Option<String>,
    fields: Vec<Field>,
    places: Vec<Choice>,
    structures: Vec<Choice>,
    /// The sentence of totals, or nothing when not answered.
    total: Option<String>,
    follow: Option<String>,
    as_of: Option<String>,
    shown: Option<Shown>,
    query: String,
    small_cells: bool,
    /// Whether the viewer may publish this view (a coordinator, an
    /// administrator).
    may_share: bool,
    charts: Vec<super::charts::Chart>,
    /// The question's fields, for the share form.
    fields_kept: Vec<(&'static str, String)>,
}

/// How a value of an answer reads on the page.
fn label(key: &Key, names: &BTreeMap<String, String>, ids: &BTreeMap<i64, String>) -> String {
    match key {
        Key::Day(d) => fr::date(*d),
        Key::Week(d) => format!("semaine du {}", fr::date(*d)),
        Key::Month(d) => super::dashboard::month_label(&d.format("%Y-%m").to_string()),
        Key::Year(y) => y.to_string(),
        Key::Territory(t) => names
            .get(&t.key())
            .cloned()
            .unwrap_or_else(|| "territoire inconnu".into()),
        Key::Structure(id) | Key::Place(id) => {
            ids.get(id).cloned().unwrap_or_else(|| format!("n° {id}"))
        }
        Key::Mediator(id) => format!("médiateur n° {id}"),
        Key::None(Dim::Commune | Dim::Epci | Dim::Departement | Dim::Region) => {
            "hors du référentiel chargé".into()
        }
        Key::None(_) => "non renseigné".into(),
        Key::Value(..) => key.code(),
    }
}

pub(super) fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "< 5".to_string(), |n| fr::integer(n as i64))
}

/// The answer as a table: one dimension gives people, share and records
/// per value; two give a crosstab of people (records in brackets).
pub(super) fn shown(
    q: &Question,
    drill: Option<&StatsParams>,
    live: &LiveAnswer,
    ids: &BTreeMap<i64, String>,
) -> Option<Shown> {
    let a: &Answer = &live.answer;
    let first = *q.by.first()?;
    let cells = a.protected(live.level);
    let names = &live.names;
    let link = |key: &Key| match (key, drill) {
        (Key::Territory(t), Some(p)) => Some(format!(
            "{PATH}?{}",
            StatsParams {
                territory: Some(t.key()),
                ..p.clone()
            }
            .query_string()
        )),
        _ => None,
    };
    let total = a.people.round().max(1.0);
    if q.by.len() == 1 {
        let rows = a
            .cells
            .iter()
            .zip(&cells)
            .map(|(c, (people, records))| {
                let share = people.map_or_else(String::new, |n| fr::percent(n as f64 / total, 1));
                (
                    label(&c.keys[0], names, ids),
                    link(&c.keys[0]),
                    vec![
                        count(*people),
                        share,
                        records.map_or_else(|| "< 5".into(), |r| fr::integer(r as i64)),
                    ],
                )
            })
            .collect();
        return Some(Shown {
            caption: first.title().to_string(),
            first: first.title().to_string(),
            columns: vec!["Personnes".into(), "Part".into(), "Fiches".into()],
            rows,
        });
    }
    let second = q.by[1];
    let mut columns: Vec<Key> = a.cells.iter().map(|c| c.keys[1].clone()).collect();
    columns.sort();
    columns.dedup();
    let mut rows: Vec<(Key, BTreeMap<Key, String>)> = Vec::new();
    for (c, (people, records)) in a.cells.iter().zip(&cells) {
        let text = match (people, records) {
            (Some(p), Some(r)) => {
                format!("{} ({})", fr::integer(*p as i64), fr::integer(*r as i64))
            }
            (Some(p), None) => format!("{} (< 5)", fr::integer(*p as i64)),
            _ => "< 5".into(),
        };
        match rows.last_mut() {
            Some((k, row)) if *k == c.keys[0] => {
                row.insert(c.keys[1].clone(), text);
            }
            _ => rows.push((
                c.keys[0].clone(),
                BTreeMap::from([(c.keys[1].clone(), text)]),
            )),
        }
    }
    Some(Shown {
        caption: format!(
            "{} × {} : personnes (fiches)",
            first.title(),
            second.title()
        ),
        first: first.title().to_string(),
        columns: columns.iter().map(|k| label(k, names, ids)).collect(),
        rows: rows
            .into_iter()
            .map(|(k, row)| {
                let cells = columns
                    .iter()
                    .map(|c| row.get(c).cloned().unwrap_or_else(|| "0".into()))
                    .collect();
                (label(&k, names, ids), link(&k), cells)
            })
            .collect(),
    })
}

/// The dimensions offered on the page (mediators only to whom may see
/// them: administrators, a structure, oneself).
fn dimension_choices(chosen: Option<&str>, scope: &FiguresScope) -> Vec<Choice> {
    let dims: Vec<(String, String)> = Dim::ALL
        .iter()
        .filter(|d| **d != Dim::Mediateur || !matches!(scope, FiguresScope::Territories(_)))
        .map(|d| (d.name().to_string(), d.title().to_string()))
        .collect();
    choices(&dims, chosen, "Aucune")
}

/// The vocabulary filters of the form.
fn filter_fields(p: &StatsParams, error: Option<(&'static str, String)>) -> Vec<Field> {
    let field = |name: &'static str, label: &'static str, dim: Dim, value: &Option<String>| {
        let values: Vec<(String, String)> = match dim {
            Dim::Type => [("individuel", 0), ("atelier", 1), ("demarche", 2)]
                .iter()
                .map(|(code, i)| (code.to_string(), dim.values()[*i].to_string()))
                .collect(),
            Dim::Age => passerelle_activities::vocab::RECORD_AGE_BRACKETS
                .iter()
                .map(|b| (b.to_string(), b.to_string()))
                .collect(),
            _ => dim
                .values()
                .iter()
                .map(|v| (v.to_string(), v.to_string()))
                .collect(),
        };
        Field {
            name,
            label,
            choices: choices(&values, value.as_deref(), "Toutes"),
            error: error
                .as_ref()
                .filter(|(f, _)| *f == name)
                .map(|(_, m)| m.clone()),
        }
    };
    vec![
        field("type", "Type d’accompagnement", Dim::Type, &p.kind),
        field("theme", "Thème", Dim::Theme, &p.theme),
        field("age", "Âge", Dim::Age, &p.age),
        field("statut", "Statut", Dim::Statut, &p.statut),
        field("duree", "Durée", Dim::Duree, &p.duree),
        field(
            "organisation",
            "Organisme de la démarche",
            Dim::Organisation,
            &p.organisation,
        ),
        field("aide", "Aide apportée", Dim::Aide, &p.aide),
        field(
            "autonomie",
            "Autonomie à l’issue",
            Dim::Autonomie,
            &p.autonomie,
        ),
        field(
            "orientation",
            "Orientation",
            Dim::Orientation,
            &p.orientation,
        ),
    ]
}

/// People accompanied before, under the small-cell rule: `(followed,
/// people, share)`, `None` when hidden.
pub(super) fn followed(live: &LiveAnswer) -> Option<(u64, u64, f64)> {
    let f = &live.follow;
    let (followed, people) = (f.followed().round() as u64, f.persons.round() as u64);
    let hidden = |n: u64| passerelle_activities::aggregate::shown(n, live.level) != n.to_string();
    (!hidden(followed) && !hidden(people)).then(|| (followed, people, f.share()))
}

/// The sentence of follow-up of an answer.
pub(super) fn follow_sentence(live: &LiveAnswer) -> String {
    match followed(live) {
        Some((followed, people, share)) => format!(
            "Personnes déjà accompagnées : {} sur {} personnes distinctes ({}), d’après les codes de suivi (vues à deux séances ou plus) et les personnes dites revenues.",
            fr::integer(followed as i64),
            fr::integer(people as i64),
            fr::percent(share, 0)
        ),
        None => "Personnes déjà accompagnées : moins de 5, non publié à cette échelle.".into(),
    }
}

/// The sentence of totals of an answer.
pub(super) fn total_sentence(q: &Question, live: &LiveAnswer) -> String {
    let (people, records) = live.answer.protected_total(live.level);
    format!(
        "{} personnes accompagnées, {} fiches, du {} au {}.",
        count(people),
        count(records),
        fr::date(q.from),
        fr::date(q.to)
    )
}

pub async fn stats_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<StatsParams>,
) -> PageResult {
    let scope = activity_figures(&viewer.actor).map_err(|d| PageError::denied(d, PATH))?;
    let (answer, error) = answered(&state, &viewer, &p).await?;
    let offered = offered(&state, &scope, &p, answer.as_ref()).await?;
    let charts = match &answer {
        Some((q, live)) => charts(&state, q, live.level, &offered.ids)
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(render(&stats_view(
        &viewer, &scope, &p, answer, error, offered, charts,
    )))
}

/// A question of the page with its answer, or the field it could not read
/// and why (shown next to it); refused or unknown, the page's error.
async fn answered(
    state: &AppState,
    viewer: &Viewer,
    p: &StatsParams,
) -> Result<
    (
        Option<(Question, LiveAnswer)>,
        Option<(&'static str, String)>,
    ),
    PageError,
> {
    let problem = match resolve(state, viewer, p).await {
        Ok((q, level)) => match ask(state, &q, level).await {
            Ok(live) => return Ok((Some((q, live)), None)),
            Err(e) => e,
        },
        Err(e) => e,
    };
    match problem {
        Problem::Denied(d) => Err(PageError::denied(d, PATH)),
        Problem::NotFound(_) => Err(PageError::NotFound),
        Problem::Unreadable { field, message } => Ok((None, Some((field, message)))),
    }
}

/// What the page's form offers: the territories within the scope (and the
/// one reached by a drill-down), the structures and places of the
/// territory asked, and the names of their identifiers.
struct Offered {
    territories: Vec<(String, String)>,
    chosen_territory: Option<String>,
    structures: Vec<(i64, String)>,
    places: Vec<(i64, String)>,
    ids: BTreeMap<i64, String>,
}

async fn offered(
    state: &AppState,
    scope: &FiguresScope,
    p: &StatsParams,
    answer: Option<&(Question, LiveAnswer)>,
) -> Result<Offered, PageError> {
    let store_territory = answer
        .and_then(|(q, _)| passerelle_store::activities::Territory::parse(&q.territory.key()))
        .unwrap_or(passerelle_store::activities::Territory::All);
    let mut territories = super::dashboard::territory_choices(state, scope).await?;
    if matches!(scope, FiguresScope::Everything) {
        territories.insert(0, ("all".into(), "Tout le territoire".into()));
    }
    let mut ids: BTreeMap<i64, String> = BTreeMap::new();
    let (structures, places) = if scope.is_own() {
        (Vec::new(), Vec::new())
    } else {
        let s = state.db.activity_structures(&store_territory).await?;
        let l = state.db.activity_places(&store_territory).await?;
        ids.extend(s.iter().cloned());
        ids.extend(l.iter().cloned());
        (s, l)
    };
    let chosen_territory = answer
        .map(|(q, _)| q.territory.key())
        .or(p.territory.clone());
    if let Some(key) = &chosen_territory
        && !territories.iter().any(|(k, _)| k == key)
        && let Some((_, live)) = answer
        && let Some(name) = live.names.get(key)
    {
        // Reached by a drill-down: offered too, by its name.
        territories.push((key.clone(), name.clone()));
    }
    Ok(Offered {
        territories,
        chosen_territory,
        structures,
        places,
        ids,
    })
}

/// The page, from the question's fields, its answer or error, what the
/// form offers and the charts.
fn stats_view(
    viewer: &Viewer,
    scope: &FiguresScope,
    p: &StatsParams,
    answer: Option<(Question, LiveAnswer)>,
    error: Option<(&'static str, String)>,
    offered: Offered,
    charts: Vec<super::charts::Chart>,
) -> StatsPage {
    let Offered {
        territories,
        chosen_territory,
        structures,
        places,
        ids,
    } = offered;
    let pairs = |v: &[(i64, String)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(id, n)| (id.to_string(), n.clone()))
            .collect()
    };
    let err = |f: &str| {
        error
            .as_ref()
            .filter(|(x, _)| *x == f)
            .map(|(_, m)| m.clone())
    };
    let follow = answer.as_ref().map(|(_, live)| follow_sentence(live));
    let (total, as_of, table, small_cells) = match &answer {
        Some((q, live)) => (
            Some(total_sentence(q, live)),
            Some(fr::date_time(live.as_of)),
            shown(q, Some(p), live, &ids),
            live.level == Level::Commune,
        ),
        None => (None, None, None, false),
    };
    let year = fr::paris_now().year();
    StatsPage {
        chrome: Chrome::new("/activites", viewer),
        crumbs: crumbs(
            &[
                ("Activités", "/activites"),
                ("Tableau de bord", "/activites/tableau-de-bord"),
            ],
            "Statistiques détaillées",
        ),
        territories: choices(
            &territories,
            chosen_territory.as_deref(),
            "Choisir un territoire",
        )
        .into_iter()
        .skip(1)
        .collect(),
        territory_error: err("territory"),
        from: p.from.clone().unwrap_or_else(|| format!("{year}-01-01")),
        to: p.to.clone().unwrap_or_else(|| format!("{year}-12-31")),
        from_error: err("from"),
        to_error: err("to"),
        by: dimension_choices(p.by.as_deref(), scope),
        by2: dimension_choices(p.by2.as_deref(), scope),
        by_error: err("by"),
        fields: filter_fields(p, error.clone()),
        places: choices(&pairs(&places), p.lieu.as_deref(), "Tous les lieux"),
        structures: choices(
            &pairs(&structures),
            p.structure.as_deref(),
            "Toutes les structures",
        ),
        total,
        follow,
        as_of,
        shown: table,
        query: p.query_string(),
        small_cells,
        may_share: super::share::may_share(viewer, scope),
        charts,
        fields_kept: p.hidden_fields(),
    }
}

/// The page's answer as CSV (standard: `,`), small cells reading `< 5`.
pub async fn stats_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<StatsParams>,
) -> PageResult {
    let problem = |e: Problem| match e {
        Problem::Denied(d) => PageError::denied(d, PATH),
        Problem::NotFound(_) => PageError::NotFound,
        Problem::Unreadable { message, .. } => {
            PageError::refused(axum::http::StatusCode::BAD_REQUEST, message, PATH)
        }
    };
    let (q, level) = resolve(&state, &viewer, &p).await.map_err(problem)?;
    let live = ask(&state, &q, level).await.map_err(problem)?;
    let mut rows = live.answer.csv_rows(live.level);
    let header = rows.remove(0);
    let headers: Vec<&'static str> = header
        .iter()
        .map(|h| {
            Dim::parse(h).map(Dim::name).unwrap_or(match h.as_str() {
                "personnes" => "personnes",
                "pourcentage" => "pourcentage",
                "fiches" => "fiches",
                _ => "total",
            })
        })
        .collect();
    Ok(crate::export::csv_in(
        passerelle_csv::Dialect::Standard,
        "passerelle-statistiques.csv",
        &[crate::export::Table {
            title: format!("{} du {} au {}", q.territory.key(), q.from, q.to),
            headers,
            rows,
        }],
    ))
}
