//! Unit tests of the wire codecs: the refusals and their faults, the WCF forms without a
//! vector, conversions to machine messages. The vectors are in `tests/wire_vectors.rs`,
//! the property tests in `tests/wire_roundtrip.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use wsrx_soap::{
    AddressingHeaders, Envelope, Fault, FaultCode, OutboundAddressing, SoapVersion, WsaVersion,
};
use wsrx_xml::Document;

use super::*;
use crate::msg::{
    AckBody, ApplicationMessage, CloseSequence, FaultDetail, FaultKind, MAX_MESSAGE_NUMBER,
    Message, PayloadRef, RmFault, SequenceHeader, SequenceId,
};
use crate::version::{Action, RmVersion};

const RM11: &str = crate::version::NS_RM_1_1;
const RM10: &str = crate::version::NS_RM_1_0;

/// A SOAP 1.2 envelope with these header blocks and body, `r` bound to `rm`.
fn env12(rm: &str, headers: &str, body: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:r=\"{rm}\" \
         xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header>{headers}</s:Header>\
         <s:Body>{body}</s:Body></s:Envelope>"
    )
}

fn run(xml: &str) -> Result<Decoded, DecodeError> {
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let env = Envelope::new(&doc).unwrap();
    let action = AddressingHeaders::parse(&env)
        .unwrap()
        .and_then(|h| h.action);
    decode(&env, action.as_deref())
}

fn seq(number: &str, extra: &str) -> String {
    format!(
        "<r:Sequence><r:Identifier>urn:s</r:Identifier><r:MessageNumber>{number}</r:MessageNumber>{extra}</r:Sequence>"
    )
}

#[test]
fn message_numbers_outside_1_to_2_63_minus_1_reach_the_machines_as_sent() {
    // The machines refuse them, after the binding check (issue 20 check order:
    // `destination::tests::the_binding_is_checked_before_the_message_number`).
    let number = |text: &str| match run(&env12(RM11, &seq(text, ""), ""))
        .unwrap()
        .headers
        .first()
        .map(|h| &h.value)
    {
        Some(RmHeader::Sequence(s)) => s.number,
        other => panic!("{other:?}"),
    };
    assert_eq!(number("0"), 0);
    assert_eq!(
        number(&(MAX_MESSAGE_NUMBER + 1).to_string()),
        MAX_MESSAGE_NUMBER + 1
    );
    assert_eq!(number("18446744073709551616"), u64::MAX, "beyond u64");
    assert!(matches!(
        run(&env12(RM11, &seq("x", ""), "")),
        Err(DecodeError::InvalidValue {
            element: "MessageNumber",
            ..
        })
    ));
    // Whitespace collapses (WCF 1.0 samples pad every value).
    let d = run(&env12(RM11, &seq("\n  9223372036854775807 ", ""), "")).unwrap();
    assert!(matches!(&d.headers[0].value, RmHeader::Sequence(s) if s.number == MAX_MESSAGE_NUMBER));
}

#[test]
fn last_message_exists_only_in_ws_rm_1_0() {
    let d = run(&env12(RM10, &seq("3", "<r:LastMessage/>"), "")).unwrap();
    assert!(matches!(&d.headers[0].value, RmHeader::Sequence(s) if s.last_message));
    assert!(matches!(
        run(&env12(RM11, &seq("3", "<r:LastMessage/>"), "")),
        Err(DecodeError::UnexpectedElement { .. })
    ));
    // Foreign extensions are skipped anywhere.
    let d = run(&env12(
        RM11,
        &seq("3", "<x:Ext xmlns:x=\"urn:x\" x:a=\"1\"/>"),
        "",
    ))
    .unwrap();
    assert_eq!(d.version, Some(RmVersion::V1_1));
}

fn ack(inner: &str) -> String {
    format!(
        "<r:SequenceAcknowledgement><r:Identifier>urn:s</r:Identifier>{inner}</r:SequenceAcknowledgement>"
    )
}

