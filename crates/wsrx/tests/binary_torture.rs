//! SIGKILL torture of the real binaries (issue 6, "Done when"): `wsrx serve
//! --delivery-log` and `wsrx send --count M` run as separate processes with separate
//! SQLite stores over HTTP on loopback; one side or the other is killed with SIGKILL at
//! a random point at least 50 times and restarted each time (the sender resumes its
//! sequence from its store, the server its destination and inbox from its own), until
//! the stream completes. The receiving application's log must then show every number
//! 1..M exactly once, in order, in one sequence, every line bound to the same SCT.
//!
//! The SCT is established through WS-Trust (`wsrx serve --x509-cert/--x509-key`, `wsrx send
//! --bootstrap x509 --server-cert`, the X.509 symmetric bootstrap over plain HTTP, so no key
//! material crosses in clear): after every restart the sender gets it back from its store (a
//! resumed life sends no RST) and the server's token service restores it from its own
//! store. The sender keeps it at the end (`--no-cancel`), for the checks below. So the
//! log's single SCT must be one the server's store holds, and the last one it issued: a
//! re-issue after the sequence existed would have left a later-expiring token there
//! (tokens issued before the sequence, when a kill interrupted the first establishment,
//! are allowed). Every sender life after the one that created the sequence must report
//! it resumed, bound to that SCT.
//!
//! acknowledged ⊆ delivered (issue 15): at every client kill, the numbers the client's
//! store records as acknowledged are read (`wsrx store show`, the client being dead);
//! every one of them must be in the delivery log at the end.
//!
//! Seeded: the seed is printed; `WSRX_SEED=<n>` replays the same kill schedule (the
//! processes' own timing still varies). The assertions are on the log only, never on
//! time. It lives in the `wsrx` crate so that Cargo builds the binary it runs
//! (`CARGO_BIN_EXE_wsrx`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wsrx_test::fixture::log::{field, numbers};
use wsrx_test::fixture::pki::write_rsa_identity;

const KILLS: usize = 50;
const MESSAGES: u64 = 2000;

/// xorshift64*: a small seeded generator (the schedule must replay from the seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Proc {
    child: Child,
}

impl Proc {
    fn kill(&mut self) {
        // std's kill is SIGKILL on Unix: no handler, no flush, no graceful anything.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn log_file(dir: &Path, name: &str) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .unwrap()
}

fn serve(dir: &Path, port: u16) -> Proc {
    let child = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--x509-cert")
        .arg(dir.join("service.pem"))
        .arg("--x509-key")
        .arg(dir.join("service.key"))
        .arg("--store")
        .arg(dir.join("server.db"))
        .arg("--keyring")
        .arg(dir.join("ring"))
        .arg("--delivery-log")
        .arg(dir.join("delivery.log"))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log_file(dir, "serve.out"))
        .stderr(log_file(dir, "serve.out"))
        .spawn()
        .unwrap();
    Proc { child }
}

fn send(dir: &Path, port: u16) -> Proc {
    use std::io::Write as _;
    writeln!(log_file(dir, "send.out"), "=== new life").unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["send", "--to", &format!("http://127.0.0.1:{port}/")])
        .args(["--count", &MESSAGES.to_string()])
        .args(["--retransmit-ms", "100", "--timeout", "120"])
        .args(["--bootstrap", "x509", "--no-cancel", "--server-cert"])
        .arg(dir.join("service.pem"))
        .arg("--store")
        .arg(dir.join("client.db"))
        .arg("--keyring")
        .arg(dir.join("ring"))
        .stdin(Stdio::null())
        .stdout(log_file(dir, "send.out"))
        .stderr(log_file(dir, "send.out"))
        .spawn()
        .unwrap();
    Proc { child }
}

fn wait_listening(port: u16) {
    for _ in 0..500 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("wsrx serve did not start listening");
}

