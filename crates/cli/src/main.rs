//! `passerelle`: the command line and HTTP server of Passerelle. Thin: it
//! reads the configuration, opens the database, and calls the library crates.

mod diagnostic;
mod jobs;
mod ops;
mod progress;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use passerelle_store::Database;
use passerelle_store::accounts::NewStructure;
use passerelle_territory::parse_reference_file;
use passerelle_web::mailer::{Mailer, SmtpConfig};
use passerelle_web::{AppState, Assets, WebConfig};

mod survey;

/// Passerelle : le système d’information de l’inclusion numérique d’un
/// territoire (lieux d’aide, activité des médiateurs, orientations,
/// diagnostic des besoins, enquêtes), sur le référentiel territorial officiel.
///
/// Sans configuration, les données vivent dans un fichier SQLite sous
/// ./passerelle-data, rempli du référentiel breton intégré à la première
/// utilisation.
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
    /// Base de données : postgres://utilisateur:mot-de-passe@hôte/base, ou
    /// sqlite:chemin/du/fichier. Par défaut : un fichier SQLite dans le
    /// répertoire des données.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Répertoire de la base SQLite intégrée.
    #[arg(
        long,
        env = "PASSERELLE_DATA_DIR",
        global = true,
        default_value = "passerelle-data"
    )]
    data_dir: PathBuf,
    /// Adresse publique de Passerelle, pour les liens des courriels
    /// (invitations, réinitialisations de mot de passe). Les cookies sont
    /// marqués Secure quand elle commence par https://. Par défaut : http://
    /// et l’adresse d’écoute.
    #[arg(long, env = "PASSERELLE_PUBLIC_URL", global = true)]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Démarre le serveur web (les pages, l’API JSON sous /api/v1).
    Serve(ServeArgs),
    /// Consulte et charge le référentiel territorial (régions, départements,
    /// EPCI, communes).
    #[command(subcommand)]
    Territories(TerritoriesCommand),
    /// Les lieux d’aide, au standard national des lieux de médiation
    /// numérique : import et export.
    #[command(subcommand)]
    Places(PlacesCommand),
    /// Les activités des médiateurs : import, statistiques, données d’essai.
    #[command(subcommand)]
    Activities(ActivitiesCommand),
    /// Les comptes, depuis la ligne de commande (le premier administrateur,
    /// la durée de conservation du journal).
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Le portrait PORTREA d’un territoire : les besoins (données
    /// officielles) face à l’aide offerte (les lieux), distances,
    /// couverture, priorités.
    Diagnostic(diagnostic::DiagnosticArgs),
    /// Orientations : le travail des échéances, que `serve` lance aussi
    /// chaque heure.
    #[command(subcommand)]
    Referrals(ReferralsCommand),
    /// Les questionnaires et l’analyse de leurs réponses.
    #[command(subcommand)]
    Survey(survey::SurveyCommand),
    /// Réseau : le travail planifié, que `serve` lance aussi chaque heure.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Écrit une sauvegarde de la base (une archive avec son manifeste)
    /// pendant que le serveur continue de tourner.
    Backup(ops::BackupArgs),
    /// Restaure une sauvegarde dans une base vide : vérifiée, mise au schéma
    /// de cette version, données personnelles au-delà de leur durée de
    /// conservation effacées, puis mise en place.
    Restore(ops::RestoreArgs),
}

#[derive(Subcommand)]
enum NetworkCommand {
    /// Envoie les rappels dus (la veille d’un événement), donne les places
    /// libérées aux listes d’attente, retire les opportunités passé leur
    /// dernier jour et, le lundi à partir de 8 h (Paris), envoie la lettre
    /// de la semaine. Peut être lancé autant de fois que l’on veut.
    Run(NetworkClock),
    /// La même chose, et la lettre de la semaine tout de suite à qui ne
    /// l’a pas encore reçue (jamais deux fois par semaine).
    Digest(NetworkClock),
}

#[derive(Args, Clone)]
struct NetworkClock {
    /// Faire comme s’il était cet instant (RFC 3339, pour des essais) ; par
    /// défaut maintenant.
    #[arg(long)]
    now: Option<String>,
}

impl NetworkClock {
    fn instant(&self) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
        match &self.now {
            None => Ok(chrono::Utc::now()),
            Some(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| anyhow::anyhow!("--now {text:?}: écrivez une date et une heure RFC 3339, par exemple 2026-11-09T08:00:00+01:00")),
        }
    }
}

#[derive(Subcommand)]
enum ReferralsCommand {
    /// Envoie les relances dues, fait expirer les orientations restées sans
    /// suite, clôt « sans suite » celles dont le rendez-vous est passé
    /// depuis longtemps, clôt les demandes « situation complexe » restées
    /// sans message, et efface les champs de la personne de tout ce qui est
    /// clos depuis plus longtemps que la durée de conservation. Peut être
    /// lancé autant de fois que l’on veut.
    Purge(ReferralPeriods),
}

/// The referral periods (defaults: reminder after 10 days, expiry after
/// 30, "sans suite" 30 days after a past appointment, a "situation
/// complexe" request closed after 60 days without a message, personal
/// fields erased 6 months after closure).
#[derive(Args, Clone, Copy)]
struct ReferralPeriods {
    /// Jours sans action avant la relance d’une orientation.
    #[arg(long, env = "PASSERELLE_REFERRAL_REMINDER_DAYS", default_value_t = 10)]
    reminder_days: i64,
    /// Jours sans action avant qu’une orientation expire.
    #[arg(long, env = "PASSERELLE_REFERRAL_EXPIRY_DAYS", default_value_t = 30)]
    expiry_days: i64,
    /// Jours après un rendez-vous passé avant de clore « sans suite ».
    #[arg(
        long,
        env = "PASSERELLE_REFERRAL_NO_OUTCOME_DAYS",
        default_value_t = 30
    )]
    no_outcome_days: i64,
    /// Jours sans message avant de clore une demande « situation complexe ».
    #[arg(
        long,
        env = "PASSERELLE_COMPLEX_REQUEST_IDLE_DAYS",
        default_value_t = 60
    )]
    request_idle_days: i64,
    /// Mois après la clôture avant d’effacer les champs de la personne.
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
            no_outcome_days: self.no_outcome_days,
            request_idle_days: self.request_idle_days,
            retention_months: self.retention_months,
        }
    }
}

