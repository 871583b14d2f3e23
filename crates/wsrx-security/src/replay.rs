//! Replay detection (WSS 1.1 §10 recommends caching timestamps or signature values):
//! a bounded cache, owned by the caller, keyed by the signature value and the
//! Timestamp's Created, partitioned by the identity that signed.
//!
//! An entry lives until its message could no longer pass the Timestamp check: from its
//! `Created` for `window`, which must be at least the verifier's maximum message age plus
//! the clock skew ([`ReplayCache::window_for`]); a message older than that fails the
//! Timestamp check instead (`wsse:MessageExpired`), so entries are evicted by age and
//! nothing live is ever forgotten.
//!
//! Fairness: every signing identity (SCT identifier, or the X.509 bootstrap's ephemeral
//! keys as one group) has its own quota ([`ReplayLimits::per_identity`]), and the whole
//! cache a global one ([`ReplayLimits::total`]). An identity over its quota is refused
//! ([`SecurityError::ReplayCacheFull`] naming [`ReplayQuota::PerIdentity`], a retryable
//! Receiver fault) while every other identity carries on; refusing is the safe choice,
//! since forgetting a live entry would reopen the replay window.
//!
//! Restarts: [`ReplayCache::check_entries`] returns what it recorded as [`ReplayEntry`]
//! values (with a one-line text form) for the caller to journal before it answers, and
//! [`ReplayCache::restore`] takes them back after a restart, dropping the expired ones.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use wsrx_crypto::DigestAlgorithm;

use crate::error::SecurityError;
use crate::time::{self, Millis};
use crate::verify::{Verified, VerifyConfig};

/// Which replay-cache quota refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayQuota {
    /// The signing identity holds [`ReplayLimits::per_identity`] live entries.
    PerIdentity,
    /// The whole cache holds [`ReplayLimits::total`] live entries.
    Total,
}

impl ReplayQuota {
    /// The quota's name, for faults, logs and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::PerIdentity => "replay_entries_per_identity",
            Self::Total => "replay_entries_total",
        }
    }
}

/// The quotas of a [`ReplayCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayLimits {
    /// Live entries one signing identity may hold: its sustained signed-message rate
    /// times the window (e.g. 50 msg/s × 600 s = 30,000).
    pub per_identity: usize,
    /// Live entries in all (bounds memory: about 150 bytes each).
    pub total: usize,
}

impl ReplayLimits {
    /// One limit for both quotas (a cache with a single user).
    pub fn single(capacity: usize) -> Self {
        Self {
            per_identity: capacity,
            total: capacity,
        }
    }

    /// Per-identity quota for `rate` signed messages per second sustained over `window`.
    pub fn for_rate(rate: u32, window: Duration, total: usize) -> Self {
        let per = u128::from(rate).saturating_mul(window.as_millis()) / 1000;
        Self {
            per_identity: usize::try_from(per).unwrap_or(usize::MAX).max(1),
            total,
        }
    }
}

/// One recorded signature, for a journal that outlives the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayEntry {
    /// The signing identity (never a secret: an SCT identifier).
    pub identity: Arc<str>,
    /// SHA-256 of the Created time and the signature value.
    pub key: [u8; 32],
    /// When the entry may be forgotten (milliseconds since the Unix epoch).
    pub expiry_ms: i64,
}

impl ReplayEntry {
    /// One line: `expiry_ms hex(key) identity` (no newline).
    pub fn to_line(&self) -> String {
        let mut s = format!("{} ", self.expiry_ms);
        for b in self.key {
            s.push_str(&format!("{b:02x}"));
        }
        s.push(' ');
        s.push_str(&self.identity);
        s
    }

    /// Parses [`ReplayEntry::to_line`]; `None` for anything else (a torn last line).
    pub fn from_line(line: &str) -> Option<Self> {
        let mut parts = line.splitn(3, ' ');
        let expiry_ms = parts.next()?.parse().ok()?;
        let hex = parts.next()?;
        let identity = parts.next()?;
        if hex.len() != 64 || identity.is_empty() || identity.contains('\n') {
            return None;
        }
        let mut key = [0u8; 32];
        for (i, k) in key.iter_mut().enumerate() {
            *k = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self {
            identity: Arc::from(identity),
            key,
            expiry_ms,
        })
    }
}

/// The partition of messages whose keys trace to an X.509 bootstrap's ephemeral
/// `xenc:EncryptedKey` (each has its own identity; grouped so they share one quota).
const ENCRYPTED_KEY_GROUP: &str = "#EncryptedKey";

/// Remembers recently seen signatures ([module docs](self)).
#[derive(Debug)]
pub struct ReplayCache {
    window: Duration,
    limits: ReplayLimits,
    /// Key → (expiry, identity).
    seen: HashMap<[u8; 32], (Millis, Arc<str>)>,
    /// Expiry order.
    order: BTreeSet<(Millis, [u8; 32])>,
    /// Live entries per identity (absent = none).
    counts: HashMap<Arc<str>, usize>,
}

impl ReplayCache {
    /// A cache holding at most `capacity` entries, each for `window` after its Created.
    pub fn new(capacity: usize, window: Duration) -> Self {
        Self::with_limits(ReplayLimits::single(capacity), window)
    }

    /// A cache with per-identity and global quotas, each entry for `window` after its
    /// message's Created.
    pub fn with_limits(limits: ReplayLimits, window: Duration) -> Self {
        Self {
            window,
            limits,
            seen: HashMap::new(),
            order: BTreeSet::new(),
            counts: HashMap::new(),
        }
    }

