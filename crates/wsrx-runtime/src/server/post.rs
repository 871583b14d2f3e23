//! The server's own HTTP requests: transmits routed to an addressable endpoint
//! (`Route::Peer` with an http(s) URL): stand-alone acknowledgements to a sequence's
//! AcksTo, and the messages of an offered sequence (responses, its TerminateSequence) to
//! the offer's Endpoint. Each is protected with the sequence's SCT (fresh Timestamp and
//! derived-key nonces on every attempt), POSTed with a few quick retries; what comes back
//! on the HTTP response (the client's TerminateSequenceResponse, a fault) is verified and
//! fed to the offered sequence's Source. Lost messages are recovered by the protocol
//! (the Source's retransmissions, acknowledgements repeated on re-sent messages).
//!
//! **SSRF**: the server never sends to an address a message merely names. The only
//! addresses it POSTs to are the AcksTo and Offer/Endpoint of a CreateSequence that was
//! verified and bound to the SCT that proved it (or accepted unbound only when the
//! operator allowed it), and only when they are http(s) URLs; a ReplyTo is never used as
//! a destination (responses without an offered sequence ride on the HTTP back-channel).

use std::time::{Duration, SystemTime};

use wsrx_rm::wire::{WireMessage, WireProfile};
use wsrx_rm::{Message, RmVersion, SecurityBinding, Transmit};
use wsrx_soap::{OutboundAddressing, RelatesTo, SoapVersion};
use wsrx_store::Backend;

use super::Server;
use crate::clock;
use crate::error::RuntimeError;
use crate::offered;
use crate::pipeline::{self, Protection};
use crate::tap::{Direction, emit};

/// Attempts per POST before the transmit is left to the protocol's own retransmission.
const ATTEMPTS: u32 = 3;

/// One outbound POST.
pub(super) struct Post {
    /// The RM version (the slot to feed the answer to).
    pub(super) version: RmVersion,
    /// The address (checked with [`offered::is_postable`]).
    pub(super) to: String,
    /// The transmit.
    pub(super) transmit: Transmit,
    /// The dialect and SOAP version of the sequence.
    pub(super) dialect: (WireProfile, SoapVersion),
    /// The application payload: (action, body).
    pub(super) payload: Option<(String, String)>,
    /// The request a response answers.
    pub(super) relates_to: Option<String>,
    /// The store ticket of the batch it follows: sent once that is durable.
    pub(super) after: crate::persist::Ticket,
}

impl<B: Backend> Server<B> {
    /// Sends `post` on its own task (see the module docs).
    pub(super) fn post(&self, post: Post) {
        // An MC anonymous endpoint (WS-MakeConnection): held until it asks (server/mc.rs).
        if let Some(id) = wsrx_rm::mc::anonymous_id(&post.to).map(str::to_owned) {
            self.hold_for_make_connection(post, id);
            return;
        }
        if !offered::is_postable(&post.to) {
            tracing::debug!(to = %post.to, "not an http(s) endpoint: transmit dropped");
            return;
        }
        let s = self.clone();
        tokio::spawn(async move {
            // Commit-before-send.
            if let Err(e) = s.inner.persistence.durable(post.after).await {
                tracing::warn!(error = %e, to = %post.to, "not sent: its commit failed");
                return;
            }
            if let Err(e) = s.post_now(&post).await {
                tracing::debug!(error = %e, to = %post.to, "POST failed (the protocol retries)");
            }
        });
    }

    async fn post_now(&self, post: &Post) -> Result<(), RuntimeError> {
        let soap = post.dialect.1;
        let mut last = RuntimeError::Io("no attempt".to_owned());
        for attempt in 0..ATTEMPTS {
            let (action, text) = self.seal_post(post)?;
            match self.inner.http.post(&post.to, soap, &action, text).await {
                Ok((_, Some((hint, bytes)))) => {
                    return self.post_answer(post.version, &bytes, hint).await;
                }
                Ok((_, None)) => return Ok(()),
                Err(e) => {
                    last = e;
                    tokio::time::sleep(Duration::from_millis(100u64 << attempt)).await;
                }
            }
        }
        Err(last)
    }

    /// `post` sealed for one attempt (a fresh MessageID, Timestamp and derived-key nonces):
    /// its action and envelope.
    pub(super) fn seal_post(&self, post: &Post) -> Result<(String, String), RuntimeError> {
        let (profile, soap) = post.dialect;
        let t = &post.transmit;
        let wire = WireMessage::from_transmit(t, profile);
        let action = wire
            .action(profile)
            .map(str::to_owned)
            .or_else(|| post.payload.as_ref().map(|(a, _)| a.clone()))
            .unwrap_or_default();
        let protection = t
            .protect_with
            .as_ref()
            .map(|b| Protection::for_binding(b, profile, self.inner.resolver.as_ref()))
            .transpose()?;
        let mut addressing = OutboundAddressing::request(profile.wsa_version(), &post.to, &action);
        addressing.message_id = Some(pipeline::new_message_id());
        addressing.relates_to = post.relates_to.clone().map(|message_id| RelatesTo {
            message_id,
            relationship: None,
        });
        let policy = self.inner.config.inbound.sending_policy();
        let text = pipeline::seal_under(
            profile,
            soap,
            &addressing,
            &wire,
            post.payload.as_ref().map(|(_, p)| p.as_str()),
            protection
                .as_ref()
                .map(|protection| pipeline::Protected { protection, policy }),
            SystemTime::now(),
        )?;
        // "→URL" marks a POST to an addressable endpoint (back-channel answers have none).
        emit!(
            self.inner.tap.as_ref(),
            "server",
            Direction::Sent,
            &format!(
                "→{}  {}",
                post.to,
                pipeline::summarize(
                    &wire,
                    Some(&action),
                    t.protect_with.as_ref().map(SecurityBinding::as_str),
                )
            ),
            &text,
        );
        Ok((action, text))
    }

    /// Feeds the answer to a POST (verified like any inbound message) to the offered
    /// sequence's Source it concerns; anything else in it changes nothing.
    async fn post_answer(
        &self,
        version: RmVersion,
        bytes: &[u8],
        hint: SoapVersion,
    ) -> Result<(), RuntimeError> {
        let opened = match pipeline::open(
            bytes,
            hint,
            &self.inner.config.inbound,
            self.inner.resolver.as_ref(),
            &self.inner.replay,
            SystemTime::now(),
        ) {
            Ok(o) => o,
            Err(r) => {
                emit!(
                    self.inner.tap.as_ref(),
                    "server",
                    Direction::Refused,
                    &r.reason,
                    &String::from_utf8_lossy(bytes),
                );
                return Ok(());
            }
        };
        emit!(
            self.inner.tap.as_ref(),
            "server",
            Direction::Received,
            &opened.summary(),
            &String::from_utf8_lossy(bytes),
        );
        let mut slot = self.slot(version).lock();
        let now = clock::rm_now();
        for m in opened.messages(None) {
            let forward = m
                .sequence_id()
                .filter(|_| {
                    wsrx_rm::endpoint::source_bound(&m) && !matches!(m, Message::CreateSequence(_))
                })
                .and_then(|id| slot.ep.forward_of(id).cloned());
            if let Some(o) = forward.and_then(|f| slot.duplex.get_mut(&f)) {
                let _ = o.source.handle_message(now, opened.proof.as_ref(), m);
            }
        }
        self.drain(&mut slot, None).map(|_| ())
    }
}
