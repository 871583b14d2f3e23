use std::time::Duration;

use super::*;
use crate::events::UndeliveredReason;
use crate::msg::{
    AckBody, AckRange, CloseSequence, FaultCode, FaultDetail, IncompleteSequenceBehavior, RmFault,
    SequenceAcknowledgement, TerminateSequence,
};

fn x() -> SecurityBinding {
    SecurityBinding::new("urn:uuid:sct-x")
}

fn cfg() -> SourceConfig {
    SourceConfig {
        max_in_flight: 3,
        retransmission: crate::Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(400),
            factor: 2,
            jitter_permille: 0,
        },
        ..SourceConfig::default()
    }
}

fn active() -> (Source, SequenceId) {
    let params = CreateParams {
        to: EndpointRef("http://dst".into()),
        acks_to: EndpointRef("http://src".into()),
        binding: Some(x()),
        offer: None,
    };
    let mut s = Source::create_sequence(Timestamp(0), cfg(), params, Box::new(|| 0));
    match s.poll_transmit().map(|t| t.message) {
        Some(Message::CreateSequence(cs)) => {
            assert_eq!(cs.str_token, Some(TokenRef(x())));
            assert!(cs.uses_sequence_str);
        }
        other => panic!("{other:?}"),
    }
    let id = SequenceId::new("urn:s");
    let csr = CreateSequenceResponse {
        id: id.clone(),
        expires: None,
        incomplete: None,
        accept: None,
    };
    s.handle_message(
        Timestamp(1),
        Some(&x()),
        Message::CreateSequenceResponse(csr),
    )
    .unwrap();
    assert!(matches!(s.poll_persist(), Some(StoreOp::SourceCreated(_))));
    assert!(matches!(s.poll_event(), Some(SourceEvent::Created { .. })));
    (s, id)
}

fn ack(id: &SequenceId, body: AckBody) -> Message {
    Message::SequenceAcknowledgement(SequenceAcknowledgement {
        id: id.clone(),
        body,
        final_: false,
        buffer_remaining: None,
    })
}

fn sent_numbers(s: &mut Source) -> Vec<u64> {
    let mut v = Vec::new();
    while let Some(t) = s.poll_transmit() {
        if let Message::Application(m) = t.message {
            v.push(m.sequence.number);
        }
    }
    v
}

/// Issue 20 check order on a sequence we send on (an offered one at a server): a message
/// carrying a Sequence header for it, with MessageNumber 0 or beyond 2^63−1, gets the
/// binding fault when the bound token did not prove it, and UnknownSequence (we receive
/// nothing on it) when it did; neither changes the sequence.
#[test]
fn a_sequence_header_for_our_sequence_is_checked_against_the_binding_first() {
    let (mut s, id) = active();
    let other = SecurityBinding::new("urn:uuid:sct-insider");
    let on_ours = |number| {
        Message::Application(ApplicationMessage {
            sequence: SequenceHeader {
                id: id.clone(),
                number,
                last_message: false,
            },
            ack_requested: false,
            payload: None,
        })
    };
    for number in [0, crate::msg::MAX_MESSAGE_NUMBER + 1, u64::MAX] {
        for proof in [None, Some(&other)] {
            let e = s
                .handle_message(Timestamp(2), proof, on_ours(number))
                .unwrap_err();
            assert_eq!(e, Error::BindingMismatch(id.clone()), "{number} {proof:?}");
            assert_eq!(
                e.fault().map(|f| f.kind),
                Some(FaultKind::FailedAuthentication)
            );
        }
        let e = s
            .handle_message(Timestamp(2), Some(&x()), on_ours(number))
            .unwrap_err();
        assert_eq!(e, Error::UnknownSequence(id.clone()));
    }
    assert_eq!(s.state(), SourceState::Active);
    assert!(s.poll_persist().is_none(), "no state change");
    s.send(Timestamp(3), PayloadRef(1)).unwrap();
    assert_eq!(sent_numbers(&mut s), vec![1]);
}

#[test]
fn send_is_write_ahead_and_pushes_back_at_the_window() {
    let (mut s, _) = active();
    assert_eq!(s.send(Timestamp(2), PayloadRef(1)), Ok(1));
    assert!(matches!(
        s.poll_persist(),
        Some(StoreOp::OutboundStored { number: 1, .. })
    ));
    assert_eq!(s.send(Timestamp(2), PayloadRef(2)), Ok(2));
    assert_eq!(s.send(Timestamp(2), PayloadRef(3)), Ok(3));
    assert_eq!(
        s.send(Timestamp(2), PayloadRef(4)),
        Err(Error::Backpressure)
    );
    assert_eq!(sent_numbers(&mut s), vec![1, 2, 3]);
}

