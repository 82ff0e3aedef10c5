//! Signing in with a password (throttled per address, network and device)
//! or with ProConnect, and signing out (at the provider too when the
//! session came from it).

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::normalize_email;
use passerelle_accounts::password::{verify_nothing, verify_password};
use passerelle_accounts::secret::looks_like_secret;
use passerelle_accounts::throttle::{self, Verdict};
use passerelle_store::accounts::{AuditEvent, Person};
use passerelle_store::oidc::SignIn;
use serde::Deserialize;

use super::{passwords_off, safe_next, with_cookie};
use crate::AppState;
use crate::auth::{
    DEVICE_COOKIE, Viewer, clear_session_cookie, cookie, device_cookie, session_cookie,
};
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, render};
use crate::proconnect::{Failure, FinishFailure, StartFailure};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/connexion", sign_in_page),
        Route::post("/connexion", sign_in),
        Route::post("/connexion/proconnect", proconnect_start),
        Route::get(crate::proconnect::CALLBACK_PATH, proconnect_callback),
        Route::post("/deconnexion", sign_out),
    ]
}

const DEACTIVATED: &str = "Votre compte a été désactivé après six mois sans connexion. Demandez à un gestionnaire de votre structure de le réactiver.";

#[derive(Template)]
#[template(path = "connexion.html")]
struct SignInPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    email: String,
    suite: String,
    /// The ProConnect button is shown.
    proconnect: bool,
    /// The password form is shown.
    password: bool,
}

impl SignInPage {
    fn new(state: &AppState, viewer: &Viewer, suite: String) -> Self {
        Self {
            chrome: Chrome::new("", viewer),
            error: None,
            notice: None,
            email: String::new(),
            suite,
            proconnect: state.config.proconnect.is_some(),
            password: state.config.password_sign_in,
        }
    }

    /// The page again with why the sign-in failed, what was typed kept.
    fn refused(self, status: StatusCode, error: impl Into<String>) -> Response {
        let page = Self {
            error: Some(error.into()),
            ..self
        };
        (status, render(&page)).into_response()
    }
}

#[derive(Deserialize, Default)]
struct SignInQuery {
    #[serde(default)]
    suite: String,
    #[serde(default)]
    info: String,
}

async fn sign_in_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<SignInQuery>,
) -> Response {
    let notice = match q.info.as_str() {
        "mot-de-passe" => "Votre mot de passe a été changé : connectez-vous avec le nouveau.",
        "invitation" => "Invitation acceptée : connectez-vous pour y accéder.",
        "deconnexion-partout" => "Toutes vos sessions ont été fermées.",
        _ => "",
    };
    render(&SignInPage {
        notice: (!notice.is_empty()).then(|| notice.to_string()),
        ..SignInPage::new(&state, &viewer, q.suite)
    })
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    suite: String,
}

async fn sign_in(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> PageResult {
    passwords_off(&state)?;
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    let email: String = normalize_email(&form.email)
        .unwrap_or_else(|| form.email.trim().to_lowercase().chars().take(254).collect());
    let page = SignInPage {
        email: email.clone(),
        ..SignInPage::new(&state, &viewer, form.suite.clone())
    };
    let person = state.db.person_by_email(&email).await?;
    let device = cookie(&headers, DEVICE_COOKIE).filter(|t| looks_like_secret(t));
    let mut attempts = state
        .db
        .sign_in_attempts(&email, viewer.ip.as_deref())
        .await?;
    if let (Some(token), Some(p)) = (device, &person) {
        attempts.trusted_device = state.db.trusted_device(token, p.id).await?;
    }
    if let Verdict::Wait { seconds } = throttle::decide(&attempts, chrono::Utc::now().timestamp()) {
        audit_attempt(&state, &viewer, "sign_in.throttled", &email).await?;
        let mut answer = page.refused(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Trop de tentatives de connexion : réessayez dans {}, ou choisissez un nouveau mot de passe avec « Mot de passe oublié ? ».",
                french_wait(seconds)
            ),
        );
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        return Ok(answer);
    }
    let Some(person) = checked_password(&state, person, form.password).await? else {
        audit_attempt(&state, &viewer, "sign_in.failure", &email).await?;
        if let Some(token) = device.filter(|_| attempts.trusted_device) {
            state.db.device_failure(token).await?;
        }
        return Ok(page.refused(
            StatusCode::UNAUTHORIZED,
            "Adresse électronique ou mot de passe incorrect.",
        ));
    };
    if person.deactivated {
        // The password was right: saying so reveals nothing new.
        return Ok(page.refused(StatusCode::FORBIDDEN, DEACTIVATED));
    }
    let new_device = state.db.trust_device(device, person.id).await?;
    // A new session on each sign-in: a session fixed before cannot be reused.
    if let Some(old) = &viewer.session_token {
        state.db.end_session(old).await?;
    }
    let token = state
        .db
        .sign_in(&viewer.acting(None), &person, None)
        .await?;
    let mut answer = with_cookie(
        Redirect::to(safe_next(&form.suite)).into_response(),
        session_cookie(&state, &token),
    );
    if let Some(device) = new_device {
        answer = with_cookie(answer, device_cookie(&state, &device));
    }
    Ok(answer)
}

