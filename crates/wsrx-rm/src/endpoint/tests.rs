#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use super::*;
use crate::binding::TokenRef;
use crate::config::DestinationConfig;
use crate::msg::{
    AckBody, AckRange, AckRequested, ApplicationMessage, CreateSequence, EndpointRef, Offer,
    PayloadRef, SequenceHeader, TerminateSequence,
};

fn x() -> SecurityBinding {
    SecurityBinding::new("urn:uuid:sct-x")
}

fn endpoint() -> ServerEndpoint {
    let mut seed = 7u64;
    let dest = Destination::new(
        DestinationConfig::default(),
        EndpointRef("http://dst".into()),
        Box::new(move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed
        }),
    );
    ServerEndpoint::new(dest, [])
}

fn create(offer: Option<&str>) -> Message {
    Message::CreateSequence(CreateSequence {
        acks_to: EndpointRef("http://src".into()),
        expires: None,
        offer: offer.map(|id| Offer {
            id: SequenceId::new(id),
            endpoint: EndpointRef("http://www.w3.org/2005/08/addressing/anonymous".into()),
            expires: None,
            incomplete: None,
        }),
        str_token: Some(TokenRef(x())),
        uses_sequence_str: true,
        to: None,
    })
}

fn app(id: &SequenceId, n: u64) -> Message {
    Message::Application(ApplicationMessage {
        sequence: SequenceHeader {
            id: id.clone(),
            number: n,
            last_message: false,
        },
        ack_requested: false,
        payload: Some(PayloadRef(n)),
    })
}

/// Drains the endpoint; returns its ops and the identifiers of the
/// CreateSequenceResponses it sends.
fn drain(e: &mut ServerEndpoint) -> (Vec<StoreOp>, Vec<SequenceId>) {
    let mut ops = Vec::new();
    while let Some(op) = e.poll_persist() {
        ops.push(op);
    }
    let mut created = Vec::new();
    while let Some(t) = e.poll_transmit() {
        if let Message::CreateSequenceResponse(r) = t.message {
            created.push(r.id);
        }
    }
    while e.poll_event().is_some() {}
    (ops, created)
}

fn open(e: &mut ServerEndpoint, key: &str) -> SequenceId {
    let r = e.handle_message(Timestamp(0), Some(&x()), Some(key), create(None));
    assert!(matches!(r, Routed::Destination(Ok(()))), "{r:?}");
    let (_, created) = drain(e);
    created.into_iter().next().unwrap()
}

#[test]
fn a_resent_create_sequence_is_answered_with_the_same_sequence() {
    let mut e = endpoint();
    let id = open(&mut e, "urn:uuid:cs-1");
    assert!(e.is_open(&id) && e.open_sequences() == 1);
    let again = e.handle_message(
        Timestamp(5),
        Some(&x()),
        Some("urn:uuid:cs-1"),
        create(None),
    );
    assert!(
        matches!(&again, Routed::RepeatedCreate(s) if *s == id),
        "{again:?}"
    );
    let (ops, created) = drain(&mut e);
    assert!(ops.is_empty(), "a repeated create records nothing: {ops:?}");
    assert_eq!(
        created,
        vec![id.clone()],
        "answered with the first sequence"
    );
    assert_eq!(e.open_sequences(), 1);
    // Another MessageID is another CreateSequence.
    let other = open(&mut e, "urn:uuid:cs-2");
    assert_ne!(other, id);
    assert_eq!(e.open_sequences(), 2);
}

#[test]
fn a_create_resent_by_another_token_is_not_taken_for_a_copy() {
    let mut e = endpoint();
    let id = open(&mut e, "urn:uuid:cs-1");
    let y = SecurityBinding::new("urn:uuid:sct-y");
    let r = e.handle_message(Timestamp(5), Some(&y), Some("urn:uuid:cs-1"), create(None));
    assert!(!matches!(r, Routed::RepeatedCreate(_)), "{r:?}");
    let (_, created) = drain(&mut e);
    assert!(!created.contains(&id), "{created:?}");
}

