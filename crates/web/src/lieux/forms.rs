//! The place editor's form: read once from the posted fields (services and
//! the other lists repeat their name), then checked and applied to the
//! place, every problem in French next to its field, what was typed kept.
//! Phone numbers are accepted as people write them (`02 98 98 89 89`) and
//! stored in the standard's form; hours come from the weekly grid (per
//! day: closed, or one or two ranges, typed `9 h`, `9h30`, `09:30`…), which
//! writes the OpenStreetMap syntax; the commune is found by its name.

use std::collections::HashMap;

use passerelle_places::hours::{Grid, GridError, Horaires};
use passerelle_places::sources::{international_phone, national_phone};
use passerelle_places::validate::{Severity, is_email, is_url, validate};
use passerelle_places::{Place, vocab};

use super::search::DAYS;
use super::views::clock;

/// The lists the editor offers: field, legend, values.
pub const CHOICES: [(&str, &str, &[&str]); 5] = [
    ("services", "Services", vocab::SERVICES),
    ("publics_specifiquement_adresses", "Publics", vocab::PUBLICS),
    ("frais_a_charge", "Frais", vocab::FEES),
    (
        "modalites_acces",
        "Modalités d’accès",
        vocab::ACCESS_MODALITIES,
    ),
    (
        "modalites_accompagnement",
        "Accompagnement",
        vocab::ACCOMPANIMENT_MODALITIES,
    ),
];

/// The two ranges of a day: opening, closing, reopening, closing.
const SLOT_NAMES: [&str; 4] = ["1-debut", "1-fin", "2-debut", "2-fin"];

/// Problems, by field (`nom`, `commune`, `horaires-lundi`…).
pub type FieldErrors = HashMap<String, String>;

/// What the person typed, as typed.
#[derive(Debug, Clone, Default)]
pub struct EditForm {
    pub nom: String,
    pub adresse: String,
    pub complement_adresse: String,
    pub code_postal: String,
    pub commune: String,
    /// The commune chosen among several of the same name.
    pub code_insee: String,
    pub telephone: String,
    pub courriels: String,
    pub site_web: String,
    pub prise_rdv: String,
    pub presentation_resume: String,
    /// Values ticked, per list of `CHOICES`.
    pub choices: [Vec<String>; 5],
    /// Per day, Monday first: the four times of its two ranges.
    pub hours: [[String; 4]; 7],
    pub closed_on_holidays: bool,
    /// The hours the grid showed, in the syntax: unchanged, the place's own
    /// hours (which the grid may not be able to show) are kept.
    pub grid_origin: String,
}

/// A form no page of ours sends (a value outside the lists).
#[derive(Debug)]
pub struct Tampered;

impl TryFrom<Vec<(String, String)>> for EditForm {
    type Error = Tampered;

    fn try_from(pairs: Vec<(String, String)>) -> Result<Self, Tampered> {
        let mut f = EditForm::default();
        for (key, value) in pairs {
            if let Some(i) = CHOICES.iter().position(|(name, ..)| *name == key) {
                if !CHOICES[i].2.contains(&value.as_str()) {
                    return Err(Tampered);
                }
                f.choices[i].push(value);
                continue;
            }
            if let Some((day, slot)) = key.split_once('-').and_then(|(day, slot)| {
                Some((
                    DAYS.iter().position(|d| *d == day)?,
                    SLOT_NAMES.iter().position(|s| *s == slot)?,
                ))
            }) {
                f.hours[day][slot] = value.chars().take(20).collect();
                continue;
            }
            let field = match key.as_str() {
                "nom" => &mut f.nom,
                "adresse" => &mut f.adresse,
                "complement_adresse" => &mut f.complement_adresse,
                "code_postal" => &mut f.code_postal,
                "commune" => &mut f.commune,
                "code_insee" => &mut f.code_insee,
                "telephone" => &mut f.telephone,
                "courriels" => &mut f.courriels,
                "site_web" => &mut f.site_web,
                "prise_rdv" => &mut f.prise_rdv,
                "presentation_resume" => &mut f.presentation_resume,
                "grille_origine" => &mut f.grid_origin,
                "feries" => {
                    f.closed_on_holidays = value == "fermes";
                    continue;
                }
                _ => continue,
            };
            *field = value.trim().to_string();
        }
        Ok(f)
    }
}

