//! Every cell of the WS-SP 1.2 §6.1 table, written out by URI (not derived from the code under
//! test), and checked against WSS4J's `AlgorithmSuite` table (policy module; digest, encryption,
//! key wraps, derived lengths, min SKL) and WCF's `SecurityAlgorithmSuite` classes (the svcutil
//! fork of System.ServiceModel: same values; WCF departs only in `[Sym Sig]`/`[Asym Sig]` of the
//! Sha256 suites, checked separately).

use super::*;

const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const AES128: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
const AES192: &str = "http://www.w3.org/2001/04/xmlenc#aes192-cbc";
const AES256: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
const TDES: &str = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc";
const KW128: &str = "http://www.w3.org/2001/04/xmlenc#kw-aes128";
const KW192: &str = "http://www.w3.org/2001/04/xmlenc#kw-aes192";
const KW256: &str = "http://www.w3.org/2001/04/xmlenc#kw-aes256";
const KWTDES: &str = "http://www.w3.org/2001/04/xmlenc#kw-tripledes";
const OAEP: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const RSA15: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// name, `[Dig]`, `[Enc]`, `[Sym KW]`, `[Asym KW]`, `[Enc KD]` bits, `[Sig KD]` bits, `[Min SKL]`.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
    u32,
    u32,
);

const TABLE: [Row; 16] = [
    ("Basic256", SHA1, AES256, KW256, OAEP, 256, 192, 256),
    ("Basic192", SHA1, AES192, KW192, OAEP, 192, 192, 192),
    ("Basic128", SHA1, AES128, KW128, OAEP, 128, 128, 128),
    ("TripleDes", SHA1, TDES, KWTDES, OAEP, 192, 192, 192),
    ("Basic256Rsa15", SHA1, AES256, KW256, RSA15, 256, 192, 256),
    ("Basic192Rsa15", SHA1, AES192, KW192, RSA15, 192, 192, 192),
    ("Basic128Rsa15", SHA1, AES128, KW128, RSA15, 128, 128, 128),
    ("TripleDesRsa15", SHA1, TDES, KWTDES, RSA15, 192, 192, 192),
    ("Basic256Sha256", SHA256, AES256, KW256, OAEP, 256, 192, 256),
    ("Basic192Sha256", SHA256, AES192, KW192, OAEP, 192, 192, 192),
    ("Basic128Sha256", SHA256, AES128, KW128, OAEP, 128, 128, 128),
    ("TripleDesSha256", SHA256, TDES, KWTDES, OAEP, 192, 192, 192),
    (
        "Basic256Sha256Rsa15",
        SHA256,
        AES256,
        KW256,
        RSA15,
        256,
        192,
        256,
    ),
    (
        "Basic192Sha256Rsa15",
        SHA256,
        AES192,
        KW192,
        RSA15,
        192,
        192,
        192,
    ),
    (
        "Basic128Sha256Rsa15",
        SHA256,
        AES128,
        KW128,
        RSA15,
        128,
        128,
        128,
    ),
    (
        "TripleDesSha256Rsa15",
        SHA256,
        TDES,
        KWTDES,
        RSA15,
        192,
        192,
        192,
    ),
];

#[test]
fn every_cell_of_the_table() {
    assert_eq!(AlgorithmSuite::ALL.len(), TABLE.len());
    for (suite, row) in AlgorithmSuite::ALL.into_iter().zip(TABLE) {
        let (name, dig, enc, sym_kw, asym_kw, enc_kd, sig_kd, min_skl) = row;
        assert_eq!(suite.name(), name);
        assert_eq!(AlgorithmSuite::from_name(name), Some(suite));
        assert_eq!(suite.digest().uri(), dig, "{name} [Dig]");
        assert_eq!(suite.encryption().uri(), enc, "{name} [Enc]");
        assert_eq!(suite.symmetric_key_wrap().uri(), sym_kw, "{name} [Sym KW]");
        assert_eq!(
            suite.asymmetric_key_wrap().uri(),
            asym_kw,
            "{name} [Asym KW]"
        );
        assert_eq!(
            suite.encryption_key_derivation().bits,
            enc_kd,
            "{name} [Enc KD]"
        );
        assert_eq!(
            suite.signature_key_derivation().bits,
            sig_kd,
            "{name} [Sig KD]"
        );
        assert_eq!(suite.min_symmetric_key_bits(), min_skl, "{name} [Min SKL]");
        // The cells every suite shares.
        assert_eq!(
            suite.symmetric_signature().uri(),
            HMAC_SHA1,
            "{name} [Sym Sig]"
        );
        assert_eq!(
            suite.asymmetric_signature().uri(),
            RSA_SHA1,
            "{name} [Asym Sig]"
        );
        assert_eq!(suite.max_symmetric_key_bits(), 256, "{name} [Max SKL]");
        assert_eq!(suite.min_asymmetric_key_bits(), 1024, "{name} [Min AKL]");
        assert_eq!(suite.max_asymmetric_key_bits(), 4096, "{name} [Max AKL]");
        // [Enc KD] is the data key's own length.
        assert_eq!(
            u64::from(enc_kd / 8),
            suite.encryption().key_len() as u64,
            "{name}"
        );
        // The spec reading of the suite in force is the table.
        let policy = AlgorithmPolicy::new(suite);
        assert_eq!(policy.symmetric_signature().uri(), HMAC_SHA1, "{name}");
        assert_eq!(policy.asymmetric_signature().uri(), RSA_SHA1, "{name}");
        assert_eq!(policy.encryption().uri(), enc, "{name}");
        assert_eq!(policy.signature_key_len(), u64::from(sig_kd / 8), "{name}");
        assert_eq!(policy.encryption_key_len(), u64::from(enc_kd / 8), "{name}");
    }
    assert_eq!(AlgorithmSuite::from_name("Basic256GCM"), None);
}

