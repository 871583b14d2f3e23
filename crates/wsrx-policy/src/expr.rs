//! Policy expressions as written (compact form, WS-Policy 1.5 §4.3), with every
//! `wsp:PolicyReference` replaced by the policy it names (§4.3.5) and each element's
//! [`Location`] kept for messages.
//!
//! Reading is bounded: nesting depth across references, the number of elements
//! after expanding references (a guard against fan-out such as a reference used
//! twice in a policy used twice …), and reference cycles, each a typed error.

use std::rc::Rc;

use wsrx_xml::{Element, Node, NodeId};

use crate::error::{AssertionName, Location, PolicyError};
use crate::ns::{self, WsPolicyVersion};
use crate::source::{Sources, is_policy_element, policy_label};
use crate::xml::{SourceDoc, XmlAttribute, XmlElement, XmlNode, copy_attributes, element_name};

/// A policy expression in compact form, references expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// `wsp:Policy` or `wsp:All`: every item applies.
    All {
        items: Vec<Self>,
        location: Location,
    },
    /// `wsp:ExactlyOne`: one item applies.
    ExactlyOne {
        items: Vec<Self>,
        location: Location,
    },
    /// An assertion.
    Assertion(Box<CompactAssertion>),
}

/// An assertion as written: its `wsp:Optional` still a flag, its nested policy an
/// expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompactAssertion {
    pub(crate) name: AssertionName,
    pub(crate) optional: bool,
    pub(crate) ignorable: bool,
    pub(crate) attributes: Vec<XmlAttribute>,
    pub(crate) parameters: Vec<XmlNode>,
    pub(crate) nested: Option<Expr>,
    /// Index in `parameters` before which the nested `wsp:Policy` was written.
    pub(crate) nested_position: usize,
    pub(crate) location: Location,
}

impl Expr {
    pub(crate) fn location(&self) -> &Location {
        match self {
            Self::All { location, .. } | Self::ExactlyOne { location, .. } => location,
            Self::Assertion(a) => &a.location,
        }
    }
}

/// A policy read from a document: its WS-Policy version, identifier and
/// expression. Built by [`crate::PolicyDocument`] or [`crate::Wsdl`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) version: WsPolicyVersion,
    pub(crate) label: Option<String>,
    pub(crate) expr: Expr,
}

impl Policy {
    /// The WS-Policy version the policy (its outermost element) is written in.
    pub fn version(&self) -> WsPolicyVersion {
        self.version
    }

    /// `#id` or `Name` of the policy, if it has one.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// Where the policy (or the first of a merge) sits.
    pub fn location(&self) -> &Location {
        self.expr.location()
    }

    /// True when the policy is empty (no assertion at all, one empty alternative).
    pub fn is_empty(&self) -> bool {
        matches!(&self.expr, Expr::All { items, .. } if items.is_empty())
    }

    /// The merge of `policies` (WS-Policy Attachment 1.5 §4.1: the effective policy of
    /// a subject is the merge of the policies attached to it, i.e. their `wsp:All`).
    /// The version is the first policy's, or `default` when there is none.
    pub fn merge<'p>(
        policies: impl IntoIterator<Item = &'p Self>,
        default: WsPolicyVersion,
        location: Location,
    ) -> Self {
        let mut version = None;
        let mut items = Vec::new();
        for p in policies {
            version.get_or_insert(p.version);
            items.push(p.expr.clone());
        }
        Self {
            version: version.unwrap_or(default),
            label: None,
            expr: Expr::All { items, location },
        }
    }
}

/// Builds [`Expr`]s from parsed elements, expanding references.
pub(crate) struct Builder<'s, 'r> {
    pub(crate) sources: &'s mut Sources<'r>,
    elements: usize,
    /// Policies being expanded through references: (document, element, URI).
    stack: Vec<(usize, NodeId, String)>,
}

impl<'s, 'r> Builder<'s, 'r> {
    pub(crate) fn new(sources: &'s mut Sources<'r>) -> Self {
        Self {
            sources,
            elements: 0,
            stack: Vec::new(),
        }
    }

