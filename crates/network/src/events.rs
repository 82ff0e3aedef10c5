//! Events: rencontres départementales, échanges de pratiques, formations,
//! webinaires, published by coordinators and network animators with a
//! date and time (Europe/Paris as people type them, UTC as stored), a
//! place of the directory, an address or a link, an audience, a capacity
//! and a registration deadline.
//!
//! The rules are functions of "now": registering fills a seat or the
//! waiting list, a freed seat goes to the first person waiting, the
//! reminder is due the day before, attendance is taken from the day of the
//! event.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;

use crate::check::Checks;
use crate::vocab::{Audience, EventKind, RegistrationStatus, Theme, chosen};
use crate::{Problem, Rule};

/// Where an event takes place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Venue {
    /// A place of the directory (`places`), by its identifier.
    Place(i64),
    /// An address in a commune of the reference (INSEE code).
    Address { address: String, commune: String },
    /// Online; the link is given to those registered.
    Online { link: Option<String> },
}

impl Venue {
    pub fn kind(&self) -> VenueKind {
        match self {
            Self::Place(_) => VenueKind::Place,
            Self::Address { .. } => VenueKind::Address,
            Self::Online { .. } => VenueKind::Online,
        }
    }
}

/// The three ways of giving a venue, as stored and as forms choose them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueKind {
    Place,
    Address,
    Online,
}

impl VenueKind {
    pub const ALL: [VenueKind; 3] = [Self::Place, Self::Address, Self::Online];

    pub fn code(self) -> &'static str {
        match self {
            Self::Place => "lieu",
            Self::Address => "adresse",
            Self::Online => "en-ligne",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Place => "Un lieu de l’annuaire",
            Self::Address => "Une adresse",
            Self::Online => "En ligne",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// An event as published, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub title: String,
    pub description: Option<String>,
    pub themes: Vec<Theme>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub venue: Venue,
    pub audience: Audience,
    /// The network organising it, if any (required for a network's
    /// audience).
    pub network_id: Option<i64>,
    /// Seats; `None`: no limit.
    pub capacity: Option<u32>,
    /// Registrations close then (at the latest when it starts).
    pub closes_at: DateTime<Utc>,
}

/// An event as typed: local Paris dates and times already read from the
/// form's fields (a field that could not be read is the page's problem).
#[derive(Debug, Clone, Default)]
pub struct EventDraft {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub themes: Vec<String>,
    pub day: Option<NaiveDate>,
    pub starts: Option<NaiveTime>,
    pub ends: Option<NaiveTime>,
    pub venue: String,
    pub place: Option<i64>,
    pub address: String,
    pub commune: Option<String>,
    pub link: String,
    pub audience: String,
    pub network_id: Option<i64>,
    pub capacity: Option<i64>,
    /// Last day to register; `None`: until it starts.
    pub deadline: Option<NaiveDate>,
}

pub const CAPACITY_MAX: i64 = 10_000;

/// The UTC instant of a Paris wall-clock time: `None` for a time that
/// does not exist (the hour skipped when summer time starts); the earlier
/// of two when it exists twice.
pub fn from_paris(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match Paris.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The Paris day of an instant.
pub fn paris_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Paris).date_naive()
}

/// Midnight (Paris) starting `day`, as an instant.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    from_paris(day.and_time(NaiveTime::MIN))
        .unwrap_or_else(|| Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN)))
}

