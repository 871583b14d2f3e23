//! The typed protection policy: what one message must look like, in the terms of
//! WS-SecurityPolicy 1.2 (§4 protection assertions, §6 algorithm suites and binding
//! properties, §7 the symmetric binding), for a message protected by a WS-SC security context
//! token (SCT).
//!
//! One [`ProtectionPolicy`] value drives both directions:
//! - outbound, [`crate::Signer::with_policy`] builds exactly that message in one pass (parts
//!   signed and encrypted, protection order, encrypted signature, timestamp, layout order,
//!   token inclusion and derived keys, suite);
//! - inbound, [`ProtectionPolicy::open`] decrypts, verifies and checks a received message
//!   against it by element identity (see [`check`]).
//!
//! It is the natural target of a WS-Policy mapping: every field is one assertion or binding
//! property of WS-SP 1.2. What the mapping needs and this module does not do is said where it
//! matters: XPath strings are not parsed here ([`ElementPath`] is the already-resolved form),
//! and supporting tokens, X.509 protection tokens and attachments are out of scope.
//!
//! [`ProtectionPolicy::default`] is wsrx's behaviour before policies: Body, Timestamp and every
//! WS-Addressing and WS-RM header signed by the SCT, nothing encrypted, sign before encrypting,
//! Lax layout written as Strict, the SCT attached, keys derived, Basic256Sha256 as the table
//! reads it (HMAC-SHA1, SHA-256 digests), any suite accepted inbound, only entire headers and
//! the Body signed.

pub mod check;
mod layout;
mod open;
pub(crate) mod select;

pub(crate) use select::selected as selected_parts;

pub use check::Checked;
pub use open::Opened;

use crate::sign::HeaderName;
use crate::suite::AlgorithmPolicy;

/// What one message must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionPolicy {
    /// The suite in force (`sp:AlgorithmSuite`, WS-SP §6.1).
    pub algorithms: AlgorithmPolicy,
    /// `sp:SignedParts` and `sp:SignedElements` (§4.1.1, §4.1.2).
    pub signed: Parts,
    /// `sp:EncryptedParts` and `sp:EncryptedElements` (§4.2.1, §4.2.2): the Body's content
    /// becomes an `xenc:EncryptedData` (Type Content), a header a `wsse11:EncryptedHeader`, an
    /// element an `xenc:EncryptedData` (Type Element).
    pub encrypted: Parts,
    /// `sp:EncryptSignature` (§6.4): the primary `ds:Signature` travels encrypted.
    pub encrypt_signature: bool,
    /// `sp:EncryptBeforeSigning` / `sp:SignBeforeEncrypting` (§6.3).
    pub order: ProtectionOrder,
    /// `sp:IncludeTimestamp` (§6.2): a `wsu:Timestamp`, covered by the primary signature.
    pub include_timestamp: bool,
    /// `sp:Layout` (§6.7; Strict rules in §6.7.1).
    pub layout: Layout,
    /// `sp:ProtectTokens` (§6.5): the primary signature covers the SCT it derives from.
    pub protect_tokens: bool,
    /// Token inclusion, reference style and key derivation of the protection token.
    pub token: TokenPolicy,
    /// `sp:OnlySignEntireHeadersAndBody` (§6.6): a signature covers only whole header blocks,
    /// the Body and security header elements, never an element inside them.
    pub only_sign_entire_headers_and_body: bool,
}

/// The parts a message must protect: the Body, header blocks, and elements by path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parts {
    /// `sp:Body`: the Body element (signed) or its content (encrypted).
    pub body: bool,
    /// `sp:Header`: every direct child of `Header` matching any selector, except
    /// `wsse:Security`.
    pub headers: Vec<HeaderSelector>,
    /// `sp:XPath` of `sp:SignedElements` / `sp:EncryptedElements`, already resolved.
    pub elements: Vec<ElementPath>,
}

impl Parts {
    /// Nothing.
    pub fn none() -> Self {
        Self::default()
    }

