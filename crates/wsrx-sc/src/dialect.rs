//! The two WS-SC / WS-Trust dialects and their URIs (spec-facts §1.3 table).

use wsrx_crypto::{COMPUTED_KEY_PSHA1_URI_200502, COMPUTED_KEY_PSHA1_URI_200512};
use wsrx_security::ScVersion;

/// WS-Trust 1.3 namespace (with WS-SC 1.3/1.4).
pub const WST_200512: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
/// WS-Trust February 2005 namespace (with WS-SC February 2005).
pub const WST_200502: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";
/// WSS 1.0 secext (`wsse`), for the UsernameToken.
pub(crate) const WSSE: &str = wsrx_security::ns::WSSE;
/// WSS utility (`wsu`), for Lifetime and `wsu:Id`.
pub(crate) const WSU: &str = wsrx_security::ns::WSU;

/// A pairing of WS-SecureConversation and WS-Trust versions, as peers use them
/// together (spec-facts §1.3, §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// WS-SC 1.3/1.4 (200512) with WS-Trust 1.3 (WCF `ws2007HttpBinding`, Metro, CXF).
    /// The final RSTR is wrapped in `wst:RequestSecurityTokenResponseCollection`.
    V13,
    /// WS-SC and WS-Trust February 2005 (WCF `wsHttpBinding`, WSS4J's default); bare RSTR.
    V200502,
}

/// What a WS-Trust message does; each kind has an RST and an RSTR action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestType {
    /// Issue a new context (`…/Issue`, action `RST/SCT`).
    Issue,
    /// Renew a context: same Identifier, new key and Instance (`…/Renew`, action `RST/SCT/Renew`).
    Renew,
    /// Cancel a context (`…/Cancel`, action `RST/SCT/Cancel`).
    Cancel,
    /// Amend a context's claims (WS-SC 1.3/1.4 only, action `RST/SCT/Amend`). WS-Trust has
    /// no Amend RequestType URI; the request carries `…/Issue` and is told apart by its
    /// action (from memory of the spec, not re-checked).
    Amend,
}

impl Dialect {
    /// Every dialect, for tests and negotiation loops.
    pub const ALL: [Self; 2] = [Self::V13, Self::V200502];

    /// The dialect whose WS-Trust namespace is `ns`.
    pub fn from_trust_namespace(ns: &str) -> Option<Self> {
        match ns {
            WST_200512 => Some(Self::V13),
            WST_200502 => Some(Self::V200502),
            _ => None,
        }
    }

    /// The dialect of a WS-SC version.
    pub fn from_sc_version(version: ScVersion) -> Self {
        match version {
            ScVersion::V200512 => Self::V13,
            ScVersion::V200502 => Self::V200502,
        }
    }

