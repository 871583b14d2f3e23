//! The hand-off decisions of the gateway, sans IO (no sockets, no clock, no
//! randomness: the driver feeds attempt outcomes and jitter and acts on the answer).
//!
//! One [`Handoff`] per message, created when the runtime hands the message to the
//! gateway (in order per sequence, one at a time: the runtime's deliverer). What
//! counts as **handed off**: the backend answered 2xx *and* the hand-off mark
//! (sequence, number) is committed in the store ([`Next::Accepted`] tells the driver
//! to commit it before it returns). Until then the message stays in the runtime's
//! durable inbox, so a crash in between hands it over again, and the backend sees it a
//! second time with the same `Idempotency-Key` and the redelivery marker.
//!
//! Failures (connection refused, a timeout, 5xx, 408, 429) are retried after an
//! exponential backoff with jitter; a permanent refusal (any other 4xx) or the last
//! allowed attempt sends the message to the dead-letter table ([`Next::DeadLetter`]).
//! Then, per [`OnPoison`], the sequence's later messages wait until the dead letter
//! is replayed or purged (`Hold`, the default: delivery is in order) or continue
//! (`Skip`: the mark moves past the poison message in the same commit as the dead
//! letter).

use std::time::Duration;

/// What to do with a sequence's later messages after one went to the dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnPoison {
    /// They wait until the dead letter is replayed or purged (in-order delivery kept).
    #[default]
    Hold,
    /// They continue; the poison message waits in the dead-letter table alone.
    Skip,
}

/// Attempts and backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a message goes to the dead letters (at least 1).
    pub max_attempts: u32,
    /// The delay after the first failed attempt; doubled after each further one.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// Poison handling.
    pub on_poison: OnPoison,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            on_poison: OnPoison::Hold,
        }
    }
}

/// How one attempt went, as the driver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The backend answered with this HTTP status.
    Status(u16),
    /// No connection: the request never left (connection refused, no route), so the
    /// backend cannot have it.
    Unreached(String),
    /// No answer after the request may have left: the per-attempt timeout passed, or the
    /// connection broke. The backend may have taken the message.
    NoAnswer(String),
}

impl Attempt {
    fn accepted(&self) -> bool {
        matches!(self, Self::Status(s) if (200..300).contains(s))
    }

    /// A refusal that no retry will change: a 4xx other than 408 (timeout) and 429
    /// (slow down); anything else may pass later.
    fn permanent(&self) -> bool {
        matches!(self, Self::Status(s) if (400..500).contains(s) && *s != 408 && *s != 429)
    }

    fn describe(&self) -> String {
        match self {
            Self::Status(s) => format!("HTTP {s}"),
            Self::Unreached(why) | Self::NoAnswer(why) => why.clone(),
        }
    }
}

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Send attempt number `attempt` (1-based) to the backend.
    Send {
        /// The attempt number.
        attempt: u32,
        /// An earlier attempt's outcome is unknown ([`Attempt::NoAnswer`]): the backend may
        /// have the message already, so this attempt carries the redelivery marker, as
        /// after a crash.
        maybe_seen: bool,
    },
    /// Wait this long, then call [`Handoff::retry`].
    Wait(Duration),
    /// The backend took it: commit the hand-off mark, then it is handed off.
    Accepted,
    /// Give up: commit the dead letter (with the mark too when `skip`), then, unless
    /// `skip`, wait until the dead letter is gone before returning.
    DeadLetter {
        /// Why, for the dead-letter row.
        reason: String,
        /// Attempts made.
        attempts: u32,
        /// The mark moves past it and later messages continue.
        skip: bool,
    },
    /// Already handed off before a restart (the mark covers it): nothing to send.
    AlreadyHandedOff,
    /// Already a dead letter (a restart while holding): wait until it is gone.
    Held,
}

/// One message's hand-off.
#[derive(Debug, Clone)]
pub struct Handoff {
    policy: RetryPolicy,
    attempts: u32,
    maybe_seen: bool,
}

impl Handoff {
    /// Starts the hand-off of message `number`, given its sequence's committed mark
    /// and whether the message is in the dead-letter table already.
    pub fn start(policy: RetryPolicy, number: u64, mark: u64, dead_lettered: bool) -> (Self, Next) {
        let me = Self {
            policy,
            attempts: 0,
            maybe_seen: false,
        };
        let next = if number <= mark {
            Next::AlreadyHandedOff
        } else if dead_lettered {
            match me.policy.on_poison {
                OnPoison::Hold => Next::Held,
                // Skipped already (the mark normally covers it); nothing more to do.
                OnPoison::Skip => Next::AlreadyHandedOff,
            }
        } else {
            Next::Send {
                attempt: 1,
                maybe_seen: false,
            }
        };
        let mut me = me;
        if matches!(next, Next::Send { .. }) {
            me.attempts = 1;
        }
        (me, next)
    }

    /// The outcome of the attempt in flight; `jitter` is a random `u64` (the driver's).
    pub fn outcome(&mut self, attempt: &Attempt, jitter: u64) -> Next {
        if attempt.accepted() {
            return Next::Accepted;
        }
        if matches!(attempt, Attempt::NoAnswer(_)) {
            self.maybe_seen = true;
        }
        let max = self.policy.max_attempts.max(1);
        if attempt.permanent() || self.attempts >= max {
            return Next::DeadLetter {
                reason: attempt.describe(),
                attempts: self.attempts,
                skip: self.policy.on_poison == OnPoison::Skip,
            };
        }
        Next::Wait(self.delay(jitter))
    }