/// The person if the password is theirs. An unknown address or an account
/// without a password spends the same time as a wrong password.
async fn checked_password(
    state: &AppState,
    person: Option<Person>,
    password: String,
) -> Result<Option<Person>, PageError> {
    let stored = match &person {
        Some(p) => state.db.password_hash(p.id).await?,
        None => None,
    };
    let valid = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_nothing(&password);
            false
        }
    })
    .await
    .unwrap_or(false);
    Ok(person.filter(|_| valid))
}

/// A sign-in attempt that changed nothing but the trail (refused or
/// throttled): its audit line is the only write.
async fn audit_attempt(
    state: &AppState,
    viewer: &Viewer,
    action: &str,
    email: &str,
) -> Result<(), PageError> {
    audit_only(state, viewer, action, Some(email.to_string()), None).await
}

/// An audit line alone, for what is refused before anything is written.
pub(super) async fn audit_only(
    state: &AppState,
    viewer: &Viewer,
    action: &str,
    subject: Option<String>,
    detail: Option<String>,
) -> Result<(), PageError> {
    let event = AuditEvent {
        action: action.into(),
        actor_person_id: viewer.person_id(),
        actor_token_id: viewer.token_id(),
        structure_id: None,
        subject,
        detail,
        ip: viewer.ip.clone(),
    };
    Ok(state.db.audit(&event).await?)
}

/// "3 secondes", "2 minutes": how long to wait, rounded up.
fn french_wait(seconds: i64) -> String {
    match seconds {
        ..=1 => "1 seconde".to_string(),
        2..=90 => format!("{seconds} secondes"),
        _ => format!("{} minutes", (seconds + 59) / 60),
    }
}

async fn sign_out(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let mut to = "/".to_string();
    if let Some(token) = &viewer.session_token {
        // A session opened through ProConnect ends there too.
        let id_token = state.db.session_id_token(token).await?;
        if let (Some(id_token), Some(provider)) = (id_token, &state.config.proconnect)
            && let Some(url) = provider.logout_url(&id_token).await
        {
            to = url;
        }
        state.db.sign_out(&viewer.acting(None), token).await?;
    }
    Ok(with_cookie(
        Redirect::to(&to).into_response(),
        clear_session_cookie(&state),
    ))
}

// ----- ProConnect -------------------------------------------------------------

#[derive(Deserialize)]
struct ProConnectForm {
    #[serde(default)]
    suite: String,
}

/// "S’identifier avec ProConnect": keeps the sign-in's state, nonce and
/// PKCE verifier, then sends the person to the provider.
async fn proconnect_start(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<ProConnectForm>, FormRejection>,
) -> PageResult {
    let Some(provider) = state.config.proconnect.clone() else {
        return Err(PageError::NotFound);
    };
    let suite = form.map(|Form(f)| f.suite).unwrap_or_default();
    match provider.start(&state.db, safe_next(&suite)).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(StartFailure::Store(e)) => Err(e.into()),
        Err(StartFailure::Provider(failure)) => Ok(SignInPage::new(&state, &viewer, String::new())
            .refused(StatusCode::BAD_GATEWAY, failure.message())),
    }
}

/// The provider's answer: verified, then the person signed in (found by
/// their identity or address, or created, asking their structure to
/// accept them), everything audited.
async fn proconnect_callback(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(answer): Query<crate::proconnect::Callback>,
) -> PageResult {
    let Some(provider) = state.config.proconnect.clone() else {
        return Err(PageError::NotFound);
    };
    let page = SignInPage::new(&state, &viewer, String::new());
    let verified = match provider.finish(&state.db, &answer).await {
        Ok(v) => v,
        Err(FinishFailure::Store(e)) => return Err(e.into()),
        Err(FinishFailure::Refused(failure)) => {
            audit_only(
                &state,
                &viewer,
                "oidc.refused",
                None,
                Some(failure.code().into()),
            )
            .await?;
            let status = if failure == Failure::Unreachable {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::UNAUTHORIZED
            };
            return Ok(page.refused(status, failure.message()));
        }
    };
    let outcome = state
        .db
        .oidc_sign_in(&viewer.acting(None), &verified.profile)
        .await?;
    let SignIn::Person {
        person, requested, ..
    } = outcome
    else {
        // No address in the trail: it may be no account's.
        let why = Some("unverified_email".to_string());
        audit_only(&state, &viewer, "oidc.refused", None, why).await?;
        return Ok(page.refused(StatusCode::UNAUTHORIZED, Failure::NoEmail.message()));
    };
    if person.deactivated {
        return Ok(page.refused(StatusCode::FORBIDDEN, DEACTIVATED));
    }
    if let Some(old) = &viewer.session_token {
        state.db.end_session(old).await?;
    }
    let signed_in = Viewer {
        person: Some(person.clone()),
        ..viewer.clone()
    };
    let token = state
        .db
        .create_oidc_session(&signed_in.acting(None), &person, &verified.id_token)
        .await?;
    let to = if requested.is_some() {
        "/?info=demande-envoyee"
    } else {
        safe_next(&verified.next_path)
    };
    Ok(with_cookie(
        Redirect::to(to).into_response(),
        session_cookie(&state, &token),
    ))
}
