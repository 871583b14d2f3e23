//! How a Source's sequence ends: close (WS-RM 1.1 §3.5), terminate (§3.6), the peer's
//! faults (§4) and the terminal bookkeeping.

use super::Source;
use super::state::{SOURCE_TRANSITIONS, SourceState, SourceTrigger};
use crate::error::Error;
use crate::events::{SourceEvent, TerminationReason, Undelivered, UndeliveredReason, ranges_of};
use crate::fsm::lookup;
use crate::msg::{CloseSequence, FaultKind, Message, RmFault, TerminateSequence};
use crate::persist::StoreOp;
use crate::time::Timestamp;
use crate::version::RmVersion;

impl Source {
    /// Closes the sequence (WS-RM 1.1 §3.5): no new messages. CloseSequence is sent once
    /// every message is acknowledged (as WCF does, B1201); on 1.0 a `LastMessage` message
    /// takes its place.
    pub fn close(&mut self, now: Timestamp) -> Result<(), Error> {
        self.apply(SourceTrigger::Close)?;
        let id = self.current_id();
        if self.config.version == RmVersion::V1_0 {
            let n = self.push_message(now, None, true);
            self.last_number = Some(n);
        } else {
            self.last_number = self.next_number.checked_sub(1).filter(|n| *n > 0);
        }
        self.persist.push_back(StoreOp::SourceStateChanged {
            id,
            state: self.state,
            last_number: self.last_number,
        });
        self.maybe_send_close(now);
        Ok(())
    }

    pub(super) fn maybe_send_close(&mut self, now: Timestamp) {
        // Every message acknowledged (released or held back by a discarding destination).
        if self.state != SourceState::Closing
            || self.in_flight.keys().any(|n| !self.acked.contains(*n))
        {
            return;
        }
        if self.config.version == RmVersion::V1_0 {
            // Everything including LastMessage is acknowledged.
            self.enter_closed(SourceTrigger::CloseCompleted);
        } else if self.control.is_none() {
            let msg = Message::CloseSequence(CloseSequence {
                id: self.current_id(),
                last_msg_number: self.last_number,
            });
            self.start_control(now, msg);
        }
    }

    pub(super) fn enter_closed(&mut self, trigger: SourceTrigger) {
        if self.apply(trigger).is_ok() {
            self.control = None;
            let id = self.current_id();
            // Closed at the destination (WS-RM 1.1 §3.5): what it acknowledged so far is
            // final, so a discarding destination with no gap delivers it all.
            self.release_acknowledged(&id, true);
            self.persist.push_back(StoreOp::SourceStateChanged {
                id,
                state: self.state,
                last_number: self.last_number,
            });
            self.events.push_back(SourceEvent::Closed);
        }
    }

    /// Terminates the sequence (WS-RM 1.1 §3.6). Unacknowledged messages are not
    /// abandoned: the sequence ends as failed and reports them ([`SourceEvent::Undelivered`]).
    /// On 1.1 TerminateSequence is retransmitted until answered; 1.0 has no answer.
    pub fn terminate(&mut self, now: Timestamp) -> Result<(), Error> {
        let before = self.state;
        self.apply(SourceTrigger::Terminate)?;
        if before == SourceState::Creating {
            self.control = None;
            self.finish(TerminationReason::Local);
            return Ok(());
        }
        let id = self.current_id();
        if self.last_number.is_none() {
            self.last_number = self.next_number.checked_sub(1).filter(|n| *n > 0);
        }
        self.persist.push_back(StoreOp::SourceStateChanged {
            id,
            state: self.state,
            last_number: self.last_number,
        });
        self.send_terminate(now);
        Ok(())
    }

    pub(super) fn send_terminate(&mut self, now: Timestamp) {
        let msg = Message::TerminateSequence(TerminateSequence {
            id: self.current_id(),
            last_msg_number: if self.config.version == RmVersion::V1_1 {
                self.last_number
            } else {
                None
            },
        });
        if self.config.version == RmVersion::V1_0 {
            self.push_transmit(msg);
            let reason = if self.in_flight.is_empty() {
                TerminationReason::Completed
            } else {
                TerminationReason::Local
            };
            if self.apply(SourceTrigger::TerminateCompleted).is_ok() {
                self.finish(reason);
            }
        } else {
            self.start_control(now, msg);
        }
    }

    /// Moves to Terminated and reports `reason`. With every message acknowledged (or none
    /// sent) the sequence is recorded as gone (`SourceTerminated`). Otherwise it ended
    /// with gaps: nothing unacknowledged is reported acknowledged or dropped (WS-RM 1.1
    /// §3.9: only a SequenceAcknowledgement proves receipt). It is recorded as failed
    /// (`SourceFailed`, records and payloads kept) and reported once as
    /// [`SourceEvent::Undelivered`] with the exact numbers and the reason.
    pub(super) fn finish(&mut self, reason: TerminationReason) {
        self.finish_as(reason, None);
    }

