//! Shared by the adversarial suites: a `wsrx serve` with two pre-established SCTs and a
//! delivery log, a hand-driven victim sequence sealed by the runtime's own
//! `pipeline::seal` (so every captured message is genuinely signed), the attacker's
//! crafting helpers, and fault reading. Spawning, raw HTTP and measuring live in
//! `wsrx_test::adversary`.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code shared by several test files"
)]

use std::path::PathBuf;
use std::time::SystemTime;

use wsrx_crypto::SecretKey;
use wsrx_rm::SequenceId;
use wsrx_rm::msg::{
    AckBody, AckRange, AckRequested, CloseSequence, EndpointRef, SequenceAcknowledgement,
    SequenceHeader, TerminateSequence,
};
use wsrx_rm::wire::{
    CreateSequenceBody, RmBody, RmHeader, StrRef, WireBody, WireMessage, WireProfile,
};
use wsrx_runtime::echo;
use wsrx_runtime::pipeline::{self, Protection};
use wsrx_security::{ScVersion, SecurityContextToken};
use wsrx_soap::{EndpointReference, Envelope, OutboundAddressing, SoapVersion, WsaVersion};
use wsrx_test::adversary::{self, HttpResponse, Served};

pub const SCT_A: &str = "urn:uuid:a11ce000-0000-4000-8000-00000000000a";
pub const SECRET_A: [u8; 32] = [0xA1; 32];
pub const SCT_B: &str = "urn:uuid:b0b00000-0000-4000-8000-00000000000b";
pub const SECRET_B: [u8; 32] = [0xB2; 32];
pub const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub const WSC: &str = "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512";
pub const WSRM: &str = "http://docs.oasis-open.org/ws-rx/wsrm/200702";
pub const PROFILE: WireProfile = WireProfile::Rm11;
pub const SOAP: SoapVersion = SoapVersion::V12;

/// A server under attack: the process, its delivery log, its working directory.
pub struct Target {
    pub served: Served,
    pub log: PathBuf,
    pub dir: PathBuf,
    /// The `wsrx serve` arguments, for [`Target::kill_and_restart`].
    pub args: Vec<String>,
}

