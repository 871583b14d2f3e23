//! Options shared by `serve` and `send`: the store, the key ring, the pre-established
//! SCTs; the TLS files of both sides; the users of `serve`'s WS-Trust token service.
//!
//! Users and passwords given with `--user` are for demos (they show in the process list);
//! a `--users` file is better, and is refused when group- or world-readable, like the
//! key ring. Passwords are never printed, not even in parse errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use wsrx_crypto::SecretKey;
use wsrx_runtime::persist::Persistence;
use wsrx_runtime::tls::{ClientTls, ServerTls};
use wsrx_runtime::token::PreEstablished;
use wsrx_sc::auth::UsernameVerifier;
use wsrx_soap::SoapVersion;
use wsrx_store::{AnyBackend, KeyRing, SqliteBackend, SqliteOptions, Store};

/// `--soap 1.1|1.2`
pub(crate) fn soap_version(text: &str) -> anyhow::Result<SoapVersion> {
    match text {
        "1.1" => Ok(SoapVersion::V11),
        "1.2" => Ok(SoapVersion::V12),
        other => anyhow::bail!("--soap must be 1.1 or 1.2, not {other}"),
    }
}

/// The peer profile: `--peer NAME` when given, else the one the bundled `--profile` selects
/// (`wsrx_runtime::profiles::peer`), else strict `wsrx`.
pub(crate) fn peer_profile(
    peer: Option<&str>,
    profile: Option<&str>,
) -> anyhow::Result<wsrx_runtime::peer::PeerProfile> {
    match peer {
        Some(name) => wsrx_runtime::peer::PeerProfile::from_name(name)
            .with_context(|| format!("--peer must be wsrx, cxf, metro, wcf or gsoap, not {name}")),
        None => Ok(profile
            .and_then(wsrx_runtime::profiles::peer)
            .unwrap_or_default()),
    }
}

/// The store of `role` (`serve`, `send`) for `endpoint` (listen address, destination URL):
/// `--store`/`--keyring` or the defaults in the user's data directory, checked (see
/// [`super::state`]); prints where it is, once, on stderr. A `postgres://` store needs
/// `--keyring` (every node seals with the same ring) and claims `node` (a node id) when
/// given: a second live node with that id is refused.
pub(crate) fn open_store(
    common: &Common,
    role: &str,
    endpoint: &str,
    node: Option<&str>,
) -> anyhow::Result<Persistence<AnyBackend>> {
    open_store_at(common, role, endpoint, node).map(|(p, _)| p)
}

/// [`open_store`], with the store file's path (for files kept beside it, such as the replay
/// journal); `None` for a PostgreSQL store, which has no file.
pub(crate) fn open_store_at(
    common: &Common,
    role: &str,
    endpoint: &str,
    node: Option<&str>,
) -> anyhow::Result<(Persistence<AnyBackend>, Option<PathBuf>)> {
    if let Some(url) = common
        .store
        .as_deref()
        .and_then(super::backend::postgres_url)
    {
        return Ok((open_shared_store(common, role, url, node)?, None));
    }
    let state = super::state::resolve(
        role,
        endpoint,
        common.store.as_deref(),
        common.keyring.as_deref(),
    )?;
    let described = state.describe();
    let ids = state.ring.ids();
    if !state.store.exists() {
        create_private_file(&state.store)?;
    }
    let backend = SqliteBackend::open(&state.store, SqliteOptions::default())
        .with_context(|| format!("cannot open store {}", state.store.display()))?;
    let store = Store::open(AnyBackend::Sqlite(backend), state.ring)
        .with_context(|| format!("cannot open store {}", state.store.display()))?;
    super::state::check_ring_fits(&store, &ids, &state.store.display(), &state.keyring)?;
    eprintln!("wsrx {role}: {described}");
    Ok((Persistence::new(Arc::new(store)), Some(state.store)))
}

