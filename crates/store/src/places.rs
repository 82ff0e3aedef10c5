//! Lieux in the database. A file's places are imported in one transaction:
//! a place already known by `(source, id)` is updated; a new one that is
//! the same as a place of another source (`passerelle_places::dedup`) is
//! merged into it; a doubtful pair is kept for a coordinator to decide.

use std::collections::HashMap;

use passerelle_places::Place;
pub use passerelle_places::dedup::MergeNote;
use passerelle_places::dedup::{AUTO_MERGE, REVIEW, merge, score};
use passerelle_territory::search::search_key;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::accounts::AuditEvent;
use crate::time::now_iso;
use crate::{Database, StoreError};

/// A place as stored, with what Passerelle knows beside the standard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredPlace {
    pub id: i64,
    pub place: Place,
    /// The commune of the Territoires reference it is attached to.
    pub commune_code: Option<String>,
    pub structure_id: Option<i64>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PlaceImportReport {
    pub read: usize,
    pub added: usize,
    pub updated: usize,
    /// New to this source, the same as a place of another source: merged.
    pub merged: usize,
    /// Added, and paired with a possible duplicate for review.
    pub to_review: usize,
    /// Every merge, with both sides named.
    pub merges: Vec<MergeNote>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicatePair {
    pub a: StoredPlace,
    pub b: StoredPlace,
    pub score: f64,
}

/// The `(source, id)` a place is keyed by: its own `source`, or the
/// import's when it has none (the place itself keeps an empty `source`).
fn source_key(place: &Place, default_source: &str) -> (String, String) {
    (
        place
            .source
            .clone()
            .unwrap_or_else(|| default_source.to_string()),
        place.id.clone(),
    )
}

impl Database {
    /// Imports places (already validated) from one file; `origin` says where
    /// from in the change log, `default_source` keys places without `source`.
    pub async fn import_places(
        &self,
        places: &[Place],
        default_source: &str,
        origin: &str,
        actor: Option<i64>,
    ) -> Result<PlaceImportReport, StoreError> {
        let mut tx = self.begin_write().await?;
        let conn: &mut AnyConnection = &mut tx;
        let mut report = PlaceImportReport {
            read: places.len(),
            ..Default::default()
        };
        let mapping: HashMap<(String, String), i64> =
            sqlx::query("SELECT source, source_id, place_id FROM place_sources")
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        (r.try_get("source")?, r.try_get("source_id")?),
                        r.try_get("place_id")?,
                    ))
                })
                .collect::<Result<_, sqlx::Error>>()?;
        // The keys of every place, to name both sides of a merge and to
        // tell a source's own places (never compared) from others.
        let mut keys_of: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for (key, id) in &mapping {
            keys_of.entry(*id).or_default().push(key.clone());
        }
        for keys in keys_of.values_mut() {
            keys.sort();
        }
        // Places written by an earlier row of this import: its index.
        let mut from_row: HashMap<i64, usize> = HashMap::new();
        // Places by postcode, for duplicate detection.
        let mut by_postcode: HashMap<String, Vec<(i64, Place)>> = HashMap::new();
        for (id, place) in load_all(conn).await? {
            by_postcode
                .entry(place.code_postal.clone())
                .or_default()
                .push((id, place));
        }
        for (row, place) in places.iter().enumerate() {
            let key = source_key(place, default_source);
            if let Some(&id) = mapping.get(&key) {
                let stored = by_postcode
                    .values()
                    .flatten()
                    .find(|(i, _)| *i == id)
                    .map(|(_, p)| p.clone());
                // A place described by several sources keeps what the others
                // said where this one is silent.
                let several = keys_of.get(&id).is_some_and(|k| k.len() > 1);
                let updated = match stored {
                    Some(existing) if several => merge(place, &existing),
                    _ => place.clone(),
                };
                write_place(conn, Some(id), &updated).await?;
                log_change(conn, id, actor, origin, "mise à jour par import").await?;
                from_row.entry(id).or_insert(row);
                report.updated += 1;
                continue;
            }
            let mut best: Option<(i64, f64, Place)> = None;
            for (id, existing) in by_postcode.get(&place.code_postal).into_iter().flatten() {
                let same_source = keys_of
                    .get(id)
                    .is_some_and(|keys| keys.iter().any(|(s, _)| *s == key.0));
                // A source's own earlier places are its own business; rows of
                // this very import are compared, and merged only when sure.
                let earlier_row = from_row.contains_key(id);
                if same_source && !earlier_row {
                    continue;
                }
                let (s, _) = score(existing, place);
                let threshold = if same_source { AUTO_MERGE } else { REVIEW };
                if s >= threshold && best.as_ref().is_none_or(|(_, b, _)| s > *b) {
                    best = Some((*id, s, existing.clone()));
                }
            }
            let id = match best {
                Some((id, s, existing)) if s >= AUTO_MERGE => {
                    let merged = merge(&existing, place);
                    write_place(conn, Some(id), &merged).await?;
                    log_change(
                        conn,
                        id,
                        actor,
                        origin,
                        &format!("fusion avec {} {} (score {s:.2})", key.0, key.1),
                    )
                    .await?;
                    report.merged += 1;
                    report.merges.push(MergeNote {
                        row,
                        source: key.0.clone(),
                        id: key.1.clone(),
                        place_id: id,
                        into: keys_of.get(&id).cloned().unwrap_or_default(),
                        into_row: from_row.get(&id).copied(),
                        score: s,
                    });
                    for (pid, p) in by_postcode.values_mut().flatten() {
                        if *pid == id {
                            *p = merged.clone();
                        }
                    }
                    id
                }
                other => {
                    let id = write_place(conn, None, place).await?;
                    log_change(conn, id, actor, origin, "création par import").await?;
                    report.added += 1;
                    if let Some((existing_id, s, _)) = other {
                        sqlx::query("INSERT INTO place_duplicates (place_a, place_b, score, status) VALUES ($1, $2, $3, 'pending')")
                            .bind(existing_id)
                            .bind(id)
                            .bind(s)
                            .execute(&mut *conn)
                            .await?;
                        report.to_review += 1;
                    }
                    by_postcode
                        .entry(place.code_postal.clone())
                        .or_default()
                        .push((id, place.clone()));
                    from_row.insert(id, row);
                    id
                }
            };
            sqlx::query(
                "INSERT INTO place_sources (source, source_id, place_id) VALUES ($1, $2, $3)",
            )
            .bind(key.0.clone())
            .bind(key.1.clone())
            .bind(id)
            .execute(&mut *conn)
            .await?;
            let keys = keys_of.entry(id).or_default();
            keys.push(key);
            keys.sort();
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Loads the Bretagne places bundled in the binary (France services,
    /// conseillers numériques' permanences, Aidants Connect structures),
    /// merging the places they share.
    pub async fn load_bundled_places(
        &self,
    ) -> Result<Vec<(&'static str, PlaceImportReport)>, StoreError> {
        let mut reports = Vec::new();
        for (name, places) in passerelle_places::bundled::places() {
            reports.push((
                name,
                self.import_places(&places, name, &format!("données embarquées : {name}"), None)
                    .await?,
            ));
        }
        Ok(reports)
    }

    pub async fn places_empty(&self) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM places")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)? == 0)
    }

    /// The centre of every commune that has one, for places without
    /// coordinates of their own.
    pub async fn commune_centres(&self) -> Result<HashMap<String, (f64, f64)>, StoreError> {
        let rows = sqlx::query("SELECT code, latitude, longitude FROM communes WHERE latitude IS NOT NULL AND longitude IS NOT NULL")
            .fetch_all(self.pool())
            .await?;
        crate::map_rows(&rows, |r| {
            Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?)))
        })
    }

    /// Every place, in name order.
    pub async fn places(&self) -> Result<Vec<StoredPlace>, StoreError> {
        let rows = sqlx::query("SELECT id, data, commune_code, structure_id, updated_at FROM places ORDER BY search_key, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(stored_from_row).collect()
    }

    /// Up to `limit` places whose identifier is above `after`, in
    /// identifier order: pages that do not shift when places are added.
    pub async fn places_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredPlace>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, data, commune_code, structure_id, updated_at FROM places \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored_from_row).collect()
    }

    pub async fn place(&self, id: i64) -> Result<Option<StoredPlace>, StoreError> {
        let row = sqlx::query(
            "SELECT id, data, commune_code, structure_id, updated_at FROM places WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(stored_from_row).transpose()
    }

    /// Replaces a place's record (an edit), logging who did it.
    pub async fn update_place(
        &self,
        id: i64,
        place: &Place,
        actor: Option<i64>,
        summary: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        write_place(&mut tx, Some(id), place).await?;
        log_change(&mut tx, id, actor, "édition", summary).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The change log of a place, newest first: (when, who, origin, what).
    pub async fn place_changes(
        &self,
        id: i64,
    ) -> Result<Vec<(String, Option<String>, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.at, p.display_name, c.origin, c.summary FROM place_changes c \
             LEFT JOIN people p ON p.id = c.actor_person_id WHERE c.place_id = $1 ORDER BY c.id DESC",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        crate::map_rows(&rows, |r| {
            Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
        })
    }

    /// Structures whose SIRET is `pivot`: they run the place.
    pub async fn structures_by_siret(&self, pivot: &str) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT id FROM structures WHERE siret = $1")
            .bind(pivot.to_string())
            .fetch_all(self.pool())
            .await?;
        crate::map_rows(&rows, |r| r.try_get(0))
    }

    /// Decides a pending pair: `merge` folds `b` into `a` (its sources, its
    /// history and what it knows that `a` does not), otherwise the two are
    /// recorded as distinct places. A merge moves every reference to `b`
    /// to `a` in the same transaction — activity records (their column and
    /// their JSON), referrals, sources, change log, other pending pairs —
    /// and moves the records' roll-up contributions if the kept place is
    /// in another commune, so every count stays as it was. The change log
    /// and `audit` (its detail completed with what moved) are written in
    /// the same transaction. False when the pair is not pending.
    pub async fn decide_duplicate(
        &self,
        a: i64,
        b: i64,
        merge_them: bool,
        actor: i64,
        audit: AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let decided = sqlx::query(
            "UPDATE place_duplicates SET status = $1, decided_by = $2, decided_at = $3 \
             WHERE place_a = $4 AND place_b = $5 AND status = 'pending'",
        )
        .bind(if merge_them { "merged" } else { "distinct" })
        .bind(actor)
        .bind(now_iso())
        .bind(a)
        .bind(b)
        .execute(&mut *tx)
        .await?;
        if decided.rows_affected() != 1 {
            return Ok(false);
        }
        let mut detail = format!("place:{b}");
        if merge_them {
            let load = |id: i64| {
                sqlx::query("SELECT data, commune_code, structure_id FROM places WHERE id = $1")
                    .bind(id)
            };
            let first = load(a).fetch_one(&mut *tx).await?;
            let second = load(b).fetch_one(&mut *tx).await?;
            let merged = merge(
                &decode(&first.try_get::<String, _>("data")?)?,
                &decode(&second.try_get::<String, _>("data")?)?,
            );
            write_place(&mut tx, Some(a), &merged).await?;
            // The structure that runs the duplicate runs the kept place if
            // none did.
            sqlx::query(
                "UPDATE places SET structure_id = COALESCE(structure_id, $1) WHERE id = $2",
            )
            .bind(second.try_get::<Option<i64>, _>("structure_id")?)
            .bind(a)
            .execute(&mut *tx)
            .await?;
            let kept_commune: Option<String> =
                sqlx::query("SELECT commune_code FROM places WHERE id = $1")
                    .bind(a)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("commune_code")?;
            let activities =
                crate::activities::move_activities_to_place(&mut tx, b, a, kept_commune.as_deref())
                    .await?;
            let referrals = sqlx::query("UPDATE referrals SET place_id = $1 WHERE place_id = $2")
                .bind(a)
                .bind(b)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for sql in [
                "UPDATE place_sources SET place_id = $1 WHERE place_id = $2",
                "UPDATE place_changes SET place_id = $1 WHERE place_id = $2",
                "UPDATE network_events SET place_id = $1 WHERE place_id = $2",
            ] {
                sqlx::query(sql).bind(a).bind(b).execute(&mut *tx).await?;
            }
            // Pairs of the duplicate with other places are gone with it
            // (its descriptions now belong to the kept place, compared on
            // the next import).
            sqlx::query("DELETE FROM place_duplicates WHERE place_a = $1 OR place_b = $1")
                .bind(b)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM places WHERE id = $1")
                .bind(b)
                .execute(&mut *tx)
                .await?;
            log_change(
                &mut tx,
                a,
                Some(actor),
                "coordination",
                &format!("doublon confirmé : lieu {b} fusionné"),
            )
            .await?;
            detail = format!(
                "place:{b} merged into place:{a}; {activities} activities and {referrals} referrals moved"
            );
        }
        let event = AuditEvent {
            detail: Some(match audit.detail {
                Some(d) => format!("{d}; {detail}"),
                None => detail,
            }),
            ..audit
        };
        crate::accounts::insert_audit(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Possible duplicates awaiting a decision, best score first.
    pub async fn pending_duplicates(&self) -> Result<Vec<DuplicatePair>, StoreError> {
        let rows = sqlx::query("SELECT place_a, place_b, score FROM place_duplicates WHERE status = 'pending' ORDER BY score DESC")
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let (a, b, score): (i64, i64, f64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            if let (Some(a), Some(b)) = (self.place(a).await?, self.place(b).await?) {
                out.push(DuplicatePair { a, b, score });
            }
        }
        Ok(out)
    }
}

async fn load_all(conn: &mut AnyConnection) -> Result<Vec<(i64, Place)>, StoreError> {
    let rows = sqlx::query("SELECT id, data FROM places")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let data: String = r.try_get("data")?;
            Ok((r.try_get("id")?, decode(&data)?))
        })
        .collect()
}

