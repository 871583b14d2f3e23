//! Crash torture on the real store (issue 6, in-process stage): an RM Source and an
//! RM Destination, each persisting through its own SQLite store (WAL,
//! `synchronous=FULL`, sealed rows), exchange a stream of messages while seeded
//! crashes kill one side at random points: before its batch is committed (the batch
//! and everything that input produced are lost) or after the commit but before
//! anything is transmitted. Every restart reopens the database file and restores the
//! machine from the records it finds there, and reads back the sealed SCT.
//!
//! Asserted: at least 50 crashes per run; the stream completes; the receiving
//! application's inbox (committed in the same batch as the delivery records, the
//! documented exactly-once protocol) holds every message exactly once and in order,
//! each with the payload stored for that number; the SCT comes back from the store
//! after every restart (never re-issued), secret intact.
//! `WSRX_SEED` replays a run; the seed is printed on failure.
#![allow(
    clippy::unwrap_used,
    clippy::unwrap_in_result,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use wsrx_crypto::{KeyRing, SecretKey};
use wsrx_rm::msg::{EndpointRef, Message, PayloadRef, SequenceId, Transmit};
use wsrx_rm::{
    CreateParams, Destination, DestinationConfig, DestinationEvent, Error, SecurityBinding, Source,
    SourceConfig, SourceState, StoreOp, Timestamp, record,
};
use wsrx_store::{Batch, PayloadPut, Role, SqliteBackend, SqliteOptions, Store, TokenPut};
use zeroize::Zeroizing;

const SCT_ID: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1";
const SCT_SECRET: &[u8] = b"secure-conversation-demo-secret!";
const MESSAGES: u64 = 120;
const SOURCE_LOG: &str = "source-machine";
const DEST_LOG: &str = "destination-machine";
const INBOX: &str = "application-inbox";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn chance(&mut self, permille: u64) -> bool {
        self.next() % 1000 < permille
    }
    fn boxed(&mut self) -> wsrx_rm::source::RandomSource {
        let mut r = Self(self.next());
        Box::new(move || r.next())
    }
}

fn ring() -> KeyRing {
    KeyRing::new(SecretKey::from_vec(vec![42; 32])).unwrap()
}

fn open(path: &Path) -> Store<SqliteBackend> {
    Store::open(
        SqliteBackend::open(path, SqliteOptions::default()).unwrap(),
        ring(),
    )
    .unwrap()
}

/// One side's durable state, re-read from disk at every restart.
struct Recovered {
    ops: Vec<StoreOp>,
    inbox: Vec<(String, u64, u64)>,
}

fn recover(store: &Store<SqliteBackend>, log: &str) -> Recovered {
    let snap = store.load().unwrap();
    let token = snap
        .tokens
        .iter()
        .find(|t| t.identifier == SCT_ID)
        .expect("SCT not recovered from the store");
    assert_eq!(
        token.serialized.as_slice(),
        SCT_SECRET,
        "SCT secret changed across a restart"
    );
    let mut out = Recovered {
        ops: vec![],
        inbox: vec![],
    };
    for l in &snap.sequences {
        if l.sequence == log {
            out.ops = l
                .records
                .iter()
                .map(|r| record::decode(r).unwrap())
                .collect();
        } else if l.sequence == INBOX {
            out.inbox = l
                .records
                .iter()
                .map(|r| {
                    let text = String::from_utf8(r.clone()).unwrap();
                    let mut parts = text.split(' ');
                    let id = parts.next().unwrap().to_owned();
                    (
                        id,
                        parts.next().unwrap().parse().unwrap(),
                        parts.next().unwrap().parse().unwrap(),
                    )
                })
                .collect();
        }
    }
    out
}

struct Packet {
    at: Timestamp,
    to_dest: bool,
    msg: Message,
    proof: Option<SecurityBinding>,
}

