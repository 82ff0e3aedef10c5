//! Needs per commune (and per IRIS), from official data, and PORTREA's
//! two scores as its public code computes them.
//!
//! Every figure is optional: a figure nobody imported is absent and shows
//! as "données non chargées", never as zero. A figure made of parts (the
//! IRIS of a commune, the communes of a territory) whose cells were under
//! statistical secrecy keeps the sum of the published parts and says how
//! many were secret: it is then a lower bound, never a made-up value.
//! Census counts are weighted estimates (INSEE publishes them with
//! decimals), so every count is `f64`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// One figure an official file gives for a commune or an IRIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Census population (`Pyy_POP`).
    CensusPopulation,
    /// People aged 65 or over (`Pyy_POP65P`).
    Pop65Plus,
    /// People aged 15 or over, complementary count (`Cyy_POP15P`).
    Pop15Plus,
    /// People aged 15 or over out of school (`Pyy_NSCOL15P`).
    OutOfSchool15Plus,
    /// Of those, without diploma or with the CEP at most
    /// (`Pyy_NSCOL15P_DIPLMIN`).
    NoDiploma,
    /// CAF recipients of the allocation aux adultes handicapés (`aaah`).
    Aah,
    /// CAF recipients of the prime d'activité (`appa`).
    PrimeActivite,
    /// CAF recipients of the RSA socle (`arsas`).
    RsaSocle,
    /// Job seekers registered at France Travail, categories A to E.
    JobSeekersAbcde,
    /// Job seekers of categories A, B and C.
    JobSeekersAbc,
    /// Census unemployed aged 15–64 (not France Travail registrations).
    CensusUnemployed15To64,
    /// Census active population aged 15–64.
    CensusActive15To64,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Field::CensusPopulation,
        Field::Pop65Plus,
        Field::Pop15Plus,
        Field::OutOfSchool15Plus,
        Field::NoDiploma,
        Field::Aah,
        Field::PrimeActivite,
        Field::RsaSocle,
        Field::JobSeekersAbcde,
        Field::JobSeekersAbc,
        Field::CensusUnemployed15To64,
        Field::CensusActive15To64,
    ];

    /// The key figures are stored under.
    pub fn key(self) -> &'static str {
        match self {
            Field::CensusPopulation => "census_population",
            Field::Pop65Plus => "pop_65_plus",
            Field::Pop15Plus => "pop_15_plus",
            Field::OutOfSchool15Plus => "out_of_school_15_plus",
            Field::NoDiploma => "no_diploma",
            Field::Aah => "caf_aah",
            Field::PrimeActivite => "caf_prime_activite",
            Field::RsaSocle => "caf_rsa_socle",
            Field::JobSeekersAbcde => "job_seekers_abcde",
            Field::JobSeekersAbc => "job_seekers",
            Field::CensusUnemployed15To64 => "census_unemployed_15_64",
            Field::CensusActive15To64 => "census_active_15_64",
        }
    }

    /// The field a stored key names, including the keys of earlier
    /// versions (`minima_sociaux:AAH`, `minima_sociaux:RSA`: households of
    /// data.caf.fr's per-commune files).
    pub fn from_key(key: &str) -> Option<Field> {
        match key {
            "minima_sociaux:AAH" => Some(Field::Aah),
            "minima_sociaux:RSA" => Some(Field::RsaSocle),
            "minima_sociaux:PPA" => Some(Field::PrimeActivite),
            _ => Field::ALL.into_iter().find(|f| f.key() == key),
        }
    }

    /// What the figure counts, in French.
    pub fn label(self) -> &'static str {
        match self {
            Field::CensusPopulation => "Population (recensement)",
            Field::Pop65Plus => "Personnes de 65 ans et plus",
            Field::Pop15Plus => "Personnes de 15 ans et plus",
            Field::OutOfSchool15Plus => "Personnes de 15 ans et plus non scolarisées",
            Field::NoDiploma => {
                "Sans diplôme ou avec le certificat d’études (15 ans et plus non scolarisés)"
            }
            Field::Aah => "Allocataires de l’allocation aux adultes handicapés (AAH)",
            Field::PrimeActivite => "Allocataires de la prime d’activité",
            Field::RsaSocle => "Allocataires du RSA socle",
            Field::JobSeekersAbcde => "Demandeurs d’emploi, catégories A à E",
            Field::JobSeekersAbc => "Demandeurs d’emploi, catégories A, B et C",
            Field::CensusUnemployed15To64 => "Chômeurs de 15 à 64 ans (recensement)",
            Field::CensusActive15To64 => "Actifs de 15 à 64 ans (recensement)",
        }
    }
}