#[test]
fn acknowledgement_grammar_and_invariants() {
    let ok = |inner: &str| match run(&env12(RM11, &ack(inner), "")).unwrap().headers[0]
        .value
        .clone()
    {
        RmHeader::SequenceAcknowledgement(a) => a,
        other => panic!("{other:?}"),
    };
    let bad = |inner: &str| {
        let e = run(&env12(RM11, &ack(inner), "")).unwrap_err();
        assert!(
            matches!(e, DecodeError::InvalidAcknowledgement { .. }),
            "{inner}: {e:?}"
        );
        let f = e.to_fault(WireProfile::Rm11);
        assert_eq!(f.subcode().unwrap().local, "InvalidAcknowledgement");
        assert!(f.detail[0].contains("SequenceAcknowledgement"));
    };
    // gSOAP writes Final before the ranges (spec-facts §6).
    let a = ok("<r:Final/><r:AcknowledgementRange Upper=\"3\" Lower=\"1\"/>");
    assert!(a.final_);
    let a = ok(
        "<r:AcknowledgementRange Lower=\"5\" Upper=\"6\"/><r:AcknowledgementRange Lower=\" 1 \" Upper=\"2\"/>",
    );
    assert_eq!(
        a.body,
        AckBody::Ranges(vec![
            crate::msg::AckRange { lower: 1, upper: 2 },
            crate::msg::AckRange { lower: 5, upper: 6 }
        ])
    );
    assert_eq!(ok("<r:None/><r:Final/>").body, AckBody::None);
    assert_eq!(
        ok("<r:Nack>4</r:Nack><r:Nack>6</r:Nack>").body,
        AckBody::Nacks(vec![4, 6])
    );
    bad("<r:AcknowledgementRange Lower=\"3\" Upper=\"1\"/>");
    bad(
        "<r:AcknowledgementRange Lower=\"1\" Upper=\"3\"/><r:AcknowledgementRange Lower=\"3\" Upper=\"4\"/>",
    );
    bad("<r:AcknowledgementRange Lower=\"0\" Upper=\"3\"/>");
    bad("<r:Nack>1</r:Nack><r:Final/>");
    bad("<r:AcknowledgementRange Lower=\"1\" Upper=\"3\"/><r:Nack>5</r:Nack>");
    bad("<r:AcknowledgementRange Lower=\"1\" Upper=\"18446744073709551616\"/>");
    assert!(matches!(
        run(&env12(
            RM11,
            &ack("<r:AcknowledgementRange Lower=\"1\"/>"),
            ""
        )),
        Err(DecodeError::MissingAttribute {
            attribute: "Upper",
            ..
        })
    ));
    assert!(matches!(
        run(&env12(RM11, &ack(""), "")),
        Err(DecodeError::MissingElement {
            element: "AcknowledgementRange",
            ..
        })
    ));
    // 1.0 has neither None nor Final; WCF's 0-0 is its "nothing yet" (B1402).
    assert!(run(&env12(RM10, &ack("<r:None/>"), "")).is_err());
    let d = run(&env12(
        RM10,
        &ack("<r:AcknowledgementRange Upper=\"0\" Lower=\"0\"/>"),
        "",
    ))
    .unwrap();
    assert!(
        matches!(&d.headers[0].value, RmHeader::SequenceAcknowledgement(a) if a.body == AckBody::None)
    );
}

#[test]
fn action_and_body_must_agree() {
    let close = "<r:CloseSequence><r:Identifier>urn:s</r:Identifier></r:CloseSequence>";
    let action = |a: &str| format!("<a:Action>{a}</a:Action>");
    let close_action = WireProfile::Rm11.action(Action::CloseSequence).unwrap();
    assert!(run(&env12(RM11, &action(close_action), close)).is_ok());
    for wrong in [
        "urn:example:app",
        WireProfile::Rm11.action(Action::TerminateSequence).unwrap(),
        WireProfile::Rm10Wcf.action(Action::CreateSequence).unwrap(),
    ] {
        assert!(
            matches!(
                run(&env12(RM11, &action(wrong), close)),
                Err(DecodeError::ActionMismatch { .. })
            ),
            "{wrong}"
        );
    }
    let ack_action = WireProfile::Rm11
        .action(Action::SequenceAcknowledgement)
        .unwrap();
    // Without the header and with an empty body it acknowledges nothing (CXF; see
    // `ack_action_without_the_header_acknowledges_nothing`); with a body it is a mismatch.
    assert!(matches!(
        run(&env12(RM11, &action(ack_action), close)),
        Err(DecodeError::ActionMismatch { .. })
    ));
    assert!(matches!(
        run(&env12(
            RM11,
            &action("http://docs.oasis-open.org/ws-rx/wsrm/200608/CreateSequence"),
            ""
        )),
        Err(DecodeError::UnsupportedVersion(_))
    ));
    // Close does not exist in 1.0.
    assert!(matches!(
        run(&env12(RM10, "", close)),
        Err(DecodeError::UnexpectedElement { .. })
    ));
    assert_eq!(
        run(&env12(
            RM11,
            &format!("{}<x:S xmlns:x=\"{RM10}\"/>", seq("1", "")),
            "<y:Sequence xmlns:y=\"urn:y\"/>"
        ))
        .map(|d| d.body),
        Ok(WireBody::Application)
    );
    let mixed = format!(
        "{}<x:AckRequested xmlns:x=\"{RM10}\"><x:Identifier>urn:s</x:Identifier></x:AckRequested>",
        seq("1", "")
    );
    assert_eq!(
        run(&env12(RM11, &mixed, "")),
        Err(DecodeError::MixedVersions)
    );
}

