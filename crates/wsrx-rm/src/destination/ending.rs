//! How inbound sequences end: CloseSequence (WS-RM 1.1 §3.5) and TerminateSequence
//! (§3.6) from either side, the Source's faults (§4), and IncompleteSequenceBehavior for
//! what is still held.

use super::Destination;
use super::state::{DESTINATION_TRANSITIONS, DestinationState, DestinationTrigger};
use crate::binding::SecurityBinding;
use crate::error::Error;
use crate::events::{DestinationEvent, TerminationReason};
use crate::fsm::lookup;
use crate::msg::{
    CloseSequence, CloseSequenceResponse, FaultKind, Message, RmFault, Route,
    SequenceAcknowledgement, SequenceId, TerminateSequence, TerminateSequenceResponse, Transmit,
};
use crate::persist::StoreOp;
use crate::time::Timestamp;
use crate::version::RmVersion;

/// A `LastMsgNumber` below a message number already received contradicts what the
/// Destination holds (WS-RM 1.1 §3.5, §3.6: it is the highest number the Source
/// assigned). Refused before any state changes: `LastMessageNumberExceeded` on 1.0,
/// `SequenceClosed` on 1.1 and later (the fault issue 20 chose; WCF answers
/// SequenceTerminated, "SmallLastMsgNumber", and ends the sequence).
fn last_number_consistent(
    s: &super::sequence::Inbound,
    id: &SequenceId,
    last: Option<u64>,
) -> Result<(), Error> {
    match (last, s.received.max()) {
        (Some(last), Some(max)) if max > last => Err(if s.version == RmVersion::V1_0 {
            Error::LastMessageNumberExceeded(id.clone())
        } else {
            Error::SequenceClosed(id.clone())
        }),
        _ => Ok(()),
    }
}

impl Destination {
    /// WS-RM 1.1 §3.5 CloseSequence: no new messages; answer with the final ack.
    pub(super) fn on_close(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        m: CloseSequence,
    ) -> Result<(), Error> {
        self.bound(&m.id, proof)?;
        let Some(s) = self.sequences.get_mut(&m.id) else {
            return Err(Error::UnknownSequence(m.id));
        };
        if s.version == RmVersion::V1_0 {
            return Err(Error::Unexpected("CloseSequence on WS-RM 1.0"));
        }
        last_number_consistent(s, &m.id, m.last_msg_number)?;
        let to = lookup(
            DESTINATION_TRANSITIONS,
            s.state,
            DestinationTrigger::CloseSequence,
        )
        .ok_or(Error::InvalidState(s.state.name()))?;
        let was_open = s.state == DestinationState::Active;
        s.state = to;
        s.last_activity = now;
        if was_open {
            s.last_number = m.last_msg_number.or(s.received.max()).or(Some(0));
            let last_number = s.last_number;
            self.persist.push_back(StoreOp::DestinationClosed {
                id: m.id.clone(),
                last_number,
            });
            self.drain_held(&m.id, true);
            self.events
                .push_back(DestinationEvent::Closed { id: m.id.clone() });
        }
        let ack = self.take_ack(&m.id);
        let binding = self.sequences.get(&m.id).and_then(|s| s.binding.clone());
        self.reply(
            Message::CloseSequenceResponse(CloseSequenceResponse { id: m.id }),
            ack,
            binding,
        );
        Ok(())
    }

    /// WS-RM 1.1 §3.6 TerminateSequence: end the sequence; answer with the final ack.
    pub(super) fn on_terminate(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        m: TerminateSequence,
    ) -> Result<(), Error> {
        self.bound(&m.id, proof)?;
        let _ = now;
        let Some(s) = self.sequences.get_mut(&m.id) else {
            return Err(Error::UnknownSequence(m.id));
        };
        lookup(
            DESTINATION_TRANSITIONS,
            s.state,
            DestinationTrigger::TerminateSequence,
        )
        .ok_or(Error::InvalidState(s.state.name()))?;
        last_number_consistent(s, &m.id, m.last_msg_number)?;
        if s.last_number.is_none() {
            s.last_number = m.last_msg_number.or(s.received.max()).or(Some(0));
        }
        let version = s.version;
        let complete = s.complete();
        let reason = if complete {
            TerminationReason::Completed
        } else {
            TerminationReason::Peer
        };
        if version == RmVersion::V1_1 {
            // The response carries the final acknowledgement.
            let ack = self
                .take_ack(&m.id)
                .map(|a| SequenceAcknowledgement { final_: true, ..a });
            let binding = self.sequences.get(&m.id).and_then(|s| s.binding.clone());
            self.remove(&m.id, DestinationTrigger::TerminateSequence, reason);
            self.reply(
                Message::TerminateSequenceResponse(TerminateSequenceResponse { id: m.id }),
                ack,
                binding,
            );
        } else {
            self.remove(&m.id, DestinationTrigger::TerminateSequence, reason);
        }
        Ok(())
    }