/// A count and how complete it is: `value` is the sum of the published
/// parts; `secret` parts (IRIS, communes or cells) were not published, so
/// when `secret > 0` the true figure is at least `value`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figure {
    pub value: f64,
    pub secret: u32,
    /// Index of its source in `Indicators::sources` (none for a computed
    /// figure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<usize>,
}

impl Figure {
    pub fn known(value: f64) -> Self {
        Figure {
            value,
            secret: 0,
            source: None,
        }
    }

    /// A cell under statistical secrecy.
    pub fn secret() -> Self {
        Figure {
            value: 0.0,
            secret: 1,
            source: None,
        }
    }

    /// The exact value, when no part is secret.
    pub fn exact(&self) -> Option<f64> {
        (self.secret == 0).then_some(self.value)
    }
}

/// Two parts of a figure added: their values and their secret parts.
impl std::ops::Add for Figure {
    type Output = Figure;

    fn add(self, other: Figure) -> Figure {
        Figure {
            value: self.value + other.value,
            secret: self.secret + other.secret,
            source: None,
        }
    }
}

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

/// The official figures of one place (a commune or an IRIS), and the
/// scores computed from them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Figures(pub BTreeMap<Field, Figure>);

impl Figures {
    pub fn get(&self, field: Field) -> Option<Figure> {
        self.0.get(&field).copied()
    }

    pub fn set(&mut self, field: Field, figure: Option<Figure>) {
        match figure {
            Some(f) => self.0.insert(field, f),
            None => self.0.remove(&field),
        };
    }

    /// PORTREA's score of socio-digital fragility
    /// (`components/viz/Scores/FragiliteScore.js`): the people aged 65+
    /// plus the people without diploma (or CEP) under 65, the latter
    /// estimated by the under-65 share of the 15+:
    /// `POP65P + NSCOL15P_DIPLMIN × (POP15P − POP65P) / POP15P`.
    pub fn fragility(&self) -> Option<Figure> {
        let old = self.get(Field::Pop65Plus)?;
        let nodip = self.get(Field::NoDiploma)?;
        let over15 = self.get(Field::Pop15Plus)?;
        let under65_share = if over15.value > 0.0 {
            ((over15.value - old.value) / over15.value).clamp(0.0, 1.0)
        } else {
            0.0
        };
        Some(Figure {
            value: old.value + nodip.value * under65_share,
            secret: old.secret + nodip.secret + over15.secret,
            source: None,
        })
    }

    /// The seed's plain sum (seed 003: "la méthode PORTREA somme les deux
    /// facteurs"): people aged 65+ plus people without diploma, the people
    /// in both groups counted twice.
    pub fn fragility_plain_sum(&self) -> Option<Figure> {
        Some(self.get(Field::Pop65Plus)? + self.get(Field::NoDiploma)?)
    }

    /// CAF recipients of the three minima PORTREA counts: AAH, prime
    /// d'activité, RSA socle (`aaah + appa + arsas`).
    pub fn caf_minima(&self) -> Option<Figure> {
        Some(self.get(Field::Aah)? + self.get(Field::PrimeActivite)? + self.get(Field::RsaSocle)?)
    }

    /// PORTREA's score of exposure to digital requirements
    /// (`components/viz/Scores/ExpositionScore.js`): CAF recipients of
    /// AAH, prime d'activité and RSA socle plus job seekers of categories
    /// A to E.
    pub fn exposure(&self) -> Option<Figure> {
        Some(self.caf_minima()? + self.get(Field::JobSeekersAbcde)?)
    }

    /// The population rates are computed on: the census population of the
    /// same files when loaded.
    pub fn census_population(&self) -> Option<f64> {
        self.get(Field::CensusPopulation).and_then(|f| f.exact())
    }
}

/// What is known of one commune's needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CommuneNeeds {
    pub figures: Figures,
    pub ifn: Option<IfnScores>,
}

impl CommuneNeeds {
    pub fn get(&self, field: Field) -> Option<Figure> {
        self.figures.get(field)
    }

