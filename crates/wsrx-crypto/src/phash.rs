//! `P_hash` key derivation (RFC 2246 §5) for WS-SecureConversation and WS-Trust.
//!
//! `A(0) = seed`, `A(i) = HMAC(secret, A(i-1))`, output
//! `HMAC(secret, A(1) || seed) || HMAC(secret, A(2) || seed) || …`, cut to `[offset .. offset + length]`.
//! No length prefixes, separators or MD5 half (spec-facts.md §3.3).
//!
//! Offsets and lengths come from peers (`wsc:Offset`, `wsc:Length`, `wsc:Generation`,
//! `wst:KeySize`), so the work is bounded before it starts: `offset + length` may not exceed
//! [`MAX_DERIVATION_BYTES`] and the seed may not exceed [`MAX_SEED_BYTES`]. Only the blocks that
//! overlap the requested range are computed (the `A(i)` chain still runs from the start).

use hmac::{Hmac, KeyInit, Mac as HmacTrait};
use zeroize::{Zeroize as _, Zeroizing};

use crate::{CryptoError, Result, SecretKey};

/// The largest `offset + length` a derivation may reach, in bytes (1 KiB: 32 generations of a
/// 32-byte key). Larger requests fail with [`CryptoError::DerivationTooLong`] without hashing.
pub const MAX_DERIVATION_BYTES: u64 = 1024;

/// The longest seed (label + nonce, or issuer entropy) accepted, in bytes.
pub const MAX_SEED_BYTES: usize = 1024;

/// The WS-SC default label: `WS-SecureConversation` written twice, 42 bytes, no separator.
pub const DEFAULT_LABEL: &[u8; 42] = b"WS-SecureConversationWS-SecureConversation";

/// WS-SC 1.3/1.4 (200512) `DerivedKeyToken/@Algorithm` for P_SHA1 (also the default).
pub const P_SHA1_URI_200512: &str =
    "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512/dk/p_sha1";
/// WS-SC February 2005 `DerivedKeyToken/@Algorithm` for P_SHA1.
pub const P_SHA1_URI_200502: &str = "http://schemas.xmlsoap.org/ws/2005/02/sc/dk/p_sha1";
/// WS-Trust 1.3 `ComputedKeyAlgorithm` / `ComputedKey` URI for P_SHA1.
pub const COMPUTED_KEY_PSHA1_URI_200512: &str =
    "http://docs.oasis-open.org/ws-sx/ws-trust/200512/CK/PSHA1";
/// WS-Trust February 2005 computed-key URI for P_SHA1.
pub const COMPUTED_KEY_PSHA1_URI_200502: &str =
    "http://schemas.xmlsoap.org/ws/2005/02/trust/CK/PSHA1";

/// The HMAC behind `P_hash`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PHashAlgorithm {
    /// P_SHA-1: the only one WS-SC defines.
    PSha1,
    /// P_SHA-256: not in WS-SC; only for a peer profile that asks for it (e.g. OPC UA style).
    PSha256,
}

impl PHashAlgorithm {
    /// The algorithm named by a WS-SC `DerivedKeyToken/@Algorithm` or WS-Trust computed-key URI
    /// (either version). There is no standard URI for P_SHA-256, so it is never returned.
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for any other URI.
    pub fn from_uri(uri: &str) -> Result<Self> {
        match uri {
            P_SHA1_URI_200512
            | P_SHA1_URI_200502
            | COMPUTED_KEY_PSHA1_URI_200512
            | COMPUTED_KEY_PSHA1_URI_200502 => Ok(Self::PSha1),
            _ => Err(CryptoError::UnsupportedAlgorithm),
        }
    }
}

/// `P_hash(secret, seed)[offset .. offset + length]`.
///
/// # Errors
/// [`CryptoError::DerivationTooLong`] if `offset + length` exceeds [`MAX_DERIVATION_BYTES`],
/// [`CryptoError::SeedTooLong`] past [`MAX_SEED_BYTES`], [`CryptoError::InvalidDerivedLength`]
/// for `length == 0`, [`CryptoError::EmptyKey`] for an empty secret.
pub fn p_hash(
    algorithm: PHashAlgorithm,
    secret: &[u8],
    seed: &[u8],
    offset: u64,
    length: u64,
) -> Result<SecretKey> {
    p_hash_parts(algorithm, secret, &[seed], offset, length)
}

