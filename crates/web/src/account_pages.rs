//! Comptes pages: sign-in and sign-out, password reset, invitation
//! acceptance, my account, a structure's members and API tokens, and the
//! administration (structures, audit trail, outbox). Every access decision
//! goes through `passerelle_accounts::policy`; every security-relevant event
//! is appended to the audit trail.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::notification::{Frequency, Topic};
use passerelle_accounts::password::{
    check_new_password, hash_password, verify_nothing, verify_password,
};
use passerelle_accounts::policy::{Action, Denial};
use passerelle_accounts::secret::looks_like_secret;
use passerelle_accounts::throttle::{self, Verdict};
use passerelle_accounts::{Role, ScopeLevel, StructureKind, is_valid_siret, normalize_email};
use passerelle_store::StoreError;
use passerelle_store::accounts::{
    ApiTokenView, AuditEvent, AuditRecord, Invitation, MembershipView, NewInvitation, NewStructure,
    Person, Structure, StructureSummary,
};
use passerelle_territory::codes::is_commune_code;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{
    DEVICE_COOKIE, Viewer, clear_session_cookie, cookie, device_cookie, page_denial, session_cookie,
};
use crate::pages::{Chrome, Crumb, crumbs, message, render, storage_failure};
use crate::proconnect::{Failure, FinishFailure, StartFailure};
use crate::routes::Route;
use passerelle_store::oidc::{Decision, SignIn};

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/connexion", sign_in_page),
        Route::post("/connexion", sign_in),
        Route::post("/connexion/proconnect", proconnect_start),
        Route::get(crate::proconnect::CALLBACK_PATH, proconnect_callback),
        Route::post("/deconnexion", sign_out),
        Route::get("/mot-de-passe-oublie", forgot_page),
        Route::post("/mot-de-passe-oublie", forgot),
        Route::get("/reinitialisation/{token}", reset_page),
        Route::post("/reinitialisation/{token}", reset),
        Route::get("/invitation/{token}", invitation_page),
        Route::post("/invitation/{token}", accept_invitation),
        Route::get("/compte", account_page),
        Route::post("/compte/mot-de-passe", change_password),
        Route::post("/compte/deconnexion-partout", sign_out_everywhere),
        Route::post("/compte/notifications", set_notifications),
        Route::get("/admin/structures", structures_page),
        Route::post("/admin/structures", create_structure),
        Route::get("/admin/journal", audit_page),
        Route::get("/admin/journal.csv", audit_csv),
        Route::get("/admin/courriels", outbox_page),
        Route::get("/structures/{id}", structure_page),
        Route::post("/structures/{id}/invitations", invite),
        Route::post("/structures/{id}/membres/{membership}/role", change_role),
        Route::post("/structures/{id}/membres/{membership}/fin", end_membership),
        Route::post(
            "/structures/{id}/membres/{membership}/reactivation",
            reactivate_member,
        ),
        Route::post(
            "/structures/{id}/demandes/{request}/acceptation",
            accept_request,
        ),
        Route::post("/structures/{id}/demandes/{request}/refus", decline_request),
        Route::post("/structures/{id}/jetons", create_token),
        Route::post("/structures/{id}/jetons/{token}/revocation", revoke_token),
    ]
}

const RESETS_PER_HOUR: i64 = 3;

type PageResult = Result<Response, Response>;

fn store(e: StoreError) -> Response {
    storage_failure(e)
}

fn bad_form() -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "Formulaire incomplet",
        &["Le formulaire envoyé est incomplet ou mal formé. Rechargez la page et recommencez."],
    )
}

async fn audit(
    state: &AppState,
    viewer: &Viewer,
    action: &str,
    structure_id: Option<i64>,
    subject: Option<String>,
    detail: Option<String>,
) -> Result<(), Response> {
    let event = AuditEvent {
        action: action.into(),
        actor_person_id: viewer.person_id(),
        actor_token_id: viewer.token_id(),
        structure_id,
        subject,
        detail,
        ip: viewer.ip.clone(),
    };
    state.db.audit(&event).await.map_err(store)
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

async fn hash_off_runtime(password: String) -> Result<String, Response> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| {
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur interne",
                &["Réessayez."],
            )
        })
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

// ----- sign-in ----------------------------------------------------------------

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
}

