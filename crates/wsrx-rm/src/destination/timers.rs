//! The Destination's clock inputs: batched acknowledgements, inactivity and expiry.

use super::Destination;
use super::state::DestinationTrigger;
use crate::events::TerminationReason;
use crate::time::{Timestamp, earliest};

impl Destination {
    /// Handles the passage of time: batched acknowledgements, inactivity, expiry.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let timeout = self.config.inactivity_timeout;
        let mut ended = Vec::new();
        let mut acks = Vec::new();
        for (id, s) in &self.sequences {
            if s.expires_at.is_some_and(|e| now >= e) {
                ended.push((
                    id.clone(),
                    DestinationTrigger::Expired,
                    TerminationReason::Expired,
                ));
            } else if now >= s.last_activity.saturating_add(timeout) {
                ended.push((
                    id.clone(),
                    DestinationTrigger::InactivityTimeout,
                    TerminationReason::InactivityTimeout,
                ));
            } else if s.ack_due.is_some_and(|d| d <= now) {
                acks.push(id.clone());
            }
        }
        // Deterministic order regardless of hashing.
        ended.sort_by(|a, b| a.0.cmp(&b.0));
        acks.sort();
        for (id, trigger, reason) in ended {
            self.remove(&id, trigger, reason);
        }
        for id in acks {
            self.send_ack(&id);
        }
    }

    /// The next deadline at which `handle_timeout` must be called.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let timeout = self.config.inactivity_timeout;
        self.sequences.values().fold(None, |t, s| {
            let t = earliest(t, Some(s.last_activity.saturating_add(timeout)));
            let t = earliest(t, s.expires_at);
            earliest(t, s.ack_due)
        })
    }
}
