//! Réseau in the database: the directory and networks (`directory`),
//! events and registrations (`events`), the ressourcerie (`resources`),
//! opportunities, the weekly digest and training needs (`opportunities`),
//! and the scheduled job (`jobs`: reminders, waiting lists, expiry,
//! digest), with its figures for coordinators.
//!
//! Every write goes through `Database::write`: the change, its audit line
//! (who acted, through which structure, from which address) and the
//! notifications it causes (`passerelle_accounts::notification`, queued as
//! each recipient chose for its topic) commit together or not at all.
//!
//! Records are located at every level of the reference (commune, EPCI,
//! département, région), filled here from the loaded reference when they
//! are written: pages filter at any level, and a coordinator's scope
//! covers what lies inside it.

mod directory;
mod events;
mod jobs;
mod opportunities;
mod resources;

pub use directory::*;
pub use events::*;
pub use jobs::*;
pub use opportunities::*;
pub use resources::*;

use chrono::{DateTime, NaiveDate, Utc};
use passerelle_accounts::ScopeLevel;
use passerelle_accounts::policy::{FiguresScope, Location};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::StoreError;
use crate::referrals::parse_iso;

/// A person acting in Réseau: every Réseau write is a signed-in
/// person's. `acting` is who acts as the audit trail records it (with the
/// address and the structure acted through).
#[derive(Debug, Clone)]
pub struct Member {
    pub person_id: i64,
    pub acting: crate::write::Acting,
}

impl Member {
    /// The person of `acting`, if a person acts (not an API token).
    pub fn of(acting: crate::write::Acting) -> Option<Self> {
        Some(Self {
            person_id: acting.person?,
            acting,
        })
    }
}

/// A territory of the reference, as pickers offer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryChoice {
    pub level: ScopeLevel,
    pub code: String,
    pub name: String,
}

/// Where a record is, with the names of its levels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Area {
    pub location: Location,
    pub commune: Option<String>,
    pub epci: Option<String>,
    pub departement: Option<String>,
    pub region: Option<String>,
}

impl Area {
    /// The name of its smallest level, if it names one.
    pub fn name(&self) -> Option<&str> {
        self.commune
            .as_deref()
            .or(self.epci.as_deref())
            .or(self.departement.as_deref())
            .or(self.region.as_deref())
    }
}

/// The joins giving an area's names, for a table aliased `x`.
pub(crate) const AREA_JOINS: &str = "LEFT JOIN communes lc ON lc.code = x.commune_code \
     LEFT JOIN epcis le ON le.siren = x.epci_siren \
     LEFT JOIN departements ld ON ld.code = x.departement_code \
     LEFT JOIN regions lr ON lr.code = x.region_code";

/// The columns `area` reads, for a table aliased `x`.
pub(crate) const AREA_COLUMNS: &str = "x.commune_code, x.epci_siren, x.departement_code, x.region_code, \
     lc.nom AS commune_nom, le.nom AS epci_nom, ld.nom AS departement_nom, lr.nom AS region_nom";

pub(crate) fn location(r: &AnyRow) -> Result<Location, sqlx::Error> {
    Ok(Location {
        commune: r.try_get("commune_code")?,
        epci: r.try_get("epci_siren")?,
        departement: r.try_get("departement_code")?,
        region: r.try_get("region_code")?,
    })
}

pub(crate) fn area(r: &AnyRow) -> Result<Area, sqlx::Error> {
    Ok(Area {
        location: location(r)?,
        commune: r.try_get("commune_nom")?,
        epci: r.try_get("epci_nom")?,
        departement: r.try_get("departement_nom")?,
        region: r.try_get("region_nom")?,
    })
}

