//! The results of a survey for the structure running it: a table of
//! contents, the builders (a crosstab, a comparison of means, a
//! regression, a MANOVA, a subgroup, publication mode) and the tables they
//! built right below them (the form sends the reader there), then one
//! table per question in the seeds' form with its bars. Variables are
//! checked here against the questionnaire, so every problem is said in
//! French next to its field.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use passerelle_store::surveys::Survey;
use passerelle_surveys::Questionnaire;
use passerelle_surveys::analysis::{
    Options, Report, analyze, manova_formula, regression_formula, subgroup, variables,
};
use passerelle_surveys::questionnaire::Kind;
use passerelle_surveys::render::{NumberFormat, Table, tables};
use serde::{Deserialize, Serialize};

use super::forms::Errors;
use super::{manages, readable};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::fr;
use crate::pages::{Chrome, Crumb, crumbs, render};

#[derive(Deserialize, Default, Serialize, Clone)]
pub struct ResultsQuery {
    /// Publication mode: counts below this are hidden.
    #[serde(default)]
    pub seuil: u64,
    /// Crosstab builder: rows and columns.
    #[serde(default)]
    pub lignes: String,
    #[serde(default)]
    pub colonnes: String,
    /// Comparison builder: a numeric variable and the groups.
    #[serde(default)]
    pub mesure: String,
    #[serde(default)]
    pub groupes: String,
    /// A regression "Y~X1+X2" and a MANOVA "Y1+Y2~G".
    #[serde(default)]
    pub regression: String,
    #[serde(default)]
    pub manova: String,
    /// Subgroup: a categorical variable and one of its codes.
    #[serde(default)]
    pub filtre: String,
    #[serde(default)]
    pub valeur: String,
    /// Exports: `standard` for programs, else for French Excel.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub format: String,
}

/// What the query asks the analysis for, each variable checked against
/// the questionnaire (French messages by field otherwise).
fn options(q: &Questionnaire, query: &ResultsQuery) -> Result<Options, Errors> {
    let (categorical, numeric) = variables(q);
    let (categorical, numeric) = (&categorical[..], &numeric[..]);
    let mut check = Check {
        categorical,
        numeric,
        errors: Errors::default(),
    };
    let options = Options {
        cross: check
            .pair(
                ("lignes", &query.lignes, categorical),
                ("colonnes", &query.colonnes, categorical),
            )
            .into_iter()
            .collect(),
        compare: check
            .pair(
                ("mesure", &query.mesure, numeric),
                ("groupes", &query.groupes, categorical),
            )
            .into_iter()
            .collect(),
        regress: check.regression(&query.regression).into_iter().collect(),
        manova: check.manova(&query.manova).into_iter().collect(),
        ..Options::default()
    };
    if check.errors.is_empty() {
        Ok(options)
    } else {
        Err(check.errors)
    }
}

/// The questionnaire's variables, and what is wrong with the choices so far.
struct Check<'a> {
    categorical: &'a [String],
    numeric: &'a [String],
    errors: Errors,
}

fn listed(list: &[String], name: &str) -> bool {
    list.iter().any(|v| v == name)
}

