//! The flow over HTTPS on loopback (issue 7 TLS, issue 4 bootstrap (b)): a UsernameToken
//! with a clear-text password (`PasswordText`) obtains an SCT over TLS and the sequence is
//! bound to it; the same RST over plain HTTP, or with a wrong password, gets
//! `wst:FailedAuthentication` and no token. Mutual TLS: without a client certificate (or
//! with one an unknown CA issued) the handshake fails before any SOAP is read; with the
//! right one a secured sequence completes.
//!
//! Certificates (ECDSA P-256) are made in the test with rcgen: a CA, a server certificate
//! for 127.0.0.1, a client certificate, and a rogue CA with a client of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::sync::Arc;
use std::time::Duration;

use wsrx_crypto::OsRandom;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{HttpClient, HttpLimits};
use wsrx_runtime::server::Handler;
use wsrx_runtime::tls::{ClientTls, ServerTls};
use wsrx_runtime::token::TokenProvider;
use wsrx_runtime::trust::TrustSession;
use wsrx_sc::{IssuerConfig, Session, SessionConfig, TokenFor};
use wsrx_soap::SoapVersion;
use wsrx_store::MemoryBackend;
use wsrx_test::fixture::pki::TlsPki as Pki;
use wsrx_test::fixture::runtime::{
    Running, ServerSetup, client_config, finish, pre_established, store,
};
use wsrx_test::fixture::trust::{UserTokenService, token_service, user_token};
use wsrx_test::fixture::within;

const PASSWORD: &[u8] = b"correct horse battery staple";

/// A server with its echo application and token service.
struct Service {
    running: Running<MemoryBackend>,
    url: String,
    echo: EchoService,
    tokens: Arc<UserTokenService>,
}

/// A server with a UsernameToken token service, over HTTPS when `tls` is given.
async fn server(tls: Option<ServerTls>) -> Service {
    let tokens = token_service(IssuerConfig::default(), PASSWORD);
    let echo = EchoService::new();
    let mut setup = ServerSetup::new(tokens.clone(), Arc::new(echo.clone()) as Arc<dyn Handler>);
    if let Some(tls) = tls {
        setup = setup.tls(tls);
    }
    let running = setup.start().await;
    Service {
        url: running.url.clone(),
        running,
        echo,
        tokens,
    }
}

fn text_session(password: &[u8]) -> SessionConfig {
    SessionConfig {
        credentials: Some(user_token(password, false)),
        ..SessionConfig::default()
    }
}

/// Establishes through `session`, then sends three echo requests over a sequence bound to
/// the token; checks delivery and binding and returns the SCT identifier.
async fn secured_sequence(run: &Service, session: Arc<TrustSession>, tls: ClientTls) -> String {
    let mut config = client_config(&run.url);
    config.tls = tls;
    let client = Client::start(config, store(), session.clone(), None)
        .await
        .unwrap();
    let id = within("created", client.created()).await.unwrap();
    for n in 1..=3 {
        let reply = client
            .request(echo::ECHO_ACTION, &echo::body(&format!("tls {n}")))
            .await
            .unwrap();
        assert_eq!(
            echo::text_of(&reply).as_deref(),
            Some(format!("tls {n}").as_str())
        );
    }
    finish(&client, true).await;
    let deliveries = run.echo.deliveries();
    assert_eq!(deliveries.len(), 3);
    let sct = deliveries[0]
        .info
        .bound_to
        .clone()
        .expect("bound to an SCT");
    assert!(sct.starts_with("urn:uuid:"), "{sct}");
    assert!(
        deliveries
            .iter()
            .all(|d| d.info.sequence == id && d.info.bound_to.as_deref() == Some(sct.as_str()))
    );
    let provided = session.token_for(&run.url).await.unwrap();
    assert_eq!(provided.sct.identifier, sct);
    assert_eq!(run.tokens.live_contexts(), 1);
    sct
}

