//! Diagnostic: the geography portraits are computed on (read from the
//! territorial reference), the indicator files users import (INSEE census,
//! CAF, France Travail), stored one row per commune (and per IRIS) and
//! indicator with the import it came from, and the public finder's
//! anonymous search counters.

use chrono::{DateTime, NaiveDate, Utc};
use passerelle_diagnostic::geo::{CommuneGeo, Geography};
use passerelle_diagnostic::import::{FileKind, IndicatorFile, Level};
use passerelle_diagnostic::needs::{Field, Figure, Indicators, IrisNeeds, SourceNote};
use passerelle_diagnostic::offer::{CommuneLocator, OfferPlace};
use passerelle_diagnostic::portrait::Activity;
use passerelle_diagnostic::unmet::{SearchCount, needs_of_key};
use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use crate::batch::{self, Value};
use crate::referrals::{audit_subject, parse_iso};
use crate::{Database, StoreError};

/// One imported file, as the import page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    pub id: i64,
    pub file: String,
    /// `None` for rows of earlier versions, which stored a label.
    pub kind: Option<FileKind>,
    pub level: Level,
    pub vintage: Option<String>,
    pub communes: i64,
    pub iris: i64,
    pub rows: i64,
    pub secret_cells: i64,
    pub imported_at: DateTime<Utc>,
    /// Who imported it (display name), when done from the web page.
    pub person: Option<String>,
}

