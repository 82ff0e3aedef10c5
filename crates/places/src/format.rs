//! The standard's file formats. CSV: one column per field in the standard's
//! order, multi-valued fields `|`-separated, `,` or `;` separated files
//! accepted. JSON: an array of objects with the same keys, multi-valued
//! fields as arrays (a `|`-separated string is accepted too). GeoJSON (out
//! only): a FeatureCollection of points. CSV and JSON round-trip losslessly.

use serde_json::{Map, Value as Json, json};

use crate::model::{FIELDS, Place, Value, is_multi};
use crate::validate::{Severity, Violation};

/// Places read from a file, each with its line (CSV) or item number (JSON),
/// and what was wrong with the file itself.
#[derive(Debug, Default)]
pub struct Parsed {
    pub places: Vec<(u64, Place)>,
    pub problems: Vec<Violation>,
}

fn problem(
    line: u64,
    field: &'static str,
    rule: &'static str,
    severity: Severity,
    message: String,
) -> Violation {
    Violation {
        line,
        field,
        rule,
        message,
        severity,
    }
}

/// The standard's name for a header cell (`&'static` for violations).
fn known_field(name: &str) -> Option<&'static str> {
    FIELDS.iter().copied().find(|f| *f == name.trim())
}

pub fn read_csv(bytes: &[u8]) -> Parsed {
    let mut reader = passerelle_territory::import::csv_reader(bytes);
    let mut parsed = Parsed::default();
    let header: Vec<Option<&'static str>> = match reader.headers() {
        Ok(h) => h.iter().map(known_field).collect(),
        Err(e) => {
            parsed.problems.push(problem(
                1,
                "id",
                "format",
                Severity::Error,
                format!("cannot read the header: {e}"),
            ));
            return parsed;
        }
    };
    if let Ok(h) = reader.headers() {
        for (name, field) in h.iter().zip(&header) {
            if field.is_none() && !name.trim().is_empty() {
                parsed.problems.push(problem(
                    1,
                    "id",
                    "column",
                    Severity::Warning,
                    format!("column {name:?} is not in the standard; ignored"),
                ));
            }
        }
    }
    for required in [
        "id",
        "pivot",
        "nom",
        "commune",
        "code_postal",
        "adresse",
        "date_maj",
    ] {
        if !header.contains(&Some(required)) {
            parsed.problems.push(problem(
                1,
                known_field(required).unwrap_or("id"),
                "column",
                Severity::Error,
                format!("the required column `{required}` is missing"),
            ));
        }
    }
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                parsed.problems.push(problem(
                    line,
                    "id",
                    "format",
                    Severity::Error,
                    format!("malformed CSV: {e}"),
                ));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let mut place = Place::default();
        for (cell, field) in record.iter().zip(&header) {
            // Cells neutralised against spreadsheet formulas come back as
            // they were (`passerelle_csv::restore`).
            if let Some(field) = field
                && let Err(raw) = place.set(field, passerelle_csv::restore(cell))
            {
                parsed.problems.push(problem(
                    line,
                    field,
                    "number",
                    Severity::Error,
                    format!("{raw:?} is not a number"),
                ));
            }
        }
        parsed.places.push((line, place));
    }
    parsed
}

/// The places as the standard's CSV, through the shared writer: a cell a
/// spreadsheet would run as a formula starts with `'` (`read_csv` takes it
/// away again, so the round trip stays lossless).
pub fn write_csv(places: &[Place]) -> Vec<u8> {
    let mut writer = passerelle_csv::Writer::in_memory();
    writer.write_record(FIELDS).expect("writing to memory");
    for place in places {
        writer
            .write_record(FIELDS.iter().map(|f| place.text(f)))
            .expect("writing to memory");
    }
    writer.into_bytes()
}