/// The answer of the password routes on an instance that turned
/// passwords off: people sign in with ProConnect there.
fn passwords_off(state: &AppState) -> Option<Response> {
    (!state.config.password_sign_in).then(|| {
        message(
            StatusCode::NOT_FOUND,
            "Connexion par mot de passe désactivée",
            &["Sur cette instance, on se connecte avec ProConnect : revenez à la page « Se connecter » et cliquez sur « S’identifier avec ProConnect »."],
        )
    })
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
        "mot-de-passe" => {
            Some("Votre mot de passe a été changé : connectez-vous avec le nouveau.".to_string())
        }
        "invitation" => Some("Invitation acceptée : connectez-vous pour y accéder.".to_string()),
        "deconnexion-partout" => Some("Toutes vos sessions ont été fermées.".to_string()),
        _ => None,
    };
    render(&SignInPage {
        notice,
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
) -> Response {
    if let Some(off) = passwords_off(&state) {
        return off;
    }
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    match sign_in_inner(&state, &viewer, &headers, form).await {
        Ok(r) | Err(r) => r,
    }
}

async fn sign_in_inner(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    form: SignInForm,
) -> PageResult {
    let email: String = normalize_email(&form.email)
        .unwrap_or_else(|| form.email.trim().to_lowercase().chars().take(254).collect());
    let refuse = |status: StatusCode, error: &str| {
        let page = SignInPage {
            error: Some(error.into()),
            email: email.clone(),
            ..SignInPage::new(state, viewer, form.suite.clone())
        };
        (status, render(&page)).into_response()
    };
    let person = state.db.person_by_email(&email).await.map_err(store)?;
    let device = cookie(headers, DEVICE_COOKIE).filter(|t| looks_like_secret(t));
    let mut attempts = state
        .db
        .sign_in_attempts(&email, viewer.ip.as_deref())
        .await
        .map_err(store)?;
    if let (Some(token), Some(p)) = (device, &person) {
        attempts.trusted_device = state.db.trusted_device(token, p.id).await.map_err(store)?;
    }
    if let Verdict::Wait { seconds } = throttle::decide(&attempts, chrono::Utc::now().timestamp()) {
        audit(
            state,
            viewer,
            "sign_in.throttled",
            None,
            Some(email.clone()),
            None,
        )
        .await?;
        let mut answer = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Trop de tentatives de connexion : réessayez dans {}, ou choisissez un nouveau mot de passe avec « Mot de passe oublié ? ».",
                french_wait(seconds)
            ),
        );
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        return Err(answer);
    }
    let stored = match &person {
        Some(p) => state.db.password_hash(p.id).await.map_err(store)?,
        None => None,
    };
    let password = form.password;
    // Unknown address or no password: spend the same time as a wrong password.
    let valid = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_nothing(&password);
            false
        }
    })
    .await
    .unwrap_or(false);
    let Some(person) = person.filter(|_| valid) else {
        audit(
            state,
            viewer,
            "sign_in.failure",
            None,
            Some(email.clone()),
            None,
        )
        .await?;
        if let Some(token) = device.filter(|_| attempts.trusted_device) {
            state.db.device_failure(token).await.map_err(store)?;
        }
        return Err(refuse(
            StatusCode::UNAUTHORIZED,
            "Adresse électronique ou mot de passe incorrect.",
        ));
    };
    if person.deactivated {
        // The password was right: saying so reveals nothing new.
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "Votre compte a été désactivé après six mois sans connexion. Demandez à un gestionnaire de votre structure de le réactiver.",
        ));
    }
    let new_device = state
        .db
        .trust_device(device, person.id)
        .await
        .map_err(store)?;
    // A new session on each sign-in: a session fixed before cannot be reused.
    if let Some(old) = &viewer.session_token {
        state.db.end_session(old).await.map_err(store)?;
    }
    let token = state
        .db
        .sign_in(&viewer.acting(None), &person, None)
        .await
        .map_err(store)?;
    let mut answer = with_cookie(
        Redirect::to(safe_next(&form.suite)).into_response(),
        session_cookie(state, &token),
    );
    if let Some(device) = new_device {
        answer = with_cookie(answer, device_cookie(state, &device));
    }
    Ok(answer)
}

/// "3 secondes", "2 minutes": how long to wait, rounded up.
fn french_wait(seconds: i64) -> String {
    match seconds {
        ..=1 => "1 seconde".to_string(),
        2..=90 => format!("{seconds} secondes"),
        _ => format!("{} minutes", (seconds + 59) / 60),
    }
}

async fn sign_out(State(state): State<AppState>, viewer: Viewer) -> Response {
    let mut to = "/".to_string();
    if let Some(token) = &viewer.session_token {
        // A session opened through ProConnect ends there too.
        let id_token = match state.db.session_id_token(token).await {
            Ok(t) => t,
            Err(e) => return store(e),
        };
        if let (Some(id_token), Some(provider)) = (id_token, &state.config.proconnect)
            && let Some(url) = provider.logout_url(&id_token).await
        {
            to = url;
        }
        if let Err(e) = state.db.sign_out(&viewer.acting(None), token).await {
            return store(e);
        }
    }
    with_cookie(
        Redirect::to(&to).into_response(),
        clear_session_cookie(&state),
    )
}

// ----- ProConnect -------------------------------------------------------------

#[derive(Deserialize)]
struct ProConnectForm {
    #[serde(default)]
    suite: String,
}

/// The sign-in page with a French refusal, password form as configured.
fn sign_in_refused(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    error: String,
) -> Response {
    let page = SignInPage {
        error: Some(error),
        ..SignInPage::new(state, viewer, String::new())
    };
    (status, render(&page)).into_response()
}

/// "S’identifier avec ProConnect": keeps the sign-in's state, nonce and
/// PKCE verifier, then sends the person to the provider.
async fn proconnect_start(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<ProConnectForm>, FormRejection>,
) -> Response {
    let Some(provider) = state.config.proconnect.clone() else {
        return crate::pages::missing();
    };
    let suite = form.map(|Form(f)| f.suite).unwrap_or_default();
    match provider.start(&state.db, safe_next(&suite)).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(StartFailure::Store(e)) => store(e),
        Err(StartFailure::Provider(failure)) => {
            sign_in_refused(&state, &viewer, StatusCode::BAD_GATEWAY, failure.message())
        }
    }
}

/// The provider's answer: verified, then the person signed in (found by
/// their identity or address, or created, asking their structure to
/// accept them), everything audited.
async fn proconnect_callback(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(answer): Query<crate::proconnect::Callback>,
) -> Response {
    let Some(provider) = state.config.proconnect.clone() else {
        return crate::pages::missing();
    };
    let result: PageResult = async {
        let verified = match provider.finish(&state.db, &answer).await {
            Ok(v) => v,
            Err(FinishFailure::Store(e)) => return Err(store(e)),
            Err(FinishFailure::Refused(failure)) => {
                audit(&state, &viewer, "oidc.refused", None, None, Some(failure.code().into()))
                    .await?;
                let status = if failure == Failure::Unreachable {
                    StatusCode::BAD_GATEWAY
                } else {
                    StatusCode::UNAUTHORIZED
                };
                return Err(sign_in_refused(&state, &viewer, status, failure.message()));
            }
        };
        let outcome = state
            .db
            .oidc_sign_in(&viewer.acting(None), &verified.profile)
            .await
            .map_err(store)?;
        let SignIn::Person { person, requested, .. } = outcome else {
            // No address in the trail: it may be no account's.
            audit(&state, &viewer, "oidc.refused", None, None, Some("unverified_email".into())).await?;
            return Err(sign_in_refused(&state, &viewer, StatusCode::UNAUTHORIZED, Failure::NoEmail.message()));
        };
        if person.deactivated {
            return Err(sign_in_refused(
                &state,
                &viewer,
                StatusCode::FORBIDDEN,
                "Votre compte a été désactivé après six mois sans connexion. Demandez à un gestionnaire de votre structure de le réactiver.".into(),
            ));
        }
        if let Some(old) = &viewer.session_token {
            state.db.end_session(old).await.map_err(store)?;
        }
        let signed_in = Viewer {
            person: Some(person.clone()),
            ..viewer.clone()
        };
        let token = state
            .db
            .create_oidc_session(&signed_in.acting(None), &person, &verified.id_token)
            .await
            .map_err(store)?;
        let to = if requested.is_some() {
            "/?info=demande-envoyee".to_string()
        } else {
            safe_next(&verified.next_path).to_string()
        };
        Ok(with_cookie(
            Redirect::to(&to).into_response(),
            session_cookie(&state, &token),
        ))
    }
    .await;
    result.unwrap_or_else(|r| r)
}

