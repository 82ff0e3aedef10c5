//! The geography a portrait is computed on: communes with their parents,
//! population and centre, and the territories a user can ask for
//! (`commune:`, `epci:`, `dep:`, `reg:` or a custom list of communes).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use passerelle_territory::{ImportError, ReferenceFile, bundled};

/// Mean Earth radius (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres (haversine formula).
pub fn great_circle_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// One commune of the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneGeo {
    pub code: String,
    pub nom: String,
    pub departement: String,
    pub region: String,
    pub epci: Option<String>,
    /// INSEE legal municipal population (0 when the reference has none).
    pub population: i64,
    /// Commune centre (latitude, longitude).
    pub centre: Option<(f64, f64)>,
    pub postcodes: Vec<String>,
}

/// The communes of the loaded reference and the names of their parents.
#[derive(Debug, Clone, Default)]
pub struct Geography {
    pub communes: Vec<CommuneGeo>,
    index: HashMap<String, usize>,
    pub epci_names: HashMap<String, String>,
    pub departement_names: HashMap<String, String>,
    pub region_names: HashMap<String, String>,
    departement_region: HashMap<String, String>,
}

impl Geography {
    /// Builds the geography from parsed reference files (any order).
    pub fn from_reference(files: &[ReferenceFile]) -> Self {
        let mut geo = Geography::default();
        for file in files {
            match file {
                ReferenceFile::Regions(regions) => {
                    for r in regions {
                        geo.region_names.insert(r.code.clone(), r.nom.clone());
                    }
                }
                ReferenceFile::Departements(deps) => {
                    for d in deps {
                        geo.departement_names.insert(d.code.clone(), d.nom.clone());
                        geo.departement_region
                            .insert(d.code.clone(), d.region.clone());
                    }
                }
                ReferenceFile::Epcis(epcis) => {
                    for e in epcis {
                        geo.epci_names.insert(e.siren.clone(), e.nom.clone());
                    }
                }
                ReferenceFile::Communes(..) => {}
            }
        }
        for file in files {
            if let ReferenceFile::Communes(communes, _) = file {
                for c in communes {
                    if let (Some(siren), Some(nom)) = (&c.epci_siren, &c.epci_nom) {
                        geo.epci_names
                            .entry(siren.clone())
                            .or_insert_with(|| nom.clone());
                    }
                    let region = geo
                        .departement_region
                        .get(&c.departement)
                        .cloned()
                        .unwrap_or_default();
                    geo.push(CommuneGeo {
                        code: c.code.clone(),
                        nom: c.nom.clone(),
                        departement: c.departement.clone(),
                        region,
                        epci: c.epci_siren.clone(),
                        population: c.population.unwrap_or(0),
                        centre: c.latitude.zip(c.longitude),
                        postcodes: c.postcodes.clone(),
                    });
                }
            }
        }
        geo
    }

    /// The bundled Bretagne reference.
    pub fn bundled() -> Result<Self, ImportError> {
        Ok(Self::from_reference(&bundled::reference()?))
    }

    /// Adds a commune (replacing one with the same code).
    pub fn push(&mut self, commune: CommuneGeo) {
        match self.index.get(&commune.code) {
            Some(&i) => self.communes[i] = commune,
            None => {
                self.index.insert(commune.code.clone(), self.communes.len());
                self.communes.push(commune);
            }
        }
    }

    /// Registers the name of a département and its région.
    pub fn name_departement(&mut self, code: &str, nom: &str, region: &str) {
        self.departement_names.insert(code.into(), nom.into());
        self.departement_region.insert(code.into(), region.into());
    }

