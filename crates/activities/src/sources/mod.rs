//! Activity exports of other tools, converted to records: the national
//! Coop de la médiation numérique's export (XLSX as the Coop writes it, or
//! saved as CSV by a spreadsheet) and the conseillers numériques' first
//! activity reports (CRA v1: the Coop's CSV dump or its JSON:API archive).
//! Each layout, its writer's repository, file and commit, and the label
//! tables are documented in `docs/activites-imports.md`.
//!
//! What the sources say about people beyond our record (names, gender,
//! notes, the mediator's name) is deliberately not read: records stay
//! anonymous.
//!
//! Every converted record carries its identity in the source (`key`), so
//! that importing the same or an overlapping file again never duplicates
//! it, and, for CRA v1 reports and their copies in the Coop, a `twin`
//! fingerprint, so that one report is not counted twice when both files
//! are imported.

pub mod coop;
pub mod cra_v1;

use std::io::{BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

use crate::model::{Activity, Kind};
use crate::validate::Violation;

/// The kinds of file `activities import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Passerelle's own CSV (`csvfile`).
    Passerelle,
    /// The Coop's export of accompaniments.
    Coop,
    /// CRA v1 records: CSV, one per line, or the Coop's JSON:API archive.
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
    /// Coop's export, a JSON document the CRA v1 archive; otherwise the
    /// CSV header tells.
    pub fn detect(head: &[u8]) -> Self {
        if head.starts_with(b"PK\x03\x04") {
            return Self::Coop;
        }
        if is_json(head) {
            return Self::CraV1;
        }
        let text = String::from_utf8_lossy(head);
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if fold(first).contains("dateaccompagnement") {
            Self::CraV1
        } else if coop::looks_like_header(&text) {
            Self::Coop
        } else {
            Self::Passerelle
        }
    }
}

fn is_json(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    matches!(
        head.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Where the rows of a file are, for messages: lines of a text file,
/// rows of a sheet, or records of a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Physical lines of a CSV file, the header counted, from 1.
    Csv,
    /// Rows of this sheet of a workbook, as the spreadsheet numbers them.
    Sheet(String),
    /// Records of a JSON document (the n-th of `data`, pages counted on).
    Json,
}

/// Something the conversion did that the import report says: a value
/// read another way than plainly, or left out. `what` is the category
/// (French), `detail` one example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub what: &'static str,
    pub detail: String,
}

/// One record converted from another tool's file.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Its (first) line, sheet row or JSON record number.
    pub line: u64,
    pub activity: Activity,
    /// Its identity in the source (`coop:<ID CRA>`, `cra-v1:<id>`, or a
    /// digest of its content when the file has no identifier): the same
    /// key imported again is the same record.
    pub key: Option<String>,
    /// The CRA v1 fingerprint shared by a v1 report and its copy in the
    /// Coop (`twin_key`).
    pub twin: Option<String>,
    pub notes: Vec<Note>,
}

/// Converted records, or the problem of a line.
pub type Records<'a> = Box<dyn Iterator<Item = Result<Item, Violation>> + Send + 'a>;

/// A file being converted.
pub struct Conversion<'a> {
    /// What the file was recognised as, in French: the tool, the layout
    /// and the writer's version.
    pub recognised: String,
    pub origin: Origin,
    /// Columns of the header that are not read on purpose (personal data,
    /// free text, the mediator's name).
    pub not_read: Vec<String>,
    /// Columns of the header this importer does not know.
    pub unknown: Vec<String>,
    pub items: Records<'a>,
}

/// Finds the commune (INSEE code) a postcode and a name designate, from
/// the territorial reference.
pub type Resolver<'a> = &'a (dyn Fn(&str, &str) -> Option<String> + Sync);

/// Converts a file of another tool. An XLSX file is read whole; CSV and
/// JSON files are streamed (the Coop's export is regrouped in memory).
pub fn convert<'a, R: Read + Send + 'a>(
    format: Format,
    input: R,
    resolve: Resolver<'a>,
) -> Result<Conversion<'a>, Violation> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let head = input.fill_buf().map_err(unreadable)?.to_vec();
    match format {
        Format::Passerelle => Err(Violation {
            line: 1,
            field: "fichier",
            message: "le CSV de Passerelle se lit avec `csvfile`".into(),
        }),
        Format::CraV1 if is_json(&head) => Ok(cra_v1::convert_json(input)),
        Format::Coop | Format::CraV1 => {
            let (origin, rows): (Origin, Rows<'a>) = if head.starts_with(b"PK\x03\x04") {
                let mut bytes = Vec::new();
                input.read_to_end(&mut bytes).map_err(unreadable)?;
                let (sheet, rows) = xlsx_rows(&bytes)?;
                (Origin::Sheet(sheet), Box::new(rows.into_iter()))
            } else {
                (Origin::Csv, Box::new(csv_rows(input)?))
            };
            if format == Format::Coop {
                coop::convert(rows, origin, resolve)
            } else {
                cra_v1::convert_rows(rows, origin)
            }
        }
    }
}

