//! Importers for the official files the needs come from, as they are
//! published, recognised by their header:
//!
//! - INSEE census, "base communale" `base-cc-evol-struct-pop-20yy`
//!   (`CODGEO`, `Pyy_POP`, `Pyy_POP65P`, `Cyy_POP15P`…) or its "base
//!   infracommunale" IRIS version `base-ic-evol-struct-pop-20yy` (`IRIS`,
//!   `COM`, `LIBIRIS`…);
//! - INSEE census `base-cc-diplomes-formation-20yy` (`Pyy_NSCOL15P`,
//!   `Pyy_NSCOL15P_DIPLMIN`…) or its IRIS version;
//! - CAF recipients per IRIS as INSEE distributes them
//!   (`iris_code;note;a;percou;…;aaah;appa;arsas`), or per commune;
//! - CAF per-commune files of data.caf.fr (`Codes_Insee`, `ALL_AAH`,
//!   `ALL_RSA`, `ALL_PPA`);
//! - France Travail job seekers per commune (`CODGEO;NOTE;ABCDE;…;ABC;…`).
//!
//! CSV (`;` or `,`, UTF-8 or Latin-1, quoted or not) and INSEE's XLSX
//! variant (title rows above the header, found by its code column). The
//! census vintage is read from the column prefix (`P21_` is the 2021
//! census): the most recent in the file, or the one asked for; other files
//! take it from their name (`…2021…`) or from the person importing. A file
//! is parsed entirely before anything is applied; the first problem is
//! returned with file, line and field, in French.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use passerelle_territory::ImportError;
use passerelle_territory::codes::{departement_of_commune, is_commune_code};

use crate::geo::Geography;
use crate::needs::{Field, Figure, Indicators, IrisNeeds, SourceNote};

/// Which official file a header belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `base-cc-evol-struct-pop` (or IRIS): population by age.
    CensusPopulation,
    /// `base-cc-diplomes-formation` (or IRIS): diplomas.
    CensusDiplomas,
    /// CAF recipients of minima sociaux (INSEE's per-IRIS file, or
    /// data.caf.fr's per-commune files).
    CafBenefits,
    /// France Travail job seekers by category.
    JobSeekers,
}

impl FileKind {
    pub const ALL: [FileKind; 4] = [
        FileKind::CensusPopulation,
        FileKind::CensusDiplomas,
        FileKind::CafBenefits,
        FileKind::JobSeekers,
    ];

    /// The code it is stored under.
    pub fn code(self) -> &'static str {
        match self {
            FileKind::CensusPopulation => "insee_population",
            FileKind::CensusDiplomas => "insee_diplomes",
            FileKind::CafBenefits => "caf_allocataires",
            FileKind::JobSeekers => "france_travail_demandeurs",
        }
    }

    pub fn from_code(code: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The dataset, in French, as a source note says it.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::CensusPopulation => {
                "INSEE, recensement de la population : population par âge"
            }
            FileKind::CensusDiplomas => {
                "INSEE, recensement de la population : diplômes et formation"
            }
            FileKind::CafBenefits => "CAF, allocataires de prestations sociales",
            FileKind::JobSeekers => "France Travail, demandeurs d’emploi par catégorie",
        }
    }

    /// Where to get the file, in French: who publishes it and under which
    /// title.
    pub fn where_to_get(self) -> &'static str {
        match self {
            FileKind::CensusPopulation => {
                "INSEE, page « Évolution et structure de la population » du recensement (bases infracommunales IRIS ou communales), fichier base-ic-evol-struct-pop ou base-cc-evol-struct-pop, CSV ou XLSX"
            }
            FileKind::CensusDiplomas => {
                "INSEE, page « Diplômes – Formation » du recensement (bases infracommunales IRIS ou communales), fichier base-ic-diplomes-formation ou base-cc-diplomes-formation, CSV ou XLSX"
            }
            FileKind::CafBenefits => {
                "INSEE, page « Données infracommunales – prestations sociales CAF » (allocataires par IRIS : AAH, prime d’activité, RSA socle), ou les fichiers par commune de data.caf.fr"
            }
            FileKind::JobSeekers => {
                "France Travail (ou l’ANCT, données de la politique de la ville) : demandeurs d’emploi par commune et par catégorie, colonnes ABCDE et ABC"
            }
        }
    }

    /// Who publishes it, in a few words (for the one-page synthesis).
    pub fn provider(self) -> &'static str {
        match self {
            FileKind::CensusPopulation => {
                "INSEE, recensement, « Évolution et structure de la population »"
            }
            FileKind::CensusDiplomas => "INSEE, recensement, « Diplômes – Formation »",
            FileKind::CafBenefits => {
                "INSEE, « Données infracommunales – prestations sociales CAF »"
            }
            FileKind::JobSeekers => {
                "France Travail, demandeurs d’emploi par commune (catégories A à E)"
            }
        }
    }

    /// The fields a file of this kind may give.
    pub fn fields(self) -> &'static [Field] {
        match self {
            FileKind::CensusPopulation => {
                &[Field::CensusPopulation, Field::Pop65Plus, Field::Pop15Plus]
            }
            FileKind::CensusDiplomas => &[Field::OutOfSchool15Plus, Field::NoDiploma],
            FileKind::CafBenefits => &[Field::Aah, Field::PrimeActivite, Field::RsaSocle],
            FileKind::JobSeekers => &[Field::JobSeekersAbcde, Field::JobSeekersAbc],
        }
    }
}

