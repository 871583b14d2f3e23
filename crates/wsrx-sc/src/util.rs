//! Small helpers: base64 for `xs:base64Binary`, `urn:uuid:` identifiers from the
//! injected random source, and strict text reading.

use wsrx_crypto::SecureRandom;
use wsrx_xml::Element;

/// Base64 (RFC 4648) as the rest of the workspace writes and reads it.
pub(crate) use wsrx_crypto::base64::{decode as b64_decode, encode as b64_encode};

pub(crate) fn new_uuid_urn<R: SecureRandom + ?Sized>(
    rng: &mut R,
) -> Result<String, wsrx_crypto::CryptoError> {
    let mut b = [0u8; 16];
    rng.fill_nonce(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let part = |r: std::ops::Range<usize>| hex.get(r).unwrap_or("");
    Ok(format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    ))
}

/// The trimmed text of a leaf element, `None` if it has child elements.
pub(crate) fn leaf(e: Element<'_>) -> Option<String> {
    e.is_leaf().then(|| e.trimmed_text().into_owned())
}

/// Child elements of `e`, `None` if non-whitespace text sits between them.
pub(crate) fn element_children<'d>(
    e: Element<'d>,
) -> Option<impl Iterator<Item = Element<'d>> + 'd> {
    let text_free = e.children().all(|n| match n {
        wsrx_xml::Node::Text(t) => wsrx_xml::trim_xml_whitespace(t).is_empty(),
        _ => true,
    });
    text_free.then(|| e.child_elements())
}

/// Writes a `wsu:Timestamp` at the writer's position (WSS 1.1 §10).
pub(crate) fn write_timestamp(
    w: &mut wsrx_xml::XmlWriter,
    now: std::time::SystemTime,
    ttl: std::time::Duration,
) {
    w.start(Some(crate::dialect::WSU), "Timestamp")
        .attr(Some(crate::dialect::WSU), "Id", "wsrx-ts")
        .leaf(
            Some(crate::dialect::WSU),
            "Created",
            &wsrx_security::format_datetime(now),
        )
        .leaf(
            Some(crate::dialect::WSU),
            "Expires",
            &wsrx_security::format_datetime(now + ttl),
        )
        .end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsrx_crypto::InsecureSeededRandom;

    #[test]
    fn base64_round_trips_and_refuses_malformed() {
        for len in 0..40u8 {
            let data: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(b64_decode(&b64_encode(&data)).as_deref(), Some(&data[..]));
        }
        for bad in ["abc", "ab=c", "a===", "YQ==YQ=="] {
            assert!(b64_decode(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn uuids_are_version_4_and_differ() {
        let mut rng = InsecureSeededRandom::from_seed(1);
        let a = new_uuid_urn(&mut rng).unwrap();
        let b = new_uuid_urn(&mut rng).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), "urn:uuid:".len() + 36);
        assert_eq!(a.as_bytes()["urn:uuid:".len() + 14], b'4');
        assert!(matches!(
            a.as_bytes()["urn:uuid:".len() + 19],
            b'8' | b'9' | b'a' | b'b'
        ));
    }
}
