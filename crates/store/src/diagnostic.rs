//! Diagnostic: the geography portraits are computed on (read from the
//! territorial reference), and the indicator files users import (INSEE
//! census, CAF, France Travail), stored one row per commune and indicator.

use passerelle_diagnostic::geo::{CommuneGeo, Geography};
use passerelle_diagnostic::import::{Field, IndicatorFile};
use passerelle_diagnostic::needs::{Indicators, SourceNote};
use passerelle_diagnostic::offer::{CommuneLocator, OfferPlace};
use passerelle_diagnostic::portrait::Activity;
use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use crate::batch::{self, Value};
use crate::{Database, StoreError};

impl Database {
    /// Every loaded commune with its parents, population, centre and
    /// postcodes, and the names of the EPCI, départements and régions.
    pub async fn diagnostic_geography(&self) -> Result<Geography, StoreError> {
        let mut geo = Geography::default();
        let rows = sqlx::query("SELECT code, nom FROM regions")
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            geo.region_names.insert(r.try_get(0)?, r.try_get(1)?);
        }
        let rows = sqlx::query("SELECT code, nom, region_code FROM departements")
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            let (code, nom, region): (String, String, String) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            geo.name_departement(&code, &nom, &region);
        }
        let rows = sqlx::query("SELECT siren, nom FROM epcis WHERE nom IS NOT NULL")
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            geo.epci_names.insert(r.try_get(0)?, r.try_get(1)?);
        }
        let rows = sqlx::query(
            "SELECT commune_code, code_postal FROM commune_postcodes ORDER BY commune_code, code_postal",
        )
        .fetch_all(self.pool())
        .await?;
        let mut postcodes: std::collections::HashMap<String, Vec<String>> = Default::default();
        for r in &rows {
            postcodes
                .entry(r.try_get(0)?)
                .or_default()
                .push(r.try_get(1)?);
        }
        let rows = sqlx::query(
            "SELECT c.code, c.nom, c.departement_code, d.region_code, c.epci_siren, c.population, \
                    c.latitude, c.longitude \
             FROM communes c JOIN departements d ON d.code = c.departement_code ORDER BY c.code",
        )
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            let code: String = r.try_get(0)?;
            let lat: Option<f64> = r.try_get(6)?;
            let lng: Option<f64> = r.try_get(7)?;
            geo.push(CommuneGeo {
                postcodes: postcodes.remove(&code).unwrap_or_default(),
                code,
                nom: r.try_get(1)?,
                departement: r.try_get(2)?,
                region: r.try_get(3)?,
                epci: r.try_get(4)?,
                population: r.try_get::<Option<i64>, _>(5)?.unwrap_or(0),
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
            "SELECT MAX(month) FROM activity_rollups WHERE dimension = 'total' AND territory LIKE 'com:%' AND records > 0",
        )
        .fetch_one(self.pool())
        .await?
        .try_get(0)?;
        let Some(last) = last else { return Ok(None) };
        let first = year_before(&last)
            .ok_or_else(|| StoreError::Corrupt(format!("activity month {last:?}")))?;
        let rows = sqlx::query(
            "SELECT territory, CAST(SUM(records) AS BIGINT), CAST(SUM(people) AS BIGINT) FROM activity_rollups \
             WHERE dimension = 'total' AND territory LIKE 'com:%' AND month >= $1 AND month <= $2 \
             GROUP BY territory",
        )
        .bind(first.clone())
        .bind(last.clone())
        .fetch_all(self.pool())
        .await?;
        let mut counts = HashMap::new();
        for r in &rows {
            let territory: String = r.try_get(0)?;
            if let Some(code) = territory.strip_prefix("com:") {
                counts.insert(
                    code.to_string(),
                    Activity {
                        records: r.try_get(1)?,
                        people: r.try_get(2)?,
                    },
                );
            }
        }
        Ok(Some(((first, last), counts)))
    }

    /// Stores a parsed indicator file, all or nothing: its figures replace
    /// the stored ones for the communes and indicators it gives. Returns
    /// the number of (commune, indicator) figures written.
    pub async fn import_indicators(&self, file: &IndicatorFile) -> Result<usize, StoreError> {
        // Figures and "not published" cells go in separate statements: a
        // NULL bound through the Any driver gets a parameter type that a
        // prepared statement then keeps, and PostgreSQL refuses the next
        // number bound to it.
        let mut known: Vec<Vec<Value>> = Vec::new();
        let mut unpublished: Vec<Vec<Value>> = Vec::new();
        for (code, fields) in &file.communes {
            for (field, value) in fields {
                let key = vec![Value::Text(code.clone()), Value::Text(field.key())];
                match value {
                    Some(v) => known.push([key, vec![Value::Real(Some(*v))]].concat()),
                    None => unpublished.push(key),
                }
            }
        }
        let written = known.len() + unpublished.len();
        let keys: Vec<String> = file.fields().iter().map(Field::key).collect();
        let mut tx = self.begin_write().await?;
        let conn: &mut AnyConnection = &mut tx;
        batch::insert(
            conn,
            "diagnostic_indicators",
            &["commune_code", "indicator", "value"],
            known,
            "ON CONFLICT (commune_code, indicator) DO UPDATE SET value = excluded.value",
        )
        .await?;
        batch::insert(
            conn,
            "diagnostic_indicators",
            &["commune_code", "indicator"],
            unpublished,
            "ON CONFLICT (commune_code, indicator) DO UPDATE SET value = NULL",
        )
        .await?;
        sqlx::query(
            "INSERT INTO diagnostic_imports (file, kind, indicators, vintage, communes, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(file.file.clone())
        .bind(file.kind.label().to_string())
        .bind(keys.join(","))
        .bind(file.vintage.clone())
        .bind(file.communes.len() as i64)
        .bind(crate::time::now_iso())
        .execute(&mut *conn)
        .await?;
        tx.commit().await?;
        Ok(written)
    }

    /// The bundled indicators with the imported figures applied, and the
    /// file each imported indicator last came from.
    pub async fn diagnostic_indicators(&self) -> Result<Indicators, StoreError> {
        let mut indicators = passerelle_diagnostic::bundled::indicators()?;
        let rows = sqlx::query("SELECT commune_code, indicator, value FROM diagnostic_indicators")
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            let code: String = r.try_get(0)?;
            let key: String = r.try_get(1)?;
            let field = Field::from_key(&key).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown diagnostic indicator {key:?}"))
            })?;
            field.set(indicators.entry(&code), r.try_get(2)?);
        }
        let rows = sqlx::query(
            "SELECT file, indicators, vintage, imported_at FROM diagnostic_imports ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        for r in &rows {
            let (file, keys, imported_at): (String, String, String) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(3)?);
            let vintage: Option<String> = r.try_get(2)?;
            for key in keys.split(',').filter(|k| !k.is_empty()) {
                indicators.note(SourceNote {
                    indicator: key.to_string(),
                    vintage: vintage.clone(),
                    file: format!(
                        "{file} (importé le {})",
                        &imported_at[..10.min(imported_at.len())]
                    ),
                });
            }
        }
        Ok(indicators)
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
