//! Responses for SPSS, PSPP or R (`haven`/`foreign` read the same): a
//! syntax file (`.sps`) that reads a fixed-column data file (`.dat`) with
//! `DATA LIST`, then names everything with `VARIABLE LABELS`, `VALUE
//! LABELS`, `MISSING VALUES` and `VARIABLE LEVEL`.
//!
//! One variable per column of our responses file (`responses::columns_of`),
//! named after it (`sites.caf` → `sites_caf`). Choices are numbers with
//! value labels: a single choice's options are numbered from 1 in the
//! questionnaire's order (their codes themselves when they are all whole
//! numbers), a multiple choice's options are 0/1 (not chosen / chosen),
//! scales and numbers are their values, texts are strings. Two user-missing
//! codes keep apart what our reports keep apart: -1 "Sans réponse" (shown,
//! not answered) and -2 "Non posée" (hidden by its condition); texts have
//! none. The data file is UTF-8, one line per respondent, columns counted
//! in bytes as SPSS and PSPP do; line breaks inside texts become spaces.

use std::collections::HashSet;
use std::fmt::Write;

use crate::questionnaire::{Kind, OTHER, Questionnaire};
use crate::responses::{Column, Responses};

/// Not answered although shown.
pub const NO_ANSWER: i64 = -1;
/// Hidden by the question's condition.
pub const NOT_ASKED: i64 = -2;

/// The two files.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub syntax: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Level {
    Nominal,
    Ordinal,
    Scale,
}

/// One SPSS variable.
#[derive(Debug, Clone)]
pub struct Variable {
    /// The SPSS name.
    pub name: String,
    /// Our column (`question` or `question.part`).
    pub column: String,
    pub label: String,
    /// Numeric values with labels; empty for strings and plain numbers.
    pub value_labels: Vec<(i64, String)>,
    pub string: bool,
    level: Level,
    /// One cell per respondent, as written in the data file.
    cells: Vec<String>,
    decimals: usize,
}

const RESERVED: &[&str] = &[
    "ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH",
];

/// An SPSS variable name for one of our columns: letters, digits and `_`,
/// starting with a letter, at most 64 bytes, not a reserved word, unique
/// without regard to case.
fn spss_name(column: &str, taken: &mut HashSet<String>) -> String {
    let mut name: String = column
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert(0, 'V');
    }
    while name.ends_with('_') {
        name.pop();
    }
    if RESERVED.contains(&name.to_uppercase().as_str()) {
        name.insert_str(0, "V_");
    }
    name.truncate(60);
    let mut candidate = name.clone();
    let mut n = 2;
    while !taken.insert(candidate.to_uppercase()) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    candidate
}

/// A text cut to `max` bytes at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A quoted SPSS string (`"…"`, inner quotes doubled), cut to `max` bytes.
fn quoted(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("\"{}\"", cut(&flat, max).replace('"', "\"\""))
}

fn number(v: f64, decimals: usize) -> String {
    if decimals == 0 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.decimals$}")
    }
}

fn decimals_of(values: &[Option<f64>], whole: bool) -> usize {
    if whole {
        return 0;
    }
    values
        .iter()
        .flatten()
        .map(|v| {
            let text = format!("{v}");
            text.split_once('.').map_or(0, |(_, d)| d.len())
        })
        .max()
        .unwrap_or(0)
        .min(6)
}

fn missing_labels() -> Vec<(i64, String)> {
    vec![
        (NO_ANSWER, "Sans réponse".to_string()),
        (NOT_ASKED, "Non posée".to_string()),
    ]
}

/// A scale's end labels and the missing codes.
fn scale_labels(scale: &crate::questionnaire::Scale) -> Vec<(i64, String)> {
    [
        scale.min_label.as_ref().map(|l| (scale.min, l.clone())),
        scale.max_label.as_ref().map(|l| (scale.max, l.clone())),
    ]
    .into_iter()
    .flatten()
    .chain(missing_labels())
    .collect()
}

