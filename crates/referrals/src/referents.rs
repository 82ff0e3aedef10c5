//! Referents inside administrations, and "situation complexe" requests to
//! an organisation's referent group (as Administration+ does): the entries
//! and requests as entered, and their checks.
//!
//! An entry can only point to a structure of the organisation it names
//! (`may_represent`: the structure kinds, set by the admin who created the
//! structure, that stand for each organisation), and only a validated
//! entry receives requests. A request is open, closed by its author with
//! an outcome, or expired after a period without activity
//! (`deadlines::request_due`).

use chrono::NaiveDate;
use passerelle_accounts::StructureKind;

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

/// The structure kinds that may stand for an organisation of
/// `ORGANISATIONS` in the directory; none for an unknown organisation.
pub fn representing_kinds(organisation: &str) -> &'static [StructureKind] {
    use StructureKind::*;
    match organisation {
        "CAF" => &[Caf],
        "CPAM" => &[Cpam],
        "CARSAT" => &[Carsat],
        "MSA" => &[Msa],
        "DGFiP / impôts" => &[Dgfip],
        "France Travail" => &[FranceTravail],
        "Préfecture / ANTS" => &[Prefecture],
        "La Poste" => &[LaPoste],
        // The MDPH is a public interest group of the département.
        "MDPH" => &[Mdph, Departement],
        "Conseil départemental" => &[Departement],
        "Commune" => &[Mairie, Ccas],
        "URSSAF" => &[Urssaf],
        _ => &[],
    }
}

/// Whether a structure of this kind may stand for the organisation.
pub fn may_represent(organisation: &str, kind: StructureKind) -> bool {
    representing_kinds(organisation).contains(&kind)
}

/// How the person gave their mandate for the request: a stable code in
/// storage, a French label for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Mandate {
    #[serde(rename = "oral")]
    Oral,
    #[serde(rename = "sms")]
    Sms,
    #[serde(rename = "papier")]
    Paper,
}

impl Mandate {
    pub const ALL: [Mandate; 3] = [Self::Oral, Self::Sms, Self::Paper];

    pub fn code(self) -> &'static str {
        match self {
            Self::Oral => "oral",
            Self::Sms => "sms",
            Self::Paper => "papier",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Oral => "Accord oral",
            Self::Sms => "Accord par SMS",
            Self::Paper => "Mandat papier signé",
        }
    }
}

/// What the requester says of a closed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Outcome {
    #[serde(rename = "utile")]
    Useful,
    #[serde(rename = "pas_utile")]
    NotUseful,
}

impl Outcome {
    pub const ALL: [Outcome; 2] = [Self::Useful, Self::NotUseful];

    pub fn code(self) -> &'static str {
        match self {
            Self::Useful => "utile",
            Self::NotUseful => "pas_utile",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Useful => "Utile",
            Self::NotUseful => "Pas utile",
        }
    }
}

/// Which end of a request wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RequestSide {
    #[serde(rename = "demandeur")]
    Requester,
    #[serde(rename = "referent")]
    Referent,
}

impl RequestSide {
    pub fn code(self) -> &'static str {
        match self {
            Self::Requester => "demandeur",
            Self::Referent => "referent",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Requester, Self::Referent]
            .into_iter()
            .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Requester => "demandeur",
            Self::Referent => "référent",
        }
    }
}

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

/// Checks an entry; `structure` is the kind of the structure it points
/// to, if any, which must be one that stands for the organisation.
pub fn validate_referent(r: &Referent, structure: Option<StructureKind>) -> Vec<Problem> {
    let mut out = Vec::new();
    if !ORGANISATIONS.contains(&r.organisation.as_str()) {
        fail(&mut out, "organisme", "choisissez un organisme de la liste");
    } else if let Some(kind) = structure
        && !may_represent(&r.organisation, kind)
    {
        let expected: Vec<&str> = representing_kinds(&r.organisation)
            .iter()
            .map(|k| k.label())
            .collect();
        out.push(Problem {
            field: "structure",
            message: format!(
                "une structure « {} » ne peut pas représenter l’organisme {} (attendu : {})",
                kind.label(),
                r.organisation,
                expected.join(" ou ")
            ),
        });
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

/// Where a "situation complexe" request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Ouverte,
    /// Closed by its author, with an outcome.
    Close,
    /// Closed by the scheduled job after a period without activity.
    Expiree,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 3] = [Self::Ouverte, Self::Close, Self::Expiree];

    pub fn code(self) -> &'static str {
        match self {
            Self::Ouverte => "ouverte",
            Self::Close => "close",
            Self::Expiree => "expiree",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ouverte => "ouverte",
            Self::Close => "close",
            Self::Expiree => "close faute d’échange",
        }
    }

    pub fn is_open(self) -> bool {
        self == Self::Ouverte
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComplexRequest {
    pub subject: String,
    pub description: String,
    /// What the administration needs to find the person's file.
    pub person_details: String,
    /// `None` when what was typed is no `Mandate`.
    pub mandate_type: Option<Mandate>,
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
    if r.mandate_type.is_none() {
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
        assert!(validate_referent(&ok, None).is_empty());
        assert!(validate_referent(&ok, Some(StructureKind::Caf)).is_empty());
        // A centre social cannot stand for the CAF.
        let posing = validate_referent(&ok, Some(StructureKind::CentreSocial));
        assert_eq!(posing.len(), 1);
        assert_eq!(posing[0].field, "structure");
        assert!(posing[0].message.contains("CAF"), "{}", posing[0].message);
        let bad = Referent {
            organisation: "NASA".into(),
            territory: "29".into(),
            name: String::new(),
            email: None,
            phone: None,
            scope: String::new(),
        };
        let fields: Vec<_> = validate_referent(&bad, Some(StructureKind::Caf))
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
    fn every_organisation_has_the_kinds_that_stand_for_it() {
        for o in ORGANISATIONS {
            assert!(!representing_kinds(o).is_empty(), "{o}");
        }
        assert!(representing_kinds("NASA").is_empty());
        for kind in [
            StructureKind::CentreSocial,
            StructureKind::Association,
            StructureKind::FranceServices,
            StructureKind::Autre,
        ] {
            for o in ORGANISATIONS {
                assert!(!may_represent(o, kind), "{kind:?} for {o}");
            }
        }
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn requests_need_a_mandate_dated_in_the_past() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let r = ComplexRequest {
            subject: "Dossier RSA suspendu".into(),
            description: "Suspension depuis 3 mois sans courrier".into(),
            person_details: "M. X, né en 1961, n° allocataire 1234567".into(),
            mandate_type: Some(Mandate::Paper),
            mandate_date: Some(today),
        };
        assert!(validate_request(&r, today).is_empty());
        let later = ComplexRequest {
            mandate_date: today.succ_opt(),
            mandate_type: Mandate::parse("télépathie"),
            ..r
        };
        let fields: Vec<_> = validate_request(&later, today)
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["mandat", "mandat_date"]);
    }
}
