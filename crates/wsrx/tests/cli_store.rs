//! The `wsrx keys` and `wsrx store` commands against a real SQLite store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wsrx_store::{
    Batch, KeyRing, KeyRingSource, PayloadPut, Role, SqliteBackend, SqliteOptions, Store, TokenPut,
};
use wsrx_test::fixture::cli::text;
use zeroize::Zeroizing;

fn wsrx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(args)
        .env_remove("WSRX_KEYRING")
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsrx-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn populate(db: &Path, ring: &Path) {
    let store = Store::open(
        SqliteBackend::open(db, SqliteOptions::default()).unwrap(),
        KeyRing::from_file(ring).unwrap(),
    )
    .unwrap();
    let mut b = Batch::default();
    b.records
        .push(("urn:uuid:seq-1".into(), Role::Source, b"created".to_vec()));
    b.payloads.push(PayloadPut {
        handle: 1,
        sequence: "urn:uuid:seq-1".into(),
        number: 1,
        plaintext: Zeroizing::new(b"hello".to_vec()),
    });
    b.tokens.push(TokenPut {
        identifier: "urn:uuid:sct-1".into(),
        expires_at_ms: Some(1_900_000_000_000),
        serialized: Zeroizing::new(b"TOP-SECRET-SCT-KEY".to_vec()),
    });
    store.commit(b).unwrap();
}

