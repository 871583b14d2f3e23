//! Namespace URIs and algorithm identifiers (spec-facts §1.3, §1.4).

/// WSS 1.0 secext (`wsse`).
pub const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// WSS 1.1 secext (`wsse11`).
pub const WSSE11: &str = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd";
/// WSS utility (`wsu`).
pub const WSU: &str = wsrx_soap::ns::WSU;
/// XML-DSig (`ds`).
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XML-Enc (`xenc`).
pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
/// Exclusive c14n, also the namespace of `ec:InclusiveNamespaces`.
pub const EXC_C14N: &str = wsrx_xml::algorithm::EXC_C14N;
/// WS-SecureConversation 1.3/1.4.
pub const WSC_200512: &str = "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512";
/// WS-SecureConversation February 2005.
pub const WSC_200502: &str = "http://schemas.xmlsoap.org/ws/2005/02/sc";
/// WS-RM 1.1/1.2.
pub const WSRM_200702: &str = "http://docs.oasis-open.org/ws-rx/wsrm/200702";
/// WS-RM 1.0 (February 2005).
pub const WSRM_200502: &str = "http://schemas.xmlsoap.org/ws/2005/02/rm";
/// `xenc:EncryptedData/@Type` for element content.
pub const XENC_CONTENT: &str = "http://www.w3.org/2001/04/xmlenc#Content";
/// `xenc:EncryptedData/@Type` for a whole element.
pub const XENC_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
