//! Diagnostic: the PORTREA needs-versus-offer portrait of any territory
//! (Portrait territorialisé de la relation e-administrative, seed 003).
//!
//! No I/O here. `geo`: communes, territories, great-circle distance.
//! `needs`: indicators per commune and the PORTREA formulas. `import`: the
//! official files (INSEE census, CAF, France Travail). `bundled`: the real
//! Bretagne indicators compiled in. `offer`: the help offered, from Lieux.
//! `access`: nearest place per commune and service, coverage, road-time
//! estimate. `portrait`: everything for one territory, its sub-territories,
//! its département and région, uncovered communes and priorities.
//! `export`: the portrait's tables as CSV, its communes as GeoJSON.
//! Formulas and sources: `docs/diagnostic.md`.

pub mod access;
pub mod bundled;
pub mod export;
pub mod geo;
pub mod import;
pub mod map;
pub mod needs;
pub mod offer;
pub mod portrait;
pub mod unmet;
