//! Owned XML for assertion parameters, and the small helpers that tie parsed
//! elements to [`Location`]s.
//!
//! Policies come from several documents (the WSDL, documents a resolver supplies),
//! so the policy model owns its data: an assertion's parameters are copied out of
//! the parsed [`wsrx_xml::Document`] as [`XmlElement`] trees.

use wsrx_xml::{Document, Element, Node, XML_NS};

use crate::error::{AssertionName, Location};
use crate::ns;

/// An element copied out of a parsed document (comments and processing
/// instructions dropped, text kept).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct XmlElement {
    /// Namespace URI, empty for none.
    pub namespace: String,
    /// Local name.
    pub local: String,
    /// Prefix as written.
    pub prefix: Option<String>,
    /// Attributes (namespace declarations excluded).
    pub attributes: Vec<XmlAttribute>,
    /// Children in document order.
    pub children: Vec<XmlNode>,
    /// Namespace bindings in scope, kept only for elements with character data
    /// (an `sp:XPath` or a QName-valued parameter needs them), innermost first.
    pub scope: Vec<(String, String)>,
}

/// An attribute of an [`XmlElement`] or of an assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct XmlAttribute {
    /// Namespace URI, empty for none.
    pub namespace: String,
    /// Local name.
    pub local: String,
    /// Prefix as written.
    pub prefix: Option<String>,
    /// Normalized value.
    pub value: String,
}

/// A child of an [`XmlElement`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum XmlNode {
    /// An element.
    Element(XmlElement),
    /// Character data.
    Text(String),
}

impl XmlElement {
    /// Copies `element` and its subtree (depth is bounded by the reader's limits).
    pub(crate) fn copy(element: Element<'_>) -> Self {
        let children: Vec<XmlNode> = element
            .children()
            .filter_map(|n| match n {
                Node::Element(e) => Some(XmlNode::Element(Self::copy(e))),
                Node::Text(t) => Some(XmlNode::Text(t.to_owned())),
                _ => None,
            })
            .collect();
        let has_text = children
            .iter()
            .any(|c| matches!(c, XmlNode::Text(t) if !wsrx_xml::trim_xml_whitespace(t).is_empty()));
        Self {
            namespace: element.namespace().unwrap_or("").to_owned(),
            local: element.local_name().to_owned(),
            prefix: element.prefix().map(str::to_owned),
            attributes: copy_attributes(element),
            children,
            scope: if has_text {
                in_scope(element)
            } else {
                Vec::new()
            },
        }
    }

    /// True when this element is `{namespace}local`.
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.namespace == namespace && self.local == local
    }

    /// The value of the attribute `{namespace}local` (`""` = no namespace).
    pub fn attribute(&self, namespace: &str, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace == namespace && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Self> {
        self.children.iter().filter_map(|c| match c {
            XmlNode::Element(e) => Some(e),
            XmlNode::Text(_) => None,
        })
    }

    /// Concatenated character data of the direct children, trimmed of XML whitespace.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            if let XmlNode::Text(t) = c {
                s.push_str(t);
            }
        }
        wsrx_xml::trim_xml_whitespace(&s).to_owned()
    }

    /// The namespace bound to `prefix` (`""` = default) where this element sits.
    pub fn lookup(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.scope
            .iter()
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.as_str())
            .filter(|u| !u.is_empty())
    }

    /// The element's name as a refusal reports it.
    pub fn name(&self) -> AssertionName {
        AssertionName {
            namespace: self.namespace.clone(),
            local: self.local.clone(),
            prefix: self.prefix.clone(),
        }
    }
}

pub(crate) fn copy_attributes(element: Element<'_>) -> Vec<XmlAttribute> {
    element
        .attributes()
        .map(|a| XmlAttribute {
            namespace: a.namespace().unwrap_or("").to_owned(),
            local: a.local_name().to_owned(),
            prefix: a.prefix().map(str::to_owned),
            value: a.value().to_owned(),
        })
        .collect()
}

/// Every binding in scope at `element`, innermost first, each prefix once.
pub(crate) fn in_scope(element: Element<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut cur = Some(element);
    while let Some(e) = cur {
        for (p, uri) in e.namespace_declarations() {
            let p = p.unwrap_or("");
            if !out.iter().any(|(q, _)| q == p) {
                out.push((p.to_owned(), uri.to_owned()));
            }
        }
        cur = e.parent();
    }
    out
}

