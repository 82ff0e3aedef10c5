//! What the pages' forms share: the problems of a submitted form, each in
//! French on its field, shown next to it by `templates/champs.html` (DSFR
//! error state, `aria-describedby`) while what was typed stays in place.

use std::collections::BTreeMap;

/// Problems, by field (the form's `name`), in French.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    /// Adds a problem to a field; a second, different one is joined to the
    /// first (one message per field is what the DSFR shows).
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        let message = message.into();
        self.0
            .entry(field)
            .and_modify(|m| {
                if !m.contains(&message) {
                    m.push_str(" ; ");
                    m.push_str(&message);
                }
            })
            .or_insert(message);
    }

    /// One problem on one field.
    pub fn one(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The message for a field, empty when it is fine.
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(f, m)| (*f, m.as_str()))
    }

    /// Every problem in the order of the form's fields (`order`; fields it
    /// does not name come last), for a summary at the top of the form.
    pub fn listed_in(&self, order: &[&str]) -> Vec<(&'static str, &str)> {
        let position = |f: &str| order.iter().position(|o| *o == f).unwrap_or(order.len());
        let mut all: Vec<(&'static str, &str)> = self.iter().collect();
        all.sort_by_key(|(f, _)| position(f));
        all
    }
}

impl FromIterator<(&'static str, String)> for FieldErrors {
    fn from_iter<I: IntoIterator<Item = (&'static str, String)>>(problems: I) -> Self {
        let mut errors = Self::default();
        for (field, message) in problems {
            errors.add(field, message);
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_keeps_each_different_problem_once() {
        let errors: FieldErrors = [
            ("nom", "Indiquez le nom.".to_string()),
            ("nom", "Indiquez le nom.".to_string()),
            ("nom", "200 caractères au plus.".to_string()),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            errors.get("nom"),
            "Indiquez le nom. ; 200 caractères au plus."
        );
        assert_eq!(errors.get("siret"), "");
        assert!(errors.has("nom") && !errors.has("siret"));
    }
}
