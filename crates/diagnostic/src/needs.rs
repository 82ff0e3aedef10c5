//! Needs per commune, from official data, and the PORTREA formulas.
//!
//! Every count is optional: a figure nobody imported is `None` and shows as
//! "données non chargées", never as zero. Census counts are weighted
//! estimates (INSEE publishes them with decimals), so they are `f64`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// The Indice de Fragilité Numérique components of one commune or EPCI:
/// scores on a 0–10 scale (higher is more fragile), not rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IfnScores {
    pub no_thd_coverage: f64,
    pub no_4g_coverage: f64,
    pub poverty: f64,
    pub older_65: f64,
    pub no_diploma: f64,
    /// Mean of the components, as the source gives it.
    pub total: f64,
}

/// What is known of one commune's needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CommuneNeeds {
    /// People aged 65 or over (INSEE census, `Pyy_POP65P`).
    pub pop_65_plus: Option<f64>,
    /// People aged 15 or over out of school (`Pyy_NSCOL15P`).
    pub out_of_school_15_plus: Option<f64>,
    /// Of those, without diploma or with the CEP only (`Pyy_NSCOL15P_DIPLMIN`).
    pub no_diploma: Option<f64>,
    /// Households receiving each minimum social benefit (CAF), by benefit.
    pub minima_sociaux: BTreeMap<String, f64>,
    /// Job seekers registered at France Travail, categories A, B, C.
    pub job_seekers: Option<f64>,
    /// Census population (INSEE comparateur de territoires).
    pub census_population: Option<f64>,
    /// Census unemployed aged 15–64 (not France Travail registrations).
    pub census_unemployed_15_64: Option<f64>,
    /// Census active population aged 15–64.
    pub census_active_15_64: Option<f64>,
    pub ifn: Option<IfnScores>,
}

impl CommuneNeeds {
    /// PORTREA's socio-digital fragility as the seed states it: people aged
    /// 65+ plus people 15+ out of school without diploma (or CEP only).
    pub fn fragility(&self) -> Option<f64> {
        Some(self.pop_65_plus? + self.no_diploma?)
    }

    /// The same without the double count of people both 65+ and without
    /// diploma, whose number the communal files do not give: it is estimated
    /// assuming that, within the commune, the 65+ are as often without
    /// diploma as all people 15+ out of school
    /// (`overlap = POP65P × DIPLMIN / NSCOL15P`). Older generations hold
    /// fewer diplomas, so this overlap is too small and the result an upper
    /// estimate; `fragility_bounds` gives the certain range.
    pub fn fragility_deduplicated(&self) -> Option<f64> {
        let (old, nodip, nscol) = (
            self.pop_65_plus?,
            self.no_diploma?,
            self.out_of_school_15_plus?,
        );
        let overlap = if nscol > 0.0 {
            (old * nodip / nscol).min(old).min(nodip)
        } else {
            0.0
        };
        Some(old + nodip - overlap)
    }

    /// What the de-duplicated count is sure to lie within: at least the larger
    /// of the two groups, at most their sum.
    pub fn fragility_bounds(&self) -> Option<(f64, f64)> {
        let (old, nodip) = (self.pop_65_plus?, self.no_diploma?);
        Some((old.max(nodip), old + nodip))
    }

    /// Recipients of minima sociaux, all loaded benefits together.
    pub fn minima_total(&self) -> Option<f64> {
        (!self.minima_sociaux.is_empty()).then(|| self.minima_sociaux.values().sum())
    }

    /// People who must do complex administrative procedures every month:
    /// minima sociaux recipients plus job seekers (seed 003).
    pub fn complex_procedures(&self) -> Option<f64> {
        Some(self.minima_total()? + self.job_seekers?)
    }
}

/// One loaded indicator file, for provenance in the portrait.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceNote {
    /// What it fed (`pop_65_plus`, `no_diploma`, `minima_sociaux:RSA`…).
    pub indicator: String,
    /// Census vintage (`2021`) or the date the file gives.
    pub vintage: Option<String>,
    pub file: String,
}

/// Needs of every commune known, and the EPCI IFN scores.
#[derive(Debug, Clone, Default)]
pub struct Indicators {
    pub communes: HashMap<String, CommuneNeeds>,
    pub epci_ifn: HashMap<String, IfnScores>,
    pub sources: Vec<SourceNote>,
}

impl Indicators {
    pub fn get(&self, code: &str) -> Option<&CommuneNeeds> {
        self.communes.get(code)
    }