/// The PostgreSQL store at `url` (see [`open_store`]).
fn open_shared_store(
    common: &Common,
    role: &str,
    url: &str,
    node: Option<&str>,
) -> anyhow::Result<Persistence<AnyBackend>> {
    let keyring = common.keyring.as_deref().context(
        "a PostgreSQL store is shared by every node: give its key ring with --keyring FILE \
         (the same file on every node; `wsrx keys generate FILE` makes one)",
    )?;
    let ring = super::state::load_ring(keyring)?;
    let ids = ring.ids();
    let backend = super::backend::open_postgres(url)?;
    let (version, _) = backend.schema_version()?;
    if let Some(node) = node {
        backend
            .claim_node(node, &super::backend::hostname())
            .with_context(|| format!("cannot start node {node}"))?;
    }
    let shown = format!("{url} (PostgreSQL, schema version {version})");
    let store = Store::open(AnyBackend::Postgres(Box::new(backend)), ring)
        .with_context(|| format!("cannot open store {shown}"))?;
    super::state::check_ring_fits(&store, &ids, &shown, keyring)?;
    match node {
        Some(node) => eprintln!(
            "wsrx {role}: store {shown}, key ring {}, node id {node}",
            keyring.display()
        ),
        None => eprintln!("wsrx {role}: store {shown}, key ring {}", keyring.display()),
    }
    Ok(Persistence::new(Arc::new(store)))
}

/// An empty file with mode 0600, for SQLite to make a store in (its journal files take the
/// database file's mode).
fn create_private_file(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create store {}", path.display())),
    }
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
    /// The store file (SQLite, mode 0600), or a PostgreSQL URL shared by several nodes
    /// (postgres://USER@HOST:PORT/DB?sslmode=require; the password from
    /// WSRX_STORE_PASSWORD or the file WSRX_STORE_PASSWORD_FILE names, never the URL).
    /// Default: one file per role and endpoint in $XDG_DATA_HOME/wsrx (else
    /// ~/.local/share/wsrx), e.g. serve-127.0.0.1_8080.db.
    #[arg(long, value_name = "FILE|URL")]
    pub(crate) store: Option<PathBuf>,
    /// Key-ring file sealing the store (mode 0600; see `wsrx keys generate`). Default:
    /// ring.keys in the same data directory, created on first use.
    #[arg(long, value_name = "FILE")]
    pub(crate) keyring: Option<PathBuf>,
    /// A pre-established SCT identifier (e.g. urn:uuid:…); `serve` takes several, each
    /// paired in order with an --sct-secret.
    #[arg(long = "sct-id", value_name = "ID")]
    pub(crate) sct_id: Vec<String>,
    /// The secret of the SCT, base64.
    #[arg(long = "sct-secret", value_name = "BASE64")]
    pub(crate) sct_secret: Vec<String>,
    /// SOAP version.
    #[arg(long, default_value = "1.2")]
    pub(crate) soap: String,
}

impl Common {
    /// The pre-established SCTs: `--sct-id` and `--sct-secret` paired in order.
    pub(crate) fn tokens(&self) -> anyhow::Result<Vec<PreEstablished>> {
        anyhow::ensure!(
            self.sct_id.len() == self.sct_secret.len(),
            "each --sct-id needs its --sct-secret (got {} identifiers and {} secrets)",
            self.sct_id.len(),
            self.sct_secret.len()
        );
        self.sct_id
            .iter()
            .zip(&self.sct_secret)
            .map(|(id, secret)| token(id, secret))
            .collect()
    }
}

/// `serve`'s TLS: certificate and key, and the CAs of required client certificates.
#[derive(Debug, clap::Args)]
pub(crate) struct ServerTlsArgs {
    /// Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Require a client certificate issued by one of these CAs (PEM bundle): mutual TLS.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub(crate) tls_client_ca: Option<PathBuf>,
}

impl ServerTlsArgs {
    /// The TLS configuration, when HTTPS was asked for.
    pub(crate) fn load(&self) -> anyhow::Result<Option<ServerTls>> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let tls = ServerTls::from_files(cert, key, self.tls_client_ca.as_deref())?;
        Ok(Some(tls))
    }
}

/// `send`'s TLS: extra trusted CAs and a client identity.
#[derive(Debug, clap::Args)]
pub(crate) struct ClientTlsArgs {
    /// Also trust this CA (PEM) for https URLs (repeatable).
    #[arg(long, value_name = "PEM")]
    pub(crate) ca: Vec<PathBuf>,
    /// Present this client certificate (PEM) when the server asks (mutual TLS).
    #[arg(long, value_name = "PEM", requires = "client_key")]
    pub(crate) client_cert: Option<PathBuf>,
    /// The private key of --client-cert (PEM).
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    pub(crate) client_key: Option<PathBuf>,
}

impl ClientTlsArgs {
    /// The client TLS options.
    pub(crate) fn load(&self) -> anyhow::Result<ClientTls> {
        let mut tls = ClientTls::default();
        for ca in &self.ca {
            tls.add_roots_file(ca)?;
        }
        if let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) {
            tls.set_identity_files(cert, key)?;
        }
        Ok(tls)
    }
}

