//! The CSV file of activity records, one record per line. Columns
//! (`COLUMNS`, in this order on export; any order on import):
//!
//! | column | content |
//! |---|---|
//! | `type` | `individuel`, `atelier` or `demarche` |
//! | `date` | `2026-03-12` |
//! | `duree` | minutes |
//! | `lieu` | `lieu:<identifier of the place>`, `domicile`, `distance` or `autre` |
//! | `commune` | INSEE code: of the place when `lieu` is `autre` |
//! | `commune_residence` | INSEE code, optional |
//! | `participants` | 1 except for a workshop |
//! | `titre_atelier`, `niveau` | workshops |
//! | `ages`, `statuts` | `60-69 ans:5\|70 ans et plus:3` (for one person: `60-69 ans`) |
//! | `themes`, `aides` | values separated by `\|` |
//! | `organisation`, `autonomie`, `materiel`, `orientation`, `code_suivi` | one value or empty |
//! | `recurrents` | people already accompanied before (`Activity::returning`), empty for none |
//!
//! Written with `passerelle_csv::Writer` (a cell a spreadsheet would run
//! as a formula starts with `'`); every cell read goes through
//! `passerelle_csv::restore`, so the round trip is exact.

use chrono::NaiveDate;

use crate::model::{Activity, Kind, Where};
use crate::validate::Violation;

pub const COLUMNS: [&str; 19] = [
    "type",
    "date",
    "duree",
    "lieu",
    "commune",
    "commune_residence",
    "participants",
    "titre_atelier",
    "niveau",
    "ages",
    "statuts",
    "themes",
    "organisation",
    "aides",
    "autonomie",
    "materiel",
    "orientation",
    "code_suivi",
    "recurrents",
];

fn counts(text: &str, participants: u32) -> Result<Vec<(String, u32)>, String> {
    text.split('|')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|item| match item.rsplit_once(':') {
            Some((value, n)) => n
                .trim()
                .parse()
                .map(|n| (value.trim().to_string(), n))
                .map_err(|_| format!("« {} » n’est pas un nombre de personnes", n.trim())),
            None => Ok((item.to_string(), participants)),
        })
        .collect()
}

fn list(text: &str) -> Vec<String> {
    text.split('|')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// Records read one at a time from any reader: memory holds one line.
pub struct Records<R: std::io::Read> {
    reader: csv::Reader<R>,
    header: Vec<String>,
    record: csv::StringRecord,
}

impl<R: std::io::Read> Records<R> {
    /// Opens the file; a missing required column is an error on line 1.
    pub fn new(input: R) -> Result<Self, Violation> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| Violation {
                line: 1,
                field: "type",
                message: format!("en-tête illisible : {e}"),
            })?
            .iter()
            .map(|c| c.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        for required in ["type", "date", "duree", "themes"] {
            if !header.iter().any(|h| h == required) {
                return Err(Violation {
                    line: 1,
                    field: "type",
                    message: format!("la colonne « {required} » manque"),
                });
            }
        }
        Ok(Self {
            reader,
            header,
            record: csv::StringRecord::new(),
        })
    }
}

impl<R: std::io::Read> Iterator for Records<R> {
    type Item = Result<(u64, Activity), Violation>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => Some(Err(Violation {
                line: e.position().map_or(0, |p| p.line()),
                field: "type",
                message: format!("CSV mal formé : {e}"),
            })),
            Ok(true) => Some(parse_record(&self.header, &self.record)),
        }
    }
}

/// Reads a whole file: the records with their lines, or the problems found.
pub fn read(bytes: &[u8]) -> (Vec<(u64, Activity)>, Vec<Violation>) {
    let records = match Records::new(bytes) {
        Ok(r) => r,
        Err(v) => return (Vec::new(), vec![v]),
    };
    let (mut out, mut problems) = (Vec::new(), Vec::new());
    for item in records {
        match item {
            Ok(r) => out.push(r),
            Err(v) => problems.push(v),
        }
    }
    (out, problems)
}

