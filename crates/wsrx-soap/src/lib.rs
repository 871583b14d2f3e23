//! SOAP 1.1 and 1.2 envelopes and WS-Addressing for wsrx, over `wsrx-xml`.
//!
//! What it does:
//! - validates envelope structure, detects the version from the namespace and
//!   lists header blocks with their `mustUnderstand` and role/actor;
//! - applies the mustUnderstand processing model, producing the version's
//!   MustUnderstand fault (with SOAP 1.2 `NotUnderstood` headers);
//! - models SOAP faults (code, subcodes, reason, detail) and reads and writes
//!   them in both versions;
//! - reads and writes WS-Addressing 1.0 and 2004/08 headers, endpoint references
//!   with reference parameters (echoed as `IsReferenceParameter` headers), and the
//!   standard WS-Addressing faults;
//! - writes envelopes with stable prefixes ([`EnvelopeWriter`]).
//!
//! What it does not: security (`wsrx-security`), reliable messaging (`wsrx-rm`),
//! HTTP (`wsrx-runtime`). It does no IO.
#![forbid(unsafe_code)]

mod addressing;
mod envelope;
mod error;
mod fault;
mod fault_writer;
#[doc(hidden)]
pub mod fuzzing;
pub mod ns;
mod qname;
mod version;

pub use addressing::{
    AddressingError, AddressingHeaders, EndpointReference, InvalidHeaderReason, OutboundAddressing,
    RelatesTo, WsaVersion, fault_envelope,
};
pub use envelope::{Envelope, EnvelopeWriter, HeaderBlock};
pub use error::SoapError;
pub use fault::{Fault, FaultCode};
pub use qname::QName;
pub use version::{
    ACTOR_NEXT_11, ROLE_NEXT_12, ROLE_NONE_12, ROLE_ULTIMATE_RECEIVER_12, SoapVersion,
};
