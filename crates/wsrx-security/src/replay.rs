//! Replay detection (WSS 1.1 §10 recommends caching timestamps or signature values):
//! a bounded cache, owned by the caller, keyed by the signature value and the
//! Timestamp's Created, whose entries are dropped once the window has passed.
//!
//! The window must be at least as long as the verifier accepts a message
//! (Expires + clock skew, or `max_age` + skew): a message older than that fails the
//! Timestamp check instead. When the cache is full of live entries it refuses
//! ([`SecurityError::ReplayCacheFull`]) rather than forgetting an entry, which would
//! reopen the replay window.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use wsrx_crypto::DigestAlgorithm;

use crate::error::SecurityError;
use crate::time::{self, Millis};
use crate::verify::Verified;

/// Remembers recently seen signatures.
#[derive(Debug)]
pub struct ReplayCache {
    window: Duration,
    capacity: usize,
    seen: HashMap<[u8; 32], Millis>,
    order: VecDeque<(Millis, [u8; 32])>,
}

impl ReplayCache {
    /// A cache holding at most `capacity` entries, each for `window`.
    pub fn new(capacity: usize, window: Duration) -> Self {
        Self {
            window,
            capacity,
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Number of live entries (after the last purge).
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn purge(&mut self, now: Millis) {
        while let Some(&(expiry, key)) = self.order.front() {
            if expiry > now {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&key) == Some(&expiry) {
                self.seen.remove(&key);
            }
        }
    }

    /// Records every signature of `verified` seen at `now`.
    ///
    /// # Errors
    /// [`SecurityError::Replay`] if one was seen within the window (nothing is
    /// recorded then); [`SecurityError::ReplayCacheFull`] when there is no room;
    /// [`SecurityError::InvalidSecurity`] for a message without signatures.
    pub fn check(&mut self, verified: &Verified<'_>, now: SystemTime) -> Result<(), SecurityError> {
        let now = time::to_millis(now);
        self.purge(now);
        let created = verified
            .timestamp()
            .map_or(0, |t| time::to_millis(t.created));
        let keys: Vec<[u8; 32]> = verified
            .signatures()
            .iter()
            .map(|s| {
                let mut d = DigestAlgorithm::Sha256.digester();
                d.update(&created.to_be_bytes());
                d.update(s.value());
                let mut key = [0u8; 32];
                key.copy_from_slice(d.finish().as_bytes());
                key
            })
            .collect();
        if keys.is_empty() {
            return Err(SecurityError::InvalidSecurity(
                "nothing to check for replay",
            ));
        }
        if keys.iter().any(|k| self.seen.contains_key(k)) {
            return Err(SecurityError::Replay);
        }
        if self.seen.len() + keys.len() > self.capacity {
            return Err(SecurityError::ReplayCacheFull);
        }
        let expiry = now + self.window.as_millis() as Millis;
        for k in keys {
            self.seen.insert(k, expiry);
            self.order.push_back((expiry, k));
        }
        Ok(())
    }
}
