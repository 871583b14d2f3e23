use proptest::prelude::*;

use super::*;

fn id() -> impl Strategy<Value = SequenceId> {
    "[a-z:0-9-]{1,40}".prop_map(SequenceId::new)
}

fn opt_u64() -> impl Strategy<Value = Option<u64>> {
    prop::option::of(any::<u64>())
}

fn binding() -> impl Strategy<Value = Option<SecurityBinding>> {
    prop::option::of("urn:uuid:[0-9a-f-]{8,36}".prop_map(SecurityBinding::new))
}

fn version() -> impl Strategy<Value = RmVersion> {
    prop_oneof![Just(RmVersion::V1_0), Just(RmVersion::V1_1)]
}

fn refusal() -> impl Strategy<Value = RefusalReason> {
    (1u8..=6).prop_map(|c| refusal_from(c).unwrap())
}

fn fault() -> impl Strategy<Value = FaultKind> {
    prop_oneof![
        (1u8..=9)
            .prop_filter("5 carries a refusal", |c| *c != 5)
            .prop_map(|c| fault_from(c).unwrap()),
        refusal().prop_map(FaultKind::CreateSequenceRefused),
    ]
}

fn reason() -> impl Strategy<Value = UndeliveredReason> {
    prop_oneof![
        fault().prop_map(UndeliveredReason::Fault),
        refusal().prop_map(UndeliveredReason::Refused),
        Just(UndeliveredReason::ClosedByDestination),
        Just(UndeliveredReason::TerminatedByDestination),
        Just(UndeliveredReason::InvalidAcknowledgement),
        Just(UndeliveredReason::InactivityTimeout),
        Just(UndeliveredReason::Expired),
        Just(UndeliveredReason::TokenLost),
        Just(UndeliveredReason::TerminatedLocally),
    ]
}