// ----- password reset --------------------------------------------------------

#[derive(Template)]
#[template(path = "mot_de_passe_oublie.html")]
struct ForgotPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
}

async fn forgot_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    if let Some(off) = passwords_off(&state) {
        return off;
    }
    render(&ForgotPage {
        chrome: Chrome::new("", &viewer),
        error: None,
        notice: None,
    })
}

#[derive(Deserialize)]
struct ForgotForm {
    email: String,
}

async fn forgot(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<ForgotForm>, FormRejection>,
) -> Response {
    if let Some(off) = passwords_off(&state) {
        return off;
    }
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result: PageResult = async {
        if let Some(email) = normalize_email(&form.email) {
            let recent = state.db.recent_events("password.reset_requested", Some(&email), None, 3600).await.map_err(store)?;
            let person = state.db.person_by_email(&email).await.map_err(store)?;
            let person = person.filter(|_| recent < RESETS_PER_HOUR);
            state
                .db
                .request_password_reset(&viewer.acting(None), &email, person.as_ref())
                .await
                .map_err(store)?;
        }
        // The same answer whether or not the address has an account.
        Ok(render(&ForgotPage {
            chrome: Chrome::new("", &viewer),
            error: None,
            notice: Some("Si cette adresse correspond à un compte, un courriel vient d’y être envoyé avec un lien valable une heure.".into()),
        }))
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(Template)]
#[template(path = "reinitialisation.html")]
struct ResetPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    token: String,
    email: String,
}

fn expired_link() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Lien expiré ou déjà utilisé",
        &[
            "Ce lien n’est plus valable. Demandez-en un nouveau depuis la page « Mot de passe oublié ? » ou auprès du gestionnaire de votre structure.",
        ],
    )
}

async fn reset_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Response {
    if let Some(off) = passwords_off(&state) {
        return off;
    }
    if !looks_like_secret(&token) {
        return expired_link();
    }
    match state.db.password_reset_email(&token).await {
        Ok(Some(email)) => render(&ResetPage {
            chrome: Chrome::new("", &viewer),
            error: None,
            notice: None,
            token,
            email,
        }),
        Ok(None) => expired_link(),
        Err(e) => store(e),
    }
}

#[derive(Deserialize)]
struct NewPasswordForm {
    new_password: String,
    confirmation: String,
}

/// The reset form: a new password, and whether to end the person's other
/// sessions (a checkbox, ticked when the page opens).
#[derive(Deserialize)]
struct ResetForm {
    new_password: String,
    confirmation: String,
    #[serde(default)]
    autres_sessions: String,
}

/// Checks a new password and its confirmation; the French reason if refused.
fn new_password_problem(form: &NewPasswordForm, email: &str) -> Option<String> {
    if form.new_password != form.confirmation {
        return Some("Les deux mots de passe saisis sont différents.".into());
    }
    check_new_password(&form.new_password, email)
        .err()
        .map(|p| p.message())
}