struct World {
    rng: Rng,
    now: Timestamp,
    dir: PathBuf,
    src_store: Option<Store<SqliteBackend>>,
    dst_store: Option<Store<SqliteBackend>>,
    source: Option<Source>,
    dest: Option<Destination>,
    src_down_until: Timestamp,
    dst_down_until: Timestamp,
    link: Vec<Packet>,
    crashes: u32,
    restarts_checked: u32,
    sent: u64,
    terminated: bool,
    token: SecurityBinding,
    src_cfg: SourceConfig,
    dst_cfg: DestinationConfig,
}

const CRASH_PERMILLE: u64 = 60;

impl World {
    fn src_path(&self) -> PathBuf {
        self.dir.join("source.db")
    }
    fn dst_path(&self) -> PathBuf {
        self.dir.join("destination.db")
    }

    fn crash_source(&mut self) {
        self.source = None;
        self.src_store = None;
        self.crashes += 1;
        self.src_down_until = self
            .now
            .saturating_add(Duration::from_millis(self.rng.next() % 500));
    }

    fn crash_dest(&mut self) {
        self.dest = None;
        self.dst_store = None;
        self.crashes += 1;
        self.dst_down_until = self
            .now
            .saturating_add(Duration::from_millis(self.rng.next() % 500));
    }

    fn restart(&mut self) {
        if self.src_store.is_none() && self.now >= self.src_down_until {
            let store = open(&self.src_path());
            let rec = recover(&store, SOURCE_LOG);
            self.restarts_checked += 1;
            let r = self.rng.boxed();
            self.source =
                Source::restore(self.now, self.src_cfg.clone(), rec.ops.iter(), r).unwrap();
            self.terminated = rec
                .ops
                .iter()
                .any(|op| matches!(op, StoreOp::SourceTerminated { .. }));
            // Payload handles are 1..=sent: what the durable log says was stored.
            self.sent = rec
                .ops
                .iter()
                .filter(|op| {
                    matches!(
                        op,
                        StoreOp::OutboundStored {
                            payload: Some(_),
                            ..
                        }
                    )
                })
                .count() as u64;
            self.src_store = Some(store);
        }
        if self.dst_store.is_none() && self.now >= self.dst_down_until {
            let store = open(&self.dst_path());
            let rec = recover(&store, DEST_LOG);
            self.restarts_checked += 1;
            let r = self.rng.boxed();
            let local = EndpointRef("http://dst".into());
            self.dest = Some(
                Destination::restore(self.now, self.dst_cfg.clone(), local, rec.ops.iter(), r)
                    .unwrap(),
            );
            self.dst_store = Some(store);
        }
    }

    /// Drains the source after an input: maybe crash before the commit, commit,
    /// maybe crash before transmitting, transmit.
    fn drain_source(&mut self, payloads: &[(u64, Vec<u8>)]) {
        let Some(src) = self.source.as_mut() else {
            return;
        };
        let mut batch = Batch::default();
        while let Some(op) = src.poll_persist() {
            if let StoreOp::OutboundStored {
                id,
                number,
                payload: Some(p),
                ..
            } = &op
            {
                let bytes = payloads
                    .iter()
                    .find(|(h, _)| *h == p.0)
                    .map(|(_, b)| b.clone())
                    .unwrap();
                batch.payloads.push(PayloadPut {
                    handle: p.0,
                    sequence: id.as_str().to_owned(),
                    number: *number,
                    plaintext: Zeroizing::new(bytes),
                });
            }
            if matches!(op, StoreOp::SourceTerminated { .. }) {
                self.terminated = true;
            }
            batch
                .records
                .push((SOURCE_LOG.into(), Role::Source, record::encode(&op)));
        }
        let out: Vec<Transmit> = std::iter::from_fn(|| src.poll_transmit()).collect();
        while src.poll_event().is_some() {}
        if self.rng.chance(CRASH_PERMILLE) {
            return self.crash_source();
        }
        self.src_store.as_ref().unwrap().commit(batch).unwrap();
        if self.rng.chance(CRASH_PERMILLE / 2) {
            return self.crash_source();
        }
        for t in out {
            self.transmit(true, t);
        }
    }

