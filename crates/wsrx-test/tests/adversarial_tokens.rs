//! Token abuse against the real `wsrx serve` over HTTP (issue 9; threat model T10, T11,
//! T6): an unknown SCT, derived keys with absurd Length, Offset or Generation, DKT nonce
//! reuse, and a replayed WS-Trust RST. Each refusal is checked for its exact fault, for
//! nothing reaching the application and for the victim's sequence going on; the absurd
//! derivations also for the server's memory staying put.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

mod common;

use common::{
    Answer, Target, Victim, app_wire, application, close, create_sequence, delivered, prot_a,
    protection, replace1, seal_seeded, terminate,
};
use std::time::{Duration, SystemTime};

use wsrx_crypto::OsRandom;
use wsrx_runtime::echo;
use wsrx_runtime::pipeline::Protection;
use wsrx_sc::{EstablishedSct, Session, SessionConfig, TokenFor};
use wsrx_security::SecurityContextToken;

#[test]
fn token_abuse_is_refused_cleanly() {
    let t = Target::start("tokens", &[]);
    let mut v = Victim::create(&t);
    let url = v.url.clone();
    let seq = v.seq.clone();
    let mut log = Vec::new();
    let rss0 = t.served.rss_kib().unwrap_or(0);

    let mut check = |v: &mut Victim, name: &str, attack: &str, want: &str| {
        let before = t.deliveries().len();
        let a = Answer::read(&t.post(attack));
        println!("{name}: HTTP {} fault {:?}", a.status, a.fault);
        assert_eq!(a.status, 400, "{name}: {}", a.text);
        assert_eq!(a.subcode(), want, "{name}: {}", a.text);
        assert_eq!(
            t.deliveries().len(),
            before,
            "{name}: reached the application"
        );
        let text = format!("after {name}");
        v.send(&t, &text);
        log.push((v.next - 1, text));
        assert_eq!(delivered(&t, &seq), log, "{name}");
    };

    // An SCT the server never heard of, signing a message of A's sequence.
    let unknown = protection("urn:uuid:0000dead-0000-4000-8000-000000000000", &[9u8; 32]);
    let n = v.next;
    check(
        &mut v,
        "unknown_sct",
        &application(&url, Some(&unknown), &seq, n, "x"),
        "BadContextToken",
    );

    // Absurd derivations: refused before any hashing (Length ≤ 64, offset + length ≤ 1 KiB).
    let absurd: [(&str, &str, &str); 5] = [
        (
            "dkt_length_2_pow_31",
            "<wsc:Length>24</wsc:Length>",
            "<wsc:Length>2147483648</wsc:Length>",
        ),
        (
            "dkt_length_u64_max",
            "<wsc:Length>24</wsc:Length>",
            "<wsc:Length>18446744073709551615</wsc:Length>",
        ),
        (
            "dkt_offset_huge",
            "<wsc:Offset>0</wsc:Offset>",
            "<wsc:Offset>4294967295</wsc:Offset>",
        ),
        (
            "dkt_generation_huge",
            "<wsc:Offset>0</wsc:Offset>",
            "<wsc:Generation>4294967295</wsc:Generation>",
        ),
        (
            "dkt_length_zero",
            "<wsc:Length>24</wsc:Length>",
            "<wsc:Length>0</wsc:Length>",
        ),
    ];
    for (name, from, to) in absurd {
        let (_, m) = v.capture("never");
        v.next -= 1; // the genuine message is not sent: the number is reused
        check(
            &mut v,
            name,
            &replace1(&m, from, to),
            "InvalidSecurityToken",
        );
    }
    let rss1 = t.served.rss_kib().unwrap_or(0);
    println!("server VmRSS: {rss0} KiB before the absurd derivations, {rss1} KiB after");
    assert!(
        rss1 < rss0 + 200 * 1024,
        "memory grew by {} KiB",
        rss1 - rss0
    );

    // DKT nonce reuse: two different, properly signed messages whose derived keys share
    // one nonce. Not a replay (the signatures differ); both are delivered once. The
    // replay defences are the Timestamp window, the signature cache and RM duplicate
    // detection (docs/threat-model.md, T6 and T24).
    let a = prot_a();
    let n1 = v.next;
    let m1 = seal_seeded(
        &app_wire(&seq, n1),
        Some(&echo::body("nonce 1")),
        echo::NOTIFY_ACTION,
        &url,
        &a,
        42,
    );
    let m2 = seal_seeded(
        &app_wire(&seq, n1 + 1),
        Some(&echo::body("nonce 2")),
        echo::NOTIFY_ACTION,
        &url,
        &a,
        42,
    );
    let nonce = |m: &str| common::element(m, "wsc:Nonce").to_owned();
    assert_eq!(
        nonce(&m1),
        nonce(&m2),
        "the two messages share their DKT nonce"
    );
    for m in [&m1, &m2] {
        let r = Answer::read(&t.post(m));
        println!("dkt_nonce_reuse: HTTP {} fault {:?}", r.status, r.fault);
        assert!(r.fault.is_none(), "{}", r.text);
    }
    v.next += 2;
    common::wait_delivered(&t, &seq, n1 + 1);
    log.push((n1, "nonce 1".to_owned()));
    log.push((n1 + 1, "nonce 2".to_owned()));
    assert_eq!(delivered(&t, &seq), log);

    let last = v.next - 1;
    assert!(
        Answer::read(&t.post(&close(&url, Some(&a), &seq, Some(last))))
            .fault
            .is_none()
    );
    assert!(
        Answer::read(&t.post(&terminate(&url, Some(&a), &seq, Some(last))))
            .fault
            .is_none()
    );
    assert_eq!(delivered(&t, &seq), log, "exactly once, in order");
}

