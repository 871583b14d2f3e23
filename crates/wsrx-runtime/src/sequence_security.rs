//! What protects a sequence, chosen explicitly on both sides (issue 18 item 12;
//! `wsrx send|serve --security token|none|tls-bound`).
//!
//! * [`SequenceSecurity::Token`], the default: the sequence is bound to a
//!   WS-SecureConversation token and every message of it is signed with keys derived
//!   from it (WS-RM Policy 1.1 §2.5 `wsrmp:SequenceSTR`; `docs/sequence-binding.md`).
//! * [`SequenceSecurity::None`]: plain WS-RM, nothing signed, the sequence bound to
//!   nothing. Anyone who can reach the endpoint can use such a sequence; for peers that
//!   run WS-RM without WS-Security.
//! * [`SequenceSecurity::TlsBound`]: WS-RM Policy 1.1 §2.5 `wsrmp:SequenceTransportSecurity`:
//!   no token, the transport protects the sequence. A destination in this mode takes
//!   messages without a token only over TLS (a plain-HTTP one is refused with a Sender
//!   fault); a source only sends to an `https` URL. What wsrx does not do (yet): tie a
//!   sequence to *one* TLS session or client certificate, as the assertion intends; any
//!   TLS client of the endpoint may use it, as with `None` over TLS.
//!
//! A destination in the `None` or `TlsBound` mode still accepts bound sequences: a
//! CreateSequence proven by a token binds as in the default mode.

use wsrx_rm::{DestinationConfig, SecurityBinding};

use wsrx_sc::auth::Transport;

/// What protects a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SequenceSecurity {
    /// A security context token (the default).
    #[default]
    Token,
    /// Nothing (plain WS-RM).
    None,
    /// The transport, TLS (`wsrmp:SequenceTransportSecurity`).
    TlsBound,
}

impl SequenceSecurity {
    /// The mode named `name` (`token`, `none`, `tls-bound`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "token" | "sct" => Some(Self::Token),
            "none" => Some(Self::None),
            "tls-bound" | "tls" => Some(Self::TlsBound),
            _ => None,
        }
    }

    /// Its name, as `--security` takes it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::None => "none",
            Self::TlsBound => "tls-bound",
        }
    }

    /// Whether a source in this mode binds its sequence to a token.
    pub const fn uses_token(self) -> bool {
        matches!(self, Self::Token)
    }

    /// Sets what this mode decides in a Destination's configuration: sequences without a
    /// token are created only in the `None` and `TlsBound` modes.
    pub fn apply_to_destination(self, config: &mut DestinationConfig) {
        config.require_binding = self.uses_token();
    }

    /// Whether a destination in this mode takes an RM message proven by `proof` that came
    /// over `transport`; the reason for the fault otherwise.
    pub fn admits(
        self,
        proof: Option<&SecurityBinding>,
        transport: Transport,
    ) -> Result<(), &'static str> {
        match (self, proof, transport) {
            (Self::TlsBound, None, Transport::Unprotected) => Err(
                "this endpoint takes sequences without a security context only over TLS \
                 (wsrmp:SequenceTransportSecurity)",
            ),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tls_bound_refuses_unsigned_messages_over_plain_http() {
        let x = SecurityBinding::new("urn:uuid:x");
        for mode in [
            SequenceSecurity::Token,
            SequenceSecurity::None,
            SequenceSecurity::TlsBound,
        ] {
            assert_eq!(SequenceSecurity::from_name(mode.name()), Some(mode));
            let mut d = DestinationConfig::default();
            mode.apply_to_destination(&mut d);
            assert_eq!(d.require_binding, mode == SequenceSecurity::Token);
            assert!(mode.admits(Some(&x), Transport::Unprotected).is_ok());
            assert!(mode.admits(None, Transport::Protected).is_ok());
            assert_eq!(
                mode.admits(None, Transport::Unprotected).is_err(),
                mode == SequenceSecurity::TlsBound
            );
        }
        assert_eq!(SequenceSecurity::default(), SequenceSecurity::Token);
        assert_eq!(SequenceSecurity::from_name("plain"), None);
    }
}
