//! Properties of the sealed SCT record (`wsrx_sc::sealed`): round trip, any bit flip
//! fails, a blob does not open for another identifier, truncation is typed, and key
//! rotation works (old blobs open while the ring keeps the old key, new blobs use the
//! new key, rewrapped blobs open without the old key).
//!
//! Seeded: set `WSRX_SEED` to replay; the seed is printed on failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::panic_in_result_fn,
    clippy::unwrap_in_result,
    reason = "test code"
)]

use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use wsrx_crypto::{InsecureSeededRandom, KeyId, KeyRing, SecretKey};
use wsrx_sc::EstablishedSct;
use wsrx_sc::sealed::{SealError, key_id_of, rewrap, seal, unseal};
use wsrx_security::ScVersion;

fn seed() -> u64 {
    std::env::var("WSRX_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5c_5eed)
}

/// Runs `test` over `strategy` with a runner seeded from [`seed`], printing it on failure.
fn check<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let seed = seed();
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    if let Err(e) = runner.run(&strategy, test) {
        let what = match e {
            TestError::Fail(reason, value) => format!("{reason} for {value:?}"),
            TestError::Abort(reason) => format!("aborted: {reason}"),
        };
        panic!("{name} failed with WSRX_SEED={seed}: {what}");
    }
}

fn token() -> impl Strategy<Value = EstablishedSct> {
    (
        "urn:uuid:[0-9a-f-]{1,36}",
        proptest::option::of("urn:uuid:[0-9a-f]{1,12}"),
        proptest::collection::vec(any::<u8>(), 1..64),
        0u64..4_000_000_000,
        1u64..1_000_000,
        any::<bool>(),
        "https?://[a-z.]{1,20}(/[a-z]{0,8})?",
    )
        .prop_map(
            |(identifier, instance, secret, created, life, v, endpoint)| {
                let created = SystemTime::UNIX_EPOCH + Duration::from_millis(created * 1000 + 123);
                EstablishedSct {
                    identifier,
                    instance,
                    secret: SecretKey::from_vec(secret),
                    created,
                    expires: created + Duration::from_secs(life),
                    version: if v {
                        ScVersion::V200512
                    } else {
                        ScVersion::V200502
                    },
                    endpoint,
                }
            },
        )
}

fn ring(bytes: &[u8]) -> KeyRing {
    KeyRing::from_keys(
        bytes
            .iter()
            .map(|b| SecretKey::from_vec(vec![*b; 32]))
            .collect(),
    )
    .unwrap()
}

#[test]
fn round_trip() {
    check("round_trip", (token(), any::<u64>()), |(tok, s)| {
        let r = ring(&[1]);
        let blob = seal(&tok, &r, &mut InsecureSeededRandom::from_seed(s)).unwrap();
        prop_assert_eq!(unseal(&blob, &r, &tok.identifier).unwrap(), tok.clone());
        let shown = format!("{tok:?}");
        let secret_bytes = format!("{:?}", tok.secret.expose_secret());
        prop_assert!(!shown.contains(&secret_bytes), "Debug shows the secret");
        Ok(())
    });
}

#[test]
fn any_bit_flip_fails() {
    check(
        "any_bit_flip_fails",
        (token(), any::<prop::sample::Index>(), 0u8..8),
        |(tok, at, bit)| {
            let r = ring(&[2]);
            let mut blob = seal(&tok, &r, &mut InsecureSeededRandom::from_seed(1)).unwrap();
            let i = at.index(blob.len());
            blob[i] ^= 1 << bit;
            let err = unseal(&blob, &r, &tok.identifier).unwrap_err();
            let expected = match i {
                0 => matches!(err, SealError::UnsupportedVersion(_)),
                1..=8 => matches!(err, SealError::UnknownKey(_)),
                _ => err == SealError::Tampered,
            };
            prop_assert!(expected, "flip at {} gave {:?}", i, err);
            Ok(())
        },
    );
}

#[test]
fn another_identifier_does_not_open() {
    check(
        "another_identifier_does_not_open",
        (token(), "[a-z0-9:-]{0,8}"),
        |(tok, suffix)| {
            let r = ring(&[3]);
            let blob = seal(&tok, &r, &mut InsecureSeededRandom::from_seed(2)).unwrap();
            let other = format!("{}{suffix}x", tok.identifier);
            prop_assert_eq!(unseal(&blob, &r, &other), Err(SealError::Tampered));
            Ok(())
        },
    );
}

#[test]
fn truncation_is_typed() {
    check(
        "truncation_is_typed",
        (token(), any::<prop::sample::Index>()),
        |(tok, at)| {
            let r = ring(&[4]);
            let blob = seal(&tok, &r, &mut InsecureSeededRandom::from_seed(3)).unwrap();
            let cut = &blob[..at.index(blob.len())];
            let err = unseal(cut, &r, &tok.identifier).unwrap_err();
            prop_assert!(
                matches!(err, SealError::Truncated | SealError::Tampered),
                "{:?}",
                err
            );
            if cut.len() < 1 + 8 + 12 + 16 {
                prop_assert_eq!(err, SealError::Truncated);
            }
            Ok(())
        },
    );
}

#[test]
fn rotation_and_rewrap() {
    check(
        "rotation_and_rewrap",
        (token(), any::<u64>()),
        |(tok, s)| {
            let mut rng = InsecureSeededRandom::from_seed(s);
            let old = ring(&[5]);
            let both = ring(&[6, 5]);
            let new_only = ring(&[6]);
            let id = |r: &KeyRing| -> KeyId { r.active().0 };
            let old_blob = seal(&tok, &old, &mut rng).unwrap();
            prop_assert_eq!(
                unseal(&old_blob, &both, &tok.identifier).unwrap(),
                tok.clone()
            );
            let new_blob = seal(&tok, &both, &mut rng).unwrap();
            prop_assert_eq!(key_id_of(&new_blob).unwrap(), id(&new_only));
            prop_assert_eq!(
                unseal(&old_blob, &new_only, &tok.identifier),
                Err(SealError::UnknownKey(id(&old)))
            );
            let moved = rewrap(&old_blob, &both, &tok.identifier, &mut rng).unwrap();
            prop_assert_eq!(key_id_of(&moved).unwrap(), id(&new_only));
            prop_assert_eq!(
                unseal(&moved, &new_only, &tok.identifier).unwrap(),
                tok.clone()
            );
            Ok(())
        },
    );
}
