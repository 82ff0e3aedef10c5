//! The entry form of an activity, typed. What was posted is parsed once
//! into an `ActivityForm` (every value kept as typed, to show again), then
//! turned into a record with `ActivityForm::to_activity`, whose problems
//! are `FieldErrors`: one French message per field, shown next to it.

use chrono::NaiveDate;
use passerelle_activities::model::{Activity, Kind, Where};
use passerelle_activities::validate::{Violation, validate};
use passerelle_activities::vocab;
use passerelle_store::activities::{Reference, UnknownReference};

use crate::forms::FieldErrors;

/// The theme whose records are procedures too: its organisation and help
/// are asked as for a procedure.
pub const ONLINE_PROCEDURE: &str = "Démarche en ligne";

/// The entry form as typed: text, as the browser sent it.
#[derive(Debug, Clone, Default)]
pub struct ActivityForm {
    /// `individuel`, `demarche` or `atelier`.
    pub kind: String,
    pub date: String,
    pub duration: String,
    /// `lieu:<id>`, `domicile`, `distance` or `autre`.
    pub place: String,
    /// A commune's name ("Quimper (Finistère)") or INSEE code.
    pub commune: String,
    pub themes: Vec<String>,
    pub organisation: String,
    pub helps: Vec<String>,
    pub age: String,
    pub status: String,
    pub autonomy: String,
    pub orientation: String,
    pub code: String,
    pub participants: String,
    pub title: String,
    pub level: String,
    /// A workshop's people per age bracket and per status: every value of
    /// the list with the count typed (empty when none).
    pub workshop_ages: Vec<(&'static str, String)>,
    pub workshop_statuses: Vec<(&'static str, String)>,
}

/// Every value of a list with the count a record gives it.
fn counts_of(
    list: &'static [&'static str],
    counts: &[(String, u32)],
) -> Vec<(&'static str, String)> {
    list.iter()
        .map(|v| {
            let n = counts
                .iter()
                .find(|(k, _)| k == v)
                .map_or(String::new(), |(_, n)| n.to_string());
            (*v, n)
        })
        .collect()
}

/// The form's value of a record's place.
fn place_value(place: &Where) -> String {
    match place {
        Where::Lieu(id) => format!("lieu:{id}"),
        Where::Domicile => "domicile".into(),
        Where::Distance => "distance".into(),
        Where::Autre(_) => "autre".into(),
    }
}

impl ActivityForm {
    /// A new record: today, and the place and duration of the mediator's
    /// last record (what changes least between two visitors).
    pub fn blank(today: NaiveDate, last: Option<&Activity>) -> Self {
        Self {
            kind: "individuel".into(),
            date: today.to_string(),
            duration: last.map_or(30, |a| a.duration_minutes).to_string(),
            place: last.map(|a| place_value(&a.place)).unwrap_or_default(),
            workshop_ages: counts_of(&vocab::AGE_BRACKETS, &[]),
            workshop_statuses: counts_of(&vocab::STATUSES, &[]),
            ..Self::default()
        }
    }

    /// A record as the form shows it; `commune` is the name shown for its
    /// commune (of the place "ailleurs", or of residence).
    pub fn of(a: &Activity, commune: String) -> Self {
        let first = |v: &[(String, u32)]| v.first().map(|(k, _)| k.clone()).unwrap_or_default();
        let workshop = a.kind == Kind::Atelier;
        let none: &[(String, u32)] = &[];
        Self {
            kind: kind_value(a.kind).into(),
            date: a.date.to_string(),
            duration: a.duration_minutes.to_string(),
            place: place_value(&a.place),
            commune,
            themes: a.themes.clone(),
            organisation: a.organisation.clone().unwrap_or_default(),
            helps: a.kinds_of_help.clone(),
            age: if workshop {
                String::new()
            } else {
                first(&a.ages)
            },
            status: if workshop {
                String::new()
            } else {
                first(&a.statuses)
            },
            autonomy: a.autonomy.clone().unwrap_or_default(),
            orientation: a.orientation.clone().unwrap_or_default(),
            code: a.follow_up_code.clone().unwrap_or_default(),
            participants: if workshop {
                a.participants.to_string()
            } else {
                String::new()
            },
            title: a.workshop_title.clone().unwrap_or_default(),
            level: a.level.clone().unwrap_or_default(),
            workshop_ages: counts_of(&vocab::AGE_BRACKETS, if workshop { &a.ages } else { none }),
            workshop_statuses: counts_of(
                &vocab::STATUSES,
                if workshop { &a.statuses } else { none },
            ),
        }
    }

