//! Application messages at the Destination (WS-RM 1.1 §3.7): recorded before anything
//! else (write-ahead), delivered in order or held, and acknowledged (§3.9).

use super::Accepted;
use super::Destination;
use super::sequence::Inbound;
use super::state::DestinationState;
use crate::binding::SecurityBinding;
use crate::config::AckPolicy;
use crate::error::Error;
use crate::events::DestinationEvent;
use crate::msg::{
    AckBody, AckRequested, ApplicationMessage, IncompleteSequenceBehavior, Message, Route,
    SequenceAcknowledgement, SequenceId, Transmit,
};
use crate::persist::StoreOp;
use crate::ranges::Insert;
use crate::time::Timestamp;
use crate::version::RmVersion;

impl Destination {
    /// WS-RM 1.1 §3.7: an application message.
    pub(super) fn on_application(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        m: ApplicationMessage,
    ) -> Result<(), Error> {
        let id = m.sequence.id.clone();
        self.bound(&id, proof)?;
        let number = m.sequence.number;
        let max = self
            .config
            .max_message_number
            .min(crate::msg::MAX_MESSAGE_NUMBER);
        let reorder_cap = self.config.reorder_buffer;
        let backlog_cap = self.config.delivery_backlog;
        let gated_cfg = self.config.in_order;
        let Some(s) = self.sequences.get_mut(&id) else {
            return Err(Error::UnknownSequence(id));
        };
        if number == 0 {
            return Err(Error::InvalidMessageNumber(id));
        }
        if number > max {
            return Err(Error::MessageNumberRollover(id));
        }
        let duplicate = s.received.contains(number);
        if !duplicate {
            if s.state == DestinationState::Closed {
                // §3.5: a closed sequence accepts no new messages.
                return Err(if s.version == RmVersion::V1_0 {
                    Error::LastMessageNumberExceeded(id)
                } else {
                    Error::SequenceClosed(id)
                });
            }
            if s.last_number.is_some_and(|l| number > l) {
                return Err(if s.version == RmVersion::V1_0 {
                    Error::LastMessageNumberExceeded(id)
                } else {
                    Error::SequenceClosed(id)
                });
            }
            if m.sequence.last_message && s.received.max().is_some_and(|x| x > number) {
                return Err(Error::LastMessageNumberExceeded(id));
            }
        }
        let gated = gated_cfg || s.incomplete != IncompleteSequenceBehavior::NoDiscard;
        // The next number in order is always admitted, so a full buffer cannot deadlock.
        let buffer_full = gated
            && (number != s.delivered_through.saturating_add(1)
                || s.incomplete == IncompleteSequenceBehavior::DiscardEntireSequence)
            && s.held.len() >= reorder_cap;
        // Back-pressure: the application has not finished with enough of this sequence's
        // messages. Held messages are not counted (the reorder buffer bounds them, and the
        // next one in order must stay admissible), so this cannot deadlock: the backlog
        // drains as the application works, whatever arrives.
        let backlog_full = s.in_application >= backlog_cap;
        let outcome = if duplicate {
            Accepted::Duplicate
        } else if backlog_full {
            self.backlog_drops = self.backlog_drops.saturating_add(1);
            Accepted::Dropped
        } else if buffer_full || s.received.insert(number) == Insert::TooFragmented {
            Accepted::Dropped
        } else {
            Accepted::New
        };
        s.last_activity = now;
        match outcome {
            Accepted::Duplicate | Accepted::Dropped => {
                if let Some(payload) = m.payload {
                    self.events.push_back(DestinationEvent::Released {
                        id: id.clone(),
                        number,
                        payload,
                    });
                }
                // A resent message means the source lacks our acknowledgement: answer now.
                self.send_ack(&id);
                return Ok(());
            }
            Accepted::New => {}
        }
        if m.sequence.last_message {
            s.last_number = Some(number);
        }
        // Write-ahead: the record precedes any acknowledgement covering it.
        self.persist.push_back(StoreOp::InboundRecorded {
            id: id.clone(),
            number,
            payload: m.payload,
            delivered: !gated,
            last: m.sequence.last_message,
            at: Some(now),
        });
        if gated {
            s.held.insert(number, m.payload);
        } else if let Some(payload) = m.payload {
            s.in_application = s.in_application.saturating_add(1);
            self.events.push_back(DestinationEvent::Delivered {
                id: id.clone(),
                number,
                payload,
            });
        }
        self.drain_held(&id, false);
        self.after_accept(now, &id, m.ack_requested);
        Ok(())
    }

