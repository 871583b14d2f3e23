//! The compact document model produced by the reader.
//!
//! Nodes live in one arena in document order, so an element's descendants are
//! the contiguous index range after it; views ([`Element`], [`Node`]) are `Copy`
//! handles borrowing the [`Document`]. Strings are byte ranges into the copied
//! source text when they needed no decoding, or into a side buffer otherwise.

use std::borrow::Cow;
use std::ops::Range;

use crate::XML_NS;

/// Sentinel for "no node" in parent links.
pub(crate) const NO_NODE: u32 = u32::MAX;
/// High bit of [`Str::off`]: the string lives in the decoded-text buffer.
const DECODED: u32 = 1 << 31;

/// A string stored in a [`Document`]: a range of the source or of the decoded buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Str {
    off: u32,
    len: u32,
}

impl Str {
    pub(crate) const EMPTY: Self = Self { off: 0, len: 0 };

    pub(crate) fn source(range: Range<usize>) -> Self {
        // The parser refuses documents of 2 GiB or more, so these casts are lossless.
        Self {
            off: range.start as u32,
            len: (range.end - range.start) as u32,
        }
    }

    pub(crate) fn decoded(range: Range<usize>) -> Self {
        Self {
            off: range.start as u32 | DECODED,
            len: (range.end - range.start) as u32,
        }
    }

    pub(crate) fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The source range from the start of `prefix` (or of `local` when there is no
    /// prefix) to the end of `local`: the qualified name as written. Names are
    /// never decoded, so both always lie in the source.
    pub(crate) fn qname_span(prefix: Self, local: Self) -> Self {
        let start = if prefix.is_empty() {
            local.off
        } else {
            prefix.off
        };
        Self {
            off: start,
            len: local.off + local.len - start,
        }
    }

    /// The XML namespace URI, bound to `xml` by definition and not present in the source.
    pub(crate) const XML_NS: Self = Self {
        off: u32::MAX,
        len: XML_NS.len() as u32,
    };

    pub(crate) fn resolve<'t>(self, source: &'t str, decoded: &'t str) -> &'t str {
        if self == Self::XML_NS {
            return XML_NS;
        }
        let (text, off) = if self.off & DECODED != 0 {
            (decoded, (self.off & !DECODED) as usize)
        } else {
            (source, self.off as usize)
        };
        text.get(off..off + self.len as usize).unwrap_or("")
    }
}

/// Opaque, stable identity of a node in its document: its position in document
/// order. The security layer records which elements a signature covered by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// Position of the node in document order (0 = the first node).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ElementRec {
    pub(crate) prefix: Str,
    pub(crate) local: Str,
    /// Resolved namespace URI; empty = no namespace.
    pub(crate) ns: Str,
    /// One past the last node of this element's subtree.
    pub(crate) end: u32,
    pub(crate) attrs: Range<u32>,
    pub(crate) ns_decls: Range<u32>,
    pub(crate) span: Range<u32>,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Element(ElementRec),
    Text(Str),
    Comment(Str),
    Pi { target: Str, data: Str },
}

#[derive(Debug, Clone)]
pub(crate) struct NodeRec {
    pub(crate) parent: u32,
    pub(crate) kind: NodeKind,
}

#[derive(Debug, Clone)]
pub(crate) struct AttrRec {
    pub(crate) prefix: Str,
    pub(crate) local: Str,
    pub(crate) ns: Str,
    pub(crate) value: Str,
}

#[derive(Debug, Clone)]
pub(crate) struct NsDeclRec {
    /// Empty = the default namespace.
    pub(crate) prefix: Str,
    /// Empty = undeclaration of the default namespace (`xmlns=""`).
    pub(crate) uri: Str,
}

/// A parsed, namespace-resolved, well-formed XML document.
///
/// Built by [`Document::parse`]; immutable afterwards.
#[derive(Debug, Clone)]
pub struct Document {
    pub(crate) source: Box<str>,
    pub(crate) decoded: String,
    pub(crate) nodes: Vec<NodeRec>,
    pub(crate) attrs: Vec<AttrRec>,
    pub(crate) ns_decls: Vec<NsDeclRec>,
    pub(crate) root: u32,
}

impl Document {
    pub(crate) fn str(&self, s: Str) -> &str {
        s.resolve(&self.source, &self.decoded)
    }

