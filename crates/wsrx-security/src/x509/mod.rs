//! X.509 tokens for the bootstrap of the token service (WSS X.509 Token Profile 1.1).
//!
//! - [`Certificate`] and [`TrustStore`]: parsing and one-level validation against configured
//!   CAs (RFC 5280; [`TrustStore`] says exactly what is checked).
//! - Outbound, [`X509Signer`]: a `wsse:BinarySecurityToken` (§3.1: ValueType `#X509v3`,
//!   EncodingType `#Base64Binary`, `wsu:Id`) and an RSA-SHA256 `ds:Signature` over Body,
//!   Timestamp and the WS-A / WS-RM headers, KeyInfo = STR `wsse:Reference` to the token (§3.2).
//! - Inbound: [`crate::Verifier::with_x509_signatures`] verifies such signatures and records
//!   them apart ([`crate::verify::X509SignatureRecord`]); [`crate::Policy::check_x509`] then
//!   requires the parts and validates the certificate at `now`.
//! - [`EncryptedKey`]: `xenc:EncryptedKey` with RSA-OAEP-MGF1P (XML-Enc §5.4.2) for a
//!   recipient's certificate, named by a `wsse:KeyIdentifier` of type `ThumbprintSHA1`
//!   (WSS X.509 Token Profile 1.1 §3.2.1 / WSS 1.1 §7.3), and its decryption.
//!
//! - [`X509IssuerSerial`]: the `ds:X509IssuerSerial` STR form (§3.2.3), accepted in a
//!   signature's KeyInfo for certificates configured with
//!   [`crate::Verifier::with_x509_certificates`].
//!
//! Not here: certificate chains longer than one, revocation, PKCS#7 or PKIPath
//! token types, RSA-SHA1 or RSA-1_5, encrypting message parts under an EncryptedKey.

mod cert;
mod issuer_serial;

use std::time::{Duration, SystemTime};

use wsrx_crypto::{
    KeyTransportAlgorithm, RsaPrivateKey, RsaSignatureAlgorithm, SecretKey, SecureRandom,
};
use wsrx_soap::Envelope;
use wsrx_xml::{Document, Element, NodeId};

pub use cert::{Certificate, CertificateError, KeyPurpose, MAX_CERTIFICATE_LEN, TrustStore};
pub use issuer_serial::X509IssuerSerial;

use crate::error::SecurityError;
use crate::ids::IdIndex;
use crate::ns::{DS, EXC_C14N, WSSE, WSU, XENC};
use crate::sign::{TS_ID, splice};
use crate::token::{SecurityTokenReference, TokenReference};
use crate::util::{element_children, leaf_text, push_attr};
use wsrx_crypto::base64;

/// `wsse:BinarySecurityToken/@ValueType` of a single X.509 v3 certificate (§3.1).
pub const X509V3_VALUE_TYPE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
/// `@EncodingType` Base64Binary (WSS 1.1 §6.2).
pub const BASE64_BINARY: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
/// `wsse:KeyIdentifier/@ValueType` of a certificate's SHA-1 thumbprint (WSS 1.1 §7.3).
pub const THUMBPRINT_SHA1: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1";
/// The `wsu:Id` of the BinarySecurityToken we write.
pub const BST_ID: &str = "wsrx-bst";
/// Digest method of XML-DSig / XML-Enc SHA-1 (the OAEP digest, XML-Enc §5.4.2).
const SHA1_URI: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// A certificate and its private key: what a requester signs with and decrypts with.
/// `Debug` shows the certificate subject only; the key is wiped on drop.
#[derive(Debug)]
pub struct X509Credential {
    certificate: Certificate,
    key: RsaPrivateKey,
}

