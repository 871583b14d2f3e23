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

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wsrx_runtime::client::Client;
use wsrx_runtime::echo;
use wsrx_runtime::server::{DeliveryInfo, Handler, Operation, Reply};
use wsrx_runtime::token::{BoxFuture, TokenProvider};
use wsrx_soap::Fault;
use wsrx_test::fixture::runtime::{ServerSetup, client_config, pre_established, store};
use wsrx_test::fixture::{eventually, within};

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-00000000ba7e";
const HOLD: &str = "urn:example:test/Hold";

fn tokens() -> Arc<dyn TokenProvider> {
    pre_established(SCT, 4)
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
    let run = ServerSetup::new(tokens(), Arc::clone(&handler) as Arc<dyn Handler>)
        .start()
        .await;
    let config = || {
        let mut c = client_config(&run.url);
        c.request_retry = Duration::from_millis(300);
        c
    };
    let a = Client::start(config(), store(), tokens(), None)
        .await
        .unwrap();
    let b = Client::start(config(), store(), tokens(), None)
        .await
        .unwrap();
    within("A created", a.created()).await.unwrap();
    let b_id = within("B created", b.created()).await.unwrap();

    // A's request is held in the application.
    let held = {
        let a = a.clone();
        tokio::spawn(async move { a.request(HOLD, &echo::body("held")).await })
    };
    within(
        "the held request reached the handler",
        handler.entered.notified(),
    )
    .await;

    // Meanwhile B's messages go through: delivered in order and acknowledged.
    for i in 1..=3 {
        b.send(echo::NOTIFY_ACTION, &echo::body(&format!("b{i}")))
            .await
            .unwrap();
    }
    within("B is acknowledged while A's request is held", b.flush())
        .await
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
    eventually("B delivered while A's request is held", || {
        b_log().len() >= 3
    })
    .await;
    assert_eq!(b_log(), [1, 2, 3]);
    assert!(!held.is_finished(), "A's request is still held");

    // Released: A's request is answered.
    open.send(true).unwrap();
    let resp = within("A's reply", held).await.unwrap().unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("held"));
    for c in [&a, &b] {
        within("close", c.close()).await.unwrap();
        within("terminate", c.terminate()).await.unwrap();
        c.shutdown();
    }
    run.stop().await;
}
