//! `wsrx demo`: a server and a client on loopback with a temporary store and key ring,
//! walking through the six steps of a WS-RM sequence bound to a WS-SC security context.
//! Exit code 0 only when every message was delivered exactly once and in order.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use wsrx_crypto::{OsRandom, SecureRandom};
use wsrx_rm::wire::WireProfile;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::server::{Server, ServerConfig};
use wsrx_runtime::tap::{Direction, Tap, TapEvent};
use wsrx_runtime::token::TokenProvider;
use wsrx_runtime::trust::{IssuerProvider, TrustSession};
use wsrx_sc::auth::{UsernameAuthenticator, UsernameConfig, UsernameVerifier};
use wsrx_sc::{Issuer, IssuerConfig, SessionConfig};
use wsrx_soap::SoapVersion;
use wsrx_store::KeyRing;

use super::rm_common::open_store_with;

/// `wsrx demo [--show-xml] [--count N]`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print every envelope as it went on the wire.
    #[arg(long)]
    show_xml: bool,
    /// How many application messages.
    #[arg(long, default_value_t = 3)]
    count: u64,
}

/// Counts what the tap saw.
#[derive(Debug, Default)]
struct Seen {
    messages: usize,
    unsigned: usize,
    refused: usize,
    acks: usize,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn random_hex(n: usize) -> anyhow::Result<String> {
    let mut b = vec![0u8; n];
    OsRandom
        .fill_nonce(&mut b)
        .context("randomness unavailable")?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        tokio::time::timeout(Duration::from_secs(60), demo(args))
            .await
            .context("the demo timed out")?
    })
}