#[test]
fn keys_store_list_check_and_rewrap() {
    let dir = scratch("store");
    let ring = dir.join("ring");
    let db = dir.join("wsrx.db");
    let ring_s = ring.to_str().unwrap();
    let db_s = db.to_str().unwrap();

    let out = wsrx(&["keys", "generate", ring_s]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !wsrx(&["keys", "generate", ring_s]).status.success(),
        "overwrote a key ring"
    );
    populate(&db, &ring);

    let out = wsrx(&["store", "--store", db_s, "--keyring", ring_s, "list"]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = text(&out);
    assert!(
        listing.contains("urn:uuid:seq-1")
            && listing.contains("source")
            && listing.contains("urn:uuid:sct-1"),
        "{listing}"
    );
    assert!(!listing.contains("TOP-SECRET"), "a secret was printed");
    // A record this version cannot decode is named, not skipped.
    assert!(listing.contains("undecodable (record 0)"), "{listing}");
    let out = wsrx(&[
        "store",
        "--store",
        db_s,
        "--keyring",
        ring_s,
        "show",
        "urn:uuid:seq-1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("record 0 of sequence urn:uuid:seq-1 cannot be decoded"),
        "{}",
        text(&out)
    );

    let out = wsrx(&["store", "--store", db_s, "--keyring", ring_s, "check"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("3 rows ok, 0 bad"));

    // Rotation: old rows still open, rewrap re-seals them, the old key can go.
    let out = wsrx(&["keys", "rotate", ring_s]);
    assert!(out.status.success(), "{}", text(&out));
    let out = wsrx(&["keys", "list", ring_s]);
    assert_eq!(text(&out).lines().count(), 2);
    let out = wsrx(&["store", "--store", db_s, "--keyring", ring_s, "rewrap"]);
    assert!(text(&out).contains("re-sealed 3 rows"), "{}", text(&out));
    let content = std::fs::read_to_string(&ring).unwrap();
    let active: Vec<&str> = content
        .lines()
        .filter(|l| !l.starts_with('#'))
        .take(1)
        .collect();
    let only_new = dir.join("ring-new");
    std::fs::write(&only_new, format!("{}\n", active[0])).unwrap();
    set_private(&only_new);
    let out = wsrx(&[
        "store",
        "--store",
        db_s,
        "--keyring",
        only_new.to_str().unwrap(),
        "check",
    ]);
    assert!(text(&out).contains("3 rows ok"), "{}", text(&out));

    // A tampered row is named and the check fails.
    let backend = SqliteBackend::open(&db, SqliteOptions::default()).unwrap();
    backend
        .tamper("payloads", "handle = 1", |b| b[15] ^= 0x40)
        .unwrap();
    drop(backend);
    let out = wsrx(&["store", "--store", db_s, "--keyring", ring_s, "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("payload 1 (message 1 of sequence urn:uuid:seq-1)"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
fn set_private(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[cfg(not(unix))]
fn set_private(_: &Path) {}

#[cfg(unix)]
#[test]
fn a_key_ring_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("perm");
    let ring = dir.join("ring");
    assert!(
        wsrx(&["keys", "generate", ring.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(
        std::fs::metadata(&ring).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&ring, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = wsrx(&["keys", "list", ring.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("readable by group or others"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A store with RM records as the runtime writes them: a live source sequence S1 (three
/// messages, the first acknowledged), a closed source S2 with everything acknowledged,
/// a closed destination D1 with everything delivered, a live source S3, and tokens.
fn populate_rm(db: &Path, ring: &Path) {
    use wsrx_rm::msg::{AckRange, EndpointRef, IncompleteSequenceBehavior, PayloadRef};
    use wsrx_rm::persist::{DestinationRecord, SourceRecord};
    use wsrx_rm::{RmVersion, SecurityBinding, SequenceId, SourceState, StoreOp, record};
    let store = Store::open(
        SqliteBackend::open(db, SqliteOptions::default()).unwrap(),
        KeyRing::from_file(ring).unwrap(),
    )
    .unwrap();
    let source = |id: &str, token: &str| {
        StoreOp::SourceCreated(SourceRecord {
            id: SequenceId::new(id),
            version: RmVersion::V1_1,
            to: EndpointRef("http://127.0.0.1:9/".into()),
            binding: Some(SecurityBinding::new(token.to_owned())),
            expires_at: None,
            incomplete: IncompleteSequenceBehavior::NoDiscard,
        })
    };
    let stored = |id: &str, number: u64| StoreOp::OutboundStored {
        id: SequenceId::new(id),
        number,
        payload: Some(PayloadRef(number)),
        last: false,
    };
    let acked = |id: &str, upper: u64| StoreOp::OutboundAcked {
        id: SequenceId::new(id),
        ranges: vec![AckRange { lower: 1, upper }],
    };
    let mut b = Batch::default();
    let mut add = |id: &str, role: Role, ops: Vec<StoreOp>| {
        for op in ops {
            b.records.push((id.to_owned(), role, record::encode(&op)));
        }
    };
    add(
        "urn:uuid:s1",
        Role::Source,
        vec![
            source("urn:uuid:s1", "urn:uuid:t1"),
            stored("urn:uuid:s1", 1),
            stored("urn:uuid:s1", 2),
            stored("urn:uuid:s1", 3),
            acked("urn:uuid:s1", 1),
        ],
    );
    add(
        "urn:uuid:s2",
        Role::Source,
        vec![
            source("urn:uuid:s2", "urn:uuid:t1"),
            stored("urn:uuid:s2", 1),
            acked("urn:uuid:s2", 1),
            StoreOp::SourceStateChanged {
                id: SequenceId::new("urn:uuid:s2"),
                state: SourceState::Closed,
                last_number: Some(1),
            },
        ],
    );
    add(
        "urn:uuid:s3",
        Role::Source,
        vec![source("urn:uuid:s3", "urn:uuid:t3")],
    );
    let d1 = SequenceId::new("urn:uuid:d1");
    add(
        "urn:uuid:d1",
        Role::Destination,
        vec![
            StoreOp::DestinationCreated(DestinationRecord {
                id: d1.clone(),
                version: RmVersion::V1_1,
                acks_to: EndpointRef("http://www.w3.org/2005/08/addressing/anonymous".into()),
                binding: Some(SecurityBinding::new("urn:uuid:t2".to_owned())),
                expires_at: None,
                incomplete: IncompleteSequenceBehavior::NoDiscard,
                offer_id: None,
            }),
            StoreOp::InboundRecorded {
                id: d1.clone(),
                number: 1,
                payload: Some(PayloadRef(100)),
                delivered: false,
                last: false,
                at: None,
            },
            StoreOp::DeliveredThrough {
                id: d1.clone(),
                number: 1,
            },
            StoreOp::DestinationClosed {
                id: d1,
                last_number: Some(1),
            },
        ],
    );
    for n in 2..=3 {
        b.payloads.push(PayloadPut {
            handle: n,
            sequence: "urn:uuid:s1".into(),
            number: n,
            plaintext: Zeroizing::new(b"payload".to_vec()),
        });
    }
    for (id, expires) in [
        ("urn:uuid:t1", 4_000_000_000_000i64),
        ("urn:uuid:t2", 1_000_000_000_000),
        ("urn:uuid:t3", 1_000_000_000_000),
    ] {
        b.tokens.push(TokenPut {
            identifier: id.into(),
            expires_at_ms: Some(expires),
            serialized: Zeroizing::new(b"TOP-SECRET-SCT-KEY".to_vec()),
        });
    }
    store.commit(b).unwrap();
}

#[test]
fn store_list_show_terminate_and_purge_decode_the_records() {
    let dir = scratch("ops");
    let ring = dir.join("ring");
    let db = dir.join("wsrx.db");
    assert!(
        wsrx(&["keys", "generate", ring.to_str().unwrap()])
            .status
            .success()
    );
    populate_rm(&db, &ring);
    let store = |args: &[&str]| {
        let mut all = vec![
            "store",
            "--store",
            db.to_str().unwrap(),
            "--keyring",
            ring.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        wsrx(&all)
    };
    let row = |listing: &str, id: &str| -> Vec<String> {
        listing
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} not listed: {listing}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };

    let out = store(&["list"]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = text(&out);
    assert!(!listing.contains("TOP-SECRET"), "a secret was printed");
    // SEQUENCE ROLE STATE TOKEN STORED UNACK DELIVERED
    assert_eq!(
        row(&listing, "urn:uuid:s1"),
        [
            "urn:uuid:s1",
            "source",
            "active",
            "urn:uuid:t1",
            "3",
            "2",
            "-"
        ]
    );
    assert_eq!(
        row(&listing, "urn:uuid:s2"),
        [
            "urn:uuid:s2",
            "source",
            "closed",
            "urn:uuid:t1",
            "1",
            "0",
            "-"
        ]
    );
    assert_eq!(
        row(&listing, "urn:uuid:d1"),
        [
            "urn:uuid:d1",
            "destination",
            "closed",
            "urn:uuid:t2",
            "1",
            "-",
            "1"
        ]
    );
    assert!(listing.contains("(expired)"), "{listing}");

    let out = store(&["show", "urn:uuid:s1"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    for expected in [
        "role       source",
        "stored     1-3",
        "acked      1\n",
        "payloads   2-3",
        "token      urn:uuid:t1 (expires 4000000000000)",
        "OutboundStored",
    ] {
        assert!(shown.contains(expected), "{expected:?} missing: {shown}");
    }
    assert!(!shown.contains("TOP-SECRET"));

    // Unknown identifiers are refused by name.
    for cmd in ["show", "terminate"] {
        let out = store(&[cmd, "urn:uuid:nope"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            text(&out).contains("no sequence urn:uuid:nope in the store"),
            "{}",
            text(&out)
        );
    }

    // s1 has 2 and 3 unacknowledged: terminating it fails it and keeps them (issue 15).
    let out = store(&["terminate", "urn:uuid:s1"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("messages 2-3 were never acknowledged and are held"),
        "{}",
        text(&out)
    );
    let s1 = row(&text(&store(&["list"])), "urn:uuid:s1");
    assert_eq!((s1[2].as_str(), s1[5].as_str()), ("failed", "2"));
    let shown = text(&store(&["show", "urn:uuid:s1"]));
    for expected in [
        "held       2-3",
        "payloads   2-3",
        "terminated before every",
    ] {
        assert!(shown.contains(expected), "{expected:?} missing: {shown}");
    }
    assert_eq!(store(&["terminate", "urn:uuid:s1"]).status.code(), Some(2));
    // s2 was complete: terminated and forgotten as before.
    let out = store(&["terminate", "urn:uuid:s2"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        row(&text(&store(&["list"])), "urn:uuid:s2")[2],
        "terminated"
    );

    // Purge: the terminated, the closed-and-complete ones, and the expired token only
    // finished sequences were bound to; t3 is expired but bound to the live s3. The
    // failed s1 still holds messages: kept.
    let out = store(&["purge"]);
    assert!(out.status.success(), "{}", text(&out));
    let purged = text(&out);
    for expected in [
        "kept failed source sequence urn:uuid:s1 (messages 2-3 held",
        "removed source sequence urn:uuid:s2",
        "removed destination sequence urn:uuid:d1",
        "removed expired token urn:uuid:t2",
        "purged 3 items",
    ] {
        assert!(purged.contains(expected), "{expected:?} missing: {purged}");
    }
    assert!(!purged.contains("urn:uuid:s3") && !purged.contains("urn:uuid:t3"));
    let listing = text(&store(&["list"]));
    assert!(
        listing.contains("urn:uuid:s3")
            && listing.contains("urn:uuid:s1")
            && !listing.contains("urn:uuid:s2")
            && !listing.contains("urn:uuid:d1"),
        "{listing}"
    );
    let out = store(&["check"]);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}
