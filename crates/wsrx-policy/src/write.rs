//! Writes a policy in normal form as XML (WS-Policy 1.5 §4.1), in the WS-Policy
//! namespace of the input, keeping each assertion's prefix where it does not clash.

use crate::normal::{Alternative, Assertion, NormalPolicy};
use crate::ns;
use crate::xml::{XmlAttribute, XmlElement, XmlNode, push_attribute, push_text};

impl NormalPolicy {
    /// The normal form as an indented XML document
    /// (`wsp:Policy/wsp:ExactlyOne/wsp:All*`, nested policies likewise).
    pub fn to_xml(&self) -> String {
        let mut w = Writer {
            out: String::new(),
            scope: Vec::new(),
            generated: 0,
            wsp: self.version.namespace(),
        };
        w.open_wsp("Policy", 0, true);
        w.line_end();
        w.exactly_one(&self.alternatives, 1);
        w.close("wsp:Policy", 0, true);
        w.scope.clear();
        w.out
    }
}

struct Writer {
    out: String,
    /// In-scope bindings (prefix, uri, depth of the declaring element).
    scope: Vec<(String, String, usize)>,
    generated: usize,
    wsp: &'static str,
}

impl Writer {
    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn line_end(&mut self) {
        self.out.push('\n');
    }

    fn bound(&self, prefix: &str) -> Option<&str> {
        self.scope
            .iter()
            .rev()
            .find(|(p, _, _)| p == prefix)
            .map(|(_, u, _)| u.as_str())
    }

    fn pop_scope(&mut self, depth: usize) {
        while self.scope.last().is_some_and(|(_, _, d)| *d >= depth) {
            self.scope.pop();
        }
    }

    /// The prefix to use for `uri` (declaring it on the current start tag if needed):
    /// `wanted` when free or already bound to `uri`, else one bound to `uri`, else a
    /// new one.
    fn prefix(
        &mut self,
        uri: &str,
        wanted: Option<&str>,
        depth: usize,
        decls: &mut String,
    ) -> String {
        if let Some(w) = wanted.filter(|w| !w.is_empty()) {
            match self.bound(w) {
                Some(u) if u == uri => return w.to_owned(),
                None => {
                    self.declare(w, uri, depth, decls);
                    return w.to_owned();
                }
                Some(_) => {}
            }
        }
        let existing = self
            .scope
            .iter()
            .rev()
            .find(|(p, u, _)| u == uri && !p.is_empty())
            .map(|(p, _, _)| p.clone())
            .filter(|p| self.bound(p) == Some(uri));
        if let Some(p) = existing {
            return p;
        }
        let base = ns::conventional_prefix(uri).unwrap_or("ns");
        let mut candidate = base.to_owned();
        while self.bound(&candidate).is_some() {
            self.generated += 1;
            candidate = format!("{base}{}", self.generated);
        }
        self.declare(&candidate, uri, depth, decls);
        candidate
    }

    fn declare(&mut self, prefix: &str, uri: &str, depth: usize, decls: &mut String) {
        if prefix.is_empty() {
            decls.push_str(" xmlns=\"");
        } else {
            decls.push_str(" xmlns:");
            decls.push_str(prefix);
            decls.push_str("=\"");
        }
        push_attribute(decls, uri);
        decls.push('"');
        self.scope.push((prefix.to_owned(), uri.to_owned(), depth));
    }

    fn open_wsp(&mut self, local: &str, depth: usize, indent: bool) {
        if indent {
            self.indent(depth);
        }
        let mut decls = String::new();
        let p = self.prefix(self.wsp, Some("wsp"), depth, &mut decls);
        self.out.push('<');
        self.out.push_str(&p);
        self.out.push(':');
        self.out.push_str(local);
        self.out.push_str(&decls);
        self.out.push('>');
    }

