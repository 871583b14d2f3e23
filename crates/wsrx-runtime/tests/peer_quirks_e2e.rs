//! What Apache CXF and Eclipse Metro send and expect, against the real server over
//! loopback HTTP (issue 18 items 4, 9 and 11; docs/sequence-binding.md):
//! * the CreateSequenceResponse's `Accept/AcksTo` is the address the client used (its
//!   `wsa:To`), not the server's configured root URL (Metro's `WSRM1116`);
//! * a signed SequenceAcknowledgement message without the header (CXF's answer to an
//!   AckRequested on the sequence it offered) is accepted with 202, not a 500;
//! * a CreateSequence without STR, signed with the SCT (CXF's), is refused by a strict
//!   server and bound to that SCT by one with the CXF profile: a message on it signed by
//!   another SCT is then refused with wsse:FailedAuthentication;
//! * `SequenceSecurity::TlsBound` (issue 18 item 12): an unsigned CreateSequence is
//!   refused over plain HTTP and creates an unbound sequence over TLS; the default mode
//!   refuses it either way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use wsrx_test::fixture::runtime::store;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wsrx_crypto::SecretKey;
use wsrx_rm::msg::{
    ApplicationMessage, CreateSequence, EndpointRef, Message, Offer, SequenceHeader,
};
use wsrx_rm::version::Action;
use wsrx_rm::wire::{WireBody, WireMessage, WireProfile};
use wsrx_rm::{PayloadRef, SecurityBinding, SequenceId};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::pipeline::{self, Protection};
use wsrx_runtime::server::{Server, ServerConfig};
use wsrx_runtime::tap::{Direction, Tap};
use wsrx_runtime::token::{PreEstablished, TokenProvider};
use wsrx_soap::SoapVersion;

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-00000000c0f1";
const OTHER: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-00000000c0f2";

/// Knows two SCTs.
struct TwoTokens {
    first: PreEstablished,
    second: SecretKey,
}

impl wsrx_security::KeyResolver for TwoTokens {
    fn sct_secret(
        &self,
        identifier: &str,
        instance: Option<&str>,
    ) -> Result<SecretKey, wsrx_security::ResolveError> {
        if identifier == OTHER {
            return Ok(self.second.clone());
        }
        self.first.resolver().sct_secret(identifier, instance)
    }
}

struct Two(Arc<TwoTokens>);

impl TokenProvider for Two {
    fn token_for<'a>(
        &'a self,
        endpoint: &'a str,
    ) -> wsrx_runtime::token::BoxFuture<
        'a,
        Result<wsrx_runtime::ProvidedToken, wsrx_runtime::RuntimeError>,
    > {
        self.0.first.token_for(endpoint)
    }
    fn resolver(&self) -> Arc<dyn wsrx_security::KeyResolver + Send + Sync> {
        Arc::clone(&self.0) as Arc<dyn wsrx_security::KeyResolver + Send + Sync>
    }
    fn describe(&self) -> String {
        "two tokens".to_owned()
    }
}

fn tokens() -> Arc<TwoTokens> {
    Arc::new(TwoTokens {
        first: PreEstablished::new(SCT, SecretKey::from_slice(&[3u8; 32])),
        second: SecretKey::from_slice(&[4u8; 32]),
    })
}

/// A running server whose configured endpoint is its root URL (as `wsrx serve`'s), with
/// the envelopes it sent.
struct Running {
    root: String,
    sent: Arc<Mutex<Vec<String>>>,
    tokens: Arc<TwoTokens>,
    _server: Server<wsrx_store::MemoryBackend>,
    _serving: http::Serving,
}

async fn start(peer: wsrx_runtime::peer::PeerProfile) -> Running {
    let tokens = tokens();
    let sent: Arc<Mutex<Vec<String>>> = Arc::default();
    let tap: Tap = {
        let sent = Arc::clone(&sent);
        Arc::new(move |e: &wsrx_runtime::tap::TapEvent<'_>| {
            if e.side == "server" && e.direction == Direction::Sent {
                sent.lock().unwrap().push(e.xml.to_owned());
            }
        })
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let root = format!("http://{}/", listener.local_addr().unwrap());
    let mut config = ServerConfig {
        endpoint: root.clone(),
        ..ServerConfig::default()
    };
    peer.apply_to_destination(&mut config.destination);
    let server = Server::start(
        config,
        store(),
        Arc::new(Two(Arc::clone(&tokens))),
        Arc::new(EchoService::new()),
        Some(tap),
    )
    .await
    .unwrap();
    let serving = http::serve_on(listener, server.clone(), &HttpLimits::default()).unwrap();
    Running {
        root,
        sent,
        tokens,
        _server: server,
        _serving: serving,
    }
}

