//! The issuer's in-memory context store and its [`KeyResolver`] view.
//!
//! Resolution rules (WS-SC 1.4 §8, what `wsrx-security` turns into `wsc:BadContextToken`):
//! - an identifier never issued, or swept away → [`ResolveError::Unknown`];
//! - a cancelled context, or one past its `Expires` → [`ResolveError::Expired`];
//! - an instance other than the current one (the key before a renewal, or no instance
//!   once one was assigned) → [`ResolveError::Unknown`]: the old key stops working.
//!
//! [`TokenStore::sweep`] drops expired and cancelled contexts once they have been dead
//! for the retention period (kept until then so late users get "expired", not "unknown").
//! The resolver needs a time, so the view is taken with [`TokenStore::resolver`]`(now)`.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use wsrx_crypto::SecretKey;
use wsrx_security::{KeyResolver, ResolveError, ScVersion};

/// The state of a context as the issuer sees it at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextStatus {
    /// Never issued, or swept.
    Unknown,
    /// Usable.
    Active,
    /// Past its `Expires`.
    Expired,
    /// Cancelled.
    Cancelled,
}

/// What the issuer records about one context (the secret stays private).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    /// `wsc:Identifier`.
    pub identifier: String,
    /// The current `wsc:Instance`.
    pub instance: Option<String>,
    /// Issue time.
    pub created: SystemTime,
    /// Current end of the lifetime.
    pub expires: SystemTime,
    /// WS-SC version it was issued in.
    pub version: ScVersion,
    /// Who obtained it (bootstrap authentication).
    pub principal: String,
    /// Claims added by Amend requests (XML fragments, in order).
    pub claims: Vec<String>,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<SystemTime>,
}

#[derive(Debug, Clone)]
struct Entry {
    info: ContextInfo,
    secret: SecretKey,
}

/// In-memory contexts by identifier.
#[derive(Debug, Clone)]
pub struct TokenStore {
    entries: HashMap<String, Entry>,
    retention: Duration,
}

impl TokenStore {
    /// An empty store keeping dead contexts for `retention` before sweeping them.
    pub fn new(retention: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            retention,
        }
    }

    /// Number of contexts held (live or awaiting the sweep).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds (or replaces) a context.
    pub fn insert(&mut self, info: ContextInfo, secret: SecretKey) {
        self.entries
            .insert(info.identifier.clone(), Entry { info, secret });
    }

    /// The record of a context.
    pub fn info(&self, identifier: &str) -> Option<&ContextInfo> {
        self.entries.get(identifier).map(|e| &e.info)
    }

    pub(crate) fn info_mut(&mut self, identifier: &str) -> Option<&mut ContextInfo> {
        self.entries.get_mut(identifier).map(|e| &mut e.info)
    }

    /// Replaces the key and instance (renewal), keeping identifier and claims.
    pub(crate) fn renew(
        &mut self,
        identifier: &str,
        instance: String,
        secret: SecretKey,
        expires: SystemTime,
    ) {
        if let Some(e) = self.entries.get_mut(identifier) {
            e.info.instance = Some(instance);
            e.info.expires = expires;
            e.secret = secret;
        }
    }

    /// The status of `identifier` at `now`.
    pub fn status(&self, identifier: &str, now: SystemTime) -> ContextStatus {
        match self.entries.get(identifier) {
            None => ContextStatus::Unknown,
            Some(e) if e.info.cancelled_at.is_some() => ContextStatus::Cancelled,
            Some(e) if now >= e.info.expires => ContextStatus::Expired,
            Some(_) => ContextStatus::Active,
        }
    }

    /// Drops contexts dead (expired or cancelled) for longer than the retention period;
    /// returns how many were dropped.
    pub fn sweep(&mut self, now: SystemTime) -> usize {
        let before = self.entries.len();
        let retention = self.retention;
        self.entries.retain(|_, e| {
            let died = e.info.cancelled_at.unwrap_or(e.info.expires);
            died > now || now.duration_since(died).is_ok_and(|d| d <= retention)
        });
        before - self.entries.len()
    }

    /// A [`KeyResolver`] answering as of `now`.
    pub fn resolver(&self, now: SystemTime) -> StoreResolver<'_> {
        StoreResolver { store: self, now }
    }
}

/// [`TokenStore`] as a [`KeyResolver`] at a fixed instant.
#[derive(Debug, Clone, Copy)]
pub struct StoreResolver<'a> {
    store: &'a TokenStore,
    now: SystemTime,
}

impl KeyResolver for StoreResolver<'_> {
    fn sct_secret(
        &self,
        identifier: &str,
        instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        let entry = self
            .store
            .entries
            .get(identifier)
            .ok_or(ResolveError::Unknown)?;
        if entry.info.instance.as_deref() != instance {
            return Err(ResolveError::Unknown);
        }
        match self.store.status(identifier, self.now) {
            ContextStatus::Active => Ok(entry.secret.clone()),
            ContextStatus::Unknown => Err(ResolveError::Unknown),
            ContextStatus::Expired | ContextStatus::Cancelled => Err(ResolveError::Expired),
        }
    }

    fn current_instance(&self, identifier: &str) -> Option<String> {
        self.store
            .entries
            .get(identifier)
            .and_then(|e| e.info.instance.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
    }

    fn info(id: &str) -> ContextInfo {
        ContextInfo {
            identifier: id.to_owned(),
            instance: None,
            created: t(0),
            expires: t(100),
            version: ScVersion::V200512,
            principal: "p".to_owned(),
            claims: Vec::new(),
            cancelled_at: None,
        }
    }

    #[test]
    fn resolves_by_status_and_instance_and_sweeps() {
        let mut s = TokenStore::new(Duration::from_secs(50));
        s.insert(info("a"), SecretKey::from_slice(&[1; 32]));
        s.insert(info("b"), SecretKey::from_slice(&[2; 32]));
        let r = s.resolver(t(10));
        assert_eq!(r.sct_secret("a", None).unwrap().expose_secret(), &[1; 32]);
        assert_eq!(r.sct_secret("x", None), Err(ResolveError::Unknown));
        assert_eq!(r.sct_secret("a", Some("i")), Err(ResolveError::Unknown));
        s.renew(
            "a",
            "i2".to_owned(),
            SecretKey::from_slice(&[3; 32]),
            t(200),
        );
        let r = s.resolver(t(10));
        assert_eq!(r.sct_secret("a", None), Err(ResolveError::Unknown));
        assert_eq!(
            r.sct_secret("a", Some("i2")).unwrap().expose_secret(),
            &[3; 32]
        );
        assert_eq!(
            s.resolver(t(100)).sct_secret("b", None),
            Err(ResolveError::Expired)
        );
        s.info_mut("a").unwrap().cancelled_at = Some(t(20));
        assert_eq!(
            s.resolver(t(21)).sct_secret("a", Some("i2")),
            Err(ResolveError::Expired)
        );
        assert_eq!(s.sweep(t(60)), 0);
        assert_eq!(s.sweep(t(71)), 1, "a cancelled at 20, retention 50");
        assert_eq!(s.status("a", t(71)), ContextStatus::Unknown);
        assert_eq!(s.sweep(t(151)), 1);
        assert!(s.is_empty());
    }
}
