//! XML signature wrapping against the real `wsrx serve` over HTTP (issue 9; threat model
//! T1–T4). Each variant rewrites a genuinely signed message of the victim's sequence
//! (sealed with SCT A by the runtime's own `pipeline::seal`), posts it, and checks the
//! exact fault, that nothing reached the application (the delivery log is unchanged),
//! and that the genuine message is then accepted and delivered, so the sequence
//! completes exactly once and in order. One control variant (attribute order and
//! whitespace only) must pass, to show the suite does not refuse everything.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use common::{Answer, Target, Victim, delivered, element, replace1};

const EVIL: &str = r#"<ns:echo xmlns:ns="urn:example:echo"><ns:text>evil</ns:text></ns:echo>"#;
const S12: &str = "http://www.w3.org/2003/05/soap-envelope";
const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

/// The original Body element of a sealed message.
fn body(m: &str) -> &str {
    element(m, "s:Body")
}

/// `m` with its Body replaced by `replacement` and `extra` inserted as the first
/// header block.
fn rebuild(m: &str, extra_header: &str, replacement_body: &str) -> String {
    let b = body(m).to_owned();
    let out = replace1(m, &b, replacement_body);
    replace1(&out, "<s:Header>", &format!("<s:Header>{extra_header}"))
}

fn evil_body() -> String {
    format!("<s:Body>{EVIL}</s:Body>")
}

/// `(name, rewrite, expected subcode)`; `None`: the control, must be accepted.
type Variant = (&'static str, fn(&str, &str) -> String, Option<&'static str>);