    /// [`Self::finish`], naming the undelivered reason when `reason` does not tell it.
    fn finish_as(&mut self, reason: TerminationReason, why: Option<UndeliveredReason>) {
        self.state = SourceState::Terminated;
        self.control = None;
        let reason = match reason {
            TerminationReason::Completed if !self.in_flight.is_empty() => TerminationReason::Local,
            r => r,
        };
        #[cfg(test)]
        if self.broken_fault_counts_as_ack {
            // The defect of issue 15, kept only to prove the simulation catches it.
            let numbers: Vec<u64> = self.in_flight.keys().copied().collect();
            for n in numbers {
                if let Some(o) = self.in_flight.remove(&n) {
                    self.events.push_back(SourceEvent::Acknowledged {
                        number: n,
                        payload: o.payload,
                    });
                }
            }
        }
        match self.id.clone() {
            Some(id) if !self.in_flight.is_empty() => {
                let undelivered = Undelivered {
                    id: id.clone(),
                    numbers: ranges_of(self.in_flight.keys().copied()),
                    reason: why.unwrap_or_else(|| undelivered_reason(&reason)),
                    next: self.config.on_undelivered.effective(self.config.assurance),
                };
                self.persist.push_back(StoreOp::SourceFailed {
                    id,
                    reason: undelivered.reason,
                    undelivered: undelivered.numbers.clone(),
                });
                self.undelivered = Some(undelivered.clone());
                self.events.push_back(SourceEvent::Undelivered(undelivered));
            }
            Some(id) => self.persist.push_back(StoreOp::SourceTerminated { id }),
            None => {}
        }
        self.events.push_back(SourceEvent::Terminated(reason));
    }

    /// Ends the sequence because the security context it is bound to was lost for good
    /// (a renewal refused, an expiry unrenewed): WS-RM 1.2 §5 binds it to that token, so
    /// it is never moved to another. What is unacknowledged is reported undelivered
    /// ([`UndeliveredReason::TokenLost`]) and held. Nothing is sent: the token is gone.
    pub fn lose_token(&mut self) -> Result<(), Error> {
        self.apply(SourceTrigger::TokenLost)?;
        self.transmit.clear();
        self.finish_as(TerminationReason::Local, Some(UndeliveredReason::TokenLost));
        Ok(())
    }

    /// Fails a sequence the destination closed (WS-RM 1.1 §3.5) once its final
    /// acknowledgement leaves numbers out: they can no longer be delivered on it.
    pub(super) fn fail_if_closed_with_gaps(&mut self, final_ack: bool) {
        if self.state == SourceState::Closed
            && self.closed_by_peer
            && final_ack
            && self.in_flight.keys().any(|n| !self.acked.contains(*n))
            && self.apply(SourceTrigger::PeerClosedIncomplete).is_ok()
        {
            self.finish_as(
                TerminationReason::Peer,
                Some(UndeliveredReason::ClosedByDestination),
            );
        }
    }

    pub(super) fn apply(&mut self, trigger: SourceTrigger) -> Result<(), Error> {
        let to = lookup(SOURCE_TRANSITIONS, self.state, trigger)
            .ok_or(Error::InvalidState(self.state.name()))?;
        self.state = to;
        Ok(())
    }

    pub(super) fn end(&mut self, trigger: SourceTrigger, reason: TerminationReason) {
        if self.apply(trigger).is_ok() {
            self.finish(reason);
        }
    }

    pub(super) fn on_fault(&mut self, now: Timestamp, f: RmFault) -> Result<(), Error> {
        match f.kind {
            FaultKind::CreateSequenceRefused(r) if self.state == SourceState::Creating => {
                self.end(SourceTrigger::CreateRefused, TerminationReason::Refused(r));
            }
            FaultKind::UnknownSequence if self.state == SourceState::Terminating => {
                // Our TerminateSequence was processed but its response lost.
                self.end(
                    SourceTrigger::TerminateCompleted,
                    TerminationReason::Completed,
                );
            }
            FaultKind::SequenceClosed => {
                if matches!(self.state, SourceState::Active | SourceState::Closing) {
                    self.closed_by_peer = true;
                    self.enter_closed(SourceTrigger::PeerClose);
                    // Ask for the final acknowledgement: what it leaves out is undelivered.
                    self.request_ack();
                }
            }
            FaultKind::MessageNumberRollover => {
                // No more numbers: close.
                if self.state == SourceState::Active {
                    self.close(now)?;
                }
            }
            kind => self.end(SourceTrigger::PeerTerminate, TerminationReason::Fault(kind)),
        }
        Ok(())
    }
}

/// The undelivered reason for a sequence that ended for `reason` with messages left.
fn undelivered_reason(reason: &TerminationReason) -> UndeliveredReason {
    match reason {
        TerminationReason::Completed | TerminationReason::Local => {
            UndeliveredReason::TerminatedLocally
        }
        TerminationReason::Peer => UndeliveredReason::TerminatedByDestination,
        TerminationReason::Fault(k) => UndeliveredReason::Fault(*k),
        TerminationReason::Refused(r) => UndeliveredReason::Refused(*r),
        TerminationReason::InvalidAcknowledgement => UndeliveredReason::InvalidAcknowledgement,
        TerminationReason::InactivityTimeout => UndeliveredReason::InactivityTimeout,
        TerminationReason::Expired => UndeliveredReason::Expired,
    }
}
