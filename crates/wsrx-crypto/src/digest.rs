//! Message digests (SHA-1, SHA-256) as streaming sinks.

use core::fmt;

use sha1::Digest as _;

use crate::output::FixedOutput;
use crate::{CryptoError, Result};

/// A digest algorithm of XML-DSig `DigestMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-1 (20 bytes). Legacy, but what WCF's Basic256 suites and most WS-SC peers use.
    Sha1,
    /// SHA-256 (32 bytes).
    Sha256,
}

impl DigestAlgorithm {
    /// `http://www.w3.org/2000/09/xmldsig#sha1`
    pub const SHA1_URI: &'static str = "http://www.w3.org/2000/09/xmldsig#sha1";
    /// `http://www.w3.org/2001/04/xmlenc#sha256`
    pub const SHA256_URI: &'static str = "http://www.w3.org/2001/04/xmlenc#sha256";

    /// The algorithm named by an XML-DSig `DigestMethod/@Algorithm` URI (compared exactly).
    ///
    /// # Errors
    /// [`CryptoError::UnsupportedAlgorithm`] for any other URI.
    pub fn from_uri(uri: &str) -> Result<Self> {
        match uri {
            Self::SHA1_URI => Ok(Self::Sha1),
            Self::SHA256_URI => Ok(Self::Sha256),
            _ => Err(CryptoError::UnsupportedAlgorithm),
        }
    }

    /// The algorithm's URI.
    #[must_use]
    pub const fn uri(self) -> &'static str {
        match self {
            Self::Sha1 => Self::SHA1_URI,
            Self::Sha256 => Self::SHA256_URI,
        }
    }

    /// A short name for messages (`"SHA-1"`, `"SHA-256"`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
        }
    }

    /// Output length in bytes.
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// A fresh streaming digester.
    #[must_use]
    pub fn digester(self) -> Digester {
        Digester::new(self)
    }

    /// One-shot digest of `data`.
    #[must_use]
    pub fn digest(self, data: &[u8]) -> DigestValue {
        let mut d = self.digester();
        d.update(data);
        d.finish()
    }
}

/// A streaming digest: feed bytes with [`Digester::update`] (or [`std::io::Write`]), then
/// [`Digester::finish`]. Does not allocate.
#[derive(Clone)]
pub struct Digester {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Digester {
    /// A fresh digester for `algorithm`.
    #[must_use]
    pub fn new(algorithm: DigestAlgorithm) -> Self {
        let inner = match algorithm {
            DigestAlgorithm::Sha1 => Inner::Sha1(sha1::Sha1::new()),
            DigestAlgorithm::Sha256 => Inner::Sha256(sha2::Sha256::new()),
        };
        Self { inner }
    }

    /// The algorithm this digester computes.
    #[must_use]
    pub fn algorithm(&self) -> DigestAlgorithm {
        match self.inner {
            Inner::Sha1(_) => DigestAlgorithm::Sha1,
            Inner::Sha256(_) => DigestAlgorithm::Sha256,
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.inner {
            Inner::Sha1(h) => h.update(data),
            Inner::Sha256(h) => h.update(data),
        }
    }

    /// Finishes and returns the digest.
    #[must_use]
    pub fn finish(self) -> DigestValue {
        match self.inner {
            Inner::Sha1(h) => DigestValue::from_output(&h.finalize()),
            Inner::Sha256(h) => DigestValue::from_output(&h.finalize()),
        }
    }
}

impl fmt::Debug for Digester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Digester")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl std::io::Write for Digester {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A digest output: a small fixed array, no heap. Equality is constant-time.
#[derive(Clone, Copy)]
pub struct DigestValue(FixedOutput);

impl DigestValue {
    fn from_output(out: &[u8]) -> Self {
        Self(FixedOutput::new(out))
    }

    /// The digest bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Constant-time comparison with a received value (e.g. a decoded `DigestValue`).
    #[must_use]
    pub fn matches(&self, received: &[u8]) -> bool {
        self.0.matches(received)
    }
}

impl AsRef<[u8]> for DigestValue {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for DigestValue {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other.as_bytes())
    }
}

impl Eq for DigestValue {}

impl fmt::Debug for DigestValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_named("DigestValue", f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        for alg in [DigestAlgorithm::Sha1, DigestAlgorithm::Sha256] {
            assert_eq!(DigestAlgorithm::from_uri(alg.uri()), Ok(alg));
            assert_eq!(alg.digest(b"").as_bytes().len(), alg.output_len());
        }
        assert_eq!(
            DigestAlgorithm::from_uri("http://www.w3.org/2001/04/xmldsig-more#md5"),
            Err(CryptoError::UnsupportedAlgorithm)
        );
        // URIs are compared exactly: no trimming, no case folding.
        assert!(DigestAlgorithm::from_uri(" http://www.w3.org/2000/09/xmldsig#sha1").is_err());
    }

    #[test]
    fn fips_180_abc() {
        // FIPS 180-2 appendix examples for the one-block message "abc".
        let sha1 = DigestAlgorithm::Sha1.digest(b"abc");
        assert_eq!(
            format!("{sha1:?}"),
            "DigestValue(a9993e364706816aba3e25717850c26c9cd0d89d)"
        );
        let sha256 = DigestAlgorithm::Sha256.digest(b"abc");
        assert_eq!(
            format!("{sha256:?}"),
            "DigestValue(ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad)"
        );
    }

    #[test]
    fn io_write_streams_like_update() {
        use std::io::Write as _;
        let mut d = DigestAlgorithm::Sha256.digester();
        write!(d, "a").unwrap();
        d.write_all(b"bc").unwrap();
        d.flush().unwrap();
        assert_eq!(d.finish(), DigestAlgorithm::Sha256.digest(b"abc"));
    }

    #[test]
    fn matches_is_length_sensitive() {
        let v = DigestAlgorithm::Sha1.digest(b"x");
        assert!(v.matches(v.as_bytes()));
        assert!(!v.matches(v.as_bytes().get(..19).unwrap()));
        assert_ne!(v, DigestAlgorithm::Sha256.digest(b"x"));
    }
}
