//! Sign and verify a ~4 KB message with 6 references (Body, Timestamp, Action,
//! MessageID, To, Sequence) under derived keys, Basic256Sha256: as WS-SP 1.2 §6.1 reads it
//! (HMAC-SHA1, SHA-256 digests; the default) and as WCF reads it (HMAC-SHA256), through the
//! legacy calls (`Verifier::verify` + `Policy::check`) and through `ProtectionPolicy::open`;
//! and with the Body encrypted (AES-256-CBC), sign-before-encrypting and
//! encrypt-before-signing. Budget (crates.md §2): about 30 µs each on one core.
//!
//! It also writes the secured message, a template of it (DigestValues and SignatureValue
//! emptied) and the derived signing key to `target/tmp/wsrx-bergshamra/` for the
//! bergshamra 0.11.1 comparison in `../bergshamra-bench/` (a separate Cargo project:
//! bergshamra's kryptering 0.7 pins `rsa =0.10.0-rc.19`, which cannot share a lock file
//! with wsrx-crypto's `rsa 0.10.0`). Run it after this bench:
//! `CARGO_TARGET_DIR=target cargo bench --manifest-path crates/wsrx-security/bergshamra-bench/Cargo.toml`
//! (from the workspace root, so it shares the one target directory).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench code")]

use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use wsrx_crypto::{InsecureSeededRandom, SecretKey};
use wsrx_security::{
    AlgorithmPolicy, AlgorithmSuite, DerivedKeyToken, KeyResolver, Policy, ProtectionOrder,
    ProtectionPolicy, ResolveError, ScVersion, SecurityContextToken, SignConfig, Signer, Verifier,
};
use wsrx_xml::Document;

/// The bergshamra template: `secured` with every DigestValue and the SignatureValue empty.
fn template(secured: &str) -> String {
    let mut out = String::with_capacity(secured.len());
    let mut rest = secured;
    while let Some(at) = ["<ds:DigestValue>", "<ds:SignatureValue>"]
        .iter()
        .filter_map(|t| rest.find(t).map(|i| (i, *t)))
        .min()
    {
        let (i, tag) = at;
        let open_end = i + tag.len();
        out.push_str(&rest[..open_end]);
        let close = rest[open_end..].find("</").unwrap();
        rest = &rest[open_end + close..];
    }
    out.push_str(rest);
    out
}

/// The signing key of `secured`: its `wsrx-dk-sig` DKT applied to the SCT secret.
fn signing_key(secured: &str, secret: &SecretKey) -> SecretKey {
    let doc = Document::parse(secured.as_bytes()).unwrap();
    let dkt = doc
        .elements()
        .find(|e| {
            e.local_name() == "DerivedKeyToken"
                && e.attributes().any(|a| a.value() == "wsrx-dk-sig")
        })
        .unwrap();
    DerivedKeyToken::parse(dkt).unwrap().derive(secret).unwrap()
}

/// Writes what the bergshamra comparison (`bergshamra-bench/`, a separate Cargo project)
/// needs: our secured message, its template and the derived signing key (a bench key).
fn write_bergshamra_fixture(secured: &str, secret: &SecretKey) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wsrx-bergshamra");
    std::fs::create_dir_all(&dir).unwrap();
    let template = template(secured);
    assert_ne!(template, secured);
    std::fs::write(dir.join("secured.xml"), secured).unwrap();
    std::fs::write(dir.join("template.xml"), template).unwrap();
    std::fs::write(
        dir.join("signing-key.hex"),
        hex::encode(signing_key(secured, secret).expose_secret()),
    )
    .unwrap();
    println!("bergshamra fixture written to {}", dir.display());
}

struct One(Vec<u8>);
impl KeyResolver for One {
    fn sct_secret(&self, _: &str, _: Option<&str>) -> Result<SecretKey, ResolveError> {
        Ok(SecretKey::from_slice(&self.0))
    }
}

fn message() -> String {
    let items: String = (0..40)
        .map(|i| {
            format!("<ns:item n=\"{i}\">payload line {i} with some text to fill the body</ns:item>")
        })
        .collect();
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:r="http://docs.oasis-open.org/ws-rx/wsrm/200702" xmlns:u="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><s:Header><a:Action s:mustUnderstand="1" u:Id="_1">urn:example:echo/Echo</a:Action><a:MessageID u:Id="_2">urn:uuid:0b0b0b0b-1111-2222-3333-444444444444</a:MessageID><a:To s:mustUnderstand="1" u:Id="_3">http://127.0.0.1:8089/echo</a:To><r:Sequence s:mustUnderstand="1" u:Id="_4"><r:Identifier>urn:uuid:5e0f0000-aaaa-bbbb-cccc-dddddddddddd</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence></s:Header><s:Body u:Id="_6"><ns:echo xmlns:ns="urn:example:echo">{items}</ns:echo></s:Body></s:Envelope>"#
    )
}

