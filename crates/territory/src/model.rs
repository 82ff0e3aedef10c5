//! Records written by importers and read models returned by look-ups.

use serde::Serialize;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A région (or a collectivité d'outre-mer, which the COG lists at that level).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRecord {
    pub code: String,
    pub nom: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DepartementRecord {
    pub line: u64,
    pub code: String,
    pub nom: String,
    pub region: String,
}

/// An EPCI as an EPCI file describes it. `members` may include communes of
/// other régions that are not loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct EpciRecord {
    pub line: u64,
    pub siren: String,
    pub nom: String,
    pub nature: Option<String>,
    pub members: Vec<String>,
}

/// Which optional columns a commune file has. A column the file lacks leaves
/// what is stored untouched; a column it has is authoritative, empty cells
/// included (an empty EPCI cell means "belongs to no EPCI").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommuneColumns {
    pub epci: bool,
    pub population: bool,
    pub postcodes: bool,
    pub coordinates: bool,
}

/// A commune as a commune file describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneRecord {
    /// Line of the file, for errors found when storing.
    pub line: u64,
    pub code: String,
    pub nom: String,
    pub departement: String,
    pub epci_siren: Option<String>,
    pub epci_nom: Option<String>,
    pub population: Option<i64>,
    pub postcodes: Vec<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// The legal nature of an EPCI, from its DGCL code.
pub fn epci_nature_label(nature: &str) -> &'static str {
    match nature {
        "CC" => "Communauté de communes",
        "CA" => "Communauté d'agglomération",
        "CU" => "Communauté urbaine",
        "METRO" | "MET" => "Métropole",
        "MET69" => "Métropole de Lyon",
        "EPT" => "Établissement public territorial",
        _ => "Intercommunalité",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RegionRef {
    pub code: String,
    pub nom: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DepartementRef {
    pub code: String,
    pub nom: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EpciRef {
    /// SIREN of the EPCI.
    pub siren: String,
    /// Name; absent when only a commune file without EPCI names was loaded.
    pub nom: Option<String>,
}

/// A commune with its parents, as a search result or a full record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Commune {
    /// INSEE code (code officiel géographique).
    pub code: String,
    pub nom: String,
    pub postcodes: Vec<String>,
    /// INSEE legal municipal population; absent when the source has none.
    pub population: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub departement: DepartementRef,
    pub region: RegionRef,
    /// Absent for the few communes that belong to no EPCI (some islands).
    pub epci: Option<EpciRef>,
}

/// One line of a list of communes inside an EPCI or a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CommuneSummary {
    pub code: String,
    pub nom: String,
    pub population: Option<i64>,
    pub postcodes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Epci {
    pub siren: String,
    pub nom: Option<String>,
    /// DGCL nature code: CC, CA, CU, METRO…
    pub nature: Option<String>,
    /// Sum of the populations of the member communes loaded.
    pub population: i64,
    /// Number of member communes according to the EPCI file, including those
    /// of other régions that may not be loaded.
    pub communes_declared: Option<i64>,
    pub departements: Vec<DepartementRef>,
    pub communes: Vec<CommuneSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EpciSummary {
    pub siren: String,
    pub nom: Option<String>,
    pub nature: Option<String>,
    /// Member communes loaded in this département.
    pub communes: i64,
    /// Population of those communes.
    pub population: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Departement {
    pub code: String,
    pub nom: String,
    pub region: RegionRef,
    pub population: i64,
    pub communes: i64,
    /// EPCI with at least one member commune in the département.
    pub epcis: Vec<EpciSummary>,
    /// Communes of the département that belong to no EPCI.
    pub communes_without_epci: Vec<CommuneSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DepartementSummary {
    pub code: String,
    pub nom: String,
    pub population: i64,
    pub communes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Region {
    pub code: String,
    pub nom: String,
    pub population: i64,
    pub communes: i64,
    pub departements: Vec<DepartementSummary>,
}

/// A région with its loaded totals, for overviews.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RegionSummary {
    pub code: String,
    pub nom: String,
    pub population: i64,
    pub communes: i64,
}
