//! Tampering and signature-wrapping attacks on signed messages: each must fail either
//! verification or the signed-parts policy (spec-facts §4; the policy module docs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

mod common;

use std::time::{Duration, SystemTime};

use common::{MapResolver, created_of, demo_token, unsigned_message, vectors};
use wsrx_crypto::InsecureSeededRandom;
use wsrx_security::{Policy, ScVersion, SecurityError, SignConfig, Signer, Verifier};
use wsrx_xml::Document;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn signed() -> String {
    let mut rng = InsecureSeededRandom::from_seed(11);
    let (token, secret) = demo_token(ScVersion::V200512);
    let doc = Document::parse(unsigned_message("pay 10").as_bytes()).unwrap();
    Signer::new(&token, &secret, SignConfig::default())
        .secure(&doc, now(), &mut rng)
        .unwrap()
}

/// Verify + policy.
fn accept(xml: &str, at: SystemTime) -> Result<(), SecurityError> {
    let doc =
        Document::parse(xml.as_bytes()).map_err(|_| SecurityError::InvalidSecurity("parse"))?;
    let verified = Verifier::default().verify(&doc, &MapResolver::demo(), at)?;
    Policy::default().check(&verified).map(|_| ())
}

fn cut(xml: &str, start: &str, end: &str) -> (String, String) {
    let a = xml.find(start).unwrap();
    let b = a + xml[a..].find(end).unwrap() + end.len();
    (format!("{}{}", &xml[..a], &xml[b..]), xml[a..b].to_owned())
}

#[test]
fn baseline_is_accepted() {
    accept(&signed(), now()).unwrap();
}

#[test]
fn changed_body_byte_fails() {
    let m = signed().replace("pay 10", "pay 99");
    assert_eq!(accept(&m, now()), Err(SecurityError::FailedCheck));
}

#[test]
fn changed_header_fails() {
    let m = signed().replace("<r:MessageNumber>1<", "<r:MessageNumber>2<");
    assert_eq!(accept(&m, now()), Err(SecurityError::FailedCheck));
}

#[test]
fn duplicate_id_is_refused() {
    let m = signed().replace("<ns:text>", "<ns:text u:Id=\"_6\">");
    assert_eq!(accept(&m, now()), Err(SecurityError::DuplicateId));
    // A duplicate of a header-token id, unqualified on a ds element, counts too.
    let m = signed().replace("<ds:SignatureValue>", "<ds:SignatureValue Id=\"wsrx-ts\">");
    assert_eq!(accept(&m, now()), Err(SecurityError::DuplicateId));
}

#[test]
fn body_moved_into_wrapper_with_signed_copy_kept_fails_policy() {
    let m = signed();
    let (without_body, body) = cut(&m, "<s:Body", "</s:Body>");
    let wrapped = without_body
        .replace("<s:Header>", &format!("<s:Header><w:Wrapper xmlns:w=\"urn:w\">{body}</w:Wrapper>"))
        .replace("</s:Header>", "</s:Header><s:Body><ns:echo xmlns:ns=\"urn:example:echo\"><ns:text>pay 1000</ns:text></ns:echo></s:Body>");
    let doc = Document::parse(wrapped.as_bytes()).unwrap();
    // The signature itself still verifies: only the identity check catches it.
    let verified = Verifier::default()
        .verify(&doc, &MapResolver::demo(), now())
        .unwrap();
    assert!(matches!(
        Policy::default().check(&verified),
        Err(SecurityError::PolicyViolation(_))
    ));
}

#[test]
fn second_body_fails_policy() {
    // SOAP 1.1 tolerates elements after the Body: put the forged Body first.
    let mut rng = InsecureSeededRandom::from_seed(12);
    let (token, secret) = demo_token(ScVersion::V200512);
    let src = unsigned_message("pay 10").replace(
        "http://www.w3.org/2003/05/soap-envelope",
        "http://schemas.xmlsoap.org/soap/envelope/",
    );
    let doc = Document::parse(src.as_bytes()).unwrap();
    let m = Signer::new(&token, &secret, SignConfig::default())
        .secure(&doc, now(), &mut rng)
        .unwrap();
    accept(&m, now()).unwrap();
    let forged = m.replace("<s:Body u:Id=\"_6\">", "<s:Body><ns:echo xmlns:ns=\"urn:example:echo\"><ns:text>pay 1000</ns:text></ns:echo></s:Body><s:Body u:Id=\"_6\">");
    assert!(matches!(
        accept(&forged, now()),
        Err(SecurityError::PolicyViolation(_))
    ));
}

