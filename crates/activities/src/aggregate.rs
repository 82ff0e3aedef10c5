//! Counting activities: by people (a workshop of 8 counts 8) or by records,
//! shares in %, and the small-cell rule for shared views.

use std::collections::BTreeMap;

use crate::model::Activity;
use crate::vocab::{duration_bucket, seed_bracket};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    People,
    Records,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Theme,
    Kind,
    Duration,
    /// The seeds' age brackets.
    Age,
    Status,
    Organisation,
    Help,
    Autonomy,
    Orientation,
    /// Type of accompaniment × whether the person is followed (a follow-up
    /// code is given), as the seed's "suivi sur plusieurs sessions".
    FollowUp,
}

/// Counts per value of a dimension. A record with several themes counts for
/// each (the seeds' table does so); ages and statuses count people where the
/// record gives them, records otherwise.
pub fn count_by(
    activities: &[Activity],
    dimension: Dimension,
    weight: Weight,
) -> BTreeMap<String, u64> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for a in activities {
        contributions(a, dimension, |key, people| {
            let n = match weight {
                Weight::People => people,
                Weight::Records => 1,
            };
            *out.entry(key.to_string()).or_default() += n;
        });
    }
    out
}

/// What one record adds to the counts of a dimension: `add(value,
/// people)` once for each time `count_by` counts it (its records weight
/// is 1 each time). A value may come twice (two age brackets of the
/// seeds' one bracket): the counts add up. No map, no allocation but the
/// follow-up's label: the roll-ups of a bulk import call it for every
/// record.
pub fn contributions(a: &Activity, dimension: Dimension, mut add: impl FnMut(&str, u64)) {
    let w = u64::from(a.participants);
    match dimension {
        Dimension::Theme => a.themes.iter().for_each(|t| add(t, w)),
        Dimension::Kind => add(a.kind.label(), w),
        Dimension::Duration => add(duration_bucket(a.duration_minutes), w),
        Dimension::Age | Dimension::Status => {
            let counts = if dimension == Dimension::Age {
                &a.ages
            } else {
                &a.statuses
            };
            if counts.is_empty() {
                add("non communiqué", w);
            }
            for (value, n) in counts {
                let key = if dimension == Dimension::Age {
                    seed_bracket(value).unwrap_or("non communiqué")
                } else {
                    value.as_str()
                };
                add(key, u64::from(*n));
            }
        }
        Dimension::Organisation => a.organisation.iter().for_each(|o| add(o, w)),
        Dimension::Help => a.kinds_of_help.iter().for_each(|h| add(h, w)),
        Dimension::Autonomy => a.autonomy.iter().for_each(|v| add(v, w)),
        Dimension::Orientation => a.orientation.iter().for_each(|v| add(v, w)),
        Dimension::FollowUp => {
            // Followed: a follow-up code is given, or the people came
            // back (`returning`, from CRA v1); a record with both kinds
            // of people counts once under each, as for ages.
            let label = |followed: &str| format!("{}, {followed}", a.kind.label());
            let returning = if a.follow_up_code.is_some() {
                a.participants
            } else {
                a.returning.min(a.participants)
            };
            let first = a.participants - returning;
            if returning > 0 {
                add(&label("avec suivi"), u64::from(returning));
            }
            if first > 0 || returning == 0 {
                add(&label("sans suivi"), u64::from(first));
            }
        }
    }
}

/// Each count with its share of the sum, in %, rounded to 0.1.
pub fn shares(counts: &BTreeMap<String, u64>) -> Vec<(String, u64, f64)> {
    let total: u64 = counts.values().sum();
    counts
        .iter()
        .map(|(k, n)| {
            (
                k.clone(),
                *n,
                if total == 0 {
                    0.0
                } else {
                    (*n as f64 * 1000.0 / total as f64).round() / 10.0
                },
            )
        })
        .collect()
}

/// Territorial levels, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Commune,
    Epci,
    Departement,
    Region,
}

/// A count as shared views and exports show it: fewer than 5 people in a
/// territory smaller than an EPCI could point at someone, so it reads "< 5".
pub fn shown(count: u64, level: Level) -> String {
    if level < Level::Epci && (1..5).contains(&count) {
        "< 5".into()
    } else {
        count.to_string()
    }
}

