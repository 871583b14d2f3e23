//! `wsrx verify` on the gSOAP captures (`testdata/gsoap/`, SCT and secret from
//! its manifest): every signed message verifies at a time inside its Timestamp
//! window; tampering, a wrong secret and an expired Timestamp fail with a reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    sct_identifier: String,
    sct_secret_b64: String,
    message: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    file: String,
    expected: String,
    timestamp: Option<Window>,
}

#[derive(Deserialize)]
struct Window {
    created: String,
}

fn gsoap() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gsoap")
}

fn manifest() -> Manifest {
    toml::from_str(&std::fs::read_to_string(gsoap().join("manifest.toml")).unwrap()).unwrap()
}

/// One second after `created` (`…:ssZ`): inside the 5-minute window.
fn just_after(created: &str) -> String {
    let (head, secs) = created.trim_end_matches('Z').rsplit_once(':').unwrap();
    let secs: u32 = secs.parse().unwrap();
    assert!(secs < 59, "pick another message: {created}");
    format!("{head}:{:02}Z", secs + 1)
}

fn at_for(m: &Manifest, file: &str) -> String {
    let msg = m.message.iter().find(|x| x.file == file).unwrap();
    just_after(&msg.timestamp.as_ref().unwrap().created)
}

fn verify(m: &Manifest, secret: &str, file: &Path, at: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsrx"));
    cmd.args([
        "verify",
        "--sct-id",
        &m.sct_identifier,
        "--sct-secret",
        secret,
    ]);
    if let Some(at) = at {
        cmd.args(["--at", at]);
    }
    cmd.arg(file).output().unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_signed_gsoap_capture_verifies_at_its_time() {
    let m = manifest();
    let signed: Vec<&Message> = m
        .message
        .iter()
        .filter(|x| x.expected == "verify")
        .collect();
    assert_eq!(signed.len(), 24);
    for msg in signed {
        let file = gsoap().join(&msg.file);
        let at = at_for(&m, &msg.file);
        let o = verify(&m, &m.sct_secret_b64, &file, Some(&at));
        assert!(o.status.success(), "{} at {at}:\n{}", msg.file, out(&o));
        let text = out(&o);
        assert!(
            text.contains("VERIFIED") && text.contains(&m.sct_identifier),
            "{text}"
        );
        assert!(text.contains("Body"), "signed parts not listed:\n{text}");
    }
}

#[test]
fn wss4j_signed_and_encrypted_sample_verifies_and_shows_the_plaintext() {
    // testdata/wss4j samples carry 10-year Timestamps and the demo SCT; the maximum
    // message age (5 minutes + skew) holds whatever Expires says, so they are checked
    // as of their Created.
    let m = manifest();
    let file = gsoap().join("../wss4j/echo-dkt-signed-encrypted.xml");
    let created = created_of(&file);
    let o = verify(&m, &m.sct_secret_b64, &file, Some(&created));
    assert!(o.status.success(), "{}", out(&o));
    // Now, long after its Created, the same message is refused.
    let o = verify(&m, &m.sct_secret_b64, &file, None);
    assert!(!o.status.success(), "{}", out(&o));
    let o = verify(&m, &m.sct_secret_b64, &file, Some(&created));
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("decrypted body content:\n<ns:echo xmlns:ns=\"urn:example:echo\">"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("hello 1"));
}

#[test]
fn failures_exit_non_zero_with_a_reason() {
    let m = manifest();
    let file = gsoap().join("sct-dkt/03-req-Echo.xml");
    let at = at_for(&m, "sct-dkt/03-req-Echo.xml");
    // Wrong secret.
    let o = verify(
        &m,
        "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE=",
        &file,
        Some(&at),
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("NOT VERIFIED"), "{}", out(&o));
    // Expired: verified now, years after the capture.
    let o = verify(&m, &m.sct_secret_b64, &file, None);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("NOT VERIFIED"));
    // Tampered body.
    let dir = std::env::temp_dir().join(format!("wsrx-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tampered = dir.join("tampered.xml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("<ns:text>"));
    std::fs::write(&tampered, text.replacen("<ns:text>", "<ns:text>x", 1)).unwrap();
    let o = verify(&m, &m.sct_secret_b64, &tampered, Some(&at));
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    // Bad arguments: a clear error and exit code 2.
    let o = Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(["verify", "--sct-id", "x"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("--sct-secret"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The first non-empty `wsu:Created` of a capture: the WSS4J captures are checked as of
/// their Created (the maximum message age holds whatever their 10-year Expires says).
fn created_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    text.split("Created>")
        .skip(1)
        .filter_map(|t| t.split('<').next())
        .find(|t| !t.is_empty())
        .unwrap()
        .to_owned()
}

/// `wsrx verify --policy P` of a `testdata/wss4j/` capture with the demo SCT, as of its
/// Created.
fn verify_under_policy(policy: Option<&str>, file: &str) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let capture = root.join("testdata/wss4j").join(file);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsrx"));
    cmd.arg("verify").args(["--at", &created_of(&capture)]);
    if let Some(p) = policy {
        cmd.arg("--policy")
            .arg(root.join("testdata/policies/variants").join(p));
    }
    cmd.args([
        "--sct-id",
        "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1",
        "--sct-secret",
        "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=",
    ])
    .arg(capture)
    .output()
    .unwrap()
}

#[test]
fn a_rampart_capture_is_judged_by_its_endpoints_policy() {
    // Issue 17: Axis2/Rampart's secure conversation signs only the Timestamp and encrypts the
    // Body and the signature. wsrx's own policy refuses it; the endpoint's accepts it.
    const POLICY: &str = "rampart-sc-timestamp-only.xml";
    const GOOD: &str = "rampart-sc-timestamp-signed-body-signature-encrypted.xml";
    let own = verify_under_policy(None, GOOD);
    assert_eq!(own.status.code(), Some(1));
    assert!(out(&own).contains("NOT satisfied: security policy not satisfied: Body not signed"));
    let good = verify_under_policy(Some(POLICY), GOOD);
    let t = out(&good);
    assert!(good.status.success(), "{t}");
    assert!(t.contains("with a derived key, encrypted, over:"), "{t}");
    assert!(
        t.contains("decrypted: Body content, 0 header(s), 0 element(s), 1 signature(s)"),
        "{t}"
    );
    assert!(
        t.contains(
            "policy: satisfied, proven by SCT urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1"
        ),
        "{t}"
    );
    for (file, reason) in [
        (
            "rampart-sc-timestamp-unsigned.xml",
            "required part not signed",
        ),
        ("rampart-sc-body-replaced.xml", "unresolved DataReference"),
        (
            "rampart-sc-body-replaced-unlisted.xml",
            "Body not encrypted",
        ),
    ] {
        let o = verify_under_policy(Some(POLICY), file);
        assert_eq!(o.status.code(), Some(1), "{file}: {}", out(&o));
        assert!(out(&o).contains("policy: NOT satisfied: "), "{file}");
        assert!(out(&o).contains(reason), "{file}: {}", out(&o));
    }
    // A message that signs more than the policy asks but does not encrypt its signature.
    let o = verify_under_policy(Some(POLICY), "echo-dkt-signed-encrypted.xml");
    assert!(out(&o).contains("signature not encrypted"), "{}", out(&o));
}
