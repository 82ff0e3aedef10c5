//! Opening hours in OpenStreetMap `opening_hours` syntax, evaluated with the
//! `opening-hours` crate and the French public-holiday calendar ("PH off"
//! means something). Times are local (Europe/Paris) wall-clock times.

use std::fmt;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use opening_hours::localization::Country;
use opening_hours::{Context, OpeningHours, RuleKind};

/// Parsed opening hours of a place.
#[derive(Clone)]
pub struct Horaires {
    raw: String,
    rules: OpeningHours,
}

impl fmt::Debug for Horaires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Horaires({:?})", self.raw)
    }
}

impl Horaires {
    pub fn parse(raw: &str) -> Result<Self, String> {
        // The parser's message spans several lines (with a caret): one line here.
        let rules: OpeningHours = raw.trim().parse().map_err(|e| {
            format!("{e}")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && *l != "|")
                .collect::<Vec<_>>()
                .join(" ")
        })?;
        let rules = rules.with_context(Context::default().with_holidays(Country::FR.holidays()));
        Ok(Self {
            raw: raw.trim().to_string(),
            rules,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// "Open now?"
    pub fn is_open(&self, at: NaiveDateTime) -> bool {
        self.rules.is_open(at)
    }

    /// The start of the first open period at or after `at` (`at` itself when
    /// open then), looking at most a year ahead.
    pub fn next_opening(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        self.rules
            .iter_range(at, at + Duration::days(366))
            .find(|r| r.kind == RuleKind::Open)
            .map(|r| r.range.start)
    }

    /// Whether the place is open at any moment of `[from, to)`.
    pub fn open_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> bool {
        self.rules
            .iter_range(from, to)
            .any(|r| r.kind == RuleKind::Open)
    }

    /// "Open on Tuesday afternoon?": the first such `weekday` on or after
    /// `from`, between `start` and `end`.
    pub fn open_on(
        &self,
        from: NaiveDate,
        weekday: Weekday,
        start: NaiveTime,
        end: NaiveTime,
    ) -> bool {
        let offset = (7 + weekday.num_days_from_monday() as i64 - from.weekday_index()) % 7;
        let day = from + Duration::days(offset);
        self.open_between(day.and_time(start), day.and_time(end))
    }

    /// Hours open in the week starting on `monday`.
    pub fn hours_per_week(&self, monday: NaiveDate) -> f64 {
        let start = monday.and_time(NaiveTime::MIN);
        self.rules
            .iter_range(start, start + Duration::days(7))
            .filter(|r| r.kind == RuleKind::Open)
            .map(|r| (r.range.end - r.range.start).num_minutes() as f64 / 60.0)
            .sum()
    }
}

trait WeekdayIndex {
    fn weekday_index(&self) -> i64;
}

impl WeekdayIndex for NaiveDate {
    fn weekday_index(&self) -> i64 {
        use chrono::Datelike;
        self.weekday().num_days_from_monday() as i64
    }
}

/// Converts the per-weekday hours of the ANCT France services list
/// (`08:00 - 12:00 / 13:00 - 16:00`, `09:00-12:00,13:00-17:00`, `-` or empty
/// for closed), Monday first, into `opening_hours` syntax, grouping days
/// with the same hours: `Mo,Tu,Th,Fr 08:00-12:00,13:00-16:00; We 08:00-12:00`.
/// `None` when no day has hours.
pub fn from_weekday_columns(days: &[&str]) -> Result<Option<String>, String> {
    const NAMES: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
    let mut per_day: Vec<(usize, String)> = Vec::new();
    for (i, raw) in days.iter().enumerate().take(7) {
        let raw = raw.trim();
        if raw.is_empty() || raw == "-" {
            continue;
        }
        let mut ranges = Vec::new();
        for part in raw.split(['/', ',']) {
            let compact: String = part
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .replace('h', ":");
            let valid = compact.split_once('-').is_some_and(|(a, b)| {
                NaiveTime::parse_from_str(a, "%H:%M").is_ok()
                    && NaiveTime::parse_from_str(b, "%H:%M").is_ok()
            });
            if !valid {
                return Err(format!(
                    "{} hours {raw:?}: {part:?} is not a time range like 08:30-12:00",
                    NAMES[i]
                ));
            }
            ranges.push(compact);
        }
        per_day.push((i, ranges.join(",")));
    }
    // Group days with identical hours, in weekday order of first appearance.
    let mut groups: Vec<(Vec<usize>, String)> = Vec::new();
    for (day, hours) in per_day {
        match groups.iter_mut().find(|(_, h)| *h == hours) {
            Some((group, _)) => group.push(day),
            None => groups.push((vec![day], hours)),
        }
    }
    let rules: Vec<String> = groups
        .into_iter()
        .map(|(days, hours)| format!("{} {hours}", day_list(&days, &NAMES)))
        .collect();
    Ok((!rules.is_empty()).then(|| rules.join("; ")))
}

/// `Mo-We,Fr` for days 0, 1, 2, 4.
fn day_list(days: &[usize], names: &[&str; 7]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        parts.push(match j - i {
            0 => names[days[i]].to_string(),
            1 => format!("{},{}", names[days[i]], names[days[j]]),
            _ => format!("{}-{}", names[days[i]], names[days[j]]),
        });
        i = j + 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn answers_at_fixed_instants() {
        // The example of the standard. 2026-11-24 is a Tuesday.
        let h = Horaires::parse("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00").unwrap();
        assert!(h.is_open(at("2026-11-24 10:00")));
        assert!(!h.is_open(at("2026-11-24 13:00")));
        assert!(!h.is_open(at("2026-11-29 10:00")), "Sunday");
        assert_eq!(
            h.next_opening(at("2026-11-24 12:30")),
            Some(at("2026-11-24 14:00"))
        );
        assert_eq!(
            h.next_opening(at("2026-11-24 10:00")),
            Some(at("2026-11-24 10:00"))
        );
        assert_eq!(
            h.next_opening(at("2026-11-28 12:00")),
            Some(at("2026-11-30 09:00")),
            "Saturday noon → Monday"
        );
        let tuesday = Weekday::Tue;
        let afternoon = (
            NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        );
        assert!(h.open_on(
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            tuesday,
            afternoon.0,
            afternoon.1
        ));
        assert!(!h.open_on(
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            Weekday::Sun,
            afternoon.0,
            afternoon.1
        ));
        // 5 × (3 + 4.5) + 3.5
        assert_eq!(
            h.hours_per_week(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            41.0
        );
    }

    #[test]
    fn french_public_holidays_count() {
        let h = Horaires::parse("Mo-Fr 09:00-17:00; PH off").unwrap();
        // 2026-12-25 is a Friday and Christmas.
        assert!(!h.is_open(at("2026-12-25 10:00")));
        assert!(h.is_open(at("2026-12-24 10:00")));
    }

    #[test]
    fn invalid_syntax_is_an_error() {
        assert!(Horaires::parse("du lundi au vendredi de 9h à 17h").is_err());
        assert!(Horaires::parse("Mo-Fr 25:00-26:00").is_err());
    }

    #[test]
    fn every_horaires_value_in_the_shared_data_parses() {
        // The conseillers numériques' permanences carry standard `horaires`.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/places/sources/cnfs_permanences_2022-12.csv"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("{path} missing")
        };
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let column = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "horaires")
            .unwrap();
        let (mut parsed, mut refused) = (0, Vec::new());
        for record in reader.records() {
            let value = record.unwrap()[column].to_string();
            match Horaires::parse(&value) {
                _ if value.is_empty() => {}
                Ok(_) => parsed += 1,
                Err(_) => refused.push(value),
            }
        }
        // The only values refused are malformed in the source itself; they
        // are imported verbatim with a warning.
        refused.sort();
        refused.dedup();
        assert_eq!(
            refused,
            [
                "Mo-Fr 09:00-18:00; Th 09:00-12:00-14:00; Sa 09:00-12:00",
                "Tu,We 08:30-12:30; Mo 08:30-12:30,13:30-17:00; Th 08:30-12:30,13:30-17:30; Fr 08:30-12:30-13:30",
                "Tu-Fr 08:30-12:00,14:00-17:30; Mo 08:30-12:00-14:00",
                "Tu-Fr 08:30-18:00; Mo 18:00; Sa 09:00-12:00",
                "Tu-Fr 09:00-12:00,14:00-17:00; Mo 09:00-12:00,14:00-14:00; We 09:00-12:00-14:00",
                "We,Th 09:00-19:00; Sa,Su 13:30-19:00; Mo 09:00-17:00; Tu 09:00-18:00; Fr 09:00",
            ]
        );
        assert_eq!(parsed, 279 - 6);
    }

    #[test]
    fn france_services_weekday_columns() {
        let week = [
            "08:00 - 12:00 / 13:00 - 16:00",
            "08:00 - 12:00 / 13:00 - 16:00",
            "08:00 - 12:00",
            "08:00 - 12:00 / 13:00 - 16:00",
            "08:00 - 12:00 / 13:00 - 16:00",
            "",
        ];
        let converted = from_weekday_columns(&week).unwrap().unwrap();
        assert_eq!(
            converted,
            "Mo,Tu,Th,Fr 08:00-12:00,13:00-16:00; We 08:00-12:00"
        );
        let h = Horaires::parse(&converted).unwrap();
        assert!(
            h.is_open(at("2026-11-25 09:00")) && !h.is_open(at("2026-11-25 14:00")),
            "Wednesday morning only"
        );
        assert_eq!(
            from_weekday_columns(&["09:00-12:00,13:00-17:00"; 5])
                .unwrap()
                .unwrap(),
            "Mo-Fr 09:00-12:00,13:00-17:00"
        );
        assert_eq!(
            from_weekday_columns(&["-", "", "", "", "", ""]).unwrap(),
            None
        );
        assert_eq!(
            from_weekday_columns(&["08:45-12:00/13:30-17:00"])
                .unwrap()
                .unwrap(),
            "Mo 08:45-12:00,13:30-17:00"
        );
        assert!(
            from_weekday_columns(&["le matin"])
                .unwrap_err()
                .contains("Mo hours")
        );
    }
}
