//! The last test binary of `cargo test --workspace`: prints how many peer tests this run
//! skipped, from the ledger that `wsrx_peers::skip` writes (one file per run, named after
//! the cargo process), and which peers they needed. Without a harness, so that what it
//! prints is never captured. Exits non-zero under `WSRX_REQUIRE_INTEROP=1` if anything
//! was skipped (each such test has failed already; this is the run's verdict).
//!
//! Limit: the count covers the test binaries cargo ran before this one. Cargo runs the
//! packages in name order and this package's name sorts last, so in `cargo test
//! --workspace` that is all of them; with `-p`, only the packages selected.
#![allow(clippy::print_stdout, reason = "the summary is this test's output")]

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

fn main() {
    // `cargo test -- --list` and filters: nothing to run, print nothing.
    if std::env::args().skip(1).any(|a| a == "--list") {
        return;
    }
    let lines = wsrx_peers::skipped_in_this_run();
    let mut by_need: BTreeMap<String, usize> = BTreeMap::new();
    for line in &lines {
        let needs = line
            .split_once("skipped: needs ")
            .map_or(line.as_str(), |(_, rest)| rest);
        *by_need.entry(needs.to_owned()).or_default() += 1;
    }
    println!();
    if lines.is_empty() {
        println!("peer tests: 0 skipped (every peer test that ran had its peer)");
    } else {
        println!(
            "peer tests: {} skipped; they passed without running (ledger {}):",
            lines.len(),
            wsrx_peers::ledger_path().display()
        );
        for (needs, count) in &by_need {
            println!("  {count} × needs {needs}");
        }
        println!("  interop/build.sh installs and builds every peer (README: Tests and peers)");
    }
    // Ledgers of earlier runs: this run's file is done; drop files older than a day.
    let _ = std::fs::remove_file(wsrx_peers::ledger_path());
    if let Ok(dir) = std::fs::read_dir(wsrx_peers::ledger_dir()) {
        for entry in dir.flatten() {
            let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| {
                SystemTime::now()
                    .duration_since(t)
                    .is_ok_and(|age| age > Duration::from_secs(86_400))
            });
            if old {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    if !lines.is_empty() && wsrx_peers::interop_required() {
        println!("WSRX_REQUIRE_INTEROP is set: skipped peer tests fail the run");
        std::process::exit(1);
    }
}
