//! The shape of the faults wsrx writes, element by element, against SOAP 1.2 Part 1 §5.4
//! (`env:Fault` = `Code` (`Value`, `Subcode`*), `Reason` (`Text xml:lang`+), `Node`?, `Role`?,
//! `Detail`?, in that order, the only child of `env:Body`) and SOAP 1.1 §4.4 (`faultcode`,
//! `faultstring`, `faultactor`?, `detail`?, unqualified, in that order), and the HTTP-independent
//! parts every peer parses: QName values whose prefix is declared where they are used.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use wsrx_soap::{EnvelopeWriter, Fault, FaultCode, SoapVersion};
use wsrx_xml::{Document, Element};

const S12: &str = "http://www.w3.org/2003/05/soap-envelope";
const S11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const XML: &str = "http://www.w3.org/XML/1998/namespace";
const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const WSRM: &str = "http://docs.oasis-open.org/ws-rx/wsrm/200702";

fn children(e: Element<'_>) -> Vec<(Option<String>, String)> {
    e.child_elements()
        .map(|c| (c.namespace().map(str::to_owned), c.local_name().to_owned()))
        .collect()
}

/// The QName a text value names, resolved where it is written.
fn qname(e: Element<'_>) -> (String, String) {
    let text = e.text();
    let (prefix, local) = text.split_once(':').unwrap();
    (
        e.lookup_namespace(Some(prefix)).unwrap().to_owned(),
        local.to_owned(),
    )
}

fn body_fault(xml: &str, soap: &str) -> Document {
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let body = doc.root().child(soap, "Body").unwrap();
    // The Fault is the only element child of the Body, and no text sits beside it.
    assert_eq!(
        children(body),
        [(Some(soap.to_owned()), "Fault".to_owned())]
    );
    assert!(body.text().trim().is_empty());
    doc
}

#[test]
fn soap12_fault_is_code_reason_detail_in_order() {
    let fault = Fault::new(
        FaultCode::Sender,
        "The value of wsrm:Identifier is not known <&>",
    )
    .with_subcode(WSRM, "UnknownSequence")
    .with_subcode("urn:example:second", "Deeper")
    .with_detail(format!(
        "<wsrm:Identifier xmlns:wsrm=\"{WSRM}\">urn:x</wsrm:Identifier>"
    ));
    let xml = EnvelopeWriter::new(SoapVersion::V12).fault(&fault).unwrap();
    let doc = body_fault(&xml, S12);
    let f = doc.elements().find(|e| e.is(S12, "Fault")).unwrap();
    let s12 = |l: &str| (Some(S12.to_owned()), l.to_owned());
    assert_eq!(children(f), [s12("Code"), s12("Reason"), s12("Detail")]);
    let code = f.child(S12, "Code").unwrap();
    assert_eq!(children(code), [s12("Value"), s12("Subcode")]);
    assert_eq!(
        qname(code.child(S12, "Value").unwrap()),
        (S12.to_owned(), "Sender".to_owned())
    );
    let sub = code.child(S12, "Subcode").unwrap();
    assert_eq!(children(sub), [s12("Value"), s12("Subcode")]);
    assert_eq!(
        qname(sub.child(S12, "Value").unwrap()),
        (WSRM.to_owned(), "UnknownSequence".to_owned())
    );
    let deeper = sub.child(S12, "Subcode").unwrap();
    assert_eq!(children(deeper), [s12("Value")]);
    assert_eq!(
        qname(deeper.child(S12, "Value").unwrap()),
        ("urn:example:second".to_owned(), "Deeper".to_owned())
    );
    let reason = f.child(S12, "Reason").unwrap();
    assert_eq!(children(reason), [s12("Text")]);
    let text = reason.child(S12, "Text").unwrap();
    assert_eq!(text.attribute(Some(XML), "lang"), Some("en"));
    assert_eq!(text.text(), "The value of wsrm:Identifier is not known <&>");
    let detail = f.child(S12, "Detail").unwrap();
    assert_eq!(
        children(detail),
        [(Some(WSRM.to_owned()), "Identifier".to_owned())]
    );
}

#[test]
fn soap12_security_fault_is_exactly_this() {
    // The shape a peer sees for a wsse:FailedCheck (WSS 1.1 §12): Sender, one subcode.
    let fault = Fault::new(FaultCode::Sender, "The signature or decryption was invalid")
        .with_subcode(WSSE, "FailedCheck");
    let xml = EnvelopeWriter::new(SoapVersion::V12).fault(&fault).unwrap();
    assert_eq!(
        xml,
        format!(
            "<s:Envelope xmlns:s=\"{S12}\"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:o=\"{WSSE}\">o:FailedCheck</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en\">The signature or decryption was invalid</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"
        )
    );
}

#[test]
fn soap11_fault_is_faultcode_faultstring_detail_unqualified() {
    let fault = Fault::new(FaultCode::Receiver, "store unavailable")
        .with_detail("<x:Why xmlns:x=\"urn:x\">disk</x:Why>");
    let xml = EnvelopeWriter::new(SoapVersion::V11).fault(&fault).unwrap();
    let doc = body_fault(&xml, S11);
    let f = doc.elements().find(|e| e.is(S11, "Fault")).unwrap();
    assert_eq!(
        children(f),
        [
            (None, "faultcode".to_owned()),
            (None, "faultstring".to_owned()),
            (None, "detail".to_owned())
        ]
    );
    assert_eq!(
        qname(f.child("", "faultcode").unwrap()),
        (S11.to_owned(), "Server".to_owned())
    );
    assert_eq!(
        f.child("", "faultstring").unwrap().text(),
        "store unavailable"
    );
    // WSS (§12) and WS-A write their own QName as the SOAP 1.1 faultcode.
    let mut wss = Fault::new(FaultCode::Sender, "The signature or decryption was invalid")
        .with_subcode(WSSE, "FailedCheck");
    wss.subcode_as_soap11_code = true;
    let xml = EnvelopeWriter::new(SoapVersion::V11).fault(&wss).unwrap();
    let doc = body_fault(&xml, S11);
    let f = doc.elements().find(|e| e.is(S11, "Fault")).unwrap();
    assert_eq!(
        children(f),
        [
            (None, "faultcode".to_owned()),
            (None, "faultstring".to_owned())
        ]
    );
    assert_eq!(
        qname(f.child("", "faultcode").unwrap()),
        (WSSE.to_owned(), "FailedCheck".to_owned())
    );
    // Without that choice, a subcode has no place in SOAP 1.1: the faultcode is Client.
    wss.subcode_as_soap11_code = false;
    let xml = EnvelopeWriter::new(SoapVersion::V11).fault(&wss).unwrap();
    let doc = body_fault(&xml, S11);
    let f = doc.elements().find(|e| e.is(S11, "Fault")).unwrap();
    assert_eq!(
        qname(f.child("", "faultcode").unwrap()),
        (S11.to_owned(), "Client".to_owned())
    );
}
