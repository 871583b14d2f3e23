//! A coalesced set of message numbers, as carried by `wsrm:AcknowledgementRange`s.
//!
//! WS-RM 1.1 §3.9: ranges never overlap, and an acknowledgement states every message
//! received. The set keeps sorted, disjoint, non-adjacent inclusive ranges, so its ranges
//! are exactly the ones to put on the wire.
//!
//! **Bound.** The number of ranges is capped: at most `max_ranges` ranges *besides* the
//! one starting at 1 (so `max_ranges + 1` in all). An insert that would need one range
//! more is *refused* ([`RangeSet::insert`] returns [`Insert::TooFragmented`]):
//! the caller then drops the message unrecorded and unacknowledged, and the source's
//! retransmission fills the gaps later. Refusing is safe; the alternatives are not
//! (forgetting a range would un-acknowledge messages and break the cumulative invariant,
//! and merging ranges would acknowledge unreceived messages). Inserts that extend or join
//! existing ranges are always accepted, and so is 1: the number just past the contiguous
//! prefix (the lowest one the source is missing, which it keeps retransmitting) is never
//! refused, so a bounded set can always make progress (a simulation found the deadlock
//! a plain `max_ranges` bound has with a full reorder buffer).

use crate::msg::AckRange;

/// Outcome of [`RangeSet::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// The number was added.
    Added,
    /// The number was already present.
    Duplicate,
    /// Adding it would exceed the range bound; nothing changed.
    TooFragmented,
}

/// Sorted, disjoint, non-adjacent inclusive ranges of `u64`, at most `max_ranges` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSet {
    ranges: Vec<AckRange>,
    max_ranges: usize,
}

impl RangeSet {
    /// An empty set holding at most `max_ranges` ranges (at least 1).
    pub fn new(max_ranges: usize) -> Self {
        Self {
            ranges: Vec::new(),
            max_ranges: max_ranges.max(1),
        }
    }

    /// Whether no number is present.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The number of ranges.
    pub fn range_count(&self) -> usize {
        self.ranges.len()
    }

    /// The ranges, ascending.
    pub fn ranges(&self) -> &[AckRange] {
        &self.ranges
    }

    /// The highest number present.
    pub fn max(&self) -> Option<u64> {
        self.ranges.last().map(|r| r.upper)
    }

    /// The highest `n` such that `1 ..= n` are all present (0 if 1 is missing).
    pub fn contiguous_from_one(&self) -> u64 {
        match self.ranges.first() {
            Some(r) if r.lower == 1 => r.upper,
            _ => 0,
        }
    }

    /// Iterates over every number, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.ranges.iter().flat_map(|r| r.lower..=r.upper)
    }

    /// Heap bytes held (for memory accounting).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.ranges.capacity() * size_of::<AckRange>()
    }

    /// Whether `n` is present.
    pub fn contains(&self, n: u64) -> bool {
        // Fast path: the common case is a single range from 1.
        if let [only] = self.ranges.as_slice() {
            return only.lower <= n && n <= only.upper;
        }
        let idx = self.ranges.partition_point(|r| r.upper < n);
        self.ranges.get(idx).is_some_and(|r| r.lower <= n)
    }

    /// Whether every number of `other` is present in `self`.
    pub fn covers(&self, other: &Self) -> bool {
        other.ranges.iter().all(|r| self.covers_range(*r))
    }

    /// Whether every number in `r` is present.
    pub fn covers_range(&self, r: AckRange) -> bool {
        let idx = self.ranges.partition_point(|x| x.upper < r.lower);
        self.ranges
            .get(idx)
            .is_some_and(|x| x.lower <= r.lower && r.upper <= x.upper)
    }

    /// Ranges counted against the bound: all but one starting at 1.
    fn counted_ranges(&self) -> usize {
        match self.ranges.first() {
            Some(r) if r.lower == 1 => self.ranges.len() - 1,
            _ => self.ranges.len(),
        }
    }

    /// Adds `n`, subject to the range bound.
    pub fn insert(&mut self, n: u64) -> Insert {
        // Fast path: extend the last range (in-order arrival).
        if let Some(last) = self.ranges.last_mut() {
            if n == last.upper.wrapping_add(1) && n != 0 {
                last.upper = n;
                return Insert::Added;
            }
            if last.lower <= n && n <= last.upper {
                return Insert::Duplicate;
            }
        }
        let idx = self.ranges.partition_point(|r| r.upper < n);
        let joins_next = self
            .ranges
            .get(idx)
            .map(|r| (r.lower <= n, n.checked_add(1) == Some(r.lower)));
        if let Some((true, _)) = joins_next {
            return Insert::Duplicate;
        }
        let joins_prev = idx
            .checked_sub(1)
            .and_then(|p| self.ranges.get(p))
            .is_some_and(|r| r.upper.checked_add(1) == Some(n));
        let joins_next = matches!(joins_next, Some((_, true)));
        match (joins_prev, joins_next) {
            (true, true) => {
                let upper = self.ranges.get(idx).map_or(n, |r| r.upper);
                if let Some(prev) = idx.checked_sub(1).and_then(|p| self.ranges.get_mut(p)) {
                    prev.upper = upper;
                }
                self.ranges.remove(idx);
            }
            (true, false) => {
                if let Some(prev) = idx.checked_sub(1).and_then(|p| self.ranges.get_mut(p)) {
                    prev.upper = n;
                }
            }
            (false, true) => {
                if let Some(next) = self.ranges.get_mut(idx) {
                    next.lower = n;
                }
            }
            (false, false) => {
                if n != 1 && self.counted_ranges() >= self.max_ranges {
                    return Insert::TooFragmented;
                }
                self.ranges.insert(idx, AckRange { lower: n, upper: n });
            }
        }
        Insert::Added
    }

    /// Adds every number of `r`, raising the bound if needed. For sets rebuilt from
    /// records or acknowledgements, where refusing would forget an acknowledged number.
    pub fn insert_range_growing(&mut self, r: AckRange) {
        if self.insert_range(r) == Insert::TooFragmented {
            self.max_ranges = self.ranges.len() + 1;
            let _ = self.insert_range(r);
        }
    }

    /// Adds every number of `r`; ranges beyond the bound are refused as a whole.
    pub fn insert_range(&mut self, r: AckRange) -> Insert {
        if r.lower > r.upper {
            return Insert::Duplicate;
        }
        if self.covers_range(r) {
            return Insert::Duplicate;
        }
        let mut merged = Vec::with_capacity(self.ranges.len() + 1);
        let mut cur = r;
        let mut placed = false;
        for x in &self.ranges {
            if x.upper.saturating_add(1) < cur.lower {
                merged.push(*x);
            } else if cur.upper.saturating_add(1) < x.lower {
                if !placed {
                    merged.push(cur);
                    placed = true;
                }
                merged.push(*x);
            } else {
                cur = AckRange {
                    lower: cur.lower.min(x.lower),
                    upper: cur.upper.max(x.upper),
                };
            }
        }
        if !placed {
            merged.push(cur);
        }
        merged.sort_unstable();
        let prefix = usize::from(merged.first().is_some_and(|r| r.lower == 1));
        if merged.len() - prefix > self.max_ranges {
            return Insert::TooFragmented;
        }
        self.ranges = merged;
        Insert::Added
    }
}

#[cfg(test)]
mod tests;
