//! Diagnostic: the PORTREA needs-versus-offer portrait of any territory
//! (Portrait territorialisé de la relation e-administrative, seed 003).
//!
//! No I/O here. `geo`: communes, territories, great-circle distance.
//! `needs`: figures per commune and IRIS, secret parts, and PORTREA's two
//! scores as its public code computes them. `import`: the official files as
//! published (INSEE census communes and IRIS, CSV or XLSX; CAF; France
//! Travail). `bundled`: the real Bretagne indicators compiled in, and the
//! communes merged since 2018. `offer`: the help offered, from Lieux.
//! `access`: nearest place per commune and service, coverage, road-time
//! estimate. `portrait`: everything for one territory, its sub-territories,
//! its département and région, its IRIS, uncovered communes and
//! priorities. `unmet`: the finder's searches that found nothing. `map`:
//! offline SVG maps from the bundled IGN outlines. `export`: the
//! portrait's tables as CSV and XLSX, its communes as GeoJSON.
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
