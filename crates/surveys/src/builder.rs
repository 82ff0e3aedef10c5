//! Building a questionnaire in a form, question by question, as a
//! gestionnaire does on the survey's page: typed input in, typed problems
//! out (the web words them in French). Identifiers and codes are made here,
//! from the labels people type; conditions always read an earlier question
//! and an answer it offers. Every operation leaves a questionnaire that
//! `Questionnaire::parse_draft(&q.to_toml(..))` reads back unchanged, so
//! what is built is what the TOML import and export carry.

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;

use crate::questionnaire::{Choice, Condition, Kind, OTHER, Question, Questionnaire, Scale, Test};

/// The types of question the form offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindChoice {
    Single,
    Multiple,
    Scale,
    Grid,
    Integer,
    Decimal,
    Text,
}

impl KindChoice {
    pub const ALL: [KindChoice; 7] = [
        KindChoice::Single,
        KindChoice::Multiple,
        KindChoice::Scale,
        KindChoice::Grid,
        KindChoice::Integer,
        KindChoice::Decimal,
        KindChoice::Text,
    ];

    /// The code of the questionnaire format (`type = "single"`).
    pub fn code(self) -> &'static str {
        match self {
            KindChoice::Single => "single",
            KindChoice::Multiple => "multiple",
            KindChoice::Scale => "scale",
            KindChoice::Grid => "grid",
            KindChoice::Integer => "integer",
            KindChoice::Decimal => "decimal",
            KindChoice::Text => "text",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn of(kind: &Kind) -> Self {
        Self::from_code(kind.name()).expect("every kind has a choice")
    }

    /// Whether the question lists options (choices) or items (grid).
    pub fn has_options(self) -> bool {
        matches!(
            self,
            KindChoice::Single | KindChoice::Multiple | KindChoice::Grid
        )
    }
}

/// When the question is shown, as the form asks it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ConditionChoice {
    /// Always.
    #[default]
    Always,
    /// When the answer to `question` is `code` (a single choice) or
    /// includes it (a multiple choice).
    Answer { question: String, code: String },
    /// Keep the question's condition as it is: one the form cannot write
    /// (several answers, a bound), from a built-in or imported questionnaire.
    Keep,
}

/// One question as the form gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionInput {
    pub text: String,
    pub help: String,
    pub kind: KindChoice,
    pub required: bool,
    /// Labels of the options (choices) or the items (grid), in order.
    pub options: Vec<String>,
    /// The label of an "Autre, précisez" answer, for choices.
    pub other: Option<String>,
    /// Options in an order drawn per respondent.
    pub shuffle: bool,
    /// Bounds of a scale (whole numbers) or a number.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// What the ends of a scale mean ("jamais", "très souvent").
    pub min_label: String,
    pub max_label: String,
    pub condition: ConditionChoice,
}

impl Default for QuestionInput {
    fn default() -> Self {
        Self {
            text: String::new(),
            help: String::new(),
            kind: KindChoice::Single,
            required: false,
            options: Vec::new(),
            other: None,
            shuffle: false,
            min: None,
            max: None,
            min_label: String::new(),
            max_label: String::new(),
            condition: ConditionChoice::Always,
        }
    }
}

/// The form field a problem concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Text,
    Options,
    Min,
    Max,
    Condition,
    Kind,
}

/// What is wrong with a question as typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// No question has this identifier (any more).
    UnknownQuestion,
    EmptyText,
    /// A choice question or a grid without any option.
    NoOptions,
    /// The same label twice.
    DuplicateOption(String),
    /// A scale without both ends.
    ScaleBounds,
    /// A scale end, or an integer bound, with decimals.
    NotWhole,
    /// A scale whose top is not above its bottom, or number bounds in the
    /// wrong order.
    BoundsOrder,
    /// A scale of more than 101 points.
    ScaleTooLong,
    /// The condition names no earlier choice question, or an answer it
    /// does not offer.
    UnknownCondition,
    /// A later question (its number) is shown on an answer this change
    /// takes away (its label).
    AnswerInUse {
        question: usize,
        label: String,
    },
    /// A later question (its number) is shown on a test this type of
    /// question cannot answer.
    KindInUse {
        question: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    pub field: Field,
    pub problem: Problem,
}

