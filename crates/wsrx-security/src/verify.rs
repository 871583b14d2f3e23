//! Inbound processing of the `wsse:Security` header (spec-facts §4; WSS 1.1 §5–§10):
//! children in document order (Timestamp, SCT, DKT, ReferenceList, Signature), each
//! signature checked against the key its STR traces to, and the result returned as a
//! [`Verified`] proof that only this crate can build.
//!
//! Encrypted parts must be decrypted first with [`crate::decrypt`] (sign-then-encrypt,
//! the WS-SecurityPolicy default and WSS4J's layout); signatures are then checked on
//! the plaintext document, so every [`NodeId`] in the proof belongs to the document the
//! application reads. A `ReferenceList` whose data is still encrypted is refused.

use std::time::{Duration, SystemTime};

use wsrx_crypto::MacAlgorithm;
use wsrx_soap::Envelope;
use wsrx_xml::{Document, Element, NodeId};

use crate::error::SecurityError;
use crate::ids::IdIndex;
use crate::keys::{KeyContext, KeyIdentity};
use crate::ns::{DS, WSC_200502, WSC_200512, WSSE, WSSE11, WSU, XENC};
use crate::signature::{ParsedSignature, SignatureMethod};
use crate::suite::{AlgorithmPolicy, InboundAlgorithms, MAX_SYMMETRIC_KEY_BITS, SuiteRole};
use crate::time::{self, Millis};
use crate::token::{DerivedKeyToken, KeyResolver, SecurityContextToken};
use crate::util::{element_children, leaf_text};
use crate::x509::{self, Certificate};

/// Most signatures one security header may carry.
pub const MAX_SIGNATURES: usize = 4;

/// Shortest derived signing key accepted, in bytes (128 bits, the smallest `[Sig KD]` of any
/// WS-SP suite; WSS4J 1.6 and gSOAP derive 20, WCF and Metro 24).
pub const MIN_DERIVED_SIGNING_KEY_LEN: usize = 16;

/// Settings of the inbound checks.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// Tolerated clock difference with the sender (default 5 minutes, as WCF).
    pub clock_skew: Duration,
    /// Maximum message age: a Timestamp whose Created is older than this plus the
    /// clock skew is refused whatever its Expires says (default 5 minutes, WSS4J's
    /// rule), so a capture cannot outlive the replay cache ([`crate::ReplayCache`]).
    pub max_age: Duration,
    /// Refuse messages without a `wsu:Timestamp` (default true).
    pub require_timestamp: bool,
    /// Accepted signature algorithms (default HMAC-SHA1 and HMAC-SHA256) when no suite is
    /// held strictly ([`crate::ProtectionPolicy::open`] with
    /// [`InboundAlgorithms::SuiteOnly`] checks the suite instead).
    pub mac_algorithms: Vec<MacAlgorithm>,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        Self {
            clock_skew: Duration::from_secs(300),
            max_age: Duration::from_secs(300),
            require_timestamp: true,
            mac_algorithms: vec![MacAlgorithm::HmacSha1, MacAlgorithm::HmacSha256],
        }
    }
}

/// A checked `wsu:Timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampInfo {
    /// The Timestamp element.
    pub node: NodeId,
    /// `wsu:Created`.
    pub created: SystemTime,
    /// `wsu:Expires`, if present.
    pub expires: Option<SystemTime>,
}

/// One verified signature: which key made it and exactly which elements it covers.
#[derive(Debug, Clone)]
pub struct SignatureRecord {
    node: NodeId,
    key: KeyIdentity,
    covered: Vec<NodeId>,
    value: Vec<u8>,
    algorithm: MacAlgorithm,
}

impl SignatureRecord {
    /// The `ds:Signature` element.
    pub fn node(&self) -> NodeId {
        self.node
    }
    /// The key's identity (SCT identifier, instance, DKT).
    pub fn key(&self) -> &KeyIdentity {
        &self.key
    }
    /// The elements whose digests matched, in Reference order.
    pub fn covered(&self) -> &[NodeId] {
        &self.covered
    }
    /// True when `node` is one of the covered elements.
    pub fn covers(&self, node: NodeId) -> bool {
        self.covered.contains(&node)
    }
    /// The decoded `SignatureValue` (for replay detection and SignatureConfirmation).
    pub fn value(&self) -> &[u8] {
        &self.value
    }
    /// The signature algorithm.
    pub fn algorithm(&self) -> MacAlgorithm {
        self.algorithm
    }
}

