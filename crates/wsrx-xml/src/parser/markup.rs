//! Tags and attributes (XML 1.0 §3.1) and namespaces (Namespaces in XML 1.0 §3-§6):
//! names, start and end tags, attribute values, namespace declarations and the
//! resolution of prefixes.

use std::ops::Range;

use super::{OpenElement, Parser, RawAttr, malformed};
use crate::chars::{is_attr_special, is_name_char, is_name_start_char};
use crate::document::{AttrRec, ElementRec, NodeKind, NsDeclRec, Str};
use crate::error::XmlError;
use crate::limits::Limit;
use crate::{XML_NS, XMLNS_NS};

impl<'a> Parser<'a> {
    /// An NCName (no colon) starting at the current position.
    pub(super) fn ncname(&mut self, what: &'static str) -> Result<Range<usize>, XmlError> {
        let (range, colon) = self.qname(what)?;
        if colon.is_some() {
            return Err(malformed(range.start, "colon not allowed in this name"));
        }
        Ok(range)
    }

    /// A QName (Namespaces in XML 1.0 §4): returns its range and the colon position.
    pub(super) fn qname(
        &mut self,
        what: &'static str,
    ) -> Result<(Range<usize>, Option<usize>), XmlError> {
        let start = self.pos;
        let mut colon = None;
        let mut first_of_part = true;
        while let Some(b) = self.peek() {
            if b.is_ascii() {
                let ok = if first_of_part {
                    b.is_ascii_alphabetic() || b == b'_'
                } else {
                    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
                };
                if b == b':' && colon.is_none() && !first_of_part {
                    colon = Some(self.pos);
                    first_of_part = true;
                    self.pos += 1;
                    continue;
                }
                if !ok {
                    break;
                }
                self.pos += 1;
            } else {
                let c = self
                    .src
                    .get(self.pos..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('\0');
                let ok = if first_of_part {
                    is_name_start_char(c)
                } else {
                    is_name_char(c)
                };
                if !ok {
                    break;
                }
                self.pos += c.len_utf8();
            }
            first_of_part = false;
            if self.pos - start > self.limits.max_name_length {
                return Err(self.limit(Limit::NameLength, start));
            }
        }
        if self.pos == start || first_of_part {
            return Err(match self.peek() {
                None => XmlError::Truncated { offset: self.pos },
                Some(_) => malformed(self.pos, what),
            });
        }
        Ok((start..self.pos, colon))
    }

    // ----- elements ------------------------------------------------------------

    /// A start tag or empty-element tag (XML 1.0 §3.1) with namespace processing.
    pub(super) fn start_tag(&mut self) -> Result<(), XmlError> {
        let tag_start = self.pos;
        if self.open.len() >= self.limits.max_depth {
            return Err(self.limit(Limit::Depth, tag_start));
        }
        self.pos += 1;
        let (qname, colon) = self.qname("element name")?;
        let scope_mark = self.scope.len();
        let decls_start = self.ns_decls.len();
        self.tag_decls_start = decls_start;
        self.raw_attrs.clear();
        let empty = loop {
            let had_ws = self.skip_whitespace();
            match self.peek() {
                None => return Err(XmlError::Truncated { offset: self.pos }),
                Some(b'>') => {
                    self.pos += 1;
                    break false;
                }
                Some(b'/') => {
                    self.pos += 1;
                    self.expect(b'>', "'>' expected after '/'")?;
                    break true;
                }
                Some(_) if !had_ws => {
                    return Err(malformed(
                        self.pos,
                        "whitespace expected between attributes",
                    ));
                }
                Some(_) => self.attribute()?,
            }
        };
        let decls_end = self.ns_decls.len();
        for d in decls_start..decls_end {
            if let Some(decl) = self.ns_decls.get(d) {
                let binding = (decl.prefix, decl.uri);
                self.scope.push(binding);
            }
        }
        let (prefix, local) = split_qname(&qname, colon);
        let ns = self.resolve(prefix.clone(), tag_start, true)?;
        let attrs_start = self.attrs.len();
        self.resolve_attributes()?;
        let node = self.nodes.len() as u32;
        let rec = ElementRec {
            prefix: Str::source(prefix),
            local: Str::source(local),
            ns,
            end: node + 1,
            attrs: attrs_start as u32..self.attrs.len() as u32,
            ns_decls: decls_start as u32..decls_end as u32,
            span: tag_start as u32..self.pos as u32,
        };
        self.push_node(NodeKind::Element(rec), tag_start)?;
        if empty {
            self.scope.truncate(scope_mark);
        } else {
            self.open.push(OpenElement {
                node,
                qname,
                scope_mark,
            });
        }
        Ok(())
    }

    /// One attribute or namespace declaration of a start tag.
    pub(super) fn attribute(&mut self) -> Result<(), XmlError> {
        let offset = self.pos;
        let (qname, colon) = self.qname("attribute name")?;
        self.skip_whitespace();
        self.expect(b'=', "'=' expected after attribute name")?;
        self.skip_whitespace();
        let value = self.attribute_value()?;
        let name = self.src_range(qname.clone());
        let decl_prefix = if name == "xmlns" {
            Some(Str::EMPTY)
        } else if colon.is_some() && name.starts_with("xmlns:") {
            Some(Str::source(qname.start + 6..qname.end))
        } else {
            None
        };
        match decl_prefix {
            Some(prefix) => self.namespace_declaration(prefix, value, offset),
            None => {
                if self.raw_attrs.len() >= self.limits.max_attributes {
                    return Err(self.limit(Limit::Attributes, offset));
                }
                self.raw_attrs.push(RawAttr {
                    qname,
                    colon,
                    value,
                    offset,
                });
                Ok(())
            }
        }
    }

    /// A quoted attribute value (XML 1.0 §3.1 `AttValue`), normalized (§3.3.3).
    pub(super) fn attribute_value(&mut self) -> Result<Str, XmlError> {
        let quote = match self.peek() {
            Some(q @ (b'"' | b'\'')) => q,
            Some(_) => return Err(malformed(self.pos, "quoted attribute value expected")),
            None => return Err(XmlError::Truncated { offset: self.pos }),
        };
        let start = self.pos + 1;
        let mut i = start;
        let mut needs_decoding = false;
        let scan_end = self.bytes.len().min(
            start
                .saturating_add(self.limits.max_attribute_length)
                .saturating_add(1),
        );
        loop {
            let run = self
                .bytes
                .get(i..scan_end)
                .unwrap_or(&[])
                .iter()
                .position(|b| is_attr_special(*b));
            let Some(run) = run else {
                if scan_end < self.bytes.len() {
                    return Err(self.limit(Limit::AttributeLength, start));
                }
                return Err(XmlError::Truncated {
                    offset: self.bytes.len(),
                });
            };
            i += run;
            if i - start > self.limits.max_attribute_length {
                return Err(self.limit(Limit::AttributeLength, start));
            }
            match self.bytes.get(i).copied() {
                Some(b) if b == quote => break,
                Some(b'"' | b'\'') => {}
                Some(b'&' | b'\t' | b'\n' | b'\r') => needs_decoding = true,
                Some(b'<') => return Err(malformed(i, "'<' in attribute value")),
                Some(0xEF) => self.check_nonchar(i)?,
                _ => return Err(XmlError::InvalidCharacter { offset: i }),
            }
            i += 1;
        }
        self.pos = i + 1;
        if needs_decoding {
            self.decode(start..i, true)
        } else {
            Ok(Str::source(start..i))
        }
    }

    /// Records `xmlns[:prefix]="uri"` after the checks of Namespaces in XML 1.0 §3.
    pub(super) fn namespace_declaration(
        &mut self,
        prefix: Str,
        uri: Str,
        offset: usize,
    ) -> Result<(), XmlError> {
        let decls_here = self.ns_decls.len() - self.tag_decls_start;
        if decls_here >= self.limits.max_namespace_declarations {
            return Err(self.limit(Limit::NamespaceDeclarations, offset));
        }
        let p = self.str(prefix);
        let u = self.str(uri);
        let illegal = match p {
            "xmlns" => true,
            "xml" => u != XML_NS,
            "" => u == XML_NS || u == XMLNS_NS,
            _ => u.is_empty() || u == XML_NS || u == XMLNS_NS,
        };
        if illegal {
            return Err(XmlError::IllegalNamespaceDeclaration { offset });
        }
        let prefix_text = p.to_owned();
        let duplicate = (self.tag_decls_start..self.ns_decls.len())
            .filter_map(|d| self.ns_decls.get(d))
            .any(|d| self.str(d.prefix) == prefix_text);
        if duplicate {
            return Err(XmlError::DuplicateAttribute { offset });
        }
        self.ns_decls.push(NsDeclRec { prefix, uri });
        Ok(())
    }

    /// The namespace bound to `prefix` (an empty range = the default namespace).
    pub(super) fn resolve(
        &self,
        prefix: Range<usize>,
        offset: usize,
        element: bool,
    ) -> Result<Str, XmlError> {
        let p = self.src_range(prefix.clone());
        if p.is_empty() && !element {
            return Ok(Str::EMPTY);
        }
        if p == "xml" {
            return Ok(Str::XML_NS);
        }
        if p == "xmlns" {
            return Err(XmlError::IllegalNamespaceDeclaration { offset });
        }
        for (bp, uri) in self.scope.iter().rev() {
            if self.str(*bp) == p {
                return Ok(*uri);
            }
        }
        if p.is_empty() {
            Ok(Str::EMPTY)
        } else {
            Err(XmlError::UnboundPrefix { offset })
        }
    }

    /// Resolves the raw attributes of the current tag and checks uniqueness of
    /// qualified and expanded names (XML 1.0 §3.1 WFC Unique Att Spec; Namespaces §6.3).
    pub(super) fn resolve_attributes(&mut self) -> Result<(), XmlError> {
        let first = self.attrs.len();
        for k in 0..self.raw_attrs.len() {
            let Some(raw) = self.raw_attrs.get(k) else {
                break;
            };
            let (qname, colon, value, offset) =
                (raw.qname.clone(), raw.colon, raw.value, raw.offset);
            let (prefix, local) = split_qname(&qname, colon);
            let ns = self.resolve(prefix.clone(), offset, false)?;
            let rec = AttrRec {
                prefix: Str::source(prefix),
                local: Str::source(local),
                ns,
                value,
            };
            for earlier in self.attrs.get(first..).unwrap_or(&[]) {
                let same_local = self.str(earlier.local) == self.str(rec.local);
                let same_qname = same_local && self.str(earlier.prefix) == self.str(rec.prefix);
                let same_expanded = same_local && self.str(earlier.ns) == self.str(rec.ns);
                if same_qname || same_expanded {
                    return Err(XmlError::DuplicateAttribute { offset });
                }
            }
            self.attrs.push(rec);
        }
        Ok(())
    }

    /// An end tag (XML 1.0 §3.1 `ETag`) matching the innermost open element.
    pub(super) fn end_tag(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        self.pos += 2;
        let (qname, _) = self.qname("element name in end tag")?;
        self.skip_whitespace();
        self.expect(b'>', "'>' expected in end tag")?;
        let Some(open) = self.open.pop() else {
            return Err(XmlError::MismatchedEndTag { offset: start });
        };
        if self.src_range(qname) != self.src_range(open.qname.clone()) {
            return Err(XmlError::MismatchedEndTag { offset: start });
        }
        let end = self.nodes.len() as u32;
        let pos = self.pos as u32;
        if let Some(NodeKind::Element(e)) =
            self.nodes.get_mut(open.node as usize).map(|n| &mut n.kind)
        {
            e.end = end;
            e.span.end = pos;
        }
        self.scope.truncate(open.scope_mark);
        Ok(())
    }
}

fn split_qname(qname: &Range<usize>, colon: Option<usize>) -> (Range<usize>, Range<usize>) {
    match colon {
        Some(c) => (qname.start..c, c + 1..qname.end),
        None => (qname.start..qname.start, qname.clone()),
    }
}
