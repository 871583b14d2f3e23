//! How a client obtains the endpoint's security context, read from the protection token's
//! `sp:BootstrapPolicy` (WS-SP 1.2 §5.4.7) and the WS-SC version the policy implies, so that
//! `wsrx send --wsdl` needs only credentials (the service's certificate, a user and password).

use wsrx_policy::Configuration;
use wsrx_policy::vocab::security::{
    self as sp, SecurityBinding, SecurityConfig, SpVersion, SupportingTokens, TokenKind,
};
use wsrx_security::{AlgorithmSuite, ScVersion};

/// The token exchange a `sp:BootstrapPolicy` describes, where wsrx has a client for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bootstrap {
    /// `sp:SymmetricBinding` whose protection token is an `sp:X509Token`: the RST encrypted
    /// to the service's certificate with a fresh key (the X.509 symmetric bootstrap), under
    /// the binding's suite, its signature encrypted when the binding has
    /// `sp:EncryptSignature`.
    X509 {
        /// The bootstrap binding's `sp:AlgorithmSuite`.
        suite: AlgorithmSuite,
        /// The bootstrap binding's `sp:EncryptSignature`.
        encrypt_signature: bool,
    },
    /// `sp:TransportBinding` (TLS) with an `sp:UsernameToken` among its supporting tokens.
    UsernameOverTls,
}

/// The bootstrap the endpoint's protection token asks for (`None`: a pre-established
/// `sp:SecurityContextToken`, no bootstrap policy, or one wsrx has no client for).
pub(crate) fn bootstrap_of(config: &Configuration) -> Option<Bootstrap> {
    let TokenKind::SecureConversation(t) = protection_token(config)? else {
        return None;
    };
    let inner: &SecurityConfig = t.bootstrap.as_deref()?;
    match inner.binding.as_ref()? {
        SecurityBinding::Symmetric(b) => match &b.tokens.signature().kind {
            TokenKind::X509 { .. } => Some(Bootstrap::X509 {
                // GCM names are not among the §6.1 table wsrx's bootstrap takes.
                suite: AlgorithmSuite::from_name(b.properties.algorithm_suite.name.local_name())?,
                encrypt_signature: b.protection.encrypt_signature,
            }),
            _ => None,
        },
        SecurityBinding::Transport(_) => inner
            .supporting_tokens
            .iter()
            .flat_map(|s: &SupportingTokens| &s.tokens)
            .any(|t| matches!(t.kind, TokenKind::Username(_)))
            .then_some(Bootstrap::UsernameOverTls),
        SecurityBinding::Asymmetric(_) => None,
    }
}

fn protection_token(config: &Configuration) -> Option<&TokenKind> {
    let security = config.security.as_ref()?;
    let Some(SecurityBinding::Symmetric(b)) = security.binding.as_ref() else {
        return None;
    };
    Some(&b.tokens.signature().kind)
}

/// The WS-SC version of the endpoint's SCT: the one the token names
/// (`sp:SC13SecurityContextToken`, `sp:SC200502SecurityContextToken`), else the one its
/// WS-SP version goes with (WS-SP 1.2 and 1.3 name WS-SC 1.3 and WS-Trust 1.3; WS-SP 1.1,
/// the 2005/07 namespace, WS-SC 2005/02 and WS-Trust 2005/02).
pub(crate) fn sc_of(config: &Configuration) -> Option<ScVersion> {
    let security = config.security.as_ref()?;
    let named = match protection_token(config)? {
        TokenKind::SecureConversation(t) => t.sct.version,
        TokenKind::SecurityContext(o) => o.version,
        _ => return None,
    };
    Some(match named {
        Some(sp::ScVersion::Sc2005) => ScVersion::V200502,
        Some(sp::ScVersion::Sc13) => ScVersion::V200512,
        None => match security.version {
            SpVersion::V1_1 => ScVersion::V200502,
            SpVersion::V1_2 | SpVersion::V1_3 => ScVersion::V200512,
        },
    })
}
