//! Property tests of the RM codecs, seeded (set `WSRX_SEED` to replay; the seed is
//! printed; `WSRX_CASES` sets the case count): every message type, both RM versions (all three profiles), both SOAP versions,
//! encode → parse → decode gives the original machine messages; and the fuzz harnesses
//! (`wire::fuzzing`) over arbitrary bytes and mutated vector files never panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use core::time::Duration;
use std::path::{Path, PathBuf};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use wsrx_rm::binding::{SecurityBinding, TokenRef};
use wsrx_rm::msg::{
    Accept, AckBody, AckRange, AckRequested, ApplicationMessage, CloseSequence,
    CloseSequenceResponse, CreateSequence, CreateSequenceResponse, EndpointRef, FaultCode,
    FaultDetail, FaultKind, IncompleteSequenceBehavior, MAX_MESSAGE_NUMBER, Message, Offer,
    PayloadRef, RefusalReason, RmFault, SequenceAcknowledgement, SequenceHeader, SequenceId,
    TerminateSequence, TerminateSequenceResponse,
};
use wsrx_rm::version::RmVersion;
use wsrx_rm::wire::fuzzing::{fuzz_decode, fuzz_roundtrip};
use wsrx_rm::wire::{WireMessage, WireProfile, decode, encode};
use wsrx_soap::{AddressingHeaders, Envelope, OutboundAddressing, SoapVersion};
use wsrx_xml::Document;

const PAYLOAD: &str = "<app:Echo xmlns:app=\"urn:example:echo\">hi &amp; bye</app:Echo>";
const APP_ACTION: &str = "urn:example:echo/Echo";

fn runner(cases: u32, name: &str) -> TestRunner {
    let seed: u64 = std::env::var("WSRX_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5752_584d_5749_5245);
    eprintln!("{name}: WSRX_SEED={seed}");
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (seed.rotate_left(u32::try_from(i).unwrap() * 8) & 0xff) as u8
            ^ u8::try_from(i).unwrap();
    }
    // `WSRX_CASES` runs a longer campaign.
    let cases = std::env::var("WSRX_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn id() -> impl Strategy<Value = SequenceId> {
    prop_oneof![
        "[0-9a-f]{8}-[0-9a-f]{4}".prop_map(|s| SequenceId::new(format!("urn:uuid:{s}"))),
        "[a-z]{1,8}".prop_map(|s| SequenceId::new(format!("http://h.example/{s}?a=1&b=<2>"))),
    ]
}

fn epr() -> impl Strategy<Value = EndpointRef> {
    prop_oneof![
        Just(EndpointRef(
            "http://www.w3.org/2005/08/addressing/anonymous".to_owned()
        )),
        "[a-z]{1,8}".prop_map(|s| EndpointRef(format!("http://{s}.example/rm"))),
    ]
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![1..=100u64, Just(MAX_MESSAGE_NUMBER), 1..=MAX_MESSAGE_NUMBER]
}

fn duration() -> impl Strategy<Value = Duration> {
    (0..=10_000_000u64, 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n))
}

fn incomplete() -> impl Strategy<Value = IncompleteSequenceBehavior> {
    prop_oneof![
        Just(IncompleteSequenceBehavior::DiscardEntireSequence),
        Just(IncompleteSequenceBehavior::DiscardFollowingFirstGap),
        Just(IncompleteSequenceBehavior::NoDiscard),
    ]
}

/// Sorted, disjoint ranges starting at 1 or above.
fn ranges() -> impl Strategy<Value = Vec<AckRange>> {
    vec((0..5u64, 0..5u64), 1..6).prop_map(|steps| {
        let mut next = 1u64;
        steps
            .into_iter()
            .map(|(gap, len)| {
                let lower = next + gap;
                let upper = lower + len;
                next = upper + 1;
                AckRange { lower, upper }
            })
            .collect()
    })
}

