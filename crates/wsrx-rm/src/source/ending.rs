//! How a Source's sequence ends: close (WS-RM 1.1 §3.5), terminate (§3.6), the peer's
//! faults (§4) and the terminal bookkeeping.

use super::Source;
use super::state::{SOURCE_TRANSITIONS, SourceState, SourceTrigger};
use crate::error::Error;
use crate::events::{SourceEvent, TerminationReason};
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
        if self.state != SourceState::Closing || !self.in_flight.is_empty() {
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
            self.persist.push_back(StoreOp::SourceStateChanged {
                id,
                state: self.state,
                last_number: self.last_number,
            });
            self.events.push_back(SourceEvent::Closed);
        }
    }

    /// Terminates the sequence (WS-RM 1.1 §3.6). Unacknowledged messages are abandoned.
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

    /// Moves to Terminated: records it, abandons what is unacknowledged, reports `reason`.
    pub(super) fn finish(&mut self, reason: TerminationReason) {
        self.state = SourceState::Terminated;
        self.control = None;
        if let Some(id) = self.id.clone() {
            self.persist.push_back(StoreOp::SourceTerminated { id });
        }
        for (number, o) in core::mem::take(&mut self.in_flight) {
            self.events.push_back(SourceEvent::Abandoned {
                number,
                payload: o.payload,
            });
        }
        self.events.push_back(SourceEvent::Terminated(reason));
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
                    self.enter_closed(SourceTrigger::PeerClose);
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
