//! Rebuilding a Source from its durable records after a restart (the [`StoreOp`]s it
//! emitted, replayed in order): a live sequence resumes, a failed one comes back as what
//! it holds ([`HeldSequence`]), a terminated one is gone.

use std::collections::BTreeMap;

use super::held::HeldSequence;
use super::state::SourceState;
use super::{Outbound, RandomSource, Recovered, Source};
use crate::config::SourceConfig;
use crate::error::Error;
use crate::events::UndeliveredReason;
use crate::msg::SequenceId;
use crate::persist::StoreOp;
use crate::time::Timestamp;

impl Source {
    /// Rebuilds a Source from its durable records (all ops of one sequence, in the order
    /// they were emitted). Returns `Ok(None)` when the records hold no live sequence:
    /// never created, terminated, or failed with messages undelivered; see
    /// [`Source::recover`] to tell the last apart. Unacknowledged messages are
    /// retransmitted at once.
    pub fn restore<'a>(
        now: Timestamp,
        config: SourceConfig,
        records: impl IntoIterator<Item = &'a StoreOp>,
        random: RandomSource,
    ) -> Result<Option<Self>, Error> {
        Ok(match Self::recover(now, config, records, random)? {
            Recovered::Live(s) => Some(*s),
            Recovered::Held(_) | Recovered::Gone => None,
        })
    }

    /// Rebuilds what the records of one sequence hold: a live Source, a failed sequence's
    /// held messages, or nothing.
    pub fn recover<'a>(
        now: Timestamp,
        config: SourceConfig,
        records: impl IntoIterator<Item = &'a StoreOp>,
        random: RandomSource,
    ) -> Result<Recovered, Error> {
        let mut me: Option<Self> = None;
        let mut failed: Option<(UndeliveredReason, Vec<crate::msg::AckRange>)> = None;
        let mut resent: BTreeMap<u64, (SequenceId, u64)> = BTreeMap::new();
        for op in records {
            match op {
                StoreOp::SourceCreated(r) => {
                    let mut config = config.clone();
                    config.version = r.version;
                    let mut s =
                        Self::blank(now, config, r.to.clone(), r.binding.clone(), Box::new(|| 0));
                    s.id = Some(r.id.clone());
                    s.expires_at = r.expires_at;
                    s.incomplete = r.incomplete;
                    s.state = SourceState::Active;
                    me = Some(s);
                    failed = None;
                    resent.clear();
                }
                StoreOp::OutboundStored {
                    number,
                    payload,
                    last,
                    ..
                } => {
                    let s = me
                        .as_mut()
                        .ok_or(Error::BadRecords("message before creation"))?;
                    s.in_flight.insert(
                        *number,
                        Outbound {
                            payload: *payload,
                            last: *last,
                            attempts: 0,
                            due: now,
                            sent: None,
                        },
                    );
                    s.next_number = s.next_number.max(number.saturating_add(1));
                    if *last {
                        s.last_number = Some(*number);
                    }
                }
                StoreOp::OutboundAcked { ranges, .. } => {
                    let s = me
                        .as_mut()
                        .ok_or(Error::BadRecords("ack before creation"))?;
                    for r in ranges {
                        s.acked.insert_range_growing(*r);
                        for n in r.lower..=r.upper.min(s.next_number) {
                            s.in_flight.remove(&n);
                        }
                    }
                }
                StoreOp::SourceStateChanged {
                    state, last_number, ..
                } => {
                    let s = me
                        .as_mut()
                        .ok_or(Error::BadRecords("state before creation"))?;
                    s.state = *state;
                    if last_number.is_some() {
                        s.last_number = *last_number;
                    }
                }
                StoreOp::SourceTerminated { .. } => me = None,
                StoreOp::SourceFailed {
                    reason,
                    undelivered,
                    ..
                } => {
                    if me.is_none() {
                        return Err(Error::BadRecords("failure before creation"));
                    }
                    failed = Some((*reason, undelivered.clone()));
                }
                StoreOp::OutboundResent {
                    number,
                    on,
                    new_number,
                    ..
                } => {
                    if failed.is_none() {
                        return Err(Error::BadRecords("resent before the sequence failed"));
                    }
                    resent.insert(*number, (on.clone(), *new_number));
                }
                _ => {}
            }
        }
        let Some(mut s) = me else {
            return Ok(Recovered::Gone);
        };
        if let Some((reason, undelivered)) = failed {
            let id = s.current_id();
            let held = s
                .in_flight
                .iter()
                .filter(|(n, _)| !resent.contains_key(n))
                .map(|(n, o)| (*n, o.payload))
                .collect();
            return Ok(Recovered::Held(HeldSequence {
                id,
                version: s.config.version,
                to: s.to.clone(),
                binding: s.binding.clone(),
                reason,
                undelivered,
                held,
                resent,
            }));
        }
        s.random = random;
        match s.state {
            SourceState::Closing => s.maybe_send_close(now),
            SourceState::Terminating => s.send_terminate(now),
            _ => {}
        }
        Ok(Recovered::Live(Box::new(s)))
    }
}
