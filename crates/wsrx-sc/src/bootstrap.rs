//! The X.509 symmetric bootstrap of the token service, both sides, sans-IO: the canonical
//! WCF/CXF/Metro shape of a `SecureConversationToken`'s `sp:BootstrapPolicy` (WS-SP 1.2 §7.4
//! `sp:SymmetricBinding` whose `sp:ProtectionToken` is the *server's* `sp:X509Token` with
//! `IncludeToken …/Never`, usually `sp:RequireDerivedKeys`; WS-SC 1.3 §3; WSS X.509 Token
//! Profile 1.1; WSS 1.1 §7.3).
//!
//! The request ([`protect_request`], requester side):
//! 1. a fresh ephemeral key `K` (`[Enc KD]` of the suite long: 256 bits under Basic256*) is
//!    sent as an `xenc:EncryptedKey` to the server's certificate (RSA-OAEP, or RSA 1.5 under an
//!    Rsa15 suite: the suite's `[Asym KW]`), naming it by thumbprint, issuer-serial or subject
//!    key identifier as the policy says;
//! 2. keys derived from `K` (DKTs referencing the EncryptedKey by `#Id`) sign the Timestamp,
//!    the Body and the WS-Addressing headers with the suite's `[Sym Sig]` (HMAC-SHA1) and
//!    encrypt the Body (the RST and its entropy) and, under `sp:EncryptSignature`, the
//!    signature.
//!
//! The token service ([`open_request`]) decrypts `K` with its private key, decrypts and
//! verifies the request under the [`ProtectionPolicy`] (every WS-A header, Body and Timestamp
//! signed by `K`, the Body encrypted, the Timestamp fresh), and answers ([`protect_response`])
//! with keys derived from the same `K`, now named by its `EncryptedKeySHA1` (WSS 1.1 §7.3), the
//! RSTR (and so the issuer's entropy or proof token) inside the encrypted Body. The requester
//! checks the answer with [`open_response`]. So no key material ever crosses in clear
//! (WS-Trust 1.3 §4.4: entropy and proof tokens "SHOULD be encrypted" unless the channel is
//! protected; here they always are).
//!
//! The requester is not authenticated by this binding (only the server is: WCF's
//! "AnonymousForCertificate"); the principal of such a context is [`ANONYMOUS_PRINCIPAL`].
//!
//! Not here: supporting tokens inside the bootstrap (a UsernameToken or client certificate
//! next to the server's certificate), `sp:IncludeToken …/Always` for the server's token (the
//! requester would need to send it back), keys used without derivation when the policy asks
//! for derived keys.

use std::time::SystemTime;

use wsrx_crypto::{KeyTransportAlgorithm, SecretKey, SecureRandom};
use wsrx_security::{
    Certificate, CertificateReference, DerivedKeys, EncryptedKey, KeyResolver, ProtectionPolicy,
    ReplayCache, ResolveError, ScVersion, SecurityError, Signer, TokenInclusion, Verifier,
    VerifyConfig, X509Credential, encrypted_key_identity,
};
use wsrx_xml::Document;

use crate::error::{LocalError, TrustFault};

/// The principal of a context issued through the X.509 symmetric bootstrap.
pub const ANONYMOUS_PRINCIPAL: &str = "anonymous (X.509 symmetric bootstrap)";

/// How the X.509 symmetric bootstrap protects the RST and RSTR.
#[derive(Debug, Clone)]
pub struct X509Bootstrap {
    /// What each message must look like: the suite (`[Sym Sig]`, `[Dig]`, `[Enc]`, `[Asym KW]`,
    /// derivation lengths), signed parts (Timestamp, Body, WS-A headers), encrypted parts
    /// (the Body), `EncryptSignature`, derived keys. The default: Basic256 as WS-SP 1.2 §6.1
    /// reads it, the Body encrypted, the Timestamp required, derived keys required.
    pub policy: ProtectionPolicy,
    /// How the EncryptedKey names the server's certificate (default thumbprint).
    pub reference: CertificateReference,
    /// Inbound checks: Timestamp required, clock skew, maximum age.
    pub verify: VerifyConfig,
}

