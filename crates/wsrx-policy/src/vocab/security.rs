//! The WS-SecurityPolicy configuration (WS-SP 1.1 2005/07, 1.2 200702, 1.3 200802):
//! what a signer and a verifier need to build and check a message the way the
//! policy says. Names follow the specification's; each type cites its section of
//! WS-SP 1.2.
//!
//! This is the policy's *statement*; which algorithms a suite name means is decided by
//! `wsrx-security`'s suite table (WS-SP 1.2 §6.1), not here.

use crate::error::Location;

/// The WS-SecurityPolicy version a policy is written in.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpVersion {
    /// WS-SP 1.1 (`http://schemas.xmlsoap.org/ws/2005/07/securitypolicy`).
    V1_1,
    /// WS-SP 1.2 (`http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702`).
    V1_2,
    /// WS-SP 1.3 (1.2 plus assertions in `…/ws-securitypolicy/200802`).
    V1_3,
}

/// Everything WS-SecurityPolicy says about one message (or endpoint).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityConfig {
    /// The highest WS-SP version used.
    pub version: SpVersion,
    /// The security binding; `None` when the policy only names parts (a message
    /// policy whose binding is at the endpoint).
    pub binding: Option<SecurityBinding>,
    /// What must be integrity protected by the binding's signature (§4.1.1, §4.1.2).
    pub signed: Protection,
    /// What must be encrypted by the binding (§4.2.1, §4.2.2, §4.2.3).
    pub encrypted: Protection,
    /// Elements that must be present (§4.3.1).
    pub required_elements: Vec<XPath>,
    /// Headers that must be present (§4.3.2).
    pub required_headers: Vec<HeaderSelector>,
    /// Supporting tokens (§8).
    pub supporting_tokens: Vec<SupportingTokens>,
    /// WSS 1.0/1.1 options (§9).
    pub wss: Option<WssOptions>,
    /// WS-Trust options (§10).
    pub trust: Option<TrustOptions>,
}

/// The security binding (§7).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityBinding {
    /// `sp:TransportBinding` (§7.3): TLS protects the messages.
    Transport(Box<TransportBinding>),
    /// `sp:SymmetricBinding` (§7.4): one symmetric key (or two) protects both ways.
    Symmetric(Box<SymmetricBinding>),
    /// `sp:AsymmetricBinding` (§7.5): initiator and recipient keys.
    Asymmetric(Box<AsymmetricBinding>),
}

/// Properties every binding has (§6).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingProperties {
    /// `sp:AlgorithmSuite` (§6.1).
    pub algorithm_suite: AlgorithmSuite,
    /// `sp:Layout` (§6.7); `Lax` when the policy does not say.
    pub layout: Layout,
    /// `sp:IncludeTimestamp` (§6.2).
    pub include_timestamp: bool,
}

/// `sp:TransportBinding`.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportBinding {
    /// `sp:TransportToken`: an `sp:HttpsToken`.
    pub transport_token: Token,
    /// Suite, layout, timestamp.
    pub properties: BindingProperties,
}

/// Message-protection properties of the symmetric and asymmetric bindings (§6.3–§6.6).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageProtection {
    /// `sp:EncryptBeforeSigning` (else sign before encrypting) (§6.3).
    pub order: ProtectionOrder,
    /// `sp:EncryptSignature` (§6.4).
    pub encrypt_signature: bool,
    /// `sp:ProtectTokens`: the signature covers the signing token (§6.5).
    pub protect_tokens: bool,
    /// `sp:OnlySignEntireHeadersAndBody` (§6.6).
    pub only_sign_entire_headers_and_body: bool,
}

/// `sp:SymmetricBinding`.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymmetricBinding {
    /// The token(s) the keys come from.
    pub tokens: SymmetricTokens,
    /// Suite, layout, timestamp.
    pub properties: BindingProperties,
    /// Order, signature encryption, token protection.
    pub protection: MessageProtection,
}

/// `sp:ProtectionToken`, or `sp:EncryptionToken` with `sp:SignatureToken`.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SymmetricTokens {
    /// One token for signing and encryption.
    Protection(Token),
    /// Separate tokens.
    Separate {
        /// `sp:EncryptionToken`.
        encryption: Token,
        /// `sp:SignatureToken`.
        signature: Token,
    },
}