fn unreadable(e: std::io::Error) -> Violation {
    Violation {
        line: 1,
        field: "fichier",
        message: format!("lecture impossible : {e}"),
    }
}

/// A row of a sheet or a CSV file: (line, cells).
pub type Row = (u64, Vec<String>);

/// Rows of a sheet or a CSV file.
pub type Rows<'a> = Box<dyn Iterator<Item = Row> + Send + 'a>;

/// Lower case, accents and punctuation removed: how headers and labels of
/// other tools are compared (their apostrophes and spaces vary by version).
pub(crate) fn fold(text: &str) -> String {
    deaccent(text)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Lower case, French accents replaced by their letter.
pub(crate) fn deaccent(text: &str) -> String {
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
            c => out.push(c),
        }
    }
    out
}

/// CSV rows streamed from a reader, numbered by the physical line where
/// each starts (a cell may hold line breaks; CRLF or LF). The delimiter,
/// `,` or `;`, is the one of the line with the most of either among the
/// first ones (a spreadsheet pads every line of a sheet to its width).
pub fn csv_rows<'a, R: Read + Send + 'a>(
    input: R,
) -> Result<impl Iterator<Item = (u64, Vec<String>)> + Send + 'a, Violation> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut head = input.fill_buf().map_err(unreadable)?.to_vec();
    input.consume(head.len());
    if head.starts_with(b"\xef\xbb\xbf") {
        head.drain(..3);
    }
    let (semicolons, commas) = head
        .split(|b| *b == b'\n')
        .take(40)
        .map(|line| {
            let count = |d: u8| line.iter().filter(|b| **b == d).count();
            (count(b';'), count(b','))
        })
        .max_by_key(|(s, c)| s + c)
        .unwrap_or((0, 0));
    let delimiter = if semicolons > commas { b';' } else { b',' };
    // The csv crate counts a CRLF file's lines one too low: lines are
    // counted here from the line breaks passing through.
    let breaks = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::new()));
    let counted = LineBreaks {
        inner: std::io::Cursor::new(head).chain(input),
        offset: 0,
        breaks: breaks.clone(),
    };
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(counted);
    let mut line = 1;
    let mut line_at = move |position: Option<&csv::Position>| {
        let byte = position.map_or(0, csv::Position::byte);
        let mut breaks = breaks.lock().expect("not poisoned");
        // A CRLF file's record starts, for the csv crate, at the LF.
        while breaks.front().is_some_and(|b| *b <= byte) {
            breaks.pop_front();
            line += 1;
        }
        line
    };
    Ok(reader.into_records().map(move |r| match r {
        Ok(r) => (
            line_at(r.position()),
            r.iter().map(|c| c.trim().to_string()).collect(),
        ),
        // A malformed line becomes one cell the converters reject.
        Err(e) => (line_at(e.position()), vec![format!("\u{0}{e}")]),
    }))
}

/// A reader noting the offset of every line break read through it.
struct LineBreaks<R> {
    inner: R,
    offset: u64,
    breaks: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u64>>>,
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut breaks = self.breaks.lock().expect("not poisoned");
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                breaks.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// The rows of the first sheet of a workbook, numbered as the sheet
/// numbers them, and the sheet's name.
pub fn xlsx_rows(bytes: &[u8]) -> Result<(String, Vec<Row>), Violation> {
    use calamine::{Data, Reader, Xlsx};
    let fail = |message: String| Violation {
        line: 1,
        field: "fichier",
        message,
    };
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| fail(format!("ce n’est pas un classeur XLSX lisible : {e}")))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| fail("le classeur n’a aucune feuille".into()))?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| fail(format!("la feuille « {name} » est illisible : {e}")))?;
    let first_row = range.start().map_or(0, |(r, _)| r);
    let first_column = range.start().map_or(0, |(_, c)| c) as usize;
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            // Cells are placed at their column even when the used range
            // does not start at A.
            let cells = std::iter::repeat_n(String::new(), first_column)
                .chain(row.iter().map(|cell| {
                    match cell {
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
                    }
                }))
                .collect();
            (u64::from(first_row) + i as u64 + 1, cells)
        })
        .collect();
    Ok((name, rows))
}

