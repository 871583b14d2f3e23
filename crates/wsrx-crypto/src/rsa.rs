//! RSA for the X.509 bootstrap: RSASSA-PKCS1-v1_5 with SHA-256 signatures and RSA-OAEP
//! (SHA-1, MGF1 with SHA-1) key transport, over RustCrypto `rsa` 0.10.
//!
//! - [`RsaSignatureAlgorithm::RsaSha256`], `http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`
//!   (RFC 6931 §2.3.2; RFC 8017 §8.2 RSASSA-PKCS1-v1_5 with SHA-256).
//! - [`KeyTransportAlgorithm::RsaOaepMgf1p`], `http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p`
//!   (XML-Enc 1.0 §5.4.2: RSAES-OAEP-ENCRYPT of RFC 8017 §7.1 with SHA-1 as the digest, MGF1 with
//!   SHA-1 as the mask function, and empty `OAEPparams`, i.e. an empty label).
//! - [`KeyTransportAlgorithm::Rsa15`], `http://www.w3.org/2001/04/xmlenc#rsa-1_5` (XML-Enc 1.0
//!   §5.4.1, RSAES-PKCS1-v1_5 of RFC 8017 §7.2), the `[Asym KW]` of the WS-SecurityPolicy Rsa15
//!   suites. It invites Bleichenbacher oracles, so [`KeyTransportAlgorithm::from_uri`] does not
//!   name it (a caller with an Rsa15 suite in force uses
//!   [`KeyTransportAlgorithm::from_uri_allowing`]) and it decrypts only through
//!   [`RsaPrivateKey::decrypt_key_expecting`], which answers a malformed ciphertext with a random
//!   key of the expected length instead of an error (implicit rejection, XML-Enc 1.1 §5.5.1 and
//!   WSS4J's practice): the failure shows only later, as a failed signature or decryption check,
//!   like any wrong key. The `rsa` crate's private-key operation is not constant-time
//!   (RUSTSEC-2023-0071, the Marvin attack), which matters most for exactly this padding: prefer
//!   the OAEP suites.
//!
//! Keys under [`MIN_RSA_BITS`] (2048, NIST SP 800-131A) are refused when parsed, and keys above
//! [`MAX_RSA_BITS`] too (a peer's 64-kbit key would cost us seconds per signature check).
//! Private-key operations use blinding with randomness from our [`SecureRandom`] (secret draws),
//! through a `rand_core` adapter; the `rsa` crate's own OS randomness is not compiled in.
//! [`RsaPrivateKey`] is wiped on drop (the `rsa` crate zeroizes its limbs) and its `Debug`
//! shows only the modulus size.

use core::fmt;

use pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use rand_core::{TryCryptoRng, TryRng};
use rsa::traits::PublicKeyParts as _;

use crate::{CryptoError, Result, SecretKey, SecureRandom};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: u32 = 2048;
/// The largest RSA modulus accepted, in bits.
pub const MAX_RSA_BITS: u32 = 8192;

/// An RSA signature algorithm of XML-DSig `SignatureMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RsaSignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaSha256,
}

impl RsaSignatureAlgorithm {
    /// `http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`
    pub const RSA_SHA256_URI: &'static str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

    /// The algorithm named by a `SignatureMethod/@Algorithm` URI (compared exactly).
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for any other URI (RSA-SHA1 included).
    pub fn from_uri(uri: &str) -> Result<Self> {
        match uri {
            Self::RSA_SHA256_URI => Ok(Self::RsaSha256),
            _ => Err(CryptoError::UnsupportedAlgorithm),
        }
    }

    /// The algorithm's URI.
    #[must_use]
    pub const fn uri(self) -> &'static str {
        match self {
            Self::RsaSha256 => Self::RSA_SHA256_URI,
        }
    }

    /// A short name for messages.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::RsaSha256 => "RSA-SHA256",
        }
    }
}

/// An XML-Enc key transport algorithm (`EncryptedKey/EncryptionMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyTransportAlgorithm {
    /// RSA-OAEP with SHA-1 and MGF1-SHA1, empty parameters (XML-Enc §5.4.2).
    RsaOaepMgf1p,
    /// RSAES-PKCS1-v1_5 (XML-Enc §5.4.1; legacy, see the module docs).
    Rsa15,
}

