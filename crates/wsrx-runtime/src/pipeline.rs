//! The message pipelines, without IO.
//!
//! Inbound ([`open`]): body bytes → [`Document::parse_with`] (limits) → [`Envelope`] →
//! mustUnderstand (WS-A, WS-RM via [`wire::understands`], `wsse:Security`) → security
//! ([`ProtectionPolicy::open`]: decrypt, verify at `now` and check against the policy, in its
//! protection order; then the [`wsrx_security::ReplayCache`]) → the proving token's identifier becomes the RM
//! [`SecurityBinding`] → [`wire::decode`]. Everything the rest of the runtime needs is
//! copied out into an owned [`Opened`], so no borrow of the document outlives this module.
//! Any failure becomes a [`Refusal`]: the SOAP fault to answer, in the request's SOAP
//! version, with the WS-A fault action of its dialect.
//!
//! Outbound ([`seal`]): a [`WireMessage`] → [`wire::encode`] (with a `wsu:Id` on every
//! part, so the signer stays on its fast path) → [`Signer::secure`] under the
//! [`Protection`]'s policy, with a fresh Timestamp and fresh derived-key nonces on every call,
//! retransmissions included.

use std::time::SystemTime;

use wsrx_crypto::OsRandom;
use wsrx_rm::binding::TokenRef;
use wsrx_rm::wire::{self, DecodeError, RmBody, StrRef, WireBody, WireMessage, WireProfile};
use wsrx_rm::{Message, PayloadRef, RmVersion, SecurityBinding};
use wsrx_security::{
    KeyResolver, ProtectionPolicy, ScVersion, SecurityContextToken, Signer, Verifier,
};
use wsrx_soap::{
    AddressingHeaders, Envelope, Fault, FaultCode, OutboundAddressing, RelatesTo, SoapVersion,
    WsaVersion,
};
use wsrx_xml::{C14nOptions, Document, Element, Limits};

use crate::error::RuntimeError;

const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

/// Settings of the inbound pipeline.
#[derive(Debug, Clone, Default)]
pub struct InboundConfig {
    /// XML parser limits (document size, depth, attributes...).
    pub limits: Limits,
    /// What every inbound message must look like; this side also builds what it sends by it
    /// ([`seal_under`], [`seal_fault_under`]) unless `sends` says otherwise.
    pub policy: ProtectionPolicy,
    /// What this side builds the messages it sends by, when the WSDL asks for another
    /// protection in that direction than in the one it receives (WS-Policy 1.5 Attachment
    /// §4.1: the input and output messages are policy subjects of their own); `None`: as
    /// `policy`. See [`InboundConfig::sending_policy`].
    pub sends: Option<ProtectionPolicy>,
    /// The signature checks (clock skew, algorithms).
    pub verifier: Verifier,
}

impl InboundConfig {
    /// The policy every message this side sends is built by: `sends`, else `policy`.
    pub fn sending_policy(&self) -> &ProtectionPolicy {
        self.sends.as_ref().unwrap_or(&self.policy)
    }
}

/// A received message, verified and decoded, owned.
#[derive(Debug, Clone)]
pub struct Opened {
    /// SOAP version of the message.
    pub soap: SoapVersion,
    /// WS-A version of its headers (`None`: no WS-A headers).
    pub wsa: Option<WsaVersion>,
    /// `wsa:Action`.
    pub action: Option<String>,
    /// `wsa:MessageID`.
    pub message_id: Option<String>,
    /// The first `wsa:RelatesTo`.
    pub relates_to: Option<String>,
    /// The reply endpoint's address (ReplyTo, default anonymous).
    pub reply_to: Option<String>,
    /// `wsa:To`: the address the peer sent the message to (what it knows us by).
    pub to: Option<String>,
    /// The identifier of the SCT that signed the message (`None`: unsigned).
    pub proof: Option<SecurityBinding>,
    /// The RM content.
    pub wire: WireMessage,
    /// The RM version of its RM content.
    pub rm_version: Option<RmVersion>,
    /// The CreateSequence STR resolved to its token, if any.
    pub str_token: Option<TokenRef>,
    /// The Body's child, canonicalized (exc-c14n: self-contained), for application bodies.
    pub payload: Option<String>,
    /// A SOAP fault that is not an RM fault, if the body is one.
    pub soap_fault: Option<Fault>,
    /// Any SOAP fault in the body (RM faults included), as the peer wrote it: code,
    /// subcodes and reason ([`fault_summary`]), for errors and logs.
    pub fault_text: Option<String>,
}