fn bench(c: &mut Criterion) {
    let secret = vec![7u8; 32];
    let key = SecretKey::from_slice(&secret);
    let token = SecurityContextToken {
        version: ScVersion::V200512,
        identifier: "urn:uuid:bench".to_owned(),
        instance: None,
        wsu_id: None,
    };
    let config = SignConfig {
        suite: AlgorithmSuite::Basic256Sha256,
        ..SignConfig::default()
    };
    let signer = Signer::new(&token, &key, config);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let unsigned = Document::parse(message().as_bytes()).unwrap();
    let mut rng = InsecureSeededRandom::from_seed(1);
    let secured = signer.secure(&unsigned, now, &mut rng).unwrap();
    println!("secured message: {} bytes", secured.len());
    let resolver = One(secret);
    c.bench_function("sign 4KB 6 refs (parsed envelope in, text out)", |b| {
        b.iter(|| signer.secure(&unsigned, now, &mut rng).unwrap())
    });
    let doc = Document::parse(secured.as_bytes()).unwrap();
    let verifier = Verifier::default();
    c.bench_function("verify+policy 4KB 6 refs (parsed document in)", |b| {
        b.iter(|| {
            let v = verifier.verify(&doc, &resolver, now).unwrap();
            Policy::default().check(&v).unwrap();
        })
    });
    c.bench_function("parse+verify+policy 4KB 6 refs (bytes in)", |b| {
        b.iter(|| {
            let doc = Document::parse(secured.as_bytes()).unwrap();
            let v = verifier.verify(&doc, &resolver, now).unwrap();
            Policy::default().check(&v).unwrap();
        })
    });
    // The same message under WCF's reading (HMAC-SHA256): the algorithm wsrx used to sign
    // Basic256Sha256 with, for a like-for-like comparison with earlier figures.
    let wcf = ProtectionPolicy {
        algorithms: AlgorithmPolicy::new(AlgorithmSuite::Basic256Sha256).wcf_reading(),
        ..ProtectionPolicy::default()
    };
    let wcf_signer = Signer::with_policy(&token, &key, &wcf);
    c.bench_function("sign 4KB 6 refs, WCF reading (HMAC-SHA256)", |b| {
        b.iter(|| wcf_signer.secure(&unsigned, now, &mut rng).unwrap())
    });
    let wcf_secured = wcf_signer.secure(&unsigned, now, &mut rng).unwrap();
    let wcf_doc = Document::parse(wcf_secured.as_bytes()).unwrap();
    c.bench_function("verify+policy 4KB 6 refs, WCF reading (HMAC-SHA256)", |b| {
        b.iter(|| {
            let v = verifier.verify(&wcf_doc, &resolver, now).unwrap();
            Policy::default().check(&v).unwrap();
        })
    });
    let policy = ProtectionPolicy::default();
    c.bench_function(
        "ProtectionPolicy::open 4KB 6 refs (parsed document in)",
        |b| {
            b.iter(|| {
                let o = policy.open(&doc, &resolver, now, &verifier, None).unwrap();
                assert!(o.signer().is_some());
            })
        },
    );
    let strict = ProtectionPolicy {
        algorithms: AlgorithmPolicy::new(AlgorithmSuite::Basic256Sha256).strict(),
        ..ProtectionPolicy::default()
    };
    c.bench_function(
        "ProtectionPolicy::open 4KB 6 refs, suite held strictly",
        |b| {
            b.iter(|| {
                strict.open(&doc, &resolver, now, &verifier, None).unwrap();
            })
        },
    );

    let enc_config = SignConfig {
        suite: AlgorithmSuite::Basic256Sha256,
        encrypt_body: true,
        ..SignConfig::default()
    };
    let enc_signer = Signer::new(&token, &key, enc_config);
    c.bench_function("sign+encrypt Body 4KB 6 refs AES-256-CBC", |b| {
        b.iter(|| enc_signer.secure(&unsigned, now, &mut rng).unwrap())
    });
    let encrypted = enc_signer.secure(&unsigned, now, &mut rng).unwrap();
    let enc_doc = Document::parse(encrypted.as_bytes()).unwrap();
    c.bench_function("decrypt+verify+policy 4KB 6 refs AES-256-CBC", |b| {
        b.iter(|| {
            let d = wsrx_security::decrypt(&enc_doc, &resolver)
                .unwrap()
                .unwrap();
            let v = verifier.verify(d.document(), &resolver, now).unwrap();
            Policy::default().check(&v).unwrap();
        })
    });
    let mut enc_policy = ProtectionPolicy::default();
    enc_policy.encrypted.body = true;
    c.bench_function("ProtectionPolicy::open, Body encrypted AES-256-CBC", |b| {
        b.iter(|| {
            enc_policy
                .open(&enc_doc, &resolver, now, &verifier, None)
                .unwrap();
        })
    });
    let mut ebs = enc_policy.clone();
    ebs.order = ProtectionOrder::EncryptBeforeSigning;
    let ebs_signer = Signer::with_policy(&token, &key, &ebs);
    c.bench_function("encrypt-then-sign Body 4KB 6 refs AES-256-CBC", |b| {
        b.iter(|| ebs_signer.secure(&unsigned, now, &mut rng).unwrap())
    });
    let ebs_doc = Document::parse(
        ebs_signer
            .secure(&unsigned, now, &mut rng)
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    c.bench_function(
        "ProtectionPolicy::open, encrypt-then-sign AES-256-CBC",
        |b| {
            b.iter(|| {
                ebs.open(&ebs_doc, &resolver, now, &verifier, None).unwrap();
            })
        },
    );
    write_bergshamra_fixture(&secured, &key);
}

criterion_group!(benches, bench);
criterion_main!(benches);
