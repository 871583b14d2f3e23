//! Does a configuration keep every sequence bound to its security context token?
//!
//! wsrx binds a sequence to the SCT that proved its CreateSequence, and then requires
//! every message of the sequence to be proven by that SCT (WS-RM 1.2 §5; spec-facts
//! §2.2; the `wsrx-rm` crate docs). A policy can undo that in three ways, each refused
//! ([`UnbindReason`]):
//! - WS-RM 1.1 over messages protected by an SCT without `wsrmp:SequenceSTR` (or
//!   `wsrmp:SequenceTransportSecurity`): the sequence would not be bound at all;
//! - `wsrmp:SequenceSTR` where no SCT protects the messages;
//! - application messages not signed by the SCT: the SCT only endorses (it signs the
//!   signature or the Timestamp), or the Body is left unsigned, so a Sequence header
//!   could travel with another body.
//!
//! WS-RM Policy 1.0 has no binding assertion: over an SCT-protected binding the
//! sequence is bound as WCF binds it (an STR in CreateSequence), and the message rule
//! above applies. Faults are not checked (they are not sequence messages).

use crate::configuration::Configuration;
use crate::error::UnbindReason;
use crate::vocab::rm::{RmVersion, SequenceBindingRequirement};
use crate::vocab::security::{SecurityBinding, SecurityConfig};

/// How the sequences of a configuration are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum SequenceBinding {
    /// No reliable messaging.
    NotReliable,
    /// Reliable messaging without WS-Security: sequences bound to no token (the
    /// runtime's explicit unbound mode).
    Unsecured,
    /// Reliable messaging under message security without an SCT: sequences bound to no
    /// token (the runtime's explicit unbound mode).
    NoToken,
    /// Bound to the SCT that protects the messages; `explicit` when by
    /// `wsrmp:SequenceSTR`, else implied (WS-RM 1.0 with an SCT).
    SecurityContextToken {
        /// True for `wsrmp:SequenceSTR`.
        explicit: bool,
    },
    /// Bound to the TLS session (`wsrmp:SequenceTransportSecurity`).
    TransportSecurity,
}

/// Where an SCT appears in a security configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SctRole {
    None,
    /// The binding's signature token: it signs the messages.
    Signs,
    /// Only an endorsing (or other supporting) token.
    Endorses,
}

fn sct_role(security: Option<&SecurityConfig>) -> SctRole {
    let Some(s) = security else {
        return SctRole::None;
    };
    let signs = match &s.binding {
        Some(SecurityBinding::Symmetric(b)) => b.tokens.signature().kind.is_sct(),
        Some(SecurityBinding::Asymmetric(b)) => [&b.initiator.signature, &b.recipient.signature]
            .iter()
            .any(|t| t.as_ref().is_some_and(|t| t.kind.is_sct())),
        _ => false,
    };
    if signs {
        return SctRole::Signs;
    }
    if s.supporting_tokens
        .iter()
        .any(|st| st.tokens.iter().any(|t| t.kind.is_sct()))
    {
        SctRole::Endorses
    } else {
        SctRole::None
    }
}

/// Assesses `endpoint` and its application `messages` (label, configuration).
pub(crate) fn assess(
    endpoint: &Configuration,
    messages: &[(String, &Configuration)],
) -> Result<SequenceBinding, UnbindReason> {
    let rm = endpoint
        .rm
        .as_ref()
        .or_else(|| messages.iter().find_map(|(_, c)| c.rm.as_ref()));
    let Some(rm) = rm else {
        return Ok(SequenceBinding::NotReliable);
    };
    let role = sct_role(endpoint.security.as_ref()).max_with(
        messages
            .iter()
            .map(|(_, c)| sct_role(c.security.as_ref()))
            .fold(SctRole::None, SctRole::max_with),
    );
    let explicit = match rm.sequence_binding {
        SequenceBindingRequirement::TransportSecurity => {
            return Ok(SequenceBinding::TransportSecurity);
        }
        SequenceBindingRequirement::SequenceStr => {
            if role == SctRole::None {
                return Err(UnbindReason::SequenceStrWithoutSct);
            }
            true
        }
        SequenceBindingRequirement::None => {
            if role == SctRole::None {
                let secured = endpoint
                    .security
                    .as_ref()
                    .is_some_and(|s| s.binding.is_some());
                return Ok(if secured {
                    SequenceBinding::NoToken
                } else {
                    SequenceBinding::Unsecured
                });
            }
            if rm.version == RmVersion::V1_1 {
                return Err(UnbindReason::NoSequenceBindingAssertion);
            }
            false
        }
    };
    for (label, config) in messages {
        if role == SctRole::Endorses {
            return Err(UnbindReason::SctOnlyEndorses {
                message: label.clone(),
            });
        }
        let body_signed = config
            .security
            .as_ref()
            .is_some_and(|s| s.signed.body || s.signed.all_headers);
        if !body_signed {
            return Err(UnbindReason::BodyNotSigned {
                message: label.clone(),
            });
        }
    }
    Ok(SequenceBinding::SecurityContextToken { explicit })
}

impl SctRole {
    fn max_with(self, other: Self) -> Self {
        match (self, other) {
            (Self::Signs, _) | (_, Self::Signs) => Self::Signs,
            (Self::Endorses, _) | (_, Self::Endorses) => Self::Endorses,
            _ => Self::None,
        }
    }
}