impl Opened {
    /// The dialect to answer in.
    pub fn profile(&self) -> WireProfile {
        WireProfile::from_versions(self.rm_version.unwrap_or(RmVersion::V1_1), self.wsa)
    }

    /// The machine inputs, with `payload` as the handle of the application body.
    pub fn messages(&self, payload: Option<PayloadRef>) -> Vec<Message> {
        let token = self.str_token.clone();
        let mut out = self.wire.messages(payload, &mut |_: &StrRef| token.clone());
        // Addresses we answer with are the one the peer used (issue 18 item 11).
        for m in &mut out {
            if let Message::CreateSequence(cs) = m {
                cs.to = self
                    .to
                    .as_ref()
                    .filter(|t| {
                        let scheme = t.get(..8).unwrap_or_default().to_ascii_lowercase();
                        scheme.starts_with("http://") || scheme == "https://"
                    })
                    .map(|t| wsrx_rm::msg::EndpointRef(t.clone()));
            }
        }
        out
    }

    /// Whether the body is an application payload (not RM, not empty).
    pub fn is_application(&self) -> bool {
        self.wire.body == WireBody::Application && self.soap_fault.is_none()
    }

    /// A one-line summary: action, sequence, number, signer.
    pub fn summary(&self) -> String {
        summarize(
            &self.wire,
            self.action.as_deref(),
            self.proof.as_ref().map(SecurityBinding::as_str),
        )
    }
}

/// A peer's SOAP fault as it wrote it, for errors and logs: the code, the subcodes (their
/// QNames, outermost first) and the reason, verbatim.
pub fn fault_summary(f: &Fault) -> String {
    let mut text = format!("{:?}", f.code);
    for s in &f.subcodes {
        text.push_str(&format!(" / {s}"));
    }
    if !f.not_understood.is_empty() {
        let names: Vec<String> = f.not_understood.iter().map(ToString::to_string).collect();
        text.push_str(&format!(" (not understood: {})", names.join(", ")));
    }
    format!("{text}: {}", f.reason.trim())
}

/// The SOAP fault in `body`, if it is a readable envelope with one ([`fault_summary`]):
/// for answers that could not be opened (unverifiable, unsigned where a signature was
/// due), whose fault is still the peer's word for what went wrong. Never proof of anything.
pub fn fault_in(body: &[u8]) -> Option<String> {
    let doc = Document::parse(body).ok()?;
    let env = Envelope::new(&doc).ok()?;
    match env.fault()? {
        Ok(f) => Some(fault_summary(&f)),
        Err(_) => None,
    }
}

/// Why an inbound message was refused, with the fault to answer.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The SOAP version to answer in.
    pub soap: SoapVersion,
    /// The dialect to answer in.
    pub profile: WireProfile,
    /// The fault.
    pub fault: Fault,
    /// The token that proved the refused message, if verification got that far: the
    /// fault is protected with it.
    pub proof: Option<SecurityBinding>,
    /// `wsa:MessageID` of the refused message (for RelatesTo).
    pub message_id: Option<String>,
    /// What went wrong, for logs (never secrets).
    pub reason: String,
}

