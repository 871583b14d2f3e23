//! The signed-parts check wsrx had before [`ProtectionPolicy`], kept for its callers: three
//! switches over [`ProtectionPolicy::default`], checked by element identity (WS-SP
//! `SignedParts` with `OnlySignEntireHeadersAndBody`; see [`crate::protection::check`]).
//!
//! One signature, by one token, must cover
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

use wsrx_xml::NodeId;

use crate::error::SecurityError;
use crate::keys::KeyIdentity;
use crate::protection::{DerivedKeys, Parts, ProtectionPolicy, check::check_placement};
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

impl Policy {
    /// The protection policy these switches stand for.
    pub fn to_protection(&self) -> ProtectionPolicy {
        let mut p = ProtectionPolicy {
            include_timestamp: self.require_timestamp,
            ..ProtectionPolicy::default()
        };
        if self.require_derived_keys {
            p.token.derived_keys = DerivedKeys::Required;
        }
        p
    }

    /// Checks `verified` and returns the identity of the token that signed the
    /// message (to bind sequences to it).
    ///
    /// # Errors
    /// [`SecurityError::PolicyViolation`] when a required part is not covered by the
    /// main signature, a covered element sits anywhere unexpected, or the token is not
    /// the expected one.
    pub fn check<'v>(&self, verified: &'v Verified<'_>) -> Result<&'v KeyIdentity, SecurityError> {
        self.to_protection()
            .check(verified, None, self.expected_context.as_deref())?
            .signer()
            .ok_or(SecurityError::PolicyViolation("Body not signed"))
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
            check_placement(sig.covered(), verified, &[])?;
        }
        trust.validate(main.certificate(), now, KeyPurpose::Signing)?;
        Ok(main.certificate())
    }

    /// The elements that must be signed: Body, Timestamp, WS-A and WS-RM headers.
    fn required(&self, verified: &Verified<'_>) -> Result<Vec<NodeId>, SecurityError> {
        let mut required: Vec<NodeId> = crate::protection::selected_parts(
            verified.envelope(),
            &Parts::body_and_addressing_and_rm_headers(),
        )
        .iter()
        .map(|e| e.id())
        .collect();
        match verified.timestamp() {
            Some(ts) => required.push(ts.node),
            None if self.require_timestamp => {
                return Err(SecurityError::PolicyViolation("no Timestamp"));
            }
            None => {}
        }
        Ok(required)
    }
}
