//! What the Enquêtes forms post, read into typed input: a new survey, a
//! question, the questionnaire's title. Every field is kept as typed, so
//! that a refused form comes back with its values and a French message
//! next to each field at fault.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use passerelle_store::surveys::{Access, valid_slug};
use passerelle_surveys::Questionnaire;
use passerelle_surveys::builder::{
    self, ConditionChoice, Field, FieldProblem, KindChoice, QuestionInput,
};
use passerelle_surveys::templates;
use serde::Deserialize;

use super::words;

/// French messages by field name, as templates look them up.
#[derive(Debug, Default)]
pub struct Errors(BTreeMap<&'static str, String>);

impl Errors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    /// The message of a field, empty when it is right.
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every message, in field order, for the summary above a form.
    pub fn all(&self) -> Vec<String> {
        self.0.values().cloned().collect()
    }
}

/// A day as people type it: `2026-12-31` (date fields) or `31/12/2026`.
fn day(field: &'static str, text: &str, errors: &mut Errors) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"));
    if parsed.is_err() {
        errors.add(
            field,
            format!("« {text} » n’est pas une date : écrivez-la par exemple 31/12/2026."),
        );
    }
    parsed.ok()
}

/// A number as people type it (`2,5` or `2.5`), or none when empty.
fn number(field: &'static str, text: &str, errors: &mut Errors) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = text.replace([',', '\u{202f}', ' '], ".").replace("..", ".");
    match parsed.parse::<f64>() {
        Ok(x) if x.is_finite() => Some(x),
        _ => {
            errors.add(field, format!("« {text} » n’est pas un nombre."));
            None
        }
    }
}

/// The new-survey form.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct NewSurveyForm {
    #[serde(default)]
    pub structure: String,
    #[serde(default)]
    pub titre: String,
    /// A built-in questionnaire to start from, or empty for none.
    #[serde(default)]
    pub modele: String,
    /// The address's last part; made from the title when empty.
    #[serde(default)]
    pub adresse: String,
    #[serde(default)]
    pub acces: String,
    #[serde(default)]
    pub ouverture: String,
    #[serde(default)]
    pub cloture: String,
}

/// A new survey as the store takes it.
pub struct NewSurveyInput {
    pub structure_id: i64,
    pub questionnaire: Questionnaire,
    pub slug: String,
    /// The address was made from the title: another may be tried.
    pub slug_made: bool,
    pub access: Access,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
}

/// An address made from a title: "Enquête 2026 des usagers" →
/// `enquete-2026-des-usagers`.
pub fn slug_of(title: &str) -> String {
    builder::code_of(title, &Default::default()).replace('_', "-")
}

impl NewSurveyForm {
    /// The survey to create for one of `structures` (those the viewer
    /// runs surveys for), or the errors per field.
    pub fn check(&self, structures: &[(i64, String)]) -> Result<NewSurveyInput, Errors> {
        let mut errors = Errors::default();
        let structure_id = self.structure.trim().parse::<i64>().ok();
        if !structure_id.is_some_and(|id| structures.iter().any(|(s, _)| *s == id)) {
            errors.add("structure", "Choisissez la structure qui mène l’enquête.");
        }
        let title = self.titre.trim();
        let mut questionnaire = match self.modele.as_str() {
            "" => builder::blank("questionnaire", title),
            name => match templates::load(name).and_then(Result::ok) {
                Some(q) => q,
                None => {
                    errors.add("modele", "Choisissez un questionnaire de la liste.");
                    builder::blank("questionnaire", title)
                }
            },
        };
        if !title.is_empty() {
            questionnaire.title = title.to_string();
        }
        if questionnaire.title.trim().is_empty() {
            errors.add("titre", "Donnez un titre à l’enquête.");
        }
        let typed = self.adresse.trim().to_lowercase();
        let slug = if typed.is_empty() {
            slug_of(&questionnaire.title)
        } else {
            typed.clone()
        };
        if !typed.is_empty() && !valid_slug(&slug) {
            let refusal = passerelle_store::surveys::SurveyRefusal::BadSlug;
            errors.add("adresse", words::refusal_text(&refusal, &typed));
        }
        if questionnaire.id == "questionnaire" && valid_slug(&slug) {
            questionnaire.id = slug.clone();
        }
        let access = match self.acces.as_str() {
            "ouvert" | "" => Access::Open,
            "invitation" => Access::Invitation,
            _ => {
                errors.add("acces", "Choisissez qui peut répondre.");
                Access::Open
            }
        };
        let opens_on = day("ouverture", &self.ouverture, &mut errors);
        let closes_on = day("cloture", &self.cloture, &mut errors);
        if let (Some(a), Some(b)) = (opens_on, closes_on)
            && a > b
        {
            errors.add("cloture", "La clôture précède l’ouverture.");
        }
        match structure_id {
            Some(structure_id) if errors.is_empty() => Ok(NewSurveyInput {
                structure_id,
                questionnaire,
                slug_made: typed.is_empty(),
                slug,
                access,
                opens_on,
                closes_on,
            }),
            _ => Err(errors),
        }
    }
}

