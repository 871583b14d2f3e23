//! `wsrx store`: list, show, terminate and purge sequences, check the store's integrity
//! and re-seal it under a new key (issue 6, "Operations").
//!
//! Sequence states and counts are decoded from the RM records (`wsrx_rm::record`); token
//! rows are shown by identifier and expiry only. Secrets never appear in the output:
//! records carry no key material, payloads are shown by number, tokens are never
//! opened beyond their identifier and expiry.
//!
//! `terminate` appends the RM terminal record (`SourceTerminated` /
//! `DestinationTerminated`) to a sequence's log: a runtime restarted on the store then
//! forgets it (`wsrx send` starts a new sequence). `purge` deletes finished sequences
//! (terminated, or closed with nothing left to acknowledge or deliver) with their
//! payloads, and expired tokens no live sequence is bound to.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use wsrx_rm::{SequenceId, SourceState, StoreOp, record};
use wsrx_store::{
    Batch, KeyRing, KeyRingSource, Role, SequenceLog, SqliteBackend, SqliteOptions, Store,
};

/// `wsrx store …`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The store file.
    #[arg(long, default_value = "wsrx.db")]
    store: PathBuf,
    /// Key-ring file (mode 0600). Default: the `WSRX_KEYRING` environment variable.
    #[arg(long)]
    keyring: Option<PathBuf>,
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// List sequences (identifier, role, state, bound token, stored / unacknowledged /
    /// delivered counts) and tokens (identifier, expiry).
    List,
    /// Show one sequence: its records decoded, ranges, payload numbers, bound token.
    Show {
        /// The sequence identifier.
        id: String,
    },
    /// End a sequence in the store (appends its terminal record).
    Terminate {
        /// The sequence identifier.
        id: String,
    },
    /// Delete finished sequences and expired tokens no live sequence is bound to.
    Purge,
    /// Open every row and report the ones that fail, by name; exit 1 if any does.
    Check,
    /// Re-seal every row under the active key of the ring.
    Rewrap,
}

fn keyring(args: &Args) -> anyhow::Result<KeyRing> {
    Ok(match &args.keyring {
        Some(file) => KeyRing::from_file(file)?,
        None => KeyRing::from_env("WSRX_KEYRING").context("no --keyring given")?,
    })
}

fn open(args: &Args) -> anyhow::Result<Store<SqliteBackend>> {
    if !args.store.exists() {
        anyhow::bail!("no store at {}", args.store.display());
    }
    let backend = SqliteBackend::open(&args.store, SqliteOptions::default())
        .with_context(|| format!("cannot open {}", args.store.display()))?;
    Ok(Store::open(backend, keyring(args)?)?)
}

/// What the records of one sequence say.
#[derive(Debug, Default)]
struct Summary {
    state: String,
    token: Option<String>,
    /// Source: numbers stored; destination: numbers received.
    stored: BTreeSet<u64>,
    /// Source: numbers acknowledged.
    acked: BTreeSet<u64>,
    /// Destination: numbers handed to the application.
    delivered: BTreeSet<u64>,
    terminated: bool,
    closed: bool,
    /// The first record that did not decode: (index, error).
    bad: Option<(usize, String)>,
    ops: Vec<StoreOp>,
}

impl Summary {
    fn of(log: &SequenceLog) -> Self {
        let mut s = Self {
            state: "unknown".into(),
            ..Self::default()
        };
        for (i, bytes) in log.records.iter().enumerate() {
            match record::decode(bytes) {
                Ok(op) => {
                    s.apply(&op);
                    s.ops.push(op);
                }
                Err(e) => {
                    s.bad = Some((i, e.to_string()));
                    s.state = format!("undecodable (record {i})");
                    break;
                }
            }
        }
        s
    }