#[test]
fn sigkill_torture_of_both_binaries_delivers_exactly_once_in_order() {
    let seed = std::env::var("WSRX_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("binary torture: WSRX_SEED={seed}");
    let mut rng = Rng(seed.max(1));
    let dir: PathBuf = std::env::temp_dir().join(format!("wsrx-torture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    write_rsa_identity(&dir, "service");
    let keys = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["keys", "generate"])
        .arg(dir.join("ring"))
        .output()
        .unwrap();
    assert!(keys.status.success(), "{keys:?}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let mut server = serve(&dir, port);
    wait_listening(port);
    let mut client = send(&dir, port);
    let (mut server_kills, mut client_kills) = (0usize, 0usize);
    let mut delivered_at_last_kill = 0;
    let mut establish_retries = 0usize;
    let mut acked_seen = std::collections::BTreeSet::new();
    let started = Instant::now();
    let outcome = loop {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the stream did not complete (seed {seed}); logs in {}",
            dir.display()
        );
        if server_kills + client_kills < KILLS {
            // A random point: 20–250 ms into the current lives of both processes.
            std::thread::sleep(Duration::from_millis(20 + rng.below(230)));
            if let Some(status) = client.child.try_wait().unwrap() {
                // A sender that could not reach the token service (the server was down
                // while it established the SCT) exits with an error before any sequence
                // exists: started again, like an operator would. Any other exit ends
                // the run.
                let out = std::fs::read_to_string(dir.join("send.out")).unwrap_or_default();
                let life = out.rsplit("=== new life").next().unwrap_or_default();
                if status.success() || life.contains("sequence ") {
                    break status;
                }
                establish_retries += 1;
                client = send(&dir, port);
                continue;
            }
            if rng.below(2) == 0 {
                server.kill();
                server_kills += 1;
                server = serve(&dir, port);
                wait_listening(port);
            } else {
                client.kill();
                client_kills += 1;
                acked_seen.extend(client_acked(&dir));
                client = send(&dir, port);
            }
        } else {
            delivered_at_last_kill =
                std::fs::read_to_string(dir.join("delivery.log")).map_or(0, |l| l.lines().count());
            break client.child.wait().unwrap();
        }
    };
    let send_out = std::fs::read_to_string(dir.join("send.out")).unwrap_or_default();
    assert!(
        outcome.success(),
        "wsrx send failed (seed {seed}): {}",
        send_out
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        server_kills + client_kills >= KILLS,
        "the stream completed after only {} kills (seed {seed})",
        server_kills + client_kills
    );
    println!(
        "binary torture: {server_kills} server and {client_kills} client SIGKILLs \
         ({delivered_at_last_kill} of {MESSAGES} delivered at the last, {establish_retries} \
         sender restarts after a failed establishment), stream complete"
    );
    server.kill();

    let log = std::fs::read_to_string(dir.join("delivery.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let numbers: Vec<u64> = lines
        .iter()
        .map(|l| field(l, "number").unwrap().parse().unwrap())
        .collect();
    let expected: Vec<u64> = (1..=MESSAGES).collect();
    assert_eq!(
        numbers, expected,
        "not every message exactly once and in order (seed {seed})"
    );
    let sequence = field(lines[0], "sequence").unwrap();
    let sct = field(lines[0], "bound_to").expect("the sequence is bound to an SCT");
    for (i, l) in lines.iter().enumerate() {
        let n = i as u64 + 1;
        assert_eq!(field(l, "sequence"), Some(sequence), "line {n}: {l}");
        assert_eq!(field(l, "bound_to"), Some(sct), "line {n}: {l}");
        assert_eq!(
            field(l, "text"),
            Some(format!("message {n} of {MESSAGES}").as_str()),
            "line {n}: {l}"
        );
    }
    // acknowledged ⊆ delivered: what the client's store ever recorded acknowledged.
    let delivered: std::collections::BTreeSet<u64> = numbers.iter().copied().collect();
    assert!(
        !acked_seen.is_empty(),
        "no acknowledgement was ever read from the client's store (seed {seed})"
    );
    let stray: Vec<&u64> = acked_seen.difference(&delivered).collect();
    assert!(
        stray.is_empty(),
        "acknowledged but never delivered: {stray:?} (seed {seed})"
    );
    println!(
        "binary torture: {} numbers read as acknowledged at client kills, all delivered",
        acked_seen.len()
    );
    // Recovered, not re-issued: every life after the creating one resumed with the SCT.
    let lives: Vec<&str> = send_out.split("=== new life").skip(1).collect();
    let created = lives
        .iter()
        .position(|l| l.contains(&format!("sequence {sequence} created, bound to SCT {sct}")))
        .expect("no life created the sequence");
    for (i, life) in lives.iter().enumerate().skip(created + 1) {
        if life.contains("sequence ") {
            assert!(
                life.contains(&format!("sequence {sequence} resumed"))
                    && life.contains(&format!("bound to SCT {sct}")),
                "life {i} did not resume the sequence with the recovered SCT: {life}"
            );
        }
    }
    // The server's store holds the SCT, and no token was issued after it.
    let tokens = server_tokens(&dir);
    let bound = tokens
        .iter()
        .find(|(id, _)| id == sct)
        .expect("the SCT is not in the server's store");
    assert!(
        tokens.iter().all(|(_, expires)| expires <= &bound.1),
        "a token was issued after the sequence's SCT: {tokens:?}"
    );
    println!(
        "binary torture: one sequence, SCT {sct} recovered by {} sender lives; {} token(s) issued in all",
        lives.len() - created - 1,
        tokens.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The numbers the (dead) client's store records as acknowledged for the sequence the
/// client created, from `wsrx store show` (none before it was created).
fn client_acked(dir: &Path) -> Vec<u64> {
    let out = std::fs::read_to_string(dir.join("send.out")).unwrap_or_default();
    let Some(id) = out
        .lines()
        .find_map(|l| {
            l.strip_prefix("sequence ")
                .filter(|r| r.contains(" created"))
        })
        .and_then(|r| r.split(' ').next())
    else {
        return Vec::new();
    };
    let shown = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["store", "--store"])
        .arg(dir.join("client.db"))
        .arg("--keyring")
        .arg(dir.join("ring"))
        .args(["show", id])
        .output()
        .unwrap();
    if !shown.status.success() {
        return Vec::new(); // not in the store (yet)
    }
    let text = String::from_utf8(shown.stdout).unwrap();
    let acked = text
        .lines()
        .find_map(|l| l.strip_prefix("acked "))
        .unwrap()
        .trim();
    numbers(acked).into_iter().collect()
}

/// The server store's tokens, from `wsrx store list`: (identifier, expiry in ms).
fn server_tokens(dir: &Path) -> Vec<(String, u64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["store", "--store"])
        .arg(dir.join("server.db"))
        .arg("--keyring")
        .arg(dir.join("ring"))
        .arg("list")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split("\nTOKEN ")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_owned(), w.next()?.parse().ok()?))
        })
        .collect()
}
