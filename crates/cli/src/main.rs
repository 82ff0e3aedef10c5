//! `passerelle`: the command line and HTTP server of Passerelle. Thin: it
//! reads the configuration, opens the database, and calls the library crates.

mod diagnostic;
mod jobs;
mod ops;

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_territory::parse_reference_file;
use passerelle_web::mailer::SmtpConfig;
use passerelle_web::{AppState, Assets, WebConfig};

mod survey;

/// Passerelle: the information system of a territory's digital-inclusion
/// ecosystem (help places, mediators' activity, referrals, needs diagnostic,
/// surveys), on the official territorial reference.
///
/// With no configuration, data lives in an SQLite file under ./passerelle-data,
/// filled with the bundled Bretagne reference on first use.
#[derive(Parser)]
#[command(name = "passerelle", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    storage: StorageArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct StorageArgs {
    /// Database to use: postgres://user:password@host/database, or
    /// sqlite:path/to/file. Default: an SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Directory for the embedded SQLite database.
    #[arg(
        long,
        env = "PASSERELLE_DATA_DIR",
        global = true,
        default_value = "passerelle-data"
    )]
    data_dir: PathBuf,
    /// Address people reach Passerelle at, for the links in e-mails
    /// (invitations, password resets). Cookies are marked Secure when it is
    /// https://. Default: http:// and the listening address.
    #[arg(long, env = "PASSERELLE_PUBLIC_URL", global = true)]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (pages, JSON API under /api/v1).
    Serve(ServeArgs),
    /// Consult and load the territorial reference (régions, départements,
    /// EPCI, communes).
    #[command(subcommand)]
    Territories(TerritoriesCommand),
    /// Help places in the national standard of digital-mediation places:
    /// import and export.
    #[command(subcommand)]
    Places(PlacesCommand),
    /// The mediators' activity records: import, statistics, test data.
    #[command(subcommand)]
    Activities(ActivitiesCommand),
    /// Manage accounts from the command line (the first administrator).
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// The PORTREA portrait of a territory: needs (official data) against
    /// the help offered (places), distances, coverage, priorities.
    Diagnostic(diagnostic::DiagnosticArgs),
    /// Orientations: the deadlines job, also run hourly by `serve`.
    #[command(subcommand)]
    Referrals(ReferralsCommand),
    /// Questionnaires and the analysis of their responses (no database).
    #[command(subcommand)]
    Survey(survey::SurveyCommand),
    /// Write a backup of the database (one archive with a manifest) while
    /// the server keeps running.
    Backup(ops::BackupArgs),
    /// Restore a backup into an empty database: checked, upgraded to this
    /// version's schema, personal data past its retention erased, then put
    /// in place.
    Restore(ops::RestoreArgs),
}

#[derive(Subcommand)]
enum ReferralsCommand {
    /// Sends the reminders due, expires referrals left without action and
    /// erases the person's fields of those closed for longer than the
    /// retention period. Safe to run any number of times.
    Purge(ReferralPeriods),
}

/// The referral periods (defaults: reminder after 10 days, expiry after
/// 30, personal fields erased 6 months after closure).
#[derive(Args, Clone, Copy)]
struct ReferralPeriods {
    #[arg(long, env = "PASSERELLE_REFERRAL_REMINDER_DAYS", default_value_t = 10)]
    reminder_days: i64,
    #[arg(long, env = "PASSERELLE_REFERRAL_EXPIRY_DAYS", default_value_t = 30)]
    expiry_days: i64,
    #[arg(
        long,
        env = "PASSERELLE_REFERRAL_RETENTION_MONTHS",
        default_value_t = 6
    )]
    retention_months: u32,
}

impl ReferralPeriods {
    fn periods(self) -> passerelle_referrals::deadlines::Periods {
        passerelle_referrals::deadlines::Periods {
            reminder_days: self.reminder_days,
            expiry_days: self.expiry_days,
            retention_months: self.retention_months,
        }
    }
}

