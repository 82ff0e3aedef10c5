//! Errors as the API answers them: a status and a JSON body
//! `{"error": {"status": 404, "message": "…"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl From<passerelle_store::StoreError> for ApiError {
    fn from(error: passerelle_store::StoreError) -> Self {
        // Details go to the log, not to the client.
        tracing::error!("storage error: {error}");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "internal error while reading the database".into(),
        }
    }
}

/// The body of every API error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The HTTP status, repeated for clients that only see the body.
    pub status: u16,
    /// What is wrong, for a person.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                status: self.status.as_u16(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
