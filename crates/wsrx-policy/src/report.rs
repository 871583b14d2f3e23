//! The effective policy in plain words: what `wsrx policy show` prints (what is signed
//! and encrypted, by which token, with which suite and layout, the RM version and how
//! sequences are bound), and whether the result is usable.

use std::fmt::Write as _;

use crate::binding::SequenceBinding;
use crate::config::{
    Configuration, EndpointSettings, Ignored, PolicySettings, Selected, configure_document,
    configure_wsdl,
};
use crate::document::Input;
use crate::error::{PolicyError, UnbindReason};
use crate::ns::WsPolicyVersion;
use crate::source::Options;
use crate::vocab::addressing::{AddressingConfig, AddressingVersion, Responses};
use crate::vocab::rm::{DeliveryGuarantee, RmConfig, RmVersion, SequenceBindingRequirement};
use crate::vocab::security::{
    AlgorithmSuite, Canonicalization, DerivedKeys, Inclusion, Layout, PasswordType, Protection,
    ProtectionOrder, ScVersion, SecurityBinding, SecurityConfig, SpVersion, SupportingKind, Token,
    TokenKind, XPathOption,
};
use crate::wsdl::SoapVersion;

/// A report and whether every subject in it is usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The text.
    pub text: String,
    /// True when every subject gave a configuration wsrx can run.
    pub usable: bool,
}

/// Describes every subject of `input`, optionally only the endpoints whose port (or
/// binding) is `port`.
pub fn describe(input: &Input, options: &Options, port: Option<&str>) -> Report {
    let mut out = String::new();
    let mut usable = true;
    for w in input.warnings() {
        let _ = writeln!(out, "warning: {w}");
    }
    match input {
        Input::Wsdl(wsdl) => {
            let _ = writeln!(
                out,
                "WSDL {} ({}), {} endpoint(s)",
                wsdl.name,
                version_name(wsdl.version),
                wsdl.endpoints.len()
            );
            if let Some(required) = wsdl.using_policy {
                let _ = writeln!(
                    out,
                    "wsp:UsingPolicy: policy processing {}",
                    if required { "required" } else { "optional" }
                );
            }
            let mut shown = 0;
            for ((label, result), e) in configure_wsdl(wsdl, options).iter().zip(&wsdl.endpoints) {
                if port.is_some_and(|p| p != e.port && p != e.binding) {
                    continue;
                }
                shown += 1;
                out.push('\n');
                match result {
                    Ok(settings) => {
                        endpoint(&mut out, settings);
                        if let Err(e) = settings.check() {
                            usable = false;
                            let _ = writeln!(out, "  REFUSED: {e}");
                        }
                    }
                    Err(e) => {
                        usable = false;
                        let _ = writeln!(out, "endpoint {label}\n  REFUSED: {e}");
                    }
                }
            }
            if shown == 0 {
                usable = false;
                let _ = writeln!(
                    out,
                    "no endpoint{}",
                    port.map(|p| format!(" named {p}")).unwrap_or_default()
                );
            }
        }
        Input::Policies(doc) => {
            let _ = writeln!(
                out,
                "policy document {}, {} policy subject(s)",
                doc.name,
                doc.subjects.len()
            );
            for (label, result) in configure_document(doc, options) {
                out.push('\n');
                let _ = writeln!(out, "{label}");
                match result {
                    Ok(settings) => {
                        policy_settings(&mut out, &settings);
                        if let Err(e) = settings.check(&label) {
                            usable = false;
                            let _ = writeln!(out, "  REFUSED: {e}");
                        }
                    }
                    Err(e) => {
                        usable = false;
                        let _ = writeln!(out, "  REFUSED: {e}");
                    }
                }
            }
        }
    }
    Report { text: out, usable }
}

fn version_name(v: WsPolicyVersion) -> &'static str {
    match v {
        WsPolicyVersion::V1_5 => "WS-Policy 1.5",
        WsPolicyVersion::V1_2 => "WS-Policy 1.2",
        WsPolicyVersion::Draft2006 => "WS-Policy 1.5 draft 2006/07",
    }
}

