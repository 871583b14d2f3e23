//! The state of one mapping and the helpers every vocabulary module uses: classify an
//! assertion against the [`table`](super::table) (map it, ignore it with a reason, or
//! refuse it), and build refusals.

use crate::error::{AssertionName, Location, Refusal, RefusalReason};
use crate::normal::Assertion;
use crate::ns;

use super::security::SpVersion;
use super::table::{self, Context, Entry, Status};

/// An assertion of the chosen alternative that wsrx does not act on, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Ignored {
    /// The assertion.
    pub assertion: AssertionName,
    /// Where it sits.
    pub location: Location,
    /// Why it does not apply.
    pub reason: String,
}

/// State of one mapping: what was ignored, which WS-SP version was seen.
#[derive(Debug, Default)]
pub(crate) struct Mapper {
    pub(crate) ignored: Vec<Ignored>,
    pub(crate) sp_version: Option<SpVersion>,
}

impl Mapper {
    pub(crate) fn ignore(&mut self, a: &Assertion, reason: impl Into<String>) {
        self.ignored.push(Ignored {
            assertion: a.name.clone(),
            location: a.location.clone(),
            reason: reason.into(),
        });
    }

    /// Classifies `a` found in one of `contexts`: `Ok(Some(entry))` to map it,
    /// `Ok(None)` when it is ignored (and recorded), `Err` when it refuses the
    /// alternative.
    pub(crate) fn classify(
        &mut self,
        a: &Assertion,
        contexts: &[Context],
    ) -> Result<Option<&'static Entry>, Refusal> {
        let here = contexts.first().map_or("here", |c| c.describe());
        // Metro marks its local configuration wspp:visibility="private".
        if a.attribute(ns::METRO_POLICY, "visibility") == Some("private") {
            self.ignore(a, "marked wspp:visibility=\"private\": local configuration of Metro, not a wire requirement");
            return Ok(None);
        }
        let Some(entry) = table::lookup(&a.name.namespace, &a.name.local) else {
            if a.ignorable {
                self.ignore(a, "not understood by wsrx; marked wsp:Ignorable");
                return Ok(None);
            }
            return Err(refuse(a, RefusalReason::NotImplemented));
        };
        if entry.status == Status::LocalConfiguration {
            self.ignore(
                a,
                format!(
                    "local configuration of another stack ({}), not a wire requirement",
                    entry.note
                ),
            );
            return Ok(None);
        }
        if !entry.contexts.iter().any(|c| contexts.contains(c)) {
            let belongs: Vec<&str> = entry.contexts.iter().map(|c| c.describe()).collect();
            if a.ignorable {
                self.ignore(a, format!("marked wsp:Ignorable and misplaced in {here}"));
                return Ok(None);
            }
            return Err(refuse(
                a,
                RefusalReason::Misplaced(format!(
                    "{} belongs in {}, not in {here}",
                    a.name.prefixed(),
                    belongs.join(" or ")
                )),
            ));
        }
        if entry.status == Status::Refused {
            if a.ignorable {
                self.ignore(a, format!("marked wsp:Ignorable; {}", entry.note));
                return Ok(None);
            }
            return Err(refuse(a, RefusalReason::Unsupported(entry.note.to_owned())));
        }
        let version = match a.name.namespace.as_str() {
            ns::SP11 => Some(SpVersion::V1_1),
            ns::SP12 => Some(SpVersion::V1_2),
            ns::SP13 => Some(SpVersion::V1_3),
            _ => None,
        };
        if let Some(v) = version {
            self.sp_version = Some(self.sp_version.map_or(v, |old| old.max(v)));
        }
        Ok(Some(entry))
    }
}

/// A refusal of `a`.
pub(crate) fn refuse(a: &Assertion, reason: RefusalReason) -> Refusal {
    Refusal {
        assertion: a.name.clone(),
        location: a.location.clone(),
        reason,
    }
}

/// A refusal naming parameter `name` of assertion `a`.
pub(crate) fn refuse_parameter(
    a: &Assertion,
    name: AssertionName,
    reason: RefusalReason,
) -> Refusal {
    let location = Location {
        path: format!("{}/{}", a.location.path, name.prefixed()),
        ..a.location.clone()
    };
    Refusal {
        assertion: name,
        location,
        reason,
    }
}

/// True when `namespace` is a WS-SecurityPolicy namespace.
pub(crate) fn is_sp(namespace: &str) -> bool {
    matches!(namespace, ns::SP11 | ns::SP12 | ns::SP13)
}

/// A refusal of parameter `p`, which assertion `a` does not take.
pub(crate) fn unknown_parameter(a: &Assertion, p: &crate::xml::XmlElement) -> Refusal {
    let name = p.name();
    let shown = name.prefixed();
    refuse_parameter(
        a,
        name,
        RefusalReason::Invalid(format!(
            "{shown} is not a parameter of {}",
            a.name.prefixed()
        )),
    )
}
