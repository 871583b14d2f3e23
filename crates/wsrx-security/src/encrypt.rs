//! XML Encryption of message parts (spec-facts §4 "Encryption"; XML-Enc §3.5, §4):
//! `xenc:EncryptedData Type="…#Content"` with AES-CBC (XML-Enc padding) or AES-GCM,
//! its KeyInfo an STR to the encryption DKT, listed in a `xenc:ReferenceList` of the
//! security header.
//!
//! Header blocks chosen by [`crate::SignConfig::encrypt_headers`] become
//! `wsse11:EncryptedHeader`s (WSS 1.1 §9.3) wrapping an EncryptedData of `Type`
//! Element, and with [`crate::SignConfig::encrypt_signature`] the `ds:Signature` becomes
//! an EncryptedData of the security header (WS-SP EncryptSignature); all are listed in
//! one ReferenceList placed before them.
//!
//! Inbound, [`decrypt`] runs *before* signature verification: it follows every
//! ReferenceList of our security header, decrypts each EncryptedData, splices the
//! plaintext into the envelope text by byte span and parses the result into a new
//! [`Document`]. Signatures are then verified on that plaintext document
//! (sign-then-encrypt, WS-SP's default protection order and WSS4J's layout), so the
//! `NodeId`s of the [`crate::Verified`] proof are those of the document the
//! application reads. Encrypt-then-sign (a signature over the EncryptedData) is not
//! supported: its reference no longer resolves after decryption and is refused.
//!
//! Every failure (wrong key, bad padding, bad tag, plaintext that is not UTF-8 or not
//! well-formed in place) is the same [`SecurityError::FailedCheck`].

use std::ops::Range;

use wsrx_crypto::{BlockCipherAlgorithm, SecretKey, SecureRandom};
use wsrx_soap::{Envelope, SoapVersion};
use wsrx_xml::{Document, Element, NodeId};

use crate::error::SecurityError;
use crate::ids::IdIndex;
use crate::keys::{KeyContext, KeyIdentity};
use crate::ns::{DS, WSSE, WSSE11, WSU, XENC, XENC_CONTENT, XENC_ELEMENT};
use crate::sign::ED_ID;
use crate::token::{KeyResolver, ScVersion, SecurityTokenReference};
use crate::util::{content_range, element_children, leaf_text, push_attr};
use crate::verify::our_security_header;
use wsrx_crypto::base64;

/// Most encrypted parts one message may carry.
pub const MAX_ENCRYPTED_PARTS: usize = 16;

/// The key and settings shared by every part encrypted in one message.
pub(crate) struct PartEncryptor<'a> {
    pub(crate) cipher: BlockCipherAlgorithm,
    pub(crate) key: &'a SecretKey,
    pub(crate) key_ref: &'a SecurityTokenReference,
    pub(crate) version: ScVersion,
}

