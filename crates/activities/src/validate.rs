//! The rules a record must meet; a violation names the line and the field
//! and says, in French, what is wrong (the CLI, the API and the entry form
//! show it as it is).

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
        fail(
            "date",
            format!("le {} est dans le futur", french_day(a.date)),
        );
    }
    if a.date < NaiveDate::from_ymd_opt(2015, 1, 1).expect("valid") {
        fail(
            "date",
            format!(
                "le {} est antérieur à 2015 : trop ancien pour cette activité",
                french_day(a.date)
            ),
        );
    }
    if !(1..=24 * 60).contains(&a.duration_minutes) {
        fail(
            "duree",
            format!(
                "{} minutes : une durée va de 1 à 1 440 minutes",
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
                        "{} : un atelier a de 1 à 10 000 participants",
                        a.participants
                    ),
                );
            }
            if a.workshop_title
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
            {
                fail("titre_atelier", "un atelier a un titre".into());
            }
            match &a.level {
                Some(l) if in_list(l, &vocab::LEVELS) => {}
                other => fail(
                    "niveau",
                    match other.as_deref().unwrap_or("") {
                        "" => {
                            "choisissez le niveau de l’atelier : débutant, intermédiaire ou avancé"
                                .to_string()
                        }
                        other => {
                            format!("« {other} » : le niveau est débutant, intermédiaire ou avancé")
                        }
                    },
                ),
            }
        }
        _ if a.participants != 1 => fail(
            "participants",
            format!(
                "{} : un accompagnement individuel concerne une personne",
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
                fail(field, not_one_of(value, list));
            }
        }
        let total: u32 = counts.iter().map(|(_, n)| n).sum();
        if !counts.is_empty() && total != a.participants {
            fail(
                field,
                format!(
                    "les nombres font {total} en tout, pas les {} participants",
                    a.participants
                ),
            );
        }
    }
    if a.returning > a.participants {
        fail(
            "recurrents",
            format!(
                "{} personnes déjà accompagnées sur {} participants",
                a.returning, a.participants
            ),
        );
    }
    if a.themes.is_empty() {
        fail("themes", "cochez au moins un thème".into());
    }
    for t in &a.themes {
        if !vocab::THEMES.iter().any(|(name, _)| name == t) {
            fail(
                "themes",
                format!("« {t} » n’est pas un thème des comptes rendus d’activité"),
            );
        }
    }
    if a.kind == Kind::Demarche {
        match &a.organisation {
            Some(o) if in_list(o, &vocab::ORGANISATIONS) => {}
            other => fail(
                "organisation",
                match other.as_deref().unwrap_or("") {
                    "" => "choisissez l’organisme concerné par la démarche".to_string(),
                    other => not_one_of(other, &vocab::ORGANISATIONS),
                },
            ),
        }
        if a.kinds_of_help.is_empty() {
            fail("aides", "cochez l’aide apportée pour la démarche".into());
        }
    }
    for h in &a.kinds_of_help {
        if !in_list(h, &vocab::KINDS_OF_HELP) {
            fail("aides", not_one_of(h, &vocab::KINDS_OF_HELP));
        }
    }
    for (field, value, list) in [
        ("autonomie", &a.autonomy, &vocab::AUTONOMY[..]),
        ("orientation", &a.orientation, &vocab::ORIENTATIONS[..]),
    ] {
        if let Some(v) = value
            && !in_list(v, list)
        {
            fail(field, not_one_of(v, list));
        }
    }
    if let Where::Autre(code) = &a.place
        && !passerelle_like_commune_code(code)
    {
        fail("lieu", not_a_commune(code));
    }
    if let Some(code) = &a.residence_commune
        && !passerelle_like_commune_code(code)
    {
        fail("commune_residence", not_a_commune(code));
    }
    if let Some(code) = &a.follow_up_code
        && !is_pseudonymous_code(code)
    {
        fail("code_suivi", "un code de suivi a de 4 à 32 lettres ou chiffres et ne doit pas identifier la personne (ni courriel, ni téléphone)".into());
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

/// "« x » n’est pas une des valeurs possibles : a, b, c".
fn not_one_of(value: &str, list: &[&str]) -> String {
    format!(
        "« {value} » n’est pas une des valeurs possibles : {}",
        list.join(", ")
    )
}

fn not_a_commune(code: &str) -> String {
    if code.is_empty() {
        "indiquez la commune où a eu lieu l’accompagnement".into()
    } else {
        format!("« {code} » n’est pas un code INSEE de commune (5 caractères, comme 29232)")
    }
}

/// "3 décembre 2026".
fn french_day(day: NaiveDate) -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    format!(
        "{} {} {}",
        day.day(),
        MONTHS[day.month0() as usize],
        day.year()
    )
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
