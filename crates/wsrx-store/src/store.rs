//! The sealing front-end every backend sits behind: rows are sealed here with
//! AES-256-GCM under the key ring's active key, with associated data that binds
//! each row to its place (store, table, sequence, position or message number), so
//! that a row altered, corrupted, or moved to another row or store does not open.

use std::collections::HashMap;
use std::sync::Mutex;

use wsrx_crypto::{KeyId, KeyRing, OsRandom, open, seal};
use zeroize::Zeroizing;

use crate::backend::{Backend, DeadLetterRow, PayloadRow, RecordRow, RowBatch, TokenRow};
use crate::error::{RecordName, StoreError};
use crate::model::{Batch, RecoveredToken, Role, SequenceLog, Snapshot};

const DOMAIN: &[u8] = b"wsrx-store-v1";

/// What `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Rows that opened.
    pub ok: usize,
    /// Rows that did not, each with its error naming it.
    pub problems: Vec<StoreError>,
}

/// A durable store of sequence logs, payloads and tokens, sealed at rest.
pub struct Store<B: Backend> {
    backend: B,
    keyring: KeyRing,
    store_id: [u8; 16],
    order: Mutex<Order>,
}

/// The order of commits: the next log position per sequence and the last ticket,
/// both assigned under one lock together with the queueing of the batch.
#[derive(Debug, Default)]
struct Order {
    next_index: HashMap<String, u64>,
    tickets: u64,
}

/// The place of a submitted batch in the commit order ([`Store::submit`]): a batch
/// with a higher ticket becomes durable after every batch with a lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ticket(pub u64);

impl<B: Backend> std::fmt::Debug for Store<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