/// A time of the grid: none when empty, else the minutes or what was typed.
fn parsed(typed: &str) -> Option<Result<u16, &str>> {
    (!typed.is_empty()).then(|| parse_time(typed).ok_or(typed))
}

/// "9", "9h", "9 h 30", "9h30", "09:30", "9.30", "0930" → minutes.
pub fn parse_time(text: &str) -> Option<u16> {
    let compact: String = text
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == 'h' || c == '.' { ':' } else { c })
        .collect();
    let compact = compact.trim_end_matches(':');
    let (h, m) = match compact.split_once(':') {
        Some((h, m)) => (h, m),
        None if compact.len() <= 2 => (compact, "0"),
        None if compact.len() <= 4 => compact.split_at(compact.len() - 2),
        None => return None,
    };
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    ((h < 24 && m < 60) || (h == 24 && m == 0)).then_some(h * 60 + m)
}

impl EditForm {
    /// The form showing `place` as it is: its hours in the grid when the
    /// grid can show them (else an empty grid, and `false`).
    pub fn of(place: &Place, today: chrono::NaiveDate) -> (Self, bool) {
        let grid = place
            .horaires
            .as_deref()
            .and_then(|h| Horaires::parse(h).ok())
            .and_then(|h| Grid::of_week(&h.week(today)));
        let fits = place.horaires.is_none() || grid.is_some();
        let grid = grid.unwrap_or_default();
        let mut hours: [[String; 4]; 7] = Default::default();
        for (d, ranges) in grid.days.iter().enumerate() {
            for (r, (start, end)) in ranges.iter().enumerate() {
                hours[d][2 * r] = clock(*start);
                hours[d][2 * r + 1] = clock(*end);
            }
        }
        let list = |v: &[String]| v.join(", ");
        let form = EditForm {
            nom: place.nom.clone(),
            adresse: place.adresse.clone(),
            complement_adresse: place.complement_adresse.clone().unwrap_or_default(),
            code_postal: place.code_postal.clone(),
            commune: place.commune.clone(),
            code_insee: place.code_insee.clone().unwrap_or_default(),
            telephone: place
                .telephone
                .as_deref()
                .map(national_phone)
                .unwrap_or_default(),
            courriels: list(&place.courriels),
            site_web: list(&place.site_web),
            prise_rdv: place.prise_rdv.clone().unwrap_or_default(),
            presentation_resume: place.presentation_resume.clone().unwrap_or_default(),
            choices: std::array::from_fn(|i| {
                place
                    .text(CHOICES[i].0)
                    .split('|')
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .collect()
            }),
            hours,
            closed_on_holidays: grid.closed_on_holidays,
            grid_origin: grid.to_osm().unwrap_or_default(),
        };
        (form, fits)
    }

