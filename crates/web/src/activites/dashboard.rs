//! The dashboards: a mediator's own figures, a coordinator's territories
//! (every territory inside the ones she coordinates, picked by name), an
//! administrator's whole instance; as a page, CSV or XLSX. Who sees what is
//! `policy::activity_figures`; which territory is within it is decided on
//! the territory's `Location` (itself and its ancestors).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use passerelle_accounts::policy::{FiguresScope, activity_figures};
use passerelle_activities::aggregate::{Level, shown};
use passerelle_store::activities::{DIMENSIONS, RecordStats, StatsQuery, StatsRow, Territory};
use serde::Deserialize;

use passerelle_csv::Dialect;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::export::Table;
use crate::fr;
use crate::pages::{Chrome, Crumb, crumbs, render};

const PATH: &str = "/activites/tableau-de-bord";

/// The dashboard's fields, as in its URL.
#[derive(Deserialize, Default, Clone)]
pub struct DashboardQuery {
    annee: Option<String>,
    /// First and last months, `YYYY-MM`.
    du: Option<String>,
    au: Option<String>,
    /// `reg:53`, `dep:29`, `epci:<SIREN>`, `com:<INSEE>` (a select's value,
    /// shown by name).
    territoire: Option<String>,
    structure: Option<String>,
    lieu: Option<String>,
    programme: Option<String>,
    /// CSV: `standard` for machines (`,`, decimal point); French Excel
    /// otherwise.
    format: Option<String>,
}

/// A period of whole months.
struct Period {
    year: i32,
    from: String,
    to: String,
}

impl Period {
    fn of(q: &DashboardQuery) -> Self {
        let year = q
            .annee
            .as_deref()
            .and_then(|y| y.parse().ok())
            .filter(|y| (2015..=2100).contains(y))
            .unwrap_or_else(|| chrono::Datelike::year(&fr::paris_now()));
        let month = |m: &Option<String>| {
            m.clone().filter(|m| {
                m.len() == 7 && NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok()
            })
        };
        let mut from = month(&q.du).unwrap_or_else(|| format!("{year}-01"));
        let mut to = month(&q.au).unwrap_or_else(|| format!("{year}-12"));
        if from > to {
            std::mem::swap(&mut from, &mut to);
        }
        Self { year, from, to }
    }

    /// `2023` for a whole year, `mars 2023 – juin 2023` otherwise.
    fn label(&self) -> String {
        let say = |m: &str| {
            let (y, n) = m.split_once('-').unwrap_or((m, "01"));
            let n: usize = n.parse().unwrap_or(1);
            format!("{} {y}", fr::MONTHS[n.clamp(1, 12) - 1])
        };
        match (self.from.split_once('-'), self.to.split_once('-')) {
            (Some((y1, "01")), Some((y2, "12"))) if y1 == y2 => y1.to_string(),
            _ if self.from == self.to => say(&self.from),
            _ => format!("{} – {}", say(&self.from), say(&self.to)),
        }
    }

    fn is_year(&self) -> bool {
        self.from == format!("{}-01", self.year) && self.to == format!("{}-12", self.year)
    }
}

pub struct DashboardTable {
    pub title: &'static str,
    pub rows: Vec<Row>,
    /// How the values were grouped, when they are not the form's.
    pub note: Option<String>,
    /// Drawn as horizontal bars above its table (themes, type, ages,
    /// statuses: issue 18 §2), the table giving the figures.
    pub chart: Option<super::charts::Chart>,
}

/// One line of a dashboard table: a cell under the small-cell rule
/// (`None`) hides its share and records too, which would give it away.
pub struct Row {
    pub value: String,
    pub people: Option<i64>,
    /// Share of the table's people, 0–1.
    pub share: Option<f64>,
    /// `None` when hidden, and for aggregate sources, which have no records.
    pub records: Option<i64>,
    /// Share for the bar, 0–100.
    pub bar: i64,
}