    /// The WS-Trust namespace.
    pub fn trust_namespace(self) -> &'static str {
        match self {
            Self::V13 => WST_200512,
            Self::V200502 => WST_200502,
        }
    }

    /// The WS-SC version (and so the SCT namespace).
    pub fn sc_version(self) -> ScVersion {
        match self {
            Self::V13 => ScVersion::V200512,
            Self::V200502 => ScVersion::V200502,
        }
    }

    /// The SCT token type (`wst:TokenType`), also the STR ValueType.
    pub fn token_type(self) -> &'static str {
        self.sc_version().sct_value_type()
    }

    /// The `CK/PSHA1` computed-key URI.
    pub fn computed_key_uri(self) -> &'static str {
        match self {
            Self::V13 => COMPUTED_KEY_PSHA1_URI_200512,
            Self::V200502 => COMPUTED_KEY_PSHA1_URI_200502,
        }
    }

    /// `wst:BinarySecret/@Type` for a nonce (entropy to combine).
    pub fn nonce_type(self) -> String {
        format!("{}/Nonce", self.trust_namespace())
    }

    /// `wst:BinarySecret/@Type` for a full symmetric key.
    pub fn symmetric_key_type(self) -> String {
        format!("{}/SymmetricKey", self.trust_namespace())
    }

    /// The `wst:RequestType` URI written for `kind` (Amend writes Issue, see [`RequestType::Amend`]).
    pub fn request_type_uri(self, kind: RequestType) -> String {
        let suffix = match kind {
            RequestType::Issue | RequestType::Amend => "Issue",
            RequestType::Renew => "Renew",
            RequestType::Cancel => "Cancel",
        };
        format!("{}/{suffix}", self.trust_namespace())
    }

    /// The request kind named by a `wst:RequestType` URI of this dialect.
    pub fn parse_request_type(self, uri: &str) -> Option<RequestType> {
        let suffix = uri.strip_prefix(self.trust_namespace())?;
        match suffix {
            "/Issue" => Some(RequestType::Issue),
            "/Renew" => Some(RequestType::Renew),
            "/Cancel" => Some(RequestType::Cancel),
            _ => None,
        }
    }

    /// The RST action for `kind` (spec-facts §1.3: `…/RST/SCT`, `…/RST/SCT/Renew`, …).
    /// `None` for Amend in the February 2005 dialect, which has no amend binding.
    pub fn rst_action(self, kind: RequestType) -> Option<String> {
        self.action("RST", kind)
    }

    /// The RSTR action for `kind`.
    pub fn rstr_action(self, kind: RequestType) -> Option<String> {
        self.action("RSTR", kind)
    }

    fn action(self, what: &str, kind: RequestType) -> Option<String> {
        let suffix = match kind {
            RequestType::Issue => "",
            RequestType::Renew => "/Renew",
            RequestType::Cancel => "/Cancel",
            RequestType::Amend if self == Self::V13 => "/Amend",
            RequestType::Amend => return None,
        };
        Some(format!("{}/{what}/SCT{suffix}", self.trust_namespace()))
    }

    /// The dialect and kind of an RST action, if it is one of ours.
    pub fn parse_rst_action(action: &str) -> Option<(Self, RequestType)> {
        Self::find_action(action, Self::rst_action)
    }

    /// The dialect and kind of an RSTR action, if it is one of ours.
    pub fn parse_rstr_action(action: &str) -> Option<(Self, RequestType)> {
        Self::find_action(action, Self::rstr_action)
    }

    fn find_action(
        action: &str,
        of: fn(Self, RequestType) -> Option<String>,
    ) -> Option<(Self, RequestType)> {
        Self::ALL.into_iter().find_map(|d| {
            [
                RequestType::Issue,
                RequestType::Renew,
                RequestType::Cancel,
                RequestType::Amend,
            ]
            .into_iter()
            .find(|k| of(d, *k).as_deref() == Some(action))
            .map(|k| (d, k))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_amend_is_13_only() {
        for d in Dialect::ALL {
            for k in [
                RequestType::Issue,
                RequestType::Renew,
                RequestType::Cancel,
                RequestType::Amend,
            ] {
                match d.rst_action(k) {
                    Some(a) => assert_eq!(Dialect::parse_rst_action(&a), Some((d, k))),
                    None => assert_eq!((d, k), (Dialect::V200502, RequestType::Amend)),
                }
                if let Some(a) = d.rstr_action(k) {
                    assert_eq!(Dialect::parse_rstr_action(&a), Some((d, k)));
                    assert!(a.contains("/RSTR/SCT"));
                }
            }
            assert_eq!(Dialect::from_trust_namespace(d.trust_namespace()), Some(d));
            assert_eq!(Dialect::from_sc_version(d.sc_version()), d);
            assert_eq!(
                d.parse_request_type(&d.request_type_uri(RequestType::Renew)),
                Some(RequestType::Renew)
            );
        }
        assert_eq!(
            Dialect::V13.rst_action(RequestType::Issue).as_deref(),
            Some("http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/SCT")
        );
    }
}
