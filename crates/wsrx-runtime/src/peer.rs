//! Peer profiles: every departure from the specifications that wsrx makes for a named
//! stack, in this one place (`wsrx send|serve --peer NAME`; `docs/sequence-binding.md`).
//!
//! The default is [`PeerProfile::Wsrx`], strict: WS-RM 1.2 §5 and WS-RM Policy 1.1 §2.5
//! (`wsrmp:SequenceSTR`) as written. A profile changes only what its stack is known to
//! need, and only the knobs below; nothing else in the code tests which peer it talks to.
//!
//! | profile | our CreateSequence names the token by | a CreateSequence without STR, proven by an SCT |
//! |---|---|---|
//! | `wsrx` (default), `wcf`, `metro` | the body STR + `UsesSequenceSTR` (1.1; mustUnderstand) | refused: `CreateSequenceRefused` (BindingRequired) |
//! | `cxf` | the body STR only (CXF 4.2 faults on `UsesSequenceSTR`: it does not understand it) | bound to that SCT (CXF never writes the STR) |
//! | `gsoap` | nothing (stock gSOAP 2.8 faults on the header and drops unknown body children, breaking the signed body's digest) | bound to that SCT |
//!
//! `wcf` also reads the `…Sha256…` algorithm suites as WCF does (HMAC-SHA256 symmetric
//! signatures, [`wsrx_security::SuiteReading::WcfSha256Signatures`]); every other profile
//! keeps WS-SP 1.2 §6.1 (HMAC-SHA1 for every suite).
//!
//! What is accepted from **every** peer, because it has one meaning only, is not a
//! profile matter and lives in the decoder (`wsrx_rm::wire::Tolerated`, logged at DEBUG):
//! acknowledgement ranges followed by `wsrm:None` (CXF) read as the ranges; a
//! SequenceAcknowledgement message without the header (CXF) read as acknowledging nothing;
//! `Expires` `PT0S` read as "never" (WS-RM 1.1 §3.4).

use wsrx_rm::{DestinationConfig, SequenceStr, SourceConfig};
use wsrx_security::{AlgorithmPolicy, AlgorithmSuite};

/// A named peer stack and the departures from the specs wsrx makes for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeerProfile {
    /// wsrx itself, and any peer that follows the specifications: strict. The default.
    #[default]
    Wsrx,
    /// Apache CXF 4.2 (WSS4J 4): no `UsesSequenceSTR` to it, and its CreateSequence
    /// (never with an STR) is bound to the SCT that signed it.
    Cxf,
    /// Eclipse Metro 4.0 (WSIT): strict (it writes and requires the STR and
    /// `UsesSequenceSTR`).
    Metro,
    /// Microsoft WCF (ws2007HttpBinding / wsHttpBinding): strict binding, and its reading
    /// of the Sha256 algorithm suites.
    Wcf,
    /// Stock gSOAP 2.8 (WS-RM plug-in): neither the STR nor `UsesSequenceSTR` to it, and
    /// its CreateSequence bound to the SCT that signed it.
    Gsoap,
}

impl PeerProfile {
    /// Every profile.
    pub const ALL: [Self; 5] = [Self::Wsrx, Self::Cxf, Self::Metro, Self::Wcf, Self::Gsoap];

    /// The profile named `name` (`wsrx`, `cxf`, `metro`, `wcf`, `gsoap`; also `strict` for
    /// `wsrx`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "wsrx" | "strict" => Some(Self::Wsrx),
            "cxf" => Some(Self::Cxf),
            "metro" => Some(Self::Metro),
            "wcf" => Some(Self::Wcf),
            "gsoap" => Some(Self::Gsoap),
            _ => None,
        }
    }

    /// The profile's name, as `--peer` takes it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Wsrx => "wsrx",
            Self::Cxf => "cxf",
            Self::Metro => "metro",
            Self::Wcf => "wcf",
            Self::Gsoap => "gsoap",
        }
    }

    /// How our CreateSequence names the token its sequence is bound to.
    pub const fn sequence_str(self) -> SequenceStr {
        match self {
            Self::Wsrx | Self::Metro | Self::Wcf => SequenceStr::BodyAndHeader,
            Self::Cxf => SequenceStr::BodyOnly,
            Self::Gsoap => SequenceStr::Omitted,
        }
    }

    /// Whether a CreateSequence without an STR that an SCT proved binds its sequence to
    /// that SCT (instead of being refused with BindingRequired).
    pub const fn binds_to_proof(self) -> bool {
        matches!(self, Self::Cxf | Self::Gsoap)
    }

    /// Sets what this profile decides in an RM Source's configuration.
    pub fn apply_to_source(self, config: &mut SourceConfig) {
        config.sequence_str = self.sequence_str();
    }

    /// Sets what this profile decides in an RM Destination's configuration.
    pub fn apply_to_destination(self, config: &mut DestinationConfig) {
        config.bind_to_proof = self.binds_to_proof();
    }

    /// The algorithm suite as this peer reads it (WCF: HMAC-SHA256 under the Sha256
    /// suites; everyone else: WS-SP 1.2 §6.1).
    pub fn algorithms(self, suite: AlgorithmSuite) -> AlgorithmPolicy {
        let policy = AlgorithmPolicy::new(suite);
        match self {
            Self::Wcf => policy.wcf_reading(),
            _ => policy,
        }
    }

    /// One line for logs: the profile and what it changes.
    pub fn describe(self) -> String {
        let binding = match self.sequence_str() {
            SequenceStr::BodyAndHeader => "STR + UsesSequenceSTR",
            SequenceStr::BodyOnly => "STR without UsesSequenceSTR",
            SequenceStr::Omitted => "no STR",
        };
        let inbound = if self.binds_to_proof() {
            "CreateSequence without STR bound to the SCT that signed it"
        } else {
            "CreateSequence without STR refused"
        };
        format!("peer profile {}: {binding}; {inbound}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_cxf_and_gsoap_relax_the_binding() {
        for p in PeerProfile::ALL {
            assert_eq!(PeerProfile::from_name(p.name()), Some(p));
            let mut d = DestinationConfig::default();
            p.apply_to_destination(&mut d);
            assert_eq!(
                d.bind_to_proof,
                matches!(p, PeerProfile::Cxf | PeerProfile::Gsoap)
            );
            let mut s = SourceConfig::default();
            p.apply_to_source(&mut s);
            assert_eq!(
                s.sequence_str == SequenceStr::BodyAndHeader,
                matches!(p, PeerProfile::Wsrx | PeerProfile::Metro | PeerProfile::Wcf)
            );
        }
        assert_eq!(PeerProfile::from_name("strict"), Some(PeerProfile::Wsrx));
        assert_eq!(PeerProfile::from_name("axis2"), None);
        assert_eq!(PeerProfile::default(), PeerProfile::Wsrx);
        // The default configurations are the strict profile's.
        let mut d = DestinationConfig::default();
        PeerProfile::Wsrx.apply_to_destination(&mut d);
        assert_eq!(d, DestinationConfig::default());
        let mut s = SourceConfig::default();
        PeerProfile::Wsrx.apply_to_source(&mut s);
        assert_eq!(s, SourceConfig::default());
        // Only WCF reads the Sha256 suites with HMAC-SHA256 signatures.
        for p in PeerProfile::ALL {
            let mac = p
                .algorithms(AlgorithmSuite::Basic256Sha256)
                .symmetric_signature();
            assert_eq!(
                mac == wsrx_crypto::MacAlgorithm::HmacSha256,
                p == PeerProfile::Wcf,
                "{p:?}"
            );
        }
    }
}
