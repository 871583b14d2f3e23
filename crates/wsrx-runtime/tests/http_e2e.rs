//! End to end over real HTTP on loopback: a client and a server runtime, each with its
//! own store, secured with one pre-established SCT.
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

use wsrx_crypto::SecretKey;
use wsrx_rm::wire::WireProfile;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{self, HttpLimits, Serving};
use wsrx_runtime::server::{Server, ServerConfig};
use wsrx_runtime::token::{PreEstablished, TokenProvider};
use wsrx_soap::SoapVersion;

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-00000000e2e1";

fn tokens(id: &str, byte: u8) -> Arc<dyn TokenProvider> {
    Arc::new(PreEstablished::new(id, SecretKey::from_slice(&[byte; 32])))
}

async fn server(echo: EchoService) -> (Serving, String) {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/rm", listener.local_addr().unwrap());
    let config = ServerConfig {
        endpoint: url.clone(),
        ..ServerConfig::default()
    };
    let server = Server::start(config, store(), tokens(SCT, 1), Arc::new(echo), None)
        .await
        .unwrap();
    let serving = http::serve_on(listener, server, &HttpLimits::default()).unwrap();
    (serving, url)
}

fn client_config(url: &str, soap: SoapVersion, profile: WireProfile) -> ClientConfig {
    let mut c = ClientConfig::new(url);
    c.soap = soap;
    c.profile = profile;
    c.source.retransmission.base = Duration::from_millis(200);
    c
}

async fn flow(soap: SoapVersion, profile: WireProfile, request_reply: bool) {
    let echo = EchoService::new();
    let (serving, url) = server(echo.clone()).await;
    let client = Client::start(
        client_config(&url, soap, profile),
        store(),
        tokens(SCT, 1),
        None,
    )
    .await
    .unwrap();
    let id = tokio::time::timeout(Duration::from_secs(10), client.created())
        .await
        .unwrap()
        .unwrap();
    let n = 5;
    for i in 1..=n {
        let text = format!("message {i}");
        if request_reply {
            let resp = tokio::time::timeout(
                Duration::from_secs(10),
                client.request(echo::ECHO_ACTION, &echo::body(&text)),
            )
            .await
            .unwrap()
            .unwrap();
            assert_eq!(echo::text_of(&resp).as_deref(), Some(text.as_str()));
        } else {
            client
                .send(echo::NOTIFY_ACTION, &echo::body(&text))
                .await
                .unwrap();
        }
    }
    tokio::time::timeout(Duration::from_secs(10), client.flush())
        .await
        .unwrap()
        .unwrap();
    if profile.rm_version() == wsrx_rm::RmVersion::V1_1 {
        tokio::time::timeout(Duration::from_secs(10), client.close())
            .await
            .unwrap()
            .unwrap();
    }
    tokio::time::timeout(Duration::from_secs(10), client.terminate())
        .await
        .unwrap()
        .unwrap();
    // Acknowledged means durably in the server's inbox; the handler may still be at the
    // last message (bounded wait, then the exact assertions below).
    tokio::time::timeout(Duration::from_secs(10), async {
        while echo.deliveries().len() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("every message delivered");
    client.shutdown();
    let got = echo.deliveries();
    let texts: Vec<String> = got.iter().map(|d| d.text.clone()).collect();
    let want: Vec<String> = (1..=n).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, want, "exactly once, in order");
    for (i, d) in got.iter().enumerate() {
        assert_eq!(d.info.sequence, id);
        assert_eq!(d.info.number, i as u64 + 1);
        assert_eq!(d.info.bound_to.as_deref(), Some(SCT));
        assert!(!d.info.redelivered);
    }
    serving.shutdown().await.unwrap();
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
    let (serving, url) = server(echo.clone()).await;
    let client = Client::start(
        client_config(&url, SoapVersion::V12, WireProfile::Rm11),
        store(),
        tokens("urn:uuid:other-token", 2),
        None,
    )
    .await
    .unwrap();
    // The server's refusal (unsigned: it cannot sign with a token it does not know) is
    // reported as the peer's word, verbatim; it proves nothing and creates nothing.
    let r = tokio::time::timeout(Duration::from_secs(20), client.created()).await;
    match r {
        Ok(Err(wsrx_runtime::RuntimeError::PeerFault(f))) => {
            assert!(f.contains("BadContextToken") && f.contains("unsigned"), "{f}");
        }
        other => panic!("no sequence may be created: {other:?}"),
    }
    client.shutdown();
    assert!(echo.deliveries().is_empty());
    serving.shutdown().await.unwrap();
}

/// Knows two SCTs; hands out the first.
struct TwoTokens {
    first: PreEstablished,
    second: (String, SecretKey),
}

impl wsrx_security::KeyResolver for TwoTokens {
    fn sct_secret(
        &self,
        identifier: &str,
        instance: Option<&str>,
    ) -> Result<SecretKey, wsrx_security::ResolveError> {
        if identifier == self.second.0 {
            return Ok(self.second.1.clone());
        }
        self.first.resolver().sct_secret(identifier, instance)
    }
}

/// The provider over the shared resolver.
struct Two(Arc<TwoTokens>);

impl TokenProvider for Two {
    fn token_for<'a>(
        &'a self,
        endpoint: &'a str,
    ) -> wsrx_runtime::token::BoxFuture<
        'a,
        Result<wsrx_runtime::ProvidedToken, wsrx_runtime::RuntimeError>,
    > {
        self.0.first.token_for(endpoint)
    }
    fn resolver(&self) -> Arc<dyn wsrx_security::KeyResolver + Send + Sync> {
        Arc::clone(&self.0) as Arc<dyn wsrx_security::KeyResolver + Send + Sync>
    }
    fn describe(&self) -> String {
        "two tokens".to_owned()
    }
}

