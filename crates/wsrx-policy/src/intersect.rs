//! Policy intersection (WS-Policy 1.5 §4.5): the alternatives two parties can both
//! accept, with the domain-independent compatibility rules.
//!
//! - Two assertions are compatible when they have the same type (expanded name) and
//!   either neither has a nested policy, or both have one and their nested
//!   alternatives are compatible. Parameters take no part (§4.5).
//! - Two alternatives are compatible when every assertion of each has a compatible
//!   assertion in the other; in **lax** mode assertions marked `wsp:Ignorable` are
//!   left out of that test (§4.5, intersection mode).
//! - The intersection of two compatible alternatives holds all the assertions of
//!   both; the intersection of two policies is every such pair, first policy major.

use crate::error::{AssertionName, Location};
use crate::normal::{Alternative, Assertion, NormalPolicy};

/// The intersection mode of WS-Policy 1.5 §4.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntersectionMode {
    /// Every assertion takes part (the default).
    #[default]
    Strict,
    /// Assertions marked `wsp:Ignorable="true"` do not take part.
    Lax,
}

/// Why two alternatives are not compatible: the first assertion of one with no
/// compatible assertion in the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Index (0-based) of the alternative in the first policy.
    pub first: usize,
    /// Index (0-based) of the alternative in the second policy.
    pub second: usize,
    /// True when the unmatched assertion is in the first policy's alternative.
    pub in_first: bool,
    /// The unmatched assertion.
    pub assertion: AssertionName,
    /// Where it sits.
    pub location: Location,
}

impl NormalPolicy {
    /// The intersection with `other`: empty when no alternative is compatible.
    pub fn intersect(&self, other: &Self, mode: IntersectionMode) -> Self {
        let mut alternatives = Vec::new();
        for a in &self.alternatives {
            for b in &other.alternatives {
                if alternatives_compatible(a, b, mode) {
                    let mut assertions = a.assertions.clone();
                    assertions.extend(b.assertions.iter().cloned());
                    alternatives.push(Alternative { assertions });
                }
            }
        }
        Self {
            version: self.version,
            alternatives,
        }
    }

    /// For every pair of alternatives that is not compatible, the first assertion
    /// left without a partner (empty when every pair is compatible).
    pub fn mismatches(&self, other: &Self, mode: IntersectionMode) -> Vec<Mismatch> {
        let mut out = Vec::new();
        for (i, a) in self.alternatives.iter().enumerate() {
            for (j, b) in other.alternatives.iter().enumerate() {
                let unmatched = unmatched(a, b, mode)
                    .map(|x| (true, x))
                    .or_else(|| unmatched(b, a, mode).map(|x| (false, x)));
                if let Some((in_first, x)) = unmatched {
                    out.push(Mismatch {
                        first: i,
                        second: j,
                        in_first,
                        assertion: x.name.clone(),
                        location: x.location.clone(),
                    });
                }
            }
        }
        out
    }
}

/// §4.5: assertion compatibility, by type and nested policy.
pub fn assertions_compatible(a: &Assertion, b: &Assertion, mode: IntersectionMode) -> bool {
    a.name.namespace == b.name.namespace
        && a.name.local == b.name.local
        && match (&a.nested, &b.nested) {
            (None, None) => true,
            (Some(x), Some(y)) => alternatives_compatible(x, y, mode),
            _ => false,
        }
}

/// §4.5: alternative compatibility in `mode`.
pub fn alternatives_compatible(a: &Alternative, b: &Alternative, mode: IntersectionMode) -> bool {
    unmatched(a, b, mode).is_none() && unmatched(b, a, mode).is_none()
}

/// The first assertion of `a` taking part in `mode` with no compatible one in `b`.
fn unmatched<'a>(
    a: &'a Alternative,
    b: &Alternative,
    mode: IntersectionMode,
) -> Option<&'a Assertion> {
    a.assertions
        .iter()
        .filter(|x| mode == IntersectionMode::Strict || !x.ignorable)
        .find(|x| {
            !b.assertions
                .iter()
                .any(|y| assertions_compatible(x, y, mode))
        })
}
