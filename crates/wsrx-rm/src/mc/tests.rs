#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::time::Duration;

use wsrx_xml::{Document, XmlWriter};

use super::wire::{
    decode_make_connection, message_pending, write_make_connection, write_message_pending,
};
use super::*;
use crate::time::Timestamp;
use wsrx_soap::FaultCode;

const ID: &str = "d37427ff-7d06-4ce5-8c16-9754549957fd";

fn t(ms: u64) -> Timestamp {
    Timestamp(ms)
}

fn by_address(id: &str) -> Selection {
    Selection {
        address: Some(id.to_owned()),
        sequence: None,
    }
}

#[test]
fn anonymous_uris() {
    let uri = anonymous_uri(ID);
    assert_eq!(
        uri,
        "http://docs.oasis-open.org/ws-rx/wsmc/200702/anonymous?id=d37427ff-7d06-4ce5-8c16-9754549957fd"
    );
    assert_eq!(anonymous_id(&uri), Some(ID));
    assert_eq!(anonymous_id(&format!("  {uri}\n")), Some(ID));
    assert_eq!(anonymous_id(ANONYMOUS_PREFIX), None);
    assert_eq!(
        anonymous_id("http://www.w3.org/2005/08/addressing/anonymous"),
        None
    );
    assert_eq!(anonymous_id(&format!("{ANONYMOUS_PREFIX}a b")), None);
    assert_eq!(
        anonymous_id(&anonymous_uri(&"x".repeat(MAX_ID_LEN + 1))),
        None
    );
}

/// Metro 4.0.4's MakeConnection (testdata/metro/mc-rm11-soap12-rr/0003-…), body only.
#[test]
fn reads_metros_make_connection() {
    let xml = format!(
        r#"<MakeConnection xmlns="http://docs.oasis-open.org/ws-rx/wsmc/200702" xmlns:ns2="http://www.w3.org/2005/08/addressing"><Address>{}</Address></MakeConnection>"#,
        anonymous_uri(ID)
    );
    let doc = Document::parse(xml.as_bytes()).unwrap();
    assert_eq!(decode_make_connection(doc.root()).unwrap(), by_address(ID));
}

