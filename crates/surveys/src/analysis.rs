//! From a questionnaire and its responses to a report: every question's
//! flat sort, the crosstabs asked for, and the group comparisons (t or
//! ANOVA with LSD letters). The report serialises to the JSON documented in
//! `docs/questionnaires.md`; `render` turns it into the seeds' tables.
//!
//! Variables are named as the responses file's columns: `id` for a single
//! choice, a scale or a number; `id.code` for one option of a multiple
//! choice (answered "Oui"/"Non") or one item of a grid.

use std::borrow::Cow;

use serde::Serialize;

use crate::linear::{MultivariateTest, Ols, manova, ols};
use crate::questionnaire::{Choice, Kind, Questionnaire};
use crate::responses::{Column, Responses};
use crate::stats::{
    ChiSquare, FisherExact, Moments, Summary, TTest, anova, chi_square, cohens_d, fisher_exact,
    letters, lsd, mark, student, summarize, welch,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Compare every numeric variable and cross every categorical one by
    /// this variable.
    pub by: Option<String>,
    /// Crosstabs (rows, columns).
    pub cross: Vec<(String, String)>,
    /// Group comparisons (numeric variable, grouping variable).
    pub compare: Vec<(String, String)>,
    /// Linear regressions (dependent variable, predictors).
    pub regress: Vec<(String, Vec<String>)>,
    /// One-way MANOVAs (dependent variables, grouping variable).
    pub manova: Vec<(Vec<String>, String)>,
    /// Threshold of the LSD letters.
    pub alpha: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            by: None,
            cross: Vec::new(),
            compare: Vec::new(),
            regress: Vec::new(),
            manova: Vec::new(),
            alpha: 0.05,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub questionnaire: String,
    pub title: String,
    pub respondents: usize,
    pub questions: Vec<QuestionTable>,
    pub crosstabs: Vec<Crosstab>,
    pub comparisons: Vec<Comparison>,
    pub regressions: Vec<Regression>,
    pub manovas: Vec<ManovaReport>,
}

