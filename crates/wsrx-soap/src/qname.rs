//! Namespace-qualified names, as fault subcodes, header names and QName values in element
//! content (Namespaces in XML 1.0 §4). A leaf module: it imports no other module of the
//! crate.

use wsrx_xml::{Element, trim_xml_whitespace};

/// A namespace-qualified name, as used for fault subcodes and header names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QName {
    /// Namespace URI.
    pub namespace: String,
    /// Local name.
    pub local: String,
}

impl QName {
    /// A QName from its parts.
    pub fn new(namespace: &str, local: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            local: local.to_owned(),
        }
    }

    /// The name of `element`.
    pub fn of(element: Element<'_>) -> Self {
        Self::new(element.namespace().unwrap_or(""), element.local_name())
    }

    /// Resolves a `prefix:local` text (a QName in element content) against the
    /// namespaces in scope at `context`.
    pub fn resolve(context: Element<'_>, text: &str) -> Option<Self> {
        let text = trim_xml_whitespace(text);
        let (prefix, local) = match text.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, text),
        };
        if !is_ncname(local) || prefix.is_some_and(|p| !is_ncname(p)) {
            return None;
        }
        let ns = context.lookup_namespace(prefix);
        if prefix.is_some() && ns.is_none() {
            return None;
        }
        Some(Self::new(ns.unwrap_or(""), local))
    }
}

/// Namespaces in XML 1.0 `NCName`, conservatively: a letter or `_` first, then
/// letters, digits, `_`, `-`, `.` (no colon, no whitespace, no markup).
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl std::fmt::Display for QName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{{{}}}{}", self.namespace, self.local)
    }
}
