//! The polling side of WS-MakeConnection (WS-MC 1.1 §3.2): when an endpoint known to others
//! only by its MC anonymous URI sends its next `MakeConnection`.
//!
//! The rule: poll while something is expected (a response, an acknowledgement, a
//! CreateSequenceResponse: the driver says so with [`Poller::expect`] and ends it with
//! [`Poller::settle`]); poll again at once when the last answer carried a message or said
//! `MessagePending` true (§3.3); otherwise wait an interval that doubles, up to a maximum,
//! while the polls come back empty, and starts again from the minimum when something arrives.

use std::time::Duration;

use crate::time::Timestamp;

/// The intervals of a [`Poller`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollerConfig {
    /// The wait after an empty answer, at first.
    pub interval: Duration,
    /// The longest wait between polls.
    pub max_interval: Duration,
}

impl Default for PollerConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(2),
        }
    }
}

/// When to send the next `MakeConnection` (see the module docs).
#[derive(Debug, Clone)]
pub struct Poller {
    config: PollerConfig,
    expected: usize,
    wait: Duration,
    next: Option<Timestamp>,
    in_flight: bool,
}

impl Poller {
    /// A poller with nothing expected (it does not poll).
    #[must_use]
    pub fn new(config: PollerConfig) -> Self {
        Self {
            config,
            expected: 0,
            wait: config.interval,
            next: None,
            in_flight: false,
        }
    }

    /// Something will come back through MakeConnection: poll from now on.
    pub fn expect(&mut self, now: Timestamp) {
        self.expected = self.expected.saturating_add(1);
        self.wait = self.config.interval;
        if !self.in_flight {
            self.next = Some(self.next.map_or(now, |n| n.min(now)));
        }
    }

    /// One expected thing arrived or is no longer awaited; with nothing left expected the
    /// poller stops.
    pub fn settle(&mut self) {
        self.expected = self.expected.saturating_sub(1);
        if self.expected == 0 {
            self.next = None;
        }
    }

    /// Nothing is expected any more (the sequences ended): stop polling.
    pub fn stop(&mut self) {
        self.expected = 0;
        self.next = None;
    }

    /// Whether a `MakeConnection` should be sent at `now`; if so, it is taken as sent
    /// (the next decision waits for [`Self::handle_answer`]).
    pub fn poll(&mut self, now: Timestamp) -> bool {
        match self.next {
            Some(at) if !self.in_flight && at <= now && self.expected > 0 => {
                self.in_flight = true;
                self.next = None;
                true
            }
            _ => false,
        }
    }

    /// The answer to the last `MakeConnection`: whether it carried a message, and its
    /// `MessagePending` value if it had the header. A failed poll (transport error) is an
    /// empty answer.
    pub fn handle_answer(&mut self, now: Timestamp, got_message: bool, pending: Option<bool>) {
        self.in_flight = false;
        if self.expected == 0 {
            self.next = None;
            return;
        }
        if got_message || pending == Some(true) {
            self.wait = self.config.interval;
            // A message came, or more wait (§3.3): the next one may be there already.
            self.next = Some(now);
        } else {
            self.next = Some(now.saturating_add(self.wait));
            self.wait = (self.wait.saturating_mul(2)).min(self.config.max_interval);
        }
    }

    /// When [`Self::poll`] will next say yes (`None`: not polling).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if self.in_flight || self.expected == 0 {
            None
        } else {
            self.next
        }
    }

    /// How many things are still expected.
    #[must_use]
    pub fn expected(&self) -> usize {
        self.expected
    }
}
