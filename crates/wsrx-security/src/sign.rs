//! Outbound: securing an unsigned envelope as a [`ProtectionPolicy`] says (WS-SP 1.2 §7.4, the
//! symmetric binding with an SCT protection token), in one pass over the parsed envelope with
//! no DOM copy:
//! 1. every part to sign is canonicalized (exc-c14n) straight into its digest; under
//!    encrypt-before-signing the encrypted forms, which we write in canonical form, are
//!    digested as written;
//! 2. the `wsu:Timestamp` and `ds:SignedInfo` are *written* in canonical form (with
//!    their namespace declarations on themselves, so their canonical form in the final
//!    document is the written bytes) and the HMAC runs over those bytes;
//! 3. the `wsse:Security` header is assembled in the layout's order and spliced into the
//!    envelope text at the byte offset of the Header's start tag, and the encrypted parts
//!    replace their plaintext.
//!
//! A part without a `wsu:Id` gets one, which costs one re-parse of the envelope; write
//! ids up front (`OutboundAddressing::write` with `id_for`) to stay on the fast path.
//! Retransmissions call [`Signer::secure`] again on the stored *unsigned* envelope:
//! a fresh Timestamp, fresh DKT nonces and so fresh keys every time.
//!
//! [`SignConfig`] is the set of switches wsrx had before policies; it converts into a
//! [`ProtectionPolicy`] ([`SignConfig::to_policy`]) and [`Signer::new`] takes it as before.

mod build;

use std::time::{Duration, SystemTime};

use wsrx_crypto::{BlockCipherAlgorithm, SecretKey, SecureRandom};
use wsrx_soap::Envelope;
use wsrx_xml::{C14nOptions, Document, Element};

use crate::error::SecurityError;
use crate::ids::{IdIndex, wsu_id};
use crate::ns::WSU;
use crate::protection::{DerivedKeys, HeaderSelector, Parts, ProtectionPolicy, TokenInclusion};
use crate::suite::{AlgorithmPolicy, AlgorithmSuite};
use crate::time;
use crate::token::{DerivedKeyToken, SecurityContextToken, SecurityTokenReference, TokenReference};
use crate::util::DigestSink;

/// Length of every DKT nonce we send (WCF requires one; 16 bytes as WCF and WSS4J).
pub const NONCE_LEN: usize = 16;

/// How to secure outbound messages: the switches wsrx had before [`ProtectionPolicy`]. Each
/// maps onto one field of the policy ([`SignConfig::to_policy`]).
#[derive(Debug, Clone)]
pub struct SignConfig {
    /// Algorithms and derived key sizes (as WS-SP 1.2 §6.1 reads the suite).
    pub suite: AlgorithmSuite,
    /// Timestamp lifetime: Expires = Created + ttl (default 5 minutes).
    pub ttl: Duration,
    /// Sign (and encrypt) with keys derived through DKTs (default true); false signs
    /// with the SCT secret itself, as gSOAP's sct-hmac mode does.
    pub derived_keys: bool,
    /// Put the SCT element in the header (default true); false references it by its
    /// identifier only (the unattached form, as responses to WCF do).
    pub include_token: bool,
    /// Encrypt the Body content (default false), with the suite's cipher unless
    /// `cipher` says otherwise.
    pub encrypt_body: bool,
    /// Overrides the suite's data encryption algorithm (e.g. AES-256-GCM).
    pub cipher: Option<BlockCipherAlgorithm>,
    /// Header blocks to sign and then replace by a `wsse11:EncryptedHeader` (WSS 1.1
    /// §9.3), chosen by qualified name; default none. Every matching direct child of
    /// `Header` is signed (it gets a `wsu:Id` if it has none) and encrypted with the
    /// encryption key. `wsse:Security` itself cannot be chosen.
    pub encrypt_headers: Vec<HeaderName>,
    /// Encrypt the `ds:Signature` (WS-SecurityPolicy `EncryptSignature`): it becomes an
    /// `xenc:EncryptedData` of the Security header listed in the ReferenceList. Default false.
    pub encrypt_signature: bool,
}

