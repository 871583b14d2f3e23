//! Hard limits applied while parsing untrusted XML.

use std::fmt;

/// Bounds the parser enforces on every document. Every violation is reported as
/// [`crate::XmlError::LimitExceeded`] naming the [`Limit`].
///
/// The defaults suit SOAP envelopes carrying WS-Security, WS-Addressing and WS-RM
/// headers with application payloads of a few megabytes. Memory used by a parsed
/// document is bounded by `max_document_size` (the copied source) plus
/// `max_nodes`, `max_attributes_total` and `max_namespace_declarations_total`
/// small fixed-size records, plus decoded strings no longer than the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted document, in bytes.
    pub max_document_size: usize,
    /// Deepest element nesting (the root element is depth 1).
    pub max_depth: usize,
    /// Most attributes on one element (namespace declarations not counted).
    pub max_attributes: usize,
    /// Most namespace declarations on one element.
    pub max_namespace_declarations: usize,
    /// Longest element, attribute, prefix or processing-instruction name, in bytes.
    pub max_name_length: usize,
    /// Longest text node, CDATA section, comment or processing-instruction body, in bytes.
    pub max_text_length: usize,
    /// Longest attribute value, in bytes.
    pub max_attribute_length: usize,
    /// Most nodes (elements, text, comments, processing instructions) in the document.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_document_size: 16 * 1024 * 1024,
            max_depth: 96,
            max_attributes: 64,
            max_namespace_declarations: 64,
            max_name_length: 256,
            max_text_length: 8 * 1024 * 1024,
            max_attribute_length: 64 * 1024,
            max_nodes: 500_000,
        }
    }
}

/// Which limit a document exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_document_size`]
    DocumentSize,
    /// [`Limits::max_depth`]
    Depth,
    /// [`Limits::max_attributes`]
    Attributes,
    /// [`Limits::max_namespace_declarations`]
    NamespaceDeclarations,
    /// [`Limits::max_name_length`]
    NameLength,
    /// [`Limits::max_text_length`]
    TextLength,
    /// [`Limits::max_attribute_length`]
    AttributeLength,
    /// [`Limits::max_nodes`]
    Nodes,
}

impl Limit {
    /// The configured value of this limit in `limits`.
    pub fn value_in(self, limits: &Limits) -> usize {
        match self {
            Self::DocumentSize => limits.max_document_size,
            Self::Depth => limits.max_depth,
            Self::Attributes => limits.max_attributes,
            Self::NamespaceDeclarations => limits.max_namespace_declarations,
            Self::NameLength => limits.max_name_length,
            Self::TextLength => limits.max_text_length,
            Self::AttributeLength => limits.max_attribute_length,
            Self::Nodes => limits.max_nodes,
        }
    }

    /// The field name in [`Limits`], as used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Self::DocumentSize => "max_document_size",
            Self::Depth => "max_depth",
            Self::Attributes => "max_attributes",
            Self::NamespaceDeclarations => "max_namespace_declarations",
            Self::NameLength => "max_name_length",
            Self::TextLength => "max_text_length",
            Self::AttributeLength => "max_attribute_length",
            Self::Nodes => "max_nodes",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
