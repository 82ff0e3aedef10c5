//! Activités in the database: records, their roll-ups (updated in the same
//! transaction as each write) and aggregate sources.

use passerelle_activities::Activity;
use passerelle_activities::aggregate::{Dimension, Weight, count_by};
use passerelle_activities::model::Where;
use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::time::now_iso;
use crate::{Database, StoreError};

/// The dimensions kept in roll-ups, with their stored names.
pub const DIMENSIONS: [(&str, Dimension); 9] = [
    ("theme", Dimension::Theme),
    ("type", Dimension::Kind),
    ("duree", Dimension::Duration),
    ("age", Dimension::Age),
    ("statut", Dimension::Status),
    ("organisation", Dimension::Organisation),
    ("aide", Dimension::Help),
    ("autonomie", Dimension::Autonomy),
    ("orientation", Dimension::Orientation),
];

/// Who recorded it, for which structure.
#[derive(Debug, Clone, Copy)]
pub struct Author {
    pub mediator_id: Option<i64>,
    pub structure_id: Option<i64>,
}

/// A territory to filter on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Territory {
    All,
    Commune(String),
    Epci(String),
    Departement(String),
    Region(String),
}

impl Territory {
    /// `dep:35`, `reg:53`, `epci:200068120`, `com:29232` or `all`.
    pub fn parse(text: &str) -> Option<Self> {
        let (level, code) = text.split_once(':').unwrap_or((text, ""));
        Some(match level {
            "all" | "" => Self::All,
            "com" | "commune" => Self::Commune(code.into()),
            "epci" => Self::Epci(code.into()),
            "dep" | "departement" => Self::Departement(code.into()),
            "reg" | "region" => Self::Region(code.into()),
            _ => return None,
        })
    }
}

