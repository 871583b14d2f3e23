//! The X.509 symmetric bootstrap between the real binaries over plain HTTP (issue 18 item 2,
//! issue 20 item 5): `wsrx serve --x509-cert/--x509-key` and `wsrx send --bootstrap x509
//! --server-cert`: the SCT is established with nothing secret in clear, the sequence
//! completes, the SCT is Cancelled at the end and the server refuses it afterwards; the
//! UsernameToken bootstrap over plain HTTP is refused by `send` before anything is sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_wsrx")
}

/// `service.pem`/`service.key` in `dir`: a fresh RSA key and a self-signed certificate.
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

fn setup(tag: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("wsrx-cli-bootstrap-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    identity(&dir);
    let ring = common::keyring(&dir);
    (dir, ring)
}

fn serve(dir: &Path, ring: &Path, port: u16) -> common::Serve {
    let mut child = Command::new(bin())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--x509-cert", "service.pem", "--x509-key", "service.key"])
        .arg("--store")
        .arg(dir.join("server.db"))
        .arg("--keyring")
        .arg(ring)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on http://"), "{line}");
    common::Serve(child)
}

fn send(dir: &Path, ring: &Path, url: &str, store: &str, extra: &[&str]) -> Output {
    Command::new(bin())
        .args(["send", "--to", url, "--timeout", "30", "--count", "3"])
        .args(extra)
        .arg("--store")
        .arg(dir.join(store))
        .arg("--keyring")
        .arg(ring)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn x509_bootstrap_over_plain_http_completes_and_cancels() {
    let (dir, ring) = setup("x509");
    let port = common::free_port();
    let _serve = serve(&dir, &ring, port);
    let url = format!("http://127.0.0.1:{port}/rm");
    let out = send(
        &dir,
        &ring,
        &url,
        "c1.db",
        &["--bootstrap", "x509", "--server-cert", "service.pem"],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("all 3 messages acknowledged"), "{text}");
    assert!(text.contains("security context cancelled (1)"), "{text}");
    // The client's store forgot the cancelled token.
    let sct = sct_of(&text);
    assert!(!stored_tokens(&dir, &ring, "c1.db").contains(&sct), "{sct}");

    // --no-cancel keeps it.
    let out = send(
        &dir,
        &ring,
        &url,
        "c2.db",
        &[
            "--bootstrap",
            "x509",
            "--server-cert",
            "service.pem",
            "--no-cancel",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("cancelled"), "{text}");
    let kept = sct_of(&text);
    assert_eq!(stored_tokens(&dir, &ring, "c2.db"), vec![kept]);
}

fn sct_of(text: &str) -> String {
    let at = text.find("bound to SCT ").unwrap() + "bound to SCT ".len();
    text[at..].split_whitespace().next().unwrap().to_owned()
}

/// The token identifiers `wsrx store list` shows for the client store `db`.
fn stored_tokens(dir: &Path, ring: &Path, db: &str) -> Vec<String> {
    let out = Command::new(bin())
        .arg("store")
        .arg("--store")
        .arg(dir.join(db))
        .arg("--keyring")
        .arg(ring)
        .arg("list")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    let tokens = text.split("(ms since epoch)").nth(1).unwrap_or_default();
    tokens
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_username_bootstrap_over_plain_http_is_refused_before_sending() {
    let (dir, ring) = setup("user");
    let port = common::free_port();
    let _serve = serve(&dir, &ring, port);
    let url = format!("http://127.0.0.1:{port}/rm");
    let out = send(
        &dir,
        &ring,
        &url,
        "c.db",
        &["--username", "alice", "--password", "secret"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("would cross in clear"), "{err}");
    // A wrong server certificate: the service cannot open the request.
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    identity(&other);
    let out = send(
        &dir,
        &ring,
        &url,
        "c3.db",
        &["--bootstrap", "x509", "--server-cert", "other/service.pem"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("FailedAuthentication") || err.contains("authentication failed"),
        "{err}"
    );
}
