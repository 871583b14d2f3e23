//! The algorithm suites of WS-SecurityPolicy 1.2 §6.1 (`sp:AlgorithmSuite`), exactly as the
//! specification's table gives them, and the suite in force for a message ([`AlgorithmPolicy`]).
//!
//! The table (WS-SP 1.2 §6.1; the same sixteen suites in WSS4J's
//! `org.apache.wss4j.policy.model.AlgorithmSuite` and in WCF's `SecurityAlgorithmSuite`):
//!
//! | suite | `[Dig]` | `[Enc]` | `[Sym KW]` | `[Asym KW]` | `[Enc KD]` | `[Sig KD]` | `[Min SKL]` |
//! |---|---|---|---|---|---|---|---|
//! | Basic256 | Sha1 | Aes256 | KwAes256 | KwRsaOaep | PSha1L256 | PSha1L192 | 256 |
//! | Basic192 | Sha1 | Aes192 | KwAes192 | KwRsaOaep | PSha1L192 | PSha1L192 | 192 |
//! | Basic128 | Sha1 | Aes128 | KwAes128 | KwRsaOaep | PSha1L128 | PSha1L128 | 128 |
//! | TripleDes | Sha1 | TripleDes | KwTripleDes | KwRsaOaep | PSha1L192 | PSha1L192 | 192 |
//! | Basic256Rsa15 | Sha1 | Aes256 | KwAes256 | KwRsa15 | PSha1L256 | PSha1L192 | 256 |
//! | Basic192Rsa15 | Sha1 | Aes192 | KwAes192 | KwRsa15 | PSha1L192 | PSha1L192 | 192 |
//! | Basic128Rsa15 | Sha1 | Aes128 | KwAes128 | KwRsa15 | PSha1L128 | PSha1L128 | 128 |
//! | TripleDesRsa15 | Sha1 | TripleDes | KwTripleDes | KwRsa15 | PSha1L192 | PSha1L192 | 192 |
//! | Basic256Sha256 | Sha256 | Aes256 | KwAes256 | KwRsaOaep | PSha1L256 | PSha1L192 | 256 |
//! | Basic192Sha256 | Sha256 | Aes192 | KwAes192 | KwRsaOaep | PSha1L192 | PSha1L192 | 192 |
//! | Basic128Sha256 | Sha256 | Aes128 | KwAes128 | KwRsaOaep | PSha1L128 | PSha1L128 | 128 |
//! | TripleDesSha256 | Sha256 | TripleDes | KwTripleDes | KwRsaOaep | PSha1L192 | PSha1L192 | 192 |
//! | Basic256Sha256Rsa15 | Sha256 | Aes256 | KwAes256 | KwRsa15 | PSha1L256 | PSha1L192 | 256 |
//! | Basic192Sha256Rsa15 | Sha256 | Aes192 | KwAes192 | KwRsa15 | PSha1L192 | PSha1L192 | 192 |
//! | Basic128Sha256Rsa15 | Sha256 | Aes128 | KwAes128 | KwRsa15 | PSha1L128 | PSha1L128 | 128 |
//! | TripleDesSha256Rsa15 | Sha256 | TripleDes | KwTripleDes | KwRsa15 | PSha1L192 | PSha1L192 | 192 |
//!
//! and for every suite: `[Sym Sig]` HmacSha1, `[Asym Sig]` RsaSha1, `[Comp Key]` PSha1, `[Max SKL]` 256,
//! `[Min AKL]` 1024, `[Max AKL]` 4096; `[C14n]` ExC14N unless `sp:InclusiveC14N`, no `[SOAP Norm]`,
//! `[STR Trans]` or `[XPath]` unless `sp:SOAPNormalization10`, `sp:STRTransform10` or
//! `sp:XPath10`/`sp:XPathFilter20`/`sp:AbsXPath` say so.
//!
//! **The Sha256 suites change only `[Dig]`.** WCF departs from the table: its `Basic256Sha256`
//! (and every `…Sha256…` suite, `SecurityAlgorithmSuite.cs`) signs with HMAC-SHA256 and
//! RSA-SHA256; gSOAP's `--sha256` mode does the same. That reading is available, by name, as
//! [`SuiteReading::WcfSha256Signatures`]; it is never the default. WSS4J (CXF) and Metro follow
//! the table and refuse HMAC-SHA256 under Basic256Sha256.
//!
//! Derived-key lengths (`[Enc KD]`, `[Sig KD]`) are what wsrx writes in its DKTs. Inbound, as
//! WSS4J's `AlgorithmSuiteValidator` (which only logs a mismatch), a peer's own `wsc:Length`
//! for a signing key is accepted between 128 bits and `[Max SKL]` (WSS4J 1.6 and gSOAP derive
//! 160-bit HMAC-SHA1 keys under Basic256); an encryption key must fit `[Enc]` exactly.