fn parse_record(
    header: &[String],
    record: &csv::StringRecord,
) -> Result<(u64, Activity), Violation> {
    let line = record.position().map_or(0, |p| p.line());
    let get = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .and_then(|i| record.get(i))
            .map(passerelle_csv::restore)
            .unwrap_or("")
            .trim()
    };
    let opt = |name: &str| Some(get(name).to_string()).filter(|v| !v.is_empty());
    let fail = |field: &'static str, message: String| Violation {
        line,
        field,
        message,
    };
    let kind = match get("type") {
        "individuel" => Kind::Individuel,
        "atelier" => Kind::Atelier,
        "demarche" => Kind::Demarche,
        other => {
            return Err(fail(
                "type",
                format!("« {other} » : le type est individuel, atelier ou demarche"),
            ));
        }
    };
    let date = NaiveDate::parse_from_str(get("date"), "%Y-%m-%d").map_err(|_| {
        fail(
            "date",
            format!("« {} » n’est pas une date comme 2026-03-12", get("date")),
        )
    })?;
    let duration_minutes = get("duree").parse::<u32>().map_err(|_| {
        fail(
            "duree",
            format!("« {} » n’est pas un nombre de minutes", get("duree")),
        )
    })?;
    let participants = match get("participants") {
        "" => 1,
        n => n
            .parse::<u32>()
            .map_err(|_| fail("participants", format!("« {n} » n’est pas un nombre")))?,
    };
    let place = match get("lieu") {
        "domicile" => Where::Domicile,
        "distance" => Where::Distance,
        "autre" | "" => Where::Autre(get("commune").to_string()),
        l => Where::Lieu(
            l.strip_prefix("lieu:")
                .and_then(|id| id.parse().ok())
                .ok_or_else(|| {
                    fail(
                        "lieu",
                        format!(
                            "« {l} » : le lieu est lieu:<identifiant>, domicile, distance ou autre"
                        ),
                    )
                })?,
        ),
    };
    let ages = counts(get("ages"), participants).map_err(|e| fail("ages", e))?;
    let statuses = counts(get("statuts"), participants).map_err(|e| fail("statuts", e))?;
    let returning = match get("recurrents") {
        "" => 0,
        n => n.parse().map_err(|_| {
            fail(
                "recurrents",
                format!("« {n} » n’est pas un nombre de personnes"),
            )
        })?,
    };
    Ok((
        line,
        Activity {
            kind,
            date,
            duration_minutes,
            place,
            workshop_title: opt("titre_atelier"),
            level: opt("niveau"),
            participants,
            ages,
            statuses,
            residence_commune: opt("commune_residence"),
            follow_up_code: opt("code_suivi"),
            themes: list(get("themes")),
            organisation: opt("organisation"),
            kinds_of_help: list(get("aides")),
            autonomy: opt("autonomie"),
            equipment: opt("materiel"),
            orientation: opt("orientation"),
            returning,
        },
    ))
}

/// One CSV line per record, in `COLUMNS` order.
pub fn write_record(a: &Activity) -> Vec<String> {
    let pairs = |v: &[(String, u32)]| {
        v.iter()
            .map(|(k, n)| format!("{k}:{n}"))
            .collect::<Vec<_>>()
            .join("|")
    };
    let (lieu, commune) = match &a.place {
        Where::Lieu(id) => (format!("lieu:{id}"), String::new()),
        Where::Domicile => ("domicile".into(), String::new()),
        Where::Distance => ("distance".into(), String::new()),
        Where::Autre(c) => ("autre".into(), c.clone()),
    };
    vec![
        format!("{:?}", a.kind).to_lowercase(),
        a.date.to_string(),
        a.duration_minutes.to_string(),
        lieu,
        commune,
        a.residence_commune.clone().unwrap_or_default(),
        a.participants.to_string(),
        a.workshop_title.clone().unwrap_or_default(),
        a.level.clone().unwrap_or_default(),
        pairs(&a.ages),
        pairs(&a.statuses),
        a.themes.join("|"),
        a.organisation.clone().unwrap_or_default(),
        a.kinds_of_help.join("|"),
        a.autonomy.clone().unwrap_or_default(),
        a.equipment.clone().unwrap_or_default(),
        a.orientation.clone().unwrap_or_default(),
        a.follow_up_code.clone().unwrap_or_default(),
        if a.returning == 0 {
            String::new()
        } else {
            a.returning.to_string()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors_name_line_and_field() {
        let text = "type,date,duree,lieu,commune,participants,titre_atelier,niveau,ages,statuts,themes,organisation,aides\n\
            demarche,2026-03-12,30,autre,29232,,,,60-69 ans,retraité,Démarche en ligne,CAF,Remplissage d'un formulaire\n\
            atelier,2026-03-13,120,distance,,8,Tablette,débutant,60-69 ans:5|70 ans et plus:3,retraité:8,Courriels|Bureautique,,\n";
        let (records, problems) = read(text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].1.ages, vec![("60-69 ans".to_string(), 1)]);
        assert_eq!(records[1].1.participants, 8);
        assert_eq!(records[1].1.themes, vec!["Courriels", "Bureautique"]);
        let mut w = passerelle_csv::Writer::in_memory();
        w.write_record(COLUMNS).unwrap();
        for (_, r) in &records {
            w.write_record(write_record(r)).unwrap();
        }
        let (again, problems) = read(&w.into_bytes());
        assert!(problems.is_empty());
        assert_eq!(
            again.iter().map(|(_, a)| a).collect::<Vec<_>>(),
            records.iter().map(|(_, a)| a).collect::<Vec<_>>()
        );

        let (_, problems) = read(b"type,date,duree,themes\nindividuel,12/03/2026,30,Courriels\nvisite,2026-03-12,30,Courriels\n");
        let found: Vec<(u64, &str)> = problems.iter().map(|p| (p.line, p.field)).collect();
        assert_eq!(found, vec![(2, "date"), (3, "type")]);
        assert_eq!(
            read(b"type,date\n").1[0].message,
            "la colonne « duree » manque"
        );
    }
}