impl Event {
    /// Checks a draft; `now` for what must be in the future.
    pub fn check(d: EventDraft, now: DateTime<Utc>) -> Result<Self, Vec<Problem>> {
        let mut c = Checks::default();
        let kind = EventKind::parse(&d.kind).unwrap_or_else(|| {
            c.add("type", Rule::NotInList);
            EventKind::Rencontre
        });
        let title = c.text("titre", &d.title, 150);
        let description = c.optional("description", &d.description, 4000);
        let themes = chosen(&d.themes, Theme::ALL, Theme::code).unwrap_or_else(|rule| {
            c.add("themes", rule);
            Vec::new()
        });
        let (starts_at, ends_at) = times(&mut c, &d, now);
        let venue = venue(&mut c, &d);
        let audience = Audience::parse(&d.audience).unwrap_or_else(|| {
            c.add("public", Rule::NotInList);
            Audience::Professionals
        });
        if audience == Audience::Network && d.network_id.is_none() {
            c.add("reseau", Rule::Missing);
        }
        let capacity = match d.capacity {
            None => None,
            Some(n) if (1..=CAPACITY_MAX).contains(&n) => Some(n as u32),
            Some(_) => {
                c.add(
                    "capacite",
                    Rule::OutOfRange {
                        min: 1,
                        max: CAPACITY_MAX,
                    },
                );
                None
            }
        };
        let closes_at = match d.deadline {
            None => starts_at,
            Some(day) => {
                let end_of_day = day_start(day + Duration::days(1)) - Duration::seconds(1);
                if day < paris_day(now) {
                    c.add("date_limite", Rule::InThePast);
                } else if d.day.is_some_and(|start| day > start) {
                    c.add("date_limite", Rule::NotBefore("date"));
                }
                end_of_day.min(starts_at)
            }
        };
        c.done(Event {
            kind,
            title,
            description,
            themes,
            starts_at,
            ends_at,
            venue,
            audience,
            network_id: d.network_id,
            capacity,
            closes_at,
        })
    }
}

fn times(c: &mut Checks, d: &EventDraft, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let (Some(day), Some(starts)) = (d.day, d.starts) else {
        if d.day.is_none() {
            c.add("date", Rule::Missing);
        }
        if d.starts.is_none() {
            c.add("debut", Rule::Missing);
        }
        return (now, now);
    };
    let Some(start) = from_paris(day.and_time(starts)) else {
        c.add("debut", Rule::NotInList);
        return (now, now);
    };
    if start <= now {
        c.add("date", Rule::InThePast);
    }
    let end = match d.ends {
        None => start + Duration::hours(2),
        Some(ends) if ends > starts => from_paris(day.and_time(ends)).unwrap_or(start),
        Some(_) => {
            c.add("fin", Rule::NotAfter("debut"));
            start
        }
    };
    (start, end)
}

fn venue(c: &mut Checks, d: &EventDraft) -> Venue {
    match VenueKind::parse(&d.venue) {
        Some(VenueKind::Place) => match d.place {
            Some(id) => Venue::Place(id),
            None => {
                c.add("lieu", Rule::Missing);
                Venue::Online { link: None }
            }
        },
        Some(VenueKind::Address) => {
            let address = c.text("adresse", &d.address, 300);
            let commune = d.commune.clone().unwrap_or_default();
            if commune.is_empty() {
                c.add("commune", Rule::Missing);
            }
            Venue::Address { address, commune }
        }
        Some(VenueKind::Online) => Venue::Online {
            link: c.link("lien", &d.link),
        },
        None => {
            c.add("ou", Rule::NotInList);
            Venue::Online { link: None }
        }
    }
}

/// What registering depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seats {
    pub cancelled: bool,
    pub starts_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub capacity: Option<u32>,
    /// People registered now (not waiting, not cancelled).
    pub registered: u32,
}

/// Why one may not register (or cancel) now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The organiser cancelled the event.
    EventCancelled,
    /// The registration deadline is past.
    Closed,
    /// It has started or is over.
    Started,
    /// Already registered or waiting.
    AlreadyIn,
    /// Not registered nor waiting.
    NotIn,
}

/// Registering now: a seat if one is free, the waiting list otherwise.
pub fn register(seats: Seats, now: DateTime<Utc>) -> Result<RegistrationStatus, Refused> {
    if seats.cancelled {
        Err(Refused::EventCancelled)
    } else if now >= seats.starts_at {
        Err(Refused::Started)
    } else if now > seats.closes_at {
        Err(Refused::Closed)
    } else if seats.capacity.is_none_or(|c| seats.registered < c) {
        Ok(RegistrationStatus::Registered)
    } else {
        Ok(RegistrationStatus::Waiting)
    }
}

/// Whether one may still withdraw: until it starts.
pub fn may_withdraw(seats: Seats, now: DateTime<Utc>) -> Result<(), Refused> {
    if now >= seats.starts_at {
        Err(Refused::Started)
    } else {
        Ok(())
    }
}

