//! Rebuilding a Destination from its durable records after a restart: held messages
//! are held again, nothing is redelivered.
//!
//! Inactivity (WS-RM 1.1 §2.3: a Destination may end a sequence it heard nothing on
//! for a while) resumes from the time the last message of each sequence was accepted,
//! as recorded, not from the restart: a sequence idle for 500 s of a 600 s timeout
//! before a restart ends 100 s after it. To that time each sequence adds a jitter drawn
//! from the injected random source, up to a tenth of the timeout, so that sequences
//! that went idle together (or whose records predate the recorded time and so resume
//! from the restart itself) do not all end in the same instant.

use super::Destination;
use super::state::DestinationState;
use crate::config::DestinationConfig;
use crate::error::Error;
use crate::msg::EndpointRef;
use crate::persist::StoreOp;
use crate::ranges::{Insert, RangeSet};
use crate::source::RandomSource;
use crate::time::Timestamp;

/// The largest jitter added to a resumed inactivity timer, in thousandths of the
/// inactivity timeout.
pub(crate) const RESUME_JITTER_PERMILLE: u64 = 100;

impl Destination {
    /// Rebuilds a Destination from durable records (all Destination ops, in emission
    /// order). Held messages are held again; nothing is redelivered.
    pub fn restore<'a>(
        now: Timestamp,
        config: DestinationConfig,
        local: EndpointRef,
        records: impl IntoIterator<Item = &'a StoreOp>,
        random: RandomSource,
    ) -> Result<Self, Error> {
        let mut d = Self::new(config, local, random);
        let mut activity: std::collections::HashMap<crate::msg::SequenceId, Timestamp> =
            std::collections::HashMap::new();
        for op in records {
            match op {
                StoreOp::DestinationCreated(r) => {
                    let seq = d.blank(now, r);
                    d.sequences.insert(r.id.clone(), seq);
                }
                StoreOp::InboundRecorded {
                    id,
                    number,
                    payload,
                    delivered,
                    last,
                    at,
                } => {
                    if let Some(at) = at {
                        let seen = activity.entry(id.clone()).or_insert(*at);
                        *seen = (*seen).max(*at);
                    }
                    let s = d
                        .sequences
                        .get_mut(id)
                        .ok_or(Error::BadRecords("message before creation"))?;
                    if s.received.insert(*number) == Insert::TooFragmented {
                        let mut wider = RangeSet::new(s.received.range_count() + 1);
                        for r in s.received.ranges() {
                            wider.insert_range(*r);
                        }
                        wider.insert(*number);
                        s.received = wider;
                    }
                    if !delivered {
                        s.held.insert(*number, *payload);
                    }
                    if *last {
                        s.last_number = Some(*number);
                    }
                }
                StoreOp::DeliveredThrough { id, number } => {
                    let s = d
                        .sequences
                        .get_mut(id)
                        .ok_or(Error::BadRecords("delivery before creation"))?;
                    s.delivered_through = s.delivered_through.max(*number);
                    let keep = s.held.split_off(&number.saturating_add(1));
                    s.held = keep;
                }
                StoreOp::Discarded { id, numbers } => {
                    let s = d
                        .sequences
                        .get_mut(id)
                        .ok_or(Error::BadRecords("discard before creation"))?;
                    for n in numbers {
                        s.held.remove(n);
                    }
                }
                StoreOp::DestinationClosed { id, last_number } => {
                    let s = d
                        .sequences
                        .get_mut(id)
                        .ok_or(Error::BadRecords("close before creation"))?;
                    s.state = DestinationState::Closed;
                    if last_number.is_some() {
                        s.last_number = *last_number;
                    }
                }
                StoreOp::DestinationTerminated { id } => {
                    d.sequences.remove(id);
                }
                _ => {}
            }
        }
        d.resume_inactivity(now, &activity);
        Ok(d)
    }

    /// Sets each restored sequence's last activity: its recorded time (never later than
    /// `now`), or `now` when none is recorded, plus a jitter of up to
    /// [`RESUME_JITTER_PERMILLE`] of the inactivity timeout.
    fn resume_inactivity(
        &mut self,
        now: Timestamp,
        activity: &std::collections::HashMap<crate::msg::SequenceId, Timestamp>,
    ) {
        let timeout = u64::try_from(self.config.inactivity_timeout.as_millis()).unwrap_or(u64::MAX);
        let spread = timeout / 1000 * RESUME_JITTER_PERMILLE
            + timeout % 1000 * RESUME_JITTER_PERMILLE / 1000;
        // Deterministic order (the random source is consumed once per sequence).
        let mut ids: Vec<_> = self.sequences.keys().cloned().collect();
        ids.sort();
        for id in ids {
            let jitter = match spread {
                0 => 0,
                n => (self.random)() % (n + 1),
            };
            let base = activity.get(&id).map_or(now, |at| (*at).min(now));
            if let Some(s) = self.sequences.get_mut(&id) {
                s.last_activity = Timestamp(base.0.saturating_add(jitter));
            }
        }
    }
}