    fn drain_dest(&mut self) {
        let Some(dst) = self.dest.as_mut() else {
            return;
        };
        let mut batch = Batch::default();
        while let Some(op) = dst.poll_persist() {
            batch
                .records
                .push((DEST_LOG.into(), Role::Destination, record::encode(&op)));
        }
        let out: Vec<Transmit> = std::iter::from_fn(|| dst.poll_transmit()).collect();
        // The application inbox is committed with the records of the delivery.
        while let Some(e) = dst.poll_event() {
            if let DestinationEvent::Delivered {
                id,
                number,
                payload,
            } = e
            {
                batch.records.push((
                    INBOX.into(),
                    Role::Destination,
                    format!("{id} {number} {}", payload.0).into_bytes(),
                ));
            }
        }
        if self.rng.chance(CRASH_PERMILLE) {
            return self.crash_dest();
        }
        self.dst_store.as_ref().unwrap().commit(batch).unwrap();
        if self.rng.chance(CRASH_PERMILLE / 2) {
            return self.crash_dest();
        }
        for t in out {
            self.transmit(false, t);
        }
    }

    fn transmit(&mut self, to_dest: bool, t: Transmit) {
        let mut msgs = vec![t.message];
        if let Some(ack) = t.ack {
            msgs.push(Message::SequenceAcknowledgement(ack));
        }
        for msg in msgs {
            let at = self
                .now
                .saturating_add(Duration::from_millis(1 + self.rng.next() % 20));
            self.link.push(Packet {
                at,
                to_dest,
                msg,
                proof: t.protect_with.clone(),
            });
        }
    }

    fn next_time(&self) -> Option<Timestamp> {
        let mut times: Vec<Timestamp> = self.link.iter().map(|p| p.at).collect();
        times.extend(self.source.as_ref().and_then(Source::poll_timeout));
        times.extend(self.dest.as_ref().and_then(Destination::poll_timeout));
        if self.src_store.is_none() {
            times.push(self.src_down_until);
        }
        if self.dst_store.is_none() {
            times.push(self.dst_down_until);
        }
        times.into_iter().min().map(|t| t.max(self.now))
    }
}