    /// The policy `element` (a `wsp:Policy`) of document `doc`.
    pub(crate) fn policy(&mut self, doc: usize, element: NodeId) -> Result<Policy, PolicyError> {
        let source = self.source(doc)?;
        let Some(e) = source.doc.element(element) else {
            return Err(internal(&source));
        };
        let version = e
            .namespace()
            .and_then(WsPolicyVersion::from_namespace)
            .unwrap_or(WsPolicyVersion::V1_5);
        let label = policy_label(e);
        // The policy itself is on the stack, so a reference back to it is a cycle.
        self.stack.push((
            doc,
            element,
            label.clone().unwrap_or_else(|| "(policy)".to_owned()),
        ));
        let expr = self.operator(&source, doc, e, 0);
        self.stack.pop();
        Ok(Policy {
            version,
            label,
            expr: expr?,
        })
    }

    /// The policies a WSDL (or any) element attaches: its `wsp:Policy` and
    /// `wsp:PolicyReference` children and its `wsp:PolicyURIs` attribute
    /// (WS-Policy Attachment 1.5 §3.3, §3.4).
    pub(crate) fn attached(
        &mut self,
        doc: usize,
        element: NodeId,
    ) -> Result<Vec<Policy>, PolicyError> {
        let source = self.source(doc)?;
        let Some(e) = source.doc.element(element) else {
            return Err(internal(&source));
        };
        let mut out = Vec::new();
        for child in e.child_elements() {
            let Some(version) = child.namespace().and_then(WsPolicyVersion::from_namespace) else {
                continue;
            };
            match child.local_name() {
                "Policy" => out.push(self.policy(doc, child.id())?),
                "PolicyReference" => {
                    let (target_doc, target) = self.reference_target(&source, doc, child)?;
                    let uri = child.attribute(None, "URI").unwrap_or("").to_owned();
                    out.push(self.referenced(&source, child, target_doc, target, uri, version)?);
                }
                _ => {}
            }
        }
        for attr in e.attributes() {
            if attr.local_name() == "PolicyURIs" && attr.namespace().is_some_and(ns::is_ws_policy) {
                let version = attr
                    .namespace()
                    .and_then(WsPolicyVersion::from_namespace)
                    .unwrap_or(WsPolicyVersion::V1_5);
                for uri in attr.value().split_ascii_whitespace() {
                    let (target_doc, target) = self.resolve(&source, doc, e, uri)?;
                    out.push(self.referenced(
                        &source,
                        e,
                        target_doc,
                        target,
                        uri.to_owned(),
                        version,
                    )?);
                }
            }
        }
        Ok(out)
    }

    fn referenced(
        &mut self,
        source: &SourceDoc,
        at: Element<'_>,
        target_doc: usize,
        target: NodeId,
        uri: String,
        version: WsPolicyVersion,
    ) -> Result<Policy, PolicyError> {
        let expr = self.follow(source, at, target_doc, target, uri, 0)?;
        let target_source = self.source(target_doc)?;
        let label = target_source.doc.element(target).and_then(policy_label);
        Ok(Policy {
            version,
            label,
            expr,
        })
    }

    fn source(&self, doc: usize) -> Result<Rc<SourceDoc>, PolicyError> {
        self.sources.doc(doc).ok_or_else(|| PolicyError::Invalid {
            what: "document index".to_owned(),
            location: Location::default(),
        })
    }

    fn count(
        &mut self,
        source: &SourceDoc,
        e: Element<'_>,
        depth: usize,
    ) -> Result<(), PolicyError> {
        self.elements += 1;
        if self.elements > self.sources.options.max_elements {
            return Err(PolicyError::TooLarge {
                max: self.sources.options.max_elements,
                location: source.location(e),
            });
        }
        if depth > self.sources.options.max_depth {
            return Err(PolicyError::TooDeep {
                max: self.sources.options.max_depth,
                location: source.location(e),
            });
        }
        Ok(())
    }

