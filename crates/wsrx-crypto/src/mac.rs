//! HMAC (HMAC-SHA1, HMAC-SHA256) as a streaming sink, with a truncation policy.
//!
//! # Truncation rule (CVE-2009-0217)
//!
//! XML-DSig lets a signature carry `HMACOutputLength` and a truncated `SignatureValue`; accepting
//! arbitrary truncation lets an attacker forge short MACs. The minimum accepted output here is
//! `max(output / 2, 80)` bits, the XML-DSig 1.1 rule, raised to 160 bits for HMAC-SHA1 (the floor
//! bergshamra uses by default). That gives:
//!
//! | algorithm   | full output | minimum accepted |
//! |-------------|-------------|------------------|
//! | HMAC-SHA1   | 160 bits    | 160 bits (no truncation at all) |
//! | HMAC-SHA256 | 256 bits    | 128 bits |
//!
//! Lengths must also be whole bytes and at most the full output. [`MacAlgorithm::check_output_length`]
//! applies the rule to a parsed `HMACOutputLength`; [`Mac::verify`] applies it to the received
//! value itself, so a caller that forgets the former is still protected.

use core::fmt;

use hmac::{Hmac, KeyInit as _, Mac as _};
use subtle::ConstantTimeEq;

use crate::output::FixedOutput;
use crate::{CryptoError, DigestAlgorithm, Result, SecretKey};

/// An XML-DSig HMAC `SignatureMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MacAlgorithm {
    /// HMAC-SHA1 (what WCF and most WS-SC peers sign with).
    HmacSha1,
    /// HMAC-SHA256 (the *Sha256 algorithm suites).
    HmacSha256,
}

impl MacAlgorithm {
    /// `http://www.w3.org/2000/09/xmldsig#hmac-sha1`
    pub const HMAC_SHA1_URI: &'static str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
    /// `http://www.w3.org/2001/04/xmldsig-more#hmac-sha256`
    pub const HMAC_SHA256_URI: &'static str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";

    /// The algorithm named by a `SignatureMethod/@Algorithm` URI (compared exactly).
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for any other URI.
    pub fn from_uri(uri: &str) -> Result<Self> {
        match uri {
            Self::HMAC_SHA1_URI => Ok(Self::HmacSha1),
            Self::HMAC_SHA256_URI => Ok(Self::HmacSha256),
            _ => Err(CryptoError::UnsupportedAlgorithm),
        }
    }

    /// The algorithm's URI.
    #[must_use]
    pub const fn uri(self) -> &'static str {
        match self {
            Self::HmacSha1 => Self::HMAC_SHA1_URI,
            Self::HmacSha256 => Self::HMAC_SHA256_URI,
        }
    }

    /// A short name for messages.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::HmacSha256 => "HMAC-SHA256",
        }
    }

    /// The underlying hash.
    #[must_use]
    pub const fn digest_algorithm(self) -> DigestAlgorithm {
        match self {
            Self::HmacSha1 => DigestAlgorithm::Sha1,
            Self::HmacSha256 => DigestAlgorithm::Sha256,
        }
    }

    /// Full output length in bytes.
    #[must_use]
    pub const fn output_len(self) -> usize {
        self.digest_algorithm().output_len()
    }

    /// The shortest output accepted, in bits (see the module docs for the rule).
    #[must_use]
    pub const fn min_output_bits(self) -> u64 {
        let full = self.output_len() as u64 * 8;
        let half = full / 2;
        let xmldsig11 = if half > 80 { half } else { 80 };
        match self {
            Self::HmacSha1 => {
                if xmldsig11 > 160 {
                    xmldsig11
                } else {
                    160
                }
            }
            Self::HmacSha256 => xmldsig11,
        }
    }

    /// Checks a declared output length (a parsed `ds:HMACOutputLength`, in bits) against the
    /// truncation rule: whole bytes, at least [`MacAlgorithm::min_output_bits`], at most the full
    /// output.
    ///
    /// # Errors
    /// [`CryptoError::MacTooShort`] below the minimum (the CVE-2009-0217 case);
    /// [`CryptoError::InvalidMacLength`] if longer than the output or not a multiple of 8.
    pub fn check_output_length(self, bits: u64) -> Result<()> {
        let full = self.output_len() as u64 * 8;
        if bits > full || !bits.is_multiple_of(8) {
            return Err(CryptoError::InvalidMacLength {
                algorithm: self.name(),
                bits,
            });
        }
        let min_bits = self.min_output_bits();
        if bits < min_bits {
            return Err(CryptoError::MacTooShort {
                algorithm: self.name(),
                bits,
                min_bits,
            });
        }
        Ok(())
    }

    /// A fresh streaming MAC keyed with `key`.
    ///
    /// # Errors
    /// [`CryptoError::EmptyKey`] for an empty key (always an upstream bug).
    pub fn mac(self, key: &SecretKey) -> Result<Mac> {
        Mac::new(self, key)
    }
}

