//! The SOAP/HTTP(S) binding: an axum router behind hyper HTTP/1.1 connections (plain,
//! or behind TLS), and a reqwest client.
//!
//! SOAP 1.1 travels as `text/xml; charset=utf-8` with a `SOAPAction` header; SOAP 1.2
//! as `application/soap+xml; charset=utf-8; action="…"`. One-way messages with nothing
//! to answer get `202 Accepted` and no body; replies and acknowledgements for anonymous
//! ReplyTo/AcksTo ride on the HTTP response (200, or 500 for faults). The server bounds
//! the request size (413), the time and rate at which a body arrives (408), the bytes
//! of all bodies buffered at once and the requests processed at once (503), the
//! connections open in all and per peer address (503), the time a request head may
//! take and a connection may sit idle ([`HttpLimits`]; the accept loop is in
//! `http/listen.rs`), and shuts down gracefully. The client reuses connections (one
//! reqwest pool) and speaks rustls.
//!
//! HTTPS ([`serve_tls_on`]): the same accept loop with a tokio-rustls handshake (bounded
//! by `tls_handshake_timeout`) before hyper, so the same limits apply; each request
//! carries a [`Peer`] saying it came over TLS and with which client certificate (mutual
//! TLS), which the token service uses (a `PasswordText` UsernameToken only over TLS). A
//! failed handshake (e.g. no client certificate when one is required) never reaches the
//! router. Shutdown stops accepting, lets every open connection finish its request in
//! progress, and then returns.

mod body;
mod limits;
mod listen;

pub use limits::{
    DESCRIPTOR_RESERVE, HttpLimits, MAX_HEADER_BUFFER, MAX_REFUSING, descriptor_limit,
    effective_connection_cap,
};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use wsrx_soap::SoapVersion;
use wsrx_store::Backend;

use crate::error::RuntimeError;
use crate::server::Server;
use crate::tls::{ClientTls, ServerTls};
use crate::token::Peer;

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

struct AppState<B: Backend> {
    server: Server<B>,
    permits: Semaphore,
    body: body::BodyRules,
    /// One permit per byte of request body buffered, over all connections.
    budget: Arc<Semaphore>,
}

/// The axum router serving `server` at every path.
pub fn router<B: Backend>(server: Server<B>, limits: &HttpLimits) -> Router {
    let state = Arc::new(AppState {
        server,
        permits: Semaphore::new(limits.max_concurrency.max(1)),
        body: body::BodyRules {
            max_body: limits.max_body,
            body_timeout: limits.body_timeout,
            min_rate: limits.min_body_rate,
            grace: limits.body_rate_grace,
        },
        budget: Arc::new(Semaphore::new(
            limits
                .max_buffered_body
                .max(limits.max_body)
                .min(Semaphore::MAX_PERMITS),
        )),
    });
    Router::new().fallback(handle::<B>).with_state(state)
}

async fn handle<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    // Probes for a load balancer or a service manager (issue 21): `GET /health` is
    // liveness (the process answers HTTP), `GET /ready` readiness (started, not
    // draining, its store answering; 503 with the reason otherwise).
    if request.method() == axum::http::Method::GET && request.uri().query().is_none() {
        match request.uri().path() {
            "/health" => {
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "live\n",
                )
                    .into_response();
            }
            "/ready" => {
                return match state.server.ready().await {
                    Ok(()) => (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                        "ready\n".to_owned(),
                    )
                        .into_response(),
                    Err(why) => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        [
                            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                            (header::RETRY_AFTER, "1"),
                        ],
                        format!("not ready: {why}\n"),
                    )
                        .into_response(),
                };
            }
            _ => {}
        }
    }
    // `GET <endpoint>?wsdl`: the description of the policy the server enforces.
    if request.method() == axum::http::Method::GET
        && request
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.eq_ignore_ascii_case("wsdl")))
    {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            state.server.published_wsdl(),
        )
            .into_response();
    }
    // The body must arrive whole within the size, time, rate floor and shared buffer
    // budget (issue 9 and 20: slowloris, partial bodies); a refused one closes the
    // connection (the rest of it is never read).
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = match body::collect(request.into_body(), declared, state.body, &state.budget).await {
        Ok(body) => body,
        Err(refusal) => {
            crate::metrics::refused(refusal.reason().to_owned());
            let status = match refusal {
                body::BodyRefusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                body::BodyRefusal::TooSlow | body::BodyRefusal::Timeout => {
                    StatusCode::REQUEST_TIMEOUT
                }
                body::BodyRefusal::BufferFull => StatusCode::SERVICE_UNAVAILABLE,
                body::BodyRefusal::Broken => StatusCode::BAD_REQUEST,
            };
            let mut resp = (status, [(header::CONNECTION, "close")]).into_response();
            if status == StatusCode::SERVICE_UNAVAILABLE {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            return resp;
        }
    };
    let Ok(_permit) = state.permits.try_acquire() else {
        crate::metrics::refused("http_busy".to_owned());
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
        )
            .into_response();
    };
    let hint = soap_hint(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let peer = peer.map_or_else(Peer::unprotected, |Extension(p)| p);
    let reply = state.server.handle_from(&body.bytes, hint, &peer).await;
    to_response(reply)
}

