//! XML-Enc known answers from `testdata/xmlenc/` (Merlin XML-Enc interop samples and the
//! W3C XML Encryption 1.1 interop case, via Apache Santuario, Apache-2.0; `MANIFEST.md` §4).
//!
//! The content key comes from the manifest (`key_hex`, or `cek_hex` where the original wraps it
//! with RSA-OAEP); the `CipherValue` is cut out of the XML file with plain string search (the
//! EncryptedData's own CipherValue is the last one in each file; E-3 also has one inside its
//! EncryptedKey).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use wsrx_crypto::{BlockCipherAlgorithm, CryptoError, DigestAlgorithm, SecretKey};

#[derive(Deserialize)]
struct Manifest {
    encrypted_data: Vec<Encrypted>,
}

#[derive(Deserialize)]
struct Encrypted {
    id: String,
    file: String,
    algorithm: String,
    key_hex: Option<String>,
    cek_hex: Option<String>,
    iv_hex: String,
    tag_hex: Option<String>,
    decrypted_with_padding_bytes: Option<usize>,
    pad_length: Option<usize>,
    plaintext: String,
    plaintext_bytes: usize,
    plaintext_sha1_hex: Option<String>,
    expected: String,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/xmlenc")
}

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    let path = dir.join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn load() -> Manifest {
    toml::from_str(&String::from_utf8(read(&dir(), "manifest.toml")).unwrap()).unwrap()
}

/// The text of the last `<…CipherValue>` element, whitespace removed, base64-decoded.
fn last_cipher_value(xml: &str) -> Vec<u8> {
    let close = xml.rfind("CipherValue>").expect("no CipherValue");
    // `close` points into the end tag `</prefix:CipherValue>`; the text ends at its '<'.
    let text_end = xml[..close].rfind("</").unwrap();
    let open_tag_end = xml[..text_end].rfind('>').unwrap() + 1;
    assert!(
        xml[..open_tag_end].ends_with("CipherValue>"),
        "unexpected layout"
    );
    let b64: String = xml[open_tag_end..text_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

fn key_of(e: &Encrypted) -> SecretKey {
    let hex_key = e.key_hex.as_ref().or(e.cek_hex.as_ref()).unwrap();
    SecretKey::from_vec(hex::decode(hex_key).unwrap())
}

#[test]
fn every_vector_decrypts_to_the_expected_plaintext() {
    let dir = dir();
    let manifest = load();
    assert_eq!(manifest.encrypted_data.len(), 3);
    for e in &manifest.encrypted_data {
        assert_eq!(e.expected, "decrypt");
        let alg = BlockCipherAlgorithm::from_uri(&e.algorithm).unwrap();
        let data = last_cipher_value(&String::from_utf8(read(&dir, &e.file)).unwrap());
        assert_eq!(hex::encode(&data[..alg.iv_len()]), e.iv_hex, "{}: IV", e.id);
        if let Some(tag) = &e.tag_hex {
            assert_eq!(hex::encode(&data[data.len() - 16..]), *tag, "{}: tag", e.id);
        }
        if let Some(padded) = e.decrypted_with_padding_bytes {
            assert_eq!(data.len() - alg.iv_len(), padded, "{}", e.id);
            assert_eq!(
                padded - e.plaintext_bytes,
                e.pad_length.unwrap(),
                "{}",
                e.id
            );
        }

        let plaintext = alg.decrypt(&key_of(e), &data).unwrap();
        let expected = read(&dir, &e.plaintext);
        assert_eq!(plaintext.len(), e.plaintext_bytes, "{}", e.id);
        assert_eq!(&plaintext[..], &expected[..], "{}", e.id);
        if let Some(sha1) = &e.plaintext_sha1_hex {
            assert_eq!(
                hex::encode(DigestAlgorithm::Sha1.digest(&plaintext).as_bytes()),
                *sha1,
                "{}",
                e.id
            );
        }
    }
}

#[test]
fn tampering_with_the_vectors_fails_with_the_opaque_error() {
    let dir = dir();
    for e in &load().encrypted_data {
        let alg = BlockCipherAlgorithm::from_uri(&e.algorithm).unwrap();
        let data = last_cipher_value(&String::from_utf8(read(&dir, &e.file)).unwrap());
        let key = key_of(e);
        if alg.is_authenticated() {
            // E-3: every single-bit flip (nonce, ciphertext, tag) is refused.
            for bit in 0..data.len() * 8 {
                let mut bad = data.clone();
                bad[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    alg.decrypt(&key, &bad).map(|_| ()),
                    Err(CryptoError::DecryptionFailed),
                    "{} bit {bit}",
                    e.id
                );
            }
        } else {
            // CBC: dropping a byte or the whole last block is a length failure.
            assert_eq!(
                alg.decrypt(&key, &data[..data.len() - 1]).map(|_| ()),
                Err(CryptoError::DecryptionFailed)
            );
            assert_eq!(
                alg.decrypt(&key, &data[..16]).map(|_| ()),
                Err(CryptoError::DecryptionFailed)
            );
        }
        // A wrong key never yields the plaintext.
        let mut wrong = key.expose_secret().to_vec();
        wrong[0] ^= 0x80;
        let expected = read(&dir, &e.plaintext);
        match alg.decrypt(&SecretKey::from_vec(wrong), &data) {
            Ok(pt) => assert!(!alg.is_authenticated() && pt[..] != expected[..]),
            Err(err) => assert_eq!(err, CryptoError::DecryptionFailed),
        }
    }
}

#[test]
fn re_encrypting_the_plaintexts_round_trips() {
    let dir = dir();
    let mut rng = wsrx_crypto::InsecureSeededRandom::from_seed(2024);
    for e in &load().encrypted_data {
        let alg = BlockCipherAlgorithm::from_uri(&e.algorithm).unwrap();
        let expected = read(&dir, &e.plaintext);
        let ct = alg.encrypt(&key_of(e), &mut rng, &expected).unwrap();
        assert_eq!(
            &alg.decrypt(&key_of(e), &ct).unwrap()[..],
            &expected[..],
            "{}",
            e.id
        );
    }
}