/// OLS of a numeric variable on numeric and categorical predictors, on the
/// respondents who answered all of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regression {
    pub dependent: String,
    pub predictors: Vec<String>,
    /// Categorical predictors: the reference level of each (`name=label`).
    pub references: Vec<String>,
    /// Respondents left out for a missing value.
    pub missing: usize,
    #[serde(flatten)]
    pub fit: Option<Ols>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManovaGroup {
    pub value: String,
    pub n: usize,
    /// One mean per dependent variable.
    pub means: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManovaReport {
    pub variables: Vec<String>,
    pub by: String,
    pub n: usize,
    pub missing: usize,
    pub groups: Vec<ManovaGroup>,
    pub pillai: Option<MultivariateTest>,
    pub wilks: Option<MultivariateTest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frequency {
    /// The answer's label.
    pub value: String,
    pub code: String,
    pub count: usize,
    /// Of the respondents who answered the question.
    pub percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemTable {
    /// `question.item`, usable as a variable.
    pub id: String,
    pub label: String,
    pub n: usize,
    pub missing: usize,
    #[serde(flatten)]
    pub summary: Option<Summary>,
}

/// The flat sort of one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionTable {
    pub id: String,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Respondents who answered.
    pub n: usize,
    /// Respondents shown the question who did not answer it.
    pub missing: usize,
    /// Respondents to whom its condition hid the question.
    pub not_shown: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequencies: Option<Vec<Frequency>>,
    /// Multiple choice: sum of the percentages (over 100 % by nature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_percent: Option<f64>,
    #[serde(flatten)]
    pub summary: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemTable>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crosstab {
    pub row_variable: String,
    pub row_text: String,
    pub col_variable: String,
    pub col_text: String,
    /// Row and column labels.
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    pub counts: Vec<Vec<u64>>,
    pub row_totals: Vec<u64>,
    pub col_totals: Vec<u64>,
    pub n: u64,
    /// Respondents without an answer to one of the two questions.
    pub missing: usize,
    /// Percentages of the grand total, of the row, of the column (`None`
    /// for an empty row or column).
    pub percent_total: Vec<Vec<f64>>,
    pub percent_row: Vec<Vec<Option<f64>>>,
    pub percent_col: Vec<Vec<Option<f64>>>,
    pub chi2: Option<f64>,
    pub df: Option<usize>,
    pub p: Option<f64>,
    /// Expected counts under independence; `None` for empty rows/columns,
    /// which the test leaves out.
    pub expected: Option<Vec<Vec<Option<f64>>>>,
    pub cramers_v: Option<f64>,
    pub mark: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fisher: Option<FisherExact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub value: String,
    pub code: String,
    pub n: usize,
    pub mean: Option<f64>,
    pub std: Option<f64>,
    /// Compact letter display: groups sharing a letter do not differ.
    pub letters: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub question: String,
    pub question_text: String,
    pub by: String,
    pub by_text: String,
    /// "t" (Student, pooled; Welch alongside) for two groups, "anova"
    /// beyond; `None` when no test is possible (see `note`).
    pub test: Option<&'static str>,
    pub statistic: Option<f64>,
    /// `[df]` for t, `[between, within]` for F.
    pub df: Vec<f64>,
    pub p: Option<f64>,
    pub mark: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub welch: Option<TTest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cohens_d: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_squared: Option<f64>,
    /// Pairwise LSD p-values, groups in order (`None`: same or empty group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lsd: Option<Vec<Vec<Option<f64>>>>,
    pub groups: Vec<Group>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A variable with categories.
struct Categorical<'a> {
    name: String,
    text: String,
    levels: Vec<Choice>,
    values: Cow<'a, [Option<u32>]>,
}

struct Numeric<'a> {
    name: String,
    text: String,
    values: &'a [Option<f64>],
}

fn yes_no() -> Vec<Choice> {
    vec![
        Choice {
            code: "non".into(),
            label: "Non".into(),
        },
        Choice {
            code: "oui".into(),
            label: "Oui".into(),
        },
    ]
}

fn categorical<'a>(
    q: &'a Questionnaire,
    r: &'a Responses,
    name: &str,
) -> Result<Categorical<'a>, String> {
    let (id, sub) = match name.split_once('.') {
        Some((id, sub)) => (id, Some(sub)),
        None => (name, None),
    };
    let index = q
        .index_of(id)
        .ok_or_else(|| format!("{name}: no such question in {}", q.id))?;
    let question = &q.questions[index];
    match (&r.columns[index], &question.kind, sub) {
        (Column::Single { values, .. }, Kind::Single { .. }, None) => Ok(Categorical {
            name: name.to_string(),
            text: question.text.clone(),
            levels: question.kind.categories(),
            values: Cow::Borrowed(values),
        }),
        (
            Column::Multiple {
                answered, chosen, ..
            },
            Kind::Multiple { .. },
            Some(code),
        ) => {
            let categories = question.kind.categories();
            let k = categories
                .iter()
                .position(|c| c.code == code)
                .ok_or_else(|| format!("{name}: {code:?} is not an option of {id}"))?;
            let values = answered
                .iter()
                .zip(&chosen[k])
                .map(|(&a, &c)| a.then_some(c as u32))
                .collect();
            Ok(Categorical {
                name: name.to_string(),
                text: format!("{} {}", question.text, categories[k].label),
                levels: yes_no(),
                values: Cow::Owned(values),
            })
        }
        (Column::Number(values), Kind::Scale(scale), None) => Ok(Categorical {
            name: name.to_string(),
            text: question.text.clone(),
            levels: (scale.min..=scale.max)
                .map(|v| Choice {
                    code: v.to_string(),
                    label: v.to_string(),
                })
                .collect(),
            values: Cow::Owned(
                values
                    .iter()
                    .map(|v| v.map(|v| (v as i64 - scale.min) as u32))
                    .collect(),
            ),
        }),
        (_, kind, _) => Err(format!(
            "{name}: a {} question cannot be used as categories (use a single choice, a scale, or `question.option` of a multiple choice)",
            kind.name()
        )),
    }
}

fn numeric<'a>(q: &'a Questionnaire, r: &'a Responses, name: &str) -> Result<Numeric<'a>, String> {
    let (id, sub) = match name.split_once('.') {
        Some((id, sub)) => (id, Some(sub)),
        None => (name, None),
    };
    let index = q
        .index_of(id)
        .ok_or_else(|| format!("{name}: no such question in {}", q.id))?;
    let question = &q.questions[index];
    match (&r.columns[index], &question.kind, sub) {
        (Column::Number(values), _, None) => Ok(Numeric {
            name: name.to_string(),
            text: question.text.clone(),
            values,
        }),
        (Column::Grid(items), Kind::Grid { items: labels, .. }, Some(code)) => {
            let k = labels
                .iter()
                .position(|c| c.code == code)
                .ok_or_else(|| format!("{name}: {code:?} is not an item of {id}"))?;
            Ok(Numeric {
                name: name.to_string(),
                text: format!("{} {}", question.text, labels[k].label),
                values: &items[k],
            })
        }
        (_, kind, _) => Err(format!(
            "{name}: a {} question has no mean (use a scale, a number, or `question.item` of a grid)",
            kind.name()
        )),
    }
}