#[test]
fn retransmits_with_exponential_backoff_up_to_the_cap() {
    let (mut s, _) = active();
    s.send(Timestamp(0), PayloadRef(1)).unwrap();
    sent_numbers(&mut s);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = s.poll_timeout().unwrap();
        s.handle_timeout(t);
        assert_eq!(sent_numbers(&mut s), vec![1]);
        times.push(t.millis());
    }
    assert_eq!(
        times,
        vec![100, 300, 700, 1100, 1500],
        "100, +200, +400, then the 400 ms cap"
    );
}

#[test]
fn ack_releases_and_nack_resends_at_once() {
    let (mut s, id) = active();
    for p in 1..=3 {
        s.send(Timestamp(2), PayloadRef(p)).unwrap();
    }
    sent_numbers(&mut s);
    while s.poll_persist().is_some() {}
    s.handle_message(
        Timestamp(3),
        Some(&x()),
        ack(
            &id,
            AckBody::Ranges(vec![
                AckRange { lower: 1, upper: 1 },
                AckRange { lower: 3, upper: 3 },
            ]),
        ),
    )
    .unwrap();
    assert!(matches!(
        s.poll_persist(),
        Some(StoreOp::OutboundAcked { .. })
    ));
    assert_eq!(s.in_flight(), 1);
    s.handle_message(Timestamp(4), Some(&x()), ack(&id, AckBody::Nacks(vec![2])))
        .unwrap();
    assert_eq!(sent_numbers(&mut s), vec![2], "Nack resends immediately");
}

#[test]
fn acking_an_unsent_message_is_invalid_and_ends_the_sequence() {
    let (mut s, id) = active();
    s.send(Timestamp(2), PayloadRef(1)).unwrap();
    sent_numbers(&mut s);
    let r = s.handle_message(
        Timestamp(3),
        Some(&x()),
        ack(&id, AckBody::Ranges(vec![AckRange { lower: 1, upper: 2 }])),
    );
    assert_eq!(r, Err(Error::InvalidAcknowledgement(id)));
    assert_eq!(s.state(), SourceState::Terminated);
    let t = s.poll_transmit().unwrap();
    assert!(matches!(
        t.message,
        Message::Fault(RmFault {
            kind: FaultKind::InvalidAcknowledgement,
            ..
        })
    ));
}

#[test]
fn close_waits_for_acks_then_terminate_completes() {
    let (mut s, id) = active();
    s.send(Timestamp(2), PayloadRef(1)).unwrap();
    sent_numbers(&mut s);
    s.close(Timestamp(3)).unwrap();
    assert_eq!(
        s.send(Timestamp(3), PayloadRef(2)),
        Err(Error::InvalidState("Closing"))
    );
    assert!(
        s.poll_transmit().is_none(),
        "CloseSequence waits for the ack"
    );
    s.handle_message(
        Timestamp(4),
        Some(&x()),
        ack(&id, AckBody::Ranges(vec![AckRange { lower: 1, upper: 1 }])),
    )
    .unwrap();
    assert!(
        matches!(s.poll_transmit().map(|t| t.message), Some(Message::CloseSequence(c)) if c.last_msg_number == Some(1))
    );
    s.handle_message(
        Timestamp(5),
        Some(&x()),
        Message::CloseSequenceResponse(CloseSequenceResponse { id: id.clone() }),
    )
    .unwrap();
    assert_eq!(s.state(), SourceState::Closed);
    s.terminate(Timestamp(6)).unwrap();
    s.handle_message(
        Timestamp(7),
        Some(&x()),
        Message::TerminateSequenceResponse(TerminateSequenceResponse { id }),
    )
    .unwrap();
    assert_eq!(s.state(), SourceState::Terminated);
    assert_eq!(
        s.terminate(Timestamp(8)),
        Err(Error::InvalidState("Terminated"))
    );
}

