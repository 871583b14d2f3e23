//! Bootstrap authentication of an Issue RST: who may obtain a security context.
//!
//! - [`BootstrapAuthenticator`] is the seam: the [`crate::Issuer`] asks it for a
//!   [`Principal`] before issuing anything, and answers `wst:FailedAuthentication` with
//!   no token when it refuses.
//! - [`UsernameAuthenticator`] implements it with the WSS UsernameToken Profile 1.1
//!   (§3.1): `PasswordText` only over a protected transport ([`Transport::Protected`],
//!   which the IO layer reports, e.g. HTTPS), and `PasswordDigest` =
//!   `Base64(SHA-1(nonce ‖ created ‖ password))` with a freshness window on `wsu:Created`
//!   and refusal of a nonce seen within that window (§3.2 replay rule).
//! - [`X509Authenticator`] implements mutual X.509: the RST must carry an RSA-SHA256
//!   signature by a certificate that a configured [`wsrx_security::TrustStore`] validates,
//!   covering Body, Timestamp and the WS-A headers; the principal is the certificate subject,
//!   and the proof token goes back as an `xenc:EncryptedKey` for that certificate
//!   ([`Authenticated::recipient`]).
//!
//! Passwords are held as [`SecretKey`]s (zeroized, redacted) and compared in constant time.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use wsrx_crypto::{DigestAlgorithm, SecretKey, SecureRandom};
use wsrx_security::{format_datetime, parse_datetime};
use wsrx_soap::Envelope;
use wsrx_xml::{Element, XmlWriter};

use crate::dialect::{WSSE, WSU};
use crate::error::{LocalError, TrustFault};
use crate::util::{b64_decode, b64_encode, element_children, leaf};

mod x509;
pub use x509::{X509Authenticator, X509AuthenticatorConfig};

/// `wsse:Password/@Type` for a clear-text password.
pub const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
/// `wsse:Password/@Type` for a password digest.
pub const PASSWORD_DIGEST: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
const BASE64_BINARY: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

/// Whether the transport the request came over protects it (TLS), as the IO layer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Confidential and server-authenticated (HTTPS).
    Protected,
    /// Plain (HTTP, in-memory tests without TLS).
    Unprotected,
}

/// Who was authenticated; recorded with the issued context.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal(pub String);

/// The result of authenticating an Issue request: who, and for whom to encrypt the key.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who was authenticated.
    pub principal: Principal,
    /// A validated certificate of the requester: when set, the issuer returns its key
    /// material as `xenc:EncryptedKey`s for it instead of in the clear.
    pub recipient: Option<wsrx_security::Certificate>,
}

/// Decides whether an Issue request comes from someone allowed a context.
pub trait BootstrapAuthenticator {
    /// Authenticates the request and says how to protect the key material in the answer.
    /// The default calls [`BootstrapAuthenticator::authenticate`] and asks for no encryption.
    ///
    /// # Errors
    /// As [`BootstrapAuthenticator::authenticate`].
    fn authenticate_request(
        &mut self,
        envelope: &Envelope<'_>,
        transport: Transport,
        now: SystemTime,
    ) -> Result<Authenticated, TrustFault> {
        Ok(Authenticated {
            principal: self.authenticate(envelope, transport, now)?,
            recipient: None,
        })
    }

    /// True when every answer to a request this authenticator accepts carries its key
    /// material encrypted to the requester ([`Authenticated::recipient`] always set, as the
    /// mutual X.509 bootstrap does): then an Issue may go over plain HTTP. False by default.
    fn encrypts_answers(&self) -> bool {
        false
    }

    /// Authenticates the request in `envelope` received at `now` over `transport`.
    ///
    /// # Errors
    /// [`TrustFault::FailedAuthentication`] (or another fault) to refuse.
    fn authenticate(
        &mut self,
        envelope: &Envelope<'_>,
        transport: Transport,
        now: SystemTime,
    ) -> Result<Principal, TrustFault>;
}

/// Looks up users' passwords (the store of credentials is the application's).
pub trait UsernameVerifier {
    /// The password of `username` as UTF-8 bytes, or `None` for an unknown user.
    fn password(&self, username: &str) -> Option<SecretKey>;
}

/// Settings of [`UsernameAuthenticator`].
#[derive(Debug, Clone)]
pub struct UsernameConfig {
    /// Accept `PasswordText` when the transport is protected (default true); never
    /// accepted over an unprotected transport.
    pub allow_text: bool,
    /// How old a digest's `wsu:Created` may be (default 5 minutes); nonces are
    /// remembered this long (plus skew).
    pub freshness: Duration,
    /// Tolerated clock difference (default 5 minutes).
    pub clock_skew: Duration,
    /// Most remembered nonces; when full of live entries, digests are refused.
    pub max_nonces: usize,
}

impl Default for UsernameConfig {
    fn default() -> Self {
        Self {
            allow_text: true,
            freshness: Duration::from_secs(300),
            clock_skew: Duration::from_secs(300),
            max_nonces: 100_000,
        }
    }
}

/// UsernameToken bootstrap ([module docs](self)).
#[derive(Debug)]
pub struct UsernameAuthenticator<V> {
    verifier: V,
    config: UsernameConfig,
    seen: HashMap<Vec<u8>, SystemTime>,
}

impl<V: UsernameVerifier> UsernameAuthenticator<V> {
    /// An authenticator over `verifier`.
    pub fn new(verifier: V, config: UsernameConfig) -> Self {
        Self {
            verifier,
            config,
            seen: HashMap::new(),
        }
    }