use wsrx_crypto::{
    BlockCipherAlgorithm, DigestAlgorithm, KeyTransportAlgorithm, KeyWrapAlgorithm, MacAlgorithm,
};

/// The symmetric-key strength of a suite (its name without the Sha256/Rsa15 variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Strength {
    Basic256,
    Basic192,
    Basic128,
    TripleDes,
}

/// An algorithm suite of WS-SecurityPolicy 1.2 §6.1 (the assertion's local name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlgorithmSuite {
    /// `sp:Basic256`.
    Basic256,
    /// `sp:Basic192`.
    Basic192,
    /// `sp:Basic128`.
    Basic128,
    /// `sp:TripleDes`.
    TripleDes,
    /// `sp:Basic256Rsa15`.
    Basic256Rsa15,
    /// `sp:Basic192Rsa15`.
    Basic192Rsa15,
    /// `sp:Basic128Rsa15`.
    Basic128Rsa15,
    /// `sp:TripleDesRsa15`.
    TripleDesRsa15,
    /// `sp:Basic256Sha256`.
    Basic256Sha256,
    /// `sp:Basic192Sha256`.
    Basic192Sha256,
    /// `sp:Basic128Sha256`.
    Basic128Sha256,
    /// `sp:TripleDesSha256`.
    TripleDesSha256,
    /// `sp:Basic256Sha256Rsa15`.
    Basic256Sha256Rsa15,
    /// `sp:Basic192Sha256Rsa15`.
    Basic192Sha256Rsa15,
    /// `sp:Basic128Sha256Rsa15`.
    Basic128Sha256Rsa15,
    /// `sp:TripleDesSha256Rsa15`.
    TripleDesSha256Rsa15,
}

/// `[Asym Sig]`: the signature algorithm with an asymmetric key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsymmetricSignature {
    /// `http://www.w3.org/2000/09/xmldsig#rsa-sha1` (the table's RsaSha1).
    RsaSha1,
    /// `http://www.w3.org/2001/04/xmldsig-more#rsa-sha256` (WCF's reading of the Sha256 suites).
    RsaSha256,
}

impl AsymmetricSignature {
    /// The XML-DSig `SignatureMethod` URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            Self::RsaSha256 => wsrx_crypto::RsaSignatureAlgorithm::RSA_SHA256_URI,
        }
    }
}

/// `[Enc KD]` / `[Sig KD]`: P_SHA1 (WS-SC 1.4 §7) with the length in bits the suite derives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyDerivation {
    /// Length of the derived key in bits (the `L` of `PSha1L256`).
    pub bits: u32,
}

impl KeyDerivation {
    /// The length in bytes.
    pub fn bytes(self) -> u64 {
        u64::from(self.bits / 8)
    }
}

