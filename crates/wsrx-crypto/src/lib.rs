//! Cryptographic primitives for wsrx, behind small, misuse-resistant types.
//!
//! This is layer 0 of the workspace (house-style.md §1.2): it depends on no other wsrx crate and
//! knows nothing about XML. Every higher layer gets its cryptography from here, so the choice of
//! backend (RustCrypto by default) and the only read of OS randomness live in one place.
//!
//! What it does:
//! - [`SecretKey`]: zeroizing key bytes with a redacted `Debug` and constant-time equality, used
//!   for SCT secrets, derived keys and key-encryption keys.
//! - [`DigestAlgorithm`] / [`Digester`] and [`MacAlgorithm`] / [`Mac`]: SHA-1, SHA-256,
//!   HMAC-SHA1 and HMAC-SHA256 as streaming sinks (they also implement [`std::io::Write`]), with
//!   the XML-DSig algorithm URIs and a truncation policy against CVE-2009-0217.
//! - [`p_hash`], [`derive_key`], [`computed_key`]: the TLS 1.0 `P_hash` (RFC 2246 §5) used by
//!   WS-SecureConversation derived keys and the WS-Trust `CK/PSHA1` computed key, with a hard cap
//!   on how much output a peer can ask for.
//! - [`BlockCipherAlgorithm`]: AES-CBC and Triple DES CBC with XML-Enc padding and AES-GCM, in
//!   the XML-Enc `CipherValue` layout, with one opaque error for every decryption failure
//!   (Triple DES only where the caller allows the legacy algorithm).
//! - [`KeyWrapAlgorithm`]: AES key wrap (RFC 3394) and the CMS Triple DES key wrap (RFC 3217),
//!   the `[Sym KW]` of the WS-SecurityPolicy suites.
//! - [`seal`] / [`open`], [`KeyId`] and [`KeyRing`]: AES-256-GCM sealing of secrets at rest
//!   under rotating key-encryption keys.
//! - [`RsaPrivateKey`] / [`RsaPublicKey`]: RSASSA-PKCS1-v1_5 with SHA-256 signatures
//!   ([`RsaSignatureAlgorithm`]) and RSA-OAEP-MGF1P key transport ([`KeyTransportAlgorithm`],
//!   XML-Enc §5.4.2) for the X.509 bootstrap, and RSA PKCS#1 v1.5 key transport (§5.4.1, the
//!   `[Asym KW]` of the Rsa15 suites) only where the caller allows it, with implicit rejection;
//!   keys of 2048 to 8192 bits, private keys wiped and redacted.
//! - [`SecureRandom`]: randomness as an input, split into wire-visible ([`SecureRandom::fill_nonce`])
//!   and secret ([`SecureRandom::fill_secret`]) draws; [`OsRandom`] for production and
//!   [`InsecureSeededRandom`] for tests and simulation.
//!
//! What it does not do: parse or write XML, canonicalize, resolve tokens, decide policy (which
//! algorithms a message may use, which key may sign what), RSA-SHA1 or PSS signatures, or store
//! anything. It never reads the clock. Errors ([`CryptoError`]) never carry key material.
#![forbid(unsafe_code)]

pub mod base64;
mod cipher;
mod digest;
mod error;
mod keyring;
mod keywrap;
mod mac;
mod output;
mod phash;
mod random;
mod rsa;
mod seal;
mod secret;

pub use cipher::BlockCipherAlgorithm;
pub use digest::{DigestAlgorithm, DigestValue, Digester};
pub use error::CryptoError;
pub use keyring::KeyRing;
pub use keywrap::KeyWrapAlgorithm;
pub use mac::{Mac, MacAlgorithm, MacValue};
pub use output::MAX_DIGEST_LEN;
pub use phash::{
    COMPUTED_KEY_PSHA1_URI_200502, COMPUTED_KEY_PSHA1_URI_200512, DEFAULT_LABEL,
    MAX_DERIVATION_BYTES, MAX_SEED_BYTES, P_SHA1_URI_200502, P_SHA1_URI_200512, PHashAlgorithm,
    computed_key, derive_key, p_hash,
};
pub use random::{InsecureSeededRandom, OsRandom, SecureRandom};
pub use rsa::{
    KeyTransportAlgorithm, MAX_RSA_BITS, MIN_RSA_BITS, RsaPrivateKey, RsaPublicKey,
    RsaSignatureAlgorithm,
};
pub use seal::{KEK_LEN, KeyId, SEAL_NONCE_LEN, SEAL_OVERHEAD, SEAL_TAG_LEN, open, seal};
pub use secret::SecretKey;

/// Shorthand for results of this crate.
pub type Result<T, E = CryptoError> = core::result::Result<T, E>;
