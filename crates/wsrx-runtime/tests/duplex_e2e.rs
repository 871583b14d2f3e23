//! Duplex over real HTTP on loopback, addressable: the client runs a listener, offers a
//! reverse sequence, and the server POSTs the responses there as messages of it. A
//! message on the offered sequence proven by another SCT (one the client knows and
//! verifies) is refused with wsse:FailedAuthentication and takes no number: the genuine
//! response with that number is still delivered to its request afterwards.
//!
//! And a restart: a response stored on the offered sequence whose HTTP response was lost
//! is answered again, by a restarted server over the same SQLite file, to the re-sent
//! request (delivered to the application once, in all).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wsrx_runtime::client::Client;
use wsrx_runtime::echo::{self, EchoService};
use wsrx_test::fixture::runtime::{
    Scratch, ServerSetup, TapLog, TwoTokens, client_config, finish, loopback, post_signed_by,
    pre_established, sqlite, store,
};
use wsrx_test::fixture::{eventually, within};

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000d0b1e";
const OTHER: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000d0b2f";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_response_on_the_offered_sequence_is_refused_and_takes_no_number() {
    let tokens = TwoTokens::new(SCT, 1, OTHER, 9);
    let seen = TapLog::new();
    let echo = EchoService::new();
    let run = ServerSetup::echo(tokens.provider(), &echo)
        .tap(seen.tap())
        .start()
        .await;
    let mut cc = client_config(&run.url);
    cc.offer = true;
    cc.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    cc.source.retransmission.base = Duration::from_millis(100);
    let client = Client::start(cc, store(), tokens.provider(), Some(seen.tap()))
        .await
        .unwrap();
    let local = client.local_url().unwrap().to_owned();
    within("created", client.created()).await.unwrap();
    for i in 1..=2 {
        let text = format!("message {i}");
        let resp = within(
            "reply",
            client.request(echo::ECHO_ACTION, &echo::body(&text)),
        )
        .await
        .unwrap();
        assert_eq!(echo::text_of(&resp).as_deref(), Some(text.as_str()));
    }
    // The offered sequence, as the server used it.
    let offered = seen
        .sent_by("server")
        .iter()
        .find_map(|sum| {
            sum.contains("EchoResponse")
                .then(|| {
                    sum.split("seq=")
                        .nth(1)?
                        .split(' ')
                        .next()
                        .map(str::to_owned)
                })
                .flatten()
        })
        .expect("a response on the offered sequence");

    // Message 3 of the offered sequence, signed with the other SCT, POSTed to the listener.
    let (status, body) = post_signed_by(
        &local,
        echo::ECHO_RESPONSE_ACTION,
        (&offered, 3),
        &echo::response_body("forged"),
        OTHER,
        tokens.as_ref(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("FailedAuthentication"), "{body}");

    // The genuine message 3 is still delivered, to request 3.
    let resp = within(
        "reply 3",
        client.request(echo::ECHO_ACTION, &echo::body("message 3")),
    )
    .await
    .unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("message 3"));
    finish(&client, true).await;
    client.shutdown();
    run.stop().await;
    let texts: Vec<String> = echo.deliveries().into_iter().map(|d| d.text).collect();
    assert_eq!(texts, ["message 1", "message 2", "message 3"]);
}

/// Copies bytes from `from` to `to`; while `lose` is set, ends at the first bytes instead
/// (the client then sees its connection closed without an answer).
async fn pump(
    from: &tokio::net::TcpStream,
    to: &tokio::net::TcpStream,
    lose: Option<&std::sync::atomic::AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if from.readable().await.is_err() {
            return;
        }
        let n = match from.try_read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        };
        if lose.is_some_and(|l| l.load(std::sync::atomic::Ordering::SeqCst)) {
            return;
        }
        let mut off = 0;
        while off < n {
            if to.writable().await.is_err() {
                return;
            }
            match to.try_write(&buf[off..n]) {
                Ok(k) => off += k,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
        }
    }
}

/// A TCP relay to `upstream` that loses every HTTP response while `lose` is set.
fn relay(
    listener: tokio::net::TcpListener,
    upstream: Arc<Mutex<SocketAddr>>,
    lose: Arc<std::sync::atomic::AtomicBool>,
) {
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let up = *upstream.lock().unwrap();
            let lose = Arc::clone(&lose);
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(up).await else {
                    return;
                };
                tokio::select! {
                    () = pump(&client, &server, None) => {}
                    () = pump(&server, &client, Some(&lose)) => {}
                }
            });
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_answers_a_resent_request_from_its_offered_sequence() {
    let dir = Scratch::new("duplex-restart");
    let db = dir.path("server.db");
    let tokens = || pre_established(SCT, 1);
    let seen = TapLog::new();
    let echo = EchoService::new();
    let (front, url) = loopback("http").await;
    let start = |listener: tokio::net::TcpListener| {
        ServerSetup::echo(tokens(), &echo)
            .store(sqlite(&db))
            .tap(seen.tap())
            .on(listener)
            .endpoint(&url)
            .start()
    };
    let (back, _) = loopback("http").await;
    let upstream = Arc::new(Mutex::new(back.local_addr().unwrap()));
    let lose = Arc::new(std::sync::atomic::AtomicBool::new(false));
    relay(front, Arc::clone(&upstream), Arc::clone(&lose));
    let run = start(back).await;

    let mut cc = client_config(&url);
    cc.offer = true;
    cc.source.retransmission.base = Duration::from_millis(100);
    cc.request_retry = Duration::from_millis(300);
    cc.http_timeout = Duration::from_secs(2);
    let client = Client::start(cc, store(), tokens(), Some(seen.tap()))
        .await
        .unwrap();
    within("created", client.created()).await.unwrap();
    let resp = within(
        "reply 1",
        client.request(echo::ECHO_ACTION, &echo::body("message 1")),
    )
    .await
    .unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("message 1"));

    // Request 2: handled, its response stored on the offered sequence, the HTTP response lost.
    lose.store(true, std::sync::atomic::Ordering::SeqCst);
    let pending = {
        let c = client.clone();
        tokio::spawn(async move { c.request(echo::ECHO_ACTION, &echo::body("message 2")).await })
    };
    let response_2 = |sum: &String| sum.starts_with("EchoResponse") && sum.contains(" #2");
    eventually("the server produced response 2", || {
        seen.sent_by("server").iter().any(response_2)
    })
    .await;
    assert!(
        !pending.is_finished(),
        "response 2 got through: nothing to recover"
    );
    run.stop().await;

    // A new server over the same file; responses get through again.
    let (back, _) = loopback("http").await;
    *upstream.lock().unwrap() = back.local_addr().unwrap();
    let run = start(back).await;
    lose.store(false, std::sync::atomic::Ordering::SeqCst);
    let resp = within("reply 2", pending).await.unwrap().unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("message 2"));
    let resp = within(
        "reply 3",
        client.request(echo::ECHO_ACTION, &echo::body("message 3")),
    )
    .await
    .unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("message 3"));
    finish(&client, true).await;
    client.shutdown();
    run.stop().await;
    // Each request reached the application once, over both server lifetimes.
    let texts: Vec<String> = echo.deliveries().into_iter().map(|d| d.text).collect();
    assert_eq!(texts, ["message 1", "message 2", "message 3"]);
    // The restarted server re-sent response 2 as offered message 2 (not a new number).
    let twos = seen
        .sent_by("server")
        .iter()
        .filter(|sum| response_2(sum))
        .count();
    assert!(twos >= 2, "response 2 sent before and after the restart");
}
