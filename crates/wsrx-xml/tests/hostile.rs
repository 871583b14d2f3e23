//! Hostile input: each document must be refused with the right typed error while
//! the heap stays under an asserted budget.
//!
//! The global allocator is capped (`cap::Cap`) around each parse: the budget is
//! the heap in use before the call plus a fixed allowance, so a parser that
//! expanded entities, recursed into huge structures or copied a 100 MB text node
//! would hit the cap and abort this test binary. Tests run one at a time (a
//! mutex) so that the measurement is not disturbed by other tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::alloc::System;
use std::sync::Mutex;

use cap::Cap;
use wsrx_xml::{Document, Limit, Limits, XmlError};

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

static SERIAL: Mutex<()> = Mutex::new(());

/// Held for a whole test: the cap is process-wide, so no other test may allocate
/// (building its input, say) while one is measuring.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `parse` with at most `budget` bytes of extra heap, then lifts the cap.
fn within_budget<T>(budget: usize, parse: impl FnOnce() -> T) -> T {
    HEAP.set_limit(HEAP.allocated() + budget).unwrap();
    let result = parse();
    HEAP.set_limit(usize::MAX).unwrap();
    result
}

const KIB: usize = 1024;
/// Fixed allowance per parse: the pre-sized node, attribute and scope vectors.
const BASE: usize = 512 * KIB;

fn refuse(input: &[u8], budget: usize) -> XmlError {
    within_budget(budget, || Document::parse(input)).expect_err("hostile input was accepted")
}

#[test]
fn billion_laughs_is_refused_at_the_doctype() {
    let _serial = serial();
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    doc.push_str("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for i in 2..10 {
        let refs = format!("&lol{};", i - 1).repeat(10);
        doc.push_str(&format!("<!ENTITY lol{i} \"{refs}\">\n"));
    }
    doc.push_str("]>\n<lolz>&lol9;</lolz>");
    let err = refuse(doc.as_bytes(), BASE);
    assert!(matches!(err, XmlError::DoctypeForbidden { .. }), "{err:?}");
}

#[test]
fn external_entity_is_refused_at_the_doctype() {
    let _serial = serial();
    let doc = b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><r>&xxe;</r>";
    assert!(matches!(
        refuse(doc, BASE),
        XmlError::DoctypeForbidden { .. }
    ));
}

#[test]
fn any_doctype_is_refused() {
    let _serial = serial();
    for doc in [
        &b"<!DOCTYPE r><r/>"[..],
        b"<!DOCTYPE r SYSTEM \"r.dtd\"><r/>",
        b"<r><!DOCTYPE r></r>",
    ] {
        assert!(matches!(
            refuse(doc, BASE),
            XmlError::DoctypeForbidden { .. }
        ));
    }
}

#[test]
fn undefined_entity_without_doctype_is_refused() {
    let _serial = serial();
    let err = refuse(b"<r>&xxe;</r>", BASE);
    assert!(
        matches!(err, XmlError::UndefinedEntity { offset: 3 }),
        "{err:?}"
    );
    assert!(matches!(
        refuse(b"<r a='&nbsp;'/>", BASE),
        XmlError::UndefinedEntity { .. }
    ));
}

#[test]
fn ten_thousand_deep_nesting_hits_the_depth_limit() {
    let _serial = serial();
    let doc = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    let err = refuse(doc.as_bytes(), BASE + doc.len());
    assert_eq!(err.limit(), Some(Limit::Depth), "{err:?}");
    assert_eq!(err.offset(), 3 * Limits::default().max_depth);
}

#[test]
fn hundred_megabyte_text_node_is_refused_without_copying_it() {
    let _serial = serial();
    let mut doc = b"<r>".to_vec();
    doc.resize(100 * 1024 * 1024 + 3, b'a');
    doc.extend_from_slice(b"</r>");
    // Default limits: refused by size before anything is allocated.
    let err = within_budget(KIB, || Document::parse(&doc)).unwrap_err();
    assert_eq!(err.limit(), Some(Limit::DocumentSize), "{err:?}");
    // A configuration that admits 128 MB documents still bounds text nodes; the
    // owned buffer is reused, so the parse itself needs almost no heap.
    let limits = Limits {
        max_document_size: 128 * 1024 * 1024,
        ..Limits::default()
    };
    let err = within_budget(BASE, || Document::parse_owned(doc, &limits)).unwrap_err();
    assert_eq!(err.limit(), Some(Limit::TextLength), "{err:?}");
}