impl Check<'_> {
    /// Two variables chosen together (field, value, where it must be
    /// taken from): both or none.
    fn pair(
        &mut self,
        (a, x, in_a): (&'static str, &str, &[String]),
        (b, y, in_b): (&'static str, &str, &[String]),
    ) -> Option<(String, String)> {
        match (x.is_empty(), y.is_empty()) {
            (true, true) => None,
            (false, true) => {
                self.errors.add(b, "Choisissez aussi cette variable.");
                None
            }
            (true, false) => {
                self.errors.add(a, "Choisissez aussi cette variable.");
                None
            }
            _ if !listed(in_a, x) => {
                self.errors.add(a, "Choisissez une variable de la liste.");
                None
            }
            _ if !listed(in_b, y) => {
                self.errors.add(b, "Choisissez une variable de la liste.");
                None
            }
            _ => Some((x.to_string(), y.to_string())),
        }
    }

    /// The first of `names` that `allowed` refuses, said for the field.
    fn unknown(names: &[&String], allowed: impl Fn(&str) -> bool) -> Option<String> {
        names
            .iter()
            .find(|n| !allowed(n))
            .map(|n| format!("« {n} » n’est pas une variable qui convient ici : prenez-la dans les listes ci-dessus."))
    }

    /// `Y~X1+X2`: a numeric Y, and numeric or categorical predictors.
    fn regression(&mut self, formula: &str) -> Option<(String, Vec<String>)> {
        if formula.trim().is_empty() {
            return None;
        }
        let Ok((y, xs)) = regression_formula(formula) else {
            self.errors.add(
                "regression",
                "Écrivez la régression Y~X1+X2, avec les noms de variables des listes ci-dessus.",
            );
            return None;
        };
        let mut all = vec![&y];
        all.extend(&xs);
        let fits = |n: &str| listed(self.numeric, n) || (n != y && listed(self.categorical, n));
        match Self::unknown(&all, fits) {
            Some(message) => {
                self.errors.add("regression", message);
                None
            }
            None => Some((y, xs)),
        }
    }

    /// `Y1+Y2~GROUPES`: numeric measures, a categorical grouping.
    fn manova(&mut self, formula: &str) -> Option<(Vec<String>, String)> {
        if formula.trim().is_empty() {
            return None;
        }
        let Ok((ys, g)) = manova_formula(formula) else {
            self.errors.add(
                "manova",
                "Écrivez la MANOVA Y1+Y2~GROUPES, avec les noms de variables des listes ci-dessus.",
            );
            return None;
        };
        let mut all: Vec<&String> = ys.iter().collect();
        all.push(&g);
        let fits = |n: &str| {
            if n == g {
                listed(self.categorical, n)
            } else {
                listed(self.numeric, n)
            }
        };
        match Self::unknown(&all, fits) {
            Some(message) => {
                self.errors.add("manova", message);
                None
            }
            None => Some((ys, g)),
        }
    }
}

/// The report the query asks for: every question's table, plus what the
/// builders built, on the subgroup chosen.
pub async fn report_for(
    state: &AppState,
    survey: &Survey,
    query: &ResultsQuery,
) -> Result<Result<Report, Errors>, PageError> {
    let mut responses = state.db.survey_responses(survey).await?;
    let q = &survey.questionnaire;
    let options = match options(q, query) {
        Ok(o) => o,
        Err(errors) => return Ok(Err(errors)),
    };
    if !query.filtre.is_empty() && !query.valeur.is_empty() {
        match subgroup(q, &responses, &query.filtre, &query.valeur) {
            Ok(r) => responses = r,
            Err(_) => {
                let mut errors = Errors::default();
                errors.add(
                    "valeur",
                    format!(
                        "Sous-groupe impossible : « {} » n’est pas un code de réponse de {}.",
                        query.valeur, query.filtre
                    ),
                );
                return Ok(Err(errors));
            }
        }
    }
    Ok(analyze(q, &responses, &options).map_err(|e| {
        tracing::warn!("survey {}: analysis refused: {e}", survey.slug);
        let mut errors = Errors::default();
        errors.add(
            "analyse",
            "Cette analyse n’a pas pu être faite avec les variables choisies : changez-en.",
        );
        errors
    }))
}

/// A table with, per row, the length of its bar (0–100) when it has one:
/// shares of a choice, means of a comparison.
pub struct TableView {
    /// Its number on the page, also its anchor (`tableau-N`).
    pub number: usize,
    pub table: Table,
    pub rows: Vec<(Vec<String>, Option<f64>)>,
    pub has_bars: bool,
    /// Scales: the share of each point, drawn as a distribution.
    pub distribution: Vec<(String, f64)>,
}

/// The question tables and the built ones, numbered in page order (built
/// first, as they come first on the page).
fn views_of(report: &Report, format: &NumberFormat) -> (Vec<TableView>, Vec<TableView>) {
    let questions = report.questions.len();
    let crosstabs = report.crosstabs.len();
    let all = tables(report, format);
    let built_count = all.len() - questions;
    let mut asked = Vec::new();
    let mut built = Vec::new();
    for (i, table) in all.into_iter().enumerate() {
        let mut bars = vec![None; table.rows.len()];
        let mut distribution = Vec::new();
        if let Some(q) = report.questions.get(i)
            && let Some(freq) = &q.frequencies
        {
            if q.kind == "single" || q.kind == "multiple" {
                for (bar, f) in bars.iter_mut().zip(freq) {
                    *bar = (!format.hidden(f.count as u64)).then_some(f.percent);
                }
            } else if q.n as u64 >= format.min_cell.max(1) {
                distribution = freq.iter().map(|f| (f.value.clone(), f.percent)).collect();
            }
        } else if i >= questions + crosstabs
            && let Some(c) = report.comparisons.get(i - questions - crosstabs)
        {
            let top = c.groups.iter().filter_map(|g| g.mean).fold(0.0, f64::max);
            for (bar, g) in bars.iter_mut().zip(&c.groups) {
                *bar = g
                    .mean
                    .filter(|_| top > 0.0 && !format.hidden(g.n as u64))
                    .map(|m| m * 100.0 / top);
            }
        }
        let view = TableView {
            number: if i < questions {
                built_count + i + 1
            } else {
                i - questions + 1
            },
            has_bars: bars.iter().any(Option::is_some),
            rows: table.rows.iter().cloned().zip(bars).collect(),
            table,
            distribution,
        };
        if i < questions {
            asked.push(view)
        } else {
            built.push(view)
        }
    }
    (asked, built)
}

/// "name — question text", for the builders' lists.
fn labelled(q: &Questionnaire, names: Vec<String>) -> Vec<(String, String)> {
    names
        .into_iter()
        .map(|name| {
            let (id, sub) = name.split_once('.').unwrap_or((&name, ""));
            let question = q.question(id);
            let mut label = question.map_or_else(String::new, |q| q.text.clone());
            if let Some(question) = question
                && !sub.is_empty()
            {
                let part = match &question.kind {
                    Kind::Grid { items, .. } => items
                        .iter()
                        .find(|i| i.code == sub)
                        .map(|i| i.label.clone()),
                    kind => kind
                        .categories()
                        .into_iter()
                        .find(|c| c.code == sub)
                        .map(|c| c.label),
                };
                label = format!("{label} — {}", part.unwrap_or_default());
            }
            let short: String = label.chars().take(110).collect();
            (name.clone(), format!("{name} : {short}"))
        })
        .collect()
}

#[derive(Template)]
#[template(path = "enquete_resultats.html")]
pub struct ResultsPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub title: String,
    pub slug: String,
    pub respondents: String,
    pub questions: Vec<TableView>,
    pub built: Vec<TableView>,
    pub query: ResultsQuery,
    /// The same query, for the export links.
    pub query_string: String,
    pub categorical: Vec<(String, String)>,
    pub numeric: Vec<(String, String)>,
    pub errors: Errors,
    /// Gestionnaires share, invite and close from here.
    pub can_manage: bool,
}

