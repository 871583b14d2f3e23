//! XML Encryption of the Body content (spec-facts §4 "Encryption"; XML-Enc §3.5, §4):
//! `xenc:EncryptedData Type="…#Content"` with AES-CBC (XML-Enc padding) or AES-GCM,
//! its KeyInfo an STR to the encryption DKT, listed in a `xenc:ReferenceList` of the
//! security header.
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
use wsrx_soap::Envelope;
use wsrx_xml::{Document, Element};

use crate::error::SecurityError;
use crate::ids::IdIndex;
use crate::keys::{KeyContext, KeyIdentity};
use crate::ns::{DS, XENC, XENC_CONTENT, XENC_ELEMENT};
use crate::sign::ED_ID;
use crate::token::{KeyResolver, ScVersion, SecurityTokenReference};
use crate::util::{content_range, element_children, leaf_text};
use crate::verify::our_security_header;
use wsrx_crypto::base64;

/// Most encrypted parts one message may carry.
pub const MAX_ENCRYPTED_PARTS: usize = 16;

/// Encrypts the content of `body`; returns the byte range it replaces and the
/// `xenc:EncryptedData` text.
pub(crate) fn encrypted_content(
    src: &str,
    body: Element<'_>,
    cipher: BlockCipherAlgorithm,
    key: &SecretKey,
    key_ref: &SecurityTokenReference,
    version: ScVersion,
    rng: &mut dyn SecureRandom,
) -> Result<(Range<usize>, String), SecurityError> {
    let range = content_range(src, body).ok_or(SecurityError::Usage("empty Body"))?;
    let plaintext = src
        .get(range.clone())
        .ok_or(SecurityError::Usage("bad Body span"))?;
    let ct = cipher
        .encrypt(key, rng, plaintext.as_bytes())
        .map_err(|e| match e {
            wsrx_crypto::CryptoError::RandomUnavailable => SecurityError::Local,
            _ => SecurityError::Usage("encryption key does not fit the cipher"),
        })?;
    let mut ed = format!(
        "<xenc:EncryptedData xmlns:xenc=\"{XENC}\" Id=\"{ED_ID}\" Type=\"{XENC_CONTENT}\"><xenc:EncryptionMethod Algorithm=\"{}\"></xenc:EncryptionMethod><ds:KeyInfo xmlns:ds=\"{DS}\">",
        cipher.uri()
    );
    key_ref.write(&mut ed, version);
    ed.push_str("</ds:KeyInfo><xenc:CipherData><xenc:CipherValue>");
    ed.push_str(&base64::encode(&ct));
    ed.push_str("</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>");
    Ok((range, ed))
}

/// The plaintext envelope after [`decrypt`].
#[derive(Debug)]
pub struct Decrypted {
    document: Document,
    keys: Vec<KeyIdentity>,
    body_content: bool,
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
}

/// Decrypts every part listed in a `xenc:ReferenceList` of our security header.
/// `Ok(None)` when there is nothing to decrypt (use the original document).
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
    let mut splices: Vec<(Range<usize>, String)> = Vec::new();
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
            let ed = ids
                .fragment(uri)
                .filter(|e| e.is(XENC, "EncryptedData"))
                .ok_or(SecurityError::InvalidSecurity("unresolved DataReference"))?;
            let span = ed.span();
            if splices
                .iter()
                .any(|(s, _)| s.start < span.end && span.start < s.end)
            {
                return Err(SecurityError::InvalidSecurity("EncryptedData listed twice"));
            }
            let (plain, key) = decrypt_one(ed, &keys_ctx)?;
            if ed.attribute(None, "Type") == Some(XENC_CONTENT) && ed.parent() == Some(env.body()) {
                body_content = true;
            }
            keys.push(key);
            splices.push((span, plain));
        }
    }
    splices.sort_by_key(|(s, _)| s.start);
    let mut text = String::with_capacity(src.len());
    let mut at = 0;
    for (span, plain) in &splices {
        text.push_str(src.get(at..span.start).ok_or(SecurityError::FailedCheck)?);
        text.push_str(plain);
        at = span.end;
    }
    text.push_str(src.get(at..).ok_or(SecurityError::FailedCheck)?);
    let document = Document::parse(text.as_bytes()).map_err(|_| SecurityError::FailedCheck)?;
    Ok(Some(Decrypted {
        document,
        keys,
        body_content,
    }))
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