impl X509Credential {
    /// Pairs `certificate` with `key`.
    ///
    /// # Errors
    /// [`SecurityError::Usage`] when the key is not the certificate's.
    pub fn new(certificate: Certificate, key: RsaPrivateKey) -> Result<Self, SecurityError> {
        if key.public_key() != certificate.public_key() {
            return Err(SecurityError::Usage(
                "private key does not match the certificate",
            ));
        }
        Ok(Self { certificate, key })
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The private key (for signing and decryption inside wsrx; never log it).
    pub fn private_key(&self) -> &RsaPrivateKey {
        &self.key
    }
}

/// Parses a `wsse:BinarySecurityToken` holding one X.509 v3 certificate (§3.1).
pub(crate) fn parse_bst(e: Element<'_>) -> Result<Certificate, SecurityError> {
    if e.attribute(None, "ValueType") != Some(X509V3_VALUE_TYPE) {
        return Err(SecurityError::InvalidToken(
            "unsupported BinarySecurityToken type",
        ));
    }
    if e.attribute(None, "EncodingType")
        .is_some_and(|t| t != BASE64_BINARY)
    {
        return Err(SecurityError::InvalidToken("unsupported EncodingType"));
    }
    let text = leaf_text(e)?;
    if text.len() > MAX_CERTIFICATE_LEN * 2 {
        return Err(SecurityError::InvalidToken("certificate too large"));
    }
    let der = base64::decode(&text).ok_or(SecurityError::InvalidToken("bad base64"))?;
    Ok(Certificate::from_der(&der)?)
}

/// The certificate a signature's KeyInfo references: a local STR to a BinarySecurityToken in
/// the processed header, declared before the signature (WS-SP Strict layout), or an
/// [`X509IssuerSerial`] STR naming exactly one of the `configured` certificates (X.509 Token
/// Profile 1.1 §3.2.3). Returns the token's node (the STR for the issuer-serial form).
pub(crate) fn key_info_certificate<'d>(
    key_info: Element<'d>,
    user: Element<'d>,
    security: Element<'d>,
    ids: &IdIndex<'d>,
    configured: &[Certificate],
) -> Result<(NodeId, Certificate), SecurityError> {
    let mut ki = element_children(key_info)?;
    if let Some(str_el) = ki.next().filter(|c| c.is(WSSE, "SecurityTokenReference"))
        && element_children(str_el)?
            .next()
            .is_some_and(|c| c.is(DS, "X509Data"))
    {
        if ki.next().is_some() {
            return Err(SecurityError::InvalidSecurity(
                "KeyInfo with several children",
            ));
        }
        let reference = X509IssuerSerial::parse(str_el)?;
        let cert = reference
            .resolve(configured)
            .ok_or(SecurityError::TokenUnavailable)?;
        return Ok((str_el.id(), cert.clone()));
    }
    let str_ref = crate::keys::key_info_reference(key_info)?;
    let TokenReference::Local(id) = &str_ref.reference else {
        return Err(SecurityError::TokenUnavailable);
    };
    if str_ref
        .value_type
        .as_deref()
        .is_some_and(|vt| vt != X509V3_VALUE_TYPE)
    {
        return Err(SecurityError::InvalidToken("STR ValueType mismatch"));
    }
    let token = ids
        .fragment(&format!("#{id}"))
        .filter(|t| t.is(WSSE, "BinarySecurityToken"))
        .ok_or(SecurityError::TokenUnavailable)?;
    if token.parent() != Some(security) || token.id() >= user.id() {
        return Err(SecurityError::TokenUnavailable);
    }
    Ok((token.id(), parse_bst(token)?))
}

/// How [`X509Signer`] secures a message.
#[derive(Debug, Clone)]
pub struct X509SignConfig {
    /// Timestamp lifetime: Expires = Created + ttl (default 5 minutes).
    pub ttl: Duration,
    /// Name the certificate by issuer and serial number ([`X509IssuerSerial`], §3.2.3)
    /// instead of sending it in a BinarySecurityToken (default false); for peers that
    /// have the certificate configured.
    pub issuer_serial: bool,
}

impl Default for X509SignConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            issuer_serial: false,
        }
    }
}

/// Signs outbound envelopes with an X.509 credential ([module docs](self)).
#[derive(Debug)]
pub struct X509Signer<'a> {
    credential: &'a X509Credential,
    config: X509SignConfig,
}

impl<'a> X509Signer<'a> {
    /// A signer with `credential`.
    pub fn new(credential: &'a X509Credential, config: X509SignConfig) -> Self {
        Self { credential, config }
    }

    /// Returns `doc` (an unsigned SOAP envelope) with a `wsse:Security` header
    /// (mustUnderstand): Timestamp (Created = `now`), BinarySecurityToken, and an RSA-SHA256
    /// Signature with SHA-256 digests over Timestamp, Body and every WS-A and WS-RM header.
    ///
    /// # Errors
    /// [`SecurityError::Usage`] if `doc` is not an envelope, is already secured, or uses a
    /// reserved id; [`SecurityError::Local`] without randomness.
    pub fn secure(
        &self,
        doc: &Document,
        now: SystemTime,
        rng: &mut dyn SecureRandom,
    ) -> Result<String, SecurityError> {
        let signed = crate::protection::Parts::body_and_addressing_and_rm_headers();
        crate::sign::prepared(doc, &[TS_ID, BST_ID], &signed, false, |doc, env| {
            self.secure_parsed(doc, env, now, rng)
        })
    }

