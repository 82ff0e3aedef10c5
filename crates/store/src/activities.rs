//! Activités in the database: records, their roll-ups (updated in the same
//! transaction as each write) and aggregate sources.

use chrono::Datelike;
use passerelle_accounts::ScopeLevel;
use passerelle_accounts::policy::FiguresScope;
use passerelle_activities::Activity;
use passerelle_activities::aggregate::{Dimension, Weight, count_by};
use passerelle_activities::model::Where;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::accounts::AuditEvent;
use crate::batch::{self, Value};
use crate::bulk::BulkInsert;
use crate::time::now_iso;
use crate::{Database, StoreError};
use rustc_hash::FxHashMap;

const ROLLUP_COLUMNS: [&str; 8] = [
    "dimension",
    "territory",
    "month",
    "structure_id",
    "mediator_id",
    "value",
    "people",
    "records",
];
const ROLLUP_UPSERT: &str = "ON CONFLICT (dimension, territory, month, structure_id, mediator_id, value) \
     DO UPDATE SET people = activity_rollups.people + excluded.people, records = activity_rollups.records + excluded.records";

/// The dimensions kept in roll-ups, with their stored names.
pub const DIMENSIONS: [(&str, Dimension); 10] = [
    ("theme", Dimension::Theme),
    ("type", Dimension::Kind),
    ("duree", Dimension::Duration),
    ("age", Dimension::Age),
    ("statut", Dimension::Status),
    ("organisation", Dimension::Organisation),
    ("aide", Dimension::Help),
    ("autonomie", Dimension::Autonomy),
    ("orientation", Dimension::Orientation),
    ("suivi", Dimension::FollowUp),
];

/// Who recorded it, for which structure, through which API token: an
/// idempotency key is unique for these three together.
#[derive(Debug, Clone, Copy)]
pub struct Author {
    pub mediator_id: Option<i64>,
    pub structure_id: Option<i64>,
    pub token_id: Option<i64>,
}

/// What a record names that must exist: a place of the directory, a
/// commune of the reference, its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `place` is a place of the directory (`Where::Lieu`).
    Place(i64),
    /// `place` is elsewhere, in this commune (`Where::Autre`).
    Commune(String),
    ResidenceCommune(String),
    Structure(i64),
    Mediator(i64),
    Token(i64),
}

/// A reference of the `index`-th record sent (from 0) to nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownReference {
    pub index: usize,
    pub reference: Reference,
}

/// The outcome of a write: done, or refused whole with nothing written —
/// because some record it names does not exist, or because the record to
/// change is not a live record of this mediator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written<T> {
    Done(T),
    Unknown(Vec<UnknownReference>),
    /// No such live record of theirs.
    Missing,
}

impl<T> Written<T> {
    /// What was written, or the references to nothing (none when the
    /// record to change was missing).
    pub fn done(self) -> Result<T, Vec<UnknownReference>> {
        match self {
            Self::Done(t) => Ok(t),
            Self::Unknown(u) => Err(u),
            Self::Missing => Err(Vec::new()),
        }
    }
}

/// A live record of a mediator, with its identifier.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnActivity {
    pub id: i64,
    pub activity: Activity,
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
    /// The roll-ups' key of the territory.
    pub fn key(&self) -> String {
        match self {
            Self::All => "all".into(),
            Self::Commune(c) => format!("com:{c}"),
            Self::Epci(c) => format!("epci:{c}"),
            Self::Departement(c) => format!("dep:{c}"),
            Self::Region(c) => format!("reg:{c}"),
        }
    }

    /// The territory a coordinator's scope names.
    pub fn of_scope(level: ScopeLevel, code: &str) -> Self {
        match level {
            ScopeLevel::Commune => Self::Commune(code.into()),
            ScopeLevel::Epci => Self::Epci(code.into()),
            ScopeLevel::Departement => Self::Departement(code.into()),
            ScopeLevel::Region => Self::Region(code.into()),
        }
    }

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
    /// Narrowed to one structure's records.
    pub structure_id: Option<i64>,
    /// Whose figures the asker may see (`policy::activity_figures`):
    /// nothing outside it is ever counted.
    pub scope: FiguresScope,
}

