//! The Coop de la médiation numérique's export of a mediator's (or a
//! coordinator's team's) activities, in every layout its builder has
//! written (`inclusion-numerique/coop-mediation-numerique`,
//! `buildActivitesWorksheet.ts` then `buildAccompagnementsWorksheet.ts`):
//!
//! - `First` (625b718c, 9 September 2024): one line per activity, `Durée`
//!   as a label (`1h30`), dates written `dd.MM.yyyy`;
//! - `Separate` (7b63bce2, 10 September 2024 → 80573c44, 11 June 2025):
//!   one line per activity, `Niveau d’autonomie du bénéficiaire` and
//!   `Niveau de l’atelier` apart, an orientation question; between
//!   32ba691c and 3f0c614d (28 April → 28 May 2025) the header kept
//!   `La démarche est-elle finalisée ?` while the lines no longer wrote
//!   it, so the cells after it sit one column to the left (such lines are
//!   recognised and read at their true place);
//! - `Merged` (80573c44, 11 June → 243d4fa2, 20 August 2025): one level
//!   column, `Lieu` as `Nom, CP Commune`;
//! - `PerPerson` (243d4fa2, 20 August 2025 →): one line per person,
//!   `Participants` `1` or `i/n`, the place split into columns, `ID CRA`
//!   shared by the lines of one activity, `Source de la donnée` when the
//!   mediator has CRA v1 records; a coordinator's export adds the
//!   mediator's name, role and conseiller numérique id and drops the
//!   person's name and the notes.
//!
//! Every layout starts with lines about the export (who, when, filters),
//! skipped up to the table's header. Lines of one activity are regrouped
//! into one record; people of an activity missing from the file count as
//! "non communiqué". Labels are compared folded (case, accents and
//! punctuation ignored), and every label of every version is known; the
//! Coop's internal keys are accepted too.

use std::collections::{BTreeMap, HashMap};

use super::{
    Columns, Conversion, Item, Note, Origin, Resolver, Rows, content_key, fold, named, parse_date,
    twin_key,
};
use crate::model::{Activity, Kind, Where};
use crate::validate::Violation;

/// The Coop's themes (key, label) and the reporting theme each counts
/// under. Judgement calls, documented in `docs/activites-imports.md`:
/// maintenance counts as taking equipment in hand, "prévention en
/// sécurité numérique" as securing equipment, parenting as helping a
/// carer, creating media as managing digital content, AI as digital
/// culture, and every administrative sub-theme as "Démarche en ligne".
/// Older labels fold to these or to their key (`Entrepreneuriat`,
/// `Travail - Formation`, `Papiers - Élections Citoyenneté`…).
pub const THEMES: [(&str, &str, &str); 30] = [
    (
        "DiagnosticNumerique",
        "Diagnostic numérique",
        "Diagnostic numérique",
    ),
    (
        "PrendreEnMainDuMateriel",
        "Prendre en main du matériel",
        "Prendre en main du matériel",
    ),
    (
        "MaintenanceDeMateriel",
        "Maintenance de matériel",
        "Prendre en main du matériel",
    ),
    (
        "GereSesContenusNumeriques",
        "Gérer ses contenus numériques",
        "Gestion de contenus numériques",
    ),
    (
        "NavigationSurInternet",
        "Navigation sur internet",
        "Naviguer sur Internet",
    ),
    ("Email", "E-mail", "Courriels"),
    ("Bureautique", "Bureautique", "Bureautique"),
    (
        "ReseauxSociaux",
        "Réseaux sociaux communication",
        "Échanger avec ses proches",
    ),
    ("Sante", "Santé", "Santé"),
    (
        "BanqueEtAchatsEnLigne",
        "Banque et achats en ligne",
        "Budget",
    ),
    (
        "Entrepreneuriat",
        "Accompagner un professionnel",
        "Numérique et TPE/PME",
    ),
    (
        "InsertionProfessionnelle",
        "Insertion professionnelle",
        "Emploi et formation",
    ),
    (
        "SecuriteNumerique",
        "Prévention en sécurité numérique",
        "Sécuriser un équipement",
    ),
    ("Parentalite", "Parentalité", "Accompagner un aidant"),
    ("ScolariteEtNumerique", "Scolarité et numérique", "Scolaire"),
    (
        "CreerAvecLeNumerique",
        "Créer avec le numérique",
        "Gestion de contenus numériques",
    ),
    ("CultureNumerique", "Culture numérique", "Culture numérique"),
    (
        "IntelligenceArtificielle",
        "Intelligence artificielle (IA)",
        "Culture numérique",
    ),
    (
        "AideAuxDemarchesAdministratives",
        "Aide aux démarches administratives",
        "Démarche en ligne",
    ),
    (
        "PapiersElectionsCitoyennete",
        "Papiers - Élections - Citoyenneté",
        "Démarche en ligne",
    ),
    (
        "FamilleScolarite",
        "Famille - Scolarité",
        "Démarche en ligne",
    ),
    ("SocialSante", "Social - Santé", "Démarche en ligne"),
    (
        "TravailFormation",
        "Travail - Formation - Entreprise",
        "Démarche en ligne",
    ),
    ("Logement", "Logement", "Démarche en ligne"),
    (
        "TransportsMobilite",
        "Transports - Mobilité",
        "Démarche en ligne",
    ),
    ("ArgentImpots", "Argent - Impôts", "Démarche en ligne"),
    ("Justice", "Justice", "Démarche en ligne"),
    ("EtrangersEurope", "Étrangers - Europe", "Démarche en ligne"),
    (
        "LoisirsSportsCulture",
        "Loisirs - Sports - Culture",
        "Démarche en ligne",
    ),
    ("Associations", "Associations", "Démarche en ligne"),
];

