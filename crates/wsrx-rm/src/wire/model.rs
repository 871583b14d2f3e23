//! The wire model: the dialects ([`WireProfile`]) and the RM content of a SOAP message
//! independent of XML ([`WireMessage`], [`Decoded`]), shared by the decoder, the encoder
//! and the fault model. A leaf of `wire`: it imports no other file of the module.

use core::time::Duration;

use wsrx_soap::WsaVersion;
use wsrx_xml::NodeId;

use crate::msg::{
    AckRequested, CloseSequence, CloseSequenceResponse, CreateSequenceResponse, EndpointRef,
    FaultKind, Offer, RmFault, SequenceAcknowledgement, SequenceHeader, TerminateSequence,
    TerminateSequenceResponse,
};
use crate::version::{Action, NS_RM_1_0, NS_RM_1_1, RmVersion};

/// WS-Security 1.0 `wsse` namespace (the CreateSequence `SecurityTokenReference`).
pub const NS_WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// WS-MakeConnection 1.0/1.1 namespace (recognised only to be refused).
pub const NS_WSMC: &str = "http://docs.oasis-open.org/ws-rx/wsmc/200702";
/// SCT `ValueType` of WS-SecureConversation February 2005 (WCF wsHttpBinding).
pub const SCT_VALUE_TYPE_2005_02: &str = "http://schemas.xmlsoap.org/ws/2005/02/sc/sct";
/// SCT `ValueType` of WS-SecureConversation 1.3 (200512).
pub const SCT_VALUE_TYPE_1_3: &str =
    "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512/sct";
/// WS-A 2004/08 generic fault action (WS-RM 1.0 faults with the submission WS-A).
pub const WSA200408_FAULT_ACTION: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault";

/// A wire dialect: which WS-RM and WS-Addressing a message speaks, plus the WS-SC version
/// its CreateSequence STR names. A small `Copy` value to pass around with a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireProfile {
    /// WS-RM 1.1/1.2 (OASIS 200702) with WS-A 1.0 and WS-SC 1.3 (ws2007HttpBinding, gSOAP).
    Rm11,
    /// WS-RM 1.0 (2005/02) with WS-A 1.0 and WS-SC February 2005: WCF wsHttpBinding
    /// (spec-facts §3.5).
    Rm10Wcf,
    /// WS-RM 1.0 (2005/02) with the WS-A 2004/08 submission: Apache CXF.
    Rm10Submission,
}

impl WireProfile {
    /// Every profile.
    pub const ALL: [Self; 3] = [Self::Rm11, Self::Rm10Wcf, Self::Rm10Submission];

    /// The profile for a received message of RM version `rm` using WS-A version `wsa`
    /// (`None`: no WS-A headers; the WCF form is assumed for 1.0).
    pub fn from_versions(rm: RmVersion, wsa: Option<WsaVersion>) -> Self {
        match (rm, wsa) {
            (RmVersion::V1_1, _) => Self::Rm11,
            (RmVersion::V1_0, Some(WsaVersion::V200408)) => Self::Rm10Submission,
            (RmVersion::V1_0, _) => Self::Rm10Wcf,
        }
    }

    /// The WS-RM version.
    pub const fn rm_version(self) -> RmVersion {
        match self {
            Self::Rm11 => RmVersion::V1_1,
            Self::Rm10Wcf | Self::Rm10Submission => RmVersion::V1_0,
        }
    }

    /// The WS-Addressing version.
    pub const fn wsa_version(self) -> WsaVersion {
        match self {
            Self::Rm11 | Self::Rm10Wcf => WsaVersion::V10,
            Self::Rm10Submission => WsaVersion::V200408,
        }
    }

    /// The WS-RM namespace.
    pub const fn namespace(self) -> &'static str {
        self.rm_version().namespace()
    }

    /// The action URI of `action` in this dialect (`None` where the RM version lacks it).
    pub const fn action(self, action: Action) -> Option<&'static str> {
        match (self, action) {
            (Self::Rm10Submission, Action::Fault) => Some(WSA200408_FAULT_ACTION),
            _ => self.rm_version().action(action),
        }
    }

    /// The action of WS-RM faults: `…/200702/fault` for 1.1 (spec-facts §2.1); for 1.0 the
    /// WS-A generic fault action (WCF `WsrmIndex.GetFaultActionString`, spec-facts §1.2).
    pub const fn fault_action(self) -> &'static str {
        match self.action(Action::Fault) {
            Some(a) => a,
            None => WSA200408_FAULT_ACTION,
        }
    }

    /// The action of non-RM SOAP faults (a plain Sender fault, `wsse:FailedAuthentication`).
    pub const fn soap_fault_action(self) -> &'static str {
        match self.wsa_version() {
            WsaVersion::V10 => crate::version::WSA10_SOAP_FAULT_ACTION,
            WsaVersion::V200408 => WSA200408_FAULT_ACTION,
        }
    }

    /// The `ValueType` this dialect writes on the CreateSequence STR (WS-SC 1.3 with RM 1.1,
    /// WS-SC February 2005 with RM 1.0, as WCF's two bindings pair them).
    pub const fn sct_value_type(self) -> &'static str {
        match self {
            Self::Rm11 => SCT_VALUE_TYPE_1_3,
            Self::Rm10Wcf | Self::Rm10Submission => SCT_VALUE_TYPE_2005_02,
        }
    }
}

