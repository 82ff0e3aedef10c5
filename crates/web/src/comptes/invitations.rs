//! Accepting an invitation: a new person gives their name (and a password,
//! where passwords are in use) and is signed in by the same write; someone
//! who already has an account gets the new role.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use passerelle_accounts::secret::looks_like_secret;
use passerelle_store::accounts::Invitation;
use serde::Deserialize;

use super::{NewPassword, expired_link, form_status, hash_off_runtime, with_cookie};
use crate::AppState;
use crate::auth::{Viewer, session_cookie};
use crate::error::{PageError, PageResult};
use crate::forms::FieldErrors;
use crate::pages::{Chrome, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/invitation/{token}", invitation_page),
        Route::post("/invitation/{token}", accept_invitation),
    ]
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    errors: FieldErrors,
    token: String,
    invitation: Invitation,
    display_name: String,
    /// A new account chooses a password (not where passwords are off:
    /// the person then signs in with ProConnect, with this address).
    password: bool,
}

/// The invitation a live link is for, or the expired-link page.
async fn live_invitation(state: &AppState, token: &str) -> Result<Invitation, PageError> {
    if !looks_like_secret(token) {
        return Err(expired_link());
    }
    state.db.invitation(token).await?.ok_or_else(expired_link)
}

async fn invitation_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> PageResult {
    let invitation = live_invitation(&state, &token).await?;
    Ok(render(&InvitationPage {
        chrome: Chrome::new("", &viewer),
        error: None,
        notice: None,
        errors: FieldErrors::default(),
        token,
        invitation,
        display_name: String::new(),
        password: state.config.password_sign_in,
    }))
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    display_name: String,
    #[serde(flatten)]
    password: NewPassword,
}

impl AcceptForm {
    /// What a new person must give; nothing for someone who has an account.
    fn problems(&self, invitation: &Invitation, passwords: bool) -> FieldErrors {
        if invitation.existing_person.is_some() {
            return FieldErrors::default();
        }
        let name = self.display_name.trim();
        let mut errors = if passwords {
            self.password.problems(&invitation.email)
        } else {
            FieldErrors::default()
        };
        if name.is_empty() || name.chars().count() > 120 {
            errors.add(
                "display_name",
                "Indiquez votre prénom et votre nom (120 caractères au plus).",
            );
        }
        errors
    }
}

async fn accept_invitation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    form: Result<Form<AcceptForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    let invitation = live_invitation(&state, &token).await?;
    let passwords = state.config.password_sign_in;
    let errors = form.problems(&invitation, passwords);
    let display_name = form.display_name.trim().to_string();
    if !errors.is_empty() {
        let page = InvitationPage {
            chrome: Chrome::new("", &viewer),
            error: None,
            notice: None,
            errors,
            token,
            invitation,
            display_name,
            password: passwords,
        };
        return Ok((form_status(&page.errors), render(&page)).into_response());
    }
    let hash = if invitation.existing_person.is_none() && passwords {
        Some(hash_off_runtime(form.password.new_password).await?)
    } else {
        None
    };
    let accepted = state
        .db
        .accept_invitation(&viewer.acting(None), &token, &display_name, hash.as_deref())
        .await?
        .ok_or_else(expired_link)?;
    let Some(session) = accepted.session else {
        return Ok(Redirect::to("/connexion?info=invitation").into_response());
    };
    Ok(with_cookie(
        Redirect::to("/?info=invitation-acceptee").into_response(),
        session_cookie(&state, &session),
    ))
}
