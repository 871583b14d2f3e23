//! The two-party harness: a Source and a Destination joined by a seeded lossy link
//! (loss, duplication, reordering, delay, partition) on a virtual clock that jumps to the
//! next deadline; crash = drop a machine and rebuild it from the ops that were synced.
//!
//! Crash model: each input to a machine may crash it *before* the batch of ops it caused
//! was synced; that batch, and the transmits and events of that input, are lost (the
//! runtime commits ops and `Delivered` events atomically before transmitting). The
//! machine is then down for a while (messages to it are lost) and restored from its log.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::msg::{
    AckBody, EndpointRef, Message, PayloadRef, SequenceAcknowledgement, SequenceId, Transmit,
};
use crate::{
    CreateParams, Destination, DestinationConfig, DestinationEvent, Routed, SecurityBinding,
    ServerEndpoint, Source, SourceConfig, SourceEvent, SourceState, StoreOp, TerminationReason,
    Timestamp,
};

/// splitmix64: a small seeded generator (no `rand` needed).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `permille`/1000.
    pub(crate) fn chance(&mut self, permille: u64) -> bool {
        self.below(1000) < permille
    }

    pub(crate) fn boxed(seed: u64) -> crate::RandomSource {
        let mut r = Self(seed);
        Box::new(move || r.next_u64())
    }
}

/// Link and crash parameters, all in permille or milliseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Faults {
    pub(crate) loss: u64,
    pub(crate) duplicate: u64,
    pub(crate) reorder: u64,
    pub(crate) max_delay_ms: u64,
    pub(crate) partition: u64,
    pub(crate) max_partition_ms: u64,
    pub(crate) crash_source: u64,
    pub(crate) crash_destination: u64,
    pub(crate) max_down_ms: u64,
}

impl Faults {
    pub(crate) const NONE: Self = Self {
        loss: 0,
        duplicate: 0,
        reorder: 0,
        max_delay_ms: 5,
        partition: 0,
        max_partition_ms: 0,
        crash_source: 0,
        crash_destination: 0,
        max_down_ms: 0,
    };
}

#[derive(Debug, Clone)]
struct Packet {
    at: Timestamp,
    order: u64,
    msg: Message,
    proof: Option<SecurityBinding>,
}

/// A destination-side ending injected into a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trouble {
    /// The destination terminates the sequence (1.1: TerminateSequence to the source).
    Terminate,
    /// The destination closes the sequence (1.1: CloseSequence and a final ack).
    Close,
    /// The destination forgets the sequence (operator terminate + restart): the source's
    /// next message gets UnknownSequence.
    Forget,
}

/// The two parties, their durable logs, the link and the application's view.
pub(crate) struct Pair {
    pub(crate) now: Timestamp,
    rng: SplitMix,
    pub(crate) faults: Faults,
    pub(crate) token: SecurityBinding,
    pub(crate) src_cfg: SourceConfig,
    pub(crate) dst_cfg: DestinationConfig,
    pub(crate) source: Option<Source>,
    /// The destination side, as a server runs it: behind the endpoint's routing.
    pub(crate) dest: Option<ServerEndpoint>,
    src_down_until: Timestamp,
    dst_down_until: Timestamp,
    partition_until: Timestamp,
    to_dest: Vec<Packet>,
    to_source: Vec<Packet>,
    order: u64,
    /// Synced Source ops.
    pub(crate) src_log: Vec<StoreOp>,
    /// Synced Destination ops.
    pub(crate) dst_log: Vec<StoreOp>,
    /// Durably recorded inbound numbers per sequence (from `dst_log`).
    recorded: BTreeMap<SequenceId, BTreeSet<u64>>,
    /// Durably stored outbound payloads per sequence and number (from `src_log`).
    pub(crate) stored: BTreeMap<SequenceId, BTreeMap<u64, Option<PayloadRef>>>,
    /// The application inbox: (sequence, number, payload), in delivery order.
    pub(crate) delivered: Vec<(SequenceId, u64, PayloadRef)>,
    pub(crate) src_events: Vec<SourceEvent>,
    pub(crate) dst_events: Vec<DestinationEvent>,
    /// Every acknowledgement that left the destination.
    pub(crate) acks_sent: u64,
    pub(crate) violations: Vec<String>,
    pub(crate) crashes: u32,
    src_crashed: bool,
    last_ack: BTreeMap<SequenceId, BTreeSet<u64>>,
    /// Test-only defect switch set on every Source made (see `Source::finish`).
    pub(crate) broken_source: bool,
    /// Acknowledgement-only ops held back for the next synced batch, the
    /// `Acknowledged` events that wait with them, and since when (see `drain_source`).
    src_held_ops: Vec<StoreOp>,
    src_held_events: Vec<SourceEvent>,
    src_held_since: Option<Timestamp>,
}

