#![allow(
    clippy::panic,
    reason = "a fuzz harness reports a violated invariant by panicking"
)]
//! Fuzz harness for envelope processing: called by `fuzz/fuzz_targets/soap_envelope.rs`
//! and replayed under `cargo test` (`tests/fuzz_replay.rs`).

use wsrx_xml::{Document, Limits};

use crate::{AddressingHeaders, Envelope, EnvelopeWriter, Fault};

/// Arbitrary bytes through parse, envelope checks, header blocks, the
/// mustUnderstand model, WS-Addressing and fault parsing: never panics, and every
/// error maps to a fault that writes a well-formed envelope in both versions.
pub fn soap_envelope(data: &[u8]) {
    let limits = Limits {
        max_document_size: 64 * 1024,
        max_nodes: 4096,
        ..Limits::default()
    };
    let Ok(doc) = Document::parse_with(data, &limits) else {
        return;
    };
    let env = match Envelope::new(&doc) {
        Ok(env) => env,
        Err(e) => return check_fault(&e.to_fault()),
    };
    for block in env.header_blocks() {
        let _ = block.map(|b| (b.must_understand, b.role));
    }
    if let Err(e) = env.check_must_understand(|e| e.local_name().len() % 2 == 0, &["urn:role"]) {
        check_fault(&e.to_fault());
    }
    match AddressingHeaders::parse(&env) {
        Ok(Some(h)) => {
            let _ = (h.reply_endpoint(), h.fault_endpoint());
        }
        Ok(None) => {}
        Err(e) => check_fault(&e.to_fault(crate::WsaVersion::V10)),
    }
    if let Some(Ok(fault)) = env.fault() {
        check_fault(&fault);
    }
}

fn check_fault(fault: &Fault) {
    for version in [crate::SoapVersion::V11, crate::SoapVersion::V12] {
        let xml = EnvelopeWriter::new(version).fault(fault);
        let Ok(xml) = xml else {
            panic!("fault envelope could not be written: {:?}", xml.err())
        };
        let parsed = Document::parse(xml.as_bytes());
        let Ok(doc) = parsed else {
            panic!(
                "fault envelope is not well-formed: {:?}\n{xml}",
                parsed.err()
            )
        };
        let Ok(env) = Envelope::new(&doc) else {
            panic!("fault envelope is not an envelope:\n{xml}")
        };
        let Some(Ok(back)) = env.fault() else {
            panic!("fault did not parse back:\n{xml}")
        };
        assert_eq!(back.code, fault.code);
    }
}
