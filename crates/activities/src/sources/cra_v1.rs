//! The conseillers numériques' first activity reports (CRA v1, 2021–2024),
//! one report per line, with the fields of the v1 record flattened as the
//! Coop keeps them on migration: `dateAccompagnement`, `canal`, `activite`,
//! `nbParticipants`, `ageMoins12Ans` … `agePlus60Ans`, `statutEtudiant` …
//! `statutHeterogene`, `themes`, `duree` (or `dureeMinutes`) and
//! `codeCommune`. Names are matched without case, accents or underscores,
//! so `date_accompagnement` is read as well.
//!
//! The v1 age brackets are the seeds' own (12 ans et -, 12-18 ans…), kept
//! as such. An "individuel" report for several people becomes one record
//! per person, our individual record being about one person; their ages
//! and statuses are dealt out one each.

use super::{Columns, Records, fold, parse_date};
use crate::model::{Activity, Kind, Where};
use crate::validate::Violation;
use crate::vocab::{SEED_AGE_BRACKETS, theme_from_cra_v1};

const AGES: [(&str, &str); 5] = [
    ("ageMoins12Ans", SEED_AGE_BRACKETS[0]),
    ("ageDe12a18Ans", SEED_AGE_BRACKETS[1]),
    ("ageDe18a35Ans", SEED_AGE_BRACKETS[2]),
    ("ageDe35a60Ans", SEED_AGE_BRACKETS[3]),
    ("agePlus60Ans", SEED_AGE_BRACKETS[4]),
];

const STATUSES: [(&str, &str); 5] = [
    ("statutEtudiant", "scolarisé"),
    ("statutSansEmploi", "sans emploi"),
    ("statutEnEmploi", "en emploi"),
    ("statutRetraite", "retraité"),
    ("statutHeterogene", "non communiqué"),
];

struct Layout {
    date: usize,
    channel: usize,
    activity: usize,
    participants: usize,
    themes: usize,
    duration: usize,
    commune: usize,
    ages: Vec<(usize, &'static str, &'static str)>,
    statuses: Vec<(usize, &'static str, &'static str)>,
}

pub(super) fn convert<'a>(
    rows: impl Iterator<Item = (u64, Vec<String>)> + Send + 'a,
) -> Result<Records<'a>, Violation> {
    let mut rows = rows;
    let header = rows.next().map(|(_, h)| h).unwrap_or_default();
    let columns = Columns::new(&header);
    let need = |names: &[&'static str]| {
        columns.find(names).ok_or(Violation {
            line: 1,
            field: names[0],
            message: format!("the column `{}` is missing", names[0]),
        })
    };
    let mut ages = Vec::new();
    for (name, bracket) in AGES {
        ages.push((need(&[name])?, name, bracket));
    }
    let mut statuses = Vec::new();
    for (name, status) in STATUSES {
        statuses.push((need(&[name])?, name, status));
    }
    let layout = Layout {
        date: need(&["dateAccompagnement"])?,
        channel: need(&["canal"])?,
        activity: need(&["activite"])?,
        participants: need(&["nbParticipants"])?,
        themes: need(&["themes"])?,
        duration: need(&["dureeMinutes", "duree"])?,
        commune: need(&["codeCommune"])?,
        ages,
        statuses,
    };
    Ok(Box::new(
        rows.filter(|(_, row)| row.iter().any(|c| !c.is_empty()))
            .flat_map(move |(line, row)| match convert_row(&layout, line, &row) {
                Ok(records) => records.into_iter().map(|a| Ok((line, a))).collect(),
                Err(v) => vec![Err(v)],
            }),
    ))
}

/// v1 durations: minutes, or the form's choices `0-30`, `30-60`, `60`,
/// `90` (the open ranges at their middle, as the Coop migrated them).
fn minutes(text: &str) -> Option<u32> {
    match text.trim() {
        "0-30" => Some(15),
        "30-60" => Some(45),
        t => t
            .parse::<f64>()
            .ok()
            .filter(|m| *m >= 1.0)
            .map(|m| m.round() as u32),
    }
}

