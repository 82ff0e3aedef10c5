//! The questionnaire: its TOML text format (documented in
//! `docs/questionnaires.md`), the model the rest of the crate works on, and
//! the validation that names the line and the field of every problem.
//!
//! Parsing goes through "raw" structs that keep the byte span of each field
//! (`toml::Spanned`), so that a problem found after parsing (a duplicate
//! code, a condition on a later question) still points at its line.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

/// A validated questionnaire.
#[derive(Debug, Clone, PartialEq)]
pub struct Questionnaire {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub help: Option<String>,
    pub required: bool,
    /// Present options (or grid items) in an order drawn per respondent.
    pub shuffle: bool,
    pub kind: Kind,
    pub show_if: Option<Condition>,
    /// Line of the question's `id` in the source, for later messages.
    pub line: usize,
}

/// A labelled answer: `code` is what files store, `label` what people read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

/// A numeric scale such as 1 "jamais" … 10 "très régulièrement".
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    pub min: i64,
    pub max: i64,
    pub min_label: Option<String>,
    pub max_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// One answer among `options`; `other` is the label of an extra
    /// "Autre, précisez" answer whose text is kept.
    Single {
        options: Vec<Choice>,
        other: Option<String>,
    },
    /// Any number of `options` ("plusieurs réponses possibles").
    Multiple {
        options: Vec<Choice>,
        other: Option<String>,
    },
    Scale(Scale),
    /// Several items rated on one scale (the seeds' tableaux 5, 9, 12).
    Grid {
        items: Vec<Choice>,
        scale: Scale,
    },
    Integer {
        min: Option<f64>,
        max: Option<f64>,
    },
    Decimal {
        min: Option<f64>,
        max: Option<f64>,
    },
    Text,
}

/// The code under which the "other, specify" answer is stored.
pub const OTHER: &str = "other";

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Single { .. } => "single",
            Kind::Multiple { .. } => "multiple",
            Kind::Scale(_) => "scale",
            Kind::Grid { .. } => "grid",
            Kind::Integer { .. } => "integer",
            Kind::Decimal { .. } => "decimal",
            Kind::Text => "text",
        }
    }

    /// Options followed by the "other" answer when there is one: the
    /// categories a choice question is counted in.
    pub fn categories(&self) -> Vec<Choice> {
        match self {
            Kind::Single { options, other } | Kind::Multiple { options, other } => {
                let mut all = options.clone();
                if let Some(label) = other {
                    all.push(Choice {
                        code: OTHER.to_string(),
                        label: label.clone(),
                    });
                }
                all
            }
            _ => Vec::new(),
        }
    }
}

/// "Show this question only if the answer to `question` …".
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub question: String,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// Single choice: the answer is one of these codes.
    AnyOf(Vec<String>),
    /// Multiple choice: this option is among the answers.
    Includes(String),
    /// Scale or number: the answer is at least / at most this value.
    AtLeast(f64),
    AtMost(f64),
}

/// One problem in a questionnaire file: where, and what (typed, so that
/// pages word it in French; `message` is the English of the command line).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub field: String,
    pub issue: Issue,
}

impl Problem {
    /// What is wrong, in English (command line, logs).
    pub fn message(&self) -> String {
        self.issue.to_string()
    }
}

