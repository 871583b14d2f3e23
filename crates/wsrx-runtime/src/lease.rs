//! A node's lease table (issue 21): when to acquire, renew and give up the lease on a
//! sequence, decided sans-IO. The driver feeds time (its monotonic clock, as
//! [`Millis`]) and the store's answers, and carries out the [`Request`]s; the store
//! does the SQL and checks the fence of every batch ([`wsrx_store::lease`]).
//!
//! Rules:
//! - A lease counts as held here only until `sent + ttl - margin`, where `sent` is when
//!   the request that granted or last renewed it was *sent*: the database started its
//!   `ttl` later than that, so this side always gives up first (the margin covers clock
//!   rates and a commit in flight). A node paused past that instant finds its lease
//!   gone when it runs again ([`Leases::fence`] answers nothing) and must acquire anew,
//!   and a commit it had under way is refused by the fence check anyway.
//! - A held lease in use is renewed once `renew_when_left` of it is left; one renewal
//!   in flight at a time; a refused renewal loses it.
//! - A lease not asked for during `linger` is released, so that another node receiving
//!   that sequence's messages can take it without waiting for the expiry.
//! - A lease another node holds is asked for again once the time it said was left has
//!   passed (then it was released or expired, and the database grants a takeover).
//! - At shutdown every held lease is released ([`Leases::release_all`]).

use std::collections::HashMap;
use std::collections::VecDeque;
use std::time::Duration;

/// Milliseconds on the node's monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    fn plus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }
    fn minus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_sub(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }
}

/// Lease timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseConfig {
    /// How long the database keeps a lease without renewal (default 5 s): how long a
    /// dead node's sequences wait before another node takes them over.
    pub ttl: Duration,
    /// Renewed when this much of it is left (default 3 s).
    pub renew_when_left: Duration,
    /// Given up here this long before it expires in the database (default 1 s).
    pub margin: Duration,
    /// Released after this long unused (default 2 s).
    pub linger: Duration,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(5),
            renew_when_left: Duration::from_secs(3),
            margin: Duration::from_secs(1),
            linger: Duration::from_secs(2),
        }
    }
}

/// What the driver must ask the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Acquire (or take over) the lease; answer with [`Leases::acquired`].
    Acquire {
        /// The sequence.
        sequence: String,
    },
    /// Renew it; answer with [`Leases::renewed`].
    Renew {
        /// The sequence.
        sequence: String,
        /// The token held.
        token: u64,
    },
    /// Release it (no answer needed).
    Release {
        /// The sequence.
        sequence: String,
        /// The token held.
        token: u64,
    },
}

/// The store's answer to [`Request::Acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcquireAnswer {
    /// Granted with `token`; `takeover` when another node held it before.
    Granted {
        /// The fencing token.
        token: u64,
        /// Whether it was taken over from another node.
        takeover: bool,
    },
    /// Another node holds it for `remaining` still.
    HeldElsewhere {
        /// Time left on its lease.
        remaining: Duration,
    },
    /// The store did not answer.
    Failed,
}

/// Something the driver may want to know or count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseEvent {
    /// A lease was granted (a takeover when `takeover`).
    Acquired {
        /// The sequence.
        sequence: String,
        /// Taken over from another node.
        takeover: bool,
    },
    /// A lease was lost (expired here, or its renewal refused): nothing more of that
    /// sequence may be handed over or committed until it is acquired again (and the
    /// sequence's state reloaded from the store).
    Lost {
        /// The sequence.
        sequence: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Acquiring {
        sent: Millis,
    },
    Held {
        token: u64,
        valid_until: Millis,
        renewing: Option<Millis>,
        used: Millis,
    },
    Elsewhere {
        retry_at: Millis,
    },
}

/// The leases of one node (see the module docs).
#[derive(Debug, Default)]
pub struct Leases {
    config: LeaseConfig,
    states: HashMap<String, State>,
    requests: VecDeque<Request>,
    events: VecDeque<LeaseEvent>,
    takeovers: u64,
}

