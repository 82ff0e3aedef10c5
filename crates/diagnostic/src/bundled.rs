//! The real Bretagne indicators compiled into the binary (provenance:
//! `data/diagnostic/PROVENANCE.md`): census population, unemployed and
//! active people aged 15–64 per commune (INSEE comparateur de territoires,
//! census 2021), and the Indice de Fragilité Numérique scores per commune
//! and per EPCI; and the communes merged since 2018 with the commune they
//! joined (`data/geo/`). The counts of people aged 65+, without diploma,
//! receiving minima sociaux and of job seekers are not among them: they
//! come from `import`.

use std::collections::HashMap;
use std::sync::OnceLock;

use passerelle_territory::ImportError;

use crate::import::{count, error, read_table};
use crate::needs::{Field, Figure, IfnScores, Indicators, SourceNote};

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
const FORMER_COMMUNES: &str =
    include_str!("../../../data/geo/bretagne/communes-2018-vers-2026.csv");

/// Communes of 2018 merged since into a commune nouvelle: former INSEE
/// code → 2026 code.
pub fn former_communes() -> &'static HashMap<String, String> {
    static MAP: OnceLock<HashMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut reader = csv::Reader::from_reader(FORMER_COMMUNES.as_bytes());
        reader
            .records()
            .filter_map(Result::ok)
            .filter_map(|r| Some((r.get(0)?.to_string(), r.get(1)?.to_string())))
            .collect()
    })
}

/// The commune a code of an earlier geography is part of in 2026 (the
/// code itself when it did not merge).
pub fn commune_2026(code: &str) -> &str {
    former_communes().get(code).map_or(code, String::as_str)
}

/// Reads a file of IFN scores keyed by `key` (`code_insee` or `epci_code`).
fn ifn((file, text): (&str, &str), key: &str) -> Result<Vec<(String, IfnScores)>, ImportError> {
    let table = read_table(file, text.as_bytes())?;
    let names = [
        "no_thd_coverage_rate",
        "no_4g_coverage_rate",
        "poverty_rate",
        "older_65_rate",
        "nscol15p_rate",
        "total",
    ];
    let key = table.header.require(file, key)?;
    let cols = names
        .iter()
        .map(|n| table.header.require(file, n))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    table.each_row(file, |line, r| {
        let mut v = [0.0; 6];
        for (k, &c) in cols.iter().enumerate() {
            let score = count(file, line, names[k], r.get(c).copied().unwrap_or(""))?
                .ok_or_else(|| error(file, Some(line), Some(names[k]), "score vide"))?;
            if score > 10.0 {
                return Err(error(
                    file,
                    Some(line),
                    Some(names[k]),
                    format!("{score} n’est pas un score de 0 à 10"),
                ));
            }
            v[k] = score;
        }
        out.push((
            r.get(key).copied().unwrap_or("").trim().to_string(),
            IfnScores {
                no_thd_coverage: v[0],
                no_4g_coverage: v[1],
                poverty: v[2],
                older_65: v[3],
                no_diploma: v[4],
                total: v[5],
            },
        ));
        Ok(())
    })?;
    Ok(out)
}

/// The bundled indicators. Codes of the census geography (COG 2024) merged
/// since into a commune nouvelle are added to it.
pub fn indicators() -> Result<Indicators, ImportError> {
    let mut ind = Indicators::default();
    let census = ind.add_source(SourceNote {
        title: "INSEE, recensement de la population (comparateur de territoires, édition du 27 juin 2024)".into(),
        vintage: Some("2021".into()),
        file: None,
        imported_at: None,
    });
    let (file, text) = COMPARATEUR;
    let table = read_table(file, text.as_bytes())?;
    let code = table.header.require(file, "code_insee")?;
    let fields = [
        ("population_2021", Field::CensusPopulation),
        ("pop_15_64_chomage_2021", Field::CensusUnemployed15To64),
        ("pop_15_64_active_2021", Field::CensusActive15To64),
    ];
    let cols = fields
        .iter()
        .map(|(n, _)| table.header.require(file, n))
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::new();
    table.each_row(file, |line, r| {
        let mut values = Vec::new();
        for ((name, field), &c) in fields.iter().zip(&cols) {
            let figure = match count(file, line, name, r.get(c).copied().unwrap_or(""))? {
                Some(v) => Figure::known(v),
                None => Figure::secret(),
            };
            values.push((*field, figure));
        }
        rows.push((
            r.get(code).copied().unwrap_or("").trim().to_string(),
            values,
        ));
        Ok(())
    })?;
    for (code, values) in rows {
        let needs = ind.entry(commune_2026(&code));
        for (field, figure) in values {
            let sum = needs.get(field).map_or(figure, |before| before + figure);
            needs.figures.set(
                field,
                Some(Figure {
                    source: Some(census),
                    ..sum
                }),
            );
        }
    }
    for (code, scores) in ifn(IFN_COMMUNES, "code_insee")? {
        ind.entry(&code).ifn = Some(scores);
    }
    for (code, scores) in ifn(IFN_EPCI, "epci_code")? {
        ind.epci_ifn.insert(code, scores);
    }
    Ok(ind)
}

/// The source of the Indice de Fragilité Numérique scores.
pub fn ifn_source() -> SourceNote {
    SourceNote {
        title: "Indice de fragilité numérique (ANCT, programme Société numérique, et La Mednum)"
            .into(),
        vintage: Some("2023".into()),
        file: None,
        imported_at: None,
    }
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
            .filter(|n| n.get(Field::CensusPopulation).is_some())
            .count();
        // 1,206 codes of 2024, four of which merged since into another.
        assert_eq!(with_census, 1202);
        let with_ifn = ind.communes.values().filter(|n| n.ifn.is_some()).count();
        assert_eq!(with_ifn, 1208);
        assert_eq!(ind.epci_ifn.len(), 59);
        let allineuc = ind.get("22001").unwrap();
        assert_eq!(allineuc.value(Field::CensusPopulation), Some(596.0));
        assert_eq!(allineuc.value(Field::CensusUnemployed15To64), Some(20.0));
        assert_eq!(allineuc.value(Field::CensusActive15To64), Some(281.0));
        assert_eq!(allineuc.ifn.unwrap().total, 5.2);
        // Plumieux (22241) absorbed 22027 and 22043.
        let comparateur = |code: &str| -> f64 {
            COMPARATEUR
                .1
                .lines()
                .find(|l| l.starts_with(&format!("{code},")))
                .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
                .unwrap()
        };
        assert_eq!(
            ind.get("22241").unwrap().value(Field::CensusPopulation),
            Some(comparateur("22241") + comparateur("22027") + comparateur("22043"))
        );
        assert_eq!(commune_2026("22154"), "22093");
        assert_eq!(commune_2026("29232"), "29232");
        // Nothing the shared data lacks is invented.
        assert!(!ind.any(|n| n.get(Field::Pop65Plus)));
        assert!(!ind.any(|n| n.get(Field::NoDiploma)));
        assert!(!ind.any(|n| n.exposure()));
        assert!(!ind.any(|n| n.caf_minima()));
    }
}
