//! Reading RM headers and bodies out of a parsed envelope (WS-RM 1.1 §3, WS-RM 1.0 §3–4;
//! spec-facts §2, §6), RM faults included (WS-RM 1.1 §4: SOAP 1.2 Subcode and Detail,
//! the SOAP 1.1 `wsrm:SequenceFault` header, and WCF's forms).

use wsrx_soap::{Envelope, Fault, FaultCode, QName, SoapVersion};
use wsrx_xml::{Element, trim_xml_whitespace};

use super::error::DecodeError;
use super::model::{
    CreateSequenceBody, Decoded, Located, NS_WSMC, NS_WSSE, RmBody, RmHeader, StrRef, Tolerated,
    WireBody, rm_version,
};
use super::values::{self, NumError};
use crate::msg::{
    Accept, AckBody, AckRange, AckRequested, CloseSequence, CloseSequenceResponse,
    CreateSequenceResponse, EndpointRef, FaultCode as RmFaultCode, FaultDetail, FaultKind,
    IncompleteSequenceBehavior, MAX_MESSAGE_NUMBER, Offer, RefusalReason, RmFault,
    SequenceAcknowledgement, SequenceHeader, SequenceId, TerminateSequence,
    TerminateSequenceResponse,
};
use crate::version::{Action, NS_NETRM, RmVersion};

/// Reads the RM content of `envelope`, whose WS-A Action is `action` (`None` when the
/// message has no WS-A headers).
///
/// Headers come back in document order, each with its element's `NodeId`; headers of
/// other specifications are skipped (the SOAP layer applies mustUnderstand, see
/// [`understands`]). Refusals are typed ([`DecodeError`]); nothing panics on any input.
pub fn decode<'d>(envelope: &Envelope<'d>, action: Option<&str>) -> Result<Decoded, DecodeError> {
    let action = action.map(trim_xml_whitespace);
    let action_kind = match action {
        Some(a) => classify_action(a)?,
        None => None,
    };
    let mut version: Option<RmVersion> = None;
    let mut note = |v: RmVersion| -> Result<(), DecodeError> {
        if *version.get_or_insert(v) == v {
            Ok(())
        } else {
            Err(DecodeError::MixedVersions)
        }
    };

    let mut headers = Vec::new();
    let mut tolerated = Vec::new();
    let mut seen_sequence = false;
    for block in envelope
        .header()
        .into_iter()
        .flat_map(|h| h.child_elements())
    {
        let Some(v) = rm_version(block.namespace()) else {
            continue;
        };
        let header = match block.local_name() {
            "Sequence" => {
                if seen_sequence {
                    return Err(DecodeError::DuplicateHeader("Sequence"));
                }
                seen_sequence = true;
                RmHeader::Sequence(sequence(block, v)?)
            }
            "AckRequested" => RmHeader::AckRequested(ack_requested(block, v)?),
            "SequenceAcknowledgement" => {
                RmHeader::SequenceAcknowledgement(acknowledgement(block, v, &mut tolerated)?)
            }
            "UsesSequenceSTR" if v == RmVersion::V1_1 => {
                Children::new(block, "UsesSequenceSTR").finish()?;
                RmHeader::UsesSequenceStr
            }
            "UsesSequenceSSL" if v == RmVersion::V1_1 => {
                return Err(DecodeError::Unsupported(QName::of(block)));
            }
            "SequenceFault" => {
                // Read with the SOAP 1.1 fault it belongs to.
                note(v)?;
                continue;
            }
            _ => continue,
        };
        note(v)?;
        headers.push(Located {
            node: block.id(),
            value: header,
        });
    }

    let soap_ns = envelope.version().namespace();
    let body = match envelope.payload() {
        None => WireBody::Empty,
        Some(p) if p.is(soap_ns, "Fault") => match decode_fault(envelope, p)? {
            Some((v, f)) => {
                if let Some(v) = v {
                    note(v)?;
                }
                WireBody::Rm(RmBody::Fault(f))
            }
            None => WireBody::Application,
        },
        Some(p) => match rm_version(p.namespace()) {
            Some(v) => {
                note(v)?;
                WireBody::Rm(body(p, v)?)
            }
            None if p.namespace() == Some(NS_WSMC) => {
                return Err(DecodeError::Unsupported(QName::of(p)));
            }
            None => WireBody::Application,
        },
    };

    // The Action and the content must agree (spec-facts §1.2; Sandesha2's 1.1 body under a
    // 1.0 action is the trap of vector RM-4.6).
    let mismatch = || DecodeError::ActionMismatch {
        action: action.unwrap_or_default().to_owned(),
    };
    match action_kind {
        Some((av, kind)) => {
            note(av).map_err(|_| mismatch())?;
            let has = |f: fn(&RmHeader) -> bool| headers.iter().any(|h| f(&h.value));
            match kind {
                Action::Fault => {}
                Action::SequenceAcknowledgement => {
                    // Without the header the message acknowledges nothing; its body must
                    // still be empty (an RM body under this action is a mismatch).
                    if !has(|h| matches!(h, RmHeader::SequenceAcknowledgement(_))) {
                        if body != WireBody::Empty {
                            return Err(mismatch());
                        }
                        tolerated.push(Tolerated::AckActionWithoutAck);
                    }
                }
                Action::AckRequested => {
                    if !has(|h| matches!(h, RmHeader::AckRequested(_))) {
                        return Err(mismatch());
                    }
                }
                Action::LastMessage => {
                    if !has(|h| matches!(h, RmHeader::Sequence(s) if s.last_message)) {
                        return Err(mismatch());
                    }
                }
                body_kind => {
                    if !matches!(&body, WireBody::Rm(b) if b.action() == body_kind) {
                        return Err(mismatch());
                    }
                }
            }
        }
        None => {
            if action.is_some()
                && matches!(&body, WireBody::Rm(b) if !matches!(b, RmBody::Fault(_)))
            {
                return Err(mismatch());
            }
        }
    }

    Ok(Decoded {
        version,
        headers,
        body,
        body_node: envelope.body().id(),
        tolerated,
    })
}

