//! A generic XML-DSig 1.0 entry point for HMAC signatures outside the WS-Security
//! profile (XML-DSig §3.2 core validation), for documents such as the W3C/Santuario
//! interop samples: enveloped (`URI=""` + enveloped-signature), enveloping (`#id` to a
//! `ds:Object`) and detached signatures (external URIs handed to a caller-supplied
//! [`DetachedResolver`], never fetched).
//!
//! What it accepts:
//! - CanonicalizationMethod and Transforms: exclusive c14n (with PrefixList) and
//!   inclusive Canonical XML 1.0, each with or without comments; the
//!   enveloped-signature transform (§6.6.4), before a c14n transform;
//! - a node-set left without c14n transform is serialised with inclusive c14n without
//!   comments (§4.3.3.2); `URI=""` and `#id` node-sets never contain comments, even
//!   under a `#WithComments` transform (§4.3.3.3);
//! - external references are binary octets: no transform at all;
//! - HMAC-SHA1 / HMAC-SHA256 with the key the caller gives, `HMACOutputLength` only
//!   if it equals the SignatureValue's length and is at least 80 bits and half the
//!   hash (CVE-2009-0217; D-1c, D-1d and D-2b are refused on that rule);
//! - SHA-1 / SHA-256 digests.
//!
//! What it does not: RSA/DSA signatures, XPath/XSLT/base64 transforms, XPointer URIs,
//! Manifests, KeyInfo processing (the key is an argument), or any IO. Failures map to
//! the crate's [`SecurityError`]: every digest or HMAC mismatch and every refused
//! truncation is the one opaque [`SecurityError::FailedCheck`].

use wsrx_crypto::{DigestAlgorithm, MacAlgorithm, SecretKey, base64};
use wsrx_xml::{
    C14nMethod, C14nOptions, Document, Element, InclusiveC14nOptions, NodeId, Sink, algorithm,
};

use crate::error::SecurityError;
use crate::ids::IdIndex;
use crate::ns::{DS, EXC_C14N};
use crate::signature::{MAX_REFERENCES, digest_of_reference};
use crate::util::{DigestSink, MacSink, VecSink, element_children, leaf_text};

/// The enveloped-signature transform (XML-DSig §6.6.4).
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Supplies the octets of a detached reference's external URI (for instance a local copy
/// of a file), or `None` to refuse it. Implemented for closures.
pub trait DetachedResolver {
    /// The octets named by `uri`, or `None`.
    fn resolve(&self, uri: &str) -> Option<Vec<u8>>;
}

impl<F: Fn(&str) -> Option<Vec<u8>>> DetachedResolver for F {
    fn resolve(&self, uri: &str) -> Option<Vec<u8>> {
        self(uri)
    }
}

/// A [`DetachedResolver`] that refuses every external URI.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDetached;

impl DetachedResolver for NoDetached {
    fn resolve(&self, _uri: &str) -> Option<Vec<u8>> {
        None
    }
}

/// A canonicalization method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Canon<'d> {
    Exclusive {
        with_comments: bool,
        prefixes: &'d str,
    },
    Inclusive {
        with_comments: bool,
    },
}

