//! Restart over real HTTP: a client sends part of a stream, stops without flushing
//! (what is in flight is lost with the process), and a new client over the durable
//! contents of the same store resumes the same sequence; the server delivers the
//! whole stream exactly once and in order. Then both sides restart over their SQLite
//! files with a security context issued through WS-Trust: the client resumes its
//! sequence with the SCT recovered from its store (no second RST), and the restarted
//! server verifies it with the context recovered from its own store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::sync::Arc;
use std::time::Duration;

use wsrx_crypto::SecretKey;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::token::TokenProvider;
use wsrx_sc::IssuerConfig;
use wsrx_store::{MemoryBackend, SqliteBackend, Store};
use wsrx_test::fixture::runtime::{
    Running, Scratch, ServerSetup, client_config, finish, pre_established, ring, send_numbered,
    sqlite, store,
};
use wsrx_test::fixture::trust::{Rstrs, token_service, with_x509, x509_session};
use wsrx_test::fixture::within;

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000e57a7";

fn tokens() -> Arc<dyn TokenProvider> {
    pre_established(SCT, 1)
}

#[tokio::test]
async fn a_restarted_client_resumes_its_sequence_exactly_once_in_order() {
    let echo = EchoService::new();
    let run = ServerSetup::echo(tokens(), &echo)
        .store(store())
        .start()
        .await;
    let client_config = client_config(&run.url);

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
    let id = within("created", client.created()).await.unwrap();
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
    let resumed = within("resumed", client.created()).await.unwrap();
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
    finish(&client, true).await;

    let delivered: Vec<String> = echo
        .deliveries()
        .into_iter()
        .filter(|d| d.info.sequence == id)
        .map(|d| d.text)
        .collect();
    let expected: Vec<String> = (1..=10).map(|n| format!("m{n}")).collect();
    assert_eq!(delivered, expected);
    run.shutdown().await;
}

// --- Tokens come back from the store (mission step 1) -------------------------------

/// A server with a fresh token service (nothing in memory) over the store at `db`,
/// counting the RSTRs it sends in `rstrs`.
async fn trust_server(
    listener: tokio::net::TcpListener,
    db: &std::path::Path,
    echo: &EchoService,
    rstrs: &Arc<Rstrs>,
) -> Running<SqliteBackend> {
    let tokens = token_service(with_x509(IssuerConfig::default()), b"correct horse");
    ServerSetup::echo(tokens, echo)
        .store(sqlite(db))
        .tap(rstrs.tap())
        .on(listener)
        .start()
        .await
}

#[tokio::test]
async fn a_ws_trust_sct_comes_back_from_both_stores_after_a_restart_of_both_sides() {
    let dir = Scratch::new("restart-sct");
    let (server_db, client_db) = (dir.path("server.db"), dir.path("client.db"));
    let echo = EchoService::new();
    let issued = Arc::new(Rstrs::default());
    let (listener, url) = wsrx_test::fixture::runtime::loopback("http").await;
    let addr = listener.local_addr().unwrap();
    let client_config = client_config(&url);
    let trust_session = || x509_session(|_| {});

    // First life of both sides: the SCT is issued through WS-Trust, five messages stored.
    let run = trust_server(listener, &server_db, &echo, &issued).await;
    let client_store = sqlite(&client_db);
    let client = Client::start(
        client_config.clone(),
        client_store.clone(),
        trust_session(),
        None,
    )
    .await
    .unwrap();
    let id = within("created", client.created()).await.unwrap();
    let sct = client.bound_to().await.unwrap();
    for n in 1..=5u64 {
        client
            .send(echo::NOTIFY_ACTION, &echo::body(&format!("m{n}")))
            .await
            .unwrap();
    }
    assert_eq!(issued.issued(), 1);
    // The process "dies": its tasks still in flight can no longer reach the file.
    client.shutdown();
    client_store.store().backend().close();
    drop(client);
    run.stop().await;

    // Second life: new objects over the same files; nothing of the token is in memory.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let run = trust_server(listener, &server_db, &echo, &issued).await;
    let session = trust_session();
    let client = Client::start(client_config, sqlite(&client_db), session.clone(), None)
        .await
        .unwrap();
    assert_eq!(client.created().await.unwrap(), id, "sequence not resumed");
    assert_eq!(client.bound_to().await.as_deref(), Some(sct.as_str()));
    assert_eq!(client.highest_number().await, 5);
    let provided = session.token_for(&url).await.unwrap();
    assert_eq!(
        provided.sct.identifier, sct,
        "the recovered SCT is the session's"
    );
    let numbers = send_numbered(&client, 6..=10).await;
    assert_eq!(numbers, Vec::from_iter(6..=10));
    finish(&client, true).await;

    // The restarted server verified messages signed with the SCT it issued before;
    // its (fresh) token service issued nothing: one RST in all.
    assert_eq!(issued.issued(), 1, "the SCT was re-issued");
    // As the idempotent application does: a flagged redelivery of a message it already
    // has (the first server stopped between a hand-over and the payload's deletion) is
    // dropped; an unflagged repeat would stay and fail the comparison.
    let mut seen = std::collections::HashSet::new();
    let delivered: Vec<(String, Option<String>)> = echo
        .deliveries()
        .into_iter()
        .filter(|d| d.info.sequence == id)
        .filter(|d| seen.insert(d.info.number) || !d.info.redelivered)
        .map(|d| (d.text, d.info.bound_to))
        .collect();
    let expected: Vec<(String, Option<String>)> = (1..=10)
        .map(|n| (format!("m{n}"), Some(sct.clone())))
        .collect();
    assert_eq!(delivered, expected);
    run.stop().await;
}

