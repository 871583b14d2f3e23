//! Inbound XML-Enc: [`decrypt`]ion of the parts a `xenc:ReferenceList` of our security header
//! lists (XML-Enc §3.4, §4.2; WSS 1.1 §9), and the record of what arrived encrypted
//! ([`Decryption`]) that a [`crate::ProtectionPolicy`] checks.
//!
//! Each EncryptedData is decrypted, its plaintext spliced into the envelope text by byte span,
//! and the result parsed into a new [`Document`]: the Body's content, `wsse11:EncryptedHeader`s
//! (replaced whole by the header block they carry, WSS 1.1 §9.3), Element EncryptedData
//! anywhere (`sp:EncryptedElements`), and encrypted `ds:Signature`s (WS-SP EncryptSignature).
//!
//! Sign-then-encrypt decrypts everything before verifying ([`decrypt`]).
//! Encrypt-then-sign decrypts only encrypted signatures first, verifies
//! the signatures over the encrypted forms, then decrypts the rest and carries
//! what the signatures covered into the plaintext document with [`Decrypted::map_node`]: an
//! element outside every replaced span keeps its identity (its span shifted by the splices
//! before it), a replaced EncryptedHeader or Element EncryptedData becomes the element that
//! landed in its place, and anything inside a replaced span is gone.
//!
//! Every failure (wrong key, bad padding, bad tag, plaintext that is not UTF-8 or not
//! well-formed in place, a plaintext of the wrong shape) is the same
//! [`SecurityError::FailedCheck`], so the answer is no oracle on the plaintext.

use std::ops::Range;

use wsrx_crypto::BlockCipherAlgorithm;
use wsrx_soap::Envelope;
use wsrx_xml::{Document, Element, NodeId};

use crate::error::SecurityError;
use crate::ids::IdIndex;
use crate::keys::{KeyContext, KeyIdentity};
use crate::ns::{DS, WSSE, WSSE11, XENC, XENC_CONTENT, XENC_ELEMENT};
use crate::suite::{AlgorithmPolicy, InboundAlgorithms, SuiteRole};
use crate::token::KeyResolver;
use crate::util::{element_children, leaf_text};
use crate::verify::our_security_header;
use wsrx_crypto::base64;

/// Most encrypted parts one message may carry.
pub const MAX_ENCRYPTED_PARTS: usize = 16;

/// What arrived encrypted, as nodes of the decrypted document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decryption {
    keys: Vec<KeyIdentity>,
    body_content: bool,
    headers: Vec<NodeId>,
    elements: Vec<NodeId>,
    signatures: Vec<NodeId>,
}

impl Decryption {
    /// The keys used, one per decrypted part.
    pub fn keys(&self) -> &[KeyIdentity] {
        &self.keys
    }
    /// True when the Body's content was encrypted (`sp:EncryptedParts/sp:Body`).
    pub fn body_was_encrypted(&self) -> bool {
        self.body_content
    }
    /// The header blocks that arrived as `wsse11:EncryptedHeader`s, in document order.
    pub fn decrypted_headers(&self) -> &[NodeId] {
        &self.headers
    }
    /// The elements that arrived as Element EncryptedData outside the header and the security
    /// header (`sp:EncryptedElements`), in document order.
    pub fn decrypted_elements(&self) -> &[NodeId] {
        &self.elements
    }
    /// The `ds:Signature`s of the security header that arrived encrypted.
    pub fn decrypted_signatures(&self) -> &[NodeId] {
        &self.signatures
    }
}

/// The plaintext envelope after [`decrypt`].
#[derive(Debug)]
pub struct Decrypted {
    document: Document,
    record: Decryption,
    splices: Vec<Splice>,
    references: Vec<String>,
}

/// One replacement: `old` (in the input) became `new` (in the output); `landed` is the element
/// a whole-element plaintext became.
#[derive(Debug, Clone)]
struct Splice {
    old: Range<usize>,
    new: Range<usize>,
    landed: Option<NodeId>,
}

