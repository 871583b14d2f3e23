//! WS-SecurityPolicy algorithm suites (spec-facts §3.3 "DK sizes", §4 "Suites").

use wsrx_crypto::{BlockCipherAlgorithm, DigestAlgorithm, MacAlgorithm};

/// The symmetric algorithm suites of WS-SecurityPolicy 1.2 §6.1 used with SCTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlgorithmSuite {
    /// HMAC-SHA1, SHA-1 digests, AES-256-CBC; signature DK 24 bytes, encryption DK 32.
    Basic256,
    /// HMAC-SHA256, SHA-256 digests, AES-256-CBC; signature DK 24 bytes, encryption DK 32.
    Basic256Sha256,
    /// HMAC-SHA1, SHA-1 digests, AES-128-CBC; DKs of 16 bytes.
    Basic128,
}

impl AlgorithmSuite {
    /// The signature algorithm.
    pub fn mac(self) -> MacAlgorithm {
        match self {
            Self::Basic256 | Self::Basic128 => MacAlgorithm::HmacSha1,
            Self::Basic256Sha256 => MacAlgorithm::HmacSha256,
        }
    }

    /// The Reference digest algorithm.
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            Self::Basic256 | Self::Basic128 => DigestAlgorithm::Sha1,
            Self::Basic256Sha256 => DigestAlgorithm::Sha256,
        }
    }

    /// The data encryption algorithm.
    pub fn encryption(self) -> BlockCipherAlgorithm {
        match self {
            Self::Basic256 | Self::Basic256Sha256 => BlockCipherAlgorithm::Aes256Cbc,
            Self::Basic128 => BlockCipherAlgorithm::Aes128Cbc,
        }
    }

    /// Length of the signature derived key in bytes (P_SHA1-L192 / -L128).
    pub fn signature_key_len(self) -> u64 {
        match self {
            Self::Basic256 | Self::Basic256Sha256 => 24,
            Self::Basic128 => 16,
        }
    }

    /// Length of the encryption derived key in bytes (P_SHA1-L256 / -L128).
    pub fn encryption_key_len(self) -> u64 {
        match self {
            Self::Basic256 | Self::Basic256Sha256 => 32,
            Self::Basic128 => 16,
        }
    }
}