async fn demo(args: Args) -> anyhow::Result<ExitCode> {
    let dir = TempDir(std::env::temp_dir().join(format!("wsrx-demo-{}", random_hex(6)?)));
    std::fs::create_dir_all(&dir.0).context("cannot create a temporary directory")?;
    let ring = || -> anyhow::Result<KeyRing> {
        let key = OsRandom.generate_key(wsrx_store::KEK_LEN)?;
        Ok(KeyRing::new(key)?)
    };
    let server_store = open_store_with(&dir.0.join("server.db"), ring()?)?;
    let client_store = open_store_with(&dir.0.join("client.db"), ring()?)?;

    // The recipient runs a WS-Trust token service whose identity is a certificate made now
    // (the X.509 symmetric bootstrap); the client knows that certificate. No key material
    // crosses the wire in clear although the demo runs on plain HTTP: the RST goes encrypted
    // to the certificate with a fresh key, and the RSTR comes back encrypted under it.
    let credential = Arc::new(demo_identity()?);
    let issuer = Issuer::new(
        IssuerConfig {
            x509: Some(wsrx_sc::issuer::X509Service {
                credential: Arc::clone(&credential),
                bootstrap: wsrx_sc::X509Bootstrap::default(),
            }),
            ..IssuerConfig::default()
        },
        UsernameAuthenticator::new(NoUsers, UsernameConfig::default()),
        OsRandom,
    );
    let service: Arc<dyn TokenProvider> = Arc::new(IssuerProvider::new(
        issuer,
        "WS-Trust token service (X.509 symmetric bootstrap)",
    ));
    let session_config = SessionConfig {
        server_certificate: Some(Arc::new(credential.certificate().clone())),
        ..SessionConfig::default()
    };
    let session = Arc::new(TrustSession::new(
        session_config,
        "WS-Trust 1.3 RST/SCT to the recipient's token service: X.509 symmetric bootstrap (RST and RSTR encrypted under a fresh key sent RSA-OAEP to the service's certificate), combined entropy, P_SHA-1 computed key",
    )?);
    let tokens: Arc<dyn TokenProvider> = session.clone();

    let seen = Arc::new(Mutex::new(Seen::default()));
    let show_xml = args.show_xml;
    let seen_tap = Arc::clone(&seen);
    let tap: Tap = Arc::new(move |e: &TapEvent<'_>| {
        let arrow = match (e.side, e.direction) {
            ("client", Direction::Sent) => "client → server",
            ("client", Direction::Received) => "client ← server",
            (_, Direction::Refused) => "REFUSED        ",
            // The WS-Trust exchange, seen at the token service (the client's session has no tap).
            ("server", Direction::Received) if e.summary == "WS-Trust request" => "client → server",
            ("server", Direction::Sent) if e.summary.contains("/RSTR/") => "client ← server",
            _ => return, // the client's lines cover both directions
        };
        if let Ok(mut s) = seen_tap.lock() {
            s.messages += 1;
            if e.side == "server" {
                // WS-Trust messages: protected under the bootstrap, not by the SCT.
            } else if e.summary.contains("signed-by=(unsigned)") {
                s.unsigned += 1;
            }
            if e.direction == Direction::Refused {
                s.refused += 1;
            }
            if e.summary.contains("ack seq=") {
                s.acks += 1;
            }
        }
        println!("      {arrow}  {}", e.summary);
        if show_xml {
            println!("{}\n", e.xml);
        }
    });

    // The server.
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url = format!("http://{}/rm", listener.local_addr()?);
    let echo_service = EchoService::new();
    let server = Server::start(
        ServerConfig {
            endpoint: url.clone(),
            ..ServerConfig::default()
        },
        server_store,
        Arc::clone(&service),
        Arc::new(echo_service.clone()),
        Some(Arc::clone(&tap)),
    )
    .await?;
    let serving = http::serve_on(listener, server.clone(), &HttpLimits::default())?;
    println!(
        "wsrx demo: RM destination (echo service) on {url}; temporary stores in {}",
        dir.0.display()
    );
    println!();

    println!("[1] The RM runtime asks the security runtime for the session's SCT");
    println!("      SCT for {url}? none established yet");
    println!();
    println!("[2] Security context establishment");
    println!("      {}", tokens.describe());
    let provided = tokens.token_for(&url).await?;
    let sct_id = provided.sct.identifier.clone();
    println!("      RSTR: SCT {sct_id} established; its UUID goes back to the RM runtime");
    println!(
        "      the RM runtime commits it, sealed, to its store before the sequence bound to it exists"
    );
    println!();

    println!(
        "[3] CreateSequence carries the STR to the SCT (WS-RM 1.1 + UsesSequenceSTR, SOAP 1.2)"
    );
    let mut config = ClientConfig::new(&url);
    config.soap = SoapVersion::V12;
    config.profile = WireProfile::Rm11;
    config.source.retransmission.base = Duration::from_millis(300);
    let client = Client::start(
        config,
        client_store.clone(),
        Arc::clone(&tokens),
        Some(Arc::clone(&tap)),
    )
    .await?;
    let sequence = client.created().await?;
    println!("      sequence {sequence} bound to SCT {sct_id}");
    println!();

    println!(
        "[4] CreateSequenceResponse received; {} application messages protected by keys derived from the SCT",
        args.count
    );
    let mut expected = Vec::new();
    for i in 1..=args.count {
        let text = format!("hello {i}");
        let response = client
            .request(echo::ECHO_ACTION, &echo::body(&text))
            .await?;
        let echoed = echo::text_of(&response).unwrap_or_default();
        println!("      response #{i}: {echoed:?}");
        expected.push(text);
    }
    println!();
    println!("[5] SequenceAcknowledgements protected by the SCT");
    client.flush().await?;
    let acks = seen.lock().map(|s| s.acks).unwrap_or(0);
    println!(
        "      all {} messages acknowledged ({acks} acknowledgements, each verified against the SCT)",
        args.count
    );
    println!();
    println!("[6] CloseSequence and TerminateSequence protected by the SCT");
    client.close().await?;
    let how = client.terminate().await?;
    println!("      sequence ended: {how}");
    client.shutdown();
    println!();

    println!("The SCT is kept sealed in the client's store:");
    let snapshot = client_store.load().await?;
    for t in &snapshot.tokens {
        println!(
            "      TOKEN {}  expires {}  (sealed, AES-256-GCM; secret never printed)",
            t.identifier,
            t.expires_at_ms
                .and_then(|ms| u64::try_from(ms).ok())
                .map_or_else(
                    || "never".to_owned(),
                    |ms| wsrx_security::format_datetime(
                        std::time::UNIX_EPOCH + Duration::from_millis(ms)
                    )
                )
        );
    }
    println!();

    println!("The sequence is over, so the client Cancels the SCT (WS-SC 1.4 §6):");
    let cancelled = session.cancel().await?;
    let mut batch = wsrx_store::Batch::default();
    wsrx_runtime::recovery::add_changes(&mut batch, &session.take_changes())?;
    client_store.commit(batch).await?;
    println!(
        "      {cancelled} Cancel RST signed with the SCT; the token service refuses it from now on, and the client's store forgets it"
    );
    println!();
    server.stop();
    serving.shutdown().await?;

    let delivered = echo_service.deliveries();
    let texts: Vec<String> = delivered.iter().map(|d| d.text.clone()).collect();
    let numbers_ok = delivered
        .iter()
        .enumerate()
        .all(|(i, d)| d.info.number == i as u64 + 1 && d.info.sequence == sequence);
    let bound_ok = delivered
        .iter()
        .all(|d| d.info.bound_to.as_deref() == Some(sct_id.as_str()));
    let seen = seen
        .lock()
        .map(|s| (s.messages, s.unsigned, s.refused))
        .unwrap_or((0, 1, 1));
    let ok = texts == expected && numbers_ok && bound_ok && seen.1 == 0 && seen.2 == 0;
    if ok {
        println!(
            "VERDICT: OK: {n}/{n} messages delivered exactly once and in order; {} messages on the wire, all signed with keys from SCT {sct_id}",
            seen.0,
            n = args.count
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "VERDICT: FAILED: delivered {texts:?}, expected {expected:?}; unsigned {}, refused {}",
            seen.1, seen.2
        );
        Ok(ExitCode::from(1))
    }
}

/// The token service has no users: the X.509 bootstrap is its only way in.
struct NoUsers;

impl UsernameVerifier for NoUsers {
    fn password(&self, _: &str) -> Option<wsrx_crypto::SecretKey> {
        None
    }
}

/// A throw-away identity for the token service: a fresh RSA key (2048 bits, OS randomness)
/// and a self-signed certificate for it, in memory only.
fn demo_identity() -> anyhow::Result<wsrx_security::X509Credential> {
    let key = wsrx_crypto::RsaPrivateKey::generate(2048, &mut OsRandom)?;
    let der = key.to_pkcs8_der()?;
    let pair = rcgen::KeyPair::try_from(der.expose_secret())
        .map_err(|e| anyhow::anyhow!("demo key: {e}"))?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .map_err(|e| anyhow::anyhow!("demo certificate: {e}"))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "wsrx demo token service");
    let cert = params
        .self_signed(&pair)
        .map_err(|e| anyhow::anyhow!("demo certificate: {e}"))?;
    let certificate = wsrx_security::Certificate::from_der(cert.der())?;
    Ok(wsrx_security::X509Credential::new(certificate, key)?)
}
