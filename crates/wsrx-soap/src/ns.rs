//! Namespace URIs and the stable prefixes wsrx writes them with.

/// SOAP 1.1 envelope namespace.
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace.
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// WS-Addressing 1.0 (W3C Recommendation, 2005/08).
pub const WSA10: &str = "http://www.w3.org/2005/08/addressing";
/// WS-Addressing member submission (2004/08).
pub const WSA200408: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
/// WS-Security utility namespace (`wsu:Id`), used to mark signed parts.
pub const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

/// `(namespace, prefix)` pairs for [`wsrx_xml::XmlWriter::with_prefixes`]: the
/// prefixes WCF uses where it has a habit, so that captures read familiarly.
pub const PREFERRED_PREFIXES: &[(&str, &str)] = &[
    (SOAP12, "s"),
    (SOAP11, "s"),
    (WSA10, "a"),
    (WSA200408, "wsa"),
    (WSU, "u"),
    ("http://docs.oasis-open.org/ws-rx/wsrm/200702", "r"),
    ("http://schemas.xmlsoap.org/ws/2005/02/rm", "r"),
    ("http://schemas.microsoft.com/ws/2006/05/rm", "netrm"),
    (
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
        "o",
    ),
    (
        "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd",
        "k",
    ),
    (
        "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512",
        "c",
    ),
    ("http://schemas.xmlsoap.org/ws/2005/02/sc", "c"),
    ("http://docs.oasis-open.org/ws-sx/ws-trust/200512", "t"),
    ("http://schemas.xmlsoap.org/ws/2005/02/trust", "t"),
    ("http://www.w3.org/2000/09/xmldsig#", "ds"),
    ("http://www.w3.org/2001/04/xmlenc#", "e"),
];
