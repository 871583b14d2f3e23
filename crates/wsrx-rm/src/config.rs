//! Configuration of the Source and the Destination. Every limit that bounds memory is
//! here: the in-flight window, the reorder buffer, the open-sequence limit, the number of
//! acknowledgement ranges.

use core::time::Duration;

use crate::msg::{IncompleteSequenceBehavior, MAX_MESSAGE_NUMBER};
use crate::version::RmVersion;

/// Retransmission timing: exponential backoff with jitter.
///
/// The `k`-th retransmission (k = 0 for the first transmission's timer) waits
/// `min(base × factor^k, max)`, plus a jitter drawn uniformly from
/// `[0, interval × jitter_permille / 1000]` from the injected random source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first retransmission interval.
    pub base: Duration,
    /// The cap on the interval.
    pub max: Duration,
    /// The multiplier per attempt (2 = doubling; 1 = constant).
    pub factor: u32,
    /// Jitter as a fraction of the interval, in thousandths (0 = none).
    pub jitter_permille: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
            factor: 2,
            jitter_permille: 250,
        }
    }
}

impl Backoff {
    /// The interval before attempt `attempt` (0-based), jitter excluded.
    pub fn interval(&self, attempt: u32) -> Duration {
        let mut d = self.base;
        for _ in 0..attempt.min(64) {
            d = d.saturating_mul(self.factor.max(1));
            if d >= self.max {
                return self.max;
            }
        }
        d.min(self.max)
    }

    /// The interval before attempt `attempt`, with jitter from `random`.
    pub fn jittered(&self, attempt: u32, random: u64) -> Duration {
        let d = self.interval(attempt);
        let span = d
            .as_millis()
            .saturating_mul(u128::from(self.jitter_permille))
            / 1000;
        let span = u64::try_from(span).unwrap_or(u64::MAX);
        if span == 0 {
            return d;
        }
        d.saturating_add(Duration::from_millis(random % span.saturating_add(1)))
    }
}

/// When the Source asks for an acknowledgement (WS-RM 1.1 §3.8 AckRequested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckRequestPolicy {
    /// On every application message.
    EveryMessage,
    /// On every `n`-th message, on the message that fills the window, and on every
    /// retransmission.
    Every(u32),
    /// Only on the message that fills the window and on retransmissions (default).
    WhenWindowFull,
}

/// Configuration of an RM Source (one outbound sequence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    /// The WS-RM version.
    pub version: RmVersion,
    /// Retransmission timing, for application and protocol messages alike.
    pub retransmission: Backoff,
    /// Unacknowledged messages allowed at once; `send` pushes back beyond it.
    pub max_in_flight: usize,
    /// Let `max_in_flight` bound the *span* of numbers too, from the lowest
    /// unacknowledged message to the next: messages past a gap are acknowledged but
    /// held by a destination delivering in order, and must not outgrow its reorder
    /// buffer (or it drops all but the next one in order, and each dropped one waits out
    /// its back-off). Off by default; the runtime's client turns it on.
    pub bound_span: bool,
    /// When to attach AckRequested.
    pub ack_request: AckRequestPolicy,
    /// No message from the destination for this long ends the sequence
    /// (keep-alive AckRequested are sent at half of it, as WCF does).
    pub inactivity_timeout: Duration,
    /// The highest message number this source will use (≤ 2^63−1).
    pub max_message_number: u64,
    /// Bound on the number of acknowledged ranges remembered.
    pub max_ack_ranges: usize,
    /// Requested sequence lifetime (`Expires` in CreateSequence); `None` = no limit.
    pub expires: Option<Duration>,
    /// The delivery assurance the application needs of this sequence (it bounds
    /// [`SourceConfig::on_undelivered`]). Default ExactlyOnce.
    pub assurance: DeliveryAssurance,
    /// What happens to messages a sequence ends without delivering
    /// ([`crate::SourceEvent::Undelivered`]): held for an operator (default), or resent on
    /// a new sequence where `assurance` allows.
    pub on_undelivered: UndeliveredPolicy,
    /// How a bound sequence's CreateSequence names its token: the body STR and, on 1.1,
    /// the `UsesSequenceSTR` header (the default), or less for peers that cannot take it
    /// (chosen by the runtime's peer profiles, `docs/sequence-binding.md`).
    pub sequence_str: SequenceStr,
}