impl Decrypted {
    /// The decrypted document; verify it with [`crate::Verifier::verify`].
    pub fn document(&self) -> &Document {
        &self.document
    }
    /// Consumes self, returning the document.
    pub fn into_document(self) -> Document {
        self.document
    }
    /// What was decrypted, as nodes of [`Decrypted::document`].
    pub fn decryption(&self) -> &Decryption {
        &self.record
    }
    /// The keys used, one per decrypted part.
    pub fn keys(&self) -> &[KeyIdentity] {
        &self.record.keys
    }
    /// True when the Body's content was encrypted (for an EncryptedParts policy).
    pub fn body_was_encrypted(&self) -> bool {
        self.record.body_content
    }
    /// The header blocks of [`Decrypted::document`] that arrived as
    /// `wsse11:EncryptedHeader`s, in document order (for an EncryptedParts policy).
    pub fn decrypted_headers(&self) -> &[NodeId] {
        &self.record.headers
    }
    /// How many `ds:Signature`s of the security header arrived encrypted
    /// (WS-SP EncryptSignature).
    pub fn encrypted_signatures(&self) -> usize {
        self.record.signatures.len()
    }

    /// The `DataReference` URIs this decryption followed.
    pub(crate) fn references(&self) -> &[String] {
        &self.references
    }

    /// The node of [`Decrypted::document`] that `node` of `input` (the document this was
    /// decrypted from) became: see the module docs. `None` for a node inside replaced text.
    pub fn map_node(&self, input: &Document, node: NodeId) -> Option<NodeId> {
        let span = input.element(node)?.span();
        let mut start = span.start;
        let mut end = span.end;
        for s in &self.splices {
            if s.old == span
                && let Some(landed) = s.landed
            {
                return Some(landed);
            }
            let inside = s.old.start <= span.start && span.end <= s.old.end;
            let overlaps = s.old.start < span.end && span.start < s.old.end;
            let contains = span.start <= s.old.start && s.old.end <= span.end;
            if inside || (overlaps && !contains) {
                return None;
            }
            let delta = s.new.len() as isize - s.old.len() as isize;
            if s.old.end <= span.start {
                start = start.checked_add_signed(delta)?;
            }
            if s.old.end <= span.end {
                end = end.checked_add_signed(delta)?;
            }
        }
        self.document
            .elements()
            .find(|e| e.span() == (start..end))
            .map(Element::id)
    }

    /// Adds what an earlier pass (whose output is this pass's input) decrypted, carried
    /// into this document.
    pub(crate) fn absorb(&mut self, earlier: &Self) {
        let input = &earlier.document;
        let map = |nodes: &[NodeId]| -> Vec<NodeId> {
            nodes
                .iter()
                .filter_map(|n| self.map_node(input, *n))
                .collect()
        };
        let signatures = map(&earlier.record.signatures);
        let headers = map(&earlier.record.headers);
        let elements = map(&earlier.record.elements);
        let r = &mut self.record;
        r.keys.splice(0..0, earlier.record.keys.iter().cloned());
        r.body_content |= earlier.record.body_content;
        r.signatures.extend(signatures);
        r.headers.extend(headers);
        r.elements.extend(elements);
    }
}

/// Which EncryptedData one decryption handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass<'a> {
    /// Everything listed (sign-then-encrypt).
    All,
    /// Only encrypted `ds:Signature`s of the security header.
    Signatures,
    /// Everything but encrypted signatures, after a [`Pass::Signatures`] that followed these
    /// `DataReference` URIs (their targets are gone).
    Data(&'a [String]),
}

/// Where a decrypted part goes back, and what it must then be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The content of some element (the Body).
    Content,
    /// A header block that came in a `wsse11:EncryptedHeader`.
    Header,
    /// A `ds:Signature` of the security header.
    Signature,
    /// Any other element (`sp:EncryptedElements`).
    Element,
}

/// The element a `DataReference` names, as `(EncryptedData, span to replace, place)`.
/// The reference may name the EncryptedData or (as some stacks do) its
/// `wsse11:EncryptedHeader` wrapper; either way the whole wrapper is replaced.
fn target<'d>(
    uri: &str,
    ids: &IdIndex<'d>,
    env: &Envelope<'d>,
    security: Element<'d>,
) -> Result<(Element<'d>, Range<usize>, Place), SecurityError> {
    let unresolved = SecurityError::InvalidSecurity("unresolved DataReference");
    let named = ids.fragment(uri).ok_or(unresolved.clone())?;
    let ed = if named.is(WSSE11, "EncryptedHeader") {
        let mut c = element_children(named)?;
        match (c.next(), c.next()) {
            (Some(ed), None) => ed,
            _ => return Err(SecurityError::InvalidSecurity("bad EncryptedHeader")),
        }
    } else {
        named
    };
    if !ed.is(XENC, "EncryptedData") {
        return Err(unresolved);
    }
    let element = ed.attribute(None, "Type") == Some(XENC_ELEMENT);
    let parent = ed.parent();
    if let Some(wrapper) = parent.filter(|p| p.is(WSSE11, "EncryptedHeader")) {
        // WSS 1.1 §9.3: a header block, encrypted whole, in a direct child of Header.
        if !element || wrapper.parent() != env.header() || wrapper.parent().is_none() {
            return Err(SecurityError::InvalidSecurity("bad EncryptedHeader"));
        }
        return Ok((ed, wrapper.span(), Place::Header));
    }
    let place = if !element {
        Place::Content
    } else if parent == Some(security) {
        Place::Signature
    } else {
        Place::Element
    };
    Ok((ed, ed.span(), place))
}