/// A table of counts as published openly, `(people, records)` per cell,
/// under the small-cell rule (`shown`): a people cell of 1 to 4 is not
/// given, nor its records; a records cell of 1 to 4 is not given either.
/// When the cells share out a total that is given (`partition`: types,
/// durations, ages, statuses, months…), a single hidden cell could be
/// recomputed from the others: the smallest other non-zero cell is hidden
/// with it.
pub fn protect(
    cells: &[(u64, u64)],
    level: Level,
    partition: bool,
) -> Vec<(Option<u64>, Option<u64>)> {
    let hidden = |n: u64| shown(n, level) != n.to_string();
    let mut people_hidden: Vec<bool> = cells.iter().map(|(p, _)| hidden(*p)).collect();
    if partition && people_hidden.iter().filter(|h| **h).count() == 1 {
        let smallest = (0..cells.len())
            .filter(|i| !people_hidden[*i] && cells[*i].0 > 0)
            .min_by_key(|i| cells[*i].0);
        if let Some(i) = smallest {
            people_hidden[i] = true;
        }
    }
    cells
        .iter()
        .zip(people_hidden)
        .map(|((people, records), people_hidden)| {
            if people_hidden {
                (None, None)
            } else {
                (Some(*people), (!hidden(*records)).then_some(*records))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Where};
    use chrono::NaiveDate;

    fn record(kind: Kind, participants: u32, ages: &[(&str, u32)], themes: &[&str]) -> Activity {
        Activity {
            kind,
            date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            duration_minutes: if kind == Kind::Atelier { 120 } else { 30 },
            place: Where::Distance,
            workshop_title: None,
            level: None,
            participants,
            ages: ages.iter().map(|(a, n)| (a.to_string(), *n)).collect(),
            statuses: vec![],
            residence_commune: None,
            follow_up_code: None,
            themes: themes.iter().map(|t| t.to_string()).collect(),
            organisation: None,
            kinds_of_help: vec![],
            autonomy: None,
            equipment: None,
            orientation: None,
            returning: 0,
        }
    }

    #[test]
    fn workshops_weigh_their_participants() {
        let data = vec![
            record(
                Kind::Individuel,
                1,
                &[("70 ans et plus", 1)],
                &["Courriels"],
            ),
            record(
                Kind::Atelier,
                8,
                &[("60-69 ans", 5), ("40-59 ans", 3)],
                &["Courriels", "Bureautique"],
            ),
        ];
        let people = count_by(&data, Dimension::Kind, Weight::People);
        assert_eq!(people["Atelier collectif"], 8);
        assert_eq!(people["Accompagnement individuel"], 1);
        assert_eq!(
            count_by(&data, Dimension::Kind, Weight::Records)["Atelier collectif"],
            1
        );
        let themes = count_by(&data, Dimension::Theme, Weight::People);
        assert_eq!(
            (themes["Courriels"], themes["Bureautique"]),
            (9, 8),
            "each theme of a record counts"
        );
        let ages = count_by(&data, Dimension::Age, Weight::People);
        assert_eq!(
            (ages["60 ans et +"], ages["35-60 ans"]),
            (6, 3),
            "brackets aggregate into the seeds'"
        );
        let follow = count_by(&data, Dimension::FollowUp, Weight::Records);
        assert_eq!(follow["Atelier collectif, sans suivi"], 1);
        let mut back = data[1].clone();
        back.returning = 5;
        let people = count_by(
            std::slice::from_ref(&back),
            Dimension::FollowUp,
            Weight::People,
        );
        assert_eq!(
            (
                people["Atelier collectif, avec suivi"],
                people["Atelier collectif, sans suivi"]
            ),
            (5, 3),
            "the people who came back are followed"
        );
        let records = count_by(
            std::slice::from_ref(&back),
            Dimension::FollowUp,
            Weight::Records,
        );
        assert_eq!(records.values().sum::<u64>(), 2, "once under each");
        let durations = count_by(&data, Dimension::Duration, Weight::Records);
        assert_eq!(
            (durations["2 h et plus"], durations["30 min à 1 h"]),
            (1, 1)
        );
    }

    #[test]
    fn shares_reproduce_the_seed_percentages() {
        let counts: BTreeMap<String, u64> = crate::vocab::THEMES
            .iter()
            .map(|(t, n)| (t.to_string(), u64::from(*n)))
            .collect();
        let table = shares(&counts);
        let get = |name: &str| table.iter().find(|(k, ..)| k == name).unwrap().2;
        assert_eq!(get("Prendre en main du matériel"), 25.4);
        assert_eq!(get("Courriels"), 8.2);
        assert_eq!(get("Démarche en ligne"), 17.6);
    }

    #[test]
    fn open_tables_hide_small_cells_and_what_would_give_them_away() {
        let cells = [(12, 7), (3, 1), (40, 2), (0, 0)];
        assert_eq!(
            protect(&cells, Level::Commune, false),
            vec![
                (Some(12), Some(7)),
                (None, None),
                (Some(40), None),
                (Some(0), Some(0))
            ]
        );
        // A partition: 3 = total − 12 − 40; the 12 goes too.
        assert_eq!(
            protect(&cells, Level::Commune, true),
            vec![
                (None, None),
                (None, None),
                (Some(40), None),
                (Some(0), Some(0))
            ]
        );
        // Two hidden cells already protect each other.
        let two = [(2, 1), (3, 1), (40, 9)];
        assert_eq!(protect(&two, Level::Commune, true)[2], (Some(40), Some(9)));
        // From the EPCI up, everything is given.
        assert_eq!(
            protect(&cells, Level::Epci, true),
            cells
                .iter()
                .map(|(p, r)| (Some(*p), Some(*r)))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn small_cells_are_hidden_below_the_epci() {
        assert_eq!(shown(3, Level::Commune), "< 5");
        assert_eq!(shown(0, Level::Commune), "0");
        assert_eq!(shown(5, Level::Commune), "5");
        assert_eq!(shown(3, Level::Epci), "3");
        assert_eq!(shown(3, Level::Departement), "3");
    }
}
