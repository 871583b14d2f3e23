//! The bundled policy documents `--profile NAME` selects (issue 17 item 4): wsrx's own
//! behaviour and the peer dialects it has shipped as switches, each written as the WSDL 1.1
//! description (with WS-Policy) a peer would publish, and read through the same path as any
//! WSDL ([`crate::effective::from_wsdl`]), so a profile is a policy and nothing else.
//!
//! | name | WS-RM | WS-Addressing | SOAP | WS-SC | WS-SP |
//! |---|---|---|---|---|---|
//! | `default` | 1.1, `wsrmp:SequenceSTR` | 1.0 | 1.2 | 1.3 | 1.2 |
//! | `wcf-ws2007` | 1.1, `wsrmp:SequenceSTR` | 1.0 | 1.2 | 1.3 | 1.2 |
//! | `wcf-wshttp` | 1.0 (2005/02) | 1.0 | 1.2 | 2005/02 | 1.1 |
//! | `cxf` | 1.0 (2005/02) | 2004/08 | 1.1 | 2005/02 | 1.1 |
//!
//! Each protects the messages as wsrx does by default (Body, Timestamp and every WS-A and
//! WS-RM header signed with keys derived from the SCT, Basic256Sha256 as WS-SP 1.2 §6.1 reads
//! it, Lax layout, nothing encrypted): the profiles change the dialect, not the protection.
//! gSOAP's stock client is not a profile: it sends no STR in CreateSequence, so its
//! sequences are bound to no token, which no policy wsrx accepts expresses (`wsrx serve
//! --allow-unbound-sequences` is the explicit switch for it).

/// The profile names, in the order of the table above.
pub const NAMES: [&str; 4] = ["default", "wcf-ws2007", "wcf-wshttp", "cxf"];

/// The WSDL of the profile `name`, if there is one.
pub fn bundled(name: &str) -> Option<&'static str> {
    match name {
        "default" => Some(include_str!("../profiles/default.wsdl")),
        "wcf-ws2007" => Some(include_str!("../profiles/wcf-ws2007.wsdl")),
        "wcf-wshttp" => Some(include_str!("../profiles/wcf-wshttp.wsdl")),
        "cxf" => Some(include_str!("../profiles/cxf.wsdl")),
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
        ];
        assert_eq!(want.map(|w| w.0), NAMES);
        let mut protection = ProtectionPolicy::default();
        protection.token.derived_keys = DerivedKeys::Required;
        protection.algorithms = protection.algorithms.strict();
        for (name, profile, soap, explicit) in want {
            let e = effective(name).unwrap();
            assert_eq!((e.profile, e.soap), (profile, soap), "{name}");
            assert_eq!(e.policy, protection, "{name}");
            assert_eq!(
                e.binding,
                wsrx_policy::SequenceBinding::SecurityContextToken { explicit },
                "{name}"
            );
        }
        assert_eq!(
            effective("gsoap").unwrap_err().to_string(),
            "no profile gsoap (there are: default, wcf-ws2007, wcf-wshttp, cxf)"
        );
    }

    #[test]
    fn the_default_profile_is_what_a_default_server_publishes() {
        let published = crate::published::generate("http://h/", &ProtectionPolicy::default());
        let from_published =
            crate::effective::from_wsdl("p.wsdl", published.as_bytes(), None, None, None).unwrap();
        assert_eq!(effective("default").unwrap().policy, from_published.policy);
    }
}
