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

use std::sync::Arc;

use wsrx_runtime::client::Client;
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::server::Handler;
use wsrx_runtime::trust::TrustSession;
use wsrx_sc::{IssuerConfig, SessionConfig};
use wsrx_store::MemoryBackend;
use wsrx_test::fixture::runtime::{Running, ServerSetup, client_config, finish, store};
use wsrx_test::fixture::trust::{self, token_service, user_token, with_x509};
use wsrx_test::fixture::within;

/// A server whose token service answers the X.509 bootstrap, and UsernameToken over TLS
/// only.
async fn server(echo: &EchoService) -> Running<MemoryBackend> {
    let tokens = token_service(with_x509(IssuerConfig::default()), b"correct horse");
    ServerSetup::new(tokens, Arc::new(echo.clone()) as Arc<dyn Handler>)
        .start()
        .await
}

/// The X.509 symmetric bootstrap: what crosses plain HTTP without key material in clear.
fn x509_session() -> Arc<TrustSession> {
    trust::x509_session(|_| {})
}

fn session(password: &[u8]) -> Arc<TrustSession> {
    trust::session(SessionConfig {
        credentials: Some(user_token(password, true)),
        ..SessionConfig::default()
    })
}

#[tokio::test]
async fn the_sct_is_established_through_ws_trust_then_protects_the_sequence() {
    let echo = EchoService::new();
    let run = server(&echo).await;
    let url = run.url.clone();
    let tokens = x509_session();
    let client = Client::start(client_config(&url), store(), tokens.clone(), None)
        .await
        .unwrap();
    let id = within("created", client.created()).await.unwrap();
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
    finish(&client, true).await;
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
    run.shutdown().await;
}

/// Over plain HTTP the UsernameToken bootstrap is refused before anything is sent (its
/// entropies would cross in clear: issue 20 item 5): no token, no sequence. (A wrong
/// password over HTTPS is `tls_e2e`'s.)
#[tokio::test]
async fn the_username_bootstrap_over_plain_http_gets_no_token_and_no_sequence() {
    let echo = EchoService::new();
    let run = server(&echo).await;
    let url = run.url.clone();
    let tokens = session(b"correct horse");
    let err = wsrx_runtime::token::TokenProvider::token_for(tokens.as_ref(), &url)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unprotected channel"), "{err}");
    assert!(echo.deliveries().is_empty());
    run.shutdown().await;
}

/// `cancel` counts what the token service confirmed (WS-SC 1.4 §6:
/// `wst:RequestedTokenCancelled`): its own service confirms; a service that does not know the
/// context answers with a fault, and the Cancel is then reported as failed, not as done.
#[tokio::test]
async fn a_cancel_the_service_refuses_is_reported_as_failed() {
    let echo = EchoService::new();
    let issuing = server(&echo).await;
    let other = server(&echo).await;
    let tokens = x509_session();
    let provided = wsrx_runtime::token::TokenProvider::token_for(tokens.as_ref(), &issuing.url)
        .await
        .unwrap();
    let established: Vec<wsrx_sc::EstablishedSct> =
        wsrx_runtime::token::TokenProvider::take_changes(tokens.as_ref())
            .into_iter()
            .filter_map(|c| match c {
                wsrx_runtime::recovery::TokenChange::Put(t) => Some(t),
                wsrx_runtime::recovery::TokenChange::Delete(_) => None,
            })
            .collect();
    assert_eq!(established.len(), 1);
    assert_eq!(established[0].identifier, provided.sct.identifier);
    // The same context, held for the other server, whose token service never issued it.
    let stranger = x509_session();
    let mut moved = established[0].clone();
    moved.endpoint = other.url.clone();
    wsrx_runtime::token::TokenProvider::adopt(stranger.as_ref(), vec![moved]);
    let err = stranger.cancel().await.unwrap_err();
    assert!(err.to_string().contains("confirmed 0 of 1"), "{err}");
    // Its own service confirms the Cancel.
    assert_eq!(tokens.cancel().await.unwrap(), 1);
    issuing.shutdown().await;
    other.shutdown().await;
}
