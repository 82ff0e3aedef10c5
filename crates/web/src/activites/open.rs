//! `GET /api/v1/open/activities`: activity figures of a territory of the
//! loaded reference, month by month and by dimension, as open data. Read
//! from the roll-ups (no record is scanned) and published under the
//! small-cell rule of `passerelle_activities::aggregate` (`protect`): below
//! the EPCI, a count of 1 to 4 is not given (`null`), nor a cell that would
//! let one recompute it from the total. Anonymous; no structure, mediator
//! or record is ever named.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Query, State};
use passerelle_accounts::policy::Action;
use passerelle_activities::aggregate::{Level, protect};
use passerelle_store::activities::{DIMENSIONS, StatsQuery, StatsRow, Territory};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Viewer, api_denial};
use crate::error::ApiError;

#[derive(Deserialize, IntoParams)]
pub struct OpenQuery {
    /// `com:<INSEE>`, `epci:<SIREN>`, `dep:<code>` or `reg:<code>`, of the
    /// loaded territorial reference.
    territory: Option<String>,
    /// First month, `YYYY-MM`.
    from: Option<String>,
    /// Last month, `YYYY-MM`, included.
    to: Option<String>,
}

/// The territory answered for.
#[derive(Serialize, ToSchema)]
pub struct OpenTerritory {
    /// As asked: `dep:29`.
    code: String,
    /// `commune`, `epci`, `departement` or `region`.
    level: &'static str,
    name: String,
}

/// One cell: people (a workshop of 8 counts 8) and activity records.
/// `null`: fewer than 5, or hidden with such a cell (small-cell rule).
#[derive(Serialize, ToSchema)]
pub struct OpenCell {
    /// The month (`2025-03`) or the dimension's value; empty for the total.
    value: String,
    people: Option<u64>,
    records: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct OpenActivities {
    territory: OpenTerritory,
    from: String,
    to: String,
    /// The small-cell rule applied, in words.
    rule: &'static str,
    total: OpenCell,
    /// Every month of the period, in order.
    months: Vec<OpenCell>,
    /// Per dimension (`theme`, `type`, `duree`, `age`, `statut`,
    /// `organisation`, `aide`, `autonomie`, `orientation`, `suivi`), its
    /// values, most people first. Themes and kinds of help overlap (a
    /// record may have several).
    dimensions: BTreeMap<String, Vec<OpenCell>>,
}

const RULE: &str = "En dessous de l’EPCI, un effectif de 1 à 4 n’est pas donné (null), ni une case qui permettrait de le retrouver à partir du total.";

/// The longest period answered at once (ten years).
const MAX_MONTHS: usize = 120;

/// Dimensions whose values share out the people of the total.
const PARTITIONS: [&str; 5] = ["type", "duree", "age", "statut", "suivi"];

/// `YYYY-MM`.
fn month(text: Option<&str>, name: &str) -> Result<String, ApiError> {
    let text = text.unwrap_or("").trim();
    let ok = text.len() == 7
        && chrono::NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").is_ok();
    if ok {
        Ok(text.to_string())
    } else {
        Err(ApiError::bad_request(format!(
            "« {name} » : attendu un mois AAAA-MM, par exemple 2025-03 (reçu « {text} »)"
        )))
    }
}

/// The months from `from` to `to`, included.
fn months_between(from: &str, to: &str) -> Vec<String> {
    let parse = |m: &str| chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d");
    let (Ok(mut day), Ok(last)) = (parse(from), parse(to)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while day <= last {
        out.push(day.format("%Y-%m").to_string());
        day = day
            .checked_add_months(chrono::Months::new(1))
            .expect("a month after");
    }
    out
}

fn cells(rows: &[(String, u64, u64)], level: Level, partition: bool) -> Vec<OpenCell> {
    let counts: Vec<(u64, u64)> = rows.iter().map(|(_, p, r)| (*p, *r)).collect();
    rows.iter()
        .zip(protect(&counts, level, partition))
        .map(|((value, ..), (people, records))| OpenCell {
            value: value.clone(),
            people,
            records,
        })
        .collect()
}

fn counts(rows: &[StatsRow]) -> Vec<(String, u64, u64)> {
    rows.iter()
        .map(|r| {
            (
                r.value.clone(),
                r.people.max(0) as u64,
                r.records.max(0) as u64,
            )
        })
        .collect()
}

/// Activity figures of a territory by month and by dimension, as open data
/// under the small-cell rule. Anonymous.
#[utoipa::path(get, path = "/api/v1/open/activities", tag = "activites",
    params(OpenQuery),
    responses(
        (status = 200, body = OpenActivities),
        (status = 400, description = "A territory or month not written as expected", body = crate::error::ErrorBody),
        (status = 404, description = "No such territory in the loaded reference", body = crate::error::ErrorBody),
    ))]