impl<'d> Canon<'d> {
    /// Reads an `Algorithm` (and exc-c14n's optional `ec:InclusiveNamespaces` child).
    fn parse(e: Element<'d>) -> Result<Option<Self>, SecurityError> {
        let uri = e.attribute(None, "Algorithm").unwrap_or("");
        let canon = match uri {
            algorithm::EXC_C14N | algorithm::EXC_C14N_WITH_COMMENTS => {
                let mut prefixes = "";
                for (i, c) in element_children(e)?.enumerate() {
                    if i > 0 || !c.is(EXC_C14N, "InclusiveNamespaces") {
                        return Err(SecurityError::InvalidSecurity("unexpected c14n parameter"));
                    }
                    prefixes = c.attribute(None, "PrefixList").unwrap_or("");
                }
                Self::Exclusive {
                    with_comments: uri == algorithm::EXC_C14N_WITH_COMMENTS,
                    prefixes,
                }
            }
            algorithm::C14N | algorithm::C14N_WITH_COMMENTS => {
                if element_children(e)?.next().is_some() {
                    return Err(SecurityError::InvalidSecurity("unexpected c14n parameter"));
                }
                Self::Inclusive {
                    with_comments: uri == algorithm::C14N_WITH_COMMENTS,
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(canon))
    }

    /// The same method with comments removed (same-document node-sets, §4.3.3.3).
    fn without_comments(self) -> Self {
        match self {
            Self::Exclusive { prefixes, .. } => Self::Exclusive {
                with_comments: false,
                prefixes,
            },
            Self::Inclusive { .. } => Self::Inclusive {
                with_comments: false,
            },
        }
    }

    fn method(self, exclude: Option<NodeId>) -> C14nMethod<'d> {
        match self {
            Self::Exclusive {
                with_comments,
                prefixes,
            } => C14nMethod::Exclusive(C14nOptions {
                with_comments,
                inclusive_prefixes: prefixes,
                exclude,
            }),
            Self::Inclusive { with_comments } => C14nMethod::Inclusive(InclusiveC14nOptions {
                with_comments,
                exclude,
            }),
        }
    }

    fn element<S: Sink>(self, e: Element<'d>, exclude: Option<NodeId>, sink: &mut S) {
        match self.method(exclude) {
            C14nMethod::Exclusive(o) => wsrx_xml::canonicalize(e, &o, sink),
            C14nMethod::Inclusive(o) => wsrx_xml::canonicalize_inclusive(e, &o, sink),
        }
    }
}

/// What one Reference points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Covered {
    /// `URI=""`: the whole document, less the subtree `excluded` by the
    /// enveloped-signature transform.
    Document {
        /// The left-out signature, if the transform was present.
        excluded: Option<NodeId>,
    },
    /// `URI="#id"`: this element and its descendants (less `excluded`).
    Element {
        /// The referenced element.
        node: NodeId,
        /// The left-out signature, if the transform was present.
        excluded: Option<NodeId>,
    },
    /// An external URI, resolved by the caller.
    Detached(String),
}

enum Target<'d> {
    Document,
    Element(Element<'d>),
    Detached(&'d str),
}

struct Reference<'d> {
    target: Target<'d>,
    enveloped: bool,
    canon: Option<Canon<'d>>,
    digest: DigestAlgorithm,
    value: Vec<u8>,
}

/// A parsed `ds:Signature` (structure checked, nothing verified yet).
pub struct DsigSignature<'d> {
    signature: Element<'d>,
    signed_info: Element<'d>,
    canon: Canon<'d>,
    mac: MacAlgorithm,
    output_bits: Option<u64>,
    references: Vec<Reference<'d>>,
    value: Vec<u8>,
}

impl std::fmt::Debug for DsigSignature<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DsigSignature")
            .field("signature", &self.signature.id())
            .field("algorithm", &self.mac)
            .field("references", &self.references.len())
            .finish_non_exhaustive()
    }
}

/// A verified signature: its element, algorithm and what each Reference covers.
#[derive(Debug, Clone)]
pub struct DsigVerified {
    /// The `ds:Signature` element.
    pub signature: NodeId,
    /// The HMAC algorithm.
    pub algorithm: MacAlgorithm,
    /// One entry per Reference, in order.
    pub covered: Vec<Covered>,
}

/// Every `ds:Signature` element of `doc`, in document order.
pub fn signatures(doc: &Document) -> impl Iterator<Item = Element<'_>> + '_ {
    doc.elements().filter(|e| e.is(DS, "Signature"))
}

fn algorithm_of(e: Element<'_>) -> Result<&str, SecurityError> {
    e.attribute(None, "Algorithm")
        .ok_or(SecurityError::InvalidSecurity("missing Algorithm"))
}

