//! The conformance suite on the in-memory backend; a restart keeps exactly what
//! was committed (`MemoryBackend::durable_copy`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use wsrx_store::MemoryBackend;
use wsrx_store::testing::conformance::{Harness, run_all};

struct Memory;

impl Harness for Memory {
    type B = MemoryBackend;

    fn fresh(&mut self) -> MemoryBackend {
        MemoryBackend::new()
    }

    fn restart(&mut self, old: MemoryBackend) -> MemoryBackend {
        old.durable_copy().unwrap()
    }

    fn tamper_payload(
        &self,
        backend: &MemoryBackend,
        handle: u64,
        f: &mut dyn FnMut(&mut Vec<u8>),
    ) {
        backend.tamper_payload(handle, f).unwrap();
    }

    fn tamper_record(
        &self,
        backend: &MemoryBackend,
        sequence: &str,
        index: u64,
        f: &mut dyn FnMut(&mut Vec<u8>),
    ) {
        backend.tamper_record(sequence, index, f).unwrap();
    }
}

#[test]
fn memory_backend_conforms() {
    run_all(&mut Memory);
}
