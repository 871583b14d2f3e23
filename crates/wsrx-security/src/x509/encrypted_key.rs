//! `xenc:EncryptedKey` for the holder of a certificate (XML-Enc §3.5.1; WSS X.509 Token
//! Profile 1.1 §3.2; WSS 1.1 §7.3): the key transport of the X.509 bootstrap.
//!
//! - Key transport: RSA-OAEP-MGF1P (XML-Enc §5.4.2, the `[Asym KW]` of the non-Rsa15 suites)
//!   or, only when an Rsa15 suite is in force, RSA PKCS#1 v1.5 (§5.4.1) decrypted with
//!   implicit rejection.
//! - The recipient's certificate is named in the KeyInfo by its SHA-1 thumbprint
//!   (`ThumbprintSHA1`, WSS 1.1 §7.3), its issuer and serial number (`ds:X509IssuerSerial`,
//!   X.509 Token Profile §3.2.3) or its subject key identifier (`X509SubjectKeyIdentifier`,
//!   §3.2.1), as the policy's `sp:Require…Reference` says.
//! - [`EncryptedKey::sha1`] is the `EncryptedKeySHA1` key identifier (WSS 1.1 §7.3: the SHA-1
//!   of the encrypted key's octets) by which the token service's answer names the same key
//!   without sending it again.
//!
//! Not here: an EncryptedKey that itself lists the data it encrypts (`xenc:ReferenceList`
//! inside it, WSS4J's asymmetric layout), OAEP parameters, other OAEP digests.

use wsrx_crypto::{KeyTransportAlgorithm, SecretKey, SecureRandom};
use wsrx_xml::Element;

use super::{BASE64_BINARY, Certificate, THUMBPRINT_SHA1, X509Credential, X509IssuerSerial};
use crate::error::SecurityError;
use crate::ns::{DS, WSSE, XENC};
use crate::token::{SecurityTokenReference, TokenReference};
use crate::util::{element_children, leaf_text, push_attr};
use wsrx_crypto::base64;

/// Digest method of XML-DSig / XML-Enc SHA-1 (the OAEP digest, XML-Enc §5.4.2).
const SHA1_URI: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
/// `wsse:KeyIdentifier/@ValueType` naming an EncryptedKey by the SHA-1 of its octets
/// (WSS 1.1 §7.3).
pub const ENCRYPTED_KEY_SHA1: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKeySHA1";
/// The token type (and `wsse:Reference/@ValueType`) of an `xenc:EncryptedKey` (WSS 1.1 §7.1,
/// `wsse11:TokenType`).
pub const ENCRYPTED_KEY_TOKEN_TYPE: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey";
/// `wsse:KeyIdentifier/@ValueType` of a certificate's subject key identifier (X.509 Token
/// Profile 1.1 §3.2.1).
pub const X509_SKI: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier";
/// Longest CipherValue text accepted (an 8192-bit modulus in base64 with room to spare).
const MAX_CIPHER_TEXT: usize = 4096;

/// How the KeyInfo of an EncryptedKey names the recipient's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientReference {
    /// `wsse:KeyIdentifier` of type `ThumbprintSHA1`: SHA-1 of the certificate's DER.
    Thumbprint([u8; 20]),
    /// `ds:X509Data/ds:X509IssuerSerial`.
    IssuerSerial(X509IssuerSerial),
    /// `wsse:KeyIdentifier` of type `X509SubjectKeyIdentifier`.
    SubjectKeyIdentifier(Vec<u8>),
}

/// Which form of [`RecipientReference`] to write (WS-SP 1.2 §5.4.3 `sp:RequireThumbprintReference`,
/// `sp:RequireIssuerSerialReference`, `sp:RequireKeyIdentifierReference`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CertificateReference {
    /// By thumbprint (the default; what CXF and Metro write).
    #[default]
    Thumbprint,
    /// By issuer and serial number.
    IssuerSerial,
    /// By subject key identifier (the certificate must carry the extension).
    SubjectKeyIdentifier,
}

impl RecipientReference {
    /// The reference of `form` to `cert`.
    ///
    /// # Errors
    /// [`SecurityError::Usage`] for a subject key identifier the certificate lacks.
    pub fn to(cert: &Certificate, form: CertificateReference) -> Result<Self, SecurityError> {
        Ok(match form {
            CertificateReference::Thumbprint => Self::Thumbprint(cert.thumbprint_sha1()),
            CertificateReference::IssuerSerial => Self::IssuerSerial(X509IssuerSerial::of(cert)),
            CertificateReference::SubjectKeyIdentifier => {
                Self::SubjectKeyIdentifier(cert.subject_key_identifier().ok_or(
                    SecurityError::Usage("the certificate has no subject key identifier"),
                )?)
            }
        })
    }

