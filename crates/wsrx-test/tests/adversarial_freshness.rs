//! Replay protection that cannot be outlived, against the real `wsrx serve` over HTTP
//! (issue 20 items 3 and 6; threat model T6, T7, T33, T34): a correctly signed message
//! older than the maximum age is refused whatever its Expires says, and a capture
//! replayed after a SIGKILL and restart is refused as a replay (the replay journal
//! beside the store). Each attack checks the exact fault, that nothing reached the
//! application or opened a sequence, that the victim's sequence goes on in order, and
//! that the refusal was counted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::time::{Duration, SystemTime};

use common::{
    Answer, PROFILE, SCT_A, SOAP, Target, Victim, app_wire, create_sequence, delivered, prot_a,
};
use wsrx_runtime::pipeline::{self, Protection};
use wsrx_soap::{EndpointReference, OutboundAddressing, WsaVersion};

use wsrx_test::fixture::metrics::{free_addr as free_port, sum as metric};

/// Application message `number` of `seq`, signed by `prot` as if at `created`, with a
/// Timestamp that expires only after `ttl`.
fn signed_at(
    to: &str,
    prot: &Protection,
    seq: &str,
    number: u64,
    created: SystemTime,
    ttl: Duration,
) -> String {
    let wire = app_wire(seq, number);
    let mut a = OutboundAddressing::request(WsaVersion::V10, to, wsrx_runtime::echo::NOTIFY_ACTION);
    a.message_id = Some(pipeline::new_message_id());
    a.reply_to = Some(EndpointReference::new(WsaVersion::V10.anonymous()));
    let mut n = 0u32;
    let mut id_for = |name: &str| {
        n += 1;
        Some(format!("wsrx-{name}-{n}"))
    };
    let text = wsrx_rm::wire::encode(
        PROFILE,
        SOAP,
        &a,
        &wire,
        Some(&wsrx_runtime::echo::body(&format!("message {number}"))),
        &mut id_for,
    )
    .unwrap();
    let doc = wsrx_xml::Document::parse(text.as_bytes()).unwrap();
    let config = wsrx_security::SignConfig {
        ttl,
        ..wsrx_security::SignConfig::default()
    };
    wsrx_security::Signer::new(&prot.sct, &prot.secret, config)
        .secure(&doc, created, &mut wsrx_crypto::OsRandom)
        .unwrap()
}

#[test]
fn an_old_message_is_refused_whatever_its_expires_says() {
    let metrics = free_port();
    let t = Target::start(
        "max-age",
        &[
            "--metrics",
            &metrics.to_string(),
            "--max-message-age",
            "60",
            "--clock-skew",
            "5",
        ],
    );
    let mut v = Victim::create(&t);
    v.send(&t, "first");
    let ten_years = Duration::from_secs(10 * 365 * 86_400);
    let expired = "wsrx_refused_total{reason=\"MessageExpired\"}";
    let cases = [
        ("created_2_minutes_ago_expires_in_10_years", 120),
        ("created_a_day_ago_expires_in_10_years", 86_400),
    ];
    for (name, age) in cases {
        let before = metric(metrics, expired);
        let created = SystemTime::now() - Duration::from_secs(age);
        let old = signed_at(&v.url, &prot_a(), &v.seq, v.next, created, ten_years);
        let a = Answer::read(&t.post(&old));
        println!("{name}: HTTP {} fault {:?}", a.status, a.fault);
        assert_eq!((a.status, a.subcode()), (400, "MessageExpired"), "{name}");
        assert_eq!(metric(metrics, expired), before + 1.0, "{name}: counted");
    }
    // Within the age (and a far Expires): accepted, as the same message number.
    let fresh = signed_at(
        &v.url,
        &prot_a(),
        &v.seq,
        v.next,
        SystemTime::now() - Duration::from_secs(30),
        ten_years,
    );
    let a = Answer::read(&t.post(&fresh));
    assert!(a.fault.is_none(), "{}", a.text);
    common::wait_delivered(&t, &v.seq, 2);
    v.next += 1;
    v.send(&t, "third");
    let texts: Vec<u64> = delivered(&t, &v.seq).iter().map(|(n, _)| *n).collect();
    assert_eq!(texts, vec![1, 2, 3], "exactly once, in order");
}

#[test]
fn a_capture_replayed_after_sigkill_and_restart_is_refused() {
    let metrics = free_port();
    let mut t = Target::start("restart-replay", &["--metrics", &metrics.to_string()]);
    let mut v = Victim::create(&t);
    v.send(&t, "first");
    // Captured on the wire while the server accepted them: a message of the victim's
    // sequence and a CreateSequence (which, replayed, would open a sequence).
    let (n, captured_msg) = v.capture("second");
    assert!(Answer::read(&t.post(&captured_msg)).fault.is_none());
    common::wait_delivered(&t, &v.seq, n);
    let captured_create = create_sequence(&v.url, Some(&prot_a()), Some(SCT_A));
    let made = Answer::read(&t.post(&captured_create));
    let made = made
        .created()
        .expect("the captured CreateSequence was accepted");

    t.kill_and_restart();
    let metrics_after = metrics; // the restarted server serves metrics on the same port
    v.url = t.url();
    let replays = [
        ("application_message", captured_msg.as_str()),
        ("create_sequence", captured_create.as_str()),
    ];
    let series = "wsrx_refused_total{reason=\"InvalidSecurity\"}";
    for (name, capture) in replays {
        let before_log = t.deliveries().len();
        let before = metric(metrics_after, series);
        let a = Answer::read(&t.post(capture));
        println!(
            "replayed {name} after restart: HTTP {} fault {:?}",
            a.status, a.fault
        );
        assert_eq!(
            (a.status, a.subcode()),
            (400, "InvalidSecurity"),
            "{name}: {}",
            a.text
        );
        assert!(a.created().is_none(), "{name}: a sequence was opened");
        assert_eq!(t.deliveries().len(), before_log, "{name}: delivered");
        assert_eq!(
            metric(metrics_after, series),
            before + 1.0,
            "{name}: counted"
        );
    }
    // Nothing changed: the victim's sequence goes on in order after the restart, and the
    // sequence of the original CreateSequence is the only other one.
    v.send(&t, "third");
    let got: Vec<(u64, String)> = delivered(&t, &v.seq);
    let numbers: Vec<u64> = got.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, vec![1, 2, 3], "exactly once, in order: {got:?}");
    assert!(delivered(&t, &made).is_empty());
}