fn policy_settings(out: &mut String, s: &PolicySettings) {
    alternative_line(out, &s.config, "  ");
    configuration(out, &s.config.value, "  ", &[]);
    sequences(out, &s.sequence_binding, "  ");
}

fn endpoint(out: &mut String, s: &EndpointSettings) {
    let _ = writeln!(out, "endpoint {}", s.label);
    if let Some(a) = &s.address {
        let _ = writeln!(out, "  address: {a}");
    }
    match s.soap_version {
        Some(SoapVersion::V11) => out.push_str("  SOAP 1.1\n"),
        Some(SoapVersion::V12) => out.push_str("  SOAP 1.2\n"),
        None => out.push_str("  SOAP version: not given by the binding\n"),
    }
    if let Some(required) = s.using_addressing {
        let _ = writeln!(
            out,
            "  WSDL wsaw:UsingAddressing ({})",
            if required { "required" } else { "optional" }
        );
    }
    alternative_line(out, &s.endpoint, "  ");
    configuration(out, &s.endpoint.value, "  ", &[]);
    sequences(out, &s.sequence_binding, "  ");
    // Messages whose details are all the same are described once.
    let render = |m: &crate::config::MessageSettings, indent: &str| {
        let mut d = String::new();
        if m.config.count > 1 || !m.config.skipped.is_empty() {
            alternative_line(&mut d, &m.config, indent);
        }
        message(&mut d, &m.config.value, &s.endpoint.value, indent);
        d
    };
    let messages: Vec<&crate::config::MessageSettings> = s
        .operations
        .iter()
        .flat_map(|op| op.messages.iter())
        .collect();
    let details: Vec<String> = messages.iter().map(|m| render(m, "      ")).collect();
    let same = details.len() > 1 && details.windows(2).all(|w| w.first() == w.last());
    let mut index = 0;
    for op in &s.operations {
        let _ = writeln!(out, "  operation {}", op.name);
        for m in &op.messages {
            let mut head = format!(
                "    {}",
                crate::wsdl::WsdlMessage::label_of(m.direction, m.name.as_deref())
            );
            if let Some(a) = &m.action {
                let _ = write!(head, " (action {a})");
            }
            let _ = writeln!(out, "{head}");
            if !same {
                out.push_str(details.get(index).map_or("", String::as_str));
            }
            index += 1;
        }
    }
    if same {
        let _ = writeln!(out, "  every message ({}):", details.len());
        if let Some(m) = messages.first() {
            out.push_str(&render(m, "    "));
        }
    }
}

fn alternative_line<T>(out: &mut String, s: &Selected<T>, indent: &str) {
    let _ = writeln!(
        out,
        "{indent}policy alternative {} of {}",
        s.index + 1,
        s.count
    );
    // Consecutive alternatives skipped for the same reason are named once.
    let mut k = 0;
    while let Some((first, refusal)) = s.skipped.get(k) {
        let mut last = *first;
        while let Some((i, r)) = s.skipped.get(k + 1)
            && *i == last + 1
            && r == refusal
        {
            last = *i;
            k += 1;
        }
        if last == *first {
            let _ = writeln!(
                out,
                "{indent}  skipped alternative {}: {refusal}",
                first + 1
            );
        } else {
            let _ = writeln!(
                out,
                "{indent}  skipped alternatives {}-{}: {refusal}",
                first + 1,
                last + 1
            );
        }
        k += 1;
    }
}

fn sequences(out: &mut String, b: &Result<SequenceBinding, UnbindReason>, indent: &str) {
    let text = match b {
        Ok(SequenceBinding::NotReliable) => return,
        Ok(SequenceBinding::Unsecured) => "not bound to any token (no WS-Security): needs the runtime's unbound-sequence mode".to_owned(),
        Ok(SequenceBinding::NoToken) => "not bound to any token (no SecureConversationToken): needs the runtime's unbound-sequence mode".to_owned(),
        Ok(SequenceBinding::SecurityContextToken { explicit: true }) => "bound to the SCT (wsrmp:SequenceSTR)".to_owned(),
        Ok(SequenceBinding::SecurityContextToken { explicit: false }) => "bound to the SCT (implied: WS-RM 1.0 over an SCT)".to_owned(),
        Ok(SequenceBinding::TransportSecurity) => "bound to the TLS session (wsrmp:SequenceTransportSecurity)".to_owned(),
        Err(reason) => format!("would escape the SCT: {reason}"),
    };
    let _ = writeln!(out, "{indent}sequences: {text}");
}

