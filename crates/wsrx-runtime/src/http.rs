//! The SOAP/HTTP(S) binding: an axum server (plain, or behind TLS) and a reqwest client.
//!
//! SOAP 1.1 travels as `text/xml; charset=utf-8` with a `SOAPAction` header; SOAP 1.2
//! as `application/soap+xml; charset=utf-8; action="…"`. One-way messages with nothing
//! to answer get `202 Accepted` and no body; replies and acknowledgements for anonymous
//! ReplyTo/AcksTo ride on the HTTP response (200, or 500 for faults). The server bounds
//! the request size (413) and the requests processed at once (503), and shuts down
//! gracefully. The client reuses connections (one reqwest pool) and speaks rustls.
//!
//! HTTPS ([`serve_tls_on`]): a tokio-rustls accept loop feeding hyper HTTP/1.1
//! connections with the same router, so the same limits apply; each request carries a
//! [`Peer`] saying it came over TLS and with which client certificate (mutual TLS), which
//! the token service uses (a `PasswordText` UsernameToken only over TLS). A failed
//! handshake (e.g. no client certificate when one is required) never reaches the router.
//! Shutdown stops accepting, lets every open connection finish its request in progress,
//! and then returns.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, State};
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

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// Longest time a request body may take to arrive (408 and the connection closed
    /// beyond): a body that stalls (slowloris) does not hold a connection forever.
    pub body_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body: 4 * 1024 * 1024,
            max_concurrency: 256,
            body_timeout: Duration::from_secs(30),
        }
    }
}

struct AppState<B: Backend> {
    server: Server<B>,
    permits: Semaphore,
    body_timeout: Duration,
}

/// The axum router serving `server` at every path.
pub fn router<B: Backend>(server: Server<B>, limits: &HttpLimits) -> Router {
    let state = Arc::new(AppState {
        server,
        permits: Semaphore::new(limits.max_concurrency.max(1)),
        body_timeout: limits.body_timeout,
    });
    Router::new()
        .fallback(handle::<B>)
        .layer(DefaultBodyLimit::max(limits.max_body))
        .with_state(state)
}

async fn handle<B: Backend>(
    State(state): State<Arc<AppState<B>>>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::FromRequest;
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
    // The body (within DefaultBodyLimit) must arrive within body_timeout (issue 9:
    // slowloris); a stalled one gets 408 and the connection is closed.
    let body = match tokio::time::timeout(state.body_timeout, Bytes::from_request(request, &()))
        .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(rejection)) => return rejection.into_response(),
        Err(_) => {
            return (StatusCode::REQUEST_TIMEOUT, [(header::CONNECTION, "close")]).into_response();
        }
    };
    let Ok(_permit) = state.permits.try_acquire() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let hint = soap_hint(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let peer = peer.map_or_else(Peer::unprotected, |Extension(p)| p);
    let reply = state.server.handle_from(&body, hint, &peer).await;
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
    let task = tokio::spawn(accept_tls(listener, acceptor, app, rx));
    Ok(Serving {
        local_addr,
        shutdown: Some(tx),
        task,
    })
}

/// The HTTPS accept loop: one task per connection (handshake, then HTTP/1.1), until
/// `stop`; then every open connection is shut down gracefully and awaited.
async fn accept_tls(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    app: Router,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), std::io::Error> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::info!(%remote, error = %e, "TLS handshake refused");
                    return;
                }
                Err(_) => {
                    tracing::info!(%remote, "TLS handshake timed out");
                    return;
                }
            };
            let client_certificate = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(|c| Arc::<[u8]>::from(c.as_ref()));
            let peer = Peer::tls(client_certificate);
            if let Some(subject) = peer.client_subject() {
                tracing::debug!(%remote, client = %subject, "mutual TLS");
            }
            let service = hyper::service::service_fn(
                move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(peer.clone());
                    let mut app = app.clone();
                    tower_service::Service::call(&mut app, request)
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(%remote, error = %e, "HTTPS connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
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
