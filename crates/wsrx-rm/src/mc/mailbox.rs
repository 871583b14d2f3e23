//! The holding side of WS-MakeConnection (WS-MC 1.1 §3.2): messages for MC anonymous
//! endpoints, held until a `MakeConnection` takes them.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use super::{McError, Selection};
use crate::msg::SequenceId;
use crate::time::Timestamp;

/// Limits of a [`Mailbox`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxConfig {
    /// Messages held for one MC anonymous address at most; one more is refused.
    pub per_address: usize,
    /// Messages held in all at most (the bound on memory whatever the peers do).
    pub total: usize,
    /// A message nobody took within this long is dropped ([`Mailbox::expire`]); the RM
    /// Source that produced it holds it and sends it again.
    pub max_age: Duration,
}

impl Default for MailboxConfig {
    fn default() -> Self {
        Self {
            per_address: 256,
            total: 4096,
            max_age: Duration::from_secs(600),
        }
    }
}

/// What [`Mailbox::hold`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldOutcome {
    /// Queued behind what the address already had.
    Held,
    /// A message with the same key was waiting (a retransmission): replaced in its place.
    Replaced,
    /// A limit was reached; nothing was held (the producer keeps the message).
    Full,
}

/// One message handed out by [`Mailbox::take`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken<T> {
    /// The message.
    pub item: T,
    /// Whether more messages wait for the same selection (the `MessagePending` header, §3.3).
    pub pending: bool,
}

#[derive(Debug)]
struct Held<T> {
    key: Option<String>,
    sequence: Option<SequenceId>,
    since: Timestamp,
    item: T,
}

/// Messages held per MC anonymous id, in the order they were held (`T` is whatever the
/// driver sends: typically the sealed envelope and its content type).
#[derive(Debug)]
pub struct Mailbox<T> {
    config: MailboxConfig,
    queues: BTreeMap<String, VecDeque<Held<T>>>,
    total: usize,
}

impl<T> Mailbox<T> {
    /// An empty mailbox.
    #[must_use]
    pub fn new(config: MailboxConfig) -> Self {
        Self {
            config,
            queues: BTreeMap::new(),
            total: 0,
        }
    }

    /// Messages held in all.
    #[must_use]
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether nothing is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Holds `item` for the MC anonymous id `address`. `key` identifies a message across
    /// retransmissions (e.g. its sequence and number): a waiting message with the same key
    /// is replaced where it stands, so a Source's retransmission never queues a duplicate.
    /// `sequence` lets a `MakeConnection` select by `wsrm:Identifier`.
    pub fn hold(
        &mut self,
        now: Timestamp,
        address: &str,
        key: Option<String>,
        sequence: Option<SequenceId>,
        item: T,
    ) -> HoldOutcome {
        let queue = self.queues.entry(address.to_owned()).or_default();
        if let Some(k) = &key
            && let Some(slot) = queue.iter_mut().find(|h| h.key.as_ref() == Some(k))
        {
            slot.item = item;
            slot.sequence = sequence;
            return HoldOutcome::Replaced;
        }
        if queue.len() >= self.config.per_address || self.total >= self.config.total {
            if queue.is_empty() {
                self.queues.remove(address);
            }
            return HoldOutcome::Full;
        }
        queue.push_back(Held {
            key,
            sequence,
            since: now,
            item,
        });
        self.total += 1;
        HoldOutcome::Held
    }

    /// The oldest message the selection picks, and whether more wait for it (§3.2, §3.3).
    /// `Ok(None)`: nothing waiting (the answer is HTTP 202).
    ///
    /// # Errors
    /// [`McError::MissingSelection`] when the selection names neither an address nor a
    /// sequence.
    pub fn take(&mut self, selection: &Selection) -> Result<Option<Taken<T>>, McError> {
        let matches = |addr: &str, h: &Held<T>| {
            selection.address.as_deref().is_none_or(|a| a == addr)
                && selection
                    .sequence
                    .as_ref()
                    .is_none_or(|s| h.sequence.as_ref() == Some(s))
        };
        if selection.address.is_none() && selection.sequence.is_none() {
            return Err(McError::MissingSelection);
        }
        // The oldest match over the addresses the selection allows.
        let mut best: Option<(String, usize, Timestamp)> = None;
        for (addr, queue) in &self.queues {
            if selection.address.as_deref().is_some_and(|a| a != addr) {
                continue;
            }
            if let Some((i, h)) = queue.iter().enumerate().find(|(_, h)| matches(addr, h))
                && best.as_ref().is_none_or(|b| h.since < b.2)
            {
                best = Some((addr.clone(), i, h.since));
            }
        }
        let Some((addr, index, _)) = best else {
            return Ok(None);
        };
        let Some(queue) = self.queues.get_mut(&addr) else {
            return Ok(None);
        };
        let Some(held) = queue.remove(index) else {
            return Ok(None);
        };
        self.total = self.total.saturating_sub(1);
        if queue.is_empty() {
            self.queues.remove(&addr);
        }
        let pending = self
            .queues
            .iter()
            .any(|(a, q)| q.iter().any(|h| matches(a, h)));
        Ok(Some(Taken {
            item: held.item,
            pending,
        }))
    }

    /// Drops what waited longer than [`MailboxConfig::max_age`]; returns it (for logs).
    pub fn expire(&mut self, now: Timestamp) -> Vec<T> {
        let max_age = self.config.max_age;
        let mut dropped = Vec::new();
        self.queues.retain(|_, queue| {
            let mut kept = VecDeque::with_capacity(queue.len());
            while let Some(h) = queue.pop_front() {
                if now.saturating_since(h.since) >= max_age {
                    dropped.push(h.item);
                } else {
                    kept.push_back(h);
                }
            }
            *queue = kept;
            !queue.is_empty()
        });
        self.total = self.total.saturating_sub(dropped.len());
        dropped
    }

    /// When the next message would expire, if any is held.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.queues
            .values()
            .flat_map(|q| q.iter().map(|h| h.since))
            .min()
            .map(|t| t.saturating_add(self.config.max_age))
    }
}
