//! The real Bretagne indicators compiled into the binary (provenance:
//! `data/diagnostic/PROVENANCE.md`): census population, unemployed and
//! active people aged 15–64 per commune (INSEE comparateur de territoires,
//! census 2021), and the Indice de Fragilité Numérique scores per commune
//! and per EPCI. The counts of people aged 65+, without diploma, receiving
//! minima sociaux and of job seekers are not among them: they come from
//! `import`.

use passerelle_territory::ImportError;

use crate::import::{count, error, read_table};
use crate::needs::{IfnScores, Indicators, SourceNote};

const COMPARATEUR: (&str, &str) = (
    "insee_comparateur_communes.csv",
    include_str!("../../../data/diagnostic/insee_comparateur_communes.csv"),
);
const IFN_COMMUNES: (&str, &str) = (
    "ifn_communes.csv",
    include_str!("../../../data/diagnostic/ifn_communes.csv"),
);
const IFN_EPCI: (&str, &str) = (
    "ifn_epci.csv",
    include_str!("../../../data/diagnostic/ifn_epci.csv"),
);

/// Reads a file of IFN scores keyed by `key` (`code_insee` or `epci_code`).
fn ifn((file, text): (&str, &str), key: &str) -> Result<Vec<(String, IfnScores)>, ImportError> {
    let (header, rows) = read_table(file, text.as_bytes())?;
    let names = [
        "no_thd_coverage_rate",
        "no_4g_coverage_rate",
        "poverty_rate",
        "older_65_rate",
        "nscol15p_rate",
        "total",
    ];
    let key = header.require(file, key)?;
    let cols = names
        .iter()
        .map(|n| header.require(file, n))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (line, r) in &rows {
        let mut v = [0.0; 6];
        for (k, &c) in cols.iter().enumerate() {
            let score = count(file, *line, names[k], r.get(c).unwrap_or(""))?
                .ok_or_else(|| error(file, Some(*line), Some(names[k]), "empty score"))?;
            if score > 10.0 {
                return Err(error(
                    file,
                    Some(*line),
                    Some(names[k]),
                    format!("{score} is not a 0–10 score"),
                ));
            }
            v[k] = score;
        }
        out.push((
            r.get(key).unwrap_or("").trim().to_string(),
            IfnScores {
                no_thd_coverage: v[0],
                no_4g_coverage: v[1],
                poverty: v[2],
                older_65: v[3],
                no_diploma: v[4],
                total: v[5],
            },
        ));
    }
    Ok(out)
}

/// The bundled indicators. Codes of the census geography (COG 2024) that
/// the 2026 reference no longer has are kept as they are; they match no
/// commune of the reference and so count nowhere.
pub fn indicators() -> Result<Indicators, ImportError> {
    let mut ind = Indicators::default();
    let (file, text) = COMPARATEUR;
    let (header, rows) = read_table(file, text.as_bytes())?;
    let code = header.require(file, "code_insee")?;
    let fields = [
        "population_2021",
        "pop_15_64_chomage_2021",
        "pop_15_64_active_2021",
    ];
    let cols = fields
        .iter()
        .map(|n| header.require(file, n))
        .collect::<Result<Vec<_>, _>>()?;
    for (line, r) in &rows {
        let values = fields
            .iter()
            .zip(&cols)
            .map(|(name, &c)| count(file, *line, name, r.get(c).unwrap_or("")))
            .collect::<Result<Vec<_>, _>>()?;
        let needs = ind.entry(r.get(code).unwrap_or("").trim());
        needs.census_population = values[0];
        needs.census_unemployed_15_64 = values[1];
        needs.census_active_15_64 = values[2];
    }
    for (indicator, what) in [
        ("census_population", "population_2021"),
        ("census_unemployed_15_64", "pop_15_64_chomage_2021"),
        ("census_active_15_64", "pop_15_64_active_2021"),
    ] {
        ind.note(SourceNote {
            indicator: indicator.into(),
            vintage: Some("2021".into()),
            file: format!("data/diagnostic/{file} ({what})"),
        });
    }
    for (code, scores) in ifn(IFN_COMMUNES, "code_insee")? {
        ind.entry(&code).ifn = Some(scores);
    }
    for (code, scores) in ifn(IFN_EPCI, "epci_code")? {
        ind.epci_ifn.insert(code, scores);
    }
    ind.note(SourceNote {
        indicator: "ifn".into(),
        vintage: Some("2023".into()),
        file: "data/diagnostic/ifn_communes.csv, ifn_epci.csv".into(),
    });
    Ok(ind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_indicators_are_complete() {
        let ind = indicators().unwrap();
        let with_census = ind
            .communes
            .values()
            .filter(|n| n.census_population.is_some())
            .count();
        assert_eq!(with_census, 1206);
        let with_ifn = ind.communes.values().filter(|n| n.ifn.is_some()).count();
        assert_eq!(with_ifn, 1208);
        assert_eq!(ind.epci_ifn.len(), 59);
        let allineuc = ind.get("22001").unwrap();
        assert_eq!(allineuc.census_population, Some(596.0));
        assert_eq!(allineuc.census_unemployed_15_64, Some(20.0));
        assert_eq!(allineuc.census_active_15_64, Some(281.0));
        assert_eq!(allineuc.ifn.unwrap().total, 5.2);
        // Nothing the shared data lacks is invented.
        assert!(!ind.any(|n| n.pop_65_plus));
        assert!(!ind.any(|n| n.no_diploma));
        assert!(!ind.any(|n| n.job_seekers));
        assert!(!ind.any(|n| n.minima_total()));
    }
}
