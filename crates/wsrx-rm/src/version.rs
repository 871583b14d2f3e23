//! WS-RM protocol versions and their namespace and action URIs (spec-facts §1.2).

/// The WS-RM version a sequence speaks. One sequence never mixes versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RmVersion {
    /// WS-RM 1.0, February 2005 (`http://schemas.xmlsoap.org/ws/2005/02/rm`): no
    /// CloseSequence, no TerminateSequenceResponse; the last message is marked with
    /// `LastMessage` in the Sequence header.
    V1_0,
    /// WS-RM 1.1 and 1.2 (`http://docs.oasis-open.org/ws-rx/wsrm/200702`; 1.2 edits text only).
    V1_1,
}

/// WS-RM 1.0 namespace.
pub const NS_RM_1_0: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm";
/// WS-RM 1.1/1.2 namespace.
pub const NS_RM_1_1: &str = "http://docs.oasis-open.org/ws-rx/wsrm/200702";
/// Microsoft RM extension namespace (`netrm:BufferRemaining`, `netrm:ConnectionLimitReached`).
pub const NS_NETRM: &str = "http://schemas.microsoft.com/ws/2006/05/rm";
/// WS-Addressing 1.0 generic SOAP fault action, used for WS-RM 1.0 faults (WCF's choice).
pub const WSA10_SOAP_FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/soap/fault";

/// The actions of the WS-RM protocol messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `CreateSequence`.
    CreateSequence,
    /// `CreateSequenceResponse`.
    CreateSequenceResponse,
    /// `CloseSequence` (1.1+).
    CloseSequence,
    /// `CloseSequenceResponse` (1.1+).
    CloseSequenceResponse,
    /// `TerminateSequence`.
    TerminateSequence,
    /// `TerminateSequenceResponse` (1.1+).
    TerminateSequenceResponse,
    /// Stand-alone `AckRequested`.
    AckRequested,
    /// Stand-alone `SequenceAcknowledgement`.
    SequenceAcknowledgement,
    /// `LastMessage` (1.0 only): an empty-bodied message carrying the final number.
    LastMessage,
    /// The fault action.
    Fault,
}

impl Action {
    /// Every action, in a fixed order.
    pub const ALL: [Self; 10] = [
        Self::CreateSequence,
        Self::CreateSequenceResponse,
        Self::CloseSequence,
        Self::CloseSequenceResponse,
        Self::TerminateSequence,
        Self::TerminateSequenceResponse,
        Self::AckRequested,
        Self::SequenceAcknowledgement,
        Self::LastMessage,
        Self::Fault,
    ];
}

impl RmVersion {
    /// The namespace of this version.
    pub const fn namespace(self) -> &'static str {
        match self {
            Self::V1_0 => NS_RM_1_0,
            Self::V1_1 => NS_RM_1_1,
        }
    }

    /// Whether this version has CloseSequence and the Terminate/Close responses.
    pub const fn has_close(self) -> bool {
        matches!(self, Self::V1_1)
    }

    /// The action URI for `action`, or `None` where the version lacks that message.
    pub const fn action(self, action: Action) -> Option<&'static str> {
        match (self, action) {
            (Self::V1_0, Action::CreateSequence) => Some(concat!(
                "http://schemas.xmlsoap.org/ws/2005/02/rm",
                "/CreateSequence"
            )),
            (Self::V1_0, Action::CreateSequenceResponse) => Some(concat!(
                "http://schemas.xmlsoap.org/ws/2005/02/rm",
                "/CreateSequenceResponse"
            )),
            (Self::V1_0, Action::TerminateSequence) => Some(concat!(
                "http://schemas.xmlsoap.org/ws/2005/02/rm",
                "/TerminateSequence"
            )),
            (Self::V1_0, Action::AckRequested) => Some(concat!(
                "http://schemas.xmlsoap.org/ws/2005/02/rm",
                "/AckRequested"
            )),
            (Self::V1_0, Action::SequenceAcknowledgement) => Some(concat!(
                "http://schemas.xmlsoap.org/ws/2005/02/rm",
                "/SequenceAcknowledgement"
            )),
            (Self::V1_0, Action::LastMessage) => Some(concat!(
                "http://schemas.xmlsoap.org/ws/2005/02/rm",
                "/LastMessage"
            )),
            (Self::V1_0, Action::Fault) => Some(WSA10_SOAP_FAULT_ACTION),
            (
                Self::V1_0,
                Action::CloseSequence
                | Action::CloseSequenceResponse
                | Action::TerminateSequenceResponse,
            ) => None,
            (Self::V1_1, Action::CreateSequence) => Some(concat!(
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "/CreateSequence"
            )),
            (Self::V1_1, Action::CreateSequenceResponse) => Some(concat!(
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "/CreateSequenceResponse"
            )),
            (Self::V1_1, Action::CloseSequence) => Some(concat!(
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "/CloseSequence"
            )),
            (Self::V1_1, Action::CloseSequenceResponse) => Some(concat!(
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "/CloseSequenceResponse"
            )),
            (Self::V1_1, Action::TerminateSequence) => Some(concat!(
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "/TerminateSequence"
            )),
            (Self::V1_1, Action::TerminateSequenceResponse) => Some(concat!(
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "/TerminateSequenceResponse"
            )),
            (Self::V1_1, Action::AckRequested) => Some(concat!(
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "/AckRequested"
            )),
            (Self::V1_1, Action::SequenceAcknowledgement) => Some(concat!(
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "/SequenceAcknowledgement"
            )),
            (Self::V1_1, Action::Fault) => Some(concat!(
                "http://docs.oasis-open.org/ws-rx/wsrm/200702",
                "/fault"
            )),
            (Self::V1_1, Action::LastMessage) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_start_with_their_namespace() {
        for v in [RmVersion::V1_0, RmVersion::V1_1] {
            // Faults are left out: WS-RM 1.0 uses the WS-Addressing fault action.
            for a in Action::ALL.into_iter().filter(|a| *a != Action::Fault) {
                if let Some(uri) = v.action(a) {
                    assert!(uri.starts_with(v.namespace()), "{uri}");
                }
            }
        }
        assert_eq!(RmVersion::V1_0.action(Action::CloseSequence), None);
        assert_eq!(
            RmVersion::V1_1.action(Action::Fault),
            Some("http://docs.oasis-open.org/ws-rx/wsrm/200702/fault")
        );
    }
}
