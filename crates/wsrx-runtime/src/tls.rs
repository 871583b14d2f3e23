//! TLS for the HTTP binding, with rustls 0.23 (ring provider; TLS 1.2 and 1.3 only).
//!
//! - [`ServerTls`]: the server certificate chain and key from PEM, and optionally a CA
//!   bundle against which clients must present a certificate (mutual TLS: a client
//!   without one, or with one no configured CA issued, fails the handshake). The HTTPS
//!   accept loop is [`crate::http::serve_tls_on`].
//! - [`ClientTls`]: what the HTTPS client adds to the built-in web roots: extra trusted
//!   CA certificates (PEM) and a client identity (certificate chain + key, PEM) for
//!   mutual TLS.
//!
//! What it does not do: certificate revocation (no CRL/OCSP), SNI-based certificate
//! selection, hot reloading of certificates. Private keys are held only inside rustls
//! (and a zeroizing buffer on the client side); they are never logged.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use zeroize::Zeroizing;

use crate::error::RuntimeError;

fn tls_error(what: &str, e: impl fmt::Display) -> RuntimeError {
    RuntimeError::Io(format!("TLS: {what}: {e}"))
}

fn read(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>, RuntimeError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| tls_error(&format!("cannot read {what} {}", path.display()), e))
}

/// The certificates in a PEM bundle (at least one).
fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, RuntimeError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(what, e))?;
    if certs.is_empty() {
        return Err(tls_error(what, "no CERTIFICATE block in the PEM"));
    }
    Ok(certs)
}

/// The server side of TLS: a built rustls configuration.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
    client_auth: bool,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// A server presenting the chain in `cert_pem` (leaf first) with the key in `key_pem`
    /// (PKCS#8, PKCS#1 or SEC1); with `client_ca_pem`, every client must present a
    /// certificate issued by one of those CAs (RFC 8446 §4.3.2, `CertificateRequest`).
    ///
    /// # Errors
    /// [`RuntimeError::Io`] for unreadable PEM, a key that does not match, or a CA
    /// bundle rustls refuses.
    pub fn from_pem(
        cert_pem: &[u8],
        key_pem: &[u8],
        client_ca_pem: Option<&[u8]>,
    ) -> Result<Self, RuntimeError> {
        let chain = certificates(cert_pem, "server certificate")?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| tls_error("server private key", e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("protocol versions", e))?;
        let builder = match client_ca_pem {
            Some(pem) => {
                let mut roots = RootCertStore::empty();
                for ca in certificates(pem, "client CA bundle")? {
                    roots
                        .add(ca)
                        .map_err(|e| tls_error("client CA bundle", e))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .map_err(|e| tls_error("client certificate verifier", e))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| tls_error("server certificate and key", e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            client_auth: client_ca_pem.is_some(),
        })
    }

    /// As [`ServerTls::from_pem`], reading the PEM files.
    ///
    /// # Errors
    /// As [`ServerTls::from_pem`], and [`RuntimeError::Io`] for unreadable files.
    pub fn from_files(
        cert: &Path,
        key: &Path,
        client_ca: Option<&Path>,
    ) -> Result<Self, RuntimeError> {
        let cert_pem = read(cert, "certificate")?;
        let key_pem = read(key, "private key")?;
        let ca_pem = client_ca.map(|p| read(p, "client CA bundle")).transpose()?;
        Self::from_pem(&cert_pem, &key_pem, ca_pem.as_deref().map(Vec::as_slice))
    }

    /// Whether clients must present a certificate.
    pub fn requires_client_certificate(&self) -> bool {
        self.client_auth
    }

    pub(crate) fn config(&self) -> Arc<rustls::ServerConfig> {
        Arc::clone(&self.config)
    }
}

/// What the HTTPS client trusts and presents, beyond the built-in web roots.
#[derive(Clone, Default)]
pub struct ClientTls {
    /// Extra trusted CA certificates, PEM (each may hold several).
    pub roots_pem: Vec<Vec<u8>>,
    /// A client identity for mutual TLS: certificate chain and private key (PKCS#8,
    /// PKCS#1 or SEC1), PEM, in one buffer (zeroized on drop, never printed).
    pub identity_pem: Option<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("roots", &self.roots_pem.len())
            .field(
                "identity",
                &self.identity_pem.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl ClientTls {
    /// Adds the CA certificates in the PEM file `path` to the trusted roots.
    ///
    /// # Errors
    /// [`RuntimeError::Io`] if the file cannot be read or holds no certificate.
    pub fn add_roots_file(&mut self, path: &Path) -> Result<(), RuntimeError> {
        let pem = read(path, "CA certificate")?;
        certificates(&pem, "CA certificate")?;
        self.roots_pem.push(pem.to_vec());
        Ok(())
    }

    /// Sets the client identity from a certificate PEM file and a key PEM file.
    ///
    /// # Errors
    /// [`RuntimeError::Io`] if a file cannot be read, or holds no certificate or key.
    pub fn set_identity_files(&mut self, cert: &Path, key: &Path) -> Result<(), RuntimeError> {
        let cert_pem = read(cert, "client certificate")?;
        certificates(&cert_pem, "client certificate")?;
        let key_pem = read(key, "client key")?;
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| tls_error("client key", e))?;
        let mut both = Zeroizing::new(Vec::with_capacity(cert_pem.len() + key_pem.len() + 1));
        both.extend_from_slice(&cert_pem);
        both.push(b'\n');
        both.extend_from_slice(&key_pem);
        self.identity_pem = Some(both);
        Ok(())
    }

    /// Applies the options to a reqwest client builder.
    pub(crate) fn apply(
        &self,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, RuntimeError> {
        for pem in &self.roots_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some(identity) = &self.identity_pem {
            builder = builder.identity(reqwest::Identity::from_pem(identity)?);
        }
        Ok(builder)
    }
}
