use proptest::prelude::*;

use super::*;
use crate::InsecureSeededRandom;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

/// RFC 3394 §4.1–§4.6 (AES key wrap with the default IV): KEK, key data, wrapped key.
const RFC3394: [(&str, &str, &str); 6] = [
    (
        "000102030405060708090A0B0C0D0E0F",
        "00112233445566778899AABBCCDDEEFF",
        "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5",
    ),
    (
        "000102030405060708090A0B0C0D0E0F1011121314151617",
        "00112233445566778899AABBCCDDEEFF",
        "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D",
    ),
    (
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
        "00112233445566778899AABBCCDDEEFF",
        "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7",
    ),
    (
        "000102030405060708090A0B0C0D0E0F1011121314151617",
        "00112233445566778899AABBCCDDEEFF0001020304050607",
        "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2",
    ),
    (
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
        "00112233445566778899AABBCCDDEEFF0001020304050607",
        "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1",
    ),
    (
        "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
        "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
        "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21",
    ),
];

fn aes_for(kek: &[u8]) -> KeyWrapAlgorithm {
    match kek.len() {
        16 => KeyWrapAlgorithm::Aes128Kw,
        24 => KeyWrapAlgorithm::Aes192Kw,
        _ => KeyWrapAlgorithm::Aes256Kw,
    }
}

#[test]
fn rfc3394_known_answers() {
    let mut rng = InsecureSeededRandom::from_seed(0);
    for (kek, data, wrapped) in RFC3394 {
        let (kek, data, wrapped) = (h(kek), h(data), h(wrapped));
        let alg = aes_for(&kek);
        let kek = SecretKey::from_vec(kek);
        let key = SecretKey::from_vec(data.clone());
        assert_eq!(alg.wrap(&kek, &key, &mut rng).unwrap(), wrapped, "{alg:?}");
        assert_eq!(
            alg.unwrap(&kek, &wrapped).unwrap().expose_secret(),
            &data[..]
        );
        // Any flipped bit breaks the RFC 3394 integrity check.
        let mut bad = wrapped.clone();
        bad[5] ^= 0x10;
        assert_eq!(
            alg.unwrap(&kek, &bad).map(|_| ()),
            Err(CryptoError::DecryptionFailed)
        );
    }
}

#[test]
fn uris_lengths_and_the_legacy_gate() {
    for alg in KeyWrapAlgorithm::ALL {
        assert_eq!(KeyWrapAlgorithm::from_uri(alg.uri()), Ok(alg));
    }
    let tdes = KeyWrapAlgorithm::TRIPLEDES_KW_URI;
    assert_eq!(
        KeyWrapAlgorithm::from_uri(tdes),
        Err(CryptoError::UnsupportedAlgorithm)
    );
    assert_eq!(
        KeyWrapAlgorithm::from_uri_allowing(tdes, &[KeyWrapAlgorithm::TripleDesKw]),
        Ok(KeyWrapAlgorithm::TripleDesKw)
    );
    assert_eq!(KeyWrapAlgorithm::TripleDesKw.kek_len(), 24);
    let mut rng = InsecureSeededRandom::from_seed(1);
    let kek = SecretKey::from_vec(vec![1; 16]);
    assert!(matches!(
        KeyWrapAlgorithm::Aes128Kw.wrap(&kek, &SecretKey::from_vec(vec![0; 12]), &mut rng),
        Err(CryptoError::KeyToWrapLength { len: 12, .. })
    ));
    assert!(matches!(
        KeyWrapAlgorithm::Aes128Kw.wrap(&kek, &SecretKey::from_vec(vec![0; 8]), &mut rng),
        Err(CryptoError::KeyToWrapLength { len: 8, .. })
    ));
    assert!(matches!(
        KeyWrapAlgorithm::Aes256Kw.wrap(&kek, &kek, &mut rng),
        Err(CryptoError::InvalidKeyLength {
            expected: 32,
            actual: 16,
            ..
        })
    ));
    for len in [0usize, 8, 16, 23, 25] {
        assert_eq!(
            KeyWrapAlgorithm::Aes128Kw
                .unwrap(&kek, &vec![0; len])
                .map(|_| ()),
            Err(CryptoError::DecryptionFailed)
        );
        assert_eq!(
            KeyWrapAlgorithm::TripleDesKw
                .unwrap(&SecretKey::from_vec(vec![3; 24]), &vec![0; len])
                .map(|_| ()),
            Err(CryptoError::DecryptionFailed)
        );
    }
}

#[test]
fn triple_des_wrap_is_randomized_and_checked() {
    let alg = KeyWrapAlgorithm::TripleDesKw;
    let kek = SecretKey::from_slice(b"abcdefghijklmnopqrstuvwx");
    let key = SecretKey::from_vec((0u8..32).collect());
    let mut rng = InsecureSeededRandom::from_seed(9);
    let a = alg.wrap(&kek, &key, &mut rng).unwrap();
    let b = alg.wrap(&kek, &key, &mut rng).unwrap();
    // IV (8) + key (32) + ICV (8); a fresh IV each time.
    assert_eq!(a.len(), 48);
    assert_ne!(a, b);
    assert_eq!(alg.unwrap(&kek, &a).unwrap(), key);
    assert_eq!(alg.unwrap(&kek, &b).unwrap(), key);
    for i in 0..a.len() {
        let mut bad = a.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            alg.unwrap(&kek, &bad).map(|_| ()),
            Err(CryptoError::DecryptionFailed),
            "flip in byte {i}"
        );
    }
    // (Not "…vwy": DES ignores the low bit of every key byte, its parity bit.)
    let other = SecretKey::from_slice(b"Abcdefghijklmnopqrstuvwx");
    assert_eq!(
        alg.unwrap(&other, &a).map(|_| ()),
        Err(CryptoError::DecryptionFailed)
    );
}

proptest! {
    #[test]
    fn round_trip(
        alg in proptest::sample::select(vec![
            KeyWrapAlgorithm::Aes128Kw,
            KeyWrapAlgorithm::Aes192Kw,
            KeyWrapAlgorithm::Aes256Kw,
            KeyWrapAlgorithm::TripleDesKw,
        ]),
        blocks in 2usize..6,
        byte in any::<u8>(),
        seed in any::<u64>(),
    ) {
        let kek = SecretKey::from_vec(vec![byte; alg.kek_len()]);
        let key = SecretKey::from_vec((0..blocks * 8).map(|i| i as u8 ^ byte).collect());
        let mut rng = InsecureSeededRandom::from_seed(seed);
        let wrapped = alg.wrap(&kek, &key, &mut rng).unwrap();
        prop_assert_eq!(wrapped.len(), key.len() + 8 + if alg == KeyWrapAlgorithm::TripleDesKw { 8 } else { 0 });
        prop_assert_eq!(alg.unwrap(&kek, &wrapped).unwrap(), key);
    }

    #[test]
    fn unwrap_of_arbitrary_bytes_never_panics(
        alg in proptest::sample::select(vec![
            KeyWrapAlgorithm::Aes128Kw,
            KeyWrapAlgorithm::TripleDesKw,
        ]),
        data in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let kek = SecretKey::from_vec(vec![5; alg.kek_len()]);
        if let Err(e) = alg.unwrap(&kek, &data) {
            prop_assert_eq!(e, CryptoError::DecryptionFailed);
        }
    }
}