/// How the CreateSequence of a bound sequence names the token it is bound to.
///
/// WS-RM 1.1 §3.4 lets a CreateSequence carry extension elements; WS-RM 1.2 §5 and WS-RM
/// Policy 1.1 §2.5 (`wsrmp:SequenceSTR`) put a `wsse:SecurityTokenReference` there and
/// mark it with the `wsrm:UsesSequenceSTR` header (mustUnderstand), so that a destination
/// unable to bind refuses instead of ignoring the STR. The sequence is bound either way:
/// this only decides what is written (the Source still requires every answer to be
/// proven by its token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SequenceStr {
    /// The STR in the body and, on WS-RM 1.1, `UsesSequenceSTR` with mustUnderstand
    /// (WS-RM 1.2 §5; what WCF and Metro send and require). The default.
    #[default]
    BodyAndHeader,
    /// The STR in the body, no `UsesSequenceSTR` header: for destinations that do not
    /// understand the header but ignore the body extension (Apache CXF 4.2, which faults
    /// on `UsesSequenceSTR` as a mustUnderstand header it does not know).
    BodyOnly,
    /// Neither: for destinations that drop unknown CreateSequence children (stock
    /// gSOAP 2.8, where a signed body then fails its digest). The destination binds the
    /// sequence to the token that signed the CreateSequence, if it does so at all.
    Omitted,
}

impl Default for SourceConfig {
    fn default() -> Self {
        Self {
            version: RmVersion::V1_1,
            retransmission: Backoff::default(),
            max_in_flight: 32,
            bound_span: false,
            ack_request: AckRequestPolicy::WhenWindowFull,
            inactivity_timeout: Duration::from_secs(600),
            max_message_number: MAX_MESSAGE_NUMBER,
            max_ack_ranges: 64,
            expires: None,
            assurance: DeliveryAssurance::ExactlyOnce,
            on_undelivered: UndeliveredPolicy::Hold,
            sequence_str: SequenceStr::BodyAndHeader,
        }
    }
}

/// What to do with the undelivered messages of a sequence, as configured
/// ([`SourceConfig::on_undelivered`]) and allowed by the delivery assurance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UndeliveredPolicy {
    /// Keep them in the store, report them, and wait for an operator (`wsrx store show`
    /// lists them, `wsrx store resend` sends them on a new sequence). The default, and
    /// the only choice for ExactlyOnce and AtMostOnce: a message the destination got but
    /// could not acknowledge before it forgot the sequence would be delivered twice by
    /// a resend, so a person must decide.
    #[default]
    Hold,
    /// Resend them on a new sequence at once, without asking. Only where duplicates are
    /// allowed: with [`DeliveryAssurance::AtLeastOnce`]; for any other assurance
    /// it acts as [`UndeliveredPolicy::Hold`] (see [`UndeliveredPolicy::effective`]).
    Resend,
}

impl UndeliveredPolicy {
    /// The policy that applies under `assurance`: `Resend` only for AtLeastOnce (a resend
    /// on a new sequence may duplicate a message the destination received but did not
    /// acknowledge before the sequence ended); `Hold` otherwise.
    pub fn effective(self, assurance: DeliveryAssurance) -> Self {
        match (self, assurance) {
            (Self::Resend, DeliveryAssurance::AtLeastOnce) => Self::Resend,
            _ => Self::Hold,
        }
    }
}

/// The delivery assurance (WS-RM Policy 1.1 §2.5 `wsrmp:DeliveryAssurance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryAssurance {
    /// Each message at most once; loss allowed.
    AtMostOnce,
    /// Each message at least once; duplicates allowed.
    AtLeastOnce,
    /// Each message exactly once.
    ExactlyOnce,
}

/// When the Destination acknowledges (WS-RM 1.1 §3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckPolicy {
    /// A stand-alone acknowledgement after every accepted message.
    Immediate,
    /// After `count` messages or `interval` (WCF AcknowledgementInterval, 0.2 s), whichever
    /// comes first. A pending acknowledgement may be piggy-backed earlier on a message to
    /// AcksTo ([`crate::Destination::take_ack`]).
    Batched {
        /// Messages per acknowledgement.
        count: u32,
        /// The longest an acknowledgement waits.
        interval: Duration,
    },
}