/// Users of `serve`'s WS-Trust token service (UsernameToken bootstrap).
#[derive(Debug, clap::Args)]
pub(crate) struct UserArgs {
    /// Run the WS-Trust token service and accept this user, NAME:PASSWORD (repeatable).
    /// For demos: the password shows in the process list; prefer --users.
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    pub(crate) user: Vec<String>,
    /// Run the WS-Trust token service with the users of FILE, one `name:password` per
    /// line (`#` starts a comment); refused when group- or world-readable.
    #[arg(long = "users", value_name = "FILE")]
    pub(crate) users: Option<PathBuf>,
}

/// Name → password, for the UsernameToken bootstrap.
#[derive(Default)]
pub(crate) struct Users(HashMap<String, SecretKey>);

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.0.len())
            .finish()
    }
}

impl Users {
    /// How many users.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    fn add(&mut self, entry: &str) -> Option<()> {
        let (name, password) = entry.split_once(':')?;
        let name = name.trim();
        if name.is_empty() || password.is_empty() {
            return None;
        }
        self.0
            .insert(name.to_owned(), SecretKey::from_slice(password.as_bytes()));
        Some(())
    }
}

impl UsernameVerifier for Users {
    fn password(&self, username: &str) -> Option<SecretKey> {
        self.0.get(username).cloned()
    }
}

impl UserArgs {
    /// The users, or `None` when no token service was asked for.
    pub(crate) fn load(&self) -> anyhow::Result<Option<Users>> {
        if self.user.is_empty() && self.users.is_none() {
            return Ok(None);
        }
        let mut users = Users::default();
        for (n, entry) in self.user.iter().enumerate() {
            users
                .add(entry)
                .with_context(|| format!("--user number {} is not NAME:PASSWORD", n + 1))?;
        }
        if let Some(path) = &self.users {
            check_private(path)?;
            let text = zeroize::Zeroizing::new(
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read users file {}", path.display()))?,
            );
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_end_matches('\r');
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                users.add(line).with_context(|| {
                    format!("{} line {}: expected name:password", path.display(), n + 1)
                })?;
            }
        }
        anyhow::ensure!(users.len() > 0, "no users for the token service");
        Ok(Some(users))
    }
}

/// Refuses a secrets file that group or others may read (as the key ring).
#[cfg(unix)]
fn check_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
    anyhow::ensure!(
        meta.permissions().mode() & 0o077 == 0,
        "{} is readable by group or others; run `chmod 600` on it",
        path.display()
    );
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// The security contexts of `send`: the one pre-established SCT, or, with `login`
/// (`--username/--password`), a WS-Trust session with the destination's token service
/// in the dialect of `profile` (a `PasswordText` UsernameToken over HTTPS, a
/// `PasswordDigest` over plain HTTP).
pub(crate) fn client_tokens(
    common: &Common,
    login: Option<(&str, &str)>,
    to: &str,
    profile: wsrx_rm::wire::WireProfile,
    soap: SoapVersion,
    tls: &ClientTls,
) -> anyhow::Result<Arc<dyn wsrx_runtime::token::TokenProvider>> {
    client_tokens_with(common, login, None, None, to, profile, soap, tls, None).map(|(p, _)| p)
}

/// `send`'s X.509 symmetric bootstrap: the token service's certificate and how the RST is
/// protected.
pub(crate) struct X509BootstrapArgs {
    /// The token service's certificate (PEM).
    pub(crate) server_cert: PathBuf,
    /// The algorithm suite (WS-SP 1.2 §6.1 name).
    pub(crate) suite: wsrx_security::AlgorithmSuite,
    /// `sp:EncryptSignature`.
    pub(crate) encrypt_signature: bool,
    /// The peer profile (WCF reads the Sha256 suites its own way).
    pub(crate) peer: wsrx_runtime::peer::PeerProfile,
}

/// The dialect of `profile`'s WS-SC version.
fn dialect_of(profile: wsrx_rm::wire::WireProfile) -> wsrx_sc::Dialect {
    match wsrx_runtime::pipeline::sc_version(profile) {
        wsrx_security::ScVersion::V200502 => wsrx_sc::Dialect::V200502,
        _ => wsrx_sc::Dialect::V13,
    }
}