    /// True when the reference names `cert`.
    pub fn names(&self, cert: &Certificate) -> bool {
        match self {
            Self::Thumbprint(t) => *t == cert.thumbprint_sha1(),
            Self::IssuerSerial(is) => is.matches(cert),
            Self::SubjectKeyIdentifier(ski) => {
                cert.subject_key_identifier().is_some_and(|own| own == *ski)
            }
        }
    }

    fn write(&self, out: &mut String) {
        let key_identifier = |out: &mut String, vt: &str, value: &[u8]| {
            out.push_str(&format!(
                "<wsse:SecurityTokenReference xmlns:wsse=\"{WSSE}\"><wsse:KeyIdentifier EncodingType=\"{BASE64_BINARY}\" ValueType=\"{vt}\">{}</wsse:KeyIdentifier></wsse:SecurityTokenReference>",
                base64::encode(value)
            ));
        };
        match self {
            Self::Thumbprint(t) => key_identifier(out, THUMBPRINT_SHA1, t),
            Self::SubjectKeyIdentifier(ski) => key_identifier(out, X509_SKI, ski),
            Self::IssuerSerial(is) => is.write(out),
        }
    }

    fn parse(str_el: Element<'_>) -> Result<Self, SecurityError> {
        if element_children(str_el)?
            .next()
            .is_some_and(|c| c.is(DS, "X509Data"))
        {
            return Ok(Self::IssuerSerial(X509IssuerSerial::parse(str_el)?));
        }
        let TokenReference::KeyIdentifier {
            value_type: Some(vt),
            value,
        } = SecurityTokenReference::parse(str_el)?.reference
        else {
            return Err(SecurityError::TokenUnavailable);
        };
        let bytes =
            base64::decode(&value).ok_or(SecurityError::InvalidToken("bad KeyIdentifier"))?;
        match vt.as_str() {
            THUMBPRINT_SHA1 => <[u8; 20]>::try_from(bytes)
                .map(Self::Thumbprint)
                .map_err(|_| SecurityError::InvalidToken("bad ThumbprintSHA1")),
            X509_SKI if !bytes.is_empty() && bytes.len() <= 64 => {
                Ok(Self::SubjectKeyIdentifier(bytes))
            }
            _ => Err(SecurityError::TokenUnavailable),
        }
    }
}

/// An `xenc:EncryptedKey` carrying a symmetric key for the holder of a certificate (XML-Enc
/// §3.5.1, WSS X.509 Token Profile 1.1; `EncryptedKey::sha1` is the WSS 1.1 §7.3
/// `EncryptedKeySHA1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedKey {
    /// `@Id`, by which derived key tokens reference it in the same message.
    pub id: Option<String>,
    /// The key transport algorithm.
    pub algorithm: KeyTransportAlgorithm,
    /// The recipient's certificate, as the KeyInfo names it.
    pub recipient: RecipientReference,
    /// The `xenc:CipherValue` bytes.
    pub cipher_value: Vec<u8>,
}

impl EncryptedKey {
    /// Encrypts `key` for `recipient` with RSA-OAEP, naming it by thumbprint. The certificate
    /// must already have been validated (for key encipherment where it has a key usage).
    ///
    /// # Errors
    /// [`SecurityError::Local`] without randomness; [`SecurityError::Usage`] for a key too
    /// long for the recipient's modulus.
    pub fn encrypt(
        key: &SecretKey,
        recipient: &Certificate,
        rng: &mut dyn SecureRandom,
    ) -> Result<Self, SecurityError> {
        Self::encrypt_with(
            key,
            recipient,
            KeyTransportAlgorithm::RsaOaepMgf1p,
            CertificateReference::Thumbprint,
            None,
            rng,
        )
    }

