//! Parsing of reference files: the kind of file (régions, départements, EPCI
//! or communes) and the meaning of each column are read from the header, so
//! the bundled Bretagne files, the full-France commune file and files with
//! the usual INSEE/DGCL column names all load. Every row is checked before
//! anything is stored; an error names the file, the line and the field.

use std::collections::HashMap;
use std::fmt;

use crate::codes::{
    departement_of_commune, is_commune_code, is_departement_code, is_postcode, is_region_code,
    is_siren,
};
use crate::model::{
    CommuneColumns, CommuneRecord, DepartementRecord, EpciKind, EpciRecord, RegionRecord,
};

/// A parsed, fully validated reference file.
#[derive(Debug, Clone, PartialEq)]
pub enum ReferenceFile {
    Regions(Vec<RegionRecord>),
    Departements(Vec<DepartementRecord>),
    Epcis(Vec<EpciRecord>),
    Communes(Vec<CommuneRecord>, CommuneColumns),
}

impl ReferenceFile {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Regions(_) => "régions",
            Self::Departements(_) => "départements",
            Self::Epcis(_) => "EPCI",
            Self::Communes(..) => "communes",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Regions(r) => r.len(),
            Self::Departements(r) => r.len(),
            Self::Epcis(r) => r.len(),
            Self::Communes(r, _) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What is wrong with a reference file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    /// 1-based line of the file, when the problem is on one line.
    pub line: Option<u64>,
    /// Column name as written in the file's header, when one field is wrong.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", ligne {line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", champ « {field} »")?;
        }
        write!(f, " : {}", self.message)
    }
}

impl std::error::Error for ImportError {}

// Accepted column names, first the ones of our own files, then the usual
// INSEE / DGCL / data.gouv.fr spellings.
const COMMUNE_CODE: &[&str] = &[
    "code_insee",
    "code",
    "code_commune",
    "codgeo",
    "insee_com",
    "com",
];
const NAME: &[&str] = &["nom", "nom_commune", "libelle", "libgeo", "nom_com"];
const DEPARTEMENT: &[&str] = &["departement", "code_departement", "dep", "insee_dep"];
const REGION: &[&str] = &["region", "code_region", "reg", "insee_reg"];
const EPCI_SIREN: &[&str] = &["epci_code", "siren_epci", "code_epci", "epci", "siren"];
const EPCI_NAME: &[&str] = &["epci_nom", "nom_epci", "raison_sociale", "libepci"];
const EPCI_NATURE: &[&str] = &["type", "nature_juridique", "nature", "nj_epci"];
const EPCI_MEMBERS: &[&str] = &["communes_insee"];
const POPULATION: &[&str] = &["population", "pmun", "population_municipale"];
const POSTCODES: &[&str] = &["codes_postaux", "code_postal", "codes_postal"];
const LATITUDE: &[&str] = &["lat", "latitude"];
const LONGITUDE: &[&str] = &["lng", "lon", "long", "longitude"];

struct Header {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Header {
    fn new(record: &csv::StringRecord) -> Self {
        let names: Vec<String> = record.iter().map(|h| h.trim().to_string()).collect();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_lowercase(), i))
            .collect();
        Self { names, index }
    }

    fn find(&self, aliases: &[&str]) -> Option<usize> {
        aliases.iter().find_map(|a| self.index.get(*a).copied())
    }
}

/// Reads the cells of one row, producing errors that point at the cell.
struct Row<'a> {
    file: &'a str,
    line: u64,
    header: &'a Header,
    record: &'a csv::StringRecord,
}

impl<'a> Row<'a> {
    fn new(
        file: &'a str,
        header: &'a Header,
        (line, record): &'a (u64, csv::StringRecord),
    ) -> Self {
        Row {
            file,
            line: *line,
            header,
            record,
        }
    }

    fn error(&self, column: usize, message: impl Into<String>) -> ImportError {
        ImportError {
            file: self.file.to_string(),
            line: Some(self.line),
            field: Some(self.header.names[column].clone()),
            message: message.into(),
        }
    }

