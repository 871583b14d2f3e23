//! Checking one `ds:Signature` (XML-DSig §3.2 core validation) in the WS-Security
//! profile (spec-facts §4): SignedInfo canonicalized with exc-c14n (+ PrefixList),
//! HMAC-SHA1/HMAC-SHA256 with a truncation floor (CVE-2009-0217), and `#id`
//! References each with one exc-c14n Transform, streamed into their digests.

use wsrx_crypto::{DigestAlgorithm, MacAlgorithm, RsaPublicKey, RsaSignatureAlgorithm, SecretKey};
use wsrx_xml::{C14nOptions, Element, NodeId, algorithm};

use crate::error::SecurityError;
use crate::ids::IdIndex;
use crate::ns::{DS, EXC_C14N};
use crate::suite::{AlgorithmPolicy, AsymmetricSignature, Canonicalization, SuiteRole};
use crate::util::{DigestSink, MacSink, VecSink, element_children, leaf_text};
use wsrx_crypto::base64;

/// Most References one signature may carry.
pub(crate) const MAX_REFERENCES: usize = 64;

/// A parsed c14n method: with comments or not, and its PrefixList.
#[derive(Debug, Clone, Copy)]
struct C14n<'d> {
    with_comments: bool,
    prefixes: &'d str,
}

impl<'d> C14n<'d> {
    fn options(self) -> C14nOptions<'d> {
        C14nOptions {
            with_comments: self.with_comments,
            inclusive_prefixes: self.prefixes,
            exclude: None,
        }
    }
}

/// Reads an exc-c14n `Algorithm` and its optional `ec:InclusiveNamespaces` child.
fn c14n_method(e: Element<'_>) -> Result<C14n<'_>, SecurityError> {
    let with_comments = match e.attribute(None, "Algorithm") {
        Some(algorithm::EXC_C14N) => false,
        Some(algorithm::EXC_C14N_WITH_COMMENTS) => true,
        _ => return Err(SecurityError::UnsupportedAlgorithm),
    };
    let mut prefixes = "";
    for (i, c) in element_children(e)?.enumerate() {
        if i > 0 || !c.is(EXC_C14N, "InclusiveNamespaces") {
            return Err(SecurityError::InvalidSecurity("unexpected c14n parameter"));
        }
        prefixes = c.attribute(None, "PrefixList").unwrap_or("");
    }
    Ok(C14n {
        with_comments,
        prefixes,
    })
}

fn algorithm_of(e: Element<'_>) -> Result<&str, SecurityError> {
    e.attribute(None, "Algorithm")
        .ok_or(SecurityError::InvalidSecurity("missing Algorithm"))
}

/// One `ds:Reference`, parsed and resolved.
struct Reference<'d> {
    target: Element<'d>,
    c14n: C14n<'d>,
    digest: DigestAlgorithm,
    value: Vec<u8>,
}

fn parse_reference<'d>(r: Element<'d>, ids: &IdIndex<'d>) -> Result<Reference<'d>, SecurityError> {
    let uri = r
        .attribute(None, "URI")
        .ok_or(SecurityError::InvalidSecurity("Reference without URI"))?;
    // Only same-document references by id: no "" (whole document), no XPointer, no
    // external URIs. The index refuses duplicate ids, so the target is unique.
    if !uri.starts_with('#') || uri.contains('(') {
        return Err(SecurityError::InvalidSecurity("unsupported Reference URI"));
    }
    let target = ids
        .fragment(uri)
        .ok_or(SecurityError::InvalidSecurity("unresolved Reference"))?;
    let mut children = element_children(r)?;
    let mut next = children.next();
    let mut c14n = None;
    if let Some(t) = next.filter(|c| c.is(DS, "Transforms")) {
        for (i, tr) in element_children(t)?.enumerate() {
            if i > 0 || !tr.is(DS, "Transform") {
                return Err(SecurityError::UnsupportedAlgorithm);
            }
            c14n = Some(c14n_method(tr)?);
        }
        next = children.next();
    }
    // Without an explicit exc-c14n transform the default would be inclusive c14n.
    let c14n = c14n.ok_or(SecurityError::UnsupportedAlgorithm)?;
    let (digest, value) = digest_of_reference(next, children)?;
    Ok(Reference {
        target,
        c14n,
        digest,
        value,
    })
}

