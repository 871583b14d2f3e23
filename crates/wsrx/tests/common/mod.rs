//! Shared by the `wsrx` command's tests: a `wsrx serve` process killed when dropped,
//! free loopback ports, key rings made by `wsrx keys generate`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// A spawned `wsrx serve`, killed and reaped when dropped.
pub(crate) struct Serve(pub(crate) Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free right now.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `dir/ring`, a key ring made by `wsrx keys generate` (which must succeed).
pub(crate) fn keyring(dir: &Path) -> PathBuf {
    let ring = dir.join("ring");
    assert!(
        Command::new(env!("CARGO_BIN_EXE_wsrx"))
            .args(["keys", "generate"])
            .arg(&ring)
            .output()
            .unwrap()
            .status
            .success()
    );
    ring
}
