//! Comptes pages: signing in and out (password or ProConnect), a forgotten
//! password, accepting an invitation, my account, a structure's members,
//! requests and API tokens, and the administration (structures, audit
//! trail, outbox). Every access decision goes through
//! `passerelle_accounts::policy`; every write commits with its audit line
//! through `Database::write` (in `store`).
//!
//! Handlers parse the request into a typed form, call the policy and the
//! store, and render; they return `PageResult`, so a denial, a missing
//! structure or a storage failure is a `PageError` reached by `?`. A form
//! with a wrong value is not an error: it comes back with each problem next
//! to its field (`FieldErrors`) and what was typed kept.

mod account;
mod admin;
mod events;
mod invitations;
mod passwords;
mod sign_in;
mod structure;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use passerelle_accounts::password::{check_new_password, hash_password};
use passerelle_accounts::policy::{Action, Denial};
use passerelle_store::accounts::Person;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::PageError;
use crate::forms::FieldErrors;
use crate::routes::Route;

pub use admin::structure_refusal;
pub(crate) use events::name as event_name;

pub fn routes() -> Vec<Route> {
    let mut all = sign_in::routes();
    all.extend(passwords::routes());
    all.extend(invitations::routes());
    all.extend(account::routes());
    all.extend(admin::routes());
    all.extend(structure::routes());
    all
}

/// Only local paths, so a crafted link cannot send people elsewhere.
///
/// Browsers drop tabs and line breaks from URLs (`/\t/evil.example` is read
/// as `//evil.example`, another site) and a line break cannot go in a
/// `Location` header at all: anything but visible ASCII sends people to
/// their account instead.
fn safe_next(next: &str) -> &str {
    let visible = next.bytes().all(|b| b.is_ascii_graphic());
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if visible && local { next } else { "/" }
}

/// Argon2 takes a noticeable time: off the async workers.
async fn hash_off_runtime(password: String) -> Result<String, PageError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| PageError::Said {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Erreur interne",
            text: "Réessayez.".into(),
        })
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// The answer of the password routes on an instance that turned
/// passwords off: people sign in with ProConnect there.
fn passwords_off(state: &AppState) -> Result<(), PageError> {
    if state.config.password_sign_in {
        return Ok(());
    }
    Err(PageError::Said {
        status: StatusCode::NOT_FOUND,
        title: "Connexion par mot de passe désactivée",
        text: "Sur cette instance, on se connecte avec ProConnect : revenez à la page « Se connecter » et cliquez sur « S’identifier avec ProConnect ».".into(),
    })
}

/// A reset or invitation link that is unknown, expired or already used.
fn expired_link() -> PageError {
    PageError::Said {
        status: StatusCode::NOT_FOUND,
        title: "Lien expiré ou déjà utilisé",
        text: "Ce lien n’est plus valable. Demandez-en un nouveau depuis la page « Mot de passe oublié ? » ou auprès du gestionnaire de votre structure.".into(),
    }
}

/// The signed-in person, or the denial to answer with.
fn signed_in_person(viewer: &Viewer, path: &str) -> Result<Person, PageError> {
    viewer
        .authorize(Action::ViewOwnAccount)
        .map_err(|d| PageError::denied(d, path))?;
    viewer
        .person
        .clone()
        .ok_or_else(|| PageError::denied(Denial::Forbidden, path))
}

/// A new password and its confirmation, as typed (reset, invitation, my
/// account).
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewPassword {
    new_password: String,
    confirmation: String,
}

impl NewPassword {
    /// The problems with the new password, on its field or on the
    /// confirmation's.
    fn problems(&self, email: &str) -> FieldErrors {
        let mut errors = FieldErrors::default();
        if let Err(problem) = check_new_password(&self.new_password, email) {
            errors.add("new_password", problem.message());
        } else if self.new_password != self.confirmation {
            errors.add(
                "confirmation",
                "Les deux mots de passe saisis sont différents : tapez le même deux fois.",
            );
        }
        errors
    }
}

/// A form's status: 422 when it comes back with problems.
fn form_status(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}
