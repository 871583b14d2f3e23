//! The web console (`/admin/console/` on `wsrx serve --admin`, issue 22 item 4) in a real
//! headless Chromium, driven over WebDriver (Debian's `chromedriver`, spoken to in plain
//! HTTP/JSON here), against the real binary with live sequences, a real gateway backend
//! (`tests/backend/gateway_backend.py`, refusing messages 2 and 3 so that they become dead
//! letters) and a context issued through WS-Trust.
//!
//! Checked through the page, as an operator sees it: a wrong token is refused and shows
//! nothing; the right one shows the node's health, both sequences with their state,
//! ranges and backlog, the token with its time to expiry, and the two dead letters; a
//! sequence's timeline; a dead-letter replay (one click) and purge and a terminate (two
//! clicks each), every one of them checked in the **store** with `wsrx store` and in the
//! audit table of the page. The charts are drawn from `/admin/metrics`. A screenshot goes
//! to `target/console-e2e/console.png` (and to `WSRX_CONSOLE_SCREENSHOT` when set, which
//! `scripts/console-screenshot.sh` uses for the README's picture).
//!
//! Needs `chromium` and `chromedriver` (`interop/build.sh chromium`); without them the test
//! is a counted skip (a failure under `WSRX_REQUIRE_INTEROP=1`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wsrx_test::fixture::cli::{Spawned, Workdir, free_port, ok};

const BIN: &str = env!("CARGO_BIN_EXE_wsrx");
const TOKEN: &str = "console-token-0123456789-abcdefghij";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One WebDriver session on a chromedriver of its own; ends the browser when dropped.
struct Browser {
    port: u16,
    session: String,
    _driver: Spawned,
}