    /// The Body and every WS-Addressing (1.0 and 2004/08) and WS-RM (1.0 and 1.1/1.2) header:
    /// what wsrx signs by default.
    pub fn body_and_addressing_and_rm_headers() -> Self {
        Self {
            body: true,
            headers: HeaderSelector::addressing_and_rm(),
            elements: Vec::new(),
        }
    }

    /// True when nothing is selected.
    pub fn is_empty(&self) -> bool {
        !self.body && self.headers.is_empty() && self.elements.is_empty()
    }
}

/// A header block chosen by `sp:Header` (§4.1.1): by name, or every block of a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderSelector {
    /// `sp:Header Name=… Namespace=…`.
    Named(HeaderName),
    /// `sp:Header Namespace=…` without a Name: every block of that namespace.
    Namespace(String),
    /// Every header block (`sp:SignedParts` with no child, §4.1.1: "all headers").
    Any,
}

impl HeaderSelector {
    /// The WS-Addressing and WS-RM namespaces, as [`HeaderSelector::Namespace`]s.
    pub fn addressing_and_rm() -> Vec<Self> {
        [
            wsrx_soap::ns::WSA10,
            wsrx_soap::ns::WSA200408,
            crate::ns::WSRM_200702,
            crate::ns::WSRM_200502,
        ]
        .into_iter()
        .map(|ns| Self::Namespace(ns.to_owned()))
        .collect()
    }
}

/// An element chosen by an XPath of `sp:SignedElements`/`sp:EncryptedElements`, in the form
/// real WSDLs use: a path of qualified names from the document root, each step a child (`/`)
/// or a descendant (`//`) of the previous one (or of the document, for the first). The
/// parser of the policy decides which XPath it accepts and resolves its prefixes; predicates,
/// functions and other axes have no representation here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementPath {
    /// The steps, outermost first; never empty.
    pub steps: Vec<PathStep>,
}

/// One step of an [`ElementPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStep {
    /// Child (`/`) or descendant (`//`).
    pub axis: Axis,
    /// The element's namespace URI.
    pub namespace: String,
    /// The element's local name.
    pub local_name: String,
}

/// The axis of a [`PathStep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Axis {
    /// `/name`: a child of the previous step (of the document: the root element).
    Child,
    /// `//name`: a descendant of the previous step (of the document: any element).
    Descendant,
}

impl ElementPath {
    /// `/q1/q2/…`: children from the root, each `(namespace, local name)`.
    pub fn absolute(steps: &[(&str, &str)]) -> Self {
        Self {
            steps: steps
                .iter()
                .map(|(ns, local)| PathStep {
                    axis: Axis::Child,
                    namespace: (*ns).to_owned(),
                    local_name: (*local).to_owned(),
                })
                .collect(),
        }
    }

    /// `//q`: every element with this name.
    pub fn anywhere(namespace: &str, local_name: &str) -> Self {
        Self {
            steps: vec![PathStep {
                axis: Axis::Descendant,
                namespace: namespace.to_owned(),
                local_name: local_name.to_owned(),
            }],
        }
    }
}

/// `sp:EncryptBeforeSigning` / `sp:SignBeforeEncrypting` (WS-SP §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProtectionOrder {
    /// Sign the plaintext parts, then encrypt (the default): the receiver decrypts first.
    #[default]
    SignBeforeEncrypting,
    /// Encrypt first, then sign the encrypted forms (the Body holding its EncryptedData, the
    /// EncryptedHeaders, the EncryptedData of elements): the receiver verifies first.
    EncryptBeforeSigning,
}

/// `sp:Layout` (WS-SP 1.2 §6.7, Strict rules in §6.7.1; §7.7 in WS-SP 1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layout {
    /// Declare before use (§6.7.1): tokens before their use, signed security header elements
    /// before the signature that covers them, a ReferenceList before the EncryptedData of the
    /// header it lists.
    Strict,
    /// Any order WSS allows (the default). wsrx writes the Strict order.
    #[default]
    Lax,
    /// As Lax, with the Timestamp the first child of the security header.
    LaxTsFirst,
    /// As Lax, with the Timestamp the last child of the security header.
    LaxTsLast,
}

