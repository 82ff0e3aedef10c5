//! What coordinators count (`/reseau/bilan`): the events held in their
//! territories — how many, registered, present — by territory, kind and
//! theme, and the training needs professionals expressed, by département
//! and theme under the small-cell rule. The activity dashboard links here.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use chrono::{Datelike, Duration, NaiveDate};
use passerelle_accounts::policy::network_figures;
use passerelle_network::events::day_start;
use passerelle_network::needs::small_cells;
use passerelle_network::vocab::Theme;
use passerelle_store::network::HeldEvent;
use serde::Deserialize;

use super::forms::{self, Errors};
use super::{SECTION, today, trail};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::fr;
use crate::pages::{Chrome, Crumb, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![Route::get("/reseau/bilan", figures)]
}

#[derive(Deserialize, Default)]
struct Period {
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
}

/// A line of counts: label, events, registered, present ("—" when no
/// attendance was taken).
struct Line {
    label: String,
    events: String,
    registered: String,
    present: String,
}

#[derive(Default)]
struct Sum {
    events: i64,
    registered: i64,
    present: Option<i64>,
}

impl Sum {
    fn add(&mut self, e: &HeldEvent) {
        self.events += 1;
        self.registered += e.registered;
        if let Some(p) = e.present {
            self.present = Some(self.present.unwrap_or(0) + p);
        }
    }

    fn line(self, label: String) -> Line {
        Line {
            label,
            events: fr::integer(self.events),
            registered: fr::integer(self.registered),
            present: self.present.map_or_else(|| "—".into(), fr::integer),
        }
    }
}

fn lines(held: &[HeldEvent], keys: impl Fn(&HeldEvent) -> Vec<String>) -> Vec<Line> {
    let mut sums: BTreeMap<String, Sum> = BTreeMap::new();
    for e in held {
        for k in keys(e) {
            sums.entry(k).or_default().add(e);
        }
    }
    sums.into_iter().map(|(k, s)| s.line(k)).collect()
}

struct NeedLine {
    departement: String,
    theme: String,
    count: String,
}

fn need_lines(counts: &[passerelle_store::network::NeedCount]) -> Vec<NeedLine> {
    let mut by_dep: BTreeMap<String, BTreeMap<Theme, u64>> = BTreeMap::new();
    for c in counts {
        let dep = c
            .departement
            .clone()
            .unwrap_or_else(|| "Région entière".into());
        *by_dep.entry(dep).or_default().entry(c.theme).or_default() += c.count;
    }
    let mut out = Vec::new();
    for (dep, themes) in by_dep {
        let total: u64 = themes.values().sum();
        let shown = small_cells(&themes.values().copied().collect::<Vec<_>>());
        let say =
            |n: Option<u64>| n.map_or_else(|| "moins de 5".to_string(), |n| fr::integer(n as i64));
        out.push(NeedLine {
            departement: dep.clone(),
            theme: "Tous thèmes".into(),
            count: say(small_cells(&[total])[0]),
        });
        for ((theme, _), n) in themes.iter().zip(shown) {
            out.push(NeedLine {
                departement: dep.clone(),
                theme: theme.label().into(),
                count: say(n),
            });
        }
    }
    out
}

#[derive(Template)]
#[template(path = "reseau/bilan.html")]
struct FiguresPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    from: String,
    to: String,
    period: String,
    errors: Errors,
    total: Line,
    tables: Vec<EventTable>,
    needs: Vec<NeedLine>,
}

struct EventTable {
    caption: &'static str,
    column: &'static str,
    lines: Vec<Line>,
}

async fn figures(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<Period>,
) -> PageResult {
    let scope =
        network_figures(&viewer.actor).map_err(|d| PageError::denied(d, "/reseau/bilan"))?;
    let mut errors = Errors::default();
    let today = today();
    let from = forms::date(&mut errors, "du", &p.du)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
    let to = forms::date(&mut errors, "au", &p.au).unwrap_or(today);
    let held = state
        .db
        .held_events(
            &scope,
            viewer.person_id(),
            day_start(from),
            day_start(to + Duration::days(1)),
        )
        .await?;
    let mut total = Sum::default();
    held.iter().for_each(|e| total.add(e));
    let counts = state.db.training_need_counts(&scope).await?;
    Ok(render(&FiguresPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail("Bilan de l’animation"),
        period: format!("du {} au {}", fr::date(from), fr::date(to)),
        from: from.to_string(),
        to: to.to_string(),
        errors,
        total: total.line("Total".into()),
        tables: vec![
            EventTable {
                caption: "Par territoire",
                column: "Département",
                lines: lines(&held, |e| {
                    vec![
                        e.area
                            .departement
                            .clone()
                            .unwrap_or_else(|| "En ligne ou sans lieu".into()),
                    ]
                }),
            },
            EventTable {
                caption: "Par type",
                column: "Type",
                lines: lines(&held, |e| vec![e.kind.label().to_string()]),
            },
            EventTable {
                caption: "Par thème (un événement compte pour chacun de ses thèmes)",
                column: "Thème",
                lines: lines(&held, |e| {
                    e.themes.iter().map(|t| t.label().to_string()).collect()
                }),
            },
        ],
        needs: need_lines(&counts),
    }))
}

/// For the activity dashboard: events held and people present this year
/// in the viewer's territories, or `None` for those who see no figures.
pub async fn summary(state: &AppState, viewer: &Viewer) -> Result<Option<(i64, i64)>, PageError> {
    let Ok(scope) = network_figures(&viewer.actor) else {
        return Ok(None);
    };
    let today = today();
    let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let held = state
        .db
        .held_events(
            &scope,
            viewer.person_id(),
            day_start(from),
            day_start(today + Duration::days(1)),
        )
        .await?;
    Ok(Some((
        held.len() as i64,
        held.iter().filter_map(|e| e.present).sum(),
    )))
}
