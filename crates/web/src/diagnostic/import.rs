//! Importing official files from a page (coordinators and admins): the
//! person uploads an INSEE, CAF or France Travail file as it is published,
//! sees what was recognised — kind, vintage, rows, communes and IRIS
//! covered, secret cells, rows set aside — and confirms; the figures are
//! then written in one transaction with the audit line.
//!
//! Between the upload and the confirmation the parsed file waits in this
//! process's memory, for its uploader only, an hour at most (a server
//! restart, or a confirmation reaching another instance, asks for the
//! file again). With JavaScript the upload shows its progress
//! (`web/src/diagnostic.js`); without, it is a plain form.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::policy::{Action, Denial};
use passerelle_accounts::secret::new_secret;
use passerelle_diagnostic::import::{FileKind, IndicatorFile, Level, Options, describe, parse};
use passerelle_store::diagnostic::ImportRecord;
use serde::Deserialize;

use super::view::fr_datetime;
use crate::AppState;
use crate::auth::{MAX_INDICATOR_FILE_BYTES, Viewer};
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, crumbs, fr_number, render};
use crate::routes::Route;

const PAGE: &str = "/diagnostic/import";

/// POST `/diagnostic/import`, allowed a large body.
pub fn upload_route() -> Route {
    Route::post(PAGE, upload).body_limit(MAX_INDICATOR_FILE_BYTES)
}

struct Pending {
    token: String,
    person: i64,
    file: IndicatorFile,
    created: Instant,
}

const KEEP: Duration = Duration::from_secs(3600);
const MAX_PENDING: usize = 16;

fn pending() -> &'static Mutex<Vec<Pending>> {
    static PENDING: OnceLock<Mutex<Vec<Pending>>> = OnceLock::new();
    PENDING.get_or_init(Mutex::default)
}

fn keep(person: i64, file: IndicatorFile) -> String {
    let token = new_secret();
    let mut list = pending().lock().unwrap_or_else(|e| e.into_inner());
    list.retain(|p| p.created.elapsed() < KEEP && p.person != person);
    if list.len() >= MAX_PENDING {
        list.remove(0);
    }
    list.push(Pending {
        token: token.clone(),
        person,
        file,
        created: Instant::now(),
    });
    token
}

fn with_pending<T>(token: &str, person: i64, f: impl FnOnce(&IndicatorFile) -> T) -> Option<T> {
    let list = pending().lock().unwrap_or_else(|e| e.into_inner());
    list.iter()
        .find(|p| p.token == token && p.person == person && p.created.elapsed() < KEEP)
        .map(|p| f(&p.file))
}

fn take_pending(token: &str, person: i64) -> Option<IndicatorFile> {
    let mut list = pending().lock().unwrap_or_else(|e| e.into_inner());
    let i = list
        .iter()
        .position(|p| p.token == token && p.person == person && p.created.elapsed() < KEEP)?;
    Some(list.remove(i).file)
}

/// One past import, as listed.
struct ImportRow {
    at: String,
    file: String,
    kind: String,
    level: &'static str,
    vintage: String,
    communes: String,
    iris: String,
    secret: String,
    by: String,
}

fn import_row(r: &ImportRecord) -> ImportRow {
    ImportRow {
        at: fr_datetime(r.imported_at),
        file: r.file.clone(),
        kind: r.kind.map_or_else(
            || "fichier d’une version antérieure".into(),
            |k| k.label().to_string(),
        ),
        level: level_label(r.level),
        vintage: r.vintage.clone().unwrap_or_else(|| "non précisé".into()),
        communes: fr_number(r.communes),
        iris: fr_number(r.iris),
        secret: fr_number(r.secret_cells),
        by: r
            .person
            .clone()
            .unwrap_or_else(|| "ligne de commande".into()),
    }
}

fn level_label(level: Level) -> &'static str {
    match level {
        Level::Commune => "communes",
        Level::Iris => "IRIS",
    }
}

struct KindHelp {
    label: &'static str,
    where_to_get: &'static str,
}

#[derive(Template)]
#[template(path = "diagnostic_import.html")]
struct ImportPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    imports: Vec<ImportRow>,
    kinds: Vec<KindHelp>,
    done: Option<String>,
    file_error: Option<String>,
    vintage: String,
    vintage_error: Option<String>,
    max_size: String,
}

