//! Shared test support: the test data folder, a map-backed resolver, envelope builders.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use base64::Engine;
use wsrx_crypto::SecretKey;
use wsrx_security::{KeyResolver, ResolveError, ScVersion, SecurityContextToken};

/// The repository's `testdata/` (known-answer data; a MANIFEST.md per folder).
pub(crate) fn vectors() -> PathBuf {
    wsrx_peers::testdata()
}

/// The gSOAP manifest.
pub(crate) fn gsoap_manifest() -> toml::Value {
    let text = std::fs::read_to_string(vectors().join("gsoap/manifest.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

/// The demo SCT identifier and secret from the gSOAP manifest (never retyped).
pub(crate) fn demo_context() -> (String, Vec<u8>) {
    let m = gsoap_manifest();
    let id = m["sct_identifier"].as_str().unwrap().to_owned();
    let secret = base64::engine::general_purpose::STANDARD
        .decode(m["sct_secret_b64"].as_str().unwrap())
        .unwrap();
    (id, secret)
}

/// Resolver over a fixed map.
#[derive(Default)]
pub(crate) struct MapResolver(pub(crate) HashMap<String, Vec<u8>>);

impl MapResolver {
    pub(crate) fn demo() -> Self {
        let (id, secret) = demo_context();
        Self(HashMap::from([(id, secret)]))
    }
}

impl KeyResolver for MapResolver {
    fn sct_secret(
        &self,
        identifier: &str,
        _instance: Option<&str>,
    ) -> Result<SecretKey, ResolveError> {
        self.0
            .get(identifier)
            .map(|s| SecretKey::from_slice(s))
            .ok_or(ResolveError::Unknown)
    }
}

/// The demo SCT as a token of the given version.
pub(crate) fn demo_token(version: ScVersion) -> (SecurityContextToken, SecretKey) {
    let (id, secret) = demo_context();
    (
        SecurityContextToken {
            version,
            identifier: id,
            instance: None,
            wsu_id: None,
        },
        SecretKey::from_vec(secret),
    )
}

/// Parses an `xs:dateTime` ending in `Z` (test helper; seconds precision).
pub(crate) fn parse_time(text: &str) -> SystemTime {
    let t = text.trim().trim_end_matches('Z');
    let (date, clock) = t.split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let c: Vec<f64> = clock.split(':').map(|x| x.parse().unwrap()).collect();
    let (y, m, day) = (d[0], d[1], d[2]);
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days as f64 * 86400.0 + c[0] * 3600.0 + c[1] * 60.0 + c[2];
    SystemTime::UNIX_EPOCH + std::time::Duration::from_millis((secs * 1000.0) as u64)
}

/// The text of the first `<wsu:Created>` in a message.
pub(crate) fn created_of(xml: &str) -> SystemTime {
    let start = xml.find("Created>").unwrap() + "Created>".len();
    let end = start + xml[start..].find('<').unwrap();
    parse_time(&xml[start..end])
}

/// An unsigned SOAP 1.2 RM application message with WS-A headers carrying wsu:Ids
/// (ReplyTo without one, so the signer adds it).
pub(crate) fn unsigned_message(body_text: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:r="http://docs.oasis-open.org/ws-rx/wsrm/200702" xmlns:u="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
  <s:Header>
    <a:Action s:mustUnderstand="1" u:Id="_1">urn:example:echo/Echo</a:Action>
    <a:MessageID u:Id="_2">urn:uuid:0b0b0b0b-1111-2222-3333-444444444444</a:MessageID>
    <a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>
    <a:To s:mustUnderstand="1" u:Id="_3">http://127.0.0.1:8089/echo</a:To>
    <r:Sequence s:mustUnderstand="1" u:Id="_4"><r:Identifier>urn:uuid:5e0f0000-aaaa-bbbb-cccc-dddddddddddd</r:Identifier><r:MessageNumber>1</r:MessageNumber></r:Sequence>
    <r:AckRequested u:Id="_5"><r:Identifier>urn:uuid:5e0f0000-aaaa-bbbb-cccc-dddddddddddd</r:Identifier></r:AckRequested>
  </s:Header>
  <s:Body u:Id="_6"><ns:echo xmlns:ns="urn:example:echo"><ns:text>{body_text}</ns:text></ns:echo></s:Body>
</s:Envelope>"#
    )
}
