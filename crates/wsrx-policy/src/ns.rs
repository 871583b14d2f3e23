//! Namespace URIs of WS-Policy and of the vocabularies this crate maps, in one place
//! (spec-facts §1, checked against WCF `ReliableSessionPolicyStrings`, WSS4J
//! `SPConstants`, Metro `RmAssertionNamespace` and the CXF schemas).

/// WS-Policy 1.5 (W3C Recommendation, 2007).
pub const WSP15: &str = "http://www.w3.org/ns/ws-policy";
/// WS-Policy 1.2 (W3C Member Submission, 2006; namespace of 2004/09).
pub const WSP12: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
/// The WS-Policy 1.5 working-draft namespace of July 2006, still written by CXF and
/// Neethi configurations; read as WS-Policy 1.5.
pub const WSP15_DRAFT_2006: &str = "http://www.w3.org/2006/07/ws-policy";

/// WSS utility namespace (`wsu:Id`).
pub const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
/// WSDL 1.1.
pub const WSDL11: &str = "http://schemas.xmlsoap.org/wsdl/";
/// WSDL 1.1 SOAP 1.1 binding.
pub const WSDL_SOAP11: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
/// WSDL 1.1 SOAP 1.2 binding.
pub const WSDL_SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";

/// WS-SecurityPolicy 1.1.
pub const SP11: &str = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy";
/// WS-SecurityPolicy 1.2.
pub const SP12: &str = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702";
/// WS-SecurityPolicy 1.3 (new assertions only; the 1.2 ones keep the 200702 namespace).
pub const SP13: &str = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200802";
/// WCF's private security-policy extensions (`mssp:RequireCancel`).
pub const MSSP: &str = "http://schemas.microsoft.com/ws/2005/07/securitypolicy";
/// CXF's custom security-policy namespace (the AES-GCM suites).
pub const CXF_SP: &str = "http://cxf.apache.org/custom/security-policy";

/// WS-RM Policy 1.0 (February 2005).
pub const RMP10: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm/policy";
/// WS-RM Policy 1.1 and 1.2.
pub const RMP11: &str = "http://docs.oasis-open.org/ws-rx/wsrmp/200702";
/// Microsoft's WS-RM policy extensions for RM 1.1 (`netrmp:InactivityTimeout`,
/// `netrmp:AcknowledgementInterval`).
pub const NETRMP: &str = "http://schemas.microsoft.com/ws-rx/wsrmp/200702";
/// Microsoft's RM policy extensions of 2005 (`net:RmFlowControl`).
pub const NET_RM_POLICY: &str = "http://schemas.microsoft.com/net/2005/02/rm/policy";
/// WS-MakeConnection 1.1.
pub const WSMC: &str = "http://docs.oasis-open.org/ws-rx/wsmc/200702";

/// WS-Addressing 1.0 Metadata (W3C Recommendation).
pub const WSAM: &str = "http://www.w3.org/2007/05/addressing/metadata";
/// The WS-Addressing Metadata draft namespace of February 2007 (CXF samples).
pub const WSAM_DRAFT_2007_02: &str = "http://www.w3.org/2007/02/addressing/metadata";
/// WS-Addressing 1.0 WSDL binding (`wsaw:UsingAddressing`, `wsaw:Action`).
pub const WSAW: &str = "http://www.w3.org/2006/05/addressing/wsdl";
/// WS-Addressing 2004/08 policy (`wsap:UsingAddressing`).
pub const WSAP_2004: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing/policy";
/// WS-Addressing 1.0 core (`wsa:Action` on WSDL messages, EndpointReference).
pub const WSA10: &str = "http://www.w3.org/2005/08/addressing";
/// WS-Addressing 2004/08 core.
pub const WSA_2004: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// WS-Policy encoding assertions (`wspe:Utf816FFFECharacterEncoding`).
pub const WSPE: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy/encoding";

