//! The HTTP layer of Passerelle: server-rendered French pages following the
//! State design system (DSFR), the JSON API under `/api/v1` with its OpenAPI
//! document, and the served front-end assets. Handlers stay thin: they parse
//! the request, call `passerelle-store`, and render.

mod api;
mod error;
mod pages;

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use passerelle_store::Database;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub use api::ApiDoc;

/// Version reported by `/health` and the OpenAPI document.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
}

/// Where the built front-end assets (`web/dist`) are, if anywhere.
#[derive(Debug, Clone)]
pub struct Assets {
    pub dir: Option<PathBuf>,
}

/// The whole application.
pub fn router(state: AppState, assets: &Assets) -> Router {
    let mut app = Router::new()
        .route("/health", get(api::health))
        .nest("/api/v1", api::routes())
        .merge(pages::routes())
        .fallback(pages::not_found)
        .with_state(state);
    if let Some(dir) = &assets.dir {
        app = app.nest_service("/static", ServeDir::new(dir));
    }
    security_headers(app)
}

fn security_headers(app: Router) -> Router {
    // No inline scripts or styles anywhere: pages load the DSFR and our own
    // files from /static. The DSFR stylesheet uses data: URIs for images.
    const CSP: &str = "default-src 'self'; img-src 'self' data:; script-src 'self'; \
         style-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("permissions-policy"),
            "geolocation=(), camera=(), microphone=()",
        ),
    ];
    headers.into_iter().fold(app, |app, (name, value)| {
        app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// Serves the application until Ctrl-C or SIGTERM. `on_ready` is called with
/// the bound address once the socket listens.
pub async fn serve(
    addr: SocketAddr,
    state: AppState,
    assets: &Assets,
    on_ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    on_ready(listener.local_addr()?);
    axum::serve(listener, router(state, assets))
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
