//! The effective policy in plain words: what `wsrx policy show` prints (what is signed
//! and encrypted, by which token, with which suite and layout, the RM version and how
//! sequences are bound), and whether the result is usable.

use std::fmt::Write as _;

use crate::binding::SequenceBinding;
use crate::config::{
    EndpointSettings, PolicySettings, Selected, configure_document, configure_wsdl,
};
use crate::configuration::Configuration;
use crate::document::Input;
use crate::error::{PolicyError, UnbindReason};
use crate::ns::WsPolicyVersion;
use crate::source::Options;
use crate::vocab::Ignored;
use crate::vocab::addressing::{AddressingConfig, AddressingVersion, Responses};
use crate::vocab::rm::{DeliveryGuarantee, RmConfig, RmVersion, SequenceBindingRequirement};
use crate::vocab::security::SecurityBinding;

mod words;

use crate::wsdl::SoapVersion;
use words::{protection, security, signature_token_name, supporting_name, tokens_list};

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