impl Default for X509Bootstrap {
    fn default() -> Self {
        let mut policy = ProtectionPolicy {
            algorithms: wsrx_security::AlgorithmPolicy::new(
                wsrx_security::AlgorithmSuite::Basic256,
            ),
            include_timestamp: true,
            ..ProtectionPolicy::default()
        };
        policy.encrypted.body = true;
        policy.token.derived_keys = DerivedKeys::Required;
        policy.token.inclusion = TokenInclusion::Either;
        Self {
            policy,
            reference: CertificateReference::Thumbprint,
            verify: VerifyConfig::default(),
        }
    }
}

impl X509Bootstrap {
    /// A bootstrap with `suite` (its `[Asym KW]` chooses RSA-OAEP or RSA 1.5) and otherwise
    /// the defaults.
    pub fn with_suite(suite: wsrx_security::AlgorithmSuite) -> Self {
        let mut b = Self::default();
        b.policy.algorithms = wsrx_security::AlgorithmPolicy::new(suite);
        b
    }

    fn key_transport(&self) -> KeyTransportAlgorithm {
        self.policy.algorithms.suite.asymmetric_key_wrap()
    }

    /// The length of the ephemeral key in bytes: the suite's data key length (`[Enc KD]`).
    fn key_len(&self) -> usize {
        usize::try_from(self.policy.algorithms.encryption_key_len()).unwrap_or(32)
    }
}

/// The ephemeral key of one exchange: what the requester keeps until the answer, and what
/// the token service decrypted. A [`KeyResolver`] that knows only this key, by its
/// `EncryptedKeySHA1`. `Debug` never shows the key.
#[derive(Clone)]
pub struct EphemeralKey {
    secret: SecretKey,
    sha1: [u8; 20],
    encrypted: EncryptedKey,
    /// The token service's answer policy, when the request showed what the requester's
    /// policy holds it to: its digest (the Sha256 variant of the suite or not) and whether
    /// it encrypted its signature (`sp:EncryptSignature` applies to both directions).
    answer: Option<ProtectionPolicy>,
}

impl std::fmt::Debug for EphemeralKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EphemeralKey")
            .field(
                "encrypted_key_sha1",
                &wsrx_crypto::base64::encode(&self.sha1),
            )
            .finish_non_exhaustive()
    }
}

impl EphemeralKey {
    /// The `EncryptedKeySHA1` naming this key (WSS 1.1 §7.3).
    pub fn sha1(&self) -> [u8; 20] {
        self.sha1
    }

    /// The identity [`wsrx_security::KeyIdentity::sct_identifier`] takes for keys derived
    /// from this one.
    pub fn identity(&self) -> String {
        encrypted_key_identity(&self.sha1)
    }
}

impl KeyResolver for EphemeralKey {
    fn sct_secret(&self, _: &str, _: Option<&str>) -> Result<SecretKey, ResolveError> {
        Err(ResolveError::Unknown)
    }

    fn encrypted_key(&self, sha1: &[u8; 20]) -> Result<SecretKey, ResolveError> {
        if *sha1 == self.sha1 {
            Ok(self.secret.clone())
        } else {
            Err(ResolveError::Unknown)
        }
    }
}

