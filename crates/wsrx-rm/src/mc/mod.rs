//! WS-MakeConnection 1.1 (`http://docs.oasis-open.org/ws-rx/wsmc/200702`), sans IO.
//!
//! An endpoint that cannot be reached (a client behind NAT, with no listener) names itself
//! with an **MC anonymous URI**, `http://docs.oasis-open.org/ws-rx/wsmc/200702/anonymous?id=<id>`
//! (WS-MC 1.1 §3.1), as its ReplyTo, AcksTo or offered Endpoint. The other side holds every
//! message addressed there and hands the next one out on the HTTP response of a
//! `wsmc:MakeConnection` request that selects it (§3.2), with a `wsmc:MessagePending` header
//! saying whether more are waiting (§3.3); with nothing waiting it answers HTTP 202 with no
//! body (§3.2, SOAP/HTTP binding).
//!
//! * [`Mailbox`]: the holding side (`wsrx serve`): messages held per MC anonymous id, taken
//!   in order by a selection (by `wsmc:Address`, or by the WS-RM extension: a sequence's
//!   `wsrm:Identifier`, WS-RM 1.1 §3.10), with per-address and total limits and an age limit.
//! * [`Poller`]: the polling side (`wsrx send --make-connection`): when to send the next
//!   MakeConnection: at once while messages are pending, otherwise after an interval that
//!   backs off while nothing comes, and not at all when nothing is expected.
//! * [`wire`]: the `MakeConnection` body and the `MessagePending` header, read and written.
//! * [`McError`]: why a MakeConnection was refused, and its fault (§4: `wsmc:MissingSelection`,
//!   `wsmc:UnsupportedSelection`, Sender faults with the action [`FAULT_ACTION`]).
//!
//! Like the rest of this crate: no IO, no clock (time is an argument), nothing panics on input.

mod mailbox;
mod poller;
pub mod wire;

#[cfg(test)]
mod tests;

pub use mailbox::{HoldOutcome, Mailbox, MailboxConfig, Taken};
pub use poller::{Poller, PollerConfig};

use thiserror::Error;
use wsrx_soap::{Fault, FaultCode};

use crate::msg::SequenceId;

/// The WS-MakeConnection 1.1 namespace (spec-facts §1.2).
pub const NS: &str = "http://docs.oasis-open.org/ws-rx/wsmc/200702";
/// The action of a `MakeConnection` request (WS-MC 1.1 §3.2).
pub const ACTION: &str = "http://docs.oasis-open.org/ws-rx/wsmc/200702/MakeConnection";
/// The action of every WS-MakeConnection fault (§4).
pub const FAULT_ACTION: &str = "http://docs.oasis-open.org/ws-rx/wsmc/200702/fault";
/// The MC anonymous URI without its id (§3.1).
pub const ANONYMOUS_PREFIX: &str = "http://docs.oasis-open.org/ws-rx/wsmc/200702/anonymous?id=";
/// Longest id accepted in an MC anonymous URI (the spec sets none; ids are UUIDs in practice).
pub const MAX_ID_LEN: usize = 256;

/// The id of an MC anonymous URI (§3.1), or `None` when `address` is not one (an empty or
/// over-long id is not one either).
#[must_use]
pub fn anonymous_id(address: &str) -> Option<&str> {
    let id = address.trim().strip_prefix(ANONYMOUS_PREFIX)?;
    (!id.is_empty() && id.len() <= MAX_ID_LEN && !id.chars().any(char::is_whitespace)).then_some(id)
}

/// The MC anonymous URI of `id` (§3.1).
#[must_use]
pub fn anonymous_uri(id: &str) -> String {
    format!("{ANONYMOUS_PREFIX}{id}")
}

/// What a `MakeConnection` asks for (§3.2): the messages of one MC anonymous address, or
/// (WS-RM 1.1 §3.10's extension) those of one sequence; both may be given, and then a
/// message must match both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The id of the `wsmc:Address` (an MC anonymous URI).
    pub address: Option<String>,
    /// A `wsrm:Identifier`.
    pub sequence: Option<SequenceId>,
}

/// Why a `MakeConnection` was refused. Both are the sender's fault (§4).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum McError {
    /// No selection at all (§4.2).
    #[error("MakeConnection without a selection (wsmc:MissingSelection)")]
    MissingSelection,
    /// A selection this endpoint does not support: an extension element, or an Address that
    /// is not an MC anonymous URI (§4.1). Holds the offending element or value.
    #[error("unsupported MakeConnection selection {0} (wsmc:UnsupportedSelection)")]
    UnsupportedSelection(String),
    /// The body is not a `wsmc:MakeConnection` (or breaks its schema).
    #[error("malformed MakeConnection: {0}")]
    Malformed(&'static str),
}

impl McError {
    /// The fault answering it (§4): Code Sender, Subcode the wsmc fault; SOAP 1.1 writes the
    /// subcode as its faultcode. Its WS-A action is [`FAULT_ACTION`].
    #[must_use]
    pub fn fault(&self) -> Fault {
        let fault = Fault::new(FaultCode::Sender, self.to_string());
        match self {
            Self::MissingSelection => fault.with_subcode(NS, "MissingSelection"),
            Self::UnsupportedSelection(what) => fault
                .with_subcode(NS, "UnsupportedSelection")
                .with_detail(format!(
                    "<wsmc:UnsupportedSelection xmlns:wsmc=\"{NS}\">{}</wsmc:UnsupportedSelection>",
                    escape(what)
                )),
            Self::Malformed(_) => fault,
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