    /// Delivers held messages whose turn has come; at `ending` (close/terminate), applies
    /// IncompleteSequenceBehavior to what is left (WS-RM 1.1 §3.4).
    pub(super) fn drain_held(&mut self, id: &SequenceId, ending: bool) {
        let Some(s) = self.sequences.get_mut(id) else {
            return;
        };
        if s.held.is_empty() {
            return;
        }
        let mut through = s.delivered_through;
        let mut delivered = Vec::new();
        let entire = s.incomplete == IncompleteSequenceBehavior::DiscardEntireSequence;
        if !entire || s.complete() {
            while let Some(p) = s.held.remove(&through.saturating_add(1)) {
                through = through.saturating_add(1);
                delivered.push((through, p));
            }
        }
        let mut discarded = Vec::new();
        if ending && !s.held.is_empty() {
            if s.incomplete == IncompleteSequenceBehavior::NoDiscard {
                // Deliver whatever arrived, in order.
                for (n, p) in core::mem::take(&mut s.held) {
                    through = n;
                    delivered.push((n, p));
                }
            } else {
                discarded = core::mem::take(&mut s.held).into_iter().collect();
            }
        }
        if through != s.delivered_through {
            s.delivered_through = through;
            self.persist.push_back(StoreOp::DeliveredThrough {
                id: id.clone(),
                number: through,
            });
            for (number, p) in delivered {
                if let Some(payload) = p {
                    s.in_application = s.in_application.saturating_add(1);
                    self.events.push_back(DestinationEvent::Delivered {
                        id: id.clone(),
                        number,
                        payload,
                    });
                }
            }
        }
        if !discarded.is_empty() {
            self.persist.push_back(StoreOp::Discarded {
                id: id.clone(),
                numbers: discarded.iter().map(|(n, _)| *n).collect(),
            });
            for (number, p) in discarded {
                if let Some(payload) = p {
                    self.events.push_back(DestinationEvent::Released {
                        id: id.clone(),
                        number,
                        payload,
                    });
                }
            }
        }
    }

    /// The acknowledgement policy (WS-RM 1.1 §3.9; WCF AcknowledgementInterval).
    pub(super) fn after_accept(&mut self, now: Timestamp, id: &SequenceId, ack_requested: bool) {
        let policy = self.config.ack_policy;
        let Some(s) = self.sequences.get_mut(id) else {
            return;
        };
        s.unacked = s.unacked.saturating_add(1);
        let now_ack = match policy {
            AckPolicy::Immediate => true,
            AckPolicy::Batched { count, interval } => {
                if s.ack_due.is_none() {
                    s.ack_due = Some(now.saturating_add(interval));
                }
                s.unacked >= count.max(1)
            }
        };
        if now_ack || ack_requested {
            self.send_ack(id);
        }
    }

    pub(super) fn ack_for(&self, id: &SequenceId, s: &Inbound) -> SequenceAcknowledgement {
        let body = if s.received.is_empty() {
            AckBody::None
        } else {
            AckBody::Ranges(s.received.ranges().to_vec())
        };
        let remaining = self.config.reorder_buffer.saturating_sub(s.held.len());
        SequenceAcknowledgement {
            id: id.clone(),
            body,
            final_: s.state == DestinationState::Closed && s.version == RmVersion::V1_1,
            buffer_remaining: Some(u32::try_from(remaining).unwrap_or(u32::MAX)),
        }
    }

    /// Sends a stand-alone acknowledgement to AcksTo now.
    pub(super) fn send_ack(&mut self, id: &SequenceId) {
        let Some(ack) = self.take_ack(id) else { return };
        let Some(s) = self.sequences.get(id) else {
            return;
        };
        if s.version == RmVersion::V1_0 && matches!(ack.body, AckBody::None) {
            return; // 1.0 has no `None`: nothing to say yet.
        }
        let t = Transmit {
            route: Route::Peer(s.acks_to.clone()),
            message: Message::SequenceAcknowledgement(ack),
            ack: None,
            protect_with: s.binding.clone(),
        };
        self.transmit.push_back(t);
    }

    /// Takes the acknowledgement of `id` to piggy-back on a message the runtime is sending
    /// to its AcksTo; this satisfies a pending batched acknowledgement.
    pub fn take_ack(&mut self, id: &SequenceId) -> Option<SequenceAcknowledgement> {
        let s = self.sequences.get(id)?;
        let ack = self.ack_for(id, s);
        if let Some(s) = self.sequences.get_mut(id) {
            s.unacked = 0;
            s.ack_due = None;
        }
        Some(ack)
    }

    pub(super) fn on_ack_requested(
        &mut self,
        now: Timestamp,
        proof: Option<&SecurityBinding>,
        m: AckRequested,
    ) -> Result<(), Error> {
        self.bound(&m.id, proof)?;
        if let Some(s) = self.sequences.get_mut(&m.id) {
            s.last_activity = now;
        }
        self.send_ack(&m.id);
        Ok(())
    }
}
