use proptest::prelude::*;

use super::*;
use crate::InsecureSeededRandom;

fn key_for(alg: BlockCipherAlgorithm, byte: u8) -> SecretKey {
    SecretKey::from_vec(vec![byte; alg.key_len()])
}

fn any_alg() -> impl Strategy<Value = BlockCipherAlgorithm> {
    proptest::sample::select(BlockCipherAlgorithm::ALL.to_vec())
}

#[test]
fn uris_and_sizes() {
    for alg in BlockCipherAlgorithm::ALL {
        assert_eq!(BlockCipherAlgorithm::from_uri(alg.uri()), Ok(alg));
        let expected_key = match alg.name().get(4..7).unwrap() {
            "128" => 16,
            "192" => 24,
            _ => 32,
        };
        assert_eq!(alg.key_len(), expected_key, "{alg:?}");
        assert_eq!(alg.iv_len(), if alg.is_authenticated() { 12 } else { 16 });
        assert_eq!(alg.is_authenticated(), alg.uri().contains("xmlenc11#"));
    }
    assert_eq!(
        BlockCipherAlgorithm::from_uri("http://www.w3.org/2001/04/xmlenc#tripledes-cbc"),
        Err(CryptoError::UnsupportedAlgorithm)
    );
}

#[test]
fn wrong_key_length_is_a_configuration_error() {
    let mut rng = InsecureSeededRandom::from_seed(0);
    for alg in BlockCipherAlgorithm::ALL {
        let key = SecretKey::from_vec(vec![0; alg.key_len() + 1]);
        assert!(matches!(
            alg.encrypt(&key, &mut rng, b"x"),
            Err(CryptoError::InvalidKeyLength { .. })
        ));
        assert!(matches!(
            alg.decrypt(&key, &[0; 64]),
            Err(CryptoError::InvalidKeyLength { .. })
        ));
    }
}

#[test]
fn cbc_padding_is_xmlenc_style() {
    let alg = BlockCipherAlgorithm::Aes128Cbc;
    let key = key_for(alg, 5);
    let mut rng = InsecureSeededRandom::from_seed(11);
    for len in 0..=33usize {
        let pt = vec![0x41u8; len];
        let ct = alg.encrypt(&key, &mut rng, &pt).unwrap();
        let pad = 16 - len % 16;
        assert_eq!(ct.len(), 16 + len + pad, "len {len}");
        // Decrypt without unpadding to look at the filler: last byte = pad length.
        let mut raw = ct[16..].to_vec();
        cbc::tests_support_decrypt_raw(key.expose_secret(), &ct[..16], &mut raw);
        assert_eq!(&raw[..len], &pt[..]);
        assert_eq!(usize::from(raw[raw.len() - 1]), pad);
    }
}

#[test]
fn cbc_rejects_bad_lengths_and_pad_bytes_with_one_error() {
    let alg = BlockCipherAlgorithm::Aes256Cbc;
    let key = key_for(alg, 9);
    // Too short, IV only, not whole blocks.
    for len in [0usize, 15, 16, 17, 31, 33, 47] {
        assert_eq!(
            alg.decrypt(&key, &vec![0; len]).map(|_| ()),
            Err(CryptoError::DecryptionFailed),
            "len {len}"
        );
    }
    // Forge a last plaintext byte of 0 and of 17: craft the IV so block 1 decrypts to it.
    let mut rng = InsecureSeededRandom::from_seed(4);
    let ct = alg.encrypt(&key, &mut rng, &[0u8; 15]).unwrap(); // one block, pad byte = 1
    for forged in [0u8, 17, 255] {
        let mut bad = ct.clone();
        bad[15] ^= 1 ^ forged; // P = D(C) xor IV: change the last byte from 1 to `forged`
        assert_eq!(
            alg.decrypt(&key, &bad).map(|_| ()),
            Err(CryptoError::DecryptionFailed)
        );
    }
    // A pad byte of 16 on a one-block message leaves an empty plaintext: valid.
    let mut sixteen = ct.clone();
    sixteen[15] ^= 1 ^ 16;
    assert!(alg.decrypt(&key, &sixteen).unwrap().is_empty());
}

#[test]
fn gcm_rejects_short_input_with_the_same_error() {
    let alg = BlockCipherAlgorithm::Aes128Gcm;
    let key = key_for(alg, 1);
    for len in [0usize, 11, 12, 27] {
        assert_eq!(
            alg.decrypt(&key, &vec![0; len]).map(|_| ()),
            Err(CryptoError::DecryptionFailed)
        );
    }
    let mut rng = InsecureSeededRandom::from_seed(3);
    let ct = alg.encrypt(&key, &mut rng, b"").unwrap();
    assert_eq!(ct.len(), 28);
    assert!(alg.decrypt(&key, &ct).unwrap().is_empty());
}