    pub fn value(&self, field: Field) -> Option<f64> {
        self.figures.get(field).map(|f| f.value)
    }

    pub fn fragility(&self) -> Option<Figure> {
        self.figures.fragility()
    }

    pub fn fragility_plain_sum(&self) -> Option<Figure> {
        self.figures.fragility_plain_sum()
    }

    pub fn exposure(&self) -> Option<Figure> {
        self.figures.exposure()
    }

    pub fn caf_minima(&self) -> Option<Figure> {
        self.figures.caf_minima()
    }
}

/// One IRIS (a neighbourhood of about 2,000 people of a commune split into
/// IRIS) and its figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IrisNeeds {
    pub code: String,
    pub commune: String,
    /// Its name, when an INSEE file gave it (`LIBIRIS`).
    pub nom: Option<String>,
    pub figures: Figures,
}

/// Where figures come from: shown beside every figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceNote {
    /// The dataset in French ("INSEE, recensement de la population").
    pub title: String,
    /// Census year or year of the data (`2021`).
    pub vintage: Option<String>,
    /// The file imported, when a person imported one.
    pub file: Option<String>,
    /// When it was imported (ISO 8601 UTC), for imported files.
    pub imported_at: Option<String>,
}

/// Needs of every commune and IRIS known, the EPCI IFN scores, and the
/// sources the figures cite.
#[derive(Debug, Clone, Default)]
pub struct Indicators {
    pub communes: HashMap<String, CommuneNeeds>,
    pub iris: BTreeMap<String, IrisNeeds>,
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
    pub fn any(&self, f: impl Fn(&CommuneNeeds) -> Option<Figure>) -> bool {
        self.communes.values().any(|n| f(n).is_some())
    }

    /// Registers a source and returns its index for `Figure::source`.
    pub fn add_source(&mut self, note: SourceNote) -> usize {
        if let Some(i) = self.sources.iter().position(|s| *s == note) {
            return i;
        }
        self.sources.push(note);
        self.sources.len() - 1
    }

    /// The IRIS of a commune, in code order.
    pub fn iris_of<'a>(&'a self, commune: &'a str) -> Vec<&'a IrisNeeds> {
        // The IRIS of Paris, Lyon and Marseille carry the code of their
        // arrondissement, not of the commune.
        if crate::import::has_arrondissements(commune) {
            return self
                .iris
                .values()
                .filter(|v| v.commune == commune)
                .collect();
        }
        self.iris
            .range(commune.to_string()..)
            .take_while(|(code, _)| code.starts_with(commune))
            .map(|(_, v)| v)
            .filter(|v| v.commune == commune)
            .collect()
    }

    /// The sources that the figures of `field` cite over some communes,
    /// most used first.
    pub fn sources_of<'a>(
        &'a self,
        field: Field,
        communes: impl Iterator<Item = &'a str>,
    ) -> Vec<&'a SourceNote> {
        let mut uses: BTreeMap<usize, usize> = BTreeMap::new();
        for code in communes {
            if let Some(s) = self
                .communes
                .get(code)
                .and_then(|n| n.get(field))
                .and_then(|f| f.source)
            {
                *uses.entry(s).or_default() += 1;
            }
        }
        let mut ranked: Vec<(usize, usize)> = uses.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .filter_map(|(i, _)| self.sources.get(i))
            .collect()
    }
}

/// The sum of one figure over communes, saying how many had it and how
/// many of its parts were secret.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Total {
    /// `None` when no commune has the figure: "données non chargées".
    pub value: Option<f64>,
    pub communes_with_data: usize,
    pub communes: usize,
    /// Parts (IRIS, communes, cells) not published: the value is then a
    /// lower bound.
    pub secret: u32,
}