    /// The grid typed, or the problems of each day.
    fn grid(&self, errors: &mut FieldErrors) -> Grid {
        let mut grid = Grid {
            closed_on_holidays: self.closed_on_holidays,
            ..Grid::default()
        };
        for (d, times) in self.hours.iter().enumerate() {
            let mut problems = Vec::new();
            for r in 0..2 {
                let which = if r == 0 {
                    "première plage"
                } else {
                    "seconde plage"
                };
                let (start, end) = (&times[2 * r], &times[2 * r + 1]);
                match (parsed(start), parsed(end)) {
                    (None, None) => {}
                    (Some(Ok(a)), Some(Ok(b))) => grid.days[d].push((a, b)),
                    (Some(Err(t)), _) | (_, Some(Err(t))) => problems.push(format!(
                        "{which} : « {t} » n’est pas une heure ; écrivez par exemple 9 h ou 13 h 30"
                    )),
                    (Some(_), None) => {
                        problems.push(format!("{which} : indiquez aussi l’heure de fermeture"))
                    }
                    (None, Some(_)) => {
                        problems.push(format!("{which} : indiquez aussi l’heure d’ouverture"))
                    }
                }
            }
            if !problems.is_empty() {
                errors.insert(
                    format!("horaires-{}", DAYS[d]),
                    format!("{} : {}.", DAYS[d], problems.join(" ; ")),
                );
            }
        }
        for problem in grid.check() {
            let (day, text) = match problem {
                GridError::Backwards { day, range } => {
                    let (a, b) = grid.days[day][range];
                    (
                        day,
                        format!(
                            "la fermeture ({}) doit venir après l’ouverture ({})",
                            clock(b),
                            clock(a)
                        ),
                    )
                }
                GridError::Overlap { day } => (
                    day,
                    "la seconde plage commence avant la fin de la première".into(),
                ),
            };
            errors.insert(
                format!("horaires-{}", DAYS[day]),
                format!("{} : {text}.", DAYS[day]),
            );
        }
        grid
    }

    /// `base` with what was typed, and the problems found; the commune is
    /// resolved by the caller (it needs the reference).
    pub fn apply(&self, base: &Place, today: chrono::NaiveDate) -> (Place, FieldErrors) {
        let mut errors = FieldErrors::new();
        let mut place = base.clone();
        let mut required = |name: &str, value: &str, message: &str| {
            if value.is_empty() {
                errors.insert(name.into(), message.into());
            }
        };
        required("nom", &self.nom, "Indiquez le nom du lieu.");
        required("adresse", &self.adresse, "Indiquez l’adresse du lieu.");
        place.nom = self.nom.clone();
        place.adresse = self.adresse.clone();
        place.complement_adresse = non_empty(&self.complement_adresse);
        place.code_postal = self.code_postal.replace(' ', "");
        if !passerelle_territory::codes::is_postcode(&place.code_postal) {
            errors.insert(
                "code_postal".into(),
                "Le code postal a cinq chiffres, par exemple 29000.".into(),
            );
        }
        place.telephone = match self.telephone.as_str() {
            "" => None,
            typed => match international_phone(typed) {
                Some(number) => Some(number),
                None => {
                    errors.insert("telephone".into(), format!(
                        "« {typed} » n’est pas un numéro de téléphone : dix chiffres, par exemple 02 98 98 89 89."
                    ));
                    None
                }
            },
        };
        place.courriels = split(&self.courriels);
        if let Some(bad) = place.courriels.iter().find(|c| !is_email(c)) {
            errors.insert(
                "courriels".into(),
                format!("« {bad} » n’est pas une adresse électronique (nom@exemple.fr)."),
            );
        }
        place.site_web = split(&self.site_web)
            .into_iter()
            .map(|u| with_scheme(&u))
            .collect();
        if let Some(bad) = place.site_web.iter().find(|u| !is_url(u)) {
            errors.insert(
                "site_web".into(),
                format!("« {bad} » n’est pas l’adresse d’un site (https://exemple.fr)."),
            );
        }
        place.prise_rdv = non_empty(&self.prise_rdv).map(|u| with_scheme(&u));
        if place.prise_rdv.as_deref().is_some_and(|u| !is_url(u)) {
            errors.insert(
                "prise_rdv".into(),
                "Ce n’est pas l’adresse d’une page (https://exemple.fr/rendez-vous).".into(),
            );
        }
        place.presentation_resume = non_empty(&self.presentation_resume);
        let length = self.presentation_resume.chars().count();
        if length > 280 {
            errors.insert(
                "presentation_resume".into(),
                format!(
                    "La présentation courte a 280 caractères au plus ; celle-ci en a {length}."
                ),
            );
        }
        for (i, (field, ..)) in CHOICES.iter().enumerate() {
            place
                .set(field, &self.choices[i].join("|"))
                .expect("a list of the standard");
        }
        let grid = self.grid(&mut errors);
        let typed = grid.to_osm().unwrap_or_default();
        if typed != self.grid_origin {
            place.horaires = grid.to_osm();
        }
        place.date_maj = today.to_string();
        (place, errors)
    }
}

