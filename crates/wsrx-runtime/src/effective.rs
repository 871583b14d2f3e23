//! The effective policy of a WSDL endpoint turned into what the runtime runs: the address,
//! SOAP version, WS-RM dialect and the [`ProtectionPolicy`] every message of the endpoint is
//! built and checked by (issue 17 item 3; WS-Policy Attachment 1.5 §4.1 for "effective").
//!
//! `wsrx-policy` reads the WSDL and chooses an alternative ([`wsrx_policy::configure_wsdl`]);
//! this module maps the chosen WS-SecurityPolicy statement onto `wsrx-security`'s typed
//! [`ProtectionPolicy`], field by field (WS-SP 1.2 §4 parts, §6 binding properties, §7.4 the
//! symmetric binding), and refuses, naming the assertion and where it sits, anything the
//! runtime cannot honour:
//!
//! - a binding other than `sp:SymmetricBinding` whose protection (or signature) token is a
//!   security context token (`sp:SecureConversationToken`/`sp:SecurityContextToken`): wsrx
//!   proves every message of a sequence with the SCT the sequence is bound to;
//! - a policy under which a sequence would escape its SCT
//!   ([`wsrx_policy::EndpointSettings::check`]: WS-RM 1.1 without `wsrmp:SequenceSTR`,
//!   application messages not signed by the SCT, …) — the binding invariant of the RM layer;
//! - supporting tokens, `sp:RequiredParts`/`sp:RequiredElements`, `sp:ContentEncryptedElements`,
//!   implied derived keys and `sp:RequireSignatureConfirmation`, which wsrx does not
//!   implement; suite options it does not implement ([`ProtectionPolicy::validate`]).
//!
//! One policy per endpoint: the runtime protects the application messages and the RM
//! protocol messages (CreateSequence, acknowledgements, Close, Terminate, faults) of a
//! sequence alike, as WCF and Metro do for their infrastructure messages. The message whose
//! policy is used is the input of the chosen operation (the first when none is named); when
//! its output maps to another protection, that is said in [`Effective::notes`] and the input's
//! stands for both directions.
//!
//! Token inclusion (§5.1.1) is per direction; the runtime keeps one policy for both, so
//! `AlwaysToRecipient`/`AlwaysToInitiator` become [`TokenInclusion::Either`] (wsrx attaches
//! the SCT; either form is accepted inbound), `Always` becomes `Included` and `Never` (or
//! `sc:RequireExternalUriReference`) `ByIdentifier`.

use wsrx_policy::vocab::rm::RmVersion as PolicyRmVersion;
use wsrx_policy::vocab::security::{
    self as sp, AlgorithmSuiteName, DerivedKeys as SpDerivedKeys, Inclusion, SecurityBinding,
    SecurityConfig, TokenKind,
};
use wsrx_policy::{
    Configuration, Direction, EndpointSettings, Input, NoResolver, Options, PolicyResolver,
    SequenceBinding,
};
use wsrx_rm::RmVersion;
use wsrx_rm::wire::WireProfile;
use wsrx_security::{
    AlgorithmPolicy, AlgorithmSuite, Axis, Canonicalization, DerivedKeys, ElementPath, HeaderName,
    HeaderSelector, Layout, Parts, PathStep, ProtectionOrder, ProtectionPolicy, SuiteOptions,
    TokenInclusion, TokenPolicy, XPathDialect,
};
use wsrx_soap::{SoapVersion, WsaVersion};

/// What a WSDL endpoint asks the runtime for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// `service/port` (or `binding NAME`).
    pub label: String,
    /// `soap:address/@location`.
    pub address: Option<String>,
    /// The binding's SOAP version (1.2 when the WSDL does not say).
    pub soap: SoapVersion,
    /// The WS-RM dialect: the RM Policy version, with the WS-Addressing version the policy
    /// names.
    pub profile: WireProfile,
    /// What every message of the endpoint must look like.
    pub policy: ProtectionPolicy,
    /// The operation whose messages' policy was used, if the endpoint has operations.
    pub operation: Option<String>,
    /// How sequences are bound to the SCT.
    pub binding: SequenceBinding,
    /// Things said about the mapping that do not stop it (direction differences, the SC
    /// version the dialect implies).
    pub notes: Vec<String>,
    /// How a client obtains the SCT, from the protection token's `sp:BootstrapPolicy`
    /// ([`bootstrap::Bootstrap`]), when the policy says and wsrx has a client for it.
    pub bootstrap: Option<bootstrap::Bootstrap>,
    /// The WS-SC (and WS-Trust) version of the SCT the policy names or implies (WS-SP 1.1:
    /// 2005/02; WS-SP 1.2 and 1.3: 1.3), for the client's token exchange.
    pub sc: Option<wsrx_security::ScVersion>,
}

