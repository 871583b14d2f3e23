//! The domain vocabularies: each assertion of a chosen policy alternative mapped to
//! the typed [`Configuration`](crate::Configuration), or the alternative refused naming
//! the assertion that wsrx cannot honour.
//!
//! The rule (issue 17): an assertion wsrx does not implement, not marked
//! `wsp:Ignorable`, makes its alternative unusable; an ignorable one it does not
//! understand is dropped and reported ([`Ignored`]); another stack's local
//! configuration (Metro keystores, Rampart's `RampartConfig`) is reported as ignored.
//! Nothing is dropped silently. The same rule applies inside nested policies, at any
//! depth.
//!
//! - [`security`] and the mapping in `sp`: WS-SecurityPolicy 1.1, 1.2, 1.3;
//! - [`rm`]: WS-RM Policy 1.0 (2005/02) and 1.1/1.2 (200702), WCF's `netrmp` and `net`
//!   extensions, WS-MakeConnection;
//! - [`addressing`]: WS-Addressing metadata (`wsam:Addressing`, `wsaw:UsingAddressing`,
//!   the 2004/08 `wsap:UsingAddressing`);
//! - [`table`]: every known assertion, where it may appear and what wsrx does with it.

pub mod addressing;
mod parts;
pub mod rm;
pub mod security;
mod sp;
pub mod table;

use crate::config::{Configuration, Ignored};
use crate::error::{AssertionName, Location, Refusal, RefusalReason};
use crate::normal::{Alternative, Assertion};
use crate::ns;
use security::SpVersion;
use table::{Context, Entry, Status};

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

/// Maps one policy alternative to a configuration.
pub(crate) fn configure_alternative(alternative: &Alternative) -> Result<Configuration, Refusal> {
    let mut m = Mapper::default();
    let mut security = sp::SecurityBuilder::default();
    let mut reliable = rm::RmBuilder::default();
    let mut addressing = addressing::AddressingBuilder::default();
    let mut make_connection = false;
    for a in &alternative.assertions {
        if m.classify(a, &[Context::Policy])?.is_none() {
            continue;
        }
        let namespace = a.name.namespace.as_str();
        if is_sp(namespace) {
            security.add(&mut m, a)?;
        } else if rm::is_rm(namespace) {
            reliable.add(&mut m, a)?;
        } else if addressing::is_addressing(namespace) {
            addressing.add(&mut m, a)?;
        } else if namespace == ns::WSMC {
            make_connection = true;
        } else if namespace == ns::WSPE {
            m.ignore(
                a,
                "partial: wsrx reads and writes UTF-8 only (UTF-16 is never sent)",
            );
        } else {
            return Err(refuse(a, RefusalReason::NotImplemented));
        }
    }
    let security = security.finish(&m)?;
    let rm = reliable.finish(&mut m)?;
    Ok(Configuration {
        security,
        rm,
        addressing: addressing.finish(),
        make_connection,
        ignored: m.ignored,
    })
}