/// One exchange of the session with the server's token service: every queued RST is
/// posted and its answer handed back. Returns the (status, body) of each.
fn exchange(t: &Target, s: &mut Session<OsRandom>) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    while let Some(tx) = s.poll_transmit() {
        let r = t.post(&tx.envelope);
        let body = r.text();
        if let Ok(doc) = wsrx_xml::Document::parse(body.as_bytes()) {
            let _ = s.handle_rstr(SystemTime::now(), &doc);
        }
        out.push((r.status, body));
    }
    out
}

fn sct_protection(c: &EstablishedSct) -> Protection {
    Protection {
        sct: SecurityContextToken {
            version: c.version,
            identifier: c.identifier.clone(),
            instance: c.instance.clone(),
            wsu_id: None,
        },
        secret: c.secret.clone(),
    }
}

/// The token service's certificate and key as PEM files in a fresh directory: a new RSA key
/// and a self-signed certificate.
fn service_identity() -> (
    std::path::PathBuf,
    std::path::PathBuf,
    wsrx_security::Certificate,
) {
    let dir = std::env::temp_dir().join(format!("wsrx-adv-identity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = wsrx_crypto::RsaPrivateKey::generate(2048, &mut OsRandom).unwrap();
    let der = key.to_pkcs8_der().unwrap();
    let pair = rcgen::KeyPair::try_from(der.expose_secret()).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&pair)
        .unwrap();
    let (pem, key_file) = (dir.join("service.pem"), dir.join("service.key"));
    std::fs::write(&pem, cert.pem()).unwrap();
    std::fs::write(&key_file, pair.serialize_pem()).unwrap();
    (
        pem,
        key_file,
        wsrx_security::Certificate::from_der(cert.der()).unwrap(),
    )
}

/// With the WS-Trust token service (`--x509-cert/--x509-key`, the X.509 symmetric bootstrap
/// over plain HTTP: the UsernameToken bootstrap would put key material in clear there): a
/// replayed Issue RST, the old instance after a renewal, a cancelled context and an expired
/// one are all refused; nothing reaches the application, and the sequence bound to the
/// renewed context completes.
#[test]
fn token_service_abuse_is_refused() {
    let (pem, key, cert) = service_identity();
    let t = Target::start(
        "trust",
        &[
            "--x509-cert",
            pem.to_str().unwrap(),
            "--x509-key",
            key.to_str().unwrap(),
        ],
    );
    let url = t.url();
    let config = SessionConfig {
        server_certificate: Some(std::sync::Arc::new(cert)),
        lifetime: Some(Duration::from_secs(120)),
        renew_before: Duration::from_secs(118),
        ..SessionConfig::default()
    };
    let mut s = Session::new(config, OsRandom);
    assert_eq!(
        s.token_for(&url, SystemTime::now()).unwrap(),
        TokenFor::Pending
    );
    let issue = s.poll_transmit().unwrap();
    let r = Answer::read(&t.post(&issue.envelope));
    assert!(r.fault.is_none(), "issue: {}", r.text);
    s.handle_rstr(
        SystemTime::now(),
        &wsrx_xml::Document::parse(r.text.as_bytes()).unwrap(),
    )
    .unwrap();
    let old = s.context(&url, SystemTime::now()).unwrap().clone();
    println!("issued {} over HTTP (X.509 bootstrap)", old.identifier);

    // 1. The Issue RST replayed byte for byte: its signature was seen (replay cache).
    let replay = Answer::read(&t.post(&issue.envelope));
    println!(
        "replayed_rst: HTTP {} fault {:?}",
        replay.status, replay.fault
    );
    assert_eq!(replay.subcode(), "FailedAuthentication", "{}", replay.text);

    // A sequence bound to the issued context completes.
    let p = sct_protection(&old);
    let seq = Answer::read(&t.post(&create_sequence(&url, Some(&p), Some(&old.identifier))))
        .created()
        .unwrap();
    assert!(
        Answer::read(&t.post(&application(&url, Some(&p), &seq, 1, "one")))
            .fault
            .is_none()
    );
    assert!(
        Answer::read(&t.post(&close(&url, Some(&p), &seq, Some(1))))
            .fault
            .is_none()
    );
    assert!(
        Answer::read(&t.post(&terminate(&url, Some(&p), &seq, Some(1))))
            .fault
            .is_none()
    );
    common::wait_delivered(&t, &seq, 1);
    assert_eq!(delivered(&t, &seq), vec![(1, "one".to_owned())]);

    // A sequence that lives across the renewal.
    let live = Answer::read(&t.post(&create_sequence(&url, Some(&p), Some(&old.identifier))))
        .created()
        .unwrap();
    assert!(
        Answer::read(&t.post(&application(&url, Some(&p), &live, 1, "before renewal")))
            .fault
            .is_none()
    );

    // 2. Renewal: the old instance stops working at once.
    std::thread::sleep(Duration::from_millis(2100));
    let _ = s.token_for(&url, SystemTime::now());
    s.handle_timeout(SystemTime::now()).unwrap();
    let answers = exchange(&t, &mut s);
    assert_eq!(answers.len(), 1, "one Renew RST");
    let new = s.context(&url, SystemTime::now()).unwrap().clone();
    assert_eq!(new.identifier, old.identifier);
    assert_ne!(new.instance, old.instance, "renewed: {}", answers[0].1);
    let before = t.deliveries().len();
    let a = Answer::read(&t.post(&create_sequence(&url, Some(&p), Some(&old.identifier))));
    println!(
        "old_instance_after_renewal: HTTP {} fault {:?}",
        a.status, a.fault
    );
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.subcode(), "BadContextToken", "{}", a.text);
    assert_eq!(t.deliveries().len(), before);
    // The sequence bound to the context goes on under the new Instance and key (a
    // renewal keeps the Identifier the sequence is bound to), and the server protects
    // its answers with the new instance.
    let p2 = sct_protection(&new);
    for answer in [
        Answer::read(&t.post(&application(&url, Some(&p2), &live, 2, "after renewal"))),
        Answer::read(&t.post(&close(&url, Some(&p2), &live, Some(2)))),
        Answer::read(&t.post(&terminate(&url, Some(&p2), &live, Some(2)))),
    ] {
        assert!(answer.fault.is_none(), "{}", answer.text);
        assert!(
            answer.text.contains(new.instance.as_deref().unwrap()),
            "answer protected with the new instance: {}",
            answer.text
        );
    }
    common::wait_delivered(&t, &live, 2);
    assert_eq!(
        delivered(&t, &live),
        vec![
            (1, "before renewal".to_owned()),
            (2, "after renewal".to_owned())
        ]
    );

    // 3. Cancel, then use: refused.
    s.shutdown(SystemTime::now()).unwrap();
    let answers = exchange(&t, &mut s);
    assert_eq!(answers.len(), 1, "one Cancel RST");
    let before = t.deliveries().len();
    let a = Answer::read(&t.post(&create_sequence(&url, Some(&p2), Some(&new.identifier))));
    println!("cancelled_sct: HTTP {} fault {:?}", a.status, a.fault);
    assert_eq!(a.subcode(), "BadContextToken", "{}", a.text);
    assert_eq!(t.deliveries().len(), before);

    // 4. An expired context (asked for a 2 s lifetime).
    let config = SessionConfig {
        server_certificate: Some(std::sync::Arc::new(
            wsrx_security::Certificate::from_pem(&std::fs::read_to_string(&pem).unwrap()).unwrap(),
        )),
        lifetime: Some(Duration::from_secs(2)),
        renew_before: Duration::from_secs(1),
        ..SessionConfig::default()
    };
    let mut s = Session::new(config, OsRandom);
    let _ = s.token_for(&url, SystemTime::now()).unwrap();
    let _ = exchange(&t, &mut s);
    let short = s.context(&url, SystemTime::now()).unwrap().clone();
    std::thread::sleep(Duration::from_millis(2500));
    let a = Answer::read(&t.post(&create_sequence(
        &url,
        Some(&sct_protection(&short)),
        Some(&short.identifier),
    )));
    println!("expired_sct: HTTP {} fault {:?}", a.status, a.fault);
    assert_eq!(a.subcode(), "BadContextToken", "{}", a.text);
    assert_eq!(t.deliveries().len(), before);
}