impl Browser {
    fn start(browser: &Path, driver: &Path, profile: &Path) -> Self {
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver_guard = Spawned(child);
        wait_for("chromedriver", || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
                && request(port, "GET", "/status", None)["value"]["ready"] == true
        });
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser.to_string_lossy(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1440,1700",
                    "--hide-scrollbars", "--force-device-scale-factor=1",
                    format!("--user-data-dir={}", profile.display())],
            },
        }}});
        let made = request(port, "POST", "/session", Some(&caps));
        let session = made["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {made}"))
            .to_owned();
        Self {
            port,
            session,
            _driver: driver_guard,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let full = format!("/session/{}{path}", self.session);
        request(self.port, method, &full, body)
    }

    fn open(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({ "url": url })));
    }

    /// Runs `script` (a function body) in the page and returns its value.
    fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({"script": script, "args": []})),
        )["value"]
            .clone()
    }

    /// The text the page shows in the first element matching `css` (empty if none).
    fn text(&self, css: &str) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.innerText : '';",
            Value::from(css)
        );
        self.eval(&script).as_str().unwrap_or_default().to_owned()
    }

    /// The first element matching `css`, if any.
    fn find(&self, css: &str) -> Option<String> {
        let found = self.call(
            "POST",
            "/element",
            Some(&json!({"using": "css selector", "value": css})),
        );
        found["value"][ELEMENT].as_str().map(str::to_owned)
    }

    /// A real click on `css`, once it is there (the tables are redrawn under the cursor
    /// by the live refresh, so a stale reference is tried again).
    fn click(&self, css: &str) {
        wait_for(&format!("a click on {css}"), || {
            self.find(css).is_some_and(|e| {
                let r = self.call("POST", &format!("/element/{e}/click"), Some(&json!({})));
                r["value"].is_null()
            })
        });
    }

    /// Real key strokes into `css`.
    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).unwrap_or_else(|| panic!("no {css}"));
        self.call("POST", &format!("/element/{e}/clear"), Some(&json!({})));
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(&json!({ "text": text })),
        );
    }

    fn screenshot(&self, to: &Path) {
        let shot = self.call("GET", "/screenshot", None);
        let png = decode_base64(shot["value"].as_str().expect("a screenshot"));
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = exchange(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

/// One HTTP/1.1 exchange with chromedriver; the JSON answer.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    exchange(port, method, path, body)
        .unwrap_or_else(|e| panic!("chromedriver {method} {path}: {e}"))
}

/// [`request`], without panicking (for `Drop`).
fn exchange(port: u16, method: &str, path: &str, body: Option<&Value>) -> std::io::Result<Value> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    // chromedriver keeps the connection open: read the head, then Content-Length bytes.
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        raw.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut answer = vec![0u8; length];
    s.read_exact(&mut answer)?;
    Ok(serde_json::from_slice(&answer).unwrap_or(Value::Null))
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= u32::from(*d) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// Waits (bounded, generously: a loaded machine) until `done`.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

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

fn backend(w: &Workdir) -> (Spawned, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/backend/gateway_backend.py");
    let port_file = w.path("backend.port");
    let child = Command::new("python3")
        .arg(&script)
        .arg("--log")
        .arg(w.path("backend.log"))
        .arg("--port-file")
        .arg(&port_file)
        .args(["--poison", "2,3"])
        .stdin(Stdio::null())
        .spawn()
        .expect("python3 runs the test backend");
    let mut port = String::new();
    wait_for("the backend", || {
        port = std::fs::read_to_string(&port_file).unwrap_or_default();
        !port.trim().is_empty()
    });
    (
        Spawned(child),
        format!("http://127.0.0.1:{}/orders", port.trim()),
    )
}

/// The numbers of `sequence`'s dead letters as `wsrx store dead-letters list` gives them.
fn letters_of(w: &Workdir, sequence: &str) -> Vec<String> {
    let listed = ok(&w.store("server.db", &["dead-letters", "list"]));
    listed
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{sequence}\t")))
        .filter_map(|rest| rest.split('\t').next().map(str::to_owned))
        .collect()
}

#[test]
fn an_operator_signs_in_sees_live_sequences_and_replays_purges_and_terminates() {
    let Some((chromium, chromedriver)) = wsrx_peers::chromium() else {
        return;
    };
    let w = Workdir::new(BIN, "console");
    identity(&w.dir);
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(w.path("token"), format!("{TOKEN}\n")).unwrap();
        std::fs::set_permissions(w.path("token"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (_backend, backend_url) = backend(&w);
    let admin = free_port();
    let cert = w.path("service.pem");
    let key = w.path("service.key");
    let token_file = w.path("token");
    let admin_addr = format!("127.0.0.1:{admin}");
    let serve = w.serve(
        "server.db",
        &[
            "--forward",
            &backend_url,
            "--on-poison",
            "skip",
            "--max-attempts",
            "2",
            "--retry-base-ms",
            "10",
            "--x509-cert",
            cert.to_str().unwrap(),
            "--x509-key",
            key.to_str().unwrap(),
            "--admin",
            &admin_addr,
            "--admin-token-file",
            token_file.to_str().unwrap(),
        ],
    );
    // Two sequences left open, bound to contexts the server issued.
    let send = |db: &str, count: &str| {
        let out = w.send(
            &serve.url,
            db,
            &[
                "--count",
                count,
                "--bootstrap",
                "x509",
                "--server-cert",
                cert.to_str().unwrap(),
                "--no-cancel",
                "--no-terminate",
            ],
        );
        let said = ok(&out);
        (
            wsrx_test::fixture::cli::sequence_of(&out),
            wsrx_test::fixture::cli::sct_of(&said),
        )
    };
    let (first, sct) = send("client.db", "4");

    let b = Browser::start(&chromium, &chromedriver, &w.path("chromium-profile"));
    b.open(&format!("http://{admin_addr}/admin/console/"));
    wait_for("the sign-in form", || b.find("#token").is_some());

    // A wrong token: refused, nothing shown.
    b.type_into("#token", "console-token-WRONG-0123456789");
    b.click("#login-go");
    wait_for("the refusal", || b.text("#login-error").contains("refused"));
    assert_eq!(b.eval("return document.getElementById('app').hidden"), true);
    assert_eq!(b.text("#sequences-table tbody"), "");

    // The right one: the node as the store has it.
    b.type_into("#token", TOKEN);
    b.click("#login-go");
    let row = |id: &str| format!("#sequences-table tr[data-sequence=\"{id}\"]");
    wait_for("the first sequence", || b.find(&row(&first)).is_some());
    // A second sequence while the page is open: the live refresh shows it, and the
    // charts see its messages between two samples of the metrics.
    let samples = || b.eval("return view.samples.length").as_u64().unwrap_or(0);
    wait_for("a first metrics sample", || samples() >= 1);
    let (second, _) = send("client2.db", "5");
    let before = samples();
    wait_for("the second sequence, live", || {
        b.find(&row(&second)).is_some()
    });
    wait_for("two more metrics samples", || samples() >= before + 2);
    let peak = b.eval("return Math.max(...view.samples.map((s) => s.delivered))");
    assert!(peak.as_f64() >= Some(9.0), "delivered so far: {peak}");
    assert_eq!(
        b.eval("return document.getElementById('login').hidden"),
        true
    );
    let health = b.text("#health");
    assert!(
        health.contains("node ok") && health.contains("gateway"),
        "{health}"
    );
    let shown = b.text(&row(&second));
    for want in ["destination", "active", "1-5"] {
        assert!(shown.contains(want), "{want} not in {shown}");
    }
    assert!(b.text(&row(&first)).contains("1-4"));
    assert_eq!(b.text("#seq-total"), "(2)");
    let token_row = b.text(&format!("#tokens-table tr[data-token=\"{sct}\"]"));
    assert!(
        token_row.contains(&sct) && token_row.contains(&first) && token_row.contains('m'),
        "{token_row}"
    );
    // The filter: sources only (none here), then all again.
    b.eval("document.getElementById('f-role').value = 'source'; return null;");
    b.click("#f-apply");
    wait_for("the filtered list", || b.text("#seq-total") == "(0)");
    b.eval("document.getElementById('f-role').value = ''; return null;");
    b.click("#f-apply");
    wait_for("the whole list", || b.text("#seq-total") == "(2)");

    // The dead letters the backend refused (on-poison skip: the sequence went on).
    let letter = |n: u64| format!("#letters-table tr[data-letter=\"{first}:{n}\"]");
    wait_for("two dead letters", || {
        b.find(&letter(2)).is_some() && b.find(&letter(3)).is_some()
    });
    assert!(b.text(&letter(3)).contains("HTTP 400"));

    // A sequence's timeline.
    b.click(&format!(
        "button[data-action=\"show\"][data-target=\"{first}\"]"
    ));
    wait_for("the timeline", || {
        b.text("#timeline").contains("message 4 received")
    });
    assert!(b.text("#sequence-detail").contains(&sct));

    assert!(
        b.text("#rate-now").contains("msg/s"),
        "{}",
        b.text("#rate-now")
    );

    // Replay, one click: the backend takes it (a replay), the store drops the letter.
    b.click(&format!(
        "button[data-action=\"replay\"][data-target=\"{first}:3\"]"
    ));
    wait_for("the replay", || b.text("#flash").contains("replayed"));
    assert!(
        b.text("#flash").contains("HTTP 200"),
        "{}",
        b.text("#flash")
    );
    wait_for("the replayed letter to leave the table", || {
        b.find(&letter(3)).is_none()
    });
    assert_eq!(
        letters_of(&w, &first),
        ["2"],
        "dead letters of {first} in the store"
    );
    let backend_log = std::fs::read_to_string(w.path("backend.log")).unwrap();
    assert!(
        backend_log
            .lines()
            .any(|l| l.contains("\"number\": 3") && l.contains("\"replay\": true")),
        "{backend_log}"
    );
    wait_for("the replay in the audit table", || {
        b.text("#audit-table").contains("dead_letter.replay")
    });
    let picture = wsrx_peers::target_dir().join("console-e2e/console.png");
    b.screenshot(&picture);
    if let Some(to) = std::env::var_os("WSRX_CONSOLE_SCREENSHOT") {
        std::fs::copy(&picture, to).unwrap();
    }

    // Purge, two clicks: the first only asks.
    let purge = format!("button[data-action=\"purge\"][data-target=\"{first}:2\"]");
    b.click(&purge);
    wait_for("the purge's confirmation", || {
        b.text(&purge).contains("Confirm purge")
    });
    assert!(b.find(&letter(2)).is_some(), "purged on the first click");
    b.click(&purge);
    wait_for("the purge", || b.text("#flash").contains("purged"));
    assert!(
        letters_of(&w, &first).is_empty(),
        "dead letters left in the store"
    );

    // Terminate, two clicks: the records are gone from the store.
    let terminate = format!("button[data-action=\"terminate\"][data-target=\"{first}\"]");
    b.click(&terminate);
    wait_for("the terminate's confirmation", || {
        b.text(&terminate).contains("Confirm terminate")
    });
    b.click(&terminate);
    wait_for("the terminate", || {
        b.text("#flash").contains("terminate done")
    });
    assert!(
        b.text("#flash").contains("terminated"),
        "{}",
        b.text("#flash")
    );
    wait_for("the terminated sequence to leave the table", || {
        b.find(&row(&first)).is_none()
    });
    let gone = w.store("server.db", &["show", &first]);
    assert!(!gone.status.success(), "{first} is still in the store");
    assert!(b.find(&row(&second)).is_some());

    // Every action in the page's audit table and in the store's trail.
    wait_for("the audit table", || {
        b.text("#audit-table").contains("sequence.terminate")
    });
    let audit = ok(&w.store("server.db", &["audit"]));
    for action in [
        "dead_letter.replay",
        "dead_letter.purge",
        "sequence.terminate",
    ] {
        assert!(audit.contains(action), "{action} not audited: {audit}");
        assert!(b.text("#audit-table").contains(action));
    }
    // The token was typed, never shown back or put in the address.
    let page = b.eval("return document.documentElement.outerHTML + location.href");
    assert!(!page.as_str().unwrap_or_default().contains(TOKEN));
    drop(b);
    drop(serve);
}
