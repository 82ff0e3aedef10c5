//! Responses: one column of answers per question (what the analysis reads),
//! and the CSV file of responses, one row per respondent, in the shape
//! LimeSurvey-like tools export:
//!
//! | question type | columns | cell |
//! |---|---|---|
//! | single | `id` (+ `id.other` with `other`) | option code (or exact label), `other` |
//! | multiple | `id.code` per option (+ `id.other`) | `1`/`0` (also `Y`/`N`, `oui`/`non`); `id.other`: the text, non-empty = chosen |
//! | scale | `id` | whole number within the bounds |
//! | grid | `id.item` per item | whole number within the scale |
//! | integer, decimal | `id` | number (decimal comma accepted) within the bounds |
//! | text | `id` | free text |
//!
//! An empty cell is no answer; for a multiple choice, all its cells empty.
//! Columns may come in any order, separated by `,` or `;` (recognised from
//! the header). A file is read whole before anything is returned: all or
//! nothing, with every problem named by line and column.

use std::fmt;
use std::io::{Read, Write};

use crate::questionnaire::{Kind, OTHER, Question, Questionnaire, Test};

/// The answers to one question, one entry per respondent.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Index into the question's categories (options, then "other").
    Single {
        values: Vec<Option<u32>>,
        other: Vec<Option<String>>,
    },
    /// `chosen[category][respondent]`; `answered[respondent]`.
    Multiple {
        answered: Vec<bool>,
        chosen: Vec<Vec<bool>>,
        other: Vec<Option<String>>,
    },
    /// Scale, integer and decimal answers.
    Number(Vec<Option<f64>>),
    /// `items[item][respondent]`.
    Grid(Vec<Vec<Option<f64>>>),
    Text(Vec<Option<String>>),
}

/// All responses to one questionnaire.
#[derive(Debug, Clone, PartialEq)]
pub struct Responses {
    pub respondents: usize,
    /// One per question, in the questionnaire's order.
    pub columns: Vec<Column>,
}

