//! The codec errors: why a message was refused (and the fault that answers it), and why a
//! message could not be written.

use thiserror::Error;
use wsrx_soap::{Fault, FaultCode, QName, WsaVersion};
use wsrx_xml::{WriterError, XmlWriter};

use super::fault::soap_fault;
use super::model::WireProfile;
use crate::msg::{FaultCode as RmFaultCode, FaultDetail, FaultKind, RmFault, SequenceId};

/// Longest offending value kept in an error (values come from the peer).
const MAX_VALUE_LEN: usize = 128;

/// Why a received envelope's RM content was refused. Every variant is the sender's fault;
/// [`Self::to_fault`] gives the answer:
///
/// | variant | fault (spec-facts §2.1) |
/// |---|---|
/// | `InvalidAcknowledgement` | `wsrm:InvalidAcknowledgement` (Sender), detail the offending `SequenceAcknowledgement` |
/// | `UnexpectedElement`, `Unsupported` | SOAP Sender fault, detail `wsrm:UnsupportedElement` (QName) |
/// | anything else | SOAP Sender fault with the error text as Reason |
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A required RM element is absent (possibly present in no or another namespace).
    #[error("{parent} lacks wsrm:{element}")]
    MissingElement {
        /// The element that should contain it.
        parent: &'static str,
        /// The missing child.
        element: &'static str,
    },
    /// An element in an RM namespace where the schema has none (unknown, duplicated, out
    /// of order, or of the other RM version).
    #[error("unexpected {element} in {parent}")]
    UnexpectedElement {
        /// The containing element.
        parent: &'static str,
        /// The offending element.
        element: QName,
    },
    /// A required attribute is absent.
    #[error("{element} lacks @{attribute}")]
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// A value outside its type's lexical space (after whitespace collapse).
    #[error("invalid {element} value {value:?}")]
    InvalidValue {
        /// The element or attribute.
        element: &'static str,
        /// The value (truncated).
        value: String,
    },
    /// A `SequenceAcknowledgement` breaking the schema or §3.9: ranges with Nacks, Lower >
    /// Upper, overlapping ranges, a 0 number, `Final` with Nacks.
    #[error("invalid acknowledgement on {id}: {reason}")]
    InvalidAcknowledgement {
        /// The sequence.
        id: SequenceId,
        /// What is wrong.
        reason: &'static str,
        /// The offending element, serialized (the fault detail).
        xml: String,
    },
    /// An RM header that may occur once occurred twice.
    #[error("more than one wsrm:{0} header")]
    DuplicateHeader(&'static str),
    /// RM elements of both versions in one message.
    #[error("WS-RM 1.0 and 1.1 elements in one message")]
    MixedVersions,
    /// The WS-A Action and the RM content disagree (an RM action of the other version, an
    /// RM body under another action, or an RM action without its element).
    #[error("action {action} does not match the RM content")]
    ActionMismatch {
        /// The action received.
        action: String,
    },
    /// An action in a pre-standard WS-RX namespace (the 2006/08 drafts).
    #[error("unsupported WS-RM draft action {0}")]
    UnsupportedVersion(String),
    /// An RM-family element this crate does not implement (MakeConnection,
    /// UsesSequenceSSL).
    #[error("unsupported {0}")]
    Unsupported(QName),
}

impl DecodeError {
    pub(crate) fn invalid(element: &'static str, value: &str) -> Self {
        let mut value = value.to_owned();
        if value.len() > MAX_VALUE_LEN {
            let mut end = MAX_VALUE_LEN;
            while !value.is_char_boundary(end) {
                end -= 1;
            }
            value.truncate(end);
        }
        Self::InvalidValue { element, value }
    }

    /// The fault that answers this error, in `profile`'s RM namespace (see the table on
    /// the type). Write it with `encode_fault`.
    pub fn to_fault(&self, profile: WireProfile) -> Fault {
        let rm = |kind, detail| {
            soap_fault(
                profile,
                &RmFault {
                    kind,
                    code: RmFaultCode::Sender,
                    detail,
                },
            )
        };
        match self {
            Self::InvalidAcknowledgement { xml, .. } => {
                let mut f = rm(FaultKind::InvalidAcknowledgement, FaultDetail::None);
                f.detail.push(xml.clone());
                f
            }
            Self::UnexpectedElement { element, .. } | Self::Unsupported(element) => {
                let mut f = Fault::new(FaultCode::Sender, self.to_string());
                let mut w = XmlWriter::with_prefixes(wsrx_soap::ns::PREFERRED_PREFIXES);
                w.start(Some(profile.namespace()), "UnsupportedElement");
                let value = w.qname_value(&element.namespace, &element.local);
                w.text(&value).end();
                if let Ok(xml) = w.finish() {
                    f.detail.push(xml);
                }
                f
            }
            _ => Fault::new(FaultCode::Sender, self.to_string()),
        }
    }
}

/// Why a message could not be written (a caller error, never the peer's).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The addressing headers use a WS-A version other than the profile's.
    #[error("addressing {addressing:?} does not match profile {profile:?}")]
    AddressingVersion {
        /// The profile.
        profile: WireProfile,
        /// The addressing headers' version.
        addressing: WsaVersion,
    },
    /// The message does not exist in the profile's RM version (Close and the
    /// Close/Terminate responses in WS-RM 1.0).
    #[error("{0} does not exist in WS-RM 1.0")]
    NotInVersion(&'static str),
    /// An application body without a payload to write.
    #[error("application body without a payload")]
    MissingPayload,
    /// No action given and none implied by the message.
    #[error("no action for the message")]
    MissingAction,
    /// The XML writer was misused (a bug in this crate).
    #[error("writer: {0}")]
    Writer(#[from] WriterError),
}