/// Whether a file gives communes or IRIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Commune,
    Iris,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Level::Commune => "commune",
            Level::Iris => "iris",
        }
    }
}

/// One IRIS of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct IrisRow {
    /// The 2026 commune it belongs to.
    pub commune: String,
    pub nom: Option<String>,
    pub values: BTreeMap<Field, Figure>,
}

/// A parsed file, not yet applied.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorFile {
    pub file: String,
    pub kind: FileKind,
    pub level: Level,
    /// Year of the data (`2021`): the census year of the columns, or the
    /// year in the file's name, or the one given.
    pub vintage: Option<String>,
    /// The fields the file gives.
    pub fields: Vec<Field>,
    /// Per commune (2026 code), the value of each field; IRIS files give
    /// the sum of the commune's IRIS, with the number of secret ones.
    pub communes: BTreeMap<String, BTreeMap<Field, Figure>>,
    /// Per IRIS, in IRIS files.
    pub iris: BTreeMap<String, IrisRow>,
    /// Data rows read.
    pub rows: usize,
    /// Cells of the read columns left empty (statistical secrecy).
    pub secret_cells: usize,
    /// Rows of communes of départements that are not loaded, left aside.
    pub outside: usize,
    /// Codes of loaded départements that the 2026 reference does not know
    /// and no merger explains, left aside.
    pub unknown: BTreeSet<String>,
    /// Rows of former communes (merged since) added to their 2026 commune.
    pub merged: usize,
    /// Rows of arrondissements municipaux in a communal file: summed into
    /// their commune when it has no row of its own, else left aside.
    pub arrondissements: usize,
}

impl IndicatorFile {
    /// The source note of this file.
    pub fn source(&self, imported_at: Option<String>) -> SourceNote {
        SourceNote {
            title: self.kind.label().to_string(),
            vintage: self.vintage.clone(),
            file: Some(self.file.clone()),
            imported_at,
        }
    }

    /// Writes the figures into `indicators`. A column present in the file
    /// is authoritative for the communes (and IRIS) it lists.
    pub fn apply(&self, indicators: &mut Indicators) {
        let source = indicators.add_source(self.source(None));
        for (code, fields) in &self.communes {
            let needs = indicators.entry(code);
            for (field, figure) in fields {
                needs.figures.set(
                    *field,
                    Some(Figure {
                        source: Some(source),
                        ..*figure
                    }),
                );
            }
        }
        for (code, row) in &self.iris {
            let entry = indicators
                .iris
                .entry(code.clone())
                .or_insert_with(|| IrisNeeds {
                    code: code.clone(),
                    commune: row.commune.clone(),
                    ..Default::default()
                });
            if row.nom.is_some() {
                entry.nom = row.nom.clone();
            }
            for (field, figure) in &row.values {
                entry.figures.set(
                    *field,
                    Some(Figure {
                        source: Some(source),
                        ..*figure
                    }),
                );
            }
        }
    }
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Year of the data (`2021` or `21`): for census files, the vintage of
    /// the columns to read (default the most recent); for the others, the
    /// year to record (default the year in the file's name).
    pub vintage: Option<String>,
}

/// The commune (Paris, Marseille, Lyon) an arrondissement municipal code
/// belongs to: 75101–75120, 13201–13216, 69381–69389.
pub fn commune_of_arrondissement(code: &str) -> Option<&'static str> {
    let n: u32 = code.parse().ok()?;
    match n {
        75101..=75120 => Some("75056"),
        13201..=13216 => Some("13055"),
        69381..=69389 => Some("69123"),
        _ => None,
    }
}

/// Whether a commune is divided into arrondissements municipaux.
pub fn has_arrondissements(code: &str) -> bool {
    matches!(code, "75056" | "13055" | "69123")
}

