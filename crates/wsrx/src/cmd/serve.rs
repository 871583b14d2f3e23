//! `wsrx serve`: the RM destination with the echo service, until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use wsrx_runtime::echo::EchoService;
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::server::{Server, ServerConfig};

use super::rm_common::{Common, open_store, token};

/// `wsrx serve --listen ADDR --store PATH --keyring FILE --sct-id ID --sct-secret B64`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Also accept sequences whose CreateSequence carries no STR to an SCT (stock gSOAP
    /// cannot send one). Signed messages are still verified, but such a sequence is not
    /// bound to a token, so any sender may use it. Off by default (WS-RM 1.2 §5, as WCF).
    #[arg(long)]
    allow_unbound_sequences: bool,
    #[command(flatten)]
    common: Common,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<ExitCode> {
    // The server answers in the SOAP version of each request; --soap only validates.
    super::rm_common::soap_version(&args.common.soap)?;
    let persistence = open_store(&args.common.store, &args.common.keyring)?;
    let tokens = Arc::new(token(&args.common.sct_id, &args.common.sct_secret)?);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut config = ServerConfig {
        endpoint: format!("http://{addr}/"),
        ..ServerConfig::default()
    };
    if args.allow_unbound_sequences {
        config.destination.require_binding = false;
        eprintln!(
            "wsrx serve: WARNING: sequences without an STR are accepted and are not bound to a token"
        );
    }
    let echo = EchoService::new();
    let server = Server::start(config, persistence, tokens, Arc::new(echo.clone()), None).await?;
    let serving = http::serve_on(listener, server.clone(), &HttpLimits::default())?;
    println!(
        "wsrx serve: listening on http://{addr}/ (echo service urn:example:echo; Ctrl-C stops)"
    );
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    println!("wsrx serve: shutting down");
    server.stop();
    serving.shutdown().await?;
    println!("wsrx serve: {} messages delivered", echo.deliveries().len());
    Ok(ExitCode::SUCCESS)
}