/// Decrypts every part listed in a `xenc:ReferenceList` of our security header, in header
/// order (see the module docs). `Ok(None)` when there is nothing to decrypt (use the original
/// document).
///
/// A decrypted header must be exactly one element (a header block), a decrypted signature
/// exactly one `ds:Signature`, a decrypted element exactly one element; anything else is a
/// failed check like a bad tag or padding, so the plaintext's shape is no oracle.
///
/// # Errors
/// [`SecurityError::FailedCheck`] for any decryption failure; token and structure
/// errors as in verification.
pub fn decrypt(
    doc: &Document,
    resolver: &dyn KeyResolver,
) -> Result<Option<Decrypted>, SecurityError> {
    decrypt_pass(doc, resolver, None, Pass::All)
}

/// [`decrypt`] limited to `pass`, holding `EncryptionMethod` to `suite` when given.
pub(crate) fn decrypt_pass(
    doc: &Document,
    resolver: &dyn KeyResolver,
    suite: Option<&AlgorithmPolicy>,
    pass: Pass<'_>,
) -> Result<Option<Decrypted>, SecurityError> {
    let env =
        Envelope::new(doc).map_err(|_| SecurityError::InvalidSecurity("not a SOAP envelope"))?;
    let security = our_security_header(&env)?;
    let lists: Vec<Element<'_>> = element_children(security)?
        .filter(|c| c.is(XENC, "ReferenceList"))
        .collect();
    if lists.is_empty() {
        return Ok(None);
    }
    let ids = IdIndex::build(doc)?;
    let keys_ctx = KeyContext {
        ids: &ids,
        security,
        resolver,
    };
    let src = doc.source();
    let mut splices: Vec<(Range<usize>, String, Place)> = Vec::new();
    let mut record = Decryption::default();
    let mut references = Vec::new();
    let mut listed = 0usize;
    for list in lists {
        for r in element_children(list)? {
            listed += 1;
            if !r.is(XENC, "DataReference") || listed > MAX_ENCRYPTED_PARTS {
                return Err(SecurityError::InvalidSecurity(
                    "unsupported ReferenceList entry",
                ));
            }
            let uri = r.attribute(None, "URI").unwrap_or("");
            if let Pass::Data(done) = pass
                && done.iter().any(|d| d == uri)
            {
                continue;
            }
            let (ed, span, place) = target(uri, &ids, &env, security)?;
            let wanted = match pass {
                Pass::All => true,
                Pass::Signatures => place == Place::Signature,
                Pass::Data(_) => place != Place::Signature,
            };
            if !wanted {
                continue;
            }
            if splices
                .iter()
                .any(|(s, _, _)| s.start < span.end && span.start < s.end)
            {
                return Err(SecurityError::InvalidSecurity("EncryptedData listed twice"));
            }
            let (plain, key) = decrypt_one(ed, &keys_ctx, suite)?;
            record.body_content |= place == Place::Content && ed.parent() == Some(env.body());
            record.keys.push(key);
            references.push(uri.to_owned());
            splices.push((span, plain, place));
        }
    }
    if splices.is_empty() {
        return Ok(None);
    }
    splices.sort_by_key(|(s, _, _)| s.start);
    let mut text = String::with_capacity(src.len());
    let mut at = 0;
    let mut placed: Vec<Splice> = Vec::with_capacity(splices.len());
    // Where each whole-element plaintext landed in `text`: (splice index, start, end, place).
    let mut landed = Vec::new();
    for (span, plain, place) in &splices {
        text.push_str(src.get(at..span.start).ok_or(SecurityError::FailedCheck)?);
        let new_start = text.len();
        if *place != Place::Content {
            let lead = plain.len() - plain.trim_start().len();
            let start = text.len() + lead;
            landed.push((placed.len(), start, start + plain.trim().len(), *place));
        }
        text.push_str(plain);
        placed.push(Splice {
            old: span.clone(),
            new: new_start..text.len(),
            landed: None,
        });
        at = span.end;
    }
    text.push_str(src.get(at..).ok_or(SecurityError::FailedCheck)?);
    let document = Document::parse(text.as_bytes()).map_err(|_| SecurityError::FailedCheck)?;
    check_landed(&document, &landed, &mut placed, &mut record)?;
    Ok(Some(Decrypted {
        document,
        record,
        splices: placed,
        references,
    }))
}

