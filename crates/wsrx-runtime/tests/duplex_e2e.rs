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

mod common;
use common::store;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wsrx_crypto::{KeyRing, SecretKey};
use wsrx_rm::msg::{ApplicationMessage, Message, SequenceHeader};
use wsrx_rm::wire::{WireMessage, WireProfile};
use wsrx_rm::{PayloadRef, SecurityBinding, SequenceId};
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::pipeline::{self, Protection};
use wsrx_runtime::server::{Server, ServerConfig};
use wsrx_runtime::tap::{Direction, Tap};
use wsrx_runtime::token::{PreEstablished, TokenProvider};
use wsrx_soap::SoapVersion;
use wsrx_store::Store;

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000d0b1e";
const OTHER: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000d0b2f";
const LIMIT: Duration = Duration::from_secs(20);

/// Knows two SCTs; hands out (and binds sequences to) the first.
struct TwoTokens {
    first: PreEstablished,
    second: SecretKey,
}

impl wsrx_security::KeyResolver for TwoTokens {
    fn sct_secret(
        &self,
        identifier: &str,
        instance: Option<&str>,
    ) -> Result<SecretKey, wsrx_security::ResolveError> {
        if identifier == OTHER {
            return Ok(self.second.clone());
        }
        self.first.resolver().sct_secret(identifier, instance)
    }
}

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

