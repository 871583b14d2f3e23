//! The WS-RM sample envelopes (`testdata/rm/`: WCF 1.0/1.1 documentation
//! samples CC-BY-4.0, CXF and Sandesha2 Apache-2.0) and the 48 gSOAP captures
//! (`testdata/gsoap/`) parse as SOAP, their headers are found with the
//! values the manifests give, and re-serialized envelopes parse back to the same
//! model.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use serde::Deserialize;
use wsrx_soap::{AddressingHeaders, Envelope, SoapVersion};
use wsrx_xml::{C14nOptions, Document, canonicalize_to_vec};

const WSRM11: &str = "http://docs.oasis-open.org/ws-rx/wsrm/200702";
const WSRM10: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm";

fn vectors() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    assert!(dir.is_dir(), "testdata/ not found at {}", dir.display());
    dir
}

#[derive(Deserialize)]
struct RmManifest {
    message: Vec<RmMessage>,
}

#[derive(Deserialize)]
struct RmMessage {
    id: String,
    file: String,
    kind: String,
    soap: Option<String>,
    expected: String,
    #[serde(default)]
    values: toml::Table,
}

#[derive(Deserialize)]
struct GsoapManifest {
    message: Vec<GsoapMessage>,
}

#[derive(Deserialize)]
struct GsoapMessage {
    file: String,
    action: String,
    sequence: Option<toml::Table>,
}

/// Same model: identical canonical form of the whole envelope (names,
/// namespaces, attributes, text) and identical re-serialization.
fn assert_round_trip(doc: &Document, what: &str) {
    let again = Document::parse(doc.to_xml().as_bytes())
        .unwrap_or_else(|e| panic!("{what}: reparse failed: {e}"));
    let opts = C14nOptions {
        with_comments: true,
        ..C14nOptions::default()
    };
    assert_eq!(
        canonicalize_to_vec(doc.root(), &opts),
        canonicalize_to_vec(again.root(), &opts),
        "{what}"
    );
    assert_eq!(doc.to_xml(), again.to_xml(), "{what}");
    Envelope::new(&again).unwrap_or_else(|e| panic!("{what}: reparsed envelope refused: {e}"));
}

fn rm_header_names(env: &Envelope<'_>) -> Vec<String> {
    env.header()
        .into_iter()
        .flat_map(|h| h.child_elements())
        .filter(|e| matches!(e.namespace(), Some(WSRM11 | WSRM10)))
        .map(|e| e.local_name().to_owned())
        .collect()
}

