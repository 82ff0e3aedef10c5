//! The conseillers numériques' first activity reports (CRA v1, 2021–2024),
//! as the Coop keeps them: its CSV dump of `cras_conseiller_numerique_v1`
//! (snake_case columns, `id`, `created_at`, `organismes` as JSON), the
//! same fields flattened in camelCase, or its JSON:API archive
//! (`GET /api/v1/archives-v1/cras`: `{"data": [{"type": "craV1", "id",
//! "attributes": {…}}], "links", "meta"}`, one page or several pages one
//! after the other, or an array of them). Names are matched without case,
//! accents or underscores.
//!
//! The semantics follow the Coop's own migration of these reports
//! (`apps/web/src/jobs/migrate-cras-v1/transformCraV1.ts`, commit
//! b6cec274, 2025-09-14): an individual report counts one person whatever
//! its `nb_participants`; ages and statuses that do not add up to the
//! people are cut or completed with "non communiqué"; the first
//! `nb_participants_recurrents` people had been accompanied before;
//! `organismes` becomes a redirection by the same rules. The v1 age
//! brackets are the seeds' own and are kept as such (the Coop deals them
//! out at random into its brackets; we do not).

use std::collections::HashMap;
use std::io::Read;

use super::{
    Columns, Conversion, Item, Note, Origin, Rows, content_key, deaccent, fold, named, parse_date,
    twin_key,
};
use crate::model::{Activity, Kind, Where};
use crate::validate::Violation;
use crate::vocab::{SEED_AGE_BRACKETS, theme_from_cra_v1};

const AGES: [(&str, &str); 5] = [
    ("ageMoins12Ans", SEED_AGE_BRACKETS[0]),
    ("ageDe12a18Ans", SEED_AGE_BRACKETS[1]),
    ("ageDe18a35Ans", SEED_AGE_BRACKETS[2]),
    ("ageDe35a60Ans", SEED_AGE_BRACKETS[3]),
    ("agePlus60Ans", SEED_AGE_BRACKETS[4]),
];

const STATUSES: [(&str, &str); 5] = [
    ("statutEtudiant", "scolarisé"),
    ("statutSansEmploi", "sans emploi"),
    ("statutEnEmploi", "en emploi"),
    ("statutRetraite", "retraité"),
    ("statutHeterogene", "non communiqué"),
];

/// Columns of the dump and attributes of the archive that are not read:
/// the free annotation, the conseiller and their structure, sub-themes and
/// the v1 form's follow-up counters, which our record does not keep; the
/// duration as a range when the minutes are there.
const NOT_READ: [&str; 26] = [
    "annotation",
    "imported_at",
    "conseiller_numerique_id",
    "v1_conseiller_numerique_id",
    "sous_themes_equipement_informatique",
    "sous_themes_sante",
    "sous_themes_accompagner",
    "sous_themes_traitement_texte",
    "accompagnement_individuel",
    "accompagnement_atelier",
    "accompagnement_redirection",
    "code_postal",
    "nom_commune",
    "updated_at",
    "structure_id",
    "structure_id_pg",
    "structure_type",
    "structure_statut",
    "structure_nom",
    "structure_siret",
    "structure_code_postal",
    "structure_nom_commune",
    "structure_code_commune",
    "structure_code_departement",
    "structure_code_region",
    "duree",
];

/// The attributes of a `craV1` resource read, in the order cells are made.
const JSON_FIELDS: [&str; 22] = [
    "id",
    "date_accompagnement",
    "canal",
    "activite",
    "nb_participants",
    "nb_participants_recurrents",
    "age_moins_12_ans",
    "age_de_12_a_18_ans",
    "age_de_18_a_35_ans",
    "age_de_35_a_60_ans",
    "age_plus_60_ans",
    "statut_etudiant",
    "statut_sans_emploi",
    "statut_en_emploi",
    "statut_retraite",
    "statut_heterogene",
    "themes",
    "duree",
    "duree_minutes",
    "code_commune",
    "organismes",
    "created_at",
];

struct Layout {
    date: usize,
    channel: usize,
    activity: usize,
    participants: usize,
    themes: usize,
    duration: usize,
    commune: usize,
    ages: Vec<(usize, &'static str, &'static str)>,
    statuses: Vec<(usize, &'static str, &'static str)>,
    id: Option<usize>,
    created: Option<usize>,
    organismes: Option<usize>,
    returning: Option<usize>,
}

