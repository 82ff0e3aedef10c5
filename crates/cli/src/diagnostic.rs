//! `passerelle diagnostic`: the PORTREA portrait of a territory, on the
//! territorial reference, the bundled and imported indicators and the
//! places of the database (plus indicator files given with `--indicators`,
//! for one run); `passerelle diagnostic import` stores indicator files.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use passerelle_diagnostic::access::{RoadModel, Thresholds};
use passerelle_diagnostic::export::{
    access_csv, communes_csv, communes_geojson, territories_csv, xlsx,
};
use passerelle_diagnostic::geo::Territory;
use passerelle_diagnostic::import;
use passerelle_diagnostic::map::{MapIndicator, commune_map};
use passerelle_diagnostic::portrait::{Analysis, PriorityWeights, Settings};
use passerelle_store::Database;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DiagnosticArgs {
    #[command(subcommand)]
    command: Option<DiagnosticCommand>,
    #[command(flatten)]
    portrait: PortraitArgs,
}

#[derive(Subcommand)]
enum DiagnosticCommand {
    /// Import an official indicator file into the database, as published
    /// (CSV or XLSX): INSEE base-cc/base-ic-evol-struct-pop or
    /// -diplomes-formation (communes or IRIS), CAF recipients per IRIS
    /// (iris_code, aaah, appa, arsas) or per commune (data.caf.fr), France
    /// Travail job seekers per commune (CODGEO, ABCDE, ABC), recognised by
    /// the header. Checked entirely first: one error and nothing is
    /// imported. Re-importing replaces the figures it gives.
    Import {
        file: PathBuf,
        /// Year of the data: for census files the vintage of the columns to
        /// read (e.g. 2021, default the most recent); for the others the
        /// year to record (default the year in the file's name).
        #[arg(long)]
        vintage: Option<String>,
    },
}

