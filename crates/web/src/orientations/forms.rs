//! Orientations' forms, read once into typed structs (serde), then checked
//! into the domain's input: every problem in French next to its field
//! (`FieldErrors`, shown by `templates/orientations/champs.html` with the
//! DSFR error state and `aria-describedby`), what was typed kept.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use passerelle_referrals::deadlines::appointment_within_horizon;
use passerelle_referrals::lifecycle::{Rendezvous, Step};
use passerelle_referrals::model::{
    Consent, ConsentWay, NewReferral, Person, Problem, REFUSAL_REASONS,
};
use passerelle_referrals::referents::{ComplexRequest, Mandate, Outcome, Referent};
use serde::Deserialize;

pub use crate::forms::FieldErrors;

/// The domain's problems, each on its field.
pub fn field_errors(problems: Vec<Problem>) -> FieldErrors {
    problems.into_iter().map(|p| (p.field, p.message)).collect()
}

fn some(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// An idempotency key as sent by our forms (a random secret), or none.
fn key(text: &str) -> Option<String> {
    some(text).filter(|k| k.len() <= 128)
}

/// `POST /orientations`: a new referral, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReferralForm {
    pub lieu: String,
    pub structure: String,
    pub service: String,
    pub organisme: String,
    pub situation: String,
    pub urgence: String,
    pub disponibilites: String,
    pub prenom: String,
    pub canal: String,
    pub contact: String,
    pub numero_caf: String,
    pub numero_france_travail: String,
    pub consentement: String,
    pub consentement_mode: String,
    pub cle: String,
}

impl ReferralForm {
    /// The blank form (a place already chosen when reached from its page).
    pub fn blank(place: String) -> Self {
        Self {
            lieu: place,
            urgence: "normale".into(),
            canal: "telephone".into(),
            consentement_mode: "oral".into(),
            ..Self::default()
        }
    }

    pub fn consent(&self) -> bool {
        self.consentement == "oui"
    }

    pub fn key(&self) -> Option<String> {
        key(&self.cle)
    }

    /// The referral to send, received by `place` (a place of the
    /// directory, with its structure) or by `structure` directly; the
    /// consent recorded as given by `informed_by` now.
    pub fn referral(
        &self,
        place: Option<(i64, i64)>,
        structure: Option<i64>,
        informed_by: i64,
        now: DateTime<Utc>,
    ) -> Result<(NewReferral, i64), FieldErrors> {
        let referral = NewReferral {
            place_id: place.map(|(p, _)| p),
            structure_id: if place.is_some() { None } else { structure },
            service: self.service.trim().to_string(),
            organisation: some(&self.organisme),
            situation: self.situation.trim().to_string(),
            urgency: self.urgence.trim().to_string(),
            availability: self.disponibilites.trim().to_string(),
            person: Person {
                first_name: self.prenom.trim().to_string(),
                channel: self.canal.trim().to_string(),
                contact: self.contact.trim().to_string(),
                caf_number: some(&self.numero_caf),
                france_travail_number: some(&self.numero_france_travail),
            },
            consent: self.consent().then(|| Consent {
                informed_by,
                at: now,
                how: ConsentWay::parse(self.consentement_mode.trim()),
            }),
        };
        let errors = field_errors(passerelle_referrals::model::validate(
            &referral,
            passerelle_places::vocab::SERVICES,
            &passerelle_activities::vocab::ORGANISATIONS,
        ));
        match place.map(|(_, s)| s).or(structure) {
            Some(receiver) if errors.is_empty() => Ok((referral, receiver)),
            _ => Err(errors),
        }
    }
}

/// `POST /orientations/{id}/etape`: a step, with the fields it needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StepForm {
    pub version: Option<i64>,
    pub etape: String,
    pub date: String,
    /// The appointment's time (`HH:MM`, as time inputs send it), optional.
    pub heure: String,
    pub motif: String,
    pub message: String,
    pub lieu: Option<i64>,
    /// `oui` once the person confirmed a refusal or a cancellation.
    pub confirmer: String,
}