    fn check_token(
        &mut self,
        ut: Element<'_>,
        transport: Transport,
        now: SystemTime,
    ) -> Option<Principal> {
        let (mut user, mut pass, mut nonce, mut created) = (None, None, None, None);
        for c in element_children(ut)? {
            let slot = match (c.namespace(), c.local_name()) {
                (Some(WSSE), "Username") => &mut user,
                (Some(WSSE), "Password") => &mut pass,
                (Some(WSSE), "Nonce") => &mut nonce,
                (Some(WSU), "Created") => &mut created,
                _ => continue,
            };
            if slot.replace(c).is_some() {
                return None;
            }
        }
        let username = leaf(user?)?;
        let pass = pass?;
        let stored = self.verifier.password(&username);
        let given = leaf(pass)?;
        let ok = match pass.attribute(None, "Type").unwrap_or(PASSWORD_TEXT) {
            PASSWORD_TEXT => {
                self.config.allow_text
                    && transport == Transport::Protected
                    && stored.is_some_and(|s| s == SecretKey::from_slice(given.as_bytes()))
            }
            PASSWORD_DIGEST => {
                let nonce = b64_decode(&leaf(nonce?)?).filter(|n| !n.is_empty())?;
                let created_text = leaf(created?)?;
                self.fresh_nonce(&nonce, &created_text, now)?;
                let mut d = DigestAlgorithm::Sha1.digester();
                d.update(&nonce);
                d.update(created_text.as_bytes());
                let stored = stored?;
                d.update(stored.expose_secret());
                d.finish().matches(&b64_decode(&given)?)
            }
            _ => false,
        };
        ok.then_some(Principal(username))
    }

    /// Checks `created` is fresh and `nonce` unseen, and remembers it (WSS UsernameToken
    /// Profile 1.1 §3.2). `None` refuses.
    fn fresh_nonce(&mut self, nonce: &[u8], created: &str, now: SystemTime) -> Option<()> {
        let created = parse_datetime(created)?;
        let window = self.config.freshness + self.config.clock_skew;
        if created > now + self.config.clock_skew || now.duration_since(created).ok()? > window {
            return None;
        }
        self.seen
            .retain(|_, at| now.duration_since(*at).is_ok_and(|d| d <= window));
        if self.seen.contains_key(nonce) || self.seen.len() >= self.config.max_nonces {
            return None;
        }
        self.seen.insert(nonce.to_vec(), now);
        Some(())
    }
}

impl<V: UsernameVerifier> BootstrapAuthenticator for UsernameAuthenticator<V> {
    fn authenticate(
        &mut self,
        envelope: &Envelope<'_>,
        transport: Transport,
        now: SystemTime,
    ) -> Result<Principal, TrustFault> {
        let mut tokens = envelope
            .headers_named(WSSE, "Security")
            .flat_map(|s| s.child_elements())
            .filter(|e| e.is(WSSE, "UsernameToken"));
        let token = tokens.next().ok_or(TrustFault::FailedAuthentication)?;
        if tokens.next().is_some() {
            return Err(TrustFault::FailedAuthentication);
        }
        self.check_token(token, transport, now)
            .ok_or(TrustFault::FailedAuthentication)
    }
}

/// A requester's UsernameToken credentials, written into the RST's security header.
#[derive(Debug, Clone)]
pub struct UsernameToken {
    /// `wsse:Username`.
    pub username: String,
    /// The password (zeroized, redacted in `Debug`).
    pub password: SecretKey,
    /// Send `PasswordDigest` (true) or `PasswordText` (false, only over HTTPS).
    pub digest: bool,
}

impl UsernameToken {
    /// The `wsse:Security` header block (mustUnderstand) holding a `wsu:Timestamp` (Created
    /// `now`, 5 minutes) and the token, with a fresh 16-byte nonce and `wsu:Created = now`
    /// for a digest.
    ///
    /// # Errors
    /// [`LocalError::Random`] without randomness; [`LocalError::Usage`] for a
    /// password that is not UTF-8 (PasswordText).
    pub fn security_header<R: SecureRandom + ?Sized>(
        &self,
        soap: wsrx_soap::SoapVersion,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<String, LocalError> {
        let mut w = XmlWriter::with_prefixes(wsrx_soap::ns::PREFERRED_PREFIXES);
        w.start(Some(WSSE), "Security")
            .attr(Some(soap.namespace()), "mustUnderstand", "1");
        // WS-SP 1.2 §6.2 IncludeTimestamp of the TransportBinding bootstrap (CXF requires it;
        // over TLS it is not signed, §7.3).
        crate::util::write_timestamp(&mut w, now, Duration::from_secs(300));
        w.start(Some(WSSE), "UsernameToken")
            .leaf(Some(WSSE), "Username", &self.username);
        if self.digest {
            let mut nonce = [0u8; 16];
            rng.fill_nonce(&mut nonce).map_err(|_| LocalError::Random)?;
            let created = format_datetime(now);
            let mut d = DigestAlgorithm::Sha1.digester();
            d.update(&nonce);
            d.update(created.as_bytes());
            d.update(self.password.expose_secret());
            w.start(Some(WSSE), "Password")
                .attr(None, "Type", PASSWORD_DIGEST)
                .text(&b64_encode(d.finish().as_bytes()))
                .end()
                .start(Some(WSSE), "Nonce")
                .attr(None, "EncodingType", BASE64_BINARY)
                .text(&b64_encode(&nonce))
                .end()
                .leaf(Some(WSU), "Created", &created);
        } else {
            let text = std::str::from_utf8(self.password.expose_secret())
                .map_err(|_| LocalError::Usage("password is not UTF-8"))?;
            w.start(Some(WSSE), "Password")
                .attr(None, "Type", PASSWORD_TEXT)
                .text(text)
                .end();
        }
        w.end().end();
        w.finish().map_err(LocalError::from)
    }
}
