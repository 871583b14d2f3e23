//! `wsrx bench`: the benchmark mode. One server and many client sequences on loopback
//! HTTP, everything real: each message is a one-way WS-RM message with a 1 KB payload
//! (by default), signed with keys derived from one SCT, stored sealed in SQLite stores
//! (`synchronous=FULL`, group commit) on both sides, verified, recorded durably and
//! handed to the application exactly once, in order.
//!
//! For each requested concurrency (`--sequences 1,64`), it opens that many sequences at
//! once, sends `--messages` in total spread over them, and reports:
//! - throughput: messages handed to the application per second, from the first send to
//!   the last delivery;
//! - delivery latency: from the call to `Client::send` to the server application
//!   receiving the message (percentiles p50/p90/p99/max);
//! - store latency: how long `Client::send` took to return, i.e. until the message was
//!   durably committed in the client's store (back-pressure from the window included);
//! - what each message cost, both sides together (they share this process;
//!   `bench_cost.rs`): CPU ms, fsyncs (store group commits) of the server's and the
//!   client's store, read/write-class syscalls, and the retransmissions the server
//!   received as a percentage of the messages.
//!
//! With `--request-reply` every message is an `Echo` request whose response the
//! server's application returns (on the HTTP response, with the sequence's
//! acknowledgement piggy-backed); `--pipeline N` keeps N requests in flight per
//! sequence. The latency is then the round trip of `Client::request`.
//!
//! Without `--rate`, every sequence sends as fast as its window allows: the figure that
//! matters is then the throughput, and the latencies include the queue the burst
//! builds. With `--rate N` the messages are paced at N per second in all, so the
//! latencies are those of a server that keeps up.
//!
//! It measures; it does not judge (no thresholds here).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use wsrx_crypto::{OsRandom, SecureRandom};
use wsrx_rm::wire::WireProfile;
use wsrx_runtime::client::{Client, ClientConfig};
use wsrx_runtime::echo;
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::server::{DeliveryInfo, Handler, Operation, Reply, Server, ServerConfig};
use wsrx_runtime::token::{BoxFuture, PreEstablished, TokenProvider};
use wsrx_soap::{Fault, FaultCode, SoapVersion};
use wsrx_store::KeyRing;

use super::bench_cost::{self, Reading};
use super::bench_peer;
use super::rm_common::open_store_with;

/// `wsrx bench [--sequences 1,64] [--messages N] [--payload BYTES]`
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Concurrent sequences per run, comma-separated (one run each).
    #[arg(long, default_value = "1,64", value_delimiter = ',')]
    sequences: Vec<usize>,
    /// Messages per run, spread evenly over its sequences.
    #[arg(long, default_value_t = 2000)]
    messages: usize,
    /// Payload size in bytes (the text of the echo body).
    #[arg(long, default_value_t = 1024)]
    payload: usize,
    /// Offered load in messages per second over all sequences (0: as fast as the send
    /// window allows, which measures throughput; a rate below it measures latency
    /// without a queue of its own making).
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Send `Echo` requests and wait for their responses instead of one-way messages.
    #[arg(long)]
    request_reply: bool,
    /// Requests in flight per sequence with `--request-reply`.
    #[arg(long, default_value_t = 1)]
    pipeline: usize,
    /// Also run this peer's own echo client against its own server in the same
    /// invocation, and print each run's rate as a multiple of the peer's.
    #[arg(long, value_enum)]
    peer: Option<Peer>,
    /// Where the gSOAP peers are (`rm_server`, `rm_client`; built by
    /// `interop/build.sh gsoap`).
    #[arg(long, default_value = bench_peer::DEFAULT_BIN)]
    gsoap_bin: PathBuf,
}

/// A foreign stack to compare with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Peer {
    /// gSOAP's WS-RM echo client and server (`interop/gsoap`).
    Gsoap,
}

/// When each message was submitted, and when it arrived.
#[derive(Default)]
struct Timings {
    submitted: HashMap<String, Instant>,
    delivery: Vec<Duration>,
    last_delivery: Option<Instant>,
    unexpected: usize,
}

/// The application behind the benchmark server: records the arrival time.
#[derive(Clone)]
struct Recorder(Arc<Mutex<Timings>>);