/// `{a,b}` (PostgreSQL array), `["a","b"]` (JSON), `a|b` or `a, b`.
fn theme_list(text: &str) -> Vec<String> {
    text.trim_matches(|c| matches!(c, '{' | '}' | '[' | ']'))
        .split([',', '|', ';'])
        .map(|t| t.trim().trim_matches('"').trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn convert_row(l: &Layout, line: u64, row: &[String]) -> Result<Vec<Activity>, Violation> {
    let cell = |i: usize| row.get(i).map_or("", |s| s.as_str());
    let fail = |field: &'static str, message: String| Violation {
        line,
        field,
        message,
    };
    if let Some(bad) = row.iter().find(|c| c.starts_with('\u{0}')) {
        return Err(fail(
            "dateAccompagnement",
            format!("malformed line: {}", &bad[1..]),
        ));
    }
    let date = parse_date(cell(l.date)).ok_or_else(|| {
        fail(
            "dateAccompagnement",
            format!("{:?} is not a date", cell(l.date)),
        )
    })?;
    let number = |i: usize, field: &'static str| -> Result<u32, Violation> {
        match cell(i) {
            "" => Ok(0),
            n => n
                .parse::<f64>()
                .ok()
                .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v <= 1e6)
                .map(|v| v as u32)
                .ok_or_else(|| fail(field, format!("{n:?} is not a count of people"))),
        }
    };
    let participants = number(l.participants, "nbParticipants")?;
    if participants == 0 {
        return Err(fail(
            "nbParticipants",
            "a report is about at least one person".into(),
        ));
    }
    let kind = match fold(cell(l.activity)).as_str() {
        "individuel" | "ponctuel" => Kind::Individuel,
        "collectif" => Kind::Atelier,
        other => {
            return Err(fail(
                "activite",
                format!("{other:?}: expected individuel, ponctuel or collectif"),
            ));
        }
    };
    let commune = cell(l.commune).to_string();
    let place = match fold(cell(l.channel)).as_str() {
        "rattachement" | "autrelieu" | "autre" => Where::Autre(commune.clone()),
        "domicile" => Where::Domicile,
        "distance" => Where::Distance,
        other => {
            return Err(fail(
                "canal",
                format!("{other:?}: expected rattachement, autre lieu, domicile or distance"),
            ));
        }
    };
    let duration_minutes = minutes(cell(l.duration))
        .ok_or_else(|| fail("duree", format!("{:?} is not a duration", cell(l.duration))))?;
    let mut themes: Vec<String> = Vec::new();
    for key in theme_list(cell(l.themes)) {
        match theme_from_cra_v1(&key) {
            Some(t) if !themes.iter().any(|x| x == t) => themes.push(t.to_string()),
            Some(_) => {}
            // "autre" is not one of the reporting themes; the seeds' table
            // leaves it out too.
            None if fold(&key) == "autre" => {}
            None => return Err(fail("themes", format!("{key:?} is not a CRA v1 theme"))),
        }
    }
    let counts = |columns: &[(usize, &'static str, &'static str)]| {
        let mut out = Vec::new();
        for (i, field, value) in columns {
            let n = number(*i, field)?;
            if n > 0 {
                out.push((value.to_string(), n));
            }
        }
        let sum: u32 = out.iter().map(|(_, n)| n).sum();
        if sum != participants && sum != 0 {
            return Err(fail(
                columns[0].1,
                format!("the counts add up to {sum}, not to the {participants} participants"),
            ));
        }
        Ok(out)
    };
    let ages = counts(&l.ages)?;
    let statuses = counts(&l.statuses)?;
    let record = Activity {
        kind,
        date,
        duration_minutes,
        place: place.clone(),
        workshop_title: None,
        level: None,
        participants,
        ages,
        statuses,
        // At home or remotely, the report's commune is the person's.
        residence_commune: matches!(place, Where::Domicile | Where::Distance)
            .then(|| commune.clone()),
        follow_up_code: None,
        themes,
        organisation: None,
        kinds_of_help: Vec::new(),
        autonomy: None,
        equipment: None,
        orientation: None,
    };
    if kind == Kind::Atelier || participants == 1 {
        return Ok(vec![record]);
    }
    Ok(split(record))
}

/// One record per person: each takes one unit of the first non-empty age
/// and status counts.
fn split(record: Activity) -> Vec<Activity> {
    let deal = |counts: &[(String, u32)]| -> Vec<Vec<(String, u32)>> {
        let mut out = Vec::new();
        for (value, n) in counts {
            for _ in 0..*n {
                out.push(vec![(value.clone(), 1)]);
            }
        }
        out
    };
    let ages = deal(&record.ages);
    let statuses = deal(&record.statuses);
    (0..record.participants as usize)
        .map(|i| Activity {
            participants: 1,
            ages: ages.get(i).cloned().unwrap_or_default(),
            statuses: statuses.get(i).cloned().unwrap_or_default(),
            ..record.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_theme_lists() {
        assert_eq!(minutes("0-30"), Some(15));
        assert_eq!(minutes("30-60"), Some(45));
        assert_eq!(minutes("90"), Some(90));
        assert_eq!(minutes("0"), None);
        assert_eq!(minutes("long"), None);
        assert_eq!(
            theme_list("{internet,\"demarche en ligne\"}"),
            vec!["internet".to_string(), "demarche en ligne".to_string()]
        );
        assert_eq!(theme_list("courriel|securite").len(), 2);
    }
}