fn variants() -> Vec<Variant> {
    vec![
        (
            "body_moved_into_header_wrapper_signed_copy_kept",
            |m, _| {
                let w = format!(r#"<x:Wrapper xmlns:x="urn:evil">{}</x:Wrapper>"#, body(m));
                rebuild(m, &w, &evil_body())
            },
            Some("FailedCheck"),
        ),
        (
            "body_moved_into_wrapper_inside_new_body",
            |m, _| {
                let b = body(m).to_owned();
                let nb = format!(
                    r#"<s:Body>{EVIL}<x:Wrapper xmlns:x="urn:evil">{b}</x:Wrapper></s:Body>"#
                );
                replace1(m, &b, &nb)
            },
            Some("FailedCheck"),
        ),
        (
            "duplicate_wsu_id_decoy_body",
            |m, _| {
                let w = format!(r#"<x:Wrapper xmlns:x="urn:evil">{}</x:Wrapper>"#, body(m));
                let decoy =
                    format!(r#"<s:Body xmlns:u="{WSU}" u:Id="wsrx-Body-5">{EVIL}</s:Body>"#);
                rebuild(m, &w, &decoy)
            },
            Some("InvalidSecurity"),
        ),
        (
            "signed_body_relocated_under_security",
            |m, _| {
                let b = body(m).to_owned();
                let out = replace1(m, &b, &evil_body());
                replace1(&out, "</wsse:Security>", &format!("{b}</wsse:Security>"))
            },
            Some("InvalidSecurity"),
        ),
        (
            "second_body_after_the_signed_one",
            |m, _| {
                let b = body(m).to_owned();
                replace1(m, &b, &format!("{b}{}", evil_body()))
            },
            Some("Sender"),
        ),
        (
            "evil_body_first_signed_body_second",
            |m, _| {
                let b = body(m).to_owned();
                replace1(m, &b, &format!("{}{b}", evil_body()))
            },
            Some("Sender"),
        ),
        (
            "namespace_same_prefix_rebound_around_signed_body",
            |m, _| {
                // The signed Body, moved into a wrapper that rebinds `s`: it is no longer
                // a SOAP Body (and its canonical form changes).
                let w = format!(
                    r#"<x:Wrapper xmlns:x="urn:evil" xmlns:s="urn:not-soap">{}</x:Wrapper>"#,
                    body(m)
                );
                rebuild(m, &w, &evil_body())
            },
            Some("FailedCheck"),
        ),
        (
            "namespace_different_prefix_same_namespace",
            |m, _| {
                // The same Body under another prefix bound to the same namespace, with
                // the payload swapped: the prefix is part of exc-c14n output.
                let b = body(m).to_owned();
                let nb = format!(
                    r#"<e:Body xmlns:e="{S12}" xmlns:u="{WSU}" u:Id="wsrx-Body-5">{EVIL}</e:Body>"#
                );
                replace1(m, &b, &nb)
            },
            Some("FailedCheck"),
        ),
        (
            "namespace_default_namespace_body",
            |m, _| {
                let w = format!(r#"<x:Wrapper xmlns:x="urn:evil">{}</x:Wrapper>"#, body(m));
                let nb = format!(r#"<Body xmlns="{S12}">{EVIL}</Body>"#);
                rebuild(m, &w, &nb)
            },
            Some("FailedCheck"),
        ),
        (
            "body_id_moved_to_another_element_type",
            |m, _| {
                // The Body's Id put on a header element holding the evil payload.
                let b = body(m).to_owned();
                let decoy = format!(
                    r#"<x:Decoy xmlns:x="urn:evil" xmlns:u="{WSU}" u:Id="wsrx-Body-5">{EVIL}</x:Decoy>"#
                );
                let nb = format!("<s:Body>{EVIL}</s:Body>");
                let out = replace1(m, &b, &nb);
                replace1(&out, "<s:Header>", &format!("<s:Header>{decoy}"))
            },
            Some("FailedCheck"),
        ),
        (
            "forged_sequence_header_next_to_signed_one",
            |m, seq| {
                let h = format!(
                    r#"<r:Sequence xmlns:r="{}" s:mustUnderstand="1"><r:Identifier>{seq}</r:Identifier><r:MessageNumber>1000</r:MessageNumber></r:Sequence>"#,
                    common::WSRM
                );
                replace1(m, "</s:Header>", &format!("{h}</s:Header>"))
            },
            Some("FailedCheck"),
        ),
        (
            "forged_sequence_acknowledgement_next_to_signed_headers",
            |m, seq| {
                let h = format!(
                    r#"<r:SequenceAcknowledgement xmlns:r="{}"><r:Identifier>{seq}</r:Identifier><r:AcknowledgementRange Lower="1" Upper="1000"/></r:SequenceAcknowledgement>"#,
                    common::WSRM
                );
                replace1(m, "</s:Header>", &format!("{h}</s:Header>"))
            },
            Some("FailedCheck"),
        ),
        (
            "forged_ack_requested_next_to_signed_headers",
            |m, seq| {
                let h = format!(
                    r#"<r:AckRequested xmlns:r="{}"><r:Identifier>{seq}</r:Identifier></r:AckRequested>"#,
                    common::WSRM
                );
                replace1(m, "</s:Header>", &format!("{h}</s:Header>"))
            },
            Some("FailedCheck"),
        ),
        (
            "signed_timestamp_and_signature_reused_with_new_body",
            |m, _| {
                let b = body(m).to_owned();
                let nb = replace1(&b, ">victim", ">evil");
                replace1(m, &b, &nb)
            },
            Some("FailedCheck"),
        ),
        (
            "signature_moved_to_another_message",
            |m, seq| {
                // A second genuine message of the same sequence (another number), carrying
                // the first one's Signature and Timestamp.
                let other =
                    common::application(&m_url(m), Some(&common::prot_a()), seq, 999, "moved");
                let sig = element(m, "ds:Signature").to_owned();
                let ts = element(m, "wsu:Timestamp").to_owned();
                let out = replace1(&other, element(&other, "ds:Signature"), &sig);
                replace1(&out, element(&out, "wsu:Timestamp"), &ts)
            },
            Some("FailedCheck"),
        ),
        (
            "control_attribute_order_and_whitespace_only",
            |m, _| {
                // Attribute order in a signed start tag and whitespace between header
                // blocks are invisible to exc-c14n: this must verify and be delivered.
                let b = body(m);
                let open_end = b.find('>').unwrap();
                let open = &b[..=open_end];
                let reordered = format!(r#"<s:Body   u:Id="wsrx-Body-5"   xmlns:u="{WSU}" >"#);
                let out = replace1(m, open, &reordered);
                replace1(&out, "</wsse:Security>", "</wsse:Security>\n   \t")
            },
            None,
        ),
    ]
}

fn m_url(m: &str) -> String {
    let to = element(m, "a:To");
    let start = to.find('>').unwrap() + 1;
    to[start..to.len() - "</a:To>".len()].to_owned()
}

#[test]
fn signature_wrapping_variants_are_refused_and_the_sequence_completes() {
    let t = Target::start("wrapping", &[]);
    let mut victim = Victim::create(&t);
    victim.send(&t, "victim warm-up");
    let mut expected: Vec<(u64, String)> = vec![(1, "victim warm-up".to_owned())];
    let vs = variants();
    assert!(vs.len() >= 13, "at least 12 attacks and the control");
    for (name, rewrite, want) in vs {
        let text = format!("victim {name}");
        let (n, genuine) = victim.capture(&text);
        let before = t.deliveries().len();
        let attack = rewrite(&genuine, &victim.seq);
        assert_ne!(attack, genuine, "{name}: the rewrite changed nothing");
        let a = Answer::read(&t.post(&attack));
        match want {
            Some(sub) => {
                println!(
                    "{name}: HTTP {} fault {:?}",
                    a.status,
                    a.fault.as_ref().unwrap_or(&(String::new(), String::new()))
                );
                assert_eq!(a.status, 400, "{name}: {}", a.text);
                let got = a
                    .fault
                    .clone()
                    .unwrap_or_else(|| panic!("{name}: no fault\n{}", a.text));
                assert!(
                    got.1 == sub || (got.1.is_empty() && got.0 == sub),
                    "{name}: fault {got:?}, expected {sub}\n{}",
                    a.text
                );
                assert_eq!(
                    t.deliveries().len(),
                    before,
                    "{name}: something reached the application"
                );
                // The genuine message still goes through, in order.
                let g = Answer::read(&t.post(&genuine));
                assert!(
                    g.fault.is_none() && g.status < 300,
                    "{name}: genuine refused afterwards: {}",
                    g.text
                );
            }
            None => {
                println!("{name}: HTTP {} (accepted)", a.status);
                assert!(
                    a.fault.is_none() && a.status < 300,
                    "{name}: control refused: {}",
                    a.text
                );
            }
        }
        common::wait_delivered(&t, &victim.seq, n);
        expected.push((n, text));
        assert_eq!(delivered(&t, &victim.seq), expected, "{name}: delivery log");
    }
    // The sequence completes: more messages, close, terminate.
    victim.send(&t, "victim after the attacks");
    expected.push((victim.next - 1, "victim after the attacks".to_owned()));
    let last = victim.next - 1;
    let c = Answer::read(&t.post(&common::close(
        &victim.url,
        Some(&common::prot_a()),
        &victim.seq,
        Some(last),
    )));
    assert!(c.fault.is_none(), "close: {}", c.text);
    let tr = Answer::read(&t.post(&common::terminate(
        &victim.url,
        Some(&common::prot_a()),
        &victim.seq,
        Some(last),
    )));
    assert!(tr.fault.is_none(), "terminate: {}", tr.text);
    assert_eq!(
        delivered(&t, &victim.seq),
        expected,
        "exactly once, in order"
    );
}