/// The `wsse:SecurityTokenReference` of a CreateSequence body (WS-RM 1.2 §5), kept raw:
/// the security layer resolves it (a `#id` of a token in the same message, or an SCT
/// Identifier: spec-facts §3.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StrRef {
    /// `wsse:Reference/@URI`, whitespace-collapsed.
    pub uri: String,
    /// `wsse:Reference/@ValueType`, if present (gSOAP omits it).
    pub value_type: Option<String>,
}

impl StrRef {
    /// The local `wsu:Id` this reference points to (the attached form `#id`).
    pub fn local_id(&self) -> Option<&str> {
        self.uri.strip_prefix('#')
    }

    /// The token identity of the unattached form (the URI is the SCT Identifier itself);
    /// `None` for the attached `#id` form, which needs the message's tokens to resolve.
    pub fn token(&self) -> Option<crate::binding::TokenRef> {
        if self.local_id().is_some() || self.uri.is_empty() {
            return None;
        }
        Some(crate::binding::TokenRef(
            crate::binding::SecurityBinding::new(self.uri.clone()),
        ))
    }
}

/// The CreateSequence body as it travels: like [`crate::msg::CreateSequence`], with the STR
/// raw and the `UsesSequenceSTR` header left to the header list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSequenceBody {
    /// `wsrm:AcksTo/wsa:Address`.
    pub acks_to: EndpointRef,
    /// `wsrm:Expires`.
    pub expires: Option<Duration>,
    /// `wsrm:Offer`. WS-RM 1.0 has no Offer/Endpoint: decoding sets it to AcksTo.
    pub offer: Option<Offer>,
    /// The body `wsse:SecurityTokenReference` (after the Offer).
    pub str_ref: Option<StrRef>,
}

/// An RM protocol message carried in the SOAP Body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RmBody {
    /// `wsrm:CreateSequence`.
    CreateSequence(CreateSequenceBody),
    /// `wsrm:CreateSequenceResponse`.
    CreateSequenceResponse(CreateSequenceResponse),
    /// `wsrm:CloseSequence` (1.1).
    CloseSequence(CloseSequence),
    /// `wsrm:CloseSequenceResponse` (1.1).
    CloseSequenceResponse(CloseSequenceResponse),
    /// `wsrm:TerminateSequence`.
    TerminateSequence(TerminateSequence),
    /// `wsrm:TerminateSequenceResponse` (1.1).
    TerminateSequenceResponse(TerminateSequenceResponse),
    /// A WS-RM fault (or `wsse:FailedAuthentication`), from `soap:Fault` (+ SOAP 1.1
    /// `wsrm:SequenceFault` header).
    Fault(RmFault),
}

impl RmBody {
    /// The action kind of this body.
    pub fn action(&self) -> Action {
        match self {
            Self::CreateSequence(_) => Action::CreateSequence,
            Self::CreateSequenceResponse(_) => Action::CreateSequenceResponse,
            Self::CloseSequence(_) => Action::CloseSequence,
            Self::CloseSequenceResponse(_) => Action::CloseSequenceResponse,
            Self::TerminateSequence(_) => Action::TerminateSequence,
            Self::TerminateSequenceResponse(_) => Action::TerminateSequenceResponse,
            Self::Fault(_) => Action::Fault,
        }
    }
}

/// One RM header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RmHeader {
    /// `wsrm:Sequence` (mustUnderstand).
    Sequence(SequenceHeader),
    /// `wsrm:AckRequested`.
    AckRequested(AckRequested),
    /// `wsrm:SequenceAcknowledgement`.
    SequenceAcknowledgement(SequenceAcknowledgement),
    /// `wsrm:UsesSequenceSTR` (1.1, mustUnderstand, on CreateSequence).
    UsesSequenceStr,
}

impl RmHeader {
    /// The element's local name (also the key passed to `id_for` when encoding).
    pub fn local_name(&self) -> &'static str {
        match self {
            Self::Sequence(_) => "Sequence",
            Self::AckRequested(_) => "AckRequested",
            Self::SequenceAcknowledgement(_) => "SequenceAcknowledgement",
            Self::UsesSequenceStr => "UsesSequenceSTR",
        }
    }
}

/// What the SOAP Body holds, as far as RM is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireBody {
    /// An RM protocol message or fault.
    Rm(RmBody),
    /// No element (stand-alone ack or AckRequested, the 1.0 LastMessage message).
    Empty,
    /// An application payload, or a fault that is not an RM fault: not decoded here.
    Application,
}

