//! Serialization of parsed documents and element subtrees back to XML text.

use crate::document::{Document, Element, Node};
use crate::escape::{push_attribute, push_text};

impl Document {
    /// The document as XML text: top-level comments and PIs and the document
    /// element, with the prefixes and declarations as parsed and normalized
    /// character data. Parsing the result gives an equal document model.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(self.source.len());
        for (k, node) in self.top_level().enumerate() {
            if k > 0 {
                out.push('\n');
            }
            match node {
                Node::Element(e) => write_subtree(e, &mut out, false),
                other => write_leaf(other, &mut out),
            }
        }
        out
    }
}

impl Element<'_> {
    /// This element as a standalone XML fragment: namespaces in scope from its
    /// ancestors are declared on it, so the fragment parses on its own.
    pub fn to_xml(self) -> String {
        let mut out = String::with_capacity(self.span().len() + 64);
        write_subtree(self, &mut out, true);
        out
    }
}

fn write_subtree(apex: Element<'_>, out: &mut String, declare_inherited: bool) {
    let doc = apex.document();
    let mut stack: Vec<Element<'_>> = Vec::new();
    open_tag(apex, out, declare_inherited);
    stack.push(apex);
    for i in apex.id().0 + 1..apex.end_index() {
        while let Some(top) = stack.last() {
            if i < top.end_index() {
                break;
            }
            close_tag(*top, out);
            stack.pop();
        }
        match doc.node_at(i) {
            Node::Element(e) => {
                open_tag(e, out, false);
                stack.push(e);
            }
            leaf => write_leaf(leaf, out),
        }
    }
    while let Some(top) = stack.pop() {
        close_tag(top, out);
    }
}

fn open_tag(e: Element<'_>, out: &mut String, declare_inherited: bool) {
    out.push('<');
    out.push_str(e.qualified_name());
    let mut declared: Vec<Option<&str>> = Vec::new();
    for (prefix, uri) in e.namespace_declarations() {
        declared.push(prefix);
        push_declaration(out, prefix, uri);
    }
    if declare_inherited {
        for ancestor in e.ancestors() {
            for (prefix, uri) in ancestor.namespace_declarations() {
                if !declared.contains(&prefix) {
                    declared.push(prefix);
                    if !(prefix.is_none() && uri.is_empty()) {
                        push_declaration(out, prefix, uri);
                    }
                }
            }
        }
    }
    for a in e.attributes() {
        out.push(' ');
        out.push_str(a.qualified_name());
        out.push_str("=\"");
        push_attribute(out, a.value());
        out.push('"');
    }
    out.push('>');
}

fn push_declaration(out: &mut String, prefix: Option<&str>, uri: &str) {
    match prefix {
        Some(p) => {
            out.push_str(" xmlns:");
            out.push_str(p);
        }
        None => out.push_str(" xmlns"),
    }
    out.push_str("=\"");
    push_attribute(out, uri);
    out.push('"');
}

fn close_tag(e: Element<'_>, out: &mut String) {
    out.push_str("</");
    out.push_str(e.qualified_name());
    out.push('>');
}

fn write_leaf(node: Node<'_>, out: &mut String) {
    match node {
        Node::Text(t) => push_text(out, t),
        Node::Comment(c) => {
            out.push_str("<!--");
            out.push_str(c);
            out.push_str("-->");
        }
        Node::ProcessingInstruction { target, data } => {
            out.push_str("<?");
            out.push_str(target);
            if !data.is_empty() {
                out.push(' ');
                out.push_str(data);
            }
            out.push_str("?>");
        }
        Node::Element(_) => {}
    }
}
