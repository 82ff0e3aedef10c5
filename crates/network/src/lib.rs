//! Réseau: what a regional hub does to animate the network of digital
//! inclusion professionals, besides data — who is who (`directory`),
//! named groups with their animators (`networks`), the meetings it
//! organises (`events`) and their calendar feeds (`calendar`), the shared
//! library (`resources`), the funding calls, job and training offers it
//! relays (`opportunities`) and their weekly `digest`, and the training
//! needs professionals express (`needs`).
//!
//! No storage and no web here: the inputs as checked values, the closed
//! vocabularies with their stored codes (`vocab`), and the rules as pure
//! functions of "now" so that they are tested with a fake clock. A problem
//! with an input is a typed `Problem` (field and rule); the pages say it
//! in French.

pub mod area;
pub mod calendar;
pub mod digest;
pub mod directory;
pub mod events;
pub mod needs;
pub mod networks;
pub mod opportunities;
pub mod resources;
pub mod vocab;

mod check;

pub use check::{Problem, Rule};
