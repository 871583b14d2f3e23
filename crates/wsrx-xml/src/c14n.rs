//! Exclusive XML Canonicalization 1.0 (<https://www.w3.org/TR/xml-exc-c14n/>) and
//! Canonical XML 1.0 (inclusive, <https://www.w3.org/TR/2001/REC-xml-c14n-20010315>) of
//! an element subtree or a whole document, streamed into a [`Sink`] such as a digest.
//!
//! Inclusive c14n ([`canonicalize_inclusive`]) differs only where C14N 1.0 says so:
//! - §2.3/§4.7: every namespace node in scope is rendered on the apex element (the
//!   ancestors' declarations included, `xmlns=""` never), and below it each
//!   declaration that changes the value in scope;
//! - §2.4: the `xml:*` attributes (`xml:lang`, `xml:space`, …) of the apex's
//!   ancestors are inherited onto the apex unless it has its own, the nearest wins;
//! - no PrefixList.
//!
//! [`canonicalize_document`] canonicalizes the whole document (the node-set of a
//! same-document `URI=""` reference): comments and PIs outside the document element
//! with the §2.1 line feeds, and an optional subtree left out (enveloped signature).
//!
//! The subtree is the "document subset" made of an element and all its
//! descendants, with or without comments. Rules implemented (section numbers of the
//! exc-c14n Recommendation, which builds on Canonical XML 1.0):
//! - §3 namespace nodes are output only where *visibly utilized* (by the element's
//!   own prefix or an attribute's prefix) and not already rendered with the same
//!   value by an output ancestor; prefixes in the InclusiveNamespaces PrefixList
//!   (`#default` = the default namespace) are rendered as in Canonical XML when in
//!   scope;
//! - §1.1 attributes from the `xml` namespace of ancestors are not inherited;
//! - C14N §2.2 namespace declarations sorted by prefix (default first), then
//!   attributes sorted by namespace URI, then local name, unqualified first;
//! - C14N §2.3 escaping; CDATA sections become text; empty elements are written as
//!   start/end tag pairs; comments kept only in the WithComments variant.
//!
//! The input document is already well-formed and namespace-resolved, so this never
//! fails; it allocates only small scratch vectors and writes through a fixed buffer.

use crate::document::{Attribute, Element, Node, NodeId};
use crate::escape::{escape_attribute, escape_text};

/// Receives canonical bytes, for example a digest or a `Vec<u8>`.
pub trait Sink {
    /// Appends bytes to the canonical output.
    fn write(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn write(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Options of one canonicalization.
#[derive(Debug, Clone, Copy, Default)]
pub struct C14nOptions<'a> {
    /// The `#WithComments` variant.
    pub with_comments: bool,
    /// The InclusiveNamespaces PrefixList as written: whitespace-separated
    /// prefixes, `#default` for the default namespace. Empty for none.
    pub inclusive_prefixes: &'a str,
    /// A subtree left out of the output (the enveloped-signature transform).
    pub exclude: Option<NodeId>,
}

/// Options of one inclusive canonicalization (Canonical XML 1.0).
#[derive(Debug, Clone, Copy, Default)]
pub struct InclusiveC14nOptions {
    /// The `#WithComments` variant.
    pub with_comments: bool,
    /// A subtree left out of the output (the enveloped-signature transform).
    pub exclude: Option<NodeId>,
}

/// The c14n URIs (XML-DSig algorithm identifiers).
pub mod algorithm {
    /// `http://www.w3.org/TR/2001/REC-xml-c14n-20010315` (inclusive, Canonical XML 1.0)
    pub const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
    /// `http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments`
    pub const C14N_WITH_COMMENTS: &str =
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
    /// `http://www.w3.org/2001/10/xml-exc-c14n#`
    pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    /// `http://www.w3.org/2001/10/xml-exc-c14n#WithComments`
    pub const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
}

/// Canonicalizes `element` and its descendants into `sink`.
pub fn canonicalize<'a, S: Sink + ?Sized>(
    element: Element<'a>,
    options: &C14nOptions<'a>,
    sink: &mut S,
) {
    Canonicalizer::new(*options, false, sink).run(element);
}

/// Canonicalizes `element` and its descendants with inclusive Canonical XML 1.0 into
/// `sink` (the document subset made of the subtree; see the module docs).
pub fn canonicalize_inclusive<S: Sink + ?Sized>(
    element: Element<'_>,
    options: &InclusiveC14nOptions,
    sink: &mut S,
) {
    Canonicalizer::new(inclusive_options(options), true, sink).run(element);
}

fn inclusive_options(options: &InclusiveC14nOptions) -> C14nOptions<'static> {
    C14nOptions {
        with_comments: options.with_comments,
        inclusive_prefixes: "",
        exclude: options.exclude,
    }
}