/// The standard's own rules, for what the form did not check itself:
/// errors only, by field.
pub fn standard_errors(place: &Place, errors: &mut FieldErrors) {
    for v in validate(&[(1, place.clone())]) {
        if v.severity == Severity::Error {
            errors.entry(v.field.to_string()).or_insert(v.message);
        }
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.trim().to_string())
}

/// Values separated by commas, semicolons, spaces or `|`.
fn split(text: &str) -> Vec<String> {
    text.split([',', ';', ' ', '|'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// `exemple.fr` → `https://exemple.fr`.
fn with_scheme(url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_string()
    } else {
        format!("https://{url}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_people_write_them() {
        for (typed, minutes) in [
            ("9", 540),
            ("9h", 540),
            ("9 h", 540),
            ("9h30", 570),
            ("9 h 30", 570),
            ("09:30", 570),
            ("9.30", 570),
            ("0930", 570),
            ("24:00", 1440),
            ("17 H 45", 1065),
        ] {
            assert_eq!(parse_time(typed), Some(minutes), "{typed}");
        }
        for typed in ["le matin", "25h", "9h75", "24:30", "12345", ""] {
            assert_eq!(parse_time(typed), None, "{typed}");
        }
    }

    #[test]
    fn the_grid_writes_hours_and_says_what_is_wrong_by_day() {
        let base = Place {
            nom: "Lieu".into(),
            adresse: "1 rue".into(),
            code_postal: "29000".into(),
            horaires: Some("Mo 10:00-11:00".into()),
            ..Place::default()
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let (mut form, fits) = EditForm::of(&base, today);
        assert!(fits);
        assert_eq!(form.hours[0][0], "10 h");
        for d in 0..5 {
            form.hours[d] = ["9 h".into(), "12h".into(), "14:00".into(), "17 h 30".into()];
        }
        form.telephone = "02 98 98 89 89".into();
        form.closed_on_holidays = true;
        let (place, errors) = form.apply(&base, today);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            place.horaires.as_deref(),
            Some("Mo-Fr 09:00-12:00,14:00-17:30; PH off")
        );
        assert_eq!(place.telephone.as_deref(), Some("+33298988989"));
        // Wrong input: said by day, in French.
        form.hours[1] = ["14 h".into(), "12 h".into(), String::new(), String::new()];
        form.hours[2] = [
            "le matin".into(),
            "12 h".into(),
            "15 h".into(),
            String::new(),
        ];
        form.telephone = "02 98".into();
        let (_, errors) = form.apply(&base, today);
        assert_eq!(
            errors["horaires-mardi"],
            "mardi : la fermeture (12 h) doit venir après l’ouverture (14 h)."
        );
        assert_eq!(
            errors["horaires-mercredi"],
            "mercredi : première plage : « le matin » n’est pas une heure ; écrivez par exemple 9 h ou 13 h 30 ; seconde plage : indiquez aussi l’heure de fermeture."
        );
        assert!(errors["telephone"].contains("« 02 98 »"));
        // Hours the grid cannot show are kept while the grid is untouched.
        let odd = Place {
            horaires: Some("Mo 08:00-09:00,10:00-11:00,12:00-13:00".into()),
            ..base.clone()
        };
        let (form, fits) = EditForm::of(&odd, today);
        assert!(!fits);
        let (kept, errors) = form.apply(&odd, today);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(kept.horaires, odd.horaires);
    }
}
