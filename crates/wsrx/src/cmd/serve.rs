//! `wsrx serve`: the RM destination with the echo service, until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use wsrx_runtime::echo::EchoService;
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::server::{Server, ServerConfig};

use super::rm_common::{Common, ServerTlsArgs, UserArgs, open_store};

/// `wsrx serve [--listen ADDR] (--users FILE | --sct-id ID --sct-secret B64 | --x509-trust PEM) …`
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
    /// The peer stack's profile: `wsrx` (default: strict), `cxf`, `metro`, `wcf` or
    /// `gsoap`. With `cxf` or `gsoap`, a CreateSequence without an STR that a security
    /// context signed is bound to that context (those stacks never write the STR); strict
    /// refuses it (BindingRequired). docs/sequence-binding.md has the rule.
    #[arg(long, value_name = "NAME", default_value = "wsrx")]
    peer: String,
    /// Inbound sequences open at once; a CreateSequence beyond it is refused
    /// (wsrm:CreateSequenceRefused).
    #[arg(long, default_value_t = 128)]
    max_sequences: usize,
    /// Signatures remembered for replay detection (default 100000). When it is full of
    /// live entries, new messages are refused (SOAP Receiver fault) until entries age out.
    #[arg(long, value_name = "N")]
    replay_capacity: Option<usize>,
    /// End an inbound sequence after this many seconds without a message on it (default
    /// 600; fractions allowed). Its source then holds what was not acknowledged.
    #[arg(long, value_name = "SECS", value_parser = super::resend::seconds)]
    inactivity_timeout: Option<std::time::Duration>,
    /// Serve Prometheus metrics at `http://ADDR/metrics` (open sequences, deliveries,
    /// duplicates, acknowledgement latency, token time to expiry, refusals).
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
    /// The receiving application's log: one JSON line per accepted message
    /// (`{"sequence","number","action","text","bound_to","redelivered"}`), fsynced
    /// before the message leaves the durable inbox; redeliveries already in it are not
    /// appended again, so it shows every message exactly once.
    #[arg(long, value_name = "PATH")]
    delivery_log: Option<std::path::PathBuf>,
    #[command(flatten)]
    forward: super::forward::ForwardArgs,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    tls: ServerTlsArgs,
    #[command(flatten)]
    users: UserArgs,
    /// Run the WS-Trust token service with the X.509 symmetric bootstrap, this certificate
    /// (PEM) being the service's identity: a client encrypts its request to it (any client
    /// that has the certificate obtains a context: the requester is anonymous, as WCF's
    /// AnonymousForCertificate). May be the TLS certificate. Needs --x509-key.
    #[arg(long, value_name = "PEM", requires = "x509_key")]
    x509_cert: Option<std::path::PathBuf>,
    /// The RSA private key of --x509-cert (PKCS#8 PEM).
    #[arg(long, value_name = "PEM", requires = "x509_cert")]
    x509_key: Option<std::path::PathBuf>,
    /// Run the WS-Trust token service for clients that sign their request with an X.509
    /// certificate issued by one of these CAs (PEM; repeatable, bundles allowed).
    #[arg(long = "x509-trust", value_name = "PEM")]
    x509_trust: Vec<std::path::PathBuf>,
}

/// The token service's X.509 identity from `--x509-cert/--x509-key`.
fn x509_service(args: &Args) -> anyhow::Result<Option<wsrx_sc::issuer::X509Service>> {
    let (Some(cert), Some(key)) = (&args.x509_cert, &args.x509_key) else {
        return Ok(None);
    };
    let cert_pem =
        std::fs::read_to_string(cert).with_context(|| format!("cannot read {}", cert.display()))?;
    let key_pem = zeroize::Zeroizing::new(
        std::fs::read_to_string(key).with_context(|| format!("cannot read {}", key.display()))?,
    );
    let certificate = wsrx_security::Certificate::from_pem(&cert_pem)
        .with_context(|| format!("{} is not an RSA certificate", cert.display()))?;
    let private = wsrx_crypto::RsaPrivateKey::from_pkcs8_pem(&key_pem)
        .with_context(|| format!("{} is not a PKCS#8 RSA key", key.display()))?;
    let credential = wsrx_security::X509Credential::new(certificate, private)
        .with_context(|| format!("{} is not the key of {}", key.display(), cert.display()))?;
    Ok(Some(wsrx_sc::issuer::X509Service {
        credential: Arc::new(credential),
        bootstrap: wsrx_sc::X509Bootstrap::default(),
    }))
}

