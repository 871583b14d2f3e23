//! `wsrx bench` runs the whole secured, durable flow on loopback and reports one line per
//! concurrency with every message delivered (its exit code says so); figures are printed,
//! never asserted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::process::Command;

#[test]
fn bench_reports_each_concurrency_with_every_message_delivered() {
    for rate in ["0", "200"] {
        let out = Command::new(env!("CARGO_BIN_EXE_wsrx"))
            .args(["bench", "--sequences", "1,3", "--messages", "30"])
            .args(["--payload", "256", "--rate", rate, "--timeout", "120"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: Vec<Vec<&str>> = stdout
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|w| w.first().is_some_and(|c| c.parse::<usize>().is_ok()))
            .collect();
        assert_eq!(rows.len(), 2, "{stdout}");
        for (row, sequences) in rows.iter().zip(["1", "3"]) {
            assert_eq!(row[0], sequences, "{stdout}");
            assert_eq!(row[1], "30", "every message delivered: {stdout}");
            assert!(row[3].parse::<f64>().unwrap() > 0.0, "{stdout}");
            assert!(!stdout.contains("INCOMPLETE"), "{stdout}");
        }
    }
}
