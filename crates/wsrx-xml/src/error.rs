//! The parser's error type: what was wrong with the input, and where.

use thiserror::Error;

use crate::limits::Limit;

/// Why a document was refused. `offset` is the byte offset in the input where the
/// problem was detected. Every variant is caused by the input (the peer); the
/// parser has no other failure mode.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum XmlError {
    /// A configured [`Limit`] was exceeded.
    #[error("XML limit {limit} ({max}) exceeded at byte {offset}")]
    LimitExceeded {
        /// The limit.
        limit: Limit,
        /// Its configured value.
        max: usize,
        /// Where it was exceeded.
        offset: usize,
    },
    /// A document type declaration: SOAP forbids DTDs (SOAP 1.2 part 1 §5; SOAP 1.1 §3).
    #[error("document type declarations are not allowed (byte {offset})")]
    DoctypeForbidden {
        /// Where the DOCTYPE starts.
        offset: usize,
    },
    /// An entity reference other than the five predefined ones.
    #[error("undefined entity reference at byte {offset}")]
    UndefinedEntity {
        /// Where the reference starts.
        offset: usize,
    },
    /// The input is not valid UTF-8.
    #[error("invalid UTF-8 at byte {offset}")]
    InvalidUtf8 {
        /// The first invalid byte.
        offset: usize,
    },
    /// The XML declaration names an encoding other than UTF-8, or a version other than 1.0.
    #[error("unsupported XML declaration at byte {offset}: only version 1.0 in UTF-8 is accepted")]
    UnsupportedDeclaration {
        /// Where the declaration is.
        offset: usize,
    },
    /// A character that XML 1.0 does not allow (control characters, U+FFFE, U+FFFF).
    #[error("character not allowed in XML at byte {offset}")]
    InvalidCharacter {
        /// Where it is.
        offset: usize,
    },
    /// A prefix that is not bound to a namespace (Namespaces in XML 1.0 §5).
    #[error("unbound namespace prefix at byte {offset}")]
    UnboundPrefix {
        /// The element or attribute using it.
        offset: usize,
    },
    /// A misuse of the reserved `xml`/`xmlns` prefixes or namespaces, or an
    /// attempt to undeclare a prefix (`xmlns:p=""`, not allowed in XML 1.0).
    #[error("illegal namespace declaration at byte {offset}")]
    IllegalNamespaceDeclaration {
        /// Where the declaration is.
        offset: usize,
    },
    /// Two attributes with the same qualified name or the same expanded name.
    #[error("duplicate attribute at byte {offset}")]
    DuplicateAttribute {
        /// The second occurrence.
        offset: usize,
    },
    /// An end tag that does not match the open element.
    #[error("mismatched end tag at byte {offset}")]
    MismatchedEndTag {
        /// Where the end tag starts.
        offset: usize,
    },
    /// The input ended inside markup or before the root element was closed.
    #[error("document truncated at byte {offset}")]
    Truncated {
        /// The length of the input.
        offset: usize,
    },
    /// Any other violation of the XML 1.0 grammar.
    #[error("malformed XML at byte {offset}: {what}")]
    Malformed {
        /// Where it was found.
        offset: usize,
        /// What was expected or found.
        what: &'static str,
    },
}

impl XmlError {
    /// Byte offset in the input where the problem was detected.
    pub fn offset(&self) -> usize {
        match *self {
            Self::LimitExceeded { offset, .. }
            | Self::DoctypeForbidden { offset }
            | Self::UndefinedEntity { offset }
            | Self::InvalidUtf8 { offset }
            | Self::UnsupportedDeclaration { offset }
            | Self::InvalidCharacter { offset }
            | Self::UnboundPrefix { offset }
            | Self::IllegalNamespaceDeclaration { offset }
            | Self::DuplicateAttribute { offset }
            | Self::MismatchedEndTag { offset }
            | Self::Truncated { offset }
            | Self::Malformed { offset, .. } => offset,
        }
    }

    /// The limit exceeded, if this is a limit violation.
    pub fn limit(&self) -> Option<Limit> {
        match self {
            Self::LimitExceeded { limit, .. } => Some(*limit),
            _ => None,
        }
    }
}