/// A `SignatureMethod`: HMAC with a symmetric key, or RSA with a certificate's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureMethod {
    Mac(MacAlgorithm),
    Rsa(RsaSignatureAlgorithm),
}

impl SignatureMethod {
    fn from_uri(uri: &str) -> Result<Self, SecurityError> {
        match MacAlgorithm::from_uri(uri) {
            Ok(mac) => Ok(Self::Mac(mac)),
            Err(_) => Ok(Self::Rsa(RsaSignatureAlgorithm::from_uri(uri)?)),
        }
    }
}

/// The parts of a `ds:Signature` needed before the key is known.
pub(crate) struct ParsedSignature<'d> {
    signed_info: Element<'d>,
    c14n: C14n<'d>,
    method: SignatureMethod,
    /// Declared `HMACOutputLength`, in bits.
    output_bits: Option<u64>,
    references: Vec<Reference<'d>>,
    pub(crate) value: Vec<u8>,
    pub(crate) key_info: Element<'d>,
}

impl<'d> ParsedSignature<'d> {
    /// Parses the structure (XML-DSig §4.1 order: SignedInfo, SignatureValue, KeyInfo).
    pub(crate) fn parse(sig: Element<'d>, ids: &IdIndex<'d>) -> Result<Self, SecurityError> {
        let mut children = element_children(sig)?;
        let signed_info = children.next().filter(|c| c.is(DS, "SignedInfo")).ok_or(
            SecurityError::InvalidSecurity("Signature without SignedInfo"),
        )?;
        let sv = children
            .next()
            .filter(|c| c.is(DS, "SignatureValue"))
            .ok_or(SecurityError::InvalidSecurity(
                "Signature without SignatureValue",
            ))?;
        let key_info = children
            .next()
            .filter(|c| c.is(DS, "KeyInfo"))
            .ok_or(SecurityError::TokenUnavailable)?;
        if children.next().is_some() {
            return Err(SecurityError::InvalidSecurity("unexpected Signature child"));
        }
        let value = base64::decode(&leaf_text(sv)?)
            .ok_or(SecurityError::InvalidSecurity("bad SignatureValue"))?;

        let mut si = element_children(signed_info)?;
        let cm = si
            .next()
            .filter(|c| c.is(DS, "CanonicalizationMethod"))
            .ok_or(SecurityError::InvalidSecurity("no CanonicalizationMethod"))?;
        let c14n = c14n_method(cm)?;
        let sm = si
            .next()
            .filter(|c| c.is(DS, "SignatureMethod"))
            .ok_or(SecurityError::InvalidSecurity("no SignatureMethod"))?;
        let method = SignatureMethod::from_uri(algorithm_of(sm)?)?;
        let mut output_bits = None;
        for (i, p) in element_children(sm)?.enumerate() {
            let SignatureMethod::Mac(mac) = method else {
                return Err(SecurityError::InvalidSecurity(
                    "unexpected SignatureMethod child",
                ));
            };
            if i > 0 || !p.is(DS, "HMACOutputLength") {
                return Err(SecurityError::InvalidSecurity(
                    "unexpected SignatureMethod child",
                ));
            }
            let t = leaf_text(p)?;
            let bits: u64 = t
                .parse()
                .map_err(|_| SecurityError::InvalidSecurity("bad HMACOutputLength"))?;
            // The floor (≥ 80 bits and ≥ half the output, 160 for SHA-1) is a check failure.
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
            references.push(parse_reference(r, ids)?);
        }
        if references.is_empty() {
            return Err(SecurityError::InvalidSecurity(
                "SignedInfo without Reference",
            ));
        }
        Ok(Self {
            signed_info,
            c14n,
            method,
            output_bits,
            references,
            value,
            key_info,
        })
    }

    /// Checks the SignatureValue with `key`, then every Reference digest; returns the
    /// covered elements in Reference order.
    pub(crate) fn verify(&self, key: &SecretKey) -> Result<Vec<NodeId>, SecurityError> {
        let SignatureMethod::Mac(mac) = self.method else {
            return Err(SecurityError::UnsupportedAlgorithm);
        };
        let full_bits = mac.output_len() as u64 * 8;
        let min_bits = match self.output_bits {
            Some(bits) if bits != (self.value.len() as u64).saturating_mul(8) => {
                return Err(SecurityError::FailedCheck);
            }
            Some(bits) => bits,
            // Without HMACOutputLength, no truncation at all.
            None => full_bits,
        };
        let mut sink = MacSink(mac.mac(key)?);
        wsrx_xml::canonicalize(self.signed_info, &self.c14n.options(), &mut sink);
        sink.0.verify(&self.value, min_bits)?;
        self.check_references()
    }