/// Where a commune lies, from the reference.
pub(crate) async fn commune_location(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<Location>, sqlx::Error> {
    territory_location(conn, ScopeLevel::Commune, code).await
}

/// Where a territory lies: its code and the levels above it that are
/// unique (an EPCI spanning two départements has none). `None` when the
/// reference does not hold it.
pub(crate) async fn territory_location(
    conn: &mut AnyConnection,
    level: ScopeLevel,
    code: &str,
) -> Result<Option<Location>, sqlx::Error> {
    let sql = match level {
        ScopeLevel::Commune => {
            "SELECT c.code AS commune_code, c.epci_siren AS epci_siren, c.departement_code AS departement_code, \
             d.region_code AS region_code FROM communes c JOIN departements d ON d.code = c.departement_code \
             WHERE c.code = $1"
        }
        ScopeLevel::Epci => {
            "SELECT NULL AS commune_code, c.epci_siren AS epci_siren, \
             CASE WHEN MIN(c.departement_code) = MAX(c.departement_code) THEN MIN(c.departement_code) END AS departement_code, \
             CASE WHEN MIN(d.region_code) = MAX(d.region_code) THEN MIN(d.region_code) END AS region_code \
             FROM communes c JOIN departements d ON d.code = c.departement_code \
             WHERE c.epci_siren = $1 GROUP BY c.epci_siren"
        }
        ScopeLevel::Departement => {
            "SELECT NULL AS commune_code, NULL AS epci_siren, d.code AS departement_code, d.region_code AS region_code \
             FROM departements d WHERE d.code = $1"
        }
        ScopeLevel::Region => {
            "SELECT NULL AS commune_code, NULL AS epci_siren, NULL AS departement_code, r.code AS region_code \
             FROM regions r WHERE r.code = $1"
        }
    };
    let row = sqlx::query(sql)
        .bind(code.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(location).transpose()
}

/// Binds a location's four columns, in order.
pub(crate) fn bind_location<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    l: &Location,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(l.commune.clone())
        .bind(l.epci.clone())
        .bind(l.departement.clone())
        .bind(l.region.clone())
}

/// A parameter of a query built from optional filters.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

/// Binds `params` in order.
pub(crate) fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    params: Vec<Param>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for p in params {
        query = match p {
            Param::Text(t) => query.bind(t),
            Param::Int(i) => query.bind(i),
        };
    }
    query
}

/// The column holding a level's code.
pub(crate) fn column(level: ScopeLevel) -> &'static str {
    match level {
        ScopeLevel::Commune => "commune_code",
        ScopeLevel::Epci => "epci_siren",
        ScopeLevel::Departement => "departement_code",
        ScopeLevel::Region => "region_code",
    }
}

/// `(x.<level column> = $n OR …)` for the territories of a figures scope,
/// starting at parameter `first`, with the codes to bind.
pub(crate) fn scope_clause(scope: &FiguresScope, first: usize) -> (String, Vec<String>) {
    match scope {
        FiguresScope::Everything => ("1 = 1".into(), Vec::new()),
        FiguresScope::Territories(scopes) if !scopes.is_empty() => {
            let parts: Vec<String> = scopes
                .iter()
                .enumerate()
                .map(|(i, s)| format!("x.{} = ${}", column(s.level), first + i))
                .collect();
            (
                format!("({})", parts.join(" OR ")),
                scopes.iter().map(|s| s.code.clone()).collect(),
            )
        }
        _ => ("1 = 0".into(), Vec::new()),
    }
}

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value:?}"))
}

/// A stored closed-list code, or `Corrupt`.
pub(crate) fn coded<T>(
    r: &AnyRow,
    col: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let text: String = r.try_get(col)?;
    parse(&text).ok_or_else(|| corrupt(col, &text))
}

pub(crate) fn instant(r: &AnyRow, col: &str) -> Result<DateTime<Utc>, StoreError> {
    let text: String = r.try_get(col)?;
    parse_iso(&text).ok_or_else(|| corrupt(col, &text))
}

