//! Activity exports of other tools, converted to records: the national
//! Coop de la médiation numérique's "Activités" export (XLSX, or saved as
//! CSV) and the conseillers numériques' first activity reports (CRA v1).
//! The mappings of their vocabularies onto ours are tables in `coop` and
//! `cra_v1`, documented in `docs/activites-imports.md`.
//!
//! What the sources say about people beyond our record (names, gender,
//! notes) is deliberately not read: records stay anonymous.

pub mod coop;
pub mod cra_v1;

use std::io::Read;

use crate::model::Activity;
use crate::validate::Violation;

/// The kinds of file `activities import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Passerelle's own CSV (`csvfile`).
    Passerelle,
    /// The Coop's "Activités" export.
    Coop,
    /// CRA v1 records, one per line.
    CraV1,
}

impl Format {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "passerelle" => Self::Passerelle,
            "coop" => Self::Coop,
            "cra-v1" => Self::CraV1,
            _ => return None,
        })
    }

    /// Recognises a file from its first bytes: an XLSX (a ZIP) is the
    /// Coop's export; otherwise the CSV header tells.
    pub fn detect(head: &[u8]) -> Self {
        if head.starts_with(b"PK\x03\x04") {
            return Self::Coop;
        }
        let text = String::from_utf8_lossy(head);
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let folded = fold(first);
        if folded.contains("dateaccompagnement") {
            Self::CraV1
        } else if coop::looks_like_header(&text) {
            Self::Coop
        } else {
            Self::Passerelle
        }
    }
}

/// Converted records with their line, or the problem of a line.
pub type Records<'a> = Box<dyn Iterator<Item = Result<(u64, Activity), Violation>> + Send + 'a>;

/// Finds the commune (INSEE code) a postcode and a name designate, from
/// the territorial reference.
pub type Resolver<'a> = &'a (dyn Fn(&str, &str) -> Option<String> + Sync);

/// Lower case, accents and punctuation removed: how headers and labels of
/// other tools are compared (their apostrophes and spaces vary by version).
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'â' | 'ä' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' => out.push('i'),
            'ô' | 'ö' => out.push('o'),
            'ù' | 'û' | 'ü' => out.push('u'),
            'ç' => out.push('c'),
            'œ' => out.push_str("oe"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

/// The rows of a spreadsheet as text: from an XLSX file (first sheet) or a
/// CSV file (`,` or `;`). Line numbers are the sheet's or file's, from 1.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, Violation> {
    if bytes.starts_with(b"PK\x03\x04") {
        return xlsx_rows(bytes);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Violation {
        line: 1,
        field: "fichier",
        message: format!("not UTF-8 text: {e}"),
    })?;
    Ok(csv_rows(text.trim_start_matches('\u{feff}').as_bytes())?.collect())
}

/// CSV rows streamed from a reader; the delimiter is guessed from the
/// first line.
pub fn csv_rows<R: Read>(
    mut input: R,
) -> Result<impl Iterator<Item = (u64, Vec<String>)>, Violation> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // Read the first line to choose the delimiter, then chain it back.
    while input.read(&mut byte).map_err(|e| Violation {
        line: 1,
        field: "fichier",
        message: format!("cannot read: {e}"),
    })? == 1
    {
        head.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    let semicolons = head.iter().filter(|b| **b == b';').count();
    let commas = head.iter().filter(|b| **b == b',').count();
    let delimiter = if semicolons > commas { b';' } else { b',' };
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(std::io::Cursor::new(head).chain(input));
    Ok(reader.into_records().enumerate().map(|(i, r)| {
        let row = match r {
            Ok(r) => r.iter().map(|c| c.trim().to_string()).collect(),
            // A malformed line becomes one cell the converters reject.
            Err(e) => vec![format!("\u{0}{e}")],
        };
        (i as u64 + 1, row)
    }))
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, Violation> {
    use calamine::{Data, Reader, Xlsx};
    let fail = |message: String| Violation {
        line: 1,
        field: "fichier",
        message,
    };
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| fail(format!("not a readable XLSX file: {e}")))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| fail("the workbook has no sheet".into()))?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| fail(format!("cannot read the sheet {name:?}: {e}")))?;
    let first_row = range.start().map_or(0, |(r, _)| r);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let cells = row
                .iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.trim().to_string(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::Bool(b) => if *b { "Oui" } else { "Non" }.to_string(),
                    Data::DateTime(d) => d
                        .as_datetime()
                        .map_or_else(|| d.to_string(), |t| t.date().to_string()),
                    Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
                    Data::DurationIso(s) => s.clone(),
                    Data::Error(e) => format!("#{e:?}"),
                })
                .collect();
            (u64::from(first_row) + i as u64 + 1, cells)
        })
        .collect())
}

/// A date as other tools write it: ISO (`2024-03-05`, possibly followed by
/// a time) or French (`05/03/2024`).
pub(crate) fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    if let Some(iso) = text.get(..10)
        && let Ok(d) = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
    {
        return Some(d);
    }
    chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%d/%m/%Y").ok()
}

/// Column positions found by folded header names.
pub(crate) struct Columns {
    header: Vec<String>,
}

impl Columns {
    pub fn new(header: &[String]) -> Self {
        Self {
            header: header.iter().map(|h| fold(h)).collect(),
        }
    }

    pub fn find(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| *h == fold(n)))
    }
}

/// Every record of a file in one of the foreign formats, converted, with
/// its line; the first problem of a line stops that line only.
pub fn convert_rows<'a>(
    format: Format,
    rows: impl Iterator<Item = (u64, Vec<String>)> + Send + 'a,
    resolve: Resolver<'a>,
) -> Result<Records<'a>, Violation> {
    match format {
        Format::Coop => coop::convert(rows, resolve),
        Format::CraV1 => cra_v1::convert(rows),
        Format::Passerelle => Err(Violation {
            line: 1,
            field: "fichier",
            message: "Passerelle's own CSV is read by `csvfile`".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_accents_case_and_punctuation() {
        assert_eq!(
            fold("Thématique(s) d’accompagnement"),
            fold("thematique(s) d'accompagnement")
        );
        assert_eq!(fold("Durée (min)"), "dureemin");
    }

    #[test]
    fn dates_in_both_spellings() {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        assert_eq!(parse_date("2024-03-05"), Some(d));
        assert_eq!(parse_date("2024-03-05T10:00:00.000Z"), Some(d));
        assert_eq!(parse_date("05/03/2024"), Some(d));
        assert_eq!(parse_date("5 mars"), None);
    }

    #[test]
    fn csv_delimiter_is_guessed() {
        let rows: Vec<_> = csv_rows("a;b;c\n1;2;3\n".as_bytes()).unwrap().collect();
        assert_eq!(rows[1], (2, vec!["1".into(), "2".into(), "3".into()]));
        let rows: Vec<_> = csv_rows("a,b\n\"x;y\",2\n".as_bytes()).unwrap().collect();
        assert_eq!(rows[1].1, vec!["x;y".to_string(), "2".to_string()]);
    }

    #[test]
    fn formats_are_recognised() {
        assert_eq!(Format::detect(b"PK\x03\x04rest"), Format::Coop);
        assert_eq!(
            Format::detect(b"dateAccompagnement,canal,activite\n"),
            Format::CraV1
        );
        assert_eq!(
            Format::detect(b"type,date,duree,themes\n"),
            Format::Passerelle
        );
    }
}