    fn close(&mut self, qname: &str, depth: usize, indent: bool) {
        if indent {
            self.indent(depth);
        }
        self.out.push_str("</");
        self.out.push_str(qname);
        self.out.push('>');
        self.line_end();
        self.pop_scope(depth);
    }

    fn wsp_name(&self, local: &str) -> String {
        let p = self
            .scope
            .iter()
            .rev()
            .find(|(_, u, _)| u == self.wsp)
            .map_or("wsp", |(p, _, _)| p.as_str());
        format!("{p}:{local}")
    }

    fn exactly_one(&mut self, alternatives: &[Alternative], depth: usize) {
        let name = self.wsp_name("ExactlyOne");
        if alternatives.is_empty() {
            self.indent(depth);
            self.out.push_str(&format!("<{name}/>"));
            self.line_end();
            return;
        }
        self.indent(depth);
        self.out.push_str(&format!("<{name}>"));
        self.line_end();
        for alternative in alternatives {
            self.all(alternative, depth + 1);
        }
        self.indent(depth);
        self.out.push_str(&format!("</{name}>"));
        self.line_end();
    }

    fn all(&mut self, alternative: &Alternative, depth: usize) {
        let name = self.wsp_name("All");
        self.indent(depth);
        if alternative.assertions.is_empty() {
            self.out.push_str(&format!("<{name}/>"));
            self.line_end();
            return;
        }
        self.out.push_str(&format!("<{name}>"));
        self.line_end();
        for a in &alternative.assertions {
            self.assertion(a, depth + 1);
        }
        self.indent(depth);
        self.out.push_str(&format!("</{name}>"));
        self.line_end();
    }

    fn start_tag(
        &mut self,
        namespace: &str,
        local: &str,
        prefix: Option<&str>,
        attributes: &[XmlAttribute],
        depth: usize,
    ) -> String {
        let mut decls = String::new();
        let qname = if namespace.is_empty() {
            if self.bound("").is_some_and(|u| !u.is_empty()) {
                self.declare("", "", depth, &mut decls);
            }
            local.to_owned()
        } else {
            let p = self.prefix(namespace, prefix.or(Some("")), depth, &mut decls);
            if p.is_empty() {
                local.to_owned()
            } else {
                format!("{p}:{local}")
            }
        };
        let mut attrs = String::new();
        for a in attributes {
            attrs.push(' ');
            if !a.namespace.is_empty() {
                let wanted = a.prefix.as_deref().filter(|p| !p.is_empty());
                let mut p = self.prefix(&a.namespace, wanted, depth, &mut decls);
                if p.is_empty() {
                    p = self.prefix(&a.namespace, None, depth, &mut decls);
                }
                attrs.push_str(&p);
                attrs.push(':');
            }
            attrs.push_str(&a.local);
            attrs.push_str("=\"");
            push_attribute(&mut attrs, &a.value);
            attrs.push('"');
        }
        self.out.push('<');
        self.out.push_str(&qname);
        self.out.push_str(&decls);
        self.out.push_str(&attrs);
        qname
    }

    fn assertion(&mut self, a: &Assertion, depth: usize) {
        self.indent(depth);
        let mut attributes = a.attributes.clone();
        if a.ignorable {
            let ns = match self.wsp {
                ns::WSP12 => ns::WSP15,
                other => other,
            };
            attributes.push(XmlAttribute {
                namespace: ns.to_owned(),
                local: "Ignorable".to_owned(),
                prefix: Some(if ns == self.wsp { "wsp" } else { "wsp15" }.to_owned()),
                value: "true".to_owned(),
            });
        }
        let qname = self.start_tag(
            &a.name.namespace,
            &a.name.local,
            a.name.prefix.as_deref(),
            &attributes,
            depth,
        );
        let params: Vec<&XmlNode> = a
            .parameters
            .iter()
            .filter(
                |p| !matches!(p, XmlNode::Text(t) if wsrx_xml::trim_xml_whitespace(t).is_empty()),
            )
            .collect();
        if params.is_empty() && a.nested.is_none() {
            self.out.push_str("/>");
            self.line_end();
            self.pop_scope(depth);
            return;
        }
        self.out.push('>');
        self.line_end();
        let mut index = 0;
        for (i, p) in a.parameters.iter().enumerate() {
            if i == a.nested_position {
                self.nested(a, depth + 1);
                index = usize::MAX;
            }
            match p {
                XmlNode::Element(e) => self.element(e, depth + 1),
                XmlNode::Text(t) => {
                    let t = wsrx_xml::trim_xml_whitespace(t);
                    if !t.is_empty() {
                        self.indent(depth + 1);
                        push_text(&mut self.out, t);
                        self.line_end();
                    }
                }
            }
        }
        if index != usize::MAX {
            self.nested(a, depth + 1);
        }
        self.close(&qname, depth, true);
    }