/// The protection token (an SCT): how it appears and how keys come from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TokenPolicy {
    /// Whether the SCT travels in the security header.
    pub inclusion: TokenInclusion,
    /// Whether keys are derived through `wsc:DerivedKeyToken`s.
    pub derived_keys: DerivedKeys,
}

/// How the SCT is referenced in one message (the WS-SP `sp:IncludeToken` value resolved for
/// the message's direction, and `sc:RequireExternalUriReference`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TokenInclusion {
    /// The SCT is in the security header and STRs point at it by `#wsu:Id` (`Always`,
    /// `AlwaysToRecipient` toward the recipient). Inbound, the SCT must be there.
    Included,
    /// The SCT is not in the message; STRs name it by its `wsc:Identifier` (`Never`, or
    /// `AlwaysToRecipient` toward the initiator; `RequireExternalUriReference`). Inbound, an
    /// attached SCT is refused.
    ByIdentifier,
    /// wsrx attaches it; inbound either form is accepted (wsrx's behaviour before policies).
    #[default]
    Either,
}

/// Key derivation (WS-SP 1.2 §5.3.1 `[Derived Keys]`, `sp:RequireDerivedKeys`; WS-SC 1.4 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DerivedKeys {
    /// Every signature and encryption key is derived through a DKT whose STR points at the
    /// SCT; inbound, an underived key is refused.
    Required,
    /// wsrx derives; inbound either is accepted (the default).
    #[default]
    Optional,
    /// wsrx signs and encrypts with the SCT secret itself (gSOAP's sct-hmac); inbound either
    /// is accepted.
    Direct,
}

/// A configuration that wsrx cannot honour, found before any message is built or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// An assertion wsrx does not implement (its WS-SP local name).
    #[error("unsupported security policy assertion: sp:{0}")]
    Unsupported(&'static str),
    /// Two settings that cannot hold together.
    #[error("conflicting security policy settings: {0}")]
    Conflict(&'static str),
}

impl Default for ProtectionPolicy {
    fn default() -> Self {
        Self {
            algorithms: AlgorithmPolicy::default(),
            signed: Parts::body_and_addressing_and_rm_headers(),
            encrypted: Parts::none(),
            encrypt_signature: false,
            order: ProtectionOrder::SignBeforeEncrypting,
            include_timestamp: true,
            layout: Layout::Lax,
            protect_tokens: false,
            token: TokenPolicy::default(),
            only_sign_entire_headers_and_body: true,
        }
    }
}

impl ProtectionPolicy {
    /// Checks that wsrx can build and check messages under this policy.
    ///
    /// # Errors
    /// [`PolicyError::Unsupported`] for a suite option wsrx does not implement;
    /// [`PolicyError::Conflict`] for SignedElements under OnlySignEntireHeadersAndBody, token
    /// protection of a token that is not in the message, or an empty element path.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if let Some(option) = self.algorithms.unsupported_option() {
            return Err(PolicyError::Unsupported(option));
        }
        if self.only_sign_entire_headers_and_body && !self.signed.elements.is_empty() {
            return Err(PolicyError::Conflict(
                "SignedElements under OnlySignEntireHeadersAndBody",
            ));
        }
        if self.protect_tokens && self.token.inclusion == TokenInclusion::ByIdentifier {
            return Err(PolicyError::Conflict(
                "ProtectTokens with a token referenced by its identifier only",
            ));
        }
        if self
            .signed
            .elements
            .iter()
            .chain(&self.encrypted.elements)
            .any(|p| p.steps.is_empty())
        {
            return Err(PolicyError::Conflict("empty element path"));
        }
        Ok(())
    }

    /// True when the message carries anything encrypted.
    pub fn encrypts(&self) -> bool {
        self.encrypt_signature || !self.encrypted.is_empty()
    }

    /// True when the message must carry a signature.
    pub fn signs(&self) -> bool {
        self.include_timestamp || !self.signed.is_empty()
    }
}

#[cfg(test)]
mod tests;
