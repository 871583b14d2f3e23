use std::time::Duration;

use super::*;
use crate::msg::AckBody;

fn x() -> SecurityBinding {
    SecurityBinding::new("urn:uuid:sct-x")
}

fn cfg() -> SourceConfig {
    SourceConfig {
        max_in_flight: 3,
        retransmission: Backoff {
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
