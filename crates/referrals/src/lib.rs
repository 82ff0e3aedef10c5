//! Orientations: a referral of a person from one professional to a place or
//! structure, tracked until someone acts on it, with the person's consent
//! and the least personal data that lets the receiving service call back.
//!
//! No storage here: the referral as entered and its checks (`model`), the
//! lifecycle (`lifecycle`: which status may follow which, and who may move
//! it), and the clock rules (`deadlines`: reminder, expiry, erasure).

pub mod deadlines;
pub mod lifecycle;
pub mod model;
pub mod referents;

pub use lifecycle::{Side, Status, Step};
pub use model::{NewReferral, Problem};
