//! Known answers made with OpenSSL 3 (`tests/data/rsa2048-test-a.*`, test-only keys):
//! - `rsa2048-test-a.pk8.pem`: `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`;
//! - `rsa2048-test-a.spki.der`: `openssl pkey -pubout -outform DER`;
//! - `rsa2048-test-a.rsa-sha256.sig.hex`: `openssl dgst -sha256 -sign` of `wsrx rsa known answer`;
//! - `rsa2048-test-a.oaep.ct.hex`: `openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:oaep`
//!   (SHA-1, MGF1-SHA1) of `0123456789abcdef0123456789abcdef`;
//! - `rsa2048-test-a.rsa15.ct.hex`: `openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:pkcs1`
//!   (OpenSSL 3.0.22) of the same 32 bytes;
//! - `rsa1024-test.pk8.pem`: a 1024-bit key, to be refused.

use super::*;
use crate::InsecureSeededRandom;

const KEY_PEM: &str = include_str!("../../tests/data/rsa2048-test-a.pk8.pem");
const SMALL_PEM: &str = include_str!("../../tests/data/rsa1024-test.pk8.pem");
const SPKI: &[u8] = include_bytes!("../../tests/data/rsa2048-test-a.spki.der");
const SIG_HEX: &str = include_str!("../../tests/data/rsa2048-test-a.rsa-sha256.sig.hex");
const CT_HEX: &str = include_str!("../../tests/data/rsa2048-test-a.oaep.ct.hex");
const RSA15_CT_HEX: &str = include_str!("../../tests/data/rsa2048-test-a.rsa15.ct.hex");
const MESSAGE: &[u8] = b"wsrx rsa known answer";

fn key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(KEY_PEM).unwrap()
}

#[test]
fn pkcs1v15_sha256_matches_openssl() {
    let key = key();
    let mut rng = InsecureSeededRandom::from_seed(1);
    let sig = key
        .sign(RsaSignatureAlgorithm::RsaSha256, MESSAGE, &mut rng)
        .unwrap();
    // PKCS#1 v1.5 is deterministic: blinding must not change the bytes.
    assert_eq!(hex::encode(&sig), SIG_HEX.trim());
    let public = RsaPublicKey::from_spki_der(SPKI).unwrap();
    assert_eq!(&public, key.public_key());
    assert_eq!(public.bits(), 2048);
    public
        .verify(RsaSignatureAlgorithm::RsaSha256, MESSAGE, &sig)
        .unwrap();
}

#[test]
fn tampered_signature_or_message_fails() {
    let public = RsaPublicKey::from_spki_der(SPKI).unwrap();
    let mut sig = hex::decode(SIG_HEX.trim()).unwrap();
    let alg = RsaSignatureAlgorithm::RsaSha256;
    assert_eq!(
        public.verify(alg, b"wsrx rsa known answeR", &sig),
        Err(CryptoError::SignatureMismatch)
    );
    sig[100] ^= 1;
    assert_eq!(
        public.verify(alg, MESSAGE, &sig),
        Err(CryptoError::SignatureMismatch)
    );
    assert_eq!(
        public.verify(alg, MESSAGE, &sig[..255]),
        Err(CryptoError::SignatureMismatch)
    );
}

#[test]
fn oaep_decrypts_openssl_ciphertext_and_round_trips() {
    let key = key();
    let mut rng = InsecureSeededRandom::from_seed(2);
    let alg = KeyTransportAlgorithm::RsaOaepMgf1p;
    let ct = hex::decode(CT_HEX.trim()).unwrap();
    let plain = key.decrypt_key(alg, &ct, &mut rng).unwrap();
    assert_eq!(plain.expose_secret(), b"0123456789abcdef0123456789abcdef");

    let secret = SecretKey::from_slice(&[7u8; 32]);
    let c1 = key
        .public_key()
        .encrypt_key(alg, &secret, &mut rng)
        .unwrap();
    let c2 = key
        .public_key()
        .encrypt_key(alg, &secret, &mut rng)
        .unwrap();
    assert_eq!(c1.len(), 256);
    assert_ne!(c1, c2, "OAEP is randomized");
    assert_eq!(key.decrypt_key(alg, &c1, &mut rng).unwrap(), secret);
    let mut bad = c1.clone();
    bad[10] ^= 0x80;
    assert_eq!(
        key.decrypt_key(alg, &bad, &mut rng),
        Err(CryptoError::DecryptionFailed)
    );
    assert_eq!(
        key.decrypt_key(alg, &c1[..200], &mut rng),
        Err(CryptoError::DecryptionFailed)
    );
    // 2048 bits carry at most 256 - 2·20 - 2 = 214 bytes.
    let too_long = SecretKey::from_slice(&[1u8; 215]);
    assert_eq!(
        key.public_key().encrypt_key(alg, &too_long, &mut rng),
        Err(CryptoError::InputTooLong)
    );
}

#[test]
fn small_and_malformed_keys_are_refused() {
    assert_eq!(
        RsaPrivateKey::from_pkcs8_pem(SMALL_PEM).map(|_| ()),
        Err(CryptoError::RsaKeyTooSmall {
            bits: 1024,
            min: 2048
        })
    );
    assert!(matches!(
        RsaPublicKey::from_spki_der(&SPKI[..100]),
        Err(CryptoError::InvalidRsaKey(_))
    ));
    assert!(matches!(
        RsaPrivateKey::from_pkcs8_der(b"not a key"),
        Err(CryptoError::InvalidRsaKey(_))
    ));
    let mut rng = InsecureSeededRandom::from_seed(3);
    assert!(matches!(
        RsaPrivateKey::generate(1024, &mut rng),
        Err(CryptoError::RsaKeyTooSmall { .. })
    ));
}

