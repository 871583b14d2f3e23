//! Shared by the runtime's end-to-end tests.

use std::sync::Arc;

use wsrx_crypto::{KeyRing, SecretKey};
use wsrx_runtime::persist::Persistence;
use wsrx_store::{MemoryBackend, Store};

/// A sealed in-memory store (a fixed test key ring).
#[allow(dead_code, reason = "not every test binary uses it")]
pub(crate) fn store() -> Persistence<MemoryBackend> {
    let ring = KeyRing::new(SecretKey::from_slice(&[7u8; 32])).unwrap();
    Persistence::new(Arc::new(Store::open(MemoryBackend::new(), ring).unwrap()))
}

/// The token service's identity for the X.509 symmetric bootstrap: a fresh 2048-bit RSA key
/// and a self-signed certificate (rcgen), made once per test binary.
#[allow(dead_code, reason = "not every test binary bootstraps with X.509")]
pub(crate) fn x509_identity() -> Arc<wsrx_security::X509Credential> {
    static IDENTITY: std::sync::OnceLock<Arc<wsrx_security::X509Credential>> =
        std::sync::OnceLock::new();
    IDENTITY
        .get_or_init(|| {
            let key =
                wsrx_crypto::RsaPrivateKey::generate(2048, &mut wsrx_crypto::OsRandom).unwrap();
            let der = key.to_pkcs8_der().unwrap();
            let pair = rcgen::KeyPair::try_from(der.expose_secret()).unwrap();
            let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
            let cert = params.self_signed(&pair).unwrap();
            let cert = wsrx_security::Certificate::from_der(cert.der()).unwrap();
            Arc::new(wsrx_security::X509Credential::new(cert, key).unwrap())
        })
        .clone()
}

/// The token service's X.509 bootstrap settings for [`x509_identity`].
#[allow(dead_code, reason = "not every test binary bootstraps with X.509")]
pub(crate) fn x509_service() -> wsrx_sc::issuer::X509Service {
    wsrx_sc::issuer::X509Service {
        credential: x509_identity(),
        bootstrap: wsrx_sc::X509Bootstrap::default(),
    }
}

/// The client's side: the service's certificate.
#[allow(dead_code, reason = "not every test binary bootstraps with X.509")]
pub(crate) fn server_certificate() -> Arc<wsrx_security::Certificate> {
    Arc::new(x509_identity().certificate().clone())
}
