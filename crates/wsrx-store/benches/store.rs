//! Store benchmarks (issue 6): durable commits per second with 1, 8 and 64
//! concurrent sequences on SQLite (`synchronous=FULL`; group commit must make
//! throughput grow with concurrency), and recovery of a store holding 10,000
//! unacknowledged messages (open, load every log, open every payload; budget 1 s).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark code"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wsrx_crypto::SecretKey;
use wsrx_store::{Batch, KeyRing, PayloadPut, Role, SqliteBackend, SqliteOptions, Store};
use zeroize::Zeroizing;

fn scratch(name: &str) -> PathBuf {
    // Under target/ (a real disk), not a tmpfs, so that fsync costs what it costs.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-store");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn ring() -> KeyRing {
    KeyRing::new(SecretKey::from_vec(vec![7; 32])).unwrap()
}

/// One message's worth of work: a record and a 1 KiB payload.
fn batch(sequence: &str, n: u64, handle: u64) -> Batch {
    let mut b = Batch::default();
    b.records
        .push((sequence.to_owned(), Role::Source, n.to_be_bytes().to_vec()));
    b.payloads.push(PayloadPut {
        handle,
        sequence: sequence.to_owned(),
        number: n,
        plaintext: Zeroizing::new(vec![b'x'; 1024]),
    });
    b
}

fn commits(c: &mut Criterion) {
    let mut group = c.benchmark_group("store_commit_1KiB");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(1));
    for threads in [1u64, 8, 64] {
        let store = Arc::new(
            Store::open(
                SqliteBackend::open(
                    &scratch(&format!("commit-{threads}.db")),
                    SqliteOptions::default(),
                )
                .unwrap(),
                ring(),
            )
            .unwrap(),
        );
        let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(
            BenchmarkId::new("concurrent_sequences", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    let per_thread = iters.div_ceil(threads);
                    let start = Instant::now();
                    let handles: Vec<_> = (0..threads)
                        .map(|t| {
                            let store = Arc::clone(&store);
                            let next = Arc::clone(&next);
                            std::thread::spawn(move || {
                                for _ in 0..per_thread {
                                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                    store.commit(batch(&format!("urn:seq:{t}"), n, n)).unwrap();
                                }
                            })
                        })
                        .collect();
                    for h in handles {
                        h.join().unwrap();
                    }
                    // Report time per commit as if `iters` commits were made.
                    start
                        .elapsed()
                        .mul_f64(iters as f64 / (per_thread * threads) as f64)
                })
            },
        );
    }
    group.finish();
}

fn recovery(c: &mut Criterion) {
    let path = scratch("recovery.db");
    {
        let store = Store::open(
            SqliteBackend::open(&path, SqliteOptions::default()).unwrap(),
            ring(),
        )
        .unwrap();
        for chunk in 0..100u64 {
            let mut b = Batch::default();
            for i in 0..100u64 {
                let n = chunk * 100 + i;
                let seq = format!("urn:seq:{}", n % 10);
                b.records
                    .push((seq.clone(), Role::Source, n.to_be_bytes().to_vec()));
                b.payloads.push(PayloadPut {
                    handle: n,
                    sequence: seq,
                    number: n,
                    plaintext: Zeroizing::new(vec![b'x'; 1024]),
                });
            }
            store.commit(b).unwrap();
        }
    }
    let mut group = c.benchmark_group("store_recovery");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("open_load_and_read_10000_unacked", |b| {
        b.iter(|| {
            let store = Store::open(
                SqliteBackend::open(&path, SqliteOptions::default()).unwrap(),
                ring(),
            )
            .unwrap();
            let snap = store.load().unwrap();
            let mut bytes = 0;
            for log in &snap.sequences {
                for (handle, _) in &log.payloads {
                    bytes += store.payload(*handle).unwrap().unwrap().len();
                }
            }
            assert_eq!(bytes, 10_000 * 1024);
            black_box(snap.sequences.len())
        })
    });
    group.finish();
}

criterion_group!(store, commits, recovery);
criterion_main!(store);
