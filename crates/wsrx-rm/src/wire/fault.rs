//! WS-RM faults on the wire (WS-RM 1.1 §4, spec-facts §2.1): SOAP 1.2 Code + Subcode +
//! Detail; SOAP 1.1 `faultcode` Client/Server plus the `wsrm:SequenceFault` header carrying
//! `wsrm:FaultCode` and `wsrm:Detail`. WCF's forms are read too: the `WsrmRequired`
//! spelling, the SOAP 1.1 faultcode form without a SequenceFault header, and
//! `netrm:ConnectionLimitReached` as a second-level subcode of `CreateSequenceRefused`.

use wsrx_soap::{Envelope, Fault, FaultCode, QName, SoapVersion};
use wsrx_xml::{Element, XmlWriter};

use super::decode::{acknowledgement, rm_version};
use super::encode::write_ack;
use super::error::DecodeError;
use super::{NS_WSSE, WireProfile};
use crate::msg::{
    FaultCode as RmFaultCode, FaultDetail, FaultKind, RefusalReason, RmFault, SequenceId,
};
use crate::version::{NS_NETRM, RmVersion};

/// The wire name of a fault kind (its subcode's local name).
fn local_name(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::SequenceTerminated => "SequenceTerminated",
        FaultKind::UnknownSequence => "UnknownSequence",
        FaultKind::InvalidAcknowledgement => "InvalidAcknowledgement",
        FaultKind::MessageNumberRollover => "MessageNumberRollover",
        FaultKind::CreateSequenceRefused(_) => "CreateSequenceRefused",
        FaultKind::SequenceClosed => "SequenceClosed",
        FaultKind::WsrmRequired => "WSRMRequired",
        FaultKind::LastMessageNumberExceeded => "LastMessageNumberExceeded",
        FaultKind::FailedAuthentication => "FailedAuthentication",
    }
}

fn reason(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::SequenceTerminated => {
            "The Sequence has been terminated due to an unrecoverable error."
        }
        FaultKind::UnknownSequence => {
            "The value of wsrm:Identifier is not a known Sequence identifier."
        }
        FaultKind::InvalidAcknowledgement => {
            "The SequenceAcknowledgement violates the cumulative Acknowledgement invariant."
        }
        FaultKind::MessageNumberRollover => {
            "The maximum value for wsrm:MessageNumber has been exceeded."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::ConnectionLimitReached) => {
            "The server is too busy to create a sequence. Try again later."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::TokenMismatch) => {
            "The Create Sequence request has been refused: its SecurityTokenReference does not name the token that secured it."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::BindingRequired) => {
            "The Create Sequence request has been refused: a sequence bound to a security token is required."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::UsesSequenceStrMismatch) => {
            "The Create Sequence request has been refused: UsesSequenceSTR and the SecurityTokenReference disagree."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::OfferRejected) => {
            "The Create Sequence request has been refused: the offered sequence identifier is in use."
        }
        FaultKind::CreateSequenceRefused(RefusalReason::Unspecified) => {
            "The Create Sequence request has been refused by the RM Destination."
        }
        FaultKind::SequenceClosed => "The Sequence is closed and cannot accept new messages.",
        FaultKind::WsrmRequired => "The RM Destination requires the use of WSRM.",
        FaultKind::LastMessageNumberExceeded => {
            "The value for wsrm:MessageNumber exceeds the value of the MessageNumber accompanying a LastMessage element in this Sequence."
        }
        FaultKind::FailedAuthentication => {
            "The security token could not be authenticated or authorized."
        }
    }
}

/// The action of a fault message: the RM fault action, or the WS-A generic SOAP fault
/// action for `wsse:FailedAuthentication`.
pub(crate) fn action_for(profile: WireProfile, fault: &RmFault) -> &'static str {
    match fault.kind {
        FaultKind::FailedAuthentication => profile.soap_fault_action(),
        _ => profile.fault_action(),
    }
}