    pub fn position(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    pub fn commune(&self, code: &str) -> Option<&CommuneGeo> {
        self.position(code).map(|i| &self.communes[i])
    }

    pub fn contains(&self, code: &str) -> bool {
        self.index.contains_key(code)
    }

    /// Positions (in `communes`) of the communes a territory covers.
    pub fn resolve(&self, territory: &Territory) -> Result<Vec<usize>, TerritoryError> {
        let select = |keep: &dyn Fn(&CommuneGeo) -> bool| -> Vec<usize> {
            (0..self.communes.len())
                .filter(|&i| keep(&self.communes[i]))
                .collect()
        };
        let found = match territory {
            Territory::Commune(code) => self.position(code).into_iter().collect(),
            Territory::Epci(siren) => select(&|c| c.epci.as_deref() == Some(siren)),
            Territory::Departement(code) => select(&|c| &c.departement == code),
            Territory::Region(code) => select(&|c| &c.region == code),
            Territory::Communes(codes) => {
                let mut out = Vec::with_capacity(codes.len());
                for code in codes {
                    match self.position(code) {
                        Some(i) if !out.contains(&i) => out.push(i),
                        Some(_) => {}
                        None => return Err(TerritoryError::UnknownCommune(code.clone())),
                    }
                }
                out
            }
        };
        if found.is_empty() {
            return Err(TerritoryError::Empty(territory.clone()));
        }
        Ok(found)
    }

    /// The communes of the régions `territory` touches, with every name:
    /// all a portrait of it reads (the territory, its sub-territories, its
    /// département and région), so that a national reference need not be
    /// analysed whole for one portrait.
    pub fn around(&self, territory: &Territory) -> Result<Geography, TerritoryError> {
        self.around_all(std::slice::from_ref(territory))
    }

    /// The same for several territories (a comparison).
    pub fn around_all(&self, territories: &[Territory]) -> Result<Geography, TerritoryError> {
        let mut regions: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for t in territories {
            for i in self.resolve(t)? {
                regions.insert(self.communes[i].region.as_str());
            }
        }
        let mut out = Geography {
            epci_names: self.epci_names.clone(),
            departement_names: self.departement_names.clone(),
            region_names: self.region_names.clone(),
            departement_region: self.departement_region.clone(),
            ..Geography::default()
        };
        for c in self
            .communes
            .iter()
            .filter(|c| regions.contains(c.region.as_str()))
        {
            out.push(c.clone());
        }
        Ok(out)
    }

    /// The name people know a territory by.
    pub fn label(&self, territory: &Territory) -> String {
        match territory {
            Territory::Commune(code) => self
                .commune(code)
                .map(|c| c.nom.clone())
                .unwrap_or_else(|| code.clone()),
            Territory::Epci(siren) => self
                .epci_names
                .get(siren)
                .cloned()
                .unwrap_or_else(|| format!("EPCI {siren}")),
            Territory::Departement(code) => self
                .departement_names
                .get(code)
                .cloned()
                .unwrap_or_else(|| format!("Département {code}")),
            Territory::Region(code) => self
                .region_names
                .get(code)
                .cloned()
                .unwrap_or_else(|| format!("Région {code}")),
            Territory::Communes(codes) => {
                let names: Vec<String> = codes
                    .iter()
                    .map(|c| self.commune(c).map_or_else(|| c.clone(), |c| c.nom.clone()))
                    .collect();
                match names.as_slice() {
                    [one] => one.clone(),
                    [init @ .., last] if names.len() <= 4 => {
                        format!("{} et {last}", init.join(", "))
                    }
                    _ => format!("{} communes choisies", names.len()),
                }
            }
        }
    }
}

/// A territory a portrait can be asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Territory {
    Commune(String),
    Epci(String),
    Departement(String),
    Region(String),
    /// A custom list of communes by INSEE code.
    Communes(Vec<String>),
}

impl Territory {
    /// The level word used in keys and exports.
    pub fn level(&self) -> &'static str {
        match self {
            Territory::Commune(_) => "commune",
            Territory::Epci(_) => "epci",
            Territory::Departement(_) => "dep",
            Territory::Region(_) => "reg",
            Territory::Communes(_) => "communes",
        }
    }
}

impl fmt::Display for Territory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Territory::Commune(c)
            | Territory::Epci(c)
            | Territory::Departement(c)
            | Territory::Region(c) => write!(f, "{}:{c}", self.level()),
            Territory::Communes(codes) => write!(f, "communes:{}", codes.join(",")),
        }
    }
}

impl FromStr for Territory {
    type Err = TerritoryError;

