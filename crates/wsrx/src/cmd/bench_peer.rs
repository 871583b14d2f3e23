//! `wsrx bench --peer gsoap`: gSOAP's own WS-RM echo, its C client against its C server
//! (the peers `interop/build.sh gsoap` builds for `scripts/interop.sh`), run in the same
//! invocation as the wsrx runs so the two figures come from the same machine state.
//!
//! The gSOAP pair is configured as close to the wsrx runs as it allows: one sequence,
//! WS-RM 1.1, SOAP 1.2, every message signed (HMAC-SHA256) with keys derived from one SCT
//! and the signature required both ways. It keeps its sequence state in memory (gSOAP's
//! WS-RM has no durable store), serves one request per TCP connection and runs one request
//! at a time. The rate is the client's requests over its wall-clock time (CreateSequence,
//! Close and Terminate included, as in `scripts/interop.sh`); the CPU is what both
//! processes used (the kernel's account of waited-for children, `/proc/self/stat` fields
//! 16–17).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use wsrx_crypto::{OsRandom, SecureRandom};

/// Where the gSOAP peers are looked for when `--gsoap-bin` is not given.
pub(crate) const DEFAULT_BIN: &str = "target/interop/peers/gsoap/bin";

/// What one gSOAP echo run measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerRun {
    /// Echo requests answered.
    pub(crate) messages: usize,
    /// The client's wall-clock time.
    pub(crate) elapsed: Duration,
    /// CPU of both gSOAP processes.
    pub(crate) cpu: Option<Duration>,
}

impl PeerRun {
    /// Requests per second.
    pub(crate) fn rate(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.messages as f64 / s
        } else {
            0.0
        }
    }
}

impl std::fmt::Display for PeerRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cpu = self.cpu.map_or_else(
            || "-".to_owned(),
            |c| {
                format!(
                    "{:.3}",
                    c.as_secs_f64() * 1000.0 / self.messages.max(1) as f64
                )
            },
        );
        write!(
            f,
            "gSOAP client -> gSOAP server, request-reply echo, 1 sequence: {} in {:.2} s = {:.0} msg/s, cpu ms/msg (both sides) {cpu}",
            self.messages,
            self.elapsed.as_secs_f64(),
            self.rate()
        )
    }
}

/// Runs gSOAP's echo client against its server for `messages` requests.
pub(crate) fn gsoap_echo(bin: &Path, messages: usize) -> anyhow::Result<PeerRun> {
    let server_bin = bin.join("rm_server");
    let client_bin = bin.join("rm_client");
    for b in [&server_bin, &client_bin] {
        if !b.is_file() {
            bail!(
                "{} not found: build the gSOAP peers with `sh interop/build.sh gsoap` \
                 (into target/interop/peers/gsoap) or name their directory with --gsoap-bin",
                b.display()
            );
        }
    }
    let mut secret = [0u8; 32];
    OsRandom
        .fill_nonce(&mut secret)
        .context("randomness unavailable")?;
    let secret = wsrx_crypto::base64::encode(&secret);
    let mut id = [0u8; 16];
    OsRandom
        .fill_nonce(&mut id)
        .context("randomness unavailable")?;
    let sct = format!(
        "urn:uuid:{}",
        id.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let port = free_port()?;
    let security = [
        "--sct",
        sct.as_str(),
        "--secret",
        secret.as_str(),
        "--dkt",
        "--sha256",
        "--require-signature",
    ];
    let before = children_cpu();
    let mut server = Command::new(&server_bin)
        .args(["-p", &port.to_string()])
        .args(security)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", server_bin.display()))?;
    let outcome = (|| {
        wait_listening(port)?;
        let started = Instant::now();
        let status = Command::new(&client_bin)
            .args(["-u", &format!("http://127.0.0.1:{port}/echo")])
            .args(["-n", &messages.to_string()])
            .args(security)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .with_context(|| format!("cannot run {}", client_bin.display()))?;
        let elapsed = started.elapsed();
        anyhow::ensure!(
            status.success(),
            "the gSOAP client failed ({status}); run scripts/interop.sh to see why"
        );
        Ok(elapsed)
    })();
    let _ = server.kill();
    let _ = server.wait();
    let elapsed = outcome?;
    let cpu = match (before, children_cpu()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    Ok(PeerRun {
        messages,
        elapsed,
        cpu,
    })
}

/// A loopback port nobody listens on now (the gSOAP server binds it by number).
fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .context("cannot find a free port")?;
    Ok(l.local_addr()?.port())
}

fn wait_listening(port: u16) -> anyhow::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..100 {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("the gSOAP server did not listen on port {port}")
}

/// CPU of the waited-for children (`cutime` + `cstime`, clock ticks of 1/100 s).
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    // `rest` starts at field 3; cutime and cstime are fields 16 and 17.
    let mut fields = rest.split_whitespace().skip(13);
    let cutime: u64 = fields.next()?.parse().ok()?;
    let cstime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((cutime + cstime) * 10))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    #[test]
    fn a_missing_peer_is_named_with_how_to_build_it() {
        let e = gsoap_echo(Path::new("/nonexistent-gsoap-dir"), 3).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("rm_server") && text.contains("interop/build.sh gsoap"));
    }

    #[test]
    fn the_rate_is_messages_over_wall_time() {
        let r = PeerRun {
            messages: 500,
            elapsed: Duration::from_millis(250),
            cpu: Some(Duration::from_millis(100)),
        };
        assert!((r.rate() - 2000.0).abs() < 1e-6);
        assert!(r.to_string().contains("0.200"), "{r}");
    }
}
