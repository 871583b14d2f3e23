#![allow(
    clippy::panic,
    reason = "a fuzz harness reports a violated invariant by panicking"
)]
//! Fuzz harnesses for the RM codecs (house-style §3: `rm_wire_roundtrip`), for
//! `fuzz/fuzz_targets/` and replayed as property tests under `cargo test`.

use wsrx_soap::{AddressingHeaders, Envelope, OutboundAddressing, SoapVersion};
use wsrx_xml::{Document, Limits};

use super::{WireBody, WireProfile, decode, encode, encode_fault};

fn limits() -> Limits {
    Limits {
        max_document_size: 64 * 1024,
        max_nodes: 4096,
        ..Limits::default()
    }
}

/// Arbitrary bytes through parse, envelope, addressing and [`decode`]: never panics; every
/// refusal maps to a fault that writes a well-formed envelope in both SOAP versions and
/// every profile; every accepted message converts to machine inputs.
pub fn fuzz_decode(data: &[u8]) {
    let Ok(doc) = Document::parse_with(data, &limits()) else {
        return;
    };
    let Ok(env) = Envelope::new(&doc) else {
        return;
    };
    let action = AddressingHeaders::parse(&env)
        .ok()
        .flatten()
        .and_then(|h| h.action);
    match decode(&env, action.as_deref()) {
        Ok(d) => {
            let _ = d.messages(None, &mut |r| r.token());
        }
        Err(e) => {
            for profile in WireProfile::ALL {
                let fault = e.to_fault(profile);
                for soap in [SoapVersion::V11, SoapVersion::V12] {
                    let a = OutboundAddressing::request(profile.wsa_version(), "urn:to", "");
                    let xml = encode_fault(profile, soap, &a, &fault, &mut |_| None);
                    let Ok(xml) = xml else {
                        panic!("fault for {e:?} not written: {xml:?}")
                    };
                    let Ok(back) = Document::parse(xml.as_bytes()) else {
                        panic!("fault envelope not well-formed:\n{xml}")
                    };
                    if Envelope::new(&back).is_err() {
                        panic!("fault envelope is no envelope:\n{xml}");
                    }
                }
            }
        }
    }
}

/// Decode → encode → decode: whatever [`decode`] accepts, [`encode`] writes in the same
/// SOAP version and the profile of its versions, and decoding that gives the same
/// [`super::WireMessage`].
pub fn fuzz_roundtrip(data: &[u8]) {
    let Ok(doc) = Document::parse_with(data, &limits()) else {
        return;
    };
    let Ok(env) = Envelope::new(&doc) else {
        return;
    };
    let headers = AddressingHeaders::parse(&env).ok().flatten();
    let action = headers.as_ref().and_then(|h| h.action.clone());
    let Ok(first) = decode(&env, action.as_deref()) else {
        return;
    };
    let profile = first.profile(headers.as_ref().map(|h| h.version));
    let wire = first.to_wire();
    let action = action
        .or_else(|| wire.action(profile).map(str::to_owned))
        .unwrap_or_else(|| "urn:wsrx:fuzz".to_owned());
    let addressing = OutboundAddressing::request(profile.wsa_version(), "urn:to", action);
    let payload = match first.body {
        WireBody::Application => env.payload().map(|p| p.to_xml()),
        _ => None,
    };
    let written = encode(
        profile,
        env.version(),
        &addressing,
        &wire,
        payload.as_deref(),
        &mut |_| None,
    );
    let xml = match written {
        Ok(xml) => xml,
        Err(e) => panic!("decoded message not encodable ({profile:?}): {e}\n{wire:?}"),
    };
    let Ok(doc2) = Document::parse(xml.as_bytes()) else {
        panic!("encoded message not well-formed:\n{xml}")
    };
    let Ok(env2) = Envelope::new(&doc2) else {
        panic!("encoded message is no envelope:\n{xml}")
    };
    let headers2 = match AddressingHeaders::parse(&env2) {
        Ok(h) => h,
        Err(e) => panic!("encoded addressing refused: {e}\n{xml}"),
    };
    assert_eq!(
        headers2.as_ref().map(|h| h.version),
        Some(profile.wsa_version()),
    );
    let action2 = headers2.and_then(|h| h.action);
    match decode(&env2, action2.as_deref()) {
        Ok(second) => assert_eq!(
            second.to_wire(),
            wire,
            "round trip changed the message:\n{xml}"
        ),
        Err(e) => panic!("re-decode refused: {e}\n{xml}"),
    }
}
