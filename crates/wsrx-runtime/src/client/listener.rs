//! The client's HTTP listener for an addressable AcksTo/ReplyTo (and the Endpoint of its
//! offered sequence): the server POSTs acknowledgements of the forward sequence and
//! the messages of the offered one (responses, its TerminateSequence) here.
//!
//! Everything received is verified exactly as a back-channel answer (parse with limits,
//! signature, policy, replay cache, the proving SCT checked against the sequence's
//! binding by the RM machines) and fed to the Source or the offered sequence's
//! Destination; what they answer at once (a TerminateSequenceResponse) goes back on the
//! HTTP response, otherwise 202. The listener does not send anywhere itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use wsrx_rm::SecurityBinding;
use wsrx_rm::wire::{RmBody, WireBody, WireMessage};
use wsrx_soap::SoapVersion;
use wsrx_store::Backend;

use super::Client;
use crate::clock;
use crate::error::RuntimeError;
use crate::http::{HttpReply, content_type, soap_hint};
use crate::pipeline::{self, Protection, refusal_addressing, reply_addressing};
use crate::tap::{Direction, emit};

/// Largest request the listener takes.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Binds `addr`; returns the listener and the URL to advertise.
///
/// # Errors
/// [`RuntimeError::Io`] if the address cannot be bound.
pub(super) async fn bind(addr: SocketAddr) -> Result<(TcpListener, String), RuntimeError> {
    let listener = TcpListener::bind(addr).await?;
    let url = format!("http://{}/", listener.local_addr()?);
    Ok((listener, url))
}

/// Serves `client`'s inbound endpoint on `listener` until the returned sender fires.
pub(super) fn serve<B: Backend>(listener: TcpListener, client: Client<B>) -> oneshot::Sender<()> {
    let app = Router::new()
        .fallback(handle::<B>)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(Arc::new(client));
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let r = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "client listener failed");
        }
    });
    tx
}

async fn handle<B: Backend>(
    State(client): State<Arc<Client<B>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let hint = soap_hint(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let reply = match client.inbound(&body, hint).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "client listener: request failed");
            HttpReply {
                status: 500,
                soap: hint,
                action: String::new(),
                body: None,
            }
        }
    };
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let Some(text) = reply.body else {
        return status.into_response();
    };
    let (ct, soap_action) = content_type(reply.soap, &reply.action);
    let mut resp = (status, text).into_response();
    if let Ok(v) = HeaderValue::from_str(&ct) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Some(a) = soap_action.and_then(|a| HeaderValue::from_str(&a).ok()) {
        resp.headers_mut().insert("SOAPAction", a);
    }
    resp
}

impl<B: Backend> Client<B> {
    /// One message POSTed to the listener (see the module docs), or fetched by
    /// MakeConnection (`client/mc.rs`).
    pub(super) async fn inbound(
        &self,
        body: &[u8],
        hint: SoapVersion,
    ) -> Result<HttpReply, RuntimeError> {
        let now_sys = SystemTime::now();
        let opened = match pipeline::open(
            body,
            hint,
            &self.inner.config.inbound,
            self.inner.resolver.as_ref(),
            &self.inner.replay,
            now_sys,
        ) {
            Ok(o) => o,
            Err(r) => {
                emit!(
                    self.inner.tap.as_ref(),
                    "client",
                    Direction::Refused,
                    &r.reason,
                    &String::from_utf8_lossy(body),
                );
                let status = if r.soap == SoapVersion::V12 { 400 } else { 500 };
                let text = pipeline::seal_fault(
                    r.profile,
                    r.soap,
                    &refusal_addressing(&r),
                    &r.fault,
                    None,
                    now_sys,
                )?;
                return Ok(HttpReply {
                    status,
                    soap: r.soap,
                    action: r.profile.soap_fault_action().to_owned(),
                    body: Some(text),
                });
            }
        };
        emit!(
            self.inner.tap.as_ref(),
            "client",
            Direction::Received,
            &opened.summary(),
            &String::from_utf8_lossy(body),
        );
        let (answer, ticket) = {
            let mut st = self.inner.state.lock();
            st.replies.clear();
            Self::feed(&mut st, &opened, None, clock::rm_now());
            let ticket = self.drain(&mut st)?;
            (std::mem::take(&mut st.replies).into_iter().next(), ticket)
        };
        // Commit-before-send: the answer follows the records of what it answers.
        self.inner.persistence.durable(ticket).await?;
        let Some(t) = answer else {
            return Ok(HttpReply::accepted(opened.soap));
        };
        let profile = opened.profile();
        let wire = WireMessage::from_transmit(&t, profile);
        let action = wire.action(profile).unwrap_or_default().to_owned();
        let addressing = reply_addressing(&opened, profile, &action);
        let protection = t
            .protect_with
            .as_ref()
            .map(|b| Protection::for_binding(b, profile, self.inner.resolver.as_ref()))
            .transpose()?;
        let text = pipeline::seal_under(
            profile,
            opened.soap,
            &addressing,
            &wire,
            None,
            protection.as_ref().map(|protection| pipeline::Protected {
                protection,
                // The request direction's policy (the reply's when the WSDL gives one).
                policy: self.inner.config.inbound.sending_policy(),
            }),
            SystemTime::now(),
        )?;
        emit!(
            self.inner.tap.as_ref(),
            "client",
            Direction::Sent,
            &pipeline::summarize(
                &wire,
                Some(&action),
                t.protect_with.as_ref().map(SecurityBinding::as_str),
            ),
            &text,
        );
        let status = match (&wire.body, opened.soap) {
            (WireBody::Rm(RmBody::Fault(_)), SoapVersion::V12) => 400,
            (WireBody::Rm(RmBody::Fault(_)), SoapVersion::V11) => 500,
            _ => 200,
        };
        Ok(HttpReply {
            status,
            soap: opened.soap,
            action,
            body: Some(text),
        })
    }
}
