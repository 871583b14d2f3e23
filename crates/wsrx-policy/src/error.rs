//! The one error type of this crate and the pieces it is made of: where an element
//! sits ([`Location`]), which assertion a refusal names ([`AssertionName`]) and why a
//! policy alternative was refused ([`Refusal`]).
//!
//! Every error comes from the input (the policy or WSDL author, or a document the
//! resolver supplied): nothing here is a bug of the caller, and nothing panics.

use std::fmt;

use thiserror::Error;
use wsrx_xml::XmlError;

/// Where an element sits: the document it came from, its line and column there, and
/// its path from the document element (`/wsdl:definitions/wsp:Policy[@wsu:Id='P']/…`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Location {
    /// The document: a file name or URI as the caller or the reference named it.
    pub source: String,
    /// 1-based line of the element's start tag.
    pub line: u32,
    /// 1-based column (in characters) of the element's start tag.
    pub column: u32,
    /// Path of qualified names from the document element, with `[@wsu:Id='…']`,
    /// `[@Name='…']` or `[@name='…']` where the element has one, else `[n]` when it
    /// has same-named siblings.
    pub path: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}:{}:{})",
            self.path, self.source, self.line, self.column
        )
    }
}

/// The name of an assertion (or any element) as a refusal reports it: the expanded
/// name `{namespace}LocalName` and the prefixed form as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AssertionName {
    /// Namespace URI; empty for an unqualified element.
    pub namespace: String,
    /// Local name.
    pub local: String,
    /// Prefix as written in the document, if any.
    pub prefix: Option<String>,
}

impl AssertionName {
    /// `{namespace}LocalName` (Clark notation).
    pub fn expanded(&self) -> String {
        format!("{{{}}}{}", self.namespace, self.local)
    }

    /// `prefix:LocalName` as written (or the local name alone when unprefixed).
    pub fn prefixed(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{}", self.local),
            None => self.local.clone(),
        }
    }

    /// True when this is `{namespace}local`.
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.namespace == namespace && self.local == local
    }
}

impl fmt::Display for AssertionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.expanded(), self.prefixed())
    }
}

/// Why an assertion makes a policy alternative unusable for wsrx.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum RefusalReason {
    /// An assertion wsrx does not implement, not marked `wsp:Ignorable`.
    NotImplemented,
    /// An assertion wsrx recognizes and refuses on purpose (the text says why).
    Unsupported(String),
    /// A known assertion in a place its specification does not allow.
    Misplaced(String),
    /// A known assertion whose parameters or nested policy are not valid.
    Invalid(String),
    /// Two assertions of the alternative contradict each other.
    Conflict(String),
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotImplemented => {
                f.write_str("not implemented by wsrx and not marked wsp:Ignorable")
            }
            Self::Unsupported(why) => write!(f, "not supported: {why}"),
            Self::Misplaced(why) => write!(f, "misplaced: {why}"),
            Self::Invalid(why) => write!(f, "invalid: {why}"),
            Self::Conflict(why) => write!(f, "conflict: {why}"),
        }
    }
}

/// A policy alternative refused because of one assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Refusal {
    /// The assertion.
    pub assertion: AssertionName,
    /// Where it sits.
    pub location: Location,
    /// Why.
    pub reason: RefusalReason,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}: {}",
            self.assertion, self.location, self.reason
        )
    }
}

/// Why the sequences of a configuration would not be bound to their security context
/// token (WS-RM 1.2 §5; the runtime refuses such a configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum UnbindReason {
    /// WS-RM 1.1 over a binding protected by a SecureConversationToken, without
    /// `wsrmp:SequenceSTR` or `wsrmp:SequenceTransportSecurity`.
    NoSequenceBindingAssertion,
    /// `wsrmp:SequenceSTR` while no SecureConversationToken protects the messages
    /// (wsrx binds sequences to an SCT only).
    SequenceStrWithoutSct,
    /// The SCT only endorses (signs the signature or the Timestamp); the
    /// application message `message` is not signed by it.
    SctOnlyEndorses {
        /// The message (operation and direction).
        message: String,
    },
    /// The Body of application message `message` is not signed, so its Sequence
    /// header could be moved onto another body.
    BodyNotSigned {
        /// The message (operation and direction).
        message: String,
    },
}

impl fmt::Display for UnbindReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSequenceBindingAssertion => f.write_str(
                "the wsrmp:RMAssertion has neither wsrmp:SequenceSTR nor \
                 wsrmp:SequenceTransportSecurity while a SecureConversationToken protects \
                 the messages: sequences would not be bound to the SCT",
            ),
            Self::SequenceStrWithoutSct => f.write_str(
                "wsrmp:SequenceSTR asks to bind sequences to a security token, but no \
                 SecureConversationToken protects the messages (wsrx binds sequences to an \
                 SCT only)",
            ),
            Self::SctOnlyEndorses { message } => write!(
                f,
                "the SecureConversationToken only endorses; message {message} is not signed \
                 by it, so its sequence would not be proven by the SCT"
            ),
            Self::BodyNotSigned { message } => write!(
                f,
                "the Body of message {message} is not signed, so its Sequence header could \
                 be moved onto another body"
            ),
        }
    }
}