/// The variables of a questionnaire's responses, in file order.
pub fn variables(q: &Questionnaire, r: &Responses) -> Vec<Variable> {
    let mut taken = HashSet::new();
    let mut out = Vec::new();
    let n = r.respondents;
    let status = |qi: usize, row: usize| -> Option<i64> {
        if !r.shown(q, qi, row) {
            Some(NOT_ASKED)
        } else if !r.columns[qi].answered(row) {
            Some(NO_ANSWER)
        } else {
            None
        }
    };
    for (qi, question) in q.questions.iter().enumerate() {
        let mut var = |column: String, label: String| Variable {
            name: spss_name(&column, &mut taken),
            column,
            label,
            value_labels: Vec::new(),
            string: false,
            level: Level::Nominal,
            cells: Vec::with_capacity(n),
            decimals: 0,
        };
        let text_var = |mut v: Variable, texts: &[Option<String>]| {
            v.string = true;
            v.cells = texts
                .iter()
                .map(|t| {
                    t.as_deref()
                        .unwrap_or("")
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect()
                })
                .collect();
            v
        };
        match (&question.kind, &r.columns[qi]) {
            (Kind::Single { .. }, Column::Single { values, other }) => {
                let categories = question.kind.categories();
                let numeric: Option<Vec<i64>> = categories
                    .iter()
                    .filter(|c| c.code != OTHER)
                    .map(|c| c.code.parse::<i64>().ok().filter(|v| *v >= 0))
                    .collect();
                let numeric = numeric
                    .filter(|codes| codes.iter().collect::<HashSet<_>>().len() == codes.len());
                let value_of = |i: usize| -> i64 {
                    match &numeric {
                        Some(codes) => codes
                            .get(i)
                            .copied()
                            .unwrap_or_else(|| codes.iter().max().map_or(1, |m| m + 1)),
                        None => i as i64 + 1,
                    }
                };
                let mut v = var(question.id.clone(), question.text.clone());
                v.value_labels = categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (value_of(i), c.label.clone()))
                    .chain(missing_labels())
                    .collect();
                v.cells = (0..n)
                    .map(|row| match status(qi, row) {
                        Some(code) => code.to_string(),
                        None => {
                            values[row].map_or(String::new(), |i| value_of(i as usize).to_string())
                        }
                    })
                    .collect();
                out.push(v);
                if let Kind::Single {
                    other: Some(label), ..
                } = &question.kind
                {
                    let v = var(
                        format!("{}.{OTHER}", question.id),
                        format!("{} : {label} (précisez)", question.text),
                    );
                    out.push(text_var(v, other));
                }
            }
            (
                Kind::Multiple {
                    other: other_label, ..
                },
                Column::Multiple { chosen, other, .. },
            ) => {
                for (k, c) in question.kind.categories().iter().enumerate() {
                    let mut v = var(
                        format!("{}.{}", question.id, c.code),
                        format!("{} : {}", question.text, c.label),
                    );
                    v.value_labels = [(0, "Non coché".to_string()), (1, "Coché".to_string())]
                        .into_iter()
                        .chain(missing_labels())
                        .collect();
                    v.cells = (0..n)
                        .map(|row| match status(qi, row) {
                            Some(code) => code.to_string(),
                            None => u8::from(chosen[k][row]).to_string(),
                        })
                        .collect();
                    out.push(v);
                }
                if let Some(label) = other_label {
                    let v = var(
                        format!("{}.{OTHER}_texte", question.id),
                        format!("{} : {label} (précisez)", question.text),
                    );
                    out.push(text_var(v, other));
                }
            }
            (Kind::Scale(scale), Column::Number(values)) => {
                let mut v = var(question.id.clone(), question.text.clone());
                v.level = Level::Ordinal;
                v.value_labels = scale_labels(scale);
                v.cells = (0..n)
                    .map(|row| match status(qi, row) {
                        Some(code) => code.to_string(),
                        None => values[row].map_or(String::new(), |x| number(x, 0)),
                    })
                    .collect();
                out.push(v);
            }
            (Kind::Grid { items, scale }, Column::Grid(columns)) => {
                for (k, item) in items.iter().enumerate() {
                    let mut v = var(
                        format!("{}.{}", question.id, item.code),
                        format!("{} : {}", question.text, item.label),
                    );
                    v.level = Level::Ordinal;
                    v.value_labels = scale_labels(scale);
                    v.cells = (0..n)
                        .map(|row| {
                            if !r.shown(q, qi, row) {
                                return NOT_ASKED.to_string();
                            }
                            columns[k][row].map_or(NO_ANSWER.to_string(), |x| number(x, 0))
                        })
                        .collect();
                    out.push(v);
                }
            }
            (Kind::Integer { .. } | Kind::Decimal { .. }, Column::Number(values)) => {
                let mut v = var(question.id.clone(), question.text.clone());
                v.level = Level::Scale;
                v.decimals = decimals_of(values, matches!(question.kind, Kind::Integer { .. }));
                v.value_labels = missing_labels();
                let decimals = v.decimals;
                v.cells = (0..n)
                    .map(|row| match status(qi, row) {
                        Some(code) => code.to_string(),
                        None => values[row].map_or(String::new(), |x| number(x, decimals)),
                    })
                    .collect();
                out.push(v);
            }
            (Kind::Text, Column::Text(texts)) => {
                let v = var(question.id.clone(), question.text.clone());
                out.push(text_var(v, texts));
            }
            _ => unreachable!("columns are built from the question kinds"),
        }
    }
    out
}

