//! A referral as the sender enters it: the need, the person (the minimum to
//! be contacted), and the consent, without which nothing is created.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How the person wants to be contacted.
pub const CONTACT_CHANNELS: [(&str, &str); 3] = [
    ("telephone", "Téléphone"),
    ("courriel", "Courriel"),
    ("courrier", "Courrier postal"),
];

/// How the person was informed and agreed: a stable code in storage, a
/// French label for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentWay {
    Oral,
    Ecrit,
    Sms,
    Telephone,
}

impl ConsentWay {
    pub const ALL: [ConsentWay; 4] = [Self::Oral, Self::Ecrit, Self::Sms, Self::Telephone];

    pub fn code(self) -> &'static str {
        match self {
            Self::Oral => "oral",
            Self::Ecrit => "ecrit",
            Self::Sms => "sms",
            Self::Telephone => "telephone",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Oral => "Oralement, en entretien",
            Self::Ecrit => "Par écrit (formulaire signé)",
            Self::Sms => "Par SMS ou courriel",
            Self::Telephone => "Par téléphone",
        }
    }
}

pub const URGENCIES: [(&str, &str); 2] = [("normale", "Normale"), ("urgente", "Urgente")];

/// How soon the person needs help, as a referral carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Normale,
    Urgente,
}

impl Urgency {
    /// From its stored code (`URGENCIES`).
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "normale" => Some(Self::Normale),
            "urgente" => Some(Self::Urgente),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Normale => "normale",
            Self::Urgente => "urgente",
        }
    }
}

/// Why a receiving service declines, a managed list the sender reads.
pub const REFUSAL_REASONS: [&str; 6] = [
    "Hors du champ d’intervention du lieu",
    "Capacité d’accueil atteinte",
    "Personne déjà accompagnée ailleurs",
    "Personne injoignable",
    "Besoin mieux couvert par un autre service",
    "Autre (précisé dans le message)",
];

pub fn label_of(list: &[(&'static str, &'static str)], code: &str) -> Option<&'static str> {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// The person, minimised: a first name and one way to reach them; a CAF or
/// France Travail number only when the receiving service needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Person {
    pub first_name: String,
    pub channel: String,
    pub contact: String,
    pub caf_number: Option<String>,
    pub france_travail_number: Option<String>,
}

/// Who informed the person, when and how; recorded with the referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub informed_by: i64,
    pub at: DateTime<Utc>,
    /// `None` when what was typed is no `ConsentWay`.
    pub how: Option<ConsentWay>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    /// A place of the directory, whose structure receives it.
    pub place_id: Option<i64>,
    /// Or a structure directly.
    pub structure_id: Option<i64>,
    /// A service of the national standard (`places::vocab::SERVICES`).
    pub service: String,
    /// For a procedure, the organisation concerned.
    pub organisation: Option<String>,
    pub situation: String,
    pub urgency: String,
    pub availability: String,
    pub person: Person,
    /// None: the sender did not confirm consent.
    pub consent: Option<Consent>,
}

/// A problem with what was entered, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

const MAX_TEXT: usize = 2000;

/// Checks a new referral. `services` and `organisations` are the closed
/// lists it must use (kept in their own crates).
pub fn validate(r: &NewReferral, services: &[&str], organisations: &[&str]) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut fail = |field, message: &str| {
        out.push(Problem {
            field,
            message: message.into(),
        })
    };
    if r.place_id.is_none() && r.structure_id.is_none() {
        fail(
            "lieu",
            "choisissez le lieu ou la structure qui recevra l’orientation",
        );
    }
    if !services.contains(&r.service.as_str()) {
        fail("service", "choisissez un besoin de la liste");
    }
    if let Some(o) = &r.organisation
        && !organisations.contains(&o.as_str())
    {
        fail("organisme", "choisissez un organisme de la liste");
    }
    if r.situation.trim().is_empty() {
        fail("situation", "décrivez la situation en quelques mots");
    }
    if r.situation.chars().count() > MAX_TEXT || r.availability.chars().count() > MAX_TEXT {
        fail("situation", "2 000 caractères au plus");
    }
    if label_of(&URGENCIES, &r.urgency).is_none() {
        fail("urgence", "normale ou urgente");
    }
    let p = &r.person;
    if p.first_name.trim().is_empty() || p.first_name.chars().count() > 100 {
        fail(
            "prenom",
            "le prénom de la personne (100 caractères au plus)",
        );
    }
    match p.channel.as_str() {
        "telephone" if !is_phone(&p.contact) => {
            fail("contact", "un numéro de téléphone (10 chiffres, ou +33…)")
        }
        "courriel" if !is_email(&p.contact) => fail("contact", "une adresse électronique"),
        "courrier" if p.contact.trim().len() < 10 => fail("contact", "une adresse postale"),
        "telephone" | "courriel" | "courrier" => {}
        _ => fail("canal", "choisissez comment joindre la personne"),
    }
    if let Some(n) = &p.caf_number
        && !(n.len() <= 13 && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        fail(
            "numero_caf",
            "un numéro d’allocataire CAF : 13 chiffres au plus",
        );
    }
    if let Some(n) = &p.france_travail_number
        && !(n.len() >= 7 && n.len() <= 11 && n.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        fail(
            "numero_france_travail",
            "un identifiant France Travail : 7 à 11 lettres ou chiffres",
        );
    }
    match &r.consent {
        None => fail(
            "consentement",
            "confirmez que la personne a été informée et a donné son accord",
        ),
        Some(c) if c.how.is_none() => fail(
            "consentement_mode",
            "choisissez comment l’accord a été recueilli",
        ),
        Some(_) => {}
    }
    out
}