    /// `wsp:Policy`, `wsp:All` or `wsp:ExactlyOne` element `e`.
    fn operator(
        &mut self,
        source: &SourceDoc,
        doc: usize,
        e: Element<'_>,
        depth: usize,
    ) -> Result<Expr, PolicyError> {
        self.count(source, e, depth)?;
        let mut items = Vec::new();
        for child in e.children() {
            match child {
                Node::Element(c) => items.push(self.item(source, doc, c, depth + 1)?),
                Node::Text(t) if !wsrx_xml::trim_xml_whitespace(t).is_empty() => {
                    let text = wsrx_xml::trim_xml_whitespace(t);
                    self.sources.warnings.push(format!(
                        "ignored character data {text:?} inside {}",
                        source.location(e)
                    ));
                }
                _ => {}
            }
        }
        let location = source.location(e);
        Ok(if e.local_name() == "ExactlyOne" {
            Expr::ExactlyOne { items, location }
        } else {
            Expr::All { items, location }
        })
    }

    /// A child of an operator: an operator, a reference or an assertion.
    fn item(
        &mut self,
        source: &SourceDoc,
        doc: usize,
        e: Element<'_>,
        depth: usize,
    ) -> Result<Expr, PolicyError> {
        if e.namespace().is_some_and(ns::is_ws_policy) {
            return match e.local_name() {
                "Policy" | "All" | "ExactlyOne" => self.operator(source, doc, e, depth),
                "PolicyReference" => {
                    self.count(source, e, depth)?;
                    let (target_doc, target) = self.reference_target(source, doc, e)?;
                    let uri = e.attribute(None, "URI").unwrap_or("").to_owned();
                    self.follow(source, e, target_doc, target, uri, depth)
                }
                other => Err(PolicyError::Invalid {
                    what: format!("element: wsp:{other} is not allowed in a policy expression"),
                    location: source.location(e),
                }),
            };
        }
        self.assertion(source, doc, e, depth)
    }

    fn reference_target(
        &mut self,
        source: &SourceDoc,
        doc: usize,
        e: Element<'_>,
    ) -> Result<(usize, NodeId), PolicyError> {
        let Some(uri) = e.attribute(None, "URI") else {
            return Err(PolicyError::Invalid {
                what: "wsp:PolicyReference: the URI attribute is missing".to_owned(),
                location: source.location(e),
            });
        };
        self.resolve(source, doc, e, wsrx_xml::trim_xml_whitespace(uri))
    }

    /// The policy `uri` names, seen from element `at` of document `doc`.
    fn resolve(
        &mut self,
        source: &SourceDoc,
        doc: usize,
        at: Element<'_>,
        uri: &str,
    ) -> Result<(usize, NodeId), PolicyError> {
        let unresolved = |reason: String| PolicyError::UnresolvedReference {
            uri: uri.to_owned(),
            location: source.location(at),
            reason,
        };
        if uri.is_empty() {
            return Err(unresolved("the URI is empty".to_owned()));
        }
        if let Some(fragment) = uri.strip_prefix('#') {
            return match self.sources.policy_by_key(doc, &format!("#{fragment}"))? {
                Some(id) => Ok((doc, id)),
                None => Err(unresolved(format!(
                    "no wsp:Policy with wsu:Id or xml:id {fragment:?} in {}",
                    source.name
                ))),
            };
        }
        // A policy Name (an absolute IRI) in this or an already loaded document.
        for d in 0..self.sources.docs.len() {
            if let Some(id) = self.sources.policy_by_key(d, uri)? {
                return Ok((d, id));
            }
        }
        let (document, fragment) = match uri.split_once('#') {
            Some((d, f)) => (d, Some(f)),
            None => (uri, None),
        };
        let target = self.sources.external(document, doc).map_err(unresolved)?;
        let Some(target_source) = self.sources.doc(target) else {
            return Err(unresolved("document index".to_owned()));
        };
        match fragment {
            Some(f) => match self.sources.policy_by_key(target, &format!("#{f}"))? {
                Some(id) => Ok((target, id)),
                None => Err(unresolved(format!(
                    "no wsp:Policy with wsu:Id or xml:id {f:?} in {}",
                    target_source.name
                ))),
            },
            None => {
                let root = target_source.doc.root();
                if is_policy_element(root) {
                    Ok((target, root.id()))
                } else {
                    Err(unresolved(format!(
                        "the document element of {} is not a wsp:Policy",
                        target_source.name
                    )))
                }
            }
        }
    }

