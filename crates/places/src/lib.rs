//! Lieux: help places in the national data standard of digital-mediation
//! places (La Mednum / ANCT, `standard-mediation-num` v1.0.2).
//!
//! No storage here: the model (`Place`, one field per column of the
//! standard), its vocabularies, validation of every rule with the line and
//! field at fault, the CSV / JSON / GeoJSON formats (lossless round trip),
//! and opening hours in OpenStreetMap syntax.

pub mod bundled;
pub mod datainclusion;
pub mod dedup;
pub mod format;
pub mod hours;
pub mod import;
pub mod model;
pub mod normalize;
pub mod search;
pub mod sources;
pub mod validate;
pub mod vocab;

pub use model::{FIELDS, Place};
pub use validate::{Severity, Violation};

/// A place not updated for this many days is stale: coordinators see it
/// in `/lieux/coordination` and, as they choose, in their daily digest.
pub const STALE_AFTER_DAYS: u64 = 365;