#[test]
fn records_follow_the_drained_ops_and_termination_forgets_the_create() {
    let mut e = endpoint();
    let id = open(&mut e, "urn:uuid:cs-1");
    assert_eq!(e.sequence(&id).map(|r| r.binding.clone()), Some(Some(x())));
    let r = e.handle_message(
        Timestamp(10),
        Some(&x()),
        None,
        Message::TerminateSequence(TerminateSequence {
            id: id.clone(),
            last_msg_number: Some(0),
        }),
    );
    assert!(matches!(r, Routed::Destination(Ok(()))), "{r:?}");
    let (ops, _) = drain(&mut e);
    assert!(
        ops.iter()
            .any(|op| matches!(op, StoreOp::DestinationTerminated { id: t } if *t == id))
    );
    assert!(!e.is_open(&id) && e.open_sequences() == 0);
    // The same MessageID again after the sequence ended opens a new sequence.
    let fresh = open(&mut e, "urn:uuid:cs-1");
    assert_ne!(fresh, id);
}

#[test]
fn messages_about_an_offered_sequence_go_to_its_source() {
    let mut e = endpoint();
    let r = e.handle_message(
        Timestamp(0),
        Some(&x()),
        Some("k"),
        create(Some("urn:offered")),
    );
    assert!(matches!(r, Routed::Destination(Ok(()))), "{r:?}");
    let (_, created) = drain(&mut e);
    let forward = created.into_iter().next().unwrap();
    let offered = SequenceId::new("urn:offered");
    e.bind_offered(offered.clone(), forward.clone());
    assert_eq!(e.forward_of(&offered), Some(&forward));
    let ack = Message::SequenceAcknowledgement(SequenceAcknowledgement {
        id: offered.clone(),
        body: AckBody::Ranges(vec![AckRange { lower: 1, upper: 1 }]),
        final_: false,
        buffer_remaining: None,
    });
    match e.handle_message(Timestamp(1), Some(&x()), None, ack) {
        Routed::Offered {
            forward: f,
            message,
        } => {
            assert_eq!(f, forward);
            assert!(matches!(message, Message::SequenceAcknowledgement(_)));
        }
        other => panic!("expected the offered Source, got {other:?}"),
    }
    let asked = Message::AckRequested(AckRequested {
        id: offered.clone(),
    });
    assert!(matches!(
        e.handle_message(Timestamp(1), Some(&x()), None, asked),
        Routed::Ignored
    ));
    // Once unbound, an acknowledgement naming it is the Destination's to refuse.
    e.unbind_offered(&offered);
    let ack = Message::SequenceAcknowledgement(SequenceAcknowledgement {
        id: offered.clone(),
        body: AckBody::Ranges(vec![AckRange { lower: 1, upper: 1 }]),
        final_: false,
        buffer_remaining: None,
    });
    assert!(matches!(
        e.handle_message(Timestamp(2), Some(&x()), None, ack),
        Routed::Destination(Err(Error::UnknownSequence(_)))
    ));
}

#[test]
fn retransmissions_are_counted_and_restore_keeps_the_open_sequences() {
    let mut e = endpoint();
    let id = open(&mut e, "k1");
    let gone = open(&mut e, "k2");
    let mut log: Vec<StoreOp> = Vec::new();
    // The ops of both creates were drained already; replay them from scratch below.
    for n in 1..=3 {
        let _ = e.handle_message(Timestamp(n), Some(&x()), None, app(&id, n));
        log.extend(drain(&mut e).0);
    }
    let _ = e.handle_message(Timestamp(9), Some(&x()), None, app(&id, 2));
    log.extend(drain(&mut e).0);
    assert_eq!(e.retransmissions_received(), 1);
    let _ = e.terminate(&gone);
    log.extend(drain(&mut e).0);
    assert!(!e.is_open(&gone));

    // A fresh endpoint fed the same durable ops (creates first) has the same sequences.
    let mut all = Vec::new();
    let mut again = endpoint();
    for key in ["k1", "k2"] {
        let _ = again.handle_message(Timestamp(0), Some(&x()), Some(key), create(None));
        all.extend(drain(&mut again).0);
    }
    let created: Vec<SequenceId> = all
        .iter()
        .filter_map(|op| match op {
            StoreOp::DestinationCreated(r) => Some(r.id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 2);
    all.push(StoreOp::DestinationTerminated {
        id: created[1].clone(),
    });
    let restored = ServerEndpoint::restore(
        Timestamp(20),
        DestinationConfig::default(),
        EndpointRef("http://dst".into()),
        &all,
        Box::new(|| 3),
    )
    .unwrap();
    assert!(restored.is_open(&created[0]));
    assert!(!restored.is_open(&created[1]));
    assert_eq!(restored.open_sequences(), 1);
}
