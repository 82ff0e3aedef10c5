//! Converters from formats users have into the standard: the ANCT list of
//! France services, the conseillers numériques' permanences (a near-standard
//! export with the older services vocabulary) and the Aidants Connect
//! structures. Nothing is invented: a field the source lacks stays empty.
//! The rules of each mapping are in the docs of each function and in
//! `data/places/PROVENANCE.md`.

use crate::hours::from_weekday_columns;
use crate::model::Place;
use crate::validate::{Severity, Violation, is_email, is_phone, is_url};

/// The standard's value for an unknown SIRET/RNA ("pivot" is required).
pub const UNKNOWN_PIVOT: &str = "00000000000000";

/// Which converter a file needs, recognised from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Standard,
    FranceServices,
    ConseillersNumeriques,
    AidantsConnect,
}

impl SourceFormat {
    pub fn detect(header: &[&str]) -> Self {
        let has = |c: &str| header.contains(&c);
        if has("id_fs") && has("h_lundi") {
            Self::FranceServices
        } else if has("structureId") && has("labels_nationaux") {
            Self::ConseillersNumeriques
        } else if has("nb_aidants") && has("uuid") {
            Self::AidantsConnect
        } else {
            Self::Standard
        }
    }

    /// The `source` value given to the places it produces.
    pub fn source_name(self) -> Option<&'static str> {
        match self {
            Self::Standard => None,
            Self::FranceServices => Some("anct-france-services"),
            Self::ConseillersNumeriques => Some("conseiller-numerique"),
            Self::AidantsConnect => Some("aidants-connect"),
        }
    }
}

/// A French phone number as written locally ("02 96 60 47 87") in the
/// standard's international form, when it is one.
pub fn international_phone(raw: &str) -> Option<String> {
    let digits: String = raw
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let candidate = if digits.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix('0') {
        // Overseas numbers keep their own country code: 0590 → +590…
        let overseas = [
            "590", "594", "262", "596", "269", "687", "689", "508", "681",
        ]
        .iter()
        .find(|p| rest.starts_with(&p[..]) && rest.len() == 9);
        match overseas {
            // E.164 keeps the area digits: 0590 12 34 56 → +590 590 12 34 56.
            Some(p) => format!("+{p}{rest}"),
            None => format!("+33{rest}"),
        }
    } else {
        return None;
    };
    is_phone(&candidate).then_some(candidate)
}

/// A phone number of the standard as French people write it:
/// `+33298988989` → `02 98 98 89 89`, `+590590123456` → `05 90 12 34 56`;
/// other numbers as they are.
pub fn national_phone(international: &str) -> String {
    let ten = international
        .strip_prefix("+33")
        .filter(|rest| rest.len() == 9)
        .map(|rest| format!("0{rest}"))
        .or_else(|| {
            let (code, rest) = international.strip_prefix('+')?.split_at_checked(3)?;
            (rest.len() == 9 && rest.starts_with(code)).then(|| format!("0{rest}"))
        });
    match ten {
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => digits
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        _ => international.to_string(),
    }
}

/// The nine services from the older vocabulary of the conseillers
/// numériques' exports.
pub fn map_cnfs_service(old: &str) -> Option<&'static str> {
    let s = old.trim().to_lowercase();
    let rules: &[(&str, &str)] = &[
        ("démarche", "Aide aux démarches administratives"),
        ("emploi", "Insertion professionnelle via le numérique"),
        ("entreprise", "Insertion professionnelle via le numérique"),
        ("sécuris", "Utilisation sécurisée du numérique"),
        ("enfant", "Parentalité et éducation avec le numérique"),
        ("parentalité", "Parentalité et éducation avec le numérique"),
        ("créer", "Loisirs et créations numériques"),
        ("culture numérique", "Compréhension du monde numérique"),
        ("citoyenneté", "Compréhension du monde numérique"),
        (
            "acquérir",
            "Acquisition de matériel informatique à prix solidaire",
        ),
        ("connexion", "Accès internet et matériel informatique"),
        ("accéder", "Accès internet et matériel informatique"),
        (
            "prendre en main",
            "Maîtrise des outils numériques du quotidien",
        ),
        (
            "au quotidien",
            "Maîtrise des outils numériques du quotidien",
        ),
        ("proches", "Maîtrise des outils numériques du quotidien"),
    ];
    rules.iter().find(|(k, _)| s.contains(k)).map(|(_, v)| *v)
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

fn warn(line: u64, field: &'static str, message: String) -> Violation {
    Violation {
        line,
        field,
        rule: "conversion",
        message,
        severity: Severity::Warning,
    }
}

