//! Operating Passerelle: `passerelle backup` and `passerelle restore`, the
//! log format, and the messages, in French, of what stops a database from
//! being used (a schema newer than this binary). The work is in
//! `passerelle_store::backup`; this module parses, reports and explains.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::Args;
use passerelle_store::backup::{self, BackupError, Manifest, NotABackup};
use passerelle_store::{Database, StoreError};
use passerelle_web::fr_number;

use crate::ReferralPeriods;

#[derive(Args)]
pub(crate) struct BackupArgs {
    /// Archive à écrire (remplacée si elle existe, une fois seulement la
    /// nouvelle complète). Elle contient des données personnelles : elle
    /// n’est lisible que par son propriétaire.
    #[arg(long)]
    output: PathBuf,
}

#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// Archive écrite par `passerelle backup`.
    file: PathBuf,
    /// Remplace une base qui n’est pas vide (SQLite : le fichier en place
    /// est gardé à côté, renommé ; PostgreSQL : ses tables sont supprimées
    /// dans la transaction de la restauration). Arrêtez d’abord le serveur.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    referral_periods: ReferralPeriods,
    #[command(flatten)]
    retention: crate::RetentionArgs,
}

/// Logs: text for a person at a terminal, JSON lines otherwise (journald,
/// files), or as `PASSERELLE_LOG_FORMAT` (`text` or `json`) says. Colours
/// only on a terminal.
pub(crate) fn init_logging() -> Result<()> {
    let terminal = std::io::stderr().is_terminal();
    let json = match std::env::var("PASSERELLE_LOG_FORMAT").ok().as_deref() {
        None | Some("") => !terminal,
        Some("json") => true,
        Some("text") => false,
        Some(other) => {
            return Err(anyhow!(
                "PASSERELLE_LOG_FORMAT={other:?} n’est pas un format de journal : « text » ou « json »"
            ));
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(terminal && !json);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
    Ok(())
}

/// A store error as the operator should read it: in French, saying what
/// to do when it forbids using the database at all.
pub(crate) fn explain_open(error: StoreError) -> anyhow::Error {
    anyhow!(store_message(&error))
}

/// Every store error in French (the store speaks types; its English
/// `Display` is for logs).
fn store_message(error: &StoreError) -> String {
    match error {
        StoreError::SchemaTooNew { database, known } => format!(
            "la base de données a été mise à jour par une version plus récente de Passerelle \
             (migration {database} ; cette version-ci, {}, ne connaît que jusqu’à la migration {known}). \
             Elle n’a pas été modifiée. Installez la version de Passerelle qui l’a mise à jour, \
             ou restaurez une sauvegarde faite avec cette version-ci (passerelle restore)",
            env!("CARGO_PKG_VERSION")
        ),
        StoreError::UnsupportedUrl(url) => format!(
            "DATABASE_URL « {url} » n’est pas pris en charge : écrivez postgres://utilisateur:mot-de-passe@hôte/base ou sqlite:chemin/du/fichier"
        ),
        StoreError::DataDir { path, reason } => format!(
            "impossible de créer le répertoire de données {} : {reason} ; indiquez dans PASSERELLE_DATA_DIR un répertoire où écrire",
            path.display()
        ),
        StoreError::SqliteOpen { path, reason } => format!(
            "impossible d’ouvrir la base SQLite {} : {reason} ; vérifiez que le fichier et son répertoire sont accessibles en écriture, ou indiquez PASSERELLE_DATA_DIR",
            path.display()
        ),
        StoreError::PostgresConnect { location, reason } => format!(
            "impossible de se connecter à PostgreSQL ({location}) : {reason} ; vérifiez DATABASE_URL et que le serveur tourne"
        ),
        StoreError::Migration(reason) => {
            format!("impossible de mettre à jour le schéma de la base : {reason}")
        }
        // Already French: file, line and field.
        StoreError::Import(e) => e.to_string(),
        StoreError::Database(e) => format!(
            "erreur de la base de données : {}",
            passerelle_store::root_cause(e)
        ),
        StoreError::UnknownPlace(id) => format!("aucun lieu n° {id} dans l’annuaire"),
        StoreError::Corrupt(what) => format!(
            "un enregistrement de la base ne peut pas être lu ({what}) : restaurez une sauvegarde ou signalez-le"
        ),
    }
}

/// `error` as the operator reads it after `passerelle : erreur :`: its
/// contexts then its cause, a store error in French (and not followed by
/// the driver's error it wraps, already said).
pub(crate) fn error_message(error: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in error.chain() {
        if let Some(store) = cause.downcast_ref::<StoreError>() {
            parts.push(store_message(store));
            break;
        }
        parts.push(cause.to_string());
    }
    parts.join(" : ")
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} Mo", bytes as f64 / 1e6).replace('.', ",")
}

/// `2026-12-06T03:14:05Z` → `2026-12-06 à 03:14:05 UTC`.
fn when(iso: &str) -> String {
    iso.trim_end_matches('Z').replacen('T', " à ", 1) + " UTC"
}

fn describe(manifest: &Manifest, out: &mut String) -> Result<()> {
    writeln!(
        out,
        "  base {}, schéma à la migration {} ({}), Passerelle {}, prise le {}",
        manifest.backend,
        manifest.migration,
        manifest.migration_description,
        manifest.passerelle_version,
        when(&manifest.created_at)
    )?;
    writeln!(
        out,
        "  {} lignes dans {} tables, {}, SHA-256 {}",
        fr_number(manifest.rows()),
        manifest.tables.len(),
        megabytes(manifest.bytes),
        manifest.sha256
    )?;
    Ok(())
}

/// `passerelle backup`.
pub(crate) async fn backup(db: &Database, args: BackupArgs, out: &mut String) -> Result<()> {
    let started = std::time::Instant::now();
    let manifest = db
        .backup(&args.output)
        .await
        .map_err(|e| explain(e, &args.output, None))?;
    writeln!(
        out,
        "Sauvegarde écrite dans {} en {:.1} s :",
        args.output.display(),
        started.elapsed().as_secs_f64()
    )?;
    describe(&manifest, out)
}

/// `passerelle restore`: checked, migrated, the retention jobs run, and
/// only then in place.
pub(crate) async fn restore(url: &str, args: RestoreArgs, out: &mut String) -> Result<()> {
    let started = std::time::Instant::now();
    let target = passerelle_store::redact(url);
    let restoring = backup::restore(&args.file, url, args.force)
        .await
        .map_err(|e| explain(e, &args.file, Some(&target)))?;
    // Personal data past its retention period is erased before the
    // database can serve again: a restored old backup must not bring it back.
    if !crate::jobs::run_retention(
        restoring.database(),
        args.referral_periods.periods(),
        args.retention.retention(),
    )
    .await
    {
        restoring.abandon().await;
        return Err(anyhow!(
            "les tâches d’effacement des données personnelles ont échoué sur la base restaurée \
             (voir le journal ci-dessus) : restauration abandonnée"
        ));
    }
    let restored = restoring
        .finish()
        .await
        .map_err(|e| explain(e, &args.file, Some(&target)))?;
    writeln!(
        out,
        "Sauvegarde {} restaurée dans {target} en {:.1} s (sommes de contrôle et nombres de lignes vérifiés, \
         migrations appliquées, effacements dus faits) :",
        args.file.display(),
        started.elapsed().as_secs_f64()
    )?;
    describe(&restored.manifest, out)?;
    if let Some(aside) = restored.set_aside {
        writeln!(
            out,
            "La base qui était là est conservée sous {} : supprimez-la quand vous n’en avez plus besoin.",
            aside.display()
        )?;
    }
    Ok(())
}

/// A backup or restore failure, in French, saying what to do.
fn explain(error: BackupError, file: &std::path::Path, target: Option<&str>) -> anyhow::Error {
    let file = file.display();
    match error {
        BackupError::Store(e) => explain_open(e),
        BackupError::Io { path, source } => {
            anyhow!("{} : {source}", path.display())
        }
        BackupError::ToolMissing { tool } => anyhow!(
            "{tool} est introuvable : installez le client PostgreSQL de la version du serveur ou plus récent \
             (Debian : apt-get install postgresql-client), puis relancez la commande. \
             Sans lui, une copie se fait à la main avec : pg_dump --format=custom --file=passerelle.pgdump \"$DATABASE_URL\" \
             (à restaurer avec pg_restore)"
        ),
        BackupError::ToolFailed { tool, message } => anyhow!("{tool} a échoué : {message}"),
        BackupError::NotABackup { reason, .. } => {
            let reason = match reason {
                NotABackup::Unreadable(e) => format!("archive illisible : {e}"),
                NotABackup::Empty => "archive vide".to_string(),
                NotABackup::NoManifest => "manifest.json n’est pas en tête".to_string(),
                NotABackup::BadManifest(e) => format!("manifeste illisible : {e}"),
                NotABackup::UnknownFormat => "format inconnu".to_string(),
                NotABackup::MissingDatabase(name) => format!("{name} n’y est pas"),
            };
            anyhow!("{file} n’est pas une sauvegarde de Passerelle ({reason})")
        }
        BackupError::UnknownFormat(v) => anyhow!(
            "{file} est une sauvegarde au format {v}, plus récent que cette version de Passerelle ne sait lire : \
             restaurez-la avec la version qui l’a faite"
        ),
        BackupError::Checksum { expected, found } => anyhow!(
            "{file} est abîmée : la somme SHA-256 de la base ({found}) n’est pas celle du manifeste ({expected}). \
             Rien n’a été restauré ; prenez une autre copie de la sauvegarde"
        ),
        BackupError::Counts {
            table,
            expected,
            found,
        } => anyhow!(
            "{file} : la table {table} restaurée compte {found} lignes, le manifeste en annonce {expected}. \
             Rien n’a été restauré"
        ),
        BackupError::Integrity(detail) => anyhow!(
            "{file} : la base restaurée échoue au contrôle d’intégrité ({detail}). Rien n’a été restauré"
        ),
        BackupError::TargetNotEmpty { tables } => anyhow!(
            "la base de destination {} n’est pas vide ({tables} tables) : rien n’a été restauré. \
             Restaurez dans un répertoire de données ou une base vide, ou ajoutez --force pour la remplacer \
             (arrêtez d’abord le serveur)",
            target.unwrap_or("")
        ),
        BackupError::BackendMismatch { backup, target } => anyhow!(
            "{file} est une sauvegarde {backup} : elle se restaure dans une base {backup}, pas {}",
            target.name()
        ),
        BackupError::NewerSchema { backup, known } => anyhow!(
            "{file} vient d’une version plus récente de Passerelle (migration {backup} ; cette version-ci ne connaît \
             que jusqu’à la {known}) : restaurez-la avec cette version-là ou une plus récente"
        ),
    }
}
