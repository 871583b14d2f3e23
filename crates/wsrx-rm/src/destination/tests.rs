use std::time::Duration;

use super::*;
use crate::binding::TokenRef;
use crate::config::AckPolicy;
use crate::msg::{
    AckBody, AckRange, ApplicationMessage, CloseSequence, CreateSequence, FaultKind, PayloadRef,
    SequenceHeader,
};
use crate::msg::{MAX_MESSAGE_NUMBER, TerminateSequence};
use crate::version::RmVersion;

fn x() -> SecurityBinding {
    SecurityBinding::new("urn:uuid:sct-x")
}

fn dest(cfg: DestinationConfig) -> (Destination, SequenceId) {
    let mut seed = 1u64;
    let mut d = Destination::new(
        cfg,
        EndpointRef("http://dst".into()),
        Box::new(move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed
        }),
    );
    let cs = CreateSequence {
        acks_to: EndpointRef("http://src".into()),
        expires: None,
        offer: None,
        str_token: Some(TokenRef(x())),
        uses_sequence_str: true,
        to: None,
    };
    d.handle_message(Timestamp(0), Some(&x()), Message::CreateSequence(cs))
        .unwrap();
    let id = match d.poll_transmit().map(|t| t.message) {
        Some(Message::CreateSequenceResponse(r)) => r.id,
        other => panic!("{other:?}"),
    };
    while d.poll_persist().is_some() {}
    while d.poll_event().is_some() {}
    (d, id)
}

fn app(id: &SequenceId, n: u64) -> Message {
    Message::Application(ApplicationMessage {
        sequence: SequenceHeader {
            id: id.clone(),
            number: n,
            last_message: false,
        },
        ack_requested: false,
        payload: Some(PayloadRef(n.wrapping_add(100))),
    })
}

fn drain(d: &mut Destination) -> (Vec<StoreOp>, Vec<Transmit>, Vec<DestinationEvent>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    while let Some(o) = d.poll_persist() {
        out.0.push(o);
    }
    while let Some(o) = d.poll_transmit() {
        out.1.push(o);
    }
    while let Some(o) = d.poll_event() {
        out.2.push(o);
    }
    out
}

fn delivered(events: &[DestinationEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            DestinationEvent::Delivered { number, .. } => Some(*number),
            _ => None,
        })
        .collect()
}

#[test]
fn in_order_holds_gaps_and_reports_buffer_remaining() {
    let cfg = DestinationConfig {
        ack_policy: AckPolicy::Immediate,
        reorder_buffer: 4,
        ..Default::default()
    };
    let (mut d, id) = dest(cfg);
    d.handle_message(Timestamp(1), Some(&x()), app(&id, 2))
        .unwrap();
    let (ops, tx, ev) = drain(&mut d);
    assert!(delivered(&ev).is_empty());
    assert!(matches!(
        &ops[..],
        [StoreOp::InboundRecorded {
            number: 2,
            delivered: false,
            ..
        }]
    ));
    match &tx[..] {
        [
            Transmit {
                message: Message::SequenceAcknowledgement(a),
                ..
            },
        ] => {
            assert_eq!(
                a.body,
                AckBody::Ranges(vec![AckRange { lower: 2, upper: 2 }])
            );
            assert_eq!(a.buffer_remaining, Some(3));
        }
        other => panic!("{other:?}"),
    }
    d.handle_message(Timestamp(2), Some(&x()), app(&id, 1))
        .unwrap();
    let (ops, _, ev) = drain(&mut d);
    assert_eq!(delivered(&ev), vec![1, 2]);
    assert!(matches!(
        ops.last(),
        Some(StoreOp::DeliveredThrough { number: 2, .. })
    ));
}

