//! The issued-token table is shared through PostgreSQL (issue 21, item 2 and the second
//! "Done when"): a security context issued by one node before it stops is renewed and
//! cancelled through another node on the same database, at the same address (as behind
//! a load balancer), without a new Issue. Over real HTTP, with a throw-away PostgreSQL
//! (skipped, counted, where PostgreSQL is not installed).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::sync::Arc;
use std::time::Duration;

use wsrx_peers::postgres::TempPostgres;
use wsrx_runtime::client::Client;
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::token::TokenProvider;
use wsrx_sc::IssuerConfig;
use wsrx_store::{PostgresBackend, PostgresOptions, Store};
use wsrx_test::fixture::runtime::{Running, ServerSetup, client_config, loopback, ring, store};
use wsrx_test::fixture::trust::{Rstrs, token_service, with_x509, x509_session};
use wsrx_test::fixture::within;

/// A node: its own connection pool, store, token service and server, on `listener`.
async fn node(
    url: &str,
    listener: tokio::net::TcpListener,
    answers: &Arc<Rstrs>,
) -> Running<PostgresBackend> {
    let backend = PostgresBackend::open(PostgresOptions::from_url(url).unwrap()).unwrap();
    let store = Persistence::new(Arc::new(Store::open(backend, ring()).unwrap()));
    let tokens = token_service(
        with_x509(IssuerConfig {
            default_lifetime: Duration::from_secs(40),
            combined_entropy: true,
            ..IssuerConfig::default()
        }),
        b"correct horse",
    );
    let tokens: Arc<dyn TokenProvider> = tokens;
    ServerSetup::echo(tokens, &EchoService::new())
        .store(store)
        .tap(answers.tap())
        .on(listener)
        .start()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sct_issued_before_a_node_stops_is_renewed_and_cancelled_through_another_node() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("tokens");
    let db = pg.url("tokens");
    let (listener, url) = loopback("http").await;
    let addr = listener.local_addr().unwrap();
    let (on_a, on_b) = (Arc::new(Rstrs::default()), Arc::new(Rstrs::default()));

    // Node A issues the context (the X.509 bootstrap; asked for 40 s, renewed 30 s before
    // it expires, i.e. 10 s after the Issue, once node B has taken over; a Renew that
    // finds nobody listening is re-sent, backing off, until the 30 s response timeout,
    // and the context outlives that: a slow start of node B only delays the Renew).
    let a = node(&db, listener, &on_a).await;
    let session = x509_session(|config| {
        config.lifetime = Some(Duration::from_secs(40));
        config.renew_before = Duration::from_secs(30);
        config.response_timeout = Duration::from_secs(30);
    });
    // Messages through node A under the context (a context in use is renewed before it
    // expires; one not in use is left to expire).
    let client = Client::start(client_config(&url), store(), session.clone(), None)
        .await
        .unwrap();
    client
        .send(echo::NOTIFY_ACTION, &echo::body("m1"))
        .await
        .unwrap();
    within("flush", client.flush()).await.unwrap();
    let issued = session.token_for(&url).await.unwrap();
    let sct = issued.sct.identifier.clone();
    assert_eq!(client.bound_to().await.as_deref(), Some(sct.as_str()));
    assert_eq!(on_a.issued(), 1);
    let stored = pg.psql(
        "tokens",
        &format!("SELECT count(*) FROM tokens WHERE identifier = '{sct}'"),
    );
    assert_eq!(stored.trim(), "1", "node A did not commit the context");

    // Node A stops; node B, with nothing of the context in memory, takes its address.
    a.stop().await;
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let b = node(&db, listener, &on_b).await;

    // The client goes on sending on its sequence (now through node B, which restored it
    // from the database) until the session has renewed the context through node B.
    let mut n = 1u64;
    within("a Renew answered by node B", async {
        while on_b.renewed() == 0 {
            n += 1;
            client
                .send(echo::NOTIFY_ACTION, &echo::body(&format!("m{n}")))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await;
    within("flush", client.flush()).await.unwrap();
    client.shutdown();
    assert_eq!(on_a.renewed(), 0, "node A answered the Renew");
    let renewed = session.token_for(&url).await.unwrap();
    assert_eq!(renewed.sct.identifier, sct);
    assert_ne!(renewed.sct.instance, issued.sct.instance, "not renewed");

    // And cancels it through node B, which confirms (wst:RequestedTokenCancelled) and
    // deletes it from the shared table.
    assert_eq!(within("cancel", session.cancel()).await.unwrap(), 1);
    assert_eq!(on_b.cancelled(), 1);
    assert_eq!(on_a.issued() + on_b.issued(), 1, "a second Issue");
    let left = within("the cancelled context leaves the table", async {
        loop {
            let n = pg.psql(
                "tokens",
                &format!("SELECT count(*) FROM tokens WHERE identifier = '{sct}'"),
            );
            if n.trim() == "0" {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert_eq!(left.trim(), "0");
    b.stop().await;
}