    /// What was posted (repeated names kept: themes, kinds of help).
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let all = |k: &str| {
            fields
                .iter()
                .filter(|(key, v)| key == k && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
                .collect::<Vec<_>>()
        };
        let typed = |prefix: &str, list: &'static [&'static str]| {
            list.iter()
                .enumerate()
                .map(|(i, v)| (*v, get(&format!("{prefix}_{i}"))))
                .collect()
        };
        let kind = get("type");
        Self {
            kind: if kind.is_empty() {
                "individuel".into()
            } else {
                kind
            },
            date: get("date"),
            duration: get("duree"),
            place: get("lieu"),
            commune: get("commune"),
            themes: all("themes"),
            organisation: get("organisation"),
            helps: all("aides"),
            age: get("age"),
            status: get("statut"),
            autonomy: get("autonomie"),
            orientation: get("orientation"),
            code: get("code_suivi"),
            participants: get("participants"),
            title: get("titre_atelier"),
            level: get("niveau"),
            workshop_ages: typed("nb_age", &vocab::AGE_BRACKETS),
            workshop_statuses: typed("nb_statut", &vocab::STATUSES),
        }
    }

    /// A procedure, or an accompaniment about an online procedure: the
    /// organisation and the help given are asked.
    pub fn is_procedure(&self) -> bool {
        self.kind == "demarche" || self.themes.iter().any(|t| t == ONLINE_PROCEDURE)
    }

    /// The record, checked (`commune`: the INSEE code the commune field
    /// was resolved to), or every problem on its field.
    pub fn to_activity(
        &self,
        commune: Option<String>,
        today: NaiveDate,
    ) -> Result<Activity, FieldErrors> {
        let mut errors = FieldErrors::default();
        let read = self.read(&mut errors, today);
        let activity = self.activity(read, commune);
        let workshop = activity.kind == Kind::Atelier;
        for v in validate(1, &activity, today) {
            let field = form_field(&v, workshop);
            if !errors.has(field) {
                say(&mut errors, field, &v.message);
            }
        }
        if errors.is_empty() {
            Ok(activity)
        } else {
            Err(errors)
        }
    }