fn run(seed: u64) -> Result<(u32, u32), String> {
    let dir = std::env::temp_dir().join(format!("wsrx-torture-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut w = World {
        rng: Rng(seed),
        now: Timestamp(0),
        dir,
        src_store: None,
        dst_store: None,
        source: None,
        dest: None,
        src_down_until: Timestamp(0),
        dst_down_until: Timestamp(0),
        link: vec![],
        crashes: 0,
        restarts_checked: 0,
        sent: 0,
        terminated: false,
        token: SecurityBinding::new(SCT_ID),
        src_cfg: SourceConfig::default(),
        dst_cfg: DestinationConfig::default(),
    };
    // The SCT is established once and kept sealed in both stores.
    for path in [w.src_path(), w.dst_path()] {
        let mut b = Batch::default();
        b.tokens.push(TokenPut {
            identifier: SCT_ID.into(),
            expires_at_ms: None,
            serialized: Zeroizing::new(SCT_SECRET.to_vec()),
        });
        open(&path).commit(b).unwrap();
    }
    let payloads: Vec<(u64, Vec<u8>)> = (0..MESSAGES)
        .map(|k| (k + 1, format!("message {}", k + 1).into_bytes()))
        .collect();
    let mut steps = 0u32;
    while !w.terminated {
        steps += 1;
        if steps > 200_000 || w.now > Timestamp(3_600_000) {
            return Err(format!(
                "did not complete: crashes {}, sent {}, t={}",
                w.crashes,
                w.sent,
                w.now.millis()
            ));
        }
        w.restart();
        // The application: create, send while the window allows, close, terminate.
        if w.src_store.is_some() {
            if w.source.is_none() {
                let params = CreateParams {
                    to: EndpointRef("http://dst".into()),
                    acks_to: EndpointRef("http://src".into()),
                    binding: Some(w.token.clone()),
                    offer: None,
                };
                let r = w.rng.boxed();
                w.source = Some(Source::create_sequence(w.now, w.src_cfg.clone(), params, r));
                w.drain_source(&payloads);
                continue;
            }
            let now = w.now;
            let state = w.source.as_ref().map(Source::state);
            match state {
                Some(SourceState::Active) if w.sent < MESSAGES => {
                    match w.source.as_mut().unwrap().send(now, PayloadRef(w.sent + 1)) {
                        Ok(_) => {
                            w.sent += 1;
                            w.drain_source(&payloads);
                            continue;
                        }
                        Err(Error::Backpressure) => {}
                        Err(e) => return Err(format!("send failed: {e}")),
                    }
                }
                Some(SourceState::Active) if w.source.as_ref().unwrap().in_flight() == 0 => {
                    let _ = w.source.as_mut().unwrap().close(now);
                    w.drain_source(&payloads);
                    continue;
                }
                Some(SourceState::Closed) => {
                    let _ = w.source.as_mut().unwrap().terminate(now);
                    w.drain_source(&payloads);
                    continue;
                }
                _ => {}
            }
        }
        let Some(t) = w.next_time() else {
            return Err("stalled: nothing scheduled".into());
        };
        w.now = t;
        w.restart();
        if let Some(i) = w
            .link
            .iter()
            .enumerate()
            .filter(|(_, p)| p.at <= w.now)
            .min_by_key(|(_, p)| p.at)
            .map(|(i, _)| i)
        {
            let p = w.link.remove(i);
            if p.to_dest {
                if let Some(d) = w.dest.as_mut() {
                    let _ = d.handle_message(w.now, p.proof.as_ref(), p.msg);
                    w.drain_dest();
                }
            } else if let Some(s) = w.source.as_mut() {
                let _ = s.handle_message(w.now, p.proof.as_ref(), p.msg);
                w.drain_source(&payloads);
            }
            continue;
        }
        let now = w.now;
        if let Some(s) = w
            .source
            .as_mut()
            .filter(|s| s.poll_timeout().is_some_and(|d| d <= now))
        {
            s.handle_timeout(now);
            w.drain_source(&payloads);
        }
        if let Some(d) = w
            .dest
            .as_mut()
            .filter(|d| d.poll_timeout().is_some_and(|x| x <= now))
        {
            d.handle_timeout(now);
            w.drain_dest();
        }
    }
    // Let the destination settle, then read the inbox back from disk.
    w.src_store = None;
    w.dst_store = None;
    let src = open(&w.src_path());
    let final_source = recover(&src, SOURCE_LOG);
    let dst = open(&w.dst_path());
    let inbox = recover(&dst, DEST_LOG).inbox;
    let seq = final_source
        .ops
        .iter()
        .find_map(|op| match op {
            StoreOp::SourceCreated(r) => Some(r.id.clone()),
            _ => None,
        })
        .ok_or("no sequence was created")?;
    let delivered: Vec<(u64, u64)> = inbox
        .iter()
        .filter(|(id, _, _)| SequenceId::new(id) == seq)
        .map(|(_, n, p)| (*n, *p))
        .collect();
    let expected: Vec<(u64, u64)> = (1..=MESSAGES).map(|n| (n, n)).collect();
    if delivered != expected {
        return Err(format!(
            "inbox is not every message once and in order: {delivered:?}"
        ));
    }
    let _ = std::fs::remove_dir_all(&w.dir);
    Ok((w.crashes, w.restarts_checked))
}

#[test]
fn stream_survives_at_least_fifty_crashes_exactly_once_in_order() {
    let seeds: Vec<u64> = match std::env::var("WSRX_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => vec![1, 2, 3],
    };
    for seed in seeds {
        match run(seed) {
            Ok((crashes, restarts)) => {
                println!(
                    "seed {seed}: {crashes} crashes, {restarts} restarts with the SCT recovered from the store"
                );
                assert!(
                    crashes >= 50,
                    "seed {seed}: only {crashes} crashes (raise CRASH_PERMILLE or MESSAGES)"
                );
            }
            Err(e) => panic!("seed {seed} (replay with WSRX_SEED={seed}): {e}"),
        }
    }
}
