//! WS-RM Policy: `wsrmp:RMAssertion` of WS-RM Policy 1.0 (2005/02, parameters
//! InactivityTimeout, BaseRetransmissionInterval, ExponentialBackoff,
//! AcknowledgementInterval) and 1.1/1.2 (200702, nested SequenceSTR,
//! SequenceTransportSecurity, DeliveryAssurance); the Microsoft extensions WCF writes
//! (`netrmp:InactivityTimeout`/`AcknowledgementInterval` as parameters of the 1.1
//! assertion, or beside it as Metro does; `net:RmFlowControl`); and
//! `wsmc:MCSupported` is mapped by the caller. The mapping itself is in `rm_map`.
//!
//! The RM protocol version follows the policy namespace: 2005/02 → WS-RM 1.0,
//! 200702 → WS-RM 1.1/1.2.

use crate::error::Location;

/// The WS-RM version the policy asks for.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RmVersion {
    /// WS-RM 1.0 (February 2005), from WS-RM Policy 2005/02.
    V1_0,
    /// WS-RM 1.1/1.2 (200702), from WS-RM Policy 1.1/1.2.
    V1_1,
}

/// How sequences are bound to security (WS-RM Policy 1.2 §2.4, §2.5).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SequenceBindingRequirement {
    /// The policy says nothing (always so for WS-RM Policy 1.0).
    None,
    /// `wsrmp:SequenceSTR`: bound to the token an STR in CreateSequence names.
    SequenceStr,
    /// `wsrmp:SequenceTransportSecurity`: bound to the TLS session.
    TransportSecurity,
}

/// `wsrmp:DeliveryAssurance` (WS-RM Policy 1.2 §2.6).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryAssurance {
    /// ExactlyOnce, AtLeastOnce or AtMostOnce, if stated.
    pub guarantee: Option<DeliveryGuarantee>,
    /// `wsrmp:InOrder`.
    pub in_order: bool,
}

/// The delivery guarantee.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryGuarantee {
    /// `wsrmp:ExactlyOnce`.
    ExactlyOnce,
    /// `wsrmp:AtLeastOnce`.
    AtLeastOnce,
    /// `wsrmp:AtMostOnce`.
    AtMostOnce,
}

/// WCF flow control (`net:RmFlowControl`).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowControl {
    /// `net:MaxReceiveBufferSize`.
    pub max_receive_buffer_size: Option<u32>,
}

/// What the RM runtime needs from the policy.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RmConfig {
    /// The protocol version.
    pub version: RmVersion,
    /// How sequences are bound.
    pub sequence_binding: SequenceBindingRequirement,
    /// The delivery assurance, if stated.
    pub delivery: Option<DeliveryAssurance>,
    /// Inactivity timeout in milliseconds.
    pub inactivity_timeout_ms: Option<u64>,
    /// Base retransmission interval in milliseconds (WS-RM Policy 1.0).
    pub base_retransmission_interval_ms: Option<u64>,
    /// Exponential backoff of retransmissions (WS-RM Policy 1.0).
    pub exponential_backoff: bool,
    /// Acknowledgement interval in milliseconds.
    pub acknowledgement_interval_ms: Option<u64>,
    /// WCF flow control.
    pub flow_control: Option<FlowControl>,
    /// Where the `RMAssertion` sits.
    pub location: Location,
}