    /// The shortest safe window for messages a verifier with `config` accepts: Created
    /// plus the maximum age plus the skew is the last instant such a message passes.
    pub fn window_for(config: &VerifyConfig) -> Duration {
        config.max_age.saturating_add(config.clock_skew)
    }

    /// The quotas.
    pub fn limits(&self) -> ReplayLimits {
        self.limits
    }

    /// Number of live entries (after the last purge).
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Live entries of `identity` (after the last purge).
    pub fn len_of(&self, identity: &str) -> usize {
        self.counts.get(identity).copied().unwrap_or(0)
    }

    /// Identities holding entries (after the last purge).
    pub fn identities(&self) -> usize {
        self.counts.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn purge(&mut self, now: Millis) {
        while let Some(&(expiry, key)) = self.order.first() {
            if expiry > now {
                break;
            }
            self.order.pop_first();
            if let Some((_, identity)) = self.seen.remove(&key) {
                self.release(&identity);
            }
        }
    }

    fn release(&mut self, identity: &Arc<str>) {
        if let Some(n) = self.counts.get_mut(identity) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.counts.remove(identity);
            }
        }
    }

    /// The partition `verified` counts against: the identity of its first SCT signature.
    fn identity_of(verified: &Verified<'_>) -> Option<Arc<str>> {
        let key = verified.signatures().first()?.key();
        Some(if key.encrypted_key.is_some() {
            Arc::from(ENCRYPTED_KEY_GROUP)
        } else {
            Arc::from(key.sct_identifier.as_str())
        })
    }

    /// Records every signature of `verified` seen at `now`.
    ///
    /// # Errors
    /// As [`ReplayCache::check_entries`].
    pub fn check(&mut self, verified: &Verified<'_>, now: SystemTime) -> Result<(), SecurityError> {
        self.check_entries(verified, now).map(drop)
    }

    /// Records every signature of `verified` seen at `now` and returns the new entries
    /// (to journal before answering, so a restart still knows them).
    ///
    /// # Errors
    /// [`SecurityError::Replay`] if one was seen within the window (nothing is
    /// recorded then); [`SecurityError::ReplayCacheFull`] naming the quota when the
    /// signing identity or the whole cache has no room (nothing recorded);
    /// [`SecurityError::InvalidSecurity`] for a message without signatures.
    pub fn check_entries(
        &mut self,
        verified: &Verified<'_>,
        now: SystemTime,
    ) -> Result<Vec<ReplayEntry>, SecurityError> {
        let now = time::to_millis(now);
        self.purge(now);
        let created = verified.timestamp().map(|t| time::to_millis(t.created));
        let keys: Vec<[u8; 32]> = verified
            .signatures()
            .iter()
            .map(|s| {
                let mut d = DigestAlgorithm::Sha256.digester();
                d.update(&created.unwrap_or(0).to_be_bytes());
                d.update(s.value());
                let mut key = [0u8; 32];
                key.copy_from_slice(d.finish().as_bytes());
                key
            })
            .collect();
        let Some(identity) = Self::identity_of(verified) else {
            return Err(SecurityError::InvalidSecurity(
                "nothing to check for replay",
            ));
        };
        if keys.iter().any(|k| self.seen.contains_key(k)) {
            return Err(SecurityError::Replay);
        }
        if self.len_of(&identity) + keys.len() > self.limits.per_identity {
            return Err(SecurityError::ReplayCacheFull(ReplayQuota::PerIdentity));
        }
        if self.seen.len() + keys.len() > self.limits.total {
            return Err(SecurityError::ReplayCacheFull(ReplayQuota::Total));
        }
        // Evict by age: the message passes the Timestamp check until Created + window
        // (never before `now`: a message without a Timestamp is held for the window).
        let anchor = created.map_or(now, |c| c.max(now - self.window.as_millis() as Millis));
        let expiry = anchor + self.window.as_millis() as Millis;
        let expiry_ms = i64::try_from(expiry).unwrap_or(i64::MAX);
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            self.insert(k, expiry, Arc::clone(&identity));
            out.push(ReplayEntry {
                identity: Arc::clone(&identity),
                key: k,
                expiry_ms,
            });
        }
        Ok(out)
    }

    fn insert(&mut self, key: [u8; 32], expiry: Millis, identity: Arc<str>) {
        if let Some((old, old_identity)) = self.seen.insert(key, (expiry, Arc::clone(&identity))) {
            self.order.remove(&(old, key));
            self.release(&old_identity);
        }
        self.order.insert((expiry, key));
        *self.counts.entry(identity).or_insert(0) += 1;
    }

    /// Takes back journaled entries after a restart: expired ones are dropped, the rest
    /// are live again whatever the quotas (they were admitted once). Returns how many
    /// were restored.
    pub fn restore<I: IntoIterator<Item = ReplayEntry>>(
        &mut self,
        entries: I,
        now: SystemTime,
    ) -> usize {
        let now = time::to_millis(now);
        self.purge(now);
        let mut restored = 0;
        for e in entries {
            let expiry = Millis::from(e.expiry_ms);
            if expiry <= now {
                continue;
            }
            // The same identity string shares one allocation per partition.
            let identity = self
                .counts
                .get_key_value(&*e.identity)
                .map_or(e.identity, |(k, _)| Arc::clone(k));
            self.insert(e.key, expiry, identity);
            restored += 1;
        }
        restored
    }

    /// Every live entry (after the last purge), for compacting a journal.
    pub fn entries(&self) -> Vec<ReplayEntry> {
        self.order
            .iter()
            .filter_map(|(expiry, key)| {
                let (_, identity) = self.seen.get(key)?;
                Some(ReplayEntry {
                    identity: Arc::clone(identity),
                    key: *key,
                    expiry_ms: i64::try_from(*expiry).unwrap_or(i64::MAX),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