#[tokio::test]
async fn a_sequence_bound_to_an_expired_recovered_sct_ends_with_an_explicit_error() {
    expired_sct_case(false).await;
}

/// Issue 15: its unacknowledged messages are not deleted with it: the sequence fails
/// (TokenLost), the error names them, and they stay in the store for a resend.
#[tokio::test]
async fn unacknowledged_messages_of_a_sequence_whose_sct_expired_are_held() {
    expired_sct_case(true).await;
}

async fn expired_sct_case(with_message: bool) {
    use wsrx_rm::msg::EndpointRef;
    use wsrx_rm::persist::SourceRecord;
    use wsrx_rm::{RmVersion, SecurityBinding, SequenceId, StoreOp, record};
    let url = "http://127.0.0.1:9/rm";
    let store = Arc::new(Store::open(MemoryBackend::new(), ring()).unwrap());
    let now = std::time::SystemTime::now();
    let expired = wsrx_sc::EstablishedSct {
        identifier: "urn:uuid:expired-sct".into(),
        instance: None,
        secret: SecretKey::from_slice(&[3; 32]),
        created: now - Duration::from_secs(7200),
        expires: now - Duration::from_secs(3600),
        version: wsrx_security::ScVersion::V200512,
        endpoint: url.into(),
    };
    let op = StoreOp::SourceCreated(SourceRecord {
        id: SequenceId::new("urn:uuid:old-seq"),
        version: RmVersion::V1_1,
        to: EndpointRef(url.into()),
        binding: Some(SecurityBinding::new("urn:uuid:expired-sct".to_owned())),
        expires_at: None,
        incomplete: wsrx_rm::msg::IncompleteSequenceBehavior::NoDiscard,
    });
    let mut batch = wsrx_store::Batch::default();
    batch.records.push((
        "urn:uuid:old-seq".into(),
        wsrx_store::Role::Source,
        record::encode(&op),
    ));
    if with_message {
        let stored = StoreOp::OutboundStored {
            id: SequenceId::new("urn:uuid:old-seq"),
            number: 1,
            payload: Some(wsrx_rm::PayloadRef(77)),
            last: false,
        };
        batch.records.push((
            "urn:uuid:old-seq".into(),
            wsrx_store::Role::Source,
            record::encode(&stored),
        ));
        batch.payloads.push(wsrx_store::PayloadPut {
            handle: 77,
            sequence: "urn:uuid:old-seq".into(),
            number: 1,
            plaintext: wsrx_runtime::persist::encode_payload("urn:a", "<b/>"),
        });
    }
    batch
        .tokens
        .push(wsrx_runtime::recovery::to_put(&expired).unwrap());
    store.commit(batch).unwrap();

    let err = Client::start(
        ClientConfig::new(url),
        Persistence::new(Arc::clone(&store)),
        tokens(),
        None,
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    let snapshot = store.load().unwrap();
    if with_message {
        assert!(
            text.contains("sequence urn:uuid:old-seq ended with messages 1 undelivered")
                && text.contains("security context"),
            "{text}"
        );
        // Failed, not deleted: the record says why, the payload is still there.
        assert_eq!(snapshot.sequences.len(), 1);
        let ops = wsrx_runtime::persist::decode_log(&snapshot.sequences[0].records).unwrap();
        assert!(ops.iter().any(|op| matches!(
            op,
            StoreOp::SourceFailed {
                reason: wsrx_rm::UndeliveredReason::TokenLost,
                ..
            }
        )));
        assert_eq!(snapshot.sequences[0].payloads, vec![(77, 1)]);
        return;
    }
    assert!(
        text.contains(
            "sequence urn:uuid:old-seq is bound to SCT urn:uuid:expired-sct which expired"
        ),
        "{text}"
    );
    // The expired token and the dead sequence are gone; nothing was rebound.
    assert!(snapshot.tokens.is_empty() && snapshot.sequences.is_empty());
}
