//! Orientations' figures, anonymous: who refers to whom (structure
//! kinds), where referrals stand, the median delays; by year and by the
//! départements of the viewer's territorial scope, with CSV and XLSX.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::Utc;
use passerelle_accounts::StructureKind;
use passerelle_accounts::policy::{Action, Denial, TerritorialScope, territorial_scope};
use passerelle_referrals::lifecycle::Status;

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

fn kind_label(code: &str) -> &'static str {
    StructureKind::parse(code).map_or("autre", StructureKind::label)
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
            &format!("{year}-01-01"),
            &format!("{}-01-01", year + 1),
        )
        .await?;
    let mut senders: Vec<&String> = s.flows.keys().map(|(a, _)| a).collect();
    senders.dedup();
    let mut receivers: Vec<&String> = s.flows.keys().map(|(_, b)| b).collect();
    receivers.sort();
    receivers.dedup();
    let rows = senders
        .iter()
        .map(|a| {
            (
                kind_label(a),
                receivers
                    .iter()
                    .map(|b| {
                        s.flows
                            .get(&((*a).clone(), (*b).clone()))
                            .copied()
                            .unwrap_or(0)
                    })
                    .collect(),
            )
        })
        .collect();
    let statuses = Status::ALL
        .iter()
        .map(|st| {
            let n = s.statuses.get(st.code()).copied().unwrap_or(0);
            let share = if s.total == 0 {
                String::new()
            } else {
                format!("{:.1}", n as f64 * 100.0 / s.total as f64)
            };
            (st.label(), n, share)
        })
        .collect();
    let days = |d: Option<f64>| d.map_or_else(|| "—".to_string(), |d| format!("{d:.1} j"));
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
        columns: receivers.iter().map(|k| kind_label(k)).collect(),
        rows,
        statuses,
        median_first: days(s.median_days_to_first_action),
        median_closure: days(s.median_days_to_closure),
    })
}
