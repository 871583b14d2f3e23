//! Loading key rings from files and the environment (the IO half; the ring itself
//! is [`wsrx_crypto::KeyRing`]).
//!
//! A key-ring file holds one key per line as 64 hex digits, the active key first;
//! `#` starts a comment. It must not be readable by group or others (mode `0600`
//! or stricter), otherwise it is refused. An environment variable (the `wsrx`
//! command uses `WSRX_KEYRING`) may hold the same content, keys separated by
//! commas or whitespace.

use std::path::Path;

use wsrx_crypto::KeyRing;
use zeroize::Zeroizing;

use crate::error::StoreError;

/// Length of a KEK in bytes (AES-256).
pub const KEK_LEN: usize = wsrx_crypto::KEK_LEN;

/// Loading a [`KeyRing`] from where operators keep it.
pub trait KeyRingSource: Sized {
    /// Loads a key-ring file, refusing one that group or others may read.
    fn from_file(path: &Path) -> Result<Self, StoreError>;
    /// Loads the ring from environment variable `name`.
    fn from_env(name: &str) -> Result<Self, StoreError>;
}

impl KeyRingSource for KeyRing {
    fn from_file(path: &Path) -> Result<Self, StoreError> {
        check_private(path)?;
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| StoreError::KeyRing(format!("{}: {e}", path.display())))?,
        );
        Self::parse(&text).map_err(|e| StoreError::KeyRing(format!("{}: {e}", path.display())))
    }

    fn from_env(name: &str) -> Result<Self, StoreError> {
        let text = Zeroizing::new(
            std::env::var(name).map_err(|_| StoreError::KeyRing(format!("{name} is not set")))?,
        );
        Self::parse(&text).map_err(|e| StoreError::KeyRing(format!("{name}: {e}")))
    }
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
