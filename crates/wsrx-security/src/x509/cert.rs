//! X.509 certificates and their validation against configured CAs (RFC 5280).
//!
//! Scope, deliberately small: one level of chain, a trusted CA certificate directly signing the
//! end-entity certificate, RSA keys of at least 2048 bits, `sha256WithRSAEncryption` certificate
//! signatures. No intermediates, no revocation (CRL/OCSP), no name constraints or policies. What is
//! checked (RFC 5280 §6.1.3, reduced to a path of length one):
//! - the end-entity's `issuer` equals a trusted CA's `subject` (§4.1.2.4, compared as DER) and the
//!   CA's key verifies the certificate signature over the DER `tbsCertificate` (§4.1.1.3), whose
//!   inner and outer `signature` algorithms are the same (§4.1.1.2);
//! - `now` lies in the validity period of both certificates (§4.1.2.5);
//! - the CA has `basicConstraints cA = TRUE` (§4.2.1.9) and, if it has `keyUsage`,
//!   `keyCertSign` (§4.2.1.3);
//! - the end entity has `keyUsage digitalSignature` for signing or `keyEncipherment` for key
//!   transport, where the extension is present (§4.2.1.3);
//! - the end entity is not a CA (`basicConstraints cA = TRUE`, §4.2.1.9);
//! - no certificate carries a critical extension we do not process (§4.2).

use core::fmt;
use std::time::SystemTime;

use der::{Decode as _, DecodePem as _, Encode as _};
use wsrx_crypto::{DigestAlgorithm, RsaPublicKey, RsaSignatureAlgorithm};
use x509_cert::Certificate as RawCertificate;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};

use crate::error::SecurityError;

/// `sha256WithRSAEncryption` (RFC 4055 §5).
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
/// Extensions we process (and so may be critical): basicConstraints, keyUsage,
/// extendedKeyUsage (ignored for our purpose), subjectKeyIdentifier, authorityKeyIdentifier.
const KNOWN_EXTENSIONS: [&str; 5] = [
    "2.5.29.19",
    "2.5.29.15",
    "2.5.29.37",
    "2.5.29.14",
    "2.5.29.35",
];
/// Largest certificate accepted, in bytes.
pub const MAX_CERTIFICATE_LEN: usize = 16 * 1024;

/// Why a certificate was not accepted. Each maps to a WSS fault through [`SecurityError`]:
/// malformed or unusable ones to `wsse:InvalidSecurityToken`, untrusted ones to
/// `wsse:FailedAuthentication`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not a DER/PEM X.509 certificate, or too large.
    #[error("malformed certificate")]
    Malformed,
    /// The key is not RSA, or is below 2048 bits.
    #[error("unsupported certificate key")]
    UnsupportedKey,
    /// No configured CA issued it (or its signature algorithm is not RSA-SHA256).
    #[error("certificate issuer not trusted")]
    UntrustedIssuer,
    /// The CA's signature over it does not verify.
    #[error("certificate signature invalid")]
    BadSignature,
    /// `now` is before `notBefore`.
    #[error("certificate not yet valid")]
    NotYetValid,
    /// `now` is after `notAfter`.
    #[error("certificate expired")]
    Expired,
    /// The key usage does not allow the operation, or the issuer is not a CA.
    #[error("certificate not allowed for this use")]
    Usage,
    /// A critical extension we do not process.
    #[error("unsupported critical certificate extension")]
    UnknownCriticalExtension,
}

impl From<CertificateError> for SecurityError {
    fn from(e: CertificateError) -> Self {
        match e {
            CertificateError::Malformed => Self::InvalidToken("malformed certificate"),
            CertificateError::UnsupportedKey => Self::InvalidToken("unsupported certificate key"),
            other => Self::FailedAuthentication(other),
        }
    }
}

/// What the end-entity key is about to be used for (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPurpose {
    /// Signing messages (`digitalSignature`).
    Signing,
    /// Receiving transported keys (`keyEncipherment`).
    KeyEncipherment,
}