impl Row {
    fn new(value: String, people: i64, sum: i64, records: Option<i64>, level: Level) -> Self {
        let hidden = is_hidden(people, level);
        let share = if sum == 0 {
            0.0
        } else {
            people as f64 / sum as f64
        };
        Self {
            value,
            people: (!hidden).then_some(people),
            share: (!hidden).then_some(share),
            records: records.filter(|_| !hidden),
            bar: if hidden {
                0
            } else {
                (share * 100.0).round() as i64
            },
        }
    }

    /// "12 400", or "< 5".
    pub fn people_shown(&self) -> String {
        shown_count(self.people)
    }

    /// "12,5 %", or nothing.
    pub fn share_shown(&self) -> String {
        self.share.map(|s| fr::percent(s, 1)).unwrap_or_default()
    }

    pub fn records_shown(&self) -> String {
        self.records.map(fr::integer).unwrap_or_default()
    }
}

/// Whether a count is under the small-cell rule at this level.
fn is_hidden(people: i64, level: Level) -> bool {
    shown(people.max(0) as u64, level).starts_with('<')
}

/// A count as pages show it: "12 400", or "< 5" when hidden.
fn shown_count(n: Option<i64>) -> String {
    n.map_or_else(|| "< 5".to_string(), fr::integer)
}

/// What the dashboard is about, resolved and allowed.
struct View {
    scope: FiguresScope,
    own: bool,
    period: Period,
    /// `(value, name)` of the territories the viewer may pick.
    territories: Vec<(String, String)>,
    territory: Territory,
    territory_key: String,
    level: Level,
    structures: Vec<(i64, String)>,
    structure: Option<i64>,
    places: Vec<(i64, String)>,
    place: Option<i64>,
    programme: Option<&'static str>,
}

/// The figures shown.
struct Figures {
    total_people: i64,
    total_records: i64,
    /// (month, people, records)
    months: Vec<StatsRow>,
    tables: Vec<DashboardTable>,
    sources: Vec<DashboardTable>,
    source_date: Option<String>,
    level: Level,
}

#[derive(Template)]
#[template(path = "activites_tableau.html")]
pub struct DashboardPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    scope_label: String,
    territory: String,
    territories: Vec<(String, String)>,
    year: i32,
    from: String,
    to: String,
    period_label: String,
    /// A period other than the year was asked for.
    custom_period: bool,
    structures: Vec<(i64, String)>,
    structure: Option<i64>,
    places: Vec<(i64, String)>,
    place: Option<i64>,
    programmes: &'static [&'static str],
    programme: Option<&'static str>,
    total_people: Option<i64>,
    total_records: i64,
    tables: Vec<DashboardTable>,
    sources: Vec<DashboardTable>,
    source_date: Option<String>,
    own: bool,
    /// Month ("novembre 2026"), people (`None`: hidden), share of the
    /// busiest month (0–100).
    months: Vec<(String, Option<i64>, i64)>,
    /// The months drawn as columns, above their table.
    trend: Option<super::charts::Chart>,
    /// The territories inside, each a link to its dashboard: `(name, link,
    /// people shown)`.
    parts: Vec<(String, String, String)>,
    export_query: String,
    /// Coordinators: the network's events this year (`reseau::figures`).
    network: Option<String>,
}

impl DashboardPage {
    fn is_chosen(&self, id: &i64) -> bool {
        self.structure == Some(*id)
    }

    fn is_chosen_place(&self, id: &i64) -> bool {
        self.place == Some(*id)
    }

    fn is_chosen_programme(&self, name: &str) -> bool {
        self.programme == Some(name)
    }

    fn count(&self, n: &Option<i64>) -> String {
        shown_count(*n)
    }

    fn total_records_shown(&self) -> String {
        fr::integer(self.total_records)
    }
}

const TITLES: [(&str, &str); 10] = [
    ("theme", "Thèmes des accompagnements"),
    ("type", "Type d’accompagnement"),
    ("duree", "Durée"),
    ("age", "Âge des personnes"),
    ("statut", "Statut des personnes"),
    ("organisation", "Démarches : organisme concerné"),
    ("aide", "Démarches : aide apportée"),
    ("autonomie", "Autonomie à l’issue"),
    ("orientation", "Orientation vers"),
    ("suivi", "Type d’accompagnement et suivi des personnes"),
];