/// One verified RSA signature made with the key of an X.509 certificate carried in a
/// `wsse:BinarySecurityToken` (WSS X.509 Token Profile 1.1 §3.1–§3.2).
///
/// Only the signature is checked here: whether the certificate is *trusted* is the
/// question [`crate::Policy::check_x509`] answers against a [`crate::x509::TrustStore`].
/// Kept apart from [`SignatureRecord`] so that an X.509 signature can never stand for
/// proof of possession of an SCT key.
#[derive(Debug, Clone)]
pub struct X509SignatureRecord {
    node: NodeId,
    token: NodeId,
    certificate: Certificate,
    covered: Vec<NodeId>,
    value: Vec<u8>,
    algorithm: wsrx_crypto::RsaSignatureAlgorithm,
}

impl X509SignatureRecord {
    /// The `ds:Signature` element.
    pub fn node(&self) -> NodeId {
        self.node
    }
    /// The `wsse:BinarySecurityToken` that carried the certificate, or the KeyInfo's
    /// `wsse:SecurityTokenReference` when it named a configured certificate by issuer and
    /// serial number.
    pub fn token(&self) -> NodeId {
        self.token
    }
    /// The certificate whose key made the signature (not yet validated).
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }
    /// The elements whose digests matched, in Reference order.
    pub fn covered(&self) -> &[NodeId] {
        &self.covered
    }
    /// True when `node` is one of the covered elements.
    pub fn covers(&self, node: NodeId) -> bool {
        self.covered.contains(&node)
    }
    /// The decoded `SignatureValue`.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
    /// The signature algorithm.
    pub fn algorithm(&self) -> wsrx_crypto::RsaSignatureAlgorithm {
        self.algorithm
    }
}

/// Proof that a message's security header was processed and its signatures verified.
///
/// Only [`Verifier::verify`] builds it; the fields are private. It says *what* was
/// signed and by *which* token; whether that is enough is for a [`crate::Policy`].
#[derive(Debug)]
pub struct Verified<'d> {
    envelope: Envelope<'d>,
    security: Element<'d>,
    timestamp: Option<TimestampInfo>,
    signatures: Vec<SignatureRecord>,
    x509_signatures: Vec<X509SignatureRecord>,
}

impl<'d> Verified<'d> {
    /// The verified X.509 (RSA) signatures in header order; empty unless the verifier was
    /// built [`Verifier::with_x509_signatures`]. Never part of [`Verified::signatures`].
    pub fn x509_signatures(&self) -> &[X509SignatureRecord] {
        &self.x509_signatures
    }
    /// The envelope.
    pub fn envelope(&self) -> &Envelope<'d> {
        &self.envelope
    }
    /// The document.
    pub fn document(&self) -> &'d Document {
        self.envelope.root().document()
    }
    /// The `wsse:Security` header that was processed.
    pub fn security_header(&self) -> Element<'d> {
        self.security
    }
    /// The Timestamp, if there was one.
    pub fn timestamp(&self) -> Option<&TimestampInfo> {
        self.timestamp.as_ref()
    }
    /// The verified signatures in header order.
    pub fn signatures(&self) -> &[SignatureRecord] {
        &self.signatures
    }
}

/// Processes inbound security headers. Stateless apart from its configuration; the
/// replay cache is a separate [`crate::ReplayCache`] owned by the caller.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    config: VerifyConfig,
    x509: bool,
    x509_certificates: Vec<Certificate>,
}

/// The one `wsse:Security` header addressed to us (no role/actor, or `next`/ultimate
/// receiver); several are refused.
pub(crate) fn our_security_header<'d>(env: &Envelope<'d>) -> Result<Element<'d>, SecurityError> {
    let version = env.version();
    let mut found = None;
    for block in env.header_blocks() {
        let block = block.map_err(|_| SecurityError::InvalidSecurity("bad header block"))?;
        if block.element.is(WSSE, "Security") && version.targets_us(block.role, &[]) {
            if found.is_some() {
                return Err(SecurityError::InvalidSecurity("several Security headers"));
            }
            found = Some(block.element);
        }
    }
    found.ok_or(SecurityError::InvalidSecurity("no Security header"))
}

impl Verifier {
    /// A verifier with these settings.
    pub fn new(config: VerifyConfig) -> Self {
        Self {
            config,
            x509: false,
            x509_certificates: Vec::new(),
        }
    }