/// What is wrong with a field of a questionnaire file.
#[derive(Debug, Clone, PartialEq)]
pub enum Issue {
    /// Not TOML, or a field missing, unknown or of the wrong type: the
    /// parser's message, and the key it names.
    Syntax {
        message: String,
        key: Option<String>,
    },
    /// A list of options or items with nothing in it.
    EmptyList,
    /// An identifier or code that is not letters, digits, `_` or `-`.
    BadCode(String),
    /// An option or item code given twice.
    DuplicateCode(String),
    /// An option coded `other` beside an "other, specify" answer.
    ReservedCode,
    /// An option or item without a label.
    EmptyLabel(String),
    /// A scale without both bounds.
    ScaleBounds,
    /// A scale or integer bound with decimals.
    NotWhole,
    /// A scale whose maximum is not above its minimum.
    ScaleOrder(f64),
    /// A scale of more than 101 points.
    ScaleTooLong,
    /// Number bounds whose maximum is below the minimum.
    BoundsOrder(f64),
    /// A field the question's type does not use.
    Unused {
        kind: String,
    },
    /// A choice question without options.
    NeedsOptions,
    /// A grid without items.
    NeedsItems,
    UnknownType(String),
    /// A condition naming a question that does not come before.
    NotEarlier(String),
    /// A condition with none or several tests.
    OneTest,
    /// A test that does not fit the type of the question it reads.
    TestDoesNotApply {
        question: String,
        kind: String,
    },
    /// A condition naming an answer the question does not offer.
    NotAnAnswer {
        code: String,
        question: String,
    },
    /// A question identifier used twice.
    DuplicateId(String),
    /// A question without text.
    EmptyText,
    NoQuestions,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Issue::Syntax { message, .. } => write!(f, "{message}"),
            Issue::EmptyList => write!(f, "must list at least one answer"),
            Issue::BadCode(code) => write!(f, "{code:?} must be letters, digits, `_` or `-`"),
            Issue::DuplicateCode(code) => write!(f, "code {code:?} appears twice"),
            Issue::ReservedCode => write!(f, "code {OTHER:?} is reserved for the `other` answer"),
            Issue::EmptyLabel(code) => write!(f, "code {code:?} has an empty label"),
            Issue::ScaleBounds => write!(f, "a scale needs `min` and `max`"),
            Issue::NotWhole => write!(f, "bounds must be whole numbers"),
            Issue::ScaleOrder(min) => write!(f, "must be above min ({min})"),
            Issue::ScaleTooLong => write!(f, "a scale has at most 101 points"),
            Issue::BoundsOrder(min) => write!(f, "must not be below min ({min})"),
            Issue::Unused { kind } => write!(f, "not used by a `{kind}` question"),
            Issue::NeedsOptions => write!(f, "a choice question needs `options`"),
            Issue::NeedsItems => write!(f, "a grid needs `items`"),
            Issue::UnknownType(kind) => write!(
                f,
                "unknown type {kind:?} (single, multiple, scale, grid, integer, decimal or text)"
            ),
            Issue::NotEarlier(question) => write!(
                f,
                "question {question:?} is not an earlier question of this questionnaire"
            ),
            Issue::OneTest => write!(
                f,
                "give exactly one of `equals`, `any_of`, `includes`, `at_least`, `at_most`"
            ),
            Issue::TestDoesNotApply { question, kind } => write!(
                f,
                "this test does not apply to question {question:?} of type {kind} (single: equals/any_of; multiple: includes; scale and numbers: at_least/at_most)"
            ),
            Issue::NotAnAnswer { code, question } => {
                write!(f, "{code:?} is not an answer code of question {question:?}")
            }
            Issue::DuplicateId(id) => write!(f, "{id:?} is already used by another question"),
            Issue::EmptyText => write!(f, "must not be empty"),
            Issue::NoQuestions => write!(f, "a questionnaire needs at least one question"),
        }
    }
}

/// Every problem found in a questionnaire file, named after the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub source: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}: line {}, field `{}`: {}",
                self.source, p.line, p.field, p.issue
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestionnaire {
    id: Spanned<String>,
    title: String,
    description: Option<String>,
    #[serde(default)]
    questions: Vec<RawQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    text: Spanned<String>,
    help: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    shuffle: Option<Spanned<bool>>,
    other: Option<Spanned<String>>,
    options: Option<Spanned<Vec<Choice>>>,
    items: Option<Spanned<Vec<Choice>>>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    min_label: Option<Spanned<String>>,
    max_label: Option<Spanned<String>>,
    show_if: Option<Spanned<RawCondition>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    question: String,
    equals: Option<String>,
    any_of: Option<Vec<String>>,
    includes: Option<String>,
    at_least: Option<f64>,
    at_most: Option<f64>,
}

