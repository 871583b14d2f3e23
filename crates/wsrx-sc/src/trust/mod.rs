//! WS-Trust messages for security context tokens (spec-facts §3.2; WS-Trust 1.3 §3–§7,
//! WS-SC 1.4 §3–§6): the [`Rst`] request and the [`Rstr`] response, read and written in
//! both [`Dialect`]s.
//!
//! - In the 1.3 dialect the final response is wrapped in
//!   `wst:RequestSecurityTokenResponseCollection`; [`Rstr::parse`] accepts both the
//!   wrapped and the bare form in either dialect.
//! - Unknown children (`wsp:AppliesTo`, `wst:KeyType`, WCF extensions) are skipped;
//!   known ones may appear once.
//! - `wst:BinarySecret` without `@Type` is a full symmetric key, not a nonce (cxf STS,
//!   spec-facts §3.2).
//! - Proof tokens are `wst:BinarySecret`, `wst:ComputedKey` or `xenc:EncryptedKey` (RSA-OAEP
//!   for the requester's certificate, X.509 bootstrap); the issuer's entropy in a response is a
//!   `wst:BinarySecret` or an `xenc:EncryptedKey` ([`Rstr::encrypted_entropy`]). A requester's
//!   entropy must be a `wst:BinarySecret`.
//!
//! [`Dialect`]: crate::Dialect

mod read;
mod write;

use std::time::SystemTime;

use wsrx_crypto::SecretKey;
use wsrx_security::{SecurityContextToken, SecurityTokenReference};

use crate::dialect::{Dialect, RequestType};

/// Largest entropy or binary secret accepted, in bytes (a key is at most 64 bytes; WCF
/// nonces are 32).
pub const MAX_SECRET_LEN: usize = 512;
/// Largest `wst:KeySize` accepted, in bits.
pub const MAX_KEY_SIZE_BITS: u32 = 512;

/// `wst:BinarySecret/@Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretType {
    /// `…/Nonce`: entropy to combine into a computed key.
    Nonce,
    /// `…/SymmetricKey` (or no `@Type`): the key itself.
    SymmetricKey,
}

/// `wst:BinarySecret`: secret bytes with their type. `Debug` never shows the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinarySecret {
    /// What the bytes are.
    pub kind: SecretType,
    /// The bytes (zeroized on drop).
    pub value: SecretKey,
}

/// `wst:Lifetime` (`wsu:Created`, `wsu:Expires`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// `wsu:Created`.
    pub created: Option<SystemTime>,
    /// `wsu:Expires`.
    pub expires: Option<SystemTime>,
}

/// `wst:RequestSecurityToken` for an SCT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rst {
    /// The dialect (from the element's namespace).
    pub dialect: Dialect,
    /// Issue, Renew, Cancel or Amend (Amend comes from the action, see [`RequestType::Amend`]).
    pub request_type: RequestType,
    /// `@Context`, echoed in the response.
    pub context: Option<String>,
    /// `wst:TokenType` (the SCT type of the dialect when asking for an SCT).
    pub token_type: Option<String>,
    /// `wst:Entropy/wst:BinarySecret`: the requester's entropy.
    pub entropy: Option<BinarySecret>,
    /// `wst:KeySize` in bits.
    pub key_size: Option<u32>,
    /// `wst:ComputedKeyAlgorithm` URI.
    pub computed_key_algorithm: Option<String>,
    /// `wst:Lifetime` asked for.
    pub lifetime: Option<Lifetime>,
    /// `wst:RenewTarget` (Renew) or `wst:CancelTarget` (Cancel): an STR to the SCT.
    pub target: Option<SecurityTokenReference>,
    /// `wst:Claims` children, each as a standalone XML fragment (used by Amend).
    pub claims: Vec<String>,
}

impl Rst {
    /// A request of `kind` with every optional part empty.
    pub fn new(dialect: Dialect, kind: RequestType) -> Self {
        Self {
            dialect,
            request_type: kind,
            context: None,
            token_type: Some(dialect.token_type().to_owned()),
            entropy: None,
            key_size: None,
            computed_key_algorithm: None,
            lifetime: None,
            target: None,
            claims: Vec::new(),
        }
    }
}

/// `wst:RequestedProofToken`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofToken {
    /// The key itself (issuer entropy only). It travels in the clear in the Body:
    /// only over a protected transport or with Body encryption.
    BinarySecret(BinarySecret),
    /// `wst:ComputedKey` with this algorithm URI: combine both entropies.
    ComputedKey(String),
    /// `xenc:EncryptedKey`: the key (issuer entropy) encrypted for the requester's
    /// certificate (WS-Trust 1.3 §4.4.3, X.509 bootstrap).
    EncryptedKey(wsrx_security::EncryptedKey),
}

/// `wst:RequestSecurityTokenResponse` for an SCT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rstr {
    /// The dialect (from the element's namespace).
    pub dialect: Dialect,
    /// `@Context` echoed from the request.
    pub context: Option<String>,
    /// `wst:TokenType`.
    pub token_type: Option<String>,
    /// `wst:RequestedSecurityToken/wsc:SecurityContextToken`.
    pub token: Option<SecurityContextToken>,
    /// `wst:RequestedAttachedReference` (STR by `#wsu:Id`).
    pub attached_reference: Option<SecurityTokenReference>,
    /// `wst:RequestedUnattachedReference` (STR by Identifier).
    pub unattached_reference: Option<SecurityTokenReference>,
    /// `wst:Lifetime`.
    pub lifetime: Option<Lifetime>,
    /// `wst:RequestedProofToken`.
    pub proof: Option<ProofToken>,
    /// `wst:Entropy/wst:BinarySecret`: the issuer's entropy (with a computed key).
    pub entropy: Option<BinarySecret>,
    /// `wst:Entropy/xenc:EncryptedKey`: the issuer's entropy encrypted for the requester's
    /// certificate (combined entropy with the X.509 bootstrap); a Nonce once decrypted.
    pub encrypted_entropy: Option<wsrx_security::EncryptedKey>,
    /// `wst:KeySize` in bits.
    pub key_size: Option<u32>,
    /// `wst:RequestedTokenCancelled` present (Cancel response).
    pub cancelled: bool,
}

impl Rstr {
    /// An empty response in `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            context: None,
            token_type: None,
            token: None,
            attached_reference: None,
            unattached_reference: None,
            lifetime: None,
            proof: None,
            entropy: None,
            encrypted_entropy: None,
            key_size: None,
            cancelled: false,
        }
    }
}

#[cfg(test)]
mod tests;
