//! WS-SecurityPolicy assertions to [`SecurityConfig`] (WS-SP 1.2 §4–§10; 1.1 and 1.3
//! read the same way, version by namespace).

use crate::error::{Refusal, RefusalReason};
use crate::normal::Assertion;
use crate::ns;

use super::mapper::{Mapper, is_sp, refuse, unknown_parameter};
use super::parts;
use super::security::{
    AlgorithmSuite, AlgorithmSuiteName, AsymmetricBinding, AsymmetricTokens, BindingProperties,
    Canonicalization, DerivedKeys, HttpsTokenOptions, Inclusion, Layout, MessageProtection,
    PasswordType, Protection, ProtectionOrder, ReferenceStyles, ScVersion, SctOptions,
    SecureConversationToken, SecurityBinding, SecurityConfig, SpVersion, SupportingKind,
    SupportingTokens, SymmetricBinding, SymmetricTokens, Token, TokenKind, TransportBinding,
    TrustOptions, UsernameProfile, UsernameTokenOptions, WssOptions, X509TokenType, XPathOption,
};
use super::table::Context;

fn conflict(a: &Assertion, what: impl Into<String>) -> Refusal {
    refuse(a, RefusalReason::Conflict(what.into()))
}

fn invalid(a: &Assertion, what: impl Into<String>) -> Refusal {
    refuse(a, RefusalReason::Invalid(what.into()))
}

fn misplaced(a: &Assertion, what: impl Into<String>) -> Refusal {
    refuse(a, RefusalReason::Misplaced(what.into()))
}

/// Collects the WS-SP assertions of one alternative.
#[derive(Debug, Default)]
pub(crate) struct SecurityBuilder {
    any: bool,
    binding: Option<SecurityBinding>,
    signed: Protection,
    encrypted: Protection,
    required_elements: Vec<super::security::XPath>,
    required_headers: Vec<super::security::HeaderSelector>,
    supporting_tokens: Vec<SupportingTokens>,
    wss: Option<WssOptions>,
    trust: Option<TrustOptions>,
}

impl SecurityBuilder {
    /// Adds WS-SP assertion `a` (already classified in the policy context).
    pub(crate) fn add(&mut self, m: &mut Mapper, a: &Assertion) -> Result<(), Refusal> {
        self.any = true;
        match a.name.local.as_str() {
            "TransportBinding" | "SymmetricBinding" | "AsymmetricBinding" => {
                if self.binding.is_some() {
                    return Err(conflict(
                        a,
                        "a second security binding in the same alternative",
                    ));
                }
                self.binding = Some(binding(m, a)?);
            }
            "SignedParts" => parts::parts(a, &mut self.signed, true)?,
            "EncryptedParts" => parts::parts(a, &mut self.encrypted, false)?,
            "SignedElements" => self.signed.elements.extend(parts::elements(a)?),
            "EncryptedElements" => self.encrypted.elements.extend(parts::elements(a)?),
            "ContentEncryptedElements" => {
                self.encrypted.content_elements.extend(parts::elements(a)?)
            }
            "RequiredElements" => self.required_elements.extend(parts::elements(a)?),
            "RequiredParts" => self.required_headers.extend(parts::required_parts(a)?),
            "Wss10" | "Wss11" => {
                let w = wss(m, a)?;
                self.wss = Some(match self.wss {
                    Some(old) => merge_wss(old, w),
                    None => w,
                });
            }
            "Trust10" | "Trust13" => {
                let t = trust(m, a)?;
                if self.trust.is_some_and(|old| old.trust13 != t.trust13) {
                    return Err(conflict(
                        a,
                        "sp:Trust10 and sp:Trust13 in the same alternative",
                    ));
                }
                self.trust = Some(t);
            }
            local if local.ends_with("SupportingTokens") => {
                self.supporting_tokens.push(supporting_tokens(m, a)?);
            }
            _ => return Err(refuse(a, RefusalReason::NotImplemented)),
        }
        Ok(())
    }

