//! What the Lieux pages say, in French: a place as a list item or a page
//! shows it, its opening hours in words (a weekly table, never the
//! OpenStreetMap syntax), whether it is open now, its phone number as
//! people write it, dates and distances.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use passerelle_places::hours::{Holidays, Horaires, LooseRule, Slot, Week, loose};
use passerelle_places::search::Indexed;
use passerelle_places::sources::national_phone;
use passerelle_places::{Place, vocab};

use super::search::DAYS;

/// A place as a list item or page shows it.
pub struct PlaceView {
    pub id: i64,
    pub place: Place,
    pub distance: Option<String>,
    pub distance_km: Option<f64>,
    pub approximate: bool,
    /// "Ouvert jusqu’à 12 h", "Fermé · ouvre demain à 9 h".
    pub status: Option<String>,
    pub open_now: bool,
    /// "41 h par semaine", from the opening hours.
    pub weekly_hours: Option<String>,
    /// The typologies' labels (the code when unknown).
    pub typologies: Vec<String>,
    /// "02 98 98 89 89", and the number to dial.
    pub phone: Option<(String, String)>,
    pub hours: HoursView,
    /// "2 mai 2024".
    pub updated: String,
}

impl PlaceView {
    pub fn new(entry: &Indexed, distance_km: Option<f64>, now: NaiveDateTime) -> Self {
        let h = entry.hours.as_ref();
        let place = entry.place.clone();
        PlaceView {
            id: entry.id,
            typologies: place
                .typologie
                .iter()
                .map(|c| vocab::typology_label(c).unwrap_or(c).to_string())
                .collect(),
            distance: distance_km.map(distance),
            distance_km,
            approximate: entry.approximate,
            status: h.map(|h| opening_status(h, now)),
            open_now: h.is_some_and(|h| h.is_open(now)),
            weekly_hours: h.map(|h| {
                let monday =
                    now.date() - Duration::days(now.weekday().num_days_from_monday().into());
                format!(
                    "{} h par semaine",
                    crate::fr::decimal(h.hours_per_week(monday), 1)
                )
            }),
            phone: place
                .telephone
                .as_ref()
                .map(|t| (national_phone(t), t.clone())),
            hours: HoursView::of(place.horaires.as_deref(), h, now.date()),
            updated: day(&place.date_maj),
            place,
        }
    }
}

/// "850 m", "2,4 km".
pub fn distance(km: f64) -> String {
    if km < 1.0 {
        format!("{} m", (km * 1000.0).round())
    } else {
        format!("{} km", crate::fr::decimal(km, 1))
    }
}

/// A date of the standard (`2024-05-02`) as "2 mai 2024"; as given when
/// it is not one.
pub fn day(iso: &str) -> String {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").map_or_else(|_| iso.to_string(), crate::fr::date)
}

/// "9 h", "17 h 30", "minuit".
pub fn clock(minutes: u16) -> String {
    if minutes >= 1440 {
        return "minuit".into();
    }
    let time = NaiveTime::from_hms_opt(u32::from(minutes / 60), u32::from(minutes % 60), 0)
        .expect("a time of day");
    crate::fr::time(NaiveDate::MIN.and_time(time))
}

/// "9 h – 12 h".
fn range(start: u16, end: Option<u16>) -> String {
    match end {
        Some(end) => format!("{} – {}", clock(start), clock(end)),
        None => clock(start),
    }
}

