//! Real files deviate from the standard v1 in known ways. Each deviation
//! below is corrected before validation and reported as a warning whose
//! rule names the correction, so an import report can count them:
//!
//! | rule | what is found | what is stored |
//! |---|---|---|
//! | `date_iso` | `date_maj` as an ISO date-time (`2024-10-08T00:00:00.000Z`, written by the reference library's data·inclusion transfer) | its date part, as written |
//! | `typologie_casse` | a typology code in another case (`Autre`, the reference library's spelling of `AUTRE`) | the code in capitals |
//! | `apostrophe` | a typographic apostrophe (’) in a value of a closed list | the straight one the standard uses |
//! | `modalites_v0_1` | a v0.1 value of `modalites_accompagnement` ("Seul : j'ai accès…") | its v1 value (`vocab::ACCOMPANIMENT_V0_1`) |
//! | `liste_point_virgule` | a multi-valued cell separated by `;` (the standard's README still says so) | the values, split |
//! | `formations_graphie` | the reference library's spelling of a `formations_labels` value | the schema's |

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::model::{Place, is_multi};
use crate::validate::{Severity, Violation};
use crate::vocab;

/// Every correction rule with its French description, in report order.
pub const RULES: &[(&str, &str)] = &[
    (
        "date_iso",
        "dates de mise à jour avec une heure (ISO), réduites à la date",
    ),
    (
        "typologie_casse",
        "typologies écrites dans une autre casse (« Autre »)",
    ),
    (
        "apostrophe",
        "apostrophes typographiques (’) dans des valeurs de listes fermées",
    ),
    (
        "modalites_v0_1",
        "modalités d’accompagnement du standard v0.1 converties en v1",
    ),
    (
        "liste_point_virgule",
        "listes séparées par « ; » au lieu de « | »",
    ),
    (
        "formations_graphie",
        "labels de formation dans la graphie de la bibliothèque de référence",
    ),
];

/// Whether `rule` is one of the corrections of this module.
pub fn is_correction(rule: &str) -> bool {
    RULES.iter().any(|(r, _)| *r == rule)
}

/// How many warnings of each correction rule, for the import report.
pub fn count(warnings: &[Violation]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for w in warnings {
        if let Some((rule, _)) = RULES.iter().find(|(r, _)| *r == w.rule) {
            *counts.entry(*rule).or_default() += 1;
        }
    }
    counts
}

/// The fields whose values come from a closed list of the standard.
const CLOSED_LISTS: &[&str] = &[
    "itinerance",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
];

fn list_mut<'a>(place: &'a mut Place, field: &str) -> &'a mut Vec<String> {
    match field {
        "typologie" => &mut place.typologie,
        "courriels" => &mut place.courriels,
        "site_web" => &mut place.site_web,
        "itinerance" => &mut place.itinerance,
        "services" => &mut place.services,
        "publics_specifiquement_adresses" => &mut place.publics_specifiquement_adresses,
        "prise_en_charge_specifique" => &mut place.prise_en_charge_specifique,
        "frais_a_charge" => &mut place.frais_a_charge,
        "dispositif_programmes_nationaux" => &mut place.dispositif_programmes_nationaux,
        "formations_labels" => &mut place.formations_labels,
        "autres_formations_labels" => &mut place.autres_formations_labels,
        "modalites_acces" => &mut place.modalites_acces,
        "modalites_accompagnement" => &mut place.modalites_accompagnement,
        other => panic!("{other} is not a multi-valued column"),
    }
}

/// The date of an ISO date-time (`2024-10-08T00:00:00.000Z`,
/// `2024-10-08 14:03:00`), as written; `None` when `raw` is not one.
pub fn date_of_datetime(raw: &str) -> Option<String> {
    let date = raw.get(..10)?;
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let rest = &raw[10..];
    if !(rest.starts_with('T') || rest.starts_with(' ')) {
        return None;
    }
    let is_datetime = DateTime::parse_from_rfc3339(&raw.replacen(' ', "T", 1)).is_ok()
        || [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
        ]
        .iter()
        .any(|f| NaiveDateTime::parse_from_str(raw, f).is_ok());
    is_datetime.then(|| date.to_string())
}

