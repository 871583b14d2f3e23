//! SOAP 1.1 and 1.2: the differences wsrx cares about, in one place.

use crate::ns::{SOAP11, SOAP12};

/// The SOAP version of an envelope, detected from its namespace
/// (SOAP 1.2 part 1 §5.4.7 VersionMismatch; SOAP 1.1 §4.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoapVersion {
    /// SOAP 1.1 (W3C Note).
    V11,
    /// SOAP 1.2 (W3C Recommendation).
    V12,
}

/// SOAP 1.2 role `next` (part 1 §2.2).
pub const ROLE_NEXT_12: &str = "http://www.w3.org/2003/05/soap-envelope/role/next";
/// SOAP 1.2 role `none`: blocks for no one (part 1 §2.2).
pub const ROLE_NONE_12: &str = "http://www.w3.org/2003/05/soap-envelope/role/none";
/// SOAP 1.2 role `ultimateReceiver`, the default (part 1 §2.2).
pub const ROLE_ULTIMATE_RECEIVER_12: &str =
    "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver";
/// SOAP 1.1 actor `next` (§4.2.2).
pub const ACTOR_NEXT_11: &str = "http://schemas.xmlsoap.org/soap/actor/next";

impl SoapVersion {
    /// The version whose envelope namespace is `ns`.
    pub fn from_namespace(ns: &str) -> Option<Self> {
        match ns {
            SOAP11 => Some(Self::V11),
            SOAP12 => Some(Self::V12),
            _ => None,
        }
    }

    /// The envelope namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::V11 => SOAP11,
            Self::V12 => SOAP12,
        }
    }

    /// The HTTP media type (SOAP 1.1 §6.1.1: `text/xml`; SOAP 1.2 part 2 §7.1.4:
    /// `application/soap+xml`).
    pub fn media_type(self) -> &'static str {
        match self {
            Self::V11 => "text/xml",
            Self::V12 => "application/soap+xml",
        }
    }

    /// Name of the attribute that targets a header block: `actor` or `role`.
    pub fn role_attribute(self) -> &'static str {
        match self {
            Self::V11 => "actor",
            Self::V12 => "role",
        }
    }

    /// Parses a `mustUnderstand` value: `0`/`1` in SOAP 1.1 (§4.2.3), `xs:boolean`
    /// in SOAP 1.2 (part 1 §5.2.3). SOAP 1.1 senders that write `true` (gSOAP)
    /// are accepted too. `None` for anything else.
    pub fn parse_must_understand(self, value: &str) -> Option<bool> {
        match wsrx_xml::trim_xml_whitespace(value) {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        }
    }

    /// The value wsrx writes for `mustUnderstand="true"`.
    pub fn must_understand_true(self) -> &'static str {
        "1"
    }

    /// Whether a block with this role/actor value (`None` = absent) is targeted at
    /// an ultimate receiver that also plays `extra_roles`.
    pub fn targets_us(self, role: Option<&str>, extra_roles: &[&str]) -> bool {
        match role.map(wsrx_xml::trim_xml_whitespace) {
            None | Some("") => true,
            Some(r) if r == ROLE_NEXT_12 || r == ROLE_ULTIMATE_RECEIVER_12 => self == Self::V12,
            Some(ACTOR_NEXT_11) => self == Self::V11,
            Some(ROLE_NONE_12) => false,
            Some(r) => extra_roles.contains(&r),
        }
    }
}
