//! A node's life cycle (issue 21, item 3), over real HTTP with real signals, on both
//! store backends: `GET /health` (live) and `GET /ready` (started, store answering) on
//! the serve listener; SIGTERM and SIGINT drain and exit 0 with the state committed (a
//! restarted node resumes the open sequence where it was); a PostgreSQL node whose
//! database goes away is live but not ready.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use wsrx_peers::postgres::TempPostgres;
use wsrx_test::fixture::cli::free_port;

const SCT: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";

/// A `wsrx serve` child, killed and reaped when dropped.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Serve {
    /// Sends `signal` and returns the exit status.
    fn signal_and_wait(mut self, signal: rustix::process::Signal) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_raw(i32::try_from(self.0.id()).unwrap()).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
        self.0.wait().unwrap()
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsrx-life-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wsrx() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsrx"));
    cmd.env_remove("WSRX_KEYRING")
        .env_remove("WSRX_STORE_PASSWORD")
        .env_remove("WSRX_STORE_PASSWORD_FILE");
    cmd
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn keyring(dir: &Path) -> PathBuf {
    let ring = dir.join("ring");
    let made = wsrx()
        .args(["keys", "generate"])
        .arg(&ring)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    ring
}

/// `wsrx serve` on `port` with `store` (a path or a URL), started and listening.
fn serve(store: &str, ring: &Path, port: u16, node: &str) -> Serve {
    let mut child = wsrx()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--store", store, "--keyring"])
        .arg(ring)
        .args(["--node-id", node, "--sct-id", SCT, "--sct-secret", SECRET])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let serve = Serve(child);
    assert!(line.contains("listening on"), "serve did not start: {line}");
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    serve
}

/// `GET path` on the node: the status and the body.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// `wsrx send --count count` on one sequence the client keeps open in `dir/client.db`.
fn send(dir: &Path, port: u16, count: &str) -> String {
    let out = wsrx()
        .args(["send", "--to", &format!("http://127.0.0.1:{port}/")])
        .args(["--count", count, "--timeout", "30"])
        .args(["--sct-id", SCT, "--sct-secret", SECRET, "--no-terminate"])
        .arg("--store")
        .arg(dir.join("client.db"))
        .arg("--keyring")
        .arg(dir.join("ring"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

/// The destination line of `wsrx store list`: its last column is the count delivered.
fn delivered(store: &str, ring: &Path) -> String {
    let out = wsrx()
        .args(["store", "--store", store, "--keyring"])
        .arg(ring)
        .arg("list")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let listed = text(&out);
    listed
        .lines()
        .find(|l| l.contains("destination"))
        .unwrap_or_else(|| panic!("no destination sequence: {listed}"))
        .trim_end()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Both probes, then SIGTERM and SIGINT: each drains and exits 0, and what was
/// acknowledged before the signal is there after the restart.
fn life_cycle(store: &str, dir: &Path) {
    let ring = dir.join("ring");
    let port = free_port();
    let node = serve(store, &ring, port, "node-a");
    assert_eq!(get(port, "/health"), (200, "live\n".to_owned()));
    assert_eq!(get(port, "/ready"), (200, "ready\n".to_owned()));
    let said = send(dir, port, "3");
    assert!(said.contains("all 3 messages acknowledged"), "{said}");
    // A service manager's stop.
    // Exit code 0: drained (a death by the signal would have no code).
    let status = node.signal_and_wait(rustix::process::Signal::TERM);
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_eq!(delivered(store, &ring), "3");
    // Restarted: the client's open sequence goes on where it was (messages 4 and 5).
    let node = serve(store, &ring, port, "node-a");
    assert_eq!(get(port, "/ready").0, 200);
    let said = send(dir, port, "5");
    assert!(said.contains("all 5 messages acknowledged"), "{said}");
    // Ctrl-C.
    let status = node.signal_and_wait(rustix::process::Signal::INT);
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_eq!(delivered(store, &ring), "5");
}

#[test]
fn a_sqlite_node_answers_its_probes_and_drains_on_sigterm_and_sigint() {
    let dir = scratch("sqlite");
    keyring(&dir);
    let store = dir.join("server.db");
    life_cycle(store.to_str().unwrap(), &dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_postgres_node_answers_its_probes_drains_and_is_not_ready_without_its_database() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("life");
    let url = pg.url("life");
    let dir = scratch("postgres");
    let ring = keyring(&dir);
    life_cycle(&url, &dir);
    // The database goes away: the node is still live, no longer ready (with the reason),
    // so a load balancer stops sending it traffic.
    let port = free_port();
    let _node = serve(&url, &ring, port, "node-b");
    assert_eq!(get(port, "/ready").0, 200);
    pg.stop();
    assert_eq!(get(port, "/health").0, 200);
    let (status, body) = get(port, "/ready");
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("not ready: "), "{body}");
    assert!(!body.contains(SECRET), "{body}");
    std::fs::remove_dir_all(&dir).unwrap();
}