async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    form: Result<Form<ResetForm>, FormRejection>,
) -> Response {
    if let Some(off) = passwords_off(&state) {
        return off;
    }
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    if !looks_like_secret(&token) {
        return expired_link();
    }
    let end_sessions = form.autres_sessions == "fermer";
    let form = NewPasswordForm {
        new_password: form.new_password,
        confirmation: form.confirmation,
    };
    let result: PageResult = async {
        let Some(email) = state.db.password_reset_email(&token).await.map_err(store)? else {
            return Err(expired_link());
        };
        if let Some(problem) = new_password_problem(&form, &email) {
            let page = ResetPage {
                chrome: Chrome::new("", &viewer),
                error: Some(problem),
                notice: None,
                token,
                email,
            };
            return Err((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
        let hash = hash_off_runtime(form.new_password).await?;
        if state
            .db
            .reset_password(&viewer.acting(None), &token, &hash, end_sessions)
            .await
            .map_err(store)?
            .is_none()
        {
            return Err(expired_link());
        }
        Ok(with_cookie(
            Redirect::to("/connexion?info=mot-de-passe").into_response(),
            clear_session_cookie(&state),
        ))
    }
    .await;
    result.unwrap_or_else(|r| r)
}

// ----- invitations -----------------------------------------------------------

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    token: String,
    invitation: Invitation,
    display_name: String,
    /// A new account chooses a password (not where passwords are off:
    /// the person then signs in with ProConnect, with this address).
    password: bool,
}

async fn invitation_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Response {
    if !looks_like_secret(&token) {
        return expired_link();
    }
    match state.db.invitation(&token).await {
        Ok(Some(invitation)) => render(&InvitationPage {
            chrome: Chrome::new("", &viewer),
            error: None,
            notice: None,
            token,
            invitation,
            display_name: String::new(),
            password: state.config.password_sign_in,
        }),
        Ok(None) => expired_link(),
        Err(e) => store(e),
    }
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirmation: String,
}

async fn accept_invitation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    form: Result<Form<AcceptForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    if !looks_like_secret(&token) {
        return expired_link();
    }
    let result: PageResult = async {
        let Some(invitation) = state.db.invitation(&token).await.map_err(store)? else {
            return Err(expired_link());
        };
        let is_new = invitation.existing_person.is_none();
        let display_name = form.display_name.trim().to_string();
        let password = NewPasswordForm {
            new_password: form.new_password,
            confirmation: form.confirmation,
        };
        let problem = if !is_new {
            None
        } else if display_name.is_empty() || display_name.chars().count() > 120 {
            Some("Indiquez votre prénom et votre nom (120 caractères au plus).".to_string())
        } else if state.config.password_sign_in {
            new_password_problem(&password, &invitation.email)
        } else {
            None
        };
        if let Some(problem) = problem {
            let page = InvitationPage {
                chrome: Chrome::new("", &viewer),
                error: Some(problem),
                notice: None,
                token,
                invitation,
                display_name,
                password: state.config.password_sign_in,
            };
            return Err((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
        let hash = if is_new && state.config.password_sign_in {
            Some(hash_off_runtime(password.new_password).await?)
        } else {
            None
        };
        let Some(accepted) = state
            .db
            .accept_invitation(&viewer.acting(None), &token, &display_name, hash.as_deref())
            .await
            .map_err(store)?
        else {
            return Err(expired_link());
        };
        let Some(session) = accepted.session else {
            return Ok(Redirect::to("/connexion?info=invitation").into_response());
        };
        Ok(with_cookie(
            Redirect::to("/?info=invitation-acceptee").into_response(),
            session_cookie(&state, &session),
        ))
    }
    .await;
    result.unwrap_or_else(|r| r)
}

// ----- my account ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "compte.html")]
struct AccountPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    person: Person,
    memberships: Vec<MembershipView>,
    sessions: i64,
    /// How the person is told about each topic.
    /// Each part of Passerelle with its topics and what the person chose.
    preferences: Vec<(&'static str, Vec<(Topic, Frequency)>)>,
    /// Passwords are in use on this instance.
    password: bool,
}

/// The signed-in person, or the denial to answer with.
fn signed_in_person(viewer: &Viewer, path: &str) -> Result<Person, Response> {
    viewer
        .authorize(Action::ViewOwnAccount)
        .map_err(|d| page_denial(d, path))?;
    viewer
        .person
        .clone()
        .ok_or_else(|| page_denial(Denial::Forbidden, path))
}

async fn account_page_with(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let person = signed_in_person(viewer, "/compte")?;
    let sessions = state.db.session_count(person.id).await.map_err(store)?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let preferences = state
        .db
        .notification_preferences(person.id)
        .await
        .map_err(store)?;
    let page = AccountPage {
        chrome: Chrome::new("", viewer),
        error,
        notice,
        person,
        memberships: viewer.memberships.clone(),
        sessions,
        preferences: preferences
            .chunk_by(|a, b| a.0.area() == b.0.area())
            .map(|group| (group[0].0.area(), group.to_vec()))
            .collect(),
        password: state.config.password_sign_in,
    };
    Ok((status, render(&page)).into_response())
}

async fn account_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    account_page_with(&state, &viewer, None, None)
        .await
        .unwrap_or_else(|r| r)
}

#[derive(Deserialize)]
struct ChangePasswordForm {
    current_password: String,
    new_password: String,
    confirmation: String,
}

async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<ChangePasswordForm>, FormRejection>,
) -> Response {
    if let Some(off) = passwords_off(&state) {
        return off;
    }
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result: PageResult = async {
        let person = signed_in_person(&viewer, "/compte")?;
        let stored = state.db.password_hash(person.id).await.map_err(store)?;
        let current = form.current_password.clone();
        let valid = tokio::task::spawn_blocking(move || {
            stored.is_some_and(|h| verify_password(&current, &h))
        })
        .await
        .unwrap_or(false);
        if !valid {
            audit(
                &state,
                &viewer,
                "password.change_refused",
                None,
                Some(person.email.clone()),
                None,
            )
            .await?;
            return account_page_with(
                &state,
                &viewer,
                Some("Le mot de passe actuel est incorrect.".into()),
                None,
            )
            .await;
        }
        let new = NewPasswordForm {
            new_password: form.new_password,
            confirmation: form.confirmation,
        };
        if let Some(problem) = new_password_problem(&new, &person.email) {
            return account_page_with(&state, &viewer, Some(problem), None).await;
        }
        let hash = hash_off_runtime(new.new_password).await?;
        state
            .db
            .set_password(
                &viewer.acting(None),
                &person,
                &hash,
                viewer.session_token.as_deref(),
            )
            .await
            .map_err(store)?;
        account_page_with(
            &state,
            &viewer,
            None,
            Some("Mot de passe changé. Vos autres sessions ont été fermées.".into()),
        )
        .await
    }
    .await;
    result.unwrap_or_else(|r| r)
}

async fn sign_out_everywhere(State(state): State<AppState>, viewer: Viewer) -> Response {
    let result: PageResult = async {
        let person = signed_in_person(&viewer, "/compte")?;
        state
            .db
            .end_all_sessions(&viewer.acting(None), &person)
            .await
            .map_err(store)?;
        Ok(with_cookie(
            Redirect::to("/connexion?info=deconnexion-partout").into_response(),
            clear_session_cookie(&state),
        ))
    }
    .await;
    result.unwrap_or_else(|r| r)
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
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result: PageResult = async {
        let person = signed_in_person(&viewer, "/compte")?;
        let choices = match Vec::<(Topic, Frequency)>::try_from(form) {
            Ok(choices) => choices,
            Err(why) => return account_page_with(&state, &viewer, Some(why), None).await,
        };
        state
            .db
            .set_notification_preferences(&viewer.acting(None), person.id, &choices)
            .await
            .map_err(store)?;
        account_page_with(
            &state,
            &viewer,
            None,
            Some("Vos choix de notifications sont enregistrés.".into()),
        )
        .await
    }
    .await;
    result.unwrap_or_else(|r| r)
}

// ----- administration: structures, audit trail, outbox -----------------------------

#[derive(Template)]
#[template(path = "admin_structures.html")]
struct StructuresPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    /// The structure form as typed, kept when it comes back with errors.
    form: NewStructureForm,
    errors: StructureErrors,
    q: String,
    structures: Vec<StructureSummary>,
    kinds: &'static [StructureKind],
}

#[derive(Deserialize, Default)]
struct StructuresQuery {
    #[serde(default)]
    q: String,
}

async fn structures_page_with(
    state: &AppState,
    viewer: &Viewer,
    q: String,
    form: NewStructureForm,
    errors: StructureErrors,
) -> PageResult {
    viewer
        .authorize(Action::ListStructures)
        .map_err(|d| page_denial(d, "/admin/structures"))?;
    let q: String = q.trim().chars().take(100).collect();
    let structures = state.db.search_structures(&q, 200).await.map_err(store)?;
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = StructuresPage {
        chrome: Chrome::new("", viewer),
        error: None,
        notice: None,
        q,
        structures,
        kinds: StructureKind::ALL,
        form,
        errors,
    };
    Ok((status, render(&page)).into_response())
}

async fn structures_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<StructuresQuery>,
) -> Response {
    structures_page_with(
        &state,
        &viewer,
        q.q,
        NewStructureForm::default(),
        StructureErrors::default(),
    )
    .await
    .unwrap_or_else(|r| r)
}

