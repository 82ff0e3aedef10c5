//! Backups and restores, taken online, and what operators watch: the
//! state of the schema, whether the database answers, the outbox queue.
//!
//! A backup is one tar archive holding `manifest.json` (first) and the
//! database: on SQLite a copy made by `VACUUM INTO` (a consistent snapshot
//! read in one transaction, while writers go on; never a file copy of a live
//! WAL database), on PostgreSQL a `pg_dump --format=custom` of a snapshot
//! exported by a repeatable-read transaction in which the rows of every
//! table are counted, so the counts are those of the dump. The manifest
//! carries the version of Passerelle, the latest migration, the date, the
//! SHA-256 and size of the database entry and the row count of every table.
//!
//! A restore reads the manifest first and refuses what it cannot take
//! (another back-end, a schema newer than this binary, a non-empty target
//! without `force`) before writing anything. On SQLite it writes the
//! database beside the target, checks the checksum, `PRAGMA
//! integrity_check` and the counts, applies newer migrations, lets the
//! caller run the retention jobs on it ([`Restoring::database`]), and only
//! then renames it into place ([`Restoring::finish`]). On PostgreSQL
//! `pg_restore` writes a script that `psql` runs in one transaction
//! together with the count checks (and, with `force`, the removal of what
//! the target held): any failure rolls the whole restore back.
//!
//! Files are written with mode 0600: they hold personal data.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Connection, Row};

use crate::{Backend, Database, StoreError, latest_known_migration};

/// What `manifest.json` says `format` is.
pub const FORMAT: &str = "passerelle-backup";
/// The version of the archive layout this binary writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SQLITE_ENTRY: &str = "passerelle.sqlite3";
const POSTGRES_ENTRY: &str = "passerelle.pgdump";

/// Which migrations a database has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The newest migration applied, if any.
    pub applied: Option<i64>,
    /// The newest migration this binary knows.
    pub known: i64,
    /// Whether a migration was left failed.
    pub failed: bool,
}

impl SchemaStatus {
    /// Up to date: every known migration applied, none newer, none failed.
    pub fn current(&self) -> bool {
        self.applied == Some(self.known) && !self.failed
    }
}

/// The description of a backup, stored as `manifest.json` in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub passerelle_version: String,
    /// `sqlite` or `postgresql`.
    pub backend: String,
    /// The newest migration applied to the database saved.
    pub migration: i64,
    pub migration_description: String,
    /// When the snapshot was taken, ISO 8601 UTC.
    pub created_at: String,
    /// Name of the database entry in the archive.
    pub file: String,
    pub bytes: u64,
    /// SHA-256 of the database entry, hex.
    pub sha256: String,
    /// PostgreSQL: the schema the tables were in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Rows of every table, migrations' own table included.
    pub tables: BTreeMap<String, i64>,
}

impl Manifest {
    /// Rows of every table but the migrations' bookkeeping.
    pub fn rows(&self) -> i64 {
        self.tables
            .iter()
            .filter(|(t, _)| !t.starts_with("_sqlx"))
            .map(|(_, n)| n)
            .sum()
    }
}