fn percent(count: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        count as f64 * 100.0 / n as f64
    }
}

/// The flat sort of question `index`.
pub fn flat_sort(q: &Questionnaire, r: &Responses, index: usize) -> QuestionTable {
    let question = &q.questions[index];
    let column = &r.columns[index];
    let shown: Vec<bool> = (0..r.respondents)
        .map(|row| r.shown(q, index, row))
        .collect();
    let not_shown = shown.iter().filter(|s| !**s).count();
    let n = (0..r.respondents)
        .filter(|&row| column.answered(row))
        .count();
    let mut table = QuestionTable {
        id: question.id.clone(),
        text: question.text.clone(),
        kind: question.kind.name(),
        n,
        missing: r.respondents - not_shown - n,
        not_shown,
        frequencies: None,
        total_percent: None,
        summary: None,
        items: None,
    };
    let categories = question.kind.categories();
    let frequencies = |counts: Vec<usize>| -> Vec<Frequency> {
        categories
            .iter()
            .zip(counts)
            .map(|(c, count)| Frequency {
                value: c.label.clone(),
                code: c.code.clone(),
                count,
                percent: percent(count, n),
            })
            .collect()
    };
    match column {
        Column::Single { values, .. } => {
            let mut counts = vec![0; categories.len()];
            for v in values.iter().flatten() {
                counts[*v as usize] += 1;
            }
            table.frequencies = Some(frequencies(counts));
        }
        Column::Multiple {
            answered, chosen, ..
        } => {
            let counts: Vec<usize> = chosen
                .iter()
                .map(|c| c.iter().zip(answered).filter(|(c, a)| **c && **a).count())
                .collect();
            let list = frequencies(counts);
            table.total_percent = Some(list.iter().map(|f| f.percent).sum());
            table.frequencies = Some(list);
        }
        Column::Number(values) => {
            let present: Vec<f64> = values.iter().flatten().copied().collect();
            table.summary = summarize(&present);
            if let Kind::Scale(scale) = &question.kind {
                let mut counts = vec![0; (scale.max - scale.min + 1) as usize];
                for v in &present {
                    counts[(*v as i64 - scale.min) as usize] += 1;
                }
                table.frequencies = Some(
                    counts
                        .into_iter()
                        .enumerate()
                        .map(|(i, count)| {
                            let value = (scale.min + i as i64).to_string();
                            Frequency {
                                value: value.clone(),
                                code: value,
                                count,
                                percent: percent(count, n),
                            }
                        })
                        .collect(),
                );
            }
        }
        Column::Grid(items) => {
            let Kind::Grid { items: labels, .. } = &question.kind else {
                unreachable!("a grid column belongs to a grid question")
            };
            table.items = Some(
                items
                    .iter()
                    .zip(labels)
                    .map(|(values, label)| {
                        let present: Vec<f64> = values.iter().flatten().copied().collect();
                        ItemTable {
                            id: format!("{}.{}", question.id, label.code),
                            label: label.label.clone(),
                            n: present.len(),
                            missing: r.respondents - not_shown - present.len(),
                            summary: summarize(&present),
                        }
                    })
                    .collect(),
            );
        }
        Column::Text(_) => {}
    }
    table
}

/// The crosstab of two categorical variables, with its tests.
pub fn crosstab(
    q: &Questionnaire,
    r: &Responses,
    rows: &str,
    cols: &str,
) -> Result<Crosstab, String> {
    let a = categorical(q, r, rows)?;
    let b = categorical(q, r, cols)?;
    Ok(crosstab_of(&a, &b))
}

