//! WS-RM 1.2 §5 (spec-facts §2.2): a sequence bound to SCT X accepts only messages proven
//! by X. A message proven by another token, or by none, is refused with the documented
//! fault and leaves the sequence unchanged; the sequence still completes afterwards.

use super::util::{Faults, Pair};
use crate::binding::TokenRef;
use crate::msg::{
    AckBody, AckRange, AckRequested, ApplicationMessage, CloseSequence, CloseSequenceResponse,
    CreateSequence, CreateSequenceResponse, EndpointRef, FaultKind, Message, PayloadRef,
    RefusalReason, SequenceAcknowledgement, SequenceHeader, SequenceId, TerminateSequence,
    TerminateSequenceResponse,
};
use crate::{DestinationConfig, Error, SecurityBinding, SourceConfig, SourceState, StoreOp};

fn pair() -> Pair {
    Pair::new(
        7,
        Faults::NONE,
        SourceConfig::default(),
        DestinationConfig::default(),
    )
}

/// Creates a bound sequence and gets two of three messages delivered.
fn established() -> (Pair, SequenceId) {
    let mut p = pair();
    p.create();
    while p.source_state() != Some(SourceState::Active) {
        assert!(p.step());
    }
    for i in 0..2 {
        p.with_source(|s, now| s.send(now, PayloadRef(i)))
            .unwrap()
            .unwrap();
    }
    while p.delivered.len() < 2 {
        assert!(p.step());
    }
    let id = p.source.as_ref().unwrap().id().unwrap().clone();
    (p, id)
}

/// Drives the sequence to completion: the third message, close, terminate.
fn complete(p: &mut Pair) {
    p.with_source(|s, now| s.send(now, PayloadRef(2)))
        .unwrap()
        .unwrap();
    for _ in 0..10_000 {
        match p.source_state() {
            Some(SourceState::Active) if p.source.as_ref().unwrap().in_flight() == 0 => {
                p.with_source(|s, now| s.close(now)).unwrap().unwrap();
            }
            Some(SourceState::Closed) => p.with_source(|s, now| s.terminate(now)).unwrap().unwrap(),
            Some(SourceState::Terminated) => break,
            _ => {}
        }
        if !p.step() {
            break;
        }
    }
    assert_eq!(p.source_state(), Some(SourceState::Terminated));
    assert_eq!(
        p.terminated_reason(),
        Some(&crate::TerminationReason::Completed)
    );
    let got: Vec<_> = p.delivered.iter().map(|d| d.2).collect();
    assert_eq!(got, vec![PayloadRef(0), PayloadRef(1), PayloadRef(2)]);
}

fn forged_to_destination(id: &SequenceId) -> Vec<Message> {
    vec![
        Message::Application(ApplicationMessage {
            sequence: SequenceHeader {
                id: id.clone(),
                number: 3,
                last_message: false,
            },
            ack_requested: true,
            payload: Some(PayloadRef(666)),
        }),
        Message::Application(ApplicationMessage {
            sequence: SequenceHeader {
                id: id.clone(),
                number: 1,
                last_message: false,
            },
            ack_requested: false,
            payload: Some(PayloadRef(667)),
        }),
        Message::AckRequested(AckRequested { id: id.clone() }),
        Message::CloseSequence(CloseSequence {
            id: id.clone(),
            last_msg_number: Some(2),
        }),
        Message::TerminateSequence(TerminateSequence {
            id: id.clone(),
            last_msg_number: Some(2),
        }),
    ]
}

#[test]
fn destination_refuses_messages_not_proven_by_the_bound_token() {
    let (mut p, id) = established();
    let other = SecurityBinding::new("urn:uuid:sct-y");
    for proof in [None, Some(&other)] {
        for msg in forged_to_destination(&id) {
            let before = p.dest.as_ref().unwrap().sequence(&id).cloned();
            let (log, delivered, events) = (p.dst_log.len(), p.delivered.len(), p.dst_events.len());
            let dest = p.dest.as_mut().unwrap();
            let r = dest.handle_message(p.now, proof, msg.clone());
            assert_eq!(r, Err(Error::BindingMismatch(id.clone())), "{msg:?}");
            assert_eq!(dest.poll_persist(), None, "refusal persisted something");
            let t = dest.poll_transmit().expect("a fault answers the refusal");
            match &t.message {
                Message::Fault(f) => assert_eq!(f.kind, FaultKind::FailedAuthentication),
                other => panic!("expected a fault, got {other:?}"),
            }
            assert_eq!(
                t.protect_with.as_ref(),
                proof,
                "the fault is not signed with the bound token"
            );
            assert_eq!(dest.poll_transmit(), None);
            assert!(matches!(
                dest.poll_event(),
                Some(crate::DestinationEvent::Refused(Error::BindingMismatch(_)))
            ));
            assert_eq!(dest.poll_event(), None);
            assert_eq!(
                dest.sequence(&id).cloned(),
                before,
                "sequence state changed"
            );
            assert_eq!(
                (p.dst_log.len(), p.delivered.len(), p.dst_events.len()),
                (log, delivered, events)
            );
        }
    }
    complete(&mut p);
}

