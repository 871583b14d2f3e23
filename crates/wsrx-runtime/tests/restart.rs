//! Restart over real HTTP: a client sends part of a stream, stops without flushing
//! (what is in flight is lost with the process), and a new client over the durable
//! contents of the same store resumes the same sequence; the server delivers the
//! whole stream exactly once and in order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use wsrx_crypto::{KeyRing, SecretKey};
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::server::{Server, ServerConfig};
use wsrx_runtime::token::{PreEstablished, TokenProvider};
use wsrx_store::{MemoryBackend, Store};

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000e57a7";

fn ring() -> KeyRing {
    KeyRing::new(SecretKey::from_slice(&[7u8; 32])).unwrap()
}

fn tokens() -> Arc<dyn TokenProvider> {
    Arc::new(PreEstablished::new(SCT, SecretKey::from_slice(&[1; 32])))
}

#[tokio::test]
async fn a_restarted_client_resumes_its_sequence_exactly_once_in_order() {
    let echo = EchoService::new();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/rm", listener.local_addr().unwrap());
    let server_store =
        Persistence::new(Arc::new(Store::open(MemoryBackend::new(), ring()).unwrap()));
    let config = ServerConfig {
        endpoint: url.clone(),
        ..ServerConfig::default()
    };
    let server = Server::start(config, server_store, tokens(), Arc::new(echo.clone()), None)
        .await
        .unwrap();
    let serving = http::serve_on(listener, server, &HttpLimits::default()).unwrap();

    let mut client_config = ClientConfig::new(&url);
    client_config.source.retransmission.base = Duration::from_millis(200);

    // First run: five messages stored durably, then the process stops.
    let store1 = Arc::new(Store::open(MemoryBackend::new(), ring()).unwrap());
    let client = Client::start(
        client_config.clone(),
        Persistence::new(Arc::clone(&store1)),
        tokens(),
        None,
    )
    .await
    .unwrap();
    let id = tokio::time::timeout(Duration::from_secs(10), client.created())
        .await
        .unwrap()
        .unwrap();
    for n in 1..=5u64 {
        let receipt = client
            .send(echo::NOTIFY_ACTION, &echo::body(&format!("m{n}")))
            .await
            .unwrap();
        assert_eq!(
            (receipt.sequence.as_str(), receipt.number),
            (id.as_str(), n)
        );
    }
    client.shutdown();
    drop(client);

    // Second run: only what was committed survives.
    let store2 = Arc::new(Store::open(store1.backend().durable_copy().unwrap(), ring()).unwrap());
    drop(store1);
    let client = Client::start(client_config, Persistence::new(store2), tokens(), None)
        .await
        .unwrap();
    let resumed = tokio::time::timeout(Duration::from_secs(10), client.created())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        resumed, id,
        "the restarted client did not resume its sequence"
    );
    for n in 6..=10u64 {
        let receipt = client
            .send(echo::NOTIFY_ACTION, &echo::body(&format!("m{n}")))
            .await
            .unwrap();
        assert_eq!(receipt.number, n);
    }
    tokio::time::timeout(Duration::from_secs(20), client.flush())
        .await
        .unwrap()
        .unwrap();
    client.close().await.unwrap();
    client.terminate().await.unwrap();

    let delivered: Vec<String> = echo
        .deliveries()
        .into_iter()
        .filter(|d| d.info.sequence == id)
        .map(|d| d.text)
        .collect();
    let expected: Vec<String> = (1..=10).map(|n| format!("m{n}")).collect();
    assert_eq!(delivered, expected);
    serving.shutdown().await.unwrap();
}