/// Reads a file in one of the source formats into standard places.
pub fn convert(
    format: SourceFormat,
    bytes: &[u8],
    date_maj: &str,
) -> (Vec<(u64, Place)>, Vec<Violation>) {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(str::to_string).collect())
        .unwrap_or_default();
    let mut places = Vec::new();
    let mut warnings = Vec::new();
    for record in reader.records().flatten() {
        let line = crate::format::record_line(bytes, record.position());
        let get = |name: &str| -> String {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let non_empty = |s: String| (!s.is_empty()).then_some(s);
        let mut p = Place {
            date_maj: date_maj.to_string(),
            ..Place::default()
        };
        p.source = format.source_name().map(str::to_string);
        match format {
            SourceFormat::Standard => unreachable!("standard files are read by format::read_csv"),
            SourceFormat::FranceServices => {
                p.id = get("id_fs");
                p.pivot = UNKNOWN_PIVOT.into();
                p.nom = get("lib_fs");
                p.commune = get("lib_com");
                p.code_postal = get("code_postal");
                p.code_insee = non_empty(get("insee_com"));
                p.adresse = get("adresse");
                p.complement_adresse = non_empty(get("complement_adresse"));
                p.latitude = get("latitude").parse().ok();
                p.longitude = get("longitude").parse().ok();
                p.telephone = international_phone(&get("telephone"));
                let mail = get("mail");
                if is_email(&mail) {
                    p.courriels.push(mail);
                }
                let days: Vec<String> = [
                    "h_lundi",
                    "h_mardi",
                    "h_mercredi",
                    "h_jeudi",
                    "h_vendredi",
                    "h_samedi",
                ]
                .iter()
                .map(|d| get(d))
                .collect();
                let days: Vec<&str> = days.iter().map(String::as_str).collect();
                match from_weekday_columns(&days) {
                    Ok(h) => p.horaires = h,
                    Err(e) => warnings.push(warn(
                        line,
                        "horaires",
                        format!("horaires non convertis, laissés vides : {e}"),
                    )),
                }
                p.itinerance = match get("itinerance").as_str() {
                    "Oui" => vec!["Itinérant".into()],
                    "Non" => vec!["Fixe".into()],
                    _ => vec![],
                };
                // The France services label is, by definition, help with
                // administrative procedures.
                p.services.push("Aide aux démarches administratives".into());
                p.dispositif_programmes_nationaux
                    .push("France Services".into());
                p.presentation_detail = non_empty(get("commentaire"));
            }
            SourceFormat::ConseillersNumeriques => {
                p.id = get("id");
                p.pivot = non_empty(get("pivot")).unwrap_or_else(|| UNKNOWN_PIVOT.into());
                p.nom = get("nom");
                p.commune = get("commune");
                p.code_postal = get("code_postal");
                p.adresse = get("adresse");
                p.latitude = get("latitude").parse().ok();
                p.longitude = get("longitude").parse().ok();
                for old in get("services")
                    .split([';', '|'])
                    .filter(|s| !s.trim().is_empty())
                {
                    match map_cnfs_service(old) {
                        Some(new) => push_unique(&mut p.services, new),
                        None => warnings.push(warn(
                            line,
                            "services",
                            format!(
                                "« {old} » n’a pas d’équivalent parmi les services du standard ; écarté"
                            ),
                        )),
                    }
                }
                p.dispositif_programmes_nationaux
                    .push("Conseillers numériques".into());
                let access = get("conditions_access").to_lowercase();
                for (prefix, fee) in [
                    ("gratuit sous condition", "Gratuit sous condition"),
                    ("gratuit", "Gratuit"),
                    ("payant", "Payant"),
                ] {
                    if access.starts_with(prefix) {
                        p.frais_a_charge.push(fee.into());
                        break;
                    }
                }
                p.horaires = non_empty(get("horaires"));
                p.prise_rdv = non_empty(get("prise_rdv")).filter(|u| is_url(u));
                p.site_web = get("site_web")
                    .split([';', '|'])
                    .map(str::trim)
                    .filter(|u| is_url(u))
                    .map(str::to_string)
                    .collect();
                if let Some(d) = non_empty(get("date_maj")) {
                    p.date_maj = d;
                }
            }
            SourceFormat::AidantsConnect => {
                if get("is_active") != "true" {
                    continue;
                }
                p.id = get("uuid");
                let siret = get("siret");
                let siret = siret.strip_suffix(".0").unwrap_or(&siret);
                p.pivot = if siret.len() == 14 && siret.bytes().all(|b| b.is_ascii_digit()) {
                    siret.into()
                } else {
                    UNKNOWN_PIVOT.into()
                };
                p.nom = get("name");
                p.commune = get("commune");
                p.code_postal = get("code_postal");
                p.code_insee = non_empty(get("code_insee"));
                // The address column repeats the postcode and commune.
                let address = get("adresse");
                p.adresse = match address.find(&format!(" {}", p.code_postal)) {
                    Some(i) if !p.code_postal.is_empty() => address[..i].trim().to_string(),
                    _ => address,
                };
                p.services.push("Aide aux démarches administratives".into());
                p.dispositif_programmes_nationaux
                    .push("Aidants Connect".into());
                if get("label_france_services") == "true" {
                    p.dispositif_programmes_nationaux
                        .push("France Services".into());
                }
            }
        }
        places.push((line, p));
    }
    (places, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validate;

    fn bundled(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../data/places/sources/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn errors(places: &[(u64, Place)]) -> Vec<String> {
        validate(places)
            .into_iter()
            .filter(|v| v.severity == Severity::Error)
            .map(|v| v.to_string())
            .collect()
    }

    #[test]
    fn phones_become_international() {
        assert_eq!(
            international_phone("02 96 60 47 87").as_deref(),
            Some("+33296604787")
        );
        assert_eq!(
            international_phone("0590 12 34 56").as_deref(),
            Some("+590590123456")
        );
        assert_eq!(
            international_phone("+33 2 98 00 00 00").as_deref(),
            Some("+33298000000")
        );
        assert_eq!(international_phone("n.c."), None);
        assert_eq!(national_phone("+33298988989"), "02 98 98 89 89");
        assert_eq!(national_phone("+590590123456"), "05 90 12 34 56");
        assert_eq!(national_phone("+6871234567"), "+6871234567");
        assert_eq!(international_phone("02 96"), None);
    }

    #[test]
    fn france_services_convert_to_valid_places() {
        let bytes = bundled("france_services_2022-12.csv");
        let (places, warnings) = convert(SourceFormat::FranceServices, &bytes, "2022-12-01");
        assert_eq!(places.len(), 123);
        assert_eq!(errors(&places), Vec::<String>::new());
        assert!(warnings.is_empty(), "{warnings:?}");
        let st_brieuc = &places
            .iter()
            .find(|(_, p)| p.nom == "France services Saint-Brieuc")
            .unwrap()
            .1;
        assert_eq!(
            st_brieuc.horaires.as_deref(),
            Some("Mo,Tu,Th,Fr 08:00-12:00,13:00-16:00; We 08:00-12:00")
        );
        assert_eq!(st_brieuc.telephone.as_deref(), Some("+33296604787"));
        assert_eq!(st_brieuc.itinerance, vec!["Fixe"]);
        assert_eq!(st_brieuc.pivot, UNKNOWN_PIVOT, "the list has no SIRET");
        assert!(places.iter().filter(|(_, p)| p.horaires.is_some()).count() > 100);
    }

    #[test]
    fn conseillers_numeriques_map_to_the_nine_services() {
        let bytes = bundled("cnfs_permanences_2022-12.csv");
        let (places, warnings) = convert(SourceFormat::ConseillersNumeriques, &bytes, "2022-12-01");
        assert_eq!(places.len(), 311);
        assert_eq!(errors(&places), Vec::<String>::new());
        assert!(warnings.is_empty(), "{warnings:?}");
        let first = &places[0].1;
        assert_eq!(
            first.services,
            vec![
                "Maîtrise des outils numériques du quotidien",
                "Compréhension du monde numérique"
            ]
        );
        assert_eq!(first.frais_a_charge, vec!["Gratuit"]);
        assert_eq!(first.date_maj, "2022-04-26", "the source's own date");
    }

    #[test]
    fn aidants_connect_structures_keep_what_they_have() {
        let bytes = bundled("aidants_connect_structures_2024-02.csv");
        let (places, _) = convert(SourceFormat::AidantsConnect, &bytes, "2024-02-12");
        assert!(
            places.len() > 200 && places.len() <= 288,
            "{}",
            places.len()
        );
        assert_eq!(errors(&places), Vec::<String>::new());
        let loudeac = &places
            .iter()
            .find(|(_, p)| p.nom == "FRANCE SERVICES LOUDEAC")
            .unwrap()
            .1;
        assert_eq!(loudeac.pivot, "20006746000010");
        assert_eq!(loudeac.adresse, "15 RUE DE MONCONTOUR");
        assert_eq!(
            loudeac.latitude, None,
            "no coordinates in the source, none invented"
        );
        assert!(
            loudeac
                .dispositif_programmes_nationaux
                .contains(&"France Services".to_string())
        );
    }

    #[test]
    fn formats_are_recognised_from_the_header() {
        assert_eq!(
            SourceFormat::detect(&["id_fs", "lib_fs", "h_lundi"]),
            SourceFormat::FranceServices
        );
        assert_eq!(
            SourceFormat::detect(&["id", "structureId", "labels_nationaux"]),
            SourceFormat::ConseillersNumeriques
        );
        assert_eq!(
            SourceFormat::detect(&["name", "uuid", "nb_aidants"]),
            SourceFormat::AidantsConnect
        );
        assert_eq!(
            SourceFormat::detect(&["id", "pivot", "nom"]),
            SourceFormat::Standard
        );
    }
}
