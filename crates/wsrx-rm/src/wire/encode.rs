//! Writing RM messages (spec-facts §2; WCF's shapes and header order, spec-facts §3.5: RM
//! headers first, then the WS-A headers, then the body).
//!
//! WS-RM 1.0 lacks some fields of the shared model; they are dropped, not refused, so a
//! machine configured for 1.0 can hand over what it has: Offer/Endpoint and
//! IncompleteSequenceBehavior, `Final`, `LastMsgNumber`, `UsesSequenceSTR`. `None` is
//! written as WCF's range `0-0` (doc B1402), which `decode` reads back as `None`.
//! CloseSequence and the Close/Terminate responses do not exist in 1.0 and are refused.

use wsrx_soap::{EnvelopeWriter, Fault, OutboundAddressing, SoapVersion};
use wsrx_xml::XmlWriter;

use super::error::EncodeError;
use super::fault::{rm_subcode, soap_fault};
use super::model::{
    CreateSequenceBody, NS_WSSE, RmBody, RmHeader, WireBody, WireMessage, WireProfile,
};
use super::values::format_duration;
use super::write::{write_ack, write_sequence_fault};
use crate::msg::{EndpointRef, IncompleteSequenceBehavior};
use crate::version::RmVersion;

/// Asked for an optional `wsu:Id` per element, by local name: the RM header names
/// (`Sequence`, `AckRequested`, `SequenceAcknowledgement`, `UsesSequenceSTR`,
/// `SequenceFault`), the WS-A ones (see `OutboundAddressing::write`) and `Body`.
pub type IdFor<'a> = &'a mut dyn FnMut(&str) -> Option<String>;

/// Writes `message` as a SOAP `soap` envelope in `profile`'s dialect.
///
/// `addressing` supplies To, MessageID, RelatesTo, ReplyTo...; its Action is replaced by
/// the RM action when the body is an RM message or fault, and filled in with
/// [`WireMessage::action`] when left empty. `payload` is the body's XML for
/// [`WireBody::Application`] (a fragment declaring its namespaces). `id_for` may give a
/// `wsu:Id` to each header and to the SOAP Body so that a signature can reference them.
pub fn encode(
    profile: WireProfile,
    soap: SoapVersion,
    addressing: &OutboundAddressing,
    message: &WireMessage,
    payload: Option<&str>,
    id_for: IdFor<'_>,
) -> Result<String, EncodeError> {
    let implied = message.action(profile);
    match &message.body {
        WireBody::Rm(RmBody::Fault(f)) => {
            let fault = soap_fault(profile, f);
            write(
                profile,
                soap,
                addressing,
                &message.headers,
                Content::Fault(&fault),
                implied,
                id_for,
            )
        }
        WireBody::Rm(b) => write(
            profile,
            soap,
            addressing,
            &message.headers,
            Content::Rm(b),
            implied,
            id_for,
        ),
        WireBody::Empty => write(
            profile,
            soap,
            addressing,
            &message.headers,
            Content::Empty,
            implied,
            id_for,
        ),
        WireBody::Application => {
            let payload = payload.ok_or(EncodeError::MissingPayload)?;
            write(
                profile,
                soap,
                addressing,
                &message.headers,
                Content::Payload(payload),
                implied,
                id_for,
            )
        }
    }
}

/// Writes a fault envelope: `fault` may come from `soap_fault`,
/// `DecodeError::to_fault` or elsewhere. For SOAP 1.1 an RM subcode is carried in
/// the `wsrm:SequenceFault` header with the detail. The action is the profile's RM fault
/// action for RM subcodes and the WS-A generic fault action otherwise.
pub fn encode_fault(
    profile: WireProfile,
    soap: SoapVersion,
    addressing: &OutboundAddressing,
    fault: &Fault,
    id_for: IdFor<'_>,
) -> Result<String, EncodeError> {
    let action = if rm_subcode(fault).is_some() {
        profile.fault_action()
    } else {
        profile.soap_fault_action()
    };
    write(
        profile,
        soap,
        addressing,
        &[],
        Content::Fault(fault),
        Some(action),
        id_for,
    )
}