/// Why a backup or a restore did not happen. The variants carry what a
/// message to the operator needs; nothing was left half-written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `pg_dump`, `pg_restore` or `psql` is not installed.
    #[error("{tool} is not installed (Debian package postgresql-client)")]
    ToolMissing { tool: &'static str },
    #[error("{tool} failed: {message}")]
    ToolFailed { tool: &'static str, message: String },
    #[error("{path} is not a Passerelle backup: {reason}")]
    NotABackup { path: PathBuf, reason: NotABackup },
    #[error("backup format version {0} is newer than this binary reads")]
    UnknownFormat(u32),
    #[error("checksum mismatch: the manifest says {expected}, the file is {found}")]
    Checksum { expected: String, found: String },
    #[error("table {table}: {found} rows restored, the manifest says {expected}")]
    Counts {
        table: String,
        expected: i64,
        found: i64,
    },
    #[error("integrity check failed: {0}")]
    Integrity(String),
    #[error("the target database is not empty ({tables} tables)")]
    TargetNotEmpty { tables: usize },
    #[error("a {backup} backup cannot be restored into {}", target.name())]
    BackendMismatch { backup: String, target: Backend },
    #[error("the backup's schema is at migration {backup}, newer than this binary knows ({known})")]
    NewerSchema { backup: i64, known: i64 },
}

/// What makes a file not a backup.
#[derive(Debug, thiserror::Error)]
pub enum NotABackup {
    /// Not a readable tar archive (the archive reader's message).
    #[error("unreadable archive: {0}")]
    Unreadable(String),
    #[error("empty archive")]
    Empty,
    #[error("no manifest.json first")]
    NoManifest,
    /// A manifest that is not Passerelle's (the JSON reader's message).
    #[error("unreadable manifest: {0}")]
    BadManifest(String),
    #[error("unknown format")]
    UnknownFormat,
    /// The database file the manifest names is not in the archive.
    #[error("no {0} inside")]
    MissingDatabase(String),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The back-end a database URL names, and the SQLite file if it is one.
pub fn backend_of(url: &str) -> Result<(Backend, Option<PathBuf>), StoreError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok((
            Backend::Sqlite,
            Some(PathBuf::from(path.split('?').next().unwrap_or(path))),
        ))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((Backend::Postgres, None))
    } else {
        Err(StoreError::UnsupportedUrl(crate::redact(url)))
    }
}

/// The tables of the database `conn` is connected to (its current schema
/// on PostgreSQL), by name.
async fn tables(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<String>, StoreError> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT CAST(tablename AS TEXT) AS name FROM pg_catalog.pg_tables \
             WHERE schemaname = current_schema() ORDER BY tablename"
        }
    };
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    crate::map_rows(&rows, |r| r.try_get("name"))
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn count_rows(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let mut counts = BTreeMap::new();
    for table in tables(conn, backend).await? {
        let sql = format!("SELECT COUNT(*) AS n FROM {}", quoted(&table));
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
        counts.insert(table, n);
    }
    Ok(counts)
}

async fn schema_status(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<(SchemaStatus, String), StoreError> {
    let known = latest_known_migration(backend);
    if !tables(conn, backend)
        .await?
        .iter()
        .any(|t| t == "_sqlx_migrations")
    {
        return Ok((
            SchemaStatus {
                applied: None,
                known,
                failed: false,
            },
            String::new(),
        ));
    }
    let rows = sqlx::query(
        "SELECT version, description, CAST(CASE WHEN success THEN 0 ELSE 1 END AS BIGINT) AS failed \
         FROM _sqlx_migrations ORDER BY version DESC",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut failed = false;
    for r in &rows {
        failed |= r.try_get::<i64, _>("failed")? != 0;
    }
    let latest = rows.first();
    Ok((
        SchemaStatus {
            applied: latest.map(|r| r.try_get("version")).transpose()?,
            known,
            failed,
        },
        latest
            .map(|r| r.try_get("description"))
            .transpose()?
            .unwrap_or_default(),
    ))
}

impl Database {
    /// Which migrations the database has, against those this binary knows.
    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let mut conn = self.pool().acquire().await?;
        Ok(schema_status(&mut conn, self.backend()).await?.0)
    }

    /// Whether the database answers a query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").fetch_one(self.pool()).await?;
        Ok(())
    }

    /// E-mails waiting in the outbox that will still be tried.
    pub async fn outbox_queue_length(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND digested_into IS NULL",
        )
        .fetch_one(self.pool())
        .await?
        .try_get("n")?)
    }

    /// Rows of every table.
    pub async fn table_counts(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        count_rows(&mut conn, self.backend()).await
    }

    /// Writes a backup archive to `output` (replaced atomically if it
    /// exists) while the database keeps serving, and returns its manifest.
    /// PostgreSQL needs `pg_dump` of the server's major version or newer.
    pub async fn backup(&self, output: &Path) -> Result<Manifest, BackupError> {
        let entry = partial(output, "base");
        let _ = std::fs::remove_file(&entry);
        let result = match self.backend() {
            Backend::Sqlite => self.snapshot_sqlite(&entry).await,
            Backend::Postgres => self.snapshot_postgres(&entry).await,
        };
        let result = match result {
            Ok(manifest) => {
                let output = output.to_path_buf();
                let entry = entry.clone();
                tokio::task::spawn_blocking(move || write_archive(&output, manifest, &entry))
                    .await
                    .expect("archive writer panicked")
            }
            Err(e) => Err(e),
        };
        let _ = std::fs::remove_file(&entry);
        result
    }

    async fn snapshot_sqlite(&self, copy: &Path) -> Result<Manifest, BackupError> {
        let created_at = crate::time::now_iso();
        sqlx::query("VACUUM INTO $1")
            .bind(copy.display().to_string())
            .execute(self.pool())
            .await
            .map_err(StoreError::from)?;
        restrict(copy)?;
        let mut conn = AnyConnection::connect(&format!("sqlite://{}?mode=ro", copy.display()))
            .await
            .map_err(StoreError::from)?;
        let (status, description) = schema_status(&mut conn, Backend::Sqlite).await?;
        let tables = count_rows(&mut conn, Backend::Sqlite).await?;
        conn.close().await.map_err(StoreError::from)?;
        Ok(manifest(
            Backend::Sqlite,
            status,
            description,
            created_at,
            None,
            tables,
        ))
    }

    async fn snapshot_postgres(&self, dump: &Path) -> Result<Manifest, BackupError> {
        let tool = pg_tool("pg_dump")?;
        let url = self.url.clone();
        let mut tx = self
            .pool()
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .map_err(StoreError::from)?;
        let snapshot: String = sqlx::query("SELECT pg_export_snapshot() AS s")
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get("s"))
            .map_err(StoreError::from)?;
        let created_at = crate::time::now_iso();
        let schema: String = sqlx::query("SELECT CAST(current_schema() AS TEXT) AS s")
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get("s"))
            .map_err(StoreError::from)?;
        let (status, description) = schema_status(&mut tx, Backend::Postgres).await?;
        let tables = count_rows(&mut tx, Backend::Postgres).await?;
        let file = dump.to_path_buf();
        let ran = tokio::task::spawn_blocking(move || {
            let mut command = Command::new(tool);
            command
                .arg("--format=custom")
                .arg(format!("--snapshot={snapshot}"))
                .arg(format!("--file={}", file.display()));
            libpq_env(&mut command, &url)?;
            finished("pg_dump", command.stdin(Stdio::null()).output())
        })
        .await
        .expect("pg_dump runner panicked");
        tx.rollback().await.map_err(StoreError::from)?;
        ran?;
        restrict(dump)?;
        Ok(manifest(
            Backend::Postgres,
            status,
            description,
            created_at,
            Some(schema),
            tables,
        ))
    }
}