proptest! {
    #[test]
    fn round_trip(
        alg in any_alg(),
        key_byte in any::<u8>(),
        pt in proptest::collection::vec(any::<u8>(), 0..300),
        seed in any::<u64>(),
    ) {
        let key = key_for(alg, key_byte);
        let mut rng = InsecureSeededRandom::from_seed(seed);
        let ct = alg.encrypt(&key, &mut rng, &pt).unwrap();
        prop_assert_eq!(&alg.decrypt(&key, &ct).unwrap()[..], &pt[..]);
        if alg.is_authenticated() {
            prop_assert_eq!(ct.len(), 12 + pt.len() + 16);
        } else {
            prop_assert_eq!(ct.len(), 16 + (pt.len() / 16 + 1) * 16);
        }
    }

    #[test]
    fn any_bit_flip_in_gcm_fails(
        alg in proptest::sample::select(vec![
            BlockCipherAlgorithm::Aes128Gcm,
            BlockCipherAlgorithm::Aes192Gcm,
            BlockCipherAlgorithm::Aes256Gcm,
        ]),
        pt in proptest::collection::vec(any::<u8>(), 0..200),
        seed in any::<u64>(),
        bit in any::<prop::sample::Index>(),
    ) {
        let key = key_for(alg, 0x42);
        let mut rng = InsecureSeededRandom::from_seed(seed);
        let mut ct = alg.encrypt(&key, &mut rng, &pt).unwrap();
        let i = bit.index(ct.len() * 8);
        ct[i / 8] ^= 1 << (i % 8);
        prop_assert_eq!(alg.decrypt(&key, &ct).map(|_| ()), Err(CryptoError::DecryptionFailed));
    }

    #[test]
    fn cbc_decrypt_of_arbitrary_bytes_never_panics(
        alg in proptest::sample::select(vec![
            BlockCipherAlgorithm::Aes128Cbc,
            BlockCipherAlgorithm::Aes192Cbc,
            BlockCipherAlgorithm::Aes256Cbc,
        ]),
        data in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let key = key_for(alg, 7);
        match alg.decrypt(&key, &data) {
            Ok(pt) => {
                // Only whole-block inputs of at least IV + one block decrypt.
                prop_assert!(data.len() >= 32 && data.len() % 16 == 0);
                prop_assert!(pt.len() < data.len() - 16);
            }
            Err(e) => prop_assert_eq!(e, CryptoError::DecryptionFailed),
        }
    }
}

#[test]
fn triple_des_is_legacy_cbc_with_8_byte_blocks() {
    let alg = BlockCipherAlgorithm::TripleDesCbc;
    assert_eq!(
        BlockCipherAlgorithm::from_uri(BlockCipherAlgorithm::TRIPLEDES_CBC_URI),
        Err(CryptoError::UnsupportedAlgorithm)
    );
    assert_eq!(
        BlockCipherAlgorithm::from_uri_allowing(
            BlockCipherAlgorithm::TRIPLEDES_CBC_URI,
            &BlockCipherAlgorithm::LEGACY
        ),
        Ok(alg)
    );
    // The allowance does not widen anything else.
    assert_eq!(
        BlockCipherAlgorithm::from_uri_allowing("urn:other", &BlockCipherAlgorithm::LEGACY),
        Err(CryptoError::UnsupportedAlgorithm)
    );
    assert_eq!(
        (alg.key_len(), alg.iv_len(), alg.is_authenticated()),
        (24, 8, false)
    );
    let key = SecretKey::from_slice(b"abcdefghijklmnopqrstuvwx");
    let mut rng = InsecureSeededRandom::from_seed(8);
    for len in 0..=17usize {
        let pt = vec![0x33u8; len];
        let ct = alg.encrypt(&key, &mut rng, &pt).unwrap();
        let pad = 8 - len % 8;
        assert_eq!(ct.len(), 8 + len + pad, "len {len}");
        let mut raw = ct[8..].to_vec();
        cbc::tests_support_decrypt_raw(key.expose_secret(), &ct[..8], &mut raw);
        assert_eq!(usize::from(raw[raw.len() - 1]), pad);
        assert_eq!(&alg.decrypt(&key, &ct).unwrap()[..], &pt[..]);
    }
    for len in [0usize, 7, 8, 9, 15, 17] {
        assert_eq!(
            alg.decrypt(&key, &vec![0; len]).map(|_| ()),
            Err(CryptoError::DecryptionFailed),
            "len {len}"
        );
    }
}

/// NIST SP 800-67 Rev. 2 Appendix B: TDEA with three distinct keys on "The qufck brown fox
/// jump". Its first block is the ECB value; under CBC with a zero IV the first ciphertext block
/// equals it (CBC chains from there, which the Merlin interop vector in
/// `tests/legacy_vectors.rs` covers).
#[test]
fn triple_des_first_block_matches_sp800_67() {
    let key = hex::decode("0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123").unwrap();
    let mut block = b"The qufc".to_vec();
    cbc::encrypt_raw(CbcCipher::TripleDes, &key, &[0u8; 8], &mut block).unwrap();
    assert_eq!(hex::encode_upper(&block), "A826FD8CE53B855F");
}