#[derive(Subcommand)]
enum PlacesCommand {
    /// Importe des lieux : le CSV ou le JSON du standard (forme nationale,
    /// tableaux compris), les structures et services data·inclusion, la
    /// liste France services de l’ANCT, les permanences des conseillers
    /// numériques ou les structures Aidants Connect (reconnus à leur
    /// en-tête). Chaque ligne est vérifiée ; par défaut rien n’est importé
    /// si une ligne est invalide. Réimporter une source met à jour ses
    /// lieux sans jamais les dupliquer ; les lieux qu’une autre source a
    /// déjà sont fusionnés.
    Import {
        /// Fichier à importer.
        file: PathBuf,
        /// Importe les lignes valides et écrit les lignes rejetées, avec
        /// leurs motifs, dans --rejected.
        #[arg(long)]
        skip_invalid: bool,
        /// Où écrire les lignes rejetées (CSV) avec --skip-invalid.
        #[arg(long, default_value = "lieux-rejetes.csv")]
        rejected: PathBuf,
        /// Clé sous laquelle sont connus les lieux dont la `source` est
        /// vide, pour que réimporter le fichier les mette à jour (par
        /// défaut : le nom du fichier) ; leur `source` reste vide.
        #[arg(long)]
        source: Option<String>,
        /// `date_maj` des formats qui n’en ont pas (par défaut :
        /// aujourd’hui).
        #[arg(long)]
        date: Option<String>,
    },
    /// Exporte tous les lieux : le CSV du standard, le JSON national,
    /// GeoJSON ou data·inclusion (docs/lieux-formats.md).
    Export {
        /// Format du fichier.
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Fichier à écrire (par défaut : la sortie standard).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    /// Le CSV du standard.
    Csv,
    /// La forme JSON nationale (celle de la bibliothèque de référence).
    Json,
    /// GeoJSON, un point par lieu.
    Geojson,
    /// Le schéma data·inclusion v1 : `{"structures": […], "services": […]}`.
    DataInclusion,
}

#[derive(Subcommand)]
enum ActivitiesCommand {
    /// Importe des activités : le CSV de Passerelle (colonnes décrites dans
    /// crates/activities/src/csvfile.rs), l’export de la Coop (XLSX, ou CSV
    /// enregistré par un tableur) ou les comptes rendus CRA v1 (export CSV
    /// ou archive JSON:API) ; voir docs/activites-imports.md. Chaque
    /// enregistrement est d’abord vérifié ; un seul invalide et rien n’est
    /// importé. Réimporter le même fichier, ou un fichier qui le recoupe,
    /// ne duplique jamais rien.
    Import {
        /// Fichier à importer.
        file: PathBuf,
        /// passerelle, coop ou cra-v1 ; reconnu d’après le fichier s’il
        /// n’est pas donné.
        #[arg(long)]
        format: Option<String>,
    },
    /// Compte les personnes et les activités sur n’importe quelle période,
    /// territoire et filtres, selon zéro, une ou deux dimensions (un
    /// tableau croisé), sous la règle des petits effectifs. Lu dans l’index
    /// des activités (crates/activities/src/stats), construit pour la
    /// commande.
    Stats {
        /// all, reg:<code>, dep:<code>, epci:<SIREN> ou com:<code INSEE>.
        #[arg(long, default_value = "all")]
        territory: String,
        /// Premier jour compté, par exemple 2025-03-10.
        #[arg(long)]
        from: String,
        /// Dernier jour compté, par exemple 2025-03-12.
        #[arg(long)]
        to: String,
        /// Une ou deux dimensions parmi theme, type, duree, age, statut,
        /// organisation, aide, autonomie, orientation, suivi, jour, semaine,
        /// mois, annee, commune, epci, departement, region, structure, lieu,
        /// mediateur (`theme,age`), ou total.
        #[arg(long, default_value = "theme")]
        by: String,
        /// Un filtre `dimension=valeur` (`type=atelier`, `theme=Démarche en
        /// ligne`, `age=60-69 ans`, `lieu=12`) ; à répéter : les valeurs
        /// d’une même dimension s’ajoutent, les dimensions se combinent.
        #[arg(long = "where")]
        filters: Vec<String>,
        /// Format de la réponse.
        #[arg(long, value_enum, default_value = "csv")]
        format: StatsFormat,
    },
    /// Écrit N activités fictives (CSV) suivant les répartitions des
    /// données de départ sur les communes chargées, pour les essais et les
    /// mesures de performance.
    Generate {
        /// Nombre d’activités.
        #[arg(long)]
        n: u64,
        /// Graine du tirage : la même donne le même fichier.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Année des activités.
        #[arg(long, default_value_t = 2025)]
        year: i32,
        /// Fichier à écrire.
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
    /// Invite un administrateur de l’instance : imprime un lien à usage
    /// unique (valable 7 jours) où il choisit son mot de passe. À employer
    /// une fois, sur une nouvelle instance ; les administrateurs invitent
    /// ensuite tous les autres depuis les pages.
    CreateAdmin {
        /// Adresse électronique de l’administrateur.
        #[arg(long)]
        email: String,
        /// Structure de l’administrateur (créée si aucune structure ne porte
        /// exactement ce nom).
        #[arg(long, default_value = "Administration de l’instance")]
        structure: String,
        /// Adresse où `serve` écoute, pour le lien imprimé quand aucune
        /// adresse publique (PASSERELLE_PUBLIC_URL) n’est définie.
        #[arg(long, env = "PASSERELLE_ADDR", default_value = DEFAULT_ADDR)]
        addr: SocketAddr,
    },
    /// Remplace par des pseudonymes, dans le journal, les adresses IP et les
    /// adresses saisies qui ne sont celles d’aucun compte, et supprime les
    /// anciens courriels de la file d’envoi, une fois leur durée de
    /// conservation passée (docs/donnees-personnelles.md). `serve` le fait
    /// aussi chaque heure. Peut être lancé autant de fois que l’on veut.
    Retention(RetentionArgs),
}

/// How long the audit trail keeps IP addresses and the addresses typed at a
/// sign-in, a reset request or an invitation that are no account's, and how
/// long the outbox keeps messages.
#[derive(Args, Clone, Copy)]
pub(crate) struct RetentionArgs {
    /// Mois pendant lesquels le journal garde les adresses IP.
    #[arg(long, env = "PASSERELLE_AUDIT_IP_MONTHS", default_value_t = 6)]
    ip_months: u32,
    /// Jours pendant lesquels le journal garde une adresse saisie qui n’est
    /// celle d’aucun compte.
    #[arg(
        long,
        env = "PASSERELLE_AUDIT_TYPED_ADDRESS_DAYS",
        default_value_t = 30
    )]
    typed_address_days: i64,
    /// Mois pendant lesquels la file d’envoi garde les courriels.
    #[arg(long, env = "PASSERELLE_OUTBOX_MONTHS", default_value_t = 6)]
    outbox_months: u32,
}