    fn secure_parsed(
        &self,
        doc: &Document,
        env: &Envelope<'_>,
        now: SystemTime,
        rng: &mut dyn SecureRandom,
    ) -> Result<String, SecurityError> {
        let digest = wsrx_crypto::DigestAlgorithm::Sha256;
        let (timestamp, references) = crate::sign::timestamp_and_references(
            env,
            now,
            self.config.ttl,
            digest,
            &crate::protection::Parts::body_and_addressing_and_rm_headers(),
        )?;
        let algorithm = RsaSignatureAlgorithm::RsaSha256;
        let mut signed_info = String::with_capacity(256 + references.len() * 320);
        signed_info.push_str(&format!(
            "<ds:SignedInfo xmlns:ds=\"{DS}\"><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{}\"></ds:SignatureMethod>",
            algorithm.uri()
        ));
        for (id, value) in &references {
            signed_info.push_str("<ds:Reference URI=\"#");
            push_attr(&mut signed_info, id);
            signed_info.push_str(&format!(
                "\"><ds:Transforms><ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{}\"></ds:DigestMethod><ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
                digest.uri(),
                base64::encode(value)
            ));
        }
        signed_info.push_str("</ds:SignedInfo>");
        let value = self
            .credential
            .key
            .sign(algorithm, signed_info.as_bytes(), rng)
            .map_err(|e| match e {
                wsrx_crypto::CryptoError::RandomUnavailable => SecurityError::Local,
                _ => SecurityError::Usage("signing failed"),
            })?;

        let soap = env.version();
        let cert = base64::encode(self.credential.certificate.der());
        let mut security = String::with_capacity(4096 + signed_info.len() + cert.len());
        security.push_str(&format!(
            "<wsse:Security xmlns:wsse=\"{WSSE}\" xmlns:wsrxenv=\"{}\" wsrxenv:mustUnderstand=\"{}\">",
            soap.namespace(),
            soap.must_understand_true()
        ));
        security.push_str(&timestamp);
        if !self.config.issuer_serial {
            security.push_str(&format!(
                "<wsse:BinarySecurityToken xmlns:wsu=\"{WSU}\" wsu:Id=\"{BST_ID}\" ValueType=\"{X509V3_VALUE_TYPE}\" EncodingType=\"{BASE64_BINARY}\">{cert}</wsse:BinarySecurityToken>"
            ));
        }
        security.push_str(&format!("<ds:Signature xmlns:ds=\"{DS}\">"));
        security.push_str(&signed_info);
        security.push_str(&format!(
            "<ds:SignatureValue>{}</ds:SignatureValue><ds:KeyInfo>",
            base64::encode(&value)
        ));
        if self.config.issuer_serial {
            X509IssuerSerial::of(&self.credential.certificate).write(&mut security);
        } else {
            security.push_str(&format!(
                "<wsse:SecurityTokenReference><wsse:Reference URI=\"#{BST_ID}\" ValueType=\"{X509V3_VALUE_TYPE}\"></wsse:Reference></wsse:SecurityTokenReference>"
            ));
        }
        security.push_str("</ds:KeyInfo></ds:Signature></wsse:Security>");
        splice(doc.source(), env, &security, Vec::new())
    }
}

/// An `xenc:EncryptedKey` carrying a symmetric key for the holder of a certificate
/// (XML-Enc §3.5.1, RSA-OAEP-MGF1P key transport §5.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedKey {
    /// The key transport algorithm.
    pub algorithm: KeyTransportAlgorithm,
    /// SHA-1 thumbprint of the recipient's certificate (the KeyInfo key identifier).
    pub recipient_thumbprint: [u8; 20],
    /// The `xenc:CipherValue` bytes.
    pub cipher_value: Vec<u8>,
}

impl EncryptedKey {
    /// Encrypts `key` for `recipient`, whose certificate must already have been validated
    /// (for [`KeyPurpose::KeyEncipherment`] where it has a key usage).
    ///
    /// # Errors
    /// [`SecurityError::Local`] without randomness; [`SecurityError::Usage`] for a key too
    /// long for the recipient's modulus.
    pub fn encrypt(
        key: &SecretKey,
        recipient: &Certificate,
        rng: &mut dyn SecureRandom,
    ) -> Result<Self, SecurityError> {
        let algorithm = KeyTransportAlgorithm::RsaOaepMgf1p;
        let cipher_value = recipient
            .public_key()
            .encrypt_key(algorithm, key, rng)
            .map_err(|e| match e {
                wsrx_crypto::CryptoError::RandomUnavailable => SecurityError::Local,
                _ => SecurityError::Usage("key cannot be transported with this certificate"),
            })?;
        Ok(Self {
            algorithm,
            recipient_thumbprint: recipient.thumbprint_sha1(),
            cipher_value,
        })
    }

