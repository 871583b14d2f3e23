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
    // Test support: the fixture layer starts the runtime, stores and token service for the
    // end-to-end tests of every crate (a dev-dependency only; see ORACLES).
    (
        "wsrx-test",
        &[
            "wsrx-runtime",
            "wsrx-store",
            "wsrx-sc",
            "wsrx-rm",
            "wsrx-security",
            "wsrx-soap",
            "wsrx-crypto",
        ],
    ),
    // Test support (dev-only): test data, peer harnesses, the count of skipped peer tests.
    ("wsrx-peers", &[]),
    ("wsrx-zz-peer-skips", &[]),
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
    "wsrx-peers",
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

// ---------------------------------------------------------------------------------------
// No circular imports between the files of a crate (house rule: a leaf module for shared
// types instead). The graph comes from each file's own imports, read from the source:
//
// - a file's module path follows the layout (`src/a.rs` and `src/a/mod.rs` are `crate::a`,
//   `src/a/b.rs` is `crate::a::b`; `lib.rs`/`main.rs` are `crate`);
// - its edges are the `use` statements (brace groups expanded) and the `crate::…`,
//   `super::…` and `self::…` paths in its code, each resolved to the longest module
//   prefix that is a file, following the `pub use`/`pub(crate) use` re-exports of that
//   file to the file that defines the item;
// - re-export statements themselves (`pub use`, `pub(crate) use`) are not edges: they are
//   the module tree's facade, not something the file's code depends on.
//
// Limits of this scanner (a text scanner, not a compiler): comments are removed (`//`
// lines and `/* */` blocks) but string literals are not, so a string containing `crate::x`
// would count; `#[path]` attributes, modules declared inline with bodies (other than test
// modules, which stay in their file), macros that expand to paths (`$crate`) and imports
// through an external alias of the crate are not seen; items re-exported by a glob
// (`pub use a::*`) resolve to the re-exporting file. It errs towards reporting a cycle.

/// Crates whose files still import each other in a circle, each with the issue that will
/// remove it. This list only shrinks.
const CYCLE_EXCEPTIONS: &[(&str, &str)] = &[
    // Rebuilt by the runtime's own issue (its layers import each other today).
    ("wsrx-runtime", "the runtime layering issue"),
    // Rebuilt by the security crate's issue (sign/verify/token modules).
    ("wsrx-security", "the security crate's issue"),
];

/// One source file: its module path and text without comments.
struct SourceFile {
    module: Vec<String>,
    rel: String,
    code: String,
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Removes `#[cfg(test)] mod name { … }` bodies: inside them `super::` names the file's
/// own module, not its parent, and test code is no part of the production import graph.
fn strip_inline_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let body = trimmed
            .strip_prefix("mod ")
            .and_then(|m| m.find(['{', ';']).map(|i| (m, i)))
            .filter(|(m, i)| m.as_bytes()[*i] == b'{');
        let Some((m, open)) = body else {
            out.push_str(&rest[..at + "#[cfg(test)]".len()]);
            rest = after;
            continue;
        };
        let mut depth = 0usize;
        let mut end = m.len();
        for (i, c) in m[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push_str(&rest[..at]);
        rest = &m[end..];
    }
    out.push_str(rest);
    out
}

fn crate_sources(src: &std::path::Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut todo = vec![src.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let mut module: Vec<String> = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_owned)
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            // A binary's other roots (src/bin/x.rs) are crates of their own: skip them.
            if module.first().is_some_and(|m| m == "bin") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            files.push(SourceFile {
                module,
                rel,
                code: strip_inline_test_modules(&strip_comments(&text)),
            });
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    files
}

/// Expands a use tree (`a::{b, c::{d, e}}`, `a::b as c`, `a::*`) into paths.
fn expand_use(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let base = join(prefix, head);
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_use(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand_use(&inner[start..], &base, out);
    } else if !tree.is_empty() {
        let path = tree.split(" as ").next().unwrap().trim();
        out.push(join(prefix, path));
    }
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}::{path}"),
    }
}

