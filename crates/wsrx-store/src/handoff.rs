//! What a gateway keeps beside the RM state (issue 22): dead letters (messages it gave
//! up handing to its backend, sealed like payloads) and hand-off marks (per sequence,
//! the highest message number the backend accepted, committed after its 2xx). The
//! marks are plain numbers, not secrets; they go with their sequence's deletion.

use wsrx_crypto::KeyId;
use zeroize::Zeroizing;

use crate::backend::{Backend, DeadLetterRow};
use crate::error::{RecordName, StoreError};
use crate::store::Store;

/// One row opened, or why not.
pub(crate) type Opened = Result<Zeroizing<Vec<u8>>, StoreError>;

/// An opened dead letter.
pub struct DeadLetter {
    /// The sequence it came on.
    pub sequence: String,
    /// Its message number.
    pub number: u64,
    /// The gateway's serialization of it.
    pub plaintext: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetter")
            .field("sequence", &self.sequence)
            .field("number", &self.number)
            .field("plaintext", &format_args!("{} bytes", self.plaintext.len()))
            .finish()
    }
}

impl<B: Backend> Store<B> {
    fn open_dead_letter(
        &self,
        row: &DeadLetterRow,
        kek: &KeyId,
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let name = RecordName::DeadLetter {
            sequence: row.sequence.clone(),
            number: row.number,
        };
        let aad = self.dead_letter_aad(&row.sequence, row.number, kek);
        self.open_with(name, row.kek, &aad, &row.blob)
    }

    /// Every dead letter, opened, ordered by sequence then number.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, StoreError> {
        let mut out = Vec::new();
        for row in self.backend().dead_letters()? {
            let plaintext = self.open_dead_letter(&row, &KeyId::from_bytes(row.kek))?;
            out.push(DeadLetter {
                sequence: row.sequence,
                number: row.number,
                plaintext,
            });
        }
        Ok(out)
    }

    /// The audit trail, oldest first.
    pub fn audit(&self) -> Result<Vec<crate::AuditRow>, StoreError> {
        self.backend().audit()
    }

    /// Every hand-off mark: `(sequence, highest number handed off)`.
    pub fn handoffs(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.backend().handoffs()
    }

    /// Each dead letter opened (for `check`), one result per row.
    pub(crate) fn dead_letters_raw(&self) -> Result<Vec<Opened>, StoreError> {
        Ok(self
            .backend()
            .dead_letters()?
            .iter()
            .map(|row| self.open_dead_letter(row, &KeyId::from_bytes(row.kek)))
            .collect())
    }

    /// The dead letters not sealed under the active key, re-sealed under it.
    pub(crate) fn rewrapped_dead_letters(&self) -> Result<Vec<DeadLetterRow>, StoreError> {
        let active = self.active_kek();
        let mut out = Vec::new();
        for row in self.backend().dead_letters()? {
            let old = KeyId::from_bytes(row.kek);
            if old == active {
                continue;
            }
            let plain = self.open_dead_letter(&row, &old)?;
            let blob = self.seal_with(
                &self.dead_letter_aad(&row.sequence, row.number, &active),
                &plain,
            )?;
            out.push(DeadLetterRow {
                kek: active.to_bytes(),
                blob,
                ..row
            });
        }
        Ok(out)
    }
}
