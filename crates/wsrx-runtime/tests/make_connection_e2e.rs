//! WS-MakeConnection 1.1 on the server, over loopback HTTP (issue 18, "MakeConnection"):
//! a client with no listener names itself by an MC anonymous URI (WS-MC 1.1 §3.1) as its
//! AcksTo, offered Endpoint and ReplyTo, the shape Eclipse Metro 4.0.4's client sends. The
//! server answers the request itself with HTTP 202 and holds what it has for that address:
//! the acknowledgement of the forward sequence and the response on the offered sequence,
//! each signed with the sequence's SCT; `wsmc:MakeConnection` requests (unsigned, as Metro's)
//! take them one at a time with `wsmc:MessagePending` (§3.3), then get 202 when nothing waits
//! (§3.2). Another id's MakeConnection gets nothing; one without a selection gets the
//! `wsmc:MissingSelection` fault (§4.2).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use wsrx_test::fixture::runtime::store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use wsrx_crypto::SecretKey;
use wsrx_rm::msg::{
    ApplicationMessage, CreateSequence, EndpointRef, Message, Offer, SequenceHeader,
};
use wsrx_rm::version::Action;
use wsrx_rm::wire::{WireMessage, WireProfile};
use wsrx_rm::{PayloadRef, SecurityBinding, SequenceId};
use wsrx_runtime::echo::{self, EchoService};
use wsrx_runtime::http::{self, HttpLimits};
use wsrx_runtime::pipeline::{self, Protection};
use wsrx_runtime::server::{Server, ServerConfig};
use wsrx_runtime::token::{PreEstablished, TokenProvider};
use wsrx_soap::{EndpointReference, SoapVersion};

const SCT: &str = "urn:uuid:6a1e3c9e-0000-4000-8000-0000000000c1";
const MC_NS: &str = "http://docs.oasis-open.org/ws-rx/wsmc/200702";
const MC_ACTION: &str = "http://docs.oasis-open.org/ws-rx/wsmc/200702/MakeConnection";
const ID: &str = "44e42f25-752a-4435-92f5-ee6473579acf";

fn mc_anonymous(id: &str) -> String {
    format!("{MC_NS}/anonymous?id={id}")
}

struct Running {
    url: String,
    tokens: PreEstablished,
    echo: EchoService,
    _server: Server<wsrx_store::MemoryBackend>,
    _serving: http::Serving,
}

async fn start() -> Running {
    let tokens = PreEstablished::new(SCT, SecretKey::from_slice(&[5u8; 32]));
    let echo = EchoService::new();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/mc", listener.local_addr().unwrap());
    let config = ServerConfig {
        endpoint: url.clone(),
        ..ServerConfig::default()
    };
    let provider: Arc<dyn TokenProvider> = Arc::new(tokens.clone());
    let server = Server::start(config, store(), provider, Arc::new(echo.clone()), None)
        .await
        .unwrap();
    let serving = http::serve_on(listener, server.clone(), &HttpLimits::default()).unwrap();
    Running {
        url,
        tokens,
        echo,
        _server: server,
        _serving: serving,
    }
}

