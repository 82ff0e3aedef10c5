//! Who is asking: the `Viewer` extractor (session cookie for people, Bearer
//! token for machine clients), the session and CSRF cookies, the CSRF and
//! origin guard every state-changing request goes through, and how a policy
//! denial is answered on pages and in the API.

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use passerelle_accounts::policy::{Action, Actor, Denial, authorize};
use passerelle_accounts::secret::{constant_time_eq, looks_like_secret, new_secret};
use passerelle_store::accounts::{MembershipView, Person};
use std::net::{IpAddr, SocketAddr};

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "passerelle_session";
pub const CSRF_COOKIE: &str = "passerelle_csrf";
pub const DEVICE_COOKIE: &str = "passerelle_appareil";
/// An official file for the Diagnostic: INSEE's national IRIS files are
/// up to about 110 MB.
pub(crate) const MAX_INDICATOR_FILE_BYTES: usize = 160 * 1024 * 1024;

/// The person or machine behind a request, resolved once per request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    pub person: Option<Person>,
    pub memberships: Vec<MembershipView>,
    /// The session cookie's secret, when signed in.
    pub session_token: Option<String>,
    /// The value forms must send back in `_csrf`.
    pub csrf: String,
    pub ip: Option<String>,
}

impl Viewer {
    pub fn authorize(&self, action: Action<'_>) -> Result<(), Denial> {
        authorize(&self.actor, action)
    }

    pub fn person_id(&self) -> Option<i64> {
        self.person.as_ref().map(|p| p.id)
    }

    pub fn token_id(&self) -> Option<i64> {
        match self.actor {
            Actor::ApiToken { token_id, .. } => Some(token_id),
            _ => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.actor.is_admin()
    }

    /// Who acts, for `Database::write`, through `structure`.
    pub fn acting(&self, structure: Option<i64>) -> passerelle_store::write::Acting {
        passerelle_store::write::Acting {
            person: self.person_id(),
            token: self.token_id(),
            structure,
            address: self.ip.clone(),
        }
    }
}

/// The anonymous CSRF value chosen by the guard for this request.
#[derive(Clone)]
struct FreshCsrf(String);

/// The value of the request's cookie `name`, if it sent one.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.name_raw().and(c.value_raw()))
}

/// A `Set-Cookie` value: always `HttpOnly` (no script reads our cookies),
/// `Secure` when Passerelle is served over HTTPS (its public URL says so).
fn set_cookie(
    state: &AppState,
    name: &'static str,
    value: &str,
    path: &'static str,
    same_site: SameSite,
    max_age_seconds: Option<i64>,
) -> HeaderValue {
    let mut built = Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(same_site)
        .secure(state.config.secure_cookies);
    if let Some(seconds) = max_age_seconds {
        built = built.max_age(cookie::time::Duration::seconds(seconds));
    }
    HeaderValue::from_str(&built.build().to_string()).expect("cookie values are ASCII")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = client_address(peer, &parts.headers, &state.config.trusted_proxies)
            .map(|a| a.to_string());
        let failure = |e: passerelle_store::StoreError| {
            tracing::error!("storage error while identifying the request: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne").into_response()
        };
        let anonymous_csrf = parts
            .extensions
            .get::<FreshCsrf>()
            .map(|f| f.0.clone())
            .or_else(|| cookie(&parts.headers, CSRF_COOKIE).map(str::to_string))
            .unwrap_or_default();
        let mut viewer = Viewer {
            actor: Actor::Anonymous,
            person: None,
            memberships: Vec::new(),
            session_token: None,
            csrf: anonymous_csrf,
            ip,
        };
        if let Some(secret) = bearer(&parts.headers) {
            if looks_like_secret(secret)
                && let Some((token_id, structure_id)) =
                    state.db.api_token(secret).await.map_err(failure)?
            {
                viewer.actor = Actor::ApiToken {
                    token_id,
                    structure_id,
                };
            }
            return Ok(viewer);
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| looks_like_secret(t))
        else {
            return Ok(viewer);
        };
        let Some(session) = state.db.session(token).await.map_err(failure)? else {
            return Ok(viewer);
        };
        // A deactivated account has no sessions; one opened since (by an
        // invitation's or a reset's link) does not sign it in either.
        let Some(person) = state
            .db
            .person(session.person_id)
            .await
            .map_err(failure)?
            .filter(|p| !p.deactivated)
        else {
            return Ok(viewer);
        };
        let memberships = state.db.memberships_of(person.id).await.map_err(failure)?;
        viewer.actor = Actor::Person {
            person_id: person.id,
            memberships: memberships.iter().map(MembershipView::policy).collect(),
        };
        viewer.person = Some(person);
        viewer.memberships = memberships;
        viewer.session_token = Some(token.to_string());
        viewer.csrf = session.csrf_token;
        Ok(viewer)
    }
}