    pub(super) fn on_fault(
        &mut self,
        proof: Option<&SecurityBinding>,
        f: RmFault,
    ) -> Result<(), Error> {
        let Some(id) = f.sequence().cloned() else {
            return Err(Error::Unexpected("fault without a sequence"));
        };
        self.bound(&id, proof)?;
        match f.kind {
            FaultKind::SequenceTerminated
            | FaultKind::InvalidAcknowledgement
            | FaultKind::UnknownSequence => {
                self.remove(
                    &id,
                    DestinationTrigger::Fault,
                    TerminationReason::Fault(f.kind),
                );
                Ok(())
            }
            _ => Err(Error::Unexpected("fault kind not for a destination")),
        }
    }

    /// Ends a sequence: remaining held messages follow IncompleteSequenceBehavior, the
    /// termination is recorded, the entry is dropped.
    pub(super) fn remove(
        &mut self,
        id: &SequenceId,
        trigger: DestinationTrigger,
        reason: TerminationReason,
    ) {
        let Some(s) = self.sequences.get(id) else {
            return;
        };
        if lookup(DESTINATION_TRANSITIONS, s.state, trigger) != Some(DestinationState::Terminated) {
            return;
        }
        self.drain_held(id, true);
        if self.sequences.remove(id).is_some() {
            self.persist
                .push_back(StoreOp::DestinationTerminated { id: id.clone() });
            self.events.push_back(DestinationEvent::Terminated {
                id: id.clone(),
                reason,
            });
        }
    }

    /// Closes a sequence from this side (WS-RM 1.1 §3.5 allows either side): no new
    /// messages; sends CloseSequence and the final acknowledgement to AcksTo.
    pub fn close(&mut self, id: &SequenceId) -> Result<(), Error> {
        let s = self
            .sequences
            .get_mut(id)
            .ok_or_else(|| Error::NoSuchSequence(id.clone()))?;
        s.state = lookup(DESTINATION_TRANSITIONS, s.state, DestinationTrigger::Close)
            .ok_or(Error::InvalidState(s.state.name()))?;
        s.last_number = s.received.max().or(Some(0));
        let last_number = s.last_number;
        let (acks_to, binding, version) = (s.acks_to.clone(), s.binding.clone(), s.version);
        self.persist.push_back(StoreOp::DestinationClosed {
            id: id.clone(),
            last_number,
        });
        self.drain_held(id, true);
        if version == RmVersion::V1_1 {
            let msg = Message::CloseSequence(CloseSequence {
                id: id.clone(),
                last_msg_number: last_number.filter(|n| *n > 0),
            });
            self.transmit.push_back(Transmit {
                route: Route::Peer(acks_to),
                message: msg,
                ack: None,
                protect_with: binding,
            });
        }
        self.send_ack(id);
        self.events
            .push_back(DestinationEvent::Closed { id: id.clone() });
        Ok(())
    }

    /// Terminates a sequence from this side, telling the source (1.1 TerminateSequence).
    pub fn terminate(&mut self, id: &SequenceId) -> Result<(), Error> {
        let s = self
            .sequences
            .get(id)
            .ok_or_else(|| Error::NoSuchSequence(id.clone()))?;
        lookup(
            DESTINATION_TRANSITIONS,
            s.state,
            DestinationTrigger::Terminate,
        )
        .ok_or(Error::InvalidState(s.state.name()))?;
        let (acks_to, binding, version) = (s.acks_to.clone(), s.binding.clone(), s.version);
        let last = s.received.max();
        self.remove(id, DestinationTrigger::Terminate, TerminationReason::Local);
        if version == RmVersion::V1_1 {
            let msg = Message::TerminateSequence(TerminateSequence {
                id: id.clone(),
                last_msg_number: last,
            });
            self.transmit.push_back(Transmit {
                route: Route::Peer(acks_to),
                message: msg,
                ack: None,
                protect_with: binding,
            });
        }
        Ok(())
    }
}
