//! The data·inclusion schema v1 (`gip-inclusion/data-inclusion-schema`,
//! `src/data_inclusion/schema/v1/structures.py` and `services.py` at
//! df9ce7f, v1.0.8), so that places reach DORA, les Emplois and the other
//! consumers of data·inclusion, and their files come in.
//!
//! Out: each place is one structure and one "Médiation numérique" service
//! of that structure (the reference library's data·inclusion transfer does
//! the same for schema v0: `src/transfer/schema-data-inclusion/` of
//! `anct-cartographie-nationale/lieux-de-mediation-numerique` at 1e844c7).
//! In: each structure is one place, its services giving what the standard
//! describes (services from the `numerique--` thematiques, fees, publics,
//! reception and mobilisation modes); when services are given, structures
//! without a digital service are left out and counted. Every mapping is a
//! table below, documented in `docs/lieux-formats.md`; the ones that lose
//! information say so there.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::model::Place;
use crate::sources::{UNKNOWN_PIVOT, international_phone};
use crate::validate::{Severity, Violation};

/// A structure of schema v1, fields in the schema's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Structure {
    pub source: String,
    pub id: String,
    pub nom: String,
    pub date_maj: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lien_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub siret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_postal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_insee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adresse: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complement_adresse: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courriel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_web: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub horaires_accueil: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accessibilite_lieu: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reseaux_porteurs: Option<Vec<String>>,
}

/// A service of schema v1, fields in the schema's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Service {
    pub source: String,
    pub structure_id: String,
    pub id: String,
    pub nom: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lien_source: Option<String>,
    pub date_maj: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thematiques: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frais: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frais_precisions: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publics: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publics_precisions: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions_acces: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commune: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_postal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_insee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adresse: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complement_adresse: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courriel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modes_accueil: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_eligibilite: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_nom_prenom: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lien_mobilisation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modes_mobilisation: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobilisable_par: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobilisation_precisions: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_horaire_hebdomadaire: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nombre_semaines: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub horaires_accueil: Option<String>,
}

/// What `export` writes and `read` takes: both lists in one document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Export {
    pub structures: Vec<Structure>,
    pub services: Vec<Service>,
}