    fn apply(&mut self, op: &StoreOp) {
        match op {
            StoreOp::SourceCreated(r) => {
                self.state = "active".into();
                self.token = r.binding.as_ref().map(|b| b.as_str().to_owned());
            }
            StoreOp::OutboundStored { number, .. } => {
                self.stored.insert(*number);
            }
            StoreOp::OutboundAcked { ranges, .. } => {
                for r in ranges {
                    let hit: Vec<u64> = self.stored.range(r.lower..=r.upper).copied().collect();
                    self.acked.extend(hit);
                }
            }
            StoreOp::SourceStateChanged { state, .. } => {
                self.closed = *state == SourceState::Closed;
                self.state = format!("{state:?}").to_lowercase();
            }
            StoreOp::DestinationCreated(r) => {
                self.state = "active".into();
                self.token = r.binding.as_ref().map(|b| b.as_str().to_owned());
            }
            StoreOp::InboundRecorded {
                number, delivered, ..
            } => {
                self.stored.insert(*number);
                if *delivered {
                    self.delivered.insert(*number);
                }
            }
            StoreOp::DeliveredThrough { number, .. } => {
                let hit: Vec<u64> = self.stored.range(..=*number).copied().collect();
                self.delivered.extend(hit);
            }
            StoreOp::DestinationClosed { .. } => {
                self.closed = true;
                self.state = "closed".into();
            }
            StoreOp::SourceTerminated { .. } | StoreOp::DestinationTerminated { .. } => {
                self.terminated = true;
                self.state = "terminated".into();
            }
            _ => {}
        }
    }

    fn unacked(&self) -> usize {
        self.stored.len().saturating_sub(self.acked.len())
    }

    fn finished(&self, role: Role) -> bool {
        self.terminated
            || (self.closed
                && match role {
                    Role::Source => self.unacked() == 0,
                    Role::Destination => self.delivered.len() == self.stored.len(),
                })
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Source => "source",
        Role::Destination => "destination",
    }
}

