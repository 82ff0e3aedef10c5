//! Importers for the official files the needs come from, recognised by
//! their header:
//!
//! - INSEE census, "base communale" `base-cc-evol-struct-pop-20yy`
//!   (`CODGEO`, `Pyy_POP`, `Pyy_POP65P`…) or its "base infracommunale"
//!   IRIS version (`IRIS`, `COM`, …, summed by commune);
//! - INSEE census `base-cc-diplomes-formation-20yy` (`CODGEO`,
//!   `Pyy_NSCOL15P`, `Pyy_NSCOL15P_DIPLMIN`…) or its IRIS version;
//! - CAF per-commune files of data.caf.fr (`Communes`, `Codes_Insee`,
//!   `NB_Allocataires`, `ALL_AAH` or `ALL_RSA`…): households receiving a
//!   minimum social benefit;
//! - France Travail job seekers per commune: a commune-code column and one
//!   column of categories A, B, C (see `docs/diagnostic.md` for what is
//!   recognised and why).
//!
//! The census vintage is chosen by column prefix (`P21_` is the 2021
//! census): the most recent in the file, or the one asked for. A file is
//! parsed entirely before anything is applied; the first problem is returned
//! with file, line and field.

use std::collections::{BTreeMap, HashSet};

use passerelle_territory::ImportError;
use passerelle_territory::codes::{departement_of_commune, is_commune_code};

use crate::geo::Geography;
use crate::needs::{CommuneNeeds, Indicators, SourceNote};

/// Which official file a header belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// `base-cc-evol-struct-pop` (or IRIS): population by age.
    CensusPopulation,
    /// `base-cc-diplomes-formation` (or IRIS): diplomas.
    CensusDiplomas,
    /// CAF households receiving one or more minima sociaux.
    CafMinima,
    /// France Travail job seekers, categories A, B, C.
    JobSeekers,
}

impl FileKind {
    pub fn label(&self) -> &'static str {
        match self {
            FileKind::CensusPopulation => "INSEE, population par âge (base-cc-evol-struct-pop)",
            FileKind::CensusDiplomas => "INSEE, diplômes et formation (base-cc-diplomes-formation)",
            FileKind::CafMinima => "CAF, allocataires de minima sociaux par commune",
            FileKind::JobSeekers => "France Travail, demandeurs d'emploi (catégories A, B, C)",
        }
    }
}

/// One figure a file gives for a commune.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Pop65Plus,
    OutOfSchool15Plus,
    NoDiploma,
    /// A minimum social benefit, by its CAF short name (`RSA`, `AAH`).
    Minimum(String),
    JobSeekers,
}

impl Field {
    /// The field a stored key names (the inverse of `key`).
    pub fn from_key(key: &str) -> Option<Field> {
        Some(match key {
            "pop_65_plus" => Field::Pop65Plus,
            "out_of_school_15_plus" => Field::OutOfSchool15Plus,
            "no_diploma" => Field::NoDiploma,
            "job_seekers" => Field::JobSeekers,
            other => Field::Minimum(other.strip_prefix("minima_sociaux:")?.to_string()),
        })
    }

    /// Sets this field of `needs` (`None` clears it).
    pub fn set(&self, needs: &mut CommuneNeeds, value: Option<f64>) {
        match self {
            Field::Pop65Plus => needs.pop_65_plus = value,
            Field::OutOfSchool15Plus => needs.out_of_school_15_plus = value,
            Field::NoDiploma => needs.no_diploma = value,
            Field::JobSeekers => needs.job_seekers = value,
            Field::Minimum(b) => match value {
                Some(v) => {
                    needs.minima_sociaux.insert(b.clone(), v);
                }
                None => {
                    needs.minima_sociaux.remove(b);
                }
            },
        }
    }

    pub fn key(&self) -> String {
        match self {
            Field::Pop65Plus => "pop_65_plus".into(),
            Field::OutOfSchool15Plus => "out_of_school_15_plus".into(),
            Field::NoDiploma => "no_diploma".into(),
            Field::Minimum(b) => format!("minima_sociaux:{b}"),
            Field::JobSeekers => "job_seekers".into(),
        }
    }
}

/// A parsed file, not yet applied.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorFile {
    pub file: String,
    pub kind: FileKind,
    /// Census year (`2021`) when the columns carry one.
    pub vintage: Option<String>,
    /// Per commune, the value of each field (`None`: cell empty in the
    /// file, the figure is not published for that commune).
    pub communes: BTreeMap<String, BTreeMap<Field, Option<f64>>>,
    /// Rows of communes of départements that are not loaded, left aside.
    pub outside: usize,
    /// Rows of arrondissements municipaux in a communal file: summed into
    /// their commune when it has no row of its own, else left aside.
    pub arrondissements: usize,
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