impl SymmetricTokens {
    /// The token whose keys sign messages.
    pub fn signature(&self) -> &Token {
        match self {
            Self::Protection(t) | Self::Separate { signature: t, .. } => t,
        }
    }
}

/// `sp:AsymmetricBinding`.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsymmetricBinding {
    /// `sp:InitiatorToken` (or its signature/encryption split).
    pub initiator: AsymmetricTokens,
    /// `sp:RecipientToken` (or its signature/encryption split).
    pub recipient: AsymmetricTokens,
    /// Suite, layout, timestamp.
    pub properties: BindingProperties,
    /// Order, signature encryption, token protection.
    pub protection: MessageProtection,
}

/// One party's tokens under the asymmetric binding.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsymmetricTokens {
    /// The token that signs (the `InitiatorToken`/`RecipientToken`, or the
    /// `…SignatureToken`).
    pub signature: Option<Token>,
    /// The token that encryption is for (the same token, or the `…EncryptionToken`).
    pub encryption: Option<Token>,
}

/// A token assertion with its properties (§5).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What kind of token.
    pub kind: TokenKind,
    /// `sp:IncludeToken` (§5.1.1); `Always` when absent.
    pub inclusion: Inclusion,
    /// `sp:RequireDerivedKeys` and its variants (§5.1.3).
    pub derived_keys: DerivedKeys,
    /// Required reference styles (§5.4.x).
    pub references: ReferenceStyles,
    /// `sp:IssuerName` or `sp:Issuer/wsa:Address`.
    pub issuer: Option<String>,
    /// Where the token assertion sits.
    pub location: Location,
}

/// The kinds of token wsrx can work with.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// `sp:SecureConversationToken` (§5.4.7): an SCT obtained through WS-Trust, with the
    /// bootstrap policy protecting that exchange.
    SecureConversation(Box<SecureConversationToken>),
    /// `sp:SecurityContextToken` (§5.4.6): a pre-established SCT.
    SecurityContext(SctOptions),
    /// `sp:X509Token` (§5.4.3).
    X509 {
        /// `sp:WssX509V3Token10` and the like.
        token_type: Option<X509TokenType>,
    },
    /// `sp:UsernameToken` (§5.4.1).
    Username(UsernameTokenOptions),
    /// `sp:HttpsToken` (§5.4.10).
    Https(HttpsTokenOptions),
}

impl TokenKind {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SecureConversation(_) => "SecureConversationToken",
            Self::SecurityContext(_) => "SecurityContextToken",
            Self::X509 { .. } => "X509Token",
            Self::Username(_) => "UsernameToken",
            Self::Https(_) => "HttpsToken",
        }
    }

    /// True for an SCT (negotiated or pre-established).
    pub fn is_sct(&self) -> bool {
        matches!(self, Self::SecureConversation(_) | Self::SecurityContext(_))
    }
}

/// `sp:SecureConversationToken`.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecureConversationToken {
    /// The SCT's own options.
    pub sct: SctOptions,
    /// `sp:BootstrapPolicy`: the policy of the RST/RSTR exchange that issues the SCT
    /// (a security policy with its own binding).
    pub bootstrap: Option<Box<SecurityConfig>>,
    /// `sp:MustNotSendCancel`.
    pub must_not_send_cancel: bool,
    /// `sp:MustNotSendAmend`.
    pub must_not_send_amend: bool,
    /// `sp:MustNotSendRenew`.
    pub must_not_send_renew: bool,
    /// `mssp:RequireCancel` (WCF).
    pub require_cancel: bool,
}

/// Options shared by the SCT assertions.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SctOptions {
    /// `sp:SC10SecurityContextToken` / `sp:SC13SecurityContextToken`.
    pub version: Option<ScVersion>,
    /// `sp:RequireExternalUriReference`: refer to the SCT by its Identifier URI.
    pub require_external_uri_reference: bool,
}

/// The WS-SecureConversation version of the SCT.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScVersion {
    /// WS-SC February 2005 (`sp:SC10SecurityContextToken`).
    Sc2005,
    /// WS-SC 1.3 (`sp:SC13SecurityContextToken`).
    Sc13,
}

