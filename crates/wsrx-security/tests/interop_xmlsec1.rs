//! xmlsec1 (interop/README.md §3) verifies our signatures as plain XML-DSig, given the
//! HMAC key: the derived key (re-derived here from the DKT we wrote) or the SCT secret for
//! direct signatures. Without `xmlsec1` it reports `skipped: needs xmlsec1; run
//! interop/build.sh xmlsec` (counted; a failure under `WSRX_REQUIRE_INTEROP=1`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_in_result,
    reason = "test code"
)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::{demo_token, unsigned_message};
use wsrx_crypto::InsecureSeededRandom;
use wsrx_security::{AlgorithmSuite, DerivedKeyToken, ScVersion, SignConfig, Signer};
use wsrx_xml::Document;

fn id_attrs(doc: &Document) -> Vec<String> {
    let mut v: Vec<String> = doc
        .elements()
        .filter(|e| e.attributes().any(|a| a.local_name() == "Id"))
        .map(|e| {
            format!(
                "--id-attr:Id={}:{}",
                e.namespace().unwrap_or(""),
                e.local_name()
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn xmlsec1_verifies_our_signatures() {
    if wsrx_peers::xmlsec1().is_none() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xmlsec1");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = InsecureSeededRandom::from_seed(21);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let doc = Document::parse(unsigned_message("xmlsec").as_bytes()).unwrap();
    let mut checked = 0;
    for suite in [AlgorithmSuite::Basic256, AlgorithmSuite::Basic256Sha256] {
        for derived_keys in [true, false] {
            let (token, secret) = demo_token(ScVersion::V200512);
            let config = SignConfig {
                suite,
                derived_keys,
                ..SignConfig::default()
            };
            let secured = Signer::new(&token, &secret, config)
                .secure(&doc, now, &mut rng)
                .unwrap();
            let out = Document::parse(secured.as_bytes()).unwrap();
            let key = if derived_keys {
                let dkt = out
                    .elements()
                    .find(|e| e.local_name() == "DerivedKeyToken")
                    .unwrap();
                DerivedKeyToken::parse(dkt)
                    .unwrap()
                    .derive(&secret)
                    .unwrap()
            } else {
                secret
            };
            let name = format!("{suite:?}-{derived_keys}");
            let msg = dir.join(format!("{name}.xml"));
            let key_file = dir.join(format!("{name}.key"));
            std::fs::write(&msg, &secured).unwrap();
            std::fs::write(&key_file, key.expose_secret()).unwrap();
            let mut cmd = Command::new("xmlsec1");
            cmd.args(["--verify", "--hmackey"]).arg(&key_file);
            for a in id_attrs(&out) {
                let (flag, value) = a.split_once('=').unwrap();
                cmd.arg(flag).arg(value);
            }
            let res = cmd.arg(&msg).output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&res.stdout),
                String::from_utf8_lossy(&res.stderr)
            );
            assert!(
                res.status.success() && text.contains("OK"),
                "{name}: xmlsec1 said:\n{text}"
            );
            // Tampering is caught by xmlsec1 too.
            std::fs::write(&msg, secured.replace("xmlsec", "xmlsex")).unwrap();
            let mut cmd = Command::new("xmlsec1");
            cmd.args(["--verify", "--hmackey"]).arg(&key_file);
            for a in id_attrs(&out) {
                let (flag, value) = a.split_once('=').unwrap();
                cmd.arg(flag).arg(value);
            }
            assert!(
                !cmd.arg(&msg).output().unwrap().status.success(),
                "{name}: tampered accepted"
            );
            checked += 1;
        }
    }
    println!("xmlsec1 verified {checked} of our signatures and refused their tampered copies");
}
