//! Reading envelopes (header blocks, body, mustUnderstand) and writing them.

use wsrx_xml::{Document, Element, Node, WriterError, XmlWriter};

use crate::error::SoapError;
use crate::fault::Fault;
use crate::ns::PREFERRED_PREFIXES;
use crate::qname::QName;
use crate::version::SoapVersion;

/// A validated view of a SOAP envelope in a parsed [`Document`].
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'d> {
    version: SoapVersion,
    root: Element<'d>,
    header: Option<Element<'d>>,
    body: Element<'d>,
}

/// One child of the SOAP Header with its processing attributes.
#[derive(Debug, Clone, Copy)]
pub struct HeaderBlock<'d> {
    /// The header element.
    pub element: Element<'d>,
    /// `mustUnderstand` (false when absent).
    pub must_understand: bool,
    /// `role` (1.2) or `actor` (1.1), if present.
    pub role: Option<&'d str>,
}

impl<'d> Envelope<'d> {
    /// Checks the envelope structure (SOAP 1.2 part 1 §5; SOAP 1.1 §4): an
    /// `Envelope` in a known namespace, an optional `Header` first, then `Body`.
    /// SOAP 1.2 allows nothing after the Body; SOAP 1.1 tolerates it.
    pub fn new(doc: &'d Document) -> Result<Self, SoapError> {
        let root = doc.root();
        if root.local_name() != "Envelope" {
            return Err(SoapError::NotAnEnvelope);
        }
        let version = root
            .namespace()
            .and_then(SoapVersion::from_namespace)
            .ok_or(SoapError::VersionMismatch)?;
        let ns = version.namespace();
        let mut header = None;
        let mut body = None;
        for child in root.children() {
            match child {
                Node::Element(e) if body.is_none() && header.is_none() && e.is(ns, "Header") => {
                    header = Some(e)
                }
                Node::Element(e) if body.is_none() && e.is(ns, "Body") => body = Some(e),
                Node::Element(_) if body.is_some() && version == SoapVersion::V11 => {}
                Node::Element(_) => {
                    return Err(SoapError::MalformedEnvelope(
                        "unexpected element in Envelope",
                    ));
                }
                Node::Text(t) if !wsrx_xml::trim_xml_whitespace(t).is_empty() => {
                    return Err(SoapError::MalformedEnvelope("character data in Envelope"));
                }
                _ => {}
            }
        }
        let body = body.ok_or(SoapError::MalformedEnvelope("no Body"))?;
        Ok(Self {
            version,
            root,
            header,
            body,
        })
    }

    /// The SOAP version.
    pub fn version(&self) -> SoapVersion {
        self.version
    }

    /// The `Envelope` element.
    pub fn root(&self) -> Element<'d> {
        self.root
    }

    /// The `Header` element, if present.
    pub fn header(&self) -> Option<Element<'d>> {
        self.header
    }

    /// The `Body` element.
    pub fn body(&self) -> Element<'d> {
        self.body
    }

    /// The first child element of the Body (the payload or the Fault).
    pub fn payload(&self) -> Option<Element<'d>> {
        self.body.child_elements().next()
    }

    /// Header blocks in document order. A block with a `mustUnderstand` value that
    /// is not a boolean yields [`SoapError::InvalidMustUnderstand`].
    pub fn header_blocks(&self) -> impl Iterator<Item = Result<HeaderBlock<'d>, SoapError>> + 'd {
        let version = self.version;
        let ns = version.namespace();
        self.header
            .into_iter()
            .flat_map(|h| h.child_elements())
            .map(move |element| {
                let must_understand = match element.attribute(Some(ns), "mustUnderstand") {
                    None => false,
                    Some(v) => version
                        .parse_must_understand(v)
                        .ok_or(SoapError::InvalidMustUnderstand)?,
                };
                let role = element.attribute(Some(ns), version.role_attribute());
                Ok(HeaderBlock {
                    element,
                    must_understand,
                    role,
                })
            })
    }

    /// Header blocks with this name.
    pub fn headers_named(
        &self,
        namespace: &'d str,
        local: &'d str,
    ) -> impl Iterator<Item = Element<'d>> + 'd {
        self.header
            .into_iter()
            .flat_map(|h| h.child_elements())
            .filter(move |e| e.is(namespace, local))
    }

    /// Applies the SOAP processing model for mustUnderstand (SOAP 1.2 part 1
    /// §2.4, §2.6; SOAP 1.1 §4.2.3): every block targeted at this node (default
    /// role, `next`/`ultimateReceiver`, or one of `extra_roles`) and marked
    /// mustUnderstand must be one that `understood` accepts; otherwise the fault
    /// lists them all.
    pub fn check_must_understand(
        &self,
        understood: impl Fn(Element<'d>) -> bool,
        extra_roles: &[&str],
    ) -> Result<(), SoapError> {
        let mut missing = Vec::new();
        for block in self.header_blocks() {
            let block = block?;
            if block.must_understand
                && self.version.targets_us(block.role, extra_roles)
                && !understood(block.element)
            {
                missing.push(QName::of(block.element));
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(SoapError::MustUnderstand(missing))
        }
    }

    /// The fault carried in the Body, if the payload is a `Fault`.
    pub fn fault(&self) -> Option<Result<Fault, SoapError>> {
        let payload = self.payload()?;
        payload
            .is(self.version.namespace(), "Fault")
            .then(|| Fault::parse(payload, self.version))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Start,
    Header,
    Body,
}

/// Writes an envelope: namespace declarations on the `Envelope`, then header
/// blocks, then the body, with the prefixes of [`PREFERRED_PREFIXES`].
pub struct EnvelopeWriter {
    version: SoapVersion,
    w: XmlWriter,
    section: Section,
}

impl EnvelopeWriter {
    /// Starts an envelope of `version`.
    pub fn new(version: SoapVersion) -> Self {
        let mut w = XmlWriter::with_prefixes(PREFERRED_PREFIXES);
        w.start(Some(version.namespace()), "Envelope");
        Self {
            version,
            w,
            section: Section::Start,
        }
    }

    /// The version being written.
    pub fn version(&self) -> SoapVersion {
        self.version
    }

    /// Declares a namespace on the `Envelope` (before any header or body).
    pub fn declare(&mut self, prefix: &str, namespace: &str) -> &mut Self {
        self.w.declare(prefix, namespace);
        self
    }

    /// The writer positioned inside `Header`, for one or more header blocks.
    pub fn header(&mut self) -> &mut XmlWriter {
        if self.section == Section::Start {
            self.w.start(Some(self.version.namespace()), "Header");
            self.section = Section::Header;
        }
        &mut self.w
    }

    /// The writer positioned inside `Body` (closing the Header first).
    pub fn body(&mut self) -> &mut XmlWriter {
        match self.section {
            Section::Body => {}
            Section::Header => {
                self.w.end();
                self.w.start(Some(self.version.namespace()), "Body");
            }
            Section::Start => {
                self.w.start(Some(self.version.namespace()), "Body");
            }
        }
        self.section = Section::Body;
        &mut self.w
    }

    /// Writes a whole fault envelope body (and its SOAP 1.2 headers).
    pub fn fault(mut self, fault: &Fault) -> Result<String, WriterError> {
        fault.write_headers(&mut self);
        fault.write_body(&mut self);
        self.finish()
    }

    /// Closes Body and Envelope and returns the text.
    pub fn finish(mut self) -> Result<String, WriterError> {
        self.body();
        self.w.end().end();
        self.w.finish()
    }
}