fn crosstab_of(a: &Categorical, b: &Categorical) -> Crosstab {
    let (nr, nc) = (a.levels.len(), b.levels.len());
    let mut counts = vec![vec![0u64; nc]; nr];
    let mut missing = 0;
    for (x, y) in a.values.iter().zip(b.values.iter()) {
        match (x, y) {
            (Some(x), Some(y)) => counts[*x as usize][*y as usize] += 1,
            _ => missing += 1,
        }
    }
    let row_totals: Vec<u64> = counts.iter().map(|r| r.iter().sum()).collect();
    let col_totals: Vec<u64> = (0..nc).map(|j| counts.iter().map(|r| r[j]).sum()).collect();
    let n: u64 = row_totals.iter().sum();
    let share = |x: u64, total: u64| (total > 0).then(|| x as f64 * 100.0 / total as f64);
    let percent_total = counts
        .iter()
        .map(|r| r.iter().map(|&c| share(c, n).unwrap_or(0.0)).collect())
        .collect();
    let percent_row = counts
        .iter()
        .zip(&row_totals)
        .map(|(r, &t)| r.iter().map(|&c| share(c, t)).collect())
        .collect();
    let percent_col = counts
        .iter()
        .map(|r| {
            r.iter()
                .zip(&col_totals)
                .map(|(&c, &t)| share(c, t))
                .collect()
        })
        .collect();
    // The test runs on the non-empty rows and columns.
    let kept_rows: Vec<usize> = (0..nr).filter(|&i| row_totals[i] > 0).collect();
    let kept_cols: Vec<usize> = (0..nc).filter(|&j| col_totals[j] > 0).collect();
    let reduced: Vec<Vec<u64>> = kept_rows
        .iter()
        .map(|&i| kept_cols.iter().map(|&j| counts[i][j]).collect())
        .collect();
    let test: Option<ChiSquare> = chi_square(&reduced);
    let expected = test.as_ref().map(|t| {
        let mut full = vec![vec![None; nc]; nr];
        for (ri, &i) in kept_rows.iter().enumerate() {
            for (ci, &j) in kept_cols.iter().enumerate() {
                full[i][j] = Some(t.expected[ri][ci]);
            }
        }
        full
    });
    let fisher = (reduced.len() == 2 && reduced[0].len() == 2).then(|| {
        fisher_exact([
            [reduced[0][0], reduced[0][1]],
            [reduced[1][0], reduced[1][1]],
        ])
    });
    let mut warnings = Vec::new();
    if let Some(t) = &test {
        if t.small_expected > 0 {
            let cells = reduced.len() * reduced[0].len();
            warnings.push(format!(
                "{} cellule(s) sur {} ont un effectif théorique inférieur à 5 (minimum {:.2}){}",
                t.small_expected,
                cells,
                t.min_expected,
                if fisher.is_some() {
                    " : préférer le test exact de Fisher"
                } else if t.doubtful() {
                    " : le khi-deux n'est pas fiable"
                } else {
                    ""
                }
            ));
        }
    } else {
        warnings.push(
            "pas de test : il faut au moins deux lignes et deux colonnes non vides".to_string(),
        );
    }
    let empty: Vec<&str> = (0..nr)
        .filter(|i| !kept_rows.contains(i))
        .map(|i| a.levels[i].label.as_str())
        .chain(
            (0..nc)
                .filter(|j| !kept_cols.contains(j))
                .map(|j| b.levels[j].label.as_str()),
        )
        .collect();
    if !empty.is_empty() {
        warnings.push(format!(
            "modalités sans effectif, hors test : {}",
            empty.join(", ")
        ));
    }
    Crosstab {
        row_variable: a.name.clone(),
        row_text: a.text.clone(),
        col_variable: b.name.clone(),
        col_text: b.text.clone(),
        rows: a.levels.iter().map(|l| l.label.clone()).collect(),
        cols: b.levels.iter().map(|l| l.label.clone()).collect(),
        counts,
        row_totals,
        col_totals,
        n,
        missing,
        percent_total,
        percent_row,
        percent_col,
        chi2: test.as_ref().map(|t| t.statistic),
        df: test.as_ref().map(|t| t.df),
        p: test.as_ref().map(|t| t.p),
        expected,
        cramers_v: test.as_ref().map(|t| t.cramers_v),
        mark: test.as_ref().and_then(|t| mark(t.p)),
        fisher,
        warning: (!warnings.is_empty()).then(|| warnings.join(" ; ")),
    }
}

