//! Operating the `passerelle` binary, on the back-end the environment
//! selects: backup and restore as an operator runs them, the erasure of
//! personal data past its retention on restore, the refusal of a database
//! newer than the binary, and the log format.

use std::path::PathBuf;
use std::process::{Command, Output};

use chrono::{Duration, Utc};
use passerelle_referrals::lifecycle::{Side, Step};
use passerelle_store::Database;
use passerelle_store::referrals::Actor;
use passerelle_store::testing::{
    fresh_database_url, mark_newer_schema, sample_referral, two_structures,
};

const BIN: &str = env!("CARGO_BIN_EXE_passerelle");

fn run(database_url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("PASSERELLE_DATA_DIR")
        .env_remove("PASSERELLE_LOG_FORMAT")
        .output()
        .expect("run passerelle")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn archive(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("passerelle-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!(
        "cli-{name}-{}-{}.tar",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap()
    ))
}

/// A database with two referrals: one closed eight months ago (its person
/// due for erasure), one sent today.
async fn with_referrals(url: &str) -> (i64, i64, i64, i64) {
    let db = Database::open(url).await.unwrap();
    db.load_bundled_reference().await.unwrap();
    let people = two_structures(&db).await;
    let (parties, sender, ccas) = (people.parties(), people.social_worker, people.ccas);
    let referral = |at| sample_referral(sender, 1, at);
    let long_ago = Utc::now() - Duration::days(240);
    let (old, _) = db
        .create_referral(&referral(long_ago), parties, None, long_ago)
        .await
        .unwrap();
    let sender_side = Actor {
        person_id: Some(sender),
        side: Side::Sender,
    };
    db.referral_step(old, 1, &Step::Cancel, sender_side, long_ago)
        .await
        .unwrap();
    let (recent, _) = db
        .create_referral(&referral(Utc::now()), parties, None, Utc::now())
        .await
        .unwrap();
    db.close().await;
    (old, recent, sender, ccas)
}

#[tokio::test]
async fn backup_then_restore_erases_what_is_past_its_retention() {
    let source = fresh_database_url().await;
    let (old, recent, reader, structure) = with_referrals(&source).await;
    let file = archive("sauvegarde");
    let o = run(&source, &["backup", "--output", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let said = text(&o.stdout);
    assert!(said.starts_with("Sauvegarde écrite dans"), "{said}");
    assert!(said.contains("SHA-256"), "{said}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only: {mode:o}");
    }

    let target = fresh_database_url().await;
    let o = run(&target, &["restore", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("restaurée"), "{}", text(&o.stdout));
    let restored = Database::open(&target).await.unwrap();
    let erased = restored.referral(old).await.unwrap().unwrap();
    assert!(erased.erased_at.is_some(), "erased before serving");
    assert!(
        restored
            .referral_person(old, reader, structure, "test")
            .await
            .unwrap()
            .is_none()
    );
    let kept = restored
        .referral_person(recent, reader, structure, "test")
        .await
        .unwrap()
        .expect("a recent referral keeps its person");
    assert_eq!(kept.person.first_name, "Personne 1");
    restored.close().await;
    // The source itself was only read.
    let source_db = Database::open(&source).await.unwrap();
    assert!(
        source_db
            .referral(old)
            .await
            .unwrap()
            .unwrap()
            .erased_at
            .is_none()
    );
    source_db.close().await;

    // Again into the same place: refused, in French, nothing changed.
    let o = run(&target, &["restore", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let error = text(&o.stderr);
    assert!(error.contains("n’est pas vide"), "{error}");
    assert!(error.contains("--force"), "{error}");
    let o = run(&target, &["restore", "--force", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    if let Some(kept) = text(&o.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("La base qui était là est conservée sous "))
    {
        let path = kept.split(" : ").next().unwrap();
        assert!(std::path::Path::new(path).exists(), "{path}");
        let _ = std::fs::remove_file(path);
    }

    // Not a backup.
    let junk = archive("pas-une-sauvegarde");
    std::fs::write(&junk, "bonjour").unwrap();
    let o = run(
        &fresh_database_url().await,
        &["restore", junk.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("n’est pas une sauvegarde de Passerelle (archive illisible"),
        "{}",
        text(&o.stderr)
    );
    for f in [file, junk] {
        let _ = std::fs::remove_file(f);
    }
}

#[tokio::test]
async fn every_command_refuses_a_database_newer_than_itself() {
    let url = fresh_database_url().await;
    let db = Database::open(&url).await.unwrap();
    let newer = mark_newer_schema(&db).await;
    db.close().await;
    for args in [
        &["serve", "--addr", "127.0.0.1:0"][..],
        &["territories", "summary"],
        &["backup", "--output", "/nonexistent/never.tar"],
    ] {
        let o = run(&url, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let error = text(&o.stderr);
        assert!(
            error.contains("version plus récente de Passerelle")
                && error.contains(&format!("migration {newer}")),
            "{args:?}: {error}"
        );
        assert!(!error.contains("previously applied"), "{error}");
    }
}

#[tokio::test]
async fn logs_are_json_lines_without_colours_off_a_terminal() {
    // An empty database: loading the bundled reference is logged.
    let url = fresh_database_url().await;
    let o = run(&url, &["territories", "summary"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let log = text(&o.stderr);
    assert!(!log.is_empty());
    assert!(!log.contains('\u{1b}'), "no ANSI codes: {log:?}");
    for line in log.lines() {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(
            event["level"].is_string() && event["message"].is_string(),
            "{line}"
        );
    }

    let url = fresh_database_url().await;
    let o = Command::new(BIN)
        .args(["territories", "summary"])
        .env("DATABASE_URL", &url)
        .env("PASSERELLE_LOG_FORMAT", "text")
        .output()
        .unwrap();
    let log = text(&o.stderr);
    assert!(log.contains("référentiel breton intégré chargé"), "{log}");
    assert!(!log.contains('\u{1b}') && !log.starts_with('{'), "{log:?}");

    let o = Command::new(BIN)
        .args(["territories", "summary"])
        .env("DATABASE_URL", &url)
        .env("PASSERELLE_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("PASSERELLE_LOG_FORMAT"),
        "{}",
        text(&o.stderr)
    );
}