#[test]
fn source_refuses_messages_not_proven_by_the_bound_token() {
    let (mut p, id) = established();
    // Let the destination's acknowledgements arrive, so the source has state to protect.
    for _ in 0..50 {
        p.step();
    }
    let other = SecurityBinding::new("urn:uuid:sct-y");
    let forged = vec![
        Message::SequenceAcknowledgement(SequenceAcknowledgement {
            id: id.clone(),
            body: AckBody::Nacks(vec![1]),
            final_: false,
            buffer_remaining: Some(0),
        }),
        Message::SequenceAcknowledgement(SequenceAcknowledgement {
            id: id.clone(),
            body: AckBody::Ranges(vec![AckRange { lower: 1, upper: 2 }]),
            final_: true,
            buffer_remaining: None,
        }),
        Message::CloseSequence(CloseSequence {
            id: id.clone(),
            last_msg_number: None,
        }),
        Message::CloseSequenceResponse(CloseSequenceResponse { id: id.clone() }),
        Message::TerminateSequence(TerminateSequence {
            id: id.clone(),
            last_msg_number: None,
        }),
        Message::TerminateSequenceResponse(TerminateSequenceResponse { id: id.clone() }),
        Message::Fault(crate::msg::RmFault {
            kind: FaultKind::SequenceTerminated,
            code: crate::msg::FaultCode::Receiver,
            detail: crate::msg::FaultDetail::Identifier(id.clone()),
        }),
    ];
    for proof in [None, Some(&other)] {
        for msg in &forged {
            let src = p.source.as_mut().unwrap();
            let before = src.fingerprint();
            let r = src.handle_message(p.now, proof, msg.clone());
            assert_eq!(r, Err(Error::BindingMismatch(id.clone())), "{msg:?}");
            assert_eq!(src.poll_persist(), None);
            assert_eq!(src.poll_transmit(), None);
            assert!(matches!(
                src.poll_event(),
                Some(crate::SourceEvent::Refused(Error::BindingMismatch(_)))
            ));
            assert_eq!(src.fingerprint(), before, "source state changed on {msg:?}");
        }
    }
    complete(&mut p);
}

#[test]
fn create_sequence_response_must_be_proven_by_the_bound_token() {
    let mut p = pair();
    p.create();
    let csr = Message::CreateSequenceResponse(CreateSequenceResponse {
        id: SequenceId::new("urn:forged"),
        expires: None,
        incomplete: None,
        accept: None,
    });
    let other = SecurityBinding::new("urn:uuid:sct-y");
    let before = p.source.as_ref().unwrap().fingerprint();
    for proof in [None, Some(&other)] {
        let r = p.inject_to_source(proof, csr.clone());
        assert!(matches!(r, Err(Error::BindingMismatch(_))), "{r:?}");
        assert_eq!(p.source.as_ref().unwrap().fingerprint(), before);
    }
    // The real response still creates the sequence, and it completes.
    while p.source_state() != Some(SourceState::Active) {
        assert!(p.step());
    }
    assert_ne!(
        p.source.as_ref().unwrap().id(),
        Some(&SequenceId::new("urn:forged"))
    );
    for i in 0..2 {
        p.with_source(|s, now| s.send(now, PayloadRef(i)))
            .unwrap()
            .unwrap();
    }
    complete(&mut p);
}

fn cs(str_token: Option<&SecurityBinding>, uses: bool) -> Message {
    Message::CreateSequence(CreateSequence {
        acks_to: EndpointRef("http://src".into()),
        expires: None,
        offer: None,
        str_token: str_token.cloned().map(TokenRef),
        uses_sequence_str: uses,
    })
}

#[test]
fn create_sequence_with_foreign_or_missing_binding_is_refused() {
    let x = SecurityBinding::new("urn:uuid:sct-x");
    let y = SecurityBinding::new("urn:uuid:sct-y");
    let cases: Vec<(Option<&SecurityBinding>, Message, RefusalReason)> = vec![
        // The STR names Y, the message was proven by X.
        (Some(&x), cs(Some(&y), true), RefusalReason::TokenMismatch),
        // The STR names X, the message is unsigned.
        (None, cs(Some(&x), true), RefusalReason::TokenMismatch),
        // No STR: this destination requires a binding.
        (Some(&x), cs(None, false), RefusalReason::BindingRequired),
        // WS-RM 1.1: STR without UsesSequenceSTR, and the reverse.
        (
            Some(&x),
            cs(Some(&x), false),
            RefusalReason::UsesSequenceStrMismatch,
        ),
    ];
    let mut p = pair();
    for (proof, msg, reason) in cases {
        let r = p.inject_to_dest(proof, msg);
        assert_eq!(r, Err(Error::CreateSequenceRefused(reason)));
        assert_eq!(p.dest.as_ref().unwrap().open_sequences(), 0);
        assert!(p.dst_log.is_empty(), "a refusal persisted something");
    }
    // Proven by X and naming X: accepted and bound to X.
    assert_eq!(p.inject_to_dest(Some(&x), cs(Some(&x), true)), Ok(()));
    assert!(
        matches!(p.dst_log.as_slice(), [StoreOp::DestinationCreated(r)] if r.binding.as_ref() == Some(&x))
    );
}

#[test]
fn open_sequence_limit_refuses_with_connection_limit_reached() {
    let x = SecurityBinding::new("urn:uuid:sct-x");
    let cfg = DestinationConfig {
        max_open_sequences: 2,
        ..DestinationConfig::default()
    };
    let mut p = Pair::new(3, Faults::NONE, SourceConfig::default(), cfg);
    assert_eq!(p.inject_to_dest(Some(&x), cs(Some(&x), true)), Ok(()));
    assert_eq!(p.inject_to_dest(Some(&x), cs(Some(&x), true)), Ok(()));
    assert_eq!(
        p.inject_to_dest(Some(&x), cs(Some(&x), true)),
        Err(Error::CreateSequenceRefused(
            RefusalReason::ConnectionLimitReached
        ))
    );
}
