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

/// Why a page handler does not show what was asked, as one type handlers
/// return (`Result<Response, PageError>`) and `?` reaches: each variant
/// answers with the project's message page (with the viewer's header, see
/// `pages::with_viewer_chrome`), or the sign-in page.
#[derive(Debug)]
pub enum PageError {
    /// The policy said no; `path` is where to come back after signing in.
    Denied {
        denial: passerelle_accounts::policy::Denial,
        path: String,
    },
    /// Nothing here (or nothing the viewer may learn exists).
    NotFound,
    /// Nothing with this code or name: what was looked for, for the person.
    Unknown(String),
    /// A form that cannot be read at all (not one with a wrong value: that
    /// one is shown again with its errors).
    BadForm,
    /// An action that cannot be taken now, and why, with the way back.
    Refused {
        status: StatusCode,
        why: String,
        back: String,
    },
    /// A page that only says something, without a way back: a link that
    /// expired, a sign-in method turned off on this instance.
    Said {
        status: StatusCode,
        title: &'static str,
        text: String,
    },
    /// The database failed; details go to the log only.
    Storage(passerelle_store::StoreError),
}

impl PageError {
    pub fn denied(denial: passerelle_accounts::policy::Denial, path: &str) -> Self {
        Self::Denied {
            denial,
            path: path.to_string(),
        }
    }

    /// 409: someone else acted first; 422: not possible in this state.
    pub fn refused(status: StatusCode, why: impl Into<String>, back: &str) -> Self {
        Self::Refused {
            status,
            why: why.into(),
            back: back.to_string(),
        }
    }
}

impl From<passerelle_store::StoreError> for PageError {
    fn from(error: passerelle_store::StoreError) -> Self {
        Self::Storage(error)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::Denied { denial, path } => crate::auth::page_denial(denial, &path),
            Self::NotFound => crate::pages::missing(),
            Self::Unknown(what) => {
                crate::pages::message(StatusCode::NOT_FOUND, "Page introuvable", &[&what])
            }
            Self::BadForm => crate::pages::message(
                StatusCode::BAD_REQUEST,
                "Formulaire incomplet",
                &[
                    "Le formulaire envoyé est incomplet ou mal formé. Rechargez la page et recommencez.",
                ],
            ),
            Self::Refused { status, why, back } => crate::pages::message_back(
                status,
                "Action non enregistrée",
                &[&why],
                (&back, "Revenir à la page précédente"),
            ),
            Self::Said {
                status,
                title,
                text,
            } => crate::pages::message(status, title, &[&text]),
            Self::Storage(error) => crate::pages::storage_failure(error),
        }
    }
}

/// What page handlers return.
pub type PageResult = Result<Response, PageError>;