/// The address of the client: the peer, or, when the peer is a trusted
/// reverse proxy, the nearest address of `X-Forwarded-For` (read from the
/// right, as each proxy appends the address it saw) that is not itself a
/// trusted proxy. An unreadable entry stops the walk: what lies to its left
/// was written by the client and proves nothing.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let is_trusted = |a: &IpAddr| trusted.iter().any(|net| net.contains(a));
    let mut address = peer?;
    if !is_trusted(&address) {
        return Some(address);
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for entry in forwarded.into_iter().rev() {
        let Ok(hop) = entry.parse::<IpAddr>() else {
            break;
        };
        address = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    Some(address)
}

/// Whether a navigation comes from another site (`Sec-Fetch-Site`, sent by
/// every current browser). Session cookies are `SameSite=Lax`, so a link or
/// redirect from another site arrives signed in: pages that would read
/// personal data (and write that read to the audit trail) then ask for a
/// click on our own page first, so no other site can make someone read a
/// person's data in their name. Requests without the header (older
/// browsers, command-line clients) are taken as same-site.
pub fn from_another_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| !matches!(site, "same-origin" | "none"))
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    set_cookie(
        state,
        SESSION_COOKIE,
        token,
        "/",
        SameSite::Lax,
        Some(passerelle_store::accounts::SESSION_ABSOLUTE_SECONDS),
    )
}

/// `Set-Cookie` for the device cookie of a browser where someone signed in
/// (`passerelle_accounts::throttle`): it only spares that browser the waits
/// others' failures cause; it grants no access.
pub fn device_cookie(state: &AppState, token: &str) -> HeaderValue {
    set_cookie(
        state,
        DEVICE_COOKIE,
        token,
        "/connexion",
        SameSite::Strict,
        Some(passerelle_accounts::throttle::DEVICE_DAYS * 86_400),
    )
}

pub fn clear_session_cookie(state: &AppState) -> HeaderValue {
    set_cookie(state, SESSION_COOKIE, "", "/", SameSite::Lax, Some(0))
}

fn same_origin(headers: &HeaderMap) -> bool {
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if header_text(header::HeaderName::from_static("sec-fetch-site"))
        .is_some_and(|s| s == "cross-site")
    {
        return false;
    }
    match (header_text(header::ORIGIN), header_text(header::HOST)) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, h)| h == host),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// Every request that changes state passes here: same origin, and the
/// `_csrf` field of the form equal to the session's token (or, before
/// sign-in, to the `passerelle_csrf` cookie). Machine clients presenting a
/// Bearer token and no cookie are not exposed to CSRF and pass. On safe
/// requests the guard gives a CSRF cookie to browsers that lack one.
pub async fn csrf_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return give_csrf_cookie(&state, request, next).await;
    }
    let headers = request.headers();
    if headers.contains_key(header::AUTHORIZATION) && !headers.contains_key(header::COOKIE) {
        return next.run(request).await;
    }
    if !same_origin(headers) {
        return crate::pages::forbidden_form(
            "La demande vient d’un autre site : elle a été refusée.",
        );
    }
    let (parts, body) = request.into_parts();
    // Already read and bounded by the route's limit (`body::limit`).
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return (StatusCode::BAD_REQUEST, "Requête illisible").into_response();
    };
    let fields = form_fields(&parts, &bytes).await;
    // No form has a use for NUL, and PostgreSQL text cannot store it.
    if fields
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return crate::pages::message(
            StatusCode::BAD_REQUEST,
            "Formulaire invalide",
            &["Le formulaire contient un caractère nul : il a été refusé."],
        );
    }
    // Scripts and API clients using a session send the token in a header.
    let presented = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            fields
                .iter()
                .find(|(k, _)| k == "_csrf")
                .map(|(_, v)| v.as_str())
        })
        .unwrap_or("");
    let expected = match expected_csrf(&state, &parts.headers).await {
        Ok(expected) => expected,
        Err(response) => return response,
    };
    match expected {
        Some(e) if !presented.is_empty() && constant_time_eq(presented, &e) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => crate::pages::forbidden_form(
            "Ce formulaire a expiré ou n’a pas été envoyé depuis Passerelle. Rechargez la page et recommencez.",
        ),
    }
}

