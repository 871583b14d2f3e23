//! WS-Addressing 1.0 (W3C, 2005/08) and the 2004/08 submission: message
//! addressing headers, endpoint references, replies and faults.
//!
//! Sections cited: WS-Addressing 1.0 Core (§2 EPRs, §3 message addressing
//! properties) and SOAP Binding (§2.3 reference parameters, §6 faults); the
//! 2004/08 submission §2–§4.

use thiserror::Error;
use wsrx_xml::{Element, XmlWriter, trim_xml_whitespace};

use crate::envelope::{Envelope, EnvelopeWriter};
use crate::fault::{Fault, FaultCode};
use crate::ns::{WSA10, WSA200408};
use crate::qname::QName;
use crate::version::SoapVersion;

/// Which WS-Addressing a message uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsaVersion {
    /// WS-Addressing 1.0, `http://www.w3.org/2005/08/addressing`.
    V10,
    /// The 2004/08 member submission (WS-RM 1.0 with CXF, older stacks).
    V200408,
}

impl WsaVersion {
    /// The version with namespace `ns`.
    pub fn from_namespace(ns: &str) -> Option<Self> {
        match ns {
            WSA10 => Some(Self::V10),
            WSA200408 => Some(Self::V200408),
            _ => None,
        }
    }

    /// The namespace URI.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::V10 => WSA10,
            Self::V200408 => WSA200408,
        }
    }

    /// The anonymous address (1.0 Core §2.1; 2004/08 §2.1 "role/anonymous").
    pub fn anonymous(self) -> &'static str {
        match self {
            Self::V10 => "http://www.w3.org/2005/08/addressing/anonymous",
            Self::V200408 => "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous",
        }
    }

    /// The none address (1.0 only: messages to it are discarded).
    pub fn none(self) -> Option<&'static str> {
        match self {
            Self::V10 => Some("http://www.w3.org/2005/08/addressing/none"),
            Self::V200408 => None,
        }
    }

    /// The default RelatesTo relationship, "reply".
    pub fn reply_relationship(self) -> &'static str {
        match self {
            Self::V10 => "http://www.w3.org/2005/08/addressing/reply",
            Self::V200408 => "http://schemas.xmlsoap.org/ws/2004/08/addressing/reply",
        }
    }

    /// The action of WS-Addressing faults (the faults WS-Addressing itself defines).
    pub fn fault_action(self) -> &'static str {
        match self {
            Self::V10 => "http://www.w3.org/2005/08/addressing/fault",
            Self::V200408 => "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault",
        }
    }

    /// The action of every other SOAP fault (WS-A 1.0 SOAP Binding §6: `…/soap/fault`; the
    /// 2004/08 submission has the one fault action).
    pub fn soap_fault_action(self) -> &'static str {
        match self {
            Self::V10 => "http://www.w3.org/2005/08/addressing/soap/fault",
            Self::V200408 => "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault",
        }
    }
}

/// An endpoint reference (1.0 Core §2.1): an address plus opaque reference
/// parameters that are echoed as header blocks to that endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointReference {
    /// `wsa:Address`.
    pub address: String,
    /// Each child of `wsa:ReferenceParameters`, as a standalone XML fragment.
    pub reference_parameters: Vec<String>,
    /// 2004/08 only: each child of `wsa:ReferenceProperties`.
    pub reference_properties: Vec<String>,
}