/// `[Max SKL]` of every suite, in bits.
pub const MAX_SYMMETRIC_KEY_BITS: u32 = 256;
/// `[Min AKL]` of every suite, in bits.
pub const MIN_ASYMMETRIC_KEY_BITS: u32 = 1024;
/// `[Max AKL]` of every suite, in bits.
pub const MAX_ASYMMETRIC_KEY_BITS: u32 = 4096;

impl AlgorithmSuite {
    /// Every suite, in the table's order.
    pub const ALL: [Self; 16] = [
        Self::Basic256,
        Self::Basic192,
        Self::Basic128,
        Self::TripleDes,
        Self::Basic256Rsa15,
        Self::Basic192Rsa15,
        Self::Basic128Rsa15,
        Self::TripleDesRsa15,
        Self::Basic256Sha256,
        Self::Basic192Sha256,
        Self::Basic128Sha256,
        Self::TripleDesSha256,
        Self::Basic256Sha256Rsa15,
        Self::Basic192Sha256Rsa15,
        Self::Basic128Sha256Rsa15,
        Self::TripleDesSha256Rsa15,
    ];

    /// The assertion's local name (`Basic256Sha256`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Basic256 => "Basic256",
            Self::Basic192 => "Basic192",
            Self::Basic128 => "Basic128",
            Self::TripleDes => "TripleDes",
            Self::Basic256Rsa15 => "Basic256Rsa15",
            Self::Basic192Rsa15 => "Basic192Rsa15",
            Self::Basic128Rsa15 => "Basic128Rsa15",
            Self::TripleDesRsa15 => "TripleDesRsa15",
            Self::Basic256Sha256 => "Basic256Sha256",
            Self::Basic192Sha256 => "Basic192Sha256",
            Self::Basic128Sha256 => "Basic128Sha256",
            Self::TripleDesSha256 => "TripleDesSha256",
            Self::Basic256Sha256Rsa15 => "Basic256Sha256Rsa15",
            Self::Basic192Sha256Rsa15 => "Basic192Sha256Rsa15",
            Self::Basic128Sha256Rsa15 => "Basic128Sha256Rsa15",
            Self::TripleDesSha256Rsa15 => "TripleDesSha256Rsa15",
        }
    }

    /// The suite whose assertion has this local name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    fn strength(self) -> Strength {
        match self {
            Self::Basic256
            | Self::Basic256Rsa15
            | Self::Basic256Sha256
            | Self::Basic256Sha256Rsa15 => Strength::Basic256,
            Self::Basic192
            | Self::Basic192Rsa15
            | Self::Basic192Sha256
            | Self::Basic192Sha256Rsa15 => Strength::Basic192,
            Self::Basic128
            | Self::Basic128Rsa15
            | Self::Basic128Sha256
            | Self::Basic128Sha256Rsa15 => Strength::Basic128,
            Self::TripleDes
            | Self::TripleDesRsa15
            | Self::TripleDesSha256
            | Self::TripleDesSha256Rsa15 => Strength::TripleDes,
        }
    }

    /// True for the eight `…Sha256…` suites.
    pub fn is_sha256(self) -> bool {
        self.name().contains("Sha256")
    }

    /// True for the eight `…Rsa15` suites.
    pub fn is_rsa15(self) -> bool {
        self.name().ends_with("Rsa15")
    }

    /// `[Sym Sig]` as the table gives it: HMAC-SHA1 for every suite. See
    /// [`AlgorithmPolicy::symmetric_signature`] for the suite in force.
    pub fn symmetric_signature(self) -> MacAlgorithm {
        MacAlgorithm::HmacSha1
    }

    /// `[Asym Sig]` as the table gives it: RSA-SHA1 for every suite.
    pub fn asymmetric_signature(self) -> AsymmetricSignature {
        AsymmetricSignature::RsaSha1
    }

    /// `[Dig]`: SHA-256 for the Sha256 suites, SHA-1 otherwise.
    pub fn digest(self) -> DigestAlgorithm {
        if self.is_sha256() {
            DigestAlgorithm::Sha256
        } else {
            DigestAlgorithm::Sha1
        }
    }

    /// `[Enc]`: the data encryption algorithm (CBC).
    pub fn encryption(self) -> BlockCipherAlgorithm {
        match self.strength() {
            Strength::Basic256 => BlockCipherAlgorithm::Aes256Cbc,
            Strength::Basic192 => BlockCipherAlgorithm::Aes192Cbc,
            Strength::Basic128 => BlockCipherAlgorithm::Aes128Cbc,
            Strength::TripleDes => BlockCipherAlgorithm::TripleDesCbc,
        }
    }

    /// `[Sym KW]`: the symmetric key wrap.
    pub fn symmetric_key_wrap(self) -> KeyWrapAlgorithm {
        match self.strength() {
            Strength::Basic256 => KeyWrapAlgorithm::Aes256Kw,
            Strength::Basic192 => KeyWrapAlgorithm::Aes192Kw,
            Strength::Basic128 => KeyWrapAlgorithm::Aes128Kw,
            Strength::TripleDes => KeyWrapAlgorithm::TripleDesKw,
        }
    }

    /// `[Asym KW]`: RSA PKCS#1 v1.5 for the Rsa15 suites, RSA-OAEP-MGF1P otherwise.
    pub fn asymmetric_key_wrap(self) -> KeyTransportAlgorithm {
        if self.is_rsa15() {
            KeyTransportAlgorithm::Rsa15
        } else {
            KeyTransportAlgorithm::RsaOaepMgf1p
        }
    }

    /// `[Enc KD]`: P_SHA1 with the data encryption key's length.
    pub fn encryption_key_derivation(self) -> KeyDerivation {
        KeyDerivation {
            bits: match self.strength() {
                Strength::Basic256 => 256,
                Strength::Basic192 | Strength::TripleDes => 192,
                Strength::Basic128 => 128,
            },
        }
    }

    /// `[Sig KD]`: P_SHA1 with 192 bits (128 for the Basic128 suites).
    pub fn signature_key_derivation(self) -> KeyDerivation {
        KeyDerivation {
            bits: match self.strength() {
                Strength::Basic128 => 128,
                _ => 192,
            },
        }
    }

    /// `[Min SKL]` in bits.
    pub fn min_symmetric_key_bits(self) -> u32 {
        match self.strength() {
            Strength::Basic256 => 256,
            Strength::Basic192 | Strength::TripleDes => 192,
            Strength::Basic128 => 128,
        }
    }

    /// `[Max SKL]` in bits: 256 for every suite.
    pub fn max_symmetric_key_bits(self) -> u32 {
        MAX_SYMMETRIC_KEY_BITS
    }

    /// `[Min AKL]` in bits: 1024 for every suite.
    pub fn min_asymmetric_key_bits(self) -> u32 {
        MIN_ASYMMETRIC_KEY_BITS
    }

    /// `[Max AKL]` in bits: 4096 for every suite.
    pub fn max_asymmetric_key_bits(self) -> u32 {
        MAX_ASYMMETRIC_KEY_BITS
    }

    /// `[Sym Sig]` under the table's reading (kept for existing callers; the same as
    /// [`AlgorithmSuite::symmetric_signature`]).
    pub fn mac(self) -> MacAlgorithm {
        self.symmetric_signature()
    }

    /// Length of the signature derived key in bytes (`[Sig KD]`).
    pub fn signature_key_len(self) -> u64 {
        self.signature_key_derivation().bytes()
    }

    /// Length of the encryption derived key in bytes (`[Enc KD]`).
    pub fn encryption_key_len(self) -> u64 {
        self.encryption_key_derivation().bytes()
    }
}

