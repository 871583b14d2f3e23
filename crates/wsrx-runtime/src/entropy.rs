//! Randomness for the sans-IO machines: the RM engines take jitter and identifiers
//! from an injected source; the runtime feeds them OS randomness through `wsrx-crypto`.

/// A source of random `u64`s for `wsrx-rm` machines.
pub(crate) fn rm_random_source() -> wsrx_rm::RandomSource {
    Box::new(|| {
        let mut b = [0u8; 8];
        let _ = wsrx_crypto::SecureRandom::fill_nonce(&mut wsrx_crypto::OsRandom, &mut b);
        u64::from_be_bytes(b)
    })
}