    /// After a [`Next::Wait`]: the next attempt.
    pub fn retry(&mut self) -> Next {
        self.attempts = self.attempts.saturating_add(1);
        Next::Send {
            attempt: self.attempts,
            maybe_seen: self.maybe_seen,
        }
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Exponential backoff with "equal jitter": half the capped delay fixed, the other
    /// half random, so retries of many messages do not synchronise.
    fn delay(&self, jitter: u64) -> Duration {
        let shift = self.attempts.saturating_sub(1).min(20);
        let full = self
            .policy
            .base_delay
            .saturating_mul(1u32 << shift)
            .min(self.policy.max_delay);
        let half = full / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let random = if nanos == 0 { 0 } else { jitter % nanos };
        half + Duration::from_nanos(random)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic, reason = "tests")]
    use super::*;

    fn policy(max_attempts: u32, on_poison: OnPoison) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            on_poison,
        }
    }

    #[test]
    fn a_2xx_on_the_first_attempt_is_accepted() {
        let (mut h, next) = Handoff::start(policy(3, OnPoison::Hold), 5, 4, false);
        assert_eq!(
            next,
            Next::Send {
                attempt: 1,
                maybe_seen: false
            }
        );
        assert_eq!(h.outcome(&Attempt::Status(204), 7), Next::Accepted);
        assert_eq!(h.attempts(), 1);
    }

    #[test]
    fn a_message_under_the_mark_is_not_sent_again() {
        let (_, next) = Handoff::start(policy(3, OnPoison::Hold), 4, 4, false);
        assert_eq!(next, Next::AlreadyHandedOff);
        let (_, next) = Handoff::start(policy(3, OnPoison::Hold), 1, 9, true);
        assert_eq!(next, Next::AlreadyHandedOff);
    }

    #[test]
    fn a_dead_letter_found_at_start_holds_or_is_passed() {
        let (_, next) = Handoff::start(policy(3, OnPoison::Hold), 5, 4, true);
        assert_eq!(next, Next::Held);
        let (_, next) = Handoff::start(policy(3, OnPoison::Skip), 5, 4, true);
        assert_eq!(next, Next::AlreadyHandedOff);
    }

    #[test]
    fn failures_are_retried_until_the_last_attempt_then_dead_lettered() {
        let (mut h, _) = Handoff::start(policy(3, OnPoison::Hold), 1, 0, false);
        for (attempt, failure) in [Attempt::Status(503), Attempt::NoAnswer("timed out".into())]
            .iter()
            .enumerate()
        {
            assert!(matches!(h.outcome(failure, 0), Next::Wait(_)));
            assert!(matches!(
                h.retry(),
                Next::Send { attempt: a, .. } if a == u32::try_from(attempt).unwrap_or(0) + 2
            ));
        }
        assert_eq!(
            h.outcome(&Attempt::Status(500), 0),
            Next::DeadLetter {
                reason: "HTTP 500".into(),
                attempts: 3,
                skip: false
            }
        );
    }

    #[test]
    fn a_permanent_refusal_is_dead_lettered_at_once_and_skip_is_reported() {
        let (mut h, _) = Handoff::start(policy(5, OnPoison::Skip), 1, 0, false);
        assert_eq!(
            h.outcome(&Attempt::Status(400), 0),
            Next::DeadLetter {
                reason: "HTTP 400".into(),
                attempts: 1,
                skip: true
            }
        );
        // 408 and 429 are not permanent.
        for s in [408, 429] {
            let (mut h, _) = Handoff::start(policy(5, OnPoison::Skip), 1, 0, false);
            assert!(matches!(h.outcome(&Attempt::Status(s), 0), Next::Wait(_)));
        }
    }

    #[test]
    fn backoff_doubles_is_capped_and_jitter_stays_within_the_upper_half() {
        let (mut h, _) = Handoff::start(policy(10, OnPoison::Hold), 1, 0, false);
        let mut fulls = Vec::new();
        for _ in 0..6 {
            let low = h.outcome(&Attempt::Status(503), 0);
            let high = h.outcome(&Attempt::Status(503), u64::MAX - 1);
            let (Next::Wait(low), Next::Wait(high)) = (low, high) else {
                panic!("expected waits");
            };
            assert!(low <= high && high < low * 2 + Duration::from_nanos(1));
            fulls.push(low * 2);
            h.retry();
        }
        let ms: Vec<u128> = fulls.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn at_least_one_attempt_is_made() {
        let (mut h, next) = Handoff::start(policy(0, OnPoison::Hold), 1, 0, false);
        assert!(matches!(next, Next::Send { attempt: 1, .. }));
        assert!(matches!(
            h.outcome(&Attempt::Status(503), 0),
            Next::DeadLetter { attempts: 1, .. }
        ));
    }

    #[test]
    fn a_retry_after_an_unknown_outcome_carries_the_redelivery_marker() {
        // Refused before sending, or answered with a status: the backend does not have it.
        let (mut h, _) = Handoff::start(policy(6, OnPoison::Hold), 1, 0, false);
        for failure in [Attempt::Unreached("refused".into()), Attempt::Status(503)] {
            assert!(matches!(h.outcome(&failure, 0), Next::Wait(_)));
            assert!(matches!(
                h.retry(),
                Next::Send {
                    maybe_seen: false,
                    ..
                }
            ));
        }
        // Timed out (or cut) after sending: it may have it, and every later attempt says so.
        assert!(matches!(
            h.outcome(&Attempt::NoAnswer("timed out".into()), 0),
            Next::Wait(_)
        ));
        assert!(matches!(
            h.retry(),
            Next::Send {
                attempt: 4,
                maybe_seen: true
            }
        ));
        assert!(matches!(h.outcome(&Attempt::Status(503), 0), Next::Wait(_)));
        assert!(matches!(
            h.retry(),
            Next::Send {
                maybe_seen: true,
                ..
            }
        ));
    }
}