    fn nested(&mut self, a: &Assertion, depth: usize) {
        let Some(nested) = &a.nested else {
            return;
        };
        let name = self.wsp_name("Policy");
        self.indent(depth);
        self.out.push_str(&format!("<{name}>"));
        self.line_end();
        self.exactly_one(std::slice::from_ref(nested), depth + 1);
        self.indent(depth);
        self.out.push_str(&format!("</{name}>"));
        self.line_end();
    }

    fn element(&mut self, e: &XmlElement, depth: usize) {
        self.indent(depth);
        self.element_inline(e, depth, true);
    }

    /// Writes `e`; elements holding character data are written on one line.
    fn element_inline(&mut self, e: &XmlElement, depth: usize, pretty: bool) {
        let qname = self.start_tag(
            &e.namespace,
            &e.local,
            e.prefix.as_deref(),
            &e.attributes,
            depth,
        );
        // Prefixes the character data uses (an sp:XPath, a QName value) stay declared.
        let text = e.text();
        if !text.is_empty() {
            let mut decls = String::new();
            for prefix in text_prefixes(&text) {
                if let Some(uri) = e.lookup(&prefix).map(str::to_owned)
                    && self.bound(&prefix) != Some(uri.as_str())
                {
                    self.declare(&prefix, &uri, depth, &mut decls);
                }
            }
            self.out.push_str(&decls);
        }
        let has_text = !text.is_empty();
        let content: Vec<&XmlNode> = e
            .children
            .iter()
            .filter(|c| has_text || !matches!(c, XmlNode::Text(_)))
            .collect();
        if content.is_empty() {
            self.out.push_str("/>");
        } else if has_text {
            self.out.push('>');
            for c in content {
                match c {
                    XmlNode::Text(t) => push_text(&mut self.out, t),
                    XmlNode::Element(child) => self.element_inline(child, depth + 1, false),
                }
            }
            self.out.push_str("</");
            self.out.push_str(&qname);
            self.out.push('>');
        } else {
            self.out.push('>');
            if pretty {
                self.line_end();
            }
            for c in content {
                if let XmlNode::Element(child) = c {
                    if pretty {
                        self.element(child, depth + 1);
                    } else {
                        self.element_inline(child, depth + 1, false);
                    }
                }
            }
            if pretty {
                self.indent(depth);
            }
            self.out.push_str("</");
            self.out.push_str(&qname);
            self.out.push('>');
        }
        if pretty {
            self.line_end();
        }
        self.pop_scope(depth);
    }
}

/// Prefixes written as `prefix:` in `text` (XPath steps, QNames).
fn text_prefixes(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len()
            && (bytes
                .get(i)
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            i += 1;
        }
        if i > start && bytes.get(i) == Some(&':') && bytes.get(i + 1) != Some(&':') {
            let p: String = bytes.get(start..i).unwrap_or(&[]).iter().collect();
            if p.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && !out.contains(&p)
            {
                out.push(p);
            }
        }
        i += 1;
    }
    out
}
