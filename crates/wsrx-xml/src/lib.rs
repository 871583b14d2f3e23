//! Hardened XML for wsrx: a namespace-aware reader that builds a compact document
//! model, a writer for outgoing envelopes, and streaming Exclusive XML
//! Canonicalization 1.0 feeding any [`Sink`] (a digest, a buffer).
//!
//! What it does:
//! - parses UTF-8 XML 1.0 with Namespaces, checking well-formedness and refusing
//!   any DOCTYPE, undefined entities and everything over a configured [`Limits`]
//!   value with a typed [`XmlError`], without recursion and with bounded memory;
//! - exposes elements, attributes, namespace declarations, in-scope lookups and
//!   source byte spans through `Copy` views ([`Element`], [`Attribute`], [`Node`])
//!   whose identities ([`NodeId`]) are stable positions in document order;
//! - canonicalizes any element subtree (exc-c14n, with or without comments, with
//!   an InclusiveNamespaces PrefixList) in one pass without building a string, and
//!   also with inclusive Canonical XML 1.0 ([`canonicalize_inclusive`]) or as a whole
//!   document ([`canonicalize_document`]) for generic XML-DSig;
//! - writes XML with stable prefixes ([`XmlWriter`]) and re-serializes parsed
//!   documents and subtrees.
//!
//! What it does not: IO, async, validation against schemas, DTDs of any kind,
//! encodings other than UTF-8, and any knowledge of SOAP or WS-* (see `wsrx-soap`).
#![forbid(unsafe_code)]

mod c14n;
mod chars;
mod document;
mod error;
mod escape;
#[doc(hidden)]
pub mod fuzzing;
mod limits;
mod parser;
mod serialize;
mod writer;

pub use c14n::{
    C14nMethod, C14nOptions, InclusiveC14nOptions, Sink, algorithm, canonicalize,
    canonicalize_document, canonicalize_inclusive, canonicalize_to_vec,
};
pub use document::{Attribute, Document, Element, Node, NodeId, trim_xml_whitespace};
pub use error::XmlError;
pub use limits::{Limit, Limits};
pub use writer::{WriterError, XmlWriter};

/// The namespace bound to the `xml` prefix by definition.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` declarations, which nothing may bind.
pub const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
