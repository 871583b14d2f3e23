//! Sealed serialization of an [`EstablishedSct`] for the persistent store (spec-facts §5:
//! "store the secret protected"; crates.md §3.6).
//!
//! Blob layout: `version (1 byte, 0x01) ‖ KeyId (8 bytes, clear) ‖ nonce (12) ‖
//! AES-256-GCM(ciphertext ‖ tag (16))`, with
//! `AAD = b"wsrx-sct-v1" ‖ identifier ‖ KeyId`, so a blob copied into another record (for
//! another identifier) does not open, and the key id in the clear picks the key of the
//! [`KeyRing`] so keys can rotate ([`rewrap`] moves a blob to the active key).
//!
//! Plaintext (all integers big-endian): `format (1 = 0x01) ‖ str identifier ‖ u8
//! has_instance ‖ [str instance] ‖ bytes secret ‖ i64 created_ms ‖ i64 expires_ms ‖ u8
//! ws-sc version (1 = 200512, 2 = 2005/02) ‖ str endpoint`, where `str`/`bytes` are a u16
//! length and the bytes. It is built and opened in zeroizing buffers.
//!
//! Errors are typed ([`SealError`]) and never contain key or secret bytes. Because the
//! identifier is only in the AAD, a blob opened for the wrong identifier cannot be told
//! apart from a modified one: both are [`SealError::Tampered`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wsrx_crypto::{CryptoError, KeyId, KeyRing, SEAL_OVERHEAD, SecretKey, SecureRandom};
use wsrx_security::ScVersion;

use crate::sct::EstablishedSct;

/// The blob format version.
pub const SEAL_VERSION: u8 = 1;
/// Domain tag at the start of the AAD.
pub const AAD_TAG: &[u8] = b"wsrx-sct-v1";
const HEADER_LEN: usize = 1 + 8;
const PLAIN_FORMAT: u8 = 1;

/// Why a blob did not open (or could not be made).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// Shorter than header, nonce and tag.
    #[error("sealed SCT record truncated")]
    Truncated,
    /// A version byte we do not know.
    #[error("unsupported sealed SCT record version {0}")]
    UnsupportedVersion(u8),
    /// The ring has no key with the blob's key id (retired, or another deployment's).
    #[error("no key {0} in the key ring")]
    UnknownKey(KeyId),
    /// Authentication failed: the blob was modified, or it belongs to another identifier.
    #[error("sealed SCT record failed authentication (tampered or for another identifier)")]
    Tampered,
    /// It opened but the plaintext is not a record we can read (a bug or a newer writer).
    #[error("sealed SCT record malformed")]
    Malformed,
    /// The record is too large to encode (a field over 65535 bytes).
    #[error("SCT record field too long to seal")]
    TooLong,
    /// The random source failed while sealing.
    #[error("randomness unavailable")]
    Random,
}

fn aad(identifier: &str, key: KeyId) -> Vec<u8> {
    let mut a = Vec::with_capacity(AAD_TAG.len() + identifier.len() + 8);
    a.extend_from_slice(AAD_TAG);
    a.extend_from_slice(identifier.as_bytes());
    a.extend_from_slice(&key.to_bytes());
    a
}

fn millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |m| -m),
    }
}

fn from_millis(ms: i64) -> Option<SystemTime> {
    let d = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    }
}