/// What an algorithm outside the suite in force was used for ([`crate::SecurityError`]'s
/// `AlgorithmOutsideSuite`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuiteRole {
    /// The `SignatureMethod` (`[Sym Sig]` / `[Asym Sig]`).
    Signature,
    /// A Reference's `DigestMethod` (`[Dig]`).
    Digest,
    /// SignedInfo's `CanonicalizationMethod` or a Reference's Transform (`[C14n]`).
    Canonicalization,
    /// An `EncryptionMethod` (`[Enc]`).
    Encryption,
    /// The length of a signing key (`[Sig KD]`, `[Min SKL]`, `[Max SKL]`).
    SignatureKeyLength,
}

impl std::fmt::Display for SuiteRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Signature => "signature method",
            Self::Digest => "digest method",
            Self::Canonicalization => "canonicalization",
            Self::Encryption => "encryption method",
            Self::SignatureKeyLength => "signing key length",
        })
    }
}

/// How a suite's name is read where stacks disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SuiteReading {
    /// WS-SP 1.2 §6.1 as written: every suite signs HMAC-SHA1 / RSA-SHA1 (WSS4J/CXF, Metro).
    #[default]
    Spec,
    /// WCF's reading (and gSOAP's `--sha256`): the `…Sha256…` suites sign HMAC-SHA256 /
    /// RSA-SHA256. Other suites are read as the table gives them.
    WcfSha256Signatures,
}