impl Pair {
    pub(crate) fn new(
        seed: u64,
        faults: Faults,
        src_cfg: SourceConfig,
        dst_cfg: DestinationConfig,
    ) -> Self {
        let mut rng = SplitMix(seed);
        let dest = ServerEndpoint::new(
            Destination::new(
                dst_cfg.clone(),
                EndpointRef("http://dst".into()),
                SplitMix::boxed(rng.next_u64()),
            ),
            [],
        );
        Self {
            now: Timestamp(0),
            rng,
            faults,
            token: SecurityBinding::new("urn:uuid:sct-x"),
            src_cfg,
            dst_cfg,
            source: None,
            dest: Some(dest),
            src_down_until: Timestamp(0),
            dst_down_until: Timestamp(0),
            partition_until: Timestamp(0),
            to_dest: Vec::new(),
            to_source: Vec::new(),
            order: 0,
            src_log: Vec::new(),
            dst_log: Vec::new(),
            recorded: BTreeMap::new(),
            stored: BTreeMap::new(),
            delivered: Vec::new(),
            src_events: Vec::new(),
            dst_events: Vec::new(),
            acks_sent: 0,
            violations: Vec::new(),
            crashes: 0,
            src_crashed: false,
            last_ack: BTreeMap::new(),
            broken_source: false,
            src_held_ops: Vec::new(),
            src_held_events: Vec::new(),
            src_held_since: None,
        }
    }

    /// Starts a sequence bound to the pair's token.
    pub(crate) fn create(&mut self) {
        let params = CreateParams {
            to: EndpointRef("http://dst".into()),
            acks_to: EndpointRef("http://src".into()),
            binding: Some(self.token.clone()),
            offer: None,
        };
        let r = self.rng.next_u64();
        let mut s =
            Source::create_sequence(self.now, self.src_cfg.clone(), params, SplitMix::boxed(r));
        s.broken_fault_counts_as_ack = self.broken_source;
        self.source = Some(s);
        self.drain_source(false);
    }

    /// Whether the source side is running (not down after a crash).
    pub(crate) fn source_up_or_absent(&self) -> bool {
        !self.src_crashed && self.now >= self.src_down_until
    }

    /// Runs an application command on the source (if up), then drains it.
    pub(crate) fn with_source<T>(
        &mut self,
        f: impl FnOnce(&mut Source, Timestamp) -> T,
    ) -> Option<T> {
        if self.now < self.src_down_until {
            return None;
        }
        let now = self.now;
        let out = f(self.source.as_mut()?, now);
        let crash = self.rng.chance(self.faults.crash_source);
        self.drain_source(crash);
        Some(out)
    }

    /// Delivers `msg` to the destination as if proven by `proof`, then drains it.
    pub(crate) fn inject_to_dest(
        &mut self,
        proof: Option<&SecurityBinding>,
        msg: Message,
    ) -> Result<(), crate::Error> {
        let now = self.now;
        let r = match self.dest.as_mut() {
            Some(d) => routed(d.handle_message(now, proof, None, msg)),
            None => Ok(()),
        };
        self.drain_dest(false);
        r
    }

    /// Delivers `msg` to the source as if proven by `proof`, then drains it.
    pub(crate) fn inject_to_source(
        &mut self,
        proof: Option<&SecurityBinding>,
        msg: Message,
    ) -> Result<(), crate::Error> {
        let now = self.now;
        let r = match self.source.as_mut() {
            Some(s) => s.handle_message(now, proof, msg),
            None => Ok(()),
        };
        self.drain_source(false);
        r
    }