impl Target {
    /// `wsrx serve` with SCTs A and B, a delivery log, and `extra` flags.
    pub fn start(name: &str, extra: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!("wsrx-adv-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ring = dir.join("ring.keys");
        let bin = adversary::wsrx_binary().unwrap();
        let out = std::process::Command::new(&bin)
            .args(["keys", "generate"])
            .arg(&ring)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = dir.join("deliveries.jsonl");
        let mut args: Vec<String> = vec![
            "--store".into(),
            dir.join("server.db").display().to_string(),
            "--keyring".into(),
            ring.display().to_string(),
            "--delivery-log".into(),
            log.display().to_string(),
            "--sct-id".into(),
            SCT_A.into(),
            "--sct-secret".into(),
            wsrx_crypto::base64::encode(&SECRET_A),
            "--sct-id".into(),
            SCT_B.into(),
            "--sct-secret".into(),
            wsrx_crypto::base64::encode(&SECRET_B),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let served = Served::start(&args, &dir.join("serve.stderr")).unwrap();
        Self {
            served,
            log,
            dir,
            args,
        }
    }

    /// SIGKILLs the server and starts it again on the same store (a new port).
    pub fn kill_and_restart(&mut self) {
        self.served.kill();
        let stderr = self.dir.join("serve-restarted.stderr");
        self.served = Served::start(&self.args, &stderr).unwrap_or_else(|e| panic!("restart: {e}"));
    }

    pub fn post(&self, body: &str) -> HttpResponse {
        adversary::post(self.served.addr, body.as_bytes()).unwrap()
    }

    /// The delivery log's lines, parsed.
    pub fn deliveries(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn url(&self) -> String {
        self.served.url()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn protection(id: &str, secret: &[u8]) -> Protection {
    Protection {
        sct: SecurityContextToken {
            version: ScVersion::V200512,
            identifier: id.to_owned(),
            instance: None,
            wsu_id: None,
        },
        secret: SecretKey::from_slice(secret),
    }
}

pub fn prot_a() -> Protection {
    protection(SCT_A, &SECRET_A)
}

pub fn prot_b() -> Protection {
    protection(SCT_B, &SECRET_B)
}

fn addressing(to: &str, action: &str) -> OutboundAddressing {
    let mut a = OutboundAddressing::request(WsaVersion::V10, to, action);
    a.message_id = Some(pipeline::new_message_id());
    a.reply_to = Some(EndpointReference::new(WsaVersion::V10.anonymous()));
    a
}

/// Seals `wire` (+ payload) for `to` with `prot` (unsigned when `None`).
pub fn seal(
    to: &str,
    action: &str,
    wire: &WireMessage,
    payload: Option<&str>,
    prot: Option<&Protection>,
) -> String {
    let action = wire.action(PROFILE).unwrap_or(action);
    pipeline::seal(
        PROFILE,
        SOAP,
        &addressing(to, action),
        wire,
        payload,
        prot,
        SystemTime::now(),
    )
    .unwrap()
}

pub fn create_sequence(to: &str, prot: Option<&Protection>, str_uri: Option<&str>) -> String {
    let wire = WireMessage {
        headers: if str_uri.is_some() {
            vec![RmHeader::UsesSequenceStr]
        } else {
            Vec::new()
        },
        body: WireBody::Rm(RmBody::CreateSequence(CreateSequenceBody {
            acks_to: EndpointRef(WsaVersion::V10.anonymous().to_owned()),
            expires: None,
            offer: None,
            str_ref: str_uri.map(|u| StrRef {
                uri: u.to_owned(),
                value_type: Some(PROFILE.sct_value_type().to_owned()),
            }),
        })),
    };
    seal(to, "", &wire, None, prot)
}

pub fn application(
    to: &str,
    prot: Option<&Protection>,
    seq: &str,
    number: u64,
    text: &str,
) -> String {
    let wire = WireMessage {
        headers: vec![RmHeader::Sequence(SequenceHeader {
            id: SequenceId::new(seq),
            number,
            last_message: false,
        })],
        body: WireBody::Application,
    };
    seal(
        to,
        echo::NOTIFY_ACTION,
        &wire,
        Some(&echo::body(text)),
        prot,
    )
}

pub fn request(to: &str, prot: Option<&Protection>, seq: &str, number: u64, text: &str) -> String {
    let wire = WireMessage {
        headers: vec![RmHeader::Sequence(SequenceHeader {
            id: SequenceId::new(seq),
            number,
            last_message: false,
        })],
        body: WireBody::Application,
    };
    seal(to, echo::ECHO_ACTION, &wire, Some(&echo::body(text)), prot)
}

pub fn ack(to: &str, prot: Option<&Protection>, seq: &str, ranges: Vec<AckRange>) -> String {
    let wire = WireMessage {
        headers: vec![RmHeader::SequenceAcknowledgement(SequenceAcknowledgement {
            id: SequenceId::new(seq),
            body: AckBody::Ranges(ranges),
            final_: false,
            buffer_remaining: None,
        })],
        body: WireBody::Empty,
    };
    seal(to, "", &wire, None, prot)
}

pub fn ack_requested(to: &str, prot: Option<&Protection>, seq: &str) -> String {
    let wire = WireMessage {
        headers: vec![RmHeader::AckRequested(AckRequested {
            id: SequenceId::new(seq),
        })],
        body: WireBody::Empty,
    };
    seal(to, "", &wire, None, prot)
}

pub fn close(to: &str, prot: Option<&Protection>, seq: &str, last: Option<u64>) -> String {
    let wire = WireMessage {
        headers: Vec::new(),
        body: WireBody::Rm(RmBody::CloseSequence(CloseSequence {
            id: SequenceId::new(seq),
            last_msg_number: last,
        })),
    };
    seal(to, "", &wire, None, prot)
}

pub fn terminate(to: &str, prot: Option<&Protection>, seq: &str, last: Option<u64>) -> String {
    let wire = WireMessage {
        headers: Vec::new(),
        body: WireBody::Rm(RmBody::TerminateSequence(TerminateSequence {
            id: SequenceId::new(seq),
            last_msg_number: last,
        })),
    };
    seal(to, "", &wire, None, prot)
}

/// What the server answered, read as SOAP.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub text: String,
    /// `(code, first subcode local name)` if the answer is a fault.
    pub fault: Option<(String, String)>,
    pub rm: Option<WireMessage>,
}

impl Answer {
    pub fn read(r: &HttpResponse) -> Self {
        let text = r.text();
        let mut fault = None;
        let mut rm = None;
        let doc = wsrx_xml::Document::parse(text.as_bytes()).ok();
        if let Some(env) = doc.as_ref().and_then(|d| Envelope::new(d).ok()) {
            if let Some(Ok(f)) = env.fault() {
                fault = Some((
                    format!("{:?}", f.code),
                    f.subcodes
                        .first()
                        .map(|q| q.local.clone())
                        .unwrap_or_default(),
                ));
            }
            let action = wsrx_soap::AddressingHeaders::parse(&env)
                .ok()
                .flatten()
                .and_then(|h| h.action);
            if let Ok(d) = wsrx_rm::wire::decode(&env, action.as_deref()) {
                if let (None, WireBody::Rm(RmBody::Fault(f))) = (&fault, &d.body) {
                    fault = Some(("Sender".to_owned(), format!("{:?}", f.kind)));
                }
                rm = Some(d.to_wire());
            }
        }
        Self {
            status: r.status,
            text,
            fault,
            rm,
        }
    }

    /// The fault subcode (local name), panicking with the answer if there is none.
    pub fn subcode(&self) -> &str {
        match &self.fault {
            Some((_, s)) => s,
            None => panic!("expected a fault, got HTTP {}:\n{}", self.status, self.text),
        }
    }

    /// The sequence created by a CreateSequenceResponse.
    pub fn created(&self) -> Option<String> {
        match &self.rm.as_ref()?.body {
            WireBody::Rm(RmBody::CreateSequenceResponse(r)) => Some(r.id.as_str().to_owned()),
            _ => None,
        }
    }

    /// The acknowledgement ranges for `seq` in the answer.
    pub fn acked(&self, seq: &str) -> Option<Vec<(u64, u64)>> {
        self.rm.as_ref()?.headers.iter().find_map(|h| match h {
            RmHeader::SequenceAcknowledgement(a) if a.id.as_str() == seq => match &a.body {
                AckBody::Ranges(r) => Some(r.iter().map(|r| (r.lower, r.upper)).collect()),
                _ => Some(Vec::new()),
            },
            _ => None,
        })
    }
}

/// The victim: a legitimate client with SCT A, driven by hand so that every message it
/// sends can be captured and rewritten.
pub struct Victim {
    pub url: String,
    pub seq: String,
    pub next: u64,
}

impl Victim {
    /// Creates a sequence bound to SCT A.
    pub fn create(t: &Target) -> Self {
        let url = t.url();
        let a = Answer::read(&t.post(&create_sequence(&url, Some(&prot_a()), Some(SCT_A))));
        let seq = a
            .created()
            .unwrap_or_else(|| panic!("no CreateSequenceResponse: {}\n{}", a.status, a.text));
        Self { url, seq, next: 1 }
    }

    /// The next application message, sealed with A, not sent.
    pub fn capture(&mut self, text: &str) -> (u64, String) {
        let n = self.next;
        self.next += 1;
        (
            n,
            application(&self.url, Some(&prot_a()), &self.seq, n, text),
        )
    }

    /// Sends the next message and checks it is accepted and acknowledged.
    pub fn send(&mut self, t: &Target, text: &str) {
        let (n, msg) = self.capture(text);
        let a = Answer::read(&t.post(&msg));
        assert!(
            a.fault.is_none() && a.status < 300,
            "victim's message {n} refused: {}\n{}",
            a.status,
            a.text
        );
        let acked = a.acked(&self.seq).unwrap_or_default();
        assert!(
            acked.iter().any(|(l, u)| *l <= n && n <= *u),
            "message {n} not acknowledged: {acked:?}"
        );
        wait_delivered(t, &self.seq, n);
    }
}

/// Waits (up to 10 s) until message `number` of `seq` is in the delivery log: the
/// server acknowledges once the message is durably received, and hands it to the
/// application after that.
pub fn wait_delivered(t: &Target, seq: &str, number: u64) {
    let start = std::time::Instant::now();
    while !delivered(t, seq).iter().any(|(n, _)| *n == number) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "message {number} of {seq} never delivered"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The texts delivered for `seq`, in log order, with their numbers.
pub fn delivered(t: &Target, seq: &str) -> Vec<(u64, String)> {
    t.deliveries()
        .iter()
        .filter(|d| d["sequence"] == seq)
        .map(|d| {
            (
                d["number"].as_u64().unwrap(),
                d["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Replaces the first occurrence of `from` with `to`, panicking if absent.
pub fn replace1(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in\n{text}");
    text.replacen(from, to, 1)
}

/// The element starting at the first `<prefix:local` (or `<local`) tag, up to its end tag.
pub fn element<'a>(text: &'a str, qname: &str) -> &'a str {
    let start = text
        .find(&format!("<{qname} "))
        .or_else(|| text.find(&format!("<{qname}>")))
        .unwrap_or_else(|| panic!("<{qname}> not in\n{text}"));
    let close = format!("</{qname}>");
    let end = text[start..]
        .find(&close)
        .unwrap_or_else(|| panic!("{close} not in\n{text}"))
        + start
        + close.len();
    &text[start..end]
}

/// Seals like [`seal`], but with derived-key nonces from a seeded (insecure) generator,
/// so two messages can share a DKT nonce.
pub fn seal_seeded(
    wire: &WireMessage,
    payload: Option<&str>,
    action: &str,
    to: &str,
    prot: &Protection,
    seed: u64,
) -> String {
    let mut n = 0u32;
    let mut id_for = |name: &str| {
        n += 1;
        Some(format!("wsrx-{name}-{n}"))
    };
    let action = wire.action(PROFILE).unwrap_or(action);
    let text = wsrx_rm::wire::encode(
        PROFILE,
        SOAP,
        &addressing(to, action),
        wire,
        payload,
        &mut id_for,
    )
    .unwrap();
    let doc = wsrx_xml::Document::parse(text.as_bytes()).unwrap();
    let mut rng = wsrx_crypto::InsecureSeededRandom::from_seed(seed);
    wsrx_security::Signer::new(
        &prot.sct,
        &prot.secret,
        wsrx_security::SignConfig::default(),
    )
    .secure(&doc, SystemTime::now(), &mut rng)
    .unwrap()
}

/// An application message of `seq` number `number`, as a wire message.
pub fn app_wire(seq: &str, number: u64) -> WireMessage {
    WireMessage {
        headers: vec![RmHeader::Sequence(SequenceHeader {
            id: SequenceId::new(seq),
            number,
            last_message: false,
        })],
        body: WireBody::Application,
    }
}
