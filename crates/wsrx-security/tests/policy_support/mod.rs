//! Support for the protection-policy tests: a self-contained security context (no shared
//! vectors), a SOAP 1.2 request with WS-A headers, an application header and a Body with
//! nested elements, and `secure`/`open` under a [`ProtectionPolicy`].
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::unwrap_used,
    clippy::unwrap_in_result,
    reason = "test support: a malformed fixture is a test failure"
)]

use std::time::{Duration, SystemTime};

use wsrx_crypto::{InsecureSeededRandom, SecretKey};
use wsrx_security::{
    ElementPath, HeaderName, HeaderSelector, KeyResolver, Opened, ProtectionPolicy, ResolveError,
    ScVersion, SecurityContextToken, SecurityError, Signer, Verifier, VerifyConfig,
};
use wsrx_xml::Document;

pub(crate) const APP: &str = "urn:example:order";
pub(crate) const S12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub(crate) const IDENTIFIER: &str = "urn:uuid:9b3c7c1e-0d2f-4a55-8e3b-policy0000001";
pub(crate) const SECRET: [u8; 32] = [0x2b; 32];
/// A second context with a 128-bit secret.
pub(crate) const SHORT_IDENTIFIER: &str = "urn:uuid:9b3c7c1e-0d2f-4a55-8e3b-policy0000002";
pub(crate) const SHORT_SECRET: [u8; 16] = [0x3c; 16];
pub(crate) const CARD: &str = "4111-1111-1111-1111";
pub(crate) const HEADER_TEXT: &str = "route-secret";

pub(crate) fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// One SCT, known by its identifier.
pub(crate) struct OneContext;

impl KeyResolver for OneContext {
    fn sct_secret(&self, identifier: &str, _: Option<&str>) -> Result<SecretKey, ResolveError> {
        match identifier {
            IDENTIFIER => Ok(SecretKey::from_slice(&SECRET)),
            SHORT_IDENTIFIER => Ok(SecretKey::from_slice(&SHORT_SECRET)),
            _ => Err(ResolveError::Unknown),
        }
    }
}

pub(crate) fn token(version: ScVersion) -> (SecurityContextToken, SecretKey) {
    (
        SecurityContextToken {
            version,
            identifier: IDENTIFIER.to_owned(),
            instance: None,
            wsu_id: None,
        },
        SecretKey::from_slice(&SECRET),
    )
}

/// A SOAP 1.2 request: WS-A To/Action/MessageID (with ids), an `o:Route` header
/// (mustUnderstand, no id) and a Body holding an order with two cards.
pub(crate) fn request() -> String {
    format!(
        r#"<s:Envelope xmlns:s="{S12}" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:u="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><s:Header><a:Action s:mustUnderstand="1" u:Id="_1">urn:example:order/Place</a:Action><a:MessageID u:Id="_2">urn:uuid:00000000-1111-2222-3333-444444444444</a:MessageID><a:To s:mustUnderstand="1" u:Id="_3">http://127.0.0.1:8089/order</a:To><o:Route xmlns:o="{APP}" s:mustUnderstand="1">{HEADER_TEXT}</o:Route></s:Header><s:Body u:Id="_4"><o:Order xmlns:o="{APP}"><o:Card><o:Number>{CARD}</o:Number></o:Card><o:Card><o:Number>5500-0000</o:Number></o:Card><o:Note>leave at door</o:Note></o:Order></s:Body></s:Envelope>"#
    )
}

pub(crate) fn route_header() -> HeaderSelector {
    HeaderSelector::Named(HeaderName::new(APP, "Route"))
}

pub(crate) fn cards() -> ElementPath {
    ElementPath::anywhere(APP, "Card")
}

/// `request()` secured as `policy` says.
pub(crate) fn secure(policy: &ProtectionPolicy, seed: u64) -> Result<String, SecurityError> {
    secure_as(policy, ScVersion::V200512, seed)
}

pub(crate) fn secure_as(
    policy: &ProtectionPolicy,
    version: ScVersion,
    seed: u64,
) -> Result<String, SecurityError> {
    let (token, secret) = token(version);
    let doc = Document::parse(request().as_bytes()).unwrap();
    let mut rng = InsecureSeededRandom::from_seed(seed);
    Signer::with_policy(&token, &secret, policy).secure(&doc, now(), &mut rng)
}

/// `request()` secured with the 128-bit context.
pub(crate) fn secure_short(policy: &ProtectionPolicy, seed: u64) -> Result<String, SecurityError> {
    let token = SecurityContextToken {
        version: ScVersion::V200512,
        identifier: SHORT_IDENTIFIER.to_owned(),
        instance: None,
        wsu_id: None,
    };
    let secret = SecretKey::from_slice(&SHORT_SECRET);
    let doc = Document::parse(request().as_bytes()).unwrap();
    let mut rng = InsecureSeededRandom::from_seed(seed);
    Signer::with_policy(&token, &secret, policy).secure(&doc, now(), &mut rng)
}

/// What the receiver read from an accepted message.
#[derive(Debug)]
pub(crate) struct Read {
    pub(crate) body_was_encrypted: bool,
    pub(crate) decrypted_headers: usize,
    pub(crate) decrypted_elements: usize,
    pub(crate) decrypted_signatures: usize,
    pub(crate) route: String,
    pub(crate) card: String,
    pub(crate) signer: Option<String>,
}

/// Opens `xml` under `policy` (default verifier).
pub(crate) fn open(xml: &str, policy: &ProtectionPolicy) -> Result<Read, SecurityError> {
    open_with(xml, policy, &Verifier::default())
}

/// Opens `xml` under `policy` without the verifier's own Timestamp requirement (so that the
/// policy's IncludeTimestamp rule is the one that decides).
pub(crate) fn open_lenient(xml: &str, policy: &ProtectionPolicy) -> Result<Read, SecurityError> {
    let verifier = Verifier::new(VerifyConfig {
        require_timestamp: false,
        ..VerifyConfig::default()
    });
    open_with(xml, policy, &verifier)
}

pub(crate) fn open_with(
    xml: &str,
    policy: &ProtectionPolicy,
    verifier: &Verifier,
) -> Result<Read, SecurityError> {
    let doc = Document::parse(xml.as_bytes()).map_err(|_| SecurityError::FailedCheck)?;
    let opened: Opened<'_> = policy.open(&doc, &OneContext, now(), verifier, None)?;
    let text_of = |local: &str| {
        opened
            .document()
            .elements()
            .find(|e| e.is(APP, local))
            .map(|e| e.text().into_owned())
            .unwrap_or_default()
    };
    let d = opened.decryption();
    Ok(Read {
        body_was_encrypted: d.is_some_and(|d| d.body_was_encrypted()),
        decrypted_headers: d.map_or(0, |d| d.decrypted_headers().len()),
        decrypted_elements: d.map_or(0, |d| d.decrypted_elements().len()),
        decrypted_signatures: d.map_or(0, |d| d.decrypted_signatures().len()),
        route: text_of("Route"),
        card: text_of("Number"),
        signer: opened.signer().map(|k| k.sct_identifier.clone()),
    })
}

/// The element children of the security header, by local name, in order.
pub(crate) fn header_layout(xml: &str) -> Vec<String> {
    let doc = Document::parse(xml.as_bytes()).unwrap();
    let security = doc
        .elements()
        .find(|e| e.local_name() == "Security")
        .unwrap();
    security
        .child_elements()
        .map(|c| c.local_name().to_owned())
        .collect()
}