/// Line (from 1) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A code is used in CSV column names (`question.code`): keep it to
/// characters that need no quoting and cannot be confused with the dot.
fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

struct Checker<'a> {
    text: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn at(&mut self, span: Range<usize>, field: &str, issue: Issue) {
        let line = line_of(self.text, span.start);
        self.problems.push(Problem {
            line,
            field: field.to_string(),
            issue,
        });
    }

    fn choices(&mut self, list: &Spanned<Vec<Choice>>, field: &str, other: bool) -> Vec<Choice> {
        let span = list.span();
        if list.get_ref().is_empty() {
            self.at(span.clone(), field, Issue::EmptyList);
        }
        let mut seen = HashSet::new();
        for choice in list.get_ref() {
            if !valid_code(&choice.code) {
                self.at(span.clone(), field, Issue::BadCode(choice.code.clone()));
            } else if !seen.insert(choice.code.as_str()) {
                self.at(
                    span.clone(),
                    field,
                    Issue::DuplicateCode(choice.code.clone()),
                );
            } else if other && choice.code == OTHER {
                self.at(span.clone(), field, Issue::ReservedCode);
            }
            if choice.label.trim().is_empty() {
                self.at(span.clone(), field, Issue::EmptyLabel(choice.code.clone()));
            }
        }
        list.get_ref().clone()
    }

    fn scale(&mut self, q: &RawQuestion) -> Option<Scale> {
        let (Some(min), Some(max)) = (&q.min, &q.max) else {
            self.at(q.kind.span(), "min", Issue::ScaleBounds);
            return None;
        };
        let (lo, hi) = (*min.get_ref(), *max.get_ref());
        if lo.fract() != 0.0 || hi.fract() != 0.0 {
            self.at(min.span(), "min", Issue::NotWhole);
            return None;
        }
        if lo >= hi {
            self.at(max.span(), "max", Issue::ScaleOrder(lo));
            return None;
        }
        if hi - lo > 100.0 {
            self.at(max.span(), "max", Issue::ScaleTooLong);
            return None;
        }
        Some(Scale {
            min: lo as i64,
            max: hi as i64,
            min_label: q.min_label.as_ref().map(|l| l.get_ref().clone()),
            max_label: q.max_label.as_ref().map(|l| l.get_ref().clone()),
        })
    }

    fn bounds(&mut self, q: &RawQuestion, integer: bool) -> (Option<f64>, Option<f64>) {
        let min = q.min.as_ref().map(|m| *m.get_ref());
        let max = q.max.as_ref().map(|m| *m.get_ref());
        if let (Some(lo), Some(hi), Some(span)) = (min, max, q.max.as_ref().map(|m| m.span()))
            && lo > hi
        {
            self.at(span, "max", Issue::BoundsOrder(lo));
        }
        if integer {
            for (bound, name) in [(&q.min, "min"), (&q.max, "max")] {
                if let Some(b) = bound
                    && b.get_ref().fract() != 0.0
                {
                    self.at(b.span(), name, Issue::NotWhole);
                }
            }
        }
        (min, max)
    }

    /// Fields a question type does not use are refused rather than
    /// ignored: a `min` on a single choice is a mistake worth telling.
    fn refuse_unused(&mut self, q: &RawQuestion, kind: &str) {
        let uses = |field: &str| -> bool {
            match kind {
                "single" | "multiple" => matches!(field, "options" | "other" | "shuffle"),
                "scale" => matches!(field, "min" | "max" | "min_label" | "max_label"),
                "grid" => matches!(
                    field,
                    "items" | "min" | "max" | "min_label" | "max_label" | "shuffle"
                ),
                "integer" | "decimal" => matches!(field, "min" | "max"),
                _ => false,
            }
        };
        let present: [(&str, Option<Range<usize>>); 8] = [
            ("options", q.options.as_ref().map(|v| v.span())),
            ("items", q.items.as_ref().map(|v| v.span())),
            ("other", q.other.as_ref().map(|v| v.span())),
            ("shuffle", q.shuffle.as_ref().map(|v| v.span())),
            ("min", q.min.as_ref().map(|v| v.span())),
            ("max", q.max.as_ref().map(|v| v.span())),
            ("min_label", q.min_label.as_ref().map(|v| v.span())),
            ("max_label", q.max_label.as_ref().map(|v| v.span())),
        ];
        for (field, span) in present {
            if let Some(span) = span
                && !uses(field)
            {
                self.at(
                    span,
                    field,
                    Issue::Unused {
                        kind: kind.to_string(),
                    },
                );
            }
        }
    }

    fn question(&mut self, q: &RawQuestion) -> Option<Kind> {
        let kind = q.kind.get_ref().as_str();
        const KINDS: [&str; 7] = [
            "single", "multiple", "scale", "grid", "integer", "decimal", "text",
        ];
        if KINDS.contains(&kind) {
            self.refuse_unused(q, kind);
        }
        let other = q.other.as_ref().map(|o| o.get_ref().clone());
        let options = |c: &mut Self| match &q.options {
            Some(list) => Some(c.choices(list, "options", other.is_some())),
            None => {
                c.at(q.kind.span(), "options", Issue::NeedsOptions);
                None
            }
        };
        Some(match kind {
            "single" => Kind::Single {
                options: options(self)?,
                other,
            },
            "multiple" => Kind::Multiple {
                options: options(self)?,
                other,
            },
            "scale" => Kind::Scale(self.scale(q)?),
            "grid" => {
                let items = match &q.items {
                    Some(list) => self.choices(list, "items", false),
                    None => {
                        self.at(q.kind.span(), "items", Issue::NeedsItems);
                        return None;
                    }
                };
                Kind::Grid {
                    items,
                    scale: self.scale(q)?,
                }
            }
            "integer" => {
                let (min, max) = self.bounds(q, true);
                Kind::Integer { min, max }
            }
            "decimal" => {
                let (min, max) = self.bounds(q, false);
                Kind::Decimal { min, max }
            }
            "text" => Kind::Text,
            other => {
                self.at(q.kind.span(), "type", Issue::UnknownType(other.to_string()));
                return None;
            }
        })
    }

    fn condition(
        &mut self,
        raw: &Spanned<RawCondition>,
        earlier: &[Question],
    ) -> Option<Condition> {
        let span = raw.span();
        let c = raw.get_ref();
        let Some(target) = earlier.iter().find(|q| q.id == c.question) else {
            self.at(span, "show_if", Issue::NotEarlier(c.question.clone()));
            return None;
        };
        let given = [
            c.equals.is_some(),
            c.any_of.is_some(),
            c.includes.is_some(),
            c.at_least.is_some(),
            c.at_most.is_some(),
        ]
        .iter()
        .filter(|&&b| b)
        .count();
        if given != 1 {
            self.at(span, "show_if", Issue::OneTest);
            return None;
        }
        let codes: Vec<String> = target
            .kind
            .categories()
            .into_iter()
            .map(|c| c.code)
            .collect();
        let test = match (&target.kind, c) {
            (
                Kind::Single { .. },
                RawCondition {
                    equals: Some(v), ..
                },
            ) => Test::AnyOf(vec![v.clone()]),
            (
                Kind::Single { .. },
                RawCondition {
                    any_of: Some(v), ..
                },
            ) => Test::AnyOf(v.clone()),
            (
                Kind::Multiple { .. },
                RawCondition {
                    includes: Some(v), ..
                },
            ) => Test::Includes(v.clone()),
            (
                Kind::Scale(_) | Kind::Integer { .. } | Kind::Decimal { .. },
                RawCondition {
                    at_least: Some(v), ..
                },
            ) => Test::AtLeast(*v),
            (
                Kind::Scale(_) | Kind::Integer { .. } | Kind::Decimal { .. },
                RawCondition {
                    at_most: Some(v), ..
                },
            ) => Test::AtMost(*v),
            _ => {
                self.at(
                    span,
                    "show_if",
                    Issue::TestDoesNotApply {
                        question: target.id.clone(),
                        kind: target.kind.name().to_string(),
                    },
                );
                return None;
            }
        };
        let named: Vec<&String> = match &test {
            Test::AnyOf(v) => v.iter().collect(),
            Test::Includes(v) => vec![v],
            _ => Vec::new(),
        };
        for code in named {
            if !codes.contains(code) {
                self.at(
                    span.clone(),
                    "show_if",
                    Issue::NotAnAnswer {
                        code: code.clone(),
                        question: target.id.clone(),
                    },
                );
                return None;
            }
        }
        Some(Condition {
            question: target.id.clone(),
            test,
        })
    }
}

