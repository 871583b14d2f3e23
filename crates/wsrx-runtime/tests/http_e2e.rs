//! End to end over real HTTP on loopback: a client and a server runtime, each with its
//! own store, secured with one pre-established SCT.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::time::Duration;

use wsrx_rm::wire::WireProfile;
use wsrx_runtime::client::Client;
use wsrx_runtime::echo::{self, EchoService};
use wsrx_soap::SoapVersion;
use wsrx_store::MemoryBackend;
use wsrx_test::fixture::runtime::{
    Running, ServerSetup, TwoTokens, assert_echoed_once_in_order, client_config_for,
    post_signed_by, pre_established, store,
};
use wsrx_test::fixture::{eventually, within};

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-00000000e2e1";

async fn server(echo: &EchoService) -> Running<MemoryBackend> {
    ServerSetup::echo(pre_established(SCT, 1), echo)
        .start()
        .await
}

async fn flow(soap: SoapVersion, profile: WireProfile, request_reply: bool) {
    let echo = EchoService::new();
    let run = server(&echo).await;
    let client = Client::start(
        client_config_for(&run.url, soap, profile),
        store(),
        pre_established(SCT, 1),
        None,
    )
    .await
    .unwrap();
    let id = within("created", client.created()).await.unwrap();
    let n = 5;
    for i in 1..=n {
        let text = format!("message {i}");
        if request_reply {
            let resp = within(
                "reply",
                client.request(echo::ECHO_ACTION, &echo::body(&text)),
            )
            .await
            .unwrap();
            assert_eq!(echo::text_of(&resp).as_deref(), Some(text.as_str()));
        } else {
            client
                .send(echo::NOTIFY_ACTION, &echo::body(&text))
                .await
                .unwrap();
        }
    }
    within("flush", client.flush()).await.unwrap();
    if profile.rm_version() == wsrx_rm::RmVersion::V1_1 {
        within("close", client.close()).await.unwrap();
    }
    within("terminate", client.terminate()).await.unwrap();
    // Acknowledged means durably in the server's inbox; the handler may still be at the
    // last message (bounded wait, then the exact assertions below).
    eventually("every message delivered", || echo.deliveries().len() >= n).await;
    client.shutdown();
    assert_echoed_once_in_order(&echo, &id, n, SCT);
    assert!(echo.deliveries().iter().all(|d| !d.info.redelivered));
    run.shutdown().await;
}

#[tokio::test]
async fn soap12_rm11_one_way() {
    flow(SoapVersion::V12, WireProfile::Rm11, false).await;
}

#[tokio::test]
async fn soap12_rm11_request_reply() {
    flow(SoapVersion::V12, WireProfile::Rm11, true).await;
}

#[tokio::test]
async fn soap11_rm11_one_way() {
    flow(SoapVersion::V11, WireProfile::Rm11, false).await;
}

#[tokio::test]
async fn soap11_rm10_request_reply() {
    flow(SoapVersion::V11, WireProfile::Rm10Wcf, true).await;
}

#[tokio::test]
async fn soap12_rm10_one_way() {
    flow(SoapVersion::V12, WireProfile::Rm10Wcf, false).await;
}

/// A client whose SCT the server does not know is refused with a fault, which the client
/// reports with the server's code and reason; nothing is delivered and no sequence is
/// created.
#[tokio::test]
async fn unknown_token_is_refused() {
    let echo = EchoService::new();
    let run = server(&echo).await;
    let client = Client::start(
        client_config_for(&run.url, SoapVersion::V12, WireProfile::Rm11),
        store(),
        pre_established("urn:uuid:other-token", 2),
        None,
    )
    .await
    .unwrap();
    // The server's refusal (unsigned: it cannot sign with a token it does not know) is
    // reported as the peer's word, verbatim; it proves nothing and creates nothing.
    let r = tokio::time::timeout(Duration::from_secs(20), client.created()).await;
    match r {
        Ok(Err(wsrx_runtime::RuntimeError::PeerFault(f))) => {
            assert!(
                f.contains("BadContextToken") && f.contains("unsigned"),
                "{f}"
            );
        }
        other => panic!("no sequence may be created: {other:?}"),
    }
    client.shutdown();
    assert!(echo.deliveries().is_empty());
    run.shutdown().await;
}

/// WS-RM 1.2 §5: a message on a sequence bound to SCT X but proven by SCT Y (which the
/// server knows and verifies) is refused with wsse:FailedAuthentication, not delivered.
#[tokio::test]
async fn message_proven_by_another_sct_is_refused() {
    let other = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000000b2";
    let tokens = TwoTokens::new(SCT, 1, other, 9);
    let echo = EchoService::new();
    let run = ServerSetup::echo(tokens.provider(), &echo).start().await;
    let url = run.url.clone();
    let client = Client::start(
        client_config_for(&url, SoapVersion::V12, WireProfile::Rm11),
        store(),
        tokens.provider(),
        None,
    )
    .await
    .unwrap();
    let id = client.created().await.unwrap();
    client
        .send(echo::NOTIFY_ACTION, &echo::body("genuine"))
        .await
        .unwrap();
    client.flush().await.unwrap();

    // Message 2 of the same sequence, signed with the other SCT.
    let (status, body) = post_signed_by(
        &url,
        echo::NOTIFY_ACTION,
        (&id, 2),
        &echo::body("forged"),
        other,
        tokens.as_ref(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("FailedAuthentication"), "{body}");
    let texts: Vec<String> = echo.deliveries().into_iter().map(|d| d.text).collect();
    assert_eq!(texts, vec!["genuine".to_owned()]);
    client.shutdown();
    run.shutdown().await;
}