/// What to count.
#[derive(Debug, Clone)]
pub struct StatsQuery {
    pub dimension: &'static str,
    pub territory: Territory,
    /// Months, `YYYY-MM`, inclusive.
    pub from: String,
    pub to: String,
    pub structure_id: Option<i64>,
    pub mediator_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsRow {
    pub value: String,
    pub people: i64,
    pub records: i64,
}

impl Database {
    /// Records an activity (already validated). With an idempotency key, a
    /// repeated call returns the first record's id and writes nothing.
    pub async fn record_activity(
        &self,
        a: &Activity,
        author: Author,
        idempotency_key: Option<&str>,
    ) -> Result<(i64, bool), StoreError> {
        let mut tx = self.pool().begin().await?;
        if let Some(key) = idempotency_key {
            let known = sqlx::query("SELECT id FROM activities WHERE idempotency_key = $1")
                .bind(key.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(row) = known {
                return Ok((row.try_get(0)?, false));
            }
        }
        let commune = where_commune(&mut tx, a).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO activities (data, kind, date, participants, commune_code, mediator_id, structure_id, idempotency_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(serde_json::to_string(a).expect("an activity serialises"))
        .bind(format!("{:?}", a.kind).to_lowercase())
        .bind(a.date.to_string())
        .bind(i64::from(a.participants))
        .bind(commune.clone())
        .bind(author.mediator_id)
        .bind(author.structure_id)
        .bind(idempotency_key.map(str::to_string))
        .bind(now_iso())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        roll_up(&mut tx, a, commune.as_deref(), author, 1).await?;
        tx.commit().await?;
        Ok((id, true))
    }

    /// Withdraws a record of this mediator (kept, marked deleted, no longer
    /// counted). False when there is no such live record of theirs.
    pub async fn delete_activity(&self, id: i64, mediator_id: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query("SELECT data, commune_code, structure_id FROM activities WHERE id = $1 AND mediator_id = $2 AND deleted_at IS NULL")
            .bind(id)
            .bind(mediator_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(false) };
        let a: Activity = serde_json::from_str(&row.try_get::<String, _>(0)?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let commune: Option<String> = row.try_get(1)?;
        let author = Author {
            mediator_id: Some(mediator_id),
            structure_id: row.try_get(2)?,
        };
        sqlx::query("UPDATE activities SET deleted_at = $1 WHERE id = $2")
            .bind(now_iso())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        roll_up(&mut tx, &a, commune.as_deref(), author, -1).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A mediator's latest records: (id, record).
    pub async fn activities_of(
        &self,
        mediator_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Activity)>, StoreError> {
        let rows = sqlx::query("SELECT id, data FROM activities WHERE mediator_id = $1 AND deleted_at IS NULL ORDER BY date DESC, id DESC LIMIT $2")
            .bind(mediator_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get(1)?;
                Ok((
                    r.try_get(0)?,
                    serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                ))
            })
            .collect()
    }

    /// Counts per value of a dimension, from the roll-ups.
    pub async fn activity_stats(&self, q: &StatsQuery) -> Result<Vec<StatsRow>, StoreError> {
        let (territory_sql, code) = match &q.territory {
            Territory::All => ("", None),
            Territory::Commune(c) => ("AND r.commune_code = $4", Some(c)),
            Territory::Epci(c) => ("AND c.epci_siren = $4", Some(c)),
            Territory::Departement(c) => ("AND c.departement_code = $4", Some(c)),
            Territory::Region(c) => ("AND d.region_code = $4", Some(c)),
        };
        let sql = format!(
            "SELECT r.value, CAST(SUM(r.people) AS BIGINT), CAST(SUM(r.records) AS BIGINT) FROM activity_rollups r \
             LEFT JOIN communes c ON c.code = r.commune_code LEFT JOIN departements d ON d.code = c.departement_code \
             WHERE r.dimension = $1 AND r.month >= $2 AND r.month <= $3 {territory_sql} \
             AND ($5 = 0 OR r.structure_id = $5) AND ($6 = 0 OR r.mediator_id = $6) \
             GROUP BY r.value HAVING SUM(r.records) > 0 ORDER BY 2 DESC, r.value"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(q.dimension.to_string())
            .bind(q.from.clone())
            .bind(q.to.clone())
            .bind(code.cloned().unwrap_or_default())
            .bind(q.structure_id.unwrap_or(0))
            .bind(q.mediator_id.unwrap_or(0))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StatsRow {
                    value: r.try_get(0)?,
                    people: r.try_get(1)?,
                    records: r.try_get(2)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Loads an aggregate source (replacing what it had).
    pub async fn load_activity_aggregates(
        &self,
        source: &str,
        as_of: &str,
        rows: &[(String, &str, &str, i64)],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM activity_aggregates WHERE source = $1")
            .bind(source.to_string())
            .execute(&mut *tx)
            .await?;
        for (postcode, dimension, value, people) in rows {
            sqlx::query("INSERT INTO activity_aggregates (source, as_of, code_postal, dimension, value, people) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(source.to_string())
                .bind(as_of.to_string())
                .bind(postcode.clone())
                .bind(dimension.to_string())
                .bind(value.to_string())
                .bind(*people)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An aggregate source's counts per value, for postcodes of a département
    /// (or all): `(value, people)`, and the source's date.
    pub async fn aggregate_stats(
        &self,
        source: &str,
        dimension: &str,
        departement: Option<&str>,
    ) -> Result<(Vec<(String, i64)>, Option<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT value, CAST(SUM(people) AS BIGINT), MAX(as_of) FROM activity_aggregates \
             WHERE source = $1 AND dimension = $2 AND ($3 = '' OR code_postal LIKE $4) GROUP BY value ORDER BY 2 DESC",
        )
        .bind(source.to_string())
        .bind(dimension.to_string())
        .bind(departement.unwrap_or("").to_string())
        .bind(format!("{}%", departement.unwrap_or("")))
        .fetch_all(self.pool())
        .await?;
        let as_of = rows.first().and_then(|r| r.try_get::<String, _>(2).ok());
        let values = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?;
        Ok((values, as_of))
    }
}

/// The commune where the activity happened.
async fn where_commune(
    conn: &mut AnyConnection,
    a: &Activity,
) -> Result<Option<String>, StoreError> {
    Ok(match &a.place {
        Where::Lieu(id) => sqlx::query("SELECT commune_code FROM places WHERE id = $1")
            .bind(*id)
            .fetch_optional(&mut *conn)
            .await?
            .and_then(|r| r.try_get::<Option<String>, _>(0).ok().flatten()),
        Where::Autre(code) => Some(code.clone()),
        // At home or remote: the person's commune when given.
        Where::Domicile | Where::Distance => a.residence_commune.clone(),
    })
}

async fn roll_up(
    conn: &mut AnyConnection,
    a: &Activity,
    commune: Option<&str>,
    author: Author,
    sign: i64,
) -> Result<(), StoreError> {
    let month = a.date.format("%Y-%m").to_string();
    let one = std::slice::from_ref(a);
    let mut contributions: Vec<(&str, String, i64, i64)> =
        vec![("total", String::new(), i64::from(a.participants), 1)];
    for (name, dimension) in DIMENSIONS {
        let people = count_by(one, dimension, Weight::People);
        let records = count_by(one, dimension, Weight::Records);
        for (value, p) in people {
            let r = records.get(&value).copied().unwrap_or(0);
            contributions.push((name, value, p as i64, r as i64));
        }
    }
    for (dimension, value, people, records) in contributions {
        sqlx::query(
            "INSERT INTO activity_rollups (dimension, month, commune_code, structure_id, mediator_id, value, people, records) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (dimension, month, commune_code, structure_id, mediator_id, value) \
             DO UPDATE SET people = activity_rollups.people + excluded.people, records = activity_rollups.records + excluded.records",
        )
        .bind(dimension.to_string())
        .bind(month.clone())
        .bind(commune.unwrap_or("").to_string())
        .bind(author.structure_id.unwrap_or(0))
        .bind(author.mediator_id.unwrap_or(0))
        .bind(value)
        .bind(sign * people)
        .bind(sign * records)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