/// The form of one question (to add, or to edit).
#[derive(Debug, Deserialize, Default, Clone)]
pub struct QuestionForm {
    #[serde(default)]
    pub texte: String,
    #[serde(default)]
    pub aide: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub obligatoire: Option<String>,
    /// Options or grid items, one per line.
    #[serde(default)]
    pub reponses: String,
    /// The label of an "Autre, précisez" answer, if wanted.
    #[serde(default)]
    pub autre: String,
    #[serde(default)]
    pub melanger: Option<String>,
    #[serde(default)]
    pub min: String,
    #[serde(default)]
    pub max: String,
    #[serde(default)]
    pub min_libelle: String,
    #[serde(default)]
    pub max_libelle: String,
    /// `""` (always), `garder` (as it is), or `question=code`.
    #[serde(default)]
    pub condition: String,
}

/// The form's field of a builder field.
fn field_name(field: Field) -> &'static str {
    match field {
        Field::Text => "texte",
        Field::Options => "reponses",
        Field::Min => "min",
        Field::Max => "max",
        Field::Condition => "condition",
        Field::Kind => "type",
    }
}

/// The builder's problems, next to their fields.
pub fn problems(problems: &[FieldProblem]) -> Errors {
    let mut errors = Errors::default();
    for p in problems {
        errors.add(field_name(p.field), words::problem_text(&p.problem));
    }
    errors
}

impl QuestionForm {
    /// The values of an existing question, to edit.
    pub fn of(input: &QuestionInput) -> Self {
        let number = |x: Option<f64>| {
            x.map(|v| crate::fr::decimal(v, 6).replace('\u{202f}', ""))
                .unwrap_or_default()
        };
        QuestionForm {
            texte: input.text.clone(),
            aide: input.help.clone(),
            kind: input.kind.code().to_string(),
            obligatoire: input.required.then(|| "oui".into()),
            reponses: input.options.join("\n"),
            autre: input.other.clone().unwrap_or_default(),
            melanger: input.shuffle.then(|| "oui".into()),
            min: number(input.min),
            max: number(input.max),
            min_libelle: input.min_label.clone(),
            max_libelle: input.max_label.clone(),
            condition: match &input.condition {
                ConditionChoice::Always => String::new(),
                ConditionChoice::Keep => "garder".into(),
                ConditionChoice::Answer { question, code } => format!("{question}={code}"),
            },
        }
    }