enum Content<'a> {
    Rm(&'a RmBody),
    Fault(&'a Fault),
    Empty,
    Payload(&'a str),
}

fn write(
    profile: WireProfile,
    soap: SoapVersion,
    addressing: &OutboundAddressing,
    headers: &[RmHeader],
    content: Content<'_>,
    implied_action: Option<&'static str>,
    id_for: IdFor<'_>,
) -> Result<String, EncodeError> {
    if addressing.version != profile.wsa_version() {
        return Err(EncodeError::AddressingVersion {
            profile,
            addressing: addressing.version,
        });
    }
    if profile.rm_version() == RmVersion::V1_0
        && let Content::Rm(b) = &content
    {
        match b {
            RmBody::CloseSequence(_) => return Err(EncodeError::NotInVersion("CloseSequence")),
            RmBody::CloseSequenceResponse(_) => {
                return Err(EncodeError::NotInVersion("CloseSequenceResponse"));
            }
            RmBody::TerminateSequenceResponse(_) => {
                return Err(EncodeError::NotInVersion("TerminateSequenceResponse"));
            }
            _ => {}
        }
    }
    let mut env = EnvelopeWriter::new(soap);
    for h in headers {
        write_header(&mut env, profile, h, id_for);
    }
    let mut fault_owned = None;
    if let Content::Fault(f) = &content {
        let mut f = (*f).clone();
        if soap == SoapVersion::V11
            && let Some(code) = rm_subcode(&f).cloned()
        {
            // SOAP 1.1 has no subcodes: a second-level one (WCF's
            // netrm:ConnectionLimitReached) travels as an empty element in the detail.
            let mut detail = f.detail.clone();
            if let Some(sub) = f.subcodes.get(1) {
                let mut w = XmlWriter::with_prefixes(wsrx_soap::ns::PREFERRED_PREFIXES);
                w.start(Some(&sub.namespace), &sub.local).end();
                detail.extend(w.finish().ok());
            }
            let id = id_for("SequenceFault");
            write_sequence_fault(env.header(), &code, &detail, id);
            f.detail.clear();
        }
        f.write_headers(&mut env);
        fault_owned = Some(f);
    }
    let mut a = addressing.clone();
    match (&content, implied_action) {
        (Content::Rm(_) | Content::Fault(_), Some(action)) => a.action = action.to_owned(),
        (_, Some(action)) if a.action.is_empty() => a.action = action.to_owned(),
        _ => {}
    }
    if a.action.is_empty() {
        return Err(EncodeError::MissingAction);
    }
    a.write(&mut env, id_for);

    if let Some(id) = id_for("Body") {
        env.body().attr(Some(wsrx_soap::ns::WSU), "Id", &id);
    }
    match content {
        Content::Rm(b) => write_body(env.body(), profile, b),
        Content::Fault(_) => {
            if let Some(f) = &fault_owned {
                f.write_body(&mut env);
            }
        }
        Content::Empty => {
            env.body();
        }
        Content::Payload(p) => {
            env.body().raw(p);
        }
    }
    Ok(env.finish()?)
}

fn id_attr(w: &mut XmlWriter, id_for: IdFor<'_>, local: &str) {
    if let Some(id) = id_for(local) {
        w.attr(Some(wsrx_soap::ns::WSU), "Id", &id);
    }
}

fn write_header(env: &mut EnvelopeWriter, profile: WireProfile, h: &RmHeader, id_for: IdFor<'_>) {
    let soap = env.version();
    let ns = profile.namespace();
    let v10 = profile.rm_version() == RmVersion::V1_0;
    let w = env.header();
    match h {
        RmHeader::Sequence(s) => {
            w.start(Some(ns), "Sequence").attr(
                Some(soap.namespace()),
                "mustUnderstand",
                soap.must_understand_true(),
            );
            id_attr(w, id_for, "Sequence");
            w.leaf(Some(ns), "Identifier", s.id.as_str()).leaf(
                Some(ns),
                "MessageNumber",
                &s.number.to_string(),
            );
            if v10 && s.last_message {
                w.start(Some(ns), "LastMessage").end();
            }
            w.end();
        }
        RmHeader::AckRequested(a) => {
            w.start(Some(ns), "AckRequested");
            id_attr(w, id_for, "AckRequested");
            w.leaf(Some(ns), "Identifier", a.id.as_str()).end();
        }
        RmHeader::SequenceAcknowledgement(a) => {
            let id = id_for("SequenceAcknowledgement");
            write_ack(w, profile, a, id);
        }
        RmHeader::UsesSequenceStr => {
            // WS-RM 1.1 only; WCF writes it only there (spec-facts §2).
            if !v10 {
                w.start(Some(ns), "UsesSequenceSTR").attr(
                    Some(soap.namespace()),
                    "mustUnderstand",
                    soap.must_understand_true(),
                );
                id_attr(w, id_for, "UsesSequenceSTR");
                w.end();
            }
        }
    }
}

fn epr(w: &mut XmlWriter, profile: WireProfile, local: &str, e: &EndpointRef) {
    w.start(Some(profile.namespace()), local)
        .leaf(Some(profile.wsa_version().namespace()), "Address", &e.0)
        .end();
}

fn incomplete(b: IncompleteSequenceBehavior) -> &'static str {
    match b {
        IncompleteSequenceBehavior::DiscardEntireSequence => "DiscardEntireSequence",
        IncompleteSequenceBehavior::DiscardFollowingFirstGap => "DiscardFollowingFirstGap",
        IncompleteSequenceBehavior::NoDiscard => "NoDiscard",
    }
}

fn write_body(w: &mut XmlWriter, profile: WireProfile, body: &RmBody) {
    let ns = profile.namespace();
    let v11 = profile.rm_version() == RmVersion::V1_1;
    let id_and_last = |w: &mut XmlWriter, local: &str, id: &str, last: Option<u64>| {
        w.start(Some(ns), local).leaf(Some(ns), "Identifier", id);
        if let Some(n) = last.filter(|_| v11) {
            w.leaf(Some(ns), "LastMsgNumber", &n.to_string());
        }
        w.end();
    };
    match body {
        RmBody::CreateSequence(cs) => write_create_sequence(w, profile, cs),
        RmBody::CreateSequenceResponse(r) => {
            w.start(Some(ns), "CreateSequenceResponse")
                .leaf(Some(ns), "Identifier", r.id.as_str());
            if let Some(d) = r.expires {
                w.leaf(Some(ns), "Expires", &format_duration(d));
            }
            if let Some(b) = r.incomplete.filter(|_| v11) {
                w.leaf(Some(ns), "IncompleteSequenceBehavior", incomplete(b));
            }
            if let Some(a) = &r.accept {
                w.start(Some(ns), "Accept");
                epr(w, profile, "AcksTo", &a.acks_to);
                w.end();
            }
            w.end();
        }
        RmBody::CloseSequence(c) => {
            id_and_last(w, "CloseSequence", c.id.as_str(), c.last_msg_number)
        }
        RmBody::CloseSequenceResponse(c) => {
            id_and_last(w, "CloseSequenceResponse", c.id.as_str(), None)
        }
        RmBody::TerminateSequence(t) => {
            id_and_last(w, "TerminateSequence", t.id.as_str(), t.last_msg_number);
        }
        RmBody::TerminateSequenceResponse(t) => {
            id_and_last(w, "TerminateSequenceResponse", t.id.as_str(), None);
        }
        RmBody::Fault(_) => {}
    }
}

fn write_create_sequence(w: &mut XmlWriter, profile: WireProfile, cs: &CreateSequenceBody) {
    let ns = profile.namespace();
    let v11 = profile.rm_version() == RmVersion::V1_1;
    w.start(Some(ns), "CreateSequence");
    epr(w, profile, "AcksTo", &cs.acks_to);
    if let Some(d) = cs.expires {
        w.leaf(Some(ns), "Expires", &format_duration(d));
    }
    if let Some(o) = &cs.offer {
        w.start(Some(ns), "Offer")
            .leaf(Some(ns), "Identifier", o.id.as_str());
        if v11 {
            epr(w, profile, "Endpoint", &o.endpoint);
        }
        if let Some(d) = o.expires {
            w.leaf(Some(ns), "Expires", &format_duration(d));
        }
        if let Some(b) = o.incomplete.filter(|_| v11) {
            w.leaf(Some(ns), "IncompleteSequenceBehavior", incomplete(b));
        }
        w.end();
    }
    if let Some(s) = &cs.str_ref {
        w.start(Some(NS_WSSE), "SecurityTokenReference")
            .start(Some(NS_WSSE), "Reference")
            .attr(None, "URI", &s.uri);
        if let Some(t) = &s.value_type {
            w.attr(None, "ValueType", t);
        }
        w.end().end();
    }
    w.end();
}
