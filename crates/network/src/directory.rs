//! The directory of the network (interconnaissance): professionals who
//! chose to appear, with their job, structure, commune, themes and
//! networks. Nothing is listed without that choice, an entry is changed or
//! withdrawn at any time, and it goes with the account.
//!
//! People reach each other through Passerelle: a message is relayed by
//! e-mail and the recipient's address is never shown. `contact_limit`
//! bounds how many messages one person may send.

use chrono::{DateTime, Duration, Utc};

use crate::check::Checks;
use crate::vocab::{Theme, chosen};
use crate::{Problem, Rule};

/// What a person says about themselves in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub job_title: String,
    /// One of the person's structures, or none.
    pub structure_id: Option<i64>,
    /// INSEE code of the commune they work in (resolved from its name by
    /// the page, checked against the reference by the store).
    pub commune: String,
    pub themes: Vec<Theme>,
    pub presentation: Option<String>,
}

/// A profile as typed, before its checks.
#[derive(Debug, Clone, Default)]
pub struct ProfileDraft {
    pub job_title: String,
    pub structure_id: Option<i64>,
    pub commune: Option<String>,
    pub themes: Vec<String>,
    pub presentation: String,
}

pub const JOB_TITLE_MAX: usize = 120;
pub const PRESENTATION_MAX: usize = 600;

impl TryFrom<ProfileDraft> for Profile {
    type Error = Vec<Problem>;

    fn try_from(d: ProfileDraft) -> Result<Self, Self::Error> {
        let mut c = Checks::default();
        let job_title = c.text("poste", &d.job_title, JOB_TITLE_MAX);
        let presentation = c.optional("presentation", &d.presentation, PRESENTATION_MAX);
        let commune = d.commune.unwrap_or_default();
        if commune.is_empty() {
            c.add("commune", Rule::Missing);
        }
        let themes = chosen(&d.themes, Theme::ALL, Theme::code).unwrap_or_else(|rule| {
            c.add("themes", rule);
            Vec::new()
        });
        if themes.is_empty() && !c.0.iter().any(|p| p.field == "themes") {
            c.add("themes", Rule::Missing);
        }
        c.done(Profile {
            job_title,
            structure_id: d.structure_id,
            commune,
            themes,
            presentation,
        })
    }
}

pub const MESSAGE_MIN: usize = 20;
pub const MESSAGE_MAX: usize = 2000;

/// A message to relay, checked.
pub fn message(text: &str) -> Result<String, Vec<Problem>> {
    let mut c = Checks::default();
    let text = c.text("message", text, MESSAGE_MAX);
    if !text.is_empty() && text.chars().count() < MESSAGE_MIN {
        c.add("message", Rule::TooShort(MESSAGE_MIN));
    }
    c.done(text)
}

/// How many messages a person may send: a few an hour, a day's worth,
/// and never more than two a day to the same person.
pub const PER_HOUR: u32 = 5;
pub const PER_DAY: u32 = 20;
pub const PER_RECIPIENT_PER_DAY: u32 = 2;

/// What a sender has sent lately (counted from the audit trail, so it
/// holds across restarts and servers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sent {
    pub last_hour: u32,
    pub last_day: u32,
    pub to_recipient_last_day: u32,
}

/// Why a message is not relayed now, and from when it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactLimit {
    /// Too many this hour.
    Hour,
    /// Too many today.
    Day,
    /// Already written to this person today.
    Recipient,
}

/// The windows the counts are taken over, ending `now`.
pub fn windows(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (now - Duration::hours(1), now - Duration::days(1))
}

pub fn contact_limit(sent: Sent) -> Result<(), ContactLimit> {
    if sent.to_recipient_last_day >= PER_RECIPIENT_PER_DAY {
        Err(ContactLimit::Recipient)
    } else if sent.last_day >= PER_DAY {
        Err(ContactLimit::Day)
    } else if sent.last_hour >= PER_HOUR {
        Err(ContactLimit::Hour)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ProfileDraft {
        ProfileDraft {
            job_title: " Conseillère numérique ".into(),
            structure_id: Some(3),
            commune: Some("29232".into()),
            themes: vec!["pedagogie".into()],
            presentation: String::new(),
        }
    }

    #[test]
    fn a_profile_needs_a_job_a_commune_and_a_theme() {
        let p = Profile::try_from(draft()).unwrap();
        assert_eq!(p.job_title, "Conseillère numérique");
        assert_eq!(p.themes, vec![Theme::Pedagogie]);
        assert_eq!(p.presentation, None);
        let problems = Profile::try_from(ProfileDraft::default()).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["poste", "commune", "themes"]);
        let bad = Profile::try_from(ProfileDraft {
            themes: vec!["piraterie".into()],
            ..draft()
        })
        .unwrap_err();
        assert_eq!(bad, vec![Problem::new("themes", Rule::NotInList)]);
    }

    #[test]
    fn messages_are_bounded() {
        assert!(message("Bonjour, pouvons-nous échanger sur vos ateliers ?").is_ok());
        assert_eq!(
            message("Salut").unwrap_err(),
            vec![Problem::new("message", Rule::TooShort(MESSAGE_MIN))]
        );
        assert_eq!(
            message(&"a".repeat(MESSAGE_MAX + 1)).unwrap_err(),
            vec![Problem::new("message", Rule::TooLong(MESSAGE_MAX))]
        );
    }

    #[test]
    fn contact_is_rate_limited() {
        assert_eq!(contact_limit(Sent::default()), Ok(()));
        let busy = Sent {
            last_hour: PER_HOUR,
            last_day: PER_HOUR,
            to_recipient_last_day: 0,
        };
        assert_eq!(contact_limit(busy), Err(ContactLimit::Hour));
        let day = Sent {
            last_hour: 0,
            last_day: PER_DAY,
            to_recipient_last_day: 0,
        };
        assert_eq!(contact_limit(day), Err(ContactLimit::Day));
        let same = Sent {
            to_recipient_last_day: PER_RECIPIENT_PER_DAY,
            ..Sent::default()
        };
        assert_eq!(contact_limit(same), Err(ContactLimit::Recipient));
    }
}
