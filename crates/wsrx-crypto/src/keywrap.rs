//! Symmetric key wrap: the `[Sym KW]` algorithms of the WS-SecurityPolicy 1.2 §6.1 suites.
//!
//! - AES key wrap, `xmlenc#kw-aes128` / `kw-aes192` / `kw-aes256` (XML-Enc §5.6.3): RFC 3394 §2.2
//!   with the default initial value `A6A6A6A6A6A6A6A6`, over a key of a whole number of 64-bit
//!   blocks, at least two (RustCrypto `aes-kw`).
//! - CMS Triple DES key wrap, `xmlenc#kw-tripledes` (XML-Enc §5.6.2, RFC 3217 §3): the key and
//!   the first 8 bytes of its SHA-1 (the integrity check value) are 3DES-CBC encrypted under a
//!   random IV, the IV is prepended, the whole reversed byte by byte and encrypted again under
//!   the fixed IV `4adda22c79e82105`. As XML-Enc uses it for any key (an AES key included), the
//!   RFC 3217 step that sets DES parity bits on a wrapped Triple DES key is not applied: the key
//!   comes back exactly as it went in.
//!
//! Triple DES is legacy: [`KeyWrapAlgorithm::from_uri`] does not name it; callers that have a
//! TripleDes suite in force use [`KeyWrapAlgorithm::from_uri_allowing`]. Every unwrap failure
//! (length, integrity check) is the one [`CryptoError::DecryptionFailed`].

use aes_kw::{KwAes128, KwAes192, KwAes256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::cipher::{CbcCipher, cbc_decrypt_raw, cbc_encrypt_raw};
use crate::{CryptoError, DigestAlgorithm, Result, SecretKey, SecureRandom};

/// The second IV of the CMS Triple DES key wrap (RFC 3217 §3.1 step 8).
const TDES_KW_IV2: [u8; 8] = [0x4a, 0xdd, 0xa2, 0x2c, 0x79, 0xe8, 0x21, 0x05];
/// A semiblock of AES-KW, the block and IV size of Triple DES, the length of the CMS ICV.
const HALF: usize = 8;

/// An XML-Enc symmetric key wrap algorithm (`EncryptedKey/EncryptionMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyWrapAlgorithm {
    /// AES key wrap with a 128-bit key-encryption key.
    Aes128Kw,
    /// AES key wrap with a 192-bit key-encryption key.
    Aes192Kw,
    /// AES key wrap with a 256-bit key-encryption key.
    Aes256Kw,
    /// CMS Triple DES key wrap (legacy; see the module docs).
    TripleDesKw,
}

impl KeyWrapAlgorithm {
    /// `http://www.w3.org/2001/04/xmlenc#kw-aes128`
    pub const AES128_KW_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#kw-aes128";
    /// `http://www.w3.org/2001/04/xmlenc#kw-aes192`
    pub const AES192_KW_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#kw-aes192";
    /// `http://www.w3.org/2001/04/xmlenc#kw-aes256`
    pub const AES256_KW_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#kw-aes256";
    /// `http://www.w3.org/2001/04/xmlenc#kw-tripledes`
    pub const TRIPLEDES_KW_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#kw-tripledes";

    /// The AES key wraps: those [`KeyWrapAlgorithm::from_uri`] accepts.
    pub const ALL: [Self; 3] = [Self::Aes128Kw, Self::Aes192Kw, Self::Aes256Kw];