fn territory_level(t: &Territory) -> Level {
    match t {
        Territory::Commune(_) => Level::Commune,
        Territory::Epci(_) => Level::Epci,
        Territory::Departement(_) => Level::Departement,
        _ => Level::Region,
    }
}

/// The territories a viewer may pick, by name: for an administrator the
/// régions of the loaded reference and their départements; for a
/// coordinator each of her territories and those inside it (a région's
/// départements and EPCI, a département's EPCI, an EPCI's communes).
pub(super) async fn territory_choices(
    state: &AppState,
    scope: &FiguresScope,
) -> Result<Vec<(String, String)>, PageError> {
    let db = &state.db;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |t: Territory, name: String| {
        let key = t.key();
        if !out.iter().any(|(k, _)| *k == key) {
            out.push((key, name));
        }
    };
    match scope {
        FiguresScope::Everything => {
            for r in db.regions().await? {
                add(Territory::Region(r.code.clone()), r.nom);
                for d in db
                    .region(&r.code)
                    .await?
                    .map(|r| r.departements)
                    .unwrap_or_default()
                {
                    add(Territory::Departement(d.code), d.nom);
                }
            }
        }
        FiguresScope::Territories(scopes) => {
            for s in scopes {
                for (t, name) in inside(state, Territory::of_scope(s.level, &s.code)).await? {
                    add(t, name);
                }
            }
        }
        FiguresScope::Structures(_) | FiguresScope::Person(_) => {}
    }
    Ok(out)
}

/// A territory and those inside it, by name (none when the reference does
/// not hold it).
async fn inside(state: &AppState, t: Territory) -> Result<Vec<(Territory, String)>, PageError> {
    let db = &state.db;
    let mut out = Vec::new();
    let epcis = |d: passerelle_territory::Departement| {
        d.epcis.into_iter().map(|e| {
            let name = crate::territoires::epci_name(&e.nom, &e.siren);
            (Territory::Epci(e.siren), name)
        })
    };
    match &t {
        Territory::Region(code) => {
            if let Some(r) = db.region(code).await? {
                out.push((t.clone(), r.nom));
                for d in r.departements {
                    out.push((Territory::Departement(d.code.clone()), d.nom));
                    out.extend(db.departement(&d.code).await?.into_iter().flat_map(epcis));
                }
            }
        }
        Territory::Departement(code) => {
            if let Some(d) = db.departement(code).await? {
                out.push((t.clone(), d.nom.clone()));
                out.extend(epcis(d));
            }
        }
        Territory::Epci(siren) => {
            if let Some(e) = db.epci(siren).await? {
                out.push((t.clone(), crate::territoires::epci_name(&e.nom, &e.siren)));
                for c in e.communes {
                    out.push((Territory::Commune(c.code), c.nom));
                }
            }
        }
        Territory::Commune(code) => {
            if let Some(c) = db.commune(code).await? {
                out.push((t.clone(), c.nom));
            }
        }
        Territory::All => {}
    }
    Ok(out)
}

/// The territory asked for (or the first the viewer may pick), if the
/// viewer's scope covers it: decided on where it lies in the reference.
async fn chosen_territory(
    state: &AppState,
    scope: &FiguresScope,
    asked: Option<&str>,
    territories: &mut Vec<(String, String)>,
) -> Result<Territory, PageError> {
    let key = match asked.filter(|k| !k.is_empty()) {
        Some(k) => k.to_string(),
        None => match territories.first() {
            Some((k, _)) => k.clone(),
            // A coordinator without a territory sees nothing.
            None => {
                return Err(PageError::denied(
                    passerelle_accounts::policy::Denial::Forbidden,
                    PATH,
                ));
            }
        },
    };
    let territory = Territory::parse(&key)
        .filter(|t| *t != Territory::All)
        .ok_or(PageError::NotFound)?;
    let location = state
        .db
        .territory_location(&key)
        .await?
        .ok_or(PageError::NotFound)?;
    if !scope.covers(&location) {
        return Err(PageError::denied(
            passerelle_accounts::policy::Denial::Forbidden,
            PATH,
        ));
    }
    // Reached by a drill-down: offered too, by its name; at an EPCI, its
    // communes to go further down.
    let offered = territories.iter().any(|(k, _)| *k == key);
    let epci = matches!(territory, Territory::Epci(_));
    if !offered || epci {
        let mut below = inside(state, territory.clone()).await?.into_iter();
        if let Some((_, name)) = below.next()
            && !offered
        {
            territories.push((key, name));
        }
        for (commune, name) in below.filter(|_| epci) {
            let key = commune.key();
            if !territories.iter().any(|(k, _)| *k == key) {
                territories.push((key, name));
            }
        }
    }
    Ok(territory)
}