/// Whether this crate processes header block `element` (for the SOAP mustUnderstand check):
/// `Sequence`, `AckRequested`, `SequenceAcknowledgement`, `SequenceFault` of either RM
/// version and the 1.1 `UsesSequenceSTR`.
pub fn understands(element: Element<'_>) -> bool {
    match rm_version(element.namespace()) {
        Some(v) => match element.local_name() {
            "Sequence" | "AckRequested" | "SequenceAcknowledgement" | "SequenceFault" => true,
            "UsesSequenceSTR" => v == RmVersion::V1_1,
            _ => false,
        },
        None => false,
    }
}

/// The RM version and kind of an action; `Ok(None)` for any other (application) action.
fn classify_action(action: &str) -> Result<Option<(RmVersion, Action)>, DecodeError> {
    for v in [RmVersion::V1_0, RmVersion::V1_1] {
        if !action.starts_with(v.namespace()) {
            continue;
        }
        for kind in Action::ALL {
            if v.action(kind) == Some(action) {
                return Ok(Some((v, kind)));
            }
        }
    }
    // The OASIS drafts (2006/08, "wsrx" spelling) are not WS-RM 1.1 (vector RM-4.7).
    if action.starts_with("http://docs.oasis-open.org/wsrx/")
        || action.starts_with("http://docs.oasis-open.org/ws-rx/wsrm/200608")
    {
        return Err(DecodeError::UnsupportedVersion(
            action.chars().take(128).collect(),
        ));
    }
    Ok(None)
}

/// The RM-namespace children of an element, in order; children in other namespaces are
/// extensions and skipped (`##other` in the schema).
struct Children<'d> {
    parent: &'static str,
    items: Vec<Element<'d>>,
    pos: usize,
}