    /// Also accepts `wsse:BinarySecurityToken`s with X.509 v3 certificates and RSA-SHA256
    /// signatures whose KeyInfo references one (WSS X.509 Token Profile 1.1 §3.2). They are
    /// recorded in [`Verified::x509_signatures`], never in [`Verified::signatures`]. Without
    /// this, such a header is refused as unsupported (the default: SCT traffic only).
    #[must_use]
    pub fn with_x509_signatures(mut self) -> Self {
        self.x509 = true;
        self
    }

    /// As [`Verifier::with_x509_signatures`], and also accepts a signature whose KeyInfo
    /// names one of `certificates` by issuer and serial number
    /// ([`crate::x509::X509IssuerSerial`], X.509 Token Profile 1.1 §3.2.3) instead of
    /// carrying it in a BinarySecurityToken. Such a certificate still has to pass
    /// [`crate::Policy::check_x509`] against a [`crate::TrustStore`].
    #[must_use]
    pub fn with_x509_certificates(mut self, certificates: Vec<Certificate>) -> Self {
        self.x509 = true;
        self.x509_certificates = certificates;
        self
    }

    /// The same verifier with other settings (skew, maximum age...).
    #[must_use]
    pub fn with_config(mut self, config: VerifyConfig) -> Self {
        self.config = config;
        self
    }

    /// The settings.
    pub fn config(&self) -> &VerifyConfig {
        &self.config
    }