#[test]
fn inactivity_ends_the_sequence_after_keepalives() {
    let (mut s, _) = active();
    let mut keepalives = 0;
    while s.state() != SourceState::Terminated {
        let t = s.poll_timeout().unwrap();
        s.handle_timeout(t);
        while let Some(tx) = s.poll_transmit() {
            keepalives += usize::from(matches!(tx.message, Message::AckRequested(_)));
        }
    }
    assert!(keepalives >= 1);
    let mut last = None;
    while let Some(e) = s.poll_event() {
        last = Some(e);
    }
    assert_eq!(
        last,
        Some(SourceEvent::Terminated(
            TerminationReason::InactivityTimeout
        ))
    );
}

#[test]
fn restore_resends_what_is_unacknowledged() {
    let (mut s, id) = active();
    let mut log = vec![StoreOp::SourceCreated(s.record())];
    for p in 1..=3 {
        s.send(Timestamp(2), PayloadRef(p)).unwrap();
    }
    s.handle_message(
        Timestamp(3),
        Some(&x()),
        ack(&id, AckBody::Ranges(vec![AckRange { lower: 2, upper: 2 }])),
    )
    .unwrap();
    while let Some(op) = s.poll_persist() {
        log.push(op);
    }
    let mut r = Source::restore(Timestamp(10), cfg(), &log, Box::new(|| 0))
        .unwrap()
        .unwrap();
    assert_eq!(r.in_flight(), 2);
    r.handle_timeout(Timestamp(10));
    assert_eq!(sent_numbers(&mut r), vec![1, 3]);
    assert_eq!(r.send(Timestamp(10), PayloadRef(9)), Ok(4));
}

#[test]
fn the_sequence_expires_at_the_granted_time() {
    // WS-RM 1.1 §3.4: the destination grants an Expires; past it the sequence is over.
    let params = CreateParams {
        to: EndpointRef("http://dst".into()),
        acks_to: EndpointRef("http://src".into()),
        binding: Some(x()),
        offer: None,
    };
    let mut s = Source::create_sequence(Timestamp(0), cfg(), params, Box::new(|| 0));
    while s.poll_transmit().is_some() {}
    let csr = CreateSequenceResponse {
        id: SequenceId::new("urn:s"),
        expires: Some(Duration::from_secs(60)),
        incomplete: None,
        accept: None,
    };
    s.handle_message(
        Timestamp(1),
        Some(&x()),
        Message::CreateSequenceResponse(csr),
    )
    .unwrap();
    while s.poll_event().is_some() {}
    assert!(s.poll_timeout().is_some_and(|t| t <= Timestamp(60_001)));
    s.handle_timeout(Timestamp(60_001));
    assert_eq!(s.state(), SourceState::Terminated);
    let events: Vec<SourceEvent> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(
        events.contains(&SourceEvent::Terminated(TerminationReason::Expired)),
        "{events:?}"
    );
    assert!(s.send(Timestamp(60_002), PayloadRef(1)).is_err());
}

#[test]
fn numbers_run_out_at_the_maximum_message_number() {
    // WS-RM 1.1 §3.7: numbers never exceed MaxMessageNumber; the source stops there.
    let (mut s, _id) = active();
    s.config.max_message_number = 2;
    assert_eq!(s.send(Timestamp(2), PayloadRef(1)), Ok(1));
    assert_eq!(s.send(Timestamp(2), PayloadRef(2)), Ok(2));
    assert_eq!(
        s.send(Timestamp(2), PayloadRef(3)),
        Err(Error::NumbersExhausted)
    );
    assert_eq!(sent_numbers(&mut s), vec![1, 2]);
}

#[test]
fn with_bound_span_the_window_bounds_the_numbers_past_a_gap() {
    let (s, id) = active();
    let mut s = Source {
        config: SourceConfig {
            bound_span: true,
            ..s.config.clone()
        },
        ..s
    };
    for p in 1..=3 {
        s.send(Timestamp(2), PayloadRef(p)).unwrap();
    }
    // 2 and 3 acknowledged, 1 missing: one message in flight, but the window (3) spans
    // 1..=3 and a 4th would leave the destination holding 2..=4 behind the gap.
    s.handle_message(
        Timestamp(3),
        Some(&x()),
        ack(&id, AckBody::Ranges(vec![AckRange { lower: 2, upper: 3 }])),
    )
    .unwrap();
    assert_eq!(s.in_flight(), 1);
    assert!(!s.can_send());
    assert_eq!(
        s.send(Timestamp(4), PayloadRef(4)),
        Err(Error::Backpressure)
    );
    assert_eq!(s.last_number_assigned(), 3);
    // The gap filled: the window is open again.
    s.handle_message(
        Timestamp(5),
        Some(&x()),
        ack(&id, AckBody::Ranges(vec![AckRange { lower: 1, upper: 3 }])),
    )
    .unwrap();
    assert!(s.can_send());
    assert_eq!(s.send(Timestamp(6), PayloadRef(4)), Ok(4));
}