/// "9 h – 12 h, 14 h – 17 h 30 (sur rendez-vous)"; "fermé".
fn slots(list: &[Slot]) -> String {
    if list.is_empty() {
        return "fermé".into();
    }
    list.iter()
        .map(|s| {
            let mut text = range(s.start, Some(s.end));
            match (&s.comment, s.unsure) {
                (Some(c), _) => text.push_str(&format!(" ({c})")),
                (None, true) => text.push_str(" (à confirmer)"),
                (None, false) => {}
            }
            text
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Opening hours as pages show them.
pub enum HoursView {
    /// The source gives none.
    None,
    /// A weekly table: (day, hours) rows, and notes under it.
    Week {
        rows: Vec<(&'static str, String)>,
        notes: Vec<String>,
    },
    /// Hours a source wrote in a near-miss of the syntax, rule by rule,
    /// to be checked.
    Loose(Vec<String>),
    /// Hours that cannot be read.
    Unreadable,
}

impl HoursView {
    pub fn of(raw: Option<&str>, parsed: Option<&Horaires>, today: NaiveDate) -> Self {
        match (raw, parsed) {
            (None, _) => Self::None,
            (Some(_), Some(h)) => week_view(&h.week(today)),
            (Some(raw), None) => match loose(raw) {
                Some(rules) => Self::Loose(rules.iter().map(loose_rule).collect()),
                None => Self::Unreadable,
            },
        }
    }

    /// Whether the template shows the weekly table.
    pub fn is_week(&self) -> bool {
        matches!(self, Self::Week { .. })
    }

    /// The table's rows and notes (empty for other kinds).
    pub fn rows(&self) -> &[(&'static str, String)] {
        match self {
            Self::Week { rows, .. } => rows,
            _ => &[],
        }
    }

    pub fn notes(&self) -> &[String] {
        match self {
            Self::Week { notes, .. } => notes,
            _ => &[],
        }
    }

    pub fn loose(&self) -> &[String] {
        match self {
            Self::Loose(lines) => lines,
            _ => &[],
        }
    }

    pub fn is_unreadable(&self) -> bool {
        matches!(self, Self::Unreadable)
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }
}

fn week_view(week: &Week) -> HoursView {
    if week.is_closed() && week.holidays == Holidays::NotSaid {
        return HoursView::Week {
            rows: Vec::new(),
            notes: vec!["Les horaires donnés n’indiquent aucune ouverture cette semaine : appelez le lieu avant de vous déplacer.".into()],
        };
    }
    let rows = DAYS
        .iter()
        .zip(&week.days)
        .map(|(day, list)| (*day, slots(list)))
        .collect();
    let mut notes = Vec::new();
    notes.push(match &week.holidays {
        Holidays::NotSaid => "Jours fériés : non précisé.".to_string(),
        Holidays::Closed => "Fermé les jours fériés.".to_string(),
        Holidays::AsUsual => "Ouvert les jours fériés, aux mêmes horaires.".to_string(),
        Holidays::Open(list) => format!("Jours fériés : {}.", slots(list)),
    });
    if week.varies {
        notes.push(format!(
            "Ces horaires sont ceux de la semaine du {} ; ils changent selon les semaines.",
            crate::fr::date(week.monday)
        ));
    }
    HoursView::Week { rows, notes }
}

/// "du mardi au vendredi : 8 h 30 – 18 h".
fn loose_rule(rule: &LooseRule) -> String {
    let mut days: Vec<String> = rule
        .days
        .iter()
        .map(|&(a, b)| match b.saturating_sub(a) {
            0 => DAYS[a].to_string(),
            1 => format!("{} et {}", DAYS[a], DAYS[b]),
            _ => format!("du {} au {}", DAYS[a], DAYS[b]),
        })
        .collect();
    if rule.holidays {
        days.push("jours fériés".into());
    }
    let when = if days.is_empty() {
        "tous les jours".to_string()
    } else {
        days.join(", ")
    };
    let hours = if rule.closed && rule.times.is_empty() {
        "fermé".to_string()
    } else {
        rule.times
            .iter()
            .map(|&(a, b)| range(a, b))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("{when} : {hours}")
}

/// "Ouvert jusqu’à 12 h", "Fermé · ouvre à 14 h", "Fermé · ouvre demain
/// à 9 h", "Fermé · ouvre lundi à 9 h", "Fermé · ouvre le 3 décembre à 9 h".
pub fn opening_status(h: &Horaires, now: NaiveDateTime) -> String {
    if h.is_open(now) {
        return match h.next_change(now) {
            Some(until) if until.date() == now.date() => {
                format!("Ouvert jusqu’à {}", crate::fr::time(until))
            }
            _ => "Ouvert maintenant".into(),
        };
    }
    match h.next_opening(now) {
        Some(next) => format!("Fermé · {}", opens(next, now)),
        None => "Fermé".into(),
    }
}

/// "ouvre à 9 h", "ouvre demain à 9 h", "ouvre lundi à 9 h", "ouvre le
/// 3 décembre à 9 h".
pub fn opens(next: NaiveDateTime, now: NaiveDateTime) -> String {
    let days = (next.date() - now.date()).num_days();
    let at = crate::fr::time(next);
    match days {
        0 => format!("ouvre à {at}"),
        1 => format!("ouvre demain à {at}"),
        2..=6 => format!(
            "ouvre {} à {at}",
            DAYS[next.weekday().num_days_from_monday() as usize]
        ),
        _ => format!("ouvre le {} à {at}", crate::fr::date(next.date())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn hours_in_words() {
        let h = Horaires::parse("Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off").unwrap();
        let view = HoursView::of(Some("…"), Some(&h), at("2026-11-24 10:00").date());
        assert_eq!(
            view.rows()[0],
            ("lundi", "9 h – 12 h, 14 h – 17 h 30".to_string())
        );
        assert_eq!(view.rows()[6], ("dimanche", "fermé".to_string()));
        assert_eq!(view.notes(), ["Fermé les jours fériés."]);
        // Tuesday 2026-11-24 (a Tuesday).
        assert_eq!(
            opening_status(&h, at("2026-11-24 10:00")),
            "Ouvert jusqu’à 12 h"
        );
        assert_eq!(
            opening_status(&h, at("2026-11-24 12:30")),
            "Fermé · ouvre à 14 h"
        );
        assert_eq!(
            opening_status(&h, at("2026-11-24 18:00")),
            "Fermé · ouvre demain à 9 h"
        );
        assert_eq!(
            opening_status(&h, at("2026-11-28 13:00")),
            "Fermé · ouvre lundi à 9 h"
        );
        let loose = HoursView::of(
            Some("Tu-Fr 08:30-18:00; Mo 18:00; Sa,PH off"),
            None,
            at("2026-11-24 10:00").date(),
        );
        assert_eq!(
            loose.loose(),
            [
                "du mardi au vendredi : 8 h 30 – 18 h",
                "lundi : 18 h",
                "samedi, jours fériés : fermé"
            ]
        );
        assert!(
            HoursView::of(Some("le matin"), None, at("2026-11-24 10:00").date()).is_unreadable()
        );
        assert_eq!(clock(1440), "minuit");
        assert_eq!(distance(0.85), "850 m");
        assert_eq!(distance(2.44), "2,4 km");
        assert_eq!(day("2024-05-02"), "2 mai 2024");
    }
}