/// Which canonicalization [`canonicalize_document`] applies.
#[derive(Debug, Clone, Copy)]
pub enum C14nMethod<'a> {
    /// Exclusive c14n 1.0.
    Exclusive(C14nOptions<'a>),
    /// Inclusive Canonical XML 1.0.
    Inclusive(InclusiveC14nOptions),
}

/// Canonicalizes the whole document (C14N 1.0 §2.1 document order with the line
/// feeds between the document element and the comments and PIs around it).
pub fn canonicalize_document<S: Sink + ?Sized>(
    document: &crate::Document,
    method: &C14nMethod<'_>,
    sink: &mut S,
) {
    let (options, inclusive) = match method {
        C14nMethod::Exclusive(o) => (*o, false),
        C14nMethod::Inclusive(o) => (inclusive_options(o), true),
    };
    let mut seen_root = false;
    for node in document.top_level() {
        match node {
            Node::Element(e) => {
                Canonicalizer::new(options, inclusive, &mut *sink).run(e);
                seen_root = true;
            }
            Node::Comment(c) if options.with_comments => {
                if seen_root {
                    sink.write(b"\n");
                }
                sink.write(b"<!--");
                sink.write(c.as_bytes());
                sink.write(b"-->");
                if !seen_root {
                    sink.write(b"\n");
                }
            }
            Node::ProcessingInstruction { target, data } => {
                if seen_root {
                    sink.write(b"\n");
                }
                sink.write(b"<?");
                sink.write(target.as_bytes());
                if !data.is_empty() {
                    sink.write(b" ");
                    sink.write(data.as_bytes());
                }
                sink.write(b"?>");
                if !seen_root {
                    sink.write(b"\n");
                }
            }
            _ => {}
        }
    }
}

/// Canonicalizes into a new vector (convenience for tests and tools).
pub fn canonicalize_to_vec(element: Element<'_>, options: &C14nOptions<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(element.span().len());
    canonicalize(element, options, &mut out);
    out
}

const BUFFER: usize = 1024;

/// Batches small writes so that a digest sink sees few, large updates.
struct Buffered<'s, S: Sink + ?Sized> {
    sink: &'s mut S,
    buf: [u8; BUFFER],
    len: usize,
}

impl<S: Sink + ?Sized> Buffered<'_, S> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            if bytes.len() <= 16 {
                // Names and markup are short: an inline loop beats a memcpy call.
                for (d, s) in dst.iter_mut().zip(bytes) {
                    *d = *s;
                }
            } else {
                dst.copy_from_slice(bytes);
            }
            self.len += bytes.len();
            return;
        }
        self.flush();
        if bytes.len() >= BUFFER {
            self.sink.write(bytes);
        } else if let Some(dst) = self.buf.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len = bytes.len();
        }
    }

    fn flush(&mut self) {
        if let Some(pending) = self.buf.get(..self.len)
            && !pending.is_empty()
        {
            self.sink.write(pending);
        }
        self.len = 0;
    }
}

struct Frame<'d> {
    element: Element<'d>,
    end: u32,
    rendered_mark: usize,
}