/// The structure form as typed.
#[derive(Deserialize, Default)]
struct NewStructureForm {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    siret: String,
    /// The commune's name as typed or chosen ("Quimper (Finistère)").
    #[serde(default)]
    commune: String,
}

/// What is wrong with each field of the structure form, in French.
#[derive(Default)]
struct StructureErrors {
    nom: Option<String>,
    kind: Option<String>,
    siret: Option<String>,
    commune: Option<String>,
}

impl StructureErrors {
    fn any(&self) -> bool {
        self.nom.is_some() || self.kind.is_some() || self.siret.is_some() || self.commune.is_some()
    }
}

/// Why a structure was not created, in French.
pub fn structure_refusal(refusal: &passerelle_store::accounts::StructureRefusal) -> String {
    use passerelle_store::accounts::StructureRefusal;
    match refusal {
        StructureRefusal::UnknownCommune(code) => {
            format!("La commune de code INSEE « {code} » n’est pas dans le référentiel.")
        }
        StructureRefusal::SiretTaken { siret, nom } => {
            format!("Le SIRET {siret} est déjà celui de la structure « {nom} ».")
        }
    }
}

async fn create_structure(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<NewStructureForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result: PageResult = async {
        viewer.authorize(Action::CreateStructure).map_err(|d| page_denial(d, "/admin/structures"))?;
        let nom = form.nom.trim();
        let siret: String = form.siret.chars().filter(|c| !c.is_whitespace()).collect();
        let kind = StructureKind::parse(&form.kind);
        let mut errors = StructureErrors::default();
        if nom.is_empty() || nom.chars().count() > 200 {
            errors.nom = Some("Indiquez le nom de la structure (200 caractères au plus).".into());
        }
        if kind.is_none() {
            errors.kind = Some("Choisissez un type de structure dans la liste.".into());
        }
        if !siret.is_empty() && !is_valid_siret(&siret) {
            errors.siret = Some(format!(
                "« {siret} » n’est pas un SIRET valide : 14 chiffres, dont le dernier est une clé de contrôle."
            ));
        }
        let commune = match crate::communes::resolve(&state, &form.commune).await {
            Ok(Ok(code)) => code,
            Ok(Err(problem)) => {
                errors.commune = Some(problem);
                None
            }
            Err(e) => return Err(e.into_response()),
        };
        let (Some(kind), false) = (kind, errors.any()) else {
            return structures_page_with(&state, &viewer, String::new(), form, errors).await;
        };
        let new = NewStructure {
            nom,
            kind,
            siret: (!siret.is_empty()).then_some(siret.as_str()),
            commune_code: commune.as_deref(),
        };
        match state.db.create_structure_by(&viewer.acting(None), &new).await.map_err(store)? {
            Ok(id) => Ok(Redirect::to(&format!("/structures/{id}?info=structure-creee")).into_response()),
            Err(refusal) => {
                match &refusal {
                    passerelle_store::accounts::StructureRefusal::UnknownCommune(_) => {
                        errors.commune = Some(structure_refusal(&refusal));
                    }
                    passerelle_store::accounts::StructureRefusal::SiretTaken { .. } => {
                        errors.siret = Some(structure_refusal(&refusal));
                    }
                }
                structures_page_with(&state, &viewer, String::new(), form, errors).await
            }
        }
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(Template)]
#[template(path = "journal.html")]
struct AuditPage {
    chrome: Chrome,
    events: Vec<AuditRecord>,
    action: String,
    actions: &'static [&'static str],
}

/// The actions recorded in the audit trail, for the filter.
pub const AUDIT_ACTIONS: &[&str] = &[
    "sign_in.success",
    "sign_in.failure",
    "sign_in.throttled",
    "sign_out",
    "sign_out.everywhere",
    "password.changed",
    "password.change_refused",
    "password.reset_requested",
    "password.reset",
    "invitation.created",
    "invitation.accepted",
    "membership.role_changed",
    "membership.ended",
    "membership.admin_joined",
    "structure.created",
    "api_token.created",
    "api_token.revoked",
    "audit.exported",
    "activity.created",
    "activity.updated",
    "activity.withdrawn",
];

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    action: String,
}

fn audit_filter(q: &AuditQuery) -> Option<&'static str> {
    AUDIT_ACTIONS.iter().copied().find(|a| *a == q.action)
}

async fn audit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Err(d) = viewer.authorize(Action::ViewAuditTrail) {
        return page_denial(d, "/admin/journal");
    }
    let filter = audit_filter(&q);
    match state.db.audit_events(filter, 500).await {
        Ok(events) => render(&AuditPage {
            chrome: Chrome::new("", &viewer),
            events,
            action: filter.unwrap_or("").into(),
            actions: AUDIT_ACTIONS,
        }),
        Err(e) => store(e),
    }
}

