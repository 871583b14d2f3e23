//! The server's side of a duplex pair: the RM Source of a sequence the client offered in
//! its CreateSequence (WS-RM 1.1 §3.4 `wsrm:Offer`, 1.0 §3.4 the same without Endpoint)
//! and the server accepted. Responses of request-reply operations travel on it.
//!
//! What it holds: the [`Source`] (bound to the forward sequence's SCT, numbered,
//! write-ahead stored, retransmitted with backoff), the responses not yet acknowledged
//! (their payloads are in the store under the offered sequence, put in the commit of their
//! `OutboundStored` record, deleted with their `OutboundAcked` record), and which request
//! each response answers.
//!
//! Where its messages go: to the offer's Endpoint. When that is the WS-A anonymous URI
//! (the common case, and gSOAP's), a message can only ride on an HTTP response to the
//! client: the response to request *n* is sent back on the HTTP response of request *n*,
//! and again, re-protected, on the response of every retransmission of that request, until
//! the client acknowledges it (its acknowledgements come piggy-backed on its later
//! messages, or stand-alone). When the Endpoint is an http(s) URL, the server POSTs to it
//! (see [`crate::server`] for the SSRF rule).
//!
//! After a restart the Source is restored from its records, with its unacknowledged
//! responses (each stored with the number and MessageID of the request it answers), so
//! a re-sent request is answered again and an addressable endpoint gets them resent.
//! The dialect of a restored pair is not stored: POSTs after a restart use the RM
//! version's default (WS-A 1.0, SOAP 1.2).
//!
//! What it does not do: MakeConnection (messages for an anonymous endpoint that no
//! request comes to fetch stay unsent until the sequence ends by inactivity).

use std::collections::HashMap;

use wsrx_rm::msg::{ApplicationMessage, Message, Route, SequenceAcknowledgement, SequenceHeader};
use wsrx_rm::wire::WireProfile;
use wsrx_rm::{PayloadRef, SecurityBinding, SequenceId, Source, Transmit};
use wsrx_soap::SoapVersion;

use crate::server::Reply;

/// One offered sequence, as the server's Source.
pub(crate) struct Offered {
    /// The Source.
    pub(crate) source: Source,
    /// The offered sequence's identifier.
    pub(crate) id: SequenceId,
    /// The offer's Endpoint (where its messages go).
    pub(crate) endpoint: String,
    /// The dialect and SOAP version the client spoke when it created the pair.
    pub(crate) profile: WireProfile,
    /// The SOAP version to speak.
    pub(crate) soap: SoapVersion,
    /// Offered message number per request number of the forward sequence.
    pub(crate) by_request: HashMap<u64, u64>,
    /// Unacknowledged responses: payload handle, payload, and the MessageID of the
    /// request they answer (for `wsa:RelatesTo`), by offered message number.
    pub(crate) outbox: HashMap<u64, Pending>,
}

/// A response on the offered sequence not yet acknowledged.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The payload handle in the store.
    pub(crate) handle: u64,
    /// The response.
    pub(crate) reply: Reply,
    /// The request's `wsa:MessageID`.
    pub(crate) relates_to: Option<String>,
    /// The forward sequence's number of the request it answers.
    pub(crate) request: u64,
}

impl Pending {
    /// The payload as stored: the request number, RelatesTo and action, then the body
    /// (so a restarted server can answer a re-sent request with it).
    pub(crate) fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let head = format!(
            "{}\u{1}{}\u{1}{}",
            self.request,
            self.relates_to.as_deref().unwrap_or(""),
            self.reply.action
        );
        crate::persist::encode_payload(&head, &self.reply.payload)
    }

    /// The inverse of [`Pending::encode`], for the payload stored under `handle`.
    pub(crate) fn decode(handle: u64, bytes: &[u8]) -> Option<Self> {
        let (head, payload) = crate::persist::decode_payload(bytes)?;
        let mut parts = head.splitn(3, '\u{1}');
        let request = parts.next()?.parse().ok()?;
        let relates_to = Some(parts.next()?.to_owned()).filter(|r| !r.is_empty());
        let action = parts.next()?.to_owned();
        Some(Self {
            handle,
            reply: Reply { action, payload },
            relates_to,
            request,
        })
    }
}

impl Offered {
    /// Whether its messages can only ride on HTTP responses.
    pub(crate) fn anonymous(&self) -> bool {
        is_anonymous(&self.endpoint)
    }

    /// The message carrying the response to request `request` (forward sequence number),
    /// with `ack` (the forward sequence's acknowledgement) piggy-backed, if that response
    /// is still unacknowledged.
    pub(crate) fn response_to(
        &self,
        request: u64,
        ack: Option<SequenceAcknowledgement>,
        binding: Option<&SecurityBinding>,
    ) -> Option<(Transmit, &Pending)> {
        let number = *self.by_request.get(&request)?;
        let pending = self.outbox.get(&number)?;
        Some((self.application(number, pending, ack, binding), pending))
    }

    /// The application message `number` of the offered sequence.
    pub(crate) fn application(
        &self,
        number: u64,
        pending: &Pending,
        ack: Option<SequenceAcknowledgement>,
        binding: Option<&SecurityBinding>,
    ) -> Transmit {
        Transmit {
            route: Route::Reply,
            message: Message::Application(ApplicationMessage {
                sequence: SequenceHeader {
                    id: self.id.clone(),
                    number,
                    last_message: false,
                },
                ack_requested: true,
                payload: Some(PayloadRef(pending.handle)),
            }),
            ack,
            protect_with: binding.cloned(),
        }
    }
}

/// Whether `m`, naming one of our offered sequences, goes to its Source (acknowledgements,
/// Close/Terminate from the client, the responses to ours, faults) rather than to the
/// Destination.
pub(crate) fn source_bound(m: &Message) -> bool {
    matches!(
        m,
        // An application message on a sequence we offered: its Source checks the binding
        // first (the binding fault), then answers UnknownSequence (issue 20 check order).
        Message::Application(_)
            | Message::SequenceAcknowledgement(_)
            | Message::CloseSequence(_)
            | Message::TerminateSequence(_)
            | Message::CloseSequenceResponse(_)
            | Message::TerminateSequenceResponse(_)
            | Message::Fault(_)
    )
}

/// Whether a Source's message answers the inbound message being handled (so it rides on
/// that HTTP response even for an anonymous endpoint).
pub(crate) fn is_answer(m: &Message) -> bool {
    matches!(
        m,
        Message::CloseSequenceResponse(_)
            | Message::TerminateSequenceResponse(_)
            | Message::Fault(_)
    )
}

/// The WS-A anonymous URIs (1.0 and 2004/08).
pub(crate) fn is_anonymous(addr: &str) -> bool {
    addr == wsrx_soap::WsaVersion::V10.anonymous()
        || addr == wsrx_soap::WsaVersion::V200408.anonymous()
}

/// Whether `addr` may be POSTed to: an http(s) URL (the only addresses the runtime sends
/// to; see the SSRF note in [`crate::server`]).
pub(crate) fn is_postable(addr: &str) -> bool {
    let lower = addr.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")) && !is_anonymous(addr)
}