/// Resolves the query into what may be shown.
async fn view(state: &AppState, viewer: &Viewer, q: &DashboardQuery) -> Result<View, PageError> {
    let scope = activity_figures(&viewer.actor).map_err(|d| PageError::denied(d, PATH))?;
    let own = scope.is_own();
    let period = Period::of(q);
    let mut territories = territory_choices(state, &scope).await?;
    let territory = if own {
        Territory::All
    } else {
        chosen_territory(state, &scope, q.territoire.as_deref(), &mut territories).await?
    };
    let (structures, places) = if own {
        (Vec::new(), Vec::new())
    } else {
        (
            state.db.activity_structures(&territory).await?,
            state.db.activity_places(&territory).await?,
        )
    };
    let pick =
        |asked: &Option<String>, offered: &[(i64, String)]| -> Result<Option<i64>, PageError> {
            match asked.as_deref().filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(id) => id
                    .parse::<i64>()
                    .ok()
                    .filter(|id| offered.iter().any(|(s, _)| s == id))
                    .map(Some)
                    .ok_or(PageError::NotFound),
            }
        };
    let structure = pick(&q.structure, &structures)?;
    let place = pick(&q.lieu, &places)?;
    let programme = match q.programme.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(p) => Some(
            passerelle_places::vocab::NATIONAL_PROGRAMMES
                .iter()
                .find(|n| **n == p)
                .copied()
                .ok_or(PageError::NotFound)?,
        ),
    };
    let level = if own {
        Level::Region
    } else {
        territory_level(&territory)
    };
    Ok(View {
        territory_key: if own { String::new() } else { territory.key() },
        scope,
        own,
        period,
        territories,
        territory,
        level,
        structures,
        structure,
        places,
        place,
        programme,
    })
}

/// The counts of the view: from the roll-ups, or, narrowed to a place or
/// a national programme, from those places' records counted the same way.
async fn figures(state: &AppState, v: &View) -> Result<Figures, PageError> {
    let base = StatsQuery {
        dimension: "total",
        territory: v.territory.clone(),
        from: v.period.from.clone(),
        to: v.period.to.clone(),
        structure_id: v.structure,
        scope: v.scope.clone(),
    };
    let narrowed = narrowed(state, v, &base).await?;
    // A place is smaller than an EPCI: small cells hidden.
    let level = if narrowed.is_some() {
        Level::Commune
    } else {
        v.level
    };
    let count = async |dimension: &'static str| -> Result<Vec<StatsRow>, PageError> {
        Ok(match &narrowed {
            Some(stats) => stats.rows(dimension),
            None => {
                state
                    .db
                    .activity_stats(&StatsQuery {
                        dimension,
                        ..base.clone()
                    })
                    .await?
            }
        })
    };
    let total = count("total").await?;
    let mut tables = Vec::new();
    for (name, _) in DIMENSIONS {
        tables.push(dashboard_table(name, count(name).await?, level));
    }
    let months = match &narrowed {
        Some(stats) => stats.months(),
        None => state.db.activity_months(&base).await?,
    };
    let (sources, source_date) = cra_sources(state, v).await?;
    Ok(Figures {
        total_people: total.first().map_or(0, |r| r.people),
        total_records: total.first().map_or(0, |r| r.records),
        months,
        tables,
        sources,
        source_date,
        level,
    })
}

