//! Acknowledgement-only changes held back for the next commit (issue 19, item 1).
//!
//! When a Source learns that messages were acknowledged it records `OutboundAcked` and
//! drops their payloads. None of that has to be durable before anything is sent or
//! handed over: a Source restored without it still holds those messages, resends them,
//! and the destination acknowledges the duplicates again without delivering them twice
//! (WS-RM 1.1 §3.5: "the RM Destination MUST NOT deliver a duplicate"; the
//! acknowledgement of a received number is always repeated). So a batch that holds
//! nothing but such changes is not committed on its own (an fsync for every
//! acknowledgement): it is kept here and written first in the next batch that must be
//! committed, or on its own once it is [`Deferred::MAX_AGE`] old or holds
//! [`Deferred::MAX_RECORDS`] records, so an idle client still writes it soon and memory
//! stays bounded.

use std::time::Duration;

use tokio::time::Instant;
use wsrx_store::Batch;

/// Acknowledgement-only changes waiting for the next commit.
#[derive(Default)]
pub struct Deferred {
    batch: Batch,
    since: Option<Instant>,
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred")
            .field("records", &self.batch.records.len())
            .field("since", &self.since)
            .finish_non_exhaustive()
    }
}

impl Deferred {
    /// The most records held back before they are committed on their own.
    pub const MAX_RECORDS: usize = 256;
    /// The longest they are held back.
    pub const MAX_AGE: Duration = Duration::from_millis(200);

    /// Whether `fresh` holds only what may wait: `acks` of its records are
    /// acknowledgement records (`OutboundAcked`), and besides records it only deletes
    /// payloads.
    pub fn may_wait(fresh: &Batch, acks: usize) -> bool {
        fresh.records.len() == acks
            && fresh.payloads.is_empty()
            && fresh.sequence_deletes.is_empty()
            && fresh.tokens.is_empty()
            && fresh.token_deletes.is_empty()
            && fresh.dead_letters.is_empty()
            && fresh.dead_letter_deletes.is_empty()
            && fresh.handoffs.is_empty()
            && fresh.audit.is_empty()
    }

    /// Keeps `fresh` (which [`Deferred::may_wait`]) for later; false when what is held
    /// is now too old or too large to wait any more (the caller then commits
    /// [`Deferred::take_with`] at once).
    pub fn hold(&mut self, fresh: Batch, now: Instant) -> bool {
        if !fresh.is_empty() {
            self.since.get_or_insert(now);
            self.batch.records.extend(fresh.records);
            self.batch.payload_deletes.extend(fresh.payload_deletes);
        }
        !self.overdue(now)
    }

    /// Whether what is held must be committed now.
    pub fn overdue(&self, now: Instant) -> bool {
        self.since.is_some_and(|s| {
            self.batch.records.len() >= Self::MAX_RECORDS
                || now.saturating_duration_since(s) >= Self::MAX_AGE
        })
    }

    /// When what is held must be committed at the latest (a driver's timer).
    pub fn due(&self) -> Option<Instant> {
        self.since.map(|s| s + Self::MAX_AGE)
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.since.is_none()
    }

    /// What is held, then `fresh`, as one batch (nothing is held afterwards). Records of
    /// a sequence `fresh` forgets are dropped from what was held: the store applies a
    /// batch's deletions before its records, so they would otherwise outlive it.
    pub fn take_with(&mut self, fresh: Batch) -> Batch {
        self.since = None;
        let mut held = std::mem::take(&mut self.batch);
        if held.is_empty() {
            return fresh;
        }
        held.records
            .retain(|(s, _, _)| !fresh.sequence_deletes.contains(s));
        let Batch {
            records,
            payloads,
            payload_deletes,
            sequence_deletes,
            tokens,
            token_deletes,
            dead_letters,
            dead_letter_deletes,
            handoffs,
            audit,
        } = fresh;
        held.records.extend(records);
        held.payloads.extend(payloads);
        held.payload_deletes.extend(payload_deletes);
        held.sequence_deletes.extend(sequence_deletes);
        held.tokens.extend(tokens);
        held.token_deletes.extend(token_deletes);
        held.dead_letters.extend(dead_letters);
        held.dead_letter_deletes.extend(dead_letter_deletes);
        held.handoffs.extend(handoffs);
        held.audit.extend(audit);
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsrx_store::Role;

    fn ack(seq: &str, n: u8) -> Batch {
        Batch {
            records: vec![(seq.to_owned(), Role::Source, vec![n])],
            payload_deletes: vec![u64::from(n)],
            ..Batch::default()
        }
    }

    #[test]
    fn only_acknowledgements_and_payload_deletions_may_wait() {
        assert!(Deferred::may_wait(&ack("s", 1), 1));
        // A record that is not an acknowledgement.
        assert!(!Deferred::may_wait(&ack("s", 1), 0));
        let mut stored = ack("s", 1);
        stored.payloads.push(wsrx_store::PayloadPut {
            handle: 9,
            sequence: "s".into(),
            number: 2,
            plaintext: zeroize::Zeroizing::new(b"a\0b".to_vec()),
        });
        assert!(!Deferred::may_wait(&stored, 1));
        let mut ended = ack("s", 1);
        ended.sequence_deletes.push("s".into());
        assert!(!Deferred::may_wait(&ended, 1));
    }

    #[test]
    fn held_changes_go_first_in_the_next_batch() {
        let now = Instant::now();
        let mut d = Deferred::default();
        assert!(d.is_empty() && d.due().is_none());
        assert!(d.hold(ack("s", 1), now));
        assert!(d.hold(ack("s", 2), now));
        assert_eq!(d.due(), Some(now + Deferred::MAX_AGE));
        let merged = d.take_with(ack("t", 3));
        let order: Vec<(&str, u8)> = merged
            .records
            .iter()
            .map(|(s, _, r)| (s.as_str(), r[0]))
            .collect();
        assert_eq!(order, [("s", 1), ("s", 2), ("t", 3)]);
        assert_eq!(merged.payload_deletes, [1, 2, 3]);
        assert!(d.is_empty());
        // Nothing held: the fresh batch passes through as it is.
        assert_eq!(d.take_with(ack("u", 4)).records.len(), 1);
    }

    #[test]
    fn a_forgotten_sequence_takes_its_held_records_with_it() {
        let now = Instant::now();
        let mut d = Deferred::default();
        d.hold(ack("s", 1), now);
        d.hold(ack("t", 2), now);
        let mut end = Batch::default();
        end.sequence_deletes.push("s".into());
        let merged = d.take_with(end);
        let seqs: Vec<&str> = merged.records.iter().map(|(s, _, _)| s.as_str()).collect();
        assert_eq!(seqs, ["t"]);
        assert_eq!(merged.sequence_deletes, ["s"]);
    }

    #[test]
    fn too_many_or_too_old_must_be_committed() {
        let now = Instant::now();
        let mut d = Deferred::default();
        for i in 0..Deferred::MAX_RECORDS - 1 {
            assert!(d.hold(ack("s", (i % 200) as u8), now), "{i}");
        }
        assert!(!d.hold(ack("s", 0), now));
        let mut old = Deferred::default();
        assert!(old.hold(ack("s", 1), now));
        assert!(!old.overdue(now + Deferred::MAX_AGE / 2));
        assert!(old.overdue(now + Deferred::MAX_AGE));
        // An empty input adds nothing and starts no clock.
        let mut idle = Deferred::default();
        assert!(idle.hold(Batch::default(), now));
        assert!(idle.is_empty());
    }
}