impl Database {
    /// Every loaded commune with its parents, population, centre and
    /// postcodes, and the names of the EPCI, départements and régions.
    pub async fn diagnostic_geography(&self) -> Result<Geography, StoreError> {
        let mut geo = Geography::default();
        let rows = sqlx::query("SELECT code, nom FROM regions")
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            geo.region_names
                .insert(r.try_get("code")?, r.try_get("nom")?);
        }
        let rows = sqlx::query("SELECT code, nom, region_code FROM departements")
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            let (code, nom, region): (String, String, String) = (
                r.try_get("code")?,
                r.try_get("nom")?,
                r.try_get("region_code")?,
            );
            geo.name_departement(&code, &nom, &region);
        }
        let rows = sqlx::query("SELECT siren, nom FROM epcis WHERE nom IS NOT NULL")
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            geo.epci_names
                .insert(r.try_get("siren")?, r.try_get("nom")?);
        }
        let rows = sqlx::query(
            "SELECT commune_code, code_postal FROM commune_postcodes ORDER BY commune_code, code_postal",
        )
        .fetch_all(self.pool())
        .await?;
        let mut postcodes: std::collections::HashMap<String, Vec<String>> = Default::default();
        for r in &rows {
            postcodes
                .entry(r.try_get("commune_code")?)
                .or_default()
                .push(r.try_get("code_postal")?);
        }
        let rows = sqlx::query(
            "SELECT c.code, c.nom, c.departement_code, d.region_code, c.epci_siren, c.population, \
                    c.latitude, c.longitude \
             FROM communes c JOIN departements d ON d.code = c.departement_code ORDER BY c.code",
        )
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            let code: String = r.try_get("code")?;
            let lat: Option<f64> = r.try_get("latitude")?;
            let lng: Option<f64> = r.try_get("longitude")?;
            geo.push(CommuneGeo {
                postcodes: postcodes.remove(&code).unwrap_or_default(),
                code,
                nom: r.try_get("nom")?,
                departement: r.try_get("departement_code")?,
                region: r.try_get("region_code")?,
                epci: r.try_get("epci_siren")?,
                population: r.try_get::<Option<i64>, _>("population")?.unwrap_or(0),
                centre: lat.zip(lng),
            });
        }
        Ok(geo)
    }

    /// Every place, as the portrait counts it, in the communes of `geo`: the
    /// place's INSEE code, else the commune the store attached it to, else
    /// the nearest commune centre (see `OfferPlace::from_place`).
    pub async fn diagnostic_places(&self, geo: &Geography) -> Result<Vec<OfferPlace>, StoreError> {
        let locator = CommuneLocator::new(geo);
        Ok(self
            .places()
            .await?
            .into_iter()
            .map(|stored| {
                let mut place = stored.place;
                if place.code_insee.is_none() {
                    place.code_insee = stored.commune_code;
                }
                OfferPlace::from_place(&place, geo, &locator)
            })
            .collect())
    }

    /// Accompaniments recorded in Activités per commune over the twelve
    /// months ending with the last month that has any (`None`: no record
    /// at all), from the communes' roll-ups.
    pub async fn diagnostic_activity(
        &self,
    ) -> Result<Option<((String, String), HashMap<String, Activity>)>, StoreError> {
        let last: Option<String> = sqlx::query(
            "SELECT MAX(month) AS last FROM activity_rollups WHERE dimension = 'total' AND territory LIKE 'com:%' AND records > 0",
        )
        .fetch_one(self.pool())
        .await?
        .try_get("last")?;
        let Some(last) = last else { return Ok(None) };
        let first = year_before(&last)
            .ok_or_else(|| StoreError::Corrupt(format!("activity month {last:?}")))?;
        let rows = sqlx::query(
            "SELECT territory, CAST(SUM(records) AS BIGINT) AS records, CAST(SUM(people) AS BIGINT) AS people FROM activity_rollups \
             WHERE dimension = 'total' AND territory LIKE 'com:%' AND month >= $1 AND month <= $2 \
             GROUP BY territory",
        )
        .bind(first.clone())
        .bind(last.clone())
        .fetch_all(self.pool())
        .await?;
        let mut counts = HashMap::new();
        for r in &rows {
            let territory: String = r.try_get("territory")?;
            if let Some(code) = territory.strip_prefix("com:") {
                counts.insert(
                    code.to_string(),
                    Activity {
                        records: r.try_get("records")?,
                        people: r.try_get("people")?,
                    },
                );
            }
        }
        Ok(Some(((first, last), counts)))
    }

    /// Stores a parsed indicator file, all or nothing, with its audit
    /// line: its figures replace the stored ones for the communes, IRIS
    /// and indicators it gives. `person`: who imported it (none from the
    /// command line). Returns the import's id.
    pub async fn import_indicators(
        &self,
        file: &IndicatorFile,
        person: Option<i64>,
    ) -> Result<i64, StoreError> {
        let now = crate::time::now_iso();
        let keys: Vec<&str> = file.fields.iter().map(|f| f.key()).collect();
        let mut tx = self.begin_write().await?;
        let conn: &mut AnyConnection = &mut tx;
        let id: i64 = sqlx::query(
            "INSERT INTO diagnostic_imports (file, kind, indicators, vintage, communes, imported_at, level, rows_read, iris, secret_cells, person_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(file.file.clone())
        .bind(file.kind.code().to_string())
        .bind(keys.join(","))
        .bind(file.vintage.clone())
        .bind(file.communes.len() as i64)
        .bind(now.clone())
        .bind(file.level.code().to_string())
        .bind(file.rows as i64)
        .bind(file.iris.len() as i64)
        .bind(file.secret_cells as i64)
        .bind(person)
        .fetch_one(&mut *conn)
        .await?
        .try_get("id")?;
        let figure_row = |code: &str, field: &Field, f: &Figure| {
            vec![
                Value::Text(code.to_string()),
                Value::Text(field.key().to_string()),
                Value::Real(Some(f.value)),
                Value::Int(Some(i64::from(f.secret))),
                Value::Int(Some(id)),
            ]
        };
        let communes: Vec<Vec<Value>> = file
            .communes
            .iter()
            .flat_map(|(code, fields)| {
                fields
                    .iter()
                    .map(move |(field, f)| figure_row(code, field, f))
            })
            .collect();
        batch::insert(
            conn,
            "diagnostic_indicators",
            &["commune_code", "indicator", "value", "secret", "import_id"],
            communes,
            "ON CONFLICT (commune_code, indicator) DO UPDATE SET value = excluded.value, \
             secret = excluded.secret, import_id = excluded.import_id",
        )
        .await?;
        let iris: Vec<Vec<Value>> = file
            .iris
            .iter()
            .map(|(code, row)| {
                vec![
                    Value::Text(code.clone()),
                    Value::Text(row.commune.clone()),
                    Value::OptText(row.nom.clone()),
                ]
            })
            .collect();
        batch::insert(
            conn,
            "diagnostic_iris",
            &["code", "commune_code", "nom"],
            iris,
            "ON CONFLICT (code) DO UPDATE SET commune_code = excluded.commune_code, \
             nom = COALESCE(excluded.nom, diagnostic_iris.nom)",
        )
        .await?;
        let iris_figures: Vec<Vec<Value>> = file
            .iris
            .iter()
            .flat_map(|(code, row)| {
                row.values
                    .iter()
                    .map(move |(field, f)| figure_row(code, field, f))
            })
            .collect();
        batch::insert(
            conn,
            "diagnostic_iris_indicators",
            &["iris_code", "indicator", "value", "secret", "import_id"],
            iris_figures,
            "ON CONFLICT (iris_code, indicator) DO UPDATE SET value = excluded.value, \
             secret = excluded.secret, import_id = excluded.import_id",
        )
        .await?;
        audit_subject(
            conn,
            &now,
            "diagnostic.import",
            person,
            None,
            format!("diagnostic_import:{id}"),
            Some(format!(
                "{} ({}, {}{}) : {} communes, {} IRIS, {} cases secrètes",
                file.file,
                file.kind.code(),
                file.level.code(),
                file.vintage
                    .as_deref()
                    .map(|v| format!(", {v}"))
                    .unwrap_or_default(),
                file.communes.len(),
                file.iris.len(),
                file.secret_cells
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The imports, newest first.
    pub async fn diagnostic_imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.id, i.file, i.kind, i.level, i.vintage, i.communes, i.iris, i.rows_read, \
                    i.secret_cells, i.imported_at, p.display_name \
             FROM diagnostic_imports i LEFT JOIN people p ON p.id = i.person_id ORDER BY i.id DESC",
        )
        .fetch_all(self.pool())
        .await?;
        let mut imports = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let corrupt =
                |what: String| StoreError::Corrupt(format!("diagnostic import {id}: {what}"));
            let kind: String = r.try_get("kind")?;
            let level: String = r.try_get("level")?;
            let at: String = r.try_get("imported_at")?;
            imports.push(ImportRecord {
                id,
                file: r.try_get("file")?,
                kind: FileKind::from_code(&kind),
                level: [Level::Commune, Level::Iris]
                    .into_iter()
                    .find(|l| l.code() == level)
                    .ok_or_else(|| corrupt(format!("level {level:?}")))?,
                vintage: r.try_get("vintage")?,
                communes: r.try_get("communes")?,
                iris: r.try_get("iris")?,
                rows: r.try_get("rows_read")?,
                secret_cells: r.try_get("secret_cells")?,
                imported_at: parse_iso(&at).ok_or_else(|| corrupt(format!("instant {at:?}")))?,
                person: r.try_get("display_name")?,
            });
        }
        Ok(imports)
    }

    /// The bundled indicators with the imported figures applied (communes
    /// and IRIS), each citing the import it came from.
    pub async fn diagnostic_indicators(&self) -> Result<Indicators, StoreError> {
        let mut indicators = passerelle_diagnostic::bundled::indicators()?;
        let rows = sqlx::query(
            "SELECT id, file, kind, vintage, imported_at FROM diagnostic_imports ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        let mut sources: HashMap<i64, usize> = HashMap::new();
        let mut latest: Option<usize> = None;
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            let note = SourceNote {
                title: FileKind::from_code(&kind).map_or(kind.clone(), |k| k.label().to_string()),
                vintage: r.try_get("vintage")?,
                file: Some(r.try_get("file")?),
                imported_at: Some(r.try_get("imported_at")?),
            };
            let index = indicators.add_source(note);
            latest = Some(index);
            sources.insert(r.try_get("id")?, index);
        }
        let figure = |r: &sqlx::any::AnyRow| -> Result<Figure, StoreError> {
            let value: Option<f64> = r.try_get("value")?;
            let secret: i64 = r.try_get("secret")?;
            let import: Option<i64> = r.try_get("import_id")?;
            Ok(Figure {
                // A NULL of earlier versions: the cell was not published.
                value: value.unwrap_or(0.0),
                secret: if value.is_none() { 1 } else { secret as u32 },
                source: import.and_then(|i| sources.get(&i).copied()).or(latest),
            })
        };
        let field_of = |key: &str| {
            Field::from_key(key)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown diagnostic indicator {key:?}")))
        };
        let rows = sqlx::query(
            "SELECT commune_code, indicator, value, secret, import_id FROM diagnostic_indicators",
        )
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            let code: String = r.try_get("commune_code")?;
            let key: String = r.try_get("indicator")?;
            let f = figure(r)?;
            indicators
                .entry(&code)
                .figures
                .set(field_of(&key)?, Some(f));
        }
        let rows = sqlx::query("SELECT code, commune_code, nom FROM diagnostic_iris")
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            let code: String = r.try_get("code")?;
            indicators.iris.insert(
                code.clone(),
                IrisNeeds {
                    code,
                    commune: r.try_get("commune_code")?,
                    nom: r.try_get("nom")?,
                    ..Default::default()
                },
            );
        }
        let rows = sqlx::query(
            "SELECT iris_code, indicator, value, secret, import_id FROM diagnostic_iris_indicators",
        )
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            let code: String = r.try_get("iris_code")?;
            let key: String = r.try_get("indicator")?;
            let f = figure(r)?;
            if let Some(iris) = indicators.iris.get_mut(&code) {
                iris.figures.set(field_of(&key)?, Some(f));
            }
        }
        Ok(indicators)
    }

    /// Counts one search of the public finder: the day (Paris time,
    /// `YYYY-MM-DD`), the commune searched near, its needs (stored key of
    /// `unmet::needs_key`) and the places found within the radius. Nothing
    /// else is stored.
    pub async fn count_place_search(
        &self,
        day: &str,
        commune: &str,
        needs: &str,
        results: u32,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO place_search_counts (day, commune_code, needs, results, searches) \
             VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (day, commune_code, needs, results) \
             DO UPDATE SET searches = place_search_counts.searches + 1",
        )
        .bind(day.to_string())
        .bind(commune.to_string())
        .bind(needs.to_string())
        .bind(i64::from(results))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The search counters of the days from `first` to `last` (inclusive).
    pub async fn place_search_counts(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<SearchCount>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, commune_code, needs, results, searches FROM place_search_counts \
             WHERE day >= $1 AND day <= $2 ORDER BY day, commune_code",
        )
        .bind(first.format("%Y-%m-%d").to_string())
        .bind(last.format("%Y-%m-%d").to_string())
        .fetch_all(self.pool())
        .await?;
        crate::map_rows(&rows, |r| {
            let needs: String = r.try_get("needs")?;
            let results: i64 = r.try_get("results")?;
            let searches: i64 = r.try_get("searches")?;
            Ok(SearchCount {
                day: r.try_get("day")?,
                commune: r.try_get("commune_code")?,
                needs: needs_of_key(&needs),
                results: results.clamp(0, i64::from(u32::MAX)) as u32,
                searches: searches.clamp(0, i64::from(u32::MAX)) as u32,
            })
        })
    }
}

/// The first month of the twelve ending with `month` (`YYYY-MM`).
fn year_before(month: &str) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    if !(1..=12).contains(&m) {
        return None;
    }
    let (y, m) = if m == 12 { (y, 1) } else { (y - 1, m + 1) };
    Some(format!("{y:04}-{m:02}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_year_of_months() {
        assert_eq!(super::year_before("2026-03").as_deref(), Some("2025-04"));
        assert_eq!(super::year_before("2025-12").as_deref(), Some("2025-01"));
        assert_eq!(super::year_before("2025-13"), None);
    }
}
