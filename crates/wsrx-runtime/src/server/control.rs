//! Operator commands on live inbound sequences (the admin API, issue 22 item 3): close
//! or terminate from this side while the server runs, so that they take effect at once
//! (not at the next start, as `wsrx store terminate` does). Whether the state allows it
//! and what is recorded and sent is the Destination's decision
//! (`Destination::close`/`terminate`, WS-RM 1.1 §3.5, §3.6); this file locks the slot,
//! drains as after any input, and waits for the commit with the lock released.

use wsrx_rm::{RmVersion, SequenceId};
use wsrx_store::Backend;

use super::Server;
use crate::error::RuntimeError;

/// What an operator asks of a live inbound sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCommand {
    /// No new messages; the source is told (CloseSequence, the final acknowledgement).
    Close,
    /// End it; the source is told (TerminateSequence) and its records are deleted.
    Terminate,
}

impl<B: Backend> Server<B> {
    /// Runs `command` on the inbound sequence `id`; `Ok(false)` when this server holds
    /// no such sequence.
    ///
    /// Terminate is refused ([`RuntimeError::Usage`]) while the sequence has messages
    /// accepted and not yet handed over: they were acknowledged to the source, so they
    /// must reach the application first (close it, let them be delivered, then
    /// terminate).
    ///
    /// # Errors
    /// [`RuntimeError::Rm`] when its state does not allow it, [`RuntimeError::Usage`]
    /// as above, [`RuntimeError::Store`] when the commit fails.
    pub async fn command_sequence(
        &self,
        id: &str,
        command: SequenceCommand,
    ) -> Result<bool, RuntimeError> {
        let sid = SequenceId::new(id);
        for version in [RmVersion::V1_1, RmVersion::V1_0] {
            let ticket = {
                let mut slot = self.slot(version).lock();
                if !slot.ep.is_open(&sid) {
                    continue;
                }
                if command == SequenceCommand::Terminate {
                    let waiting = slot.ep.destination().backlog(&sid).unwrap_or(0);
                    if waiting > 0 || slot.queue.pending_of(&sid).is_some() {
                        return Err(RuntimeError::Usage(format!(
                            "sequence {id} has messages accepted and not yet handed over \
                             (acknowledged to the source): close it and let them be \
                             delivered before terminating it"
                        )));
                    }
                }
                match command {
                    SequenceCommand::Close => slot.ep.close(&sid)?,
                    SequenceCommand::Terminate => slot.ep.terminate(&sid)?,
                }
                let (_, ticket) = self.drain(&mut slot, None)?;
                ticket
            };
            self.inner.persistence.durable(ticket).await?;
            tracing::info!(sequence = id, ?command, "operator command done");
            return Ok(true);
        }
        Ok(false)
    }
}