impl Recorder {
    /// Notes the arrival of the message whose text is in `payload`.
    fn arrived(&self, payload: &str) -> Option<String> {
        let now = Instant::now();
        let text = echo::text_of(payload);
        let key = text
            .as_deref()
            .and_then(|t| t.split_once('|').map(|(k, _)| k.to_owned()));
        if let Ok(mut t) = self.0.lock() {
            match key.and_then(|k| t.submitted.remove(&k)) {
                Some(start) => {
                    t.delivery.push(now.duration_since(start));
                    t.last_delivery = Some(now);
                }
                None => t.unexpected += 1,
            }
        }
        text
    }
}

impl Handler for Recorder {
    fn operation(&self, action: &str) -> Operation {
        if action == echo::ECHO_ACTION {
            Operation::RequestReply
        } else {
            Operation::OneWay
        }
    }

    fn one_way<'a>(&'a self, payload: String, _info: DeliveryInfo) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.arrived(&payload);
        })
    }

    fn request<'a>(
        &'a self,
        payload: String,
        _info: DeliveryInfo,
    ) -> BoxFuture<'a, Result<Reply, Fault>> {
        Box::pin(async move {
            match self.arrived(&payload) {
                Some(text) => Ok(Reply {
                    action: echo::ECHO_RESPONSE_ACTION.to_owned(),
                    payload: echo::response_body(&text),
                }),
                None => Err(Fault::new(FaultCode::Sender, "not an Echo request")),
            }
        })
    }
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.sequences.iter().all(|&s| s > 0),
        "--sequences must be positive"
    );
    anyhow::ensure!(args.messages > 0, "--messages must be positive");
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let limit = Duration::from_secs(args.timeout);
    rt.block_on(async move {
        tokio::time::timeout(limit, bench(args))
            .await
            .context("the benchmark timed out")?
    })
}

