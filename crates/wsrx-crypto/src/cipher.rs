//! XML-Enc block encryption: AES-CBC and Triple DES CBC with XML-Enc padding, and AES-GCM.
//!
//! Layouts are those of an XML-Enc `CipherValue` (after base64 decoding):
//! - CBC: `IV || ciphertext` (IV of one block: 16 bytes for AES, 8 for Triple DES), the
//!   plaintext padded to whole blocks with `n` bytes (`1 ≤ n ≤ block length`) whose last byte is
//!   `n` and whose other bytes are arbitrary (XML-Enc §5.2). We write random filler (as xmlsec1
//!   does) and on decryption check only the last byte, never the filler: a PKCS#7-strict check
//!   would refuse conforming peers (crates.md §3.3).
//! - GCM: `IV (12) || ciphertext || tag (16)`, no associated data.
//!
//! Triple DES (`xmlenc#tripledes-cbc`, XML-Enc §5.2.1; the TripleDes* suites of WS-SP 1.2 §6.1)
//! is legacy: [`BlockCipherAlgorithm::from_uri`] does not name it, so a peer cannot select it
//! unless the caller allows it with [`BlockCipherAlgorithm::from_uri_allowing`] (the suite in
//! force is a TripleDes one).
//!
//! Every decryption failure (short or misaligned input, bad padding byte, bad GCM tag) is the
//! same [`CryptoError::DecryptionFailed`]. AES-CBC without a MAC remains malleable: callers must
//! only decrypt CBC content whose integrity a signature already covers, and must map any later
//! parse failure of the plaintext to the same fault as a decryption failure.

mod cbc;
mod gcm;

pub(crate) use cbc::{decrypt_raw as cbc_decrypt_raw, encrypt_raw as cbc_encrypt_raw};

use zeroize::Zeroizing;

use crate::{CryptoError, Result, SecretKey, SecureRandom};

pub(crate) use gcm::{GCM_NONCE_LEN, GCM_TAG_LEN, open as gcm_open, seal as gcm_seal};

/// Key size of an AES variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AesKeySize {
    Aes128,
    Aes192,
    Aes256,
}

impl AesKeySize {
    const fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }
}

/// How an algorithm encrypts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Cbc(CbcCipher),
    Gcm(AesKeySize),
}

/// The block cipher under a CBC mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CbcCipher {
    Aes(AesKeySize),
    TripleDes,
}

/// An XML-Enc `EncryptionMethod` for content (block encryption).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BlockCipherAlgorithm {
    /// AES-128-CBC, `xenc#aes128-cbc`.
    Aes128Cbc,
    /// AES-192-CBC, `xenc#aes192-cbc`.
    Aes192Cbc,
    /// AES-256-CBC, `xenc#aes256-cbc` (WCF Basic256).
    Aes256Cbc,
    /// AES-128-GCM, `xenc11#aes128-gcm`.
    Aes128Gcm,
    /// AES-192-GCM, `xenc11#aes192-gcm`.
    Aes192Gcm,
    /// AES-256-GCM, `xenc11#aes256-gcm`.
    Aes256Gcm,
    /// Triple DES (EDE, three keys) CBC, `xenc#tripledes-cbc` (legacy; see the module docs).
    TripleDesCbc,
}

impl BlockCipherAlgorithm {
    /// `http://www.w3.org/2001/04/xmlenc#aes128-cbc`
    pub const AES128_CBC_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
    /// `http://www.w3.org/2001/04/xmlenc#aes192-cbc`
    pub const AES192_CBC_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#aes192-cbc";
    /// `http://www.w3.org/2001/04/xmlenc#aes256-cbc`
    pub const AES256_CBC_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
    /// `http://www.w3.org/2009/xmlenc11#aes128-gcm`
    pub const AES128_GCM_URI: &'static str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
    /// `http://www.w3.org/2009/xmlenc11#aes192-gcm`
    pub const AES192_GCM_URI: &'static str = "http://www.w3.org/2009/xmlenc11#aes192-gcm";
    /// `http://www.w3.org/2009/xmlenc11#aes256-gcm`
    pub const AES256_GCM_URI: &'static str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
    /// `http://www.w3.org/2001/04/xmlenc#tripledes-cbc`
    pub const TRIPLEDES_CBC_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc";

    /// Every AES algorithm: those [`BlockCipherAlgorithm::from_uri`] accepts.
    pub const ALL: [Self; 6] = [
        Self::Aes128Cbc,
        Self::Aes192Cbc,
        Self::Aes256Cbc,
        Self::Aes128Gcm,
        Self::Aes192Gcm,
        Self::Aes256Gcm,
    ];

    /// Legacy algorithms, named by [`BlockCipherAlgorithm::from_uri_allowing`] only.
    pub const LEGACY: [Self; 1] = [Self::TripleDesCbc];

