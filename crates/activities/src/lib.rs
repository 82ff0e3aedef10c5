//! Activités: what a mediator did, recorded in seconds and anonymous by
//! design (no name, no contact), and the rules to count it at any scale.
//!
//! No storage here: the vocabularies of the conseillers numériques' activity
//! reports as the seeds tabulate them, the record, its validation (line and
//! field named), the age brackets and their aggregation into the seeds'
//! brackets, the weighting of workshops, and the small-cell rule.

pub mod aggregate;
pub mod cra;
pub mod csvfile;
pub mod generate;
pub mod model;
pub mod sources;
pub mod stats;
pub mod validate;
pub mod vocab;

pub use model::{Activity, Kind};