/// Configuration of an RM Destination (all inbound sequences of an endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationConfig {
    /// The WS-RM version.
    pub version: RmVersion,
    /// Sequences open at once; CreateSequence beyond it is refused (ConnectionLimitReached).
    pub max_open_sequences: usize,
    /// Sequences bound to one identity (security context) open at once; its
    /// CreateSequence beyond it is refused (`IdentityQuotaReached`), others' are not.
    /// Unbound sequences are under `max_open_sequences` only.
    pub max_open_sequences_per_identity: usize,
    /// Messages the sequences bound to one identity keep for delivery at once (held for
    /// order plus delivered and not yet handed over, see `delivery_backlog`); a new
    /// message beyond it is refused with a Receiver fault naming
    /// `pending_deliveries_per_identity` (retry later), other identities' are not. The
    /// next message in order on a sequence is charged only what its identity has in the
    /// application (never its held messages: it is what releases them). `usize::MAX`
    /// (the default) = no bound, for runtimes that never report hand-overs.
    pub max_pending_per_identity: usize,
    /// The same over every sequence (`pending_deliveries_total`). Default `usize::MAX`.
    pub max_pending: usize,
    /// The delivery assurance.
    pub delivery: DeliveryAssurance,
    /// Deliver in order (`wsrmp:InOrder`).
    pub in_order: bool,
    /// What to do with incomplete sequences (sent in CreateSequenceResponse).
    pub incomplete: IncompleteSequenceBehavior,
    /// When to acknowledge.
    pub ack_policy: AckPolicy,
    /// Messages held back per sequence awaiting a gap to fill; beyond it a message is
    /// dropped unacknowledged (the source resends it). Its free space is sent as
    /// `netrm:BufferRemaining`.
    pub reorder_buffer: usize,
    /// Messages per sequence delivered to the application and not yet reported handed
    /// over ([`crate::Destination::handed_over`]); while a sequence has this many, a new
    /// message on it is dropped unacknowledged, as when the reorder buffer is full (the
    /// source resends it), so a slow application slows the acknowledgements down
    /// instead of the runtime's memory growing. With the reorder buffer, it bounds the
    /// messages one sequence keeps in memory. `usize::MAX` (the default) = no bound, for
    /// runtimes that never report hand-overs.
    pub delivery_backlog: usize,
    /// No message on a sequence for this long terminates it.
    pub inactivity_timeout: Duration,
    /// The highest message number accepted (≤ 2^63−1); beyond it, MessageNumberRollover.
    pub max_message_number: u64,
    /// Bound on the ranges per sequence (see [`crate::ranges`]).
    pub max_ack_ranges: usize,
    /// Refuse CreateSequence without a Sequence-STR binding (the default: wsrx exists to
    /// bind sequences to a security context).
    pub require_binding: bool,
    /// A CreateSequence without an STR that was proven by a security context token binds
    /// the new sequence to *that* token (every later message must be proven by it, as
    /// with an STR), and `UsesSequenceSTR` need not agree with the body. Off by default
    /// (strict: `BindingRequired`); on only where a peer profile or the policy allows it
    /// (Apache CXF never sends the STR; `docs/sequence-binding.md`).
    pub bind_to_proof: bool,
    /// Longest lifetime granted; a CreateSequence asking for longer gets this.
    pub max_expires: Option<Duration>,
}

impl Default for DestinationConfig {
    fn default() -> Self {
        Self {
            version: RmVersion::V1_1,
            max_open_sequences: 128,
            max_open_sequences_per_identity: 32,
            max_pending_per_identity: usize::MAX,
            max_pending: usize::MAX,
            delivery: DeliveryAssurance::ExactlyOnce,
            in_order: true,
            incomplete: IncompleteSequenceBehavior::NoDiscard,
            ack_policy: AckPolicy::Batched {
                count: 8,
                interval: Duration::from_millis(200),
            },
            reorder_buffer: 32,
            delivery_backlog: usize::MAX,
            inactivity_timeout: Duration::from_secs(600),
            max_message_number: MAX_MESSAGE_NUMBER,
            max_ack_ranges: 32,
            require_binding: true,
            bind_to_proof: false,
            max_expires: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_the_cap_with_bounded_jitter() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
            factor: 2,
            jitter_permille: 500,
        };
        assert_eq!(b.interval(0), Duration::from_millis(100));
        assert_eq!(b.interval(3), Duration::from_millis(800));
        assert_eq!(b.interval(4), Duration::from_millis(1000));
        assert_eq!(b.interval(u32::MAX), Duration::from_millis(1000));
        for r in [0, 1, 49, 50, 51, u64::MAX] {
            let j = b.jittered(0, r);
            assert!(
                j >= Duration::from_millis(100) && j <= Duration::from_millis(150),
                "{j:?}"
            );
        }
    }
}
