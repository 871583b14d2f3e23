//! Acknowledgements at the Source (WS-RM 1.1 §3.9): ranges and Nacks, their validity
//! (InvalidAcknowledgement, §4.4), and retransmission of what they leave out.

use super::Source;
use super::state::{SourceState, SourceTrigger};
use crate::error::Error;
use crate::events::{SourceEvent, TerminationReason};
use crate::msg::{
    AckBody, AckRange, FaultCode, FaultDetail, FaultKind, IncompleteSequenceBehavior, Message,
    RmFault, SequenceAcknowledgement, SequenceId,
};
use crate::persist::StoreOp;
use crate::ranges::RangeSet;
use crate::time::Timestamp;

impl Source {
    /// WS-RM 1.1 §3.9: ranges cover only sent messages, never drop what an earlier ack
    /// covered (else InvalidAcknowledgement, §4.4); Nack asks for an immediate resend.
    pub(super) fn on_ack(
        &mut self,
        now: Timestamp,
        ack: SequenceAcknowledgement,
    ) -> Result<(), Error> {
        if self.state == SourceState::Creating {
            return Err(Error::Unexpected("ack before creation"));
        }
        let highest_sent = self.next_number.saturating_sub(1);
        let id = self.current_id();
        let invalid = |me: &mut Self, ack: SequenceAcknowledgement| {
            let fault = RmFault {
                kind: FaultKind::InvalidAcknowledgement,
                code: FaultCode::Sender,
                detail: FaultDetail::Acknowledgement(Box::new(ack)),
            };
            me.push_transmit(Message::Fault(fault));
            me.end(
                SourceTrigger::InvalidAck,
                TerminationReason::InvalidAcknowledgement,
            );
            Err(Error::InvalidAcknowledgement(me.current_id()))
        };
        match &ack.body {
            AckBody::None => {
                // Nothing accepted yet: stale if we hold acknowledgements (see Ranges).
            }
            AckBody::Nacks(nacks) => {
                if ack.final_
                    || nacks
                        .iter()
                        .any(|n| *n == 0 || *n > highest_sent || self.acked.contains(*n))
                {
                    return invalid(self, ack);
                }
                for n in nacks {
                    if let Some(o) = self.in_flight.get_mut(n) {
                        o.due = now;
                    }
                }
                // Resend now rather than at the next timeout.
                self.retransmit_due(now);
            }
            AckBody::Ranges(ranges) => {
                let mut new = RangeSet::new(ranges.len().max(1));
                for r in ranges {
                    if r.lower == 0 || r.lower > r.upper || r.upper > highest_sent {
                        return invalid(self, ack);
                    }
                    new.insert_range(*r);
                }
                // Ranges never overlap (§3.9): the numbers they list add up to the set's size.
                let listed: u128 = ranges
                    .iter()
                    .map(|r| u128::from(r.upper - r.lower) + 1)
                    .sum();
                let held: u128 = new
                    .ranges()
                    .iter()
                    .map(|r| u128::from(r.upper - r.lower) + 1)
                    .sum();
                if listed != held {
                    return invalid(self, ack);
                }
                // The cumulative invariant (§3.9) binds the destination; HTTP does not order
                // messages, so an ack that fails to cover an earlier one is taken as stale
                // (overtaken in transit), not as InvalidAcknowledgement: its numbers are
                // merged. Acking an unsent number stays invalid (checked above).
                // Round trips (RFC 6298) of messages this ack covers first, sent once
                // (Karn's rule: a retransmitted one says nothing about the round trip).
                let mut samples = Vec::new();
                for (n, o) in &self.in_flight {
                    if let Some(sent) = o.sent.filter(|_| o.attempts == 0)
                        && new.contains(*n)
                        && !self.acked.contains(*n)
                    {
                        samples.push(now.saturating_since(sent));
                    }
                }
                for r in samples {
                    self.rtt.sample(r);
                }
                for r in new.ranges() {
                    self.acked.insert_range_growing(*r);
                }
                self.release_acknowledged(&id, ack.final_);
            }
        }
        // netrm:BufferRemaining: WCF-style flow control.
        self.flow_limit = ack
            .buffer_remaining
            .map(|b| highest_sent.saturating_add(u64::from(b)));
        self.maybe_send_close(now);
        self.fail_if_closed_with_gaps(ack.final_);
        Ok(())
    }

