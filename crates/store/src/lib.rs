//! Storage for Passerelle: one sqlx code path (the `Any` driver, runtime
//! queries with `$n` placeholders, which both SQLite and PostgreSQL accept)
//! over an embedded SQLite file by default or PostgreSQL when
//! `DATABASE_URL=postgres://…`. Migrations live in `migrations/<backend>/`
//! at the repository root and are applied on open.

pub mod accounts;
pub mod activities;
pub mod activity_index;
pub mod activity_shares;
pub mod backup;
mod batch;
mod bulk;
pub mod diagnostic;
pub mod home;
pub mod instances;
pub mod lifecycle;
pub mod network;
pub mod oidc;
pub mod outbox;
pub mod places;
pub mod referents;
pub mod referrals;
pub mod surveys;
pub mod territories;
pub mod testing;
pub mod time;
pub mod watch;
pub mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection, Executor, Row};

pub use territories::ImportReport;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// The migrations this binary embeds for `backend`, oldest first.
pub fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// The newest migration this binary knows for `backend`.
pub fn latest_known_migration(backend: Backend) -> i64 {
    migrator(backend)
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// The database back-end in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgresql",
        }
    }
}

/// Errors of the storage layer. Messages are written for the person running
/// Passerelle: they say what failed and what to change.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "DATABASE_URL {0:?} is not supported: use postgres://user:password@host/database or sqlite:path/to/file"
    )]
    UnsupportedUrl(String),
    #[error(
        "cannot create the data directory {path}: {reason}; set PASSERELLE_DATA_DIR to a writable directory"
    )]
    DataDir { path: PathBuf, reason: String },
    #[error(
        "cannot open the SQLite database {path}: {reason}; check that the file and its directory are writable, or set PASSERELLE_DATA_DIR"
    )]
    SqliteOpen { path: PathBuf, reason: String },
    #[error(
        "cannot connect to PostgreSQL at {location}: {reason}; check DATABASE_URL and that the server is running"
    )]
    PostgresConnect { location: String, reason: String },
    #[error("cannot update the database schema: {0}")]
    Migration(String),
    /// The database was migrated by a newer Passerelle: this binary must
    /// not touch it.
    #[error(
        "the database schema is at migration {database}, newer than this binary knows (up to {known}): run the newer version of Passerelle or restore a backup"
    )]
    SchemaTooNew { database: i64, known: i64 },
    #[error(transparent)]
    Import(#[from] passerelle_territory::ImportError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("a stored record cannot be read: {0}")]
    Corrupt(String),
    /// A record names a place the directory does not have.
    #[error("no place {0} in the directory")]
    UnknownPlace(i64),
}

/// An open database with its schema up to date.
#[derive(Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    /// As given to `open`: `pg_dump` connects with it.
    url: std::sync::Arc<str>,
}