    /// The document element.
    pub fn root(&self) -> Element<'_> {
        Element {
            doc: self,
            id: self.root,
            rec: self.element_rec(self.root),
        }
    }

    /// The source text the document was parsed from (after UTF-8 validation and
    /// BOM removal; byte spans refer to it).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Number of nodes in the document.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The node with this id, if it exists.
    pub fn node(&self, id: NodeId) -> Option<Node<'_>> {
        self.nodes.get(id.index()).map(|_| self.node_at(id.0))
    }

    /// The element with this id, if the id names an element.
    pub fn element(&self, id: NodeId) -> Option<Element<'_>> {
        match self.node(id)? {
            Node::Element(e) => Some(e),
            _ => None,
        }
    }

    /// Every node before and after the document element (comments and PIs) and
    /// the document element itself, in document order.
    pub fn top_level(&self) -> impl Iterator<Item = Node<'_>> + '_ {
        let mut i = 0u32;
        std::iter::from_fn(move || {
            while (i as usize) < self.nodes.len() {
                let id = i;
                let rec = self.nodes.get(id as usize)?;
                i = match &rec.kind {
                    NodeKind::Element(e) => e.end,
                    _ => i + 1,
                };
                if rec.parent == NO_NODE {
                    return Some(self.node_at(id));
                }
            }
            None
        })
    }

    /// Every element of the document in document order.
    pub fn elements(&self) -> impl Iterator<Item = Element<'_>> + '_ {
        self.root().descendants_or_self()
    }

    fn element_rec(&self, id: u32) -> &ElementRec {
        match self.nodes.get(id as usize).map(|n| &n.kind) {
            Some(NodeKind::Element(e)) => e,
            // Ids handed to this function always name elements (checked by callers);
            // fall back to a harmless empty record rather than panicking.
            _ => &EMPTY_ELEMENT,
        }
    }

    pub(crate) fn node_at(&self, id: u32) -> Node<'_> {
        match self.nodes.get(id as usize).map(|n| &n.kind) {
            Some(NodeKind::Element(rec)) => Node::Element(Element { doc: self, id, rec }),
            Some(NodeKind::Text(s)) => Node::Text(self.str(*s)),
            Some(NodeKind::Comment(s)) => Node::Comment(self.str(*s)),
            Some(NodeKind::Pi { target, data }) => Node::ProcessingInstruction {
                target: self.str(*target),
                data: self.str(*data),
            },
            None => Node::Text(""),
        }
    }
}

static EMPTY_ELEMENT: ElementRec = ElementRec {
    prefix: Str::EMPTY,
    local: Str::EMPTY,
    ns: Str::EMPTY,
    end: 0,
    attrs: 0..0,
    ns_decls: 0..0,
    span: 0..0,
};

/// A node of the document.
#[derive(Debug, Clone, Copy)]
pub enum Node<'d> {
    /// An element.
    Element(Element<'d>),
    /// Character data (text or a CDATA section), with entities and line ends decoded.
    Text(&'d str),
    /// A comment's content.
    Comment(&'d str),
    /// A processing instruction.
    ProcessingInstruction {
        /// Its target.
        target: &'d str,
        /// Its data (possibly empty).
        data: &'d str,
    },
}

impl<'d> Node<'d> {
    /// The element, if this node is one.
    pub fn as_element(self) -> Option<Element<'d>> {
        match self {
            Self::Element(e) => Some(e),
            _ => None,
        }
    }
}

/// A handle to an element of a [`Document`].
#[derive(Clone, Copy)]
pub struct Element<'d> {
    pub(crate) doc: &'d Document,
    pub(crate) id: u32,
    pub(crate) rec: &'d ElementRec,
}

impl std::fmt::Debug for Element<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Element({{{}}}{} #{})",
            self.namespace().unwrap_or(""),
            self.local_name(),
            self.id
        )
    }
}

impl PartialEq for Element<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id == other.id
    }
}

impl Eq for Element<'_> {}

impl<'d> Element<'d> {
    /// This element's identity in the document.
    pub fn id(self) -> NodeId {
        NodeId(self.id)
    }