impl Questionnaire {
    /// Parses and validates a questionnaire; `source` names the file in
    /// messages.
    pub fn parse(text: &str, source: &str) -> Result<Questionnaire, Invalid> {
        Self::read(text, source, false)
    }

    /// As `parse`, but a questionnaire being built may have no question
    /// yet (it cannot be put online so: see `builder::ready`).
    pub fn parse_draft(text: &str, source: &str) -> Result<Questionnaire, Invalid> {
        Self::read(text, source, true)
    }

    fn read(text: &str, source: &str, draft: bool) -> Result<Questionnaire, Invalid> {
        let invalid = |problems| Invalid {
            source: source.to_string(),
            problems,
        };
        let raw: RawQuestionnaire = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            let message = e.message().trim().to_string();
            let key = field_in_message(&message);
            invalid(vec![Problem {
                line,
                field: key.clone().unwrap_or_else(|| "-".to_string()),
                issue: Issue::Syntax { message, key },
            }])
        })?;
        let mut checker = Checker {
            text,
            problems: Vec::new(),
        };
        if !valid_code(raw.id.get_ref()) {
            checker.at(
                raw.id.span(),
                "id",
                Issue::BadCode(raw.id.get_ref().clone()),
            );
        }
        let mut questions: Vec<Question> = Vec::new();
        let mut seen = HashSet::new();
        for q in &raw.questions {
            let id = q.id.get_ref();
            if !valid_code(id) {
                checker.at(q.id.span(), "id", Issue::BadCode(id.clone()));
            } else if !seen.insert(id.clone()) {
                checker.at(q.id.span(), "id", Issue::DuplicateId(id.clone()));
            }
            if q.text.get_ref().trim().is_empty() {
                checker.at(q.text.span(), "text", Issue::EmptyText);
            }
            let kind = checker.question(q);
            let show_if = q
                .show_if
                .as_ref()
                .and_then(|c| checker.condition(c, &questions));
            if let Some(kind) = kind {
                questions.push(Question {
                    id: id.clone(),
                    text: q.text.get_ref().clone(),
                    help: q.help.clone(),
                    required: q.required,
                    shuffle: q.shuffle.as_ref().is_some_and(|s| *s.get_ref()),
                    kind,
                    show_if,
                    line: line_of(text, q.id.span().start),
                });
            }
        }
        if raw.questions.is_empty() && !draft {
            checker.at(0..0, "questions", Issue::NoQuestions);
        }
        if checker.problems.is_empty() {
            Ok(Questionnaire {
                id: raw.id.into_inner(),
                title: raw.title,
                description: raw.description,
                questions,
            })
        } else {
            Err(invalid(checker.problems))
        }
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == id)
    }
}

