//! `wsrx serve --wsdl W` with `wsrx send --wsdl W` over loopback HTTP for every policy
//! variant of `testdata/policies/runtime/` (signed only, Body encrypted, signature encrypted,
//! encrypt before signing, Strict layout, Basic128): each completes a secured request-reply
//! sequence; a client that does not follow the server's policy is refused; and `GET ?wsdl`
//! publishes a policy a client configures itself from (`send --wsdl URL`), generated when
//! the server has no WSDL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wsrx_test::fixture::cli::{Serve, text};

const SCT: &str = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee7";
const SECRET: &str = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=";

fn variant(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/policies/runtime")
        .join(format!("{name}.wsdl"))
}

fn scratch(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("wsrx-cli-wsdl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ring = dir.join("ring");
    let made = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["keys", "generate"])
        .arg(&ring)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    (dir, ring)
}

/// `wsrx serve` with `extra` arguments; returns it and its URL.
fn serve(dir: &Path, ring: &Path, extra: &[&str]) -> (Serve, String) {
    let serve = Serve::start(
        Command::new(env!("CARGO_BIN_EXE_wsrx"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(["--sct-id", SCT, "--sct-secret", SECRET])
            .args(extra)
            .arg("--store")
            .arg(dir.join("server.db"))
            .arg("--keyring")
            .arg(ring),
    );
    assert!(serve.banner.contains("listening"), "{}", serve.banner);
    let url = format!("http://{}/", serve.addr);
    (serve, url)
}

/// `wsrx send --count 2 --request-reply` with `extra` arguments, its own store.
fn send(dir: &Path, ring: &Path, store: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["send", "--count", "2", "--request-reply", "--timeout", "30"])
        .args(["--sct-id", SCT, "--sct-secret", SECRET])
        .args(["--retransmit-ms", "300"])
        .args(extra)
        .arg("--store")
        .arg(dir.join(format!("{store}.db")))
        .arg("--keyring")
        .arg(ring)
        .output()
        .unwrap()
}

#[test]
fn every_policy_variant_runs_end_to_end() {
    let cases = [
        (
            "signed-only",
            "encrypts nothing, layout Lax, suite Basic256Sha256",
        ),
        (
            "encrypt-body",
            "encrypts Body, signs before encrypting, layout Lax, suite Basic256Sha256",
        ),
        (
            "encrypt-signature",
            "encrypts Body + the signature, signs before encrypting, layout Lax",
        ),
        (
            "encrypt-before-signing",
            "encrypts Body, encrypts before signing, layout Lax",
        ),
        (
            "layout-strict",
            "encrypts Body + the signature, signs before encrypting, layout Strict",
        ),
        (
            "basic128",
            "encrypts Body, signs before encrypting, layout Lax, suite Basic128",
        ),
        (
            "encrypt-request-only",
            "encrypts Body, signs before encrypting, layout Lax, suite Basic256Sha256, derived \
             keys; the output direction signs Body + Timestamp + 2 header selector(s), encrypts \
             nothing",
        ),
    ];
    for (name, summary) in cases {
        let (dir, ring) = scratch(name);
        let wsdl = variant(name);
        let wsdl = wsdl.to_str().unwrap();
        let (_serve, url) = serve(&dir, &ring, &["--wsdl", wsdl]);
        let out = send(&dir, &ring, "client", &["--wsdl", wsdl, "--to", &url]);
        let t = text(&out);
        assert!(out.status.success(), "{name}: {t}");
        assert!(t.contains(summary), "{name}: {t}");
        assert!(
            t.contains("http://docs.oasis-open.org/ws-rx/wsrm/200702 with http://www.w3.org/2005/08/addressing, SOAP 1.2"),
            "{name}: {t}"
        );
        assert_eq!(t.matches("echoed: message").count(), 2, "{name}: {t}");
        assert!(t.contains("sequence terminated"), "{name}: {t}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_client_off_the_servers_policy_is_refused() {
    let (dir, ring) = scratch("mismatch");
    let (_serve, url) = serve(
        &dir,
        &ring,
        &["--wsdl", variant("encrypt-body").to_str().unwrap()],
    );
    // Bodies in clear where the server's policy encrypts them.
    let out = send(
        &dir,
        &ring,
        "clear",
        &[
            "--wsdl",
            variant("signed-only").to_str().unwrap(),
            "--to",
            &url,
            "--timeout",
            "5",
        ],
    );
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    println!("a client off the policy: {t}");
    // The server's own policy read back from it works.
    let out = send(
        &dir,
        &ring,
        "published",
        &["--wsdl", &format!("{url}?wsdl")],
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("encrypts Body, signs before encrypting"), "{t}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_published_wsdl_configures_a_client() {
    let (dir, ring) = scratch("published");
    let (_serve, url) = serve(&dir, &ring, &[]);
    // No WSDL given: the server generates one from the policy it enforces.
    let out = send(&dir, &ring, "client", &["--wsdl", &format!("{url}?wsdl")]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("wsrx send: policy of EchoService/EchoPort (operation Echo)"),
        "{t}"
    );
    assert!(
        t.contains("signs Body + Timestamp + 4 header selector(s), encrypts nothing"),
        "{t}"
    );
    assert_eq!(t.matches("echoed: message").count(), 2, "{t}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_wsdl_wsrx_cannot_run_is_refused_by_name() {
    let (dir, ring) = scratch("refused");
    let wsdl = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/policies/variants/metro-wsit-rm11-sct.wsdl");
    let out = send(
        &dir,
        &ring,
        "client",
        &[
            "--wsdl",
            wsdl.to_str().unwrap(),
            "--to",
            "http://127.0.0.1:9/",
        ],
    );
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("sp:RequireSignatureConfirmation: wsrx sends no wsse11:SignatureConfirmation"),
        "{t}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bundled_profiles_configure_both_sides() {
    // gsoap: WS-RM 1.1, and the peer profile it selects on both sides (no STR in our
    // CreateSequence; the server binds it to the SCT that signed it).
    let rm10 = "http://schemas.xmlsoap.org/ws/2005/02/rm";
    let rm11 = "http://docs.oasis-open.org/ws-rx/wsrm/200702";
    for (profile, rm) in [("cxf", rm10), ("wcf-wshttp", rm10), ("gsoap", rm11)] {
        let (dir, ring) = scratch(&format!("profile-{profile}"));
        let (_serve, url) = serve(&dir, &ring, &["--profile", profile]);
        let out = send(&dir, &ring, "client", &["--profile", profile, "--to", &url]);
        let t = text(&out);
        assert!(out.status.success(), "{profile}: {t}");
        assert!(t.contains(&format!("profile {profile}: {rm}")), "{t}");
        if profile == "gsoap" {
            assert!(t.contains("peer profile gsoap: no STR"), "{t}");
        }
        assert_eq!(t.matches("echoed: message").count(), 2, "{profile}: {t}");
        // The server publishes the profile's WSDL at its own address.
        let out = send(
            &dir,
            &ring,
            "published",
            &["--wsdl", &format!("{url}?wsdl")],
        );
        let t = text(&out);
        assert!(out.status.success(), "{profile}: {t}");
        assert!(t.contains(&format!("{rm} with")), "{t}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