// ---- Issue 15: a sequence that ends with gaps never reports them delivered ----------

/// Sends `n` messages, acknowledges 1..=`acked`, drains everything.
fn sent_and_partly_acked(n: u64, acked: u64) -> (Source, SequenceId) {
    let (mut s, id) = active();
    s.config.max_in_flight = 64;
    for p in 1..=n {
        s.send(Timestamp(2), PayloadRef(p)).unwrap();
    }
    if acked > 0 {
        s.handle_message(
            Timestamp(3),
            Some(&x()),
            ack(
                &id,
                AckBody::Ranges(vec![AckRange {
                    lower: 1,
                    upper: acked,
                }]),
            ),
        )
        .unwrap();
    }
    while s.poll_persist().is_some() {}
    while s.poll_transmit().is_some() {}
    while s.poll_event().is_some() {}
    (s, id)
}

/// The ops and events of the last input: exactly one `SourceFailed` with `numbers` and
/// `reason`, no `SourceTerminated`, one `Undelivered`, and nothing acknowledged.
fn assert_failed(s: &mut Source, numbers: &[AckRange], reason: UndeliveredReason) {
    let ops: Vec<StoreOp> = std::iter::from_fn(|| s.poll_persist()).collect();
    let events: Vec<SourceEvent> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(
        ops.iter().any(|op| matches!(op,
            StoreOp::SourceFailed { undelivered, reason: r, .. }
                if undelivered == numbers && *r == reason)),
        "{ops:?}"
    );
    assert!(
        !ops.iter().any(|op| matches!(
            op,
            StoreOp::SourceTerminated { .. } | StoreOp::OutboundAcked { .. }
        )),
        "{ops:?}"
    );
    assert!(
        events.iter().any(|e| matches!(e,
            SourceEvent::Undelivered(u) if u.numbers == numbers && u.reason == reason
                && u.next == crate::UndeliveredPolicy::Hold)),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, SourceEvent::Acknowledged { .. })),
        "{events:?}"
    );
    assert_eq!(s.state(), SourceState::Terminated);
    assert_eq!(s.undelivered().map(|u| u.reason), Some(reason));
}

fn fault(id: &SequenceId, kind: FaultKind) -> Message {
    Message::Fault(RmFault {
        kind,
        code: FaultCode::Sender,
        detail: FaultDetail::Identifier(id.clone()),
    })
}

#[test]
fn faults_that_end_the_sequence_leave_its_unacknowledged_messages_undelivered() {
    for kind in [FaultKind::UnknownSequence, FaultKind::SequenceTerminated] {
        let (mut s, id) = sent_and_partly_acked(7, 4);
        s.handle_message(Timestamp(5), Some(&x()), fault(&id, kind))
            .unwrap();
        assert_failed(
            &mut s,
            &[AckRange { lower: 5, upper: 7 }],
            UndeliveredReason::Fault(kind),
        );
    }
}

#[test]
fn a_terminate_sequence_from_the_destination_leaves_them_undelivered() {
    let (mut s, id) = sent_and_partly_acked(3, 1);
    s.handle_message(
        Timestamp(5),
        Some(&x()),
        Message::TerminateSequence(TerminateSequence {
            id: id.clone(),
            last_msg_number: Some(1),
        }),
    )
    .unwrap();
    assert_failed(
        &mut s,
        &[AckRange { lower: 2, upper: 3 }],
        UndeliveredReason::TerminatedByDestination,
    );
}