/// The `use` statements of a file: (is a re-export, expanded paths, byte span).
fn use_statements(code: &str) -> Vec<(bool, Vec<String>, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut rest = code;
    let mut offset = 0;
    while let Some(i) = rest.find("use ") {
        let before = &rest[..i];
        let at_start = before
            .chars()
            .last()
            .is_none_or(|c| c.is_whitespace() || c == ';' || c == '{' || c == '}');
        let line_start = before.rfind('\n').map_or(before, |n| &before[n + 1..]);
        let reexport = line_start.trim_start().starts_with("pub");
        let Some(end) = rest[i..].find(';') else {
            break;
        };
        if at_start {
            let mut paths = Vec::new();
            expand_use(&rest[i + 4..i + end], "", &mut paths);
            out.push((reexport, paths, offset + i..offset + i + end));
        }
        rest = &rest[i + end..];
        offset += i + end;
    }
    out
}

/// `crate::…`, `super::…`, `self::…` paths written in code (outside `use` statements too).
fn code_paths(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(pos) = code[from..].find(start) {
            let at = from + pos;
            from = at + start.len();
            let prev = at.checked_sub(1).map(|p| bytes[p]);
            if prev.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') {
                continue;
            }
            let end = code[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| at + e);
            out.push(code[at..end].trim_end_matches(':').to_owned());
        }
    }
    out
}

/// Makes `path` (as written in the file of `module`) absolute: segments from `crate`.
fn absolute(module: &[String], path: &str) -> Option<Vec<String>> {
    let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = match segs.first().copied() {
        Some("crate") => {
            segs.remove(0);
            Vec::new()
        }
        Some("self") => {
            segs.remove(0);
            module.to_vec()
        }
        Some("super") => module.to_vec(),
        _ => return None,
    };
    while segs.first() == Some(&"super") {
        segs.remove(0);
        base.pop()?;
    }
    base.extend(segs.into_iter().map(str::to_owned));
    Some(base)
}

struct CrateGraph {
    files: Vec<SourceFile>,
    /// file index -> re-exported name -> absolute path
    reexports: Vec<BTreeMap<String, Vec<String>>>,
}

impl CrateGraph {
    fn new(files: Vec<SourceFile>) -> Self {
        let reexports = files
            .iter()
            .map(|f| {
                let mut map = BTreeMap::new();
                for (reexport, paths, _) in use_statements(&f.code) {
                    if !reexport {
                        continue;
                    }
                    for p in paths {
                        let Some(abs) = absolute(&f.module, &p)
                            .or_else(|| absolute(&f.module, &format!("self::{p}")))
                        else {
                            continue;
                        };
                        let name = p.rsplit(" as ").next().unwrap_or(&p);
                        let name = name.rsplit("::").next().unwrap_or(name).trim();
                        if name != "*" && name != "self" {
                            map.insert(name.to_owned(), abs);
                        }
                    }
                }
                map
            })
            .collect();
        Self { files, reexports }
    }

    /// The file that defines what `path` names (longest module prefix, then re-exports).
    fn resolve(&self, path: &[String], depth: usize) -> Option<usize> {
        let (file, len) = (0..=path.len()).rev().find_map(|n| {
            self.files
                .iter()
                .position(|f| f.module == path[..n])
                .map(|i| (i, n))
        })?;
        let reexported = path
            .get(len)
            .filter(|_| depth < 8)
            .and_then(|name| self.reexports[file].get(name));
        if let Some(target) = reexported {
            let mut next = target.clone();
            next.extend(path[len + 1..].iter().cloned());
            if next != path {
                return self.resolve(&next, depth + 1).or(Some(file));
            }
        }
        Some(file)
    }

