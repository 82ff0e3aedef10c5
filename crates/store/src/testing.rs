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
            let dir = std::env::temp_dir().join("passerelle-tests");
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

/// The e-mail telling gestionnaires that an administrator joined, as tests
/// word it (the web layer words the real one).
pub fn admin_joined_notice(j: &crate::accounts::AdminJoined) -> (String, String) {
    (
        format!("admin joined {}", j.structure_nom),
        format!("{} joined as {}", j.person.email, j.role.code()),
    )
}