/// Corrects the known deviations in place; one warning per correction,
/// field and row.
pub fn normalize(places: &mut [(u64, Place)]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (line, place) in places.iter_mut() {
        let line = *line;
        let warn = |field: &'static str, rule: &'static str, message: String| Violation {
            line,
            field,
            rule,
            message,
            severity: Severity::Warning,
        };
        for field in crate::model::FIELDS.into_iter().filter(|f| is_multi(f)) {
            let values = list_mut(place, field);
            if values.iter().any(|v| v.contains(';')) {
                let before = values.join("|");
                *values = values
                    .iter()
                    .flat_map(|v| v.split(';'))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .collect();
                out.push(warn(
                    field,
                    "liste_point_virgule",
                    format!("« {before} » : valeurs séparées par « ; », lues comme une liste (le standard sépare par « | »)"),
                ));
            }
        }
        for field in CLOSED_LISTS {
            let values = list_mut(place, field);
            let typographic = |c: char| matches!(c, '’' | '‘' | 'ʼ');
            if values.iter().any(|v| v.contains(typographic)) {
                for v in values.iter_mut() {
                    *v = v.replace(typographic, "'");
                }
                out.push(warn(
                    field,
                    "apostrophe",
                    "apostrophe typographique (’) remplacée par l’apostrophe droite du standard"
                        .into(),
                ));
            }
        }
        for value in place.modalites_accompagnement.iter_mut() {
            if let Some((old, new)) = vocab::ACCOMPANIMENT_V0_1
                .iter()
                .find(|(old, _)| old == value)
            {
                *value = new.to_string();
                out.push(warn(
                    "modalites_accompagnement",
                    "modalites_v0_1",
                    format!("« {old} » (standard v0.1) lu comme « {new} »"),
                ));
            }
        }
        dedup_keep_order(&mut place.modalites_accompagnement);
        for value in place.formations_labels.iter_mut() {
            if let Some((schema, library)) = vocab::LIBRARY_FORMATION_SPELLINGS
                .iter()
                .find(|(_, library)| library == value)
            {
                *value = schema.to_string();
                out.push(warn(
                    "formations_labels",
                    "formations_graphie",
                    format!("« {library} » (graphie de la bibliothèque de référence) lu comme « {schema} », la valeur du schéma"),
                ));
            }
        }
        for code in place.typologie.iter_mut() {
            let upper = code.to_uppercase();
            if upper != *code && vocab::is_known_typology(&upper) {
                out.push(warn(
                    "typologie",
                    "typologie_casse",
                    format!("« {code} » lu comme le code « {upper} »"),
                ));
                *code = upper;
            }
        }
        if let Some(date) = date_of_datetime(&place.date_maj) {
            out.push(warn(
                "date_maj",
                "date_iso",
                format!(
                    "« {} » est une date avec heure : seule la date {date} est gardée",
                    place.date_maj
                ),
            ));
            place.date_maj = date;
        }
    }
    out
}

fn dedup_keep_order(values: &mut Vec<String>) {
    let mut seen = Vec::new();
    values.retain(|v| {
        let fresh = !seen.contains(v);
        if fresh {
            seen.push(v.clone());
        }
        fresh
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(place: Place) -> (Place, Vec<&'static str>) {
        let mut places = [(2, place)];
        let warnings = normalize(&mut places);
        let [(_, place)] = places;
        (place, warnings.iter().map(|w| w.rule).collect())
    }

    #[test]
    fn each_deviation_is_corrected_and_named() {
        let (p, r) = rules(Place {
            date_maj: "2024-10-08T00:00:00.000Z".into(),
            ..Place::default()
        });
        assert_eq!((p.date_maj.as_str(), r), ("2024-10-08", vec!["date_iso"]));
        let (p, r) = rules(Place {
            typologie: vec!["Autre".into(), "BIB".into()],
            ..Place::default()
        });
        assert_eq!(
            (p.typologie, r),
            (vec!["AUTRE".into(), "BIB".into()], vec!["typologie_casse"])
        );
        let (p, r) = rules(Place {
            modalites_acces: vec!["Ce lieu n’accueille pas de public".into()],
            ..Place::default()
        });
        assert_eq!(p.modalites_acces, vec!["Ce lieu n'accueille pas de public"]);
        assert_eq!(r, vec!["apostrophe"]);
        let (p, r) = rules(Place {
            modalites_accompagnement: vec![
                "Seul : j’ai accès à du matériel et une connexion".into(),
                "A ma place : une personne habilitée fait les démarches à ma place".into(),
                "Avec de l'aide : je suis accompagné seul dans l'usage du numérique".into(),
            ],
            ..Place::default()
        });
        assert_eq!(
            p.modalites_accompagnement,
            vec!["En autonomie", "Accompagnement individuel"]
        );
        assert_eq!(
            r,
            vec![
                "apostrophe",
                "modalites_v0_1",
                "modalites_v0_1",
                "modalites_v0_1"
            ]
        );
        let (p, r) = rules(Place {
            services: vec![
                "Aide aux démarches administratives;Loisirs et créations numériques".into(),
            ],
            formations_labels: vec!["Étapes numériques (La Poste)".into()],
            ..Place::default()
        });
        assert_eq!(p.services.len(), 2);
        assert_eq!(p.formations_labels, vec!["Étapes numériques(La Poste)"]);
        assert_eq!(r, vec!["liste_point_virgule", "formations_graphie"]);
        let counted = count(&normalize(&mut [(
            3,
            Place {
                date_maj: "2024-10-08 12:00:00".into(),
                ..Place::default()
            },
        )]));
        assert_eq!(counted.get("date_iso"), Some(&1));
    }

    #[test]
    fn conforming_values_are_left_alone() {
        let (p, r) = rules(Place {
            date_maj: "2024-10-08".into(),
            typologie: vec!["bibliothèque".into()],
            horaires: Some("Mo 09:00-12:00; Tu 14:00-18:00".into()),
            ..Place::default()
        });
        assert!(r.is_empty(), "{r:?}");
        assert_eq!(
            p.typologie,
            vec!["bibliothèque"],
            "not a code: left to validation"
        );
        assert_eq!(date_of_datetime("2024-10-08Tnope"), None);
        assert_eq!(date_of_datetime("2024-10-08"), None);
        assert_eq!(
            date_of_datetime("2024-10-08T23:30:00+02:00").as_deref(),
            Some("2024-10-08")
        );
    }
}
