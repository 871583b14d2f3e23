//! The end-to-end matrix over real HTTP on loopback: SOAP 1.1/1.2 × WS-RM 1.0 (WCF and
//! submission dialects)/1.1 × one-way / request-reply / request-reply on an offered
//! reverse sequence (duplex), every exchange secured with one pre-established SCT.
//!
//! Each case asserts: delivery exactly once and in order (the echo service's log), the
//! responses (request-reply), that every message either side sent or received was signed
//! with the SCT and none was refused (the tap sees them all), that in duplex mode the
//! responses travelled as numbered messages of the offered sequence, and that the
//! sequence was terminated (its TerminateSequence reached the server).
//!
//! × anonymous / addressable acknowledgements: anonymous AcksTo gets acknowledgements
//! (and responses) on the HTTP back-channel; addressable makes the AcksTo (and the
//! offered sequence's Endpoint, with the ReplyTo) a listener the client runs, to which
//! the server POSTs them; then the server also terminates the offered sequence itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::net::SocketAddr;
use std::time::Duration;

use wsrx_rm::RmVersion;
use wsrx_rm::wire::WireProfile;
use wsrx_runtime::client::Client;
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::tap::Direction;
use wsrx_soap::SoapVersion;
use wsrx_test::fixture::runtime::{
    ServerSetup, TapLog, assert_echoed_once_in_order, client_config_for, finish, pre_established,
    store,
};
use wsrx_test::fixture::{eventually, within};

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-00000000a7e1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exchange {
    OneWay,
    RequestReply,
    /// Request-reply with the responses on an offered reverse sequence.
    Duplex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Acks {
    Anonymous,
    Addressable,
}

async fn case(soap: SoapVersion, profile: WireProfile, exchange: Exchange, acks: Acks) {
    let seen = TapLog::new();
    let echo = EchoService::new();
    let run = ServerSetup::echo(pre_established(SCT, 3), &echo)
        .config(|sc| sc.offered.retransmission.base = Duration::from_millis(100))
        .tap(seen.tap())
        .start()
        .await;

    let mut cc = client_config_for(&run.url, soap, profile);
    cc.source.retransmission.base = Duration::from_millis(100);
    cc.request_retry = Duration::from_millis(300);
    cc.offer = exchange == Exchange::Duplex;
    if acks == Acks::Addressable {
        cc.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    }
    let client = Client::start(cc, store(), pre_established(SCT, 3), Some(seen.tap()))
        .await
        .unwrap();
    let id = within("created", client.created()).await.unwrap();
    let n = 4;
    for i in 1..=n {
        let text = format!("message {i}");
        if exchange == Exchange::OneWay {
            client
                .send(echo::NOTIFY_ACTION, &echo::body(&text))
                .await
                .unwrap();
        } else {
            let resp = within(
                "reply",
                client.request(echo::ECHO_ACTION, &echo::body(&text)),
            )
            .await
            .unwrap();
            assert_eq!(echo::text_of(&resp).as_deref(), Some(text.as_str()));
        }
    }
    finish(&client, profile.rm_version() == RmVersion::V1_1).await;
    // 1.0 TerminateSequence has no response: wait (bounded) until the server has it.
    let terminated = |s: &[(&str, Direction, String)]| {
        s.iter().any(|(side, d, sum)| {
            *side == "server"
                && *d == Direction::Received
                && sum.starts_with("TerminateSequence")
                && sum.contains(&id)
        })
    };
    eventually("the server received the TerminateSequence", || {
        terminated(&seen.seen())
    })
    .await;
    let v11 = profile.rm_version() == RmVersion::V1_1;
    // The offered sequence ends too: addressable, the server sends its TerminateSequence
    // to the listener; anonymous 1.1, the client sends it; anonymous 1.0 forgets it.
    let offered_ended = |s: &[(&str, Direction, String)]| {
        s.iter().any(|(side, d, sum)| {
            let terminate = sum.starts_with("TerminateSequence") && !sum.contains(&id);
            match acks {
                Acks::Addressable => *side == "client" && *d == Direction::Received && terminate,
                Acks::Anonymous => *side == "server" && *d == Direction::Received && terminate,
            }
        })
    };
    if exchange == Exchange::Duplex && (v11 || acks == Acks::Addressable) {
        eventually("the offered sequence was terminated", || {
            offered_ended(&seen.seen())
        })
        .await;
    }
    // Acknowledged means durably in the server's inbox; the handler may still be at the
    // last message (bounded wait, then the exact assertions below).
    eventually("every message delivered", || echo.deliveries().len() >= n).await;
    client.shutdown();
    run.stop().await;

    // Exactly once, in order.
    assert_echoed_once_in_order(&echo, &id, n, SCT);
    // Every message signed by the SCT, nothing refused.
    let seen = seen.seen();
    if std::env::var_os("WSRX_MATRIX_DUMP").is_some() {
        for (side, dir, sum) in &seen {
            eprintln!("{side:6} {dir:?}  {sum}");
        }
    }
    let signed = format!("signed-by={SCT}");
    for (side, dir, sum) in &seen {
        assert_ne!(*dir, Direction::Refused, "{side} refused: {sum}");
        assert!(sum.ends_with(&signed), "{side} {dir:?} unsigned: {sum}");
    }
    // Where acknowledgements and responses went.
    let posts: Vec<&String> = seen
        .iter()
        .filter(|(s, d, sum)| *s == "server" && *d == Direction::Sent && sum.starts_with('→'))
        .map(|(_, _, sum)| sum)
        .collect();
    match acks {
        Acks::Anonymous => assert!(posts.is_empty(), "{posts:?}"),
        Acks::Addressable => {
            assert!(
                posts.iter().any(|s| s.contains(&format!("ack seq={id}"))),
                "no acknowledgement POSTed to the listener: {posts:?}"
            );
            if exchange == Exchange::Duplex {
                let sent_responses = seen
                    .iter()
                    .filter(|(s, d, sum)| {
                        *s == "server" && *d == Direction::Sent && sum.contains("EchoResponse")
                    })
                    .count();
                let posted = posts.iter().filter(|s| s.contains("EchoResponse")).count();
                assert!(posted >= n && posted == sent_responses, "{posts:?}");
            }
        }
    }
    let count = |side: &str, dir: Direction, what: &str| {
        seen.iter()
            .filter(|(s, d, sum)| *s == side && *d == dir && sum.starts_with(what))
            .count()
    };
    assert!(count("client", Direction::Sent, "CreateSequence") >= 1);
    // Responses: on the offered sequence (duplex) or on the plain back-channel.
    let responses: Vec<&String> = seen
        .iter()
        .filter(|(s, d, sum)| {
            *s == "client" && *d == Direction::Received && sum.starts_with("EchoResponse")
        })
        .map(|(_, _, sum)| sum)
        .collect();
    match exchange {
        Exchange::OneWay => assert!(responses.is_empty()),
        Exchange::RequestReply => {
            assert!(responses.len() >= n);
            assert!(
                responses
                    .iter()
                    .all(|s| !s.split("  ").any(|p| p.starts_with("seq="))),
                "{responses:?}"
            );
        }
        Exchange::Duplex => {
            assert!(responses.len() >= n);
            // Numbered 1..=n on one sequence other than the forward one.
            let mut numbers = Vec::new();
            for s in &responses {
                let seq = s
                    .split("  ")
                    .find_map(|p| p.strip_prefix("seq="))
                    .unwrap_or_else(|| panic!("response outside a sequence: {s}"));
                let (sid, num) = seq.split_once(" #").unwrap();
                assert_ne!(sid, id, "response on the forward sequence: {s}");
                numbers.push(num.parse::<u64>().unwrap());
            }
            numbers.sort_unstable();
            numbers.dedup();
            assert_eq!(numbers, (1..=n as u64).collect::<Vec<_>>());
        }
    }
}

macro_rules! matrix {
    ($($name:ident: $soap:ident, $profile:ident, $exchange:ident, $acks:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            case(SoapVersion::$soap, WireProfile::$profile, Exchange::$exchange, Acks::$acks).await;
        }
    )*};
}

