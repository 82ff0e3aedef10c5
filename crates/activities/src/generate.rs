//! Synthetic records for benchmarks, whose distributions follow the seeds:
//! themes weighted by the 2023 Bretagne counts, ages and statuses by the
//! conseillers numériques' figures, over the communes given.

use chrono::{Duration, NaiveDate};

use crate::model::{Activity, Kind, Where};
use crate::vocab::{AUTONOMY, DURATION_PRESETS, KINDS_OF_HELP, LEVELS, ORGANISATIONS, THEMES};

/// Deterministic: the same seed gives the same records.
pub struct Generator {
    state: u64,
    communes: Vec<String>,
    year: i32,
    ages: Vec<(&'static str, u64)>,
    statuses: Vec<(&'static str, u64)>,
}

impl Generator {
    pub fn new(seed: u64, communes: Vec<String>, year: i32) -> Self {
        // Weights from the bundled conseillers numériques' figures, spread
        // over the records' finer brackets.
        let cra = crate::cra::bundled();
        let sum = |value: &str| {
            cra.iter()
                .filter(|r| r.2 == value)
                .map(|r| r.3 as u64)
                .sum::<u64>()
        };
        let ages = vec![
            ("moins de 12 ans", sum("12 ans et -")),
            ("12-17 ans", sum("12-18 ans")),
            ("18-24 ans", sum("18-35 ans") / 2),
            ("25-39 ans", sum("18-35 ans") / 2),
            ("40-59 ans", sum("35-60 ans")),
            ("60-69 ans", sum("60 ans et +") / 2),
            ("70 ans et plus", sum("60 ans et +") / 2),
        ];
        let statuses = vec![
            ("scolarisé", sum("scolarisé")),
            ("sans emploi", sum("sans emploi")),
            ("en emploi", sum("en emploi")),
            ("retraité", sum("retraité")),
            ("non communiqué", sum("hétérogène")),
        ];
        Self {
            state: seed.max(1),
            communes,
            year,
            ages,
            statuses,
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn weighted<'a>(&mut self, items: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut pick = self.next() % total.max(1);
        for (item, w) in items {
            if pick < *w {
                return item;
            }
            pick -= w;
        }
        items[0].0
    }

    pub fn record(&mut self) -> Activity {
        let themes: Vec<(&str, u64)> = THEMES.iter().map(|(t, n)| (*t, u64::from(*n))).collect();
        let first = self.weighted(&themes);
        let mut chosen = vec![first.to_string()];
        if self.below(14) == 0 {
            let second = self.weighted(&themes);
            if second != first {
                chosen.push(second.to_string());
            }
        }
        let kind = if first == "Démarche en ligne" {
            Kind::Demarche
        } else if self.below(4) == 0 {
            Kind::Atelier
        } else {
            Kind::Individuel
        };
        let participants = if kind == Kind::Atelier {
            3 + self.below(10) as u32
        } else {
            1
        };
        let date = NaiveDate::from_ymd_opt(self.year, 1, 1).expect("a year")
            + Duration::days(self.below(365) as i64);
        let pick = self.below(self.communes.len());
        let commune = self.communes[pick].clone();
        let ages = if kind == Kind::Atelier {
            vec![(self.weighted(&self.ages.clone()).to_string(), participants)]
        } else {
            vec![(self.weighted(&self.ages.clone()).to_string(), 1)]
        };
        let statuses = vec![(
            self.weighted(&self.statuses.clone()).to_string(),
            participants,
        )];
        Activity {
            kind,
            date,
            duration_minutes: if kind == Kind::Atelier {
                120
            } else {
                DURATION_PRESETS[self.below(4)]
            },
            place: Where::Autre(commune),
            workshop_title: (kind == Kind::Atelier).then(|| "Atelier numérique".to_string()),
            level: (kind == Kind::Atelier).then(|| LEVELS[self.below(3)].to_string()),
            participants,
            ages,
            statuses,
            residence_commune: None,
            follow_up_code: None,
            themes: chosen,
            organisation: (kind == Kind::Demarche)
                .then(|| ORGANISATIONS[self.below(ORGANISATIONS.len())].to_string()),
            kinds_of_help: if kind == Kind::Demarche {
                vec![KINDS_OF_HELP[self.below(KINDS_OF_HELP.len())].to_string()]
            } else {
                vec![]
            },
            autonomy: Some(AUTONOMY[self.below(3)].to_string()),
            equipment: None,
            orientation: None,
            returning: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validate;

    #[test]
    fn generated_records_are_valid_and_follow_the_seed() {
        let mut g = Generator::new(7, vec!["29232".into(), "35238".into()], 2025);
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let records: Vec<Activity> = (0..20_000).map(|_| g.record()).collect();
        for (i, r) in records.iter().enumerate() {
            assert_eq!(validate(i as u64, r, today), vec![], "{r:?}");
        }
        let share = |theme: &str| {
            records.iter().filter(|r| r.themes[0] == theme).count() as f64 / records.len() as f64
        };
        // The seed: 25.4 % of theme mentions for "Prendre en main du matériel".
        assert!((share("Prendre en main du matériel") - 0.254).abs() < 0.02);
        assert!((share("Démarche en ligne") - 0.176).abs() < 0.02);
        let again: Vec<Activity> = {
            let mut g = Generator::new(7, vec!["29232".into(), "35238".into()], 2025);
            (0..100).map(|_| g.record()).collect()
        };
        assert_eq!(again, records[..100].to_vec(), "deterministic");
    }
}