/// The endpoint-level configuration.
fn configuration(out: &mut String, c: &Configuration, indent: &str, skip_ignored: &[Ignored]) {
    match &c.security {
        Some(s) => security(out, s, indent),
        None => {
            let _ = writeln!(out, "{indent}security: none");
        }
    }
    match &c.rm {
        Some(rm) => reliable(out, rm, indent),
        None => {
            let _ = writeln!(out, "{indent}reliable messaging: none");
        }
    }
    if let Some(a) = &c.addressing {
        addressing(out, a, indent);
    }
    if c.make_connection {
        let _ = writeln!(out, "{indent}WS-MakeConnection supported");
    }
    for i in &c.ignored {
        if !skip_ignored.contains(i) {
            let _ = writeln!(
                out,
                "{indent}ignored: {} at {}: {}",
                i.assertion, i.location, i.reason
            );
        }
    }
}

/// What a message adds to its endpoint.
fn message(out: &mut String, c: &Configuration, endpoint: &Configuration, indent: &str) {
    match &c.security {
        Some(s) => {
            let by = match &s.binding {
                Some(SecurityBinding::Transport(_)) => {
                    " (TLS protects the whole message)".to_owned()
                }
                Some(b) => format!(" (by the {})", signature_token_name(b)),
                None => String::new(),
            };
            let _ = writeln!(out, "{indent}signed: {}{by}", protection(&s.signed));
            let _ = writeln!(out, "{indent}encrypted: {}", protection(&s.encrypted));
            let endpoint_tokens = endpoint
                .security
                .as_ref()
                .map_or(0, |e| e.supporting_tokens.len());
            for st in s.supporting_tokens.iter().skip(endpoint_tokens) {
                let _ = writeln!(
                    out,
                    "{indent}{}: {}",
                    supporting_name(st.kind),
                    tokens_list(&st.tokens)
                );
            }
        }
        None => {
            let _ = writeln!(out, "{indent}security: none");
        }
    }
    for i in &c.ignored {
        if !endpoint.ignored.contains(i) {
            let _ = writeln!(
                out,
                "{indent}ignored: {} at {}: {}",
                i.assertion, i.location, i.reason
            );
        }
    }
}

