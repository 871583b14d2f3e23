//! An in-memory backend: for tests, simulations and tools. Every committed batch
//! counts as durable; a simulated crash is modelled by building a new store over
//! [`MemoryBackend::durable_copy`], which keeps exactly what was committed.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::backend::{AuditRow, Backend, DeadLetterRow, PayloadRow, RecordRow, RowBatch, TokenRow};
use crate::error::StoreError;

#[derive(Debug, Default, Clone)]
struct State {
    store_id: Option<[u8; 16]>,
    records: BTreeMap<(String, u64), RecordRow>,
    payloads: BTreeMap<u64, PayloadRow>,
    tokens: BTreeMap<String, TokenRow>,
    dead_letters: BTreeMap<(String, u64), DeadLetterRow>,
    handoffs: BTreeMap<String, u64>,
    audit: Vec<AuditRow>,
}

/// Rows kept in memory.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    state: Mutex<State>,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("memory backend poisoned".into()))
    }

    /// A new backend holding exactly what was committed (a restart after a crash).
    pub fn durable_copy(&self) -> Result<Self, StoreError> {
        Ok(Self {
            state: Mutex::new(self.lock()?.clone()),
        })
    }

    /// Testing hook: applies `f` to the sealed bytes of a payload (to simulate
    /// corruption or tampering).
    pub fn tamper_payload(
        &self,
        handle: u64,
        f: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), StoreError> {
        if let Some(row) = self.lock()?.payloads.get_mut(&handle) {
            f(&mut row.blob);
        }
        Ok(())
    }

    /// Testing hook: applies `f` to the sealed bytes of a log record.
    pub fn tamper_record(
        &self,
        sequence: &str,
        index: u64,
        f: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), StoreError> {
        if let Some(row) = self.lock()?.records.get_mut(&(sequence.to_owned(), index)) {
            f(&mut row.blob);
        }
        Ok(())
    }

    /// Testing hook: applies `f` to the sealed bytes of a token.
    pub fn tamper_token(
        &self,
        identifier: &str,
        f: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), StoreError> {
        if let Some(row) = self.lock()?.tokens.get_mut(identifier) {
            f(&mut row.blob);
        }
        Ok(())
    }
}

impl Backend for MemoryBackend {
    fn commit(&self, batch: RowBatch) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        let mut next = state.clone();
        for seq in &batch.sequence_deletes {
            next.records.retain(|(s, _), _| s != seq);
            next.payloads.retain(|_, p| &p.sequence != seq);
            next.handoffs.remove(seq);
        }
        for h in &batch.payload_deletes {
            next.payloads.remove(h);
        }
        for id in &batch.token_deletes {
            next.tokens.remove(id);
        }
        for r in batch.records {
            let key = (r.sequence.clone(), r.index);
            if next.records.insert(key, r).is_some() {
                return Err(StoreError::Conflict("duplicate record position".into()));
            }
        }
        for p in batch.payloads {
            if next.payloads.insert(p.handle, p).is_some() {
                return Err(StoreError::Conflict("duplicate payload handle".into()));
            }
        }
        for t in batch.tokens {
            next.tokens.insert(t.identifier.clone(), t);
        }
        for r in batch.rewrapped_records {
            next.records.insert((r.sequence.clone(), r.index), r);
        }
        for p in batch.rewrapped_payloads {
            next.payloads.insert(p.handle, p);
        }
        for key in batch.dead_letter_deletes {
            next.dead_letters.remove(&key);
        }
        for d in batch.dead_letters {
            next.dead_letters.insert((d.sequence.clone(), d.number), d);
        }
        for (sequence, number) in batch.handoffs {
            let mark = next.handoffs.entry(sequence).or_insert(number);
            *mark = (*mark).max(number);
        }
        next.audit.extend(batch.audit);
        *state = next;
        Ok(())
    }

    fn store_id(&self) -> Result<Option<[u8; 16]>, StoreError> {
        Ok(self.lock()?.store_id)
    }

    fn set_store_id(&self, id: [u8; 16]) -> Result<(), StoreError> {
        self.lock()?.store_id = Some(id);
        Ok(())
    }

    fn records(&self) -> Result<Vec<RecordRow>, StoreError> {
        Ok(self.lock()?.records.values().cloned().collect())
    }

    fn payloads(&self) -> Result<Vec<PayloadRow>, StoreError> {
        Ok(self.lock()?.payloads.values().cloned().collect())
    }

    fn payload(&self, handle: u64) -> Result<Option<PayloadRow>, StoreError> {
        Ok(self.lock()?.payloads.get(&handle).cloned())
    }

    fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        Ok(self.lock()?.tokens.values().cloned().collect())
    }

    fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, StoreError> {
        Ok(self.lock()?.dead_letters.values().cloned().collect())
    }

    fn handoffs(&self) -> Result<Vec<(String, u64)>, StoreError> {
        Ok(self
            .lock()?
            .handoffs
            .iter()
            .map(|(s, n)| (s.clone(), *n))
            .collect())
    }

    fn audit(&self) -> Result<Vec<AuditRow>, StoreError> {
        Ok(self.lock()?.audit.clone())
    }
}
