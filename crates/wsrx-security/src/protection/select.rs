//! Which elements of a message a [`Parts`] selects: the one definition both the signer and the
//! inbound check use, so that what is built and what is required never drift apart.

use wsrx_soap::Envelope;
use wsrx_xml::{Document, Element};

use super::{Axis, ElementPath, HeaderSelector, Parts};
use crate::ns::WSSE;

impl HeaderSelector {
    /// True when header block `e` is selected (`wsse:Security` never is).
    pub fn matches(&self, e: Element<'_>) -> bool {
        if e.is(WSSE, "Security") {
            return false;
        }
        match self {
            Self::Named(name) => name.matches(e),
            Self::Namespace(ns) => e.namespace() == Some(ns.as_str()),
            Self::Any => true,
        }
    }
}

impl ElementPath {
    /// The elements of `doc` the path selects, in document order, each once.
    pub fn select<'d>(&self, doc: &'d Document) -> Vec<Element<'d>> {
        let mut current: Vec<Element<'d>> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let named = |e: &Element<'_>| e.is(&step.namespace, &step.local_name);
            let mut next: Vec<Element<'d>> = match (i, step.axis) {
                (0, Axis::Child) => Some(doc.root()).into_iter().filter(named).collect(),
                (0, Axis::Descendant) => doc.elements().filter(named).collect(),
                (_, Axis::Child) => current
                    .iter()
                    .flat_map(|e| e.child_elements())
                    .filter(named)
                    .collect(),
                (_, Axis::Descendant) => current
                    .iter()
                    .flat_map(|e| e.descendants_or_self().skip(1))
                    .filter(named)
                    .collect(),
            };
            next.sort_by_key(|e| e.id());
            next.dedup_by_key(|e| e.id());
            current = next;
            if current.is_empty() {
                break;
            }
        }
        current
    }
}

/// The header blocks of `env` selected by `selectors`, in document order.
pub(crate) fn headers<'d>(env: &Envelope<'d>, selectors: &[HeaderSelector]) -> Vec<Element<'d>> {
    if selectors.is_empty() {
        return Vec::new();
    }
    env.header()
        .into_iter()
        .flat_map(|h| h.child_elements())
        .filter(|h| selectors.iter().any(|s| s.matches(*h)))
        .collect()
}

/// The elements of `doc` selected by `paths`, in document order, each once.
pub(crate) fn elements<'d>(doc: &'d Document, paths: &[ElementPath]) -> Vec<Element<'d>> {
    let mut all: Vec<Element<'d>> = paths.iter().flat_map(|p| p.select(doc)).collect();
    all.sort_by_key(|e| e.id());
    all.dedup_by_key(|e| e.id());
    all
}

/// Everything `parts` selects in `env`: header blocks, then elements, then the Body, each
/// once (an element also selected as a header block or the Body counts once).
pub(crate) fn selected<'d>(env: &Envelope<'d>, parts: &Parts) -> Vec<Element<'d>> {
    let doc = env.root().document();
    let mut all = headers(env, &parts.headers);
    all.extend(elements(doc, &parts.elements));
    if parts.body {
        all.push(env.body());
    }
    all.sort_by_key(|e| e.id());
    all.dedup_by_key(|e| e.id());
    all
}

/// True when the Body carries nothing: no child element and no character data but whitespace
/// (an RM acknowledgement, for instance). `sp:EncryptedParts` `sp:Body` (WS-SP 1.2 §4.2.1)
/// protects the Body's content; an empty Body has none, so wsrx accepts it unencrypted (an
/// encrypted empty content is accepted too). Outbound, the empty content is encrypted all the
/// same (`PartEncryptor::body_content`), as Metro requires.
pub(crate) fn empty_body(body: Element<'_>) -> bool {
    body.child_elements().next().is_none()
        && body.children().all(|n| match n {
            wsrx_xml::Node::Text(t) => wsrx_xml::trim_xml_whitespace(t).is_empty(),
            _ => true,
        })
}
