//! Hot-path primitives: HMAC of a 4 KiB message (the size of a signed SOAP envelope), a
//! 32-byte P_SHA1 derivation (one DerivedKeyToken) and AES-256-GCM of 4 KiB; and, for the
//! legacy suites, AES-256-CBC and Triple DES CBC of 4 KiB and the unwrap of a 32-byte key with
//! AES key wrap and the CMS Triple DES key wrap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs,
    reason = "benchmark code"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wsrx_crypto::{
    BlockCipherAlgorithm, InsecureSeededRandom, KeyWrapAlgorithm, MacAlgorithm, SecretKey,
    derive_key,
};

const MSG_LEN: usize = 4096;

fn hmac(c: &mut Criterion) {
    let key = SecretKey::from_slice(&[7u8; 32]);
    let msg = vec![0x5au8; MSG_LEN];
    let mut group = c.benchmark_group("hmac_4KiB");
    group.throughput(Throughput::Bytes(MSG_LEN as u64));
    for alg in [MacAlgorithm::HmacSha1, MacAlgorithm::HmacSha256] {
        group.bench_function(alg.name(), |b| {
            b.iter(|| {
                let mut m = alg.mac(&key).unwrap();
                m.update(black_box(&msg));
                black_box(m.finish())
            });
        });
    }
    group.finish();
}

fn p_sha1(c: &mut Criterion) {
    let secret = SecretKey::from_slice(&[1u8; 32]);
    let nonce = [2u8; 16];
    c.bench_function("p_sha1_derive_32B", |b| {
        b.iter(|| black_box(derive_key(&secret, None, black_box(&nonce), 0, 32).unwrap()));
    });
}

fn aes_gcm(c: &mut Criterion) {
    let key = SecretKey::from_slice(&[3u8; 32]);
    let msg = vec![0xa5u8; MSG_LEN];
    let mut rng = InsecureSeededRandom::from_seed(1);
    let mut group = c.benchmark_group("aes256_gcm_4KiB");
    group.throughput(Throughput::Bytes(MSG_LEN as u64));
    group.bench_function("encrypt", |b| {
        b.iter(|| {
            black_box(
                BlockCipherAlgorithm::Aes256Gcm
                    .encrypt(&key, &mut rng, black_box(&msg))
                    .unwrap(),
            )
        });
    });
    group.finish();
}

fn cbc(c: &mut Criterion) {
    let msg = vec![0xa5u8; MSG_LEN];
    let mut rng = InsecureSeededRandom::from_seed(2);
    let mut group = c.benchmark_group("cbc_encrypt_4KiB");
    group.throughput(Throughput::Bytes(MSG_LEN as u64));
    for alg in [
        BlockCipherAlgorithm::Aes256Cbc,
        BlockCipherAlgorithm::TripleDesCbc,
    ] {
        let key = SecretKey::from_vec(vec![4u8; alg.key_len()]);
        group.bench_function(alg.name(), |b| {
            b.iter(|| black_box(alg.encrypt(&key, &mut rng, black_box(&msg)).unwrap()));
        });
    }
    group.finish();
}

fn key_wrap(c: &mut Criterion) {
    let key = SecretKey::from_slice(&[6u8; 32]);
    let mut rng = InsecureSeededRandom::from_seed(3);
    let mut group = c.benchmark_group("key_unwrap_32B");
    for alg in [KeyWrapAlgorithm::Aes256Kw, KeyWrapAlgorithm::TripleDesKw] {
        let kek = SecretKey::from_vec(vec![5u8; alg.kek_len()]);
        let wrapped = alg.wrap(&kek, &key, &mut rng).unwrap();
        group.bench_function(alg.name(), |b| {
            b.iter(|| black_box(alg.unwrap(&kek, black_box(&wrapped)).unwrap()));
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = hmac, p_sha1, aes_gcm, cbc, key_wrap
}
criterion_main!(benches);