impl EndpointReference {
    /// An EPR with only an address.
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            ..Self::default()
        }
    }

    /// Whether the address is the anonymous URI of `version`.
    pub fn is_anonymous(&self, version: WsaVersion) -> bool {
        self.address == version.anonymous()
    }

    /// Whether the address is the WS-A 1.0 none URI.
    pub fn is_none(&self, version: WsaVersion) -> bool {
        version.none() == Some(self.address.as_str())
    }

    /// Reads an EPR element.
    pub fn parse(element: Element<'_>, version: WsaVersion) -> Result<Self, AddressingError> {
        let ns = version.namespace();
        let address = element.child(ns, "Address").ok_or_else(|| {
            AddressingError::invalid(QName::of(element), InvalidHeaderReason::MissingAddressInEpr)
        })?;
        let children = |local: &str| -> Vec<String> {
            element
                .child(ns, local)
                .map(|p| p.child_elements().map(|e| e.to_xml()).collect())
                .unwrap_or_default()
        };
        Ok(Self {
            address: address.trimmed_text().into_owned(),
            reference_parameters: children("ReferenceParameters"),
            reference_properties: if version == WsaVersion::V200408 {
                children("ReferenceProperties")
            } else {
                vec![]
            },
        })
    }

    /// Writes the EPR as element `local` in the WS-A namespace.
    pub fn write(&self, w: &mut XmlWriter, version: WsaVersion, local: &str) {
        let ns = version.namespace();
        w.start(Some(ns), local)
            .leaf(Some(ns), "Address", &self.address);
        for (name, items) in [
            ("ReferenceProperties", &self.reference_properties),
            ("ReferenceParameters", &self.reference_parameters),
        ] {
            if !items.is_empty() {
                w.start(Some(ns), name);
                for item in items {
                    w.raw(item);
                }
                w.end();
            }
        }
        w.end();
    }
}

/// `wsa:RelatesTo` (1.0 Core §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatesTo {
    /// The related message's MessageID.
    pub message_id: String,
    /// The relationship; `None` = the default "reply".
    pub relationship: Option<String>,
}

/// The message addressing properties of a received message.
#[derive(Debug, Clone)]
pub struct AddressingHeaders<'d> {
    /// The version the headers use.
    pub version: WsaVersion,
    /// `wsa:To`.
    pub to: Option<String>,
    /// `wsa:Action`.
    pub action: Option<String>,
    /// `wsa:MessageID`.
    pub message_id: Option<String>,
    /// Every `wsa:RelatesTo`.
    pub relates_to: Vec<RelatesTo>,
    /// `wsa:ReplyTo`; in 1.0 an absent ReplyTo means anonymous (Core §3.2).
    pub reply_to: Option<EndpointReference>,
    /// `wsa:FaultTo`.
    pub fault_to: Option<EndpointReference>,
    /// `wsa:From`.
    pub from: Option<EndpointReference>,
    /// Every WS-A header element found, for signature coverage checks.
    pub elements: Vec<Element<'d>>,
}

impl<'d> AddressingHeaders<'d> {
    /// Reads the WS-A headers of `envelope`; `Ok(None)` when there are none.
    ///
    /// Enforced: one WS-A version per message; at most one To, Action, MessageID,
    /// ReplyTo, FaultTo and From (1.0 Core §3.1 cardinalities, reported as
    /// `InvalidCardinality`); Action present whenever any WS-A header is (SOAP
    /// Binding §6.4.2 MessageAddressingHeaderRequired); EPRs with an Address.
    pub fn parse(envelope: &Envelope<'d>) -> Result<Option<Self>, AddressingError> {
        let mut version = None;
        let mut headers = Self {
            version: WsaVersion::V10,
            to: None,
            action: None,
            message_id: None,
            relates_to: Vec::new(),
            reply_to: None,
            fault_to: None,
            from: None,
            elements: Vec::new(),
        };
        for block in envelope
            .header()
            .into_iter()
            .flat_map(|h| h.child_elements())
        {
            let Some(v) = block.namespace().and_then(WsaVersion::from_namespace) else {
                continue;
            };
            if *version.get_or_insert(v) != v {
                return Err(AddressingError::invalid(
                    QName::of(block),
                    InvalidHeaderReason::MixedVersions,
                ));
            }
            headers.version = v;
            headers.elements.push(block);
            let once = |present: bool| {
                if present {
                    Err(AddressingError::invalid(
                        QName::of(block),
                        InvalidHeaderReason::InvalidCardinality,
                    ))
                } else {
                    Ok(())
                }
            };
            match block.local_name() {
                "To" => {
                    once(headers.to.is_some())?;
                    headers.to = Some(block.trimmed_text().into_owned());
                }
                "Action" => {
                    once(headers.action.is_some())?;
                    headers.action = Some(block.trimmed_text().into_owned());
                }
                "MessageID" => {
                    once(headers.message_id.is_some())?;
                    headers.message_id = Some(block.trimmed_text().into_owned());
                }
                "RelatesTo" => headers.relates_to.push(RelatesTo {
                    message_id: block.trimmed_text().into_owned(),
                    relationship: block
                        .attribute(None, "RelationshipType")
                        .map(|r| trim_xml_whitespace(r).to_owned()),
                }),
                "ReplyTo" => {
                    once(headers.reply_to.is_some())?;
                    headers.reply_to = Some(EndpointReference::parse(block, v)?);
                }
                "FaultTo" => {
                    once(headers.fault_to.is_some())?;
                    headers.fault_to = Some(EndpointReference::parse(block, v)?);
                }
                "From" => {
                    once(headers.from.is_some())?;
                    headers.from = Some(EndpointReference::parse(block, v)?);
                }
                _ => {}
            }
        }
        let Some(version) = version else {
            return Ok(None);
        };
        if headers.action.as_deref().is_none_or(str::is_empty) {
            return Err(AddressingError::HeaderRequired(QName::new(
                version.namespace(),
                "Action",
            )));
        }
        Ok(Some(headers))
    }

