//! `wsrx send`: create a secured sequence, send N echo messages, close (1.1), terminate.
//!
//! Exit status: 0 when every message is acknowledged, as the store's acknowledgement
//! ranges show; 3 when the sequence ended before some were (the numbers and the reason
//! go to stderr; the messages stay in the store for `wsrx store resend`, or are resent at
//! once with `--on-undelivered resend --assurance at-least-once`); 2 on any other error.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use wsrx_rm::wire::WireProfile;
use wsrx_rm::{DeliveryAssurance, UndeliveredPolicy};
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo;
use wsrx_runtime::error::RuntimeError;

use super::resend::{self, undelivered_exit};
use super::rm_common::{
    ClientTlsArgs, Common, X509BootstrapArgs, client_tokens_with, open_store, soap_version,
};
use super::wsdl::WsdlArgs;

/// `wsrx send --to URL --count N [--rm 1.0|1.1] [--request-reply] …`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The RM destination's URL (default with --wsdl: the WSDL's soap:address).
    #[arg(long, required_unless_present = "wsdl")]
    to: Option<String>,
    /// How many messages.
    #[arg(long, default_value_t = 3)]
    count: u64,
    /// WS-RM version.
    #[arg(long, default_value = "1.1")]
    rm: String,
    /// Send Echo requests and wait for each response (default: one-way Notify messages).
    #[arg(long)]
    request_reply: bool,
    /// Offer a reverse sequence in CreateSequence (WS-RM duplex): responses then come
    /// back as messages of that sequence, acknowledged and bound to the same SCT.
    #[arg(long)]
    offer: bool,
    /// Run a listener at ADDR (e.g. 127.0.0.1:0) and make it the AcksTo (and, with
    /// --offer, the ReplyTo and the offered sequence's Endpoint): the server POSTs
    /// acknowledgements and responses there instead of answering on the HTTP response.
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// A bundled policy document (a WSDL, as --wsdl), overriding --rm and --soap: `default`
    /// (wsrx's own: WS-RM 1.1, SOAP 1.2, WS-A 1.0, WS-SC 1.3), `wcf-wshttp` (WCF
    /// wsHttpBinding: WS-RM 2005/02, SOAP 1.2, WS-A 1.0, WS-SC 2005/02), `wcf-ws2007`
    /// (ws2007HttpBinding: WS-RM 1.1, SOAP 1.2, WS-A 1.0, WS-SC 1.3) or `cxf` (WS-RM 2005/02,
    /// SOAP 1.1, WS-A 2004/08); each protects messages as wsrx does by default.
    #[arg(long, conflicts_with = "wsdl")]
    profile: Option<String>,
    /// The peer stack's profile: `wsrx` (default: strict, as the specs say), `cxf`,
    /// `metro`, `wcf` or `gsoap`. It decides only the departures that stack needs (to CXF:
    /// the STR without `UsesSequenceSTR`, which CXF cannot understand); the list is in
    /// docs/sequence-binding.md.
    #[arg(long, value_name = "NAME", default_value = "wsrx")]
    peer: String,
    /// What protects the sequence: `token` (default: a security context token from
    /// --sct-id, --username or --bootstrap x509; the sequence is bound to it and every
    /// message signed), `none` (plain WS-RM: nothing signed, bound to nothing) or
    /// `tls-bound` (no token, an https:// destination: wsrmp:SequenceTransportSecurity).
    #[arg(long, value_name = "MODE", default_value = "token")]
    security: String,
    /// First retransmission interval in milliseconds (then exponential back-off).
    #[arg(long, value_name = "MS")]
    retransmit_ms: Option<u64>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Leave the sequence open once every message is acknowledged (a later `wsrx send`
    /// with the same --store and --to continues it).
    #[arg(long)]
    no_terminate: bool,
    /// End the sequence when nothing is heard from the destination for this many seconds
    /// (default 600); its unacknowledged messages are then held as undelivered.
    #[arg(long, value_name = "SECS", value_parser = resend::seconds)]
    inactivity_timeout: Option<Duration>,
    /// The delivery assurance the messages need: exactly-once (default), at-least-once or
    /// at-most-once. It bounds --on-undelivered.
    #[arg(long, default_value = "exactly-once")]
    assurance: String,
    /// What to do with messages a sequence ends without delivering: `hold` (default:
    /// keep them in the store, exit 3, `wsrx store resend` sends them) or `resend` (send
    /// them on a new sequence at once; only with --assurance at-least-once, since a
    /// message the destination got but never acknowledged would come twice).
    #[arg(long, default_value = "hold")]
    on_undelivered: String,
    /// Show a progress bar instead of one line per message (default: when stderr is a
    /// terminal and --count is over 20).
    #[arg(long)]
    progress: bool,
    /// Establish the SCT through the destination's WS-Trust token service with this
    /// UsernameToken user, instead of a pre-established --sct-id/--sct-secret.
    #[arg(long, requires = "password")]
    username: Option<String>,
    /// The password of --username (for demos: it shows in the process list). Sent as
    /// PasswordText; the UsernameToken bootstrap needs an https:// destination (its key
    /// material would cross plain HTTP in clear).
    #[arg(long, requires = "username")]
    password: Option<String>,
    /// How to establish the SCT with the destination's token service: `x509` (the X.509
    /// symmetric bootstrap: the RST encrypted to --server-cert with a fresh key, over http or
    /// https) or `username` (--username/--password, over https).
    #[arg(long, value_name = "KIND")]
    bootstrap: Option<String>,
    /// The token service's certificate (PEM) for --bootstrap x509.
    #[arg(long, value_name = "PEM")]
    server_cert: Option<std::path::PathBuf>,
    /// The algorithm suite of the X.509 bootstrap (WS-SP 1.2 §6.1 name: Basic256 as Metro
    /// profiles use, Basic256Sha256 as CXF's; every suite signs with HMAC-SHA1). Default: the
    /// suite of the --wsdl's bootstrap policy, else Basic256.
    #[arg(long, value_name = "NAME")]
    suite: Option<String>,
    /// The WS-SecureConversation / WS-Trust version of the token exchange: `1.3` or
    /// `2005-02` (default: the one the --wsdl's policy names or implies; without --wsdl, 1.3
    /// with --rm 1.1 and 2005-02 with --rm 1.0, as WCF pairs them).
    #[arg(long, value_name = "VERSION")]
    sc: Option<String>,
    /// Encrypt the bootstrap RST's signature too (WS-SP `sp:EncryptSignature`; also when the
    /// --wsdl's bootstrap policy has it).
    #[arg(long)]
    encrypt_signature: bool,
    /// Keep the SCT at the end: by default `send` Cancels it (WS-SC 1.4 §6) once its sequence
    /// has terminated with every message acknowledged; never when the sequence stays open
    /// (--no-terminate) or messages are held for a resend, which need the token.
    #[arg(long)]
    no_cancel: bool,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    tls: ClientTlsArgs,
    #[command(flatten)]
    wsdl: WsdlArgs,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let limit = Duration::from_secs(args.timeout);
    rt.block_on(async move {
        tokio::time::timeout(limit, send(args))
            .await
            .context("timed out")?
    })
}

