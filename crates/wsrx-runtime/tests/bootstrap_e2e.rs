//! Mutual X.509 bootstrap over real HTTP on loopback (issue 4 bootstrap (a)): the client's
//! WS-Trust session signs its Issue RST with its certificate's key (RSA-SHA256, the
//! certificate in a BinarySecurityToken); the server's token service validates it against
//! its trusted CA and returns the key material as an `xenc:EncryptedKey` for that
//! certificate; the sequence is then bound to and protected by the new SCT. An RST signed
//! by a certificate of an untrusted CA gets `wst:FailedAuthentication` and no token.
//!
//! The RSA keys come from `wsrx-crypto` (OS randomness), the certificates from rcgen: a
//! CA, a client it issues, and a rogue CA *with the same name* and a client of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use wsrx_crypto::OsRandom;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::HttpClient;
use wsrx_runtime::http::Serving;
use wsrx_runtime::token::TokenProvider;
use wsrx_runtime::trust::TrustSession;
use wsrx_sc::{Dialect, EntropyMode, Session, SessionConfig, TokenFor};
use wsrx_security::X509Credential;
use wsrx_soap::SoapVersion;
use wsrx_test::fixture::pki::X509Pki as Pki;
use wsrx_test::fixture::runtime::{ServerSetup, client_config, finish, store};
use wsrx_test::fixture::trust::{X509TokenService, x509_token_service};
use wsrx_test::fixture::within;

async fn server(pki: &Pki) -> (Serving, String, EchoService, Arc<X509TokenService>) {
    let tokens = x509_token_service(&pki.trusted);
    let echo = EchoService::new();
    let run = ServerSetup::echo(tokens.clone(), &echo).start().await;
    (run.serving, run.url, echo, tokens)
}

fn session_config(
    who: &Arc<X509Credential>,
    dialect: Dialect,
    entropy: EntropyMode,
) -> SessionConfig {
    SessionConfig {
        dialect,
        entropy,
        x509: Some(who.clone()),
        ..SessionConfig::default()
    }
}

#[tokio::test]
async fn x509_bootstrap_over_http_issues_an_encrypted_key_and_the_sequence_completes() {
    let pki = Pki::new();
    let (serving, url, echo, tokens) = server(&pki).await;

    // The wire: a signed RST; the answer carries the key only encrypted for the client.
    let mut raw = Session::new(
        session_config(&pki.client, Dialect::V13, EntropyMode::Issuer),
        OsRandom,
    );
    assert_eq!(
        raw.token_for(&url, SystemTime::now()).unwrap(),
        TokenFor::Pending
    );
    let rst = raw.poll_transmit().unwrap();
    assert!(rst.envelope.contains("BinarySecurityToken"));
    let http = HttpClient::new(Duration::from_secs(10)).unwrap();
    let (status, body) = http
        .post(&rst.endpoint, SoapVersion::V12, &rst.action, rst.envelope)
        .await
        .unwrap();
    let answer = String::from_utf8(body.unwrap().1.to_vec()).unwrap();
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("RequestedSecurityToken"), "{answer}");
    assert!(answer.contains("rsa-oaep-mgf1p"), "{answer}");
    assert!(!answer.contains("BinarySecret"), "{answer}");
    raw.handle_rstr(
        SystemTime::now(),
        &wsrx_xml::Document::parse(answer.as_bytes()).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        raw.token_for(&url, SystemTime::now()).unwrap(),
        TokenFor::Ready(_)
    ));
    assert_eq!(tokens.live_contexts(), 1);

    // The runtime: combined entropy (the issuer's share encrypted), then a sequence.
    let session = Arc::new(
        TrustSession::new(
            session_config(&pki.client, Dialect::V13, EntropyMode::Combined),
            "WS-Trust (X.509)",
        )
        .unwrap(),
    );
    let client = Client::start(client_config(&url), store(), session.clone(), None)
        .await
        .unwrap();
    let id = within("created", client.created()).await.unwrap();
    for n in 1..=3 {
        let reply = client
            .request(echo::ECHO_ACTION, &echo::body(&format!("x509 {n}")))
            .await
            .unwrap();
        assert_eq!(
            echo::text_of(&reply).as_deref(),
            Some(format!("x509 {n}").as_str())
        );
    }
    finish(&client, true).await;
    let deliveries = echo.deliveries();
    assert_eq!(deliveries.len(), 3);
    let provided = session.token_for(&url).await.unwrap();
    assert!(deliveries.iter().all(|d| d.info.sequence == id
        && d.info.bound_to.as_deref() == Some(provided.sct.identifier.as_str())));
    assert_eq!(tokens.live_contexts(), 2);
    serving.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_rst_signed_by_an_untrusted_certificate_gets_failed_authentication_and_no_token() {
    let pki = Pki::new();
    let (serving, url, echo, tokens) = server(&pki).await;
    let mut raw = Session::new(
        session_config(&pki.rogue, Dialect::V13, EntropyMode::Combined),
        OsRandom,
    );
    raw.token_for(&url, SystemTime::now()).unwrap();
    let rst = raw.poll_transmit().unwrap();
    let http = HttpClient::new(Duration::from_secs(10)).unwrap();
    let (_, body) = http
        .post(&rst.endpoint, SoapVersion::V12, &rst.action, rst.envelope)
        .await
        .unwrap();
    let answer = String::from_utf8(body.unwrap().1.to_vec()).unwrap();
    assert!(answer.contains("FailedAuthentication"), "{answer}");
    assert!(!answer.contains("RequestedSecurityToken"), "{answer}");

    let session = Arc::new(
        TrustSession::new(
            session_config(&pki.rogue, Dialect::V200502, EntropyMode::Issuer),
            "WS-Trust (X.509)",
        )
        .unwrap(),
    );
    let err = session.token_for(&url).await.unwrap_err();
    assert!(err.to_string().contains("not established"), "{err}");
    assert!(
        Client::start(ClientConfig::new(&url), store(), session, None)
            .await
            .is_err()
    );
    assert_eq!(tokens.live_contexts(), 0);
    assert!(echo.deliveries().is_empty());
    serving.shutdown().await.unwrap();
}