/// Why a WSDL cannot configure the runtime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EffectiveError {
    /// The WSDL or policy could not be read or configured (the message names the element
    /// or assertion and where it sits).
    #[error("{0}")]
    Policy(#[from] wsrx_policy::PolicyError),
    /// The document is a policy document, not a WSDL.
    #[error("{0}: not a WSDL 1.1 description (wsdl:definitions)")]
    NotWsdl(String),
    /// No endpoint (port) by that name, or none at all.
    #[error("no endpoint {wanted} in the WSDL (it has: {have})")]
    NoEndpoint {
        /// The name asked for (or "at all").
        wanted: String,
        /// The endpoints there are.
        have: String,
    },
    /// No operation by that name.
    #[error("no operation {wanted} at {endpoint} (it has: {have})")]
    NoOperation {
        /// The operation asked for.
        wanted: String,
        /// The endpoint.
        endpoint: String,
        /// The operations there are.
        have: String,
    },
    /// No bundled profile by that name ([`crate::profiles`]).
    #[error("no profile {name} (there are: {have})")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The profiles there are.
        have: String,
    },
    /// The configuration is valid WS-Policy but the runtime cannot run it.
    #[error("{subject}: {what}")]
    Refused {
        /// The endpoint, operation or message.
        subject: String,
        /// What is refused, naming the assertion and where it sits.
        what: String,
    },
}

