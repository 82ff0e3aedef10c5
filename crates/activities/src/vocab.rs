//! Vocabularies, spelt as the activity reports and the seeds spell them.

/// The reporting themes of the seeds' table "Thèmes des accompagnements"
/// (seed 003), with the Bretagne 2023 count of each (81,962 in all).
pub const THEMES: [(&str, u32); 18] = [
    ("Prendre en main du matériel", 22_250),
    ("Naviguer sur Internet", 6583),
    ("Courriels", 7139),
    ("Gestion de contenus numériques", 8333),
    ("Culture numérique", 8618),
    ("Bureautique", 4593),
    ("Échanger avec ses proches", 2291),
    ("Emploi et formation", 1441),
    ("Accompagner un aidant", 323),
    ("Numérique et TPE/PME", 730),
    ("Démarche en ligne", 15431),
    ("Sécuriser un équipement", 3294),
    ("Fraude et harcèlement", 1787),
    ("Santé", 1031),
    ("Mon espace santé", 133),
    ("Budget", 1678),
    ("Scolaire", 277),
    ("Diagnostic numérique", 1582),
];

/// The seed's total of accompaniments. The theme counts add up to more
/// (87,514): a record may carry several themes, and the seed's percentages
/// are shares of these theme mentions (22,250 / 87,514 = 25.4 %), which the
/// dashboards reproduce.
pub const SEED_2023_TOTAL: u32 = 81_962;

/// Age brackets of a record, then of the seeds' tables.
pub const AGE_BRACKETS: [&str; 8] = [
    "moins de 12 ans",
    "12-17 ans",
    "18-24 ans",
    "25-39 ans",
    "40-59 ans",
    "60-69 ans",
    "70 ans et plus",
    "non communiqué",
];

/// The seeds' brackets, which are also those of the conseillers
/// numériques' first reports (CRA v1): a record imported from them keeps
/// them.
pub const SEED_AGE_BRACKETS: [&str; 6] = [
    "12 ans et -",
    "12-18 ans",
    "18-35 ans",
    "35-60 ans",
    "60 ans et +",
    "non communiqué",
];

/// Every age bracket a record may carry: ours, or the seeds' for records
/// imported from CRA v1.
pub const RECORD_AGE_BRACKETS: [&str; 13] = [
    AGE_BRACKETS[0],
    AGE_BRACKETS[1],
    AGE_BRACKETS[2],
    AGE_BRACKETS[3],
    AGE_BRACKETS[4],
    AGE_BRACKETS[5],
    AGE_BRACKETS[6],
    AGE_BRACKETS[7],
    SEED_AGE_BRACKETS[0],
    SEED_AGE_BRACKETS[1],
    SEED_AGE_BRACKETS[2],
    SEED_AGE_BRACKETS[3],
    SEED_AGE_BRACKETS[4],
];

pub const STATUSES: [&str; 5] = [
    "scolarisé",
    "sans emploi",
    "en emploi",
    "retraité",
    "non communiqué",
];

pub const LEVELS: [&str; 3] = ["débutant", "intermédiaire", "avancé"];

/// Organisations concerned by an administrative procedure (seed 001).
pub const ORGANISATIONS: [&str; 18] = [
    "DGFiP / impôts",
    "La Poste",
    "France Travail",
    "CAF",
    "CPAM",
    "CARSAT",
    "MSA",
    "Ministère de l'intérieur / ANTS",
    "MDPH",
    "Conseil départemental",
    "Compte personnel de formation",
    "URSSAF",
    "Chèque énergie",
    "Parcoursup",
    "Conseil régional",
    "Justice",
    "Éducation nationale / Pronote",
    "Services communaux",
];

pub const KINDS_OF_HELP: [&str; 7] = [
    "Ouverture de compte / connexion",
    "Navigation sur le site",
    "Recherche et téléchargement d'un fichier",
    "Remplissage d'un formulaire",
    "Explication sur une démarche",
    "Déblocage d'une difficulté sur un dossier",
    "Prise de contact avec l'administration",
];

pub const AUTONOMY: [&str; 3] = [
    "entièrement accompagné",
    "partiellement autonome",
    "autonome",
];

pub const ORIENTATIONS: [&str; 9] = [
    "Espace France services",
    "PIMMS",
    "Mairie",
    "Organisation concernée",
    "CCAS",
    "Médiateur de la République",
    "Écrivain public",
    "Association",
    "Autre lieu de médiation",
];

pub const DURATION_PRESETS: [u32; 6] = [15, 30, 45, 60, 90, 120];

