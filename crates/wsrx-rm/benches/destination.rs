//! Per-message cost of the Destination: range update, delivery decision, record and
//! (batched) acknowledgement, with the outputs drained as a runtime would. Budget: 1 µs.
//! Two shapes: in-order arrival, and arrival with gaps (pairs swapped: 2,1,4,3,…, so
//! every other message waits in the reorder buffer).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "bench code"
)]
#![allow(missing_docs, reason = "bench code")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use wsrx_rm::msg::{
    ApplicationMessage, CreateSequence, EndpointRef, Message, PayloadRef, SequenceHeader,
};
use wsrx_rm::{
    AckPolicy, Destination, DestinationConfig, SecurityBinding, SequenceId, Timestamp, TokenRef,
};

const N: u64 = 1000;

fn setup() -> (Destination, SequenceId, SecurityBinding) {
    let x = SecurityBinding::new("urn:uuid:5b1c3c2e-7d7a-4a8e-9a53-0e2f6d1c9b11");
    let cfg = DestinationConfig {
        ack_policy: AckPolicy::Batched {
            count: 8,
            interval: Duration::from_millis(200),
        },
        ..DestinationConfig::default()
    };
    let mut seed = 7u64;
    let mut d = Destination::new(
        cfg,
        EndpointRef("http://dst".into()),
        Box::new(move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            seed
        }),
    );
    let cs = CreateSequence {
        acks_to: EndpointRef("http://src".into()),
        expires: None,
        offer: None,
        str_token: Some(TokenRef(x.clone())),
        uses_sequence_str: true,
        to: None,
    };
    d.handle_message(Timestamp(0), Some(&x), Message::CreateSequence(cs))
        .unwrap();
    while d.poll_persist().is_some() {}
    let id = match d.poll_transmit().unwrap().message {
        Message::CreateSequenceResponse(r) => r.id,
        _ => unreachable!(),
    };
    while d.poll_event().is_some() {}
    (d, id, x)
}

fn messages(id: &SequenceId, gaps: bool) -> Vec<Message> {
    (1..=N)
        .map(|i| {
            let n = if gaps {
                if i % 2 == 1 { i + 1 } else { i - 1 }
            } else {
                i
            };
            Message::Application(ApplicationMessage {
                sequence: SequenceHeader {
                    id: id.clone(),
                    number: n,
                    last_message: false,
                },
                ack_requested: false,
                payload: Some(PayloadRef(n)),
            })
        })
        .collect()
}

fn run(d: &mut Destination, x: &SecurityBinding, msgs: Vec<Message>) {
    for (i, m) in msgs.into_iter().enumerate() {
        d.handle_message(Timestamp(i as u64), Some(x), m).unwrap();
        while let Some(op) = d.poll_persist() {
            black_box(op);
        }
        while let Some(t) = d.poll_transmit() {
            black_box(t);
        }
        while let Some(e) = d.poll_event() {
            black_box(e);
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("destination_per_message");
    g.throughput(Throughput::Elements(N));
    for (name, gaps) in [("in_order", false), ("with_gaps", true)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let (d, id, x) = setup();
                    let m = messages(&id, gaps);
                    (d, x, m)
                },
                |(mut d, x, m)| run(&mut d, &x, m),
                BatchSize::LargeInput,
            );
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
