//! The territorial reference: the official geography every other part of
//! Passerelle hangs on (régions, départements, EPCI, communes by INSEE code).
//!
//! This crate holds no storage: it defines the read models, validates codes,
//! normalises names for search and parses the reference files (bundled or
//! imported). `passerelle-store` persists what it produces.

pub mod bundled;
pub mod codes;
pub mod import;
pub mod model;
pub mod search;

pub use import::{ImportError, ReferenceFile, parse_reference_file};
pub use model::*;