pub(crate) fn maybe_instant(r: &AnyRow, col: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    let text: Option<String> = r.try_get(col)?;
    text.map(|t| parse_iso(&t).ok_or_else(|| corrupt(col, &t)))
        .transpose()
}

pub(crate) fn day(r: &AnyRow, col: &str) -> Result<NaiveDate, StoreError> {
    let text: String = r.try_get(col)?;
    text.parse().map_err(|_| corrupt(col, &text))
}

pub(crate) fn maybe_day(r: &AnyRow, col: &str) -> Result<Option<NaiveDate>, StoreError> {
    let text: Option<String> = r.try_get(col)?;
    text.map(|t| t.parse().map_err(|_| corrupt(col, &t)))
        .transpose()
}

impl crate::Database {
    /// Deletes the acting person's row of `table` (the one whose `key`
    /// column is the given id, when there is a key) and, if there was one,
    /// writes the audit line `action` on `subject` with it; whether there
    /// was.
    pub(crate) async fn withdraw_own(
        &self,
        acting: &Member,
        table: &'static str,
        key: Option<(&'static str, i64)>,
        action: &str,
        subject: String,
    ) -> Result<bool, StoreError> {
        let sql = match key {
            Some((column, _)) => {
                format!("DELETE FROM {table} WHERE person_id = $1 AND {column} = $2")
            }
            None => format!("DELETE FROM {table} WHERE person_id = $1"),
        };
        self.write(&acting.acting, async |w| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(acting.person_id);
            if let Some((_, id)) = key {
                query = query.bind(id);
            }
            let gone = query.execute(w.conn()).await?.rows_affected() == 1;
            if gone {
                w.audit(action, None, Some(subject), None).await?;
            }
            Ok(gone)
        })
        .await
    }

    /// The régions, départements and EPCI of the loaded reference (those
    /// with communes), for pickers: régions first, then départements, then
    /// EPCI, each by name.
    pub async fn territory_choices(&self) -> Result<Vec<TerritoryChoice>, StoreError> {
        let rows = sqlx::query(
            "SELECT 1 AS rank, r.code AS code, r.nom AS nom FROM regions r \
               WHERE EXISTS (SELECT 1 FROM departements d JOIN communes c ON c.departement_code = d.code WHERE d.region_code = r.code) \
             UNION ALL SELECT 2 AS rank, d.code AS code, d.nom AS nom FROM departements d \
               WHERE EXISTS (SELECT 1 FROM communes c WHERE c.departement_code = d.code) \
             UNION ALL SELECT 3 AS rank, e.siren AS code, e.nom AS nom FROM epcis e \
               WHERE EXISTS (SELECT 1 FROM communes c WHERE c.epci_siren = e.siren) \
             ORDER BY rank, nom, code",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let rank: i64 = r.try_get("rank")?;
                let code: String = r.try_get("code")?;
                let name: Option<String> = r.try_get("nom")?;
                Ok(TerritoryChoice {
                    level: match rank {
                        1 => ScopeLevel::Region,
                        2 => ScopeLevel::Departement,
                        _ => ScopeLevel::Epci,
                    },
                    name: name.unwrap_or_else(|| code.clone()),
                    code,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_accounts::policy::Scope;

    #[test]
    fn scopes_become_clauses() {
        assert_eq!(scope_clause(&FiguresScope::Everything, 1).0, "1 = 1");
        assert_eq!(
            scope_clause(&FiguresScope::Territories(vec![]), 1).0,
            "1 = 0"
        );
        let (sql, codes) = scope_clause(
            &FiguresScope::Territories(vec![
                Scope {
                    level: ScopeLevel::Departement,
                    code: "29".into(),
                },
                Scope {
                    level: ScopeLevel::Epci,
                    code: "200068120".into(),
                },
            ]),
            3,
        );
        assert_eq!(sql, "(x.departement_code = $3 OR x.epci_siren = $4)");
        assert_eq!(codes, vec!["29", "200068120"]);
    }
}