    /// The document this element belongs to.
    pub fn document(self) -> &'d Document {
        self.doc
    }

    /// Local part of the element name.
    pub fn local_name(self) -> &'d str {
        self.doc.str(self.rec.local)
    }

    /// The prefix as written, if any.
    pub fn prefix(self) -> Option<&'d str> {
        (!self.rec.prefix.is_empty()).then(|| self.doc.str(self.rec.prefix))
    }

    /// The namespace URI, if the element is in a namespace.
    pub fn namespace(self) -> Option<&'d str> {
        (!self.rec.ns.is_empty()).then(|| self.doc.str(self.rec.ns))
    }

    /// True when the element has this namespace URI and local name.
    pub fn is(self, namespace: &str, local_name: &str) -> bool {
        self.local_name() == local_name && self.doc.str(self.rec.ns) == namespace
    }

    /// The name as written (`prefix:local` or `local`).
    pub fn qualified_name(self) -> &'d str {
        self.doc
            .str(Str::qname_span(self.rec.prefix, self.rec.local))
    }

    /// Byte range of the whole element (start tag to end tag) in [`Document::source`].
    pub fn span(self) -> Range<usize> {
        self.rec.span.start as usize..self.rec.span.end as usize
    }

    /// The parent element, or `None` for the document element.
    pub fn parent(self) -> Option<Self> {
        let p = self.doc.nodes.get(self.id as usize)?.parent;
        if p == NO_NODE {
            None
        } else {
            self.doc.node_at(p).as_element()
        }
    }

    /// Ancestors from the parent up to the document element.
    pub fn ancestors(self) -> impl Iterator<Item = Self> + 'd {
        std::iter::successors(self.parent(), |e| e.parent())
    }

    /// Depth of this element: 1 for the document element.
    pub fn depth(self) -> usize {
        1 + self.ancestors().count()
    }

    /// True when `self` is `other` or one of its descendants.
    pub fn is_within(self, other: Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id >= other.id && self.id < other.rec.end
    }

    /// Attributes (not namespace declarations), in document order.
    pub fn attributes(self) -> impl ExactSizeIterator<Item = Attribute<'d>> + 'd {
        let doc = self.doc;
        let range = self.rec.attrs.start as usize..self.rec.attrs.end as usize;
        doc.attrs
            .get(range)
            .unwrap_or(&[])
            .iter()
            .map(move |rec| Attribute { doc, rec })
    }

    /// The value of the attribute with this namespace (`None` = no namespace) and local name.
    pub fn attribute(self, namespace: Option<&str>, local_name: &str) -> Option<&'d str> {
        let ns = namespace.unwrap_or("");
        self.attributes()
            .find(|a| a.local_name() == local_name && self.doc.str(a.rec.ns) == ns)
            .map(|a| a.value())
    }

    /// Namespace declarations made on this element: `(prefix, uri)`, with `None` for
    /// the default namespace and an empty URI for `xmlns=""`.
    pub fn namespace_declarations(
        self,
    ) -> impl ExactSizeIterator<Item = (Option<&'d str>, &'d str)> + 'd {
        let doc = self.doc;
        let range = self.rec.ns_decls.start as usize..self.rec.ns_decls.end as usize;
        doc.ns_decls.get(range).unwrap_or(&[]).iter().map(move |d| {
            (
                (!d.prefix.is_empty()).then(|| doc.str(d.prefix)),
                doc.str(d.uri),
            )
        })
    }

    /// The namespace URI bound to `prefix` (`None` = the default namespace) in scope
    /// at this element. `xml` is always bound; an undeclared default gives `None`.
    pub fn lookup_namespace(self, prefix: Option<&str>) -> Option<&'d str> {
        if prefix == Some("xml") {
            return Some(XML_NS);
        }
        let wanted = prefix.unwrap_or("");
        let mut cur = Some(self);
        while let Some(e) = cur {
            for (p, uri) in e.namespace_declarations() {
                if p.unwrap_or("") == wanted {
                    return (!uri.is_empty()).then_some(uri);
                }
            }
            cur = e.parent();
        }
        None
    }

    /// All children, in document order.
    pub fn children(self) -> impl Iterator<Item = Node<'d>> + 'd {
        let doc = self.doc;
        let end = self.rec.end;
        let mut i = self.id + 1;
        std::iter::from_fn(move || {
            if i >= end {
                return None;
            }
            let id = i;
            i = match doc.nodes.get(id as usize).map(|n| &n.kind) {
                Some(NodeKind::Element(e)) => e.end,
                Some(_) => i + 1,
                None => end,
            };
            Some(doc.node_at(id))
        })
    }

    /// Child elements, in document order.
    pub fn child_elements(self) -> impl Iterator<Item = Self> + 'd {
        self.children().filter_map(Node::as_element)
    }

    /// The first child element with this namespace and local name.
    pub fn child(self, namespace: &str, local_name: &str) -> Option<Self> {
        self.child_elements().find(|e| e.is(namespace, local_name))
    }

    /// This element and all elements below it, in document order.
    pub fn descendants_or_self(self) -> impl Iterator<Item = Self> + 'd {
        let doc = self.doc;
        (self.id..self.rec.end).filter_map(move |i| doc.node_at(i).as_element())
    }

    /// All nodes below this element, in document order.
    pub fn descendant_nodes(self) -> impl Iterator<Item = Node<'d>> + 'd {
        let doc = self.doc;
        (self.id + 1..self.rec.end).map(move |i| doc.node_at(i))
    }

    /// True when the element has no child elements.
    pub fn is_leaf(self) -> bool {
        self.child_elements().next().is_none()
    }

    /// The concatenated character data of the element's text children (not of
    /// descendants). Borrowed when there is at most one text child.
    pub fn text(self) -> Cow<'d, str> {
        let mut texts = self.children().filter_map(|n| match n {
            Node::Text(t) => Some(t),
            _ => None,
        });
        let Some(first) = texts.next() else {
            return Cow::Borrowed("");
        };
        match texts.next() {
            None => Cow::Borrowed(first),
            Some(second) => {
                let mut s = String::from(first);
                s.push_str(second);
                texts.for_each(|t| s.push_str(t));
                Cow::Owned(s)
            }
        }
    }

    /// [`Self::text`] with leading and trailing XML whitespace removed, as schema
    /// types with `whiteSpace="collapse"` (URIs, numbers, booleans) are read.
    pub fn trimmed_text(self) -> Cow<'d, str> {
        match self.text() {
            Cow::Borrowed(s) => Cow::Borrowed(trim_xml_whitespace(s)),
            Cow::Owned(s) => Cow::Owned(trim_xml_whitespace(&s).to_owned()),
        }
    }

    pub(crate) fn end_index(self) -> u32 {
        self.rec.end
    }
}