pub(crate) fn error(
    file: &str,
    line: Option<u64>,
    field: Option<&str>,
    message: impl Into<String>,
) -> ImportError {
    ImportError {
        file: file.to_string(),
        line,
        field: field.map(str::to_string),
        message: message.into(),
    }
}

/// An import error in French: "fichier, ligne 12, colonne `P21_POP65P` :
/// …".
pub fn describe(e: &ImportError) -> String {
    let mut out = format!("Fichier {}", e.file);
    if let Some(line) = e.line {
        out.push_str(&format!(", ligne {line}"));
    }
    if let Some(field) = &e.field {
        out.push_str(&format!(", colonne « {field} »"));
    }
    out.push_str(" : ");
    out.push_str(&e.message);
    out
}

/// The header of a file, looked up case-insensitively.
pub(crate) struct Header {
    pub names: Vec<String>,
    /// Line (CSV) or row (XLSX) of the header, 1-based.
    pub line: u64,
}

impl Header {
    pub fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    pub fn find_any(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.find(n))
    }

    /// The column `name`, or the error saying `file` lacks it.
    pub fn require(&self, file: &str, name: &str) -> Result<usize, ImportError> {
        self.find(name).ok_or_else(|| {
            error(
                file,
                Some(self.line),
                Some(name),
                format!("la colonne {name} manque"),
            )
        })
    }
}

/// A table read from a CSV or XLSX file: its header and its rows, with
/// their line (or row) numbers.
pub(crate) struct Table {
    pub header: Header,
    rows: Rows,
}

enum Rows {
    Csv(Vec<u8>, u8),
    Cells(Vec<(u64, Vec<String>)>),
}

impl Table {
    /// Calls `f` with every non-empty data row.
    pub fn each_row(
        &self,
        file: &str,
        mut f: impl FnMut(u64, &[&str]) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        match &self.rows {
            Rows::Csv(bytes, delimiter) => {
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(*delimiter)
                    .flexible(true)
                    .has_headers(true)
                    .from_reader(bytes.as_slice());
                let mut record = csv::StringRecord::new();
                loop {
                    match reader.read_record(&mut record) {
                        Ok(false) => break,
                        Ok(true) => {}
                        Err(e) => {
                            let line = e.position().map(|p| p.line());
                            return Err(error(file, line, None, format!("ligne illisible ({e})")));
                        }
                    }
                    if record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let line = record.position().map(|p| p.line()).unwrap_or(0);
                    let cells: Vec<&str> = record.iter().collect();
                    f(line, &cells)?;
                }
                Ok(())
            }
            Rows::Cells(rows) => {
                for (line, row) in rows {
                    if row.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let cells: Vec<&str> = row.iter().map(String::as_str).collect();
                    f(*line, &cells)?;
                }
                Ok(())
            }
        }
    }
}

/// Column names that identify the header row of an XLSX file.
const CODE_COLUMNS: &[&str] = &[
    "CODGEO",
    "IRIS",
    "iris_code",
    "Codes_Insee",
    "COM",
    "code_commune",
    "Code commune",
    "code_insee",
];

/// Reads a CSV (`;` or `,` separated, whichever the header uses most) or
/// an XLSX workbook (the first sheet with a recognisable header).
pub(crate) fn read_table(file: &str, bytes: &[u8]) -> Result<Table, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(file, bytes);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // INSEE publishes some files in Latin-1: every byte is its own
    // character there.
    let text: Vec<u8> = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.to_vec(),
        Err(_) => bytes
            .iter()
            .map(|&b| b as char)
            .collect::<String>()
            .into_bytes(),
    };
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| first.iter().filter(|b| **b == c).count();
    let delimiter = if count(b';') >= count(b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_slice());
    let names = reader
        .headers()
        .map_err(|e| error(file, Some(1), None, format!("en-tête illisible ({e})")))?
        .iter()
        .map(|h| h.trim().trim_matches('"').trim().to_string())
        .collect::<Vec<_>>();
    if names.iter().all(|n| n.is_empty()) {
        return Err(error(file, None, None, "le fichier est vide"));
    }
    Ok(Table {
        header: Header { names, line: 1 },
        rows: Rows::Csv(text, delimiter),
    })
}