impl Leases {
    /// An empty table.
    pub fn new(config: LeaseConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The fencing token to hand over and commit `sequence` under, if its lease is
    /// held here now. Marks the lease in use.
    pub fn fence(&mut self, sequence: &str, now: Millis) -> Option<u64> {
        match self.states.get_mut(sequence) {
            Some(State::Held {
                token,
                valid_until,
                used,
                ..
            }) if now < *valid_until => {
                *used = now;
                Some(*token)
            }
            _ => None,
        }
    }

    /// The lease on `sequence` is wanted now: its token if held, else `None` (and an
    /// acquisition is requested unless one is in flight, or another node holds it and
    /// said for how long).
    pub fn want(&mut self, sequence: &str, now: Millis) -> Option<u64> {
        self.expire(sequence, now);
        if let Some(token) = self.fence(sequence, now) {
            return Some(token);
        }
        let ask = match self.states.get(sequence) {
            None => true,
            Some(State::Elsewhere { retry_at }) => now >= *retry_at,
            Some(_) => false,
        };
        if ask {
            self.states
                .insert(sequence.to_owned(), State::Acquiring { sent: now });
            self.requests.push_back(Request::Acquire {
                sequence: sequence.to_owned(),
            });
        }
        None
    }

    /// The store answered an acquisition of `sequence` (sent when [`Leases::want`] asked).
    pub fn acquired(&mut self, sequence: &str, answer: AcquireAnswer, now: Millis) {
        let Some(State::Acquiring { sent }) = self.states.get(sequence).copied() else {
            // Not asked (or given up meanwhile): a grant is handed straight back.
            if let AcquireAnswer::Granted { token, .. } = answer {
                self.requests.push_back(Request::Release {
                    sequence: sequence.to_owned(),
                    token,
                });
            }
            return;
        };
        match answer {
            AcquireAnswer::Granted { token, takeover } => {
                let valid_until = sent.plus(self.config.ttl).minus(self.config.margin);
                if takeover {
                    self.takeovers += 1;
                }
                self.states.insert(
                    sequence.to_owned(),
                    State::Held {
                        token,
                        valid_until,
                        renewing: None,
                        used: now,
                    },
                );
                self.events.push_back(LeaseEvent::Acquired {
                    sequence: sequence.to_owned(),
                    takeover,
                });
            }
            AcquireAnswer::HeldElsewhere { remaining } => {
                self.states.insert(
                    sequence.to_owned(),
                    State::Elsewhere {
                        retry_at: now.plus(remaining),
                    },
                );
            }
            AcquireAnswer::Failed => {
                self.states.remove(sequence);
            }
        }
    }

    /// The store answered a renewal of `sequence` under `token`: `ok`, or lost.
    pub fn renewed(&mut self, sequence: &str, token: u64, ok: bool) {
        let Some(State::Held {
            token: held,
            valid_until,
            renewing: Some(sent),
            used,
        }) = self.states.get(sequence).copied()
        else {
            return;
        };
        if held != token {
            return;
        }
        if ok {
            let extended = sent.plus(self.config.ttl).minus(self.config.margin);
            self.states.insert(
                sequence.to_owned(),
                State::Held {
                    token,
                    valid_until: valid_until.max(extended),
                    renewing: None,
                    used,
                },
            );
        } else {
            self.lose(sequence);
        }
    }

    /// A renewal that got no answer (the store unreachable): tried again at the next
    /// timeout while the lease is still valid here.
    pub fn renewal_failed(&mut self, sequence: &str, token: u64) {
        if let Some(State::Held {
            token: held,
            renewing,
            ..
        }) = self.states.get_mut(sequence)
            && *held == token
        {
            *renewing = None;
        }
    }

    fn lose(&mut self, sequence: &str) {
        self.states.remove(sequence);
        self.events.push_back(LeaseEvent::Lost {
            sequence: sequence.to_owned(),
        });
    }

    fn expire(&mut self, sequence: &str, now: Millis) {
        if let Some(State::Held { valid_until, .. }) = self.states.get(sequence)
            && now >= *valid_until
        {
            self.lose(sequence);
        }
    }

    /// The passage of time: leases past their validity here are lost, those in use
    /// and due are renewed, those unused for `linger` released.
    pub fn handle_timeout(&mut self, now: Millis) {
        let mut names: Vec<String> = self.states.keys().cloned().collect();
        names.sort();
        for sequence in names {
            self.expire(&sequence, now);
            let Some(State::Held {
                token,
                valid_until,
                renewing,
                used,
            }) = self.states.get(&sequence).copied()
            else {
                continue;
            };
            if now >= used.plus(self.config.linger) {
                self.states.remove(&sequence);
                self.requests
                    .push_back(Request::Release { sequence, token });
            } else if renewing.is_none() && now >= valid_until.minus(self.config.renew_when_left) {
                self.states.insert(
                    sequence.clone(),
                    State::Held {
                        token,
                        valid_until,
                        renewing: Some(now),
                        used,
                    },
                );
                self.requests.push_back(Request::Renew { sequence, token });
            }
        }
    }

    /// When [`Leases::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.states
            .values()
            .filter_map(|s| match s {
                State::Held {
                    valid_until,
                    renewing,
                    used,
                    ..
                } => {
                    let renew = match renewing {
                        None => valid_until.minus(self.config.renew_when_left),
                        Some(_) => *valid_until,
                    };
                    Some(renew.min(used.plus(self.config.linger)).min(*valid_until))
                }
                _ => None,
            })
            .min()
    }

    /// Releases every held lease (a graceful shutdown hands them back at once).
    pub fn release_all(&mut self) {
        let mut held: Vec<(String, u64)> = self
            .states
            .iter()
            .filter_map(|(s, st)| match st {
                State::Held { token, .. } => Some((s.clone(), *token)),
                _ => None,
            })
            .collect();
        held.sort();
        self.states.clear();
        for (sequence, token) in held {
            self.requests
                .push_back(Request::Release { sequence, token });
        }
    }

    /// The next request for the store.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.requests.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<LeaseEvent> {
        self.events.pop_front()
    }

    /// Leases held here now (granted and not lost or released).
    pub fn held(&self) -> usize {
        self.states
            .values()
            .filter(|s| matches!(s, State::Held { .. }))
            .count()
    }

    /// Leases taken over from other nodes so far.
    pub fn takeovers(&self) -> u64 {
        self.takeovers
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, reason = "test code")]
mod tests;