/// Every age label the Coop has written and our bracket. `Mineur(e)`
/// (July → November 2024) spans two of the seeds' brackets, so it cannot
/// be placed: not communicated. `12 - 18 ans` (4 → 18 November 2024) is
/// the bracket later labelled `12 - 17 ans`.
pub const AGES: [(&str, &str); 11] = [
    ("Moins de 12 ans", "moins de 12 ans"),
    ("12 - 17 ans", "12-17 ans"),
    ("12 - 18 ans", "12-17 ans"),
    ("18 - 24 ans", "18-24 ans"),
    ("25 - 39 ans", "25-39 ans"),
    ("40 - 59 ans", "40-59 ans"),
    ("60 - 69 ans", "60-69 ans"),
    ("70 ans et plus", "70 ans et plus"),
    ("70 ans ou plus", "70 ans et plus"),
    ("Mineur(e)", "non communiqué"),
    ("Non communiqué", "non communiqué"),
];

/// Every status label and ours (`Scolarisé(e)`, `Retraité(e)`: July →
/// September 2024).
pub const STATUSES: [(&str, &str); 7] = [
    ("Scolarisé", "scolarisé"),
    ("Scolarisé(e)", "scolarisé"),
    ("Sans emploi", "sans emploi"),
    ("En emploi", "en emploi"),
    ("Retraité", "retraité"),
    ("Retraité(e)", "retraité"),
    ("Non communiqué ou hétérogène", "non communiqué"),
];

/// Where the Coop says a person was redirected (key, label) and our
/// orientation. The labels before 13 June 2025 (`Administration
/// (collectivité locale, préfecture…)`, `Structure de médiation
/// numérique`) are here too. `Autre` has no counterpart.
pub const REDIRECTIONS: [(&str, &str, Option<&str>); 9] = [
    (
        "Administration",
        "Administration (mairie, préfecture…)",
        Some("Mairie"),
    ),
    (
        "Administration",
        "Administration (collectivité locale, préfecture…)",
        Some("Mairie"),
    ),
    (
        "MediationNumerique",
        "Autre structure de médiation numérique",
        Some("Autre lieu de médiation"),
    ),
    (
        "MediationNumerique",
        "Structure de médiation numérique",
        Some("Autre lieu de médiation"),
    ),
    (
        "OperateurOuOrganismeEnCharge",
        "Opérateur ou organisme en charge de la démarche administrative",
        Some("Organisation concernée"),
    ),
    (
        "AideSociale",
        "Structure d’aide sociale (maison des solidarités, centre social…)",
        Some("CCAS"),
    ),
    (
        "InsertionProfessionnelle",
        "Structure d’insertion professionnelle (France Travail, mission locale, chambre de commerce…)",
        Some("Organisation concernée"),
    ),
    (
        "AideAuxDemarchesAdministratives",
        "Structure d’aide aux démarches administratives (France Services…)",
        Some("Espace France services"),
    ),
    ("Autre", "Autre", None),
];

/// The types of activity: `Aide aux démarches administratives` (until
/// May 2025) is an individual accompaniment on a procedure.
const KINDS: [(&str, &str, Kind); 3] = [
    ("Individuel", "Accompagnement individuel", Kind::Individuel),
    ("Collectif", "Atelier collectif", Kind::Atelier),
    (
        "Demarche",
        "Aide aux démarches administratives",
        Kind::Individuel,
    ),
];

/// Where it happened (`typeLieu`).
#[derive(Clone, Copy, PartialEq)]
enum Channel {
    Place,
    Home,
    Remote,
}

const CHANNELS: [(&str, &str, Channel); 4] = [
    ("LieuActivite", "Lieu d’activité", Channel::Place),
    ("Autre", "Autre lieu", Channel::Place),
    ("Domicile", "À domicile", Channel::Home),
    ("ADistance", "À distance", Channel::Remote),
];

const AUTONOMY: [&str; 3] = [
    "entièrement accompagné",
    "partiellement autonome",
    "autonome",
];
const LEVELS: [&str; 3] = ["débutant", "intermédiaire", "avancé"];

const DATE: &str = "Date";
const TYPE: &str = "Type";
const COUNT: &str = "Nombre de participants";
const PARTICIPANTS: &str = "Participants";
const CHANNEL: &str = "Canaux d’accompagnement";
const PLACE: &str = "Lieu";
const PLACE_NAME: &str = "Nom du lieu";
const PLACE_COMMUNE: &str = "Commune";
const PLACE_POSTCODE: &str = "Code postal";
const PLACE_INSEE: &str = "Code Insee";
const DURATION: &str = "Durée (min)";
const DURATION_LABEL: &str = "Durée";
const TITLE: &str = "Nom de l’atelier";
const EQUIPMENT: &str = "Matériel numérique utilisé";
const THEME: &str = "Thématique(s) d’accompagnement";
const LEVEL: &str = "Niveau d’autonomie (ou de l’atelier)";
const AUTONOMY_LEVEL: &str = "Niveau d’autonomie du bénéficiaire";
const WORKSHOP_LEVEL: &str = "Niveau de l’atelier";
const FINALISED: &str = "La démarche est-elle finalisée ?";
const REDIRECTED: &str = "Structure de redirection";
const REORIENTED: &str = "Bénéficiaire réorienté";
const RESIDENCE: &str = "Commune de résidence du bénéficiaire";
const RESIDENCE_COMMUNE: &str = "Commune du bénéficiaire";
const RESIDENCE_POSTCODE: &str = "Code postal du bénéficiaire";
const RESIDENCE_INSEE: &str = "Code Insee du bénéficiaire";
const GENDER: &str = "Genre du bénéficiaire";
const AGE: &str = "Tranche d’âge du bénéficiaire";
const STATUS: &str = "Statut du bénéficiaire";
const CREATED: &str = "Enregistré le";
const SOURCE: &str = "Source de la donnée";
const ID: &str = "ID CRA";
const BENEFICIARY: &str = "Bénéficiaire";
const MEDIATOR_NAME: &str = "Nom du médiateur";