fn push_field(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), SealError> {
    let len = u16::try_from(bytes.len()).map_err(|_| SealError::TooLong)?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// The plaintext, in a buffer allocated at its final size and zeroized on drop.
fn encode(t: &EstablishedSct) -> Result<SecretKey, SealError> {
    let instance = t.instance.as_deref().map_or(0, str::len);
    let cap = 1
        + 2
        + t.identifier.len()
        + 1
        + 2
        + instance
        + 2
        + t.secret.len()
        + 16
        + 1
        + 2
        + t.endpoint.len();
    let mut out = Vec::with_capacity(cap);
    out.push(PLAIN_FORMAT);
    push_field(&mut out, t.identifier.as_bytes())?;
    match &t.instance {
        Some(i) => {
            out.push(1);
            push_field(&mut out, i.as_bytes())?;
        }
        None => out.push(0),
    }
    push_field(&mut out, t.secret.expose_secret())?;
    out.extend_from_slice(&millis(t.created).to_be_bytes());
    out.extend_from_slice(&millis(t.expires).to_be_bytes());
    out.push(match t.version {
        ScVersion::V200512 => 1,
        ScVersion::V200502 => 2,
    });
    push_field(&mut out, t.endpoint.as_bytes())?;
    Ok(SecretKey::from_vec(out))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }
    fn byte(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn field(&mut self) -> Option<&'a [u8]> {
        let len = u16::from_be_bytes(self.take(2)?.try_into().ok()?);
        self.take(usize::from(len))
    }
    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.field()?.to_vec()).ok()
    }
    fn time(&mut self) -> Option<SystemTime> {
        from_millis(i64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
}

fn decode(plain: &[u8]) -> Option<EstablishedSct> {
    let mut r = Reader(plain);
    if r.byte()? != PLAIN_FORMAT {
        return None;
    }
    let identifier = r.string()?;
    let instance = match r.byte()? {
        0 => None,
        1 => Some(r.string()?),
        _ => return None,
    };
    let secret = SecretKey::from_slice(r.field()?);
    let created = r.time()?;
    let expires = r.time()?;
    let version = match r.byte()? {
        1 => ScVersion::V200512,
        2 => ScVersion::V200502,
        _ => return None,
    };
    let endpoint = r.string()?;
    r.0.is_empty().then_some(EstablishedSct {
        identifier,
        instance,
        secret,
        created,
        expires,
        version,
        endpoint,
    })
}

/// The token in clear, in the layout a sealed blob carries inside: for a store that
/// seals its rows itself (the runtime's, whose associated data already binds the
/// identifier), so that there is one token layout. The result holds the secret: keep it
/// in the returned zeroizing key and seal it before it leaves the process.
///
/// # Errors
/// [`SealError::TooLong`] for a field over 65535 bytes.
pub fn to_plain(token: &EstablishedSct) -> Result<SecretKey, SealError> {
    encode(token)
}

/// Reads what [`to_plain`] wrote; `None` when `bytes` is not such a record.
pub fn from_plain(bytes: &[u8]) -> Option<EstablishedSct> {
    decode(bytes)
}

/// Seals `token` under the ring's active key.
///
/// # Errors
/// [`SealError::TooLong`] for a field over 65535 bytes; [`SealError::Random`].
pub fn seal<R: SecureRandom + ?Sized>(
    token: &EstablishedSct,
    ring: &KeyRing,
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    let (id, kek) = ring.active();
    let plain = encode(token)?;
    let body = wsrx_crypto::seal(kek, rng, &aad(&token.identifier, id), plain.expose_secret())
        .map_err(|e| match e {
            CryptoError::RandomUnavailable => SealError::Random,
            _ => SealError::TooLong,
        })?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(SEAL_VERSION);
    out.extend_from_slice(&id.to_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// The key id a blob was sealed under (to find blobs still under a retiring key).
///
/// # Errors
/// [`SealError::Truncated`], [`SealError::UnsupportedVersion`].
pub fn key_id_of(bytes: &[u8]) -> Result<KeyId, SealError> {
    let (header, body) = bytes
        .split_at_checked(HEADER_LEN)
        .ok_or(SealError::Truncated)?;
    let (version, id) = header.split_first().ok_or(SealError::Truncated)?;
    if *version != SEAL_VERSION {
        return Err(SealError::UnsupportedVersion(*version));
    }
    if body.len() < SEAL_OVERHEAD {
        return Err(SealError::Truncated);
    }
    let id: [u8; 8] = id.try_into().map_err(|_| SealError::Truncated)?;
    Ok(KeyId::from_bytes(id))
}

/// Opens a blob for the record of `expected_identifier`.
///
/// # Errors
/// [`SealError`]: truncated, unknown version, unknown key id, tampered (or another
/// identifier's blob), malformed plaintext.
pub fn unseal(
    bytes: &[u8],
    ring: &KeyRing,
    expected_identifier: &str,
) -> Result<EstablishedSct, SealError> {
    let id = key_id_of(bytes)?;
    let kek = ring.get(&id).ok_or(SealError::UnknownKey(id))?;
    let body = bytes.get(HEADER_LEN..).ok_or(SealError::Truncated)?;
    let plain =
        wsrx_crypto::open(kek, &aad(expected_identifier, id), body).map_err(|e| match e {
            CryptoError::SealedBlobTooShort { .. } => SealError::Truncated,
            _ => SealError::Tampered,
        })?;
    let token = decode(&plain).ok_or(SealError::Malformed)?;
    if token.identifier != expected_identifier {
        return Err(SealError::Malformed);
    }
    Ok(token)
}

/// Re-seals a blob under the ring's active key (after a rotation); blobs already under
/// the active key are re-sealed too, with a fresh nonce.
///
/// # Errors
/// As [`unseal`] and [`seal`].
pub fn rewrap<R: SecureRandom + ?Sized>(
    bytes: &[u8],
    ring: &KeyRing,
    identifier: &str,
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    seal(&unseal(bytes, ring, identifier)?, ring, rng)
}
