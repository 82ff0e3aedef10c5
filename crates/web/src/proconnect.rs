//! Signing in with ProConnect, the State's identity federation for
//! professionals, through OpenID Connect (`openidconnect`; no hand-written
//! JOSE): the authorization code flow with PKCE, `state` and `nonce`, the
//! provider found by discovery from its issuer, the ID token and the
//! userinfo (a signed JWT at ProConnect, plain JSON accepted elsewhere)
//! verified against the provider's keys, and the sign-out at the provider
//! (`end_session_endpoint`).
//!
//! The sign-in sent to the provider is kept in the database
//! (`store::oidc`, one use, ten minutes) so that any server behind a load
//! balancer takes the answer and a replayed answer is refused. The
//! provider's HTTP goes through a ureq agent (rustls) on the blocking pool,
//! bounded by a timeout, so a provider that is down gives a French message
//! on the sign-in page and leaves password sign-in working.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdToken, CoreIdTokenClaims,
};
use openidconnect::http;
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope,
    TokenResponse, UserInfoClaims, UserInfoError,
};
use passerelle_accounts::normalize_email;
use passerelle_accounts::oidc::Profile;
use passerelle_store::Database;
use passerelle_store::oidc::Pending;
use serde::{Deserialize, Serialize};

/// The path the provider sends people back to (register
/// `PASSERELLE_PUBLIC_URL` + this at ProConnect).
pub const CALLBACK_PATH: &str = "/connexion/proconnect/retour";
/// The scopes ProConnect's documentation asks for.
const SCOPES: [&str; 5] = ["email", "given_name", "usual_name", "siret", "uid"];
/// How long the provider's discovery document is trusted.
const METADATA_SECONDS: u64 = 300;
/// Bound on each request to the provider.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The settings of `serve` for ProConnect.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `PASSERELLE_OIDC_ISSUER`, e.g. `https://auth.agentconnect.gouv.fr/api/v2`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

/// ProConnect's claims beyond the standard ones.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ProConnectClaims {
    #[serde(default)]
    pub usual_name: Option<String>,
    #[serde(default)]
    pub siret: Option<String>,
}

impl AdditionalClaims for ProConnectClaims {}

/// Why a sign-in with ProConnect did not happen; the sign-in page says it
/// in French (`message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Discovery, keys, token or userinfo endpoint out of reach.
    Unreachable,
    /// The provider answered `error=…` (the person cancelled, …).
    Provider(String),
    /// No pending sign-in for this `state`: replayed, expired or forged.
    UnknownState,
    /// The ID token is no longer valid.
    Expired,
    /// The ID token was issued to another client.
    WrongAudience,
    /// The ID token does not carry this sign-in's nonce.
    WrongNonce,
    /// Anything else that did not verify (signature, issuer, subject…).
    Invalid,
    /// No usable e-mail address in the verified claims, or one the
    /// provider says is not verified.
    NoEmail,
}

impl Failure {
    /// What the sign-in page says.
    pub fn message(&self) -> String {
        let refused = "La connexion avec ProConnect a été refusée";
        match self {
            Self::Unreachable => "ProConnect ne répond pas pour le moment. Réessayez dans quelques minutes.".into(),
            Self::Provider(code) => match code.as_str() {
                "access_denied" => "Vous avez annulé la connexion avec ProConnect, ou ProConnect l’a refusée.".into(),
                "login_required" | "interaction_required" | "consent_required" => {
                    "ProConnect demande de vous identifier à nouveau : recommencez la connexion.".into()
                }
                "temporarily_unavailable" | "server_error" => {
                    "ProConnect rencontre une difficulté. Réessayez dans quelques minutes.".into()
                }
                _ => format!("{refused} : la demande n’a pas été acceptée par ProConnect."),
            },
            Self::UnknownState => "Cette connexion avec ProConnect a expiré ou a déjà servi. Recommencez en cliquant sur « S’identifier avec ProConnect ».".into(),
            Self::Expired => format!("{refused} : le jeton d’identité reçu a expiré."),
            Self::WrongAudience => format!("{refused} : le jeton d’identité reçu n’est pas destiné à Passerelle."),
            Self::WrongNonce => format!("{refused} : le jeton d’identité reçu ne correspond pas à cette demande de connexion."),
            Self::Invalid => format!("{refused} : sa réponse n’a pas pu être vérifiée."),
            Self::NoEmail => format!("{refused} : elle n’a pas transmis d’adresse électronique vérifiée."),
        }
    }

    /// The code written in the audit trail.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreachable => "unreachable",
            Self::Provider(_) => "provider_error",
            Self::UnknownState => "unknown_state",
            Self::Expired => "expired",
            Self::WrongAudience => "audience",
            Self::WrongNonce => "nonce",
            Self::Invalid => "invalid",
            Self::NoEmail => "no_email",
        }
    }
}

/// A verified sign-in: who, the ID token (for the provider's sign-out),
/// and where to go.
#[derive(Debug, Clone)]
pub struct Verified {
    pub profile: Profile,
    pub id_token: String,
    pub next_path: String,
}

