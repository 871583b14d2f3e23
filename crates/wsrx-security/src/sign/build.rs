//! The security header a [`ProtectionPolicy`] asks for, built in one pass (see the parent
//! module): keys, encrypted parts, references in the protection order, SignedInfo and its
//! HMAC, the (encrypted) signature, ReferenceLists, all in the layout's order.
//!
//! Header order (WS-SP 1.2 §6.7; a receiver processes it top-down, WSS 1.1 §5):
//! - sign-before-encrypting: Timestamp, SCT, DKT (signature), DKT (encryption),
//!   ReferenceList (every encrypted part, the signature included), Signature or its
//!   EncryptedData — a receiver decrypts, then verifies;
//! - encrypt-before-signing: Timestamp, SCT, DKTs, [ReferenceList of the encrypted signature],
//!   Signature or its EncryptedData, ReferenceList of the encrypted parts — a receiver
//!   verifies over the ciphertext, then decrypts;
//! - LaxTsLast moves the Timestamp to the end; the other layouts keep it first, which also
//!   satisfies Strict (tokens and signed elements before their use).

use std::ops::Range;
use std::time::SystemTime;

use wsrx_crypto::{SecretKey, SecureRandom};
use wsrx_soap::Envelope;
use wsrx_xml::{C14nOptions, Document, Element, Sink};

use super::{
    DK_ENC_ID, DK_SIG_ID, ED_ELEMENT_PREFIX, ED_HEADER_PREFIX, ED_ID, ED_SIG_ID, EH_PREFIX,
    Reference, Signer, TS_ID, element_reference, part_reference, splice, timestamp,
};
use crate::encrypt::{EncryptedPart, PartEncryptor};
use crate::error::SecurityError;
use crate::ns::{DS, EXC_C14N, WSSE, XENC, XENC_ELEMENT};
use crate::protection::{Layout, ProtectionOrder, select};
use crate::util::push_attr;
use wsrx_crypto::base64;

/// Prefixes an encrypted Body's canonical start tag must not declare: the EncryptedData we
/// write declares them itself, which exc-c14n would then leave out.
const ED_PREFIXES: [&str; 4] = ["xmlns:xenc=", "xmlns:ds=", "xmlns:wsse=", "xmlns:wsc="];

/// Collects the canonical start tag of an element and ignores the rest of its canonical form.
struct StartTag {
    bytes: Vec<u8>,
    quoted: bool,
    done: bool,
}

impl Sink for StartTag {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.done {
                return;
            }
            self.bytes.push(b);
            match b {
                b'"' => self.quoted = !self.quoted,
                b'>' if !self.quoted => self.done = true,
                _ => {}
            }
        }
    }
}

/// The digest of `body` whose content is replaced by `content`: its canonical start tag,
/// `content` (canonical as written), its end tag.
fn body_digest(
    body: Element<'_>,
    content: &str,
    digest: wsrx_crypto::DigestAlgorithm,
) -> Result<Vec<u8>, SecurityError> {
    let mut tag = StartTag {
        bytes: Vec::with_capacity(256),
        quoted: false,
        done: false,
    };
    wsrx_xml::canonicalize(body, &C14nOptions::default(), &mut tag);
    let start = String::from_utf8(tag.bytes).map_err(|_| SecurityError::Usage("bad Body"))?;
    if ED_PREFIXES.iter().any(|p| start.contains(p)) {
        return Err(SecurityError::Usage(
            "the Body declares a prefix the EncryptedData uses",
        ));
    }
    let mut d = digest.digester();
    d.update(start.as_bytes());
    d.update(content.as_bytes());
    d.update(format!("</{}>", body.qualified_name()).as_bytes());
    Ok(d.finish().as_bytes().to_vec())
}

/// The parts to encrypt, resolved: the Body's content, header blocks, other elements.
struct ToEncrypt<'d> {
    body: bool,
    headers: Vec<Element<'d>>,
    elements: Vec<Element<'d>>,
}