impl KeyTransportAlgorithm {
    /// `http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p`
    pub const RSA_OAEP_MGF1P_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
    /// `http://www.w3.org/2001/04/xmlenc#rsa-1_5`
    pub const RSA_1_5_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";

    /// The algorithm named by an `EncryptionMethod/@Algorithm` URI (compared exactly).
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for any other URI (`rsa-1_5` included: PKCS#1 v1.5
    /// encryption invites Bleichenbacher oracles; see [`KeyTransportAlgorithm::from_uri_allowing`]).
    pub fn from_uri(uri: &str) -> Result<Self> {
        match uri {
            Self::RSA_OAEP_MGF1P_URI => Ok(Self::RsaOaepMgf1p),
            _ => Err(CryptoError::UnsupportedAlgorithm),
        }
    }

    /// As [`KeyTransportAlgorithm::from_uri`], and also `rsa-1_5` when `allowed` lists it (an
    /// Rsa15 suite is in force).
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
            Self::RsaOaepMgf1p => Self::RSA_OAEP_MGF1P_URI,
            Self::Rsa15 => Self::RSA_1_5_URI,
        }
    }
}

/// Our [`SecureRandom`] as a `rand_core` generator for the `rsa` crate (secret draws: blinding
/// factors and OAEP seeds must not be predictable).
struct RngAdapter<'a, R: SecureRandom + ?Sized>(&'a mut R);

impl<R: SecureRandom + ?Sized> TryRng for RngAdapter<'_, R> {
    type Error = CryptoError;

    fn try_next_u32(&mut self) -> Result<u32> {
        let mut b = [0u8; 4];
        self.0.fill_secret(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.0.fill_secret(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<()> {
        self.0.fill_secret(dst)
    }
}

impl<R: SecureRandom + ?Sized> TryCryptoRng for RngAdapter<'_, R> {}

fn check_size(n: &rsa::PublicKey) -> Result<u32> {
    let bits = n.n().as_ref().bit_width();
    if bits < MIN_RSA_BITS {
        return Err(CryptoError::RsaKeyTooSmall {
            bits,
            min: MIN_RSA_BITS,
        });
    }
    if bits > MAX_RSA_BITS {
        return Err(CryptoError::InvalidRsaKey("modulus too large"));
    }
    Ok(bits)
}

/// An RSA public key (from a certificate's SubjectPublicKeyInfo), at least [`MIN_RSA_BITS`].
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    key: rsa::PublicKey,
    bits: u32,
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.bits)
    }
}

impl RsaPublicKey {
    /// Parses a DER `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7) holding an `rsaEncryption` key.
    ///
    /// # Errors
    /// [`CryptoError::InvalidRsaKey`] for anything else; [`CryptoError::RsaKeyTooSmall`] under
    /// [`MIN_RSA_BITS`].
    pub fn from_spki_der(der: &[u8]) -> Result<Self> {
        let key = rsa::PublicKey::from_public_key_der(der)
            .map_err(|_| CryptoError::InvalidRsaKey("not an RSA SubjectPublicKeyInfo"))?;
        let bits = check_size(&key)?;
        Ok(Self { key, bits })
    }

    /// The modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Checks `signature` over `message` (the whole message; it is hashed here).
    ///
    /// # Errors
    /// [`CryptoError::SignatureMismatch`] for any invalid signature (wrong length included).
    pub fn verify(
        &self,
        algorithm: RsaSignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        match algorithm {
            RsaSignatureAlgorithm::RsaSha256 => self
                .key
                .pkcs1v15_verify::<sha2::Sha256>(message, signature)
                .map_err(|_| CryptoError::SignatureMismatch),
        }
    }

    /// Encrypts `key` for the holder of the private key (XML-Enc §5.4.2 key transport).
    ///
    /// # Errors
    /// [`CryptoError::RandomUnavailable`] without randomness; [`CryptoError::InputTooLong`] for a
    /// key longer than the padding allows (214 bytes at 2048 bits).
    pub fn encrypt_key<R: SecureRandom + ?Sized>(
        &self,
        algorithm: KeyTransportAlgorithm,
        key: &SecretKey,
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        if key.is_empty() {
            return Err(CryptoError::EmptyKey);
        }
        let mut adapter = RngAdapter(rng);
        match algorithm {
            KeyTransportAlgorithm::RsaOaepMgf1p => self
                .key
                .oaep_encrypt_with_rng::<sha1::Sha1, _>(&mut adapter, key.expose_secret())
                .map_err(|e| match e {
                    rsa::Error::Rng => CryptoError::RandomUnavailable,
                    _ => CryptoError::InputTooLong,
                }),
            KeyTransportAlgorithm::Rsa15 => self
                .key
                .pkcs1v15_encrypt_with_rng(&mut adapter, key.expose_secret())
                .map_err(|e| match e {
                    rsa::Error::Rng => CryptoError::RandomUnavailable,
                    _ => CryptoError::InputTooLong,
                }),
        }
    }
}

