//! Which store engine a `--store` names: a file path is the embedded SQLite store, a
//! `postgres://` (or `postgresql://`) URL a PostgreSQL database shared by several nodes.
//!
//! The PostgreSQL password never comes from the command line (process lists, shell
//! histories): a URL holding one is refused; it is read from `WSRX_STORE_PASSWORD`, or
//! from the file `WSRX_STORE_PASSWORD_FILE` names (refused when group- or
//! world-readable, like the key ring). TLS follows the URL's `sslmode`
//! (`disable`, `prefer`, `require`), verified against the Mozilla roots or the CA file
//! of `sslrootcert=PEM`.

use std::path::Path;

use anyhow::Context;
use wsrx_store::{
    AnyBackend, PostgresBackend, PostgresOptions, SqliteBackend, SqliteOptions, is_postgres_url,
};
use zeroize::Zeroizing;

/// The PostgreSQL URL `store` is, if it is one.
pub(crate) fn postgres_url(store: &Path) -> Option<&str> {
    store.to_str().filter(|s| is_postgres_url(s))
}

/// The password for the PostgreSQL store, if one is configured.
fn password() -> anyhow::Result<Option<Zeroizing<String>>> {
    if let Ok(p) = std::env::var("WSRX_STORE_PASSWORD") {
        return Ok(Some(Zeroizing::new(p)));
    }
    let Some(file) = std::env::var_os("WSRX_STORE_PASSWORD_FILE") else {
        return Ok(None);
    };
    let path = Path::new(&file);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot read the store password file {}", path.display()))?;
        anyhow::ensure!(
            meta.permissions().mode() & 0o077 == 0,
            "the store password file {} is readable by group or others; run `chmod 600` on it",
            path.display()
        );
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the store password file {}", path.display()))?,
    );
    Ok(Some(Zeroizing::new(
        text.trim_end_matches(['\r', '\n']).to_owned(),
    )))
}

/// Connects to the PostgreSQL store at `url` and brings its schema up to date.
pub(crate) fn open_postgres(url: &str) -> anyhow::Result<PostgresBackend> {
    let mut options = PostgresOptions::from_url(url)?;
    if let Some(p) = password()? {
        options = options.with_password(&p);
    }
    let shown = options.url().to_owned();
    PostgresBackend::open(options).with_context(|| format!("cannot open store {shown}"))
}

/// The backend `store` names: PostgreSQL for a URL, else the SQLite file.
pub(crate) fn open_any(store: &Path) -> anyhow::Result<AnyBackend> {
    Ok(match postgres_url(store) {
        Some(url) => AnyBackend::Postgres(Box::new(open_postgres(url)?)),
        None => AnyBackend::Sqlite(
            SqliteBackend::open(store, SqliteOptions::default())
                .with_context(|| format!("cannot open store {}", store.display()))?,
        ),
    })
}

/// This machine's name, for the default node id (`/proc/sys/kernel/hostname`, else
/// `HOSTNAME`, else `localhost`).
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_postgres_and_paths_are_files() {
        assert_eq!(
            postgres_url(Path::new("postgres://wsrx@db/wsrx")),
            Some("postgres://wsrx@db/wsrx")
        );
        assert_eq!(postgres_url(Path::new("/var/lib/wsrx/serve.db")), None);
        assert_eq!(postgres_url(Path::new("postgres.db")), None);
    }
}