fn ack(v: RmVersion) -> impl Strategy<Value = SequenceAcknowledgement> {
    let v11 = v == RmVersion::V1_1;
    let body = prop_oneof![
        ranges().prop_map(AckBody::Ranges),
        Just(AckBody::None),
        vec(number(), 1..4).prop_map(AckBody::Nacks),
    ];
    (
        id(),
        body,
        any::<bool>(),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(
            move |(id, body, final_, buffer_remaining)| SequenceAcknowledgement {
                final_: final_ && v11 && !matches!(body, AckBody::Nacks(_)),
                id,
                body,
                buffer_remaining,
            },
        )
}

fn fault(v: RmVersion) -> impl Strategy<Value = RmFault> {
    let kind = prop_oneof![
        Just(FaultKind::SequenceTerminated),
        Just(FaultKind::UnknownSequence),
        Just(FaultKind::InvalidAcknowledgement),
        Just(FaultKind::MessageNumberRollover),
        Just(FaultKind::CreateSequenceRefused(
            RefusalReason::ConnectionLimitReached
        )),
        Just(FaultKind::CreateSequenceRefused(RefusalReason::Unspecified)),
        Just(FaultKind::SequenceClosed),
        Just(FaultKind::WsrmRequired),
        Just(FaultKind::LastMessageNumberExceeded),
        Just(FaultKind::FailedAuthentication),
    ];
    let detail = prop_oneof![
        Just(FaultDetail::None),
        id().prop_map(FaultDetail::Identifier),
        (id(), number()).prop_map(|(i, n)| FaultDetail::MaxMessageNumber(i, n)),
        ack(v).prop_map(|a| FaultDetail::Acknowledgement(Box::new(a))),
    ];
    (kind, any::<bool>(), detail).prop_map(|(kind, receiver, detail)| RmFault {
        // SOAP 1.1 writes wsse:FailedAuthentication as the faultcode: always a Client fault.
        code: if receiver && kind != FaultKind::FailedAuthentication {
            FaultCode::Receiver
        } else {
            FaultCode::Sender
        },
        kind,
        detail,
    })
}

/// Every message type the version has, with the fields it can carry.
fn message(v: RmVersion) -> impl Strategy<Value = Message> {
    let v11 = v == RmVersion::V1_1;
    let offer = (
        id(),
        epr(),
        proptest::option::of(duration()),
        proptest::option::of(incomplete()),
    );
    let create = (
        epr(),
        proptest::option::of(duration()),
        proptest::option::of(offer),
        proptest::option::of(id()),
        any::<bool>(),
    )
        .prop_map(move |(acks_to, expires, offer, token, uses)| {
            Message::CreateSequence(CreateSequence {
                offer: offer.map(|(id, endpoint, expires, incomplete)| Offer {
                    id,
                    endpoint: if v11 { endpoint } else { acks_to.clone() },
                    expires,
                    incomplete: incomplete.filter(|_| v11),
                }),
                acks_to,
                expires,
                str_token: token.map(|t| TokenRef(SecurityBinding::new(t.as_str()))),
                uses_sequence_str: uses && v11,
                to: None,
            })
        });
    let response = (
        id(),
        proptest::option::of(duration()),
        proptest::option::of(incomplete()),
        proptest::option::of(epr()),
    )
        .prop_map(move |(id, expires, incomplete, accept)| {
            Message::CreateSequenceResponse(CreateSequenceResponse {
                id,
                expires,
                incomplete: incomplete.filter(|_| v11),
                accept: accept.map(|acks_to| Accept { acks_to }),
            })
        });
    let app = (id(), number(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        move |(id, number, last, ack_requested, payload)| {
            Message::Application(ApplicationMessage {
                sequence: SequenceHeader {
                    id,
                    number,
                    last_message: last && !v11,
                },
                ack_requested,
                payload: payload.then_some(PayloadRef(7)),
            })
        },
    );
    let common = prop_oneof![
        create,
        response,
        app,
        id().prop_map(|id| Message::AckRequested(AckRequested { id })),
        ack(v).prop_map(Message::SequenceAcknowledgement),
        (id(), proptest::option::of(number())).prop_map(move |(id, n)| {
            Message::TerminateSequence(TerminateSequence {
                id,
                last_msg_number: n.filter(|_| v11),
            })
        }),
        fault(v).prop_map(Message::Fault),
    ];
    let v11_only = prop_oneof![
        (id(), proptest::option::of(number())).prop_map(|(id, last_msg_number)| {
            Message::CloseSequence(CloseSequence {
                id,
                last_msg_number,
            })
        }),
        id().prop_map(|id| Message::CloseSequenceResponse(CloseSequenceResponse { id })),
        id().prop_map(|id| Message::TerminateSequenceResponse(TerminateSequenceResponse { id })),
    ];
    if v11 {
        prop_oneof![4 => common, 1 => v11_only].boxed()
    } else {
        common.boxed()
    }
}

fn kind_name(m: &Message) -> &'static str {
    match m {
        Message::CreateSequence(_) => "CreateSequence",
        Message::CreateSequenceResponse(_) => "CreateSequenceResponse",
        Message::Application(_) => "Application",
        Message::AckRequested(_) => "AckRequested",
        Message::SequenceAcknowledgement(_) => "SequenceAcknowledgement",
        Message::CloseSequence(_) => "CloseSequence",
        Message::CloseSequenceResponse(_) => "CloseSequenceResponse",
        Message::TerminateSequence(_) => "TerminateSequence",
        Message::TerminateSequenceResponse(_) => "TerminateSequenceResponse",
        Message::Fault(_) => "Fault",
    }
}

fn case(
    profile: WireProfile,
    soap: SoapVersion,
    msg: &Message,
    piggy: Option<&SequenceAcknowledgement>,
) -> Result<(), TestCaseError> {
    let wire = WireMessage::from_message(msg, piggy, profile);
    let action = wire.action(profile).unwrap_or(APP_ACTION);
    let mut a = OutboundAddressing::request(profile.wsa_version(), "http://to.example/rm", action);
    a.message_id = Some("urn:uuid:m".to_owned());
    let mut ids = 0;
    let xml = encode(profile, soap, &a, &wire, Some(PAYLOAD), &mut |_| {
        ids += 1;
        Some(format!("id-{ids}"))
    })
    .map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
    let doc =
        Document::parse(xml.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
    let env = Envelope::new(&doc).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
    let h = AddressingHeaders::parse(&env)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?
        .unwrap();
    let d = decode(&env, h.action.as_deref())
        .map_err(|e| TestCaseError::fail(format!("decode: {e}\n{xml}")))?;
    // A wsse:FailedAuthentication fault names no RM version unless its detail does.
    if d.version.is_some() {
        prop_assert_eq!(d.profile(Some(h.version)), profile);
    } else {
        prop_assert!(matches!(msg, Message::Fault(f) if f.kind == FaultKind::FailedAuthentication));
    }
    let got = d.messages(Some(PayloadRef(7)), &mut |r| r.token());
    let mut want = vec![];
    let header_kind = matches!(
        msg,
        Message::Application(_) | Message::AckRequested(_) | Message::SequenceAcknowledgement(_)
    );
    if header_kind {
        want.push(msg.clone());
    }
    want.extend(piggy.cloned().map(Message::SequenceAcknowledgement));
    if !header_kind {
        want.push(msg.clone());
    }
    prop_assert_eq!(got, want, "\n{}", xml);
    // Every RM header and the Body got the wsu:Id asked for.
    for l in &d.headers {
        let e = doc.element(l.node).unwrap();
        prop_assert!(
            e.attribute(Some(wsrx_soap::ns::WSU), "Id").is_some(),
            "{}",
            xml
        );
    }
    prop_assert!(
        doc.element(d.body_node)
            .unwrap()
            .attribute(Some(wsrx_soap::ns::WSU), "Id")
            .is_some()
    );
    Ok(())
}

#[test]
fn encode_then_decode_gives_back_every_message_in_every_profile_and_soap_version() {
    for profile in WireProfile::ALL {
        // A fresh runner per profile: a TestRunner counts cases across runs.
        let mut runner = runner(500, &format!("round trip {profile:?}"));
        let v = profile.rm_version();
        let strategy = (
            message(v),
            proptest::option::of(ack(v)),
            prop_oneof![Just(SoapVersion::V11), Just(SoapVersion::V12)],
        );
        let seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
        runner
            .run(&strategy, |(msg, piggy, soap)| {
                seen.borrow_mut().insert(kind_name(&msg));
                case(profile, soap, &msg, piggy.as_ref())
            })
            .unwrap_or_else(|e| panic!("{profile:?}: {e}"));
        // Every message type of the version was generated at least once.
        let expected = if v == RmVersion::V1_1 { 10 } else { 7 };
        assert_eq!(
            seen.borrow().len(),
            expected,
            "{profile:?}: {:?}",
            seen.borrow()
        );
    }
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Every RM sample (header fragments wrapped in a SOAP 1.2 envelope) and gSOAP capture.
fn corpus() -> Vec<Vec<u8>> {
    let mut out = vec![];
    for dir in [
        "rm/wcf-rm11",
        "rm/wcf-rm10",
        "rm/cxf",
        "rm/sandesha2",
        "gsoap/plain",
        "gsoap/offer",
        "gsoap/sct-hmac",
        "gsoap/sct-dkt",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(vectors().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            if text.contains("Envelope") {
                out.push(bytes);
            } else {
                let mut wrapped =
                    b"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header>"
                        .to_vec();
                wrapped.extend_from_slice(&bytes);
                wrapped.extend_from_slice(b"</s:Header><s:Body/></s:Envelope>");
                out.push(wrapped);
            }
        }
    }
    assert!(out.len() > 70);
    out
}

#[test]
fn every_vector_survives_both_harnesses() {
    for bytes in corpus() {
        fuzz_decode(&bytes);
        fuzz_roundtrip(&bytes);
    }
}

#[test]
fn harnesses_never_panic_on_arbitrary_bytes() {
    let mut runner = runner(400, "arbitrary bytes");
    let strategy = prop_oneof![
        vec(any::<u8>(), 0..512),
        // Envelope-shaped noise reaches the decoder more often than raw bytes.
        "[<>/a-z:=\" ]{0,200}".prop_map(|s| {
            format!("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:r=\"http://docs.oasis-open.org/ws-rx/wsrm/200702\"><s:Header>{s}</s:Header><s:Body/></s:Envelope>").into_bytes()
        }),
    ];
    runner
        .run(&strategy, |data| {
            fuzz_decode(&data);
            fuzz_roundtrip(&data);
            Ok(())
        })
        .unwrap();
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, &'static str),
    Replace(&'static str, &'static str),
}

const TOKENS: [&str; 12] = [
    "<wsrm:Final/>",
    "<wsrm:None/>",
    "<wsrm:Nack>0</wsrm:Nack>",
    "18446744073709551616",
    " 9223372036854775808 ",
    "Lower=\"0\" ",
    "<wsrm:Identifier>x y</wsrm:Identifier>",
    "<wsrm:LastMessage/>",
    "PT-1S",
    "<wsrm:MessageNumber>0</wsrm:MessageNumber>",
    "http://schemas.xmlsoap.org/ws/2005/02/rm",
    "http://docs.oasis-open.org/ws-rx/wsrm/200702",
];

const SWAPS: [(&str, &str); 8] = [
    ("200702", "2005/02"),
    ("ws/2005/02/rm", "ws-rx/wsrm/200702"),
    ("Upper", "Lower"),
    ("AcknowledgementRange", "Nack"),
    ("Identifier", "Expires"),
    ("soap-envelope", "soap/envelope/"),
    ("CreateSequence", "CloseSequence"),
    ("MessageNumber", "LastMsgNumber"),
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 1..40usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), proptest::sample::select(TOKENS.to_vec()))
            .prop_map(|(i, t)| Mutation::Insert(i, t)),
        proptest::sample::select(SWAPS.to_vec()).prop_map(|(a, b)| Mutation::Replace(a, b)),
    ]
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = data.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if let Some(x) = data.get_mut(i % len) {
                    *x ^= b;
                }
            }
            Mutation::Delete(i, n) => {
                let start = (i % len).min(data.len());
                let end = (start + n).min(data.len());
                data.drain(start..end);
            }
            Mutation::Insert(i, t) => {
                let at = (i % len).min(data.len());
                data.splice(at..at, t.bytes());
            }
            Mutation::Replace(a, b) => {
                let text = String::from_utf8_lossy(&data).replacen(a, b, 1);
                data = text.into_bytes();
            }
        }
    }
    data
}

#[test]
fn harnesses_never_panic_on_mutated_vectors() {
    let corpus = corpus();
    let mut runner = runner(600, "mutated vectors");
    let strategy = (0..corpus.len(), vec(mutation(), 1..4));
    let (accepted, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner
        .run(&strategy, |(i, muts)| {
            let data = apply(corpus[i].clone(), &muts);
            fuzz_decode(&data);
            fuzz_roundtrip(&data);
            match decodes(&data) {
                Some(true) => accepted.set(accepted.get() + 1),
                Some(false) => refused.set(refused.get() + 1),
                None => {}
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "mutated vectors: {} decoded, {} refused by the RM decoder",
        accepted.get(),
        refused.get()
    );
    // The mutations reach the decoder both ways, not only the XML parser.
    assert!(accepted.get() > 50 && refused.get() > 20);
}

/// `Some(ok)` when the bytes are an envelope the RM decoder saw.
fn decodes(data: &[u8]) -> Option<bool> {
    let doc = Document::parse(data).ok()?;
    let env = Envelope::new(&doc).ok()?;
    let h = AddressingHeaders::parse(&env).ok()?;
    Some(decode(&env, h.and_then(|h| h.action).as_deref()).is_ok())
}