pub async fn api_open_activities(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<OpenQuery>,
) -> Result<Json<OpenActivities>, ApiError> {
    viewer.authorize(Action::ViewOpenData).map_err(api_denial)?;
    let (asked, territory) = open_territory(&q)?;
    let (level, territory_level, name) = named(&state, &asked, &territory).await?;
    let (from, to) = open_months(&q)?;
    let figures = open_figures(&state, &territory, &from, &to).await?;
    Ok(Json(OpenActivities {
        territory: OpenTerritory {
            code: asked,
            level: territory_level,
            name,
        },
        total: cells(
            &[(String::new(), figures.people, figures.records)],
            level,
            false,
        )
        .pop()
        .expect("one cell"),
        months: cells(&figures.months, level, true),
        dimensions: figures
            .dimensions
            .into_iter()
            .map(|(dimension, rows)| {
                let cells = cells(&rows, level, PARTITIONS.contains(&dimension));
                (dimension.to_string(), cells)
            })
            .collect(),
        from,
        to,
        rule: RULE,
    }))
}

/// The territory asked, as written and read (any level but "all").
fn open_territory(q: &OpenQuery) -> Result<(String, Territory), ApiError> {
    let asked = q.territory.as_deref().unwrap_or("").trim().to_string();
    let territory = Territory::parse(&asked)
        .filter(|t| *t != Territory::All)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "« territory » : attendu com:<code INSEE>, epci:<SIREN>, dep:<code> ou reg:<code> (reçu « {asked} »)"
            ))
        })?;
    Ok((asked, territory))
}

/// The territory's level, the level's name and its own name, from the
/// loaded reference (404 when it is not there).
async fn named(
    state: &AppState,
    asked: &str,
    territory: &Territory,
) -> Result<(Level, &'static str, String), ApiError> {
    let db = &state.db;
    let (level, level_name, name) = match territory {
        Territory::Commune(c) => (
            Level::Commune,
            "commune",
            db.commune(c).await?.map(|t| t.nom),
        ),
        Territory::Epci(c) => (
            Level::Epci,
            "epci",
            db.epci(c)
                .await?
                .map(|t| t.nom.unwrap_or_else(|| t.siren.clone())),
        ),
        Territory::Departement(c) => (
            Level::Departement,
            "departement",
            db.departement(c).await?.map(|t| t.nom),
        ),
        Territory::Region(c) => (Level::Region, "region", db.region(c).await?.map(|t| t.nom)),
        Territory::All => unreachable!("refused by open_territory"),
    };
    let name = name.ok_or_else(|| {
        ApiError::not_found(format!(
            "« {asked} » n’est pas un territoire du référentiel chargé"
        ))
    })?;
    Ok((level, level_name, name))
}

/// The first and last months asked, in order, at most `MAX_MONTHS` apart.
fn open_months(q: &OpenQuery) -> Result<(String, String), ApiError> {
    let (mut from, mut to) = (
        month(q.from.as_deref(), "from")?,
        month(q.to.as_deref(), "to")?,
    );
    if from > to {
        std::mem::swap(&mut from, &mut to);
    }
    if months_between(&from, &to).len() > MAX_MONTHS {
        return Err(ApiError::bad_request(format!(
            "de « {from} » à « {to} » : au plus {MAX_MONTHS} mois à la fois"
        )));
    }
    Ok((from, to))
}

/// Values with their people and records.
type Counts = Vec<(String, u64, u64)>;

/// A territory's counts from the roll-ups, before the small-cell rule.
struct OpenFigures {
    people: u64,
    records: u64,
    /// Every month of the period, with its people and records.
    months: Counts,
    dimensions: Vec<(&'static str, Counts)>,
}

async fn open_figures(
    state: &AppState,
    territory: &Territory,
    from: &str,
    to: &str,
) -> Result<OpenFigures, ApiError> {
    let db = &state.db;
    let query = |dimension: &'static str| StatsQuery {
        dimension,
        territory: territory.clone(),
        from: from.to_string(),
        to: to.to_string(),
        structure_id: None,
        // Open data: every record of the territory, published only as the
        // small-cell-protected aggregates (`Action::ViewOpenData`).
        scope: passerelle_accounts::policy::FiguresScope::Everything,
    };
    let total = counts(&db.activity_stats(&query("total")).await?);
    let (people, records) = total.first().map_or((0, 0), |(_, p, r)| (*p, *r));
    let by_month: BTreeMap<String, (u64, u64)> =
        counts(&db.activity_months(&query("total")).await?)
            .into_iter()
            .map(|(m, p, r)| (m, (p, r)))
            .collect();
    let months = months_between(from, to)
        .into_iter()
        .map(|m| {
            let (p, r) = by_month.get(&m).copied().unwrap_or((0, 0));
            (m, p, r)
        })
        .collect();
    let mut dimensions = Vec::new();
    for (dimension, _) in DIMENSIONS {
        dimensions.push((
            dimension,
            counts(&db.activity_stats(&query(dimension)).await?),
        ));
    }
    Ok(OpenFigures {
        people,
        records,
        months,
        dimensions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_of_a_period() {
        assert_eq!(
            months_between("2024-11", "2025-02"),
            vec!["2024-11", "2024-12", "2025-01", "2025-02"]
        );
        assert!(month(Some("2025-13"), "from").is_err());
        assert!(month(Some("2025-3"), "from").is_err());
        assert_eq!(month(Some("2025-03"), "from").unwrap(), "2025-03");
    }
}
