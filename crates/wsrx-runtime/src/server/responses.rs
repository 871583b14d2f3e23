//! The responses the server keeps for requests of sequences without an accepted offer
//! (they travel on the HTTP response of the request, and again on the response of
//! every re-sent copy of it, WS-RM 1.1 §2.1: a duplicate is acknowledged, never
//! delivered again, so the handler is not asked twice).
//!
//! Such a response has no acknowledgement of its own: the server cannot learn that the
//! client has it. It is kept until its sequence terminates, and per sequence only the
//! responses to the [`Responses::KEEP`] highest-numbered requests answered: a client
//! that resends a request after that many later requests of its sequence were answered
//! gets the acknowledgement without the response. Memory is then flat in the number of
//! requests, bounded by the number of open sequences (issue 19).

use std::collections::{BTreeMap, HashMap};

use wsrx_rm::SequenceId;

use super::Reply;

/// Kept responses, by sequence and request number.
#[derive(Debug, Default)]
pub(super) struct Responses {
    by_sequence: HashMap<SequenceId, BTreeMap<u64, Reply>>,
}

impl Responses {
    /// The responses kept per sequence (the most recent requests' by number). A client
    /// with more requests than this outstanding on one sequence may lose a response.
    pub(super) const KEEP: usize = 256;

    /// Keeps the response to request `number` of `id`, forgetting the lowest-numbered
    /// one of the sequence past [`Responses::KEEP`].
    pub(super) fn insert(&mut self, id: &SequenceId, number: u64, reply: Reply) {
        let kept = self.by_sequence.entry(id.clone()).or_default();
        kept.insert(number, reply);
        while kept.len() > Self::KEEP {
            if let Some((dropped, _)) = kept.pop_first() {
                tracing::debug!(sequence = %id, request = dropped, "response no longer kept");
            }
        }
    }

    /// The response to request `number` of `id`, if kept.
    pub(super) fn get(&self, id: &SequenceId, number: u64) -> Option<&Reply> {
        self.by_sequence.get(id)?.get(&number)
    }

    /// Forgets the responses of a sequence that ended.
    pub(super) fn forget(&mut self, id: &SequenceId) {
        self.by_sequence.remove(id);
    }

    /// Responses kept in all.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_sequence.values().map(BTreeMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(n: u64) -> Reply {
        Reply {
            action: "urn:echo".into(),
            payload: format!("<r>{n}</r>"),
        }
    }

    #[test]
    fn the_most_recent_responses_of_each_sequence_are_kept() {
        let (a, b) = (SequenceId::new("a"), SequenceId::new("b"));
        let mut r = Responses::default();
        let total = Responses::KEEP as u64 * 4;
        for n in 1..=total {
            r.insert(&a, n, reply(n));
        }
        r.insert(&b, 1, reply(1));
        assert_eq!(r.len(), Responses::KEEP + 1);
        assert!(r.get(&a, 1).is_none());
        let lowest_kept = total - Responses::KEEP as u64 + 1;
        assert!(r.get(&a, lowest_kept - 1).is_none());
        assert_eq!(
            r.get(&a, lowest_kept).map(|x| x.payload.as_str()),
            Some(format!("<r>{lowest_kept}</r>").as_str())
        );
        assert!(r.get(&a, total).is_some());
        // Another sequence's responses are not pushed out.
        assert!(r.get(&b, 1).is_some());
        r.forget(&a);
        assert_eq!(r.len(), 1);
        assert!(r.get(&a, total).is_none());
    }

    #[test]
    fn answers_out_of_order_keep_the_highest_numbers() {
        let a = SequenceId::new("a");
        let mut r = Responses::default();
        // A pipelined client's requests may be answered out of order.
        let n = Responses::KEEP as u64 + 10;
        for i in (1..=n).rev() {
            r.insert(&a, i, reply(i));
        }
        assert_eq!(r.len(), Responses::KEEP);
        assert!(r.get(&a, n).is_some());
        assert!(r.get(&a, 10).is_none());
        assert!(r.get(&a, 11).is_some());
    }
}