impl Total {
    pub fn of<'a>(
        needs: impl Iterator<Item = Option<&'a CommuneNeeds>>,
        f: impl Fn(&CommuneNeeds) -> Option<Figure>,
    ) -> Self {
        let (mut sum, mut with, mut all, mut secret) = (0.0, 0, 0, 0);
        for n in needs {
            all += 1;
            if let Some(v) = n.and_then(&f) {
                sum += v.value;
                secret += v.secret;
                with += 1;
            }
        }
        Total {
            value: (with > 0).then_some(sum),
            communes_with_data: with,
            communes: all,
            secret,
        }
    }

    /// Every commune of the territory has the figure.
    pub fn complete(&self) -> bool {
        self.communes_with_data == self.communes
    }

    /// The figure, when every commune has it (it may still be a lower
    /// bound: see `secret`).
    pub fn complete_value(&self) -> Option<f64> {
        self.value.filter(|_| self.complete())
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

    fn figures(pairs: &[(Field, f64)]) -> Figures {
        Figures(pairs.iter().map(|(f, v)| (*f, Figure::known(*v))).collect())
    }

    #[test]
    fn portrea_fragility_as_its_code_computes_it() {
        // 1,000 people 15+, 300 of them 65+, 200 without diploma:
        // 300 + 200 × (1000 − 300) / 1000 = 300 + 140 = 440.
        let f = figures(&[
            (Field::Pop65Plus, 300.0),
            (Field::NoDiploma, 200.0),
            (Field::Pop15Plus, 1000.0),
        ]);
        assert_eq!(f.fragility().unwrap().value, 440.0);
        assert_eq!(f.fragility_plain_sum().unwrap().value, 500.0);
        // Without the 15+ count there is no PORTREA score, the plain sum
        // remains.
        let mut partial = f.clone();
        partial.set(Field::Pop15Plus, None);
        assert_eq!(partial.fragility(), None);
        assert_eq!(partial.fragility_plain_sum().unwrap().value, 500.0);
        assert_eq!(Figures::default().fragility(), None);
    }

    #[test]
    fn portrea_exposure_adds_three_minima_and_categories_a_to_e() {
        let mut f = figures(&[
            (Field::Aah, 25.0),
            (Field::PrimeActivite, 60.0),
            (Field::RsaSocle, 40.0),
        ]);
        assert_eq!(f.caf_minima().unwrap().value, 125.0);
        assert_eq!(f.exposure(), None, "job seekers not loaded");
        f.set(Field::JobSeekersAbc, Some(Figure::known(80.0)));
        assert_eq!(f.exposure(), None, "categories A, B, C are not enough");
        f.set(Field::JobSeekersAbcde, Some(Figure::known(100.0)));
        assert_eq!(f.exposure().unwrap().value, 225.0);
        // A secret cell makes the score a lower bound, never a zero.
        f.set(Field::Aah, Some(Figure::secret()));
        let e = f.exposure().unwrap();
        assert_eq!((e.value, e.secret, e.exact()), (200.0, 1, None));
    }

    #[test]
    fn totals_say_how_complete_they_are() {
        let a = CommuneNeeds {
            figures: figures(&[(Field::Pop65Plus, 10.0), (Field::NoDiploma, 5.0)]),
            ifn: None,
        };
        let b = CommuneNeeds::default();
        let t = Total::of([Some(&a), Some(&b), None].into_iter(), |n| {
            n.fragility_plain_sum()
        });
        assert_eq!(t.value, Some(15.0));
        assert_eq!((t.communes_with_data, t.communes), (1, 3));
        assert!(!t.complete());
        assert_eq!(t.rate(100.0), None, "no rate from a partial total");
        let t = Total::of([Some(&a)].into_iter(), |n| n.fragility_plain_sum());
        assert_eq!(t.rate(100.0), Some(0.15));
        let none = Total::of([Some(&b)].into_iter(), |n| n.fragility_plain_sum());
        assert_eq!(none.value, None);
    }

    #[test]
    fn keys_round_trip_and_old_keys_are_read() {
        for f in Field::ALL {
            assert_eq!(Field::from_key(f.key()), Some(f));
        }
        assert_eq!(Field::from_key("minima_sociaux:RSA"), Some(Field::RsaSocle));
        assert_eq!(Field::from_key("population"), None);
    }

    #[test]
    fn the_iris_of_a_commune() {
        let mut ind = Indicators::default();
        for (code, commune) in [
            ("352380101", "35238"),
            ("352380102", "35238"),
            ("352390000", "35239"),
        ] {
            ind.iris.insert(
                code.into(),
                IrisNeeds {
                    code: code.into(),
                    commune: commune.into(),
                    ..Default::default()
                },
            );
        }
        let codes: Vec<&str> = ind
            .iris_of("35238")
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        assert_eq!(codes, ["352380101", "352380102"]);
    }
}
