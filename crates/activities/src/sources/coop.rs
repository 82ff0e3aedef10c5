//! The Coop de la médiation numérique's "Activités" export: an XLSX sheet
//! with a few lines about the export (who, when, filters), then a table
//! with one activity per line. Cells listing the people of a workshop hold
//! one line per person. Labels are the Coop's French labels; its internal
//! keys (`NavigationSurInternet`, `navigation_sur_internet`) are accepted
//! too.

use std::collections::BTreeMap;

use super::{Columns, Records, Resolver, fold, parse_date};
use crate::model::{Activity, Kind, Where};
use crate::validate::Violation;

/// The Coop's themes (key, label) and the reporting theme each counts
/// under. Judgement calls, documented in `docs/activites-imports.md`:
/// maintenance counts as taking equipment in hand, "prévention en
/// sécurité numérique" as securing equipment, parenting as helping a
/// carer, creating media as managing digital content, AI as digital
/// culture, and every administrative sub-theme as "Démarche en ligne".
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

/// The Coop's age brackets and ours. "Mineur(e)" (older exports) spans two
/// of the seeds' brackets, so it cannot be placed: not communicated.
const AGES: [(&str, &str); 9] = [
    ("Moins de 12 ans", "moins de 12 ans"),
    ("12 - 17 ans", "12-17 ans"),
    ("18 - 24 ans", "18-24 ans"),
    ("25 - 39 ans", "25-39 ans"),
    ("40 - 59 ans", "40-59 ans"),
    ("60 - 69 ans", "60-69 ans"),
    ("70 ans et plus", "70 ans et plus"),
    ("70 ans ou plus", "70 ans et plus"),
    ("Mineur(e)", "non communiqué"),
];

const STATUSES: [(&str, &str); 7] = [
    ("Scolarisé", "scolarisé"),
    ("Scolarisé(e)", "scolarisé"),
    ("Sans emploi", "sans emploi"),
    ("En emploi", "en emploi"),
    ("Retraité", "retraité"),
    ("Retraité(e)", "retraité"),
    ("Non communiqué ou hétérogène", "non communiqué"),
];

/// Where the Coop says a person was redirected, and our orientation. An
/// "Autre" redirection has no counterpart and is left out.
const REDIRECTIONS: [(&str, &str); 6] = [
    ("Administration (mairie, préfecture…)", "Mairie"),
    (
        "Autre structure de médiation numérique",
        "Autre lieu de médiation",
    ),
    (
        "Opérateur ou organisme en charge de la démarche administrative",
        "Organisation concernée",
    ),
    (
        "Structure d’aide sociale (maison des solidarités, centre social…)",
        "CCAS",
    ),
    (
        "Structure d’insertion professionnelle (France Travail, mission locale, chambre de commerce…)",
        "Organisation concernée",
    ),
    (
        "Structure d’aide aux démarches administratives (France Services…)",
        "Espace France services",
    ),
];

const AUTONOMY: [&str; 3] = [
    "entièrement accompagné",
    "partiellement autonome",
    "autonome",
];
const LEVELS: [&str; 3] = ["débutant", "intermédiaire", "avancé"];

const DATE: &str = "Date";
const TYPE: &str = "Type";
const PARTICIPANTS: &str = "Nombre de participants";
const CHANNEL: &str = "Canaux d’accompagnement";
const PLACE: &str = "Lieu";
const DURATION: &str = "Durée (min)";
const TITLE: &str = "Nom de l’atelier";
const EQUIPMENT: &str = "Matériel numérique utilisé";
const THEME: &str = "Thématique(s) d’accompagnement";
const LEVEL: &str = "Niveau d’autonomie (ou de l’atelier)";
const REDIRECTED: &str = "Structure de redirection";
const RESIDENCE: &str = "Commune de résidence du bénéficiaire";
const AGE: &str = "Tranche d’âge du bénéficiaire";
const STATUS: &str = "Statut du bénéficiaire";

/// True when a text holds the header of the Coop's table.
pub fn looks_like_header(text: &str) -> bool {
    text.lines().any(is_header_line)
}

fn is_header_line(line: &str) -> bool {
    let f = fold(line);
    f.contains(&fold(THEME)) && f.contains(&fold(DURATION))
}