#[test]
fn duplicates_are_not_redelivered_and_are_acknowledged_at_once() {
    let cfg = DestinationConfig {
        ack_policy: AckPolicy::Batched {
            count: 100,
            interval: Duration::from_secs(1),
        },
        ..Default::default()
    };
    let (mut d, id) = dest(cfg);
    d.handle_message(Timestamp(1), Some(&x()), app(&id, 1))
        .unwrap();
    let (_, tx, ev) = drain(&mut d);
    assert_eq!(delivered(&ev), vec![1]);
    assert!(tx.is_empty(), "batched: no ack yet");
    assert_eq!(d.poll_timeout(), Some(Timestamp(1001)));
    d.handle_message(Timestamp(2), Some(&x()), app(&id, 1))
        .unwrap();
    let (ops, tx, ev) = drain(&mut d);
    assert!(ops.is_empty() && delivered(&ev).is_empty());
    assert!(matches!(
        ev.as_slice(),
        [DestinationEvent::Released { number: 1, .. }]
    ));
    assert_eq!(tx.len(), 1, "a duplicate is answered with an ack");
}

#[test]
fn batched_ack_goes_out_at_the_interval() {
    let cfg = DestinationConfig {
        ack_policy: AckPolicy::Batched {
            count: 3,
            interval: Duration::from_millis(200),
        },
        in_order: false,
        ..Default::default()
    };
    let (mut d, id) = dest(cfg);
    d.handle_message(Timestamp(10), Some(&x()), app(&id, 1))
        .unwrap();
    d.handle_message(Timestamp(20), Some(&x()), app(&id, 3))
        .unwrap();
    let (_, tx, ev) = drain(&mut d);
    assert_eq!(
        delivered(&ev),
        vec![1, 3],
        "unordered delivery does not wait for 2"
    );
    assert!(tx.is_empty());
    d.handle_timeout(Timestamp(210));
    let (_, tx, _) = drain(&mut d);
    assert!(matches!(
        &tx[..],
        [Transmit {
            message: Message::SequenceAcknowledgement(_),
            ..
        }]
    ));
    // Piggy-backing takes the pending ack instead.
    d.handle_message(Timestamp(300), Some(&x()), app(&id, 2))
        .unwrap();
    let ack = d.take_ack(&id).unwrap();
    assert_eq!(
        ack.body,
        AckBody::Ranges(vec![AckRange { lower: 1, upper: 3 }])
    );
    assert_eq!(
        d.poll_timeout(),
        Some(Timestamp(300).saturating_add(Duration::from_secs(600)))
    );
}

#[test]
fn write_ahead_record_precedes_the_ack() {
    let cfg = DestinationConfig {
        ack_policy: AckPolicy::Immediate,
        ..Default::default()
    };
    let (mut d, id) = dest(cfg);
    d.handle_message(Timestamp(1), Some(&x()), app(&id, 1))
        .unwrap();
    // The ack is in poll_transmit; the record is in poll_persist, drained first.
    let (ops, tx, _) = drain(&mut d);
    assert!(matches!(
        &ops[..],
        [
            StoreOp::InboundRecorded { number: 1, .. },
            StoreOp::DeliveredThrough { .. }
        ]
    ));
    assert_eq!(tx.len(), 1);
}

#[test]
fn closed_sequence_refuses_new_messages_with_sequence_closed() {
    let (mut d, id) = dest(DestinationConfig::default());
    d.handle_message(Timestamp(1), Some(&x()), app(&id, 1))
        .unwrap();
    drain(&mut d);
    let close = Message::CloseSequence(CloseSequence {
        id: id.clone(),
        last_msg_number: Some(1),
    });
    d.handle_message(Timestamp(2), Some(&x()), close).unwrap();
    let (_, tx, _) = drain(&mut d);
    match &tx[..] {
        [
            Transmit {
                message: Message::CloseSequenceResponse(_),
                ack: Some(a),
                ..
            },
        ] => assert!(a.final_),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        d.handle_message(Timestamp(3), Some(&x()), app(&id, 2)),
        Err(Error::SequenceClosed(id.clone()))
    );
    let (ops, tx, _) = drain(&mut d);
    assert!(ops.is_empty());
    assert!(
        matches!(&tx[..], [Transmit { message: Message::Fault(f), .. }] if f.kind == FaultKind::SequenceClosed)
    );
}