    /// Checks the RSA SignatureValue with a certificate's key, then every Reference digest.
    pub(crate) fn verify_rsa(&self, key: &RsaPublicKey) -> Result<Vec<NodeId>, SecurityError> {
        let SignatureMethod::Rsa(alg) = self.method else {
            return Err(SecurityError::UnsupportedAlgorithm);
        };
        let mut sink = VecSink(Vec::with_capacity(2048));
        wsrx_xml::canonicalize(self.signed_info, &self.c14n.options(), &mut sink);
        key.verify(alg, &sink.0, &self.value)
            .map_err(|_| SecurityError::FailedCheck)?;
        self.check_references()
    }

    fn check_references(&self) -> Result<Vec<NodeId>, SecurityError> {
        let mut covered = Vec::with_capacity(self.references.len());
        for r in &self.references {
            let mut sink = DigestSink(r.digest.digester());
            wsrx_xml::canonicalize(r.target, &r.c14n.options(), &mut sink);
            if !sink.0.finish().matches(&r.value) {
                return Err(SecurityError::FailedCheck);
            }
            covered.push(r.target.id());
        }
        Ok(covered)
    }

    /// The signature algorithm.
    pub(crate) fn method(&self) -> SignatureMethod {
        self.method
    }

    /// Holds this signature to the suite in force (WS-SP 1.2 §6.1): `[Sym Sig]` (or `[Asym
    /// Sig]`) under the suite's reading, `[C14n]` for SignedInfo and every Reference transform
    /// (exclusive c14n without comments), `[Dig]` for every Reference.
    ///
    /// # Errors
    /// [`SecurityError::AlgorithmOutsideSuite`] naming the first mismatch.
    pub(crate) fn check_suite(&self, policy: &AlgorithmPolicy) -> Result<(), SecurityError> {
        let outside = SecurityError::AlgorithmOutsideSuite;
        let method_ok = match self.method {
            SignatureMethod::Mac(mac) => mac == policy.symmetric_signature(),
            SignatureMethod::Rsa(RsaSignatureAlgorithm::RsaSha256) => {
                policy.asymmetric_signature() == AsymmetricSignature::RsaSha256
            }
            SignatureMethod::Rsa(_) => false,
        };
        if !method_ok {
            return Err(outside(SuiteRole::Signature));
        }
        // Only exclusive c14n is parsed at all; its #WithComments form is not [C14n].
        if policy.options.c14n != Canonicalization::Exclusive || self.c14n.with_comments {
            return Err(outside(SuiteRole::Canonicalization));
        }
        for r in &self.references {
            if r.c14n.with_comments {
                return Err(outside(SuiteRole::Canonicalization));
            }
            if r.digest != policy.digest() {
                return Err(outside(SuiteRole::Digest));
            }
        }
        Ok(())
    }
}

/// The end of a `ds:Reference` (XML-DSig §4.4.3): `DigestMethod` (`first`, the child
/// after the Transforms) and `DigestValue`, and nothing after them.
pub(crate) fn digest_of_reference<'d>(
    first: Option<Element<'d>>,
    mut rest: impl Iterator<Item = Element<'d>>,
) -> Result<(DigestAlgorithm, Vec<u8>), SecurityError> {
    let dm = first
        .filter(|c| c.is(DS, "DigestMethod"))
        .ok_or(SecurityError::InvalidSecurity(
            "Reference without DigestMethod",
        ))?;
    let digest = DigestAlgorithm::from_uri(algorithm_of(dm)?)?;
    let dv =
        rest.next()
            .filter(|c| c.is(DS, "DigestValue"))
            .ok_or(SecurityError::InvalidSecurity(
                "Reference without DigestValue",
            ))?;
    if rest.next().is_some() {
        return Err(SecurityError::InvalidSecurity("unexpected Reference child"));
    }
    let value =
        base64::decode(&leaf_text(dv)?).ok_or(SecurityError::InvalidSecurity("bad DigestValue"))?;
    Ok((digest, value))
}
