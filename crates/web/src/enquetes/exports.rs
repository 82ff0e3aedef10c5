//! A survey's files: every table of the results page as CSV (for French
//! Excel by default: byte-order mark, `;`, decimal comma; `format=standard`
//! for programs) or XLSX, the responses as CSV (standard by default, the
//! file the command line and LimeSurvey-shaped tools read back;
//! `format=excel` for French Excel), and the responses for SPSS or PSPP
//! (syntax `.sps` reading the data `.dat` downloaded beside it).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use passerelle_csv::Dialect;
use passerelle_surveys::render::{NumberFormat, csv_in, tables};
use serde::Deserialize;

use super::readable;
use super::results::{ResultsQuery, report_for};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::export::download;

const CSV: &str = "text/csv; charset=utf-8";

/// The analysis asked for, or 400 saying why in French.
async fn report(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    extension: &str,
    query: &ResultsQuery,
) -> Result<passerelle_surveys::analysis::Report, PageError> {
    let path = format!("/enquetes/{slug}/resultats.{extension}");
    let survey = readable(state, viewer, slug, &path).await?;
    report_for(state, &survey, query).await?.map_err(|errors| {
        PageError::refused(
            StatusCode::BAD_REQUEST,
            errors.all().join(" "),
            &format!("/enquetes/{slug}/resultats"),
        )
    })
}

pub(super) async fn tables_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<ResultsQuery>,
) -> PageResult {
    let report = report(&state, &viewer, &slug, "csv", &query).await?;
    let dialect = match query.format.as_str() {
        "standard" => Dialect::Standard,
        _ => Dialect::FrenchExcel,
    };
    let body = csv_in(&report, query.seuil, dialect);
    Ok(download(CSV, &format!("{slug}-tableaux.csv"), body))
}

pub(super) async fn tables_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<ResultsQuery>,
) -> PageResult {
    let report = report(&state, &viewer, &slug, "xlsx", &query).await?;
    let format = NumberFormat {
        decimal_comma: false,
        min_cell: query.seuil,
    };
    let bytes = passerelle_surveys::xlsx::workbook(&tables(&report, &format)).map_err(|e| {
        tracing::error!("XLSX export of {slug}: {e}");
        PageError::refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Le classeur n’a pas pu être écrit : réessayez, ou téléchargez le CSV.",
            &format!("/enquetes/{slug}/resultats"),
        )
    })?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{slug}-tableaux.xlsx"),
        bytes,
    ))
}

#[derive(Deserialize, Default)]
pub(super) struct ResponsesQuery {
    /// `excel` for French Excel; anything else the standard file.
    #[serde(default)]
    format: String,
}

pub(super) async fn responses_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<ResponsesQuery>,
) -> PageResult {
    let path = format!("/enquetes/{slug}/reponses.csv");
    let survey = readable(&state, &viewer, &slug, &path).await?;
    let (dialect, name) = match query.format.as_str() {
        "excel" => (Dialect::FrenchExcel, format!("{slug}-reponses-excel.csv")),
        _ => (Dialect::Standard, format!("{slug}-reponses.csv")),
    };
    let body = state.db.survey_responses_csv(&survey, dialect).await?;
    Ok(download(CSV, &name, body))
}

/// The syntax (`.sps`) or the data (`.dat`) for SPSS or PSPP.
async fn responses_spss(state: AppState, viewer: Viewer, slug: String, syntax: bool) -> PageResult {
    let extension = if syntax { "sps" } else { "dat" };
    let path = format!("/enquetes/{slug}/reponses.{extension}");
    let survey = readable(&state, &viewer, &slug, &path).await?;
    let responses = state.db.survey_responses(&survey).await?;
    let files = passerelle_surveys::spss::export(
        &survey.questionnaire,
        &responses,
        &format!("{slug}-reponses.dat"),
    );
    let body = if syntax {
        files.syntax.into_bytes()
    } else {
        files.data
    };
    Ok(download(
        "text/plain; charset=utf-8",
        &format!("{slug}-reponses.{extension}"),
        body,
    ))
}

pub(super) async fn responses_sps(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    responses_spss(state, viewer, slug, true).await
}

pub(super) async fn responses_dat(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    responses_spss(state, viewer, slug, false).await
}