/// Columns some layout writes and this importer does not read: personal
/// data (names, notes, gender, the mediator), free text (tags, the
/// procedure's name, the place's name and address) and answers that our
/// record does not keep.
const NOT_READ: [&str; 17] = [
    BENEFICIARY,
    "Dernière modification le",
    "Notes supplémentaires",
    GENDER,
    "Prénom du médiateur",
    MEDIATOR_NAME,
    "Rôle",
    "ID - Conum",
    "Tags",
    "Nom de la démarche administrative",
    PLACE_NAME,
    "Adresse",
    REORIENTED,
    "Le bénéficiaire est-il orienté vers une autre structure ?",
    FINALISED,
    "Le bénéficiaire va-t-il poursuivre son parcours d’accompagnement ?",
    "Le bénéficiaire intègre un accompagnement de médiation numérique ?",
];

/// Columns read in some layout.
const READ: [&str; 27] = [
    DATE,
    TYPE,
    COUNT,
    PARTICIPANTS,
    CHANNEL,
    PLACE,
    PLACE_COMMUNE,
    PLACE_POSTCODE,
    PLACE_INSEE,
    DURATION,
    DURATION_LABEL,
    TITLE,
    EQUIPMENT,
    THEME,
    LEVEL,
    AUTONOMY_LEVEL,
    WORKSHOP_LEVEL,
    REDIRECTED,
    RESIDENCE,
    RESIDENCE_COMMUNE,
    RESIDENCE_POSTCODE,
    RESIDENCE_INSEE,
    AGE,
    STATUS,
    CREATED,
    SOURCE,
    ID,
];

/// The layouts of the Coop's export (module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    First,
    Separate,
    Merged,
    PerPerson { coordinator: bool },
}

impl Layout {
    /// The layout a header is in.
    fn of(columns: &Columns) -> Self {
        if columns.find(&[ID]).is_some() || columns.find(&[PARTICIPANTS]).is_some() {
            Self::PerPerson {
                coordinator: columns.find(&[MEDIATOR_NAME]).is_some()
                    || columns.find(&[BENEFICIARY]).is_none(),
            }
        } else if columns.find(&[LEVEL]).is_some() || columns.find(&[REORIENTED]).is_some() {
            Self::Merged
        } else if columns.find(&[DURATION]).is_none() && columns.find(&[DURATION_LABEL]).is_some() {
            Self::First
        } else {
            Self::Separate
        }
    }

    /// How the import report names it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::First => {
                "export « Activités » de la Coop, première mise en page (commit 625b718c du 9 septembre 2024)"
            }
            Self::Separate => {
                "export « Activités » de la Coop, mise en page du 10 septembre 2024 au 11 juin 2025 (niveaux séparés ; commits 7b63bce2 à 3f0c614d)"
            }
            Self::Merged => {
                "export « Activités » de la Coop, mise en page du 11 juin au 20 août 2025 (commit 80573c44)"
            }
            Self::PerPerson { coordinator: false } => {
                "export « Accompagnements » de la Coop, une ligne par personne, d’un médiateur (commit 243d4fa2 du 20 août 2025 et suivants)"
            }
            Self::PerPerson { coordinator: true } => {
                "export « Accompagnements » de la Coop, une ligne par personne, d’un coordinateur (commit 6a5853e8 du 20 août 2025 et suivants)"
            }
        }
    }

    /// The columns this layout always writes and this importer reads.
    fn required(self) -> Vec<&'static str> {
        let mut out = vec![
            DATE, TYPE, CHANNEL, THEME, TITLE, EQUIPMENT, REDIRECTED, AGE, STATUS,
        ];
        match self {
            Self::PerPerson { .. } => out.extend([
                PARTICIPANTS,
                DURATION,
                PLACE_COMMUNE,
                PLACE_POSTCODE,
                PLACE_INSEE,
                LEVEL,
                RESIDENCE_COMMUNE,
                RESIDENCE_POSTCODE,
                RESIDENCE_INSEE,
                CREATED,
                ID,
            ]),
            Self::Merged => out.extend([COUNT, DURATION, PLACE, LEVEL, RESIDENCE]),
            Self::Separate => out.extend([
                COUNT,
                DURATION,
                PLACE,
                AUTONOMY_LEVEL,
                WORKSHOP_LEVEL,
                RESIDENCE,
            ]),
            Self::First => out.extend([
                COUNT,
                DURATION_LABEL,
                PLACE,
                AUTONOMY_LEVEL,
                WORKSHOP_LEVEL,
                RESIDENCE,
            ]),
        }
        out
    }
}