    /// The fields that are not text as they are: the type, the date, the
    /// numbers, the place; each problem on its field.
    fn read(&self, errors: &mut FieldErrors, today: NaiveDate) -> Read {
        let kind = match self.kind.as_str() {
            "individuel" | "" => Kind::Individuel,
            "demarche" => Kind::Demarche,
            "atelier" => Kind::Atelier,
            _ => {
                say(errors, "type", "choisissez le type d’accompagnement");
                Kind::Individuel
            }
        };
        let date = NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").unwrap_or_else(|_| {
            say(errors, "date", "indiquez la date, par exemple 20/11/2026");
            today
        });
        let mut number = |field: &'static str, text: &str, what: &str| -> u32 {
            match text.parse() {
                Ok(n) => n,
                Err(_) if text.is_empty() => 0,
                Err(_) => {
                    say(errors, field, format!("« {text} » n’est pas {what}"));
                    0
                }
            }
        };
        let duration_minutes = number("duree", &self.duration, "un nombre de minutes");
        let workshop = kind == Kind::Atelier;
        let participants = if workshop {
            number("participants", &self.participants, "un nombre de personnes")
        } else {
            1
        };
        let mut per = |field: &'static str, list: &[(&'static str, String)]| {
            list.iter()
                .filter_map(|(v, n)| {
                    let n = number(field, n, "un nombre de personnes");
                    (n > 0).then(|| (v.to_string(), n))
                })
                .collect::<Vec<_>>()
        };
        let (ages, statuses) = if workshop {
            (
                per("nb_age", &self.workshop_ages),
                per("nb_statut", &self.workshop_statuses),
            )
        } else {
            let one = |v: &str| {
                (!v.is_empty())
                    .then(|| (v.to_string(), 1))
                    .into_iter()
                    .collect()
            };
            (one(&self.age), one(&self.status))
        };
        let place = match self.place.as_str() {
            "domicile" => Some(Where::Domicile),
            "distance" => Some(Where::Distance),
            p if p.starts_with("lieu:") => match p[5..].parse() {
                Ok(id) => Some(Where::Lieu(id)),
                Err(_) => {
                    say(errors, "lieu", "choisissez le lieu dans la liste");
                    Some(Where::Domicile)
                }
            },
            _ => None,
        };
        Read {
            kind,
            date,
            duration_minutes,
            participants,
            ages,
            statuses,
            place,
        }
    }

    /// The record from the fields read and the text fields, each kept
    /// only where the type of record has it.
    fn activity(&self, read: Read, commune: Option<String>) -> Activity {
        let workshop = read.kind == Kind::Atelier;
        let text = |v: &str| Some(v.to_string()).filter(|v| !v.is_empty());
        let elsewhere = self.place == "autre" || self.place.is_empty();
        let place = read
            .place
            .unwrap_or_else(|| Where::Autre(commune.clone().unwrap_or_default()));
        let procedure = self.is_procedure();
        Activity {
            kind: read.kind,
            date: read.date,
            duration_minutes: read.duration_minutes,
            place,
            workshop_title: text(&self.title).filter(|_| workshop),
            level: text(&self.level).filter(|_| workshop),
            participants: read.participants,
            ages: read.ages,
            statuses: read.statuses,
            residence_commune: commune.filter(|_| !elsewhere),
            follow_up_code: text(&self.code),
            themes: self.themes.clone(),
            organisation: text(&self.organisation).filter(|_| procedure),
            kinds_of_help: if procedure {
                self.helps.clone()
            } else {
                Vec::new()
            },
            autonomy: text(&self.autonomy),
            equipment: None,
            orientation: text(&self.orientation),
            returning: 0,
        }
    }
}

/// The form's fields read as their types; `place` is `None` for a commune
/// (elsewhere).
struct Read {
    kind: Kind,
    date: NaiveDate,
    duration_minutes: u32,
    participants: u32,
    ages: Vec<(String, u32)>,
    statuses: Vec<(String, u32)>,
    place: Option<Where>,
}

/// The form's value of a kind.
pub fn kind_value(kind: Kind) -> &'static str {
    match kind {
        Kind::Individuel => "individuel",
        Kind::Demarche => "demarche",
        Kind::Atelier => "atelier",
    }
}

/// The form field where a rule's violation is shown.
fn form_field(v: &Violation, workshop: bool) -> &'static str {
    match v.field {
        "ages" if workshop => "nb_age",
        "ages" => "age",
        "statuts" if workshop => "nb_statut",
        "statuts" => "statut",
        "lieu" | "commune_residence" => "commune",
        "recurrents" => "participants",
        other => other,
    }
}

fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The form's fields in the order they are shown: the summary of problems
/// at the top lists them in this order.
const FIELD_ORDER: [&str; 18] = [
    "type",
    "date",
    "duree",
    "lieu",
    "commune",
    "themes",
    "organisation",
    "aides",
    "participants",
    "titre_atelier",
    "niveau",
    "nb_age",
    "nb_statut",
    "age",
    "statut",
    "autonomie",
    "orientation",
    "code_suivi",
];

