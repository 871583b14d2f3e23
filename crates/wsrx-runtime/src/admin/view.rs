//! What the admin API shows of the store, computed from its rows (sans-IO: records in,
//! views out). Identifiers, states, numbers and expiry times only: no payload of a
//! sequence and no token secret is ever opened here (token rows are read sealed).

use std::collections::BTreeSet;

use serde::Serialize;
use utoipa::ToSchema;
use wsrx_rm::StoreOp;
use wsrx_store::{Role, SequenceLog};

use crate::persist::decode_log;

/// One sequence as the store records it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SequenceView {
    /// The sequence identifier.
    pub id: String,
    /// `source` (this node sends on it) or `destination` (it receives).
    pub role: String,
    /// `active`, `closing`, `closed`, `terminating`, `failed`, or `undecodable`.
    pub state: String,
    /// The security context token it is bound to (its identifier), if any.
    pub token: Option<String>,
    /// Source: messages stored; destination: messages received.
    pub stored: u64,
    /// Source: messages acknowledged by the peer (destination: 0).
    pub acknowledged: u64,
    /// Destination: messages handed to the application (source: 0).
    pub delivered: u64,
    /// Messages waiting: source, stored and not acknowledged; destination, received and
    /// not yet delivered.
    pub backlog: u64,
    /// The numbers stored or received, as ranges (`1-5,7`; `none`).
    pub ranges: String,
}

/// The filters of a sequence listing.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this role (`source`, `destination`).
    pub role: Option<String>,
    /// Only this state.
    pub state: Option<String>,
    /// Only sequences bound to this token.
    pub token: Option<String>,
}

impl Filter {
    /// Whether `v` passes.
    pub fn admits(&self, v: &SequenceView) -> bool {
        self.role.as_ref().is_none_or(|r| *r == v.role)
            && self.state.as_ref().is_none_or(|s| *s == v.state)
            && self
                .token
                .as_ref()
                .is_none_or(|t| v.token.as_ref() == Some(t))
    }
}

/// The view of one sequence's log.
pub fn sequence(log: &SequenceLog) -> SequenceView {
    let mut state = "active".to_owned();
    let mut token = None;
    let mut stored = BTreeSet::new();
    let mut acked = BTreeSet::new();
    let mut delivered = BTreeSet::new();
    let ops = decode_log(&log.records);
    match &ops {
        Ok(ops) => {
            for op in ops {
                apply(
                    op,
                    &mut state,
                    &mut token,
                    &mut stored,
                    &mut acked,
                    &mut delivered,
                );
            }
        }
        Err(_) => state = "undecodable".to_owned(),
    }
    let (role, waiting) = match log.role {
        Role::Source => ("source", stored.difference(&acked).count()),
        Role::Destination => ("destination", stored.difference(&delivered).count()),
    };
    SequenceView {
        id: log.sequence.clone(),
        role: role.to_owned(),
        state,
        token,
        stored: stored.len() as u64,
        acknowledged: acked.len() as u64,
        delivered: delivered.len() as u64,
        backlog: waiting as u64,
        ranges: ranges(&stored),
    }
}

fn apply(
    op: &StoreOp,
    state: &mut String,
    token: &mut Option<String>,
    stored: &mut BTreeSet<u64>,
    acked: &mut BTreeSet<u64>,
    delivered: &mut BTreeSet<u64>,
) {
    match op {
        StoreOp::SourceCreated(r) => {
            *token = r.binding.as_ref().map(|b| b.as_str().to_owned());
        }
        StoreOp::DestinationCreated(r) => {
            *token = r.binding.as_ref().map(|b| b.as_str().to_owned());
        }
        StoreOp::OutboundStored { number, .. } => {
            stored.insert(*number);
        }
        StoreOp::OutboundAcked { ranges, .. } => {
            for r in ranges {
                let hit: Vec<u64> = stored.range(r.lower..=r.upper).copied().collect();
                acked.extend(hit);
            }
        }
        StoreOp::SourceStateChanged { state: s, .. } => {
            *state = format!("{s:?}").to_lowercase();
        }
        StoreOp::SourceFailed { .. } => *state = "failed".to_owned(),
        StoreOp::InboundRecorded {
            number,
            delivered: now,
            ..
        } => {
            stored.insert(*number);
            if *now {
                delivered.insert(*number);
            }
        }
        StoreOp::DeliveredThrough { number, .. } => {
            let hit: Vec<u64> = stored.range(..=*number).copied().collect();
            delivered.extend(hit);
        }
        StoreOp::DestinationClosed { .. } => *state = "closed".to_owned(),
        StoreOp::SourceTerminated { .. } | StoreOp::DestinationTerminated { .. } => {
            *state = "terminated".to_owned();
        }
        _ => {}
    }
}

