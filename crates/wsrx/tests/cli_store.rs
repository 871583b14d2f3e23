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
use zeroize::Zeroizing;

fn wsrx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsrx"))
        .args(args)
        .env_remove("WSRX_KEYRING")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
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
