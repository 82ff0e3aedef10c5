//! The territorial reference as the index needs it: communes numbered in
//! the order région, département, EPCI, commune, each with its parents, and
//! the communes of any territory.

use std::collections::HashMap;

use super::Territory;

/// A commune of the reference with its parents (code and name of each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneInfo {
    pub code: String,
    pub name: String,
    pub epci: Option<(String, String)>,
    pub departement: (String, String),
    pub region: (String, String),
}

/// A level's territories: codes and names, by number.
#[derive(Debug, Default, Clone)]
pub(super) struct Level {
    pub codes: Vec<String>,
    pub names: Vec<String>,
    by_code: HashMap<String, u32>,
}

impl Level {
    fn number(&mut self, code: &str, name: &str) -> u32 {
        if let Some(&n) = self.by_code.get(code) {
            return n;
        }
        let n = self.codes.len() as u32;
        self.codes.push(code.to_string());
        self.names.push(name.to_string());
        self.by_code.insert(code.to_string(), n);
        n
    }

    pub fn get(&self, code: &str) -> Option<u32> {
        self.by_code.get(code).copied()
    }
}

/// Numbers for "no EPCI".
pub(super) const NONE: u32 = u32::MAX;

#[derive(Debug, Default, Clone)]
pub struct Geography {
    pub(super) communes: Level,
    pub(super) epcis: Level,
    pub(super) departements: Level,
    pub(super) regions: Level,
    /// Per commune number: its EPCI (`NONE`), département and région.
    pub(super) epci_of: Vec<u32>,
    pub(super) departement_of: Vec<u32>,
    pub(super) region_of: Vec<u32>,
}

impl Geography {
    pub fn new(mut communes: Vec<CommuneInfo>) -> Self {
        communes.sort_by(|a, b| {
            (
                &a.region.0,
                &a.departement.0,
                a.epci.as_ref().map(|e| &e.0),
                &a.code,
            )
                .cmp(&(
                    &b.region.0,
                    &b.departement.0,
                    b.epci.as_ref().map(|e| &e.0),
                    &b.code,
                ))
        });
        let mut g = Self::default();
        for c in &communes {
            g.communes.number(&c.code, &c.name);
            let epci = c
                .epci
                .as_ref()
                .map_or(NONE, |(code, name)| g.epcis.number(code, name));
            g.epci_of.push(epci);
            g.departement_of
                .push(g.departements.number(&c.departement.0, &c.departement.1));
            g.region_of.push(g.regions.number(&c.region.0, &c.region.1));
        }
        g
    }

    /// How many communes (segments of the index before the one of records
    /// without a commune).
    pub fn len(&self) -> usize {
        self.communes.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.communes.codes.is_empty()
    }

    /// The number of a commune by its INSEE code.
    pub fn commune(&self, code: &str) -> Option<u32> {
        self.communes.get(code)
    }

    /// The communes of a territory, by number; `None` when the reference
    /// does not hold it (`All`: every commune).
    pub fn communes_of(&self, t: &Territory) -> Option<Vec<u32>> {
        let all = 0..self.len() as u32;
        let of = |level: &Level, parents: &[u32], code: &str| {
            let n = level.get(code)?;
            Some(all.clone().filter(|c| parents[*c as usize] == n).collect())
        };
        match t {
            Territory::All => Some(all.collect()),
            Territory::Region(code) => of(&self.regions, &self.region_of, code),
            Territory::Departement(code) => of(&self.departements, &self.departement_of, code),
            Territory::Epci(code) => of(&self.epcis, &self.epci_of, code),
            Territory::Commune(code) => self.commune(code).map(|c| vec![c]),
        }
    }

    /// The name of a territory of the reference.
    pub fn name_of(&self, t: &Territory) -> Option<&str> {
        let (level, code) = match t {
            Territory::All => return None,
            Territory::Region(c) => (&self.regions, c),
            Territory::Departement(c) => (&self.departements, c),
            Territory::Epci(c) => (&self.epcis, c),
            Territory::Commune(c) => (&self.communes, c),
        };
        level.get(code).map(|n| level.names[n as usize].as_str())
    }
}