#[test]
fn selections_and_refusals() {
    let parse = |inner: &str| {
        let xml = format!(
            r#"<wsmc:MakeConnection xmlns:wsmc="{NS}" xmlns:wsrm="http://docs.oasis-open.org/ws-rx/wsrm/200702" xmlns:x="urn:x">{inner}</wsmc:MakeConnection>"#
        );
        let doc = Document::parse(xml.as_bytes()).unwrap();
        decode_make_connection(doc.root())
    };
    assert_eq!(
        parse("<wsrm:Identifier> urn:s1 </wsrm:Identifier>").unwrap(),
        Selection {
            address: None,
            sequence: Some(SequenceId::new("urn:s1"))
        }
    );
    assert_eq!(parse(""), Err(McError::MissingSelection));
    assert!(matches!(
        parse("<x:Other/>"),
        Err(McError::UnsupportedSelection(q)) if q == "{urn:x}Other"
    ));
    assert!(matches!(
        parse("<wsmc:Address>http://example.org/client</wsmc:Address>"),
        Err(McError::UnsupportedSelection(_))
    ));
    let two = format!(
        "<wsmc:Address>{0}</wsmc:Address><wsmc:Address>{0}</wsmc:Address>",
        anonymous_uri(ID)
    );
    assert!(matches!(parse(&two), Err(McError::Malformed(_))));
    let doc = Document::parse(br#"<a xmlns="urn:x"/>"#).unwrap();
    assert!(matches!(
        decode_make_connection(doc.root()),
        Err(McError::Malformed(_))
    ));
}

#[test]
fn faults_carry_the_wsmc_subcodes() {
    let f = McError::MissingSelection.fault();
    assert_eq!(f.code, FaultCode::Sender);
    assert_eq!(f.subcode().unwrap().local, "MissingSelection");
    let f = McError::UnsupportedSelection("{urn:x}<Other>".into()).fault();
    assert_eq!(f.subcode().unwrap().local, "UnsupportedSelection");
    assert!(
        f.detail[0].contains("{urn:x}&lt;Other&gt;"),
        "{:?}",
        f.detail
    );
}

#[test]
fn writes_and_reads_back() {
    let mut w = XmlWriter::new();
    w.start(None, "root");
    write_make_connection(&mut w, &anonymous_uri(ID));
    write_message_pending(&mut w, true);
    write_message_pending(&mut w, false);
    w.end();
    let xml = w.finish().unwrap();
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let kids: Vec<_> = doc.root().child_elements().collect();
    assert_eq!(decode_make_connection(kids[0]).unwrap(), by_address(ID));
    assert_eq!(message_pending(kids[1]), Some(true));
    assert_eq!(message_pending(kids[2]), Some(false));
    assert_eq!(message_pending(kids[0]), None);
    // Metro's spelling.
    let doc = Document::parse(
        br#"<MessagePending xmlns="http://docs.oasis-open.org/ws-rx/wsmc/200702" pending="false"/>"#,
    )
    .unwrap();
    assert_eq!(message_pending(doc.root()), Some(false));
}

#[test]
fn mailbox_hands_out_in_order_with_pending() {
    let mut m = Mailbox::new(MailboxConfig::default());
    assert_eq!(m.take(&by_address(ID)).unwrap(), None);
    assert_eq!(m.hold(t(1), ID, None, None, "csr"), HoldOutcome::Held);
    assert_eq!(m.hold(t(2), "other", None, None, "x"), HoldOutcome::Held);
    assert_eq!(
        m.hold(t(3), ID, Some("s/1".into()), None, "r1"),
        HoldOutcome::Held
    );
    // A retransmission replaces the waiting copy where it stands.
    assert_eq!(
        m.hold(t(4), ID, Some("s/1".into()), None, "r1'"),
        HoldOutcome::Replaced
    );
    assert_eq!(m.len(), 3);
    assert_eq!(
        m.take(&by_address(ID)).unwrap(),
        Some(Taken {
            item: "csr",
            pending: true
        })
    );
    assert_eq!(
        m.take(&by_address(ID)).unwrap(),
        Some(Taken {
            item: "r1'",
            pending: false
        })
    );
    assert_eq!(m.take(&by_address(ID)).unwrap(), None);
    assert_eq!(m.len(), 1);
    assert_eq!(
        m.take(&Selection {
            address: None,
            sequence: None
        }),
        Err(McError::MissingSelection)
    );
}

#[test]
fn mailbox_selects_by_sequence_and_expires() {
    let mut m = Mailbox::new(MailboxConfig {
        per_address: 2,
        total: 3,
        max_age: Duration::from_millis(100),
    });
    let s1 = SequenceId::new("urn:s1");
    let s2 = SequenceId::new("urn:s2");
    assert_eq!(
        m.hold(t(0), "a", None, Some(s1.clone()), 1),
        HoldOutcome::Held
    );
    assert_eq!(
        m.hold(t(10), "a", None, Some(s2.clone()), 2),
        HoldOutcome::Held
    );
    assert_eq!(m.hold(t(20), "a", None, None, 3), HoldOutcome::Full);
    assert_eq!(
        m.hold(t(20), "b", None, Some(s2.clone()), 4),
        HoldOutcome::Held
    );
    assert_eq!(m.hold(t(20), "c", None, None, 5), HoldOutcome::Full);
    let by_s2 = Selection {
        address: None,
        sequence: Some(s2.clone()),
    };
    assert_eq!(
        m.take(&by_s2).unwrap(),
        Some(Taken {
            item: 2,
            pending: true
        })
    );
    assert_eq!(m.poll_timeout(), Some(t(100)));
    assert_eq!(m.expire(t(99)), Vec::<i32>::new());
    assert_eq!(m.expire(t(100)), vec![1]);
    assert_eq!(m.poll_timeout(), Some(t(120)));
    assert_eq!(
        m.take(&by_s2).unwrap(),
        Some(Taken {
            item: 4,
            pending: false
        })
    );
    assert!(m.is_empty());
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn poller_polls_while_something_is_expected() {
    let cfg = PollerConfig {
        interval: Duration::from_millis(100),
        max_interval: Duration::from_millis(400),
    };
    let mut p = Poller::new(cfg);
    assert!(!p.poll(t(0)));
    assert_eq!(p.poll_timeout(), None);
    p.expect(t(5));
    assert_eq!(p.poll_timeout(), Some(t(5)));
    assert!(p.poll(t(5)));
    // One at a time.
    assert!(!p.poll(t(5)));
    assert_eq!(p.poll_timeout(), None);
    // Empty answers back off: 100, 200, 400, 400.
    p.handle_answer(t(10), false, None);
    assert_eq!(p.poll_timeout(), Some(t(110)));
    assert!(p.poll(t(110)));
    p.handle_answer(t(110), false, Some(false));
    assert_eq!(p.poll_timeout(), Some(t(310)));
    assert!(p.poll(t(310)));
    p.handle_answer(t(310), false, None);
    assert_eq!(p.poll_timeout(), Some(t(710)));
    assert!(p.poll(t(710)));
    p.handle_answer(t(710), false, None);
    assert_eq!(p.poll_timeout(), Some(t(1110)));
    // A message (or MessagePending true) makes it poll at once, from the minimum again.
    assert!(p.poll(t(1110)));
    p.handle_answer(t(1115), true, Some(false));
    assert_eq!(p.poll_timeout(), Some(t(1115)));
    assert!(p.poll(t(1115)));
    p.handle_answer(t(1120), false, Some(true));
    assert_eq!(p.poll_timeout(), Some(t(1120)));
    assert!(p.poll(t(1120)));
    p.handle_answer(t(1130), false, None);
    assert_eq!(p.poll_timeout(), Some(t(1230)));
    // Once nothing is expected it stops.
    p.settle();
    assert_eq!(p.expected(), 0);
    assert_eq!(p.poll_timeout(), None);
    assert!(!p.poll(t(5000)));
    p.expect(t(6000));
    p.expect(t(6000));
    p.stop();
    assert!(!p.poll(t(7000)));
}
