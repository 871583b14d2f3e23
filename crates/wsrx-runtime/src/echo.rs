//! An echo service (`urn:example:echo`), used by `wsrx serve`, `wsrx demo` and the tests:
//! `Echo` requests are answered with `EchoResponse` carrying the same text; every
//! delivery is recorded so a caller can check exactly-once, in-order delivery.

use std::sync::{Arc, Mutex};

use wsrx_soap::Fault;

use crate::server::{DeliveryInfo, Handler, Operation, Reply};
use crate::token::BoxFuture;

/// The echo namespace.
pub const NS: &str = "urn:example:echo";
/// The request action.
pub const ECHO_ACTION: &str = "urn:example:echo/Echo";
/// The response action.
pub const ECHO_RESPONSE_ACTION: &str = "urn:example:echo/EchoResponse";
/// A one-way action (recorded, not answered).
pub const NOTIFY_ACTION: &str = "urn:example:echo/Notify";

/// The request body `<ns:echo xmlns:ns="urn:example:echo"><ns:text>…</ns:text></ns:echo>`.
pub fn body(text: &str) -> String {
    element("echo", text)
}

/// The response body `<ns:echoResponse …><ns:text>…</ns:text></ns:echoResponse>`: the
/// shape gSOAP's generated stub for `ns:echo` expects (and sends).
pub fn response_body(text: &str) -> String {
    element("echoResponse", text)
}

fn element(local: &str, text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(r#"<ns:{local} xmlns:ns="{NS}"><ns:text>{escaped}</ns:text></ns:{local}>"#)
}

/// The text of an echo body (`None` if it is not one).
pub fn text_of(payload: &str) -> Option<String> {
    let doc = wsrx_xml::Document::parse(payload.as_bytes()).ok()?;
    let root = doc.root();
    // Our service answers with `echo`; gSOAP's peer with `echoResponse`.
    if !(root.is(NS, "echo") || root.is(NS, "echoResponse")) {
        return None;
    }
    Some(root.child(NS, "text")?.text().into_owned())
}

/// One recorded delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The text.
    pub text: String,
    /// Delivery details.
    pub info: DeliveryInfo,
}

/// The echo service; clones share the delivery log.
#[derive(Debug, Clone, Default)]
pub struct EchoService {
    log: Arc<Mutex<Vec<Delivered>>>,
}

impl EchoService {
    /// A service with an empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every delivery so far, in order.
    pub fn deliveries(&self) -> Vec<Delivered> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn record(&self, payload: &str, info: DeliveryInfo) -> String {
        let text = text_of(payload).unwrap_or_default();
        if let Ok(mut l) = self.log.lock() {
            l.push(Delivered {
                text: text.clone(),
                info,
            });
        }
        text
    }
}

impl Handler for EchoService {
    fn operation(&self, action: &str) -> Operation {
        if action == ECHO_ACTION {
            Operation::RequestReply
        } else {
            Operation::OneWay
        }
    }

    fn one_way<'a>(&'a self, payload: String, info: DeliveryInfo) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.record(&payload, info);
        })
    }

    fn request<'a>(
        &'a self,
        payload: String,
        info: DeliveryInfo,
    ) -> BoxFuture<'a, Result<Reply, Fault>> {
        Box::pin(async move {
            let text = self.record(&payload, info);
            Ok(Reply {
                action: ECHO_RESPONSE_ACTION.to_owned(),
                payload: response_body(&text),
            })
        })
    }
}
