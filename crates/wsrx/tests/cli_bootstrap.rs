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

use std::process::Output;

use wsrx_test::fixture::cli::{Serve, Workdir, sct_of};
use wsrx_test::fixture::pki::write_rsa_identity;

/// A directory with a key ring and the token service's `service.pem`/`service.key`.
fn setup(tag: &str) -> Workdir {
    let w = Workdir::new(env!("CARGO_BIN_EXE_wsrx"), &format!("cli-bootstrap-{tag}"));
    write_rsa_identity(&w.dir, "service");
    w
}

fn serve(w: &Workdir) -> Serve {
    let serve = w.serve(
        "server.db",
        &["--x509-cert", "service.pem", "--x509-key", "service.key"],
    );
    assert!(
        serve.banner.contains("listening on http://"),
        "{}",
        serve.banner
    );
    serve
}

fn send(w: &Workdir, url: &str, store: &str, extra: &[&str]) -> Output {
    w.send(url, store, &[&["--count", "3"][..], extra].concat())
}

#[test]
fn x509_bootstrap_over_plain_http_completes_and_cancels() {
    let w = setup("x509");
    let serve = serve(&w);
    let url = serve.url.clone();
    let out = send(
        &w,
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
    assert!(!stored_tokens(&w, "c1.db").contains(&sct), "{sct}");

    // --no-cancel keeps it.
    let out = send(
        &w,
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
    assert_eq!(stored_tokens(&w, "c2.db"), vec![kept]);
    drop(serve);
}

/// The token identifiers `wsrx store list` shows for the client store `db`.
fn stored_tokens(w: &Workdir, db: &str) -> Vec<String> {
    let out = w.store(db, &["list"]);
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
    let w = setup("user");
    let serve = serve(&w);
    let url = serve.url.clone();
    let out = send(
        &w,
        &url,
        "c.db",
        &["--username", "alice", "--password", "secret"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("would cross in clear"), "{err}");
    // A wrong server certificate: the service cannot open the request.
    let other = w.path("other");
    std::fs::create_dir_all(&other).unwrap();
    write_rsa_identity(&other, "service");
    let out = send(
        &w,
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
    drop(serve);
}
