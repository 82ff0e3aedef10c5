//! Opportunities the hub relays: funding calls (funder, amount, eligible
//! territory, deadline, link), job offers (employer, job, commune,
//! contract, deadline) and training offers (organiser, dates, place or
//! online, certification such as CCP 1, 2 or 3). Each is shown until its
//! last day (Paris) and expires after it.

use chrono::NaiveDate;
use passerelle_accounts::ScopeLevel;

use crate::check::Checks;
use crate::vocab::{Certification, Contract, OpportunityKind, Theme, chosen};
use crate::{Problem, Rule};

/// Where an opportunity applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Anywhere (a national call).
    Everywhere,
    /// A territory of the reference (an eligible département…).
    Territory(ScopeLevel, String),
    /// A commune (INSEE code): where the job or training is.
    Commune(String),
    /// A training given online.
    Online,
}

/// What depends on the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Details {
    Funding {
        /// The most one project may receive, in euros, if said.
        amount: Option<i64>,
    },
    Job {
        contract: Contract,
    },
    Training {
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        certification: Certification,
    },
}

impl Details {
    pub fn kind(&self) -> OpportunityKind {
        match self {
            Self::Funding { .. } => OpportunityKind::Funding,
            Self::Job { .. } => OpportunityKind::Job,
            Self::Training { .. } => OpportunityKind::Training,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opportunity {
    pub title: String,
    /// The funder, employer or organiser.
    pub organisation: String,
    pub description: Option<String>,
    pub themes: Vec<Theme>,
    pub reach: Reach,
    /// The last day to apply (Paris); it expires the day after.
    pub deadline: NaiveDate,
    pub link: Option<String>,
    pub details: Details,
}

/// An opportunity as typed (dates and numbers already read by the page;
/// the territory or commune already found in the reference).
#[derive(Debug, Clone, Default)]
pub struct OpportunityDraft {
    pub kind: String,
    pub title: String,
    pub organisation: String,
    pub description: String,
    pub themes: Vec<String>,
    pub territory: Option<(ScopeLevel, String)>,
    pub commune: Option<String>,
    pub online: bool,
    pub deadline: Option<NaiveDate>,
    pub link: String,
    pub amount: Option<i64>,
    pub contract: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub certification: String,
}

pub const AMOUNT_MAX: i64 = 100_000_000;

impl Opportunity {
    /// Checks a draft; `today` (Paris) for deadlines already past.
    pub fn check(d: OpportunityDraft, today: NaiveDate) -> Result<Self, Vec<Problem>> {
        let mut c = Checks::default();
        let kind = OpportunityKind::parse(&d.kind);
        if kind.is_none() {
            c.add("type", Rule::NotInList);
        }
        let title = c.text("titre", &d.title, 150);
        let organisation = c.text("organisme", &d.organisation, 150);
        let description = c.optional("description", &d.description, 4000);
        let themes = chosen(&d.themes, Theme::ALL, Theme::code).unwrap_or_else(|rule| {
            c.add("themes", rule);
            Vec::new()
        });
        let link = c.link("lien", &d.link);
        let (details, reach) = match kind {
            Some(OpportunityKind::Funding) => funding(&mut c, &d, &link),
            Some(OpportunityKind::Job) => job(&mut c, &d),
            Some(OpportunityKind::Training) => training(&mut c, &d),
            None => (Details::Funding { amount: None }, Reach::Everywhere),
        };
        let deadline = match (d.deadline, &details) {
            (Some(day), _) => day,
            (None, Details::Training { starts_on, .. }) => *starts_on,
            (None, _) => {
                c.add("date_limite", Rule::Missing);
                today
            }
        };
        if deadline < today && d.deadline.is_some() {
            c.add("date_limite", Rule::InThePast);
        }
        if let Details::Training { ends_on, .. } = details
            && d.deadline.is_some_and(|day| day > ends_on)
        {
            c.add("date_limite", Rule::NotBefore("fin"));
        }
        c.done(Opportunity {
            title,
            organisation,
            description,
            themes,
            reach,
            deadline,
            link,
            details,
        })
    }
}

fn funding(c: &mut Checks, d: &OpportunityDraft, link: &Option<String>) -> (Details, Reach) {
    if link.is_none() {
        c.add("lien", Rule::Missing);
    }
    if d.amount.is_some_and(|a| !(1..=AMOUNT_MAX).contains(&a)) {
        c.add(
            "montant",
            Rule::OutOfRange {
                min: 1,
                max: AMOUNT_MAX,
            },
        );
    }
    let reach = match &d.territory {
        Some((level, code)) => Reach::Territory(*level, code.clone()),
        None => Reach::Everywhere,
    };
    (Details::Funding { amount: d.amount }, reach)
}

fn job(c: &mut Checks, d: &OpportunityDraft) -> (Details, Reach) {
    let contract = Contract::parse(&d.contract).unwrap_or_else(|| {
        c.add("contrat", Rule::NotInList);
        Contract::Cdd
    });
    let reach = match &d.commune {
        Some(code) => Reach::Commune(code.clone()),
        None => {
            c.add("commune", Rule::Missing);
            Reach::Everywhere
        }
    };
    (Details::Job { contract }, reach)
}

fn training(c: &mut Checks, d: &OpportunityDraft) -> (Details, Reach) {
    let certification = Certification::parse(&d.certification).unwrap_or_else(|| {
        c.add("certification", Rule::NotInList);
        Certification::None
    });
    let starts_on = d.starts_on.unwrap_or_else(|| {
        c.add("debut", Rule::Missing);
        NaiveDate::MIN
    });
    let ends_on = match d.ends_on {
        Some(end) if end < starts_on => {
            c.add("fin", Rule::NotAfter("debut"));
            end
        }
        Some(end) => end,
        None => starts_on,
    };
    let reach = match (&d.commune, d.online) {
        (_, true) => Reach::Online,
        (Some(code), false) => Reach::Commune(code.clone()),
        (None, false) => {
            c.add("commune", Rule::Missing);
            Reach::Online
        }
    };
    (
        Details::Training {
            starts_on,
            ends_on,
            certification,
        },
        reach,
    )
}

/// Shown until its last day, expired from the day after.
pub fn is_open(deadline: NaiveDate, today: NaiveDate) -> bool {
    today <= deadline
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn funding_call() -> OpportunityDraft {
        OpportunityDraft {
            kind: "financement".into(),
            title: "Appel à projets Inclusion numérique 2027".into(),
            organisation: "Région Bretagne".into(),
            themes: vec!["financements".into()],
            territory: Some((ScopeLevel::Region, "53".into())),
            deadline: Some(day(2027, 1, 31)),
            link: "https://www.bretagne.bzh/aap".into(),
            amount: Some(20_000),
            ..OpportunityDraft::default()
        }
    }

    #[test]
    fn each_kind_has_its_fields() {
        let today = day(2026, 11, 2);
        let call = Opportunity::check(funding_call(), today).unwrap();
        assert_eq!(
            call.details,
            Details::Funding {
                amount: Some(20_000)
            }
        );
        assert_eq!(
            call.reach,
            Reach::Territory(ScopeLevel::Region, "53".into())
        );
        let job = Opportunity::check(
            OpportunityDraft {
                kind: "emploi".into(),
                contract: "cdd".into(),
                commune: Some("29232".into()),
                territory: None,
                link: String::new(),
                amount: None,
                ..funding_call()
            },
            today,
        )
        .unwrap();
        assert_eq!(job.reach, Reach::Commune("29232".into()));
        let training = Opportunity::check(
            OpportunityDraft {
                kind: "formation".into(),
                certification: "ccp2".into(),
                online: true,
                starts_on: Some(day(2027, 2, 1)),
                ends_on: Some(day(2027, 2, 5)),
                deadline: None,
                link: String::new(),
                amount: None,
                ..funding_call()
            },
            today,
        )
        .unwrap();
        assert_eq!(training.deadline, day(2027, 2, 1), "until it starts");
        assert_eq!(training.reach, Reach::Online);
        assert!(matches!(
            training.details,
            Details::Training {
                certification: Certification::Ccp2,
                ..
            }
        ));
    }

    #[test]
    fn missing_fields_are_named() {
        let today = day(2026, 11, 2);
        let problems = Opportunity::check(
            OpportunityDraft {
                link: String::new(),
                deadline: Some(day(2026, 11, 1)),
                amount: Some(0),
                ..funding_call()
            },
            today,
        )
        .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| (p.field, p.rule.clone())).collect();
        assert_eq!(
            fields,
            vec![
                ("lien", Rule::Missing),
                (
                    "montant",
                    Rule::OutOfRange {
                        min: 1,
                        max: AMOUNT_MAX
                    }
                ),
                ("date_limite", Rule::InThePast)
            ]
        );
        let job = Opportunity::check(
            OpportunityDraft {
                kind: "emploi".into(),
                deadline: None,
                ..funding_call()
            },
            today,
        )
        .unwrap_err();
        let fields: Vec<_> = job.iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["contrat", "commune", "date_limite"]);
    }

    #[test]
    fn opportunities_expire_after_their_last_day() {
        assert!(is_open(day(2027, 1, 31), day(2027, 1, 31)));
        assert!(!is_open(day(2027, 1, 31), day(2027, 2, 1)));
    }
}
