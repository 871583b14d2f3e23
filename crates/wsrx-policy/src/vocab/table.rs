//! Every assertion wsrx knows, where it may appear, and what wsrx does with it: the one
//! table the mapping consults (an assertion in a context its entry does not list is
//! refused as misplaced) and the README's assertion table is generated from
//! ([`markdown`]).

use crate::ns;

/// Where an assertion may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Directly in a policy alternative (endpoint, operation or message policy, or a
    /// `sp:BootstrapPolicy`).
    Policy,
    /// In the nested policy of a security binding.
    Binding,
    /// In the nested policy of a token slot (`sp:ProtectionToken`, …) or of supporting
    /// tokens: a token.
    Token,
    /// In the nested policy of a token.
    TokenProperty,
    /// In the nested policy of `sp:AlgorithmSuite`.
    AlgorithmSuite,
    /// In the nested policy of `sp:Layout`.
    Layout,
    /// In the nested policy of supporting tokens (besides the tokens).
    SupportingTokens,
    /// In the nested policy of `sp:Wss10`/`sp:Wss11`.
    Wss,
    /// In the nested policy of `sp:Trust10`/`sp:Trust13`.
    Trust,
    /// In the nested policy of `wsrmp:RMAssertion` (WS-RM Policy 1.1/1.2).
    Rm,
    /// In the nested policy of `wsrmp:DeliveryAssurance`.
    Delivery,
    /// In the nested policy of `wsam:Addressing`.
    Addressing,
}

impl Context {
    /// Where that is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Policy => "a policy alternative",
            Self::Binding => "a security binding",
            Self::Token => "a token slot or supporting tokens",
            Self::TokenProperty => "a token's nested policy",
            Self::AlgorithmSuite => "sp:AlgorithmSuite",
            Self::Layout => "sp:Layout",
            Self::SupportingTokens => "supporting tokens",
            Self::Wss => "sp:Wss10/sp:Wss11",
            Self::Trust => "sp:Trust10/sp:Trust13",
            Self::Rm => "wsrmp:RMAssertion",
            Self::Delivery => "wsrmp:DeliveryAssurance",
            Self::Addressing => "wsam:Addressing",
        }
    }
}

/// What wsrx does with an assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Mapped to the typed configuration.
    Supported,
    /// Mapped, with a restriction the note states.
    Partial,
    /// Recognized and refused (unless `wsp:Ignorable`), for the reason the note states.
    Refused,
    /// Another stack's local configuration (keystores, persistence, tuning): not a
    /// requirement on the wire; reported as ignored, never silently.
    LocalConfiguration,
}

impl Status {
    /// The word the README uses.
    pub fn word(self) -> &'static str {
        match self {
            Self::Supported => "supported",
            Self::Partial => "partial",
            Self::Refused => "refused",
            Self::LocalConfiguration => "ignored (local configuration)",
        }
    }
}

/// One known assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Local name (`"*"` = every name of the namespaces).
    pub local: &'static str,
    /// The namespaces it is known in.
    pub namespaces: &'static [&'static str],
    /// Where it may appear.
    pub contexts: &'static [Context],
    /// What wsrx does with it.
    pub status: Status,
    /// The restriction or reason, for partial and refused entries (and a short note
    /// for others).
    pub note: &'static str,
}

const SP: &[&str] = &[ns::SP11, ns::SP12, ns::SP13];
const SP12_13: &[&str] = &[ns::SP12, ns::SP13];
const SP_13: &[&str] = &[ns::SP13];
const RM10: &[&str] = &[ns::RMP10];
const RM11: &[&str] = &[ns::RMP11];
const WSAM: &[&str] = &[ns::WSAM, ns::WSAM_DRAFT_2007_02];

use Context as C;
use Status as S;

macro_rules! entries {
    ($($local:literal, $ns:expr, [$($ctx:ident),*], $status:ident, $note:literal;)*) => {
        /// The table.
        pub const ENTRIES: &[Entry] = &[$(Entry {
            local: $local,
            namespaces: $ns,
            contexts: &[$(C::$ctx),*],
            status: S::$status,
            note: $note,
        }),*];
    };
}