    /// Where replies go: ReplyTo, or anonymous when absent (1.0 Core §3.2).
    pub fn reply_endpoint(&self) -> EndpointReference {
        self.reply_to
            .clone()
            .unwrap_or_else(|| EndpointReference::new(self.version.anonymous()))
    }

    /// Where faults go: FaultTo, else the reply endpoint (1.0 Core §3.4).
    pub fn fault_endpoint(&self) -> EndpointReference {
        self.fault_to
            .clone()
            .unwrap_or_else(|| self.reply_endpoint())
    }
}

/// Message addressing properties to write on an outgoing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundAddressing {
    /// Version to write.
    pub version: WsaVersion,
    /// `wsa:To`; omitted when `None`.
    pub to: Option<String>,
    /// `wsa:Action`.
    pub action: String,
    /// `wsa:MessageID`.
    pub message_id: Option<String>,
    /// `wsa:RelatesTo`.
    pub relates_to: Option<RelatesTo>,
    /// `wsa:ReplyTo`.
    pub reply_to: Option<EndpointReference>,
    /// `wsa:FaultTo`.
    pub fault_to: Option<EndpointReference>,
    /// `wsa:From`.
    pub from: Option<EndpointReference>,
    /// Reference parameters of the destination EPR, echoed as header blocks.
    pub reference_parameters: Vec<String>,
}

impl OutboundAddressing {
    /// Headers for a request with this action to `to`.
    pub fn request(version: WsaVersion, to: impl Into<String>, action: impl Into<String>) -> Self {
        Self {
            version,
            to: Some(to.into()),
            action: action.into(),
            message_id: None,
            relates_to: None,
            reply_to: None,
            fault_to: None,
            from: None,
            reference_parameters: Vec::new(),
        }
    }

    /// Headers for the reply to `request` (SOAP Binding §3: To = the reply EPR's
    /// address, its reference parameters echoed, RelatesTo = the request's
    /// MessageID). `fault` selects the FaultTo endpoint.
    pub fn reply(request: &AddressingHeaders<'_>, action: impl Into<String>, fault: bool) -> Self {
        let target = if fault {
            request.fault_endpoint()
        } else {
            request.reply_endpoint()
        };
        Self {
            version: request.version,
            to: Some(target.address),
            action: action.into(),
            message_id: None,
            relates_to: request.message_id.clone().map(|message_id| RelatesTo {
                message_id,
                relationship: None,
            }),
            reply_to: None,
            fault_to: None,
            from: None,
            reference_parameters: target.reference_parameters,
        }
    }