/// `1-5,7,9-10`
fn ranges(set: &BTreeSet<u64>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut it = set.iter().copied().peekable();
    while let Some(lo) = it.next() {
        let mut hi = lo;
        while it.peek() == Some(&hi.saturating_add(1)) {
            hi = hi.saturating_add(1);
            it.next();
        }
        out.push(if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}-{hi}")
        });
    }
    if out.is_empty() {
        "none".into()
    } else {
        out.join(",")
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn expiry(ms: Option<i64>) -> String {
    match ms {
        None => "never".into(),
        Some(ms) if ms <= now_ms() => format!("{ms} (expired)"),
        Some(ms) => ms.to_string(),
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store = open(&args)?;
    match args.command {
        StoreCommand::List => list(&store)?,
        StoreCommand::Show { id } => show(&store, &id)?,
        StoreCommand::Terminate { id } => terminate(&store, &id)?,
        StoreCommand::Purge => purge(&store)?,
        StoreCommand::Check => {
            let report = store.check()?;
            for problem in &report.problems {
                println!("BAD  {problem}");
            }
            println!("{} rows ok, {} bad", report.ok, report.problems.len());
            if !report.problems.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        StoreCommand::Rewrap => {
            let n = store.rewrap()?;
            println!("re-sealed {n} rows under the active key");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(store: &Store<SqliteBackend>) -> anyhow::Result<()> {
    let snapshot = store.load()?;
    println!(
        "{:<46} {:<11} {:<12} {:<46} {:>6} {:>6} {:>9}",
        "SEQUENCE", "ROLE", "STATE", "TOKEN", "STORED", "UNACK", "DELIVERED"
    );
    for log in &snapshot.sequences {
        let s = Summary::of(log);
        let (unacked, delivered) = match log.role {
            Role::Source => (s.unacked().to_string(), "-".to_owned()),
            Role::Destination => ("-".to_owned(), s.delivered.len().to_string()),
        };
        println!(
            "{:<46} {:<11} {:<12} {:<46} {:>6} {:>6} {:>9}",
            log.sequence,
            role_name(log.role),
            s.state,
            s.token.as_deref().unwrap_or("-"),
            s.stored.len(),
            unacked,
            delivered
        );
    }
    println!();
    println!("{:<46} {:>26}", "TOKEN", "EXPIRES (ms since epoch)");
    for t in &snapshot.tokens {
        println!("{:<46} {:>26}", t.identifier, expiry(t.expires_at_ms));
    }
    Ok(())
}

fn find<'a>(logs: &'a [SequenceLog], id: &str) -> anyhow::Result<&'a SequenceLog> {
    logs.iter()
        .find(|l| l.sequence == id)
        .with_context(|| format!("no sequence {id} in the store"))
}

fn show(store: &Store<SqliteBackend>, id: &str) -> anyhow::Result<()> {
    let snapshot = store.load()?;
    let log = find(&snapshot.sequences, id)?;
    let s = Summary::of(log);
    println!("sequence   {id}");
    println!("role       {}", role_name(log.role));
    println!("state      {}", s.state);
    match &s.token {
        Some(t) => {
            let row = snapshot.tokens.iter().find(|r| r.identifier == *t);
            let held = row.map_or_else(
                || "not in this store".to_owned(),
                |r| format!("expires {}", expiry(r.expires_at_ms)),
            );
            println!("token      {t} ({held})");
        }
        None => println!("token      none (unbound)"),
    }
    match log.role {
        Role::Source => {
            println!("stored     {}", ranges(&s.stored));
            println!("acked      {}", ranges(&s.acked));
        }
        Role::Destination => {
            println!("received   {}", ranges(&s.stored));
            println!("delivered  {}", ranges(&s.delivered));
        }
    }
    let payloads: BTreeSet<u64> = log.payloads.iter().map(|(_, n)| *n).collect();
    println!("payloads   {} (message numbers)", ranges(&payloads));
    println!("records    {}", log.records.len());
    for (i, op) in s.ops.iter().enumerate() {
        println!("  {i:>5}  {op:?}");
    }
    if let Some((i, e)) = &s.bad {
        println!("  {i:>5}  cannot decode record {i} of sequence {id}: {e}");
        anyhow::bail!("record {i} of sequence {id} cannot be decoded: {e}");
    }
    Ok(())
}

fn terminate(store: &Store<SqliteBackend>, id: &str) -> anyhow::Result<()> {
    let snapshot = store.load()?;
    let log = find(&snapshot.sequences, id)?;
    let s = Summary::of(log);
    if let Some((i, e)) = &s.bad {
        anyhow::bail!("record {i} of sequence {id} cannot be decoded: {e}");
    }
    anyhow::ensure!(!s.terminated, "sequence {id} is already terminated");
    let sid = SequenceId::new(id);
    let op = match log.role {
        Role::Source => StoreOp::SourceTerminated { id: sid },
        Role::Destination => StoreOp::DestinationTerminated { id: sid },
    };
    let mut batch = Batch::default();
    batch
        .records
        .push((id.to_owned(), log.role, record::encode(&op)));
    store.commit(batch)?;
    println!(
        "terminated {} sequence {id} ({} unacknowledged, {} payloads left for purge)",
        role_name(log.role),
        s.unacked(),
        log.payloads.len()
    );
    Ok(())
}

fn purge(store: &Store<SqliteBackend>) -> anyhow::Result<()> {
    let snapshot = store.load()?;
    let mut batch = Batch::default();
    let mut live_tokens = BTreeSet::new();
    for log in &snapshot.sequences {
        let s = Summary::of(log);
        if s.bad.is_none() && s.finished(log.role) {
            println!(
                "removed {} sequence {} ({}, {} records, {} payloads)",
                role_name(log.role),
                log.sequence,
                s.state,
                log.records.len(),
                log.payloads.len()
            );
            batch.sequence_deletes.push(log.sequence.clone());
        } else if let Some(t) = s.token {
            live_tokens.insert(t);
        }
    }
    let now = now_ms();
    for t in &snapshot.tokens {
        if t.expires_at_ms.is_some_and(|e| e <= now) && !live_tokens.contains(&t.identifier) {
            println!("removed expired token {}", t.identifier);
            batch.token_deletes.push(t.identifier.clone());
        }
    }
    let n = batch.sequence_deletes.len() + batch.token_deletes.len();
    store.commit(batch)?;
    println!("purged {n} items");
    Ok(())
}