/// True when a text holds the header of the Coop's table.
pub fn looks_like_header(text: &str) -> bool {
    text.lines().any(|line| {
        let cells: Vec<String> = line.split([';', ',', '\t']).map(str::to_string).collect();
        is_header(&cells)
    })
}

fn is_header(cells: &[String]) -> bool {
    let folded: Vec<String> = cells.iter().map(|c| fold(c)).collect();
    let has = |name: &str| folded.iter().any(|c| *c == fold(name));
    has(DATE) && has(TYPE) && has(THEME)
}

/// The Coop's export of coordination activities (animations, events,
/// partnerships) has no accompaniments: recognised to say so.
fn is_coordination_header(cells: &[String]) -> bool {
    let folded: Vec<String> = cells.iter().map(|c| fold(c)).collect();
    folded.iter().any(|c| c == "datedelactivite")
        && folded.iter().any(|c| c == "thematiquesdanimation")
}

fn lookup<T: Copy>(table: &[(&str, &str, T)], cell: &str) -> Option<T> {
    let f = fold(cell);
    table
        .iter()
        .find(|(key, label, _)| fold(key) == f || fold(label) == f)
        .map(|(_, _, v)| *v)
}

fn lookup_label(table: &[(&str, &'static str)], cell: &str) -> Option<&'static str> {
    let cell = cell.trim();
    // Written for "no value" by the first builder.
    if cell == "-" {
        return Some("non communiqué");
    }
    let f = fold(cell);
    table.iter().find(|(k, _)| fold(k) == f).map(|(_, v)| *v)
}

/// The reporting theme of a Coop theme (label or key).
pub fn theme(cell: &str) -> Option<&'static str> {
    lookup(&THEMES, cell)
}

/// Our orientation for a Coop redirection (key or label): `Some(None)`
/// for a known redirection without counterpart (`Autre`).
pub fn orientation(cell: &str) -> Option<Option<&'static str>> {
    lookup(&REDIRECTIONS, cell)
}

fn lines(cell: &str) -> impl Iterator<Item = &str> {
    cell.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// Minutes: `45`, or the first builder's labels (`30min`, `1h`, `1h30`).
fn minutes(text: &str) -> Option<u32> {
    let t = text.trim().to_lowercase().replace(' ', "");
    if let Ok(n) = t.parse::<u32>() {
        return Some(n);
    }
    if let Some(m) = t.strip_suffix("min") {
        return m.parse().ok();
    }
    let (h, m) = t.split_once('h')?;
    let h: u32 = h.parse().ok()?;
    let m: u32 = if m.is_empty() { 0 } else { m.parse().ok()? };
    Some(h * 60 + m)
}

/// `2/3` → 2.
fn stars(text: &str) -> Option<Result<usize, ()>> {
    let (n, _) = text.trim().split_once('/')?;
    Some(
        n.trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=3).contains(n))
            .ok_or(()),
    )
}

/// `Médiathèque, 29000 Quimper`, `29000 Quimper` → (postcode, name).
fn postcode_and_name(text: &str) -> Option<(&str, &str)> {
    let tail = text.rsplit(", ").next()?.trim();
    let (postcode, name) = tail.split_once(' ')?;
    (postcode.len() == 5 && postcode.bytes().all(|b| b.is_ascii_digit()))
        .then_some((postcode, name.trim()))
}

fn is_insee(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && b[2..].iter().all(u8::is_ascii_digit)
        && (b[..2].iter().all(u8::is_ascii_digit) || matches!(&code[..2], "2A" | "2B"))
}

/// The positions of the columns read.
struct Cols {
    layout: Layout,
    at: HashMap<&'static str, usize>,
}

impl Cols {
    fn get(&self, name: &str) -> Option<usize> {
        self.at.get(name).copied()
    }
}

/// A line of the table, with its cells.
struct Line<'r> {
    line: u64,
    row: &'r [String],
    cols: &'r Cols,
}

impl<'r> Line<'r> {
    fn cell(&self, name: &str) -> &'r str {
        self.cols
            .get(name)
            .and_then(|i| self.row.get(i))
            .map_or("", String::as_str)
    }

    /// The cell `by` columns to the left of `name` (the shifted lines of
    /// April–May 2025).
    fn cell_before(&self, name: &str, by: usize) -> &'r str {
        self.cols
            .get(name)
            .and_then(|i| i.checked_sub(by))
            .and_then(|i| self.row.get(i))
            .map_or("", String::as_str)
    }

    fn fail(&self, field: &'static str, message: String) -> Violation {
        Violation {
            line: self.line,
            field,
            message,
        }
    }
}

/// What a line says about its activity, the people aside.
struct Fields {
    date: chrono::NaiveDate,
    kind: Kind,
    minutes: u32,
    channel: Channel,
    /// The commune of the place (INSEE), when at a place or at home.
    place_commune: Option<String>,
    title: Option<String>,
    equipment: Option<String>,
    themes: Vec<String>,
    autonomy: Option<String>,
    level: Option<String>,
    orientation: Option<String>,
}