    /// The algorithm named by an `EncryptionMethod/@Algorithm` URI (compared exactly), among
    /// [`BlockCipherAlgorithm::ALL`].
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for any other URI, `tripledes-cbc` included.
    pub fn from_uri(uri: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.uri() == uri)
            .ok_or(CryptoError::UnsupportedAlgorithm)
    }

    /// As [`BlockCipherAlgorithm::from_uri`], and also the legacy algorithms in `allowed`
    /// (for example Triple DES when a TripleDes suite is in force).
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for any other URI.
    pub fn from_uri_allowing(uri: &str, allowed: &[Self]) -> Result<Self> {
        Self::from_uri(uri).or_else(|_| {
            allowed
                .iter()
                .copied()
                .find(|alg| alg.uri() == uri)
                .ok_or(CryptoError::UnsupportedAlgorithm)
        })
    }

    /// The algorithm's URI.
    #[must_use]
    pub const fn uri(self) -> &'static str {
        match self {
            Self::Aes128Cbc => Self::AES128_CBC_URI,
            Self::Aes192Cbc => Self::AES192_CBC_URI,
            Self::Aes256Cbc => Self::AES256_CBC_URI,
            Self::Aes128Gcm => Self::AES128_GCM_URI,
            Self::Aes192Gcm => Self::AES192_GCM_URI,
            Self::Aes256Gcm => Self::AES256_GCM_URI,
            Self::TripleDesCbc => Self::TRIPLEDES_CBC_URI,
        }
    }

    /// A short name for messages.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Aes128Cbc => "AES-128-CBC",
            Self::Aes192Cbc => "AES-192-CBC",
            Self::Aes256Cbc => "AES-256-CBC",
            Self::Aes128Gcm => "AES-128-GCM",
            Self::Aes192Gcm => "AES-192-GCM",
            Self::Aes256Gcm => "AES-256-GCM",
            Self::TripleDesCbc => "3DES-CBC",
        }
    }

    /// Key length in bytes (24 for Triple DES: three 8-byte DES keys with parity bits).
    #[must_use]
    pub const fn key_len(self) -> usize {
        match self.mode() {
            Mode::Cbc(CbcCipher::TripleDes) => 24,
            Mode::Cbc(CbcCipher::Aes(size)) | Mode::Gcm(size) => size.key_len(),
        }
    }

    /// IV length in bytes (16 for AES-CBC, 8 for 3DES-CBC, 12 for GCM).
    #[must_use]
    pub const fn iv_len(self) -> usize {
        match self.mode() {
            Mode::Cbc(c) => c.block_len(),
            Mode::Gcm(_) => GCM_NONCE_LEN,
        }
    }

    /// Whether the mode authenticates the ciphertext (GCM) or not (CBC).
    #[must_use]
    pub const fn is_authenticated(self) -> bool {
        matches!(self, Self::Aes128Gcm | Self::Aes192Gcm | Self::Aes256Gcm)
    }

    const fn mode(self) -> Mode {
        match self {
            Self::Aes128Cbc => Mode::Cbc(CbcCipher::Aes(AesKeySize::Aes128)),
            Self::Aes192Cbc => Mode::Cbc(CbcCipher::Aes(AesKeySize::Aes192)),
            Self::Aes256Cbc => Mode::Cbc(CbcCipher::Aes(AesKeySize::Aes256)),
            Self::TripleDesCbc => Mode::Cbc(CbcCipher::TripleDes),
            Self::Aes128Gcm => Mode::Gcm(AesKeySize::Aes128),
            Self::Aes192Gcm => Mode::Gcm(AesKeySize::Aes192),
            Self::Aes256Gcm => Mode::Gcm(AesKeySize::Aes256),
        }
    }

    /// Encrypts `plaintext` into the `CipherValue` layout, drawing the IV (and CBC padding filler)
    /// from `rng`'s wire-visible stream.
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`] for a key of the wrong size;
    /// [`CryptoError::RandomUnavailable`]; [`CryptoError::InputTooLong`] past the GCM limit.
    pub fn encrypt<R: SecureRandom + ?Sized>(
        self,
        key: &SecretKey,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        self.check_key(key)?;
        match self.mode() {
            Mode::Gcm(size) => {
                let mut nonce = [0u8; GCM_NONCE_LEN];
                rng.fill_nonce(&mut nonce)?;
                gcm::seal(size, key.expose_secret(), &nonce, &[], plaintext)
            }
            Mode::Cbc(cipher) => cbc::encrypt(cipher, key.expose_secret(), rng, plaintext),
        }
    }

    /// Decrypts a `CipherValue` (already base64-decoded).
    ///
    /// # Errors
    /// [`CryptoError::InvalidKeyLength`] for a key of the wrong size (a local configuration
    /// error); [`CryptoError::DecryptionFailed`] for anything wrong with `data`.
    pub fn decrypt(self, key: &SecretKey, data: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.check_key(key)?;
        match self.mode() {
            Mode::Gcm(size) => gcm::open(size, key.expose_secret(), &[], data),
            Mode::Cbc(cipher) => cbc::decrypt(cipher, key.expose_secret(), data),
        }
    }

    fn check_key(self, key: &SecretKey) -> Result<()> {
        if key.len() == self.key_len() {
            Ok(())
        } else {
            Err(CryptoError::InvalidKeyLength {
                algorithm: self.name(),
                expected: self.key_len(),
                actual: key.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests;
