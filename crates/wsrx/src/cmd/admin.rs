//! `wsrx serve --admin ADDR --admin-token-file FILE`: the admin API
//! ([`wsrx_runtime::admin`]) beside the server, on its own listener. Off by default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use wsrx_runtime::admin::{Admin, MetricsText, read_token_file};
use wsrx_runtime::gateway::GatewayConfig;
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::server::Server;
use wsrx_runtime::token::TokenProvider;
use wsrx_store::AnyBackend;
use zeroize::Zeroizing;

/// The admin API's options.
#[derive(Debug, clap::Args)]
pub(crate) struct AdminArgs {
    /// Serve the admin API at `http://ADDR/admin/` (JSON; its OpenAPI 3.1 document at
    /// `/admin/openapi.json`): sequences (list, show, close, terminate), tokens (list,
    /// cancel), the gateway's dead letters (list, show, replay, purge), health, the
    /// audit trail. Off unless given; keep ADDR on loopback or an operators' network.
    #[arg(long, value_name = "ADDR", requires = "admin_token_file")]
    admin: Option<SocketAddr>,
    /// The admin API's bearer token: a file of mode 0600 holding one word of at least
    /// 16 characters.
    #[arg(long, value_name = "FILE", requires = "admin")]
    admin_token_file: Option<PathBuf>,
}

impl AdminArgs {
    /// The bearer token, read (and its file checked) before anything starts.
    pub(crate) fn token(&self) -> anyhow::Result<Option<(SocketAddr, Zeroizing<String>)>> {
        match (self.admin, &self.admin_token_file) {
            (Some(addr), Some(file)) => Ok(Some((addr, read_token_file(file)?))),
            _ => Ok(None),
        }
    }
}

/// Starts the admin API on `addr`; it runs until the process ends.
pub(crate) async fn start(
    addr: SocketAddr,
    token: Zeroizing<String>,
    persistence: Persistence<AnyBackend>,
    server: Server<AnyBackend>,
    gateway: Option<GatewayConfig>,
    tokens: Arc<dyn TokenProvider>,
    metrics: Option<MetricsText>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut admin = Admin::new(token, persistence)
        .with_server(server)
        .with_tokens(tokens);
    if let Some(m) = metrics {
        admin = admin.with_metrics(m);
    }
    if let Some(g) = gateway {
        admin = admin.with_gateway(g);
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (--admin)"))?;
    let (bound, task) = admin.serve(listener)?;
    eprintln!(
        "wsrx serve: admin API on http://{bound}/admin/ (bearer token; OpenAPI at /admin/openapi.json)"
    );
    eprintln!("wsrx serve: web console on http://{bound}/admin/console/");
    Ok(task)
}

/// Installs the Prometheus recorder (acknowledgement latency as a histogram), serving it
/// on `listen` when given (`--metrics`), and returns what renders its text for
/// `/admin/metrics`. Call once.
pub(crate) fn install_metrics(listen: Option<SocketAddr>) -> anyhow::Result<MetricsText> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(wsrx_runtime::metrics::ACK_LATENCY.to_owned()),
            wsrx_runtime::metrics::ACK_LATENCY_BUCKETS,
        )
        .context("the acknowledgement latency buckets")?;
    let handle = match listen {
        Some(addr) => {
            // `build` starts the upkeep task; the exporter serves the same handle.
            let (recorder, exporter) = builder
                .with_http_listener(addr)
                .build()
                .with_context(|| format!("cannot serve metrics on {addr}"))?;
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder)
                .map_err(|e| anyhow::anyhow!("the metrics recorder: {e}"))?;
            tokio::spawn(exporter);
            eprintln!("wsrx serve: metrics on http://{addr}/metrics");
            handle
        }
        None => {
            let handle = builder.install_recorder().context("the metrics recorder")?;
            let upkeep = handle.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    upkeep.run_upkeep();
                }
            });
            handle
        }
    };
    wsrx_runtime::metrics::describe();
    Ok(Arc::new(move || handle.render()))
}
