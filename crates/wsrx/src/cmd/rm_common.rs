//! Options shared by `serve` and `send`: the store, the key ring, the pre-established SCT.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use wsrx_crypto::SecretKey;
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::token::PreEstablished;
use wsrx_soap::SoapVersion;
use wsrx_store::{KeyRing, KeyRingSource, SqliteBackend, SqliteOptions, Store};

/// `--soap 1.1|1.2`
pub(crate) fn soap_version(text: &str) -> anyhow::Result<SoapVersion> {
    match text {
        "1.1" => Ok(SoapVersion::V11),
        "1.2" => Ok(SoapVersion::V12),
        other => anyhow::bail!("--soap must be 1.1 or 1.2, not {other}"),
    }
}

/// The SQLite store at `path`, sealed with the ring in `keyring`.
pub(crate) fn open_store(
    path: &Path,
    keyring: &Path,
) -> anyhow::Result<Persistence<SqliteBackend>> {
    let ring = KeyRing::from_file(keyring)
        .with_context(|| format!("cannot load key ring {}", keyring.display()))?;
    open_store_with(path, ring)
}

/// The SQLite store at `path`, sealed with `ring`.
pub(crate) fn open_store_with(
    path: &Path,
    ring: KeyRing,
) -> anyhow::Result<Persistence<SqliteBackend>> {
    let backend = SqliteBackend::open(path, SqliteOptions::default())
        .with_context(|| format!("cannot open store {}", path.display()))?;
    Ok(Persistence::new(Arc::new(Store::open(backend, ring)?)))
}

/// The pre-established SCT from `--sct-id` / `--sct-secret` (base64).
pub(crate) fn token(id: &str, secret_b64: &str) -> anyhow::Result<PreEstablished> {
    let secret = super::verify::decode_base64(secret_b64).context("--sct-secret is not base64")?;
    anyhow::ensure!(!secret.is_empty(), "--sct-secret is empty");
    Ok(PreEstablished::new(id, SecretKey::from_vec(secret)))
}

/// Store and security options.
#[derive(Debug, clap::Args)]
pub(crate) struct Common {
    /// The store file (SQLite).
    #[arg(long)]
    pub(crate) store: PathBuf,
    /// Key-ring file sealing the store (mode 0600; see `wsrx keys generate`).
    #[arg(long)]
    pub(crate) keyring: PathBuf,
    /// The pre-established SCT identifier (e.g. urn:uuid:…).
    #[arg(long = "sct-id")]
    pub(crate) sct_id: String,
    /// The SCT secret, base64.
    #[arg(long = "sct-secret")]
    pub(crate) sct_secret: String,
    /// SOAP version.
    #[arg(long, default_value = "1.2")]
    pub(crate) soap: String,
}
