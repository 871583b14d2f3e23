//! Where `wsrx serve` and `wsrx send` keep their state, and the checks before they use it.
//!
//! Without `--store`/`--keyring` the state goes to the user's data directory:
//! `$XDG_DATA_HOME/wsrx/` when `XDG_DATA_HOME` is an absolute path (XDG Base Directory
//! specification), else `~/.local/share/wsrx/`, created with mode 0700. In it: one store per
//! role and endpoint, named after the listen address (`serve-127.0.0.1_8080.db`) or the
//! destination URL (`send-http_127.0.0.1_8080_rm.db`), and one key ring, `ring.keys`, created
//! on first use with mode 0600. `--store` and `--keyring` override either.
//!
//! Refused, with the file named and what to do, never with a panic or a silent new ring: a
//! key ring or store that group or others may read; one that cannot be read; a key ring
//! that is not one; an explicit `--keyring` that does not exist; a store whose key ring is
//! missing; a store whose rows are sealed under keys the ring does not have (another
//! store's ring). A refusal creates nothing.
//!
//! Not here: the store's format and sealing (`wsrx-store`), key rotation (`wsrx keys`).

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use wsrx_crypto::KeyId;
use wsrx_store::{Backend, KeyRing, Store};

/// The key ring's file name in the data directory.
pub(crate) const RING_FILE: &str = "ring.keys";

/// Longest store name kept whole; a longer endpoint is cut and given a hash of the whole.
const MAX_NAME: usize = 100;

/// The store and key ring a command uses, checked, with the ring loaded.
pub(crate) struct State {
    /// The store file (it may not exist yet: a new store).
    pub(crate) store: PathBuf,
    /// The key-ring file.
    pub(crate) keyring: PathBuf,
    /// The ring.
    pub(crate) ring: KeyRing,
    /// True when this start created the key ring.
    pub(crate) ring_created: bool,
}

impl State {
    /// The one line printed at start: where the state is.
    pub(crate) fn describe(&self) -> String {
        format!(
            "store {}, key ring {}{}",
            self.store.display(),
            self.keyring.display(),
            if self.ring_created {
                " (created now, mode 0600: keep it with the store)"
            } else {
                ""
            }
        )
    }
}

/// The user's data directory for wsrx, from the environment (not created).
pub(crate) fn data_dir() -> anyhow::Result<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME") {
        let xdg = PathBuf::from(xdg);
        // The specification says a relative path is invalid and must be ignored.
        if xdg.is_absolute() {
            return Ok(xdg.join("wsrx"));
        }
    }
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Ok(PathBuf::from(home).join(".local/share/wsrx")),
        _ => bail!(
            "neither XDG_DATA_HOME nor HOME is set, so there is no default place for the \
             store and key ring; give --store FILE and --keyring FILE"
        ),
    }
}

/// The store's file name for `role` (`serve`, `send`) and `endpoint` (the listen address or
/// the destination URL): letters, digits, `.` and `-` kept, every other run of characters
/// one `_`.
pub(crate) fn store_name(role: &str, endpoint: &str) -> String {
    let mut name = String::with_capacity(endpoint.len());
    for c in endpoint.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            name.push(c);
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    let mut name = name.trim_matches('_').to_owned();
    if name.is_empty() {
        name.push_str("default");
    }
    if name.len() > MAX_NAME {
        name.truncate(MAX_NAME);
        name.push_str(&format!("-{:016x}", fnv1a(endpoint.as_bytes())));
    }
    format!("{role}-{name}.db")
}

/// FNV-1a, 64 bits: a stable hash for names (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Resolves and checks the store and key ring of `role` for `endpoint`: the given files,
/// or the defaults in the data directory (created, with the ring, on first use).
pub(crate) fn resolve(
    role: &str,
    endpoint: &str,
    store: Option<&Path>,
    keyring: Option<&Path>,
) -> anyhow::Result<State> {
    let dir = if store.is_none() || keyring.is_none() {
        Some(data_dir()?)
    } else {
        None
    };
    let in_dir = |file: String| dir.as_ref().map(|d| d.join(file));
    let store_path = match store {
        Some(s) => s.to_path_buf(),
        None => in_dir(store_name(role, endpoint)).context("no store file")?,
    };
    let ring_path = match keyring {
        Some(k) => k.to_path_buf(),
        None => in_dir(RING_FILE.to_owned()).context("no key-ring file")?,
    };
    let store_exists = check_store_file(&store_path)?;
    let (ring, ring_created) = match std::fs::symlink_metadata(&ring_path) {
        Ok(_) => (load_ring(&ring_path)?, false),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if keyring.is_some() {
                bail!(
                    "key ring {} does not exist: create it with `wsrx keys generate {}`, \
                     or leave out --keyring to use the default one in {}",
                    ring_path.display(),
                    ring_path.display(),
                    data_dir().map_or_else(
                        |_| "the data directory".to_owned(),
                        |d| d.display().to_string()
                    )
                );
            }
            if store_exists {
                bail!(
                    "store {} exists but its key ring {} is missing: restore the ring (or \
                     give it with --keyring); a new ring could not open the store",
                    store_path.display(),
                    ring_path.display()
                );
            }
            (create_ring(&ring_path)?, true)
        }
        Err(e) => bail!("cannot read key ring {}: {e}", ring_path.display()),
    };
    if let Some(parent) = store_path
        .parent()
        .filter(|p| !store_exists && !p.as_os_str().is_empty())
    {
        make_private_dir(parent)?;
    }
    Ok(State {
        store: store_path,
        keyring: ring_path,
        ring,
        ring_created,
    })
}

