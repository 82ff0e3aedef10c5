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
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::policy::Action;
use passerelle_accounts::secret::new_secret;
use passerelle_diagnostic::import::{FileKind, IndicatorFile, Level, Options, describe, parse};
use passerelle_store::diagnostic::ImportRecord;
use serde::Deserialize;

use super::view::fr_datetime;
use crate::AppState;
use crate::auth::{MAX_INDICATOR_FILE_BYTES, Viewer, page_denial};
use crate::pages::{Chrome, Crumb, FormFields, crumbs, fr_number, render, storage_failure};
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

async fn import_page(
    state: &AppState,
    viewer: &Viewer,
    done: Option<i64>,
    file_error: Option<String>,
    vintage: String,
    vintage_error: Option<String>,
) -> Response {
    let imports = match state.db.diagnostic_imports().await {
        Ok(i) => i,
        Err(e) => return storage_failure(e),
    };
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
    let status = if file_error.is_some() || vintage_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        render(&ImportPage {
            chrome: Chrome::new("/diagnostic", viewer),
            crumbs: crumbs(&[("Diagnostic", "/diagnostic")], "Importer des données"),
            imports: imports.iter().map(import_row).collect(),
            kinds: kinds(),
            done,
            file_error,
            vintage,
            vintage_error,
            max_size: fr_number((MAX_INDICATOR_FILE_BYTES / 1024 / 1024) as i64),
        }),
    )
        .into_response()
}

pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<PageParams>,
) -> Response {
    if let Err(d) = viewer.authorize(Action::ImportIndicators) {
        return page_denial(d, PAGE);
    }
    import_page(&state, &viewer, params.importe, None, String::new(), None).await
}

/// The person allowed to import, or the answer to someone who is not.
fn importer(viewer: &Viewer) -> Result<i64, Response> {
    viewer
        .authorize(Action::ImportIndicators)
        .map_err(|d| page_denial(d, PAGE))?;
    viewer
        .person_id()
        .ok_or_else(|| page_denial(passerelle_accounts::policy::Denial::Forbidden, PAGE))
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

/// The answer to an upload: the preview (a redirection, or its address
/// for the script), or the form again with the error next to its field.
async fn upload_answer(
    state: &AppState,
    viewer: &Viewer,
    json: bool,
    outcome: Result<String, (&'static str, String, String)>,
) -> Response {
    match (outcome, json) {
        (Ok(token), false) => Redirect::to(&format!("{PAGE}/apercu?jeton={token}")).into_response(),
        (Ok(token), true) => {
            axum::Json(serde_json::json!({ "apercu": format!("{PAGE}/apercu?jeton={token}") }))
                .into_response()
        }
        (Err((field, message, _)), true) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(serde_json::json!({ "champ": field, "erreur": message })),
        )
            .into_response(),
        (Err((field, message, vintage)), false) => {
            let (file_error, vintage_error) = if field == "millesime" {
                (None, Some(message))
            } else {
                (Some(message), None)
            };
            import_page(state, viewer, None, file_error, vintage, vintage_error).await
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let person = match importer(&viewer) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let json = wants_json(&headers);
    let outcome: Result<String, (&'static str, String, String)> = async {
        let mut form = form.map_err(|_| {
            (
                "fichier",
                "Le fichier n’a pas pu être reçu : choisissez-le et envoyez-le à nouveau."
                    .to_string(),
                String::new(),
            )
        })?;
        let (mut name, mut bytes, mut vintage) = (String::new(), Vec::new(), String::new());
        loop {
            let field = match form.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => {
                    return Err((
                        "fichier",
                        format!(
                            "Le fichier n’a pas pu être reçu en entier (au plus {} Mo).",
                            MAX_INDICATOR_FILE_BYTES / 1024 / 1024
                        ),
                        vintage,
                    ));
                }
            };
            match field.name() {
                Some("fichier") => {
                    name = field.file_name().unwrap_or("fichier").to_string();
                    bytes = field
                        .bytes()
                        .await
                        .map_err(|_| {
                            (
                                "fichier",
                                "Le fichier n’a pas pu être reçu en entier.".to_string(),
                                String::new(),
                            )
                        })?
                        .to_vec();
                }
                Some("millesime") => vintage = field.text().await.unwrap_or_default(),
                _ => {}
            }
        }
        if bytes.is_empty() {
            return Err((
                "fichier",
                "Choisissez un fichier (CSV ou XLSX) à importer.".to_string(),
                vintage,
            ));
        }
        let wanted = check_vintage(&vintage).map_err(|m| ("millesime", m, vintage.clone()))?;
        let geo = state.db.diagnostic_geography().await.map_err(|e| {
            tracing::error!("diagnostic import: {e}");
            (
                "fichier",
                "La base de données n’a pas répondu : réessayez dans un instant.".to_string(),
                vintage.clone(),
            )
        })?;
        let file_name = name.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            parse(&file_name, &bytes, &geo, &Options { vintage: wanted })
        })
        .await
        .map_err(|_| {
            (
                "fichier",
                "L’analyse du fichier a échoué.".to_string(),
                vintage.clone(),
            )
        })?;
        let file = parsed.map_err(|e| ("fichier", describe(&e), vintage.clone()))?;
        Ok(keep(person, file))
    }
    .await;
    upload_answer(&state, &viewer, json, outcome).await
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
async fn expired(state: &AppState, viewer: &Viewer) -> Response {
    import_page(
        state,
        viewer,
        None,
        Some(EXPIRED.into()),
        String::new(),
        None,
    )
    .await
}

const EXPIRED: &str = "Cet aperçu a expiré (une heure au plus, ou le serveur a redémarré) : déposez le fichier à nouveau.";

pub(crate) async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<PreviewParams>,
) -> Response {
    let person = match importer(&viewer) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match with_pending(&params.jeton, person, |f| preview_of(&params.jeton, f)) {
        Some(p) => {
            let vintage = p.vintage.clone();
            preview_page(&viewer, p, vintage, None)
        }
        None => expired(&state, &viewer).await,
    }
}

pub(crate) async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormFields,
) -> Response {
    let person = match importer(&viewer) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let fields = form.map(|f| f.0).unwrap_or_default();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let token = get("jeton");
    let typed = get("millesime");
    let vintage = match check_vintage(&typed) {
        Ok(v) => v,
        Err(message) => {
            return match with_pending(&token, person, |f| preview_of(&token, f)) {
                Some(p) => preview_page(&viewer, p, typed, Some(message)),
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
    match state.db.import_indicators(&file, Some(person)).await {
        Ok(id) => Redirect::to(&format!("{PAGE}?importe={id}")).into_response(),
        Err(e) => storage_failure(e),
    }
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