/// The SOAP fault model of an RM fault in `profile`'s namespace: Code Sender/Receiver,
/// Subcode `wsrm:<kind>` (and `netrm:ConnectionLimitReached` under CreateSequenceRefused
/// when the limit was the reason, as WCF does), Detail per spec-facts §2.1 (Identifier;
/// Identifier + MaxMessageNumber; the offending SequenceAcknowledgement). The refusal
/// reasons other than the limit are only in the Reason text.
///
/// [`super::encode`] and [`super::encode_fault`] move the detail into the
/// `wsrm:SequenceFault` header for SOAP 1.1. `wsse:FailedAuthentication` is a WS-Security
/// fault: SOAP 1.1 writes its QName as the faultcode (WSS 1.0 §12).
pub fn soap_fault(profile: WireProfile, fault: &RmFault) -> Fault {
    let code = match fault.code {
        RmFaultCode::Sender => FaultCode::Sender,
        RmFaultCode::Receiver => FaultCode::Receiver,
    };
    let mut f = Fault::new(code, reason(fault.kind));
    if fault.kind == FaultKind::FailedAuthentication {
        f = f.with_subcode(NS_WSSE, "FailedAuthentication");
        f.subcode_as_soap11_code = true;
    } else {
        f = f.with_subcode(profile.namespace(), local_name(fault.kind));
    }
    if fault.kind == FaultKind::CreateSequenceRefused(RefusalReason::ConnectionLimitReached) {
        f = f.with_subcode(NS_NETRM, "ConnectionLimitReached");
    }
    let ns = profile.namespace();
    let fragment = |write: &dyn Fn(&mut XmlWriter)| {
        let mut w = XmlWriter::with_prefixes(wsrx_soap::ns::PREFERRED_PREFIXES);
        write(&mut w);
        w.finish().ok()
    };
    let identifier = |id: &SequenceId| {
        fragment(&|w: &mut XmlWriter| {
            w.leaf(Some(ns), "Identifier", id.as_str());
        })
    };
    let detail = match &fault.detail {
        FaultDetail::None => vec![],
        FaultDetail::Identifier(id) => vec![identifier(id)],
        FaultDetail::MaxMessageNumber(id, max) => vec![
            identifier(id),
            fragment(&|w: &mut XmlWriter| {
                w.leaf(Some(ns), "MaxMessageNumber", &max.to_string());
            }),
        ],
        FaultDetail::Acknowledgement(ack) => {
            vec![fragment(&|w: &mut XmlWriter| {
                write_ack(w, profile, ack, None)
            })]
        }
    };
    f.detail = detail.into_iter().flatten().collect();
    f
}

/// The RM subcode of a fault written in the standard form (SOAP 1.1 then needs the
/// SequenceFault header).
pub(crate) fn rm_subcode(fault: &Fault) -> Option<&QName> {
    fault
        .subcode()
        .filter(|q| !fault.subcode_as_soap11_code && rm_version(Some(&q.namespace)).is_some())
}

/// Writes the SOAP 1.1 `wsrm:SequenceFault` header (WS-RM 1.1 §4, SequenceFaultType).
pub(crate) fn write_sequence_fault(
    w: &mut XmlWriter,
    code: &QName,
    detail: &[String],
    id: Option<String>,
) {
    let ns = code.namespace.as_str();
    w.start(Some(ns), "SequenceFault");
    if let Some(id) = id {
        w.attr(Some(wsrx_soap::ns::WSU), "Id", &id);
    }
    w.start(Some(ns), "FaultCode");
    let value = w.qname_value(ns, &code.local);
    w.text(&value).end();
    if !detail.is_empty() {
        w.start(Some(ns), "Detail");
        for d in detail {
            w.raw(d);
        }
        w.end();
    }
    w.end();
}