fn random_hex(n: usize) -> anyhow::Result<String> {
    let mut b = vec![0u8; n];
    OsRandom
        .fill_nonce(&mut b)
        .context("randomness unavailable")?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

async fn bench(args: Args) -> anyhow::Result<ExitCode> {
    let dir = TempDir(std::env::temp_dir().join(format!("wsrx-bench-{}", random_hex(6)?)));
    std::fs::create_dir_all(&dir.0).context("cannot create a temporary directory")?;
    let ring = || -> anyhow::Result<KeyRing> {
        Ok(KeyRing::new(OsRandom.generate_key(wsrx_store::KEK_LEN)?)?)
    };
    let server_store = open_store_with(&dir.0.join("server.db"), ring()?)?;
    let client_store = open_store_with(&dir.0.join("client.db"), ring()?)?;
    let sct_id = format!("urn:uuid:{}", uuid_like()?);
    let secret = OsRandom.generate_key(32)?;
    let tokens: Arc<dyn TokenProvider> = Arc::new(PreEstablished::new(&sct_id, secret));

    let timings = Arc::new(Mutex::new(Timings::default()));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let mut config = ServerConfig {
        endpoint: url.clone(),
        ..ServerConfig::default()
    };
    config.destination.max_open_sequences = args.sequences.iter().sum::<usize>() + 16;
    // One token opens every sequence of the benchmark.
    config.destination.max_open_sequences_per_identity = config.destination.max_open_sequences;
    config.destination.max_pending_per_identity = usize::MAX;
    config.destination.max_pending = usize::MAX;
    let server = Server::start(
        config,
        server_store.clone(),
        Arc::clone(&tokens),
        Arc::new(Recorder(Arc::clone(&timings))),
        None,
    )
    .await?;
    let limits = HttpLimits {
        max_concurrency: 4096,
        ..HttpLimits::default()
    };
    let serving = http::serve_on(listener, server.clone(), &limits)?;

    println!(
        "wsrx bench: {} with {} B payloads over loopback HTTP; SOAP 1.2, WS-RM 1.1; \
         every message signed with keys derived from one SCT; SQLite stores (synchronous=FULL) on both sides",
        if args.request_reply {
            format!(
                "request-reply echo, {} in flight per sequence",
                args.pipeline.max(1)
            )
        } else {
            "one-way messages".to_owned()
        },
        args.payload
    );
    if args.rate > 0 {
        println!("offered load: {} messages/s over all sequences", args.rate);
    }
    println!(
        "{:>9} {:>9} {:>9} {:>10}   {:<38} {:<20} {}",
        "sequences",
        "messages",
        "seconds",
        "msg/s",
        "delivery latency ms p50/p90/p99/max",
        "store ms p50/p99",
        bench_cost::HEADER
    );
    let mut ok = true;
    let mut rates = Vec::with_capacity(args.sequences.len());
    for (run, &sequences) in args.sequences.iter().enumerate() {
        let report = one_run(
            run,
            sequences,
            &args,
            &url,
            (&server_store, &client_store),
            &tokens,
            &timings,
        )
        .await?;
        println!("{report}");
        rates.push((sequences, report.rate()));
        ok &= report.complete();
    }
    server.stop();
    serving.shutdown().await?;
    if args.peer == Some(Peer::Gsoap) {
        let (bin, n) = (args.gsoap_bin.clone(), args.messages);
        let peer = tokio::task::spawn_blocking(move || bench_peer::gsoap_echo(&bin, n))
            .await
            .context("the gSOAP run failed")??;
        println!("{peer}");
        let what = if args.request_reply {
            "wsrx request-reply echo"
        } else {
            "wsrx one-way"
        };
        for (sequences, rate) in rates {
            println!(
                "{what}, {sequences} sequence(s): {rate:.0} msg/s = {:.2} x gSOAP's echo",
                rate / peer.rate().max(f64::MIN_POSITIVE)
            );
        }
    }
    if ok {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("wsrx bench: some messages were not delivered exactly once");
        Ok(ExitCode::from(1))
    }
}

/// A random UUID (version 4 layout) for the benchmark's SCT.
fn uuid_like() -> anyhow::Result<String> {
    let h = random_hex(16)?;
    let p = |a: usize, b: usize| h.get(a..b).unwrap_or("0");
    Ok(format!(
        "{}-{}-4{}-8{}-{}",
        p(0, 8),
        p(8, 12),
        p(13, 16),
        p(17, 20),
        p(20, 32)
    ))
}

/// Sends `n` Echo requests on `client` (sequence `i` of run `run`), `pipeline` at a
/// time, each checked against its response; returns how long each took.
async fn requests(
    client: Client<wsrx_store::SqliteBackend>,
    timings: Arc<Mutex<Timings>>,
    (run, i, n): (usize, usize, usize),
    pipeline: usize,
    padding: String,
) -> Result<Vec<Duration>, wsrx_runtime::RuntimeError> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut lanes = Vec::with_capacity(pipeline);
    for _ in 0..pipeline {
        let (client, timings, next, padding) = (
            client.clone(),
            Arc::clone(&timings),
            Arc::clone(&next),
            padding.clone(),
        );
        lanes.push(tokio::spawn(async move {
            let mut took = Vec::new();
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if k >= n {
                    return Ok::<_, wsrx_runtime::RuntimeError>(took);
                }
                let key = format!("{run}.{i}.{k}");
                let text = format!("{key}|{padding}");
                let t0 = Instant::now();
                if let Ok(mut t) = timings.lock() {
                    t.submitted.insert(key, t0);
                }
                let response = client
                    .request(echo::ECHO_ACTION, &echo::body(&text))
                    .await?;
                if echo::text_of(&response).as_deref() != Some(text.as_str()) {
                    return Err(wsrx_runtime::RuntimeError::Peer(format!(
                        "response to {run}.{i}.{k} does not echo its request"
                    )));
                }
                took.push(t0.elapsed());
            }
        }));
    }
    let mut took = Vec::with_capacity(n);
    for lane in lanes {
        took.extend(
            lane.await
                .map_err(|e| wsrx_runtime::RuntimeError::Io(e.to_string()))??,
        );
    }
    client.flush().await?;
    Ok(took)
}

/// The benchmark's stores.
type Stores = wsrx_runtime::persist::Persistence<wsrx_store::SqliteBackend>;

struct Report {
    sequences: usize,
    sent: usize,
    delivered: usize,
    unexpected: usize,
    elapsed: Duration,
    delivery: Vec<Duration>,
    store: Vec<Duration>,
    cost: bench_cost::Cost,
}

impl Report {
    fn complete(&self) -> bool {
        self.delivered == self.sent && self.unexpected == 0
    }

    /// Messages handed to the application per second.
    fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.delivered as f64 / secs
        } else {
            0.0
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted
        .get(rank.min(sorted.len() - 1))
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = self.delivery.clone();
        d.sort_unstable();
        let mut s = self.store.clone();
        s.sort_unstable();
        let secs = self.elapsed.as_secs_f64();
        let rate = self.rate();
        let lat = format!(
            "{:.1}/{:.1}/{:.1}/{:.1}",
            percentile(&d, 50.0),
            percentile(&d, 90.0),
            percentile(&d, 99.0),
            percentile(&d, 100.0)
        );
        let st = format!("{:.2}/{:.2}", percentile(&s, 50.0), percentile(&s, 99.0));
        write!(
            f,
            "{:>9} {:>9} {:>9.2} {:>10.0}   {:<38} {:<20} {}",
            self.sequences, self.delivered, secs, rate, lat, st, self.cost
        )?;
        if !self.complete() {
            write!(
                f,
                "  INCOMPLETE: {} of {} delivered, {} unexpected",
                self.delivered, self.sent, self.unexpected
            )?;
        }
        Ok(())
    }
}

