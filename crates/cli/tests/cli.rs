//! The `passerelle` binary as a user runs it, on the back-end the
//! environment selects (see `passerelle_store::testing`).

use std::path::Path;
use std::process::{Command, Output};

use passerelle_store::testing::fresh_database_url;

#[path = "../../activities/tests/support/coop_builder.rs"]
mod coop_builder;
#[path = "../../activities/tests/support/cra_v1_builder.rs"]
mod cra_v1_builder;

const BIN: &str = env!("CARGO_BIN_EXE_passerelle");

fn run(database_url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("PASSERELLE_DATA_DIR")
        .output()
        .expect("run passerelle")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../store/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn help_is_written_for_a_user() {
    let o = Command::new(BIN).arg("--help").output().unwrap();
    let text = stdout(&o);
    assert!(o.status.success());
    for word in [
        "serve",
        "territories",
        "DATABASE_URL",
        "PASSERELLE_DATA_DIR",
    ] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
    let o = Command::new(BIN)
        .args(["territories", "--help"])
        .output()
        .unwrap();
    let text = stdout(&o);
    for word in ["import", "search", "commune", "epci", "summary"] {
        assert!(
            text.contains(word),
            "territories --help lacks {word}:\n{text}"
        );
    }
    let o = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(stdout(&o).contains("PASSERELLE_ADDR"));
}

/// Every command's help is French: clap's own words (headings, the help
/// flag, `[default: …]`) as well as ours.
#[test]
fn every_commands_help_is_in_french() {
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["territories", "import"],
        &["places", "import"],
        &["places", "export"],
        &["activities", "stats"],
        &["activities", "generate"],
        &["accounts", "create-admin"],
        &["accounts", "retention"],
        &["diagnostic"],
        &["diagnostic", "import"],
        &["referrals", "purge"],
        &["survey", "analyze"],
        &["survey", "publish"],
        &["network", "run"],
        &["backup"],
        &["restore"],
    ];
    let english = [
        "Usage:",
        "Options:",
        "Commands:",
        "Arguments:",
        "Print help",
        "[default:",
        "[env:",
        "Possible values",
        " the ",
        " of ",
        " to ",
        "Default:",
    ];
    for command in commands {
        let o = Command::new(BIN)
            .args(*command)
            .arg("--help")
            .output()
            .unwrap();
        assert!(o.status.success(), "{command:?}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(
            text.contains("Utilisation : passerelle"),
            "{command:?}:\n{text}"
        );
        assert!(text.contains("Affiche l’aide"), "{command:?}:\n{text}");
        for word in english {
            assert!(
                !text.contains(word),
                "{command:?} --help says {word:?}:\n{text}"
            );
        }
    }
    let o = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains(
            "Adresse et port d’écoute [variable : PASSERELLE_ADDR=] [par défaut : 127.0.0.1:8080]"
        ),
        "{}",
        stdout(&o)
    );
    let o = Command::new(BIN).args(["help", "backup"]).output().unwrap();
    assert!(
        stdout(&o).contains("Écrit une sauvegarde de la base"),
        "{}",
        stdout(&o)
    );
}

