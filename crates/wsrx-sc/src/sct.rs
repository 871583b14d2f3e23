//! [`EstablishedSct`]: a security context as its holder keeps it (spec-facts §3.1, §5:
//! Identifier, current Instance, secret, lifetime, WS-SC version, peer endpoint).

use std::time::SystemTime;

use wsrx_crypto::SecretKey;
use wsrx_security::{ScVersion, SecurityContextToken, SecurityTokenReference, TokenReference};

/// `wsu:Id` given to the SCT element when it travels in a message.
pub const SCT_WSU_ID: &str = "wsrx-sct";

/// An established security context. `Debug` shows everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstablishedSct {
    /// `wsc:Identifier` (a `urn:uuid:` URI when we issued it; opaque otherwise).
    pub identifier: String,
    /// `wsc:Instance` of the current key (set after a renewal).
    pub instance: Option<String>,
    /// The context's key (zeroized on drop, redacted in `Debug`).
    pub secret: SecretKey,
    /// Start of the lifetime.
    pub created: SystemTime,
    /// End of the lifetime: unusable from this instant.
    pub expires: SystemTime,
    /// The WS-SC version (namespace) of the token.
    pub version: ScVersion,
    /// The endpoint (address) of the other party.
    pub endpoint: String,
}

impl EstablishedSct {
    /// True while `now` is inside the lifetime.
    pub fn is_live(&self, now: SystemTime) -> bool {
        now >= self.created && now < self.expires
    }

    /// The `wsc:SecurityContextToken` element to put in messages (and hand to
    /// [`wsrx_security::Signer`]).
    pub fn token(&self) -> SecurityContextToken {
        SecurityContextToken {
            version: self.version,
            identifier: self.identifier.clone(),
            instance: self.instance.clone(),
            wsu_id: Some(SCT_WSU_ID.to_owned()),
        }
    }

    /// The unattached STR (by Identifier, with `@wsc:Instance` after renewal, as WCF writes
    /// it; spec-facts §3.4), e.g. for a RenewTarget or a CreateSequence.
    pub fn unattached_reference(&self) -> SecurityTokenReference {
        SecurityTokenReference {
            reference: TokenReference::External(self.identifier.clone()),
            value_type: Some(self.version.sct_value_type().to_owned()),
            instance: self.instance.clone(),
        }
    }
}

/// The context as a resolver that knows only its current key (for checking an answer
/// protected under it, such as a Renew answer over plain HTTP).
impl wsrx_security::KeyResolver for EstablishedSct {
    fn sct_secret(
        &self,
        identifier: &str,
        _instance: Option<&str>,
    ) -> Result<SecretKey, wsrx_security::ResolveError> {
        if identifier == self.identifier {
            Ok(self.secret.clone())
        } else {
            Err(wsrx_security::ResolveError::Unknown)
        }
    }
}