struct Canonicalizer<'s, 'd, S: Sink + ?Sized> {
    options: C14nOptions<'d>,
    /// Canonical XML 1.0 instead of exclusive c14n.
    inclusive: bool,
    out: Buffered<'s, S>,
    /// Namespace declarations rendered by open output ancestors: (prefix, uri).
    rendered: Vec<(&'d str, &'d str)>,
    stack: Vec<Frame<'d>>,
    ns_scratch: Vec<(&'d str, &'d str)>,
    attr_scratch: Vec<Attribute<'d>>,
}

impl<'s, 'd, S: Sink + ?Sized> Canonicalizer<'s, 'd, S> {
    fn new(options: C14nOptions<'d>, inclusive: bool, sink: &'s mut S) -> Self {
        Self {
            options,
            inclusive,
            out: Buffered {
                sink,
                buf: [0; BUFFER],
                len: 0,
            },
            rendered: Vec::with_capacity(16),
            stack: Vec::with_capacity(16),
            ns_scratch: Vec::with_capacity(8),
            attr_scratch: Vec::with_capacity(8),
        }
    }

    fn run(mut self, apex: Element<'d>) {
        let doc = apex.document();
        let end = apex.end_index();
        let mut i = apex.id().0;
        while i < end {
            self.close_until(i);
            match doc.node_at(i) {
                Node::Element(e) => {
                    if Some(e.id()) == self.options.exclude {
                        i = e.end_index();
                        continue;
                    }
                    self.open(e, e == apex);
                }
                Node::Text(t) => escape_text(t, |b| self.out.put(b)),
                Node::Comment(c) => {
                    if self.options.with_comments {
                        self.out.put(b"<!--");
                        self.out.put(c.as_bytes());
                        self.out.put(b"-->");
                    }
                }
                Node::ProcessingInstruction { target, data } => {
                    self.out.put(b"<?");
                    self.out.put(target.as_bytes());
                    if !data.is_empty() {
                        self.out.put(b" ");
                        self.out.put(data.as_bytes());
                    }
                    self.out.put(b"?>");
                }
            }
            i += 1;
        }
        self.close_until(u32::MAX);
        self.out.flush();
    }

    /// Writes end tags for open elements whose subtree ends at or before node `i`.
    fn close_until(&mut self, i: u32) {
        while let Some(top) = self.stack.last() {
            if i < top.end {
                break;
            }
            let element = top.element;
            self.rendered.truncate(top.rendered_mark);
            self.stack.pop();
            self.out.put(b"</");
            self.out.put(element.qualified_name().as_bytes());
            self.out.put(b">");
        }
    }

    fn open(&mut self, e: Element<'d>, apex: bool) {
        let mark = self.rendered.len();
        if self.inclusive {
            self.collect_inclusive_namespaces(e, apex);
        } else {
            self.collect_namespaces(e);
        }
        self.out.put(b"<");
        self.out.put(e.qualified_name().as_bytes());
        self.ns_scratch.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for k in 0..self.ns_scratch.len() {
            let Some(&(prefix, uri)) = self.ns_scratch.get(k) else {
                break;
            };
            if prefix.is_empty() {
                self.out.put(b" xmlns=\"");
            } else {
                self.out.put(b" xmlns:");
                self.out.put(prefix.as_bytes());
                self.out.put(b"=\"");
            }
            escape_attribute(uri, |b| self.out.put(b));
            self.out.put(b"\"");
            self.rendered.push((prefix, uri));
        }
        self.attr_scratch.clear();
        self.attr_scratch.extend(e.attributes());
        if self.inclusive && apex {
            self.inherit_xml_attributes(e);
        }
        self.attr_scratch.sort_unstable_by(|a, b| {
            (a.namespace().unwrap_or(""), a.local_name())
                .cmp(&(b.namespace().unwrap_or(""), b.local_name()))
        });
        for k in 0..self.attr_scratch.len() {
            let Some(&a) = self.attr_scratch.get(k) else {
                break;
            };
            self.out.put(b" ");
            self.out.put(a.qualified_name().as_bytes());
            self.out.put(b"=\"");
            escape_attribute(a.value(), |b| self.out.put(b));
            self.out.put(b"\"");
        }
        self.out.put(b">");
        self.stack.push(Frame {
            element: e,
            end: e.end_index(),
            rendered_mark: mark,
        });
    }

