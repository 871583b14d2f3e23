//! The crate's one error type and its total mapping to WS-Security / WS-SC faults
//! (WSS 1.1 SOAP Message Security §12; WS-SC 1.4 §8).
//!
//! Reasons are fixed strings: they never say which reference, byte or key failed, and
//! every cryptographic check failure (digest, HMAC, truncated HMAC, CBC padding, GCM
//! tag) is the same [`SecurityError::FailedCheck`], so a peer learns nothing from the
//! fault about where its forgery went wrong (no padding or digest oracle). Secrets are
//! never part of an error.

use wsrx_soap::{Fault, FaultCode};

use crate::ns::{WSC_200512, WSSE};

/// Why a [`crate::KeyResolver`] could not supply an SCT secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// No context with this identifier (and instance) is known.
    #[error("unknown security context")]
    Unknown,
    /// The context is known but expired or cancelled.
    #[error("security context expired")]
    Expired,
    /// The resolver could not answer now (store unavailable).
    #[error("security context temporarily unavailable")]
    Unavailable,
}

/// Everything that can go wrong while building or checking a `wsse:Security` header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecurityError {
    /// The security header or one of its parts is malformed, missing or in a form we
    /// do not process (→ `wsse:InvalidSecurity`). The text is for logs.
    #[error("invalid security header: {0}")]
    InvalidSecurity(&'static str),
    /// The same `Id` value appears twice in the message (→ `wsse:InvalidSecurity`).
    #[error("duplicate Id in message")]
    DuplicateId,
    /// An algorithm we do not accept (→ `wsse:UnsupportedAlgorithm`).
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// An algorithm (or key length) outside the suite in force, refused as a downgrade
    /// (WS-SP 1.2 §6.1; → `wsse:UnsupportedAlgorithm`).
    #[error("algorithm outside the suite in force: {0}")]
    AlgorithmOutsideSuite(crate::suite::SuiteRole),
    /// A token (SCT, DKT, STR) is malformed or out of bounds (→ `wsse:InvalidSecurityToken`).
    #[error("invalid security token: {0}")]
    InvalidToken(&'static str),
    /// A reference to a token that is not there or of a form we cannot use
    /// (→ `wsse:SecurityTokenUnavailable`).
    #[error("security token unavailable")]
    TokenUnavailable,
    /// The security context is unknown or expired (→ `wsc:BadContextToken`).
    #[error("bad context token")]
    BadContextToken(ResolveError),
    /// A derived key's base token cannot be found (→ `wsc:UnknownDerivationSource`).
    #[error("unknown derivation source")]
    UnknownDerivationSource,
    /// A digest, HMAC or decryption check failed, or a truncated HMAC was refused
    /// (→ `wsse:FailedCheck`). Deliberately one variant.
    #[error("signature or decryption check failed")]
    FailedCheck,
    /// The Timestamp is expired, too old or from the future (→ `wsse:MessageExpired`).
    #[error("message expired or not yet valid")]
    MessageExpired,
    /// The message was seen before within the replay window (→ `wsse:InvalidSecurity`).
    #[error("replayed message")]
    Replay,
    /// A replay-cache quota (the signing identity's, or the global one) is full of live
    /// entries; refusing is the safe choice (→ Receiver fault naming the quota, the
    /// sender may retry once entries age out).
    #[error("replay cache quota {} reached", .0.name())]
    ReplayCacheFull(crate::replay::ReplayQuota),
    /// The signed-parts policy is not met (→ `wsse:FailedCheck`): a required part is
    /// unsigned, signed by another token, or not where it must be.
    #[error("security policy not satisfied: {0}")]
    PolicyViolation(&'static str),
    /// An X.509 certificate was presented but is not trusted for this use: unknown issuer,
    /// bad CA signature, outside its validity, wrong key usage (→ `wsse:FailedAuthentication`,
    /// WSS 1.1 §12; RFC 5280 §6).
    #[error("security token could not be authenticated: {0}")]
    FailedAuthentication(crate::x509::CertificateError),
    /// The local caller misused the API (never caused by a peer; → Receiver fault).
    #[error("local usage error: {0}")]
    Usage(&'static str),
    /// A local cryptographic failure such as missing randomness (→ Receiver fault).
    #[error("local cryptographic failure")]
    Local,
}

impl SecurityError {
    /// The error to report for a message that arrived with encrypted parts: every
    /// structural failure becomes [`SecurityError::FailedCheck`], the same answer as a
    /// bad MAC or bad padding. Otherwise the answer could tell an attacker whether
    /// tampered CBC ciphertext decrypted to well-formed XML, the format oracle of
    /// Jager and Somorovsky ("How to Break XML Encryption", CCS 2011). Time, token and
    /// replay failures concern parts that are never encrypted and stay as they are.
    #[must_use]
    pub fn blinded(self) -> Self {
        match self {
            Self::InvalidSecurity(_)
            | Self::DuplicateId
            | Self::UnsupportedAlgorithm
            | Self::AlgorithmOutsideSuite(_)
            | Self::InvalidToken(_)
            | Self::PolicyViolation(_) => Self::FailedCheck,
            other => other,
        }
    }

    /// True when the peer caused the error (a Sender fault).
    pub fn is_peer_fault(&self) -> bool {
        !matches!(
            self,
            Self::Usage(_) | Self::Local | Self::ReplayCacheFull(_)
        ) && !matches!(self, Self::BadContextToken(ResolveError::Unavailable))
    }

    /// The fault subcode `(namespace, local name)` of this error, if it has one.
    pub fn subcode(&self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Self::InvalidSecurity(_) | Self::DuplicateId | Self::Replay => {
                (WSSE, "InvalidSecurity")
            }
            Self::UnsupportedAlgorithm | Self::AlgorithmOutsideSuite(_) => {
                (WSSE, "UnsupportedAlgorithm")
            }
            Self::InvalidToken(_) => (WSSE, "InvalidSecurityToken"),
            Self::TokenUnavailable => (WSSE, "SecurityTokenUnavailable"),
            Self::BadContextToken(ResolveError::Unavailable) => return None,
            Self::BadContextToken(_) => (WSC_200512, "BadContextToken"),
            Self::UnknownDerivationSource => (WSC_200512, "UnknownDerivationSource"),
            Self::FailedCheck | Self::PolicyViolation(_) => (WSSE, "FailedCheck"),
            Self::MessageExpired => (WSSE, "MessageExpired"),
            Self::FailedAuthentication(_) => (WSSE, "FailedAuthentication"),
            Self::ReplayCacheFull(_) | Self::Usage(_) | Self::Local => return None,
        })
    }

    /// The SOAP fault to send. Reasons are the WSS 1.1 §12 texts and never describe
    /// which part failed. In SOAP 1.1 the subcode becomes the `faultcode`, as WSS does.
    pub fn to_fault(&self) -> Fault {
        if let Self::ReplayCacheFull(quota) = self {
            return Fault::new(
                FaultCode::Receiver,
                format!(
                    "Quota {} reached: too many recent signed messages; retry later",
                    quota.name()
                ),
            );
        }
        let Some((ns, local)) = self.subcode() else {
            return Fault::new(
                FaultCode::Receiver,
                "The message could not be processed now",
            );
        };
        let reason = match local {
            "InvalidSecurity" => "An error was discovered processing the <wsse:Security> header",
            "UnsupportedAlgorithm" => "An unsupported signature or encryption algorithm was used",
            "InvalidSecurityToken" => "An invalid security token was provided",
            "SecurityTokenUnavailable" => "Referenced security token could not be retrieved",
            "BadContextToken" => "The requested context elements are insufficient or unsupported",
            "UnknownDerivationSource" => "The key derivation source is unknown",
            "MessageExpired" => "The message has expired",
            "FailedAuthentication" => "The security token could not be authenticated or authorized",
            _ => "The signature or decryption was invalid",
        };
        let mut fault = Fault::new(FaultCode::Sender, reason).with_subcode(ns, local);
        fault.subcode_as_soap11_code = true;
        fault
    }
}

impl From<wsrx_crypto::CryptoError> for SecurityError {
    fn from(e: wsrx_crypto::CryptoError) -> Self {
        use wsrx_crypto::CryptoError as C;
        match e {
            C::UnsupportedAlgorithm => Self::UnsupportedAlgorithm,
            C::DerivationTooLong { .. }
            | C::SeedTooLong { .. }
            | C::InvalidDerivedLength
            | C::EmptyKey => Self::InvalidToken("key derivation out of bounds"),
            C::RandomUnavailable => Self::Local,
            C::InvalidRsaKey(_) | C::RsaKeyTooSmall { .. } => {
                Self::InvalidToken("unusable RSA key")
            }
            // MAC mismatch, truncation, bad lengths, decryption: all one check failure.
            _ => Self::FailedCheck,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_failures_are_indistinguishable() {
        use wsrx_crypto::CryptoError as C;
        let a = SecurityError::from(C::DecryptionFailed).to_fault();
        let b = SecurityError::from(C::MacMismatch).to_fault();
        let c = SecurityError::FailedCheck.to_fault();
        assert_eq!(a, b);
        assert_eq!(b, c);
    }

    #[test]
    fn blinded_structural_failures_answer_like_a_bad_mac() {
        let mac = SecurityError::FailedCheck.to_fault();
        for e in [
            SecurityError::InvalidSecurity("bad SignedInfo"),
            SecurityError::DuplicateId,
            SecurityError::UnsupportedAlgorithm,
            SecurityError::InvalidToken("x"),
            SecurityError::AlgorithmOutsideSuite(crate::suite::SuiteRole::Encryption),
        ] {
            assert_ne!(e.to_fault(), mac, "{e:?} differs when not blinded");
            assert_eq!(e.blinded().to_fault(), mac);
        }
        assert_eq!(
            SecurityError::PolicyViolation("Body not signed")
                .blinded()
                .to_fault(),
            mac
        );
        for e in [SecurityError::MessageExpired, SecurityError::Replay] {
            assert_eq!(e.clone().blinded(), e);
        }
    }

    #[test]
    fn every_peer_error_has_a_subcode() {
        for e in [
            SecurityError::InvalidSecurity("x"),
            SecurityError::DuplicateId,
            SecurityError::UnsupportedAlgorithm,
            SecurityError::InvalidToken("x"),
            SecurityError::TokenUnavailable,
            SecurityError::BadContextToken(ResolveError::Unknown),
            SecurityError::UnknownDerivationSource,
            SecurityError::FailedCheck,
            SecurityError::MessageExpired,
            SecurityError::Replay,
            SecurityError::PolicyViolation("x"),
            SecurityError::FailedAuthentication(crate::x509::CertificateError::Expired),
            SecurityError::AlgorithmOutsideSuite(crate::suite::SuiteRole::Digest),
        ] {
            assert!(e.is_peer_fault());
            let f = e.to_fault();
            assert_eq!(f.code, FaultCode::Sender);
            assert!(f.subcode().is_some());
            assert!(!f.reason.contains('#'), "reason must not name a reference");
        }
        assert_eq!(SecurityError::Local.to_fault().code, FaultCode::Receiver);
    }
}