    /// `commune:35238`, `epci:243500139`, `dep:35`, `reg:53` or
    /// `communes:35238,35047`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use passerelle_territory::codes;
        let bad = || TerritoryError::Syntax(s.to_string());
        let (level, code) = s.trim().split_once(':').ok_or_else(bad)?;
        let code = code.trim();
        let checked = |ok: bool, t: Territory| if ok { Ok(t) } else { Err(bad()) };
        match level.trim() {
            "commune" | "com" => checked(
                codes::is_commune_code(code),
                Territory::Commune(code.into()),
            ),
            "epci" => checked(codes::is_siren(code), Territory::Epci(code.into())),
            "dep" => checked(
                codes::is_departement_code(code),
                Territory::Departement(code.into()),
            ),
            "reg" => checked(codes::is_region_code(code), Territory::Region(code.into())),
            "communes" => {
                let list: Vec<String> = code
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect();
                checked(
                    !list.is_empty() && list.iter().all(|c| codes::is_commune_code(c)),
                    Territory::Communes(list),
                )
            }
            _ => Err(bad()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TerritoryError {
    Syntax(String),
    UnknownCommune(String),
    Empty(Territory),
}

impl fmt::Display for TerritoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TerritoryError::Syntax(s) => write!(
                f,
                "« {s} » n’est pas un territoire : écrivez commune:<code INSEE>, epci:<SIREN>, dep:<code>, reg:<code> ou communes:<code>,<code>…"
            ),
            TerritoryError::UnknownCommune(c) => {
                write!(
                    f,
                    "la commune {c} n’est pas dans le référentiel territorial"
                )
            }
            TerritoryError::Empty(t) => {
                write!(
                    f,
                    "aucune commune du référentiel territorial n’appartient à {t}"
                )
            }
        }
    }
}

impl std::error::Error for TerritoryError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn great_circle_matches_known_distances() {
        // Rennes – Brest, about 210 km as the crow flies.
        let d = great_circle_km((48.1113, -1.68), (48.3904, -4.4861));
        assert!((d - 210.0).abs() < 5.0, "{d}");
        // One degree of latitude is about 111.2 km.
        let d = great_circle_km((48.0, -2.0), (49.0, -2.0));
        assert!((d - 111.19).abs() < 0.05, "{d}");
        assert_eq!(great_circle_km((48.0, -2.0), (48.0, -2.0)), 0.0);
    }

    #[test]
    fn territories_parse_and_print() {
        for s in [
            "commune:35238",
            "epci:243500139",
            "dep:35",
            "reg:53",
            "communes:35238,35047",
        ] {
            let t: Territory = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
        assert_eq!("dep:2A".parse::<Territory>().unwrap().level(), "dep");
        for bad in [
            "35",
            "epci:12",
            "dep:1234",
            "pays:FR",
            "commune:abc",
            "communes:",
        ] {
            assert!(bad.parse::<Territory>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bundled_geography_resolves_every_level() {
        let geo = Geography::bundled().unwrap();
        assert_eq!(geo.communes.len(), 1202);
        let bretagne = geo.resolve(&Territory::Region("53".into())).unwrap();
        assert_eq!(bretagne.len(), 1202);
        let dep35 = geo.resolve(&Territory::Departement("35".into())).unwrap();
        assert_eq!(dep35.len(), 332);
        // Rennes Métropole.
        let rm = geo.resolve(&Territory::Epci("243500139".into())).unwrap();
        assert!(rm.iter().any(|&i| geo.communes[i].nom == "Rennes"));
        assert_eq!(geo.label(&Territory::Departement("29".into())), "Finistère");
        assert!(geo.communes.iter().all(|c| c.region == "53"));
        assert!(matches!(
            geo.resolve(&Territory::Communes(vec!["75056".into()])),
            Err(TerritoryError::UnknownCommune(_))
        ));
        assert!(matches!(
            geo.resolve(&Territory::Departement("75".into())),
            Err(TerritoryError::Empty(_))
        ));
        // Around a commune: its whole région, names included.
        let mut two = geo.clone();
        two.push(CommuneGeo {
            code: "75056".into(),
            nom: "Paris".into(),
            departement: "75".into(),
            region: "11".into(),
            epci: None,
            population: 2_100_000,
            centre: Some((48.86, 2.35)),
            postcodes: vec![],
        });
        let around = two.around(&Territory::Commune("29019".into())).unwrap();
        assert_eq!(around.communes.len(), 1202);
        assert_eq!(
            around.label(&Territory::Departement("29".into())),
            "Finistère"
        );
        assert_eq!(
            two.around(&Territory::Commune("75056".into()))
                .unwrap()
                .communes
                .len(),
            1
        );
    }
}