impl IndicatorFile {
    pub fn fields(&self) -> Vec<Field> {
        let mut all: Vec<Field> = self
            .communes
            .values()
            .flat_map(|f| f.keys().cloned())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        all.sort();
        all
    }

    /// Writes the figures into `indicators`. A column present in the file is
    /// authoritative for the communes it lists (an empty cell clears).
    pub fn apply(&self, indicators: &mut Indicators) {
        for (code, fields) in &self.communes {
            let needs = indicators.entry(code);
            for (field, value) in fields {
                field.set(needs, *value);
            }
        }
        for field in self.fields() {
            indicators.note(SourceNote {
                indicator: field.key(),
                vintage: self.vintage.clone(),
                file: self.file.clone(),
            });
        }
    }
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Census vintage to read (`2021` or `21`); default the most recent.
    pub vintage: Option<String>,
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

/// The header of a file, looked up case-insensitively.
pub(crate) struct Header {
    pub names: Vec<String>,
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
                Some(1),
                Some(name),
                format!("column {name} is missing"),
            )
        })
    }
}

/// Reads a `;` or `,` separated file (whichever the header uses most),
/// returning the header and the records with their 1-based line numbers.
/// A UTF-8 byte-order mark is ignored; Latin-1 files are refused with a
/// message saying so.
pub(crate) fn read_table(
    file: &str,
    bytes: &[u8],
) -> Result<(Header, Vec<(u64, csv::StringRecord)>), ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(error(
            file,
            None,
            None,
            "the file is not UTF-8 (INSEE also publishes Latin-1 copies: convert it, e.g. `iconv -f latin1 -t utf-8`)",
        ));
    }
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| first.iter().filter(|b| **b == c).count();
    let delimiter = if count(b';') >= count(b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let names = reader
        .headers()
        .map_err(|e| error(file, Some(1), None, format!("unreadable header: {e}")))?
        .iter()
        .map(|h| h.trim().trim_matches('"').to_string())
        .collect::<Vec<_>>();
    if names.iter().all(|n| n.is_empty()) {
        return Err(error(file, None, None, "the file is empty"));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            error(file, line, None, format!("unreadable row: {e}"))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push((line, record));
    }
    Ok((Header { names }, rows))
}

/// A count: empty is `None`, otherwise a non-negative number (decimal point
/// or comma).
pub(crate) fn count(
    file: &str,
    line: u64,
    field: &str,
    raw: &str,
) -> Result<Option<f64>, ImportError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let value: f64 = raw.replace(',', ".").parse().map_err(|_| {
        error(
            file,
            Some(line),
            Some(field),
            format!("{raw:?} is not a number"),
        )
    })?;
    if !value.is_finite() || value < 0.0 {
        return Err(error(
            file,
            Some(line),
            Some(field),
            format!("{raw} is not a count (negative or not finite)"),
        ));
    }
    Ok(Some(value))
}

