//! Small helpers: base64 for `xs:base64Binary`, `urn:uuid:` identifiers from the
//! injected random source, and strict text reading.

use wsrx_crypto::SecureRandom;
use wsrx_xml::Element;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 (RFC 4648) with padding.
pub(crate) fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        for i in 0..4usize {
            if i <= chunk.len() {
                let idx = ((n >> (18 - 6 * i)) & 63) as usize;
                out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes base64, skipping XML whitespace (XML Schema §3.2.16); `None` if malformed.
pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut count, mut pad) = (0u32, 0usize, 0usize);
    for &c in text.as_bytes() {
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => continue,
            b'=' => {
                pad += 1;
                acc <<= 6;
                count += 1;
            }
            _ => {
                if pad > 0 {
                    return None;
                }
                acc = (acc << 6) | b64_value(c)?;
                count += 1;
            }
        }
        if count == 4 {
            if pad > 2 {
                return None;
            }
            let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
            out.extend_from_slice(bytes.get(..3usize.checked_sub(pad)?)?);
            acc = 0;
            count = 0;
            if pad > 0 {
                pad = 3;
            }
        }
    }
    (count == 0).then_some(out)
}

/// A fresh `urn:uuid:` identifier (RFC 9562 version 4) from the wire-visible stream.
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