/// Reads a WSDL (`bytes`, called `name` in messages; references through `resolver`) and
/// returns the runtime settings of its endpoint `port` (the first when `None`) for
/// `operation` (the first when `None`).
///
/// # Errors
/// [`EffectiveError`] naming the element or assertion that stops it.
pub fn from_wsdl(
    name: &str,
    bytes: &[u8],
    resolver: Option<&mut dyn PolicyResolver>,
    port: Option<&str>,
    operation: Option<&str>,
) -> Result<Effective, EffectiveError> {
    let options = Options::default();
    let mut none = NoResolver;
    let resolver: &mut dyn PolicyResolver = match resolver {
        Some(r) => r,
        None => &mut none,
    };
    let Input::Wsdl(wsdl) = Input::read(name, bytes, resolver, &options)? else {
        return Err(EffectiveError::NotWsdl(name.to_owned()));
    };
    let endpoints = wsrx_policy::configure_wsdl(&wsdl, &options);
    let have = endpoints
        .iter()
        .map(|(l, _)| l.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let chosen = endpoints.into_iter().find(|(label, _)| match port {
        None => true,
        Some(p) => {
            label == p || label.rsplit('/').next() == Some(p) || label == &format!("binding {p}")
        }
    });
    let Some((_, settings)) = chosen else {
        return Err(EffectiveError::NoEndpoint {
            wanted: port.unwrap_or("at all").to_owned(),
            have,
        });
    };
    from_settings(&settings?, operation)
}

/// The runtime settings of one configured endpoint (see [`from_wsdl`]).
///
/// # Errors
/// [`EffectiveError`] naming what stops it.
pub fn from_settings(
    settings: &EndpointSettings,
    operation: Option<&str>,
) -> Result<Effective, EffectiveError> {
    let label = settings.label.clone();
    // The RM binding invariant first: nothing below may weaken it.
    let binding = settings.check()?;
    if !matches!(binding, SequenceBinding::SecurityContextToken { .. }) {
        return Err(EffectiveError::Refused {
            subject: label,
            what: format!(
                "sequences would be {}: wsrx binds every sequence to the security context \
                 token that protects its messages (WS-RM 1.2 §5), so it needs an \
                 sp:SymmetricBinding with an SCT protection token and a wsrmp:RMAssertion",
                binding_words(binding)
            ),
        });
    }
    let op = match operation {
        Some(name) => Some(settings.operation(name).ok_or_else(|| {
            EffectiveError::NoOperation {
                wanted: name.to_owned(),
                endpoint: label.clone(),
                have: settings
                    .operations
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?),
        None => settings.operations.first(),
    };
    let mut notes = Vec::new();
    let (config, subject) = match op.and_then(|o| o.message(Direction::Input).map(|m| (o, m))) {
        Some((o, m)) => (&m.config.value, format!("{label} {} input", o.name)),
        None => (&settings.endpoint.value, label.clone()),
    };
    let policy = protection(config).map_err(|what| EffectiveError::Refused {
        subject: subject.clone(),
        what,
    })?;
    if let Some(out) = op.and_then(|o| o.message(Direction::Output)) {
        match protection(&out.config.value) {
            Ok(p) if p == policy => {}
            Ok(_) => notes.push(format!(
                "the output of {} asks for another protection than its input; wsrx \
                 protects both directions as the input says",
                op.map_or("", |o| o.name.as_str())
            )),
            Err(what) => {
                return Err(EffectiveError::Refused {
                    subject: format!("{label} {} output", op.map_or("", |o| o.name.as_str())),
                    what,
                });
            }
        }
    }
    let profile = profile_of(config).map_err(|what| EffectiveError::Refused {
        subject: subject.clone(),
        what,
    })?;
    if let Some(sc) = sc_version(config)
        && sc != crate::pipeline::sc_version(profile)
    {
        notes.push(format!(
            "the policy names WS-SC {}, the dialect pairs WS-SC {}; wsrx uses the dialect's",
            sc.namespace(),
            crate::pipeline::sc_version(profile).namespace()
        ));
    }
    Ok(Effective {
        label,
        address: settings.address.clone(),
        soap: match settings.soap_version {
            Some(wsrx_policy::SoapVersion::V11) => SoapVersion::V11,
            Some(wsrx_policy::SoapVersion::V12) | None => SoapVersion::V12,
        },
        profile,
        policy,
        operation: op.map(|o| o.name.clone()),
        binding,
        notes,
        bootstrap: bootstrap::bootstrap_of(config),
        sc: bootstrap::sc_of(config),
    })
}

fn binding_words(b: SequenceBinding) -> &'static str {
    match b {
        SequenceBinding::NotReliable => "absent (no wsrmp:RMAssertion)",
        SequenceBinding::Unsecured => "unsecured (no WS-SecurityPolicy binding)",
        SequenceBinding::NoToken => "bound to no token (message security without an SCT)",
        SequenceBinding::TransportSecurity => {
            "bound to the TLS session (wsrmp:SequenceTransportSecurity)"
        }
        SequenceBinding::SecurityContextToken { .. } => "bound to the SCT",
    }
}

/// The WS-RM dialect: WS-RM Policy 200702 → WS-RM 1.1; 2005/02 → WS-RM 1.0 with WS-A 1.0
/// (WCF), or with WS-A 2004/08 when the policy names that version.
fn profile_of(config: &Configuration) -> Result<WireProfile, String> {
    let rm = config
        .rm
        .as_ref()
        .ok_or_else(|| "no wsrmp:RMAssertion: wsrx runs WS-ReliableMessaging".to_owned())?;
    let version = match rm.version {
        PolicyRmVersion::V1_0 => RmVersion::V1_0,
        PolicyRmVersion::V1_1 => RmVersion::V1_1,
    };
    let wsa = config.addressing.as_ref().map(|a| match a.version {
        wsrx_policy::vocab::addressing::AddressingVersion::V1_0 => WsaVersion::V10,
        wsrx_policy::vocab::addressing::AddressingVersion::V2004_08 => WsaVersion::V200408,
    });
    Ok(WireProfile::from_versions(version, wsa))
}

/// The WS-SC version the protection token names, if it does.
fn sc_version(config: &Configuration) -> Option<wsrx_security::ScVersion> {
    let Some(SecurityBinding::Symmetric(b)) = config.security.as_ref()?.binding.as_ref() else {
        return None;
    };
    let options = match &b.tokens.signature().kind {
        TokenKind::SecureConversation(t) => t.sct,
        TokenKind::SecurityContext(o) => *o,
        _ => return None,
    };
    options.version.map(|v| match v {
        sp::ScVersion::Sc2005 => wsrx_security::ScVersion::V200502,
        sp::ScVersion::Sc13 => wsrx_security::ScVersion::V200512,
    })
}

/// Maps one message's WS-SecurityPolicy statement onto the [`ProtectionPolicy`] the security
/// layer builds and checks (see the module docs for what is refused).
///
/// # Errors
/// What is refused, naming the assertion and where it sits.
pub fn protection(config: &Configuration) -> Result<ProtectionPolicy, String> {
    let security = config.security.as_ref().ok_or_else(|| {
        "no WS-SecurityPolicy binding: wsrx protects every message with a security context \
         token"
            .to_owned()
    })?;
    let binding = match &security.binding {
        Some(SecurityBinding::Symmetric(b)) => b,
        Some(SecurityBinding::Asymmetric(_)) => {
            return Err(
                "sp:AsymmetricBinding protects the messages: wsrx protects them with \
                        an SCT under sp:SymmetricBinding only (an asymmetric binding may be \
                        the bootstrap policy of the SCT)"
                    .to_owned(),
            );
        }
        Some(SecurityBinding::Transport(_)) => {
            return Err(
                "sp:TransportBinding protects the messages: wsrx protects them with an \
                        SCT under sp:SymmetricBinding (TLS may carry them too)"
                    .to_owned(),
            );
        }
        None => {
            return Err("no sp:SymmetricBinding for the messages".to_owned());
        }
    };
    let tokens = match &binding.tokens {
        sp::SymmetricTokens::Protection(t) => vec![t],
        sp::SymmetricTokens::Separate {
            encryption,
            signature,
        } => vec![signature, encryption],
    };
    for t in &tokens {
        if !t.kind.is_sct() {
            return Err(format!(
                "sp:{} as the protection token at {}: wsrx protects messages with a security \
                 context token (sp:SecureConversationToken or sp:SecurityContextToken)",
                t.kind.name(),
                t.location
            ));
        }
    }
    refuse_unimplemented(security)?;
    let token = tokens
        .first()
        .ok_or_else(|| "no protection token".to_owned())?;
    let external = match &token.kind {
        TokenKind::SecureConversation(t) => t.sct.require_external_uri_reference,
        TokenKind::SecurityContext(o) => o.require_external_uri_reference,
        _ => false,
    };
    let inclusion = match token.inclusion {
        _ if external => TokenInclusion::ByIdentifier,
        Inclusion::Never => TokenInclusion::ByIdentifier,
        Inclusion::Always => TokenInclusion::Included,
        Inclusion::Once | Inclusion::AlwaysToRecipient | Inclusion::AlwaysToInitiator => {
            TokenInclusion::Either
        }
    };
    let derived_keys = match token.derived_keys {
        SpDerivedKeys::None => DerivedKeys::Direct,
        SpDerivedKeys::Required | SpDerivedKeys::Explicit => DerivedKeys::Required,
        SpDerivedKeys::Implied => {
            return Err(format!(
                "sp:RequireImpliedDerivedKeys at {}: wsrx derives keys through \
                 wsc:DerivedKeyToken elements only (explicit derived keys)",
                token.location
            ));
        }
    };
    let props = &binding.properties;
    let policy = ProtectionPolicy {
        algorithms: algorithms(&props.algorithm_suite),
        signed: parts(&security.signed)?,
        encrypted: parts(&security.encrypted)?,
        encrypt_signature: binding.protection.encrypt_signature,
        order: match binding.protection.order {
            sp::ProtectionOrder::SignBeforeEncrypting => ProtectionOrder::SignBeforeEncrypting,
            sp::ProtectionOrder::EncryptBeforeSigning => ProtectionOrder::EncryptBeforeSigning,
        },
        include_timestamp: props.include_timestamp,
        layout: match props.layout {
            sp::Layout::Strict => Layout::Strict,
            sp::Layout::Lax => Layout::Lax,
            sp::Layout::LaxTsFirst => Layout::LaxTsFirst,
            sp::Layout::LaxTsLast => Layout::LaxTsLast,
        },
        protect_tokens: binding.protection.protect_tokens,
        token: TokenPolicy {
            inclusion,
            derived_keys,
        },
        only_sign_entire_headers_and_body: binding.protection.only_sign_entire_headers_and_body,
    };
    policy.validate().map_err(|e| e.to_string())?;
    Ok(policy)
}

/// The parts of WS-SP the runtime does not implement, refused by name.
fn refuse_unimplemented(security: &SecurityConfig) -> Result<(), String> {
    if let Some(s) = security.supporting_tokens.first() {
        let (name, at) = s.tokens.first().map_or(("(none)", String::new()), |t| {
            (t.kind.name(), format!(" at {}", t.location))
        });
        return Err(format!(
            "supporting tokens ({:?}, sp:{name}{at}) on the messages: wsrx does not add or \
             check supporting tokens on sequence messages",
            s.kind
        ));
    }
    if !security.required_elements.is_empty() || !security.required_headers.is_empty() {
        return Err(
            "sp:RequiredElements / sp:RequiredParts: wsrx does not check required headers"
                .to_owned(),
        );
    }
    if !security.encrypted.content_elements.is_empty() {
        return Err("sp:ContentEncryptedElements: wsrx encrypts whole elements only".to_owned());
    }
    if security
        .wss
        .is_some_and(|w| w.require_signature_confirmation)
    {
        return Err(
            "sp:RequireSignatureConfirmation: wsrx sends no wsse11:SignatureConfirmation"
                .to_owned(),
        );
    }
    Ok(())
}

fn algorithms(suite: &sp::AlgorithmSuite) -> AlgorithmPolicy {
    use wsrx_crypto::BlockCipherAlgorithm as C;
    let (name, gcm) = match suite.name {
        AlgorithmSuiteName::Basic128Gcm => (AlgorithmSuite::Basic128, Some(C::Aes128Gcm)),
        AlgorithmSuiteName::Basic192Gcm => (AlgorithmSuite::Basic192, Some(C::Aes192Gcm)),
        AlgorithmSuiteName::Basic256Gcm => (AlgorithmSuite::Basic256, Some(C::Aes256Gcm)),
        other => (
            // Every other name is one of the sixteen of WS-SP 1.2 §6.1, spelt alike.
            AlgorithmSuite::from_name(other.local_name()).unwrap_or(AlgorithmSuite::Basic256Sha256),
            None,
        ),
    };
    let mut p = AlgorithmPolicy::new(name).strict();
    p.data_encryption = gcm;
    p.options = SuiteOptions {
        c14n: match suite.c14n {
            sp::Canonicalization::Exclusive => Canonicalization::Exclusive,
            sp::Canonicalization::Inclusive => Canonicalization::Inclusive,
            sp::Canonicalization::Inclusive11 => Canonicalization::Inclusive11,
        },
        soap_normalization: suite.soap_normalization,
        str_transform: suite.str_transform,
        xpath: suite.xpath.map(|x| match x {
            sp::XPathOption::XPath10 => XPathDialect::XPath10,
            sp::XPathOption::XPathFilter20 => XPathDialect::XPathFilter20,
            sp::XPathOption::AbsXPath => XPathDialect::AbsXPath,
        }),
    };
    p
}

fn parts(p: &sp::Protection) -> Result<Parts, String> {
    let mut headers: Vec<HeaderSelector> = Vec::new();
    if p.all_headers {
        headers.push(HeaderSelector::Any);
    }
    for h in &p.headers {
        headers.push(match &h.name {
            Some(name) => HeaderSelector::Named(HeaderName::new(h.namespace.clone(), name.clone())),
            None => HeaderSelector::Namespace(h.namespace.clone()),
        });
    }
    let elements = p
        .elements
        .iter()
        .map(|x| {
            let steps: Vec<PathStep> = x
                .steps
                .iter()
                .enumerate()
                .map(|(i, (ns, local))| PathStep {
                    axis: if i == 0 && x.descendant {
                        Axis::Descendant
                    } else {
                        Axis::Child
                    },
                    namespace: ns.clone(),
                    local_name: local.clone(),
                })
                .collect();
            if steps.is_empty() {
                Err(format!("sp:XPath {:?} selects nothing", x.expression))
            } else {
                Ok(ElementPath { steps })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Parts {
        body: p.body,
        headers,
        elements,
    })
}

impl crate::client::ClientConfig {
    /// A client configured from a WSDL (`bytes`, called `name` in messages): the address of
    /// the endpoint `port` (the first when `None`), its SOAP version, WS-RM dialect and
    /// protection policy for `operation` (see [`from_wsdl`]). The credentials (the token
    /// provider) are still the caller's.
    ///
    /// # Errors
    /// [`EffectiveError`], also when the endpoint has no `soap:address`.
    pub fn from_wsdl(
        name: &str,
        bytes: &[u8],
        port: Option<&str>,
        operation: Option<&str>,
    ) -> Result<Self, EffectiveError> {
        let e = from_wsdl(name, bytes, None, port, operation)?;
        let to = e.address.clone().ok_or_else(|| EffectiveError::Refused {
            subject: e.label.clone(),
            what: "no soap:address location to send to".to_owned(),
        })?;
        let mut config = Self::new(&to);
        e.configure_client(&mut config);
        Ok(config)
    }
}

impl crate::server::ServerConfig {
    /// A server configured from a WSDL (see [`crate::ClientConfig::from_wsdl`]): its endpoint
    /// address (when the WSDL gives one) and the protection policy every message is checked
    /// and built by.
    ///
    /// # Errors
    /// [`EffectiveError`].
    pub fn from_wsdl(
        name: &str,
        bytes: &[u8],
        port: Option<&str>,
        operation: Option<&str>,
    ) -> Result<Self, EffectiveError> {
        let e = from_wsdl(name, bytes, None, port, operation)?;
        let mut config = Self::default();
        e.configure_server(&mut config);
        config.wsdl = Some(String::from_utf8_lossy(bytes).into_owned());
        Ok(config)
    }
}

impl Effective {
    /// One line on what every message carries, for the command line.
    pub fn summary(&self) -> String {
        let p = &self.policy;
        let mut words = Vec::new();
        let mut signed = Vec::new();
        if p.signed.body {
            signed.push("Body".to_owned());
        }
        if p.include_timestamp {
            signed.push("Timestamp".to_owned());
        }
        if !p.signed.headers.is_empty() {
            signed.push(format!("{} header selector(s)", p.signed.headers.len()));
        }
        if !p.signed.elements.is_empty() {
            signed.push(format!("{} element path(s)", p.signed.elements.len()));
        }
        words.push(format!("signs {}", signed.join(" + ")));
        let mut encrypted = Vec::new();
        if p.encrypted.body {
            encrypted.push("Body".to_owned());
        }
        if !p.encrypted.headers.is_empty() {
            encrypted.push(format!("{} header selector(s)", p.encrypted.headers.len()));
        }
        if !p.encrypted.elements.is_empty() {
            encrypted.push(format!("{} element path(s)", p.encrypted.elements.len()));
        }
        if p.encrypt_signature {
            encrypted.push("the signature".to_owned());
        }
        if encrypted.is_empty() {
            words.push("encrypts nothing".to_owned());
        } else {
            words.push(format!("encrypts {}", encrypted.join(" + ")));
            words.push(
                match p.order {
                    ProtectionOrder::SignBeforeEncrypting => "signs before encrypting",
                    ProtectionOrder::EncryptBeforeSigning => "encrypts before signing",
                }
                .to_owned(),
            );
        }
        words.push(format!("layout {:?}", p.layout));
        words.push(format!("suite {}", p.algorithms.suite.name()));
        words.push(
            match p.token.derived_keys {
                DerivedKeys::Required => "derived keys",
                DerivedKeys::Optional => "derived keys (either accepted)",
                DerivedKeys::Direct => "the SCT's own key",
            }
            .to_owned(),
        );
        words.join(", ")
    }

    /// Sets `config`'s address (when the WSDL gives one), SOAP version, dialect and policy.
    pub fn configure_client(&self, config: &mut crate::client::ClientConfig) {
        if let Some(to) = &self.address {
            config.to.clone_from(to);
        }
        config.soap = self.soap;
        config.profile = self.profile;
        config.inbound.policy = self.policy.clone();
    }

    /// How the token service protects what it answers on an established context (the
    /// RSTR to a Cancel, Renew or Amend, WS-SC 1.3 §8-§10): `base` with this endpoint's suite,
    /// data cipher, derived keys and `sp:EncryptSignature`. Those requests are protected by
    /// the context under the endpoint's policy (the SCT is the protection token of the
    /// endpoint's binding, WS-SP 1.2 §7.4), so their answers are held to it too: Metro 4.0.4
    /// refuses a Cancel answer whose signature is not encrypted where the policy says
    /// `sp:EncryptSignature` (WSS0814 "Missing target Signature for Encryption").
    pub fn token_service_signing(
        &self,
        base: wsrx_security::SignConfig,
    ) -> wsrx_security::SignConfig {
        let p = &self.policy;
        wsrx_security::SignConfig {
            suite: p.algorithms.suite,
            cipher: p.algorithms.data_encryption,
            derived_keys: p.token.derived_keys != DerivedKeys::Direct,
            encrypt_body: base.encrypt_body || p.encrypted.body,
            encrypt_signature: p.encrypt_signature,
            ..base
        }
    }

    /// Sets `config`'s endpoint (when the WSDL gives one) and policy; the server answers in
    /// the dialect and SOAP version of each request.
    pub fn configure_server(&self, config: &mut crate::server::ServerConfig) {
        if let Some(address) = &self.address {
            config.endpoint.clone_from(address);
        }
        config.inbound.policy = self.policy.clone();
    }
}

pub mod bootstrap;
#[cfg(test)]
mod tests;
