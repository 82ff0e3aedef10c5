//! The places formats on the published examples and on files rebuilt from
//! the writers' code (`tests/fixtures/places/PROVENANCE.md`).

use passerelle_places::datainclusion;
use passerelle_places::format::write_json;
use passerelle_places::import::{Checked, check};
use serde_json::Value as Json;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/places/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn checked(name: &str) -> Checked {
    check(&fixture(name), "2026-01-01")
}

#[test]
fn the_standards_published_example_imports_as_is() {
    let c = checked("standard-exemple-valide.csv");
    assert_eq!(c.format, "CSV (standard)");
    assert_eq!(
        (c.valid.len(), c.rejected.len()),
        (1, 0),
        "{:?}",
        c.errors()
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let place = &c.valid[0];
    assert_eq!(place.typologie, vec!["TIERS_LIEUX", "ASSO"]);
    assert_eq!(place.formations_labels.len(), 2);
    assert_eq!(place.modalites_accompagnement.len(), 4);
}

#[test]
fn the_reference_librarys_output_imports_and_is_written_back_identically() {
    let bytes = fixture("bibliotheque-reference.json");
    let c = check(&bytes, "2026-01-01");
    assert_eq!(c.format, "JSON (standard)");
    assert_eq!(
        (c.valid.len(), c.rejected.len()),
        (2, 0),
        "{:?}",
        c.errors()
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // Written back: the same objects as the library's (key order aside).
    let ours: Json = serde_json::from_slice(&write_json(&c.valid)).unwrap();
    let theirs: Json = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(ours, theirs);
    // Keys in the standard's order, empty ones left out.
    let first = ours[0].as_object().unwrap();
    let keys: Vec<&str> = first.keys().map(String::as_str).collect();
    let order: Vec<&str> = passerelle_places::FIELDS
        .iter()
        .copied()
        .filter(|f| first.contains_key(*f))
        .collect();
    let text = String::from_utf8(write_json(&c.valid)).unwrap();
    let positions: Vec<usize> = order
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    assert_eq!(
        ours[1].as_object().unwrap().len(),
        7,
        "minimal: required only"
    );
}

#[test]
fn real_world_deviations_are_corrected_and_counted() {
    let c = checked("national-ecarts.json");
    assert_eq!(
        (c.valid.len(), c.rejected.len()),
        (3, 0),
        "{:?}",
        c.errors()
    );
    let count = |rule: &str| c.corrections.get(rule).copied().unwrap_or(0);
    assert_eq!(count("date_iso"), 2);
    assert_eq!(count("typologie_casse"), 2, "Autre and autre");
    assert_eq!(count("apostrophe"), 2);
    assert_eq!(count("modalites_v0_1"), 3);
    assert_eq!(count("liste_point_virgule"), 3);
    assert_eq!(count("formations_graphie"), 1);
    let e1 = &c.valid[0];
    assert_eq!(e1.date_maj, "2024-10-08");
    assert_eq!(e1.typologie, vec!["AUTRE", "RELAIS_LECTURE"]);
    assert_eq!(
        e1.modalites_acces,
        vec!["Ce lieu n'accueille pas de public"]
    );
    assert_eq!(
        e1.modalites_accompagnement,
        vec!["En autonomie", "Accompagnement individuel"]
    );
    assert_eq!(e1.formations_labels, vec!["Étapes numériques(La Poste)"]);
    // The typologies the library added are known: no warning for them.
    assert!(
        !c.warnings.iter().any(|w| w.rule == "typology"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn a_crlf_semicolon_file_names_its_physical_lines() {
    let c = checked("national-ecarts-crlf.csv");
    assert_eq!(c.format, "CSV (standard)");
    assert_eq!((c.valid.len(), c.rejected.len()), (3, 1));
    assert_eq!(c.lines, vec![2, 3, 4]);
    let errors = c.errors();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .starts_with("ligne 5, champ « code_postal » : erreur (pattern)"),
        "{}",
        errors[0]
    );
    assert_eq!(c.corrections.get("date_iso"), Some(&2));
}

#[test]
fn data_inclusion_files_come_in_and_go_out() {
    let c = checked("data-inclusion-v1.json");
    assert_eq!(c.format, "JSON (data·inclusion, schéma v1)");
    assert_eq!(
        (c.valid.len(), c.rejected.len()),
        (1, 0),
        "{:?}",
        c.errors()
    );
    assert!(
        c.warnings
            .iter()
            .any(|w| w.message.starts_with("1 structures sans service numérique")),
        "{:?}",
        c.warnings
    );
    let p = &c.valid[0];
    assert_eq!(p.id, "dora--AidantsConnect:2024-47BXY");
    assert_eq!(p.pivot, "13003013300016");
    assert_eq!(p.source.as_deref(), Some("dora"));
    assert_eq!(p.horaires.as_deref(), Some("Mo-Fr 08:30-12:30; PH off"));
    assert_eq!(
        p.services,
        vec![
            "Acquisition de matériel informatique à prix solidaire",
            "Aide aux démarches administratives"
        ]
    );
    assert_eq!(
        p.dispositif_programmes_nationaux,
        vec!["Conseillers numériques"]
    );
    assert_eq!(p.typologie, vec!["ML"]);
    assert_eq!(p.frais_a_charge, vec!["Payant"]);
    assert_eq!(p.publics_specifiquement_adresses, vec!["Femmes", "Jeunes"]);
    assert_eq!(
        p.modalites_accompagnement,
        vec!["À distance", "Accompagnement individuel"]
    );
    assert_eq!(
        p.modalites_acces,
        vec!["Contacter par mail", "Prendre un RDV en ligne"]
    );
    assert_eq!(
        p.prise_rdv.as_deref(),
        Some("https://www.actionlogement.fr/demande-cfi")
    );

    // Out: one structure and one service per place, in schema v1.
    let national = checked("bibliotheque-reference.json");
    let export = datainclusion::export(&national.valid);
    assert_eq!((export.structures.len(), export.services.len()), (2, 2));
    let doc: Json = serde_json::to_value(&export).unwrap();
    let s = &doc["structures"][0];
    assert_eq!(s["id"], "Hubik--structure-1");
    assert_eq!(s["siret"], "43493312300029");
    assert_eq!(
        s["horaires_accueil"],
        "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    );
    assert_eq!(
        s["reseaux_porteurs"],
        serde_json::json!([
            "france-service",
            "aidants-connect",
            "conseillers-numeriques"
        ])
    );
    let v = &doc["services"][0];
    assert_eq!(v["structure_id"], "Hubik--structure-1");
    assert_eq!(v["zone_eligibilite"], serde_json::json!(["51"]));
    assert_eq!(v["frais"], "payant");
    assert_eq!(v["type"], "accompagnement");
    assert_eq!(
        v["modes_accueil"],
        serde_json::json!(["a-distance", "en-presentiel"])
    );
    assert_eq!(
        v["mobilisable_par"],
        serde_json::json!(["usagers", "professionnels"])
    );
    assert!(v["publics"].as_array().unwrap().len() == 5);
    assert!(
        doc["structures"][1].get("description").is_none(),
        "empty keys left out"
    );
    // Required fields of schema v1 are all there.
    for s in doc["structures"].as_array().unwrap() {
        for k in ["source", "id", "nom", "date_maj"] {
            assert!(s[k].as_str().is_some_and(|v| !v.is_empty()), "{k}");
        }
    }
    for v in doc["services"].as_array().unwrap() {
        for k in [
            "source",
            "structure_id",
            "id",
            "nom",
            "description",
            "date_maj",
        ] {
            assert!(v[k].as_str().is_some_and(|v| !v.is_empty()), "{k}");
        }
    }
    // And back in: the export is a data·inclusion file.
    let back = check(&serde_json::to_vec(&export).unwrap(), "2026-01-01");
    assert_eq!(back.format, "JSON (data·inclusion, schéma v1)");
    assert_eq!(
        (back.valid.len(), back.rejected.len()),
        (2, 0),
        "{:?}",
        back.errors()
    );
    assert_eq!(back.valid[0].nom, "Anonymal");
    assert_eq!(
        back.valid[0].frais_a_charge,
        vec!["Payant", "Gratuit sous condition"]
    );
}