impl<'d> ToEncrypt<'d> {
    fn resolve(
        doc: &'d Document,
        env: &Envelope<'d>,
        signer: &Signer<'_>,
    ) -> Result<Self, SecurityError> {
        let parts = &signer.policy.encrypted;
        let header = env.header();
        let mut headers = select::headers(env, &parts.headers);
        let mut elements = Vec::new();
        for e in select::elements(doc, &parts.elements) {
            if header.is_some() && e.parent() == header {
                if !e.is(WSSE, "Security") && !headers.contains(&e) {
                    headers.push(e);
                }
            } else if e == env.root() || Some(e) == header || e == env.body() {
                return Err(SecurityError::Usage(
                    "cannot encrypt the envelope's own elements",
                ));
            } else if e.ancestors().any(|a| a.is(WSSE, "Security")) {
                return Err(SecurityError::Usage(
                    "cannot encrypt inside the Security header",
                ));
            } else if !(parts.body && e.is_within(env.body())) {
                elements.push(e);
            }
        }
        headers.sort_by_key(|e| e.id());
        // An element inside another encrypted one travels inside it.
        let outer: Vec<Element<'d>> = headers.iter().chain(&elements).copied().collect();
        elements.retain(|e| !outer.iter().any(|o| o != e && e.is_within(*o)));
        Ok(Self {
            // An empty Body's (empty) content is encrypted too (`PartEncryptor::body_content`).
            body: parts.body,
            headers,
            elements,
        })
    }

    fn is_empty(&self) -> bool {
        !self.body && self.headers.is_empty() && self.elements.is_empty()
    }

    /// True when `e` ends up inside ciphertext (not as a whole replaced part).
    fn hides(&self, env: &Envelope<'_>, e: Element<'_>) -> bool {
        (self.body && e != env.body() && e.is_within(env.body()))
            || self
                .headers
                .iter()
                .chain(&self.elements)
                .any(|o| *o != e && e.is_within(*o))
    }
}

