//! Outbound: securing an unsigned envelope (spec-facts §4, WS-SP symmetric binding
//! with an SCT protection token and derived keys).
//!
//! One pass over the parsed envelope, no DOM copy:
//! 1. every part to sign (Body, each WS-A and WS-RM header) is canonicalized
//!    (exc-c14n) straight into its digest;
//! 2. the `wsu:Timestamp` and `ds:SignedInfo` are *written* in canonical form (with
//!    their namespace declarations on themselves, so their canonical form in the final
//!    document is the written bytes) and the HMAC runs over those bytes;
//! 3. the `wsse:Security` header is spliced into the envelope text at the byte offset
//!    of the Header's start tag (and, with encryption, the Body content is replaced by
//!    its `xenc:EncryptedData`).
//!
//! A part without a `wsu:Id` gets one, which costs one re-parse of the envelope; write
//! ids up front (`OutboundAddressing::write` with `id_for`) to stay on the fast path.
//! Retransmissions call [`Signer::secure`] again on the stored *unsigned* envelope:
//! a fresh Timestamp, fresh DKT nonces and so fresh keys every time.

use std::time::{Duration, SystemTime};

use wsrx_crypto::{BlockCipherAlgorithm, SecretKey, SecureRandom};
use wsrx_soap::Envelope;
use wsrx_xml::{C14nOptions, Document, Element};

use crate::encrypt::PartEncryptor;
use crate::error::SecurityError;
use crate::ids::{IdIndex, wsu_id};
use crate::ns::{DS, EXC_C14N, WSRM_200502, WSRM_200702, WSSE, WSU, XENC, XENC_ELEMENT};
use crate::suite::AlgorithmSuite;
use crate::time;
use crate::token::{DerivedKeyToken, SecurityContextToken, SecurityTokenReference, TokenReference};
use crate::util::{DigestSink, push_attr, start_tag_end};
use wsrx_crypto::base64;

/// Length of every DKT nonce we send (WCF requires one; 16 bytes as WCF and WSS4J).
pub const NONCE_LEN: usize = 16;

/// How to secure outbound messages.
#[derive(Debug, Clone)]
pub struct SignConfig {
    /// Algorithms and derived key sizes.
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

/// Secures outbound envelopes with one security context.
#[derive(Debug)]
pub struct Signer<'a> {
    token: &'a SecurityContextToken,
    secret: &'a SecretKey,
    config: SignConfig,
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
/// Prefix used for `wsu` on ids we add to parts (unlikely to clash with the sender's).
const ID_PREFIX: &str = "wsrxu";

/// The parts to sign: the Body, every WS-A / WS-RM header (spec-facts §4) and every
/// header named in `extra` (those to encrypt), in document order.
pub(crate) fn parts<'d>(env: &Envelope<'d>, extra: &[HeaderName]) -> Vec<Element<'d>> {
    let mut v: Vec<Element<'d>> = env
        .header()
        .into_iter()
        .flat_map(|h| h.child_elements())
        .filter(|h| {
            matches!(h.namespace(), Some(n) if n == WSRM_200702 || n == WSRM_200502
                || n == wsrx_soap::ns::WSA10 || n == wsrx_soap::ns::WSA200408)
                || (!h.is(WSSE, "Security") && extra.iter().any(|x| x.matches(*h)))
        })
        .collect();
    v.push(env.body());
    v
}