    /// Reports as [`SourceEvent::Acknowledged`] (and records as `OutboundAcked`, so the
    /// payload may go) the acknowledged messages the destination delivers or will
    /// deliver whatever happens next. With the granted IncompleteSequenceBehavior
    /// `NoDiscard`, every acknowledged message. A destination that discards on an
    /// incomplete sequence (WS-RM 1.1 §3.4) may yet drop acknowledged messages: under
    /// `DiscardFollowingFirstGap` only those below the first unacknowledged number are
    /// released, under `DiscardEntireSequence` none until a final acknowledgement covers
    /// them all. The others stay in flight (not resent) and are reported undelivered if
    /// the sequence ends with gaps.
    pub(super) fn release_acknowledged(&mut self, id: &SequenceId, final_ack: bool) {
        let first_gap = self
            .in_flight
            .keys()
            .copied()
            .find(|n| !self.acked.contains(*n));
        let releasable: Vec<u64> = self
            .in_flight
            .keys()
            .copied()
            .filter(|n| self.acked.contains(*n))
            .filter(|n| match self.incomplete {
                IncompleteSequenceBehavior::NoDiscard => true,
                IncompleteSequenceBehavior::DiscardFollowingFirstGap => {
                    first_gap.is_none_or(|g| *n < g)
                }
                IncompleteSequenceBehavior::DiscardEntireSequence => {
                    first_gap.is_none() && final_ack
                }
            })
            .collect();
        let mut released: Vec<AckRange> = Vec::new();
        for n in releasable {
            if let Some(o) = self.in_flight.remove(&n) {
                self.events.push_back(SourceEvent::Acknowledged {
                    number: n,
                    payload: o.payload,
                });
            }
            match released.last_mut() {
                Some(r) if r.upper.checked_add(1) == Some(n) => r.upper = n,
                _ => released.push(AckRange { lower: n, upper: n }),
            }
        }
        if !released.is_empty() {
            self.persist.push_back(StoreOp::OutboundAcked {
                id: id.clone(),
                ranges: released,
            });
        }
    }

    /// The wait before retransmitting a message for the `attempt`-th time (0: after its
    /// first transmission): the configured backoff, started from the retransmission
    /// timeout the measured round trips give (never below the configured first
    /// interval), with jitter.
    pub(super) fn retransmission_delay(&mut self, attempt: u32) -> core::time::Duration {
        let backoff = self.config.retransmission;
        let start = self.rtt.timeout(backoff.base, backoff.max);
        let scaled = crate::config::Backoff {
            base: start,
            ..backoff
        };
        scaled.jittered(attempt, (self.random)())
    }

    /// The smoothed round-trip time measured so far (message to acknowledgement).
    pub fn smoothed_rtt(&self) -> Option<core::time::Duration> {
        self.rtt.smoothed()
    }

    pub(super) fn retransmit_due(&mut self, now: Timestamp) {
        if !matches!(self.state, SourceState::Active | SourceState::Closing) {
            return;
        }
        let due: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(n, o)| o.due <= now && !self.acked.contains(**n))
            .map(|(n, _)| *n)
            .collect();
        for n in due {
            let attempts = self
                .in_flight
                .get(&n)
                .map_or(0, |o| o.attempts.saturating_add(1));
            let delay = self.retransmission_delay(attempts);
            let Some(o) = self.in_flight.get_mut(&n) else {
                continue;
            };
            o.attempts = attempts;
            o.due = now.saturating_add(delay);
            let (payload, last) = (o.payload, o.last);
            self.transmit_app(n, payload, last, true);
        }
    }
}