impl Layout {
    fn of(header: &[String], line: u64) -> Result<Self, Violation> {
        let columns = Columns::new(header);
        let need = |names: &[&'static str]| {
            columns.find(names).ok_or(Violation {
                line,
                field: names[0],
                message: "colonne absente de l’en-tête d’un fichier CRA v1".into(),
            })
        };
        let mut ages = Vec::new();
        for (name, bracket) in AGES {
            ages.push((need(&[name])?, name, bracket));
        }
        let mut statuses = Vec::new();
        for (name, status) in STATUSES {
            statuses.push((need(&[name])?, name, status));
        }
        Ok(Self {
            date: need(&["dateAccompagnement"])?,
            channel: need(&["canal"])?,
            activity: need(&["activite"])?,
            participants: need(&["nbParticipants"])?,
            themes: need(&["themes"])?,
            duration: need(&["dureeMinutes", "duree"])?,
            commune: need(&["codeCommune"])?,
            ages,
            statuses,
            id: columns.find(&["id"]),
            created: columns.find(&["createdAt"]),
            organismes: columns.find(&["organismes"]),
            returning: columns.find(&["nbParticipantsRecurrents"]),
        })
    }

    fn reads(&self, i: usize) -> bool {
        [
            self.date,
            self.channel,
            self.activity,
            self.participants,
            self.themes,
            self.duration,
            self.commune,
        ]
        .contains(&i)
            || self
                .ages
                .iter()
                .chain(&self.statuses)
                .any(|(c, ..)| *c == i)
            || [self.id, self.created, self.organismes, self.returning].contains(&Some(i))
    }
}

const RECOGNISED_CSV: &str = "comptes rendus CRA v1 (CSV, une ligne par compte rendu ; migration de la Coop, transformCraV1.ts, commit b6cec274)";
const RECOGNISED_JSON: &str = "comptes rendus CRA v1, archive JSON:API de la Coop (GET /api/v1/archives-v1/cras ; migration de la Coop, transformCraV1.ts, commit b6cec274)";

pub(super) fn convert_rows(rows: Rows<'_>, origin: Origin) -> Result<Conversion<'_>, Violation> {
    let mut rows = rows.skip_while(|(_, row)| row.iter().all(String::is_empty));
    let (header_line, header) = rows.next().unwrap_or((1, Vec::new()));
    let layout = Layout::of(&header, header_line)?;
    let not_read = named(&header, &NOT_READ);
    let unknown = header
        .iter()
        .enumerate()
        .filter(|(i, h)| !h.is_empty() && !layout.reads(*i) && !not_read.contains(h))
        .map(|(_, h)| h.clone())
        .collect();
    let mut seen = HashMap::new();
    Ok(Conversion {
        recognised: RECOGNISED_CSV.into(),
        origin,
        not_read,
        unknown,
        items: Box::new(
            rows.filter(|(_, row)| row.iter().any(|c| !c.is_empty()))
                .map(move |(line, row)| convert_row(&layout, line, &row, &mut seen)),
        ),
    })
}

/// The archive's resources, streamed page by page.
pub(super) fn convert_json<'a, R: Read + Send + 'a>(input: R) -> Conversion<'a> {
    let header: Vec<String> = JSON_FIELDS.iter().map(|f| f.to_string()).collect();
    let layout = Layout::of(&header, 1).expect("the archive's fields are a layout");
    let mut count = 0u64;
    let mut seen = HashMap::new();
    let documents = serde_json::Deserializer::from_reader(input).into_iter::<serde_json::Value>();
    let items = documents.flat_map(move |doc| {
        let resources: Vec<Result<serde_json::Value, Violation>> = match doc {
            Err(e) => vec![Err(Violation {
                line: count + 1,
                field: "fichier",
                message: format!("JSON illisible : {e}"),
            })],
            Ok(doc) => resources(doc).into_iter().map(Ok).collect(),
        };
        resources
            .into_iter()
            .map(|r| {
                count += 1;
                let resource = r?;
                let cells = cells_of(&resource).ok_or_else(|| Violation {
                    line: count,
                    field: "attributes",
                    message: "ce n’est pas une ressource craV1 (type, id, attributes)".into(),
                })?;
                convert_row(&layout, count, &cells, &mut seen)
            })
            .collect::<Vec<_>>()
    });
    Conversion {
        recognised: RECOGNISED_JSON.into(),
        origin: Origin::Json,
        not_read: NOT_READ.iter().map(|n| n.to_string()).collect(),
        unknown: Vec::new(),
        items: Box::new(items),
    }
}