fn parse_reference<'d>(r: Element<'d>, ids: &IdIndex<'d>) -> Result<Reference<'d>, SecurityError> {
    let uri = r
        .attribute(None, "URI")
        .ok_or(SecurityError::InvalidSecurity("Reference without URI"))?;
    let target = if uri.is_empty() {
        Target::Document
    } else if uri.starts_with('#') {
        if uri.contains('(') {
            return Err(SecurityError::UnsupportedAlgorithm); // XPointer
        }
        Target::Element(
            ids.fragment(uri)
                .ok_or(SecurityError::InvalidSecurity("unresolved Reference"))?,
        )
    } else {
        Target::Detached(uri)
    };
    let mut children = element_children(r)?;
    let mut next = children.next();
    let mut enveloped = false;
    let mut canon = None;
    if let Some(t) = next.filter(|c| c.is(DS, "Transforms")) {
        for tr in element_children(t)? {
            if !tr.is(DS, "Transform") || canon.is_some() {
                return Err(SecurityError::UnsupportedAlgorithm);
            }
            if algorithm_of(tr)? == ENVELOPED_SIGNATURE && !enveloped {
                enveloped = true;
                continue;
            }
            canon = Some(Canon::parse(tr)?.ok_or(SecurityError::UnsupportedAlgorithm)?);
        }
        if matches!(target, Target::Detached(_)) && (enveloped || canon.is_some()) {
            return Err(SecurityError::UnsupportedAlgorithm);
        }
        next = children.next();
    }
    let (digest, value) = digest_of_reference(next, children)?;
    Ok(Reference {
        target,
        enveloped,
        canon,
        digest,
        value,
    })
}

impl<'d> DsigSignature<'d> {
    /// Parses `signature` (a `ds:Signature`: SignedInfo, SignatureValue, then optional
    /// KeyInfo and Objects), resolving `#id` references in its document.
    ///
    /// # Errors
    /// [`SecurityError::InvalidSecurity`] for a malformed structure,
    /// [`SecurityError::UnsupportedAlgorithm`] for an algorithm or transform outside
    /// the module's list, [`SecurityError::DuplicateId`] when an id is ambiguous,
    /// [`SecurityError::FailedCheck`] for a refused `HMACOutputLength`.
    pub fn parse(signature: Element<'d>) -> Result<Self, SecurityError> {
        if !signature.is(DS, "Signature") {
            return Err(SecurityError::InvalidSecurity("not a ds:Signature"));
        }
        let ids = IdIndex::build(signature.document())?;
        let mut children = element_children(signature)?;
        let signed_info = children.next().filter(|c| c.is(DS, "SignedInfo")).ok_or(
            SecurityError::InvalidSecurity("Signature without SignedInfo"),
        )?;
        let sv = children
            .next()
            .filter(|c| c.is(DS, "SignatureValue"))
            .ok_or(SecurityError::InvalidSecurity(
                "Signature without SignatureValue",
            ))?;
        for c in children {
            if !(c.is(DS, "KeyInfo") || c.is(DS, "Object")) {
                return Err(SecurityError::InvalidSecurity("unexpected Signature child"));
            }
        }
        let value = base64::decode(&leaf_text(sv)?)
            .ok_or(SecurityError::InvalidSecurity("bad SignatureValue"))?;
        let mut si = element_children(signed_info)?;
        let cm = si
            .next()
            .filter(|c| c.is(DS, "CanonicalizationMethod"))
            .ok_or(SecurityError::InvalidSecurity("no CanonicalizationMethod"))?;
        let canon = Canon::parse(cm)?.ok_or(SecurityError::UnsupportedAlgorithm)?;
        let sm = si
            .next()
            .filter(|c| c.is(DS, "SignatureMethod"))
            .ok_or(SecurityError::InvalidSecurity("no SignatureMethod"))?;
        let mac = MacAlgorithm::from_uri(algorithm_of(sm)?)?;
        let mut output_bits = None;
        for (i, p) in element_children(sm)?.enumerate() {
            if i > 0 || !p.is(DS, "HMACOutputLength") {
                return Err(SecurityError::InvalidSecurity(
                    "unexpected SignatureMethod child",
                ));
            }
            let bits: u64 = leaf_text(p)?
                .parse()
                .map_err(|_| SecurityError::InvalidSecurity("bad HMACOutputLength"))?;
            // XML-DSig errata / CVE-2009-0217: ≥ 80 bits and ≥ half the output.
            mac.check_output_length(bits)?;
            output_bits = Some(bits);
        }
        let mut references = Vec::new();
        for r in si {
            if !r.is(DS, "Reference") || references.len() >= MAX_REFERENCES {
                return Err(SecurityError::InvalidSecurity(
                    "unexpected SignedInfo child",
                ));
            }
            references.push(parse_reference(r, &ids)?);
        }
        if references.is_empty() {
            return Err(SecurityError::InvalidSecurity(
                "SignedInfo without Reference",
            ));
        }
        Ok(Self {
            signature,
            signed_info,
            canon,
            mac,
            output_bits,
            references,
            value,
        })
    }

