//! What people type, read once into the domain's drafts; what is wrong,
//! said in French next to the field (`Errors`), with everything typed
//! kept for the form shown again.

use chrono::{NaiveDate, NaiveTime};
use passerelle_network::{Problem, Rule};

use crate::routes::say_bytes;

/// Messages by field, for the form shown again.
#[derive(Debug, Default, Clone)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
    pub fn from_problems(problems: &[Problem]) -> Self {
        let mut e = Self::default();
        for p in problems {
            e.add(p.field, say(p));
        }
        e
    }

    /// Adds a message (the first one of a field is kept).
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.0.iter().all(|(f, _)| *f != field) {
            self.0.push((field, message.into()));
        }
    }

    pub fn extend(&mut self, other: Errors) {
        for (f, m) in other.0 {
            self.add(f, m);
        }
    }

    /// The message of a field, or "" (templates test `is_empty`).
    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a field is called in a sentence.
fn named(field: &str) -> &'static str {
    match field {
        "titre" => "le titre",
        "poste" => "votre poste ou métier",
        "commune" => "la commune",
        "themes" => "au moins un thème",
        "publics" => "au moins un public",
        "presentation" => "la présentation",
        "message" => "votre message",
        "nom" => "le nom",
        "description" => "la description",
        "date" => "la date",
        "debut" => "l’heure ou la date de début",
        "fin" => "la fin",
        "adresse" => "l’adresse",
        "lieu" => "le lieu",
        "lien" => "le lien",
        "reseau" => "le réseau",
        "capacite" => "le nombre de places",
        "date_limite" => "la date limite",
        "organisme" => "l’organisme",
        "montant" => "le montant",
        "contrat" => "le contrat",
        "certification" => "la certification",
        "territoire" => "le territoire",
        "theme" => "le thème",
        "niveau" => "le niveau",
        "fichier" => "un lien ou un fichier",
        _ => "ce champ",
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A problem as a sentence.
pub fn say(p: &Problem) -> String {
    let name = named(p.field);
    match &p.rule {
        Rule::Missing if p.field == "themes" || p.field == "publics" => {
            format!("Choisissez {name}.")
        }
        Rule::Missing => format!("Indiquez {name}."),
        Rule::TooLong(n) => format!("{} ne peut dépasser {n} caractères.", capitalised(name)),
        Rule::TooShort(n) => format!("{} doit compter au moins {n} caractères.", capitalised(name)),
        Rule::OutOfRange { min, max } => format!(
            "Indiquez un nombre entre {} et {}.",
            crate::fr::integer(*min),
            crate::fr::integer(*max)
        ),
        Rule::NotALink => "Indiquez une adresse web complète, commençant par https://.".into(),
        Rule::NotAfter(other) => format!("Doit venir après {}.", named(other)),
        Rule::NotBefore(other) => format!("Doit venir avant {}.", named(other)),
        Rule::InThePast => "Cette date est déjà passée.".into(),
        Rule::NotInList if p.field == "debut" => {
            "Cette heure n’existe pas ce jour-là (passage à l’heure d’été) : choisissez-en une autre.".into()
        }
        Rule::NotInList => "Choisissez une valeur de la liste.".into(),
        Rule::FileKind => {
            "Ce fichier n’est ni un PDF, ni un texte OpenDocument (ODT), ni une image (PNG, JPEG, WebP, GIF).".into()
        }
        Rule::FileTooLarge(n) => format!("Le fichier dépasse la taille permise ({}).", say_bytes(*n)),
        Rule::LinkOrFile => "Donnez soit un lien, soit un fichier, mais pas les deux.".into(),
    }
}

/// A posted form whose fields repeat (checkbox lists), read once.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }
}

/// A date field (`YYYY-MM-DD`, as date inputs send it): `Ok(None)` when
/// empty.
pub fn date(errors: &mut Errors, field: &'static str, text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(
                field,
                "Date illisible : choisissez-la dans le calendrier (jour, mois, année).",
            );
            None
        }
    }
}

/// A time field (`HH:MM`).
pub fn time(errors: &mut Errors, field: &'static str, text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match NaiveTime::parse_from_str(text, "%H:%M") {
        Ok(t) => Some(t),
        Err(_) => {
            errors.add(field, "Heure illisible : écrivez-la comme 14:30.");
            None
        }
    }
}

/// A whole number field: `None` when empty.
pub fn number(errors: &mut Errors, field: &'static str, text: &str) -> Option<i64> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    match cleaned.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(field, "Indiquez un nombre entier, sans lettres.");
            None
        }
    }
}

/// A chosen identifier (a select's value): `None` when empty.
pub fn id(errors: &mut Errors, field: &'static str, text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.parse().ok().or_else(|| {
        errors.add(field, "Choisissez une valeur de la liste.");
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_said_in_french() {
        assert_eq!(
            say(&Problem::new("titre", Rule::Missing)),
            "Indiquez le titre."
        );
        assert_eq!(
            say(&Problem::new("themes", Rule::Missing)),
            "Choisissez au moins un thème."
        );
        assert_eq!(
            say(&Problem::new("titre", Rule::TooLong(150))),
            "Le titre ne peut dépasser 150 caractères."
        );
        assert_eq!(
            say(&Problem::new(
                "capacite",
                Rule::OutOfRange {
                    min: 1,
                    max: 10_000
                }
            )),
            "Indiquez un nombre entre 1 et 10\u{202f}000."
        );
        assert_eq!(
            say(&Problem::new(
                "fichier",
                Rule::FileTooLarge(10 * 1024 * 1024)
            )),
            "Le fichier dépasse la taille permise (10 Mio)."
        );
    }

    #[test]
    fn fields_are_read_once() {
        let mut e = Errors::default();
        assert_eq!(
            date(&mut e, "date", "2026-12-03"),
            NaiveDate::from_ymd_opt(2026, 12, 3)
        );
        assert_eq!(date(&mut e, "date", ""), None);
        assert_eq!(
            time(&mut e, "debut", "14:30"),
            NaiveTime::from_hms_opt(14, 30, 0)
        );
        assert_eq!(number(&mut e, "capacite", " 1 200 "), Some(1200));
        assert!(e.is_empty());
        assert_eq!(date(&mut e, "date", "2026-13-45"), None);
        assert!(!e.get("date").is_empty());
        assert_eq!(number(&mut e, "capacite", "trente"), None);
        assert!(e.get("capacite").contains("nombre entier"));
    }
}
