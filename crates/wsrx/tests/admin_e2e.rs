//! The admin API (`wsrx serve --admin ADDR --admin-token-file FILE`, issue 22 item 3)
//! with the real binary, a real gateway backend (`tests/backend/gateway_backend.py`,
//! refusing messages 2 and 3 with 400 so that they become dead letters) and a context
//! issued through WS-Trust (X.509 bootstrap, so that it is in the store).
//!
//! Checked: refused without a token and with a wrong one (401, `WWW-Authenticate`); the
//! OpenAPI 3.1 document is served; health, sequence list/filter/page/show, tokens with
//! their expiry and no secret; and each action's effect read back from the **store**
//! with `wsrx store` while the node runs: replay (the dead letter is gone, the backend
//! got it), purge, close (the record says closed, written by the live server), terminate
//! (the records are gone), token cancel (the row is gone); every action is in the
//! store's audit trail (`wsrx store audit`), refusals too. The bearer token never
//! appears in an answer.
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

use serde_json::Value;
use wsrx_test::fixture::cli::{Spawned, Workdir, free_port, ok, text};

const BIN: &str = env!("CARGO_BIN_EXE_wsrx");
const TOKEN: &str = "admin-token-0123456789-abcdefghij";

/// One HTTP/1.1 request to the admin listener: `(status, headers, body)`.
fn call(port: u16, method: &str, path: &str, token: Option<&str>) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(!raw.contains(TOKEN), "the bearer token came back: {raw}");
    (status, head.to_owned(), body.to_owned())
}

/// `call` with the right token, expecting `want`; the body as JSON.
fn json(port: u16, method: &str, path: &str, want: u16) -> Value {
    let (status, _, body) = call(port, method, path, Some(TOKEN));
    assert_eq!(status, want, "{method} {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {path}: {e}: {body}"))
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