fn kinds() -> Vec<KindHelp> {
    FileKind::ALL
        .iter()
        .map(|k| KindHelp {
            label: k.label(),
            where_to_get: k.where_to_get(),
        })
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct PageParams {
    importe: Option<i64>,
}

/// The import page: the past imports, the form (with what was typed and
/// the error next to its field), and what was just imported.
async fn import_page(
    state: &AppState,
    viewer: &Viewer,
    done: Option<i64>,
    failed: Option<Failed>,
) -> PageResult {
    let imports = state.db.diagnostic_imports().await?;
    let done = done
        .and_then(|id| imports.iter().find(|r| r.id == id))
        .map(|r| {
            format!(
                "{} importé : {} communes{} ; le Diagnostic en tient compte dès maintenant.",
                r.file,
                fr_number(r.communes),
                if r.iris > 0 {
                    format!(", {} IRIS", fr_number(r.iris))
                } else {
                    String::new()
                }
            )
        });
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (mut file_error, mut vintage_error, mut vintage) = (None, None, String::new());
    if let Some(f) = failed {
        vintage = f.vintage;
        match f.field {
            "millesime" => vintage_error = Some(f.message),
            _ => file_error = Some(f.message),
        }
    }
    let page = ImportPage {
        chrome: Chrome::new("/diagnostic", viewer),
        crumbs: crumbs(&[("Diagnostic", "/diagnostic")], "Importer des données"),
        imports: imports.iter().map(import_row).collect(),
        kinds: kinds(),
        done,
        file_error,
        vintage,
        vintage_error,
        max_size: fr_number((MAX_INDICATOR_FILE_BYTES / 1024 / 1024) as i64),
    };
    Ok((status, render(&page)).into_response())
}

pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<PageParams>,
) -> PageResult {
    importer(&viewer)?;
    import_page(&state, &viewer, params.importe, None).await
}

/// The person allowed to import, or the denial.
fn importer(viewer: &Viewer) -> Result<i64, PageError> {
    viewer
        .authorize(Action::ImportIndicators)
        .map_err(|d| PageError::denied(d, PAGE))?;
    viewer
        .person_id()
        .ok_or(PageError::denied(Denial::Forbidden, PAGE))
}

/// A year the person typed: `2021`.
fn check_vintage(text: &str) -> Result<Option<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<u32>() {
        Ok(y) if (1960..=2100).contains(&y) => Ok(Some(t.to_string())),
        _ => Err(format!(
            "« {t} » n’est pas une année : écrivez par exemple 2021."
        )),
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("application/json"))
}

/// Why an upload was not kept: the field at fault, what to say, and the
/// year typed (kept in the form).
struct Failed {
    field: &'static str,
    message: String,
    vintage: String,
}

impl Failed {
    fn file(message: impl Into<String>, vintage: &str) -> Self {
        Failed {
            field: "fichier",
            message: message.into(),
            vintage: vintage.to_string(),
        }
    }
}

/// What the upload form posts: the file (its name and bytes) and the year.
#[derive(Default)]
struct Upload {
    name: String,
    bytes: Vec<u8>,
    vintage: String,
}

/// Reads the multipart form, bounded by the route's limit.
async fn read_upload(form: Result<Multipart, MultipartRejection>) -> Result<Upload, Failed> {
    let mut form = form.map_err(|_| {
        Failed::file(
            "Le fichier n’a pas pu être reçu : choisissez-le et envoyez-le à nouveau.",
            "",
        )
    })?;
    let mut upload = Upload::default();
    let cut = |vintage: &str| {
        Failed::file(
            format!(
                "Le fichier n’a pas pu être reçu en entier (au plus {} Mo).",
                MAX_INDICATOR_FILE_BYTES / 1024 / 1024
            ),
            vintage,
        )
    };
    while let Some(field) = form.next_field().await.map_err(|_| cut(&upload.vintage))? {
        match field.name() {
            Some("fichier") => {
                upload.name = field.file_name().unwrap_or("fichier").to_string();
                upload.bytes = field.bytes().await.map_err(|_| cut(""))?.to_vec();
            }
            Some("millesime") => upload.vintage = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    if upload.bytes.is_empty() {
        return Err(Failed::file(
            "Choisissez un fichier (CSV ou XLSX) à importer.",
            &upload.vintage,
        ));
    }
    Ok(upload)
}

/// Parses the file (on the blocking pool) and keeps it for the preview.
async fn parse_upload(state: &AppState, person: i64, upload: Upload) -> Result<String, Failed> {
    let vintage = upload.vintage.clone();
    let wanted = check_vintage(&vintage).map_err(|message| Failed {
        field: "millesime",
        message,
        vintage: vintage.clone(),
    })?;
    let geo = state.db.diagnostic_geography().await.map_err(|e| {
        tracing::error!("diagnostic import: {e}");
        Failed::file(
            "La base de données n’a pas répondu : réessayez dans un instant.",
            &vintage,
        )
    })?;
    let Upload { name, bytes, .. } = upload;
    let parsed = tokio::task::spawn_blocking(move || {
        parse(&name, &bytes, &geo, &Options { vintage: wanted })
    })
    .await
    .map_err(|_| Failed::file("L’analyse du fichier a échoué.", &vintage))?;
    let file = parsed.map_err(|e| Failed::file(describe(&e), &vintage))?;
    Ok(keep(person, file))
}

/// Receives a file: the preview (a redirection, or its address for the
/// script), or the form again with the error next to its field.
async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let person = importer(&viewer)?;
    let outcome = match read_upload(form).await {
        Ok(upload) => parse_upload(&state, person, upload).await,
        Err(failed) => Err(failed),
    };
    let json = wants_json(&headers);
    match (outcome, json) {
        (Ok(token), false) => {
            Ok(Redirect::to(&format!("{PAGE}/apercu?jeton={token}")).into_response())
        }
        (Ok(token), true) => Ok(axum::Json(
            serde_json::json!({ "apercu": format!("{PAGE}/apercu?jeton={token}") }),
        )
        .into_response()),
        (Err(failed), true) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(serde_json::json!({ "champ": failed.field, "erreur": failed.message })),
        )
            .into_response()),
        (Err(failed), false) => import_page(&state, &viewer, None, Some(failed)).await,
    }
}