/// Parses, checks and decodes one inbound message (see the module docs).
///
/// `soap_hint` is the SOAP version the HTTP content type names, used for the fault when
/// the envelope cannot be read.
///
/// # Errors
/// A [`Refusal`] with the fault to answer.
#[allow(
    clippy::result_large_err,
    reason = "refusals are the cold path; boxing buys nothing here"
)]
pub fn open(
    body: &[u8],
    soap_hint: SoapVersion,
    config: &InboundConfig,
    resolver: &dyn KeyResolver,
    replay: &crate::replay::ReplayGuard,
    now: SystemTime,
) -> Result<Opened, Refusal> {
    let plain = |soap, reason: String, fault: Fault| Refusal {
        soap,
        profile: WireProfile::Rm11,
        fault,
        proof: None,
        message_id: None,
        reason,
    };
    let doc = Document::parse_with(body, &config.limits).map_err(|e| {
        plain(
            soap_hint,
            format!("xml: {e}"),
            Fault::new(FaultCode::Sender, "The message is not well-formed XML"),
        )
    })?;
    let env =
        Envelope::new(&doc).map_err(|e| plain(soap_hint, format!("soap: {e}"), e.to_fault()))?;
    let soap = env.version();
    let addressing = AddressingHeaders::parse(&env);
    let (wsa, message_id) = match &addressing {
        Ok(Some(a)) => (Some(a.version), a.message_id.clone()),
        _ => (None, None),
    };
    let refuse = |profile, proof: Option<SecurityBinding>, reason: String, fault: Fault| Refusal {
        soap,
        profile,
        fault,
        proof,
        message_id: message_id.clone(),
        reason,
    };
    let guess = WireProfile::from_versions(RmVersion::V1_1, wsa);
    env.check_must_understand(understood, &[])
        .map_err(|e| refuse(guess, None, format!("mustUnderstand: {e}"), e.to_fault()))?;
    let addressing = match addressing {
        Ok(a) => a,
        Err(e) => {
            let v = wsa.unwrap_or(WsaVersion::V10);
            return Err(refuse(
                guess,
                None,
                format!("ws-addressing: {e}"),
                e.to_fault(v),
            ));
        }
    };

    // Security: decrypt, verify, policy, replay. Unsigned messages pass with no proof;
    // the RM machines refuse them for bound sequences.
    let has_security = env
        .header()
        .is_some_and(|h| h.child(WSSE, "Security").is_some());
    let sec = |e: wsrx_security::SecurityError| {
        refuse(guess, None, format!("security: {e}"), e.to_fault())
    };
    // Errors come back blinded when parts arrived encrypted (no answer tells how decrypted
    // bytes failed).
    let opened = if has_security {
        Some(
            config
                .policy
                .open(&doc, resolver, now, &config.verifier, None)
                .map_err(sec)?,
        )
    } else {
        None
    };
    let (doc_ref, proof, decrypted) = match &opened {
        Some(o) => {
            let proof = o
                .signer()
                .map(|key| SecurityBinding::new(key.sct_identifier.clone()));
            let verified = o.verified().map_err(sec)?;
            replay.check(&verified, now).map_err(sec)?;
            (o.document(), proof, o.decryption().is_some())
        }
        None => (&doc, None, false),
    };
    // Decryption builds a new document: read its envelope and headers; otherwise the
    // ones read above stand (no second parse of the headers on the hot path).
    let (env, addressing) = if decrypted {
        let env = Envelope::new(doc_ref)
            .map_err(|e| refuse(guess, proof.clone(), format!("soap: {e}"), e.to_fault()))?;
        let addressing = AddressingHeaders::parse(&env).ok().flatten();
        (env, addressing)
    } else {
        (env, addressing)
    };
    let action = addressing.as_ref().and_then(|a| a.action.clone());
    let decoded = wire::decode(&env, action.as_deref()).map_err(|e: DecodeError| {
        let profile = guess;
        refuse(
            profile,
            proof.clone(),
            format!("ws-rm: {e}"),
            e.to_fault(profile),
        )
    })?;
    // What real stacks send and the decoder reads one way only (`wire::Tolerated`).
    for t in &decoded.tolerated {
        tracing::debug!(tolerated = %t, action = action.as_deref().unwrap_or(""), "accepted a departure from the WS-RM schema");
    }
    let str_token = match &decoded.body {
        WireBody::Rm(RmBody::CreateSequence(cs)) => cs
            .str_ref
            .as_ref()
            .and_then(|s| s.token().or_else(|| resolve_local(doc_ref, s))),
        _ => None,
    };
    let payload = env.payload();
    let soap_fault = match env.fault() {
        Some(Ok(f)) if decoded.body == WireBody::Application => Some(f),
        _ => None,
    };
    let payload_text = match (&decoded.body, payload) {
        (WireBody::Application, Some(p)) if soap_fault.is_none() => Some(canonical(p)),
        _ => None,
    };
    let fault_text = match env.fault() {
        Some(Ok(f)) => Some(fault_summary(&f)),
        _ => None,
    };
    Ok(Opened {
        fault_text,
        soap,
        wsa: addressing.as_ref().map(|a| a.version),
        relates_to: addressing
            .as_ref()
            .and_then(|a| a.relates_to.first().map(|r| r.message_id.clone())),
        reply_to: addressing.as_ref().map(|a| a.reply_endpoint().address),
        to: addressing.as_ref().and_then(|a| a.to.clone()),
        message_id: addressing.as_ref().and_then(|a| a.message_id.clone()),
        action,
        proof,
        rm_version: decoded.version,
        wire: decoded.to_wire(),
        str_token,
        payload: payload_text,
        soap_fault,
    })
}

