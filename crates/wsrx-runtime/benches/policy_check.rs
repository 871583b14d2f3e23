//! The per-message cost of following an effective policy (issue 17 item 6), beside the
//! verification it comes with: the policy is computed once per endpoint
//! (`effective::from_wsdl`, timed here too); per message, `ProtectionPolicy::check` walks the
//! verified message's node identities (no parse, no crypto) after `Verifier::verify`, and
//! `ProtectionPolicy::open` does both (and decrypts) in the policy's order.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark code"
)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use wsrx_crypto::{InsecureSeededRandom, SecretKey};
use wsrx_runtime::effective;
use wsrx_security::{KeyResolver, ResolveError, ScVersion, SecurityContextToken, Signer, Verifier};
use wsrx_xml::Document;

const SCT: &str = "urn:uuid:bench";

struct One;

impl KeyResolver for One {
    fn sct_secret(&self, _: &str, _: Option<&str>) -> Result<SecretKey, ResolveError> {
        Ok(SecretKey::from_slice(&[7u8; 32]))
    }
}

fn wsdl(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/policies/runtime")
            .join(format!("{name}.wsdl")),
    )
    .unwrap()
}

/// A 4 KB echo request with WS-A and WS-RM headers (as `wsrx-security`'s bench).
fn message() -> String {
    let items: String = (0..40)
        .map(|i| format!("<ns:item n=\"{i}\">payload line {i:04} ................................................................</ns:item>"))
        .collect();
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:r="http://docs.oasis-open.org/ws-rx/wsrm/200702" xmlns:u="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><s:Header><a:Action s:mustUnderstand="1" u:Id="_1">urn:example:echo/Echo</a:Action><a:MessageID u:Id="_2">urn:uuid:0b0b0b0b-1111-2222-3333-444444444444</a:MessageID><a:To s:mustUnderstand="1" u:Id="_3">http://127.0.0.1:8089/echo</a:To><r:Sequence s:mustUnderstand="1" u:Id="_4"><r:Identifier>urn:uuid:5e0f0000-aaaa-bbbb-cccc-dddddddddddd</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence></s:Header><s:Body u:Id="_6"><ns:echo xmlns:ns="urn:example:echo">{items}</ns:echo></s:Body></s:Envelope>"#
    )
}

fn bench(c: &mut Criterion) {
    let token = SecurityContextToken {
        version: ScVersion::V200512,
        identifier: SCT.to_owned(),
        instance: None,
        wsu_id: None,
    };
    let secret = SecretKey::from_slice(&[7u8; 32]);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let unsigned = Document::parse(message().as_bytes()).unwrap();
    let mut rng = InsecureSeededRandom::from_seed(3);
    let verifier = Verifier::default();

    let signed_wsdl = wsdl("signed-only");
    c.bench_function(
        "configure once: effective::from_wsdl (signed-only.wsdl)",
        |b| {
            b.iter(|| {
                black_box(
                    effective::from_wsdl("b.wsdl", black_box(&signed_wsdl), None, None, None)
                        .unwrap(),
                )
            })
        },
    );

    for name in ["signed-only", "encrypt-signature"] {
        let policy = effective::from_wsdl(name, &wsdl(name), None, None, None)
            .unwrap()
            .policy;
        let secured = Signer::with_policy(&token, &secret, &policy)
            .secure(&unsigned, now, &mut rng)
            .unwrap();
        let doc = Document::parse(secured.as_bytes()).unwrap();
        if name == "signed-only" {
            c.bench_function(
                "per message: Verifier::verify 4KB 6 refs (today's verify)",
                |b| b.iter(|| black_box(verifier.verify(&doc, &One, now).unwrap())),
            );
            let verified = verifier.verify(&doc, &One, now).unwrap();
            c.bench_function(
                "per message: ProtectionPolicy::check alone (WSDL policy)",
                |b| {
                    b.iter(|| {
                        black_box(policy.check(black_box(&verified), None, None).unwrap());
                    })
                },
            );
        }
        c.bench_function(
            &format!("per message: open under {name}.wsdl (decrypt, verify, check)"),
            |b| b.iter(|| black_box(policy.open(&doc, &One, now, &verifier, None).unwrap())),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