/// One problem in a responses file.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub column: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    pub source: String,
    pub errors: Vec<CellError>,
    /// More problems than listed were found.
    pub truncated: bool,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{} : ligne {}, colonne « {} » : {}",
                self.source, e.line, e.column, e.message
            )?;
        }
        if self.truncated {
            write!(
                f,
                "\n{} : d’autres problèmes suivent ; corrigez d’abord ceux-ci",
                self.source
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportError {}

impl ImportError {
    /// A file refused for one problem.
    pub fn one(source: &str, line: usize, column: &str, message: String) -> Self {
        ImportError {
            source: source.to_string(),
            errors: vec![CellError {
                line,
                column: column.to_string(),
                message,
            }],
            truncated: false,
        }
    }
}

/// The file's columns for a questionnaire, in export order.
pub fn columns_of(questionnaire: &Questionnaire) -> Vec<String> {
    let mut names = Vec::new();
    for q in &questionnaire.questions {
        match &q.kind {
            Kind::Single { other, .. } => {
                names.push(q.id.clone());
                if other.is_some() {
                    names.push(format!("{}.{OTHER}", q.id));
                }
            }
            Kind::Multiple { options, other } => {
                names.extend(options.iter().map(|o| format!("{}.{}", q.id, o.code)));
                if other.is_some() {
                    names.push(format!("{}.{OTHER}", q.id));
                }
            }
            Kind::Grid { items, .. } => {
                names.extend(items.iter().map(|i| format!("{}.{}", q.id, i.code)));
            }
            _ => names.push(q.id.clone()),
        }
    }
    names
}

impl Column {
    fn empty(kind: &Kind, n: usize) -> Column {
        match kind {
            Kind::Single { .. } => Column::Single {
                values: Vec::with_capacity(n),
                other: Vec::with_capacity(n),
            },
            Kind::Multiple { .. } => Column::Multiple {
                answered: Vec::with_capacity(n),
                chosen: vec![Vec::with_capacity(n); kind.categories().len()],
                other: Vec::with_capacity(n),
            },
            Kind::Grid { items, .. } => Column::Grid(vec![Vec::with_capacity(n); items.len()]),
            Kind::Text => Column::Text(Vec::with_capacity(n)),
            _ => Column::Number(Vec::with_capacity(n)),
        }
    }

    /// Forgets respondent `row`'s answer.
    fn clear(&mut self, row: usize) {
        match self {
            Column::Single { values, other } => {
                values[row] = None;
                other[row] = None;
            }
            Column::Multiple {
                answered,
                chosen,
                other,
            } => {
                answered[row] = false;
                for list in chosen.iter_mut() {
                    list[row] = false;
                }
                other[row] = None;
            }
            Column::Number(v) => v[row] = None,
            Column::Grid(items) => items.iter_mut().for_each(|i| i[row] = None),
            Column::Text(v) => v[row] = None,
        }
    }

    /// Whether respondent `row` answered (any item of a grid counts).
    pub fn answered(&self, row: usize) -> bool {
        match self {
            Column::Single { values, .. } => values[row].is_some(),
            Column::Multiple { answered, .. } => answered[row],
            Column::Number(v) => v[row].is_some(),
            Column::Grid(items) => items.iter().any(|i| i[row].is_some()),
            Column::Text(v) => v[row].is_some(),
        }
    }
}

impl Responses {
    /// The respondents at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Responses {
        fn pick<T: Clone>(v: &[T], rows: &[usize]) -> Vec<T> {
            rows.iter().map(|&i| v[i].clone()).collect()
        }
        let columns = self
            .columns
            .iter()
            .map(|c| match c {
                Column::Single { values, other } => Column::Single {
                    values: pick(values, rows),
                    other: pick(other, rows),
                },
                Column::Multiple {
                    answered,
                    chosen,
                    other,
                } => Column::Multiple {
                    answered: pick(answered, rows),
                    chosen: chosen.iter().map(|c| pick(c, rows)).collect(),
                    other: pick(other, rows),
                },
                Column::Number(v) => Column::Number(pick(v, rows)),
                Column::Grid(items) => Column::Grid(items.iter().map(|i| pick(i, rows)).collect()),
                Column::Text(v) => Column::Text(pick(v, rows)),
            })
            .collect();
        Responses {
            respondents: rows.len(),
            columns,
        }
    }

    /// Whether question `index` was shown to respondent `row`: no
    /// condition, or the condition holds on an answer itself shown.
    pub fn shown(&self, questionnaire: &Questionnaire, index: usize, row: usize) -> bool {
        shown_in(&self.columns, questionnaire, index, row)
    }
}

/// Where each file column goes: question index and part.
#[derive(Clone, Copy)]
enum Part {
    Whole,
    Category(usize),
    Other,
    Item(usize),
}

fn parse_number(cell: &str) -> Option<f64> {
    let cell = cell.trim();
    cell.parse::<f64>()
        .ok()
        .or_else(|| cell.replacen(',', ".", 1).parse().ok())
        .filter(|v: &f64| v.is_finite())
}

fn parse_flag(cell: &str) -> Option<bool> {
    match cell.trim().to_lowercase().as_str() {
        "1" | "y" | "oui" | "yes" | "true" => Some(true),
        "0" | "n" | "non" | "no" | "false" => Some(false),
        _ => None,
    }
}

fn bounds_message(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("entre {a} et {b}"),
        (Some(a), None) => format!("au moins {a}"),
        (None, Some(b)) => format!("au plus {b}"),
        (None, None) => "un nombre".to_string(),
    }
}

fn number_in(cell: &str, min: Option<f64>, max: Option<f64>, whole: bool) -> Result<f64, String> {
    let expected = if whole {
        "un nombre entier"
    } else {
        "un nombre"
    };
    let v = parse_number(cell).ok_or_else(|| format!("« {cell} » n’est pas {expected}"))?;
    if whole && v.fract() != 0.0 {
        return Err(format!("« {cell} » n’est pas {expected}"));
    }
    if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
        return Err(format!(
            "{cell} est hors limites : attendu {}",
            bounds_message(min, max)
        ));
    }
    Ok(v)
}

const MAX_ERRORS: usize = 100;

