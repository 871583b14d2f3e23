//! Key-encryption keys (KEKs) for sealing rows: one active key that seals, and
//! older keys that still open (rotation).
//!
//! Formats: a key-ring file holds one key per line as 64 hex digits, the active
//! key first; `#` starts a comment. The file must not be readable by group or
//! others (mode `0600` or stricter), otherwise it is refused. The environment
//! variable named by the caller (the `wsrx` command uses `WSRX_KEYRING`) may hold
//! the same content with keys separated by commas or whitespace.

use std::path::Path;

use wsrx_crypto::{KeyId, SecretKey};
use zeroize::Zeroizing;

use crate::error::StoreError;

/// Length of a KEK in bytes (AES-256).
pub const KEK_LEN: usize = 32;

/// The keys the store seals and opens with.
pub struct KeyRing {
    /// The sealing key first, then keys that only open.
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
    pub fn new(active: SecretKey) -> Result<Self, StoreError> {
        Self::from_keys(vec![active])
    }

    /// A ring from keys, the first being the active one.
    pub fn from_keys(keys: Vec<SecretKey>) -> Result<Self, StoreError> {
        if keys.is_empty() {
            return Err(StoreError::KeyRing("no keys".into()));
        }
        if keys.iter().any(|k| k.len() != KEK_LEN) {
            return Err(StoreError::KeyRing(format!(
                "every key must be {KEK_LEN} bytes"
            )));
        }
        Ok(Self {
            keys: keys.into_iter().map(|k| (KeyId::of(&k), k)).collect(),
        })
    }

    /// Parses the text format (hex keys separated by newlines, commas or spaces;
    /// `#` comments).
    pub fn parse(text: &str) -> Result<Self, StoreError> {
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

    /// Loads a key-ring file, refusing one that group or others may read.
    pub fn from_file(path: &Path) -> Result<Self, StoreError> {
        check_private(path)?;
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| StoreError::KeyRing(format!("{}: {e}", path.display())))?,
        );
        Self::parse(&text)
    }

    /// Loads the ring from environment variable `name`.
    pub fn from_env(name: &str) -> Result<Self, StoreError> {
        let text = Zeroizing::new(
            std::env::var(name).map_err(|_| StoreError::KeyRing(format!("{name} is not set")))?,
        );
        Self::parse(&text)
    }

    /// The active key's id.
    pub fn active_id(&self) -> KeyId {
        self.keys
            .first()
            .map_or_else(|| KeyId::from_bytes([0; 8]), |(id, _)| *id)
    }

    pub(crate) fn active(&self) -> Option<&(KeyId, SecretKey)> {
        self.keys.first()
    }

    pub(crate) fn get(&self, id: &KeyId) -> Option<&SecretKey> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key)
    }

    /// The ids of all keys, active first.
    pub fn ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(|(id, _)| *id).collect()
    }
}

fn decode_hex(word: &str) -> Result<Vec<u8>, StoreError> {
    let bad = || StoreError::KeyRing("keys must be 64 hex digits".into());
    if !word.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..word.len())
        .step_by(2)
        .map(|i| {
            word.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| StoreError::KeyRing(format!("{}: {e}", path.display())))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(StoreError::KeyRing(format!(
            "{} is readable by group or others; run `chmod 600` on it",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}