/// The X.509 token profile version (§5.4.3).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum X509TokenType {
    /// `sp:WssX509V3Token10`.
    V3Token10,
    /// `sp:WssX509V3Token11`.
    V3Token11,
    /// `sp:WssX509V1Token11`.
    V1Token11,
    /// `sp:WssX509Pkcs7Token10`.
    Pkcs7Token10,
    /// `sp:WssX509Pkcs7Token11`.
    Pkcs7Token11,
    /// `sp:WssX509PkiPathV1Token10`.
    PkiPathV1Token10,
    /// `sp:WssX509PkiPathV1Token11`.
    PkiPathV1Token11,
}

/// `sp:UsernameToken` options.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UsernameTokenOptions {
    /// `sp:WssUsernameToken10` / `11`.
    pub profile: Option<UsernameProfile>,
    /// `sp:NoPassword` / `sp:HashPassword`; plain text otherwise.
    pub password: PasswordType,
    /// `sp13:Created`.
    pub created: bool,
    /// `sp13:Nonce`.
    pub nonce: bool,
}

/// The UsernameToken profile version.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameProfile {
    /// UsernameToken Profile 1.0.
    V1_0,
    /// UsernameToken Profile 1.1.
    V1_1,
}

/// How a UsernameToken carries its password.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordType {
    /// In clear (the default).
    #[default]
    Text,
    /// A digest (`sp:HashPassword`).
    Hash,
    /// None (`sp:NoPassword`).
    None,
}

/// `sp:HttpsToken` options.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HttpsTokenOptions {
    /// `sp:RequireClientCertificate` (1.2) or `RequireClientCertificate="true"` (1.1).
    pub require_client_certificate: bool,
    /// `sp:HttpBasicAuthentication`.
    pub http_basic_authentication: bool,
}

/// `sp:IncludeToken` (§5.1.1).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Inclusion {
    /// `…/IncludeToken/Never`.
    Never,
    /// `…/IncludeToken/Once`.
    Once,
    /// `…/IncludeToken/AlwaysToRecipient`.
    AlwaysToRecipient,
    /// `…/IncludeToken/AlwaysToInitiator`.
    AlwaysToInitiator,
    /// `…/IncludeToken/Always` (the default).
    #[default]
    Always,
}

/// Derived keys (§5.1.3).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DerivedKeys {
    /// Keys are used as they are.
    #[default]
    None,
    /// `sp:RequireDerivedKeys`: explicit or implied derived keys (1.1: explicit).
    Required,
    /// `sp:RequireExplicitDerivedKeys`: a `wsc:DerivedKeyToken` per key.
    Explicit,
    /// `sp:RequireImpliedDerivedKeys`: derived keys named by STR attributes.
    Implied,
}

/// Required token reference styles (§5.4.x).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReferenceStyles {
    /// `sp:RequireKeyIdentifierReference`.
    pub key_identifier: bool,
    /// `sp:RequireIssuerSerialReference`.
    pub issuer_serial: bool,
    /// `sp:RequireEmbeddedTokenReference`.
    pub embedded: bool,
    /// `sp:RequireThumbprintReference`.
    pub thumbprint: bool,
    /// `sp:RequireExternalReference`.
    pub external: bool,
    /// `sp:RequireInternalReference`.
    pub internal: bool,
}

/// `sp:Layout` (§6.7).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Declare before use.
    Strict,
    /// Any order that is valid WSS (the default).
    #[default]
    Lax,
    /// Lax, with the Timestamp first.
    LaxTsFirst,
    /// Lax, with the Timestamp last.
    LaxTsLast,
}

/// The order of signing and encrypting (§6.3).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtectionOrder {
    /// Sign, then encrypt (the default).
    #[default]
    SignBeforeEncrypting,
    /// `sp:EncryptBeforeSigning`.
    EncryptBeforeSigning,
}

/// `sp:AlgorithmSuite` (§6.1): the suite by name, and its options.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgorithmSuite {
    /// The suite.
    pub name: AlgorithmSuiteName,
    /// Canonicalization other than exclusive c14n.
    pub c14n: Canonicalization,
    /// `sp:SOAPNormalization10`.
    pub soap_normalization: bool,
    /// `sp:STRTransform10`.
    pub str_transform: bool,
    /// `sp:XPath10`, `sp:XPathFilter20`, `sp:AbsXPath`.
    pub xpath: Option<XPathOption>,
}