impl ResultsPage {
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }
}

pub(super) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<ResultsQuery>,
) -> PageResult {
    let path = format!("/enquetes/{slug}/resultats");
    let survey = readable(&state, &viewer, &slug, &path).await?;
    let format = NumberFormat {
        decimal_comma: true,
        min_cell: query.seuil,
    };
    let (report, errors) = match report_for(&state, &survey, &query).await? {
        Ok(report) => (Some(report), Errors::default()),
        Err(errors) => (None, errors),
    };
    let (questions, built) = report
        .as_ref()
        .map(|r| views_of(r, &format))
        .unwrap_or_default();
    let (categorical, numeric) = variables(&survey.questionnaire);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = ResultsPage {
        can_manage: manages(&state, &viewer, &survey).await?,
        chrome: Chrome::new("/enquetes", &viewer),
        crumbs: crumbs(
            &[("Enquêtes", "/enquetes")],
            &format!("Résultats — {}", survey.title),
        ),
        title: survey.title.clone(),
        respondents: fr::integer(report.as_ref().map_or(0, |r| r.respondents) as i64),
        questions,
        built,
        query_string: serde_urlencoded::to_string(&query).unwrap_or_default(),
        categorical: labelled(&survey.questionnaire, categorical),
        numeric: labelled(&survey.questionnaire, numeric),
        query,
        errors,
        slug,
    };
    Ok((status, render(&page)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(query: ResultsQuery) -> Result<Options, Errors> {
        let q = passerelle_surveys::templates::load("hub-bretagne-2023")
            .unwrap()
            .unwrap();
        options(&q, &query)
    }

    #[test]
    fn each_choice_is_checked_against_the_questionnaire_and_said_by_field() {
        let ok = checked(ResultsQuery {
            lignes: "accompagne".into(),
            colonnes: "poste".into(),
            mesure: "personnes_semaine".into(),
            groupes: "poste".into(),
            regression: "personnes_semaine~poste+sollicitations_repetees".into(),
            manova: "personnes_semaine+sollicitations_repetees~poste".into(),
            ..ResultsQuery::default()
        })
        .unwrap_or_else(|_| panic!("all choices fit"));
        assert_eq!(ok.cross, [("accompagne".into(), "poste".into())]);
        assert_eq!(ok.compare, [("personnes_semaine".into(), "poste".into())]);
        assert_eq!(ok.regress.len(), 1);
        assert_eq!(ok.manova.len(), 1);

        let wrong = checked(ResultsQuery {
            lignes: "accompagne".into(),
            mesure: "poste".into(),
            groupes: "poste".into(),
            regression: "personnes_semaine".into(),
            manova: "personnes_semaine~astronaute".into(),
            ..ResultsQuery::default()
        })
        .expect_err("refused");
        assert_eq!(wrong.get("colonnes"), "Choisissez aussi cette variable.");
        assert_eq!(wrong.get("mesure"), "Choisissez une variable de la liste.");
        assert!(
            wrong
                .get("regression")
                .starts_with("Écrivez la régression Y~X1+X2")
        );
        assert!(
            wrong
                .get("manova")
                .starts_with("« astronaute » n’est pas une variable")
        );
        assert_eq!(wrong.get("lignes"), "");
    }
}
