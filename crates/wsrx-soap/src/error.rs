//! Errors of the SOAP layer and their faults.

use thiserror::Error;
use wsrx_xml::XmlError;

use crate::fault::{Fault, FaultCode, QName};

/// Why an envelope was refused. Every variant is the sender's fault and maps to
/// a SOAP fault through [`SoapError::to_fault`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SoapError {
    /// The XML itself was refused.
    #[error("malformed XML: {0}")]
    Xml(#[from] XmlError),
    /// The document element is not a SOAP Envelope at all.
    #[error("not a SOAP envelope")]
    NotAnEnvelope,
    /// An `Envelope` in a namespace other than SOAP 1.1 or 1.2 (SOAP 1.2 part 1 §5.4.7).
    #[error("unsupported envelope namespace")]
    VersionMismatch,
    /// No `Body`, or elements in the wrong place.
    #[error("malformed envelope: {0}")]
    MalformedEnvelope(&'static str),
    /// A `mustUnderstand` attribute with a value that is not a boolean.
    #[error("invalid mustUnderstand value on a header block")]
    InvalidMustUnderstand,
    /// Header blocks targeted at us, marked mustUnderstand, that nothing processes.
    #[error("{} mandatory header block(s) not understood", .0.len())]
    MustUnderstand(Vec<QName>),
    /// A `Fault` element that does not follow the SOAP schema.
    #[error("malformed SOAP fault: {0}")]
    InvalidFault(&'static str),
}

impl SoapError {
    /// The fault to answer with.
    pub fn to_fault(&self) -> Fault {
        match self {
            Self::VersionMismatch => Fault::new(
                FaultCode::VersionMismatch,
                "Unsupported SOAP envelope namespace",
            ),
            Self::MustUnderstand(names) => {
                let mut f = Fault::new(
                    FaultCode::MustUnderstand,
                    "One or more mandatory header blocks not understood",
                );
                f.not_understood.clone_from(names);
                f
            }
            other => Fault::new(FaultCode::Sender, other.to_string()),
        }
    }
}