fn signature_token_name(b: &SecurityBinding) -> String {
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

fn security(out: &mut String, s: &SecurityConfig, indent: &str) {
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
            let _ = writeln!(
                out,
                "{inner}{}",
                properties(
                    &t.properties.algorithm_suite,
                    t.properties.layout,
                    t.properties.include_timestamp
                )
            );
        }
        Some(SecurityBinding::Symmetric(b)) => {
            let _ = writeln!(out, "{indent}security: {version}, symmetric binding");
            match &b.tokens {
                crate::vocab::security::SymmetricTokens::Protection(t) => {
                    let _ = writeln!(out, "{inner}protection token: {}", token(t));
                    bootstrap(out, t, &inner);
                }
                crate::vocab::security::SymmetricTokens::Separate {
                    encryption,
                    signature,
                } => {
                    let _ = writeln!(out, "{inner}signature token: {}", token(signature));
                    bootstrap(out, signature, &inner);
                    let _ = writeln!(out, "{inner}encryption token: {}", token(encryption));
                }
            }
            let _ = writeln!(
                out,
                "{inner}{}",
                properties(
                    &b.properties.algorithm_suite,
                    b.properties.layout,
                    b.properties.include_timestamp
                )
            );
            let _ = writeln!(out, "{inner}{}", protection_properties(&b.protection));
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
            let _ = writeln!(
                out,
                "{inner}{}",
                properties(
                    &b.properties.algorithm_suite,
                    b.properties.layout,
                    b.properties.include_timestamp
                )
            );
            let _ = writeln!(out, "{inner}{}", protection_properties(&b.protection));
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

fn bootstrap(out: &mut String, t: &Token, indent: &str) {
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

fn properties(suite: &AlgorithmSuite, layout: Layout, timestamp: bool) -> String {
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

fn protection_properties(p: &crate::vocab::security::MessageProtection) -> String {
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

fn token(t: &Token) -> String {
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

fn sct_options(s: &mut String, o: &crate::vocab::security::SctOptions) {
    match o.version {
        Some(ScVersion::Sc2005) => s.push_str(" (WS-SC 2005/02)"),
        Some(ScVersion::Sc13) => s.push_str(" (WS-SC 1.3)"),
        None => {}
    }
    if o.require_external_uri_reference {
        s.push_str(", referenced by its Identifier URI");
    }
}

fn tokens_list(tokens: &[Token]) -> String {
    tokens.iter().map(token).collect::<Vec<_>>().join("; ")
}

fn supporting_name(k: SupportingKind) -> &'static str {
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

fn header(h: &crate::vocab::security::HeaderSelector) -> String {
    match &h.name {
        Some(n) => format!("{{{}}}{n}", h.namespace),
        None => format!("every header of {}", h.namespace),
    }
}

/// Parts in words: `Body, {ns}To, …`.
fn protection(p: &Protection) -> String {
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

fn reliable(out: &mut String, rm: &RmConfig, indent: &str) {
    let mut s = format!(
        "{indent}reliable messaging: {}",
        match rm.version {
            RmVersion::V1_0 => "WS-RM 1.0 (2005/02)",
            RmVersion::V1_1 => "WS-RM 1.1/1.2 (200702)",
        }
    );
    match rm.sequence_binding {
        SequenceBindingRequirement::None => {}
        SequenceBindingRequirement::SequenceStr => s.push_str("; SequenceSTR"),
        SequenceBindingRequirement::TransportSecurity => s.push_str("; SequenceTransportSecurity"),
    }
    if let Some(d) = rm.delivery {
        let g = match d.guarantee {
            Some(DeliveryGuarantee::ExactlyOnce) => "exactly once",
            Some(DeliveryGuarantee::AtLeastOnce) => "at least once",
            Some(DeliveryGuarantee::AtMostOnce) => "at most once",
            None => "no guarantee stated",
        };
        let _ = write!(
            s,
            "; delivery {g}{}",
            if d.in_order { ", in order" } else { "" }
        );
    }
    for (v, what) in [
        (rm.inactivity_timeout_ms, "inactivity timeout"),
        (
            rm.base_retransmission_interval_ms,
            "base retransmission interval",
        ),
        (rm.acknowledgement_interval_ms, "acknowledgement interval"),
    ] {
        if let Some(ms) = v {
            let _ = write!(s, "; {what} {ms} ms");
        }
    }
    if rm.exponential_backoff {
        s.push_str("; exponential backoff");
    }
    if let Some(f) = rm.flow_control {
        match f.max_receive_buffer_size {
            Some(n) => {
                let _ = write!(s, "; WCF flow control (buffer {n})");
            }
            None => s.push_str("; WCF flow control"),
        }
    }
    let _ = writeln!(out, "{s}");
}

fn addressing(out: &mut String, a: &AddressingConfig, indent: &str) {
    let v = match a.version {
        AddressingVersion::V1_0 => "WS-Addressing 1.0",
        AddressingVersion::V2004_08 => "WS-Addressing 2004/08",
    };
    let r = match a.responses {
        Responses::Any => "anonymous and non-anonymous responses",
        Responses::AnonymousOnly => "anonymous responses only",
        Responses::NonAnonymousOnly => "non-anonymous responses only",
    };
    let _ = writeln!(out, "{indent}addressing: {v}, {r}");
}

/// Describes an error for the command line.
pub fn error_line(e: &PolicyError) -> String {
    format!("refused: {e}")
}