fn lookup(table: &[(&str, &'static str)], cell: &str) -> Option<&'static str> {
    let f = fold(cell);
    table.iter().find(|(k, _)| fold(k) == f).map(|(_, v)| *v)
}

/// The reporting theme of a Coop theme (label or key).
pub fn theme(cell: &str) -> Option<&'static str> {
    let f = fold(cell);
    THEMES
        .iter()
        .find(|(key, label, _)| fold(key) == f || fold(label) == f)
        .map(|(_, _, theme)| *theme)
}

fn lines(cell: &str) -> impl Iterator<Item = &str> {
    cell.lines().map(str::trim).filter(|l| !l.is_empty())
}

struct Layout {
    date: usize,
    kind: usize,
    duration: usize,
    themes: usize,
    participants: Option<usize>,
    channel: Option<usize>,
    place: Option<usize>,
    title: Option<usize>,
    equipment: Option<usize>,
    level: Option<usize>,
    redirected: Option<usize>,
    residence: Option<usize>,
    ages: Option<usize>,
    statuses: Option<usize>,
}

pub(super) fn convert<'a>(
    rows: impl Iterator<Item = (u64, Vec<String>)> + Send + 'a,
    resolve: Resolver<'a>,
) -> Result<Records<'a>, Violation> {
    let mut rows = rows.peekable();
    // Skip the lines about the export until the table's header.
    let header = loop {
        match rows.next() {
            Some((_, row)) if is_header_line(&row.join(" ")) => break row,
            Some(_) => continue,
            None => {
                return Err(Violation {
                    line: 1,
                    field: THEME,
                    message: "no table of activities: the Coop's export has a header line with `Date`, `Type`, `Durée (min)` and `Thématique(s) d’accompagnement`".into(),
                });
            }
        }
    };
    let columns = Columns::new(&header);
    let required = |name: &'static str| {
        columns.find(&[name]).ok_or(Violation {
            line: 1,
            field: name,
            message: format!("the column `{name}` is missing"),
        })
    };
    let layout = Layout {
        date: required(DATE)?,
        kind: required(TYPE)?,
        duration: required(DURATION)?,
        themes: required(THEME)?,
        participants: columns.find(&[PARTICIPANTS]),
        channel: columns.find(&[CHANNEL]),
        place: columns.find(&[PLACE]),
        title: columns.find(&[TITLE]),
        equipment: columns.find(&[EQUIPMENT]),
        level: columns.find(&[LEVEL]),
        redirected: columns.find(&[REDIRECTED]),
        residence: columns.find(&[RESIDENCE]),
        ages: columns.find(&[AGE]),
        statuses: columns.find(&[STATUS]),
    };
    Ok(Box::new(
        rows.filter(|(_, row)| row.iter().any(|c| !c.is_empty()))
            .map(move |(line, row)| convert_row(&layout, line, &row, resolve).map(|a| (line, a))),
    ))
}

/// `29000 Quimper` or `Médiathèque, 29000 Quimper` → the commune's code.
fn commune_of(text: &str, resolve: Resolver<'_>) -> Option<String> {
    let tail = text.rsplit(", ").next()?.trim();
    let (postcode, name) = tail.split_once(' ')?;
    (postcode.len() == 5 && postcode.bytes().all(|b| b.is_ascii_digit()))
        .then(|| resolve(postcode, name.trim()))
        .flatten()
}