fn to_response(reply: HttpReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let Some(body) = reply.body else {
        return status.into_response();
    };
    let (ct, soap_action) = content_type(reply.soap, &reply.action);
    let mut resp = (status, body).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // The store could not commit: nothing was acknowledged; the client may retry.
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
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
    let task = tokio::spawn(listen::accept_loop(listener, app, limits.clone(), None, rx));
    Ok(Serving {
        local_addr,
        shutdown: Some(tx),
        task,
    })
}

/// Serves `server` over HTTPS on an already bound listener: TLS with `tls` (server
/// certificate, and client certificates when it requires them), then HTTP/1.1 with the
/// same router and limits as [`serve_on`].
///
/// # Errors
/// [`RuntimeError::Io`] if the listener has no local address.
pub fn serve_tls_on<B: Backend>(
    listener: TcpListener,
    server: Server<B>,
    limits: &HttpLimits,
    tls: &ServerTls,
) -> Result<Serving, RuntimeError> {
    let local_addr = listener.local_addr()?;
    let app = router(server, limits);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(listen::accept_loop(
        listener,
        app,
        limits.clone(),
        Some(acceptor),
        rx,
    ));
    Ok(Serving {
        local_addr,
        shutdown: Some(tx),
        task,
    })
}

/// Requests one [`HttpClient`] (and its clones) has in flight at most; as many idle
/// keep-alive connections per host are kept, so under load every request finds an
/// open connection instead of opening a new one.
pub const MAX_IN_FLIGHT: usize = 64;

/// The HTTP client: one connection pool, rustls, at most [`MAX_IN_FLIGHT`] requests
/// at once (further ones wait for a slot: back-pressure instead of a connection per
/// message). Clones share the pool and the bound; give one to many
/// [`Client`](crate::Client)s to the same server (`ClientConfig::http`).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    slots: Arc<Semaphore>,
}

impl HttpClient {
    /// A client with `timeout` per request.
    ///
    /// # Errors
    /// [`RuntimeError::Http`] if the TLS stack cannot be set up.
    pub fn new(timeout: Duration) -> Result<Self, RuntimeError> {
        Self::with_tls(timeout, &ClientTls::default())
    }

    /// A client with `timeout` per request that also trusts the CAs of `tls` and
    /// presents its client identity (mutual TLS) when a server asks for one.
    ///
    /// # Errors
    /// [`RuntimeError::Http`] if a certificate or key is refused, or the TLS stack
    /// cannot be set up.
    pub fn with_tls(timeout: Duration, tls: &ClientTls) -> Result<Self, RuntimeError> {
        let builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(timeout)
            .tcp_nodelay(true)
            .pool_max_idle_per_host(MAX_IN_FLIGHT);
        let client = tls.apply(builder)?.build()?;
        Ok(Self {
            client,
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        })
    }

    /// GETs `url` (a WSDL, for instance); returns the status and the body.
    ///
    /// # Errors
    /// [`RuntimeError::Http`] on transport failures.
    pub async fn get(&self, url: &str) -> Result<(u16, Bytes), RuntimeError> {
        let resp = self.client.get(url).send().await?;
        let status = resp.status().as_u16();
        Ok((status, resp.bytes().await?))
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
        crate::shard::assert_unlocked("sending an HTTP request");
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| RuntimeError::Shutdown)?;
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