/// How many people of the waiting list take a seat now, in their order of
/// registration: the free seats, until the event starts.
pub fn seats_to_fill(seats: Seats, waiting: u32, now: DateTime<Utc>) -> u32 {
    if seats.cancelled || now >= seats.starts_at {
        return 0;
    }
    match seats.capacity {
        None => waiting,
        Some(c) => c.saturating_sub(seats.registered).min(waiting),
    }
}

/// When the reminder of an event starting at `starts_at` is sent: the day
/// before (Paris), from 9 h.
pub fn reminder_from(starts_at: DateTime<Utc>) -> DateTime<Utc> {
    let eve = paris_day(starts_at) - Duration::days(1);
    let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("a valid time");
    from_paris(eve.and_time(nine)).unwrap_or(starts_at - Duration::days(1))
}

/// Whether a registered person's reminder is due now: from the eve's
/// 9 h until it starts, once, and only for those registered before the
/// eve (who registered later have just been told).
pub fn reminder_due(
    starts_at: DateTime<Utc>,
    registered_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let from = reminder_from(starts_at);
    now >= from && now < starts_at && registered_at < from
}

/// Attendance is taken from the start of the event's day (Paris).
pub fn attendance_open(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= day_start(paris_day(starts_at))
}

/// A new capacity may not leave registered people without a seat.
pub fn check_capacity(capacity: Option<u32>, registered: u32) -> Result<(), Problem> {
    match capacity {
        Some(c) if c < registered => Err(Problem::new(
            "capacite",
            Rule::OutOfRange {
                min: i64::from(registered),
                max: CAPACITY_MAX,
            },
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn draft() -> EventDraft {
        EventDraft {
            kind: "rencontre".into(),
            title: "Rencontre départementale du Finistère".into(),
            themes: vec!["pedagogie".into()],
            day: NaiveDate::from_ymd_opt(2026, 12, 3),
            starts: NaiveTime::from_hms_opt(14, 30, 0),
            ends: NaiveTime::from_hms_opt(17, 0, 0),
            venue: "adresse".into(),
            address: "1 rue de la Providence".into(),
            commune: Some("29232".into()),
            audience: "professionnels".into(),
            capacity: Some(30),
            deadline: NaiveDate::from_ymd_opt(2026, 11, 30),
            ..EventDraft::default()
        }
    }

    #[test]
    fn times_are_typed_in_paris_and_stored_in_utc() {
        let now = at(2026, 11, 1, 10, 0);
        let e = Event::check(draft(), now).unwrap();
        // 14 h 30 in Paris in December is 13 h 30 UTC.
        assert_eq!(e.starts_at, at(2026, 12, 3, 13, 30));
        assert_eq!(e.ends_at, at(2026, 12, 3, 16, 0));
        // The deadline's day ends at 23 h 59 59 in Paris.
        assert_eq!(
            e.closes_at,
            at(2026, 11, 30, 22, 59) + Duration::seconds(59)
        );
        assert_eq!(e.capacity, Some(30));
        // A summer event: 9 h in Paris is 7 h UTC.
        let summer = Event::check(
            EventDraft {
                day: NaiveDate::from_ymd_opt(2027, 7, 1),
                starts: NaiveTime::from_hms_opt(9, 0, 0),
                ends: None,
                deadline: None,
                ..draft()
            },
            now,
        )
        .unwrap();
        assert_eq!(summer.starts_at, at(2027, 7, 1, 7, 0));
        assert_eq!(summer.ends_at, at(2027, 7, 1, 9, 0), "two hours by default");
        assert_eq!(summer.closes_at, summer.starts_at);
    }

    #[test]
    fn an_event_is_refused_with_every_problem_named() {
        let now = at(2026, 12, 10, 10, 0);
        let problems = Event::check(
            EventDraft {
                title: String::new(),
                ends: NaiveTime::from_hms_opt(9, 0, 0),
                capacity: Some(0),
                audience: "reseau".into(),
                venue: "lieu".into(),
                ..draft()
            },
            now,
        )
        .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "titre",
                "date",
                "fin",
                "lieu",
                "reseau",
                "capacite",
                "date_limite"
            ]
        );
        // The hour skipped when summer time starts does not exist.
        let gap = Event::check(
            EventDraft {
                day: NaiveDate::from_ymd_opt(2027, 3, 28),
                starts: NaiveTime::from_hms_opt(2, 30, 0),
                ends: None,
                deadline: None,
                ..draft()
            },
            at(2026, 11, 1, 10, 0),
        )
        .unwrap_err();
        assert_eq!(gap, vec![Problem::new("debut", Rule::NotInList)]);
    }

    fn seats(capacity: Option<u32>, registered: u32) -> Seats {
        Seats {
            cancelled: false,
            starts_at: at(2026, 12, 3, 13, 30),
            closes_at: at(2026, 11, 30, 23, 0),
            capacity,
            registered,
        }
    }

    #[test]
    fn registering_fills_seats_then_the_waiting_list() {
        let now = at(2026, 11, 20, 10, 0);
        assert_eq!(
            register(seats(Some(2), 1), now),
            Ok(RegistrationStatus::Registered)
        );
        assert_eq!(
            register(seats(Some(2), 2), now),
            Ok(RegistrationStatus::Waiting)
        );
        assert_eq!(
            register(seats(None, 500), now),
            Ok(RegistrationStatus::Registered)
        );
        assert_eq!(
            register(seats(Some(2), 0), at(2026, 12, 1, 10, 0)),
            Err(Refused::Closed)
        );
        assert_eq!(
            register(seats(Some(2), 0), at(2026, 12, 3, 13, 30)),
            Err(Refused::Started)
        );
        let cancelled = Seats {
            cancelled: true,
            ..seats(None, 0)
        };
        assert_eq!(register(cancelled, now), Err(Refused::EventCancelled));
    }

    #[test]
    fn freed_seats_go_to_the_waiting_list_until_it_starts() {
        let now = at(2026, 12, 2, 10, 0);
        assert_eq!(seats_to_fill(seats(Some(3), 2), 5, now), 1);
        assert_eq!(seats_to_fill(seats(Some(3), 3), 5, now), 0);
        assert_eq!(seats_to_fill(seats(Some(10), 2), 3, now), 3);
        assert_eq!(seats_to_fill(seats(None, 2), 3, now), 3);
        assert_eq!(
            seats_to_fill(seats(Some(3), 0), 5, at(2026, 12, 3, 14, 0)),
            0,
            "not once it has started"
        );
        assert_eq!(may_withdraw(seats(None, 1), now), Ok(()));
        assert_eq!(
            may_withdraw(seats(None, 1), at(2026, 12, 3, 14, 0)),
            Err(Refused::Started)
        );
    }

    #[test]
    fn the_reminder_is_due_on_the_eve_from_nine() {
        let starts = at(2026, 12, 3, 13, 30);
        let registered = at(2026, 11, 20, 10, 0);
        // 2 December, 9 h in Paris = 8 h UTC.
        assert_eq!(reminder_from(starts), at(2026, 12, 2, 8, 0));
        assert!(!reminder_due(starts, registered, at(2026, 12, 2, 7, 59)));
        assert!(reminder_due(starts, registered, at(2026, 12, 2, 8, 0)));
        assert!(reminder_due(starts, registered, at(2026, 12, 3, 13, 29)));
        assert!(!reminder_due(starts, registered, starts));
        assert!(
            !reminder_due(starts, at(2026, 12, 2, 12, 0), at(2026, 12, 2, 13, 0)),
            "registered on the eve: just told"
        );
    }

    #[test]
    fn attendance_opens_on_the_day() {
        let starts = at(2026, 12, 3, 13, 30);
        assert!(!attendance_open(starts, at(2026, 12, 2, 22, 59)));
        assert!(
            attendance_open(starts, at(2026, 12, 2, 23, 0)),
            "midnight in Paris"
        );
        assert!(attendance_open(starts, at(2026, 12, 5, 9, 0)));
    }

    #[test]
    fn capacity_keeps_the_seats_given() {
        assert!(check_capacity(Some(5), 5).is_ok());
        assert!(check_capacity(None, 50).is_ok());
        assert_eq!(check_capacity(Some(4), 5).unwrap_err().field, "capacite");
    }
}