/// The wire answer of the token service to a PasswordText Issue RST sent with `http`.
async fn raw_rst(run: &Service, http: &HttpClient, password: &[u8]) -> (u16, String) {
    let mut session = Session::new(text_session(password), OsRandom);
    // Built as for an https endpoint (a requester of ours refuses to send it over plain
    // HTTP), then POSTed to `run.url` whatever its scheme: how a peer that would send it
    // looks to the token service.
    let as_https = run.url.replacen("http://", "https://", 1);
    assert_eq!(
        session
            .token_for(&as_https, std::time::SystemTime::now())
            .unwrap(),
        TokenFor::Pending
    );
    let rst = session.poll_transmit().unwrap();
    assert!(rst.envelope.contains("#PasswordText"), "{}", rst.envelope);
    let (status, body) = http
        .post(&run.url, SoapVersion::V12, &rst.action, rst.envelope)
        .await
        .unwrap();
    let (_, bytes) = body.expect("the token service answers with a body");
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn password_text_over_https_establishes_the_sct_and_the_sequence_is_bound_to_it() {
    let pki = Pki::new();
    let run = server(Some(pki.server_tls(false))).await;
    assert!(run.url.starts_with("https://"));
    let session = Arc::new(
        TrustSession::with_tls(text_session(PASSWORD), "WS-Trust", &pki.client_tls(None)).unwrap(),
    );
    secured_sequence(&run, session, pki.client_tls(None)).await;
    run.running.shutdown().await;
}

#[tokio::test]
async fn password_text_over_plain_http_is_refused_and_gets_no_token() {
    let run = server(None).await;
    let http = HttpClient::new(Duration::from_secs(10)).unwrap();
    let (status, answer) = raw_rst(&run, &http, PASSWORD).await;
    // Refused before the password is looked at: its entropies (and the answer's) would
    // cross plain HTTP in clear (issue 20 item 5). The authenticator's own rule (no
    // PasswordText without TLS) is wsrx-sc's `tests/bootstrap.rs`.
    assert!(answer.contains("BadRequest"), "{answer}");
    // Token-service faults travel with HTTP 500 in both SOAP versions (docs/trust.md: CXF's
    // WS-Trust client does not read a SOAP 1.2 fault sent with 400).
    assert_eq!(status, 500, "{answer}");
    assert!(!answer.contains("RequestedSecurityToken"), "{answer}");
    // Through the runtime: refused before sending, hence no token, no sequence, no delivery.
    let session = Arc::new(TrustSession::new(text_session(PASSWORD), "WS-Trust").unwrap());
    let err = session.token_for(&run.url).await.unwrap_err();
    assert!(err.to_string().contains("unprotected channel"), "{err}");
    let config = ClientConfig::new(&run.url);
    assert!(Client::start(config, store(), session, None).await.is_err());
    assert_eq!(run.tokens.live_contexts(), 0);
    assert!(run.echo.deliveries().is_empty());
    run.running.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_over_https_gets_failed_authentication_no_token_no_sequence() {
    let pki = Pki::new();
    let run = server(Some(pki.server_tls(false))).await;
    let http = HttpClient::with_tls(Duration::from_secs(10), &pki.client_tls(None)).unwrap();
    let (status, answer) = raw_rst(&run, &http, b"wrong").await;
    assert!(answer.contains("FailedAuthentication"), "{answer}");
    assert_eq!(status, 500, "{answer}");
    // The right password on the same connection pool is accepted: the refusal above was
    // the password, not the transport.
    let (status, answer) = raw_rst(&run, &http, PASSWORD).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("RequestedSecurityToken"), "{answer}");
    assert_eq!(run.tokens.live_contexts(), 1);

    let run = server(Some(pki.server_tls(false))).await;
    let session = Arc::new(
        TrustSession::with_tls(text_session(b"wrong"), "WS-Trust", &pki.client_tls(None)).unwrap(),
    );
    let mut config = ClientConfig::new(&run.url);
    config.tls = pki.client_tls(None);
    assert!(Client::start(config, store(), session, None).await.is_err());
    assert_eq!(run.tokens.live_contexts(), 0);
    assert!(run.echo.deliveries().is_empty());
    run.running.shutdown().await;
}

#[tokio::test]
async fn mutual_tls_refuses_clients_without_a_trusted_certificate_at_the_handshake() {
    let pki = Pki::new();
    let run = server(Some(pki.server_tls(true))).await;
    for tls in [
        pki.client_tls(None),
        pki.client_tls(Some((&pki.rogue_cert, &pki.rogue_key))),
    ] {
        let http = HttpClient::with_tls(Duration::from_secs(10), &tls).unwrap();
        let err = http
            .post(&run.url, SoapVersion::V12, "urn:x", "<x/>".to_owned())
            .await
            .unwrap_err();
        assert!(err.is_io(), "{err}");
        let session =
            Arc::new(TrustSession::with_tls(text_session(PASSWORD), "WS-Trust", &tls).unwrap());
        assert!(session.token_for(&run.url).await.is_err());
    }
    assert_eq!(run.tokens.live_contexts(), 0);
    assert!(run.echo.deliveries().is_empty());

    // The client the CA issued completes a secured sequence.
    let good = pki.client_tls(Some((&pki.client_cert, &pki.client_key)));
    let session =
        Arc::new(TrustSession::with_tls(text_session(PASSWORD), "WS-Trust", &good).unwrap());
    secured_sequence(&run, session, good).await;
    run.running.shutdown().await;
}

#[tokio::test]
async fn limits_apply_over_https_and_shutdown_is_graceful() {
    let pki = Pki::new();
    let tokens = pre_established("urn:uuid:00000000-0000-4000-8000-000000000001", 9);
    let run = ServerSetup::echo(tokens, &EchoService::new())
        .limits(HttpLimits {
            max_body: 1024,
            ..HttpLimits::default()
        })
        .tls(pki.server_tls(false))
        .start()
        .await;
    let url = run.url.clone();
    let http = HttpClient::with_tls(Duration::from_secs(10), &pki.client_tls(None)).unwrap();
    let (status, _) = http
        .post(&url, SoapVersion::V12, "urn:x", "x".repeat(4096))
        .await
        .unwrap();
    assert_eq!(status, 413);
    run.shutdown().await;
    assert!(
        http.post(&url, SoapVersion::V12, "urn:x", "<x/>".to_owned())
            .await
            .is_err()
    );
}
