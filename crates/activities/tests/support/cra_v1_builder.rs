//! CRA v1 reports as the Coop keeps and serves them, rebuilt for tests:
//! the CSV dump of `cras_conseiller_numerique_v1` (the columns of
//! `apps/web/src/jobs/migrate-cras-v1/crasV1Examples.csv`, PostgreSQL
//! arrays `{a,b}`, `null`, `organismes` as JSON) and the JSON:API pages of
//! `GET /api/v1/archives-v1/cras` (`apps/web/src/app/api/v1/archives-v1/
//! cras/route.ts`: `data` of `craV1` resources, `links`, `meta`).
#![allow(dead_code)]

/// One v1 report; the fields the Coop's migration reads.
#[derive(Debug, Clone)]
pub struct CraV1 {
    pub id: &'static str,
    pub canal: &'static str,
    pub activite: &'static str,
    pub nb_participants: u32,
    pub nb_participants_recurrents: u32,
    /// moins de 12, 12-18, 18-35, 35-60, plus de 60.
    pub ages: [u32; 5],
    /// étudiant, sans emploi, en emploi, retraité, hétérogène.
    pub statuts: [u32; 5],
    pub themes: Vec<&'static str>,
    pub duree: &'static str,
    pub duree_minutes: u32,
    pub code_postal: &'static str,
    pub nom_commune: &'static str,
    pub code_commune: &'static str,
    /// `2023-03-16 11:43:48.281`, UTC.
    pub date_accompagnement: &'static str,
    pub created_at: &'static str,
    pub organismes: Option<&'static str>,
    pub annotation: Option<&'static str>,
}

const DUMP_HEADER: &str = "id,imported_at,canal,activite,nb_participants,nb_participants_recurrents,age_moins_12_ans,age_de_12_a_18_ans,age_de_18_a_35_ans,age_de_35_a_60_ans,age_plus_60_ans,statut_etudiant,statut_sans_emploi,statut_en_emploi,statut_retraite,statut_heterogene,themes,sous_themes_sante,duree,accompagnement_individuel,accompagnement_atelier,accompagnement_redirection,code_postal,nom_commune,date_accompagnement,code_commune,created_at,structure_id,structure_id_pg,structure_type,structure_statut,structure_nom,structure_siret,structure_code_postal,structure_nom_commune,structure_code_commune,structure_code_departement,structure_code_region,v1_conseiller_numerique_id,annotation,sous_themes_accompagner,sous_themes_equipement_informatique,sous_themes_traitement_texte,organismes,updated_at,duree_minutes";

fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The dump: 46 header columns, and lines with 24 more `null` cells than
/// the header, as `crasV1Examples.csv` has them.
pub fn to_dump_csv(reports: &[CraV1]) -> Vec<u8> {
    let mut out = String::from(DUMP_HEADER);
    out.push('\n');
    for r in reports {
        let n = |v: u32| v.to_string();
        let cells = [
            r.id.to_string(),
            "2024-11-19 13:40:27.325".into(),
            r.canal.into(),
            r.activite.into(),
            n(r.nb_participants),
            n(r.nb_participants_recurrents),
            n(r.ages[0]),
            n(r.ages[1]),
            n(r.ages[2]),
            n(r.ages[3]),
            n(r.ages[4]),
            n(r.statuts[0]),
            n(r.statuts[1]),
            n(r.statuts[2]),
            n(r.statuts[3]),
            n(r.statuts[4]),
            format!("{{{}}}", r.themes.join(",")),
            "{}".into(),
            r.duree.into(),
            "0".into(),
            "1".into(),
            "0".into(),
            r.code_postal.into(),
            r.nom_commune.into(),
            r.date_accompagnement.into(),
            r.code_commune.into(),
            r.created_at.into(),
            "6082626c4f47999865abffc5".into(),
            "3698".into(),
            "PRIVATE".into(),
            "VALIDATION_COSELEC".into(),
            "INTERGENERATIONNELLE DES AMBARROIS".into(),
            "44315772200010".into(),
            "01500".into(),
            "Ambérieu-en-Bugey".into(),
            "01004".into(),
            "01".into(),
            "84".into(),
            "604621bf871498b5cec23bed".into(),
            r.annotation.unwrap_or("null").into(),
            "{}".into(),
            "{}".into(),
            "{}".into(),
            r.organismes.unwrap_or("null").into(),
            "null".into(),
            n(r.duree_minutes),
        ];
        let mut line: Vec<String> = cells.iter().map(|c| quote(c)).collect();
        line.extend(std::iter::repeat_n("null".to_string(), 24));
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// `toISOString()` of a dump timestamp.
fn iso(ts: &str) -> String {
    format!("{}Z", ts.replacen(' ', "T", 1))
}

/// The archive's pages of `page_size` resources, as the route answers
/// them, one JSON document after the other (a client saving each page).
pub fn to_json_api_pages(reports: &[CraV1], page_size: usize) -> Vec<u8> {
    use serde_json::json;
    let total = reports.len();
    let mut out = String::new();
    for page in reports.chunks(page_size) {
        let data: Vec<serde_json::Value> = page
            .iter()
            .map(|r| {
                let organismes: serde_json::Value =
                    r.organismes.map_or(serde_json::Value::Null, |o| {
                        serde_json::from_str(o).unwrap()
                    });
                let attributes: serde_json::Map<String, serde_json::Value> = [
                    ("imported_at", json!("2024-11-19T13:40:27.325Z")),
                    ("conseiller_numerique_id", json!("604621bf871498b5cec23bed")),
                    ("canal", json!(r.canal)),
                    ("activite", json!(r.activite)),
                    ("nb_participants", json!(r.nb_participants)),
                    (
                        "nb_participants_recurrents",
                        json!(r.nb_participants_recurrents),
                    ),
                    ("age_moins_12_ans", json!(r.ages[0])),
                    ("age_de_12_a_18_ans", json!(r.ages[1])),
                    ("age_de_18_a_35_ans", json!(r.ages[2])),
                    ("age_de_35_a_60_ans", json!(r.ages[3])),
                    ("age_plus_60_ans", json!(r.ages[4])),
                    ("statut_etudiant", json!(r.statuts[0])),
                    ("statut_sans_emploi", json!(r.statuts[1])),
                    ("statut_en_emploi", json!(r.statuts[2])),
                    ("statut_retraite", json!(r.statuts[3])),
                    ("statut_heterogene", json!(r.statuts[4])),
                    ("themes", json!(r.themes)),
                    ("sous_themes_equipement_informatique", json!([])),
                    ("sous_themes_sante", json!([])),
                    ("sous_themes_accompagner", json!([])),
                    ("sous_themes_traitement_texte", json!([])),
                    ("duree", json!(r.duree)),
                    ("duree_minutes", json!(r.duree_minutes)),
                    ("accompagnement_individuel", json!(0)),
                    ("accompagnement_atelier", json!(1)),
                    ("accompagnement_redirection", json!(0)),
                    ("code_postal", json!(r.code_postal)),
                    ("nom_commune", json!(r.nom_commune)),
                    ("date_accompagnement", json!(iso(r.date_accompagnement))),
                    ("code_commune", json!(r.code_commune)),
                    ("organismes", organismes),
                    ("annotation", json!(r.annotation)),
                    ("created_at", json!(iso(r.created_at))),
                    ("updated_at", serde_json::Value::Null),
                    ("structure_id", json!("6082626c4f47999865abffc5")),
                    ("structure_id_pg", json!(3698)),
                    ("structure_type", json!("PRIVATE")),
                    ("structure_statut", json!("VALIDATION_COSELEC")),
                    ("structure_nom", json!("INTERGENERATIONNELLE DES AMBARROIS")),
                    ("structure_siret", json!("44315772200010")),
                    ("structure_code_postal", json!("01500")),
                    ("structure_nom_commune", json!("Ambérieu-en-Bugey")),
                    ("structure_code_commune", json!("01004")),
                    ("structure_code_departement", json!("01")),
                    ("structure_code_region", json!("84")),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                json!({"type": "craV1", "id": r.id, "attributes": attributes})
            })
            .collect();
        let doc = json!({
            "data": data,
            "links": {"self": {"href": "https://coop-numerique.anct.gouv.fr/api/v1/archives-v1/cras"}},
            "meta": {
                "total_count": total,
                "items_per_page": page_size,
                "total_pages": total.div_ceil(page_size),
                "has_next_page": true,
                "has_prev_page": false,
            },
        });
        out.push_str(&serde_json::to_string_pretty(&doc).unwrap());
        out.push('\n');
    }
    out.into_bytes()
}

/// Four reports of a conseiller: the v1 original of the Coop's migrated
/// workshop in `coop_builder::activities(Sep2025)` (same date, creation
/// minute, people and minutes), an individual report for two people, a
/// remote one redirected to the CAF, and a workshop outside Bretagne.
pub fn reports() -> Vec<CraV1> {
    let base = CraV1 {
        id: "",
        canal: "rattachement",
        activite: "individuel",
        nb_participants: 1,
        nb_participants_recurrents: 0,
        ages: [0; 5],
        statuts: [0; 5],
        themes: vec!["internet"],
        duree: "30-60",
        duree_minutes: 45,
        code_postal: "29000",
        nom_commune: "QUIMPER",
        code_commune: "29232",
        date_accompagnement: "2023-03-14 09:30:00.000",
        created_at: "2023-03-14 18:01:12.345",
        organismes: None,
        annotation: None,
    };
    vec![
        CraV1 {
            id: "62375185c79e610790dadc9e",
            canal: "autre lieu",
            activite: "collectif",
            nb_participants: 3,
            nb_participants_recurrents: 2,
            ages: [0, 0, 0, 1, 2],
            statuts: [0, 0, 1, 2, 0],
            themes: vec!["demarche en ligne"],
            duree: "120",
            duree_minutes: 120,
            date_accompagnement: "2023-03-16 11:43:48.281",
            created_at: "2023-03-20 16:08:37.769",
            ..base.clone()
        },
        CraV1 {
            id: "623751aec79e610790dadc9f",
            canal: "domicile",
            activite: "individuel",
            nb_participants: 2,
            nb_participants_recurrents: 1,
            ages: [0, 0, 0, 1, 1],
            statuts: [0, 0, 1, 1, 0],
            themes: vec!["courriel"],
            duree: "60",
            duree_minutes: 60,
            code_postal: "35000",
            nom_commune: "RENNES",
            code_commune: "35238",
            date_accompagnement: "2023-03-15 10:00:00.000",
            created_at: "2023-03-15 17:20:00.000",
            ..base.clone()
        },
        CraV1 {
            id: "623751aec79e610790dadca0",
            canal: "distance",
            activite: "ponctuel",
            themes: vec!["demarche en ligne", "autre"],
            duree: "0-30",
            duree_minutes: 15,
            ages: [0, 0, 1, 0, 0],
            statuts: [0, 1, 0, 0, 0],
            organismes: Some("{\"CAF\": 1}"),
            annotation: Some("Madame X, à rappeler"),
            ..base.clone()
        },
        CraV1 {
            id: "623751aec79e610790dadca1",
            canal: "autre lieu",
            activite: "collectif",
            nb_participants: 6,
            ages: [0, 0, 2, 2, 2],
            statuts: [0, 2, 2, 2, 0],
            themes: vec!["securite", "autre"],
            duree: "120",
            duree_minutes: 120,
            code_postal: "01500",
            nom_commune: "AMBERIEU-EN-BUGEY",
            code_commune: "01004",
            date_accompagnement: "2023-04-02 14:00:00.000",
            created_at: "2023-04-02 19:00:00.000",
            organismes: Some("{\"Mairie\": 2, \"Pôle emploi\": 1}"),
            ..base
        },
    ]
}
