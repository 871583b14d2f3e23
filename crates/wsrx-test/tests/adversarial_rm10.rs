//! The adversarial classes on WS-RM 1.0 (2005/02, WCF's wire form with WS-SC February
//! 2005), against the real `wsrx serve` (issue 20 "Widen our own adversarial suite";
//! threat model T45): a message forged by insider B into victim A's sequence, carrying
//! the 1.0 `LastMessage` marker, gets the binding fault and closes nothing; A's message
//! beyond its own LastMessage gets `wsrm:LastMessageNumberExceeded`; each is counted by
//! reason and identity, and A's sequence is delivered exactly once, in order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::time::SystemTime;

use common::{Answer, SCT_A, SCT_B, SECRET_A, SECRET_B, Target, delivered, wait_delivered};
use wsrx_crypto::SecretKey;
use wsrx_rm::SequenceId;
use wsrx_rm::msg::{EndpointRef, SequenceHeader};
use wsrx_rm::wire::{
    CreateSequenceBody, RmBody, RmHeader, StrRef, WireBody, WireMessage, WireProfile,
};
use wsrx_runtime::echo;
use wsrx_runtime::pipeline::{self, Protection};
use wsrx_security::{ScVersion, SecurityContextToken};
use wsrx_soap::{EndpointReference, OutboundAddressing, SoapVersion, WsaVersion};
use wsrx_test::fixture::metrics;

const PROFILE: WireProfile = WireProfile::Rm10Wcf;

fn prot(id: &str, secret: &[u8]) -> Protection {
    Protection {
        sct: SecurityContextToken {
            version: ScVersion::V200502,
            identifier: id.to_owned(),
            instance: None,
            wsu_id: None,
        },
        secret: SecretKey::from_slice(secret),
    }
}

fn seal(
    to: &str,
    action: &str,
    wire: &WireMessage,
    payload: Option<&str>,
    p: &Protection,
) -> String {
    let action = wire.action(PROFILE).unwrap_or(action);
    let mut a = OutboundAddressing::request(WsaVersion::V10, to, action);
    a.message_id = Some(pipeline::new_message_id());
    a.reply_to = Some(EndpointReference::new(WsaVersion::V10.anonymous()));
    pipeline::seal(
        PROFILE,
        SoapVersion::V12,
        &a,
        wire,
        payload,
        Some(p),
        SystemTime::now(),
    )
    .unwrap()
}

fn create(to: &str, p: &Protection) -> String {
    let wire = WireMessage {
        headers: Vec::new(),
        body: WireBody::Rm(RmBody::CreateSequence(CreateSequenceBody {
            acks_to: EndpointRef(WsaVersion::V10.anonymous().to_owned()),
            expires: None,
            offer: None,
            str_ref: Some(StrRef {
                uri: p.sct.identifier.clone(),
                value_type: Some(PROFILE.sct_value_type().to_owned()),
            }),
        })),
    };
    seal(to, "", &wire, None, p)
}

fn message(to: &str, p: &Protection, seq: &str, number: u64, last: bool) -> String {
    let wire = WireMessage {
        headers: vec![RmHeader::Sequence(SequenceHeader {
            id: SequenceId::new(seq),
            number,
            last_message: last,
        })],
        body: WireBody::Application,
    };
    let text = format!("m {number}");
    seal(to, echo::NOTIFY_ACTION, &wire, Some(&echo::body(&text)), p)
}

#[test]
fn rm10_last_message_forgery_and_overrun_are_refused_without_state_change() {
    let m = metrics::free_addr();
    let t = Target::start("rm10", &["--metrics", &m.to_string()]);
    let url = t.url();
    let (a, b) = (prot(SCT_A, &SECRET_A), prot(SCT_B, &SECRET_B));
    let created = Answer::read(&t.post(&create(&url, &a)));
    let seq = created
        .created()
        .unwrap_or_else(|| panic!("no 1.0 CreateSequenceResponse: {}", created.text));

    let ok =
        |r: Answer, what: &str| assert!(r.fault.is_none() && r.status < 300, "{what}: {}", r.text);
    ok(
        Answer::read(&t.post(&message(&url, &a, &seq, 1, false))),
        "A 1",
    );
    // B forges A's message 2 with LastMessage: the binding fault, nothing closed.
    let forged = Answer::read(&t.post(&message(&url, &b, &seq, 2, true)));
    assert_eq!(forged.subcode(), "FailedAuthentication", "{}", forged.text);
    ok(
        Answer::read(&t.post(&message(&url, &a, &seq, 2, false))),
        "A 2",
    );
    ok(
        Answer::read(&t.post(&message(&url, &a, &seq, 3, true))),
        "A 3 (LastMessage)",
    );
    // Beyond A's own LastMessage: LastMessageNumberExceeded, nothing recorded.
    let over = Answer::read(&t.post(&message(&url, &a, &seq, 4, false)));
    assert_eq!(over.subcode(), "LastMessageNumberExceeded", "{}", over.text);
    wait_delivered(&t, &seq, 3);
    let numbers: Vec<u64> = delivered(&t, &seq).iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, vec![1, 2, 3], "exactly once, in order");

    let sum = |series: &str| metrics::sum(m, series);
    assert_eq!(
        sum("wsrx_refused_total{reason=\"FailedAuthentication\"}"),
        1.0
    );
    assert_eq!(
        sum("wsrx_refused_total{reason=\"LastMessageNumberExceeded\"}"),
        1.0
    );
    assert_eq!(
        sum(&format!(
            "wsrx_refused_by_identity_total{{identity=\"{SCT_B}\"}}"
        )),
        1.0
    );
    assert_eq!(
        sum(&format!(
            "wsrx_refused_by_identity_total{{identity=\"{SCT_A}\"}}"
        )),
        1.0
    );
}