impl RetentionArgs {
    pub(crate) fn retention(&self) -> passerelle_store::accounts::Retention {
        passerelle_store::accounts::Retention {
            ip_months: self.ip_months,
            typed_address_days: self.typed_address_days,
            outbox_months: self.outbox_months,
        }
    }
}

/// Where `serve` listens unless told otherwise.
const DEFAULT_ADDR: &str = "127.0.0.1:8080";

#[derive(Args)]
struct ServeArgs {
    /// Adresse et port d’écoute.
    #[arg(long, env = "PASSERELLE_ADDR", default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Répertoire des fichiers du navigateur construits (par `npm run
    /// build`). Par défaut : web/dist dans le répertoire courant ou à côté
    /// des sources.
    #[arg(long, env = "PASSERELLE_ASSETS_DIR")]
    assets_dir: Option<PathBuf>,
    /// Relais SMTP des courriels :
    /// smtp[s]://utilisateur:mot-de-passe@hôte:port?from=adresse&tls=starttls&timeout=30&ca=fichier.pem
    /// (smtps : TLS implicite ; tls=starttls : STARTTLS exigé). Sans lui,
    /// les courriels restent dans la file d’envoi (Administration →
    /// Courriels).
    #[arg(long, env = "PASSERELLE_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Tuiles des cartes, par exemple
    /// https://tile.openstreetmap.org/{z}/{x}/{y}.png (vérifiez les
    /// conditions du fournisseur). Sans elles, les cartes montrent les lieux
    /// sur un fond uni ; les listes fonctionnent de même.
    #[arg(long, env = "PASSERELLE_TILE_URL")]
    tile_url: Option<String>,
    /// Serveur OSRM (http://hôte:port) dont le service « table » donne au
    /// Diagnostic les vrais temps de route ; sans lui, ils sont estimés.
    #[arg(long, env = "PASSERELLE_OSRM_URL")]
    osrm_url: Option<String>,
    /// Serveurs mandataires devant Passerelle (adresses ou réseaux séparés
    /// par des virgules, par exemple 127.0.0.1,::1) : l’adresse du client,
    /// pour les limites de connexion et le journal, est alors lue dans leur
    /// en-tête X-Forwarded-For. Celui de tout autre est ignoré.
    #[arg(long, env = "PASSERELLE_TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: String,
    /// Jeton que Prometheus présente pour lire /metrics. Sans lui, pas de
    /// /metrics.
    #[arg(long, env = "PASSERELLE_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    #[command(flatten)]
    referral_periods: ReferralPeriods,
    #[command(flatten)]
    retention: RetentionArgs,
    #[command(flatten)]
    operator: OperatorArgs,
    #[command(flatten)]
    proconnect: ProConnectArgs,
}

/// Sign-in with ProConnect (OpenID Connect). The provider sends people back
/// to PASSERELLE_PUBLIC_URL + /connexion/proconnect/retour, and after
/// signing out to PASSERELLE_PUBLIC_URL + /: register both at ProConnect.
#[derive(Args, Clone)]
struct ProConnectArgs {
    /// L’émetteur du fournisseur, dont on lit
    /// /.well-known/openid-configuration (ProConnect :
    /// https://auth.agentconnect.gouv.fr/api/v2).
    #[arg(long, env = "PASSERELLE_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// L’identifiant client que ProConnect a donné à cette instance.
    #[arg(long, env = "PASSERELLE_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// Son secret client.
    #[arg(long, env = "PASSERELLE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// `off` désactive la connexion par mot de passe (et sa
    /// réinitialisation) quand ProConnect est configuré : on ne se connecte
    /// alors qu’avec ProConnect.
    #[arg(long, env = "PASSERELLE_PASSWORD_SIGN_IN", default_value = "on", value_parser = ["on", "off"])]
    password_sign_in: String,
}

impl ProConnectArgs {
    /// The settings, all three or none.
    fn settings(&self) -> Result<Option<passerelle_web::proconnect::Settings>> {
        let set = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        match (
            set(&self.oidc_issuer),
            set(&self.oidc_client_id),
            set(&self.oidc_client_secret),
        ) {
            (Some(issuer), Some(client_id), Some(client_secret)) => {
                Ok(Some(passerelle_web::proconnect::Settings {
                    issuer,
                    client_id,
                    client_secret,
                }))
            }
            (None, None, None) => Ok(None),
            _ => Err(anyhow::anyhow!(
                "ProConnect : définissez ensemble PASSERELLE_OIDC_ISSUER, PASSERELLE_OIDC_CLIENT_ID et PASSERELLE_OIDC_CLIENT_SECRET"
            )),
        }
    }
}

/// Who runs the instance, for the "Mentions légales", "Données
/// personnelles" and "Accessibilité" pages (README, "Exploitant").
#[derive(Args, Clone)]
struct OperatorArgs {
    /// L’organisme qui publie l’instance.
    #[arg(long, env = "PASSERELLE_OPERATOR_NAME")]
    operator_name: Option<String>,
    /// Son adresse postale.
    #[arg(long, env = "PASSERELLE_OPERATOR_ADDRESS")]
    operator_address: Option<String>,
    /// L’adresse à laquelle écrire au sujet de ses données ou de
    /// l’accessibilité.
    #[arg(long, env = "PASSERELLE_OPERATOR_EMAIL")]
    operator_email: Option<String>,
    /// Le directeur de la publication.
    #[arg(long, env = "PASSERELLE_OPERATOR_DIRECTOR")]
    operator_director: Option<String>,
    /// L’hébergeur : son nom et son adresse.
    #[arg(long, env = "PASSERELLE_OPERATOR_HOST")]
    operator_host: Option<String>,
}

