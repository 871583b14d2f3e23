//! The typed configuration of one chosen policy alternative: what the security layer
//! and the RM runtime follow.

use crate::vocab::addressing::AddressingConfig;
use crate::vocab::mapper::Ignored;
use crate::vocab::rm::RmConfig;
use crate::vocab::security::SecurityConfig;

/// Everything one chosen policy alternative asks for.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Configuration {
    /// WS-SecurityPolicy: binding, tokens, parts, options (`None` = no WS-Security).
    pub security: Option<SecurityConfig>,
    /// WS-RM Policy (`None` = no reliable messaging).
    pub rm: Option<RmConfig>,
    /// WS-Addressing metadata (`None` = the policy says nothing).
    pub addressing: Option<AddressingConfig>,
    /// `wsmc:MCSupported`: the endpoint supports WS-MakeConnection.
    pub make_connection: bool,
    /// Assertions recognized as not applying (ignorable, or another stack's local
    /// configuration), each with the reason.
    pub ignored: Vec<Ignored>,
}
