//! `wsrx serve` over HTTPS as a WS-Trust token service, driven by `wsrx send` (the real
//! binaries on loopback): `--username/--password --ca` establishes the SCT through the
//! token service (PasswordText over TLS) and completes N messages; the same server also
//! takes two pre-established SCTs; mutual TLS (`--tls-client-ca`) refuses a client
//! without `--client-cert` and accepts one with it; a group-readable `--users` file and a
//! server with neither SCT nor users are refused at start.
//!
//! Certificates (ECDSA P-256) are made in the test with rcgen.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use wsrx_test::fixture::cli::{Serve, Workdir, sct_of};
use wsrx_test::fixture::pki::TlsPki;

const SCT_A: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1";
const SECRET_A: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";
const SCT_B: &str = "urn:uuid:0b7c2f9e-3d1a-4c55-8e0f-9a6b5c4d3e2f";
const SECRET_B: &str = "YW5vdGhlci1wcmUtZXN0YWJsaXNoZWQtc2VjcmV0IQ==";

/// A directory with a key ring and PEM files: `ca.pem`, `server.pem`/`server.key`,
/// `client.pem`/`client.key`.
fn setup(tag: &str) -> Workdir {
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), &format!("cli-tls-{tag}"));
    TlsPki::new().write_to(&w.dir);
    w
}

/// Starts `wsrx serve` with `extra` arguments; returns it once it listens over HTTPS.
fn serve(s: &Workdir, extra: &[&str]) -> Serve {
    let serve = s.serve("server.db", extra);
    assert!(
        serve.banner.contains("listening on https://"),
        "{}",
        serve.banner
    );
    serve
}

/// Runs `wsrx send` to `url` with `extra` arguments and a fresh client store.
fn send(s: &Workdir, url: &str, store: &str, extra: &[&str]) -> Output {
    s.send(url, store, extra)
}

fn succeeded(out: &Output, count: usize) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("all {count} messages acknowledged")),
        "{text}"
    );
    text
}

