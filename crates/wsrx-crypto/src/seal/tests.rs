use proptest::prelude::*;

use super::*;
use crate::InsecureSeededRandom;

fn kek(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; KEK_LEN])
}

fn blob_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, u64)> {
    (
        proptest::collection::vec(any::<u8>(), 0..200),
        proptest::collection::vec(any::<u8>(), 0..64),
        any::<u64>(),
    )
}

#[test]
fn layout_is_nonce_then_ciphertext_then_tag() {
    let mut rng = InsecureSeededRandom::from_seed(9);
    let blob = seal(&kek(1), &mut rng, b"aad", b"sct secret bytes").unwrap();
    assert_eq!(blob.len(), SEAL_OVERHEAD + 16);
    let mut expected_nonce = [0u8; SEAL_NONCE_LEN];
    InsecureSeededRandom::from_seed(9)
        .fill_nonce(&mut expected_nonce)
        .unwrap();
    assert_eq!(&blob[..SEAL_NONCE_LEN], &expected_nonce);
    assert_ne!(
        &blob[SEAL_NONCE_LEN..SEAL_NONCE_LEN + 16],
        b"sct secret bytes"
    );
    // An empty plaintext still seals (tag only).
    let empty = seal(&kek(1), &mut rng, b"", b"").unwrap();
    assert_eq!(empty.len(), SEAL_OVERHEAD);
    assert!(open(&kek(1), b"", &empty).unwrap().is_empty());
}

#[test]
fn two_seals_of_the_same_secret_differ() {
    let mut rng = InsecureSeededRandom::from_seed(1);
    let a = seal(&kek(1), &mut rng, b"aad", b"same").unwrap();
    let b = seal(&kek(1), &mut rng, b"aad", b"same").unwrap();
    assert_ne!(a, b);
}

#[test]
fn wrong_kek_and_wrong_kek_length() {
    let mut rng = InsecureSeededRandom::from_seed(2);
    let blob = seal(&kek(1), &mut rng, b"aad", b"secret").unwrap();
    assert_eq!(
        open(&kek(2), b"aad", &blob).map(|_| ()),
        Err(CryptoError::DecryptionFailed)
    );
    let short = SecretKey::from_slice(&[1; 16]);
    assert_eq!(
        open(&short, b"aad", &blob).map(|_| ()),
        Err(CryptoError::InvalidKeyLength {
            algorithm: "AES-256-GCM seal",
            expected: 32,
            actual: 16
        })
    );
    assert!(matches!(
        seal(&short, &mut rng, b"", b"x"),
        Err(CryptoError::InvalidKeyLength { .. })
    ));
}

#[test]
fn key_id_is_stable_distinct_and_domain_separated() {
    let a = KeyId::of(&kek(1));
    assert_eq!(a, KeyId::of(&kek(1)));
    assert_ne!(a, KeyId::of(&kek(2)));
    // Not simply the hash of the key: the domain tag is part of the input.
    let plain = DigestAlgorithm::Sha256.digest(kek(1).expose_secret());
    assert_ne!(&a.to_bytes()[..], &plain.as_bytes()[..8]);
    let mut d = DigestAlgorithm::Sha256.digester();
    d.update(b"wsrx-kek-id-v1");
    d.update(kek(1).expose_secret());
    assert_eq!(&a.to_bytes()[..], &d.finish().as_bytes()[..8]);
}

#[test]
fn key_id_text_form_round_trips() {
    let id = KeyId::of(&kek(7));
    let text = id.to_string();
    assert_eq!(text.len(), 16);
    assert!(
        text.bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(text.parse::<KeyId>(), Ok(id));
    assert_eq!(KeyId::from_hex(&text.to_uppercase()), Ok(id));
    assert_eq!(format!("{id:?}"), format!("KeyId({text})"));
    assert_eq!(KeyId::from_bytes(id.to_bytes()), id);
    for bad in [
        "",
        "0011223344556677aa",
        "001122334455667g",
        "00112233445566 7",
    ] {
        assert_eq!(
            KeyId::from_hex(bad),
            Err(CryptoError::InvalidKeyId),
            "{bad:?}"
        );
    }
}

proptest! {
    #[test]
    fn round_trip((plaintext, aad, seed) in blob_strategy()) {
        let mut rng = InsecureSeededRandom::from_seed(seed);
        let blob = seal(&kek(3), &mut rng, &aad, &plaintext).unwrap();
        prop_assert_eq!(blob.len(), plaintext.len() + SEAL_OVERHEAD);
        prop_assert_eq!(&open(&kek(3), &aad, &blob).unwrap()[..], &plaintext[..]);
    }

    #[test]
    fn any_bit_flip_fails((plaintext, aad, seed) in blob_strategy(), bit in any::<prop::sample::Index>()) {
        let mut rng = InsecureSeededRandom::from_seed(seed);
        let mut blob = seal(&kek(3), &mut rng, &aad, &plaintext).unwrap();
        let i = bit.index(blob.len() * 8);
        blob[i / 8] ^= 1 << (i % 8);
        prop_assert_eq!(open(&kek(3), &aad, &blob).map(|_| ()), Err(CryptoError::DecryptionFailed));
    }

    #[test]
    fn wrong_aad_fails(
        (plaintext, aad, seed) in blob_strategy(),
        other in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        prop_assume!(aad != other);
        let mut rng = InsecureSeededRandom::from_seed(seed);
        let blob = seal(&kek(3), &mut rng, &aad, &plaintext).unwrap();
        prop_assert_eq!(open(&kek(3), &other, &blob).map(|_| ()), Err(CryptoError::DecryptionFailed));
    }

    #[test]
    fn truncation_fails_with_a_typed_error(
        (plaintext, aad, seed) in blob_strategy(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut rng = InsecureSeededRandom::from_seed(seed);
        let blob = seal(&kek(3), &mut rng, &aad, &plaintext).unwrap();
        let keep = cut.index(blob.len()); // strictly shorter than the blob
        let result = open(&kek(3), &aad, &blob[..keep]).map(|_| ());
        if keep < SEAL_OVERHEAD {
            prop_assert_eq!(result, Err(CryptoError::SealedBlobTooShort { len: keep, min: SEAL_OVERHEAD }));
        } else {
            prop_assert_eq!(result, Err(CryptoError::DecryptionFailed));
        }
    }
}
