//! Envelope structure, the mustUnderstand model, faults in both versions and
//! WS-Addressing behaviour, each with the spec rule it checks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use wsrx_soap::ns::{SOAP11, SOAP12, WSA10, WSA200408};
use wsrx_soap::{
    AddressingError, AddressingHeaders, EndpointReference, Envelope, EnvelopeWriter, Fault,
    FaultCode, OutboundAddressing, QName, SoapError, SoapVersion, WsaVersion, fault_envelope,
};
use wsrx_xml::Document;

fn doc(s: &str) -> Document {
    Document::parse(s.as_bytes()).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn env12(headers: &str, body: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"{SOAP12}\" xmlns:a=\"{WSA10}\"><s:Header>{headers}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
}

#[test]
fn version_is_detected_from_the_envelope_namespace() {
    let d = doc(&format!(
        "<e:Envelope xmlns:e=\"{SOAP11}\"><e:Body/></e:Envelope>"
    ));
    assert_eq!(Envelope::new(&d).unwrap().version(), SoapVersion::V11);
    let d = doc(&env12("", "<p/>"));
    let env = Envelope::new(&d).unwrap();
    assert_eq!(env.version(), SoapVersion::V12);
    assert_eq!(env.payload().unwrap().local_name(), "p");
}

#[test]
fn wrong_namespace_is_a_version_mismatch_fault_with_upgrade_header() {
    let d = doc("<Envelope xmlns=\"urn:other\"><Body/></Envelope>");
    let err = Envelope::new(&d).unwrap_err();
    assert_eq!(err, SoapError::VersionMismatch);
    let xml = EnvelopeWriter::new(SoapVersion::V12)
        .fault(&err.to_fault())
        .unwrap();
    let reply = doc(&xml);
    let env = Envelope::new(&reply).unwrap();
    assert_eq!(
        env.fault().unwrap().unwrap().code,
        FaultCode::VersionMismatch
    );
    let upgrade = env.headers_named(SOAP12, "Upgrade").next().unwrap();
    assert_eq!(upgrade.child_elements().count(), 2);
    assert!(matches!(
        Envelope::new(&doc("<x/>")),
        Err(SoapError::NotAnEnvelope)
    ));
}

#[test]
fn envelope_structure_is_enforced() {
    let no_body = doc(&format!(
        "<s:Envelope xmlns:s=\"{SOAP12}\"><s:Header/></s:Envelope>"
    ));
    assert!(matches!(
        Envelope::new(&no_body),
        Err(SoapError::MalformedEnvelope(_))
    ));
    let after_body = doc(&format!(
        "<s:Envelope xmlns:s=\"{SOAP12}\"><s:Body/><x/></s:Envelope>"
    ));
    assert!(matches!(
        Envelope::new(&after_body),
        Err(SoapError::MalformedEnvelope(_))
    ));
    let header_after = doc(&format!(
        "<s:Envelope xmlns:s=\"{SOAP12}\"><s:Body/><s:Header/></s:Envelope>"
    ));
    assert!(Envelope::new(&header_after).is_err());
    let two_bodies = doc(&format!(
        "<s:Envelope xmlns:s=\"{SOAP12}\"><s:Body/><s:Body/></s:Envelope>"
    ));
    assert!(Envelope::new(&two_bodies).is_err());
    // SOAP 1.1 §4.3 allows elements after the Body.
    let trailing11 = doc(&format!(
        "<s:Envelope xmlns:s=\"{SOAP11}\"><s:Body/><x/></s:Envelope>"
    ));
    assert!(Envelope::new(&trailing11).is_ok());
}

#[test]
fn must_understand_follows_the_processing_model() {
    let headers = format!(
        "<x:A xmlns:x=\"urn:x\" s:mustUnderstand=\"true\"/>\
         <x:B xmlns:x=\"urn:x\" s:mustUnderstand=\"1\" s:role=\"{r}/none\"/>\
         <x:C xmlns:x=\"urn:x\" s:mustUnderstand=\"1\" s:role=\"{r}/next\"/>\
         <x:D xmlns:x=\"urn:x\" s:mustUnderstand=\"1\" s:role=\"urn:some-other-node\"/>\
         <x:E xmlns:x=\"urn:x\" s:mustUnderstand=\"false\"/>\
         <x:F xmlns:x=\"urn:x\" s:mustUnderstand=\"1\" s:role=\"urn:my-role\"/>",
        r = "http://www.w3.org/2003/05/soap-envelope/role"
    );
    let d = doc(&env12(&headers, ""));
    let env = Envelope::new(&d).unwrap();
    let err = env
        .check_must_understand(|_| false, &["urn:my-role"])
        .unwrap_err();
    let SoapError::MustUnderstand(names) = &err else {
        panic!("{err:?}")
    };
    let locals: Vec<&str> = names.iter().map(|q| q.local.as_str()).collect();
    // none-role and other nodes' blocks are not ours; optional blocks never fault.
    assert_eq!(locals, ["A", "C", "F"]);
    assert!(
        env.check_must_understand(
            |e| matches!(e.local_name(), "A" | "C" | "F"),
            &["urn:my-role"]
        )
        .is_ok()
    );
    // The fault lists every block in NotUnderstood headers (SOAP 1.2 part 1 §5.4.8).
    let reply = doc(&EnvelopeWriter::new(SoapVersion::V12)
        .fault(&err.to_fault())
        .unwrap());
    let renv = Envelope::new(&reply).unwrap();
    assert_eq!(
        renv.fault().unwrap().unwrap().code,
        FaultCode::MustUnderstand
    );
    let qnames: Vec<QName> = renv
        .headers_named(SOAP12, "NotUnderstood")
        .map(|h| QName::resolve(h, h.attribute(None, "qname").unwrap()).unwrap())
        .collect();
    assert_eq!(qnames, *names);
}

#[test]
fn soap11_actor_next_and_invalid_must_understand_values() {
    let d = doc(&format!(
        "<s:Envelope xmlns:s=\"{SOAP11}\"><s:Header><x:A xmlns:x=\"urn:x\" s:mustUnderstand=\"1\" s:actor=\"http://schemas.xmlsoap.org/soap/actor/next\"/></s:Header><s:Body/></s:Envelope>"
    ));
    let env = Envelope::new(&d).unwrap();
    assert!(matches!(
        env.check_must_understand(|_| false, &[]),
        Err(SoapError::MustUnderstand(_))
    ));
    let d = doc(&env12(
        "<x:A xmlns:x=\"urn:x\" s:mustUnderstand=\"yes\"/>",
        "",
    ));
    let env = Envelope::new(&d).unwrap();
    assert_eq!(
        env.check_must_understand(|_| true, &[]),
        Err(SoapError::InvalidMustUnderstand)
    );
}

#[test]
fn faults_round_trip_in_both_versions() {
    let fault = Fault::new(FaultCode::Sender, "The sequence was terminated")
        .with_subcode("http://docs.oasis-open.org/ws-rx/wsrm/200702", "SequenceTerminated")
        .with_detail("<r:Identifier xmlns:r=\"http://docs.oasis-open.org/ws-rx/wsrm/200702\">urn:uuid:1</r:Identifier>");
    let xml = EnvelopeWriter::new(SoapVersion::V12).fault(&fault).unwrap();
    let d = doc(&xml);
    let mut parsed = Envelope::new(&d).unwrap().fault().unwrap().unwrap();
    // Detail fragments keep the namespaces they inherit (QName-valued content may
    // need them), so compare them by their canonical form.
    let canonical = |x: &str| {
        let d = doc(x);
        wsrx_xml::canonicalize_to_vec(d.root(), &wsrx_xml::C14nOptions::default())
    };
    assert_eq!(canonical(&parsed.detail[0]), canonical(&fault.detail[0]));
    parsed.detail.clone_from(&fault.detail);
    assert_eq!(parsed, fault);

    // SOAP 1.1 has no subcodes: the code becomes Client and the subcode is lost
    // unless written as faultcode (the WS-Addressing binding's choice).
    let xml = EnvelopeWriter::new(SoapVersion::V11).fault(&fault).unwrap();
    assert!(xml.contains("<faultcode>s:Client</faultcode>"), "{xml}");
    let parsed = Envelope::new(&doc(&xml)).unwrap().fault().unwrap().unwrap();
    assert_eq!(
        (parsed.code, parsed.reason.as_str(), parsed.detail.len()),
        (FaultCode::Sender, fault.reason.as_str(), 1)
    );
    let mut as_code = fault.clone();
    as_code.subcode_as_soap11_code = true;
    let xml = EnvelopeWriter::new(SoapVersion::V11)
        .fault(&as_code)
        .unwrap();
    let parsed = Envelope::new(&doc(&xml)).unwrap().fault().unwrap().unwrap();
    assert_eq!(parsed.subcodes, fault.subcodes);
}

#[test]
fn wcf_wsrm_required_soap11_faultcode_is_read_as_a_sender_subcode() {
    let d = doc(&format!(
        "<s:Envelope xmlns:s=\"{SOAP11}\"><s:Body><s:Fault><faultcode xmlns:r=\"http://docs.oasis-open.org/ws-rx/wsrm/200702\">r:WsrmRequired</faultcode><faultstring>x</faultstring></s:Fault></s:Body></s:Envelope>"
    ));
    let f = Envelope::new(&d).unwrap().fault().unwrap().unwrap();
    assert_eq!(f.code, FaultCode::Sender);
    assert_eq!(f.subcode().unwrap().local, "WsrmRequired");
}

#[test]
fn addressing_headers_are_read_with_defaults() {
    let d = doc(&env12(
        "<a:Action s:mustUnderstand=\"1\"> urn:op </a:Action><a:MessageID>urn:uuid:1</a:MessageID>\
         <a:RelatesTo RelationshipType=\"urn:rel\">urn:uuid:0</a:RelatesTo><a:To>http://x/</a:To>\
         <a:FaultTo><a:Address>http://f/</a:Address><a:ReferenceParameters><p:Key xmlns:p=\"urn:p\">7</p:Key></a:ReferenceParameters></a:FaultTo>",
        "",
    ));
    let env = Envelope::new(&d).unwrap();
    let h = AddressingHeaders::parse(&env).unwrap().unwrap();
    assert_eq!(h.version, WsaVersion::V10);
    assert_eq!(h.action.as_deref(), Some("urn:op"));
    assert_eq!(h.relates_to[0].relationship.as_deref(), Some("urn:rel"));
    assert_eq!(h.elements.len(), 5);
    // Absent ReplyTo = anonymous (WS-A 1.0 Core §3.2); faults go to FaultTo.
    assert!(h.reply_endpoint().is_anonymous(WsaVersion::V10));
    assert_eq!(h.fault_endpoint().address, "http://f/");
    assert_eq!(h.fault_endpoint().reference_parameters.len(), 1);
}

#[test]
fn addressing_cardinality_required_action_and_mixed_versions_fault() {
    let twice = doc(&env12(
        "<a:Action>x</a:Action><a:To>1</a:To><a:To>2</a:To>",
        "",
    ));
    let err = AddressingHeaders::parse(&Envelope::new(&twice).unwrap()).unwrap_err();
    assert!(matches!(&err, AddressingError::InvalidHeader { header, .. } if header.local == "To"));
    let fault = err.to_fault(WsaVersion::V10);
    let locals: Vec<&str> = fault.subcodes.iter().map(|q| q.local.as_str()).collect();
    assert_eq!(locals, ["InvalidAddressingHeader", "InvalidCardinality"]);
    assert!(fault.detail[0].contains("ProblemHeaderQName"));

    let no_action = doc(&env12("<a:To>1</a:To>", ""));
    let err = AddressingHeaders::parse(&Envelope::new(&no_action).unwrap()).unwrap_err();
    assert_eq!(
        err,
        AddressingError::HeaderRequired(QName::new(WSA10, "Action"))
    );
    assert_eq!(
        err.to_fault(WsaVersion::V200408).subcodes[0].local,
        "MessageInformationHeaderRequired"
    );

    let mixed = doc(&env12(
        &format!("<a:Action>x</a:Action><w:To xmlns:w=\"{WSA200408}\">1</w:To>"),
        "",
    ));
    assert!(AddressingHeaders::parse(&Envelope::new(&mixed).unwrap()).is_err());

    let no_address = doc(&env12("<a:Action>x</a:Action><a:ReplyTo/>", ""));
    let err = AddressingHeaders::parse(&Envelope::new(&no_address).unwrap()).unwrap_err();
    assert_eq!(
        err.to_fault(WsaVersion::V10).subcodes[1].local,
        "MissingAddressInEPR"
    );

    let none = doc(&env12("", ""));
    assert!(
        AddressingHeaders::parse(&Envelope::new(&none).unwrap())
            .unwrap()
            .is_none()
    );
}

#[test]
fn replies_relate_to_the_request_and_echo_reference_parameters() {
    let request = doc(&env12(
        "<a:Action>urn:op</a:Action><a:MessageID>urn:uuid:req</a:MessageID>\
         <a:ReplyTo><a:Address>http://client/cb</a:Address><a:ReferenceParameters><p:Key xmlns:p=\"urn:p\">7</p:Key></a:ReferenceParameters></a:ReplyTo>",
        "",
    ));
    let env = Envelope::new(&request).unwrap();
    let h = AddressingHeaders::parse(&env).unwrap().unwrap();
    let reply = OutboundAddressing::reply(&h, "urn:opResponse", false);
    let mut w = EnvelopeWriter::new(SoapVersion::V12);
    reply.write(&mut w, &mut |local| Some(format!("_{local}")));
    w.body().leaf(Some("urn:p"), "r", "ok");
    let out = doc(&w.finish().unwrap());
    let renv = Envelope::new(&out).unwrap();
    let rh = AddressingHeaders::parse(&renv).unwrap().unwrap();
    assert_eq!(rh.to.as_deref(), Some("http://client/cb"));
    assert_eq!(rh.relates_to[0].message_id, "urn:uuid:req");
    let key = renv.headers_named("urn:p", "Key").next().unwrap();
    assert_eq!(
        key.attribute(Some(WSA10), "IsReferenceParameter"),
        Some("true")
    );
    assert_eq!(key.text(), "7");
    let action = renv.headers_named(WSA10, "Action").next().unwrap();
    assert_eq!(
        action.attribute(Some(wsrx_soap::ns::WSU), "Id"),
        Some("_Action")
    );
    assert_eq!(action.attribute(Some(SOAP12), "mustUnderstand"), Some("1"));
}

#[test]
fn submission_addressing_is_read_and_faults_use_its_names() {
    let d = doc(&format!(
        "<s:Envelope xmlns:s=\"{SOAP11}\" xmlns:w=\"{WSA200408}\"><s:Header><w:Action>urn:op</w:Action>\
         <w:ReplyTo><w:Address>{anon}</w:Address><w:ReferenceProperties><p:P xmlns:p=\"urn:p\"/></w:ReferenceProperties></w:ReplyTo>\
         </s:Header><s:Body/></s:Envelope>",
        anon = WsaVersion::V200408.anonymous()
    ));
    let env = Envelope::new(&d).unwrap();
    let h = AddressingHeaders::parse(&env).unwrap().unwrap();
    assert_eq!(h.version, WsaVersion::V200408);
    let reply_to = h.reply_to.clone().unwrap();
    assert!(reply_to.is_anonymous(WsaVersion::V200408));
    assert_eq!(reply_to.reference_properties.len(), 1);
    let xml = fault_envelope(
        SoapVersion::V11,
        &AddressingError::ActionNotSupported("urn:op".into()),
        h.version,
        Some(&h),
    )
    .unwrap();
    let fdoc = doc(&xml);
    let fenv = Envelope::new(&fdoc).unwrap();
    let fault = fenv.fault().unwrap().unwrap();
    assert_eq!(
        fault.subcode().unwrap(),
        &QName::new(WSA200408, "ActionNotSupported")
    );
    assert!(fault.detail[0].contains("urn:op"));
    let fh = AddressingHeaders::parse(&fenv).unwrap().unwrap();
    assert_eq!(
        fh.action.as_deref(),
        Some(WsaVersion::V200408.fault_action())
    );
    assert!(EndpointReference::new(WsaVersion::V10.none().unwrap()).is_none(WsaVersion::V10));
}
