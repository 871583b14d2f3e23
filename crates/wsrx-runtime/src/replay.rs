//! The replay guard of an endpoint: the sans-IO [`ReplayCache`] (quotas per identity,
//! eviction by age) behind a short lock, and optionally a journal on disk so that a
//! restart, even after SIGKILL, still refuses a message seen before it (WSS 1.1 §10; the
//! decision is the cache's, this file only stores and loads lines).
//!
//! The journal is a pair of append-only files `<base>.replay.<generation>` (mode 0600)
//! of [`ReplayEntry::to_line`] lines. Each admitted message's entries are appended with
//! one `write` (`O_APPEND`) after the cache lock is released and before the message is
//! processed further, so the kernel holds them before any answer leaves; a SIGKILL
//! cannot lose them (a power cut can: no fsync per message). Every `rotate_every` (at
//! least the longest an entry lives plus the clock skew) a new generation starts and the
//! one before the previous is deleted: its entries have all expired. At start every
//! generation is read back into the cache ([`ReplayCache::restore`] drops expired
//! entries and torn last lines are skipped), the live entries are written to a fresh
//! generation and the old files removed.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use wsrx_security::{ReplayCache, ReplayEntry, SecurityError, Verified};

/// A replay cache, with or without a journal.
#[derive(Debug)]
pub struct ReplayGuard {
    cache: Mutex<ReplayCache>,
    journal: Option<Journal>,
}

impl ReplayGuard {
    /// A guard that forgets everything at exit (clients: their peers' answers).
    pub fn memory(cache: ReplayCache) -> Self {
        Self {
            cache: Mutex::new(cache),
            journal: None,
        }
    }

    /// A guard journaled beside `base` (e.g. the store file): reads what an earlier run
    /// left (see the module docs). Returns it with the number of entries restored.
    ///
    /// # Errors
    /// IO errors reading the directory or writing the fresh generation.
    pub fn journaled(
        mut cache: ReplayCache,
        base: &Path,
        rotate_every: Duration,
        now: SystemTime,
    ) -> std::io::Result<(Self, usize)> {
        let (journal, restored) = Journal::open(base, &mut cache, rotate_every, now)?;
        Ok((
            Self {
                cache: Mutex::new(cache),
                journal: Some(journal),
            },
            restored,
        ))
    }

    /// Checks and records `verified` (see [`ReplayCache::check_entries`]), journaling the
    /// new entries before returning.
    ///
    /// # Errors
    /// The cache's refusal; [`SecurityError::Local`] when the journal cannot be written
    /// (the message is refused: accepting it could let a restart take it again).
    pub fn check(&self, verified: &Verified<'_>, now: SystemTime) -> Result<(), SecurityError> {
        let entries = {
            let mut cache = self.cache.lock().map_err(|_| SecurityError::Local)?;
            cache.check_entries(verified, now)?
        };
        if let Some(j) = &self.journal {
            j.append(&entries, now).map_err(|e| {
                tracing::error!(error = %e, "cannot write the replay journal; message refused");
                SecurityError::Local
            })?;
        }
        Ok(())
    }

    /// Live entries and identities holding them (for metrics and tests).
    pub fn occupancy(&self) -> (usize, usize) {
        self.cache
            .lock()
            .map(|c| (c.len(), c.identities()))
            .unwrap_or_default()
    }
}

#[derive(Debug)]
struct Current {
    generation: u64,
    file: Arc<File>,
    since: SystemTime,
    rotating: bool,
}

#[derive(Debug)]
struct Journal {
    base: PathBuf,
    rotate_every: Duration,
    current: Mutex<Current>,
}

fn generation_path(base: &Path, generation: u64) -> PathBuf {
    let mut name = base.as_os_str().to_owned();
    name.push(format!(".replay.{generation}"));
    PathBuf::from(name)
}

