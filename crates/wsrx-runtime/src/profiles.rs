//! The bundled policy documents `--profile NAME` selects (issue 17 item 4): wsrx's own
//! behaviour and the peer dialects it has shipped as switches, each written as the WSDL 1.1
//! description (with WS-Policy) a peer would publish, and read through the same path as any
//! WSDL ([`crate::effective::from_wsdl`]), so a profile is a policy and nothing else.
//!
//! | name | WS-RM | WS-Addressing | SOAP | WS-SC | WS-SP | suite | peer profile |
//! |---|---|---|---|---|---|---|---|
//! | `default` | 1.1, `wsrmp:SequenceSTR` | 1.0 | 1.2 | 1.3 | 1.2 | Basic256Sha256 | `wsrx` |
//! | `wcf-ws2007` | 1.1, `wsrmp:SequenceSTR` | 1.0 | 1.2 | 1.3 | 1.2 | Basic256Sha256 | `wcf` |
//! | `wcf-wshttp` | 1.0 (2005/02) | 1.0 | 1.2 | 2005/02 | 1.1 | Basic256Sha256 | `wcf` |
//! | `cxf` | 1.0 (2005/02) | 2004/08 | 1.1 | 2005/02 | 1.1 | Basic256Sha256 | `cxf` |
//! | `gsoap` | 1.1, `wsrmp:SequenceSTR` | 1.0 | 1.2 | 1.3 | 1.2 | Basic256 | `gsoap` |
//!
//! Each protects the messages as wsrx does by default (Body, Timestamp and every WS-A and
//! WS-RM header signed with keys derived from the SCT, Lax layout, nothing encrypted; the
//! suites as WS-SP 1.2 §6.1 reads them, HMAC-SHA1 signatures): the profiles change the
//! dialect, and `gsoap` the suite (gSOAP's defaults: HMAC-SHA1, SHA-1 digests).
//!
//! A profile names a peer stack, so it also selects that stack's peer profile
//! ([`crate::peer::PeerProfile`], the departures wsrx makes for it) unless `--peer` says
//! otherwise. For `gsoap` that is what makes the profile usable: stock gSOAP writes no STR
//! in its CreateSequence, and its peer profile binds such a CreateSequence to the SCT that
//! signed it. The policy itself still says what the sequence is bound to (the SCT,
//! `wsrmp:SequenceSTR`): a WS-RM 1.1 policy without it would leave the sequence bound to no
//! token, which [`crate::effective`] refuses.

/// The profile names, in the order of the table above.
pub const NAMES: [&str; 5] = ["default", "wcf-ws2007", "wcf-wshttp", "cxf", "gsoap"];

/// The WSDL of the profile `name`, if there is one.
pub fn bundled(name: &str) -> Option<&'static str> {
    match name {
        "default" => Some(include_str!("../profiles/default.wsdl")),
        "wcf-ws2007" => Some(include_str!("../profiles/wcf-ws2007.wsdl")),
        "wcf-wshttp" => Some(include_str!("../profiles/wcf-wshttp.wsdl")),
        "cxf" => Some(include_str!("../profiles/cxf.wsdl")),
        "gsoap" => Some(include_str!("../profiles/gsoap.wsdl")),
        _ => None,
    }
}

/// The peer profile the profile `name` selects when `--peer` is not given (the table
/// above), if there is such a profile.
pub fn peer(name: &str) -> Option<crate::peer::PeerProfile> {
    use crate::peer::PeerProfile;
    match name {
        "default" => Some(PeerProfile::Wsrx),
        "wcf-ws2007" | "wcf-wshttp" => Some(PeerProfile::Wcf),
        "cxf" => Some(PeerProfile::Cxf),
        "gsoap" => Some(PeerProfile::Gsoap),
        _ => None,
    }
}

/// The runtime settings of the profile `name`.
///
/// # Errors
/// [`crate::effective::EffectiveError::UnknownProfile`] naming the profiles when there is no
/// such profile; otherwise never in practice (each bundled document is tested).
pub fn effective(
    name: &str,
) -> Result<crate::effective::Effective, crate::effective::EffectiveError> {
    let Some(text) = bundled(name) else {
        return Err(crate::effective::EffectiveError::UnknownProfile {
            name: name.to_owned(),
            have: NAMES.join(", "),
        });
    };
    crate::effective::from_wsdl(&format!("{name}.wsdl"), text.as_bytes(), None, None, None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;
    use wsrx_rm::wire::WireProfile;
    use wsrx_security::{DerivedKeys, ProtectionPolicy};
    use wsrx_soap::SoapVersion;

    #[test]
    fn every_profile_gives_its_dialect_and_wsrx_protection() {
        let want = [
            ("default", WireProfile::Rm11, SoapVersion::V12, true),
            ("wcf-ws2007", WireProfile::Rm11, SoapVersion::V12, true),
            ("wcf-wshttp", WireProfile::Rm10Wcf, SoapVersion::V12, false),
            ("cxf", WireProfile::Rm10Submission, SoapVersion::V11, false),
            ("gsoap", WireProfile::Rm11, SoapVersion::V12, true),
        ];
        assert_eq!(want.map(|w| w.0), NAMES);
        let mut protection = ProtectionPolicy::default();
        protection.token.derived_keys = DerivedKeys::Required;
        protection.algorithms = protection.algorithms.strict();
        for (name, profile, soap, explicit) in want {
            let e = effective(name).unwrap();
            assert_eq!((e.profile, e.soap), (profile, soap), "{name}");
            let mut protection = protection.clone();
            if name == "gsoap" {
                protection.algorithms =
                    wsrx_security::AlgorithmPolicy::new(wsrx_security::AlgorithmSuite::Basic256)
                        .strict();
            }
            assert_eq!(e.policy, protection, "{name}");
            assert_eq!(
                e.binding,
                wsrx_policy::SequenceBinding::SecurityContextToken { explicit },
                "{name}"
            );
        }
        assert_eq!(
            effective("axis2").unwrap_err().to_string(),
            "no profile axis2 (there are: default, wcf-ws2007, wcf-wshttp, cxf, gsoap)"
        );
    }

    #[test]
    fn every_profile_selects_the_peer_profile_of_its_stack() {
        use crate::peer::PeerProfile;
        let want = [
            PeerProfile::Wsrx,
            PeerProfile::Wcf,
            PeerProfile::Wcf,
            PeerProfile::Cxf,
            PeerProfile::Gsoap,
        ];
        assert_eq!(NAMES.map(peer), want.map(Some));
        assert_eq!(peer("axis2"), None);
    }

    #[test]
    fn the_default_profile_is_what_a_default_server_publishes() {
        let published = crate::published::generate("http://h/", &ProtectionPolicy::default());
        let from_published =
            crate::effective::from_wsdl("p.wsdl", published.as_bytes(), None, None, None).unwrap();
        assert_eq!(effective("default").unwrap().policy, from_published.policy);
    }
}
