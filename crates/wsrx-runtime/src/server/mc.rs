//! WS-MakeConnection 1.1 on the server (`wsrx_rm::mc`): messages for a client known only
//! by an MC anonymous URI (`…/wsmc/200702/anonymous?id=…`, WS-MC 1.1 §3.1) as its AcksTo or
//! offered Endpoint are sealed as they would be POSTed, then held in a [`Mailbox`]; a
//! `wsmc:MakeConnection` request takes the oldest one its selection picks, with a
//! `wsmc:MessagePending` header saying whether more wait (§3.2, §3.3), or gets HTTP 202 when
//! nothing waits.
//!
//! The held messages are protected like any POST (the sequence's SCT, when it has one).
//! A MakeConnection itself is not authenticated: whoever knows an MC anonymous id can take
//! what is held for it, so ids must be unguessable (Metro's and wsrx's are random UUIDs), and
//! a taken message that is lost is recovered by the RM protocol (its Source sends it again,
//! which holds it again). Held messages are in memory only, for the same reason.

use std::time::SystemTime;

use wsrx_rm::mc::{self, HoldOutcome, Mailbox, McError, Taken};
use wsrx_rm::{Message, Transmit};
use wsrx_soap::{Envelope, OutboundAddressing, SoapVersion};
use wsrx_store::Backend;

use super::Server;
use super::post::Post;
use crate::clock;
use crate::http::HttpReply;
use crate::pipeline;
use crate::tap::{Direction, emit};

/// One message held for an MC anonymous endpoint: sealed, ready for a MakeConnection answer.
#[derive(Debug)]
pub(super) struct McHeld {
    soap: SoapVersion,
    action: String,
    text: String,
}

/// The mailbox of a server.
pub(super) type McMailbox = std::sync::Mutex<Mailbox<McHeld>>;

/// An empty mailbox with the default limits.
pub(super) fn mailbox() -> McMailbox {
    std::sync::Mutex::new(Mailbox::new(mc::MailboxConfig::default()))
}

/// What identifies a message across its retransmissions, so that a re-held copy replaces
/// the waiting one: an application message by sequence and number; the rest by kind and
/// sequence (a newer acknowledgement supersedes the older).
fn hold_key(t: &Transmit) -> Option<String> {
    let id = t.message.sequence_id()?.as_str();
    let kind = match &t.message {
        Message::Application(m) => return Some(format!("{id}#{}", m.sequence.number)),
        Message::CreateSequence(_) => "cs",
        Message::CreateSequenceResponse(_) => "csr",
        Message::AckRequested(_) => "ackreq",
        Message::SequenceAcknowledgement(_) => "ack",
        Message::CloseSequence(_) => "close",
        Message::CloseSequenceResponse(_) => "closed",
        Message::TerminateSequence(_) => "terminate",
        Message::TerminateSequenceResponse(_) => "terminated",
        Message::Fault(_) => return None,
    };
    Some(format!("{id}:{kind}"))
}

impl<B: Backend> Server<B> {
    /// Seals `post` (addressed to the MC anonymous id `id`) once its batch is durable and
    /// holds it for a MakeConnection.
    pub(super) fn hold_for_make_connection(&self, post: Post, id: String) {
        let s = self.clone();
        tokio::spawn(async move {
            // Commit-before-send: held is as good as sent.
            if let Err(e) = s.inner.persistence.durable(post.after).await {
                tracing::warn!(error = %e, to = %post.to, "not held: its commit failed");
                return;
            }
            let (action, text) = match s.seal_post(&post) {
                Ok(sealed) => sealed,
                Err(e) => {
                    tracing::debug!(error = %e, to = %post.to, "not held: cannot seal it");
                    return;
                }
            };
            let key = hold_key(&post.transmit);
            let sequence = post.transmit.message.sequence_id().cloned();
            let held = McHeld {
                soap: post.dialect.1,
                action,
                text,
            };
            let outcome = s
                .inner
                .mc
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .hold(clock::rm_now(), &id, key, sequence, held);
            if outcome == HoldOutcome::Full {
                tracing::info!(id = %id, "MakeConnection mailbox full: message not held (the protocol resends it)");
            }
        });
    }

