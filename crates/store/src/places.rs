//! Lieux in the database. A file's places are imported in one transaction:
//! a place already known by `(source, id)` is updated; a new one that is
//! the same as a place of another source (`passerelle_places::dedup`) is
//! merged into it; a doubtful pair is kept for a coordinator to decide.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use passerelle_places::Place;
pub use passerelle_places::dedup::MergeNote;
use passerelle_places::dedup::{AUTO_MERGE, REVIEW, merge, score};
use passerelle_territory::search::search_key;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::time::now_iso;
use crate::write::Acting;
use crate::{Database, StoreError};

/// A place as stored, with what Passerelle knows beside the standard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredPlace {
    pub id: i64,
    pub place: Place,
    /// The commune of the Territoires reference it is attached to.
    pub commune_code: Option<String>,
    pub structure_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
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

/// Where an import's places came from, as the change log keeps it. A
/// plain label (`"lieux.csv"`) is a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ImportOrigin {
    /// The Bretagne sources compiled into the binary, by source name.
    Bundled(String),
    /// A file, by its name (command line).
    File(String),
    /// The import API.
    Api,
}

impl From<&str> for ImportOrigin {
    fn from(label: &str) -> Self {
        Self::File(label.to_string())
    }
}

/// What happened to a place, as its change log says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PlaceChangeKind {
    /// Added by an import.
    Created(ImportOrigin),
    /// Described again by an import of one of its sources.
    Updated(ImportOrigin),
    /// An import's row of another source, found to be this place and merged
    /// into it (`score` of the resemblance, 0 to 1).
    Merged {
        origin: ImportOrigin,
        source: String,
        id: String,
        score: f64,
    },
    /// Edited in its page: the columns of the standard that changed (none:
    /// checked and left as it was).
    Edited { fields: Vec<String> },
    /// A coordinator confirmed that place `duplicate` was this one: merged.
    DuplicateMerged { duplicate: i64 },
    /// A line written before the change log was typed (migration 0020),
    /// with its words of then.
    Legacy { origin: String, summary: String },
}

/// One line of a place's change log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceChange {
    pub at: DateTime<Utc>,
    /// The person who made it, when a person did.
    pub by: Option<String>,
    pub kind: PlaceChangeKind,
}

/// Why a change to places was not made.
#[derive(Debug)]
pub enum PlaceError {
    /// No place has this identifier.
    UnknownPlace(i64),
    /// The INSEE code given is not a commune of the reference.
    UnknownCommune(String),
    /// The pair is not awaiting a decision (decided already, or never paired).
    NotPending,
    Store(StoreError),
}