pub fn read_json(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let items = match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Array(items)) => items,
        Ok(_) => {
            parsed.problems.push(problem(
                1,
                "id",
                "format",
                Severity::Error,
                "expected a JSON array of places".into(),
            ));
            return parsed;
        }
        Err(e) => {
            parsed.problems.push(problem(
                e.line() as u64,
                "id",
                "format",
                Severity::Error,
                format!("malformed JSON: {e}"),
            ));
            return parsed;
        }
    };
    for (index, item) in items.into_iter().enumerate() {
        let number = index as u64 + 1;
        let Json::Object(object) = item else {
            parsed.problems.push(problem(
                number,
                "id",
                "format",
                Severity::Error,
                "a place must be a JSON object".into(),
            ));
            continue;
        };
        let mut place = Place::default();
        for (key, value) in object {
            let Some(field) = known_field(&key) else {
                continue;
            };
            let text = match value {
                Json::Null => String::new(),
                Json::String(s) => s,
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                Json::Array(values) => values
                    .into_iter()
                    .map(|v| match v {
                        Json::String(s) => s,
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("|"),
                Json::Object(_) => {
                    parsed.problems.push(problem(
                        number,
                        field,
                        "format",
                        Severity::Error,
                        "an object is not a value of this field".into(),
                    ));
                    continue;
                }
            };
            if let Err(raw) = place.set(field, &text) {
                parsed.problems.push(problem(
                    number,
                    field,
                    "number",
                    Severity::Error,
                    format!("{raw:?} is not a number"),
                ));
            }
        }
        parsed.places.push((number, place));
    }
    parsed
}

fn json_of(place: &Place, skip_coordinates: bool) -> Map<String, Json> {
    let mut object = Map::new();
    for field in FIELDS {
        if skip_coordinates && matches!(field, "latitude" | "longitude") {
            continue;
        }
        let value = match place.get(field) {
            Value::Text(t) => t.map_or(Json::Null, |t| Json::String(t.to_string())),
            Value::Number(n) => n.map_or(Json::Null, |v| json!(v)),
            Value::List(l) => Json::Array(l.iter().cloned().map(Json::String).collect()),
        };
        debug_assert!(is_multi(field) == matches!(value, Json::Array(_)));
        object.insert(field.to_string(), value);
    }
    object
}

pub fn write_json(places: &[Place]) -> Vec<u8> {
    let items: Vec<Json> = places
        .iter()
        .map(|p| Json::Object(json_of(p, false)))
        .collect();
    serde_json::to_vec_pretty(&items).expect("serialising JSON")
}

/// A FeatureCollection; places without coordinates have a null geometry.
pub fn write_geojson(places: &[Place]) -> Vec<u8> {
    let features: Vec<Json> = places
        .iter()
        .map(|p| {
            let geometry = match (p.longitude, p.latitude) {
                (Some(lon), Some(lat)) => json!({ "type": "Point", "coordinates": [lon, lat] }),
                _ => Json::Null,
            };
            json!({ "type": "Feature", "id": p.id, "geometry": geometry, "properties": json_of(p, true) })
        })
        .collect();
    serde_json::to_vec(&json!({ "type": "FeatureCollection", "features": features }))
        .expect("serialising GeoJSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tricky_places() -> Vec<Place> {
        let mut full = Place::default();
        for field in FIELDS {
            let value = match field {
                "latitude" => "47.99816123456789",
                "longitude" => "-4.097210000000001",
                "presentation_detail" => "Ligne 1, \"citée\"\nLigne 2 ; point-virgule",
                f if is_multi(f) => "Premier|Deuxième, avec virgule",
                _ => "Texte accentué : éèàç œ « guillemets »",
            };
            full.set(field, value).unwrap();
        }
        let sparse = Place {
            id: "2".into(),
            pivot: "123456789".into(),
            nom: "Lieu sans coordonnées".into(),
            commune: "Brest".into(),
            code_postal: "29200".into(),
            adresse: "Rue".into(),
            date_maj: "2024-01-01".into(),
            ..Place::default()
        };
        // What a hostile source could send: formulas, and a value that
        // already starts with an apostrophe.
        let hostile = Place {
            id: "3".into(),
            pivot: "'=1+1".into(),
            nom: "=HYPERLINK(\"http://evil.example\",\"Cliquez\")".into(),
            commune: "@SUM(1+1)".into(),
            code_postal: "29200".into(),
            adresse: "+cmd|' /C calc'!A0".into(),
            date_maj: "2024-01-01".into(),
            longitude: Some(-4.5),
            ..Place::default()
        };
        vec![full, sparse, hostile]
    }

    #[test]
    fn csv_cells_never_run_as_formulas() {
        let text = String::from_utf8(write_csv(&tricky_places())).unwrap();
        let line = text.lines().last().unwrap();
        assert!(line.starts_with("3,''=1+1,\"'=HYPERLINK("), "{line}");
        assert!(
            line.contains(",'@SUM(1+1),") && line.contains(",'+cmd|"),
            "{line}"
        );
        assert!(
            line.contains(",-4.5,"),
            "a negative number stays a number: {line}"
        );
    }

    #[test]
    fn csv_round_trip_is_lossless_field_by_field() {
        let places = tricky_places();
        let parsed = read_csv(&write_csv(&places));
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.places.len(), places.len());
        for ((line, back), original) in parsed.places.iter().zip(&places) {
            for field in FIELDS {
                assert_eq!(
                    back.get(field),
                    original.get(field),
                    "line {line}, field {field}"
                );
            }
            assert_eq!(back, original);
        }
    }

    #[test]
    fn json_round_trip_is_lossless_field_by_field() {
        let places = tricky_places();
        let parsed = read_json(&write_json(&places));
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let back: Vec<Place> = parsed.places.into_iter().map(|(_, p)| p).collect();
        assert_eq!(back, places);
        // CSV → JSON → CSV gives the same bytes.
        let csv = write_csv(&places);
        let via_json: Vec<Place> = read_json(&write_json(
            &read_csv(&csv)
                .places
                .into_iter()
                .map(|(_, p)| p)
                .collect::<Vec<_>>(),
        ))
        .places
        .into_iter()
        .map(|(_, p)| p)
        .collect();
        assert_eq!(write_csv(&via_json), csv);
    }

    #[test]
    fn json_accepts_pipe_separated_strings_and_numbers_as_text() {
        let parsed = read_json(br#"[{"id": "a", "services": "Aide aux d\u00e9marches administratives|Loisirs et cr\u00e9ations num\u00e9riques", "latitude": "48.1", "longitude": -1.6, "inconnu": 1}]"#);
        let place = &parsed.places[0].1;
        assert_eq!(place.services.len(), 2);
        assert_eq!((place.latitude, place.longitude), (Some(48.1), Some(-1.6)));
        assert!(parsed.problems.is_empty());
        let bad = read_json(br#"[{"id": "a", "latitude": "nord"}, 3]"#);
        let rules: Vec<(u64, &str)> = bad.problems.iter().map(|p| (p.line, p.rule)).collect();
        assert_eq!(rules, vec![(1, "number"), (2, "format")]);
        assert_eq!(read_json(b"{").problems[0].rule, "format");
    }

    #[test]
    fn csv_reports_missing_and_unknown_columns_and_bad_numbers() {
        let parsed = read_csv("id;nom;latitude;couleur\nx;Lieu;quarante\n".as_bytes());
        let found: Vec<(u64, &str, &str, Severity)> = parsed
            .problems
            .iter()
            .map(|p| (p.line, p.field, p.rule, p.severity))
            .collect();
        assert!(
            found.contains(&(1, "id", "column", Severity::Warning)),
            "{found:?}"
        );
        assert!(found.contains(&(1, "pivot", "column", Severity::Error)));
        assert!(found.contains(&(2, "latitude", "number", Severity::Error)));
    }

    #[test]
    fn geojson_points_are_longitude_first() {
        let places = tricky_places();
        let doc: Json = serde_json::from_slice(&write_geojson(&places)).unwrap();
        assert_eq!(doc["type"], "FeatureCollection");
        assert_eq!(
            doc["features"][0]["geometry"]["coordinates"][0],
            json!(-4.097210000000001)
        );
        assert_eq!(
            doc["features"][0]["properties"]["services"][1],
            "Deuxième, avec virgule"
        );
        assert!(doc["features"][1]["geometry"].is_null());
        assert!(doc["features"][0]["properties"].get("latitude").is_none());
    }
}