/// `[C14n]`: the canonicalization of SignedInfo and of every Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Canonicalization {
    /// Exclusive c14n (`ExC14N`, the default).
    #[default]
    Exclusive,
    /// Inclusive Canonical XML 1.0 (`sp:InclusiveC14N`).
    Inclusive,
    /// Inclusive Canonical XML 1.1 (`sp:InclusiveC14N11`, WS-SP 1.3).
    Inclusive11,
}

/// `[XPath]`: the XPath dialect of signed/encrypted element selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XPathDialect {
    /// `sp:XPath10`.
    XPath10,
    /// `sp:XPathFilter20`.
    XPathFilter20,
    /// `sp:AbsXPath`.
    AbsXPath,
}

/// The options nested in `sp:AlgorithmSuite` beside the suite (WS-SP 1.2 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SuiteOptions {
    /// `[C14n]`.
    pub c14n: Canonicalization,
    /// `[SOAP Norm]`: `sp:SOAPNormalization10`.
    pub soap_normalization: bool,
    /// `[STR Trans]`: `sp:STRTransform10`.
    pub str_transform: bool,
    /// `[XPath]`.
    pub xpath: Option<XPathDialect>,
}

/// Which algorithms an inbound message may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InboundAlgorithms {
    /// Any algorithm of any suite in either reading that wsrx implements (HMAC-SHA1 and
    /// HMAC-SHA256, SHA-1 and SHA-256, exclusive c14n, AES-CBC/GCM): wsrx's behaviour before
    /// policies, and the default for a configuration that names no suite.
    #[default]
    AnySuite,
    /// Only the suite in force (downgrade protection): `[Sym Sig]` under the reading, `[Dig]` for
    /// every Reference, `[C14n]`, `[Enc]` (or the configured data encryption), P_SHA1, and signing
    /// keys of at most `[Max SKL]` (at least `[Min SKL]` for the SCT secret used directly).
    SuiteOnly,
}

/// The suite in force for a message: the suite, its reading, its options, an optional data
/// encryption override (AES-GCM, as CXF's `Basic256GCM` custom suites do) and how strictly
/// inbound messages are held to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlgorithmPolicy {
    /// The suite.
    pub suite: AlgorithmSuite,
    /// How its name is read.
    pub reading: SuiteReading,
    /// The nested options.
    pub options: SuiteOptions,
    /// Data encryption in place of the suite's `[Enc]`, if set.
    pub data_encryption: Option<BlockCipherAlgorithm>,
    /// Inbound strictness.
    pub inbound: InboundAlgorithms,
}

