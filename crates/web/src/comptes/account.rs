//! My account: who I am, my structures and territories by name, my
//! password, my notifications, and signing out everywhere.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Redirect};
use passerelle_accounts::notification::{Frequency, Topic};
use passerelle_accounts::password::verify_password;
use passerelle_store::accounts::Person;
use serde::Deserialize;

use super::sign_in::audit_only;
use super::{
    NewPassword, form_status, hash_off_runtime, passwords_off, signed_in_person, with_cookie,
};
use crate::AppState;
use crate::auth::{Viewer, clear_session_cookie};
use crate::error::{PageError, PageResult};
use crate::forms::FieldErrors;
use crate::pages::{Chrome, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/compte", account_page),
        Route::post("/compte/mot-de-passe", change_password),
        Route::post("/compte/deconnexion-partout", sign_out_everywhere),
        Route::post("/compte/notifications", set_notifications),
    ]
}

#[derive(Template)]
#[template(path = "compte.html")]
struct AccountPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    /// The password form's problems, each next to its field.
    errors: FieldErrors,
    person: Person,
    /// Each structure: its id, its name, my role, and the territories I
    /// coordinate there by name.
    memberships: Vec<MembershipLine>,
    sessions: i64,
    /// Each part of Passerelle with its topics and what the person chose.
    preferences: Vec<(&'static str, Vec<(Topic, Frequency)>)>,
    /// Passwords are in use on this instance.
    password: bool,
}

/// A structure I belong to, as the page says it.
struct MembershipLine {
    structure_id: i64,
    structure_nom: String,
    role: &'static str,
    territories: Vec<String>,
}

/// What the page says after a form (`error` at the top for the
/// notifications, `errors` on the password fields).
#[derive(Default)]
struct Outcome {
    error: Option<String>,
    notice: Option<String>,
    errors: FieldErrors,
}

async fn account_page_with(state: &AppState, viewer: &Viewer, outcome: Outcome) -> PageResult {
    let person = signed_in_person(viewer, "/compte")?;
    let sessions = state.db.session_count(person.id).await?;
    let preferences = state.db.notification_preferences(person.id).await?;
    let mut memberships = Vec::new();
    for m in &viewer.memberships {
        let mut territories = Vec::new();
        for (level, code) in &m.scopes {
            let name = crate::home::territory_name(state, *level, code).await?;
            territories.push(format!("{} {name}", level.label()));
        }
        memberships.push(MembershipLine {
            structure_id: m.structure_id,
            structure_nom: m.structure_nom.clone(),
            role: m.role.label(),
            territories,
        });
    }
    let status = if outcome.error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        form_status(&outcome.errors)
    };
    let page = AccountPage {
        chrome: Chrome::new("", viewer),
        error: outcome.error,
        notice: outcome.notice,
        errors: outcome.errors,
        person,
        memberships,
        sessions,
        preferences: preferences
            .chunk_by(|a, b| a.0.area() == b.0.area())
            .map(|group| (group[0].0.area(), group.to_vec()))
            .collect(),
        password: state.config.password_sign_in,
    };
    Ok((status, render(&page)).into_response())
}

async fn account_page(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    account_page_with(&state, &viewer, Outcome::default()).await
}

#[derive(Deserialize)]
struct ChangePasswordForm {
    current_password: String,
    #[serde(flatten)]
    new: NewPassword,
}

async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<ChangePasswordForm>, FormRejection>,
) -> PageResult {
    passwords_off(&state)?;
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    let person = signed_in_person(&viewer, "/compte")?;
    let stored = state.db.password_hash(person.id).await?;
    let current = form.current_password;
    let valid =
        tokio::task::spawn_blocking(move || stored.is_some_and(|h| verify_password(&current, &h)))
            .await
            .unwrap_or(false);
    let errors = if valid {
        form.new.problems(&person.email)
    } else {
        let subject = Some(person.email.clone());
        audit_only(&state, &viewer, "password.change_refused", subject, None).await?;
        FieldErrors::one("current_password", "Le mot de passe actuel est incorrect.")
    };
    if !errors.is_empty() {
        let outcome = Outcome {
            errors,
            ..Outcome::default()
        };
        return account_page_with(&state, &viewer, outcome).await;
    }
    let hash = hash_off_runtime(form.new.new_password).await?;
    let this_session = viewer.session_token.as_deref();
    state
        .db
        .set_password(&viewer.acting(None), &person, &hash, this_session)
        .await?;
    let notice = "Mot de passe changé. Vos autres sessions ont été fermées.";
    account_page_with(&state, &viewer, notice_only(notice)).await
}

fn notice_only(notice: &str) -> Outcome {
    Outcome {
        notice: Some(notice.into()),
        ..Outcome::default()
    }
}

async fn sign_out_everywhere(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let person = signed_in_person(&viewer, "/compte")?;
    state
        .db
        .end_all_sessions(&viewer.acting(None), &person)
        .await?;
    Ok(with_cookie(
        Redirect::to("/connexion?info=deconnexion-partout").into_response(),
        clear_session_cookie(&state),
    ))
}

/// The account page's notifications form: a frequency code per topic code.
#[derive(Deserialize)]
struct NotificationsForm {
    #[serde(flatten)]
    fields: std::collections::BTreeMap<String, String>,
}

impl TryFrom<NotificationsForm> for Vec<(Topic, Frequency)> {
    type Error = String;

    fn try_from(form: NotificationsForm) -> Result<Self, String> {
        Topic::ALL
            .iter()
            .map(|topic| {
                form.fields
                    .get(topic.code())
                    .and_then(|f| Frequency::parse(f))
                    .filter(|f| topic.choices().contains(f))
                    .map(|f| (*topic, f))
                    .ok_or_else(|| {
                        format!("Choisissez quand être prévenu : « {} ».", topic.label())
                    })
            })
            .collect()
    }
}

async fn set_notifications(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<NotificationsForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    let person = signed_in_person(&viewer, "/compte")?;
    let choices = match Vec::<(Topic, Frequency)>::try_from(form) {
        Ok(choices) => choices,
        Err(why) => {
            let outcome = Outcome {
                error: Some(why),
                ..Outcome::default()
            };
            return account_page_with(&state, &viewer, outcome).await;
        }
    };
    state
        .db
        .set_notification_preferences(&viewer.acting(None), person.id, &choices)
        .await?;
    let notice = "Vos choix de notifications sont enregistrés.";
    account_page_with(&state, &viewer, notice_only(notice)).await
}