impl PartEncryptor<'_> {
    /// `xenc:EncryptedData Id=id Type=type_uri` holding `plaintext` encrypted
    /// (XML-Enc §3.1, §4.1), its KeyInfo an STR to the encryption key.
    pub(crate) fn encrypted_data(
        &self,
        id: &str,
        type_uri: &str,
        plaintext: &str,
        rng: &mut dyn SecureRandom,
    ) -> Result<String, SecurityError> {
        let ct = self
            .cipher
            .encrypt(self.key, rng, plaintext.as_bytes())
            .map_err(|e| match e {
                wsrx_crypto::CryptoError::RandomUnavailable => SecurityError::Local,
                _ => SecurityError::Usage("encryption key does not fit the cipher"),
            })?;
        let mut ed = format!(
            "<xenc:EncryptedData xmlns:xenc=\"{XENC}\" Id=\"{id}\" Type=\"{type_uri}\"><xenc:EncryptionMethod Algorithm=\"{}\"></xenc:EncryptionMethod><ds:KeyInfo xmlns:ds=\"{DS}\">",
            self.cipher.uri()
        );
        self.key_ref.write(&mut ed, self.version);
        ed.push_str("</ds:KeyInfo><xenc:CipherData><xenc:CipherValue>");
        ed.push_str(&base64::encode(&ct));
        ed.push_str("</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>");
        Ok(ed)
    }

    /// Encrypts the content of `body`; returns the byte range it replaces and the
    /// `xenc:EncryptedData` text.
    pub(crate) fn body_content(
        &self,
        src: &str,
        body: Element<'_>,
        rng: &mut dyn SecureRandom,
    ) -> Result<(Range<usize>, String), SecurityError> {
        let range = content_range(src, body).ok_or(SecurityError::Usage("empty Body"))?;
        let plaintext = src
            .get(range.clone())
            .ok_or(SecurityError::Usage("bad Body span"))?;
        let ed = self.encrypted_data(ED_ID, XENC_CONTENT, plaintext, rng)?;
        Ok((range, ed))
    }

    /// Replaces header block `header` by a `wsse11:EncryptedHeader` (WSS 1.1 §9.3) with
    /// id `eh_id` that carries the block's SOAP `mustUnderstand`, `role`/`actor` and
    /// `relay` attributes and wraps an `xenc:EncryptedData` (`Type` Element, id `ed_id`)
    /// of the whole block. Returns the block's byte range and the replacement.
    pub(crate) fn header(
        &self,
        src: &str,
        soap: SoapVersion,
        header: Element<'_>,
        (eh_id, ed_id): (&str, &str),
        rng: &mut dyn SecureRandom,
    ) -> Result<(Range<usize>, String), SecurityError> {
        let range = header.span();
        let plaintext = src
            .get(range.clone())
            .ok_or(SecurityError::Usage("bad header span"))?;
        let mut eh = format!(
            "<wsse11:EncryptedHeader xmlns:wsse11=\"{WSSE11}\" xmlns:wsu=\"{WSU}\" wsu:Id=\"{eh_id}\""
        );
        let mut declared = false;
        for a in header.attributes() {
            if a.namespace() == Some(soap.namespace())
                && matches!(
                    a.local_name(),
                    "mustUnderstand" | "role" | "actor" | "relay"
                )
            {
                if !declared {
                    eh.push_str(&format!(" xmlns:wsrxenv=\"{}\"", soap.namespace()));
                    declared = true;
                }
                eh.push_str(&format!(" wsrxenv:{}=\"", a.local_name()));
                push_attr(&mut eh, a.value());
                eh.push('"');
            }
        }
        eh.push('>');
        eh.push_str(&self.encrypted_data(ed_id, XENC_ELEMENT, plaintext, rng)?);
        eh.push_str("</wsse11:EncryptedHeader>");
        Ok((range, eh))
    }
}

/// The plaintext envelope after [`decrypt`].
#[derive(Debug)]
pub struct Decrypted {
    document: Document,
    keys: Vec<KeyIdentity>,
    body_content: bool,
    headers: Vec<NodeId>,
    signatures: usize,
}

impl Decrypted {
    /// The decrypted document; verify it with [`crate::Verifier::verify`].
    pub fn document(&self) -> &Document {
        &self.document
    }
    /// Consumes self, returning the document.
    pub fn into_document(self) -> Document {
        self.document
    }
    /// The keys used, one per decrypted part.
    pub fn keys(&self) -> &[KeyIdentity] {
        &self.keys
    }
    /// True when the Body's content was encrypted (for an EncryptedParts policy).
    pub fn body_was_encrypted(&self) -> bool {
        self.body_content
    }
    /// The header blocks of [`Decrypted::document`] that arrived as
    /// `wsse11:EncryptedHeader`s, in document order (for an EncryptedParts policy).
    pub fn decrypted_headers(&self) -> &[NodeId] {
        &self.headers
    }
    /// How many `ds:Signature`s of the security header arrived encrypted
    /// (WS-SP EncryptSignature).
    pub fn encrypted_signatures(&self) -> usize {
        self.signatures
    }
}

/// Where a decrypted part goes back, and what it must then be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The content of some element (the Body).
    Content,
    /// A header block that came in a `wsse11:EncryptedHeader`.
    Header,
    /// A `ds:Signature` of the security header.
    Signature,
    /// Any other element.
    Element,
}

