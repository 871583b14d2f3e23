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
use crate::{
    DestinationConfig, Error, SecurityBinding, SequenceStr, SourceConfig, SourceState, StoreOp,
};

fn pair() -> Pair {
    Pair::new(
        7,
        Faults::NONE,
        SourceConfig::default(),
        DestinationConfig::default(),
    )
}

/// The binding modes of `docs/sequence-binding.md`: strict (the STR and UsesSequenceSTR,
/// the default), and a peer profile's binding to the proof with a Source that writes the
/// STR in the body only (to CXF) or not at all (CXF's own CreateSequence, stock gSOAP).
#[derive(Debug, Clone, Copy)]
enum Mode {
    Strict,
    ProofBodyOnly,
    ProofNoStr,
}

const MODES: [Mode; 3] = [Mode::Strict, Mode::ProofBodyOnly, Mode::ProofNoStr];

fn pair_in(mode: Mode) -> Pair {
    let (sequence_str, bind_to_proof) = match mode {
        Mode::Strict => (SequenceStr::BodyAndHeader, false),
        Mode::ProofBodyOnly => (SequenceStr::BodyOnly, true),
        Mode::ProofNoStr => (SequenceStr::Omitted, true),
    };
    Pair::new(
        7,
        Faults::NONE,
        SourceConfig {
            sequence_str,
            ..SourceConfig::default()
        },
        DestinationConfig {
            bind_to_proof,
            ..DestinationConfig::default()
        },
    )
}

/// Creates a bound sequence and gets two of three messages delivered.
fn established() -> (Pair, SequenceId) {
    established_in(Mode::Strict)
}

/// As [`established`], in `mode`; the sequence is bound to the token either way.
fn established_in(mode: Mode) -> (Pair, SequenceId) {
    let mut p = pair_in(mode);
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
    for mode in MODES {
        destination_refuses_in(mode);
    }
}

