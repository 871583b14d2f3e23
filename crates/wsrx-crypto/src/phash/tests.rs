use proptest::prelude::*;

use super::*;

fn stream(alg: PHashAlgorithm, secret: &[u8], seed: &[u8], offset: u64, len: u64) -> Vec<u8> {
    p_hash(alg, secret, seed, offset, len)
        .unwrap()
        .expose_secret()
        .to_vec()
}

fn any_alg() -> impl Strategy<Value = PHashAlgorithm> {
    prop_oneof![Just(PHashAlgorithm::PSha1), Just(PHashAlgorithm::PSha256)]
}

#[test]
fn limits_are_enforced_before_any_work() {
    let s = b"secret";
    assert_eq!(
        p_hash(
            PHashAlgorithm::PSha1,
            s,
            b"seed",
            0,
            MAX_DERIVATION_BYTES + 1
        )
        .map(|_| ()),
        Err(CryptoError::DerivationTooLong {
            requested: MAX_DERIVATION_BYTES + 1,
            limit: MAX_DERIVATION_BYTES
        })
    );
    // A hostile Offset near u64::MAX must not overflow or loop.
    assert!(matches!(
        p_hash(PHashAlgorithm::PSha1, s, b"seed", u64::MAX, 32),
        Err(CryptoError::DerivationTooLong {
            requested: u64::MAX,
            ..
        })
    ));
    assert!(matches!(
        derive_key(
            &SecretKey::from_slice(s),
            None,
            b"n",
            u64::MAX - 1,
            u64::MAX - 1
        ),
        Err(CryptoError::DerivationTooLong { .. })
    ));
    // The cap itself is allowed.
    assert_eq!(
        p_hash(
            PHashAlgorithm::PSha1,
            s,
            b"seed",
            MAX_DERIVATION_BYTES - 32,
            32
        )
        .unwrap()
        .len(),
        32
    );
    assert_eq!(
        p_hash(PHashAlgorithm::PSha1, s, b"seed", 0, 0).map(|_| ()),
        Err(CryptoError::InvalidDerivedLength)
    );
    assert_eq!(
        p_hash(PHashAlgorithm::PSha1, b"", b"seed", 0, 32).map(|_| ()),
        Err(CryptoError::EmptyKey)
    );
    let long_nonce = vec![0u8; MAX_SEED_BYTES - DEFAULT_LABEL.len() + 1];
    assert_eq!(
        derive_key(&SecretKey::from_slice(s), None, &long_nonce, 0, 32).map(|_| ()),
        Err(CryptoError::SeedTooLong {
            len: MAX_SEED_BYTES + 1,
            limit: MAX_SEED_BYTES
        })
    );
}

#[test]
fn computed_key_size_must_be_whole_bytes() {
    assert_eq!(
        computed_key(b"a", b"b", 255).map(|_| ()),
        Err(CryptoError::InvalidDerivedLength)
    );
    assert_eq!(
        computed_key(b"a", b"b", 0).map(|_| ()),
        Err(CryptoError::InvalidDerivedLength)
    );
    assert_eq!(computed_key(b"a", b"b", 192).unwrap().len(), 24);
}

#[test]
fn algorithm_uris() {
    for uri in [
        P_SHA1_URI_200512,
        P_SHA1_URI_200502,
        COMPUTED_KEY_PSHA1_URI_200512,
        COMPUTED_KEY_PSHA1_URI_200502,
    ] {
        assert_eq!(PHashAlgorithm::from_uri(uri), Ok(PHashAlgorithm::PSha1));
    }
    assert_eq!(
        PHashAlgorithm::from_uri(
            "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512/dk/p_sha256"
        ),
        Err(CryptoError::UnsupportedAlgorithm)
    );
}

#[test]
fn default_label_is_the_doubled_string() {
    assert_eq!(DEFAULT_LABEL.len(), 42);
    assert_eq!(&DEFAULT_LABEL[..21], &DEFAULT_LABEL[21..]);
    let k = SecretKey::from_slice(b"k");
    assert_eq!(
        derive_key(&k, None, b"nonce", 0, 32).unwrap(),
        derive_key(&k, Some(DEFAULT_LABEL), b"nonce", 0, 32).unwrap()
    );
    assert_ne!(
        derive_key(&k, None, b"nonce", 0, 32).unwrap(),
        derive_key(&k, Some(b"WS-SecureConversation"), b"nonce", 0, 32).unwrap()
    );
}

#[test]
fn derive_key_concatenates_label_and_nonce() {
    let k = SecretKey::from_slice(b"sct secret");
    let via_parts = derive_key(&k, Some(b"lab"), b"el+nonce", 8, 24).unwrap();
    let via_seed = p_hash(PHashAlgorithm::PSha1, b"sct secret", b"label+nonce", 8, 24).unwrap();
    assert_eq!(via_parts, via_seed);
}

proptest! {
    #[test]
    fn shorter_output_is_a_prefix_of_longer(
        alg in any_alg(),
        secret in proptest::collection::vec(any::<u8>(), 1..64),
        seed in proptest::collection::vec(any::<u8>(), 0..128),
        short in 1u64..200,
        extra in 0u64..200,
    ) {
        let long = stream(alg, &secret, &seed, 0, short + extra);
        let shorter = stream(alg, &secret, &seed, 0, short);
        prop_assert_eq!(&long[..shorter.len()], &shorter[..]);
    }

    #[test]
    fn offset_selects_a_window_of_the_stream(
        alg in any_alg(),
        secret in proptest::collection::vec(any::<u8>(), 1..64),
        seed in proptest::collection::vec(any::<u8>(), 0..128),
        offset in 0u64..300,
        len in 1u64..100,
    ) {
        let whole = stream(alg, &secret, &seed, 0, offset + len);
        let window = stream(alg, &secret, &seed, offset, len);
        prop_assert_eq!(window.len() as u64, len);
        prop_assert_eq!(&whole[offset as usize..], &window[..]);
    }

    #[test]
    fn p_sha1_and_p_sha256_differ(
        secret in proptest::collection::vec(any::<u8>(), 1..64),
        seed in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        prop_assert_ne!(
            stream(PHashAlgorithm::PSha1, &secret, &seed, 0, 32),
            stream(PHashAlgorithm::PSha256, &secret, &seed, 0, 32)
        );
    }
}