    /// The configuration, if any WS-SP assertion was seen.
    pub(crate) fn finish(self, m: &Mapper) -> Result<Option<SecurityConfig>, Refusal> {
        if !self.any {
            return Ok(None);
        }
        Ok(Some(SecurityConfig {
            version: m.sp_version.unwrap_or(SpVersion::V1_2),
            binding: self.binding,
            signed: self.signed,
            encrypted: self.encrypted,
            required_elements: self.required_elements,
            required_headers: self.required_headers,
            supporting_tokens: self.supporting_tokens,
            wss: self.wss,
            trust: self.trust,
        }))
    }
}

fn merge_wss(a: WssOptions, b: WssOptions) -> WssOptions {
    WssOptions {
        wss11: a.wss11 || b.wss11,
        ref_key_identifier: a.ref_key_identifier || b.ref_key_identifier,
        ref_issuer_serial: a.ref_issuer_serial || b.ref_issuer_serial,
        ref_external_uri: a.ref_external_uri || b.ref_external_uri,
        ref_embedded_token: a.ref_embedded_token || b.ref_embedded_token,
        ref_thumbprint: a.ref_thumbprint || b.ref_thumbprint,
        ref_encrypted_key: a.ref_encrypted_key || b.ref_encrypted_key,
        require_signature_confirmation: a.require_signature_confirmation
            || b.require_signature_confirmation,
    }
}

/// A security policy made of `assertions` (an `sp:BootstrapPolicy`'s nested policy):
/// only WS-Security assertions apply there.
fn bootstrap_policy(m: &mut Mapper, a: &Assertion) -> Result<SecurityConfig, Refusal> {
    let mut builder = SecurityBuilder::default();
    for n in a.nested_assertions() {
        if m.classify(n, &[Context::Policy])?.is_none() {
            continue;
        }
        if is_sp(&n.name.namespace) {
            builder.add(m, n)?;
        } else if matches!(
            n.name.namespace.as_str(),
            ns::WSAW | ns::WSAM | ns::WSAP_2004 | ns::WSAP_2004_09
        ) {
            m.ignore(
                n,
                "WS-Addressing inside sp:BootstrapPolicy: the endpoint's addressing applies",
            );
        } else if n.ignorable {
            m.ignore(
                n,
                "marked wsp:Ignorable; only security assertions apply in sp:BootstrapPolicy",
            );
        } else {
            return Err(misplaced(
                n,
                format!(
                    "{} in sp:BootstrapPolicy (only security assertions apply there)",
                    n.name.prefixed()
                ),
            ));
        }
    }
    builder.any = true;
    builder
        .finish(m)?
        .ok_or_else(|| invalid(a, "empty bootstrap policy"))
}

