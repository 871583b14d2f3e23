//! A small writer for outgoing XML with namespace management and stable prefixes.

use crate::escape::{push_attribute, push_text};
use thiserror::Error;

/// Misuse of [`XmlWriter`] by the calling code (never caused by a peer).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WriterError {
    /// An attribute or declaration was written after the start tag was closed.
    #[error("attribute or namespace declaration outside a start tag")]
    AttributeOutsideStartTag,
    /// `end` was called with no open element.
    #[error("end() without an open element")]
    UnbalancedEnd,
    /// `finish` was called with elements still open.
    #[error("{0} element(s) left open")]
    Unclosed(usize),
    /// A second document element was started.
    #[error("more than one document element")]
    SecondRoot,
}

struct Open {
    qname: String,
    scope_mark: usize,
}

/// Writes XML text, choosing prefixes from a fixed table so that output is stable
/// and declaring each namespace where it is first needed (or up front with
/// [`XmlWriter::declare`]).
///
/// Misuse does not panic: the first error is kept and returned by
/// [`XmlWriter::finish`].
pub struct XmlWriter {
    out: String,
    open: Vec<Open>,
    /// In-scope bindings, innermost last: (prefix, uri); empty prefix = default.
    scope: Vec<(String, String)>,
    preferred: Vec<(&'static str, &'static str)>,
    in_start_tag: bool,
    root_done: bool,
    generated: usize,
    error: Option<WriterError>,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    /// A writer with no preferred prefixes (generated ones are `ns1`, `ns2`, ...).
    pub fn new() -> Self {
        Self::with_prefixes(&[])
    }

    /// A writer that uses `prefix` for namespace `uri` for each `(uri, prefix)` pair.
    pub fn with_prefixes(preferred: &[(&'static str, &'static str)]) -> Self {
        Self {
            out: String::with_capacity(2048),
            open: Vec::with_capacity(16),
            scope: Vec::with_capacity(16),
            preferred: preferred.to_vec(),
            in_start_tag: false,
            root_done: false,
            generated: 0,
            error: None,
        }
    }

    fn fail(&mut self, e: WriterError) {
        self.error.get_or_insert(e);
    }

    fn close_start_tag(&mut self) {
        if self.in_start_tag {
            self.out.push('>');
            self.in_start_tag = false;
        }
    }