/// Adds a `wsu:Id` to every part lacking one; `None` when all have one.
/// Runs `secure` on `doc` made ready for signing: every part to sign carries a
/// `wsu:Id` (adding missing ones costs one re-parse), there is no Security header
/// yet, ids are unique, and none of the `reserved` ids is used by the envelope.
/// Shared by the HMAC ([`Signer`]) and X.509 signers.
pub(crate) fn prepared<T>(
    doc: &Document,
    reserved: &[&str],
    extra: &[HeaderName],
    secure: impl FnOnce(&Document, &Envelope<'_>) -> Result<T, SecurityError>,
) -> Result<T, SecurityError> {
    let original = Envelope::new(doc).map_err(|_| SecurityError::Usage("not a SOAP envelope"))?;
    let reparsed = match with_ids(doc, &original, extra) {
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
        || (!extra.is_empty()
            && (ids.any_starts_with(EH_PREFIX) || ids.any_starts_with(ED_HEADER_PREFIX)))
    {
        return Err(SecurityError::Usage(
            "envelope uses an id reserved for the security header",
        ));
    }
    secure(doc, &env)
}

/// A signature reference: the referenced `wsu:Id` and its digest.
pub(crate) type Reference = (String, Vec<u8>);

/// The `wsu:Timestamp` from `now` for `ttl`, written already in canonical form so
/// that it is digested as written, and the references of a signature over it and
/// over every part of `env` (streamed from the parsed envelope, one c14n pass each):
/// `(wsu:Id, digest)`, the Timestamp first. Shared by the HMAC and X.509 signers.
pub(crate) fn timestamp_and_references(
    env: &Envelope<'_>,
    now: SystemTime,
    ttl: Duration,
    digest: wsrx_crypto::DigestAlgorithm,
    extra: &[HeaderName],
) -> Result<(String, Vec<Reference>), SecurityError> {
    let created = time::to_millis(now);
    let expires = created + ttl.as_millis() as time::Millis;
    let timestamp = format!(
        "<wsu:Timestamp xmlns:wsu=\"{WSU}\" wsu:Id=\"{TS_ID}\"><wsu:Created>{}</wsu:Created><wsu:Expires>{}</wsu:Expires></wsu:Timestamp>",
        time::format(created),
        time::format(expires)
    );
    let mut references = Vec::with_capacity(8);
    references.push((
        TS_ID.to_owned(),
        digest.digest(timestamp.as_bytes()).as_bytes().to_vec(),
    ));
    let c14n = C14nOptions::default();
    for p in parts(env, extra) {
        let id = wsu_id(p).ok_or(SecurityError::Usage("part without id"))?;
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
        wsrx_xml::canonicalize(p, &c14n, &mut sink);
        references.push((id.to_owned(), sink.0.finish().as_bytes().to_vec()));
    }
    Ok((timestamp, references))
}

pub(crate) fn with_ids(doc: &Document, env: &Envelope<'_>, extra: &[HeaderName]) -> Option<String> {
    let missing: Vec<Element<'_>> = parts(env, extra)
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
    /// A signer for the context `token` whose secret is `secret`.
    pub fn new(token: &'a SecurityContextToken, secret: &'a SecretKey, config: SignConfig) -> Self {
        Self {
            token,
            secret,
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &SignConfig {
        &self.config
    }

    /// Returns `doc` (an unsigned SOAP envelope) secured: a `wsse:Security` header
    /// (mustUnderstand) with Timestamp (Created = `now`), SCT, DKTs and a Signature
    /// covering Body, Timestamp and every WS-A and WS-RM header.
    ///
    /// # Errors
    /// [`SecurityError::Usage`] if `doc` is not an envelope, is already secured, or
    /// uses one of our reserved ids; [`SecurityError::Local`] without randomness.
    pub fn secure(
        &self,
        doc: &Document,
        now: SystemTime,
        rng: &mut dyn SecureRandom,
    ) -> Result<String, SecurityError> {
        let sct_id = self.token.wsu_id.as_deref().unwrap_or(SCT_ID);
        prepared(
            doc,
            &[TS_ID, sct_id, DK_SIG_ID, DK_ENC_ID, ED_ID, ED_SIG_ID],
            &self.config.encrypt_headers,
            |doc, env| self.secure_parsed(doc, env, now, rng),
        )
    }

    fn secure_parsed(
        &self,
        doc: &Document,
        env: &Envelope<'_>,
        now: SystemTime,
        rng: &mut dyn SecureRandom,
    ) -> Result<String, SecurityError> {
        let sct_id = self.token.wsu_id.as_deref().unwrap_or(SCT_ID);
        let suite = self.config.suite;
        let version = self.token.version;
        let _c14n = C14nOptions::default();

        // 1-2. The Timestamp (written canonically) and the digests of every part.
        let (timestamp, references) = timestamp_and_references(
            env,
            now,
            self.config.ttl,
            suite.digest(),
            &self.config.encrypt_headers,
        )?;

        // 3. Keys: the reference to the SCT, then one DKT per purpose.
        let sct_ref = SecurityTokenReference {
            reference: if self.config.include_token {
                TokenReference::Local(sct_id.to_owned())
            } else {
                TokenReference::External(self.token.identifier.clone())
            },
            value_type: Some(version.sct_value_type().to_owned()),
            instance: if self.config.include_token {
                None
            } else {
                self.token.instance.clone()
            },
        };
        let mut tokens = String::with_capacity(1024);
        if self.config.include_token {
            let mut sct = self.token.clone();
            sct.wsu_id = Some(sct_id.to_owned());
            sct.write(&mut tokens);
        }
        let (sig_key, sig_ref) = self.key_for(
            DK_SIG_ID,
            suite.signature_key_len(),
            &sct_ref,
            rng,
            &mut tokens,
        )?;
        // Encryption (sign-then-encrypt: the digests above are of the plaintext).
        let to_encrypt: Vec<Element<'_>> = parts(env, &self.config.encrypt_headers)
            .into_iter()
            .filter(|p| self.config.encrypt_headers.iter().any(|x| x.matches(*p)))
            .collect();
        let mut replacements: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        let mut encrypt_key = None;
        if self.config.encrypt_body || self.config.encrypt_signature || !to_encrypt.is_empty() {
            let cipher = self.config.cipher.unwrap_or(suite.encryption());
            let (enc_key, enc_ref) = self.key_for(
                DK_ENC_ID,
                cipher.key_len() as u64,
                &sct_ref,
                rng,
                &mut tokens,
            )?;
            let encryptor = PartEncryptor {
                cipher,
                key: &enc_key,
                key_ref: &enc_ref,
                version,
            };
            let mut list = format!("<xenc:ReferenceList xmlns:xenc=\"{XENC}\">");
            let mut list_entry = |id: &str| {
                list.push_str(&format!(
                    "<xenc:DataReference URI=\"#{id}\"></xenc:DataReference>"
                ));
            };
            if self.config.encrypt_signature {
                list_entry(ED_SIG_ID);
            }
            for (i, header) in to_encrypt.iter().enumerate() {
                let ed_id = format!("{ED_HEADER_PREFIX}{i}");
                let eh_id = format!("{EH_PREFIX}{i}");
                replacements.push(encryptor.header(
                    doc.source(),
                    env.version(),
                    *header,
                    (&eh_id, &ed_id),
                    rng,
                )?);
                list_entry(&ed_id);
            }
            if self.config.encrypt_body {
                replacements.push(encryptor.body_content(doc.source(), env.body(), rng)?);
                list_entry(ED_ID);
            }
            list.push_str("</xenc:ReferenceList>");
            tokens.push_str(&list);
            encrypt_key = Some((cipher, enc_key, enc_ref));
        }

        // 4. SignedInfo, written canonically, and its HMAC.
        let mut signed_info = String::with_capacity(256 + references.len() * 320);
        signed_info.push_str(&format!(
            "<ds:SignedInfo xmlns:ds=\"{DS}\"><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{}\"></ds:SignatureMethod>",
            suite.mac().uri()
        ));
        for (id, digest) in &references {
            signed_info.push_str("<ds:Reference URI=\"#");
            push_attr(&mut signed_info, id);
            signed_info.push_str(&format!(
                "\"><ds:Transforms><ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{}\"></ds:DigestMethod><ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
                suite.digest().uri(),
                base64::encode(digest)
            ));
        }
        signed_info.push_str("</ds:SignedInfo>");
        let mut mac = suite.mac().mac(&sig_key)?;
        mac.update(signed_info.as_bytes());
        let signature_value = base64::encode(mac.finish().as_bytes());

        // 5. The header, then the splice.
        let soap = env.version();
        let mut security = String::with_capacity(2048 + signed_info.len() + tokens.len());
        security.push_str(&format!(
            "<wsse:Security xmlns:wsse=\"{WSSE}\" xmlns:wsrxenv=\"{}\" wsrxenv:mustUnderstand=\"{}\">",
            soap.namespace(),
            soap.must_understand_true()
        ));
        security.push_str(&timestamp);
        security.push_str(&tokens);
        let mut signature = String::with_capacity(512 + signed_info.len());
        signature.push_str(&format!("<ds:Signature xmlns:ds=\"{DS}\">"));
        signature.push_str(&signed_info);
        signature.push_str(&format!(
            "<ds:SignatureValue>{signature_value}</ds:SignatureValue><ds:KeyInfo>"
        ));
        sig_ref.write(&mut signature, version);
        signature.push_str("</ds:KeyInfo></ds:Signature>");
        match &encrypt_key {
            // WS-SP EncryptSignature: the Signature becomes an EncryptedData in place.
            Some((cipher, key, key_ref)) if self.config.encrypt_signature => {
                let encryptor = PartEncryptor {
                    cipher: *cipher,
                    key,
                    key_ref,
                    version,
                };
                security.push_str(&encryptor.encrypted_data(
                    ED_SIG_ID,
                    XENC_ELEMENT,
                    &signature,
                    rng,
                )?);
            }
            _ => security.push_str(&signature),
        }
        security.push_str("</wsse:Security>");
        splice(doc.source(), env, &security, replacements)
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
        if !self.config.derived_keys {
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
            let open_end = start_tag_end(src, h.span().start).ok_or_else(bad)?;
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
