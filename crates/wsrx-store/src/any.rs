//! One backend type for programs that choose the engine at run time (the `wsrx`
//! command's `--store FILE` or `--store postgres://…`): an enum over the backends,
//! each call passed to the one in use.

use crate::backend::{
    AuditRow, Backend, Completion, DeadLetterRow, PayloadRow, RecordRow, RowBatch, TokenRow,
};
use crate::error::StoreError;
use crate::postgres::PostgresBackend;
use crate::sqlite::SqliteBackend;

/// SQLite or PostgreSQL, chosen at run time.
#[derive(Debug)]
pub enum AnyBackend {
    /// The embedded store file.
    Sqlite(SqliteBackend),
    /// A PostgreSQL database shared by nodes.
    Postgres(Box<PostgresBackend>),
}

impl AnyBackend {
    /// The PostgreSQL backend, when that is the one in use.
    pub fn postgres(&self) -> Option<&PostgresBackend> {
        match self {
            Self::Postgres(p) => Some(p),
            Self::Sqlite(_) => None,
        }
    }
}

macro_rules! each {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            AnyBackend::Sqlite($b) => $e,
            AnyBackend::Postgres($b) => $e,
        }
    };
}

impl Backend for AnyBackend {
    fn commit(&self, batch: RowBatch) -> Result<(), StoreError> {
        each!(self, b => b.commit(batch))
    }

    fn submit(&self, batch: RowBatch, done: Completion) {
        each!(self, b => b.submit(batch, done));
    }

    fn store_id(&self) -> Result<Option<[u8; 16]>, StoreError> {
        each!(self, b => b.store_id())
    }

    fn set_store_id(&self, id: [u8; 16]) -> Result<(), StoreError> {
        each!(self, b => b.set_store_id(id))
    }

    fn records(&self) -> Result<Vec<RecordRow>, StoreError> {
        each!(self, b => b.records())
    }

    fn payloads(&self) -> Result<Vec<PayloadRow>, StoreError> {
        each!(self, b => b.payloads())
    }

    fn payload(&self, handle: u64) -> Result<Option<PayloadRow>, StoreError> {
        each!(self, b => b.payload(handle))
    }

    fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        each!(self, b => b.tokens())
    }

    fn dead_letters(&self) -> Result<Vec<DeadLetterRow>, StoreError> {
        each!(self, b => b.dead_letters())
    }

    fn audit(&self) -> Result<Vec<AuditRow>, StoreError> {
        each!(self, b => b.audit())
    }

    fn handoffs(&self) -> Result<Vec<(String, u64)>, StoreError> {
        each!(self, b => b.handoffs())
    }

    fn log_end(&self, sequence: &str) -> Result<u64, StoreError> {
        each!(self, b => b.log_end(sequence))
    }
}
