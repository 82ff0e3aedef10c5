//! `POST /api/v1/activities`: records sent by machine clients (or a
//! person's script), one object or an array, all checked before any is
//! stored, with the sender's own idempotency keys.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use passerelle_accounts::policy::Action;
use passerelle_activities::model::Activity;
use passerelle_activities::validate::validate;
use passerelle_store::activities::{Reference, UnknownReference, Written};
use serde::Serialize;

use super::{audit_event, author};
use crate::AppState;
use crate::auth::{Viewer, api_denial};
use crate::error::ApiError;
use crate::fr::paris_now;

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordAnswer {
    /// Identifiers of the records, in the order sent.
    ids: Vec<i64>,
    created: usize,
    /// Already recorded under the same idempotency key.
    existing: usize,
    /// What is wrong, one sentence per problem (`élément 2, champ …`).
    errors: Vec<String>,
    /// The same problems, each naming the item and the field.
    problems: Vec<ItemProblem>,
}

/// A problem with one item of what was sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemProblem {
    /// Position of the item in the array sent, from 0 (0 for a single
    /// object).
    index: usize,
    /// The item's field at fault, as in the JSON body (`place`,
    /// `residence_commune`, `themes`…).
    field: &'static str,
    /// What is wrong, in French.
    message: String,
}

impl RecordAnswer {
    fn refused(problems: Vec<ItemProblem>) -> Response {
        let errors = problems
            .iter()
            .map(|p| {
                format!(
                    "élément {}, champ `{}` : {}",
                    p.index + 1,
                    p.field,
                    p.message
                )
            })
            .collect();
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(RecordAnswer {
                ids: vec![],
                created: 0,
                existing: 0,
                errors,
                problems,
            }),
        )
            .into_response()
    }
}

/// The JSON name of a field the validation names by its CSV column.
fn json_field(column: &'static str) -> &'static str {
    match column {
        "duree" => "duration_minutes",
        "lieu" => "place",
        "commune_residence" => "residence_commune",
        "titre_atelier" => "workshop_title",
        "niveau" => "level",
        "statuts" => "statuses",
        "aides" => "kinds_of_help",
        "autonomie" => "autonomy",
        "code_suivi" => "follow_up_code",
        "recurrents" => "returning",
        other => other,
    }
}

/// A reference to nothing, as the API says it.
fn api_problem(u: &UnknownReference) -> ItemProblem {
    let (field, message) = match &u.reference {
        Reference::Place(id) => ("place", format!("aucun lieu n° {id} dans l’annuaire")),
        Reference::Commune(code) => (
            "place",
            format!("aucune commune « {code} » dans le référentiel"),
        ),
        Reference::ResidenceCommune(code) => (
            "residence_commune",
            format!("aucune commune « {code} » dans le référentiel"),
        ),
        Reference::Structure(id) => ("structure", format!("aucune structure n° {id}")),
        Reference::Mediator(id) => ("mediator", format!("aucune personne n° {id}")),
        Reference::Token(id) => ("token", format!("aucun jeton d’API n° {id}")),
    };
    ItemProblem {
        index: u.index,
        field,
        message,
    }
}

/// The items of a body, each checked: the records with their idempotency
/// keys, or every problem.
fn checked(
    value: serde_json::Value,
    key: Option<&str>,
) -> Result<Vec<(Activity, Option<String>)>, Vec<ItemProblem>> {
    let (items, batch) = match value {
        serde_json::Value::Array(items) => (items, true),
        other => (vec![other], false),
    };
    let today = paris_now().date();
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<Activity>(item) {
            Ok(a) => {
                problems.extend(validate(i as u64 + 1, &a, today).into_iter().map(|v| {
                    ItemProblem {
                        index: i,
                        field: json_field(v.field),
                        message: v.message,
                    }
                }));
                let item_key = key.map(|k| {
                    if batch {
                        format!("{k}#{i}")
                    } else {
                        k.to_string()
                    }
                });
                records.push((a, item_key));
            }
            Err(e) => problems.push(ItemProblem {
                index: i,
                field: "-",
                message: format!("élément illisible : {e}"),
            }),
        }
    }
    if problems.is_empty() {
        Ok(records)
    } else {
        Err(problems)
    }
}

/// Record one activity (a JSON object) or several (an array). With an
/// `Idempotency-Key` header, a retried request never creates a record twice
/// (each item of an array uses the key followed by `#index`); keys are the
/// sender's own (its structure and API token, or the person signed in):
/// another sender's identical key is another key. Every item is checked —
/// its fields, and that the place and communes it names exist — before
/// any is stored, in one transaction: a refused request stores nothing and
/// answers 422 naming each item (`index`, from 0) and field.
#[utoipa::path(post, path = "/api/v1/activities", tag = "activites",
    request_body(content = Object, description = "An activity record or an array of them"),
    responses((status = 200, body = RecordAnswer), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 422, body = RecordAnswer)))]
pub async fn api_record(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    viewer
        .authorize(Action::RecordActivity)
        .map_err(api_denial)?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("JSON mal formé : {e}")))?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let records = match checked(value, key) {
        Ok(records) => records,
        Err(problems) => return Ok(RecordAnswer::refused(problems)),
    };
    let written = state
        .db
        .record_activities(&records, author(&viewer), |stored| {
            let created = stored.iter().filter(|(_, created)| *created).count();
            (created > 0).then(|| {
                audit_event(
                    &viewer,
                    "activity.created",
                    format!("{created} activités"),
                    Some("API".into()),
                )
            })
        })
        .await?;
    let stored = match written {
        Written::Done(stored) => stored,
        Written::Unknown(unknown) => {
            return Ok(RecordAnswer::refused(
                unknown.iter().map(api_problem).collect(),
            ));
        }
        Written::Missing => return Err(ApiError::not_found("rien à modifier")),
    };
    let created = stored.iter().filter(|(_, created)| *created).count();
    Ok(Json(RecordAnswer {
        ids: stored.iter().map(|(id, _)| *id).collect(),
        created,
        existing: stored.len() - created,
        errors: vec![],
        problems: vec![],
    })
    .into_response())
}
