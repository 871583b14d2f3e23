//! A dead letter as the gateway stores it (JSON, sealed by the store) and lists it.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A message the gateway gave up handing to its backend.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    /// The sequence it came on.
    pub sequence: String,
    /// Its message number.
    pub number: u64,
    /// Its WS-A action.
    pub action: String,
    /// The SCT identifier the sequence is bound to.
    pub bound_to: Option<String>,
    /// The body element, as it would have been forwarded.
    pub payload: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last failure (`HTTP 400`, `timed out`, …).
    pub reason: String,
    /// When it was given up, milliseconds since the Unix epoch.
    pub at_ms: u64,
}

impl std::fmt::Debug for Letter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Letter")
            .field("sequence", &self.sequence)
            .field("number", &self.number)
            .field("action", &self.action)
            .field("attempts", &self.attempts)
            .field("reason", &self.reason)
            .field("payload", &format_args!("{} bytes", self.payload.len()))
            .finish_non_exhaustive()
    }
}

impl Letter {
    /// The bytes the store seals.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads stored bytes back (`None` if they are not a letter).
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_round_trips_and_debug_hides_the_payload() {
        let l = Letter {
            sequence: "urn:s".into(),
            number: 3,
            action: "urn:a".into(),
            bound_to: None,
            payload: "<secret-order/>".into(),
            attempts: 2,
            reason: "HTTP 400".into(),
            at_ms: 1,
        };
        assert_eq!(Letter::decode(&l.encode()), Some(l.clone()));
        assert!(!format!("{l:?}").contains("secret-order"));
        assert_eq!(Letter::decode(b"not json"), None);
    }
}