#[derive(Args)]
struct PortraitArgs {
    /// commune:<INSEE code>, epci:<SIREN>, dep:<code>, reg:<code> or
    /// communes:<code>,<code>… (a custom list).
    #[arg(long)]
    territory: Option<String>,
    /// A service of the national standard, e.g. "Aide aux démarches
    /// administratives". Default: any service.
    #[arg(long)]
    service: Option<String>,
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// With --format csv: the commune table, the table of the territory,
    /// its sub-territories and its département and région, or access by
    /// service.
    #[arg(long, value_enum, default_value = "communes")]
    table: Table,
    /// File to write (default: standard output; required for xlsx).
    #[arg(long)]
    output: Option<PathBuf>,
    /// "Within N km" and "uncovered: nothing within N km".
    #[arg(long, default_value_t = 10.0)]
    within_km: f64,
    /// "Within M minutes by road" (estimated).
    #[arg(long, default_value_t = 7.0)]
    within_minutes: f64,
    /// Road distance over great-circle distance, for the road-time estimate.
    #[arg(long, default_value_t = RoadModel::default().detour)]
    detour: f64,
    /// Mean speed by car (km/h), for the road-time estimate.
    #[arg(long, default_value_t = RoadModel::default().speed_kmh)]
    speed_kmh: f64,
    /// Priority weights, e.g. fragilite=2,exposition=1,ifn=1,distance=1,offre=1
    /// (a component left out keeps weight 1; 0 leaves it out).
    #[arg(long)]
    weights: Option<String>,
    /// Official indicator files to use (INSEE base-cc-evol-struct-pop,
    /// base-cc-diplomes-formation, CAF per-commune minima sociaux, France
    /// Travail job seekers); repeat for several. Each is checked entirely.
    #[arg(long = "indicators")]
    indicators: Vec<PathBuf>,
    /// Census vintage to read from INSEE files (e.g. 2021). Default: the
    /// most recent in each file.
    #[arg(long)]
    vintage: Option<String>,
    /// With --format svg: what the communes are coloured by (fragilite,
    /// exposition, distance, lieux, heures, recherches, priorite).
    #[arg(long, default_value = "fragilite")]
    map: String,
    /// OSRM server (http://host:port): real road times to the nearest place
    /// offering the service (table service), beside the estimate.
    #[arg(long, env = "PASSERELLE_OSRM_URL")]
    osrm_url: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Json,
    Csv,
    Geojson,
    /// Every table in one workbook; needs --output.
    Xlsx,
    /// The map of the communes (SVG, the IGN outlines bundled).
    Svg,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Table {
    Communes,
    Territoires,
    Acces,
}

pub async fn run(db: &Database, args: DiagnosticArgs, out: &mut String) -> Result<()> {
    match args.command {
        Some(DiagnosticCommand::Import { file, vintage }) => import(db, &file, vintage, out).await,
        None => portrait(db, args.portrait, out).await,
    }
}

async fn import(
    db: &Database,
    path: &std::path::Path,
    vintage: Option<String>,
    out: &mut String,
) -> Result<()> {
    let bytes =
        std::fs::read(path).with_context(|| format!("lecture impossible de {}", path.display()))?;
    let geo = db.diagnostic_geography().await?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let file = import::parse(&name, &bytes, &geo, &import::Options { vintage })
        .map_err(|e| anyhow::Error::msg(import::describe(&e)))?;
    db.import_indicators(&file, None).await?;
    write!(out, "{}", import_report(&file))?;
    Ok(())
}

/// What an import did, in French.
fn import_report(file: &import::IndicatorFile) -> String {
    let mut out = format!(
        "{} : {}{} ; {} lignes, {} communes{}, {} cases sous secret statistique.\n",
        file.file,
        file.kind.label(),
        file.vintage
            .as_deref()
            .map(|v| format!(", millésime {v}"))
            .unwrap_or_default(),
        file.rows,
        file.communes.len(),
        if file.iris.is_empty() {
            String::new()
        } else {
            format!(", {} IRIS", file.iris.len())
        },
        file.secret_cells,
    );
    if file.outside > 0 {
        out.push_str(&format!(
            "{} lignes de départements non chargés mises de côté.\n",
            file.outside
        ));
    }
    if file.merged > 0 {
        out.push_str(&format!(
            "{} lignes de communes fusionnées depuis ajoutées à leur commune nouvelle.\n",
            file.merged
        ));
    }
    if !file.unknown.is_empty() {
        out.push_str(&format!(
            "Codes inconnus du référentiel, mis de côté : {}.\n",
            file.unknown.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if file.arrondissements > 0 {
        out.push_str(&format!(
            "{} lignes d’arrondissements municipaux additionnées dans leur commune quand elle n’a pas sa propre ligne.\n",
            file.arrondissements
        ));
    }
    out
}

async fn portrait(db: &Database, args: PortraitArgs, out: &mut String) -> Result<()> {
    let Some(territory) = &args.territory else {
        bail!(
            "--territory est obligatoire : commune:<code INSEE>, epci:<SIREN>, dep:<code>, reg:<code> ou communes:<code>,<code>… (ou `passerelle diagnostic import <fichier>`)"
        );
    };
    let territory: Territory = territory.parse()?;
    let settings = Settings {
        service: args.service.clone(),
        thresholds: Thresholds {
            within_km: args.within_km,
            within_minutes: args.within_minutes,
            road: RoadModel {
                detour: args.detour,
                speed_kmh: args.speed_kmh,
            },
        },
        weights: match &args.weights {
            Some(w) => w.parse::<PriorityWeights>().map_err(anyhow::Error::msg)?,
            None => PriorityWeights::default(),
        },
    };
    let geo = db.diagnostic_geography().await?;
    let mut indicators = db.diagnostic_indicators().await?;
    let options = import::Options {
        vintage: args.vintage.clone(),
    };
    for path in &args.indicators {
        let bytes = std::fs::read(path)
            .with_context(|| format!("lecture impossible de {}", path.display()))?;
        let file = import::parse(&path.display().to_string(), &bytes, &geo, &options)
            .map_err(|e| anyhow::Error::msg(import::describe(&e)))?;
        tracing::info!(
            "{}: {} ({} communes, {} rows of départements not loaded set aside)",
            path.display(),
            file.kind.label(),
            file.communes.len(),
            file.outside
        );
        file.apply(&mut indicators);
    }
    let places = db.diagnostic_places(&geo).await?;
    // Only the régions the territory touches are analysed.
    let geo = geo.around(&territory)?;
    let mut analysis = Analysis::new(&geo, &indicators, places);
    if let Some((period, counts)) = db.diagnostic_activity().await? {
        analysis.set_activity(period, &counts);
    }
    if let Some(url) = &args.osrm_url {
        let osrm = passerelle_web::osrm::Osrm::parse(url).map_err(anyhow::Error::msg)?;
        let positions = geo.resolve(&territory)?;
        passerelle_web::osrm::add_road_times(
            &osrm,
            &mut analysis,
            settings.service.as_deref(),
            &positions,
        )
        .await
        .map_err(anyhow::Error::msg)?;
    }
    let portrait = analysis.portrait(&territory, &settings)?;
    let bytes = match (args.format, args.table) {
        (Format::Json, _) => (serde_json::to_string_pretty(&portrait)? + "\n").into_bytes(),
        (Format::Geojson, _) => {
            (serde_json::to_string(&communes_geojson(&portrait))? + "\n").into_bytes()
        }
        (Format::Csv, Table::Communes) => communes_csv(&portrait),
        (Format::Csv, Table::Territoires) => territories_csv(&portrait),
        (Format::Csv, Table::Acces) => access_csv(&portrait),
        (Format::Xlsx, _) => xlsx(&portrait)?,
        (Format::Svg, _) => {
            let indicator = MapIndicator::from_code(&args.map).with_context(|| {
                format!(
                    "--map « {} » : choisissez parmi {}",
                    args.map,
                    MapIndicator::ALL.map(|m| m.code()).join(", ")
                )
            })?;
            commune_map(
                &portrait,
                &analysis.places,
                indicator,
                "carte",
                (800.0, 600.0),
            )
            .svg
            .into_bytes()
        }
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("écriture impossible de {}", path.display()))?;
            writeln!(out, "{} written to {}", portrait.label, path.display())?;
        }
        None if matches!(args.format, Format::Xlsx) => {
            bail!("--format xlsx écrit un fichier : ajoutez --output diagnostic.xlsx")
        }
        None => write!(out, "{}", String::from_utf8(bytes)?)?,
    }
    Ok(())
}