    /// The algorithm named by an `EncryptionMethod/@Algorithm` URI, among
    /// [`KeyWrapAlgorithm::ALL`].
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for any other URI, `kw-tripledes` included.
    pub fn from_uri(uri: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.uri() == uri)
            .ok_or(CryptoError::UnsupportedAlgorithm)
    }

    /// As [`KeyWrapAlgorithm::from_uri`], and also the legacy algorithms in `allowed`.
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for any other URI.
    pub fn from_uri_allowing(uri: &str, allowed: &[Self]) -> Result<Self> {
        Self::from_uri(uri).or_else(|_| {
            allowed
                .iter()
                .copied()
                .find(|a| a.uri() == uri)
                .ok_or(CryptoError::UnsupportedAlgorithm)
        })
    }

    /// The algorithm's URI.
    #[must_use]
    pub const fn uri(self) -> &'static str {
        match self {
            Self::Aes128Kw => Self::AES128_KW_URI,
            Self::Aes192Kw => Self::AES192_KW_URI,
            Self::Aes256Kw => Self::AES256_KW_URI,
            Self::TripleDesKw => Self::TRIPLEDES_KW_URI,
        }
    }

    /// A short name for messages.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Aes128Kw => "AES-128-KW",
            Self::Aes192Kw => "AES-192-KW",
            Self::Aes256Kw => "AES-256-KW",
            Self::TripleDesKw => "3DES-KW",
        }
    }

    /// Length of the key-encryption key in bytes.
    #[must_use]
    pub const fn kek_len(self) -> usize {
        match self {
            Self::Aes128Kw => 16,
            Self::Aes192Kw | Self::TripleDesKw => 24,
            Self::Aes256Kw => 32,
        }
    }

    /// Wraps `key` under `kek`. The Triple DES wrap draws its IV from `rng`'s wire-visible
    /// stream; AES key wrap is deterministic and draws nothing.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`] for a key-encryption key of the wrong size;
    /// [`CryptoError::KeyToWrapLength`] for a key that is not a whole number of 64-bit blocks
    /// (at least two for AES, at least one for Triple DES); [`CryptoError::RandomUnavailable`].
    pub fn wrap<R: SecureRandom + ?Sized>(
        self,
        kek: &SecretKey,
        key: &SecretKey,
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        self.check_kek(kek)?;
        let min = if self == Self::TripleDesKw { 1 } else { 2 };
        if key.len() < min * HALF || !key.len().is_multiple_of(HALF) {
            return Err(CryptoError::KeyToWrapLength {
                algorithm: self.name(),
                len: key.len(),
            });
        }
        let kek = kek.expose_secret();
        let key = key.expose_secret();
        let mut out = vec![0u8; key.len() + HALF];
        let aes = |e: aes_kw::Error| match e {
            aes_kw::Error::InvalidDataSize => CryptoError::KeyToWrapLength {
                algorithm: self.name(),
                len: key.len(),
            },
            _ => CryptoError::InputTooLong,
        };
        match self {
            Self::Aes128Kw => {
                aes_kek::<KwAes128>(kek)?
                    .wrap_key(key, &mut out)
                    .map_err(aes)?;
            }
            Self::Aes192Kw => {
                aes_kek::<KwAes192>(kek)?
                    .wrap_key(key, &mut out)
                    .map_err(aes)?;
            }
            Self::Aes256Kw => {
                aes_kek::<KwAes256>(kek)?
                    .wrap_key(key, &mut out)
                    .map_err(aes)?;
            }
            Self::TripleDesKw => return tdes_wrap(kek, key, rng),
        }
        Ok(out)
    }

    /// Unwraps `wrapped` under `kek`.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`] for a key-encryption key of the wrong size (a local
    /// configuration error); [`CryptoError::DecryptionFailed`] for anything wrong with `wrapped`.
    pub fn unwrap(self, kek: &SecretKey, wrapped: &[u8]) -> Result<SecretKey> {
        self.check_kek(kek)?;
        let kek = kek.expose_secret();
        if self == Self::TripleDesKw {
            return tdes_unwrap(kek, wrapped);
        }
        if wrapped.len() < 3 * HALF || !wrapped.len().is_multiple_of(HALF) {
            return Err(CryptoError::DecryptionFailed);
        }
        let mut out = Zeroizing::new(vec![0u8; wrapped.len() - HALF]);
        let failed = |_| CryptoError::DecryptionFailed;
        match self {
            Self::Aes128Kw => aes_kek::<KwAes128>(kek)?
                .unwrap_key(wrapped, &mut out)
                .map_err(failed)?,
            Self::Aes192Kw => aes_kek::<KwAes192>(kek)?
                .unwrap_key(wrapped, &mut out)
                .map_err(failed)?,
            _ => aes_kek::<KwAes256>(kek)?
                .unwrap_key(wrapped, &mut out)
                .map_err(failed)?,
        };
        Ok(SecretKey::from_slice(&out))
    }

    fn check_kek(self, kek: &SecretKey) -> Result<()> {
        if kek.len() == self.kek_len() {
            Ok(())
        } else {
            Err(CryptoError::InvalidKeyLength {
                algorithm: self.name(),
                expected: self.kek_len(),
                actual: kek.len(),
            })
        }
    }
}