    /// Fills `ns_scratch` with the namespace declarations `e` must render.
    fn collect_namespaces(&mut self, e: Element<'d>) {
        self.ns_scratch.clear();
        self.consider(e.prefix().unwrap_or(""), e.namespace().unwrap_or(""));
        for a in e.attributes() {
            if let (Some(prefix), Some(uri)) = (a.prefix(), a.namespace())
                && prefix != "xml"
            {
                self.consider(prefix, uri);
            }
        }
        for token in self.options.inclusive_prefixes.split_ascii_whitespace() {
            let prefix = if token == "#default" { "" } else { token };
            if prefix == "xml" {
                continue;
            }
            match e.lookup_namespace((!prefix.is_empty()).then_some(prefix)) {
                Some(uri) => self.consider(prefix, uri),
                None if prefix.is_empty() => self.consider("", ""),
                None => {}
            }
        }
    }

    /// C14N 1.0 §2.3, §4.7: the apex renders every namespace in scope (nearest
    /// declaration per prefix); other elements their own declarations that change the
    /// value in scope (the output ancestors rendered everything in scope).
    fn collect_inclusive_namespaces(&mut self, e: Element<'d>, apex: bool) {
        self.ns_scratch.clear();
        if apex {
            let mut cur = Some(e);
            while let Some(el) = cur {
                for (prefix, uri) in el.namespace_declarations() {
                    let prefix = prefix.unwrap_or("");
                    if prefix != "xml" {
                        // `consider` keeps the first (nearest) declaration of a prefix,
                        // but must not render an undeclared default: remember it as seen.
                        self.consider_scoped(prefix, uri);
                    }
                }
                cur = el.parent();
            }
            self.ns_scratch
                .retain(|(p, u)| !(p.is_empty() && u.is_empty()));
        } else {
            for (prefix, uri) in e.namespace_declarations() {
                let prefix = prefix.unwrap_or("");
                if prefix != "xml" {
                    self.consider(prefix, uri);
                }
            }
        }
    }

    /// Queues a declaration of the apex's scope: the nearest one per prefix, even an
    /// `xmlns=""` (dropped afterwards: nothing rendered, nothing to undeclare).
    fn consider_scoped(&mut self, prefix: &'d str, uri: &'d str) {
        if !self.ns_scratch.iter().any(|(p, _)| *p == prefix) {
            self.ns_scratch.push((prefix, uri));
        }
    }

    /// C14N 1.0 §2.4: `xml:*` attributes of the apex's ancestors that the apex does not
    /// carry itself are output on it; the nearest ancestor's value wins.
    fn inherit_xml_attributes(&mut self, e: Element<'d>) {
        let mut cur = e.parent();
        while let Some(el) = cur {
            for a in el.attributes() {
                if a.namespace() == Some(crate::XML_NS)
                    && !self.attr_scratch.iter().any(|b| {
                        b.namespace() == Some(crate::XML_NS) && b.local_name() == a.local_name()
                    })
                {
                    self.attr_scratch.push(a);
                }
            }
            cur = el.parent();
        }
    }

    /// Queues `xmlns[:prefix]="uri"` unless already queued or rendered with that value.
    fn consider(&mut self, prefix: &'d str, uri: &'d str) {
        if self.ns_scratch.iter().any(|(p, _)| *p == prefix) {
            return;
        }
        let rendered = self
            .rendered
            .iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map(|(_, u)| *u);
        let already = match rendered {
            Some(u) => u == uri,
            // Nothing rendered yet: an empty default namespace needs no declaration.
            None => prefix.is_empty() && uri.is_empty(),
        };
        if !already {
            self.ns_scratch.push((prefix, uri));
        }
    }
}
