//! The handler runs without the Destination's lock: while a request on one sequence is
//! held up in the application, another sequence's messages are received, delivered and
//! acknowledged; the held request is answered once the application lets it go. Delivery
//! stays in order per sequence.
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
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wsrx_crypto::SecretKey;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo;
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::server::{DeliveryInfo, Handler, Operation, Reply, Server, ServerConfig};
use wsrx_runtime::token::{BoxFuture, PreEstablished, TokenProvider};
use wsrx_soap::Fault;

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-00000000ba7e";
const HOLD: &str = "urn:example:test/Hold";
const LIMIT: Duration = Duration::from_secs(20);

fn tokens() -> Arc<dyn TokenProvider> {
    Arc::new(PreEstablished::new(SCT, SecretKey::from_slice(&[4u8; 32])))
}

/// Holds `Hold` requests until `gate` opens; records one-way messages.
struct Gated {
    gate: tokio::sync::watch::Receiver<bool>,
    entered: tokio::sync::Notify,
    log: Mutex<Vec<(String, u64)>>,
}

impl Handler for Gated {
    fn operation(&self, action: &str) -> Operation {
        if action == HOLD {
            Operation::RequestReply
        } else {
            Operation::OneWay
        }
    }

    fn one_way<'a>(&'a self, _payload: String, info: DeliveryInfo) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.log.lock().unwrap().push((info.sequence, info.number));
        })
    }

    fn request<'a>(
        &'a self,
        payload: String,
        _info: DeliveryInfo,
    ) -> BoxFuture<'a, Result<Reply, Fault>> {
        Box::pin(async move {
            self.entered.notify_one();
            let mut gate = self.gate.clone();
            while !*gate.borrow() {
                if gate.changed().await.is_err() {
                    break;
                }
            }
            Ok(Reply {
                action: echo::ECHO_RESPONSE_ACTION.to_owned(),
                payload,
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_request_does_not_hold_up_another_sequence() {
    let (open, gate) = tokio::sync::watch::channel(false);
    let handler = Arc::new(Gated {
        gate,
        entered: tokio::sync::Notify::new(),
        log: Mutex::new(Vec::new()),
    });
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
        tokens(),
        Arc::clone(&handler) as Arc<dyn Handler>,
        None,
    )
    .await
    .unwrap();
    let serving = http::serve_on(listener, server.clone(), &HttpLimits::default()).unwrap();
    let config = || {
        let mut c = ClientConfig::new(&url);
        c.source.retransmission.base = Duration::from_millis(200);
        c.request_retry = Duration::from_millis(300);
        c
    };
    let a = Client::start(config(), store(), tokens(), None)
        .await
        .unwrap();
    let b = Client::start(config(), store(), tokens(), None)
        .await
        .unwrap();
    tokio::time::timeout(LIMIT, a.created())
        .await
        .unwrap()
        .unwrap();
    let b_id = tokio::time::timeout(LIMIT, b.created())
        .await
        .unwrap()
        .unwrap();

    // A's request is held in the application.
    let held = {
        let a = a.clone();
        tokio::spawn(async move { a.request(HOLD, &echo::body("held")).await })
    };
    tokio::time::timeout(LIMIT, handler.entered.notified())
        .await
        .expect("the held request reached the handler");

    // Meanwhile B's messages go through: delivered in order and acknowledged.
    for i in 1..=3 {
        b.send(echo::NOTIFY_ACTION, &echo::body(&format!("b{i}")))
            .await
            .unwrap();
    }
    tokio::time::timeout(LIMIT, b.flush())
        .await
        .expect("B is acknowledged while A's request is held")
        .unwrap();
    // Acknowledged means in the durable inbox; delivery follows (bounded wait).
    let b_log = || -> Vec<u64> {
        handler
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(s, _)| *s == b_id)
            .map(|(_, n)| *n)
            .collect()
    };
    tokio::time::timeout(LIMIT, async {
        while b_log().len() < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("B delivered while A's request is held");
    assert_eq!(b_log(), [1, 2, 3]);
    assert!(!held.is_finished(), "A's request is still held");

    // Released: A's request is answered.
    open.send(true).unwrap();
    let resp = tokio::time::timeout(LIMIT, held)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("held"));
    for c in [&a, &b] {
        tokio::time::timeout(LIMIT, c.close())
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(LIMIT, c.terminate())
            .await
            .unwrap()
            .unwrap();
        c.shutdown();
    }
    server.stop();
    serving.shutdown().await.unwrap();
}