/// The physical line (1-based) of a record starting at byte `offset`: the
/// csv crate's own count is one short on CRLF files (LimeSurvey writes
/// them); a record may start on the previous one's `\r\n`.
pub(crate) fn physical_line(bytes: &[u8], offset: u64) -> usize {
    let mut offset = (offset as usize).min(bytes.len());
    if bytes.get(offset) == Some(&b'\r') {
        offset += 1;
    }
    if bytes.get(offset) == Some(&b'\n') {
        offset += 1;
    }
    bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

/// Reads a responses file. `source` names it in messages.
pub fn read_csv(
    questionnaire: &Questionnaire,
    mut input: impl Read,
    source: &str,
) -> Result<Responses, ImportError> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::one(source, 1, "-", format!("illisible : {e}")))?;
    // LimeSurvey's export (an `id` column and its other metadata): its
    // metadata set aside, its headings and answers mapped.
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let first = body.split(|&b| b == b'\n').next().unwrap_or_default();
    let header: Vec<String> = String::from_utf8_lossy(first)
        .split([',', ';'])
        .map(|h| h.trim().trim_matches('"').to_string())
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    if crate::limesurvey::is_limesurvey_header(&header) {
        return crate::limesurvey::read_responses(questionnaire, &bytes, source).map(|(r, _)| r);
    }
    read(questionnaire, bytes.as_slice(), source, Hidden::Refuse)
}

/// What to do with an answer to a question its condition hides.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hidden {
    /// A file saying both is contradictory: an error.
    Refuse,
    /// A form filled without JavaScript shows every question: the answer
    /// is dropped, as the respondent's other answers made it moot.
    Drop,
}

