//! A throw-away PostgreSQL for the store's tests: `initdb` and `pg_ctl` in a temporary
//! directory, listening on a free loopback port (and a Unix socket in that directory),
//! stopped and deleted when the value is dropped. Never installs anything: when the
//! server programs are missing the test is skipped through [`crate::skip`] (and fails
//! under `WSRX_REQUIRE_INTEROP=1`); `interop/build.sh postgres` installs them.
//!
//! PostgreSQL refuses to run as root; a test run as root runs the server programs as
//! the `postgres` user that Debian's package creates (`runuser -u postgres`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A running throw-away cluster.
#[derive(Debug)]
pub struct TempPostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// Where the server programs are: `WSRX_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian), else `pg_config --bindir`.
pub fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WSRX_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Some(bin);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && dir.join("initdb").is_file()).then_some(dir)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(0, |a| a.port())
}

impl TempPostgres {
    /// Starts a cluster, or returns `None` after a [`crate::skip`] when PostgreSQL is
    /// not installed.
    ///
    /// # Panics
    /// When the programs are there but the cluster does not start (a defect to see).
    pub fn start() -> Option<Self> {
        let Some(bin) = bin_dir() else {
            crate::skip(
                "PostgreSQL (Debian postgresql)",
                "interop/build.sh postgres",
            );
            return None;
        };
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wsrx-pg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let as_postgres = is_root();
        let mut pg = Self {
            bin,
            dir,
            port: 0,
            as_postgres,
        };
        if as_postgres {
            pg.expect(
                Command::new("chown").arg("postgres:").arg(&pg.dir).output(),
                "chown",
            );
        }
        let data = pg.data();
        let out = pg
            .server_command("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "wsrx",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output();
        pg.expect(out, "initdb");
        // A port taken between the probe and the start: try another.
        for _ in 0..5 {
            pg.port = free_port();
            if pg.pg_ctl_start() {
                return Some(pg);
            }
        }
        panic!("PostgreSQL did not start; log:\n{}", pg.log());
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    fn server_command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn expect(&self, out: std::io::Result<Output>, what: &str) {
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!(
                "{what} failed: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => panic!("cannot run {what}: {e}"),
        }
    }

    fn pg_ctl_start(&self) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.display()
        );
        self.server_command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-l"])
            .arg(self.dir.join("log"))
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// The loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` (user `wsrx`, no password, no TLS).
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://wsrx@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// Creates database `db`.
    ///
    /// # Panics
    /// When `createdb` fails.
    pub fn create_db(&self, db: &str) {
        let out = Command::new(self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "wsrx",
                "-p",
                &self.port.to_string(),
                db,
            ])
            .output();
        self.expect(out, "createdb");
    }

    /// Runs `sql` in database `db` with `psql`; returns its output (unaligned, tuples only).
    ///
    /// # Panics
    /// When `psql` fails.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "wsrx",
            ])
            .args(["-p", &self.port.to_string(), "-d", db, "-c", sql])
            .output();
        match out {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
            Ok(o) => panic!("psql {sql}: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => panic!("cannot run psql: {e}"),
        }
    }

    /// Stops the server (fast shutdown: connections are cut), keeping its data.
    pub fn stop(&self) {
        let _ = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .output();
    }

    /// Starts it again on the same port after [`Self::stop`].
    ///
    /// # Panics
    /// When it does not start.
    pub fn restart(&self) {
        assert!(
            self.pg_ctl_start(),
            "PostgreSQL did not restart:\n{}",
            self.log()
        );
    }

    /// The directory of the cluster (data and log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let _ = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