entries! {
    // WS-SecurityPolicy: bindings and their properties.
    "TransportBinding", SP, [Policy], Supported, "TLS-protected; HttpsToken only";
    "SymmetricBinding", SP, [Policy], Supported, "";
    "AsymmetricBinding", SP, [Policy], Supported, "";
    "TransportToken", SP, [Binding], Supported, "";
    "ProtectionToken", SP, [Binding], Supported, "";
    "EncryptionToken", SP, [Binding], Supported, "";
    "SignatureToken", SP, [Binding], Supported, "";
    "InitiatorToken", SP, [Binding], Supported, "";
    "InitiatorSignatureToken", SP12_13, [Binding], Supported, "";
    "InitiatorEncryptionToken", SP12_13, [Binding], Supported, "";
    "RecipientToken", SP, [Binding], Supported, "";
    "RecipientSignatureToken", SP12_13, [Binding], Supported, "";
    "RecipientEncryptionToken", SP12_13, [Binding], Supported, "";
    "AlgorithmSuite", SP, [Binding, SupportingTokens], Supported, "the suite's name and options; algorithms come from wsrx-security's suite table";
    "Layout", SP, [Binding], Supported, "";
    "IncludeTimestamp", SP, [Binding], Supported, "";
    "EncryptBeforeSigning", SP, [Binding], Supported, "";
    "SignBeforeEncrypting", SP, [Binding], Supported, "the default order, written out by some stacks";
    "EncryptSignature", SP, [Binding], Supported, "";
    "ProtectTokens", SP, [Binding], Supported, "";
    "OnlySignEntireHeadersAndBody", SP, [Binding], Supported, "";
    // Layouts.
    "Strict", SP, [Layout], Supported, "";
    "Lax", SP, [Layout], Supported, "";
    "LaxTsFirst", SP, [Layout], Supported, "";
    "LaxTsLast", SP, [Layout], Supported, "";
    // Algorithm suites (WS-SP 1.2 §6.1) and options.
    "Basic256", SP, [AlgorithmSuite], Supported, "";
    "Basic192", SP, [AlgorithmSuite], Supported, "";
    "Basic128", SP, [AlgorithmSuite], Supported, "";
    "TripleDes", SP, [AlgorithmSuite], Supported, "";
    "Basic256Rsa15", SP, [AlgorithmSuite], Supported, "";
    "Basic192Rsa15", SP, [AlgorithmSuite], Supported, "";
    "Basic128Rsa15", SP, [AlgorithmSuite], Supported, "";
    "TripleDesRsa15", SP, [AlgorithmSuite], Supported, "";
    "Basic256Sha256", SP, [AlgorithmSuite], Supported, "";
    "Basic192Sha256", SP, [AlgorithmSuite], Supported, "";
    "Basic128Sha256", SP, [AlgorithmSuite], Supported, "";
    "TripleDesSha256", SP, [AlgorithmSuite], Supported, "";
    "Basic256Sha256Rsa15", SP, [AlgorithmSuite], Supported, "";
    "Basic192Sha256Rsa15", SP, [AlgorithmSuite], Supported, "";
    "Basic128Sha256Rsa15", SP, [AlgorithmSuite], Supported, "";
    "TripleDesSha256Rsa15", SP, [AlgorithmSuite], Supported, "";
    "Basic128GCM", &[ns::CXF_SP], [AlgorithmSuite], Supported, "CXF's AES-GCM suites";
    "Basic192GCM", &[ns::CXF_SP], [AlgorithmSuite], Supported, "CXF's AES-GCM suites";
    "Basic256GCM", &[ns::CXF_SP], [AlgorithmSuite], Supported, "CXF's AES-GCM suites";
    "InclusiveC14N", SP, [AlgorithmSuite], Supported, "";
    "InclusiveC14N11", SP_13, [AlgorithmSuite], Supported, "";
    "SOAPNormalization10", SP, [AlgorithmSuite], Supported, "";
    "STRTransform10", SP, [AlgorithmSuite], Supported, "";
    "XPath10", SP, [AlgorithmSuite], Supported, "";
    "XPathFilter20", SP, [AlgorithmSuite], Supported, "";
    "AbsXPath", SP, [AlgorithmSuite], Supported, "";
    // Tokens.
    "SecureConversationToken", SP, [Token], Supported, "with sp:BootstrapPolicy (itself a security policy)";
    "SecurityContextToken", SP, [Token], Supported, "a pre-established SCT (wsrx --sct-id/--sct-secret)";
    "X509Token", SP, [Token], Supported, "";
    "UsernameToken", SP, [Token], Supported, "";
    "HttpsToken", SP, [Token], Supported, "";
    "SpnegoContextToken", SP, [Token], Refused, "SPNEGO (Windows) negotiation is not implemented";
    "KerberosToken", SP, [Token], Refused, "Kerberos tokens are not implemented";
    "IssuedToken", SP, [Token], Refused, "tokens from a third-party STS are not implemented";
    "SamlToken", SP, [Token], Refused, "SAML tokens are not implemented";
    "RelToken", SP, [Token], Refused, "REL tokens are not implemented";
    "KeyValueToken", SP12_13, [Token], Refused, "bare key-value tokens are not implemented";
    // Token properties.
    "RequireDerivedKeys", SP, [TokenProperty], Supported, "";
    "RequireImpliedDerivedKeys", SP12_13, [TokenProperty], Supported, "";
    "RequireExplicitDerivedKeys", SP12_13, [TokenProperty], Supported, "";
    "RequireKeyIdentifierReference", SP, [TokenProperty], Supported, "";
    "RequireIssuerSerialReference", SP, [TokenProperty], Supported, "";
    "RequireEmbeddedTokenReference", SP, [TokenProperty], Supported, "";
    "RequireThumbprintReference", SP, [TokenProperty], Supported, "";
    "RequireExternalReference", SP, [TokenProperty], Supported, "";
    "RequireInternalReference", SP, [TokenProperty], Supported, "";
    "RequireExternalUriReference", SP, [TokenProperty], Supported, "";
    "SC10SecurityContextToken", SP, [TokenProperty], Supported, "";
    "SC13SecurityContextToken", SP12_13, [TokenProperty], Supported, "";
    "MustNotSendCancel", SP12_13, [TokenProperty], Supported, "";
    "MustNotSendAmend", SP12_13, [TokenProperty], Supported, "";
    "MustNotSendRenew", SP12_13, [TokenProperty], Supported, "";
    "BootstrapPolicy", SP, [TokenProperty], Supported, "";
    "RequireCancel", &[ns::MSSP], [TokenProperty], Supported, "WCF: the SCT must be cancellable (wsrx's token service is stateful)";
    "WssX509V3Token10", SP, [TokenProperty], Supported, "";
    "WssX509V3Token11", SP, [TokenProperty], Supported, "";
    "WssX509V1Token11", SP, [TokenProperty], Supported, "";
    "WssX509Pkcs7Token10", SP, [TokenProperty], Supported, "";
    "WssX509Pkcs7Token11", SP, [TokenProperty], Supported, "";
    "WssX509PkiPathV1Token10", SP, [TokenProperty], Supported, "";
    "WssX509PkiPathV1Token11", SP, [TokenProperty], Supported, "";
    "WssUsernameToken10", SP, [TokenProperty], Supported, "";
    "WssUsernameToken11", SP, [TokenProperty], Supported, "";
    "NoPassword", SP12_13, [TokenProperty], Supported, "";
    "HashPassword", SP12_13, [TokenProperty], Supported, "";
    "Created", SP_13, [TokenProperty], Supported, "";
    "Nonce", SP_13, [TokenProperty], Supported, "";
    "RequireClientCertificate", SP12_13, [TokenProperty], Supported, "";
    "HttpBasicAuthentication", SP12_13, [TokenProperty], Supported, "";
    "HttpDigestAuthentication", SP12_13, [TokenProperty], Refused, "HTTP digest authentication is not implemented";
    // Protection scopes.
    "SignedParts", SP, [Policy, SupportingTokens], Partial, "Body and headers by name/namespace; sp:Attachments refused";
    "EncryptedParts", SP, [Policy, SupportingTokens], Partial, "Body and headers by name/namespace; sp:Attachments refused";
    "SignedElements", SP, [Policy, SupportingTokens], Partial, "XPath subset: absolute or // paths of element names";
    "EncryptedElements", SP, [Policy, SupportingTokens], Partial, "XPath subset: absolute or // paths of element names";
    "ContentEncryptedElements", SP12_13, [Policy, SupportingTokens], Partial, "XPath subset: absolute or // paths of element names";
    "RequiredElements", SP12_13, [Policy], Partial, "XPath subset: absolute or // paths of element names";
    "RequiredParts", SP12_13, [Policy], Supported, "";
    // Supporting tokens.
    "SupportingTokens", SP, [Policy], Supported, "";
    "SignedSupportingTokens", SP, [Policy], Supported, "";
    "EndorsingSupportingTokens", SP, [Policy], Supported, "";
    "SignedEndorsingSupportingTokens", SP, [Policy], Supported, "";
    "EncryptedSupportingTokens", SP12_13, [Policy], Supported, "";
    "SignedEncryptedSupportingTokens", SP12_13, [Policy], Supported, "";
    "EndorsingEncryptedSupportingTokens", SP12_13, [Policy], Supported, "";
    "SignedEndorsingEncryptedSupportingTokens", SP12_13, [Policy], Supported, "";
    // WSS and Trust options.
    "Wss10", SP, [Policy], Supported, "";
    "Wss11", SP, [Policy], Supported, "";
    "MustSupportRefKeyIdentifier", SP, [Wss], Supported, "";
    "MustSupportRefIssuerSerial", SP, [Wss], Supported, "";
    "MustSupportRefExternalURI", SP, [Wss], Supported, "";
    "MustSupportRefEmbeddedToken", SP, [Wss], Supported, "";
    "MustSupportRefThumbprint", SP, [Wss], Supported, "";
    "MustSupportRefEncryptedKey", SP, [Wss], Supported, "";
    "RequireSignatureConfirmation", SP, [Wss], Supported, "";
    "Trust10", SP, [Policy], Supported, "";
    "Trust13", SP12_13, [Policy], Supported, "";
    "MustSupportClientChallenge", SP, [Trust], Supported, "";
    "MustSupportServerChallenge", SP, [Trust], Supported, "";
    "RequireClientEntropy", SP, [Trust], Supported, "";
    "RequireServerEntropy", SP, [Trust], Supported, "";
    "MustSupportIssuedTokens", SP, [Trust], Supported, "";
    "RequireRequestSecurityTokenCollection", SP12_13, [Trust], Supported, "";
    "RequireAppliesTo", SP12_13, [Trust], Supported, "";
    "ScopePolicy15", SP_13, [Trust], Supported, "";
    "MustSupportInteractiveChallenge", SP_13, [Trust], Supported, "";
    // WS-RM Policy.
    "RMAssertion", RM10, [Policy], Supported, "WS-RM 1.0; parameters InactivityTimeout, BaseRetransmissionInterval, ExponentialBackoff, AcknowledgementInterval";
    "RMAssertion", RM11, [Policy], Supported, "WS-RM 1.1/1.2";
    "SequenceSTR", RM11, [Rm], Supported, "";
    "SequenceTransportSecurity", RM11, [Rm], Supported, "";
    "DeliveryAssurance", RM11, [Rm], Supported, "";
    "ExactlyOnce", RM11, [Delivery], Supported, "";
    "AtLeastOnce", RM11, [Delivery], Supported, "";
    "AtMostOnce", RM11, [Delivery], Supported, "";
    "InOrder", RM11, [Delivery], Supported, "";
    "InactivityTimeout", &[ns::NETRMP], [Policy], Supported, "WCF/Metro; also read as a parameter of wsrmp:RMAssertion";
    "AcknowledgementInterval", &[ns::NETRMP], [Policy], Supported, "WCF/Metro; also read as a parameter of wsrmp:RMAssertion";
    "RmFlowControl", &[ns::NET_RM_POLICY], [Policy], Partial, "WCF flow control: MaxReceiveBufferSize is read; wsrx does not throttle by netrm:BufferRemaining";
    "MCSupported", &[ns::WSMC], [Policy], Supported, "WS-MakeConnection 1.1";
    // WS-Addressing metadata.
    "Addressing", WSAM, [Policy], Supported, "WS-Addressing 1.0";
    "AnonymousResponses", WSAM, [Addressing], Supported, "";
    "NonAnonymousResponses", WSAM, [Addressing], Supported, "";
    "UsingAddressing", &[ns::WSAW], [Policy], Supported, "WS-Addressing 1.0 (WCF writes it in policy)";
    "UsingAddressing", &[ns::WSAP_2004, ns::WSAP_2004_09], [Policy], Supported, "WS-Addressing 2004/08";
    // Other.
    "Utf816FFFECharacterEncoding", &[ns::WSPE], [Policy], Partial, "wsrx reads and writes UTF-8 only";
    "OptimizedMimeSerialization", &[ns::MTOM_2004, ns::MTOM_2007], [Policy], Refused, "MTOM/XOP is not implemented";
    // Other stacks' local configuration.
    "*", &[ns::METRO_SC_SERVER, ns::METRO_SC_CLIENT], [Policy, Binding, Token, TokenProperty], LocalConfiguration, "Metro keystores, truststores, validators and callbacks";
    "*", &[ns::METRO_RM_200702, ns::SUN_RM_CLIENT], [Policy, Rm], LocalConfiguration, "Metro RM persistence and tuning";
    "*", &[ns::METRO_FASTINFOSET, ns::METRO_SOAPTCP], [Policy], LocalConfiguration, "Metro FastInfoset and SOAP/TCP switches (wsrx speaks XML over HTTP)";
    "RampartConfig", &[ns::RAMPART], [Policy], LocalConfiguration, "Rampart users, crypto and token-issuer configuration";
}