/// What `serve` says when nothing could authenticate a client.
const NO_AUTHENTICATION: &str = "wsrx serve authenticates every client, and none could be: \
give at least one of
  --users FILE                     WS-Trust token service for the users of FILE (name:password lines, mode 0600)
  --user NAME:PASSWORD             the same for one user given on the command line (demos: it shows in ps)
  --sct-id ID --sct-secret BASE64  a security context token agreed out of band (repeatable, one per peer)
  --x509-trust CA.pem              WS-Trust token service for clients with certificates issued by CA.pem
  --x509-cert PEM --x509-key PEM   WS-Trust token service with the X.509 symmetric bootstrap (this certificate)";

/// The CA certificates of `--x509-trust` files (each may hold several PEM blocks).
fn x509_trust(files: &[std::path::PathBuf]) -> anyhow::Result<Option<wsrx_security::TrustStore>> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut trust = wsrx_security::TrustStore::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read --x509-trust {}", file.display()))?;
        let end = "-----END CERTIFICATE-----";
        let mut count = 0;
        for block in text.split_inclusive(end).filter(|b| b.contains(end)) {
            let cert =
                wsrx_security::Certificate::from_pem(block.trim_start()).with_context(|| {
                    format!("{}: certificate {} is not valid", file.display(), count + 1)
                })?;
            trust.add(cert).with_context(|| {
                format!("{}: certificate {} is not a CA", file.display(), count + 1)
            })?;
            count += 1;
        }
        anyhow::ensure!(count > 0, "{} holds no PEM certificate", file.display());
    }
    Ok(Some(trust))
}

