//! Sequence hijacking, spoofing and replay against the real `wsrx serve` over HTTP
//! (issue 9; threat model T6, T8, T9). Client A (the victim) owns a sequence bound to
//! SCT A; client B is properly authenticated with its own SCT B; a third sender signs
//! nothing. Each attack checks the exact fault, that nothing reached the application,
//! and that the victim's sequence then goes on and completes exactly once, in order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use common::{
    Answer, SCT_A, SCT_B, Target, Victim, ack, ack_requested, application, close, create_sequence,
    delivered, prot_a, prot_b, terminate,
};
use wsrx_rm::msg::AckRange;
use wsrx_runtime::pipeline::Protection;

/// Posts `attack`, checks the fault and that the delivery log did not change, then has
/// the victim send one more message.
fn refused(
    t: &Target,
    v: &mut Victim,
    name: &str,
    attack: &str,
    want: (u16, &str),
    log: &mut Vec<(u64, String)>,
) {
    let before = t.deliveries().len();
    let a = Answer::read(&t.post(attack));
    println!("{name}: HTTP {} fault {:?}", a.status, a.fault);
    assert_eq!(a.status, want.0, "{name}: {}", a.text);
    if want.1.is_empty() {
        // Ignored: no fault, no answer, no state change (checked below).
        assert!(a.fault.is_none() && a.text.is_empty(), "{name}: {}", a.text);
    } else {
        assert_eq!(a.subcode(), want.1, "{name}: {}", a.text);
    }
    assert_eq!(
        t.deliveries().len(),
        before,
        "{name}: something reached the application"
    );
    let text = format!("victim after {name}");
    v.send(t, &text);
    log.push((v.next - 1, text));
    assert_eq!(delivered(t, &v.seq), *log, "{name}: the victim's sequence");
}

#[test]
fn hijacking_and_spoofing_are_refused_and_the_victims_sequence_completes() {
    let t = Target::start("hijack", &[]);
    let mut v = Victim::create(&t);
    let mut log = Vec::new();
    v.send(&t, "first");
    log.push((1, "first".to_owned()));
    let url = v.url.clone();
    let seq = v.seq.clone();
    let b = prot_b();
    // B has a sequence of its own: B is a legitimate, authenticated client.
    let own = Answer::read(&t.post(&create_sequence(&url, Some(&b), Some(SCT_B))));
    let b_seq = own.created().unwrap();
    assert!(
        Answer::read(&t.post(&application(&url, Some(&b), &b_seq, 1, "b's own")))
            .fault
            .is_none()
    );

    let senders: [(&str, Option<&Protection>); 2] = [("insider_b", Some(&b)), ("unsigned", None)];
    for (who, p) in senders {
        let n = v.next;
        let cases = [
            (
                "sends_into_a",
                application(&url, p, &seq, n, "hijacked"),
                (400, "FailedAuthentication"),
            ),
            (
                "sends_next_number_into_a",
                application(&url, p, &seq, n + 5, "hijacked"),
                (400, "FailedAuthentication"),
            ),
            // An acknowledgement sent to a Destination for a sequence it does not send
            // on: wsrm:UnknownSequence (WS-RM 1.1 §4.3), whoever signs it; nothing changes.
            (
                "acknowledges_a",
                ack(
                    &url,
                    p,
                    &seq,
                    vec![AckRange {
                        lower: 1,
                        upper: 100,
                    }],
                ),
                (400, "UnknownSequence"),
            ),
            (
                "requests_acks_of_a",
                ack_requested(&url, p, &seq),
                (400, "FailedAuthentication"),
            ),
            (
                "closes_a",
                close(&url, p, &seq, Some(n)),
                (400, "FailedAuthentication"),
            ),
            (
                "terminates_a",
                terminate(&url, p, &seq, Some(n)),
                (400, "FailedAuthentication"),
            ),
        ];
        for (what, msg, want) in cases {
            refused(&t, &mut v, &format!("{who}_{what}"), &msg, want, &mut log);
        }
    }
    // A CreateSequence naming A's SCT, signed by B; and one naming A's SCT, unsigned.
    refused(
        &t,
        &mut v,
        "create_sequence_str_names_a_signed_by_b",
        &create_sequence(&url, Some(&b), Some(SCT_A)),
        (400, "CreateSequenceRefused"),
        &mut log,
    );
    refused(
        &t,
        &mut v,
        "create_sequence_str_names_a_unsigned",
        &create_sequence(&url, None, Some(SCT_A)),
        (400, "CreateSequenceRefused"),
        &mut log,
    );
    refused(
        &t,
        &mut v,
        "create_sequence_without_str_unsigned",
        &create_sequence(&url, None, None),
        (400, "CreateSequenceRefused"),
        &mut log,
    );

    // The victim completes its sequence.
    let last = v.next - 1;
    let c = Answer::read(&t.post(&close(&url, Some(&prot_a()), &seq, Some(last))));
    assert!(c.fault.is_none(), "close: {}", c.text);
    let tr = Answer::read(&t.post(&terminate(&url, Some(&prot_a()), &seq, Some(last))));
    assert!(tr.fault.is_none(), "terminate: {}", tr.text);
    assert_eq!(delivered(&t, &seq), log, "exactly once, in order");
    assert_eq!(delivered(&t, &b_seq).len(), 1, "B's own message");
}