/// Means of a numeric variable across the groups of a categorical one.
pub fn compare(
    q: &Questionnaire,
    r: &Responses,
    question: &str,
    by: &str,
    alpha: f64,
) -> Result<Comparison, String> {
    let y = numeric(q, r, question)?;
    let g = categorical(q, r, by)?;
    Ok(compare_of(&y, &g, alpha))
}

fn compare_of(y: &Numeric, g: &Categorical, alpha: f64) -> Comparison {
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); g.levels.len()];
    for (v, level) in y.values.iter().zip(g.values.iter()) {
        if let (Some(v), Some(level)) = (v, level) {
            values[*level as usize].push(*v);
        }
    }
    let moments: Vec<Moments> = values.iter().map(|v| Moments::of(v)).collect();
    let mut comparison = Comparison {
        question: y.name.clone(),
        question_text: y.text.clone(),
        by: g.name.clone(),
        by_text: g.text.clone(),
        test: None,
        statistic: None,
        df: Vec::new(),
        p: None,
        mark: None,
        welch: None,
        cohens_d: None,
        eta_squared: None,
        lsd: None,
        groups: Vec::new(),
        note: None,
    };
    let present: Vec<usize> = (0..moments.len()).filter(|&i| moments[i].n > 0).collect();
    let mut group_letters = vec![String::new(); moments.len()];
    if present.len() < 2 {
        comparison.note = Some("pas de test : moins de deux groupes non vides".into());
    } else if let Some(a) = anova(&moments) {
        let p = lsd(&moments, &a);
        group_letters = letters(&p, alpha);
        if present.len() == 2 {
            let (x, z) = (moments[present[0]], moments[present[1]]);
            let t = student(x, z);
            comparison.test = t.map(|_| "t");
            comparison.statistic = t.map(|t| t.statistic);
            comparison.df = t.map(|t| vec![t.df]).unwrap_or_default();
            comparison.p = t.map(|t| t.p);
            comparison.welch = welch(x, z);
            comparison.cohens_d = cohens_d(x, z);
            if t.is_none() {
                comparison.note = Some("pas de test : un groupe a moins de deux valeurs".into());
                group_letters = vec![String::new(); moments.len()];
            }
        } else {
            comparison.test = Some("anova");
            comparison.statistic = Some(a.statistic);
            comparison.df = vec![a.df_between as f64, a.df_within as f64];
            comparison.p = Some(a.p);
            comparison.eta_squared = Some(a.eta_squared);
            comparison.lsd = Some(p);
        }
        comparison.mark = comparison.p.and_then(mark);
    } else {
        comparison.note = Some(
            "pas de test : aucune variance dans les groupes (réponses constantes) ou trop peu de réponses"
                .into(),
        );
    }
    if present.len() < moments.len() {
        let empty: Vec<&str> = (0..moments.len())
            .filter(|i| !present.contains(i))
            .map(|i| g.levels[i].label.as_str())
            .collect();
        let text = format!("groupes vides : {}", empty.join(", "));
        comparison.note = Some(match comparison.note.take() {
            Some(note) => format!("{note} ; {text}"),
            None => text,
        });
    }
    comparison.groups = g
        .levels
        .iter()
        .zip(&moments)
        .zip(group_letters)
        .map(|((level, m), letters)| Group {
            value: level.label.clone(),
            code: level.code.clone(),
            n: m.n,
            mean: (m.n > 0).then_some(m.mean),
            std: m.std(),
            letters,
        })
        .collect();
    comparison
}

/// Every categorical and numeric variable of a questionnaire, by name
/// (what `--cross`, `--compare` and `--by` accept).
pub fn variables(q: &Questionnaire) -> (Vec<String>, Vec<String>) {
    let (mut cat, mut num) = (Vec::new(), Vec::new());
    for question in &q.questions {
        match &question.kind {
            Kind::Single { .. } => cat.push(question.id.clone()),
            Kind::Multiple { .. } => cat.extend(
                question
                    .kind
                    .categories()
                    .iter()
                    .map(|c| format!("{}.{}", question.id, c.code)),
            ),
            Kind::Scale(_) | Kind::Integer { .. } | Kind::Decimal { .. } => {
                num.push(question.id.clone())
            }
            Kind::Grid { items, .. } => {
                num.extend(items.iter().map(|i| format!("{}.{}", question.id, i.code)))
            }
            Kind::Text => {}
        }
    }
    (cat, num)
}