/// The syntax and the data file for `q`'s responses; `data_file` is the
/// data file's name as the syntax reads it (put both in one folder).
pub fn export(q: &Questionnaire, r: &Responses, data_file: &str) -> Export {
    let vars = variables(q, r);
    let widths: Vec<usize> = vars
        .iter()
        .map(|v| {
            v.cells
                .iter()
                .map(|c| c.len())
                .max()
                .unwrap_or(0)
                .clamp(1, 32767)
        })
        .collect();
    let mut data = Vec::new();
    for row in 0..r.respondents {
        for (v, width) in vars.iter().zip(&widths) {
            let cell = &v.cells[row];
            if v.string {
                data.extend_from_slice(cell.as_bytes());
                data.extend(std::iter::repeat_n(b' ', width - cell.len()));
            } else {
                data.extend(std::iter::repeat_n(b' ', width - cell.len()));
                data.extend_from_slice(cell.as_bytes());
            }
        }
        data.push(b'\n');
    }

    let mut s = String::new();
    let _ = writeln!(s, "* Encoding: UTF-8.");
    let _ = writeln!(
        s,
        "* {} : {} réponses, exportées par Passerelle.",
        cut(&q.title, 200),
        r.respondents
    );
    let _ = writeln!(
        s,
        "* Placez ce fichier et {data_file} dans le même dossier, ouvrez-le dans SPSS ou PSPP et exécutez-le."
    );
    let _ = writeln!(
        s,
        "* Valeurs manquantes : {NO_ANSWER} = sans réponse, {NOT_ASKED} = question non posée (condition).\n"
    );
    let _ = write!(
        s,
        "DATA LIST FILE={} ENCODING='UTF8' FIXED RECORDS=1\n  /",
        quoted(data_file, 1000).replace('"', "'")
    );
    let mut column = 1;
    let mut line_len = 3;
    for (v, width) in vars.iter().zip(&widths) {
        let spec = format!(
            "{} {}-{}{}",
            v.name,
            column,
            column + width - 1,
            if v.string {
                " (A)".to_string()
            } else if v.decimals > 0 {
                format!(" ({})", v.decimals)
            } else {
                String::new()
            }
        );
        if line_len + spec.len() > 78 {
            s.push_str("\n   ");
            line_len = 3;
        }
        s.push(' ');
        s.push_str(&spec);
        line_len += spec.len() + 1;
        column += width;
    }
    s.push_str(".\n\n");

    s.push_str("VARIABLE LABELS");
    for (i, v) in vars.iter().enumerate() {
        let _ = write!(
            s,
            "{}\n  {} {}",
            if i == 0 { "" } else { " /" },
            v.name,
            quoted(&v.label, 250)
        );
    }
    s.push_str(".\n\n");

    let labelled: Vec<&Variable> = vars.iter().filter(|v| !v.value_labels.is_empty()).collect();
    if !labelled.is_empty() {
        s.push_str("VALUE LABELS");
        for (i, v) in labelled.iter().enumerate() {
            let _ = write!(s, "{}\n  {}", if i == 0 { "" } else { " /" }, v.name);
            for (value, label) in &v.value_labels {
                let _ = write!(s, "\n    {value} {}", quoted(label, 120));
            }
        }
        s.push_str(".\n\n");
    }

    let numeric: Vec<&str> = vars
        .iter()
        .filter(|v| !v.string)
        .map(|v| v.name.as_str())
        .collect();
    if !numeric.is_empty() {
        s.push_str("MISSING VALUES");
        wrap(&mut s, &numeric);
        let _ = writeln!(s, " ({NO_ANSWER}, {NOT_ASKED}).\n");
    }

    let mut levels = Vec::new();
    for (level, word) in [
        (Level::Nominal, "NOMINAL"),
        (Level::Ordinal, "ORDINAL"),
        (Level::Scale, "SCALE"),
    ] {
        let names: Vec<&str> = vars
            .iter()
            .filter(|v| !v.string && v.level == level)
            .map(|v| v.name.as_str())
            .collect();
        if !names.is_empty() {
            let mut part = String::new();
            wrap(&mut part, &names);
            levels.push(format!("{part} ({word})"));
        }
    }
    if !levels.is_empty() {
        let _ = writeln!(s, "VARIABLE LEVEL{}.\n", levels.join(" /"));
    }
    s.push_str("EXECUTE.\n");
    Export { syntax: s, data }
}

/// Names after a command, a few per line.
fn wrap(s: &mut String, names: &[&str]) {
    let mut len = 78;
    for name in names {
        if len + name.len() > 76 {
            s.push_str("\n  ");
            len = 2;
        }
        s.push(' ');
        s.push_str(name);
        len += name.len() + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_spss_names() {
        let mut taken = HashSet::new();
        assert_eq!(spss_name("sites.caf", &mut taken), "sites_caf");
        assert_eq!(spss_name("2023-q", &mut taken), "V2023_q");
        assert_eq!(spss_name("to", &mut taken), "V_to");
        assert_eq!(spss_name("SITES.caf", &mut taken), "SITES_caf_2");
        assert_eq!(cut("éé", 3), "é");
        assert_eq!(quoted("dit \"oui\"\n", 100), "\"dit \"\"oui\"\" \"");
    }
}