/// A sequence's timeline: one line per store record, in commit order (the records carry
/// no clock, so the order is the timeline), or why the log could not be read.
pub fn timeline(log: &SequenceLog) -> Vec<String> {
    let ops = match decode_log(&log.records) {
        Ok(ops) => ops,
        Err(e) => return vec![format!("undecodable log: {e}")],
    };
    ops.iter().map(event).collect()
}

fn numbers(ranges: &[wsrx_rm::msg::AckRange]) -> String {
    let spans: Vec<String> = ranges.iter().map(|r| span((r.lower, r.upper))).collect();
    spans.join(",")
}

fn event(op: &StoreOp) -> String {
    let bound = |b: Option<&str>| b.map_or_else(String::new, |t| format!(", bound to {t}"));
    match op {
        StoreOp::SourceCreated(r) => format!(
            "created (source{})",
            bound(r.binding.as_ref().map(|b| b.as_str()))
        ),
        StoreOp::DestinationCreated(r) => format!(
            "created (destination{})",
            bound(r.binding.as_ref().map(|b| b.as_str()))
        ),
        StoreOp::OutboundStored { number, last, .. } => {
            format!(
                "message {number} stored{}",
                if *last { " (last)" } else { "" }
            )
        }
        StoreOp::OutboundAcked { ranges, .. } => format!("acknowledged {}", numbers(ranges)),
        StoreOp::SourceStateChanged {
            state, last_number, ..
        } => match last_number {
            Some(n) => format!("{} (last message {n})", format!("{state:?}").to_lowercase()),
            None => format!("{state:?}").to_lowercase(),
        },
        StoreOp::SourceTerminated { .. } | StoreOp::DestinationTerminated { .. } => {
            "terminated".to_owned()
        }
        StoreOp::SourceFailed {
            reason,
            undelivered,
            ..
        } => format!(
            "failed ({reason:?}); not acknowledged: {}",
            numbers(undelivered)
        ),
        StoreOp::OutboundResent {
            number,
            on,
            new_number,
            ..
        } => format!("message {number} resent as {}:{new_number}", on.as_str()),
        StoreOp::InboundRecorded {
            number, delivered, ..
        } => format!(
            "message {number} received{}",
            if *delivered {
                " and delivered"
            } else {
                ", held"
            }
        ),
        StoreOp::DeliveredThrough { number, .. } => format!("delivered through {number}"),
        StoreOp::Discarded { numbers, .. } => format!("discarded {numbers:?}"),
        StoreOp::DestinationClosed { last_number, .. } => match last_number {
            Some(n) => format!("closed (last message {n})"),
            None => "closed".to_owned(),
        },
        other => format!("{other:?}"),
    }
}

/// `1-3,5` (`none` when empty).
pub fn ranges(numbers: &BTreeSet<u64>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(u64, u64)> = None;
    for &n in numbers {
        run = match run {
            Some((lo, hi)) if hi.checked_add(1) == Some(n) => Some((lo, n)),
            Some(r) => {
                out.push(span(r));
                Some((n, n))
            }
            None => Some((n, n)),
        };
    }
    if let Some(r) = run {
        out.push(span(r));
    }
    if out.is_empty() {
        "none".to_owned()
    } else {
        out.join(",")
    }
}

fn span((lo, hi): (u64, u64)) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    }
}

/// One page of `items`: `limit` from `offset`, and how many there are in all.
pub fn page<T: Clone>(items: &[T], offset: usize, limit: usize) -> (usize, Vec<T>) {
    let total = items.len();
    let page = items.iter().skip(offset).take(limit).cloned().collect();
    (total, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_join_runs() {
        let set = |v: &[u64]| v.iter().copied().collect::<BTreeSet<u64>>();
        assert_eq!(ranges(&set(&[])), "none");
        assert_eq!(ranges(&set(&[1, 2, 3, 5, 7, 8])), "1-3,5,7-8");
        assert_eq!(
            ranges(&set(&[u64::MAX - 1, u64::MAX])),
            format!("{}-{}", u64::MAX - 1, u64::MAX)
        );
    }

    #[test]
    fn pages_skip_and_count() {
        let items: Vec<u32> = (0..10).collect();
        assert_eq!(page(&items, 8, 5), (10, vec![8, 9]));
        assert_eq!(page(&items, 20, 5), (10, vec![]));
        assert_eq!(page(&items, 0, 3), (10, vec![0, 1, 2]));
    }
}
