//! The Bretagne reference compiled into the binary, so that an empty
//! database can be filled on first start without any file at hand.
//! Provenance: `data/reference/PROVENANCE.md`.

use crate::import::{ImportError, ReferenceFile, parse_reference_file};

/// The bundled files in load order: parents before children.
pub const FILES: [(&str, &str); 4] = [
    (
        "regions.csv",
        include_str!("../../../data/reference/regions.csv"),
    ),
    (
        "departements.csv",
        include_str!("../../../data/reference/departements.csv"),
    ),
    (
        "bretagne/epci.csv",
        include_str!("../../../data/reference/bretagne/epci.csv"),
    ),
    (
        "bretagne/communes.csv",
        include_str!("../../../data/reference/bretagne/communes.csv"),
    ),
];

/// Parses every bundled file.
pub fn reference() -> Result<Vec<ReferenceFile>, ImportError> {
    FILES
        .iter()
        .map(|(name, text)| parse_reference_file(name, text.as_bytes()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_bretagne_reference_is_complete_and_consistent() {
        let files = reference().expect("bundled files parse");
        let [
            ReferenceFile::Regions(regions),
            ReferenceFile::Departements(deps),
            ReferenceFile::Epcis(epcis),
            ReferenceFile::Communes(communes, _),
        ] = files.as_slice()
        else {
            panic!("unexpected kinds")
        };
        assert!(
            regions
                .iter()
                .any(|r| r.code == "53" && r.nom == "Bretagne")
        );
        assert_eq!(deps.iter().filter(|d| d.region == "53").count(), 4);
        assert!(
            deps.iter()
                .all(|d| regions.iter().any(|r| r.code == d.region))
        );
        assert_eq!(communes.len(), 1202);
        assert_eq!(epcis.len(), 61);
        for dep in ["22", "29", "35", "56"] {
            assert!(communes.iter().any(|c| c.departement == dep));
        }
        // Every commune's EPCI is described by the EPCI file, and lists it.
        for c in communes {
            if let Some(siren) = &c.epci_siren {
                let epci = epcis
                    .iter()
                    .find(|e| &e.siren == siren)
                    .expect("EPCI known");
                assert!(
                    epci.members.contains(&c.code),
                    "{} not in {}",
                    c.code,
                    siren
                );
            }
        }
        let islands = communes.iter().filter(|c| c.epci_siren.is_none()).count();
        assert_eq!(islands, 3, "Bréhat, Sein, Ouessant");
        let quimper = communes.iter().find(|c| c.code == "29232").unwrap();
        assert_eq!(quimper.nom, "Quimper");
    }
}