fn fields(l: &Line<'_>, resolve: Resolver<'_>) -> Result<Fields, Violation> {
    if let Some(bad) = l.row.iter().find(|c| c.starts_with('\u{0}')) {
        return Err(l.fail(DATE, format!("ligne CSV mal formée : {}", &bad[1..])));
    }
    let date = parse_date(l.cell(DATE))
        .ok_or_else(|| l.fail(DATE, format!("« {} » n’est pas une date", l.cell(DATE))))?;
    let kind = lookup(&KINDS, l.cell(TYPE)).ok_or_else(|| {
        l.fail(
            TYPE,
            format!(
                "« {} » : attendu Accompagnement individuel ou Atelier collectif",
                l.cell(TYPE)
            ),
        )
    })?;
    let duration_column = if l.cols.layout == Layout::First {
        DURATION_LABEL
    } else {
        DURATION
    };
    let minutes = minutes(l.cell(duration_column)).ok_or_else(|| {
        l.fail(
            duration_column,
            format!("« {} » n’est pas une durée", l.cell(duration_column)),
        )
    })?;
    let channel = lookup(&CHANNELS, l.cell(CHANNEL)).ok_or_else(|| {
        l.fail(
            CHANNEL,
            format!(
                "« {} » : attendu Lieu d’activité, Autre lieu, À domicile ou À distance",
                l.cell(CHANNEL)
            ),
        )
    })?;
    let place_commune = match l.cols.layout {
        Layout::PerPerson { .. } => {
            let insee = l.cell(PLACE_INSEE);
            if is_insee(insee) {
                Some(insee.to_string())
            } else {
                resolve(l.cell(PLACE_POSTCODE), l.cell(PLACE_COMMUNE))
            }
        }
        _ => postcode_and_name(l.cell(PLACE)).and_then(|(p, n)| resolve(p, n)),
    };
    // The Coop's places are not Passerelle's directory: the commune is
    // what both know.
    if channel == Channel::Place && place_commune.is_none() {
        let (field, text) = match l.cols.layout {
            Layout::PerPerson { .. } => (
                PLACE_INSEE,
                format!(
                    "{} {} {}",
                    l.cell(PLACE_INSEE),
                    l.cell(PLACE_POSTCODE),
                    l.cell(PLACE_COMMUNE)
                ),
            ),
            _ => (PLACE, l.cell(PLACE).to_string()),
        };
        return Err(l.fail(
            field,
            format!(
                "« {} » : aucune commune du référentiel territorial chargé n’a ce code postal et ce nom",
                text.trim()
            ),
        ));
    }
    let mut themes: Vec<String> = Vec::new();
    for t in lines(l.cell(THEME)) {
        let ours = theme(t).ok_or_else(|| {
            l.fail(
                THEME,
                format!("« {t} » n’est pas une thématique de la Coop"),
            )
        })?;
        if !themes.iter().any(|x| x == ours) {
            themes.push(ours.to_string());
        }
    }
    let level_of = |field: &'static str| -> Result<Option<usize>, Violation> {
        match stars(l.cell(field)) {
            None if l.cell(field).is_empty() => Ok(None),
            Some(Ok(n)) => Ok(Some(n)),
            _ => Err(l.fail(
                field,
                format!("« {} » : attendu 1/3, 2/3 ou 3/3", l.cell(field)),
            )),
        }
    };
    // One column for both (an individual's autonomy, a workshop's level)
    // since June 2025; two before.
    let (autonomy, level) = match l.cols.layout {
        Layout::PerPerson { .. } | Layout::Merged => match (kind, level_of(LEVEL)?) {
            (Kind::Atelier, n) => (None, n),
            (_, n) => (n, None),
        },
        Layout::Separate | Layout::First => (level_of(AUTONOMY_LEVEL)?, level_of(WORKSHOP_LEVEL)?),
    };
    let equipment: Vec<&str> = lines(l.cell(EQUIPMENT)).collect();
    Ok(Fields {
        date,
        kind,
        minutes,
        channel,
        place_commune,
        title: Some(l.cell(TITLE).to_string()).filter(|t| !t.is_empty()),
        equipment: (!equipment.is_empty()).then(|| equipment.join(", ")),
        themes,
        autonomy: autonomy.map(|n| AUTONOMY[n - 1].to_string()),
        level: level.map(|n| LEVELS[n - 1].to_string()),
        orientation: None,
    })
}

/// The orientation written in a cell (`Autre` and empty: none).
fn orientation_in(l: &Line<'_>, cell: &str) -> Result<Option<String>, Violation> {
    match cell.trim() {
        "" => Ok(None),
        text => orientation(text)
            .map(|o| o.map(str::to_string))
            .ok_or_else(|| {
                l.fail(
                    REDIRECTED,
                    format!("« {text} » n’est pas une structure de redirection de la Coop"),
                )
            }),
    }
}

