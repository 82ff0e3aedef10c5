//! An activity record: what was done, for how many people, about what. No
//! name, no contact: at most a commune of residence and a pseudonymous
//! follow-up code.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Individual accompaniment.
    Individuel,
    /// Collective workshop.
    Atelier,
    /// One-off help with an administrative procedure.
    Demarche,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Individuel => "Accompagnement individuel",
            Self::Atelier => "Atelier collectif",
            Self::Demarche => "Aide ponctuelle à une démarche",
        }
    }
}

/// Where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Where {
    /// At a place of the Lieux directory (its identifier).
    Lieu(i64),
    Domicile,
    Distance,
    /// Elsewhere, in this commune (INSEE code).
    Autre(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub kind: Kind,
    pub date: NaiveDate,
    pub duration_minutes: u32,
    pub place: Where,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workshop_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// 1 for an individual record or a procedure; the participants of a workshop.
    pub participants: u32,
    /// People per age bracket (`vocab::AGE_BRACKETS`); may be empty.
    pub ages: Vec<(String, u32)>,
    /// People per status (`vocab::STATUSES`); may be empty.
    pub statuses: Vec<(String, u32)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence_commune: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_code: Option<String>,
    pub themes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    pub kinds_of_help: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autonomy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<String>,
    /// People of this record who had been accompanied before (the CRA
    /// v1 "participants récurrents"; the Coop's `premierAccompagnement`
    /// false). At most `participants`; 0 when not said.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub returning: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
