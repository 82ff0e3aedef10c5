//! The standard's file formats. CSV: one column per field in the standard's
//! order, multi-valued fields `|`-separated, `,` or `;` separated files
//! accepted. JSON: the national shape written by the reference library
//! (`anct-cartographie-nationale/lieux-de-mediation-numerique`,
//! `toSchemaLieuMediationNumerique` at 1e844c7, see `docs/lieux-formats.md`):
//! an array of objects, multi-valued fields joined by `|`, empty fields left
//! out, keys in the standard's order; arrays are read too. GeoJSON (out
//! only): a FeatureCollection of points whose properties have the same
//! shape. CSV and JSON round-trip losslessly.
//!
//! Line numbers are physical lines of the file (the header is line 1),
//! whatever its line endings.

use serde_json::{Value as Json, json};

use crate::model::{FIELDS, Place, Value};
use crate::validate::{Severity, Violation};
use crate::vocab;

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

/// The physical line (1-based) of a record starting at byte `offset` of
/// `bytes`. The csv crate counts a record's line before the `\n` of a
/// `\r\n` ending is read, so on CRLF files its lines are one too low; its
/// byte offsets may point at the previous record's terminator, which is
/// skipped here.
pub fn physical_line(bytes: &[u8], offset: u64) -> u64 {
    let mut offset = (offset as usize).min(bytes.len());
    if bytes.get(offset) == Some(&b'\r') {
        offset += 1;
    }
    if bytes.get(offset) == Some(&b'\n') {
        offset += 1;
    }
    bytes[..offset].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// The physical line of a CSV record (see `physical_line`).
pub fn record_line(bytes: &[u8], position: Option<&csv::Position>) -> u64 {
    position.map_or(0, |p| physical_line(bytes, p.byte()))
}

pub fn read_csv(bytes: &[u8]) -> Parsed {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
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
                format!("en-tête illisible : {e}"),
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
                    format!("la colonne « {name} » n’est pas dans le standard ; ignorée"),
                ));
            }
        }
    }
    for required in crate::model::REQUIRED {
        if !header.contains(&Some(required)) {
            parsed.problems.push(problem(
                1,
                known_field(required).unwrap_or("id"),
                "column",
                Severity::Error,
                format!("la colonne obligatoire « {required} » manque"),
            ));
        }
    }
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = record_line(bytes, e.position());
                parsed.problems.push(problem(
                    line,
                    "id",
                    "format",
                    Severity::Error,
                    format!("CSV mal formé : {e}"),
                ));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = record_line(bytes, record.position());
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
                    format!("« {raw} » n’est pas un nombre"),
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
                "un tableau JSON de lieux est attendu".into(),
            ));
            return parsed;
        }
        Err(e) => {
            parsed.problems.push(problem(
                e.line() as u64,
                "id",
                "format",
                Severity::Error,
                format!("JSON mal formé : {e}"),
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
                "un lieu doit être un objet JSON".into(),
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
                        "un objet n’est pas une valeur de ce champ".into(),
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
                    format!("« {raw} » n’est pas un nombre"),
                ));
            }
        }
        parsed.places.push((number, place));
    }
    parsed
}

/// A value as the reference library spells it: typology `AUTRE` is `Autre`
/// there, one formation label has a space the schema lacks.
fn library_spelling<'a>(field: &str, value: &'a str) -> &'a str {
    match field {
        "typologie" if value == "AUTRE" => "Autre",
        "formations_labels" => vocab::LIBRARY_FORMATION_SPELLINGS
            .iter()
            .find(|(schema, _)| *schema == value)
            .map_or(value, |(_, library)| library),
        _ => value,
    }
}

/// A place in the national JSON shape (what `toSchemaLieuMediationNumerique`
/// returns): keys in the standard's order, multi-valued fields joined by
/// `|`, coordinates as numbers, empty optional fields left out.
#[derive(Debug, Clone, Copy)]
pub struct National<'a> {
    pub place: &'a Place,
    /// GeoJSON properties: the point is the geometry.
    pub skip_coordinates: bool,
}

impl<'a> National<'a> {
    pub fn new(place: &'a Place) -> Self {
        National {
            place,
            skip_coordinates: false,
        }
    }
}