/// Why a question cannot be moved or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownQuestion,
    /// Its condition reads this question (number), which must stay before.
    ReadsEarlier {
        question: usize,
    },
    /// This question (number) is shown according to it: it must stay
    /// before, and cannot go.
    ReadBy {
        question: usize,
    },
}

/// Up or down one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// A questionnaire with no question yet.
pub fn blank(id: &str, title: &str) -> Questionnaire {
    Questionnaire {
        id: id.to_string(),
        title: title.to_string(),
        description: None,
        questions: Vec::new(),
    }
}

/// Whether it can be put online: at least one question.
pub fn ready(q: &Questionnaire) -> bool {
    !q.questions.is_empty()
}

/// Adds a question at the end; returns its identifier.
pub fn add(q: &mut Questionnaire, input: &QuestionInput) -> Result<String, Vec<FieldProblem>> {
    let id = new_id(q);
    let question = build(q, q.questions.len(), &id, None, input)?;
    q.questions.push(question);
    Ok(id)
}

/// Replaces question `id` with what the form gives; codes of options whose
/// label is unchanged are kept, so conditions reading them still hold.
pub fn replace(
    q: &mut Questionnaire,
    id: &str,
    input: &QuestionInput,
) -> Result<(), Vec<FieldProblem>> {
    let Some(index) = q.index_of(id) else {
        return Err(vec![problem(Field::Text, Problem::UnknownQuestion)]);
    };
    let old = q.questions[index].clone();
    let question = build(q, index, id, Some(&old), input)?;
    let broken = readers_broken_by(q, index, &old, &question);
    if !broken.is_empty() {
        return Err(broken);
    }
    q.questions[index] = question;
    Ok(())
}

/// Moves question `id` one place up or down, unless a condition would then
/// read a later question.
pub fn move_question(q: &mut Questionnaire, id: &str, direction: Direction) -> Result<(), Refusal> {
    let index = q.index_of(id).ok_or(Refusal::UnknownQuestion)?;
    let other = match direction {
        Direction::Up if index > 0 => index - 1,
        Direction::Down if index + 1 < q.questions.len() => index + 1,
        _ => return Ok(()),
    };
    let (first, second) = (index.min(other), index.max(other));
    if reads(&q.questions[second], &q.questions[first].id) {
        return Err(if second == index {
            Refusal::ReadsEarlier {
                question: first + 1,
            }
        } else {
            Refusal::ReadBy {
                question: second + 1,
            }
        });
    }
    q.questions.swap(first, second);
    Ok(())
}

/// Removes question `id`, unless another is shown according to it.
pub fn remove(q: &mut Questionnaire, id: &str) -> Result<(), Refusal> {
    let index = q.index_of(id).ok_or(Refusal::UnknownQuestion)?;
    if let Some(reader) = q.questions.iter().position(|other| reads(other, id)) {
        return Err(Refusal::ReadBy {
            question: reader + 1,
        });
    }
    q.questions.remove(index);
    Ok(())
}

/// The form's values for an existing question.
pub fn input_of(q: &Questionnaire, question: &Question) -> QuestionInput {
    let labels = |list: &[Choice]| list.iter().map(|c| c.label.clone()).collect();
    let mut input = QuestionInput {
        text: question.text.clone(),
        help: question.help.clone().unwrap_or_default(),
        kind: KindChoice::of(&question.kind),
        required: question.required,
        shuffle: question.shuffle,
        condition: match &question.show_if {
            None => ConditionChoice::Always,
            Some(c) => match (&c.test, q.question(&c.question).map(|t| &t.kind)) {
                (Test::AnyOf(codes), Some(Kind::Single { .. })) if codes.len() == 1 => {
                    ConditionChoice::Answer {
                        question: c.question.clone(),
                        code: codes[0].clone(),
                    }
                }
                (Test::Includes(code), Some(Kind::Multiple { .. })) => ConditionChoice::Answer {
                    question: c.question.clone(),
                    code: code.clone(),
                },
                _ => ConditionChoice::Keep,
            },
        },
        ..QuestionInput::default()
    };
    match &question.kind {
        Kind::Single { options, other } | Kind::Multiple { options, other } => {
            input.options = labels(options);
            input.other = other.clone();
        }
        Kind::Scale(scale) => set_scale(&mut input, scale),
        Kind::Grid { items, scale } => {
            input.options = labels(items);
            set_scale(&mut input, scale);
        }
        Kind::Integer { min, max } | Kind::Decimal { min, max } => {
            input.min = *min;
            input.max = *max;
        }
        Kind::Text => {}
    }
    input
}