/// What a step form asks, once read.
pub enum Asked {
    /// A step, ready to take (a re-orientation's structure still to find).
    Step(Step),
    /// A re-orientation to this place of the directory.
    Reorient(i64),
    /// A refusal or cancellation sent without its confirmation: shown
    /// the confirmation (`?confirmer=…`) instead.
    Confirm(&'static str),
}

impl StepForm {
    /// The step asked, or what is wrong with it (field, message).
    pub fn asked(&self, today: NaiveDate) -> Result<Asked, (&'static str, &'static str)> {
        let confirmed = self.confirmer == "oui";
        Ok(Asked::Step(match self.etape.as_str() {
            "ouverture" => Step::Open,
            "rendez_vous" => Step::Appointment(Rendezvous {
                day: appointment(&self.date, today)?,
                time: appointment_time(&self.heure)?,
            }),
            "accompagnee" => Step::Accompanied,
            "non_venue" => Step::NoShow,
            "refus" if !confirmed => return Ok(Asked::Confirm("refus")),
            "refus" => {
                let reason = self.motif.trim();
                if !REFUSAL_REASONS.contains(&reason) {
                    return Err(("motif", "choisissez un motif de la liste"));
                }
                Step::Refuse {
                    reason: reason.into(),
                    message: self.message.trim().chars().take(2000).collect(),
                }
            }
            "annulation" if !confirmed => return Ok(Asked::Confirm("annulation")),
            "annulation" => Step::Cancel,
            "reorientation" => match self.lieu {
                Some(place) => return Ok(Asked::Reorient(place)),
                None => return Err(("lieu", "choisissez un lieu de la liste")),
            },
            _ => return Err(("etape", "étape inconnue")),
        }))
    }
}

/// The day of an appointment: a date, not past, within the year to come.
fn appointment(typed: &str, today: NaiveDate) -> Result<NaiveDate, (&'static str, &'static str)> {
    let day = NaiveDate::parse_from_str(typed.trim(), "%Y-%m-%d")
        .map_err(|_| ("date", "une date de rendez-vous au format AAAA-MM-JJ"))?;
    if day < today - chrono::Duration::days(1) {
        return Err(("date", "le rendez-vous ne peut pas être passé"));
    }
    if !appointment_within_horizon(day, today) {
        return Err((
            "date",
            "le rendez-vous doit avoir lieu dans l’année qui vient",
        ));
    }
    Ok(day)
}

/// The time of an appointment, if one is given: `14:30` as time inputs
/// send it (`14h30` and `14 h 30` as people write it are read too).
fn appointment_time(typed: &str) -> Result<Option<NaiveTime>, (&'static str, &'static str)> {
    let typed: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
        .replace('h', ":");
    if typed.is_empty() {
        return Ok(None);
    }
    let typed = if typed.ends_with(':') {
        format!("{typed}00")
    } else {
        typed
    };
    NaiveTime::parse_from_str(&typed, "%H:%M")
        .map(Some)
        .map_err(|_| ("heure", "une heure comme 14:30, ou rien"))
}

/// `POST /orientations/{id}/activite`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    pub activite: Option<i64>,
}

/// `POST …/effacement`: erasing waits for `confirmer=oui`, sent by the
/// confirmation the page shows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EraseForm {
    pub confirmer: String,
}

impl EraseForm {
    pub fn confirmed(&self) -> bool {
        self.confirmer == "oui"
    }
}

/// `POST /referents`: a directory entry, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EntryForm {
    pub organisme: String,
    pub territoire: String,
    pub nom: String,
    pub courriel: String,
    pub telephone: String,
    pub perimetre: String,
    pub structure: String,
}

impl EntryForm {
    pub fn referent(&self) -> Referent {
        Referent {
            organisation: self.organisme.trim().to_string(),
            territory: self.territoire.trim().to_string(),
            name: self.nom.trim().to_string(),
            email: some(&self.courriel),
            phone: some(&self.telephone),
            scope: self.perimetre.trim().to_string(),
        }
    }

    /// The structure chosen, if any (`Err`: not a number our form sends).
    pub fn structure(&self) -> Result<Option<i64>, ()> {
        match self.structure.trim() {
            "" => Ok(None),
            id => id.parse().map(Some).map_err(|_| ()),
        }
    }
}

