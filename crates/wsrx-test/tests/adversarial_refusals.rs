//! Check order and visible refusals against the real `wsrx serve` over HTTP (issue 20
//! items 2, 4 and 7; threat model T36, T37, T42): on the offered (duplex response) sequence a
//! message not proven by its bound token gets the binding fault, not a silent 202; an
//! acknowledgement of responses never sent gets `wsrm:InvalidAcknowledgement`; a
//! LastMsgNumber below a received message is faulted with no state change; and every
//! refusal is counted by reason and by identity. After each refusal the victim's
//! sequence goes on, exactly once and in order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::net::SocketAddr;

use common::{
    Answer, SCT_A, SCT_B, Target, Victim, ack, application, close, delivered, prot_a, prot_b, seal,
    terminate,
};
use wsrx_rm::SequenceId;
use wsrx_rm::msg::{AckRange, EndpointRef, Offer};
use wsrx_rm::wire::{CreateSequenceBody, RmBody, RmHeader, StrRef, WireBody, WireMessage};
use wsrx_soap::WsaVersion;

use wsrx_test::fixture::metrics::{free_addr as free_port, sum as metric};

fn reason(r: &str) -> String {
    format!("wsrx_refused_total{{reason=\"{r}\"}}")
}

fn by_identity(who: &str) -> String {
    format!("wsrx_refused_by_identity_total{{identity=\"{who}\"}}")
}

/// Posts `attack`; checks status and subcode, that the two series grew by one, that
/// nothing was delivered; then the victim sends its next message.
#[allow(clippy::too_many_arguments, reason = "one line per case reads best")]
fn refused(
    t: &Target,
    v: &mut Victim,
    metrics: SocketAddr,
    name: &str,
    attack: &str,
    want: (u16, &str),
    who: &str,
    log: &mut Vec<u64>,
) {
    let before = (
        metric(metrics, &reason(want.1)),
        metric(metrics, &by_identity(who)),
        t.deliveries().len(),
    );
    let a = Answer::read(&t.post(attack));
    println!("{name}: HTTP {} fault {:?}", a.status, a.fault);
    assert_eq!((a.status, a.subcode()), want, "{name}: {}", a.text);
    assert_eq!(
        metric(metrics, &reason(want.1)),
        before.0 + 1.0,
        "{name}: counted by reason"
    );
    assert_eq!(
        metric(metrics, &by_identity(who)),
        before.1 + 1.0,
        "{name}: counted by identity"
    );
    assert_eq!(t.deliveries().len(), before.2, "{name}: delivered");
    v.send(t, &format!("after {name}"));
    log.push(v.next - 1);
    let got: Vec<u64> = delivered(t, &v.seq).iter().map(|(n, _)| *n).collect();
    assert_eq!(got, *log, "{name}: the victim's sequence");
}

/// A sequence bound to A that offers `offered` for responses (anonymous endpoint).
fn create_with_offer(t: &Target, offered: &str) -> Victim {
    let url = t.url();
    let wire = WireMessage {
        headers: vec![RmHeader::UsesSequenceStr],
        body: WireBody::Rm(RmBody::CreateSequence(CreateSequenceBody {
            acks_to: EndpointRef(WsaVersion::V10.anonymous().to_owned()),
            expires: None,
            offer: Some(Offer {
                id: SequenceId::new(offered),
                endpoint: EndpointRef(WsaVersion::V10.anonymous().to_owned()),
                expires: None,
                incomplete: None,
            }),
            str_ref: Some(StrRef {
                uri: SCT_A.to_owned(),
                value_type: Some(common::PROFILE.sct_value_type().to_owned()),
            }),
        })),
    };
    let a = Answer::read(&t.post(&seal(&url, "", &wire, None, Some(&prot_a()))));
    let seq = a
        .created()
        .unwrap_or_else(|| panic!("offer refused: {}\n{}", a.status, a.text));
    Victim { url, seq, next: 1 }
}