/// The security contexts of `send`, and the WS-Trust session among them if there is one.
pub(crate) type ClientTokens = (
    Arc<dyn wsrx_runtime::token::TokenProvider>,
    Option<Arc<wsrx_runtime::trust::TrustSession>>,
);

/// As [`client_tokens`], or with `x509` a WS-Trust session using the X.509 symmetric
/// bootstrap (the RST encrypted to the service's certificate; over http or https). The
/// session is returned too when there is one, for the Cancel at the end; with `policy` (the
/// endpoint's effective policy, from --wsdl) its Cancel is protected by that policy
/// ([`wsrx_sc::SessionConfig::policy`]).
#[allow(clippy::too_many_arguments, reason = "the options of one command")]
pub(crate) fn client_tokens_with(
    common: &Common,
    login: Option<(&str, &str)>,
    x509: Option<&X509BootstrapArgs>,
    dialect: Option<wsrx_sc::Dialect>,
    to: &str,
    profile: wsrx_rm::wire::WireProfile,
    soap: SoapVersion,
    tls: &ClientTls,
    policy: Option<&wsrx_security::ProtectionPolicy>,
) -> anyhow::Result<ClientTokens> {
    if let Some(x509) = x509 {
        anyhow::ensure!(
            common.sct_id.is_empty() && login.is_none(),
            "--bootstrap x509 establishes the SCT itself; leave out --sct-id and --username"
        );
        let pem = std::fs::read_to_string(&x509.server_cert)
            .with_context(|| format!("cannot read {}", x509.server_cert.display()))?;
        let cert = wsrx_security::Certificate::from_pem(&pem)
            .with_context(|| format!("{} is not an RSA certificate", x509.server_cert.display()))?;
        let mut bootstrap = wsrx_sc::X509Bootstrap::with_suite(x509.suite);
        bootstrap.policy.algorithms = x509.peer.algorithms(x509.suite);
        bootstrap.policy.encrypt_signature = x509.encrypt_signature;
        let config = wsrx_sc::SessionConfig {
            dialect: dialect.unwrap_or_else(|| dialect_of(profile)),
            soap,
            wsa: profile.wsa_version(),
            server_certificate: Some(Arc::new(cert)),
            bootstrap,
            policy: policy.cloned(),
            ..wsrx_sc::SessionConfig::default()
        };
        let session = Arc::new(wsrx_runtime::trust::TrustSession::with_tls(
            config,
            format!(
                "WS-Trust session, X.509 symmetric bootstrap ({}, server certificate {})",
                x509.suite.name(),
                x509.server_cert.display()
            ),
            tls,
        )?);
        return Ok((session.clone(), Some(session)));
    }
    let Some((username, password)) = login else {
        let mut tokens = common.tokens()?;
        anyhow::ensure!(
            tokens.len() == 1,
            "give one pre-established SCT (--sct-id/--sct-secret), --username/--password, or \
             --bootstrap x509 --server-cert PEM"
        );
        return Ok((Arc::new(tokens.remove(0)), None));
    };
    anyhow::ensure!(
        common.sct_id.is_empty() && common.sct_secret.is_empty(),
        "--username/--password establish the SCT through WS-Trust; leave out --sct-id/--sct-secret"
    );
    let https = to
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    // WS-Trust 1.3 §4.4: the entropies of the key are secrets; over plain HTTP they would
    // cross in clear (the token service refuses such a request too).
    anyhow::ensure!(
        https,
        "--username/--password need an https:// destination: over plain HTTP the key \
         material of the UsernameToken bootstrap would cross in clear (use \
         --bootstrap x509 --server-cert PEM for plain HTTP)"
    );
    let dialect = dialect.unwrap_or_else(|| dialect_of(profile));
    let config = wsrx_sc::SessionConfig {
        dialect,
        soap,
        wsa: profile.wsa_version(),
        credentials: Some(wsrx_sc::auth::UsernameToken {
            username: username.to_owned(),
            password: SecretKey::from_slice(password.as_bytes()),
            digest: !https,
        }),
        policy: policy.cloned(),
        ..wsrx_sc::SessionConfig::default()
    };
    let how = if https {
        "PasswordText over HTTPS"
    } else {
        "PasswordDigest"
    };
    let session = Arc::new(wsrx_runtime::trust::TrustSession::with_tls(
        config,
        format!("WS-Trust session, UsernameToken ({how})"),
        tls,
    )?);
    Ok((session.clone(), Some(session)))
}