impl From<StoreError> for PlaceError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<sqlx::Error> for PlaceError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
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
    /// `actor` is the person importing, if any (see `import_places_as`).
    pub async fn import_places(
        &self,
        places: &[Place],
        default_source: &str,
        origin: impl Into<ImportOrigin>,
        actor: Option<i64>,
    ) -> Result<PlaceImportReport, StoreError> {
        let acting = Acting {
            person: actor,
            ..Acting::default()
        };
        self.import_places_as(places, default_source, origin, &acting)
            .await
    }

    /// `import_places` through `Database::write`: the places, their change
    /// log and the audit line (`places.imported`, with the counts) commit
    /// together, with who acted (person or token, address).
    pub async fn import_places_as(
        &self,
        places: &[Place],
        default_source: &str,
        origin: impl Into<ImportOrigin>,
        acting: &Acting,
    ) -> Result<PlaceImportReport, StoreError> {
        let origin = origin.into();
        let actor = acting.person;
        self.write(acting, async |w| {
        let conn: &mut AnyConnection = w.conn();
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
                log_change(conn, id, actor, &PlaceChangeKind::Updated(origin.clone())).await?;
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
                    let merged_row = PlaceChangeKind::Merged {
                        origin: origin.clone(),
                        source: key.0.clone(),
                        id: key.1.clone(),
                        score: s,
                    };
                    log_change(conn, id, actor, &merged_row).await?;
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
                    log_change(conn, id, actor, &PlaceChangeKind::Created(origin.clone())).await?;
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
        let detail = format!(
            "source: {default_source}; read {}, added {}, updated {}, merged {}, to review {}",
            report.read, report.added, report.updated, report.merged, report.to_review
        );
        w.audit("places.imported", None, None, Some(detail)).await?;
        Ok(report)
        })
        .await
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
                self.import_places(&places, name, ImportOrigin::Bundled(name.to_string()), None)
                    .await?,
            ));
        }
        Ok(reports)
    }

    pub async fn places_empty(&self) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM places")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>("n")? == 0)
    }

    /// The centre of every commune that has one, for places without
    /// coordinates of their own.
    pub async fn commune_centres(&self) -> Result<HashMap<String, (f64, f64)>, StoreError> {
        let rows = sqlx::query("SELECT code, latitude, longitude FROM communes WHERE latitude IS NOT NULL AND longitude IS NOT NULL")
            .fetch_all(self.pool())
            .await?;
        crate::map_rows(&rows, |r| {
            Ok((
                r.try_get("code")?,
                (r.try_get("latitude")?, r.try_get("longitude")?),
            ))
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

    /// Replaces a place's record (an edit) through `Database::write`: the
    /// change log names the columns changed, and the audit line
    /// (`place.edited`, with them) is written in the same transaction. The
    /// commune of an INSEE code given must be in the reference. Answers the
    /// columns changed.
    pub async fn update_place(
        &self,
        id: i64,
        place: &Place,
        acting: &Acting,
    ) -> Result<Vec<&'static str>, PlaceError> {
        self.write(acting, async |w| {
            let conn = w.conn();
            let Some(row) = sqlx::query("SELECT data FROM places WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(Err(PlaceError::UnknownPlace(id)));
            };
            if let Some(code) = &place.code_insee {
                let known = sqlx::query("SELECT code FROM communes WHERE code = $1")
                    .bind(code.clone())
                    .fetch_optional(&mut *conn)
                    .await?;
                if known.is_none() {
                    return Ok(Err(PlaceError::UnknownCommune(code.clone())));
                }
            }
            let before = decode(&row.try_get::<String, _>("data")?)?;
            let fields = before.changed_fields(place);
            write_place(conn, Some(id), place).await?;
            let edited = PlaceChangeKind::Edited {
                fields: fields.iter().map(|f| f.to_string()).collect(),
            };
            log_change(conn, id, acting.person, &edited).await?;
            let detail = format!("place:{id}; fields: {}", fields.join(", "));
            w.audit(
                "place.edited",
                None,
                Some(format!("place:{id}")),
                Some(detail),
            )
            .await?;
            Ok(Ok(fields))
        })
        .await?
    }

    /// The change log of a place, newest first.
    pub async fn place_changes(&self, id: i64) -> Result<Vec<PlaceChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.at AS at, p.display_name AS by_name, c.origin AS origin, c.kind AS kind, \
             c.detail AS detail, c.summary AS summary FROM place_changes c \
             LEFT JOIN people p ON p.id = c.actor_person_id WHERE c.place_id = $1 ORDER BY c.id DESC",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(change_from_row).collect()
    }

    /// Structures whose SIRET is `pivot`: they run the place.
    pub async fn structures_by_siret(&self, pivot: &str) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT id FROM structures WHERE siret = $1")
            .bind(pivot.to_string())
            .fetch_all(self.pool())
            .await?;
        crate::map_rows(&rows, |r| r.try_get("id"))
    }

    /// Decides a pending pair: `merge` folds `b` into `a` (its sources, its
    /// history and what it knows that `a` does not), otherwise the two are
    /// recorded as distinct places. A merge moves every reference to `b`
    /// to `a` in the same transaction — activity records (their column and
    /// their JSON), referrals, sources, change log, other pending pairs —
    /// and moves the records' roll-up contributions if the kept place is
    /// in another commune, so every count stays as it was. The change log
    /// and `audit` (its detail completed with what moved) are written in
    /// the same transaction (`Database::write`). `NotPending` when the pair
    /// awaits no decision.
    pub async fn decide_duplicate(
        &self,
        a: i64,
        b: i64,
        merge_them: bool,
        acting: &Acting,
    ) -> Result<(), PlaceError> {
        self.write(acting, async |w| {
        let tx = w.conn();
        let decided = sqlx::query(
            "UPDATE place_duplicates SET status = $1, decided_by = $2, decided_at = $3 \
             WHERE place_a = $4 AND place_b = $5 AND status = 'pending'",
        )
        .bind(if merge_them { "merged" } else { "distinct" })
        .bind(acting.person)
        .bind(now_iso())
        .bind(a)
        .bind(b)
        .execute(&mut *tx)
        .await?;
        if decided.rows_affected() != 1 {
            return Ok(Err(PlaceError::NotPending));
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
            write_place(&mut *tx, Some(a), &merged).await?;
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
                crate::activities::move_activities_to_place(&mut *tx, b, a, kept_commune.as_deref())
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
            let folded = PlaceChangeKind::DuplicateMerged { duplicate: b };
            log_change(&mut *tx, a, acting.person, &folded).await?;
            detail = format!(
                "place:{b} merged into place:{a}; {activities} activities and {referrals} referrals moved"
            );
        }
        let action = if merge_them {
            "place.merged"
        } else {
            "place.duplicate_distinct"
        };
        w.audit(action, None, Some(format!("place:{a}")), Some(detail))
            .await?;
        Ok(Ok(()))
        })
        .await?
    }

    /// Possible duplicates awaiting a decision, best score first.
    pub async fn pending_duplicates(&self) -> Result<Vec<DuplicatePair>, StoreError> {
        let rows = sqlx::query("SELECT place_a, place_b, score FROM place_duplicates WHERE status = 'pending' ORDER BY score DESC")
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let (a, b, score): (i64, i64, f64) = (
                r.try_get("place_a")?,
                r.try_get("place_b")?,
                r.try_get("score")?,
            );
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
        updated_at: instant(&r.try_get::<String, _>("updated_at")?)?,
    })
}

/// A stored UTC instant (ISO 8601).
fn instant(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("a place's instant {text:?}: {e}")))
}