    fn drain_source(&mut self, crash: bool) {
        let Some(src) = self.source.as_mut() else {
            return;
        };
        if crash {
            // The batch was not synced: everything this input produced is lost, and
            // the acknowledgements held back for the next batch with it.
            self.src_held_ops.clear();
            self.src_held_events.clear();
            self.src_held_since = None;
            self.source = None;
            self.src_crashed = true;
            self.crashes += 1;
            self.src_down_until = self.now.saturating_add(Duration::from_millis(
                self.rng.below(self.faults.max_down_ms + 1),
            ));
            return;
        }
        let mut ops = Vec::new();
        while let Some(op) = src.poll_persist() {
            ops.push(op);
        }
        let mut out = Vec::new();
        while let Some(t) = src.poll_transmit() {
            out.push(t);
        }
        let mut events = Vec::new();
        while let Some(e) = src.poll_event() {
            events.push(e);
        }
        // As the runtime's client does (`wsrx-runtime` `persist::Deferred`), a batch of
        // nothing but acknowledgements is not synced on its own: it goes first in the
        // next batch that is, or alone once it is old. The acknowledgements it carries
        // are reported to the application only then; a crash loses them, which is the
        // same to the protocol as acknowledgements lost on the way.
        let acks_only = ops
            .iter()
            .all(|op| matches!(op, StoreOp::OutboundAcked { .. }));
        if acks_only {
            if !ops.is_empty() {
                self.src_held_since.get_or_insert(self.now);
            }
            self.src_held_ops.append(&mut ops);
            let (held, now): (Vec<_>, Vec<_>) = events
                .drain(..)
                .partition(|e| matches!(e, SourceEvent::Acknowledged { .. }));
            self.src_held_events.extend(held);
            events = now;
        }
        let old = self
            .src_held_since
            .is_some_and(|t| self.now >= t.saturating_add(Duration::from_millis(200)));
        if !acks_only || old {
            self.src_held_since = None;
            let held_ops: Vec<StoreOp> = self.src_held_ops.drain(..).collect();
            let held_events: Vec<SourceEvent> = self.src_held_events.drain(..).collect();
            ops.splice(0..0, held_ops);
            events.splice(0..0, held_events);
        }
        for op in ops {
            if let StoreOp::OutboundStored {
                id,
                number,
                payload,
                ..
            } = &op
            {
                self.stored
                    .entry(id.clone())
                    .or_default()
                    .insert(*number, *payload);
            }
            self.src_log.push(op);
        }
        self.src_events.extend(events);
        for t in out {
            self.send(true, t);
        }
    }

    fn drain_dest(&mut self, crash: bool) {
        let Some(dst) = self.dest.as_mut() else {
            return;
        };
        if crash {
            self.dest = None;
            self.crashes += 1;
            self.dst_down_until = self.now.saturating_add(Duration::from_millis(
                self.rng.below(self.faults.max_down_ms + 1),
            ));
            return;
        }
        while let Some(op) = dst.poll_persist() {
            if let StoreOp::InboundRecorded { id, number, .. } = &op {
                self.recorded.entry(id.clone()).or_default().insert(*number);
            }
            self.dst_log.push(op);
        }
        let mut out = Vec::new();
        while let Some(t) = dst.poll_transmit() {
            out.push(t);
        }
        // Delivered events are committed with the batch above (the inbox is in the store).
        while let Some(e) = dst.poll_event() {
            if let DestinationEvent::Delivered {
                id,
                number,
                payload,
            } = &e
            {
                self.delivered.push((id.clone(), *number, *payload));
            }
            self.dst_events.push(e);
        }
        for t in out {
            for ack in ack_of(&t) {
                self.check_ack(ack);
            }
            self.send(false, t);
        }
    }

    /// An acknowledgement never covers a message not durably recorded (write-ahead).
    /// And it never drops a number an earlier one covered (WS-RM 1.1 §3.9), across crashes.
    fn check_ack(&mut self, ack: &SequenceAcknowledgement) {
        self.acks_sent += 1;
        let covered: BTreeSet<u64> = match &ack.body {
            AckBody::Ranges(ranges) => ranges.iter().flat_map(|r| r.lower..=r.upper).collect(),
            _ => BTreeSet::new(),
        };
        let prev = self.last_ack.entry(ack.id.clone()).or_default();
        if !prev.is_subset(&covered) {
            self.violations.push(format!(
                "ack of {} drops numbers an earlier ack covered",
                ack.id
            ));
        }
        *prev = covered;
        let AckBody::Ranges(ranges) = &ack.body else {
            return;
        };
        let empty = BTreeSet::new();
        let rec = self.recorded.get(&ack.id).unwrap_or(&empty);
        for r in ranges {
            for n in r.lower..=r.upper {
                if !rec.contains(&n) {
                    self.violations
                        .push(format!("ack of {} covers unrecorded message {n}", ack.id));
                    return;
                }
            }
        }
    }