/// A safe request: passed on, with a CSRF cookie for a browser that
/// lacks one.
async fn give_csrf_cookie(state: &AppState, mut request: Request, next: Next) -> Response {
    if cookie(request.headers(), CSRF_COOKIE).is_some() {
        return next.run(request).await;
    }
    let fresh = new_secret();
    request.extensions_mut().insert(FreshCsrf(fresh.clone()));
    let mut response = next.run(request).await;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, CSRF_COOKIE, &fresh, "/", SameSite::Strict, None),
    );
    response
}

/// The fields of a urlencoded form, or the `_csrf` part of a multipart one.
async fn form_fields(
    parts: &axum::http::request::Parts,
    bytes: &axum::body::Bytes,
) -> Vec<(String, String)> {
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let mut fields: Vec<(String, String)> = if is_form {
        serde_urlencoded::from_bytes(bytes).unwrap_or_default()
    } else {
        Vec::new()
    };
    // A file upload (multipart form) carries its `_csrf` field as a part.
    if let Some(token) = multipart_csrf(parts, bytes).await {
        fields.push(("_csrf".into(), token));
    }
    fields
}

/// The token a form must carry: the session's, or before sign-in the
/// `passerelle_csrf` cookie's; a storage failure answers at once.
async fn expected_csrf(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<String>, Response> {
    let session_csrf = match cookie(headers, SESSION_COOKIE).filter(|t| looks_like_secret(t)) {
        Some(token) => match state.db.session(token).await {
            Ok(s) => s.map(|s| s.csrf_token),
            Err(e) => {
                tracing::error!("storage error in the CSRF guard: {e}");
                return Err((StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne").into_response());
            }
        },
        None => None,
    };
    Ok(session_csrf.or_else(|| cookie(headers, CSRF_COOKIE).map(str::to_string)))
}

/// The `_csrf` part of a multipart form (forms put it first).
async fn multipart_csrf(
    parts: &axum::http::request::Parts,
    bytes: &axum::body::Bytes,
) -> Option<String> {
    use axum::extract::{FromRequest, Multipart};
    let multipart = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if !multipart {
        return None;
    }
    let request = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    let mut form = Multipart::from_request(request, &()).await.ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("_csrf") {
            return field.text().await.ok();
        }
    }
    None
}

/// A denial on a page: the sign-in page (coming back here after), or the
/// 403 or 404 page.
pub fn page_denial(denial: Denial, path: &str) -> Response {
    match denial {
        Denial::SignInRequired => {
            let back: String = serde_urlencoded::to_string([("suite", path)]).unwrap_or_default();
            Redirect::to(&format!("/connexion?{back}")).into_response()
        }
        Denial::Forbidden => crate::pages::forbidden(),
        Denial::NotFound => crate::pages::missing(),
    }
}

/// A denial in the API.
pub fn api_denial(denial: Denial) -> ApiError {
    match denial {
        Denial::SignInRequired => ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: "authentication required: send `Authorization: Bearer <API token>`".into(),
        },
        Denial::Forbidden => ApiError {
            status: StatusCode::FORBIDDEN,
            message: "not allowed".into(),
        },
        Denial::NotFound => ApiError::not_found("no such resource"),
    }
}
