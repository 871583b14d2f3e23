//! The XML wire codecs: SOAP envelopes ⇄ the plain RM types of [`crate::msg`].
//!
//! * [`decode`] reads one parsed [`Envelope`](wsrx_soap::Envelope) (and its WS-A Action)
//!   into a [`Decoded`]: every RM header block in document order, each with the
//!   [`NodeId`](wsrx_xml::NodeId) of its element (so the runtime can check that a signature covers it),
//!   and the body: an RM protocol message ([`RmBody`]), an empty body, or an
//!   application payload that is not this crate's business.
//! * [`encode`] writes a [`WireMessage`] through [`EnvelopeWriter`](wsrx_soap::EnvelopeWriter)
//!   for a [`WireProfile`] and a SOAP version, with the WS-A headers, `mustUnderstand` on
//!   `Sequence` and `UsesSequenceSTR`, and an optional `wsu:Id` on each RM header and on the
//!   SOAP Body, asked of an `id_for` callback as `OutboundAddressing::write` does.
//! * Faults: [`soap_fault`] turns an [`RmFault`](crate::msg::RmFault) into the SOAP fault
//!   model (spec-facts §2.1); [`encode_fault`] writes any fault, adding the SOAP 1.1
//!   `wsrm:SequenceFault` header; [`DecodeError::to_fault`] answers a refused message.
//! * [`WireMessage::from_message`] and [`Decoded::messages`] convert between the wire model
//!   and the [`Message`](crate::msg::Message)s the machines take and emit.
//!
//! Shapes follow the WS-RM 1.1 schema (spec-facts §2) and WS-RM 1.0 (2005/02), header order
//! and forms as WCF writes them (spec-facts §3.5; the WCF samples in `testdata/rm`).
//! Reading is tolerant where real peers differ (spec-facts §6): whitespace around values is
//! collapsed (CXF's `Upper=" 3"`), `Final` may come before the ranges (gSOAP), Expires may be
//! `PT00H01M00S` (gSOAP), `Sequence` may lack mustUnderstand, WCF's 1.0 `0-0` range means
//! "nothing yet", WCF's `WsrmRequired` spelling and its SOAP 1.1 faultcode form are accepted,
//! CXF's ranges followed by `None` are read as the ranges and its SequenceAcknowledgement
//! message without the header as acknowledging nothing (both reported in
//! [`Decoded::tolerated`], for DEBUG logs), and foreign elements and attributes are skipped
//! anywhere. It is strict in the RM
//! namespaces themselves: children in schema order, no unknown RM elements, numbers in
//! range, ranges or Nacks but not both, one RM version per message and an Action that
//! agrees with the body.

mod convert;
mod decode;
mod encode;
mod error;
mod fault;
#[doc(hidden)]
pub mod fuzzing;
mod model;
mod values;
mod write;

#[cfg(test)]
mod tests;

pub use decode::{decode, understands};
pub use encode::{IdFor, encode, encode_fault};
pub use error::{DecodeError, EncodeError};
pub use fault::{local_name as fault_name, soap_fault};
pub use model::{
    CreateSequenceBody, Decoded, Located, NS_WSMC, NS_WSSE, RmBody, RmHeader, SCT_VALUE_TYPE_1_3,
    SCT_VALUE_TYPE_2005_02, StrRef, Tolerated, WSA200408_FAULT_ACTION, WireBody, WireMessage,
    WireProfile,
};
