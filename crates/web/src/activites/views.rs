//! What the Activités pages show, as askama templates: the entry form, the
//! confirmation before withdrawing a record.

use askama::Template;
use passerelle_activities::vocab;

use super::forms::{self, ActivityForm};
use crate::forms::FieldErrors;
use crate::pages::{Chrome, Crumb};

/// The DSFR alert shown after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Notice {
    Enregistree,
    Modifiee,
    Retiree,
}

impl Notice {
    pub fn text(self) -> &'static str {
        match self {
            Self::Enregistree => "Activité enregistrée.",
            Self::Modifiee => "Activité modifiée.",
            Self::Retiree => "Activité retirée : elle n’est plus comptée.",
        }
    }

    pub fn query(self) -> &'static str {
        match self {
            Self::Enregistree => "enregistree",
            Self::Modifiee => "modifiee",
            Self::Retiree => "retiree",
        }
    }
}

/// One of the mediator's latest records, as listed under the form.
pub struct Recent {
    pub id: i64,
    /// "20 novembre 2026".
    pub date: String,
    pub kind: &'static str,
    pub themes: String,
}

#[derive(Template)]
#[template(path = "activites.html")]
pub struct EntryPage {
    /// Where the form posts: a new record, or the edit of one.
    pub action: String,
    pub editing: bool,
    pub f: ActivityForm,
    pub errors: FieldErrors,
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub notice: Option<Notice>,
    /// The last record can be repeated (a new record, and there is one).
    pub can_repeat: bool,
    pub today: String,
    /// The places the mediator's structures run: (value, name).
    pub places: Vec<(String, String)>,
    pub themes: Vec<&'static str>,
    pub organisations: &'static [&'static str],
    pub helps: &'static [&'static str],
    pub ages: &'static [&'static str],
    pub statuses: &'static [&'static str],
    pub autonomy: &'static [&'static str],
    pub orientations: &'static [&'static str],
    pub levels: &'static [&'static str],
    pub durations: &'static [u32],
    pub recent: Vec<Recent>,
}

impl EntryPage {
    pub fn new(
        chrome: Chrome,
        crumbs: Vec<Crumb>,
        today: String,
        f: ActivityForm,
        errors: FieldErrors,
    ) -> Self {
        Self {
            action: "/activites".into(),
            editing: false,
            f,
            errors,
            chrome,
            crumbs,
            notice: None,
            can_repeat: false,
            today,
            places: Vec::new(),
            themes: vocab::THEMES.iter().map(|(t, _)| *t).collect(),
            organisations: &vocab::ORGANISATIONS,
            helps: &vocab::KINDS_OF_HELP,
            ages: &vocab::AGE_BRACKETS,
            statuses: &vocab::STATUSES,
            autonomy: &vocab::AUTONOMY,
            orientations: &vocab::ORIENTATIONS,
            levels: &vocab::LEVELS,
            durations: &vocab::DURATION_PRESETS,
            recent: Vec::new(),
        }
    }

    /// The error shown next to `field`, empty when none.
    pub fn message(&self, field: &str) -> &str {
        self.errors.get(field)
    }

    /// Every problem, in the order of the form, for the summary at the top.
    pub fn problems(&self) -> Vec<(&'static str, &str)> {
        forms::listed(&self.errors)
    }

    pub fn has_error(&self, field: &str) -> bool {
        self.errors.has(field)
    }

    pub fn is_theme(&self, theme: &str) -> bool {
        self.f.themes.iter().any(|t| t == theme)
    }

    pub fn is_help(&self, help: &str) -> bool {
        self.f.helps.iter().any(|h| h == help)
    }

    /// The duration is one of the presets (otherwise it is offered too).
    pub fn is_duration(&self, minutes: &u32) -> bool {
        self.f.duration == minutes.to_string()
    }

    pub fn other_duration(&self) -> bool {
        !self.f.duration.is_empty() && !self.durations.iter().any(|d| self.is_duration(d))
    }
}

#[derive(Template)]
#[template(path = "activites_retrait.html")]
pub struct WithdrawPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub recent: Recent,
}