#[test]
fn rollover_and_unknown_sequence_faults() {
    let cfg = DestinationConfig {
        max_message_number: 5,
        ..Default::default()
    };
    let (mut d, id) = dest(cfg);
    assert_eq!(
        d.handle_message(Timestamp(1), Some(&x()), app(&id, 6)),
        Err(Error::MessageNumberRollover(id))
    );
    let other = SequenceId::new("urn:nope");
    assert_eq!(
        d.handle_message(Timestamp(1), Some(&x()), app(&other, 1)),
        Err(Error::UnknownSequence(other))
    );
}

/// Issue 20: for a message naming a sequence, the binding (WS-RM 1.2 §5) is checked
/// before any sequence-state rule: MessageNumber 0 or beyond 2^63−1 not proven by the
/// bound token gets the binding fault (FailedAuthentication), never SequenceTerminated
/// or MessageNumberRollover, and changes nothing; proven, it gets those faults.
#[test]
fn the_binding_is_checked_before_the_message_number() {
    let (mut d, id) = dest(DestinationConfig::default());
    let other = SecurityBinding::new("urn:uuid:sct-insider");
    for number in [0, MAX_MESSAGE_NUMBER + 1, u64::MAX] {
        for proof in [None, Some(&other)] {
            assert_eq!(
                d.handle_message(Timestamp(1), proof, app(&id, number)),
                Err(Error::BindingMismatch(id.clone())),
                "number {number}, proof {proof:?}"
            );
            let (ops, tx, _) = drain(&mut d);
            assert!(ops.is_empty(), "no state change: {ops:?}");
            assert!(
                matches!(&tx[..], [Transmit { message: Message::Fault(f), .. }] if f.kind == FaultKind::FailedAuthentication),
                "{tx:?}"
            );
        }
    }
    // Proven by the bound token, the sequence-state rules answer.
    let proven = [
        (
            0,
            Error::InvalidMessageNumber(id.clone()),
            FaultKind::SequenceTerminated,
        ),
        (
            MAX_MESSAGE_NUMBER + 1,
            Error::MessageNumberRollover(id.clone()),
            FaultKind::MessageNumberRollover,
        ),
    ];
    for (number, error, kind) in proven {
        assert_eq!(
            d.handle_message(Timestamp(2), Some(&x()), app(&id, number)),
            Err(error)
        );
        let (_, tx, _) = drain(&mut d);
        assert!(
            matches!(&tx[..], [Transmit { message: Message::Fault(f), .. }] if f.kind == kind),
            "{tx:?}"
        );
    }
    // The sequence goes on: its first message is delivered.
    d.handle_message(Timestamp(3), Some(&x()), app(&id, 1))
        .unwrap();
    let (_, _, events) = drain(&mut d);
    assert_eq!(delivered(&events), vec![1]);
}

#[test]
fn restore_holds_again_and_does_not_redeliver() {
    let cfg = DestinationConfig {
        reorder_buffer: 4,
        ..Default::default()
    };
    let (mut d, id) = dest(cfg.clone());
    let mut log: Vec<StoreOp> = Vec::new();
    // The creation record, as `dest` drained it.
    let rec = d.sequences.get(&id).map(|s| DestinationRecord {
        id: id.clone(),
        version: s.version,
        acks_to: s.acks_to.clone(),
        binding: s.binding.clone(),
        expires_at: s.expires_at,
        incomplete: s.incomplete,
        offer_id: None,
    });
    log.push(StoreOp::DestinationCreated(rec.unwrap()));
    for n in [1, 3] {
        d.handle_message(Timestamp(1), Some(&x()), app(&id, n))
            .unwrap();
        log.extend(drain(&mut d).0);
    }
    let mut r = Destination::restore(
        Timestamp(5),
        cfg,
        EndpointRef("http://dst".into()),
        &log,
        Box::new(|| 0),
    )
    .unwrap();
    assert_eq!(
        r.sequence(&id).map(|s| (s.delivered_through, s.held.len())),
        Some((1, 1))
    );
    r.handle_message(Timestamp(6), Some(&x()), app(&id, 1))
        .unwrap();
    assert!(delivered(&drain(&mut r).2).is_empty());
    r.handle_message(Timestamp(6), Some(&x()), app(&id, 2))
        .unwrap();
    assert_eq!(delivered(&drain(&mut r).2), vec![2, 3]);
}

