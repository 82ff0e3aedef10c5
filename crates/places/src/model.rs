//! A help place: one field per column of the standard, in its order.

use serde::{Deserialize, Serialize};

/// The columns of the standard, in order. Multi-valued ones are `|`-separated
/// in CSV and arrays in JSON.
pub const FIELDS: [&str; 32] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
];

/// The columns the standard requires (and the reference library always
/// writes, even empty).
pub const REQUIRED: [&str; 7] = [
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "adresse",
    "date_maj",
];

/// Whether a column holds several values.
pub fn is_multi(field: &str) -> bool {
    matches!(
        field,
        "typologie"
            | "courriels"
            | "site_web"
            | "itinerance"
            | "services"
            | "publics_specifiquement_adresses"
            | "prise_en_charge_specifique"
            | "frais_a_charge"
            | "dispositif_programmes_nationaux"
            | "formations_labels"
            | "autres_formations_labels"
            | "modalites_acces"
            | "modalites_accompagnement"
    )
}

/// A place as the standard describes it. Empty text is `None`, empty lists
/// are empty: nothing is invented where a source is silent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Place {
    pub id: String,
    pub pivot: String,
    pub nom: String,
    pub commune: String,
    pub code_postal: String,
    pub code_insee: Option<String>,
    pub adresse: String,
    pub complement_adresse: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub typologie: Vec<String>,
    pub telephone: Option<String>,
    pub courriels: Vec<String>,
    pub site_web: Vec<String>,
    pub horaires: Option<String>,
    pub presentation_resume: Option<String>,
    pub presentation_detail: Option<String>,
    pub source: Option<String>,
    pub itinerance: Vec<String>,
    pub structure_parente: Option<String>,
    pub date_maj: String,
    pub services: Vec<String>,
    pub publics_specifiquement_adresses: Vec<String>,
    pub prise_en_charge_specifique: Vec<String>,
    pub frais_a_charge: Vec<String>,
    pub dispositif_programmes_nationaux: Vec<String>,
    pub formations_labels: Vec<String>,
    pub autres_formations_labels: Vec<String>,
    pub modalites_acces: Vec<String>,
    pub modalites_accompagnement: Vec<String>,
    pub fiche_acces_libre: Option<String>,
    pub prise_rdv: Option<String>,
}

/// One column's value, as text (CSV) or as a list (multi-valued columns).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Text(Option<&'a str>),
    Number(Option<f64>),
    List(&'a [String]),
}

fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref()
}

