//! The inbound check of a verified (and decrypted) message against a [`ProtectionPolicy`], by
//! element identity.
//!
//! Checking that "a Body was signed" is not enough: XML signature wrapping moves the signed
//! element somewhere the application does not look and puts a forged one where it does. So
//! every rule here is about [`NodeId`]s of the document the application reads:
//!
//! 1. the primary signature (the one covering the Body when the Body must be signed, else the
//!    first) covers every part the policy signs (§4.1: the Body, the selected header blocks —
//!    direct children of `Header` —, the selected elements, the `wsu:Timestamp` child of the
//!    processed security header, and the SCT itself under ProtectTokens, §6.5), and all
//!    signatures come from one security context;
//! 2. no signature covers anything the policy does not let it: whole header blocks, the Body,
//!    security header elements, and (without OnlySignEntireHeadersAndBody, §6.6) the selected
//!    elements; a signed copy parked in a wrapper is refused;
//! 3. every part the policy encrypts arrived encrypted (§4.2: the Body's content as
//!    `xenc:EncryptedData`, header blocks as `wsse11:EncryptedHeader`, elements as Element
//!    EncryptedData or inside encrypted content), the signature too under EncryptSignature
//!    (§6.4), each by a key of the signing context;
//! 4. keys are derived where RequireDerivedKeys says so (§5.3.1), the SCT is attached or
//!    referenced by identifier as the inclusion says, the Timestamp is there when
//!    IncludeTimestamp says so (§6.2), and the security header follows the layout (§6.7).
//!
//! The algorithms were held to the suite in force while verifying and decrypting (see
//! [`crate::suite::InboundAlgorithms`]).

use wsrx_xml::{Element, NodeId};

use super::{DerivedKeys, ProtectionPolicy, TokenInclusion, layout, select};
use crate::encrypt::Decryption;
use crate::error::SecurityError;
use crate::keys::KeyIdentity;
use crate::ns::{WSC_200502, WSC_200512, WSSE, WSU};
use crate::verify::{SignatureRecord, Verified};

/// What the check found: the signature that proves the message, if the policy needs one.
#[derive(Debug, Clone, Copy)]
pub struct Checked<'v> {
    primary: Option<&'v SignatureRecord>,
}

impl<'v> Checked<'v> {
    /// The primary signature.
    pub fn primary(&self) -> Option<&'v SignatureRecord> {
        self.primary
    }

    /// The identity of the token that signed the message (to bind sequences to it).
    pub fn signer(&self) -> Option<&'v KeyIdentity> {
        self.primary.map(SignatureRecord::key)
    }
}

fn violation(what: &'static str) -> SecurityError {
    SecurityError::PolicyViolation(what)
}

/// The `wsc:SecurityContextToken` children of the processed security header.
fn attached_tokens<'d>(verified: &Verified<'d>) -> impl Iterator<Item = Element<'d>> + 'd {
    verified.security_header().child_elements().filter(|c| {
        c.local_name() == "SecurityContextToken"
            && matches!(c.namespace(), Some(n) if n == WSC_200512 || n == WSC_200502)
    })
}

/// True when `sct` is the token with identifier `id`.
fn names(sct: Element<'_>, id: &str) -> bool {
    crate::token::SecurityContextToken::parse(sct).is_ok_and(|t| t.identifier == id)
}