    fn text(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or("").trim()
    }

    fn optional(&self, column: Option<usize>) -> Option<&str> {
        column.map(|c| self.text(c)).filter(|v| !v.is_empty())
    }

    fn required(&self, column: usize) -> Result<&str, ImportError> {
        match self.text(column) {
            "" => Err(self.error(column, "ce champ est obligatoire et il est vide")),
            v => Ok(v),
        }
    }

    fn code(
        &self,
        column: usize,
        valid: fn(&str) -> bool,
        what: &str,
    ) -> Result<String, ImportError> {
        let value = self.required(column)?;
        if valid(value) {
            Ok(value.to_string())
        } else {
            Err(self.error(column, format!("« {value} » n’est pas {what}")))
        }
    }

    fn bounded<T>(
        &self,
        column: Option<usize>,
        range: std::ops::RangeInclusive<T>,
        what: &str,
    ) -> Result<Option<T>, ImportError>
    where
        T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
    {
        let value = self.number(column)?;
        match (value, column) {
            (Some(v), Some(c)) if !range.contains(&v) => {
                Err(self.error(c, format!("{v} n’est pas {what}")))
            }
            _ => Ok(value),
        }
    }

    fn number<T: std::str::FromStr>(
        &self,
        column: Option<usize>,
    ) -> Result<Option<T>, ImportError> {
        let Some(c) = column else { return Ok(None) };
        match self.text(c) {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| self.error(c, format!("« {v} » n’est pas un nombre"))),
        }
    }
}

/// A CSV reader for the files people have: a UTF-8 byte-order mark is
/// skipped, and the separator is `;` (as INSEE publishes) or `,` (as most
/// others do), whichever the header line uses more. Rows may have fewer
/// cells than the header.
pub fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let count = |c: u8| first_line.iter().filter(|b| **b == c).count();
    let delimiter = if count(b';') > count(b',') {
        b';'
    } else {
        b','
    };
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes)
}

