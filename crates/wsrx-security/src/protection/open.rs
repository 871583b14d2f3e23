//! One call for an inbound message: [`ProtectionPolicy::open`] decrypts, verifies and checks
//! it in the protection order the policy says (WS-SP 1.2 §6.3), holding algorithms to the
//! suite in force.
//!
//! - Sign-before-encrypting: every listed EncryptedData is decrypted first, then the
//!   signatures are verified on the plaintext document.
//! - Encrypt-before-signing: only encrypted signatures are decrypted first; the signatures
//!   are verified over the parts as they arrived (ciphertext), then the parts are decrypted
//!   and what the signatures covered is carried into the plaintext document by element
//!   identity ([`crate::Decrypted::map_node`]).
//!
//! A message sent in the other order fails verification (its references do not resolve, or
//! their digests differ). When the message carries any `xenc:ReferenceList`, every error is
//! blinded ([`SecurityError::blinded`]): the answer never tells how decrypted bytes failed.

use std::time::SystemTime;

use wsrx_soap::Envelope;
use wsrx_xml::Document;

use super::{ProtectionOrder, ProtectionPolicy};
use crate::decryption::{Decrypted, Decryption, Pass, decrypt_pass};
use crate::error::SecurityError;
use crate::keys::KeyIdentity;
use crate::ns::XENC;
use crate::token::KeyResolver;
use crate::verify::{Records, Verified, Verifier, our_security_header};

/// A received message that passed [`ProtectionPolicy::open`]: the document the application
/// reads (decrypted where parts arrived encrypted), the verification proof for it, what was
/// encrypted, and the token that signed it.
#[derive(Debug)]
pub struct Opened<'d> {
    input: &'d Document,
    plain: Option<Decrypted>,
    records: Records,
    signer: Option<KeyIdentity>,
}

impl Opened<'_> {
    /// The document to read: the decrypted one, or the input when nothing was encrypted.
    pub fn document(&self) -> &Document {
        self.plain.as_ref().map_or(self.input, Decrypted::document)
    }

    /// The verification proof, for [`Opened::document`] (for a [`crate::ReplayCache`] or a
    /// second policy).
    ///
    /// # Errors
    /// Never in practice: the proof was built from this document.
    pub fn verified(&self) -> Result<Verified<'_>, SecurityError> {
        Verified::from_records(self.document(), self.records.clone())
    }

    /// What arrived encrypted, if anything.
    pub fn decryption(&self) -> Option<&Decryption> {
        self.plain.as_ref().map(Decrypted::decryption)
    }

    /// The key that made the primary signature (its SCT identifier binds sequences), if the
    /// message was signed.
    pub fn signer(&self) -> Option<&KeyIdentity> {
        self.signer.as_ref()
    }
}

/// True when our security header lists encrypted data.
fn lists_encrypted_data(doc: &Document) -> bool {
    Envelope::new(doc)
        .ok()
        .and_then(|env| our_security_header(&env).ok())
        .is_some_and(|sec| sec.child_elements().any(|c| c.is(XENC, "ReferenceList")))
}

impl ProtectionPolicy {
    /// Decrypts, verifies (with `verifier`'s clock skew and timestamp rules) and checks `doc`
    /// against this policy at `now`; `expected_context`, when set, is the only SCT identifier
    /// accepted. See the module docs for the order of the steps and [`check`](super::check)
    /// for the rules.
    ///
    /// # Errors
    /// Any [`SecurityError`], blinded when the message carries encrypted data;
    /// [`SecurityError::Usage`] when the policy itself cannot be honoured
    /// ([`ProtectionPolicy::validate`]).
    pub fn open<'d>(
        &self,
        doc: &'d Document,
        resolver: &dyn KeyResolver,
        now: SystemTime,
        verifier: &Verifier,
        expected_context: Option<&str>,
    ) -> Result<Opened<'d>, SecurityError> {
        self.validate()
            .map_err(|_| SecurityError::Usage("unsupported or conflicting protection policy"))?;
        self.open_in_order(doc, resolver, now, verifier, expected_context)
            .map_err(|e| {
                if lists_encrypted_data(doc) {
                    e.blinded()
                } else {
                    e
                }
            })
    }

    /// As [`ProtectionPolicy::open`], with the reason of a failure left as it is (never
    /// blinded): for offline diagnosis of a captured message by someone who holds its keys
    /// (`wsrx verify --policy`). A service must answer peers with [`ProtectionPolicy::open`]'s
    /// blinded errors instead.
    ///
    /// # Errors
    /// Any [`SecurityError`], unblinded.
    pub fn open_explained<'d>(
        &self,
        doc: &'d Document,
        resolver: &dyn KeyResolver,
        now: SystemTime,
        verifier: &Verifier,
    ) -> Result<Opened<'d>, SecurityError> {
        self.validate()
            .map_err(|_| SecurityError::Usage("unsupported or conflicting protection policy"))?;
        self.open_in_order(doc, resolver, now, verifier, None)
    }

    fn open_in_order<'d>(
        &self,
        doc: &'d Document,
        resolver: &dyn KeyResolver,
        now: SystemTime,
        verifier: &Verifier,
        expected_context: Option<&str>,
    ) -> Result<Opened<'d>, SecurityError> {
        let suite = Some(&self.algorithms);
        let (plain, records) = match self.order {
            ProtectionOrder::SignBeforeEncrypting => {
                let plain = decrypt_pass(doc, resolver, suite, Pass::All)?;
                let records = {
                    let d = plain.as_ref().map_or(doc, Decrypted::document);
                    verifier
                        .verify_in(d, resolver, now, suite, false)?
                        .records()
                };
                (plain, records)
            }
            ProtectionOrder::EncryptBeforeSigning => {
                let signatures = decrypt_pass(doc, resolver, suite, Pass::Signatures)?;
                let d1 = signatures.as_ref().map_or(doc, Decrypted::document);
                let records = verifier
                    .verify_in(d1, resolver, now, suite, true)?
                    .records();
                let done = signatures.as_ref().map_or(&[][..], Decrypted::references);
                match decrypt_pass(d1, resolver, suite, Pass::Data(done))? {
                    None => (signatures, records),
                    Some(mut data) => {
                        let records = records.remap(|n| data.map_node(d1, n))?;
                        if let Some(s) = &signatures {
                            data.absorb(s);
                        }
                        (Some(data), records)
                    }
                }
            }
        };
        let signer = {
            let d = plain.as_ref().map_or(doc, Decrypted::document);
            let verified = Verified::from_records(d, records.clone())?;
            let checked = self.check(
                &verified,
                plain.as_ref().map(Decrypted::decryption),
                expected_context,
            )?;
            checked.signer().cloned()
        };
        Ok(Opened {
            input: doc,
            plain,
            records,
            signer,
        })
    }
}
