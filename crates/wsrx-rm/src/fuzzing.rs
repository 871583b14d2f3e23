#![allow(
    clippy::panic,
    reason = "a fuzz harness reports a violated invariant by panicking"
)]
//! Fuzz harness for the Destination engine (`fuzz/fuzz_targets/rm_destination_inputs.rs`,
//! replayed under `cargo test` in `crates/wsrx-test/tests/fuzz_replay.rs`): arbitrary
//! bytes become a sequence of inputs (CreateSequence with or without a binding,
//! application messages, AckRequested, Close, Terminate, acknowledgements, proofs by
//! the bound token, another token or none, and time passing). Invariants checked
//! after every input:
//! - nothing panics;
//! - write-ahead: no acknowledgement covers a number not recorded by an op drained
//!   before it (WS-RM §3.9 with the commit-before-send contract);
//! - exactly once: no (sequence, number) is delivered twice;
//! - bounded: never more open sequences than configured.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::msg::{
    AckBody, AckRange, AckRequested, ApplicationMessage, CloseSequence, CreateSequence,
    EndpointRef, Message, PayloadRef, SequenceAcknowledgement, SequenceHeader, SequenceId,
    TerminateSequence,
};
use crate::{
    Destination, DestinationConfig, DestinationEvent, SecurityBinding, StoreOp, Timestamp, TokenRef,
};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }
}

/// Runs the Destination on inputs decoded from `data`; returns how many messages
/// were delivered (so replays can check that inputs reach deep states).
pub fn destination_inputs(data: &[u8]) -> usize {
    let config = DestinationConfig {
        max_open_sequences: 4,
        reorder_buffer: 8,
        max_ack_ranges: 8,
        ..DestinationConfig::default()
    };
    let max_open = config.max_open_sequences;
    let mut seed = 0x5EED_u64;
    let random = Box::new(move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        seed
    });
    let mut dest = Destination::new(config, EndpointRef("http://dst".into()), random);
    let tokens = [
        SecurityBinding::new("urn:uuid:a"),
        SecurityBinding::new("urn:uuid:b"),
    ];
    let mut now = Timestamp(0);
    let mut ids: Vec<SequenceId> = vec![SequenceId::new("urn:uuid:unknown")];
    let mut recorded: BTreeMap<SequenceId, BTreeSet<u64>> = BTreeMap::new();
    let mut delivered: BTreeSet<(SequenceId, u64)> = BTreeSet::new();
    let mut open: BTreeSet<SequenceId> = BTreeSet::new();
    let mut input = Bytes(data);
    while let Some(kind) = input.next() {
        let arg = input.next().unwrap_or(0);
        let proof = match arg >> 6 {
            0 => None,
            1 => tokens.get(1),
            _ => tokens.first(),
        };
        let id = ids
            .get(usize::from(arg & 7) % ids.len())
            .cloned()
            .unwrap_or_else(|| SequenceId::new("x"));
        let number = u64::from(input.next().unwrap_or(1) % 40);
        let msg = match kind % 8 {
            0 => Message::CreateSequence(CreateSequence {
                acks_to: EndpointRef("http://src".into()),
                expires: (arg & 8 != 0).then(|| Duration::from_secs(u64::from(arg))),
                offer: None,
                str_token: (arg & 16 != 0)
                    .then(|| tokens.get(usize::from(arg & 1)).cloned().map(TokenRef))
                    .flatten(),
                uses_sequence_str: arg & 32 != 0,
                to: None,
            }),
            1 | 2 => Message::Application(ApplicationMessage {
                sequence: SequenceHeader {
                    id,
                    number,
                    last_message: false,
                },
                ack_requested: arg & 1 == 1,
                payload: Some(PayloadRef(number)),
            }),
            3 => Message::AckRequested(AckRequested { id }),
            4 => Message::CloseSequence(CloseSequence {
                id,
                last_msg_number: (arg & 1 == 1).then_some(number),
            }),
            5 => Message::TerminateSequence(TerminateSequence {
                id,
                last_msg_number: None,
            }),
            6 => Message::SequenceAcknowledgement(SequenceAcknowledgement {
                id,
                body: AckBody::Ranges(vec![AckRange {
                    lower: 1,
                    upper: number.max(1),
                }]),
                final_: false,
                buffer_remaining: None,
            }),
            _ => {
                now = Timestamp(now.millis() + u64::from(arg) * 997);
                dest.handle_timeout(now);
                check(
                    &mut dest,
                    &mut recorded,
                    &mut delivered,
                    &mut open,
                    &mut ids,
                    max_open,
                );
                continue;
            }
        };
        let _ = dest.handle_message(now, proof, msg);
        check(
            &mut dest,
            &mut recorded,
            &mut delivered,
            &mut open,
            &mut ids,
            max_open,
        );
    }
    delivered.len()
}

fn check(
    dest: &mut Destination,
    recorded: &mut BTreeMap<SequenceId, BTreeSet<u64>>,
    delivered: &mut BTreeSet<(SequenceId, u64)>,
    open: &mut BTreeSet<SequenceId>,
    ids: &mut Vec<SequenceId>,
    max_open: usize,
) {
    while let Some(op) = dest.poll_persist() {
        if let StoreOp::InboundRecorded { id, number, .. } = op {
            recorded.entry(id).or_default().insert(number);
        }
    }
    while let Some(t) = dest.poll_transmit() {
        let acks = [
            t.ack.as_ref(),
            if let Message::SequenceAcknowledgement(a) = &t.message {
                Some(a)
            } else {
                None
            },
        ];
        for ack in acks.into_iter().flatten() {
            if let AckBody::Ranges(ranges) = &ack.body {
                let have = recorded.get(&ack.id);
                for r in ranges {
                    for n in r.lower..=r.upper.min(r.lower.saturating_add(64)) {
                        if !have.is_some_and(|h| h.contains(&n)) {
                            panic!("ack of {} covers {n}, which was never recorded", ack.id);
                        }
                    }
                }
            }
        }
    }
    while let Some(e) = dest.poll_event() {
        match e {
            DestinationEvent::Created { id, .. } => {
                open.insert(id.clone());
                if ids.len() < 8 {
                    ids.push(id);
                }
            }
            DestinationEvent::Delivered { id, number, .. } => {
                assert!(
                    delivered.insert((id.clone(), number)),
                    "message {number} of {id} delivered twice"
                );
            }
            DestinationEvent::Terminated { id, .. } => {
                open.remove(&id);
            }
            _ => {}
        }
    }
    assert!(
        open.len() <= max_open,
        "{} open sequences, limit {max_open}",
        open.len()
    );
}