/// A parsed X.509 v3 certificate with an RSA key.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    raw: RawCertificate,
    key: RsaPublicKey,
    subject: String,
    thumbprint: [u8; 20],
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field(
                "thumbprint_sha1",
                &wsrx_crypto::base64::encode(&self.thumbprint),
            )
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl Certificate {
    /// Parses one DER certificate.
    ///
    /// # Errors
    /// [`CertificateError::Malformed`], or [`CertificateError::UnsupportedKey`] for a key that
    /// is not RSA of 2048 to 8192 bits.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        if der.len() > MAX_CERTIFICATE_LEN {
            return Err(CertificateError::Malformed);
        }
        let raw = RawCertificate::from_der(der).map_err(|_| CertificateError::Malformed)?;
        Self::from_raw(raw, der.to_vec())
    }

    /// Parses one PEM `-----BEGIN CERTIFICATE-----` block.
    ///
    /// # Errors
    /// As [`Certificate::from_der`].
    pub fn from_pem(pem: &str) -> Result<Self, CertificateError> {
        if pem.len() > MAX_CERTIFICATE_LEN * 2 {
            return Err(CertificateError::Malformed);
        }
        let raw =
            RawCertificate::from_pem(pem.as_bytes()).map_err(|_| CertificateError::Malformed)?;
        let der = raw.to_der().map_err(|_| CertificateError::Malformed)?;
        Self::from_raw(raw, der)
    }

    fn from_raw(raw: RawCertificate, der: Vec<u8>) -> Result<Self, CertificateError> {
        let spki = raw
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|_| CertificateError::Malformed)?;
        let key =
            RsaPublicKey::from_spki_der(&spki).map_err(|_| CertificateError::UnsupportedKey)?;
        let subject = raw.tbs_certificate().subject().to_string();
        let thumbprint: [u8; 20] = DigestAlgorithm::Sha1
            .digest(&der)
            .as_bytes()
            .try_into()
            .map_err(|_| CertificateError::Malformed)?;
        Ok(Self {
            der,
            raw,
            key,
            subject,
            thumbprint,
        })
    }

    /// The DER encoding (what a `wsse:BinarySecurityToken` carries, base64-encoded).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The RSA public key.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.key
    }

    /// The subject as an RFC 4514 string, e.g. `CN=client,O=wsrx`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer as an RFC 4514 string.
    pub fn issuer(&self) -> String {
        self.raw.tbs_certificate().issuer().to_string()
    }

    /// The serial number as a decimal string (the `ds:X509SerialNumber` form).
    pub fn serial_decimal(&self) -> String {
        decimal(self.raw.tbs_certificate().serial_number().as_bytes())
    }

    /// SHA-1 of the DER encoding (the WSS 1.1 `ThumbprintSHA1` key identifier).
    pub fn thumbprint_sha1(&self) -> [u8; 20] {
        self.thumbprint
    }

    /// The value of the subjectKeyIdentifier extension (RFC 5280 §4.2.1.2), if the
    /// certificate has one: what a `wsse:KeyIdentifier` of type `X509SubjectKeyIdentifier`
    /// carries (WSS X.509 Token Profile 1.1 §3.2.1).
    pub fn subject_key_identifier(&self) -> Option<Vec<u8>> {
        self.raw
            .tbs_certificate()
            .get_extension::<SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .map(|(_, ski)| ski.0.as_bytes().to_vec())
    }

    /// True when `now` lies in the certificate's validity period (RFC 5280 §4.1.2.5): for a
    /// certificate configured directly (pinned), where no CA validates it.
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        self.check_time(now).is_ok()
    }

    fn is_issued_by_name(&self, ca: &Self) -> bool {
        let issuer = self.raw.tbs_certificate().issuer().to_der();
        let subject = ca.raw.tbs_certificate().subject().to_der();
        matches!((issuer, subject), (Ok(a), Ok(b)) if a == b)
    }

    fn check_time(&self, now: SystemTime) -> Result<(), CertificateError> {
        let validity = self.raw.tbs_certificate().validity();
        if now < validity.not_before.to_system_time() {
            return Err(CertificateError::NotYetValid);
        }
        if now > validity.not_after.to_system_time() {
            return Err(CertificateError::Expired);
        }
        Ok(())
    }

    fn check_critical(&self) -> Result<(), CertificateError> {
        for ext in self
            .raw
            .tbs_certificate()
            .extensions()
            .into_iter()
            .flatten()
        {
            if ext.critical && !KNOWN_EXTENSIONS.contains(&ext.extn_id.to_string().as_str()) {
                return Err(CertificateError::UnknownCriticalExtension);
            }
        }
        Ok(())
    }

    fn key_usage(&self) -> Result<Option<KeyUsage>, CertificateError> {
        self.raw
            .tbs_certificate()
            .get_extension::<KeyUsage>()
            .map(|o| o.map(|(_, ku)| ku))
            .map_err(|_| CertificateError::Malformed)
    }

    fn is_ca(&self) -> Result<bool, CertificateError> {
        let bc = self
            .raw
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .map_err(|_| CertificateError::Malformed)?;
        Ok(bc.is_some_and(|(_, bc)| bc.ca))
    }

    /// Checks the CA's signature on `self` (RFC 5280 §4.1.1.2–§4.1.1.3).
    fn check_signature_by(&self, ca: &Self) -> Result<(), CertificateError> {
        let outer = self.raw.signature_algorithm();
        let inner = self.raw.tbs_certificate().signature();
        if outer != inner || outer.oid.to_string() != SHA256_WITH_RSA {
            return Err(CertificateError::UntrustedIssuer);
        }
        let tbs = self
            .raw
            .tbs_certificate()
            .to_der()
            .map_err(|_| CertificateError::Malformed)?;
        let sig = self
            .raw
            .signature()
            .as_bytes()
            .ok_or(CertificateError::Malformed)?;
        ca.key
            .verify(RsaSignatureAlgorithm::RsaSha256, &tbs, sig)
            .map_err(|_| CertificateError::BadSignature)
    }
}