/// Narrowed to a place or a national programme: the records of those
/// places, counted; `None` otherwise (the roll-ups answer).
async fn narrowed(
    state: &AppState,
    v: &View,
    base: &StatsQuery,
) -> Result<Option<RecordStats>, PageError> {
    if v.place.is_none() && v.programme.is_none() {
        return Ok(None);
    }
    let index = state.place_index().await?;
    let ids: Vec<i64> = index
        .entries
        .iter()
        .filter(|e| v.place.is_none_or(|p| p == e.id))
        .filter(|e| {
            v.programme.is_none_or(|p| {
                e.place
                    .dispositif_programmes_nationaux
                    .iter()
                    .any(|x| x == p)
            })
        })
        .map(|e| e.id)
        .collect();
    Ok(Some(RecordStats::of(
        &state.db.activities_at_places(&ids, base).await?,
    )))
}

/// One dimension's table: its rows with their shares, its title and note.
fn dashboard_table(name: &'static str, rows: Vec<StatsRow>, level: Level) -> DashboardTable {
    let sum: i64 = rows.iter().map(|r| r.people).sum();
    let title = TITLES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, t)| t);
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|r| Row::new(r.value, r.people, sum, Some(r.records), level))
        .collect();
    let charted = [
        ("theme", "themes", "Personnes par thème", "Thème"),
        (
            "type",
            "types",
            "Accompagnements individuels ou collectifs",
            "Type",
        ),
        ("age", "ages", "Personnes par âge", "Âge"),
        ("statut", "statuts", "Personnes par statut", "Statut"),
    ];
    let chart = charted
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, id, chart_title, what)| {
            super::charts::horizontal(id, chart_title.to_string(), what, bars(&rows))
        });
    DashboardTable {
        title,
        rows,
        note: (name == "age").then(age_grouping),
        chart,
    }
}

/// The bars of a table's rows: people, none where hidden.
fn bars(rows: &[Row]) -> Vec<super::charts::Bar> {
    rows.iter()
        .map(|r| super::charts::Bar {
            label: r.value.clone(),
            value: r.people.map(|p| p.max(0) as u64),
        })
        .collect()
}

/// The conseillers numériques' figures, a separate source published per
/// département (no small-cell rule applies to them).
async fn cra_sources(
    state: &AppState,
    v: &View,
) -> Result<(Vec<DashboardTable>, Option<String>), PageError> {
    let departement = match &v.territory {
        Territory::Departement(d) => Some(d.as_str()),
        Territory::Region(_) => None,
        _ => return Ok((Vec::new(), None)),
    };
    if v.own {
        return Ok((Vec::new(), None));
    }
    let mut sources = Vec::new();
    let mut source_date = None;
    for (dimension, title) in [
        ("age", "Âge des personnes accompagnées"),
        ("statut", "Statut des personnes accompagnées"),
    ] {
        let (rows, as_of) = state
            .db
            .aggregate_stats(passerelle_activities::cra::SOURCE, dimension, departement)
            .await?;
        source_date = source_date.or(as_of);
        let sum: i64 = rows.iter().map(|r| r.1).sum();
        sources.push(DashboardTable {
            title,
            rows: rows
                .into_iter()
                .map(|(value, n)| Row::new(value, n, sum, None, Level::Region))
                .collect(),
            note: None,
            chart: None,
        });
    }
    Ok((sources, source_date))
}

/// How the form's age brackets are grouped into the regional reports'
/// (which records imported from CRA v1 already carry), said once under
/// the ages table: "18-24 ans et 25-39 ans comptent dans 18-35 ans ; …".
fn age_grouping() -> String {
    use passerelle_activities::vocab::{AGE_BRACKETS, SEED_AGE_BRACKETS, seed_bracket};
    let groups: Vec<String> = SEED_AGE_BRACKETS
        .iter()
        .filter(|seed| **seed != "non communiqué")
        .map(|seed| {
            let from: Vec<&str> = AGE_BRACKETS
                .iter()
                .filter(|b| seed_bracket(b) == Some(seed))
                .copied()
                .collect();
            let verb = if from.len() > 1 { "comptent" } else { "compte" };
            format!("{} {verb} dans « {seed} »", from.join(" et "))
        })
        .collect();
    format!(
        "Tranches des bilans régionaux et des comptes rendus des conseillers numériques, plus larges que celles du formulaire : {}.",
        groups.join(" ; ")
    )
}

