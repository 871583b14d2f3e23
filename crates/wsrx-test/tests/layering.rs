//! The dependency rules of the workspace (house-style.md §1.2), checked on the
//! real graph from `cargo metadata`:
//! - each wsrx crate depends (normally, not as a dev-dependency) only on the
//!   wsrx crates of lower layers listed for it; an unlisted crate fails the test
//!   until the table below is extended on purpose;
//! - protocol crates (xml, crypto, soap, security, rm, sc) never reach an IO,
//!   async-runtime, HTTP or SQL crate, even transitively;
//! - only `wsrx-crypto` depends directly on a source of OS randomness;
//! - nothing depends on `wsrx-test`, and oracles stay dev-only.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// Workspace crate -> the workspace crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("wsrx-xml", &[]),
    ("wsrx-crypto", &[]),
    ("wsrx-soap", &["wsrx-xml"]),
    // The policy engine sits beside soap (layer 1): it reads XML only, so the security
    // layer, the runtime and the binary may all take their configuration from it.
    ("wsrx-policy", &["wsrx-xml"]),
    (
        "wsrx-security",
        &["wsrx-soap", "wsrx-xml", "wsrx-crypto", "wsrx-policy"],
    ),
    ("wsrx-rm", &["wsrx-soap", "wsrx-xml"]),
    (
        "wsrx-sc",
        &["wsrx-security", "wsrx-soap", "wsrx-xml", "wsrx-crypto"],
    ),
    (
        "wsrx-store",
        &["wsrx-rm", "wsrx-sc", "wsrx-crypto", "wsrx-soap", "wsrx-xml"],
    ),
    (
        "wsrx-runtime",
        &[
            "wsrx-policy",
            "wsrx-store",
            "wsrx-sc",
            "wsrx-rm",
            "wsrx-security",
            "wsrx-soap",
            "wsrx-xml",
            "wsrx-crypto",
        ],
    ),
    (
        "wsrx",
        &[
            "wsrx-policy",
            "wsrx-runtime",
            "wsrx-store",
            "wsrx-sc",
            "wsrx-rm",
            "wsrx-security",
            "wsrx-soap",
            "wsrx-xml",
            "wsrx-crypto",
        ],
    ),
    ("wsrx-test", &[]),
];

const PROTOCOL: &[&str] = &[
    "wsrx-xml",
    "wsrx-policy",
    "wsrx-crypto",
    "wsrx-soap",
    "wsrx-security",
    "wsrx-rm",
    "wsrx-sc",
];

/// Crates that do IO or bring a runtime: never below the runtime layer.
const IO_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "socket2",
    "hyper",
    "hyper-util",
    "axum",
    "reqwest",
    "rustls",
    "tokio-rustls",
    "rusqlite",
    "libsqlite3-sys",
    "tokio-postgres",
    "postgres",
    "redb",
    "async-std",
    "smol",
    "tracing-subscriber",
];

/// Direct sources of OS randomness: only `wsrx-crypto` may name them.
const RANDOMNESS: &[&str] = &["getrandom", "rand", "rand_core", "ring", "aws-lc-rs"];

/// Test-only oracles.
const ORACLES: &[&str] = &[
    "bergshamra-c14n",
    "bergshamra-xml",
    "bergshamra",
    "xml-sec",
    "uppsala",
    "wsrx-test",
];

struct Graph {
    names: BTreeMap<String, String>,
    /// package id -> (dependency package id, is-normal-dependency)
    edges: BTreeMap<String, Vec<(String, bool)>>,
    workspace: Vec<String>,
}

fn metadata() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let edges = v["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let deps = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    let normal = d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null());
                    (d["pkg"].as_str().unwrap().to_owned(), normal)
                })
                .collect();
            (n["id"].as_str().unwrap().to_owned(), deps)
        })
        .collect();
    let workspace = v["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    Graph {
        names,
        edges,
        workspace,
    }
}

impl Graph {
    fn name(&self, id: &str) -> &str {
        &self.names[id]
    }

    fn direct_normal(&self, id: &str) -> Vec<&str> {
        self.edges[id]
            .iter()
            .filter(|(_, normal)| *normal)
            .map(|(d, _)| d.as_str())
            .collect()
    }

    fn transitive_normal(&self, id: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![id.to_owned()];
        while let Some(cur) = todo.pop() {
            for dep in self.direct_normal(&cur) {
                if seen.insert(dep.to_owned()) {
                    todo.push(dep.to_owned());
                }
            }
        }
        seen.into_iter().map(|d| self.name(&d).to_owned()).collect()
    }
}

#[test]
fn workspace_dependency_edges_follow_the_layering_table() {
    let g = metadata();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut violations = Vec::new();
    for id in &g.workspace {
        let name = g.name(id);
        let Some(permitted) = allowed.get(name) else {
            violations.push(format!(
                "{name}: not in the layering table; add it on purpose"
            ));
            continue;
        };
        for dep in g.direct_normal(id) {
            let dep_name = g.name(dep);
            let is_workspace = g.workspace.iter().any(|w| w == dep);
            if is_workspace && !permitted.contains(&dep_name) {
                violations.push(format!(
                    "{name} -> {dep_name}: edge not allowed by house-style.md §1.2"
                ));
            }
            if ORACLES.contains(&dep_name) {
                violations.push(format!(
                    "{name} -> {dep_name}: oracles and test support are dev-dependencies only"
                ));
            }
            if RANDOMNESS.contains(&dep_name) && name != "wsrx-crypto" {
                violations.push(format!(
                    "{name} -> {dep_name}: only wsrx-crypto reads OS randomness"
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
    assert!(g.workspace.len() >= 4, "workspace looks incomplete");
}

#[test]
fn protocol_crates_reach_no_io_runtime_or_sql_crate() {
    let g = metadata();
    let mut checked = 0;
    for id in &g.workspace {
        let name = g.name(id);
        if !PROTOCOL.contains(&name) {
            continue;
        }
        let reach = g.transitive_normal(id);
        let bad: Vec<&String> = reach
            .iter()
            .filter(|d| IO_CRATES.contains(&d.as_str()))
            .collect();
        assert!(
            bad.is_empty(),
            "{name} reaches IO crates {bad:?} (protocol crates are sans-IO)"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} protocol crates found");
}