    fn send(&mut self, from_source: bool, t: Transmit) {
        let f = self.faults;
        if self.now < self.partition_until {
            return;
        }
        if self.rng.chance(f.partition) {
            self.partition_until = self.now.saturating_add(Duration::from_millis(
                self.rng.below(f.max_partition_ms + 1),
            ));
            return;
        }
        let mut msgs = vec![t.message];
        if let Some(ack) = t.ack {
            msgs.push(Message::SequenceAcknowledgement(ack));
        }
        for msg in msgs {
            if self.rng.chance(f.loss) {
                continue;
            }
            let copies = if self.rng.chance(f.duplicate) { 2 } else { 1 };
            for _ in 0..copies {
                let mut delay = 1 + self.rng.below(f.max_delay_ms.max(1));
                if self.rng.chance(f.reorder) {
                    delay += self.rng.below(f.max_delay_ms.max(1) * 10 + 1);
                }
                self.order += 1;
                let p = Packet {
                    at: self.now.saturating_add(Duration::from_millis(delay)),
                    order: self.order,
                    msg: msg.clone(),
                    proof: t.protect_with.clone(),
                };
                if from_source {
                    self.to_dest.push(p)
                } else {
                    self.to_source.push(p)
                }
            }
        }
    }

    fn next_packet(queue: &[Packet]) -> Option<(usize, Timestamp)> {
        queue
            .iter()
            .enumerate()
            .min_by_key(|(_, p)| (p.at, p.order))
            .map(|(i, p)| (i, p.at))
    }

