//! `wsrx serve`: the RM destination with the echo service, until Ctrl-C or SIGTERM
//! (both drain gracefully), or until a store commit fails (exit 75).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use wsrx_runtime::echo::EchoService;
use wsrx_runtime::http;
use wsrx_runtime::sequence_security::SequenceSecurity;
use wsrx_runtime::server::{Server, ServerConfig};

use super::rm_common::{Common, ServerTlsArgs, UserArgs, open_store_at};

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
    /// What protects inbound sequences: `token` (each bound to a security context token),
    /// `none` (also plain WS-RM sequences, unsigned, bound to nothing; the same as
    /// --allow-unbound-sequences) or `tls-bound` (also sequences without a token, but only
    /// over HTTPS: wsrmp:SequenceTransportSecurity; needs --tls-cert). Default: what the
    /// --wsdl's policy says (no WS-SecurityPolicy binding: `none`;
    /// wsrmp:SequenceTransportSecurity: `tls-bound`), else `token`.
    #[arg(long, value_name = "MODE")]
    security: Option<String>,
    /// The peer stack's profile: `wsrx` (default: strict), `cxf`, `metro`, `wcf` or
    /// `gsoap`. With `cxf` or `gsoap`, a CreateSequence without an STR that a security
    /// context signed is bound to that context (those stacks never write the STR); strict
    /// refuses it (BindingRequired). docs/sequence-binding.md has the rule. Default: the
    /// profile's stack with --profile, else `wsrx`.
    #[arg(long, value_name = "NAME")]
    peer: Option<String>,
    /// Inbound sequences open at once; a CreateSequence beyond it is refused
    /// (wsrm:CreateSequenceRefused).
    #[arg(long, default_value_t = 128)]
    max_sequences: usize,
    /// Inbound sequences bound to one security context open at once; its CreateSequence
    /// beyond it is refused (CreateSequenceRefused, netrm:ConnectionLimitReached, Receiver,
    /// a Reason naming open_sequences_per_identity), other contexts' are not.
    #[arg(long, value_name = "N", default_value_t = 32)]
    max_sequences_per_identity: usize,
    /// Messages per sequence accepted and not yet handed over (to the echo service, or
    /// to the --forward backend); beyond it new messages are dropped unacknowledged and
    /// the source resends them: a slow backend slows the acknowledgements down and
    /// memory stays bounded (back-pressure).
    #[arg(long, value_name = "N", default_value_t = wsrx_runtime::server::DEFAULT_DELIVERY_BACKLOG)]
    max_backlog: usize,
    /// Messages the sequences of one security context keep for delivery at once (held
    /// for order, or with the backend and not finished); a new one beyond it is refused
    /// (SOAP Receiver fault naming pending_deliveries_per_identity: the source resends
    /// it later), other contexts' are not.
    #[arg(long, value_name = "N", default_value_t = wsrx_runtime::server::DEFAULT_PENDING_PER_IDENTITY)]
    max_pending_per_identity: usize,
    /// The same over all sequences (Receiver fault naming pending_deliveries_total).
    #[arg(long, value_name = "N", default_value_t = wsrx_runtime::server::DEFAULT_PENDING_TOTAL)]
    max_pending: usize,
    /// Signatures remembered for replay detection in all (default 500000). When it is
    /// full of live entries, new signed messages are refused (SOAP Receiver fault naming
    /// the quota, retryable) until entries age out.
    #[arg(long, value_name = "N")]
    replay_capacity: Option<usize>,
    /// Signatures remembered per signing identity (default 30000: 50 messages a second
    /// over the 600 s window). An identity over it is refused (Receiver fault naming
    /// the quota); the others are not.
    #[arg(long, value_name = "N")]
    replay_per_identity: Option<usize>,
    /// Maximum age of a signed message: Created older than this plus --clock-skew is
    /// refused (wsse:MessageExpired) whatever its Expires (default 300; fractions allowed).
    #[arg(long, value_name = "SECS", value_parser = super::resend::seconds)]
    max_message_age: Option<std::time::Duration>,
    /// Tolerated clock difference with senders (default 300; fractions allowed).
    #[arg(long, value_name = "SECS", value_parser = super::resend::seconds)]
    clock_skew: Option<std::time::Duration>,
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
    /// This node's name among the nodes sharing a PostgreSQL store (default: host name
    /// and process id). Two live nodes with one id are refused.
    #[arg(long, value_name = "ID")]
    node_id: Option<String>,
    #[command(flatten)]
    forward: super::forward::ForwardArgs,
    #[command(flatten)]
    admin: super::admin::AdminArgs,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    http: super::http_args::HttpLimitArgs,
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
    /// Configure the message protection from this WSDL's effective WS-Policy (see --port,
    /// --operation) and publish it at `GET <endpoint>?wsdl`; without it the policy wsrx
    /// enforces by default is published there. Credentials still come from the options.
    #[command(flatten)]
    wsdl: super::wsdl::WsdlArgs,
    /// A bundled policy document in place of --wsdl: `default`, `wcf-ws2007`, `wcf-wshttp`,
    /// `cxf` or `gsoap` (see `wsrx send --help`); it selects the peer profile of its stack
    /// unless --peer is given.
    #[arg(long, value_name = "NAME", conflicts_with = "wsdl")]
    profile: Option<String>,
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
/// `from`: the WSDL the service runs from, whose policy the token service's answers on an
/// established context follow ([`wsrx_runtime::effective::Effective::token_service_signing`]).
fn token_providers(
    args: &Args,
    from: Option<&wsrx_runtime::effective::Effective>,
) -> anyhow::Result<wsrx_runtime::token::Combined> {
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
        let mut config = wsrx_sc::IssuerConfig {
            x509,
            ..wsrx_sc::IssuerConfig::default()
        };
        if let Some(e) = from {
            config.sign = e.token_service_signing(config.sign);
        }
        let issuer = wsrx_sc::Issuer::new(
            config,
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
        let mut config = wsrx_sc::IssuerConfig::default();
        if let Some(e) = from {
            config.sign = e.token_service_signing(config.sign);
        }
        let issuer = wsrx_sc::Issuer::new(
            config,
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
    let peer = super::rm_common::peer_profile(args.peer.as_deref(), args.profile.as_deref())?;
    // From a WSDL: the policy every message is checked and built by, published as given.
    let loaded = args
        .wsdl
        .load(&wsrx_runtime::tls::ClientTls::default())
        .await?;
    // What protects the sequences: the option, else the WSDL's policy (plain WS-RM: none;
    // wsrmp:SequenceTransportSecurity: tls-bound), else a token.
    let sequence_security = match &args.security {
        Some(name) => SequenceSecurity::from_name(name)
            .with_context(|| format!("--security must be token, none or tls-bound, not {name}"))?,
        None => loaded
            .as_ref()
            .map(|l| l.effective.security)
            .unwrap_or_default(),
    };
    let sequence_security = match sequence_security {
        SequenceSecurity::Token if args.allow_unbound_sequences => SequenceSecurity::None,
        s => s,
    };
    anyhow::ensure!(
        sequence_security != SequenceSecurity::TlsBound || args.tls.tls_cert.is_some(),
        "--security tls-bound needs HTTPS (--tls-cert/--tls-key)"
    );
    // Who may connect, before any state is made: a refusal creates nothing.
    let tokens = Arc::new(token_providers(
        &args,
        loaded.as_ref().map(|l| &l.effective),
    )?);
    let admin = args.admin.token()?;
    let node_id = args
        .node_id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", super::backend::hostname(), std::process::id()));
    anyhow::ensure!(!node_id.trim().is_empty(), "--node-id is empty");
    let (persistence, store_path) = open_store_at(
        &args.common,
        "serve",
        &args.listen.to_string(),
        Some(&node_id),
    )?;
    let tls = args.tls.load()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let security = wsrx_runtime::token::TokenProvider::describe(tokens.as_ref());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // The recorder: for --metrics (its own listener) and for --admin (the console's charts
    // read /admin/metrics), one for both.
    let metrics_text = if args.metrics.is_some() || admin.is_some() {
        Some(super::admin::install_metrics(args.metrics)?)
    } else {
        None
    };
    let mut config = ServerConfig {
        endpoint: format!("{scheme}://{addr}/"),
        ..ServerConfig::default()
    };
    // From a bundled profile: the same, its WSDL published at this address.
    if let Some(name) = &args.profile {
        let e = wsrx_runtime::profiles::effective(name)?;
        eprintln!("{}", super::wsdl::describe("serve", &e));
        e.configure_server_policies(&mut config.inbound);
        config.wsdl = wsrx_runtime::profiles::bundled(name).map(str::to_owned);
    }
    if let Some(loaded) = loaded {
        eprintln!("{}", super::wsdl::describe("serve", &loaded.effective));
        loaded
            .effective
            .configure_server_policies(&mut config.inbound);
        config.wsdl = Some(loaded.text);
    }
    config.destination.max_open_sequences = args.max_sequences;
    config.destination.max_open_sequences_per_identity = args.max_sequences_per_identity;
    config.destination.delivery_backlog = args.max_backlog.max(1);
    config.destination.max_pending_per_identity = args.max_pending_per_identity.max(1);
    config.destination.max_pending = args.max_pending.max(1);
    peer.apply_to_destination(&mut config.destination);
    if peer != wsrx_runtime::peer::PeerProfile::Wsrx {
        eprintln!("wsrx serve: {}", peer.describe());
    }
    if let Some(n) = args.replay_capacity {
        config.replay_limits.total = n.max(1);
    }
    if let Some(n) = args.replay_per_identity {
        config.replay_limits.per_identity = n.max(1);
    }
    // The replay cache outlives a restart (even SIGKILL) through a journal beside the store.
    config.replay_journal = store_path;
    if args.max_message_age.is_some() || args.clock_skew.is_some() {
        let mut verify = config.inbound.verifier.config().clone();
        if let Some(d) = args.max_message_age {
            verify.max_age = d;
        }
        if let Some(d) = args.clock_skew {
            verify.clock_skew = d;
        }
        config.inbound.verifier = config.inbound.verifier.clone().with_config(verify);
    }
    if let Some(d) = args.inactivity_timeout {
        config.destination.inactivity_timeout = d;
    }
    if sequence_security != SequenceSecurity::Token {
        config.security = sequence_security;
        sequence_security.apply_to_destination(&mut config.destination);
        eprintln!(
            "wsrx serve: WARNING: --security {}: sequences without a security context token are \
             accepted{}, and are not bound to a token",
            sequence_security.name(),
            if sequence_security == SequenceSecurity::TlsBound {
                " over HTTPS only"
            } else {
                ""
            }
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
    let watched = persistence.clone();
    let provider: Arc<dyn wsrx_runtime::token::TokenProvider> = tokens.clone();
    let server = Server::start(config, persistence, tokens, handler, None).await?;
    let limits = args.http.limits();
    let _admin = match admin {
        Some((addr, token)) => Some(
            super::admin::start(
                addr,
                token,
                watched.clone(),
                server.clone(),
                args.forward.config()?,
                provider,
                metrics_text.clone(),
            )
            .await?,
        ),
        None => None,
    };
    let serving = match &tls {
        Some(tls) => http::serve_tls_on(listener, server.clone(), &limits, tls)?,
        None => http::serve_on(listener, server.clone(), &limits)?,
    };
    let service = match &args.forward.forward {
        Some(url) => format!("gateway to {url}"),
        None => "echo service urn:example:echo".to_owned(),
    };
    println!("wsrx serve: listening on {scheme}://{addr}/ ({service}; Ctrl-C stops)");
    // On stderr: scripts read the one line above from stdout and may close it.
    eprintln!("wsrx serve: security contexts: {security}");
    eprintln!("wsrx serve: its WSDL and policy at {scheme}://{addr}/?wsdl");
    eprintln!(
        "wsrx serve: probes at {scheme}://{addr}/health (live) and {scheme}://{addr}/ready (started, store answering, not draining)"
    );
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
    // SIGINT (Ctrl-C) and SIGTERM (a service manager's stop) both drain: the listener
    // closes, requests in flight finish, the store's queued commits complete.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot wait for SIGTERM")?;
    let failed = tokio::select! {
        signal = tokio::signal::ctrl_c() => {
            signal.context("cannot wait for Ctrl-C")?;
            None
        }
        _ = term.recv() => None,
        why = store_failure(&watched) => Some(why),
    };
    if let Some(why) = &failed {
        // Requests meanwhile got 503 (nothing acknowledged that was not committed).
        eprintln!(
            "wsrx serve: a store commit failed ({why}); stopping, so that a restart \
             reloads the state from the store"
        );
    }
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
    // EX_TEMPFAIL: a service manager restarts the node once the store is back.
    Ok(failed.map_or(ExitCode::SUCCESS, |_| ExitCode::from(75)))
}

/// Returns once a commit of `persistence` has failed (checked every 200 ms; the failure
/// itself already stopped every acknowledgement).
async fn store_failure<B: wsrx_store::Backend>(
    persistence: &wsrx_runtime::persist::Persistence<B>,
) -> String {
    loop {
        if let Some(why) = persistence.failure() {
            return why;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
