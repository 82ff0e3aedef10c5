//! The HTTP layer of Passerelle: server-rendered French pages following the
//! State design system (DSFR), the JSON API under `/api/v1` with its OpenAPI
//! document, and the served front-end assets. Handlers stay thin: they parse
//! the request, call `passerelle-store`, and render.

mod activites;
mod api;
mod auth;
mod body;
mod communes;
mod comptes;
pub use comptes::structure_refusal;
mod diagnostic;
pub mod enquetes;
mod error;
mod export;
mod forms;
pub mod fr;
mod home;
pub mod legal;
mod lieux;
mod limits;
pub mod mail;
pub mod mailer;
mod notice;
mod observe;
mod orientations;
pub mod osrm;
mod pages;
pub mod proconnect;
pub mod reseau;
mod routes;
mod territoires;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::any;
use passerelle_store::Database;
use passerelle_store::instances::Copied;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub use api::ApiDoc;
pub use observe::Jobs;
pub use pages::fr_number;

/// Version reported by `/health` and the OpenAPI document.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<WebConfig>,
    /// The places, ready to search, with the version of the places they
    /// were built from; rebuilt when the database says places changed.
    places: Arc<tokio::sync::RwLock<Option<(i64, PlaceIndex)>>>,
    /// When the places' version was last read from the database.
    places_checked: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// What anonymous visitors may make the server store, per address.
    limits: Arc<limits::RateLimits>,
    /// The background jobs, as they last ran (readiness, metrics).
    pub jobs: Arc<Jobs>,
    observer: Arc<observe::Observer>,
    /// The live activity records, indexed to answer any question
    /// (`passerelle_activities::stats`); built on first use (or at start,
    /// `warm_activities`), brought up to date before each answer.
    activities: Arc<tokio::sync::RwLock<Option<passerelle_store::activity_index::LiveIndex>>>,
}

type PlaceIndex = Arc<passerelle_places::search::Index>;

impl AppState {
    pub fn new(db: Database, config: WebConfig) -> Self {
        Self {
            db,
            config: Arc::new(config),
            places: Arc::default(),
            places_checked: Arc::default(),
            limits: Arc::default(),
            jobs: Arc::default(),
            observer: Arc::default(),
            activities: Arc::default(),
        }
    }

    /// Builds the index of activity records, if not yet built: at start,
    /// so that the first question does not wait.
    pub async fn warm_activities(&self) -> Result<usize, passerelle_store::StoreError> {
        self.with_activities(|live| live.index.len()).await
    }

    /// Answers from the index of activity records once it holds every
    /// write committed so far, through any server or command (`store::
    /// activity_index`).
    pub async fn with_activities<T>(
        &self,
        answer: impl FnOnce(&passerelle_store::activity_index::LiveIndex) -> T,
    ) -> Result<T, passerelle_store::StoreError> {
        let mut slot = self.activities.write().await;
        match slot.as_mut() {
            Some(live) => {
                self.db.refresh_activity_index(live).await?;
            }
            None => *slot = Some(self.db.activity_index().await?),
        }
        let slot = slot.downgrade();
        Ok(answer(slot.as_ref().expect("built above")))
    }

    /// The searchable places, loaded from the database on first use and
    /// rebuilt when they changed, through this server, another one or the
    /// command line (`store::instances`): the version is read at most once
    /// per `PLACES_FRESHNESS`, so a change shows within that delay.
    pub async fn place_index(&self) -> Result<PlaceIndex, passerelle_store::StoreError> {
        let due = {
            let mut checked = self
                .places_checked
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let due = checked.is_none_or(|at| at.elapsed() >= PLACES_FRESHNESS);
            if due {
                *checked = Some(std::time::Instant::now());
            }
            due
        };
        if !due && let Some((_, index)) = self.places.read().await.as_ref() {
            return Ok(index.clone());
        }
        let version = self.db.version_of(Copied::Places).await?;
        if let Some((built, index)) = self.places.read().await.as_ref()
            && *built == version
        {
            return Ok(index.clone());
        }
        let mut slot = self.places.write().await;
        if let Some((built, index)) = slot.as_ref()
            && *built == version
        {
            return Ok(index.clone());
        }
        let centres = self.db.commune_centres().await?;
        let index: Vec<_> = self
            .db
            .places()
            .await?
            .into_iter()
            .map(|p| {
                let centre = p
                    .commune_code
                    .as_ref()
                    .and_then(|c| centres.get(c))
                    .copied();
                passerelle_places::search::Indexed::new(p.id, p.place, centre)
            })
            .collect();
        let index = Arc::new(passerelle_places::search::Index::new(index));
        *slot = Some((version, index.clone()));
        Ok(index)
    }