fn convert_row(
    l: &Layout,
    line: u64,
    row: &[String],
    resolve: Resolver<'_>,
) -> Result<Activity, Violation> {
    let cell = |i: usize| row.get(i).map_or("", |s| s.as_str());
    let opt = |i: Option<usize>| i.map_or("", cell);
    let fail = |field: &'static str, message: String| Violation {
        line,
        field,
        message,
    };
    if let Some(bad) = row.iter().find(|c| c.starts_with('\u{0}')) {
        return Err(fail(DATE, format!("malformed line: {}", &bad[1..])));
    }
    let date = parse_date(cell(l.date))
        .ok_or_else(|| fail(DATE, format!("{:?} is not a date", cell(l.date))))?;
    let kind = match fold(cell(l.kind)).as_str() {
        "accompagnementindividuel" | "individuel" | "aideauxdemarchesadministratives" => {
            Kind::Individuel
        }
        "ateliercollectif" | "collectif" => Kind::Atelier,
        _ => {
            return Err(fail(
                TYPE,
                format!(
                    "{:?}: expected Accompagnement individuel or Atelier collectif",
                    cell(l.kind)
                ),
            ));
        }
    };
    let duration_minutes = cell(l.duration)
        .parse()
        .map_err(|_| fail(DURATION, format!("{:?} is not minutes", cell(l.duration))))?;
    let mut themes: Vec<String> = Vec::new();
    for t in lines(cell(l.themes)) {
        let theme =
            theme(t).ok_or_else(|| fail(THEME, format!("{t:?} is not a theme of the Coop")))?;
        if !themes.iter().any(|x| x == theme) {
            themes.push(theme.to_string());
        }
    }
    let participants = match opt(l.participants) {
        "" => 1,
        n => n
            .parse()
            .map_err(|_| fail(PARTICIPANTS, format!("{n:?} is not a number")))?,
    };
    let place_text = opt(l.place);
    let place = match fold(opt(l.channel)).as_str() {
        "adomicile" | "domicile" => Where::Domicile,
        "adistance" | "distance" => Where::Distance,
        // The Coop's places are not Passerelle's directory: the commune is
        // what both know.
        _ => Where::Autre(commune_of(place_text, resolve).ok_or_else(|| {
            fail(
                PLACE,
                format!("{place_text:?}: no commune of the territorial reference has this postcode and name"),
            )
        })?),
    };
    // One line per person in these cells; a workshop's people not listed
    // are counted as not communicated.
    let counts = |column: Option<usize>,
                  field: &'static str,
                  table: &[(&str, &'static str)]|
     -> Result<Vec<(String, u32)>, Violation> {
        let mut by: BTreeMap<&str, u32> = BTreeMap::new();
        for value in lines(opt(column)) {
            let ours = lookup(table, value)
                .ok_or_else(|| fail(field, format!("{value:?} is not a value of the Coop")))?;
            *by.entry(ours).or_default() += 1;
        }
        let listed: u32 = by.values().sum();
        if listed > participants {
            return Err(fail(
                field,
                format!("{listed} people listed for {participants} participants"),
            ));
        }
        if listed > 0 && listed < participants {
            *by.entry("non communiqué").or_default() += participants - listed;
        }
        Ok(by.into_iter().map(|(k, n)| (k.to_string(), n)).collect())
    };
    let ages = counts(l.ages, AGE, &AGES)?;
    let statuses = counts(l.statuses, STATUS, &STATUSES)?;
    // "2/3": autonomy of a person, or level of a workshop.
    let stars = match opt(l.level).split_once('/') {
        Some((n, _)) => Some(
            n.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=3).contains(n))
                .ok_or_else(|| fail(LEVEL, format!("{:?} is not 1/3, 2/3 or 3/3", opt(l.level))))?,
        ),
        None => None,
    };
    let (autonomy, level) = match (kind, stars) {
        (Kind::Atelier, Some(n)) => (None, Some(LEVELS[n - 1].to_string())),
        (_, Some(n)) => (Some(AUTONOMY[n - 1].to_string()), None),
        _ => (None, None),
    };
    let residence_commune = if kind == Kind::Individuel {
        lines(opt(l.residence))
            .next()
            .and_then(|c| commune_of(c, resolve))
    } else {
        None
    };
    let equipment: Vec<&str> = lines(opt(l.equipment)).collect();
    Ok(Activity {
        kind,
        date,
        duration_minutes,
        place,
        workshop_title: Some(opt(l.title).to_string()).filter(|t| !t.is_empty()),
        level,
        participants,
        ages,
        statuses,
        residence_commune,
        follow_up_code: None,
        themes,
        organisation: None,
        kinds_of_help: Vec::new(),
        autonomy,
        equipment: (!equipment.is_empty()).then(|| equipment.join(", ")),
        orientation: lines(opt(l.redirected))
            .find_map(|r| lookup(&REDIRECTIONS, r))
            .map(str::to_string),
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
        assert_eq!(
            theme("navigation_sur_internet"),
            Some("Naviguer sur Internet")
        );
        assert_eq!(theme("E-mail"), Some("Courriels"));
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
        for (_, ours) in REDIRECTIONS {
            assert!(vocab::ORIENTATIONS.contains(&ours), "{ours}");
        }
        assert_eq!(AUTONOMY, vocab::AUTONOMY);
        assert_eq!(LEVELS, vocab::LEVELS);
    }
}