impl Place {
    /// The value of column `field` (one of `FIELDS`).
    pub fn get(&self, field: &str) -> Value<'_> {
        match field {
            "id" => Value::Text(Some(&self.id)),
            "pivot" => Value::Text(Some(&self.pivot)),
            "nom" => Value::Text(Some(&self.nom)),
            "commune" => Value::Text(Some(&self.commune)),
            "code_postal" => Value::Text(Some(&self.code_postal)),
            "code_insee" => Value::Text(text(&self.code_insee)),
            "adresse" => Value::Text(Some(&self.adresse)),
            "complement_adresse" => Value::Text(text(&self.complement_adresse)),
            "latitude" => Value::Number(self.latitude),
            "longitude" => Value::Number(self.longitude),
            "typologie" => Value::List(&self.typologie),
            "telephone" => Value::Text(text(&self.telephone)),
            "courriels" => Value::List(&self.courriels),
            "site_web" => Value::List(&self.site_web),
            "horaires" => Value::Text(text(&self.horaires)),
            "presentation_resume" => Value::Text(text(&self.presentation_resume)),
            "presentation_detail" => Value::Text(text(&self.presentation_detail)),
            "source" => Value::Text(text(&self.source)),
            "itinerance" => Value::List(&self.itinerance),
            "structure_parente" => Value::Text(text(&self.structure_parente)),
            "date_maj" => Value::Text(Some(&self.date_maj)),
            "services" => Value::List(&self.services),
            "publics_specifiquement_adresses" => Value::List(&self.publics_specifiquement_adresses),
            "prise_en_charge_specifique" => Value::List(&self.prise_en_charge_specifique),
            "frais_a_charge" => Value::List(&self.frais_a_charge),
            "dispositif_programmes_nationaux" => Value::List(&self.dispositif_programmes_nationaux),
            "formations_labels" => Value::List(&self.formations_labels),
            "autres_formations_labels" => Value::List(&self.autres_formations_labels),
            "modalites_acces" => Value::List(&self.modalites_acces),
            "modalites_accompagnement" => Value::List(&self.modalites_accompagnement),
            "fiche_acces_libre" => Value::Text(text(&self.fiche_acces_libre)),
            "prise_rdv" => Value::Text(text(&self.prise_rdv)),
            other => panic!("{other} is not a column of the standard"),
        }
    }

    /// Sets column `field` from its CSV text (multi-valued: `|`-separated).
    /// Numbers that do not parse are returned as `Err` with the text.
    pub fn set(&mut self, field: &str, raw: &str) -> Result<(), String> {
        let raw = raw.trim();
        let opt = || (!raw.is_empty()).then(|| raw.to_string());
        let list = || {
            raw.split('|')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let number = || -> Result<Option<f64>, String> {
            if raw.is_empty() {
                Ok(None)
            } else {
                raw.replace(',', ".")
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| raw.to_string())
            }
        };
        match field {
            "id" => self.id = raw.into(),
            "pivot" => self.pivot = raw.into(),
            "nom" => self.nom = raw.into(),
            "commune" => self.commune = raw.into(),
            "code_postal" => self.code_postal = raw.into(),
            "code_insee" => self.code_insee = opt(),
            "adresse" => self.adresse = raw.into(),
            "complement_adresse" => self.complement_adresse = opt(),
            "latitude" => self.latitude = number()?,
            "longitude" => self.longitude = number()?,
            "typologie" => self.typologie = list(),
            "telephone" => self.telephone = opt(),
            "courriels" => self.courriels = list(),
            "site_web" => self.site_web = list(),
            "horaires" => self.horaires = opt(),
            "presentation_resume" => self.presentation_resume = opt(),
            "presentation_detail" => self.presentation_detail = opt(),
            "source" => self.source = opt(),
            "itinerance" => self.itinerance = list(),
            "structure_parente" => self.structure_parente = opt(),
            "date_maj" => self.date_maj = raw.into(),
            "services" => self.services = list(),
            "publics_specifiquement_adresses" => self.publics_specifiquement_adresses = list(),
            "prise_en_charge_specifique" => self.prise_en_charge_specifique = list(),
            "frais_a_charge" => self.frais_a_charge = list(),
            "dispositif_programmes_nationaux" => self.dispositif_programmes_nationaux = list(),
            "formations_labels" => self.formations_labels = list(),
            "autres_formations_labels" => self.autres_formations_labels = list(),
            "modalites_acces" => self.modalites_acces = list(),
            "modalites_accompagnement" => self.modalites_accompagnement = list(),
            "fiche_acces_libre" => self.fiche_acces_libre = opt(),
            "prise_rdv" => self.prise_rdv = opt(),
            other => return Err(format!("{other} is not a column of the standard")),
        }
        Ok(())
    }

    /// The CSV text of column `field`.
    pub fn text(&self, field: &str) -> String {
        match self.get(field) {
            Value::Text(t) => t.unwrap_or("").to_string(),
            Value::Number(n) => n.map(|v| v.to_string()).unwrap_or_default(),
            Value::List(l) => l.join("|"),
        }
    }

    /// The columns whose value differs in `other`, in the standard's order,
    /// `date_maj` left out (an edit always moves it).
    pub fn changed_fields(&self, other: &Place) -> Vec<&'static str> {
        FIELDS
            .iter()
            .copied()
            .filter(|f| *f != "date_maj" && self.text(f) != other.text(f))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_reads_back_what_was_set() {
        let mut place = Place::default();
        for field in FIELDS {
            let value = match field {
                "latitude" => "48.1",
                "longitude" => "-1.68",
                f if is_multi(f) => "un|deux",
                _ => "valeur",
            };
            place.set(field, value).unwrap();
            assert_eq!(place.text(field), value, "{field}");
        }
        assert_eq!(place.services, vec!["un", "deux"]);
        assert!(place.set("latitude", "nord").is_err());
        assert!(place.set("inconnu", "x").is_err());
        place.set("latitude", "48,5").unwrap();
        assert_eq!(place.latitude, Some(48.5), "decimal comma accepted");
    }

    #[test]
    fn changed_fields_name_the_columns_that_differ() {
        let before = Place {
            nom: "A".into(),
            date_maj: "2024-01-01".into(),
            ..Place::default()
        };
        let mut after = before.clone();
        after.date_maj = "2026-11-24".into();
        assert!(before.changed_fields(&after).is_empty(), "the date alone");
        after.nom = "B".into();
        after.services = vec!["x".into()];
        assert_eq!(before.changed_fields(&after), ["nom", "services"]);
    }
}