/// POSTs `wire` (with `payload` as the application body) to `url`, signed with `sct`,
/// under `action`; returns the status and the answer's text.
async fn post(
    r: &Running,
    url: &str,
    sct: &str,
    action: &str,
    wire: &WireMessage,
    payload: Option<&str>,
) -> (u16, String) {
    let profile = WireProfile::Rm11;
    let mut addressing = wsrx_soap::OutboundAddressing::request(profile.wsa_version(), url, action);
    addressing.message_id = Some(pipeline::new_message_id());
    let protection =
        Protection::for_binding(&SecurityBinding::new(sct), profile, r.tokens.as_ref()).unwrap();
    let text = pipeline::seal(
        profile,
        SoapVersion::V12,
        &addressing,
        wire,
        payload,
        Some(&protection),
        std::time::SystemTime::now(),
    )
    .unwrap();
    let http = http::HttpClient::new(Duration::from_secs(10)).unwrap();
    let (status, body) = http
        .post(url, SoapVersion::V12, action, text)
        .await
        .unwrap();
    let body = body
        .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    (status, body)
}

fn create_sequence(with_str: bool, offer: Option<Offer>) -> WireMessage {
    WireMessage::from_message(
        &Message::CreateSequence(CreateSequence {
            acks_to: EndpointRef(wsrx_soap::WsaVersion::V10.anonymous().to_owned()),
            expires: Some(Duration::ZERO),
            offer,
            str_token: with_str.then(|| wsrx_rm::TokenRef(SecurityBinding::new(SCT))),
            uses_sequence_str: with_str,
            to: None,
        }),
        None,
        WireProfile::Rm11,
    )
}

fn action(a: Action) -> &'static str {
    WireProfile::Rm11.action(a).unwrap()
}