#[test]
fn unsupported_elements_answer_with_unsupported_element_detail() {
    let e = run(&env12(RM11, "", "<r:Frobnicate/>")).unwrap_err();
    let f = e.to_fault(WireProfile::Rm11);
    assert_eq!(f.code, FaultCode::Sender);
    assert!(f.detail[0].contains("UnsupportedElement") && f.detail[0].contains("Frobnicate"));
    let e = run(&env12(RM11, "<r:UsesSequenceSSL/>", "")).unwrap_err();
    assert!(matches!(e, DecodeError::Unsupported(_)));
}

#[test]
fn create_sequence_str_is_kept_raw_and_resolves_by_identifier() {
    let body = format!(
        "<r:CreateSequence><r:AcksTo><a:Address>http://c/</a:Address></r:AcksTo>\
         <o:SecurityTokenReference xmlns:o=\"{NS_WSSE}\"><o:Reference URI=\" urn:uuid:sct \" ValueType=\"{SCT_VALUE_TYPE_1_3}\"/></o:SecurityTokenReference>\
         </r:CreateSequence>"
    );
    let d = run(&env12(RM11, "<r:UsesSequenceSTR/>", &body)).unwrap();
    let WireBody::Rm(RmBody::CreateSequence(cs)) = &d.body else {
        panic!()
    };
    let s = cs.str_ref.clone().unwrap();
    assert_eq!((s.uri.as_str(), s.local_id()), ("urn:uuid:sct", None));
    let msgs = d.messages(None, &mut |r| r.token());
    let [Message::CreateSequence(m)] = msgs.as_slice() else {
        panic!("{msgs:?}")
    };
    assert!(m.uses_sequence_str);
    assert_eq!(
        m.str_token.as_ref().map(|t| t.0.as_str()),
        Some("urn:uuid:sct")
    );
    let attached = StrRef {
        uri: "#sct-1".into(),
        value_type: None,
    };
    assert_eq!(
        (attached.local_id(), attached.token()),
        (Some("sct-1"), None)
    );
}

#[test]
fn wcf_soap11_wsrm_required_faultcode_form_is_read() {
    // WCF writes WsrmRequired straight into the SOAP 1.1 faultcode, with no SequenceFault.
    let mut f = Fault::new(FaultCode::Sender, "WS-RM required").with_subcode(RM11, "WsrmRequired");
    f.subcode_as_soap11_code = true;
    let a = OutboundAddressing::request(WsaVersion::V10, "urn:to", "");
    let xml = encode_fault(WireProfile::Rm11, SoapVersion::V11, &a, &f, &mut |_| None).unwrap();
    assert!(!xml.contains("SequenceFault"));
    let d = run(&xml).unwrap();
    let WireBody::Rm(RmBody::Fault(got)) = d.body else {
        panic!("{xml}")
    };
    assert_eq!(got.kind, FaultKind::WsrmRequired);
    // Our own SOAP 1.1 form: Client + the SequenceFault header with the detail.
    let fault = RmFault {
        kind: FaultKind::UnknownSequence,
        code: crate::msg::FaultCode::Sender,
        detail: FaultDetail::Identifier(SequenceId::new("urn:s")),
    };
    let wire = WireMessage {
        headers: vec![],
        body: WireBody::Rm(RmBody::Fault(fault.clone())),
    };
    let xml = encode(
        WireProfile::Rm11,
        SoapVersion::V11,
        &a,
        &wire,
        None,
        &mut |_| None,
    )
    .unwrap();
    assert!(
        xml.contains("SequenceFault") && xml.contains(">s:Client<"),
        "{xml}"
    );
    assert!(xml.contains(WireProfile::Rm11.fault_action()));
    assert_eq!(run(&xml).unwrap().body, WireBody::Rm(RmBody::Fault(fault)));
}

