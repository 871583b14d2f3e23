//! What both store writers queue: a batch and who to tell when it is committed. The
//! SQLite writer thread and the PostgreSQL writer task differ in how they commit a group;
//! how a caller waits ([`Backend::commit`](crate::Backend::commit)) or is called back
//! ([`Backend::submit`](crate::Backend::submit)) is the same for both and lives here.

use std::sync::mpsc::{SyncSender, sync_channel};

use crate::backend::{Completion, RowBatch};
use crate::error::StoreError;

/// A queued batch and who to tell.
pub(crate) struct Job {
    pub(crate) batch: RowBatch,
    pub(crate) reply: Reply,
}

/// How the writer reports a job's outcome.
pub(crate) enum Reply {
    /// A blocked `commit` caller.
    Wait(SyncSender<Result<(), StoreError>>),
    /// A `submit` caller's completion.
    Then(Completion),
}

impl Reply {
    /// Tells the caller how its batch ended.
    pub(crate) fn send(self, result: Result<(), StoreError>) {
        match self {
            Self::Wait(tx) => {
                let _ = tx.send(result);
            }
            Self::Then(done) => done(result),
        }
    }
}

/// `Backend::commit` over a writer queue: queues `batch` with `queue` and blocks until
/// the writer answers (`StoreError::Closed` if it is gone without answering).
pub(crate) fn commit_and_wait(batch: RowBatch, queue: impl FnOnce(Job)) -> Result<(), StoreError> {
    let (reply, answer) = sync_channel(1);
    queue(Job {
        batch,
        reply: Reply::Wait(reply),
    });
    answer.recv().map_err(|_| StoreError::Closed)?
}

/// `Backend::submit` over a writer queue: queues `batch`, `done` called by the writer.
pub(crate) fn submit(batch: RowBatch, done: Completion, queue: impl FnOnce(Job)) {
    queue(Job {
        batch,
        reply: Reply::Then(done),
    });
}