fn read(
    questionnaire: &Questionnaire,
    mut input: impl Read,
    source: &str,
    hidden: Hidden,
) -> Result<Responses, ImportError> {
    let mut text = Vec::new();
    let fail =
        |line, column: &str, message: String| ImportError::one(source, line, column, message);
    input
        .read_to_end(&mut text)
        .map_err(|e| fail(1, "-", format!("illisible : {e}")))?;
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.contains(&b';') && !first_line.contains(&b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_slice());
    let header = reader
        .headers()
        .map_err(|e| fail(1, "-", format!("en-tête illisible : {e}")))?
        .clone();
    let mut errors = Vec::new();
    let mut truncated = false;
    let mut push = |errors: &mut Vec<CellError>, line, column: &str, message: String| {
        if errors.len() < MAX_ERRORS {
            errors.push(CellError {
                line,
                column: column.to_string(),
                message,
            });
        } else {
            truncated = true;
        }
    };
    // Map every file column to a question and part.
    let mut targets: Vec<(usize, Part)> = Vec::with_capacity(header.len());
    let expected = columns_of(questionnaire);
    for name in header.iter() {
        let name = name.trim().trim_start_matches('\u{feff}');
        match locate(questionnaire, name) {
            Some(t) => targets.push(t),
            None => push(
                &mut errors,
                1,
                name,
                format!(
                    "colonne inconnue : pas une question de {} (colonnes attendues : {})",
                    questionnaire.id,
                    expected.join(", ")
                ),
            ),
        }
    }
    let present: Vec<&str> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}'))
        .collect();
    for name in &expected {
        if !present.contains(&name.as_str()) {
            push(&mut errors, 1, name, "colonne manquante".to_string());
        }
    }
    for (i, name) in present.iter().enumerate() {
        if present[..i].contains(name) {
            push(
                &mut errors,
                1,
                name,
                "colonne présente deux fois".to_string(),
            );
        }
    }
    if !errors.is_empty() {
        return Err(ImportError {
            source: source.to_string(),
            errors,
            truncated,
        });
    }
    let qs = &questionnaire.questions;
    let mut columns: Vec<Column> = qs.iter().map(|q| Column::empty(&q.kind, 0)).collect();
    let categories: Vec<Vec<String>> = qs
        .iter()
        .map(|q| q.kind.categories().into_iter().map(|c| c.code).collect())
        .collect();
    let labels: Vec<Vec<String>> = qs
        .iter()
        .map(|q| q.kind.categories().into_iter().map(|c| c.label).collect())
        .collect();
    let mut respondents = 0;
    let mut record = csv::StringRecord::new();
    // Per-row scratch: the cells of each question, by part.
    let mut cells: Vec<Vec<(Part, usize)>> = vec![Vec::new(); qs.len()];
    for (col, &(q, part)) in targets.iter().enumerate() {
        cells[q].push((part, col));
    }
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e
                    .position()
                    .map_or(respondents + 2, |p| physical_line(&text, p.byte()));
                push(&mut errors, line, "-", format!("CSV mal formé : {e}"));
                break;
            }
        }
        let line = record
            .position()
            .map_or(respondents + 2, |p| physical_line(&text, p.byte()));
        let row = respondents;
        respondents += 1;
        for (qi, q) in qs.iter().enumerate() {
            let mut problems = Vec::new();
            store_row(
                q,
                &cells[qi],
                &record,
                &header,
                &categories[qi],
                &labels[qi],
                &mut columns[qi],
                &mut problems,
            );
            for (column, message) in problems {
                push(&mut errors, line, &column, message);
            }
        }
        // Conditions: an answer to a question its condition hides is a
        // contradiction in the file, not something to count.
        for (qi, q) in qs.iter().enumerate() {
            if let Some(condition) = &q.show_if
                && columns[qi].answered(row)
                && !shown_in(&columns, questionnaire, qi, row)
            {
                if hidden == Hidden::Drop {
                    columns[qi].clear(row);
                    continue;
                }
                push(
                    &mut errors,
                    line,
                    &q.id,
                    format!(
                        "réponse à une question masquée : elle n’est posée que si {} {}",
                        condition.question,
                        describe(&condition.test)
                    ),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(Responses {
            respondents,
            columns,
        })
    } else {
        Err(ImportError {
            source: source.to_string(),
            errors,
            truncated,
        })
    }
}

/// Whether question `index` was shown to respondent `row`, from the
/// columns read so far (conditions only look at earlier questions).
fn shown_in(columns: &[Column], questionnaire: &Questionnaire, index: usize, row: usize) -> bool {
    let Some(condition) = &questionnaire.questions[index].show_if else {
        return true;
    };
    let Some(target) = questionnaire.index_of(&condition.question) else {
        return false;
    };
    if !shown_in(columns, questionnaire, target, row) {
        return false;
    }
    let categories = questionnaire.questions[target].kind.categories();
    let code_index = |code: &str| categories.iter().position(|c| c.code == code);
    match (&condition.test, &columns[target]) {
        (Test::AnyOf(codes), Column::Single { values, .. }) => {
            values[row].is_some_and(|v| codes.iter().any(|c| code_index(c) == Some(v as usize)))
        }
        (Test::Includes(code), Column::Multiple { chosen, .. }) => {
            code_index(code).is_some_and(|i| chosen[i][row])
        }
        (Test::AtLeast(x), Column::Number(v)) => v[row].is_some_and(|v| v >= *x),
        (Test::AtMost(x), Column::Number(v)) => v[row].is_some_and(|v| v <= *x),
        _ => false,
    }
}

fn describe(test: &Test) -> String {
    match test {
        Test::AnyOf(codes) if codes.len() == 1 => format!("= {}", codes[0]),
        Test::AnyOf(codes) => format!("parmi {}", codes.join(", ")),
        Test::Includes(code) => format!("comprend {code}"),
        Test::AtLeast(x) => format!(">= {x}"),
        Test::AtMost(x) => format!("<= {x}"),
    }
}

fn locate(questionnaire: &Questionnaire, name: &str) -> Option<(usize, Part)> {
    if let Some(i) = questionnaire.index_of(name) {
        return match questionnaire.questions[i].kind {
            Kind::Multiple { .. } | Kind::Grid { .. } => None,
            _ => Some((i, Part::Whole)),
        };
    }
    let (id, sub) = name.split_once('.')?;
    let i = questionnaire.index_of(id)?;
    match &questionnaire.questions[i].kind {
        Kind::Single { other: Some(_), .. } if sub == OTHER => Some((i, Part::Other)),
        Kind::Multiple { options, other } => {
            if sub == OTHER && other.is_some() {
                Some((i, Part::Other))
            } else {
                options
                    .iter()
                    .position(|o| o.code == sub)
                    .map(|k| (i, Part::Category(k)))
            }
        }
        Kind::Grid { items, .. } => items
            .iter()
            .position(|o| o.code == sub)
            .map(|k| (i, Part::Item(k))),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn store_row(
    q: &Question,
    cells: &[(Part, usize)],
    record: &csv::StringRecord,
    header: &csv::StringRecord,
    codes: &[String],
    labels: &[String],
    column: &mut Column,
    problems: &mut Vec<(String, String)>,
) {
    // A cell the shared writer neutralised comes back as it was.
    let cell = |col: usize| passerelle_csv::restore(record.get(col).unwrap_or("")).trim();
    let name = |col: usize| header.get(col).unwrap_or("").trim().to_string();
    match (column, &q.kind) {
        (Column::Single { values, other }, Kind::Single { .. }) => {
            let mut value = None;
            let mut text = None;
            for &(part, col) in cells {
                let c = cell(col);
                match part {
                    Part::Other if !c.is_empty() => text = Some(c.to_string()),
                    Part::Whole if !c.is_empty() => {
                        match codes
                            .iter()
                            .position(|k| k == c)
                            .or_else(|| labels.iter().position(|l| l == c))
                        {
                            Some(i) => value = Some(i as u32),
                            None => problems.push((
                                name(col),
                                format!(
                                    "« {c} » n’est pas un code de réponse (attendu : {})",
                                    codes.join(", ")
                                ),
                            )),
                        }
                    }
                    _ => {}
                }
            }
            let other_index = codes.iter().position(|k| k == OTHER);
            if value.is_none() && text.is_some() {
                value = other_index.map(|i| i as u32);
            }
            values.push(value);
            other.push(text);
        }
        (
            Column::Multiple {
                answered,
                chosen,
                other,
            },
            Kind::Multiple { .. },
        ) => {
            let mut any = false;
            let mut text = None;
            let other_index = codes.iter().position(|k| k == OTHER);
            let row = answered.len();
            for list in chosen.iter_mut() {
                list.push(false);
            }
            for &(part, col) in cells {
                let c = cell(col);
                if c.is_empty() {
                    continue;
                }
                match part {
                    Part::Category(k) => match parse_flag(c) {
                        Some(flag) => {
                            any = true;
                            chosen[k][row] = flag;
                        }
                        None => problems
                            .push((name(col), format!("« {c} » n’est ni 1 ni 0 (coché ou non)"))),
                    },
                    Part::Other => {
                        any = true;
                        text = Some(c.to_string());
                        if let Some(k) = other_index {
                            chosen[k][row] = true;
                        }
                    }
                    _ => {}
                }
            }
            answered.push(any);
            other.push(text);
        }
        (Column::Number(values), kind) => {
            let (min, max, whole) = match kind {
                Kind::Scale(s) => (Some(s.min as f64), Some(s.max as f64), true),
                Kind::Integer { min, max } => (*min, *max, true),
                Kind::Decimal { min, max } => (*min, *max, false),
                _ => (None, None, false),
            };
            let mut value = None;
            for &(_, col) in cells {
                let c = cell(col);
                if !c.is_empty() {
                    match number_in(c, min, max, whole) {
                        Ok(v) => value = Some(v),
                        Err(message) => problems.push((name(col), message)),
                    }
                }
            }
            values.push(value);
        }
        (Column::Grid(items), Kind::Grid { scale, .. }) => {
            let row = items.first().map_or(0, Vec::len);
            for list in items.iter_mut() {
                list.push(None);
            }
            for &(part, col) in cells {
                let c = cell(col);
                if let (Part::Item(k), false) = (part, c.is_empty()) {
                    match number_in(c, Some(scale.min as f64), Some(scale.max as f64), true) {
                        Ok(v) => items[k][row] = Some(v),
                        Err(message) => problems.push((name(col), message)),
                    }
                }
            }
        }
        (Column::Text(values), _) => {
            let c = cells.first().map(|&(_, col)| cell(col)).unwrap_or("");
            values.push((!c.is_empty()).then(|| c.to_string()));
        }
        _ => unreachable!("columns are built from the question kinds"),
    }
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The cells of respondent `row`, in `columns_of` order, as the file
/// writes them (codes, `1`/`0`, `.` decimals; empty for no answer).
fn row_record(questionnaire: &Questionnaire, responses: &Responses, row: usize) -> Vec<String> {
    let mut cells = Vec::new();
    for (q, column) in questionnaire.questions.iter().zip(&responses.columns) {
        match column {
            Column::Single { values, other } => {
                let codes = q.kind.categories();
                cells.push(values[row].map_or(String::new(), |v| codes[v as usize].code.clone()));
                if matches!(q.kind, Kind::Single { other: Some(_), .. }) {
                    cells.push(other[row].clone().unwrap_or_default());
                }
            }
            Column::Multiple {
                answered,
                chosen,
                other,
            } => {
                let options = match &q.kind {
                    Kind::Multiple { options, .. } => options.len(),
                    _ => 0,
                };
                for list in &chosen[..options] {
                    cells.push(match (answered[row], list[row]) {
                        (false, _) => String::new(),
                        (true, true) => "1".to_string(),
                        (true, false) => "0".to_string(),
                    });
                }
                if chosen.len() > options {
                    cells.push(other[row].clone().unwrap_or_default());
                }
            }
            Column::Number(values) => {
                cells.push(values[row].map(format_number).unwrap_or_default())
            }
            Column::Grid(items) => cells.extend(
                items
                    .iter()
                    .map(|i| i[row].map(format_number).unwrap_or_default()),
            ),
            Column::Text(values) => cells.push(values[row].clone().unwrap_or_default()),
        }
    }
    cells
}

/// Respondent `row`'s non-empty cells by column name: what to store for a
/// response checked by `read_one` (answers it dropped are not there).
pub fn row_cells(
    questionnaire: &Questionnaire,
    responses: &Responses,
    row: usize,
) -> std::collections::BTreeMap<String, String> {
    columns_of(questionnaire)
        .into_iter()
        .zip(row_record(questionnaire, responses, row))
        .filter(|(_, cell)| !cell.is_empty())
        .collect()
}

/// Writes responses in the file format `read_csv` reads (codes, `1`/`0`,
/// `.` decimals), columns in questionnaire order, through the shared
/// writer: an answer a spreadsheet would run as a formula starts with `'`,
/// which `read_csv` takes away again.
pub fn write_csv(
    questionnaire: &Questionnaire,
    responses: &Responses,
    output: impl Write,
) -> Result<(), passerelle_csv::Error> {
    let mut writer = passerelle_csv::Writer::from_writer(output);
    writer.write_record(columns_of(questionnaire))?;
    for row in 0..responses.respondents {
        writer.write_record(row_record(questionnaire, responses, row))?;
    }
    writer.flush()?;
    Ok(())
}

/// One respondent's answers given as cells (column → text, as a form
/// posts them; absent columns are empty), checked as a file row would be,
/// except that answers to questions hidden by the other answers are
/// dropped (a form without JavaScript shows them all). Errors name the
/// column; their line is 2.
pub fn read_one<'a>(
    questionnaire: &Questionnaire,
    cells: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Responses, ImportError> {
    let columns = columns_of(questionnaire);
    let mut row = vec![String::new(); columns.len()];
    let mut unknown = Vec::new();
    for (name, value) in cells {
        match columns.iter().position(|c| c == name) {
            Some(i) => row[i] = value.to_string(),
            None => unknown.push(CellError {
                line: 2,
                column: name.to_string(),
                message: "pas une question de ce questionnaire".to_string(),
            }),
        }
    }
    if !unknown.is_empty() {
        return Err(ImportError {
            source: questionnaire.id.clone(),
            errors: unknown,
            truncated: false,
        });
    }
    let mut text = Vec::new();
    {
        let mut writer = passerelle_csv::Writer::from_writer(&mut text);
        // Writing to memory cannot fail.
        writer.write_record(&columns).expect("writing to memory");
        writer.write_record(&row).expect("writing to memory");
        writer.flush().expect("writing to memory");
    }
    read(
        questionnaire,
        text.as_slice(),
        &questionnaire.id,
        Hidden::Drop,
    )
}

/// The required questions respondent `row` was shown and did not answer.
pub fn missing_required<'q>(
    questionnaire: &'q Questionnaire,
    responses: &Responses,
    row: usize,
) -> Vec<&'q Question> {
    questionnaire
        .questions
        .iter()
        .enumerate()
        .filter(|(i, q)| {
            q.required
                && responses.shown(questionnaire, *i, row)
                && !responses.columns[*i].answered(row)
        })
        .map(|(_, q)| q)
        .collect()
}