impl OperatorArgs {
    fn operator(&self) -> passerelle_web::legal::Operator {
        passerelle_web::legal::Operator::new(
            self.operator_name.clone(),
            self.operator_address.clone(),
            self.operator_email.clone(),
            self.operator_director.clone(),
            self.operator_host.clone(),
        )
    }
}

#[derive(Subcommand)]
enum TerritoriesCommand {
    /// Charge des fichiers du référentiel (CSV séparé par `,` ou `;`) :
    /// communes, EPCI, départements ou régions, reconnus à leur en-tête.
    /// Réimporter un fichier met à jour sans rien dupliquer ; un fichier
    /// avec une erreur est refusé en entier, avec la ligne et le champ en
    /// cause.
    Import {
        /// Fichiers à charger, dans l’ordre (les parents d’abord : les
        /// départements avant les communes).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Cherche des communes par leur nom (début de n’importe quel mot,
    /// accents ignorés), leur code postal ou leur code INSEE.
    Search {
        /// Ce que l’on cherche : « quimper », « 29000 », « 29232 ».
        query: String,
        /// Nombre maximal de résultats (1 à 50).
        #[arg(long, default_value_t = 20, value_parser = search_limit)]
        limit: i64,
    },
    /// Montre une commune, son EPCI, son département et sa région.
    Commune {
        /// Code INSEE, par exemple 29232.
        code: String,
    },
    /// Montre un EPCI et ses communes membres.
    Epci {
        /// SIREN, par exemple 200068120.
        siren: String,
    },
    /// Population et nombre de communes par région et par département.
    Summary,
}

/// `--limit` of `territories search`: 1 to the store's maximum.
fn search_limit(text: &str) -> Result<i64, String> {
    let max = passerelle_store::territories::MAX_SEARCH_RESULTS;
    text.trim()
        .parse()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("un nombre de résultats de 1 à {max} est attendu"))
}

/// A command line clap refuses, said in French: the argument and the value
/// at fault, then where to find the help.
fn usage_error(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(list)) => list.join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let (arg, value) = (
        context(ContextKind::InvalidArg),
        context(ContextKind::InvalidValue),
    );
    let why = std::error::Error::source(e)
        .map(|s| format!(" : {s}"))
        .unwrap_or_default();
    let what = match e.kind() {
        ErrorKind::InvalidValue => format!(
            "valeur « {value} » non acceptée pour {arg} (valeurs possibles : {})",
            context(ContextKind::ValidValue)
        ),
        ErrorKind::ValueValidation => format!("valeur « {value} » non acceptée pour {arg}{why}"),
        ErrorKind::UnknownArgument => format!("argument inconnu « {arg} »"),
        ErrorKind::InvalidSubcommand => format!(
            "commande inconnue « {} »",
            context(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::MissingRequiredArgument => format!("argument obligatoire manquant : {arg}"),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "une commande est attendue".to_string()
        }
        ErrorKind::ArgumentConflict => format!(
            "{arg} ne peut pas être employé avec {}",
            context(ContextKind::PriorArg)
        ),
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("nombre de valeurs incorrect pour {arg}")
        }
        _ => "ligne de commande incorrecte".to_string(),
    };
    format!("passerelle : erreur : {what}\nPour l’aide : passerelle --help")
}

/// The help clap wrote, its own words said in French: the headings, the
/// help and version flags, the `[default: …]`-style notes. The rest of
/// the help is the French of the doc comments above.
fn french_help(text: &str) -> String {
    const WORDS: [(&str, &str); 16] = [
        ("Usage: ", "Utilisation : "),
        ("\nCommands:\n", "\nCommandes :\n"),
        ("\nOptions:\n", "\nOptions :\n"),
        ("\nArguments:\n", "\nArguments :\n"),
        ("<COMMAND>", "<COMMANDE>"),
        ("[COMMAND]", "[COMMANDE]"),
        ("[default: ", "[par défaut : "),
        ("[env: ", "[variable : "),
        ("[possible values: ", "[valeurs possibles : "),
        ("Possible values:", "Valeurs possibles :"),
        ("[aliases: ", "[autres noms : "),
        (
            "Print this message or the help of the given subcommand(s)",
            "Affiche cette aide ou celle de la commande donnée",
        ),
        (
            "Print help (see more with '--help')",
            "Affiche l’aide (en détail avec --help)",
        ),
        (
            "Print help (see a summary with '-h')",
            "Affiche l’aide (en résumé avec -h)",
        ),
        ("Print help", "Affiche l’aide"),
        ("Print version", "Affiche la version"),
    ];
    let mut text = text.to_string();
    for (english, french) in WORDS {
        text = text.replace(english, french);
    }
    text
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            return match print_ignoring_closed_pipe(&french_help(&e.render().to_string())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            };
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayVersion => e.exit(),
        Err(e) => {
            eprintln!("{}", usage_error(&e));
            return ExitCode::from(2);
        }
    };
    if let Err(e) = ops::init_logging() {
        eprintln!("passerelle : erreur : {e:#}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("passerelle : erreur : impossible de démarrer le moteur asynchrone : {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, naming what to fix.
            eprintln!("passerelle : erreur : {}", ops::error_message(&e));
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
        let result = ops::restore(&database_url(&cli.storage), args, &mut out).await;
        print_ignoring_closed_pipe(&out)?;
        return result;
    }
    let db = open_database(&cli.storage).await?;
    let public_url = cli.storage.public_url.clone();
    // Closed before the process ends: SQLite's last connection then
    // checkpoints its write-ahead log and removes it, rather than leave
    // the next start to read it all again (half a gigabyte after an
    // import of a million records).
    let to_close = db.clone();
    let result = match cli.command {
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
            let r = db
                .run_referral_deadlines(chrono::Utc::now(), periods.periods())
                .await?;
            print_ignoring_closed_pipe(&format!(
                "{} relances envoyées, {} orientations expirées, {} closes sans suite, \
                 {} demandes « situation complexe » closes, {} effacées\n",
                r.reminded, r.expired, r.lapsed, r.requests_expired, r.erased
            ))
        }
        Command::Network(command) => {
            let (clock, run) = match &command {
                NetworkCommand::Run(c) => (c, passerelle_store::network::DigestRun::Scheduled),
                NetworkCommand::Digest(c) => (c, passerelle_store::network::DigestRun::Forced),
            };
            let r = jobs::network(&db, clock.instant()?, run).await?;
            print_ignoring_closed_pipe(&format!(
                "{} rappels envoyés, {} places données depuis les listes d’attente, {} opportunités expirées, {} lettres de la semaine envoyées\n",
                r.reminders, r.seated, r.expired, r.digests
            ))
        }
        Command::Accounts(command) => {
            let mut out = String::new();
            let result = accounts(&db, command, public_url.as_deref(), &mut out).await;
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
    };
    to_close.close().await;
    result
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
            .context("chargement du référentiel breton intégré")?;
        let communes: usize = reports
            .iter()
            .filter(|r| r.kind == "communes")
            .map(|r| r.rows)
            .sum();
        tracing::info!("base vide : référentiel breton intégré chargé ({communes} communes)");
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
        .context("chargement des chiffres d’activité des conseillers numériques")?;
    }
    if db.places_empty().await? {
        let reports = db
            .load_bundled_places()
            .await
            .context("chargement des lieux bretons intégrés")?;
        let read: usize = reports.iter().map(|(_, r)| r.read).sum();
        let merged: usize = reports.iter().map(|(_, r)| r.merged).sum();
        tracing::info!("lieux bretons intégrés chargés : {read} de 3 sources, {merged} fusionnés");
    }
    Ok(db)
}