/// The whole report. Errors name the variable that cannot be used.
pub fn analyze(q: &Questionnaire, r: &Responses, options: &Options) -> Result<Report, String> {
    let questions = (0..q.questions.len()).map(|i| flat_sort(q, r, i)).collect();
    let mut crosstabs = Vec::new();
    let mut comparisons = Vec::new();
    if let Some(by) = &options.by {
        let g = categorical(q, r, by)?;
        let by_question = by.split('.').next().unwrap_or(by);
        let (cat, num) = variables(q);
        for name in cat {
            if name.split('.').next() != Some(by_question) {
                crosstabs.push(crosstab_of(&categorical(q, r, &name)?, &g));
            }
        }
        for name in num {
            if name.split('.').next() != Some(by_question) {
                comparisons.push(compare_of(&numeric(q, r, &name)?, &g, options.alpha));
            }
        }
    }
    for (a, b) in &options.cross {
        crosstabs.push(crosstab(q, r, a, b)?);
    }
    for (y, g) in &options.compare {
        comparisons.push(compare(q, r, y, g, options.alpha)?);
    }
    let regressions = options
        .regress
        .iter()
        .map(|(y, xs)| regression(q, r, y, xs))
        .collect::<Result<_, _>>()?;
    let manovas = options
        .manova
        .iter()
        .map(|(ys, g)| manova_of(q, r, ys, g))
        .collect::<Result<_, _>>()?;
    Ok(Report {
        questionnaire: q.id.clone(),
        title: q.title.clone(),
        respondents: r.respondents,
        questions,
        crosstabs,
        comparisons,
        regressions,
        manovas,
    })
}

/// A predictor: numbers as they are; categories dummy-coded.
enum Predictor<'a> {
    Number(Numeric<'a>),
    Categories(Categorical<'a>),
}

fn predictor<'a>(
    q: &'a Questionnaire,
    r: &'a Responses,
    name: &str,
) -> Result<Predictor<'a>, String> {
    match numeric(q, r, name) {
        Ok(n) => Ok(Predictor::Number(n)),
        Err(_) => categorical(q, r, name)
            .map(Predictor::Categories)
            .map_err(|_| {
                format!(
                    "{name}: not a number, a scale, a grid item nor categories, so not a predictor"
                )
            }),
    }
}

/// OLS of `y` on `xs`, on the complete cases. Levels of a categorical
/// predictor absent from them are dropped; the first present is the
/// reference.
pub fn regression(
    q: &Questionnaire,
    r: &Responses,
    y: &str,
    xs: &[String],
) -> Result<Regression, String> {
    let dependent = numeric(q, r, y)?;
    let predictors: Vec<Predictor> = xs
        .iter()
        .map(|x| predictor(q, r, x))
        .collect::<Result<_, _>>()?;
    let complete: Vec<usize> = (0..r.respondents)
        .filter(|&i| {
            dependent.values[i].is_some()
                && predictors.iter().all(|p| match p {
                    Predictor::Number(n) => n.values[i].is_some(),
                    Predictor::Categories(c) => c.values[i].is_some(),
                })
        })
        .collect();
    let mut columns = Vec::new();
    let mut references = Vec::new();
    for p in &predictors {
        match p {
            Predictor::Number(n) => columns.push((
                n.name.clone(),
                complete
                    .iter()
                    .map(|&i| n.values[i].unwrap_or_default())
                    .collect(),
            )),
            Predictor::Categories(c) => {
                let present: Vec<usize> = (0..c.levels.len())
                    .filter(|&l| complete.iter().any(|&i| c.values[i] == Some(l as u32)))
                    .collect();
                if let Some(&first) = present.first() {
                    references.push(format!("{}={}", c.name, c.levels[first].label));
                }
                for &l in present.iter().skip(1) {
                    columns.push((
                        format!("{}[{}]", c.name, c.levels[l].code),
                        complete
                            .iter()
                            .map(|&i| f64::from(u8::from(c.values[i] == Some(l as u32))))
                            .collect(),
                    ));
                }
            }
        }
    }
    let values: Vec<f64> = complete
        .iter()
        .map(|&i| dependent.values[i].unwrap_or_default())
        .collect();
    let (fit, note) = match ols(&values, &columns) {
        Ok(fit) => (Some(fit), None),
        Err(e) => (None, Some(format!("pas de modèle : {e}"))),
    };
    Ok(Regression {
        dependent: dependent.name.clone(),
        predictors: xs.to_vec(),
        references,
        missing: r.respondents - complete.len(),
        fit,
        note,
    })
}