    /// The answer to a `wsmc:MakeConnection` request, or `None` when `body` is not one.
    pub(super) fn make_connection(&self, body: &[u8]) -> Option<HttpReply> {
        // The byte check keeps the parse off the path of every other message.
        if !body
            .windows(mc::ACTION.len())
            .any(|w| w == mc::ACTION.as_bytes())
        {
            return None;
        }
        let doc = wsrx_xml::Document::parse_with(body, &self.inner.config.inbound.limits).ok()?;
        let envelope = Envelope::new(&doc).ok()?;
        let payload = envelope.payload()?;
        if !mc::wire::is_make_connection(payload) {
            return None;
        }
        let soap = envelope.version();
        emit!(
            self.inner.tap.as_ref(),
            "server",
            Direction::Received,
            "MakeConnection",
            &String::from_utf8_lossy(body),
        );
        let taken = mc::wire::decode_make_connection(payload).and_then(|selection| {
            let mut mailbox = self
                .inner
                .mc
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let expired = mailbox.expire(clock::rm_now());
            if !expired.is_empty() {
                tracing::debug!(
                    count = expired.len(),
                    "MakeConnection: expired held messages dropped"
                );
            }
            mailbox.take(&selection)
        });
        Some(match taken {
            Ok(Some(Taken { item, pending })) => {
                let text = with_message_pending(&item.text, item.soap, pending);
                emit!(
                    self.inner.tap.as_ref(),
                    "server",
                    Direction::Sent,
                    &format!("MakeConnection answer {} pending={pending}", item.action),
                    &text,
                );
                HttpReply {
                    status: 200,
                    soap: item.soap,
                    action: item.action,
                    body: Some(text),
                }
            }
            Ok(None) => HttpReply::accepted(soap),
            Err(e) => self.make_connection_fault(soap, &e),
        })
    }

    fn make_connection_fault(&self, soap: SoapVersion, e: &McError) -> HttpReply {
        tracing::info!(error = %e, "MakeConnection refused");
        let profile = wsrx_rm::wire::WireProfile::Rm11;
        let version = profile.wsa_version();
        let mut addressing =
            OutboundAddressing::request(version, version.anonymous(), mc::FAULT_ACTION);
        addressing.message_id = Some(pipeline::new_message_id());
        match pipeline::seal_fault(
            profile,
            soap,
            &addressing,
            &e.fault(),
            None,
            SystemTime::now(),
        ) {
            Ok(text) => HttpReply {
                status: super::fault::fault_status(soap, true),
                soap,
                action: mc::FAULT_ACTION.to_owned(),
                body: Some(text),
            },
            Err(err) => {
                tracing::warn!(error = %err, "cannot write a MakeConnection fault");
                HttpReply {
                    status: 500,
                    soap,
                    action: String::new(),
                    body: None,
                }
            }
        }
    }
}

/// `text` with a `wsmc:MessagePending` header block (§3.3) as the first child of its SOAP
/// Header (the message was sealed before it was known whether more would wait; the block is
/// outside any signature, as the spec allows: it is a hint to the client, not a protected
/// statement). Unchanged when the envelope has no Header element it can find.
fn with_message_pending(text: &str, soap: SoapVersion, pending: bool) -> String {
    let ns = soap.namespace();
    let Ok(doc) = wsrx_xml::Document::parse(text.as_bytes()) else {
        return text.to_owned();
    };
    let Some(header) = doc
        .root()
        .child_elements()
        .find(|e| e.namespace() == Some(ns) && e.local_name() == "Header")
    else {
        return text.to_owned();
    };
    // The end of the Header's start tag: the first '>' after its start in the source.
    let start = header.span().start;
    let Some(close) = text
        .get(start..)
        .and_then(|s| s.find('>'))
        .map(|i| start + i + 1)
    else {
        return text.to_owned();
    };
    if text.get(close.saturating_sub(2)..close) == Some("/>") {
        return text.to_owned();
    }
    let block = format!(
        "<wsmc:MessagePending xmlns:wsmc=\"{}\" pending=\"{}\"/>",
        mc::NS,
        if pending { "true" } else { "false" }
    );
    match text.split_at_checked(close) {
        Some((head, tail)) => format!("{head}{block}{tail}"),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    const S12: &str = "http://www.w3.org/2003/05/soap-envelope";

    #[test]
    fn message_pending_is_the_first_header_block() {
        let text = format!(
            "<s:Envelope xmlns:s=\"{S12}\"><s:Header><a:Action xmlns:a=\"urn:a\">x</a:Action></s:Header><s:Body/></s:Envelope>"
        );
        let out = with_message_pending(&text, SoapVersion::V12, true);
        assert_eq!(
            out,
            format!(
                "<s:Envelope xmlns:s=\"{S12}\"><s:Header><wsmc:MessagePending xmlns:wsmc=\"{}\" pending=\"true\"/><a:Action xmlns:a=\"urn:a\">x</a:Action></s:Header><s:Body/></s:Envelope>",
                mc::NS
            )
        );
        // What wsrx-rm reads back (§3.3).
        let doc = wsrx_xml::Document::parse(out.as_bytes()).unwrap();
        let header = doc
            .elements()
            .find(|e| e.local_name() == "MessagePending")
            .unwrap();
        assert_eq!(mc::wire::message_pending(header), Some(true));
        assert!(with_message_pending(&text, SoapVersion::V12, false).contains("pending=\"false\""));
    }

    #[test]
    fn without_a_header_element_the_text_is_unchanged() {
        for text in [
            format!("<s:Envelope xmlns:s=\"{S12}\"><s:Header/><s:Body/></s:Envelope>"),
            format!("<s:Envelope xmlns:s=\"{S12}\"><s:Body/></s:Envelope>"),
            "not xml <".to_owned(),
        ] {
            assert_eq!(with_message_pending(&text, SoapVersion::V12, true), text);
        }
    }
}
