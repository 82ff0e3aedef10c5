//! Enquêtes: questionnaires, their responses, and the statistics the
//! seeds' researchers use, producing tables of the same form as the seeds'.
//!
//! No I/O here besides parsing strings: the questionnaire format
//! (`questionnaire`), the built-in templates (`templates`), the responses
//! file (`responses`), the distribution functions (`dist`), the tests
//! (`stats`), OLS and MANOVA (`linear`), and the analysis that turns a
//! questionnaire and its responses into a report (`analysis`). `builder`
//! builds a questionnaire question by question, as the web form does.

pub mod questionnaire;

pub use questionnaire::{Kind, Question, Questionnaire};
pub mod analysis;
pub mod builder;
pub mod dist;
pub mod limesurvey;
pub mod linear;
pub mod render;
pub mod responses;
pub mod spss;
pub mod stats;
pub mod templates;
pub mod xlsx;

/// How many days before a survey closes its gestionnaires are told.
pub const CLOSING_NOTICE_DAYS: u64 = 3;
