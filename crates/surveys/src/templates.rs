//! The built-in questionnaires, reconstructed from the seeds and compiled
//! in from `data/surveys/` so that `passerelle survey template NAME` and
//! `--questionnaire NAME` work without any file.

use crate::questionnaire::{Invalid, Questionnaire};

/// (name, TOML text) of each built-in questionnaire.
pub const TEMPLATES: [(&str, &str); 2] = [
    (
        "hub-bretagne-2023",
        include_str!("../../../data/surveys/hub-bretagne-2023.toml"),
    ),
    (
        "esc-rennes-professionnels",
        include_str!("../../../data/surveys/esc-rennes-professionnels.toml"),
    ),
];

/// The TOML text of a built-in questionnaire.
pub fn text(name: &str) -> Option<&'static str> {
    TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// A built-in questionnaire, parsed; `None` for an unknown name.
pub fn load(name: &str) -> Option<Result<Questionnaire, Invalid>> {
    text(name).map(|t| Questionnaire::parse(t, &format!("data/surveys/{name}.toml")))
}

pub fn names() -> impl Iterator<Item = &'static str> {
    TEMPLATES.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::Kind;

    #[test]
    fn every_template_is_valid_and_named_after_its_id() {
        for name in names() {
            let q = load(name).unwrap().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(q.id, name);
        }
        assert!(load("inconnu").is_none());
    }

    #[test]
    fn templates_carry_the_seeds_questions() {
        let hub = load("hub-bretagne-2023").unwrap().unwrap();
        for id in [
            "poste",
            "lieux",
            "fiche_de_poste",
            "accompagne",
            "pourquoi_pas",
            "types_accompagnement",
            "individuel_collectif",
            "sollicitations_repetees",
            "personnes_semaine",
            "sites_web",
            "reorientation",
            "contacts_directs",
            "besoin_contacts",
            "france_services",
            "age",
            "genre",
            "departement",
            "niveau_formation",
            "contrat",
            "salaire",
            "annees_exercice",
            "premier_mediateur",
        ] {
            assert!(hub.question(id).is_some(), "{id}");
        }
        let Kind::Grid { items, scale } = &hub.question("sites_web").unwrap().kind else {
            panic!("sites_web is a grid");
        };
        assert_eq!((items.len(), scale.min, scale.max), (18, 1, 10));
        let esc = load("esc-rennes-professionnels").unwrap().unwrap();
        let Kind::Grid { scale, .. } = &esc.question("besoins_usagers").unwrap().kind else {
            panic!("besoins_usagers is a grid");
        };
        assert_eq!((scale.min, scale.max), (1, 8));
        assert!(esc.question("besoins_usagers").unwrap().shuffle);
    }
}