/// What the tap saw: (side, direction, summary).
type Seen = Arc<Mutex<Vec<(&'static str, Direction, String)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_response_on_the_offered_sequence_is_refused_and_takes_no_number() {
    let tokens = Arc::new(TwoTokens {
        first: PreEstablished::new(SCT, SecretKey::from_slice(&[1u8; 32])),
        second: SecretKey::from_slice(&[9u8; 32]),
    });
    let seen: Seen = Arc::default();
    let tap: Tap = {
        let seen = Arc::clone(&seen);
        Arc::new(move |e: &wsrx_runtime::tap::TapEvent<'_>| {
            seen.lock()
                .unwrap()
                .push((e.side, e.direction, e.summary.to_owned()));
        })
    };
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
        Some(Arc::clone(&tap)),
    )
    .await
    .unwrap();
    let serving = http::serve_on(listener, server.clone(), &HttpLimits::default()).unwrap();
    let mut cc = ClientConfig::new(&url);
    cc.offer = true;
    cc.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    cc.source.retransmission.base = Duration::from_millis(100);
    let client = Client::start(cc, store(), Arc::new(Two(Arc::clone(&tokens))), Some(tap))
        .await
        .unwrap();
    let local = client.local_url().unwrap().to_owned();
    tokio::time::timeout(LIMIT, client.created())
        .await
        .unwrap()
        .unwrap();
    for i in 1..=2 {
        let text = format!("message {i}");
        let resp =
            tokio::time::timeout(LIMIT, client.request(echo::ECHO_ACTION, &echo::body(&text)))
                .await
                .unwrap()
                .unwrap();
        assert_eq!(echo::text_of(&resp).as_deref(), Some(text.as_str()));
    }
    // The offered sequence, as the server used it.
    let offered = seen
        .lock()
        .unwrap()
        .iter()
        .find_map(|(side, d, sum)| {
            (*side == "server" && *d == Direction::Sent && sum.contains("EchoResponse"))
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
    let profile = WireProfile::Rm11;
    let wire = WireMessage::from_message(
        &Message::Application(ApplicationMessage {
            sequence: SequenceHeader {
                id: SequenceId::new(&offered),
                number: 3,
                last_message: false,
            },
            ack_requested: false,
            payload: Some(PayloadRef(1)),
        }),
        None,
        profile,
    );
    let mut addressing = wsrx_soap::OutboundAddressing::request(
        profile.wsa_version(),
        &local,
        echo::ECHO_RESPONSE_ACTION,
    );
    addressing.message_id = Some(pipeline::new_message_id());
    let protection =
        Protection::for_binding(&SecurityBinding::new(OTHER), profile, tokens.as_ref()).unwrap();
    let text = pipeline::seal(
        profile,
        SoapVersion::V12,
        &addressing,
        &wire,
        Some(&echo::response_body("forged")),
        Some(&protection),
        std::time::SystemTime::now(),
    )
    .unwrap();
    let http = http::HttpClient::new(Duration::from_secs(5)).unwrap();
    let (status, body) = http
        .post(&local, SoapVersion::V12, echo::ECHO_RESPONSE_ACTION, text)
        .await
        .unwrap();
    let body = String::from_utf8_lossy(&body.unwrap().1).into_owned();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("FailedAuthentication"), "{body}");

    // The genuine message 3 is still delivered, to request 3.
    let resp = tokio::time::timeout(
        LIMIT,
        client.request(echo::ECHO_ACTION, &echo::body("message 3")),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("message 3"));
    tokio::time::timeout(LIMIT, client.flush())
        .await
        .unwrap()
        .unwrap();
    tokio::time::timeout(LIMIT, client.close())
        .await
        .unwrap()
        .unwrap();
    tokio::time::timeout(LIMIT, client.terminate())
        .await
        .unwrap()
        .unwrap();
    client.shutdown();
    server.stop();
    serving.shutdown().await.unwrap();
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

fn sqlite(path: &std::path::Path) -> Persistence<wsrx_store::SqliteBackend> {
    let ring = KeyRing::new(SecretKey::from_slice(&[7u8; 32])).unwrap();
    let backend =
        wsrx_store::SqliteBackend::open(path, wsrx_store::SqliteOptions::default()).unwrap();
    Persistence::new(Arc::new(Store::open(backend, ring).unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_answers_a_resent_request_from_its_offered_sequence() {
    let dir = std::env::temp_dir().join(format!(
        "wsrx-duplex-restart-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("server.db");
    let tokens = || -> Arc<dyn TokenProvider> {
        Arc::new(PreEstablished::new(SCT, SecretKey::from_slice(&[1u8; 32])))
    };
    let seen: Seen = Arc::default();
    let tap: Tap = {
        let seen = Arc::clone(&seen);
        Arc::new(move |e: &wsrx_runtime::tap::TapEvent<'_>| {
            seen.lock()
                .unwrap()
                .push((e.side, e.direction, e.summary.to_owned()));
        })
    };
    let echo = EchoService::new();
    let front = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/rm", front.local_addr().unwrap());
    let start = |listener: tokio::net::TcpListener| {
        let (url, db, echo, tap) = (url.clone(), db.clone(), echo.clone(), Arc::clone(&tap));
        async move {
            let server = Server::start(
                ServerConfig {
                    endpoint: url,
                    ..ServerConfig::default()
                },
                sqlite(&db),
                tokens(),
                Arc::new(echo),
                Some(tap),
            )
            .await
            .unwrap();
            let serving = http::serve_on(listener, server.clone(), &HttpLimits::default()).unwrap();
            (server, serving)
        }
    };
    let back = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let upstream = Arc::new(Mutex::new(back.local_addr().unwrap()));
    let lose = Arc::new(std::sync::atomic::AtomicBool::new(false));
    relay(front, Arc::clone(&upstream), Arc::clone(&lose));
    let (server, serving) = start(back).await;

    let mut cc = ClientConfig::new(&url);
    cc.offer = true;
    cc.source.retransmission.base = Duration::from_millis(100);
    cc.request_retry = Duration::from_millis(300);
    cc.http_timeout = Duration::from_secs(2);
    let client = Client::start(cc, store(), tokens(), Some(Arc::clone(&tap)))
        .await
        .unwrap();
    tokio::time::timeout(LIMIT, client.created())
        .await
        .unwrap()
        .unwrap();
    let resp = tokio::time::timeout(
        LIMIT,
        client.request(echo::ECHO_ACTION, &echo::body("message 1")),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("message 1"));

    // Request 2: handled, its response stored on the offered sequence, the HTTP response lost.
    lose.store(true, std::sync::atomic::Ordering::SeqCst);
    let pending = {
        let c = client.clone();
        tokio::spawn(async move { c.request(echo::ECHO_ACTION, &echo::body("message 2")).await })
    };
    let answered = |s: &[(&'static str, Direction, String)]| {
        s.iter().any(|(side, d, sum)| {
            *side == "server"
                && *d == Direction::Sent
                && sum.starts_with("EchoResponse")
                && sum.contains(" #2")
        })
    };
    tokio::time::timeout(LIMIT, async {
        while !answered(&seen.lock().unwrap()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the server produced response 2");
    assert!(
        !pending.is_finished(),
        "response 2 got through: nothing to recover"
    );
    server.stop();
    serving.shutdown().await.unwrap();
    drop(server);

    // A new server over the same file; responses get through again.
    let back = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    *upstream.lock().unwrap() = back.local_addr().unwrap();
    let (server, serving) = start(back).await;
    lose.store(false, std::sync::atomic::Ordering::SeqCst);
    let resp = tokio::time::timeout(LIMIT, pending)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("message 2"));
    let resp = tokio::time::timeout(
        LIMIT,
        client.request(echo::ECHO_ACTION, &echo::body("message 3")),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(echo::text_of(&resp).as_deref(), Some("message 3"));
    tokio::time::timeout(LIMIT, client.flush())
        .await
        .unwrap()
        .unwrap();
    tokio::time::timeout(LIMIT, client.close())
        .await
        .unwrap()
        .unwrap();
    tokio::time::timeout(LIMIT, client.terminate())
        .await
        .unwrap()
        .unwrap();
    client.shutdown();
    server.stop();
    serving.shutdown().await.unwrap();
    // Each request reached the application once, over both server lifetimes.
    let texts: Vec<String> = echo.deliveries().into_iter().map(|d| d.text).collect();
    assert_eq!(texts, ["message 1", "message 2", "message 3"]);
    // The restarted server re-sent response 2 as offered message 2 (not a new number).
    let seen = seen.lock().unwrap();
    let twos = seen
        .iter()
        .filter(|(side, d, sum)| {
            *side == "server"
                && *d == Direction::Sent
                && sum.starts_with("EchoResponse")
                && sum.contains(" #2")
        })
        .count();
    assert!(twos >= 2, "response 2 sent before and after the restart");
    let _ = std::fs::remove_dir_all(&dir);
}
