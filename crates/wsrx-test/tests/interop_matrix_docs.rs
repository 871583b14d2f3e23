//! The Java interop matrix as documented agrees with what CI holds the run to: every cell of
//! `interop/<peer>/cells.txt` has an expectation in each direction in
//! `interop/expected-matrix.txt`, and the README's Java interop section (regenerated from a
//! run's `target/interop-matrix.md` by `scripts/interop-java.sh --update-readme`) shows the
//! same verdict, `pass` or the first failing step, for every one of them. CI's run of
//! `scripts/interop-java.sh --wsrx` checks the third side: the run against the expectations.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::collections::BTreeMap;
use std::path::Path;

const DIRECTIONS: [&str; 3] = ["peer-peer", "wsrx-peer", "peer-wsrx"];
const STEPS: [&str; 11] = [
    "setup",
    "RST",
    "CreateSequence",
    "message",
    "reply",
    "acks",
    "LastMessage",
    "Close",
    "Terminate",
    "Cancel",
    "delivery",
];

type Key = (String, String, String);

fn repo(file: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(file),
    )
    .unwrap_or_else(|e| panic!("read {file}: {e}"))
}

fn valid_step(step: &str) -> bool {
    match step.split_once(' ') {
        Some((word, n)) => {
            (word == "message" || word == "reply") && n.parse::<u32>().is_ok_and(|n| n > 0)
        }
        None => STEPS.contains(&step) && step != "message" && step != "reply",
    }
}

/// `(peer, cell, direction)` -> `pass` or the `xfail` steps (alternatives of `A|B`).
fn expectations() -> BTreeMap<Key, Option<Vec<String>>> {
    let mut out = BTreeMap::new();
    for (n, line) in repo("interop/expected-matrix.txt").lines().enumerate() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        // Four words, then the step(s): the rest of the line (`message 1` has a space).
        let mut f: Vec<&str> = Vec::new();
        let mut rest = line;
        while f.len() < 4 && !rest.is_empty() {
            let (word, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            f.push(word);
            rest = tail.trim_start();
        }
        if !rest.is_empty() {
            f.push(rest);
        }
        assert!(
            f.len() == 4 && f[3] == "pass" || f.len() == 5 && f[3] == "xfail",
            "expected-matrix.txt:{}: `peer cell direction pass|xfail STEP`: {line}",
            n + 1
        );
        assert!(
            DIRECTIONS.contains(&f[2]),
            "line {}: direction {}",
            n + 1,
            f[2]
        );
        let steps = (f[3] == "xfail").then(|| {
            f[4].split('|')
                .map(|s| {
                    let s = s.trim().to_owned();
                    assert!(valid_step(&s), "line {}: unknown step {s:?}", n + 1);
                    s
                })
                .collect::<Vec<_>>()
        });
        let key = (f[0].to_owned(), f[1].to_owned(), f[2].to_owned());
        assert!(
            out.insert(key.clone(), steps).is_none(),
            "line {}: {key:?} twice",
            n + 1
        );
    }
    out
}

#[test]
fn every_cell_has_an_expectation_in_every_direction() {
    let exp = expectations();
    for peer in ["cxf", "metro"] {
        let cells = repo(&format!("interop/{peer}/cells.txt"));
        let names: Vec<&str> = cells
            .lines()
            .map(|l| l.split('#').next().unwrap().trim())
            .filter(|l| !l.is_empty())
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert!(names.len() >= 10, "{peer}: {} cells", names.len());
        for name in &names {
            for d in DIRECTIONS {
                let key = (peer.to_owned(), (*name).to_owned(), d.to_owned());
                assert!(exp.contains_key(&key), "no expectation for {key:?}");
            }
        }
        let listed = exp.keys().filter(|k| k.0 == peer).count();
        assert_eq!(
            listed,
            names.len() * DIRECTIONS.len(),
            "{peer}: expectations for cells that are not in cells.txt"
        );
        // The peer's own client and server pass every cell: the peers are the reference.
        for name in &names {
            let key = (peer.to_owned(), (*name).to_owned(), "peer-peer".to_owned());
            assert_eq!(exp[&key], None, "{key:?} must be `pass`");
        }
    }
}

#[test]
fn readme_shows_the_expected_matrix() {
    let exp = expectations();
    let readme = repo("README.md");
    let start = "<!-- java-interop-matrix:start -->";
    let section = readme
        .split_once(start)
        .expect("README has the Java interop matrix markers")
        .1
        .split_once("<!-- java-interop-matrix:end -->")
        .unwrap()
        .0;
    let mut seen = 0;
    for line in section.lines().filter(|l| l.starts_with("| ")) {
        // | Apache CXF 4.2.3 | `cell` | peer-peer | wsrx-peer | peer-wsrx |
        let cols: Vec<&str> = line.split(" | ").collect();
        let Some(cell) = cols.get(1).and_then(|c| c.strip_prefix('`')) else {
            continue;
        };
        let cell = cell.trim_end_matches('`');
        let peer = if cols[0].contains("CXF") {
            "cxf"
        } else if cols[0].contains("Metro") {
            "metro"
        } else {
            panic!("unknown peer in {line}")
        };
        // Split the three result columns on unescaped pipes (messages escape theirs as \|).
        let rest = line.splitn(3, " | ").nth(2).unwrap();
        let mut results = Vec::new();
        let mut cur = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'|') => {
                    cur.push('|');
                    chars.next();
                }
                '|' => results.push(std::mem::take(&mut cur).trim().to_owned()),
                _ => cur.push(c),
            }
        }
        assert_eq!(results.len(), 3, "three directions in {line}");
        for (d, shown) in DIRECTIONS.iter().zip(&results) {
            let key = (peer.to_owned(), cell.to_owned(), (*d).to_owned());
            let want = exp.get(&key).unwrap_or_else(|| {
                panic!("README shows {key:?}, expected-matrix.txt has no such cell")
            });
            let step = shown.split(':').next().unwrap().trim();
            match want {
                None => assert_eq!(
                    shown, "pass",
                    "{key:?}: expected pass, README shows {shown:?}"
                ),
                Some(steps) => assert!(
                    steps.iter().any(|s| s == step),
                    "{key:?}: expected xfail {steps:?}, README shows {shown:?}: regenerate it \
                     (scripts/interop-java.sh --wsrx --update-readme)"
                ),
            }
            seen += 1;
        }
    }
    assert_eq!(
        seen,
        exp.len(),
        "the README's Java interop section shows {seen} of the {} expected cells",
        exp.len()
    );
}