#[test]
fn hundred_thousand_attributes_hit_the_attribute_limit() {
    let _serial = serial();
    let mut doc = String::from("<r");
    for i in 0..100_000 {
        doc.push_str(&format!(" a{i}=\"v\""));
    }
    doc.push_str("/>");
    let err = refuse(doc.as_bytes(), BASE + doc.len());
    assert_eq!(err.limit(), Some(Limit::Attributes), "{err:?}");
}

#[test]
fn many_namespace_declarations_hit_their_limit() {
    let _serial = serial();
    let mut doc = String::from("<r");
    for i in 0..10_000 {
        doc.push_str(&format!(" xmlns:p{i}=\"urn:{i}\""));
    }
    doc.push_str("/>");
    let err = refuse(doc.as_bytes(), BASE + doc.len());
    assert_eq!(err.limit(), Some(Limit::NamespaceDeclarations), "{err:?}");
}

#[test]
fn node_count_is_bounded() {
    let _serial = serial();
    let doc = format!("<r>{}</r>", "<a/>".repeat(600_000));
    let err = refuse(doc.as_bytes(), 64 * 1024 * KIB + doc.len());
    assert_eq!(err.limit(), Some(Limit::Nodes), "{err:?}");
}

#[test]
fn long_names_and_values_hit_their_limits() {
    let _serial = serial();
    let doc = format!("<{}/>", "n".repeat(10_000));
    assert_eq!(
        refuse(doc.as_bytes(), BASE + doc.len()).limit(),
        Some(Limit::NameLength)
    );
    let doc = format!("<r a=\"{}\"/>", "v".repeat(1024 * 1024));
    assert_eq!(
        refuse(doc.as_bytes(), BASE + doc.len()).limit(),
        Some(Limit::AttributeLength)
    );
}

#[test]
fn unbound_prefix_is_refused() {
    let _serial = serial();
    assert!(matches!(
        refuse(b"<p:r/>", BASE),
        XmlError::UnboundPrefix { .. }
    ));
    assert!(matches!(
        refuse(b"<r p:a=\"1\"/>", BASE),
        XmlError::UnboundPrefix { .. }
    ));
    // A binding goes out of scope with its element.
    assert!(matches!(
        refuse(b"<r><a xmlns:p=\"urn:p\"/><p:b/></r>", BASE),
        XmlError::UnboundPrefix { .. }
    ));
}

#[test]
fn duplicate_attributes_are_refused() {
    let _serial = serial();
    assert!(matches!(
        refuse(b"<r a=\"1\" a=\"2\"/>", BASE),
        XmlError::DuplicateAttribute { .. }
    ));
    // Same expanded name through two prefixes (Namespaces in XML 1.0 §6.3).
    let doc = b"<r xmlns:p=\"urn:x\" xmlns:q=\"urn:x\" p:a=\"1\" q:a=\"2\"/>";
    assert!(matches!(
        refuse(doc, BASE),
        XmlError::DuplicateAttribute { .. }
    ));
    assert!(matches!(
        refuse(b"<r xmlns:p=\"urn:x\" xmlns:p=\"urn:y\"/>", BASE),
        XmlError::DuplicateAttribute { .. }
    ));
}

#[test]
fn invalid_utf8_is_refused() {
    let _serial = serial();
    let err = refuse(b"<r>caf\xC3</r>", BASE);
    assert_eq!(err, XmlError::InvalidUtf8 { offset: 6 });
    assert!(matches!(
        refuse(b"<r a=\"\xFF\"/>", BASE),
        XmlError::InvalidUtf8 { .. }
    ));
}

#[test]
fn every_truncation_of_an_envelope_is_refused() {
    let _serial = serial();
    let full = br#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">urn:x</a:Action><!-- c --><?pi d?></s:Header><s:Body><![CDATA[x<y]]>&amp;&#x41;</s:Body></s:Envelope>"#;
    assert!(Document::parse(full).is_ok());
    for cut in 0..full.len() {
        let err = refuse(&full[..cut], BASE);
        assert!(
            matches!(
                err,
                XmlError::Truncated { .. }
                    | XmlError::Malformed { .. }
                    | XmlError::UndefinedEntity { .. }
            ),
            "cut at {cut}: {err:?}"
        );
    }
}
