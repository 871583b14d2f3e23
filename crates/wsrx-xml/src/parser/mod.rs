//! The hardened reader: one iterative pass over UTF-8 input that checks
//! well-formedness and namespace well-formedness and builds a [`Document`].
//!
//! Refused by design: any DOCTYPE (so no DTD, no entity declarations, no external
//! entities), entity references other than the five predefined ones, encodings
//! other than UTF-8, and anything over a configured [`Limits`] value. Nothing here
//! recurses, so nesting depth costs heap proportional to the depth limit only.
//!
//! This file: the entry points, the parser's state and cursor, the prolog and the
//! content loop. Character data, references, comments, CDATA and processing
//! instructions are in `text.rs`; tags, attributes and namespaces in `markup.rs`.

mod markup;
mod text;

use std::ops::Range;

use crate::chars::is_whitespace;
use crate::document::{AttrRec, Document, NO_NODE, NodeKind, NodeRec, NsDeclRec, Str};
use crate::error::XmlError;
use crate::limits::{Limit, Limits};

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
}
