use proptest::prelude::*;

use super::*;

fn key(bytes: &[u8]) -> SecretKey {
    SecretKey::from_slice(bytes)
}

fn mac_of(alg: MacAlgorithm, k: &[u8], data: &[u8]) -> MacValue {
    let mut m = alg.mac(&key(k)).unwrap();
    m.update(data);
    m.finish()
}

#[test]
fn rfc_known_answers() {
    // RFC 2202 §3 test case 2 (HMAC-SHA1) and RFC 4231 §4.3 test case 2 (HMAC-SHA256).
    let data = b"what do ya want for nothing?";
    assert_eq!(
        format!("{:?}", mac_of(MacAlgorithm::HmacSha1, b"Jefe", data)),
        "MacValue(effcdf6ae5eb2fa2d27416d5f184df9c259a7c79)"
    );
    assert_eq!(
        format!("{:?}", mac_of(MacAlgorithm::HmacSha256, b"Jefe", data)),
        "MacValue(5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843)"
    );
}

#[test]
fn uris_round_trip() {
    for alg in [MacAlgorithm::HmacSha1, MacAlgorithm::HmacSha256] {
        assert_eq!(MacAlgorithm::from_uri(alg.uri()), Ok(alg));
    }
    assert_eq!(
        MacAlgorithm::from_uri("http://www.w3.org/2001/04/xmldsig-more#hmac-md5"),
        Err(CryptoError::UnsupportedAlgorithm)
    );
}

#[test]
fn minimum_lengths_follow_the_documented_rule() {
    assert_eq!(MacAlgorithm::HmacSha1.min_output_bits(), 160);
    assert_eq!(MacAlgorithm::HmacSha256.min_output_bits(), 128);
}

#[test]
fn declared_output_length_policy() {
    let sha1 = MacAlgorithm::HmacSha1;
    assert!(matches!(
        sha1.check_output_length(40),
        Err(CryptoError::MacTooShort {
            bits: 40,
            min_bits: 160,
            ..
        })
    ));
    assert!(matches!(
        sha1.check_output_length(128),
        Err(CryptoError::MacTooShort { .. })
    ));
    assert_eq!(sha1.check_output_length(160), Ok(()));
    assert!(matches!(
        sha1.check_output_length(168),
        Err(CryptoError::InvalidMacLength { .. })
    ));

    let sha256 = MacAlgorithm::HmacSha256;
    assert_eq!(sha256.check_output_length(128), Ok(()));
    assert_eq!(sha256.check_output_length(256), Ok(()));
    assert!(matches!(
        sha256.check_output_length(120),
        Err(CryptoError::MacTooShort { .. })
    ));
    assert!(matches!(
        sha256.check_output_length(129),
        Err(CryptoError::InvalidMacLength { .. })
    ));
    assert!(matches!(
        sha256.check_output_length(264),
        Err(CryptoError::InvalidMacLength { .. })
    ));
    assert!(matches!(
        sha256.check_output_length(0),
        Err(CryptoError::MacTooShort { bits: 0, .. })
    ));
}

