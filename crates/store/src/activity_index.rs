//! The index of live records each server keeps in memory
//! (`passerelle_activities::stats`): built once from the store, then
//! brought up to date before each answer from two high-water marks (the
//! largest record id seen, the largest change number of
//! `activity_changes`, which a trigger fills with a record's state just
//! before it changes or is withdrawn; migration 0021). One statement reads
//! the new records, the changes, the current state of the records changed
//! and the new marks, so they come from one snapshot of the database: a
//! server never counts a half of another's write, whichever server or
//! command made it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use passerelle_activities::Activity;
use passerelle_activities::stats::{CommuneInfo, Fact, Geography, Index};
use sqlx::Row;

use crate::{Database, StoreError};

/// The index with the marks it is up to date with.
pub struct LiveIndex {
    pub index: Index,
    /// The largest record id read.
    max_id: i64,
    /// The largest change number read.
    seq: i64,
    /// When it was last brought up to date: the date of its figures.
    pub as_of: DateTime<Utc>,
}

/// A record (or its former state) as read for the index.
struct Stored {
    activity: Activity,
    commune: Option<String>,
    structure: Option<i64>,
    mediator: Option<i64>,
}

impl Stored {
    fn fact(&self) -> Fact<'_> {
        Fact {
            activity: &self.activity,
            commune: self.commune.as_deref(),
            structure: self.structure,
            mediator: self.mediator,
        }
    }
}

fn stored(row: &sqlx::any::AnyRow) -> Result<Stored, StoreError> {
    let data: String = row.try_get("data")?;
    Ok(Stored {
        activity: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("activity record: {e}")))?,
        commune: row.try_get("commune_code")?,
        structure: row.try_get("structure_id")?,
        mediator: row.try_get("mediator_id")?,
    })
}

/// New records (`part` 0, `n`: 1 when live), former states of records
/// counted (1, `n`: the change number), current states of the records
/// changed (2), the new marks (3: `id`, `n`).
const CHANGES: &str = "\
SELECT CAST(0 AS BIGINT) AS part, a.id AS id, a.data AS data, a.commune_code AS commune_code, \
       a.structure_id AS structure_id, a.mediator_id AS mediator_id, \
       CAST(CASE WHEN a.deleted_at IS NULL THEN 1 ELSE 0 END AS BIGINT) AS n \
  FROM activities a WHERE a.id > $1 \
UNION ALL \
SELECT CAST(1 AS BIGINT), c.activity_id, c.data, c.commune_code, c.structure_id, c.mediator_id, c.seq \
  FROM activity_changes c WHERE c.seq > $2 AND c.activity_id <= $1 \
UNION ALL \
SELECT CAST(2 AS BIGINT), a.id, a.data, a.commune_code, a.structure_id, a.mediator_id, CAST(1 AS BIGINT) \
  FROM activities a WHERE a.id <= $1 AND a.deleted_at IS NULL \
   AND a.id IN (SELECT c.activity_id FROM activity_changes c WHERE c.seq > $2) \
UNION ALL \
SELECT CAST(3 AS BIGINT), (SELECT COALESCE(MAX(id), 0) FROM activities), NULL, NULL, NULL, NULL, \
       (SELECT COALESCE(MAX(seq), 0) FROM activity_changes)";

impl Database {
    /// The communes of the loaded reference with their EPCI, département
    /// and région, as the index numbers them.
    pub async fn activity_geography(&self) -> Result<Geography, StoreError> {
        let rows = sqlx::query(
            "SELECT c.code AS code, c.nom AS nom, c.epci_siren AS epci, e.nom AS epci_nom, \
             d.code AS dep, d.nom AS dep_nom, r.code AS reg, r.nom AS reg_nom \
             FROM communes c JOIN departements d ON d.code = c.departement_code \
             JOIN regions r ON r.code = d.region_code LEFT JOIN epcis e ON e.siren = c.epci_siren",
        )
        .fetch_all(self.pool())
        .await?;
        let communes = rows
            .iter()
            .map(|r| {
                let epci: Option<String> = r.try_get("epci")?;
                let epci_name: Option<String> = r.try_get("epci_nom")?;
                Ok(CommuneInfo {
                    code: r.try_get("code")?,
                    name: r.try_get("nom")?,
                    epci: epci.map(|code| {
                        let name = epci_name.unwrap_or_else(|| code.clone());
                        (code, name)
                    }),
                    departement: (r.try_get("dep")?, r.try_get("dep_nom")?),
                    region: (r.try_get("reg")?, r.try_get("reg_nom")?),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Geography::new(communes))
    }

    /// Builds the index of every live record.
    pub async fn activity_index(&self) -> Result<LiveIndex, StoreError> {
        let mut live = LiveIndex {
            index: Index::new(self.activity_geography().await?),
            max_id: 0,
            seq: 0,
            as_of: Utc::now(),
        };
        self.refresh_activity_index(&mut live).await?;
        Ok(live)
    }

    /// Brings the index up to date with every write committed since it was
    /// last; how many records it took in or out.
    pub async fn refresh_activity_index(&self, live: &mut LiveIndex) -> Result<usize, StoreError> {
        let whole = live.max_id == 0 && live.index.is_empty();
        // Planned for its marks each time, never kept prepared: a kept
        // statement may switch to PostgreSQL's generic plan, which guesses
        // that a third of the table passes `id > $1` and reads all of it
        // (1.4 s an answer at 10 M records; see also the ANALYZE after an
        // import) instead of an index range of what is new.
        let mut rows = sqlx::query(CHANGES)
            .persistent(false)
            .bind(live.max_id)
            .bind(live.seq)
            .fetch(self.pool());
        let mut former: Vec<(i64, i64, Stored)> = Vec::new();
        let mut current: Vec<Stored> = Vec::new();
        let mut marks = (live.max_id, live.seq);
        let mut moved = 0;
        while let Some(row) = rows.try_next().await? {
            let part: i64 = row.try_get("part")?;
            let n: i64 = row.try_get("n")?;
            match part {
                0 if n == 1 => {
                    let s = stored(&row)?;
                    if whole {
                        live.index.add_unsorted(&s.fact());
                    } else {
                        live.index.add(&s.fact());
                    }
                    moved += 1;
                }
                0 => {}
                1 => former.push((row.try_get("id")?, n, stored(&row)?)),
                2 => current.push(stored(&row)?),
                _ => marks = (row.try_get("id")?, n),
            }
        }
        drop(rows);
        if whole {
            live.index.finish();
        }
        // A record counted at the last mark leaves as it was then (its
        // first change since), and comes back as it is now if live.
        former.sort_by_key(|(_, seq, _)| *seq);
        let mut first: HashMap<i64, &Stored> = HashMap::new();
        for (id, _, s) in &former {
            first.entry(*id).or_insert(s);
        }
        for s in first.values() {
            if live.index.remove(&s.fact()) {
                moved += 1;
            }
        }
        for s in &current {
            live.index.add(&s.fact());
            moved += 1;
        }
        (live.max_id, live.seq) = marks;
        live.as_of = Utc::now();
        Ok(moved)
    }
}
