//! Randomness as an input: [`SecureRandom`], with [`OsRandom`] and [`InsecureSeededRandom`].
//!
//! Two kinds of draw are kept apart in the API:
//! - **wire-visible** ([`SecureRandom::fill_nonce`]): IVs, GCM nonces, DKT nonces, XML-Enc padding
//!   filler, sealing nonces: values a peer or an observer may see;
//! - **secret** ([`SecureRandom::fill_secret`], [`SecureRandom::generate_key`]): SCT secrets,
//!   WS-Trust entropy, key-encryption keys.
//!
//! An implementation may serve both from one source (as [`OsRandom`] does); a deterministic one
//! keeps them as separate streams, so a new nonce draw never shifts the keys a simulation
//! produces (and the public stream says nothing about the secret one).
//!
//! The trait takes `&mut self`: protocol machines own their generator, and a deterministic
//! generator's state changes on every draw. Share an [`OsRandom`] by copying it (it has no state).

use crate::{CryptoError, Result, SecretKey};

/// A source of cryptographically strong random bytes, split into public and secret draws.
pub trait SecureRandom {
    /// Fills `buf` with random bytes that will be visible on the wire or on disk (nonces, IVs,
    /// padding filler).
    ///
    /// # Errors
    /// [`CryptoError::RandomUnavailable`] if the source failed; `buf` must then not be used.
    fn fill_nonce(&mut self, buf: &mut [u8]) -> Result<()>;

    /// Fills `buf` with random bytes that must stay secret (key material, entropy). Prefer
    /// [`SecureRandom::generate_key`], which wraps the result in a [`SecretKey`].
    ///
    /// # Errors
    /// [`CryptoError::RandomUnavailable`] if the source failed; `buf` must then not be used.
    fn fill_secret(&mut self, buf: &mut [u8]) -> Result<()>;

    /// A fresh secret key of `len` bytes.
    ///
    /// # Errors
    /// [`CryptoError::EmptyKey`] for `len == 0`; [`CryptoError::RandomUnavailable`] if the
    /// source failed.
    fn generate_key(&mut self, len: usize) -> Result<SecretKey> {
        if len == 0 {
            return Err(CryptoError::EmptyKey);
        }
        // Allocated at its final size (no reallocation leaves a copy behind) and wiped on error.
        let mut bytes = zeroize::Zeroizing::new(vec![0u8; len]);
        self.fill_secret(&mut bytes)?;
        Ok(SecretKey::from(bytes))
    }
}

impl<R: SecureRandom + ?Sized> SecureRandom for &mut R {
    fn fill_nonce(&mut self, buf: &mut [u8]) -> Result<()> {
        (**self).fill_nonce(buf)
    }

    fn fill_secret(&mut self, buf: &mut [u8]) -> Result<()> {
        (**self).fill_secret(buf)
    }
}

impl<R: SecureRandom + ?Sized> SecureRandom for Box<R> {
    fn fill_nonce(&mut self, buf: &mut [u8]) -> Result<()> {
        (**self).fill_nonce(buf)
    }

    fn fill_secret(&mut self, buf: &mut [u8]) -> Result<()> {
        (**self).fill_secret(buf)
    }
}

/// The operating system's generator (via `getrandom`). The only reader of OS randomness in the
/// workspace; copies are free.
///
/// Wire-visible draws ([`SecureRandom::fill_nonce`]) are served from a per-thread block of
/// 4 KiB read from the OS at once, so a message's nonces, MessageIDs and
/// sealing nonces cost one `getrandom` per block instead of one each; bytes handed out are
/// wiped from the block. Secret draws always read the OS directly and are never buffered. (A
/// process that forks and keeps running without `exec` would share the block with its child;
/// wsrx never does.)
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

/// Bytes of OS randomness read at once for wire-visible draws.
pub(crate) const NONCE_BLOCK: usize = 4096;

/// A draw larger than this reads the OS directly.
const BUFFERED_MAX: usize = 256;

struct NonceBlock {
    bytes: zeroize::Zeroizing<Vec<u8>>,
    /// Where the unused bytes start.
    at: usize,
}

thread_local! {
    static NONCES: core::cell::RefCell<NonceBlock> = core::cell::RefCell::new(NonceBlock {
        bytes: zeroize::Zeroizing::new(vec![0u8; NONCE_BLOCK]),
        at: NONCE_BLOCK,
    });
}

fn buffered_nonce(buf: &mut [u8]) -> Result<()> {
    if buf.len() > BUFFERED_MAX {
        return getrandom::fill(buf).map_err(|_| CryptoError::RandomUnavailable);
    }
    NONCES.with(|block| {
        let mut block = block.borrow_mut();
        if block.at.saturating_add(buf.len()) > block.bytes.len() {
            getrandom::fill(&mut block.bytes).map_err(|_| CryptoError::RandomUnavailable)?;
            block.at = 0;
        }
        let at = block.at;
        let end = at.saturating_add(buf.len());
        let taken = block
            .bytes
            .get_mut(at..end)
            .ok_or(CryptoError::RandomUnavailable)?;
        buf.copy_from_slice(taken);
        zeroize::Zeroize::zeroize(taken);
        block.at = end;
        Ok(())
    })
}

impl SecureRandom for OsRandom {
    fn fill_nonce(&mut self, buf: &mut [u8]) -> Result<()> {
        buffered_nonce(buf)
    }

    fn fill_secret(&mut self, buf: &mut [u8]) -> Result<()> {
        getrandom::fill(buf).map_err(|_| CryptoError::RandomUnavailable)
    }
}