#[test]
fn verify_accepts_full_and_allowed_truncation_only() {
    let k = key(b"0123456789abcdef0123456789abcdef");
    let data = b"<ds:SignedInfo/>";
    let run = |alg: MacAlgorithm, expected: &[u8], min: u64| {
        let mut m = alg.mac(&k).unwrap();
        m.update(data);
        m.verify(expected, min)
    };
    for alg in [MacAlgorithm::HmacSha1, MacAlgorithm::HmacSha256] {
        let full = mac_of(alg, k.expose_secret(), data);
        assert_eq!(run(alg, full.as_bytes(), 0), Ok(()));
        assert_eq!(
            run(alg, full.as_bytes(), 8 * full.as_bytes().len() as u64),
            Ok(())
        );
        let mut longer = full.as_bytes().to_vec();
        longer.push(0);
        assert!(matches!(
            run(alg, &longer, 0),
            Err(CryptoError::InvalidMacLength { .. })
        ));
        assert!(matches!(
            run(alg, &[], 0),
            Err(CryptoError::MacTooShort { .. })
        ));
    }

    // HMAC-SHA256 truncated to 16 bytes: allowed by default, refused when the caller asks for more.
    let full = mac_of(MacAlgorithm::HmacSha256, k.expose_secret(), data);
    let half = full.as_bytes().get(..16).unwrap();
    assert_eq!(run(MacAlgorithm::HmacSha256, half, 0), Ok(()));
    assert!(matches!(
        run(MacAlgorithm::HmacSha256, half, 256),
        Err(CryptoError::MacTooShort { min_bits: 256, .. })
    ));
    let short = full.as_bytes().get(..15).unwrap();
    assert!(matches!(
        run(MacAlgorithm::HmacSha256, short, 0),
        Err(CryptoError::MacTooShort { .. })
    ));

    // HMAC-SHA1 truncated to 128 bits: a correct prefix, refused by the 160-bit floor.
    let full = mac_of(MacAlgorithm::HmacSha1, k.expose_secret(), data);
    let prefix = full.as_bytes().get(..16).unwrap();
    assert!(matches!(
        run(MacAlgorithm::HmacSha1, prefix, 0),
        Err(CryptoError::MacTooShort {
            bits: 128,
            min_bits: 160,
            ..
        })
    ));
}

#[test]
fn wrong_key_or_data_is_a_mismatch() {
    let data = b"message";
    let good = mac_of(MacAlgorithm::HmacSha256, b"key-a", data);
    let mut m = MacAlgorithm::HmacSha256.mac(&key(b"key-b")).unwrap();
    m.update(data);
    assert_eq!(m.verify(good.as_bytes(), 0), Err(CryptoError::MacMismatch));
    let mut m = MacAlgorithm::HmacSha256.mac(&key(b"key-a")).unwrap();
    m.update(b"messagE");
    assert_eq!(m.verify(good.as_bytes(), 0), Err(CryptoError::MacMismatch));
}

#[test]
fn empty_key_is_refused_and_debug_hides_state() {
    assert_eq!(
        MacAlgorithm::HmacSha1.mac(&key(b"")).map(|_| ()),
        Err(CryptoError::EmptyKey)
    );
    let m = MacAlgorithm::HmacSha1.mac(&key(b"sekrit")).unwrap();
    let shown = format!("{m:?}");
    assert!(
        shown.contains("HmacSha1") && !shown.contains("sekrit"),
        "{shown}"
    );
}

#[test]
fn io_write_feeds_the_mac() {
    use std::io::Write as _;
    let mut m = MacAlgorithm::HmacSha1.mac(&key(b"k")).unwrap();
    m.write_all(b"ab").unwrap();
    m.write_all(b"c").unwrap();
    assert_eq!(m.finish(), mac_of(MacAlgorithm::HmacSha1, b"k", b"abc"));
}

fn any_alg() -> impl Strategy<Value = MacAlgorithm> {
    prop_oneof![Just(MacAlgorithm::HmacSha1), Just(MacAlgorithm::HmacSha256)]
}

proptest! {
    #[test]
    fn streaming_equals_one_shot(
        alg in any_alg(),
        k in proptest::collection::vec(any::<u8>(), 1..80),
        data in proptest::collection::vec(any::<u8>(), 0..300),
        cut in any::<prop::sample::Index>(),
    ) {
        let at = cut.index(data.len() + 1);
        let (a, b) = data.split_at(at);
        let mut m = alg.mac(&key(&k)).unwrap();
        m.update(a);
        m.update(b);
        prop_assert_eq!(m.finish(), mac_of(alg, &k, &data));
    }

    #[test]
    fn any_bit_flip_in_the_received_mac_fails(
        alg in any_alg(),
        data in proptest::collection::vec(any::<u8>(), 0..100),
        bit in any::<prop::sample::Index>(),
    ) {
        let good = mac_of(alg, b"key", &data);
        let mut bad = good.as_bytes().to_vec();
        let i = bit.index(bad.len() * 8);
        bad[i / 8] ^= 1 << (i % 8);
        let mut m = alg.mac(&key(b"key")).unwrap();
        m.update(&data);
        prop_assert_eq!(m.verify(&bad, 0), Err(CryptoError::MacMismatch));
    }
}