fn find_assets(explicit: Option<PathBuf>) -> Assets {
    if let Some(dir) = explicit {
        if !dir.join("dsfr").is_dir() {
            tracing::warn!(
                "{} ne contient pas les fichiers du navigateur construits (pas de dsfr/) : lancez `npm ci && npm run build`",
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
            "fichiers du navigateur introuvables (web/dist) : les pages n’auront pas de styles ; lancez `npm ci && npm run build`"
        );
    }
    Assets { dir }
}

async fn serve(db: Database, args: ServeArgs, public_url: Option<String>) -> Result<()> {
    let assets = find_assets(args.assets_dir);
    let backend = db.backend().name();
    let smtp = match args.smtp_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => Some(
            SmtpConfig::parse(url)
                .and_then(|c| Mailer::new(&c))
                .map_err(anyhow::Error::msg)?,
        ),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| {
            format!(
                "impossible d’écouter sur {} : indiquez dans --addr ou PASSERELLE_ADDR une adresse libre",
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
            )
            .with_operator(args.operator.operator())
            .with_retention(args.referral_periods.periods(), args.retention.retention())
            .with_trusted_proxies(&args.trusted_proxies)
            .map_err(anyhow::Error::msg)?
            .with_proconnect(
                args.proconnect.settings()?,
                args.proconnect.password_sign_in == "on",
            )
            .map_err(anyhow::Error::msg)?,
    );
    // The index of activity records, built while the server starts
    // answering (the first question waits for it).
    let warm = state.clone();
    tokio::spawn(async move {
        match warm.warm_activities().await {
            Ok(n) => tracing::info!(records = n, "activity index built"),
            Err(e) => tracing::error!(error = %e, "activity index not built"),
        }
    });
    let (hour, minute) = (Duration::from_secs(3600), Duration::from_secs(60));
    // Retention first: nothing past its period is served, even from a
    // database restored by hand. Then hourly, on one server at a time.
    let jobs = state.jobs.clone();
    let (periods, retention) = (args.referral_periods.periods(), args.retention.retention());
    jobs.register(jobs::RETENTION, jobs::RETENTION_EVERY);
    jobs::once_here(&db, &jobs, jobs::RETENTION, hour, || {
        jobs::run_retention(&db, periods, retention)
    })
    .await;
    let retention_db = db.clone();
    tokio::spawn(async move {
        tokio::time::sleep(jobs::RETENTION_EVERY).await;
        jobs::every(
            retention_db.clone(),
            jobs.clone(),
            jobs::RETENTION,
            jobs::RETENTION_EVERY,
            hour,
            move || {
                let db = retention_db.clone();
                async move { jobs::run_retention(&db, periods, retention).await }
            },
        )
        .await;
    });
    let accounts_db = db.clone();
    tokio::spawn(jobs::every(
        db.clone(),
        state.jobs.clone(),
        jobs::ACCOUNTS,
        jobs::ACCOUNTS_EVERY,
        hour,
        move || jobs::run_account_lifecycle(accounts_db.clone()),
    ));
    let digest_db = db.clone();
    tokio::spawn(jobs::every(
        db.clone(),
        state.jobs.clone(),
        jobs::DIGEST,
        jobs::DIGEST_EVERY,
        jobs::DIGEST_EVERY,
        move || jobs::run_digest(digest_db.clone()),
    ));
    let surveys_db = db.clone();
    tokio::spawn(jobs::every(
        db.clone(),
        state.jobs.clone(),
        jobs::SURVEYS_CLOSING,
        jobs::SURVEYS_CLOSING_EVERY,
        hour,
        move || jobs::run_surveys_closing(surveys_db.clone()),
    ));
    let stale_db = db.clone();
    tokio::spawn(jobs::every(
        db.clone(),
        state.jobs.clone(),
        jobs::STALE_PLACES,
        jobs::STALE_PLACES_EVERY,
        jobs::STALE_PLACES_EVERY,
        move || jobs::run_stale_places(stale_db.clone()),
    ));
    if let Some(smtp) = smtp {
        let (mail_db, smtp) = (db.clone(), Arc::new(smtp));
        let links: Arc<str> = public_url.clone().into();
        tokio::spawn(jobs::every(
            db.clone(),
            state.jobs.clone(),
            passerelle_web::mailer::JOB,
            passerelle_web::mailer::EVERY,
            minute,
            move || {
                passerelle_web::mailer::deliver_round(mail_db.clone(), smtp.clone(), links.clone())
            },
        ));
    }
    let network_db = db.clone();
    tokio::spawn(jobs::every(
        db.clone(),
        state.jobs.clone(),
        "network",
        hour,
        hour,
        move || {
            let db = network_db.clone();
            async move {
                let run = passerelle_store::network::DigestRun::Scheduled;
                match jobs::network(&db, chrono::Utc::now(), run).await {
                    Ok(r) if r == Default::default() => true,
                    Ok(r) => {
                        tracing::info!("network: {r:?}");
                        true
                    }
                    Err(e) => {
                        tracing::error!("network job: {e}");
                        false
                    }
                }
            }
        },
    ));
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
                    .with_context(|| format!("lecture impossible de {}", path.display()))?;
                let name = path.display().to_string();
                let file = parse_reference_file(&name, &bytes)?;
                let report = db.import_reference(&name, &file).await?;
                write!(
                    out,
                    "{name} : {} lignes de {} lues, {} nouvelles, {} mises à jour",
                    report.rows, report.kind, report.added, report.updated
                )?;
                if report.members_not_loaded > 0 {
                    write!(
                        out,
                        ", {} communes membres absentes du référentiel",
                        report.members_not_loaded
                    )?;
                }
                writeln!(out)?;
            }
        }
        TerritoriesCommand::Search { query, limit } => {
            let found = db.search_communes(&query, limit).await?;
            if found.is_empty() {
                writeln!(out, "aucune commune ne correspond à « {query} »")?;
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
                .with_context(|| format!("aucune commune n’a le code INSEE « {code} »"))?;
            writeln!(out, "{} ({})", c.nom, c.code)?;
            writeln!(out, "  codes postaux : {}", c.postcodes.join(", "))?;
            writeln!(
                out,
                "  population :   {}",
                c.population.map_or("inconnue".into(), |p| p.to_string())
            )?;
            match c.epci {
                Some(e) => writeln!(
                    out,
                    "  EPCI :         {} ({})",
                    e.nom.unwrap_or_default(),
                    e.siren
                )?,
                None => writeln!(out, "  EPCI :         aucun")?,
            }
            writeln!(
                out,
                "  département :  {} ({})",
                c.departement.nom, c.departement.code
            )?;
            writeln!(out, "  région :       {} ({})", c.region.nom, c.region.code)?;
        }
        TerritoriesCommand::Epci { siren } => {
            let e = db
                .epci(&siren)
                .await?
                .with_context(|| format!("aucun EPCI n’a le SIREN « {siren} »"))?;
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
                    "{} {} : {} communes, population {}",
                    r.code, r.nom, r.communes, r.population
                )?;
                if let Some(region) = db.region(&r.code).await? {
                    for d in region.departements.iter().filter(|d| d.communes > 0) {
                        writeln!(
                            out,
                            "  {} {} : {} communes, population {}",
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
    public_url: Option<&str>,
    out: &mut String,
) -> Result<()> {
    match command {
        AccountsCommand::CreateAdmin {
            email,
            structure,
            addr,
        } => {
            // The link leads where `serve` listens when no public URL is set.
            let base = public_url.map_or_else(|| format!("http://{addr}"), str::to_string);
            let email = passerelle_accounts::normalize_email(&email)
                .with_context(|| format!("« {email} » n’est pas une adresse électronique"))?;
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
                    .map_err(|refusal| {
                        anyhow::anyhow!(passerelle_web::structure_refusal(&refusal))
                    })?,
            };
            let structure = db
                .structure(structure_id)
                .await?
                .context("la structure trouvée ou créée à l’instant est introuvable")?;
            let token = db
                .create_invitation(
                    &passerelle_store::write::Acting::system(),
                    &passerelle_store::accounts::NewInvitation {
                        email: &email,
                        structure: &structure,
                        role: passerelle_accounts::Role::Admin,
                        scopes: &[],
                        inviter: None,
                    },
                )
                .await?;
            writeln!(
                out,
                "Invitation de {email}, administrateur, valable 7 jours. Ouvrez-la pour choisir un mot de passe :"
            )?;
            writeln!(out, "{}/invitation/{token}", base.trim_end_matches('/'))?;
        }
        AccountsCommand::Retention(retention) => {
            let r = db
                .apply_retention(chrono::Utc::now(), retention.retention())
                .await?;
            writeln!(
                out,
                "{} lignes du journal ont eu leur adresse IP remplacée par un pseudonyme, {} leur adresse saisie ; {} anciens courriels supprimés",
                r.addresses, r.typed, r.messages
            )?;
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
            let bytes = std::fs::read(&file)
                .with_context(|| format!("lecture impossible de {}", file.display()))?;
            let name = file.display().to_string();
            let today = passerelle_store::time::now_iso()[..10].to_string();
            let checked =
                passerelle_places::import::check(&bytes, date.as_deref().unwrap_or(&today));
            writeln!(
                out,
                "{name} : {} ({} lignes valides, {} invalides)",
                checked.format,
                checked.valid.len(),
                checked.rejected.len()
            )?;
            for w in &checked.warnings {
                writeln!(out, "{name}, {w}")?;
            }
            for (rule, label) in passerelle_places::normalize::RULES {
                if let Some(n) = checked.corrections.get(rule) {
                    writeln!(out, "{name} : {n} corrections : {label}")?;
                }
            }
            let errors = checked.errors();
            if !checked.file_errors.is_empty() || (!errors.is_empty() && !skip_invalid) {
                for e in &errors {
                    writeln!(out, "{name}, {e}")?;
                }
                bail!(
                    "{name} : {} erreurs, rien n’est importé (--skip-invalid importe les lignes valides)",
                    errors.len()
                );
            }
            if !checked.rejected.is_empty() {
                std::fs::write(&rejected, checked.rejected_csv())
                    .with_context(|| format!("écriture impossible de {}", rejected.display()))?;
                writeln!(
                    out,
                    "{} lignes rejetées écrites dans {} avec leurs motifs",
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
                    passerelle_store::places::ImportOrigin::File(name.clone()),
                    None,
                )
                .await?;
            for note in &report.merges {
                writeln!(out, "{name}, {}", note.describe(&checked.lines))?;
            }
            writeln!(
                out,
                "{} lieux : {} nouveaux, {} mis à jour, {} fusionnés avec un lieu déjà connu, {} doublons possibles à examiner",
                report.read, report.added, report.updated, report.merged, report.to_review
            )?;
        }
        PlacesCommand::Export { format, output } => {
            let places: Vec<_> = db.places().await?.into_iter().map(|p| p.place).collect();
            let bytes = match format {
                ExportFormat::Csv => write_csv(&places),
                ExportFormat::Json => write_json(&places),
                ExportFormat::Geojson => write_geojson(&places),
                ExportFormat::DataInclusion => {
                    serde_json::to_vec_pretty(&passerelle_places::datainclusion::export(&places))?
                }
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, bytes)
                        .with_context(|| format!("écriture impossible de {}", path.display()))?;
                    writeln!(out, "{} lieux écrits dans {}", places.len(), path.display())?;
                }
                None => out.push_str(&String::from_utf8_lossy(&bytes)),
            }
        }
    }
    Ok(())
}

/// `passerelle activities import`: the file is read once, streamed, each
/// record checked as it is read and written in one transaction (rolled
/// back, nothing imported, if one is wrong). Says what the file was
/// recognised as, what was read another way or left out, and what the
/// import did.
async fn import_activities(
    db: &Database,
    file: &Path,
    format: Option<&str>,
    out: &mut String,
) -> Result<()> {
    use passerelle_activities::csvfile::Records;
    use passerelle_activities::sources::{self, Format, Item, Origin, Records as Items};
    use passerelle_activities::validate::Violation;
    use passerelle_store::activities::{Abandon, Incoming};
    use std::collections::{HashMap, HashSet};
    let name = file.display().to_string();
    let open_file = || {
        std::fs::File::open(file)
            .map(std::io::BufReader::new)
            .with_context(|| format!("lecture impossible de {name}"))
    };
    // The bytes read through the import's reader, for its progress bar.
    let bytes_read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    let mut head = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(open_file()?, 65_536), &mut head)?;
    let format = match format {
        None => Format::detect(&head),
        Some(f) => Format::parse(f)
            .with_context(|| format!("format inconnu « {f} » : passerelle, coop ou cra-v1"))?,
    };
    // "29000 Quimper" → INSEE code, from the territorial reference.
    let mut by_postcode: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (postcode, code, commune) in db.postcode_communes().await? {
        by_postcode
            .entry(postcode)
            .or_default()
            .push((code, passerelle_territory::search::search_key(&commune)));
    }
    let known: HashSet<String> = db.commune_codes().await?.into_iter().collect();
    let resolve = |postcode: &str, commune: &str| -> Option<String> {
        let communes = by_postcode.get(postcode)?;
        let key = passerelle_territory::search::search_key(commune);
        communes
            .iter()
            .find(|(_, k)| *k == key)
            .or_else(|| (communes.len() == 1).then(|| &communes[0]))
            .map(|(code, _)| code.clone())
    };
    struct Opened<'a> {
        recognised: String,
        origin: Origin,
        not_read: Vec<String>,
        unknown: Vec<String>,
        items: Items<'a>,
    }
    let open = || -> std::result::Result<Opened<'_>, (Origin, Violation)> {
        let reader = std::fs::File::open(file)
            .map(|f| {
                std::io::BufReader::new(progress::Counted::new(
                    f,
                    std::sync::Arc::clone(&bytes_read),
                ))
            })
            .with_context(|| format!("lecture impossible de {name}"));
        let reader = reader.map_err(|e| {
            (
                Origin::Csv,
                Violation {
                    line: 1,
                    field: "fichier",
                    message: e.to_string(),
                },
            )
        })?;
        Ok(match format {
            Format::Passerelle => Opened {
                recognised: "fichier CSV de Passerelle".into(),
                origin: Origin::Csv,
                not_read: Vec::new(),
                unknown: Vec::new(),
                items: Box::new(
                    Records::new(reader)
                        .map_err(|v| (Origin::Csv, v))?
                        .map(|r| {
                            r.map(|(line, activity)| Item {
                                line,
                                activity,
                                key: None,
                                twin: None,
                                notes: Vec::new(),
                            })
                        }),
                ),
            },
            _ => {
                let origin = if head.starts_with(b"PK\x03\x04") {
                    Origin::Sheet(String::new())
                } else {
                    Origin::Csv
                };
                let c = sources::convert(format, reader, &resolve).map_err(|v| (origin, v))?;
                Opened {
                    recognised: c.recognised,
                    origin: c.origin,
                    not_read: c.not_read,
                    unknown: c.unknown,
                    items: c.items,
                }
            }
        })
    };
    let where_ = |origin: &Origin, v: &Violation| {
        let at = match origin {
            Origin::Csv => format!("ligne {}", v.line),
            Origin::Sheet(sheet) if sheet.is_empty() => format!("ligne {}", v.line),
            Origin::Sheet(sheet) => format!("feuille « {sheet} », ligne {}", v.line),
            Origin::Json => format!("enregistrement n° {}", v.line),
        };
        format!("{name}, {at}, « {} » : {}", v.field, v.message)
    };
    let check = if format == Format::Passerelle {
        passerelle_activities::validate::validate
    } else {
        passerelle_activities::validate::validate_imported
    };
    // One pass: records are checked as they are read, on a thread of their
    // own, and handed over in chunks to the store, which writes them in one
    // transaction while the next chunk is read. The first problem stops the
    // writing (the transaction is rolled back: nothing is imported) while
    // the rest of the file is still checked, so that every problem is said.
    let opened = open().map_err(|(origin, v)| anyhow::anyhow!(where_(&origin, &v)))?;
    writeln!(out, "{name} : {}", opened.recognised)?;
    for (what, columns) in [
        (
            "colonnes non lues (données personnelles, texte libre ou sans équivalent)",
            &opened.not_read,
        ),
        ("colonnes inconnues, non lues", &opened.unknown),
    ] {
        if !columns.is_empty() {
            writeln!(out, "{what} : {}", columns.join(", "))?;
        }
    }
    let today = passerelle_store::time::now_iso()[..10]
        .parse()
        .expect("today");
    let origin = opened.origin.clone();
    let failed = std::sync::atomic::AtomicBool::new(false);
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Incoming>>(2);
    let (checked, imported) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut send = Some(send);
            let mut checked = Checked::default();
            let mut chunk = Vec::with_capacity(CHUNK);
            let importing = progress::Progress::new("Import", size);
            for item in opened.items {
                checked.count += 1;
                if checked.count.is_multiple_of(10_000) {
                    importing.at(
                        bytes_read.load(std::sync::atomic::Ordering::Relaxed),
                        checked.count,
                    );
                }
                let problems = match &item {
                    Ok(item) => {
                        checked.look_at(item, &origin, &known);
                        check(item.line, &item.activity, today)
                    }
                    Err(v) => vec![v.clone()],
                };
                if !problems.is_empty() {
                    checked
                        .errors
                        .extend(problems.iter().map(|v| where_(&origin, v)));
                    // Set before the channel closes: the store then rolls back.
                    failed.store(true, std::sync::atomic::Ordering::SeqCst);
                    send = None;
                    continue;
                }
                let (Some(to_store), Ok(item)) = (&send, item) else {
                    continue;
                };
                chunk.push(Incoming::new(item.activity, item.key, item.twin));
                if chunk.len() == CHUNK
                    && to_store
                        .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                        .is_err()
                {
                    // The store stopped (it failed): the rest is still checked.
                    send = None;
                }
            }
            if let Some(to_store) = send
                && !chunk.is_empty()
            {
                let _ = to_store.send(chunk);
            }
            importing.done();
            checked
        });
        let failed = &failed;
        let mut next = move || match receive.recv() {
            Ok(chunk) => Ok(Some(chunk)),
            Err(_) if failed.load(std::sync::atomic::Ordering::SeqCst) => Err(Abandon),
            Err(_) => Ok(None),
        };
        let imported = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(db.import_activity_chunks(
                &mut next,
                passerelle_store::activities::Author {
                    mediator_id: None,
                    structure_id: None,
                    token_id: None,
                },
                &name,
            ))
        });
        // A reader still sending to a store that stopped finds the channel
        // closed and goes on checking.
        drop(next);
        (reader.join().expect("the reading thread"), imported)
    });
    let Checked {
        mut errors,
        count,
        at_places,
        notes,
    } = checked;
    if !errors.is_empty() || imported.is_err() {
        // A place not in the directory: said by its line (the store
        // refused the record, or it was not reached).
        let ids: Vec<i64> = at_places.iter().map(|(_, id)| *id).collect();
        let unknown = db.unknown_places(&ids).await?;
        errors.extend(
            at_places
                .iter()
                .filter(|(_, id)| unknown.contains(id))
                .map(|(line, id)| {
                    where_(
                        &origin,
                        &Violation {
                            line: *line,
                            field: "lieu",
                            message: format!("aucun lieu n° {id} dans l’annuaire"),
                        },
                    )
                }),
        );
    }
    if !errors.is_empty() {
        for e in errors.iter().take(50) {
            writeln!(out, "{e}")?;
        }
        bail!(
            "{name} : {} erreur(s) dans {count} enregistrements, rien n’est importé",
            errors.len()
        );
    }
    let done = imported?.context("import abandonné sans erreur")?;
    for (what, (n, examples)) in &notes {
        writeln!(out, "{n} {what} : {}…", examples.join(", "))?;
    }
    writeln!(
        out,
        "{} activités importées, {} mises à jour, {} déjà importées et inchangées, {} déjà comptées depuis l’autre fichier (compte rendu CRA v1 et sa copie dans la Coop), {} en double dans le fichier",
        done.added, done.updated, done.unchanged, done.twins, done.repeated
    )?;
    Ok(())
}