/// How an import origin is stored in `place_changes.origin`.
fn origin_code(origin: &ImportOrigin) -> String {
    match origin {
        ImportOrigin::Bundled(name) => format!("bundled:{name}"),
        ImportOrigin::File(name) => format!("file:{name}"),
        ImportOrigin::Api => "api".into(),
    }
}

fn origin_of(code: &str) -> Result<ImportOrigin, StoreError> {
    if code == "api" {
        Ok(ImportOrigin::Api)
    } else if let Some(name) = code.strip_prefix("bundled:") {
        Ok(ImportOrigin::Bundled(name.into()))
    } else if let Some(name) = code.strip_prefix("file:") {
        Ok(ImportOrigin::File(name.into()))
    } else {
        Err(StoreError::Corrupt(format!(
            "a place change has the unknown origin {code:?}"
        )))
    }
}

/// What `place_changes.detail` holds for the kinds that carry more than
/// their origin.
#[derive(Serialize, serde::Deserialize, Default)]
struct ChangeDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duplicate: Option<i64>,
}

/// `(origin, kind, detail, summary)` as stored.
fn encode_change(change: &PlaceChangeKind) -> (String, &'static str, Option<String>, String) {
    let json = |d: ChangeDetail| Some(serde_json::to_string(&d).expect("a detail serialises"));
    match change {
        PlaceChangeKind::Created(o) => (origin_code(o), "created", None, String::new()),
        PlaceChangeKind::Updated(o) => (origin_code(o), "updated", None, String::new()),
        PlaceChangeKind::Merged {
            origin,
            source,
            id,
            score,
        } => (
            origin_code(origin),
            "merged",
            json(ChangeDetail {
                source: Some(source.clone()),
                id: Some(id.clone()),
                score: Some(*score),
                ..ChangeDetail::default()
            }),
            String::new(),
        ),
        PlaceChangeKind::Edited { fields } => (
            "edit".into(),
            "edited",
            json(ChangeDetail {
                fields: Some(fields.clone()),
                ..ChangeDetail::default()
            }),
            String::new(),
        ),
        PlaceChangeKind::DuplicateMerged { duplicate } => (
            "coordination".into(),
            "duplicate_merged",
            json(ChangeDetail {
                duplicate: Some(*duplicate),
                ..ChangeDetail::default()
            }),
            String::new(),
        ),
        PlaceChangeKind::Legacy { origin, summary } => {
            (origin.clone(), "legacy", None, summary.clone())
        }
    }
}

fn change_from_row(r: &sqlx::any::AnyRow) -> Result<PlaceChange, StoreError> {
    let origin: String = r.try_get("origin")?;
    let kind: String = r.try_get("kind")?;
    let detail: Option<String> = r.try_get("detail")?;
    let detail: ChangeDetail = match &detail {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("a place change's detail: {e}")))?,
        None => ChangeDetail::default(),
    };
    let missing = || StoreError::Corrupt(format!("a place change of kind {kind} lacks its detail"));
    let kind = match kind.as_str() {
        "created" => PlaceChangeKind::Created(origin_of(&origin)?),
        "updated" => PlaceChangeKind::Updated(origin_of(&origin)?),
        "merged" => PlaceChangeKind::Merged {
            origin: origin_of(&origin)?,
            source: detail.source.ok_or_else(missing)?,
            id: detail.id.ok_or_else(missing)?,
            score: detail.score.ok_or_else(missing)?,
        },
        "edited" => PlaceChangeKind::Edited {
            fields: detail.fields.ok_or_else(missing)?,
        },
        "duplicate_merged" => PlaceChangeKind::DuplicateMerged {
            duplicate: detail.duplicate.ok_or_else(missing)?,
        },
        "legacy" => PlaceChangeKind::Legacy {
            origin,
            summary: r.try_get("summary")?,
        },
        other => {
            return Err(StoreError::Corrupt(format!(
                "a place change has the unknown kind {other:?}"
            )));
        }
    };
    Ok(PlaceChange {
        at: instant(&r.try_get::<String, _>("at")?)?,
        by: r.try_get("by_name")?,
        kind,
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
        "SELECT c.code AS code, c.search_key AS search_key FROM communes c JOIN commune_postcodes p ON p.commune_code = c.code WHERE p.code_postal = $1",
    )
    .bind(place.code_postal.clone())
    .fetch_all(&mut *conn)
    .await?;
    let wanted = search_key(&place.commune);
    let mut only = None;
    for r in &rows {
        let (code, key): (String, String) = (r.try_get("code")?, r.try_get("search_key")?);
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
    Ok(query.fetch_one(&mut *conn).await?.try_get("id")?)
}

async fn log_change(
    conn: &mut AnyConnection,
    place_id: i64,
    actor: Option<i64>,
    change: &PlaceChangeKind,
) -> Result<(), StoreError> {
    let (origin, kind, detail, summary) = encode_change(change);
    sqlx::query(
        "INSERT INTO place_changes (place_id, at, actor_person_id, origin, kind, detail, summary) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(place_id)
    .bind(now_iso())
    .bind(actor)
    .bind(origin)
    .bind(kind)
    .bind(detail)
    .bind(summary)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
