//! An echo service (`urn:example:echo`), used by `wsrx serve`, `wsrx demo` and the tests:
//! `Echo` requests are answered with `EchoResponse` carrying the same text; every
//! delivery is recorded so a caller can check exactly-once, in-order delivery.
//!
//! ## The delivery log (`wsrx serve --delivery-log PATH`)
//!
//! With [`EchoService::with_log`], the service is the receiving application of the
//! exactly-once protocol: it appends one JSON line per message it accepts,
//! `{"sequence":"…","number":N,"action":"…","text":"…","bound_to":"…"|null,"redelivered":bool}`,
//! and makes it durable (`fsync`) before the handler returns, i.e. before the runtime
//! deletes the message from its durable inbox (see [`crate::server`]). A crash between
//! the two makes the runtime hand the message over again, marked
//! [`DeliveryInfo::redelivered`]; the service then finds (sequence, number) in its log
//! (loaded at start) and does not append it again. This is the **idempotent-application
//! half** of exactly-once: the runtime guarantees at-least-once hand-over with every
//! possible repeat flagged, the application drops the flagged repeats it already has,
//! so the log shows every message exactly once. The write is synchronous (a short
//! append and fsync on the handler's thread).

use std::collections::HashSet;
use std::io::Write as _;
use std::path::Path;
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

/// The durable delivery log: the file and the (sequence, number) pairs in it.
#[derive(Debug)]
struct Journal {
    file: std::fs::File,
    seen: HashSet<(String, u64)>,
}

/// The echo service; clones share the delivery log.
#[derive(Debug, Clone, Default)]
pub struct EchoService {
    log: Arc<Mutex<Vec<Delivered>>>,
    journal: Option<Arc<Mutex<Journal>>>,
}

impl EchoService {
    /// A service with an empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// A service appending every accepted message to the durable delivery log at
    /// `path` (created if missing; the lines already there are loaded first, see the
    /// module docs).
    ///
    /// # Errors
    /// The file cannot be read or opened for appending.
    pub fn with_log(path: &Path) -> std::io::Result<Self> {
        let mut seen = HashSet::new();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    match parse_line(line) {
                        Some(key) => {
                            seen.insert(key);
                        }
                        None => tracing::warn!(line, "delivery log line not understood"),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            log: Arc::default(),
            journal: Some(Arc::new(Mutex::new(Journal { file, seen }))),
        })
    }

    /// Appends the delivery to the durable log unless it is a redelivery already there.
    fn journal(&self, text: &str, info: &DeliveryInfo) {
        let Some(journal) = &self.journal else { return };
        let Ok(mut j) = journal.lock() else { return };
        let key = (info.sequence.clone(), info.number);
        if info.redelivered && j.seen.contains(&key) {
            return;
        }
        let line = format!(
            "{{\"sequence\":{},\"number\":{},\"action\":{},\"text\":{},\"bound_to\":{},\"redelivered\":{}}}\n",
            json_string(&info.sequence),
            info.number,
            json_string(&info.action),
            json_string(text),
            info.bound_to
                .as_deref()
                .map_or_else(|| "null".to_owned(), json_string),
            info.redelivered
        );
        let written = j
            .file
            .write_all(line.as_bytes())
            .and_then(|()| j.file.sync_data());
        match written {
            Ok(()) => {
                j.seen.insert(key);
            }
            // Not acknowledged to the runtime as a failure (the handler has no error
            // path for one-way messages): loud in the log instead.
            Err(e) => tracing::error!(error = %e, "delivery log append failed"),
        }
    }

    /// Every delivery so far, in order.
    pub fn deliveries(&self) -> Vec<Delivered> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn record(&self, payload: &str, info: DeliveryInfo) -> String {
        let text = text_of(payload).unwrap_or_default();
        self.journal(&text, &info);
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

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Reads a JSON string literal at the start of `s` (after its opening quote); returns
/// the string and the rest.
fn read_json_string(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, s.get(i + 1..)?)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = (0..4)
                        .filter_map(|_| chars.next().map(|(_, h)| h))
                        .collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// The (sequence, number) of a delivery-log line this service wrote.
fn parse_line(line: &str) -> Option<(String, u64)> {
    let rest = line.strip_prefix("{\"sequence\":\"")?;
    let (sequence, rest) = read_json_string(rest)?;
    let rest = rest.strip_prefix(",\"number\":")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((sequence, digits.parse().ok()?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use wsrx_rm::DeliveryAssurance;

    fn info(number: u64, redelivered: bool) -> DeliveryInfo {
        DeliveryInfo {
            sequence: "urn:uuid:s\"1".into(),
            number,
            action: NOTIFY_ACTION.into(),
            bound_to: None,
            assurance: DeliveryAssurance::ExactlyOnce,
            in_order: true,
            redelivered,
        }
    }

    #[test]
    fn the_log_keeps_each_message_once_across_a_restart() {
        let path = std::env::temp_dir().join(format!("wsrx-echo-log-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let a = EchoService::with_log(&path).unwrap();
        a.record(&body("one \"1\"\n"), info(1, false));
        a.record(&body("two"), info(2, false));
        drop(a);
        // After a restart: 2 comes again (already logged), 3 for the first time.
        let b = EchoService::with_log(&path).unwrap();
        b.record(&body("two"), info(2, true));
        b.record(&body("three"), info(3, true));
        let text = std::fs::read_to_string(&path).unwrap();
        let keys: Vec<_> = text.lines().map(|l| parse_line(l).unwrap()).collect();
        let seq = "urn:uuid:s\"1".to_owned();
        assert_eq!(keys, vec![(seq.clone(), 1), (seq.clone(), 2), (seq, 3)]);
        assert!(
            text.lines()
                .next()
                .unwrap()
                .contains(r#""text":"one \"1\"\n""#)
        );
        assert!(
            text.lines()
                .nth(2)
                .unwrap()
                .ends_with(r#""bound_to":null,"redelivered":true}"#)
        );
        std::fs::remove_file(&path).unwrap();
    }
}
