//! Databases for tests. The same tests run on both back-ends: on SQLite by
//! default, and on PostgreSQL when `PASSERELLE_TEST_POSTGRES_URL` points at a
//! server where the user may create databases (each test gets its own).

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Database;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "passerelle_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Where this process's SQLite test databases go: one folder per process,
/// under which the folders of finished test processes are removed the
/// first time, so that repeated runs do not fill the disk.
fn sqlite_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let root = std::env::temp_dir().join("passerelle-tests");
        if let Ok(entries) = std::fs::read_dir(&root) {
            for entry in entries.flatten() {
                let path = entry.path();
                let finished = match entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<u32>().ok())
                {
                    Some(pid) => !std::path::Path::new(&format!("/proc/{pid}")).exists(),
                    // Files of the earlier layout, one per database, once
                    // no test can be using them any more.
                    None => entry
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age.as_secs() > 6 * 3600),
                };
                if finished {
                    let _ = if path.is_dir() {
                        std::fs::remove_dir_all(&path)
                    } else {
                        std::fs::remove_file(&path)
                    };
                }
            }
        }
        root.join(std::process::id().to_string())
    })
    .clone()
}

/// The URL of a new, empty database on the back-end under test.
pub async fn fresh_database_url() -> String {
    sqlx::any::install_default_drivers();
    let name = unique_name();
    match std::env::var("PASSERELLE_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            use sqlx::Connection;
            let mut admin = sqlx::AnyConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("PASSERELLE_TEST_POSTGRES_URL: cannot connect: {e}"));
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let (base, _) = admin_url
                .rsplit_once('/')
                .expect("URL with a database name");
            format!("{base}/{name}")
        }
        _ => {
            let dir = sqlite_dir();
            std::fs::create_dir_all(&dir).expect("temp dir");
            Database::default_url(&dir.join(name))
        }
    }
}

/// A new, empty, migrated database.
pub async fn fresh_database() -> Database {
    Database::open(&fresh_database_url().await)
        .await
        .expect("open test database")
}

/// A new database holding the bundled Bretagne reference.
pub async fn bretagne_database() -> Database {
    let db = fresh_database().await;
    db.load_bundled_reference()
        .await
        .expect("bundled reference loads");
    db
}
