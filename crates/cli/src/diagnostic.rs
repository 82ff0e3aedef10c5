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
    /// Importe dans la base un fichier d’indicateurs officiels, tel que
    /// publié (CSV ou XLSX) : INSEE base-cc/base-ic-evol-struct-pop ou
    /// -diplomes-formation (communes ou IRIS), allocataires CAF par IRIS
    /// (iris_code, aaah, appa, arsas) ou par commune (data.caf.fr),
    /// demandeurs d’emploi France Travail par commune (CODGEO, ABCDE, ABC),
    /// reconnu à son en-tête. Vérifié en entier d’abord : une erreur et rien
    /// n’est importé. Réimporter remplace les chiffres qu’il donne.
    Import {
        /// Fichier à importer.
        file: PathBuf,
        /// Année des données : pour le recensement, le millésime des
        /// colonnes à lire (par exemple 2021, par défaut le plus récent) ;
        /// pour les autres, l’année à enregistrer (par défaut celle du nom
        /// du fichier).
        #[arg(long)]
        vintage: Option<String>,
    },
}

#[derive(Args)]
struct PortraitArgs {
    /// commune:<code INSEE>, epci:<SIREN>, dep:<code>, reg:<code> ou
    /// communes:<code>,<code>… (une liste choisie).
    #[arg(long)]
    territory: Option<String>,
    /// Un service du standard national, par exemple « Aide aux démarches
    /// administratives ». Par défaut : tout service.
    #[arg(long)]
    service: Option<String>,
    /// Format de la réponse.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Avec --format csv : le tableau des communes, celui du territoire, de
    /// ses sous-territoires, de son département et de sa région, ou l’accès
    /// par service.
    #[arg(long, value_enum, default_value = "communes")]
    table: Table,
    /// Fichier à écrire (par défaut : la sortie standard ; obligatoire pour
    /// xlsx).
    #[arg(long)]
    output: Option<PathBuf>,
    /// « À moins de N km » et « non couvert : rien à moins de N km ».
    #[arg(long, default_value_t = 10.0)]
    within_km: f64,
    /// « À moins de M minutes par la route » (estimé).
    #[arg(long, default_value_t = 7.0)]
    within_minutes: f64,
    /// Distance par la route rapportée à la distance à vol d’oiseau, pour
    /// estimer les temps de route.
    #[arg(long, default_value_t = RoadModel::default().detour)]
    detour: f64,
    /// Vitesse moyenne en voiture (km/h), pour estimer les temps de route.
    #[arg(long, default_value_t = RoadModel::default().speed_kmh)]
    speed_kmh: f64,
    /// Poids des priorités, par exemple
    /// fragilite=2,exposition=1,ifn=1,distance=1,offre=1 (une composante
    /// non citée garde le poids 1 ; 0 l’écarte).
    #[arg(long)]
    weights: Option<String>,
    /// Fichiers d’indicateurs officiels à employer (INSEE
    /// base-cc-evol-struct-pop, base-cc-diplomes-formation, minima sociaux
    /// CAF par commune, demandeurs d’emploi France Travail) ; à répéter
    /// pour plusieurs. Chacun est vérifié en entier.
    #[arg(long = "indicators")]
    indicators: Vec<PathBuf>,
    /// Millésime du recensement à lire dans les fichiers INSEE (par exemple
    /// 2021). Par défaut : le plus récent de chaque fichier.
    #[arg(long)]
    vintage: Option<String>,
    /// Avec --format svg : ce qui colore les communes (fragilite,
    /// exposition, distance, lieux, heures, recherches, priorite).
    #[arg(long, default_value = "fragilite")]
    map: String,
    /// Serveur OSRM (http://hôte:port) : les vrais temps de route jusqu’au
    /// lieu le plus proche offrant le service (service « table »), à côté
    /// de l’estimation.
    #[arg(long, env = "PASSERELLE_OSRM_URL")]
    osrm_url: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Json,
    Csv,
    Geojson,
    /// Tous les tableaux dans un classeur ; demande --output.
    Xlsx,
    /// La carte des communes (SVG, contours IGN intégrés).
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
            "{} : {} ({} communes, {} lignes de départements non chargés mises de côté)",
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
            writeln!(out, "{} : écrit dans {}", portrait.label, path.display())?;
        }
        None if matches!(args.format, Format::Xlsx) => {
            bail!("--format xlsx écrit un fichier : ajoutez --output diagnostic.xlsx")
        }
        None => write!(out, "{}", String::from_utf8(bytes)?)?,
    }
    Ok(())
}