/// The TOML parser names an offending key in backquotes ("missing field
/// `text`", "unknown field `foo`"): that key is the field.
fn field_in_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// The order in which to present `n` options to one respondent: the
/// identity unless the question asks for shuffling, else a permutation
/// drawn from `seed` (give each respondent their own seed, keep it with
/// the session so that a reload shows the same order).
pub fn presentation_order(question: &Question, n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if question.shuffle {
        // splitmix64: tiny, well mixed, and enough for presentation order
        // (nothing secret depends on it).
        let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        for i in (1..n).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"id = "demo"
title = "Démo"

[[questions]]
id = "accompagne"
type = "single"
text = "Réalisez-vous des accompagnements ?"
required = true
options = [{ code = "non", label = "Non" }, { code = "oui", label = "Oui" }]

[[questions]]
id = "pourquoi"
type = "multiple"
text = "Pourquoi pas ?"
other = "Autre, précisez"
shuffle = true
options = [{ code = "dois", label = "Je ne dois pas" }, { code = "veux", label = "Je ne veux pas" }]
show_if = { question = "accompagne", equals = "non" }

[[questions]]
id = "frequence"
type = "scale"
text = "Fréquence"
min = 1
max = 10
min_label = "jamais"
max_label = "très régulièrement"
"#;

    fn problems(text: &str) -> Vec<Problem> {
        Questionnaire::parse(text, "q.toml").unwrap_err().problems
    }

    #[test]
    fn parses_every_part() {
        let q = Questionnaire::parse(SMALL, "q.toml").unwrap();
        assert_eq!(q.questions.len(), 3);
        assert_eq!(q.questions[1].line, 12);
        assert!(q.questions[1].shuffle);
        assert_eq!(
            q.questions[1].show_if,
            Some(Condition {
                question: "accompagne".into(),
                test: Test::AnyOf(vec!["non".into()])
            })
        );
        assert_eq!(q.questions[1].kind.categories().len(), 3);
        assert!(matches!(
            q.questions[2].kind,
            Kind::Scale(Scale {
                min: 1,
                max: 10,
                ..
            })
        ));
    }

    #[test]
    fn errors_name_line_and_field() {
        let text = SMALL.replace("max = 10", "max = 0");
        let p = problems(&text);
        assert_eq!((p[0].line, p[0].field.as_str()), (25, "max"));

        let text = SMALL.replace("equals = \"non\"", "equals = \"peut-etre\"");
        let p = problems(&text);
        assert_eq!((p[0].line, p[0].field.as_str()), (18, "show_if"));
        assert!(p[0].message().contains("peut-etre"), "{}", p[0].message());

        let text = SMALL.replace("text = \"Fréquence\"", "");
        let p = problems(&text);
        assert_eq!(p[0].field, "text");
        assert_eq!(p[0].line, 20, "the table of the question missing it");

        let text = SMALL.replace("type = \"scale\"", "type = \"echelle\"");
        let p = problems(&text);
        assert_eq!((p[0].line, p[0].field.as_str()), (22, "type"));
    }

    #[test]
    fn duplicates_unknown_fields_and_conditions_on_later_questions_are_refused() {
        let text = SMALL.replace("id = \"frequence\"", "id = \"accompagne\"");
        assert_eq!(problems(&text)[0].field, "id");
        let text = SMALL.replace("code = \"veux\"", "code = \"dois\"");
        assert!(problems(&text)[0].message().contains("twice"));
        let text = SMALL.replace("required = true", "requis = true");
        assert_eq!(problems(&text)[0].field, "requis");
        let text = SMALL.replace("question = \"accompagne\"", "question = \"frequence\"");
        assert!(problems(&text)[0].message().contains("earlier"));
        let text = SMALL.replace("min_label = \"jamais\"", "options = []");
        assert_eq!(problems(&text)[0].field, "options");
    }

    #[test]
    fn shuffling_is_a_permutation_fixed_by_the_seed() {
        let q = Questionnaire::parse(SMALL, "q.toml").unwrap();
        let a = presentation_order(&q.questions[1], 10, 7);
        let b = presentation_order(&q.questions[1], 10, 7);
        let c = presentation_order(&q.questions[1], 10, 8);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_eq!(presentation_order(&q.questions[0], 4, 7), vec![0, 1, 2, 3]);
    }
}

/// A TOML string (basic string, escaped by the toml crate).
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn toml_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl Questionnaire {
    /// The questionnaire as TOML text that `parse` reads back to the same
    /// questionnaire; `comments[i]` is written as `# …` lines before
    /// question `i`.
    pub fn to_toml(&self, comments: &std::collections::HashMap<usize, String>) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "id = {}", toml_string(&self.id));
        let _ = writeln!(out, "title = {}", toml_string(&self.title));
        if let Some(d) = &self.description {
            let _ = writeln!(out, "description = {}", toml_string(d));
        }
        let choices = |out: &mut String, field: &str, list: &[Choice]| {
            let _ = writeln!(out, "{field} = [");
            for c in list {
                let _ = writeln!(
                    out,
                    "  {{ code = {}, label = {} }},",
                    toml_string(&c.code),
                    toml_string(&c.label)
                );
            }
            let _ = writeln!(out, "]");
        };
        let scale = |out: &mut String, s: &Scale| {
            let _ = writeln!(out, "min = {}\nmax = {}", s.min, s.max);
            if let Some(l) = &s.min_label {
                let _ = writeln!(out, "min_label = {}", toml_string(l));
            }
            if let Some(l) = &s.max_label {
                let _ = writeln!(out, "max_label = {}", toml_string(l));
            }
        };
        for (i, q) in self.questions.iter().enumerate() {
            out.push('\n');
            if let Some(comment) = comments.get(&i) {
                for line in comment.lines() {
                    let _ = writeln!(out, "# {line}");
                }
            }
            let _ = writeln!(out, "[[questions]]");
            let _ = writeln!(out, "id = {}", toml_string(&q.id));
            let _ = writeln!(out, "type = {}", toml_string(q.kind.name()));
            let _ = writeln!(out, "text = {}", toml_string(&q.text));
            if let Some(h) = &q.help {
                let _ = writeln!(out, "help = {}", toml_string(h));
            }
            if q.required {
                let _ = writeln!(out, "required = true");
            }
            if q.shuffle {
                let _ = writeln!(out, "shuffle = true");
            }
            match &q.kind {
                Kind::Single { options, other } | Kind::Multiple { options, other } => {
                    choices(&mut out, "options", options);
                    if let Some(o) = other {
                        let _ = writeln!(out, "other = {}", toml_string(o));
                    }
                }
                Kind::Scale(s) => scale(&mut out, s),
                Kind::Grid { items, scale: s } => {
                    scale(&mut out, s);
                    choices(&mut out, "items", items);
                }
                Kind::Integer { min, max } | Kind::Decimal { min, max } => {
                    if let Some(m) = min {
                        let _ = writeln!(out, "min = {}", toml_number(*m));
                    }
                    if let Some(m) = max {
                        let _ = writeln!(out, "max = {}", toml_number(*m));
                    }
                }
                Kind::Text => {}
            }
            if let Some(c) = &q.show_if {
                let test = match &c.test {
                    Test::AnyOf(codes) if codes.len() == 1 => {
                        format!("equals = {}", toml_string(&codes[0]))
                    }
                    Test::AnyOf(codes) => format!(
                        "any_of = [{}]",
                        codes
                            .iter()
                            .map(|c| toml_string(c))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Test::Includes(code) => format!("includes = {}", toml_string(code)),
                    Test::AtLeast(x) => format!("at_least = {}", toml_number(*x)),
                    Test::AtMost(x) => format!("at_most = {}", toml_number(*x)),
                };
                let _ = writeln!(
                    out,
                    "show_if = {{ question = {}, {test} }}",
                    toml_string(&c.question)
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod toml_out {
    use super::*;

    #[test]
    fn the_built_in_questionnaires_are_written_back_to_themselves() {
        for name in crate::templates::names() {
            let q = crate::templates::load(name).unwrap().unwrap();
            let text = q.to_toml(&Default::default());
            let back = Questionnaire::parse(&text, name).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let strip = |q: &Questionnaire| {
                let mut q = q.clone();
                q.questions.iter_mut().for_each(|q| q.line = 0);
                q
            };
            assert_eq!(strip(&back), strip(&q), "{name}");
        }
    }
}
