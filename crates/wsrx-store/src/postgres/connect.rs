//! Where the PostgreSQL store is and how to reach it: the URL (libpq's
//! `postgres://user@host:port/db?sslmode=…` form), the password (never in the URL: from
//! the environment or a file the caller read), TLS with rustls, and the pool.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;
use zeroize::Zeroizing;

use crate::error::StoreError;

/// Options of [`super::PostgresBackend::open`].
#[derive(Clone)]
pub struct PostgresOptions {
    url: String,
    config: tokio_postgres::Config,
    ca_file: Option<PathBuf>,
    /// Connections in the pool (the writer takes one, readers the others).
    pub pool_size: usize,
    /// How long to wait for a connection (and for the first one at start).
    pub connect_timeout: Duration,
    /// Longest a commit or a read may take before it fails as unavailable.
    pub op_timeout: Duration,
    /// Most batches one group commit takes.
    pub max_group: usize,
}

impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("url", &self.url)
            .field("password", &self.config.get_password().map(|_| "(set)"))
            .field("ca_file", &self.ca_file)
            .field("pool_size", &self.pool_size)
            .finish_non_exhaustive()
    }
}

/// True when `location` names a PostgreSQL database rather than a file.
pub fn is_postgres_url(location: &str) -> bool {
    let lower = location.get(..13).unwrap_or(location).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

impl PostgresOptions {
    /// Parses `url` (`postgres://user@host:port/db?sslmode=disable|prefer|require`, with
    /// `sslrootcert=PEM` to trust a private CA). A URL that carries a password is
    /// refused: URLs end up in process lists, shell histories and logs; give the password
    /// with [`Self::with_password`] (the `wsrx` command reads `WSRX_STORE_PASSWORD` or a
    /// file).
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if !is_postgres_url(url) {
            return Err(StoreError::Backend(format!(
                "{url}: not a postgres:// or postgresql:// URL"
            )));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let mut ca_file = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslrootcert", path)) => ca_file = Some(PathBuf::from(path)),
                _ => kept.push(pair),
            }
        }
        let cleaned = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let config = tokio_postgres::Config::from_str(&cleaned)
            .map_err(|e| StoreError::Backend(format!("store URL {}: {e}", redact(url))))?;
        if config.get_password().is_some() {
            return Err(StoreError::Backend(format!(
                "store URL {}: a password in the URL is refused (it would show in process \
                 lists and logs); set WSRX_STORE_PASSWORD or use a password file",
                redact(url)
            )));
        }
        Ok(Self {
            url: redact(url),
            config,
            ca_file,
            pool_size: 8,
            connect_timeout: Duration::from_secs(5),
            op_timeout: Duration::from_secs(30),
            max_group: 256,
        })
    }

    /// Sets the password (read from the environment or a file by the caller).
    #[must_use]
    pub fn with_password(mut self, password: &Zeroizing<String>) -> Self {
        self.config.password(password.as_bytes());
        self
    }

    /// The URL, for messages (never with a password: those are refused).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(super) fn config(&self) -> tokio_postgres::Config {
        let mut c = self.config.clone();
        c.connect_timeout(self.connect_timeout);
        if c.get_application_name().is_none() {
            c.application_name("wsrx");
        }
        c
    }

    pub(super) fn tls(&self) -> Result<MakeRustlsConnect, StoreError> {
        tls(self.ca_file.as_deref())
    }

    /// Whether the connection asks for TLS (any `sslmode` but `disable`).
    pub fn wants_tls(&self) -> bool {
        !matches!(self.config.get_ssl_mode(), SslMode::Disable)
    }

    /// The pool over this database.
    pub(super) fn pool(&self) -> Result<Pool, StoreError> {
        let manager = Manager::from_config(
            self.config(),
            self.tls()?,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        Pool::builder(manager)
            .max_size(self.pool_size.max(2))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(self.connect_timeout))
            .create_timeout(Some(self.connect_timeout))
            .recycle_timeout(Some(self.connect_timeout))
            .build()
            .map_err(|e| StoreError::Backend(format!("connection pool: {e}")))
    }
}

/// The URL without user info beyond the user name (there is no password in accepted
/// URLs; this also covers the refusal message).
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// rustls with the ring provider: the CA of `ca_file` if given (libpq's `sslrootcert`),
/// else the Mozilla roots. Server certificates are always verified.
fn tls(ca_file: Option<&Path>) -> Result<MakeRustlsConnect, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| StoreError::Backend(format!("sslrootcert {}: {e}", path.display())))?
                .collect::<Result<_, _>>()
                .map_err(|e| StoreError::Backend(format!("sslrootcert {}: {e}", path.display())))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(StoreError::Backend(format!(
                    "sslrootcert {}: no certificate in it",
                    path.display()
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Backend(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn a_password_in_the_url_is_refused_and_not_echoed() {
        let err = PostgresOptions::from_url("postgres://u:hunter2@db.example/wsrx").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("password in the URL is refused"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn urls_are_recognised_and_sslrootcert_is_ours() {
        assert!(is_postgres_url("postgres://h/db"));
        assert!(is_postgres_url("PostgreSQL://h/db"));
        assert!(!is_postgres_url("/var/lib/wsrx/serve.db"));
        let o = PostgresOptions::from_url(
            "postgres://wsrx@127.0.0.1:5432/wsrx?sslmode=require&sslrootcert=/etc/ca.pem",
        )
        .unwrap();
        assert_eq!(o.ca_file.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert!(o.wants_tls());
        let o =
            PostgresOptions::from_url("postgres://wsrx@127.0.0.1/wsrx?sslmode=disable").unwrap();
        assert!(!o.wants_tls());
        assert_eq!(o.config().get_dbname(), Some("wsrx"));
    }
}
