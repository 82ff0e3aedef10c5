//! What is wrong with an input: the form field and the rule it breaks.
//! The pages turn each into a French sentence next to the field.

/// A rule an input breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Nothing given where something is needed.
    Missing,
    /// Longer than this many characters.
    TooLong(usize),
    /// Shorter than this many characters.
    TooShort(usize),
    /// A number outside `min..=max`.
    OutOfRange { min: i64, max: i64 },
    /// Not an `http://` or `https://` address.
    NotALink,
    /// Must come after the value of this other field.
    NotAfter(&'static str),
    /// Must come before the value of this other field.
    NotBefore(&'static str),
    /// A date or time already past.
    InThePast,
    /// None of the values the list offers.
    NotInList,
    /// A file whose content is none of the accepted kinds.
    FileKind,
    /// A file larger than this many bytes.
    FileTooLarge(usize),
    /// Both a link and a file, or neither.
    LinkOrFile,
}

/// A field of a form and the rule its value breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub rule: Rule,
}

impl Problem {
    pub fn new(field: &'static str, rule: Rule) -> Self {
        Self { field, rule }
    }
}

/// Collects problems while checking an input.
#[derive(Debug, Default)]
pub(crate) struct Checks(pub Vec<Problem>);

impl Checks {
    pub fn add(&mut self, field: &'static str, rule: Rule) {
        self.0.push(Problem::new(field, rule));
    }

    /// A required text, trimmed, at most `max` characters.
    pub fn text(&mut self, field: &'static str, value: &str, max: usize) -> String {
        let value = value.trim();
        if value.is_empty() {
            self.add(field, Rule::Missing);
        } else if value.chars().count() > max {
            self.add(field, Rule::TooLong(max));
        }
        value.to_string()
    }

    /// An optional text: `None` when empty.
    pub fn optional(&mut self, field: &'static str, value: &str, max: usize) -> Option<String> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > max {
            self.add(field, Rule::TooLong(max));
        }
        Some(value.to_string())
    }

    /// An optional web address.
    pub fn link(&mut self, field: &'static str, value: &str) -> Option<String> {
        let link = self.optional(field, value, 2000)?;
        if !is_link(&link) {
            self.add(field, Rule::NotALink);
        }
        Some(link)
    }

    pub fn done<T>(self, value: T) -> Result<T, Vec<Problem>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

/// An `http(s)://host…` address without spaces or control characters.
pub fn is_link(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && !r.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_web_addresses() {
        assert!(is_link("https://www.hubbretagne.fr/appel"));
        assert!(is_link("http://exemple.org"));
        assert!(!is_link("javascript:alert(1)"));
        assert!(!is_link("https://"));
        assert!(!is_link("https:///chemin"));
        assert!(!is_link("https://a b"));
        assert!(!is_link("ftp://exemple.org"));
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        let mut c = Checks::default();
        assert_eq!(c.text("titre", "  Rencontre  ", 10), "Rencontre");
        assert_eq!(c.optional("lieu", "   ", 10), None);
        c.text("titre", "", 10);
        c.text("titre", "onze lettres", 10);
        assert_eq!(
            c.0,
            vec![
                Problem::new("titre", Rule::Missing),
                Problem::new("titre", Rule::TooLong(10))
            ]
        );
    }
}
