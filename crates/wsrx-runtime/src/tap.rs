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

/// Shows a message to the tap, if one is attached. A macro, so that the summary and the
/// envelope text (a lossy UTF-8 copy of every body, for instance) are only computed
/// when someone looks: no work for a tap that is not there.
macro_rules! emit {
    ($tap:expr, $side:expr, $direction:expr, $summary:expr, $xml:expr $(,)?) => {
        if let Some(t) = $tap {
            t(&$crate::tap::TapEvent {
                side: $side,
                direction: $direction,
                summary: $summary,
                xml: $xml,
            });
        }
    };
}
pub(crate) use emit;