/// WS-RM 1.2 §5: a message on a sequence bound to SCT X but proven by SCT Y (which the
/// server knows and verifies) is refused with wsse:FailedAuthentication, not delivered.
#[tokio::test]
async fn message_proven_by_another_sct_is_refused() {
    use wsrx_rm::msg::{ApplicationMessage, Message, SequenceHeader};
    use wsrx_rm::wire::WireMessage;
    use wsrx_rm::{PayloadRef, SecurityBinding, SequenceId};
    use wsrx_runtime::pipeline::{self, Protection};

    let other = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000000b2";
    let tokens = Arc::new(TwoTokens {
        first: PreEstablished::new(SCT, SecretKey::from_slice(&[1u8; 32])),
        second: (other.to_owned(), SecretKey::from_slice(&[9u8; 32])),
    });
    let echo = EchoService::new();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/rm", listener.local_addr().unwrap());
    let server = Server::start(
        ServerConfig {
            endpoint: url.clone(),
            ..ServerConfig::default()
        },
        store(),
        Arc::new(Two(Arc::clone(&tokens))),
        Arc::new(echo.clone()),
        None,
    )
    .await
    .unwrap();
    let serving = http::serve_on(listener, server, &HttpLimits::default()).unwrap();
    let client = Client::start(
        client_config(&url, SoapVersion::V12, WireProfile::Rm11),
        store(),
        Arc::new(Two(Arc::clone(&tokens))),
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
    let profile = WireProfile::Rm11;
    let wire = WireMessage::from_message(
        &Message::Application(ApplicationMessage {
            sequence: SequenceHeader {
                id: SequenceId::new(&id),
                number: 2,
                last_message: false,
            },
            ack_requested: false,
            payload: Some(PayloadRef(1)),
        }),
        None,
        profile,
    );
    let mut addressing =
        wsrx_soap::OutboundAddressing::request(profile.wsa_version(), &url, echo::NOTIFY_ACTION);
    addressing.message_id = Some(pipeline::new_message_id());
    let protection =
        Protection::for_binding(&SecurityBinding::new(other), profile, tokens.as_ref()).unwrap();
    let text = pipeline::seal(
        profile,
        SoapVersion::V12,
        &addressing,
        &wire,
        Some(&echo::body("forged")),
        Some(&protection),
        std::time::SystemTime::now(),
    )
    .unwrap();
    let http = http::HttpClient::new(Duration::from_secs(5)).unwrap();
    let (status, body) = http
        .post(&url, SoapVersion::V12, echo::NOTIFY_ACTION, text)
        .await
        .unwrap();
    let body = String::from_utf8_lossy(&body.unwrap().1).into_owned();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("FailedAuthentication"), "{body}");
    let texts: Vec<String> = echo.deliveries().into_iter().map(|d| d.text).collect();
    assert_eq!(texts, vec!["genuine".to_owned()]);
    client.shutdown();
    serving.shutdown().await.unwrap();
}