    /// To call after places change through this server: the next search
    /// reads the version at once instead of waiting for `PLACES_FRESHNESS`.
    pub async fn places_changed(&self) {
        *self
            .places_checked
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// How stale a server's copy of the places may be after another server or
/// the command line changed them.
const PLACES_FRESHNESS: std::time::Duration = std::time::Duration::from_secs(1);

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The address people reach Passerelle at, for links in e-mails
    /// (`PASSERELLE_PUBLIC_URL`). Cookies are `Secure` when it is HTTPS.
    pub public_url: String,
    pub secure_cookies: bool,
    /// Whether e-mail leaves by SMTP (otherwise it stays in the outbox).
    pub smtp_configured: bool,
    /// Tile server for maps (`PASSERELLE_TILE_URL`); without it maps show
    /// the places on a plain background and the lists work as ever.
    pub tile_url: Option<String>,
    /// OSRM server giving the Diagnostic real road times.
    pub osrm: Option<osrm::Osrm>,
    /// Reverse proxies whose `X-Forwarded-For` is believed
    /// (`PASSERELLE_TRUSTED_PROXIES`); from anyone else the header is
    /// ignored, or a client could pick the address it is throttled by.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Bearer token that opens `/metrics` (`PASSERELLE_METRICS_TOKEN`);
    /// without it there is no `/metrics`.
    pub metrics_token: Option<String>,
    /// Who runs this instance, for the legal pages (`PASSERELLE_OPERATOR_*`).
    pub operator: legal::Operator,
    /// The retention periods in force, as the personal data page states
    /// them (the same values the retention jobs apply).
    pub periods: passerelle_referrals::deadlines::Periods,
    pub retention: passerelle_store::accounts::Retention,
    /// Sign-in with ProConnect (`PASSERELLE_OIDC_*`), when configured.
    pub proconnect: Option<Arc<proconnect::ProConnect>>,
    /// Whether people may sign in with a password (always, unless
    /// ProConnect is configured and `PASSERELLE_PASSWORD_SIGN_IN=off`).
    pub password_sign_in: bool,
}

impl WebConfig {
    pub fn new(public_url: &str, smtp_configured: bool) -> Self {
        let public_url = public_url.trim_end_matches('/').to_string();
        Self {
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            smtp_configured,
            tile_url: None,
            osrm: None,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            operator: legal::Operator::default(),
            periods: passerelle_referrals::deadlines::Periods::default(),
            retention: passerelle_store::accounts::Retention::default(),
            proconnect: None,
            password_sign_in: true,
        }
    }

    /// Sign-in with ProConnect, and whether passwords stay available
    /// (they can only be turned off when ProConnect is on).
    pub fn with_proconnect(
        mut self,
        settings: Option<proconnect::Settings>,
        password_sign_in: bool,
    ) -> Result<Self, String> {
        match settings {
            Some(settings) => {
                self.proconnect = Some(Arc::new(proconnect::ProConnect::new(
                    settings,
                    &self.public_url,
                )?));
                self.password_sign_in = password_sign_in;
            }
            None if !password_sign_in => {
                return Err("PASSERELLE_PASSWORD_SIGN_IN=off demande ProConnect : définissez aussi PASSERELLE_OIDC_ISSUER, PASSERELLE_OIDC_CLIENT_ID et PASSERELLE_OIDC_CLIENT_SECRET, sans quoi personne ne pourrait se connecter".into());
            }
            None => {}
        }
        Ok(self)
    }

    /// Who runs the instance, as the legal pages name them.
    pub fn with_operator(mut self, operator: legal::Operator) -> Self {
        self.operator = operator;
        self
    }

    /// The retention periods the jobs apply, for the personal data page.
    pub fn with_retention(
        mut self,
        periods: passerelle_referrals::deadlines::Periods,
        retention: passerelle_store::accounts::Retention,
    ) -> Self {
        self.periods = periods;
        self.retention = retention;
        self
    }