/// A streaming HMAC: feed bytes with [`Mac::update`] (or [`std::io::Write`]), then
/// [`Mac::finish`] to sign or [`Mac::verify`] to check. Does not allocate; key-dependent state
/// is wiped on drop. `Debug` shows only the algorithm.
#[derive(Clone)]
pub struct Mac {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    HmacSha1(Hmac<sha1::Sha1>),
    HmacSha256(Hmac<sha2::Sha256>),
}

impl Mac {
    /// A fresh MAC for `algorithm` keyed with `key`.
    ///
    /// # Errors
    /// [`CryptoError::EmptyKey`] for an empty key.
    pub fn new(algorithm: MacAlgorithm, key: &SecretKey) -> Result<Self> {
        let key = key.expose_secret();
        if key.is_empty() {
            return Err(CryptoError::EmptyKey);
        }
        // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
        let inner = match algorithm {
            MacAlgorithm::HmacSha1 => {
                Inner::HmacSha1(Hmac::new_from_slice(key).map_err(|_| CryptoError::EmptyKey)?)
            }
            MacAlgorithm::HmacSha256 => {
                Inner::HmacSha256(Hmac::new_from_slice(key).map_err(|_| CryptoError::EmptyKey)?)
            }
        };
        Ok(Self { inner })
    }

    /// The algorithm this MAC computes.
    #[must_use]
    pub fn algorithm(&self) -> MacAlgorithm {
        match self.inner {
            Inner::HmacSha1(_) => MacAlgorithm::HmacSha1,
            Inner::HmacSha256(_) => MacAlgorithm::HmacSha256,
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.inner {
            Inner::HmacSha1(m) => m.update(data),
            Inner::HmacSha256(m) => m.update(data),
        }
    }

    /// Finishes and returns the full MAC (for signing).
    #[must_use]
    pub fn finish(self) -> MacValue {
        match self.inner {
            Inner::HmacSha1(m) => MacValue::from_output(&m.finalize().into_bytes()),
            Inner::HmacSha256(m) => MacValue::from_output(&m.finalize().into_bytes()),
        }
    }

    /// Finishes and checks `expected` (a decoded `SignatureValue`) in constant time.
    ///
    /// `expected` may be the full MAC or its leading bytes, if it is at least
    /// `max(min_len_bits, algorithm minimum)` bits long (module docs); pass `0` for
    /// `min_len_bits` to apply only the algorithm minimum, or the full length to forbid any
    /// truncation. If the message declared `HMACOutputLength`, the caller must also check that it
    /// equals `expected.len() * 8` (and pass it through [`MacAlgorithm::check_output_length`]).
    ///
    /// # Errors
    /// [`CryptoError::MacTooShort`] below the minimum, [`CryptoError::InvalidMacLength`] if longer
    /// than the MAC, [`CryptoError::MacMismatch`] if the bytes differ.
    pub fn verify(self, expected: &[u8], min_len_bits: u64) -> Result<()> {
        let algorithm = self.algorithm();
        let bits = (expected.len() as u64).saturating_mul(8);
        let full_bits = algorithm.output_len() as u64 * 8;
        if bits > full_bits {
            return Err(CryptoError::InvalidMacLength {
                algorithm: algorithm.name(),
                bits,
            });
        }
        let min_bits = algorithm.min_output_bits().max(min_len_bits);
        if bits < min_bits {
            return Err(CryptoError::MacTooShort {
                algorithm: algorithm.name(),
                bits,
                min_bits,
            });
        }
        let computed = self.finish();
        let prefix = computed
            .as_bytes()
            .get(..expected.len())
            .ok_or(CryptoError::MacMismatch)?;
        if bool::from(prefix.ct_eq(expected)) {
            Ok(())
        } else {
            Err(CryptoError::MacMismatch)
        }
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mac")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl std::io::Write for Mac {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A MAC output: a small fixed array, no heap. Equality is constant-time. A MAC is public once
/// sent (it is the `SignatureValue`), so `Debug` prints it in hex.
#[derive(Clone, Copy)]
pub struct MacValue(FixedOutput);

impl MacValue {
    fn from_output(out: &[u8]) -> Self {
        Self(FixedOutput::new(out))
    }

    /// The MAC bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl AsRef<[u8]> for MacValue {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for MacValue {
    fn eq(&self, other: &Self) -> bool {
        self.0.matches(other.as_bytes())
    }
}

impl Eq for MacValue {}

impl fmt::Debug for MacValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_named("MacValue", f)
    }
}

#[cfg(test)]
mod tests;
