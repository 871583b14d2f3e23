//! `wsrx serve` and `wsrx store` on a PostgreSQL store (`--store postgres://…`), against a
//! throw-away server the test starts (`initdb` + `pg_ctl` on a free loopback port; the
//! tests that need it are skipped, counted, when PostgreSQL is not installed). And the
//! refusals at start (issue 21, item 6): a database that cannot be reached (non-zero exit,
//! nothing listening), a schema from a newer wsrx, a node id already running (and, for now,
//! any second serving node: active/passive), a password in the URL, a shared store without
//! an explicit key ring; a database lost while serving.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use wsrx_test::fixture::cli::free_port;

/// A `wsrx serve` child, killed and reaped when dropped (the nodes here are started,
/// stopped and signalled one by one, so the fixture's `Serve` banner handling is not used).
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dir/ring`, made by `wsrx keys generate`.
fn keyring(dir: &Path) -> PathBuf {
    let ring = dir.join("ring");
    let made = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["keys", "generate"])
        .arg(&ring)
        .output()
        .unwrap();
    assert!(made.status.success(), "wsrx keys generate failed");
    ring
}
use wsrx_peers::postgres::TempPostgres;

const SCT: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsrx-cli-pg-{name}-{}", std::process::id()));
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

fn serve_cmd(url: &str, ring: &Path, port: u16, node: &str) -> Command {
    let mut cmd = wsrx();
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--store", url, "--keyring"])
        .arg(ring)
        .args(["--node-id", node, "--sct-id", SCT, "--sct-secret", SECRET]);
    cmd
}

/// Starts `wsrx serve` and waits for its "listening" line; returns it with what it said on
/// stderr before that line.
fn spawn_serve(cmd: Command) -> (Serve, String) {
    let (serve, said, _) = spawn_serve_rx(cmd);
    (serve, said)
}

/// As [`spawn_serve`], with the rest of its stderr lines to come.
fn spawn_serve_rx(mut cmd: Command) -> (Serve, String, std::sync::mpsc::Receiver<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let serve = Serve(child);
    let said: Vec<String> = rx.try_iter().collect();
    assert!(
        line.contains("listening on"),
        "serve did not start: {line}{said:?}"
    );
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (serve, said.join("\n"), rx)
}

/// Runs a `wsrx serve` that must refuse to start; returns what it said.
fn refused(mut cmd: Command, port: u16) -> String {
    let out = cmd.output().unwrap();
    let said = text(&out);
    assert!(!out.status.success(), "serve started: {said}");
    assert!(!said.contains("listening on"), "{said}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "something listens on {port} after a refused start"
    );
    said
}

#[test]
fn serve_keeps_its_state_in_postgres_and_a_standby_takes_over_its_sequence() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("wsrx");
    let url = pg.url("wsrx");
    let dir = scratch("serve");
    let ring = keyring(&dir);
    let port = free_port();
    let (server, said) = spawn_serve(serve_cmd(&url, &ring, port, "node-a"));
    // The version the node migrated the empty database to, as the database records it.
    let version = pg.psql("wsrx", "SELECT max(version) FROM schema_version");
    let version = version.trim();
    assert!(version.parse::<u32>().unwrap() >= 2, "{version}");
    assert!(
        said.contains(&format!("(PostgreSQL, schema version {version})")),
        "{said}"
    );
    assert!(said.contains("node id node-a"), "{said}");

    let send = |port: u16, count: &str| {
        wsrx()
            .args([
                "send",
                "--to",
                &format!("http://127.0.0.1:{port}/"),
                "--count",
                count,
            ])
            .args(["--timeout", "30", "--sct-id", SCT, "--sct-secret", SECRET])
            // Left open, so that the server's sequence stays in the store.
            .arg("--no-terminate")
            .arg("--store")
            .arg(dir.join("client.db"))
            .arg("--keyring")
            .arg(&ring)
            .output()
            .unwrap()
    };
    let out = send(port, "3");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("all 3 messages acknowledged"),
        "{}",
        text(&out)
    );

    // Another node with the same id is refused while the first runs, and so is another
    // id: one node serves a store at a time.
    let other = free_port();
    let said = refused(serve_cmd(&url, &ring, other, "node-a"), other);
    assert!(said.contains("node id node-a is in use"), "{said}");
    let said = refused(serve_cmd(&url, &ring, other, "node-b"), other);
    assert!(
        said.contains("another node serves this store (node-a"),
        "{said}"
    );
    // The standby takes over once the first node stops, with the sequence it left open:
    // the client resumes it there (messages 4 and 5 on the same sequence), at the same
    // address (as behind a load balancer or a moved service address).
    drop(server);
    let (server, said) = spawn_serve(serve_cmd(&url, &ring, port, "node-b"));
    assert!(said.contains("node id node-b"), "{said}");
    let out = send(port, "5");
    assert!(
        text(&out).contains("all 5 messages acknowledged"),
        "{}",
        text(&out)
    );
    // A service manager's stop (SIGTERM) drains and exits 0 (a signal death has no code).
    let mut server = server;
    let pid = rustix::process::Pid::from_raw(i32::try_from(server.0.id()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    assert_eq!(server.0.wait().unwrap().code(), Some(0));

    // The store commands read the shared store; the rows hold no message text in clear.
    let out = wsrx()
        .args(["store", "--store", &url, "--keyring"])
        .arg(&ring)
        .arg("list")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let listed = text(&out);
    let destination = listed
        .lines()
        .find(|l| l.contains("destination"))
        .unwrap_or_else(|| panic!("no destination sequence: {listed}"));
    // One sequence, five delivered (the last column): three by node-a, two by node-b.
    assert!(destination.trim_end().ends_with(" 5"), "{listed}");
    assert_eq!(
        listed.lines().filter(|l| l.contains("destination")).count(),
        1,
        "{listed}"
    );
    let clear = pg.psql(
        "wsrx",
        "SELECT count(*) FROM records r FULL JOIN payloads p ON false \
         WHERE position('message'::bytea in coalesce(r.blob, p.blob)) > 0",
    );
    assert_eq!(clear.trim(), "0");
    assert_eq!(
        pg.psql("wsrx", "SELECT count(*) > 0 FROM records").trim(),
        "t"
    );
    let out = wsrx()
        .args(["store", "--store", &url, "migrate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let version = pg.psql("wsrx", "SELECT max(version) FROM schema_version");
    assert!(
        text(&out).contains(&format!("schema version {}", version.trim())),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_database_from_a_newer_wsrx_is_refused() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("newer");
    let url = pg.url("newer");
    let out = wsrx()
        .args(["store", "--store", &url, "migrate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let supported = pg.psql("newer", "SELECT max(version) FROM schema_version");
    let supported = supported.trim().to_owned();
    let newer = supported.parse::<u32>().unwrap() + 5;
    pg.psql(
        "newer",
        &format!("UPDATE schema_version SET version = {newer}"),
    );
    let dir = scratch("newer");
    let ring = keyring(&dir);
    let port = free_port();
    let said = refused(serve_cmd(&url, &ring, port, "n"), port);
    assert!(
        said.contains(&format!(
            "store schema version {newer} is newer than this wsrx supports ({supported})"
        )),
        "{said}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unreachable_database_stops_the_start_with_a_clear_error() {
    let dir = scratch("unreachable");
    let ring = keyring(&dir);
    let db_port = free_port();
    let url = format!("postgres://wsrx@127.0.0.1:{db_port}/wsrx?sslmode=disable");
    let port = free_port();
    let said = refused(serve_cmd(&url, &ring, port, "n"), port);
    assert!(
        said.contains(&format!(
            "cannot reach the store at postgres://wsrx@127.0.0.1:{db_port}/wsrx"
        )),
        "{said}"
    );
    assert!(said.contains("retry later"), "{said}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shared_store_options_that_would_leak_or_split_are_refused() {
    let dir = scratch("options");
    let ring = keyring(&dir);
    let port = free_port();
    let said = refused(
        serve_cmd("postgres://wsrx:hunter2@127.0.0.1:1/wsrx", &ring, port, "n"),
        port,
    );
    assert!(said.contains("a password in the URL is refused"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
    let mut cmd = wsrx();
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--store", "postgres://wsrx@127.0.0.1:1/wsrx"])
        .args(["--sct-id", SCT, "--sct-secret", SECRET]);
    let said = refused(cmd, port);
    assert!(
        said.contains("give its key ring with --keyring FILE"),
        "{said}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_database_lost_while_serving_acknowledges_nothing_and_the_node_restarts_clean() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("lost");
    let url = pg.url("lost");
    let dir = scratch("lost");
    let ring = keyring(&dir);
    let port = free_port();
    let send = |count: &str, timeout: &str, client: &str| {
        wsrx()
            .args([
                "send",
                "--to",
                &format!("http://127.0.0.1:{port}/"),
                "--count",
                count,
            ])
            .args([
                "--timeout",
                timeout,
                "--sct-id",
                SCT,
                "--sct-secret",
                SECRET,
            ])
            .arg("--no-terminate")
            .arg("--store")
            .arg(dir.join(client))
            .arg("--keyring")
            .arg(&ring)
            .output()
            .unwrap()
    };
    let (mut server, _, stderr) = spawn_serve_rx(serve_cmd(&url, &ring, port, "node-a"));
    let out = send("2", "30", "before.db");
    assert!(
        text(&out).contains("all 2 messages acknowledged"),
        "{}",
        text(&out)
    );

    pg.stop();
    let out = send("1", "5", "during.db");
    assert!(
        !out.status.success(),
        "acknowledged without a database: {}",
        text(&out)
    );
    // The node stops by itself (its memory ran ahead of the store) with EX_TEMPFAIL.
    let status = server.0.wait().unwrap();
    let said: Vec<String> = stderr.try_iter().collect();
    assert_eq!(status.code(), Some(75), "{said:?}");
    assert!(
        said.iter().any(|l| l.contains("a store commit failed")),
        "{said:?}"
    );

    pg.restart();
    let (server, _) = spawn_serve(serve_cmd(&url, &ring, port, "node-a"));
    let out = send("2", "30", "after.db");
    assert!(
        text(&out).contains("all 2 messages acknowledged"),
        "{}",
        text(&out)
    );
    drop(server);
    let out = wsrx()
        .args(["store", "--store", &url, "--keyring"])
        .arg(&ring)
        .arg("list")
        .output()
        .unwrap();
    let listed = text(&out);
    let delivered: Vec<&str> = listed
        .lines()
        .filter(|l| l.contains("destination"))
        .map(|l| l.split_whitespace().last().unwrap_or(""))
        .collect();
    // Two sequences with two messages each; the one begun during the outage left nothing.
    assert_eq!(delivered, ["2", "2"], "{listed}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `service.pem`/`service.key` in `dir`: a fresh RSA key and a self-signed certificate,
/// the token service's identity for the X.509 bootstrap.
fn identity(dir: &Path) {
    let key = wsrx_crypto::RsaPrivateKey::generate(2048, &mut wsrx_crypto::OsRandom).unwrap();
    let der = key.to_pkcs8_der().unwrap();
    let pair = rcgen::KeyPair::try_from(der.expose_secret()).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&pair)
        .unwrap();
    std::fs::write(dir.join("service.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("service.key"), pair.serialize_pem()).unwrap();
}

#[test]
fn a_context_issued_before_a_takeover_is_cancelled_through_the_other_node() {
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    pg.create_db("trust");
    let url = pg.url("trust");
    let dir = scratch("trust");
    identity(&dir);
    let ring = keyring(&dir);
    let port = free_port();
    let node = |id: &str| {
        let mut cmd = wsrx();
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--store", &url, "--keyring"])
            .arg(&ring)
            .args(["--node-id", id])
            .arg("--x509-cert")
            .arg(dir.join("service.pem"))
            .arg("--x509-key")
            .arg(dir.join("service.key"));
        spawn_serve(cmd).0
    };
    let send = |count: &str, extra: &[&str]| {
        let out = wsrx()
            .args(["send", "--to", &format!("http://127.0.0.1:{port}/rm")])
            .args(["--count", count, "--timeout", "30", "--bootstrap", "x509"])
            .arg("--server-cert")
            .arg(dir.join("service.pem"))
            .args(extra)
            .arg("--store")
            .arg(dir.join("client.db"))
            .arg("--keyring")
            .arg(&ring)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let server = node("node-a");
    let said = send("2", &["--no-cancel", "--no-terminate"]);
    let at = said.find("bound to SCT ").unwrap() + "bound to SCT ".len();
    let sct = said[at..].split_whitespace().next().unwrap().to_owned();
    assert_eq!(
        pg.psql(
            "trust",
            &format!("SELECT count(*) FROM tokens WHERE identifier = '{sct}'")
        )
        .trim(),
        "1",
        "the issued context is in the shared store"
    );
    drop(server);
    // node-b takes over: the client resumes under the same context (no new RST) and
    // Cancels it at the end, through node-b, which restored it from the store.
    let server = node("node-b");
    let said = send("3", &[]);
    assert!(said.contains("all 3 messages acknowledged"), "{said}");
    assert!(said.contains("security context cancelled (1)"), "{said}");
    drop(server);
    assert_eq!(
        pg.psql(
            "trust",
            &format!("SELECT count(*) FROM tokens WHERE identifier = '{sct}'")
        )
        .trim(),
        "0",
        "the cancelled context is gone from the shared store"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
