//! Escaping shared by the writer, the serializer and canonicalization.
//!
//! The rules are those of Canonical XML 1.0 §2.3 (which exclusive c14n reuses);
//! they also make the writer's output round-trip exactly through the reader.

/// Escapes character data: `&` `<` `>` and CR (so that it survives line-end
/// normalization on re-parse).
pub(crate) fn escape_text(s: &str, mut emit: impl FnMut(&[u8])) {
    escape(s, &mut emit, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
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
            if let Some(run) = bytes.get(run_start..i) {
                if !run.is_empty() {
                    emit(run);
                }
            }
            emit(replacement);
            run_start = i + 1;
        }
    }
    if let Some(run) = bytes.get(run_start..) {
        if !run.is_empty() {
            emit(run);
        }
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