    pub fn entry(&mut self, code: &str) -> &mut CommuneNeeds {
        self.communes.entry(code.to_string()).or_default()
    }

    /// Whether any commune has a value for `f`.
    pub fn any(&self, f: impl Fn(&CommuneNeeds) -> Option<f64>) -> bool {
        self.communes.values().any(|n| f(n).is_some())
    }

    /// Records where an indicator comes from, replacing an earlier note for
    /// the same indicator.
    pub fn note(&mut self, note: SourceNote) {
        self.sources.retain(|s| s.indicator != note.indicator);
        self.sources.push(note);
    }
}

/// The sum of one indicator over communes, saying how many had it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Total {
    /// `None` when no commune has the figure: "données non chargées".
    pub value: Option<f64>,
    pub communes_with_data: usize,
    pub communes: usize,
}

impl Total {
    pub fn of<'a>(
        needs: impl Iterator<Item = Option<&'a CommuneNeeds>>,
        f: impl Fn(&CommuneNeeds) -> Option<f64>,
    ) -> Self {
        let (mut sum, mut with, mut all) = (0.0, 0, 0);
        for n in needs {
            all += 1;
            if let Some(v) = n.and_then(&f) {
                sum += v;
                with += 1;
            }
        }
        Total {
            value: (with > 0).then_some(sum),
            communes_with_data: with,
            communes: all,
        }
    }

    /// Every commune of the territory has the figure.
    pub fn complete(&self) -> bool {
        self.communes_with_data == self.communes
    }

    /// `value / denominator`, when both are known and the figure complete.
    pub fn rate(&self, denominator: f64) -> Option<f64> {
        match self.value {
            Some(v) if self.complete() && denominator > 0.0 => Some(v / denominator),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commune(old: f64, nodip: f64, nscol: f64) -> CommuneNeeds {
        CommuneNeeds {
            pop_65_plus: Some(old),
            no_diploma: Some(nodip),
            out_of_school_15_plus: Some(nscol),
            ..Default::default()
        }
    }

    #[test]
    fn fragility_as_the_seed_states_and_deduplicated() {
        // 1,000 people out of school, 300 aged 65+, 200 without diploma.
        let c = commune(300.0, 200.0, 1000.0);
        assert_eq!(c.fragility(), Some(500.0));
        // Overlap under independence: 300 × 200 / 1000 = 60.
        assert_eq!(c.fragility_deduplicated(), Some(440.0));
        assert_eq!(c.fragility_bounds(), Some((300.0, 500.0)));
        // Without the out-of-school count there is no de-duplicated figure.
        let partial = CommuneNeeds {
            out_of_school_15_plus: None,
            ..c.clone()
        };
        assert_eq!(partial.fragility(), Some(500.0));
        assert_eq!(partial.fragility_deduplicated(), None);
        // The overlap can never exceed the smaller group.
        let tiny = commune(50.0, 40.0, 10.0);
        assert_eq!(tiny.fragility_deduplicated(), Some(50.0));
        assert_eq!(CommuneNeeds::default().fragility(), None);
    }

    #[test]
    fn complex_procedures_need_both_sources() {
        let mut c = CommuneNeeds::default();
        assert_eq!(c.complex_procedures(), None);
        c.minima_sociaux.insert("RSA".into(), 40.0);
        c.minima_sociaux.insert("AAH".into(), 25.0);
        assert_eq!(c.minima_total(), Some(65.0));
        assert_eq!(c.complex_procedures(), None, "job seekers not loaded");
        c.job_seekers = Some(100.0);
        assert_eq!(c.complex_procedures(), Some(165.0));
    }

    #[test]
    fn totals_say_how_complete_they_are() {
        let a = commune(10.0, 5.0, 50.0);
        let b = CommuneNeeds::default();
        let t = Total::of([Some(&a), Some(&b), None].into_iter(), |n| n.fragility());
        assert_eq!(t.value, Some(15.0));
        assert_eq!((t.communes_with_data, t.communes), (1, 3));
        assert!(!t.complete());
        assert_eq!(t.rate(100.0), None, "no rate from a partial total");
        let t = Total::of([Some(&a)].into_iter(), |n| n.fragility());
        assert_eq!(t.rate(100.0), Some(0.15));
        let none = Total::of([Some(&b)].into_iter(), |n| n.fragility());
        assert_eq!(none.value, None);
    }
}
