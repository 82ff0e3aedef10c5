//! Every rule of the standard, checked row by row. A violation names the
//! line, the field, the rule broken and the value; warnings (an unknown
//! typology code, opening hours that do not parse) do not block an import.

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use passerelle_territory::codes::is_commune_code;

use crate::hours::Horaires;
use crate::model::Place;
use crate::vocab;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub line: u64,
    pub field: &'static str,
    /// Short name of the rule: `required`, `unique`, `pattern`, `range`,
    /// `vocabulary`, `email`, `url`, `max_length`, `date`, `typology`,
    /// `opening_hours`, `coordinates`.
    pub rule: &'static str,
    pub message: String,
    pub severity: Severity,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.severity == Severity::Error {
            "erreur"
        } else {
            "avertissement"
        };
        write!(
            f,
            "ligne {}, champ « {} » : {kind} ({}) : {}",
            self.line, self.field, self.rule, self.message
        )
    }
}

const PHONE_PREFIXES: &[&str] = &[
    "+33", "+590", "+594", "+262", "+596", "+269", "+687", "+689", "+508", "+681",
];

/// `^(\+33|\+590|…)(\d){6,9}$`
pub fn is_phone(s: &str) -> bool {
    PHONE_PREFIXES.iter().any(|p| {
        s.strip_prefix(p).is_some_and(|rest| {
            (6..=9).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// `^[a-zA-Z0-9]{9,14}$`: a SIREN, SIRET or RNA number.
pub fn is_pivot(s: &str) -> bool {
    (9..=14).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
}

pub fn is_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        host.contains('.') && !r.contains(char::is_whitespace)
    })
}

/// Checks every place; `places` holds each with the line it came from.
pub fn validate(places: &[(u64, Place)]) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut first_line: HashMap<&str, u64> = HashMap::new();
    for (line, place) in places {
        let line = *line;
        let push = |field, rule, severity, message: String| Violation {
            line,
            field,
            rule,
            message,
            severity,
        };
        let error = |field, rule, message: String| push(field, rule, Severity::Error, message);
        for (field, value) in [
            ("id", &place.id),
            ("pivot", &place.pivot),
            ("nom", &place.nom),
            ("commune", &place.commune),
            ("code_postal", &place.code_postal),
            ("adresse", &place.adresse),
            ("date_maj", &place.date_maj),
        ] {
            if value.trim().is_empty() {
                out.push(error(field, "required", "champ obligatoire, vide".into()));
            }
        }
        if !place.id.is_empty() {
            if let Some(first) = first_line.get(place.id.as_str()) {
                out.push(error(
                    "id",
                    "unique",
                    format!(
                        "« {} » identifie déjà le lieu de la ligne {first}",
                        place.id
                    ),
                ));
            } else {
                first_line.insert(&place.id, line);
            }
        }
        if !place.pivot.is_empty() && !is_pivot(&place.pivot) {
            out.push(error(
                "pivot",
                "pattern",
                format!(
                    "« {} » n’est pas un numéro SIRET ou RNA (9 à 14 lettres ou chiffres)",
                    place.pivot
                ),
            ));
        }
        if !place.code_postal.is_empty()
            && !passerelle_territory::codes::is_postcode(&place.code_postal)
        {
            out.push(error(
                "code_postal",
                "pattern",
                format!(
                    "« {} » n’est pas un code postal (5 chiffres)",
                    place.code_postal
                ),
            ));
        }
        if let Some(code) = &place.code_insee
            && !is_commune_code(code)
        {
            out.push(error(
                "code_insee",
                "pattern",
                format!("« {code} » n’est pas un code commune INSEE"),
            ));
        }
        for (field, value, bound) in [
            ("latitude", place.latitude, 90.0),
            ("longitude", place.longitude, 180.0),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && (-bound..=bound).contains(&v))
            {
                out.push(error(
                    field,
                    "range",
                    format!("{v} n’est pas une {field} WGS84 (de -{bound} à {bound})"),
                ));
            }
        }
        if place.latitude.is_some() != place.longitude.is_some() {
            let missing = if place.latitude.is_none() {
                "latitude"
            } else {
                "longitude"
            };
            out.push(error(
                missing,
                "coordinates",
                "latitude et longitude vont ensemble : l’une manque".into(),
            ));
        }
        if let Some(phone) = &place.telephone
            && !is_phone(phone)
        {
            out.push(error("telephone", "pattern", format!("« {phone} » n’est pas un numéro international (+33 puis 6 à 9 chiffres, ou un indicatif d’outre-mer)")));
        }
        for email in &place.courriels {
            if !is_email(email) {
                out.push(error(
                    "courriels",
                    "email",
                    format!("« {email} » n’est pas une adresse électronique"),
                ));
            }
        }
        for (field, urls) in [
            ("site_web", place.site_web.iter().collect::<Vec<_>>()),
            (
                "fiche_acces_libre",
                place.fiche_acces_libre.iter().collect(),
            ),
            ("prise_rdv", place.prise_rdv.iter().collect()),
        ] {
            for url in urls {
                if !is_url(url) {
                    out.push(error(
                        field,
                        "url",
                        format!("« {url} » n’est pas une adresse http(s)"),
                    ));
                }
            }
        }
        if let Some(summary) = &place.presentation_resume
            && summary.chars().count() > 280
        {
            out.push(error(
                "presentation_resume",
                "max_length",
                format!(
                    "{} caractères, plus que les 280 permis",
                    summary.chars().count()
                ),
            ));
        }
        if !place.date_maj.is_empty()
            && NaiveDate::parse_from_str(&place.date_maj, "%Y-%m-%d").is_err()
        {
            out.push(error(
                "date_maj",
                "date",
                format!(
                    "« {} » n’est pas une date de la forme 2024-03-31",
                    place.date_maj
                ),
            ));
        }
        for (field, values, allowed) in [
            ("itinerance", &place.itinerance, vocab::ITINERANCE),
            ("services", &place.services, vocab::SERVICES),
            (
                "publics_specifiquement_adresses",
                &place.publics_specifiquement_adresses,
                vocab::PUBLICS,
            ),
            (
                "prise_en_charge_specifique",
                &place.prise_en_charge_specifique,
                vocab::SPECIFIC_SUPPORT,
            ),
            ("frais_a_charge", &place.frais_a_charge, vocab::FEES),
            (
                "dispositif_programmes_nationaux",
                &place.dispositif_programmes_nationaux,
                vocab::NATIONAL_PROGRAMMES,
            ),
            (
                "formations_labels",
                &place.formations_labels,
                vocab::FORMATIONS_LABELS,
            ),
            (
                "modalites_acces",
                &place.modalites_acces,
                vocab::ACCESS_MODALITIES,
            ),
            (
                "modalites_accompagnement",
                &place.modalites_accompagnement,
                vocab::ACCOMPANIMENT_MODALITIES,
            ),
        ] {
            for value in values {
                if !allowed.contains(&value.as_str()) {
                    out.push(error(
                        field,
                        "vocabulary",
                        format!(
                            "« {value} » n’est pas une valeur du standard ({})",
                            allowed.join(" ; ")
                        ),
                    ));
                }
            }
        }
        for code in &place.typologie {
            let shaped = !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !shaped {
                out.push(error(
                    "typologie",
                    "typology",
                    format!("« {code} » n’est pas un code de typologie (capitales, chiffres, _)"),
                ));
            } else if !vocab::is_known_typology(code) {
                out.push(push(
                    "typologie",
                    "typology",
                    Severity::Warning,
                    format!("« {code} » n’est pas un code de typologie connu de Passerelle ; gardé tel quel"),
                ));
            }
        }
        if let Some(hours) = &place.horaires
            && let Err(e) = Horaires::parse(hours)
        {
            out.push(push(
                "horaires",
                "opening_hours",
                Severity::Warning,
                format!(
                    "pas dans la syntaxe opening_hours d’OpenStreetMap ; gardés tels quels et affichés comme texte : {e}"
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn valid_place() -> Place {
        Place {
            id: "lieu-1".into(),
            pivot: "21290019600010".into(),
            nom: "Médiathèque des Ursulines".into(),
            commune: "Quimper".into(),
            code_postal: "29000".into(),
            code_insee: Some("29232".into()),
            adresse: "1 esplanade Julien Gracq".into(),
            latitude: Some(47.9975),
            longitude: Some(-4.1035),
            typologie: vec!["BIB".into()],
            telephone: Some("+33298986660".into()),
            courriels: vec!["mediatheque@quimper.bzh".into()],
            site_web: vec!["https://mediatheques.quimper-bretagne-occidentale.bzh".into()],
            horaires: Some("Tu-Fr 13:00-18:00; We,Sa 10:00-18:00".into()),
            date_maj: "2024-05-02".into(),
            services: vec!["Maîtrise des outils numériques du quotidien".into()],
            frais_a_charge: vec!["Gratuit".into()],
            ..Place::default()
        }
    }

    fn rules(place: Place) -> Vec<(&'static str, &'static str, Severity)> {
        validate(&[(2, place)])
            .into_iter()
            .map(|v| (v.field, v.rule, v.severity))
            .collect()
    }

    #[test]
    fn a_valid_place_passes() {
        assert_eq!(rules(valid_place()), vec![]);
    }

    /// One failing row per rule.
    #[test]
    fn each_rule_is_enforced() {
        use Severity::*;
        type Case = (fn(&mut Place), (&'static str, &'static str, Severity));
        let cases: Vec<Case> = vec![
            (|p| p.id.clear(), ("id", "required", Error)),
            (|p| p.pivot.clear(), ("pivot", "required", Error)),
            (|p| p.nom.clear(), ("nom", "required", Error)),
            (|p| p.commune.clear(), ("commune", "required", Error)),
            (|p| p.adresse.clear(), ("adresse", "required", Error)),
            (|p| p.date_maj.clear(), ("date_maj", "required", Error)),
            (|p| p.pivot = "1234".into(), ("pivot", "pattern", Error)),
            (
                |p| p.pivot = "21290019600010X".into(),
                ("pivot", "pattern", Error),
            ),
            (
                |p| p.code_postal = "2900".into(),
                ("code_postal", "pattern", Error),
            ),
            (
                |p| p.code_insee = Some("20232".into()),
                ("code_insee", "pattern", Error),
            ),
            (|p| p.latitude = Some(147.0), ("latitude", "range", Error)),
            (
                |p| p.longitude = Some(-200.0),
                ("longitude", "range", Error),
            ),
            (|p| p.longitude = None, ("longitude", "coordinates", Error)),
            (
                |p| p.telephone = Some("02 98 98 66 60".into()),
                ("telephone", "pattern", Error),
            ),
            (
                |p| p.telephone = Some("+3329898666012".into()),
                ("telephone", "pattern", Error),
            ),
            (
                |p| p.courriels = vec!["mediatheque.quimper.bzh".into()],
                ("courriels", "email", Error),
            ),
            (
                |p| p.site_web = vec!["www.quimper.bzh".into()],
                ("site_web", "url", Error),
            ),
            (
                |p| p.prise_rdv = Some("rdv".into()),
                ("prise_rdv", "url", Error),
            ),
            (
                |p| p.fiche_acces_libre = Some("ftp://x.fr".into()),
                ("fiche_acces_libre", "url", Error),
            ),
            (
                |p| p.presentation_resume = Some("é".repeat(281)),
                ("presentation_resume", "max_length", Error),
            ),
            (
                |p| p.date_maj = "02/05/2024".into(),
                ("date_maj", "date", Error),
            ),
            (
                |p| p.date_maj = "2024-02-30".into(),
                ("date_maj", "date", Error),
            ),
            (
                |p| p.itinerance = vec!["Mobile".into()],
                ("itinerance", "vocabulary", Error),
            ),
            (
                |p| p.services = vec!["Démarches".into()],
                ("services", "vocabulary", Error),
            ),
            (
                |p| p.publics_specifiquement_adresses = vec!["Ados".into()],
                ("publics_specifiquement_adresses", "vocabulary", Error),
            ),
            (
                |p| p.prise_en_charge_specifique = vec!["Surdite".into()],
                ("prise_en_charge_specifique", "vocabulary", Error),
            ),
            (
                |p| p.frais_a_charge = vec!["Libre".into()],
                ("frais_a_charge", "vocabulary", Error),
            ),
            (
                |p| p.dispositif_programmes_nationaux = vec!["France services".into()],
                ("dispositif_programmes_nationaux", "vocabulary", Error),
            ),
            (
                |p| p.formations_labels = vec!["Label inventé".into()],
                ("formations_labels", "vocabulary", Error),
            ),
            (
                |p| p.modalites_acces = vec!["Venir".into()],
                ("modalites_acces", "vocabulary", Error),
            ),
            (
                |p| p.modalites_accompagnement = vec!["Seul".into()],
                ("modalites_accompagnement", "vocabulary", Error),
            ),
            (
                |p| p.typologie = vec!["bibliothèque".into()],
                ("typologie", "typology", Error),
            ),
            (
                |p| p.typologie = vec!["NOUVEAU_TYPE".into()],
                ("typologie", "typology", Warning),
            ),
            (
                |p| p.horaires = Some("du lundi au vendredi".into()),
                ("horaires", "opening_hours", Warning),
            ),
        ];
        for (break_it, expected) in cases {
            let mut place = valid_place();
            break_it(&mut place);
            assert_eq!(rules(place), vec![expected]);
        }
    }

    #[test]
    fn ids_are_unique_within_a_file() {
        let violations = validate(&[(2, valid_place()), (3, valid_place())]);
        assert_eq!(violations.len(), 1);
        assert_eq!((violations[0].line, violations[0].rule), (3, "unique"));
        assert!(
            violations[0]
                .to_string()
                .starts_with("ligne 3, champ « id » : erreur (unique) :"),
            "{}",
            violations[0]
        );
    }

    #[test]
    fn overseas_phone_prefixes() {
        for ok in [
            "+33298986660",
            "+590590123456",
            "+262262123456",
            "+689401234",
        ] {
            assert!(is_phone(ok), "{ok}");
        }
        for bad in ["0298986660", "+44 20 7946 0958", "+33", "+3312345"] {
            assert!(!is_phone(bad), "{bad}");
        }
    }
}