/// After a restart, inactivity resumes from the recorded time of each sequence's last
/// accepted message (issue 21), plus a bounded jitter from the injected random source;
/// a sequence whose records carry no time resumes from the restart, jittered too.
#[test]
fn restore_resumes_inactivity_from_the_recorded_time_with_jitter() {
    let cfg = DestinationConfig {
        inactivity_timeout: Duration::from_secs(600),
        ..Default::default()
    };
    let timeout = 600_000u64;
    let spread = timeout * restore::RESUME_JITTER_PERMILLE / 1000;
    let mut log: Vec<StoreOp> = Vec::new();
    let mut ids = Vec::new();
    // Three sequences, last active at 1 000, 2 000 and never (an old-format record).
    let (mut d, first) = dest(cfg.clone());
    let mut created = vec![first];
    for _ in 0..2 {
        let cs = CreateSequence {
            acks_to: EndpointRef("http://src".into()),
            expires: None,
            offer: None,
            str_token: Some(TokenRef(x())),
            uses_sequence_str: true,
            to: None,
        };
        d.handle_message(Timestamp(0), Some(&x()), Message::CreateSequence(cs))
            .unwrap();
        match d.poll_transmit().map(|t| t.message) {
            Some(Message::CreateSequenceResponse(r)) => created.push(r.id),
            other => panic!("{other:?}"),
        }
        drain(&mut d);
    }
    for (id, at) in created.iter().zip([Some(1_000u64), Some(2_000), None]) {
        let rec = d.sequences.get(id).map(|s| DestinationRecord {
            id: id.clone(),
            version: s.version,
            acks_to: s.acks_to.clone(),
            binding: s.binding.clone(),
            expires_at: s.expires_at,
            incomplete: s.incomplete,
            offer_id: None,
        });
        log.push(StoreOp::DestinationCreated(rec.unwrap()));
        d.handle_message(Timestamp(at.unwrap_or(500)), Some(&x()), app(id, 1))
            .unwrap();
        for op in drain(&mut d).0 {
            log.push(match op {
                StoreOp::InboundRecorded {
                    id,
                    number,
                    payload,
                    delivered,
                    last,
                    at: recorded,
                } => {
                    // The Destination records the time it accepted the message.
                    assert_eq!(recorded, Some(Timestamp(at.unwrap_or(500))));
                    StoreOp::InboundRecorded {
                        id,
                        number,
                        payload,
                        delivered,
                        last,
                        at: at.map(Timestamp),
                    }
                }
                other => other,
            });
        }
        ids.push((id.clone(), at));
    }
    let restart = 100_000u64;
    // Fixed draws: every sequence gets the same jitter, so each deadline is checkable.
    let draws = [7u64, 1u64 << 40];
    for draw in draws {
        let r = Destination::restore(
            Timestamp(restart),
            cfg.clone(),
            EndpointRef("http://dst".into()),
            &log,
            Box::new(move || draw),
        )
        .unwrap();
        let jitter = draw % (spread + 1);
        assert!(jitter <= spread);
        for (id, at) in &ids {
            let s = r.sequence(id).unwrap();
            let base = at.unwrap_or(restart);
            assert_eq!(s.last_activity, Timestamp(base + jitter), "{id}");
        }
        // The first deadline is the oldest sequence's, not the restart's.
        assert_eq!(r.poll_timeout(), Some(Timestamp(1_000 + jitter + timeout)));
    }
    // Draws that differ spread sequences that went idle in the same instant.
    let mut n = 0u64;
    let r = Destination::restore(
        Timestamp(restart),
        cfg,
        EndpointRef("http://dst".into()),
        &log,
        Box::new(move || {
            n += 1;
            n * 1_000
        }),
    )
    .unwrap();
    let mut restarted: Vec<u64> = ids
        .iter()
        .map(|(id, _)| r.sequence(id).unwrap().last_activity.0)
        .collect();
    restarted.sort_unstable();
    restarted.dedup();
    assert_eq!(restarted.len(), 3);
    // A record from the future (a clock that went back) resumes from the restart.
    let future: Vec<StoreOp> = log
        .iter()
        .cloned()
        .map(|op| match op {
            StoreOp::InboundRecorded {
                id,
                number,
                payload,
                delivered,
                last,
                ..
            } => StoreOp::InboundRecorded {
                id,
                number,
                payload,
                delivered,
                last,
                at: Some(Timestamp(restart * 10)),
            },
            other => other,
        })
        .collect();
    let r = Destination::restore(
        Timestamp(restart),
        DestinationConfig::default(),
        EndpointRef("http://dst".into()),
        &future,
        Box::new(|| 0),
    )
    .unwrap();
    for (id, _) in &ids {
        assert_eq!(r.sequence(id).unwrap().last_activity, Timestamp(restart));
    }
}