#[test]
fn rm_sample_envelopes_parse_and_round_trip() {
    let dir = vectors().join("rm");
    let manifest: RmManifest =
        toml::from_str(&std::fs::read_to_string(dir.join("manifest.toml")).unwrap()).unwrap();
    let mut checked = 0;
    for m in manifest.message.iter().filter(|m| m.kind == "envelope") {
        let bytes = std::fs::read(dir.join(&m.file)).unwrap();
        let doc = Document::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", m.id));
        let env = Envelope::new(&doc).unwrap_or_else(|e| panic!("{}: {e}", m.id));
        if let Some(v) = &m.soap {
            let expected = if v == "1.1" {
                SoapVersion::V11
            } else {
                SoapVersion::V12
            };
            assert_eq!(env.version(), expected, "{}", m.id);
        }
        // "reject" samples are wrong at the WS-RM level (namespaces, draft URIs),
        // which the RM codecs refuse; the SOAP and WS-A layers still read them.
        let wsa = AddressingHeaders::parse(&env).unwrap_or_else(|e| panic!("{}: {e}", m.id));
        let text = |k: &str| m.values.get(k).and_then(|v| v.as_str());
        if let Some(action) = text("action") {
            assert_eq!(
                wsa.as_ref().and_then(|h| h.action.as_deref()),
                Some(action),
                "{}",
                m.id
            );
        }
        if let Some(id) = text("message_id") {
            assert_eq!(
                wsa.as_ref().and_then(|h| h.message_id.as_deref()),
                Some(id),
                "{}",
                m.id
            );
        }
        if let Some(id) = text("relates_to") {
            let rel = wsa.as_ref().map(|h| {
                h.relates_to
                    .iter()
                    .map(|r| r.message_id.as_str())
                    .collect::<Vec<_>>()
            });
            assert_eq!(rel, Some(vec![id]), "{}", m.id);
        }
        if let Some(to) = text("to") {
            assert_eq!(
                wsa.as_ref().and_then(|h| h.to.as_deref()),
                Some(to),
                "{}",
                m.id
            );
        }
        if let Some(reply_to) = text("reply_to") {
            assert_eq!(
                wsa.as_ref().map(|h| h.reply_endpoint().address),
                Some(reply_to.to_owned()),
                "{}",
                m.id
            );
        }
        if m.values.contains_key("sequence_identifier") || m.values.contains_key("message_number") {
            assert!(
                rm_header_names(&env).contains(&"Sequence".to_owned()),
                "{}: Sequence header not found",
                m.id
            );
        }
        if m.values.contains_key("ack_ranges") {
            assert!(
                rm_header_names(&env).contains(&"SequenceAcknowledgement".to_owned()),
                "{}: no ack",
                m.id
            );
        }
        if let Some(code) = text("code") {
            let fault = env
                .fault()
                .unwrap_or_else(|| panic!("{}: no fault", m.id))
                .unwrap();
            let expanded = |q: &wsrx_soap::QName| format!("{{{}}}{}", q.namespace, q.local);
            assert!(
                code.ends_with(&format!("}}{:?}", fault.code)),
                "{}: code {code} vs {fault:?}",
                m.id
            );
            let subcodes: Vec<String> = fault.subcodes.iter().map(expanded).collect();
            let expected: Vec<String> = ["subcode", "subsubcode"]
                .iter()
                .filter_map(|k| text(k))
                .map(str::to_owned)
                .collect();
            assert_eq!(subcodes, expected, "{}", m.id);
        }
        assert!(matches!(
            m.expected.as_str(),
            "accept" | "accept-lenient" | "reject"
        ));
        assert_round_trip(&doc, &m.id);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} envelopes");
}

#[test]
fn gsoap_captures_parse_find_their_headers_and_round_trip() {
    let dir = vectors().join("gsoap");
    let manifest: GsoapManifest =
        toml::from_str(&std::fs::read_to_string(dir.join("manifest.toml")).unwrap()).unwrap();
    assert_eq!(manifest.message.len(), 48);
    for m in &manifest.message {
        let bytes = std::fs::read(dir.join(&m.file)).unwrap();
        let doc = Document::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", m.file));
        let env = Envelope::new(&doc).unwrap_or_else(|e| panic!("{}: {e}", m.file));
        assert_eq!(env.version(), SoapVersion::V12, "{}", m.file);
        let wsa = AddressingHeaders::parse(&env)
            .unwrap()
            .unwrap_or_else(|| panic!("{}: no WS-A", m.file));
        assert_eq!(wsa.action.as_deref(), Some(m.action.as_str()), "{}", m.file);
        if let Some(seq) = &m.sequence {
            let header = env
                .headers_named(WSRM11, "Sequence")
                .next()
                .unwrap_or_else(|| panic!("{}", m.file));
            let id = header
                .child(WSRM11, "Identifier")
                .unwrap()
                .trimmed_text()
                .into_owned();
            let number: i64 = header
                .child(WSRM11, "MessageNumber")
                .unwrap()
                .trimmed_text()
                .parse()
                .unwrap();
            assert_eq!(
                Some(id.as_str()),
                seq.get("identifier").and_then(|v| v.as_str()),
                "{}",
                m.file
            );
            assert_eq!(
                Some(number),
                seq.get("message_number").and_then(|v| v.as_integer()),
                "{}",
                m.file
            );
        }
        // gSOAP marks Action, To, ReplyTo and Security mustUnderstand="true"; with
        // those understood, nothing else is mandatory.
        let understood = |e: wsrx_xml::Element<'_>| {
            matches!(
                e.local_name(),
                "Action" | "To" | "ReplyTo" | "Security" | "Sequence" | "UsesSequenceSTR"
            )
        };
        env.check_must_understand(understood, &[])
            .unwrap_or_else(|e| panic!("{}: {e}", m.file));
        assert_round_trip(&doc, &m.file);
    }
}