/// A deterministic generator from a `u64` seed, **NOT for production keys**.
///
/// For tests, fuzzing and seeded simulation only: anyone who knows or guesses the seed knows every
/// "secret" it produces, and the generator (xoshiro256\*\* seeded through splitmix64) is not
/// cryptographically strong, so its output can be predicted from earlier output. Public and
/// secret draws come from two independent streams. The `Debug` output shows the seed, so a failing
/// run can be replayed.
#[derive(Debug, Clone)]
pub struct InsecureSeededRandom {
    seed: u64,
    nonce_stream: Xoshiro256,
    secret_stream: Xoshiro256,
}

impl InsecureSeededRandom {
    /// A generator whose whole output is fixed by `seed`.
    #[must_use]
    pub fn from_seed(seed: u64) -> Self {
        Self {
            seed,
            nonce_stream: Xoshiro256::from_seed(seed, 0x6e6f_6e63_652d_7374), // "nonce-st"
            secret_stream: Xoshiro256::from_seed(seed, 0x7365_6372_6574_2d73), // "secret-s"
        }
    }

    /// The seed this generator started from (print it when a seeded test fails).
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

impl SecureRandom for InsecureSeededRandom {
    fn fill_nonce(&mut self, buf: &mut [u8]) -> Result<()> {
        self.nonce_stream.fill(buf);
        Ok(())
    }

    fn fill_secret(&mut self, buf: &mut [u8]) -> Result<()> {
        self.secret_stream.fill(buf);
        Ok(())
    }
}

/// xoshiro256\*\* (Blackman and Vigna), state expanded from the seed with splitmix64.
#[derive(Debug, Clone)]
struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    fn from_seed(seed: u64, domain: u64) -> Self {
        let mut sm = seed ^ domain;
        let mut next = || {
            sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        // splitmix64 never yields four zero words in a row, so the state is valid.
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.s;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            for (dst, src) in chunk.iter_mut().zip(word) {
                *dst = src;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffered_nonces_never_repeat_across_blocks_and_sizes() {
        let mut seen = std::collections::HashSet::new();
        // 3 blocks' worth of 16-byte draws plus odd sizes and one unbuffered draw.
        for i in 0..(3 * NONCE_BLOCK / 16) {
            let mut n = [0u8; 16];
            OsRandom.fill_nonce(&mut n).unwrap();
            assert!(seen.insert(n), "nonce {i} repeated");
            let mut odd = vec![0u8; 1 + i % 37];
            OsRandom.fill_nonce(&mut odd).unwrap();
        }
        let mut big = vec![0u8; BUFFERED_MAX + 1];
        OsRandom.fill_nonce(&mut big).unwrap();
        assert!(big.iter().any(|b| *b != 0));
        // Each thread has its own block: draws there do not repeat ours either.
        let other = std::thread::spawn(|| {
            let mut n = [0u8; 16];
            OsRandom.fill_nonce(&mut n).unwrap();
            n
        })
        .join()
        .unwrap();
        assert!(seen.insert(other));
    }

    #[test]
    fn seeded_output_is_reproducible_and_seed_dependent() {
        let draw = |seed| {
            let mut r = InsecureSeededRandom::from_seed(seed);
            let mut n = [0u8; 37];
            r.fill_nonce(&mut n).unwrap();
            let k = r.generate_key(32).unwrap();
            (n, k)
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7).0, draw(8).0);
        assert_ne!(draw(7).1, draw(8).1);
    }

    #[test]
    fn nonce_draws_do_not_shift_the_secret_stream() {
        let mut a = InsecureSeededRandom::from_seed(42);
        let mut b = InsecureSeededRandom::from_seed(42);
        let mut scratch = [0u8; 100];
        b.fill_nonce(&mut scratch).unwrap();
        assert_eq!(a.generate_key(32).unwrap(), b.generate_key(32).unwrap());
        // And the two streams are not the same sequence.
        let mut c = InsecureSeededRandom::from_seed(42);
        let mut nonce = [0u8; 32];
        c.fill_nonce(&mut nonce).unwrap();
        let key = c.generate_key(32).unwrap();
        assert_ne!(&nonce[..], key.expose_secret());
    }

    #[test]
    fn seeded_bytes_look_uniform() {
        // A broken generator (stuck state, a byte lane never written) shows up here.
        let mut r = InsecureSeededRandom::from_seed(1);
        let mut buf = vec![0u8; 64 * 1024];
        r.fill_nonce(&mut buf).unwrap();
        let mut counts = [0u32; 256];
        for b in &buf {
            counts[usize::from(*b)] += 1;
        }
        // Expected 256 per value; 5 standard deviations is about ±80.
        assert!(
            counts.iter().all(|&c| (170..=340).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(r.seed(), 1);
    }

    #[test]
    fn os_random_fills_and_keys_differ() {
        let mut r = OsRandom;
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        r.fill_nonce(&mut a).unwrap();
        r.fill_nonce(&mut b).unwrap();
        // Equal or all-zero outputs have probability 2^-256.
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
        assert_ne!(r.generate_key(32).unwrap(), r.generate_key(32).unwrap());
        assert_eq!(r.generate_key(0).map(|_| ()), Err(CryptoError::EmptyKey));
    }

    #[test]
    fn works_through_dyn_and_references() {
        let mut boxed: Box<dyn SecureRandom> = Box::new(InsecureSeededRandom::from_seed(3));
        let via_box = boxed.generate_key(16).unwrap();
        let mut plain = InsecureSeededRandom::from_seed(3);
        let mut by_ref = &mut plain;
        assert_eq!(via_box, (&mut by_ref).generate_key(16).unwrap());
    }
}
