//! Issue 15, the destination's half, over real HTTP: a sequence that ends (here by the
//! destination's inactivity timer) while messages of it are still waiting for the
//! application keeps their records and payloads, so a server started on the same store
//! (as after a crash) hands them over: a message the destination recorded, and may have
//! acknowledged, is never lost to the sequence's end.
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
use wsrx_runtime::persist::decode_log;
use wsrx_runtime::server::{DeliveryInfo, Handler, Operation, Reply, Server, ServerConfig};
use wsrx_runtime::token::{BoxFuture, TokenProvider};
use wsrx_soap::Fault;
use wsrx_store::Role;
use wsrx_test::fixture::runtime::{ServerSetup, client_config, loopback, pre_established, store};
use wsrx_test::fixture::within;

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000015ed";

fn tokens() -> Arc<dyn TokenProvider> {
    pre_established(SCT, 5)
}

/// One-way messages: held until `gate` opens (if any), then logged.
struct App {
    gate: Option<tokio::sync::watch::Receiver<bool>>,
    entered: tokio::sync::Notify,
    log: Mutex<Vec<(u64, bool)>>,
}

impl Handler for App {
    fn operation(&self, _action: &str) -> Operation {
        Operation::OneWay
    }

    fn one_way<'a>(&'a self, _payload: String, info: DeliveryInfo) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.entered.notify_one();
            if let Some(gate) = &self.gate {
                let mut gate = gate.clone();
                while !*gate.borrow() {
                    if gate.changed().await.is_err() {
                        break;
                    }
                }
            }
            self.log
                .lock()
                .unwrap()
                .push((info.number, info.redelivered));
        })
    }

    fn request<'a>(
        &'a self,
        _payload: String,
        _info: DeliveryInfo,
    ) -> BoxFuture<'a, Result<Reply, Fault>> {
        Box::pin(async move { Err(Fault::new(wsrx_soap::FaultCode::Sender, "no requests here")) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequence_that_ends_while_delivering_keeps_what_is_not_handed_over() {
    let (_open, gate) = tokio::sync::watch::channel(false);
    let stuck = Arc::new(App {
        gate: Some(gate),
        entered: tokio::sync::Notify::new(),
        log: Mutex::new(Vec::new()),
    });
    let server_store = store();
    let (listener, url) = loopback("http").await;
    let mut config = ServerConfig {
        endpoint: url.clone(),
        ..ServerConfig::default()
    };
    config.destination.inactivity_timeout = Duration::from_millis(600);
    let run = ServerSetup::new(tokens(), Arc::clone(&stuck) as Arc<dyn Handler>)
        .store(server_store.clone())
        .config(|c| *c = config.clone())
        .on(listener)
        .start()
        .await;

    let mut c = client_config(&url);
    c.source.retransmission.base = Duration::from_millis(100);
    let client = Client::start(c, store(), tokens(), None).await.unwrap();
    let id = within("created", client.created()).await.unwrap();
    for i in 1..=3 {
        client
            .send(echo::NOTIFY_ACTION, &echo::body(&format!("m{i}")))
            .await
            .unwrap();
    }
    // The application is stuck on the first message; all three are recorded.
    within(
        "the first message reached the application",
        stuck.entered.notified(),
    )
    .await;
    let recorded = async {
        loop {
            let snapshot = server_store.load().await.unwrap();
            let payloads = snapshot
                .sequences
                .iter()
                .find(|l| l.sequence == id)
                .map_or(0, |l| l.payloads.len());
            if payloads == 3 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    within("all three recorded", recorded).await;
    // The sender goes away; the destination's inactivity timer ends the sequence while
    // its messages wait for the application.
    client.shutdown();
    let ended = async {
        loop {
            let snapshot = server_store.load().await.unwrap();
            if let Some(log) = snapshot.sequences.iter().find(|l| l.sequence == id) {
                let ops = decode_log(&log.records).unwrap();
                if ops
                    .iter()
                    .any(|op| matches!(op, wsrx_rm::StoreOp::DestinationTerminated { .. }))
                {
                    return log.payloads.len();
                }
            } else {
                panic!("the sequence's log was deleted with messages not handed over");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let kept = within("the sequence ended", ended).await;
    assert_eq!(kept, 3, "the payloads not handed over are kept");

    // As after a crash of the stuck server: another one on the same store hands them over.
    let fresh = Arc::new(App {
        gate: None,
        entered: tokio::sync::Notify::new(),
        log: Mutex::new(Vec::new()),
    });
    let second = Server::start(
        config,
        server_store.clone(),
        tokens(),
        Arc::clone(&fresh) as Arc<dyn Handler>,
        None,
    )
    .await
    .unwrap();
    let got = fresh.log.lock().unwrap().clone();
    assert_eq!(got, vec![(1, true), (2, true), (3, true)]);
    let snapshot = server_store.load().await.unwrap();
    let log = snapshot
        .sequences
        .iter()
        .find(|l| l.sequence == id && l.role == Role::Destination);
    assert!(
        log.is_some_and(|l| l.payloads.is_empty()) || log.is_none(),
        "handed over: the payloads go"
    );
    second.stop();
    // Not a graceful stop: the first server's application is still stuck.
    drop(run);
}