fn set_scale(input: &mut QuestionInput, scale: &Scale) {
    input.min = Some(scale.min as f64);
    input.max = Some(scale.max as f64);
    input.min_label = scale.min_label.clone().unwrap_or_default();
    input.max_label = scale.max_label.clone().unwrap_or_default();
}

/// The questions a question at `index` may be shown according to: the
/// choice questions before it, with the answers they offer.
pub fn condition_targets(q: &Questionnaire, index: usize) -> Vec<(usize, &Question, Vec<Choice>)> {
    q.questions
        .iter()
        .enumerate()
        .take(index)
        .filter(|(_, t)| matches!(t.kind, Kind::Single { .. } | Kind::Multiple { .. }))
        .map(|(i, t)| (i + 1, t, t.kind.categories()))
        .collect()
}

/// A code for a label: letters and digits without accents, `_` between
/// words, at most 40 characters ("Je ne sais pas" → `je_ne_sais_pas`),
/// different from every code in `taken` and from `other`.
pub fn code_of(label: &str, taken: &HashSet<String>) -> String {
    let mut code = String::new();
    for c in label.nfd().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => code.push(c),
            'œ' => code.push_str("oe"),
            'æ' => code.push_str("ae"),
            c if unicode_normalization::char::is_combining_mark(c) => {}
            _ if !code.is_empty() && !code.ends_with('_') => code.push('_'),
            _ => {}
        }
    }
    let mut code: String = code.trim_end_matches('_').chars().take(40).collect();
    code = code.trim_end_matches('_').to_string();
    if code.is_empty() {
        code = "reponse".into();
    }
    let mut candidate = code.clone();
    let mut n = 2;
    while taken.contains(&candidate) || candidate == OTHER {
        candidate = format!("{code}_{n}");
        n += 1;
    }
    candidate
}

fn new_id(q: &Questionnaire) -> String {
    let mut n = q.questions.len() + 1;
    while q.question(&format!("q{n}")).is_some() {
        n += 1;
    }
    format!("q{n}")
}

fn reads(question: &Question, id: &str) -> bool {
    question.show_if.as_ref().is_some_and(|c| c.question == id)
}

fn problem(field: Field, problem: Problem) -> FieldProblem {
    FieldProblem { field, problem }
}

/// The question the input describes, at `index` (its condition may only
/// read a question before it), keeping the codes of `old`'s unchanged
/// labels.
fn build(
    q: &Questionnaire,
    index: usize,
    id: &str,
    old: Option<&Question>,
    input: &QuestionInput,
) -> Result<Question, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let text = input.text.trim();
    if text.is_empty() {
        problems.push(problem(Field::Text, Problem::EmptyText));
    }
    let old_choices = old.map_or_else(Vec::new, |o| match &o.kind {
        Kind::Grid { items, .. } => items.clone(),
        kind => kind.categories(),
    });
    let choices = choices(&input.options, &old_choices, &mut problems);
    if input.kind.has_options() && choices.is_empty() {
        problems.push(problem(Field::Options, Problem::NoOptions));
    }
    let other = input
        .other
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_string);
    let kind = match input.kind {
        KindChoice::Single => Some(Kind::Single {
            options: choices,
            other,
        }),
        KindChoice::Multiple => Some(Kind::Multiple {
            options: choices,
            other,
        }),
        KindChoice::Scale => scale(input, &mut problems).map(Kind::Scale),
        KindChoice::Grid => scale(input, &mut problems).map(|scale| Kind::Grid {
            items: choices,
            scale,
        }),
        KindChoice::Integer => {
            let (min, max) = bounds(input, true, &mut problems);
            Some(Kind::Integer { min, max })
        }
        KindChoice::Decimal => {
            let (min, max) = bounds(input, false, &mut problems);
            Some(Kind::Decimal { min, max })
        }
        KindChoice::Text => Some(Kind::Text),
    };
    let show_if = match &input.condition {
        ConditionChoice::Always => None,
        ConditionChoice::Keep => old.and_then(|o| o.show_if.clone()),
        ConditionChoice::Answer { question, code } => {
            let condition = condition(q, index, question, code);
            if condition.is_none() {
                problems.push(problem(Field::Condition, Problem::UnknownCondition));
            }
            condition
        }
    };
    match kind {
        Some(kind) if problems.is_empty() => Ok(Question {
            id: id.to_string(),
            text: text.to_string(),
            help: Some(input.help.trim().to_string()).filter(|h| !h.is_empty()),
            required: input.required,
            shuffle: input.shuffle && input.kind.has_options(),
            kind,
            show_if,
            line: old.map_or(0, |o| o.line),
        }),
        _ => Err(problems),
    }
}

