//! The answer on the HTTP back-channel: chosen under the lock ([`Plan`]), sealed after
//! it is released and once what it depends on is durable; and the wait of a request
//! held in the reorder buffer until the handler answered it.

use std::time::{Duration, SystemTime};

use wsrx_rm::SecurityBinding;
use wsrx_rm::wire::{RmHeader, WireBody, WireMessage, WireProfile};
use wsrx_rm::{RmVersion, SequenceId, Transmit};
use wsrx_store::Backend;

use super::{Operation, Server, Slot};
use crate::error::RuntimeError;
use crate::http::HttpReply;
use crate::metrics;
use crate::offered::is_anonymous;
use crate::pipeline::{self, Opened, Protection, reply_addressing};
use crate::tap::{Direction, emit};

/// How long a request held for a gap waits for its response before it is answered
/// without one (the client then re-sends it and gets the response from the cache).
pub(super) const HELD_REQUEST_WAIT: Duration = Duration::from_secs(10);

/// An answer chosen under the lock, sealed after it is released and its ticket is
/// durable.
pub(super) struct Plan {
    profile: WireProfile,
    wire: WireMessage,
    payload: Option<String>,
    action: String,
    binding: Option<SecurityBinding>,
    status: u16,
}

impl Plan {
    fn new(
        profile: WireProfile,
        wire: WireMessage,
        payload: Option<String>,
        action: &str,
        binding: Option<SecurityBinding>,
        status: u16,
    ) -> Self {
        Self {
            profile,
            wire,
            payload,
            action: action.to_owned(),
            binding,
            status,
        }
    }
}

impl<B: Backend> Server<B> {
    /// The sequence and number of `opened` when it is a request-reply application message.
    pub(super) fn held_request(&self, opened: &Opened) -> Option<(SequenceId, u64)> {
        let action = opened.action.as_deref()?;
        if !opened.is_application()
            || self.inner.handler.operation(action) != Operation::RequestReply
        {
            return None;
        }
        opened.wire.headers.iter().find_map(|h| match h {
            RmHeader::Sequence(s) => Some((s.id.clone(), s.number)),
            _ => None,
        })
    }

    /// Waits (at most [`HELD_REQUEST_WAIT`]) until the handler finished with message
    /// `number` of `id`, or the sequence is gone.
    pub(super) async fn wait_handled(&self, version: RmVersion, id: &SequenceId, number: u64) {
        let deadline = tokio::time::Instant::now() + HELD_REQUEST_WAIT;
        loop {
            let notified = self.inner.handled.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let slot = self.slot(version).lock();
                let done = slot.handled.get(id).is_some_and(|h| *h >= number);
                if done || !slot.ep.is_open(id) {
                    return;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }
    /// Chooses the HTTP answer to `opened` (sealed later, with the lock released).
    pub(super) fn answer(
        &self,
        slot: &mut Slot,
        opened: &Opened,
        received: std::time::Instant,
        replies: Vec<Transmit>,
    ) -> Result<Option<Plan>, RuntimeError> {
        let profile = opened.profile();
        if let Some(t) = replies.into_iter().next() {
            let wire = WireMessage::from_transmit(&t, profile);
            return Ok(Some(Plan::new(
                profile,
                wire,
                None,
                "",
                t.protect_with,
                200,
            )));
        }
        let seq = opened.wire.headers.iter().find_map(|h| match h {
            RmHeader::Sequence(s) => Some((s.id.clone(), s.number)),
            RmHeader::AckRequested(a) => Some((a.id.clone(), 0)),
            _ => None,
        });
        let Some((id, number)) = seq else {
            return Ok(None);
        };
        let Some(record) = slot.ep.sequence(&id).cloned() else {
            return Ok(None);
        };
        let anonymous = is_anonymous(&record.acks_to.0);
        let ack = if anonymous {
            slot.ep.take_ack(&id)
        } else {
            None
        };
        if ack.is_some() {
            metrics::ack_latency(received.elapsed());
            // take_ack is an input: drain it (nothing to persist; it settles a batched ack).
            self.drain(slot, None)?;
        }
        // Duplex: the response travels on the offered sequence, on this back-channel when
        // its endpoint is anonymous (again on every re-sent request, until acknowledged).
        if let Some(o) = slot.duplex.get(&id).filter(|o| o.anonymous())
            && let Some((t, pending)) = o.response_to(number, ack.clone(), record.binding.as_ref())
        {
            let wire = WireMessage::from_transmit(&t, profile);
            let reply = pending.reply.clone();
            return Ok(Some(Plan::new(
                profile,
                wire,
                Some(reply.payload),
                &reply.action,
                record.binding,
                200,
            )));
        }
        let headers: Vec<RmHeader> = ack
            .into_iter()
            .map(RmHeader::SequenceAcknowledgement)
            .collect();
        if let Some(reply) = slot.responses.get(&id, number).cloned() {
            let wire = WireMessage {
                headers,
                body: WireBody::Application,
            };
            return Ok(Some(Plan::new(
                profile,
                wire,
                Some(reply.payload),
                &reply.action,
                record.binding,
                200,
            )));
        }
        if headers.is_empty() {
            return Ok(None);
        }
        let wire = WireMessage {
            headers,
            body: WireBody::Empty,
        };
        Ok(Some(Plan::new(
            profile,
            wire,
            None,
            "",
            record.binding,
            200,
        )))
    }

    /// Seals a planned answer (`None`: 202) for the back-channel of `opened`.
    pub(super) fn seal_answer(
        &self,
        opened: &Opened,
        plan: Option<Plan>,
    ) -> Result<HttpReply, RuntimeError> {
        let Some(plan) = plan else {
            return Ok(HttpReply::accepted(opened.soap));
        };
        let Plan {
            profile,
            wire,
            payload,
            action,
            binding,
            status,
        } = plan;
        let action = wire
            .action(profile)
            .map_or_else(|| action.clone(), str::to_owned);
        let addressing = reply_addressing(opened, profile, &action);
        // A bound sequence answers with its token; an unbound one (allowed by policy)
        // answers with the token that proved the request, if any.
        let protection = binding
            .as_ref()
            .or(opened.proof.as_ref())
            .map(|b| Protection::for_binding(b, profile, self.inner.resolver.as_ref()))
            .transpose()?;
        let policy = self.inner.config.inbound.sending_policy();
        let text = pipeline::seal_under(
            profile,
            opened.soap,
            &addressing,
            &wire,
            payload.as_deref(),
            protection
                .as_ref()
                .map(|protection| pipeline::Protected { protection, policy }),
            SystemTime::now(),
        )?;
        if self.inner.tap.is_some() {
            let summary = pipeline::summarize(
                &wire,
                Some(&action),
                binding.as_ref().map(SecurityBinding::as_str),
            );
            emit!(
                self.inner.tap.as_ref(),
                "server",
                Direction::Sent,
                &summary,
                &text,
            );
        }
        // An RM fault takes its status from its code (a quota or limit reached is a
        // Receiver fault: retry later).
        let status = match &wire.body {
            WireBody::Rm(wsrx_rm::wire::RmBody::Fault(f)) => {
                super::fault::fault_status(opened.soap, f.code == wsrx_rm::msg::FaultCode::Sender)
            }
            _ => status,
        };
        Ok(HttpReply {
            status,
            soap: opened.soap,
            action,
            body: Some(text),
        })
    }
}