/// `sp:TransportBinding`, `sp:SymmetricBinding`, `sp:AsymmetricBinding` (§7).
fn binding(m: &mut Mapper, a: &Assertion) -> Result<SecurityBinding, Refusal> {
    let kind = a.name.local.as_str();
    if a.nested.is_none() {
        return Err(invalid(a, format!("sp:{kind} needs a nested wsp:Policy")));
    }
    let mut suite = None;
    let mut layout = None;
    let mut include_timestamp = false;
    let mut order = None;
    let mut encrypt_signature = false;
    let mut protect_tokens = false;
    let mut only_entire = false;
    let mut slots: Vec<(&str, Token, &Assertion)> = Vec::new();
    for n in a.nested_assertions() {
        if m.classify(n, &[Context::Binding])?.is_none() {
            continue;
        }
        let local = n.name.local.as_str();
        let allowed = match local {
            "TransportToken" => kind == "TransportBinding",
            "ProtectionToken" | "EncryptionToken" | "SignatureToken" => kind == "SymmetricBinding",
            "InitiatorToken"
            | "InitiatorSignatureToken"
            | "InitiatorEncryptionToken"
            | "RecipientToken"
            | "RecipientSignatureToken"
            | "RecipientEncryptionToken" => kind == "AsymmetricBinding",
            "EncryptBeforeSigning"
            | "SignBeforeEncrypting"
            | "EncryptSignature"
            | "ProtectTokens"
            | "OnlySignEntireHeadersAndBody" => kind != "TransportBinding",
            _ => true,
        };
        if !allowed {
            return Err(misplaced(
                n,
                format!("{} is not a property of sp:{kind}", n.name.prefixed()),
            ));
        }
        match local {
            "AlgorithmSuite" => {
                if suite.is_some() {
                    return Err(conflict(
                        n,
                        format!("a second sp:AlgorithmSuite in sp:{kind}"),
                    ));
                }
                suite = Some(algorithm_suite(m, n)?);
            }
            "Layout" => {
                if layout.is_some() {
                    return Err(conflict(n, format!("a second sp:Layout in sp:{kind}")));
                }
                layout = Some(layout_of(m, n)?);
            }
            "IncludeTimestamp" => include_timestamp = true,
            "EncryptBeforeSigning" | "SignBeforeEncrypting" => {
                let o = if local == "EncryptBeforeSigning" {
                    ProtectionOrder::EncryptBeforeSigning
                } else {
                    ProtectionOrder::SignBeforeEncrypting
                };
                if order.is_some_and(|old| old != o) {
                    return Err(conflict(
                        n,
                        "sp:EncryptBeforeSigning and sp:SignBeforeEncrypting together",
                    ));
                }
                order = Some(o);
            }
            "EncryptSignature" => encrypt_signature = true,
            "ProtectTokens" => protect_tokens = true,
            "OnlySignEntireHeadersAndBody" => only_entire = true,
            slot => {
                if slots.iter().any(|(s, _, _)| *s == slot) {
                    return Err(conflict(n, format!("a second sp:{slot} in sp:{kind}")));
                }
                let token = token_slot(m, n)?;
                if slot != "TransportToken" && matches!(token.kind, TokenKind::Https(_)) {
                    return Err(Refusal {
                        assertion: crate::error::AssertionName {
                            namespace: n.name.namespace.clone(),
                            local: "HttpsToken".to_owned(),
                            prefix: n.name.prefix.clone(),
                        },
                        location: token.location.clone(),
                        reason: RefusalReason::Misplaced(format!(
                            "sp:HttpsToken can only be the sp:TransportToken of sp:TransportBinding, not the sp:{slot} of sp:{kind}"
                        )),
                    });
                }
                slots.push((slot, token, n));
            }
        }
    }
    let Some(algorithm_suite) = suite else {
        return Err(invalid(
            a,
            format!("sp:{kind} has no sp:AlgorithmSuite (WS-SP 1.2 §7)"),
        ));
    };
    let properties = BindingProperties {
        algorithm_suite,
        layout: layout.unwrap_or_default(),
        include_timestamp,
    };
    let protection = MessageProtection {
        order: order.unwrap_or_default(),
        encrypt_signature,
        protect_tokens,
        only_sign_entire_headers_and_body: only_entire,
    };
    let mut take = |name: &str| -> Option<Token> {
        slots
            .iter()
            .position(|(s, _, _)| *s == name)
            .map(|i| slots.remove(i).1)
    };
    match kind {
        "TransportBinding" => {
            let Some(transport_token) = take("TransportToken") else {
                return Err(invalid(a, "sp:TransportBinding has no sp:TransportToken"));
            };
            if !matches!(transport_token.kind, TokenKind::Https(_)) {
                return Err(refuse(
                    a,
                    RefusalReason::Unsupported(format!(
                        "transport token {}: only sp:HttpsToken (TLS) is supported",
                        transport_token.kind.name()
                    )),
                ));
            }
            Ok(SecurityBinding::Transport(Box::new(TransportBinding {
                transport_token,
                properties,
            })))
        }
        "SymmetricBinding" => {
            let tokens = match (
                take("ProtectionToken"),
                take("EncryptionToken"),
                take("SignatureToken"),
            ) {
                (Some(p), None, None) => SymmetricTokens::Protection(p),
                (None, Some(encryption), Some(signature)) => SymmetricTokens::Separate {
                    encryption,
                    signature,
                },
                (None, None, None) => {
                    return Err(invalid(a, "sp:SymmetricBinding has no sp:ProtectionToken"));
                }
                _ => {
                    return Err(conflict(
                        a,
                        "sp:ProtectionToken excludes sp:EncryptionToken/sp:SignatureToken, which come in pairs",
                    ));
                }
            };
            Ok(SecurityBinding::Symmetric(Box::new(SymmetricBinding {
                tokens,
                properties,
                protection,
            })))
        }
        _ => {
            let mut side =
                |token: &str, sig: &str, enc: &str| -> Result<AsymmetricTokens, Refusal> {
                    match (take(token), take(sig), take(enc)) {
                        (Some(t), None, None) => Ok(AsymmetricTokens {
                            signature: Some(t.clone()),
                            encryption: Some(t),
                        }),
                        (None, signature, encryption) => Ok(AsymmetricTokens {
                            signature,
                            encryption,
                        }),
                        _ => Err(conflict(
                            a,
                            format!("sp:{token} excludes sp:{sig}/sp:{enc}"),
                        )),
                    }
                };
            let initiator = side(
                "InitiatorToken",
                "InitiatorSignatureToken",
                "InitiatorEncryptionToken",
            )?;
            let recipient = side(
                "RecipientToken",
                "RecipientSignatureToken",
                "RecipientEncryptionToken",
            )?;
            if initiator.signature.is_none() && initiator.encryption.is_none()
                || recipient.signature.is_none() && recipient.encryption.is_none()
            {
                return Err(invalid(
                    a,
                    "sp:AsymmetricBinding needs an initiator and a recipient token",
                ));
            }
            Ok(SecurityBinding::Asymmetric(Box::new(AsymmetricBinding {
                initiator,
                recipient,
                properties,
                protection,
            })))
        }
    }
}