/// The header blocks this node processes: WS-A, WS-RM and our `wsse:Security`.
fn understood(e: Element<'_>) -> bool {
    match e.namespace() {
        Some(ns) if ns == wsrx_soap::ns::WSA10 || ns == wsrx_soap::ns::WSA200408 => true,
        Some(WSSE) => e.local_name() == "Security",
        _ => wire::understands(e),
    }
}

/// The attached STR form `#id`: the SCT with that `wsu:Id` in this message.
fn resolve_local(doc: &Document, s: &StrRef) -> Option<TokenRef> {
    let id = s.local_id()?;
    let e = doc.elements().find(|e| {
        e.local_name() == "SecurityContextToken" && e.attribute(Some(WSU), "Id") == Some(id)
    })?;
    let sct = SecurityContextToken::parse(e).ok()?;
    Some(TokenRef(SecurityBinding::new(sct.identifier)))
}

fn canonical(e: Element<'_>) -> String {
    let bytes = wsrx_xml::canonicalize_to_vec(e, &C14nOptions::default());
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A one-line summary of a message: action, sequence, number, signer.
pub fn summarize(wire: &WireMessage, action: Option<&str>, signer: Option<&str>) -> String {
    use wsrx_rm::wire::RmHeader;
    let short = |a: &str| a.rsplit(['/', ':']).next().unwrap_or(a).to_owned();
    let mut kind = match &wire.body {
        WireBody::Rm(b) => format!("{:?}", b.action()),
        _ => action.map_or_else(|| "(no action)".to_owned(), short),
    };
    if let WireBody::Rm(RmBody::Fault(f)) = &wire.body {
        kind = format!("Fault({:?})", f.kind);
    }
    let mut parts = vec![kind];
    for h in &wire.headers {
        match h {
            RmHeader::Sequence(s) => parts.push(format!("seq={} #{}", s.id, s.number)),
            RmHeader::AckRequested(_) => parts.push("+AckRequested".to_owned()),
            RmHeader::SequenceAcknowledgement(a) => {
                let ranges = match &a.body {
                    wsrx_rm::msg::AckBody::Ranges(r) => r
                        .iter()
                        .map(|r| format!("{}-{}", r.lower, r.upper))
                        .collect::<Vec<_>>()
                        .join(","),
                    wsrx_rm::msg::AckBody::None => "none".to_owned(),
                    wsrx_rm::msg::AckBody::Nacks(n) => format!("nack{n:?}"),
                };
                parts.push(format!(
                    "ack seq={} [{ranges}]{}",
                    a.id,
                    if a.final_ { " final" } else { "" }
                ));
            }
            RmHeader::UsesSequenceStr => parts.push("+UsesSequenceSTR".to_owned()),
        }
    }
    match &wire.body {
        WireBody::Rm(RmBody::CreateSequence(cs)) => {
            if let Some(s) = &cs.str_ref {
                parts.push(format!("STR→{}", s.uri));
            }
        }
        WireBody::Rm(RmBody::CreateSequenceResponse(r)) => parts.push(format!("seq={}", r.id)),
        WireBody::Rm(RmBody::CloseSequence(r)) => parts.push(format!("seq={}", r.id)),
        WireBody::Rm(RmBody::CloseSequenceResponse(r)) => parts.push(format!("seq={}", r.id)),
        WireBody::Rm(RmBody::TerminateSequence(r)) => parts.push(format!("seq={}", r.id)),
        WireBody::Rm(RmBody::TerminateSequenceResponse(r)) => parts.push(format!("seq={}", r.id)),
        _ => {}
    }
    parts.push(format!("signed-by={}", signer.unwrap_or("(unsigned)")));
    parts.join("  ")
}

/// The SCT and secret to protect an outbound message with.
pub struct Protection {
    /// The token.
    pub sct: SecurityContextToken,
    /// Its secret.
    pub secret: wsrx_crypto::SecretKey,
}

/// A [`Protection`] and the policy to build the message by ([`seal_under`]).
#[derive(Debug, Clone, Copy)]
pub struct Protected<'a> {
    /// The token and its secret.
    pub protection: &'a Protection,
    /// What the message must look like.
    pub policy: &'a ProtectionPolicy,
}