/// Requester: `unsigned` (an RST envelope with its WS-A headers and no security header)
/// protected for `server` as `config` says, and the ephemeral key to keep for the answer.
///
/// # Errors
/// [`LocalError::Random`] without randomness; [`LocalError::Usage`] when the envelope cannot
/// be protected (a certificate whose key cannot transport the key, a policy wsrx cannot honour).
pub fn protect_request(
    unsigned: &str,
    server: &Certificate,
    config: &X509Bootstrap,
    version: ScVersion,
    now: SystemTime,
    rng: &mut dyn SecureRandom,
) -> Result<(String, EphemeralKey), LocalError> {
    let secret = rng.generate_key(config.key_len())?;
    let encrypted = EncryptedKey::encrypt_with(
        &secret,
        server,
        config.key_transport(),
        config.reference,
        Some("wsrx-ek".to_owned()),
        rng,
    )
    .map_err(|e| match e {
        SecurityError::Local => LocalError::Random,
        _ => LocalError::Usage("the server's certificate cannot carry the key"),
    })?;
    let doc = Document::parse(unsigned.as_bytes()).map_err(|_| LocalError::Writer)?;
    let envelope = Signer::with_encrypted_key(&encrypted, true, version, &secret, &config.policy)
        .secure(&doc, now, rng)
        .map_err(|e| match e {
            SecurityError::Local => LocalError::Random,
            _ => LocalError::Usage("the request cannot be protected as the policy says"),
        })?;
    let sha1 = encrypted.sha1();
    Ok((
        envelope,
        EphemeralKey {
            secret,
            sha1,
            encrypted,
            answer: None,
        },
    ))
}

/// Token service: the plaintext request (Body decrypted) of a message protected under the
/// X.509 bootstrap for `credential`, and its ephemeral key for the answer. The request must
/// carry exactly one `xenc:EncryptedKey` for our certificate in its security header, and satisfy
/// `config.policy` with keys derived from it; its Timestamp must be fresh at `now`.
///
/// # Errors
/// [`TrustFault::FailedAuthentication`] for a key encrypted for another certificate, a key that
/// does not decrypt, a signature that does not verify, a part not protected as the policy says,
/// or a stale Timestamp (one answer for all, no oracle); [`TrustFault::InvalidRequest`] when the
/// message carries no EncryptedKey at all; [`TrustFault::RequestFailed`] without randomness.
pub fn open_request(
    doc: &Document,
    credential: &X509Credential,
    config: &X509Bootstrap,
    replay: &mut ReplayCache,
    now: SystemTime,
    rng: &mut dyn SecureRandom,
) -> Result<(Document, EphemeralKey), TrustFault> {
    let encrypted = request_encrypted_key(doc, config)?;
    let secret = encrypted
        .decrypt_expecting(credential, config.key_len(), rng)
        .map_err(|e| match e {
            SecurityError::Local => TrustFault::RequestFailed("randomness unavailable"),
            _ => TrustFault::FailedAuthentication,
        })?;
    let mut key = EphemeralKey {
        secret,
        sha1: encrypted.sha1(),
        encrypted,
        answer: None,
    };
    let (plain, mirrored) =
        open(doc, &key, config, now, Some(replay)).map_err(|_| TrustFault::FailedAuthentication)?;
    key.answer = Some(mirrored);
    Ok((plain, key))
}

/// The one `xenc:EncryptedKey` of the request's security header.
fn request_encrypted_key(
    doc: &Document,
    config: &X509Bootstrap,
) -> Result<EncryptedKey, TrustFault> {
    let env = wsrx_soap::Envelope::new(doc)
        .map_err(|_| TrustFault::InvalidRequest("not a SOAP envelope"))?;
    let mut keys = env
        .headers_named(crate::dialect::WSSE, "Security")
        .flat_map(|s| s.child_elements())
        .filter(|e| e.is(wsrx_security::ns::XENC, "EncryptedKey"));
    let first = keys
        .next()
        .ok_or(TrustFault::InvalidRequest("no EncryptedKey"))?;
    if keys.next().is_some() {
        return Err(TrustFault::FailedAuthentication);
    }
    let allowed: &[KeyTransportAlgorithm] = match config.key_transport() {
        KeyTransportAlgorithm::Rsa15 => &[KeyTransportAlgorithm::Rsa15],
        _ => &[],
    };
    let ek = EncryptedKey::parse_allowing(first, allowed)
        .map_err(|_| TrustFault::FailedAuthentication)?;
    if ek.algorithm != config.key_transport() {
        return Err(TrustFault::FailedAuthentication);
    }
    Ok(ek)
}

