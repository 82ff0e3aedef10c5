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
    pub nature: Option<EpciKind>,
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

/// The legal nature of an EPCI, as the DGCL codes it (`CC`, `CA`, `CU`,
/// `METRO`, `MET69`, `EPT`); serialised as that code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum EpciKind {
    #[serde(rename = "CC")]
    CommunauteDeCommunes,
    #[serde(rename = "CA")]
    CommunauteDAgglomeration,
    #[serde(rename = "CU")]
    CommunauteUrbaine,
    #[serde(rename = "METRO")]
    Metropole,
    #[serde(rename = "MET69")]
    MetropoleDeLyon,
    #[serde(rename = "EPT")]
    EtablissementPublicTerritorial,
}

impl EpciKind {
    pub const ALL: [EpciKind; 6] = [
        Self::CommunauteDeCommunes,
        Self::CommunauteDAgglomeration,
        Self::CommunauteUrbaine,
        Self::Metropole,
        Self::MetropoleDeLyon,
        Self::EtablissementPublicTerritorial,
    ];

    /// The DGCL's code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::CommunauteDeCommunes => "CC",
            Self::CommunauteDAgglomeration => "CA",
            Self::CommunauteUrbaine => "CU",
            Self::Metropole => "METRO",
            Self::MetropoleDeLyon => "MET69",
            Self::EtablissementPublicTerritorial => "EPT",
        }
    }

    /// A code as files write it (`MET` for a métropole too), any case.
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_uppercase();
        if code == "MET" {
            return Some(Self::Metropole);
        }
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Its name in French.
    pub fn label(self) -> &'static str {
        match self {
            Self::CommunauteDeCommunes => "Communauté de communes",
            Self::CommunauteDAgglomeration => "Communauté d’agglomération",
            Self::CommunauteUrbaine => "Communauté urbaine",
            Self::Metropole => "Métropole",
            Self::MetropoleDeLyon => "Métropole de Lyon",
            Self::EtablissementPublicTerritorial => "Établissement public territorial",
        }
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
    /// Its legal nature, when the reference says it.
    pub nature: Option<EpciKind>,
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
    pub nature: Option<EpciKind>,
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

#[cfg(test)]
mod tests {
    use super::EpciKind;

    #[test]
    fn epci_kinds_read_back_their_code_and_speak_french() {
        for k in EpciKind::ALL {
            assert_eq!(EpciKind::parse(k.code()), Some(k));
        }
        assert_eq!(EpciKind::parse("met"), Some(EpciKind::Metropole));
        assert_eq!(EpciKind::parse("SIVU"), None);
        assert_eq!(
            EpciKind::CommunauteDAgglomeration.label(),
            "Communauté d’agglomération"
        );
    }
}