/// The provider's answer on `CALLBACK_PATH`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// ProConnect as configured for this instance.
pub struct ProConnect {
    settings: Settings,
    redirect: RedirectUrl,
    after_logout: PostLogoutRedirectUrl,
    agent: ureq::Agent,
    metadata: Mutex<Option<(Instant, ProviderMetadataWithLogout)>>,
}

impl std::fmt::Debug for ProConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProConnect")
            .field("issuer", &self.settings.issuer)
            .field("client_id", &self.settings.client_id)
            .finish_non_exhaustive()
    }
}

/// A request to the provider that failed before it answered.
#[derive(Debug)]
pub struct HttpFailure(String);

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpFailure {}

/// One request through the agent, on the blocking pool (ureq blocks).
async fn call(
    agent: ureq::Agent,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpFailure> {
    tokio::task::spawn_blocking(move || {
        let mut answer = agent.run(request).map_err(|e| HttpFailure(e.to_string()))?;
        let body = answer
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| HttpFailure(e.to_string()))?;
        let mut response = http::Response::new(body);
        *response.status_mut() = answer.status();
        *response.headers_mut() = answer.headers().clone();
        Ok(response)
    })
    .await
    .map_err(|e| HttpFailure(e.to_string()))?
}

impl ProConnect {
    /// ProConnect for an instance reached at `public_url`; `None` with the
    /// reason when a setting is not usable.
    pub fn new(settings: Settings, public_url: &str) -> Result<Self, String> {
        IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| format!("PASSERELLE_OIDC_ISSUER {:?}: {e}", settings.issuer))?;
        let base = public_url.trim_end_matches('/');
        let redirect = RedirectUrl::new(format!("{base}{CALLBACK_PATH}"))
            .map_err(|e| format!("PASSERELLE_PUBLIC_URL {public_url:?}: {e}"))?;
        let after_logout = PostLogoutRedirectUrl::new(format!("{base}/"))
            .map_err(|e| format!("PASSERELLE_PUBLIC_URL {public_url:?}: {e}"))?;
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            // No pooled connections: one the provider closed meanwhile
            // fails the token POST, which cannot be retried. A sign-in
            // makes three or four requests.
            .max_idle_connections(0)
            .build()
            .new_agent();
        Ok(Self {
            settings,
            redirect,
            after_logout,
            agent,
            metadata: Mutex::new(None),
        })
    }

    /// `scheme://host[:port]` of the provider, which the pages' forms may
    /// lead to (the CSP's `form-action`).
    pub fn origin(&self) -> Option<String> {
        let url = url::Url::parse(&self.settings.issuer).ok()?;
        Some(url.origin().ascii_serialization()).filter(|o| o != "null")
    }

    /// The address people are sent back to, to register at the provider.
    pub fn redirect_url(&self) -> &str {
        self.redirect.as_str()
    }

    /// The provider's discovery document (and keys), fetched at most every
    /// five minutes.
    async fn metadata(&self) -> Result<ProviderMetadataWithLogout, Failure> {
        if let Some((at, m)) = self.metadata.lock().expect("not poisoned").as_ref()
            && at.elapsed() < Duration::from_secs(METADATA_SECONDS)
        {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|_| Failure::Invalid)?;
        let agent = self.agent.clone();
        let http = move |r| call(agent.clone(), r);
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "ProConnect discovery failed");
                Failure::Unreachable
            })?;
        *self.metadata.lock().expect("not poisoned") = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(&self, metadata: ProviderMetadataWithLogout) -> Client {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// Starts a sign-in: keeps its state, nonce and PKCE verifier, and
    /// returns the provider's address to send the person to.
    pub async fn start(&self, db: &Database, next_path: &str) -> Result<String, StartFailure> {
        let client = self.client(self.metadata().await.map_err(StartFailure::Provider)?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in SCOPES {
            request = request.add_scope(Scope::new(scope.into()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        db.save_oidc_pending(
            state.secret(),
            &Pending {
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                next_path: next_path.to_string(),
            },
            chrono::Utc::now(),
        )
        .await
        .map_err(StartFailure::Store)?;
        Ok(url.to_string())
    }

    /// Takes the provider's answer: the pending sign-in (once), the code
    /// exchanged with its PKCE verifier, the ID token verified (keys,
    /// issuer, audience, expiry, nonce, access token hash), the userinfo
    /// verified (signed or not) for the same subject.
    pub async fn finish(
        &self,
        db: &Database,
        answer: &Callback,
    ) -> Result<Verified, FinishFailure> {
        let state = answer
            .state
            .as_deref()
            .ok_or(FinishFailure::Refused(Failure::UnknownState))?;
        let pending = db
            .take_oidc_pending(state, chrono::Utc::now())
            .await
            .map_err(FinishFailure::Store)?
            .ok_or(FinishFailure::Refused(Failure::UnknownState))?;
        self.verify(answer, pending)
            .await
            .map_err(FinishFailure::Refused)
    }

    async fn verify(&self, answer: &Callback, pending: Pending) -> Result<Verified, Failure> {
        if let Some(error) = &answer.error {
            return Err(Failure::Provider(error.clone()));
        }
        let code = answer.code.clone().ok_or(Failure::Invalid)?;
        let client = self.client(self.metadata().await?);
        let agent = self.agent.clone();
        let http = move |r| call(agent.clone(), r);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|_| Failure::Unreachable)?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&http)
            .await
            .map_err(token_failure)?;
        let id_token = tokens.id_token().ok_or(Failure::Invalid)?;
        let verifier = client.id_token_verifier();
        let claims: &CoreIdTokenClaims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce))
            .map_err(claims_failure)?;
        check_access_token_hash(id_token, &verifier, claims, tokens.access_token())?;
        let info: UserInfoClaims<ProConnectClaims, CoreGenderClaim> = client
            .user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            )
            .map_err(|_| Failure::Invalid)?
            .request_async(&http)
            .await
            .map_err(userinfo_failure)?;
        let email = info
            .email()
            .or(claims.email())
            .and_then(|e| normalize_email(e.as_str()))
            .ok_or(Failure::NoEmail)?;
        let given_name = info
            .given_name()
            .or(claims.given_name())
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string());
        let extra = info.additional_claims();
        Ok(Verified {
            profile: Profile {
                issuer: claims.issuer().as_str().to_string(),
                subject: claims.subject().as_str().to_string(),
                email,
                email_verified: info.email_verified().or(claims.email_verified()) != Some(false),
                given_name,
                usual_name: extra.usual_name.clone(),
                siret: extra.siret.clone(),
            },
            id_token: id_token.to_string(),
            next_path: pending.next_path,
        })
    }

    /// Where to send a person signing out of a session opened through the
    /// provider: its `end_session_endpoint` with the ID token and the way
    /// back; `None` when the provider has none or cannot be reached (the
    /// session here is closed all the same).
    pub async fn logout_url(&self, id_token: &str) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let token: CoreIdToken = id_token.parse().ok()?;
        Some(
            LogoutRequest::from(endpoint)
                .set_id_token_hint(&token)
                .set_client_id(ClientId::new(self.settings.client_id.clone()))
                .set_post_logout_redirect_uri(self.after_logout.clone())
                .set_state(CsrfToken::new_random())
                .http_get_url()
                .to_string(),
        )
    }
}

