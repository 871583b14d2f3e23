//! Rebuilding a Source from its durable records after a restart (the [`StoreOp`]s it
//! emitted, replayed in order).

use super::state::SourceState;
use super::{Outbound, RandomSource, Source};
use crate::config::SourceConfig;
use crate::error::Error;
use crate::persist::StoreOp;
use crate::time::Timestamp;

impl Source {
    /// Rebuilds a Source from its durable records (all ops of one sequence, in the order
    /// they were emitted). Returns `Ok(None)` when the records hold no live sequence (never
    /// created, or terminated): the application starts afresh. Unacknowledged messages
    /// are retransmitted at once.
    pub fn restore<'a>(
        now: Timestamp,
        config: SourceConfig,
        records: impl IntoIterator<Item = &'a StoreOp>,
        random: RandomSource,
    ) -> Result<Option<Self>, Error> {
        let mut me: Option<Self> = None;
        for op in records {
            match op {
                StoreOp::SourceCreated(r) => {
                    let mut config = config.clone();
                    config.version = r.version;
                    let mut s =
                        Self::blank(now, config, r.to.clone(), r.binding.clone(), Box::new(|| 0));
                    s.id = Some(r.id.clone());
                    s.expires_at = r.expires_at;
                    s.state = SourceState::Active;
                    me = Some(s);
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
                _ => {}
            }
        }
        let Some(mut s) = me else { return Ok(None) };
        s.random = random;
        match s.state {
            SourceState::Closing => s.maybe_send_close(now),
            SourceState::Terminating => s.send_terminate(now),
            _ => {}
        }
        Ok(Some(s))
    }
}
