//! Referents inside administrations, and "situation complexe" requests to
//! an organisation's referent group (as Administration+ does): the entries
//! and requests as entered, and their checks.

use chrono::NaiveDate;

use crate::model::Problem;

/// Organisations with referents for professionals (seed 001, tableaux 12
/// and 13).
pub const ORGANISATIONS: [&str; 12] = [
    "CAF",
    "CPAM",
    "CARSAT",
    "MSA",
    "DGFiP / impôts",
    "France Travail",
    "Préfecture / ANTS",
    "La Poste",
    "MDPH",
    "Conseil départemental",
    "Commune",
    "URSSAF",
];

/// How the person gave their mandate for the request.
pub const MANDATES: [(&str, &str); 3] = [
    ("oral", "Accord oral"),
    ("sms", "Accord par SMS"),
    ("papier", "Mandat papier signé"),
];

pub const OUTCOMES: [(&str, &str); 2] = [("utile", "Utile"), ("pas_utile", "Pas utile")];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Referent {
    pub organisation: String,
    /// `dep:29`, `epci:<SIREN>`, `com:<INSEE>` or `reg:53`.
    pub territory: String,
    /// A named person or a functional mailbox.
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// What they handle.
    pub scope: String,
}

fn fail(out: &mut Vec<Problem>, field: &'static str, message: &str) {
    out.push(Problem {
        field,
        message: message.into(),
    });
}

pub fn is_territory(text: &str) -> bool {
    let Some((level, code)) = text.split_once(':') else {
        return false;
    };
    let alnum = |n: std::ops::RangeInclusive<usize>| {
        n.contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    match level {
        "reg" => alnum(2..=2),
        "dep" => alnum(2..=3),
        "epci" => code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit()),
        "com" => alnum(5..=5),
        _ => false,
    }
}

pub fn validate_referent(r: &Referent) -> Vec<Problem> {
    let mut out = Vec::new();
    if !ORGANISATIONS.contains(&r.organisation.as_str()) {
        fail(&mut out, "organisme", "choisissez un organisme de la liste");
    }
    if !is_territory(&r.territory) {
        fail(
            &mut out,
            "territoire",
            "un territoire : dep:29, epci:<SIREN>, com:<code INSEE> ou reg:53",
        );
    }
    if r.name.trim().is_empty() || r.name.chars().count() > 200 {
        fail(
            &mut out,
            "nom",
            "le nom du référent ou de la boîte fonctionnelle",
        );
    }
    if r.email.is_none() && r.phone.is_none() {
        fail(
            &mut out,
            "contact",
            "une adresse électronique ou un téléphone",
        );
    }
    if let Some(e) = &r.email
        && !(e.contains('@')
            && e.rsplit('@').next().is_some_and(|d| d.contains('.'))
            && !e.contains(' '))
    {
        fail(&mut out, "courriel", "une adresse électronique");
    }
    if let Some(p) = &r.phone
        && p.chars().filter(char::is_ascii_digit).count() < 4
    {
        fail(&mut out, "telephone", "un numéro de téléphone");
    }
    if r.scope.trim().is_empty() || r.scope.chars().count() > 1000 {
        fail(
            &mut out,
            "perimetre",
            "ce que traite ce référent (1 000 caractères au plus)",
        );
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComplexRequest {
    pub subject: String,
    pub description: String,
    /// What the administration needs to find the person's file.
    pub person_details: String,
    pub mandate_type: String,
    pub mandate_date: Option<NaiveDate>,
}

pub fn validate_request(r: &ComplexRequest, today: NaiveDate) -> Vec<Problem> {
    let mut out = Vec::new();
    if r.subject.trim().is_empty() || r.subject.chars().count() > 200 {
        fail(
            &mut out,
            "objet",
            "l’objet de la demande (200 caractères au plus)",
        );
    }
    if r.description.trim().is_empty() || r.description.chars().count() > 4000 {
        fail(
            &mut out,
            "description",
            "la situation (4 000 caractères au plus)",
        );
    }
    if r.person_details.trim().is_empty() || r.person_details.chars().count() > 1000 {
        fail(
            &mut out,
            "personne",
            "ce dont l’administration a besoin pour retrouver le dossier",
        );
    }
    if !MANDATES.iter().any(|(c, _)| *c == r.mandate_type) {
        fail(&mut out, "mandat", "comment la personne a donné son accord");
    }
    match r.mandate_date {
        Some(d) if d <= today => {}
        _ => fail(
            &mut out,
            "mandat_date",
            "la date de l’accord, au plus tard aujourd’hui",
        ),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referent_entries() {
        let ok = Referent {
            organisation: "CAF".into(),
            territory: "dep:29".into(),
            name: "Pôle partenaires".into(),
            email: Some("partenaires@caf29.fr".into()),
            phone: None,
            scope: "Dossiers bloqués de prestations".into(),
        };
        assert!(validate_referent(&ok).is_empty());
        let bad = Referent {
            organisation: "NASA".into(),
            territory: "29".into(),
            name: String::new(),
            email: None,
            phone: None,
            scope: String::new(),
        };
        let fields: Vec<_> = validate_referent(&bad)
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            ["organisme", "territoire", "nom", "contact", "perimetre"]
        );
        assert!(
            is_territory("epci:200068120") && is_territory("com:2A004") && !is_territory("epci:12")
        );
    }

    #[test]
    fn requests_need_a_mandate_dated_in_the_past() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let r = ComplexRequest {
            subject: "Dossier RSA suspendu".into(),
            description: "Suspension depuis 3 mois sans courrier".into(),
            person_details: "M. X, né en 1961, n° allocataire 1234567".into(),
            mandate_type: "papier".into(),
            mandate_date: Some(today),
        };
        assert!(validate_request(&r, today).is_empty());
        let later = ComplexRequest {
            mandate_date: today.succ_opt(),
            mandate_type: "télépathie".into(),
            ..r
        };
        let fields: Vec<_> = validate_request(&later, today)
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["mandat", "mandat_date"]);
    }
}