async fn send(mut args: Args) -> anyhow::Result<ExitCode> {
    // A WSDL (or a bundled profile, which is one) gives the address, the SOAP and WS-RM
    // versions and the protection.
    let wsdl = match args.profile.as_deref() {
        Some(name) => Some(wsrx_runtime::profiles::effective(name)?),
        None => args
            .wsdl
            .load(&args.tls.load()?)
            .await?
            .map(|l| l.effective),
    };
    if let Some(e) = wsdl.as_ref().filter(|_| args.profile.is_none()) {
        println!("{}", super::wsdl::describe("send", e));
        if args.to.is_none() {
            args.to = e.address.clone();
        }
    }
    let Some(to) = args.to.clone() else {
        anyhow::bail!("give --to URL: the WSDL names no soap:address");
    };
    let (profile, soap) = match args.profile.as_deref() {
        _ if wsdl.is_some() => wsdl
            .as_ref()
            .map_or((WireProfile::Rm11, wsrx_soap::SoapVersion::V12), |e| {
                (e.profile, e.soap)
            }),
        Some(other) => anyhow::bail!("no profile {other}"),
        None => {
            let profile = match args.rm.as_str() {
                "1.1" | "1.2" => WireProfile::Rm11,
                "1.0" => WireProfile::Rm10Wcf,
                other => anyhow::bail!("--rm must be 1.0 or 1.1, not {other}"),
            };
            (profile, soap_version(&args.common.soap)?)
        }
    };
    if let Some(name) = &args.profile {
        let sc = wsrx_runtime::pipeline::sc_version(profile);
        println!(
            "profile {name}: {} with {}, WS-SC {}, SOAP {}",
            profile.namespace(),
            profile.wsa_version().namespace(),
            sc.namespace(),
            if soap == wsrx_soap::SoapVersion::V11 {
                "1.1"
            } else {
                "1.2"
            }
        );
    }
    let peer = wsrx_runtime::peer::PeerProfile::from_name(&args.peer).with_context(|| {
        format!(
            "--peer must be wsrx, cxf, metro, wcf or gsoap, not {}",
            args.peer
        )
    })?;
    let security = wsrx_runtime::sequence_security::SequenceSecurity::from_name(&args.security)
        .with_context(|| {
            format!(
                "--security must be token, none or tls-bound, not {}",
                args.security
            )
        })?;
    let https = to
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    anyhow::ensure!(
        security != wsrx_runtime::sequence_security::SequenceSecurity::TlsBound || https,
        "--security tls-bound needs an https:// destination"
    );
    let mut config = ClientConfig::new(&to);
    config.soap = soap;
    config.profile = profile;
    config.security = security;
    peer.apply_to_source(&mut config.source);
    if peer != wsrx_runtime::peer::PeerProfile::Wsrx {
        println!("{}", peer.describe());
    }
    if let Some(e) = &wsdl {
        config.inbound.policy = e.policy.clone();
    }
    if let Some(ms) = args.retransmit_ms {
        config.source.retransmission.base = Duration::from_millis(ms.max(1));
    }
    if let Some(d) = args.inactivity_timeout {
        config.source.inactivity_timeout = d;
    }
    config.source.assurance = match args.assurance.as_str() {
        "exactly-once" => DeliveryAssurance::ExactlyOnce,
        "at-least-once" => DeliveryAssurance::AtLeastOnce,
        "at-most-once" => DeliveryAssurance::AtMostOnce,
        other => anyhow::bail!(
            "--assurance must be exactly-once, at-least-once or at-most-once, not {other}"
        ),
    };
    config.source.on_undelivered = match args.on_undelivered.as_str() {
        "hold" => UndeliveredPolicy::Hold,
        "resend" => UndeliveredPolicy::Resend,
        other => anyhow::bail!("--on-undelivered must be hold or resend, not {other}"),
    };
    anyhow::ensure!(
        config
            .source
            .on_undelivered
            .effective(config.source.assurance)
            == config.source.on_undelivered,
        "--on-undelivered resend needs --assurance at-least-once: with {} a resend could \
         deliver a message twice, so undelivered messages are held for the operator",
        args.assurance
    );
    config.offer = args.offer;
    config.listen = args.listen;
    let persistence = open_store(&args.common, "send", &to, None)?;
    let tls = args.tls.load()?;
    config.tls = tls.clone();
    let login = args.username.as_deref().zip(args.password.as_deref());
    // The X.509 bootstrap as the WSDL's sp:BootstrapPolicy describes it (WS-SP 1.2 §5.4.7),
    // where the options do not say.
    let from_wsdl = match wsdl.as_ref().and_then(|e| e.bootstrap) {
        Some(wsrx_runtime::effective::bootstrap::Bootstrap::X509 {
            suite,
            encrypt_signature,
        }) => Some((suite, encrypt_signature)),
        _ => None,
    };
    let x509 = match (args.bootstrap.as_deref(), &args.server_cert) {
        (Some("x509") | None, Some(cert)) => Some(X509BootstrapArgs {
            server_cert: cert.clone(),
            suite: match (&args.suite, from_wsdl) {
                (Some(name), _) => {
                    wsrx_security::AlgorithmSuite::from_name(name).with_context(|| {
                        format!("--suite {name} is not a WS-SP 1.2 algorithm suite")
                    })?
                }
                (None, Some((suite, _))) => suite,
                (None, None) => wsrx_security::AlgorithmSuite::Basic256,
            },
            encrypt_signature: args.encrypt_signature || from_wsdl.is_some_and(|(_, e)| e),
            peer,
        }),
        (Some("x509"), None) => anyhow::bail!("--bootstrap x509 needs --server-cert PEM"),
        (Some("username"), None) | (None, None) => None,
        (Some(other), _) => anyhow::bail!("--bootstrap must be x509 or username, not {other}"),
    };
    let dialect = match args.sc.as_deref() {
        None => wsdl.as_ref().and_then(|e| e.sc).map(|v| match v {
            wsrx_security::ScVersion::V200502 => wsrx_sc::Dialect::V200502,
            wsrx_security::ScVersion::V200512 => wsrx_sc::Dialect::V13,
        }),
        Some("1.3" | "1.4") => Some(wsrx_sc::Dialect::V13),
        Some("2005-02" | "2005/02") => Some(wsrx_sc::Dialect::V200502),
        Some(other) => anyhow::bail!("--sc must be 1.3 or 2005-02, not {other}"),
    };
    let (tokens, trust_session) = if !security.uses_token() {
        anyhow::ensure!(
            args.common.sct_id.is_empty() && login.is_none() && x509.is_none(),
            "--security {} runs the sequence without a security context: leave out \
             --sct-id, --username and --bootstrap",
            security.name()
        );
        eprintln!(
            "wsrx send: WARNING: --security {}: the sequence is bound to no security context \
             and nothing is signed",
            security.name()
        );
        let none: std::sync::Arc<dyn wsrx_runtime::token::TokenProvider> =
            std::sync::Arc::new(wsrx_runtime::token::Combined::new(Vec::new()));
        (none, None)
    } else {
        client_tokens_with(
            &args.common,
            login,
            x509.as_ref(),
            dialect,
            &to,
            profile,
            soap,
            &tls,
            wsdl.as_ref().map(|e| &e.policy),
        )?
    };
    let route = resend::Route {
        profile: Some(profile),
        soap,
        tls,
        retransmit: args
            .retransmit_ms
            .map(|ms| Duration::from_millis(ms.max(1))),
        no_terminate: args.no_terminate,
    };
    let resend_policy = config.source.on_undelivered;
    // Messages held by a failed sequence to this destination come first: a new sequence
    // started now would number (and send) them again.
    if let Some((id, numbers)) = resend::held_to(&persistence, &to).await?.first() {
        eprintln!(
            "wsrx: sequence {id} to {} failed with messages {numbers} undelivered; they are \
             held in the store: `wsrx store resend {id}` sends them on a new sequence",
            to
        );
        return Ok(ExitCode::from(resend::UNDELIVERED));
    }
    let client = match Client::start(config, persistence.clone(), tokens.clone(), None).await {
        Ok(c) => c,
        Err(RuntimeError::Undelivered { undelivered }) => {
            eprintln!("wsrx: {}", RuntimeError::Undelivered { undelivered });
            return Ok(ExitCode::from(resend::UNDELIVERED));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(url) = client.local_url() {
        println!("AcksTo: listening at {url}");
    }
    let id = client.created().await?;
    // A live sequence to the same destination in the store is resumed: messages up to
    // the highest number stored are already the sequence's (and are resent until
    // acknowledged); only the rest are sent, with the same texts.
    let already = client.highest_number().await;
    let bound = client
        .bound_to()
        .await
        .unwrap_or_else(|| format!("(none: --security {})", security.name()));
    if already > 0 {
        println!("sequence {id} resumed from the store at message {already}, bound to SCT {bound}");
    } else {
        println!("sequence {id} created, bound to SCT {bound}");
    }
    let progress = Progress::new(args.progress, args.count, already);
    let sent = async {
        for i in already.saturating_add(1)..=args.count {
            let text = format!("message {i} of {}", args.count);
            if args.request_reply {
                let resp = client
                    .request(echo::ECHO_ACTION, &echo::body(&text))
                    .await?;
                progress.line(&format!(
                    "  #{i} echoed: {}",
                    echo::text_of(&resp).unwrap_or_else(|| "(not an echo)".to_owned())
                ));
            } else {
                match client.send(echo::NOTIFY_ACTION, &echo::body(&text)).await {
                    Ok(r) => progress.line(&format!("  #{} stored and sent", r.number)),
                    // The sequence failed: the message is stored and held with the
                    // undelivered ones, in order, for `wsrx store resend`.
                    Err(RuntimeError::Undelivered { .. }) => {
                        progress.line(&format!("  #{i} stored and held (the sequence failed)"));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        client.flush().await
    };
    match sent.await {
        Ok(()) => {}
        Err(RuntimeError::Undelivered { undelivered }) => {
            progress.finish();
            let code = undelivered_exit(&client, &undelivered);
            // Checked above: `resend` is only accepted with at-least-once.
            if resend_policy == UndeliveredPolicy::Resend {
                // AtLeastOnce: a duplicate is allowed, a loss is not; resend at once.
                eprintln!(
                    "wsrx: --on-undelivered resend: sending messages {} again on a new sequence",
                    undelivered.numbers_text()
                );
                return resend::resend(persistence, tokens, undelivered.id.as_str(), route).await;
            }
            return Ok(code);
        }
        Err(e) => return Err(e.into()),
    }
    progress.finish();
    // Reported from the acknowledgement ranges the store holds, not from the count.
    let acked = client.stored_acknowledgements().await?;
    let covered = (1..=args.count)
        .filter(|n| acked.iter().any(|r| r.lower <= *n && *n <= r.upper))
        .count() as u64;
    if covered == args.count {
        println!("all {} messages acknowledged", args.count);
    } else {
        // Only where the destination discards incomplete sequences whole: acknowledged,
        // released when the sequence closes.
        println!(
            "{covered} of {} messages released as acknowledged; the rest are acknowledged \
             and released when the sequence closes (DiscardEntireSequence)",
            args.count
        );
    }
    if args.no_terminate {
        println!("sequence {id} left open (--no-terminate)");
        client.shutdown();
        return Ok(ExitCode::SUCCESS);
    }
    // WS-RM 1.1 §3.5 CloseSequence, answered; WS-RM 1.0 has no Close: its last message
    // carries `LastMessage` (1.0 §3.3), acknowledged like any other. Then TerminateSequence
    // (1.1: answered; 1.0: its POST reached the peer, or this fails saying why).
    client.close().await?;
    if profile == WireProfile::Rm11 {
        println!("sequence closed");
    } else {
        println!("last message (LastMessage) acknowledged");
    }
    let how = client.terminate().await?;
    println!("sequence terminated ({how})");
    client.shutdown();
    // The sequence completed: nothing stored needs the token any more (rule in --no-cancel).
    if let Some(session) = trust_session.filter(|_| !args.no_cancel) {
        match session.cancel().await {
            Ok(n) => println!("security context cancelled ({n})"),
            Err(e) => eprintln!("wsrx: the security context could not be cancelled: {e}"),
        }
        let mut batch = wsrx_store::Batch::default();
        wsrx_runtime::recovery::add_changes(
            &mut batch,
            &wsrx_runtime::token::TokenProvider::take_changes(session.as_ref()),
        )?;
        persistence.commit(batch).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per message, or a progress bar on stderr for long runs at a terminal.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(forced: bool, count: u64, already: u64) -> Self {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        if !(forced || (terminal && count > 20)) {
            return Self(None);
        }
        let bar = indicatif::ProgressBar::new(count);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} messages  {per_sec}  eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar.set_position(already);
        Self(Some(bar))
    }

    /// A message went out: advance the bar, or print its line.
    fn line(&self, text: &str) {
        match &self.0 {
            Some(bar) => bar.inc(1),
            None => println!("{text}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish();
        }
    }
}
