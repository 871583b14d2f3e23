//! Base64 (RFC 4648) for `xs:base64Binary` values: XML whitespace inside a value is
//! allowed (XML Schema §3.2.16), anything else malformed is refused.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `data` with padding.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
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

fn value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes, skipping XML whitespace; `None` for anything malformed.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut count = 0usize;
    let mut pad = 0usize;
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
                acc = (acc << 6) | value(c)?;
                count += 1;
            }
        }
        if count == 4 {
            if pad > 2 {
                return None;
            }
            let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
            let keep = 3usize.checked_sub(pad)?;
            out.extend_from_slice(bytes.get(..keep)?);
            acc = 0;
            count = 0;
            if pad > 0 {
                // Padding ends the value; nothing but whitespace may follow.
                pad = 3;
            }
        }
    }
    if count != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_all_lengths() {
        for len in 0..40u8 {
            let data: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode(&data)).as_deref(), Some(&data[..]));
        }
    }

    #[test]
    fn refuses_malformed() {
        assert!(decode("abc").is_none());
        assert!(decode("ab=c").is_none());
        assert!(decode("a!==").is_none());
        assert!(decode("a===").is_none());
        assert!(decode("YQ==YQ==").is_none());
        assert_eq!(decode(" Y Q\n= =\t").as_deref(), Some(&b"a"[..]));
    }
}
