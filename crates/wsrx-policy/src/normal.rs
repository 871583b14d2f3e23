//! The normal form (WS-Policy 1.5 §4.1, §4.3): a policy as the list of its
//! alternatives, each a list of assertions, every nested policy itself in normal form
//! with at most one alternative (§4.3.2).
//!
//! The number of alternatives is computed from the compact expression before anything
//! is expanded; a policy whose normal form would exceed the cap is refused naming the
//! innermost element that exceeds it, so expansion never allocates past the cap.

use crate::error::{AssertionName, Location, PolicyError};
use crate::expr::{CompactAssertion, Expr, Policy};
use crate::ns::WsPolicyVersion;
use crate::xml::{XmlAttribute, XmlElement, XmlNode};

/// A policy in normal form: `wsp:Policy/wsp:ExactlyOne/wsp:All*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalPolicy {
    /// The WS-Policy version to write it in (that of the input).
    pub version: WsPolicyVersion,
    /// The alternatives, in document order (the first is the policy's preference).
    pub alternatives: Vec<Alternative>,
}

/// One policy alternative: a collection of assertions that all apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Alternative {
    /// The assertions, in document order.
    pub assertions: Vec<Assertion>,
}

/// An assertion in normal form (`wsp:Optional` resolved into alternatives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The assertion's name.
    pub name: AssertionName,
    /// `wsp:Ignorable="true"`.
    pub ignorable: bool,
    /// Attributes other than `wsp:Optional` and `wsp:Ignorable`.
    pub attributes: Vec<XmlAttribute>,
    /// Parameters: child elements and text other than the nested policy.
    pub parameters: Vec<XmlNode>,
    /// The single alternative of the nested policy, if the assertion has one.
    pub nested: Option<Alternative>,
    pub(crate) nested_position: usize,
    /// Where it was written.
    pub location: Location,
}

impl Assertion {
    /// True when the assertion is `{namespace}local`.
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.name.is(namespace, local)
    }

    /// The value of attribute `{namespace}local` (`""` = no namespace).
    pub fn attribute(&self, namespace: &str, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace == namespace && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// The assertions of the nested policy (empty when there is none).
    pub fn nested_assertions(&self) -> &[Self] {
        self.nested
            .as_ref()
            .map_or(&[], |a| a.assertions.as_slice())
    }

    /// The parameter elements.
    pub fn parameter_elements(&self) -> impl Iterator<Item = &XmlElement> {
        self.parameters.iter().filter_map(|p| match p {
            XmlNode::Element(e) => Some(e),
            XmlNode::Text(_) => None,
        })
    }
}

impl Policy {
    /// The number of alternatives of the normal form, `None` when it does not fit 64
    /// bits; computed without expanding anything.
    pub fn alternative_count(&self) -> Option<u64> {
        count(&self.expr, u64::MAX).ok()
    }

    /// The normal form, refused with [`PolicyError::TooManyAlternatives`] when it
    /// would have more than `max_alternatives` alternatives.
    pub fn normalize(&self, max_alternatives: usize) -> Result<NormalPolicy, PolicyError> {
        let cap = u64::try_from(max_alternatives).unwrap_or(u64::MAX);
        count(&self.expr, cap).map_err(|(count, location)| PolicyError::TooManyAlternatives {
            count,
            max: max_alternatives,
            location,
        })?;
        Ok(NormalPolicy {
            version: self.version,
            alternatives: expand(&self.expr),
        })
    }
}

/// The alternative count of `expr`, or the count (if it fits) and location of the
/// innermost node above `cap`.
fn count(expr: &Expr, cap: u64) -> Result<u64, (Option<u64>, Location)> {
    let n = match expr {
        Expr::All { items, .. } => {
            let mut product: Option<u64> = Some(1);
            let mut empty = false;
            for item in items {
                let c = count(item, cap)?;
                empty |= c == 0;
                product = product.and_then(|p| p.checked_mul(c));
            }
            if empty { Some(0) } else { product }
        }
        Expr::ExactlyOne { items, .. } => {
            let mut sum: Option<u64> = Some(0);
            for item in items {
                let c = count(item, cap)?;
                sum = sum.and_then(|s| s.checked_add(c));
            }
            sum
        }
        Expr::Assertion(a) => {
            let nested = match &a.nested {
                Some(n) => count(n, cap)?,
                None => 1,
            };
            nested.checked_add(u64::from(a.optional))
        }
    };
    match n {
        Some(n) if n <= cap => Ok(n),
        other => Err((other, expr.location().clone())),
    }
}

/// Expands `expr` (already counted, so every intermediate list stays under the cap).
fn expand(expr: &Expr) -> Vec<Alternative> {
    match expr {
        Expr::All { items, .. } => {
            // Every part first: an empty one empties the product before any
            // partial product is built (partial products never exceed the total).
            let parts: Vec<Vec<Alternative>> = items.iter().map(expand).collect();
            if parts.iter().any(Vec::is_empty) {
                return Vec::new();
            }
            let mut acc = vec![Alternative::default()];
            for next in parts {
                let mut product = Vec::with_capacity(acc.len() * next.len());
                for left in &acc {
                    for right in &next {
                        let mut assertions = left.assertions.clone();
                        assertions.extend(right.assertions.iter().cloned());
                        product.push(Alternative { assertions });
                    }
                }
                acc = product;
            }
            acc
        }
        Expr::ExactlyOne { items, .. } => items.iter().flat_map(expand).collect(),
        Expr::Assertion(a) => {
            let mut out: Vec<Alternative> = match &a.nested {
                Some(nested) => expand(nested)
                    .into_iter()
                    .map(|n| Alternative {
                        assertions: vec![normal_assertion(a, Some(n))],
                    })
                    .collect(),
                None => vec![Alternative {
                    assertions: vec![normal_assertion(a, None)],
                }],
            };
            if a.optional {
                // §4.3.1: `A wsp:Optional="true"` is `<ExactlyOne><All>A</All><All/></ExactlyOne>`.
                out.push(Alternative::default());
            }
            out
        }
    }
}

fn normal_assertion(a: &CompactAssertion, nested: Option<Alternative>) -> Assertion {
    Assertion {
        name: a.name.clone(),
        ignorable: a.ignorable,
        attributes: a.attributes.clone(),
        parameters: a.parameters.clone(),
        nested,
        nested_position: a.nested_position,
        location: a.location.clone(),
    }
}

impl NormalPolicy {
    /// The merge of two policies in normal form (WS-Policy Attachment 1.5 §4.1): each
    /// alternative of `self` combined with each of `other`.
    pub fn merge(&self, other: &Self, max_alternatives: usize) -> Result<Self, PolicyError> {
        let n = self
            .alternatives
            .len()
            .saturating_mul(other.alternatives.len());
        if n > max_alternatives {
            return Err(PolicyError::TooManyAlternatives {
                count: u64::try_from(n).ok(),
                max: max_alternatives,
                location: other
                    .alternatives
                    .first()
                    .and_then(|a| a.assertions.first())
                    .map(|a| a.location.clone())
                    .unwrap_or_default(),
            });
        }
        let mut alternatives = Vec::with_capacity(n);
        for left in &self.alternatives {
            for right in &other.alternatives {
                let mut assertions = left.assertions.clone();
                assertions.extend(right.assertions.iter().cloned());
                alternatives.push(Alternative { assertions });
            }
        }
        Ok(Self {
            version: self.version,
            alternatives,
        })
    }
}