/// A token slot (`sp:ProtectionToken`, …): its nested policy holds one token.
fn token_slot(m: &mut Mapper, slot: &Assertion) -> Result<Token, Refusal> {
    let mut found = None;
    for n in slot.nested_assertions() {
        if m.classify(n, &[Context::Token])?.is_none() {
            continue;
        }
        if found.is_some() {
            return Err(conflict(
                n,
                format!("a second token in {}", slot.name.prefixed()),
            ));
        }
        found = Some(token(m, n)?);
    }
    found.ok_or_else(|| invalid(slot, format!("{} names no token", slot.name.prefixed())))
}

/// `sp:IncludeToken` (§5.1.1).
fn inclusion(a: &Assertion) -> Result<Inclusion, Refusal> {
    let value = [ns::SP11, ns::SP12, ns::SP13, ""]
        .iter()
        .find_map(|n| a.attribute(n, "IncludeToken"));
    let Some(value) = value else {
        return Ok(Inclusion::default());
    };
    let value = value.trim();
    let name = [ns::SP11, ns::SP12, ns::SP13].iter().find_map(|n| {
        value
            .strip_prefix(n)
            .and_then(|r| r.strip_prefix("/IncludeToken/"))
    });
    match name {
        Some("Never") => Ok(Inclusion::Never),
        Some("Once") => Ok(Inclusion::Once),
        Some("AlwaysToRecipient") => Ok(Inclusion::AlwaysToRecipient),
        Some("AlwaysToInitiator") => Ok(Inclusion::AlwaysToInitiator),
        Some("Always") => Ok(Inclusion::Always),
        _ => Err(invalid(a, format!("sp:IncludeToken value {value:?}"))),
    }
}

