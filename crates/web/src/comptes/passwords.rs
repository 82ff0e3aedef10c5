//! A forgotten password: the request (the same answer whether or not the
//! address has an account, three a hour at most) and the reset link's page,
//! where a new password is chosen.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use passerelle_accounts::normalize_email;
use passerelle_accounts::secret::looks_like_secret;
use serde::Deserialize;

use super::{NewPassword, expired_link, form_status, hash_off_runtime, passwords_off, with_cookie};
use crate::AppState;
use crate::auth::{Viewer, clear_session_cookie};
use crate::error::{PageError, PageResult};
use crate::forms::FieldErrors;
use crate::pages::{Chrome, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/mot-de-passe-oublie", forgot_page),
        Route::post("/mot-de-passe-oublie", forgot),
        Route::get("/reinitialisation/{token}", reset_page),
        Route::post("/reinitialisation/{token}", reset),
    ]
}

const RESETS_PER_HOUR: i64 = 3;

#[derive(Template)]
#[template(path = "mot_de_passe_oublie.html")]
struct ForgotPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
}

async fn forgot_page(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    passwords_off(&state)?;
    Ok(render(&ForgotPage {
        chrome: Chrome::new("", &viewer),
        error: None,
        notice: None,
    }))
}

#[derive(Deserialize)]
struct ForgotForm {
    email: String,
}

async fn forgot(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<ForgotForm>, FormRejection>,
) -> PageResult {
    passwords_off(&state)?;
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    if let Some(email) = normalize_email(&form.email) {
        let recent = state
            .db
            .recent_events("password.reset_requested", Some(&email), None, 3600)
            .await?;
        let person = state.db.person_by_email(&email).await?;
        let person = person.filter(|_| recent < RESETS_PER_HOUR);
        state
            .db
            .request_password_reset(&viewer.acting(None), &email, person.as_ref())
            .await?;
    }
    // The same answer whether or not the address has an account.
    Ok(render(&ForgotPage {
        chrome: Chrome::new("", &viewer),
        error: None,
        notice: Some("Si cette adresse correspond à un compte, un courriel vient d’y être envoyé avec un lien valable une heure.".into()),
    }))
}

#[derive(Template)]
#[template(path = "reinitialisation.html")]
struct ResetPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    errors: FieldErrors,
    token: String,
    email: String,
}

/// The address a live reset link is for, or the expired-link page.
async fn reset_email(state: &AppState, token: &str) -> Result<String, PageError> {
    if !looks_like_secret(token) {
        return Err(expired_link());
    }
    state
        .db
        .password_reset_email(token)
        .await?
        .ok_or_else(expired_link)
}

async fn reset_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> PageResult {
    passwords_off(&state)?;
    let email = reset_email(&state, &token).await?;
    Ok(render(&ResetPage {
        chrome: Chrome::new("", &viewer),
        error: None,
        notice: None,
        errors: FieldErrors::default(),
        token,
        email,
    }))
}

/// The reset form: a new password, and whether to end the person's other
/// sessions (a checkbox, ticked when the page opens).
#[derive(Deserialize)]
struct ResetForm {
    #[serde(flatten)]
    password: NewPassword,
    #[serde(default)]
    autres_sessions: String,
}

async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    form: Result<Form<ResetForm>, FormRejection>,
) -> PageResult {
    passwords_off(&state)?;
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    let email = reset_email(&state, &token).await?;
    let errors = form.password.problems(&email);
    if !errors.is_empty() {
        let page = ResetPage {
            chrome: Chrome::new("", &viewer),
            error: None,
            notice: None,
            errors,
            token,
            email,
        };
        return Ok((form_status(&page.errors), render(&page)).into_response());
    }
    let end_sessions = form.autres_sessions == "fermer";
    let hash = hash_off_runtime(form.password.new_password).await?;
    state
        .db
        .reset_password(&viewer.acting(None), &token, &hash, end_sessions)
        .await?
        .ok_or_else(expired_link)?;
    Ok(with_cookie(
        Redirect::to("/connexion?info=mot-de-passe").into_response(),
        clear_session_cookie(&state),
    ))
}