#[test]
fn headers_come_first_with_must_understand_and_ids() {
    let msg = Message::Application(ApplicationMessage {
        sequence: SequenceHeader {
            id: SequenceId::new("urn:s"),
            number: 1,
            last_message: false,
        },
        ack_requested: true,
        payload: Some(PayloadRef(1)),
    });
    let wire = WireMessage::from_message(&msg, None, WireProfile::Rm11);
    assert_eq!(wire.headers.len(), 2);
    let a = OutboundAddressing::request(WsaVersion::V10, "urn:to", "urn:app");
    let mut asked = vec![];
    let xml = encode(
        WireProfile::Rm11,
        SoapVersion::V12,
        &a,
        &wire,
        Some("<p xmlns=\"urn:p\"/>"),
        &mut |n| {
            asked.push(n.to_owned());
            Some(format!("id-{n}"))
        },
    )
    .unwrap();
    assert_eq!(asked, ["Sequence", "AckRequested", "Action", "To", "Body"]);
    assert!(xml.find("<r:Sequence").unwrap() < xml.find("<a:Action").unwrap());
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let env = Envelope::new(&doc).unwrap();
    assert_eq!(
        env.body().attribute(Some(wsrx_soap::ns::WSU), "Id"),
        Some("id-Body")
    );
    let sequence = env.header_blocks().map(Result::unwrap).next().unwrap();
    assert!(sequence.element.local_name() == "Sequence" && sequence.must_understand);
    assert!(
        env.check_must_understand(
            |e| understands(e) || e.namespace() == Some(wsrx_soap::ns::WSA10),
            &[]
        )
        .is_ok()
    );
    let d = decode(&env, Some("urn:app")).unwrap();
    assert_eq!(d.messages(Some(PayloadRef(1)), &mut |_| None), vec![msg]);
}

#[test]
fn encoding_refuses_what_the_profile_cannot_carry() {
    let close = Message::CloseSequence(CloseSequence {
        id: SequenceId::new("urn:s"),
        last_msg_number: None,
    });
    let wire = WireMessage::from_message(&close, None, WireProfile::Rm10Wcf);
    let a = OutboundAddressing::request(WsaVersion::V10, "urn:to", "");
    assert_eq!(
        encode(
            WireProfile::Rm10Wcf,
            SoapVersion::V12,
            &a,
            &wire,
            None,
            &mut |_| None
        ),
        Err(EncodeError::NotInVersion("CloseSequence"))
    );
    assert!(matches!(
        encode(
            WireProfile::Rm10Submission,
            SoapVersion::V11,
            &a,
            &wire,
            None,
            &mut |_| None
        ),
        Err(EncodeError::AddressingVersion { .. })
    ));
    let app = WireMessage {
        headers: vec![],
        body: WireBody::Application,
    };
    assert_eq!(
        encode(
            WireProfile::Rm11,
            SoapVersion::V12,
            &a,
            &app,
            None,
            &mut |_| None
        ),
        Err(EncodeError::MissingPayload)
    );
}

#[test]
fn profiles_pair_their_versions() {
    assert_eq!(
        WireProfile::Rm10Submission.fault_action(),
        WSA200408_FAULT_ACTION
    );
    assert_eq!(
        WireProfile::Rm10Wcf.fault_action(),
        crate::version::WSA10_SOAP_FAULT_ACTION
    );
    for p in WireProfile::ALL {
        assert_eq!(
            WireProfile::from_versions(p.rm_version(), Some(p.wsa_version())),
            p
        );
    }
}