/// "novembre 2026" for `2026-11`.
pub(super) fn month_label(month: &str) -> String {
    match NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d") {
        Ok(day) => {
            let full = fr::date(day);
            full.split_once(' ')
                .map_or(full.clone(), |(_, rest)| rest.to_string())
        }
        Err(_) => month.to_string(),
    }
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    q: &DashboardQuery,
) -> Result<DashboardPage, PageError> {
    let v = view(state, viewer, q).await?;
    let f = figures(state, &v).await?;
    let parts = drill_down(state, &v, q).await?;
    let scope_label = match (&v.scope, v.own) {
        (FiguresScope::Person(_), _) => "Mes activités".to_string(),
        (_, true) => "Activités de la structure".to_string(),
        _ => v
            .territories
            .iter()
            .find(|(k, _)| *k == v.territory_key)
            .map_or_else(|| v.territory_key.clone(), |(_, name)| name.clone()),
    };
    let busiest = f.months.iter().map(|m| m.people).max().unwrap_or(0).max(1);
    let months: Vec<(String, Option<i64>, i64)> = f
        .months
        .iter()
        .map(|m| {
            // A hidden month gets no bar: its length would tell.
            let (people, bar) = if is_hidden(m.people, f.level) {
                (None, 0)
            } else {
                (Some(m.people), m.people * 100 / busiest)
            };
            (month_label(&m.value), people, bar)
        })
        .collect();
    let trend = (!f.months.is_empty()).then(|| {
        super::charts::columns(
            "tendance",
            "Personnes accompagnées par mois".into(),
            "Mois",
            months
                .iter()
                .map(|(month, people, _)| super::charts::Bar {
                    label: month.clone(),
                    value: people.map(|p: i64| p.max(0) as u64),
                })
                .collect(),
        )
    });
    let export_query = serde_urlencoded::to_string(export_pairs(q)).unwrap_or_default();
    Ok(DashboardPage {
        chrome: Chrome::new("/activites", viewer),
        crumbs: crumbs(&[("Activités", "/activites")], "Tableau de bord"),
        scope_label,
        territory: v.territory_key,
        territories: v.territories,
        year: v.period.year,
        period_label: v.period.label(),
        custom_period: !v.period.is_year(),
        from: v.period.from,
        to: v.period.to,
        structures: v.structures,
        structure: v.structure,
        places: v.places,
        place: v.place,
        programmes: passerelle_places::vocab::NATIONAL_PROGRAMMES,
        programme: v.programme,
        total_people: (!is_hidden(f.total_people, f.level)).then_some(f.total_people),
        total_records: f.total_records,
        tables: f.tables,
        sources: f.sources,
        source_date: f.source_date,
        own: v.own,
        months,
        trend,
        parts,
        export_query,
        network: None,
    })
}