/// Reads a `Fault` body element as an RM fault. `Ok(None)` when it is not one (another
/// subcode, a malformed SOAP fault, MustUnderstand...): the caller treats it as an
/// application fault. The version is that of the subcode's namespace (`None` for
/// `wsse:FailedAuthentication`).
#[allow(clippy::type_complexity, reason = "a private helper's one return type")]
pub(crate) fn decode<'d>(
    envelope: &Envelope<'d>,
    el: Element<'d>,
) -> Result<Option<(Option<RmVersion>, RmFault)>, DecodeError> {
    let Ok(f) = Fault::parse(el, envelope.version()) else {
        return Ok(None);
    };
    let code = match f.code {
        FaultCode::Sender => RmFaultCode::Sender,
        FaultCode::Receiver => RmFaultCode::Receiver,
        _ => return Ok(None),
    };
    let children = |e: Option<Element<'d>>| -> Vec<Element<'d>> {
        e.map(|e| e.child_elements().collect()).unwrap_or_default()
    };
    let (subcode, subsubcode, detail) = match envelope.version() {
        SoapVersion::V12 => (
            f.subcodes.first().cloned(),
            f.subcodes.get(1).cloned(),
            children(el.child(wsrx_soap::ns::SOAP12, "Detail")),
        ),
        SoapVersion::V11 if f.subcode_as_soap11_code => (
            f.subcodes.first().cloned(),
            None,
            children(el.child("", "detail")),
        ),
        SoapVersion::V11 => {
            let header = envelope
                .header()
                .into_iter()
                .flat_map(|h| h.child_elements())
                .find(|h| h.local_name() == "SequenceFault" && rm_version(h.namespace()).is_some());
            let Some(sf) = header else {
                return Ok(None);
            };
            let ns = sf.namespace().unwrap_or_default();
            let Some(fc) = sf.child(ns, "FaultCode") else {
                return Ok(None);
            };
            let code = QName::resolve(fc, &fc.text());
            // WS-RM 1.1 wraps the detail in wsrm:Detail; 1.0 puts it after FaultCode.
            let detail = match sf.child(ns, "Detail") {
                Some(d) => children(Some(d)),
                None => sf
                    .child_elements()
                    .filter(|c| !c.is(ns, "FaultCode"))
                    .collect(),
            };
            (code, None, detail)
        }
    };
    let Some(sub) = subcode else {
        return Ok(None);
    };
    // SOAP 1.1 carries a second-level subcode as a detail element (see `encode`).
    let subsubcode = subsubcode.or_else(|| {
        detail
            .iter()
            .find(|e| e.is(NS_NETRM, "ConnectionLimitReached"))
            .map(|e| QName::of(*e))
    });
    let (version, kind) = if sub.namespace == NS_WSSE && sub.local == "FailedAuthentication" {
        (None, FaultKind::FailedAuthentication)
    } else {
        let Some(v) = rm_version(Some(&sub.namespace)) else {
            return Ok(None);
        };
        let kind = match sub.local.as_str() {
            "SequenceTerminated" => FaultKind::SequenceTerminated,
            "UnknownSequence" => FaultKind::UnknownSequence,
            "InvalidAcknowledgement" => FaultKind::InvalidAcknowledgement,
            "MessageNumberRollover" => FaultKind::MessageNumberRollover,
            "CreateSequenceRefused" => FaultKind::CreateSequenceRefused(match subsubcode {
                Some(q) if q.namespace == NS_NETRM && q.local == "ConnectionLimitReached" => {
                    RefusalReason::ConnectionLimitReached
                }
                _ => RefusalReason::Unspecified,
            }),
            "SequenceClosed" => FaultKind::SequenceClosed,
            // The schema's spelling and WCF's (spec-facts §2.1).
            "WSRMRequired" | "WsrmRequired" => FaultKind::WsrmRequired,
            "LastMessageNumberExceeded" => FaultKind::LastMessageNumberExceeded,
            _ => return Ok(None),
        };
        (Some(v), kind)
    };
    Ok(Some((
        version,
        RmFault {
            kind,
            code,
            detail: detail_of(&detail)?,
        },
    )))
}

/// The detail, read by content: a SequenceAcknowledgement; an Identifier with a
/// MaxMessageNumber; an Identifier; else none. Foreign detail elements are skipped.
fn detail_of(elements: &[Element<'_>]) -> Result<FaultDetail, DecodeError> {
    let rm = |local: &str| {
        elements.iter().copied().find_map(|e| {
            rm_version(e.namespace())
                .filter(|_| e.local_name() == local)
                .map(|v| (e, v))
        })
    };
    if let Some((ack, v)) = rm("SequenceAcknowledgement") {
        return Ok(FaultDetail::Acknowledgement(Box::new(acknowledgement(
            ack, v,
        )?)));
    }
    let Some((id, _)) = rm("Identifier") else {
        return Ok(FaultDetail::None);
    };
    let text = id.text();
    let id = super::values::absolute_uri(&text)
        .map(SequenceId::new)
        .ok_or_else(|| DecodeError::invalid("Identifier", &text))?;
    match rm("MaxMessageNumber") {
        Some((max, _)) => {
            let text = max.text();
            let n = super::values::unsigned(&text)
                .map_err(|_| DecodeError::invalid("MaxMessageNumber", &text))?;
            Ok(FaultDetail::MaxMessageNumber(id, n))
        }
        None => Ok(FaultDetail::Identifier(id)),
    }
}