fn aes_kek<K: aes_kw::KeyInit>(kek: &[u8]) -> Result<K> {
    // The length was checked against `kek_len`; a mismatch here is a local bug.
    K::new_from_slice(kek).map_err(|_| CryptoError::InputTooLong)
}

/// The CMS key checksum: the first 8 bytes of SHA-1 of the key (RFC 3217 §2).
fn tdes_icv(key: &[u8]) -> [u8; HALF] {
    let digest = DigestAlgorithm::Sha1.digest(key);
    let mut icv = [0u8; HALF];
    for (d, s) in icv.iter_mut().zip(digest.as_bytes()) {
        *d = *s;
    }
    icv
}

/// RFC 3217 §3.1.
fn tdes_wrap<R: SecureRandom + ?Sized>(kek: &[u8], key: &[u8], rng: &mut R) -> Result<Vec<u8>> {
    let mut iv = [0u8; HALF];
    rng.fill_nonce(&mut iv)?;
    // TEMP2 = IV || 3DES-CBC(KEK, IV, CEK || ICV)
    let mut temp = Zeroizing::new(Vec::with_capacity(key.len() + 2 * HALF));
    temp.extend_from_slice(&iv);
    temp.extend_from_slice(key);
    temp.extend_from_slice(&tdes_icv(key));
    let body = temp.get_mut(HALF..).ok_or(CryptoError::InputTooLong)?;
    cbc_encrypt_raw(CbcCipher::TripleDes, kek, &iv, body)?;
    // TEMP3 = reverse(TEMP2); result = 3DES-CBC(KEK, IV2, TEMP3)
    temp.reverse();
    cbc_encrypt_raw(CbcCipher::TripleDes, kek, &TDES_KW_IV2, &mut temp)?;
    Ok(temp.to_vec())
}

/// RFC 3217 §3.2.
fn tdes_unwrap(kek: &[u8], wrapped: &[u8]) -> Result<SecretKey> {
    // IV (8) || CEK (at least 8) || ICV (8), in whole blocks.
    if wrapped.len() < 3 * HALF || !wrapped.len().is_multiple_of(HALF) {
        return Err(CryptoError::DecryptionFailed);
    }
    let mut temp = Zeroizing::new(wrapped.to_vec());
    cbc_decrypt_raw(CbcCipher::TripleDes, kek, &TDES_KW_IV2, &mut temp)?;
    temp.reverse();
    let (iv, body) = temp.split_at_mut(HALF);
    let iv: [u8; HALF] = (&*iv)
        .try_into()
        .map_err(|_| CryptoError::DecryptionFailed)?;
    cbc_decrypt_raw(CbcCipher::TripleDes, kek, &iv, body)?;
    let split = body.len() - HALF;
    let (key, icv) = body.split_at(split);
    if !bool::from(tdes_icv(key).ct_eq(icv)) {
        return Err(CryptoError::DecryptionFailed);
    }
    Ok(SecretKey::from_slice(key))
}

#[cfg(test)]
mod tests;
