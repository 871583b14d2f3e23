//! Exclusive XML Canonicalization 1.0 (<https://www.w3.org/TR/xml-exc-c14n/>) of an
//! element subtree, streamed into a [`Sink`] such as a digest.
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

/// The exclusive c14n URIs (XML-DSig algorithm identifiers).
pub mod algorithm {
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
    Canonicalizer::new(options, sink).run(element);
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

struct Canonicalizer<'o, 's, 'd, S: Sink + ?Sized> {
    options: &'o C14nOptions<'d>,
    out: Buffered<'s, S>,
    /// Namespace declarations rendered by open output ancestors: (prefix, uri).
    rendered: Vec<(&'d str, &'d str)>,
    stack: Vec<Frame<'d>>,
    ns_scratch: Vec<(&'d str, &'d str)>,
    attr_scratch: Vec<Attribute<'d>>,
}

impl<'o, 's, 'd, S: Sink + ?Sized> Canonicalizer<'o, 's, 'd, S> {
    fn new(options: &'o C14nOptions<'d>, sink: &'s mut S) -> Self {
        Self {
            options,
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
                    self.open(e);
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

    fn open(&mut self, e: Element<'d>) {
        let mark = self.rendered.len();
        self.collect_namespaces(e);
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