    /// Encrypts `key` for `recipient` with `algorithm`, naming the certificate in the
    /// `form` the policy asks for, with `@Id` = `id`.
    ///
    /// # Errors
    /// As [`EncryptedKey::encrypt`]; [`SecurityError::Usage`] for a subject key identifier
    /// the certificate lacks.
    pub fn encrypt_with(
        key: &SecretKey,
        recipient: &Certificate,
        algorithm: KeyTransportAlgorithm,
        form: CertificateReference,
        id: Option<String>,
        rng: &mut dyn SecureRandom,
    ) -> Result<Self, SecurityError> {
        let reference = RecipientReference::to(recipient, form)?;
        let cipher_value = recipient
            .public_key()
            .encrypt_key(algorithm, key, rng)
            .map_err(|e| match e {
                wsrx_crypto::CryptoError::RandomUnavailable => SecurityError::Local,
                _ => SecurityError::Usage("key cannot be transported with this certificate"),
            })?;
        Ok(Self {
            id,
            algorithm,
            recipient: reference,
            cipher_value,
        })
    }

    /// The `EncryptedKeySHA1` of this key: SHA-1 over the octets of the encrypted key
    /// (WSS 1.1 §7.3).
    pub fn sha1(&self) -> [u8; 20] {
        sha1_of(&self.cipher_value)
    }

    /// The `wsse:KeyIdentifier` STR naming this key by [`EncryptedKey::sha1`].
    pub fn sha1_reference(&self) -> SecurityTokenReference {
        SecurityTokenReference {
            reference: TokenReference::KeyIdentifier {
                value_type: Some(ENCRYPTED_KEY_SHA1.to_owned()),
                value: base64::encode(&self.sha1()),
            },
            value_type: None,
            instance: None,
        }
    }

    /// Writes the element (declaring `xenc`, `ds` and `wsse` on itself).
    pub fn write(&self, out: &mut String) {
        out.push_str(&format!("<xenc:EncryptedKey xmlns:xenc=\"{XENC}\""));
        if let Some(id) = &self.id {
            out.push_str(" Id=\"");
            push_attr(out, id);
            out.push('"');
        }
        out.push_str(&format!(
            "><xenc:EncryptionMethod Algorithm=\"{}\">",
            self.algorithm.uri()
        ));
        if self.algorithm == KeyTransportAlgorithm::RsaOaepMgf1p {
            out.push_str(&format!(
                "<ds:DigestMethod xmlns:ds=\"{DS}\" Algorithm=\"{SHA1_URI}\"></ds:DigestMethod>"
            ));
        }
        out.push_str(&format!(
            "</xenc:EncryptionMethod><ds:KeyInfo xmlns:ds=\"{DS}\">"
        ));
        self.recipient.write(out);
        out.push_str(&format!(
            "</ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>",
            base64::encode(&self.cipher_value),
        ));
    }

    /// The element as a string.
    pub fn to_xml(&self) -> String {
        let mut s = String::with_capacity(1024);
        self.write(&mut s);
        s
    }

    /// Parses an `xenc:EncryptedKey` with RSA-OAEP-MGF1P ([`EncryptedKey::parse_allowing`]
    /// with no legacy algorithm).
    ///
    /// # Errors
    /// As [`EncryptedKey::parse_allowing`].
    pub fn parse(e: Element<'_>) -> Result<Self, SecurityError> {
        Self::parse_allowing(e, &[])
    }

    /// Parses an `xenc:EncryptedKey`: EncryptionMethod (RSA-OAEP-MGF1P with an optional SHA-1
    /// DigestMethod and no OAEPparams, or an algorithm of `allowed` such as RSA 1.5 under an
    /// Rsa15 suite), KeyInfo naming a certificate ([`RecipientReference`]), CipherData with a
    /// CipherValue. Other optional children (ReferenceList, CarriedKeyName) are refused.
    ///
    /// # Errors
    /// [`SecurityError::UnsupportedAlgorithm`], [`SecurityError::TokenUnavailable`] for another
    /// form of KeyInfo, [`SecurityError::InvalidSecurity`] for any other shape.
    pub fn parse_allowing(
        e: Element<'_>,
        allowed: &[KeyTransportAlgorithm],
    ) -> Result<Self, SecurityError> {
        let bad = SecurityError::InvalidSecurity;
        if !e.is(XENC, "EncryptedKey") {
            return Err(bad("not an EncryptedKey"));
        }
        let mut children = element_children(e)?;
        let method = children
            .next()
            .filter(|c| c.is(XENC, "EncryptionMethod"))
            .ok_or(bad("EncryptedKey without EncryptionMethod"))?;
        let algorithm = KeyTransportAlgorithm::from_uri_allowing(
            method
                .attribute(None, "Algorithm")
                .ok_or(bad("missing Algorithm"))?,
            allowed,
        )?;
        for p in element_children(method)? {
            if !p.is(DS, "DigestMethod") || p.attribute(None, "Algorithm") != Some(SHA1_URI) {
                return Err(SecurityError::UnsupportedAlgorithm);
            }
        }
        let key_info = children
            .next()
            .filter(|c| c.is(DS, "KeyInfo"))
            .ok_or(SecurityError::TokenUnavailable)?;
        let mut ki = element_children(key_info)?;
        let str_el = ki
            .next()
            .filter(|c| c.is(WSSE, "SecurityTokenReference"))
            .ok_or(SecurityError::TokenUnavailable)?;
        if ki.next().is_some() {
            return Err(bad("KeyInfo with several children"));
        }
        let recipient = RecipientReference::parse(str_el)?;
        let cipher_data = children
            .next()
            .filter(|c| c.is(XENC, "CipherData"))
            .ok_or(bad("EncryptedKey without CipherData"))?;
        if children.next().is_some() {
            return Err(bad("unexpected EncryptedKey child"));
        }
        let mut cd = element_children(cipher_data)?;
        let cv = cd
            .next()
            .filter(|c| c.is(XENC, "CipherValue"))
            .ok_or(bad("CipherData without CipherValue"))?;
        if cd.next().is_some() {
            return Err(bad("unexpected CipherData child"));
        }
        let text = leaf_text(cv)?;
        if text.len() > MAX_CIPHER_TEXT {
            return Err(bad("CipherValue too long"));
        }
        let cipher_value = base64::decode(&text).ok_or(bad("bad CipherValue"))?;
        Ok(Self {
            id: e.attribute(None, "Id").map(str::to_owned),
            algorithm,
            recipient,
            cipher_value,
        })
    }