fn lp(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

impl<B: Backend> Store<B> {
    /// Opens a store over `backend`, giving a new store its identity.
    pub fn open(backend: B, keyring: KeyRing) -> Result<Self, StoreError> {
        let mut rng = OsRandom;
        let store_id = match backend.store_id()? {
            Some(id) => id,
            None => {
                let mut id = [0u8; 16];
                wsrx_crypto::SecureRandom::fill_nonce(&mut rng, &mut id)?;
                backend.set_store_id(id)?;
                id
            }
        };
        let mut next_index = HashMap::new();
        for row in backend.records()? {
            let next = next_index.entry(row.sequence).or_insert(0u64);
            *next = (*next).max(row.index + 1);
        }
        Ok(Self {
            backend,
            keyring,
            store_id,
            order: Mutex::new(Order {
                next_index,
                tickets: 0,
            }),
        })
    }

    /// The backend (for tools and tests).
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Gives the backend back (to reopen it with another key ring, say).
    pub fn into_backend(self) -> B {
        self.backend
    }

    pub(crate) fn aad(&self, table: u8, key: &[&[u8]], kek: &KeyId) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        aad.extend_from_slice(DOMAIN);
        aad.extend_from_slice(&self.store_id);
        aad.push(table);
        for part in key {
            lp(&mut aad, part);
        }
        aad.extend_from_slice(&kek.to_bytes());
        aad
    }

    fn record_aad(&self, sequence: &str, role: u8, index: u64, kek: &KeyId) -> Vec<u8> {
        self.aad(
            b'R',
            &[sequence.as_bytes(), &[role], &index.to_be_bytes()],
            kek,
        )
    }

    fn payload_aad(&self, sequence: &str, number: u64, handle: u64, kek: &KeyId) -> Vec<u8> {
        self.aad(
            b'P',
            &[
                sequence.as_bytes(),
                &number.to_be_bytes(),
                &handle.to_be_bytes(),
            ],
            kek,
        )
    }

    fn token_aad(&self, identifier: &str, kek: &KeyId) -> Vec<u8> {
        self.aad(b'T', &[identifier.as_bytes()], kek)
    }

    /// The id of the key new rows are sealed under.
    pub(crate) fn active_kek(&self) -> KeyId {
        self.keyring.active().0
    }

    /// A dead letter's associated data: its sequence and number.
    pub(crate) fn dead_letter_aad(&self, sequence: &str, number: u64, kek: &KeyId) -> Vec<u8> {
        self.aad(b'D', &[sequence.as_bytes(), &number.to_be_bytes()], kek)
    }

    pub(crate) fn seal_with(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (_, key) = self.keyring.active();
        // OsRandom is stateless: no shared generator, no lock per sealed row.
        let mut rng = OsRandom;
        Ok(seal(key, &mut rng, aad, plaintext)?)
    }

    pub(crate) fn open_with(
        &self,
        record: RecordName,
        kek: [u8; 8],
        aad: &[u8],
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let id = KeyId::from_bytes(kek);
        let key = self
            .keyring
            .get(&id)
            .ok_or_else(|| StoreError::UnknownKey {
                record: record.clone(),
                kek_id: id.to_string(),
            })?;
        open(key, aad, blob).map_err(|_| StoreError::Corrupt(record))
    }

    /// Seals and commits `batch` atomically; durable when this returns `Ok`.
    /// Records of one sequence must be committed by one caller at a time (each
    /// protocol machine has one poll loop), so that their positions are in order.
    pub fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (rows, reserved) = {
            let mut order = self.lock_order()?;
            let reserved = Self::reserve(&mut order, &batch.records, &batch.sequence_deletes);
            (self.seal_rows(batch, &reserved)?, reserved)
        };
        let result = self.backend.commit(rows);
        if result.is_err() {
            self.release(&reserved);
        }
        result
    }

    /// Seals `batch` and queues it with the backend without waiting; `done` runs with
    /// the batch's ticket once it is durable (or refused). Returns that [`Ticket`]:
    /// tickets grow in submission order, batches become durable in that order, and
    /// completions run in that order. An empty batch gets no ticket of its own: the
    /// last one issued is returned and `done` is dropped without running. A sealing
    /// failure is returned here and `done` is not run.
    ///
    /// Submitting is short (sealing and a queue push), so a caller may submit while it
    /// holds the lock of the machine whose ops these are, and wait for durability after
    /// releasing it: that is how commits of concurrent inputs share one fsync.
    pub fn submit(
        &self,
        batch: Batch,
        done: impl FnOnce(Ticket, Result<(), StoreError>) + Send + 'static,
    ) -> Result<Ticket, StoreError> {
        let mut order = self.lock_order()?;
        if batch.is_empty() {
            return Ok(Ticket(order.tickets));
        }
        let reserved = Self::reserve(&mut order, &batch.records, &batch.sequence_deletes);
        let rows = self.seal_rows(batch, &reserved)?;
        order.tickets = order.tickets.saturating_add(1);
        let ticket = Ticket(order.tickets);
        // Queued under the order lock: queue order = ticket order = log order.
        self.backend
            .submit(rows, Box::new(move |result| done(ticket, result)));
        Ok(ticket)
    }

    /// Re-reads where `sequence`'s log ends, for a node that just took the sequence
    /// over from another (whose records this store did not write): its next records
    /// go after them.
    ///
    /// # Errors
    /// [`StoreError`] from the backend.
    pub fn adopt_sequence(&self, sequence: &str) -> Result<(), StoreError> {
        let end = self.backend.log_end(sequence)?;
        let mut order = self.lock_order()?;
        if end == 0 {
            order.next_index.remove(sequence);
        } else {
            order.next_index.insert(sequence.to_owned(), end);
        }
        Ok(())
    }

    /// The last ticket issued by [`Store::submit`] (0 before the first).
    pub fn last_ticket(&self) -> Ticket {
        Ticket(self.lock_order().map_or(0, |o| o.tickets))
    }

    fn lock_order(&self) -> Result<std::sync::MutexGuard<'_, Order>, StoreError> {
        self.order
            .lock()
            .map_err(|_| StoreError::Backend("index map poisoned".into()))
    }

    fn seal_rows(&self, batch: Batch, reserved: &[(String, u64)]) -> Result<RowBatch, StoreError> {
        let (kek, _) = self.keyring.active();
        let mut rows = RowBatch {
            payload_deletes: batch.payload_deletes,
            sequence_deletes: batch.sequence_deletes,
            token_deletes: batch.token_deletes,
            dead_letter_deletes: batch.dead_letter_deletes,
            handoffs: batch.handoffs,
            audit: batch.audit,
            fences: batch.fences,
            ..RowBatch::default()
        };
        for d in batch.dead_letters {
            let aad = self.dead_letter_aad(&d.sequence, d.number, &kek);
            let blob = self.seal_with(&aad, &d.plaintext)?;
            rows.dead_letters.push(DeadLetterRow {
                sequence: d.sequence,
                number: d.number,
                kek: kek.to_bytes(),
                blob,
            });
        }
        rows.records.reserve(batch.records.len());
        for ((sequence, role, record), index) in
            batch.records.into_iter().zip(reserved.iter().map(|r| r.1))
        {
            let aad = self.record_aad(&sequence, role.code(), index, &kek);
            let blob = self.seal_with(&aad, &record)?;
            rows.records.push(RecordRow {
                sequence,
                role: role.code(),
                index,
                kek: kek.to_bytes(),
                blob,
            });
        }
        for p in batch.payloads {
            let aad = self.payload_aad(&p.sequence, p.number, p.handle, &kek);
            let blob = self.seal_with(&aad, &p.plaintext)?;
            rows.payloads.push(PayloadRow {
                handle: p.handle,
                sequence: p.sequence,
                number: p.number,
                kek: kek.to_bytes(),
                blob,
            });
        }
        for t in batch.tokens {
            let aad = self.token_aad(&t.identifier, &kek);
            let blob = self.seal_with(&aad, &t.serialized)?;
            rows.tokens.push(TokenRow {
                identifier: t.identifier,
                expires_at_ms: t.expires_at_ms,
                kek: kek.to_bytes(),
                blob,
            });
        }
        Ok(rows)
    }

    /// Assigns log positions to new records; returns `(sequence, index)` per record.
    fn reserve(
        order: &mut Order,
        records: &[(String, Role, Vec<u8>)],
        deletes: &[String],
    ) -> Vec<(String, u64)> {
        let next = &mut order.next_index;
        let out = records
            .iter()
            .map(|(sequence, _, _)| {
                let n = next.entry(sequence.clone()).or_insert(0);
                let index = *n;
                *n += 1;
                (sequence.clone(), index)
            })
            .collect();
        for d in deletes {
            next.remove(d);
        }
        out
    }

    /// Gives back positions of a failed commit (the first reserved one per sequence).
    fn release(&self, reserved: &[(String, u64)]) {
        if let Ok(mut order) = self.order.lock() {
            for (sequence, index) in reserved {
                if let Some(n) = order.next_index.get_mut(sequence) {
                    *n = (*n).min(*index);
                }
            }
        }
    }

    /// Opens every record and token: what recovery needs. Payloads are listed by
    /// handle and opened on demand with [`Self::payload`].
    pub fn load(&self) -> Result<Snapshot, StoreError> {
        let mut sequences: Vec<SequenceLog> = Vec::new();
        for row in self.backend.records()? {
            let name = RecordName::Record {
                sequence: row.sequence.clone(),
                index: row.index,
            };
            let aad = self.record_aad(
                &row.sequence,
                row.role,
                row.index,
                &KeyId::from_bytes(row.kek),
            );
            let plain = self.open_with(name.clone(), row.kek, &aad, &row.blob)?;
            let role = Role::from_code(row.role).ok_or(StoreError::Corrupt(name))?;
            match sequences.last_mut() {
                Some(log) if log.sequence == row.sequence => log.records.push(plain.to_vec()),
                _ => sequences.push(SequenceLog {
                    sequence: row.sequence,
                    role,
                    records: vec![plain.to_vec()],
                    payloads: vec![],
                }),
            }
        }
        for p in self.backend.payloads()? {
            if let Some(log) = sequences.iter_mut().find(|l| l.sequence == p.sequence) {
                log.payloads.push((p.handle, p.number));
            }
        }
        for log in &mut sequences {
            log.payloads.sort_by_key(|(_, number)| *number);
        }
        let mut tokens = Vec::new();
        for row in self.backend.tokens()? {
            let aad = self.token_aad(&row.identifier, &KeyId::from_bytes(row.kek));
            let name = RecordName::Token {
                identifier: row.identifier.clone(),
            };
            let serialized = self.open_with(name, row.kek, &aad, &row.blob)?;
            tokens.push(RecoveredToken {
                identifier: row.identifier,
                expires_at_ms: row.expires_at_ms,
                serialized,
            });
        }
        Ok(Snapshot { sequences, tokens })
    }

    /// Opens one payload.
    pub fn payload(&self, handle: u64) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let Some(row) = self.backend.payload(handle)? else {
            return Ok(None);
        };
        let name = RecordName::Payload {
            handle,
            sequence: row.sequence.clone(),
            number: row.number,
        };
        let aad = self.payload_aad(
            &row.sequence,
            row.number,
            row.handle,
            &KeyId::from_bytes(row.kek),
        );
        self.open_with(name, row.kek, &aad, &row.blob).map(Some)
    }

    /// Opens every row and reports those that fail, each named.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        let mut note = |r: Result<Zeroizing<Vec<u8>>, StoreError>| match r {
            Ok(_) => report.ok += 1,
            Err(e) => report.problems.push(e),
        };
        for row in self.backend.records()? {
            let aad = self.record_aad(
                &row.sequence,
                row.role,
                row.index,
                &KeyId::from_bytes(row.kek),
            );
            note(self.open_with(
                RecordName::Record {
                    sequence: row.sequence.clone(),
                    index: row.index,
                },
                row.kek,
                &aad,
                &row.blob,
            ));
        }
        for row in self.backend.payloads()? {
            let aad = self.payload_aad(
                &row.sequence,
                row.number,
                row.handle,
                &KeyId::from_bytes(row.kek),
            );
            let name = RecordName::Payload {
                handle: row.handle,
                sequence: row.sequence.clone(),
                number: row.number,
            };
            note(self.open_with(name, row.kek, &aad, &row.blob));
        }
        for row in self.backend.tokens()? {
            let aad = self.token_aad(&row.identifier, &KeyId::from_bytes(row.kek));
            note(self.open_with(
                RecordName::Token {
                    identifier: row.identifier.clone(),
                },
                row.kek,
                &aad,
                &row.blob,
            ));
        }
        for d in self.dead_letters_raw()? {
            note(d);
        }
        Ok(report)
    }

    /// Re-seals every row not under the active key; returns how many. Fails, and
    /// changes nothing, if any row does not open.
    pub fn rewrap(&self) -> Result<usize, StoreError> {
        let (active, _) = self.keyring.active();
        let mut rows = RowBatch::default();
        for row in self.backend.records()? {
            let old = KeyId::from_bytes(row.kek);
            if old == active {
                continue;
            }
            let plain = self.open_with(
                RecordName::Record {
                    sequence: row.sequence.clone(),
                    index: row.index,
                },
                row.kek,
                &self.record_aad(&row.sequence, row.role, row.index, &old),
                &row.blob,
            )?;
            let blob = self.seal_with(
                &self.record_aad(&row.sequence, row.role, row.index, &active),
                &plain,
            )?;
            rows.rewrapped_records.push(RecordRow {
                kek: active.to_bytes(),
                blob,
                ..row
            });
        }
        for row in self.backend.payloads()? {
            let old = KeyId::from_bytes(row.kek);
            if old == active {
                continue;
            }
            let name = RecordName::Payload {
                handle: row.handle,
                sequence: row.sequence.clone(),
                number: row.number,
            };
            let plain = self.open_with(
                name,
                row.kek,
                &self.payload_aad(&row.sequence, row.number, row.handle, &old),
                &row.blob,
            )?;
            let blob = self.seal_with(
                &self.payload_aad(&row.sequence, row.number, row.handle, &active),
                &plain,
            )?;
            rows.rewrapped_payloads.push(PayloadRow {
                kek: active.to_bytes(),
                blob,
                ..row
            });
        }
        for row in self.backend.tokens()? {
            let old = KeyId::from_bytes(row.kek);
            if old == active {
                continue;
            }
            let name = RecordName::Token {
                identifier: row.identifier.clone(),
            };
            let plain = self.open_with(
                name,
                row.kek,
                &self.token_aad(&row.identifier, &old),
                &row.blob,
            )?;
            let blob = self.seal_with(&self.token_aad(&row.identifier, &active), &plain)?;
            rows.tokens.push(TokenRow {
                kek: active.to_bytes(),
                blob,
                ..row
            });
        }
        rows.dead_letters = self.rewrapped_dead_letters()?;
        let n = rows.rewrapped_records.len()
            + rows.rewrapped_payloads.len()
            + rows.tokens.len()
            + rows.dead_letters.len();
        if n > 0 {
            self.backend.commit(rows)?;
        }
        Ok(n)
    }
}
