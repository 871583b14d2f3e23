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

fn op() -> impl Strategy<Value = StoreOp> {
    prop_oneof![
        (id(), version(), ".{0,30}", binding(), opt_u64()).prop_map(
            |(id, version, to, binding, exp)| {
                StoreOp::SourceCreated(SourceRecord {
                    id,
                    version,
                    to: EndpointRef(to),
                    binding,
                    expires_at: exp.map(Timestamp),
                })
            }
        ),
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
        (id(), any::<u64>(), opt_u64(), any::<bool>(), any::<bool>()).prop_map(
            |(id, number, p, delivered, last)| {
                StoreOp::InboundRecorded {
                    id,
                    number,
                    payload: p.map(PayloadRef),
                    delivered,
                    last,
                }
            }
        ),
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