/// The condition keeping records or roll-ups (`structure`, `mediator`:
/// their columns) within a scope, with its parameters numbered from
/// `next`; `None` when the scope sees nothing of this territory
/// (`covered`: whether it lies inside one of the scope's territories).
fn within_scope(
    q: &StatsQuery,
    covered: bool,
    structure: &str,
    mediator: &str,
    next: usize,
) -> Option<(String, Vec<i64>)> {
    match &q.scope {
        FiguresScope::Everything => Some((String::new(), Vec::new())),
        FiguresScope::Territories(_) => covered.then(|| (String::new(), Vec::new())),
        FiguresScope::Person(id) => Some((format!(" AND {mediator} = ${next}"), vec![*id])),
        FiguresScope::Structures(ids) if ids.is_empty() => None,
        FiguresScope::Structures(ids) => {
            let list = (0..ids.len())
                .map(|i| format!("${}", next + i))
                .collect::<Vec<_>>()
                .join(", ");
            Some((format!(" AND {structure} IN ({list})"), ids.clone()))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsRow {
    pub value: String,
    pub people: i64,
    pub records: i64,
}

/// A record to import, with its identity in its source file (none for
/// Passerelle's own CSV) and, for a CRA v1 report or its copy in the
/// Coop, the fingerprint both share.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub(crate) activity: Activity,
    pub(crate) key: Option<String>,
    pub(crate) twin: Option<String>,
    /// The record as stored, serialised by whoever builds it: the command
    /// line reads and checks a file on a thread of its own, which then
    /// does this too while the store writes (profiled: a tenth of the
    /// import's time on the writing side).
    pub(crate) data: String,
}

impl Incoming {
    pub fn new(activity: Activity, key: Option<String>, twin: Option<String>) -> Self {
        let data = serde_json::to_string(&activity).expect("an activity serialises");
        Self {
            activity,
            key,
            twin,
            data,
        }
    }
}

impl From<Activity> for Incoming {
    fn from(activity: Activity) -> Self {
        Self::new(activity, None, None)
    }
}

/// Said by the records' source when it found them invalid: the import
/// stops and its transaction is rolled back, nothing written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abandon;

/// What an import did, record by record.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportOutcome {
    /// New records, counted.
    pub added: usize,
    /// Imported before and unchanged.
    pub unchanged: usize,
    /// Imported before and changed in the source since: replaced.
    pub updated: usize,
    /// Already counted from another source (a CRA v1 report and its copy
    /// in the Coop): kept withdrawn.
    pub twins: usize,
    /// Given twice in this import: the first kept.
    pub repeated: usize,
}

/// The columns a bulk import writes, in the order of its rows.
const ACTIVITY_COLUMNS: [&str; 12] = [
    "data",
    "kind",
    "date",
    "participants",
    "commune_code",
    "mediator_id",
    "structure_id",
    "created_at",
    "place_id",
    "source_key",
    "twin_key",
    "deleted_at",
];

/// A record already stored under a source key.
struct Stored {
    id: i64,
    data: String,
    commune: Option<String>,
    author: Author,
    twin: Option<String>,
    withdrawn: bool,
}

/// What the preparing lane of an import asks of the lane that writes
/// (`import_into`).
enum Ask {
    /// The records stored under these source keys, and the records paired
    /// under these fingerprints.
    Lookup {
        keys: Vec<String>,
        twins: Vec<String>,
        answer: tokio::sync::oneshot::Sender<(
            std::collections::HashMap<String, Stored>,
            std::collections::HashMap<String, TwinCounts>,
        )>,
    },
    Replace(Box<Replaced>),
    Write(Vec<Vec<Value>>),
}

/// A stored record that changed in its source, and what replaces it.
struct Replaced {
    previous: Activity,
    old_commune: Option<String>,
    old_author: Author,
    id: i64,
    data: String,
    kind: String,
    date: String,
    participants: i64,
    commune: Option<String>,
    place: Option<i64>,
    twin: Option<String>,
    author: Author,
}

/// Replaces a record: its old contributions leave the roll-ups (the new
/// ones are counted with the import's).
async fn replace(conn: &mut AnyConnection, r: Replaced) -> Result<(), StoreError> {
    roll_up(
        conn,
        &r.previous,
        r.old_commune.as_deref(),
        r.old_author,
        -1,
    )
    .await?;
    sqlx::query(
        "UPDATE activities SET data = $1, kind = $2, date = $3, participants = $4, \
         commune_code = $5, place_id = $6, twin_key = $7, mediator_id = $8, structure_id = $9 \
         WHERE id = $10",
    )
    .bind(r.data)
    .bind(r.kind)
    .bind(r.date)
    .bind(r.participants)
    .bind(r.commune)
    .bind(r.place)
    .bind(r.twin)
    .bind(r.author.mediator_id)
    .bind(r.author.structure_id)
    .bind(r.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The distinct values given, but those already `known`, in order.
fn distinct<'a>(
    values: impl Iterator<Item = &'a Option<String>>,
    known: impl Fn(&String) -> bool,
) -> Vec<String> {
    values
        .flatten()
        .filter(|v| !known(v))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

async fn stored_by_key(
    conn: &mut AnyConnection,
    keys: &[String],
) -> Result<std::collections::HashMap<String, Stored>, StoreError> {
    let mut out = std::collections::HashMap::new();
    let rows = batch::select_in(
        conn,
        "SELECT id, source_key, data, commune_code, mediator_id, structure_id, token_id, twin_key, deleted_at \
         FROM activities WHERE source_key",
        keys,
    )
    .await?;
    for r in rows {
        out.insert(
            r.try_get("source_key")?,
            Stored {
                id: r.try_get("id")?,
                data: r.try_get("data")?,
                commune: r.try_get("commune_code")?,
                author: Author {
                    mediator_id: r.try_get("mediator_id")?,
                    structure_id: r.try_get("structure_id")?,
                    token_id: r.try_get("token_id")?,
                },
                twin: r.try_get("twin_key")?,
                withdrawn: r.try_get::<Option<String>, _>("deleted_at")?.is_some(),
            },
        );
    }
    Ok(out)
}

/// Per fingerprint, the records stored from each source (the part of the
/// key before `:`), live or kept withdrawn as a twin.
#[derive(Debug, Default)]
struct TwinCounts {
    live: std::collections::HashMap<String, usize>,
    withdrawn: std::collections::HashMap<String, usize>,
}

impl TwinCounts {
    /// Takes one more record of `source`: true when it pairs with a live
    /// record of another source not yet paired (it is then withdrawn).
    fn pair(&mut self, source: &str) -> bool {
        let others: usize = self
            .live
            .iter()
            .filter(|(s, _)| s.as_str() != source)
            .map(|(_, n)| n)
            .sum();
        let paired = self.withdrawn.get(source).copied().unwrap_or(0);
        let counts = if paired < others {
            &mut self.withdrawn
        } else {
            &mut self.live
        };
        *counts.entry(source.to_string()).or_default() += 1;
        paired < others
    }
}

async fn load_twins(
    conn: &mut AnyConnection,
    twins: &[String],
    into: &mut std::collections::HashMap<String, TwinCounts>,
) -> Result<(), StoreError> {
    for twin in twins {
        into.entry(twin.clone()).or_default();
    }
    let rows = batch::select_in(
        conn,
        "SELECT twin_key, source_key, deleted_at FROM activities WHERE twin_key",
        twins,
    )
    .await?;
    for r in rows {
        let twin: String = r.try_get("twin_key")?;
        let key: Option<String> = r.try_get("source_key")?;
        let source = key
            .as_deref()
            .and_then(|k| k.split(':').next())
            .unwrap_or("")
            .to_string();
        let counts = into.entry(twin).or_default();
        let side = if r.try_get::<Option<String>, _>("deleted_at")?.is_some() {
            &mut counts.withdrawn
        } else {
            &mut counts.live
        };
        *side.entry(source).or_default() += 1;
    }
    Ok(())
}

/// How to keep the records (`a`) of a territory: a join, the column to
/// compare and the code to compare it with.
fn records_in(t: &Territory) -> (&'static str, &'static str, String) {
    const COMMUNES: &str = " JOIN communes c ON c.code = a.commune_code";
    match t {
        Territory::All => ("", "'all'", "all".into()),
        Territory::Commune(c) => ("", "a.commune_code", c.clone()),
        Territory::Epci(c) => (COMMUNES, "c.epci_siren", c.clone()),
        Territory::Departement(c) => (COMMUNES, "c.departement_code", c.clone()),
        Territory::Region(c) => (
            " JOIN communes c ON c.code = a.commune_code JOIN departements d ON d.code = c.departement_code",
            "d.region_code",
            c.clone(),
        ),
    }
}

/// A record's JSON as stored.
fn parse_data(data: &str) -> Result<Activity, StoreError> {
    serde_json::from_str(data).map_err(|e| StoreError::Corrupt(format!("activity record: {e}")))
}

/// Whether a stored record's data is this record: the same text, or the
/// same record written otherwise (before empty fields were left out).
fn same_data(stored: &str, data: &str, a: &Activity) -> bool {
    stored == data || parse_data(stored).is_ok_and(|old| old == *a)
}

/// The stored code of a record's kind (`individuel`, `atelier`, `demarche`).
fn kind_code(a: &Activity) -> String {
    format!("{:?}", a.kind).to_lowercase()
}

/// A live record as stored, with what its roll-up contributions were
/// made from.
struct LiveRecord {
    activity: Activity,
    commune: Option<String>,
    author: Author,
}

/// A live record of this mediator, in the transaction.
async fn live_record_of(
    conn: &mut AnyConnection,
    id: i64,
    mediator_id: i64,
) -> Result<Option<LiveRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT data, commune_code, structure_id FROM activities \
         WHERE id = $1 AND mediator_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(mediator_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(LiveRecord {
        activity: parse_data(&row.try_get::<String, _>("data")?)?,
        commune: row.try_get("commune_code")?,
        author: Author {
            mediator_id: Some(mediator_id),
            structure_id: row.try_get("structure_id")?,
            token_id: None,
        },
    }))
}

/// The place of the directory a record happened at.
fn place_of(a: &Activity) -> Option<i64> {
    match a.place {
        Where::Lieu(id) => Some(id),
        _ => None,
    }
}

impl Database {
    /// Whether a coordinator's scope covers the territory asked, decided
    /// on where it lies in the reference (a région covers its départements,
    /// EPCI and communes).
    async fn covers(&self, q: &StatsQuery) -> Result<bool, StoreError> {
        if !matches!(q.scope, FiguresScope::Territories(_)) || q.territory == Territory::All {
            return Ok(false);
        }
        Ok(self
            .territory_location(&q.territory.key())
            .await?
            .is_some_and(|place| q.scope.covers(&place)))
    }

    /// The live records at these places of the directory, in a territory
    /// and a range of months (`YYYY-MM`), optionally of one structure or
    /// mediator: what a dashboard narrowed to a place or a programme
    /// counts (`aggregate::count_by`). Reads through the `place_id` index.
    pub async fn activities_at_places(
        &self,
        places: &[i64],
        q: &StatsQuery,
    ) -> Result<Vec<Activity>, StoreError> {
        let (join, column, code) = records_in(&q.territory);
        let covered = self.covers(q).await?;
        let Some((scope, scope_values)) =
            within_scope(q, covered, "a.structure_id", "a.mediator_id", 5)
        else {
            return Ok(Vec::new());
        };
        // Months as dates: the first of `from` to the last possible day of `to`.
        let (from, to) = (format!("{}-01", q.from), format!("{}-31", q.to));
        let mut out = Vec::new();
        for chunk in places.chunks(300) {
            let ids = (0..chunk.len())
                .map(|i| format!("${}", i + 5 + scope_values.len()))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT a.data FROM activities a{join} WHERE a.deleted_at IS NULL \
                 AND a.date >= $1 AND a.date <= $2 AND ($3 = 0 OR a.structure_id = $3) \
                 AND {column} = $4{scope} AND a.place_id IN ({ids})",
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(from.clone())
                .bind(to.clone())
                .bind(q.structure_id.unwrap_or(0))
                .bind(code.clone());
            for value in &scope_values {
                query = query.bind(*value);
            }
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.pool()).await? {
                out.push(parse_data(&row.try_get::<String, _>("data")?)?);
            }
        }
        Ok(out)
    }

    /// Which of these places are not in the directory: what an import of
    /// records must refuse before writing anything.
    pub async fn unknown_places(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::BTreeSet<i64>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let wanted: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
        let wanted: Vec<i64> = wanted.into_iter().collect();
        let known = existing(&mut conn, "places", "id", &wanted).await?;
        Ok(wanted
            .into_iter()
            .filter(|id| !known.contains(id))
            .collect())
    }

    /// The places of the directory with live records in a territory, by
    /// name: what a dashboard can be narrowed to.
    pub async fn activity_places(
        &self,
        territory: &Territory,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let (join, column, code) = records_in(territory);
        let sql = format!(
            "SELECT p.id, p.nom FROM places p WHERE p.id IN (SELECT a.place_id FROM activities a{join} \
             WHERE a.deleted_at IS NULL AND a.place_id IS NOT NULL AND {column} = $1) ORDER BY p.nom, p.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(code)
            .fetch_all(self.pool())
            .await?;
        crate::map_rows(&rows, |r| Ok((r.try_get("id")?, r.try_get("nom")?)))
    }

    /// Records activities (already validated) in one transaction: every
    /// place, commune, structure, mediator and token they name is checked
    /// first, and if one does not exist nothing is written. A record with
    /// an idempotency key already used by the same author (structure,
    /// token, mediator: another's keys are theirs) is not written again:
    /// its first id comes back with `false`. `audit` gives the audit line
    /// of what was stored (ids, created or not), written in the same
    /// transaction.
    pub async fn record_activities(
        &self,
        records: &[(Activity, Option<String>)],
        author: Author,
        audit: impl FnOnce(&[(i64, bool)]) -> Option<AuditEvent>,
    ) -> Result<Written<Vec<(i64, bool)>>, StoreError> {
        let mut tx = self.begin_write().await?;
        let unknown = unknown_references(&mut tx, records.iter().map(|(a, _)| a), author).await?;
        if !unknown.is_empty() {
            return Ok(Written::Unknown(unknown));
        }
        let mut out = Vec::with_capacity(records.len());
        for (a, key) in records {
            if let Some(key) = key {
                let known = sqlx::query(
                    "SELECT id FROM activities WHERE COALESCE(structure_id, 0) = $1 \
                     AND COALESCE(token_id, 0) = $2 AND COALESCE(mediator_id, 0) = $3 AND idempotency_key = $4",
                )
                .bind(author.structure_id.unwrap_or(0))
                .bind(author.token_id.unwrap_or(0))
                .bind(author.mediator_id.unwrap_or(0))
                .bind(key.clone())
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = known {
                    out.push((row.try_get("id")?, false));
                    continue;
                }
            }
            let commune = where_commune(&mut tx, a).await?;
            let id: i64 = sqlx::query(
                "INSERT INTO activities (data, kind, date, participants, commune_code, mediator_id, structure_id, \
                 token_id, idempotency_key, created_at, place_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(serde_json::to_string(a).expect("an activity serialises"))
            .bind(kind_code(a))
            .bind(a.date.to_string())
            .bind(i64::from(a.participants))
            .bind(commune.clone())
            .bind(author.mediator_id)
            .bind(author.structure_id)
            .bind(author.token_id)
            .bind(key.clone())
            .bind(now_iso())
            .bind(place_of(a))
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            roll_up(&mut tx, a, commune.as_deref(), author, 1).await?;
            out.push((id, true));
        }
        if let Some(event) = audit(&out) {
            crate::accounts::insert_audit(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(Written::Done(out))
    }

    /// One record, as `record_activities`, without an audit line.
    pub async fn record_activity(
        &self,
        a: &Activity,
        author: Author,
        idempotency_key: Option<&str>,
    ) -> Result<Written<(i64, bool)>, StoreError> {
        let records = [(a.clone(), idempotency_key.map(str::to_string))];
        Ok(
            match self.record_activities(&records, author, |_| None).await? {
                Written::Done(mut done) => Written::Done(done.remove(0)),
                Written::Unknown(u) => Written::Unknown(u),
                Written::Missing => Written::Missing,
            },
        )
    }

    /// Imports many validated records in one transaction: records in
    /// multi-row inserts, roll-up contributions summed in memory and written
    /// once per key. All or nothing. The number of records added.
    pub async fn import_activities(
        &self,
        activities: &[Activity],
        author: Author,
    ) -> Result<usize, StoreError> {
        let mut chunks = activities
            .chunks(10_000)
            .map(|c| c.iter().cloned().map(Incoming::from).collect());
        let outcome = self
            .import_activity_chunks(&mut || Ok(chunks.next()), author, "")
            .await?;
        Ok(outcome.map_or(0, |o| o.added))
    }

    /// The same, for a file too large to hold: `next_chunk` hands the
    /// records over a chunk at a time (while it reads the next, the store
    /// writes); memory holds a few chunks and the roll-up sums. Still one
    /// transaction, with its audit line (`origin`: the file). `next_chunk`
    /// may `Abandon` (the source turned out invalid): the transaction is
    /// rolled back and the answer is `None`, nothing written.
    ///
    /// A record with a `key` already stored is the same record: left as it
    /// is when unchanged, replaced otherwise (its old contributions leave
    /// the roll-ups). A record whose `twin` fingerprint is already counted
    /// from another source (a CRA v1 report and its copy in the Coop) is
    /// stored withdrawn; fingerprints pair one to one.
    pub async fn import_activity_chunks(
        &self,
        next_chunk: &mut (dyn FnMut() -> Result<Option<Vec<Incoming>>, Abandon> + Send),
        author: Author,
        origin: &str,
    ) -> Result<Option<ImportOutcome>, StoreError> {
        // The work tables (PostgreSQL) are dropped once the transaction
        // that read them is over, committed or not.
        let mut records = BulkInsert::open(self, "activities", &ACTIVITY_COLUMNS, "").await?;
        let mut rollups =
            BulkInsert::open(self, "activity_rollups", &ROLLUP_COLUMNS, ROLLUP_UPSERT).await?;
        let outcome = self
            .import_into(&mut records, &mut rollups, next_chunk, author, origin)
            .await;
        let closed = (records.close().await, rollups.close().await);
        let outcome = outcome?;
        closed.0?;
        closed.1?;
        if outcome.is_some() && self.backend == crate::Backend::Postgres {
            // Statistics for what was just written: until autovacuum gets
            // to it (minutes at 10 M records), PostgreSQL guesses that a
            // third of the table passes `id > $1`, and the index of each
            // server read the whole table before every answer (1.4 s at
            // 10 M records, bench/activities.sh). ANALYZE samples: 1.3 s.
            sqlx::query("ANALYZE activities, activity_rollups")
                .execute(self.pool())
                .await?;
        }
        Ok(outcome)
    }

    async fn import_into(
        &self,
        bulk: &mut BulkInsert,
        rollup_bulk: &mut BulkInsert,
        next_chunk: &mut (dyn FnMut() -> Result<Option<Vec<Incoming>>, Abandon> + Send),
        author: Author,
        origin: &str,
    ) -> Result<Option<ImportOutcome>, StoreError> {
        use std::collections::{HashMap, HashSet};
        let sqlite = self.backend == crate::Backend::Sqlite;
        // SQLite: a connection of the import's own, foreign keys off. An
        // immediate foreign key may abort a multi-row INSERT, which SQLite
        // then journals page by page to undo it alone (see `bulk`;
        // profiled: a quarter of the writer's time). What they guarded is
        // checked here instead: communes against the reference, places
        // against the directory (`UnknownPlace`), the author's ids come
        // from a signed-in account. The connection is closed afterwards,
        // never handed back to the pool with its foreign keys off.
        let mut own = None;
        let mut tx = if sqlite {
            let mut conn = self.pool().acquire().await?;
            conn.close_on_drop();
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await?;
            sqlx::Connection::begin_with(&mut **own.insert(conn), "BEGIN IMMEDIATE").await?
        } else {
            self.begin_write().await?
        };
        if !sqlite {
            // Each batch moved in from its work table is sorted into the
            // file's order: in memory rather than on disk (20,000 records
            // take about 10 MB). For this transaction only.
            sqlx::query("SET LOCAL work_mem = '64MB'")
                .execute(&mut *tx)
                .await?;
        }
        if sqlite {
            // For the import only: a 256 MiB page cache (the records' indexes
            // and the roll-ups' B-tree are written all over; measured in
            // ARCHITECTURE.md, "Bulk imports"). Back to the default below.
            sqlx::query("PRAGMA cache_size = -262144")
                .execute(&mut *tx)
                .await?;
            // Foreign keys checked at commit, not by each statement: an
            // immediate check may abort a multi-row INSERT, which then keeps
            // a statement journal (see `bulk`). A violation still refuses
            // the commit; SQLite turns this off again at its end.
            sqlx::query("PRAGMA defer_foreign_keys = ON")
                .execute(&mut *tx)
                .await?;
        }
        // Every place of the directory, with its commune if it has one.
        let place_communes: HashMap<i64, Option<String>> =
            sqlx::query("SELECT id, commune_code FROM places")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("commune_code")?)))
                .collect::<Result<_, sqlx::Error>>()?;
        let keys_of = all_territory_keys(&mut tx).await?;
        // Roll-up keys are interned as small integers while summing: a
        // record touches about 75 keys (its contributions × 5 territorial
        // levels), and cloning their strings dominated the import.
        let mut names: Vec<String> = Vec::new();
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut intern = |text: &str| -> u32 {
            if let Some(&id) = ids.get(text) {
                return id;
            }
            let id = names.len() as u32;
            names.push(text.to_string());
            ids.insert(text.to_string(), id);
            id
        };
        // Sums are kept per commune (a set of territory keys: the commune
        // and every level above it; set 0, no commune: `all` only) and
        // spread over the territories once at the end: a record then costs
        // one sum per contribution instead of one per contribution and
        // level (measured in ARCHITECTURE.md, "Bulk imports").
        let mut territory_sets: Vec<Vec<u32>> = vec![vec![intern("all")]];
        let mut set_of: HashMap<&String, u32> = HashMap::with_capacity(keys_of.len());
        for (commune, keys) in &keys_of {
            set_of.insert(commune, territory_sets.len() as u32);
            territory_sets.push(keys.iter().map(|k| intern(k)).collect());
        }
        // The sums: for each commune's set of territories and month, a dense
        // row of cells, one a (dimension, value) met, numbered as met. A
        // record then costs one map lookup for its row and one for each of
        // its values (FxHash: SipHash made them the first symbol of the
        // profile), and its ~15 additions land in one small row instead of
        // all over a map of a million keys (profiled: a third of the
        // importing thread's time). Dimensions by their number: 0 the total,
        // then those of `DIMENSIONS` from 1.
        let mut sums: FxHashMap<(u32, u32), Vec<(i64, i64)>> = FxHashMap::default();
        let mut cell_of: Vec<FxHashMap<String, u32>> =
            vec![FxHashMap::default(); DIMENSIONS.len() + 1];
        let mut cells: Vec<(u8, u32)> = vec![(0, intern(""))];
        cell_of[0].insert(String::new(), 0);
        let mut months: FxHashMap<(i32, u32), u32> = FxHashMap::default();
        let now = now_iso();
        let mut outcome = ImportOutcome::default();
        let mut keys_seen: HashSet<String> = HashSet::new();
        let mut twins: HashMap<String, TwinCounts> = HashMap::new();
        // Two lanes on this task, so that the database works while the
        // next chunk is prepared (they took turns before, each idle a third
        // of the time: profiled on both back-ends). The writing lane owns
        // the transaction and does, in order, what the preparing lane asks
        // of it: look up stored keys and fingerprints, replace a record
        // that changed, write a chunk's rows. The preparing lane reads the
        // chunks, makes their rows and counts their roll-up sums.
        let (ask, mut asked) = tokio::sync::mpsc::channel::<Ask>(1);
        let writing = async {
            while let Some(task) = asked.recv().await {
                match task {
                    Ask::Lookup {
                        keys,
                        twins,
                        answer,
                    } => {
                        let stored = stored_by_key(&mut tx, &keys).await?;
                        let mut paired = HashMap::new();
                        load_twins(&mut tx, &twins, &mut paired).await?;
                        // The preparing lane may have stopped (abandoned).
                        let _ = answer.send((stored, paired));
                    }
                    Ask::Replace(replaced) => replace(&mut tx, *replaced).await?,
                    Ask::Write(rows) => bulk.push(&mut tx, rows).await?,
                }
            }
            Ok::<_, StoreError>(())
        };
        let preparing = async {
            // Owned here: when this lane ends, the channel closes and the
            // writing lane ends too.
            let ask = ask;
            // The writing lane stops only on an error, which `try_join!`
            // returns as soon as it happens: a closed lane is a bug.
            let lane_closed = || StoreError::from(sqlx::Error::WorkerCrashed);
            while let Some(chunk) = match next_chunk() {
                Ok(chunk) => chunk,
                // Nothing more is asked: the transaction rolls back.
                Err(Abandon) => return Ok(false),
            } {
                let keys = distinct(chunk.iter().map(|i| &i.key), |k| keys_seen.contains(k));
                let unknown_twins =
                    distinct(chunk.iter().map(|i| &i.twin), |t| twins.contains_key(t));
                let known = if keys.is_empty() && unknown_twins.is_empty() {
                    HashMap::new()
                } else {
                    let (answer, answered) = tokio::sync::oneshot::channel();
                    ask.send(Ask::Lookup {
                        keys,
                        twins: unknown_twins,
                        answer,
                    })
                    .await
                    .map_err(|_| lane_closed())?;
                    let (known, paired) = answered.await.map_err(|_| lane_closed())?;
                    twins.extend(paired);
                    known
                };
                let mut chunk = chunk;
                let mut rows = Vec::with_capacity(chunk.len());
                // The records this chunk adds to the roll-ups, by their place
                // in the chunk, with their commune's set of territories.
                let mut counted: Vec<(usize, u32)> = Vec::with_capacity(chunk.len());
                for (index, item) in chunk.iter_mut().enumerate() {
                    if let Some(key) = &item.key
                        && !keys_seen.insert(key.clone())
                    {
                        outcome.repeated += 1;
                        continue;
                    }
                    let a = &item.activity;
                    let data = std::mem::take(&mut item.data);
                    let commune = match &a.place {
                        Where::Lieu(id) => place_communes
                            .get(id)
                            .ok_or(StoreError::UnknownPlace(*id))?
                            .clone(),
                        Where::Autre(code) => Some(code.clone()),
                        _ => a.residence_commune.clone(),
                    }
                    .filter(|c| keys_of.contains_key(c));
                    let stored = item.key.as_ref().and_then(|k| known.get(k));
                    let withdrawn = match stored {
                        Some(old)
                            if old.withdrawn
                                || (same_data(&old.data, &data, a) && old.twin == item.twin) =>
                        {
                            outcome.unchanged += 1;
                            continue;
                        }
                        Some(old) => {
                            // The record changed in its source: replaced.
                            let replaced = Replaced {
                                previous: parse_data(&old.data)?,
                                old_commune: old.commune.clone(),
                                old_author: old.author,
                                id: old.id,
                                data,
                                kind: kind_code(a),
                                date: a.date.to_string(),
                                participants: i64::from(a.participants),
                                commune: commune.clone(),
                                place: place_of(a),
                                twin: item.twin.clone(),
                                author,
                            };
                            ask.send(Ask::Replace(Box::new(replaced)))
                                .await
                                .map_err(|_| lane_closed())?;
                            outcome.updated += 1;
                            false
                        }
                        None => {
                            let origin_of = item.key.as_deref().and_then(|k| k.split(':').next());
                            let withdrawn = match (&item.twin, origin_of) {
                                (Some(twin), Some(source)) => {
                                    twins.entry(twin.clone()).or_default().pair(source)
                                }
                                _ => false,
                            };
                            if withdrawn {
                                outcome.twins += 1;
                            } else {
                                outcome.added += 1;
                            }
                            rows.push(vec![
                                Value::Text(data),
                                Value::Text(kind_code(a)),
                                Value::Text(a.date.to_string()),
                                Value::Int(Some(i64::from(a.participants))),
                                Value::OptText(commune.clone()),
                                Value::Int(author.mediator_id),
                                Value::Int(author.structure_id),
                                Value::Text(now.clone()),
                                Value::Int(place_of(a)),
                                Value::OptText(item.key.clone()),
                                Value::OptText(item.twin.clone()),
                                Value::OptText(withdrawn.then(|| now.clone())),
                            ]);
                            withdrawn
                        }
                    };
                    if withdrawn {
                        continue;
                    }
                    let set = commune
                        .as_ref()
                        .and_then(|c| set_of.get(c).copied())
                        .unwrap_or(0);
                    counted.push((index, set));
                }
                ask.send(Ask::Write(rows))
                    .await
                    .map_err(|_| lane_closed())?;
                // The roll-up sums are counted while the writing lane writes
                // the rows (and, on PostgreSQL, the server moves them in). A
                // pause every 256 records lets it go on with its next
                // statement.
                for (n, &(index, set)) in counted.iter().enumerate() {
                    if n % 256 == 0 {
                        tokio::task::yield_now().await;
                    }
                    let a = &chunk[index].activity;
                    let month = *months
                        .entry((a.date.year(), a.date.month()))
                        .or_insert_with(|| intern(&a.date.format("%Y-%m").to_string()));
                    let row = sums.entry((set, month)).or_default();
                    let mut add = |d: usize, value: &str, people: i64| {
                        let cell = match cell_of[d].get(value) {
                            Some(&cell) => cell,
                            None => {
                                let cell = cells.len() as u32;
                                cells.push((d as u8, intern(value)));
                                cell_of[d].insert(value.to_string(), cell);
                                cell
                            }
                        } as usize;
                        if row.len() <= cell {
                            row.resize(cell + 1, (0, 0));
                        }
                        row[cell].0 += people;
                        row[cell].1 += 1;
                    };
                    add(0, "", i64::from(a.participants));
                    for (d, (_, dimension)) in DIMENSIONS.iter().enumerate() {
                        passerelle_activities::aggregate::contributions(
                            a,
                            *dimension,
                            |value, people| add(d + 1, value, people as i64),
                        );
                    }
                }
            }
            Ok::<_, StoreError>(true)
        };
        let ((), complete) = tokio::try_join!(writing, preparing)?;
        if !complete {
            if sqlite {
                sqlx::query("PRAGMA cache_size = -65536")
                    .execute(&mut *tx)
                    .await?;
            }
            // Dropped, the transaction rolls back.
            return Ok(None);
        }
        bulk.finish(&mut tx).await?;
        let mut spread: FxHashMap<(u8, u32, u32, u32), (i64, i64)> = FxHashMap::default();
        spread.reserve(sums.len() * cells.len());
        for ((set, month), row) in sums {
            for (cell, (people, records)) in row.into_iter().enumerate() {
                // A cell never added to (a value met in another row) has
                // no record; every cell added to has at least one.
                if records == 0 {
                    continue;
                }
                let (dimension, value) = cells[cell];
                for &territory in &territory_sets[set as usize] {
                    let e = spread
                        .entry((dimension, territory, month, value))
                        .or_default();
                    e.0 += people;
                    e.1 += records;
                }
            }
        }
        let name = |id: u32| names[id as usize].clone();
        let dimension_name = |d: u8| match d {
            0 => "total",
            d => DIMENSIONS[usize::from(d) - 1].0,
        };
        // In the order of the roll-ups' primary key: each upsert then lands
        // next to the previous one in the B-tree instead of anywhere
        // (measured: 40 % less time in SQLite for the roll-ups). Names are
        // ranked once, and the keys sorted by their ranks.
        let mut by_name: Vec<u32> = (0..names.len() as u32).collect();
        by_name.sort_unstable_by(|a, b| names[*a as usize].cmp(&names[*b as usize]));
        let mut rank = vec![0u32; names.len()];
        for (r, id) in by_name.into_iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        let mut dimension_rank: Vec<u8> = (0..=DIMENSIONS.len() as u8).collect();
        dimension_rank.sort_unstable_by_key(|d| dimension_name(*d));
        let mut rank_of_dimension = vec![0u8; dimension_rank.len()];
        for (r, d) in dimension_rank.into_iter().enumerate() {
            rank_of_dimension[usize::from(d)] = r as u8;
        }
        let mut spread: Vec<_> = spread.into_iter().collect();
        spread.sort_unstable_by_key(|((d, t, m, v), _)| {
            (
                rank_of_dimension[usize::from(*d)],
                rank[*t as usize],
                rank[*m as usize],
                rank[*v as usize],
            )
        });
        let rollups = spread
            .into_iter()
            .map(
                |((dimension, territory, month, value), (people, records))| {
                    rollup_row(
                        dimension_name(dimension),
                        name(territory),
                        name(month),
                        author,
                        name(value),
                        people,
                        records,
                    )
                },
            )
            .collect::<Vec<_>>();
        // In batches: on PostgreSQL, each batch is upserted while the next
        // is copied (`bulk`).
        let mut rollups = rollups.into_iter().peekable();
        while rollups.peek().is_some() {
            let batch: Vec<_> = rollups.by_ref().take(20_000).collect();
            rollup_bulk.push(&mut tx, batch).await?;
        }
        rollup_bulk.finish(&mut tx).await?;
        crate::referrals::audit_subject(
            &mut tx,
            &now,
            "activities.import",
            author.mediator_id,
            author.structure_id,
            format!("import:{origin}"),
            Some(format!(
                "added={} updated={} unchanged={} twins={} repeated={}",
                outcome.added, outcome.updated, outcome.unchanged, outcome.twins, outcome.repeated
            )),
        )
        .await?;
        if sqlite {
            sqlx::query("PRAGMA cache_size = -65536")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(outcome))
    }

    /// Withdraws a record of this mediator (kept, marked deleted, no longer
    /// counted), with its audit line, in one transaction. `Missing` when
    /// there is no such live record of theirs.
    pub async fn delete_activity(
        &self,
        id: i64,
        mediator_id: i64,
        audit: &AuditEvent,
    ) -> Result<Written<()>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(old) = live_record_of(&mut tx, id, mediator_id).await? else {
            return Ok(Written::Missing);
        };
        sqlx::query("UPDATE activities SET deleted_at = $1 WHERE id = $2")
            .bind(now_iso())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        roll_up(
            &mut tx,
            &old.activity,
            old.commune.as_deref(),
            old.author,
            -1,
        )
        .await?;
        crate::accounts::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Written::Done(()))
    }

    /// Replaces a record of this mediator: its old contributions leave the
    /// roll-ups, the new ones enter, in one transaction with its audit
    /// line. `Missing` when there is no such live record of theirs;
    /// refused whole when it names a place or commune that does not exist.
    pub async fn update_activity(
        &self,
        id: i64,
        mediator_id: i64,
        a: &Activity,
        audit: &AuditEvent,
    ) -> Result<Written<()>, StoreError> {
        let mut tx = self.begin_write().await?;
        let nobody = Author {
            mediator_id: None,
            structure_id: None,
            token_id: None,
        };
        let unknown = unknown_references(&mut tx, std::iter::once(a), nobody).await?;
        if !unknown.is_empty() {
            return Ok(Written::Unknown(unknown));
        }
        let Some(old) = live_record_of(&mut tx, id, mediator_id).await? else {
            return Ok(Written::Missing);
        };
        roll_up(
            &mut tx,
            &old.activity,
            old.commune.as_deref(),
            old.author,
            -1,
        )
        .await?;
        let commune = where_commune(&mut tx, a).await?;
        sqlx::query("UPDATE activities SET data = $1, kind = $2, date = $3, participants = $4, commune_code = $5, place_id = $7 WHERE id = $6")
            .bind(serde_json::to_string(a).expect("an activity serialises"))
            .bind(kind_code(a))
            .bind(a.date.to_string())
            .bind(i64::from(a.participants))
            .bind(commune.clone())
            .bind(id)
            .bind(place_of(a))
            .execute(&mut *tx)
            .await?;
        roll_up(&mut tx, a, commune.as_deref(), old.author, 1).await?;
        crate::accounts::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Written::Done(()))
    }

    /// One live record of this mediator.
    pub async fn activity_of(
        &self,
        id: i64,
        mediator_id: i64,
    ) -> Result<Option<Activity>, StoreError> {
        let row = sqlx::query(
            "SELECT data FROM activities WHERE id = $1 AND mediator_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(mediator_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| parse_data(&r.try_get::<String, _>("data")?))
            .transpose()
    }

    /// A mediator's latest live records, latest first.
    pub async fn activities_of(
        &self,
        mediator_id: i64,
        limit: i64,
    ) -> Result<Vec<OwnActivity>, StoreError> {
        let rows = sqlx::query("SELECT id, data FROM activities WHERE mediator_id = $1 AND deleted_at IS NULL ORDER BY date DESC, id DESC LIMIT $2")
            .bind(mediator_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OwnActivity {
                    id: r.try_get("id")?,
                    activity: parse_data(&r.try_get::<String, _>("data")?)?,
                })
            })
            .collect()
    }

    /// Counts per value of a dimension, from the roll-ups of exactly that
    /// territory: no join, no scan of other territories. Largest first.
    pub async fn activity_stats(&self, q: &StatsQuery) -> Result<Vec<StatsRow>, StoreError> {
        self.rollup_counts(q, "value", "2 DESC, value").await
    }

    /// People and records per month (`value` is the month), in order.
    pub async fn activity_months(&self, q: &StatsQuery) -> Result<Vec<StatsRow>, StoreError> {
        self.rollup_counts(
            &StatsQuery {
                dimension: "total",
                ..q.clone()
            },
            "month",
            "month",
        )
        .await
    }

    async fn rollup_counts(
        &self,
        q: &StatsQuery,
        group: &'static str,
        order: &'static str,
    ) -> Result<Vec<StatsRow>, StoreError> {
        let covered = self.covers(q).await?;
        let Some((scope, scope_values)) =
            within_scope(q, covered, "structure_id", "mediator_id", 6)
        else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {group} AS grouped, CAST(SUM(people) AS BIGINT) AS people, CAST(SUM(records) AS BIGINT) AS records \
             FROM activity_rollups \
             WHERE dimension = $1 AND territory = $2 AND month >= $3 AND month <= $4 \
             AND ($5 = 0 OR structure_id = $5){scope} \
             GROUP BY {group} HAVING SUM(records) > 0 ORDER BY {order}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(q.dimension.to_string())
            .bind(q.territory.key())
            .bind(q.from.clone())
            .bind(q.to.clone())
            .bind(q.structure_id.unwrap_or(0));
        for value in scope_values {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.pool()).await?;
        crate::map_rows(&rows, |r| {
            Ok(StatsRow {
                value: r.try_get("grouped")?,
                people: r.try_get("people")?,
                records: r.try_get("records")?,
            })
        })
    }

    /// The structures whose records count in a territory, by name: what a
    /// coordinator's dashboard can be narrowed to.
    pub async fn activity_structures(
        &self,
        territory: &Territory,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.nom FROM structures s WHERE s.id IN \
             (SELECT DISTINCT structure_id FROM activity_rollups WHERE dimension = 'total' AND territory = $1 AND records > 0) \
             ORDER BY s.nom",
        )
        .bind(territory.key())
        .fetch_all(self.pool())
        .await?;
        crate::map_rows(&rows, |r| Ok((r.try_get("id")?, r.try_get("nom")?)))
    }

    /// Loads an aggregate source (replacing what it had).
    pub async fn load_activity_aggregates(
        &self,
        source: &str,
        as_of: &str,
        rows: &[(String, &str, &str, i64)],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
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
            "SELECT value, CAST(SUM(people) AS BIGINT) AS people, MAX(as_of) AS as_of FROM activity_aggregates \
             WHERE source = $1 AND dimension = $2 AND ($3 = '' OR code_postal LIKE $4) GROUP BY value ORDER BY 2 DESC",
        )
        .bind(source.to_string())
        .bind(dimension.to_string())
        .bind(departement.unwrap_or("").to_string())
        .bind(format!("{}%", departement.unwrap_or("")))
        .fetch_all(self.pool())
        .await?;
        let as_of = match rows.first() {
            Some(r) => Some(r.try_get::<String, _>("as_of")?),
            None => None,
        };
        let values = crate::map_rows(&rows, |r| Ok((r.try_get("value")?, r.try_get("people")?)))?;
        Ok((values, as_of))
    }
}

