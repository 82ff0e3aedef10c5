//! The analysis prints seed 001's figures exactly, on a respondent-level
//! file built to the seed's published marginals
//! (`tests/fixtures/surveys/hub-bretagne-2023.csv`, written by
//! `scripts/surveys_fixture_hub2023.py`). The expected strings are copied
//! from the seed's tables (only "%" becomes " %", the French spacing).

use passerelle_surveys::analysis::{Options, QuestionTable, Report, analyze};
use passerelle_surveys::render::{NumberFormat, markdown};
use passerelle_surveys::responses::read_csv;
use passerelle_surveys::templates;

const FIXTURE: &str = include_str!("../../../tests/fixtures/surveys/hub-bretagne-2023.csv");
const FR: NumberFormat = NumberFormat {
    decimal_comma: true,
    min_cell: 0,
};

fn report() -> Report {
    let q = templates::load("hub-bretagne-2023").unwrap().unwrap();
    let r = read_csv(&q, FIXTURE.as_bytes(), "hub-bretagne-2023.csv").unwrap();
    let options = Options {
        cross: vec![
            ("fiche_de_poste".into(), "accompagne".into()),
            ("france_services".into(), "accompagne".into()),
        ],
        ..Options::default()
    };
    analyze(&q, &r, &options).unwrap()
}

fn question<'a>(report: &'a Report, id: &str) -> &'a QuestionTable {
    report.questions.iter().find(|q| q.id == id).unwrap()
}

/// (label, count, percent) rows of a choice question, and its n.
#[track_caller]
fn frequencies(report: &Report, id: &str, n: usize, expected: &[(&str, usize, &str)]) {
    let q = question(report, id);
    assert_eq!(q.n, n, "{id}: n");
    let freq = q.frequencies.as_ref().unwrap();
    for &(label, count, percent) in expected {
        let f = freq
            .iter()
            .find(|f| f.value == label)
            .unwrap_or_else(|| panic!("{id}: {label}"));
        assert_eq!(f.count, count, "{id}: {label}");
        assert_eq!(FR.percent(f.percent), percent, "{id}: {label}");
    }
}

#[test]
fn tableaux_1_2_4_10_13_frequencies() {
    let r = report();
    assert_eq!(r.respondents, 178);
    frequencies(
        &r,
        "poste",
        178,
        &[
            ("Conseiller-ère numérique", 103, "57,9 %"),
            ("Animateur-rice numérique", 28, "15,7 %"),
            ("Médiateur-rice numérique", 23, "12,9 %"),
            ("Référent-e numérique", 13, "7,3 %"),
            ("Bibliothécaire/médiathécaire", 11, "6,2 %"),
        ],
    );
    frequencies(
        &r,
        "lieux",
        178,
        &[
            ("Mairie", 45, "25,3 %"),
            ("Espace France service", 31, "17,4 %"),
            ("Médiathèque / bibliothèque", 75, "42,1 %"),
            ("Centre social / socioculturel", 41, "23,0 %"),
            ("Association", 47, "26,4 %"),
            ("Centre d'action sociale / CCAS", 27, "15,2 %"),
            ("Ecole / un collège / un lycée", 15, "8,4 %"),
            ("PIMMS", 0, "0,0 %"),
            ("Place ou espace public", 18, "10,1 %"),
            ("A domicile", 12, "6,7 %"),
            ("Espace information jeunesse", 7, "3,9 %"),
        ],
    );
    frequencies(
        &r,
        "pourquoi_pas",
        23,
        &[
            (
                "Je ne dois pas le faire (position institutionnelle)",
                13,
                "56,5 %",
            ),
            (
                "Je ne veux pas le faire (position personnelle)",
                5,
                "21,7 %",
            ),
            ("Je ne sais pas le faire", 2, "8,7 %"),
            ("Je n'ai pas de demandes de la part du public", 2, "8,7 %"),
            ("Quelqu'un d'autre s'en occupe", 11, "47,8 %"),
        ],
    );
    assert_eq!(
        question(&r, "pourquoi_pas").not_shown,
        155,
        "conditional question"
    );
    frequencies(
        &r,
        "reorientation",
        148,
        &[
            ("Un espace France services", 101, "68,2 %"),
            ("Un PIMMS", 30, "20,3 %"),
            ("Une mairie", 39, "26,4 %"),
            (
                "L'organisme public destinataire de la démarche",
                92,
                "62,2 %",
            ),
            ("Un centre d'action sociale / CCAS", 56, "37,8 %"),
            ("Médiateur de la République", 7, "4,7 %"),
            ("Ecrivain public", 7, "4,7 %"),
            ("Association", 29, "19,6 %"),
        ],
    );
    let reorientation = question(&r, "reorientation");
    assert_eq!((reorientation.missing, reorientation.not_shown), (7, 23));
    assert!(reorientation.total_percent.unwrap() > 100.0);
    frequencies(
        &r,
        "besoin_contacts",
        155,
        &[
            ("Oui, pour résoudre des situations complexes", 92, "59,4 %"),
            ("Oui, pour réorienter une personne", 96, "61,9 %"),
            (
                "Oui, pour mieux comprendre la démarche administrative",
                67,
                "43,2 %",
            ),
            ("Non", 28, "18,1 %"),
        ],
    );
    frequencies(&r, "accompagne", 178, &[("Oui", 155, "87,1 %")]);
    frequencies(&r, "fiche_de_poste", 178, &[("Oui", 111, "62,4 %")]);
}