/// Parses a reference file. `file` names it in error messages.
pub fn parse_reference_file(file: &str, bytes: &[u8]) -> Result<ReferenceFile, ImportError> {
    let file_error = |message: String| ImportError {
        file: file.to_string(),
        line: None,
        field: None,
        message,
    };
    let mut reader = csv_reader(bytes);
    let header = Header::new(
        reader
            .headers()
            .map_err(|e| file_error(format!("ligne d’en-tête illisible : {e}")))?,
    );
    let has = |aliases: &[&str]| header.find(aliases).is_some();
    let kind = if has(EPCI_MEMBERS) {
        Kind::Epcis
    } else if has(DEPARTEMENT) {
        Kind::Communes
    } else if has(REGION) {
        Kind::Departements
    } else if has(&["code"]) && has(NAME) {
        Kind::Regions
    } else {
        return Err(file_error(format!(
            "en-tête non reconnu ({}) : un fichier de communes (code_insee, nom, departement, …), \
             d’EPCI (epci_code, epci_nom, communes_insee, …), de départements \
             (code, nom, region) ou de régions (code, nom) est attendu",
            header.names.join(", ")
        )));
    };
    let required = |aliases: &[&str]| {
        header.find(aliases).ok_or_else(|| {
            file_error(format!(
                "colonne manquante : ce fichier ressemble à un fichier {} mais n’a pas de colonne « {} »",
                kind.label(),
                aliases[0]
            ))
        })
    };

    let mut rows = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| ImportError {
            file: file.to_string(),
            line: e.position().map(|p| p.line()),
            field: None,
            message: format!("CSV mal formé : {e}"),
        })?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        rows.push((line, record));
    }
    if rows.is_empty() {
        return Err(file_error(
            "le fichier a un en-tête mais aucune ligne".into(),
        ));
    }
    let row = |entry| Row::new(file, &header, entry);

    let parsed = match kind {
        Kind::Regions => {
            let (code, nom) = (required(&["code"])?, required(NAME)?);
            let mut out = Vec::new();
            for r in rows.iter().map(row) {
                out.push(RegionRecord {
                    code: r.code(
                        code,
                        is_region_code,
                        "un code de région (deux ou trois chiffres)",
                    )?,
                    nom: r.required(nom)?.to_string(),
                });
            }
            check_unique(file, &rows, &out, |r| &r.code, "code")?;
            ReferenceFile::Regions(out)
        }
        Kind::Departements => {
            let (code, nom, region) = (required(&["code"])?, required(NAME)?, required(REGION)?);
            let mut out = Vec::new();
            for r in rows.iter().map(row) {
                out.push(DepartementRecord {
                    line: r.line,
                    code: r.code(
                        code,
                        is_departement_code,
                        "un code de département (29, 2A, 974…)",
                    )?,
                    nom: r.required(nom)?.to_string(),
                    region: r.code(
                        region,
                        is_region_code,
                        "un code de région (deux ou trois chiffres)",
                    )?,
                });
            }
            check_unique(file, &rows, &out, |r| &r.code, "code")?;
            ReferenceFile::Departements(out)
        }
        Kind::Epcis => {
            let siren = required(EPCI_SIREN)?;
            let nom = header
                .find(EPCI_NAME)
                .or_else(|| header.find(NAME))
                .ok_or_else(|| {
                    file_error(
                        "colonne manquante : un fichier d’EPCI a besoin de « epci_nom »".into(),
                    )
                })?;
            let nature = header.find(EPCI_NATURE);
            let members = required(EPCI_MEMBERS)?;
            let mut out = Vec::new();
            for r in rows.iter().map(row) {
                let mut list = Vec::new();
                for code in r
                    .required(members)?
                    .split([';', '|', ' '])
                    .filter(|c| !c.is_empty())
                {
                    if !is_commune_code(code) {
                        return Err(r.error(
                            members,
                            format!("« {code} » n’est pas un code INSEE de commune"),
                        ));
                    }
                    list.push(code.to_string());
                }
                out.push(EpciRecord {
                    line: r.line,
                    siren: r.code(siren, is_siren, "un SIREN (neuf chiffres)")?,
                    nom: r.required(nom)?.to_string(),
                    nature: r
                        .optional(nature)
                        .map(|code| {
                            EpciKind::parse(code).ok_or_else(|| {
                                r.error(
                                    nature.unwrap_or_default(),
                                    format!(
                                        "« {code} » n’est pas une nature d’EPCI (CC, CA, CU, METRO, MET69 ou EPT)"
                                    ),
                                )
                            })
                        })
                        .transpose()?,
                    members: list,
                });
            }
            check_unique(file, &rows, &out, |r| &r.siren, &header.names[siren])?;
            ReferenceFile::Epcis(out)
        }
        Kind::Communes => {
            let code = required(COMMUNE_CODE)?;
            let nom = required(NAME)?;
            let departement = required(DEPARTEMENT)?;
            let epci = header.find(EPCI_SIREN);
            let epci_nom = header.find(EPCI_NAME);
            let population = header.find(POPULATION);
            let postcodes = header.find(POSTCODES);
            let (lat, lng) = (header.find(LATITUDE), header.find(LONGITUDE));
            let mut out = Vec::new();
            for r in rows.iter().map(row) {
                let code_value = r.code(
                    code,
                    is_commune_code,
                    "un code INSEE de commune (29232, 2A004…)",
                )?;
                let dep = r.code(
                    departement,
                    is_departement_code,
                    "un code de département (29, 2A, 974…)",
                )?;
                if departement_of_commune(&code_value) != dep {
                    return Err(r.error(
                        departement,
                        format!(
                            "la commune {code_value} ne peut pas être dans le département {dep}"
                        ),
                    ));
                }
                let epci_siren = match r.optional(epci) {
                    Some(s) if is_siren(s) => Some(s.to_string()),
                    Some(s) => {
                        return Err(r.error(
                            epci.unwrap_or(0),
                            format!("« {s} » n’est pas un SIREN (neuf chiffres)"),
                        ));
                    }
                    None => None,
                };
                let population_value =
                    r.bounded(population, 0..=i64::MAX, "une population (zéro ou plus)")?;
                let latitude = r.bounded(lat, -90.0..=90.0, "une latitude (de -90 à 90)")?;
                let longitude = r.bounded(lng, -180.0..=180.0, "une longitude (de -180 à 180)")?;
                let mut postcode_list = Vec::new();
                if let Some(c) = postcodes {
                    for p in r.text(c).split([';', '|', ' ']).filter(|p| !p.is_empty()) {
                        if !is_postcode(p) {
                            return Err(r.error(
                                c,
                                format!("« {p} » n’est pas un code postal (cinq chiffres)"),
                            ));
                        }
                        postcode_list.push(p.to_string());
                    }
                }
                out.push(CommuneRecord {
                    line: r.line,
                    code: code_value,
                    nom: r.required(nom)?.to_string(),
                    departement: dep,
                    epci_nom: epci_siren
                        .as_ref()
                        .and(r.optional(epci_nom))
                        .map(str::to_string),
                    epci_siren,
                    population: population_value,
                    postcodes: postcode_list,
                    latitude,
                    longitude,
                });
            }
            check_unique(file, &rows, &out, |r| &r.code, &header.names[code])?;
            let columns = CommuneColumns {
                epci: epci.is_some(),
                population: population.is_some(),
                postcodes: postcodes.is_some(),
                coordinates: lat.is_some() && lng.is_some(),
            };
            ReferenceFile::Communes(out, columns)
        }
    };
    Ok(parsed)
}