fn op() -> impl Strategy<Value = StoreOp> {
    prop_oneof![
        (id(), version(), ".{0,30}", binding(), opt_u64(), 0u8..3).prop_map(
            |(id, version, to, binding, exp, isb)| {
                StoreOp::SourceCreated(SourceRecord {
                    id,
                    version,
                    to: EndpointRef(to),
                    binding,
                    expires_at: exp.map(Timestamp),
                    incomplete: isb_from(isb).unwrap(),
                })
            }
        ),
        (
            id(),
            reason(),
            prop::collection::vec((any::<u64>(), any::<u64>()), 0..5)
        )
            .prop_map(|(id, reason, r)| StoreOp::SourceFailed {
                id,
                reason,
                undelivered: r
                    .into_iter()
                    .map(|(lower, upper)| AckRange { lower, upper })
                    .collect()
            }),
        (id(), any::<u64>(), id(), any::<u64>()).prop_map(|(id, number, on, new_number)| {
            StoreOp::OutboundResent {
                id,
                number,
                on,
                new_number,
            }
        }),
        (id(), any::<u64>(), opt_u64(), any::<bool>()).prop_map(|(id, number, p, last)| {
            StoreOp::OutboundStored {
                id,
                number,
                payload: p.map(PayloadRef),
                last,
            }
        }),
        (
            id(),
            prop::collection::vec((any::<u64>(), any::<u64>()), 0..5)
        )
            .prop_map(|(id, r)| StoreOp::OutboundAcked {
                id,
                ranges: r
                    .into_iter()
                    .map(|(lower, upper)| AckRange { lower, upper })
                    .collect()
            }),
        (id(), 0u8..6, opt_u64()).prop_map(|(id, s, last_number)| StoreOp::SourceStateChanged {
            id,
            state: state_from(s).unwrap(),
            last_number
        }),
        id().prop_map(|id| StoreOp::SourceTerminated { id }),
        (
            id(),
            version(),
            ".{0,30}",
            binding(),
            opt_u64(),
            0u8..3,
            prop::option::of(id())
        )
            .prop_map(|(id, version, acks, binding, exp, isb, offer_id)| {
                StoreOp::DestinationCreated(DestinationRecord {
                    id,
                    version,
                    acks_to: EndpointRef(acks),
                    binding,
                    expires_at: exp.map(Timestamp),
                    incomplete: isb_from(isb).unwrap(),
                    offer_id,
                })
            }),
        (
            id(),
            any::<u64>(),
            opt_u64(),
            any::<bool>(),
            any::<bool>(),
            opt_u64()
        )
            .prop_map(|(id, number, p, delivered, last, at)| {
                StoreOp::InboundRecorded {
                    id,
                    number,
                    payload: p.map(PayloadRef),
                    delivered,
                    last,
                    at: at.map(Timestamp),
                }
            }),
        (id(), any::<u64>()).prop_map(|(id, number)| StoreOp::DeliveredThrough { id, number }),
        (id(), prop::collection::vec(any::<u64>(), 0..5))
            .prop_map(|(id, numbers)| StoreOp::Discarded { id, numbers }),
        (id(), opt_u64())
            .prop_map(|(id, last_number)| StoreOp::DestinationClosed { id, last_number }),
        id().prop_map(|id| StoreOp::DestinationTerminated { id }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_record_round_trips(op in op()) {
        prop_assert_eq!(decode(&encode(&op)).unwrap(), op);
    }

    #[test]
    fn truncations_and_extensions_are_refused(op in op(), cut in any::<prop::sample::Index>()) {
        let bytes = encode(&op);
        let n = cut.index(bytes.len());
        prop_assert!(decode(&bytes[..n]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert_eq!(decode(&longer), Err(RecordError::Trailing));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&bytes);
    }
}

#[test]
fn unknown_format_and_tag_are_named() {
    assert_eq!(decode(&[2, 1]), Err(RecordError::UnknownFormat(2)));
    assert_eq!(decode(&[1, 99]), Err(RecordError::Invalid("record tag")));
    assert_eq!(decode(&[]), Err(RecordError::Truncated));
    // A huge declared length is refused before any allocation.
    assert_eq!(
        decode(&[1, 5, 0xFF, 0xFF, 0xFF, 0xFF]),
        Err(RecordError::Invalid("length over the limit"))
    );
}

/// Records written by the first release decode unchanged: these bytes are what it wrote
/// (tag 1, format 1), and a `NoDiscard` sequence is still written byte for byte so.
#[test]
fn records_of_the_first_release_read_unchanged() {
    let mut first = vec![1u8, 1];
    for s in ["urn:uuid:s", "http://h/"] {
        if s.starts_with("http") {
            first.push(1); // version 1.1
        }
        first.extend_from_slice(&(s.len() as u32).to_be_bytes());
        first.extend_from_slice(s.as_bytes());
    }
    first.extend_from_slice(&[0, 0]); // no binding, no expiry
    let op = StoreOp::SourceCreated(SourceRecord {
        id: SequenceId::new("urn:uuid:s"),
        version: RmVersion::V1_1,
        to: EndpointRef("http://h/".into()),
        binding: None,
        expires_at: None,
        incomplete: IncompleteSequenceBehavior::NoDiscard,
    });
    assert_eq!(decode(&first), Ok(op.clone()));
    assert_eq!(encode(&op), first);
    // A terminal record of the first release, too.
    let mut term = vec![1u8, 5];
    term.extend_from_slice(&10u32.to_be_bytes());
    term.extend_from_slice(b"urn:uuid:s");
    assert_eq!(
        decode(&term),
        Ok(StoreOp::SourceTerminated {
            id: SequenceId::new("urn:uuid:s")
        })
    );
}

#[test]
fn new_records_have_their_tags_and_refuse_nonsense() {
    let failed = StoreOp::SourceFailed {
        id: SequenceId::new("urn:uuid:s"),
        reason: UndeliveredReason::Fault(FaultKind::UnknownSequence),
        undelivered: vec![AckRange { lower: 5, upper: 7 }],
    };
    let bytes = encode(&failed);
    assert_eq!(&bytes[..2], &[1, 12]);
    assert_eq!(decode(&bytes), Ok(failed));
    // Tag 14 with NoDiscard is not something this codec writes.
    let mut odd = encode(&StoreOp::SourceCreated(SourceRecord {
        id: SequenceId::new("a"),
        version: RmVersion::V1_1,
        to: EndpointRef(String::new()),
        binding: None,
        expires_at: None,
        incomplete: IncompleteSequenceBehavior::DiscardEntireSequence,
    }));
    assert_eq!(odd[1], 14);
    let last = odd.len() - 1;
    odd[last] = isb_code(IncompleteSequenceBehavior::NoDiscard);
    assert!(decode(&odd).is_err());
}
