//! The outbound sidecar (issue 22, item 2): an application that has no WS-* stack POSTs
//! a plain SOAP envelope (or just the body element) to a local HTTP listener; the
//! [`Proxy`] stores it durably and sends it on the secured, reliable sequence of its
//! [`Client`], and answers:
//!
//! - one-way: `202 Accepted` once the message is stored, with
//!   `{"sequence":"…","number":N}` (and the headers `Wsrx-Sequence`,
//!   `Wsrx-Message-Number`); from then on it is the runtime's to deliver, across restarts
//!   (the client resumes its sequence from the store);
//! - request-reply (the action is one of [`ProxyConfig::request_actions`], or the request
//!   carries `Wsrx-Request: true`): the peer's response, as an envelope of the request's
//!   SOAP version when the request was an envelope, else the bare element; `504` after
//!   [`ProxyConfig::request_timeout`];
//! - `GET /status/<sequence>/<number>`: `{"sequence","number","state"}` with state
//!   `acknowledged`, `pending` or `undelivered` (and the reason), `404` for a message this
//!   proxy never stored.
//!
//! The action is the envelope's `wsa:Action` if it has one, else the `SOAPAction` header,
//! the `action` parameter of `Content-Type`, or `Wsrx-Action`. The application's own
//! headers are not forwarded (the runtime writes WS-A, RM and security headers itself).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use wsrx_soap::{AddressingHeaders, Envelope, SoapVersion};
use wsrx_store::Backend;
use wsrx_xml::{C14nOptions, Document};

use crate::client::{Client, Outcome, Receipt};
use crate::error::RuntimeError;

/// Proxy settings.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Actions whose messages are requests (the response is awaited and returned).
    pub request_actions: Vec<String>,
    /// How long a request waits for its response.
    pub request_timeout: Duration,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            request_actions: Vec::new(),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// The sidecar: an HTTP front for one [`Client`]. Cheap to clone.
pub struct Proxy<B: Backend> {
    client: Client<B>,
    config: Arc<ProxyConfig>,
}

impl<B: Backend> Clone for Proxy<B> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            config: Arc::clone(&self.config),
        }
    }
}

/// What an application POSTed, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The WS-A action.
    pub action: String,
    /// The body element (standalone XML).
    pub payload: String,
    /// The SOAP version, when it came as an envelope.
    pub envelope: Option<SoapVersion>,
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The action an application named in HTTP headers.
fn header_action(headers: &HeaderMap) -> Option<String> {
    if let Some(a) = header_text(headers, "SOAPAction") {
        let a = a.trim_matches('"');
        if !a.is_empty() {
            return Some(a.to_owned());
        }
    }
    if let Some(ct) = header_text(headers, header::CONTENT_TYPE.as_str()) {
        for param in ct.split(';').skip(1) {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("action")
            {
                let v = v.trim().trim_matches('"');
                if !v.is_empty() {
                    return Some(v.to_owned());
                }
            }
        }
    }
    header_text(headers, "Wsrx-Action").map(str::to_owned)
}

