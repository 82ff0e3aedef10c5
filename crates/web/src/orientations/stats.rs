//! Orientations' figures, anonymous: who refers to whom (structure
//! kinds), where referrals stand, the median delays; by year and by the
//! départements of the viewer's territorial scope, with CSV and XLSX.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{NaiveDate, Utc};
use passerelle_accounts::StructureKind;
use passerelle_accounts::policy::{Action, Denial, TerritorialScope, territorial_scope};
use passerelle_referrals::lifecycle::Status;
use passerelle_store::referrals::ReferralStats;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, crumbs, render};

#[derive(Template)]
#[template(path = "orientations/statistiques.html")]
struct StatsPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    year: i32,
    departement: String,
    /// Its name in the reference ("Finistère"), empty for all.
    departement_name: String,
    /// (code, name) of the départements the viewer may choose.
    departements: Vec<(String, String)>,
    /// Whether "all départements" may be chosen.
    everywhere: bool,
    total: i64,
    /// Receiving kinds (columns), then one row per sending kind.
    columns: Vec<&'static str>,
    rows: Vec<(&'static str, Vec<i64>)>,
    statuses: Vec<(&'static str, i64, String)>,
    median_first: String,
    median_closure: String,
    export_query: String,
}

fn january_first(year: i32) -> Result<NaiveDate, PageError> {
    NaiveDate::from_ymd_opt(year, 1, 1).ok_or(PageError::NotFound)
}

/// Who refers to whom: the receiving kinds (columns), then per sending
/// kind its counts, each list by label.
fn flows(s: &ReferralStats) -> (Vec<&'static str>, Vec<(&'static str, Vec<i64>)>) {
    let by_label = |mut kinds: Vec<StructureKind>| {
        kinds.sort_by_key(|k| k.label());
        kinds.dedup();
        kinds
    };
    let senders = by_label(s.flows.keys().map(|(a, _)| *a).collect());
    let receivers = by_label(s.flows.keys().map(|(_, b)| *b).collect());
    let rows = senders
        .iter()
        .map(|a| {
            let counts = receivers
                .iter()
                .map(|b| s.flows.get(&(*a, *b)).copied().unwrap_or(0))
                .collect();
            (a.label(), counts)
        })
        .collect();
    (receivers.iter().map(|k| k.label()).collect(), rows)
}

/// Each status, its count and its share in per cent (empty when none).
fn statuses(s: &ReferralStats) -> Vec<(&'static str, i64, String)> {
    Status::ALL
        .iter()
        .map(|st| {
            let n = s.statuses.get(st).copied().unwrap_or(0);
            let share = if s.total == 0 {
                String::new()
            } else {
                crate::fr::decimal(n as f64 * 100.0 / s.total as f64, 1)
            };
            (st.label(), n, share)
        })
        .collect()
}

pub async fn page(State(state): State<AppState>, viewer: Viewer, query: Asked) -> PageResult {
    Ok(render(&build(&state, &viewer, query).await?))
}

impl StatsPage {
    fn tables(&self) -> Vec<crate::export::Table> {
        let mut flows = crate::export::Table {
            title: "Qui oriente vers qui".into(),
            headers: vec!["de", "vers", "orientations"],
            rows: Vec::new(),
        };
        for (from, counts) in &self.rows {
            for (to, n) in self.columns.iter().zip(counts) {
                flows
                    .rows
                    .push(vec![from.to_string(), to.to_string(), n.to_string()]);
            }
        }
        let statuses = crate::export::Table {
            title: "État des orientations".into(),
            headers: vec!["état", "orientations", "pourcentage"],
            rows: self
                .statuses
                .iter()
                .map(|(l, n, share)| vec![l.to_string(), n.to_string(), share.clone()])
                .collect(),
        };
        vec![flows, statuses]
    }

