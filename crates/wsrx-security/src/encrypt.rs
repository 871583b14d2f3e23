//! Outbound XML Encryption of message parts (XML-Enc §3.5, §4; WSS 1.1 §9): the Body's
//! content becomes an `xenc:EncryptedData Type="…#Content"`, a header block a
//! `wsse11:EncryptedHeader` (WSS 1.1 §9.3) wrapping an EncryptedData of Type Element, any
//! other element an EncryptedData of Type Element in its place, and the `ds:Signature` (WS-SP
//! EncryptSignature) an EncryptedData of the security header. Each EncryptedData's KeyInfo is
//! an STR to the encryption key (a DKT, or the SCT); the security header lists them all in
//! `xenc:ReferenceList`s. AES-CBC (XML-Enc padding), AES-GCM or Triple DES CBC, per the suite.
//!
//! Every element written here is written in its exclusive-c14n form (namespace declarations
//! on the element, sorted; attributes sorted; no whitespace; empty elements as start/end
//! pairs), so that under encrypt-before-signing its digest is the digest of the written
//! bytes, in one pass without a re-parse.
//!
//! Inbound decryption lives in [`crate::decryption`]; the names below are kept for callers of
//! this module.

use std::ops::Range;

use wsrx_crypto::{BlockCipherAlgorithm, SecretKey, SecureRandom};
use wsrx_soap::SoapVersion;
use wsrx_xml::Element;

use crate::error::SecurityError;
use crate::ns::{DS, WSSE11, WSU, XENC, XENC_CONTENT, XENC_ELEMENT};
use crate::token::{ScVersion, SecurityTokenReference};
use crate::util::{content_range, push_attr};
use wsrx_crypto::base64;

pub use crate::decryption::{Decrypted, Decryption, MAX_ENCRYPTED_PARTS, decrypt};

/// The key and settings shared by every part encrypted in one message.
pub(crate) struct PartEncryptor<'a> {
    pub(crate) cipher: BlockCipherAlgorithm,
    pub(crate) key: &'a SecretKey,
    pub(crate) key_ref: &'a SecurityTokenReference,
    pub(crate) version: ScVersion,
}

/// One encrypted part: the byte range of the input it replaces, the replacement text, and the
/// id the signature would reference under encrypt-before-signing (the EncryptedHeader's
/// `wsu:Id` or the EncryptedData's `Id`; `None` for Body content, whose Body is referenced).
pub(crate) struct EncryptedPart {
    pub(crate) range: Range<usize>,
    pub(crate) text: String,
    pub(crate) reference: Option<String>,
}

impl PartEncryptor<'_> {
    /// `xenc:EncryptedData Id=id Type=type_uri` holding `plaintext` encrypted
    /// (XML-Enc §3.1, §4.1), its KeyInfo an STR to the encryption key; canonical as written.
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

    /// Encrypts the content of `body` (EncryptedData `id`).
    pub(crate) fn body_content(
        &self,
        src: &str,
        body: Element<'_>,
        id: &str,
        rng: &mut dyn SecureRandom,
    ) -> Result<EncryptedPart, SecurityError> {
        let range = content_range(src, body).ok_or(SecurityError::Usage("empty Body"))?;
        let plaintext = src
            .get(range.clone())
            .ok_or(SecurityError::Usage("bad Body span"))?;
        let text = self.encrypted_data(id, XENC_CONTENT, plaintext, rng)?;
        Ok(EncryptedPart {
            range,
            text,
            reference: None,
        })
    }

    /// Replaces `element` (anywhere but the header) by an EncryptedData of Type Element with
    /// id `ed_id` (`sp:EncryptedElements`).
    pub(crate) fn element(
        &self,
        src: &str,
        element: Element<'_>,
        ed_id: &str,
        rng: &mut dyn SecureRandom,
    ) -> Result<EncryptedPart, SecurityError> {
        let range = element.span();
        let plaintext = src
            .get(range.clone())
            .ok_or(SecurityError::Usage("bad element span"))?;
        let text = self.encrypted_data(ed_id, XENC_ELEMENT, plaintext, rng)?;
        Ok(EncryptedPart {
            range,
            text,
            reference: Some(ed_id.to_owned()),
        })
    }

    /// Replaces header block `header` by a `wsse11:EncryptedHeader` (WSS 1.1 §9.3) with
    /// id `eh_id` that carries the block's SOAP `mustUnderstand`, `role`/`actor` and
    /// `relay` attributes and wraps an `xenc:EncryptedData` (`Type` Element, id `ed_id`)
    /// of the whole block.
    pub(crate) fn header(
        &self,
        src: &str,
        soap: SoapVersion,
        header: Element<'_>,
        (eh_id, ed_id): (&str, &str),
        rng: &mut dyn SecureRandom,
    ) -> Result<EncryptedPart, SecurityError> {
        let range = header.span();
        let plaintext = src
            .get(range.clone())
            .ok_or(SecurityError::Usage("bad header span"))?;
        // Canonical order: namespace declarations by prefix (wsrxenv < wsse11 < wsu), then
        // attributes by namespace URI (the wsu URI sorts before both SOAP URIs), then by local
        // name.
        let mut soap_attrs: Vec<(&str, &str)> = header
            .attributes()
            .filter(|a| {
                a.namespace() == Some(soap.namespace())
                    && matches!(
                        a.local_name(),
                        "mustUnderstand" | "role" | "actor" | "relay"
                    )
            })
            .map(|a| (a.local_name(), a.value()))
            .collect();
        soap_attrs.sort_unstable();
        let mut eh = String::with_capacity(512 + plaintext.len() * 2);
        eh.push_str("<wsse11:EncryptedHeader");
        if !soap_attrs.is_empty() {
            eh.push_str(&format!(" xmlns:wsrxenv=\"{}\"", soap.namespace()));
        }
        eh.push_str(&format!(
            " xmlns:wsse11=\"{WSSE11}\" xmlns:wsu=\"{WSU}\" wsu:Id=\"{eh_id}\""
        ));
        for (local, value) in soap_attrs {
            eh.push_str(&format!(" wsrxenv:{local}=\""));
            push_attr(&mut eh, value);
            eh.push('"');
        }
        eh.push('>');
        eh.push_str(&self.encrypted_data(ed_id, XENC_ELEMENT, plaintext, rng)?);
        eh.push_str("</wsse11:EncryptedHeader>");
        Ok(EncryptedPart {
            range,
            text: eh,
            reference: Some(eh_id.to_owned()),
        })
    }
}