/// The labels as options: codes of unchanged labels kept, new ones made.
fn choices(labels: &[String], old: &[Choice], problems: &mut Vec<FieldProblem>) -> Vec<Choice> {
    let labels: Vec<&str> = labels
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    let mut seen = HashSet::new();
    for label in &labels {
        if !seen.insert(label.to_lowercase()) {
            problems.push(problem(
                Field::Options,
                Problem::DuplicateOption(label.to_string()),
            ));
        }
    }
    let kept: Vec<Option<&Choice>> = labels
        .iter()
        .map(|label| old.iter().find(|c| c.label == *label && c.code != OTHER))
        .collect();
    let mut taken: HashSet<String> = kept.iter().flatten().map(|c| c.code.clone()).collect();
    labels
        .iter()
        .zip(kept)
        .map(|(label, kept)| match kept {
            Some(c) => c.clone(),
            None => {
                let code = code_of(label, &taken);
                taken.insert(code.clone());
                Choice {
                    code,
                    label: label.to_string(),
                }
            }
        })
        .collect()
}

fn scale(input: &QuestionInput, problems: &mut Vec<FieldProblem>) -> Option<Scale> {
    let (Some(lo), Some(hi)) = (input.min, input.max) else {
        let field = if input.min.is_none() {
            Field::Min
        } else {
            Field::Max
        };
        problems.push(problem(field, Problem::ScaleBounds));
        return None;
    };
    for (value, field) in [(lo, Field::Min), (hi, Field::Max)] {
        if value.fract() != 0.0 {
            problems.push(problem(field, Problem::NotWhole));
            return None;
        }
    }
    if lo >= hi {
        problems.push(problem(Field::Max, Problem::BoundsOrder));
        return None;
    }
    if hi - lo > 100.0 {
        problems.push(problem(Field::Max, Problem::ScaleTooLong));
        return None;
    }
    let label = |l: &str| Some(l.trim().to_string()).filter(|l| !l.is_empty());
    Some(Scale {
        min: lo as i64,
        max: hi as i64,
        min_label: label(&input.min_label),
        max_label: label(&input.max_label),
    })
}

fn bounds(
    input: &QuestionInput,
    integer: bool,
    problems: &mut Vec<FieldProblem>,
) -> (Option<f64>, Option<f64>) {
    if integer {
        for (value, field) in [(input.min, Field::Min), (input.max, Field::Max)] {
            if value.is_some_and(|v| v.fract() != 0.0) {
                problems.push(problem(field, Problem::NotWhole));
            }
        }
    }
    if let (Some(lo), Some(hi)) = (input.min, input.max)
        && lo > hi
    {
        problems.push(problem(Field::Max, Problem::BoundsOrder));
    }
    (input.min, input.max)
}

/// "Shown when the answer to `question` is (or includes) `code`", if that
/// question comes before `index` and offers that answer.
fn condition(q: &Questionnaire, index: usize, question: &str, code: &str) -> Option<Condition> {
    let (_, target, answers) = condition_targets(q, index)
        .into_iter()
        .find(|(_, t, _)| t.id == question)?;
    answers.iter().find(|c| c.code == code)?;
    let test = match target.kind {
        Kind::Multiple { .. } => Test::Includes(code.to_string()),
        _ => Test::AnyOf(vec![code.to_string()]),
    };
    Some(Condition {
        question: question.to_string(),
        test,
    })
}