impl<'d> Children<'d> {
    fn new(element: Element<'d>, parent: &'static str) -> Self {
        Self {
            parent,
            items: element
                .child_elements()
                .filter(|c| rm_version(c.namespace()).is_some())
                .collect(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<Element<'d>> {
        self.items.get(self.pos).copied()
    }

    fn next_is(&self, v: RmVersion, local: &str) -> bool {
        self.peek().is_some_and(|e| e.is(v.namespace(), local))
    }

    /// The next RM child if it is `local` in the namespace of version `v`.
    fn take(&mut self, v: RmVersion, local: &str) -> Option<Element<'d>> {
        let e = self.peek().filter(|e| e.is(v.namespace(), local))?;
        self.pos += 1;
        Some(e)
    }

    fn require(&mut self, v: RmVersion, local: &'static str) -> Result<Element<'d>, DecodeError> {
        self.take(v, local).ok_or_else(|| match self.peek() {
            Some(e) => DecodeError::UnexpectedElement {
                parent: self.parent,
                element: QName::of(e),
            },
            None => DecodeError::MissingElement {
                parent: self.parent,
                element: local,
            },
        })
    }

    fn finish(&self) -> Result<(), DecodeError> {
        match self.peek() {
            Some(e) => Err(DecodeError::UnexpectedElement {
                parent: self.parent,
                element: QName::of(e),
            }),
            None => Ok(()),
        }
    }
}

fn identifier(e: Element<'_>) -> Result<SequenceId, DecodeError> {
    let text = e.text();
    values::absolute_uri(&text)
        .map(SequenceId::new)
        .ok_or_else(|| DecodeError::invalid("Identifier", &text))
}

/// An EPR reduced to its address (either WS-A version: CXF writes 2004/08 inside WS-RM 1.0).
fn endpoint(e: Element<'_>, name: &'static str) -> Result<EndpointRef, DecodeError> {
    let address = e
        .child(wsrx_soap::ns::WSA10, "Address")
        .or_else(|| e.child(wsrx_soap::ns::WSA200408, "Address"))
        .ok_or(DecodeError::MissingElement {
            parent: name,
            element: "Address",
        })?;
    let text = address.text();
    values::uri_reference(&text)
        .map(|a| EndpointRef(a.to_owned()))
        .ok_or_else(|| DecodeError::invalid("Address", &text))
}

fn duration_of(e: Element<'_>) -> Result<core::time::Duration, DecodeError> {
    let text = e.text();
    values::duration(&text).ok_or_else(|| DecodeError::invalid("Expires", &text))
}

fn incomplete(e: Element<'_>) -> Result<IncompleteSequenceBehavior, DecodeError> {
    match &*e.trimmed_text() {
        "DiscardEntireSequence" => Ok(IncompleteSequenceBehavior::DiscardEntireSequence),
        "DiscardFollowingFirstGap" => Ok(IncompleteSequenceBehavior::DiscardFollowingFirstGap),
        "NoDiscard" => Ok(IncompleteSequenceBehavior::NoDiscard),
        other => Err(DecodeError::invalid("IncompleteSequenceBehavior", other)),
    }
}

/// A message number in 1 … 2^63−1 (`LastMsgNumber`, `Nack`, `MaxMessageNumber`).
fn number(e: Element<'_>, name: &'static str) -> Result<u64, DecodeError> {
    let text = e.text();
    match values::unsigned(&text) {
        Ok(n) if (1..=MAX_MESSAGE_NUMBER).contains(&n) => Ok(n),
        _ => Err(DecodeError::invalid(name, &text)),
    }
}

fn sequence(e: Element<'_>, v: RmVersion) -> Result<SequenceHeader, DecodeError> {
    let mut c = Children::new(e, "Sequence");
    let id = identifier(c.require(v, "Identifier")?)?;
    let n = c.require(v, "MessageNumber")?;
    let text = n.text();
    // The number as sent, also 0 or beyond 2^63−1 (beyond u64: u64::MAX). Whether it is
    // refused, and with which fault (SequenceTerminated, MessageNumberRollover), is the
    // machine's decision *after* it checked the sequence's binding (WS-RM 1.2 §5 before
    // WS-RM 1.1 §3.7): a sender the sequence never authenticated gets the binding fault,
    // never a fault that claims a state change (issue 20).
    let number = match values::unsigned(&text) {
        Ok(n) => n,
        Err(NumError::Overflow) => u64::MAX,
        Err(NumError::Syntax) => return Err(DecodeError::invalid("MessageNumber", &text)),
    };
    let last_message = v == RmVersion::V1_0 && c.take(v, "LastMessage").is_some();
    c.finish()?;
    Ok(SequenceHeader {
        id,
        number,
        last_message,
    })
}

fn ack_requested(e: Element<'_>, v: RmVersion) -> Result<AckRequested, DecodeError> {
    let mut c = Children::new(e, "AckRequested");
    let id = identifier(c.require(v, "Identifier")?)?;
    if v == RmVersion::V1_0
        && let Some(n) = c.take(v, "MessageNumber")
    {
        // WS-RM 1.0 allows the highest number sent here; it adds nothing to the request.
        number(n, "MessageNumber")?;
    }
    c.finish()?;
    Ok(AckRequested { id })
}

/// `wsrm:SequenceAcknowledgement` (WS-RM 1.1 §3.9): Identifier, then ranges, None or Nacks,
/// then Final (gSOAP writes Final before the ranges: accepted), then extensions such as
/// `netrm:BufferRemaining`.
///
/// Ranges followed by an empty `None` (Apache CXF) are read as the ranges and noted in
/// `tolerated`: unambiguous, since `None` says nothing was accepted and the ranges say what
/// was.
pub(crate) fn acknowledgement(
    e: Element<'_>,
    v: RmVersion,
    tolerated: &mut Vec<Tolerated>,
) -> Result<SequenceAcknowledgement, DecodeError> {
    let mut c = Children::new(e, "SequenceAcknowledgement");
    let id = identifier(c.require(v, "Identifier")?)?;
    let invalid = |reason| DecodeError::InvalidAcknowledgement {
        id: id.clone(),
        reason,
        xml: e.to_xml(),
    };
    let v11 = v == RmVersion::V1_1;
    let mut final_ = v11 && c.take(v, "Final").is_some();
    let body = if c.next_is(v, "AcknowledgementRange") {
        let mut ranges = Vec::new();
        while let Some(r) = c.take(v, "AcknowledgementRange") {
            let bound = |name: &'static str| -> Result<u64, DecodeError> {
                let raw = r
                    .attribute(None, name)
                    .ok_or(DecodeError::MissingAttribute {
                        element: "AcknowledgementRange",
                        attribute: name,
                    })?;
                match values::unsigned(raw) {
                    Ok(n) if n <= MAX_MESSAGE_NUMBER => Ok(n),
                    Ok(_) | Err(NumError::Overflow) => Err(invalid("number above the maximum")),
                    Err(NumError::Syntax) => Err(DecodeError::invalid(name, raw)),
                }
            };
            let (lower, upper) = (bound("Lower")?, bound("Upper")?);
            if lower > upper {
                return Err(invalid("Lower above Upper"));
            }
            ranges.push(AckRange { lower, upper });
        }
        ranges.sort_unstable();
        if let [AckRange { lower: 0, upper: 0 }] = ranges.as_slice() {
            // WCF (1.0, doc B1402) acknowledges "nothing yet" with the range 0-0.
            AckBody::None
        } else {
            if ranges.first().is_some_and(|r| r.lower == 0) {
                return Err(invalid("message number 0"));
            }
            if ranges.windows(2).any(|w| match w {
                [a, b] => a.upper >= b.lower,
                _ => false,
            }) {
                return Err(invalid("overlapping ranges"));
            }
            if v11 && c.take(v, "None").is_some() {
                tolerated.push(Tolerated::RangesWithNone);
            }
            AckBody::Ranges(ranges)
        }
    } else if v11 && c.take(v, "None").is_some() {
        AckBody::None
    } else if !v11
        && c.peek()
            .is_none_or(|x| x.namespace() != Some(v.namespace()))
    {
        // WS-RM 1.0 (2005/02 §3.2) has no `None`: its schema asks for ranges or Nacks.
        // Apache CXF 4.2 writes an Identifier alone for a sequence on which it has received
        // nothing yet; read as acknowledging nothing (what 1.1's None and WCF's 0-0 say).
        tolerated.push(Tolerated::EmptyAcknowledgement);
        AckBody::None
    } else if c.next_is(v, "Nack") {
        let mut nacks = Vec::new();
        while let Some(n) = c.take(v, "Nack") {
            nacks.push(number(n, "Nack").map_err(|_| invalid("Nack out of range"))?);
        }
        if final_ {
            return Err(invalid("Final with Nack"));
        }
        AckBody::Nacks(nacks)
    } else {
        return Err(match c.peek() {
            Some(x) => DecodeError::UnexpectedElement {
                parent: "SequenceAcknowledgement",
                element: QName::of(x),
            },
            None => DecodeError::MissingElement {
                parent: "SequenceAcknowledgement",
                element: "AcknowledgementRange",
            },
        });
    };
    if v11 && !final_ && c.take(v, "Final").is_some() {
        if matches!(body, AckBody::Nacks(_)) {
            return Err(invalid("Final with Nack"));
        }
        final_ = true;
    }
    if let Some(x) = c.peek() {
        // Nacks mixed with ranges, an Identifier after them (Sandesha2, vector RM-4.5)...
        return Err(
            if x.is(v.namespace(), "Nack")
                || x.is(v.namespace(), "AcknowledgementRange")
                || x.is(v.namespace(), "None")
            {
                invalid("ranges, None and Nack mixed")
            } else {
                DecodeError::UnexpectedElement {
                    parent: "SequenceAcknowledgement",
                    element: QName::of(x),
                }
            },
        );
    }
    // WCF flow control (spec-facts §2): an extension; an unreadable value is ignored.
    let buffer_remaining = e
        .child(NS_NETRM, "BufferRemaining")
        .and_then(|b| values::unsigned(&b.text()).ok())
        .and_then(|n| u32::try_from(n).ok());
    Ok(SequenceAcknowledgement {
        id,
        body,
        final_,
        buffer_remaining,
    })
}

fn body(p: Element<'_>, v: RmVersion) -> Result<RmBody, DecodeError> {
    let v11 = v == RmVersion::V1_1;
    Ok(match p.local_name() {
        "CreateSequence" => RmBody::CreateSequence(create_sequence(p, v)?),
        "CreateSequenceResponse" => {
            let mut c = Children::new(p, "CreateSequenceResponse");
            let id = identifier(c.require(v, "Identifier")?)?;
            let expires = c.take(v, "Expires").map(duration_of).transpose()?;
            let incomplete = if v11 {
                c.take(v, "IncompleteSequenceBehavior")
                    .map(incomplete)
                    .transpose()?
            } else {
                None
            };
            let accept = match c.take(v, "Accept") {
                Some(a) => {
                    let mut ac = Children::new(a, "Accept");
                    let acks_to = endpoint(ac.require(v, "AcksTo")?, "AcksTo")?;
                    ac.finish()?;
                    Some(Accept { acks_to })
                }
                None => None,
            };
            c.finish()?;
            RmBody::CreateSequenceResponse(CreateSequenceResponse {
                id,
                expires,
                incomplete,
                accept,
            })
        }
        "CloseSequence" if v11 => {
            let (id, last_msg_number) = id_and_last(p, v, "CloseSequence")?;
            RmBody::CloseSequence(CloseSequence {
                id,
                last_msg_number,
            })
        }
        "CloseSequenceResponse" if v11 => RmBody::CloseSequenceResponse(CloseSequenceResponse {
            id: id_only(p, v, "CloseSequenceResponse")?,
        }),
        "TerminateSequence" => {
            let (id, last_msg_number) = id_and_last(p, v, "TerminateSequence")?;
            RmBody::TerminateSequence(TerminateSequence {
                id,
                last_msg_number,
            })
        }
        "TerminateSequenceResponse" if v11 => {
            RmBody::TerminateSequenceResponse(TerminateSequenceResponse {
                id: id_only(p, v, "TerminateSequenceResponse")?,
            })
        }
        _ => {
            return Err(DecodeError::UnexpectedElement {
                parent: "Body",
                element: QName::of(p),
            });
        }
    })
}

fn id_only(p: Element<'_>, v: RmVersion, name: &'static str) -> Result<SequenceId, DecodeError> {
    let mut c = Children::new(p, name);
    let id = identifier(c.require(v, "Identifier")?)?;
    c.finish()?;
    Ok(id)
}

/// Identifier and the 1.1 `LastMsgNumber` (absent from WS-RM 1.0).
fn id_and_last(
    p: Element<'_>,
    v: RmVersion,
    name: &'static str,
) -> Result<(SequenceId, Option<u64>), DecodeError> {
    let mut c = Children::new(p, name);
    let id = identifier(c.require(v, "Identifier")?)?;
    let last = if v == RmVersion::V1_1 {
        c.take(v, "LastMsgNumber")
            .map(|n| number(n, "LastMsgNumber"))
            .transpose()?
    } else {
        None
    };
    c.finish()?;
    Ok((id, last))
}

fn create_sequence(p: Element<'_>, v: RmVersion) -> Result<CreateSequenceBody, DecodeError> {
    let v11 = v == RmVersion::V1_1;
    let mut c = Children::new(p, "CreateSequence");
    let acks_to = endpoint(c.require(v, "AcksTo")?, "AcksTo")?;
    let expires = c.take(v, "Expires").map(duration_of).transpose()?;
    let offer = match c.take(v, "Offer") {
        Some(o) => {
            let mut oc = Children::new(o, "Offer");
            let id = identifier(oc.require(v, "Identifier")?)?;
            // WS-RM 1.0 has no Endpoint: the offered sequence's messages go back to the
            // requester, whose AcksTo WCF makes identical (spec-facts §2.3).
            let endpoint = if v11 {
                endpoint(oc.require(v, "Endpoint")?, "Endpoint")?
            } else {
                acks_to.clone()
            };
            let expires = oc.take(v, "Expires").map(duration_of).transpose()?;
            let incomplete = if v11 {
                oc.take(v, "IncompleteSequenceBehavior")
                    .map(incomplete)
                    .transpose()?
            } else {
                None
            };
            oc.finish()?;
            Some(Offer {
                id,
                endpoint,
                expires,
                incomplete,
            })
        }
        None => None,
    };
    c.finish()?;
    let mut strs = p
        .child_elements()
        .filter(|e| e.is(NS_WSSE, "SecurityTokenReference"));
    let str_ref = match (strs.next(), strs.next()) {
        (None, _) => None,
        (Some(_), Some(_)) => return Err(DecodeError::DuplicateHeader("SecurityTokenReference")),
        (Some(s), None) => Some(str_ref(s)?),
    };
    Ok(CreateSequenceBody {
        acks_to,
        expires,
        offer,
        str_ref,
    })
}

fn str_ref(s: Element<'_>) -> Result<StrRef, DecodeError> {
    let r = s
        .child(NS_WSSE, "Reference")
        .ok_or(DecodeError::MissingElement {
            parent: "SecurityTokenReference",
            element: "Reference",
        })?;
    let uri = r
        .attribute(None, "URI")
        .ok_or(DecodeError::MissingAttribute {
            element: "Reference",
            attribute: "URI",
        })?;
    let uri = values::uri_reference(uri).ok_or_else(|| DecodeError::invalid("URI", uri))?;
    let value_type = match r.attribute(None, "ValueType") {
        Some(t) => Some(
            values::uri_reference(t)
                .ok_or_else(|| DecodeError::invalid("ValueType", t))?
                .to_owned(),
        ),
        None => None,
    };
    Ok(StrRef {
        uri: uri.to_owned(),
        value_type,
    })
}

/// Reads a `Fault` body element as an RM fault. `Ok(None)` when it is not one (another
/// subcode, a malformed SOAP fault, MustUnderstand...): the caller treats it as an
/// application fault. The version is that of the subcode's namespace (`None` for
/// `wsse:FailedAuthentication`).
#[allow(clippy::type_complexity, reason = "a private helper's one return type")]
fn decode_fault<'d>(
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
            ack,
            v,
            &mut Vec::new(),
        )?)));
    }
    let Some((id, _)) = rm("Identifier") else {
        return Ok(FaultDetail::None);
    };
    let text = id.text();
    let id = values::absolute_uri(&text)
        .map(SequenceId::new)
        .ok_or_else(|| DecodeError::invalid("Identifier", &text))?;
    match rm("MaxMessageNumber") {
        Some((max, _)) => {
            let text = max.text();
            let n = values::unsigned(&text)
                .map_err(|_| DecodeError::invalid("MaxMessageNumber", &text))?;
            Ok(FaultDetail::MaxMessageNumber(id, n))
        }
        None => Ok(FaultDetail::Identifier(id)),
    }
}