    /// Processes the security header of `doc` at time `now` (never read from a clock).
    ///
    /// # Errors
    /// Any [`SecurityError`]; map it to a fault with [`SecurityError::to_fault`].
    pub fn verify<'d>(
        &self,
        doc: &'d Document,
        resolver: &dyn KeyResolver,
        now: SystemTime,
    ) -> Result<Verified<'d>, SecurityError> {
        self.verify_in(doc, resolver, now, None, false)
    }

    /// [`Verifier::verify`], holding every signature to `suite` when it is
    /// [`InboundAlgorithms::SuiteOnly`]: SignatureMethod, c14n, every DigestMethod, and the
    /// signing key's length (`[Min SKL]` for the SCT secret itself, at most `[Max SKL]`),
    /// each checked before the key is used. A derived signing key is never shorter than
    /// [`MIN_DERIVED_SIGNING_KEY_LEN`], suite or not.
    ///
    /// With `data_pending` (encrypt-before-signing), EncryptedData outside the security header
    /// may still be encrypted: the signatures cover them as they are.
    pub(crate) fn verify_in<'d>(
        &self,
        doc: &'d Document,
        resolver: &dyn KeyResolver,
        now: SystemTime,
        suite: Option<&AlgorithmPolicy>,
        data_pending: bool,
    ) -> Result<Verified<'d>, SecurityError> {
        let strict = suite.filter(|p| p.inbound == InboundAlgorithms::SuiteOnly);
        let envelope = Envelope::new(doc)
            .map_err(|_| SecurityError::InvalidSecurity("not a SOAP envelope"))?;
        let security = our_security_header(&envelope)?;
        let ids = IdIndex::build(doc)?;
        let keys = KeyContext {
            ids: &ids,
            security,
            resolver,
        };
        let mut timestamp = None;
        let mut signatures = Vec::new();
        let mut x509_signatures = Vec::new();
        for child in element_children(security)? {
            let ns = child.namespace().unwrap_or("");
            match (ns, child.local_name()) {
                (WSU, "Timestamp") => {
                    if timestamp.is_some() {
                        return Err(SecurityError::InvalidSecurity("several Timestamps"));
                    }
                    timestamp = Some(self.check_timestamp(child, now)?);
                }
                (WSC_200512 | WSC_200502, "SecurityContextToken") => {
                    SecurityContextToken::parse(child)?;
                }
                (WSC_200512 | WSC_200502, "DerivedKeyToken") => {
                    DerivedKeyToken::parse(child)?;
                }
                (XENC, "ReferenceList") => check_decrypted(child, &ids, security, data_pending)?,
                // The X.509 bootstrap's ephemeral key (WSS X.509 Token Profile 1.1, WS-SP 1.2
                // §7.4 with an X509Token protection token): only its shape here; its key comes
                // from the resolver when a DKT or KeyInfo references it.
                (XENC, "EncryptedKey") => {
                    x509::EncryptedKey::parse_allowing(
                        child,
                        &[wsrx_crypto::KeyTransportAlgorithm::Rsa15],
                    )?;
                }
                (WSSE, "BinarySecurityToken") if self.x509 => {
                    x509::parse_bst(child)?;
                }
                (DS, "Signature") => {
                    if signatures.len() + x509_signatures.len() >= MAX_SIGNATURES {
                        return Err(SecurityError::InvalidSecurity("too many signatures"));
                    }
                    let parsed = ParsedSignature::parse(child, &ids)?;
                    if let Some(p) = strict {
                        parsed.check_suite(p)?;
                    }
                    let mac = match parsed.method() {
                        SignatureMethod::Mac(mac) => mac,
                        SignatureMethod::Rsa(algorithm) if self.x509 => {
                            let (token, certificate) = x509::key_info_certificate(
                                parsed.key_info,
                                child,
                                security,
                                &ids,
                                &self.x509_certificates,
                            )?;
                            let covered = parsed.verify_rsa(certificate.public_key())?;
                            x509_signatures.push(X509SignatureRecord {
                                node: child.id(),
                                token,
                                certificate,
                                covered,
                                value: parsed.value,
                                algorithm,
                            });
                            continue;
                        }
                        SignatureMethod::Rsa(_) => return Err(SecurityError::UnsupportedAlgorithm),
                    };
                    if strict.is_none() && !self.config.mac_algorithms.contains(&mac) {
                        return Err(SecurityError::UnsupportedAlgorithm);
                    }
                    let (key, identity) = keys.key_info(parsed.key_info, child)?;
                    // A DKT's Length is not signed: a forger could shorten it and search
                    // the few keys left, so a derived signing key has a floor in any case.
                    if identity.is_derived() && key.len() < MIN_DERIVED_SIGNING_KEY_LEN {
                        return Err(SecurityError::InvalidToken("derived signing key too short"));
                    }
                    if let Some(p) = strict {
                        let bits = u32::try_from(key.len().saturating_mul(8)).unwrap_or(u32::MAX);
                        // An underived key (the SCT secret) must reach [Min SKL]; a derived one
                        // may differ from [Sig KD], as WSS4J's AlgorithmSuiteValidator only logs
                        // it (WSS4J 1.6 and gSOAP derive 160-bit HMAC-SHA1 keys under Basic256).
                        let min = if identity.is_derived() {
                            0
                        } else {
                            p.suite.min_symmetric_key_bits()
                        };
                        if bits < min || bits > MAX_SYMMETRIC_KEY_BITS {
                            return Err(SecurityError::AlgorithmOutsideSuite(
                                SuiteRole::SignatureKeyLength,
                            ));
                        }
                    }
                    let covered = parsed.verify(&key)?;
                    signatures.push(SignatureRecord {
                        node: child.id(),
                        key: identity,
                        covered,
                        algorithm: mac,
                        value: parsed.value,
                    });
                }
                (WSSE11, "SignatureConfirmation") => {}
                _ => {
                    return Err(SecurityError::InvalidSecurity(
                        "unsupported security element",
                    ));
                }
            }
        }
        if timestamp.is_none() && self.config.require_timestamp {
            return Err(SecurityError::InvalidSecurity("no Timestamp"));
        }
        Ok(Verified {
            envelope,
            security,
            timestamp,
            signatures,
            x509_signatures,
        })
    }

    /// WSS 1.1 §10: Created (required), Expires (optional), each at most once, in order.
    fn check_timestamp(
        &self,
        ts: Element<'_>,
        now: SystemTime,
    ) -> Result<TimestampInfo, SecurityError> {
        let mut children = element_children(ts)?;
        let created_el = children
            .next()
            .filter(|c| c.is(WSU, "Created"))
            .ok_or(SecurityError::InvalidSecurity("Timestamp without Created"))?;
        let expires_el = children.next();
        if expires_el.is_some_and(|e| !e.is(WSU, "Expires")) || children.next().is_some() {
            return Err(SecurityError::InvalidSecurity("unexpected Timestamp child"));
        }
        let parse = |e: Element<'_>| -> Result<Millis, SecurityError> {
            time::parse(&leaf_text(e)?).ok_or(SecurityError::InvalidSecurity("bad time value"))
        };
        let created = parse(created_el)?;
        let expires = expires_el.map(parse).transpose()?;
        let now_ms = time::to_millis(now);
        let skew = self.config.clock_skew.as_millis() as Millis;
        if created > now_ms + skew {
            return Err(SecurityError::MessageExpired);
        }
        if let Some(exp) = expires {
            if exp < created {
                return Err(SecurityError::InvalidSecurity("Expires before Created"));
            }
            if now_ms > exp + skew {
                return Err(SecurityError::MessageExpired);
            }
        }
        if now_ms > created + self.config.max_age.as_millis() as Millis + skew {
            return Err(SecurityError::MessageExpired);
        }
        let bad_time = || SecurityError::InvalidSecurity("time out of range");
        Ok(TimestampInfo {
            node: ts.id(),
            created: time::from_millis(created).ok_or_else(bad_time)?,
            expires: expires
                .map(|e| time::from_millis(e).ok_or_else(bad_time))
                .transpose()?,
        })
    }
}