async fn audit_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Err(d) = viewer.authorize(Action::ViewAuditTrail) {
        return page_denial(d, "/admin/journal");
    }
    let result: PageResult = async {
        let filter = audit_filter(&q);
        let events = state
            .db
            .audit_events(filter, i64::MAX)
            .await
            .map_err(store)?;
        audit(
            &state,
            &viewer,
            "audit.exported",
            None,
            filter.map(str::to_string),
            Some(format!("{} events", events.len())),
        )
        .await?;
        // The trail holds what people typed (an e-mail at a failed sign-in):
        // the shared writer keeps it from running as a formula.
        let mut out = passerelle_csv::Writer::in_memory();
        let fail = |_| {
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur interne",
                &["Export impossible."],
            )
        };
        out.write_record([
            "id",
            "date_utc",
            "evenement",
            "par",
            "jeton",
            "structure",
            "objet",
            "detail",
            "ip",
        ])
        .map_err(fail)?;
        for e in events {
            let text = |v: Option<String>| v.unwrap_or_default();
            out.write_record([
                e.id.to_string(),
                passerelle_store::time::iso(e.at),
                e.action,
                text(e.actor),
                e.actor_token_id.map(|t| t.to_string()).unwrap_or_default(),
                text(e.structure),
                text(e.subject),
                text(e.detail),
                text(e.ip),
            ])
            .map_err(fail)?;
        }
        let body = out.into_inner().map_err(|_| {
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur interne",
                &["Export impossible."],
            )
        })?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"passerelle-journal-audit.csv\"",
                ),
            ],
            body,
        )
            .into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(Template)]
#[template(path = "courriels.html")]
struct OutboxPage {
    chrome: Chrome,
    messages: Vec<OutboxView>,
    smtp: bool,
}

/// A message as the outbox page shows it: written in French, dated in
/// Paris time, with its delivery state.
struct OutboxView {
    to: String,
    subject: String,
    body: String,
    queued: String,
    /// "Envoyé", "En attente" or "Échec", and its DSFR badge class.
    badge: (&'static str, &'static str),
    state: String,
}

fn delivery_badge(delivery: &passerelle_store::outbox::Delivery) -> (&'static str, &'static str) {
    use passerelle_store::outbox::Delivery;
    match delivery {
        Delivery::Sent(_) => ("Envoyé", "fr-badge--success"),
        Delivery::Failed { .. } => ("Échec", "fr-badge--error"),
        Delivery::Queued { .. } => ("En attente", "fr-badge--info"),
        Delivery::InDigest(_) => ("Résumé du jour", "fr-badge--new"),
    }
}

/// A message's delivery state in French: queued (with the last failure
/// and the next attempt), sent, or failed with the reason.
fn delivery_state(delivery: &passerelle_store::outbox::Delivery) -> String {
    use passerelle_store::outbox::Delivery;
    match delivery {
        Delivery::Sent(at) => format!("envoyé le {}", crate::fr::date_time(*at)),
        Delivery::Failed { at, reason } => format!(
            "échec définitif le {} : {reason}",
            crate::fr::date_time(*at)
        ),
        Delivery::Queued {
            attempts,
            last_error: Some(e),
            retry_at,
        } => format!(
            "en attente : {} essai{} sans succès ({e}){}",
            attempts,
            if *attempts > 1 { "s" } else { "" },
            retry_at.map_or(String::new(), |t| format!(
                ", nouvel essai le {}",
                crate::fr::date_time(t)
            ))
        ),
        Delivery::Queued { .. } => "en attente".into(),
        Delivery::InDigest(None) => "attend le résumé du jour".into(),
        Delivery::InDigest(Some(_)) => "envoyé dans le résumé du jour".into(),
    }
}

async fn outbox_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    if let Err(d) = viewer.authorize(Action::ViewOutbox) {
        return page_denial(d, "/admin/courriels");
    }
    match state.db.outbox(false, 200).await {
        Ok(messages) => render(&OutboxPage {
            chrome: Chrome::new("", &viewer),
            messages: messages
                .into_iter()
                .map(|m| {
                    let mail = crate::mail::render(&m.content, &state.config.public_url);
                    let delivery = m.delivery();
                    OutboxView {
                        to: m.to_address,
                        subject: mail.subject,
                        body: mail.body,
                        queued: crate::fr::date_time(m.created_at),
                        badge: delivery_badge(&delivery),
                        state: delivery_state(&delivery),
                    }
                })
                .collect(),
            smtp: state.config.smtp_configured,
        }),
        Err(e) => store(e),
    }
}

// ----- a structure: members, invitations, API tokens -------------------------------

#[derive(Template)]
#[template(path = "structure.html")]
struct StructurePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    error: Option<String>,
    notice: Option<String>,
    s: Structure,
    members: Vec<MembershipView>,
    manage: bool,
    grantable: Vec<Role>,
    tokens_visible: bool,
    tokens: Vec<ApiTokenView>,
    /// Invitations not yet accepted, for those who manage members.
    invitations: Vec<passerelle_store::home::PendingInvitation>,
    /// People who signed in with ProConnect and ask to work here, for
    /// those who manage members.
    requests: Vec<passerelle_store::oidc::MembershipRequest>,
    /// The places of the directory the structure runs.
    places: Vec<passerelle_store::home::RunPlace>,
    /// (`level:code`, name) of the territories a coordinator may be
    /// invited for: every one of the loaded reference, for administrators.
    territories: Vec<(String, String)>,
}

/// The structure behind `/structures/{id}…` if the viewer may see it.
async fn visible_structure(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    path: &str,
) -> Result<Structure, Response> {
    viewer
        .authorize(Action::ViewOwnAccount)
        .map_err(|d| page_denial(d, path))?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(crate::pages::missing());
    };
    let Some(s) = state.db.structure(id).await.map_err(store)? else {
        return Err(crate::pages::missing());
    };
    viewer
        .authorize(Action::ViewStructure(&s.policy_ref()))
        .map_err(|d| page_denial(d, path))?;
    Ok(s)
}

/// Whether the viewer may invite a coordinator here (who then needs a
/// territory).
fn grantable_coordinators(
    viewer: &Viewer,
    target: &passerelle_accounts::policy::StructureRef,
) -> bool {
    viewer
        .authorize(Action::GrantRole(target, Role::Coordinateur))
        .is_ok()
}