    fn about(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Année", self.year.to_string()),
            (
                "Département",
                if self.departement.is_empty() {
                    "tous".into()
                } else {
                    self.departement_name.clone()
                },
            ),
            ("Orientations", self.total.to_string()),
            (
                "Délai médian jusqu’à la première action",
                self.median_first.clone(),
            ),
            (
                "Délai médian jusqu’à la clôture",
                self.median_closure.clone(),
            ),
        ]
    }
}

/// What the statistics page is asked: `?annee=2026&departement=29`.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct StatsQuery {
    annee: String,
    departement: String,
}

/// The query, or none when it cannot be read (then: this year, the
/// viewer's first département).
type Asked = Result<Query<StatsQuery>, QueryRejection>;

pub async fn csv(State(state): State<AppState>, viewer: Viewer, query: Asked) -> PageResult {
    let page = build(&state, &viewer, query).await?;
    Ok(crate::export::csv(
        "passerelle-orientations.csv",
        &page.tables(),
    ))
}

pub async fn xlsx(State(state): State<AppState>, viewer: Viewer, query: Asked) -> PageResult {
    let page = build(&state, &viewer, query).await?;
    Ok(crate::export::xlsx(
        "passerelle-orientations.xlsx",
        "Orientations",
        &page.about(),
        &page.tables(),
    ))
}

/// The départements of the loaded reference the viewer answers for (a
/// région's coordinator: each of its départements), `(code, name)`.
async fn departements(
    state: &AppState,
    scope: &TerritorialScope,
) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .db
        .territories_within(scope)
        .await?
        .into_iter()
        .filter(|t| t.level == passerelle_accounts::ScopeLevel::Departement)
        .map(|t| (t.code, t.name))
        .collect())
}

async fn build(state: &AppState, viewer: &Viewer, query: Asked) -> Result<StatsPage, PageError> {
    let path = "/orientations/statistiques";
    viewer
        .authorize(Action::ViewReferralStats)
        .map_err(|d| PageError::denied(d, path))?;
    let asked = query.map(|Query(q)| q).unwrap_or_default();
    let year: i32 = asked
        .annee
        .trim()
        .parse()
        .ok()
        .filter(|y| (2015..=2100).contains(y))
        .unwrap_or_else(|| chrono::Datelike::year(&Utc::now()));
    // "All of them" only for whoever sees everywhere.
    let scope = territorial_scope(&viewer.actor);
    let departements = departements(state, &scope).await?;
    let everywhere = scope == TerritorialScope::Everywhere;
    let departement = match asked.departement.trim() {
        "" if everywhere => String::new(),
        "" => departements
            .first()
            .map(|(code, _)| code.clone())
            .ok_or_else(|| PageError::denied(Denial::Forbidden, path))?,
        d if departements.iter().any(|(code, _)| code == d) => d.to_string(),
        _ => return Err(PageError::denied(Denial::Forbidden, path)),
    };
    let departement_name = departements
        .iter()
        .find(|(code, _)| *code == departement)
        .map(|(_, name)| name.clone())
        .unwrap_or_default();
    let s = state
        .db
        .referral_stats(
            Some(departement.as_str()).filter(|d| !d.is_empty()),
            january_first(year)?,
            january_first(year + 1)?,
        )
        .await?;
    let (columns, rows) = flows(&s);
    let statuses = statuses(&s);
    let days = |d: Option<f64>| {
        d.map_or_else(
            || "—".to_string(),
            |d| format!("{} j", crate::fr::decimal(d, 1)),
        )
    };
    let export_query = serde_urlencoded::to_string([
        ("annee", year.to_string()),
        ("departement", departement.clone()),
    ])
    .unwrap_or_default();
    Ok(StatsPage {
        everywhere,
        departement_name,
        export_query,
        chrome: Chrome::new("/orientations", viewer),
        crumbs: crumbs(&[("Orientations", "/orientations")], "Statistiques"),
        year,
        departement,
        departements,
        total: s.total,
        columns,
        rows,
        statuses,
        median_first: days(s.median_days_to_first_action),
        median_closure: days(s.median_days_to_closure),
    })
}
