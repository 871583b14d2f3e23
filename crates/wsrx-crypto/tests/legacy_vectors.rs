//! Known answers for the primitives of the older WS-SecurityPolicy suites: Triple DES CBC,
//! AES-192 CBC, AES key wrap and the CMS Triple DES key wrap, from the Merlin XML-Enc interop
//! samples vendored in `tests/data/merlin-xmlenc-five/` (Apache Santuario, Apache-2.0; origin,
//! commit and checksums in `SOURCE.md` there). Keys by name as in its `Readme.txt`.
//!
//! Each sample is decrypted (after unwrapping its content key, where it has an EncryptedKey)
//! and compared with the plaintext the samples were made from: `plaintext.txt` for the data
//! samples, the `PaymentInfo` element (or its content) of `plaintext.xml` for the others.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::PathBuf;

use wsrx_crypto::{BlockCipherAlgorithm, CryptoError, KeyWrapAlgorithm, SecretKey, base64};

const BOB: &[u8] = b"abcdefghijklmnopqrstuvwx"; // 3DES
const JOB: &[u8] = b"abcdefghijklmnop"; // AES-128
const JEB: &[u8] = b"abcdefghijklmnopqrstuvwx"; // AES-192
const JED: &[u8] = b"abcdefghijklmnopqrstuvwxyz012345"; // AES-256

fn read(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/merlin-xmlenc-five")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The base64 text of every `<CipherValue …>` element of `xml`, in document order.
fn cipher_values(xml: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find("<CipherValue") {
        let open_end = at + rest[at..].find('>').unwrap() + 1;
        let close = open_end + rest[open_end..].find("</CipherValue>").unwrap();
        let text: String = rest[open_end..close]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        out.push(base64::decode(&text).unwrap());
        rest = &rest[close..];
    }
    out
}

/// `<PaymentInfo>…</PaymentInfo>` of `plaintext.xml`, and its content.
fn payment_info() -> (String, String) {
    let doc = read("plaintext.xml");
    let start = doc.find("<PaymentInfo>").unwrap();
    let end = doc.find("</PaymentInfo>").unwrap() + "</PaymentInfo>".len();
    let element = doc[start..end].to_owned();
    let content = element["<PaymentInfo>".len()..element.len() - "</PaymentInfo>".len()].to_owned();
    (element, content)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn tdes() -> BlockCipherAlgorithm {
    BlockCipherAlgorithm::from_uri_allowing(
        BlockCipherAlgorithm::TRIPLEDES_CBC_URI,
        &BlockCipherAlgorithm::LEGACY,
    )
    .unwrap()
}

#[test]
fn triple_des_cbc_content() {
    let xml = read("encrypt-content-tripledes-cbc.xml");
    let values = cipher_values(&xml);
    let plain = tdes()
        .decrypt(&SecretKey::from_slice(BOB), &values[0])
        .unwrap();
    assert_eq!(text(&plain).trim(), payment_info().1.trim());
    // The same bytes are not AES: a wrong algorithm is a plain decryption failure or garbage.
    let wrong = BlockCipherAlgorithm::Aes192Cbc.decrypt(&SecretKey::from_slice(JEB), &values[0]);
    assert!(wrong.is_err() || text_lossy(&wrong.unwrap()) != text(&plain));
}

fn text_lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn aes192_cbc_element() {
    // The CipherValue lives in a repository element the CipherReference points at.
    let xml = read("encrypt-element-aes192-cbc-ref.xml");
    let values = cipher_values(&xml);
    assert_eq!(values.len(), 1);
    let plain = BlockCipherAlgorithm::Aes192Cbc
        .decrypt(&SecretKey::from_slice(JEB), &values[0])
        .unwrap();
    assert_eq!(text(&plain), payment_info().0);
}

#[test]
fn aes_key_wrap_192_then_aes128_cbc_content() {
    let xml = read("encrypt-content-aes128-cbc-kw-aes192.xml");
    let values = cipher_values(&xml);
    let cek = KeyWrapAlgorithm::Aes192Kw
        .unwrap(&SecretKey::from_slice(JEB), &values[0])
        .unwrap();
    assert_eq!(cek.len(), 16);
    let plain = BlockCipherAlgorithm::Aes128Cbc
        .decrypt(&cek, &values[1])
        .unwrap();
    assert_eq!(text(&plain).trim(), payment_info().1.trim());
    // The wrong key-encryption key fails the RFC 3394 integrity check.
    assert_eq!(
        KeyWrapAlgorithm::Aes192Kw
            .unwrap(
                &SecretKey::from_slice(BOB.iter().rev().copied().collect::<Vec<_>>().as_slice()),
                &values[0]
            )
            .map(|_| ()),
        Err(CryptoError::DecryptionFailed)
    );
}

#[test]
fn aes_key_wrap_256_then_aes192_cbc_data() {
    let xml = read("encrypt-data-aes192-cbc-kw-aes256.xml");
    let values = cipher_values(&xml);
    let cek = KeyWrapAlgorithm::Aes256Kw
        .unwrap(&SecretKey::from_slice(JED), &values[0])
        .unwrap();
    assert_eq!(cek.len(), 24);
    let plain = BlockCipherAlgorithm::Aes192Cbc
        .decrypt(&cek, &values[1])
        .unwrap();
    assert_eq!(text(&plain), read("plaintext.txt"));
}

#[test]
fn triple_des_key_wrap_then_aes256_cbc_data() {
    let xml = read("encrypt-data-aes256-cbc-kw-tripledes.xml");
    let values = cipher_values(&xml);
    let kw = KeyWrapAlgorithm::from_uri_allowing(
        KeyWrapAlgorithm::TRIPLEDES_KW_URI,
        &[KeyWrapAlgorithm::TripleDesKw],
    )
    .unwrap();
    let cek = kw.unwrap(&SecretKey::from_slice(BOB), &values[0]).unwrap();
    assert_eq!(cek.len(), 32);
    let plain = BlockCipherAlgorithm::Aes256Cbc
        .decrypt(&cek, &values[1])
        .unwrap();
    assert_eq!(text(&plain), read("plaintext.txt"));
    // Re-wrapping the recovered key with a fresh IV gives another ciphertext that unwraps
    // to the same key.
    let mut rng = wsrx_crypto::InsecureSeededRandom::from_seed(2);
    let again = kw
        .wrap(&SecretKey::from_slice(BOB), &cek, &mut rng)
        .unwrap();
    assert_ne!(again, values[0]);
    assert_eq!(kw.unwrap(&SecretKey::from_slice(BOB), &again).unwrap(), cek);
}

#[test]
fn aes_key_wrap_128_then_triple_des_cbc_element() {
    let xml = read("encrypt-element-tripledes-cbc-kw-aes128.xml");
    let values = cipher_values(&xml);
    let cek = KeyWrapAlgorithm::Aes128Kw
        .unwrap(&SecretKey::from_slice(JOB), &values[0])
        .unwrap();
    assert_eq!(cek.len(), 24);
    let plain = tdes().decrypt(&cek, &values[1]).unwrap();
    assert_eq!(text(&plain), payment_info().0);
}