/// The pre-established SCTs (one per peer) and, with users, the WS-Trust token service
/// (UsernameToken bootstrap: `PasswordText` only over HTTPS, `PasswordDigest` over both).
fn token_providers(args: &Args) -> anyhow::Result<wsrx_runtime::token::Combined> {
    use wsrx_runtime::token::TokenProvider;
    let mut providers: Vec<Arc<dyn TokenProvider>> = Vec::new();
    for t in args.common.tokens()? {
        providers.push(Arc::new(t));
    }
    let x509 = x509_service(args)?;
    let users = args.users.load()?;
    if users.is_some() || x509.is_some() {
        let x509_name = x509
            .as_ref()
            .map(|x| x.credential.certificate().subject().to_owned());
        let users = users.unwrap_or_default();
        let count = users.len();
        let mut how = Vec::new();
        if count > 0 {
            how.push(format!(
                "UsernameToken bootstrap over HTTPS ({count} users)"
            ));
        }
        if let Some(subject) = x509_name {
            how.push(format!("X.509 symmetric bootstrap ({subject})"));
        }
        let issuer = wsrx_sc::Issuer::new(
            wsrx_sc::IssuerConfig {
                x509,
                ..wsrx_sc::IssuerConfig::default()
            },
            wsrx_sc::auth::UsernameAuthenticator::new(
                users,
                wsrx_sc::auth::UsernameConfig::default(),
            ),
            wsrx_crypto::OsRandom,
        );
        providers.push(Arc::new(wsrx_runtime::trust::IssuerProvider::new(
            issuer,
            format!("WS-Trust token service: {}", how.join(", ")),
        )));
    }
    if let Some(trust) = x509_trust(&args.x509_trust)? {
        let count = trust.cas().len();
        let issuer = wsrx_sc::Issuer::new(
            wsrx_sc::IssuerConfig::default(),
            wsrx_sc::X509Authenticator::new(trust, wsrx_sc::X509AuthenticatorConfig::default()),
            wsrx_crypto::OsRandom,
        );
        providers.push(Arc::new(wsrx_runtime::trust::IssuerProvider::new(
            issuer,
            format!("WS-Trust token service, X.509 bootstrap ({count} trusted CAs)"),
        )));
    }
    anyhow::ensure!(!providers.is_empty(), "{NO_AUTHENTICATION}");
    Ok(wsrx_runtime::token::Combined::new(providers))
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<ExitCode> {
    // The server answers in the SOAP version of each request; --soap only validates.
    super::rm_common::soap_version(&args.common.soap)?;
    let peer = wsrx_runtime::peer::PeerProfile::from_name(&args.peer).with_context(|| {
        format!(
            "--peer must be wsrx, cxf, metro, wcf or gsoap, not {}",
            args.peer
        )
    })?;
    // Who may connect, before any state is made: a refusal creates nothing.
    let tokens = Arc::new(token_providers(&args)?);
    let persistence = open_store(&args.common, "serve", &args.listen.to_string())?;
    let tls = args.tls.load()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let security = wsrx_runtime::token::TokenProvider::describe(tokens.as_ref());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    if let Some(metrics_addr) = args.metrics {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(metrics_addr)
            .install()
            .with_context(|| format!("cannot serve metrics on {metrics_addr}"))?;
        wsrx_runtime::metrics::describe();
        eprintln!("wsrx serve: metrics on http://{metrics_addr}/metrics");
    }
    let mut config = ServerConfig {
        endpoint: format!("{scheme}://{addr}/"),
        ..ServerConfig::default()
    };
    config.destination.max_open_sequences = args.max_sequences;
    peer.apply_to_destination(&mut config.destination);
    if peer != wsrx_runtime::peer::PeerProfile::Wsrx {
        eprintln!("wsrx serve: {}", peer.describe());
    }
    if let Some(n) = args.replay_capacity {
        config.replay_capacity = n.max(1);
    }
    if let Some(d) = args.inactivity_timeout {
        config.destination.inactivity_timeout = d;
    }
    if args.allow_unbound_sequences {
        config.destination.require_binding = false;
        eprintln!(
            "wsrx serve: WARNING: sequences without an STR are accepted and are not bound to a token"
        );
    }
    let gateway = match args.forward.config()? {
        Some(c) => Some(wsrx_runtime::gateway::Gateway::new(c, persistence.clone())?),
        None => None,
    };
    let echo = match &args.delivery_log {
        Some(path) => EchoService::with_log(path)
            .with_context(|| format!("cannot open the delivery log {}", path.display()))?,
        None => EchoService::new(),
    };
    let handler: Arc<dyn wsrx_runtime::Handler> = match &gateway {
        Some(g) => Arc::new(g.clone()),
        None => Arc::new(echo.clone()),
    };
    let server = Server::start(config, persistence, tokens, handler, None).await?;
    let serving = match &tls {
        Some(tls) => http::serve_tls_on(listener, server.clone(), &HttpLimits::default(), tls)?,
        None => http::serve_on(listener, server.clone(), &HttpLimits::default())?,
    };
    let service = match &args.forward.forward {
        Some(url) => format!("gateway to {url}"),
        None => "echo service urn:example:echo".to_owned(),
    };
    println!("wsrx serve: listening on {scheme}://{addr}/ ({service}; Ctrl-C stops)");
    // On stderr: scripts read the one line above from stdout and may close it.
    eprintln!("wsrx serve: security contexts: {security}");
    if tls
        .as_ref()
        .is_some_and(|t| t.requires_client_certificate())
    {
        eprintln!("wsrx serve: clients must present a certificate (mutual TLS)");
    }
    if tls.is_none() && (!args.users.user.is_empty() || args.users.users.is_some()) {
        eprintln!(
            "wsrx serve: plain HTTP: the UsernameToken bootstrap is refused (its key material would cross in clear); use --tls-cert, or --x509-cert/--x509-key for the X.509 bootstrap"
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    println!("wsrx serve: shutting down");
    server.stop();
    match &gateway {
        // Hand-offs in progress stop (their messages are handed over again at the next
        // start), so requests waiting for them are not waited for long.
        Some(g) => {
            g.stop();
            let grace = std::time::Duration::from_secs(5);
            if tokio::time::timeout(grace, serving.shutdown())
                .await
                .is_err()
            {
                eprintln!("wsrx serve: hand-offs still in progress are resumed at the next start");
            }
        }
        None => serving.shutdown().await?,
    }
    println!("wsrx serve: {} messages delivered", echo.deliveries().len());
    Ok(ExitCode::SUCCESS)
}