/// What the preview shows of a parsed file.
struct Preview {
    token: String,
    file: String,
    kind: &'static str,
    level: &'static str,
    vintage: String,
    vintage_from_columns: bool,
    fields: Vec<&'static str>,
    rows: String,
    communes: String,
    iris: String,
    secret: String,
    outside: String,
    merged: String,
    unknown: String,
    arrondissements: String,
}

#[derive(Template)]
#[template(path = "diagnostic_import_apercu.html")]
struct PreviewPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    p: Preview,
    vintage_error: Option<String>,
    vintage: String,
}

#[derive(Deserialize)]
pub(crate) struct PreviewParams {
    jeton: String,
}

fn preview_of(token: &str, f: &IndicatorFile) -> Preview {
    let census = matches!(
        f.kind,
        FileKind::CensusPopulation | FileKind::CensusDiplomas
    );
    Preview {
        token: token.to_string(),
        file: f.file.clone(),
        kind: f.kind.label(),
        level: level_label(f.level),
        vintage: f.vintage.clone().unwrap_or_default(),
        vintage_from_columns: census,
        fields: f.fields.iter().map(|x| x.label()).collect(),
        rows: fr_number(f.rows as i64),
        communes: fr_number(f.communes.len() as i64),
        iris: fr_number(f.iris.len() as i64),
        secret: fr_number(f.secret_cells as i64),
        outside: fr_number(f.outside as i64),
        merged: fr_number(f.merged as i64),
        unknown: if f.unknown.is_empty() {
            String::new()
        } else {
            let shown: Vec<&str> = f.unknown.iter().take(20).map(String::as_str).collect();
            format!(
                "{}{}",
                shown.join(", "),
                if f.unknown.len() > 20 {
                    format!(" et {} autres", f.unknown.len() - 20)
                } else {
                    String::new()
                }
            )
        },
        arrondissements: fr_number(f.arrondissements as i64),
    }
}

fn preview_page(
    viewer: &Viewer,
    p: Preview,
    vintage: String,
    vintage_error: Option<String>,
) -> Response {
    render(&PreviewPage {
        chrome: Chrome::new("/diagnostic", viewer),
        crumbs: crumbs(
            &[
                ("Diagnostic", "/diagnostic"),
                ("Importer des données", PAGE),
            ],
            "Aperçu avant import",
        ),
        p,
        vintage_error,
        vintage,
    })
}

/// The import page saying the preview has expired.
async fn expired(state: &AppState, viewer: &Viewer) -> PageResult {
    import_page(state, viewer, None, Some(Failed::file(EXPIRED, ""))).await
}

const EXPIRED: &str = "Cet aperçu a expiré (une heure au plus, ou le serveur a redémarré) : déposez le fichier à nouveau.";

pub(crate) async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<PreviewParams>,
) -> PageResult {
    let person = importer(&viewer)?;
    match with_pending(&params.jeton, person, |f| preview_of(&params.jeton, f)) {
        Some(p) => {
            let vintage = p.vintage.clone();
            Ok(preview_page(&viewer, p, vintage, None))
        }
        None => expired(&state, &viewer).await,
    }
}

/// The confirmation: the preview's token and the year confirmed.
#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    jeton: String,
    #[serde(default)]
    millesime: String,
}

pub(crate) async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<ConfirmForm>, FormRejection>,
) -> PageResult {
    let person = importer(&viewer)?;
    let Form(ConfirmForm {
        jeton: token,
        millesime: typed,
    }) = form.map_err(|_| PageError::BadForm)?;
    let vintage = match check_vintage(&typed) {
        Ok(v) => v,
        Err(message) => {
            return match with_pending(&token, person, |f| preview_of(&token, f)) {
                Some(p) => Ok(preview_page(&viewer, p, typed, Some(message))),
                None => expired(&state, &viewer).await,
            };
        }
    };
    let Some(mut file) = take_pending(&token, person) else {
        return expired(&state, &viewer).await;
    };
    // The census vintage is that of the columns read; the others take the
    // year the person confirms.
    if !matches!(
        file.kind,
        FileKind::CensusPopulation | FileKind::CensusDiplomas
    ) {
        file.vintage = vintage;
    }
    let id = state.db.import_indicators(&file, Some(person)).await?;
    Ok(Redirect::to(&format!("{PAGE}?importe={id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vintages_are_years() {
        assert_eq!(check_vintage(" 2021 "), Ok(Some("2021".into())));
        assert_eq!(check_vintage(""), Ok(None));
        assert!(check_vintage("21").is_err());
        assert!(check_vintage("deux mille").is_err());
    }
}