/// The element a `DataReference` names, as `(EncryptedData, span to replace, place)`.
/// The reference may name the EncryptedData or (as some stacks do) its
/// `wsse11:EncryptedHeader` wrapper; either way the whole wrapper is replaced.
fn target<'d>(
    uri: &str,
    ids: &IdIndex<'d>,
    env: &Envelope<'d>,
    security: Element<'d>,
) -> Result<(Element<'d>, Range<usize>, Place), SecurityError> {
    let unresolved = SecurityError::InvalidSecurity("unresolved DataReference");
    let named = ids.fragment(uri).ok_or(unresolved.clone())?;
    let ed = if named.is(WSSE11, "EncryptedHeader") {
        let mut c = element_children(named)?;
        match (c.next(), c.next()) {
            (Some(ed), None) => ed,
            _ => return Err(SecurityError::InvalidSecurity("bad EncryptedHeader")),
        }
    } else {
        named
    };
    if !ed.is(XENC, "EncryptedData") {
        return Err(unresolved);
    }
    let element = ed.attribute(None, "Type") == Some(XENC_ELEMENT);
    let parent = ed.parent();
    if let Some(wrapper) = parent.filter(|p| p.is(WSSE11, "EncryptedHeader")) {
        // WSS 1.1 §9.3: a header block, encrypted whole, in a direct child of Header.
        if !element || wrapper.parent() != env.header() || wrapper.parent().is_none() {
            return Err(SecurityError::InvalidSecurity("bad EncryptedHeader"));
        }
        return Ok((ed, wrapper.span(), Place::Header));
    }
    let place = if !element {
        Place::Content
    } else if parent == Some(security) {
        Place::Signature
    } else {
        Place::Element
    };
    Ok((ed, ed.span(), place))
}

/// Decrypts every part listed in a `xenc:ReferenceList` of our security header, in
/// header order: Body content, `wsse11:EncryptedHeader`s (replaced whole by the header
/// block they carry, WSS 1.1 §9.3) and encrypted `ds:Signature`s (WS-SP
/// EncryptSignature). `Ok(None)` when there is nothing to decrypt (use the original
/// document).
///
/// A decrypted header must be exactly one element (a header block), a decrypted
/// signature exactly one `ds:Signature`; anything else is a failed check like a bad
/// tag or padding, so the plaintext's shape is no oracle.
///
/// # Errors
/// [`SecurityError::FailedCheck`] for any decryption failure; token and structure
/// errors as in verification.
pub fn decrypt(
    doc: &Document,
    resolver: &dyn KeyResolver,
) -> Result<Option<Decrypted>, SecurityError> {
    let env =
        Envelope::new(doc).map_err(|_| SecurityError::InvalidSecurity("not a SOAP envelope"))?;
    let security = our_security_header(&env)?;
    let lists: Vec<Element<'_>> = element_children(security)?
        .filter(|c| c.is(XENC, "ReferenceList"))
        .collect();
    if lists.is_empty() {
        return Ok(None);
    }
    let ids = IdIndex::build(doc)?;
    let keys_ctx = KeyContext {
        ids: &ids,
        security,
        resolver,
    };
    let src = doc.source();
    let mut splices: Vec<(Range<usize>, String, Place)> = Vec::new();
    let mut keys = Vec::new();
    let mut body_content = false;
    for list in lists {
        for r in element_children(list)? {
            if !r.is(XENC, "DataReference") || splices.len() >= MAX_ENCRYPTED_PARTS {
                return Err(SecurityError::InvalidSecurity(
                    "unsupported ReferenceList entry",
                ));
            }
            let uri = r.attribute(None, "URI").unwrap_or("");
            let (ed, span, place) = target(uri, &ids, &env, security)?;
            if splices
                .iter()
                .any(|(s, _, _)| s.start < span.end && span.start < s.end)
            {
                return Err(SecurityError::InvalidSecurity("EncryptedData listed twice"));
            }
            let (plain, key) = decrypt_one(ed, &keys_ctx)?;
            body_content |= place == Place::Content && ed.parent() == Some(env.body());
            keys.push(key);
            splices.push((span, plain, place));
        }
    }
    splices.sort_by_key(|(s, _, _)| s.start);
    let mut text = String::with_capacity(src.len());
    let mut at = 0;
    // Where each whole-element plaintext landed in `text`: (start, end, place).
    let mut landed = Vec::new();
    for (span, plain, place) in &splices {
        text.push_str(src.get(at..span.start).ok_or(SecurityError::FailedCheck)?);
        if matches!(place, Place::Header | Place::Signature) {
            let lead = plain.len() - plain.trim_start().len();
            let start = text.len() + lead;
            landed.push((start, start + plain.trim().len(), *place));
        }
        text.push_str(plain);
        at = span.end;
    }
    text.push_str(src.get(at..).ok_or(SecurityError::FailedCheck)?);
    let document = Document::parse(text.as_bytes()).map_err(|_| SecurityError::FailedCheck)?;
    let (headers, signatures) = check_landed(&document, &landed)?;
    Ok(Some(Decrypted {
        document,
        keys,
        body_content,
        headers,
        signatures,
    }))
}