/// Apache CXF 4.2 ends its 1.1 acknowledgements with an empty `None` after the ranges
/// (issue 18 item 6): read as the ranges and reported as tolerated. `None` before ranges,
/// or ranges after `None`, stay refused; so does `None` after ranges on 1.0, which has no
/// `None` at all.
#[test]
fn ranges_followed_by_none_are_read_as_the_ranges() {
    let cxf = "<r:AcknowledgementRange Upper=\"3\" Lower=\"1\"/><r:None/>";
    let d = run(&env12(RM11, &ack(cxf), "")).unwrap();
    match &d.headers[0].value {
        RmHeader::SequenceAcknowledgement(a) => {
            assert_eq!(
                a.body,
                AckBody::Ranges(vec![crate::msg::AckRange { lower: 1, upper: 3 }])
            );
            assert!(!a.final_);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(d.tolerated, vec![Tolerated::RangesWithNone]);
    // With Final after the None (the schema's place for it) as well.
    let d = run(&env12(RM11, &ack(&format!("{cxf}<r:Final/>")), "")).unwrap();
    assert!(matches!(&d.headers[0].value, RmHeader::SequenceAcknowledgement(a) if a.final_));
    // A schema-valid acknowledgement is not reported.
    let plain = "<r:AcknowledgementRange Upper=\"3\" Lower=\"1\"/>";
    assert!(
        run(&env12(RM11, &ack(plain), ""))
            .unwrap()
            .tolerated
            .is_empty()
    );
    for refused in [
        "<r:None/><r:AcknowledgementRange Upper=\"3\" Lower=\"1\"/>",
        "<r:AcknowledgementRange Upper=\"3\" Lower=\"1\"/><r:None/><r:None/>",
        "<r:AcknowledgementRange Upper=\"3\" Lower=\"1\"/><r:None/><r:Nack>5</r:Nack>",
    ] {
        assert!(run(&env12(RM11, &ack(refused), "")).is_err(), "{refused}");
    }
    let rm10 = "<r:AcknowledgementRange Upper=\"3\" Lower=\"1\"/><r:None/>";
    assert!(run(&env12(RM10, &ack(rm10), "")).is_err());
}

/// Apache CXF 4.2 acknowledges a WS-RM 1.0 sequence on which it has received nothing with
/// an Identifier alone (issue 18, CXF x509-sc2005-rm10-soap11-rr): read as acknowledging
/// nothing, reported as tolerated. On 1.1, which has `None` for that, it stays refused; so
/// does a 1.0 acknowledgement whose first RM element is neither a range nor a Nack.
#[test]
fn rm10_acknowledgement_without_ranges_acknowledges_nothing() {
    for extension in [
        "",
        "<netrm:BufferRemaining xmlns:netrm=\"http://schemas.microsoft.com/ws/2006/05/rm\">8</netrm:BufferRemaining>",
    ] {
        let d = run(&env12(RM10, &ack(extension), "")).unwrap();
        match &d.headers[0].value {
            RmHeader::SequenceAcknowledgement(a) => assert_eq!(a.body, AckBody::None),
            other => panic!("{other:?}"),
        }
        assert_eq!(d.tolerated, vec![Tolerated::EmptyAcknowledgement]);
    }
    assert!(run(&env12(RM11, &ack(""), "")).is_err());
    assert!(run(&env12(RM10, &ack("<r:Final/>"), "")).is_err());
}

/// A SequenceAcknowledgement *message* without the header (CXF's answer to AckRequested
/// on the sequence it offered, issue 18 item 9) acknowledges nothing: accepted, no RM
/// message for the machines, reported as tolerated. With an RM or application body under
/// that action it is still a mismatch.
#[test]
fn ack_action_without_the_header_acknowledges_nothing() {
    let action = format!(
        "<a:Action>{}</a:Action>",
        WireProfile::Rm11
            .action(Action::SequenceAcknowledgement)
            .unwrap()
    );
    let d = run(&env12(RM11, &action, "")).unwrap();
    assert_eq!(d.version, Some(RmVersion::V1_1));
    assert!(d.headers.is_empty());
    assert_eq!(d.body, WireBody::Empty);
    assert_eq!(d.tolerated, vec![Tolerated::AckActionWithoutAck]);
    assert!(d.messages(None, &mut |_| None).is_empty());
    for body in [
        "<r:CloseSequence><r:Identifier>urn:s</r:Identifier></r:CloseSequence>",
        "<app xmlns=\"urn:example\"/>",
    ] {
        assert!(
            matches!(
                run(&env12(RM11, &action, body)),
                Err(DecodeError::ActionMismatch { .. })
            ),
            "{body}"
        );
    }
}