/// A token assertion (§5.4).
fn token(m: &mut Mapper, t: &Assertion) -> Result<Token, Refusal> {
    let local = t.name.local.as_str();
    let mut kind = match local {
        "SecureConversationToken" => {
            TokenKind::SecureConversation(Box::new(SecureConversationToken {
                sct: SctOptions::default(),
                bootstrap: None,
                must_not_send_cancel: false,
                must_not_send_amend: false,
                must_not_send_renew: false,
                require_cancel: false,
            }))
        }
        "SecurityContextToken" => TokenKind::SecurityContext(SctOptions::default()),
        "X509Token" => TokenKind::X509 { token_type: None },
        "UsernameToken" => TokenKind::Username(UsernameTokenOptions::default()),
        "HttpsToken" => {
            let require = t
                .attribute("", "RequireClientCertificate")
                .is_some_and(|v| matches!(v.trim(), "true" | "1"));
            TokenKind::Https(HttpsTokenOptions {
                require_client_certificate: require,
                http_basic_authentication: false,
            })
        }
        _ => return Err(refuse(t, RefusalReason::NotImplemented)),
    };
    let mut issuer = None;
    for p in t.parameter_elements() {
        match (is_sp(&p.namespace), p.local.as_str()) {
            (true, "IssuerName") => issuer = Some(p.text()),
            (true, "Issuer") => {
                issuer = p
                    .elements()
                    .find(|e| e.local == "Address")
                    .map(crate::xml::XmlElement::text)
                    .or(Some(String::new()));
            }
            _ => {
                return Err(unknown_parameter(t, p));
            }
        }
    }
    let mut derived_keys = DerivedKeys::None;
    let mut references = ReferenceStyles::default();
    for n in t.nested_assertions() {
        if m.classify(n, &[Context::TokenProperty])?.is_none() {
            continue;
        }
        let p = n.name.local.as_str();
        let wrong = || {
            misplaced(
                n,
                format!(
                    "{} does not apply to {}",
                    n.name.prefixed(),
                    t.name.prefixed()
                ),
            )
        };
        match (p, &mut kind) {
            (
                "RequireDerivedKeys" | "RequireImpliedDerivedKeys" | "RequireExplicitDerivedKeys",
                _,
            ) => {
                let d = match p {
                    "RequireDerivedKeys" => DerivedKeys::Required,
                    "RequireImpliedDerivedKeys" => DerivedKeys::Implied,
                    _ => DerivedKeys::Explicit,
                };
                if derived_keys != DerivedKeys::None && derived_keys != d {
                    return Err(conflict(n, "two derived-key requirements"));
                }
                derived_keys = d;
            }
            ("RequireKeyIdentifierReference", _) => references.key_identifier = true,
            ("RequireIssuerSerialReference", _) => references.issuer_serial = true,
            ("RequireEmbeddedTokenReference", _) => references.embedded = true,
            ("RequireThumbprintReference", _) => references.thumbprint = true,
            ("RequireExternalReference", _) => references.external = true,
            ("RequireInternalReference", _) => references.internal = true,
            (
                "RequireExternalUriReference"
                | "SC10SecurityContextToken"
                | "SC13SecurityContextToken",
                TokenKind::SecureConversation(_) | TokenKind::SecurityContext(_),
            ) => {
                let sct = match &mut kind {
                    TokenKind::SecureConversation(s) => &mut s.sct,
                    TokenKind::SecurityContext(s) => s,
                    _ => return Err(wrong()),
                };
                match p {
                    "RequireExternalUriReference" => sct.require_external_uri_reference = true,
                    "SC10SecurityContextToken" => sct.version = Some(ScVersion::Sc2005),
                    _ => sct.version = Some(ScVersion::Sc13),
                }
            }
            ("MustNotSendCancel", TokenKind::SecureConversation(s)) => {
                s.must_not_send_cancel = true
            }
            ("MustNotSendAmend", TokenKind::SecureConversation(s)) => s.must_not_send_amend = true,
            ("MustNotSendRenew", TokenKind::SecureConversation(s)) => s.must_not_send_renew = true,
            ("RequireCancel", TokenKind::SecureConversation(s)) => s.require_cancel = true,
            ("BootstrapPolicy", TokenKind::SecureConversation(s)) => {
                s.bootstrap = Some(Box::new(bootstrap_policy(m, n)?));
            }
            (_, TokenKind::X509 { token_type }) if p.starts_with("WssX509") => {
                *token_type = Some(match p {
                    "WssX509V3Token10" => X509TokenType::V3Token10,
                    "WssX509V3Token11" => X509TokenType::V3Token11,
                    "WssX509V1Token11" => X509TokenType::V1Token11,
                    "WssX509Pkcs7Token10" => X509TokenType::Pkcs7Token10,
                    "WssX509Pkcs7Token11" => X509TokenType::Pkcs7Token11,
                    "WssX509PkiPathV1Token10" => X509TokenType::PkiPathV1Token10,
                    _ => X509TokenType::PkiPathV1Token11,
                });
            }
            ("WssUsernameToken10", TokenKind::Username(u)) => {
                u.profile = Some(UsernameProfile::V1_0)
            }
            ("WssUsernameToken11", TokenKind::Username(u)) => {
                u.profile = Some(UsernameProfile::V1_1)
            }
            ("NoPassword", TokenKind::Username(u)) => u.password = PasswordType::None,
            ("HashPassword", TokenKind::Username(u)) => u.password = PasswordType::Hash,
            ("Created", TokenKind::Username(u)) => u.created = true,
            ("Nonce", TokenKind::Username(u)) => u.nonce = true,
            ("RequireClientCertificate", TokenKind::Https(h)) => {
                h.require_client_certificate = true
            }
            ("HttpBasicAuthentication", TokenKind::Https(h)) => h.http_basic_authentication = true,
            _ => return Err(wrong()),
        }
    }
    Ok(Token {
        kind,
        inclusion: inclusion(t)?,
        derived_keys,
        references,
        issuer,
        location: t.location.clone(),
    })
}