fn manifest(
    backend: Backend,
    status: SchemaStatus,
    migration_description: String,
    created_at: String,
    schema: Option<String>,
    tables: BTreeMap<String, i64>,
) -> Manifest {
    Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        passerelle_version: env!("CARGO_PKG_VERSION").into(),
        backend: backend.name().into(),
        migration: status.applied.unwrap_or(0),
        migration_description,
        created_at,
        file: match backend {
            Backend::Sqlite => SQLITE_ENTRY,
            Backend::Postgres => POSTGRES_ENTRY,
        }
        .into(),
        bytes: 0,
        sha256: String::new(),
        schema,
        tables,
    }
}

/// `path` with `suffix` added to its name.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Beside `path`, for what is written before it is complete.
fn partial(path: &Path, what: &str) -> PathBuf {
    suffixed(path, &format!(".{what}-partielle"))
}

/// Only the owner reads backups: they hold personal data.
fn restrict(path: &Path) -> Result<(), BackupError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
    }
    Ok(())
}

fn create_private(path: &Path) -> Result<File, BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(io(path))
}

fn sha256_of(path: &Path) -> Result<(String, u64), BackupError> {
    let mut file = BufReader::with_capacity(1 << 20, File::open(path).map_err(io(path))?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 20];
    let mut bytes = 0;
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((hex(&hasher.finalize()), bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn tar_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    header.set_entry_type(tar::EntryType::Regular);
    header
}

/// The archive: the manifest (with the entry's checksum), then the entry.
/// Written beside `output`, synced, then renamed onto it.
fn write_archive(
    output: &Path,
    mut manifest: Manifest,
    entry: &Path,
) -> Result<Manifest, BackupError> {
    let (sha256, bytes) = sha256_of(entry)?;
    manifest.sha256 = sha256;
    manifest.bytes = bytes;
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    let temporary = partial(output, "archive");
    let result = (|| {
        let file = create_private(&temporary)?;
        let mut builder = tar::Builder::new(BufWriter::with_capacity(1 << 20, file));
        builder
            .append_data(&mut tar_header(json.len() as u64), MANIFEST, &json[..])
            .map_err(io(&temporary))?;
        let source = File::open(entry).map_err(io(entry))?;
        builder
            .append_data(&mut tar_header(bytes), &manifest.file, source)
            .map_err(io(&temporary))?;
        let file = builder
            .into_inner()
            .map_err(io(&temporary))?
            .into_inner()
            .map_err(|e| io(&temporary)(e.into_error()))?;
        file.sync_all().map_err(io(&temporary))?;
        std::fs::rename(&temporary, output).map_err(io(output))?;
        sync_parent(output);
        Ok(manifest)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}

/// Reads the manifest of an archive and checks this binary can restore it.
pub fn read_manifest(archive: &Path) -> Result<Manifest, BackupError> {
    let file = File::open(archive).map_err(io(archive))?;
    let mut entries = tar::Archive::new(BufReader::new(file));
    let not_a_backup = |reason: NotABackup| BackupError::NotABackup {
        path: archive.to_path_buf(),
        reason,
    };
    let unreadable = |e: std::io::Error| not_a_backup(NotABackup::Unreadable(e.to_string()));
    let mut first = entries
        .entries()
        .map_err(unreadable)?
        .next()
        .ok_or_else(|| not_a_backup(NotABackup::Empty))?
        .map_err(unreadable)?;
    if first.path().ok().as_deref() != Some(Path::new(MANIFEST)) {
        return Err(not_a_backup(NotABackup::NoManifest));
    }
    let mut json = Vec::new();
    first
        .by_ref()
        .take(1 << 20)
        .read_to_end(&mut json)
        .map_err(io(archive))?;
    let manifest: Manifest = serde_json::from_slice(&json)
        .map_err(|e| not_a_backup(NotABackup::BadManifest(e.to_string())))?;
    if manifest.format != FORMAT {
        return Err(not_a_backup(NotABackup::UnknownFormat));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(BackupError::UnknownFormat(manifest.format_version));
    }
    Ok(manifest)
}

/// Extracts the database entry of `archive` to `dest` (mode 0600),
/// checking its size and SHA-256 against the manifest.
fn extract(archive: &Path, manifest: &Manifest, dest: &Path) -> Result<(), BackupError> {
    let file = File::open(archive).map_err(io(archive))?;
    let mut entries = tar::Archive::new(BufReader::with_capacity(1 << 20, file));
    let not_a_backup = |reason: NotABackup| BackupError::NotABackup {
        path: archive.to_path_buf(),
        reason,
    };
    let unreadable = |e: std::io::Error| not_a_backup(NotABackup::Unreadable(e.to_string()));
    for entry in entries.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        if entry.path().ok().as_deref() != Some(Path::new(&manifest.file)) {
            continue;
        }
        let mut out = BufWriter::with_capacity(1 << 20, create_private(dest)?);
        let mut hasher = Sha256::new();
        let mut buf = vec![0; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let n = entry.read(&mut buf).map_err(io(archive))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(io(dest))?;
            bytes += n as u64;
        }
        out.into_inner()
            .map_err(|e| io(dest)(e.into_error()))?
            .sync_all()
            .map_err(io(dest))?;
        let found = hex(&hasher.finalize());
        if found != manifest.sha256 || bytes != manifest.bytes {
            return Err(BackupError::Checksum {
                expected: manifest.sha256.clone(),
                found,
            });
        }
        return Ok(());
    }
    Err(not_a_backup(NotABackup::MissingDatabase(
        manifest.file.clone(),
    )))
}

fn check_counts(manifest: &Manifest, found: &BTreeMap<String, i64>) -> Result<(), BackupError> {
    for (table, &expected) in &manifest.tables {
        let found = found.get(table).copied().unwrap_or(-1);
        if found != expected {
            return Err(BackupError::Counts {
                table: table.clone(),
                expected,
                found,
            });
        }
    }
    Ok(())
}

/// A restore checked and migrated, not yet in place (SQLite) or committed
/// and migrated (PostgreSQL): the caller runs the retention jobs on
/// [`Restoring::database`], then calls [`Restoring::finish`] — or
/// [`Restoring::abandon`], which leaves the target as it was on SQLite.
pub struct Restoring {
    db: Database,
    manifest: Manifest,
    place: Option<(PathBuf, PathBuf)>,
}

/// What a finished restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// The SQLite file that was there before (with `force`), kept aside.
    pub set_aside: Option<PathBuf>,
}

impl Restoring {
    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Puts the restored database in place (SQLite: renames it onto the
    /// target, moving what was there aside).
    pub async fn finish(self) -> Result<Restored, BackupError> {
        self.db.close().await;
        let Some((temporary, target)) = self.place else {
            return Ok(Restored {
                manifest: self.manifest,
                set_aside: None,
            });
        };
        // One self-contained file: back to a rollback journal, which folds
        // the write-ahead log in (the server turns WAL on again).
        let mut conn = AnyConnection::connect(&format!("sqlite://{}", temporary.display()))
            .await
            .map_err(StoreError::from)?;
        sqlx::raw_sql("PRAGMA journal_mode = DELETE")
            .execute(&mut conn)
            .await
            .map_err(StoreError::from)?;
        conn.close().await.map_err(StoreError::from)?;
        let set_aside = set_aside(&target).await?;
        std::fs::rename(&temporary, &target).map_err(io(&target))?;
        sync_parent(&target);
        Ok(Restored {
            manifest: self.manifest,
            set_aside,
        })
    }

    /// Gives up: on SQLite the target is untouched and the copy removed.
    pub async fn abandon(self) {
        self.db.close().await;
        if let Some((temporary, _)) = self.place {
            remove_sqlite_files(&temporary);
        }
    }
}

fn sqlite_companions(path: &Path) -> [PathBuf; 3] {
    [
        path.to_path_buf(),
        suffixed(path, "-wal"),
        suffixed(path, "-shm"),
    ]
}

fn remove_sqlite_files(path: &Path) {
    for file in sqlite_companions(path) {
        let _ = std::fs::remove_file(file);
    }
}

/// Moves an SQLite database holding tables out of the way (its log folded
/// in first); an empty one is removed.
async fn set_aside(target: &Path) -> Result<Option<PathBuf>, BackupError> {
    if !target.exists() {
        remove_sqlite_files(target);
        return Ok(None);
    }
    let mut conn = AnyConnection::connect(&format!("sqlite://{}", target.display()))
        .await
        .map_err(StoreError::from)?;
    let has_tables = !tables(&mut conn, Backend::Sqlite).await?.is_empty();
    sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .map_err(StoreError::from)?;
    conn.close().await.map_err(StoreError::from)?;
    if !has_tables {
        remove_sqlite_files(target);
        return Ok(None);
    }
    let aside = suffixed(
        target,
        &format!(
            ".avant-restauration-{}",
            crate::time::now_iso().replace([':', '-'], "")
        ),
    );
    std::fs::rename(target, &aside).map_err(io(target))?;
    for companion in &sqlite_companions(target)[1..] {
        let _ = std::fs::remove_file(companion);
    }
    Ok(Some(aside))
}

/// Restores `archive` into the database at `target_url`, which must be
/// empty unless `force`. See the module documentation for the steps.
pub async fn restore(
    archive: &Path,
    target_url: &str,
    force: bool,
) -> Result<Restoring, BackupError> {
    sqlx::any::install_default_drivers();
    let path = archive.to_path_buf();
    let manifest = tokio::task::spawn_blocking(move || read_manifest(&path))
        .await
        .expect("manifest reader panicked")?;
    let (backend, sqlite_path) = backend_of(target_url)?;
    if manifest.backend != backend.name() {
        return Err(BackupError::BackendMismatch {
            backup: manifest.backend.clone(),
            target: backend,
        });
    }
    let known = latest_known_migration(backend);
    if manifest.migration > known {
        return Err(BackupError::NewerSchema {
            backup: manifest.migration,
            known,
        });
    }
    match sqlite_path {
        Some(target) => restore_sqlite(archive, manifest, &target, force).await,
        None => restore_postgres(archive, manifest, target_url, force).await,
    }
}

async fn restore_sqlite(
    archive: &Path,
    manifest: Manifest,
    target: &Path,
    force: bool,
) -> Result<Restoring, BackupError> {
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    if target.exists() && !force {
        let mut conn = AnyConnection::connect(&format!("sqlite://{}?mode=ro", target.display()))
            .await
            .map_err(StoreError::from)?;
        let found = tables(&mut conn, Backend::Sqlite).await?.len();
        conn.close().await.map_err(StoreError::from)?;
        if found > 0 {
            return Err(BackupError::TargetNotEmpty { tables: found });
        }
    }
    let temporary = partial(target, "restauration");
    remove_sqlite_files(&temporary);
    let checked = async {
        let (from, to, m) = (archive.to_path_buf(), temporary.clone(), manifest.clone());
        tokio::task::spawn_blocking(move || extract(&from, &m, &to))
            .await
            .expect("extraction panicked")?;
        let url = format!("sqlite://{}", temporary.display());
        let mut conn = AnyConnection::connect(&url)
            .await
            .map_err(StoreError::from)?;
        let verdict: String = sqlx::query("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .and_then(|r| r.try_get("integrity_check"))
            .map_err(StoreError::from)?;
        if verdict != "ok" {
            return Err(BackupError::Integrity(verdict));
        }
        let counts = count_rows(&mut conn, Backend::Sqlite).await?;
        conn.close().await.map_err(StoreError::from)?;
        check_counts(&manifest, &counts)?;
        Ok(Database::open(&url).await?)
    }
    .await;
    match checked {
        Ok(db) => Ok(Restoring {
            db,
            manifest,
            place: Some((temporary, target.to_path_buf())),
        }),
        Err(e) => {
            remove_sqlite_files(&temporary);
            Err(e)
        }
    }
}

async fn restore_postgres(
    archive: &Path,
    manifest: Manifest,
    target_url: &str,
    force: bool,
) -> Result<Restoring, BackupError> {
    let pg_restore = pg_tool("pg_restore")?;
    let psql = pg_tool("psql")?;
    // What the target holds now: refused, or dropped in the transaction.
    let mut conn =
        AnyConnection::connect(target_url)
            .await
            .map_err(|e| StoreError::PostgresConnect {
                location: crate::redact(target_url),
                reason: crate::root_cause(&e),
            })?;
    let existing = tables(&mut conn, Backend::Postgres).await?;
    if !existing.is_empty() && !force {
        return Err(BackupError::TargetNotEmpty {
            tables: existing.len(),
        });
    }
    let functions = sqlx::query(
        "SELECT CAST(CAST(p.oid AS regprocedure) AS TEXT) AS f FROM pg_catalog.pg_proc p \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(StoreError::from)?;
    let functions: Vec<String> = crate::map_rows(&functions, |r| r.try_get("f"))?;
    conn.close().await.map_err(StoreError::from)?;

    // Private to this restore: another may run at the same time.
    let work = std::env::temp_dir().join(format!(
        "passerelle-restauration-{}",
        passerelle_accounts::secret::new_secret()
    ));
    let mut dir = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
    dir.create(&work).map_err(io(&work))?;
    let ran = {
        let (archive, work, url) = (archive.to_path_buf(), work.clone(), target_url.to_string());
        let manifest = manifest.clone();
        tokio::task::spawn_blocking(move || {
            let dump = work.join(POSTGRES_ENTRY);
            extract(&archive, &manifest, &dump)?;
            let mut prelude = String::new();
            for table in &existing {
                prelude.push_str(&format!("DROP TABLE IF EXISTS {} CASCADE;\n", quoted(table)));
            }
            for function in &functions {
                prelude.push_str(&format!("DROP FUNCTION IF EXISTS {function} CASCADE;\n"));
            }
            let schema = quoted(manifest.schema.as_deref().unwrap_or("public"));
            let mut checks = String::from("DO $passerelle$ BEGIN\n");
            for (table, n) in &manifest.tables {
                let name = table.replace('\'', "''");
                checks.push_str(&format!(
                    "IF (SELECT count(*) FROM {schema}.{}) <> {n} THEN \
                     RAISE EXCEPTION 'passerelle: table {name}: row count differs from the manifest ({n})'; END IF;\n",
                    quoted(table)
                ));
            }
            checks.push_str("END $passerelle$;\n");
            let (prelude_file, checks_file) = (work.join("avant.sql"), work.join("controle.sql"));
            std::fs::write(&prelude_file, prelude).map_err(io(&prelude_file))?;
            std::fs::write(&checks_file, checks).map_err(io(&checks_file))?;
            let mut script = Command::new(pg_restore)
                .args(["--no-owner", "--no-privileges", "--file=-"])
                .arg(&dump)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| BackupError::ToolFailed {
                    tool: "pg_restore",
                    message: e.to_string(),
                })?;
            let stdout = script.stdout.take().expect("piped");
            let mut runner = Command::new(psql);
            runner
                .args(["--no-psqlrc", "--quiet", "--single-transaction"])
                .args(["--set=ON_ERROR_STOP=1"])
                .arg(format!("--file={}", prelude_file.display()))
                .arg("--file=-")
                .arg(format!("--file={}", checks_file.display()))
                .stdin(stdout)
                .stdout(Stdio::null());
            libpq_env(&mut runner, &url)?;
            let applied = finished("psql", runner.output());
            // The command holds the read end of pg_restore's output: closed,
            // a pg_restore still writing after psql stopped gets EPIPE
            // instead of waiting for ever.
            drop(runner);
            let written = finished("pg_restore", script.wait_with_output());
            applied.and(written)
        })
        .await
        .expect("restore runner panicked")
    };
    let _ = std::fs::remove_dir_all(&work);
    ran?;
    let db = Database::open(target_url).await?;
    Ok(Restoring {
        db,
        manifest,
        place: None,
    })
}

/// Where a PostgreSQL client program is: on the PATH, else the newest
/// version Debian installed under /usr/lib/postgresql.
fn pg_tool(tool: &'static str) -> Result<PathBuf, BackupError> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file());
    let debian = || {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|d| {
                let version = d.file_name().to_str()?.parse().ok()?;
                let bin = d.path().join("bin").join(tool);
                bin.is_file().then_some((version, bin))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, p)| p)
    };
    on_path
        .or_else(debian)
        .ok_or(BackupError::ToolMissing { tool })
}

/// Connection settings for a libpq program, as environment variables: the
/// password never appears on a command line.
fn libpq_env(command: &mut Command, url: &str) -> Result<(), BackupError> {
    let options = sqlx::postgres::PgConnectOptions::from_str(url).map_err(StoreError::from)?;
    match options.get_socket() {
        Some(dir) => command.env("PGHOST", dir),
        None => command.env("PGHOST", options.get_host()),
    };
    command
        .env("PGPORT", options.get_port().to_string())
        .env("PGUSER", options.get_username())
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE");
    if let Some(db) = options.get_database() {
        command.env("PGDATABASE", db);
    }
    if let Some(password) = url_password(url) {
        command.env("PGPASSWORD", password);
    }
    Ok(())
}

/// The password of a `postgres://user:password@host/db` URL, decoded.
fn url_password(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let (user_info, _) = rest.split_once('@')?;
    let (_, password) = user_info.split_once(':')?;
    let bytes = password.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The outcome of a client program: its last error lines when it failed.
fn finished(
    tool: &'static str,
    output: std::io::Result<std::process::Output>,
) -> Result<(), BackupError> {
    let output = output.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => BackupError::ToolMissing { tool },
        _ => BackupError::ToolFailed {
            tool,
            message: e.to_string(),
        },
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    Err(BackupError::ToolFailed {
        tool,
        message: lines[lines.len().saturating_sub(3)..].join(" / "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_decoded_from_urls() {
        assert_eq!(
            url_password("postgres://u:p%40ss%3Aw@h/db").as_deref(),
            Some("p@ss:w")
        );
        assert_eq!(url_password("postgres://u@h/db"), None);
        assert_eq!(
            url_password("postgres://u:%zz@h/db").as_deref(),
            Some("%zz")
        );
    }

    #[test]
    fn backends_are_told_from_urls() {
        assert_eq!(
            backend_of("sqlite:data/p.sqlite3?mode=rwc").unwrap(),
            (Backend::Sqlite, Some(PathBuf::from("data/p.sqlite3")))
        );
        assert_eq!(
            backend_of("postgresql://h/db").unwrap(),
            (Backend::Postgres, None)
        );
        assert!(backend_of("mysql://h").is_err());
    }
}