    /// Writes the element (declaring `xenc`, `ds` and `wsse` on itself).
    pub fn write(&self, out: &mut String) {
        out.push_str(&format!(
            "<xenc:EncryptedKey xmlns:xenc=\"{XENC}\"><xenc:EncryptionMethod Algorithm=\"{}\"><ds:DigestMethod xmlns:ds=\"{DS}\" Algorithm=\"{SHA1_URI}\"></ds:DigestMethod></xenc:EncryptionMethod><ds:KeyInfo xmlns:ds=\"{DS}\"><wsse:SecurityTokenReference xmlns:wsse=\"{WSSE}\"><wsse:KeyIdentifier ValueType=\"{THUMBPRINT_SHA1}\" EncodingType=\"{BASE64_BINARY}\">{}</wsse:KeyIdentifier></wsse:SecurityTokenReference></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>",
            self.algorithm.uri(),
            base64::encode(&self.recipient_thumbprint),
            base64::encode(&self.cipher_value),
        ));
    }

    /// The element as a string.
    pub fn to_xml(&self) -> String {
        let mut s = String::with_capacity(1024);
        self.write(&mut s);
        s
    }

    /// Parses an `xenc:EncryptedKey`: EncryptionMethod (RSA-OAEP-MGF1P, optional SHA-1
    /// DigestMethod, no OAEPparams), KeyInfo with a ThumbprintSHA1 key identifier, CipherData
    /// with a CipherValue. Other optional children (ReferenceList, CarriedKeyName) are refused.
    ///
    /// # Errors
    /// [`SecurityError::UnsupportedAlgorithm`], [`SecurityError::TokenUnavailable`] for another
    /// form of KeyInfo, [`SecurityError::InvalidSecurity`] for any other shape.
    pub fn parse(e: Element<'_>) -> Result<Self, SecurityError> {
        let bad = SecurityError::InvalidSecurity;
        if !e.is(XENC, "EncryptedKey") {
            return Err(bad("not an EncryptedKey"));
        }
        let mut children = element_children(e)?;
        let method = children
            .next()
            .filter(|c| c.is(XENC, "EncryptionMethod"))
            .ok_or(bad("EncryptedKey without EncryptionMethod"))?;
        let algorithm = KeyTransportAlgorithm::from_uri(
            method
                .attribute(None, "Algorithm")
                .ok_or(bad("missing Algorithm"))?,
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
        let recipient_thumbprint = match SecurityTokenReference::parse(str_el)?.reference {
            TokenReference::KeyIdentifier {
                value_type: Some(vt),
                value,
            } if vt == THUMBPRINT_SHA1 => base64::decode(&value)
                .and_then(|v| <[u8; 20]>::try_from(v).ok())
                .ok_or(SecurityError::InvalidToken("bad ThumbprintSHA1"))?,
            _ => return Err(SecurityError::TokenUnavailable),
        };
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
        if text.len() > 4096 {
            return Err(bad("CipherValue too long"));
        }
        let cipher_value = base64::decode(&text).ok_or(bad("bad CipherValue"))?;
        Ok(Self {
            algorithm,
            recipient_thumbprint,
            cipher_value,
        })
    }

    /// Decrypts the key with `credential`, whose certificate must be the named recipient.
    ///
    /// # Errors
    /// [`SecurityError::TokenUnavailable`] when the key was encrypted for another certificate;
    /// [`SecurityError::FailedCheck`] for any decryption failure (one opaque error);
    /// [`SecurityError::Local`] without randomness.
    pub fn decrypt(
        &self,
        credential: &X509Credential,
        rng: &mut dyn SecureRandom,
    ) -> Result<SecretKey, SecurityError> {
        if self.recipient_thumbprint != credential.certificate.thumbprint_sha1() {
            return Err(SecurityError::TokenUnavailable);
        }
        credential
            .key
            .decrypt_key(self.algorithm, &self.cipher_value, rng)
            .map_err(|e| match e {
                wsrx_crypto::CryptoError::RandomUnavailable => SecurityError::Local,
                _ => SecurityError::FailedCheck,
            })
    }
}
