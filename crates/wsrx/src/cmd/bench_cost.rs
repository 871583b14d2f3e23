//! What one benchmark run cost this process, read from the kernel's own accounting
//! (Linux `/proc/self`), so `wsrx bench` can report it without outside tools:
//! - CPU time, user + system (`/proc/self/stat` fields 14–15, in clock ticks of
//!   1/100 s: the `USER_HZ` Linux exposes to user space on every architecture);
//! - read- and write-class system calls (`/proc/self/io` `syscr` + `syscw`: read,
//!   write, recv, send and their vectored forms; not epoll, futex, fsync or fcntl,
//!   so it is a lower bound on the syscalls made);
//! - the store writers' group commits (each one fsync of the WAL with
//!   `synchronous=FULL`) and the retransmissions the server received;
//! - the resident set (`/proc/self/status` `VmRSS`) at the end of the run, and the
//!   peak (`VmHWM`) so far: whether memory stays flat as the message count grows.
//!
//! Elsewhere than Linux the kernel figures read as zero (and are printed as `-`).

use std::time::Duration;

/// A reading of the counters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Reading {
    /// CPU time of the whole process.
    pub(crate) cpu: Duration,
    /// Read- and write-class system calls.
    pub(crate) syscalls: u64,
    /// Group commits of the server's store.
    pub(crate) server_fsyncs: u64,
    /// Group commits of the client's store.
    pub(crate) client_fsyncs: u64,
    /// Retransmissions of recorded messages the server received.
    pub(crate) retransmissions: u64,
    /// Resident set now and its peak so far, KiB.
    pub(crate) rss_kib: (u64, u64),
    /// Whether the kernel figures could be read.
    pub(crate) kernel: bool,
}

impl Reading {
    /// Reads the kernel's counters; the store and protocol ones are given.
    pub(crate) fn now(server_fsyncs: u64, client_fsyncs: u64, retransmissions: u64) -> Self {
        let cpu = cpu_time();
        let syscalls = io_syscalls();
        Self {
            cpu: cpu.unwrap_or_default(),
            syscalls: syscalls.unwrap_or_default(),
            server_fsyncs,
            client_fsyncs,
            retransmissions,
            rss_kib: resident().unwrap_or_default(),
            kernel: cpu.is_some() && syscalls.is_some(),
        }
    }

    /// The cost per message between `earlier` and `self`, over `messages`.
    pub(crate) fn per_message(&self, earlier: &Self, messages: usize) -> Cost {
        let n = messages.max(1) as f64;
        Cost {
            cpu_ms: (self.cpu.saturating_sub(earlier.cpu)).as_secs_f64() * 1000.0 / n,
            syscalls: self.syscalls.saturating_sub(earlier.syscalls) as f64 / n,
            server_fsyncs: self.server_fsyncs.saturating_sub(earlier.server_fsyncs) as f64 / n,
            client_fsyncs: self.client_fsyncs.saturating_sub(earlier.client_fsyncs) as f64 / n,
            retransmitted_pct: self.retransmissions.saturating_sub(earlier.retransmissions) as f64
                * 100.0
                / n,
            rss_kib: self.rss_kib,
            kernel: self.kernel && earlier.kernel,
        }
    }
}

/// Per-message costs of one run (both sides: they share this process).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cost {
    pub(crate) cpu_ms: f64,
    pub(crate) syscalls: f64,
    pub(crate) server_fsyncs: f64,
    pub(crate) client_fsyncs: f64,
    pub(crate) retransmitted_pct: f64,
    /// Resident set at the end of the run and peak so far (KiB; not per message).
    pub(crate) rss_kib: (u64, u64),
    pub(crate) kernel: bool,
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (cpu, sys, rss) = if self.kernel {
            (
                format!("{:.3}", self.cpu_ms),
                format!("{:.1}", self.syscalls),
                format!(
                    "{:.1}/{:.1}",
                    self.rss_kib.0 as f64 / 1024.0,
                    self.rss_kib.1 as f64 / 1024.0
                ),
            )
        } else {
            ("-".to_owned(), "-".to_owned(), "-".to_owned())
        };
        write!(
            f,
            "{cpu:>7} {:>5.2}/{:<5.2} {sys:>6} {:>6.2} {rss:>11}",
            self.server_fsyncs, self.client_fsyncs, self.retransmitted_pct
        )
    }
}

/// The header of the cost columns, aligned with [`Cost`]'s display.
pub(crate) const HEADER: &str = "cpu ms fsync s/c   r+w sc  retx% rss/peak MiB";

fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its ')'.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace();
    // `rest` starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// `VmRSS` and `VmHWM` of this process, KiB.
fn resident() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn io_syscalls() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let field = |name: &str| -> Option<u64> {
        io.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
    };
    Some(field("syscr:")? + field("syscw:")?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_counters_read_and_grow() {
        let a = Reading::now(0, 0, 0);
        // Burn a little CPU and make some read syscalls.
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        for _ in 0..50 {
            let _ = std::fs::read_to_string("/proc/self/stat");
        }
        let b = Reading::now(10, 20, 1);
        assert!(x != 1);
        let c = b.per_message(&a, 10);
        if cfg!(target_os = "linux") {
            assert!(c.kernel);
            assert!(c.syscalls >= 5.0, "{c:?}");
            assert!(b.cpu >= a.cpu);
            let (rss, peak) = c.rss_kib;
            assert!(rss > 0 && peak >= rss, "{c:?}");
        }
        assert!((c.server_fsyncs - 1.0).abs() < 1e-9 && (c.client_fsyncs - 2.0).abs() < 1e-9);
        assert!((c.retransmitted_pct - 10.0).abs() < 1e-9);
    }
}
