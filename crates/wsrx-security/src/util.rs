//! Small helpers shared by the inbound and outbound paths: digest and MAC sinks for
//! the streaming canonicalizer, canonical escaping, and strict child iteration.

use wsrx_crypto::{Digester, Mac};
use wsrx_xml::{Element, Node, Sink};

use crate::error::SecurityError;

/// Feeds canonical bytes into a digest (no intermediate buffer).
pub(crate) struct DigestSink(pub(crate) Digester);

impl Sink for DigestSink {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Feeds canonical bytes into an HMAC.
pub(crate) struct MacSink(pub(crate) Mac);

impl Sink for MacSink {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Collects canonical bytes (a SignedInfo for RSA, which needs the whole message).
pub(crate) struct VecSink(pub(crate) Vec<u8>);

impl Sink for VecSink {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Appends `text` escaped as C14N §2.3 escapes character content, so that text we
/// write is already canonical.
pub(crate) fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

/// Appends `value` escaped as C14N §2.3 escapes attribute values.
pub(crate) fn push_attr(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

/// Child elements of `e`, refusing non-whitespace character data between them
/// (security structures have element-only content).
pub(crate) fn element_children<'d>(
    e: Element<'d>,
) -> Result<impl Iterator<Item = Element<'d>> + 'd, SecurityError> {
    for n in e.children() {
        if let Node::Text(t) = n
            && !wsrx_xml::trim_xml_whitespace(t).is_empty()
        {
            return Err(SecurityError::InvalidSecurity(
                "text in element-only content",
            ));
        }
    }
    Ok(e.child_elements())
}

/// The trimmed text of a leaf element, refusing child elements.
pub(crate) fn leaf_text(e: Element<'_>) -> Result<std::borrow::Cow<'_, str>, SecurityError> {
    if !e.is_leaf() {
        return Err(SecurityError::InvalidSecurity(
            "element content where text expected",
        ));
    }
    Ok(e.trimmed_text())
}

/// Byte offset just after the `>` that ends the start tag beginning at `start`.
pub(crate) fn start_tag_end(source: &str, start: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut quote = None;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Byte range of the content of element `e` (between its start and end tags); `None`
/// for an empty-element tag.
pub(crate) fn content_range(source: &str, e: Element<'_>) -> Option<std::ops::Range<usize>> {
    let span = e.span();
    let open_end = start_tag_end(source, span.start)?;
    if source.get(..open_end)?.ends_with("/>") {
        return None;
    }
    let close_start = source.get(..span.end)?.rfind("</")?;
    (close_start >= open_end).then_some(open_end..close_start)
}