    /// The question as the builder takes it, or the errors of fields that
    /// cannot even be read (a number that is not one).
    pub fn input(&self) -> Result<QuestionInput, Errors> {
        let mut errors = Errors::default();
        let kind = KindChoice::from_code(&self.kind).unwrap_or_else(|| {
            errors.add("type", "Choisissez le type de la question.");
            KindChoice::Single
        });
        let min = number("min", &self.min, &mut errors);
        let max = number("max", &self.max, &mut errors);
        let condition = match self.condition.as_str() {
            "" => ConditionChoice::Always,
            "garder" => ConditionChoice::Keep,
            other => match other.split_once('=') {
                Some((question, code)) => ConditionChoice::Answer {
                    question: question.to_string(),
                    code: code.to_string(),
                },
                None => {
                    errors.add(
                        "condition",
                        words::problem_text(&builder::Problem::UnknownCondition),
                    );
                    ConditionChoice::Always
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let options = if kind.has_options() {
            self.reponses.lines().map(str::to_string).collect()
        } else {
            Vec::new()
        };
        let choice = matches!(kind, KindChoice::Single | KindChoice::Multiple);
        Ok(QuestionInput {
            text: self.texte.clone(),
            help: self.aide.clone(),
            kind,
            required: self.obligatoire.is_some(),
            options,
            other: Some(self.autre.trim().to_string()).filter(|o| choice && !o.is_empty()),
            shuffle: self.melanger.is_some(),
            min,
            max,
            min_label: self.min_libelle.clone(),
            max_label: self.max_libelle.clone(),
            condition,
        })
    }
}

/// The questionnaire's title and presentation.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct DetailsForm {
    #[serde(default)]
    pub titre: String,
    #[serde(default)]
    pub presentation: String,
}

/// Moving a question: `haut` or `bas`.
#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub sens: String,
}

/// How many invitations to create.
#[derive(Debug, Deserialize)]
pub struct InvitationsForm {
    #[serde(default)]
    pub nombre: String,
}

impl InvitationsForm {
    /// From 1 to 5,000.
    pub fn count(&self) -> Result<usize, String> {
        match self
            .nombre
            .trim()
            .replace(['\u{202f}', ' '], "")
            .parse::<usize>()
        {
            Ok(n) if (1..=5000).contains(&n) => Ok(n),
            _ => Err("Indiquez un nombre d’invitations entre 1 et 5 000.".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_numbers_as_people_type_them() {
        let mut errors = Errors::default();
        assert_eq!(
            day("d", "31/12/2026", &mut errors),
            NaiveDate::from_ymd_opt(2026, 12, 31)
        );
        assert_eq!(
            day("d", "2026-12-31", &mut errors),
            NaiveDate::from_ymd_opt(2026, 12, 31)
        );
        assert_eq!(number("n", "2,5", &mut errors), Some(2.5));
        assert!(errors.is_empty());
        assert_eq!(day("d", "2025-13-45", &mut errors), None);
        assert!(errors.get("d").contains("n’est pas une date"));
        assert_eq!(number("n", "deux", &mut errors), None);
        assert!(errors.get("n").contains("n’est pas un nombre"));
    }

    #[test]
    fn a_new_survey_is_checked_field_by_field() {
        let structures = vec![(7, "CCAS".to_string())];
        let form = NewSurveyForm {
            structure: "7".into(),
            titre: "Enquête des usagers 2026".into(),
            ouverture: "01/03/2026".into(),
            cloture: "2026-02-01".into(),
            ..NewSurveyForm::default()
        };
        let errors = form.check(&structures).err().unwrap();
        assert_eq!(errors.get("cloture"), "La clôture précède l’ouverture.");
        let ok = NewSurveyForm {
            cloture: String::new(),
            ..form.clone()
        };
        let input = ok.check(&structures).ok().unwrap();
        assert_eq!(input.slug, "enquete_des_usagers_2026".replace('_', "-"));
        assert!(input.slug_made);
        assert!(input.questionnaire.questions.is_empty());
        let hub = NewSurveyForm {
            titre: String::new(),
            modele: "hub-bretagne-2023".into(),
            adresse: "Mauvaise Adresse".into(),
            structure: "8".into(),
            ..NewSurveyForm::default()
        };
        let errors = hub.check(&structures).err().unwrap();
        assert!(!errors.get("structure").is_empty());
        assert!(errors.get("adresse").contains("minuscules"));
        assert!(errors.get("titre").is_empty(), "the built-in title");
    }
}
