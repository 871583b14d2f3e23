//! The domain vocabularies: each assertion of a chosen policy alternative mapped to
//! the typed [`Configuration`], or the alternative refused naming
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
mod addressing_map;
pub(crate) mod mapper;
mod parts;
pub mod rm;
mod rm_map;
pub mod security;
mod sp;
pub mod table;

pub use mapper::Ignored;

use crate::configuration::Configuration;
use crate::error::{Refusal, RefusalReason};
use crate::normal::Alternative;
use crate::ns;
use mapper::{Mapper, is_sp, refuse};
use table::Context;

/// Maps one policy alternative to a configuration.
pub(crate) fn configure_alternative(alternative: &Alternative) -> Result<Configuration, Refusal> {
    let mut m = Mapper::default();
    let mut security = sp::SecurityBuilder::default();
    let mut reliable = rm_map::RmBuilder::default();
    let mut addressing = addressing_map::AddressingBuilder::default();
    let mut make_connection = false;
    for a in &alternative.assertions {
        if m.classify(a, &[Context::Policy])?.is_none() {
            continue;
        }
        let namespace = a.name.namespace.as_str();
        if is_sp(namespace) {
            security.add(&mut m, a)?;
        } else if rm_map::is_rm(namespace) {
            reliable.add(&mut m, a)?;
        } else if addressing_map::is_addressing(namespace) {
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