/// The text of the first element named `local` (any prefix) in `xml`.
fn text_of<'x>(xml: &'x str, local: &str) -> Option<&'x str> {
    let mut from = 0;
    loop {
        let at = from + xml.get(from..)?.find(&format!(":{local}"))?;
        from = at + 1;
        let open = xml.get(..at)?.rfind('<')?;
        let after = xml.get(at + 1 + local.len()..)?;
        if xml.get(open + 1..open + 2) == Some("/") || !after.starts_with(['>', ' ']) {
            continue;
        }
        let text = after.get(after.find('>')? + 1..)?;
        return text.split('<').next();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_acks_to_is_the_address_the_client_used() {
    let r = start(wsrx_runtime::peer::PeerProfile::Wsrx).await;
    let url = format!("{}services/echo", r.root);
    let offer = Offer {
        id: SequenceId::new("urn:uuid:offered-by-the-client"),
        endpoint: EndpointRef(wsrx_soap::WsaVersion::V10.anonymous().to_owned()),
        expires: None,
        incomplete: None,
    };
    let (status, body) = post(
        &r,
        &url,
        SCT,
        action(Action::CreateSequence),
        &create_sequence(true, Some(offer)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("CreateSequenceResponse"), "{body}");
    let accept = body
        .split("Accept")
        .nth(1)
        .expect("an Accept for the offer");
    assert_eq!(text_of(accept, "Address"), Some(url.as_str()), "{body}");
    // PT0S asked for a sequence that never expires: no Expires is granted.
    let soap_body = body.split(":Body").nth(1).unwrap_or_default();
    assert!(soap_body.contains("CreateSequenceResponse"), "{body}");
    assert!(!soap_body.contains("Expires"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_message_without_the_header_is_accepted() {
    let r = start(wsrx_runtime::peer::PeerProfile::Wsrx).await;
    let empty = WireMessage {
        headers: Vec::new(),
        body: WireBody::Empty,
    };
    let (status, body) = post(
        &r,
        &r.root,
        SCT,
        action(Action::SequenceAcknowledgement),
        &empty,
        None,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert!(r.sent.lock().unwrap().is_empty(), "answered with a message");
}

/// A CreateSequence without STR signed with SCT (CXF's shape), then message 1 on the new
/// sequence signed with SCT (delivered) and message 2 signed with OTHER (refused).
async fn cxf_shaped_sequence(r: &Running) -> Result<(u16, u16), (u16, String)> {
    let url = format!("{}rm", r.root);
    let (status, body) = post(
        r,
        &url,
        SCT,
        action(Action::CreateSequence),
        &create_sequence(false, None),
        None,
    )
    .await;
    if status != 200 {
        return Err((status, body));
    }
    let response = body
        .split("CreateSequenceResponse")
        .nth(2)
        .unwrap_or_default();
    let id = text_of(response, "Identifier")
        .expect("an Identifier")
        .to_owned();
    let app = |n: u64| {
        WireMessage::from_message(
            &Message::Application(ApplicationMessage {
                sequence: SequenceHeader {
                    id: SequenceId::new(&id),
                    number: n,
                    last_message: false,
                },
                ack_requested: true,
                payload: Some(PayloadRef(n)),
            }),
            None,
            WireProfile::Rm11,
        )
    };
    let (own, body) = post(
        r,
        &url,
        SCT,
        echo::NOTIFY_ACTION,
        &app(1),
        Some(&echo::body("first")),
    )
    .await;
    assert!(own == 200 || own == 202, "{own}: {body}");
    let (other, body) = post(
        r,
        &url,
        OTHER,
        echo::NOTIFY_ACTION,
        &app(2),
        Some(&echo::body("hijacked")),
    )
    .await;
    assert!(body.contains("FailedAuthentication"), "{body}");
    Ok((own, other))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_sequence_without_str_is_bound_to_its_signer_only_under_the_cxf_profile() {
    let strict = start(wsrx_runtime::peer::PeerProfile::Wsrx).await;
    let (status, body) = cxf_shaped_sequence(&strict).await.unwrap_err();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("CreateSequenceRefused"), "{body}");

    let cxf = start(wsrx_runtime::peer::PeerProfile::Cxf).await;
    let (_, other) = cxf_shaped_sequence(&cxf).await.unwrap();
    assert_eq!(other, 400);
}

/// An unsigned CreateSequence, as plain WS-RM peers send it.
fn unsigned_create_sequence(to: &str) -> String {
    let profile = WireProfile::Rm11;
    let action = action(Action::CreateSequence);
    let mut addressing = wsrx_soap::OutboundAddressing::request(profile.wsa_version(), to, action);
    addressing.message_id = Some(pipeline::new_message_id());
    pipeline::seal(
        profile,
        SoapVersion::V12,
        &addressing,
        &create_sequence(false, None),
        None,
        None,
        std::time::SystemTime::now(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_bound_sequences_need_tls_and_are_never_the_default() {
    use wsrx_runtime::sequence_security::SequenceSecurity;
    use wsrx_runtime::token::Peer;
    for mode in [SequenceSecurity::Token, SequenceSecurity::TlsBound] {
        let mut config = ServerConfig {
            endpoint: "https://127.0.0.1:1/rm".to_owned(),
            security: mode,
            ..ServerConfig::default()
        };
        mode.apply_to_destination(&mut config.destination);
        let server = Server::start(
            config,
            store(),
            Arc::new(Two(tokens())),
            Arc::new(EchoService::new()),
            None,
        )
        .await
        .unwrap();
        let text = unsigned_create_sequence("https://127.0.0.1:1/rm");
        let plain = server
            .handle_from(text.as_bytes(), SoapVersion::V12, &Peer::unprotected())
            .await;
        let body = plain.body.clone().unwrap_or_default();
        assert_eq!(plain.status, 400, "{mode:?}: {body}");
        let text = unsigned_create_sequence("https://127.0.0.1:1/rm");
        let tls = server
            .handle_from(text.as_bytes(), SoapVersion::V12, &Peer::tls(None))
            .await;
        let body = tls.body.clone().unwrap_or_default();
        match mode {
            SequenceSecurity::TlsBound => {
                assert_eq!(tls.status, 200, "{body}");
                assert!(body.contains("CreateSequenceResponse"), "{body}");
            }
            _ => {
                assert_eq!(tls.status, 400, "{body}");
                assert!(body.contains("CreateSequenceRefused"), "{body}");
            }
        }
        server.stop();
    }
}