/// An RSA private key: wiped on drop, `Debug` shows only the size, never in an error.
pub struct RsaPrivateKey {
    key: rsa::PrivateKey,
    public: RsaPublicKey,
}

impl fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPrivateKey({} bits, redacted)", self.public.bits)
    }
}

impl RsaPrivateKey {
    fn from_key(key: rsa::PrivateKey) -> Result<Self> {
        key.validate()
            .map_err(|_| CryptoError::InvalidRsaKey("inconsistent private key"))?;
        let public_key = key.to_public_key();
        let bits = check_size(&public_key)?;
        Ok(Self {
            key,
            public: RsaPublicKey {
                key: public_key,
                bits,
            },
        })
    }

    /// Parses a DER PKCS#8 `PrivateKeyInfo` (RFC 5208) holding an RSA key (unencrypted).
    ///
    /// # Errors
    /// [`CryptoError::InvalidRsaKey`] or [`CryptoError::RsaKeyTooSmall`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let key = rsa::PrivateKey::from_pkcs8_der(der)
            .map_err(|_| CryptoError::InvalidRsaKey("not an RSA PKCS#8 key"))?;
        Self::from_key(key)
    }

    /// Parses a PEM `-----BEGIN PRIVATE KEY-----` block (what `openssl genpkey` writes).
    ///
    /// # Errors
    /// [`CryptoError::InvalidRsaKey`] or [`CryptoError::RsaKeyTooSmall`].
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self> {
        let key = rsa::PrivateKey::from_pkcs8_pem(pem)
            .map_err(|_| CryptoError::InvalidRsaKey("not an RSA PKCS#8 PEM key"))?;
        Self::from_key(key)
    }

    /// A fresh key of `bits` (at least [`MIN_RSA_BITS`]) with exponent 65537, from secret draws.
    /// Slow (about a second at 2048 bits in an optimized build, much more in a debug one).
    ///
    /// # Errors
    /// [`CryptoError::RsaKeyTooSmall`], [`CryptoError::InvalidRsaKey`] above [`MAX_RSA_BITS`],
    /// [`CryptoError::RandomUnavailable`].
    pub fn generate<R: SecureRandom + ?Sized>(bits: u32, rng: &mut R) -> Result<Self> {
        if bits < MIN_RSA_BITS {
            return Err(CryptoError::RsaKeyTooSmall {
                bits,
                min: MIN_RSA_BITS,
            });
        }
        if bits > MAX_RSA_BITS {
            return Err(CryptoError::InvalidRsaKey("modulus too large"));
        }
        let mut adapter = RngAdapter(rng);
        let key = rsa::PrivateKey::new(&mut adapter, bits as usize).map_err(|e| match e {
            rsa::Error::Rng => CryptoError::RandomUnavailable,
            _ => CryptoError::InvalidRsaKey("key generation failed"),
        })?;
        Self::from_key(key)
    }

    /// The DER PKCS#8 encoding (zeroized on drop), e.g. to write the key to a protected file.
    ///
    /// # Errors
    /// [`CryptoError::InvalidRsaKey`] if encoding fails.
    pub fn to_pkcs8_der(&self) -> Result<SecretKey> {
        use pkcs8::EncodePrivateKey as _;
        let doc = self
            .key
            .to_pkcs8_der()
            .map_err(|_| CryptoError::InvalidRsaKey("encoding failed"))?;
        Ok(SecretKey::from_slice(doc.as_bytes()))
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Signs `message` (hashed here), with blinding randomness from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::RandomUnavailable`]; [`CryptoError::InvalidRsaKey`] if the private
    /// operation fails.
    pub fn sign<R: SecureRandom + ?Sized>(
        &self,
        algorithm: RsaSignatureAlgorithm,
        message: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        let mut adapter = RngAdapter(rng);
        match algorithm {
            RsaSignatureAlgorithm::RsaSha256 => self
                .key
                .pkcs1v15_sign_with_rng::<sha2::Sha256, _>(&mut adapter, message)
                .map_err(|e| match e {
                    rsa::Error::Rng => CryptoError::RandomUnavailable,
                    _ => CryptoError::InvalidRsaKey("signing failed"),
                }),
        }
    }

    /// Decrypts a transported key (XML-Enc §5.4.2), with blinding randomness from `rng`.
    ///
    /// # Errors
    /// [`CryptoError::DecryptionFailed`] for every bad ciphertext (one opaque error: no OAEP
    /// padding oracle through our errors); [`CryptoError::RandomUnavailable`];
    /// [`CryptoError::UnsupportedAlgorithm`] for [`KeyTransportAlgorithm::Rsa15`], which only
    /// [`RsaPrivateKey::decrypt_key_expecting`] decrypts.
    pub fn decrypt_key<R: SecureRandom + ?Sized>(
        &self,
        algorithm: KeyTransportAlgorithm,
        ciphertext: &[u8],
        rng: &mut R,
    ) -> Result<SecretKey> {
        let mut adapter = RngAdapter(rng);
        let plain = match algorithm {
            KeyTransportAlgorithm::RsaOaepMgf1p => self
                .key
                .oaep_decrypt_with_rng::<sha1::Sha1, _>(&mut adapter, ciphertext)
                .map_err(|e| match e {
                    rsa::Error::Rng => CryptoError::RandomUnavailable,
                    _ => CryptoError::DecryptionFailed,
                })?,
            KeyTransportAlgorithm::Rsa15 => return Err(CryptoError::UnsupportedAlgorithm),
        };
        let key = SecretKey::from_vec(plain);
        if key.is_empty() {
            return Err(CryptoError::DecryptionFailed);
        }
        Ok(key)
    }

    /// Decrypts a transported key that must be `key_len` bytes long (the length the data
    /// encryption algorithm needs).
    ///
    /// With RSA-OAEP a wrong length is a [`CryptoError::DecryptionFailed`] like any bad
    /// ciphertext. With RSA PKCS#1 v1.5 nothing fails here: a random key of `key_len` bytes is
    /// drawn (secret stream) before the private-key operation and returned in place of a
    /// plaintext that is malformed or of another length, chosen without a data-dependent branch
    /// (implicit rejection; see the module docs).
    ///
    /// # Errors
    /// [`CryptoError::DecryptionFailed`] (OAEP only); [`CryptoError::RandomUnavailable`];
    /// [`CryptoError::EmptyKey`] for `key_len` 0.
    pub fn decrypt_key_expecting<R: SecureRandom + ?Sized>(
        &self,
        algorithm: KeyTransportAlgorithm,
        ciphertext: &[u8],
        key_len: usize,
        rng: &mut R,
    ) -> Result<SecretKey> {
        use subtle::{ConditionallySelectable as _, ConstantTimeEq as _};
        if key_len == 0 {
            return Err(CryptoError::EmptyKey);
        }
        match algorithm {
            KeyTransportAlgorithm::RsaOaepMgf1p => {
                let key = self.decrypt_key(algorithm, ciphertext, rng)?;
                if key.len() == key_len {
                    Ok(key)
                } else {
                    Err(CryptoError::DecryptionFailed)
                }
            }
            KeyTransportAlgorithm::Rsa15 => {
                let mut out = zeroize::Zeroizing::new(vec![0u8; key_len]);
                rng.fill_secret(&mut out)?;
                let mut adapter = RngAdapter(rng);
                let decrypted = self.key.pkcs1v15_decrypt_with_rng(&mut adapter, ciphertext);
                if let Err(rsa::Error::Rng) = decrypted {
                    return Err(CryptoError::RandomUnavailable);
                }
                let plain = zeroize::Zeroizing::new(decrypted.unwrap_or_default());
                // Take the plaintext only when it is exactly `key_len` bytes; otherwise keep
                // the random key. The choice is a mask, not a branch on the plaintext.
                let usable = plain.len().ct_eq(&key_len);
                for (i, byte) in out.iter_mut().enumerate() {
                    let candidate = plain.get(i).copied().unwrap_or(0);
                    byte.conditional_assign(&candidate, usable);
                }
                Ok(SecretKey::from_slice(&out))
            }
        }
    }
}

#[cfg(test)]
mod tests;