/// Every problem, in the order of the form, for the summary at the top:
/// (field id, message).
pub fn listed(errors: &FieldErrors) -> Vec<(&'static str, &str)> {
    errors.listed_in(&FIELD_ORDER)
}

/// A problem on a field, said as a sentence (the store's and the checks'
/// messages start in lower case).
pub fn say(errors: &mut FieldErrors, field: &'static str, message: impl Into<String>) {
    errors.add(field, capitalised(&message.into()));
}

/// The record names a place or commune that does not exist, or its
/// author is gone: said next to the field.
pub fn unknown_references(unknown: &[UnknownReference]) -> FieldErrors {
    let mut out = FieldErrors::default();
    for u in unknown {
        match &u.reference {
            Reference::Place(_) => out.add(
                "lieu",
                "Ce lieu n’est pas (ou plus) dans l’annuaire : choisissez-en un dans la liste.",
            ),
            Reference::Commune(code) | Reference::ResidenceCommune(code) => out.add(
                "commune",
                format!("Aucune commune n’a le code INSEE « {code} » : vérifiez-le."),
            ),
            Reference::Structure(_) | Reference::Mediator(_) | Reference::Token(_) => out.add(
                "type",
                "Votre compte ou votre structure n’existe plus : reconnectez-vous.",
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> ActivityForm {
        let fields: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ActivityForm::from_fields(&fields)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    #[test]
    fn a_workshop_whose_counts_do_not_add_up_keeps_everything_typed() {
        let form = posted(&[
            ("type", "atelier"),
            ("date", "2026-11-20"),
            ("duree", "90"),
            ("lieu", "autre"),
            ("commune", "29232"),
            ("themes", "Courriels"),
            ("participants", "8"),
            ("titre_atelier", "Premiers courriels"),
            ("niveau", "débutant"),
            ("nb_age_5", "3"),
            ("nb_age_6", "2"),
        ]);
        let errors = form.to_activity(Some("29232".into()), today()).unwrap_err();
        assert_eq!(
            errors.get("nb_age"),
            "Les nombres font 5 en tout, pas les 8 participants"
        );
        assert_eq!(listed(&errors).len(), 1);
        // What is shown again is what was typed.
        assert_eq!(
            (
                form.kind.as_str(),
                form.participants.as_str(),
                form.title.as_str(),
                form.level.as_str()
            ),
            ("atelier", "8", "Premiers courriels", "débutant")
        );
        assert_eq!(form.workshop_ages[5], ("60-69 ans", "3".to_string()));
    }

    #[test]
    fn procedure_fields_count_for_a_procedure_only() {
        let base = [
            ("date", "2026-11-20"),
            ("duree", "30"),
            ("lieu", "domicile"),
            ("organisation", "CAF"),
            ("aides", "Remplissage d'un formulaire"),
        ];
        let mut individual = base.to_vec();
        individual.push(("themes", "Courriels"));
        let a = posted(&individual).to_activity(None, today()).unwrap();
        assert_eq!((a.organisation, a.kinds_of_help.len()), (None, 0));
        let mut online = base.to_vec();
        online.push(("themes", ONLINE_PROCEDURE));
        let a = posted(&online).to_activity(None, today()).unwrap();
        assert_eq!(a.organisation.as_deref(), Some("CAF"));
        let errors = posted(&[
            ("type", "demarche"),
            ("date", "2026-11-20"),
            ("duree", "x"),
            ("lieu", "distance"),
        ])
        .to_activity(None, today())
        .unwrap_err();
        assert_eq!(
            listed(&errors).iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            vec!["duree", "themes", "organisation", "aides"]
        );
        assert_eq!(errors.get("duree"), "« x » n’est pas un nombre de minutes");
    }
}
