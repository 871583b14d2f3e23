//! The limits of the HTTP server (issue 20, threat model T38–T41): what one connection,
//! one peer address and all connections together may hold, and for how long.
//!
//! Memory held by connections is bounded by
//! `max_connections × (max_header_buffer + task overhead) + max_buffered_body`
//! whatever the number of connections an attacker opens: beyond `max_connections` (or
//! `max_connections_per_peer` from one address) a connection is answered `503` and
//! closed; a request body is kept only while the bytes of all partial bodies fit in
//! `max_buffered_body` (`503` beyond).

use std::time::Duration;

/// Largest buffer hyper keeps for one connection's request head (its read buffer).
/// hyper's own default is ~400 KiB; a SOAP request head is a few hundred bytes.
pub const MAX_HEADER_BUFFER: usize = 64 * 1024;

/// Descriptors kept free beside the connections (store, listener, metrics, logs, the
/// connections being answered `503`): the connection cap is lowered to the process's
/// descriptor limit minus this, so accepting never runs the process out of descriptors.
pub const DESCRIPTOR_RESERVE: usize = 128;

/// Connections answered `503` at once; further ones beyond the caps are closed at once.
pub const MAX_REFUSING: usize = 64;

/// Limits of the HTTP server; every one has a `wsrx serve` flag.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Largest request body accepted (413 beyond).
    pub max_body: usize,
    /// Requests processed at once (503 beyond).
    pub max_concurrency: usize,
    /// Longest time a request body may take to arrive in all (408 and the connection
    /// closed beyond).
    pub body_timeout: Duration,
    /// Longest time a request head may take to arrive, counted from the moment the
    /// server waits for it (hyper's header-read timeout; the connection is closed).
    pub header_read_timeout: Duration,
    /// How long a connection may sit idle between requests (or before its first one)
    /// without a byte arriving before the server closes it.
    pub keep_alive_timeout: Duration,
    /// Body-rate floor in bytes per second (0: none): after `body_rate_grace`, a body
    /// must have arrived at this average rate so far, or it gets 408 and the connection
    /// is closed (slowloris).
    pub min_body_rate: u64,
    /// The time a body may take before the rate floor applies.
    pub body_rate_grace: Duration,
    /// Connections open at once, in all (503 and closed beyond). Lowered at start to the
    /// process's descriptor limit minus [`DESCRIPTOR_RESERVE`].
    pub max_connections: usize,
    /// Connections open at once from one peer address (503 and closed beyond).
    pub max_connections_per_peer: usize,
    /// Bytes of request bodies buffered at once over all connections (503 and closed
    /// beyond), so memory stays flat however many connections send partial bodies.
    pub max_buffered_body: usize,
    /// Longest time a TLS handshake may take (the connection is dropped beyond).
    pub tls_handshake_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body: 4 * 1024 * 1024,
            max_concurrency: 256,
            body_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(5),
            min_body_rate: 1024,
            body_rate_grace: Duration::from_secs(5),
            max_connections: 1024,
            max_connections_per_peer: 128,
            max_buffered_body: 64 * 1024 * 1024,
            tls_handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// The soft limit on open descriptors of this process (`/proc/self/limits`, Linux);
/// `None` where it cannot be read or is unlimited.
pub fn descriptor_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_descriptor_limit(&text)
}

fn parse_descriptor_limit(text: &str) -> Option<usize> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    soft.parse().ok()
}

/// The connection cap actually applied: `configured`, lowered so that the connections
/// plus [`DESCRIPTOR_RESERVE`] fit in the descriptor limit `fds` (at least 1).
pub fn effective_connection_cap(configured: usize, fds: Option<usize>) -> usize {
    let cap = match fds {
        Some(fds) => configured.min(fds.saturating_sub(DESCRIPTOR_RESERVE)),
        None => configured,
    };
    cap.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_descriptor_limit_is_read_from_proc_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max cpu time              unlimited            unlimited            seconds   \n\
                    Max open files            1024                 524288               files     \n";
        assert_eq!(parse_descriptor_limit(text), Some(1024));
        assert_eq!(
            parse_descriptor_limit("Max open files  unlimited unlimited files\n"),
            None
        );
        assert_eq!(parse_descriptor_limit("nothing"), None);
    }

    #[test]
    fn the_connection_cap_leaves_the_reserve_free() {
        assert_eq!(
            effective_connection_cap(1024, Some(1024)),
            1024 - DESCRIPTOR_RESERVE
        );
        assert_eq!(effective_connection_cap(1024, Some(20_000)), 1024);
        assert_eq!(effective_connection_cap(1024, None), 1024);
        assert_eq!(effective_connection_cap(1024, Some(10)), 1);
    }
}