    /// Trusted reverse proxies from a list of addresses or networks
    /// separated by commas or spaces (`127.0.0.1, 10.0.0.0/8, ::1`).
    pub fn with_trusted_proxies(mut self, list: &str) -> Result<Self, String> {
        self.trusted_proxies = list
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(|item| {
                item.parse::<ipnet::IpNet>()
                    .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        format!(
                            "PASSERELLE_TRUSTED_PROXIES: « {item} » n’est ni une adresse IP ni un réseau (10.0.0.0/8)"
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// Opens `/metrics` to requests bearing `token` (ignored when empty).
    pub fn with_metrics_token(mut self, token: Option<String>) -> Self {
        self.metrics_token = token.filter(|t| !t.trim().is_empty());
        self
    }

    pub fn with_osrm(mut self, osrm: Option<osrm::Osrm>) -> Self {
        self.osrm = osrm;
        self
    }

    /// Map tiles from `url` (`https://tiles.example.org/{z}/{x}/{y}.png`);
    /// its origin is allowed for images by the CSP.
    pub fn with_tiles(mut self, url: Option<String>) -> Self {
        self.tile_url = url.filter(|u| u.starts_with("https://") || u.starts_with("http://"));
        self
    }

    /// `scheme://host[:port]` of the tile URL.
    fn tile_origin(&self) -> Option<&str> {
        let url = self.tile_url.as_deref()?;
        let after = url.find("://")? + 3;
        Some(&url[..after + url[after..].find('/').unwrap_or(url.len() - after)])
    }
}

/// Every route, from the registry.
fn all_routes() -> Vec<routes::Route> {
    let mut all = api::routes();
    all.extend(home::routes());
    all.extend(legal::routes());
    all.extend(pages::routes());
    all.extend(comptes::routes());
    all.extend(lieux::routes());
    all.extend(territoires::routes());
    all.extend(activites::routes());
    all.extend(diagnostic::routes());
    all.extend(orientations::routes());
    all.extend(enquetes::routes());
    all.extend(reseau::routes());
    all.extend(observe::routes());
    all
}

/// Method and path of every route the application serves (static files and
/// fallbacks aside). The access-control test must list each of them.
pub fn route_table() -> Vec<(Method, &'static str)> {
    all_routes()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect()
}

/// Where the built front-end assets (`web/dist`) are, if anywhere.
#[derive(Debug, Clone)]
pub struct Assets {
    pub dir: Option<PathBuf>,
}

/// The largest body each route accepts, by method and path, from the
/// registry.
pub fn body_limits() -> Vec<(Method, &'static str, usize)> {
    all_routes()
        .into_iter()
        .map(|r| (r.method, r.path, r.body_limit))
        .collect()
}

/// The whole application.
pub fn router(state: AppState, assets: &Assets) -> Router {
    let tile_origin = state.config.tile_origin().map(str::to_string);
    let provider_origin = state.config.proconnect.as_ref().and_then(|p| p.origin());
    let observer = state.observer.clone();
    let mut app = Router::new();
    let mut limits = body::Limits::default();
    for route in all_routes() {
        limits.insert(route.method.clone(), route.path, route.body_limit);
        // Extractors read up to the route's limit (axum's default of
        // 2 MB would otherwise apply first).
        let handler = route
            .handler
            .layer(axum::extract::DefaultBodyLimit::max(route.body_limit));
        app = app.route(route.path, handler);
    }
    let mut app = app
        .route("/api/v1/{*rest}", any(api::unknown_endpoint))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::csrf_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(limits),
            body::limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::with_viewer_chrome,
        ))
        .with_state(state);
    if let Some(dir) = &assets.dir {
        app = app.nest_service("/static", ServeDir::new(dir));
    }
    // Applied to each route (and the fallback), so it sees the route matched.
    let app = app.layer(axum::middleware::from_fn_with_state(
        observer,
        observe::track,
    ));
    security_headers(app, tile_origin.as_deref(), provider_origin.as_deref())
}

fn security_headers(
    app: Router,
    tile_origin: Option<&str>,
    provider_origin: Option<&str>,
) -> Router {
    // No inline scripts or styles anywhere: pages load the DSFR and our own
    // files from /static. The DSFR stylesheet uses data: URIs for images;
    // map tiles, when configured, come from their server. The sign-in and
    // sign-out forms lead to ProConnect, when configured (browsers apply
    // `form-action` to the redirect that follows a form).
    let csp = format!(
        "default-src 'self'; img-src 'self' data:{}; script-src 'self'; \
         style-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'{}; frame-ancestors 'none'",
        tile_origin.map(|o| format!(" {o}")).unwrap_or_default(),
        provider_origin.map(|o| format!(" {o}")).unwrap_or_default()
    );
    let app = app.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&csp).expect("the policy is ASCII"),
    ));
    // A page that may be framed says so in its own policy
    // (`frame-ancestors *`: the embeddable shared figures); every other
    // page may not be.
    let app = app.layer(SetResponseHeaderLayer::if_not_present(
        header::X_FRAME_OPTIONS,
        |response: &axum::response::Response| {
            let framable = response
                .headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("frame-ancestors *"));
            (!framable).then(|| HeaderValue::from_static("DENY"))
        },
    ));
    let headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        // The finder's "Autour de moi" asks the browser's position: this
        // origin only, never a frame of another.
        (
            HeaderName::from_static("permissions-policy"),
            "geolocation=(self), camera=(), microphone=()",
        ),
    ];
    headers.into_iter().fold(app, |app, (name, value)| {
        app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// Serves the application on a bound listener until Ctrl-C or SIGTERM.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    assets: &Assets,
) -> std::io::Result<()> {
    let app = router(state, assets).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