#[test]
fn replays_are_never_delivered_twice() {
    let t = Target::start("replay", &[]);
    let mut v = Victim::create(&t);
    let url = v.url.clone();
    let seq = v.seq.clone();

    // 1. The exact same bytes again: the signature was seen (replay cache).
    let (n, m) = v.capture("once");
    let first = Answer::read(&t.post(&m));
    assert!(first.fault.is_none(), "{}", first.text);
    common::wait_delivered(&t, &seq, n);
    let again = Answer::read(&t.post(&m));
    println!(
        "exact_replay: HTTP {} fault {:?}",
        again.status, again.fault
    );
    assert_eq!(again.status, 400, "{}", again.text);
    assert_eq!(again.subcode(), "InvalidSecurity", "{}", again.text);
    assert_eq!(delivered(&t, &seq), vec![(n, "once".to_owned())]);

    // 2. The same message re-protected (what a retransmission is): an RM duplicate,
    //    acknowledged and not delivered again.
    let dup = Answer::read(&t.post(&application(&url, Some(&prot_a()), &seq, n, "once")));
    println!(
        "resealed_duplicate: HTTP {} acked {:?}",
        dup.status,
        dup.acked(&seq)
    );
    assert!(dup.fault.is_none(), "{}", dup.text);
    assert!(
        dup.acked(&seq)
            .unwrap()
            .iter()
            .any(|(l, u)| *l <= n && n <= *u)
    );
    assert_eq!(delivered(&t, &seq), vec![(n, "once".to_owned())]);

    // 3. A captured message moved into another sequence of the same client (the
    //    Identifier rewritten): the signature breaks.
    let other = Answer::read(&t.post(&create_sequence(&url, Some(&prot_a()), Some(SCT_A))))
        .created()
        .unwrap();
    let (n2, m2) = v.capture("moved");
    let moved = m2.replace(&format!(">{seq}<"), &format!(">{other}<"));
    assert_ne!(moved, m2);
    let a = Answer::read(&t.post(&moved));
    println!(
        "moved_to_another_sequence: HTTP {} fault {:?}",
        a.status, a.fault
    );
    assert_eq!(a.status, 400);
    assert_eq!(a.subcode(), "FailedCheck", "{}", a.text);
    assert!(delivered(&t, &other).is_empty());
    // The genuine one still goes in.
    assert!(Answer::read(&t.post(&m2)).fault.is_none());
    common::wait_delivered(&t, &seq, n2);
    let mut want = vec![(n, "once".to_owned()), (n2, "moved".to_owned())];
    assert_eq!(delivered(&t, &seq), want);

    // The sequence completes.
    v.send(&t, "last");
    want.push((v.next - 1, "last".to_owned()));
    let last = v.next - 1;
    assert!(
        Answer::read(&t.post(&close(&url, Some(&prot_a()), &seq, Some(last))))
            .fault
            .is_none()
    );
    assert!(
        Answer::read(&t.post(&terminate(&url, Some(&prot_a()), &seq, Some(last))))
            .fault
            .is_none()
    );
    assert_eq!(delivered(&t, &seq), want, "exactly once, in order");
}