#[derive(Clone, Copy)]
enum Kind {
    Regions,
    Departements,
    Epcis,
    Communes,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Regions => "de régions",
            Self::Departements => "de départements",
            Self::Epcis => "d’EPCI",
            Self::Communes => "de communes",
        }
    }
}

/// A code twice in one file is an error naming both lines: silently keeping
/// one of them would hide a broken extract.
fn check_unique<T>(
    file: &str,
    rows: &[(u64, csv::StringRecord)],
    records: &[T],
    key: impl Fn(&T) -> &String,
    field: &str,
) -> Result<(), ImportError> {
    let mut seen: HashMap<&String, u64> = HashMap::with_capacity(records.len());
    for (record, (line, _)) in records.iter().zip(rows) {
        if let Some(first) = seen.insert(key(record), *line) {
            return Err(ImportError {
                file: file.to_string(),
                line: Some(*line),
                field: Some(field.to_string()),
                message: format!("{} figure déjà ligne {first}", key(record)),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ReferenceFile, ImportError> {
        parse_reference_file("test.csv", text.as_bytes())
    }

    #[test]
    fn reads_the_bretagne_commune_layout() {
        let file = parse(
            "code_insee,nom,departement,epci_code,epci_nom,population,codes_postaux,lat,lng\n\
             29232,Quimper,29,242900314,CA Quimper Bretagne Occidentale,63513,29000,47.9967,-4.0964\n\
             22016,Île-de-Bréhat,22,,,429,22870,48.85,-3.0083\n",
        )
        .unwrap();
        let ReferenceFile::Communes(c, columns) = file else {
            panic!("not communes")
        };
        assert!(columns.epci && columns.population && columns.postcodes && columns.coordinates);
        assert_eq!(c[0].code, "29232");
        assert_eq!(c[0].epci_siren.as_deref(), Some("242900314"));
        assert_eq!(
            c[0].epci_nom.as_deref(),
            Some("CA Quimper Bretagne Occidentale")
        );
        assert_eq!(c[0].population, Some(63513));
        assert_eq!(c[0].postcodes, vec!["29000".to_string()]);
        assert_eq!((c[0].line, c[1].line), (2, 3));
        assert_eq!(c[1].epci_siren, None);
        assert_eq!(c[1].epci_nom, None);
    }

    #[test]
    fn reads_the_france_layout_without_postcodes_or_epci_names() {
        let file = parse(
            "code,nom,departement,region,epci_code,population,lat,lng\n\
             2A004,Ajaccio,2A,94,242010056,71361,41.9267,8.7369\n\
             97411,Saint-Denis,974,04,249740119,,,\n",
        )
        .unwrap();
        let ReferenceFile::Communes(c, columns) = file else {
            panic!("not communes")
        };
        assert!(!columns.postcodes, "no column: keep what is stored");
        assert!(columns.epci && columns.coordinates);
        assert_eq!(c[0].epci_nom, None);
        assert_eq!(c[1].population, None);
        assert_eq!(c[1].latitude, None);
    }

    #[test]
    fn reads_semicolon_files_with_a_bom() {
        let file = parse("\u{feff}CODGEO;LIBGEO;DEP\n29019;Brest;29\n").unwrap();
        assert_eq!(file.kind(), "communes");
        assert_eq!(file.len(), 1);
    }

    #[test]
    fn reads_epci_departement_and_region_files() {
        let epci = parse(
            "epci_code,epci_nom,type,communes_insee\n242900314,CA Quimper Bretagne Occidentale,CA,29232;29020\n",
        )
        .unwrap();
        let ReferenceFile::Epcis(e) = epci else {
            panic!()
        };
        assert_eq!(e[0].members, vec!["29232", "29020"]);
        assert_eq!(e[0].nature, Some(crate::EpciKind::CommunauteDAgglomeration));
        assert_eq!(
            parse("code,nom,region\n29,Finistère,53\n").unwrap().kind(),
            "départements"
        );
        assert_eq!(parse("code,nom\n53,Bretagne\n").unwrap().kind(), "régions");
    }

    #[test]
    fn an_unknown_epci_nature_is_refused_in_french() {
        let err = parse("epci_code,epci_nom,type,communes_insee\n200068120,Quimper Bretagne Occidentale,SIVU,29232\n")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.csv, ligne 2, champ « type » : « SIVU » n’est pas une nature d’EPCI (CC, CA, CU, METRO, MET69 ou EPT)"
        );
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let text = "code_insee,nom,departement,population\n29232,Quimper,29,63513\n29019,Brest,29,beaucoup\n";
        let err = parse(text).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.field.as_deref(), Some("population"));
        assert_eq!(
            err.to_string(),
            "test.csv, ligne 3, champ « population » : « beaucoup » n’est pas un nombre"
        );

        let err = parse("code_insee,nom,departement\n2923,Quimper,29\n").unwrap_err();
        assert_eq!(
            (err.line, err.field.as_deref()),
            (Some(2), Some("code_insee"))
        );

        let err = parse("code_insee,nom,departement\n29232,Quimper,35\n").unwrap_err();
        assert!(
            err.message
                .contains("ne peut pas être dans le département 35"),
            "{err}"
        );

        let err = parse("code_insee,nom,departement\n29232,,29\n").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("nom"));

        let err = parse("code_insee,nom,departement,lat\n29232,Quimper,29,147.9\n").unwrap_err();
        assert!(err.message.contains("latitude"), "{err}");

        let err = parse("code_insee,nom,departement,codes_postaux\n29232,Quimper,29,29000;2900\n")
            .unwrap_err();
        assert!(
            err.message.contains("« 2900 » n’est pas un code postal"),
            "{err}"
        );
    }

    #[test]
    fn duplicates_name_both_lines() {
        let err = parse(
            "code_insee,nom,departement\n29232,Quimper,29\n29019,Brest,29\n29232,Quimper,29\n",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.message.contains("ligne 2"), "{err}");
    }

    #[test]
    fn unknown_layouts_and_missing_columns_are_explained() {
        let err = parse("foo,bar\n1,2\n").unwrap_err();
        assert!(
            err.message.starts_with("en-tête non reconnu (foo, bar)"),
            "{err}"
        );
        let err = parse("code_insee,departement\n29232,29\n").unwrap_err();
        assert!(err.message.contains("n’a pas de colonne « nom »"), "{err}");
        let err = parse("code_insee,nom,departement\n").unwrap_err();
        assert!(err.message.contains("aucune ligne"), "{err}");
    }
}