/// The entry for `{namespace}local`, if wsrx knows it.
pub fn lookup(namespace: &str, local: &str) -> Option<&'static Entry> {
    ENTRIES
        .iter()
        .find(|e| e.namespaces.contains(&namespace) && (e.local == local || e.local == "*"))
}

/// The README table: one row per entry, namespaces by their conventional prefix and URI.
pub fn markdown() -> String {
    let mut out = String::from(
        "| assertion | namespace(s) | where | status | notes |\n|---|---|---|---|---|\n",
    );
    for e in ENTRIES {
        let namespaces: Vec<String> = e.namespaces.iter().map(|n| format!("`{n}`")).collect();
        let contexts: Vec<&str> = e.contexts.iter().map(|c| c.describe()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            e.local,
            namespaces.join("<br>"),
            contexts.join(", "),
            e.status.word(),
            e.note
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_find_entries_by_namespace_and_name() {
        assert_eq!(
            lookup(ns::SP11, "Basic256").map(|e| e.status),
            Some(Status::Supported)
        );
        assert_eq!(
            lookup(ns::SP12, "KerberosToken").map(|e| e.status),
            Some(Status::Refused)
        );
        assert_eq!(
            lookup(ns::SP11, "KeyValueToken"),
            None,
            "SP 1.2 assertion in SP 1.1"
        );
        assert_eq!(
            lookup(ns::METRO_SC_SERVER, "KeyStore").map(|e| e.status),
            Some(Status::LocalConfiguration)
        );
        assert_eq!(lookup("urn:other", "Basic256"), None);
    }

    #[test]
    fn no_entry_is_listed_twice_for_the_same_namespace() {
        for (i, a) in ENTRIES.iter().enumerate() {
            for b in ENTRIES.iter().skip(i + 1) {
                let shared = a.namespaces.iter().any(|n| b.namespaces.contains(n));
                assert!(!(shared && a.local == b.local), "{} listed twice", a.local);
            }
        }
    }
}
