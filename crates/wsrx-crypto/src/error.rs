//! The crate's single error type.

/// Everything that can go wrong in `wsrx-crypto`.
///
/// Messages name the operation and, where useful, lengths; they never contain key bytes,
/// plaintext or MAC values. Every decryption failure (bad length, bad XML-Enc padding, bad GCM
/// tag) is the same [`CryptoError::DecryptionFailed`], so a peer cannot tell them apart (no
/// padding oracle through our errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A key ring that cannot be used (empty, wrong key size, not hex).
    #[error("invalid key ring: {0}")]
    InvalidKeyRing(&'static str),

    /// An algorithm URI this crate does not implement.
    #[error("unsupported algorithm URI")]
    UnsupportedAlgorithm,

    /// A key of the wrong size for the algorithm.
    #[error("{algorithm} needs a {expected}-byte key, got {actual} bytes")]
    InvalidKeyLength {
        /// Algorithm name.
        algorithm: &'static str,
        /// Required key length in bytes.
        expected: usize,
        /// Length that was given.
        actual: usize,
    },

    /// An empty key or secret where one is required (always an upstream bug).
    #[error("empty key or secret")]
    EmptyKey,

    /// A key derivation asked for more than [`crate::MAX_DERIVATION_BYTES`] of output
    /// (offset + length), refused before any work is done.
    #[error("key derivation up to byte {requested} exceeds the limit of {limit} bytes")]
    DerivationTooLong {
        /// Offset + length asked for (saturating).
        requested: u64,
        /// The limit.
        limit: u64,
    },

    /// A key derivation seed (label + nonce) longer than [`crate::MAX_SEED_BYTES`].
    #[error("key derivation seed of {len} bytes exceeds the limit of {limit} bytes")]
    SeedTooLong {
        /// Seed length given.
        len: usize,
        /// The limit.
        limit: usize,
    },

    /// A derived or computed key length of zero, or a key size in bits that is not a multiple of 8.
    #[error("derived key length must be a positive whole number of bytes")]
    InvalidDerivedLength,

    /// A MAC output length (`HMACOutputLength` or a received value) below the algorithm minimum.
    #[error("MAC output of {bits} bits is below the minimum of {min_bits} bits for {algorithm}")]
    MacTooShort {
        /// Algorithm name.
        algorithm: &'static str,
        /// Length given, in bits.
        bits: u64,
        /// Minimum accepted, in bits.
        min_bits: u64,
    },

    /// A MAC output length longer than the algorithm produces or not a whole number of bytes.
    #[error("MAC output length of {bits} bits is not valid for {algorithm}")]
    InvalidMacLength {
        /// Algorithm name.
        algorithm: &'static str,
        /// Length given, in bits.
        bits: u64,
    },

    /// A key that a key wrap algorithm cannot wrap (not a whole number of 64-bit blocks, or
    /// too short).
    #[error("{algorithm} cannot wrap a key of {len} bytes")]
    KeyToWrapLength {
        /// Algorithm name.
        algorithm: &'static str,
        /// Length of the key given.
        len: usize,
    },

    /// A MAC did not match.
    #[error("MAC verification failed")]
    MacMismatch,

    /// Decryption failed: wrong length, bad padding or bad authentication tag (deliberately one
    /// variant for all three).
    #[error("decryption failed")]
    DecryptionFailed,

    /// A sealed blob shorter than nonce + tag: it was truncated or is not a sealed blob.
    #[error("sealed blob of {len} bytes is shorter than the minimum of {min} bytes")]
    SealedBlobTooShort {
        /// Length given.
        len: usize,
        /// Minimum (nonce + tag).
        min: usize,
    },

    /// A plaintext or associated data too long for the cipher.
    #[error("input too long for the cipher")]
    InputTooLong,

    /// A key id that is not 16 lowercase or uppercase hex digits.
    #[error("key id must be 16 hex digits")]
    InvalidKeyId,

    /// An RSA signature did not verify (any reason, wrong length included).
    #[error("signature verification failed")]
    SignatureMismatch,

    /// An RSA key that cannot be parsed or used (the text names the problem, never the key).
    #[error("invalid RSA key: {0}")]
    InvalidRsaKey(&'static str),

    /// An RSA modulus below the minimum size.
    #[error("RSA key of {bits} bits is below the minimum of {min} bits")]
    RsaKeyTooSmall {
        /// Modulus size given, in bits.
        bits: u32,
        /// The minimum.
        min: u32,
    },

    /// The operating system's random number generator failed.
    #[error("operating system randomness unavailable")]
    RandomUnavailable,
}