/// Moves the records at place `from` to place `to` (a merge of duplicates,
/// in its transaction): their `place_id`, their JSON, and, when the kept
/// place is in another commune, their commune and roll-up contributions,
/// so that every count stays true. How many records moved.
pub(crate) async fn move_activities_to_place(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
    to_commune: Option<&str>,
) -> Result<u64, StoreError> {
    let rows = sqlx::query(
        "SELECT id, data, commune_code, mediator_id, structure_id, token_id, deleted_at \
         FROM activities WHERE place_id = $1",
    )
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let mut a = parse_data(&row.try_get::<String, _>("data")?)?;
        a.place = Where::Lieu(to);
        let old_commune: Option<String> = row.try_get("commune_code")?;
        let live = row.try_get::<Option<String>, _>("deleted_at")?.is_none();
        let moves = old_commune.as_deref() != to_commune;
        if live && moves {
            let author = Author {
                mediator_id: row.try_get("mediator_id")?,
                structure_id: row.try_get("structure_id")?,
                token_id: row.try_get("token_id")?,
            };
            roll_up(conn, &a, old_commune.as_deref(), author, -1).await?;
            roll_up(conn, &a, to_commune, author, 1).await?;
        }
        sqlx::query(
            "UPDATE activities SET place_id = $1, data = $2, commune_code = $3 WHERE id = $4",
        )
        .bind(to)
        .bind(serde_json::to_string(&a).expect("an activity serialises"))
        .bind(if moves {
            to_commune.map(str::to_string)
        } else {
            old_commune
        })
        .bind(row.try_get::<i64, _>("id")?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(rows.len() as u64)
}

/// What the records name and does not exist, record by record: places,
/// communes, and the author (structure, mediator, token).
async fn unknown_references<'a>(
    conn: &mut AnyConnection,
    records: impl Iterator<Item = &'a Activity>,
    author: Author,
) -> Result<Vec<UnknownReference>, StoreError> {
    use std::collections::BTreeSet;
    let mut named: Vec<(usize, Reference)> = Vec::new();
    for (index, a) in records.enumerate() {
        match &a.place {
            Where::Lieu(id) => named.push((index, Reference::Place(*id))),
            Where::Autre(code) => named.push((index, Reference::Commune(code.clone()))),
            Where::Domicile | Where::Distance => {}
        }
        if let Some(code) = &a.residence_commune {
            named.push((index, Reference::ResidenceCommune(code.clone())));
        }
    }
    let places: BTreeSet<i64> = named
        .iter()
        .filter_map(|(_, r)| match r {
            Reference::Place(id) => Some(*id),
            _ => None,
        })
        .collect();
    let communes: BTreeSet<String> = named
        .iter()
        .filter_map(|(_, r)| match r {
            Reference::Commune(c) | Reference::ResidenceCommune(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let places: Vec<i64> = places.into_iter().collect();
    let communes: Vec<String> = communes.into_iter().collect();
    let known_places: BTreeSet<i64> = existing(conn, "places", "id", &places).await?;
    let known_communes: BTreeSet<String> = existing(conn, "communes", "code", &communes).await?;
    let mut unknown: Vec<UnknownReference> = named
        .into_iter()
        .filter(|(_, r)| match r {
            Reference::Place(id) => !known_places.contains(id),
            Reference::Commune(c) | Reference::ResidenceCommune(c) => !known_communes.contains(c),
            _ => false,
        })
        .map(|(index, reference)| UnknownReference { index, reference })
        .collect();
    for (table, id, reference) in [
        (
            "structures",
            author.structure_id,
            Reference::Structure as fn(i64) -> Reference,
        ),
        ("people", author.mediator_id, Reference::Mediator),
        ("api_tokens", author.token_id, Reference::Token),
    ] {
        if let Some(id) = id
            && existing::<i64>(conn, table, "id", &[id]).await?.is_empty()
        {
            unknown.push(UnknownReference {
                index: 0,
                reference: reference(id),
            });
        }
    }
    Ok(unknown)
}

/// Which of `values` are in `column` of `table`.
async fn existing<T>(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    values: &[T],
) -> Result<std::collections::BTreeSet<T>, StoreError>
where
    T: Ord + Clone + Send + for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
    for<'r> T: sqlx::Decode<'r, sqlx::Any>,
{
    let mut found = std::collections::BTreeSet::new();
    for chunk in values.chunks(500) {
        let list = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT {column} AS found FROM {table} WHERE {column} IN ({list})");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            query = query.bind(v.clone());
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.insert(row.try_get::<T, _>("found")?);
        }
    }
    Ok(found)
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
            .map(|r| r.try_get::<Option<String>, _>("commune_code"))
            .transpose()?
            .flatten(),
        Where::Autre(code) => Some(code.clone()),
        // At home or remote: the person's commune when given.
        Where::Domicile | Where::Distance => a.residence_commune.clone(),
    })
}

