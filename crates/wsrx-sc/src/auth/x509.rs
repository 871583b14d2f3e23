//! Mutual X.509 bootstrap of the token service (WS-SC 1.4 §3 with the WSS X.509 Token
//! Profile 1.1; WS-SP `MutualCertificate`-style protection of the RST).
//!
//! The Issue RST must carry, in its one `wsse:Security` header, a `wsse:BinarySecurityToken`
//! with the requester's certificate and an RSA-SHA256 signature by its key over Body, Timestamp
//! and every WS-A header ([`wsrx_security::Policy::check_x509`]); the certificate must validate
//! against the configured [`TrustStore`] at `now` (one level: a trusted CA signed it, RFC 5280)
//! for signing and, as the key will be sent back encrypted for it, for key encipherment where it
//! has a key usage. Anything else is `wst:FailedAuthentication`, and no token is issued. The
//! principal is the certificate subject (RFC 4514 string).
//!
//! Replay: the signed Timestamp bounds how long a captured RST stays usable, and a replayed
//! RST yields a key encrypted for the legitimate requester, useless to the replayer.

use std::time::SystemTime;

use wsrx_crypto::SecretKey;
use wsrx_security::x509::KeyPurpose;
use wsrx_security::{KeyResolver, Policy, ResolveError, TrustStore, Verifier, VerifyConfig};
use wsrx_soap::Envelope;

use super::{Authenticated, BootstrapAuthenticator, Principal, Transport};
use crate::error::TrustFault;

/// Settings of [`X509Authenticator`].
#[derive(Debug, Clone, Default)]
pub struct X509AuthenticatorConfig {
    /// Timestamp checks of the RST (default: required, 5 minutes of skew).
    pub verify: VerifyConfig,
}

/// Mutual X.509 bootstrap of the token service (WS-SC 1.4 §3 with the WSS X.509 Token
/// Profile 1.1; WS-SP `MutualCertificate`-style protection of the RST).
///
/// The Issue RST must carry, in its one `wsse:Security` header, a `wsse:BinarySecurityToken`
/// with the requester's certificate and an RSA-SHA256 signature by its key over Body, Timestamp
/// and every WS-A header ([`wsrx_security::Policy::check_x509`]); the certificate must validate
/// against the configured [`TrustStore`] at `now` (one level: a trusted CA signed it, RFC 5280)
/// for signing and, as the key will be sent back encrypted for it, for key encipherment where it
/// has a key usage. Anything else is `wst:FailedAuthentication`, and no token is issued. The
/// principal is the certificate subject (RFC 4514 string).
///
/// Replay: the signed Timestamp bounds how long a captured RST stays usable, and a replayed
/// RST yields a key encrypted for the legitimate requester, useless to the replayer.
#[derive(Debug, Clone)]
pub struct X509Authenticator {
    trust: TrustStore,
    config: X509AuthenticatorConfig,
}

/// Resolves nothing: the RST of an X.509 bootstrap carries no SCT.
struct NoContexts;

impl KeyResolver for NoContexts {
    fn sct_secret(&self, _: &str, _: Option<&str>) -> Result<SecretKey, ResolveError> {
        Err(ResolveError::Unknown)
    }
}

impl X509Authenticator {
    /// An authenticator trusting the CAs in `trust`.
    pub fn new(trust: TrustStore, config: X509AuthenticatorConfig) -> Self {
        Self { trust, config }
    }

    /// The trusted CAs.
    pub fn trust_store(&self) -> &TrustStore {
        &self.trust
    }
}

impl BootstrapAuthenticator for X509Authenticator {
    fn encrypts_answers(&self) -> bool {
        true
    }

    fn authenticate(
        &mut self,
        envelope: &Envelope<'_>,
        transport: Transport,
        now: SystemTime,
    ) -> Result<Principal, TrustFault> {
        self.authenticate_request(envelope, transport, now)
            .map(|a| a.principal)
    }

    fn authenticate_request(
        &mut self,
        envelope: &Envelope<'_>,
        _transport: Transport,
        now: SystemTime,
    ) -> Result<Authenticated, TrustFault> {
        let doc = envelope.root().document();
        let verified = Verifier::new(self.config.verify.clone())
            .with_x509_signatures()
            .verify(doc, &NoContexts, now)
            .map_err(|_| TrustFault::FailedAuthentication)?;
        let cert = Policy::default()
            .check_x509(&verified, &self.trust, now)
            .map_err(|_| TrustFault::FailedAuthentication)?;
        self.trust
            .validate(cert, now, KeyPurpose::KeyEncipherment)
            .map_err(|_| TrustFault::FailedAuthentication)?;
        Ok(Authenticated {
            principal: Principal(cert.subject().to_owned()),
            recipient: Some(cert.clone()),
        })
    }
}
