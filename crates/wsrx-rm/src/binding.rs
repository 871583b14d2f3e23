//! The security binding of a sequence (WS-RM 1.2 §5, spec-facts §2.2).
//!
//! This crate does not know WS-Security. The runtime verifies each message with
//! `wsrx-security` and passes, with the parsed RM message, the identity of the token
//! that proved it: for an SCT, its `wsc:Identifier` (renewals keep the Identifier and
//! only add an Instance, so a renewed token still matches). `None` means unsigned.

use core::fmt;

/// The identity of the security context token that proved a message: an opaque
/// string, compared octet for octet (the SCT `wsc:Identifier`, usually `urn:uuid:…`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecurityBinding(String);

impl SecurityBinding {
    /// Wraps a token identity.
    pub fn new(identifier: impl Into<String>) -> Self {
        Self(identifier.into())
    }

    /// The identity as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecurityBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecurityBinding({})", self.0)
    }
}

/// A reference, carried in a CreateSequence body (`wsse:SecurityTokenReference`), to the
/// token the new sequence is to be bound to. The codec resolves the STR form (by
/// Identifier or by `#wsu:Id` of the token in the same message) to the token identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenRef(pub SecurityBinding);

/// Whether a message proven by `proof` may touch a sequence bound to `bound`
/// (WS-RM 1.2 §5: every message of a bound sequence is protected by the same token).
/// An unbound sequence (`bound == None`) accepts unsigned messages and messages proven by
/// any token: it is only created when the destination's policy allows unbound sequences.
pub(crate) fn proves(bound: Option<&SecurityBinding>, proof: Option<&SecurityBinding>) -> bool {
    match bound {
        None => true,
        Some(b) => proof == Some(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_sequences_need_the_same_token() {
        let x = SecurityBinding::new("urn:uuid:x");
        let y = SecurityBinding::new("urn:uuid:y");
        assert!(proves(Some(&x), Some(&x)));
        assert!(!proves(Some(&x), Some(&y)));
        assert!(!proves(Some(&x), None));
        assert!(proves(None, None));
        assert!(proves(None, Some(&y)));
    }
}
