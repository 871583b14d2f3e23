//! Rebuilding a Destination from its durable records after a restart: held messages
//! are held again, nothing is redelivered.

use super::Destination;
use super::state::DestinationState;
use crate::config::DestinationConfig;
use crate::error::Error;
use crate::msg::EndpointRef;
use crate::persist::StoreOp;
use crate::ranges::{Insert, RangeSet};
use crate::source::RandomSource;
use crate::time::Timestamp;

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
                } => {
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
        Ok(d)
    }
}
