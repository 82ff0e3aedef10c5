//! The real Bretagne places compiled into the binary, converted to the
//! standard by the converters users have too (`sources`). Provenance:
//! `data/places/PROVENANCE.md`.

use crate::model::Place;
use crate::sources::{SourceFormat, convert};

const FILES: [(&str, SourceFormat, &str, &str); 3] = [
    (
        "france_services_2022-12.csv",
        SourceFormat::FranceServices,
        "2022-12-01",
        include_str!("../../../data/places/sources/france_services_2022-12.csv"),
    ),
    (
        "aidants_connect_structures_2024-02.csv",
        SourceFormat::AidantsConnect,
        "2024-02-12",
        include_str!("../../../data/places/sources/aidants_connect_structures_2024-02.csv"),
    ),
    (
        "cnfs_permanences_2022-12.csv",
        SourceFormat::ConseillersNumeriques,
        "2022-12-01",
        include_str!("../../../data/places/sources/cnfs_permanences_2022-12.csv"),
    ),
];

/// Each bundled file's places, in load order.
pub fn places() -> Vec<(&'static str, Vec<Place>)> {
    FILES
        .iter()
        .map(|(name, format, date, text)| {
            let (places, _) = convert(*format, text.as_bytes(), date);
            (*name, places.into_iter().map(|(_, p)| p).collect())
        })
        .collect()
}
