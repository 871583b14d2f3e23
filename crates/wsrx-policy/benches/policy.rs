//! Configuration time: reading a real WSDL (or policy) and computing the effective
//! policy of every endpoint, operation and message, as the runtime will do once per
//! endpoint at start-up. Not on the per-message path.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark code"
)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wsrx_policy::{Input, NoResolver, Options, configure_document, configure_wsdl};

fn read(file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/policies")
            .join(file),
    )
    .unwrap()
}

fn configure(bytes: &[u8], options: &Options) -> usize {
    match Input::read("bench.wsdl", bytes, &mut NoResolver, options).unwrap() {
        Input::Wsdl(w) => configure_wsdl(&w, options)
            .iter()
            .filter(|(_, r)| r.is_ok())
            .count(),
        Input::Policies(d) => configure_document(&d, options)
            .iter()
            .filter(|(_, r)| r.is_ok())
            .count(),
    }
}

fn bench(c: &mut Criterion) {
    let options = Options::default();
    let mut group = c.benchmark_group("configure");
    for file in [
        // WCF interop WSDL: SCT with an X.509 bootstrap, RM 1.0, 1 operation (10 KB).
        "metro-wsrm10-secureroundtrip-wcf.wsdl",
        // CoreWCF: 6 endpoints x 5 operations, SCT over TLS (52 KB).
        "corewcf-wshttp-twmc-multialgo.wsdl",
        // CXF profile (a): RM 1.1 + SCT + X.509 bootstrap, WS-Policy 1.5.
        "variants/cxf-rm11-sct-x509-bootstrap.wsdl",
        // 37 alternatives, 12 of them refused before the first usable one.
        "wss4j-wsp15-432-compact.xml",
    ] {
        let bytes = read(file);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(file, |b| {
            b.iter(|| black_box(configure(black_box(&bytes), &options)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