/// The later questions whose condition the new version of question
/// `index` no longer answers.
fn readers_broken_by(
    q: &Questionnaire,
    index: usize,
    old: &Question,
    new: &Question,
) -> Vec<FieldProblem> {
    let codes: HashSet<String> = new.kind.categories().into_iter().map(|c| c.code).collect();
    let label_of = |code: &str| {
        old.kind
            .categories()
            .into_iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.label)
    };
    let mut problems = Vec::new();
    for (i, reader) in q.questions.iter().enumerate().skip(index + 1) {
        let Some(c) = reader.show_if.as_ref().filter(|c| c.question == old.id) else {
            continue;
        };
        let fits = matches!(
            (&c.test, &new.kind),
            (Test::AnyOf(_), Kind::Single { .. })
                | (Test::Includes(_), Kind::Multiple { .. })
                | (
                    Test::AtLeast(_) | Test::AtMost(_),
                    Kind::Scale(_) | Kind::Integer { .. } | Kind::Decimal { .. },
                )
        );
        if !fits {
            problems.push(problem(Field::Kind, Problem::KindInUse { question: i + 1 }));
            continue;
        }
        let named: Vec<&String> = match &c.test {
            Test::AnyOf(list) => list.iter().collect(),
            Test::Includes(code) => vec![code],
            _ => Vec::new(),
        };
        if let Some(missing) = named.into_iter().find(|code| !codes.contains(*code)) {
            problems.push(problem(
                Field::Options,
                Problem::AnswerInUse {
                    question: i + 1,
                    label: label_of(missing),
                },
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(text: &str, options: &[&str]) -> QuestionInput {
        QuestionInput {
            text: text.into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            ..QuestionInput::default()
        }
    }

    /// What the TOML carries is what was built.
    fn round_trip(q: &Questionnaire) {
        let text = q.to_toml(&Default::default());
        let mut back =
            Questionnaire::parse_draft(&text, "built").unwrap_or_else(|e| panic!("{e}\n{text}"));
        let mut q = q.clone();
        q.questions.iter_mut().for_each(|q| q.line = 0);
        back.questions.iter_mut().for_each(|q| q.line = 0);
        assert_eq!(back, q);
    }

    #[test]
    fn four_questions_with_a_condition_round_trip() {
        let mut q = blank("essai", "Essai");
        assert!(!ready(&q));
        round_trip(&q);
        let first = add(
            &mut q,
            &choice("Êtes-vous accompagné·e ?", &["Oui", "Non", "Œuvre d’art"]),
        )
        .unwrap();
        assert_eq!(first, "q1");
        let codes: Vec<String> = q.questions[0]
            .kind
            .categories()
            .into_iter()
            .map(|c| c.code)
            .collect();
        assert_eq!(codes, ["oui", "non", "oeuvre_d_art"]);
        let mut why = choice("Pourquoi ?", &["Trop loin", "Pas le temps"]);
        why.kind = KindChoice::Multiple;
        why.other = Some("Autre, précisez".into());
        why.condition = ConditionChoice::Answer {
            question: "q1".into(),
            code: "non".into(),
        };
        add(&mut q, &why).unwrap();
        let scale = QuestionInput {
            text: "Satisfaction".into(),
            kind: KindChoice::Scale,
            min: Some(1.0),
            max: Some(5.0),
            min_label: "pas du tout".into(),
            ..QuestionInput::default()
        };
        add(&mut q, &scale).unwrap();
        let age = QuestionInput {
            text: "Âge".into(),
            kind: KindChoice::Integer,
            min: Some(15.0),
            required: true,
            ..QuestionInput::default()
        };
        add(&mut q, &age).unwrap();
        assert!(ready(&q));
        assert_eq!(
            q.questions[1].show_if,
            Some(Condition {
                question: "q1".into(),
                test: Test::AnyOf(vec!["non".into()])
            })
        );
        round_trip(&q);
        assert_eq!(input_of(&q, &q.questions[1]), why);
    }

    #[test]
    fn problems_name_their_field() {
        let mut q = blank("essai", "Essai");
        let bad = QuestionInput {
            text: " ".into(),
            options: vec!["Oui".into(), "oui".into()],
            ..QuestionInput::default()
        };
        let problems = add(&mut q, &bad).unwrap_err();
        assert!(problems.contains(&problem(Field::Text, Problem::EmptyText)));
        assert!(problems.contains(&problem(
            Field::Options,
            Problem::DuplicateOption("oui".into())
        )));
        let no_options = add(&mut q, &choice("Vraiment ?", &["", "  "])).unwrap_err();
        assert_eq!(
            no_options,
            vec![problem(Field::Options, Problem::NoOptions)]
        );
        let scale = QuestionInput {
            text: "Note".into(),
            kind: KindChoice::Scale,
            min: Some(5.0),
            max: Some(1.0),
            ..QuestionInput::default()
        };
        assert_eq!(
            add(&mut q, &scale).unwrap_err(),
            vec![problem(Field::Max, Problem::BoundsOrder)]
        );
        let mut later = choice("Ensuite ?", &["Oui"]);
        later.condition = ConditionChoice::Answer {
            question: "q9".into(),
            code: "oui".into(),
        };
        assert_eq!(
            add(&mut q, &later).unwrap_err(),
            vec![problem(Field::Condition, Problem::UnknownCondition)]
        );
        assert!(q.questions.is_empty(), "nothing half-added");
    }

    #[test]
    fn conditions_keep_their_order_and_their_answers() {
        let mut q = blank("essai", "Essai");
        add(&mut q, &choice("Accompagné·e ?", &["Oui", "Non"])).unwrap();
        let mut why = choice("Pourquoi pas ?", &["Trop loin"]);
        why.condition = ConditionChoice::Answer {
            question: "q1".into(),
            code: "non".into(),
        };
        add(&mut q, &why).unwrap();
        add(&mut q, &choice("Autre chose ?", &["Oui"])).unwrap();
        assert_eq!(
            move_question(&mut q, "q2", Direction::Up),
            Err(Refusal::ReadsEarlier { question: 1 })
        );
        assert_eq!(
            move_question(&mut q, "q1", Direction::Down),
            Err(Refusal::ReadBy { question: 2 })
        );
        assert_eq!(remove(&mut q, "q1"), Err(Refusal::ReadBy { question: 2 }));
        move_question(&mut q, "q3", Direction::Up).unwrap();
        let order: Vec<&str> = q.questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(order, ["q1", "q3", "q2"]);
        move_question(&mut q, "q1", Direction::Up).unwrap();
        assert_eq!(q.questions[0].id, "q1", "the first stays first");
        // A label fixed keeps the others' codes; removing "Non" breaks q2.
        let edited = choice("Accompagné·e ?", &["Oui, souvent", "Non"]);
        replace(&mut q, "q1", &edited).unwrap();
        assert_eq!(q.questions[0].kind.categories()[1].code, "non");
        let removed = choice("Accompagné·e ?", &["Oui, souvent"]);
        assert_eq!(
            replace(&mut q, "q1", &removed).unwrap_err(),
            vec![problem(
                Field::Options,
                Problem::AnswerInUse {
                    question: 3,
                    label: "Non".into()
                }
            )]
        );
        let text = QuestionInput {
            text: "Accompagné·e ?".into(),
            kind: KindChoice::Text,
            ..QuestionInput::default()
        };
        assert_eq!(
            replace(&mut q, "q1", &text).unwrap_err(),
            vec![problem(Field::Kind, Problem::KindInUse { question: 3 })]
        );
        remove(&mut q, "q2").unwrap();
        remove(&mut q, "q1").unwrap();
        assert_eq!(q.questions.len(), 1);
        round_trip(&q);
    }

    #[test]
    fn built_in_conditions_the_form_cannot_write_are_kept() {
        let mut q = crate::templates::load("esc-rennes-professionnels")
            .unwrap()
            .unwrap();
        let index = q
            .questions
            .iter()
            .position(|x| matches!(&x.show_if, Some(c) if matches!(&c.test, Test::AnyOf(l) if l.len() > 1)))
            .unwrap();
        let question = q.questions[index].clone();
        let mut input = input_of(&q, &question);
        assert_eq!(input.condition, ConditionChoice::Keep);
        input.text = format!("{} (modifiée)", input.text);
        replace(&mut q, &question.id, &input).unwrap();
        assert_eq!(q.questions[index].show_if, question.show_if);
        round_trip(&q);
    }

    #[test]
    fn codes_are_plain_and_distinct() {
        let taken: HashSet<String> = ["oui".to_string()].into();
        assert_eq!(code_of("Oui", &taken), "oui_2");
        assert_eq!(
            code_of("Élève / étudiant·e", &HashSet::new()),
            "eleve_etudiant_e"
        );
        assert_eq!(code_of("?!", &HashSet::new()), "reponse");
        assert_eq!(code_of("Other", &HashSet::new()), "other_2");
    }
}