fn is_phone(text: &str) -> bool {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    let (rest, len) = match digits.strip_prefix("+33") {
        Some(rest) => (rest, 9),
        None => (digits.as_str(), 10),
    };
    rest.len() == len && rest.bytes().all(|b| b.is_ascii_digit())
}

fn is_email(text: &str) -> bool {
    let text = text.trim();
    match text.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !text.contains(' ')
        }
        None => false,
    }
}

/// A date the receiving service gives for an appointment: not before the
/// referral was sent.
pub fn appointment_ok(date: NaiveDate, sent: DateTime<Utc>) -> bool {
    date >= sent.date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> NewReferral {
        NewReferral {
            place_id: Some(1),
            structure_id: None,
            service: "Aide aux démarches administratives".into(),
            organisation: Some("CAF".into()),
            situation: "Dossier de prime d’activité bloqué".into(),
            urgency: "normale".into(),
            availability: "Le matin".into(),
            person: Person {
                first_name: "Jeanne".into(),
                channel: "telephone".into(),
                contact: "06 12 34 56 78".into(),
                caf_number: None,
                france_travail_number: None,
            },
            consent: Some(Consent {
                informed_by: 7,
                at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
                how: Some(ConsentWay::Oral),
            }),
        }
    }

    fn fields(r: &NewReferral) -> Vec<&'static str> {
        validate(r, &["Aide aux démarches administratives"], &["CAF"])
            .into_iter()
            .map(|p| p.field)
            .collect()
    }

    #[test]
    fn a_complete_referral_passes() {
        assert!(fields(&sample()).is_empty());
    }

    #[test]
    fn without_consent_nothing_is_created() {
        let r = NewReferral {
            consent: None,
            ..sample()
        };
        assert_eq!(fields(&r), vec!["consentement"]);
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut r = sample();
        r.place_id = None;
        r.service = "Jardinage".into();
        r.organisation = Some("NASA".into());
        r.situation = " ".into();
        r.urgency = "extrême".into();
        r.person.first_name = String::new();
        r.person.contact = "123".into();
        r.person.caf_number = Some("12AB".into());
        r.person.france_travail_number = Some("x".into());
        assert_eq!(
            fields(&r),
            vec![
                "lieu",
                "service",
                "organisme",
                "situation",
                "urgence",
                "prenom",
                "contact",
                "numero_caf",
                "numero_france_travail"
            ]
        );
        r = sample();
        r.person.channel = "courriel".into();
        r.person.contact = "jeanne@".into();
        assert_eq!(fields(&r), vec!["contact"]);
        r.person.contact = "jeanne@exemple.fr".into();
        assert!(fields(&r).is_empty());
        r.person.channel = "pigeon".into();
        assert_eq!(fields(&r), vec!["canal"]);
    }

    #[test]
    fn phone_numbers() {
        assert!(
            is_phone("06 12 34 56 78")
                && is_phone("+33 6 12 34 56 78")
                && is_phone("06.12.34.56.78")
        );
        assert!(!is_phone("06 12") && !is_phone("+33 06 12 34 56 78"));
    }
}