    /// Expands the referenced policy, refusing cycles.
    fn follow(
        &mut self,
        source: &SourceDoc,
        at: Element<'_>,
        target_doc: usize,
        target: NodeId,
        uri: String,
        depth: usize,
    ) -> Result<Expr, PolicyError> {
        if self
            .stack
            .iter()
            .any(|(d, n, _)| *d == target_doc && *n == target)
        {
            let mut chain: Vec<String> = self.stack.iter().map(|(_, _, u)| u.clone()).collect();
            chain.push(uri);
            return Err(PolicyError::ReferenceCycle {
                chain,
                location: source.location(at),
            });
        }
        let target_source = self.source(target_doc)?;
        let Some(e) = target_source.doc.element(target) else {
            return Err(internal(&target_source));
        };
        self.stack.push((target_doc, target, uri));
        let result = self.operator(&target_source, target_doc, e, depth + 1);
        self.stack.pop();
        result
    }

    fn assertion(
        &mut self,
        source: &SourceDoc,
        doc: usize,
        e: Element<'_>,
        depth: usize,
    ) -> Result<Expr, PolicyError> {
        self.count(source, e, depth)?;
        let mut optional = false;
        let mut ignorable = false;
        let mut attributes = Vec::new();
        for a in copy_attributes(e) {
            if ns::is_ws_policy(&a.namespace) && (a.local == "Optional" || a.local == "Ignorable") {
                let value = match wsrx_xml::trim_xml_whitespace(&a.value) {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => {
                        return Err(PolicyError::Invalid {
                            what: format!(
                                "wsp:{} value {other:?} (xs:boolean expected) on {}",
                                a.local,
                                element_name(e).prefixed()
                            ),
                            location: source.location(e),
                        });
                    }
                };
                if a.local == "Optional" {
                    optional = value;
                } else {
                    ignorable = value;
                }
            } else {
                attributes.push(a);
            }
        }
        let mut parameters = Vec::new();
        let mut nested = None;
        let mut nested_position = 0;
        for child in e.children() {
            match child {
                Node::Element(c) if c.namespace().is_some_and(ns::is_ws_policy) => {
                    match c.local_name() {
                        "Policy" if nested.is_none() => {
                            nested = Some(self.operator(source, doc, c, depth + 1)?);
                            nested_position = parameters.len();
                        }
                        "Policy" => {
                            return Err(PolicyError::Invalid {
                                what: format!(
                                    "assertion: {} has more than one nested wsp:Policy",
                                    element_name(e).prefixed()
                                ),
                                location: source.location(c),
                            });
                        }
                        other => {
                            return Err(PolicyError::Invalid {
                                what: format!(
                                    "assertion: wsp:{other} directly inside {}; a nested policy \
                                     must be a wsp:Policy",
                                    element_name(e).prefixed()
                                ),
                                location: source.location(c),
                            });
                        }
                    }
                }
                Node::Element(c) => parameters.push(XmlNode::Element(XmlElement::copy(c))),
                Node::Text(t) => parameters.push(XmlNode::Text(t.to_owned())),
                _ => {}
            }
        }
        Ok(Expr::Assertion(Box::new(CompactAssertion {
            name: element_name(e),
            optional,
            ignorable,
            attributes,
            parameters,
            nested,
            nested_position,
            location: source.location(e),
        })))
    }
}

fn internal(source: &SourceDoc) -> PolicyError {
    PolicyError::Invalid {
        what: "element reference".to_owned(),
        location: Location {
            source: source.name.clone(),
            ..Location::default()
        },
    }
}