/// `POST /referents/demandes`: a "situation complexe" request, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    pub groupe: String,
    pub objet: String,
    pub description: String,
    pub personne: String,
    pub mandat: String,
    pub mandat_date: String,
    pub cle: String,
}

impl RequestForm {
    pub fn request(&self) -> ComplexRequest {
        ComplexRequest {
            subject: self.objet.trim().to_string(),
            description: self.description.trim().to_string(),
            person_details: self.personne.trim().to_string(),
            mandate_type: Mandate::parse(self.mandat.trim()),
            mandate_date: NaiveDate::parse_from_str(self.mandat_date.trim(), "%Y-%m-%d").ok(),
        }
    }

    pub fn group(&self) -> Option<i64> {
        self.groupe.trim().parse().ok()
    }

    pub fn key(&self) -> Option<String> {
        key(&self.cle)
    }
}

/// `POST /referents/demandes/{id}/reponse`: a message, or the closing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    pub version: Option<i64>,
    pub message: String,
    pub issue: String,
}

impl ReplyForm {
    pub fn outcome(&self) -> Option<Outcome> {
        Outcome::parse(self.issue.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    }

    #[test]
    fn refusing_and_cancelling_wait_for_their_confirmation() {
        let form = |etape: &str, confirmer: &str| StepForm {
            etape: etape.into(),
            motif: REFUSAL_REASONS[0].into(),
            confirmer: confirmer.into(),
            ..StepForm::default()
        };
        assert!(matches!(
            form("refus", "").asked(today()),
            Ok(Asked::Confirm("refus"))
        ));
        assert!(matches!(
            form("annulation", "non").asked(today()),
            Ok(Asked::Confirm("annulation"))
        ));
        assert!(matches!(
            form("refus", "oui").asked(today()),
            Ok(Asked::Step(Step::Refuse { .. }))
        ));
        assert!(matches!(
            form("annulation", "oui").asked(today()),
            Ok(Asked::Step(Step::Cancel))
        ));
    }

    #[test]
    fn an_appointment_is_a_day_to_come() {
        let form = |date: &str| StepForm {
            etape: "rendez_vous".into(),
            date: date.into(),
            ..StepForm::default()
        };
        assert!(matches!(
            form("2026-12-10").asked(today()),
            Ok(Asked::Step(Step::Appointment(r))) if r == Rendezvous::on(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap())
        ));
        let at = |heure: &str| {
            StepForm {
                heure: heure.into(),
                ..form("2026-12-10")
            }
            .asked(today())
        };
        for written in ["14:30", "14h30", "14 h 30"] {
            assert!(
                matches!(
                    at(written),
                    Ok(Asked::Step(Step::Appointment(r))) if r.time == NaiveTime::from_hms_opt(14, 30, 0)
                ),
                "{written}"
            );
        }
        assert!(matches!(
            at("9h"),
            Ok(Asked::Step(Step::Appointment(r))) if r.time == NaiveTime::from_hms_opt(9, 0, 0)
        ));
        assert_eq!(
            at("25:00").err(),
            Some(("heure", "une heure comme 14:30, ou rien"))
        );
        assert_eq!(
            form("pas-une-date").asked(today()).err(),
            Some(("date", "une date de rendez-vous au format AAAA-MM-JJ"))
        );
        assert_eq!(
            form("2026-11-01").asked(today()).err().map(|e| e.0),
            Some("date")
        );
    }

    #[test]
    fn a_referral_names_each_field_that_is_wrong() {
        let form = ReferralForm {
            service: "pas un besoin".into(),
            canal: "telephone".into(),
            contact: "12".into(),
            ..ReferralForm::blank(String::new())
        };
        let errors = form.referral(None, None, 1, Utc::now()).unwrap_err();
        for field in [
            "lieu",
            "service",
            "situation",
            "prenom",
            "contact",
            "consentement",
        ] {
            assert!(errors.has(field), "{field}");
        }
        assert!(!errors.has("urgence"));
    }
}