/// What a [`Verified`] holds, without the borrow of its document: node ids, to be carried
/// into the document a later decryption makes ([`Records::remap`]) and turned back into a
/// [`Verified`] there.
#[derive(Debug, Clone)]
pub(crate) struct Records {
    security: NodeId,
    timestamp: Option<TimestampInfo>,
    signatures: Vec<SignatureRecord>,
    x509_signatures: Vec<X509SignatureRecord>,
}

impl<'d> Verified<'d> {
    /// The node ids of this proof.
    pub(crate) fn records(&self) -> Records {
        Records {
            security: self.security.id(),
            timestamp: self.timestamp,
            signatures: self.signatures.clone(),
            x509_signatures: self.x509_signatures.clone(),
        }
    }

    /// The proof `records` describe in `doc` (the document they were made or remapped for).
    pub(crate) fn from_records(doc: &'d Document, records: Records) -> Result<Self, SecurityError> {
        let envelope = Envelope::new(doc)
            .map_err(|_| SecurityError::InvalidSecurity("not a SOAP envelope"))?;
        let security = doc
            .element(records.security)
            .ok_or(SecurityError::InvalidSecurity("no Security header"))?;
        Ok(Self {
            envelope,
            security,
            timestamp: records.timestamp,
            signatures: records.signatures,
            x509_signatures: records.x509_signatures,
        })
    }
}

impl Records {
    /// The same records with every node passed through `map` (the node a decryption made of
    /// it). A covered element that no longer exists (it was inside replaced ciphertext) is
    /// refused as out of place.
    pub(crate) fn remap(
        self,
        map: impl Fn(NodeId) -> Option<NodeId>,
    ) -> Result<Self, SecurityError> {
        let lost = || SecurityError::PolicyViolation("signed element out of place");
        let gone = || SecurityError::InvalidSecurity("security element lost in decryption");
        let covered = |nodes: Vec<NodeId>| -> Result<Vec<NodeId>, SecurityError> {
            nodes.into_iter().map(|n| map(n).ok_or_else(lost)).collect()
        };
        let mut signatures = Vec::with_capacity(self.signatures.len());
        for mut s in self.signatures {
            s.node = map(s.node).ok_or_else(gone)?;
            s.key.derived_by = match s.key.derived_by {
                Some(d) => Some(map(d).ok_or_else(gone)?),
                None => None,
            };
            s.covered = covered(s.covered)?;
            signatures.push(s);
        }
        let mut x509_signatures = Vec::with_capacity(self.x509_signatures.len());
        for mut s in self.x509_signatures {
            s.node = map(s.node).ok_or_else(gone)?;
            s.token = map(s.token).ok_or_else(gone)?;
            s.covered = covered(s.covered)?;
            x509_signatures.push(s);
        }
        let timestamp = match self.timestamp {
            Some(mut t) => {
                t.node = map(t.node).ok_or_else(gone)?;
                Some(t)
            }
            None => None,
        };
        Ok(Self {
            security: map(self.security).ok_or_else(gone)?,
            timestamp,
            signatures,
            x509_signatures,
        })
    }
}

/// A `xenc:ReferenceList` after decryption: none of its targets may still be encrypted
/// (with `data_pending`, only those in the security header: encrypted signatures).
fn check_decrypted(
    list: Element<'_>,
    ids: &IdIndex<'_>,
    security: Element<'_>,
    data_pending: bool,
) -> Result<(), SecurityError> {
    for r in element_children(list)? {
        if !r.is(XENC, "DataReference") {
            return Err(SecurityError::InvalidSecurity(
                "unsupported ReferenceList entry",
            ));
        }
        let uri = r.attribute(None, "URI").unwrap_or("");
        let still_encrypted = ids.fragment(uri).is_some_and(|e| {
            (e.is(XENC, "EncryptedData") || e.is(WSSE11, "EncryptedHeader"))
                && (!data_pending || e.parent() == Some(security))
        });
        if still_encrypted {
            return Err(SecurityError::InvalidSecurity(
                "encrypted data not decrypted",
            ));
        }
    }
    Ok(())
}