fn private_file(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
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
    let started = Instant::now();
    let port = loop {
        if let Ok(p) = std::fs::read_to_string(&port_file) {
            break p.trim().to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no backend");
        std::thread::sleep(Duration::from_millis(20));
    };
    (Spawned(child), format!("http://127.0.0.1:{port}/orders"))
}

/// Waits (bounded) until `done`.
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_token_file_others_can_read_is_refused() {
    let w = Workdir::new(BIN, "admin-mode");
    private_file(&w.path("token"), TOKEN, 0o644);
    let out = w
        .cmd()
        .args(["serve", "--listen", "127.0.0.1:0", "--sct-id", "urn:uuid:x"])
        .args(["--sct-secret", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0MTI="])
        .args(["--admin", "127.0.0.1:0", "--admin-token-file"])
        .arg(w.path("token"))
        .args(w.store_args("server.db"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("chmod 600") && !said.contains(TOKEN),
        "{said}"
    );
}

#[test]
fn every_admin_action_is_authenticated_takes_effect_in_the_store_and_is_audited() {
    let w = Workdir::new(BIN, "admin");
    identity(&w.dir);
    private_file(&w.path("token"), &format!("{TOKEN}\n"), 0o600);
    let (_backend, backend_url) = backend(&w);
    let admin = free_port();
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
            w.path("service.pem").to_str().unwrap(),
            "--x509-key",
            w.path("service.key").to_str().unwrap(),
            "--admin",
            &format!("127.0.0.1:{admin}"),
            "--admin-token-file",
            w.path("token").to_str().unwrap(),
        ],
    );
    // A sequence left open, bound to a context the server issued (so it is stored).
    let cert = w.path("service.pem");
    let out = w.send(
        &serve.url,
        "client.db",
        &[
            "--count",
            "4",
            "--bootstrap",
            "x509",
            "--server-cert",
            cert.to_str().unwrap(),
            "--no-cancel",
            "--no-terminate",
        ],
    );
    let said = ok(&out);
    let sequence = wsrx_test::fixture::cli::sequence_of(&out);
    let sct = wsrx_test::fixture::cli::sct_of(&said);

    // Authentication.
    let (status, head, _) = call(admin, "GET", "/admin/sequences", None);
    assert_eq!(status, 401);
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{head}"
    );
    let (status, _, _) = call(
        admin,
        "GET",
        "/admin/sequences",
        Some("admin-token-0123456789-WRONG"),
    );
    assert_eq!(status, 401);
    let (status, _, _) = call(
        admin,
        "POST",
        &format!("/admin/sequences/{sequence}/terminate"),
        None,
    );
    assert_eq!(status, 401);
    let (status, _, doc) = call(admin, "GET", "/admin/openapi.json", None);
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/admin/sequences/{id}/close"]["post"].is_object());

    let health = json(admin, "GET", "/admin/health", 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["serving"], true);
    assert_eq!(health["gateway"], true);

    // Sequences: filter, page, show.
    let page = json(
        admin,
        "GET",
        "/admin/sequences?role=destination&limit=1",
        200,
    );
    assert_eq!(page["total"], 1);
    let s = &page["items"][0];
    assert_eq!(s["id"], sequence.as_str());
    assert_eq!(s["state"], "active");
    assert_eq!(s["token"], sct.as_str());
    assert_eq!(s["stored"], 4);
    assert_eq!(s["ranges"], "1-4");
    let none = json(admin, "GET", "/admin/sequences?role=source", 200);
    assert_eq!(none["total"], 0);
    let (status, _, _) = call(admin, "GET", "/admin/sequences?limit=x", Some(TOKEN));
    assert_eq!(status, 400);
    let shown = json(admin, "GET", &format!("/admin/sequences/{sequence}"), 200);
    assert_eq!(shown["id"], sequence.as_str());
    json(admin, "GET", "/admin/sequences/urn:uuid:nothing", 404);

    // Tokens: identifier, expiry, bound sequences; nothing else (no secret).
    let tokens = json(admin, "GET", "/admin/tokens", 200);
    let t = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["identifier"] == sct.as_str())
        .expect("the issued token is listed");
    assert!(t["expires_in_seconds"].as_i64().unwrap() > 0, "{t}");
    assert_eq!(t["sequences"][0], sequence.as_str());
    let mut keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "expires_at_ms",
            "expires_in_seconds",
            "identifier",
            "sequences"
        ]
    );

    // Dead letters: 2 and 3 were refused by the backend (skip: 4 went on).
    wait_for("two dead letters", || {
        json(admin, "GET", "/admin/dead-letters", 200)["items"]
            .as_array()
            .is_some_and(|a| a.len() == 2)
    });
    let letter = json(
        admin,
        "GET",
        &format!("/admin/dead-letters/{sequence}/3"),
        200,
    );
    assert_eq!(letter["letter"]["reason"], "HTTP 400");
    assert!(
        letter["payload"]
            .as_str()
            .unwrap()
            .contains("message 3 of 4"),
        "{letter}"
    );
    json(
        admin,
        "GET",
        &format!("/admin/dead-letters/{sequence}/x"),
        400,
    );
    let replayed = json(
        admin,
        "POST",
        &format!("/admin/dead-letters/{sequence}/3/replay"),
        200,
    );
    assert_eq!(replayed["backend_status"], 200);
    json(
        admin,
        "DELETE",
        &format!("/admin/dead-letters/{sequence}/2"),
        200,
    );
    json(
        admin,
        "DELETE",
        &format!("/admin/dead-letters/{sequence}/2"),
        404,
    );
    let left = ok(&w.store("server.db", &["dead-letters", "list"]));
    assert!(
        !left.contains(&sequence),
        "dead letters left in the store: {left}"
    );
    let backend_log = std::fs::read_to_string(w.path("backend.log")).unwrap();
    assert!(
        backend_log
            .lines()
            .any(|l| l.contains("\"number\": 3") && l.contains("\"replay\": true")),
        "{backend_log}"
    );

    // Close, live: the server's own record says so.
    let closed = json(
        admin,
        "POST",
        &format!("/admin/sequences/{sequence}/close"),
        200,
    );
    assert_eq!(closed["state"], "closed");
    let shown = ok(&w.store("server.db", &["show", &sequence]));
    assert_eq!(
        wsrx_test::fixture::cli::line_value(&shown, "state"),
        "closed",
        "{shown}"
    );
    json(
        admin,
        "POST",
        &format!("/admin/sequences/{sequence}/close"),
        409,
    );
    // Terminate, live: its records are gone.
    let ended = json(
        admin,
        "POST",
        &format!("/admin/sequences/{sequence}/terminate"),
        200,
    );
    assert_eq!(ended["state"], "terminated");
    let gone = w.store("server.db", &["show", &sequence]);
    assert!(!gone.status.success(), "{}", text(&gone));
    json(
        admin,
        "POST",
        &format!("/admin/sequences/{sequence}/terminate"),
        404,
    );

    // Cancel the token: its row is gone.
    let cancelled = json(admin, "POST", &format!("/admin/tokens/{sct}/cancel"), 200);
    assert_eq!(cancelled["token"]["identifier"], sct.as_str());
    assert_eq!(
        cancelled["live"], true,
        "the token service refuses it from now on"
    );
    let listed = ok(&w.store("server.db", &["list"]));
    assert!(!listed.contains(&sct), "{listed}");
    json(admin, "POST", &format!("/admin/tokens/{sct}/cancel"), 404);

    // The audit trail in the store: every action, in order, refusals marked.
    let audit = ok(&w.store("server.db", &["audit"]));
    let entries: Vec<Value> = audit
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(_, e)| serde_json::from_str(e).unwrap())
        .collect();
    let seen: Vec<(String, bool)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["ok"].as_bool().unwrap(),
            )
        })
        .collect();
    let want = [
        ("dead_letter.replay", true),
        ("dead_letter.purge", true),
        ("dead_letter.purge", false),
        ("sequence.close", true),
        ("sequence.close", false),
        ("sequence.terminate", true),
        ("sequence.terminate", false),
        ("token.cancel", true),
        ("token.cancel", false),
    ];
    assert_eq!(
        seen,
        want.iter()
            .map(|(a, o)| ((*a).to_owned(), *o))
            .collect::<Vec<_>>(),
        "{audit}"
    );
    assert!(entries.iter().all(|e| !e.to_string().contains(TOKEN)));
    let (status, _, trail) = call(admin, "GET", "/admin/audit", Some(TOKEN));
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&trail).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        want.len()
    );
    drop(serve);
}