/// `sp:AlgorithmSuite` (§6.1): one suite name and its options.
fn algorithm_suite(m: &mut Mapper, a: &Assertion) -> Result<AlgorithmSuite, Refusal> {
    let mut name = None;
    let mut suite = AlgorithmSuite {
        name: AlgorithmSuiteName::Basic256,
        c14n: Canonicalization::Exclusive,
        soap_normalization: false,
        str_transform: false,
        xpath: None,
    };
    for n in a.nested_assertions() {
        if m.classify(n, &[Context::AlgorithmSuite])?.is_none() {
            continue;
        }
        let local = n.name.local.as_str();
        if let Some(s) = AlgorithmSuiteName::from_local_name(local) {
            if name.is_some() {
                return Err(conflict(n, "a second algorithm suite in sp:AlgorithmSuite"));
            }
            name = Some(s);
            continue;
        }
        match local {
            "InclusiveC14N" => suite.c14n = Canonicalization::Inclusive,
            "InclusiveC14N11" => suite.c14n = Canonicalization::Inclusive11,
            "SOAPNormalization10" => suite.soap_normalization = true,
            "STRTransform10" => suite.str_transform = true,
            "XPath10" | "XPathFilter20" | "AbsXPath" => {
                if suite.xpath.is_some() {
                    return Err(conflict(n, "two XPath options in sp:AlgorithmSuite"));
                }
                suite.xpath = Some(match local {
                    "XPath10" => XPathOption::XPath10,
                    "XPathFilter20" => XPathOption::XPathFilter20,
                    _ => XPathOption::AbsXPath,
                });
            }
            _ => return Err(refuse(n, RefusalReason::NotImplemented)),
        }
    }
    suite.name = name.ok_or_else(|| invalid(a, "sp:AlgorithmSuite names no suite"))?;
    Ok(suite)
}

/// `sp:Layout` (§6.7).
fn layout_of(m: &mut Mapper, a: &Assertion) -> Result<Layout, Refusal> {
    let mut layout = None;
    for n in a.nested_assertions() {
        if m.classify(n, &[Context::Layout])?.is_none() {
            continue;
        }
        let l = match n.name.local.as_str() {
            "Strict" => Layout::Strict,
            "Lax" => Layout::Lax,
            "LaxTsFirst" => Layout::LaxTsFirst,
            _ => Layout::LaxTsLast,
        };
        if layout.is_some() {
            return Err(conflict(n, "a second layout in sp:Layout"));
        }
        layout = Some(l);
    }
    layout.ok_or_else(|| invalid(a, "sp:Layout names no layout"))
}