/// A SOAP header block chosen by namespace and local name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderName {
    /// Namespace URI.
    pub namespace: String,
    /// Local name.
    pub local_name: String,
}

impl HeaderName {
    /// The header `{namespace}local_name`.
    pub fn new(namespace: impl Into<String>, local_name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            local_name: local_name.into(),
        }
    }

    /// True when `e` has this name.
    pub fn matches(&self, e: Element<'_>) -> bool {
        e.is(&self.namespace, &self.local_name)
    }
}

impl Default for SignConfig {
    fn default() -> Self {
        Self {
            suite: AlgorithmSuite::Basic256Sha256,
            ttl: Duration::from_secs(300),
            derived_keys: true,
            include_token: true,
            encrypt_body: false,
            cipher: None,
            encrypt_headers: Vec::new(),
            encrypt_signature: false,
        }
    }
}

impl SignConfig {
    /// The policy these switches stand for: [`ProtectionPolicy::default`] with the suite
    /// (and cipher), derived keys (Optional, or Direct), token inclusion (Either, or
    /// ByIdentifier), Body encryption, the chosen headers signed and encrypted, and the
    /// encrypted signature.
    pub fn to_policy(&self) -> ProtectionPolicy {
        let mut policy = ProtectionPolicy {
            algorithms: AlgorithmPolicy {
                data_encryption: self.cipher,
                ..AlgorithmPolicy::new(self.suite)
            },
            encrypt_signature: self.encrypt_signature,
            ..ProtectionPolicy::default()
        };
        policy.token.derived_keys = if self.derived_keys {
            DerivedKeys::Optional
        } else {
            DerivedKeys::Direct
        };
        policy.token.inclusion = if self.include_token {
            TokenInclusion::Either
        } else {
            TokenInclusion::ByIdentifier
        };
        policy.encrypted.body = self.encrypt_body;
        for h in &self.encrypt_headers {
            policy.signed.headers.push(HeaderSelector::Named(h.clone()));
            policy
                .encrypted
                .headers
                .push(HeaderSelector::Named(h.clone()));
        }
        policy
    }
}

/// Secures outbound envelopes with one security context, as one [`ProtectionPolicy`] says.
#[derive(Debug)]
pub struct Signer<'a> {
    token: &'a SecurityContextToken,
    secret: &'a SecretKey,
    policy: std::borrow::Cow<'a, ProtectionPolicy>,
    ttl: Duration,
}

pub(crate) const TS_ID: &str = "wsrx-ts";
const SCT_ID: &str = "wsrx-sct";
const DK_SIG_ID: &str = "wsrx-dk-sig";
const DK_ENC_ID: &str = "wsrx-dk-enc";
pub(crate) const ED_ID: &str = "wsrx-ed-body";
/// Id of the EncryptedData holding the encrypted `ds:Signature`.
pub(crate) const ED_SIG_ID: &str = "wsrx-ed-sig";
/// Prefix of the ids of EncryptedHeader (`…-eh-n`) and their EncryptedData (`…-ed-hn`).
pub(crate) const EH_PREFIX: &str = "wsrx-eh-";
pub(crate) const ED_HEADER_PREFIX: &str = "wsrx-ed-h";
/// Prefix of the ids of the EncryptedData of encrypted elements (`…-ed-en`).
pub(crate) const ED_ELEMENT_PREFIX: &str = "wsrx-ed-e";
/// Prefix used for `wsu` on ids we add to parts (unlikely to clash with the sender's).
const ID_PREFIX: &str = "wsrxu";

