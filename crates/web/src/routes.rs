//! The route registry: every route of the application is declared once here,
//! with its method and the largest body it accepts, so the router is built
//! from it, the body limit is enforced and documented from it, and the
//! access-control test can check that each one is covered.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};

use crate::AppState;

/// The largest body of a page's form (and of any route saying nothing
/// else): 64 KiB.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
    /// The largest request body accepted, in bytes; larger is refused
    /// with 413 before the handler runs.
    pub body_limit: usize,
}

impl Route {
    pub fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self {
            method: Method::GET,
            path,
            handler: routing::get(handler),
            body_limit: FORM_BODY_LIMIT,
        }
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self {
            method: Method::POST,
            path,
            handler: routing::post(handler),
            body_limit: FORM_BODY_LIMIT,
        }
    }

    /// Accepts bodies up to `bytes` (files, batches) instead of a form's.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }
}

/// `64 Kio`, `2 Mio`, `32 Mio`: a limit as people read it.
pub fn say_bytes(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} Mio", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} Kio", bytes / KIB)
    } else {
        format!("{bytes} octets")
    }
}
