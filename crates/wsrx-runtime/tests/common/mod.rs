//! Shared by the runtime's end-to-end tests.

use std::sync::Arc;

use wsrx_crypto::{KeyRing, SecretKey};
use wsrx_runtime::persist::Persistence;
use wsrx_store::{MemoryBackend, Store};

/// A sealed in-memory store (a fixed test key ring).
pub(crate) fn store() -> Persistence<MemoryBackend> {
    let ring = KeyRing::new(SecretKey::from_slice(&[7u8; 32])).unwrap();
    Persistence::new(Arc::new(Store::open(MemoryBackend::new(), ring).unwrap()))
}
