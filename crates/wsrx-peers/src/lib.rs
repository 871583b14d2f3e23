//! Test support for the tests that talk to real peers (dev-only; no dependencies).
//!
//! - Where things are: the repository root, its `testdata/` (known-answer data with a
//!   `MANIFEST.md` per folder) and cargo's target directory.
//! - The peers: headless Chromium with chromedriver ([`chromium`]), Apache WSS4J (the `interop/wss4j` oracle, compiled into
//!   `target/interop/peers/wss4j` by `interop/wss4j/build.sh`), the `xmlsec1` command and the
//!   `openssl` command, and a throw-away PostgreSQL ([`postgres::TempPostgres`]). Each
//!   finder returns the peer, or reports a skip and returns `None`.
//! - Skips are counted, never hidden ([`skip`]): a test whose peer is missing writes one
//!   line, `<test>: skipped: needs <peer>; run <script>`, straight to the process's stderr
//!   (libtest captures only `print!`/`eprint!`, so the line shows even though the test
//!   reports `ok`), and appends it to this run's ledger under the target directory. The
//!   `wsrx-zz-peer-skips` crate's one test, which cargo runs after every other test
//!   binary, prints how many peer tests the run skipped. With `WSRX_REQUIRE_INTEROP=1` a
//!   missing peer fails the test instead.
//!
//! Not here: building peers with `apt-get` (the scripts under `interop/` do that; tests
//! never install anything) and the fixture layer that starts servers (`wsrx-test`).
#![forbid(unsafe_code)]
#![allow(
    clippy::panic,
    reason = "test support: a broken harness fails the test that uses it"
)]

pub mod postgres;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root (this crate lives in `crates/wsrx-peers`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The repository's known-answer data: `testdata/` (see `testdata/README.md`).
pub fn testdata() -> PathBuf {
    repo_root().join("testdata")
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the repository root when
/// relative), else `target/` in the repository.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => repo_root().join(dir),
        None => repo_root().join("target"),
    }
}

/// True when `WSRX_REQUIRE_INTEROP` is set to anything but empty or `0` (as `.ci/run` does):
/// then a missing peer fails the test instead of skipping it.
pub fn interop_required() -> bool {
    std::env::var("WSRX_REQUIRE_INTEROP").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The folder of this run's skip ledgers.
pub fn ledger_dir() -> PathBuf {
    target_dir().join("peer-skips")
}

/// This run's ledger: one file per `cargo test` invocation, named after the process that
/// started the test binaries (cargo, or nextest), so that every test binary of one run
/// writes to the same file and an earlier run's file is never counted again.
pub fn ledger_path() -> PathBuf {
    ledger_dir().join(format!("run-{}.log", std::os::unix::process::parent_id()))
}

/// The name of the running test: the test binary (without cargo's hash) and libtest's
/// thread name, which is the test's path.
fn test_name() -> String {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| {
            p.file_stem()
                .map(|s| binary_name(&s.to_string_lossy()).to_owned())
        })
        .unwrap_or_else(|| "test".to_owned());
    match std::thread::current().name() {
        Some(thread) if thread != "main" => format!("{binary}::{thread}"),
        _ => binary,
    }
}

/// A test binary's name without the hash cargo appends (`interop_wss4j-3f2a…`).
fn binary_name(stem: &str) -> &str {
    match stem.rsplit_once('-') {
        Some((name, hash)) if !hash.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            name
        }
        _ => stem,
    }
}

/// Reports that the running test cannot run because `needs` is missing, and that `run`
/// provides it: fails under [`interop_required`], else writes the one-line notice to
/// stderr (uncaptured) and to this run's ledger. The caller then returns without asserting.
///
/// # Panics
/// Under `WSRX_REQUIRE_INTEROP=1`: a missing peer is a failure there.
pub fn skip(needs: &str, run: &str) {
    let test = test_name();
    assert!(
        !interop_required(),
        "{test}: WSRX_REQUIRE_INTEROP is set but this test needs {needs}; run {run}"
    );
    let line = format!("{test}: skipped: needs {needs}; run {run}\n");
    // Straight to the file descriptor: libtest's capture only sees the print macros.
    let _ = std::io::stderr().write_all(line.as_bytes());
    let _ = std::fs::create_dir_all(ledger_dir());
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(ledger_path())
    {
        // One write per line: appends of this size do not interleave.
        let _ = file.write_all(line.as_bytes());
    }
}