/// Big-endian unsigned bytes as a decimal string.
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new(); // little-endian base-10 digits
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in &mut digits {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return "0".to_owned();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

/// The CA certificates trusted to issue end-entity certificates, and one-level validation
/// against them (RFC 5280).
///
/// Scope, deliberately small: one level of chain, a trusted CA certificate directly signing the
/// end-entity certificate, RSA keys of at least 2048 bits, `sha256WithRSAEncryption` certificate
/// signatures. No intermediates, no revocation (CRL/OCSP), no name constraints or policies. What is
/// checked (RFC 5280 §6.1.3, reduced to a path of length one):
/// - the end-entity's `issuer` equals a trusted CA's `subject` (§4.1.2.4, compared as DER) and the
///   CA's key verifies the certificate signature over the DER `tbsCertificate` (§4.1.1.3), whose
///   inner and outer `signature` algorithms are the same (§4.1.1.2);
/// - `now` lies in the validity period of both certificates (§4.1.2.5);
/// - the CA has `basicConstraints cA = TRUE` (§4.2.1.9) and, if it has `keyUsage`,
///   `keyCertSign` (§4.2.1.3);
/// - the end entity has `keyUsage digitalSignature` for signing or `keyEncipherment` for key
///   transport, where the extension is present (§4.2.1.3);
/// - the end entity is not a CA (`basicConstraints cA = TRUE` is refused as
///   [`CertificateError::Usage`], §4.2.1.9), so neither a trusted CA nor any other CA
///   certificate can stand as the signer;
/// - no certificate carries a critical extension we do not process (§4.2).
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    cas: Vec<Certificate>,
}

impl TrustStore {
    /// An empty store (trusts nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a CA certificate. It must be a CA (`basicConstraints cA`) with no unknown
    /// critical extension; its validity is checked at each use.
    ///
    /// # Errors
    /// [`CertificateError::Usage`] for a certificate that is not a CA;
    /// [`CertificateError::UnknownCriticalExtension`].
    pub fn add(&mut self, ca: Certificate) -> Result<(), CertificateError> {
        ca.check_critical()?;
        if !ca.is_ca()? || ca.key_usage()?.is_some_and(|ku| !ku.key_cert_sign()) {
            return Err(CertificateError::Usage);
        }
        self.cas.push(ca);
        Ok(())
    }

    /// The trusted CAs.
    pub fn cas(&self) -> &[Certificate] {
        &self.cas
    }

    /// Validates `cert` at `now` for `purpose` (see [`TrustStore`] for the checks).
    ///
    /// # Errors
    /// The first [`CertificateError`] found.
    pub fn validate(
        &self,
        cert: &Certificate,
        now: SystemTime,
        purpose: KeyPurpose,
    ) -> Result<(), CertificateError> {
        cert.check_critical()?;
        let mut result = Err(CertificateError::UntrustedIssuer);
        for ca in self.cas.iter().filter(|ca| cert.is_issued_by_name(ca)) {
            result = cert
                .check_signature_by(ca)
                .and_then(|()| ca.check_time(now));
            if result.is_ok() {
                break;
            }
        }
        result?;
        cert.check_time(now)?;
        // RFC 5280 §4.2.1.9: a CA certificate (a trust anchor included) is not an end entity
        // here; its key signs certificates, not messages.
        if cert.is_ca()? {
            return Err(CertificateError::Usage);
        }
        if let Some(ku) = cert.key_usage()? {
            let ok = match purpose {
                KeyPurpose::Signing => ku.digital_signature(),
                KeyPurpose::KeyEncipherment => ku.key_encipherment(),
            };
            if !ok {
                return Err(CertificateError::Usage);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn serials_in_decimal() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 8]), u64::MAX.to_string());
        assert_eq!(
            decimal(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
            "18446744073709551616"
        );
    }
}
