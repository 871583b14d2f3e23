//! `wsrx serve`'s HTTP limits (issue 20; README "Operations"): each field of
//! [`HttpLimits`] as a flag, its default the library's.

use std::time::Duration;

use wsrx_runtime::http::HttpLimits;

use super::resend::seconds;

/// The HTTP server's limits.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct HttpLimitArgs {
    /// Largest request body in bytes (413 beyond; default 4194304).
    #[arg(long, value_name = "BYTES")]
    max_body: Option<usize>,
    /// Requests processed at once (503 beyond; default 256).
    #[arg(long, value_name = "N")]
    max_concurrency: Option<usize>,
    /// Longest time a request body may take in all (408 beyond; default 30).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    body_timeout: Option<Duration>,
    /// Longest time a request head may take, also while a kept-alive connection waits
    /// for its next request (the connection is closed; default 10).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    header_read_timeout: Option<Duration>,
    /// A connection on which no byte arrived for this long while no request is in
    /// progress is closed (default 5).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    keep_alive_timeout: Option<Duration>,
    /// Body-rate floor in bytes per second (0: none): after --body-rate-grace, a body
    /// slower on average gets 408 (default 1024).
    #[arg(long, value_name = "BYTES_PER_SEC")]
    min_body_rate: Option<u64>,
    /// How long a body may take before the rate floor applies (default 5).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    body_rate_grace: Option<Duration>,
    /// Connections open at once in all; further ones get 503 and are closed (default
    /// 1024, lowered to the descriptor limit minus 128).
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Connections open at once from one peer address (503 beyond; default 128).
    #[arg(long, value_name = "N")]
    max_connections_per_peer: Option<usize>,
    /// Bytes of request bodies buffered at once over all connections (503 beyond;
    /// default 67108864).
    #[arg(long, value_name = "BYTES")]
    max_buffered_body: Option<usize>,
    /// Longest time a TLS handshake may take (default 10).
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    tls_handshake_timeout: Option<Duration>,
}

impl HttpLimitArgs {
    /// The limits: the defaults with every flag given applied.
    pub(crate) fn limits(&self) -> HttpLimits {
        let d = HttpLimits::default();
        HttpLimits {
            max_body: self.max_body.unwrap_or(d.max_body),
            max_concurrency: self.max_concurrency.unwrap_or(d.max_concurrency),
            body_timeout: self.body_timeout.unwrap_or(d.body_timeout),
            header_read_timeout: self.header_read_timeout.unwrap_or(d.header_read_timeout),
            keep_alive_timeout: self.keep_alive_timeout.unwrap_or(d.keep_alive_timeout),
            min_body_rate: self.min_body_rate.unwrap_or(d.min_body_rate),
            body_rate_grace: self.body_rate_grace.unwrap_or(d.body_rate_grace),
            max_connections: self.max_connections.unwrap_or(d.max_connections),
            max_connections_per_peer: self
                .max_connections_per_peer
                .unwrap_or(d.max_connections_per_peer),
            max_buffered_body: self.max_buffered_body.unwrap_or(d.max_buffered_body),
            tls_handshake_timeout: self
                .tls_handshake_timeout
                .unwrap_or(d.tls_handshake_timeout),
        }
    }
}