/// Records handed to the store at a time: memory holds a few chunks.
const CHUNK: usize = 20_000;

/// What reading and checking a file of records found.
#[derive(Default)]
struct Checked {
    errors: Vec<String>,
    count: u64,
    /// The places named, with their lines: they must be in the directory.
    at_places: Vec<(u64, i64)>,
    /// Remarks (not errors), with how many and a few examples.
    notes: std::collections::BTreeMap<&'static str, (usize, Vec<String>)>,
}

impl Checked {
    fn note(&mut self, what: &'static str, detail: String) {
        let e = self.notes.entry(what).or_default();
        e.0 += 1;
        if e.1.len() < 3 {
            e.1.push(detail);
        }
    }

    /// Notes the record's place and remarks, and a commune outside the
    /// territorial reference (counted nationally only).
    fn look_at(
        &mut self,
        item: &passerelle_activities::sources::Item,
        origin: &passerelle_activities::sources::Origin,
        known: &std::collections::HashSet<String>,
    ) {
        use passerelle_activities::model::Where;
        if let Where::Lieu(id) = item.activity.place {
            self.at_places.push((item.line, id));
        }
        for n in &item.notes {
            self.note(n.what, n.detail.clone());
        }
        let commune = match &item.activity.place {
            Where::Autre(code) => Some(code),
            _ => item.activity.residence_commune.as_ref(),
        };
        if let Some(code) = commune.filter(|c| !known.contains(*c)) {
            let at = match origin {
                passerelle_activities::sources::Origin::Json => {
                    format!("enregistrement n° {}", item.line)
                }
                _ => format!("ligne {}", item.line),
            };
            self.note(
                "enregistrements dans une commune hors du référentiel territorial chargé, comptés au niveau national seulement",
                format!("{at} (commune {code})"),
            );
        }
    }
}