impl Database {
    /// The URL of the embedded default: an SQLite file in `data_dir`.
    pub fn default_url(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("passerelle.sqlite3").display())
    }

    /// Opens (creating if needed) the database at `url` and applies pending
    /// migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_pool(url, None).await
    }

    /// The same with a pool of `connections` (tests that need one
    /// connection, to reuse its prepared statements).
    pub async fn open_with_connections(url: &str, connections: u32) -> Result<Self, StoreError> {
        Self::open_pool(url, Some(connections)).await
    }

    async fn open_pool(url: &str, connections: Option<u32>) -> Result<Self, StoreError> {
        install_default_drivers();
        let mut db = match backup::backend_of(url)? {
            (Backend::Sqlite, Some(path)) => Self::open_sqlite(&path, connections).await?,
            _ => Self::open_postgres(url, connections).await?,
        };
        db.url = url.into();
        let known = latest_known_migration(db.backend);
        if let Some(applied) = db.schema_status().await?.applied
            && applied > known
        {
            db.close().await;
            return Err(StoreError::SchemaTooNew {
                database: applied,
                known,
            });
        }
        migrator(db.backend)
            .run(&db.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(db)
    }

    async fn open_sqlite(path: &Path, connections: Option<u32>) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::DataDir {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = AnyPoolOptions::new()
            .max_connections(connections.unwrap_or(4))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers go on while an import writes; foreign
                    // keys are off by default in SQLite. A 64 MiB page cache
                    // and memory-mapped reads: bulk imports upsert roll-ups
                    // all over their B-tree, and SQLite's 2 MiB default
                    // cache sent them to read(2) for every page.
                    // secure_delete: erased personal text is overwritten
                    // with zeros in the file, not left in free space.
                    // temp_store: a multi-row INSERT keeps a statement
                    // journal (to undo itself alone on a constraint
                    // failure); on disk it cost a bulk import 3.7 write(2)
                    // calls a record (ARCHITECTURE.md, "Bulk imports").
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                         PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456; \
                         PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|e| StoreError::SqliteOpen {
                path: path.to_path_buf(),
                reason: root_cause(&e),
            })?;
        Ok(Self {
            pool,
            backend: Backend::Sqlite,
            url: "".into(),
        })
    }

    async fn open_postgres(url: &str, connections: Option<u32>) -> Result<Self, StoreError> {
        let unreachable = |e: sqlx::Error| StoreError::PostgresConnect {
            location: redact(url),
            reason: root_cause(&e),
        };
        // One plain connection first: the pool would retry a refused
        // connection until its acquire timeout before saying anything.
        sqlx::AnyConnection::connect(url)
            .await
            .map_err(unreachable)?
            .close()
            .await
            .map_err(unreachable)?;
        let pool = AnyPoolOptions::new()
            .max_connections(connections.unwrap_or(10))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(unreachable)?;
        Ok(Self {
            pool,
            backend: Backend::Postgres,
            url: "".into(),
        })
    }

    /// A transaction that writes. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`): a deferred transaction that reads first
    /// fails with "database is locked" when it tries to write after another
    /// writer, instead of waiting its turn (measured: hundreds of failures
    /// a second with 200 concurrent professionals).
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool().begin().await,
        }
    }

    /// To call after an erasure. On SQLite, erased text is overwritten in
    /// the database file (`secure_delete`) but the page versions that held
    /// it stay in the write-ahead log until a checkpoint: this one copies
    /// the log into the file and truncates it. PostgreSQL keeps dead row
    /// versions until `VACUUM` (docs/donnees-personnelles.md): nothing is
    /// done here.
    pub async fn flush_erasures(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(self.pool())
                .await?;
            let busy: i64 = row.try_get("busy")?;
            if busy != 0 {
                tracing::warn!(
                    "the write-ahead log could not be truncated (readers busy): erased text leaves it at the next checkpoint"
                );
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Reads every row with `read`, into any collection.
pub(crate) fn map_rows<T, C: FromIterator<T>>(
    rows: &[sqlx::any::AnyRow],
    read: impl FnMut(&sqlx::any::AnyRow) -> Result<T, sqlx::Error>,
) -> Result<C, StoreError> {
    rows.iter()
        .map(read)
        .collect::<Result<C, _>>()
        .map_err(Into::into)
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

/// A driver error with its causes, each said once.
pub fn root_cause(error: &sqlx::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }

    #[tokio::test]
    async fn unwritable_sqlite_location_is_one_clear_error() {
        let file =
            std::env::temp_dir().join(format!("passerelle-not-a-dir-{}", std::process::id()));
        std::fs::write(&file, b"a file, not a directory").unwrap();
        let url = Database::default_url(&file.join("sub"));
        let err = Database::open(&url).await.err().expect("must fail");
        let text = err.to_string();
        assert!(
            text.starts_with("cannot create the data directory"),
            "{text}"
        );
        assert!(text.contains("PASSERELLE_DATA_DIR"), "{text}");
        std::fs::remove_file(file).unwrap();
    }

    #[tokio::test]
    async fn unreachable_postgres_is_one_clear_error() {
        // Port 1 on loopback: nothing listens there.
        let err = Database::open("postgres://u:pw@127.0.0.1:1/db")
            .await
            .err()
            .expect("must fail");
        let text = err.to_string();
        assert!(
            text.starts_with("cannot connect to PostgreSQL at postgres://u@127.0.0.1:1/db"),
            "{text}"
        );
        assert!(!text.contains("pw"), "{text}");
    }

    #[tokio::test]
    async fn unsupported_urls_are_rejected() {
        let err = Database::open("mysql://x").await.err().unwrap();
        assert!(err.to_string().contains("not supported"), "{err}");
    }
}