/// Each whole-element plaintext must be exactly one element of the right kind where
/// it landed; returns the decrypted header blocks and the count of signatures.
fn check_landed(
    document: &Document,
    landed: &[(usize, usize, Place)],
) -> Result<(Vec<NodeId>, usize), SecurityError> {
    let mut headers = Vec::new();
    let mut signatures = 0;
    if landed.is_empty() {
        return Ok((headers, signatures));
    }
    let env = Envelope::new(document).map_err(|_| SecurityError::FailedCheck)?;
    for &(start, end, place) in landed {
        let el = document
            .elements()
            .find(|e| e.span().start == start)
            .filter(|e| e.span().end == end)
            .ok_or(SecurityError::FailedCheck)?;
        match place {
            Place::Header if el.parent() == env.header() && !el.is(WSSE, "Security") => {
                headers.push(el.id());
            }
            Place::Signature
                if el.is(DS, "Signature")
                    && el.parent().is_some_and(|p| p.is(WSSE, "Security")) =>
            {
                signatures += 1;
            }
            _ => return Err(SecurityError::FailedCheck),
        }
    }
    Ok((headers, signatures))
}

fn decrypt_one(
    ed: Element<'_>,
    keys: &KeyContext<'_, '_>,
) -> Result<(String, KeyIdentity), SecurityError> {
    match ed.attribute(None, "Type") {
        Some(XENC_CONTENT | XENC_ELEMENT) => {}
        _ => {
            return Err(SecurityError::InvalidSecurity(
                "unsupported EncryptedData Type",
            ));
        }
    }
    let mut children = element_children(ed)?;
    let method = children
        .next()
        .filter(|c| c.is(XENC, "EncryptionMethod"))
        .ok_or(SecurityError::InvalidSecurity("no EncryptionMethod"))?;
    let cipher = BlockCipherAlgorithm::from_uri(method.attribute(None, "Algorithm").unwrap_or(""))?;
    let key_info = children
        .next()
        .filter(|c| c.is(DS, "KeyInfo"))
        .ok_or(SecurityError::TokenUnavailable)?;
    let cipher_data = children
        .next()
        .filter(|c| c.is(XENC, "CipherData"))
        .ok_or(SecurityError::InvalidSecurity("no CipherData"))?;
    // EncryptionProperties may follow; they carry nothing we use.
    let value = element_children(cipher_data)?
        .next()
        .filter(|c| c.is(XENC, "CipherValue"))
        .ok_or(SecurityError::InvalidSecurity("no CipherValue"))?;
    let data = base64::decode(&leaf_text(value)?).ok_or(SecurityError::FailedCheck)?;
    let (key, identity) = keys.key_info(key_info, ed)?;
    let plain = cipher
        .decrypt(&key, &data)
        .map_err(|_| SecurityError::FailedCheck)?;
    let text = String::from_utf8(plain.to_vec()).map_err(|_| SecurityError::FailedCheck)?;
    Ok((text, identity))
}
