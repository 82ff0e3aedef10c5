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

/// Two structures and a person in each, for tests of Orientations and of
/// what keeps them (backups).
#[derive(Debug, Clone, Copy)]
pub struct TwoStructures {
    /// CCAS de Quimper, and Anne who works there.
    pub ccas: i64,
    pub social_worker: i64,
    /// Médiathèque de Brest, and Malo.
    pub mediatheque: i64,
    pub mediator: i64,
}

impl TwoStructures {
    /// A referral from the CCAS to the médiathèque, sent by Anne.
    pub fn parties(&self) -> crate::referrals::Parties {
        crate::referrals::Parties {
            sender_structure: self.ccas,
            sender_person: self.social_worker,
            receiver_structure: self.mediatheque,
        }
    }
}

/// Creates the structures and people of [`TwoStructures`] (the database
/// holds the bundled reference).
pub async fn two_structures(db: &Database) -> TwoStructures {
    use passerelle_accounts::{Role, StructureKind};
    let structure = |nom, kind, commune| async move {
        db.create_structure(&crate::accounts::NewStructure {
            nom,
            kind,
            siret: None,
            commune_code: Some(commune),
        })
        .await
        .expect("structure written")
        .expect("a new structure")
    };
    let ccas = structure("CCAS de Quimper", StructureKind::Ccas, "29232").await;
    let mediatheque = structure("Médiathèque de Brest", StructureKind::Mediatheque, "29019").await;
    let person = |email, name, structure| async move {
        db.create_person_with_role(email, name, None, structure, Role::Membre, &[])
            .await
            .expect("person written")
    };
    TwoStructures {
        ccas,
        social_worker: person("as@ccas.bzh", "Anne", ccas).await,
        mediatheque,
        mediator: person("med@brest.bzh", "Malo", mediatheque).await,
    }
}

/// A referral as the sender enters it, the person's fields numbered `n`,
/// consent given by `by` at `at`.
pub fn sample_referral(
    by: i64,
    n: usize,
    at: chrono::DateTime<chrono::Utc>,
) -> passerelle_referrals::model::NewReferral {
    use passerelle_referrals::model::{Consent, NewReferral, Person};
    NewReferral {
        place_id: None,
        structure_id: None,
        service: "Aide aux démarches administratives".into(),
        organisation: Some("CAF".into()),
        situation: format!("Situation n° {n}"),
        urgency: "normale".into(),
        availability: "Mardi matin".into(),
        person: Person {
            first_name: format!("Personne {n}"),
            channel: "telephone".into(),
            contact: format!("06 00 00 {:02} {:02}", n / 100 % 100, n % 100),
            caf_number: None,
            france_travail_number: None,
        },
        consent: Some(Consent {
            informed_by: by,
            at,
            how: Some(passerelle_referrals::model::ConsentWay::Oral),
        }),
    }
}

/// Records in `db` a migration newer than this binary knows, as a newer
/// Passerelle would have; returns its number.
pub async fn mark_newer_schema(db: &Database) -> i64 {
    let newer = crate::latest_known_migration(db.backend()) + 1;
    let checksum = match db.backend() {
        crate::Backend::Sqlite => "X'00'",
        crate::Backend::Postgres => "'\\x00'::bytea",
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ({newer}, 'from a newer Passerelle', TRUE, {checksum}, 1)"
    )))
    .execute(db.pool())
    .await
    .expect("migration row written");
    newer
}
