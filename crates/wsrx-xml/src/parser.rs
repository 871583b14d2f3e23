//! The hardened reader: one iterative pass over UTF-8 input that checks
//! well-formedness and namespace well-formedness and builds a [`Document`].
//!
//! Refused by design: any DOCTYPE (so no DTD, no entity declarations, no external
//! entities), entity references other than the five predefined ones, encodings
//! other than UTF-8, and anything over a configured [`Limits`] value. Nothing here
//! recurses, so nesting depth costs heap proportional to the depth limit only.

use std::ops::Range;

use memchr::memmem;

use crate::chars::{
    is_attr_special, is_name_char, is_name_start_char, is_text_special, is_whitespace, is_xml_char,
};
use crate::document::{AttrRec, Document, ElementRec, NO_NODE, NodeKind, NodeRec, NsDeclRec, Str};
use crate::error::XmlError;
use crate::limits::{Limit, Limits};
use crate::{XML_NS, XMLNS_NS};

/// Documents must stay below 2 GiB so that offsets fit the compact string records.
const HARD_SIZE_CAP: usize = (1 << 31) - 1;

impl Document {
    /// Parses `input` with the default [`Limits`].
    pub fn parse(input: &[u8]) -> Result<Self, XmlError> {
        Self::parse_with(input, &Limits::default())
    }

    /// Parses `input` with the given limits.
    pub fn parse_with(input: &[u8], limits: &Limits) -> Result<Self, XmlError> {
        let max = limits.max_document_size.min(HARD_SIZE_CAP);
        if input.len() > max {
            return Err(XmlError::LimitExceeded {
                limit: Limit::DocumentSize,
                max: limits.max_document_size,
                offset: max,
            });
        }
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        let text = std::str::from_utf8(input).map_err(|e| XmlError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?;
        Self::build(text.into(), limits)
    }

    /// Parses `input`, taking ownership of the buffer instead of copying it.
    pub fn parse_owned(mut input: Vec<u8>, limits: &Limits) -> Result<Self, XmlError> {
        if input.len() > limits.max_document_size.min(HARD_SIZE_CAP) {
            return Err(XmlError::LimitExceeded {
                limit: Limit::DocumentSize,
                max: limits.max_document_size,
                offset: limits.max_document_size.min(HARD_SIZE_CAP),
            });
        }
        if input.starts_with(b"\xEF\xBB\xBF") {
            input.drain(..3);
        }
        let text = String::from_utf8(input).map_err(|e| XmlError::InvalidUtf8 {
            offset: e.utf8_error().valid_up_to(),
        })?;
        Self::build(text.into_boxed_str(), limits)
    }

    fn build(source: Box<str>, limits: &Limits) -> Result<Self, XmlError> {
        let parts = Parser::new(&source, limits).run()?;
        Ok(Self {
            source,
            decoded: parts.decoded,
            nodes: parts.nodes,
            attrs: parts.attrs,
            ns_decls: parts.ns_decls,
            root: parts.root,
        })
    }
}

struct Parts {
    decoded: String,
    nodes: Vec<NodeRec>,
    attrs: Vec<AttrRec>,
    ns_decls: Vec<NsDeclRec>,
    root: u32,
}

struct OpenElement {
    node: u32,
    qname: Range<usize>,
    scope_mark: usize,
}

struct RawAttr {
    qname: Range<usize>,
    colon: Option<usize>,
    value: Str,
    offset: usize,
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    limits: &'a Limits,
    decoded: String,
    nodes: Vec<NodeRec>,
    attrs: Vec<AttrRec>,
    ns_decls: Vec<NsDeclRec>,
    open: Vec<OpenElement>,
    /// In-scope namespace bindings, innermost last: (prefix, uri); empty prefix = default.
    scope: Vec<(Str, Str)>,
    raw_attrs: Vec<RawAttr>,
    /// Index in `ns_decls` where the declarations of the tag being parsed start.
    tag_decls_start: usize,
}

fn malformed(offset: usize, what: &'static str) -> XmlError {
    XmlError::Malformed { offset, what }
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, limits: &'a Limits) -> Self {
        // Pre-size for typical envelopes (one node per ~24 bytes) but never reserve
        // in proportion to a large input: growth is paid only for nodes that exist.
        let estimate = (src.len() / 24 + 8).min(4096);
        Self {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            limits,
            decoded: String::new(),
            nodes: Vec::with_capacity(estimate),
            attrs: Vec::with_capacity(estimate / 2),
            ns_decls: Vec::with_capacity(16),
            open: Vec::with_capacity(16),
            scope: Vec::with_capacity(16),
            raw_attrs: Vec::with_capacity(8),
            tag_decls_start: 0,
        }
    }

