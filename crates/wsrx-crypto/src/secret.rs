//! [`SecretKey`]: key bytes that wipe themselves and never print.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Secret key bytes: SCT secrets, derived keys, key-encryption keys.
///
/// - The bytes are zeroed when the value is dropped (each clone wipes its own copy).
/// - `Debug` prints only the length, e.g. `SecretKey(32 bytes, redacted)`; there is no `Display`.
/// - Equality is constant-time in the contents (the length is not treated as secret).
///
/// Reach the bytes only through [`SecretKey::expose_secret`], which is easy to grep for.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<Vec<u8>>);

impl SecretKey {
    /// Takes ownership of `bytes` without copying them.
    #[must_use]
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes` into a new key. The caller remains responsible for wiping its own copy.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }

    /// The key bytes. Keep the borrow short and never log it.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Key length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the key has no bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Zeroizing<Vec<u8>>> for SecretKey {
    fn from(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({} bytes, redacted)", self.0.len())
    }
}

impl ConstantTimeEq for SecretKey {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        // `[u8]::ct_eq` returns false at once for different lengths; lengths are not secret.
        self.0.as_slice().ct_eq(other.0.as_slice())
    }
}

impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SecretKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_length() {
        let key = SecretKey::from_slice(&[0xAB; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "SecretKey(32 bytes, redacted)");
        assert!(!shown.to_lowercase().contains("ab"));
        let nested = format!("{:?}", Some(&key));
        assert!(!nested.contains("171"), "decimal bytes leaked: {nested}");
    }

    #[test]
    fn equality_compares_contents_and_length() {
        let a = SecretKey::from_slice(b"0123456789abcdef");
        assert_eq!(a, SecretKey::from_vec(b"0123456789abcdef".to_vec()));
        assert_ne!(a, SecretKey::from_slice(b"0123456789abcdeF"));
        assert_ne!(a, SecretKey::from_slice(b"0123456789abcde"));
        assert!(bool::from(a.ct_eq(&a.clone())));
    }

    #[test]
    fn accessors_report_the_bytes() {
        let key = SecretKey::from_vec(vec![1, 2, 3]);
        assert_eq!(key.expose_secret(), &[1, 2, 3]);
        assert_eq!(key.len(), 3);
        assert!(!key.is_empty());
        assert!(SecretKey::from_slice(&[]).is_empty());
    }
}
