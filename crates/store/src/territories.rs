//! The Territoires reference in the database: idempotent imports (upserts
//! keyed on official codes, in one transaction per file) and look-ups.

use std::collections::{HashMap, HashSet};

use passerelle_accounts::ScopeLevel;
use passerelle_accounts::policy::{Location, TerritorialScope};
use passerelle_territory::codes::{is_commune_code, is_postcode};
use passerelle_territory::search::{index_keys, prefix_upper_bound, query_key, search_key};
use passerelle_territory::{
    Commune, CommuneColumns, CommuneRecord, CommuneSummary, Departement, DepartementRecord,
    DepartementRef, DepartementSummary, Epci, EpciKind, EpciRecord, EpciRef, EpciSummary,
    ImportError, ReferenceFile, Region, RegionRecord, RegionRef, RegionSummary,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::batch::{self, Value};
use crate::{Database, StoreError};

/// A territory a person may pick: its level, code and name, and the name
/// of the région a département lies in (to group a picker's options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerritoryChoice {
    pub level: ScopeLevel,
    pub code: String,
    pub name: String,
    pub within: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub kind: &'static str,
    pub rows: usize,
    /// Rows whose code was not stored before.
    pub added: usize,
    /// Rows whose code was already stored (their fields were refreshed).
    pub updated: usize,
    /// EPCI files only: member communes listed that are not loaded.
    pub members_not_loaded: usize,
}

/// Maximum number of results a search returns.
pub const MAX_SEARCH_RESULTS: i64 = 50;