#[test]
fn a_close_by_the_destination_fails_once_its_final_ack_leaves_gaps() {
    let (mut s, id) = sent_and_partly_acked(4, 0);
    s.handle_message(
        Timestamp(5),
        Some(&x()),
        Message::CloseSequence(CloseSequence {
            id: id.clone(),
            last_msg_number: Some(2),
        }),
    )
    .unwrap();
    assert_eq!(s.state(), SourceState::Closed);
    // The final acknowledgement covers 1 and 3: 2 and 4 are lost to this sequence.
    let final_ack = Message::SequenceAcknowledgement(SequenceAcknowledgement {
        id: id.clone(),
        body: AckBody::Ranges(vec![
            AckRange { lower: 1, upper: 1 },
            AckRange { lower: 3, upper: 3 },
        ]),
        final_: true,
        buffer_remaining: None,
    });
    while s.poll_persist().is_some() {}
    while s.poll_event().is_some() {}
    s.handle_message(Timestamp(6), Some(&x()), final_ack)
        .unwrap();
    let events: Vec<SourceEvent> = std::iter::from_fn(|| s.poll_event()).collect();
    let acked: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            SourceEvent::Acknowledged { number, .. } => Some(*number),
            _ => None,
        })
        .collect();
    assert_eq!(acked, vec![1, 3], "{events:?}");
    let undelivered = events.iter().find_map(|e| match e {
        SourceEvent::Undelivered(u) => Some(u.clone()),
        _ => None,
    });
    let u = undelivered.expect("undelivered reported");
    assert_eq!(u.numbers_text(), "2,4");
    assert_eq!(u.reason, UndeliveredReason::ClosedByDestination);
}

#[test]
fn terminating_locally_with_gaps_is_never_completed() {
    let (mut s, id) = sent_and_partly_acked(2, 1);
    s.terminate(Timestamp(5)).unwrap();
    while s.poll_persist().is_some() {}
    s.handle_message(
        Timestamp(6),
        Some(&x()),
        Message::TerminateSequenceResponse(TerminateSequenceResponse { id }),
    )
    .unwrap();
    let mut probe = s;
    let events: Vec<SourceEvent> = std::iter::from_fn(|| probe.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SourceEvent::Terminated(TerminationReason::Local))),
        "{events:?}"
    );
    assert_eq!(
        probe.undelivered().map(|u| (u.numbers_text(), u.reason)),
        Some(("2".into(), UndeliveredReason::TerminatedLocally))
    );
}

#[test]
fn inactivity_and_expiry_leave_them_undelivered() {
    let (mut s, _) = sent_and_partly_acked(2, 0);
    s.handle_timeout(Timestamp(10_000_000));
    assert_failed(
        &mut s,
        &[AckRange { lower: 1, upper: 2 }],
        UndeliveredReason::InactivityTimeout,
    );
    let (mut s, _) = sent_and_partly_acked(2, 0);
    s.expires_at = Some(Timestamp(100));
    s.handle_timeout(Timestamp(100));
    assert_failed(
        &mut s,
        &[AckRange { lower: 1, upper: 2 }],
        UndeliveredReason::Expired,
    );
}

#[test]
fn a_failed_sequence_is_recovered_as_held_messages_until_resent() {
    let (mut s, id) = active();
    s.config.max_in_flight = 64;
    let mut log: Vec<StoreOp> = vec![StoreOp::SourceCreated(s.record())];
    for p in 1..=3 {
        s.send(Timestamp(2), PayloadRef(p * 10)).unwrap();
    }
    s.handle_message(
        Timestamp(3),
        Some(&x()),
        ack(&id, AckBody::Ranges(vec![AckRange { lower: 1, upper: 1 }])),
    )
    .unwrap();
    s.handle_message(
        Timestamp(4),
        Some(&x()),
        fault(&id, FaultKind::UnknownSequence),
    )
    .unwrap();
    log.extend(std::iter::from_fn(|| s.poll_persist()));
    // A restart: no live sequence to resume, the held messages instead.
    assert!(
        Source::restore(Timestamp(9), cfg(), &log, Box::new(|| 0))
            .unwrap()
            .is_none()
    );
    let Recovered::Held(h) = Source::recover(Timestamp(9), cfg(), &log, Box::new(|| 0)).unwrap()
    else {
        panic!("not held")
    };
    assert_eq!(
        h.held.iter().map(|(n, p)| (*n, *p)).collect::<Vec<_>>(),
        vec![(2, Some(PayloadRef(20))), (3, Some(PayloadRef(30)))]
    );
    assert_eq!(
        h.reason,
        UndeliveredReason::Fault(FaultKind::UnknownSequence)
    );
    assert_eq!(h.to, EndpointRef("http://dst".into()));
    // Message 2 now travels on another sequence: only 3 is held.
    log.push(StoreOp::OutboundResent {
        id: id.clone(),
        number: 2,
        on: SequenceId::new("urn:t"),
        new_number: 1,
    });
    let Recovered::Held(h) = Source::recover(Timestamp(9), cfg(), &log, Box::new(|| 0)).unwrap()
    else {
        panic!("not held")
    };
    assert_eq!(h.held.keys().copied().collect::<Vec<_>>(), vec![3]);
    assert_eq!(h.report(crate::UndeliveredPolicy::Hold).numbers_text(), "3");
    assert!(!h.all_resent());
}