#[test]
fn refusals_on_the_offered_sequence_are_faults_and_every_refusal_is_counted() {
    let metrics = free_port();
    let t = Target::start("refusals", &["--metrics", &metrics.to_string()]);
    let offered = "urn:uuid:0ffe0000-0000-4000-8000-00000000000f";
    let mut v = create_with_offer(&t, offered);
    let mut log = Vec::new();
    v.send(&t, "first");
    log.push(1);
    let url = v.url.clone();
    let (b, one) = (prot_b(), vec![AckRange { lower: 1, upper: 1 }]);
    let unauth = wsrx_runtime::metrics::UNAUTHENTICATED;
    let fa = (400, "FailedAuthentication");
    let cases: Vec<(&str, String, (u16, &str), &str)> = vec![
        // The offered sequence is bound to A's token too (WS-RM 1.2 §5).
        (
            "insider_b_acknowledges_offered",
            ack(&url, Some(&b), offered, one.clone()),
            fa,
            SCT_B,
        ),
        (
            "unsigned_acknowledges_offered",
            ack(&url, None, offered, one.clone()),
            fa,
            unauth,
        ),
        (
            "insider_b_closes_offered",
            close(&url, Some(&b), offered, None),
            fa,
            SCT_B,
        ),
        (
            "unsigned_terminates_offered",
            terminate(&url, None, offered, None),
            fa,
            unauth,
        ),
        // Refusals of the forward sequence, now counted too.
        (
            "insider_b_sends_into_a",
            application(&url, Some(&b), &v.seq, v.next, "hijacked"),
            fa,
            SCT_B,
        ),
        (
            "insider_b_acknowledges_an_unknown_sequence",
            ack(&url, Some(&b), "urn:uuid:no-such-sequence", one.clone()),
            (400, "UnknownSequence"),
            SCT_B,
        ),
    ];
    for (name, attack, want, who) in cases {
        refused(&t, &mut v, metrics, name, &attack, want, who, &mut log);
    }
    // A itself acknowledges responses the server never sent on the offered sequence
    // (the victim sends one-way messages): InvalidAcknowledgement, not 202. Last: the
    // Source then ends the offered sequence (WS-RM 1.1 §4.4); the forward one goes on.
    let bogus = ack(
        &url,
        Some(&prot_a()),
        offered,
        vec![AckRange { lower: 1, upper: 5 }],
    );
    refused(
        &t,
        &mut v,
        metrics,
        "a_acknowledges_unsent_responses",
        &bogus,
        (400, "InvalidAcknowledgement"),
        SCT_A,
        &mut log,
    );
}

#[test]
fn a_last_msg_number_below_a_received_message_is_faulted_without_change() {
    let metrics = free_port();
    let t = Target::start("last-number", &["--metrics", &metrics.to_string()]);
    let mut v = Victim::create(&t);
    let mut log = Vec::new();
    for text in ["one", "two", "three"] {
        v.send(&t, text);
        log.push(v.next - 1);
    }
    let url = v.url.clone();
    let seq = v.seq.clone();
    let a = prot_a();
    let closed = (400, "SequenceClosed");
    refused(
        &t,
        &mut v,
        metrics,
        "close_with_last_msg_number_2_after_3",
        &close(&url, Some(&a), &seq, Some(2)),
        closed,
        SCT_A,
        &mut log,
    );
    refused(
        &t,
        &mut v,
        metrics,
        "terminate_with_last_msg_number_1_after_4",
        &terminate(&url, Some(&a), &seq, Some(1)),
        closed,
        SCT_A,
        &mut log,
    );
    // The sequence is still open and ends normally with the right number.
    let done = Answer::read(&t.post(&close(&url, Some(&a), &seq, Some(v.next - 1))));
    assert!(done.fault.is_none(), "{}", done.text);
    assert_eq!(done.acked(&seq), Some(vec![(1, v.next - 1)]));
}

/// Issue 20 check order: a message naming a sequence with MessageNumber 0 or 2^63 that
/// its bound token did not prove gets the binding fault (FailedAuthentication), not
/// SequenceTerminated / MessageNumberRollover, on the received sequence and on the
/// offered one; counted, nothing delivered, the victim's sequence goes on in order.
#[test]
fn out_of_range_message_numbers_not_proven_get_the_binding_fault() {
    let metrics = free_port();
    let t = Target::start("number-order", &["--metrics", &metrics.to_string()]);
    let offered = "urn:uuid:0ffe0000-0000-4000-8000-0000000000f0";
    let mut v = create_with_offer(&t, offered);
    let mut log = Vec::new();
    v.send(&t, "first");
    log.push(1);
    let url = v.url.clone();
    let b = prot_b();
    let unauth = wsrx_runtime::metrics::UNAUTHENTICATED;
    let fa = (400, "FailedAuthentication");
    let rollover = 1u64 << 63;
    let cases: Vec<(&str, String, (u16, &str), &str)> = vec![
        (
            "insider_b_number_0",
            application(&url, Some(&b), &v.seq, 0, "zero"),
            fa,
            SCT_B,
        ),
        (
            "insider_b_number_2_63",
            application(&url, Some(&b), &v.seq, rollover, "rollover"),
            fa,
            SCT_B,
        ),
        (
            "unsigned_number_0",
            application(&url, None, &v.seq, 0, "zero"),
            fa,
            unauth,
        ),
        (
            "unsigned_number_2_63",
            application(&url, None, &v.seq, rollover, "rollover"),
            fa,
            unauth,
        ),
        (
            "insider_b_number_0_on_offered",
            application(&url, Some(&b), offered, 0, "zero"),
            fa,
            SCT_B,
        ),
        (
            "unsigned_number_2_63_on_offered",
            application(&url, None, offered, rollover, "rollover"),
            fa,
            unauth,
        ),
    ];
    for (name, attack, want, who) in cases {
        refused(&t, &mut v, metrics, name, &attack, want, who, &mut log);
    }
}