impl Database {
    /// True when no commune is stored yet (a new database).
    pub async fn territories_empty(&self) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM communes")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>("n")? == 0)
    }

    /// Loads the Bretagne reference compiled into the binary.
    pub async fn load_bundled_reference(&self) -> Result<Vec<ImportReport>, StoreError> {
        let mut reports = Vec::new();
        for ((name, _), file) in passerelle_territory::bundled::FILES
            .iter()
            .zip(passerelle_territory::bundled::reference()?)
        {
            reports.push(
                self.import_reference(&format!("bundled:{name}"), &file)
                    .await?,
            );
        }
        Ok(reports)
    }

    /// Stores a parsed reference file, in one transaction: on any error
    /// nothing of the file is kept. Re-importing updates, never duplicates.
    pub async fn import_reference(
        &self,
        source: &str,
        file: &ReferenceFile,
    ) -> Result<ImportReport, StoreError> {
        let mut tx = self.begin_write().await?;
        let conn: &mut AnyConnection = &mut tx;
        let report = match file {
            ReferenceFile::Regions(rows) => import_regions(conn, rows).await?,
            ReferenceFile::Departements(rows) => import_departements(conn, source, rows).await?,
            ReferenceFile::Epcis(rows) => import_epcis(conn, rows).await?,
            ReferenceFile::Communes(rows, columns) => {
                import_communes(conn, source, rows, *columns).await?
            }
        };
        sqlx::query(
            "INSERT INTO reference_imports (source, kind, rows, added, imported_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(source.to_string())
        .bind(report.kind.to_string())
        .bind(report.rows as i64)
        .bind(report.added as i64)
        .bind(crate::time::now_iso())
        .execute(&mut *conn)
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Every commune code loaded, in order.
    pub async fn commune_codes(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT code FROM communes ORDER BY code")
            .fetch_all(self.pool())
            .await?;
        crate::map_rows(&rows, |r| r.try_get("code"))
    }

    /// `(postcode, INSEE code, name)` of every commune loaded: what
    /// importers of other tools' files resolve "29000 Quimper" with.
    pub async fn postcode_communes(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.code_postal AS code_postal, c.code AS code, c.nom AS nom FROM commune_postcodes p \
             JOIN communes c ON c.code = p.commune_code ORDER BY p.code_postal, c.code",
        )
        .fetch_all(self.pool())
        .await?;
        crate::map_rows(&rows, |r| {
            Ok((
                r.try_get("code_postal")?,
                r.try_get("code")?,
                r.try_get("nom")?,
            ))
        })
    }

    /// A commune with its parents, by INSEE code.
    /// Where a territory written `reg:53`, `dep:29`, `epci:<SIREN>` or
    /// `com:<INSEE>` lies, for the access policy: its own code and those of
    /// the levels above it that are unique (an EPCI spanning two
    /// départements has no département). `None` when the reference does
    /// not hold it.
    pub async fn territory_location(
        &self,
        territory: &str,
    ) -> Result<Option<Location>, StoreError> {
        let Some((level, code)) = territory.split_once(':') else {
            return Ok(None);
        };
        let sql = match level {
            "reg" => {
                "SELECT NULL AS commune, NULL AS epci, NULL AS departement, r.code AS region \
                      FROM regions r WHERE r.code = $1"
            }
            "dep" => {
                "SELECT NULL AS commune, NULL AS epci, d.code AS departement, d.region_code AS region \
                      FROM departements d WHERE d.code = $1"
            }
            "epci" => {
                "SELECT DISTINCT NULL AS commune, c.epci_siren AS epci, c.departement_code AS departement, \
                       d.region_code AS region FROM communes c JOIN departements d ON d.code = c.departement_code \
                       WHERE c.epci_siren = $1"
            }
            "com" => {
                "SELECT c.code AS commune, c.epci_siren AS epci, c.departement_code AS departement, \
                      d.region_code AS region FROM communes c JOIN departements d ON d.code = c.departement_code \
                      WHERE c.code = $1"
            }
            _ => return Ok(None),
        };
        let rows = sqlx::query(sql)
            .bind(code.to_string())
            .fetch_all(self.pool())
            .await?;
        let places: Vec<Location> = crate::map_rows(&rows, |r| {
            Ok(Location {
                commune: r.try_get("commune")?,
                epci: r.try_get("epci")?,
                departement: r.try_get("departement")?,
                region: r.try_get("region")?,
            })
        })?;
        let Some(first) = places.first().cloned() else {
            return Ok(None);
        };
        let same = |f: fn(&Location) -> &Option<String>| {
            places
                .iter()
                .all(|p| f(p) == f(&first))
                .then(|| f(&first).clone())
                .flatten()
        };
        Ok(Some(Location {
            commune: same(|l| &l.commune),
            epci: same(|l| &l.epci),
            departement: same(|l| &l.departement),
            region: same(|l| &l.region),
        }))
    }

    /// The régions, départements and EPCI with communes in the loaded
    /// reference that `scope` covers (communes are reached by the commune search), in the
    /// order a picker shows them: each région, then its départements, then
    /// the EPCI by name. An EPCI lying across two départements (or
    /// régions) belongs to a coordinator only of a territory holding all of
    /// it.
    pub async fn territories_within(
        &self,
        scope: &TerritorialScope,
    ) -> Result<Vec<TerritoryChoice>, StoreError> {
        // Only territories with communes loaded: the bundled reference
        // names every département of France but holds Bretagne's communes.
        let regions = sqlx::query(
            "SELECT r.code, r.nom FROM regions r WHERE EXISTS (SELECT 1 FROM departements d \
             JOIN communes c ON c.departement_code = d.code WHERE d.region_code = r.code) ORDER BY r.nom",
        )
        .fetch_all(self.pool())
        .await?;
        let departements = sqlx::query(
            "SELECT d.code, d.nom, d.region_code, r.nom AS region_nom FROM departements d \
             JOIN regions r ON r.code = d.region_code \
             WHERE EXISTS (SELECT 1 FROM communes c WHERE c.departement_code = d.code) \
             ORDER BY r.nom, d.code",
        )
        .fetch_all(self.pool())
        .await?;
        let epcis = sqlx::query(
            "SELECT e.siren, e.nom, MIN(c.departement_code) AS first_departement, \
                    MAX(c.departement_code) AS last_departement, \
                    MIN(d.region_code) AS first_region, MAX(d.region_code) AS last_region \
             FROM epcis e JOIN communes c ON c.epci_siren = e.siren \
             JOIN departements d ON d.code = c.departement_code \
             GROUP BY e.siren, e.nom ORDER BY e.nom, e.siren",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in &regions {
            let code: String = r.try_get("code")?;
            let place = Location {
                region: Some(code.clone()),
                ..Location::default()
            };
            if scope.covers(&place) {
                out.push(TerritoryChoice {
                    level: ScopeLevel::Region,
                    code,
                    name: r.try_get("nom")?,
                    within: None,
                });
            }
        }
        for d in &departements {
            let code: String = d.try_get("code")?;
            let place = Location {
                departement: Some(code.clone()),
                region: Some(d.try_get("region_code")?),
                ..Location::default()
            };
            if scope.covers(&place) {
                out.push(TerritoryChoice {
                    level: ScopeLevel::Departement,
                    name: d.try_get("nom")?,
                    code,
                    within: Some(d.try_get("region_nom")?),
                });
            }
        }
        for e in &epcis {
            let siren: String = e.try_get("siren")?;
            let one = |first: &str, last: &str| -> Result<Option<String>, sqlx::Error> {
                let (a, b): (String, String) = (e.try_get(first)?, e.try_get(last)?);
                Ok((a == b).then_some(a))
            };
            let place = Location {
                epci: Some(siren.clone()),
                departement: one("first_departement", "last_departement")?,
                region: one("first_region", "last_region")?,
                commune: None,
            };
            if scope.covers(&place) {
                let name: Option<String> = e.try_get("nom")?;
                out.push(TerritoryChoice {
                    level: ScopeLevel::Epci,
                    name: name.unwrap_or_else(|| siren.clone()),
                    code: siren,
                    within: None,
                });
            }
        }
        Ok(out)
    }

    pub async fn commune(&self, code: &str) -> Result<Option<Commune>, StoreError> {
        let sql = format!("{COMMUNE_SELECT} WHERE c.code = $1");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(code.to_string())
            .fetch_all(self.pool())
            .await?;
        Ok(self.communes_with_postcodes(rows).await?.pop())
    }

    /// Communes matching what a person typed: a postcode (five digits), an
    /// INSEE code, or the start of any word of the name, accents and case
    /// ignored. Exact names come first, then names starting with the text,
    /// then the most populated.
    pub async fn search_communes(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<Commune>, StoreError> {
        let limit = limit.clamp(1, MAX_SEARCH_RESULTS);
        let trimmed = query.trim();
        if is_postcode(trimmed) {
            let mut found = self.communes_by_postcode(trimmed).await?;
            // Five digits may also be an INSEE code (29232 is Quimper's).
            if let Some(c) = self.commune(trimmed).await?
                && !found.iter().any(|f| f.code == c.code)
            {
                found.insert(0, c);
            }
            found.truncate(limit as usize);
            return Ok(found);
        }
        if is_commune_code(trimmed) {
            return Ok(self.commune(trimmed).await?.into_iter().collect());
        }
        let key = query_key(trimmed);
        if key.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(COMMUNE_SELECT_FROM_MATCHES)
            .bind(key.clone())
            .bind(prefix_upper_bound(&key))
            .bind(key)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        self.communes_with_postcodes(rows).await
    }

    /// Communes served by a postcode.
    pub async fn communes_by_postcode(&self, postcode: &str) -> Result<Vec<Commune>, StoreError> {
        let sql = format!(
            "{COMMUNE_SELECT} JOIN commune_postcodes p ON p.commune_code = c.code \
             WHERE p.code_postal = $1 ORDER BY COALESCE(c.population, 0) DESC, c.nom"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(postcode.to_string())
            .fetch_all(self.pool())
            .await?;
        self.communes_with_postcodes(rows).await
    }

    /// An EPCI with its member communes.
    pub async fn epci(&self, siren: &str) -> Result<Option<Epci>, StoreError> {
        let Some(row) =
            sqlx::query("SELECT siren, nom, nature, communes_declared FROM epcis WHERE siren = $1")
                .bind(siren.to_string())
                .fetch_optional(self.pool())
                .await?
        else {
            return Ok(None);
        };
        let communes = self
            .commune_summaries("WHERE c.epci_siren = $1", siren)
            .await?;
        let departements = sqlx::query(
            "SELECT DISTINCT d.code AS code, d.nom AS nom FROM communes c \
             JOIN departements d ON d.code = c.departement_code \
             WHERE c.epci_siren = $1 ORDER BY d.code",
        )
        .bind(siren.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(DepartementRef {
                code: r.try_get("code")?,
                nom: r.try_get("nom")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
        Ok(Some(Epci {
            siren: row.try_get("siren")?,
            nom: row.try_get("nom")?,
            nature: epci_kind(&row)?,
            communes_declared: row.try_get("communes_declared")?,
            population: communes.iter().filter_map(|c| c.population).sum(),
            departements,
            communes,
        }))
    }

    /// A département with its EPCI and population totals.
    pub async fn departement(&self, code: &str) -> Result<Option<Departement>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT d.code AS code, d.nom AS nom, r.code AS region_code, r.nom AS region_nom, \
             (SELECT COUNT(*) FROM communes c WHERE c.departement_code = d.code) AS communes, \
             (SELECT COALESCE(CAST(SUM(c.population) AS BIGINT), 0) FROM communes c WHERE c.departement_code = d.code) AS population \
             FROM departements d JOIN regions r ON r.code = d.region_code WHERE d.code = $1",
        )
        .bind(code.to_string())
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let epcis = sqlx::query(
            "SELECT e.siren AS siren, e.nom AS nom, e.nature AS nature, COUNT(*) AS communes, \
             COALESCE(CAST(SUM(c.population) AS BIGINT), 0) AS population \
             FROM communes c JOIN epcis e ON e.siren = c.epci_siren \
             WHERE c.departement_code = $1 \
             GROUP BY e.siren, e.nom, e.nature ORDER BY e.nom, e.siren",
        )
        .bind(code.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(EpciSummary {
                siren: r.try_get("siren")?,
                nom: r.try_get("nom")?,
                nature: epci_kind(r)?,
                communes: r.try_get("communes")?,
                population: r.try_get("population")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
        let communes_without_epci = self
            .commune_summaries(
                "WHERE c.departement_code = $1 AND c.epci_siren IS NULL",
                code,
            )
            .await?;
        Ok(Some(Departement {
            code: row.try_get("code")?,
            nom: row.try_get("nom")?,
            region: RegionRef {
                code: row.try_get("region_code")?,
                nom: row.try_get("region_nom")?,
            },
            communes: row.try_get("communes")?,
            population: row.try_get("population")?,
            epcis,
            communes_without_epci,
        }))
    }

    /// A région with its départements and population totals.
    pub async fn region(&self, code: &str) -> Result<Option<Region>, StoreError> {
        let Some(summary) = self.region_summaries(Some(code)).await?.pop() else {
            return Ok(None);
        };
        let departements = sqlx::query(
            "SELECT d.code AS code, d.nom AS nom, COUNT(c.code) AS communes, \
             COALESCE(CAST(SUM(c.population) AS BIGINT), 0) AS population \
             FROM departements d LEFT JOIN communes c ON c.departement_code = d.code \
             WHERE d.region_code = $1 GROUP BY d.code, d.nom ORDER BY d.code",
        )
        .bind(code.to_string())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(DepartementSummary {
                code: r.try_get("code")?,
                nom: r.try_get("nom")?,
                communes: r.try_get("communes")?,
                population: r.try_get("population")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
        Ok(Some(Region {
            code: summary.code,
            nom: summary.nom,
            population: summary.population,
            communes: summary.communes,
            departements,
        }))
    }

    /// Every région that has communes loaded, with its totals.
    pub async fn regions(&self) -> Result<Vec<RegionSummary>, StoreError> {
        Ok(self
            .region_summaries(None)
            .await?
            .into_iter()
            .filter(|r| r.communes > 0)
            .collect())
    }

    async fn region_summaries(&self, code: Option<&str>) -> Result<Vec<RegionSummary>, StoreError> {
        let sql = format!(
            "SELECT r.code AS code, r.nom AS nom, COUNT(c.code) AS communes, \
             COALESCE(CAST(SUM(c.population) AS BIGINT), 0) AS population \
             FROM regions r LEFT JOIN departements d ON d.region_code = r.code \
             LEFT JOIN communes c ON c.departement_code = d.code {} \
             GROUP BY r.code, r.nom ORDER BY r.code",
            if code.is_some() {
                "WHERE r.code = $1"
            } else {
                ""
            }
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Some(code) = code {
            query = query.bind(code.to_string());
        }
        let rows = query.fetch_all(self.pool()).await?;
        crate::map_rows(&rows, |r| {
            Ok(RegionSummary {
                code: r.try_get("code")?,
                nom: r.try_get("nom")?,
                communes: r.try_get("communes")?,
                population: r.try_get("population")?,
            })
        })
    }

    async fn commune_summaries(
        &self,
        filter: &str,
        param: &str,
    ) -> Result<Vec<CommuneSummary>, StoreError> {
        let sql = format!(
            "SELECT c.code AS code, c.nom AS nom, c.population AS population FROM communes c {filter} \
             ORDER BY c.search_key, c.code"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(param.to_string())
            .fetch_all(self.pool())
            .await?;
        let codes: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("code"))
            .collect::<Result<_, _>>()?;
        let mut postcodes = self.postcodes_of(&codes).await?;
        crate::map_rows(&rows, |r| {
            let code: String = r.try_get("code")?;
            Ok(CommuneSummary {
                postcodes: postcodes.remove(&code).unwrap_or_default(),
                code,
                nom: r.try_get("nom")?,
                population: r.try_get("population")?,
            })
        })
    }

    async fn communes_with_postcodes(&self, rows: Vec<AnyRow>) -> Result<Vec<Commune>, StoreError> {
        let mut communes: Vec<Commune> = rows
            .iter()
            .map(commune_from_row)
            .collect::<Result<_, _>>()?;
        let codes: Vec<String> = communes.iter().map(|c| c.code.clone()).collect();
        let mut postcodes = self.postcodes_of(&codes).await?;
        for c in &mut communes {
            c.postcodes = postcodes.remove(&c.code).unwrap_or_default();
        }
        Ok(communes)
    }

    async fn postcodes_of(
        &self,
        codes: &[String],
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in codes.chunks(500) {
            let sql = format!(
                "SELECT commune_code, code_postal FROM commune_postcodes WHERE commune_code IN ({}) \
                 ORDER BY commune_code, code_postal",
                batch::placeholders(0, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for code in chunk {
                query = query.bind(code.clone());
            }
            for row in query.fetch_all(self.pool()).await? {
                out.entry(row.try_get("commune_code")?)
                    .or_default()
                    .push(row.try_get("code_postal")?);
            }
        }
        Ok(out)
    }
}

/// The columns `commune_from_row` reads, by name.
macro_rules! commune_columns {
    () => {
        "c.code AS code, c.nom AS nom, c.population AS population, \
         c.latitude AS latitude, c.longitude AS longitude, d.code AS departement_code, \
         d.nom AS departement_nom, r.code AS region_code, r.nom AS region_nom, \
         e.siren AS epci_siren, e.nom AS epci_nom"
    };
}

const COMMUNE_SELECT: &str = concat!(
    "SELECT ",
    commune_columns!(),
    " FROM communes c \
     JOIN departements d ON d.code = c.departement_code \
     JOIN regions r ON r.code = d.region_code \
     LEFT JOIN epcis e ON e.siren = c.epci_siren"
);

const COMMUNE_SELECT_FROM_MATCHES: &str = concat!(
    "SELECT ",
    commune_columns!(),
    " FROM \
     (SELECT m.commune_code, m.best, CASE WHEN k.search_key = $3 THEN 0 ELSE 1 END AS exact, \
             COALESCE(k.population, 0) AS pop, k.nom \
      FROM (SELECT commune_code, MIN(position) AS best FROM commune_search_keys \
            WHERE search_key >= $1 AND search_key < $2 GROUP BY commune_code) m \
      JOIN communes k ON k.code = m.commune_code \
      ORDER BY exact, m.best, pop DESC, k.nom LIMIT $4) top \
     JOIN communes c ON c.code = top.commune_code \
     JOIN departements d ON d.code = c.departement_code \
     JOIN regions r ON r.code = d.region_code \
     LEFT JOIN epcis e ON e.siren = c.epci_siren \
     ORDER BY top.exact, top.best, top.pop DESC, top.nom"
);

fn commune_from_row(row: &AnyRow) -> Result<Commune, sqlx::Error> {
    let epci_siren: Option<String> = row.try_get("epci_siren")?;
    Ok(Commune {
        code: row.try_get("code")?,
        nom: row.try_get("nom")?,
        population: row.try_get("population")?,
        latitude: row.try_get("latitude")?,
        longitude: row.try_get("longitude")?,
        departement: DepartementRef {
            code: row.try_get("departement_code")?,
            nom: row.try_get("departement_nom")?,
        },
        region: RegionRef {
            code: row.try_get("region_code")?,
            nom: row.try_get("region_nom")?,
        },
        epci: epci_siren
            .map(|siren| -> Result<EpciRef, sqlx::Error> {
                Ok(EpciRef {
                    siren,
                    nom: row.try_get("epci_nom")?,
                })
            })
            .transpose()?,
        postcodes: Vec::new(),
    })
}

async fn existing_codes(
    conn: &mut AnyConnection,
    sql: &'static str,
) -> Result<HashMap<String, String>, StoreError> {
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    crate::map_rows(&rows, |r| Ok((r.try_get("code")?, r.try_get("nom")?)))
}

/// The report of an import of `codes`, given the codes stored before it.
fn report<'a>(
    kind: &'static str,
    existing: &HashMap<String, String>,
    codes: impl ExactSizeIterator<Item = &'a String>,
) -> ImportReport {
    let rows = codes.len();
    let added = codes.filter(|c| !existing.contains_key(*c)).count();
    ImportReport {
        kind,
        rows,
        added,
        updated: rows - added,
        members_not_loaded: 0,
    }
}

/// Refuses the file if a row names a parent the reference lacks, pointing at
/// the first such row.
async fn require_parents<T>(
    conn: &mut AnyConnection,
    parents_sql: &'static str,
    source: &str,
    rows: &[T],
    parent_of: impl Fn(&T) -> (&String, u64),
    (field, parent_kind, import_first): (&str, &str, &str),
) -> Result<(), StoreError> {
    let parents = existing_codes(conn, parents_sql).await?;
    match rows
        .iter()
        .map(parent_of)
        .find(|(p, _)| !parents.contains_key(*p))
    {
        Some((code, line)) => Err(unknown_parent(
            source,
            line,
            field,
            &format!(
                "{parent_kind} {code} : absent du référentiel ; importez d’abord les {import_first}"
            ),
        )),
        None => Ok(()),
    }
}

async fn import_regions(
    conn: &mut AnyConnection,
    rows: &[RegionRecord],
) -> Result<ImportReport, StoreError> {
    let existing = existing_codes(conn, "SELECT code, nom FROM regions").await?;
    let values = rows
        .iter()
        .map(|r| vec![Value::Text(r.code.clone()), Value::Text(r.nom.clone())])
        .collect();
    batch::insert(
        conn,
        "regions",
        &["code", "nom"],
        values,
        "ON CONFLICT (code) DO UPDATE SET nom = excluded.nom",
    )
    .await?;
    Ok(report("régions", &existing, rows.iter().map(|r| &r.code)))
}

async fn import_departements(
    conn: &mut AnyConnection,
    source: &str,
    rows: &[DepartementRecord],
) -> Result<ImportReport, StoreError> {
    require_parents(
        conn,
        "SELECT code, nom FROM regions",
        source,
        rows,
        |d| (&d.region, d.line),
        ("region", "région", "régions"),
    )
    .await?;
    let existing = existing_codes(conn, "SELECT code, nom FROM departements").await?;
    let values = rows
        .iter()
        .map(|r| {
            vec![
                Value::Text(r.code.clone()),
                Value::Text(r.nom.clone()),
                Value::Text(r.region.clone()),
            ]
        })
        .collect();
    batch::insert(
        conn,
        "departements",
        &["code", "nom", "region_code"],
        values,
        "ON CONFLICT (code) DO UPDATE SET nom = excluded.nom, region_code = excluded.region_code",
    )
    .await?;
    Ok(report(
        "départements",
        &existing,
        rows.iter().map(|r| &r.code),
    ))
}

async fn import_epcis(
    conn: &mut AnyConnection,
    rows: &[EpciRecord],
) -> Result<ImportReport, StoreError> {
    let existing = existing_codes(conn, "SELECT siren AS code, siren AS nom FROM epcis").await?;
    let values = rows
        .iter()
        .map(|r| {
            vec![
                Value::Text(r.siren.clone()),
                Value::Text(r.nom.clone()),
                Value::OptText(r.nature.map(|k| k.code().to_string())),
                Value::Int(Some(r.members.len() as i64)),
            ]
        })
        .collect();
    batch::insert(
        conn,
        "epcis",
        &["siren", "nom", "nature", "communes_declared"],
        values,
        "ON CONFLICT (siren) DO UPDATE SET nom = excluded.nom, nature = COALESCE(excluded.nature, epcis.nature), \
         communes_declared = excluded.communes_declared",
    )
    .await?;
    // Membership: the loaded members point at their EPCI; the others are
    // counted so the user knows the file reaches beyond the reference.
    let communes = existing_codes(conn, "SELECT code, nom FROM communes").await?;
    let mut members_not_loaded = 0;
    for epci in rows {
        let loaded: Vec<String> = epci
            .members
            .iter()
            .filter(|c| communes.contains_key(*c))
            .cloned()
            .collect();
        members_not_loaded += epci.members.len() - loaded.len();
        batch::for_each_key_chunk(
            conn,
            "UPDATE communes SET epci_siren = $1 WHERE code",
            &[Value::Text(epci.siren.clone())],
            &loaded,
        )
        .await?;
    }
    Ok(ImportReport {
        members_not_loaded,
        ..report("EPCI", &existing, rows.iter().map(|r| &r.siren))
    })
}

async fn import_communes(
    conn: &mut AnyConnection,
    source: &str,
    rows: &[CommuneRecord],
    columns: CommuneColumns,
) -> Result<ImportReport, StoreError> {
    require_parents(
        conn,
        "SELECT code, nom FROM departements",
        source,
        rows,
        |c| (&c.departement, c.line),
        ("departement", "département", "départements"),
    )
    .await?;
    let existing = existing_codes(conn, "SELECT code, nom FROM communes").await?;

    if columns.epci {
        // EPCI named by the commune file: create the unknown ones, and learn
        // names without erasing a name an EPCI file gave.
        let mut seen = HashSet::new();
        let epcis = rows
            .iter()
            .filter_map(|c| c.epci_siren.as_ref().map(|s| (s, &c.epci_nom)))
            .filter(|(s, _)| seen.insert(s.as_str()))
            .map(|(s, nom)| vec![Value::Text(s.clone()), Value::OptText(nom.clone())])
            .collect();
        batch::insert(
            conn,
            "epcis",
            &["siren", "nom"],
            epcis,
            "ON CONFLICT (siren) DO UPDATE SET nom = COALESCE(excluded.nom, epcis.nom)",
        )
        .await?;
    }

    let mut names = vec!["code", "nom", "search_key", "departement_code"];
    let mut updates = vec![
        "nom = excluded.nom",
        "search_key = excluded.search_key",
        "departement_code = excluded.departement_code",
    ];
    if columns.epci {
        names.push("epci_siren");
        updates.push("epci_siren = excluded.epci_siren");
    }
    if columns.population {
        names.push("population");
        updates.push("population = excluded.population");
    }
    if columns.coordinates {
        names.extend(["latitude", "longitude"]);
        updates.extend([
            "latitude = excluded.latitude",
            "longitude = excluded.longitude",
        ]);
    }
    let values = rows
        .iter()
        .map(|c| {
            let mut v = vec![
                Value::Text(c.code.clone()),
                Value::Text(c.nom.clone()),
                Value::Text(search_key(&c.nom)),
                Value::Text(c.departement.clone()),
            ];
            if columns.epci {
                v.push(Value::OptText(c.epci_siren.clone()));
            }
            if columns.population {
                v.push(Value::Int(c.population));
            }
            if columns.coordinates {
                v.extend([Value::Real(c.latitude), Value::Real(c.longitude)]);
            }
            v
        })
        .collect();
    let suffix = format!("ON CONFLICT (code) DO UPDATE SET {}", updates.join(", "));
    batch::insert(conn, "communes", &names, values, &suffix).await?;

    // Search keys: rewritten only for new communes and renamed ones.
    let renamed: Vec<&CommuneRecord> = rows
        .iter()
        .filter(|c| existing.get(&c.code) != Some(&c.nom))
        .collect();
    let renamed_codes: Vec<String> = renamed
        .iter()
        .filter(|c| existing.contains_key(&c.code))
        .map(|c| c.code.clone())
        .collect();
    batch::for_each_key_chunk(
        conn,
        "DELETE FROM commune_search_keys WHERE commune_code",
        &[],
        &renamed_codes,
    )
    .await?;
    let keys = renamed
        .iter()
        .flat_map(|c| {
            index_keys(&c.nom)
                .into_iter()
                .enumerate()
                .map(|(position, key)| {
                    vec![
                        Value::Text(key),
                        Value::Text(c.code.clone()),
                        Value::Int(Some(position as i64)),
                    ]
                })
        })
        .collect();
    batch::insert(
        conn,
        "commune_search_keys",
        &["search_key", "commune_code", "position"],
        keys,
        "",
    )
    .await?;

    if columns.postcodes {
        let codes: Vec<String> = rows.iter().map(|c| c.code.clone()).collect();
        batch::for_each_key_chunk(
            conn,
            "DELETE FROM commune_postcodes WHERE commune_code",
            &[],
            &codes,
        )
        .await?;
        let postcodes = rows
            .iter()
            .flat_map(|c| {
                let mut list = c.postcodes.clone();
                list.sort();
                list.dedup();
                list.into_iter()
                    .map(|p| vec![Value::Text(c.code.clone()), Value::Text(p)])
            })
            .collect();
        batch::insert(
            conn,
            "commune_postcodes",
            &["commune_code", "code_postal"],
            postcodes,
            "",
        )
        .await?;
    }
    Ok(report("communes", &existing, rows.iter().map(|r| &r.code)))
}

fn unknown_parent(source: &str, line: u64, field: &str, message: &str) -> StoreError {
    StoreError::Import(ImportError {
        file: source.to_string(),
        line: Some(line),
        field: Some(field.to_string()),
        message: message.to_string(),
    })
}

/// The `nature` column of an EPCI row: a DGCL code, or none.
fn epci_kind(row: &sqlx::any::AnyRow) -> Result<Option<EpciKind>, StoreError> {
    let code: Option<String> = row.try_get("nature")?;
    code.map(|c| {
        EpciKind::parse(&c).ok_or_else(|| StoreError::Corrupt(format!("unknown EPCI nature: {c}")))
    })
    .transpose()
}