/// Counts per value for `participants` people, those not listed as
/// "non communiqué".
fn counts(values: &[&'static str], participants: u32) -> Vec<(String, u32)> {
    let mut by: BTreeMap<&str, u32> = BTreeMap::new();
    for v in values {
        *by.entry(v).or_default() += 1;
    }
    let listed = values.len() as u32;
    if listed < participants {
        *by.entry("non communiqué").or_default() += participants - listed;
    }
    by.into_iter().map(|(k, n)| (k.to_string(), n)).collect()
}

fn activity(f: Fields, participants: u32, people: &People) -> Activity {
    Activity {
        kind: f.kind,
        date: f.date,
        duration_minutes: f.minutes,
        place: match f.channel {
            Channel::Home => Where::Domicile,
            Channel::Remote => Where::Distance,
            Channel::Place => Where::Autre(f.place_commune.clone().unwrap_or_default()),
        },
        workshop_title: f.title,
        level: f.level,
        participants,
        ages: counts(&people.ages, participants),
        statuses: counts(&people.statuses, participants),
        residence_commune: None,
        follow_up_code: None,
        themes: f.themes,
        organisation: None,
        kinds_of_help: Vec::new(),
        autonomy: f.autonomy,
        equipment: f.equipment,
        orientation: f.orientation,
        returning: 0,
    }
}

#[derive(Default)]
struct People {
    ages: Vec<&'static str>,
    statuses: Vec<&'static str>,
}

/// The value of each line of a cell, from a label table.
fn labels(
    l: &Line<'_>,
    field: &'static str,
    cell: &str,
    table: &[(&str, &'static str)],
) -> Result<Vec<&'static str>, Violation> {
    lines(cell)
        .map(|v| {
            lookup_label(table, v)
                .ok_or_else(|| l.fail(field, format!("« {v} » n’est pas une valeur de la Coop")))
        })
        .collect()
}

pub(super) fn convert<'a>(
    rows: Rows<'a>,
    origin: Origin,
    resolve: Resolver<'a>,
) -> Result<Conversion<'a>, Violation> {
    let mut rows = rows;
    // Skip the lines about the export until the table's header.
    let (header_line, header) = loop {
        match rows.next() {
            Some((line, row)) if is_header(&row) => break (line, row),
            Some((_, row)) if is_coordination_header(&row) => {
                return Err(Violation {
                    line: 1,
                    field: THEME,
                    message: "c’est l’export des activités de coordination de la Coop (animations, évènements, partenariats) : il n’a pas d’accompagnements à importer".into(),
                });
            }
            Some(_) => continue,
            None => {
                return Err(Violation {
                    line: 1,
                    field: THEME,
                    message: "aucun tableau d’activités : l’export de la Coop a une ligne d’en-tête avec « Date », « Type » et « Thématique(s) d’accompagnement »".into(),
                });
            }
        }
    };
    let columns = Columns::new(&header);
    let layout = Layout::of(&columns);
    let mut at = HashMap::new();
    for name in READ.iter().chain([&GENDER, &FINALISED]) {
        if let Some(i) = columns.find(&[name]) {
            at.insert(*name, i);
        }
    }
    for name in layout.required() {
        if !at.contains_key(name) {
            return Err(Violation {
                line: header_line,
                field: name,
                message: format!(
                    "colonne absente de l’en-tête : c’est un {}, qui l’écrit toujours ; exportez à nouveau le fichier entier depuis la Coop",
                    layout.describe()
                ),
            });
        }
    }
    let cols = Cols { layout, at };
    let known: Vec<String> = named(&header, &READ)
        .into_iter()
        .chain(named(&header, &NOT_READ))
        .collect();
    let not_read = named(&header, &NOT_READ);
    let unknown = header
        .iter()
        .filter(|h| !h.is_empty() && !known.contains(h))
        .cloned()
        .collect();
    let data: Vec<(u64, Vec<String>)> = rows
        .filter(|(_, row)| row.iter().any(|c| !c.is_empty()))
        .collect();
    let items = match layout {
        Layout::PerPerson { .. } => per_person(&cols, &data, resolve),
        _ => per_activity(&cols, &data, resolve),
    };
    Ok(Conversion {
        recognised: layout.describe().to_string(),
        origin,
        not_read,
        unknown,
        items: Box::new(items.into_iter()),
    })
}

const SHIFTED: &str =
    "lignes décalées d’une colonne (export d’avril–mai 2025), lues à leur vraie place";
const RESIDENCE_UNKNOWN: &str =
    "communes de résidence introuvables dans le référentiel territorial chargé, non gardées";

/// One line per activity: people listed one per line in their cells.
fn per_activity(
    cols: &Cols,
    data: &[(u64, Vec<String>)],
    resolve: Resolver<'_>,
) -> Vec<Result<Item, Violation>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    data.iter()
        .map(|(line, row)| {
            let l = Line {
                line: *line,
                row,
                cols,
            };
            let mut notes = Vec::new();
            let mut f = fields(&l, resolve)?;
            // Between 28 April and 28 May 2025 the lines did not write
            // "La démarche est-elle finalisée ?": what is under it is the
            // redirection, and so on; the ages sit under the gender.
            let shifted = cols.get(FINALISED).is_some() && {
                let mut under_age = lines(l.cell(AGE)).peekable();
                under_age.peek().is_some()
                    && under_age.all(|v| {
                        lookup_label(&STATUSES, v).is_some() && lookup_label(&AGES, v).is_none()
                    })
            };
            let (redirection, residence, ages, statuses) = if shifted {
                notes.push(Note {
                    what: SHIFTED,
                    detail: format!("ligne {line}"),
                });
                (
                    l.cell_before(REDIRECTED, 1),
                    l.cell_before(RESIDENCE, 1),
                    l.cell(GENDER),
                    l.cell(AGE),
                )
            } else {
                (
                    l.cell(REDIRECTED),
                    l.cell(RESIDENCE),
                    l.cell(AGE),
                    l.cell(STATUS),
                )
            };
            f.orientation = orientation_in(&l, redirection)?;
            let participants: u32 = l
                .cell(COUNT)
                .parse()
                .map_err(|_| l.fail(COUNT, format!("« {} » n’est pas un nombre", l.cell(COUNT))))?;
            if f.kind != Kind::Atelier && participants != 1 {
                return Err(l.fail(
                    COUNT,
                    format!("{participants} participants : un accompagnement individuel concerne une personne"),
                ));
            }
            let people = People {
                ages: labels(&l, AGE, ages, &AGES)?,
                statuses: labels(&l, STATUS, statuses, &STATUSES)?,
            };
            for (field, n) in [(AGE, people.ages.len()), (STATUS, people.statuses.len())] {
                if n as u32 > participants {
                    return Err(l.fail(
                        field,
                        format!("{n} personnes listées pour {participants} participants"),
                    ));
                }
            }
            let kind = f.kind;
            let content = [
                f.date.to_string(),
                l.cell(TYPE).to_string(),
                participants.to_string(),
                l.cell(CHANNEL).to_string(),
                l.cell(PLACE).to_string(),
                f.minutes.to_string(),
                l.cell(TITLE).to_string(),
                l.cell(EQUIPMENT).to_string(),
                l.cell(THEME).to_string(),
                format!("{:?}{:?}", f.autonomy, f.level),
                redirection.to_string(),
                residence.to_string(),
                ages.to_string(),
                statuses.to_string(),
            ];
            // At home, the place's commune is the person's.
            let home = (f.channel == Channel::Home)
                .then(|| f.place_commune.clone())
                .flatten();
            let mut a = activity(f, participants, &people);
            // The person's commune, for an individual.
            if kind != Kind::Atelier {
                if let Some(text) = lines(residence).next().filter(|t| *t != "-") {
                    a.residence_commune =
                        postcode_and_name(text).and_then(|(p, n)| resolve(p, n));
                    if a.residence_commune.is_none() {
                        notes.push(Note {
                            what: RESIDENCE_UNKNOWN,
                            detail: format!("ligne {line} (« {text} »)"),
                        });
                    }
                }
                a.residence_commune = a.residence_commune.or(home);
            }
            let parts: Vec<&str> = content.iter().map(String::as_str).collect();
            let digest = content_key("", &parts, 0);
            let n = seen.entry(digest).or_default();
            *n += 1;
            Ok(Item {
                line: *line,
                activity: a,
                key: Some(content_key("coop-ligne", &parts, *n)),
                twin: None,
                notes,
            })
        })
        .collect()
}