impl Default for AlgorithmPolicy {
    /// Basic256Sha256 as the table reads it, exclusive c14n, inbound any suite.
    fn default() -> Self {
        Self::new(AlgorithmSuite::Basic256Sha256)
    }
}

impl AlgorithmPolicy {
    /// `suite` as the table reads it, with default options, inbound any suite.
    pub fn new(suite: AlgorithmSuite) -> Self {
        Self {
            suite,
            reading: SuiteReading::Spec,
            options: SuiteOptions::default(),
            data_encryption: None,
            inbound: InboundAlgorithms::AnySuite,
        }
    }

    /// Inbound messages must use exactly this suite (builder style).
    #[must_use]
    pub fn strict(mut self) -> Self {
        self.inbound = InboundAlgorithms::SuiteOnly;
        self
    }

    /// WCF's reading of the suite (builder style).
    #[must_use]
    pub fn wcf_reading(mut self) -> Self {
        self.reading = SuiteReading::WcfSha256Signatures;
        self
    }

    /// `[Sym Sig]` in force: HMAC-SHA1, or HMAC-SHA256 for a Sha256 suite under
    /// [`SuiteReading::WcfSha256Signatures`].
    pub fn symmetric_signature(&self) -> MacAlgorithm {
        match self.reading {
            SuiteReading::WcfSha256Signatures if self.suite.is_sha256() => MacAlgorithm::HmacSha256,
            _ => self.suite.symmetric_signature(),
        }
    }

    /// `[Asym Sig]` in force.
    pub fn asymmetric_signature(&self) -> AsymmetricSignature {
        match self.reading {
            SuiteReading::WcfSha256Signatures if self.suite.is_sha256() => {
                AsymmetricSignature::RsaSha256
            }
            _ => self.suite.asymmetric_signature(),
        }
    }

    /// `[Dig]`.
    pub fn digest(&self) -> DigestAlgorithm {
        self.suite.digest()
    }

    /// The data encryption algorithm: the override, or `[Enc]`.
    pub fn encryption(&self) -> BlockCipherAlgorithm {
        self.data_encryption.unwrap_or(self.suite.encryption())
    }

    /// Length in bytes of a derived signing key (`[Sig KD]`).
    pub fn signature_key_len(&self) -> u64 {
        self.suite.signature_key_derivation().bytes()
    }

    /// Length in bytes of a derived encryption key: the data encryption algorithm's key
    /// (`[Enc KD]` for the suite's own `[Enc]`).
    pub fn encryption_key_len(&self) -> u64 {
        self.encryption().key_len() as u64
    }

    /// The legacy algorithms (Triple DES, RSA PKCS#1 v1.5) this suite allows a peer to name.
    pub(crate) fn legacy_ciphers(&self) -> &'static [BlockCipherAlgorithm] {
        if self.encryption() == BlockCipherAlgorithm::TripleDesCbc {
            &BlockCipherAlgorithm::LEGACY
        } else {
            &[]
        }
    }

    /// The first option wsrx does not implement, by its assertion name, if any.
    pub fn unsupported_option(&self) -> Option<&'static str> {
        match self.options {
            SuiteOptions {
                c14n: Canonicalization::Inclusive,
                ..
            } => Some("InclusiveC14N"),
            SuiteOptions {
                c14n: Canonicalization::Inclusive11,
                ..
            } => Some("InclusiveC14N11"),
            SuiteOptions {
                soap_normalization: true,
                ..
            } => Some("SOAPNormalization10"),
            SuiteOptions {
                str_transform: true,
                ..
            } => Some("STRTransform10"),
            SuiteOptions {
                xpath: Some(XPathDialect::XPath10),
                ..
            } => Some("XPath10"),
            SuiteOptions {
                xpath: Some(XPathDialect::XPathFilter20),
                ..
            } => Some("XPathFilter20"),
            SuiteOptions {
                xpath: Some(XPathDialect::AbsXPath),
                ..
            } => Some("AbsXPath"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