/// True when `program` runs with `args` and exits 0.
pub fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The `xmlsec1` command, or `None` after a [`skip`].
pub fn xmlsec1() -> Option<Command> {
    if runs("xmlsec1", &["--version"]) {
        Some(Command::new("xmlsec1"))
    } else {
        skip("xmlsec1 (Debian xmlsec1)", "interop/build.sh xmlsec");
        None
    }
}

/// The `openssl` command, or `None` after a [`skip`].
pub fn openssl() -> Option<Command> {
    if runs("openssl", &["version"]) {
        Some(Command::new("openssl"))
    } else {
        skip(
            "the openssl command (Debian openssl)",
            "interop/build.sh xmlsec",
        );
        None
    }
}

/// Headless Chromium and its WebDriver server (Debian `chromium` and `chromium-driver`):
/// the paths of `chromium` and `chromedriver`, or `None` after a [`skip`].
pub fn chromium() -> Option<(PathBuf, PathBuf)> {
    let found = |name: &str| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    };
    match (found("chromium"), found("chromedriver")) {
        (Some(browser), Some(driver)) if runs(&driver.to_string_lossy(), &["--version"]) => {
            Some((browser, driver))
        }
        _ => {
            skip(
                "Chromium and chromedriver (Debian chromium, chromium-driver)",
                "interop/build.sh chromium",
            );
            None
        }
    }
}

/// The WSS4J oracle of `interop/wss4j` (Apache WSS4J 1.6 + Santuario from Debian), compiled
/// by `interop/wss4j/build.sh` into the target directory.
#[derive(Debug, Clone)]
pub struct Wss4j {
    script: PathBuf,
}

impl Wss4j {
    /// `interop/wss4j/oracle.sh` with `args`: `sign`, `verify`, `psha1` or `selftest`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg(&self.script).args(args);
        cmd
    }
}

/// The WSS4J oracle, compiled on first use (never installing anything), or `None` after a
/// [`skip`] when the JDK or Debian's WSS4J jars are missing.
///
/// # Panics
/// When the build script fails for another reason than a missing prerequisite (a compile
/// error is a defect, not a skip).
pub fn wss4j() -> Option<Wss4j> {
    // Built once per test binary: its tests run in parallel threads.
    static BUILT: OnceLock<Option<i32>> = OnceLock::new();
    let dir = repo_root().join("interop/wss4j");
    let code = *BUILT.get_or_init(|| {
        let out = Command::new("sh")
            .arg(dir.join("build.sh"))
            .env("WSRX_NO_INSTALL", "1")
            .output()
            .unwrap_or_else(|e| panic!("cannot run sh interop/wss4j/build.sh: {e}"));
        if !matches!(out.status.code(), Some(0 | 3)) {
            panic!(
                "interop/wss4j/build.sh failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out.status.code()
    });
    match code {
        Some(0) => Some(Wss4j {
            script: dir.join("oracle.sh"),
        }),
        _ => {
            skip(
                "WSS4J (a JDK and Debian libwss4j-java)",
                "interop/build.sh wss4j",
            );
            None
        }
    }
}

/// The lines of this run's ledger (empty when nothing was skipped).
pub fn skipped_in_this_run() -> Vec<String> {
    std::fs::read_to_string(ledger_path())
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_names_lose_cargos_hash_only() {
        assert_eq!(
            binary_name("interop_wss4j-33913bfa63f01f2a"),
            "interop_wss4j"
        );
        assert_eq!(binary_name("x509-trust"), "x509-trust");
        assert_eq!(binary_name("plain"), "plain");
    }

    #[test]
    fn paths_are_inside_the_repository_and_its_target_dir() {
        assert!(
            testdata().join("README.md").is_file(),
            "{}",
            testdata().display()
        );
        assert!(repo_root().join("interop/wss4j/build.sh").is_file());
        assert!(ledger_path().starts_with(ledger_dir()));
        let name = ledger_path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        assert_eq!(
            name,
            Some(format!("run-{}.log", std::os::unix::process::parent_id()))
        );
    }
}
