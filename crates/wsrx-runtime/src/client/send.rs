//! The client's tasks: the driver (timers, re-sent requests, token changes) and the
//! sender (each transmit waits for its ticket, is sealed, POSTed, and what comes back is
//! verified and fed to the machines), with at most one copy of a message queued or in
//! flight.

use std::time::SystemTime;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use wsrx_rm::msg::{ApplicationMessage, EndpointRef, Route, SequenceHeader, SequenceId};
use wsrx_rm::wire::WireMessage;
use wsrx_rm::{Message, PayloadRef, SecurityBinding, Transmit};
use wsrx_soap::{EndpointReference, OutboundAddressing};
use wsrx_store::Backend;

use super::{Client, State};
use crate::clock;
use crate::duplex::ClientDuplex;
use crate::error::RuntimeError;
use crate::persist::Ticket;
use crate::pipeline::{self, Protection};
use crate::tap::{Direction, emit};

impl<B: Backend> Client<B> {
    pub(super) async fn driver(&self) {
        let mut stop = self.inner.stop.subscribe();
        let retry = self.inner.config.request_retry;
        let mut changes = self.inner.tokens.changes();
        loop {
            let deadline = {
                let st = self.inner.state.lock();
                if st.lost {
                    return;
                }
                let d = st
                    .source
                    .poll_timeout()
                    .into_iter()
                    .chain(st.duplex.as_ref().and_then(ClientDuplex::poll_timeout))
                    .min()
                    .map(clock::until);
                let r = (!st.requests.is_empty()).then_some(retry);
                // Held-back acknowledgements are written by their deadline when idle.
                let held = st
                    .deferred
                    .due()
                    .map(|at| at.saturating_duration_since(Instant::now()));
                [d, r, held].into_iter().flatten().min()
            };
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = sleep => {
                    let mut st = self.inner.state.lock();
                    if st.source.poll_timeout().is_some_and(|d| d <= clock::rm_now()) {
                        st.source.handle_timeout(clock::rm_now());
                    }
                    if let Some(d) = st.duplex.as_mut() {
                        d.handle_timeout(clock::rm_now());
                    }
                    self.resend_requests(&mut st);
                    if let Err(e) = self.drain(&mut st) {
                        tracing::warn!(error = %e, "client drain failed");
                    }
                }
                () = self.inner.wake.notified() => {}
                // A context was renewed or lost: commit it (and end the sequence if
                // its context is gone) now, not with the next message.
                Some(()) = token_changed(changes.as_mut()) => {
                    let mut st = self.inner.state.lock();
                    if let Err(e) = self.drain(&mut st) {
                        tracing::warn!(error = %e, "client drain failed");
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }

    /// Re-sends requests whose response is overdue (duplicates: never delivered twice).
    pub(super) fn resend_requests(&self, st: &mut State) {
        let Some(id) = st.created.clone() else { return };
        let retry = self.inner.config.request_retry;
        let binding = st.source.binding().cloned();
        let mut due = Vec::new();
        for (n, r) in &mut st.requests {
            if r.last_sent.elapsed() >= retry {
                r.last_sent = Instant::now();
                due.push(*n);
            }
        }
        for n in due {
            let Some(h) = st.request_numbers.get(&n).copied() else {
                continue;
            };
            let t = Transmit {
                route: Route::Peer(EndpointRef(self.inner.config.to.clone())),
                message: Message::Application(ApplicationMessage {
                    sequence: SequenceHeader {
                        id: id.clone(),
                        number: n,
                        last_message: false,
                    },
                    ack_requested: true,
                    payload: Some(PayloadRef(h)),
                }),
                ack: None,
                protect_with: binding.clone(),
            };
            // A re-sent request depends on nothing new: whatever was issued so far.
            let _ = self
                .inner
                .out
                .send((t, self.inner.persistence.last_issued()));
        }
    }

    pub(super) async fn sender(&self, mut rx: mpsc::UnboundedReceiver<(Transmit, Ticket)>) {
        let mut stop = self.inner.stop.subscribe();
        loop {
            tokio::select! {
                t = rx.recv() => {
                    let Some((t, ticket)) = t else { return };
                    let in_flight = InFlight::of(&t.message);
                    if let Some(k) = in_flight.clone()
                        && !self.outstanding(|o| o.insert(k))
                    {
                        continue; // a copy is queued or in flight
                    }
                    let c = self.clone();
                    let farewell = matches!(t.message, Message::TerminateSequence(_));
                    tokio::spawn(async move {
                        // Commit-before-send: the ops this transmit followed are durable.
                        let sent = match c.inner.persistence.durable(ticket).await {
                            Ok(()) => c.transmit(t).await,
                            Err(e) => Err(e),
                        };
                        if let Some(k) = in_flight {
                            c.outstanding(|o| o.remove(&k));
                        }
                        if farewell {
                            c.farewell_outcome(sent.as_ref().err().map(ToString::to_string));
                        }
                        if let Err(e) = sent {
                            tracing::debug!(error = %e, "transmission failed (will be retried)");
                        }
                    });
                }
                _ = stop.changed() => return,
            }
        }
    }

    /// POSTs `text`; a WS-RM 1.0 TerminateSequence, which nothing retransmits (1.0 has
    /// no response to wait for), is tried up to three times on transport errors.
    async fn post_once_more(
        &self,
        action: &str,
        text: String,
        message: &Message,
    ) -> Result<(u16, Option<(wsrx_soap::SoapVersion, bytes::Bytes)>), RuntimeError> {
        let (to, soap) = (&self.inner.config.to, self.inner.config.soap);
        let once = !matches!(message, Message::TerminateSequence(_))
            || self.inner.config.profile.rm_version() != wsrx_rm::RmVersion::V1_0;
        let mut attempt = 0u32;
        loop {
            match self.inner.http.post(to, soap, action, text.clone()).await {
                Err(e) if !once && attempt < 2 => {
                    tracing::debug!(error = %e, "TerminateSequence not delivered; trying again");
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(500 << attempt)).await;
                }
                r => return r,
            }
        }
    }

    /// A fault the peer answered `sent` with: logged verbatim and kept for the report of
    /// how the sequence ended; one that proves nothing (`unproven`) and answers our
    /// CreateSequence is the peer's refusal for `created`, the Source left as it is.
    fn peer_fault(&self, sent: &Message, said: String, unproven: bool) {
        tracing::warn!(peer_fault = %said, "the peer answered with a SOAP fault");
        let mut st = self.inner.state.lock();
        if unproven && matches!(sent, Message::CreateSequence(_)) && st.created.is_none() {
            st.create_refused = Some(said.clone());
        }
        st.peer_fault = Some(said);
        drop(st);
        self.inner
            .generation
            .send_modify(|g| *g = g.wrapping_add(1));
    }

    /// Records that a 1.0 TerminateSequence could not be sent (`Some(why)`), unless its
    /// POST already reported an answer, and wakes `terminate`.
    fn farewell_outcome(&self, failed: Option<String>) {
        let mut st = self.inner.state.lock();
        if st.farewell == Some(super::Farewell::Queued) {
            st.farewell =
                Some(super::Farewell::Failed(failed.unwrap_or_else(|| {
                    "not sent (the sequence's context is lost)".to_owned()
                })));
        }
        drop(st);
        self.inner
            .generation
            .send_modify(|g| *g = g.wrapping_add(1));
    }

    /// Runs `f` on the set of transmissions queued or in flight.
    pub(super) fn outstanding(
        &self,
        f: impl FnOnce(&mut std::collections::HashSet<InFlight>) -> bool,
    ) -> bool {
        let mut o = self
            .inner
            .outstanding
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut o)
    }

    /// Encodes, secures, POSTs one transmit and feeds the answer back.
    pub(super) async fn transmit(&self, mut t: Transmit) -> Result<(), RuntimeError> {
        let profile = self.inner.config.profile;
        let soap = self.inner.config.soap;
        let message_id = if matches!(t.message, Message::CreateSequence(_)) {
            self.inner.create_message_id.clone()
        } else {
            pipeline::new_message_id()
        };
        {
            let mut st = self.inner.state.lock();
            let st = &mut *st;
            if st.lost {
                return Ok(());
            }
            if let Some(d) = st.duplex.as_mut() {
                // The offered sequence's acknowledgement rides on what goes to the server.
                if t.ack.is_none() && t.message.sequence_id() != d.offered() {
                    t.ack = d.take_ack();
                }
                if let Message::Application(m) = &t.message
                    && st.requests.contains_key(&m.sequence.number)
                {
                    d.sent_request(&message_id, m.sequence.number);
                }
            }
        }
        let wire = WireMessage::from_transmit(&t, profile);
        let (number, payload) = match &t.message {
            Message::Application(m) => {
                let p = match m.payload {
                    Some(PayloadRef(h)) => {
                        let st = self.inner.state.lock();
                        st.payloads.get(&h).cloned()
                    }
                    None => None,
                };
                (Some(m.sequence.number), p)
            }
            _ => (None, None),
        };
        if matches!(&t.message, Message::Application(m) if m.payload.is_some()) && payload.is_none()
        {
            return Ok(()); // acknowledged meanwhile
        }
        let action = wire
            .action(profile)
            .map(str::to_owned)
            .or_else(|| payload.as_ref().map(|(a, _)| a.clone()))
            .unwrap_or_default();
        let mut addressing =
            OutboundAddressing::request(profile.wsa_version(), &self.inner.config.to, &action);
        addressing.message_id = Some(message_id);
        // Responses come to the listener only on the offered sequence (its Endpoint);
        // otherwise they ride on the HTTP response.
        let reply_to = match &self.inner.local {
            Some(url) if self.inner.config.offer => url.as_str(),
            _ => profile.wsa_version().anonymous(),
        };
        addressing.reply_to = Some(EndpointReference::new(reply_to));
        let protection = t
            .protect_with
            .as_ref()
            .map(|b| Protection::for_binding(b, profile, self.inner.resolver.as_ref()))
            .transpose()?;
        let text = pipeline::seal_under(
            profile,
            soap,
            &addressing,
            &wire,
            payload.as_ref().map(|(_, p)| p.as_str()),
            protection.as_ref().map(|protection| pipeline::Protected {
                protection,
                // The client builds what it sends by the policy it holds replies to.
                policy: &self.inner.config.inbound.policy,
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
        let (status, body) = self.post_once_more(&action, text, &t.message).await?;
        if matches!(t.message, Message::TerminateSequence(_)) {
            let mut st = self.inner.state.lock();
            if st.farewell == Some(super::Farewell::Queued) {
                st.farewell = Some(super::Farewell::Delivered(status));
            }
        }
        let Some((hint, bytes)) = body else {
            return Ok(());
        };
        let opened = match pipeline::open(
            &bytes,
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
                    "client",
                    Direction::Refused,
                    &r.reason,
                    &String::from_utf8_lossy(&bytes),
                );
                // A fault we cannot verify is still the peer's word: reported, never acted on.
                let Some(said) = pipeline::fault_in(&bytes) else {
                    return Err(RuntimeError::Peer(format!("HTTP {status}: {}", r.reason)));
                };
                let said = format!("{said} (HTTP {status}; not verified: {})", r.reason);
                self.peer_fault(&t.message, said.clone(), true);
                return Err(RuntimeError::Peer(said));
            }
        };
        if let Some(said) = &opened.fault_text {
            let unproven = opened.proof.is_none() && t.protect_with.is_some();
            let said = if unproven {
                format!("{said} (HTTP {status}; unsigned)")
            } else {
                format!("{said} (HTTP {status})")
            };
            self.peer_fault(&t.message, said, unproven);
        }
        emit!(
            self.inner.tap.as_ref(),
            "client",
            Direction::Received,
            &opened.summary(),
            &String::from_utf8_lossy(&bytes),
        );
        let mut st = self.inner.state.lock();
        let now = clock::rm_now();
        let sequenced = Self::feed(&mut st, &opened, number, now);
        if let Some(n) = number.filter(|_| !sequenced) {
            let bound = st.source.binding().cloned();
            let proven = bound.is_none() || bound == opened.proof;
            if proven && opened.is_application() {
                if let Some(r) = st.requests.remove(&n) {
                    // Not recorded anywhere: nothing to wait for.
                    let _ = r.tx.send(Ok((
                        opened.payload.clone().unwrap_or_default(),
                        Ticket::default(),
                    )));
                }
                if let Some(h) = st.request_numbers.remove(&n)
                    && !st.by_number.contains_key(&n)
                {
                    st.payloads.remove(&h);
                }
            } else if let Some(f) = &opened.soap_fault
                && proven
                && let Some(r) = st.requests.remove(&n)
            {
                let _ = r.tx.send(Err(RuntimeError::PeerFault(f.reason.clone())));
            }
        }
        let r = self.drain(&mut st).map(|_| ());
        st.replies.clear(); // answers only matter at the listener
        r
    }
}

/// A transmission of which at most one copy is queued or in flight.
///
/// Application messages by number, and the three protocol requests the destination answers:
/// a retransmission (WS-RM 1.1 §2.6: only what the transport may have lost) of a
/// CreateSequence, CloseSequence or TerminateSequence whose POST is still open cannot be
/// answered sooner than the first copy, which is answered on that POST. Stacks do not all
/// tolerate the copy: Metro 4.0.4 takes a second CreateSequence with the same Offer as a new
/// one (`WSRM1126 Sequence … already registered`) and a second TerminateSequence for a
/// sequence it is terminating, and answers both with HTTP 500 (`… "policy" is null`), which
/// ended the first as a peer fault. With an addressable AcksTo the POST ends at once (202)
/// and retransmissions go as the Source schedules them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum InFlight {
    /// An application message (or the 1.0 LastMessage), by number.
    Message(u64),
    /// CreateSequence (every copy carries the same MessageID).
    Create,
    /// CloseSequence of a sequence.
    Close(SequenceId),
    /// TerminateSequence of a sequence (the client's own, or, anonymous WS-RM 1.1 duplex,
    /// the offered one's).
    Terminate(SequenceId),
}

impl InFlight {
    /// The key of `message`, or `None` when copies may overlap (acknowledgements,
    /// AckRequested, faults, responses).
    pub(super) fn of(message: &Message) -> Option<Self> {
        match message {
            Message::Application(m) => Some(Self::Message(m.sequence.number)),
            Message::CreateSequence(_) => Some(Self::Create),
            Message::CloseSequence(m) => Some(Self::Close(m.id.clone())),
            Message::TerminateSequence(m) => Some(Self::Terminate(m.id.clone())),
            _ => None,
        }
    }
}

/// Resolves when the token provider signals a change (`None`: it never does, or its
/// sender is gone).
async fn token_changed(rx: Option<&mut watch::Receiver<u64>>) -> Option<()> {
    match rx {
        Some(rx) => match rx.changed().await {
            Ok(()) => Some(()),
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::InFlight;
    use wsrx_rm::Message;
    use wsrx_rm::msg::{
        AckRequested, CloseSequence, CreateSequence, EndpointRef, SequenceId, TerminateSequence,
    };

    #[test]
    fn one_copy_of_each_answered_request_at_a_time() {
        let id = SequenceId::new("urn:uuid:s");
        let offered = SequenceId::new("urn:uuid:offered");
        let create = Message::CreateSequence(CreateSequence {
            acks_to: EndpointRef("http://a/".to_owned()),
            expires: None,
            offer: None,
            str_token: None,
            uses_sequence_str: false,
            to: None,
        });
        let close = Message::CloseSequence(CloseSequence {
            id: id.clone(),
            last_msg_number: Some(3),
        });
        let terminate = |id: &SequenceId| {
            Message::TerminateSequence(TerminateSequence {
                id: id.clone(),
                last_msg_number: Some(3),
            })
        };
        assert_eq!(InFlight::of(&create), Some(InFlight::Create));
        assert_eq!(InFlight::of(&close), Some(InFlight::Close(id.clone())));
        assert_eq!(
            InFlight::of(&terminate(&id)),
            Some(InFlight::Terminate(id.clone()))
        );
        // Acknowledgement requests may overlap: each is answered on its own POST.
        assert_eq!(
            InFlight::of(&Message::AckRequested(AckRequested { id: id.clone() })),
            None
        );
        // A copy of the same request is held back; the Terminate of the offered sequence
        // (anonymous WS-RM 1.1 duplex: the client sends it too) is another request.
        let keys: std::collections::HashSet<_> = [
            &create,
            &close,
            &terminate(&id),
            &create,
            &terminate(&id),
            &terminate(&offered),
        ]
        .into_iter()
        .filter_map(InFlight::of)
        .collect();
        assert_eq!(keys.len(), 4);
    }
}
