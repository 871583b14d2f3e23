//! Round-trip time estimation for the Source's retransmission timer (RFC 6298 §2, the
//! TCP rules, on message → acknowledgement round trips).
//!
//! Each sample is the time from a message's first transmission to the acknowledgement
//! that first covers it, taken only from messages that were never retransmitted
//! (Karn's algorithm, RFC 6298 §3: an acknowledgement of a retransmitted message cannot
//! say which copy it answers). The retransmission timeout is
//! `SRTT + max(G, 4·RTTVAR)`, bounded below by the configured first interval
//! ([`Backoff::base`](crate::Backoff)) and above by its cap: measured round trips only
//! ever *lengthen* the timer of a busy destination, so it is not flooded with
//! duplicates of messages it is still processing, and never make it shorter than the
//! operator asked for.

use core::time::Duration;

/// Clock granularity `G` (RFC 6298 §2): the machines' time is in milliseconds.
const GRANULARITY: Duration = Duration::from_millis(1);

/// Smoothed round-trip time and its variation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RttEstimator {
    /// `(SRTT, RTTVAR)` once a sample was taken.
    state: Option<(Duration, Duration)>,
}

impl RttEstimator {
    /// No sample yet.
    pub const fn new() -> Self {
        Self { state: None }
    }

    /// Takes one round-trip sample (RFC 6298 §2.2 and §2.3, α = 1/8, β = 1/4).
    pub fn sample(&mut self, r: Duration) {
        self.state = Some(match self.state {
            None => (r, r / 2),
            Some((srtt, rttvar)) => {
                let delta = srtt.abs_diff(r);
                let rttvar = rttvar.saturating_mul(3) / 4 + delta / 4;
                let srtt = srtt.saturating_mul(7) / 8 + r / 8;
                (srtt, rttvar)
            }
        });
    }

    /// The smoothed round-trip time, once measured.
    pub fn smoothed(&self) -> Option<Duration> {
        self.state.map(|(srtt, _)| srtt)
    }

    /// The retransmission timeout: `SRTT + max(G, 4·RTTVAR)` within `[floor, cap]`;
    /// `floor` before any sample (RFC 6298 §2.1 starts from a configured value).
    pub fn timeout(&self, floor: Duration, cap: Duration) -> Duration {
        let rto = match self.state {
            None => floor,
            Some((srtt, rttvar)) => srtt.saturating_add(GRANULARITY.max(rttvar.saturating_mul(4))),
        };
        rto.max(floor).min(cap.max(floor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn first_sample_sets_srtt_and_half_variation() {
        let mut e = RttEstimator::new();
        assert_eq!(
            e.timeout(MS(500), MS(60_000)),
            MS(500),
            "the floor before samples"
        );
        e.sample(MS(800));
        assert_eq!(e.smoothed(), Some(MS(800)));
        // 800 + 4·400
        assert_eq!(e.timeout(MS(500), MS(60_000)), MS(2400));
    }

    #[test]
    fn steady_samples_converge_and_the_floor_holds() {
        let mut e = RttEstimator::new();
        for _ in 0..200 {
            e.sample(MS(20));
        }
        assert_eq!(e.smoothed(), Some(MS(20)));
        // RTTVAR decays towards 0: the timer falls to the configured floor, not below.
        assert_eq!(e.timeout(MS(500), MS(60_000)), MS(500));
        assert_eq!(e.timeout(MS(5), MS(60_000)), MS(21));
    }

    #[test]
    fn a_slow_destination_lengthens_the_timer_up_to_the_cap() {
        let mut e = RttEstimator::new();
        for r in [100, 900, 1500, 3000, 2500] {
            e.sample(MS(r));
        }
        let t = e.timeout(MS(500), MS(60_000));
        assert!(t > MS(2500), "{t:?}");
        assert_eq!(e.timeout(MS(500), MS(1000)), MS(1000), "capped");
    }

    #[test]
    fn rfc6298_update_rules() {
        let mut e = RttEstimator::new();
        e.sample(MS(100));
        e.sample(MS(200));
        // RTTVAR = 3/4·50 + 1/4·|100−200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5
        assert_eq!(e.smoothed(), Some(Duration::from_micros(112_500)));
        assert_eq!(
            e.timeout(MS(1), MS(60_000)),
            Duration::from_micros(112_500 + 250_000)
        );
    }
}