/// The idle-sequence memory budget (2 KB): the hash-map entry (key + value inline) plus
/// the heap it owns (identifier, AcksTo, binding, one-range vector; an empty reorder
/// buffer allocates nothing). Hash-map bucket overhead (one control byte) is not counted.
#[test]
fn idle_sequence_memory_is_under_two_kilobytes() {
    let (mut d, id) = dest(DestinationConfig::default());
    d.handle_message(Timestamp(1), Some(&x()), app(&id, 1))
        .unwrap();
    drain(&mut d);
    let (inline, heap) = d.sequence_memory(&id).unwrap();
    println!(
        "idle sequence: {inline} bytes inline + {heap} bytes heap = {}",
        inline + heap
    );
    assert!(inline + heap < 2048, "{inline} + {heap}");
}

#[test]
fn a_repeated_create_sequence_is_answered_with_the_sequence_it_created() {
    let (mut d, id) = dest(DestinationConfig::default());
    let cs = CreateSequence {
        acks_to: EndpointRef("http://src".into()),
        expires: None,
        offer: None,
        str_token: Some(TokenRef(x())),
        uses_sequence_str: true,
        to: None,
    };
    assert!(d.answer_repeated_create(Timestamp(5), Some(&x()), &id, &cs));
    let (persisted, sent, events) = drain(&mut d);
    assert!(persisted.is_empty(), "nothing new to store");
    assert!(events.is_empty(), "no new sequence");
    assert_eq!(d.open_sequences(), 1);
    match sent.as_slice() {
        [t] => match &t.message {
            Message::CreateSequenceResponse(r) => assert_eq!(r.id, id),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }

    // A copy proven by another token, or with another AcksTo, is not the same request.
    let other = SecurityBinding::new("urn:uuid:sct-y");
    assert!(!d.answer_repeated_create(Timestamp(5), Some(&other), &id, &cs));
    let moved = CreateSequence {
        acks_to: EndpointRef("http://elsewhere".into()),
        ..cs.clone()
    };
    assert!(!d.answer_repeated_create(Timestamp(5), Some(&x()), &id, &moved));
    let unknown = SequenceId::new("urn:uuid:not-created-here");
    assert!(!d.answer_repeated_create(Timestamp(5), Some(&x()), &unknown, &cs));
    let (persisted, sent, events) = drain(&mut d);
    assert!(persisted.is_empty() && sent.is_empty() && events.is_empty());
}

/// Issue 15, the destination's half: a message it acknowledged reaches the application
/// even when the sequence ends with a gap before it, and even across a crash: held past
/// the gap, restored from the records, delivered when the destination itself terminates
/// the sequence (NoDiscard) or it runs out of time.
#[test]
fn acknowledged_held_messages_are_delivered_after_a_crash_when_the_sequence_ends() {
    for end_by_timeout in [false, true] {
        let cfg = DestinationConfig {
            reorder_buffer: 4,
            ..Default::default()
        };
        let (mut d, id) = dest(cfg.clone());
        let rec = d.sequences.get(&id).map(|s| DestinationRecord {
            id: id.clone(),
            version: s.version,
            acks_to: s.acks_to.clone(),
            binding: s.binding.clone(),
            expires_at: s.expires_at,
            incomplete: s.incomplete,
            offer_id: None,
        });
        let mut log = vec![StoreOp::DestinationCreated(rec.unwrap())];
        // 1 and 3 arrive (2 never does); both are acknowledged, 3 is held.
        for n in [1, 3] {
            d.handle_message(Timestamp(1), Some(&x()), app(&id, n))
                .unwrap();
            log.extend(drain(&mut d).0);
        }
        let ack = d.acknowledgement(&id).unwrap();
        assert_eq!(
            ack.body,
            AckBody::Ranges(vec![
                AckRange { lower: 1, upper: 1 },
                AckRange { lower: 3, upper: 3 }
            ])
        );
        // A crash; the restored destination ends the sequence.
        let mut r = Destination::restore(
            Timestamp(5),
            cfg.clone(),
            EndpointRef("http://dst".into()),
            &log,
            Box::new(|| 0),
        )
        .unwrap();
        if end_by_timeout {
            r.handle_timeout(Timestamp(5).saturating_add(cfg.inactivity_timeout));
        } else {
            r.terminate(&id).unwrap();
        }
        let (ops, _, events) = drain(&mut r);
        assert_eq!(
            delivered(&events),
            vec![3],
            "acknowledged 3 reaches the app"
        );
        // Its delivery is recorded in the same batch as the termination.
        let at = |want: fn(&StoreOp) -> bool| ops.iter().position(want).unwrap();
        assert!(
            at(|op| matches!(op, StoreOp::DeliveredThrough { number: 3, .. }))
                < at(|op| matches!(op, StoreOp::DestinationTerminated { .. }))
        );
    }
}

#[test]
fn a_last_msg_number_below_a_received_message_is_refused_without_change() {
    for version in [RmVersion::V1_1, RmVersion::V1_0] {
        let (mut d, id) = dest(DestinationConfig {
            version,
            ..Default::default()
        });
        for n in 1..=3 {
            d.handle_message(Timestamp(1), Some(&x()), app(&id, n))
                .unwrap();
        }
        drain(&mut d);
        let want = match version {
            RmVersion::V1_0 => (
                Error::LastMessageNumberExceeded(id.clone()),
                FaultKind::LastMessageNumberExceeded,
            ),
            RmVersion::V1_1 => (Error::SequenceClosed(id.clone()), FaultKind::SequenceClosed),
        };
        let mut conflicts = vec![Message::TerminateSequence(TerminateSequence {
            id: id.clone(),
            last_msg_number: Some(1),
        })];
        if version == RmVersion::V1_1 {
            conflicts.push(Message::CloseSequence(CloseSequence {
                id: id.clone(),
                last_msg_number: Some(2),
            }));
        }
        for m in conflicts {
            assert_eq!(
                d.handle_message(Timestamp(2), Some(&x()), m),
                Err(want.0.clone())
            );
            let (ops, tx, _) = drain(&mut d);
            assert!(ops.is_empty(), "{version:?}: state changed: {ops:?}");
            assert!(
                matches!(&tx[..], [Transmit { message: Message::Fault(f), .. }] if f.kind == want.1),
                "{version:?}: {tx:?}"
            );
        }
        // Nothing changed: the next message is taken and delivered in order.
        d.handle_message(Timestamp(3), Some(&x()), app(&id, 4))
            .unwrap();
        let (_, _, events) = drain(&mut d);
        assert_eq!(delivered(&events), vec![4], "{version:?}");
    }
}

#[test]
fn a_full_delivery_backlog_drops_new_messages_until_the_application_hands_over() {
    let cfg = DestinationConfig {
        ack_policy: AckPolicy::Immediate,
        delivery_backlog: 2,
        ..Default::default()
    };
    let (mut d, id) = dest(cfg);
    for n in 1..=2 {
        d.handle_message(Timestamp(n), Some(&x()), app(&id, n))
            .unwrap();
    }
    let (_, _, ev) = drain(&mut d);
    assert_eq!(delivered(&ev), vec![1, 2]);
    assert_eq!(d.backlog(&id), Some(2));
    // 3 finds the backlog full: not recorded, not delivered, released, and the
    // acknowledgement sent at once does not cover it (the source resends it).
    d.handle_message(Timestamp(3), Some(&x()), app(&id, 3))
        .unwrap();
    let (ops, tx, ev) = drain(&mut d);
    assert!(ops.is_empty(), "{ops:?}");
    assert!(delivered(&ev).is_empty());
    assert!(matches!(
        &ev[..],
        [DestinationEvent::Released { number: 3, .. }]
    ));
    match &tx[..] {
        [
            Transmit {
                message: Message::SequenceAcknowledgement(a),
                ..
            },
        ] => assert_eq!(
            a.body,
            AckBody::Ranges(vec![AckRange { lower: 1, upper: 2 }])
        ),
        other => panic!("{other:?}"),
    }
    assert!(!d.has_received(&id, 3));
    assert_eq!(d.backlog_drops(), 1);
    // A duplicate of an accepted message is still acknowledged, not counted as a drop.
    d.handle_message(Timestamp(4), Some(&x()), app(&id, 2))
        .unwrap();
    let _ = drain(&mut d);
    assert_eq!(d.backlog_drops(), 1);
    // One handed over: the resent 3 is accepted and delivered.
    d.handed_over(&id);
    assert_eq!(d.backlog(&id), Some(1));
    d.handle_message(Timestamp(5), Some(&x()), app(&id, 3))
        .unwrap();
    let (_, _, ev) = drain(&mut d);
    assert_eq!(delivered(&ev), vec![3]);
    assert_eq!(d.backlog(&id), Some(2));
    assert_eq!(d.total_backlog(), 2);
    // Hand-overs of an unknown sequence, or beyond what was delivered, change nothing.
    d.handed_over(&SequenceId::new("urn:unknown"));
    for _ in 0..5 {
        d.handed_over(&id);
    }
    assert_eq!(d.backlog(&id), Some(0));
}

#[test]
fn held_messages_do_not_count_against_the_delivery_backlog() {
    let cfg = DestinationConfig {
        ack_policy: AckPolicy::Immediate,
        delivery_backlog: 1,
        reorder_buffer: 4,
        ..Default::default()
    };
    let (mut d, id) = dest(cfg);
    // 2..4 wait for 1 in the reorder buffer; 1 is still admitted, and all four are
    // delivered together (the backlog may exceed its bound by what was held).
    for n in [2, 3, 4, 1] {
        d.handle_message(Timestamp(n), Some(&x()), app(&id, n))
            .unwrap();
    }
    let (_, _, ev) = drain(&mut d);
    assert_eq!(delivered(&ev), vec![1, 2, 3, 4]);
    assert_eq!(d.backlog(&id), Some(4));
    d.handle_message(Timestamp(6), Some(&x()), app(&id, 5))
        .unwrap();
    assert!(!d.has_received(&id, 5));
}