fn read_xlsx(file: &str, bytes: &[u8]) -> Result<Table, ImportError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| error(file, None, None, format!("classeur XLSX illisible ({e})")))?;
    let cell = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.trim().to_string(),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => b.to_string(),
            other => other.to_string(),
        }
    };
    for name in book.sheet_names() {
        let Ok(range) = book.worksheet_range(&name) else {
            continue;
        };
        let start = range.start().map(|(r, _)| r as u64).unwrap_or(0);
        let mut rows = range.rows().enumerate();
        // INSEE puts a title, the source and notes above the header, then
        // a row of long labels, then the variable codes.
        let mut header = None;
        for (i, row) in rows.by_ref().take(40) {
            let names: Vec<String> = row.iter().map(cell).collect();
            if names
                .iter()
                .any(|n| CODE_COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(n)))
            {
                header = Some(Header {
                    names,
                    line: start + i as u64 + 1,
                });
                break;
            }
        }
        let Some(header) = header else { continue };
        let data = rows
            .map(|(i, row)| (start + i as u64 + 1, row.iter().map(cell).collect()))
            .collect();
        return Ok(Table {
            header,
            rows: Rows::Cells(data),
        });
    }
    Err(error(
        file,
        None,
        None,
        "aucune feuille du classeur n’a d’en-tête reconnu (CODGEO, IRIS, iris_code…)",
    ))
}

/// A cell of a count column: a non-negative number (decimal point or
/// comma), or `None` when the cell is empty or marked secret.
pub(crate) fn count(
    file: &str,
    line: u64,
    field: &str,
    raw: &str,
) -> Result<Option<f64>, ImportError> {
    let raw = raw.trim().trim_matches('"').trim();
    if raw.is_empty()
        || ["s", "nd", "n.d.", "secret", "NA"]
            .iter()
            .any(|m| raw.eq_ignore_ascii_case(m))
    {
        return Ok(None);
    }
    let value: f64 = raw.replace(',', ".").parse().map_err(|_| {
        error(
            file,
            Some(line),
            Some(field),
            format!("« {raw} » n’est pas un nombre"),
        )
    })?;
    if !value.is_finite() || value < 0.0 {
        return Err(error(
            file,
            Some(line),
            Some(field),
            format!("« {raw} » n’est pas un effectif (négatif ou infini)"),
        ));
    }
    Ok(Some(value))
}

/// The census years present for a column suffix: `P21_POP65P` → `21`
/// (`prefix` `P` or `C`).
fn census_years(header: &Header, prefix: char, suffix: &str) -> Vec<String> {
    let mut years: Vec<String> = header
        .names
        .iter()
        .filter_map(|n| {
            let upper = n.to_ascii_uppercase();
            let rest = upper.strip_prefix(prefix)?;
            let (yy, tail) = rest.split_once('_')?;
            (yy.len() == 2 && yy.bytes().all(|b| b.is_ascii_digit()) && tail == suffix)
                .then(|| yy.to_string())
        })
        .collect();
    years.sort();
    years.dedup();
    years
}