/// What stops `serve` from starting is said in French, naming the setting
/// to fix; an SMTP URL's password is never repeated.
#[tokio::test]
async fn serve_refuses_bad_settings_in_french() {
    let url = fresh_database_url().await;
    for (args, expected) in [
        (
            &["--smtp-url", "http://anne:secret@relais"][..],
            "PASSERELLE_SMTP_URL commence par http:// : écrivez smtp:// ou smtps://",
        ),
        (
            &["--smtp-url", "smtp://anne:secret@relais?tls=peut-être"][..],
            "PASSERELLE_SMTP_URL : tls=peut-être n’est ni starttls ni none",
        ),
        (
            &["--osrm-url", "https://osrm.exemple.fr"][..],
            "PASSERELLE_OSRM_URL « https://osrm.exemple.fr » : seul http://hôte:port est pris en charge",
        ),
        (
            &["--oidc-issuer", "https://auth.exemple.fr"][..],
            "ProConnect : définissez ensemble PASSERELLE_OIDC_ISSUER",
        ),
    ] {
        let o = run(
            &url,
            &[&["serve", "--addr", "127.0.0.1:0"][..], args].concat(),
        );
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(
            err.contains(&format!("passerelle : erreur : {expected}")),
            "{args:?}:\n{err}"
        );
        assert!(!err.contains("secret"), "{err}");
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = run(&url, &["serve", "--addr", &addr]);
    assert!(
        stderr(&o).contains(&format!("passerelle : erreur : impossible d’écouter sur {addr} : indiquez dans --addr ou PASSERELLE_ADDR une adresse libre")),
        "{}",
        stderr(&o)
    );
}

/// A database the store cannot use is said in French, with what to do.
#[test]
fn store_errors_are_said_in_french() {
    let o = run("mysql://base", &["territories", "summary"]);
    assert_eq!(
        stderr(&o).trim_end(),
        "passerelle : erreur : DATABASE_URL « mysql://base » n’est pas pris en charge : \
         écrivez postgres://utilisateur:mot-de-passe@hôte/base ou sqlite:chemin/du/fichier"
    );
    let dir = std::env::temp_dir().join(format!("passerelle-nodir-{}", std::process::id()));
    std::fs::write(&dir, "a file where a directory is expected").unwrap();
    let o = Command::new(BIN)
        .args(["territories", "summary"])
        .env_remove("DATABASE_URL")
        .env("PASSERELLE_DATA_DIR", dir.join("sous-dossier"))
        .output()
        .unwrap();
    std::fs::remove_file(&dir).unwrap();
    assert!(
        stderr(&o)
            .starts_with("passerelle : erreur : impossible de créer le répertoire de données"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test]
async fn a_new_database_gets_the_bretagne_reference_and_answers_lookups() {
    let url = fresh_database_url().await;
    let o = run(&url, &["territories", "search", "plouz"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("29212\tPlouzané"), "{}", stdout(&o));
    let o = run(&url, &["territories", "commune", "29232"]);
    assert!(
        stdout(&o).contains("CA Quimper Bretagne Occidentale (200068120)"),
        "{}",
        stdout(&o)
    );
    let o = run(&url, &["territories", "summary"]);
    assert!(
        stdout(&o).contains("53 Bretagne : 1202 communes"),
        "{}",
        stdout(&o)
    );
    let o = run(&url, &["territories", "epci", "200068120"]);
    assert!(stdout(&o).contains("29232\tQuimper"), "{}", stdout(&o));
}

#[tokio::test]
async fn import_is_idempotent() {
    let url = fresh_database_url().await;
    let file = fixture("france_sample.csv");
    let first = run(&url, &["territories", "import", &file]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).ends_with("10 lignes de communes lues, 7 nouvelles, 3 mises à jour\n"),
        "{}",
        stdout(&first)
    );
    let second = run(&url, &["territories", "import", &file]);
    assert!(
        stdout(&second).ends_with("10 lignes de communes lues, 0 nouvelles, 10 mises à jour\n"),
        "{}",
        stdout(&second)
    );
    let o = run(&url, &["territories", "search", "ajaccio"]);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
}

#[tokio::test]
async fn a_bad_file_is_one_line_naming_file_line_and_field() {
    let url = fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("passerelle-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("communes.csv");
    std::fs::write(
        &bad,
        "code,nom,departement,population\n29019,Brest,29,1\n29232,Quimper,29,beaucoup\n",
    )
    .unwrap();
    let o = run(&url, &["territories", "import", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let last = err.lines().last().unwrap();
    assert_eq!(
        last,
        format!(
            "passerelle : erreur : {}, ligne 3, champ « population » : « beaucoup » n’est pas un nombre",
            bad.display()
        )
    );
    // Nothing of the file was kept: Brest keeps its bundled population.
    let o = run(&url, &["territories", "commune", "29019"]);
    assert!(
        stdout(&o).contains("population :   142346"),
        "{}",
        stdout(&o)
    );

    let o = run(&url, &["territories", "import", "/nonexistent/file.csv"]);
    assert!(
        stderr(&o).contains("lecture impossible de /nonexistent/file.csv"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unwritable_data_dir_is_one_clear_line() {
    let o = Command::new(BIN)
        .args(["territories", "summary"])
        .env_remove("DATABASE_URL")
        .env("PASSERELLE_DATA_DIR", "/proc/passerelle")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "passerelle : erreur : impossible de créer le répertoire de données /proc/passerelle"
        ),
        "{err}"
    );
}

#[test]
fn a_wrong_command_line_is_refused_in_french() {
    let o = Command::new(BIN)
        .args(["territories", "search", "quimper", "--limit", "0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "passerelle : erreur : valeur « 0 » non acceptée pour --limit <LIMIT> : un nombre de résultats de 1 à 50 est attendu"
        ),
        "{err}"
    );
    let o = Command::new(BIN)
        .args(["territories", "chercher"])
        .output()
        .unwrap();
    assert!(
        stderr(&o).starts_with("passerelle : erreur : commande inconnue « chercher »"),
        "{}",
        stderr(&o)
    );
    let o = Command::new(BIN)
        .args(["territories", "search", "--help"])
        .output()
        .unwrap();
    assert!(stdout(&o).contains("Nombre maximal de résultats (1 à 50)"));
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let o = run(
        "postgres://passerelle:secret@127.0.0.1:1/passerelle",
        &["territories", "summary"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "impossible de se connecter à PostgreSQL (postgres://passerelle@127.0.0.1:1/passerelle)"
        ),
        "{err}"
    );
    assert!(
        err.contains("DATABASE_URL") && !err.contains("secret"),
        "{err}"
    );
}

#[tokio::test]
async fn a_reader_that_stops_early_is_not_an_error() {
    // `passerelle territories search plou | head -1`: the pipe closes early.
    let url = fresh_database_url().await;
    let mut child = Command::new(BIN)
        .args(["territories", "search", "plou", "--limit", "50"])
        .env("DATABASE_URL", &url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[tokio::test]
async fn places_export_then_import_is_lossless_and_bad_files_import_nothing() {
    let url = fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("passerelle-places-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exported = dir.join("lieux.csv");
    let o = run(
        &url,
        &["places", "export", "--output", exported.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("lieux écrits dans"), "{}", stdout(&o));
    let before = std::fs::read(&exported).unwrap();
    let o = run(&url, &["places", "import", exported.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(" 0 nouveaux, ") && stdout(&o).contains(" 0 fusionnés"),
        "{}",
        stdout(&o)
    );
    let again = dir.join("lieux2.csv");
    run(
        &url,
        &["places", "export", "--output", again.to_str().unwrap()],
    );
    assert_eq!(
        std::fs::read(&again).unwrap(),
        before,
        "export → import → export gives the same file"
    );

    // One invalid row: by default nothing is imported.
    let bad = dir.join("mauvais.csv");
    std::fs::write(
        &bad,
        "id,pivot,nom,commune,code_postal,adresse,date_maj\n\
         n1,123456789,Nouveau lieu,Brest,29200,1 rue,2024-01-01\n\
         n2,12,Lieu faux,Brest,29200,2 rue,2024-01-01\n",
    )
    .unwrap();
    let o = run(
        &url,
        &[
            "places",
            "import",
            bad.to_str().unwrap(),
            "--source",
            "essai",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("ligne 3, champ « pivot » : erreur (pattern)"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("rien n’est importé"), "{}", stderr(&o));
    let o = run(&url, &["places", "export", "--format", "json"]);
    assert!(!stdout(&o).contains("Nouveau lieu"));
    // With --skip-invalid the valid row goes in and the other is written out.
    let rejected = dir.join("rejets.csv");
    let o = run(
        &url,
        &[
            "places",
            "import",
            bad.to_str().unwrap(),
            "--source",
            "essai",
            "--skip-invalid",
            "--rejected",
            rejected.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(&rejected)
            .unwrap()
            .contains("Lieu faux")
    );
    let o = run(&url, &["places", "export", "--format", "geojson"]);
    assert!(
        stdout(&o).contains("Nouveau lieu")
            && stdout(&o).starts_with("{\"type\":\"FeatureCollection\""),
        "{}",
        &stdout(&o)[..100]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn places_real_world_files_report_corrections_merges_and_physical_lines() {
    let url = fresh_database_url().await;
    let file = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/places")
            .join(name)
            .display()
            .to_string()
    };
    let o = run(
        &url,
        &["places", "import", &file("national-ecarts-crlf.csv")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("ligne 5, champ « code_postal » : erreur (pattern)"),
        "{}",
        stdout(&o)
    );
    let dir = std::env::temp_dir().join(format!("passerelle-places-rw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rejected = dir.join("rejets.csv");
    let o = run(
        &url,
        &[
            "places",
            "import",
            &file("national-ecarts-crlf.csv"),
            "--skip-invalid",
            "--rejected",
            rejected.to_str().unwrap(),
        ],
    );
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    for expected in [
        "2 corrections : dates de mise à jour avec une heure",
        "lignes 2 et 3 : le même lieu, fusionnés (identifiants « e1 » (carto-29) et « e2 »",
        "3 lieux : 2 nouveaux, 0 mis à jour, 1 fusionnés",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
    // data·inclusion out, and back in: nothing new.
    let di = dir.join("data-inclusion.json");
    let o = run(
        &url,
        &[
            "places",
            "export",
            "--format",
            "data-inclusion",
            "--output",
            di.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&di).unwrap()).unwrap();
    let structures = doc["structures"].as_array().unwrap();
    assert_eq!(structures.len(), doc["services"].as_array().unwrap().len());
    assert!(
        structures.iter().any(|s| s["id"] == "carto-29--e1"),
        "the file's places are there with the bundled ones"
    );
    let o = run(&url, &["places", "import", &file("data-inclusion-v1.json")]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("1 lieux : 1 nouveaux"),
        "{}",
        stdout(&o)
    );
    let o = run(&url, &["places", "export", "--format", "json"]);
    assert!(
        stdout(&o).contains("\"typologie\":\"Autre|RELAIS_LECTURE|BIB|CSC|FABRIQUE\""),
        "{}",
        stdout(&o)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn activities_generate_import_and_count() {
    let url = fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("passerelle-activities-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("activites.csv");
    let o = run(
        &url,
        &[
            "activities",
            "generate",
            "--n",
            "500",
            "--seed",
            "9",
            "--year",
            "2025",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&url, &["activities", "import", file.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("500 activités importées"),
        "{} {}",
        stdout(&o),
        stderr(&o)
    );
    // The command closed its database: SQLite's write-ahead log was
    // checkpointed and removed, not left for the next start to read.
    if let Some(path) = url.strip_prefix("sqlite://") {
        let wal = format!("{path}-wal");
        assert!(!std::path::Path::new(&wal).exists(), "{wal} left behind");
    }
    let o = run(
        &url,
        &[
            "activities",
            "stats",
            "--territory",
            "reg:53",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--by",
            "total",
            "--format",
            "json",
        ],
    );
    assert!(stdout(&o).contains("\"records\":500"), "{}", stdout(&o));
    let o = run(
        &url,
        &[
            "activities",
            "stats",
            "--territory",
            "dep:29",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--by",
            "theme",
        ],
    );
    assert!(
        stdout(&o).starts_with("theme,personnes,pourcentage,fiches\nPrendre en main du matériel,"),
        "{}",
        stdout(&o)
    );

    // One bad line: nothing of the file goes in.
    let bad = dir.join("mauvais.csv");
    std::fs::write(&bad, "type,date,duree,themes\nindividuel,2025-03-02,30,Courriels\nindividuel,2025-03-02,30,Jardinage\n").unwrap();
    let o = run(&url, &["activities", "import", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("mauvais.csv, ligne 3, « themes »"),
        "{}",
        stdout(&o)
    );
    // A place the directory does not have: refused before anything is
    // written, naming the line (it was a foreign-key failure).
    let unknown = dir.join("lieu-inconnu.csv");
    std::fs::write(
        &unknown,
        "type,date,duree,lieu,themes
individuel,2025-03-02,30,domicile,Courriels
individuel,2025-03-02,30,lieu:999999,Courriels
",
    )
    .unwrap();
    let o = run(&url, &["activities", "import", unknown.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("ligne 3, « lieu » : aucun lieu n° 999999 dans l’annuaire"),
        "{} {}",
        stdout(&o),
        stderr(&o)
    );
    // A bad line after a first chunk of 20,000 records was handed to the
    // store (written in the transaction): rolled back, nothing imported.
    let large = dir.join("grand.csv");
    run(
        &url,
        &[
            "activities",
            "generate",
            "--n",
            "20500",
            "--output",
            large.to_str().unwrap(),
        ],
    );
    let mut text = std::fs::read_to_string(&large).unwrap();
    text.push_str("individuel,2025-03-02,30,domicile,,,1,,,,,Jardinage,,,,,,,\n");
    std::fs::write(&large, text).unwrap();
    let o = run(&url, &["activities", "import", large.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("grand.csv, ligne 20502, « themes »"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("rien n’est importé"), "{}", stderr(&o));
    let o = run(
        &url,
        &[
            "activities",
            "stats",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--by",
            "total",
            "--format",
            "json",
        ],
    );
    assert!(
        stdout(&o).contains("\"records\":500"),
        "unchanged: {}",
        stdout(&o)
    );
    let o = run(
        &url,
        &[
            "activities",
            "stats",
            "--territory",
            "dep",
            "--from",
            "x",
            "--to",
            "y",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    std::fs::remove_dir_all(dir).unwrap();
}

/// Files rebuilt from the writers' code: the Coop's export (XLSX, then
/// the same saved as CSV, then an overlapping coordinator's export) and
/// the CRA v1 reports (the Coop's dump, then its JSON:API archive).
#[tokio::test]
async fn activities_from_the_coop_and_cra_v1_exports() {
    use coop_builder::{Builder, Exporter, activities, build, to_csv, to_xlsx};
    let url = fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("passerelle-coop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let generated = chrono::NaiveDate::from_ymd_opt(2025, 10, 1)
        .unwrap()
        .and_hms_opt(8, 30, 0)
        .unwrap();
    let all = activities(Builder::Sep2025);
    let own = build(Builder::Sep2025, Exporter::Mediator, true, &all, generated);
    let team = build(
        Builder::Sep2025,
        Exporter::Coordinator,
        true,
        &all[1..],
        generated,
    );
    let xlsx = write(
        "coop-numerique_accompagnements_2025-10-01.xlsx",
        &to_xlsx(&own),
    );
    let csv = write("accompagnements.csv", &to_csv(&own, ';', true));
    let overlapping = write("equipe.csv", &to_csv(&team, ',', false));
    let dump = write(
        "cras_v1.csv",
        &cra_v1_builder::to_dump_csv(&cra_v1_builder::reports()),
    );
    let archive = write(
        "cras_v1.json",
        &cra_v1_builder::to_json_api_pages(&cra_v1_builder::reports(), 2),
    );
    let import = |file: &str| {
        let o = run(&url, &["activities", "import", file]);
        assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
        stdout(&o)
    };
    let total = |territory: &str| {
        let o = run(
            &url,
            &[
                "activities",
                "stats",
                "--territory",
                territory,
                "--from",
                "2023-01-01",
                "--to",
                "2025-12-31",
                "--by",
                "total",
                "--format",
                "json",
            ],
        );
        stdout(&o)
    };
    let out = import(&xlsx);
    assert!(
        out.contains("une ligne par personne, d’un médiateur"),
        "{out}"
    );
    assert!(
        out.contains("colonnes non lues")
            && out.contains("Bénéficiaire,")
            && out.contains("Notes supplémentaires"),
        "{out}"
    );
    // 11 lines, 5 activities: the workshop of five is one record.
    assert!(out.contains("5 activités importées"), "{out}");
    assert!(
        total("all").contains("\"people\":11,\"records\":5,"),
        "{}",
        total("all")
    );
    // Again, as XLSX, as CSV, and a coordinator's overlapping export.
    for file in [&xlsx, &csv] {
        let out = import(file);
        assert!(
            out.contains("0 activités importées, 0 mises à jour, 5 déjà importées"),
            "{out}"
        );
    }
    let out = import(&overlapping);
    assert!(out.contains("d’un coordinateur"), "{out}");
    assert!(
        out.contains("0 activités importées, 0 mises à jour, 4 déjà importées"),
        "{out}"
    );
    assert!(
        total("all").contains("\"people\":11,"),
        "nothing twice: {}",
        total("all")
    );

    // The CRA v1 reports: the first is the original of the Coop's V1
    // workshop, already counted.
    let out = import(&dump);
    assert!(
        out.contains(
            "3 activités importées, 0 mises à jour, 0 déjà importées et inchangées, 1 déjà comptées"
        ),
        "{out}"
    );
    assert!(
        out.contains("1 enregistrements dans une commune hors du référentiel territorial chargé, comptés au niveau national seulement : ligne 5 (commune 01004)"),
        "{out}"
    );
    assert!(out.contains("plusieurs personnes"), "{out}");
    let out = import(&archive);
    assert!(
        out.contains("0 activités importées, 0 mises à jour, 4 déjà importées"),
        "{out}"
    );
    // Finistère: the Coop's Quimper (1), Brest at home (1) and V1 workshop
    // (3), and the v1 remote report of a Quimper resident (1).
    assert!(
        total("dep:29").contains("\"people\":6,"),
        "{}",
        total("dep:29")
    );
    assert!(
        total("all").contains("\"people\":19,"),
        "11 + 1 + 1 + 6: {}",
        total("all")
    );

    // A wrong line: its line in the file, nothing imported.
    let broken = write(
        "casse.csv",
        &String::from_utf8(to_csv(&own, ';', true))
            .unwrap()
            .replace("E-mail", "Astronomie")
            .into_bytes(),
    );
    let o = run(&url, &["activities", "import", &broken]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o)
            .contains("casse.csv, ligne 28, « Thématique(s) d’accompagnement » : « Astronomie »"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("rien n’est importé"), "{}", stderr(&o));
    // Forced to the wrong format: the missing column named.
    let o = run(&url, &["activities", "import", "--format", "cra-v1", &csv]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("« ageMoins12Ans » : colonne absente"),
        "{}",
        stderr(&o)
    );
    assert!(total("all").contains("\"people\":19,"), "{}", total("all"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn referrals_purge_runs_and_says_what_it_did() {
    let url = fresh_database_url().await;
    let o = run(&url, &["referrals", "purge", "--retention-months", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "0 relances envoyées, 0 orientations expirées, 0 closes sans suite, \
         0 demandes « situation complexe » closes, 0 effacées\n"
    );
    let o = run(&url, &["referrals", "purge", "--expiry-days", "soon"]);
    assert_eq!(o.status.code(), Some(2), "a clear usage error");
    let o = run(
        &url,
        &[
            "referrals",
            "purge",
            "--no-outcome-days",
            "15",
            "--request-idle-days",
            "30",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[tokio::test]
async fn accounts_retention_runs_and_says_what_it_did() {
    let url = fresh_database_url().await;
    let o = run(&url, &["accounts", "retention", "--ip-months", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "0 lignes du journal ont eu leur adresse IP remplacée par un pseudonyme, 0 leur adresse saisie ; \
         0 anciens courriels supprimés\n"
    );
    let o = run(&url, &["accounts", "retention", "--outbox-months", "never"]);
    assert_eq!(o.status.code(), Some(2), "a clear usage error");
}

#[tokio::test]
async fn the_first_administrators_link_leads_where_the_server_listens() {
    let url = fresh_database_url().await;
    let create_admin = |email: &str, extra: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .args(["accounts", "create-admin", "--email", email])
            .args(extra)
            .env("DATABASE_URL", &url)
            .env_remove("PASSERELLE_ADDR")
            .env_remove("PASSERELLE_PUBLIC_URL");
        command
    };
    // Neither address nor public URL: where `serve` listens by default.
    let o = create_admin("defaut@hub.bzh", &[]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("http://127.0.0.1:8080/invitation/"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).starts_with("Invitation de defaut@hub.bzh, administrateur"));
    let o = create_admin("admin@hub.bzh", &[])
        .env("PASSERELLE_ADDR", "127.0.0.1:8999")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("http://127.0.0.1:8999/invitation/"),
        "{}",
        stdout(&o)
    );
    // --addr, as `serve --addr` takes it, wins over the environment.
    let o = create_admin("option@hub.bzh", &["--addr", "0.0.0.0:9100"])
        .env("PASSERELLE_ADDR", "127.0.0.1:8999")
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("http://0.0.0.0:9100/invitation/"),
        "{}",
        stdout(&o)
    );
    let o = create_admin("faux@hub.bzh", &["--addr", "quelque part"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("valeur « quelque part » non acceptée pour --addr"),
        "{}",
        stderr(&o)
    );
    let o = Command::new(BIN)
        .args(["accounts", "create-admin", "--email", "autre@hub.bzh"])
        .env("DATABASE_URL", &url)
        .env("PASSERELLE_ADDR", "127.0.0.1:8999")
        .env("PASSERELLE_PUBLIC_URL", "https://passerelle.hub.bzh")
        .output()
        .unwrap();
    assert!(stdout(&o).contains("https://passerelle.hub.bzh/invitation/"));
}

/// `activities stats` at any grain: a range of days, a territory, filters
/// combined and a crosstab answer what a plain count of the imported file
/// gives, line by line.
#[tokio::test]
async fn activities_stats_equal_a_count_of_the_imported_file() {
    use std::collections::BTreeMap;
    let url = fresh_database_url().await;
    let dir = std::env::temp_dir().join(format!("passerelle-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("activites.csv");
    let path = file.to_str().unwrap();
    let o = run(
        &url,
        &[
            "activities",
            "generate",
            "--n",
            "4000",
            "--seed",
            "3",
            "--output",
            path,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&url, &["activities", "import", path]);
    assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
    let stats = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["activities", "stats", "--format", "json"];
        all.extend(args);
        let o = run(&url, &all);
        assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    // The file, read on its own: (date, département, type, themes, ages).
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let lines: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let in_days = |l: &csv::StringRecord, from: &str, to: &str| {
        let d = &l[col("date")];
        d >= from && d <= to
    };

    // Three days, nothing else.
    let answer = stats(&["--from", "2025-03-10", "--to", "2025-03-12", "--by", "jour"]);
    let days: BTreeMap<String, u64> = lines
        .iter()
        .filter(|l| in_days(l, "2025-03-10", "2025-03-12"))
        .fold(BTreeMap::new(), |mut m, l| {
            *m.entry(l[col("date")].to_string()).or_default() += 1;
            m
        });
    assert_eq!(days.len(), 3);
    let got: BTreeMap<String, u64> = answer["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["jour"].as_str().unwrap().to_string(),
                c["records"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, days);
    assert_eq!(
        answer["records"].as_u64().unwrap(),
        days.values().sum::<u64>()
    );

    // Workshops of Finistère in spring, themes × ages.
    let answer = stats(&[
        "--territory",
        "dep:29",
        "--from",
        "2025-03-01",
        "--to",
        "2025-05-31",
        "--by",
        "theme,age",
        "--where",
        "type=atelier",
    ]);
    let mut expected: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for l in &lines {
        if !l[col("commune")].starts_with("29")
            || &l[col("type")] != "atelier"
            || !in_days(l, "2025-03-01", "2025-05-31")
        {
            continue;
        }
        for theme in l[col("themes")].split('|') {
            for pair in l[col("ages")].split('|') {
                let (bracket, n) = pair.rsplit_once(':').unwrap();
                let seed = passerelle_activities::vocab::seed_bracket(bracket).unwrap();
                let cell = expected
                    .entry((theme.to_string(), seed.to_string()))
                    .or_default();
                cell.0 += n.parse::<u64>().unwrap();
                cell.1 += 1;
            }
        }
    }
    assert!(expected.len() > 5);
    let got: BTreeMap<(String, String), (u64, u64)> = answer["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                (
                    c["theme"].as_str().unwrap().to_string(),
                    c["age"].as_str().unwrap().to_string(),
                ),
                (
                    c["people"].as_u64().unwrap(),
                    c["records"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, expected);

    // A commune's small cells read "< 5" in CSV.
    let commune = format!("com:{}", &lines[0][col("commune")]);
    let o = run(
        &url,
        &[
            "activities",
            "stats",
            "--territory",
            &commune,
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--by",
            "theme",
        ],
    );
    assert!(stdout(&o).contains(",< 5,"), "{}", stdout(&o));
    // Unreadable questions are refused in French, naming the field.
    let o = run(
        &url,
        &[
            "activities",
            "stats",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--where",
            "type",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("filtre « type »"), "{}", stderr(&o));
    let o = run(
        &url,
        &[
            "activities",
            "stats",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--where",
            "type=sieste",
        ],
    );
    assert!(
        stderr(&o).contains("« sieste » n’est pas une valeur de « type »"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
