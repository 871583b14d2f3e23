//! The signed-parts policy, checked by element identity (spec-facts §4 "Then the
//! policy check"; WS-SP `SignedParts` with `OnlySignEntireHeadersAndBody`).
//!
//! Checking that "a Body was signed" is not enough: XML signature wrapping moves the
//! signed element somewhere the application does not look and puts a forged one where
//! it does. So the check is on [`NodeId`]s: one signature, by one token, must cover
//!
//! - the Envelope's own `Body` child (the one [`wsrx_soap::Envelope::body`] returns),
//! - the `wsu:Timestamp` that is a child of the processed `wsse:Security` header,
//! - every WS-Addressing header (1.0 and 2004/08) that is a direct child of `Header`,
//! - every WS-RM header (1.0 and 1.1/1.2 namespaces) that is a direct child of `Header`
//!   (Sequence, AckRequested, SequenceAcknowledgement, UsesSequenceSTR, …),
//!
//! and no signature may cover an element anywhere else than those places (or a token
//! of the security header), so a signed copy parked in a wrapper is refused too.

use std::time::SystemTime;

use wsrx_xml::{Element, NodeId};

use crate::error::SecurityError;
use crate::keys::KeyIdentity;
use crate::ns::{WSC_200502, WSC_200512, WSRM_200502, WSRM_200702};
use crate::verify::Verified;
use crate::x509::{Certificate, KeyPurpose, TrustStore};

/// What must be signed, and by what.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Require a Timestamp (it must then be signed). Default true.
    pub require_timestamp: bool,
    /// Require the signing key to be derived through a DKT (WS-SP RequireDerivedKeys).
    /// Default false (gSOAP's sct-hmac signs with the SCT secret directly).
    pub require_derived_keys: bool,
    /// If set, the signing token must be the SCT with this identifier.
    pub expected_context: Option<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            require_timestamp: true,
            require_derived_keys: false,
            expected_context: None,
        }
    }
}

fn is_rm_or_wsa(ns: Option<&str>) -> bool {
    matches!(ns, Some(n) if n == WSRM_200702 || n == WSRM_200502
        || n == wsrx_soap::ns::WSA10 || n == wsrx_soap::ns::WSA200408)
}

impl Policy {
    /// Checks `verified` and returns the identity of the token that signed the
    /// message (to bind sequences to it).
    ///
    /// # Errors
    /// [`SecurityError::PolicyViolation`] when a required part is not covered by the
    /// main signature, a covered element sits anywhere unexpected, or the token is not
    /// the expected one.
    pub fn check<'v>(&self, verified: &'v Verified<'_>) -> Result<&'v KeyIdentity, SecurityError> {
        let required = self.required(verified)?;
        let main = verified
            .signatures()
            .iter()
            .find(|s| s.covers(verified.envelope().body().id()))
            .ok_or(SecurityError::PolicyViolation("Body not signed"))?;
        if required.iter().any(|n| !main.covers(*n)) {
            return Err(SecurityError::PolicyViolation("required part not signed"));
        }
        for sig in verified.signatures() {
            if !sig.key().same_context(main.key()) {
                return Err(SecurityError::PolicyViolation(
                    "signatures by different tokens",
                ));
            }
            check_placement(sig.covered(), verified)?;
        }
        let key = main.key();
        if self.require_derived_keys && !key.is_derived() {
            return Err(SecurityError::PolicyViolation("key not derived"));
        }
        if let Some(expected) = &self.expected_context
            && &key.sct_identifier != expected
        {
            return Err(SecurityError::PolicyViolation(
                "unexpected security context",
            ));
        }
        Ok(key)
    }

    /// The X.509 counterpart of [`Policy::check`], for the bootstrap of the token service:
    /// one certificate's RSA signature must cover the same parts (Body, Timestamp, WS-A and
    /// WS-RM headers, nothing out of place), there must be no SCT signature beside it, and the
    /// certificate must validate against `trust` at `now` for signing (RFC 5280, one level).
    /// `expected_context` and `require_derived_keys` do not apply. Returns the certificate,
    /// whose subject is the authenticated principal.
    ///
    /// [`Policy::check`] never looks at X.509 signatures, so a certificate signature cannot
    /// pass for proof of an SCT; this method never looks at SCT signatures except to refuse
    /// the mix.
    ///
    /// # Errors
    /// [`SecurityError::PolicyViolation`] for missing or misplaced parts;
    /// [`SecurityError::FailedAuthentication`] for an untrusted, expired or misused
    /// certificate.
    pub fn check_x509<'v>(
        &self,
        verified: &'v Verified<'_>,
        trust: &TrustStore,
        now: SystemTime,
    ) -> Result<&'v Certificate, SecurityError> {
        let required = self.required(verified)?;
        if !verified.signatures().is_empty() {
            return Err(SecurityError::PolicyViolation(
                "signatures by different tokens",
            ));
        }
        let main = verified
            .x509_signatures()
            .iter()
            .find(|s| s.covers(verified.envelope().body().id()))
            .ok_or(SecurityError::PolicyViolation("Body not signed"))?;
        if required.iter().any(|n| !main.covers(*n)) {
            return Err(SecurityError::PolicyViolation("required part not signed"));
        }
        for sig in verified.x509_signatures() {
            if sig.certificate() != main.certificate() {
                return Err(SecurityError::PolicyViolation(
                    "signatures by different tokens",
                ));
            }
            check_placement(sig.covered(), verified)?;
        }
        trust.validate(main.certificate(), now, KeyPurpose::Signing)?;
        Ok(main.certificate())
    }

    /// The elements that must be signed: Body, Timestamp, WS-A and WS-RM headers.
    fn required(&self, verified: &Verified<'_>) -> Result<Vec<NodeId>, SecurityError> {
        let env = verified.envelope();
        let body = env.body();
        let mut required: Vec<NodeId> = vec![body.id()];
        match verified.timestamp() {
            Some(ts) => required.push(ts.node),
            None if self.require_timestamp => {
                return Err(SecurityError::PolicyViolation("no Timestamp"));
            }
            None => {}
        }
        if let Some(header) = env.header() {
            required.extend(
                header
                    .child_elements()
                    .filter(|h| is_rm_or_wsa(h.namespace()))
                    .map(Element::id),
            );
        }
        Ok(required)
    }
}

/// Every covered element must be the Body, a direct header child, or a direct child
/// of the processed Security header (the Timestamp or a token).
fn check_placement(covered: &[NodeId], verified: &Verified<'_>) -> Result<(), SecurityError> {
    let env = verified.envelope();
    let doc = verified.document();
    let security = verified.security_header();
    for &node in covered {
        let el = doc.element(node).ok_or(SecurityError::PolicyViolation(
            "covered node is not an element",
        ))?;
        let parent = el.parent();
        let ok = node == env.body().id()
            || (env.header().is_some() && parent == env.header() && el != security)
            || (parent == Some(security)
                && (el.is(crate::ns::WSU, "Timestamp")
                    || el.is(crate::ns::WSSE, "BinarySecurityToken")
                    || matches!(el.namespace(), Some(n) if n == WSC_200512 || n == WSC_200502)));
        if !ok {
            return Err(SecurityError::PolicyViolation(
                "signed element out of place",
            ));
        }
    }
    Ok(())
}