/// [`ProtectionPolicy::default`], built once: what [`seal`] and [`seal_fault`] protect with.
static DEFAULT_POLICY: std::sync::LazyLock<ProtectionPolicy> =
    std::sync::LazyLock::new(ProtectionPolicy::default);

/// `protection` under the default policy.
fn by_default(protection: Option<&Protection>) -> Option<Protected<'_>> {
    protection.map(|protection| Protected {
        protection,
        policy: &DEFAULT_POLICY,
    })
}

impl std::fmt::Debug for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protection")
            .field("identifier", &self.sct.identifier)
            .finish_non_exhaustive()
    }
}

impl Protection {
    /// Looks up the secret of `binding` through `resolver`, for a message in `profile`.
    ///
    /// # Errors
    /// [`RuntimeError::Token`] when the resolver does not know the token.
    pub fn for_binding(
        binding: &SecurityBinding,
        profile: WireProfile,
        resolver: &dyn KeyResolver,
    ) -> Result<Self, RuntimeError> {
        // After a renewal the context has a new key under a new Instance (WS-SC 1.4 §7):
        // protect with the current one.
        let instance = resolver.current_instance(binding.as_str());
        let secret = resolver
            .sct_secret(binding.as_str(), instance.as_deref())
            .map_err(|e| RuntimeError::Token(format!("{}: {e}", binding.as_str())))?;
        Ok(Self {
            sct: SecurityContextToken {
                version: sc_version(profile),
                identifier: binding.as_str().to_owned(),
                instance,
                wsu_id: None,
            },
            secret,
        })
    }
}

/// The WS-SC version paired with an RM dialect (WCF's bindings pair them that way).
pub fn sc_version(profile: WireProfile) -> ScVersion {
    match profile {
        WireProfile::Rm11 => ScVersion::V200512,
        WireProfile::Rm10Wcf | WireProfile::Rm10Submission => ScVersion::V200502,
    }
}

/// A fresh `urn:uuid:` message identifier from OS randomness.
pub fn new_message_id() -> String {
    use wsrx_crypto::SecureRandom;
    let mut b = [0u8; 16];
    // A failing OS generator leaves zeros; MessageIDs are not secrets, and the
    // signature nonces (which must not repeat) fail loudly in the signer instead.
    let _ = OsRandom.fill_nonce(&mut b);
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-4{}-a{}-{}",
        h.get(0..8).unwrap_or(""),
        h.get(8..12).unwrap_or(""),
        h.get(13..16).unwrap_or(""),
        h.get(17..20).unwrap_or(""),
        h.get(20..32).unwrap_or("")
    )
}

/// Writes `message` and secures it with `protection` (if any) under
/// [`ProtectionPolicy::default`] at `now`. The result is fresh on every call: a
/// retransmission gets a new Timestamp and new DKT nonces.
///
/// # Errors
/// [`RuntimeError::Encode`] or [`RuntimeError::Security`].
pub fn seal(
    profile: WireProfile,
    soap: SoapVersion,
    addressing: &OutboundAddressing,
    message: &WireMessage,
    payload: Option<&str>,
    protection: Option<&Protection>,
    now: SystemTime,
) -> Result<String, RuntimeError> {
    seal_under(
        profile,
        soap,
        addressing,
        message,
        payload,
        by_default(protection),
        now,
    )
}