/// Everything that can go wrong reading, normalizing, intersecting or configuring
/// from a policy or a WSDL.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The document is not well-formed XML (or exceeds an XML limit).
    #[error("{document}:{line}:{column}: not well-formed XML: {error}")]
    Xml {
        /// The document.
        document: String,
        /// Line of the error.
        line: u32,
        /// Column of the error.
        column: u32,
        /// The reader's error.
        error: XmlError,
    },
    /// The document element is neither a WSDL 1.1 definitions, a `wsp:Policy`, nor a
    /// container holding any `wsp:Policy` or `wsp:PolicyAttachment`.
    #[error("{document}: no policy found: the document element is {root}")]
    NoPolicy {
        /// The document.
        document: String,
        /// The document element's expanded name.
        root: String,
    },
    /// A WS-Policy or WSDL construct that breaks its specification's grammar.
    #[error("invalid {what} at {location}")]
    Invalid {
        /// What is wrong.
        what: String,
        /// Where.
        location: Location,
    },
    /// A `wsp:PolicyReference` or `wsp:PolicyURIs` entry that names no policy.
    #[error("unresolved policy reference {uri:?} at {location}: {reason}")]
    UnresolvedReference {
        /// The URI as written.
        uri: String,
        /// The reference.
        location: Location,
        /// Why it could not be resolved.
        reason: String,
    },
    /// Policy references that lead back to a policy being expanded.
    #[error("policy reference cycle {} at {location}", chain.join(" -> "))]
    ReferenceCycle {
        /// The URIs followed, ending with the one that closes the cycle.
        chain: Vec<String>,
        /// The reference that closes the cycle.
        location: Location,
    },
    /// Policy expressions nested (through operators, assertions and references)
    /// deeper than the configured limit.
    #[error("policy nesting deeper than {max} levels at {location}")]
    TooDeep {
        /// The limit.
        max: usize,
        /// The element at which it was exceeded.
        location: Location,
    },
    /// More policy elements than the configured limit, counting every expansion of
    /// a reference (a guard against reference fan-out).
    #[error("policy larger than {max} elements after expanding references, at {location}")]
    TooLarge {
        /// The limit.
        max: usize,
        /// The element at which it was exceeded.
        location: Location,
    },
    /// The normal form would have more alternatives than the configured cap
    /// (computed before expanding anything).
    #[error(
        "policy alternative explosion: the normal form would have {} alternatives (cap {max}) at {location}",
        count.map_or_else(|| "more than 2^64".to_owned(), |c| c.to_string())
    )]
    TooManyAlternatives {
        /// The exact count, `None` when it does not fit 64 bits.
        count: Option<u64>,
        /// The cap.
        max: usize,
        /// The innermost element whose normal form exceeds the cap.
        location: Location,
    },
    /// The policy of `subject` allows no behaviour at all (an empty `wsp:ExactlyOne`).
    #[error("{subject}: the policy has no alternative (nothing satisfies it)")]
    NoAlternatives {
        /// The policy subject (endpoint, operation, message or policy).
        subject: String,
    },
    /// The only alternative of `subject` is refused.
    #[error("{subject}: refused: {refusal}")]
    Refused {
        /// The policy subject.
        subject: String,
        /// Why.
        refusal: Box<Refusal>,
    },
    /// Every alternative of `subject` is refused.
    #[error(
        "{subject}: no usable alternative among {}: {}",
        refusals.len(),
        refusals.iter().map(|(i, r)| format!("alternative {}: {r}", i + 1)).collect::<Vec<_>>().join("; ")
    )]
    NoUsableAlternative {
        /// The policy subject.
        subject: String,
        /// Each alternative's index (0-based) and refusal.
        refusals: Vec<(usize, Refusal)>,
    },
    /// The configuration would let a sequence escape its security context token.
    #[error("{subject}: would unbind the sequence from its SCT: {reason}")]
    WouldUnbindSequence {
        /// The endpoint.
        subject: String,
        /// Why.
        reason: UnbindReason,
    },
    /// A WSDL reference (binding of a port, portType of a binding) that names nothing.
    #[error("WSDL {what} at {location}")]
    Wsdl {
        /// What could not be resolved.
        what: String,
        /// Where.
        location: Location,
    },
}

impl PolicyError {
    /// The refusals this error carries (one for [`Self::Refused`], one per
    /// alternative for [`Self::NoUsableAlternative`], none otherwise).
    pub fn refusals(&self) -> Vec<&Refusal> {
        match self {
            Self::Refused { refusal, .. } => vec![refusal.as_ref()],
            Self::NoUsableAlternative { refusals, .. } => refusals.iter().map(|(_, r)| r).collect(),
            _ => Vec::new(),
        }
    }
}