    /// The canonical form of `ds:SignedInfo` (the bytes the HMAC covers).
    pub fn signed_info_octets(&self) -> Vec<u8> {
        let mut sink = VecSink(Vec::with_capacity(1024));
        self.canon.element(self.signed_info, None, &mut sink);
        sink.0
    }

    /// How many References the SignedInfo has.
    pub fn reference_count(&self) -> usize {
        self.references.len()
    }

    /// The octets Reference `index` digests (after its transforms).
    ///
    /// # Errors
    /// [`SecurityError::InvalidSecurity`] for an index out of range or an external URI
    /// the resolver refuses.
    pub fn reference_octets(
        &self,
        index: usize,
        detached: &dyn DetachedResolver,
    ) -> Result<Vec<u8>, SecurityError> {
        let r = self
            .references
            .get(index)
            .ok_or(SecurityError::InvalidSecurity("no such Reference"))?;
        let mut sink = VecSink(Vec::new());
        self.feed(r, detached, &mut sink)?;
        Ok(sink.0)
    }

    /// Streams the octets of `r` into `sink`; returns what it covers.
    fn feed<S: Sink>(
        &self,
        r: &Reference<'d>,
        detached: &dyn DetachedResolver,
        sink: &mut S,
    ) -> Result<Covered, SecurityError> {
        let excluded = r.enveloped.then(|| self.signature.id());
        // §4.3.3.2/§4.3.3.3: a same-document node-set has no comments; without a c14n
        // transform it is serialised with inclusive c14n.
        let canon = r
            .canon
            .unwrap_or(Canon::Inclusive {
                with_comments: false,
            })
            .without_comments();
        Ok(match r.target {
            Target::Document => {
                wsrx_xml::canonicalize_document(
                    self.signature.document(),
                    &canon.method(excluded),
                    sink,
                );
                Covered::Document { excluded }
            }
            Target::Element(e) => {
                canon.element(e, excluded, sink);
                Covered::Element {
                    node: e.id(),
                    excluded,
                }
            }
            Target::Detached(uri) => {
                let octets = detached
                    .resolve(uri)
                    .ok_or(SecurityError::InvalidSecurity("unresolved Reference"))?;
                sink.write(&octets);
                Covered::Detached(uri.to_owned())
            }
        })
    }

    /// XML-DSig core validation with the HMAC `key`: the SignatureValue over the
    /// canonical SignedInfo, then every Reference digest.
    ///
    /// # Errors
    /// [`SecurityError::FailedCheck`] for any mismatch or refused truncation;
    /// [`SecurityError::InvalidSecurity`] for an unresolvable detached reference.
    pub fn verify_hmac(
        &self,
        key: &SecretKey,
        detached: &dyn DetachedResolver,
    ) -> Result<DsigVerified, SecurityError> {
        let declared = (self.value.len() as u64).saturating_mul(8);
        let min_bits = match self.output_bits {
            Some(bits) if bits != declared => return Err(SecurityError::FailedCheck),
            Some(bits) => bits,
            // Without HMACOutputLength no truncation at all.
            None => self.mac.output_len() as u64 * 8,
        };
        let mut sink = MacSink(self.mac.mac(key)?);
        self.canon.element(self.signed_info, None, &mut sink);
        sink.0.verify(&self.value, min_bits)?;
        let mut covered = Vec::with_capacity(self.references.len());
        for r in &self.references {
            let mut sink = DigestSink(r.digest.digester());
            covered.push(self.feed(r, detached, &mut sink)?);
            if !sink.0.finish().matches(&r.value) {
                return Err(SecurityError::FailedCheck);
            }
        }
        Ok(DsigVerified {
            signature: self.signature.id(),
            algorithm: self.mac,
            covered,
        })
    }
}