    /// The next instant anything happens.
    fn next_time(&self) -> Option<Timestamp> {
        let mut t: Option<Timestamp> = None;
        let mut consider = |x: Option<Timestamp>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |y| y.min(x)));
            }
        };
        consider(Self::next_packet(&self.to_dest).map(|x| x.1));
        consider(Self::next_packet(&self.to_source).map(|x| x.1));
        consider(self.source.as_ref().and_then(Source::poll_timeout));
        consider(self.dest.as_ref().and_then(ServerEndpoint::poll_timeout));
        if self.dest.is_none() {
            consider(Some(self.dst_down_until));
        }
        if self.src_crashed {
            consider(Some(self.src_down_until));
        }
        t.map(|x| x.max(self.now))
    }

    /// Advances to the next event and processes everything due then. Returns false when
    /// nothing is left to happen.
    pub(crate) fn step(&mut self) -> bool {
        let Some(t) = self.next_time() else {
            return false;
        };
        self.now = t;
        self.restart_if_due();
        if let Some((i, at)) = Self::next_packet(&self.to_dest)
            && at <= self.now
        {
            let p = self.to_dest.remove(i);
            if let Some(d) = self.dest.as_mut() {
                let _ = d.handle_message(self.now, p.proof.as_ref(), None, p.msg);
                let crash = self.rng.chance(self.faults.crash_destination);
                self.drain_dest(crash);
            }
            return true;
        }
        if let Some((i, at)) = Self::next_packet(&self.to_source)
            && at <= self.now
        {
            let p = self.to_source.remove(i);
            if self.now >= self.src_down_until
                && let Some(s) = self.source.as_mut()
            {
                let _ = s.handle_message(self.now, p.proof.as_ref(), p.msg);
                let crash = self.rng.chance(self.faults.crash_source);
                self.drain_source(crash);
            }
            return true;
        }
        if let Some(s) = self.source.as_mut()
            && s.poll_timeout().is_some_and(|d| d <= self.now)
        {
            s.handle_timeout(self.now);
            self.drain_source(false);
        }
        if let Some(d) = self.dest.as_mut()
            && d.poll_timeout().is_some_and(|x| x <= self.now)
        {
            d.handle_timeout(self.now);
            self.drain_dest(false);
        }
        true
    }

    /// Restores crashed machines whose downtime is over.
    pub(crate) fn restart_if_due(&mut self) {
        if self.dest.is_none() && self.now >= self.dst_down_until {
            let r = self.rng.next_u64();
            match ServerEndpoint::restore(
                self.now,
                self.dst_cfg.clone(),
                EndpointRef("http://dst".into()),
                &self.dst_log,
                SplitMix::boxed(r),
            ) {
                Ok(d) => self.dest = Some(d),
                Err(e) => {
                    self.violations
                        .push(format!("destination restore failed: {e}"));
                    self.dest = Some(ServerEndpoint::new(
                        Destination::new(
                            self.dst_cfg.clone(),
                            EndpointRef("http://dst".into()),
                            SplitMix::boxed(r),
                        ),
                        [],
                    ));
                }
            }
        }
        if self.src_crashed && self.now >= self.src_down_until {
            self.src_crashed = false;
            let r = self.rng.next_u64();
            match Source::restore(
                self.now,
                self.src_cfg.clone(),
                self.src_log.iter(),
                SplitMix::boxed(r),
            ) {
                Ok(s) => {
                    self.source = s.map(|mut s| {
                        s.broken_fault_counts_as_ack = self.broken_source;
                        s
                    });
                }
                Err(e) => self.violations.push(format!("source restore failed: {e}")),
            }
        }
    }

    /// Whether the source's durable log says its sequence ended: terminated, or failed
    /// with messages undelivered.
    pub(crate) fn source_ended_durably(&self) -> bool {
        self.src_log.iter().any(|op| {
            matches!(
                op,
                StoreOp::SourceTerminated { .. } | StoreOp::SourceFailed { .. }
            )
        })
    }

    /// Whether the destination is up and holds no sequence.
    pub(crate) fn destination_idle(&self) -> bool {
        self.dest
            .as_ref()
            .is_some_and(|d| d.destination().open_sequences() == 0)
    }

    /// The sequence the source created, if any.
    fn sequence(&self) -> Option<SequenceId> {
        self.src_log.iter().find_map(|op| match op {
            StoreOp::SourceCreated(r) => Some(r.id.clone()),
            _ => None,
        })
    }

    /// Makes the destination end or lose the sequence (`what`), as a peer or an operator
    /// may; returns whether it happened (the destination is up and holds the sequence).
    pub(crate) fn destination_trouble(&mut self, what: Trouble) -> bool {
        let Some(id) = self.sequence() else {
            return false;
        };
        let Some(d) = self.dest.as_mut() else {
            return false;
        };
        let Some(held) = d.destination().sequence(&id).map(|s| s.held.len()) else {
            return false;
        };
        match what {
            Trouble::Terminate => {
                let _ = d.terminate(&id);
                self.drain_dest(false);
            }
            Trouble::Close => {
                if d.close(&id).is_err() {
                    return false;
                }
                self.drain_dest(false);
            }
            Trouble::Forget => {
                // An operator's `wsrx store terminate` (refused while messages are held
                // for delivery), then a restart: the destination no longer knows it.
                if held > 0 {
                    return false;
                }
                self.dst_log.push(StoreOp::DestinationTerminated { id });
                self.dest = None;
                self.dst_down_until = self.now;
                self.restart_if_due();
            }
        }
        true
    }

    /// Durably stored payloads in total.
    pub(crate) fn stored_count(&self) -> usize {
        self.stored
            .values()
            .map(|m| m.values().filter(|p| p.is_some()).count())
            .sum()
    }

    pub(crate) fn source_state(&self) -> Option<SourceState> {
        self.source.as_ref().map(Source::state)
    }

    pub(crate) fn terminated_reason(&self) -> Option<&TerminationReason> {
        self.src_events.iter().rev().find_map(|e| match e {
            SourceEvent::Terminated(r) => Some(r),
            _ => None,
        })
    }
}

/// What the Destination said about a message the endpoint routed (the sim has no
/// offered sequences and no MessageIDs, so every message reaches the Destination).
fn routed(r: Routed) -> Result<(), crate::Error> {
    match r {
        Routed::Destination(r) => r,
        Routed::RepeatedCreate(_) | Routed::Offered { .. } | Routed::Ignored => Ok(()),
    }
}

fn ack_of(t: &Transmit) -> Vec<&SequenceAcknowledgement> {
    let mut v = Vec::new();
    if let Message::SequenceAcknowledgement(a) = &t.message {
        v.push(a);
    }
    if let Some(a) = &t.ack {
        v.push(a);
    }
    v
}
