//! `wsrx serve` and `wsrx send` without `--store`/`--keyring`: the state goes to the
//! user's data directory (`$XDG_DATA_HOME/wsrx`, else `~/.local/share/wsrx`; both pointed
//! at a temporary directory here), one store per role and endpoint, one key ring created on
//! first use with mode 0600 in a 0700 directory. And every refusal: a key ring or store that
//! group or others may read, a key ring that cannot be read or is not one, an explicit
//! `--keyring` that does not exist, a store without its ring, the wrong ring for a store, and
//! `serve` with no way to authenticate a client; each names the file and what to do, and
//! creates nothing.
//!
//! Limit: the tests run as root here, for whom a mode-000 file is still readable; "cannot be
//! read" is exercised with a directory where the key ring should be.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use wsrx_test::fixture::cli::{Serve, Workdir, free_port, text};

const SCT: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsrx-defaults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `wsrx` with HOME and XDG_DATA_HOME as given (None: unset), no WSRX_KEYRING.
fn wsrx(home: &Path, xdg: Option<&Path>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsrx"));
    cmd.env("HOME", home).env_remove("WSRX_KEYRING");
    match xdg {
        Some(x) => cmd.env("XDG_DATA_HOME", x),
        None => cmd.env_remove("XDG_DATA_HOME"),
    };
    cmd
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Starts `wsrx serve` with `args` and waits until it listens; its stdout is drained and
/// its stderr lines arrive on the returned channel.
fn spawn_serve(mut cmd: Command) -> (Serve, Receiver<String>) {
    let mut serve = Serve::start(cmd.stderr(Stdio::piped()));
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = BufReader::new(serve.take_stderr().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    assert!(
        serve.banner.contains("listening on"),
        "serve did not start: {}",
        serve.banner
    );
    (serve, rx)
}

/// The first stderr line containing `what` (within 10 s).
fn line_with(rx: &Receiver<String>, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(what) => return line,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!("no line with {what:?} on stderr: {seen:?}")
}

/// `wsrx serve` on a free port with the demo SCT; returns it, its port and its state line.
fn serve(home: &Path, xdg: Option<&Path>, extra: &[&str]) -> (Serve, u16, String) {
    let port = free_port();
    let mut cmd = wsrx(home, xdg);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--sct-id", SCT, "--sct-secret", SECRET])
        .args(extra);
    let (serve, rx) = spawn_serve(cmd);
    let said = line_with(&rx, "key ring");
    (serve, port, said)
}

/// `wsrx send` of 2 messages to `url` with the demo SCT and the given options.
fn send(home: &Path, xdg: Option<&Path>, url: &str, extra: &[&str]) -> Output {
    wsrx(home, xdg)
        .args(["send", "--to", url, "--count", "2", "--timeout", "30"])
        .args(["--sct-id", SCT, "--sct-secret", SECRET])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn serve_and_send_keep_their_state_in_xdg_data_home_with_a_new_private_ring() {
    let dir = scratch("xdg");
    let (home, xdg) = (dir.join("home"), dir.join("xdg"));
    let (server, port, said) = serve(&home, Some(&xdg), &[]);
    let data = xdg.join("wsrx");
    let ring = data.join("ring.keys");
    let server_db = data.join(format!("serve-127.0.0.1_{port}.db"));
    assert!(ring.is_file(), "no key ring in {}", data.display());
    assert_eq!(mode(&ring), 0o600, "key ring mode");
    assert_eq!(mode(&data), 0o700, "data directory mode");
    assert_eq!(mode(&server_db), 0o600, "store mode");
    assert!(
        said.contains(&ring.display().to_string()) && said.contains("created now"),
        "the ring's path is printed once at start: {said}"
    );
    assert!(
        !home.join(".local").exists(),
        "HOME used although XDG_DATA_HOME is set"
    );
    let ring_text = std::fs::read_to_string(&ring).unwrap();

    let url = format!("http://127.0.0.1:{port}/rm");
    let out = send(&home, Some(&xdg), &url, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let client_db = data.join(format!("send-http_127.0.0.1_{port}_rm.db"));
    assert!(client_db.is_file(), "{}", text(&out));
    assert_eq!(mode(&client_db), 0o600);
    assert!(
        text(&out).contains(&ring.display().to_string()) && !text(&out).contains("created now"),
        "send reuses the ring: {}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&ring).unwrap(),
        ring_text,
        "ring rewritten"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_xdg_data_home_the_state_goes_to_home_local_share() {
    let dir = scratch("home");
    let home = dir.join("home");
    // A relative XDG_DATA_HOME is invalid (XDG Base Directory spec) and ignored too.
    for xdg in [None, Some(Path::new("relative/xdg"))] {
        let (server, port, _) = serve(&home, xdg, &[]);
        let data = home.join(".local/share/wsrx");
        assert_eq!(mode(&data.join("ring.keys")), 0o600);
        assert!(data.join(format!("serve-127.0.0.1_{port}.db")).is_file());
        drop(server);
    }
    assert!(!Path::new("relative").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explicit_store_and_keyring_still_override_the_defaults() {
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), "defaults-explicit");
    let dir = w.dir.clone();
    let ring = w.ring.clone();
    let home = dir.join("home");
    let db = dir.join("server.db");
    let (server, _, said) = serve(
        &home,
        None,
        &[
            "--store",
            db.to_str().unwrap(),
            "--keyring",
            ring.to_str().unwrap(),
        ],
    );
    assert!(
        db.is_file() && said.contains(&db.display().to_string()),
        "{said}"
    );
    assert_eq!(mode(&db), 0o600);
    assert!(
        !home.exists(),
        "the data directory was made although both were given"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `send` to a closed port with the given options and returns its failure text.
fn refused(home: &Path, xdg: Option<&Path>, extra: &[&str]) -> String {
    let out = send(home, xdg, "http://127.0.0.1:9/rm", extra);
    assert!(!out.status.success(), "accepted: {}", text(&out));
    let t = text(&out);
    assert!(!t.contains("panicked"), "{t}");
    t
}

/// [`refused`] with `--store STORE --keyring RING`.
fn refused_with(home: &Path, xdg: Option<&Path>, store: &Path, ring: &Path) -> String {
    let (store, ring) = (store.to_str().unwrap(), ring.to_str().unwrap());
    refused(home, xdg, &["--store", store, "--keyring", ring])
}

#[test]
fn bad_key_rings_and_stores_are_refused_with_the_file_and_what_to_do() {
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), "defaults-bad");
    let dir = w.dir.clone();
    let ring = w.ring.clone();
    let home = dir.join("home");
    let ring_s = ring.to_str().unwrap();

    // A group/world-readable key ring.
    std::fs::set_permissions(&ring, std::fs::Permissions::from_mode(0o644)).unwrap();
    let db = dir.join("a.db");
    let t = refused(
        &home,
        None,
        &["--store", db.to_str().unwrap(), "--keyring", ring_s],
    );
    assert!(
        t.contains(&format!("key ring {ring_s} is readable by group or others"))
            && t.contains(&format!("chmod 600 {ring_s}")),
        "{t}"
    );
    assert!(!db.exists(), "a refusal created the store");
    std::fs::set_permissions(&ring, std::fs::Permissions::from_mode(0o600)).unwrap();

    // A group/world-readable store.
    let shared = dir.join("shared.db");
    std::fs::write(&shared, b"").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
    let t = refused(
        &home,
        None,
        &["--store", shared.to_str().unwrap(), "--keyring", ring_s],
    );
    assert!(
        t.contains(&format!(
            "store {} is readable by group or others",
            shared.display()
        )),
        "{t}"
    );

    // A key ring that cannot be read (a directory) and one that is not a key ring.
    let not_a_file = dir.join("ring-dir");
    std::fs::create_dir_all(&not_a_file).unwrap();
    let t = refused_with(&home, None, &db, &not_a_file);
    assert!(
        t.contains(&format!("key ring {} is not a file", not_a_file.display())),
        "{t}"
    );
    let garbage = dir.join("garbage.keys");
    std::fs::write(&garbage, "not hex at all\n").unwrap();
    std::fs::set_permissions(&garbage, std::fs::Permissions::from_mode(0o600)).unwrap();
    let t = refused_with(&home, None, &db, &garbage);
    assert!(
        t.contains(&format!(
            "key ring {} is not a wsrx key ring",
            garbage.display()
        )) && t.contains("wsrx keys generate"),
        "{t}"
    );

    // An explicit --keyring that does not exist is never created silently.
    let absent = dir.join("absent.keys");
    let t = refused_with(&home, None, &db, &absent);
    assert!(
        t.contains(&format!("key ring {} does not exist", absent.display()))
            && t.contains(&format!("wsrx keys generate {}", absent.display())),
        "{t}"
    );
    assert!(!absent.exists() && !db.exists());
    assert!(!home.exists(), "a refusal made the data directory");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_wrong_ring_for_a_store_and_a_store_without_its_ring_are_refused() {
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), "defaults-wrong");
    let dir = w.dir.clone();
    let other = w.ring.clone();
    let home = dir.join("home");
    let xdg = dir.join("xdg");
    // A store with a sequence and a token in it, sealed under ring A, by a real run.
    let (server, port, _) = serve(&home, Some(&xdg), &[]);
    let url = format!("http://127.0.0.1:{port}/rm");
    let out = send(&home, Some(&xdg), &url, &["--no-terminate"]);
    assert!(out.status.success(), "{}", text(&out));
    drop(server);
    let data = xdg.join("wsrx");
    let client_db = data.join(format!("send-http_127.0.0.1_{port}_rm.db"));
    let ring_a = data.join("ring.keys");

    // Another ring: refused, naming the store, the ring and the missing key.
    let t = refused_with(&home, Some(&xdg), &client_db, &other);
    assert!(
        t.contains(&format!(
            "store {} is sealed under key",
            client_db.display()
        )) && t.contains(&format!("key ring {} does not have", other.display()))
            && t.contains("--keyring the store was created with"),
        "{t}"
    );

    // The default ring gone while its store is still there: no new ring is made.
    std::fs::rename(&ring_a, dir.join("ring-a.saved")).unwrap();
    let out = send(&home, Some(&xdg), &url, &[]);
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains(&format!(
            "store {} exists but its key ring {} is missing",
            client_db.display(),
            ring_a.display()
        )),
        "{t}"
    );
    assert!(
        !ring_a.exists(),
        "a new ring was created for an existing store"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_without_a_way_to_authenticate_clients_refuses_and_lists_the_options() {
    let dir = scratch("open");
    let (home, xdg) = (dir.join("home"), dir.join("xdg"));
    let out = wsrx(&home, Some(&xdg))
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    for option in [
        "--users FILE",
        "--user NAME:PASSWORD",
        "--sct-id ID --sct-secret BASE64",
        "--x509-trust CA.pem",
    ] {
        assert!(t.contains(option), "{option} not listed: {t}");
    }
    assert!(
        !xdg.exists() && !home.exists(),
        "a refused start created state"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_takes_an_x509_trust_bundle_as_a_way_to_authenticate() {
    let dir = scratch("x509");
    let home = dir.join("home");
    let ca = dir.join("ca.pem");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/x509-keys/ca.pk8.pem");
    let pair = rcgen::KeyPair::from_pem(&std::fs::read_to_string(key).unwrap()).unwrap();
    std::fs::write(&ca, params.self_signed(&pair).unwrap().pem()).unwrap();
    let mut cmd = wsrx(&home, None);
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{}", free_port()),
        "--x509-trust",
    ])
    .arg(&ca);
    let (server, rx) = spawn_serve(cmd);
    let line = line_with(&rx, "security contexts");
    assert!(line.contains("X.509 bootstrap (1 trusted CAs)"), "{line}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