/// One-way MANOVA of numeric variables `ys` across the groups of `by`, on
/// the complete cases.
pub fn manova_of(
    q: &Questionnaire,
    r: &Responses,
    ys: &[String],
    by: &str,
) -> Result<ManovaReport, String> {
    let variables: Vec<Numeric> = ys
        .iter()
        .map(|y| numeric(q, r, y))
        .collect::<Result<_, _>>()?;
    let g = categorical(q, r, by)?;
    let complete: Vec<usize> = (0..r.respondents)
        .filter(|&i| g.values[i].is_some() && variables.iter().all(|v| v.values[i].is_some()))
        .collect();
    let rows: Vec<Vec<f64>> = complete
        .iter()
        .map(|&i| {
            variables
                .iter()
                .map(|v| v.values[i].unwrap_or_default())
                .collect()
        })
        .collect();
    let group: Vec<usize> = complete
        .iter()
        .map(|&i| g.values[i].unwrap_or_default() as usize)
        .collect();
    let groups = g
        .levels
        .iter()
        .enumerate()
        .map(|(l, level)| {
            let members: Vec<&Vec<f64>> = rows
                .iter()
                .zip(&group)
                .filter(|(_, k)| **k == l)
                .map(|(r, _)| r)
                .collect();
            ManovaGroup {
                value: level.label.clone(),
                n: members.len(),
                means: (0..variables.len())
                    .map(|j| {
                        members.iter().map(|r| r[j]).sum::<f64>() / members.len().max(1) as f64
                    })
                    .collect(),
            }
        })
        .collect();
    let (pillai, wilks, note) = match manova(&rows, &group, g.levels.len()) {
        Ok(m) => (Some(m.pillai), Some(m.wilks), None),
        Err(e) => (None, None, Some(format!("pas de test : {e}"))),
    };
    Ok(ManovaReport {
        variables: ys.to_vec(),
        by: by.to_string(),
        n: complete.len(),
        missing: r.respondents - complete.len(),
        groups,
        pillai,
        wilks,
        note,
    })
}

/// The respondents whose answer to the categorical `variable` is `code`
/// (a subgroup to analyse apart, e.g. `service` = `ccas`, or
/// `lieux.efs` = `oui`).
pub fn subgroup(
    q: &Questionnaire,
    r: &Responses,
    variable: &str,
    code: &str,
) -> Result<Responses, String> {
    let c = categorical(q, r, variable)?;
    let level = c
        .levels
        .iter()
        .position(|l| l.code == code)
        .ok_or_else(|| format!("{variable}: {code:?} is not one of its answers"))?
        as u32;
    let rows: Vec<usize> = (0..r.respondents)
        .filter(|&i| c.values[i] == Some(level))
        .collect();
    Ok(r.select(&rows))
}

/// Splits a formula "A+B~C+D" into its two sides' variables.
fn sides(text: &str) -> (Vec<String>, Vec<String>) {
    let terms = |side: &str| -> Vec<String> {
        side.split('+')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect()
    };
    text.split_once('~')
        .map(|(l, r)| (terms(l), terms(r)))
        .unwrap_or_default()
}

/// A regression written "Y~X1+X2".
pub fn regression_formula(text: &str) -> Result<(String, Vec<String>), String> {
    match sides(text) {
        (mut y, x) if y.len() == 1 && !x.is_empty() => Ok((y.remove(0), x)),
        _ => Err(format!("{text:?}: expected Y~X1+X2")),
    }
}

/// A MANOVA written "Y1+Y2+Y3~GROUPS".
pub fn manova_formula(text: &str) -> Result<(Vec<String>, String), String> {
    match sides(text) {
        (ys, mut g) if !ys.is_empty() && g.len() == 1 => Ok((ys, g.remove(0))),
        _ => Err(format!("{text:?}: expected Y1+Y2~GROUPS")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas() {
        assert_eq!(
            regression_formula("y ~ a + b.c"),
            Ok(("y".to_string(), vec!["a".to_string(), "b.c".to_string()]))
        );
        assert!(regression_formula("y+z~a").is_err());
        assert!(regression_formula("y").is_err());
        assert_eq!(
            manova_formula("y1+y2~g"),
            Ok((vec!["y1".to_string(), "y2".to_string()], "g".to_string()))
        );
        assert!(manova_formula("y1~g+h").is_err());
    }
}