/// The resources of a JSON:API document, of an array of documents, or an
/// array of resources.
fn resources(doc: serde_json::Value) -> Vec<serde_json::Value> {
    match doc {
        serde_json::Value::Object(mut o) => match o.remove("data") {
            Some(serde_json::Value::Array(data)) => data,
            Some(other) => vec![other],
            None => vec![serde_json::Value::Object(o)],
        },
        serde_json::Value::Array(items) => items.into_iter().flat_map(resources).collect(),
        other => vec![other],
    }
}

/// A resource's fields as the cells of a line, in `JSON_FIELDS` order.
fn cells_of(resource: &serde_json::Value) -> Option<Vec<String>> {
    use serde_json::Value;
    let attributes = resource.get("attributes")?.as_object()?;
    let text = |v: Option<&Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("|"),
        Some(other) => other.to_string(),
    };
    Some(
        JSON_FIELDS
            .iter()
            .map(|f| {
                if *f == "id" {
                    text(resource.get("id"))
                } else {
                    text(attributes.get(*f))
                }
            })
            .collect(),
    )
}

/// v1 durations: minutes, or the form's choices `0-30`, `30-60`, `60`,
/// `90` (the open ranges at their middle, as the Coop migrated them).
fn minutes(text: &str) -> Option<u32> {
    match text.trim() {
        "0-30" => Some(15),
        "30-60" => Some(45),
        t => t
            .parse::<f64>()
            .ok()
            .filter(|m| *m >= 1.0)
            .map(|m| m.round() as u32),
    }
}

/// `{a,b}` (PostgreSQL array), `["a","b"]` (JSON), `a|b` or `a, b`.
fn theme_list(text: &str) -> Vec<String> {
    text.trim_matches(|c| matches!(c, '{' | '}' | '[' | ']'))
        .split([',', '|', ';'])
        .map(|t| t.trim().trim_matches('"').trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// `2022-03-20 16:08:37.769` (the dump, UTC) or `2022-03-20T16:08:37.769Z`
/// (the archive) → `2022-03-20T16:08`, in UTC.
fn created_minute(text: &str) -> Option<String> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.naive_utc().format("%Y-%m-%dT%H:%M").to_string());
    }
    let minute = text.get(..16)?.replacen(' ', "T", 1);
    chrono::NaiveDateTime::parse_from_str(&minute, "%Y-%m-%dT%H:%M")
        .ok()
        .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
}

/// The redirection the Coop derives from a v1 report's `organismes`
/// (`mapV1OrganismesToStructureDeRedirection`), as its key: rules in this
/// order, on the names lowered, without accents, spaces collapsed.
pub fn redirection_of_organismes(names: &[String]) -> Option<&'static str> {
    let keys: Vec<String> = names
        .iter()
        .map(|k| deaccent(k).split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|k| !k.is_empty())
        .collect();
    let contains = |parts: &[&str]| keys.iter().any(|k| parts.iter().any(|p| k.contains(p)));
    let word = |w: &str| {
        keys.iter().any(|k| {
            k.match_indices(w).any(|(i, _)| {
                let before = k[..i].chars().next_back();
                let after = k[i + w.len()..].chars().next();
                let boundary =
                    |c: Option<char>| c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
                boundary(before) && boundary(after)
            })
        })
    };
    let exactly = |names: &[&str]| keys.iter().any(|k| names.contains(&k.as_str()));
    if exactly(&["cnav", "carsat", "ants", "caf", "dgfip", "cefs"])
        || word("cpam")
        || word("ameli")
        || contains(&[
            "assurance maladie",
            "assurance retraite",
            "cnav",
            "carsat",
            "msa",
            "urssaf",
            "pension",
            "retraite reunion",
            "ofii",
        ])
    {
        Some("OperateurOuOrganismeEnCharge")
    } else if contains(&[
        "pole emploi",
        "france travail",
        "mission locale",
        "chambre de commerce",
    ]) || word("cci")
    {
        Some("InsertionProfessionnelle")
    } else if contains(&["france services", "maison de services au public", "mdsp"]) {
        Some("AideAuxDemarchesAdministratives")
    } else if word("ccas")
        || word("mjc")
        || contains(&["solidarit", "centre social", "maison des solidarit"])
    {
        Some("AideSociale")
    } else if contains(&[
        "tiers-lieu",
        "tiers lieu",
        "tierslieu",
        "fablab",
        "mediation num",
        "mediaton num",
        "emmaus connect",
        "emmausconnect",
        "transnumeric",
        "atelier informatique",
        "cours d'informatique",
    ]) {
        Some("MediationNumerique")
    } else if contains(&[
        "mairie",
        "prefecture",
        "departement",
        "conseil departemental",
    ]) {
        Some("Administration")
    } else {
        None
    }
}

