//! `wsrx proxy --listen ADDR --to URL …`: the outbound sidecar (issue 22, item 2). An
//! application POSTs plain SOAP (or a bare body element) to ADDR; wsrx stores it and
//! sends it on one secured, reliable sequence to URL, answering 202 with the sequence
//! and number once stored (one-way) or the peer's response (request-reply);
//! `GET /status/<sequence>/<number>` says whether the peer acknowledged it. The
//! sequence stays open across restarts: the next start resumes it from the store and
//! sends what was not acknowledged.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use wsrx_rm::wire::WireProfile;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::error::RuntimeError;
use wsrx_runtime::proxy::{Proxy, ProxyConfig};

use super::resend;
use super::rm_common::{
    ClientTlsArgs, Common, X509BootstrapArgs, client_tokens_with, open_store, soap_version,
};

/// `wsrx proxy --listen ADDR --to URL [security options of send]`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where applications POST their messages (loopback).
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// The RM destination's URL.
    #[arg(long)]
    to: String,
    /// WS-RM version.
    #[arg(long, default_value = "1.1")]
    rm: String,
    /// A peer dialect, overriding --rm and --soap (as `wsrx send --profile`):
    /// `wcf-wshttp`, `wcf-ws2007` or `cxf`.
    #[arg(long)]
    profile: Option<String>,
    /// An action whose messages are requests: the proxy waits for the peer's response
    /// and returns it (repeatable; a request may also say `Wsrx-Request: true`).
    #[arg(long = "request-action", value_name = "URI")]
    request_actions: Vec<String>,
    /// How long a request waits for its response, in seconds.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = resend::seconds)]
    request_timeout: Duration,
    /// First retransmission interval in milliseconds (then exponential back-off).
    #[arg(long, value_name = "MS")]
    retransmit_ms: Option<u64>,
    /// Establish the SCT through the destination's WS-Trust token service with this
    /// UsernameToken user (over https), instead of --sct-id/--sct-secret.
    #[arg(long, requires = "password")]
    username: Option<String>,
    /// The password of --username.
    #[arg(long, requires = "username")]
    password: Option<String>,
    /// The token service's certificate (PEM): establish the SCT with the X.509
    /// symmetric bootstrap.
    #[arg(long, value_name = "PEM")]
    server_cert: Option<std::path::PathBuf>,
    /// The algorithm suite of the X.509 bootstrap.
    #[arg(long, value_name = "NAME", default_value = "Basic256")]
    suite: String,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    tls: ClientTlsArgs,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(proxy(args))
}

async fn proxy(args: Args) -> anyhow::Result<ExitCode> {
    let (profile, soap) = match args.profile.as_deref() {
        Some("wcf-wshttp") => (WireProfile::Rm10Wcf, wsrx_soap::SoapVersion::V12),
        Some("wcf-ws2007") => (WireProfile::Rm11, wsrx_soap::SoapVersion::V12),
        Some("cxf") => (WireProfile::Rm10Submission, wsrx_soap::SoapVersion::V11),
        Some(other) => {
            anyhow::bail!("--profile must be wcf-wshttp, wcf-ws2007 or cxf, not {other}")
        }
        None => {
            let profile = match args.rm.as_str() {
                "1.1" | "1.2" => WireProfile::Rm11,
                "1.0" => WireProfile::Rm10Wcf,
                other => anyhow::bail!("--rm must be 1.0 or 1.1, not {other}"),
            };
            (profile, soap_version(&args.common.soap)?)
        }
    };
    let mut config = ClientConfig::new(&args.to);
    config.soap = soap;
    config.profile = profile;
    if let Some(ms) = args.retransmit_ms {
        config.source.retransmission.base = Duration::from_millis(ms.max(1));
    }
    let persistence = open_store(&args.common, "proxy", &args.to, None)?;
    let tls = args.tls.load()?;
    config.tls = tls.clone();
    let suite = wsrx_security::AlgorithmSuite::from_name(&args.suite)
        .with_context(|| format!("--suite {} is not a WS-SP 1.2 algorithm suite", args.suite))?;
    let x509 = args.server_cert.as_ref().map(|cert| X509BootstrapArgs {
        server_cert: cert.clone(),
        suite,
        encrypt_signature: false,
        peer: wsrx_runtime::peer::PeerProfile::Wsrx,
    });
    let login = args.username.as_deref().zip(args.password.as_deref());
    let (tokens, _session) = client_tokens_with(
        &args.common,
        login,
        x509.as_ref(),
        None,
        &args.to,
        profile,
        soap,
        &tls,
        // No published policy to follow (the proxy has no --wsdl yet): the defaults.
        None,
    )?;
    if let Some((id, numbers)) = resend::held_to(&persistence, &args.to).await?.first() {
        eprintln!(
            "wsrx proxy: sequence {id} to {} failed with messages {numbers} undelivered; \
             `wsrx store resend {id}` sends them on a new sequence",
            args.to
        );
        return Ok(ExitCode::from(resend::UNDELIVERED));
    }
    let client = match Client::start(config, persistence, tokens, None).await {
        Ok(c) => c,
        Err(RuntimeError::Undelivered { undelivered }) => {
            eprintln!("wsrx proxy: {}", RuntimeError::Undelivered { undelivered });
            return Ok(ExitCode::from(resend::UNDELIVERED));
        }
        Err(e) => return Err(e.into()),
    };
    let proxy = Proxy::new(
        client.clone(),
        ProxyConfig {
            request_actions: args.request_actions.clone(),
            request_timeout: args.request_timeout,
        },
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "wsrx proxy: listening on http://{addr}/ for {} (Ctrl-C stops)",
        args.to
    );
    {
        let client = client.clone();
        tokio::spawn(async move {
            match client.created().await {
                Ok(id) => {
                    let n = client.highest_number().await;
                    eprintln!("wsrx proxy: sequence {id} (resumed at message {n})");
                }
                Err(e) => eprintln!("wsrx proxy: no sequence: {e}"),
            }
        });
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    proxy.serve(listener, shutdown).await?;
    println!("wsrx proxy: shutting down (the sequence stays open for the next start)");
    client.shutdown();
    Ok(ExitCode::SUCCESS)
}
