//! The questions of a survey as its public form shows them: choices in
//! each respondent's order, scales and grids as points, numbers with their
//! bounds, the condition in words (and, for `web/src/enquetes.js`, the
//! question it reads and the test), the answers given so far and the
//! errors next to each question.

use std::collections::BTreeMap;

use passerelle_accounts::secret::hash_secret;
use passerelle_store::surveys::Survey;
use passerelle_surveys::Questionnaire;
use passerelle_surveys::questionnaire::{
    Choice, Kind, OTHER, Question, Scale, Test, presentation_order,
};

use crate::auth::Viewer;
use crate::fr;

pub struct Point {
    pub value: String,
    pub checked: bool,
}

pub struct ChoiceView {
    pub name: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct ItemView {
    pub name: String,
    pub label: String,
    pub points: Vec<Point>,
}

/// One question as the form shows it.
pub struct QuestionView {
    pub id: String,
    pub number: usize,
    pub text: String,
    pub help: String,
    pub required: bool,
    /// Let the browser insist too: required and unconditional (a
    /// conditional question may not apply, and without the script it is
    /// shown anyway). A group of check boxes cannot say "at least one" in
    /// HTML; the server does.
    pub browser_required: bool,
    pub kind: &'static str,
    pub choices: Vec<ChoiceView>,
    /// "Autre, précisez": (label, field name, value).
    pub other: Option<(String, String, String)>,
    pub points: Vec<Point>,
    pub min_label: String,
    pub max_label: String,
    pub items: Vec<ItemView>,
    pub value: String,
    /// Bounds of a number, or of a scale (shown with its end labels).
    pub min: String,
    pub max: String,
    /// When the question applies, in words, and for the script: the
    /// question it depends on and the test (`any:a b`, `includes:c`,
    /// `min:5`, `max:5`).
    pub condition: String,
    pub depends_on: String,
    pub test: String,
    pub errors: Vec<String>,
}

/// "Si à la question 4 vous avez répondu « Non »".
pub fn condition_text(q: &Questionnaire, question: &Question) -> (String, String, String) {
    let Some(condition) = &question.show_if else {
        return Default::default();
    };
    let Some(index) = q.index_of(&condition.question) else {
        return Default::default();
    };
    let target = &q.questions[index];
    let label = |code: &str| {
        target
            .kind
            .categories()
            .into_iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.label)
    };
    let (words, test) = match &condition.test {
        Test::AnyOf(codes) => (
            codes
                .iter()
                .map(|c| format!("« {} »", label(c)))
                .collect::<Vec<_>>()
                .join(" ou "),
            format!("any:{}", codes.join(" ")),
        ),
        Test::Includes(code) => (format!("« {} »", label(code)), format!("includes:{code}")),
        Test::AtLeast(x) => (
            format!("au moins {}", fr::decimal(*x, 2)),
            format!("min:{x}"),
        ),
        Test::AtMost(x) => (
            format!("au plus {}", fr::decimal(*x, 2)),
            format!("max:{x}"),
        ),
    };
    (
        format!(
            "Seulement si vous avez répondu {words} à la question {}.",
            index + 1
        ),
        condition.question.clone(),
        test,
    )
}

/// A number shuffling a question's options for this respondent: stable
/// across reloads of one visit (from the CSRF value), different between
/// respondents.
fn respondent_seed(viewer: &Viewer, question: &str) -> u64 {
    let digest = hash_secret(&format!("{}:{question}", viewer.csrf));
    u64::from_str_radix(&digest[..16], 16).unwrap_or(0)
}

/// Every question of the survey as the form shows it, with the answers
/// given so far (`cells`) and the errors per column.
pub fn views(
    survey: &Survey,
    viewer: &Viewer,
    cells: &BTreeMap<String, String>,
    errors: &[(String, String)],
) -> Vec<QuestionView> {
    survey
        .questionnaire
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| question_view(survey, viewer, i, q, cells, errors))
        .collect()
}

fn question_view(
    survey: &Survey,
    viewer: &Viewer,
    i: usize,
    q: &Question,
    cells: &BTreeMap<String, String>,
    errors: &[(String, String)],
) -> QuestionView {
    let get = |name: &str| cells.get(name).cloned().unwrap_or_default();
    let (condition, depends_on, test) = condition_text(&survey.questionnaire, q);
    let order = |n: usize| presentation_order(q, n, respondent_seed(viewer, &q.id));
    let mut view = QuestionView {
        id: q.id.clone(),
        number: i + 1,
        text: q.text.clone(),
        help: q.help.clone().unwrap_or_default(),
        required: q.required,
        browser_required: q.required && q.show_if.is_none(),
        kind: q.kind.name(),
        choices: Vec::new(),
        other: None,
        points: Vec::new(),
        min_label: String::new(),
        max_label: String::new(),
        items: Vec::new(),
        value: get(&q.id),
        min: String::new(),
        max: String::new(),
        condition,
        depends_on,
        test,
        errors: errors
            .iter()
            .filter(|(column, _)| column == &q.id || column.starts_with(&format!("{}.", q.id)))
            .map(|(_, message)| message.clone())
            .collect(),
    };
    match &q.kind {
        Kind::Single { options, other } | Kind::Multiple { options, other } => {
            let multiple = matches!(q.kind, Kind::Multiple { .. });
            view.choices = order(options.len())
                .into_iter()
                .map(|k| choice_view(&q.id, &options[k], multiple, &get))
                .collect();
            if let Some(label) = other {
                let name = format!("{}.{OTHER}", q.id);
                view.other = Some((label.clone(), name.clone(), get(&name)));
            }
        }
        Kind::Scale(scale) => {
            set_scale(&mut view, scale);
            view.points = points(&get(&q.id), scale.min, scale.max);
        }
        Kind::Grid { items, scale } => {
            set_scale(&mut view, scale);
            view.items = order(items.len())
                .into_iter()
                .map(|k| {
                    let name = format!("{}.{}", q.id, items[k].code);
                    ItemView {
                        points: points(&get(&name), scale.min, scale.max),
                        label: items[k].label.clone(),
                        name,
                    }
                })
                .collect();
        }
        Kind::Integer { min, max } | Kind::Decimal { min, max } => {
            view.min = min.map(|v| v.to_string()).unwrap_or_default();
            view.max = max.map(|v| v.to_string()).unwrap_or_default();
        }
        Kind::Text => {}
    }
    view
}

fn choice_view(
    question: &str,
    option: &Choice,
    multiple: bool,
    get: &dyn Fn(&str) -> String,
) -> ChoiceView {
    let name = if multiple {
        format!("{question}.{}", option.code)
    } else {
        question.to_string()
    };
    ChoiceView {
        checked: if multiple {
            get(&name) == "1"
        } else {
            get(&name) == option.code
        },
        name,
        value: if multiple {
            "1".into()
        } else {
            option.code.clone()
        },
        label: option.label.clone(),
    }
}

fn set_scale(view: &mut QuestionView, scale: &Scale) {
    view.min_label = scale.min_label.clone().unwrap_or_default();
    view.max_label = scale.max_label.clone().unwrap_or_default();
    view.min = scale.min.to_string();
    view.max = scale.max.to_string();
}

/// The points of a scale, the one answered checked.
fn points(current: &str, min: i64, max: i64) -> Vec<Point> {
    (min..=max)
        .map(|v| Point {
            checked: current == v.to_string(),
            value: v.to_string(),
        })
        .collect()
}