/// Canonicalization of an algorithm suite.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Canonicalization {
    /// Exclusive c14n (the default).
    #[default]
    Exclusive,
    /// `sp:InclusiveC14N`.
    Inclusive,
    /// `sp13:InclusiveC14N11`.
    Inclusive11,
}

/// The XPath option of an algorithm suite.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XPathOption {
    /// `sp:XPath10`.
    XPath10,
    /// `sp:XPathFilter20`.
    XPathFilter20,
    /// `sp:AbsXPath`.
    AbsXPath,
}

/// Protected parts and elements (§4.1, §4.2).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Protection {
    /// The SOAP Body.
    pub body: bool,
    /// Every header targeted at the ultimate receiver (an empty `sp:SignedParts`).
    pub all_headers: bool,
    /// Headers by namespace (and name).
    pub headers: Vec<HeaderSelector>,
    /// Elements by XPath (`sp:SignedElements`, `sp:EncryptedElements`).
    pub elements: Vec<XPath>,
    /// Elements whose content only is encrypted (`sp:ContentEncryptedElements`).
    pub content_elements: Vec<XPath>,
}

impl Protection {
    /// True when nothing is required.
    pub fn is_empty(&self) -> bool {
        !self.body
            && !self.all_headers
            && self.headers.is_empty()
            && self.elements.is_empty()
            && self.content_elements.is_empty()
    }
}

/// `sp:Header Name="…" Namespace="…"`.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeaderSelector {
    /// The header's namespace.
    pub namespace: String,
    /// Its local name; `None` = every header of the namespace.
    pub name: Option<String>,
}

/// An `sp:XPath` expression in the supported subset: an absolute path (or a `//`
/// path) of element names.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XPath {
    /// The expression as written.
    pub expression: String,
    /// `//` at the start: the first step matches at any depth.
    pub descendant: bool,
    /// The steps: (namespace, local name).
    pub steps: Vec<(String, String)>,
}

/// Supporting tokens (§8).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportingTokens {
    /// Which kind.
    pub kind: SupportingKind,
    /// The tokens.
    pub tokens: Vec<Token>,
    /// Their own suite, if given.
    pub algorithm_suite: Option<AlgorithmSuite>,
    /// What they sign in addition.
    pub signed: Protection,
    /// What they encrypt in addition.
    pub encrypted: Protection,
}

/// The supporting-token assertions (§8.1–§8.8).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportingKind {
    /// `sp:SupportingTokens`.
    Supporting,
    /// `sp:SignedSupportingTokens`.
    Signed,
    /// `sp:EndorsingSupportingTokens`.
    Endorsing,
    /// `sp:SignedEndorsingSupportingTokens`.
    SignedEndorsing,
    /// `sp:EncryptedSupportingTokens`.
    Encrypted,
    /// `sp:SignedEncryptedSupportingTokens`.
    SignedEncrypted,
    /// `sp:EndorsingEncryptedSupportingTokens`.
    EndorsingEncrypted,
    /// `sp:SignedEndorsingEncryptedSupportingTokens`.
    SignedEndorsingEncrypted,
}

impl SupportingKind {
    /// True for the endorsing kinds (the token signs the message signature).
    pub fn endorses(self) -> bool {
        matches!(
            self,
            Self::Endorsing
                | Self::SignedEndorsing
                | Self::EndorsingEncrypted
                | Self::SignedEndorsingEncrypted
        )
    }
}

/// `sp:Wss10` / `sp:Wss11` (§9).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WssOptions {
    /// True for `sp:Wss11`.
    pub wss11: bool,
    /// `sp:MustSupportRefKeyIdentifier`.
    pub ref_key_identifier: bool,
    /// `sp:MustSupportRefIssuerSerial`.
    pub ref_issuer_serial: bool,
    /// `sp:MustSupportRefExternalURI`.
    pub ref_external_uri: bool,
    /// `sp:MustSupportRefEmbeddedToken`.
    pub ref_embedded_token: bool,
    /// `sp:MustSupportRefThumbprint` (1.1).
    pub ref_thumbprint: bool,
    /// `sp:MustSupportRefEncryptedKey` (1.1).
    pub ref_encrypted_key: bool,
    /// `sp:RequireSignatureConfirmation` (1.1).
    pub require_signature_confirmation: bool,
}