/// The standard's services and the v1 thematiques each becomes.
pub const THEMATIQUES: &[(&str, &[&str])] = &[
    (
        "Aide aux démarches administratives",
        &[
            "numerique--acceder-a-des-services-en-ligne",
            "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        ],
    ),
    (
        "Maîtrise des outils numériques du quotidien",
        &["numerique--maitriser-les-fondamentaux-du-numerique"],
    ),
    (
        "Insertion professionnelle via le numérique",
        &[
            "numerique--maitriser-les-fondamentaux-du-numerique",
            "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
        ],
    ),
    (
        "Utilisation sécurisée du numérique",
        &["numerique--maitriser-les-fondamentaux-du-numerique"],
    ),
    (
        "Parentalité et éducation avec le numérique",
        &[
            "numerique--maitriser-les-fondamentaux-du-numerique",
            "famille--soutien-a-la-parentalite-et-a-leducation",
        ],
    ),
    (
        "Loisirs et créations numériques",
        &["numerique--maitriser-les-fondamentaux-du-numerique"],
    ),
    (
        "Compréhension du monde numérique",
        &["numerique--maitriser-les-fondamentaux-du-numerique"],
    ),
    (
        "Accès internet et matériel informatique",
        &["numerique--acceder-a-une-connexion-internet"],
    ),
    (
        "Acquisition de matériel informatique à prix solidaire",
        &["numerique--acquerir-un-equipement"],
    ),
];

/// On import: the standard's service a v1 thematique stands for.
pub const THEMATIQUES_IN: &[(&str, &str)] = &[
    (
        "numerique--acceder-a-des-services-en-ligne",
        "Aide aux démarches administratives",
    ),
    (
        "numerique--maitriser-les-fondamentaux-du-numerique",
        "Maîtrise des outils numériques du quotidien",
    ),
    (
        "numerique--acceder-a-une-connexion-internet",
        "Accès internet et matériel informatique",
    ),
    (
        "numerique--acquerir-un-equipement",
        "Acquisition de matériel informatique à prix solidaire",
    ),
    (
        "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
        "Insertion professionnelle via le numérique",
    ),
    (
        "famille--soutien-a-la-parentalite-et-a-leducation",
        "Parentalité et éducation avec le numérique",
    ),
];

/// `dispositif_programmes_nationaux` ↔ `reseaux_porteurs`.
pub const PROGRAMMES: &[(&str, &str)] = &[
    ("Aidants Connect", "aidants-connect"),
    ("Conseillers numériques", "conseillers-numeriques"),
    ("France Services", "france-service"),
    ("Grande école du numérique", "grandes-ecoles-du-numerique"),
    ("La Croix Rouge", "croix-rouge"),
    ("Emmaüs Connect", "emmaus"),
    ("Point d'accès numérique CAF", "caf"),
];

/// `typologie` → `reseaux_porteurs` (the codes with a network of their own).
pub const TYPOLOGY_NETWORKS: &[(&str, &str)] = &[
    ("ACI", "aci"),
    ("ADIE", "adie"),
    ("AFPA", "afpa"),
    ("AI", "ai"),
    ("ASE", "ase"),
    ("AVIP", "creches-avip"),
    ("CAARUD", "caarud"),
    ("CADA", "cada"),
    ("CAF", "caf"),
    ("CAP_EMPLOI", "cap-emploi-reseau-cheops"),
    ("CAVA", "cava"),
    ("CC", "communes"),
    ("CCAS", "ccas-cias"),
    ("CCONS", "chambres-consulaires"),
    ("CD", "departements"),
    ("CHRS", "chrs"),
    ("CHU", "chu"),
    ("CIAS", "ccas-cias"),
    ("CIDFF", "cidff"),
    ("CMP", "cmp"),
    ("CMS", "cms"),
    ("CPAM", "cpam"),
    ("CPH", "cph"),
    ("CSAPA", "csapa"),
    ("DEPT", "departements"),
    ("E2C", "ecoles-de-la-deuxieme-chance"),
    ("EA", "ea"),
    ("EATT", "eatt"),
    ("EI", "ei"),
    ("EITI", "eiti"),
    ("EPIDE", "epide"),
    ("EPN", "espaces-publics-numeriques"),
    ("ESAT", "esat"),
    ("ETTI", "etti"),
    ("FABRIQUE", "fabrique-de-territoire"),
    ("FT", "france-travail"),
    ("GEIQ", "geiq"),
    ("HUDA", "huda"),
    ("LA_POSTE", "la-poste"),
    ("MDE", "maisons-de-l-emploi"),
    ("MDPH", "mdph"),
    ("MDS", "maisons-des-solidarites"),
    ("MJC", "mjc"),
    ("ML", "mission-locale"),
    ("MSA", "mutualite-sociale-agricole"),
    ("MSAP", "msap"),
    ("MUNI", "communes"),
    ("ODC", "delegataire-conseil-departemental"),
    ("PAD", "points-justice"),
    ("PE", "france-travail"),
    ("PIJ_BIJ", "reseau-information-jeunesse"),
    ("PIMMS", "pimms-mediation"),
    ("PJJ", "pjj"),
    ("PLIE", "plie"),
    ("REG", "regions"),
    ("RESSOURCERIE", "ressourceries"),
    ("RFS", "france-service"),
    ("RS_FJT", "residences-fjt"),
    ("SPIP", "spip"),
    ("UDAF", "unaf"),
];

/// `publics_specifiquement_adresses` ↔ `publics`.
pub const PUBLICS: &[(&str, &str)] = &[
    ("Jeunes", "jeunes"),
    ("Étudiants", "etudiants"),
    ("Familles et/ou enfants", "familles"),
    ("Seniors", "seniors"),
    ("Femmes", "femmes"),
];

/// `modalites_acces` ↔ `modes_mobilisation`, and who can use each.
pub const MOBILISATION: &[(&str, &str, &str)] = &[
    ("Se présenter", "se-presenter", "usagers"),
    ("Téléphoner", "telephoner", "usagers"),
    ("Contacter par mail", "envoyer-un-courriel", "usagers"),
    (
        "Envoyer un mail avec une fiche de prescription",
        "envoyer-un-courriel",
        "professionnels",
    ),
    (
        "Prendre un RDV en ligne",
        "utiliser-lien-mobilisation",
        "usagers",
    ),
];

/// The producer name given to places without a `source`.
pub const DEFAULT_SOURCE: &str = "passerelle";

/// The service every place offers in data·inclusion.
pub const SERVICE_NAME: &str = "Médiation numérique";

/// The COG code of the département of a commune code (2A/2B for Corsica,
/// three digits overseas).
pub fn departement_of(code_insee: &str) -> Option<String> {
    if code_insee.len() != 5 {
        return None;
    }
    let n = if code_insee.starts_with("97") { 3 } else { 2 };
    Some(code_insee[..n].to_string())
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

fn non_empty<T>(list: Vec<T>) -> Option<Vec<T>> {
    (!list.is_empty()).then_some(list)
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// One place as a structure and its service.
pub fn to_data_inclusion(place: &Place) -> (Structure, Service) {
    let source = place
        .source
        .clone()
        .unwrap_or_else(|| DEFAULT_SOURCE.to_string());
    let id = format!("{source}--{}", place.id);
    let description = place
        .presentation_detail
        .clone()
        .or_else(|| place.presentation_resume.clone())
        .filter(|d| d.chars().count() >= 5);
    let siret = (place.pivot.len() == 14
        && place.pivot != UNKNOWN_PIVOT
        && place.pivot.bytes().all(|b| b.is_ascii_digit()))
    .then(|| place.pivot.clone());
    let mut networks = Vec::new();
    for programme in &place.dispositif_programmes_nationaux {
        if let Some((_, n)) = PROGRAMMES.iter().find(|(p, _)| p == programme) {
            push_unique(&mut networks, n);
        }
    }
    if place
        .dispositif_programmes_nationaux
        .iter()
        .any(|p| p == "Relais numérique (Emmaüs Connect)")
    {
        push_unique(&mut networks, "emmaus");
    }
    if place
        .formations_labels
        .iter()
        .any(|l| l == "Fabriques de Territoire")
    {
        push_unique(&mut networks, "fabrique-de-territoire");
    }
    for code in &place.typologie {
        if let Some((_, n)) = TYPOLOGY_NETWORKS.iter().find(|(c, _)| c == code) {
            push_unique(&mut networks, n);
        }
    }
    let structure = Structure {
        source: source.clone(),
        id: id.clone(),
        nom: truncate(&place.nom, 150),
        date_maj: place.date_maj.clone(),
        description: description.clone(),
        lien_source: None,
        siret,
        commune: Some(place.commune.clone()),
        code_postal: Some(place.code_postal.clone()),
        code_insee: place.code_insee.clone(),
        adresse: Some(place.adresse.clone()),
        complement_adresse: place.complement_adresse.clone(),
        longitude: place.longitude,
        latitude: place.latitude,
        telephone: place.telephone.clone(),
        courriel: place.courriels.first().cloned(),
        site_web: place.site_web.first().cloned(),
        horaires_accueil: place.horaires.clone(),
        accessibilite_lieu: place.fiche_acces_libre.clone(),
        reseaux_porteurs: non_empty(networks),
    };
    let mut thematiques = Vec::new();
    for service in &place.services {
        if let Some((_, themes)) = THEMATIQUES.iter().find(|(s, _)| s == service) {
            for t in *themes {
                push_unique(&mut thematiques, t);
            }
        }
    }
    let accompaniment = &place.modalites_accompagnement;
    let has = |v: &str| accompaniment.iter().any(|m| m == v);
    let kind = if has("Accompagnement individuel") {
        Some("accompagnement")
    } else if has("Dans un atelier collectif") {
        Some("atelier")
    } else {
        None
    };
    let mut modes_accueil = Vec::new();
    if has("À distance") {
        modes_accueil.push("a-distance".to_string());
    }
    if accompaniment.iter().any(|m| m != "À distance") {
        modes_accueil.push("en-presentiel".to_string());
    }
    let fees = &place.frais_a_charge;
    let (frais, frais_precisions) = if fees.is_empty() {
        (None, None)
    } else if fees.iter().all(|f| f == "Gratuit") {
        (Some("gratuit".to_string()), None)
    } else {
        // "Gratuit sous condition" has no v1 value: not promised free.
        (Some("payant".to_string()), Some(fees.join(", ")))
    };
    let mut publics = Vec::new();
    for p in &place.publics_specifiquement_adresses {
        if let Some((_, v)) = PUBLICS.iter().find(|(s, _)| s == p) {
            push_unique(&mut publics, v);
        }
    }
    if publics.is_empty() {
        publics.push("tous-publics".to_string());
    }
    let publics_precisions = (!place.prise_en_charge_specifique.is_empty()).then(|| {
        format!(
            "Prise en charge spécifique : {}",
            place.prise_en_charge_specifique.join(", ")
        )
    });
    let mut modes_mobilisation = Vec::new();
    let mut mobilisable_par = Vec::new();
    for access in &place.modalites_acces {
        if let Some((_, mode, who)) = MOBILISATION.iter().find(|(a, _, _)| a == access) {
            if *mode == "utiliser-lien-mobilisation" && place.prise_rdv.is_none() {
                continue;
            }
            push_unique(&mut modes_mobilisation, mode);
            push_unique(&mut mobilisable_par, who);
        }
    }
    let mobilisation_precisions = place
        .modalites_acces
        .iter()
        .any(|a| a == "Ce lieu n'accueille pas de public")
        .then(|| "Ce lieu n'accueille pas de public.".to_string());
    let generated = if place.services.is_empty() {
        "Accompagnement aux usages du numérique.".to_string()
    } else {
        format!("{} : {}.", SERVICE_NAME, place.services.join(", "))
    };
    let service = Service {
        source,
        structure_id: id.clone(),
        id: format!("{id}--mediation-numerique"),
        nom: SERVICE_NAME.to_string(),
        description: description.unwrap_or(generated),
        lien_source: None,
        date_maj: place.date_maj.clone(),
        kind: kind.map(str::to_string),
        thematiques: non_empty(thematiques),
        frais,
        frais_precisions,
        publics: Some(publics),
        publics_precisions,
        conditions_acces: None,
        commune: Some(place.commune.clone()),
        code_postal: Some(place.code_postal.clone()),
        code_insee: place.code_insee.clone(),
        adresse: Some(place.adresse.clone()),
        complement_adresse: place.complement_adresse.clone(),
        longitude: place.longitude,
        latitude: place.latitude,
        telephone: place.telephone.clone(),
        courriel: place.courriels.first().cloned(),
        modes_accueil: non_empty(modes_accueil),
        zone_eligibilite: place
            .code_insee
            .as_deref()
            .and_then(departement_of)
            .map(|d| vec![d]),
        contact_nom_prenom: None,
        lien_mobilisation: place.prise_rdv.clone(),
        modes_mobilisation: non_empty(modes_mobilisation),
        mobilisable_par: non_empty(mobilisable_par),
        mobilisation_precisions,
        volume_horaire_hebdomadaire: None,
        nombre_semaines: None,
        horaires_accueil: None,
    };
    (structure, service)
}

/// Every place as data·inclusion structures and services.
pub fn export(places: &[Place]) -> Export {
    let (structures, services) = places.iter().map(to_data_inclusion).unzip();
    Export {
        structures,
        services,
    }
}

/// Whether a JSON document is data·inclusion's: an object with
/// `structures` (this module's export) or `items` (a page of
/// data·inclusion's API), or an array whose objects carry a field only
/// data·inclusion has.
pub fn detect(document: &Json) -> bool {
    const ONLY_HERE: &[&str] = &[
        "siret",
        "reseaux_porteurs",
        "horaires_accueil",
        "accessibilite_lieu",
        "description",
        "lien_source",
        "courriel",
        "structure_id",
    ];
    match document {
        Json::Object(o) => o.contains_key("structures") || o.contains_key("items"),
        Json::Array(items) => items.iter().any(|i| {
            i.as_object().is_some_and(|o| {
                !o.contains_key("pivot") && ONLY_HERE.iter().any(|k| o.contains_key(*k))
            })
        }),
        _ => false,
    }
}

fn problem(line: u64, field: &'static str, severity: Severity, message: String) -> Violation {
    Violation {
        line,
        field,
        rule: "data_inclusion",
        message,
        severity,
    }
}

/// The structures and services of a data·inclusion document.
fn lists(document: Json) -> Result<(Vec<Json>, Vec<Json>), String> {
    match document {
        Json::Object(mut o) => {
            let take = |o: &mut serde_json::Map<String, Json>, k: &str| match o.remove(k) {
                Some(Json::Array(a)) => Ok(a),
                None | Some(Json::Null) => Ok(Vec::new()),
                Some(_) => Err(format!("« {k} » doit être un tableau")),
            };
            if o.contains_key("structures") {
                Ok((take(&mut o, "structures")?, take(&mut o, "services")?))
            } else {
                Ok((take(&mut o, "items")?, Vec::new()))
            }
        }
        Json::Array(items) => {
            let (services, structures) = items
                .into_iter()
                .partition(|i| i.get("structure_id").is_some());
            Ok((structures, services))
        }
        _ => Err("un objet ou un tableau JSON data·inclusion est attendu".into()),
    }
}

/// Places from a data·inclusion document; each structure's line is its
/// number in the list of structures.
pub fn read(document: Json) -> (Vec<(u64, Place)>, Vec<Violation>) {
    let mut places = Vec::new();
    let mut problems = Vec::new();
    let (structures, services) = match lists(document) {
        Ok(l) => l,
        Err(message) => {
            problems.push(problem(1, "id", Severity::Error, message));
            return (places, problems);
        }
    };
    let mut parsed_services = Vec::new();
    for (i, s) in services.into_iter().enumerate() {
        match serde_json::from_value::<Service>(s) {
            Ok(s) => parsed_services.push(s),
            Err(e) => problems.push(problem(
                i as u64 + 1,
                "id",
                Severity::Error,
                format!("service n° {} illisible : {e}", i + 1),
            )),
        }
    }
    let with_services = !parsed_services.is_empty();
    let mut without_digital = 0;
    for (i, s) in structures.into_iter().enumerate() {
        let line = i as u64 + 1;
        let structure = match serde_json::from_value::<Structure>(s) {
            Ok(s) => s,
            Err(e) => {
                problems.push(problem(
                    line,
                    "id",
                    Severity::Error,
                    format!("structure illisible : {e}"),
                ));
                continue;
            }
        };
        let own: Vec<&Service> = parsed_services
            .iter()
            .filter(|s| {
                s.structure_id == structure.id
                    && (s.source.is_empty()
                        || structure.source.is_empty()
                        || s.source == structure.source)
            })
            .collect();
        // A digital service: a `numerique--` thematique, or the service
        // this module writes for every place (even one without services).
        let digital = own.iter().any(|s| {
            s.nom == SERVICE_NAME
                || s.thematiques
                    .iter()
                    .flatten()
                    .any(|t| t.starts_with("numerique"))
        });
        if with_services && !digital {
            without_digital += 1;
            continue;
        }
        places.push((
            line,
            from_data_inclusion(&structure, &own, line, &mut problems),
        ));
    }
    if without_digital > 0 {
        problems.push(problem(
            1,
            "services",
            Severity::Warning,
            format!("{without_digital} structures sans service numérique (thématique « numerique-- ») laissées de côté"),
        ));
    }
    (places, problems)
}

fn from_data_inclusion(
    structure: &Structure,
    services: &[&Service],
    line: u64,
    problems: &mut Vec<Violation>,
) -> Place {
    let first = |f: fn(&Service) -> Option<String>| services.iter().find_map(|s| f(s));
    let mut place = Place {
        id: structure.id.clone(),
        pivot: structure
            .siret
            .clone()
            .unwrap_or_else(|| UNKNOWN_PIVOT.to_string()),
        nom: structure.nom.clone(),
        commune: structure
            .commune
            .clone()
            .or_else(|| first(|s| s.commune.clone()))
            .unwrap_or_default(),
        code_postal: structure
            .code_postal
            .clone()
            .or_else(|| first(|s| s.code_postal.clone()))
            .unwrap_or_default(),
        code_insee: structure
            .code_insee
            .clone()
            .or_else(|| first(|s| s.code_insee.clone())),
        adresse: structure
            .adresse
            .clone()
            .or_else(|| first(|s| s.adresse.clone()))
            .unwrap_or_default(),
        complement_adresse: structure.complement_adresse.clone(),
        latitude: structure
            .latitude
            .or_else(|| services.iter().find_map(|s| s.latitude)),
        longitude: structure
            .longitude
            .or_else(|| services.iter().find_map(|s| s.longitude)),
        courriels: structure.courriel.iter().cloned().collect(),
        site_web: structure.site_web.iter().cloned().collect(),
        horaires: structure
            .horaires_accueil
            .clone()
            .or_else(|| first(|s| s.horaires_accueil.clone())),
        source: (!structure.source.is_empty()).then(|| structure.source.clone()),
        date_maj: structure.date_maj.clone(),
        fiche_acces_libre: structure.accessibilite_lieu.clone(),
        ..Place::default()
    };
    if let Some(description) = &structure.description {
        if description.chars().count() <= 280 {
            place.presentation_resume = Some(description.clone());
        } else {
            place.presentation_detail = Some(description.clone());
        }
    }
    if let Some(phone) = &structure.telephone {
        match international_phone(phone) {
            Some(p) => place.telephone = Some(p),
            None => problems.push(problem(
                line,
                "telephone",
                Severity::Warning,
                format!("« {phone} » n’est pas un numéro français reconnu ; laissé vide"),
            )),
        }
    }
    for network in structure.reseaux_porteurs.iter().flatten() {
        if let Some((p, _)) = PROGRAMMES.iter().find(|(_, n)| n == network) {
            push_unique(&mut place.dispositif_programmes_nationaux, p);
        }
        if let Some((c, _)) = TYPOLOGY_NETWORKS.iter().find(|(_, n)| n == network) {
            push_unique(&mut place.typologie, c);
        }
    }
    for service in services {
        let themes: Vec<&String> = service.thematiques.iter().flatten().collect();
        for theme in &themes {
            if let Some((_, s)) = THEMATIQUES_IN.iter().find(|(t, _)| t == theme) {
                push_unique(&mut place.services, s);
            }
        }
        match service.frais.as_deref() {
            Some("gratuit") => push_unique(&mut place.frais_a_charge, "Gratuit"),
            Some("payant") => {
                // Our export lists the standard's values in frais_precisions.
                let listed: Vec<&str> = service
                    .frais_precisions
                    .iter()
                    .flat_map(|p| p.split(", "))
                    .filter(|p| crate::vocab::FEES.contains(p))
                    .collect();
                if listed.is_empty() {
                    push_unique(&mut place.frais_a_charge, "Payant");
                }
                for fee in listed {
                    push_unique(&mut place.frais_a_charge, fee);
                }
            }
            _ => {}
        }
        for public in service.publics.iter().flatten() {
            if let Some((p, _)) = PUBLICS.iter().find(|(_, v)| v == public) {
                push_unique(&mut place.publics_specifiquement_adresses, p);
            }
        }
        for mode in service.modes_accueil.iter().flatten() {
            if mode == "a-distance" {
                push_unique(&mut place.modalites_accompagnement, "À distance");
            }
        }
        match service.kind.as_deref() {
            Some("accompagnement") => push_unique(
                &mut place.modalites_accompagnement,
                "Accompagnement individuel",
            ),
            Some("atelier") => push_unique(
                &mut place.modalites_accompagnement,
                "Dans un atelier collectif",
            ),
            _ => {}
        }
        for mode in service.modes_mobilisation.iter().flatten() {
            let professional = service
                .mobilisable_par
                .as_ref()
                .is_some_and(|who| who.iter().all(|w| w == "professionnels"));
            let access = match mode.as_str() {
                "envoyer-un-courriel" if professional => {
                    "Envoyer un mail avec une fiche de prescription"
                }
                "utiliser-lien-mobilisation" => "Prendre un RDV en ligne",
                other => match MOBILISATION.iter().find(|(_, m, _)| *m == other) {
                    Some((a, _, _)) => a,
                    None => continue,
                },
            };
            push_unique(&mut place.modalites_acces, access);
        }
        if place.prise_rdv.is_none() {
            place.prise_rdv = service.lien_mobilisation.clone();
        }
        if place.telephone.is_none() {
            place.telephone = service.telephone.as_deref().and_then(international_phone);
        }
        if place.courriels.is_empty() {
            place.courriels.extend(service.courriel.iter().cloned());
        }
    }
    place
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departements_of_commune_codes() {
        assert_eq!(departement_of("29232").as_deref(), Some("29"));
        assert_eq!(departement_of("2A004").as_deref(), Some("2A"));
        assert_eq!(departement_of("97411").as_deref(), Some("974"));
        assert_eq!(departement_of("292"), None);
    }
}
