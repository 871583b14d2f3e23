//! Escaping shared by the writer, the serializer and canonicalization.
//!
//! The rules are those of Canonical XML 1.0 §2.3 (which exclusive c14n reuses);
//! they also make the writer's output round-trip exactly through the reader.

/// Escapes character data: `&` `<` `>` and CR (so that it survives line-end
/// normalization on re-parse).
///
/// This runs on every text node of every signed part, so it searches with SIMD
/// `memchr` rather than testing each byte.
pub(crate) fn escape_text(s: &str, mut emit: impl FnMut(&[u8])) {
    let bytes = s.as_bytes();
    let mut next_cr = memchr::memchr(b'\r', bytes);
    let mut pos = 0;
    loop {
        let rest = bytes.get(pos..).unwrap_or(&[]);
        let markup = memchr::memchr3(b'&', b'<', b'>', rest).map(|i| pos + i);
        let hit = match (markup, next_cr) {
            (Some(m), Some(c)) => Some(m.min(c)),
            (m, c) => m.or(c),
        };
        let Some(hit) = hit else {
            if !rest.is_empty() {
                emit(rest);
            }
            return;
        };
        if let Some(run) = bytes.get(pos..hit).filter(|r| !r.is_empty()) {
            emit(run);
        }
        let replacement: &[u8] = match bytes.get(hit) {
            Some(b'&') => b"&amp;",
            Some(b'<') => b"&lt;",
            Some(b'>') => b"&gt;",
            _ => {
                next_cr =
                    memchr::memchr(b'\r', bytes.get(hit + 1..).unwrap_or(&[])).map(|i| hit + 1 + i);
                b"&#xD;"
            }
        };
        emit(replacement);
        pos = hit + 1;
    }
}

/// Escapes an attribute value delimited by `"`: `&` `<` `"` and TAB, LF, CR (so
/// that attribute-value normalization on re-parse does not alter them).
pub(crate) fn escape_attribute(s: &str, mut emit: impl FnMut(&[u8])) {
    escape(s, &mut emit, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

#[inline]
fn escape(s: &str, emit: &mut impl FnMut(&[u8]), table: impl Fn(u8) -> Option<&'static [u8]>) {
    let bytes = s.as_bytes();
    let mut run_start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if let Some(replacement) = table(*b) {
            if let Some(run) = bytes.get(run_start..i)
                && !run.is_empty()
            {
                emit(run);
            }
            emit(replacement);
            run_start = i + 1;
        }
    }
    if let Some(run) = bytes.get(run_start..)
        && !run.is_empty()
    {
        emit(run);
    }
}

/// Escapes text into a `String`.
pub(crate) fn push_text(out: &mut String, s: &str) {
    escape_text(s, |b| out.push_str(std::str::from_utf8(b).unwrap_or("")));
}

/// Escapes an attribute value into a `String`.
pub(crate) fn push_attribute(out: &mut String, s: &str) {
    escape_attribute(s, |b| out.push_str(std::str::from_utf8(b).unwrap_or("")));
}
