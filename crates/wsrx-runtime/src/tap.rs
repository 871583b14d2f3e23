//! An observer of the messages the runtime sends and receives (for `wsrx demo`, tests
//! and debugging). It sees the secured envelope text; secrets never appear in it.

use std::sync::Arc;

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by this side.
    Sent,
    /// Received by this side (after verification).
    Received,
    /// Received and refused (answered with a fault).
    Refused,
}

/// One observed message.
#[derive(Debug, Clone, Copy)]
pub struct TapEvent<'a> {
    /// "client" or "server".
    pub side: &'static str,
    /// Sent or received.
    pub direction: Direction,
    /// One line: action, sequence, number, signer.
    pub summary: &'a str,
    /// The envelope as on the wire.
    pub xml: &'a str,
}

/// The observer callback.
pub type Tap = Arc<dyn Fn(&TapEvent<'_>) + Send + Sync>;

pub(crate) fn emit(
    tap: Option<&Tap>,
    side: &'static str,
    direction: Direction,
    summary: &str,
    xml: &str,
) {
    if let Some(t) = tap {
        t(&TapEvent {
            side,
            direction,
            summary,
            xml,
        });
    }
}
