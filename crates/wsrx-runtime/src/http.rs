//! The SOAP/HTTP binding: an axum server and a reqwest client.
//!
//! SOAP 1.1 travels as `text/xml; charset=utf-8` with a `SOAPAction` header; SOAP 1.2
//! as `application/soap+xml; charset=utf-8; action="…"`. One-way messages with nothing
//! to answer get `202 Accepted` and no body; replies and acknowledgements for anonymous
//! ReplyTo/AcksTo ride on the HTTP response (200, or 500 for faults). The server bounds
//! the request size (413) and the requests processed at once (503), and shuts down
//! gracefully. The client reuses connections (one reqwest pool) and speaks rustls.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wsrx_soap::SoapVersion;
use wsrx_store::Backend;

use crate::error::RuntimeError;
use crate::server::Server;

/// A SOAP message to put on HTTP, or taken from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// The SOAP version of the body.
    pub soap: SoapVersion,
    /// The action (for the content type).
    pub action: String,
    /// The envelope; `None` for 202.
    pub body: Option<String>,
}

impl HttpReply {
    /// 202 Accepted, no body.
    pub fn accepted(soap: SoapVersion) -> Self {
        Self {
            status: 202,
            soap,
            action: String::new(),
            body: None,
        }
    }
}

/// The content type (and `SOAPAction` for 1.1) of a SOAP message.
pub fn content_type(soap: SoapVersion, action: &str) -> (String, Option<String>) {
    match soap {
        SoapVersion::V11 => (
            "text/xml; charset=utf-8".to_owned(),
            Some(format!("\"{action}\"")),
        ),
        SoapVersion::V12 => (
            if action.is_empty() {
                "application/soap+xml; charset=utf-8".to_owned()
            } else {
                format!("application/soap+xml; charset=utf-8; action=\"{action}\"")
            },
            None,
        ),
    }
}

/// The SOAP version a content type names (1.2 unless it is `text/xml`).
pub fn soap_hint(content_type: Option<&str>) -> SoapVersion {
    match content_type {
        Some(c) if c.trim_start().to_ascii_lowercase().starts_with("text/xml") => SoapVersion::V11,
        _ => SoapVersion::V12,
    }
}

/// Limits of the HTTP server.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Largest request body accepted (413 beyond).
    pub max_body: usize,
    /// Requests processed at once (503 beyond).
    pub max_concurrency: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body: 4 * 1024 * 1024,
            max_concurrency: 256,
        }
    }
}

struct AppState<B: Backend> {
    server: Server<B>,
    permits: Semaphore,
}

/// The axum router serving `server` at every path.
pub fn router<B: Backend>(server: Server<B>, limits: &HttpLimits) -> Router {
    let state = Arc::new(AppState {
        server,
        permits: Semaphore::new(limits.max_concurrency.max(1)),
    });
    Router::new()
        .fallback(handle::<B>)
        .layer(DefaultBodyLimit::max(limits.max_body))
        .with_state(state)
}

async fn handle<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(_permit) = state.permits.try_acquire() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let hint = soap_hint(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let reply = state.server.handle(&body, hint).await;
    to_response(reply)
}

fn to_response(reply: HttpReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let Some(body) = reply.body else {
        return status.into_response();
    };
    let (ct, soap_action) = content_type(reply.soap, &reply.action);
    let mut resp = (status, body).into_response();
    if let Ok(v) = HeaderValue::from_str(&ct) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Some(a) = soap_action.and_then(|a| HeaderValue::from_str(&a).ok()) {
        resp.headers_mut().insert("SOAPAction", a);
    }
    resp
}

/// A running HTTP server.
#[derive(Debug)]
pub struct Serving {
    /// The bound address.
    pub local_addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), std::io::Error>>,
}

impl Serving {
    /// Stops accepting, lets requests in progress finish, and waits.
    ///
    /// # Errors
    /// [`RuntimeError::Io`] if the server failed.
    pub async fn shutdown(mut self) -> Result<(), RuntimeError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task
            .await
            .map_err(|e| RuntimeError::Io(e.to_string()))??;
        Ok(())
    }
}

/// Binds `addr` and serves `server` until [`Serving::shutdown`].
///
/// # Errors
/// [`RuntimeError::Io`] if the address cannot be bound.
pub async fn serve<B: Backend>(
    addr: SocketAddr,
    server: Server<B>,
    limits: &HttpLimits,
) -> Result<Serving, RuntimeError> {
    let listener = TcpListener::bind(addr).await?;
    serve_on(listener, server, limits)
}

/// Serves `server` on an already bound listener.
///
/// # Errors
/// [`RuntimeError::Io`] if the listener has no local address.
pub fn serve_on<B: Backend>(
    listener: TcpListener,
    server: Server<B>,
    limits: &HttpLimits,
) -> Result<Serving, RuntimeError> {
    let local_addr = listener.local_addr()?;
    let app = router(server, limits);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok(Serving {
        local_addr,
        shutdown: Some(tx),
        task,
    })
}

/// The HTTP client: one connection pool, rustls.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
}

impl HttpClient {
    /// A client with `timeout` per request.
    ///
    /// # Errors
    /// [`RuntimeError::Http`] if the TLS stack cannot be set up.
    pub fn new(timeout: Duration) -> Result<Self, RuntimeError> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(timeout)
            .pool_max_idle_per_host(8)
            .build()?;
        Ok(Self { client })
    }

    /// POSTs a SOAP message; returns the response (status and body, if any).
    ///
    /// # Errors
    /// [`RuntimeError::Http`] on transport failures.
    pub async fn post(
        &self,
        url: &str,
        soap: SoapVersion,
        action: &str,
        body: String,
    ) -> Result<(u16, Option<(SoapVersion, Bytes)>), RuntimeError> {
        let (ct, soap_action) = content_type(soap, action);
        let mut req = self
            .client
            .post(url)
            .header(header::CONTENT_TYPE, ct)
            .body(body);
        if let Some(a) = soap_action {
            req = req.header("SOAPAction", a);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let hint = soap_hint(
            resp.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
        );
        let bytes = resp.bytes().await?;
        if bytes.is_empty() {
            Ok((status, None))
        } else {
            Ok((status, Some((hint, bytes))))
        }
    }
}