/// A WS-SC `DerivedKeyToken` key: `P_SHA1(secret, label || nonce)[offset .. offset + length]`.
///
/// `label: None` uses [`DEFAULT_LABEL`] (a `wsc:Label` that was absent); an explicit label is used
/// as given, even if it is `WS-SecureConversation` once. For `wsc:Generation` g, pass
/// `offset = g × length` (the caller checks the multiplication).
///
/// # Errors
/// As [`p_hash`], the seed being label + nonce.
pub fn derive_key(
    secret: &SecretKey,
    label: Option<&[u8]>,
    nonce: &[u8],
    offset: u64,
    length: u64,
) -> Result<SecretKey> {
    let label = label.unwrap_or(DEFAULT_LABEL);
    p_hash_parts(
        PHashAlgorithm::PSha1,
        secret.expose_secret(),
        &[label, nonce],
        offset,
        length,
    )
}

/// The WS-Trust `CK/PSHA1` computed key:
/// `P_SHA1(secret = requester entropy, seed = issuer entropy)[0 .. key_size_bits / 8]`, no label.
///
/// The order matters: swapping the entropies gives a different key.
///
/// # Errors
/// [`CryptoError::InvalidDerivedLength`] if `key_size_bits` is zero or not a multiple of 8; as
/// [`p_hash`] otherwise.
pub fn computed_key(
    requester_entropy: &[u8],
    issuer_entropy: &[u8],
    key_size_bits: u64,
) -> Result<SecretKey> {
    if !key_size_bits.is_multiple_of(8) {
        return Err(CryptoError::InvalidDerivedLength);
    }
    p_hash(
        PHashAlgorithm::PSha1,
        requester_entropy,
        issuer_entropy,
        0,
        key_size_bits / 8,
    )
}

/// [`p_hash`] with the seed given as consecutive parts (avoids copying label || nonce).
fn p_hash_parts(
    algorithm: PHashAlgorithm,
    secret: &[u8],
    seed: &[&[u8]],
    offset: u64,
    length: u64,
) -> Result<SecretKey> {
    let end = offset.saturating_add(length);
    if end > MAX_DERIVATION_BYTES {
        return Err(CryptoError::DerivationTooLong {
            requested: end,
            limit: MAX_DERIVATION_BYTES,
        });
    }
    if length == 0 {
        return Err(CryptoError::InvalidDerivedLength);
    }
    let seed_len = seed
        .iter()
        .map(|p| p.len())
        .fold(0usize, usize::saturating_add);
    if seed_len > MAX_SEED_BYTES {
        return Err(CryptoError::SeedTooLong {
            len: seed_len,
            limit: MAX_SEED_BYTES,
        });
    }
    if secret.is_empty() {
        return Err(CryptoError::EmptyKey);
    }
    // Both fit in usize: end <= MAX_DERIVATION_BYTES.
    let (offset, end) = (to_usize(offset)?, to_usize(end)?);
    match algorithm {
        PHashAlgorithm::PSha1 => run::<Hmac<sha1::Sha1>>(secret, seed, offset, end),
        PHashAlgorithm::PSha256 => run::<Hmac<sha2::Sha256>>(secret, seed, offset, end),
    }
}

fn to_usize(n: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| CryptoError::DerivationTooLong {
        requested: n,
        limit: MAX_DERIVATION_BYTES,
    })
}

/// The `P_hash` loop over one HMAC type, producing stream bytes `[offset .. end]`.
fn run<M>(secret: &[u8], seed: &[&[u8]], offset: usize, end: usize) -> Result<SecretKey>
where
    M: HmacTrait + KeyInit + Clone,
{
    // Key once; each HMAC below starts from a clone of the keyed state.
    let keyed = <M as KeyInit>::new_from_slice(secret).map_err(|_| CryptoError::EmptyKey)?;
    let mut out = Zeroizing::new(Vec::with_capacity(end.saturating_sub(offset)));

    // A(1) = HMAC(secret, seed)
    let mut a = {
        let mut m = keyed.clone();
        for part in seed {
            m.update(part);
        }
        m.finalize().into_bytes()
    };
    let mut pos = 0usize; // stream position where block i starts
    while pos < end {
        let block_end = pos.saturating_add(a.len());
        if block_end > offset {
            // Block i = HMAC(secret, A(i) || seed); keep the part inside [offset, end).
            let mut m = keyed.clone();
            m.update(&a);
            for part in seed {
                m.update(part);
            }
            let mut block = m.finalize().into_bytes();
            let from = offset.saturating_sub(pos);
            let to = end.min(block_end) - pos;
            if let Some(wanted) = block.get(from..to) {
                out.extend_from_slice(wanted);
            }
            block.as_mut_slice().zeroize();
        }
        pos = block_end;
        if pos < end {
            // A(i+1) = HMAC(secret, A(i))
            let mut m = keyed.clone();
            m.update(&a);
            let mut next = m.finalize().into_bytes();
            core::mem::swap(&mut a, &mut next);
            next.as_mut_slice().zeroize();
        }
    }
    a.as_mut_slice().zeroize();
    Ok(SecretKey::from(out))
}

#[cfg(test)]
mod tests;