/// The census years present for a column suffix: `P21_POP65P` → `21`.
fn census_years(header: &Header, suffix: &str) -> Vec<String> {
    let mut years: Vec<String> = header
        .names
        .iter()
        .filter_map(|n| {
            let upper = n.to_ascii_uppercase();
            let rest = upper.strip_prefix('P')?;
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
    let years = census_years(header, suffix);
    match wanted {
        None => years
            .last()
            .cloned()
            .ok_or_else(|| error(file, Some(1), None, format!("no column Pyy_{suffix}"))),
        Some(w) => {
            let yy = if w.len() == 4 { &w[2..] } else { w };
            if years.iter().any(|y| y == yy) {
                Ok(yy.to_string())
            } else {
                Err(error(
                    file,
                    Some(1),
                    Some(&format!("P{yy}_{suffix}")),
                    format!(
                        "the file has no {w} census column; it has {}",
                        if years.is_empty() {
                            "none".to_string()
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

fn recognise(header: &Header) -> Option<FileKind> {
    if !census_years(header, "POP65P").is_empty() {
        Some(FileKind::CensusPopulation)
    } else if !census_years(header, "NSCOL15P_DIPLMIN").is_empty() {
        Some(FileKind::CensusDiplomas)
    } else if header.find("Codes_Insee").is_some()
        && header
            .names
            .iter()
            .any(|n| n.to_ascii_uppercase().starts_with("ALL_"))
    {
        Some(FileKind::CafMinima)
    } else if job_seeker_column(header).is_some() {
        Some(FileKind::JobSeekers)
    } else {
        None
    }
}

/// CAF benefits that are minima sociaux, by the suffix of their `ALL_`
/// column. Other CAF columns (family benefits, housing) are not needs here.
pub const CAF_MINIMA: &[&str] = &["RSA", "AAH"];

/// Commune-code columns accepted for job-seeker files.
const JOB_SEEKER_CODE: &[&str] = &[
    "CODGEO",
    "Code commune",
    "code_commune",
    "Codes_Insee",
    "code_insee",
    "COM",
];

fn job_seeker_column(header: &Header) -> Option<usize> {
    header.find_any(JOB_SEEKER_CODE)?;
    let abc: Vec<usize> = (0..header.names.len())
        .filter(|&i| {
            let n = header.names[i].to_ascii_uppercase();
            n.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == "ABC")
        })
        .collect();
    (abc.len() == 1).then(|| abc[0])
}

/// Parses an indicator file; `geography` tells which codes are known.
pub fn parse(
    file: &str,
    bytes: &[u8],
    geography: &Geography,
    options: &Options,
) -> Result<IndicatorFile, ImportError> {
    let (header, rows) = read_table(file, bytes)?;
    let kind = recognise(&header).ok_or_else(|| {
        error(
            file,
            Some(1),
            None,
            "unrecognised header: expected an INSEE base-cc-evol-struct-pop file (CODGEO, Pyy_POP65P…), an INSEE base-cc-diplomes-formation file (CODGEO, Pyy_NSCOL15P_DIPLMIN…), a CAF per-commune file (Codes_Insee, ALL_RSA or ALL_AAH…) or a France Travail file (a commune code and one column of categories ABC)",
        )
    })?;
    let required = |name: &str| header.require(file, name);
    // (column, field) pairs to read, and the commune-code column.
    let mut columns: Vec<(usize, Field)> = Vec::new();
    let mut vintage = None;
    let iris = header.find("IRIS").is_some();
    let code_column = match kind {
        FileKind::CensusPopulation | FileKind::CensusDiplomas => {
            let (suffixes, anchor): (&[(&str, Field)], &str) = if kind == FileKind::CensusPopulation
            {
                (&[("POP65P", Field::Pop65Plus)], "POP65P")
            } else {
                (
                    &[
                        ("NSCOL15P", Field::OutOfSchool15Plus),
                        ("NSCOL15P_DIPLMIN", Field::NoDiploma),
                    ],
                    "NSCOL15P_DIPLMIN",
                )
            };
            let yy = choose_year(file, &header, anchor, options.vintage.as_deref())?;
            for (suffix, field) in suffixes {
                columns.push((required(&format!("P{yy}_{suffix}"))?, field.clone()));
            }
            vintage = Some(format!("20{yy}"));
            if iris {
                required("COM")?
            } else {
                required("CODGEO")?
            }
        }
        FileKind::CafMinima => {
            for (i, name) in header.names.iter().enumerate() {
                let upper = name.to_ascii_uppercase();
                if let Some(benefit) = upper.strip_prefix("ALL_")
                    && CAF_MINIMA.contains(&benefit)
                {
                    columns.push((i, Field::Minimum(benefit.to_string())));
                }
            }
            if columns.is_empty() {
                return Err(error(
                    file,
                    Some(1),
                    None,
                    format!(
                        "no minimum social benefit column: expected one of {}",
                        CAF_MINIMA
                            .iter()
                            .map(|b| format!("ALL_{b}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            required("Codes_Insee")?
        }
        FileKind::JobSeekers => {
            let c = job_seeker_column(&header).expect("recognised");
            columns.push((c, Field::JobSeekers));
            header.find_any(JOB_SEEKER_CODE).expect("recognised")
        }
    };
    let code_name = header.names[code_column].clone();
    let loaded_departements: HashSet<&str> = geography
        .communes
        .iter()
        .map(|c| c.departement.as_str())
        .collect();
    let mut communes: BTreeMap<String, BTreeMap<Field, Option<f64>>> = BTreeMap::new();
    let mut outside = 0;
    let mut arrondissements = 0;
    let mut by_arrondissements: BTreeMap<String, BTreeMap<Field, Option<f64>>> = BTreeMap::new();
    let mut seen_lines: BTreeMap<String, u64> = BTreeMap::new();
    for (line, record) in &rows {
        let raw_code = record.get(code_column).unwrap_or("").trim();
        // Spreadsheets drop the leading zero of départements 01–09.
        let code = if raw_code.len() == 4 && raw_code.bytes().all(|b| b.is_ascii_digit()) {
            format!("0{raw_code}")
        } else {
            raw_code.to_string()
        };
        if !is_commune_code(&code) {
            return Err(error(
                file,
                Some(*line),
                Some(&code_name),
                format!("{raw_code:?} is not an INSEE commune code"),
            ));
        }
        // Paris, Lyon and Marseille are divided into arrondissements
        // municipaux: IRIS files give those codes (added to the commune);
        // communal files may list them beside the commune (left aside, the
        // commune's own row counts).
        let (code, summed) = match commune_of_arrondissement(&code) {
            Some(commune) => (commune.to_string(), true),
            None => (code, iris),
        };
        if !geography.contains(&code) {
            if loaded_departements.contains(departement_of_commune(&code)) {
                return Err(error(
                    file,
                    Some(*line),
                    Some(&code_name),
                    format!(
                        "commune {code} is unknown to the territorial reference (a code of another geography year? load the matching commune file first)"
                    ),
                ));
            }
            outside += 1;
            continue;
        }
        if !summed && let Some(first) = seen_lines.insert(code.clone(), *line) {
            return Err(error(
                file,
                Some(*line),
                Some(&code_name),
                format!("commune {code} is already on line {first}"),
            ));
        }
        // Arrondissements of a communal file are summed apart, in case the
        // commune has no row of its own.
        let target = if summed && !iris {
            arrondissements += 1;
            &mut by_arrondissements
        } else {
            &mut communes
        };
        let entry = target.entry(code).or_default();
        for (column, field) in &columns {
            let name = &header.names[*column];
            let value = count(file, *line, name, record.get(*column).unwrap_or(""))?;
            let slot = entry
                .entry(field.clone())
                .or_insert(if summed { Some(0.0) } else { None });
            *slot = match (summed, *slot, value) {
                // Parts add up; one unpublished part makes the commune unknown.
                (true, Some(sum), Some(v)) => Some(sum + v),
                (true, _, _) => None,
                (false, _, v) => v,
            };
        }
    }
    for (code, fields) in by_arrondissements {
        communes.entry(code).or_insert(fields);
    }
    Ok(IndicatorFile {
        file: file.to_string(),
        kind,
        vintage,
        communes,
        outside,
        arrondissements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CommuneGeo;

    fn geography() -> Geography {
        let mut geo = Geography::default();
        for (code, dep) in [("35238", "35"), ("35047", "35"), ("29019", "29")] {
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
    fn arrondissements_fold_into_their_commune_in_iris_files_only() {
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
        assert_eq!(f.communes["75056"][&Field::Pop65Plus], Some(15.0));
        let communal = "CODGEO;P21_POP65P\n75056;300\n75101;10\n75102;5\n";
        let f = parse("c.csv", communal.as_bytes(), &geo, &Options::default()).unwrap();
        assert_eq!(f.communes["75056"][&Field::Pop65Plus], Some(300.0));
        assert_eq!((f.communes.len(), f.arrondissements), (1, 2));
        // Without the commune's own row, its arrondissements make it.
        let only = "Communes;Codes_Insee;ALL_RSA\nPARIS 1;75101;10\nPARIS 2;75102;7\n";
        let f = parse("c.csv", only.as_bytes(), &geo, &Options::default()).unwrap();
        assert_eq!(
            f.communes["75056"][&Field::Minimum("RSA".into())],
            Some(17.0)
        );
        assert_eq!(commune_of_arrondissement("69381"), Some("69123"));
        assert_eq!(commune_of_arrondissement("13217"), None);
    }

    #[test]
    fn field_keys_round_trip() {
        for f in [
            Field::Pop65Plus,
            Field::OutOfSchool15Plus,
            Field::NoDiploma,
            Field::JobSeekers,
            Field::Minimum("RSA".into()),
        ] {
            assert_eq!(Field::from_key(&f.key()), Some(f));
        }
        assert_eq!(Field::from_key("population"), None);
    }

    #[test]
    fn census_vintage_is_the_latest_or_the_one_asked() {
        let text = "CODGEO;P21_POP;P21_POP65P;P15_POP;P15_POP65P\n35238;100;20.5;90;15\n";
        let f = parse_text(text).unwrap();
        assert_eq!(f.kind, FileKind::CensusPopulation);
        assert_eq!(f.vintage.as_deref(), Some("2021"));
        assert_eq!(f.communes["35238"][&Field::Pop65Plus], Some(20.5));
        let old = parse(
            "f.csv",
            text.as_bytes(),
            &geography(),
            &Options {
                vintage: Some("2015".into()),
            },
        )
        .unwrap();
        assert_eq!(old.communes["35238"][&Field::Pop65Plus], Some(15.0));
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
    fn unknown_codes_outside_rows_and_duplicates() {
        // A commune of a loaded département that the reference lacks: error.
        let e = parse_text("CODGEO;P21_POP65P\n35999;3\n").unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("CODGEO")));
        assert!(e.message.contains("35999"), "{e}");
        // A commune of a département not loaded: left aside and counted.
        let f = parse_text("CODGEO;P21_POP65P\n75056;3\n35238;4\n").unwrap();
        assert_eq!((f.outside, f.communes.len()), (1, 1));
        let e = parse_text("CODGEO;P21_POP65P\n35238;3\n35238;4\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("already on line 2"), "{e}");
        let e = parse_text("CODGEO;P21_POP65P\nRennes;3\n").unwrap_err();
        assert!(e.message.contains("not an INSEE commune code"), "{e}");
    }
}