/// Removes leading and trailing XML whitespace (space, tab, CR, LF).
pub fn trim_xml_whitespace(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// A handle to an attribute of an [`Element`].
#[derive(Clone, Copy)]
pub struct Attribute<'d> {
    pub(crate) doc: &'d Document,
    pub(crate) rec: &'d AttrRec,
}

impl std::fmt::Debug for Attribute<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Attribute({{{}}}{}={:?})",
            self.namespace().unwrap_or(""),
            self.local_name(),
            self.value()
        )
    }
}

impl<'d> Attribute<'d> {
    /// Local part of the attribute name.
    pub fn local_name(self) -> &'d str {
        self.doc.str(self.rec.local)
    }

    /// The prefix as written, if any.
    pub fn prefix(self) -> Option<&'d str> {
        (!self.rec.prefix.is_empty()).then(|| self.doc.str(self.rec.prefix))
    }

    /// The namespace URI; unprefixed attributes are in no namespace.
    pub fn namespace(self) -> Option<&'d str> {
        (!self.rec.ns.is_empty()).then(|| self.doc.str(self.rec.ns))
    }

    /// The normalized value (entities decoded, whitespace normalized per XML 1.0 §3.3.3).
    pub fn value(self) -> &'d str {
        self.doc.str(self.rec.value)
    }

    /// The name as written (`prefix:local` or `local`).
    pub fn qualified_name(self) -> &'d str {
        self.doc
            .str(Str::qname_span(self.rec.prefix, self.rec.local))
    }

    /// True when the attribute has this namespace (`None` = none) and local name.
    pub fn is(self, namespace: Option<&str>, local_name: &str) -> bool {
        self.local_name() == local_name && self.doc.str(self.rec.ns) == namespace.unwrap_or("")
    }
}