async fn structure_page_with(
    state: &AppState,
    viewer: &Viewer,
    s: Structure,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let target = s.policy_ref();
    let manage = viewer.authorize(Action::ManageMembers(&target)).is_ok();
    let tokens_visible = viewer.authorize(Action::ManageApiTokens(&target)).is_ok();
    let members = state.db.members_of(s.id).await.map_err(store)?;
    let (invitations, requests) = if manage {
        (
            state.db.pending_invitations(s.id).await.map_err(store)?,
            state.db.membership_requests(s.id).await.map_err(store)?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let places = state
        .db
        .places_run_by(s.id, s.siret.as_deref())
        .await
        .map_err(store)?;
    let territories = if grantable_coordinators(viewer, &target) {
        state
            .db
            .territories_within(&passerelle_accounts::policy::TerritorialScope::Everywhere)
            .await
            .map_err(store)?
            .into_iter()
            .map(|t| {
                let name = match &t.within {
                    Some(within) => format!("{} ({}, {within})", t.name, t.level.label()),
                    None => format!("{} ({})", t.name, t.level.label()),
                };
                (format!("{}:{}", t.level.code(), t.code), name)
            })
            .collect()
    } else {
        Vec::new()
    };
    let tokens = if tokens_visible {
        state.db.api_tokens_of(s.id).await.map_err(store)?
    } else {
        Vec::new()
    };
    let grantable = Role::ALL
        .into_iter()
        .filter(|r| viewer.authorize(Action::GrantRole(&target, *r)).is_ok())
        .collect();
    let crumb_trail: Vec<(&str, &str)> = if viewer.is_admin() {
        vec![("Structures", "/admin/structures")]
    } else {
        vec![("Mon compte", "/compte")]
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = StructurePage {
        chrome: Chrome::new("", viewer),
        crumbs: crumbs(&crumb_trail, &s.nom),
        error,
        notice,
        members,
        manage,
        grantable,
        tokens_visible,
        tokens,
        invitations,
        requests,
        places,
        territories,
        s,
    };
    Ok((status, render(&page)).into_response())
}

#[derive(Deserialize, Default)]
struct StructureQuery {
    #[serde(default)]
    info: String,
}

async fn structure_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<StructureQuery>,
) -> Response {
    let result: PageResult = async {
        let s = visible_structure(&state, &viewer, &id, &format!("/structures/{id}")).await?;
        let notice = match q.info.as_str() {
            "invitation" => Some("Invitation envoyée. Elle apparaît dans les invitations en attente jusqu’à ce qu’elle soit acceptée.".to_string()),
            "role" => Some("Rôle modifié.".to_string()),
            "fin" => Some("La personne ne fait plus partie de la structure ; ce qu’elle a enregistré reste attribué.".to_string()),
            "revocation" => Some("Jeton révoqué.".to_string()),
            "reactivation" => Some("Compte réactivé : la personne peut de nouveau se connecter.".to_string()),
            other => crate::notice::Notice::of(other).message().map(str::to_string),
        };
        structure_page_with(&state, &viewer, s, None, notice).await
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(Deserialize)]
struct InviteForm {
    email: String,
    role: String,
    /// A coordinator's territory, as the picker sends it
    /// (`departement:29`: level, then code).
    #[serde(default)]
    territoire: String,
}

async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: Result<Form<InviteForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result: PageResult = async {
        let path = format!("/structures/{id}");
        let s = visible_structure(&state, &viewer, &id, &path).await?;
        let target = s.policy_ref();
        viewer
            .authorize(Action::ManageMembers(&target))
            .map_err(|d| page_denial(d, &path))?;
        let Some(role) = Role::parse(&form.role) else {
            return structure_page_with(
                &state,
                &viewer,
                s,
                Some("Choisissez un rôle dans la liste.".into()),
                None,
            )
            .await;
        };
        viewer
            .authorize(Action::GrantRole(&target, role))
            .map_err(|d| page_denial(d, &path))?;
        let Some(email) = normalize_email(&form.email) else {
            return structure_page_with(
                &state,
                &viewer,
                s,
                Some(format!(
                    "« {} » n’est pas une adresse électronique valide.",
                    form.email.trim()
                )),
                None,
            )
            .await;
        };
        let (level, code) = form.territoire.split_once(':').unwrap_or_default();
        let scopes = match (role, ScopeLevel::parse(level), code.trim()) {
            (Role::Coordinateur, Some(level), code)
                if territory_exists(&state, level, code).await.map_err(store)? =>
            {
                vec![(level, code.to_string())]
            }
            (Role::Coordinateur, _, _) => {
                return structure_page_with(
                    &state,
                    &viewer,
                    s,
                    Some(
                        "Un coordinateur a besoin d’un territoire : choisissez-le dans la liste."
                            .into(),
                    ),
                    None,
                )
                .await;
            }
            _ => Vec::new(),
        };
        let inviter = viewer
            .person
            .as_ref()
            .map_or("Un administrateur", |p| p.display_name.as_str());
        let invitation = NewInvitation {
            email: &email,
            structure: &s,
            role,
            scopes: &scopes,
            inviter: Some(inviter),
        };
        state
            .db
            .create_invitation(&viewer.acting(Some(s.id)), &invitation)
            .await
            .map_err(store)?;
        Ok(Redirect::to(&format!("/structures/{}?info=invitation", s.id)).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

async fn territory_exists(
    state: &AppState,
    level: ScopeLevel,
    code: &str,
) -> Result<bool, StoreError> {
    use passerelle_territory::codes::{is_departement_code, is_region_code, is_siren};
    Ok(match level {
        ScopeLevel::Region => is_region_code(code) && state.db.region(code).await?.is_some(),
        ScopeLevel::Departement => {
            is_departement_code(code) && state.db.departement(code).await?.is_some()
        }
        ScopeLevel::Epci => is_siren(code) && state.db.epci(code).await?.is_some(),
        ScopeLevel::Commune => is_commune_code(code) && state.db.commune(code).await?.is_some(),
    })
}

/// The membership `{membership}` of structure `{id}`, if the viewer manages
/// the structure and may grant the member's current role.
async fn managed_membership(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    membership: &str,
) -> Result<(Structure, MembershipView), Response> {
    let path = format!("/structures/{id}");
    let s = visible_structure(state, viewer, id, &path).await?;
    let target = s.policy_ref();
    viewer
        .authorize(Action::ManageMembers(&target))
        .map_err(|d| page_denial(d, &path))?;
    let m = match membership.parse::<i64>() {
        Ok(mid) => state.db.membership(mid).await.map_err(store)?,
        Err(_) => None,
    };
    let Some(m) = m.filter(|m| m.structure_id == s.id && m.ended_at.is_none()) else {
        return Err(crate::pages::missing());
    };
    viewer
        .authorize(Action::GrantRole(&target, m.role))
        .map_err(|d| page_denial(d, &path))?;
    Ok((s, m))
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, membership)): Path<(String, String)>,
    form: Result<Form<RoleForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result: PageResult = async {
        let (s, m) = managed_membership(&state, &viewer, &id, &membership).await?;
        let Some(role) = Role::parse(&form.role) else {
            return structure_page_with(
                &state,
                &viewer,
                s,
                Some("Choisissez un rôle dans la liste.".into()),
                None,
            )
            .await;
        };
        viewer
            .authorize(Action::GrantRole(&s.policy_ref(), role))
            .map_err(|d| page_denial(d, &format!("/structures/{id}")))?;
        state
            .db
            .change_role(&viewer.acting(Some(s.id)), &m, role)
            .await
            .map_err(store)?;
        Ok(Redirect::to(&format!("/structures/{}?info=role", s.id)).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

async fn end_membership(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, membership)): Path<(String, String)>,
) -> Response {
    let result: PageResult = async {
        let (s, m) = managed_membership(&state, &viewer, &id, &membership).await?;
        state
            .db
            .end_membership(&viewer.acting(Some(s.id)), &m)
            .await
            .map_err(store)?;
        Ok(Redirect::to(&format!("/structures/{}?info=fin", s.id)).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

/// Accepts (the person becomes a membre) or declines a membership request
/// made by a first sign-in with ProConnect: who may give the membre role.
async fn decide_request(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    request: &str,
    decision: Decision,
) -> PageResult {
    let path = format!("/structures/{id}");
    let s = visible_structure(state, viewer, id, &path).await?;
    let target = s.policy_ref();
    viewer
        .authorize(Action::ManageMembers(&target))
        .and_then(|()| viewer.authorize(Action::GrantRole(&target, Role::Membre)))
        .map_err(|d| page_denial(d, &path))?;
    let Ok(request) = request.parse::<i64>() else {
        return Err(crate::pages::missing());
    };
    let decided = state
        .db
        .decide_membership_request(&viewer.acting(Some(s.id)), s.id, request, decision)
        .await
        .map_err(store)?;
    if !decided {
        return Err(crate::pages::missing());
    }
    let info = match decision {
        Decision::Accept => "demande-acceptee",
        Decision::Decline => "demande-refusee",
    };
    Ok(Redirect::to(&format!("/structures/{}?info={info}", s.id)).into_response())
}

async fn accept_request(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, request)): Path<(String, String)>,
) -> Response {
    decide_request(&state, &viewer, &id, &request, Decision::Accept)
        .await
        .unwrap_or_else(|r| r)
}

async fn decline_request(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, request)): Path<(String, String)>,
) -> Response {
    decide_request(&state, &viewer, &id, &request, Decision::Decline)
        .await
        .unwrap_or_else(|r| r)
}

/// Reactivates the account of a member, deactivated after months without
/// signing in (`store::lifecycle`).
async fn reactivate_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, membership)): Path<(String, String)>,
) -> Response {
    let result: PageResult = async {
        let (s, m) = managed_membership(&state, &viewer, &id, &membership).await?;
        let acting = viewer.acting(Some(s.id));
        state
            .db
            .reactivate_person(&acting, m.person_id, s.id)
            .await
            .map_err(store)?;
        Ok(Redirect::to(&format!("/structures/{}?info=reactivation", s.id)).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(Template)]
#[template(path = "jeton.html")]
struct TokenCreatedPage {
    chrome: Chrome,
    name: String,
    token: String,
    structure_id: i64,
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return bad_form();
    };
    let result: PageResult = async {
        let path = format!("/structures/{id}");
        let s = visible_structure(&state, &viewer, &id, &path).await?;
        viewer
            .authorize(Action::ManageApiTokens(&s.policy_ref()))
            .map_err(|d| page_denial(d, &path))?;
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return structure_page_with(
                &state,
                &viewer,
                s,
                Some("Donnez un nom au jeton (100 caractères au plus).".into()),
                None,
            )
            .await;
        }
        let Some(person_id) = viewer.person_id() else {
            return Err(crate::pages::forbidden());
        };
        let (_, token) = state
            .db
            .create_api_token(&viewer.acting(Some(s.id)), s.id, name, person_id)
            .await
            .map_err(store)?;
        let page = TokenCreatedPage {
            chrome: Chrome::new("", &viewer),
            name: name.to_string(),
            token,
            structure_id: s.id,
        };
        // The secret must not stay in any cache.
        Ok(([(header::CACHE_CONTROL, "no-store")], render(&page)).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, token)): Path<(String, String)>,
) -> Response {
    let result: PageResult = async {
        let path = format!("/structures/{id}");
        let s = visible_structure(&state, &viewer, &id, &path).await?;
        viewer
            .authorize(Action::ManageApiTokens(&s.policy_ref()))
            .map_err(|d| page_denial(d, &path))?;
        let Ok(token_id) = token.parse::<i64>() else {
            return Err(crate::pages::missing());
        };
        if !state
            .db
            .revoke_api_token(&viewer.acting(Some(s.id)), s.id, token_id)
            .await
            .map_err(store)?
        {
            return Err(crate::pages::missing());
        }
        Ok(Redirect::to(&format!("/structures/{}?info=revocation", s.id)).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}