/// Metro's local security configuration (server side).
pub const METRO_SC_SERVER: &str = "http://schemas.sun.com/2006/03/wss/server";
/// Metro's local security configuration (client side).
pub const METRO_SC_CLIENT: &str = "http://schemas.sun.com/2006/03/wss/client";
/// Metro's local RM tuning of 2007 (`Persistent`, `MaxConcurrentSessions`, ...).
pub const METRO_RM_200702: &str = "http://java.sun.com/xml/ns/metro/ws-rx/wsrmp/200702";
/// Metro's (Sun's) RM client tuning of 2006 (`AckRequestInterval`, `CloseTimeout`, ...).
pub const SUN_RM_CLIENT: &str = "http://sun.com/2006/03/rm/client";
/// Rampart's local configuration (`ramp:RampartConfig`).
pub const RAMPART: &str = "http://ws.apache.org/rampart/policy";

/// The version of WS-Policy a policy element is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum WsPolicyVersion {
    /// WS-Policy 1.5 (`http://www.w3.org/ns/ws-policy`).
    V1_5,
    /// WS-Policy 1.2 (`http://schemas.xmlsoap.org/ws/2004/09/policy`).
    V1_2,
    /// The July 2006 draft of 1.5 (`http://www.w3.org/2006/07/ws-policy`).
    Draft2006,
}

impl WsPolicyVersion {
    /// The version whose namespace is `ns`.
    pub fn from_namespace(ns: &str) -> Option<Self> {
        match ns {
            WSP15 => Some(Self::V1_5),
            WSP12 => Some(Self::V1_2),
            WSP15_DRAFT_2006 => Some(Self::Draft2006),
            _ => None,
        }
    }

    /// The namespace URI.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::V1_5 => WSP15,
            Self::V1_2 => WSP12,
            Self::Draft2006 => WSP15_DRAFT_2006,
        }
    }
}

/// True when `ns` is one of the WS-Policy namespaces.
pub fn is_ws_policy(ns: &str) -> bool {
    WsPolicyVersion::from_namespace(ns).is_some()
}

/// A conventional prefix for a namespace, used in messages and output when the
/// document gave none.
pub fn conventional_prefix(ns: &str) -> Option<&'static str> {
    Some(match ns {
        WSP15 | WSP12 | WSP15_DRAFT_2006 => "wsp",
        WSU => "wsu",
        WSDL11 => "wsdl",
        SP11 | SP12 => "sp",
        SP13 => "sp13",
        MSSP => "mssp",
        RMP10 => "wsrmp10",
        RMP11 => "wsrmp",
        NETRMP => "netrmp",
        NET_RM_POLICY => "net",
        WSMC => "wsmc",
        WSAM | WSAM_DRAFT_2007_02 => "wsam",
        WSAW => "wsaw",
        WSAP_2004 => "wsap",
        WSPE => "wspe",
        _ => return None,
    })
}

/// WS-Addressing 2004/08 policy, as WCF wrote it in 2006 (`wsap:UsingAddressing`).
pub const WSAP_2004_09: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy/addressing";
/// MTOM policy of 2004/09 (`wsoma:OptimizedMimeSerialization`).
pub const MTOM_2004: &str =
    "http://schemas.xmlsoap.org/ws/2004/09/policy/optimizedmimeserialization";
/// MTOM policy of the W3C (`wsoma:OptimizedMimeSerialization`).
pub const MTOM_2007: &str = "http://www.w3.org/2007/08/soap12-mtom-policy";
/// Metro's FastInfoset switch (`fi:OptimizedFastInfosetSerialization`).
pub const METRO_FASTINFOSET: &str =
    "http://java.sun.com/xml/ns/wsit/2006/09/policy/fastinfoset/service";
/// Metro's SOAP/TCP switch (`tcp:OptimizedTCPTransport`).
pub const METRO_SOAPTCP: &str = "http://java.sun.com/xml/ns/wsit/2006/09/policy/soaptcp/service";
/// Metro's policy-visibility namespace (`wspp:visibility="private"` marks local configuration).
pub const METRO_POLICY: &str = "http://java.sun.com/xml/ns/wsit/policy";