    /// Decrypts the key with `credential`, whose certificate must be the named recipient.
    ///
    /// # Errors
    /// [`SecurityError::TokenUnavailable`] when the key was encrypted for another certificate;
    /// [`SecurityError::FailedCheck`] for any decryption failure (one opaque error);
    /// [`SecurityError::UnsupportedAlgorithm`] for RSA 1.5, which only
    /// [`EncryptedKey::decrypt_expecting`] decrypts; [`SecurityError::Local`] without randomness.
    pub fn decrypt(
        &self,
        credential: &X509Credential,
        rng: &mut dyn SecureRandom,
    ) -> Result<SecretKey, SecurityError> {
        if !self.recipient.names(&credential.certificate) {
            return Err(SecurityError::TokenUnavailable);
        }
        credential
            .key
            .decrypt_key(self.algorithm, &self.cipher_value, rng)
            .map_err(|e| match e {
                wsrx_crypto::CryptoError::RandomUnavailable => SecurityError::Local,
                wsrx_crypto::CryptoError::UnsupportedAlgorithm => {
                    SecurityError::UnsupportedAlgorithm
                }
                _ => SecurityError::FailedCheck,
            })
    }

    /// Decrypts a key that must be `key_len` bytes long: with RSA 1.5 a malformed plaintext
    /// yields a random key instead of an error (implicit rejection), so the failure shows only
    /// later, as a signature that does not verify.
    ///
    /// # Errors
    /// As [`EncryptedKey::decrypt`].
    pub fn decrypt_expecting(
        &self,
        credential: &X509Credential,
        key_len: usize,
        rng: &mut dyn SecureRandom,
    ) -> Result<SecretKey, SecurityError> {
        if !self.recipient.names(&credential.certificate) {
            return Err(SecurityError::TokenUnavailable);
        }
        credential
            .key
            .decrypt_key_expecting(self.algorithm, &self.cipher_value, key_len, rng)
            .map_err(|e| match e {
                wsrx_crypto::CryptoError::RandomUnavailable => SecurityError::Local,
                _ => SecurityError::FailedCheck,
            })
    }
}

/// SHA-1 of `bytes`.
fn sha1_of(bytes: &[u8]) -> [u8; 20] {
    let d = wsrx_crypto::DigestAlgorithm::Sha1.digest(bytes);
    let mut out = [0u8; 20];
    for (o, b) in out.iter_mut().zip(d.as_bytes()) {
        *o = *b;
    }
    out
}

/// The `EncryptedKeySHA1` of the `xenc:EncryptedKey` element `e` (SHA-1 of its decoded
/// CipherValue), without checking its algorithm or recipient: what key resolution needs to ask
/// the resolver for the key that element carries.
pub(crate) fn sha1_of_element(e: Element<'_>) -> Result<[u8; 20], SecurityError> {
    let ek = EncryptedKey::parse_allowing(e, &[KeyTransportAlgorithm::Rsa15])?;
    Ok(ek.sha1())
}
