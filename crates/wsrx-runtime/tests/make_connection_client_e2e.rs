//! WS-MakeConnection 1.1 on the client, over loopback HTTP (issue 18, "wsrx as client polls
//! when its endpoint is not addressable"): a [`Client`] with `make_connection` runs no
//! listener, names itself by a fresh MC anonymous URI (WS-MC 1.1 §3.1) as its AcksTo, its
//! offered sequence's Endpoint and its requests' ReplyTo, and fetches what the server holds
//! for that address with `wsmc:MakeConnection` (§3.2). The server answers every request to
//! such an address with HTTP 202 (`server/mc.rs`), so each response the client gets came
//! through a MakeConnection; they are delivered once, in order, and the sequence closes and
//! terminates as usual.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::time::Duration;

use wsrx_runtime::client::Client;
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::tap::Direction;
use wsrx_test::fixture::runtime::{
    ServerSetup, TapLog, assert_echoed_once_in_order, client_config, finish, pre_established, store,
};
use wsrx_test::fixture::within;

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000000c2";
const MC_ANONYMOUS: &str = "http://docs.oasis-open.org/ws-rx/wsmc/200702/anonymous?id=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_and_acks_are_fetched_with_make_connection() {
    let echo = EchoService::new();
    let server_seen = TapLog::new();
    let run = ServerSetup::echo(pre_established(SCT, 7), &echo)
        .tap(server_seen.tap())
        .start()
        .await;
    let client_seen = TapLog::new();
    let mut cc = client_config(&run.url);
    cc.offer = true;
    cc.make_connection = true;
    cc.source.retransmission.base = Duration::from_millis(200);
    let client = Client::start(
        cc,
        store(),
        pre_established(SCT, 7),
        Some(client_seen.tap()),
    )
    .await
    .unwrap();
    assert_eq!(client.local_url(), None, "no listener");
    let sequence = within("created", client.created()).await.unwrap();
    for i in 1..=3 {
        let text = format!("message {i}");
        let resp = within(
            "reply",
            client.request(echo::ECHO_ACTION, &echo::body(&text)),
        )
        .await
        .unwrap();
        assert_eq!(echo::text_of(&resp).as_deref(), Some(text.as_str()));
    }
    finish(&client, true).await;
    client.shutdown();
    run.stop().await;
    assert_echoed_once_in_order(&echo, &sequence, 3, SCT);

    let polls: Vec<String> = client_seen
        .sent_by("client")
        .into_iter()
        .filter(|s| s.starts_with("MakeConnection "))
        .collect();
    assert!(!polls.is_empty(), "the client polled");
    assert!(
        polls.iter().all(|p| p.contains(MC_ANONYMOUS)),
        "each poll selects the client's MC anonymous URI: {polls:?}"
    );
    // The responses reached the client, and the server held them for the MC address: it
    // never had anywhere else to send them.
    let received: Vec<String> = client_seen
        .seen()
        .into_iter()
        .filter(|(side, d, _)| *side == "client" && *d == Direction::Received)
        .map(|(_, _, s)| s)
        .collect();
    assert_eq!(
        received
            .iter()
            .filter(|s| s.contains("EchoResponse"))
            .count(),
        3,
        "{received:?}"
    );
    let served = server_seen
        .sent_by("server")
        .into_iter()
        .filter(|s| {
            s.starts_with(&format!(
                "MakeConnection answer {}",
                echo::ECHO_RESPONSE_ACTION
            ))
        })
        .count();
    assert_eq!(
        served, 3,
        "each response was handed out on a MakeConnection"
    );
}