    fn bound(&self, prefix: &str) -> Option<&str> {
        self.scope
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.as_str())
    }

    /// A prefix currently bound to `uri` (and not shadowed), if any.
    fn prefix_for(&self, uri: &str) -> Option<String> {
        if uri == crate::XML_NS {
            // Bound by definition; declaring it would be illegal.
            return Some("xml".to_owned());
        }
        self.scope
            .iter()
            .rev()
            .filter(|(p, u)| u == uri && !p.is_empty())
            .map(|(p, _)| p)
            .find(|p| self.bound(p) == Some(uri))
            .cloned()
    }

    fn choose_prefix(&mut self, uri: &str) -> String {
        if let Some(&(_, p)) = self.preferred.iter().find(|(u, _)| *u == uri)
            && self.bound(p).is_none()
        {
            return p.to_owned();
        }
        loop {
            self.generated += 1;
            let candidate = format!("ns{}", self.generated);
            if self.bound(&candidate).is_none() {
                return candidate;
            }
        }
    }

    fn write_declaration(&mut self, prefix: &str, uri: &str) {
        if prefix.is_empty() {
            self.out.push_str(" xmlns=\"");
        } else {
            self.out.push_str(" xmlns:");
            self.out.push_str(prefix);
            self.out.push_str("=\"");
        }
        push_attribute(&mut self.out, uri);
        self.out.push('"');
        self.scope.push((prefix.to_owned(), uri.to_owned()));
    }

    /// Starts element `local` in namespace `ns` (`None` = no namespace).
    pub fn start(&mut self, ns: Option<&str>, local: &str) -> &mut Self {
        self.close_start_tag();
        if self.open.is_empty() {
            if self.root_done {
                self.fail(WriterError::SecondRoot);
            }
            self.root_done = true;
        }
        let scope_mark = self.scope.len();
        let (prefix, declare) = match ns {
            None => (String::new(), self.bound("").is_some_and(|u| !u.is_empty())),
            Some(uri) => match self.prefix_for(uri) {
                Some(p) => (p, false),
                None => (self.choose_prefix(uri), true),
            },
        };
        let qname = if prefix.is_empty() {
            local.to_owned()
        } else {
            format!("{prefix}:{local}")
        };
        self.out.push('<');
        self.out.push_str(&qname);
        self.in_start_tag = true;
        if declare {
            self.write_declaration(&prefix, ns.unwrap_or(""));
        }
        self.open.push(Open { qname, scope_mark });
        self
    }

    /// Declares `prefix` for `uri` on the element just started (for example every
    /// namespace of an envelope on its root, as WCF does).
    pub fn declare(&mut self, prefix: &str, uri: &str) -> &mut Self {
        if !self.in_start_tag {
            self.fail(WriterError::AttributeOutsideStartTag);
            return self;
        }
        if self.bound(prefix) != Some(uri) {
            self.write_declaration(prefix, uri);
        }
        self
    }

    /// Adds an attribute to the element just started.
    pub fn attr(&mut self, ns: Option<&str>, local: &str, value: &str) -> &mut Self {
        if !self.in_start_tag {
            self.fail(WriterError::AttributeOutsideStartTag);
            return self;
        }
        let prefix = match ns {
            None => String::new(),
            Some(uri) => match self.prefix_for(uri) {
                Some(p) => p,
                None => {
                    let p = self.choose_prefix(uri);
                    self.write_declaration(&p, uri);
                    p
                }
            },
        };
        self.out.push(' ');
        if !prefix.is_empty() {
            self.out.push_str(&prefix);
            self.out.push(':');
        }
        self.out.push_str(local);
        self.out.push_str("=\"");
        push_attribute(&mut self.out, value);
        self.out.push('"');
        self
    }

    /// A `prefix:local` string for a QName-valued attribute or text (a fault code,
    /// say), declaring a prefix for `ns` on the element just started if none is in
    /// scope.
    pub fn qname_value(&mut self, ns: &str, local: &str) -> String {
        if ns.is_empty() {
            // A name in no namespace is written unprefixed; an unprefixed QName value
            // takes the default namespace, so undeclare one that is in scope.
            if self.bound("").is_some_and(|u| !u.is_empty()) {
                if !self.in_start_tag {
                    self.fail(WriterError::AttributeOutsideStartTag);
                }
                self.write_declaration("", "");
            }
            return local.to_owned();
        }
        let prefix = match self.prefix_for(ns) {
            Some(p) => p,
            None => {
                if !self.in_start_tag {
                    self.fail(WriterError::AttributeOutsideStartTag);
                }
                let p = self.choose_prefix(ns);
                self.write_declaration(&p, ns);
                p
            }
        };
        format!("{prefix}:{local}")
    }

    /// Writes character data.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.close_start_tag();
        push_text(&mut self.out, text);
        self
    }

    /// Inserts an already serialized, well-formed fragment that declares every
    /// namespace it uses (for example [`crate::Element::to_xml`] output).
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.close_start_tag();
        self.out.push_str(xml);
        self
    }

    /// Ends the innermost open element (as `<x/>` when it has no content).
    pub fn end(&mut self) -> &mut Self {
        let Some(open) = self.open.pop() else {
            self.fail(WriterError::UnbalancedEnd);
            return self;
        };
        if self.in_start_tag {
            self.out.push_str("/>");
            self.in_start_tag = false;
        } else {
            self.out.push_str("</");
            self.out.push_str(&open.qname);
            self.out.push('>');
        }
        self.scope.truncate(open.scope_mark);
        self
    }

    /// Writes `<local>text</local>` in namespace `ns`.
    pub fn leaf(&mut self, ns: Option<&str>, local: &str, text: &str) -> &mut Self {
        self.start(ns, local).text(text).end()
    }

    /// The finished document text, or the first misuse.
    pub fn finish(self) -> Result<String, WriterError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if !self.open.is_empty() {
            return Err(WriterError::Unclosed(self.open.len()));
        }
        Ok(self.out)
    }
}