/// [`seal`] under the policy `protected` names.
///
/// # Errors
/// [`RuntimeError::Encode`] or [`RuntimeError::Security`].
pub fn seal_under(
    profile: WireProfile,
    soap: SoapVersion,
    addressing: &OutboundAddressing,
    message: &WireMessage,
    payload: Option<&str>,
    protected: Option<Protected<'_>>,
    now: SystemTime,
) -> Result<String, RuntimeError> {
    let mut n = 0u32;
    let mut id_for = |name: &str| {
        n = n.saturating_add(1);
        Some(format!("wsrx-{name}-{n}"))
    };
    let text = match &message.body {
        WireBody::Rm(_) | WireBody::Empty | WireBody::Application => {
            wire::encode(profile, soap, addressing, message, payload, &mut id_for)
                .map_err(|e| RuntimeError::Encode(e.to_string()))?
        }
    };
    secure_text(text, protected, now)
}

/// Writes a fault answer, secured with `protection` if a token is known, under
/// [`ProtectionPolicy::default`].
///
/// # Errors
/// [`RuntimeError::Encode`] or [`RuntimeError::Security`].
pub fn seal_fault(
    profile: WireProfile,
    soap: SoapVersion,
    addressing: &OutboundAddressing,
    fault: &Fault,
    protection: Option<&Protection>,
    now: SystemTime,
) -> Result<String, RuntimeError> {
    seal_fault_under(
        profile,
        soap,
        addressing,
        fault,
        by_default(protection),
        now,
    )
}

/// [`seal_fault`] under the policy `protected` names: a fault is protected like any other
/// message of the exchange.
///
/// # Errors
/// [`RuntimeError::Encode`] or [`RuntimeError::Security`].
pub fn seal_fault_under(
    profile: WireProfile,
    soap: SoapVersion,
    addressing: &OutboundAddressing,
    fault: &Fault,
    protected: Option<Protected<'_>>,
    now: SystemTime,
) -> Result<String, RuntimeError> {
    let mut n = 0u32;
    let mut id_for = |name: &str| {
        n = n.saturating_add(1);
        Some(format!("wsrx-{name}-{n}"))
    };
    let text = wire::encode_fault(profile, soap, addressing, fault, &mut id_for)
        .map_err(|e| RuntimeError::Encode(e.to_string()))?;
    secure_text(text, protected, now)
}

fn secure_text(
    text: String,
    protected: Option<Protected<'_>>,
    now: SystemTime,
) -> Result<String, RuntimeError> {
    let Some(p) = protected else {
        return Ok(text);
    };
    let doc = Document::parse(text.as_bytes())
        .map_err(|e| RuntimeError::Encode(format!("re-parse: {e}")))?;
    let mut rng = OsRandom;
    let signer = Signer::with_policy(&p.protection.sct, &p.protection.secret, p.policy);
    Ok(signer.secure(&doc, now, &mut rng)?)
}

/// Addressing for the reply to `opened` with `action`.
pub fn reply_addressing(opened: &Opened, profile: WireProfile, action: &str) -> OutboundAddressing {
    let version = profile.wsa_version();
    let to = opened
        .reply_to
        .clone()
        .unwrap_or_else(|| version.anonymous().to_owned());
    answer(version, to, action, opened.message_id.clone())
}

/// Addressing for the reply to a refused message.
pub fn refusal_addressing(r: &Refusal) -> OutboundAddressing {
    let version = r.profile.wsa_version();
    answer(
        version,
        version.anonymous().to_owned(),
        "",
        r.message_id.clone(),
    )
}

/// An answer to `to`, with a new MessageID, relating to the request's MessageID.
fn answer(
    version: WsaVersion,
    to: String,
    action: &str,
    request_id: Option<String>,
) -> OutboundAddressing {
    OutboundAddressing {
        version,
        to: Some(to),
        action: action.to_owned(),
        message_id: Some(new_message_id()),
        relates_to: request_id.map(|message_id| RelatesTo {
            message_id,
            relationship: None,
        }),
        reply_to: None,
        fault_to: None,
        from: None,
        reference_parameters: Vec::new(),
    }
}
