//! Sealing secrets at rest: `nonce (12) || AES-256-GCM(kek, nonce, aad, plaintext) (ct || tag)`.
//!
//! Used by the store and the SCT seal (crates.md §3.6). The associated data binds a blob to its
//! place (e.g. `"wsrx-sct-v1" || store_id || sct_identifier || sequence_id || kek_id`), so a blob
//! moved to another row fails to open. Nonces are random (96 bits): fine at the volumes of SCT
//! records, not for billions of seals under one key.

use core::fmt;

use zeroize::Zeroizing;

use crate::cipher::{AesKeySize, GCM_NONCE_LEN, GCM_TAG_LEN};
use crate::{CryptoError, DigestAlgorithm, Result, SecretKey, SecureRandom};

/// Key-encryption key length (AES-256).
pub const KEK_LEN: usize = 32;
/// Nonce length at the start of a sealed blob.
pub const SEAL_NONCE_LEN: usize = GCM_NONCE_LEN;
/// Tag length at the end of a sealed blob.
pub const SEAL_TAG_LEN: usize = GCM_TAG_LEN;
/// Bytes a sealed blob adds to its plaintext.
pub const SEAL_OVERHEAD: usize = SEAL_NONCE_LEN + SEAL_TAG_LEN;

/// Domain tag hashed before the key in [`KeyId::of`].
const KEY_ID_DOMAIN: &[u8] = b"wsrx-kek-id-v1";

/// Seals `plaintext` under `kek`, binding `aad`. The nonce comes from `rng`'s wire-visible stream
/// (it is stored in the clear).
///
/// # Errors
/// [`CryptoError::InvalidKeyLength`] unless `kek` is [`KEK_LEN`] bytes;
/// [`CryptoError::RandomUnavailable`]; [`CryptoError::InputTooLong`] past the GCM limit.
pub fn seal<R: SecureRandom + ?Sized>(
    kek: &SecretKey,
    rng: &mut R,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    check_kek(kek)?;
    let mut nonce = [0u8; SEAL_NONCE_LEN];
    rng.fill_nonce(&mut nonce)?;
    crate::cipher::gcm_seal(
        AesKeySize::Aes256,
        kek.expose_secret(),
        &nonce,
        aad,
        plaintext,
    )
}

/// Opens a blob made by [`seal`] with the same `kek` and `aad`.
///
/// # Errors
/// [`CryptoError::SealedBlobTooShort`] if `blob` cannot even hold nonce and tag (truncated);
/// [`CryptoError::DecryptionFailed`] if the tag does not verify (wrong key, wrong AAD, any
/// modification); [`CryptoError::InvalidKeyLength`] unless `kek` is [`KEK_LEN`] bytes.
pub fn open(kek: &SecretKey, aad: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    check_kek(kek)?;
    if blob.len() < SEAL_OVERHEAD {
        return Err(CryptoError::SealedBlobTooShort {
            len: blob.len(),
            min: SEAL_OVERHEAD,
        });
    }
    crate::cipher::gcm_open(AesKeySize::Aes256, kek.expose_secret(), aad, blob)
}

fn check_kek(kek: &SecretKey) -> Result<()> {
    if kek.len() == KEK_LEN {
        Ok(())
    } else {
        Err(CryptoError::InvalidKeyLength {
            algorithm: "AES-256-GCM seal",
            expected: KEK_LEN,
            actual: kek.len(),
        })
    }
}

/// A key-encryption key's public name: the first 8 bytes of
/// `SHA-256("wsrx-kek-id-v1" || key)`. Stored beside each sealed blob to pick the key to open it.
/// `Display` and `Debug` print 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The id of `kek`.
    #[must_use]
    pub fn of(kek: &SecretKey) -> Self {
        let mut d = DigestAlgorithm::Sha256.digester();
        d.update(KEY_ID_DOMAIN);
        d.update(kek.expose_secret());
        let digest = d.finish();
        let mut id = [0u8; 8];
        for (dst, src) in id.iter_mut().zip(digest.as_bytes()) {
            *dst = *src;
        }
        Self(id)
    }

    /// An id from its 8 bytes (as stored).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }

    /// The 8 bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0
    }

    /// Parses 16 hex digits (either case), as printed by `Display`.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyId`] for anything else.
    pub fn from_hex(s: &str) -> Result<Self> {
        let digits = s.as_bytes();
        if digits.len() != 16 {
            return Err(CryptoError::InvalidKeyId);
        }
        let mut id = [0u8; 8];
        for (dst, pair) in id.iter_mut().zip(digits.chunks_exact(2)) {
            let [hi, lo] = pair else {
                return Err(CryptoError::InvalidKeyId);
            };
            *dst = (hex_value(*hi)? << 4) | hex_value(*lo)?;
        }
        Ok(Self(id))
    }
}

fn hex_value(c: u8) -> Result<u8> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(CryptoError::InvalidKeyId),
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl core::str::FromStr for KeyId {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self> {
        Self::from_hex(s)
    }
}

#[cfg(test)]
mod tests;