/// Creates `dir` (and its parents) when missing; a directory this creates is mode 0700.
fn make_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))
}

/// Refuses a store file that is not a readable, private regular file; true when it exists.
fn check_store_file(path: &Path) -> anyhow::Result<bool> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => bail!("cannot read store {}: {e}", path.display()),
    };
    if !meta.is_file() {
        bail!(
            "store {} is not a file; give --store a file path",
            path.display()
        );
    }
    refuse_shared(path, &meta, "store")?;
    std::fs::File::open(path).with_context(|| {
        format!(
            "cannot read store {}; check its permissions",
            path.display()
        )
    })?;
    Ok(true)
}

/// Refuses a file that group or others may read (the key ring, the store).
#[cfg(unix)]
fn refuse_shared(path: &Path, meta: &std::fs::Metadata, what: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        bail!(
            "{what} {} is readable by group or others (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_shared(_path: &Path, _meta: &std::fs::Metadata, _what: &str) -> anyhow::Result<()> {
    Ok(())
}

/// Loads an existing key ring, each failure named with the file and what to do.
pub(crate) fn load_ring(path: &Path) -> anyhow::Result<KeyRing> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read key ring {}", path.display()))?;
    if !meta.is_file() {
        bail!(
            "key ring {} is not a file; give --keyring a key-ring file (`wsrx keys generate FILE` makes one)",
            path.display()
        );
    }
    refuse_shared(path, &meta, "key ring")?;
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read key ring {}; check its permissions",
            path.display()
        )
    })?);
    KeyRing::parse(&text).map_err(|e| {
        anyhow::anyhow!(
            "key ring {} is not a wsrx key ring ({e}); give the ring this store was created \
             with, or make a new one with `wsrx keys generate FILE`",
            path.display()
        )
    })
}

/// Creates a key ring with one new key at `path`, mode 0600, never over an existing file
/// (a ring another process created meanwhile is loaded instead).
fn create_ring(path: &Path) -> anyhow::Result<KeyRing> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        make_private_dir(parent)?;
    }
    let (hex, _) = super::keys::new_key_hex()?;
    let text = zeroize::Zeroizing::new(format!("# wsrx key ring: active key first\n{hex}\n"));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write key ring {}", path.display()))?;
            KeyRing::parse(&text).map_err(|e| anyhow::anyhow!("new key ring: {e}"))
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => load_ring(path),
        Err(e) => Err(e).with_context(|| format!("cannot create key ring {}", path.display())),
    }
}

/// Refuses a store whose rows are sealed under keys the ring lacks: it was made with
/// another ring (or the ring lost a key it still needs). Compares key ids only.
pub(crate) fn check_ring_fits<B: Backend>(
    store: &Store<B>,
    known: &[KeyId],
    store_name: &dyn std::fmt::Display,
    ring_path: &Path,
) -> anyhow::Result<()> {
    let mut missing: Vec<KeyId> = Vec::new();
    let backend = store.backend();
    let in_records = backend.records()?.into_iter().map(|r| r.kek);
    let in_tokens = backend.tokens()?.into_iter().map(|t| t.kek);
    for kek in in_records.chain(in_tokens) {
        let id = KeyId::from_bytes(kek);
        if !known.contains(&id) && !missing.contains(&id) {
            missing.push(id);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = missing.iter().map(ToString::to_string).collect();
    bail!(
        "store {} is sealed under key {} that key ring {} does not have: it is not this \
         store's ring. Give the --keyring the store was created with (`wsrx keys list FILE` \
         shows a ring's key ids)",
        store_name,
        list.join(", "),
        ring_path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_are_derived_from_the_endpoint() {
        assert_eq!(
            store_name("serve", "127.0.0.1:8080"),
            "serve-127.0.0.1_8080.db"
        );
        assert_eq!(
            store_name("send", "http://127.0.0.1:8080/rm"),
            "send-http_127.0.0.1_8080_rm.db"
        );
        assert_eq!(store_name("serve", "[::1]:8443"), "serve-1_8443.db");
        assert_eq!(
            store_name("send", "../../etc/passwd"),
            "send-.._.._etc_passwd.db"
        );
        assert_eq!(store_name("send", "///"), "send-default.db");
        let long = format!("https://example.org/{}", "a".repeat(300));
        let name = store_name("send", &long);
        assert!(name.len() < MAX_NAME + 30, "{name}");
        assert_ne!(name, store_name("send", &format!("{long}b")));
    }
}