#[derive(Subcommand)]
enum PlacesCommand {
    /// Import places: the standard's CSV or JSON, or the ANCT France services
    /// list, the conseillers numériques' permanences or the Aidants Connect
    /// structures (recognised by their header). Every row is checked; by
    /// default nothing is imported if any row is invalid. Re-importing a
    /// source updates its places and never duplicates them; places another
    /// source already has are merged.
    Import {
        file: PathBuf,
        /// Import the valid rows and write the rejected ones, with reasons,
        /// to --rejected.
        #[arg(long)]
        skip_invalid: bool,
        /// Where to write rejected rows (CSV) with --skip-invalid.
        #[arg(long, default_value = "lieux-rejetes.csv")]
        rejected: PathBuf,
        /// Source name for places whose `source` field is empty (default:
        /// the file name).
        #[arg(long)]
        source: Option<String>,
        /// `date_maj` for formats that carry none (default: today).
        #[arg(long)]
        date: Option<String>,
    },
    /// Export every place in the standard.
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// File to write (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
    Geojson,
}

#[derive(Subcommand)]
enum ActivitiesCommand {
    /// Import records from a CSV file (columns documented in
    /// crates/activities/src/csvfile.rs). Every line is checked first; one
    /// invalid line and nothing is imported. Streams: any file size.
    Import {
        file: PathBuf,
        /// passerelle, coop (the Coop's "Activités" export, XLSX or CSV) or
        /// cra-v1; recognised from the file when not given.
        #[arg(long)]
        format: Option<String>,
    },
    /// Counts by one dimension for a territory and period.
    Stats {
        /// all, reg:53, dep:35, epci:<SIREN> or com:<INSEE code>.
        #[arg(long, default_value = "all")]
        territory: String,
        /// First day (its month counts), e.g. 2023-01-01.
        #[arg(long)]
        from: String,
        /// Last day (its month counts), e.g. 2023-12-31.
        #[arg(long)]
        to: String,
        /// theme, type, duree, age, statut, organisation, aide, autonomie,
        /// orientation or total.
        #[arg(long, default_value = "theme")]
        by: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: StatsFormat,
    },
    /// Write N synthetic records (CSV) following the seeds' distributions
    /// over the communes loaded, for tests and benchmarks.
    Generate {
        #[arg(long)]
        n: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 2025)]
        year: i32,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum StatsFormat {
    Csv,
    Json,
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Invite an administrator of the instance: prints a one-time link
    /// (valid 7 days) where they choose their password. Use it once, on a
    /// new instance; administrators then invite everyone else from the pages.
    CreateAdmin {
        /// E-mail address of the administrator.
        #[arg(long)]
        email: String,
        /// Structure the administrator belongs to (created if no structure
        /// has this exact name).
        #[arg(long, default_value = "Administration de l’instance")]
        structure: String,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PASSERELLE_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Directory of the built front-end assets (made by `npm run build`).
    /// Default: web/dist in the current directory or next to the sources.
    #[arg(long, env = "PASSERELLE_ASSETS_DIR")]
    assets_dir: Option<PathBuf>,
    /// SMTP relay for e-mail: smtp://user:password@host:port?from=address.
    /// Without it, e-mail stays in the outbox (Administration → Courriels).
    #[arg(long, env = "PASSERELLE_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Map tiles, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png (check
    /// the provider's terms). Without it maps show places on a plain
    /// background; lists work the same.
    #[arg(long, env = "PASSERELLE_TILE_URL")]
    tile_url: Option<String>,
    /// OSRM server (http://host:port) whose table service gives the
    /// Diagnostic real road times; without it they are estimated.
    #[arg(long, env = "PASSERELLE_OSRM_URL")]
    osrm_url: Option<String>,
    /// Bearer token that Prometheus presents to read /metrics. Without it
    /// there is no /metrics.
    #[arg(long, env = "PASSERELLE_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    #[command(flatten)]
    referral_periods: ReferralPeriods,
}

#[derive(Subcommand)]
enum TerritoriesCommand {
    /// Load reference files (CSV, `,` or `;` separated): communes, EPCI,
    /// départements or régions, recognised by their header. Re-importing a
    /// file updates what is stored and never duplicates; a file with an
    /// error is refused whole, with the line and field at fault.
    Import {
        /// Files to load, in order (parents first: départements before
        /// communes).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Find communes by name (start of any word, accents ignored), postcode
    /// or INSEE code.
    Search {
        query: String,
        /// Maximum number of results (1 to 50).
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Show a commune and its EPCI, département and région.
    Commune {
        /// INSEE code, e.g. 29232.
        code: String,
    },
    /// Show an EPCI and its member communes.
    Epci {
        /// SIREN, e.g. 200068120.
        siren: String,
    },
    /// Population and number of communes by région and département.
    Summary,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = ops::init_logging() {
        eprintln!("passerelle: error: {e:#}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("passerelle: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, naming what to fix.
            eprintln!("passerelle: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    if let Command::Survey(command) = &cli.command
        && !command.needs_database()
    {
        let Command::Survey(command) = cli.command else {
            unreachable!("matched above")
        };
        let mut out = String::new();
        let result = survey::run(command, &mut out);
        print_ignoring_closed_pipe(&out)?;
        return result;
    }
    if let Command::Restore(args) = cli.command {
        // Into a database that must not be opened (migrated, filled) first.
        let mut out = String::new();
        let result = ops::restore(
            &database_url(&cli.storage),
            args,
            cli.storage.public_url,
            &mut out,
        )
        .await;
        print_ignoring_closed_pipe(&out)?;
        return result;
    }
    let db = open_database(&cli.storage).await?;
    let public_url = cli.storage.public_url.clone();
    match cli.command {
        Command::Backup(args) => {
            let mut out = String::new();
            let result = ops::backup(&db, args, &mut out).await;
            print_ignoring_closed_pipe(&out)?;
            result
        }
        Command::Restore(_) => unreachable!("handled above"),
        Command::Serve(args) => serve(db, args, public_url).await,
        Command::Places(command) => {
            let mut out = String::new();
            let result = places(&db, command, &mut out).await;
            print_ignoring_closed_pipe(&out)?;
            result
        }
        Command::Activities(command) => {
            let mut out = String::new();
            let result = activities(&db, command, &mut out).await;
            print_ignoring_closed_pipe(&out)?;
            result
        }
        Command::Referrals(ReferralsCommand::Purge(periods)) => {
            let link = public_url.unwrap_or_else(|| "http://localhost:8080".into());
            let r = db
                .run_referral_deadlines(chrono::Utc::now(), periods.periods(), &link)
                .await?;
            print_ignoring_closed_pipe(&format!(
                "{} reminders sent, {} referrals expired, {} erased\n",
                r.reminded, r.expired, r.erased
            ))
        }
        Command::Accounts(command) => {
            let mut out = String::new();
            let result = accounts(&db, command, public_url, &mut out).await;
            print_ignoring_closed_pipe(&out)?;
            result
        }
        Command::Territories(command) => {
            let mut out = String::new();
            let result = territories(&db, command, &mut out).await;
            print_ignoring_closed_pipe(&out)?;
            result
        }
        Command::Diagnostic(args) => {
            let mut out = String::new();
            let result = diagnostic::run(&db, args, &mut out).await;
            print_ignoring_closed_pipe(&out)?;
            result
        }
        Command::Survey(command) => {
            let mut out = String::new();
            let result = survey::run_stored(&db, command, public_url.as_deref(), &mut out).await;
            print_ignoring_closed_pipe(&out)?;
            result
        }
    }
}

/// Prints `text`; a reader that stopped reading (`passerelle … | head`) is
/// not an error.
fn print_ignoring_closed_pipe(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// The configured database's URL.
fn database_url(storage: &StorageArgs) -> String {
    match &storage.database_url {
        Some(url) if !url.is_empty() => url.clone(),
        _ => Database::default_url(&storage.data_dir),
    }
}

/// Opens the configured database and, if it holds no territory yet, loads
/// the bundled Bretagne reference.
async fn open_database(storage: &StorageArgs) -> Result<Database> {
    let db = Database::open(&database_url(storage))
        .await
        .map_err(ops::explain_open)?;
    if db.territories_empty().await? {
        let reports = db
            .load_bundled_reference()
            .await
            .context("loading the bundled Bretagne reference")?;
        let communes: usize = reports
            .iter()
            .filter(|r| r.kind == "communes")
            .map(|r| r.rows)
            .sum();
        tracing::info!("empty database: bundled Bretagne reference loaded ({communes} communes)");
    }
    let (cra, _) = db
        .aggregate_stats(passerelle_activities::cra::SOURCE, "age", None)
        .await?;
    if cra.is_empty() {
        db.load_activity_aggregates(
            passerelle_activities::cra::SOURCE,
            passerelle_activities::cra::AS_OF,
            &passerelle_activities::cra::bundled(),
        )
        .await
        .context("loading the conseillers numériques' activity figures")?;
    }
    if db.places_empty().await? {
        let reports = db
            .load_bundled_places()
            .await
            .context("loading the bundled Bretagne places")?;
        let read: usize = reports.iter().map(|(_, r)| r.read).sum();
        let merged: usize = reports.iter().map(|(_, r)| r.merged).sum();
        tracing::info!("bundled Bretagne places loaded: {read} from 3 sources, {merged} merged");
    }
    Ok(db)
}

fn find_assets(explicit: Option<PathBuf>) -> Assets {
    if let Some(dir) = explicit {
        if !dir.join("dsfr").is_dir() {
            tracing::warn!(
                "{} does not hold built assets (no dsfr/ inside): run `npm ci && npm run build`",
                dir.display()
            );
        }
        return Assets { dir: Some(dir) };
    }
    let candidates = [
        PathBuf::from("web/dist"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist"),
    ];
    let dir = candidates.into_iter().find(|d| d.join("dsfr").is_dir());
    if dir.is_none() {
        tracing::warn!(
            "front-end assets not found (web/dist): pages will have no styles; run `npm ci && npm run build`"
        );
    }
    Assets { dir }
}

async fn serve(db: Database, args: ServeArgs, public_url: Option<String>) -> Result<()> {
    let assets = find_assets(args.assets_dir);
    let backend = db.backend().name();
    let smtp = match args.smtp_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => Some(SmtpConfig::parse(url).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; set --addr or PASSERELLE_ADDR to a free address",
                args.addr
            )
        })?;
    let addr = listener.local_addr()?;
    // Links in e-mails use the address actually bound unless told otherwise.
    let public_url = public_url.unwrap_or_else(|| format!("http://{addr}"));
    let state = AppState::new(
        db.clone(),
        WebConfig::new(&public_url, smtp.is_some())
            .with_tiles(args.tile_url.clone())
            .with_metrics_token(args.metrics_token.clone())
            .with_osrm(
                args.osrm_url
                    .as_deref()
                    .map(passerelle_web::osrm::Osrm::parse)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
            ),
    );
    // Retention first: nothing past its period is served, even from a
    // database restored by hand. Then hourly.
    let jobs = state.jobs.clone();
    jobs.register(jobs::RETENTION, jobs::RETENTION_EVERY);
    let periods = args.referral_periods.periods();
    jobs::retention_once(&db, periods, &public_url, &jobs).await;
    tokio::spawn(jobs::retention_hourly(
        db.clone(),
        periods,
        public_url.clone(),
        jobs.clone(),
    ));
    if let Some(smtp) = smtp {
        tokio::spawn(passerelle_web::mailer::run(db.clone(), smtp, jobs));
    }
    // On stdout, for people and for the tests that start the server.
    println!("Passerelle listening on http://{addr} (database: {backend})");
    let _ = std::io::stdout().flush();
    passerelle_web::serve(listener, state, &assets).await?;
    db.close().await;
    Ok(())
}

/// Runs a `territories` command, writing what it prints into `out`.
async fn territories(db: &Database, command: TerritoriesCommand, out: &mut String) -> Result<()> {
    match command {
        TerritoriesCommand::Import { files } => {
            for path in files {
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let name = path.display().to_string();
                let file = parse_reference_file(&name, &bytes)?;
                let report = db.import_reference(&name, &file).await?;
                write!(
                    out,
                    "{name}: {} {} read, {} new, {} updated",
                    report.rows, report.kind, report.added, report.updated
                )?;
                if report.members_not_loaded > 0 {
                    write!(
                        out,
                        ", {} member communes not in the reference",
                        report.members_not_loaded
                    )?;
                }
                writeln!(out)?;
            }
        }
        TerritoriesCommand::Search { query, limit } => {
            if !(1..=passerelle_store::territories::MAX_SEARCH_RESULTS).contains(&limit) {
                bail!(
                    "--limit must be between 1 and {}",
                    passerelle_store::territories::MAX_SEARCH_RESULTS
                );
            }
            let found = db.search_communes(&query, limit).await?;
            if found.is_empty() {
                writeln!(out, "no commune matches {query:?}")?;
            }
            for c in found {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    c.code,
                    c.nom,
                    c.postcodes.join(","),
                    c.epci
                        .map(|e| e.nom.unwrap_or(e.siren))
                        .unwrap_or_else(|| "-".into()),
                    c.departement.nom
                )?;
            }
        }
        TerritoriesCommand::Commune { code } => {
            let c = db
                .commune(&code)
                .await?
                .with_context(|| format!("no commune with INSEE code {code:?}"))?;
            writeln!(out, "{} ({})", c.nom, c.code)?;
            writeln!(out, "  postcodes:   {}", c.postcodes.join(", "))?;
            writeln!(
                out,
                "  population:  {}",
                c.population.map_or("unknown".into(), |p| p.to_string())
            )?;
            match c.epci {
                Some(e) => writeln!(
                    out,
                    "  EPCI:        {} ({})",
                    e.nom.unwrap_or_default(),
                    e.siren
                )?,
                None => writeln!(out, "  EPCI:        none")?,
            }
            writeln!(
                out,
                "  département: {} ({})",
                c.departement.nom, c.departement.code
            )?;
            writeln!(out, "  région:      {} ({})", c.region.nom, c.region.code)?;
        }
        TerritoriesCommand::Epci { siren } => {
            let e = db
                .epci(&siren)
                .await?
                .with_context(|| format!("no EPCI with SIREN {siren:?}"))?;
            writeln!(
                out,
                "{} ({}), population {}",
                e.nom.unwrap_or_default(),
                e.siren,
                e.population
            )?;
            for c in e.communes {
                writeln!(
                    out,
                    "  {}\t{}\t{}",
                    c.code,
                    c.nom,
                    c.population.map_or("-".into(), |p| p.to_string())
                )?;
            }
        }
        TerritoriesCommand::Summary => {
            for r in db.regions().await? {
                writeln!(
                    out,
                    "{} {}: {} communes, population {}",
                    r.code, r.nom, r.communes, r.population
                )?;
                if let Some(region) = db.region(&r.code).await? {
                    for d in region.departements.iter().filter(|d| d.communes > 0) {
                        writeln!(
                            out,
                            "  {} {}: {} communes, population {}",
                            d.code, d.nom, d.communes, d.population
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}

async fn accounts(
    db: &Database,
    command: AccountsCommand,
    public_url: Option<String>,
    out: &mut String,
) -> Result<()> {
    match command {
        AccountsCommand::CreateAdmin { email, structure } => {
            let email = passerelle_accounts::normalize_email(&email)
                .with_context(|| format!("{email:?} is not an e-mail address"))?;
            let existing = db
                .search_structures("", i64::MAX)
                .await?
                .into_iter()
                .find(|s| s.nom == structure.trim());
            let structure_id = match existing {
                Some(s) => s.id,
                None => db
                    .create_structure(&NewStructure {
                        nom: &structure,
                        kind: passerelle_accounts::StructureKind::Hub,
                        siret: None,
                        commune_code: None,
                    })
                    .await?
                    .map_err(|refusal| anyhow::anyhow!(refusal.0))?,
            };
            let token = db
                .create_invitation(
                    &email,
                    structure_id,
                    passerelle_accounts::Role::Admin,
                    &[],
                    None,
                )
                .await?;
            db.audit(&passerelle_store::accounts::AuditEvent {
                action: "invitation.created".into(),
                structure_id: Some(structure_id),
                subject: Some(email.clone()),
                detail: Some("admin (command line)".into()),
                ..Default::default()
            })
            .await?;
            let base = public_url.unwrap_or_else(|| "http://127.0.0.1:8080".into());
            writeln!(
                out,
                "Invitation for {email}, administrator, valid 7 days. Open it to choose a password:"
            )?;
            writeln!(out, "{}/invitation/{token}", base.trim_end_matches('/'))?;
        }
    }
    Ok(())
}

async fn places(db: &Database, command: PlacesCommand, out: &mut String) -> Result<()> {
    use passerelle_places::format::{write_csv, write_geojson, write_json};
    match command {
        PlacesCommand::Import {
            file,
            skip_invalid,
            rejected,
            source,
            date,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            let today = passerelle_store::time::now_iso()[..10].to_string();
            let checked =
                passerelle_places::import::check(&bytes, date.as_deref().unwrap_or(&today));
            writeln!(
                out,
                "{name}: {} ({} valid rows, {} invalid)",
                checked.format,
                checked.valid.len(),
                checked.rejected.len()
            )?;
            for w in &checked.warnings {
                writeln!(out, "{name}, {w}")?;
            }
            let errors = checked.errors();
            if !checked.file_errors.is_empty() || (!errors.is_empty() && !skip_invalid) {
                for e in &errors {
                    writeln!(out, "{name}, {e}")?;
                }
                bail!(
                    "{name}: {} errors, nothing imported (--skip-invalid imports the valid rows)",
                    errors.len()
                );
            }
            if !checked.rejected.is_empty() {
                std::fs::write(&rejected, checked.rejected_csv())
                    .with_context(|| format!("cannot write {}", rejected.display()))?;
                writeln!(
                    out,
                    "{} rejected rows written to {} with their reasons",
                    checked.rejected.len(),
                    rejected.display()
                )?;
            }
            let default_source = source.unwrap_or_else(|| {
                file.file_stem()
                    .map_or(name.clone(), |s| s.to_string_lossy().into_owned())
            });
            let report = db
                .import_places(
                    &checked.valid,
                    &default_source,
                    &format!("import : {name}"),
                    None,
                )
                .await?;
            writeln!(
                out,
                "{} places: {} new, {} updated, {} merged with another source's, {} possible duplicates to review",
                report.read, report.added, report.updated, report.merged, report.to_review
            )?;
        }
        PlacesCommand::Export { format, output } => {
            let places: Vec<_> = db.places().await?.into_iter().map(|p| p.place).collect();
            let bytes = match format {
                ExportFormat::Csv => write_csv(&places),
                ExportFormat::Json => write_json(&places),
                ExportFormat::Geojson => write_geojson(&places),
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, bytes)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    writeln!(out, "{} places written to {}", places.len(), path.display())?;
                }
                None => out.push_str(&String::from_utf8_lossy(&bytes)),
            }
        }
    }
    Ok(())
}

/// An import error naming the file, line and field.
fn describe_err(
    file: &Path,
) -> impl Fn(passerelle_activities::validate::Violation) -> anyhow::Error + '_ {
    move |v| {
        anyhow::anyhow!(
            "{}, line {}, field `{}`: {}",
            file.display(),
            v.line,
            v.field,
            v.message
        )
    }
}

async fn activities(db: &Database, command: ActivitiesCommand, out: &mut String) -> Result<()> {
    use passerelle_activities::csvfile::{COLUMNS, Records, write_record};
    use passerelle_store::activities::{Author, DIMENSIONS, StatsQuery, Territory};
    match command {
        ActivitiesCommand::Import { file, format } => {
            use passerelle_activities::sources::{self, Format};
            use passerelle_activities::validate::Violation;
            type Items<'a> = Box<
                dyn Iterator<Item = Result<(u64, passerelle_activities::Activity), Violation>>
                    + Send
                    + 'a,
            >;
            let describe = |v: Violation| describe_err(&file)(v).to_string();
            let open_file = || {
                std::fs::File::open(&file)
                    .map(std::io::BufReader::new)
                    .with_context(|| format!("cannot read {}", file.display()))
            };
            let mut head = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(open_file()?, 65_536), &mut head)?;
            let format = match format.as_deref() {
                None => Format::detect(&head),
                Some(name) => Format::parse(name).with_context(|| {
                    format!("unknown format {name:?}: passerelle, coop or cra-v1")
                })?,
            };
            // "29000 Quimper" → INSEE code, from the territorial reference.
            let mut by_postcode: std::collections::HashMap<String, Vec<(String, String)>> =
                std::collections::HashMap::new();
            if format != Format::Passerelle {
                for (postcode, code, name) in db.postcode_communes().await? {
                    by_postcode
                        .entry(postcode)
                        .or_default()
                        .push((code, passerelle_territory::search::search_key(&name)));
                }
            }
            let resolve = |postcode: &str, name: &str| -> Option<String> {
                let communes = by_postcode.get(postcode)?;
                let key = passerelle_territory::search::search_key(name);
                communes
                    .iter()
                    .find(|(_, k)| *k == key)
                    .or_else(|| (communes.len() == 1).then(|| &communes[0]))
                    .map(|(code, _)| code.clone())
            };
            let xlsx = head.starts_with(b"PK\x03\x04");
            let open = || -> Result<Items<'_>> {
                Ok(match format {
                    Format::Passerelle => {
                        Box::new(Records::new(open_file()?).map_err(describe_err(&file))?)
                    }
                    _ => {
                        let rows: Box<dyn Iterator<Item = (u64, Vec<String>)> + Send> = if xlsx {
                            let bytes = std::fs::read(&file)
                                .with_context(|| format!("cannot read {}", file.display()))?;
                            Box::new(
                                sources::read_rows(&bytes)
                                    .map_err(describe_err(&file))?
                                    .into_iter(),
                            )
                        } else {
                            Box::new(sources::csv_rows(open_file()?).map_err(describe_err(&file))?)
                        };
                        sources::convert_rows(format, rows, &resolve)
                            .map_err(describe_err(&file))?
                    }
                })
            };
            let check = if format == Format::Passerelle {
                passerelle_activities::validate::validate
            } else {
                passerelle_activities::validate::validate_imported
            };
            // Pass 1: check every line.
            let today = passerelle_store::time::now_iso()[..10]
                .parse()
                .expect("today");
            let mut errors = Vec::new();
            let mut count = 0u64;
            for item in open()? {
                count += 1;
                let problems = match item {
                    Ok((line, a)) => check(line, &a, today),
                    Err(v) => vec![v],
                };
                errors.extend(problems.into_iter().map(describe));
            }
            if !errors.is_empty() {
                for e in errors.iter().take(50) {
                    writeln!(out, "{e}")?;
                }
                bail!(
                    "{}: {} errors in {count} records, nothing imported",
                    file.display(),
                    errors.len()
                );
            }
            // Pass 2: import, a chunk at a time, in one transaction.
            let mut records = open()?;
            let mut next = move || {
                let chunk: Vec<_> = records
                    .by_ref()
                    .take(20_000)
                    .filter_map(|r| r.ok().map(|(_, a)| a))
                    .collect();
                (!chunk.is_empty()).then_some(chunk)
            };
            let n = db
                .import_activity_chunks(
                    &mut next,
                    Author {
                        mediator_id: None,
                        structure_id: None,
                    },
                )
                .await?;
            writeln!(out, "{n} activities imported")?;
        }
        ActivitiesCommand::Stats {
            territory,
            from,
            to,
            by,
            format,
        } => {
            let territory = Territory::parse(&territory).with_context(|| {
                format!(
                    "--territory {territory:?}: all, reg:53, dep:35, epci:<SIREN> or com:<INSEE>"
                )
            })?;
            let dimension = DIMENSIONS
                .iter()
                .map(|(n, _)| *n)
                .chain(["total"])
                .find(|n| *n == by)
                .with_context(|| format!("--by {by:?}: theme, type, duree, age, statut, organisation, aide, autonomie, orientation or total"))?;
            let month = |d: &str, flag: &str| -> Result<String> {
                chrono_like_month(d)
                    .with_context(|| format!("{flag} {d:?} is not a date like 2023-01-31"))
            };
            let q = StatsQuery {
                dimension,
                territory,
                from: month(&from, "--from")?,
                to: month(&to, "--to")?,
                structure_id: None,
                mediator_id: None,
            };
            let rows = db.activity_stats(&q).await?;
            let total: i64 = rows.iter().map(|r| r.people).sum();
            let share = |p: i64| {
                if total == 0 {
                    0.0
                } else {
                    (p as f64 * 1000.0 / total as f64).round() / 10.0
                }
            };
            match format {
                StatsFormat::Json => {
                    let items: Vec<String> = rows
                        .iter()
                        .map(|r| {
                            format!(
                                "{{\"value\":{:?},\"people\":{},\"percent\":{},\"records\":{}}}",
                                r.value,
                                r.people,
                                share(r.people),
                                r.records
                            )
                        })
                        .collect();
                    writeln!(out, "[{}]", items.join(","))?;
                }
                StatsFormat::Csv => {
                    writeln!(out, "{by},personnes,pourcentage,fiches")?;
                    for r in rows {
                        writeln!(
                            out,
                            "\"{}\",{},{},{}",
                            r.value.replace('"', "\"\""),
                            r.people,
                            share(r.people),
                            r.records
                        )?;
                    }
                }
            }
        }
        ActivitiesCommand::Generate {
            n,
            seed,
            year,
            output,
        } => {
            let communes = db.commune_codes().await?;
            let mut generator =
                passerelle_activities::generate::Generator::new(seed, communes, year);
            let file = std::fs::File::create(&output)
                .with_context(|| format!("cannot write {}", output.display()))?;
            let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
            writer.write_record(COLUMNS)?;
            for _ in 0..n {
                writer.write_record(write_record(&generator.record()))?;
            }
            writer.flush()?;
            writeln!(out, "{n} activities written to {}", output.display())?;
        }
    }
    Ok(())
}

/// `2023-01-31` → `2023-01`.
fn chrono_like_month(date: &str) -> Option<String> {
    let b = date.as_bytes();
    (date.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()))
    .then(|| date[..7].to_string())
}
