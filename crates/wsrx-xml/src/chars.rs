//! Character classes of XML 1.0 (Fifth Edition) §2.2 and §2.3.

/// `S ::= (#x20 | #x9 | #xD | #xA)+`
pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// XML 1.0 §2.3 `NameStartChar`, excluding the colon (namespace-aware names).
pub(crate) fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 §2.3 `NameChar`, excluding the colon.
pub(crate) fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// XML 1.0 §2.2 `Char` (UTF-8 input already excludes surrogates).
pub(crate) fn is_xml_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Bytes the character-data scanner must stop at: markup, references, line ends
/// to normalize, `]` (for `]]>`), control characters, and the lead byte of
/// U+FFFE/U+FFFF.
pub(crate) fn is_text_special(b: u8) -> bool {
    matches!(b, b'<' | b'&' | b']' | 0x00..=0x08 | 0x0B..=0x1F | 0xEF) // \t, \n pass; \r is 0x0D
}

/// Bytes the attribute-value scanner must stop at (besides the closing quote).
pub(crate) fn is_attr_special(b: u8) -> bool {
    matches!(b, b'<' | b'&' | b'"' | b'\'' | 0x00..=0x1F | 0xEF)
}
