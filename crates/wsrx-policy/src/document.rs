//! Reading a document: a WSDL 1.1 description ([`crate::Wsdl`]), a `wsp:Policy`, or any
//! other document holding policies (a `wsp:PolicyAttachment` file, a Spring
//! configuration): every outermost `wsp:Policy` and every `wsp:PolicyAttachment`
//! becomes a subject of its own.

use wsrx_xml::Element;

use crate::error::PolicyError;
use crate::expr::{Builder, Policy};
use crate::ns::{self, WsPolicyVersion};
use crate::source::{Options, PolicyResolver, Sources, is_policy_element};
use crate::wsdl::Wsdl;
use crate::xml::SourceDoc;

/// What a document turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A WSDL 1.1 description.
    Wsdl(Wsdl),
    /// A policy document or a document holding policies.
    Policies(PolicyDocument),
}

impl Input {
    /// Reads `bytes` (called `name` in messages), resolving external references
    /// through `resolver`.
    pub fn read(
        name: &str,
        bytes: &[u8],
        resolver: &mut dyn PolicyResolver,
        options: &Options,
    ) -> Result<Self, PolicyError> {
        let mut sources = Sources::new(resolver, options);
        let doc = sources.add(name, bytes)?;
        let is_wsdl = sources
            .doc(doc)
            .is_some_and(|d| d.doc.root().is(ns::WSDL11, "definitions"));
        if is_wsdl {
            Wsdl::from_sources(sources, doc).map(Self::Wsdl)
        } else {
            PolicyDocument::from_sources(sources, doc).map(Self::Policies)
        }
    }

    /// Warnings gathered while reading (ignored character data, unresolved imports).
    pub fn warnings(&self) -> &[String] {
        match self {
            Self::Wsdl(w) => &w.warnings,
            Self::Policies(p) => &p.warnings,
        }
    }
}

/// The policies of a document that is not a WSDL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    /// The document's name.
    pub name: String,
    /// One subject per outermost `wsp:Policy` or `wsp:PolicyAttachment`.
    pub subjects: Vec<PolicySubject>,
    /// Warnings gathered while reading.
    pub warnings: Vec<String>,
}

/// A policy of a [`PolicyDocument`] and how to call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySubject {
    /// `policy #Id`, `policy 2`, or `attachment 1 (applies to …)`.
    pub label: String,
    /// The policy (for an attachment, the merge of its policies).
    pub policy: Policy,
}

impl PolicyDocument {
    /// Reads a policy document.
    pub fn read(
        name: &str,
        bytes: &[u8],
        resolver: &mut dyn PolicyResolver,
        options: &Options,
    ) -> Result<Self, PolicyError> {
        let mut sources = Sources::new(resolver, options);
        let doc = sources.add(name, bytes)?;
        Self::from_sources(sources, doc)
    }

    fn from_sources(mut sources: Sources<'_>, doc: usize) -> Result<Self, PolicyError> {
        let Some(source) = sources.doc(doc) else {
            return Err(PolicyError::NoPolicy {
                document: String::new(),
                root: String::new(),
            });
        };
        let found = outermost(&source);
        if found.is_empty() {
            let root = source.doc.root();
            return Err(PolicyError::NoPolicy {
                document: source.name.clone(),
                root: format!(
                    "{{{}}}{}",
                    root.namespace().unwrap_or(""),
                    root.local_name()
                ),
            });
        }
        let mut subjects = Vec::new();
        let mut builder = Builder::new(&mut sources);
        let (mut policies, mut attachments) = (0, 0);
        for e in found {
            let Some(e) = source.doc.element(e) else {
                continue;
            };
            if is_policy_element(e) {
                policies += 1;
                let policy = builder.policy(doc, e.id())?;
                let label = match policy.label() {
                    Some(l) => format!("policy {l}"),
                    None if policies == 1 => "policy".to_owned(),
                    None => format!("policy {policies}"),
                };
                subjects.push(PolicySubject { label, policy });
            } else {
                attachments += 1;
                let attached = builder.attached(doc, e.id())?;
                let version = e
                    .namespace()
                    .and_then(WsPolicyVersion::from_namespace)
                    .unwrap_or(WsPolicyVersion::V1_5);
                let policy = Policy::merge(&attached, version, source.location(e));
                subjects.push(PolicySubject {
                    label: format!("attachment {attachments} (applies to {})", applies_to(e)),
                    policy,
                });
            }
        }
        let name = source.name.clone();
        Ok(Self {
            name,
            subjects,
            warnings: std::mem::take(&mut sources.warnings),
        })
    }
}

/// Outermost `wsp:Policy` and `wsp:PolicyAttachment` elements, in document order.
fn outermost(source: &SourceDoc) -> Vec<wsrx_xml::NodeId> {
    let is_attachment = |e: Element<'_>| {
        e.local_name() == "PolicyAttachment" && e.namespace().is_some_and(ns::is_ws_policy)
    };
    let mut out = Vec::new();
    let mut skip_until = None;
    for e in source.doc.elements() {
        if let Some(end) = skip_until {
            if e.is_within(end) {
                continue;
            }
            skip_until = None;
        }
        if is_policy_element(e) || is_attachment(e) {
            out.push(e.id());
            skip_until = Some(e);
        }
    }
    out
}

/// A short description of a `wsp:AppliesTo` domain expression.
fn applies_to(attachment: Element<'_>) -> String {
    let Some(applies) = attachment
        .child_elements()
        .find(|c| c.local_name() == "AppliesTo" && c.namespace().is_some_and(ns::is_ws_policy))
    else {
        return "nothing: wsp:AppliesTo is missing".to_owned();
    };
    let address = applies
        .descendants_or_self()
        .find(|e| e.local_name() == "Address")
        .map(|e| e.trimmed_text().into_owned());
    match (address, applies.child_elements().next()) {
        (Some(a), _) => format!("endpoint {a}"),
        (None, Some(c)) => c.qualified_name().to_owned(),
        (None, None) => "an empty domain".to_owned(),
    }
}