#[test]
fn basic256sha256_signs_hmac_sha1_by_default() {
    // spec-facts.md once said HMAC-SHA256 here; WS-SP 1.2 §6.1, WSS4J and Metro say HMAC-SHA1.
    let p = AlgorithmPolicy::default();
    assert_eq!(p.suite, AlgorithmSuite::Basic256Sha256);
    assert_eq!(p.reading, SuiteReading::Spec);
    assert_eq!(p.symmetric_signature(), MacAlgorithm::HmacSha1);
    assert_eq!(p.digest(), DigestAlgorithm::Sha256);
    assert_eq!(AlgorithmSuite::Basic256Sha256.mac(), MacAlgorithm::HmacSha1);
}

#[test]
fn the_wcf_reading_changes_only_the_signatures_of_the_sha256_suites() {
    for suite in AlgorithmSuite::ALL {
        let spec = AlgorithmPolicy::new(suite);
        let wcf = AlgorithmPolicy::new(suite).wcf_reading();
        let (sym, asym) = if suite.is_sha256() {
            (HMAC_SHA256, RSA_SHA256)
        } else {
            (HMAC_SHA1, RSA_SHA1)
        };
        assert_eq!(wcf.symmetric_signature().uri(), sym, "{suite:?}");
        assert_eq!(wcf.asymmetric_signature().uri(), asym, "{suite:?}");
        assert_eq!(wcf.digest(), spec.digest());
        assert_eq!(wcf.encryption(), spec.encryption());
        assert_eq!(wcf.signature_key_len(), spec.signature_key_len());
    }
    assert_eq!(
        AlgorithmSuite::ALL.iter().filter(|s| s.is_sha256()).count(),
        8
    );
    assert_eq!(
        AlgorithmSuite::ALL.iter().filter(|s| s.is_rsa15()).count(),
        8
    );
}

#[test]
fn options_wsrx_does_not_implement_are_named() {
    let mut p = AlgorithmPolicy::default();
    assert_eq!(p.unsupported_option(), None);
    p.options.c14n = Canonicalization::Inclusive;
    assert_eq!(p.unsupported_option(), Some("InclusiveC14N"));
    p.options = SuiteOptions {
        str_transform: true,
        ..SuiteOptions::default()
    };
    assert_eq!(p.unsupported_option(), Some("STRTransform10"));
    p.options = SuiteOptions {
        xpath: Some(XPathDialect::XPathFilter20),
        ..SuiteOptions::default()
    };
    assert_eq!(p.unsupported_option(), Some("XPathFilter20"));
}

#[test]
fn data_encryption_override_and_legacy_ciphers() {
    let mut p = AlgorithmPolicy::new(AlgorithmSuite::Basic128);
    p.data_encryption = Some(BlockCipherAlgorithm::Aes128Gcm);
    assert_eq!(p.encryption(), BlockCipherAlgorithm::Aes128Gcm);
    assert_eq!(p.encryption_key_len(), 16);
    assert!(p.legacy_ciphers().is_empty());
    let tdes = AlgorithmPolicy::new(AlgorithmSuite::TripleDesSha256Rsa15);
    assert_eq!(tdes.legacy_ciphers(), &[BlockCipherAlgorithm::TripleDesCbc]);
    assert_eq!(tdes.encryption_key_len(), 24);
}
