//! Storage shared by [`crate::DigestValue`] and [`crate::MacValue`]: a hash or MAC
//! output held inline (no heap), compared in constant time. A leaf module: it imports no
//! other module of the crate (`digest` and `mac` build on it).

use subtle::ConstantTimeEq;

/// The longest digest this crate produces (SHA-256), in bytes.
pub const MAX_DIGEST_LEN: usize = 32;

/// At most [`MAX_DIGEST_LEN`] output bytes.
#[derive(Clone, Copy)]
pub(crate) struct FixedOutput {
    bytes: [u8; MAX_DIGEST_LEN],
    len: u8,
}

impl FixedOutput {
    /// Copies a hash output (longer input is cut, which cannot happen for the
    /// algorithms of this crate).
    pub(crate) fn new(out: &[u8]) -> Self {
        let mut bytes = [0u8; MAX_DIGEST_LEN];
        let len = out.len().min(MAX_DIGEST_LEN);
        if let (Some(dst), Some(src)) = (bytes.get_mut(..len), out.get(..len)) {
            dst.copy_from_slice(src);
        }
        // `len` is at most 32.
        Self {
            bytes,
            len: u8::try_from(len).unwrap_or(u8::MAX),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Constant-time equality with `other`.
    pub(crate) fn matches(&self, other: &[u8]) -> bool {
        self.as_bytes().ct_eq(other).into()
    }

    /// `Name(hex)`, for `Debug`.
    pub(crate) fn fmt_named(
        &self,
        name: &str,
        f: &mut std::fmt::Formatter<'_>,
    ) -> std::fmt::Result {
        f.write_str(name)?;
        f.write_str("(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}