/// The territories directly inside the one shown (a region's
/// départements, a département's EPCI, an EPCI's communes) with their
/// people under the small-cell rule, each row opening the same dashboard
/// for it: a drill-down. None for one's own figures or a view narrowed to
/// places (counted from their records, not per territory).
async fn drill_down(
    state: &AppState,
    v: &View,
    q: &DashboardQuery,
) -> Result<Vec<(String, String, String)>, PageError> {
    if v.own || v.place.is_some() || v.programme.is_some() {
        return Ok(Vec::new());
    }
    let region = matches!(v.territory, Territory::Region(_));
    let mut out = Vec::new();
    for (t, name) in inside(state, v.territory.clone())
        .await?
        .into_iter()
        .skip(1)
    {
        if region && !matches!(t, Territory::Departement(_)) {
            continue;
        }
        let rows = state
            .db
            .activity_stats(&StatsQuery {
                dimension: "total",
                territory: t.clone(),
                from: v.period.from.clone(),
                to: v.period.to.clone(),
                structure_id: v.structure,
                scope: v.scope.clone(),
            })
            .await?;
        let people = rows.first().map_or(0, |r| r.people);
        let people = (!is_hidden(people, territory_level(&t))).then_some(people);
        let mut pairs = export_pairs(q);
        pairs.retain(|(k, _)| *k != "territoire");
        pairs.push(("territoire", t.key()));
        let href = format!(
            "{PATH}?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        );
        out.push((name, href, shown_count(people)));
    }
    Ok(out)
}

/// The query's fields, for the export links.
fn export_pairs(q: &DashboardQuery) -> Vec<(&'static str, String)> {
    [
        ("annee", &q.annee),
        ("du", &q.du),
        ("au", &q.au),
        ("territoire", &q.territoire),
        ("structure", &q.structure),
        ("lieu", &q.lieu),
        ("programme", &q.programme),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect()
}

pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let mut page = page(&state, &viewer, &q).await?;
    page.network = crate::reseau::dashboard_line(&state, &viewer).await;
    Ok(render(&page))
}

/// A count in a file: `12400`, or `< 5` when hidden.
fn raw(n: Option<i64>) -> String {
    n.map_or_else(|| "< 5".to_string(), |n| n.to_string())
}

/// A share in %, at most one decimal, trailing zero dropped (`12.5`,
/// `40`); the writer gives it the dialect's decimal separator.
fn percent_cell(x: f64) -> String {
    let text = format!("{x:.1}");
    text.strip_suffix(".0").unwrap_or(&text).to_string()
}

/// Every table of a dashboard, in the order shown, as shown: small cells
/// hidden; shares with the dialect's decimal separator.
fn export_tables(page: &DashboardPage) -> Vec<Table> {
    const HEADERS: [&str; 4] = ["valeur", "personnes", "pourcentage", "fiches"];
    let mut out = vec![Table {
        title: "Personnes par mois".to_string(),
        headers: HEADERS.to_vec(),
        rows: page
            .months
            .iter()
            .map(|(month, people, _)| {
                vec![month.clone(), raw(*people), String::new(), String::new()]
            })
            .collect(),
    }];
    let rows = |t: &DashboardTable| {
        t.rows
            .iter()
            .map(|r| {
                vec![
                    r.value.clone(),
                    raw(r.people),
                    r.share.map(|s| percent_cell(s * 100.0)).unwrap_or_default(),
                    r.records.map(|n| n.to_string()).unwrap_or_default(),
                ]
            })
            .collect()
    };
    out.extend(page.tables.iter().map(|t| Table {
        title: t.title.to_string(),
        headers: HEADERS.to_vec(),
        rows: rows(t),
    }));
    out.extend(page.sources.iter().map(|t| Table {
        title: format!("Conseillers numériques (CRA) : {}", t.title),
        headers: HEADERS.to_vec(),
        rows: rows(t),
    }));
    out
}

/// Every table of the dashboard as CSV (`tableau;valeur;personnes;
/// pourcentage;fiches`): for French Excel, or standard with
/// `format=standard`.
pub async fn dashboard_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let dialect = match q.format.as_deref() {
        Some("standard") => Dialect::Standard,
        _ => Dialect::FrenchExcel,
    };
    let page = page(&state, &viewer, &q).await?;
    let tables = export_tables(&page);
    Ok(crate::export::csv_in(
        dialect,
        "passerelle-activites.csv",
        &tables,
    ))
}

/// Every table of the dashboard as an XLSX workbook.
pub async fn dashboard_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let page = page(&state, &viewer, &q).await?;
    let about = [
        ("Territoire", page.scope_label.clone()),
        ("Période", page.period_label.clone()),
        ("Personnes accompagnées", page.count(&page.total_people)),
        ("Fiches", page.total_records_shown()),
        (
            "Lecture",
            "Un atelier de 8 personnes compte 8 accompagnements ; une fiche à plusieurs thèmes compte pour chacun. « < 5 » : moins de 5 personnes dans un territoire plus petit qu’un EPCI, non publié.".to_string(),
        ),
    ];
    let response: Response = crate::export::xlsx(
        "passerelle-activites.xlsx",
        "Activités",
        &about,
        &export_tables(&page),
    );
    Ok(response)
}