/// Runs `secure` on `doc` made ready for signing: every part `signed` selects carries a
/// `wsu:Id` (adding missing ones costs one re-parse), there is no Security header yet, ids
/// are unique, and none of the `reserved` ids (nor, with `prefixes`, an id starting with one
/// of our generated prefixes) is used by the envelope. Shared by the HMAC ([`Signer`]) and
/// X.509 signers.
pub(crate) fn prepared<T>(
    doc: &Document,
    reserved: &[&str],
    signed: &Parts,
    prefixes: bool,
    secure: impl FnOnce(&Document, &Envelope<'_>) -> Result<T, SecurityError>,
) -> Result<T, SecurityError> {
    let original = Envelope::new(doc).map_err(|_| SecurityError::Usage("not a SOAP envelope"))?;
    let reparsed = match with_ids(doc, &original, signed) {
        Some(text) => Some(
            Document::parse(text.as_bytes())
                .map_err(|_| SecurityError::Usage("envelope could not be re-parsed"))?,
        ),
        None => None,
    };
    let doc = reparsed.as_ref().unwrap_or(doc);
    let env = Envelope::new(doc).map_err(|_| SecurityError::Usage("not a SOAP envelope"))?;
    if crate::verify::our_security_header(&env).is_ok() {
        return Err(SecurityError::Usage(
            "envelope already has a Security header",
        ));
    }
    let ids = IdIndex::build(doc).map_err(|_| SecurityError::Usage("duplicate ids in envelope"))?;
    if reserved.iter().any(|i| ids.contains(i))
        || (prefixes
            && [EH_PREFIX, ED_HEADER_PREFIX, ED_ELEMENT_PREFIX]
                .iter()
                .any(|p| ids.any_starts_with(p)))
    {
        return Err(SecurityError::Usage(
            "envelope uses an id reserved for the security header",
        ));
    }
    secure(doc, &env)
}

/// A signature reference: the referenced `wsu:Id` and its digest.
pub(crate) type Reference = (String, Vec<u8>);

/// The `wsu:Timestamp` from `now` for `ttl`, written in canonical form so that it is
/// digested as written.
pub(crate) fn timestamp(now: SystemTime, ttl: Duration) -> String {
    let created = time::to_millis(now);
    let expires = created + ttl.as_millis() as time::Millis;
    format!(
        "<wsu:Timestamp xmlns:wsu=\"{WSU}\" wsu:Id=\"{TS_ID}\"><wsu:Created>{}</wsu:Created><wsu:Expires>{}</wsu:Expires></wsu:Timestamp>",
        time::format(created),
        time::format(expires)
    )
}

/// The reference to `part` by its `wsu:Id`, its exc-c14n streamed into `digest`.
pub(crate) fn part_reference(
    part: Element<'_>,
    digest: wsrx_crypto::DigestAlgorithm,
) -> Result<Reference, SecurityError> {
    let id = wsu_id(part).ok_or(SecurityError::Usage("part without id"))?;
    element_reference(part, id, digest)
}

/// The reference to `part` by `id` (its `wsu:Id`, or the `Id` of an EncryptedData), its
/// exc-c14n streamed into `digest`.
pub(crate) fn element_reference(
    part: Element<'_>,
    id: &str,
    digest: wsrx_crypto::DigestAlgorithm,
) -> Result<Reference, SecurityError> {
    // An id the verifier would refuse as a same-document reference (XPointer-like
    // `(`), or one that would need escaping in the URI attribute (found by fuzzing).
    if id.is_empty()
        || id
            .chars()
            .any(|c| c.is_whitespace() || "()\"'<>&#".contains(c))
    {
        return Err(SecurityError::Usage("part id cannot be referenced"));
    }
    let mut sink = DigestSink(digest.digester());
    wsrx_xml::canonicalize(part, &C14nOptions::default(), &mut sink);
    Ok((id.to_owned(), sink.0.finish().as_bytes().to_vec()))
}

/// The `wsu:Timestamp` from `now` for `ttl` and the references of a signature over it and
/// over every part `signed` selects in `env` (streamed from the parsed envelope, one c14n
/// pass each): `(wsu:Id, digest)`, the Timestamp first. Used by the X.509 signer.
pub(crate) fn timestamp_and_references(
    env: &Envelope<'_>,
    now: SystemTime,
    ttl: Duration,
    digest: wsrx_crypto::DigestAlgorithm,
    signed: &Parts,
) -> Result<(String, Vec<Reference>), SecurityError> {
    let ts = timestamp(now, ttl);
    let mut references = Vec::with_capacity(8);
    references.push((
        TS_ID.to_owned(),
        digest.digest(ts.as_bytes()).as_bytes().to_vec(),
    ));
    for p in crate::protection::selected_parts(env, signed) {
        references.push(part_reference(p, digest)?);
    }
    Ok((ts, references))
}

/// The envelope text with a `wsu:Id` added to every part `signed` selects that lacks one;
/// `None` when all have one.
pub(crate) fn with_ids(doc: &Document, env: &Envelope<'_>, signed: &Parts) -> Option<String> {
    let missing: Vec<Element<'_>> = crate::protection::selected_parts(env, signed)
        .into_iter()
        .filter(|p| wsu_id(*p).is_none())
        .collect();
    if missing.is_empty() {
        return None;
    }
    let src = doc.source();
    let mut out = String::with_capacity(src.len() + missing.len() * 120);
    let mut at = 0;
    for (i, p) in missing.iter().enumerate() {
        let name_end = p.span().start + 1 + p.qualified_name().len();
        out.push_str(src.get(at..name_end)?);
        out.push_str(&format!(
            " xmlns:{ID_PREFIX}=\"{WSU}\" {ID_PREFIX}:Id=\"wsrx-part-{i}\""
        ));
        at = name_end;
    }
    out.push_str(src.get(at..)?);
    Some(out)
}

fn dkt(
    version: crate::ScVersion,
    id: &str,
    base: SecurityTokenReference,
    len: u64,
    nonce: Vec<u8>,
) -> DerivedKeyToken {
    DerivedKeyToken {
        version,
        wsu_id: Some(id.to_owned()),
        algorithm: None,
        base,
        has_properties: false,
        generation: None,
        offset: Some(0),
        length: Some(len),
        label: None,
        nonce,
    }
}

impl<'a> Signer<'a> {
    /// A signer for the context `token` whose secret is `secret`, with today's switches.
    pub fn new(token: &'a SecurityContextToken, secret: &'a SecretKey, config: SignConfig) -> Self {
        Self {
            token,
            secret,
            policy: std::borrow::Cow::Owned(config.to_policy()),
            ttl: config.ttl,
        }
    }

    /// A signer building exactly what `policy` says (Timestamp lifetime 5 minutes; see
    /// [`Signer::with_ttl`]). Check the policy with [`ProtectionPolicy::validate`] first: an
    /// unsupported one fails every [`Signer::secure`].
    pub fn with_policy(
        token: &'a SecurityContextToken,
        secret: &'a SecretKey,
        policy: &'a ProtectionPolicy,
    ) -> Self {
        Self {
            token,
            secret,
            policy: std::borrow::Cow::Borrowed(policy),
            ttl: Duration::from_secs(300),
        }
    }

    /// The Timestamp lifetime: Expires = Created + `ttl` (builder style).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The policy.
    pub fn policy(&self) -> &ProtectionPolicy {
        &self.policy
    }

    /// Returns `doc` (an unsigned SOAP envelope) secured as the policy says: a
    /// `wsse:Security` header (mustUnderstand) with the Timestamp (Created = `now`), the SCT
    /// or a reference to it, DKTs, ReferenceLists and the Signature, in the layout's order,
    /// and the encrypted parts in place.
    ///
    /// # Errors
    /// [`SecurityError::Usage`] if `doc` is not an envelope, is already secured, uses one of
    /// our reserved ids, or cannot be secured as the policy says (an unsupported or
    /// conflicting policy, a signed element inside encrypted content under
    /// encrypt-before-signing); [`SecurityError::Local`] without randomness.
    pub fn secure(
        &self,
        doc: &Document,
        now: SystemTime,
        rng: &mut dyn SecureRandom,
    ) -> Result<String, SecurityError> {
        self.policy
            .validate()
            .map_err(|_| SecurityError::Usage("unsupported or conflicting protection policy"))?;
        let sct_id = self.token.wsu_id.as_deref().unwrap_or(SCT_ID);
        let encrypts_parts =
            !self.policy.encrypted.headers.is_empty() || !self.policy.encrypted.elements.is_empty();
        prepared(
            doc,
            &[TS_ID, sct_id, DK_SIG_ID, DK_ENC_ID, ED_ID, ED_SIG_ID],
            &self.policy.signed,
            encrypts_parts,
            |doc, env| self.secure_parsed(doc, env, now, rng),
        )
    }

    /// The reference to the SCT: by `#wsu:Id` when it is attached, else by its identifier.
    fn sct_reference(&self, sct_id: &str) -> SecurityTokenReference {
        let version = self.token.version;
        let attached = self.attaches_token();
        SecurityTokenReference {
            reference: if attached {
                TokenReference::Local(sct_id.to_owned())
            } else {
                TokenReference::External(self.token.identifier.clone())
            },
            value_type: Some(version.sct_value_type().to_owned()),
            instance: if attached {
                None
            } else {
                self.token.instance.clone()
            },
        }
    }

    fn attaches_token(&self) -> bool {
        self.policy.token.inclusion != TokenInclusion::ByIdentifier
    }

    /// The key for one purpose: a fresh DKT (written to `tokens`) or the SCT secret.
    fn key_for(
        &self,
        id: &str,
        len: u64,
        sct_ref: &SecurityTokenReference,
        rng: &mut dyn SecureRandom,
        tokens: &mut String,
    ) -> Result<(SecretKey, SecurityTokenReference), SecurityError> {
        let version = self.token.version;
        if self.policy.token.derived_keys == DerivedKeys::Direct {
            return Ok((
                SecretKey::from_slice(self.secret.expose_secret()),
                sct_ref.clone(),
            ));
        }
        let mut nonce = vec![0u8; NONCE_LEN];
        rng.fill_nonce(&mut nonce)
            .map_err(|_| SecurityError::Local)?;
        let token = dkt(version, id, sct_ref.clone(), len, nonce);
        let key = token
            .derive(self.secret)
            .map_err(|_| SecurityError::Usage("bad derived key size"))?;
        token.write(tokens);
        Ok((
            key,
            SecurityTokenReference {
                reference: TokenReference::Local(id.to_owned()),
                value_type: Some(version.dk_value_type().to_owned()),
                instance: None,
            },
        ))
    }
}

/// Inserts `security` as the first header block (creating the Header if needed) and
/// applies `replacements` (byte ranges after that point: encrypted headers, the Body
/// content); everything else is copied byte for byte.
pub(crate) fn splice(
    src: &str,
    env: &Envelope<'_>,
    security: &str,
    mut replacements: Vec<(std::ops::Range<usize>, String)>,
) -> Result<String, SecurityError> {
    let bad = || SecurityError::Usage("envelope text not sliceable");
    let mut out = String::with_capacity(
        src.len() + security.len() + replacements.iter().map(|r| r.1.len()).sum::<usize>(),
    );
    let mut at = match env.header() {
        Some(h) => {
            let open_end = crate::util::start_tag_end(src, h.span().start).ok_or_else(bad)?;
            let head = src.get(..open_end).ok_or_else(bad)?;
            if let Some(open) = head.strip_suffix("/>") {
                out.push_str(open);
                out.push('>');
                out.push_str(security);
                out.push_str(&format!("</{}>", h.qualified_name()));
            } else {
                out.push_str(head);
                out.push_str(security);
            }
            open_end
        }
        None => {
            let at = env.body().span().start;
            out.push_str(src.get(..at).ok_or_else(bad)?);
            let header = match env.root().prefix() {
                Some(p) => format!("{p}:Header"),
                None => "Header".to_owned(),
            };
            out.push_str(&format!("<{header}>{security}</{header}>"));
            at
        }
    };
    replacements.sort_by_key(|(r, _)| r.start);
    for (range, text) in &replacements {
        out.push_str(src.get(at..range.start).ok_or_else(bad)?);
        out.push_str(text);
        at = range.end;
    }
    out.push_str(src.get(at..).ok_or_else(bad)?);
    Ok(out)
}
