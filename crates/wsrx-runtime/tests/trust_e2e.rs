//! Steps 1 and 2 of the flow over real HTTP: the client's RM runtime asks its
//! WS-Trust session for the SCT of the endpoint; the session establishes one with
//! the server's token service (RST/SCT with a UsernameToken digest bootstrap,
//! combined entropy, RSTR collection), and the sequence is then bound to and
//! protected by that SCT. A wrong password gets no token and no sequence.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;
use common::store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use wsrx_crypto::{OsRandom, SecretKey};
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{self, HttpLimits, Serving};
use wsrx_runtime::server::{Server, ServerConfig};
use wsrx_runtime::trust::{IssuerProvider, TrustSession};
use wsrx_sc::auth::{UsernameAuthenticator, UsernameConfig, UsernameToken, UsernameVerifier};
use wsrx_sc::{Issuer, IssuerConfig, SessionConfig};

struct Users;

impl UsernameVerifier for Users {
    fn password(&self, username: &str) -> Option<SecretKey> {
        (username == "alice").then(|| SecretKey::from_slice(b"correct horse"))
    }
}

async fn server(echo: EchoService) -> (Serving, String) {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/rm", listener.local_addr().unwrap());
    let issuer = Issuer::new(
        IssuerConfig {
            x509: Some(common::x509_service()),
            ..IssuerConfig::default()
        },
        UsernameAuthenticator::new(Users, UsernameConfig::default()),
        OsRandom,
    );
    let tokens = Arc::new(IssuerProvider::new(
        issuer,
        "WS-Trust token service (X.509 bootstrap, UsernameToken over TLS only)",
    ));
    let config = ServerConfig {
        endpoint: url.clone(),
        ..ServerConfig::default()
    };
    let server = Server::start(config, store(), tokens, Arc::new(echo), None)
        .await
        .unwrap();
    (
        http::serve_on(listener, server, &HttpLimits::default()).unwrap(),
        url,
    )
}

/// The X.509 symmetric bootstrap: what crosses plain HTTP without key material in clear.
fn x509_session() -> Arc<TrustSession> {
    let config = SessionConfig {
        server_certificate: Some(common::server_certificate()),
        ..SessionConfig::default()
    };
    Arc::new(TrustSession::new(config, "WS-Trust session").unwrap())
}

fn session(password: &[u8]) -> Arc<TrustSession> {
    let config = SessionConfig {
        credentials: Some(UsernameToken {
            username: "alice".into(),
            password: SecretKey::from_slice(password),
            digest: true,
        }),
        ..SessionConfig::default()
    };
    Arc::new(TrustSession::new(config, "WS-Trust session").unwrap())
}

#[tokio::test]
async fn the_sct_is_established_through_ws_trust_then_protects_the_sequence() {
    let echo = EchoService::new();
    let (serving, url) = server(echo.clone()).await;
    let tokens = x509_session();
    let mut config = ClientConfig::new(&url);
    config.source.retransmission.base = Duration::from_millis(200);
    let client = Client::start(config, store(), tokens.clone(), None)
        .await
        .unwrap();
    let id = tokio::time::timeout(Duration::from_secs(10), client.created())
        .await
        .unwrap()
        .unwrap();
    for n in 1..=3 {
        let reply = client
            .request(echo::ECHO_ACTION, &echo::body(&format!("hello {n}")))
            .await
            .unwrap();
        assert_eq!(
            echo::text_of(&reply).as_deref(),
            Some(format!("hello {n}").as_str())
        );
    }
    client.flush().await.unwrap();
    client.close().await.unwrap();
    client.terminate().await.unwrap();
    let deliveries = echo.deliveries();
    assert_eq!(deliveries.len(), 3);
    let sct = deliveries[0]
        .info
        .bound_to
        .clone()
        .expect("delivery is bound to an SCT");
    assert!(sct.starts_with("urn:uuid:"), "{sct}");
    assert!(
        deliveries
            .iter()
            .all(|d| d.info.sequence == id && d.info.bound_to.as_deref() == Some(sct.as_str()))
    );
    // The client's session handed out that very context.
    let provided = wsrx_runtime::token::TokenProvider::token_for(tokens.as_ref(), &url)
        .await
        .unwrap();
    assert_eq!(provided.sct.identifier, sct);
    serving.shutdown().await.unwrap();
}

/// Over plain HTTP the UsernameToken bootstrap is refused before anything is sent (its
/// entropies would cross in clear: issue 20 item 5): no token, no sequence. (A wrong
/// password over HTTPS is `tls_e2e`'s.)
#[tokio::test]
async fn the_username_bootstrap_over_plain_http_gets_no_token_and_no_sequence() {
    let echo = EchoService::new();
    let (serving, url) = server(echo.clone()).await;
    let tokens = session(b"correct horse");
    let err = wsrx_runtime::token::TokenProvider::token_for(tokens.as_ref(), &url)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unprotected channel"), "{err}");
    assert!(echo.deliveries().is_empty());
    serving.shutdown().await.unwrap();
}
