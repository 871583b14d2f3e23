//! Key-encryption keys (KEKs) for sealing secrets at rest: one active key that
//! seals, and older keys that still open, so keys can rotate (old blobs open, new
//! blobs use the new key, a rewrap moves old blobs over).
//!
//! Text format (what key-ring files and environment variables hold, loaded by the
//! IO layers): keys as 64 hex digits separated by newlines, commas or spaces, the
//! active key first; `#` starts a comment.

use crate::error::CryptoError;
use crate::seal::{KEK_LEN, KeyId};
use crate::secret::SecretKey;

/// The keys that seal (the first) and open (all of them).
pub struct KeyRing {
    keys: Vec<(KeyId, SecretKey)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<String> = self.keys.iter().map(|(id, _)| id.to_string()).collect();
        write!(f, "KeyRing(active first: {ids:?})")
    }
}

impl KeyRing {
    /// A ring with one active key.
    pub fn new(active: SecretKey) -> Result<Self, CryptoError> {
        Self::from_keys(vec![active])
    }

    /// A ring from keys, the first being the active one.
    pub fn from_keys(keys: Vec<SecretKey>) -> Result<Self, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::InvalidKeyRing("no keys"));
        }
        if keys.iter().any(|k| k.len() != KEK_LEN) {
            return Err(CryptoError::InvalidKeyRing("every key must be 32 bytes"));
        }
        Ok(Self {
            keys: keys.into_iter().map(|k| (KeyId::of(&k), k)).collect(),
        })
    }

    /// Parses the text format.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let mut keys = Vec::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            for word in line
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|w| !w.is_empty())
            {
                keys.push(SecretKey::from_vec(decode_hex(word)?));
            }
        }
        Self::from_keys(keys)
    }

    /// The active (sealing) key and its id.
    pub fn active(&self) -> (KeyId, &SecretKey) {
        // `from_keys` guarantees at least one key; the fallback is unreachable.
        self.keys.first().map_or_else(
            || (KeyId::from_bytes([0; 8]), EMPTY.get_or_init(empty_key)),
            |(id, k)| (*id, k),
        )
    }

    /// The key with this id, if the ring has it.
    pub fn get(&self, id: &KeyId) -> Option<&SecretKey> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key)
    }

    /// The ids of all keys, active first.
    pub fn ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(|(id, _)| *id).collect()
    }
}

static EMPTY: std::sync::OnceLock<SecretKey> = std::sync::OnceLock::new();

fn empty_key() -> SecretKey {
    SecretKey::from_vec(vec![0; KEK_LEN])
}

fn decode_hex(word: &str) -> Result<Vec<u8>, CryptoError> {
    let bad = CryptoError::InvalidKeyRing("keys must be 64 hex digits");
    if !word.len().is_multiple_of(2) {
        return Err(bad);
    }
    (0..word.len())
        .step_by(2)
        .map(|i| {
            word.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(CryptoError::InvalidKeyRing("keys must be 64 hex digits"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_keys_active_first_and_refuses_bad_input() {
        let a = "11".repeat(32);
        let b = "22".repeat(32);
        let ring = KeyRing::parse(&format!("# comment\n{a}\n{b} # old\n")).unwrap();
        let ids = ring.ids();
        assert_eq!(ids.len(), 2);
        assert_eq!(ring.active().0, ids[0]);
        assert_eq!(ring.active().1.expose_secret(), &[0x11; 32][..]);
        assert!(ring.get(&ids[1]).is_some());
        assert_eq!(KeyRing::parse(&format!("{a},{b}")).unwrap().ids(), ids);
        for bad in ["", "# nothing", "xyz", &"1".repeat(63), &"11".repeat(16)] {
            assert!(KeyRing::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{ring:?}").contains(&a));
    }
}