    fn run(mut self) -> Result<Parts, XmlError> {
        self.xml_declaration()?;
        self.misc(false)?;
        if self.peek().is_none() {
            return Err(XmlError::Truncated { offset: self.pos });
        }
        let root = self.nodes.len() as u32;
        self.content()?;
        self.misc(true)?;
        Ok(Parts {
            decoded: self.decoded,
            nodes: self.nodes,
            attrs: self.attrs,
            ns_decls: self.ns_decls,
            root,
        })
    }

    // ----- small helpers -------------------------------------------------------

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or(&[])
    }

    fn at(&self, pat: &[u8]) -> bool {
        self.rest().starts_with(pat)
    }

    fn skip_whitespace(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_whitespace) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn expect(&mut self, b: u8, what: &'static str) -> Result<(), XmlError> {
        match self.peek() {
            Some(x) if x == b => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(malformed(self.pos, what)),
            None => Err(XmlError::Truncated { offset: self.pos }),
        }
    }

    fn str(&self, s: Str) -> &str {
        s.resolve(self.src, &self.decoded)
    }

    fn src_range(&self, r: Range<usize>) -> &'a str {
        self.src.get(r).unwrap_or("")
    }

    fn push_node(&mut self, kind: NodeKind, offset: usize) -> Result<u32, XmlError> {
        if self.nodes.len() >= self.limits.max_nodes {
            return Err(XmlError::LimitExceeded {
                limit: Limit::Nodes,
                max: self.limits.max_nodes,
                offset,
            });
        }
        let parent = self.open.last().map_or(NO_NODE, |o| o.node);
        self.nodes.push(NodeRec { parent, kind });
        Ok(self.nodes.len() as u32 - 1)
    }

    fn limit(&self, limit: Limit, offset: usize) -> XmlError {
        XmlError::LimitExceeded {
            limit,
            max: limit.value_in(self.limits),
            offset,
        }
    }

    // ----- prolog and epilogue -------------------------------------------------

    /// XML 1.0 §2.8 `XMLDecl`: only version 1.0 and the UTF-8 encoding.
    fn xml_declaration(&mut self) -> Result<(), XmlError> {
        if !(self.at(b"<?xml") && self.bytes.get(5).is_some_and(|b| is_whitespace(*b))) {
            return Ok(());
        }
        let start = self.pos;
        self.pos += 5;
        let mut seen_version = false;
        loop {
            let had_ws = self.skip_whitespace();
            if self.at(b"?>") {
                self.pos += 2;
                break;
            }
            if !had_ws {
                return Err(malformed(
                    self.pos,
                    "whitespace expected in XML declaration",
                ));
            }
            let name_start = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                self.pos += 1;
            }
            let name = self.src_range(name_start..self.pos);
            self.skip_whitespace();
            self.expect(b'=', "'=' expected in XML declaration")?;
            self.skip_whitespace();
            let quote = self
                .peek()
                .ok_or(XmlError::Truncated { offset: self.pos })?;
            if quote != b'"' && quote != b'\'' {
                return Err(malformed(
                    self.pos,
                    "quoted value expected in XML declaration",
                ));
            }
            self.pos += 1;
            let vstart = self.pos;
            let len = memchr::memchr(quote, self.rest()).ok_or(XmlError::Truncated {
                offset: self.bytes.len(),
            })?;
            self.pos += len + 1;
            let value = self.src_range(vstart..vstart + len);
            match name {
                "version" if !seen_version => {
                    if value != "1.0" {
                        return Err(XmlError::UnsupportedDeclaration { offset: start });
                    }
                    seen_version = true;
                }
                "encoding" if seen_version => {
                    if !(value.eq_ignore_ascii_case("utf-8")
                        || value.eq_ignore_ascii_case("us-ascii"))
                    {
                        return Err(XmlError::UnsupportedDeclaration { offset: start });
                    }
                }
                "standalone" if seen_version => {
                    if value != "yes" && value != "no" {
                        return Err(malformed(vstart, "standalone must be yes or no"));
                    }
                }
                _ => {
                    return Err(malformed(
                        name_start,
                        "unexpected pseudo-attribute in XML declaration",
                    ));
                }
            }
        }
        if !seen_version {
            return Err(malformed(start, "XML declaration without version"));
        }
        Ok(())
    }

    /// Comments, PIs and whitespace before (`after_root` false) or after the root.
    fn misc(&mut self, after_root: bool) -> Result<(), XmlError> {
        loop {
            self.skip_whitespace();
            match self.peek() {
                None => return Ok(()),
                Some(b'<') => {
                    if self.at(b"<!--") {
                        self.comment()?;
                    } else if self.at(b"<?") {
                        self.processing_instruction()?;
                    } else if self.at(b"<!DOCTYPE") || self.at(b"<!doctype") {
                        return Err(XmlError::DoctypeForbidden { offset: self.pos });
                    } else if after_root {
                        return Err(malformed(self.pos, "markup after the document element"));
                    } else {
                        return Ok(());
                    }
                }
                Some(_) => {
                    return Err(malformed(
                        self.pos,
                        if after_root {
                            "text after the document element"
                        } else {
                            "text before the document element"
                        },
                    ));
                }
            }
        }
    }

    // ----- content -------------------------------------------------------------

    /// The document element and everything in it, without recursion.
    fn content(&mut self) -> Result<(), XmlError> {
        self.start_tag()?;
        while !self.open.is_empty() {
            match self.peek() {
                None => return Err(XmlError::Truncated { offset: self.pos }),
                Some(b'<') => {
                    if self.at(b"</") {
                        self.end_tag()?;
                    } else if self.at(b"<!--") {
                        self.comment()?;
                    } else if self.at(b"<![CDATA[") {
                        self.cdata()?;
                    } else if self.at(b"<?") {
                        self.processing_instruction()?;
                    } else if self.at(b"<!DOCTYPE") {
                        return Err(XmlError::DoctypeForbidden { offset: self.pos });
                    } else if self.at(b"<!") {
                        return Err(malformed(self.pos, "unexpected markup declaration"));
                    } else {
                        self.start_tag()?;
                    }
                }
                Some(_) => self.text()?,
            }
        }
        Ok(())
    }

    /// Character data up to the next `<` (XML 1.0 §2.4), with references decoded
    /// and line ends normalized (§2.11).
    fn text(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        let mut needs_decoding = false;
        let mut i = self.pos;
        // Scan no further than one byte past the limit, so that a huge text node is
        // refused after bounded work.
        let scan_end = self.bytes.len().min(
            start
                .saturating_add(self.limits.max_text_length)
                .saturating_add(1),
        );
        loop {
            let run = self
                .bytes
                .get(i..scan_end)
                .unwrap_or(&[])
                .iter()
                .position(|b| is_text_special(*b));
            let Some(run) = run else {
                i = scan_end;
                break;
            };
            i += run;
            match self.bytes.get(i).copied() {
                Some(b'<') | None => break,
                Some(b'&') | Some(b'\r') => needs_decoding = true,
                Some(b']') => {
                    if self.bytes.get(i..).is_some_and(|r| r.starts_with(b"]]>")) {
                        return Err(malformed(i, "']]>' in character data"));
                    }
                }
                Some(0xEF) => self.check_nonchar(i)?,
                Some(_) => return Err(XmlError::InvalidCharacter { offset: i }),
            }
            i += 1;
        }
        if i - start > self.limits.max_text_length {
            return Err(self.limit(Limit::TextLength, start));
        }
        self.pos = i;
        let value = if needs_decoding {
            self.decode(start..i, false)?
        } else {
            Str::source(start..i)
        };
        self.push_node(NodeKind::Text(value), start)?;
        Ok(())
    }

    /// U+FFFE and U+FFFF (UTF-8 `EF BF BE`, `EF BF BF`) are not XML characters.
    fn check_nonchar(&self, i: usize) -> Result<(), XmlError> {
        match self.bytes.get(i + 1..i + 3) {
            Some([0xBF, 0xBE | 0xBF]) => Err(XmlError::InvalidCharacter { offset: i }),
            _ => Ok(()),
        }
    }

    /// Decodes references and line ends of `raw` into the side buffer. In attribute
    /// values (XML 1.0 §3.3.3) literal TAB, LF and CR become spaces; characters
    /// from character references are kept as they are.
    fn decode(&mut self, raw: Range<usize>, attribute: bool) -> Result<Str, XmlError> {
        let out_start = self.decoded.len();
        let src = self.bytes.get(raw.clone()).unwrap_or(&[]);
        let mut i = 0;
        let mut run_start = 0;
        while i < src.len() {
            let b = src.get(i).copied().unwrap_or(0);
            let special = match b {
                b'&' | b'\r' => true,
                b'\t' | b'\n' => attribute,
                _ => false,
            };
            match special {
                true => {
                    self.decoded
                        .push_str(self.src_range(raw.start + run_start..raw.start + i));
                    if b == b'&' {
                        let (c, len) = self.reference(raw.start + i)?;
                        self.decoded.push(c);
                        i += len;
                    } else {
                        if b == b'\r' && src.get(i + 1) == Some(&b'\n') {
                            i += 1;
                        }
                        self.decoded.push(if attribute { ' ' } else { '\n' });
                        i += 1;
                    }
                    run_start = i;
                }
                false => i += 1,
            }
        }
        self.decoded
            .push_str(self.src_range(raw.start + run_start..raw.end));
        Ok(Str::decoded(out_start..self.decoded.len()))
    }

    /// An entity or character reference at `at` (XML 1.0 §4.1, §4.6): returns the
    /// character and the length of the reference.
    fn reference(&self, at: usize) -> Result<(char, usize), XmlError> {
        let rest = self.bytes.get(at..).unwrap_or(&[]);
        let end = rest
            .iter()
            .take(12)
            .position(|b| *b == b';')
            .ok_or(XmlError::UndefinedEntity { offset: at })?;
        let body = rest.get(1..end).unwrap_or(&[]);
        let c = match body {
            b"lt" => '<',
            b"gt" => '>',
            b"amp" => '&',
            b"apos" => '\'',
            b"quot" => '"',
            [b'#', b'x', hex @ ..] => char_ref(hex, 16, at)?,
            [b'#', dec @ ..] => char_ref(dec, 10, at)?,
            _ => return Err(XmlError::UndefinedEntity { offset: at }),
        };
        Ok((c, end + 1))
    }

    /// A `<!-- ... -->` comment (XML 1.0 §2.5): no `--` inside.
    fn comment(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        let body_start = start + 4;
        let rest = self.bytes.get(body_start..).unwrap_or(&[]);
        let len = memmem::find(rest, b"--").ok_or(XmlError::Truncated {
            offset: self.bytes.len(),
        })?;
        if rest.get(len + 2) != Some(&b'>') {
            return Err(malformed(body_start + len, "'--' inside a comment"));
        }
        let body = body_start..body_start + len;
        self.pos = body.end + 3;
        let value = self.checked_char_data(body, self.limits.max_text_length)?;
        self.push_node(NodeKind::Comment(value), start)?;
        Ok(())
    }

    /// A `<![CDATA[ ... ]]>` section (XML 1.0 §2.7), stored as text.
    fn cdata(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        let body_start = start + 9;
        let rest = self.bytes.get(body_start..).unwrap_or(&[]);
        let len = memmem::find(rest, b"]]>").ok_or(XmlError::Truncated {
            offset: self.bytes.len(),
        })?;
        let body = body_start..body_start + len;
        self.pos = body.end + 3;
        let value = self.checked_char_data(body, self.limits.max_text_length)?;
        self.push_node(NodeKind::Text(value), start)?;
        Ok(())
    }

    /// A processing instruction (XML 1.0 §2.6); the target `xml` is reserved.
    fn processing_instruction(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        self.pos += 2;
        let target = self.ncname("processing-instruction target")?;
        if self.src_range(target.clone()).eq_ignore_ascii_case("xml") {
            return Err(malformed(
                start,
                "reserved processing-instruction target 'xml'",
            ));
        }
        let data = if self.at(b"?>") {
            self.pos..self.pos
        } else {
            if !self.skip_whitespace() {
                return Err(malformed(
                    self.pos,
                    "whitespace expected after processing-instruction target",
                ));
            }
            let len = memmem::find(self.rest(), b"?>").ok_or(XmlError::Truncated {
                offset: self.bytes.len(),
            })?;
            self.pos..self.pos + len
        };
        self.pos = data.end + 2;
        let data = self.checked_char_data(data, self.limits.max_text_length)?;
        self.push_node(
            NodeKind::Pi {
                target: Str::source(target),
                data,
            },
            start,
        )?;
        Ok(())
    }

    /// Checks characters and length of literal character data; normalizes CR.
    fn checked_char_data(&mut self, range: Range<usize>, max: usize) -> Result<Str, XmlError> {
        if range.end - range.start > max {
            return Err(self.limit(Limit::TextLength, range.start));
        }
        let mut has_cr = false;
        for (k, b) in self
            .bytes
            .get(range.clone())
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            match *b {
                b'\r' => has_cr = true,
                0xEF => self.check_nonchar(range.start + k)?,
                0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F => {
                    return Err(XmlError::InvalidCharacter {
                        offset: range.start + k,
                    });
                }
                _ => {}
            }
        }
        if !has_cr {
            return Ok(Str::source(range));
        }
        let out_start = self.decoded.len();
        let text = self.src_range(range);
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\r' {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                self.decoded.push('\n');
            } else {
                self.decoded.push(c);
            }
        }
        Ok(Str::decoded(out_start..self.decoded.len()))
    }

    /// An NCName (no colon) starting at the current position.
    fn ncname(&mut self, what: &'static str) -> Result<Range<usize>, XmlError> {
        let (range, colon) = self.qname(what)?;
        if colon.is_some() {
            return Err(malformed(range.start, "colon not allowed in this name"));
        }
        Ok(range)
    }

    /// A QName (Namespaces in XML 1.0 §4): returns its range and the colon position.
    fn qname(&mut self, what: &'static str) -> Result<(Range<usize>, Option<usize>), XmlError> {
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
    fn start_tag(&mut self) -> Result<(), XmlError> {
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
    fn attribute(&mut self) -> Result<(), XmlError> {
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
    fn attribute_value(&mut self) -> Result<Str, XmlError> {
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
    fn namespace_declaration(
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
    fn resolve(&self, prefix: Range<usize>, offset: usize, element: bool) -> Result<Str, XmlError> {
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
    fn resolve_attributes(&mut self) -> Result<(), XmlError> {
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
    fn end_tag(&mut self) -> Result<(), XmlError> {
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

fn char_ref(digits: &[u8], radix: u32, at: usize) -> Result<char, XmlError> {
    let text = std::str::from_utf8(digits).map_err(|_| XmlError::UndefinedEntity { offset: at })?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(XmlError::UndefinedEntity { offset: at });
    }
    let value =
        u32::from_str_radix(text, radix).map_err(|_| XmlError::UndefinedEntity { offset: at })?;
    if !is_xml_char(value) {
        return Err(XmlError::InvalidCharacter { offset: at });
    }
    char::from_u32(value).ok_or(XmlError::InvalidCharacter { offset: at })
}