#[test]
fn send_with_username_over_https_completes_through_the_token_service() {
    let s = setup("user");
    let server = serve(
        &s,
        &[
            "--tls-cert",
            "server.pem",
            "--tls-key",
            "server.key",
            "--user",
            "alice:correct horse",
            "--sct-id",
            SCT_A,
            "--sct-secret",
            SECRET_A,
            "--sct-id",
            SCT_B,
            "--sct-secret",
            SECRET_B,
        ],
    );
    let url = server.url.clone();
    let login = [
        "--username",
        "alice",
        "--password",
        "correct horse",
        "--ca",
        "ca.pem",
    ];
    let out = send(
        &s,
        &url,
        "c1.db",
        &[&["--count", "5", "--request-reply"][..], &login].concat(),
    );
    let text = succeeded(&out, 5);
    assert_eq!(text.matches("echoed: message").count(), 5, "{text}");
    let issued = sct_of(&text);
    assert!(issued.starts_with("urn:uuid:"), "{text}");
    assert!(issued != SCT_A && issued != SCT_B, "{text}");

    // Each pre-established SCT works on the same server, for its own client.
    for (i, (id, secret)) in [(SCT_A, SECRET_A), (SCT_B, SECRET_B)].iter().enumerate() {
        let out = send(
            &s,
            &url,
            &format!("pre{i}.db"),
            &[
                "--count",
                "3",
                "--sct-id",
                id,
                "--sct-secret",
                secret,
                "--ca",
                "ca.pem",
            ],
        );
        assert_eq!(sct_of(&succeeded(&out, 3)), *id);
    }

    // A wrong password gets no token, hence no sequence.
    let out = send(
        &s,
        &url,
        "c2.db",
        &[
            "--count",
            "1",
            "--username",
            "alice",
            "--password",
            "wrong",
            "--ca",
            "ca.pem",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not established"), "{err}");
    assert!(
        !err.contains("wrong"),
        "the password is never printed: {err}"
    );

    // Without --ca the server certificate is not trusted: no connection at all.
    let out = send(
        &s,
        &url,
        "c3.db",
        &[
            "--count",
            "1",
            "--username",
            "alice",
            "--password",
            "correct horse",
        ],
    );
    assert!(!out.status.success());
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let s = setup("mtls");
    let server = serve(
        &s,
        &[
            "--tls-cert",
            "server.pem",
            "--tls-key",
            "server.key",
            "--tls-client-ca",
            "ca.pem",
            "--user",
            "alice:pw",
        ],
    );
    let url = server.url.clone();
    let base = [
        "--count",
        "2",
        "--username",
        "alice",
        "--password",
        "pw",
        "--ca",
        "ca.pem",
    ];
    let out = send(&s, &url, "no-cert.db", &base);
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = send(
        &s,
        &url,
        "cert.db",
        &[
            &base[..],
            &["--client-cert", "client.pem", "--client-key", "client.key"],
        ]
        .concat(),
    );
    succeeded(&out, 2);
}

fn refused_at_start(s: &Workdir, extra: &[&str]) -> String {
    let out = s
        .cmd()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .args(s.store_args("refused.db"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn serve_refuses_a_readable_users_file_and_a_server_without_contexts() {
    let s = setup("refuse");
    let users: &Path = &s.dir.join("users");
    std::fs::write(users, "# token service users\nalice:pw\n").unwrap();
    std::fs::set_permissions(users, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = refused_at_start(&s, &["--users", "users"]);
    assert!(err.contains("readable by group or others"), "{err}");
    let err = refused_at_start(&s, &[]);
    assert!(err.contains("--sct-id"), "{err}");
    let err = refused_at_start(&s, &["--sct-id", SCT_A]);
    assert!(err.contains("--sct-secret"), "{err}");
    // Mode 0600 is accepted (the server starts and listens over HTTPS).
    std::fs::set_permissions(users, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server = serve(
        &s,
        &[
            "--users",
            "users",
            "--tls-cert",
            "server.pem",
            "--tls-key",
            "server.key",
        ],
    );
    let out = send(
        &s,
        &server.url,
        "u.db",
        &[
            "--count",
            "1",
            "--username",
            "alice",
            "--password",
            "pw",
            "--ca",
            "ca.pem",
        ],
    );
    succeeded(&out, 1);
}

/// The TLS handshake timeout end to end (threat model T41): a connection that sends
/// nothing and one that stops in the middle of its ClientHello are both dropped by the
/// server once `--tls-handshake-timeout` passes, each counted
/// `wsrx_refused_total{reason="tls_handshake_timeout"}`, and a client completing its
/// handshake is served meanwhile and afterwards.
#[test]
fn stalled_tls_handshakes_are_dropped_and_counted() {
    use std::io::{Read, Write};
    use wsrx_test::fixture::metrics;

    let s = setup("handshake");
    let m = metrics::free_addr();
    let server = serve(
        &s,
        &[
            "--tls-cert",
            "server.pem",
            "--tls-key",
            "server.key",
            "--sct-id",
            SCT_A,
            "--sct-secret",
            SECRET_A,
            "--tls-handshake-timeout",
            "1",
            "--metrics",
            &m.to_string(),
        ],
    );
    let silent = std::net::TcpStream::connect(server.addr).unwrap();
    let mut partial = std::net::TcpStream::connect(server.addr).unwrap();
    // The first bytes of a TLS record carrying a ClientHello (handshake, TLS 1.0 record
    // version, 512 bytes announced), then nothing.
    partial
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .unwrap();
    let out = send(
        &s,
        &server.url,
        "during.db",
        &[
            "--count",
            "2",
            "--sct-id",
            SCT_A,
            "--sct-secret",
            SECRET_A,
            "--ca",
            "ca.pem",
        ],
    );
    succeeded(&out, 2);
    for (name, mut c) in [("silent", silent), ("partial", partial)] {
        // A bound on the test, not a measurement: the server's own timeout is 1 s.
        c.set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        let mut buf = [0u8; 64];
        match c.read(&mut buf) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("{name}: the server should drop the connection, got {other:?}"),
        }
    }
    assert_eq!(
        metrics::sum(m, "wsrx_refused_total{reason=\"tls_handshake_timeout\"}"),
        2.0
    );
    let out = send(
        &s,
        &server.url,
        "after.db",
        &[
            "--count",
            "2",
            "--sct-id",
            SCT_A,
            "--sct-secret",
            SECRET_A,
            "--ca",
            "ca.pem",
        ],
    );
    succeeded(&out, 2);
}