const SEVERAL: &str = "comptes rendus individuels pour plusieurs personnes, comptés pour une personne comme la Coop les a migrés";
const ADJUSTED: &str = "âges ou statuts ne totalisant pas le nombre de personnes, coupés ou complétés « non communiqué » comme la Coop";

fn convert_row(
    l: &Layout,
    line: u64,
    row: &[String],
    seen: &mut HashMap<String, usize>,
) -> Result<Item, Violation> {
    let cell = |i: usize| {
        row.get(i)
            .map(|s| s.trim())
            .filter(|s| *s != "null")
            .unwrap_or("")
    };
    let fail = |field: &'static str, message: String| Violation {
        line,
        field,
        message,
    };
    if let Some(bad) = row.iter().find(|c| c.starts_with('\u{0}')) {
        return Err(fail(
            "dateAccompagnement",
            format!("ligne CSV mal formée : {}", &bad[1..]),
        ));
    }
    let date = parse_date(cell(l.date)).ok_or_else(|| {
        fail(
            "dateAccompagnement",
            format!("« {} » n’est pas une date", cell(l.date)),
        )
    })?;
    let number = |i: usize, field: &'static str| -> Result<u32, Violation> {
        match cell(i) {
            "" => Ok(0),
            n => n
                .parse::<f64>()
                .ok()
                .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v <= 1e6)
                .map(|v| v as u32)
                .ok_or_else(|| fail(field, format!("« {n} » n’est pas un nombre de personnes"))),
        }
    };
    let participants = number(l.participants, "nbParticipants")?;
    if participants == 0 {
        return Err(fail(
            "nbParticipants",
            "un compte rendu concerne au moins une personne".into(),
        ));
    }
    let kind = match fold(cell(l.activity)).as_str() {
        "individuel" | "ponctuel" => Kind::Individuel,
        "collectif" => Kind::Atelier,
        _ => {
            return Err(fail(
                "activite",
                format!(
                    "« {} » : attendu individuel, ponctuel ou collectif",
                    cell(l.activity)
                ),
            ));
        }
    };
    let commune = cell(l.commune).to_string();
    let place = match fold(cell(l.channel)).as_str() {
        "rattachement" | "autrelieu" | "autre" => Where::Autre(commune.clone()),
        "domicile" => Where::Domicile,
        "distance" => Where::Distance,
        _ => {
            return Err(fail(
                "canal",
                format!(
                    "« {} » : attendu rattachement, autre lieu, domicile ou distance",
                    cell(l.channel)
                ),
            ));
        }
    };
    let duration_minutes = minutes(cell(l.duration)).ok_or_else(|| {
        fail(
            "duree",
            format!("« {} » n’est pas une durée", cell(l.duration)),
        )
    })?;
    let mut themes: Vec<String> = Vec::new();
    for key in theme_list(cell(l.themes)) {
        match theme_from_cra_v1(&key) {
            Some(t) if !themes.iter().any(|x| x == t) => themes.push(t.to_string()),
            Some(_) => {}
            // "autre" is not one of the reporting themes; the seeds' table
            // leaves it out too.
            None if fold(&key) == "autre" => {}
            None => {
                return Err(fail(
                    "themes",
                    format!("« {key} » n’est pas un thème des CRA v1"),
                ));
            }
        }
    }
    // An individual report is one person, as the Coop migrated it.
    let people = if kind == Kind::Atelier {
        participants
    } else {
        1
    };
    let mut notes = Vec::new();
    if people < participants {
        notes.push(Note {
            what: SEVERAL,
            detail: format!("ligne {line} : {participants} personnes"),
        });
    }
    // The people one by one, in the v1 order of the brackets, cut or
    // completed to `people`.
    let mut deal = |columns: &[(usize, &'static str, &'static str)]| {
        let mut list: Vec<&str> = Vec::new();
        for (i, field, value) in columns {
            for _ in 0..number(*i, field)? {
                list.push(value);
            }
        }
        if list.is_empty() {
            return Ok(Vec::new());
        }
        if list.len() as u32 != participants {
            notes.push(Note {
                what: ADJUSTED,
                detail: format!(
                    "ligne {line} : {} pour {participants} personnes",
                    list.len()
                ),
            });
        }
        list.resize(people as usize, "non communiqué");
        let mut out: Vec<(String, u32)> = Vec::new();
        for v in list {
            match out.iter_mut().find(|(k, _)| k == v) {
                Some((_, n)) => *n += 1,
                None => out.push((v.to_string(), 1)),
            }
        }
        Ok::<_, Violation>(out)
    };
    let ages = deal(&l.ages)?;
    let statuses = deal(&l.statuses)?;
    let returning = match l.returning {
        Some(i) => number(i, "nbParticipantsRecurrents")?.min(people),
        None => 0,
    };
    let orientation = match l.organismes.map(cell).filter(|t| !t.is_empty()) {
        None => None,
        Some(text) => {
            let names: Vec<String> = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(o)) => o.keys().cloned().collect(),
                Ok(serde_json::Value::Null) => Vec::new(),
                _ => {
                    return Err(fail(
                        "organismes",
                        format!("« {text} » : attendu un objet JSON {{\"organisme\": nombre}}"),
                    ));
                }
            };
            redirection_of_organismes(&names)
                .and_then(|key| super::coop::orientation(key).flatten())
                .map(str::to_string)
        }
    };
    let key = match l.id.map(cell).filter(|id| !id.is_empty()) {
        Some(id) => format!("cra-v1:{id}"),
        None => {
            // The cells read only (never the annotation).
            let parts: Vec<&str> = (0..row.len()).filter(|i| l.reads(*i)).map(cell).collect();
            let n = seen.entry(content_key("", &parts, 0)).or_default();
            *n += 1;
            content_key("cra-v1-ligne", &parts, *n)
        }
    };
    let twin = match l.created.map(cell).filter(|t| !t.is_empty()) {
        None => None,
        Some(text) => {
            let minute = created_minute(text).ok_or_else(|| {
                fail(
                    "createdAt",
                    format!("« {text} » n’est pas une date et heure"),
                )
            })?;
            Some(twin_key(date, &minute, kind, people, duration_minutes))
        }
    };
    Ok(Item {
        line,
        activity: Activity {
            kind,
            date,
            duration_minutes,
            place: place.clone(),
            workshop_title: None,
            level: None,
            participants: people,
            ages,
            statuses,
            // At home or remotely, the report's commune is the person's.
            residence_commune: matches!(place, Where::Domicile | Where::Distance)
                .then_some(commune),
            follow_up_code: None,
            themes,
            organisation: None,
            kinds_of_help: Vec::new(),
            autonomy: None,
            equipment: None,
            orientation,
            returning,
        },
        key: Some(key),
        twin,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_theme_lists() {
        assert_eq!(minutes("0-30"), Some(15));
        assert_eq!(minutes("30-60"), Some(45));
        assert_eq!(minutes("90"), Some(90));
        assert_eq!(minutes("0"), None);
        assert_eq!(minutes("long"), None);
        assert_eq!(
            theme_list("{internet,\"demarche en ligne\"}"),
            vec!["internet".to_string(), "demarche en ligne".to_string()]
        );
        assert_eq!(theme_list("courriel|securite").len(), 2);
    }

    #[test]
    fn creation_times_in_utc_to_the_minute() {
        for t in [
            "2022-03-20 16:08:37.769",
            "2022-03-20T16:08:37.769Z",
            "2022-03-20T17:08:59+01:00",
        ] {
            assert_eq!(
                created_minute(t).as_deref(),
                Some("2022-03-20T16:08"),
                "{t}"
            );
        }
        assert_eq!(created_minute("hier"), None);
    }

    /// The Coop's rules, in their order (`transformCraV1.ts`).
    #[test]
    fn organismes_become_redirections_as_the_coop_maps_them() {
        let of = |names: &[&str]| {
            redirection_of_organismes(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(of(&["CAF"]), Some("OperateurOuOrganismeEnCharge"));
        assert_eq!(
            of(&["Caisse primaire CPAM"]),
            Some("OperateurOuOrganismeEnCharge")
        );
        assert_eq!(of(&["Pôle emploi"]), Some("InsertionProfessionnelle"));
        assert_eq!(of(&["Mission locale"]), Some("InsertionProfessionnelle"));
        assert_eq!(
            of(&["France Services"]),
            Some("AideAuxDemarchesAdministratives")
        );
        assert_eq!(of(&["CCAS de Brest"]), Some("AideSociale"));
        assert_eq!(of(&["Tiers-lieu"]), Some("MediationNumerique"));
        assert_eq!(of(&["Mairie"]), Some("Administration"));
        assert_eq!(of(&["Préfecture"]), Some("Administration"));
        assert_eq!(
            of(&["Direction Départementale des Territoires"]),
            Some("Administration")
        );
        assert_eq!(
            of(&["Mairie", "CAF"]),
            Some("OperateurOuOrganismeEnCharge"),
            "order"
        );
        assert_eq!(of(&["accident"]), None, "cci is a word");
        assert_eq!(of(&[]), None);
    }
}