/// The duration buckets of the dashboards.
pub fn duration_bucket(minutes: u32) -> &'static str {
    match minutes {
        0..30 => "moins de 30 min",
        30..60 => "30 min à 1 h",
        60..120 => "1 h à 2 h",
        _ => "2 h et plus",
    }
}

/// The seeds' bracket an age bracket of a record falls into. The seeds'
/// brackets overlap the records' at 12, 18, 35 and 60: the records'
/// brackets were chosen so that each falls into exactly one of them
/// (12–17 → 12–18, 18–24 and 25–39 → 18–35 for its larger part…), which
/// the test below pins down.
pub fn seed_bracket(bracket: &str) -> Option<&'static str> {
    Some(match bracket {
        "moins de 12 ans" => "12 ans et -",
        "12-17 ans" => "12-18 ans",
        "18-24 ans" | "25-39 ans" => "18-35 ans",
        "40-59 ans" => "35-60 ans",
        "60-69 ans" | "70 ans et plus" => "60 ans et +",
        "non communiqué" => "non communiqué",
        seed => return SEED_AGE_BRACKETS.iter().find(|b| **b == seed).copied(),
    })
}

/// The themes of the conseillers numériques' first activity reports (CRA
/// v1, keys of their export) mapped to the seeds' themes.
pub fn theme_from_cra_v1(key: &str) -> Option<&'static str> {
    Some(match key.trim().to_lowercase().as_str() {
        "equipement informatique" | "smartphone" => "Prendre en main du matériel",
        "internet" => "Naviguer sur Internet",
        "courriel" => "Courriels",
        "contenus numeriques" => "Gestion de contenus numériques",
        "vocabulaire" => "Culture numérique",
        "traitement texte" => "Bureautique",
        "echanger" => "Échanger avec ses proches",
        "trouver emploi" => "Emploi et formation",
        "accompagner enfant" => "Accompagner un aidant",
        "tpe/pme" => "Numérique et TPE/PME",
        "demarche en ligne" => "Démarche en ligne",
        "securite" => "Sécuriser un équipement",
        "fraude et harcelement" => "Fraude et harcèlement",
        "sante" => "Santé",
        "espace-sante" => "Mon espace santé",
        "budget" => "Budget",
        "scolaire" => "Scolaire",
        "diagnostic" => "Diagnostic numérique",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_bracket_has_one_seed_bracket() {
        for b in RECORD_AGE_BRACKETS {
            let seed = seed_bracket(b).unwrap_or_else(|| panic!("{b}"));
            assert!(SEED_AGE_BRACKETS.contains(&seed), "{seed}");
        }
        assert_eq!(seed_bracket("99 ans"), None);
        assert_eq!(
            seed_bracket("18-35 ans"),
            Some("18-35 ans"),
            "CRA v1 brackets stay"
        );
    }

    #[test]
    fn the_seed_table_as_published() {
        let listed: u32 = THEMES.iter().map(|(_, n)| n).sum();
        assert_eq!(listed, 87_514, "several themes per record");
        // The seed's percentages are shares of theme mentions, not of
        // accompaniments: 22,250 / 87,514 = 25.4 %, 7,139 / 87,514 = 8.2 %.
        let share = |n: u32| (f64::from(n) * 1000.0 / f64::from(listed)).round() / 10.0;
        assert_eq!(share(THEMES[0].1), 25.4);
        assert_eq!(share(THEMES[2].1), 8.2);
        assert_eq!(share(THEMES[10].1), 17.6, "Démarche en ligne");
    }

    #[test]
    fn duration_buckets() {
        assert_eq!(duration_bucket(15), "moins de 30 min");
        assert_eq!(duration_bucket(30), "30 min à 1 h");
        assert_eq!(duration_bucket(90), "1 h à 2 h");
        assert_eq!(duration_bucket(120), "2 h et plus");
    }

    #[test]
    fn cra_v1_themes_map_onto_the_seed_themes() {
        for key in [
            "equipement informatique",
            "internet",
            "courriel",
            "demarche en ligne",
            "espace-sante",
            "diagnostic",
        ] {
            let theme = theme_from_cra_v1(key).unwrap();
            assert!(THEMES.iter().any(|(t, _)| *t == theme), "{theme}");
        }
        assert_eq!(
            theme_from_cra_v1("Demarche en ligne"),
            Some("Démarche en ligne")
        );
        assert_eq!(theme_from_cra_v1("autre"), None);
    }
}