/// POSTs `text` under `action`; the status and the answer's text ("" without a body).
async fn post_text(url: &str, action: &str, text: String) -> (u16, String) {
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

/// `wire` signed with the SCT, its ReplyTo the MC anonymous URI.
async fn post(
    r: &Running,
    action: &str,
    wire: &WireMessage,
    payload: Option<&str>,
) -> (u16, String) {
    let profile = WireProfile::Rm11;
    let mut addressing =
        wsrx_soap::OutboundAddressing::request(profile.wsa_version(), &r.url, action);
    addressing.message_id = Some(pipeline::new_message_id());
    addressing.reply_to = Some(EndpointReference::new(mc_anonymous(ID)));
    let protection = Protection::for_binding(
        &SecurityBinding::new(SCT),
        profile,
        r.tokens.resolver().as_ref(),
    )
    .unwrap();
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
    post_text(&r.url, action, text).await
}

/// A MakeConnection as Metro writes it: unsigned, `wsmc:Address` the selection (or none).
fn make_connection(to: &str, address: Option<&str>) -> String {
    let selection = address.map_or_else(String::new, |a| format!("<Address>{a}</Address>"));
    format!(
        "<S:Envelope xmlns:S=\"http://www.w3.org/2003/05/soap-envelope\"><S:Header>\
         <To xmlns=\"http://www.w3.org/2005/08/addressing\">{to}</To>\
         <Action xmlns=\"http://www.w3.org/2005/08/addressing\">{MC_ACTION}</Action>\
         <MessageID xmlns=\"http://www.w3.org/2005/08/addressing\">{}</MessageID>\
         </S:Header><S:Body><MakeConnection xmlns=\"{MC_NS}\">{selection}</MakeConnection>\
         </S:Body></S:Envelope>",
        pipeline::new_message_id()
    )
}

/// The text of the first element named `local` (any prefix) after `from` in `xml`.
fn text_after<'x>(xml: &'x str, from: &str, local: &str) -> Option<&'x str> {
    let rest = xml.get(xml.find(from)?..)?;
    let at = rest.find(&format!(":{local}>"))?;
    rest.get(at + local.len() + 2..)?.split('<').next()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_messages_are_served_on_make_connection() {
    let r = start().await;
    let offered = "urn:uuid:offered-by-the-mc-client";
    let create = WireMessage::from_message(
        &Message::CreateSequence(CreateSequence {
            acks_to: EndpointRef(mc_anonymous(ID)),
            expires: None,
            offer: Some(Offer {
                id: SequenceId::new(offered),
                endpoint: EndpointRef(mc_anonymous(ID)),
                expires: None,
                incomplete: None,
            }),
            str_token: Some(wsrx_rm::TokenRef(SecurityBinding::new(SCT))),
            uses_sequence_str: true,
            to: None,
        }),
        None,
        WireProfile::Rm11,
    );
    let cs = WireProfile::Rm11.action(Action::CreateSequence).unwrap();
    let (status, body) = post(&r, cs, &create, None).await;
    assert_eq!(status, 200, "{body}");
    let id = text_after(&body, ":CreateSequenceResponse", "Identifier")
        .expect("a sequence")
        .to_owned();

    let app = WireMessage::from_message(
        &Message::Application(ApplicationMessage {
            sequence: SequenceHeader {
                id: SequenceId::new(&id),
                number: 1,
                last_message: false,
            },
            ack_requested: true,
            payload: Some(PayloadRef(1)),
        }),
        None,
        WireProfile::Rm11,
    );
    let (status, body) = post(&r, echo::ECHO_ACTION, &app, Some(&echo::body("held"))).await;
    // Nothing for the client on this back-channel: its AcksTo and Endpoint are MC anonymous.
    assert_eq!(status, 202, "{body}");
    assert!(body.is_empty(), "{body}");

    // Another client's id: nothing held for it.
    let (status, body) = post_text(
        &r.url,
        MC_ACTION,
        make_connection(&r.url, Some(&mc_anonymous("someone-else"))),
    )
    .await;
    assert_eq!(status, 202, "{body}");

    // The held messages, one per MakeConnection, while MessagePending says more wait.
    let mut taken = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let (status, body) = post_text(
            &r.url,
            MC_ACTION,
            make_connection(&r.url, Some(&mc_anonymous(ID))),
        )
        .await;
        if status == 202 {
            if taken
                .iter()
                .any(|b: &String| b.contains(echo::ECHO_RESPONSE_ACTION))
            {
                break;
            }
            // The response is sealed once its commit is durable: ask again.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("MessagePending"), "{body}");
        taken.push(body);
    }
    assert_eq!(r.echo.deliveries().len(), 1);
    let response = taken
        .iter()
        .find(|b| b.contains(echo::ECHO_RESPONSE_ACTION))
        .expect("the response, held for the MC anonymous Endpoint");
    assert_eq!(
        text_after(response, ":Sequence ", "Identifier"),
        Some(offered),
        "{response}"
    );
    assert!(
        response.contains("SignatureValue"),
        "held messages are signed: {response}"
    );
    let acked = taken.iter().any(|b| {
        b.contains(":SequenceAcknowledgement")
            && text_after(b, ":SequenceAcknowledgement", "Identifier") == Some(id.as_str())
    });
    assert!(
        acked,
        "the forward sequence's acknowledgement was held for its AcksTo: {taken:?}"
    );
    let last = taken.last().unwrap();
    assert!(last.contains("pending=\"false\""), "{last}");
    // Taken once: nothing left.
    let (status, body) = post_text(
        &r.url,
        MC_ACTION,
        make_connection(&r.url, Some(&mc_anonymous(ID))),
    )
    .await;
    assert!(
        status == 202 || !body.contains(echo::ECHO_RESPONSE_ACTION),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_connection_without_a_selection_is_refused() {
    let r = start().await;
    let (status, body) = post_text(&r.url, MC_ACTION, make_connection(&r.url, None)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("MissingSelection"), "{body}");
    let (status, body) = post_text(
        &r.url,
        MC_ACTION,
        make_connection(&r.url, Some("http://example.org/not-mc-anonymous")),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("UnsupportedSelection"), "{body}");
}
