//! Request bodies are bounded per route: the registry (`routes`) states
//! each route's limit, the router hands it to axum's extractors, and this
//! layer refuses a larger body before anything reads it — 413 with a JSON
//! error in French under `/api/`, the French message page elsewhere. The
//! OpenAPI document states the same limits (`api::openapi`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::routes::{FORM_BODY_LIMIT, say_bytes};

/// Each route's limit, by method and path as registered.
#[derive(Default)]
pub struct Limits(HashMap<(Method, &'static str), usize>);

impl Limits {
    pub fn insert(&mut self, method: Method, path: &'static str, bytes: usize) {
        self.0.insert((method, path), bytes);
    }

    fn of(&self, method: &Method, path: Option<&str>) -> usize {
        path.and_then(|p| {
            self.0
                .iter()
                .find(|((m, registered), _)| m == method && *registered == p)
                .map(|(_, limit)| *limit)
        })
        .unwrap_or(FORM_BODY_LIMIT)
    }
}

/// Reads the body up to the route's limit, or refuses the request.
pub async fn limit(State(limits): State<Arc<Limits>>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let limit = limits.of(
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let api = request.uri().path().starts_with("/api/");
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(api, limit);
    }
    let (parts, body) = request.into_parts();
    match to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(api, limit),
    }
}

fn too_large(api: bool, limit: usize) -> Response {
    let said = say_bytes(limit);
    if api {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!(
                "Le corps de la requête dépasse {said}, la limite de cette adresse : envoyez-le en plusieurs fois."
            ),
        }
        .into_response()
    } else {
        crate::pages::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Envoi trop volumineux",
            &[&format!(
                "Ce formulaire accepte au plus {said} : raccourcissez le texte envoyé."
            )],
        )
    }
}