/// Each whole-element plaintext must be exactly one element of the right kind where it
/// landed; records the decrypted headers, elements and signatures.
fn check_landed(
    document: &Document,
    landed: &[(usize, usize, usize, Place)],
    splices: &mut [Splice],
    record: &mut Decryption,
) -> Result<(), SecurityError> {
    if landed.is_empty() {
        return Ok(());
    }
    let env = Envelope::new(document).map_err(|_| SecurityError::FailedCheck)?;
    for &(index, start, end, place) in landed {
        let el = document
            .elements()
            .find(|e| e.span().start == start)
            .filter(|e| e.span().end == end)
            .ok_or(SecurityError::FailedCheck)?;
        match place {
            Place::Header if el.parent() == env.header() && !el.is(WSSE, "Security") => {
                record.headers.push(el.id());
            }
            Place::Signature
                if el.is(DS, "Signature")
                    && el.parent().is_some_and(|p| p.is(WSSE, "Security")) =>
            {
                record.signatures.push(el.id());
            }
            Place::Element if !el.is(DS, "Signature") && !el.is(WSSE, "Security") => {
                record.elements.push(el.id());
            }
            _ => return Err(SecurityError::FailedCheck),
        }
        if let Some(s) = splices.get_mut(index) {
            s.landed = Some(el.id());
        }
    }
    Ok(())
}

fn decrypt_one(
    ed: Element<'_>,
    keys: &KeyContext<'_, '_>,
    suite: Option<&AlgorithmPolicy>,
) -> Result<(String, KeyIdentity), SecurityError> {
    match ed.attribute(None, "Type") {
        Some(XENC_CONTENT | XENC_ELEMENT) => {}
        _ => {
            return Err(SecurityError::InvalidSecurity(
                "unsupported EncryptedData Type",
            ));
        }
    }
    let mut children = element_children(ed)?;
    let method = children
        .next()
        .filter(|c| c.is(XENC, "EncryptionMethod"))
        .ok_or(SecurityError::InvalidSecurity("no EncryptionMethod"))?;
    let uri = method.attribute(None, "Algorithm").unwrap_or("");
    let legacy = suite.map_or(&[][..], AlgorithmPolicy::legacy_ciphers);
    let cipher = BlockCipherAlgorithm::from_uri_allowing(uri, legacy)?;
    if let Some(p) = suite
        && p.inbound == InboundAlgorithms::SuiteOnly
        && cipher != p.encryption()
    {
        return Err(SecurityError::AlgorithmOutsideSuite(SuiteRole::Encryption));
    }
    let key_info = children
        .next()
        .filter(|c| c.is(DS, "KeyInfo"))
        .ok_or(SecurityError::TokenUnavailable)?;
    let cipher_data = children
        .next()
        .filter(|c| c.is(XENC, "CipherData"))
        .ok_or(SecurityError::InvalidSecurity("no CipherData"))?;
    // EncryptionProperties may follow; they carry nothing we use.
    let value = element_children(cipher_data)?
        .next()
        .filter(|c| c.is(XENC, "CipherValue"))
        .ok_or(SecurityError::InvalidSecurity("no CipherValue"))?;
    let data = base64::decode(&leaf_text(value)?).ok_or(SecurityError::FailedCheck)?;
    let (key, identity) = keys.key_info(key_info, ed)?;
    let plain = cipher
        .decrypt(&key, &data)
        .map_err(|_| SecurityError::FailedCheck)?;
    let text = String::from_utf8(plain.to_vec()).map_err(|_| SecurityError::FailedCheck)?;
    Ok((text, identity))
}