matrix! {
    soap12_rm11_one_way_anon: V12, Rm11, OneWay, Anonymous;
    soap12_rm11_one_way_addr: V12, Rm11, OneWay, Addressable;
    soap12_rm11_request_reply_anon: V12, Rm11, RequestReply, Anonymous;
    soap12_rm11_request_reply_addr: V12, Rm11, RequestReply, Addressable;
    soap12_rm11_duplex_anon: V12, Rm11, Duplex, Anonymous;
    soap12_rm11_duplex_addr: V12, Rm11, Duplex, Addressable;
    soap12_rm10wcf_one_way_anon: V12, Rm10Wcf, OneWay, Anonymous;
    soap12_rm10wcf_one_way_addr: V12, Rm10Wcf, OneWay, Addressable;
    soap12_rm10wcf_request_reply_anon: V12, Rm10Wcf, RequestReply, Anonymous;
    soap12_rm10wcf_request_reply_addr: V12, Rm10Wcf, RequestReply, Addressable;
    soap12_rm10wcf_duplex_anon: V12, Rm10Wcf, Duplex, Anonymous;
    soap12_rm10wcf_duplex_addr: V12, Rm10Wcf, Duplex, Addressable;
    soap12_rm10sub_one_way_anon: V12, Rm10Submission, OneWay, Anonymous;
    soap12_rm10sub_one_way_addr: V12, Rm10Submission, OneWay, Addressable;
    soap12_rm10sub_request_reply_anon: V12, Rm10Submission, RequestReply, Anonymous;
    soap12_rm10sub_request_reply_addr: V12, Rm10Submission, RequestReply, Addressable;
    soap12_rm10sub_duplex_anon: V12, Rm10Submission, Duplex, Anonymous;
    soap12_rm10sub_duplex_addr: V12, Rm10Submission, Duplex, Addressable;
    soap11_rm11_one_way_anon: V11, Rm11, OneWay, Anonymous;
    soap11_rm11_one_way_addr: V11, Rm11, OneWay, Addressable;
    soap11_rm11_request_reply_anon: V11, Rm11, RequestReply, Anonymous;
    soap11_rm11_request_reply_addr: V11, Rm11, RequestReply, Addressable;
    soap11_rm11_duplex_anon: V11, Rm11, Duplex, Anonymous;
    soap11_rm11_duplex_addr: V11, Rm11, Duplex, Addressable;
    soap11_rm10wcf_one_way_anon: V11, Rm10Wcf, OneWay, Anonymous;
    soap11_rm10wcf_one_way_addr: V11, Rm10Wcf, OneWay, Addressable;
    soap11_rm10wcf_request_reply_anon: V11, Rm10Wcf, RequestReply, Anonymous;
    soap11_rm10wcf_request_reply_addr: V11, Rm10Wcf, RequestReply, Addressable;
    soap11_rm10wcf_duplex_anon: V11, Rm10Wcf, Duplex, Anonymous;
    soap11_rm10wcf_duplex_addr: V11, Rm10Wcf, Duplex, Addressable;
    soap11_rm10sub_one_way_anon: V11, Rm10Submission, OneWay, Anonymous;
    soap11_rm10sub_one_way_addr: V11, Rm10Submission, OneWay, Addressable;
    soap11_rm10sub_request_reply_anon: V11, Rm10Submission, RequestReply, Anonymous;
    soap11_rm10sub_request_reply_addr: V11, Rm10Submission, RequestReply, Addressable;
    soap11_rm10sub_duplex_anon: V11, Rm10Submission, Duplex, Anonymous;
    soap11_rm10sub_duplex_addr: V11, Rm10Submission, Duplex, Addressable;
}
