//! Driving the real `wsrx serve` from adversarial tests, with the standard library only
//! (this module uses the standard library only): building and
//! locating the binary, spawning it, raw HTTP/1.1 on loopback (so a test controls every
//! byte, including a body that never finishes), reading the server's resident memory,
//! and latency percentiles.
//!
//! What it does not: craft or parse SOAP (the tests do that with the wsrx crates), or
//! assert anything.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `wsrx` binary of this build, built on first use (`cargo build -p wsrx`, same
/// profile and target directory as the running test, so `cargo test --workspace` and
/// `cargo test -p wsrx-test` both find a current binary). `WSRX_BIN` names another
/// binary to use instead (no build).
///
/// # Errors
/// A message when the build fails or the binary cannot be found.
pub fn wsrx_binary() -> Result<PathBuf, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(build_binary).clone()
}

fn build_binary() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("WSRX_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    // target/<profile>/deps/<test> → target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("test executable has no profile directory")?
        .to_path_buf();
    let target_dir = profile_dir
        .parent()
        .ok_or("profile directory has no parent")?
        .to_path_buf();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", "wsrx", "--bin", "wsrx"])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir);
    if release {
        cmd.arg("--release");
    }
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo build -p wsrx failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let bin = profile_dir.join(format!("wsrx{}", std::env::consts::EXE_SUFFIX));
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} not found after the build", bin.display()))
    }
}

/// A running `wsrx serve`, killed on drop.
#[derive(Debug)]
pub struct Served {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id (for `/proc/<pid>/status`).
    pub pid: u32,
}

impl Served {
    /// Runs `wsrx serve --listen 127.0.0.1:0 <args>` and waits for its "listening" line;
    /// its standard error goes to `stderr_file`.
    ///
    /// # Errors
    /// A message when it cannot start or does not say where it listens.
    pub fn start(args: &[String], stderr_file: &Path) -> Result<Self, String> {
        let bin = wsrx_binary()?;
        let err = std::fs::File::create(stderr_file).map_err(|e| format!("stderr file: {e}"))?;
        let mut child = Command::new(bin)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot spawn wsrx serve: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let mut addr = None;
        for _ in 0..20 {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if let Some(rest) = line.split("http://").nth(1) {
                addr = rest
                    .split('/')
                    .next()
                    .and_then(|a| a.parse::<SocketAddr>().ok());
                if addr.is_some() {
                    break;
                }
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        let pid = child.id();
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            let err = std::fs::read_to_string(stderr_file).unwrap_or_default();
            return Err(format!(
                "wsrx serve did not say where it listens: {line}\n{err}"
            ));
        };
        Ok(Self { child, addr, pid })
    }

    /// SIGKILLs the process and reaps it (no chance to flush or clean up).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Resident memory (`VmRSS`) in KiB, from `/proc/<pid>/status` (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.pid)
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` of process `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// An HTTP response: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body bytes (possibly empty).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// POSTs `body` as SOAP 1.2 (`application/soap+xml`) to `addr` on a new connection
/// (`Connection: close`), with a 30 s timeout.
///
/// # Errors
/// IO errors and unreadable responses, as text.
pub fn post(addr: SocketAddr, body: &[u8]) -> Result<HttpResponse, String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    // A server may answer (413) and close before the whole body is written.
    let _ = s.write_all(body);
    read_response(&mut s)
}

/// POSTs `total` bytes of filler with `Transfer-Encoding: chunked` (no declared
/// length), 64 KiB a chunk, stopping early if the server answers or closes.
///
/// # Errors
/// IO errors and unreadable responses, as text.
pub fn post_chunked(addr: SocketAddr, total: usize) -> Result<HttpResponse, String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/soap+xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if s.write_all(&frame).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = s.write_all(b"0\r\n\r\n");
    read_response(&mut s)
}

/// Reads one `Connection: close` response.
///
/// # Errors
/// IO errors and unreadable responses, as text.
pub fn read_response(s: &mut TcpStream) -> Result<HttpResponse, String> {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no HTTP head in {} bytes", raw.len()))?;
    let head = String::from_utf8_lossy(raw.get(..split).unwrap_or_default()).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    let mut body = raw.get(split + 4..).unwrap_or_default().to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok(HttpResponse { status, body })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(data.get(..eol).unwrap_or_default())
            .ok()
            .and_then(|t| usize::from_str_radix(t.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(data.get(start..start + size).unwrap_or_default());
        data = data.get(start + size + 2..).unwrap_or_default();
    }
    out
}

/// Opens a connection, announces `declared` body bytes, sends `sent` of them and then
/// nothing. Returns how long the server kept the connection open (it closed it, or
/// answered) or `None` if it was still open after `give_up`.
pub fn slow_body(
    addr: SocketAddr,
    declared: usize,
    sent: usize,
    give_up: Duration,
) -> Option<Duration> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/soap+xml\r\nContent-Length: {declared}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(&vec![b' '; sent.min(declared)]).ok()?;
    let start = Instant::now();
    s.set_read_timeout(Some(give_up)).ok()?;
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(_) => return Some(start.elapsed()),
        }
    }
}

/// The `p`-th percentile (0–100) of `samples` (nearest rank), `None` if empty.
pub fn percentile(samples: &[Duration], p: u32) -> Option<Duration> {
    let mut v = samples.to_vec();
    v.sort();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let rank = (usize::try_from(p).unwrap_or(100).min(100) * n).div_ceil(100);
    v.get(rank.saturating_sub(1)).copied()
}