/// The name of a parsed element as a refusal reports it.
pub(crate) fn element_name(element: Element<'_>) -> AssertionName {
    AssertionName {
        namespace: element.namespace().unwrap_or("").to_owned(),
        local: element.local_name().to_owned(),
        prefix: element.prefix().map(str::to_owned),
    }
}

/// A parsed document with its name and a line index for [`Location`]s.
#[derive(Debug)]
pub(crate) struct SourceDoc {
    pub(crate) name: String,
    pub(crate) doc: Document,
    line_starts: Vec<usize>,
}

impl SourceDoc {
    pub(crate) fn new(name: String, doc: Document) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            doc.source()
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self {
            name,
            doc,
            line_starts,
        }
    }

    /// Line and column (1-based, column in characters) of byte `offset`.
    pub(crate) fn position(&self, offset: usize) -> (u32, u32) {
        line_column(self.doc.source(), &self.line_starts, offset)
    }

    /// Where `element` sits.
    pub(crate) fn location(&self, element: Element<'_>) -> Location {
        let (line, column) = self.position(element.span().start);
        Location {
            source: self.name.clone(),
            line,
            column,
            path: element_path(element),
        }
    }
}

/// Line and column of `offset` in `text`, given the start offsets of its lines.
pub(crate) fn line_column(text: &str, line_starts: &[usize], offset: usize) -> (u32, u32) {
    let line = line_starts.partition_point(|&s| s <= offset).max(1);
    let start = line_starts.get(line - 1).copied().unwrap_or(0);
    let column = text
        .get(start..offset.min(text.len()))
        .map_or(0, |s| s.chars().count());
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column + 1).unwrap_or(u32::MAX),
    )
}

/// Line and column of `offset` in `text` (for reader errors, computed once).
pub(crate) fn text_position(text: &[u8], offset: usize) -> (u32, u32) {
    let upto = text.get(..offset.min(text.len())).unwrap_or(&[]);
    let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(upto.get(start..).unwrap_or(&[]))
        .chars()
        .count()
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// `/a:b/c:d[@wsu:Id='x']/…` from the document element to `element`.
pub(crate) fn element_path(element: Element<'_>) -> String {
    let mut segments: Vec<String> = std::iter::once(element)
        .chain(element.ancestors())
        .map(segment)
        .collect();
    segments.reverse();
    let mut path = String::new();
    for s in segments {
        path.push('/');
        path.push_str(&s);
    }
    path
}

fn segment(element: Element<'_>) -> String {
    let name = element.qualified_name();
    for (ns_uri, local, shown) in [
        (Some(ns::WSU), "Id", "wsu:Id"),
        (Some(XML_NS), "id", "xml:id"),
        (None, "Name", "Name"),
        (None, "name", "name"),
    ] {
        if let Some(v) = element.attribute(ns_uri, local) {
            return format!("{name}[@{shown}='{v}']");
        }
    }
    let Some(parent) = element.parent() else {
        return name.to_owned();
    };
    let same = |e: &Element<'_>| {
        e.local_name() == element.local_name() && e.namespace() == element.namespace()
    };
    let siblings = parent.child_elements().filter(|e| same(e)).count();
    if siblings > 1 {
        let index = parent
            .child_elements()
            .filter(|e| same(e))
            .position(|e| e == element)
            .map_or(0, |i| i + 1);
        format!("{name}[{index}]")
    } else {
        name.to_owned()
    }
}

/// Escapes character data.
pub(crate) fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
}

/// Escapes an attribute value (double-quoted).
pub(crate) fn push_attribute(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "ab\ncdé\nf";
        let starts = [0, 3, 8];
        assert_eq!(line_column(text, &starts, 0), (1, 1));
        assert_eq!(line_column(text, &starts, 4), (2, 2));
        assert_eq!(line_column(text, &starts, 8), (3, 1));
        assert_eq!(text_position(text.as_bytes(), 8), (3, 1));
        assert_eq!(text_position(text.as_bytes(), 7), (2, 4));
    }

    #[test]
    fn paths_name_ids_and_sibling_positions() {
        let doc = Document::parse(
            br#"<r xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><a/><a wsu:Id="x"><b/></a><a/></r>"#,
        )
        .unwrap();
        let paths: Vec<String> = doc.elements().map(element_path).collect();
        assert_eq!(
            paths,
            [
                "/r",
                "/r/a[1]",
                "/r/a[@wsu:Id='x']",
                "/r/a[@wsu:Id='x']/b",
                "/r/a[3]"
            ]
        );
    }
}
