//! The lock around a protocol machine's state, and the check that it is never held
//! while the runtime waits for IO.
//!
//! A [`Shard`] is a plain (synchronous) mutex: its guard is not `Send`, so a future
//! spawned on tokio cannot hold it across an `.await` at all (the compiler refuses);
//! that is the static half of the rule "no lock held across IO or a store commit".
//! The dynamic half: in debug builds every guard counts itself in a per-thread counter,
//! and the points where the runtime waits for IO ([`crate::persist::Persistence::durable`],
//! HTTP sends) call [`assert_unlocked`], which panics when a guard is alive on the
//! calling thread. Tests run in debug builds, so every test that commits exercises it.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// A machine's state behind a short, synchronous lock.
#[derive(Debug, Default)]
pub(crate) struct Shard<T> {
    inner: Mutex<T>,
}

impl<T> Shard<T> {
    /// Wraps `value`.
    pub(crate) fn new(value: T) -> Self {
        Self {
            inner: Mutex::new(value),
        }
    }

    /// Locks it (a poisoned lock is taken over: the machines' state stays consistent
    /// between inputs, and a panicking handler runs outside the lock).
    pub(crate) fn lock(&self) -> ShardGuard<'_, T> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if cfg!(debug_assertions) {
            HELD.with(|h| h.set(h.get().saturating_add(1)));
        }
        ShardGuard { guard }
    }
}

/// A held [`Shard`] lock.
pub(crate) struct ShardGuard<'a, T> {
    guard: MutexGuard<'a, T>,
}

impl<T> Drop for ShardGuard<'_, T> {
    fn drop(&mut self) {
        if cfg!(debug_assertions) {
            HELD.with(|h| h.set(h.get().saturating_sub(1)));
        }
    }
}

impl<T> Deref for ShardGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for ShardGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

/// Panics (debug builds) when a [`Shard`] lock is held on this thread: the caller is
/// about to wait for IO (`what`).
pub(crate) fn assert_unlocked(what: &str) {
    if cfg!(debug_assertions) {
        let held = HELD.with(Cell::get);
        assert!(
            held == 0,
            "a machine lock is held while {what}: locks must be released before IO"
        );
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::expect_used, reason = "test code")]
mod tests {
    use super::*;

    #[test]
    fn guards_are_counted_and_released() {
        let s = Shard::new(1u32);
        {
            let mut g = s.lock();
            *g += 1;
            let caught = std::panic::catch_unwind(|| assert_unlocked("testing"));
            assert!(caught.is_err(), "a held guard must be reported");
        }
        assert_unlocked("after the guard is gone");
        assert_eq!(*s.lock(), 2);
    }

    #[tokio::test]
    async fn waiting_for_a_commit_with_a_lock_held_panics() {
        use wsrx_store::{Batch, MemoryBackend, Role, Store};
        let ring = wsrx_store::KeyRing::new(wsrx_crypto::SecretKey::from_slice(&[7u8; 32]))
            .expect("key ring");
        let store = Store::open(MemoryBackend::new(), ring).expect("store");
        let p = crate::persist::Persistence::new(std::sync::Arc::new(store));
        let mut b = Batch::default();
        b.records.push(("urn:s".to_owned(), Role::Source, vec![1]));
        let t = p.submit(b).expect("submit");
        p.durable(t).await.expect("durable without a lock held");
        let shard = Shard::new(());
        let guard = shard.lock();
        // With the guard alive on this thread, the check fires before any wait.
        let panicked = futures_poll_once(std::panic::AssertUnwindSafe(p.durable(t)));
        drop(guard);
        assert!(
            panicked,
            "durable() with a lock held must panic in debug builds"
        );
        p.durable(t)
            .await
            .expect("and works again once it is released");
    }

    /// Polls `f` once, returning whether it panicked.
    fn futures_poll_once<F: Future>(f: std::panic::AssertUnwindSafe<F>) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut f = std::pin::pin!(f.0);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = f.as_mut().poll(&mut cx);
        }))
        .is_err()
    }
}