#[test]
fn profile_figures_of_the_text() {
    let r = report();
    let mean = |id: &str| FR.number(question(&r, id).summary.as_ref().unwrap().mean, 2);
    assert_eq!(mean("age"), "39,35");
    assert_eq!(mean("salaire"), "1818,29");
    assert_eq!(mean("annees_exercice"), "5,29");
    frequencies(&r, "genre", 178, &[("Une femme", 93, "52,2 %")]);
    frequencies(
        &r,
        "employeur",
        178,
        &[("Une structure publique", 135, "75,8 %")],
    );
    frequencies(&r, "echelle", 178, &[("Commune", 90, "50,6 %")]);
    frequencies(&r, "premier_mediateur", 163, &[("Oui", 93, "57,1 %")]);
    frequencies(&r, "contrat", 163, &[("CDD", 104, "63,8 %")]);
    let dept = question(&r, "departement");
    let ille = dept
        .frequencies
        .as_ref()
        .unwrap()
        .iter()
        .find(|f| f.code == "35")
        .unwrap();
    assert_eq!(FR.number(ille.percent, 2), "37,11");
    let higher: usize = question(&r, "niveau_formation")
        .frequencies
        .as_ref()
        .unwrap()[2..]
        .iter()
        .map(|f| f.count)
        .sum();
    assert_eq!(FR.percent(higher as f64 * 100.0 / 178.0), "60,7 %");
}

/// (label, mean, median, std) as the seed prints them.
#[track_caller]
fn grid(report: &Report, id: &str, expected: &[(&str, &str, &str, &str)]) {
    let items = question(report, id).items.as_ref().unwrap();
    assert_eq!(items.len(), expected.len(), "{id}");
    for (item, &(label, mean, median, std)) in items.iter().zip(expected) {
        assert_eq!(item.label, label);
        assert_eq!(item.n, 155, "{id}: {label}");
        let s = item.summary.as_ref().unwrap();
        assert_eq!(FR.number(s.mean, 2), mean, "{id}: {label} mean");
        assert_eq!(FR.number(s.median, 0), median, "{id}: {label} median");
        assert_eq!(FR.number(s.std.unwrap(), 2), std, "{id}: {label} std");
    }
}