/// Either side: `doc` decrypted and verified under `config.policy` with keys derived from
/// `key` (and only from it), as a new plaintext document.
fn open(
    doc: &Document,
    key: &EphemeralKey,
    config: &X509Bootstrap,
    now: SystemTime,
    replay: Option<&mut ReplayCache>,
) -> Result<(Document, ProtectionPolicy), SecurityError> {
    let verifier = Verifier::new(config.verify.clone());
    let identity = key.identity();
    let opened = config
        .policy
        .open(doc, key, now, &verifier, Some(&identity))?;
    let signer = opened
        .signer()
        .ok_or(SecurityError::PolicyViolation("not signed"))?;
    if signer.encrypted_key != Some(key.sha1) {
        return Err(SecurityError::PolicyViolation(
            "not signed by the bootstrap key",
        ));
    }
    // A captured request replayed within its Timestamp's life is refused (its answer would be
    // useless to the replayer, but each copy would cost the service a context).
    if let Some(cache) = replay {
        cache.check(&opened.verified()?, now)?;
    }
    let mut mirrored = config.policy.clone();
    mirrored.encrypt_signature |= opened
        .decryption()
        .is_some_and(|d| !d.decrypted_signatures().is_empty());
    let plain = Document::parse(opened.document().source().as_bytes())
        .map_err(|_| SecurityError::InvalidSecurity("plaintext not well-formed"))?;
    if let Some(sha256) = signed_with_sha256(&plain) {
        let suite = mirrored.algorithms.suite;
        if let Some(same) = wsrx_security::AlgorithmSuite::ALL.into_iter().find(|s| {
            s.encryption() == suite.encryption()
                && s.is_rsa15() == suite.is_rsa15()
                && s.is_sha256() == sha256
        }) {
            mirrored.algorithms.suite = same;
        }
    }
    Ok((plain, mirrored))
}

/// Whether the message's signature digests with SHA-256 (`None`: no signature found).
fn signed_with_sha256(doc: &Document) -> Option<bool> {
    let method = doc
        .elements()
        .find(|e| {
            e.is(wsrx_security::ns::DS, "DigestMethod")
                && e.ancestors()
                    .any(|a| a.is(wsrx_security::ns::DS, "SignedInfo"))
        })?
        .attribute(None, "Algorithm")?;
    Some(method == wsrx_crypto::DigestAlgorithm::Sha256.uri())
}

/// Token service: `unsigned` (the RSTR or fault envelope) protected with keys derived from the
/// request's ephemeral key, named by its `EncryptedKeySHA1`.
///
/// # Errors
/// [`LocalError::Random`]; [`LocalError::Usage`] when the policy cannot be honoured.
pub fn protect_response(
    unsigned: &str,
    key: &EphemeralKey,
    config: &X509Bootstrap,
    version: ScVersion,
    now: SystemTime,
    rng: &mut dyn SecureRandom,
) -> Result<String, LocalError> {
    let doc = Document::parse(unsigned.as_bytes()).map_err(|_| LocalError::Writer)?;
    let policy = key.answer.as_ref().unwrap_or(&config.policy);
    Signer::with_encrypted_key(&key.encrypted, false, version, &key.secret, policy)
        .secure(&doc, now, rng)
        .map_err(|e| match e {
            SecurityError::Local => LocalError::Random,
            _ => LocalError::Usage("the answer cannot be protected as the policy says"),
        })
}

/// Requester: the plaintext of the token service's answer, which must be protected with keys
/// derived from our ephemeral `key` as `config.policy` says, its Timestamp fresh.
///
/// # Errors
/// The [`SecurityError`] that refused it.
pub fn open_response(
    doc: &Document,
    key: &EphemeralKey,
    config: &X509Bootstrap,
    now: SystemTime,
) -> Result<Document, SecurityError> {
    // Metro 4.0.4's token service does not encrypt its answer's signature although the
    // policy's EncryptSignature applies to both directions; the signature still has to verify
    // with our key and cover what the policy signs, so the answer is accepted either way.
    let mut lenient = config.clone();
    lenient.policy.encrypt_signature = false;
    open(doc, key, &lenient, now, None).map(|(plain, _)| plain)
}
