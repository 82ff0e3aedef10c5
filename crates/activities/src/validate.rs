//! The rules a record must meet; a violation names the line and the field.

use chrono::NaiveDate;

use crate::model::{Activity, Kind, Where};
use crate::vocab;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub line: u64,
    pub field: &'static str,
    pub message: String,
}

fn in_list(value: &str, list: &[&str]) -> bool {
    list.contains(&value)
}

/// A follow-up code is pseudonymous: letters and digits, 4 to 32, and not
/// something that identifies a person (an e-mail, a phone number).
pub fn is_pseudonymous_code(code: &str) -> bool {
    let digits = code.bytes().filter(u8::is_ascii_digit).count();
    (4..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && digits < 9
}

/// Checks one record; `today` bounds its date.
pub fn validate(line: u64, a: &Activity, today: NaiveDate) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut fail = |field, message: String| {
        out.push(Violation {
            line,
            field,
            message,
        })
    };
    if a.date > today {
        fail("date", format!("{} is in the future", a.date));
    }
    if a.date < NaiveDate::from_ymd_opt(2015, 1, 1).expect("valid") {
        fail(
            "date",
            format!("{} is too old to be a record of this activity", a.date),
        );
    }
    if !(1..=24 * 60).contains(&a.duration_minutes) {
        fail(
            "duree",
            format!(
                "{} minutes: a duration is 1 to 1,440 minutes",
                a.duration_minutes
            ),
        );
    }
    match a.kind {
        Kind::Atelier => {
            if !(1..=10_000).contains(&a.participants) {
                fail(
                    "participants",
                    format!(
                        "{}: a workshop has 1 to 10,000 participants",
                        a.participants
                    ),
                );
            }
            if a.workshop_title
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
            {
                fail("titre_atelier", "a workshop needs a title".into());
            }
            match &a.level {
                Some(l) if in_list(l, &vocab::LEVELS) => {}
                other => fail(
                    "niveau",
                    format!(
                        "{:?}: the level is débutant, intermédiaire or avancé",
                        other.as_deref().unwrap_or("")
                    ),
                ),
            }
        }
        _ if a.participants != 1 => fail(
            "participants",
            format!(
                "{}: an individual record is about one person",
                a.participants
            ),
        ),
        _ => {}
    }
    for (field, counts, list) in [
        ("ages", &a.ages, &vocab::RECORD_AGE_BRACKETS[..]),
        ("statuts", &a.statuses, &vocab::STATUSES[..]),
    ] {
        for (value, _) in counts {
            if !in_list(value, list) {
                fail(
                    field,
                    format!("{value:?} is not one of: {}", list.join(", ")),
                );
            }
        }
        let total: u32 = counts.iter().map(|(_, n)| n).sum();
        if !counts.is_empty() && total != a.participants {
            fail(
                field,
                format!(
                    "the counts add up to {total}, not to the {} participants",
                    a.participants
                ),
            );
        }
    }
    if a.returning > a.participants {
        fail(
            "recurrents",
            format!(
                "{} people already accompanied, of {} participants",
                a.returning, a.participants
            ),
        );
    }
    if a.themes.is_empty() {
        fail("themes", "at least one theme".into());
    }
    for t in &a.themes {
        if !vocab::THEMES.iter().any(|(name, _)| name == t) {
            fail(
                "themes",
                format!("{t:?} is not a theme of the activity reports"),
            );
        }
    }
    if a.kind == Kind::Demarche {
        match &a.organisation {
            Some(o) if in_list(o, &vocab::ORGANISATIONS) => {}
            other => fail(
                "organisation",
                format!(
                    "{:?}: a procedure names the organisation concerned, one of: {}",
                    other.as_deref().unwrap_or(""),
                    vocab::ORGANISATIONS.join(", ")
                ),
            ),
        }
        if a.kinds_of_help.is_empty() {
            fail("aides", "a procedure says what help was given".into());
        }
    }
    for h in &a.kinds_of_help {
        if !in_list(h, &vocab::KINDS_OF_HELP) {
            fail(
                "aides",
                format!("{h:?} is not one of: {}", vocab::KINDS_OF_HELP.join(", ")),
            );
        }
    }
    for (field, value, list) in [
        ("autonomie", &a.autonomy, &vocab::AUTONOMY[..]),
        ("orientation", &a.orientation, &vocab::ORIENTATIONS[..]),
    ] {
        if let Some(v) = value
            && !in_list(v, list)
        {
            fail(field, format!("{v:?} is not one of: {}", list.join(", ")));
        }
    }
    if let Where::Autre(code) = &a.place
        && !passerelle_like_commune_code(code)
    {
        fail("lieu", format!("{code:?} is not an INSEE commune code"));
    }
    if let Some(code) = &a.residence_commune
        && !passerelle_like_commune_code(code)
    {
        fail(
            "commune_residence",
            format!("{code:?} is not an INSEE commune code"),
        );
    }
    if let Some(code) = &a.follow_up_code
        && !is_pseudonymous_code(code)
    {
        fail("code_suivi", "a follow-up code is 4 to 32 letters or digits and must not identify the person (no e-mail, no phone number)".into());
    }
    out
}