fn choose_year(
    file: &str,
    header: &Header,
    suffix: &str,
    wanted: Option<&str>,
) -> Result<String, ImportError> {
    let years = census_years(header, 'P', suffix);
    match wanted {
        None => years.last().cloned().ok_or_else(|| {
            error(
                file,
                Some(header.line),
                None,
                format!("aucune colonne Paa_{suffix}"),
            )
        }),
        Some(w) => {
            let w = w.trim();
            let yy = if w.len() == 4 { &w[2..] } else { w };
            if years.iter().any(|y| y == yy) {
                Ok(yy.to_string())
            } else {
                Err(error(
                    file,
                    Some(header.line),
                    Some(&format!("P{yy}_{suffix}")),
                    format!(
                        "le fichier n’a pas de colonne du recensement {w} ; il a {}",
                        if years.is_empty() {
                            "aucune".to_string()
                        } else {
                            years
                                .iter()
                                .map(|y| format!("20{y}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                ))
            }
        }
    }
}

/// A year `20yy` in a file name (`caf_iris_2021_bretagne.csv`,
/// `data_DEFM2019_com.csv`), the last one if several.
fn year_in_name(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut found = None;
    for i in 0..bytes.len().saturating_sub(3) {
        let w = &bytes[i..i + 4];
        let before = i == 0 || !bytes[i - 1].is_ascii_digit();
        let after = i + 4 == bytes.len() || !bytes[i + 4].is_ascii_digit();
        if before && after && w.starts_with(b"20") && w.iter().all(|b| b.is_ascii_digit()) {
            found = Some(String::from_utf8_lossy(w).into_owned());
        }
    }
    found
}

fn normalise_vintage(v: &str) -> String {
    let v = v.trim();
    if v.len() == 2 && v.bytes().all(|b| b.is_ascii_digit()) {
        format!("20{v}")
    } else {
        v.to_string()
    }
}

/// data.caf.fr per-commune columns and the fields they give.
const CAF_COMMUNE: &[(&str, Field)] = &[
    ("ALL_AAH", Field::Aah),
    ("ALL_PPA", Field::PrimeActivite),
    ("ALL_RSA", Field::RsaSocle),
];

/// INSEE's per-IRIS CAF columns.
const CAF_IRIS: &[(&str, Field)] = &[
    ("aaah", Field::Aah),
    ("appa", Field::PrimeActivite),
    ("arsas", Field::RsaSocle),
];

/// Commune-code columns accepted for job-seeker and CAF files.
const COMMUNE_CODE: &[&str] = &[
    "CODGEO",
    "Code commune",
    "code_commune",
    "Codes_Insee",
    "code_insee",
    "COM",
];

/// The one column of a legacy job-seeker file whose name has the word
/// `ABC` ("Catégories ABC").
fn legacy_abc_column(header: &Header) -> Option<usize> {
    let abc: Vec<usize> = (0..header.names.len())
        .filter(|&i| {
            header.names[i]
                .to_ascii_uppercase()
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == "ABC")
        })
        .collect();
    (abc.len() == 1).then(|| abc[0])
}

fn recognise(header: &Header) -> Option<FileKind> {
    let has = |n: &str| header.find(n).is_some();
    if !census_years(header, 'P', "POP65P").is_empty() {
        Some(FileKind::CensusPopulation)
    } else if !census_years(header, 'P', "NSCOL15P_DIPLMIN").is_empty() {
        Some(FileKind::CensusDiplomas)
    } else if CAF_IRIS.iter().any(|(n, _)| has(n))
        || (has("Codes_Insee") && CAF_COMMUNE.iter().any(|(n, _)| has(n)))
    {
        Some(FileKind::CafBenefits)
    } else if header.find_any(COMMUNE_CODE).is_some() || has("IRIS") {
        (has("ABCDE") || has("ABC") || legacy_abc_column(header).is_some())
            .then_some(FileKind::JobSeekers)
    } else {
        None
    }
}

const UNRECOGNISED: &str = "en-tête non reconnu. Fichiers acceptés : recensement INSEE « Évolution et structure de la population » (CODGEO ou IRIS, P21_POP65P…), « Diplômes – Formation » (P21_NSCOL15P_DIPLMIN…), allocataires CAF par IRIS (iris_code, aaah, appa, arsas) ou par commune (Codes_Insee, ALL_AAH, ALL_RSA, ALL_PPA), demandeurs d’emploi France Travail par commune (CODGEO, ABCDE, ABC)";

/// A 9-character IRIS code (commune + 4 digits); 8 digits get back the
/// leading zero a spreadsheet dropped.
fn iris_code(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let code = if raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{raw}")
    } else {
        raw.to_string()
    };
    (code.len() == 9
        && is_commune_code(&code[..5])
        && code[5..].bytes().all(|b| b.is_ascii_digit()))
    .then_some(code)
}

/// Where a row's figures go.
enum Target {
    /// A 2026 commune, and whether the row is a part of it (an
    /// arrondissement, a former commune) rather than its own row.
    Commune(String, Part),
    /// Left aside: a département not loaded.
    Outside,
    /// Left aside: unknown to the reference.
    Unknown(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    Own,
    Arrondissement,
    Former,
}

fn locate(code: &str, geography: &Geography, loaded: &HashSet<&str>) -> Target {
    if let Some(commune) = commune_of_arrondissement(code)
        && geography.contains(commune)
    {
        return Target::Commune(commune.to_string(), Part::Arrondissement);
    }
    if geography.contains(code) {
        return Target::Commune(code.to_string(), Part::Own);
    }
    if let Some(now) = crate::bundled::former_communes().get(code)
        && geography.contains(now)
    {
        return Target::Commune(now.clone(), Part::Former);
    }
    if loaded.contains(departement_of_commune(code)) {
        Target::Unknown(code.to_string())
    } else {
        Target::Outside
    }
}

/// Parses an indicator file; `geography` tells which codes are known.
pub fn parse(
    file: &str,
    bytes: &[u8],
    geography: &Geography,
    options: &Options,
) -> Result<IndicatorFile, ImportError> {
    let table = read_table(file, bytes)?;
    let header = &table.header;
    let kind =
        recognise(header).ok_or_else(|| error(file, Some(header.line), None, UNRECOGNISED))?;
    let required = |name: &str| header.require(file, name);
    // (column, field) pairs to read.
    let mut columns: Vec<(usize, Field)> = Vec::new();
    let mut vintage = options.vintage.as_deref().map(normalise_vintage);
    let iris_column = header.find_any(&["IRIS", "iris_code", "CODE_IRIS"]);
    let level = if iris_column.is_some() {
        Level::Iris
    } else {
        Level::Commune
    };
    match kind {
        FileKind::CensusPopulation | FileKind::CensusDiplomas => {
            let (anchor, wanted): (&str, &[(char, &str, Field, bool)]) =
                if kind == FileKind::CensusPopulation {
                    (
                        "POP65P",
                        &[
                            ('P', "POP65P", Field::Pop65Plus, true),
                            ('P', "POP", Field::CensusPopulation, false),
                            ('C', "POP15P", Field::Pop15Plus, false),
                        ],
                    )
                } else {
                    (
                        "NSCOL15P_DIPLMIN",
                        &[
                            ('P', "NSCOL15P_DIPLMIN", Field::NoDiploma, true),
                            ('P', "NSCOL15P", Field::OutOfSchool15Plus, false),
                        ],
                    )
                };
            let yy = choose_year(file, header, anchor, options.vintage.as_deref())?;
            for (prefix, suffix, field, needed) in wanted {
                let name = format!("{prefix}{yy}_{suffix}");
                match header.find(&name) {
                    Some(c) => columns.push((c, *field)),
                    None if *needed => {
                        required(&name)?;
                    }
                    None => {}
                }
            }
            vintage = Some(format!("20{yy}"));
        }
        FileKind::CafBenefits => {
            let list = if header.find("Codes_Insee").is_some() && level == Level::Commune {
                CAF_COMMUNE
            } else {
                CAF_IRIS
            };
            for (name, field) in list {
                if let Some(c) = header.find(name) {
                    columns.push((c, *field));
                }
            }
        }
        FileKind::JobSeekers => {
            for (name, field) in [
                ("ABCDE", Field::JobSeekersAbcde),
                ("ABC", Field::JobSeekersAbc),
            ] {
                if let Some(c) = header.find(name) {
                    columns.push((c, field));
                }
            }
            if columns.is_empty() {
                let c = legacy_abc_column(header).expect("recognised");
                columns.push((c, Field::JobSeekersAbc));
            }
        }
    }
    if vintage.is_none() {
        vintage = year_in_name(file);
    }
    let code_column = match level {
        Level::Iris => iris_column.expect("IRIS level"),
        Level::Commune => header.find_any(COMMUNE_CODE).ok_or_else(|| {
            error(
                file,
                Some(header.line),
                Some("CODGEO"),
                "la colonne du code de commune manque (CODGEO)",
            )
        })?,
    };
    let commune_column = match level {
        Level::Iris => header.find("COM"),
        Level::Commune => None,
    };
    let name_column = header.find_any(&["LIBIRIS", "LIB_IRIS"]);
    let code_name = header.names[code_column].clone();
    let loaded: HashSet<&str> = geography
        .communes
        .iter()
        .map(|c| c.departement.as_str())
        .collect();

    // Per commune: its own row, and the sum of its parts (arrondissements,
    // former communes, IRIS).
    let mut own: BTreeMap<String, (u64, BTreeMap<Field, Figure>)> = BTreeMap::new();
    let mut parts: BTreeMap<String, BTreeMap<Field, Figure>> = BTreeMap::new();
    let mut iris: BTreeMap<String, IrisRow> = BTreeMap::new();
    let mut iris_lines: BTreeMap<String, u64> = BTreeMap::new();
    let (mut rows, mut secret_cells, mut outside, mut merged, mut arrondissements) =
        (0, 0, 0, 0, 0);
    let mut unknown = BTreeSet::new();
    table.each_row(file, |line, record| {
        rows += 1;
        let get = |c: usize| record.get(c).copied().unwrap_or("").trim();
        let raw = get(code_column).trim_matches('"');
        let (commune_code, this_iris) = match level {
            Level::Iris => {
                let code = iris_code(raw).ok_or_else(|| {
                    error(
                        file,
                        Some(line),
                        Some(&code_name),
                        format!("« {raw} » n’est pas un code IRIS (9 caractères : la commune et 4 chiffres)"),
                    )
                })?;
                let commune = commune_column
                    .map(|c| get(c).to_string())
                    .filter(|c| is_commune_code(c))
                    .unwrap_or_else(|| code[..5].to_string());
                (commune, Some(code))
            }
            Level::Commune => {
                // Spreadsheets drop the leading zero of départements 01–09.
                let code = if raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) {
                    format!("0{raw}")
                } else {
                    raw.to_string()
                };
                if !is_commune_code(&code) {
                    return Err(error(
                        file,
                        Some(line),
                        Some(&code_name),
                        format!("« {raw} » n’est pas un code INSEE de commune"),
                    ));
                }
                (code, None)
            }
        };
        let mut values = BTreeMap::new();
        for (column, field) in &columns {
            let name = &header.names[*column];
            let figure = match count(file, line, name, get(*column))? {
                Some(v) => Figure::known(v),
                None => {
                    secret_cells += 1;
                    Figure::secret()
                }
            };
            values.insert(*field, figure);
        }
        let (target, part) = match locate(&commune_code, geography, &loaded) {
            Target::Outside => {
                outside += 1;
                return Ok(());
            }
            Target::Unknown(code) => {
                unknown.insert(code);
                return Ok(());
            }
            Target::Commune(target, part) => (target, part),
        };
        match part {
            Part::Arrondissement if level == Level::Commune => arrondissements += 1,
            Part::Former => merged += 1,
            _ => {}
        }
        let sum_into = |map: &mut BTreeMap<String, BTreeMap<Field, Figure>>| {
            let entry = map.entry(target.clone()).or_default();
            for (field, figure) in &values {
                let slot = entry.entry(*field).or_default();
                *slot = *slot + *figure;
            }
        };
        if let Some(code) = this_iris {
            if let Some(first) = iris_lines.insert(code.clone(), line) {
                return Err(error(
                    file,
                    Some(line),
                    Some(&code_name),
                    format!("l’IRIS {code} figure déjà ligne {first}"),
                ));
            }
            let nom = name_column
                .map(|c| get(c).to_string())
                .filter(|n| !n.is_empty());
            sum_into(&mut parts);
            iris.insert(
                code,
                IrisRow {
                    commune: target.clone(),
                    nom,
                    values,
                },
            );
        } else if part == Part::Own {
            if let Some((first, _)) = own.get(&target) {
                return Err(error(
                    file,
                    Some(line),
                    Some(&code_name),
                    format!("la commune {target} figure déjà ligne {first}"),
                ));
            }
            own.insert(target, (line, values));
        } else {
            sum_into(&mut parts);
        }
        Ok(())
    })?;
    if rows == 0 {
        return Err(error(
            file,
            None,
            None,
            "le fichier n’a aucune ligne de données",
        ));
    }
    // A commune's own row wins over its parts, so nothing counts twice.
    let mut communes: BTreeMap<String, BTreeMap<Field, Figure>> = parts;
    for (code, (_, values)) in own {
        communes.insert(code, values);
    }
    let mut fields: Vec<Field> = columns.iter().map(|(_, f)| *f).collect();
    fields.sort();
    fields.dedup();
    Ok(IndicatorFile {
        file: file.to_string(),
        kind,
        level,
        vintage,
        fields,
        communes,
        iris,
        rows,
        secret_cells,
        outside,
        unknown,
        merged,
        arrondissements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CommuneGeo;

    fn geography() -> Geography {
        let mut geo = Geography::default();
        for (code, dep) in [
            ("35238", "35"),
            ("35047", "35"),
            ("29019", "29"),
            ("22093", "22"),
        ] {
            geo.push(CommuneGeo {
                code: code.into(),
                nom: code.into(),
                departement: dep.into(),
                region: "53".into(),
                epci: None,
                population: 1000,
                centre: None,
                postcodes: vec![],
            });
        }
        geo
    }

    fn parse_text(text: &str) -> Result<IndicatorFile, ImportError> {
        parse("f.csv", text.as_bytes(), &geography(), &Options::default())
    }

    #[test]
    fn arrondissements_fold_into_their_commune() {
        let mut geo = geography();
        geo.push(CommuneGeo {
            code: "75056".into(),
            nom: "Paris".into(),
            departement: "75".into(),
            region: "11".into(),
            epci: None,
            population: 2_000_000,
            centre: None,
            postcodes: vec![],
        });
        let iris = "IRIS;COM;P21_POP65P\n751010101;75101;10\n751020101;75102;5\n";
        let f = parse("i.csv", iris.as_bytes(), &geo, &Options::default()).unwrap();
        assert_eq!(f.communes["75056"][&Field::Pop65Plus].value, 15.0);
        assert_eq!(f.iris["751010101"].commune, "75056");
        let communal = "CODGEO;P21_POP65P\n75056;300\n75101;10\n75102;5\n";
        let f = parse("c.csv", communal.as_bytes(), &geo, &Options::default()).unwrap();
        assert_eq!(f.communes["75056"][&Field::Pop65Plus].value, 300.0);
        assert_eq!((f.communes.len(), f.arrondissements), (1, 2));
        // Without the commune's own row, its arrondissements make it.
        let only = "Communes;Codes_Insee;ALL_RSA\nPARIS 1;75101;10\nPARIS 2;75102;7\n";
        let f = parse("c.csv", only.as_bytes(), &geo, &Options::default()).unwrap();
        assert_eq!(f.communes["75056"][&Field::RsaSocle].value, 17.0);
        assert_eq!(commune_of_arrondissement("69381"), Some("69123"));
        assert_eq!(commune_of_arrondissement("13217"), None);
    }

    #[test]
    fn census_vintage_is_the_latest_or_the_one_asked() {
        let text =
            "CODGEO;P21_POP;P21_POP65P;C21_POP15P;P15_POP;P15_POP65P\n35238;100;20.5;80;90;15\n";
        let f = parse_text(text).unwrap();
        assert_eq!(f.kind, FileKind::CensusPopulation);
        assert_eq!(f.vintage.as_deref(), Some("2021"));
        assert_eq!(f.communes["35238"][&Field::Pop65Plus].value, 20.5);
        assert_eq!(f.communes["35238"][&Field::Pop15Plus].value, 80.0);
        assert_eq!(
            f.fields,
            [Field::CensusPopulation, Field::Pop65Plus, Field::Pop15Plus]
        );
        let old = parse(
            "f.csv",
            text.as_bytes(),
            &geography(),
            &Options {
                vintage: Some("2015".into()),
            },
        )
        .unwrap();
        assert_eq!(old.communes["35238"][&Field::Pop65Plus].value, 15.0);
        assert_eq!(old.fields, [Field::CensusPopulation, Field::Pop65Plus]);
        let e = parse(
            "f.csv",
            text.as_bytes(),
            &geography(),
            &Options {
                vintage: Some("2019".into()),
            },
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("P19_POP65P"));
        assert!(e.message.contains("2015, 2021"), "{e}");
    }

    #[test]
    fn unknown_codes_former_communes_outside_rows_and_duplicates() {
        // A code of a loaded département that the 2026 reference lacks and
        // no merger explains: set aside and listed.
        let f = parse_text("CODGEO;P21_POP65P\n35999;3\n35238;4\n").unwrap();
        assert_eq!(f.unknown.iter().collect::<Vec<_>>(), ["35999"]);
        assert_eq!(f.communes.len(), 1);
        // Former communes of Lamballe-Armor (22154, 22173, merged in 2019)
        // add up into it.
        let f = parse_text("CODGEO;P21_POP65P\n22154;3\n22173;4\n").unwrap();
        assert_eq!(f.communes["22093"][&Field::Pop65Plus].value, 7.0);
        assert_eq!(f.merged, 2);
        // A commune of a département not loaded: left aside and counted.
        let f = parse_text("CODGEO;P21_POP65P\n75056;3\n35238;4\n").unwrap();
        assert_eq!((f.outside, f.communes.len()), (1, 1));
        let e = parse_text("CODGEO;P21_POP65P\n35238;3\n35238;4\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("déjà ligne 2"), "{e}");
        let e = parse_text("CODGEO;P21_POP65P\nRennes;3\n").unwrap_err();
        assert!(e.message.contains("n’est pas un code INSEE"), "{e}");
        let e = parse_text("CODGEO;P21_POP65P\n35238;-3\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("P21_POP65P"));
        assert!(describe(&e).starts_with("Fichier f.csv, ligne 2, colonne « P21_POP65P » :"));
    }

    #[test]
    fn secret_cells_are_counted_never_zero() {
        let text =
            "iris_code;note;a;aaah;appa;arsas\n\"352380101\";0;10;1;2;3\n\"352380102\";3;;;;\n";
        let f = parse(
            "caf_iris_2021.csv",
            text.as_bytes(),
            &geography(),
            &Options::default(),
        )
        .unwrap();
        assert_eq!((f.kind, f.level), (FileKind::CafBenefits, Level::Iris));
        assert_eq!(f.vintage.as_deref(), Some("2021"));
        assert_eq!(f.secret_cells, 3);
        let rennes = &f.communes["35238"];
        assert_eq!(
            rennes[&Field::Aah],
            Figure {
                value: 1.0,
                secret: 1,
                source: None
            }
        );
        assert_eq!(f.iris["352380102"].values[&Field::Aah], Figure::secret());
    }

    #[test]
    fn years_in_file_names() {
        assert_eq!(
            year_in_name("data_DEFM2019_com.csv").as_deref(),
            Some("2019")
        );
        assert_eq!(
            year_in_name("caf_iris_2021_bretagne.csv").as_deref(),
            Some("2021")
        );
        assert_eq!(year_in_name("export.csv"), None);
        assert_eq!(year_in_name("12021.csv"), None);
    }
}