/// Reads a POSTed body: an envelope (its body element; its `wsa:Action`, if any) or a
/// bare element.
///
/// # Errors
/// A description for a `400` when the body is not XML, the envelope has no body
/// element, or no action is named.
pub fn read_submission(body: &[u8], headers: &HeaderMap) -> Result<Submission, String> {
    let doc = Document::parse(body).map_err(|e| format!("the body is not XML: {e}"))?;
    let canonical = |e| {
        String::from_utf8_lossy(&wsrx_xml::canonicalize_to_vec(e, &C14nOptions::default()))
            .into_owned()
    };
    let (payload, envelope, wsa_action) = match Envelope::new(&doc) {
        Ok(env) => {
            let payload = env
                .payload()
                .ok_or_else(|| "the envelope's Body has no element".to_owned())?;
            let action = AddressingHeaders::parse(&env)
                .ok()
                .flatten()
                .and_then(|a| a.action);
            (canonical(payload), Some(env.version()), action)
        }
        Err(_) => (canonical(doc.root()), None, None),
    };
    let action = wsa_action
        .or_else(|| header_action(headers))
        .ok_or_else(|| {
            "no action: give SOAPAction, Content-Type action=…, Wsrx-Action or wsa:Action"
                .to_owned()
        })?;
    Ok(Submission {
        action,
        payload,
        envelope,
    })
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn problem(status: StatusCode, message: &str) -> Response {
    json(status, &serde_json::json!({ "error": message }))
}

impl<B: Backend> Proxy<B> {
    /// A proxy sending through `client`.
    pub fn new(client: Client<B>, config: ProxyConfig) -> Self {
        Self {
            client,
            config: Arc::new(config),
        }
    }

    /// The client (to flush or shut it down).
    pub fn client(&self) -> &Client<B> {
        &self.client
    }

    /// The HTTP routes: `GET /status/{sequence}/{number}`, and `POST` anywhere else.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/status/{sequence}/{number}",
                axum::routing::get(status::<B>),
            )
            .fallback(axum::routing::post(submit::<B>))
            .with_state(self.clone())
    }

    /// Serves [`Proxy::router`] on `listener` until `shutdown` completes (requests in
    /// progress finish).
    ///
    /// # Errors
    /// [`RuntimeError::Io`] if the listener fails.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RuntimeError> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| RuntimeError::Io(e.to_string()))
    }

    async fn status(&self, sequence: &str, number: u64) -> Response {
        let receipt = Receipt {
            sequence: sequence.to_owned(),
            number,
        };
        let known = number >= 1 && number <= self.client.highest_number().await;
        let outcome = match self.client.outcome(&receipt).await {
            Ok(o) if known => o,
            _ => {
                return problem(
                    StatusCode::NOT_FOUND,
                    "no such message in this proxy's sequence",
                );
            }
        };
        let mut body = serde_json::Map::new();
        body.insert("sequence".into(), sequence.into());
        body.insert("number".into(), number.into());
        let state = match outcome {
            Outcome::Acknowledged => "acknowledged",
            Outcome::Pending => "pending",
            Outcome::Undelivered(reason) => {
                body.insert("reason".into(), format!("{reason:?}").into());
                "undelivered"
            }
        };
        body.insert("state".into(), state.into());
        json(StatusCode::OK, &serde_json::Value::Object(body))
    }

    async fn submit(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let s = match read_submission(body, headers) {
            Ok(s) => s,
            Err(e) => return problem(StatusCode::BAD_REQUEST, &e),
        };
        let request = self.config.request_actions.contains(&s.action)
            || header_text(headers, "Wsrx-Request") == Some("true");
        if !request {
            return match self.client.send(&s.action, &s.payload).await {
                Ok(r) => {
                    let mut resp = json(
                        StatusCode::ACCEPTED,
                        &serde_json::json!({ "sequence": r.sequence, "number": r.number }),
                    );
                    if let (Ok(seq), Ok(n)) = (
                        r.sequence.parse::<axum::http::HeaderValue>(),
                        r.number.to_string().parse::<axum::http::HeaderValue>(),
                    ) {
                        resp.headers_mut().insert("Wsrx-Sequence", seq);
                        resp.headers_mut().insert("Wsrx-Message-Number", n);
                    }
                    resp
                }
                Err(e) => failure(&e),
            };
        }
        let answer = tokio::time::timeout(
            self.config.request_timeout,
            self.client.request(&s.action, &s.payload),
        )
        .await;
        match answer {
            Err(_) => problem(StatusCode::GATEWAY_TIMEOUT, "no response in time"),
            Ok(Err(e)) => failure(&e),
            Ok(Ok(payload)) => match s.envelope {
                Some(v) => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, v.media_type())],
                    format!(
                        r#"<soap:Envelope xmlns:soap="{}"><soap:Body>{payload}</soap:Body></soap:Envelope>"#,
                        v.namespace()
                    ),
                )
                    .into_response(),
                None => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/xml")],
                    payload,
                )
                    .into_response(),
            },
        }
    }
}

/// A send that did not go through: `503` when the sequence cannot take it (ended,
/// failed, shutting down), `502` for a fault from the peer, `500` otherwise.
fn failure(e: &RuntimeError) -> Response {
    let status = match e {
        RuntimeError::PeerFault(_) => StatusCode::BAD_GATEWAY,
        RuntimeError::SequenceEnded(_)
        | RuntimeError::Undelivered { .. }
        | RuntimeError::Shutdown
        | RuntimeError::Token(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    problem(status, &e.to_string())
}

async fn status<B: Backend>(
    State(proxy): State<Proxy<B>>,
    Path((sequence, number)): Path<(String, u64)>,
) -> Response {
    proxy.status(&sequence, number).await
}

async fn submit<B: Backend>(
    State(proxy): State<Proxy<B>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    proxy.submit(&headers, &body).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn an_envelope_gives_its_body_element_and_version() {
        let body = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><o:order xmlns:o="urn:o"><o:id>7</o:id></o:order></s:Body></s:Envelope>"#;
        let s = read_submission(body, &headers(&[("SOAPAction", "\"urn:o/Place\"")])).unwrap();
        assert_eq!(s.action, "urn:o/Place");
        assert_eq!(s.envelope, Some(SoapVersion::V11));
        assert_eq!(
            s.payload,
            r#"<o:order xmlns:o="urn:o"><o:id>7</o:id></o:order>"#
        );
    }

    #[test]
    fn wsa_action_wins_and_a_bare_element_is_taken_as_is() {
        let body = br#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Header><a:Action xmlns:a="http://www.w3.org/2005/08/addressing">urn:o/FromWsa</a:Action></e:Header><e:Body><x xmlns="urn:x"/></e:Body></e:Envelope>"#;
        let s = read_submission(body, &headers(&[("Wsrx-Action", "urn:o/Other")])).unwrap();
        assert_eq!(
            (s.action.as_str(), s.envelope),
            ("urn:o/FromWsa", Some(SoapVersion::V12))
        );
        let s = read_submission(
            br#"<x xmlns="urn:x">1</x>"#,
            &headers(&[(
                "Content-Type",
                "application/soap+xml; charset=utf-8; action=\"urn:o/Ct\"",
            )]),
        )
        .unwrap();
        assert_eq!((s.action.as_str(), s.envelope), ("urn:o/Ct", None));
        assert_eq!(s.payload, r#"<x xmlns="urn:x">1</x>"#);
    }

    #[test]
    fn no_action_or_no_xml_is_refused() {
        assert!(
            read_submission(b"<x/>", &HeaderMap::new())
                .unwrap_err()
                .contains("no action")
        );
        assert!(read_submission(b"not xml", &headers(&[("Wsrx-Action", "urn:a")])).is_err());
        let empty = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>"#;
        assert!(read_submission(empty, &headers(&[("Wsrx-Action", "urn:a")])).is_err());
    }
}
