//! The outbound sidecar (`wsrx proxy`, issue 22 item 2) with the real binaries: a Python
//! client (`tests/backend/proxy_client.py`, urllib only) POSTs plain SOAP 1.1 envelopes
//! through `wsrx proxy` to `wsrx serve` (the echo service with its delivery log), while the
//! proxy is SIGKILLed and restarted mid-stream at seeded points. Nothing is lost: every
//! message the proxy answered 202 for is in the delivery log under the sequence and number
//! it was given, every text is delivered, a text comes twice only when a kill took the 202
//! of a stored message (the client then sent it again: at most one per kill), and
//! `GET /status/<seq>/<n>` ends `acknowledged` for each. A request through the proxy gets
//! the service's response in a SOAP 1.1 envelope.
//!
//! Seeded: `WSRX_SEED=<n>` replays the kill points. No assertion is on time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use wsrx_test::fixture::cli::{Spawned as Proc, Workdir, free_port};
use wsrx_test::fixture::log::field;

const SCT: &str = "urn:uuid:3f0d6c8e-2a41-4f5b-b0c7-9e8d7a6b5c41";
const SECRET: &str = "cHJveHktdGVzdC1zZWN1cmUtY29udmVyc2F0aW9uLWtleQ==";
const BIN: &str = env!("CARGO_BIN_EXE_wsrx");
const MESSAGES: u64 = 60;
const KILLS: usize = 5;

fn append(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

/// Spawns a `wsrx` command and waits for its first stdout line to contain `ready`.
fn spawn(dir: &Path, args: &[&str], extra: &[&Path], ready: &str, log: &str) -> Proc {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for p in extra {
        cmd.arg(p);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(append(&dir.join(log)))
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains(ready), "{line}");
    Proc(child)
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

#[test]
fn a_python_client_through_a_killed_proxy_loses_nothing() {
    let seed: u64 = std::env::var("WSRX_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("proxy kills: WSRX_SEED={seed}");
    let mut rng = Rng(seed.max(1));
    let work = Workdir::new(BIN, "proxy");
    let (dir, ring): (PathBuf, PathBuf) = (work.dir.clone(), work.ring.clone());
    let (serve_port, proxy_port) = (free_port(), free_port());
    let serve_listen = format!("127.0.0.1:{serve_port}");
    let _serve = spawn(
        &dir,
        &[
            "serve",
            "--listen",
            &serve_listen,
            "--sct-id",
            SCT,
            "--sct-secret",
            SECRET,
            "--store",
        ],
        &[
            &dir.join("server.db"),
            Path::new("--keyring"),
            &ring,
            Path::new("--delivery-log"),
            &dir.join("delivery.log"),
        ],
        "listening",
        "serve.err",
    );
    let to = format!("http://{serve_listen}/rm");
    let proxy_listen = format!("127.0.0.1:{proxy_port}");
    let proxy = || {
        spawn(
            &dir,
            &[
                "proxy",
                "--listen",
                &proxy_listen,
                "--to",
                &to,
                "--sct-id",
                SCT,
                "--sct-secret",
                SECRET,
                "--soap",
                "1.1",
                "--retransmit-ms",
                "100",
                "--request-action",
                "urn:example:echo/Echo",
                "--store",
            ],
            &[&dir.join("proxy.db"), Path::new("--keyring"), &ring],
            "listening",
            "proxy.err",
        )
    };
    let mut running = proxy();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/backend/proxy_client.py");
    let out = dir.join("client.jsonl");
    let mut client: Child = Command::new("python3")
        .arg(&script)
        .arg(format!("http://{proxy_listen}"))
        .arg(MESSAGES.to_string())
        .arg(&out)
        .stdin(Stdio::null())
        .spawn()
        .expect("python3 runs the client");
    let mut kills = 0;
    while kills < KILLS {
        std::thread::sleep(Duration::from_millis(100 + rng.below(400)));
        if client.try_wait().unwrap().is_some() {
            break;
        }
        drop(running); // SIGKILL
        kills += 1;
        running = proxy();
    }
    let status = client.wait().unwrap();
    assert!(
        status.success(),
        "the Python client failed (seed {seed}); logs in {}",
        dir.display()
    );
    drop(running);

    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sent: Vec<&Value> = lines.iter().filter(|v| v["kind"] == "sent").collect();
    assert_eq!(sent.len() as u64, MESSAGES);
    // The delivery log: (sequence, number) → text.
    let log = std::fs::read_to_string(dir.join("delivery.log")).unwrap();
    let delivered: BTreeMap<(String, u64), String> = log
        .lines()
        .map(|l| {
            (
                (
                    field(l, "sequence").unwrap().to_owned(),
                    field(l, "number").unwrap().parse().unwrap(),
                ),
                field(l, "text").unwrap().to_owned(),
            )
        })
        .collect();
    for v in &sent {
        let key = (
            v["sequence"].as_str().unwrap().to_owned(),
            v["number"].as_u64().unwrap(),
        );
        assert_eq!(
            delivered.get(&key).map(String::as_str),
            v["text"].as_str(),
            "a 202 for {key:?} without that delivery (seed {seed})"
        );
    }
    let mut texts: BTreeMap<&str, usize> = BTreeMap::new();
    for t in delivered.values() {
        *texts.entry(t.as_str()).or_default() += 1;
    }
    for i in 1..=MESSAGES {
        assert!(
            texts.contains_key(format!("py {i}").as_str()),
            "py {i} was lost (seed {seed})"
        );
    }
    let repeats: usize = texts.values().map(|c| c - 1).sum();
    assert!(
        repeats <= kills,
        "{repeats} repeats after {kills} kills (seed {seed})"
    );
    let reply = lines.iter().find(|v| v["kind"] == "reply").unwrap();
    let body = reply["body"].as_str().unwrap();
    assert!(
        body.starts_with(
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
        ) && body.contains("py request"),
        "{body}"
    );
    let statuses: Vec<&Value> = lines.iter().filter(|v| v["kind"] == "status").collect();
    assert_eq!(statuses.len() as u64, MESSAGES);
    assert!(
        statuses.iter().all(|v| v["state"] == "acknowledged"),
        "{statuses:?}"
    );
    println!(
        "proxy kills: {kills} SIGKILLs of wsrx proxy, {MESSAGES} messages from Python all \
         delivered ({repeats} sent again after a lost 202), all acknowledged per /status"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
