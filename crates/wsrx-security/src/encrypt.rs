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
use crate::util::{content_range, push_attr, start_tag_end};
use wsrx_crypto::base64;

pub use crate::decryption::{Decrypted, Decryption, MAX_ENCRYPTED_PARTS, decrypt};

/// The key and settings shared by every part encrypted in one message.
pub(crate) struct PartEncryptor<'a> {
    pub(crate) cipher: BlockCipherAlgorithm,
    pub(crate) key: &'a SecretKey,
    pub(crate) key_ref: &'a SecurityTokenReference,
    pub(crate) version: ScVersion,
}

/// One encrypted part: the byte range of the input it replaces, the encrypted text, and the
/// id the signature would reference under encrypt-before-signing (the EncryptedHeader's
/// `wsu:Id` or the EncryptedData's `Id`; `None` for Body content, whose Body is referenced).
/// `close` is set only for an empty Body written as `<s:Body …/>`: `range` is then the `/>`
/// of its start tag, and the replacement closes the tag around the text ([`Self::replacement`]).
pub(crate) struct EncryptedPart {
    pub(crate) range: Range<usize>,
    pub(crate) text: String,
    pub(crate) reference: Option<String>,
    pub(crate) close: Option<String>,
}

impl EncryptedPart {
    /// What replaces `range` in the envelope text.
    pub(crate) fn replacement(&self) -> String {
        match &self.close {
            None => self.text.clone(),
            Some(name) => format!(">{}</{name}>", self.text),
        }
    }
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

    /// Encrypts the content of `body` (EncryptedData `id`, Type Content).
    ///
    /// An empty Body (an RM acknowledgement's) is encrypted too: WS-SP 1.2 §4.2.2 asks for
    /// the Body's content to be encrypted whenever `sp:EncryptedParts/sp:Body` applies, and
    /// XML-Enc §4.1 (step 3: the octets of the serialized content, here none) with §5.2's
    /// padding (at least one octet) gives one block of ciphertext for it. Metro 4 refuses an
    /// empty Body sent in clear under such a policy (`WSS0814 … missing target Body for
    /// Encryption`) and encrypts its own empty Bodies this way; CXF accepts either.
    pub(crate) fn body_content(
        &self,
        src: &str,
        body: Element<'_>,
        id: &str,
        rng: &mut dyn SecureRandom,
    ) -> Result<EncryptedPart, SecurityError> {
        let (range, close) = match content_range(src, body) {
            Some(range) => (range, None),
            None => {
                // `<s:Body …/>`: the `/>` becomes `>EncryptedData</s:Body>`.
                let end = start_tag_end(src, body.span().start)
                    .ok_or(SecurityError::Usage("bad Body span"))?;
                let range = end
                    .checked_sub(2)
                    .filter(|start| src.get(*start..end) == Some("/>"))
                    .ok_or(SecurityError::Usage("bad Body span"))?..end;
                (range, Some(body.qualified_name().to_owned()))
            }
        };
        let plaintext = if close.is_some() {
            ""
        } else {
            src.get(range.clone())
                .ok_or(SecurityError::Usage("bad Body span"))?
        };
        let text = self.encrypted_data(id, XENC_CONTENT, plaintext, rng)?;
        Ok(EncryptedPart {
            range,
            text,
            reference: None,
            close,
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
            close: None,
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
            close: None,
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code on fixed input"
)]
mod tests {
    use super::*;
    use wsrx_crypto::InsecureSeededRandom;

    fn encryptor_run(envelope: &str) -> (EncryptedPart, SecretKey) {
        let key = SecretKey::from_slice(&[7u8; 32]);
        let key_ref = SecurityTokenReference {
            reference: crate::token::TokenReference::Local("dk".to_owned()),
            value_type: None,
            instance: None,
        };
        let enc = PartEncryptor {
            cipher: BlockCipherAlgorithm::Aes256Cbc,
            key: &key,
            key_ref: &key_ref,
            version: ScVersion::V200512,
        };
        let doc = wsrx_xml::Document::parse(envelope.as_bytes()).unwrap();
        let env = wsrx_soap::Envelope::new(&doc).unwrap();
        let mut rng = InsecureSeededRandom::from_seed(3);
        let part = enc
            .body_content(envelope, env.body(), "ed", &mut rng)
            .unwrap();
        (part, SecretKey::from_slice(&[7u8; 32]))
    }

    fn plaintext(part: &EncryptedPart, key: &SecretKey) -> Vec<u8> {
        let v = part.text.find("<xenc:CipherValue>").unwrap() + 18;
        let end = v + part.text[v..].find('<').unwrap();
        let ct = base64::decode(&part.text[v..end]).unwrap();
        BlockCipherAlgorithm::Aes256Cbc
            .decrypt(key, &ct)
            .unwrap()
            .to_vec()
    }

    #[test]
    fn an_empty_body_written_self_closing_gets_an_encrypted_empty_content() {
        // WS-SP 1.2 §4.2.2 / XML-Enc §4.1, §5.2: no octets in, one block of padding out; the
        // `/>` of `<s:Body …/>` becomes `>EncryptedData</s:Body>`.
        let src = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header/><s:Body Id=\"b\"/></s:Envelope>";
        let (part, key) = encryptor_run(src);
        assert_eq!(&src[part.range.clone()], "/>");
        let replacement = part.replacement();
        assert!(replacement.starts_with("><xenc:EncryptedData"));
        assert!(replacement.ends_with("</xenc:EncryptedData></s:Body>"));
        assert!(part.text.contains(XENC_CONTENT));
        assert!(plaintext(&part, &key).is_empty());
        let mut out = src.to_owned();
        out.replace_range(part.range.clone(), &replacement);
        let doc = wsrx_xml::Document::parse(out.as_bytes()).unwrap();
        let env = wsrx_soap::Envelope::new(&doc).unwrap();
        assert!(env.body().child(XENC, "EncryptedData").is_some());
    }

    #[test]
    fn an_empty_body_with_start_and_end_tags_encrypts_what_is_between() {
        let src = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body> </s:Body></s:Envelope>";
        let (part, key) = encryptor_run(src);
        assert_eq!(&src[part.range.clone()], " ");
        assert_eq!(part.replacement(), part.text);
        assert_eq!(plaintext(&part, &key), b" ");
    }
}