    /// Writes the headers. `id_for` may return a `wsu:Id` for each header (by its
    /// local name) so that a signature can reference it.
    pub fn write(&self, env: &mut EnvelopeWriter, id_for: &mut dyn FnMut(&str) -> Option<String>) {
        let version = self.version;
        let ns = version.namespace();
        let soap = env.version();
        let w = env.header();
        let leaf = |w: &mut XmlWriter,
                    id_for: &mut dyn FnMut(&str) -> Option<String>,
                    local: &str,
                    value: &str,
                    must_understand: bool| {
            w.start(Some(ns), local);
            if must_understand {
                w.attr(
                    Some(soap.namespace()),
                    "mustUnderstand",
                    soap.must_understand_true(),
                );
            }
            if let Some(id) = id_for(local) {
                w.attr(Some(crate::ns::WSU), "Id", &id);
            }
            w.text(value).end();
        };
        leaf(w, id_for, "Action", &self.action, true);
        if let Some(id) = &self.message_id {
            leaf(w, id_for, "MessageID", id, false);
        }
        if let Some(rel) = &self.relates_to {
            w.start(Some(ns), "RelatesTo");
            if let Some(r) = &rel.relationship {
                w.attr(None, "RelationshipType", r);
            }
            if let Some(id) = id_for("RelatesTo") {
                w.attr(Some(crate::ns::WSU), "Id", &id);
            }
            w.text(&rel.message_id).end();
        }
        for (local, epr) in [
            ("ReplyTo", &self.reply_to),
            ("FaultTo", &self.fault_to),
            ("From", &self.from),
        ] {
            if let Some(epr) = epr {
                epr.write(w, version, local);
            }
        }
        if let Some(to) = &self.to {
            leaf(w, id_for, "To", to, true);
        }
        for param in &self.reference_parameters {
            match version {
                WsaVersion::V10 => w.raw(&mark_reference_parameter(param)),
                WsaVersion::V200408 => w.raw(param),
            };
        }
    }
}

/// Adds `wsa:IsReferenceParameter="true"` to the root of an echoed reference
/// parameter (1.0 SOAP Binding §2.3).
fn mark_reference_parameter(fragment: &str) -> String {
    let name_end = fragment
        .char_indices()
        .skip(1)
        .find(|(_, c)| matches!(c, ' ' | '\t' | '\n' | '\r' | '>' | '/'))
        .map_or(fragment.len(), |(i, _)| i);
    let (head, tail) = fragment.split_at(name_end);
    format!("{head} xmlns:wsarp=\"{WSA10}\" wsarp:IsReferenceParameter=\"true\"{tail}")
}

/// Refinements of InvalidAddressingHeader (1.0 SOAP Binding §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidHeaderReason {
    /// A header that may occur once occurred more often.
    InvalidCardinality,
    /// An EPR without Address.
    MissingAddressInEpr,
    /// Headers of both WS-A versions in one message.
    MixedVersions,
    /// An address this endpoint cannot use (for example non-anonymous where only
    /// anonymous is supported).
    InvalidAddress,
}

impl InvalidHeaderReason {
    fn subsubcode(self) -> Option<&'static str> {
        match self {
            Self::InvalidCardinality => Some("InvalidCardinality"),
            Self::MissingAddressInEpr => Some("MissingAddressInEPR"),
            Self::InvalidAddress => Some("InvalidAddress"),
            Self::MixedVersions => None,
        }
    }
}

/// A WS-Addressing failure, mapped to the standard faults by [`Self::to_fault`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AddressingError {
    /// A header is present but invalid.
    #[error("invalid addressing header {header}")]
    InvalidHeader {
        /// The problem header.
        header: QName,
        /// What is wrong with it.
        reason: InvalidHeaderReason,
    },
    /// A required header is missing.
    #[error("addressing header {0} required")]
    HeaderRequired(QName),
    /// No route to the destination.
    #[error("destination unreachable")]
    DestinationUnreachable,
    /// The action is not supported here.
    #[error("action not supported: {0}")]
    ActionNotSupported(String),
    /// The endpoint is temporarily unable to process the message.
    #[error("endpoint unavailable")]
    EndpointUnavailable,
}