/// `sp:Trust10` / `sp:Trust13` (§10).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrustOptions {
    /// True for `sp:Trust13`.
    pub trust13: bool,
    /// `sp:MustSupportClientChallenge`.
    pub client_challenge: bool,
    /// `sp:MustSupportServerChallenge`.
    pub server_challenge: bool,
    /// `sp:RequireClientEntropy`.
    pub require_client_entropy: bool,
    /// `sp:RequireServerEntropy`.
    pub require_server_entropy: bool,
    /// `sp:MustSupportIssuedTokens`.
    pub issued_tokens: bool,
    /// `sp:RequireRequestSecurityTokenCollection`.
    pub require_rst_collection: bool,
    /// `sp:RequireAppliesTo`.
    pub require_applies_to: bool,
    /// `sp13:ScopePolicy15`.
    pub scope_policy15: bool,
    /// `sp13:MustSupportInteractiveChallenge`.
    pub interactive_challenge: bool,
}

/// The suite names of WS-SP 1.2 §6.1, and CXF's GCM suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[allow(missing_docs, reason = "each variant is the suite of that name")]
pub enum AlgorithmSuiteName {
    Basic256,
    Basic192,
    Basic128,
    TripleDes,
    Basic256Rsa15,
    Basic192Rsa15,
    Basic128Rsa15,
    TripleDesRsa15,
    Basic256Sha256,
    Basic192Sha256,
    Basic128Sha256,
    TripleDesSha256,
    Basic256Sha256Rsa15,
    Basic192Sha256Rsa15,
    Basic128Sha256Rsa15,
    TripleDesSha256Rsa15,
    /// CXF `http://cxf.apache.org/custom/security-policy` `Basic128GCM`.
    Basic128Gcm,
    /// CXF `Basic192GCM`.
    Basic192Gcm,
    /// CXF `Basic256GCM`.
    Basic256Gcm,
}

impl AlgorithmSuiteName {
    /// Every suite, WS-SP 1.2 §6.1 order, then CXF's.
    pub const ALL: [Self; 19] = [
        Self::Basic256,
        Self::Basic192,
        Self::Basic128,
        Self::TripleDes,
        Self::Basic256Rsa15,
        Self::Basic192Rsa15,
        Self::Basic128Rsa15,
        Self::TripleDesRsa15,
        Self::Basic256Sha256,
        Self::Basic192Sha256,
        Self::Basic128Sha256,
        Self::TripleDesSha256,
        Self::Basic256Sha256Rsa15,
        Self::Basic192Sha256Rsa15,
        Self::Basic128Sha256Rsa15,
        Self::TripleDesSha256Rsa15,
        Self::Basic128Gcm,
        Self::Basic192Gcm,
        Self::Basic256Gcm,
    ];

    /// The assertion's local name.
    pub fn local_name(self) -> &'static str {
        match self {
            Self::Basic256 => "Basic256",
            Self::Basic192 => "Basic192",
            Self::Basic128 => "Basic128",
            Self::TripleDes => "TripleDes",
            Self::Basic256Rsa15 => "Basic256Rsa15",
            Self::Basic192Rsa15 => "Basic192Rsa15",
            Self::Basic128Rsa15 => "Basic128Rsa15",
            Self::TripleDesRsa15 => "TripleDesRsa15",
            Self::Basic256Sha256 => "Basic256Sha256",
            Self::Basic192Sha256 => "Basic192Sha256",
            Self::Basic128Sha256 => "Basic128Sha256",
            Self::TripleDesSha256 => "TripleDesSha256",
            Self::Basic256Sha256Rsa15 => "Basic256Sha256Rsa15",
            Self::Basic192Sha256Rsa15 => "Basic192Sha256Rsa15",
            Self::Basic128Sha256Rsa15 => "Basic128Sha256Rsa15",
            Self::TripleDesSha256Rsa15 => "TripleDesSha256Rsa15",
            Self::Basic128Gcm => "Basic128GCM",
            Self::Basic192Gcm => "Basic192GCM",
            Self::Basic256Gcm => "Basic256GCM",
        }
    }

    /// The suite whose assertion is named `local`.
    pub fn from_local_name(local: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.local_name() == local)
    }
}