impl ProtectionPolicy {
    /// Checks `verified` (and, when parts arrived encrypted, `decryption`, as
    /// [`crate::Decrypted`] or [`ProtectionPolicy::open`] report it) against this policy;
    /// `expected_context`, when set, is the only SCT identifier accepted.
    ///
    /// # Errors
    /// [`SecurityError::PolicyViolation`] naming the first rule broken.
    pub fn check<'v>(
        &self,
        verified: &'v Verified<'_>,
        decryption: Option<&Decryption>,
        expected_context: Option<&str>,
    ) -> Result<Checked<'v>, SecurityError> {
        // X.509 signatures are never proof of an SCT and are not looked at here (see
        // `Policy::check_x509` for the X.509 bootstrap).
        let env = verified.envelope();
        let body = env.body().id();
        let signatures = verified.signatures();
        let primary = signatures
            .iter()
            .find(|s| self.signed.body && s.covers(body))
            .or_else(|| signatures.first());
        if self.signs() && primary.is_none() {
            return Err(violation(if self.signed.body {
                "Body not signed"
            } else {
                "message not signed"
            }));
        }
        if let Some(main) = primary {
            self.check_signed(verified, main)?;
            self.check_key(verified, main.key(), expected_context)?;
        }
        if self.include_timestamp && verified.timestamp().is_none() {
            return Err(violation("no Timestamp"));
        }
        self.check_encrypted(verified, decryption, primary)?;
        layout::check(self, verified, decryption)?;
        Ok(Checked { primary })
    }

    /// Rules 1 and 2 of the module docs for the primary signature `main`.
    fn check_signed(
        &self,
        verified: &Verified<'_>,
        main: &SignatureRecord,
    ) -> Result<(), SecurityError> {
        let env = verified.envelope();
        let body = env.body().id();
        if self.signed.body && !main.covers(body) {
            return Err(violation("Body not signed"));
        }
        let mut required: Vec<NodeId> = select::selected(env, &self.signed)
            .iter()
            .map(|e| e.id())
            .collect();
        match verified.timestamp() {
            Some(ts) => required.push(ts.node),
            None if self.include_timestamp => return Err(violation("no Timestamp")),
            None => {}
        }
        if self.protect_tokens {
            let id = &main.key().sct_identifier;
            let token = attached_tokens(verified)
                .find(|t| names(*t, id))
                .ok_or(violation("protected token not in the message"))?;
            required.push(token.id());
        }
        if required.iter().any(|n| !main.covers(*n)) {
            return Err(violation("required part not signed"));
        }
        let allowed_elements: Vec<NodeId> = if self.only_sign_entire_headers_and_body {
            Vec::new()
        } else {
            select::elements(verified.document(), &self.signed.elements)
                .iter()
                .map(|e| e.id())
                .collect()
        };
        for sig in verified.signatures() {
            if !sig.key().same_context(main.key()) {
                return Err(violation("signatures by different tokens"));
            }
            check_placement(sig.covered(), verified, &allowed_elements)?;
        }
        Ok(())
    }

    /// Rule 4 for the signing key: derivation, inclusion, expected context.
    fn check_key(
        &self,
        verified: &Verified<'_>,
        key: &KeyIdentity,
        expected_context: Option<&str>,
    ) -> Result<(), SecurityError> {
        if self.token.derived_keys == DerivedKeys::Required
            && verified.signatures().iter().any(|s| !s.key().is_derived())
        {
            return Err(violation("key not derived"));
        }
        let attached = attached_tokens(verified).any(|t| names(t, &key.sct_identifier));
        match self.token.inclusion {
            TokenInclusion::Included if !attached => return Err(violation("token not included")),
            TokenInclusion::ByIdentifier if attached => {
                return Err(violation("token included against the policy"));
            }
            _ => {}
        }
        if let Some(expected) = expected_context
            && key.sct_identifier != expected
        {
            return Err(violation("unexpected security context"));
        }
        Ok(())
    }

    /// Rule 3: what must be encrypted was, by the signing context.
    fn check_encrypted(
        &self,
        verified: &Verified<'_>,
        decryption: Option<&Decryption>,
        primary: Option<&SignatureRecord>,
    ) -> Result<(), SecurityError> {
        if let Some(d) = decryption {
            for key in d.keys() {
                if let Some(main) = primary
                    && !key.same_context(main.key())
                {
                    return Err(violation("decrypted with another token"));
                }
                if self.token.derived_keys == DerivedKeys::Required && !key.is_derived() {
                    return Err(violation("key not derived"));
                }
            }
        }
        if !self.encrypts() {
            return Ok(());
        }
        let env = verified.envelope();
        // An empty Body has no content to encrypt (see `select::empty_body`).
        let body_required = self.encrypted.body && !select::empty_body(env.body());
        let Some(d) = decryption else {
            let signature_required = self.encrypt_signature && primary.is_some();
            let nothing_required = !(body_required || signature_required)
                && select::headers(env, &self.encrypted.headers).is_empty()
                && select::elements(verified.document(), &self.encrypted.elements).is_empty();
            return if nothing_required {
                Ok(())
            } else {
                Err(violation("required part not encrypted"))
            };
        };
        if body_required && !d.body_was_encrypted() {
            return Err(violation("Body not encrypted"));
        }
        let inside_encrypted = |e: Element<'_>| {
            e.ancestors().chain(Some(e)).any(|a| {
                d.decrypted_headers().contains(&a.id()) || d.decrypted_elements().contains(&a.id())
            }) || (d.body_was_encrypted() && e != env.body() && e.is_within(env.body()))
        };
        for h in select::headers(env, &self.encrypted.headers) {
            if !d.decrypted_headers().contains(&h.id()) {
                return Err(violation("header not encrypted"));
            }
        }
        for e in select::elements(verified.document(), &self.encrypted.elements) {
            if !inside_encrypted(e) {
                return Err(violation("element not encrypted"));
            }
        }
        if self.encrypt_signature {
            let main = primary.ok_or(violation("message not signed"))?;
            if !d.decrypted_signatures().contains(&main.node()) {
                return Err(violation("signature not encrypted"));
            }
        }
        Ok(())
    }
}

/// Every covered element must be the Body, a direct header child, a direct child of the
/// processed Security header (the Timestamp or a token), or one of `allowed_elements`.
pub(crate) fn check_placement(
    covered: &[NodeId],
    verified: &Verified<'_>,
    allowed_elements: &[NodeId],
) -> Result<(), SecurityError> {
    let env = verified.envelope();
    let doc = verified.document();
    let security = verified.security_header();
    for &node in covered {
        let el = doc
            .element(node)
            .ok_or(violation("covered node is not an element"))?;
        let parent = el.parent();
        let ok = node == env.body().id()
            || (env.header().is_some() && parent == env.header() && el != security)
            || (parent == Some(security)
                && (el.is(WSU, "Timestamp")
                    || el.is(WSSE, "BinarySecurityToken")
                    || matches!(el.namespace(), Some(n) if n == WSC_200512 || n == WSC_200502)))
            || allowed_elements.contains(&node);
        if !ok {
            return Err(violation("signed element out of place"));
        }
    }
    Ok(())
}
