//! Reader, model, serializer and writer behaviour, each rule with its spec section.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use wsrx_xml::{C14nOptions, Document, Node, XmlError, XmlWriter, canonicalize_to_vec};

fn parse(s: &str) -> Document {
    Document::parse(s.as_bytes()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn c14n(doc: &Document) -> String {
    String::from_utf8(canonicalize_to_vec(doc.root(), &C14nOptions::default())).unwrap()
}

#[test]
fn attribute_values_are_normalized_per_xml_3_3_3() {
    // Literal TAB, LF, CR and CRLF become one space each; references keep their character.
    let doc = parse("<r a=\"x\ty\nz\r\nw\rv\" b=\"&#x9;&#xA;&#xD;\"/>");
    assert_eq!(doc.root().attribute(None, "a"), Some("x y z w v"));
    assert_eq!(doc.root().attribute(None, "b"), Some("\t\n\r"));
    assert_eq!(c14n(&doc), "<r a=\"x y z w v\" b=\"&#x9;&#xA;&#xD;\"></r>");
}

#[test]
fn line_ends_are_normalized_per_xml_2_11() {
    let doc = parse("<r>a\r\nb\rc&#xD;</r>");
    assert_eq!(doc.root().text(), "a\nb\nc\r");
    assert_eq!(c14n(&doc), "<r>a\nb\nc&#xD;</r>");
}

#[test]
fn predefined_and_character_references_decode() {
    let doc = parse("<r a='&lt;&gt;&amp;&apos;&quot;'>&#65;&#x42;&#x1D11E;</r>");
    assert_eq!(doc.root().attribute(None, "a"), Some("<>&'\""));
    assert_eq!(doc.root().text(), "AB\u{1D11E}");
}

#[test]
fn references_to_non_characters_are_refused() {
    for bad in [
        "<r>&#0;</r>",
        "<r>&#x1;</r>",
        "<r>&#xFFFE;</r>",
        "<r>&#xD800;</r>",
        "<r>&#x110000;</r>",
    ] {
        let err = Document::parse(bad.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                XmlError::InvalidCharacter { .. } | XmlError::UndefinedEntity { .. }
            ),
            "{bad}: {err:?}"
        );
    }
    assert!(matches!(
        Document::parse(b"<r>\x01</r>"),
        Err(XmlError::InvalidCharacter { offset: 3 })
    ));
    assert!(matches!(
        Document::parse("<r>\u{FFFE}</r>".as_bytes()),
        Err(XmlError::InvalidCharacter { .. })
    ));
}

#[test]
fn cdata_becomes_text_and_comments_are_optional_in_c14n() {
    let doc = parse("<r><![CDATA[<a & b>]]><!--c--><?p d?></r>");
    assert_eq!(doc.root().text(), "<a & b>");
    assert_eq!(c14n(&doc), "<r>&lt;a &amp; b&gt;<?p d?></r>");
    let with = canonicalize_to_vec(
        doc.root(),
        &C14nOptions {
            with_comments: true,
            ..C14nOptions::default()
        },
    );
    assert_eq!(
        String::from_utf8(with).unwrap(),
        "<r>&lt;a &amp; b&gt;<!--c--><?p d?></r>"
    );
}

#[test]
fn malformed_documents_are_refused_with_typed_errors() {
    type Check = fn(&XmlError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("<a></b>", |e| {
            matches!(e, XmlError::MismatchedEndTag { .. })
        }),
        ("<a><b></a></b>", |e| {
            matches!(e, XmlError::MismatchedEndTag { .. })
        }),
        ("<a/><b/>", |e| matches!(e, XmlError::Malformed { .. })),
        ("text<a/>", |e| matches!(e, XmlError::Malformed { .. })),
        ("<a/>text", |e| matches!(e, XmlError::Malformed { .. })),
        ("<a b=c/>", |e| matches!(e, XmlError::Malformed { .. })),
        ("<a b=\"<\"/>", |e| matches!(e, XmlError::Malformed { .. })),
        ("<a b=\"1\"c=\"2\"/>", |e| {
            matches!(e, XmlError::Malformed { .. })
        }),
        ("<a>]]></a>", |e| matches!(e, XmlError::Malformed { .. })),
        ("<a><!-- x -- y --></a>", |e| {
            matches!(e, XmlError::Malformed { .. })
        }),
        ("<a><?xml version='1.0'?></a>", |e| {
            matches!(e, XmlError::Malformed { .. })
        }),
        ("<1a/>", |e| matches!(e, XmlError::Malformed { .. })),
        ("<a:/>", |e| matches!(e, XmlError::Malformed { .. })),
        ("<?xml version=\"1.1\"?><a/>", |e| {
            matches!(e, XmlError::UnsupportedDeclaration { .. })
        }),
        ("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", |e| {
            matches!(e, XmlError::UnsupportedDeclaration { .. })
        }),
        ("", |e| matches!(e, XmlError::Truncated { .. })),
        ("<a xmlns:p=\"\"/>", |e| {
            matches!(e, XmlError::IllegalNamespaceDeclaration { .. })
        }),
        ("<a xmlns:xmlns=\"urn:x\"/>", |e| {
            matches!(e, XmlError::IllegalNamespaceDeclaration { .. })
        }),
        ("<a xmlns:xml=\"urn:x\"/>", |e| {
            matches!(e, XmlError::IllegalNamespaceDeclaration { .. })
        }),
        (
            "<a xmlns:p=\"http://www.w3.org/XML/1998/namespace\"/>",
            |e| matches!(e, XmlError::IllegalNamespaceDeclaration { .. }),
        ),
        ("<xmlns:a/>", |e| {
            matches!(e, XmlError::IllegalNamespaceDeclaration { .. })
        }),
    ];
    for (doc, expected) in cases {
        let err = Document::parse(doc.as_bytes()).expect_err(doc);
        assert!(expected(&err), "{doc}: {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn model_exposes_names_namespaces_spans_and_scope() {
    // A leading byte-order mark is skipped.
    let input = "\u{FEFF}<s:E xmlns:s=\"urn:s\" xmlns=\"urn:d\"><s:H><x a=\"1\" s:b=\"2\" xml:lang=\"en\"/></s:H>t</s:E>";
    let doc = Document::parse(input.as_bytes()).unwrap();
    let root = doc.root();
    assert!(root.is("urn:s", "E"));
    assert_eq!(root.prefix(), Some("s"));
    assert_eq!(root.qualified_name(), "s:E");
    let header = root.child("urn:s", "H").unwrap();
    let x = header.child("urn:d", "x").unwrap();
    assert_eq!(x.attribute(None, "a"), Some("1"));
    assert_eq!(x.attribute(Some("urn:s"), "b"), Some("2"));
    assert_eq!(x.attribute(Some(wsrx_xml::XML_NS), "lang"), Some("en"));
    assert_eq!(x.lookup_namespace(Some("s")), Some("urn:s"));
    assert_eq!(x.lookup_namespace(None), Some("urn:d"));
    assert_eq!(x.lookup_namespace(Some("nope")), None);
    assert_eq!(x.parent(), Some(header));
    assert_eq!(x.depth(), 3);
    assert!(x.is_within(root) && !root.is_within(x));
    assert_eq!(
        &doc.source()[x.span()],
        "<x a=\"1\" s:b=\"2\" xml:lang=\"en\"/>"
    );
    assert_eq!(
        &doc.source()[header.span()],
        "<s:H><x a=\"1\" s:b=\"2\" xml:lang=\"en\"/></s:H>"
    );
    assert_eq!(root.text(), "t");
    assert_eq!(doc.element(x.id()), Some(x));
    assert_eq!(doc.elements().count(), 3);
    assert_eq!(
        root.namespace_declarations().collect::<Vec<_>>(),
        vec![(Some("s"), "urn:s"), (None, "urn:d")]
    );
}

#[test]
fn default_namespace_can_be_undeclared() {
    let doc = parse("<a xmlns=\"urn:d\"><b xmlns=\"\"><c/></b></a>");
    let b = doc.root().child_elements().next().unwrap();
    assert_eq!(b.namespace(), None);
    assert_eq!(b.child_elements().next().unwrap().namespace(), None);
    assert_eq!(b.lookup_namespace(None), None);
    let out = canonicalize_to_vec(b, &C14nOptions::default());
    assert_eq!(String::from_utf8(out).unwrap(), "<b><c></c></b>");
    assert_eq!(
        c14n(&doc),
        "<a xmlns=\"urn:d\"><b xmlns=\"\"><c></c></b></a>"
    );
}

#[test]
fn serialization_round_trips_to_the_same_model() {
    let input = "<?xml version=\"1.0\"?><!--top--><p:r xmlns:p=\"urn:p\" xmlns=\"urn:d\" a=\"&#x9;&quot;&lt;\"><x>1 &amp; 2<![CDATA[<]]>\r</x><?pi data?><y xmlns=\"\"/></p:r>";
    let doc = parse(input);
    let again = parse(&doc.to_xml());
    assert_eq!(c14n(&doc), c14n(&again));
    assert_eq!(doc.to_xml(), again.to_xml());
    // A subtree serializes with the namespaces it inherits declared on it.
    let x = doc.root().child("urn:d", "x").unwrap();
    let fragment = parse(&x.to_xml());
    assert!(fragment.root().is("urn:d", "x"));
    assert_eq!(fragment.root().text(), "1 & 2<\n");
}

#[test]
fn top_level_nodes_are_listed_in_order() {
    let doc = parse("<!--a--><?p?><r/><!--b-->");
    let kinds: Vec<&str> = doc
        .top_level()
        .map(|n| match n {
            Node::Element(_) => "element",
            Node::Comment(_) => "comment",
            Node::ProcessingInstruction { .. } => "pi",
            Node::Text(_) => "text",
        })
        .collect();
    assert_eq!(kinds, ["comment", "pi", "element", "comment"]);
}

#[test]
fn writer_declares_namespaces_once_and_escapes() {
    let mut w = XmlWriter::with_prefixes(&[("urn:s", "s"), ("urn:a", "a")]);
    w.start(Some("urn:s"), "Envelope").declare("a", "urn:a");
    w.start(Some("urn:s"), "Header")
        .start(Some("urn:a"), "Action")
        .attr(Some("urn:s"), "mustUnderstand", "1");
    w.text("x<&>\r").end().end();
    w.start(Some("urn:s"), "Body")
        .start(Some("urn:other"), "p")
        .attr(None, "q", "\"\t")
        .end();
    w.start(None, "plain").end().end().end();
    let xml = w.finish().unwrap();
    assert_eq!(
        xml,
        "<s:Envelope xmlns:s=\"urn:s\" xmlns:a=\"urn:a\"><s:Header><a:Action s:mustUnderstand=\"1\">x&lt;&amp;&gt;&#xD;</a:Action></s:Header><s:Body><ns1:p xmlns:ns1=\"urn:other\" q=\"&quot;&#x9;\"/><plain/></s:Body></s:Envelope>"
    );
    let doc = parse(&xml);
    let action = doc
        .root()
        .child("urn:s", "Header")
        .unwrap()
        .child("urn:a", "Action")
        .unwrap();
    assert_eq!(action.text(), "x<&>\r");
}

#[test]
fn writer_undeclares_the_default_namespace_for_unqualified_children() {
    let mut w = XmlWriter::new();
    w.start(None, "r")
        .declare("", "urn:d")
        .start(None, "c")
        .end()
        .end();
    let xml = w.finish().unwrap();
    assert_eq!(xml, "<r xmlns=\"urn:d\"><c xmlns=\"\"/></r>");
    assert_eq!(
        parse(&xml)
            .root()
            .child_elements()
            .next()
            .unwrap()
            .namespace(),
        None
    );
}

#[test]
fn writer_uses_the_predefined_xml_prefix() {
    let mut w = XmlWriter::new();
    w.start(None, "t")
        .attr(Some(wsrx_xml::XML_NS), "lang", "en")
        .end();
    let xml = w.finish().unwrap();
    assert_eq!(xml, "<t xml:lang=\"en\"/>");
    assert_eq!(
        parse(&xml).root().attribute(Some(wsrx_xml::XML_NS), "lang"),
        Some("en")
    );
}

#[test]
fn writer_qname_values_in_no_namespace_are_unprefixed() {
    // Regression: a fault subcode in no namespace was written as `xmlns:ns1=""`
    // (ill-formed), found by the soap_envelope fuzz harness.
    let mut w = XmlWriter::new();
    w.start(None, "r").declare("", "urn:d").start(None, "v");
    let value = w.qname_value("", "Local");
    w.text(&value).end().end();
    let xml = w.finish().unwrap();
    assert_eq!(xml, "<r xmlns=\"urn:d\"><v xmlns=\"\">Local</v></r>");
    let doc = parse(&xml);
    assert_eq!(
        doc.root()
            .child_elements()
            .next()
            .unwrap()
            .lookup_namespace(None),
        None
    );
}

#[test]
fn writer_reports_misuse_instead_of_panicking() {
    let mut w = XmlWriter::new();
    w.start(None, "r");
    assert_eq!(w.finish(), Err(wsrx_xml::WriterError::Unclosed(1)));
    let mut w = XmlWriter::new();
    w.end();
    assert_eq!(w.finish(), Err(wsrx_xml::WriterError::UnbalancedEnd));
    let mut w = XmlWriter::new();
    w.start(None, "r").text("t").attr(None, "late", "x").end();
    assert_eq!(
        w.finish(),
        Err(wsrx_xml::WriterError::AttributeOutsideStartTag)
    );
}