fn destination_refuses_in(mode: Mode) {
    let (mut p, id) = established_in(mode);
    assert_eq!(
        p.dest
            .as_ref()
            .unwrap()
            .destination()
            .sequence(&id)
            .map(|s| s.binding.clone()),
        Some(Some(SecurityBinding::new("urn:uuid:sct-x"))),
        "{mode:?}: not bound to the token that proved the CreateSequence"
    );
    let other = SecurityBinding::new("urn:uuid:sct-y");
    for proof in [None, Some(&other)] {
        for msg in forged_to_destination(&id) {
            let before = p
                .dest
                .as_ref()
                .unwrap()
                .destination()
                .sequence(&id)
                .cloned();
            let (log, delivered, events) = (p.dst_log.len(), p.delivered.len(), p.dst_events.len());
            let dest = p.dest.as_mut().unwrap().destination_mut();
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
            if matches!(&msg, Message::Application(a) if a.payload.is_some()) {
                assert!(
                    matches!(
                        dest.poll_event(),
                        Some(crate::DestinationEvent::Released { .. })
                    ),
                    "the refused message's payload is released"
                );
            }
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
        to: None,
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
        assert_eq!(p.dest.as_ref().unwrap().destination().open_sequences(), 0);
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

/// Binding to the proof (issue 18 item 4): a CreateSequence without an STR, proven by X,
/// binds the sequence to X only where `bind_to_proof` allows it. Unsigned, it is still
/// refused (nothing to bind to); an STR naming another token is still a mismatch; strict
/// mode refuses what carries no STR.
#[test]
fn create_sequence_without_str_binds_to_its_proof_only_where_allowed() {
    let x = SecurityBinding::new("urn:uuid:sct-x");
    let y = SecurityBinding::new("urn:uuid:sct-y");
    let mut strict = pair_in(Mode::Strict);
    assert_eq!(
        strict.inject_to_dest(Some(&x), cs(None, false)),
        Err(Error::CreateSequenceRefused(RefusalReason::BindingRequired))
    );
    let mut p = pair_in(Mode::ProofNoStr);
    for (proof, msg, reason) in [
        (None, cs(None, false), RefusalReason::BindingRequired),
        (None, cs(None, true), RefusalReason::BindingRequired),
        (Some(&x), cs(Some(&y), true), RefusalReason::TokenMismatch),
        (Some(&x), cs(Some(&y), false), RefusalReason::TokenMismatch),
    ] {
        assert_eq!(
            p.inject_to_dest(proof, msg),
            Err(Error::CreateSequenceRefused(reason))
        );
        assert!(p.dst_log.is_empty(), "a refusal persisted something");
    }
    // No STR (CXF), the STR without UsesSequenceSTR, UsesSequenceSTR without the STR:
    // each bound to X, the token that proved it.
    for msg in [cs(None, false), cs(Some(&x), false), cs(None, true)] {
        p.dst_log.clear();
        assert_eq!(p.inject_to_dest(Some(&x), msg), Ok(()));
        assert!(
            matches!(p.dst_log.as_slice(), [StoreOp::DestinationCreated(r)] if r.binding.as_ref() == Some(&x)),
            "{:?}",
            p.dst_log
        );
    }
    // Unbound sequences allowed and binding to the proof: an unsigned one is unbound, a
    // signed one is still bound.
    let mut open = Pair::new(
        7,
        Faults::NONE,
        SourceConfig::default(),
        DestinationConfig {
            bind_to_proof: true,
            require_binding: false,
            ..DestinationConfig::default()
        },
    );
    assert_eq!(open.inject_to_dest(None, cs(None, false)), Ok(()));
    assert!(
        matches!(open.dst_log.as_slice(), [StoreOp::DestinationCreated(r)] if r.binding.is_none())
    );
    open.dst_log.clear();
    assert_eq!(open.inject_to_dest(Some(&y), cs(None, false)), Ok(()));
    assert!(
        matches!(open.dst_log.as_slice(), [StoreOp::DestinationCreated(r)] if r.binding.as_ref() == Some(&y))
    );
}

/// A Source that has queued its CreateSequence, as configured.
fn source_with(config: SourceConfig) -> crate::Source {
    crate::Source::create_sequence(
        crate::Timestamp(0),
        config,
        crate::CreateParams {
            to: EndpointRef("http://dst".into()),
            acks_to: EndpointRef("http://src".into()),
            binding: Some(SecurityBinding::new("urn:uuid:sct-x")),
            offer: None,
        },
        super::util::SplitMix::boxed(1),
    )
}

/// What the Source writes in each `SequenceStr` mode (issue 18 item 5): the STR and
/// UsesSequenceSTR by default, the STR alone for CXF, nothing for stock gSOAP; on 1.0
/// never the header (it does not exist there).
#[test]
fn create_sequence_names_the_token_as_configured() {
    for (mode, version, body, header) in [
        (
            SequenceStr::BodyAndHeader,
            crate::RmVersion::V1_1,
            true,
            true,
        ),
        (
            SequenceStr::BodyAndHeader,
            crate::RmVersion::V1_0,
            true,
            false,
        ),
        (SequenceStr::BodyOnly, crate::RmVersion::V1_1, true, false),
        (SequenceStr::Omitted, crate::RmVersion::V1_1, false, false),
    ] {
        let mut src = source_with(SourceConfig {
            version,
            sequence_str: mode,
            ..SourceConfig::default()
        });
        while src.poll_persist().is_some() {}
        let t = src.poll_transmit().expect("CreateSequence");
        let Message::CreateSequence(c) = &t.message else {
            panic!("{:?}", t.message)
        };
        assert_eq!(c.str_token.is_some(), body, "{mode:?} {version:?}");
        assert_eq!(c.uses_sequence_str, header, "{mode:?} {version:?}");
        // The CreateSequence is protected with the token whatever is written.
        assert_eq!(
            t.protect_with.as_ref().map(SecurityBinding::as_str),
            Some("urn:uuid:sct-x")
        );
    }
}

/// `Expires` `PT0S` means "never expires" (WS-RM 1.1 §3.4; CXF always sends it), in a
/// CreateSequence and a CreateSequenceResponse alike: the sequence outlives any clock,
/// and the response grants no Expires.
#[test]
fn expires_pt0s_is_never() {
    let x = SecurityBinding::new("urn:uuid:sct-x");
    let mut d = crate::Destination::new(
        DestinationConfig::default(),
        EndpointRef("http://dst".into()),
        super::util::SplitMix::boxed(2),
    );
    let Message::CreateSequence(plain) = cs(Some(&x), true) else {
        unreachable!()
    };
    let forever = CreateSequence {
        expires: Some(core::time::Duration::ZERO),
        ..plain
    };
    let now = crate::Timestamp(0);
    assert_eq!(
        d.handle_message(now, Some(&x), Message::CreateSequence(forever)),
        Ok(())
    );
    let ops: Vec<_> = core::iter::from_fn(|| d.poll_persist()).collect();
    assert!(
        matches!(ops.as_slice(), [StoreOp::DestinationCreated(r)] if r.expires_at.is_none()),
        "{ops:?}"
    );
    let t = d.poll_transmit().expect("CreateSequenceResponse");
    match &t.message {
        Message::CreateSequenceResponse(r) => assert_eq!(r.expires, None),
        other => panic!("{other:?}"),
    }
    assert_eq!(d.poll_timeout().filter(|t| t.0 == 0), None);

    // A Source told PT0S by the response keeps its sequence a day later.
    let mut src = source_with(SourceConfig::default());
    while src.poll_persist().is_some() {}
    while src.poll_transmit().is_some() {}
    let r = src.handle_message(
        now,
        Some(&x),
        Message::CreateSequenceResponse(CreateSequenceResponse {
            id: SequenceId::new("urn:uuid:granted"),
            expires: Some(core::time::Duration::ZERO),
            incomplete: None,
            accept: None,
        }),
    );
    assert_eq!(r, Ok(()));
    assert_eq!(src.state(), SourceState::Active);
    // Keep-alives answered: nothing but expiry could end it.
    let mut t = now;
    for _ in 0..100 {
        match src.poll_timeout() {
            Some(next) if next.0 < 3_600_000 => {
                t = next;
                src.handle_timeout(t);
                while src.poll_transmit().is_some() {}
                let _ = src.handle_message(
                    t,
                    Some(&x),
                    Message::SequenceAcknowledgement(SequenceAcknowledgement {
                        id: SequenceId::new("urn:uuid:granted"),
                        body: AckBody::None,
                        final_: false,
                        buffer_remaining: None,
                    }),
                );
            }
            _ => break,
        }
    }
    assert_eq!(src.state(), SourceState::Active, "ended at {t:?}");
}