#[test]
fn tableaux_5_6_7_8_9_12_means_medians_and_standard_deviations() {
    let r = report();
    grid(
        &r,
        "types_accompagnement",
        &[
            ("Ouverture de compte / connexion", "7,44", "8", "2,87"),
            (
                "Navigation sur le site web administratif",
                "7,61",
                "8",
                "2,73",
            ),
            (
                "Recherche et téléchargement d'un fichier",
                "7,11",
                "8",
                "2,81",
            ),
            ("Remplissage d'un formulaire", "6,91", "8", "3,02"),
            (
                "Explication sur une démarche administrative",
                "6,77",
                "8",
                "3,24",
            ),
            (
                "Déblocage d'une difficulté sur un dossier",
                "5,08",
                "5",
                "3,35",
            ),
            (
                "Prise de contact directe avec l'administration concernée",
                "4,26",
                "3",
                "3,34",
            ),
        ],
    );
    grid(
        &r,
        "individuel_collectif",
        &[
            ("Individuelle", "8,39", "10", "2,64"),
            ("Collective", "2,86", "2", "2,51"),
        ],
    );
    for (id, mean, median, std) in [
        ("sollicitations_repetees", "6,57", "7,00", "2,89"),
        ("personnes_semaine", "9,97", "5,00", "14,44"),
    ] {
        let q = question(&r, id);
        assert_eq!(q.n, 155);
        let s = q.summary.as_ref().unwrap();
        assert_eq!(FR.number(s.mean, 2), mean, "{id}");
        assert_eq!(FR.number(s.median, 2), median, "{id}");
        assert_eq!(FR.number(s.std.unwrap(), 2), std, "{id}");
    }
    grid(
        &r,
        "sites_web",
        &[
            (
                "La Direction générale des finances publiques (impôts)",
                "4,81",
                "5",
                "2,99",
            ),
            ("La Poste", "3,10", "2", "2,57"),
            ("Pôle emploi", "4,24", "3", "2,94"),
            (
                "Les Caisses d'allocations familiales (CAF)",
                "4,85",
                "4",
                "3,03",
            ),
            ("L'assurance maladie (CPAM)", "5,60", "5", "2,98"),
            ("L'assurance retraite (CARSAT)", "4,08", "3", "2,95"),
            ("La mutualité sociale agricole (MSA)", "2,92", "2", "2,49"),
            ("Ministère de l'intérieur (dont ANTS)", "6,17", "6", "3,29"),
            (
                "Les sites des MDPH (ou Maison départementale pour les personnes Handicapées)",
                "1,85",
                "1",
                "1,70",
            ),
            ("Les sites des Conseils Départementaux", "1,78", "1", "1,60"),
            ("Compte professionnel de formation", "3,57", "3", "2,81"),
            ("Le site de l'URSSAF / Auto-entreprise", "2,19", "1", "2,03"),
            ("Le site pour « Le Chèque énergie »", "4,75", "4", "3,27"),
            ("Parcoursup", "1,53", "1", "1,48"),
            ("Le site du Conseil Régional", "1,28", "1", "0,99"),
            ("Ministère de la justice", "1,63", "1", "1,53"),
            (
                "Education nationale (pronote...) / Suivi de scolarité",
                "2,17",
                "1",
                "2,05",
            ),
            (
                "Services publics communaux ou intercommunaux (par exemple inscription cantine scolaire)",
                "2,65",
                "1",
                "2,44",
            ),
        ],
    );
    grid(
        &r,
        "contacts_directs",
        &[
            (
                "La Direction générale des finances publiques (impôts)",
                "1,76",
                "1",
                "2,09",
            ),
            ("La Poste", "1,20", "1", "0,96"),
            ("Pôle emploi", "1,85", "1", "2,10"),
            ("Les Caisses d'allocations familiales", "1,69", "1", "1,91"),
            ("L'assurance maladie (CPAM)", "1,85", "1", "2,08"),
            ("L'assurance retraite (CARSAT)", "1,44", "1", "1,53"),
            ("La mutualité sociale agricole (MSA)", "1,25", "1", "0,88"),
            ("Ministère de l'intérieur (dont ANTS)", "1,62", "1", "1,87"),
            ("Ministère de la justice", "1,15", "1", "0,86"),
            ("Education nationale", "1,23", "1", "1,15"),
            (
                "Services publics communaux ou intercommunaux",
                "1,77",
                "1",
                "2,01",
            ),
        ],
    );
}

#[test]
fn tableaux_3_and_11_crosstabs_print_as_in_the_seed() {
    let md = markdown(&report(), &FR);
    for line in [
        // Tableau 3: fiche de poste × accompagnement.
        "| Non | 22 (12,4 %) | 45 (25,3 %) | 67 (37,6 %) |",
        "| Oui | 1 (0,6 %) | 110 (61,8 %) | 111 (62,4 %) |",
        "| Total | 23 (12,9 %) | 155 (87,1 %) | 178 (100,0 %) |",
        // Tableau 11: espace France services × accompagnement.
        "| Non | 2 (1,1 %) | 46 (25,8 %) | 48 (27,0 %) |",
        "| Oui | 21 (11,8 %) | 109 (61,2 %) | 130 (73,0 %) |",
        // Tableau 1.
        "| Conseiller-ère numérique | 103 | 57,9 % |",
    ] {
        assert!(md.contains(line), "missing {line:?} in\n{md}");
    }
}