const PARTIAL: &str =
    "activités dont des personnes manquent au fichier (comptées « non communiqué »)";

/// `1` or `i/n`.
fn person_index(text: &str) -> Option<(u32, u32)> {
    if text.trim() == "1" {
        return Some((1, 1));
    }
    let (i, n) = text.trim().split_once('/')?;
    let (i, n): (u32, u32) = (i.trim().parse().ok()?, n.trim().parse().ok()?);
    (1 <= i && i <= n && n >= 2).then_some((i, n))
}

/// `20/03/2022 à 16:08` → `2022-03-20T16:08`.
fn created_minute(text: &str) -> Option<String> {
    let (day, time) = text.split_once(" à ")?;
    let day = chrono::NaiveDate::parse_from_str(day.trim(), "%d/%m/%Y").ok()?;
    let time = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
    Some(format!("{day}T{}", time.format("%H:%M")))
}

/// One line per person since August 2025: the lines of one activity share
/// its `ID CRA` and are regrouped.
fn per_person(
    cols: &Cols,
    data: &[(u64, Vec<String>)],
    resolve: Resolver<'_>,
) -> Vec<Result<Item, Violation>> {
    struct Group<'r> {
        first: Line<'r>,
        n: u32,
        seen: BTreeMap<u32, u64>,
        lines: Vec<Line<'r>>,
    }
    let mut out: Vec<Result<Item, Violation>> = Vec::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (line, row) in data {
        let l = Line {
            line: *line,
            row,
            cols,
        };
        let id = l.cell(ID);
        if id.is_empty() {
            out.push(Err(l.fail(ID, "« ID CRA » vide : chaque ligne de l’export de la Coop porte l’identifiant de son activité".into())));
            continue;
        }
        let Some((i, n)) = person_index(l.cell(PARTICIPANTS)) else {
            out.push(Err(l.fail(
                PARTICIPANTS,
                format!(
                    "« {} » : attendu 1, ou i/n pour la i-ème des n personnes de l’activité (un tableur l’aurait-il pris pour une date ?)",
                    l.cell(PARTICIPANTS)
                ),
            )));
            continue;
        };
        match by_id.get(id) {
            None => {
                by_id.insert(id, groups.len());
                groups.push(Group {
                    first: Line {
                        line: *line,
                        row,
                        cols,
                    },
                    n,
                    seen: BTreeMap::from([(i, *line)]),
                    lines: vec![l],
                });
            }
            Some(&g) => {
                let group = &mut groups[g];
                if n != group.n {
                    out.push(Err(l.fail(
                        PARTICIPANTS,
                        format!(
                            "« {i}/{n} » : l’activité {id} a {} personnes selon la ligne {}",
                            group.n, group.first.line
                        ),
                    )));
                } else if let Some(other) = group.seen.get(&i) {
                    out.push(Err(l.fail(
                        PARTICIPANTS,
                        format!("la personne {i}/{n} de l’activité {id} est déjà ligne {other}"),
                    )));
                } else {
                    group.seen.insert(i, *line);
                    group.lines.push(l);
                }
            }
        }
    }
    for group in groups {
        out.push(regroup(&group.first, group.n, &group.lines, resolve));
    }
    out.sort_by_key(|r| match r {
        Ok(item) => item.line,
        Err(v) => v.line,
    });
    out
}