/// The RM content of one SOAP message, independent of XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireMessage {
    /// RM header blocks, in document order.
    pub headers: Vec<RmHeader>,
    /// The body.
    pub body: WireBody,
}

impl WireMessage {
    /// The action this message must carry (an RM body) or most likely carries (an empty
    /// body with a stand-alone ack, AckRequested or 1.0 LastMessage); `None` for
    /// application messages, whose action is the application's.
    pub fn action(&self, profile: WireProfile) -> Option<&'static str> {
        match &self.body {
            WireBody::Rm(RmBody::Fault(f)) => Some(action_for(profile, f)),
            WireBody::Rm(b) => profile.action(b.action()),
            WireBody::Application => None,
            WireBody::Empty => {
                let last = self
                    .headers
                    .iter()
                    .any(|h| matches!(h, RmHeader::Sequence(s) if s.last_message));
                let seq = self
                    .headers
                    .iter()
                    .any(|h| matches!(h, RmHeader::Sequence(_)));
                let ack = self
                    .headers
                    .iter()
                    .any(|h| matches!(h, RmHeader::SequenceAcknowledgement(_)));
                let req = self
                    .headers
                    .iter()
                    .any(|h| matches!(h, RmHeader::AckRequested(_)));
                if last && profile.rm_version() == RmVersion::V1_0 {
                    profile.action(Action::LastMessage)
                } else if seq {
                    None
                } else if ack {
                    profile.action(Action::SequenceAcknowledgement)
                } else if req {
                    profile.action(Action::AckRequested)
                } else {
                    None
                }
            }
        }
    }
}

/// A decoded value with the [`NodeId`] of the element it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The element (for signature-coverage checks).
    pub node: NodeId,
    /// The value.
    pub value: T,
}

/// The RM content of a received envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The RM version of its RM elements or RM Action; `None` when it has neither.
    pub version: Option<RmVersion>,
    /// RM header blocks in document order, each with its element.
    pub headers: Vec<Located<RmHeader>>,
    /// The body.
    pub body: WireBody,
    /// The SOAP `Body` element (what a signature over "the body" references).
    pub body_node: NodeId,
    /// Departures from the schema that were accepted because their meaning is
    /// unambiguous (what real stacks send); the runtime logs them at DEBUG.
    pub tolerated: Vec<Tolerated>,
}

/// A departure from the WS-RM schema that the decoder accepts, with the reading it gives
/// it. Each is what a real stack sends and means one thing only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerated {
    /// A 1.1 SequenceAcknowledgement with `AcknowledgementRange`s followed by an empty
    /// `wsrm:None` (Apache CXF 4.2 writes both; WS-RM 1.1 §3.9 allows one or the other):
    /// read as the ranges.
    RangesWithNone,
    /// A message whose Action is SequenceAcknowledgement but which carries no
    /// `wsrm:SequenceAcknowledgement` header (Apache CXF 4.2's answer to an AckRequested
    /// on a sequence it offered): read as a message acknowledging nothing.
    AckActionWithoutAck,
    /// A 1.0 SequenceAcknowledgement with an Identifier and neither ranges nor Nacks (Apache
    /// CXF 4.2, for a sequence on which it has received nothing; WS-RM 1.0 has no `None`):
    /// read as acknowledging nothing.
    EmptyAcknowledgement,
}

impl core::fmt::Display for Tolerated {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::RangesWithNone => {
                "SequenceAcknowledgement with AcknowledgementRange and None: read as the ranges"
            }
            Self::EmptyAcknowledgement => {
                "WS-RM 1.0 SequenceAcknowledgement without ranges or Nacks: read as \
                 acknowledging nothing"
            }
            Self::AckActionWithoutAck => {
                "SequenceAcknowledgement action without a SequenceAcknowledgement header: \
                 read as acknowledging nothing"
            }
        })
    }
}

impl Decoded {
    /// The wire message without node identities.
    pub fn to_wire(&self) -> WireMessage {
        WireMessage {
            headers: self.headers.iter().map(|h| h.value.clone()).collect(),
            body: self.body.clone(),
        }
    }

    /// The profile to answer in, given the WS-A version of the received message.
    pub fn profile(&self, wsa: Option<WsaVersion>) -> WireProfile {
        WireProfile::from_versions(self.version.unwrap_or(RmVersion::V1_1), wsa)
    }
}

/// The action of a fault message: the RM fault action, or the WS-A generic SOAP fault
/// action for `wsse:FailedAuthentication`.
pub(crate) fn action_for(profile: WireProfile, fault: &RmFault) -> &'static str {
    match fault.kind {
        FaultKind::FailedAuthentication | FaultKind::QuotaReached(_) => profile.soap_fault_action(),
        _ => profile.fault_action(),
    }
}

/// The RM version of an element namespace.
pub(crate) fn rm_version(ns: Option<&str>) -> Option<RmVersion> {
    match ns? {
        NS_RM_1_0 => Some(RmVersion::V1_0),
        NS_RM_1_1 => Some(RmVersion::V1_1),
        _ => None,
    }
}
