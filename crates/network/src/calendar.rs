//! iCalendar feeds (RFC 5545) of events: a person's registrations, or a
//! network's events, for their calendar application to subscribe to.
//! Written with the `icalendar` crate (folding at 75 octets, CRLF, text
//! escaping are its job); instants are given in UTC (`…Z`), which needs no
//! `VTIMEZONE` and which every client shows in its own time zone.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

/// One event as a feed carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// Stable and unique across instances: `evenement-12@host`.
    pub uid: String,
    pub title: String,
    pub description: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: Option<String>,
    /// The event's page.
    pub url: String,
    pub cancelled: bool,
    /// Last change, so that clients replace their copy.
    pub updated_at: DateTime<Utc>,
    /// Changes since publication (`SEQUENCE`).
    pub sequence: u32,
    pub categories: Vec<String>,
}

/// The product identifier every feed carries (RFC 5545 §3.7.3).
pub const PRODID: &str = "-//Passerelle//Reseau//FR";

/// A feed named `name` with `events`; `stamp` is when it is produced
/// (`DTSTAMP`).
pub fn feed(name: &str, events: &[FeedEvent], stamp: DateTime<Utc>) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name(name);
    for e in events {
        let mut event = Event::new();
        event
            .uid(&e.uid)
            .timestamp(stamp)
            .summary(&e.title)
            .starts(e.starts_at)
            .ends(e.ends_at)
            .url(&e.url)
            .last_modified(e.updated_at)
            .sequence(e.sequence)
            .status(if e.cancelled {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            });
        if let Some(d) = &e.description {
            event.description(d);
        }
        if let Some(l) = &e.location {
            event.location(l);
        }
        if !e.categories.is_empty() {
            event.categories(&e.categories);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(id: u32, title: &str) -> FeedEvent {
        FeedEvent {
            uid: format!("evenement-{id}@passerelle.test"),
            title: title.into(),
            description: Some("Échanges de pratiques ; ateliers, « IA » et\nréemploi".into()),
            starts_at: Utc.with_ymd_and_hms(2026, 12, 3, 13, 30, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2026, 12, 3, 16, 0, 0).unwrap(),
            location: Some("Médiathèque, 1 rue de la Providence, 29000 Quimper".into()),
            url: format!("http://passerelle.test/reseau/evenements/{id}"),
            cancelled: id == 2,
            updated_at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
            sequence: id,
            categories: vec![
                "Rencontre départementale".into(),
                "Pédagogie, animation".into(),
            ],
        }
    }

    /// Parsed by an independent reader (`ical`), the feed gives back every
    /// event with its values; its lines are CRLF-ended and at most 75
    /// octets (RFC 5545 §3.1).
    #[test]
    fn feeds_are_valid_icalendar() {
        let long = "Rencontre départementale des médiateurs numériques du Finistère et de leurs partenaires";
        let stamp = Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap();
        let text = feed(
            "Mes inscriptions — Passerelle",
            &[event(1, long), event(2, "Webinaire")],
            stamp,
        );
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
        let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
        let calendar = parser
            .next()
            .expect("one calendar")
            .expect("a valid calendar");
        assert!(parser.next().is_none());
        let value = |props: &[ical::property::Property], name: &str| {
            props
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.value.clone())
                .unwrap_or_else(|| panic!("{name} missing"))
        };
        assert_eq!(value(&calendar.properties, "VERSION"), "2.0");
        assert_eq!(value(&calendar.properties, "PRODID"), PRODID);
        assert_eq!(calendar.events.len(), 2);
        let first = &calendar.events[0].properties;
        assert_eq!(value(first, "UID"), "evenement-1@passerelle.test");
        assert_eq!(value(first, "SUMMARY"), long);
        assert_eq!(value(first, "DTSTART"), "20261203T133000Z");
        assert_eq!(value(first, "DTEND"), "20261203T160000Z");
        assert_eq!(value(first, "DTSTAMP"), "20261102T100000Z");
        assert_eq!(value(first, "STATUS"), "CONFIRMED");
        // Text values are escaped (RFC 5545 §3.3.11).
        assert_eq!(
            value(first, "DESCRIPTION"),
            "Échanges de pratiques \\; ateliers\\, « IA » et\\nréemploi"
        );
        assert_eq!(
            value(first, "CATEGORIES"),
            "Rencontre départementale,Pédagogie\\, animation"
        );
        assert_eq!(value(&calendar.events[1].properties, "STATUS"), "CANCELLED");
        assert_eq!(value(&calendar.events[1].properties, "SEQUENCE"), "2");
    }
}