fn regroup(
    first: &Line<'_>,
    n: u32,
    lines_of: &[Line<'_>],
    resolve: Resolver<'_>,
) -> Result<Item, Violation> {
    let mut f = fields(first, resolve)?;
    f.orientation = orientation_in(first, first.cell(REDIRECTED))?;
    // The activity's cells are the same on each of its lines.
    for l in &lines_of[1..] {
        for name in [DATE, TYPE, DURATION, CHANNEL, THEME] {
            if l.cell(name) != first.cell(name) {
                return Err(l.fail(
                    name,
                    format!(
                        "« {} » : la même activité ({}) a « {} » ligne {}",
                        l.cell(name),
                        first.cell(ID),
                        first.cell(name),
                        first.line
                    ),
                ));
            }
        }
    }
    if f.kind != Kind::Atelier && n != 1 {
        return Err(first.fail(
            PARTICIPANTS,
            format!("{n} personnes : un accompagnement individuel concerne une personne"),
        ));
    }
    let mut people = People::default();
    let mut residence = None;
    for l in lines_of {
        let one = |field, table| -> Result<&'static str, Violation> {
            let v = l.cell(field);
            if v.is_empty() {
                return Ok("non communiqué");
            }
            lookup_label(table, v)
                .ok_or_else(|| l.fail(field, format!("« {v} » n’est pas une valeur de la Coop")))
        };
        people.ages.push(one(AGE, &AGES)?);
        people.statuses.push(one(STATUS, &STATUSES)?);
        let insee = l.cell(RESIDENCE_INSEE);
        if residence.is_none() {
            residence = if is_insee(insee) {
                Some(insee.to_string())
            } else {
                resolve(l.cell(RESIDENCE_POSTCODE), l.cell(RESIDENCE_COMMUNE))
            };
        }
    }
    let mut notes = Vec::new();
    if (lines_of.len() as u32) < n {
        notes.push(Note {
            what: PARTIAL,
            detail: format!(
                "ligne {} : {} personne(s) sur {n}",
                first.line,
                lines_of.len()
            ),
        });
    }
    let twin = if fold(first.cell(SOURCE)) == fold("Espace coop (V1)") {
        let created = created_minute(first.cell(CREATED)).ok_or_else(|| {
            first.fail(
                CREATED,
                format!("« {} » : attendu jj/mm/aaaa à hh:mm", first.cell(CREATED)),
            )
        })?;
        Some(twin_key(f.date, &created, f.kind, n, f.minutes))
    } else {
        None
    };
    // At home, the place's commune is the person's.
    let home = (f.channel == Channel::Home)
        .then(|| f.place_commune.clone())
        .flatten();
    let kind = f.kind;
    let mut a = activity(f, n, &people);
    if kind != Kind::Atelier {
        a.residence_commune = residence.or(home);
    }
    Ok(Item {
        line: first.line,
        activity: a,
        key: Some(format!("coop:{}", first.cell(ID))),
        twin,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab;

    #[test]
    fn every_coop_theme_counts_under_a_reporting_theme() {
        for (key, label, ours) in THEMES {
            assert!(vocab::THEMES.iter().any(|(t, _)| *t == ours), "{ours}");
            assert_eq!(theme(key), Some(ours));
            assert_eq!(theme(label), Some(ours));
        }
        // Labels of older versions.
        for (old, ours) in [
            ("Entrepreneuriat", "Numérique et TPE/PME"),
            ("Papiers - Élections Citoyenneté", "Démarche en ligne"),
            ("Travail - Formation", "Démarche en ligne"),
            ("Loisirs - Sports Culture", "Démarche en ligne"),
            ("navigation_sur_internet", "Naviguer sur Internet"),
        ] {
            assert_eq!(theme(old), Some(ours), "{old}");
        }
        assert_eq!(theme("Astronomie"), None);
    }

    #[test]
    fn ages_statuses_and_orientations_map_onto_our_lists() {
        for (_, ours) in AGES {
            assert!(vocab::AGE_BRACKETS.contains(&ours), "{ours}");
        }
        for (_, ours) in STATUSES {
            assert!(vocab::STATUSES.contains(&ours), "{ours}");
        }
        for (_, _, ours) in REDIRECTIONS {
            assert!(
                ours.is_none_or(|o| vocab::ORIENTATIONS.contains(&o)),
                "{ours:?}"
            );
        }
        assert_eq!(AUTONOMY, vocab::AUTONOMY);
        assert_eq!(LEVELS, vocab::LEVELS);
        assert_eq!(
            lookup_label(&AGES, "Non communiqué"),
            Some("non communiqué")
        );
        assert_eq!(lookup_label(&AGES, "12 - 18 ans"), Some("12-17 ans"));
        assert_eq!(lookup_label(&AGES, "-"), Some("non communiqué"));
        assert_eq!(
            orientation("Administration (collectivité locale, préfecture…)"),
            Some(Some("Mairie"))
        );
        assert_eq!(orientation("Autre"), Some(None));
        assert_eq!(orientation("Ailleurs"), None);
    }

    #[test]
    fn durations_participants_and_creation_times() {
        assert_eq!(minutes("45"), Some(45));
        assert_eq!(minutes("1h30"), Some(90));
        assert_eq!(minutes("2h"), Some(120));
        assert_eq!(minutes("30min"), Some(30));
        assert_eq!(minutes("long"), None);
        assert_eq!(person_index("1"), Some((1, 1)));
        assert_eq!(person_index("2/5"), Some((2, 5)));
        assert_eq!(person_index("6/5"), None);
        assert_eq!(person_index("1/1"), None);
        assert_eq!(
            created_minute("20/03/2022 à 16:08").as_deref(),
            Some("2022-03-20T16:08")
        );
    }
}
