//! The accept loop of `wsrx serve` (plain HTTP and HTTPS): connection caps, the TLS
//! handshake timeout, and hyper's HTTP/1.1 connection with its header-read timeout and
//! a bounded head buffer (issue 20, threat model T38–T41).
//!
//! - A connection beyond `max_connections`, or beyond `max_connections_per_peer` from
//!   its address, is answered `503 Service Unavailable` (`Retry-After: 1`, after the
//!   handshake for HTTPS) and closed; at most [`MAX_REFUSING`] are being answered at
//!   once, others are closed straight away.
//! - hyper closes a connection whose request head does not arrive within
//!   `header_read_timeout` (its timer also runs while a kept-alive connection waits).
//! - [`IdleIo`] closes a connection on which no byte arrived for `keep_alive_timeout`
//!   while no request is in progress (hyper has no idle timeout distinct from the
//!   header one).
//!
//! Each refusal is counted in `wsrx_refused_total{reason}`.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

use super::limits::{HttpLimits, MAX_HEADER_BUFFER, MAX_REFUSING};
use crate::token::Peer;

/// Counts one connection-level refusal (no identity: nothing was authenticated yet).
fn refused(reason: &'static str, remote: SocketAddr) {
    crate::metrics::refused(reason.to_owned());
    tracing::debug!(%remote, reason, "refused a connection");
}

/// The connections open now, in all and by peer address.
#[derive(Debug)]
pub(crate) struct Gate {
    max: usize,
    per_peer: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct Admitted {
    gate: Arc<Gate>,
    ip: IpAddr,
}

impl Gate {
    pub(crate) fn new(max: usize, per_peer: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            per_peer: per_peer.max(1),
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// Takes a place for a connection from `ip`, or says which cap refuses it.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Admitted, &'static str> {
        let ip = ip.to_canonical();
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if open.0 >= self.max {
            return Err("http_connection_limit");
        }
        let from_peer = open.1.entry(ip).or_insert(0);
        if *from_peer >= self.per_peer {
            return Err("http_peer_connection_limit");
        }
        *from_peer += 1;
        open.0 += 1;
        Ok(Admitted {
            gate: Arc::clone(self),
            ip,
        })
    }

    /// Connections open now.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.open.lock().map_or(0, |o| o.0)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self
            .gate
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        open.0 = open.0.saturating_sub(1);
        if let Some(n) = open.1.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.1.remove(&self.ip);
            }
        }
    }
}

const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\
retry-after: 1\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 26\r\n\r\n\
connection limit reached\r\n";

/// Answers a connection refused by a cap: `503` (after the handshake over TLS), then
/// closes it once the peer has read it, all within a few seconds.
async fn answer_busy(tcp: TcpStream, tls: Option<tokio_rustls::TlsAcceptor>, handshake: Duration) {
    let work = async move {
        match tls {
            Some(acceptor) => {
                let s = tokio::time::timeout(handshake, acceptor.accept(tcp)).await??;
                write_and_drain(s).await
            }
            None => write_and_drain(tcp).await,
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), async move {
        let r: Result<(), Box<dyn std::error::Error + Send + Sync>> = work.await;
        r
    })
    .await;
}

async fn write_and_drain<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    s.write_all(BUSY_RESPONSE).await?;
    s.shutdown().await?;
    // Read what the peer already sent (a request head), briefly, so that closing does
    // not reset the connection before it read the answer.
    let mut sink = [0u8; 4096];
    let mut total = 0usize;
    while total < 64 * 1024 {
        match tokio::time::timeout(Duration::from_millis(100), s.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => total += n,
            _ => break,
        }
    }
    Ok(())
}

/// Whether a request is in progress on a connection, shared by its service and its
/// [`IdleIo`].
#[derive(Debug, Default)]
struct Activity {
    busy: AtomicUsize,
    /// A request just ended: the idle clock restarts.
    ended: AtomicBool,
}

struct Busy(Arc<Activity>);