/// A date as other tools write it: ISO (`2024-03-05`, possibly followed by
/// a time), French (`05/03/2024`) or with dots (`05.03.2024`).
pub(crate) fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    let day = text.get(..10).unwrap_or(text);
    ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(day, f).ok())
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

/// The cells of a header that are among `names` (folded), in its order.
pub(crate) fn named(header: &[String], names: &[&str]) -> Vec<String> {
    header
        .iter()
        .filter(|h| names.iter().any(|n| fold(n) == fold(h)))
        .cloned()
        .collect()
}

/// A digest of a record's content, for files without identifiers: the
/// `n`-th record with this content in the file gets `prefix:digest:n`.
pub(crate) fn content_key(prefix: &str, parts: &[&str], n: usize) -> String {
    let mut hash = Sha256::new();
    for p in parts {
        hash.update(p.as_bytes());
        hash.update([0x1f]);
    }
    let digest: String = hash
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{prefix}:{digest}:{n}")
}

/// The fingerprint of a CRA v1 report, the same in the v1 file and in
/// the Coop's copy of it (`Source de la donnée` = `Espace coop (V1)`):
/// the Coop's copy has a new identifier (`uuid v4`, the v1 id is kept in
/// its database only), but its date, its creation time to the minute
/// (UTC: the Coop runs with `TZ=UTC`), its kind, people and minutes are
/// the v1 report's.
pub(crate) fn twin_key(
    date: chrono::NaiveDate,
    created_minute: &str,
    kind: Kind,
    participants: u32,
    minutes: u32,
) -> String {
    let kind = match kind {
        Kind::Atelier => "collectif",
        _ => "individuel",
    };
    format!("cra-v1|{date}|{created_minute}|{kind}|{participants}|{minutes}")
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
        assert_eq!(fold("date_accompagnement"), fold("dateAccompagnement"));
    }

    #[test]
    fn dates_in_every_spelling() {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        assert_eq!(parse_date("2024-03-05"), Some(d));
        assert_eq!(parse_date("2024-03-05T10:00:00.000Z"), Some(d));
        assert_eq!(parse_date("05/03/2024"), Some(d));
        assert_eq!(parse_date("05.03.2024"), Some(d));
        assert_eq!(parse_date("5 mars"), None);
    }

    #[test]
    fn csv_delimiter_is_guessed_and_lines_are_physical() {
        let rows: Vec<_> = csv_rows("a;b;c\n1;2;3\n".as_bytes()).unwrap().collect();
        assert_eq!(rows[1], (2, vec!["1".into(), "2".into(), "3".into()]));
        let rows: Vec<_> = csv_rows("a,b\n\"x;y\",2\n".as_bytes()).unwrap().collect();
        assert_eq!(rows[1].1, vec!["x;y".to_string(), "2".to_string()]);
        // A title line without delimiters, a cell over two lines, CRLF.
        let text = "\u{feff}Titre\r\nx;y;z\r\n\"a\r\nb\";c;d\r\ne;f;g\r\n";
        let rows: Vec<_> = csv_rows(text.as_bytes()).unwrap().collect();
        assert_eq!(rows[0], (1, vec!["Titre".to_string()]));
        assert_eq!(rows[2].0, 3);
        assert_eq!(rows[3], (5, vec!["e".into(), "f".into(), "g".into()]));
    }

    #[test]
    fn formats_are_recognised() {
        assert_eq!(Format::detect(b"PK\x03\x04rest"), Format::Coop);
        assert_eq!(
            Format::detect(b"dateAccompagnement,canal,activite\n"),
            Format::CraV1
        );
        assert_eq!(
            Format::detect(b"id,imported_at,canal,activite,date_accompagnement\n"),
            Format::CraV1,
            "the Coop's dump"
        );
        assert_eq!(Format::detect(b"  {\"data\": []}"), Format::CraV1);
        assert_eq!(
            Format::detect(b"type,date,duree,themes\n"),
            Format::Passerelle
        );
    }

    #[test]
    fn content_keys_are_stable() {
        assert_eq!(
            content_key("x", &["a", "b"], 1),
            content_key("x", &["a", "b"], 1)
        );
        assert_ne!(
            content_key("x", &["a", "b"], 1),
            content_key("x", &["ab"], 1)
        );
        assert_ne!(
            content_key("x", &["a", "b"], 1),
            content_key("x", &["a", "b"], 2)
        );
    }
}
