//! What the client tells about messages its sequence ended without delivering (issue 15):
//! each receipt's [`Outcome`], waiting for one, the acknowledgement ranges the store holds,
//! and sending a failed sequence's held messages on this one. The decisions are
//! `wsrx-rm`'s (`Source::undelivered`, `Source::recover`); this is their async face.

use wsrx_rm::msg::AckRange;
use wsrx_rm::{PayloadRef, SequenceId, StoreOp};
use wsrx_store::Backend;

use super::{Client, Outcome, Receipt};
use crate::error::RuntimeError;
use crate::persist::{decode_log, decode_payload};

impl<B: Backend> Client<B> {
    /// What became of the message of `receipt`: acknowledged (a `SequenceAcknowledgement`
    /// proven by the token covers it), pending, or undelivered with the reason.
    ///
    /// # Errors
    /// [`RuntimeError::Usage`] for a receipt of another sequence.
    pub async fn outcome(&self, receipt: &Receipt) -> Result<Outcome, RuntimeError> {
        let outcome = {
            let st = self.inner.state.lock();
            if st.created.as_ref().map(SequenceId::as_str) != Some(receipt.sequence.as_str()) {
                return Err(RuntimeError::Usage(format!(
                    "receipt of sequence {}, not of this client's",
                    receipt.sequence
                )));
            }
            if let Some(u) = st
                .undelivered
                .as_ref()
                .filter(|u| u.contains(receipt.number))
            {
                return Ok(Outcome::Undelivered(u.reason));
            }
            if st.source.is_acknowledged(receipt.number) {
                Outcome::Acknowledged
            } else {
                Outcome::Pending
            }
        };
        if outcome == Outcome::Acknowledged {
            // Reported only once durable: a held-back acknowledgement lost to a crash
            // would otherwise have been reported and then, the destination gone,
            // contradicted as undelivered (the simulation checks it).
            self.commit_deferred().await?;
        }
        Ok(outcome)
    }

    /// Waits until the message of `receipt` is acknowledged.
    ///
    /// # Errors
    /// [`RuntimeError::Undelivered`] if its sequence ended first (the message is held).
    pub async fn wait_acknowledged(&self, receipt: &Receipt) -> Result<(), RuntimeError> {
        let number = receipt.number;
        self.wait_for(|st| {
            if let Some(u) = st.undelivered.as_ref().filter(|u| u.contains(number)) {
                return Some(Err(RuntimeError::Undelivered {
                    undelivered: u.clone(),
                }));
            }
            if st.source.is_acknowledged(number) {
                return Some(Ok(()));
            }
            st.ended
                .clone()
                .map(|e| Err(RuntimeError::SequenceEnded(e)))
        })
        .await?;
        // Reported only once durable (see `outcome`).
        self.commit_deferred().await
    }

    /// The messages this client's sequence ended without delivering, if it did.
    pub async fn undelivered(&self) -> Option<wsrx_rm::Undelivered> {
        self.inner.state.lock().undelivered.clone()
    }

    /// The acknowledgement ranges of this client's sequence as its durable records hold
    /// them (`OutboundAcked`): what "acknowledged" may be reported from.
    ///
    /// # Errors
    /// Store and record errors.
    pub async fn stored_acknowledgements(&self) -> Result<Vec<AckRange>, RuntimeError> {
        let Some(id) = self.sequence_id().await else {
            return Ok(Vec::new());
        };
        self.commit_deferred().await?;
        let snapshot = self.inner.persistence.load().await?;
        let mut numbers = std::collections::BTreeSet::new();
        for log in snapshot.sequences.iter().filter(|l| l.sequence == id) {
            for op in decode_log(&log.records)? {
                if let StoreOp::OutboundAcked { ranges, .. } = op {
                    for r in ranges {
                        numbers.extend(r.lower..=r.upper);
                    }
                }
            }
        }
        Ok(wsrx_rm::events::ranges_of(numbers))
    }

    /// Sends the messages `held` holds (a failed sequence's, from
    /// [`Source::recover`](wsrx_rm::Source::recover)), in order, on this client's
    /// sequence. Each is stored here in the same commit that records it resent there
    /// (`OutboundResent`) and drops its old copy, so it is never held twice nor lost; it
    /// then stays in the store until this sequence's acknowledgement covers it. Held
    /// messages whose payload is not in the store are skipped and named in the error.
    ///
    /// # Errors
    /// As [`Client::send`]; [`RuntimeError::Usage`] naming payloads not found.
    pub async fn resend_held(
        &self,
        held: &wsrx_rm::HeldSequence,
    ) -> Result<Vec<Receipt>, RuntimeError> {
        let mut receipts = Vec::new();
        let mut missing = Vec::new();
        for (number, payload) in &held.held {
            let Some(PayloadRef(old)) = payload else {
                continue; // the 1.0 LastMessage carries nothing
            };
            let Some((action, body)) = self
                .inner
                .persistence
                .payload(*old)
                .await?
                .and_then(|b| decode_payload(&b))
            else {
                missing.push(*number);
                continue;
            };
            let receipt = self
                .submit_resent(&action, &body, (held.id.clone(), *number, *old))
                .await?;
            receipts.push(receipt);
        }
        if !missing.is_empty() {
            return Err(RuntimeError::Usage(format!(
                "held messages {missing:?} of sequence {} have no payload in the store",
                held.id
            )));
        }
        Ok(receipts)
    }
}