async fn one_run(
    run: usize,
    sequences: usize,
    args: &Args,
    url: &str,
    (server_store, store): (&Stores, &Stores),
    tokens: &Arc<dyn TokenProvider>,
    timings: &Arc<Mutex<Timings>>,
) -> anyhow::Result<Report> {
    let reading = || {
        Reading::now(
            server_store.store().backend().stats().groups,
            store.store().backend().stats().groups,
            wsrx_runtime::metrics::retransmissions_received_total(),
        )
    };
    if let Ok(mut t) = timings.lock() {
        *t = Timings::default();
    }
    // Open every sequence first: the measurement covers the messages, not the creates.
    // The sequences share one HTTP connection pool, as one sender process would.
    let http = http::HttpClient::new(Duration::from_secs(30))?;
    let mut clients = Vec::with_capacity(sequences);
    for i in 0..sequences {
        let mut config = ClientConfig::new(format!("{url}bench/{run}/{i}"));
        config.soap = SoapVersion::V12;
        config.profile = WireProfile::Rm11;
        config.http = Some(http.clone());
        config.source.retransmission.base = Duration::from_millis(500);
        let client = Client::start(config, store.clone(), Arc::clone(tokens), None).await?;
        clients.push(client);
    }
    for c in &clients {
        c.created().await?;
    }
    let per = args.messages / sequences;
    let extra = args.messages % sequences;
    let padding = "x".repeat(args.payload);
    let before = reading();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(sequences);
    for (i, client) in clients.iter().enumerate() {
        let n = per + usize::from(i < extra);
        let client = client.clone();
        let timings = Arc::clone(timings);
        let padding = padding.clone();
        // Each sequence paces itself at its share of the rate, starting at a spread-out
        // offset so the sequences do not send in lockstep.
        let period =
            (args.rate > 0).then(|| Duration::from_secs_f64(sequences as f64 / args.rate as f64));
        if args.request_reply {
            tasks.push(tokio::spawn(requests(
                client,
                Arc::clone(&timings),
                (run, i, n),
                args.pipeline.max(1),
                padding,
            )));
            continue;
        }
        tasks.push(tokio::spawn(async move {
            let mut store_latency = Vec::with_capacity(n);
            let mut ticks = period.map(|p| {
                let offset = p.mul_f64(i as f64 / sequences as f64);
                tokio::time::interval_at(tokio::time::Instant::now() + offset, p)
            });
            for k in 0..n {
                if let Some(t) = ticks.as_mut() {
                    t.tick().await;
                }
                let key = format!("{run}.{i}.{k}");
                let body = echo::body(&format!("{key}|{padding}"));
                let t0 = Instant::now();
                if let Ok(mut t) = timings.lock() {
                    t.submitted.insert(key, t0);
                }
                client.send(echo::NOTIFY_ACTION, &body).await?;
                store_latency.push(t0.elapsed());
            }
            client.flush().await?;
            Ok::<_, wsrx_runtime::RuntimeError>(store_latency)
        }));
    }
    let mut store_latency = Vec::new();
    for t in tasks {
        store_latency.extend(t.await.context("a sender task failed")??);
    }
    // Every message is acknowledged, so it is durably recorded at the server; wait for
    // the application to have seen them all (delivery follows the record).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (pending, last) = timings
            .lock()
            .map(|t| (t.submitted.len(), t.last_delivery))
            .unwrap_or((0, None));
        if pending == 0 || Instant::now() > deadline {
            let elapsed = last.unwrap_or_else(Instant::now).duration_since(started);
            let after = reading();
            for c in &clients {
                c.close().await?;
                c.terminate().await?;
                c.shutdown();
            }
            let (delivery, unexpected) = timings
                .lock()
                .map(|t| (t.delivery.clone(), t.unexpected))
                .unwrap_or_default();
            return Ok(Report {
                sequences,
                sent: args.messages,
                cost: after.per_message(&before, delivery.len()),
                delivered: delivery.len(),
                unexpected,
                elapsed,
                delivery,
                store: store_latency,
            });
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