/// Why the code was not exchanged for tokens.
fn token_failure<RE, T>(e: RequestTokenError<RE, T>) -> Failure
where
    RE: std::error::Error + 'static,
    T: openidconnect::ErrorResponse + 'static,
{
    match e {
        RequestTokenError::Request(e) => {
            tracing::warn!(error = %e, "ProConnect token endpoint unreachable");
            Failure::Unreachable
        }
        e => {
            tracing::warn!(error = %e, "ProConnect refused the code");
            Failure::Invalid
        }
    }
}

/// Why the userinfo was not obtained or not accepted.
fn userinfo_failure<RE: std::error::Error + 'static>(e: UserInfoError<RE>) -> Failure {
    match e {
        UserInfoError::Request(e) => {
            tracing::warn!(error = %e, "ProConnect userinfo unreachable");
            Failure::Unreachable
        }
        UserInfoError::ClaimsVerification(e) => claims_failure(e),
        e => {
            tracing::warn!(error = %e, "ProConnect userinfo not understood");
            Failure::Invalid
        }
    }
}

/// The ID token's `at_hash`, when it has one, must be the access token's.
fn check_access_token_hash(
    id_token: &CoreIdToken,
    verifier: &openidconnect::core::CoreIdTokenVerifier<'_>,
    claims: &CoreIdTokenClaims,
    access_token: &openidconnect::AccessToken,
) -> Result<(), Failure> {
    let Some(expected) = claims.access_token_hash() else {
        return Ok(());
    };
    let alg = id_token.signing_alg().map_err(|_| Failure::Invalid)?;
    let key = id_token
        .signing_key(verifier)
        .map_err(|_| Failure::Invalid)?;
    let actual =
        AccessTokenHash::from_token(access_token, alg, key).map_err(|_| Failure::Invalid)?;
    if actual == *expected {
        Ok(())
    } else {
        Err(Failure::Invalid)
    }
}

fn claims_failure(e: ClaimsVerificationError) -> Failure {
    tracing::warn!(error = %e, "ProConnect token refused");
    match e {
        ClaimsVerificationError::Expired(_) => Failure::Expired,
        ClaimsVerificationError::InvalidAudience(_) => Failure::WrongAudience,
        ClaimsVerificationError::InvalidNonce(_) => Failure::WrongNonce,
        _ => Failure::Invalid,
    }
}

/// Why a sign-in could not start.
#[derive(Debug)]
pub enum StartFailure {
    Provider(Failure),
    Store(passerelle_store::StoreError),
}

/// Why a provider's answer did not sign anyone in.
#[derive(Debug)]
pub enum FinishFailure {
    Refused(Failure),
    Store(passerelle_store::StoreError),
}
