//! Character data (XML 1.0 §2.4) with references decoded (§4.1, only the five predefined
//! entities) and line ends normalized (§2.11); comments (§2.5), CDATA sections (§2.7) and
//! processing instructions (§2.6).

use std::ops::Range;

use memchr::memmem;

use super::{Parser, malformed};
use crate::chars::{is_text_special, is_xml_char};
use crate::document::{NodeKind, Str};
use crate::error::XmlError;
use crate::limits::Limit;

impl<'a> Parser<'a> {
    /// Character data up to the next `<` (XML 1.0 §2.4), with references decoded
    /// and line ends normalized (§2.11).
    pub(super) fn text(&mut self) -> Result<(), XmlError> {
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
    pub(super) fn check_nonchar(&self, i: usize) -> Result<(), XmlError> {
        match self.bytes.get(i + 1..i + 3) {
            Some([0xBF, 0xBE | 0xBF]) => Err(XmlError::InvalidCharacter { offset: i }),
            _ => Ok(()),
        }
    }

    /// Decodes references and line ends of `raw` into the side buffer. In attribute
    /// values (XML 1.0 §3.3.3) literal TAB, LF and CR become spaces; characters
    /// from character references are kept as they are.
    pub(super) fn decode(&mut self, raw: Range<usize>, attribute: bool) -> Result<Str, XmlError> {
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
    pub(super) fn reference(&self, at: usize) -> Result<(char, usize), XmlError> {
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
    pub(super) fn comment(&mut self) -> Result<(), XmlError> {
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
    pub(super) fn cdata(&mut self) -> Result<(), XmlError> {
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
    pub(super) fn processing_instruction(&mut self) -> Result<(), XmlError> {
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
    pub(super) fn checked_char_data(
        &mut self,
        range: Range<usize>,
        max: usize,
    ) -> Result<Str, XmlError> {
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