/// The generations present beside `base`, oldest first.
fn generations(base: &Path) -> std::io::Result<Vec<u64>> {
    let dir = match base.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(stem) = base.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{stem}.replay.");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(g) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|g| g.parse::<u64>().ok())
        {
            out.push(g);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn create(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

impl Journal {
    fn open(
        base: &Path,
        cache: &mut ReplayCache,
        rotate_every: Duration,
        now: SystemTime,
    ) -> std::io::Result<(Self, usize)> {
        let old = generations(base)?;
        let mut restored = 0;
        for &g in &old {
            let text = match std::fs::read(generation_path(base, g)) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            restored += cache.restore(text.lines().filter_map(ReplayEntry::from_line), now);
        }
        let generation = old.last().map_or(0, |g| g + 1);
        let path = generation_path(base, generation);
        let file = create(&path)?;
        let mut lines = String::new();
        for e in cache.entries() {
            lines.push_str(&e.to_line());
            lines.push('\n');
        }
        (&file).write_all(lines.as_bytes())?;
        file.sync_all()?;
        for g in old {
            let _ = std::fs::remove_file(generation_path(base, g));
        }
        let journal = Self {
            base: base.to_path_buf(),
            rotate_every,
            current: Mutex::new(Current {
                generation,
                file: Arc::new(file),
                since: now,
                rotating: false,
            }),
        };
        Ok((journal, restored))
    }

    fn lock(&self) -> std::io::Result<std::sync::MutexGuard<'_, Current>> {
        self.current
            .lock()
            .map_err(|_| std::io::Error::other("replay journal lock poisoned"))
    }

    /// Appends `entries` (one write), rotating first when the generation is old enough.
    /// No lock is held during IO: the lock only hands out the current file.
    fn append(&self, entries: &[ReplayEntry], now: SystemTime) -> std::io::Result<()> {
        let (file, rotate) = {
            let mut cur = self.lock()?;
            let due = now.duration_since(cur.since).unwrap_or_default() >= self.rotate_every;
            let rotate = (due && !cur.rotating).then(|| {
                cur.rotating = true;
                cur.generation + 1
            });
            (Arc::clone(&cur.file), rotate)
        };
        if let Some(next) = rotate {
            self.rotate(next, now)?;
        }
        let mut lines = String::new();
        for e in entries {
            lines.push_str(&e.to_line());
            lines.push('\n');
        }
        // Written to the generation current when this call started: if a rotation ran
        // meanwhile, that one is the previous generation, which is kept and read back.
        (&*file).write_all(lines.as_bytes())
    }

    fn rotate(&self, next: u64, now: SystemTime) -> std::io::Result<()> {
        let opened = create(&generation_path(&self.base, next));
        let mut cur = self.lock()?;
        cur.rotating = false;
        let file = opened?;
        cur.generation = next;
        cur.file = Arc::new(file);
        cur.since = now;
        drop(cur);
        // Two generations back stopped being written `rotate_every` ago: all expired.
        if let Some(old) = next.checked_sub(2) {
            let _ = std::fs::remove_file(generation_path(&self.base, old));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsrx_security::ReplayLimits;

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
    }

    fn entry(n: u8, expiry: SystemTime) -> ReplayEntry {
        ReplayEntry {
            identity: Arc::from("urn:a"),
            key: [n; 32],
            expiry_ms: i64::try_from(
                expiry
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap()
                    .as_millis(),
            )
            .unwrap(),
        }
    }

    #[test]
    fn generations_rotate_and_a_restart_reads_what_is_live() {
        let dir = std::env::temp_dir().join(format!("wsrx-replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = dir.join("serve.db");
        let window = Duration::from_secs(600);
        let cache = || ReplayCache::with_limits(ReplayLimits::single(100), window);
        let (mut c, n) = (cache(), 0);
        let (j, restored) = Journal::open(&base, &mut c, window, t0()).unwrap();
        assert_eq!((restored, n), (0, 0));
        j.append(&[entry(1, t0() + window)], t0()).unwrap();
        // A rotation after `rotate_every`; the entry of generation 0 is still read back.
        let later = t0() + window;
        j.append(&[entry(2, later + window)], later).unwrap();
        assert_eq!(generations(&base).unwrap(), vec![0, 1]);
        // A third generation deletes the first.
        let third = later + window;
        j.append(&[entry(3, third + window)], third).unwrap();
        assert_eq!(generations(&base).unwrap(), vec![1, 2]);
        drop(j);
        // Restart just after `third`: entry 2 expires at `third`, entry 3 is live.
        let mut c = cache();
        let (_j, restored) =
            Journal::open(&base, &mut c, window, third + Duration::from_secs(1)).unwrap();
        assert_eq!(restored, 1);
        assert_eq!(generations(&base).unwrap(), vec![3]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