    /// file -> the files it imports.
    fn edges(&self) -> Vec<BTreeSet<usize>> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let uses = use_statements(&f.code);
                // Paths written in code: the text with every `use` statement blanked out.
                let mut code_only = f.code.clone();
                for (_, _, span) in uses.iter().rev() {
                    code_only.replace_range(span.clone(), "");
                }
                let mut paths: Vec<String> = uses
                    .into_iter()
                    .filter(|(reexport, _, _)| !reexport)
                    .flat_map(|(_, p, _)| p)
                    .collect();
                paths.extend(code_paths(&code_only));
                paths
                    .iter()
                    .filter_map(|p| absolute(&f.module, p))
                    .filter_map(|abs| self.resolve(&abs, 0))
                    .filter(|&target| target != i)
                    .collect()
            })
            .collect()
    }

    /// Every strongly connected set of two or more files, as relative paths.
    fn cycles(&self) -> Vec<Vec<String>> {
        let edges = self.edges();
        let n = self.files.len();
        let reach = |from: usize| {
            let mut seen = BTreeSet::new();
            let mut todo = vec![from];
            while let Some(x) = todo.pop() {
                for &y in &edges[x] {
                    if seen.insert(y) {
                        todo.push(y);
                    }
                }
            }
            seen
        };
        let reachable: Vec<BTreeSet<usize>> = (0..n).map(reach).collect();
        let mut done = BTreeSet::new();
        let mut out = Vec::new();
        for a in 0..n {
            if done.contains(&a) || !reachable[a].contains(&a) {
                continue;
            }
            let group: Vec<usize> = (0..n)
                .filter(|&b| reachable[a].contains(&b) && reachable[b].contains(&a))
                .collect();
            done.extend(group.iter().copied());
            out.push(group.iter().map(|&i| self.files[i].rel.clone()).collect());
        }
        out
    }
}

#[test]
fn the_import_scanner_sees_grouped_relative_and_reexported_paths() {
    let file = |module: &[&str], rel: &str, code: &str| SourceFile {
        module: module.iter().map(|s| (*s).to_owned()).collect(),
        rel: rel.to_owned(),
        code: strip_comments(code),
    };
    let files = vec![
        file(&[], "lib.rs", "mod a; mod b; mod c;\npub use c::Leaf;\n"),
        file(
            &["a"],
            "a.rs",
            "use crate::{b::{Bee as B, other}, Leaf};\n// use crate::c::Gone;\n",
        ),
        file(&["b"], "b.rs", "fn f() { super::a::g(); }\n"),
        file(&["c"], "c.rs", "pub struct Leaf;\n/* crate::a::x */\n"),
    ];
    let g = CrateGraph::new(files);
    let edges = g.edges();
    assert_eq!(
        edges[1],
        BTreeSet::from([2, 3]),
        "a -> b (group), a -> c (re-export)"
    );
    assert_eq!(edges[2], BTreeSet::from([1]), "b -> a (super::, in code)");
    assert!(edges[3].is_empty(), "comments are not imports");
    assert!(edges[0].is_empty(), "pub use is not an edge");
    assert_eq!(g.cycles(), vec![vec!["a.rs".to_owned(), "b.rs".to_owned()]]);
}

#[test]
fn no_files_of_a_crate_import_each_other_in_a_circle() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut report = Vec::new();
    let mut still_circular = BTreeSet::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let src = dir.join("src");
        if !src.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let cycles = CrateGraph::new(crate_sources(&src)).cycles();
        checked += 1;
        let excepted = CYCLE_EXCEPTIONS.iter().any(|(c, _)| *c == name);
        if cycles.is_empty() {
            if excepted {
                still_circular.insert(format!(
                    "{name} has no circular imports any more: remove it from CYCLE_EXCEPTIONS"
                ));
            }
        } else if !excepted {
            for cycle in cycles {
                report.push(format!("{name}: {}", cycle.join(" <-> ")));
            }
        }
    }
    assert!(checked >= 8, "only {checked} crates found");
    assert!(
        report.is_empty() && still_circular.is_empty(),
        "files importing each other in a circle (move the shared types to a leaf module):\n{}\n{}",
        report.join("\n"),
        still_circular.into_iter().collect::<Vec<_>>().join("\n")
    );
}
