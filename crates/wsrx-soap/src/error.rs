//! Errors of the SOAP layer. The fault each one answers with is [`SoapError::to_fault`]
//! (in `fault.rs`, beside the fault model).

use thiserror::Error;
use wsrx_xml::XmlError;

use crate::qname::QName;

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
