//! The Source's clock inputs: retransmission, keep-alive AckRequested, inactivity and
//! expiry deadlines.

use super::Source;
use super::state::{SourceState, SourceTrigger};
use crate::events::TerminationReason;
use crate::msg::{AckRequested, Message};
use crate::time::{Timestamp, earliest};

impl Source {
    /// Handles the passage of time: retransmissions, keep-alive, inactivity, expiry.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if self.state == SourceState::Terminated {
            return;
        }
        if self.expires_at.is_some_and(|e| now >= e) {
            self.end(SourceTrigger::Expired, TerminationReason::Expired);
            return;
        }
        if now
            >= self
                .last_heard
                .saturating_add(self.config.inactivity_timeout)
        {
            self.end(
                SourceTrigger::InactivityTimeout,
                TerminationReason::InactivityTimeout,
            );
            return;
        }
        self.retransmit_due(now);
        if let Some(c) = self.control.as_mut()
            && c.due <= now
        {
            {
                c.attempts = c.attempts.saturating_add(1);
                let attempts = c.attempts;
                let msg = c.message.clone();
                let d = self
                    .config
                    .retransmission
                    .jittered(attempts, (self.random)());
                if let Some(c) = self.control.as_mut() {
                    c.due = now.saturating_add(d);
                }
                self.push_transmit(msg);
            }
        }
        if let Some(k) = self.keepalive_due()
            && k <= now
        {
            {
                self.last_keepalive = now;
                self.push_transmit(Message::AckRequested(AckRequested {
                    id: self.current_id(),
                }));
            }
        }
    }

    pub(super) fn keepalive_due(&self) -> Option<Timestamp> {
        if !matches!(
            self.state,
            SourceState::Active | SourceState::Closing | SourceState::Closed
        ) {
            return None;
        }
        Some(
            self.last_heard
                .max(self.last_keepalive)
                .saturating_add(self.config.inactivity_timeout / 2),
        )
    }

    /// The next deadline at which `handle_timeout` must be called.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if self.state == SourceState::Terminated {
            return None;
        }
        let mut t = Some(
            self.last_heard
                .saturating_add(self.config.inactivity_timeout),
        );
        t = earliest(t, self.expires_at);
        t = earliest(t, self.control.as_ref().map(|c| c.due));
        t = earliest(t, self.keepalive_due());
        if matches!(self.state, SourceState::Active | SourceState::Closing) {
            // Acknowledged messages held back (see `release_acknowledged`) are not resent.
            t = earliest(
                t,
                self.in_flight
                    .iter()
                    .filter(|(n, _)| !self.acked.contains(**n))
                    .map(|(_, o)| o.due)
                    .min(),
            );
        }
        t
    }
}