#[test]
fn resend_is_chosen_only_where_the_assurance_allows_duplicates() {
    use crate::{DeliveryAssurance as A, UndeliveredPolicy as P};
    assert_eq!(P::Resend.effective(A::AtLeastOnce), P::Resend);
    assert_eq!(P::Resend.effective(A::ExactlyOnce), P::Hold);
    assert_eq!(P::Resend.effective(A::AtMostOnce), P::Hold);
    assert_eq!(P::Hold.effective(A::AtLeastOnce), P::Hold);
    let (mut s, id) = sent_and_partly_acked(1, 0);
    s.config.assurance = A::AtLeastOnce;
    s.config.on_undelivered = P::Resend;
    s.handle_message(
        Timestamp(5),
        Some(&x()),
        fault(&id, FaultKind::UnknownSequence),
    )
    .unwrap();
    assert_eq!(s.undelivered().map(|u| u.next), Some(P::Resend));
}

#[test]
fn under_discard_following_first_gap_acknowledged_messages_past_a_gap_are_held_back() {
    let (mut s, id) = sent_and_partly_acked(0, 0);
    s.incomplete = IncompleteSequenceBehavior::DiscardFollowingFirstGap;
    for p in 1..=3 {
        s.send(Timestamp(2), PayloadRef(p)).unwrap();
    }
    while s.poll_persist().is_some() {}
    while s.poll_event().is_some() {}
    s.handle_message(
        Timestamp(3),
        Some(&x()),
        ack(
            &id,
            AckBody::Ranges(vec![
                AckRange { lower: 1, upper: 1 },
                AckRange { lower: 3, upper: 3 },
            ]),
        ),
    )
    .unwrap();
    let released: Vec<u64> = std::iter::from_fn(|| s.poll_event())
        .filter_map(|e| match e {
            SourceEvent::Acknowledged { number, .. } => Some(number),
            _ => None,
        })
        .collect();
    assert_eq!(released, vec![1], "3 waits for the gap at 2");
    assert_eq!(s.unacknowledged(), 1);
    // The destination forgets the sequence: 3 may have been discarded with it.
    s.handle_message(
        Timestamp(4),
        Some(&x()),
        fault(&id, FaultKind::UnknownSequence),
    )
    .unwrap();
    assert_eq!(
        s.undelivered().map(|u| u.numbers_text()),
        Some("2-3".into())
    );
}

/// Round trips measured on messages acknowledged without a retransmission lengthen the
/// first retransmission interval of later messages (RFC 6298, Karn's rule), within the
/// configured cap; a retransmitted message gives no sample.
#[test]
fn measured_round_trips_lengthen_the_retransmission_timer() {
    let mut c = cfg();
    c.retransmission.max = Duration::from_secs(10);
    c.max_in_flight = 8;
    let (mut s, id) = {
        let (s, id) = active();
        (Source { config: c, ..s }, id)
    };
    // Message 1 is acknowledged 300 ms after it was sent: one sample.
    s.send(Timestamp(1000), PayloadRef(1)).unwrap();
    sent_numbers(&mut s);
    s.handle_message(
        Timestamp(1300),
        Some(&x()),
        ack(&id, AckBody::Ranges(vec![AckRange { lower: 1, upper: 1 }])),
    )
    .unwrap();
    assert_eq!(s.smoothed_rtt(), Some(Duration::from_millis(300)));
    // SRTT 300 + 4·150: message 2 waits 900 ms, not the configured 100.
    s.send(Timestamp(2000), PayloadRef(2)).unwrap();
    sent_numbers(&mut s);
    assert_eq!(s.poll_timeout(), Some(Timestamp(2900)));
    // Retransmitted, then acknowledged: Karn's rule, no new sample.
    s.handle_timeout(Timestamp(2900));
    assert_eq!(sent_numbers(&mut s), vec![2]);
    s.handle_message(
        Timestamp(5000),
        Some(&x()),
        ack(&id, AckBody::Ranges(vec![AckRange { lower: 1, upper: 2 }])),
    )
    .unwrap();
    assert_eq!(s.smoothed_rtt(), Some(Duration::from_millis(300)));
}
