//! The weekly digest: one e-mail a week to each person who asked for it,
//! with the opportunities published since their last digest that concern
//! their territory and their themes. Nothing is sent when nothing matches.
//! Sent on Monday from 8 h (Paris) by the scheduled job, at most once per
//! ISO week and person.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Europe::Paris;

use crate::area::{Location, overlaps};
use crate::events::from_paris;
use crate::vocab::Theme;

/// What a person follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interests {
    /// Their territory (everywhere when no level is named).
    pub location: Location,
    /// Their themes; none: every theme.
    pub themes: Vec<Theme>,
}

/// Whether an opportunity of `location` and `themes` concerns them: the
/// territories overlap and, if they chose themes, one is shared (an
/// opportunity without themes concerns everyone).
pub fn concerns(interests: &Interests, location: &Location, themes: &[Theme]) -> bool {
    overlaps(&interests.location, location)
        && (interests.themes.is_empty()
            || themes.is_empty()
            || themes.iter().any(|t| interests.themes.contains(t)))
}

/// Monday 8 h (Paris) of the week of `now`.
pub fn week_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&Paris).date_naive();
    let monday = local - Duration::days(i64::from(local.weekday().num_days_from_monday()));
    let eight = NaiveTime::from_hms_opt(8, 0, 0).expect("a valid time");
    from_paris(monday.and_time(eight)).unwrap_or(now)
}

/// Whether a person's digest is due now: the week's sending time has come
/// and they have had none since. `forced` (the command line) ignores the
/// hour, never the once-a-week rule.
pub fn due(now: DateTime<Utc>, last_sent: Option<DateTime<Utc>>, forced: bool) -> bool {
    let start = week_start(now);
    let this_week = now.with_timezone(&Paris).iso_week();
    let sent_this_week = last_sent.is_some_and(|t| t.with_timezone(&Paris).iso_week() == this_week);
    !sent_this_week && (forced || now >= start)
}

/// From when opportunities are new to a person: their last digest, at
/// most a week back (a new subscriber gets the last week's).
pub fn since(now: DateTime<Utc>, last_sent: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let week_ago = now - Duration::days(7);
    last_sent.map_or(week_ago, |t| t.max(week_ago))
}

/// Whether `day` is a Monday (for the tests' clocks).
pub fn is_monday(at: DateTime<Utc>) -> bool {
    at.with_timezone(&Paris).weekday() == Weekday::Mon
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn sent_on_monday_from_eight_once_a_week() {
        // Monday 2 November 2026, 8 h in Paris = 7 h UTC.
        let monday = at(2026, 11, 2, 7);
        assert!(is_monday(monday));
        assert_eq!(week_start(at(2026, 11, 5, 12)), monday);
        assert!(!due(at(2026, 11, 2, 6), None, false), "before 8 h");
        assert!(due(at(2026, 11, 2, 6), None, true), "forced");
        assert!(due(monday, None, false));
        assert!(due(at(2026, 11, 4, 10), Some(at(2026, 10, 26, 7)), false));
        assert!(!due(at(2026, 11, 4, 10), Some(monday), false));
        assert!(
            !due(at(2026, 11, 4, 10), Some(monday), true),
            "never twice a week"
        );
        // Sunday night in Paris is still the same ISO week.
        assert!(!due(at(2026, 11, 8, 22), Some(monday), false));
        assert!(due(at(2026, 11, 9, 7), Some(monday), false));
    }

    #[test]
    fn new_since_the_last_digest_at_most_a_week_back() {
        let now = at(2026, 11, 9, 7);
        assert_eq!(since(now, None), at(2026, 11, 2, 7));
        assert_eq!(since(now, Some(at(2026, 11, 3, 7))), at(2026, 11, 3, 7));
        assert_eq!(since(now, Some(at(2026, 9, 1, 7))), at(2026, 11, 2, 7));
    }

    #[test]
    fn an_opportunity_concerns_the_territory_and_themes_followed() {
        let finistere = Location {
            departement: Some("29".into()),
            region: Some("53".into()),
            ..Location::default()
        };
        let bretagne = Location {
            region: Some("53".into()),
            ..Location::default()
        };
        let rennes = Location {
            commune: Some("35238".into()),
            departement: Some("35".into()),
            region: Some("53".into()),
            ..Location::default()
        };
        let follows = Interests {
            location: finistere.clone(),
            themes: vec![Theme::Financements],
        };
        assert!(concerns(&follows, &bretagne, &[Theme::Financements]));
        assert!(!concerns(&follows, &bretagne, &[Theme::Reemploi]));
        assert!(concerns(&follows, &bretagne, &[]));
        assert!(!concerns(&follows, &rennes, &[Theme::Financements]));
        assert!(concerns(
            &follows,
            &Location::default(),
            &[Theme::Financements]
        ));
        let everything = Interests {
            location: Location::default(),
            themes: vec![],
        };
        assert!(concerns(&everything, &rennes, &[Theme::Reemploi]));
    }
}