/// Supporting tokens (§8): tokens, and optionally a suite and the parts they protect.
fn supporting_tokens(m: &mut Mapper, a: &Assertion) -> Result<SupportingTokens, Refusal> {
    let kind = match a.name.local.as_str() {
        "SupportingTokens" => SupportingKind::Supporting,
        "SignedSupportingTokens" => SupportingKind::Signed,
        "EndorsingSupportingTokens" => SupportingKind::Endorsing,
        "SignedEndorsingSupportingTokens" => SupportingKind::SignedEndorsing,
        "EncryptedSupportingTokens" => SupportingKind::Encrypted,
        "SignedEncryptedSupportingTokens" => SupportingKind::SignedEncrypted,
        "EndorsingEncryptedSupportingTokens" => SupportingKind::EndorsingEncrypted,
        _ => SupportingKind::SignedEndorsingEncrypted,
    };
    let mut out = SupportingTokens {
        kind,
        tokens: Vec::new(),
        algorithm_suite: None,
        signed: Protection::default(),
        encrypted: Protection::default(),
    };
    for n in a.nested_assertions() {
        let Some(entry) = m.classify(n, &[Context::Token, Context::SupportingTokens])? else {
            continue;
        };
        if entry.contexts.contains(&Context::Token) {
            out.tokens.push(token(m, n)?);
            continue;
        }
        match n.name.local.as_str() {
            "AlgorithmSuite" => out.algorithm_suite = Some(algorithm_suite(m, n)?),
            "SignedParts" => parts::parts(n, &mut out.signed, true)?,
            "EncryptedParts" => parts::parts(n, &mut out.encrypted, false)?,
            "SignedElements" => out.signed.elements.extend(parts::elements(n)?),
            "EncryptedElements" => out.encrypted.elements.extend(parts::elements(n)?),
            "ContentEncryptedElements" => {
                out.encrypted.content_elements.extend(parts::elements(n)?)
            }
            _ => return Err(refuse(n, RefusalReason::NotImplemented)),
        }
    }
    if out.tokens.is_empty() {
        return Err(invalid(a, format!("{} names no token", a.name.prefixed())));
    }
    Ok(out)
}

/// `sp:Wss10` / `sp:Wss11` (§9).
fn wss(m: &mut Mapper, a: &Assertion) -> Result<WssOptions, Refusal> {
    let wss11 = a.name.local == "Wss11";
    let mut w = WssOptions {
        wss11,
        ..WssOptions::default()
    };
    for n in a.nested_assertions() {
        if m.classify(n, &[Context::Wss])?.is_none() {
            continue;
        }
        let local = n.name.local.as_str();
        if !wss11
            && matches!(
                local,
                "MustSupportRefThumbprint"
                    | "MustSupportRefEncryptedKey"
                    | "RequireSignatureConfirmation"
            )
        {
            return Err(misplaced(
                n,
                format!("{} is a WSS 1.1 option, inside sp:Wss10", n.name.prefixed()),
            ));
        }
        match local {
            "MustSupportRefKeyIdentifier" => w.ref_key_identifier = true,
            "MustSupportRefIssuerSerial" => w.ref_issuer_serial = true,
            "MustSupportRefExternalURI" => w.ref_external_uri = true,
            "MustSupportRefEmbeddedToken" => w.ref_embedded_token = true,
            "MustSupportRefThumbprint" => w.ref_thumbprint = true,
            "MustSupportRefEncryptedKey" => w.ref_encrypted_key = true,
            _ => w.require_signature_confirmation = true,
        }
    }
    Ok(w)
}

/// `sp:Trust10` / `sp:Trust13` (§10).
fn trust(m: &mut Mapper, a: &Assertion) -> Result<TrustOptions, Refusal> {
    let mut t = TrustOptions {
        trust13: a.name.local == "Trust13",
        ..TrustOptions::default()
    };
    for n in a.nested_assertions() {
        if m.classify(n, &[Context::Trust])?.is_none() {
            continue;
        }
        match n.name.local.as_str() {
            "MustSupportClientChallenge" => t.client_challenge = true,
            "MustSupportServerChallenge" => t.server_challenge = true,
            "RequireClientEntropy" => t.require_client_entropy = true,
            "RequireServerEntropy" => t.require_server_entropy = true,
            "MustSupportIssuedTokens" => t.issued_tokens = true,
            "RequireRequestSecurityTokenCollection" => t.require_rst_collection = true,
            "RequireAppliesTo" => t.require_applies_to = true,
            "ScopePolicy15" => t.scope_policy15 = true,
            _ => t.interactive_challenge = true,
        }
    }
    Ok(t)
}
