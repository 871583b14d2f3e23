//! Words for the security configuration: bindings, tokens, suites, parts.

use std::fmt::Write as _;

use crate::vocab::security::{
    AlgorithmSuite, BindingProperties, Canonicalization, DerivedKeys, HeaderSelector, Inclusion,
    Layout, MessageProtection, PasswordType, Protection, ProtectionOrder, ScVersion, SctOptions,
    SecurityBinding, SecurityConfig, SpVersion, SupportingKind, SymmetricTokens, Token, TokenKind,
    XPathOption,
};

pub(super) fn signature_token_name(b: &SecurityBinding) -> String {
    match b {
        SecurityBinding::Transport(_) => "TLS transport".to_owned(),
        SecurityBinding::Symmetric(s) => s.tokens.signature().kind.name().to_owned(),
        SecurityBinding::Asymmetric(a) => {
            a.initiator
                .signature
                .as_ref()
                .map_or("initiator token", |t| t.kind.name())
                .to_owned()
                + " (initiator) / recipient token"
        }
    }
}

pub(super) fn security(out: &mut String, s: &SecurityConfig, indent: &str) {
    let version = match s.version {
        SpVersion::V1_1 => "WS-SecurityPolicy 1.1",
        SpVersion::V1_2 => "WS-SecurityPolicy 1.2",
        SpVersion::V1_3 => "WS-SecurityPolicy 1.3",
    };
    let inner = format!("{indent}  ");
    match &s.binding {
        Some(SecurityBinding::Transport(t)) => {
            let _ = writeln!(out, "{indent}security: {version}, transport binding (TLS)");
            let _ = writeln!(out, "{inner}transport token: {}", token(&t.transport_token));
            binding_lines(out, &inner, &t.properties, None);
        }
        Some(SecurityBinding::Symmetric(b)) => {
            let _ = writeln!(out, "{indent}security: {version}, symmetric binding");
            match &b.tokens {
                SymmetricTokens::Protection(t) => {
                    let _ = writeln!(out, "{inner}protection token: {}", token(t));
                    bootstrap(out, t, &inner);
                }
                SymmetricTokens::Separate {
                    encryption,
                    signature,
                } => {
                    let _ = writeln!(out, "{inner}signature token: {}", token(signature));
                    bootstrap(out, signature, &inner);
                    let _ = writeln!(out, "{inner}encryption token: {}", token(encryption));
                }
            }
            binding_lines(out, &inner, &b.properties, Some(&b.protection));
        }
        Some(SecurityBinding::Asymmetric(b)) => {
            let _ = writeln!(out, "{indent}security: {version}, asymmetric binding");
            for (who, side) in [("initiator", &b.initiator), ("recipient", &b.recipient)] {
                match (&side.signature, &side.encryption) {
                    (Some(s), Some(e)) if s == e => {
                        let _ = writeln!(out, "{inner}{who} token: {}", token(s));
                    }
                    (s, e) => {
                        if let Some(s) = s {
                            let _ = writeln!(out, "{inner}{who} signature token: {}", token(s));
                        }
                        if let Some(e) = e {
                            let _ = writeln!(out, "{inner}{who} encryption token: {}", token(e));
                        }
                    }
                }
            }
            binding_lines(out, &inner, &b.properties, Some(&b.protection));
        }
        None => {
            let _ = writeln!(
                out,
                "{indent}security: {version}, no binding in this policy"
            );
        }
    }
    if !s.signed.is_empty() {
        let _ = writeln!(out, "{inner}signed: {}", protection(&s.signed));
    }
    if !s.encrypted.is_empty() {
        let _ = writeln!(out, "{inner}encrypted: {}", protection(&s.encrypted));
    }
    if !s.required_elements.is_empty() || !s.required_headers.is_empty() {
        let mut items: Vec<String> = s.required_headers.iter().map(header).collect();
        items.extend(s.required_elements.iter().map(|x| x.expression.clone()));
        let _ = writeln!(out, "{inner}required: {}", items.join(", "));
    }
    for st in &s.supporting_tokens {
        let mut line = format!(
            "{inner}{}: {}",
            supporting_name(st.kind),
            tokens_list(&st.tokens)
        );
        if !st.signed.is_empty() {
            let _ = write!(line, "; also signing {}", protection(&st.signed));
        }
        if !st.encrypted.is_empty() {
            let _ = write!(line, "; also encrypting {}", protection(&st.encrypted));
        }
        if let Some(suite) = &st.algorithm_suite {
            let _ = write!(line, "; suite {}", suite.name.local_name());
        }
        let _ = writeln!(out, "{line}");
        for t in &st.tokens {
            bootstrap(out, t, &format!("{inner}  "));
        }
    }
    if let Some(w) = &s.wss {
        let mut flags = Vec::new();
        for (on, name) in [
            (w.ref_key_identifier, "key identifier"),
            (w.ref_issuer_serial, "issuer serial"),
            (w.ref_external_uri, "external URI"),
            (w.ref_embedded_token, "embedded token"),
            (w.ref_thumbprint, "thumbprint"),
            (w.ref_encrypted_key, "encrypted key"),
        ] {
            if on {
                flags.push(name);
            }
        }
        let mut line = format!(
            "{inner}WSS {}: references {}",
            if w.wss11 { "1.1" } else { "1.0" },
            if flags.is_empty() {
                "(none required)".to_owned()
            } else {
                flags.join(", ")
            }
        );
        if w.require_signature_confirmation {
            line.push_str("; signature confirmation required");
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(t) = &s.trust {
        let mut flags = Vec::new();
        for (on, name) in [
            (t.require_client_entropy, "client entropy"),
            (t.require_server_entropy, "server entropy"),
            (t.issued_tokens, "issued tokens"),
            (t.client_challenge, "client challenge"),
            (t.server_challenge, "server challenge"),
            (t.require_rst_collection, "RST collection"),
            (t.require_applies_to, "AppliesTo"),
            (t.scope_policy15, "scope policy 1.5"),
            (t.interactive_challenge, "interactive challenge"),
        ] {
            if on {
                flags.push(name);
            }
        }
        let _ = writeln!(
            out,
            "{inner}WS-Trust {}: {}",
            if t.trust13 { "1.3" } else { "2005/02" },
            if flags.is_empty() {
                "no options".to_owned()
            } else {
                flags.join(", ")
            }
        );
    }
}

/// Suite, layout, timestamp, and the message-protection properties when the binding
/// has them.
fn binding_lines(
    out: &mut String,
    indent: &str,
    p: &BindingProperties,
    protection: Option<&MessageProtection>,
) {
    let _ = writeln!(
        out,
        "{indent}{}",
        properties(&p.algorithm_suite, p.layout, p.include_timestamp)
    );
    if let Some(protection) = protection {
        let _ = writeln!(out, "{indent}{}", protection_properties(protection));
    }
}

pub(super) fn bootstrap(out: &mut String, t: &Token, indent: &str) {
    if let TokenKind::SecureConversation(sc) = &t.kind
        && let Some(b) = &sc.bootstrap
    {
        let _ = writeln!(
            out,
            "{indent}  bootstrap policy (protects the RST/RSTR that issue the SCT):"
        );
        security(out, b, &format!("{indent}    "));
    }
}

pub(super) fn properties(suite: &AlgorithmSuite, layout: Layout, timestamp: bool) -> String {
    let mut s = format!("suite {}", suite.name.local_name());
    match suite.c14n {
        Canonicalization::Exclusive => {}
        Canonicalization::Inclusive => s.push_str(" with inclusive c14n"),
        Canonicalization::Inclusive11 => s.push_str(" with inclusive c14n 1.1"),
    }
    if suite.soap_normalization {
        s.push_str(", SOAP normalization");
    }
    if suite.str_transform {
        s.push_str(", STR transform");
    }
    match suite.xpath {
        Some(XPathOption::XPath10) => s.push_str(", XPath 1.0"),
        Some(XPathOption::XPathFilter20) => s.push_str(", XPath Filter 2.0"),
        Some(XPathOption::AbsXPath) => s.push_str(", absolute XPath"),
        None => {}
    }
    let layout = match layout {
        Layout::Strict => "Strict",
        Layout::Lax => "Lax",
        Layout::LaxTsFirst => "LaxTsFirst",
        Layout::LaxTsLast => "LaxTsLast",
    };
    let _ = write!(
        s,
        "; layout {layout}; {}",
        if timestamp {
            "timestamp included"
        } else {
            "no timestamp"
        }
    );
    s
}

pub(super) fn protection_properties(p: &MessageProtection) -> String {
    let mut s = match p.order {
        ProtectionOrder::SignBeforeEncrypting => "sign before encrypting".to_owned(),
        ProtectionOrder::EncryptBeforeSigning => "encrypt before signing".to_owned(),
    };
    if p.encrypt_signature {
        s.push_str("; signature encrypted");
    }
    if p.protect_tokens {
        s.push_str("; signing token signed (ProtectTokens)");
    }
    if p.only_sign_entire_headers_and_body {
        s.push_str("; only entire headers and body signed");
    }
    s
}

pub(super) fn token(t: &Token) -> String {
    let mut s = t.kind.name().to_owned();
    match &t.kind {
        TokenKind::SecureConversation(sc) => {
            sct_options(&mut s, &sc.sct);
            if sc.require_cancel {
                s.push_str(", cancellable (mssp:RequireCancel)");
            }
            for (on, what) in [
                (sc.must_not_send_cancel, "no Cancel"),
                (sc.must_not_send_amend, "no Amend"),
                (sc.must_not_send_renew, "no Renew"),
            ] {
                if on {
                    let _ = write!(s, ", {what}");
                }
            }
        }
        TokenKind::SecurityContext(o) => {
            s.push_str(" (pre-established)");
            sct_options(&mut s, o);
        }
        TokenKind::X509 { token_type } => {
            if let Some(tt) = token_type {
                let _ = write!(s, " ({tt:?})");
            }
        }
        TokenKind::Username(u) => {
            if let Some(p) = u.profile {
                let _ = write!(s, " (profile {p:?})");
            }
            match u.password {
                PasswordType::Text => s.push_str(", password in text"),
                PasswordType::Hash => s.push_str(", password digest"),
                PasswordType::None => s.push_str(", no password"),
            }
            if u.created {
                s.push_str(", Created");
            }
            if u.nonce {
                s.push_str(", Nonce");
            }
        }
        TokenKind::Https(h) => {
            if h.require_client_certificate {
                s.push_str(", client certificate required");
            }
            if h.http_basic_authentication {
                s.push_str(", HTTP basic authentication");
            }
        }
    }
    let inclusion = match t.inclusion {
        Inclusion::Never => "never included",
        Inclusion::Once => "included once",
        Inclusion::AlwaysToRecipient => "included always to recipient",
        Inclusion::AlwaysToInitiator => "included always to initiator",
        Inclusion::Always => "included always",
    };
    let _ = write!(s, ", {inclusion}");
    match t.derived_keys {
        DerivedKeys::None => {}
        DerivedKeys::Required => s.push_str(", derived keys"),
        DerivedKeys::Explicit => s.push_str(", explicit derived keys"),
        DerivedKeys::Implied => s.push_str(", implied derived keys"),
    }
    let r = t.references;
    for (on, what) in [
        (r.key_identifier, "key identifier reference"),
        (r.issuer_serial, "issuer serial reference"),
        (r.embedded, "embedded token reference"),
        (r.thumbprint, "thumbprint reference"),
        (r.external, "external reference"),
        (r.internal, "internal reference"),
    ] {
        if on {
            let _ = write!(s, ", {what}");
        }
    }
    if let Some(i) = &t.issuer {
        let _ = write!(s, ", issuer {i}");
    }
    s
}

pub(super) fn sct_options(s: &mut String, o: &SctOptions) {
    match o.version {
        Some(ScVersion::Sc2005) => s.push_str(" (WS-SC 2005/02)"),
        Some(ScVersion::Sc13) => s.push_str(" (WS-SC 1.3)"),
        None => {}
    }
    if o.require_external_uri_reference {
        s.push_str(", referenced by its Identifier URI");
    }
}

pub(super) fn tokens_list(tokens: &[Token]) -> String {
    tokens.iter().map(token).collect::<Vec<_>>().join("; ")
}

pub(super) fn supporting_name(k: SupportingKind) -> &'static str {
    match k {
        SupportingKind::Supporting => "supporting tokens",
        SupportingKind::Signed => "signed supporting tokens",
        SupportingKind::Endorsing => "endorsing supporting tokens",
        SupportingKind::SignedEndorsing => "signed endorsing supporting tokens",
        SupportingKind::Encrypted => "encrypted supporting tokens",
        SupportingKind::SignedEncrypted => "signed encrypted supporting tokens",
        SupportingKind::EndorsingEncrypted => "endorsing encrypted supporting tokens",
        SupportingKind::SignedEndorsingEncrypted => "signed endorsing encrypted supporting tokens",
    }
}

pub(super) fn header(h: &HeaderSelector) -> String {
    match &h.name {
        Some(n) => format!("{{{}}}{n}", h.namespace),
        None => format!("every header of {}", h.namespace),
    }
}

/// Parts in words: `Body, {ns}To, …`.
pub(super) fn protection(p: &Protection) -> String {
    let mut items = Vec::new();
    if p.body {
        items.push("Body".to_owned());
    }
    if p.all_headers {
        items.push("every header".to_owned());
    }
    // Group headers by namespace for readability.
    let mut namespaces: Vec<&str> = Vec::new();
    for h in &p.headers {
        if !namespaces.contains(&h.namespace.as_str()) {
            namespaces.push(&h.namespace);
        }
    }
    for n in namespaces {
        let names: Vec<&str> = p
            .headers
            .iter()
            .filter(|h| h.namespace == n)
            .filter_map(|h| h.name.as_deref())
            .collect();
        if p.headers
            .iter()
            .any(|h| h.namespace == n && h.name.is_none())
        {
            items.push(format!("every header of {n}"));
        }
        if !names.is_empty() {
            items.push(format!("{} of {n}", names.join("/")));
        }
    }
    items.extend(
        p.elements
            .iter()
            .map(|x| format!("element {}", x.expression)),
    );
    items.extend(
        p.content_elements
            .iter()
            .map(|x| format!("content of {}", x.expression)),
    );
    if items.is_empty() {
        "nothing".to_owned()
    } else {
        items.join(", ")
    }
}