impl AddressingError {
    fn invalid(header: QName, reason: InvalidHeaderReason) -> Self {
        Self::InvalidHeader { header, reason }
    }

    /// The fault to send (1.0 SOAP Binding §6.4; submission §4.1), with detail
    /// `ProblemHeaderQName` or `ProblemAction`. In SOAP 1.1 the subcode becomes
    /// the faultcode, as the binding specifies.
    pub fn to_fault(&self, version: WsaVersion) -> Fault {
        let ns = version.namespace();
        let (code, sub, reason) = match (self, version) {
            (Self::InvalidHeader { .. }, WsaVersion::V10) => (
                FaultCode::Sender,
                "InvalidAddressingHeader",
                "A header representing a Message Addressing Property is not valid and the message cannot be processed",
            ),
            (Self::InvalidHeader { .. }, WsaVersion::V200408) => (
                FaultCode::Sender,
                "InvalidMessageInformationHeader",
                "A message information header is not valid and the message cannot be processed",
            ),
            (Self::HeaderRequired(_), WsaVersion::V10) => (
                FaultCode::Sender,
                "MessageAddressingHeaderRequired",
                "A required header representing a Message Addressing Property is not present",
            ),
            (Self::HeaderRequired(_), WsaVersion::V200408) => (
                FaultCode::Sender,
                "MessageInformationHeaderRequired",
                "A required message information header is not present",
            ),
            (Self::DestinationUnreachable, _) => (
                FaultCode::Sender,
                "DestinationUnreachable",
                "No route can be determined to reach the destination role",
            ),
            (Self::ActionNotSupported(_), _) => (
                FaultCode::Sender,
                "ActionNotSupported",
                "The action cannot be processed at the receiver",
            ),
            (Self::EndpointUnavailable, _) => (
                FaultCode::Receiver,
                "EndpointUnavailable",
                "The endpoint is unable to process the message at this time",
            ),
        };
        let mut fault = Fault::new(code, reason).with_subcode(ns, sub);
        fault.subcode_as_soap11_code = true;
        match self {
            Self::InvalidHeader { header, reason } => {
                if let (Some(s), WsaVersion::V10) = (reason.subsubcode(), version) {
                    fault.subcodes.push(QName::new(ns, s));
                }
                fault.detail.push(problem_header(ns, header));
            }
            Self::HeaderRequired(header) => fault.detail.push(problem_header(ns, header)),
            Self::ActionNotSupported(action) => {
                let mut w = XmlWriter::with_prefixes(&[(WSA10, "wsa"), (WSA200408, "wsa")]);
                w.start(Some(ns), "ProblemAction")
                    .leaf(Some(ns), "Action", action)
                    .end();
                if let Ok(xml) = w.finish() {
                    fault.detail.push(xml);
                }
            }
            _ => {}
        }
        fault
    }
}

fn problem_header(ns: &str, header: &QName) -> String {
    let mut w = XmlWriter::with_prefixes(&[(WSA10, "wsa"), (WSA200408, "wsa")]);
    w.start(Some(ns), "ProblemHeaderQName");
    let value = w.qname_value(&header.namespace, &header.local);
    w.text(&value).end();
    w.finish().unwrap_or_default()
}

/// The SOAP version's fault envelope for an addressing error, addressed to the
/// request's fault endpoint when the request's headers could be read.
pub fn fault_envelope(
    soap: SoapVersion,
    error: &AddressingError,
    version: WsaVersion,
    request: Option<&AddressingHeaders<'_>>,
) -> Result<String, wsrx_xml::WriterError> {
    let fault = error.to_fault(version);
    let mut env = EnvelopeWriter::new(soap);
    let headers = match request {
        Some(r) => OutboundAddressing::reply(r, version.fault_action(), true),
        None => OutboundAddressing {
            to: None,
            ..OutboundAddressing::request(version, "", version.fault_action())
        },
    };
    headers.write(&mut env, &mut |_| None);
    env.fault(&fault)
}