#[test]
fn header_moved_under_security_fails_policy() {
    let m = signed();
    let (without, seq) = cut(&m, "<r:Sequence", "</r:Sequence>");
    let moved = without.replace("</wsse:Security>", &format!("{seq}</wsse:Security>"));
    // Refused while processing the header (unknown child) before the policy runs.
    let refused = |r| {
        matches!(
            r,
            Err(SecurityError::PolicyViolation(_) | SecurityError::InvalidSecurity(_))
        )
    };
    assert!(refused(accept(&moved, now())));
    // … and with a forged unsigned Sequence where the RM layer looks.
    let forged = moved.replace("<s:Header>", "<s:Header><r:Sequence><r:Identifier>urn:x</r:Identifier><r:MessageNumber>7</r:MessageNumber></r:Sequence>");
    assert!(refused(accept(&forged, now())));
    // Inside the Timestamp's neighbour, a wrapper header instead: the policy catches it.
    let wrapped = without.replace(
        "<s:Header>",
        &format!("<s:Header><w:W xmlns:w=\"urn:w\">{seq}</w:W>"),
    );
    assert!(matches!(
        accept(&wrapped, now()),
        Err(SecurityError::PolicyViolation(_))
    ));
}

#[test]
fn forged_rm_header_next_to_signed_one_fails_policy() {
    let m = signed().replace("</s:Header>", "<r:SequenceAcknowledgement xmlns:r=\"http://schemas.xmlsoap.org/ws/2005/02/rm\"><r:Identifier>urn:x</r:Identifier></r:SequenceAcknowledgement></s:Header>");
    assert!(matches!(
        accept(&m, now()),
        Err(SecurityError::PolicyViolation(_))
    ));
    let m = signed().replace(
        "</s:Header>",
        "<a:RelatesTo>urn:uuid:forged</a:RelatesTo></s:Header>",
    );
    assert!(matches!(
        accept(&m, now()),
        Err(SecurityError::PolicyViolation(_))
    ));
}

#[test]
fn timestamp_outside_security_is_not_the_timestamp() {
    // Moving the signed Timestamp out of the Security header leaves none there.
    let m = signed();
    let (without, ts) = cut(&m, "<wsu:Timestamp", "</wsu:Timestamp>");
    let moved = without.replace("</s:Header>", &format!("{ts}</s:Header>"));
    assert_eq!(
        accept(&moved, now()),
        Err(SecurityError::InvalidSecurity("no Timestamp"))
    );
}

#[test]
fn truncated_signature_value_is_refused() {
    let m = signed();
    let start = m.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
    let end = start + m[start..].find('<').unwrap();
    // 16 of 32 bytes, as base64 (a correct prefix of the HMAC).
    let b64 = &m[start..end];
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let short = base64::engine::general_purpose::STANDARD.encode(&raw[..16]);
    let t = format!("{}{}{}", &m[..start], short, &m[end..]);
    assert_eq!(accept(&t, now()), Err(SecurityError::FailedCheck));
}

#[test]
fn wrong_token_reference_is_refused() {
    let m = signed().replace("URI=\"#wsrx-dk-sig\"", "URI=\"#wsrx-ts\"");
    assert_eq!(accept(&m, now()), Err(SecurityError::TokenUnavailable));
    let m = signed().replace("URI=\"#wsrx-dk-sig\"", "URI=\"#nowhere\"");
    assert_eq!(accept(&m, now()), Err(SecurityError::TokenUnavailable));
    // DKT whose base reference does not resolve.
    let m = signed().replace("URI=\"#wsrx-sct\"", "URI=\"#gone\"");
    assert_eq!(
        accept(&m, now()),
        Err(SecurityError::UnknownDerivationSource)
    );
}

#[test]
fn absurd_dkt_bounds_are_refused() {
    let m = signed().replace(
        "<wsc:Length>24</wsc:Length>",
        "<wsc:Length>1000000</wsc:Length>",
    );
    assert!(matches!(
        accept(&m, now()),
        Err(SecurityError::InvalidToken(_))
    ));
    let m = signed().replace(
        "<wsc:Offset>0</wsc:Offset>",
        "<wsc:Offset>18446744073709551615</wsc:Offset>",
    );
    assert!(matches!(
        accept(&m, now()),
        Err(SecurityError::InvalidToken(_))
    ));
}

#[test]
fn gsoap_capture_tampering() {
    let path = vectors().join("gsoap/sct-dkt/03-req-Echo.xml");
    let text = std::fs::read_to_string(path).unwrap();
    let at = created_of(&text);
    accept(&text, at).unwrap();
    let m = text.replace("hello 1", "hello 2");
    assert_eq!(accept(&m, at), Err(SecurityError::FailedCheck));
    let m = text.replace("<wsc:Nonce>", "<wsc:Nonce>AAAA");
    assert_eq!(accept(&m, at), Err(SecurityError::FailedCheck));
}