/// Checks a record converted from another tool's export. Those exports
/// may lack what our entry form asks for: a workshop's title or level, or
/// a theme (a CRA v1 report only about "autre"). Everything else is
/// checked as for any record.
pub fn validate_imported(line: u64, a: &Activity, today: NaiveDate) -> Vec<Violation> {
    validate(line, a, today)
        .into_iter()
        .filter(|v| match v.field {
            "titre_atelier" => a.workshop_title.is_some(),
            "niveau" => a.level.is_some(),
            "themes" => !a.themes.is_empty(),
            _ => true,
        })
        .collect()
}

/// INSEE commune code shape (the reference check happens when storing).
fn passerelle_like_commune_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && b[2..].iter().all(u8::is_ascii_digit)
        && (b[..2].iter().all(u8::is_ascii_digit) || matches!(&code[..2], "2A" | "2B"))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn individual() -> Activity {
        Activity {
            kind: Kind::Demarche,
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            duration_minutes: 30,
            place: Where::Lieu(12),
            workshop_title: None,
            level: None,
            participants: 1,
            ages: vec![("60-69 ans".into(), 1)],
            statuses: vec![("retraité".into(), 1)],
            residence_commune: Some("29232".into()),
            follow_up_code: Some("QX4-17".into()),
            themes: vec!["Démarche en ligne".into()],
            organisation: Some("CAF".into()),
            kinds_of_help: vec!["Remplissage d'un formulaire".into()],
            autonomy: Some("partiellement autonome".into()),
            equipment: None,
            orientation: None,
            returning: 0,
        }
    }

    fn fields(a: &Activity) -> Vec<&'static str> {
        validate(7, a, NaiveDate::from_ymd_opt(2026, 11, 24).unwrap())
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn a_valid_record_passes() {
        assert_eq!(fields(&individual()), Vec::<&str>::new());
    }

    #[test]
    fn each_rule_is_enforced() {
        type Case = (fn(&mut Activity), &'static str);
        let cases: Vec<Case> = vec![
            (
                |a| a.date = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
                "date",
            ),
            (|a| a.duration_minutes = 0, "duree"),
            (
                |a| {
                    a.participants = 3;
                    a.ages.clear();
                    a.statuses.clear();
                },
                "participants",
            ),
            (|a| a.ages = vec![("ado".into(), 1)], "ages"),
            (|a| a.statuses = vec![("retraité".into(), 2)], "statuts"),
            (|a| a.themes.clear(), "themes"),
            (|a| a.themes = vec!["Internet".into()], "themes"),
            (|a| a.organisation = None, "organisation"),
            (|a| a.kinds_of_help.clear(), "aides"),
            (|a| a.autonomy = Some("seul".into()), "autonomie"),
            (|a| a.orientation = Some("Ailleurs".into()), "orientation"),
            (|a| a.place = Where::Autre("Quimper".into()), "lieu"),
            (
                |a| a.residence_commune = Some("2923".into()),
                "commune_residence",
            ),
            (
                |a| a.follow_up_code = Some("anne@exemple.fr".into()),
                "code_suivi",
            ),
            (
                |a| a.follow_up_code = Some("0612345678".into()),
                "code_suivi",
            ),
        ];
        for (break_it, field) in cases {
            let mut a = individual();
            break_it(&mut a);
            assert_eq!(fields(&a), vec![field]);
        }
    }

    #[test]
    fn workshops_need_a_title_a_level_and_consistent_counts() {
        let mut w = individual();
        w.kind = Kind::Atelier;
        w.organisation = None;
        w.kinds_of_help.clear();
        w.participants = 8;
        w.ages = vec![("60-69 ans".into(), 5), ("70 ans et plus".into(), 3)];
        w.statuses = vec![("retraité".into(), 8)];
        assert_eq!(fields(&w), vec!["titre_atelier", "niveau"]);
        w.workshop_title = Some("Découvrir sa tablette".into());
        w.level = Some("débutant".into());
        assert_eq!(fields(&w), Vec::<&str>::new());
        w.participants = 10_001;
        assert!(fields(&w).contains(&"participants"));
    }
}