async fn activities(db: &Database, command: ActivitiesCommand, out: &mut String) -> Result<()> {
    use passerelle_activities::csvfile::{COLUMNS, write_record};
    match command {
        ActivitiesCommand::Import { file, format } => {
            import_activities(db, &file, format.as_deref(), out).await?;
        }
        ActivitiesCommand::Stats {
            territory,
            from,
            to,
            by,
            filters,
            format,
        } => {
            use passerelle_activities::stats::Question;
            let q = Question::parse(
                &territory,
                &from,
                &to,
                &by,
                filters.iter().map(String::as_str),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let live = db.activity_index().await?;
            let answer = live.index.answer(&q).map_err(|e| anyhow::anyhow!("{e}"))?;
            match format {
                StatsFormat::Json => writeln!(out, "{}", answer.to_json(&q, q.level()))?,
                StatsFormat::Csv => {
                    let mut writer = passerelle_csv::Writer::in_memory();
                    for row in answer.csv_rows(q.level()) {
                        writer.write_record(row)?;
                    }
                    out.push_str(&String::from_utf8(writer.into_bytes())?);
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
                .with_context(|| format!("écriture impossible de {}", output.display()))?;
            let mut writer = passerelle_csv::Writer::from_writer(std::io::BufWriter::new(file));
            writer.write_record(COLUMNS)?;
            for _ in 0..n {
                writer.write_record(write_record(&generator.record()))?;
            }
            writer.flush()?;
            writeln!(out, "{n} activités écrites dans {}", output.display())?;
        }
    }
    Ok(())
}