impl Busy {
    fn new(a: &Arc<Activity>) -> Self {
        a.busy.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(a))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.ended.store(true, Ordering::Release);
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's stream that fails its read (closing the connection) once no byte
/// arrived for `timeout` while no request is in progress.
struct IdleIo<S> {
    inner: S,
    activity: Arc<Activity>,
    timeout: Duration,
    last: Instant,
    sleep: Pin<Box<Sleep>>,
    /// Bytes of a request head read since the connection went idle.
    head_bytes: usize,
    /// Whether a request was served on this connection.
    served: bool,
    remote: SocketAddr,
}

impl<S> IdleIo<S> {
    fn new(inner: S, activity: Arc<Activity>, timeout: Duration, remote: SocketAddr) -> Self {
        let last = Instant::now();
        Self {
            inner,
            activity,
            timeout,
            last,
            sleep: Box::pin(tokio::time::sleep_until(last + timeout)),
            head_bytes: 0,
            served: false,
            remote,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.activity.ended.swap(false, Ordering::AcqRel) {
            this.last = Instant::now();
            this.head_bytes = 0;
            this.served = true;
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                let n = buf.filled().len().saturating_sub(before);
                if n > 0 {
                    this.last = Instant::now();
                    if this.activity.busy.load(Ordering::Acquire) == 0 {
                        this.head_bytes += n;
                    }
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                if this.activity.busy.load(Ordering::Acquire) > 0 {
                    return Poll::Pending;
                }
                let deadline = this.last + this.timeout;
                if this.sleep.deadline() != deadline {
                    this.sleep.as_mut().reset(deadline);
                }
                if this.sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                if this.head_bytes > 0 {
                    refused("http_header_timeout", this.remote);
                } else if !this.served {
                    refused("http_idle_without_request", this.remote);
                }
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle beyond the keep-alive timeout",
                )))
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Accepts connections until `stop`, then shuts every open one down gracefully and
/// waits for them.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), io::Error> {
    let cap = super::limits::effective_connection_cap(
        limits.max_connections,
        super::limits::descriptor_limit(),
    );
    if cap < limits.max_connections {
        tracing::warn!(
            configured = limits.max_connections,
            applied = cap,
            "connection cap lowered to fit the descriptor limit (ulimit -n)"
        );
    }
    let gate = Gate::new(cap, limits.max_connections_per_peer);
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let limits = Arc::new(limits);
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
        let admitted = match gate.admit(remote.ip()) {
            Ok(a) => a,
            Err(reason) => {
                refused(reason, remote);
                if let Ok(permit) = Arc::clone(&refusing).try_acquire_owned() {
                    let tls = tls.clone();
                    let handshake = limits.tls_handshake_timeout;
                    tokio::spawn(async move {
                        answer_busy(tcp, tls, handshake).await;
                        drop(permit);
                    });
                }
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let watcher = graceful.watcher();
        let limits = Arc::clone(&limits);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _admitted = admitted;
            let Some(acceptor) = tls else {
                serve_connection(tcp, None, app, &limits, remote, watcher).await;
                return;
            };
            let stream = match tokio::time::timeout(
                limits.tls_handshake_timeout,
                acceptor.accept(tcp),
            )
            .await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    refused("tls_handshake_failed", remote);
                    tracing::info!(%remote, error = %e, "TLS handshake refused");
                    return;
                }
                Err(_) => {
                    refused("tls_handshake_timeout", remote);
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
            serve_connection(stream, Some(peer), app, &limits, remote, watcher).await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Serves hyper's HTTP/1.1 connection over `stream` with `app` until it ends: the
/// header-read timeout, the bounded head buffer and the idle timeout apply.
async fn serve_connection<S>(
    stream: S,
    peer: Option<Peer>,
    app: Router,
    limits: &HttpLimits,
    remote: SocketAddr,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::default());
    let io = IdleIo::new(
        stream,
        Arc::clone(&activity),
        limits.keep_alive_timeout,
        remote,
    );
    let service = hyper::service::service_fn(
        move |mut request: axum::http::Request<hyper::body::Incoming>| {
            if let Some(p) = &peer {
                request.extensions_mut().insert(p.clone());
            }
            let busy = Busy::new(&activity);
            let mut app = app.clone();
            let call = tower_service::Service::call(&mut app, request);
            async move {
                let response = call.await;
                drop(busy);
                response
            }
        },
    );
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEADER_BUFFER)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service);
    if let Err(e) = watcher.watch(conn).await {
        if e.is_timeout() {
            refused("http_header_timeout", remote);
        } else {
            tracing::debug!(%remote, error = %e, "HTTP connection ended with an error");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_caps_all_connections_and_each_peer() {
        let gate = Gate::new(3, 2);
        let a: IpAddr = [127, 0, 0, 2].into();
        let b: IpAddr = [127, 0, 0, 3].into();
        let a1 = gate.admit(a).unwrap();
        let _a2 = gate.admit(a).unwrap();
        assert_eq!(gate.admit(a).unwrap_err(), "http_peer_connection_limit");
        let _b1 = gate.admit(b).unwrap();
        assert_eq!(gate.admit(b).unwrap_err(), "http_connection_limit");
        assert_eq!(gate.open(), 3);
        drop(a1);
        assert_eq!(gate.open(), 2);
        let _b2 = gate.admit(b).unwrap();
        // An IPv4-mapped IPv6 address is the same peer.
        let mapped: IpAddr = "::ffff:127.0.0.3".parse().unwrap();
        drop(_b2);
        assert!(gate.admit(mapped).is_ok());
    }
}
