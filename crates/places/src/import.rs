//! The import pipeline shared by the command line and the API: recognise
//! the file (standard CSV or JSON, or one of the source formats), validate
//! every row, and split valid places from rejected ones with their reasons.

use crate::datainclusion;
use crate::format::{Parsed, read_csv, read_json};
use crate::model::Place;
use crate::normalize::normalize;
use crate::sources::{SourceFormat, convert};
use crate::validate::{Severity, Violation, validate};

/// A file checked against the standard.
#[derive(Debug, Default)]
pub struct Checked {
    pub valid: Vec<Place>,
    /// The line (or item number) of each valid place, in the same order.
    pub lines: Vec<u64>,
    /// Rows refused, with their line and what is wrong.
    pub rejected: Vec<(u64, Place, Vec<Violation>)>,
    /// Problems of the file as a whole (a missing column…): nothing imports.
    pub file_errors: Vec<Violation>,
    pub warnings: Vec<Violation>,
    /// How many corrections of each `normalize` rule the warnings hold.
    pub corrections: std::collections::BTreeMap<&'static str, usize>,
    pub format: &'static str,
}

impl Checked {
    /// Every error, file-wide and per row, in line order.
    pub fn errors(&self) -> Vec<&Violation> {
        let mut all: Vec<&Violation> = self
            .file_errors
            .iter()
            .chain(self.rejected.iter().flat_map(|(_, _, v)| v))
            .collect();
        all.sort_by_key(|v| v.line);
        all
    }

    /// The rejected rows as a standard CSV with a last column `motifs`.
    pub fn rejected_csv(&self) -> Vec<u8> {
        let mut writer = passerelle_csv::Writer::in_memory();
        let mut header: Vec<String> = crate::model::FIELDS.iter().map(|f| f.to_string()).collect();
        header.push("motifs".into());
        writer.write_record(&header).expect("memory");
        for (line, place, reasons) in &self.rejected {
            let mut record: Vec<String> =
                crate::model::FIELDS.iter().map(|f| place.text(f)).collect();
            record.push(format!(
                "ligne {line} : {}",
                reasons
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(" ; ")
            ));
            writer.write_record(&record).expect("memory");
        }
        writer.into_bytes()
    }
}

/// Reads and checks a file; `default_date` fills `date_maj` for source
/// formats that carry none.
pub fn check(bytes: &[u8], default_date: &str) -> Checked {
    let trimmed = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = trimmed.iter().find(|b| !b.is_ascii_whitespace());
    let data_inclusion = matches!(first, Some(b'[') | Some(b'{'))
        .then(|| serde_json::from_slice::<serde_json::Value>(trimmed).ok())
        .flatten()
        .filter(datainclusion::detect);
    let (parsed, format) = if let Some(document) = data_inclusion {
        let (places, problems) = datainclusion::read(document);
        (
            Parsed { places, problems },
            "JSON (data·inclusion, schéma v1)",
        )
    } else if matches!(first, Some(b'[') | Some(b'{')) {
        (read_json(trimmed), "JSON (standard)")
    } else {
        let header_line = trimmed.split(|b| *b == b'\n').next().unwrap_or(&[]);
        let header_text = String::from_utf8_lossy(header_line);
        let header: Vec<&str> = header_text
            .trim()
            .split([',', ';'])
            .map(|h| h.trim().trim_matches('"'))
            .collect();
        match SourceFormat::detect(&header) {
            SourceFormat::Standard => (read_csv(trimmed), "CSV (standard)"),
            source => {
                let (places, problems) = convert(source, trimmed, default_date);
                let name = match source {
                    SourceFormat::FranceServices => "CSV (liste France services de l’ANCT)",
                    SourceFormat::ConseillersNumeriques => {
                        "CSV (permanences des conseillers numériques)"
                    }
                    _ => "CSV (structures Aidants Connect)",
                };
                (Parsed { places, problems }, name)
            }
        }
    };
    let mut parsed = parsed;
    let corrections = normalize(&mut parsed.places);
    let mut checked = Checked {
        format,
        corrections: crate::normalize::count(&corrections),
        ..Checked::default()
    };
    let mut per_line: std::collections::HashMap<u64, Vec<Violation>> =
        std::collections::HashMap::new();
    for v in parsed
        .problems
        .into_iter()
        .chain(corrections)
        .chain(validate(&parsed.places))
    {
        match v.severity {
            Severity::Warning => checked.warnings.push(v),
            Severity::Error
                if v.rule == "column"
                    || (v.rule == "format" && !parsed.places.iter().any(|(l, _)| *l == v.line)) =>
            {
                checked.file_errors.push(v)
            }
            Severity::Error => per_line.entry(v.line).or_default().push(v),
        }
    }
    for (line, place) in parsed.places {
        match per_line.remove(&line) {
            Some(reasons) => checked.rejected.push((line, place, reasons)),
            None => {
                checked.lines.push(line);
                checked.valid.push(place);
            }
        }
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,pivot,nom,commune,code_postal,adresse,date_maj,services";

    #[test]
    fn valid_and_invalid_rows_are_split_with_reasons() {
        let text = format!(
            "{HEADER}\na,123456789,Lieu A,Brest,29200,1 rue,2024-01-01,Aide aux démarches administratives\n\
             b,12,Lieu B,Brest,29200,2 rue,2024-13-01,Démarches\n"
        );
        let checked = check(text.as_bytes(), "2024-01-01");
        assert_eq!(checked.format, "CSV (standard)");
        assert_eq!(checked.valid.len(), 1);
        assert_eq!(checked.rejected.len(), 1);
        let rules: Vec<&str> = checked.errors().iter().map(|v| v.rule).collect();
        assert_eq!(rules, vec!["pattern", "date", "vocabulary"]);
        let rejected = String::from_utf8(checked.rejected_csv()).unwrap();
        assert!(rejected.starts_with(&format!("{},motifs\n", crate::model::FIELDS.join(","))));
        assert!(
            rejected.contains("ligne 3 : ligne 3, champ « pivot »"),
            "{rejected}"
        );
    }

    #[test]
    fn a_missing_required_column_is_a_file_error() {
        let checked = check(b"id,nom\na,Lieu\n", "2024-01-01");
        assert!(!checked.file_errors.is_empty());
        assert!(
            checked
                .file_errors
                .iter()
                .any(|v| v.message.contains("« pivot »"))
        );
    }

    #[test]
    fn json_and_source_formats_are_recognised() {
        assert_eq!(check(b" [] ", "2024-01-01").format, "JSON (standard)");
        let fs = "id_fs,lib_fs,h_lundi,lib_com,code_postal,adresse\n1,France services X,09:00-12:00,Brest,29200,1 rue\n";
        let checked = check(fs.as_bytes(), "2022-12-01");
        assert!(checked.format.contains("France services"));
        assert_eq!(checked.valid.len(), 1, "{:?}", checked.errors());
        assert_eq!(checked.valid[0].horaires.as_deref(), Some("Mo 09:00-12:00"));
    }
}