fn decode(data: &str) -> Result<Place, StoreError> {
    serde_json::from_str(data)
        .map_err(|e| StoreError::Corrupt(format!("a place is not valid JSON: {e}")))
}

fn stored_from_row(r: &sqlx::any::AnyRow) -> Result<StoredPlace, StoreError> {
    let data: String = r.try_get("data")?;
    Ok(StoredPlace {
        id: r.try_get("id")?,
        place: decode(&data)?,
        commune_code: r.try_get("commune_code")?,
        structure_id: r.try_get("structure_id")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The commune of the reference a place belongs to: its INSEE code if the
/// reference has it, else the commune of its postcode whose name matches.
async fn resolve_commune(
    conn: &mut AnyConnection,
    place: &Place,
) -> Result<Option<String>, StoreError> {
    if let Some(code) = &place.code_insee {
        let known = sqlx::query("SELECT code FROM communes WHERE code = $1")
            .bind(code.clone())
            .fetch_optional(&mut *conn)
            .await?;
        if known.is_some() {
            return Ok(Some(code.clone()));
        }
    }
    let rows = sqlx::query(
        "SELECT c.code, c.search_key FROM communes c JOIN commune_postcodes p ON p.commune_code = c.code WHERE p.code_postal = $1",
    )
    .bind(place.code_postal.clone())
    .fetch_all(&mut *conn)
    .await?;
    let wanted = search_key(&place.commune);
    let mut only = None;
    for r in &rows {
        let (code, key): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        if key == wanted {
            return Ok(Some(code));
        }
        only = Some(code);
    }
    // A postcode of a single commune decides even if the name is spelt otherwise.
    Ok(if rows.len() == 1 { only } else { None })
}

async fn write_place(
    conn: &mut AnyConnection,
    id: Option<i64>,
    place: &Place,
) -> Result<i64, StoreError> {
    let commune = resolve_commune(conn, place).await?;
    let data = serde_json::to_string(place).expect("a place serialises");
    let query = match id {
        Some(_) => sqlx::query(
            "UPDATE places SET data = $1, nom = $2, search_key = $3, code_postal = $4, commune_code = $5, \
             latitude = $6, longitude = $7, date_maj = $8, updated_at = $9 WHERE id = $10 RETURNING id",
        ),
        None => sqlx::query(
            "INSERT INTO places (data, nom, search_key, code_postal, commune_code, latitude, longitude, date_maj, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        ),
    };
    let mut query = query
        .persistent(crate::batch::cacheable(&[place.latitude, place.longitude]))
        .bind(data)
        .bind(place.nom.clone())
        .bind(search_key(&place.nom))
        .bind(place.code_postal.clone())
        .bind(commune)
        .bind(place.latitude)
        .bind(place.longitude)
        .bind(place.date_maj.clone())
        .bind(now_iso());
    if let Some(id) = id {
        query = query.bind(id);
    }
    Ok(query.fetch_one(&mut *conn).await?.try_get(0)?)
}

async fn log_change(
    conn: &mut AnyConnection,
    place_id: i64,
    actor: Option<i64>,
    origin: &str,
    summary: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO place_changes (place_id, at, actor_person_id, origin, summary) VALUES ($1, $2, $3, $4, $5)")
        .bind(place_id)
        .bind(now_iso())
        .bind(actor)
        .bind(origin.to_string())
        .bind(summary.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