/// What one record adds to the roll-ups: (dimension, value, people, records).
/// Counts of a set of records, made as the roll-ups make them: what a
/// dashboard narrowed to places shows.
pub struct RecordStats {
    sums: std::collections::HashMap<(&'static str, String), (i64, i64)>,
    months: std::collections::BTreeMap<String, (i64, i64)>,
}

impl RecordStats {
    pub fn of(records: &[Activity]) -> Self {
        let mut sums: std::collections::HashMap<(&'static str, String), (i64, i64)> =
            std::collections::HashMap::new();
        let mut months: std::collections::BTreeMap<String, (i64, i64)> =
            std::collections::BTreeMap::new();
        for a in records {
            let m = months
                .entry(a.date.format("%Y-%m").to_string())
                .or_default();
            m.0 += i64::from(a.participants);
            m.1 += 1;
            for (dimension, value, people, n) in contributions(a) {
                let e = sums.entry((dimension, value)).or_default();
                e.0 += people;
                e.1 += n;
            }
        }
        Self { sums, months }
    }

    /// As `activity_stats`: most people first.
    pub fn rows(&self, dimension: &str) -> Vec<StatsRow> {
        let mut rows: Vec<StatsRow> = self
            .sums
            .iter()
            .filter(|((d, _), (_, records))| *d == dimension && *records > 0)
            .map(|((_, value), (people, records))| StatsRow {
                value: value.clone(),
                people: *people,
                records: *records,
            })
            .collect();
        rows.sort_by(|a, b| b.people.cmp(&a.people).then_with(|| a.value.cmp(&b.value)));
        rows
    }

    /// As `activity_months`: in order.
    pub fn months(&self) -> Vec<StatsRow> {
        self.months
            .iter()
            .map(|(m, (people, records))| StatsRow {
                value: m.clone(),
                people: *people,
                records: *records,
            })
            .collect()
    }
}

fn contributions(a: &Activity) -> Vec<(&'static str, String, i64, i64)> {
    let mut out = vec![("total", String::new(), i64::from(a.participants), 1)];
    let one = std::slice::from_ref(a);
    for (name, dimension) in DIMENSIONS {
        let records = count_by(one, dimension, Weight::Records);
        for (value, p) in count_by(one, dimension, Weight::People) {
            let r = records.get(&value).copied().unwrap_or(0);
            out.push((name, value, p as i64, r as i64));
        }
    }
    out
}

fn rollup_row(
    dimension: &str,
    territory: String,
    month: String,
    author: Author,
    value: String,
    people: i64,
    records: i64,
) -> Vec<Value> {
    vec![
        Value::Text(dimension.to_string()),
        Value::Text(territory),
        Value::Text(month),
        Value::Int(Some(author.structure_id.unwrap_or(0))),
        Value::Int(Some(author.mediator_id.unwrap_or(0))),
        Value::Text(value),
        Value::Int(Some(people)),
        Value::Int(Some(records)),
    ]
}

/// The roll-up keys of every commune: itself and every level above it.
async fn all_territory_keys(
    conn: &mut AnyConnection,
) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
    let rows = sqlx::query(
        "SELECT c.code, c.epci_siren, c.departement_code, d.region_code FROM communes c \
         JOIN departements d ON d.code = c.departement_code",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = std::collections::HashMap::with_capacity(rows.len());
    for r in rows {
        let code: String = r.try_get("code")?;
        let mut keys = vec!["all".to_string(), format!("com:{code}")];
        if let Some(epci) = r.try_get::<Option<String>, _>("epci_siren")? {
            keys.push(format!("epci:{epci}"));
        }
        keys.push(format!(
            "dep:{}",
            r.try_get::<String, _>("departement_code")?
        ));
        keys.push(format!("reg:{}", r.try_get::<String, _>("region_code")?));
        out.insert(code, keys);
    }
    Ok(out)
}

async fn roll_up(
    conn: &mut AnyConnection,
    a: &Activity,
    commune: Option<&str>,
    author: Author,
    sign: i64,
) -> Result<(), StoreError> {
    let month = a.date.format("%Y-%m").to_string();
    let mut territories = vec!["all".to_string()];
    if let Some(code) = commune {
        let row = sqlx::query(
            "SELECT c.epci_siren, c.departement_code, d.region_code FROM communes c \
             JOIN departements d ON d.code = c.departement_code WHERE c.code = $1",
        )
        .bind(code.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(r) = row {
            territories.push(format!("com:{code}"));
            if let Some(epci) = r.try_get::<Option<String>, _>("epci_siren")? {
                territories.push(format!("epci:{epci}"));
            }
            territories.push(format!(
                "dep:{}",
                r.try_get::<String, _>("departement_code")?
            ));
            territories.push(format!("reg:{}", r.try_get::<String, _>("region_code")?));
        }
    }
    let parts = contributions(a);
    let rows = territories
        .iter()
        .flat_map(|t| {
            parts.iter().map(|(d, v, p, r)| {
                rollup_row(
                    d,
                    t.clone(),
                    month.clone(),
                    author,
                    v.clone(),
                    sign * p,
                    sign * r,
                )
            })
        })
        .collect();
    batch::insert(
        conn,
        "activity_rollups",
        &ROLLUP_COLUMNS,
        rows,
        ROLLUP_UPSERT,
    )
    .await?;
    Ok(())
}