impl Signer<'_> {
    pub(super) fn secure_parsed(
        &self,
        doc: &Document,
        env: &Envelope<'_>,
        now: SystemTime,
        rng: &mut dyn SecureRandom,
    ) -> Result<String, SecurityError> {
        let policy = &self.policy;
        let suite = &policy.algorithms;
        let version = self.version();
        let sct_id = self.base_id();
        let encrypt_before_signing = policy.order == ProtectionOrder::EncryptBeforeSigning;
        let signs = policy.signs();
        let to_encrypt = ToEncrypt::resolve(doc, env, self)?;
        let signed = select::selected(env, &policy.signed);

        // Keys: the reference to the SCT, the SCT itself when attached, one DKT per purpose.
        let sct_ref = self.sct_reference(sct_id);
        let mut tokens = String::with_capacity(1024);
        let sct_text = self.token_text(sct_id);
        if let Some(text) = &sct_text {
            tokens.push_str(text);
        }
        let signing = if signs {
            Some(self.key_for(
                DK_SIG_ID,
                suite.signature_key_len(),
                &sct_ref,
                rng,
                &mut tokens,
            )?)
        } else {
            None
        };
        let encrypts = policy.encrypt_signature || !to_encrypt.is_empty();
        let encryption = if encrypts {
            Some(self.key_for(
                DK_ENC_ID,
                suite.encryption_key_len(),
                &sct_ref,
                rng,
                &mut tokens,
            )?)
        } else {
            None
        };

        // Encrypted parts (their text; under sign-before-encrypting their plaintext is what
        // gets signed, below).
        let mut parts: Vec<(Element<'_>, EncryptedPart)> = Vec::new();
        let mut data_list: Vec<String> = Vec::new();
        let mut body_part = None;
        if let Some((key, key_ref)) = &encryption {
            let encryptor = PartEncryptor {
                cipher: suite.encryption(),
                key,
                key_ref,
                version,
            };
            for (i, h) in to_encrypt.headers.iter().enumerate() {
                let ed_id = format!("{ED_HEADER_PREFIX}{i}");
                let eh_id = format!("{EH_PREFIX}{i}");
                parts.push((
                    *h,
                    encryptor.header(doc.source(), env.version(), *h, (&eh_id, &ed_id), rng)?,
                ));
                data_list.push(ed_id);
            }
            for (i, e) in to_encrypt.elements.iter().enumerate() {
                let ed_id = format!("{ED_ELEMENT_PREFIX}{i}");
                parts.push((*e, encryptor.element(doc.source(), *e, &ed_id, rng)?));
                data_list.push(ed_id);
            }
            if to_encrypt.body {
                body_part = Some(encryptor.body_content(doc.source(), env.body(), ED_ID, rng)?);
                data_list.push(ED_ID.to_owned());
            }
        }

        // The signature.
        let mut signature = None;
        if let Some((sig_key, sig_ref)) = &signing {
            let digest = suite.digest();
            let mut references: Vec<Reference> = Vec::with_capacity(signed.len() + 2);
            let ts = policy.include_timestamp.then(|| timestamp(now, self.ttl));
            if let Some(ts) = &ts {
                references.push((
                    TS_ID.to_owned(),
                    digest.digest(ts.as_bytes()).as_bytes().to_vec(),
                ));
            }
            if policy.protect_tokens {
                let sct = sct_text.as_deref().ok_or(SecurityError::Usage(
                    "ProtectTokens needs the token in the message",
                ))?;
                references.push((
                    sct_id.to_owned(),
                    digest.digest(sct.as_bytes()).as_bytes().to_vec(),
                ));
            }
            // Encrypt-before-signing with an encrypted element inside a signed part (not the
            // Body's whole content): the part's canonical form has the EncryptedData inside,
            // which is not available from the parsed plaintext. This case alone costs one
            // parse of the encrypted envelope; every part is then digested from it by id.
            let nested = encrypt_before_signing
                && signed
                    .iter()
                    .any(|p| parts.iter().any(|(e, _)| e != p && e.is_within(*p)));
            let encrypted_doc = if nested {
                let mut all: Vec<(Range<usize>, String)> = parts
                    .iter()
                    .map(|(_, p)| (p.range.clone(), p.replacement()))
                    .collect();
                if let Some(b) = &body_part {
                    all.push((b.range.clone(), b.replacement()));
                }
                let text = splice(doc.source(), env, "", all)?;
                Some(
                    Document::parse(text.as_bytes())
                        .map_err(|_| SecurityError::Usage("encrypted envelope not well-formed"))?,
                )
            } else {
                None
            };
            let encrypted_ids = encrypted_doc
                .as_ref()
                .map(crate::ids::IdIndex::build)
                .transpose()
                .map_err(|_| SecurityError::Usage("duplicate ids in envelope"))?;
            for p in &signed {
                let replaced = parts.iter().find(|(e, _)| e == p).map(|(_, part)| part);
                if let Some(ids) = &encrypted_ids {
                    let id = match replaced {
                        Some(part) => part.reference.clone(),
                        None => crate::ids::wsu_id(*p).map(str::to_owned),
                    }
                    .ok_or(SecurityError::Usage("part without id"))?;
                    let e = ids
                        .fragment(&format!("#{id}"))
                        .ok_or(SecurityError::Usage("signed part inside encrypted content"))?;
                    references.push(element_reference(e, &id, digest)?);
                    continue;
                }
                let reference = match (encrypt_before_signing, replaced, &body_part) {
                    (true, Some(part), _) => {
                        let id = part
                            .reference
                            .clone()
                            .ok_or(SecurityError::Usage("encrypted part without id"))?;
                        (id, digest.digest(part.text.as_bytes()).as_bytes().to_vec())
                    }
                    (true, None, Some(body)) if *p == env.body() => {
                        let id = crate::ids::wsu_id(*p)
                            .ok_or(SecurityError::Usage("part without id"))?;
                        (id.to_owned(), body_digest(*p, &body.text, digest)?)
                    }
                    (true, None, _) if to_encrypt.hides(env, *p) => {
                        return Err(SecurityError::Usage(
                            "signed element inside encrypted content under EncryptBeforeSigning",
                        ));
                    }
                    _ => part_reference(*p, digest)?,
                };
                references.push(reference);
            }
            signature = Some((ts, self.signature_element(sig_key, sig_ref, &references)?));
        }

        // The header, in the layout's order.
        let (ts, signature) = match signature {
            Some((ts, s)) => (ts, Some(s)),
            None => (None, None),
        };
        let mut security = String::with_capacity(4096 + tokens.len());
        let soap = env.version();
        security.push_str(&format!(
            "<wsse:Security xmlns:wsse=\"{WSSE}\" xmlns:wsrxenv=\"{}\" wsrxenv:mustUnderstand=\"{}\">",
            soap.namespace(),
            soap.must_understand_true()
        ));
        let ts_last = policy.layout == Layout::LaxTsLast;
        if !ts_last && let Some(ts) = &ts {
            security.push_str(ts);
        }
        security.push_str(&tokens);
        let encrypt_sig = policy.encrypt_signature && signature.is_some();
        if !encrypt_before_signing {
            let mut all = Vec::with_capacity(data_list.len() + 1);
            if encrypt_sig {
                all.push(ED_SIG_ID.to_owned());
            }
            all.extend(data_list.iter().cloned());
            push_reference_list(&mut security, &all);
        } else if encrypt_sig {
            push_reference_list(&mut security, &[ED_SIG_ID.to_owned()]);
        }
        if let Some(signature) = &signature {
            match &encryption {
                // WS-SP EncryptSignature: the Signature becomes an EncryptedData in place.
                Some((key, key_ref)) if encrypt_sig => {
                    let encryptor = PartEncryptor {
                        cipher: suite.encryption(),
                        key,
                        key_ref,
                        version,
                    };
                    security.push_str(&encryptor.encrypted_data(
                        ED_SIG_ID,
                        XENC_ELEMENT,
                        signature,
                        rng,
                    )?);
                }
                _ => security.push_str(signature),
            }
        }
        if encrypt_before_signing {
            push_reference_list(&mut security, &data_list);
        }
        if ts_last && let Some(ts) = &ts {
            security.push_str(ts);
        }
        security.push_str("</wsse:Security>");
        let mut replacements: Vec<(Range<usize>, String)> = parts
            .into_iter()
            .map(|(_, p)| (p.range.clone(), p.replacement()))
            .collect();
        if let Some(b) = body_part {
            replacements.push((b.range.clone(), b.replacement()));
        }
        splice(doc.source(), env, &security, replacements)
    }

    /// `ds:Signature` over `references`: SignedInfo written canonically, its HMAC with `key`.
    fn signature_element(
        &self,
        key: &SecretKey,
        key_ref: &crate::token::SecurityTokenReference,
        references: &[Reference],
    ) -> Result<String, SecurityError> {
        let suite = &self.policy.algorithms;
        let mut signed_info = String::with_capacity(256 + references.len() * 320);
        signed_info.push_str(&format!(
            "<ds:SignedInfo xmlns:ds=\"{DS}\"><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{}\"></ds:SignatureMethod>",
            suite.symmetric_signature().uri()
        ));
        for (id, digest) in references {
            signed_info.push_str("<ds:Reference URI=\"#");
            push_attr(&mut signed_info, id);
            signed_info.push_str(&format!(
                "\"><ds:Transforms><ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{}\"></ds:DigestMethod><ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
                suite.digest().uri(),
                base64::encode(digest)
            ));
        }
        signed_info.push_str("</ds:SignedInfo>");
        let mut mac = suite.symmetric_signature().mac(key)?;
        mac.update(signed_info.as_bytes());
        let value = base64::encode(mac.finish().as_bytes());
        let mut signature = String::with_capacity(512 + signed_info.len());
        signature.push_str(&format!("<ds:Signature xmlns:ds=\"{DS}\">"));
        signature.push_str(&signed_info);
        signature.push_str(&format!(
            "<ds:SignatureValue>{value}</ds:SignatureValue><ds:KeyInfo>"
        ));
        key_ref.write(&mut signature, self.version());
        signature.push_str("</ds:KeyInfo></ds:Signature>");
        Ok(signature)
    }
}

/// Appends a `xenc:ReferenceList` of `ids` (nothing when empty).
fn push_reference_list(out: &mut String, ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    out.push_str(&format!("<xenc:ReferenceList xmlns:xenc=\"{XENC}\">"));
    for id in ids {
        out.push_str(&format!(
            "<xenc:DataReference URI=\"#{id}\"></xenc:DataReference>"
        ));
    }
    out.push_str("</xenc:ReferenceList>");
}