impl serde::Serialize for National<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for field in FIELDS {
            if self.skip_coordinates && matches!(field, "latitude" | "longitude") {
                continue;
            }
            match self.place.get(field) {
                Value::Text(t) => {
                    let t = t.unwrap_or("");
                    if !t.is_empty() || crate::model::REQUIRED.contains(&field) {
                        map.serialize_entry(field, t)?;
                    }
                }
                Value::Number(Some(n)) => map.serialize_entry(field, &n)?,
                Value::Number(None) => {}
                Value::List(l) if !l.is_empty() => {
                    let joined = l
                        .iter()
                        .map(|v| library_spelling(field, v))
                        .collect::<Vec<_>>()
                        .join("|");
                    map.serialize_entry(field, &joined)?;
                }
                Value::List(_) => {}
            }
        }
        map.end()
    }
}

/// An array of places in the national shape, one object per line.
pub fn write_json(places: &[Place]) -> Vec<u8> {
    let mut out = b"[".to_vec();
    for (i, place) in places.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut out, &National::new(place)).expect("serialising JSON");
    }
    out.extend_from_slice(b"\n]\n");
    out
}

#[derive(serde::Serialize)]
struct Feature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: Json,
    properties: National<'a>,
}

#[derive(serde::Serialize)]
struct FeatureCollection<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<Feature<'a>>,
}

/// A FeatureCollection; places without coordinates have a null geometry.
pub fn write_geojson(places: &[Place]) -> Vec<u8> {
    let features = places
        .iter()
        .map(|p| Feature {
            kind: "Feature",
            id: &p.id,
            geometry: match (p.longitude, p.latitude) {
                (Some(lon), Some(lat)) => json!({ "type": "Point", "coordinates": [lon, lat] }),
                _ => Json::Null,
            },
            properties: National {
                place: p,
                skip_coordinates: true,
            },
        })
        .collect();
    serde_json::to_vec(&FeatureCollection {
        kind: "FeatureCollection",
        features,
    })
    .expect("serialising GeoJSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::is_multi;

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
    fn lines_are_physical_lines_whatever_the_line_endings() {
        // Rows 2 and 4 (after a quoted cell spanning two lines) are wrong.
        let rows = [
            "id,pivot,nom,commune,code_postal,adresse,date_maj,latitude",
            "a,123456789,Lieu A,Brest,29200,1 rue,2024-01-01,nord",
            "b,123456789,\"Lieu\nB\",Brest,29200,1 rue,2024-01-01,48.1",
            "c,123456789,Lieu C,Brest,29200,1 rue,2024-01-01,sud",
        ];
        for ending in ["\n", "\r\n"] {
            // The line break inside the quoted cell stays a bare \n.
            let text = rows.join(ending);
            let parsed = read_csv(text.as_bytes());
            let lines: Vec<u64> = parsed.problems.iter().map(|p| p.line).collect();
            assert_eq!(lines, vec![2, 5], "{ending:?}: {:?}", parsed.problems);
            let items: Vec<u64> = parsed.places.iter().map(|(l, _)| *l).collect();
            assert_eq!(items, vec![2, 3, 5], "{ending:?}");
        }
    }

    #[test]
    fn json_is_the_national_shape() {
        let place = Place {
            id: "lieu-1".into(),
            pivot: "21290019600010".into(),
            nom: "Médiathèque".into(),
            commune: "Quimper".into(),
            code_postal: "29000".into(),
            adresse: "1 esplanade".into(),
            latitude: Some(47.9975),
            longitude: Some(-4.1035),
            typologie: vec!["BIB".into(), "AUTRE".into()],
            services: vec![
                "Aide aux démarches administratives".into(),
                "Loisirs et créations numériques".into(),
            ],
            formations_labels: vec!["Étapes numériques(La Poste)".into()],
            date_maj: "2024-05-02".into(),
            ..Place::default()
        };
        let text = String::from_utf8(write_json(std::slice::from_ref(&place))).unwrap();
        assert_eq!(
            text,
            "[\n{\"id\":\"lieu-1\",\"pivot\":\"21290019600010\",\"nom\":\"Médiathèque\",\
             \"commune\":\"Quimper\",\"code_postal\":\"29000\",\"adresse\":\"1 esplanade\",\
             \"latitude\":47.9975,\"longitude\":-4.1035,\"typologie\":\"BIB|Autre\",\
             \"date_maj\":\"2024-05-02\",\"services\":\"Aide aux démarches administratives|Loisirs et créations numériques\",\
             \"formations_labels\":\"Étapes numériques (La Poste)\"}\n]\n"
        );
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
            doc["features"][0]["properties"]["services"],
            "Premier|Deuxième, avec virgule"
        );
        assert!(doc["features"][1]["geometry"].is_null());
        assert!(doc["features"][0]["properties"].get("latitude").is_none());
    }
}
