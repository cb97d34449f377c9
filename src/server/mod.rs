//! The web application (`takehome serve`): the candidate portal and the reviewers' grading
//! pages, server-rendered, no script. A thin edge over the stages: access by secret link,
//! CSRF tokens on every form, strict security headers on every response.

mod auth;
mod candidate;
mod cohorts;
mod interview;
mod lead;
mod packets;
mod pages;
mod reviewer;
mod routes;
mod tls;

pub use routes::{ROUTES, Route, Verb, Who};
pub use tls::{HSTS, Tls, TlsError};

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::store::Workspace;

/// Everything a request handler reaches.
pub struct App {
    pub workspace: Workspace,
    /// Largest upload accepted, in bytes.
    pub max_upload: u64,
    csrf_key: String,
    pages: pages::Pages,
    packets: packets::Packets,
    cohorts: cohorts::Cohorts,
}

impl App {
    pub async fn new(workspace: Workspace, max_upload: u64) -> anyhow::Result<Arc<App>> {
        let csrf_key = workspace
            .store
            .setting_or("csrf_key", || hex::encode(rand::random::<[u8; 32]>()))
            .await?;
        Ok(Arc::new(App {
            workspace,
            max_upload,
            csrf_key,
            pages: pages::Pages::new(),
            packets: packets::Packets::default(),
            cohorts: cohorts::Cohorts::default(),
        }))
    }
}

/// How much of an over-cap upload is read and discarded before answering 413.
pub const DRAIN_BYTES: u64 = 16 << 20;

/// The application's routes, built from the route table ([`ROUTES`]).
pub fn router(app: Arc<App>) -> Router {
    routes::router(&app)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

/// The Content-Security-Policy of the application's own pages: nothing but its stylesheet,
/// forms posting to itself, and frames of itself (the packet).
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'";

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Not no-referrer: browsers then send `Origin: null` on the app's own forms.
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::X_FRAME_OPTIONS, "SAMEORIGIN");
    // Pages carry secret links and private scores: never kept by caches.
    set(headers, header::CACHE_CONTROL, "no-store");
    response
}

/// Why a request was refused. Unknown tokens and things the asker may not see are the
/// same 404, so that a probe learns nothing.
#[derive(Debug)]
pub enum Failure {
    NotFound,
    /// A form without a valid CSRF token, or from another origin.
    Forbidden,
    BadRequest(String),
    TooLarge(u64),
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure::Internal(error)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Failure::NotFound => (
                StatusCode::NOT_FOUND,
                "There is nothing here. Check that you opened the whole link you were given."
                    .to_string(),
            ),
            Failure::Forbidden => (
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this site. Reload the page and try again."
                    .to_string(),
            ),
            Failure::BadRequest(why) => (StatusCode::BAD_REQUEST, why),
            Failure::TooLarge(cap) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "The upload is larger than the limit of {}; nothing was stored.",
                    crate::base::limits::Bytes(cap)
                ),
            ),
            Failure::Internal(error) => {
                tracing::error!("{error:#}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side; nothing you sent was lost. Try again in a moment."
                        .to_string(),
                )
            }
        };
        let heading = status.canonical_reason().unwrap_or("Error").to_string();
        let body = pages::render_message(&heading, &message)
            .unwrap_or_else(|_| format!("{heading}: {message}"));
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response()
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

/// Listens on `addr` (port 0: any free port; the listener says which).
pub async fn listen(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// Serves `app` until `stop` resolves: then no new connection is accepted, requests in
/// flight are answered for up to `grace`, and whatever is still open after that is closed.
/// Over HTTPS when `tls` is given, with `Strict-Transport-Security` on every answer.
pub async fn serve_until(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    tls: Option<Tls>,
    stop: impl std::future::Future<Output = ()>,
    grace: std::time::Duration,
) -> anyhow::Result<()> {
    let mut router = router(app);
    if tls.is_some() {
        router = router.layer(axum::middleware::map_response(hsts));
    }
    let handle = axum_server::Handle::new();
    let listener = listener.into_std()?;
    let served = async {
        match tls {
            Some(tls) => {
                let config = axum_server::tls_rustls::RustlsConfig::from_config(tls.config);
                axum_server::tls_rustls::from_tcp_rustls(listener, config)?
                    .handle(handle.clone())
                    .serve(router.into_make_service())
                    .await
            }
            None => {
                axum_server::from_tcp(listener)?
                    .handle(handle.clone())
                    .serve(router.into_make_service())
                    .await
            }
        }
    };
    tokio::pin!(served);
    tokio::select! {
        result = &mut served => return Ok(result?),
        () = stop => handle.graceful_shutdown(Some(grace)),
    }
    served.await?;
    Ok(())
}

async fn hsts(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(HSTS),
    );
    response
}

/// Serves `app` until the process is stopped.
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    axum::serve(listener, router(app)).await?;
    Ok(())
}