#[test]
fn debug_is_redacted_and_der_round_trips() {
    let key = key();
    assert_eq!(format!("{key:?}"), "RsaPrivateKey(2048 bits, redacted)");
    assert_eq!(format!("{:?}", key.public_key()), "RsaPublicKey(2048 bits)");
    let der = key.to_pkcs8_der().unwrap();
    let again = RsaPrivateKey::from_pkcs8_der(der.expose_secret()).unwrap();
    assert_eq!(again.public_key(), key.public_key());
}

#[test]
fn uris() {
    assert_eq!(
        RsaSignatureAlgorithm::from_uri("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
        Ok(RsaSignatureAlgorithm::RsaSha256)
    );
    assert!(RsaSignatureAlgorithm::from_uri("http://www.w3.org/2000/09/xmldsig#rsa-sha1").is_err());
    assert_eq!(
        KeyTransportAlgorithm::from_uri("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"),
        Ok(KeyTransportAlgorithm::RsaOaepMgf1p)
    );
    assert!(KeyTransportAlgorithm::from_uri("http://www.w3.org/2001/04/xmlenc#rsa-1_5").is_err());
    assert_eq!(
        KeyTransportAlgorithm::RsaOaepMgf1p.uri(),
        KeyTransportAlgorithm::RSA_OAEP_MGF1P_URI
    );
    assert_eq!(RsaSignatureAlgorithm::RsaSha256.name(), "RSA-SHA256");
}

#[test]
fn rsa15_key_transport_matches_openssl_only_where_allowed() {
    let key = key();
    let alg = KeyTransportAlgorithm::Rsa15;
    assert_eq!(
        KeyTransportAlgorithm::from_uri_allowing(KeyTransportAlgorithm::RSA_1_5_URI, &[alg]),
        Ok(alg)
    );
    assert!(
        KeyTransportAlgorithm::from_uri_allowing(KeyTransportAlgorithm::RSA_1_5_URI, &[]).is_err()
    );
    let ct = hex::decode(RSA15_CT_HEX.trim()).unwrap();
    let mut rng = InsecureSeededRandom::from_seed(5);
    // The plain decryption entry point refuses PKCS#1 v1.5 (no implicit rejection there).
    assert_eq!(
        key.decrypt_key(alg, &ct, &mut rng).map(|_| ()),
        Err(CryptoError::UnsupportedAlgorithm)
    );
    let plain = key.decrypt_key_expecting(alg, &ct, 32, &mut rng).unwrap();
    assert_eq!(plain.expose_secret(), b"0123456789abcdef0123456789abcdef");
    // Round trip through our own encryption (randomized padding: a new ciphertext each time).
    let secret = SecretKey::from_slice(&[0x42; 24]);
    let a = key
        .public_key()
        .encrypt_key(alg, &secret, &mut rng)
        .unwrap();
    let b = key
        .public_key()
        .encrypt_key(alg, &secret, &mut rng)
        .unwrap();
    assert_ne!(a, b);
    assert_eq!(
        key.decrypt_key_expecting(alg, &a, 24, &mut rng).unwrap(),
        secret
    );
}

#[test]
fn rsa15_implicit_rejection_answers_with_a_random_key() {
    let key = key();
    let alg = KeyTransportAlgorithm::Rsa15;
    let mut rng = InsecureSeededRandom::from_seed(6);
    let mut ct = hex::decode(RSA15_CT_HEX.trim()).unwrap();
    // The right ciphertext with the wrong expected length: a random key, never an error.
    let wrong_len = key.decrypt_key_expecting(alg, &ct, 16, &mut rng).unwrap();
    assert_eq!(wrong_len.len(), 16);
    assert_ne!(wrong_len.expose_secret(), b"0123456789abcdef");
    // A corrupted ciphertext, a short one and garbage: random keys of the asked length.
    ct[10] ^= 0x80;
    for bad in [&ct[..], &ct[..100], &[0u8; 256][..]] {
        let k1 = key.decrypt_key_expecting(alg, bad, 32, &mut rng).unwrap();
        let k2 = key.decrypt_key_expecting(alg, bad, 32, &mut rng).unwrap();
        assert_eq!(k1.len(), 32);
        assert_ne!(k1, k2, "fresh randomness each time");
        assert_ne!(k1.expose_secret(), b"0123456789abcdef0123456789abcdef");
    }
    assert_eq!(
        key.decrypt_key_expecting(alg, &ct, 0, &mut rng).map(|_| ()),
        Err(CryptoError::EmptyKey)
    );
    // OAEP through the same entry point: a wrong length is a plain decryption failure.
    let oaep = hex::decode(CT_HEX.trim()).unwrap();
    let oaep_alg = KeyTransportAlgorithm::RsaOaepMgf1p;
    assert_eq!(
        key.decrypt_key_expecting(oaep_alg, &oaep, 32, &mut rng)
            .unwrap()
            .expose_secret(),
        b"0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        key.decrypt_key_expecting(oaep_alg, &oaep, 16, &mut rng)
            .map(|_| ()),
        Err(CryptoError::DecryptionFailed)
    );
}
